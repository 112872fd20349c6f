/*
 * prefetch.c — the background loader of new uploads (prefetch.h).
 *
 * Invariants (under p->lock): queue[0..count) are the ids waiting, oldest
 * first; stopping is set once and then the thread ends after its current
 * load.
 */
#include "serve/prefetch.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct sg_prefetch {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    sg_pcache *cache;
    char queue[SG_PREFETCH_QUEUE][SG_ID_LEN + 1];
    size_t count;
    bool stopping;
    unsigned long done;
};

static void *prefetch_main(void *arg)
{
    sg_prefetch *p = arg;
    /* per thread on Linux: this thread only yields to the request threads */
    setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->count == 0 && !p->stopping)
            pthread_cond_wait(&p->wake, &p->lock);
        if (p->stopping)
            break;
        char id[SG_ID_LEN + 1];
        memcpy(id, p->queue[0], sizeof id);
        memmove(p->queue[0], p->queue[1], (p->count - 1) * sizeof p->queue[0]);
        p->count--;
        pthread_mutex_unlock(&p->lock);
        int status;
        char err[256];
        sg_loaded *e = sg_pcache_get(p->cache, id, &status, err, sizeof err);
        sg_pcache_release(p->cache, e);
        pthread_mutex_lock(&p->lock);
        p->done++;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

sg_prefetch *sg_prefetch_start(sg_pcache *cache)
{
    sg_prefetch *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->cache = cache;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    if (pthread_create(&p->thread, NULL, prefetch_main, p) != 0) {
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
    }
    return p;
}

void sg_prefetch_add(sg_prefetch *p, const char *id)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    if (p->count == SG_PREFETCH_QUEUE) { /* drop the oldest waiting id */
        memmove(p->queue[0], p->queue[1], (p->count - 1) * sizeof p->queue[0]);
        p->count--;
    }
    snprintf(p->queue[p->count++], sizeof p->queue[0], "%s", id);
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

unsigned long sg_prefetch_done(sg_prefetch *p)
{
    if (p == NULL)
        return 0;
    pthread_mutex_lock(&p->lock);
    unsigned long n = p->done;
    pthread_mutex_unlock(&p->lock);
    return n;
}

void sg_prefetch_stop(sg_prefetch *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
