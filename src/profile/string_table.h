/*
 * string_table.h — interned UTF-8 strings: each distinct byte string is
 * stored once and named by a dense uint32 id.
 *
 * Every other table refers to text by id (file names, function names, thread
 * names, labels), so comparing two names is comparing two integers, and a
 * file stores each string once.
 *
 * Invariants:
 *   - id 0 is the empty string, present from sg_strings_init on.
 *   - ids are dense (0 .. count-1), assigned in insertion order, never reused
 *     or removed. The byte arena may be reallocated by an intern call, so a
 *     pointer from sg_strings_get is valid only until the next intern.
 *   - Each stored string is followed by a NUL byte, so sg_strings_get can be
 *     printed with %s (a string holding a NUL byte is still stored whole;
 *     use sg_strings_len for its true length).
 *
 * Ownership: the table owns its arrays; sg_strings_free releases them.
 * The struct is public so readers can index the columns directly; only the
 * functions below may change it.
 */
#ifndef SG_PROFILE_STRING_TABLE_H
#define SG_PROFILE_STRING_TABLE_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sg_strings {
    uint32_t count;   /* number of strings (ids 0 .. count-1) */
    uint32_t cap;     /* rows allocated in offset/length/hash */
    uint64_t *offset; /* per id: where its bytes start in `bytes` */
    uint32_t *length; /* per id: its length in bytes (without the NUL) */
    uint32_t *hash;   /* per id: its hash, kept so growing the index never rehashes text */
    char *bytes;      /* all strings, each followed by NUL */
    size_t bytes_len; /* bytes used in `bytes` */
    size_t bytes_cap; /* bytes allocated in `bytes` */
    uint64_t *slots;  /* open-addressing index: (hash << 32) | id, UINT64_MAX = empty */
    uint32_t slot_mask;
} sg_strings;

/* Initialise an empty table holding only "" (id 0). */
int sg_strings_init(sg_strings *s);
void sg_strings_free(sg_strings *s);

/* The id of `len` bytes at `str`, adding them if new. */
int sg_strings_intern(sg_strings *s, const char *str, size_t len, uint32_t *id_out);
/* Same, for a NUL-terminated string. */
int sg_strings_intern_cstr(sg_strings *s, const char *str, uint32_t *id_out);
/* Look up without adding: 1 and *id_out if present, 0 if not. */
int sg_strings_find(const sg_strings *s, const char *str, size_t len, uint32_t *id_out);

/* The bytes of id (NUL-terminated); id must be < count. */
static inline const char *sg_strings_get(const sg_strings *s, uint32_t id)
{
    assert(id < s->count);
    return s->bytes + s->offset[id];
}

static inline uint32_t sg_strings_len(const sg_strings *s, uint32_t id)
{
    assert(id < s->count);
    return s->length[id];
}

#endif
