/*
 * marshal.h — the subset of Python's marshal format that pstats files use:
 * a reader that turns untrusted bytes into a small document of values, and
 * a writer for the same subset (internal to src/profile).
 *
 * What is read: dict, tuple (both forms), list, set and frozenset, str in
 * every encoding CPython writes (u, t, a, A, z, Z) and bytes (s), int (i),
 * 64-bit int (I), long (l), float (g binary, f text), complex (y, x; kept
 * as an opaque value), None, True, False, StopIteration and Ellipsis, and
 * references: FLAG_REF (0x80) on a type byte adds the object to the refs
 * table (a container before its items, so an item can name it) and `r`
 * names an earlier one. Code objects are read for their file name, name
 * and first line (the `profile` module puts one in a key when run as
 * `python -m profile`); their layout changed in 3.8 and 3.11 and the data
 * does not say which Python wrote it, so the first code object is tried
 * with each layout, newest first, and the one whose file name and name
 * come out as strings is kept for the whole file. Slices are refused.
 * Every format version that CPython 3.9 to 3.14 writes (4 and 5) reads the
 * same way.
 *
 * The document is flat: values live in one array and containers hold
 * indexes into a second array of items, so nothing is allocated per value
 * and freeing is two frees. A reference is the index of the value it names,
 * so the document is a graph (a container may even hold itself): code that
 * walks it must follow a fixed shape, never recurse on what it finds.
 *
 * Limits: the input is at most SG_MARSHAL_MAX_INPUT bytes; nesting is at
 * most SG_MARSHAL_MAX_DEPTH (the parser recurses, bounded by that); every
 * length is checked against the bytes left before anything is reserved, so
 * the document holds at most one value per input byte. Errors name the
 * byte offset and the problem.
 *
 * Ownership: sg_marshal_parse fills a document the caller releases with
 * sg_marshal_doc_free; strings in it point into the caller's input, which
 * must outlive the document.
 */
#ifndef SG_PROFILE_MARSHAL_H
#define SG_PROFILE_MARSHAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/bytes.h"

#define SG_MARSHAL_MAX_DEPTH 64
#define SG_MARSHAL_MAX_INPUT 0xffffffffu /* offsets and counts are 32-bit */

enum sg_marshal_type {
    SG_MARSHAL_NONE = 1,
    SG_MARSHAL_BOOL,   /* u.i is 0 or 1 */
    SG_MARSHAL_INT,    /* u.i */
    SG_MARSHAL_BIGINT, /* an int outside int64: no value kept */
    SG_MARSHAL_FLOAT,  /* u.f */
    SG_MARSHAL_STR,    /* u.pos: offset of its UTF-8 bytes in the input; len bytes */
    SG_MARSHAL_BYTES,  /* as STR, for bytes objects */
    SG_MARSHAL_TUPLE,  /* u.pos: first item index; len items */
    SG_MARSHAL_LIST,   /* as TUPLE */
    SG_MARSHAL_SET,    /* as TUPLE (set or frozenset) */
    SG_MARSHAL_DICT,   /* u.pos: first item index; len pairs (key, value) = 2*len items */
    SG_MARSHAL_CODE,   /* a code object: items are its file name, name and first line */
    SG_MARSHAL_OTHER,  /* complex, StopIteration, Ellipsis: kept only as a type */
};

typedef struct sg_marshal_value {
    uint8_t type;    /* enum sg_marshal_type */
    uint32_t len;    /* see the type */
    uint32_t offset; /* where the value starts in the input (its type byte) */
    union {
        int64_t i;
        double f;
        uint64_t pos;
    } u;
} sg_marshal_value;

typedef struct sg_marshal_doc {
    sg_marshal_value *values;
    uint32_t count, cap;
    uint32_t *items; /* container items, as value indexes */
    size_t item_count, item_cap;
    const uint8_t *data; /* the input */
    size_t len;
    uint32_t root; /* index of the top-level value */
} sg_marshal_doc;

/* Parse one marshalled object filling all of `data`. Returns
 * SG_PROFILE_OK, SG_PROFILE_EFORMAT (err: "offset N: ..."),
 * SG_PROFILE_ENOMEM or SG_PROFILE_ELIMIT. On failure doc is empty. */
int sg_marshal_parse(const uint8_t *data, size_t len, sg_marshal_doc *doc, char *err,
                     size_t errlen);
void sg_marshal_doc_free(sg_marshal_doc *doc);

static inline const sg_marshal_value *sg_marshal_get(const sg_marshal_doc *d, uint32_t index)
{
    return &d->values[index];
}

/* Item i of a tuple, list or set; for a dict, key i/2 (even i) or its value. */
static inline uint32_t sg_marshal_item(const sg_marshal_doc *d, const sg_marshal_value *v, size_t i)
{
    return d->items[v->u.pos + i];
}

/* The bytes of a STR or BYTES value. */
static inline const char *sg_marshal_text(const sg_marshal_doc *d, const sg_marshal_value *v)
{
    return (const char *)d->data + v->u.pos;
}

/* True if v is a number (int, bool or float); *out receives it as a double. */
bool sg_marshal_number(const sg_marshal_value *v, double *out);

/* A short name for a type ("tuple", "str"), for messages. */
const char *sg_marshal_type_name(uint8_t type);

/* ---- writing ---------------------------------------------------------- */

/*
 * The writer appends to a byte buffer (its `failed` field says whether any
 * write failed). Strings may be written with a reference slot: the first
 * write of a slot flags the string FLAG_REF and fills the slot, later
 * writes emit `r` + index, as CPython does for repeated strings; the
 * result reads back with marshal.load on every CPython since 3.4.
 */
typedef struct sg_marshal_writer {
    sg_bytes_out out;
    uint32_t refs; /* references handed out so far */
} sg_marshal_writer;

void sg_marshal_put_none(sg_marshal_writer *w);
void sg_marshal_put_bool(sg_marshal_writer *w, bool v);
void sg_marshal_put_int(sg_marshal_writer *w, int64_t v);
void sg_marshal_put_float(sg_marshal_writer *w, double v);
/* A str from UTF-8 bytes; invalid UTF-8 is written as U+FFFD so that
 * CPython can decode it. `slot` may be NULL (no reference); else *slot is 0
 * before the first write and holds the reference index + 1 after it. */
void sg_marshal_put_str(sg_marshal_writer *w, const char *s, size_t len, uint32_t *slot);
void sg_marshal_put_tuple(sg_marshal_writer *w, uint32_t n); /* then n values */
/* A tuple later values may refer to, as CPython writes a shared object (a
 * pstats key that is also a caller key): with *slot 0 it is written with
 * FLAG_REF, *slot gets its reference index + 1 and the call returns true
 * (then write its n values); with *slot set only the reference is written
 * and the call returns false (no values follow). */
bool sg_marshal_put_tuple_ref(sg_marshal_writer *w, uint32_t n, uint32_t *slot);
void sg_marshal_put_dict_begin(sg_marshal_writer *w); /* then key, value pairs */
void sg_marshal_put_dict_end(sg_marshal_writer *w);

#endif
