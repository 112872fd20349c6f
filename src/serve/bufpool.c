/*
 * bufpool.c — the recycled answer buffers (bufpool.h).
 *
 * Invariants, under p->lock: slot[0..count) are distinct malloc'd buffers
 * of at least min_bytes usable bytes each, size[i] = their usable size,
 * and bytes = the sum of size[0..count) <= max_bytes.
 */
#include "serve/bufpool.h"

#include <assert.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>

struct sg_bufpool {
    pthread_mutex_t lock;
    size_t min_bytes, max_bytes, bytes, count;
    char *slot[SG_BUFPOOL_SLOTS];
    size_t size[SG_BUFPOOL_SLOTS];
};

sg_bufpool *sg_bufpool_new(size_t min_bytes, size_t max_bytes)
{
    sg_bufpool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    pthread_mutex_init(&p->lock, NULL);
    p->min_bytes = min_bytes;
    p->max_bytes = max_bytes;
    return p;
}

void sg_bufpool_free(sg_bufpool *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->count; i++)
        free(p->slot[i]);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

char *sg_bufpool_take(sg_bufpool *p, size_t *cap)
{
    *cap = 0;
    if (p == NULL)
        return NULL;
    char *buf = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->count > 0) {
        p->count--;
        buf = p->slot[p->count];
        *cap = p->size[p->count];
        p->bytes -= *cap;
    }
    pthread_mutex_unlock(&p->lock);
    return buf;
}

void sg_bufpool_put(sg_bufpool *p, char *buf)
{
    if (buf == NULL)
        return;
    size_t size = malloc_usable_size(buf);
    if (p != NULL && size >= p->min_bytes) {
        pthread_mutex_lock(&p->lock);
        bool keep = p->count < SG_BUFPOOL_SLOTS && p->bytes + size <= p->max_bytes;
        if (keep) {
            p->slot[p->count] = buf;
            p->size[p->count] = size;
            p->count++;
            p->bytes += size;
        }
        pthread_mutex_unlock(&p->lock);
        if (keep)
            return;
    }
    free(buf);
}

void sg_bufpool_jbuf(sg_bufpool *p, sg_jbuf *b)
{
    assert(b->data == NULL && b->len == 0);
    size_t cap;
    char *buf = sg_bufpool_take(p, &cap);
    if (buf == NULL)
        return;
    buf[0] = '\0'; /* jbuf.c: data[len] is a NUL once data is allocated */
    b->data = buf;
    b->cap = cap;
}

size_t sg_bufpool_bytes(sg_bufpool *p)
{
    pthread_mutex_lock(&p->lock);
    size_t n = p->bytes;
    pthread_mutex_unlock(&p->lock);
    return n;
}
