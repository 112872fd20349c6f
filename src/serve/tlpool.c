/*
 * tlpool.c — recycled timeline scratch (tlpool.h).
 *
 * Invariant, under p->lock: held[0..count) are distinct scratches, count
 * <= keep, each holding bytes[i] <= max_bytes of arrays, and total = the
 * sum of bytes[0..count) <= max_total.
 */
#include "serve/tlpool.h"

#include <pthread.h>
#include <stdlib.h>

struct sg_tlpool {
    pthread_mutex_t lock;
    size_t keep, max_bytes, max_total, count, total;
    sg_tl **held;  /* keep slots */
    size_t *bytes; /* of each held scratch */
};

sg_tlpool *sg_tlpool_new(size_t keep, size_t max_bytes, size_t max_total)
{
    sg_tlpool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->held = calloc(keep + 1, sizeof *p->held);
    p->bytes = calloc(keep + 1, sizeof *p->bytes);
    if (p->held == NULL || p->bytes == NULL) {
        free(p->held);
        free(p->bytes);
        free(p);
        return NULL;
    }
    p->max_total = max_total;
    pthread_mutex_init(&p->lock, NULL);
    p->keep = keep;
    p->max_bytes = max_bytes;
    return p;
}

static void scratch_free(sg_tl *t)
{
    sg_tl_free(t);
    free(t);
}

void sg_tlpool_free(sg_tlpool *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->count; i++)
        scratch_free(p->held[i]);
    pthread_mutex_destroy(&p->lock);
    free(p->held);
    free(p->bytes);
    free(p);
}

size_t sg_tlpool_scratch_bytes(const sg_tl *t)
{
    return t->span_cap * sizeof *t->spans + t->state_cap * sizeof *t->states +
           t->event_cap * sizeof *t->events + t->col_weight_cap * sizeof *t->col_weight +
           t->runs_cap * sizeof *t->runs + t->frames_cap * sizeof *t->frames;
}

size_t sg_tlpool_bytes(sg_tlpool *p)
{
    pthread_mutex_lock(&p->lock);
    size_t total = p->total;
    pthread_mutex_unlock(&p->lock);
    return total;
}

sg_tl *sg_tlpool_take(sg_tlpool *p)
{
    sg_tl *t = NULL;
    if (p != NULL) {
        pthread_mutex_lock(&p->lock);
        if (p->count > 0) {
            p->count--;
            t = p->held[p->count];
            p->total -= p->bytes[p->count];
        }
        pthread_mutex_unlock(&p->lock);
    }
    return t != NULL ? t : calloc(1, sizeof *t);
}

void sg_tlpool_put(sg_tlpool *p, sg_tl *t)
{
    if (t == NULL)
        return;
    size_t bytes = sg_tlpool_scratch_bytes(t);
    if (p != NULL && bytes <= p->max_bytes) {
        /* what a query reads back is what it wrote: clear the results,
         * keep the arrays */
        t->span_count = t->state_count = t->event_count = 0;
        t->run_count = t->frame_count = 0;
        t->want_runs = false;
        pthread_mutex_lock(&p->lock);
        bool kept = p->count < p->keep && p->total + bytes <= p->max_total;
        if (kept) {
            p->held[p->count] = t;
            p->bytes[p->count++] = bytes;
            p->total += bytes;
        }
        pthread_mutex_unlock(&p->lock);
        if (kept)
            return;
    }
    scratch_free(t);
}
