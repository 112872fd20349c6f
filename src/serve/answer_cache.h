/*
 * answer_cache.h — encoded answers (the JSON bytes of a 200) per
 * (profile, normalized query), in a least-recently-used table bounded by
 * bytes, with single flight: concurrent requests for the same key wait for
 * the one computation instead of repeating it.
 *
 * Why it is right: a stored profile never changes, so the answer to the
 * same question stays right for as long as the profile exists. The one
 * exception, a live profile that grows, and a deleted profile are dropped
 * by sg_acache_drop_profile, which also marks computations in flight for
 * that profile stale: their answers still go to the requests that asked
 * before the change, but are never stored.
 *
 * The life of a request:
 *   sg_acache_begin(key) →
 *     SG_ACACHE_HIT:     *answer is the stored answer, referenced;
 *     SG_ACACHE_COMPUTE: no one has it: compute it, then sg_acache_finish
 *                        with the answer (any status; only 200s are kept);
 *                        requests that came meanwhile get the same answer.
 *   Either way the caller releases its answer (sg_answer_release) when
 *   the response no longer needs the bytes.
 *
 * Byte accounting is honest: a stored answer counts its bytes, its gzip
 * copy once made, its key, and the table's own structures, allocator
 * overhead included; the table never holds more than max_bytes (an answer
 * larger than a quarter of it is answered but not kept).
 *
 * Large answers are kept from their second computation on: an answer of
 * SG_ACACHE_ONCE_BYTES or more whose key was not computed before is
 * answered (to its waiters too) but only its key's hash is remembered, in
 * a small direct-mapped table. Why: every timeline pan is a new window of
 * megabytes that is rarely asked again; kept, each one would hold fresh
 * pages and push out answers that are asked again. Its buffer goes back to
 * the answer's pool instead (bufpool.h). A question asked twice (the full
 * timeline every viewer opens with) is kept as before.
 *
 * Content coding: sg_acache_gzip gives an answer's gzip bytes, compressed
 * once by the first request that wants them (others wait for that one
 * compression) and kept with the answer for as long as it lives.
 *
 * Thread safety: one mutex around the table, held only for lookups and
 * links, never while computing or copying answers.
 * Ownership: the cache owns the answers it stores; each reference handed
 * out is released once by its holder.
 */
#ifndef SG_SERVE_ANSWER_CACHE_H
#define SG_SERVE_ANSWER_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/ids.h"

struct acache_entry;

/* An immutable answer, shared by reference (the cache, each response). */
typedef struct sg_answer {
    int refs;   /* atomic */
    int status; /* HTTP status */
    size_t len;
    char *data; /* len bytes, then a NUL; owned */
    /* Under the cache's lock (read gz through sg_acache_gzip): */
    char *gz; /* its gzip copy (gz_len bytes), owned; NULL until made */
    size_t gz_len;
    bool gz_busy, gz_none;     /* being compressed; will not be (too small, no gain) */
    struct acache_entry *home; /* the entry storing it, while stored */
    struct sg_bufpool *pool;   /* set once before sharing: data goes back there, or NULL */
    unsigned served;           /* atomic: responses made from it so far (http.c) */
} sg_answer;

/* A new answer holding a copy of len bytes, one reference; NULL: no memory. */
sg_answer *sg_answer_new(int status, const char *data, size_t len);
/* A new answer taking ownership of data (malloc'd, len bytes and a NUL):
 * no copy of a large answer. NULL (data freed): no memory. */
sg_answer *sg_answer_adopt(int status, char *data, size_t len);
void sg_answer_ref(sg_answer *a);
void sg_answer_release(sg_answer *a);

typedef struct sg_acache sg_acache;
typedef struct sg_flight sg_flight;

enum { SG_ACACHE_HIT = 0, SG_ACACHE_COMPUTE = 1 };

#define SG_ACACHE_ONCE_BYTES ((size_t)1 << 20)
#define SG_ACACHE_ONCE_SLOTS 4096

typedef struct sg_acache_stats {
    uint64_t hits, misses, waits; /* waits: requests that joined a flight */
    uint64_t once;                /* large answers not kept: computed for the first time */
    size_t bytes, entries, max_bytes;
} sg_acache_stats;

/* max_bytes = 0 keeps nothing (single flight still works). */
sg_acache *sg_acache_new(size_t max_bytes);
void sg_acache_free(sg_acache *c);

/*
 * Look key up (keylen bytes, any bytes). ids: the profiles the answer is
 * derived from (one, or two for a diff; id2 may be NULL). Returns
 * SG_ACACHE_HIT with *answer, or SG_ACACHE_COMPUTE with *flight (the caller
 * must call sg_acache_finish exactly once), or -1 when out of memory (the
 * caller computes without the cache). Waits while another request computes
 * the same key.
 */
int sg_acache_begin(sg_acache *c, const char *key, size_t keylen, const char *id1, const char *id2,
                    sg_answer **answer, sg_flight **flight);
/* The computation of flight is done: answer (referenced by the caller,
 * who keeps its reference) goes to the waiters and, when its status is 200
 * and the flight is not stale, into the table. answer NULL: the waiters
 * compute for themselves. */
void sg_acache_finish(sg_acache *c, sg_flight *flight, sg_answer *answer);

/*
 * The gzip bytes of a (which the caller references): true with *gz /
 * *gz_len (valid while a is referenced), false when a goes plain (smaller
 * than SG_GZIP_MIN_BYTES, not a 200, incompressible, or out of memory).
 * Compressed once: concurrent callers wait for the first one's result.
 */
bool sg_acache_gzip(sg_acache *c, sg_answer *a, const char **gz, size_t *gz_len);

/* Forget every answer derived from profile id (deleted, or grown). */
void sg_acache_drop_profile(sg_acache *c, const char *id);

void sg_acache_get_stats(sg_acache *c, sg_acache_stats *out);

#endif
