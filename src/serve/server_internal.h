/*
 * server_internal.h — what the files of the server share and nothing
 * outside src/serve sees: the server struct, one request's state, and the
 * reply a route handler fills.
 *
 * The life of a request (http.c drives it, routes.c decides):
 *   1. headers arrive: http.c makes an sg_request, sg_route_begin checks
 *      method, path, token and limits and either answers at once (GETs,
 *      errors) or asks for the body (small JSON bodies are buffered,
 *      uploads stream through upload.c);
 *   2. body bytes arrive: buffered, or written by sg_upload_write;
 *   3. the body is complete: sg_route_finish answers.
 * A handler never touches libmicrohttpd: it fills an sg_reply (status,
 * JSON bytes or an embedded file), which http.c turns into a response.
 * So every answer, errors included, is JSON with a status from docs/api.md.
 */
#ifndef SG_SERVE_SERVER_INTERNAL_H
#define SG_SERVE_SERVER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/answer_cache.h"
#include "serve/bufpool.h"
#include "serve/tlpool.h"
#include "serve/events.h"
#include "serve/jbuf.h"
#include "serve/params.h"
#include "serve/profile_cache.h"
#include "serve/server.h"
#include "serve/store.h"

struct MHD_Daemon;
struct MHD_Connection;
typedef struct sg_upload sg_upload;

/* Answer buffers worth recycling (bufpool.h): above this they are their
 * own mappings (http.c's mmap threshold); at most this much is kept. */
#define SG_SERVE_POOL_MIN ((size_t)256 << 10)
#define SG_SERVE_POOL_MAX ((size_t)64 << 20)
/* Timeline scratch kept (tlpool.h): two per worker thread at most (a
 * request's lane and events), each up to 8 MiB, 64 MiB in all, and never
 * more than an eighth of the profiles' share of --cache-mb, from which it
 * is taken (http.c). */
#define SG_SERVE_TL_EACH  ((size_t)8 << 20)
#define SG_SERVE_TL_TOTAL ((size_t)64 << 20)

struct sg_server {
    sg_serve_config cfg; /* strings point into the owned copies below */
    char *data_dir, *host, *token;
    sg_store *store;
    sg_pcache *cache;
    sg_acache *answers;           /* encoded answers of queries (answer_cache.h) */
    sg_bufpool *bufs;             /* large answer buffers for reuse (bufpool.h) */
    sg_tlpool *tls;               /* timeline query scratch for reuse (tlpool.h) */
    size_t bufs_max, tls_max;     /* their bounds, within --cache-mb (/api/health) */
    struct sg_prefetch *prefetch; /* loads new uploads in the background (upload.c) */
    sg_hub *hub;
    struct MHD_Daemon *daemon;
    uint16_t port;
};

typedef struct sg_reply {
    int status; /* 0: nothing yet */
    char *body; /* owned (malloc) */
    size_t len;
    const char *content_type;
    const void *static_body; /* embedded bytes (not freed), instead of body */
    sg_answer *shared;       /* a referenced shared answer, instead of body */
    int fd;                  /* > 0: send this file (owned: the response closes it) */
    uint64_t fd_size;
    char *disposition; /* owned: Content-Disposition, or NULL */
    const char *cache_control;
    bool sse; /* answer with the event stream (events.h) */
} sg_reply;

enum sg_body_mode {
    SG_BODY_NONE = 0,   /* answered on the headers */
    SG_BODY_BUFFER = 1, /* a small body, kept in memory */
    SG_BODY_UPLOAD = 2, /* a profile, streamed to disk */
};

typedef struct sg_request {
    sg_server *srv;
    struct MHD_Connection *conn;
    const char *method, *url;
    sg_params params;
    const char *authorization, *content_type;
    bool has_length;
    uint64_t content_length;
    int body_mode;
    int route;              /* routes.c's own route number */
    char id[SG_ID_LEN + 1]; /* the {id} of the path, when it has one */
    char sub[32];           /* the part after {id}/ (a query name) */
    const char *route_name; /* the query's name in answer-cache keys */
    char *body;
    size_t body_len, body_cap;
    bool params_failed; /* too many or too long query parameters */
    sg_upload *upload;
    sg_reply reply;
    bool finished; /* the body was complete and the reply made */
} sg_request;

/* ---- replies (reply.c) ---- */
void sg_reply_json(sg_reply *r, int status, sg_jbuf *body); /* takes the buffer's bytes */
void sg_reply_error(sg_reply *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sg_reply_free(sg_reply *r);
/* Answer with a shared answer (its status and JSON bytes), taking the
 * caller's reference. */
void sg_reply_shared(sg_reply *r, sg_answer *a);

/* ---- routing (routes.c) ---- */
void sg_route_begin(sg_request *req);
void sg_route_finish(sg_request *req);
/* The connection ended before the request did (client gone, server stop). */
void sg_route_abort(sg_request *req);

/* ---- the handlers of each area ---- */
void sg_routes_profile_get(sg_request *req);
void sg_routes_profile_list(sg_request *req);
void sg_routes_profile_patch(sg_request *req);
void sg_routes_profile_delete(sg_request *req);
void sg_routes_profile_download(sg_request *req);
void sg_routes_query(sg_request *req);
void sg_routes_diff(sg_request *req);
void sg_routes_view_create(sg_request *req);
void sg_routes_view_get(sg_request *req);
void sg_routes_view_list(sg_request *req);
void sg_routes_view_delete(sg_request *req);
void sg_routes_static(sg_request *req);

/* A profile record as JSON (the "profile" object of docs/api.md). */
void sg_profile_rec_json(sg_jbuf *b, const sg_profile_rec *r);

/* ---- uploads (upload.c) ---- */
/* Start an upload for req (POST /api/profiles); on failure req->reply
 * holds the error and the result is -1. */
int sg_upload_begin(sg_request *req, bool live);
/* More body bytes; -1 (reply set) when the upload must stop. */
int sg_upload_write(sg_request *req, const char *data, size_t n);
/* The body is complete: parse, store, reply 201 (or the error). */
void sg_upload_finish(sg_request *req);
/* The connection died: drop a partial upload; a live one keeps what came. */
void sg_upload_abort(sg_request *req);
/* Import the bytes of a finished file at tmp_path as a new profile. */
int sg_upload_store_file(sg_server *srv, const char *tmp_path, const char *name,
                         const char *tags_json, sg_profile_rec *rec, int *status, char *err,
                         size_t errlen);
/* Finish live profiles a crash left marked live (at start). */
void sg_upload_recover_live(sg_server *srv, const char *id);

/* Load a stored profile's file (the cache's loader). */
int sg_server_load_profile(void *ctx, const char *id, sg_profile **out, int *status, char *err,
                           size_t errlen);

#endif
