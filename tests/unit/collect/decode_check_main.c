/*
 * decode_check_main.c — sg-decode-check, a test driver that runs the
 * sampler's decoders (collect/linetable, collect/pystring) on bytes dumped
 * from real interpreters, so tests/integration/test_decoders.py can compare
 * the answers with what each CPython says about itself.
 *
 * Usage: sg-decode-check [FILE]   (standard input when FILE is absent)
 *
 * One request per line; one answer line per request, in order:
 *   layout VERSION_HEX
 *       → layout LINES_FORMAT   (or "layout none" when unsupported)
 *   lines FORMAT FIRST_LINE TABLE_HEX|- OFFSET[,OFFSET...]
 *       → lines LINE[,LINE...]  (sg_linetable_line per offset; -1 = no line)
 *   str VERSION_HEX CAP OBJECT_HEX
 *       → str STATUS UTF8_HEX|- (sg_pystring_to_utf8 into a CAP-byte buffer;
 *                                STATUS is the sg_pystring_status number)
 * Blank lines and lines starting with '#' are skipped; a request it cannot
 * parse answers "error ..." and the exit status becomes 1.
 *
 * Invariant: a test tool, not on any hot path, so it allocates freely; the
 * decoders it calls still only see exact-size buffers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/layout.h"
#include "collect/linetable.h"
#include "collect/pystring.h"

#define SG_DC_MAX_CAP (64u << 20)

static int sg_dc_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes hex text ("-" is empty) into a new exact-size buffer. Returns 0. */
static int sg_dc_unhex(const char *hex, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (strcmp(hex, "-") == 0)
        return 0;
    size_t n = strlen(hex);
    if (n % 2 != 0)
        return -1;
    uint8_t *buf = malloc(n / 2 ? n / 2 : 1);
    if (buf == NULL)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = sg_dc_hexval(hex[2 * i]), lo = sg_dc_hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(buf);
            return -1;
        }
        buf[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = buf;
    *len = n / 2;
    return 0;
}

static int sg_dc_parse_long(const char *s, long long min, long long max, long long *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || x < min || x > max)
        return -1;
    *v = x;
    return 0;
}

/* Splits the next space-separated field off *cursor. */
static char *sg_dc_field(char **cursor)
{
    return strtok_r(NULL, " \t", cursor);
}

static int sg_dc_layout(char **cursor)
{
    const char *v = sg_dc_field(cursor);
    long long version;
    if (v == NULL || sg_dc_parse_long(v, 0, UINT32_MAX, &version) != 0)
        return -1;
    const sg_layout *layout = sg_layout_for_version((uint32_t)version);
    if (layout == NULL)
        printf("layout none\n");
    else
        printf("layout %d\n", (int)layout->lines_format);
    return 0;
}

static int sg_dc_lines(char **cursor)
{
    const char *fmt = sg_dc_field(cursor), *first = sg_dc_field(cursor);
    const char *hex = sg_dc_field(cursor), *offsets = sg_dc_field(cursor);
    long long format, first_line;
    if (offsets == NULL || sg_dc_parse_long(fmt, INT32_MIN, INT32_MAX, &format) != 0 ||
        sg_dc_parse_long(first, INT32_MIN, INT32_MAX, &first_line) != 0)
        return -1;
    uint8_t *table;
    size_t len;
    if (sg_dc_unhex(hex, &table, &len) != 0)
        return -1;
    /* Validate every offset before printing anything. */
    char *copy = strdup(offsets), *save = NULL, *tok;
    int bad = copy == NULL;
    for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
        long long off;
        bad |= sg_dc_parse_long(tok, INT32_MIN, INT32_MAX, &off) != 0;
    }
    free(copy);
    if (bad) {
        free(table);
        return -1;
    }
    fputs("lines ", stdout);
    char *list = strdup(offsets);
    int firstout = 1;
    for (tok = list ? strtok_r(list, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
        long long off = 0; /* validated above: the parse cannot fail here */
        sg_dc_parse_long(tok, INT32_MIN, INT32_MAX, &off);
        int line = sg_linetable_line((int)format, table, len, (int)first_line, (int32_t)off);
        printf(firstout ? "%d" : ",%d", line);
        firstout = 0;
    }
    putchar('\n');
    free(list);
    free(table);
    return 0;
}

static int sg_dc_str(char **cursor)
{
    const char *v = sg_dc_field(cursor), *capv = sg_dc_field(cursor);
    const char *hex = sg_dc_field(cursor);
    long long version, cap;
    if (hex == NULL || sg_dc_parse_long(v, 0, UINT32_MAX, &version) != 0 ||
        sg_dc_parse_long(capv, 0, SG_DC_MAX_CAP, &cap) != 0)
        return -1;
    const sg_layout *layout = sg_layout_for_version((uint32_t)version);
    if (layout == NULL)
        return -1;
    uint8_t *obj;
    size_t len;
    if (sg_dc_unhex(hex, &obj, &len) != 0)
        return -1;
    char *out = malloc((size_t)cap ? (size_t)cap : 1);
    if (out == NULL) {
        free(obj);
        return -1;
    }
    size_t n = 0;
    int rc = sg_pystring_to_utf8(layout, obj, len, out, (size_t)cap, &n, NULL);
    printf("str %d ", rc);
    if (n == 0)
        putchar('-');
    for (size_t i = 0; i < n; i++)
        printf("%02x", (unsigned char)out[i]);
    putchar('\n');
    free(out);
    free(obj);
    return 0;
}

static int sg_dc_request(char *line)
{
    char *cursor = NULL;
    const char *verb = strtok_r(line, " \t", &cursor);
    if (verb == NULL || verb[0] == '#')
        return 0;
    int rc = -1;
    if (strcmp(verb, "layout") == 0)
        rc = sg_dc_layout(&cursor);
    else if (strcmp(verb, "lines") == 0)
        rc = sg_dc_lines(&cursor);
    else if (strcmp(verb, "str") == 0)
        rc = sg_dc_str(&cursor);
    if (rc != 0)
        printf("error cannot parse a '%s' request\n", verb);
    return rc;
}

int main(int argc, char **argv)
{
    FILE *in = stdin;
    if (argc > 2) {
        fprintf(stderr, "usage: sg-decode-check [FILE]\n");
        return 2;
    }
    if (argc == 2 && strcmp(argv[1], "-") != 0) {
        in = fopen(argv[1], "r");
        if (in == NULL) {
            fprintf(stderr, "sg-decode-check: cannot open %s: %s\n", argv[1], strerror(errno));
            return 2;
        }
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int status = 0;
    while ((got = getline(&line, &cap, in)) >= 0) {
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        if (sg_dc_request(line) != 0)
            status = 1;
    }
    free(line);
    if (in != stdin)
        fclose(in);
    return status;
}
