/*
 * jbuf.h — a growable byte buffer that answers are written into, with the
 * JSON pieces the server needs (escaped strings, integers, doubles).
 *
 * Why not json_out.h: that one writes to a stdio stream, one putc per byte;
 * a server answer is built in memory and handed to the HTTP library whole,
 * and the encoders here are on the hot path of every query.
 *
 * Strings always come out as valid JSON in valid UTF-8: profile text is
 * untrusted (a target's memory, an uploaded file), so a byte that does not
 * start a well-formed UTF-8 sequence is written as U+FFFD.
 *
 * Errors: an allocation failure sets `failed` and later appends do nothing,
 * so a writer checks once at the end (sg_jbuf_failed), like ferror().
 *
 * Ownership: the buffer owns `data`; sg_jbuf_free releases it, and
 * sg_jbuf_take hands it (NUL-terminated) to the caller, who frees it.
 */
#ifndef SG_SERVE_JBUF_H
#define SG_SERVE_JBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct sg_jbuf {
    char *data;
    size_t len, cap;
    bool failed;
} sg_jbuf;

void sg_jbuf_init(sg_jbuf *b);
void sg_jbuf_free(sg_jbuf *b);
/* The bytes (NUL-terminated), now the caller's; the buffer is left empty.
 * NULL when an append failed. */
char *sg_jbuf_take(sg_jbuf *b, size_t *len);
static inline bool sg_jbuf_failed(const sg_jbuf *b)
{
    return b->failed;
}

void sg_jbuf_add(sg_jbuf *b, const void *bytes, size_t n);
/* Room for n more bytes now (one allocation before a large answer instead
 * of a doubling series); false (and failed) when out of memory. */
bool sg_jbuf_reserve(sg_jbuf *b, size_t n);
void sg_jbuf_puts(sg_jbuf *b, const char *s);
void sg_jbuf_char(sg_jbuf *b, char c);
void sg_jbuf_printf(sg_jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A quoted, escaped JSON string of `n` bytes (sg_jbuf_str: NUL-terminated;
 * NULL writes null). */
void sg_jbuf_strn(sg_jbuf *b, const char *s, size_t n);
void sg_jbuf_str(sg_jbuf *b, const char *s);
void sg_jbuf_u64(sg_jbuf *b, uint64_t v);
/* v in decimal, after sg_jbuf_reserve made room for SG_JBUF_U64_MAX bytes
 * per number: the loop of a large column without a check per number. It
 * may write bytes after the number, within that room, and leaves no NUL:
 * the caller writes data[len] = '\0' after its loop.
 *
 * Why it looks like this: the numbers of a column (pixel columns, depths,
 * frame ids, counts) have 1 to 5 digits in no order, so a copy of "as many
 * digits as there are" mispredicts its length on every number. Below 10^8
 * the digits are laid out in a register as 8 characters with leading
 * zeros, shifted past those zeros and written by one 8-byte store (in a
 * register: built in memory, the 8-byte read of 2-byte writes would stall
 * on store forwarding); the digit count is a sum of comparisons. */
#define SG_JBUF_U64_MAX 21 /* 20 digits and a separator */
/* The same at o (room as above), returning the end of the number: a loop
 * that keeps its output pointer in a register (writing through b->data
 * makes the compiler reload b after every character stored). */
static inline char *sg_jbuf_u64_put(char *o, uint64_t v)
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324252627282930"
                                   "31323334353637383940414243444546474849505152535455565758596061"
                                   "62636465666768697071727374757677787980818283848586878889909192"
                                   "93949596979899";
    unsigned n = 1u + (v >= 10) + (v >= 100) + (v >= 1000) + (v >= 10000); /* no branch */
    for (uint64_t p = 100000; n < 20 && v >= p; p *= 10)
        n++;
    char *e = o + n; /* digits written from the last, straight into place */
    while (v >= 100) {
        e -= 2;
        memcpy(e, pairs + v % 100 * 2, 2);
        v /= 100;
    }
    if (v >= 10)
        memcpy(e - 2, pairs + v * 2, 2);
    else
        e[-1] = (char)('0' + v);
    return o + n;
}
static inline void sg_jbuf_u64_reserved(sg_jbuf *b, uint64_t v)
{
    b->len = (size_t)(sg_jbuf_u64_put(b->data + b->len, v) - b->data);
}
void sg_jbuf_i64(sg_jbuf *b, int64_t v);
/* A finite double with up to 6 significant decimals; NaN and inf as 0. */
void sg_jbuf_double(sg_jbuf *b, double v);
void sg_jbuf_bool(sg_jbuf *b, bool v);
/* `"key":` — key is a literal the caller knows needs no escape. */
void sg_jbuf_key(sg_jbuf *b, const char *key);

#endif
