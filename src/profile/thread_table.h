/*
 * thread_table.h — the threads samples belong to: (OS thread id, name),
 * named by a dense uint32 index.
 *
 * The pair is the identity: a thread renamed while sampled becomes a second
 * row with the same tid, and rows are never updated, so the table can be
 * streamed append-only. A recorder that prefers one row per thread keeps
 * the first name.
 *
 * Invariants:
 *   - indexes are dense (0 .. count-1), in insertion order, never removed.
 *   - no two rows have the same (tid, name); name is a string id.
 *
 * Ownership: the table owns its columns; sg_threads_free releases them.
 * The struct is public for reading; only the functions below change it.
 */
#ifndef SG_PROFILE_THREAD_TABLE_H
#define SG_PROFILE_THREAD_TABLE_H

#include <stdint.h>

#define SG_THREAD_NONE UINT32_MAX /* an event that belongs to no thread */

typedef struct sg_threads {
    uint32_t count;
    uint32_t cap;
    uint64_t *tid;   /* OS thread id (Linux TID) */
    uint32_t *name;  /* string id of the thread's name ("" if unknown) */
    uint64_t *slots; /* open-addressing index: (hash << 32) | index, UINT64_MAX = empty */
    uint32_t slot_mask;
} sg_threads;

int sg_threads_init(sg_threads *t);
void sg_threads_free(sg_threads *t);

/* The index of (tid, name), adding the row if new. */
int sg_threads_intern(sg_threads *t, uint64_t tid, uint32_t name, uint32_t *index_out);

#endif
