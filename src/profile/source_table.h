/*
 * source_table.h — the text of source files, embedded so a viewer can show
 * line heat without the original tree.
 *
 * Invariants:
 *   - at most one entry per file (a string id); entries keep insertion order.
 *   - total_bytes (the sum of all text lengths) never exceeds cap_bytes:
 *     an add that would cross the cap is refused with SG_PROFILE_ELIMIT and
 *     changes nothing, so a program with a huge tree cannot bloat a profile.
 *
 * Ownership: the table owns copies of the texts; sg_sources_free frees them.
 * The struct is public for reading; only the functions below change it.
 */
#ifndef SG_PROFILE_SOURCE_TABLE_H
#define SG_PROFILE_SOURCE_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define SG_SOURCES_DEFAULT_CAP (32u << 20) /* 32 MiB of text per profile */

typedef struct sg_sources {
    uint32_t count;
    uint32_t cap;
    uint32_t *file; /* string id of the file name */
    char **text;    /* owned copies, NUL-terminated */
    size_t *length; /* text length in bytes (without the NUL) */
    size_t total_bytes;
    size_t cap_bytes; /* limit on total_bytes; SG_SOURCES_DEFAULT_CAP after init */
} sg_sources;

void sg_sources_init(sg_sources *s);
void sg_sources_free(sg_sources *s);

/* Copy `len` bytes of text for `file`. Adding a file already present is a
 * no-op returning SG_PROFILE_OK (the first text wins). */
int sg_sources_add(sg_sources *s, uint32_t file, const char *text, size_t len);

/* The entry index for `file`, or -1 if it has no text. Linear: sources are few. */
long sg_sources_find(const sg_sources *s, uint32_t file);

#endif
