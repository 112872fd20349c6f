/*
 * answer_cache.c — the bounded LRU of encoded answers with single flight
 * (answer_cache.h).
 *
 * One entry per key, in a chained hash table while it is findable
 * ("linked"). An entry is either a flight (computing: its answer not yet
 * known; requests for its key wait on the cache's condition variable) or
 * stored (in the LRU list, counted in bytes). Invariants, under c->lock:
 *   - bytes = the sum of e->bytes over stored entries, <= max_bytes after
 *     every insertion;
 *   - an entry is freed exactly when it is neither linked nor referenced
 *     (refs counts the computing request and the waiters of a flight);
 *   - a stale flight is unlinked, so new requests start a fresh one;
 *   - answer->home is the entry while it is stored (NULL otherwise), so a
 *     gzip copy made later is counted in that entry's bytes and no other;
 *   - once[h % SG_ACACHE_ONCE_SLOTS] == h (h | 1, never 0) when a large
 *     answer of key hash h was computed and not kept (a later one of the
 *     same slot may overwrite it: then that key is computed once more).
 */
#include "serve/answer_cache.h"

#include "serve/bufpool.h"
#include "serve/http_gzip.h"
#include "serve/lru.h"

#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per malloc'd block: glibc's chunk header beside the usable size. */
#define SG_MALLOC_OVERHEAD 16

typedef struct acache_entry {
    struct acache_entry *hnext; /* hash chain, while linked */
    sg_lru_node lru;            /* in the recency list, while stored */
    uint64_t hash;
    char id1[SG_ID_LEN + 1], id2[SG_ID_LEN + 1];
    sg_answer *answer; /* NULL while computing (or when the computation failed) */
    bool computing, stale, linked, stored;
    int refs;
    size_t bytes; /* what the entry costs while stored */
    size_t keylen;
    char key[];
} acache_entry;

struct sg_flight {
    acache_entry e; /* a flight handle is its entry (never dereferenced as sg_flight) */
};

struct sg_acache {
    pthread_mutex_t lock;
    pthread_cond_t done;
    acache_entry **buckets;
    size_t nbuckets, linked; /* nbuckets: a power of two */
    sg_lru lru;              /* the stored entries, most recently used first */
    size_t bytes, stored, max_bytes;
    uint64_t hits, misses, waits, nonce;
    uint64_t once[SG_ACACHE_ONCE_SLOTS];
};

sg_answer *sg_answer_adopt(int status, char *data, size_t len)
{
    sg_answer *a = malloc(sizeof *a);
    if (a == NULL) {
        free(data);
        return NULL;
    }
    *a = (sg_answer){.refs = 1, .status = status, .len = len, .data = data};
    return a;
}

sg_answer *sg_answer_new(int status, const char *data, size_t len)
{
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return NULL;
    if (len > 0)
        memcpy(copy, data, len);
    copy[len] = '\0';
    return sg_answer_adopt(status, copy, len);
}

void sg_answer_ref(sg_answer *a)
{
    __atomic_add_fetch(&a->refs, 1, __ATOMIC_RELAXED);
}

void sg_answer_release(sg_answer *a)
{
    if (a != NULL && __atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        sg_bufpool_put(a->pool, a->data); /* frees it when pool is NULL */
        free(a->gz);
        free(a);
    }
}

/* FNV-1a, 64 bits: keys are short texts. */
static uint64_t hash_key(const char *k, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)k[i]) * 0x100000001b3ull;
    return h;
}

sg_acache *sg_acache_new(size_t max_bytes)
{
    sg_acache *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->nbuckets = 256;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (c->buckets == NULL) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->done, NULL);
    c->max_bytes = max_bytes;
    return c;
}

static void entry_free(acache_entry *e)
{
    sg_answer_release(e->answer);
    free(e);
}

static void unlink_hash(sg_acache *c, acache_entry *e)
{
    acache_entry **p = &c->buckets[e->hash & (c->nbuckets - 1)];
    while (*p != e)
        p = &(*p)->hnext;
    *p = e->hnext;
    e->hnext = NULL;
    e->linked = false;
    c->linked--;
}

static void unlink_lru(sg_acache *c, acache_entry *e)
{
    sg_lru_unlink(&c->lru, &e->lru);
    e->stored = false;
    e->answer->home = NULL;
    c->bytes -= e->bytes;
    c->stored--;
}

static void push_lru(sg_acache *c, acache_entry *e)
{
    sg_lru_push_front(&c->lru, &e->lru);
    e->stored = true;
    e->answer->home = e;
    c->bytes += e->bytes;
    c->stored++;
}

/* What a's gzip copy costs while stored. */
static size_t gzip_bytes(const sg_answer *a)
{
    return a->gz != NULL ? malloc_usable_size(a->gz) + SG_MALLOC_OVERHEAD : 0;
}

/* The least recently used stored entry, or NULL. */
static acache_entry *oldest(const sg_acache *c)
{
    return c->lru.tail == NULL ? NULL : SG_LRU_ENTRY(c->lru.tail, acache_entry, lru);
}

/* Remove e from the table; free it unless someone still holds it. */
static void forget(sg_acache *c, acache_entry *e)
{
    if (e->stored)
        unlink_lru(c, e);
    if (e->linked)
        unlink_hash(c, e);
    if (e->refs == 0)
        entry_free(e);
}

/* Double the buckets when chains grow long (a failed grow keeps them). */
static void maybe_grow(sg_acache *c)
{
    if (c->linked < c->nbuckets)
        return;
    size_t n = c->nbuckets * 2;
    acache_entry **b = calloc(n, sizeof *b);
    if (b == NULL)
        return;
    for (size_t i = 0; i < c->nbuckets; i++)
        for (acache_entry *e = c->buckets[i], *next; e != NULL; e = next) {
            next = e->hnext;
            e->hnext = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = n;
}

void sg_acache_free(sg_acache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nbuckets; i++)
        for (acache_entry *e = c->buckets[i], *next; e != NULL; e = next) {
            next = e->hnext;
            entry_free(e); /* no request runs any more: nothing holds it */
        }
    free(c->buckets);
    pthread_cond_destroy(&c->done);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int sg_acache_begin(sg_acache *c, const char *key, size_t keylen, const char *id1, const char *id2,
                    sg_answer **answer, sg_flight **flight)
{
    *answer = NULL;
    *flight = NULL;
    uint64_t h = hash_key(key, keylen);
    pthread_mutex_lock(&c->lock);
    acache_entry *e = c->buckets[h & (c->nbuckets - 1)];
    while (e != NULL && !(e->hash == h && e->keylen == keylen && memcmp(e->key, key, keylen) == 0))
        e = e->hnext;
    if (e != NULL && !e->computing) {
        c->hits++;
        sg_lru_touch(&c->lru, &e->lru);
        sg_answer_ref(e->answer);
        *answer = e->answer;
        pthread_mutex_unlock(&c->lock);
        return SG_ACACHE_HIT;
    }
    if (e != NULL) { /* someone computes it: wait for that answer */
        c->waits++;
        e->refs++;
        while (e->computing)
            pthread_cond_wait(&c->done, &c->lock);
        if (e->answer != NULL) {
            sg_answer_ref(e->answer);
            *answer = e->answer;
        }
        e->refs--;
        if (e->refs == 0 && !e->linked)
            entry_free(e);
        pthread_mutex_unlock(&c->lock);
        return *answer != NULL ? SG_ACACHE_HIT : -1;
    }
    c->misses++;
    e = calloc(1, sizeof *e + keylen + 1);
    if (e == NULL) {
        pthread_mutex_unlock(&c->lock);
        return -1;
    }
    e->hash = h;
    e->keylen = keylen;
    memcpy(e->key, key, keylen);
    snprintf(e->id1, sizeof e->id1, "%s", id1 != NULL ? id1 : "");
    snprintf(e->id2, sizeof e->id2, "%s", id2 != NULL ? id2 : "");
    e->computing = true;
    e->refs = 1;
    maybe_grow(c);
    size_t b = h & (c->nbuckets - 1);
    e->hnext = c->buckets[b];
    c->buckets[b] = e;
    e->linked = true;
    c->linked++;
    pthread_mutex_unlock(&c->lock);
    *flight = (sg_flight *)e;
    return SG_ACACHE_COMPUTE;
}

/* A large answer is kept only when its key was computed before (see
 * answer_cache.h); the first time only its hash is noted. */
static bool admit_large(sg_acache *c, uint64_t h)
{
    uint64_t *slot = &c->once[h % SG_ACACHE_ONCE_SLOTS], mark = h | 1;
    if (*slot == mark) {
        *slot = 0;
        return true;
    }
    *slot = mark;
    c->nonce++;
    return false;
}

void sg_acache_finish(sg_acache *c, sg_flight *flight, sg_answer *answer)
{
    acache_entry *e = (acache_entry *)flight;
    pthread_mutex_lock(&c->lock);
    e->computing = false;
    bool keep = e->linked && !e->stale && answer != NULL && answer->status == 200 &&
                (answer->len < SG_ACACHE_ONCE_BYTES || admit_large(c, e->hash));
    if (keep && answer->pool != NULL) {
        /* kept: the bytes are no longer the pool's. A small answer moves
         * to a block of its size and its buffer goes back to the pool for
         * the next large one; a large one gives back the room an earlier,
         * larger answer left (shrinking a mapping moves nothing). No one
         * else has seen answer->data yet. */
        size_t room = malloc_usable_size(answer->data);
        if (room > answer->len + answer->len / 8 + 65536) {
            char *d = answer->len < SG_ACACHE_ONCE_BYTES ? malloc(answer->len + 1) : NULL;
            if (d != NULL) {
                memcpy(d, answer->data, answer->len + 1);
                sg_bufpool_put(answer->pool, answer->data);
                answer->data = d;
            } else if ((d = realloc(answer->data, answer->len + 1)) != NULL)
                answer->data = d;
        }
        answer->pool = NULL;
    }
    if (answer != NULL) {
        sg_answer_ref(answer);
        e->answer = answer;
        e->bytes = malloc_usable_size(e) + malloc_usable_size(answer) +
                   malloc_usable_size(answer->data) + 3 * SG_MALLOC_OVERHEAD + gzip_bytes(answer) +
                   sizeof(acache_entry *); /* its share of the buckets */
    }
    keep = keep && e->bytes <= c->max_bytes / 4;
    if (keep) {
        push_lru(c, e);
        while (c->bytes > c->max_bytes && oldest(c) != NULL)
            forget(c, oldest(c));
    } else if (e->linked)
        unlink_hash(c, e);
    pthread_cond_broadcast(&c->done);
    e->refs--;
    if (e->refs == 0 && !e->linked)
        entry_free(e);
    pthread_mutex_unlock(&c->lock);
}

bool sg_acache_gzip(sg_acache *c, sg_answer *a, const char **gz, size_t *gz_len)
{
    *gz = NULL;
    *gz_len = 0;
    if (a->len < SG_GZIP_MIN_BYTES || a->status != 200)
        return false; /* a is immutable: no lock needed for these */
    pthread_mutex_lock(&c->lock);
    while (a->gz_busy) /* one compression: wait for the first caller's */
        pthread_cond_wait(&c->done, &c->lock);
    if (a->gz != NULL || a->gz_none) {
        *gz = a->gz;
        *gz_len = a->gz_len;
        pthread_mutex_unlock(&c->lock);
        return *gz != NULL;
    }
    a->gz_busy = true;
    pthread_mutex_unlock(&c->lock);
    char *out;
    size_t n;
    int rc = sg_gzip_compress(a->data, a->len, &out, &n); /* outside the lock */
    pthread_mutex_lock(&c->lock);
    a->gz_busy = false;
    if (rc == 0) {
        a->gz = out;
        a->gz_len = n;
        acache_entry *e = a->home;
        if (e != NULL) { /* stored: the copy counts from now on */
            size_t more = gzip_bytes(a);
            e->bytes += more;
            c->bytes += more;
            while (c->bytes > c->max_bytes && oldest(c) != NULL)
                forget(c, oldest(c)); /* may be e itself: a stays referenced by the caller */
        }
        *gz = a->gz;
        *gz_len = a->gz_len;
    } else {
        a->gz_none = true; /* out of memory or no gain: plain from now on */
    }
    pthread_cond_broadcast(&c->done);
    pthread_mutex_unlock(&c->lock);
    return rc == 0;
}

void sg_acache_drop_profile(sg_acache *c, const char *id)
{
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->nbuckets; i++)
        for (acache_entry *e = c->buckets[i], *next; e != NULL; e = next) {
            next = e->hnext;
            if (strcmp(e->id1, id) != 0 && strcmp(e->id2, id) != 0)
                continue;
            if (e->computing)
                e->stale = true; /* its requests still get it; no one else will */
            forget(c, e);
        }
    pthread_mutex_unlock(&c->lock);
}

void sg_acache_get_stats(sg_acache *c, sg_acache_stats *out)
{
    pthread_mutex_lock(&c->lock);
    *out = (sg_acache_stats){.hits = c->hits,
                             .misses = c->misses,
                             .waits = c->waits,
                             .once = c->nonce,
                             .bytes = c->bytes,
                             .entries = c->stored,
                             .max_bytes = c->max_bytes};
    pthread_mutex_unlock(&c->lock);
}
