/*
 * assets.h — the viewer's static files, embedded in the binary at build
 * time from web/dist (embed_assets.cmake generates the table; when the
 * viewer was not built, the table holds one placeholder index.html that
 * says so). Looked up by exact path only: nothing here touches the file
 * system, so no request path can name a file on the server's disk.
 */
#ifndef SG_SERVE_ASSETS_H
#define SG_SERVE_ASSETS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sg_asset {
    const char *path; /* "/index.html", "/assets/app-1234.js" */
    const unsigned char *data;
    size_t len;
    const char *content_type;
} sg_asset;

extern const sg_asset sg_assets[];
extern const size_t sg_asset_count;
extern const bool sg_assets_placeholder; /* true: web/dist did not exist at build time */

/* The asset at exactly `path`, or NULL. */
const sg_asset *sg_asset_find(const char *path);

#endif
