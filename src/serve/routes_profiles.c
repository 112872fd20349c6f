/*
 * routes_profiles.c — the stored profiles: list, get (with what the loaded
 * profile says: time span, threads, files), rename/tag (PATCH), delete,
 * download in any format spyglass writes, and the cache's loader.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "profile/formats.h"
#include "serve/body_json.h"
#include "serve/server_internal.h"

void sg_profile_rec_json(sg_jbuf *b, const sg_profile_rec *r)
{
    sg_jbuf_puts(b, "{\"id\":");
    sg_jbuf_str(b, r->id);
    sg_jbuf_puts(b, ",\"name\":");
    sg_jbuf_str(b, r->name);
    sg_jbuf_puts(b, ",\"uploaded_at\":");
    sg_jbuf_i64(b, r->uploaded_at);
    sg_jbuf_puts(b, ",\"host\":");
    sg_jbuf_str(b, r->host);
    sg_jbuf_puts(b, ",\"command\":");
    sg_jbuf_str(b, r->command);
    sg_jbuf_puts(b, ",\"python\":");
    sg_jbuf_str(b, r->python);
    sg_jbuf_puts(b, ",\"format\":");
    sg_jbuf_str(b, r->format);
    sg_jbuf_puts(b, ",\"duration_ns\":");
    sg_jbuf_u64(b, r->duration_ns);
    sg_jbuf_puts(b, ",\"samples\":");
    sg_jbuf_u64(b, r->samples);
    sg_jbuf_puts(b, ",\"size_bytes\":");
    sg_jbuf_u64(b, r->size_bytes);
    sg_jbuf_puts(b, ",\"tags\":");
    sg_jbuf_puts(b, r->tags && r->tags[0] == '[' ? r->tags : "[]"); /* canonical JSON (store.h) */
    sg_jbuf_puts(b, ",\"has_stacks\":");
    sg_jbuf_bool(b, r->has_stacks);
    sg_jbuf_puts(b, ",\"live\":");
    sg_jbuf_bool(b, r->live);
    sg_jbuf_char(b, '}');
}

int sg_server_load_profile(void *ctx, const char *id, sg_profile **out, int *status, char *err,
                           size_t errlen)
{
    sg_server *srv = ctx;
    sg_profile_rec rec;
    int found = sg_store_profile_get(srv->store, id, &rec);
    if (found <= 0) {
        *status = found == 0 ? 404 : 500;
        snprintf(err, errlen, found == 0 ? "no profile '%s'" : "cannot read the store for '%s'",
                 id);
        return -1;
    }
    char path[4096];
    sg_store_profile_path(srv->store, id, path, sizeof path);
    char why[512];
    int rc = sg_profile_load(path, rec.format, NULL, out, why, sizeof why);
    sg_profile_rec_free(&rec);
    if (rc != 0) {
        /* stored files were parsed at upload: failing now is the server's problem */
        *status = 500;
        snprintf(err, errlen, "cannot load profile '%s': %s", id, why);
        return -1;
    }
    return 0;
}

void sg_routes_profile_list(sg_request *req)
{
    static const char *const sorts[] = {"date", "duration", "samples", "name"};
    static const char *const orders[] = {"desc", "asc"};
    int sort = 0, order = -1;
    char err[256];
    if (sg_params_enum(&req->params, "sort", sorts, 4, &sort, err, sizeof err) != 0 ||
        sg_params_enum(&req->params, "order", orders, 2, &order, err, sizeof err) != 0) {
        sg_reply_error(&req->reply, 400, "%s", err);
        return;
    }
    const char *q = sg_params_get(&req->params, "q"), *tag = sg_params_get(&req->params, "tag");
    sg_list_query lq = {q && *q ? q : NULL, tag && *tag ? tag : NULL, sort,
                        order == 1 || (order == -1 && sort == SG_SORT_NAME)};
    sg_profile_rec *recs;
    size_t n;
    if (sg_store_profile_list(req->srv->store, &lq, &recs, &n) != 0) {
        sg_reply_error(&req->reply, 500, "cannot read the store");
        return;
    }
    sg_jbuf b;
    sg_jbuf_init(&b);
    sg_jbuf_puts(&b, "{\"profiles\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sg_jbuf_char(&b, ',');
        sg_profile_rec_json(&b, &recs[i]);
    }
    sg_jbuf_puts(&b, "]}");
    sg_profile_list_free(recs, n);
    sg_reply_json(&req->reply, 200, &b);
}

/* The loaded profile's details that the list does not carry. */
static void write_details(sg_jbuf *b, sg_loaded *e)
{
    static const char *const modes[] = {"unknown", "wall", "cpu"};
    static const char *const units[] = {"samples", "ns", "calls"};
    const sg_profile *p = e->profile;
    uint64_t total = 0;
    uint64_t *per_thread = calloc((size_t)p->threads.count + 1, sizeof *per_thread);
    for (size_t i = 0; i < p->samples.count; i++) {
        total += p->samples.weight[i];
        if (per_thread != NULL && p->samples.thread[i] < p->threads.count)
            per_thread[p->samples.thread[i]]++;
    }
    if (!sg_callstats_empty(&p->callstats)) {
        total = 0;
        for (uint32_t i = 0; i < p->callstats.func_count; i++)
            total += p->callstats.funcs[i].n.tt_ns;
    }
    sg_jbuf_puts(b, ",\"t_start\":");
    sg_jbuf_u64(b, e->t_start);
    sg_jbuf_puts(b, ",\"t_end\":");
    sg_jbuf_u64(b, e->t_end);
    sg_jbuf_puts(b, ",\"rate_hz\":");
    sg_jbuf_double(b, p->meta.interval_ns ? 1e9 / (double)p->meta.interval_ns : 0.0);
    sg_jbuf_puts(b, ",\"mode\":");
    sg_jbuf_str(b, modes[p->meta.mode <= 2 ? p->meta.mode : 0]);
    sg_jbuf_puts(b, ",\"weight_unit\":");
    sg_jbuf_str(b, units[p->meta.weight_unit <= 2 ? p->meta.weight_unit : 0]);
    sg_jbuf_puts(b, ",\"total_weight\":");
    sg_jbuf_u64(b, total);
    sg_jbuf_puts(b, ",\"frame_count\":");
    sg_jbuf_u64(b, p->frames.count);
    sg_jbuf_puts(b, ",\"start_unix_ns\":");
    sg_jbuf_u64(b, p->meta.start_unix_ns);
    sg_jbuf_puts(b, ",\"threads\":[");
    for (uint32_t t = 0; t < p->threads.count; t++) {
        sg_jbuf_puts(b, t ? ",{\"index\":" : "{\"index\":");
        sg_jbuf_u64(b, t);
        sg_jbuf_puts(b, ",\"tid\":");
        sg_jbuf_u64(b, p->threads.tid[t]);
        sg_jbuf_puts(b, ",\"name\":");
        sg_jbuf_str(b, sg_strings_get(&p->strings, p->threads.name[t]));
        sg_jbuf_puts(b, ",\"samples\":");
        sg_jbuf_u64(b, per_thread ? per_thread[t] : 0);
        sg_jbuf_char(b, '}');
    }
    free(per_thread);
    sg_jbuf_puts(b, "],\"files\":[");
    uint8_t *seen = calloc((size_t)p->strings.count + 1, 1);
    bool first = true;
    for (uint32_t f = 0; seen != NULL && f < p->frames.count; f++) {
        uint32_t file = p->frames.rows[f].file;
        if (seen[file])
            continue;
        seen[file] = 1;
        sg_jbuf_puts(b, first ? "{\"file\":" : ",{\"file\":");
        first = false;
        sg_jbuf_str(b, sg_strings_get(&p->strings, file));
        sg_jbuf_puts(b, ",\"has_source\":");
        sg_jbuf_bool(b, sg_sources_find(&p->sources, file) >= 0);
        sg_jbuf_char(b, '}');
    }
    free(seen);
    sg_jbuf_puts(b, "],\"events\":");
    sg_jbuf_u64(b, p->events.count);
}

void sg_routes_profile_get(sg_request *req)
{
    sg_profile_rec rec;
    int found = sg_store_profile_get(req->srv->store, req->id, &rec);
    if (found <= 0) {
        sg_reply_error(&req->reply, found == 0 ? 404 : 500,
                       found == 0 ? "no profile '%s'" : "cannot read the store (%s)", req->id);
        return;
    }
    int status;
    char err[512];
    sg_loaded *e = sg_pcache_get(req->srv->cache, req->id, &status, err, sizeof err);
    if (e == NULL) {
        sg_profile_rec_free(&rec);
        sg_reply_error(&req->reply, status, "%s", err);
        return;
    }
    sg_jbuf b;
    sg_jbuf_init(&b);
    sg_profile_rec_json(&b, &rec);
    b.len--; /* reopen the object: drop its '}' */
    write_details(&b, e);
    sg_jbuf_char(&b, '}');
    sg_pcache_release(req->srv->cache, e);
    sg_profile_rec_free(&rec);
    sg_reply_json(&req->reply, 200, &b);
}

void sg_routes_profile_patch(sg_request *req)
{
    sg_profile_patch patch;
    char err[512];
    if (sg_profile_patch_parse(req->body, req->body_len, &patch, err, sizeof err) != 0) {
        sg_reply_error(&req->reply, 400, "%s", err);
        return;
    }
    int found = sg_store_profile_update(req->srv->store, req->id, patch.name, patch.tags_json);
    sg_profile_patch_free(&patch);
    if (found <= 0) {
        sg_reply_error(&req->reply, found == 0 ? 404 : 500,
                       found == 0 ? "no profile '%s'" : "cannot write the store (%s)", req->id);
        return;
    }
    sg_profile_rec rec;
    if (sg_store_profile_get(req->srv->store, req->id, &rec) != 1) {
        sg_reply_error(&req->reply, 404, "no profile '%s'", req->id);
        return;
    }
    sg_jbuf b;
    sg_jbuf_init(&b);
    sg_profile_rec_json(&b, &rec);
    sg_profile_rec_free(&rec);
    sg_reply_json(&req->reply, 200, &b);
    sg_hub_publish(req->srv->hub, "profiles", "{}");
}

void sg_routes_profile_delete(sg_request *req)
{
    int found = sg_store_profile_delete(req->srv->store, req->id);
    if (found <= 0) {
        sg_reply_error(&req->reply, found == 0 ? 404 : 500,
                       found == 0 ? "no profile '%s'" : "cannot write the store (%s)", req->id);
        return;
    }
    sg_pcache_drop(req->srv->cache, req->id);
    sg_acache_drop_profile(req->srv->answers, req->id);
    sg_jbuf b;
    sg_jbuf_init(&b);
    sg_jbuf_puts(&b, "{\"deleted\":");
    sg_jbuf_str(&b, req->id);
    sg_jbuf_char(&b, '}');
    sg_reply_json(&req->reply, 200, &b);
    sg_hub_publish(req->srv->hub, "profiles", "{}");
}

/* A file name from the profile's name: letters, digits, '-', '_', '.'. */
static void safe_name(const char *name, char *out, size_t n)
{
    size_t k = 0;
    for (const char *c = name; *c && k + 1 < n && k < 80; c++) {
        char ch = *c;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
        out[k++] = ok ? ch : '_';
    }
    out[k] = '\0';
    if (k == 0)
        snprintf(out, n, "profile");
}

void sg_routes_profile_download(sg_request *req)
{
    sg_server *srv = req->srv;
    sg_profile_rec rec;
    int found = sg_store_profile_get(srv->store, req->id, &rec);
    if (found <= 0) {
        sg_reply_error(&req->reply, found == 0 ? 404 : 500, "no profile '%s'", req->id);
        return;
    }
    const char *want = sg_params_get(&req->params, "format");
    if (want == NULL || *want == '\0')
        want = rec.format;
    if (strcmp(want, "chrome") == 0)
        want = "chrome-trace";
    const sg_format *fmt = sg_format_by_name(want);
    if (fmt == NULL || fmt->export_ == NULL) {
        sg_reply_error(&req->reply, 400,
                       "parameter format: '%.32s' is not one of sgl, speedscope, collapsed, "
                       "pprof, chrome, firefox, pstats",
                       want);
        sg_profile_rec_free(&rec);
        return;
    }
    char path[4096], name[96];
    safe_name(rec.name, name, sizeof name);
    int fd = -1;
    if (strcmp(fmt->name, rec.format) == 0 && !rec.live) {
        fd = open(sg_store_profile_path(srv->store, req->id, path, sizeof path), O_RDONLY);
    } else {
        /* export into an unlinked temporary file and send that */
        snprintf(path, sizeof path, "%s/download-XXXXXX", sg_store_tmp_dir(srv->store));
        fd = mkstemp(path);
        if (fd >= 0) {
            unlink(path);
            int status;
            char err[512];
            sg_loaded *e = sg_pcache_get(srv->cache, req->id, &status, err, sizeof err);
            if (e == NULL) {
                close(fd);
                sg_reply_error(&req->reply, status, "%s", err);
                sg_profile_rec_free(&rec);
                return;
            }
            FILE *f = fdopen(dup(fd), "w");
            int rc = f == NULL ? -1 : fmt->export_(e->profile, f, NULL, err, sizeof err);
            if (f != NULL && fclose(f) != 0 && rc == 0) {
                rc = -1;
                snprintf(err, sizeof err, "cannot write: %s", strerror(errno));
            }
            sg_pcache_release(srv->cache, e);
            if (rc != 0) {
                close(fd);
                sg_reply_error(&req->reply, 400, "cannot export as %s: %s", fmt->name,
                               f == NULL ? strerror(errno) : err);
                sg_profile_rec_free(&rec);
                return;
            }
        }
    }
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        sg_reply_error(&req->reply, 500, "cannot read the profile file: %s", strerror(errno));
        sg_profile_rec_free(&rec);
        return;
    }
    sg_reply_free(&req->reply);
    req->reply.status = 200;
    req->reply.fd = fd;
    req->reply.fd_size = (uint64_t)st.st_size;
    req->reply.content_type = "application/octet-stream";
    if (asprintf(&req->reply.disposition, "attachment; filename=\"%s%s\"", name, fmt->extension) <
        0)
        req->reply.disposition = NULL;
    sg_profile_rec_free(&rec);
}
