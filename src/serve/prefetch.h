/*
 * prefetch.h — loads newly stored profiles into the cache on a background
 * thread, so the viewer's first query after an upload finds its profile
 * loaded (an .sgl upload is answered after a scan, sgl_scan.h, not after
 * building the profile).
 *
 * The thread runs at a lower scheduling priority (nice 10) than the
 * request threads: it only ever does work a query would otherwise do
 * first. Its queue holds at most SG_PREFETCH_QUEUE ids; when uploads come
 * faster than loads the oldest waiting ids are dropped (their first query
 * loads them), so a burst of uploads never builds a backlog of loads.
 * A load that fails is not reported here: the query that needs the
 * profile gets the error.
 *
 * Ownership: sg_prefetch_start borrows the cache (which must outlive
 * sg_prefetch_stop); stop waits for a load in progress and joins.
 */
#ifndef SG_SERVE_PREFETCH_H
#define SG_SERVE_PREFETCH_H

#include "serve/profile_cache.h"

#define SG_PREFETCH_QUEUE 2

typedef struct sg_prefetch sg_prefetch;

/* NULL when the thread cannot be started (uploads then load on first use). */
sg_prefetch *sg_prefetch_start(sg_pcache *cache);
/* Queue id for loading; p NULL does nothing. */
void sg_prefetch_add(sg_prefetch *p, const char *id);
/* How many loads the thread has finished (for tests and the benchmark). */
unsigned long sg_prefetch_done(sg_prefetch *p);
void sg_prefetch_stop(sg_prefetch *p);

#endif
