/*
 * bufpool.h — large answer buffers recycled between requests.
 *
 * Why: an answer of megabytes (a timeline pan: ~2.4 MB compact) built in a
 * fresh malloc block is a fresh mapping (the server fixes glibc's mmap
 * threshold at 128 KiB, http.c), so writing it costs a page fault per
 * 4 KiB page, and freeing it unmaps them again: ~600 faults, an eighth of
 * a pan's CPU. A buffer given back here when its answer is released is
 * handed to the next large answer with its pages already touched.
 *
 * Bounds: only buffers of at least min_bytes are kept (smaller ones come
 * from the heap cheaply), at most SG_BUFPOOL_SLOTS of them and max_bytes in
 * all; anything else given back is freed. The pool holds no buffer that is
 * in use: a taken buffer belongs to its taker until given back.
 *
 * Thread safety: one mutex, held only to push or pop a pointer.
 * Ownership: buffers are malloc'd; sg_bufpool_take hands one to the caller
 * (who may realloc or free it), sg_bufpool_put takes one back (or frees
 * it); sg_bufpool_free frees those held.
 */
#ifndef SG_SERVE_BUFPOOL_H
#define SG_SERVE_BUFPOOL_H

#include <stddef.h>

#include "serve/jbuf.h"

#define SG_BUFPOOL_SLOTS 16

typedef struct sg_bufpool sg_bufpool;

/* NULL: out of memory. */
sg_bufpool *sg_bufpool_new(size_t min_bytes, size_t max_bytes);
void sg_bufpool_free(sg_bufpool *p);

/* The most recently given back buffer (its pages the likeliest to be in
 * cache), *cap usable bytes; NULL (cap 0) when the pool is empty. */
char *sg_bufpool_take(sg_bufpool *p, size_t *cap);
/* buf (malloc'd, may be NULL) back: kept when it is large enough and there
 * is room, else freed. p may be NULL (then it is freed). */
void sg_bufpool_put(sg_bufpool *p, char *buf);
/* b (empty, as after sg_jbuf_init) starts in a buffer from the pool. */
void sg_bufpool_jbuf(sg_bufpool *p, sg_jbuf *b);

/* Bytes held now (for /api/health and tests). */
size_t sg_bufpool_bytes(sg_bufpool *p);

#endif
