/*
 * pystring.h — a CPython str (PEP 393 unicode object) copied out of the
 * target, turned into UTF-8.
 *
 * Two steps, because the sampler copies in two steps: sg_pystring_locate
 * reads the header (length, kind, compact/ascii flags) and says where the
 * characters are — inside the object right after the header for compact
 * strings, or behind the data pointer for the rare non-compact ones — and
 * sg_pystring_transcode turns `length` characters of one kind into UTF-8.
 * sg_pystring_to_utf8 does both for a compact string already copied whole.
 *
 * Invariants:
 *   - Pure and hot-path safe: no allocation, no globals, no I/O. Output goes
 *     to a caller buffer of `cap` bytes and is always NUL-terminated when
 *     cap > 0; it is cut only at a code point boundary.
 *   - The object is untrusted: every field is read with memcpy inside the
 *     given length (any alignment), a length above SG_PYSTRING_MAX_CHARS or
 *     below zero is refused, and a kind other than 1, 2 or 4 is refused (this
 *     includes 3.9-3.11's not-ready legacy strings, kind 0).
 *   - Kind 1 is Latin-1, not ASCII: 0x80-0xFF become two UTF-8 bytes. Every
 *     surrogate (PEP 393 never pairs them: each is its own code point) and
 *     every value above U+10FFFF becomes U+FFFD, so the output is always
 *     valid UTF-8.
 *   - Data is in the host's byte order: the target runs on the same machine.
 */
#ifndef SG_COLLECT_PYSTRING_H
#define SG_COLLECT_PYSTRING_H

#include <stddef.h>
#include <stdint.h>

#include "collect/layout.h"

/* Longest str we agree to decode (code names, qualnames, file paths). */
#define SG_PYSTRING_MAX_CHARS (1u << 20)

/* Worst-case UTF-8 bytes for n characters (plus the NUL): 4 per character. */
#define SG_PYSTRING_UTF8_MAX(n) ((size_t)(n)*4u + 1u)

enum sg_pystring_status {
    SG_PYSTRING_OK = 0,
    SG_PYSTRING_TRUNCATED = 1,   /* output cut at `cap`, at a code point boundary */
    SG_PYSTRING_ESHORT = -1,     /* the buffer does not hold what was asked */
    SG_PYSTRING_EKIND = -2,      /* kind not 1/2/4, or ascii flag with kind != 1 */
    SG_PYSTRING_ELENGTH = -3,    /* negative or above SG_PYSTRING_MAX_CHARS */
    SG_PYSTRING_ENOTCOMPACT = -4 /* characters live at data_addr, not in the object */
};

/* Where a string's characters are, from its header. */
typedef struct sg_pystring_loc {
    int kind;           /* bytes per character: 1, 2 or 4 */
    int ascii;          /* state.ascii: every character < 0x80 */
    int compact;        /* state.compact: characters follow the header */
    size_t length;      /* characters (<= SG_PYSTRING_MAX_CHARS) */
    size_t data_size;   /* length * kind: bytes of character data */
    size_t data_offset; /* compact: first character's offset in the object; else 0 */
    uint64_t data_addr; /* non-compact: target address of the characters; else 0 */
} sg_pystring_loc;

/* Reads the header of the str at obj[0..obj_len) under `layout`. Needs
 * obj_len >= layout->unicode_ascii_size for a compact ASCII string and
 * >= unicode_compact_size (or past data.any) otherwise. Returns SG_PYSTRING_OK
 * and fills *loc, or a negative status. */
int sg_pystring_locate(const sg_layout *layout, const uint8_t *obj, size_t obj_len,
                       sg_pystring_loc *loc);

/* Transcodes `length` characters of `kind` (1, 2, 4) from data[0..data_len)
 * into out[0..cap) as NUL-terminated UTF-8; *out_len (may be NULL) receives
 * the bytes written, without the NUL. Returns SG_PYSTRING_OK,
 * SG_PYSTRING_TRUNCATED, SG_PYSTRING_EKIND, SG_PYSTRING_ELENGTH, or
 * SG_PYSTRING_ESHORT when data_len < length * kind. With cap == 0 nothing is
 * written and the result is TRUNCATED unless length == 0. */
int sg_pystring_transcode(int kind, const uint8_t *data, size_t data_len, size_t length, char *out,
                          size_t cap, size_t *out_len);

/* Locate + transcode for a compact string copied whole into obj[0..obj_len).
 * Returns as sg_pystring_transcode, or SG_PYSTRING_ENOTCOMPACT (read
 * loc.data_size bytes at loc.data_addr and call sg_pystring_transcode), or
 * SG_PYSTRING_ESHORT when the copy stops before the last character (copy
 * loc.data_offset + loc.data_size bytes and call again). `loc` may be NULL. */
int sg_pystring_to_utf8(const sg_layout *layout, const uint8_t *obj, size_t obj_len, char *out,
                        size_t cap, size_t *out_len, sg_pystring_loc *loc);

#endif
