/*
 * tlpool.h — timeline query scratch (sg_tl, analyze/timeline.h) recycled
 * between requests.
 *
 * Why: a timeline pan lays each thread out into an sg_tl whose arrays (the
 * runs and frames of a thread: up to megabytes on 10M samples) were
 * allocated, touched and unmapped again on every request. A scratch given
 * back here keeps its arrays, so the next pan writes into pages already
 * touched (sg_tl_query_part reuses an sg_tl's arrays by design).
 *
 * Bounds: at most `keep` scratches are held, each of at most max_bytes of
 * arrays (a larger one, left by a rare huge query, is freed on return),
 * max_total bytes in all.
 *
 * Thread safety: one mutex, held only to push or pop a pointer.
 * Ownership: sg_tlpool_take hands a scratch to the caller until
 * sg_tlpool_put; sg_tlpool_free frees those held (none may be out).
 */
#ifndef SG_SERVE_TLPOOL_H
#define SG_SERVE_TLPOOL_H

#include <stddef.h>

#include "analyze/timeline.h"

typedef struct sg_tlpool sg_tlpool;

/* NULL: out of memory. */
sg_tlpool *sg_tlpool_new(size_t keep, size_t max_bytes, size_t max_total);
void sg_tlpool_free(sg_tlpool *p);

/* A scratch to fill with sg_tl_query_part: a held one (its arrays kept) or
 * a new zeroed one; NULL when out of memory. p may be NULL (a new one). */
sg_tl *sg_tlpool_take(sg_tlpool *p);
/* t back (may be NULL): kept when there is room, else freed. p may be
 * NULL (freed). */
void sg_tlpool_put(sg_tlpool *p, sg_tl *t);

/* The bytes t's arrays hold. */
size_t sg_tlpool_scratch_bytes(const sg_tl *t);
/* The bytes of arrays the pool holds now (at most max_total; scratches
 * out with a request are their request's, not counted). */
size_t sg_tlpool_bytes(sg_tlpool *p);

#endif
