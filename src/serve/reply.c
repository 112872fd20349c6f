/*
 * reply.c — filling an sg_reply (server_internal.h): JSON answers and the
 * JSON errors of docs/api.md, {"error": "what was wrong"}.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/server_internal.h"

void sg_reply_free(sg_reply *r)
{
    if (r->fd > 0)
        close(r->fd);
    free(r->body);
    free(r->disposition);
    sg_answer_release(r->shared);
    memset(r, 0, sizeof *r);
}

void sg_reply_json(sg_reply *r, int status, sg_jbuf *body)
{
    sg_reply_free(r);
    size_t len;
    char *bytes = sg_jbuf_take(body, &len);
    if (bytes == NULL) {
        sg_reply_error(r, 500, "out of memory writing the answer");
        return;
    }
    r->status = status;
    r->body = bytes;
    r->len = len;
    r->content_type = "application/json";
}

void sg_reply_shared(sg_reply *r, sg_answer *a)
{
    sg_reply_free(r);
    r->status = a->status;
    r->shared = a;
    r->len = a->len;
    r->content_type = "application/json";
}

void sg_reply_error(sg_reply *r, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sg_reply_free(r);
    sg_jbuf b;
    sg_jbuf_init(&b);
    sg_jbuf_puts(&b, "{\"error\":");
    sg_jbuf_str(&b, msg);
    sg_jbuf_puts(&b, "}\n");
    size_t len;
    char *bytes = sg_jbuf_take(&b, &len);
    r->status = status;
    r->content_type = "application/json";
    if (bytes == NULL) { /* no memory even for the error: a static one */
        r->static_body = "{\"error\":\"out of memory\"}\n";
        r->len = strlen(r->static_body);
        r->status = 500;
        return;
    }
    r->body = bytes;
    r->len = len;
}
