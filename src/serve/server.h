/*
 * server.h — the spyglass profile server: `spyglass serve` and `spyglass
 * view` start one, tests and benchmarks talk to it over HTTP (the API is
 * docs/api.md).
 *
 * A server owns its store (store.h) in cfg.data_dir, a cache of loaded
 * profiles, the event hub for live updates, and a libmicrohttpd daemon
 * with a thread pool. It binds cfg.host (127.0.0.1 by default); a host
 * that is not loopback is refused unless cfg.token is set.
 *
 * Ownership: sg_server_start copies what it needs from cfg; sg_server_stop
 * stops the daemon, waits for requests in flight and frees everything.
 */
#ifndef SG_SERVE_SERVER_H
#define SG_SERVE_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/ids.h"

#define SG_SERVE_DEFAULT_PORT       8642
#define SG_SERVE_DEFAULT_MAX_UPLOAD (1ull << 30) /* 1 GiB */
#define SG_SERVE_DEFAULT_CACHE      (2ull << 30) /* 2 GiB of loaded profiles */
#define SG_SERVE_DEFAULT_THREADS    8
#define SG_SERVE_HEADER_LIMIT       (64u << 10) /* per connection: request line + headers */
#define SG_SERVE_BODY_LIMIT         (1u << 20)  /* JSON bodies (PATCH, POST /api/views) */

typedef struct sg_serve_config {
    const char *data_dir; /* required */
    const char *host;     /* NULL = 127.0.0.1 */
    uint16_t port;        /* 0 = a free port (sg_server_port says which) */
    const char *token;    /* NULL = none (only allowed on loopback) */
    bool token_reads;     /* reads need the token too */
    uint64_t max_upload;  /* 0 = SG_SERVE_DEFAULT_MAX_UPLOAD */
    size_t cache_bytes;   /* 0 = SG_SERVE_DEFAULT_CACHE */
    unsigned threads;     /* 0 = SG_SERVE_DEFAULT_THREADS */
    bool log;             /* one line per request on stderr */
} sg_serve_config;

typedef struct sg_server sg_server;

/* Start serving. 0, or -1 with err (a bad host, a port in use, a data
 * directory that cannot be created, a public host without a token). */
int sg_server_start(const sg_serve_config *cfg, sg_server **out, char *err, size_t errlen);
/* The port actually bound. */
uint16_t sg_server_port(const sg_server *s);
/* Add a local file to the store as an upload would (for `spyglass view`):
 * 0 and its id, or -1 with err. */
int sg_server_import_file(sg_server *s, const char *path, const char *name, char id[SG_ID_LEN + 1],
                          char *err, size_t errlen);
void sg_server_stop(sg_server *s);

/* True for 127.0.0.0/8, ::1 and "localhost". */
bool sg_host_is_loopback(const char *host);
/* $XDG_DATA_HOME/spyglass or ~/.local/share/spyglass into buf; -1 when
 * neither is known. */
int sg_default_data_dir(char *buf, size_t len);

#endif
