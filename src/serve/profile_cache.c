/*
 * profile_cache.c — the bounded LRU of loaded profiles (profile_cache.h).
 *
 * Invariants (under c->lock): the list holds exactly the entries with
 * cached = true, most recently used first; bytes is the sum of their
 * sizes; an entry with refs = 0 that is not cached has been freed. A
 * loading entry is cached (so a second request finds and waits on it) but
 * never evicted while loading (it has a reference: the loader's).
 */
#include "serve/profile_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sg_pcache {
    pthread_mutex_t lock;
    pthread_cond_t loaded;
    sg_lru lru; /* the cached entries, most recently used first */
    size_t bytes, count, max_bytes, max_entries;
    sg_pcache_loader load;
    void *ctx;
    struct sg_tlpool *tl_pool; /* borrowed, given to each entry (sg_pcache_set_tlpool) */
};

/* A malloc'd array of n elements of size sz as the allocator holds it:
 * glibc's chunk header, and whole pages for blocks it maps. */
size_t sg_alloc_bytes(size_t n, size_t sz)
{
    if (n == 0)
        return 0;
    size_t b = n * sz + 16;
    return b >= (128u << 10) ? (b + 4095) & ~(size_t)4095 : b;
}

size_t sg_profile_bytes(const sg_profile *p)
{
    /* every array the profile owns, at its allocated capacity: what it
     * holds in memory is what it allocated, not what it uses */
    const sg_samples *s = &p->samples;
    size_t b = sizeof *p;
    b += sg_alloc_bytes(s->cap, 8) + 3 * sg_alloc_bytes(s->cap, 4) + sg_alloc_bytes(s->cap, 1);
    b += sg_alloc_bytes(p->stacks.cap, sizeof(sg_stack_row));
    b += sg_alloc_bytes(p->stacks.slots ? (size_t)p->stacks.slot_mask + 1 : 0, 8);
    b += sg_alloc_bytes(p->frames.cap, sizeof(sg_frame));
    b += sg_alloc_bytes(p->frames.slots ? (size_t)p->frames.slot_mask + 1 : 0, 8);
    const sg_strings *t = &p->strings;
    b +=
        sg_alloc_bytes(t->cap, 8) + 2 * sg_alloc_bytes(t->cap, 4) + sg_alloc_bytes(t->bytes_cap, 1);
    b += sg_alloc_bytes(t->slots ? (size_t)t->slot_mask + 1 : 0, 8);
    b += sg_alloc_bytes(p->threads.cap, 8) + sg_alloc_bytes(p->threads.cap, 4);
    b += sg_alloc_bytes(p->threads.slots ? (size_t)p->threads.slot_mask + 1 : 0, 8);
    const sg_events *e = &p->events;
    b += 2 * sg_alloc_bytes(e->cap, 4) + sg_alloc_bytes(e->cap, 8) + sg_alloc_bytes(e->cap, 1);
    const sg_sources *src = &p->sources;
    b += sg_alloc_bytes(src->cap, 4) + sg_alloc_bytes(src->cap, 8) * 2;
    for (uint32_t i = 0; i < src->count; i++)
        b += sg_alloc_bytes(src->length[i] + 1, 1);
    const sg_callstats *c = &p->callstats;
    b += sg_alloc_bytes(c->func_cap, sizeof(sg_callstats_func)) +
         sg_alloc_bytes(c->edge_cap, sizeof(sg_callstats_edge));
    b += sg_alloc_bytes(c->func_slots ? (size_t)c->func_slot_mask + 1 : 0, 8) +
         sg_alloc_bytes(c->edge_slots ? (size_t)c->edge_slot_mask + 1 : 0, 8);
    return b;
}

static void time_span(const sg_profile *p, uint64_t *t0, uint64_t *t1)
{
    *t0 = *t1 = 0;
    if (p->samples.count == 0)
        return;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < p->samples.count; i++) {
        uint64_t t = p->samples.time_ns[i];
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
    }
    *t0 = lo;
    *t1 = hi;
}

sg_pcache *sg_pcache_new(size_t max_bytes, size_t max_entries, sg_pcache_loader load, void *ctx)
{
    sg_pcache *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->loaded, NULL);
    c->max_bytes = max_bytes;
    c->max_entries = max_entries ? max_entries : 1;
    c->load = load;
    c->ctx = ctx;
    return c;
}

static void derived_free(sg_derived *d)
{
    d->free_obj(d->obj);
    free(d->key);
    free(d);
}

static void entry_free(sg_loaded *e)
{
    while (e->derived != NULL) {
        sg_derived *d = e->derived;
        e->derived = d->next;
        derived_free(d);
    }
    if (e->tl_built && e->tl_rc == 0)
        sg_tlindex_free(&e->tl);
    if (e->bfly_built && e->bfly_rc == 0)
        sg_bfly_index_free(&e->bfly);
    if (e->pk_built) {
        sg_packages_free(&e->packages);
        free(e->frame_package);
    }
    sg_profile_free(e->profile);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

static sg_loaded *entry_new(const sg_pcache *c, const char *id)
{
    sg_loaded *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    snprintf(e->id, sizeof e->id, "%s", id);
    e->tl_pool = c->tl_pool;
    pthread_mutex_init(&e->lock, NULL);
    return e;
}

/* The entry of a node of the list, or NULL. */
static sg_loaded *entry_of(sg_lru_node *n)
{
    return n == NULL ? NULL : SG_LRU_ENTRY(n, sg_loaded, lru);
}

static void unlink_entry(sg_pcache *c, sg_loaded *e)
{
    sg_lru_unlink(&c->lru, &e->lru);
    e->cached = false;
    c->bytes -= e->bytes;
    c->count--;
}

static void push_front(sg_pcache *c, sg_loaded *e)
{
    sg_lru_push_front(&c->lru, &e->lru);
    e->cached = true;
    c->bytes += e->bytes;
    c->count++;
}

/* Drop least recently used entries until the bounds hold (keeping `keep`). */
static void evict(sg_pcache *c, const sg_loaded *keep)
{
    sg_loaded *e = entry_of(c->lru.tail);
    while (e != NULL && (c->bytes > c->max_bytes || c->count > c->max_entries)) {
        sg_loaded *prev = entry_of(e->lru.prev);
        if (e != keep && !e->loading) {
            unlink_entry(c, e);
            if (e->refs == 0)
                entry_free(e);
        }
        e = prev;
    }
}

void sg_pcache_set_tlpool(sg_pcache *c, struct sg_tlpool *pool)
{
    c->tl_pool = pool;
}

void sg_pcache_free(sg_pcache *c)
{
    if (c == NULL)
        return;
    while (c->lru.head != NULL) {
        sg_loaded *e = entry_of(c->lru.head);
        unlink_entry(c, e);
        entry_free(e);
    }
    pthread_cond_destroy(&c->loaded);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static sg_loaded *find(sg_pcache *c, const char *id)
{
    for (sg_loaded *e = entry_of(c->lru.head); e != NULL; e = entry_of(e->lru.next))
        if (strcmp(e->id, id) == 0)
            return e;
    return NULL;
}

static void fill(sg_loaded *e, sg_profile *p)
{
    e->profile = p;
    time_span(p, &e->t_start, &e->t_end);
    e->base_bytes = e->bytes = sg_profile_bytes(p);
}

sg_loaded *sg_pcache_get(sg_pcache *c, const char *id, int *status, char *err, size_t errlen)
{
    pthread_mutex_lock(&c->lock);
    sg_loaded *e = find(c, id);
    if (e != NULL) {
        e->refs++;
        while (e->loading)
            pthread_cond_wait(&c->loaded, &c->lock);
        if (e->load_rc != 0) {
            *status = e->load_rc;
            snprintf(err, errlen, "%s", e->load_err);
            e->refs--;
            if (e->refs == 0 && !e->cached)
                entry_free(e);
            pthread_mutex_unlock(&c->lock);
            return NULL;
        }
        if (e->cached)
            sg_lru_touch(&c->lru, &e->lru);
        pthread_mutex_unlock(&c->lock);
        return e;
    }
    e = entry_new(c, id);
    if (e == NULL) {
        pthread_mutex_unlock(&c->lock);
        *status = 500;
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->loading = true;
    e->refs = 1;
    push_front(c, e);
    pthread_mutex_unlock(&c->lock);

    sg_profile *p = NULL;
    int st = 500;
    char why[256] = "";
    int rc = c->load(c->ctx, id, &p, &st, why, sizeof why);

    pthread_mutex_lock(&c->lock);
    e->loading = false;
    if (rc != 0) {
        e->load_rc = st;
        snprintf(e->load_err, sizeof e->load_err, "%s", why);
        if (e->cached)
            unlink_entry(c, e);
        pthread_cond_broadcast(&c->loaded);
        *status = st;
        snprintf(err, errlen, "%s", why);
        if (--e->refs == 0)
            entry_free(e);
        pthread_mutex_unlock(&c->lock);
        return NULL;
    }
    bool was_cached = e->cached;
    if (was_cached)
        unlink_entry(c, e);
    fill(e, p);
    if (was_cached)
        push_front(c, e);
    evict(c, e);
    pthread_cond_broadcast(&c->loaded);
    pthread_mutex_unlock(&c->lock);
    return e;
}

void sg_pcache_release(sg_pcache *c, sg_loaded *e)
{
    if (e == NULL)
        return;
    pthread_mutex_lock(&c->lock);
    /* the entry's size grows when indexes are built: account for it */
    if (e->cached) {
        unlink_entry(c, e);
        e->bytes = e->base_bytes + __atomic_load_n(&e->extra_bytes, __ATOMIC_ACQUIRE);
        push_front(c, e); /* it was just used */
    }
    e->refs--;
    if (e->refs == 0 && !e->cached)
        entry_free(e);
    else
        evict(c, NULL);
    pthread_mutex_unlock(&c->lock);
}

int sg_pcache_put(sg_pcache *c, const char *id, sg_profile *p)
{
    sg_loaded *e = entry_new(c, id);
    if (e == NULL) {
        sg_profile_free(p);
        return -1;
    }
    fill(e, p);
    pthread_mutex_lock(&c->lock);
    sg_loaded *old = find(c, id);
    if (old != NULL && !old->loading) {
        unlink_entry(c, old);
        if (old->refs == 0)
            entry_free(old);
    }
    push_front(c, e);
    evict(c, e);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

void sg_pcache_get_stats(sg_pcache *c, size_t *count, size_t *bytes, size_t *max_bytes)
{
    pthread_mutex_lock(&c->lock);
    *count = c->count;
    *bytes = c->bytes;
    *max_bytes = c->max_bytes;
    pthread_mutex_unlock(&c->lock);
}

void sg_pcache_drop(sg_pcache *c, const char *id)
{
    pthread_mutex_lock(&c->lock);
    sg_loaded *e = find(c, id);
    if (e != NULL && !e->loading) {
        unlink_entry(c, e);
        if (e->refs == 0)
            entry_free(e);
    }
    pthread_mutex_unlock(&c->lock);
}

/* What the timeline index allocated (timeline.h lists its arrays). */
static size_t tlindex_bytes(const sg_profile *p, const sg_tlindex *ix)
{
    size_t n = p->samples.count;
    return sg_alloc_bytes(n, 4) + sg_alloc_bytes((size_t)p->threads.count + 1, sizeof(size_t)) +
           sg_alloc_bytes(n, 8) + (ix->cum_weight ? sg_alloc_bytes(n + 1, 8) : 0) +
           sg_alloc_bytes(p->stacks.count, 4) + sg_alloc_bytes(ix->marker_count, 4) +
           sg_alloc_bytes(ix->gc_count, sizeof(sg_tl_gc)) + sg_alloc_bytes(ix->gc_count, 8) +
           (ix->paths ? sg_alloc_bytes((size_t)p->stacks.count + 1, 4) +
                            sg_alloc_bytes(ix->path_words + 1, 4)
                      : 0);
}

const sg_tlindex *sg_loaded_tlindex(sg_loaded *e)
{
    pthread_mutex_lock(&e->lock);
    if (!e->tl_built) {
        e->tl_rc = sg_tlindex_build(e->profile, &e->tl);
        e->tl_built = true;
        if (e->tl_rc == 0)
            __atomic_add_fetch(&e->extra_bytes, tlindex_bytes(e->profile, &e->tl),
                               __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&e->lock);
    return e->tl_rc == 0 ? &e->tl : NULL;
}

const sg_bfly_index *sg_loaded_bfly(sg_loaded *e)
{
    pthread_mutex_lock(&e->lock);
    if (!e->bfly_built) {
        e->bfly_rc = sg_bfly_index_build(e->profile, &e->bfly);
        e->bfly_built = true;
        if (e->bfly_rc == 0) { /* two CSR groupings of the edges over frames */
            size_t f = (size_t)e->profile->frames.count + 1, n = e->profile->callstats.edge_count;
            __atomic_add_fetch(&e->extra_bytes, 2 * (sg_alloc_bytes(f, 4) + sg_alloc_bytes(n, 4)),
                               __ATOMIC_RELEASE);
        }
    }
    pthread_mutex_unlock(&e->lock);
    return e->bfly_rc == 0 ? &e->bfly : NULL;
}

int sg_loaded_packages(sg_loaded *e, const sg_packages **pk, const uint32_t **frame_package)
{
    pthread_mutex_lock(&e->lock);
    if (!e->pk_built) {
        e->frame_package = malloc(((size_t)e->profile->frames.count + 1) * sizeof(uint32_t));
        memset(&e->packages, 0, sizeof e->packages);
        e->pk_rc = e->frame_package == NULL
                       ? -1
                       : sg_packages_classify(e->profile, &e->packages, e->frame_package);
        e->pk_built = true;
        size_t b = sg_alloc_bytes((size_t)e->profile->frames.count + 1, 4) +
                   sg_alloc_bytes(e->packages.cap, sizeof(sg_package));
        for (uint32_t i = 0; i < e->packages.count; i++)
            b += e->packages.items[i].name
                     ? sg_alloc_bytes(strlen(e->packages.items[i].name) + 1, 1)
                     : 0;
        __atomic_add_fetch(&e->extra_bytes, b, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&e->lock);
    *pk = &e->packages;
    *frame_package = e->frame_package;
    return e->pk_rc == 0 ? 0 : -1;
}

void *sg_loaded_derived_get(sg_loaded *e, const char *key, sg_derived **handle)
{
    pthread_mutex_lock(&e->lock);
    for (sg_derived *d = e->derived; d != NULL; d = d->next)
        if (strcmp(d->key, key) == 0) {
            d->refs++;
            d->used = ++e->tick;
            pthread_mutex_unlock(&e->lock);
            *handle = d;
            return d->obj;
        }
    pthread_mutex_unlock(&e->lock);
    *handle = NULL;
    return NULL;
}

void *sg_loaded_derived_put(sg_loaded *e, const char *key, void *obj, void (*free_obj)(void *),
                            size_t bytes, sg_derived **handle)
{
    sg_derived *d = calloc(1, sizeof *d);
    char *k = strdup(key);
    if (d == NULL || k == NULL) {
        free(d);
        free(k);
        free_obj(obj);
        *handle = NULL;
        return NULL;
    }
    *d = (sg_derived){k, obj, free_obj, bytes, 1, 0, NULL};
    pthread_mutex_lock(&e->lock);
    for (sg_derived *o = e->derived; o != NULL; o = o->next)
        if (strcmp(o->key, key) == 0) { /* another thread computed it first */
            o->refs++;
            o->used = ++e->tick;
            pthread_mutex_unlock(&e->lock);
            derived_free(d);
            *handle = o;
            return o->obj;
        }
    if (e->derived_count >= SG_DERIVED_MAX) { /* evict the least recently used idle one */
        sg_derived **victim = NULL;
        for (sg_derived **o = &e->derived; *o != NULL; o = &(*o)->next)
            if ((*o)->refs == 0 && (victim == NULL || (*o)->used < (*victim)->used))
                victim = o;
        if (victim != NULL) {
            sg_derived *v = *victim;
            *victim = v->next;
            e->derived_count--;
            __atomic_sub_fetch(&e->extra_bytes, v->bytes, __ATOMIC_RELEASE);
            derived_free(v);
        }
    }
    if (e->derived_count < SG_DERIVED_MAX) {
        d->used = ++e->tick;
        d->next = e->derived;
        e->derived = d;
        e->derived_count++;
        __atomic_add_fetch(&e->extra_bytes, bytes, __ATOMIC_RELEASE);
    } else
        d->used = UINT64_MAX; /* uncached: freed by its release */
    pthread_mutex_unlock(&e->lock);
    *handle = d;
    return obj;
}

void sg_loaded_derived_release(sg_loaded *e, sg_derived *d)
{
    if (d == NULL)
        return;
    pthread_mutex_lock(&e->lock);
    bool uncached = d->used == UINT64_MAX;
    d->refs--;
    pthread_mutex_unlock(&e->lock);
    if (uncached)
        derived_free(d);
}
