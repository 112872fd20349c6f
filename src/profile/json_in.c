/*
 * json_in.c — a cursor over a JSON buffer that walks containers itself and
 * parses single elements with jansson (see json_in.h).
 *
 * jansson is called with JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY so it
 * stops after one value and reports in error.position how many bytes it
 * used; the cursor then resumes after them. Its positions are ints, so the
 * cursor hands it at most INT_MAX bytes at a time: one element of a profile
 * is never near that, and a longer one is reported, not misread.
 */
#include "profile/json_in.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "profile/status.h"

void sg_json_in_init(sg_json_in *in, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    *in = (sg_json_in){.data = (const char *)data, .len = len, .err = err, .errlen = errlen};
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        in->pos = 3;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
}

static void line_and_column(const sg_json_in *in, size_t at, size_t *line, size_t *column)
{
    size_t l = 1, line_start = 0;
    for (size_t i = 0; i < at && i < in->len; i++)
        if (in->data[i] == '\n') {
            l++;
            line_start = i + 1;
        }
    *line = l;
    *column = at - line_start + 1;
}

static int vfail(sg_json_in *in, size_t at, bool eof, int status, const char *fmt, va_list ap)
{
    if (in->status != 0)
        return in->status;
    in->status = status;
    in->eof = eof;
    if (in->err != NULL && in->errlen > 0) {
        size_t line, column;
        line_and_column(in, at, &line, &column);
        int n =
            snprintf(in->err, in->errlen, "offset %zu (line %zu, column %zu): ", at, line, column);
        if (n >= 0 && (size_t)n < in->errlen)
            vsnprintf(in->err + n, in->errlen - (size_t)n, fmt, ap);
    }
    return status;
}

int sg_json_in_fail(sg_json_in *in, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(in, in->pos, in->pos >= in->len, status, fmt, ap);
    va_end(ap);
    return rc;
}

int sg_json_in_fail_at(sg_json_in *in, size_t at, bool eof, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(in, at, eof, status, fmt, ap);
    va_end(ap);
    return rc;
}

int sg_json_in_peek(sg_json_in *in)
{
    if (in->status != 0)
        return -1;
    while (in->pos < in->len) {
        char c = in->data[in->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return (unsigned char)c;
        in->pos++;
    }
    return -1;
}

static const char *describe(int c)
{
    static const char *const names[] = {"end of input", "'{'", "'['",  "'}'",         "']'",
                                        "','",          "':'", "'\"'", "another byte"};
    switch (c) {
    case -1:
        return names[0];
    case '{':
        return names[1];
    case '[':
        return names[2];
    case '}':
        return names[3];
    case ']':
        return names[4];
    case ',':
        return names[5];
    case ':':
        return names[6];
    case '"':
        return names[7];
    default:
        return names[8];
    }
}

int sg_json_in_enter(sg_json_in *in, char open, const char *path)
{
    int c = sg_json_in_peek(in);
    if (in->status != 0)
        return in->status;
    if (c != open)
        return sg_json_in_fail(in, SG_PROFILE_EFORMAT, "%s: expected %s, found %s", path,
                               open == '{' ? "an object" : "an array", describe(c));
    in->pos++;
    return SG_PROFILE_OK;
}

int sg_json_in_next(sg_json_in *in, char close, size_t *count, const char *path)
{
    int c = sg_json_in_peek(in);
    if (in->status != 0)
        return in->status;
    if (c == close) {
        in->pos++;
        return 0;
    }
    if (*count > 0) {
        if (c != ',')
            return sg_json_in_fail(in, SG_PROFILE_EFORMAT, "%s: expected ',' or '%c', found %s",
                                   path, close, describe(c));
        in->pos++;
        c = sg_json_in_peek(in);
    }
    if (c == -1)
        return sg_json_in_fail(in, SG_PROFILE_EFORMAT, "%s: input ends before '%c'", path, close);
    (*count)++;
    return 1;
}

void sg_json_in_element_path(char *dst, size_t cap, const char *path, size_t index)
{
    int n = snprintf(dst, cap, "%s[%zu]", path, index);
    if (n >= 0 && (size_t)n >= cap && cap > 4)
        memcpy(dst + cap - 4, "...", 4);
}

json_t *sg_json_in_value(sg_json_in *in, const char *path)
{
    if (sg_json_in_peek(in) == -1) {
        if (in->status == 0)
            sg_json_in_fail(in, SG_PROFILE_EFORMAT, "%s: input ends before a value", path);
        return NULL;
    }
    size_t left = in->len - in->pos;
    size_t chunk = left > INT_MAX ? INT_MAX : left;
    json_error_t e;
    json_t *v = json_loadb(in->data + in->pos, chunk,
                           JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &e);
    if (v == NULL) {
        size_t at = in->pos + (e.position > 0 ? (size_t)e.position : 0);
        sg_json_in_fail_at(in, at, at >= in->len, SG_PROFILE_EFORMAT, "%s: %s", path, e.text);
        return NULL;
    }
    in->pos += (size_t)e.position;
    return v;
}

int sg_json_in_key(sg_json_in *in, char *buf, size_t buflen, const char *path)
{
    int c = sg_json_in_peek(in);
    if (in->status != 0)
        return in->status;
    if (c != '"')
        return sg_json_in_fail(in, SG_PROFILE_EFORMAT, "%s: expected a key string, found %s", path,
                               describe(c));
    json_t *key = sg_json_in_value(in, path);
    if (key == NULL)
        return in->status;
    size_t n = json_string_length(key);
    if (n < buflen) {
        memcpy(buf, json_string_value(key), n);
        buf[n] = '\0';
    } else if (buflen > 0) {
        buf[0] = '\0';
    }
    json_decref(key);
    c = sg_json_in_peek(in);
    if (c != ':')
        return sg_json_in_fail(in, SG_PROFILE_EFORMAT, "%s: expected ':' after a key, found %s",
                               path, describe(c));
    in->pos++;
    return SG_PROFILE_OK;
}

/* A byte that ends a bare token (number, true, false, null). NUL counts,
 * so a NUL byte stops a token and is then refused as a value. */
static bool is_delimiter(char c)
{
    switch (c) {
    case ' ':
    case '\t':
    case '\r':
    case '\n':
    case ',':
    case ':':
    case ']':
    case '}':
    case '[':
    case '{':
    case '"':
    case '\0':
        return true;
    default:
        return false;
    }
}

/* Step over a string whose opening quote is at in->pos. */
static int skip_string(sg_json_in *in, const char *path)
{
    size_t start = in->pos++;
    while (in->pos < in->len) {
        char c = in->data[in->pos++];
        if (c == '\\')
            in->pos++;
        else if (c == '"')
            return SG_PROFILE_OK;
    }
    in->pos = in->len;
    return sg_json_in_fail_at(in, start, true, SG_PROFILE_EFORMAT, "%s: unterminated string", path);
}

int sg_json_in_skip(sg_json_in *in, const char *path)
{
    size_t depth = 0;
    size_t start = in->pos;
    do {
        int c = sg_json_in_peek(in);
        if (in->status != 0)
            return in->status;
        if (c == -1)
            return sg_json_in_fail_at(in, in->len, true, SG_PROFILE_EFORMAT,
                                      "%s: input ends inside the value at offset %zu", path, start);
        if (c == '"') {
            if (skip_string(in, path) != 0)
                return in->status;
        } else if (c == '{' || c == '[') {
            depth++;
            in->pos++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return sg_json_in_fail(in, SG_PROFILE_EFORMAT, "%s: expected a value, found %s",
                                       path, describe(c));
            depth--;
            in->pos++;
        } else if (c == ',' || c == ':') {
            if (depth == 0)
                return sg_json_in_fail(in, SG_PROFILE_EFORMAT, "%s: expected a value, found %s",
                                       path, describe(c));
            in->pos++;
        } else {
            /* a number, true, false or null: up to the next delimiter */
            size_t from = in->pos;
            while (in->pos < in->len && !is_delimiter(in->data[in->pos]))
                in->pos++;
            if (in->pos == from)
                return sg_json_in_fail(in, SG_PROFILE_EFORMAT, "%s: unexpected byte", path);
        }
    } while (depth > 0);
    return SG_PROFILE_OK;
}
