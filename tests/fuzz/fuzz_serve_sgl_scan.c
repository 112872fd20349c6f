/*
 * fuzz_serve_sgl_scan.c — libFuzzer target for the upload's scan of .sgl
 * files (serve/sgl_scan.h), checked against the real reader on the same
 * bytes: the scan is never stricter than the reader (a file the reader
 * loads, the scan accepts, with the same sample count and text metadata),
 * and it fails only with a message naming a byte offset. No crash or leak.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "profile/sgl.h"
#include "serve/sgl_scan.h"

static const char *meta(const sg_profile *p, uint32_t id)
{
    return id != 0 && id < p->strings.count ? sg_strings_get(&p->strings, id) : "";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512], why[512];
    sg_sgl_summary s;
    int sc = sg_sgl_scan(data, size, &s, err, sizeof err);
    if (sc != 0 && strncmp(err, "byte ", 5) != 0)
        abort();
    sg_profile *p = NULL;
    if (sg_sgl_read_buffer(data, size, 0, &p, NULL, why, sizeof why) == 0) {
        if (sc != 0 || s.samples != p->samples.count ||
            strcmp(s.command, meta(p, p->meta.command)) != 0 ||
            strcmp(s.host, meta(p, p->meta.host)) != 0 ||
            strcmp(s.python, meta(p, p->meta.python_version)) != 0)
            abort();
        sg_profile_free(p);
    }
    sg_sgl_summary_free(&s);
    return 0;
}
