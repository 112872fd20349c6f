/*
 * events.c — the server-sent event hub (events.h).
 *
 * Invariants (under h->lock): a listener is in the list from subscribe
 * until its response is freed; `suspended` is true exactly while its
 * connection is suspended by us; only the content reader suspends and
 * only publish/close/heartbeat resume, all under the lock, so a resume
 * never races the suspend it undoes.
 */
#include "serve/events.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct listener {
    sg_hub *hub;
    struct MHD_Connection *conn;
    char *buf;
    size_t len, off, cap;
    bool suspended, dead;
    struct listener *next;
} listener;

struct sg_hub {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    listener *head;
    bool closed;
    int count;
    pthread_t heartbeat;
    bool heartbeat_started;
};

/* Append bytes to one listener's queue (lock held). */
static void enqueue(listener *l, const char *s, size_t n)
{
    if (l->dead)
        return;
    if (l->off > 0 && l->off == l->len)
        l->off = l->len = 0;
    if (l->len - l->off + n > SG_HUB_QUEUE_MAX) {
        l->dead = true; /* too far behind: end its stream */
        return;
    }
    if (l->len + n > l->cap) {
        if (l->off > 0) {
            memmove(l->buf, l->buf + l->off, l->len - l->off);
            l->len -= l->off;
            l->off = 0;
        }
        size_t cap = l->cap ? l->cap : 1024;
        while (cap < l->len + n)
            cap *= 2;
        char *b = realloc(l->buf, cap);
        if (b == NULL) {
            l->dead = true;
            return;
        }
        l->buf = b;
        l->cap = cap;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void wake_listener(listener *l)
{
    if (l->suspended) {
        l->suspended = false;
        MHD_resume_connection(l->conn);
    }
}

static void broadcast(sg_hub *h, const char *s, size_t n)
{
    for (listener *l = h->head; l != NULL; l = l->next) {
        enqueue(l, s, n);
        wake_listener(l);
    }
}

static void *heartbeat_main(void *arg)
{
    sg_hub *h = arg;
    pthread_mutex_lock(&h->lock);
    while (!h->closed) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += SG_HUB_HEARTBEAT_S;
        pthread_cond_timedwait(&h->wake, &h->lock, &until);
        if (!h->closed)
            broadcast(h, ": heartbeat\n\n", 13);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

sg_hub *sg_hub_new(void)
{
    sg_hub *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->wake, NULL);
    h->heartbeat_started = pthread_create(&h->heartbeat, NULL, heartbeat_main, h) == 0;
    return h;
}

void sg_hub_close(sg_hub *h)
{
    if (h == NULL)
        return;
    pthread_mutex_lock(&h->lock);
    h->closed = true;
    for (listener *l = h->head; l != NULL; l = l->next) {
        l->dead = true;
        wake_listener(l);
    }
    pthread_cond_broadcast(&h->wake);
    pthread_mutex_unlock(&h->lock);
    if (h->heartbeat_started) {
        pthread_join(h->heartbeat, NULL);
        h->heartbeat_started = false;
    }
}

void sg_hub_free(sg_hub *h)
{
    if (h == NULL)
        return;
    sg_hub_close(h);
    /* the daemon has stopped: every response was freed, the list is empty */
    pthread_cond_destroy(&h->wake);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

void sg_hub_publish(sg_hub *h, const char *event, const char *data)
{
    if (h == NULL)
        return;
    size_t n = strlen(event) + strlen(data) + 32;
    char *msg = malloc(n);
    if (msg == NULL)
        return;
    int len = snprintf(msg, n, "event: %s\ndata: %s\n\n", event, data);
    pthread_mutex_lock(&h->lock);
    broadcast(h, msg, (size_t)len);
    pthread_mutex_unlock(&h->lock);
    free(msg);
}

static ssize_t read_events(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    listener *l = cls;
    sg_hub *h = l->hub;
    pthread_mutex_lock(&h->lock);
    if (l->len > l->off) {
        size_t n = l->len - l->off < max ? l->len - l->off : max;
        memcpy(buf, l->buf + l->off, n);
        l->off += n;
        pthread_mutex_unlock(&h->lock);
        return (ssize_t)n;
    }
    if (l->dead || h->closed) {
        pthread_mutex_unlock(&h->lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    l->suspended = true;
    MHD_suspend_connection(l->conn);
    pthread_mutex_unlock(&h->lock);
    return 0;
}

static void free_listener(void *cls)
{
    listener *l = cls;
    sg_hub *h = l->hub;
    pthread_mutex_lock(&h->lock);
    for (listener **p = &h->head; *p != NULL; p = &(*p)->next)
        if (*p == l) {
            *p = l->next;
            break;
        }
    h->count--;
    pthread_mutex_unlock(&h->lock);
    free(l->buf);
    free(l);
}

struct MHD_Response *sg_hub_subscribe(sg_hub *h, struct MHD_Connection *c)
{
    listener *l = calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    l->hub = h;
    l->conn = c;
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_events, l, free_listener);
    if (r == NULL) {
        free(l);
        return NULL;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    pthread_mutex_lock(&h->lock);
    static const char hello[] = "retry: 2000\n: connected\n\n";
    enqueue(l, hello, sizeof hello - 1);
    if (h->closed)
        l->dead = true;
    l->next = h->head;
    h->head = l;
    h->count++;
    pthread_mutex_unlock(&h->lock);
    return r;
}

int sg_hub_listeners(sg_hub *h)
{
    pthread_mutex_lock(&h->lock);
    int n = h->count;
    pthread_mutex_unlock(&h->lock);
    return n;
}
