/*
 * upload.c — POST /api/profiles: a profile's bytes streamed to a file in
 * DATA/tmp, then detected and imported (any format formats.h reads),
 * renamed into DATA/profiles/ID and only then given its row (store.h says
 * why that order keeps the store consistent through a kill -9). Nothing of
 * the body is held in memory; the size limit is checked against the
 * announced length before the first byte and against what arrives after.
 *
 * Live uploads (?live=1, a chunked .sgl body) are written straight to
 * DATA/profiles/ID with their row created at once (live = true), and
 * re-read at most once per SG_LIVE_REFRESH_MS as bytes arrive: the .sgl
 * reader loads every complete chunk of a growing file, so each refresh is
 * a consistent profile, which replaces the cached one and is announced on
 * the event stream. When the body ends, or the connection drops, the
 * profile is final (live = false) with whatever complete chunks came.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "profile/formats.h"
#include "profile/sgl.h"
#include "serve/body_json.h"
#include "serve/prefetch.h"
#include "serve/server_internal.h"
#include "serve/sgl_scan.h"

#define SG_LIVE_REFRESH_MS 500

struct sg_upload {
    int fd;
    char path[4096];
    uint64_t received;
    bool live;
    char id[SG_ID_LEN + 1];
    char *name, *tags_json;
    double last_refresh_ms;
    uint64_t refreshed_bytes;
};

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void upload_free(sg_upload *u)
{
    if (u == NULL)
        return;
    if (u->fd >= 0)
        close(u->fd);
    free(u->name);
    free(u->tags_json);
    free(u);
}

static const char *meta_text(const sg_profile *p, uint32_t id)
{
    return id != 0 && id < p->strings.count ? sg_strings_get(&p->strings, id) : "";
}

/* The record's numbers from a loaded profile. */
static void fill_stats(sg_profile_rec *r, const sg_profile *p)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < p->samples.count; i++) {
        uint64_t t = p->samples.time_ns[i];
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
    }
    r->samples = p->samples.count;
    r->duration_ns = p->meta.duration_ns;
    if (r->duration_ns == 0 && p->samples.count > 0)
        r->duration_ns = hi - lo;
    if (r->duration_ns == 0 && !sg_callstats_empty(&p->callstats)) {
        uint64_t tt = 0; /* pstats: the time it measured */
        for (uint32_t i = 0; i < p->callstats.func_count; i++)
            tt += p->callstats.funcs[i].n.tt_ns;
        r->duration_ns = tt;
    }
    r->has_stacks = p->meta.has_stacks && sg_callstats_empty(&p->callstats);
    r->host = (char *)meta_text(p, p->meta.host);
    r->command = (char *)meta_text(p, p->meta.command);
    r->python = (char *)meta_text(p, p->meta.python_version);
}

/* Publish a profile's progress on the event stream. */
static void announce(sg_server *srv, const sg_profile_rec *r)
{
    char data[256];
    snprintf(data, sizeof data, "{\"id\":\"%s\",\"samples\":%llu,\"duration_ns\":%llu,\"live\":%s}",
             r->id, (unsigned long long)r->samples, (unsigned long long)r->duration_ns,
             r->live ? "true" : "false");
    sg_hub_publish(srv->hub, "profile", data);
}

/* The record's numbers from an .sgl file's scan (borrowing its texts). */
static void fill_stats_scan(sg_profile_rec *r, const sg_sgl_summary *sum)
{
    r->samples = sum->samples;
    r->duration_ns = sum->duration_ns;
    r->has_stacks = sum->has_stacks;
    r->host = sum->host;
    r->command = sum->command;
    r->python = sum->python;
}

int sg_upload_store_file(sg_server *srv, const char *tmp_path, const char *name,
                         const char *tags_json, sg_profile_rec *rec, int *status, char *err,
                         size_t errlen)
{
    memset(rec, 0, sizeof *rec);
    *status = 500;
    int fd = open(tmp_path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot read the upload: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (st.st_size == 0) {
        close(fd);
        *status = 400;
        snprintf(err, errlen, "the body is empty (expected a profile file)");
        return -1;
    }
    void *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (data == MAP_FAILED) {
        snprintf(err, errlen, "cannot map the upload: %s", strerror(errno));
        return -1;
    }
    /* .sgl: scanned (sgl_scan.h), loaded when a query needs it; any other
     * format: imported now (the profile goes into the cache) */
    const sg_format *fmt = sg_format_detect(data, (size_t)st.st_size);
    bool scanned = fmt != NULL && strcmp(fmt->name, "sgl") == 0;
    sg_profile *p = NULL;
    sg_sgl_summary sum = {0};
    char why[512] = "";
    int rc = -1;
    if (fmt == NULL) {
        *status = 415;
        snprintf(err, errlen,
                 "not a profile format spyglass reads (.sgl, pstats, collapsed stacks, "
                 "speedscope, Chrome trace, pprof)");
    } else if (scanned ? sg_sgl_scan(data, (size_t)st.st_size, &sum, why, sizeof why) != 0
                       : fmt->import(data, (size_t)st.st_size, NULL, &p, why, sizeof why) != 0) {
        *status = 400;
        snprintf(err, errlen, "cannot read the %s profile: %s", fmt->name, why);
    } else
        rc = 0;
    munmap(data, (size_t)st.st_size);
    if (rc != 0)
        return -1;

    char path[4096];
    for (int attempt = 0; attempt < 8; attempt++) {
        if (sg_id_new(rec->id) != 0)
            break;
        sg_store_profile_path(srv->store, rec->id, path, sizeof path);
        if (access(path, F_OK) != 0)
            break;
        rec->id[0] = '\0';
    }
    if (rec->id[0] == '\0' || rename(tmp_path, path) != 0) {
        snprintf(err, errlen, "cannot store the upload: %s", strerror(errno));
        sg_profile_free(p);
        sg_sgl_summary_free(&sum);
        return -1;
    }
    if (scanned)
        fill_stats_scan(rec, &sum);
    else
        fill_stats(rec, p);
    const char *n = name != NULL && name[0] != '\0' ? name
                    : rec->command[0] != '\0'       ? rec->command
                                                    : fmt->name;
    rec->name = (char *)n;
    rec->format = (char *)fmt->name;
    rec->tags = (char *)(tags_json != NULL ? tags_json : "[]");
    rec->uploaded_at = (int64_t)time(NULL);
    rec->size_bytes = (uint64_t)st.st_size;
    if (sg_store_profile_insert(srv->store, rec) != 0) {
        unlink(path);
        snprintf(err, errlen, "cannot write the store");
        sg_profile_free(p);
        sg_sgl_summary_free(&sum);
        memset(rec, 0, sizeof *rec);
        return -1;
    }
    /* the record borrowed strings of p, of the scan and of the caller: copy
     * it out of them */
    sg_profile_rec own;
    int found = sg_store_profile_get(srv->store, rec->id, &own);
    sg_sgl_summary_free(&sum);
    if (p != NULL)
        sg_pcache_put(srv->cache, rec->id, p); /* now the cache's */
    else
        sg_prefetch_add(srv->prefetch, rec->id); /* load it while the viewer opens */
    if (found != 1) {
        snprintf(err, errlen, "cannot read the store");
        memset(rec, 0, sizeof *rec);
        return -1;
    }
    *rec = own;
    sg_hub_publish(srv->hub, "profiles", "{}");
    *status = 201;
    return 0;
}

int sg_upload_begin(sg_request *req, bool live)
{
    sg_server *srv = req->srv;
    const char *ct = req->content_type;
    if (ct != NULL && strncasecmp(ct, "multipart/form-data", 19) == 0) {
        sg_reply_error(&req->reply, 415,
                       "multipart/form-data is not accepted: send the file's bytes as the body");
        return -1;
    }
    if (req->has_length && req->content_length > srv->cfg.max_upload) {
        sg_reply_error(&req->reply, 413, "the upload (%llu bytes) is larger than the limit of %llu",
                       (unsigned long long)req->content_length,
                       (unsigned long long)srv->cfg.max_upload);
        return -1;
    }
    const char *name = sg_params_get(&req->params, "name");
    if (name != NULL && strlen(name) > SG_NAME_MAX_BYTES) {
        sg_reply_error(&req->reply, 400, "parameter name: longer than %d bytes", SG_NAME_MAX_BYTES);
        return -1;
    }
    sg_upload *u = calloc(1, sizeof *u);
    if (u == NULL) {
        sg_reply_error(&req->reply, 500, "out of memory");
        return -1;
    }
    u->fd = -1;
    u->live = live;
    char err[256];
    const char *tags = sg_params_get(&req->params, "tags");
    if (tags != NULL && sg_tags_from_list(tags, &u->tags_json, err, sizeof err) != 0) {
        sg_reply_error(&req->reply, 400, "parameter %s", err);
        upload_free(u);
        return -1;
    }
    if (name != NULL && (u->name = strdup(name)) == NULL) {
        sg_reply_error(&req->reply, 500, "out of memory");
        upload_free(u);
        return -1;
    }
    if (!live) {
        snprintf(u->path, sizeof u->path, "%s/upload-XXXXXX", sg_store_tmp_dir(srv->store));
        u->fd = mkstemp(u->path);
    } else {
        for (int attempt = 0; attempt < 8 && u->fd < 0; attempt++) {
            if (sg_id_new(u->id) != 0)
                break;
            sg_store_profile_path(srv->store, u->id, u->path, sizeof u->path);
            u->fd = open(u->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        }
    }
    if (u->fd < 0) {
        sg_reply_error(&req->reply, 500, "cannot create the upload file: %s", strerror(errno));
        upload_free(u);
        return -1;
    }
    if (live) {
        sg_profile_rec rec = {.name = u->name ? u->name : "live recording",
                              .format = "sgl",
                              .host = "",
                              .command = "",
                              .python = "",
                              .tags = u->tags_json ? u->tags_json : "[]",
                              .uploaded_at = (int64_t)time(NULL),
                              .has_stacks = true,
                              .live = true};
        memcpy(rec.id, u->id, sizeof rec.id);
        if (sg_store_profile_insert(srv->store, &rec) != 0) {
            unlink(u->path);
            sg_reply_error(&req->reply, 500, "cannot write the store");
            upload_free(u);
            return -1;
        }
        u->last_refresh_ms = mono_ms();
        sg_hub_publish(srv->hub, "profiles", "{}");
    }
    req->upload = u;
    return 0;
}

/* Re-read a live upload's file; final: mark it done. Returns 0 when the
 * file holds a profile (possibly empty so far), -1 when it is not .sgl. */
static int live_refresh(sg_server *srv, sg_upload *u, bool final)
{
    sg_profile *p = NULL;
    sg_sgl_read_info info;
    char err[256];
    if (sg_sgl_read_file(u->path, 0, &p, &info, err, sizeof err) != 0)
        return -1;
    sg_profile_rec rec;
    if (sg_store_profile_get(srv->store, u->id, &rec) != 1) {
        sg_profile_free(p);
        return 0; /* deleted while it was live */
    }
    char *keep[3] = {rec.host, rec.command, rec.python};
    fill_stats(&rec, p); /* borrows p's strings until set_stats */
    struct stat st;
    rec.size_bytes = stat(u->path, &st) == 0 ? (uint64_t)st.st_size : 0;
    rec.live = !final;
    sg_store_profile_set_stats(srv->store, &rec);
    announce(srv, &rec);
    rec.host = keep[0], rec.command = keep[1], rec.python = keep[2];
    sg_profile_rec_free(&rec);
    sg_pcache_put(srv->cache, u->id, p);
    sg_acache_drop_profile(srv->answers, u->id); /* it grew: older answers are wrong */
    return 0;
}

int sg_upload_write(sg_request *req, const char *data, size_t n)
{
    sg_upload *u = req->upload;
    sg_server *srv = req->srv;
    if (u->received + n > srv->cfg.max_upload) {
        sg_reply_error(&req->reply, 413, "the upload is larger than the limit of %llu bytes",
                       (unsigned long long)srv->cfg.max_upload);
        return -1;
    }
    for (size_t done = 0; done < n;) {
        ssize_t w = write(u->fd, data + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            sg_reply_error(&req->reply, 500, "cannot write the upload: %s", strerror(errno));
            return -1;
        }
        done += (size_t)w;
    }
    u->received += n;
    if (u->live && mono_ms() - u->last_refresh_ms >= SG_LIVE_REFRESH_MS) {
        u->last_refresh_ms = mono_ms();
        live_refresh(srv, u, false);
    }
    return 0;
}

void sg_upload_finish(sg_request *req)
{
    sg_upload *u = req->upload;
    sg_server *srv = req->srv;
    req->upload = NULL;
    if (close(u->fd) != 0) {
        u->fd = -1;
        sg_reply_error(&req->reply, 500, "cannot write the upload: %s", strerror(errno));
        if (!u->live)
            unlink(u->path);
        upload_free(u);
        return;
    }
    u->fd = -1;
    if (u->live) {
        if (live_refresh(srv, u, true) != 0) {
            sg_store_profile_delete(srv->store, u->id);
            sg_pcache_drop(srv->cache, u->id);
            sg_acache_drop_profile(srv->answers, u->id);
            sg_hub_publish(srv->hub, "profiles", "{}");
            sg_reply_error(&req->reply, 400, "a live upload must be a .sgl stream");
        } else {
            sg_profile_rec rec;
            if (sg_store_profile_get(srv->store, u->id, &rec) == 1) {
                sg_jbuf b;
                sg_jbuf_init(&b);
                sg_profile_rec_json(&b, &rec);
                sg_profile_rec_free(&rec);
                sg_reply_json(&req->reply, 201, &b);
            } else
                sg_reply_error(&req->reply, 404, "the live profile was deleted meanwhile");
        }
        upload_free(u);
        return;
    }
    sg_profile_rec rec;
    int status;
    char err[768];
    if (sg_upload_store_file(srv, u->path, u->name, u->tags_json, &rec, &status, err, sizeof err) !=
        0) {
        unlink(u->path);
        sg_reply_error(&req->reply, status, "%s", err);
    } else {
        sg_jbuf b;
        sg_jbuf_init(&b);
        sg_profile_rec_json(&b, &rec);
        sg_profile_rec_free(&rec);
        sg_reply_json(&req->reply, 201, &b);
    }
    upload_free(u);
}

void sg_upload_abort(sg_request *req)
{
    sg_upload *u = req->upload;
    req->upload = NULL;
    if (u == NULL)
        return;
    if (u->fd >= 0)
        close(u->fd);
    u->fd = -1;
    if (u->live) {
        /* the recorder went away: keep what arrived, as a finished profile */
        if (live_refresh(req->srv, u, true) != 0) {
            sg_store_profile_delete(req->srv->store, u->id);
            sg_pcache_drop(req->srv->cache, u->id);
            sg_acache_drop_profile(req->srv->answers, u->id);
        }
        sg_hub_publish(req->srv->hub, "profiles", "{}");
    } else
        unlink(u->path);
    upload_free(u);
}

void sg_upload_recover_live(sg_server *srv, const char *id)
{
    sg_upload u = {.fd = -1};
    memcpy(u.id, id, sizeof u.id);
    sg_store_profile_path(srv->store, id, u.path, sizeof u.path);
    if (live_refresh(srv, &u, true) != 0)
        sg_store_profile_delete(srv->store, id);
}

int sg_server_import_file(sg_server *s, const char *path, const char *name, char id[SG_ID_LEN + 1],
                          char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/import-XXXXXX", sg_store_tmp_dir(s->store));
    int out = mkstemp(tmp), in = open(path, O_RDONLY);
    if (out < 0 || in < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        if (out >= 0)
            close(out), unlink(tmp);
        if (in >= 0)
            close(in);
        return -1;
    }
    char buf[1 << 16];
    ssize_t n;
    int rc = 0;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) {
            rc = -1;
            break;
        }
    if (n < 0)
        rc = -1;
    close(in);
    if (close(out) != 0 || rc != 0) {
        snprintf(err, errlen, "cannot copy %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    sg_profile_rec rec;
    int status;
    if (sg_upload_store_file(s, tmp, name, NULL, &rec, &status, err, errlen) != 0) {
        unlink(tmp);
        return -1;
    }
    memcpy(id, rec.id, SG_ID_LEN + 1);
    sg_profile_rec_free(&rec);
    return 0;
}
