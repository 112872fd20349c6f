/*
 * http.c — the libmicrohttpd side of the server: starting and stopping the
 * daemon, turning each connection's callbacks into the request life of
 * server_internal.h, and sg_reply into responses.
 *
 * The daemon runs its own polling threads (a pool of cfg.threads), with
 * suspend/resume for the event streams and a per-connection memory limit
 * that bounds the request line and headers (SG_SERVE_HEADER_LIMIT; beyond
 * it libmicrohttpd itself answers 431 — the one error that is not ours
 * and so not JSON).
 *
 * Content coding: a cached answer (sg_reply.shared) goes out gzipped when
 * the request accepts gzip and the answer is worth it (http_gzip.h); the
 * gzip bytes are made once and kept with the answer (answer_cache.h).
 * Compression buys bandwidth with CPU (about 2 ms per MB), so a client on
 * the loopback interface, for which bytes cost next to nothing, gets an
 * answer's first response plain and gzip from its second on (the cost is
 * then shared by the repeats); any other client gets gzip at once. Such
 * replies say `Vary: Accept-Encoding`, so a cache between us and the
 * client keeps the two codings apart.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/http_gzip.h"
#include "serve/prefetch.h"
#include "serve/server_internal.h"

/* Body bytes read and dropped after an upload was refused mid-body, so the
 * client still gets its 413; past this the connection is closed. */
#define SG_SERVE_DRAIN_LIMIT (64ull << 20)

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

typedef struct conn_state {
    sg_request req;
    bool queued;
    double started_ms;
    uint64_t drained; /* body bytes read away after a refusal */
} conn_state;

static enum MHD_Result copy_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    sg_request *req = cls;
    if (key != NULL && sg_params_add(&req->params, key, value) != 0)
        req->params_failed = true; /* routes answer 400 */
    return MHD_YES;
}

/* Whether the connection's peer is this machine (127.0.0.0/8, ::1, or
 * IPv4-mapped loopback). */
static bool peer_is_loopback(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci == NULL || ci->client_addr == NULL)
        return false;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

/* Send answer a gzipped? (See the top of the file.) */
static bool want_gzip(sg_request *req, sg_answer *a)
{
    unsigned before = __atomic_fetch_add(&a->served, 1, __ATOMIC_RELAXED);
    const char *accept = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Accept-Encoding");
    return a->len >= SG_GZIP_MIN_BYTES && sg_http_accepts_gzip(accept) &&
           (before > 0 || !peer_is_loopback(req->conn));
}

static void release_answer(void *answer)
{
    sg_answer_release(answer);
}

static enum MHD_Result queue_reply(conn_state *cs)
{
    sg_request *req = &cs->req;
    sg_reply *r = &req->reply;
    if (cs->queued)
        return MHD_YES;
    if (r->status == 0)
        sg_reply_error(r, 500, "no answer for %s %s (a bug in spyglass)", req->method, req->url);
    struct MHD_Response *resp;
    bool gzipped = false, vary = false;
    if (r->sse)
        resp = sg_hub_subscribe(req->srv->hub, req->conn);
    else if (r->fd > 0) {
        resp = MHD_create_response_from_fd(r->fd_size, r->fd);
        if (resp != NULL)
            r->fd = 0; /* the response closes it */
    } else if (r->shared != NULL) {
        const char *body = r->shared->data, *gz;
        size_t len = r->shared->len, gz_len;
        gzipped =
            want_gzip(req, r->shared) && sg_acache_gzip(req->srv->answers, r->shared, &gz, &gz_len);
        if (gzipped) {
            body = gz;
            len = gz_len;
        }
        resp = MHD_create_response_from_buffer_with_free_callback_cls(len, (void *)body,
                                                                      release_answer, r->shared);
        if (resp != NULL)
            r->shared = NULL; /* the response releases it (and so the bytes) */
        vary = true;
    } else if (r->static_body != NULL)
        resp =
            MHD_create_response_from_buffer(r->len, (void *)r->static_body, MHD_RESPMEM_PERSISTENT);
    else {
        resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
        if (resp != NULL)
            r->body = NULL; /* the response frees it */
    }
    if (resp == NULL)
        return MHD_NO;
    if (r->content_type != NULL)
        MHD_add_response_header(resp, "Content-Type", r->content_type);
    if (r->disposition != NULL)
        MHD_add_response_header(resp, "Content-Disposition", r->disposition);
    MHD_add_response_header(resp, "Cache-Control",
                            r->cache_control != NULL ? r->cache_control : "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (gzipped)
        MHD_add_response_header(resp, "Content-Encoding", "gzip");
    if (vary)
        MHD_add_response_header(resp, "Vary", "Accept-Encoding");
    enum MHD_Result ok = MHD_queue_response(req->conn, (unsigned)(r->sse ? 200 : r->status), resp);
    MHD_destroy_response(resp);
    if (ok == MHD_YES)
        cs->queued = true;
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    conn_state *cs = *con_cls;
    if (cs == NULL) {
        cs = calloc(1, sizeof *cs);
        if (cs == NULL)
            return MHD_NO;
        *con_cls = cs;
        cs->started_ms = now_ms();
        sg_request *req = &cs->req;
        req->srv = cls;
        req->conn = conn;
        req->method = method;
        req->url = url;
        sg_params_init(&req->params);
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, copy_arg, req);
        req->authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
        req->content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
        const char *len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        req->has_length = len != NULL && sg_parse_u64(len, UINT64_MAX, &req->content_length);
        sg_route_begin(req);
        if (req->reply.status != 0 || req->body_mode == SG_BODY_NONE)
            return queue_reply(cs);
        return MHD_YES;
    }
    sg_request *req = &cs->req;
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (req->reply.status != 0) {
            /* refused mid-body: read the rest away and answer at its end
             * (a response queued mid-body is not reliably sent), but only
             * so far: a client that keeps sending is cut off */
            cs->drained += n;
            return cs->drained > SG_SERVE_DRAIN_LIMIT ? MHD_NO : MHD_YES;
        }
        if (req->body_mode == SG_BODY_UPLOAD) {
            if (sg_upload_write(req, upload_data, n) != 0)
                sg_upload_abort(req); /* its file goes now; the reply stays */
        } else if (req->body_len + n > SG_SERVE_BODY_LIMIT) {
            sg_reply_error(&req->reply, 413, "the body is larger than %u bytes",
                           SG_SERVE_BODY_LIMIT);
        } else {
            if (req->body_len + n + 1 > req->body_cap) {
                size_t cap = req->body_cap ? req->body_cap : 4096;
                while (cap < req->body_len + n + 1)
                    cap *= 2;
                char *b = realloc(req->body, cap);
                if (b == NULL) {
                    sg_reply_error(&req->reply, 500, "out of memory");
                    return queue_reply(cs);
                }
                req->body = b;
                req->body_cap = cap;
            }
            memcpy(req->body + req->body_len, upload_data, n);
            req->body_len += n;
            req->body[req->body_len] = '\0';
        }
        return MHD_YES;
    }
    if (!req->finished) {
        req->finished = true;
        if (req->reply.status == 0)
            sg_route_finish(req);
    }
    return queue_reply(cs);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    sg_server *srv = cls;
    conn_state *cs = *con_cls;
    if (cs == NULL)
        return;
    *con_cls = NULL;
    sg_request *req = &cs->req;
    if (!req->finished || toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        sg_route_abort(req);
    if (srv->cfg.log)
        fprintf(stderr, "spyglass serve: %s %s -> %d (%.1f ms)%s\n", req->method, req->url,
                req->reply.sse ? 200 : req->reply.status, now_ms() - cs->started_ms,
                toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " [connection ended early]");
    sg_reply_free(&req->reply);
    sg_params_free(&req->params);
    free(req->body);
    free(cs);
}

bool sg_host_is_loopback(const char *host)
{
    if (host == NULL || strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
        return true;
    struct in_addr a;
    return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

int sg_default_data_dir(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    int n;
    if (xdg != NULL && xdg[0] == '/')
        n = snprintf(buf, len, "%s/spyglass", xdg);
    else if (home != NULL && home[0] != '\0')
        n = snprintf(buf, len, "%s/.local/share/spyglass", home);
    else
        return -1;
    return n > 0 && (size_t)n < len ? 0 : -1;
}

static void free_server(sg_server *s)
{
    sg_prefetch_stop(s->prefetch); /* it loads through the cache and the store */
    sg_hub_free(s->hub);
    sg_pcache_free(s->cache);
    sg_tlpool_free(s->tls); /* after the entries that borrow it */
    sg_acache_free(s->answers);
    sg_bufpool_free(s->bufs); /* after the answers, which give their buffers back */
    sg_store_close(s->store);
    free(s->data_dir);
    free(s->host);
    free(s->token);
    free(s);
}

int sg_server_start(const sg_serve_config *cfg, sg_server **out, char *err, size_t errlen)
{
    *out = NULL;
    const char *host = cfg->host != NULL ? cfg->host : "127.0.0.1";
    if (!sg_host_is_loopback(host) && (cfg->token == NULL || cfg->token[0] == '\0')) {
        snprintf(err, errlen,
                 "listening on %s (not loopback) needs --token: anyone who can reach the port "
                 "could change the store",
                 host);
        return -1;
    }
    /* A fixed mmap threshold: every large array (a profile's columns, an
     * index) gets its own mapping and goes back to the system when freed.
     * glibc's default raises the threshold after such a free, so later
     * large arrays come from the heap and evicted profiles stay resident,
     * and the server's RSS outgrows its cache limit. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    struct addrinfo hints = {.ai_flags = AI_NUMERICSERV | AI_PASSIVE, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    char port[8];
    snprintf(port, sizeof port, "%u", cfg->port);
    int gai = getaddrinfo(strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, port, &hints, &ai);
    if (gai != 0) {
        snprintf(err, errlen, "cannot use host '%s': %s", host, gai_strerror(gai));
        return -1;
    }
    sg_server *s = calloc(1, sizeof *s);
    if (s == NULL) {
        freeaddrinfo(ai);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->cfg = *cfg;
    s->data_dir = strdup(cfg->data_dir);
    s->host = strdup(host);
    s->token = cfg->token != NULL && cfg->token[0] != '\0' ? strdup(cfg->token) : NULL;
    s->cfg.data_dir = s->data_dir;
    s->cfg.host = s->host;
    s->cfg.token = s->token;
    if (s->cfg.max_upload == 0)
        s->cfg.max_upload = SG_SERVE_DEFAULT_MAX_UPLOAD;
    if (s->cfg.cache_bytes == 0)
        s->cfg.cache_bytes = SG_SERVE_DEFAULT_CACHE;
    if (s->cfg.threads == 0)
        s->cfg.threads = SG_SERVE_DEFAULT_THREADS;
    char(*live)[SG_ID_LEN + 1] = NULL;
    size_t nlive = 0;
    if (s->data_dir == NULL || s->host == NULL ||
        sg_store_open(s->data_dir, &s->store, &live, &nlive, err, errlen) != 0)
        goto fail;
    /* one memory budget: an eighth for encoded answers (of which up to a
     * quarter, at most 64 MiB, for recycled answer buffers: bufpool.h),
     * the rest for loaded profiles and what is derived from them, less
     * the timeline scratch kept between requests (tlpool.h: up to an
     * eighth of that rest, at most 64 MiB) */
    size_t answer_bytes = s->cfg.cache_bytes / 8;
    size_t pool_bytes = answer_bytes / 4 < SG_SERVE_POOL_MAX ? answer_bytes / 4 : SG_SERVE_POOL_MAX;
    size_t profile_bytes = s->cfg.cache_bytes - answer_bytes;
    size_t tl_bytes = profile_bytes / 8 < SG_SERVE_TL_TOTAL ? profile_bytes / 8 : SG_SERVE_TL_TOTAL;
    s->bufs_max = pool_bytes;
    s->tls_max = tl_bytes;
    s->cache = sg_pcache_new(profile_bytes - tl_bytes, 64, sg_server_load_profile, s);
    s->answers = sg_acache_new(answer_bytes - pool_bytes);
    s->bufs = sg_bufpool_new(SG_SERVE_POOL_MIN, pool_bytes);
    s->tls = sg_tlpool_new(2 * (size_t)s->cfg.threads,
                           tl_bytes < SG_SERVE_TL_EACH ? tl_bytes : SG_SERVE_TL_EACH, tl_bytes);
    s->hub = sg_hub_new();
    if (s->cache == NULL || s->answers == NULL || s->bufs == NULL || s->tls == NULL ||
        s->hub == NULL) {
        free(live);
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    sg_pcache_set_tlpool(s->cache, s->tls);
    s->prefetch = sg_prefetch_start(s->cache);
    for (size_t i = 0; i < nlive; i++)
        sg_upload_recover_live(s, live[i]);
    free(live);
    /* poll(), not epoll: with 0.9.75's edge-triggered epoll, a client that
     * sends part of a body and closes at once was sometimes never noticed,
     * leaving its upload open until the connection timeout */
    unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (cfg->log)
        flags |= MHD_USE_ERROR_LOG;
    s->daemon = MHD_start_daemon(
        flags, cfg->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_THREAD_POOL_SIZE, s->cfg.threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)SG_SERVE_HEADER_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000, MHD_OPTION_LISTENING_ADDRESS_REUSE,
        (unsigned)1, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    if (s->daemon == NULL) {
        snprintf(err, errlen,
                 "cannot listen on %s port %u (in use, or not an address of this "
                 "machine)",
                 host, cfg->port);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info != NULL ? info->port : cfg->port;
    freeaddrinfo(ai);
    *out = s;
    return 0;
fail:
    freeaddrinfo(ai);
    free_server(s);
    return -1;
}

uint16_t sg_server_port(const sg_server *s)
{
    return s->port;
}

void sg_server_stop(sg_server *s)
{
    if (s == NULL)
        return;
    sg_hub_close(s->hub); /* ends event streams so the daemon can stop */
    if (s->daemon != NULL)
        MHD_stop_daemon(s->daemon);
    free_server(s);
}
