/*
 * collapsed_pprof_main.c — sg-collapsed-pprof: converts between .sgl,
 * collapsed stacks and pprof with the library's own importers and
 * exporters, for the integration tests (tests/integration/
 * test_collapsed_pprof.py) and the import benchmark, before `spyglass
 * convert` drives them.
 *
 *   sg-collapsed-pprof IN -o OUT --to collapsed|pprof [--threads] [--from FMT]
 *   sg-collapsed-pprof IN --summary [--from FMT]
 *
 * IN is read whole; its format is detected from its content (sgl, pprof,
 * collapsed) unless --from names it. --summary prints one JSON line:
 * samples, total weight, weight unit, threads and the import's wall-clock
 * and CPU time.
 * Exit 0 on success, 1 with `error: MESSAGE` on stderr, 2 on bad usage.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profile/export_collapsed.h"
#include "profile/format_list.h"
#include "profile/sgl.h"

static int import_sgl(const uint8_t *data, size_t len, const sg_io_progress *progress,
                      sg_profile **out, char *err, size_t errlen)
{
    (void)progress;
    return sg_sgl_read_buffer(data, len, 0, out, NULL, err, errlen);
}

static bool detect_sgl(const uint8_t *data, size_t len)
{
    return sg_sgl_detect(data, len);
}

static const struct {
    const char *name;
    sg_detect_fn detect;
    sg_import_fn import;
} formats[] = {
    {"sgl", detect_sgl, import_sgl},
    {"pprof", sg_detect_pprof, sg_import_pprof},
    {"collapsed", sg_detect_collapsed, sg_import_collapsed},
};

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    unsigned char *data = malloc(cap);
    for (size_t got; data != NULL && (got = fread(data + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            unsigned char *grown = realloc(data, cap *= 2);
            if (grown == NULL)
                free(data);
            data = grown;
        }
    }
    if (data != NULL && ferror(f)) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *len = n;
    return data;
}

static void usage(void)
{
    fprintf(stderr, "usage: sg-collapsed-pprof IN -o OUT --to collapsed|pprof [--threads] "
                    "[--from sgl|pprof|collapsed]\n"
                    "       sg-collapsed-pprof IN --summary [--from FMT]\n");
}

int main(int argc, char **argv)
{
    const char *in = NULL, *out_path = NULL, *to = NULL, *from = NULL;
    bool threads = false, summary = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out_path = argv[++i];
        else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
            to = argv[++i];
        else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            from = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0)
            threads = true;
        else if (strcmp(argv[i], "--summary") == 0)
            summary = true;
        else if (in == NULL && argv[i][0] != '-')
            in = argv[i];
        else
            return usage(), 2;
    }
    if (in == NULL || (!summary && (out_path == NULL || to == NULL)))
        return usage(), 2;
    size_t len;
    unsigned char *data = read_all(in, &len);
    if (data == NULL) {
        fprintf(stderr, "error: cannot read %s\n", in);
        return 1;
    }
    size_t k = 0, n = sizeof formats / sizeof formats[0];
    while (k < n &&
           (from != NULL ? strcmp(formats[k].name, from) != 0 : !formats[k].detect(data, len)))
        k++;
    if (k == n) {
        fprintf(stderr, "error: %s: %s\n", in,
                from ? "unknown --from format" : "format not recognised");
        free(data);
        return 1;
    }
    sg_profile *p;
    char err[512];
    struct timespec t0, t1, c0, c1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    int rc = formats[k].import(data, len, NULL, &p, err, sizeof err);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    free(data);
    if (rc != 0) {
        fprintf(stderr, "error: %s (%s): %s\n", in, formats[k].name, err);
        return 1;
    }
    if (summary) {
        unsigned long long weight = 0;
        for (size_t i = 0; i < p->samples.count; i++)
            weight += p->samples.weight[i];
        printf("{\"format\": \"%s\", \"bytes\": %zu, \"samples\": %zu, \"total_weight\": %llu, "
               "\"weight_unit\": %u, \"threads\": %u, \"frames\": %u, \"stacks\": %u, "
               "\"seconds\": %.6f, \"cpu_seconds\": %.6f}\n",
               formats[k].name, len, p->samples.count, weight, p->meta.weight_unit,
               p->threads.count, p->frames.count, p->stacks.count,
               (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
               (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9);
        sg_profile_free(p);
        return 0;
    }
    FILE *out = fopen(out_path, "wb");
    if (out == NULL) {
        fprintf(stderr, "error: cannot create %s\n", out_path);
        sg_profile_free(p);
        return 1;
    }
    if (strcmp(to, "collapsed") == 0) {
        sg_collapsed_options opts = {.flags = threads ? SG_COLLAPSED_THREADS : 0};
        rc = sg_export_collapsed(p, out, &opts);
        snprintf(err, sizeof err, "%s", sg_profile_strerror(rc));
    } else if (strcmp(to, "pprof") == 0) {
        rc = sg_export_pprof(p, out, NULL, err, sizeof err);
    } else {
        snprintf(err, sizeof err, "unknown --to format %s", to);
        rc = -1;
    }
    if (fclose(out) != 0 && rc == 0) {
        rc = -1;
        snprintf(err, sizeof err, "writing %s failed", out_path);
    }
    sg_profile_free(p);
    if (rc != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    return 0;
}
