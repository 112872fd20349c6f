/*
 * routes_query.c — GET /api/profiles/{id}/{query} and GET /api/diff: take
 * the profile from the cache, read the view state (view_args.h), resolve
 * it once, run the query (query.h) and answer its JSON.
 *
 * Every answer goes through the answer cache (answer_cache.h) under the
 * key (query, profile ids, canonical parameters): a repeated question is
 * answered from the stored bytes without touching the profile, and
 * identical questions asked at once are computed once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/query.h"
#include "serve/server_internal.h"
#include "serve/view_args.h"

typedef int (*query_fn)(sg_query *q);

static query_fn query_by_name(const char *name)
{
    static const struct {
        const char *name;
        query_fn fn;
    } table[] = {{"tree", sg_query_tree},           {"timeline", sg_query_timeline},
                 {"functions", sg_query_functions}, {"butterfly", sg_query_butterfly},
                 {"callgraph", sg_query_callgraph}, {"source", sg_query_source},
                 {"treemap", sg_query_treemap}};
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strcmp(table[i].name, name) == 0)
            return table[i].fn;
    return NULL;
}

/* A resolved view kept with the entry: the view's own storage (the
 * resolution borrows its thread mask) and the resolution. */
typedef struct cached_view {
    sg_view_args args;
    sg_view_resolved rv;
} cached_view;

static void free_cached_view(void *obj)
{
    cached_view *c = obj;
    sg_view_resolved_free(&c->rv);
    sg_view_args_free(&c->args);
    free(c);
}

/* One side of a query: the entry and its (cached) resolved view. */
typedef struct side {
    sg_loaded *entry;
    cached_view *view;
    sg_derived *handle;
    sg_jbuf key;
    uint64_t t0_ns, t1_ns; /* the view's time range, when kept apart (window) */
} side;

/* window: keep the view's time range out of the resolved view (the
 * timeline: every pan or zoom is a new range over the same view, see
 * windowed()). prefix: the diff side's parameter prefix ("before."), or
 * NULL (view_args.h). */
static int open_side(sg_request *req, const char *id, int focus_key, const char *prefix,
                     bool window, side *s)
{
    memset(s, 0, sizeof *s);
    sg_jbuf_init(&s->key);
    int status;
    char err[512];
    s->entry = sg_pcache_get(req->srv->cache, id, &status, err, sizeof err);
    if (s->entry == NULL) {
        sg_reply_error(&req->reply, status, "%s", err);
        return -1;
    }
    const sg_profile *p = s->entry->profile;
    cached_view *c = calloc(1, sizeof *c);
    if (c == NULL) {
        sg_reply_error(&req->reply, 500, "out of memory");
        return -1;
    }
    if (sg_view_args_parse_side(&req->params, p, focus_key, prefix, &c->args, err, sizeof err) !=
        0) {
        sg_view_args_free(&c->args);
        free(c);
        sg_reply_error(&req->reply, 400, "%s", err);
        return -1;
    }
    if (window) {
        s->t0_ns = c->args.view.t0_ns;
        s->t1_ns = c->args.view.t1_ns;
        c->args.view.t0_ns = c->args.view.t1_ns = 0;
    }
    sg_jbuf_puts(&s->key, "view:");
    sg_view_args_key(&c->args, p->threads.count, &s->key);
    if (s->key.failed) {
        free_cached_view(c);
        sg_reply_error(&req->reply, 500, "out of memory");
        return -1;
    }
    s->view = sg_loaded_derived_get(s->entry, s->key.data, &s->handle);
    if (s->view != NULL) {
        sg_view_args_free(&c->args);
        free(c);
        return 0;
    }
    int rc = sg_view_resolve(p, &c->args.view, &c->rv);
    if (rc != 0) {
        free_cached_view(c);
        sg_reply_error(&req->reply, rc == SG_PROFILE_EINVAL ? 400 : 500, "the view: %s",
                       sg_profile_strerror(rc));
        return -1;
    }
    /* what sg_view_resolve allocated (view.c): the map, two per-row sums,
     * and the derived stack table with its index when the view has one */
    const sg_stacks *ds = &c->rv.owned_stacks;
    size_t rows = c->rv.stacks->count;
    size_t bytes = sg_alloc_bytes(1, sizeof *c) + sg_alloc_bytes((size_t)p->stacks.count + 1, 4) +
                   2 * sg_alloc_bytes(rows, 8) + sg_alloc_bytes(ds->cap, sizeof(sg_stack_row)) +
                   sg_alloc_bytes(ds->slots ? (size_t)ds->slot_mask + 1 : 0, 8) +
                   sg_alloc_bytes(p->threads.count, 1);
    s->view = sg_loaded_derived_put(s->entry, s->key.data, c, free_cached_view, bytes, &s->handle);
    if (s->view == NULL) {
        sg_reply_error(&req->reply, 500, "out of memory");
        return -1;
    }
    return 0;
}

/*
 * The side's resolved view with its time range put back as a per-sample
 * test. Exact for queries that read samples through sg_view_sample_stack
 * and never the per-row sums (the timeline): the same samples pass, and
 * the view without the range was resolved once for every window.
 */
static sg_view_resolved windowed(const side *s)
{
    sg_view_resolved rv = s->view->rv;
    if (s->t0_ns != 0 || s->t1_ns != 0) {
        rv.check_time = true;
        rv.t0_ns = s->t0_ns;
        rv.t1_ns = s->t1_ns;
    }
    return rv;
}

static void close_side(sg_request *req, side *s)
{
    if (s->handle != NULL)
        sg_loaded_derived_release(s->entry, s->handle);
    sg_jbuf_free(&s->key);
    sg_pcache_release(req->srv->cache, s->entry);
}

typedef void (*compute_fn)(sg_request *req);

/* Answer req from the answer cache, computing it with compute (which fills
 * req->reply) when no one has. */
static void answer_cached(sg_request *req, const char *id1, const char *id2, compute_fn compute)
{
    static const char *const skip[] = {"token", NULL};
    sg_jbuf key;
    sg_jbuf_init(&key);
    sg_jbuf_printf(&key, "%s\n%s\n%s\n", req->route_name, id1, id2 != NULL ? id2 : "");
    sg_params_key(&req->params, skip, &key);
    sg_answer *a = NULL;
    sg_flight *flight = NULL;
    int rc = key.failed
                 ? -1
                 : sg_acache_begin(req->srv->answers, key.data, key.len, id1, id2, &a, &flight);
    sg_jbuf_free(&key);
    if (rc == SG_ACACHE_HIT) {
        sg_reply_shared(&req->reply, a);
        return;
    }
    compute(req);
    if (rc != SG_ACACHE_COMPUTE)
        return;
    sg_reply *r = &req->reply;
    a = NULL;
    if (r->body != NULL) { /* the answer takes the reply's bytes */
        a = sg_answer_adopt(r->status, r->body, r->len);
        r->body = NULL;
        if (a != NULL)
            a->pool = req->srv->bufs; /* its bytes go back there unless kept */
    }
    sg_acache_finish(req->srv->answers, flight, a);
    if (a != NULL)
        sg_reply_shared(r, a);
    else if (r->body == NULL && r->static_body == NULL)
        sg_reply_error(r, 500, "out of memory");
}

static void compute_query(sg_request *req)
{
    query_fn fn = query_by_name(req->sub);
    int focus_key =
        strcmp(req->sub, "callgraph") == 0 ? SG_VIEW_ARGS_VIEW_FOCUS : SG_VIEW_ARGS_FOCUS;
    bool timeline = fn == sg_query_timeline;
    side s;
    if (open_side(req, req->id, focus_key, NULL, timeline, &s) == 0) {
        sg_jbuf out;
        sg_jbuf_init(&out);
        sg_bufpool_jbuf(req->srv->bufs, &out); /* pages already touched */
        char err[512] = "";
        sg_view_resolved rv = timeline ? windowed(&s) : s.view->rv;
        sg_query q = {s.entry,   s.entry->profile, &req->params, &s.view->args.view,
                      &rv,       s.key.data,       &out,         err,
                      sizeof err};
        int status = fn(&q);
        if (status != 0) {
            sg_jbuf_free(&out);
            sg_reply_error(&req->reply, status, "%s", err);
        } else
            sg_reply_json(&req->reply, 200, &out);
    }
    close_side(req, &s);
}

void sg_routes_query(sg_request *req)
{
    if (query_by_name(req->sub) == NULL) {
        sg_reply_error(&req->reply, 404, "no query '%s'", req->sub);
        return;
    }
    req->route_name = req->sub;
    answer_cached(req, req->id, NULL, compute_query);
}

static void compute_diff(sg_request *req)
{
    const char *a = sg_params_get(&req->params, "before"),
               *b = sg_params_get(&req->params, "after");
    side before, after;
    memset(&after, 0, sizeof after);
    if (open_side(req, a, SG_VIEW_ARGS_FOCUS, "before.", false, &before) == 0 &&
        open_side(req, b, SG_VIEW_ARGS_FOCUS, "after.", false, &after) == 0) {
        sg_jbuf out;
        sg_jbuf_init(&out);
        sg_bufpool_jbuf(req->srv->bufs, &out);
        char err[512] = "";
        sg_query qa = {
            before.entry,     before.entry->profile, &req->params, &before.view->args.view,
            &before.view->rv, before.key.data,       &out,         err,
            sizeof err};
        sg_query qb = {after.entry,     after.entry->profile, &req->params, &after.view->args.view,
                       &after.view->rv, after.key.data,       &out,         err,
                       sizeof err};
        int status = sg_query_diff(&qa, &qb, &out, err, sizeof err);
        if (status != 0) {
            sg_jbuf_free(&out);
            sg_reply_error(&req->reply, status, "%s", err);
        } else
            sg_reply_json(&req->reply, 200, &out);
    }
    close_side(req, &before);
    close_side(req, &after);
}

void sg_routes_diff(sg_request *req)
{
    const char *a = sg_params_get(&req->params, "before"),
               *b = sg_params_get(&req->params, "after");
    if (a == NULL || b == NULL) {
        sg_reply_error(&req->reply, 400, "parameter %s: missing (a profile id)",
                       a == NULL ? "before" : "after");
        return;
    }
    if (!sg_id_valid(a) || !sg_id_valid(b)) {
        sg_reply_error(&req->reply, 404, "no profile '%.32s'", sg_id_valid(a) ? b : a);
        return;
    }
    req->route_name = "diff";
    answer_cached(req, a, b, compute_diff);
}
