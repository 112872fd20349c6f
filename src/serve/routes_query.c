/*
 * routes_query.c — GET /api/profiles/{id}/{query} and GET /api/diff: take
 * the profile from the cache, read the view state (view_args.h), resolve
 * it once, run the query (query.h) and answer its JSON.
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
} side;

static int open_side(sg_request *req, const char *id, int focus_key, side *s)
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
    if (sg_view_args_parse(&req->params, p, focus_key, &c->args, err, sizeof err) != 0) {
        sg_view_args_free(&c->args);
        free(c);
        sg_reply_error(&req->reply, 400, "%s", err);
        return -1;
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
    size_t bytes = sizeof *c + (size_t)p->stacks.count * 4 + (size_t)c->rv.stacks->count * 16 +
                   (c->rv.stacks != &p->stacks ? (size_t)c->rv.stacks->count * 40 : 0);
    s->view = sg_loaded_derived_put(s->entry, s->key.data, c, free_cached_view, bytes, &s->handle);
    if (s->view == NULL) {
        sg_reply_error(&req->reply, 500, "out of memory");
        return -1;
    }
    return 0;
}

static void close_side(sg_request *req, side *s)
{
    if (s->handle != NULL)
        sg_loaded_derived_release(s->entry, s->handle);
    sg_jbuf_free(&s->key);
    sg_pcache_release(req->srv->cache, s->entry);
}

void sg_routes_query(sg_request *req)
{
    query_fn fn = query_by_name(req->sub);
    if (fn == NULL) {
        sg_reply_error(&req->reply, 404, "no query '%s'", req->sub);
        return;
    }
    int focus_key =
        strcmp(req->sub, "callgraph") == 0 ? SG_VIEW_ARGS_VIEW_FOCUS : SG_VIEW_ARGS_FOCUS;
    side s;
    if (open_side(req, req->id, focus_key, &s) == 0) {
        sg_jbuf out;
        sg_jbuf_init(&out);
        char err[512] = "";
        sg_query q = {s.entry,     s.entry->profile, &req->params, &s.view->args.view,
                      &s.view->rv, s.key.data,       &out,         err,
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
    side before, after;
    memset(&after, 0, sizeof after);
    if (open_side(req, a, SG_VIEW_ARGS_FOCUS, &before) == 0 &&
        open_side(req, b, SG_VIEW_ARGS_FOCUS, &after) == 0) {
        sg_jbuf out;
        sg_jbuf_init(&out);
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
