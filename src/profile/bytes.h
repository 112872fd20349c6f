/*
 * bytes.h — the byte-level encoding used inside .sgl chunks (internal):
 * a growable output buffer with LEB128 varint writers, and a bounded input
 * cursor whose readers fail instead of reading past the end.
 *
 * Varints are unsigned LEB128 (7 bits per byte, low group first, high bit
 * set on every byte but the last), at most 10 bytes for 64 bits. Signed
 * values are zigzag-mapped first (0, -1, 1, -2 ... → 0, 1, 2, 3 ...), so a
 * small delta of either sign takes one byte.
 *
 * Invariants:
 *   - sg_bytes_out: len <= cap; once a write fails (`failed` set) later
 *     writes do nothing, so an encoder checks once at the end.
 *   - sg_bytes_in: pos <= len always; a failed read sets `failed` and
 *     returns 0, and every later read fails too.
 */
#ifndef SG_PROFILE_BYTES_H
#define SG_PROFILE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct sg_bytes_out {
    unsigned char *data;
    size_t len;
    size_t cap;
    int failed; /* 0, or the status of the first failed growth */
} sg_bytes_out;

/* Make room for `extra` more bytes; sets `failed` and returns it on error. */
int sg_bytes_reserve(sg_bytes_out *b, size_t extra);
void sg_bytes_free(sg_bytes_out *b);

static inline void sg_bytes_put(sg_bytes_out *b, const void *data, size_t len)
{
    if (sg_bytes_reserve(b, len) != 0)
        return;
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
}

static inline void sg_bytes_put_u8(sg_bytes_out *b, uint8_t v)
{
    if (sg_bytes_reserve(b, 1) != 0)
        return;
    b->data[b->len++] = v;
}

/* Write without checking room: the caller reserved 10 bytes. */
static inline void sg_bytes_put_varint_unchecked(sg_bytes_out *b, uint64_t v)
{
    unsigned char *p = b->data + b->len;
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    b->len = (size_t)(p - b->data);
}

static inline void sg_bytes_put_varint(sg_bytes_out *b, uint64_t v)
{
    if (sg_bytes_reserve(b, 10) != 0)
        return;
    sg_bytes_put_varint_unchecked(b, v);
}

static inline uint64_t sg_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t sg_unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Little-endian fixed-width helpers for headers. */
static inline void sg_store_le16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static inline void sg_store_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint16_t sg_load_le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t sg_load_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

typedef struct sg_bytes_in {
    const unsigned char *data;
    size_t len;
    size_t pos;
    bool failed;
} sg_bytes_in;

static inline sg_bytes_in sg_bytes_in_make(const void *data, size_t len)
{
    return (sg_bytes_in){.data = data, .len = len, .pos = 0, .failed = false};
}

static inline size_t sg_bytes_left(const sg_bytes_in *in)
{
    return in->len - in->pos;
}

static inline uint8_t sg_bytes_get_u8(sg_bytes_in *in)
{
    if (in->failed || in->pos >= in->len) {
        in->failed = true;
        return 0;
    }
    return in->data[in->pos++];
}

/* A varint of at most 10 bytes whose value fits in 64 bits. */
static inline uint64_t sg_bytes_get_varint(sg_bytes_in *in)
{
    uint64_t v = 0;
    for (unsigned shift = 0; !in->failed && in->pos < in->len && shift < 64; shift += 7) {
        unsigned char byte = in->data[in->pos++];
        if (shift == 63 && byte > 1)
            break; /* more than 64 bits */
        v |= (uint64_t)(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0)
            return v;
    }
    in->failed = true;
    return 0;
}

/* A varint that must fit in 32 bits. */
static inline uint32_t sg_bytes_get_varint32(sg_bytes_in *in)
{
    uint64_t v = sg_bytes_get_varint(in);
    if (v > UINT32_MAX) {
        in->failed = true;
        return 0;
    }
    return (uint32_t)v;
}

/* A pointer to the next `len` bytes, or NULL (and failed) if fewer remain. */
static inline const unsigned char *sg_bytes_get_span(sg_bytes_in *in, size_t len)
{
    if (in->failed || len > in->len - in->pos) {
        in->failed = true;
        return NULL;
    }
    const unsigned char *p = in->data + in->pos;
    in->pos += len;
    return p;
}

#endif
