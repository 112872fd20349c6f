/*
 * routes_views.c — saved views: a short id for a viewer state (the query
 * string of a profile page) with tags and a note, so a view can be shared
 * as /v/{id}.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "serve/body_json.h"
#include "serve/server_internal.h"

static void view_json(sg_jbuf *b, const sg_view_rec *v)
{
    sg_jbuf_puts(b, "{\"id\":");
    sg_jbuf_str(b, v->id);
    sg_jbuf_puts(b, ",\"profile\":");
    sg_jbuf_str(b, v->profile);
    sg_jbuf_puts(b, ",\"state\":");
    sg_jbuf_str(b, v->state);
    sg_jbuf_puts(b, ",\"tags\":");
    sg_jbuf_puts(b, v->tags && v->tags[0] == '[' ? v->tags : "[]");
    sg_jbuf_puts(b, ",\"note\":");
    sg_jbuf_str(b, v->note);
    sg_jbuf_puts(b, ",\"created_at\":");
    sg_jbuf_i64(b, v->created_at);
    sg_jbuf_char(b, '}');
}

void sg_routes_view_create(sg_request *req)
{
    sg_view_body body;
    char err[512];
    if (sg_view_body_parse(req->body, req->body_len, &body, err, sizeof err) != 0) {
        sg_reply_error(&req->reply, 400, "%s", err);
        return;
    }
    sg_profile_rec rec;
    int found = sg_store_profile_get(req->srv->store, body.profile, &rec);
    if (found <= 0) {
        sg_reply_error(&req->reply, found == 0 ? 404 : 500, "no profile '%s'", body.profile);
        sg_view_body_free(&body);
        return;
    }
    sg_profile_rec_free(&rec);
    sg_view_rec v = {.state = body.state,
                     .note = body.note,
                     .tags = body.tags_json,
                     .created_at = (int64_t)time(NULL)};
    memcpy(v.profile, body.profile, sizeof v.profile);
    int rc = -1;
    for (int attempt = 0; attempt < 4 && rc != 0; attempt++) /* an id collision retries */
        rc = sg_id_new(v.id) == 0 ? sg_store_view_insert(req->srv->store, &v) : -1;
    if (rc != 0)
        sg_reply_error(&req->reply, 500, "cannot write the store");
    else {
        sg_jbuf b;
        sg_jbuf_init(&b);
        view_json(&b, &v);
        sg_reply_json(&req->reply, 201, &b);
    }
    sg_view_body_free(&body);
}

void sg_routes_view_get(sg_request *req)
{
    sg_view_rec v;
    int found = sg_store_view_get(req->srv->store, req->id, &v);
    if (found <= 0) {
        sg_reply_error(&req->reply, found == 0 ? 404 : 500, "no saved view '%s'", req->id);
        return;
    }
    sg_jbuf b;
    sg_jbuf_init(&b);
    view_json(&b, &v);
    sg_view_rec_free(&v);
    sg_reply_json(&req->reply, 200, &b);
}

void sg_routes_view_list(sg_request *req)
{
    const char *profile = sg_params_get(&req->params, "profile");
    if (profile != NULL && *profile == '\0')
        profile = NULL;
    if (profile != NULL && !sg_id_valid(profile)) {
        sg_reply_error(&req->reply, 404, "no profile '%.32s'", profile);
        return;
    }
    sg_view_rec *vs;
    size_t n;
    if (sg_store_view_list(req->srv->store, profile, &vs, &n) != 0) {
        sg_reply_error(&req->reply, 500, "cannot read the store");
        return;
    }
    sg_jbuf b;
    sg_jbuf_init(&b);
    sg_jbuf_puts(&b, "{\"views\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sg_jbuf_char(&b, ',');
        view_json(&b, &vs[i]);
    }
    sg_jbuf_puts(&b, "]}");
    sg_view_list_free(vs, n);
    sg_reply_json(&req->reply, 200, &b);
}

void sg_routes_view_delete(sg_request *req)
{
    int found = sg_store_view_delete(req->srv->store, req->id);
    if (found <= 0) {
        sg_reply_error(&req->reply, found == 0 ? 404 : 500, "no saved view '%s'", req->id);
        return;
    }
    sg_jbuf b;
    sg_jbuf_init(&b);
    sg_jbuf_puts(&b, "{\"deleted\":");
    sg_jbuf_str(&b, req->id);
    sg_jbuf_char(&b, '}');
    sg_reply_json(&req->reply, 200, &b);
}
