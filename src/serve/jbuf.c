/*
 * jbuf.c — the growable answer buffer and its JSON encoders (jbuf.h).
 *
 * Invariant: data[len] is always a NUL once data is allocated (room for it
 * is kept), so sg_jbuf_take needs no copy.
 */
#include "serve/jbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sg_jbuf_init(sg_jbuf *b)
{
    memset(b, 0, sizeof *b);
}

void sg_jbuf_free(sg_jbuf *b)
{
    free(b->data);
    sg_jbuf_init(b);
}

char *sg_jbuf_take(sg_jbuf *b, size_t *len)
{
    if (b->failed || (b->data == NULL && (sg_jbuf_add(b, "", 0), b->failed))) {
        sg_jbuf_free(b);
        return NULL;
    }
    char *d = b->data;
    if (len != NULL)
        *len = b->len;
    sg_jbuf_init(b);
    return d;
}

/* Room for n more bytes plus the NUL. */
static bool reserve(sg_jbuf *b, size_t n)
{
    if (b->failed)
        return false;
    if (b->len + n + 1 <= b->cap && b->data != NULL)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *d = realloc(b->data, cap);
    if (d == NULL) {
        b->failed = true;
        return false;
    }
    b->data = d;
    b->cap = cap;
    return true;
}

void sg_jbuf_add(sg_jbuf *b, const void *bytes, size_t n)
{
    if (!reserve(b, n))
        return;
    if (n > 0)
        memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0';
}

bool sg_jbuf_reserve(sg_jbuf *b, size_t n)
{
    return reserve(b, n);
}

void sg_jbuf_puts(sg_jbuf *b, const char *s)
{
    sg_jbuf_add(b, s, strlen(s));
}

void sg_jbuf_char(sg_jbuf *b, char c)
{
    if (!reserve(b, 1))
        return;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void sg_jbuf_printf(sg_jbuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        sg_jbuf_add(b, small, (size_t)n);
        return;
    }
    if (!reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

void sg_jbuf_strn(sg_jbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    /* worst case 6 bytes per input byte, plus the quotes */
    if (n > (SIZE_MAX - 3) / 6 || !reserve(b, n * 6 + 2))
        return;
    char *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *o++ = (char)c;
            i++;
        } else if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
            i++;
        } else if (c < 0x20) {
            *o++ = '\\';
            switch (c) {
            case '\n':
                *o++ = 'n';
                break;
            case '\t':
                *o++ = 't';
                break;
            case '\r':
                *o++ = 'r';
                break;
            default:
                *o++ = 'u';
                *o++ = '0';
                *o++ = '0';
                *o++ = hex[c >> 4];
                *o++ = hex[c & 15];
            }
            i++;
        } else {
            size_t k = utf8_len(u + i, n - i);
            if (k == 0) { /* U+FFFD, 3 bytes: fits in the 6 reserved */
                *o++ = (char)0xEF;
                *o++ = (char)0xBF;
                *o++ = (char)0xBD;
                i++;
            } else {
                memcpy(o, u + i, k);
                o += k;
                i += k;
            }
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
}

void sg_jbuf_str(sg_jbuf *b, const char *s)
{
    if (s == NULL)
        sg_jbuf_add(b, "null", 4);
    else
        sg_jbuf_strn(b, s, strlen(s));
}

void sg_jbuf_u64(sg_jbuf *b, uint64_t v)
{
    if (!reserve(b, SG_JBUF_U64_MAX))
        return;
    sg_jbuf_u64_reserved(b, v);
    b->data[b->len] = '\0';
}

void sg_jbuf_i64(sg_jbuf *b, int64_t v)
{
    if (v < 0) {
        sg_jbuf_char(b, '-');
        sg_jbuf_u64(b, (uint64_t)0 - (uint64_t)v);
    } else
        sg_jbuf_u64(b, (uint64_t)v);
}

void sg_jbuf_double(sg_jbuf *b, double v)
{
    if (!isfinite(v))
        v = 0;
    char tmp[40];
    int n = snprintf(tmp, sizeof tmp, "%.6g", v);
    /* %g may write "1e-07": valid JSON; never "inf"/"nan" (checked above) */
    sg_jbuf_add(b, tmp, (size_t)n);
}

void sg_jbuf_bool(sg_jbuf *b, bool v)
{
    if (v)
        sg_jbuf_add(b, "true", 4);
    else
        sg_jbuf_add(b, "false", 5);
}

void sg_jbuf_key(sg_jbuf *b, const char *key)
{
    sg_jbuf_char(b, '"');
    sg_jbuf_puts(b, key);
    sg_jbuf_add(b, "\":", 2);
}
