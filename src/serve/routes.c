/*
 * routes.c — which handler answers a request (docs/api.md), and the checks
 * every request passes first: parameters within limits, the token when the
 * server has one, the method, the body's size and type.
 *
 * Paths are matched segment by segment; an {id} segment must pass
 * sg_id_valid before anything else sees it, so no request text ever
 * becomes part of a file path. /api/health and the small handlers live
 * here; the areas have their own files (routes_profiles.c, routes_query.c,
 * routes_views.c, routes_static.c, upload.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "serve/server_internal.h"

enum route {
    R_NONE = 0,
    R_HEALTH,
    R_PROFILES,      /* GET list, POST upload */
    R_PROFILE,       /* GET, PATCH, DELETE */
    R_PROFILE_QUERY, /* GET /api/profiles/{id}/{query} */
    R_DOWNLOAD,      /* GET /api/profiles/{id}/download */
    R_DIFF,          /* GET */
    R_VIEWS,         /* GET list, POST create */
    R_VIEW,          /* GET, DELETE */
    R_EVENTS,        /* GET */
    R_STATIC,        /* GET, HEAD: the viewer */
};

static const char *const query_names[] = {"tree",      "timeline", "functions", "butterfly",
                                          "callgraph", "source",   "treemap"};

static bool is(const char *method, const char *m)
{
    return strcmp(method, m) == 0;
}

/* Copy the next path segment of *p into seg (at most n-1 bytes); false if
 * longer. */
static bool segment(const char **p, char *seg, size_t n)
{
    const char *s = *p, *e = strchr(s, '/');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    if (len >= n)
        return false;
    memcpy(seg, s, len);
    seg[len] = '\0';
    *p = e ? e + 1 : s + len;
    return true;
}

/* Classify req->url; 0, or an HTTP status with the reply filled. */
static int classify(sg_request *req)
{
    const char *url = req->url;
    if (strncmp(url, "/api/", 5) != 0 && strcmp(url, "/api") != 0) {
        req->route = R_STATIC;
        return 0;
    }
    const char *p = url + (url[4] == '/' ? 5 : 4);
    char a[64], b[64], c[64];
    bool ok = segment(&p, a, sizeof a);
    bool has_b = ok && *p != '\0' && segment(&p, b, sizeof b);
    bool has_c = has_b && *p != '\0' && segment(&p, c, sizeof c);
    bool more = *p != '\0';
    if (ok && !more && !has_b && strcmp(a, "health") == 0)
        req->route = R_HEALTH;
    else if (ok && !more && !has_b && strcmp(a, "events") == 0)
        req->route = R_EVENTS;
    else if (ok && !more && !has_b && strcmp(a, "diff") == 0)
        req->route = R_DIFF;
    else if (ok && !more && !has_b && strcmp(a, "profiles") == 0)
        req->route = R_PROFILES;
    else if (ok && !more && !has_b && strcmp(a, "views") == 0)
        req->route = R_VIEWS;
    else if (ok && has_b && !more && (strcmp(a, "profiles") == 0 || strcmp(a, "views") == 0)) {
        bool profile = strcmp(a, "profiles") == 0;
        if (!sg_id_valid(b)) {
            sg_reply_error(&req->reply, 404, "no %s '%.64s' (ids are 8 characters of a-z, 0-9)",
                           profile ? "profile" : "saved view", b);
            return 404;
        }
        memcpy(req->id, b, SG_ID_LEN + 1);
        if (!has_c)
            req->route = profile ? R_PROFILE : R_VIEW;
        else if (profile && strcmp(c, "download") == 0)
            req->route = R_DOWNLOAD;
        else if (profile) {
            for (size_t i = 0; i < sizeof query_names / sizeof *query_names; i++)
                if (strcmp(c, query_names[i]) == 0) {
                    req->route = R_PROFILE_QUERY;
                    snprintf(req->sub, sizeof req->sub, "%s", query_names[i]);
                }
        }
    }
    if (req->route == R_NONE) {
        sg_reply_error(&req->reply, 404, "no API route %.200s", url);
        return 404;
    }
    return 0;
}

static bool method_allowed(int route, const char *m)
{
    switch (route) {
    case R_PROFILES:
    case R_VIEWS:
        return is(m, "GET") || is(m, "POST");
    case R_PROFILE:
        return is(m, "GET") || is(m, "PATCH") || is(m, "DELETE");
    case R_VIEW:
        return is(m, "GET") || is(m, "DELETE");
    case R_STATIC:
        return is(m, "GET") || is(m, "HEAD");
    default:
        return is(m, "GET");
    }
}

/* Constant time in the length of the expected token. */
static bool token_equal(const char *given, const char *want)
{
    size_t gl = strlen(given), wl = strlen(want);
    unsigned diff = gl != wl;
    for (size_t i = 0; i < wl; i++)
        diff |= (unsigned)(unsigned char)want[i] ^ (unsigned)(unsigned char)(i < gl ? given[i] : 0);
    return diff == 0;
}

static bool authorized(sg_request *req)
{
    const char *want = req->srv->token;
    if (want == NULL)
        return true;
    bool changes = !is(req->method, "GET") && !is(req->method, "HEAD");
    if (!changes && !req->srv->cfg.token_reads)
        return true;
    const char *auth = req->authorization;
    if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0 && token_equal(auth + 7, want))
        return true;
    const char *q = sg_params_get(&req->params, "token");
    return q != NULL && token_equal(q, want);
}

static void health(sg_request *req)
{
    sg_jbuf b;
    sg_jbuf_init(&b);
    sg_jbuf_puts(&b, "{\"ok\":true,\"version\":");
    sg_jbuf_str(&b, SG_VERSION);
    sg_jbuf_puts(&b, ",\"profiles\":");
    sg_jbuf_i64(&b, sg_store_profile_count(req->srv->store));
    sg_jbuf_puts(&b, ",\"max_upload\":");
    sg_jbuf_u64(&b, req->srv->cfg.max_upload);
    sg_jbuf_puts(&b, ",\"token_required\":");
    sg_jbuf_bool(&b, req->srv->token != NULL);
    size_t n, bytes, max;
    sg_pcache_get_stats(req->srv->cache, &n, &bytes, &max);
    sg_acache_stats a;
    sg_acache_get_stats(req->srv->answers, &a);
    sg_jbuf_printf(&b,
                   ",\"cache\":{\"profiles\":%zu,\"profile_bytes\":%zu,\"profile_max_bytes\":%zu,"
                   "\"answers\":%zu,\"answer_bytes\":%zu,\"answer_max_bytes\":%zu,"
                   "\"answer_hits\":%llu,\"answer_misses\":%llu,\"answer_waits\":%llu,"
                   "\"buffer_bytes\":%zu,\"buffer_max_bytes\":%zu,"
                   "\"scratch_bytes\":%zu,\"scratch_max_bytes\":%zu}",
                   n, bytes, max, a.entries, a.bytes, a.max_bytes, (unsigned long long)a.hits,
                   (unsigned long long)a.misses, (unsigned long long)a.waits,
                   sg_bufpool_bytes(req->srv->bufs), req->srv->bufs_max,
                   sg_tlpool_bytes(req->srv->tls), req->srv->tls_max);
    sg_jbuf_char(&b, '}');
    sg_reply_json(&req->reply, 200, &b);
}

/* A JSON body is coming: check its announced size and type. */
static void expect_json_body(sg_request *req)
{
    const char *ct = req->content_type;
    if (ct != NULL && strncasecmp(ct, "application/json", 16) != 0) {
        sg_reply_error(&req->reply, 415, "the body must be application/json, not %.100s", ct);
        return;
    }
    if (req->has_length && req->content_length > SG_SERVE_BODY_LIMIT) {
        sg_reply_error(&req->reply, 413, "the body is larger than %u bytes", SG_SERVE_BODY_LIMIT);
        return;
    }
    req->body_mode = SG_BODY_BUFFER;
}

void sg_route_begin(sg_request *req)
{
    if (classify(req) != 0)
        return;
    if (!method_allowed(req->route, req->method)) {
        sg_reply_error(&req->reply, 405, "method %.16s is not allowed on %.200s", req->method,
                       req->url);
        return;
    }
    if (req->params_failed) {
        sg_reply_error(&req->reply, 400, "too many or too long query parameters");
        return;
    }
    if (!authorized(req)) {
        sg_reply_error(&req->reply, 401,
                       "this server needs its token: send 'Authorization: Bearer TOKEN'");
        return;
    }
    bool post = is(req->method, "POST"), patch = is(req->method, "PATCH");
    switch (req->route) {
    case R_HEALTH:
        health(req);
        break;
    case R_PROFILES:
        if (post) {
            bool live = false;
            char err[256];
            if (sg_params_bool(&req->params, "live", &live, err, sizeof err) != 0)
                sg_reply_error(&req->reply, 400, "%s", err);
            else if (sg_upload_begin(req, live) == 0)
                req->body_mode = SG_BODY_UPLOAD;
        } else
            sg_routes_profile_list(req);
        break;
    case R_PROFILE:
        if (patch)
            expect_json_body(req);
        else if (is(req->method, "DELETE"))
            sg_routes_profile_delete(req);
        else
            sg_routes_profile_get(req);
        break;
    case R_DOWNLOAD:
        sg_routes_profile_download(req);
        break;
    case R_PROFILE_QUERY:
        sg_routes_query(req);
        break;
    case R_DIFF:
        sg_routes_diff(req);
        break;
    case R_VIEWS:
        if (post)
            expect_json_body(req);
        else
            sg_routes_view_list(req);
        break;
    case R_VIEW:
        if (is(req->method, "DELETE"))
            sg_routes_view_delete(req);
        else
            sg_routes_view_get(req);
        break;
    case R_EVENTS:
        req->reply.sse = true;
        req->reply.status = 200;
        break;
    case R_STATIC:
        sg_routes_static(req);
        break;
    }
}

void sg_route_finish(sg_request *req)
{
    if (req->body_mode == SG_BODY_UPLOAD)
        sg_upload_finish(req);
    else if (req->route == R_PROFILE)
        sg_routes_profile_patch(req);
    else if (req->route == R_VIEWS)
        sg_routes_view_create(req);
    else
        sg_reply_error(&req->reply, 500, "no handler for the body of %s %s", req->method, req->url);
}

void sg_route_abort(sg_request *req)
{
    if (req->upload != NULL)
        sg_upload_abort(req);
}
