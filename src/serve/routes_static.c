/*
 * routes_static.c — every GET that is not /api: the embedded viewer
 * (assets.h). A path that names an embedded file gets it; any other path
 * gets index.html, because the viewer routes on the client (/p/{id},
 * /v/{viewid}). index.html is never cached (it names the hashed assets of
 * the build); the assets may be.
 */
#include <string.h>

#include "serve/assets.h"
#include "serve/server_internal.h"

const sg_asset *sg_asset_find(const char *path)
{
    for (size_t i = 0; i < sg_asset_count; i++)
        if (strcmp(sg_assets[i].path, path) == 0)
            return &sg_assets[i];
    return NULL;
}

void sg_routes_static(sg_request *req)
{
    const sg_asset *a = sg_asset_find(req->url);
    bool index = a == NULL || strcmp(req->url, "/index.html") == 0;
    if (a == NULL)
        a = sg_asset_find("/index.html");
    if (a == NULL) {
        sg_reply_error(&req->reply, 404, "the viewer is not in this build");
        return;
    }
    req->reply.status = 200;
    req->reply.static_body = a->data;
    req->reply.len = a->len;
    req->reply.content_type = a->content_type;
    req->reply.cache_control = index ? "no-cache" : "public, max-age=3600";
}
