/*
 * json_out.c — escaped JSON strings and exact decimals (see json_out.h).
 *
 * Strings are copied through a small stack buffer and written with fwrite
 * in blocks, because exporters write millions of short names and one
 * fputc per byte would dominate their run time.
 */
#include "profile/json_out.h"

#include <inttypes.h>
#include <string.h>

typedef struct out_buffer {
    FILE *out;
    size_t len;
    char data[512];
} out_buffer;

static void flush_buffer(out_buffer *b)
{
    if (b->len > 0)
        fwrite(b->data, 1, b->len, b->out);
    b->len = 0;
}

static void put_bytes(out_buffer *b, const char *bytes, size_t n)
{
    if (b->len + n > sizeof b->data)
        flush_buffer(b);
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
}

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0 if the bytes
 * there are not one (overlong forms, surrogates and values past U+10FFFF
 * included, as RFC 3629 says). */
static size_t utf8_sequence(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (left < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

void sg_json_write_string(FILE *out, const char *text, size_t len)
{
    out_buffer b = {.out = out, .len = 0};
    const unsigned char *s = (const unsigned char *)text;
    put_bytes(&b, "\"", 1);
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            put_bytes(&b, esc, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put_bytes(&b, esc, 6);
            i++;
        } else {
            size_t n = utf8_sequence(s + i, len - i);
            if (n == 0) {
                put_bytes(&b, "\xef\xbf\xbd", 3); /* U+FFFD for one bad byte */
                i++;
            } else {
                put_bytes(&b, (const char *)s + i, n);
                i += n;
            }
        }
    }
    put_bytes(&b, "\"", 1);
    flush_buffer(&b);
}

void sg_json_write_decimal(FILE *out, uint64_t value, unsigned scale)
{
    static const uint64_t pow10[] = {1,      10,      100,      1000,      10000,
                                     100000, 1000000, 10000000, 100000000, 1000000000};
    if (scale > 9)
        scale = 9;
    uint64_t whole = value / pow10[scale], frac = value % pow10[scale];
    if (frac == 0) {
        fprintf(out, "%" PRIu64, whole);
        return;
    }
    unsigned digits = scale;
    while (frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    fprintf(out, "%" PRIu64 ".%0*" PRIu64, whole, (int)digits, frac);
}
