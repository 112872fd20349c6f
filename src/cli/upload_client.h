/*
 * upload_client.h — sending profiles to a spyglass server (libcurl): a
 * whole file (`spyglass upload`), or a .sgl file while it is being
 * written (`spyglass record --upload`), streamed as a chunked live upload
 * so the profile shows up on the server while it records.
 *
 * URL is the server's base ("http://host:8642"; a trailing
 * "/api/profiles" is accepted too). The token comes from the caller
 * (--token or $SPYGLASS_TOKEN). On success `result` receives the
 * profile's viewer URL (BASE/p/ID).
 *
 * Ownership: a live upload runs in its own thread from start to finish;
 * sg_live_upload_finish joins it and frees it.
 */
#ifndef SG_CLI_UPLOAD_CLIENT_H
#define SG_CLI_UPLOAD_CLIENT_H

#include <stddef.h>

int sg_upload_file(const char *url, const char *path, const char *name, const char *tags,
                   const char *token, char *result, size_t rlen, char *err, size_t errlen);

typedef struct sg_live_upload sg_live_upload;

/* Start streaming `path` (which the caller is writing) to url; NULL when
 * out of memory or the thread cannot start. */
sg_live_upload *sg_live_upload_start(const char *url, const char *path, const char *name,
                                     const char *token);
/* The file is complete: send what is left, end the body, wait for the
 * server's answer. 0, or -1 with err. */
int sg_live_upload_finish(sg_live_upload *u, char *result, size_t rlen, char *err, size_t errlen);

#endif
