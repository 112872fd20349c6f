/*
 * profile_cache.h — profiles loaded in memory, with the per-profile indexes
 * queries reuse (timeline index, butterfly index for pstats, the package of
 * every frame), bounded by bytes and by count, least recently used first
 * out.
 *
 * A query takes a reference (sg_pcache_get), reads the entry, and gives it
 * back (sg_pcache_release). An entry evicted or replaced while referenced
 * leaves the cache at once and is freed by its last release, so a query
 * never sees its profile change under it: a live profile that grows is a
 * NEW entry (sg_pcache_put), and queries already running finish on the old
 * one.
 *
 * A miss loads through the caller's loader with the cache unlocked; other
 * requests for the same id wait for that one load instead of repeating it.
 *
 * Indexes are built lazily, once, under the entry's own lock (the first
 * timeline query builds the timeline index; later ones share it).
 *
 * Ownership: the cache owns entries and their profiles; sg_pcache_put
 * takes ownership of the profile it is given.
 */
#ifndef SG_SERVE_PROFILE_CACHE_H
#define SG_SERVE_PROFILE_CACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/lru.h"
#include "analyze/butterfly.h"
#include "analyze/package.h"
#include "analyze/timeline.h"
#include "serve/ids.h"

/* A result derived from a loaded profile and kept with it (a resolved view,
 * a function table): profiles never change, so the result of the same
 * question stays right for the entry's life. */
typedef struct sg_derived {
    char *key;
    void *obj;
    void (*free_obj)(void *obj);
    size_t bytes;
    int refs;
    uint64_t used; /* tick of the last use, for LRU */
    struct sg_derived *next;
} sg_derived;

#define SG_DERIVED_MAX 16 /* per entry */

typedef struct sg_loaded {
    char id[SG_ID_LEN + 1];
    sg_profile *profile;
    uint64_t t_start, t_end; /* first and last sample time (0, 0 without samples) */
    size_t bytes;            /* estimate of what the entry holds, indexes included */
    size_t base_bytes;       /* the profile alone */
    size_t extra_bytes;      /* indexes built so far (atomic: read without lock) */
    /* ---- lazily built, under lock ---- */
    pthread_mutex_t lock;
    bool tl_built, bfly_built, pk_built;
    int tl_rc, bfly_rc, pk_rc;
    sg_tlindex tl;
    sg_bfly_index bfly;
    sg_packages packages;
    uint32_t *frame_package; /* per frame: index into packages */
    sg_derived *derived;     /* at most SG_DERIVED_MAX, under lock */
    size_t derived_count;
    uint64_t tick;
    /* ---- the cache's bookkeeping (under the cache's lock) ---- */
    int refs;
    bool loading, cached;
    int load_rc;
    char load_err[256];
    sg_lru_node lru; /* in the cache's recency list, while cached */
    /* borrowed: the server's recycled timeline scratch (tlpool.h), or NULL */
    struct sg_tlpool *tl_pool;
} sg_loaded;

typedef struct sg_pcache sg_pcache;

/* Loads profile `id` into *out (a new profile), or returns -1 with err
 * (and *status: the HTTP status to answer, 404 or 500). */
typedef int (*sg_pcache_loader)(void *ctx, const char *id, sg_profile **out, int *status, char *err,
                                size_t errlen);

sg_pcache *sg_pcache_new(size_t max_bytes, size_t max_entries, sg_pcache_loader load, void *ctx);
void sg_pcache_free(sg_pcache *c);
/* Entries made from now on borrow pool (which must outlive the cache) for
 * their timeline queries' scratch; set once, before the first request. */
void sg_pcache_set_tlpool(sg_pcache *c, struct sg_tlpool *pool);

/* A referenced entry for id (loading it on a miss), or NULL with *status
 * and err. */
sg_loaded *sg_pcache_get(sg_pcache *c, const char *id, int *status, char *err, size_t errlen);
void sg_pcache_release(sg_pcache *c, sg_loaded *e);

/* How many profiles the cache holds, their bytes and its limit. */
void sg_pcache_get_stats(sg_pcache *c, size_t *count, size_t *bytes, size_t *max_bytes);

/* Install p as the entry of id (replacing any), taking ownership. */
int sg_pcache_put(sg_pcache *c, const char *id, sg_profile *p);
/* Forget id (deleted or changed on disk). */
void sg_pcache_drop(sg_pcache *c, const char *id);

/* The lazily built indexes; NULL when building failed (out of memory). */
const sg_tlindex *sg_loaded_tlindex(sg_loaded *e);
const sg_bfly_index *sg_loaded_bfly(sg_loaded *e);
/* The package table and per-frame package index; -1 when it failed. */
int sg_loaded_packages(sg_loaded *e, const sg_packages **pk, const uint32_t **frame_package);

/*
 * Derived results by key (under the entry's lock; the work of computing
 * one is the caller's, outside it). get: the object and a referenced
 * handle, or NULL. put: keeps obj (or, when another thread put the same
 * key first, frees obj and returns that one) and returns it referenced;
 * when the table is full of referenced results the object is returned
 * uncached and freed by its release. Release every handle once.
 */
void *sg_loaded_derived_get(sg_loaded *e, const char *key, sg_derived **handle);
void *sg_loaded_derived_put(sg_loaded *e, const char *key, void *obj, void (*free_obj)(void *),
                            size_t bytes, sg_derived **handle);
void sg_loaded_derived_release(sg_loaded *e, sg_derived *handle);

/* Bytes of a profile in memory: every array it owns at its capacity, as
 * the allocator holds it (sg_alloc_bytes). */
size_t sg_profile_bytes(const sg_profile *p);
/* Bytes an array of n elements of sz bytes takes from malloc: its chunk
 * header, and whole pages for the blocks glibc maps (>= 128 KiB). */
size_t sg_alloc_bytes(size_t n, size_t sz);

#endif
