/*
 * json_formats_main.c — sg-json-formats: converts between .sgl and the JSON
 * formats (speedscope, Chrome trace events, Firefox Profiler) with the
 * library's importers and exporters, and summarises what a file holds, for
 * tests/integration/test_json_formats.py (until `spyglass convert` exists).
 *
 *   sg-json-formats convert IN OUT --to FORMAT [--from FORMAT]
 *   sg-json-formats summary IN [--from FORMAT]
 *
 * FORMAT: sgl, speedscope, chrome (or chrome-trace), firefox (export only),
 * collapsed (export only). --from defaults to detecting sgl, speedscope or
 * chrome by content.
 * The summary is JSON: sample and weight totals, the weight unit, the
 * threads, and per function ("NAME FILE": frames that differ only in their
 * first line are one function) the self and total weight, where total
 * counts a function once per sample however often it recurses.
 *
 * Exit 0 on success, 1 with `error: MESSAGE` on stderr, 2 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/export_chrome_trace.h"
#include "profile/export_collapsed.h"
#include "profile/export_firefox.h"
#include "profile/export_speedscope.h"
#include "profile/import_chrome_trace.h"
#include "profile/import_speedscope.h"
#include "profile/json_out.h"
#include "profile/sgl.h"

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        unsigned char *bigger = realloc(buf, cap * 2);
        if (bigger == NULL) {
            free(buf);
            buf = NULL;
        }
        buf = bigger;
        cap *= 2;
    }
    fclose(f);
    *len = n;
    return buf;
}

static int load(const char *path, const char *from, sg_profile **p, char *err, size_t errlen)
{
    size_t len;
    unsigned char *data = read_all(path, &len);
    if (data == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc;
    if (from == NULL)
        from = sg_sgl_detect(data, len)            ? "sgl"
               : sg_detect_speedscope(data, len)   ? "speedscope"
               : sg_detect_chrome_trace(data, len) ? "chrome"
                                                   : "unknown";
    if (strcmp(from, "sgl") == 0)
        rc = sg_sgl_read_buffer(data, len, 0, p, NULL, err, errlen);
    else if (strcmp(from, "speedscope") == 0)
        rc = sg_import_speedscope(data, len, NULL, p, err, errlen);
    else if (strcmp(from, "chrome") == 0 || strcmp(from, "chrome-trace") == 0)
        rc = sg_import_chrome_trace(data, len, NULL, p, err, errlen);
    else {
        snprintf(err, errlen, "%s: format not recognised", path);
        rc = -1;
    }
    free(data);
    return rc;
}

static int save(const sg_profile *p, const char *path, const char *to, char *err, size_t errlen)
{
    if (strcmp(to, "sgl") == 0) {
        sg_sgl_writer *w;
        int rc = sg_sgl_writer_open(path, NULL, &w, err, errlen);
        if (rc == 0)
            rc = sg_sgl_writer_flush(w, p);
        int close_rc = sg_sgl_writer_close(w, p, err, errlen);
        return rc != 0 ? rc : close_rc;
    }
    FILE *out = fopen(path, "wb");
    if (out == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc;
    if (strcmp(to, "speedscope") == 0)
        rc = sg_export_speedscope(p, out, NULL, err, errlen);
    else if (strcmp(to, "chrome") == 0 || strcmp(to, "chrome-trace") == 0)
        rc = sg_export_chrome_trace(p, out, NULL, err, errlen);
    else if (strcmp(to, "firefox") == 0)
        rc = sg_export_firefox(p, out, NULL, err, errlen);
    else if (strcmp(to, "collapsed") == 0) {
        sg_collapsed_options opts = {.flags = SG_COLLAPSED_THREADS};
        rc = sg_export_collapsed(p, out, &opts);
        if (rc != 0)
            snprintf(err, errlen, "collapsed export: %s", sg_profile_strerror(rc));
    } else {
        snprintf(err, errlen, "unknown output format %s", to);
        rc = -1;
    }
    if (fclose(out) != 0 && rc == 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    return rc;
}

/* The function (name, file) of every frame, as an index into a list of
 * distinct pairs: frames that differ only in first line are one function. */
static uint32_t *function_of_frames(const sg_profile *p, uint32_t *nfuncs, uint32_t **first)
{
    uint32_t nf = p->frames.count;
    size_t size = 16;
    while (size < (size_t)nf * 2)
        size *= 2;
    uint64_t *keys = malloc(size * sizeof *keys);
    uint32_t *values = malloc(size * sizeof *values);
    uint32_t *of = malloc(((size_t)nf + 1) * sizeof *of);
    *first = malloc(((size_t)nf + 1) * sizeof **first);
    *nfuncs = 0;
    if (keys == NULL || values == NULL || of == NULL || *first == NULL) {
        fprintf(stderr, "error: out of memory\n");
        exit(1);
    }
    memset(keys, 0xff, size * sizeof *keys);
    for (uint32_t f = 0; f < nf; f++) {
        uint64_t key = (uint64_t)p->frames.rows[f].name << 32 | p->frames.rows[f].file;
        size_t j = (key * 0x9e3779b97f4a7c15ull >> 20) & (size - 1);
        while (keys[j] != UINT64_MAX && keys[j] != key)
            j = (j + 1) & (size - 1);
        if (keys[j] == UINT64_MAX) {
            keys[j] = key;
            values[j] = *nfuncs;
            (*first)[(*nfuncs)++] = f;
        }
        of[f] = values[j];
    }
    free(keys);
    free(values);
    return of;
}

/* Per function (name, file): self and total weight, where total counts a
 * function once per sample however often it recurses. */
static void print_summary(const sg_profile *p)
{
    uint32_t nfuncs, *first;
    uint32_t *func = function_of_frames(p, &nfuncs, &first);
    uint64_t *self = calloc((size_t)nfuncs + 1, sizeof *self);
    uint64_t *total = calloc((size_t)nfuncs + 1, sizeof *total);
    uint64_t *seen = calloc((size_t)nfuncs + 1, sizeof *seen); /* sample number + 1 */
    uint64_t weight = 0;
    for (size_t i = 0; i < p->samples.count; i++) {
        uint32_t w = p->samples.weight[i], stack = p->samples.stack[i];
        weight += w;
        if (stack == SG_STACK_NONE)
            continue;
        self[func[p->stacks.rows[stack].frame]] += w;
        for (uint32_t id = stack; id != SG_STACK_NONE; id = p->stacks.rows[id].parent) {
            uint32_t f = func[p->stacks.rows[id].frame];
            if (seen[f] != i + 1) {
                seen[f] = i + 1;
                total[f] += w;
            }
        }
    }
    printf("{\"samples\": %zu, \"total_weight\": %" PRIu64 ", \"weight_unit\": %u, "
           "\"interval_ns\": %" PRIu64 ", \"events\": %zu,\n \"threads\": [",
           p->samples.count, weight, p->meta.weight_unit, p->meta.interval_ns, p->events.count);
    for (uint32_t t = 0; t < p->threads.count; t++) {
        printf(t ? ", {\"tid\": %" PRIu64 ", \"name\": " : "{\"tid\": %" PRIu64 ", \"name\": ",
               p->threads.tid[t]);
        uint32_t name = p->threads.name[t];
        sg_json_write_string(stdout, sg_strings_get(&p->strings, name),
                             sg_strings_len(&p->strings, name));
        putchar('}');
    }
    printf("],\n \"functions\": {");
    bool first_entry = true;
    for (uint32_t k = 0; k < nfuncs; k++) {
        if (total[k] == 0)
            continue;
        const sg_frame *fr = &p->frames.rows[first[k]];
        size_t nl = sg_strings_len(&p->strings, fr->name);
        size_t fl = sg_strings_len(&p->strings, fr->file);
        char *key = malloc(nl + fl + 2);
        if (key == NULL)
            continue;
        memcpy(key, sg_strings_get(&p->strings, fr->name), nl);
        key[nl] = ' ';
        memcpy(key + nl + 1, sg_strings_get(&p->strings, fr->file), fl);
        printf(first_entry ? "\n  " : ",\n  ");
        first_entry = false;
        sg_json_write_string(stdout, key, nl + 1 + fl);
        printf(": [%" PRIu64 ", %" PRIu64 "]", self[k], total[k]);
        free(key);
    }
    printf("}}\n");
    free(func);
    free(first);
    free(self);
    free(total);
    free(seen);
}

static int usage(void)
{
    fprintf(stderr, "usage: sg-json-formats convert IN OUT --to FORMAT [--from FORMAT]\n"
                    "       sg-json-formats summary IN [--from FORMAT]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *files[2] = {NULL, NULL};
    int nfiles = 0;
    if (argc < 3)
        return usage();
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            from = argv[++i];
        else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
            to = argv[++i];
        else if (nfiles < 2)
            files[nfiles++] = argv[i];
        else
            return usage();
    }
    bool convert = strcmp(argv[1], "convert") == 0;
    if (convert ? (nfiles != 2 || to == NULL) : (strcmp(argv[1], "summary") != 0 || nfiles != 1))
        return usage();
    char err[1024] = "";
    sg_profile *p = NULL;
    if (load(files[0], from, &p, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s: %s\n", files[0], err);
        return 1;
    }
    int rc = 0;
    if (convert) {
        if (save(p, files[1], to, err, sizeof err) != 0) {
            fprintf(stderr, "error: %s: %s\n", files[1], err);
            rc = 1;
        }
    } else {
        print_summary(p);
    }
    sg_profile_free(p);
    return rc;
}
