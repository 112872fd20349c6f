/*
 * profile_load.c — bench-profile-load: how fast profiles load, and in how
 * much memory (issue 3), each figure beside its goal.
 *
 *   pstats: a pstats file (the marshal dict cProfile writes) of 200,000
 *           functions with ~5 callers each, made with our marshal writer
 *           (key strings and tuples by reference, as CPython writes them:
 *           marshal.dumps of a real stats dict has the same shape), then imported
 *           (sg_import_pstats): goal < 1 s;
 *   .sgl:   a 10,000,000-sample recording (8 threads sampled every 1 ms;
 *           each thread stays on a stack for a few samples, then moves to
 *           another of 50,000 distinct stacks), written with the .sgl
 *           writer to a temporary file, then loaded by a fresh process
 *           (this program again, `--load FILE`), which prints its own time
 *           and peak RSS: goals < 1 s and peak RSS < 2x the sample columns
 *           (21 bytes a sample: time 8, thread 4, stack 4, flags 1,
 *           weight 4).
 *
 *   bench-profile-load [SAMPLES]        both benches (default 10000000)
 *   bench-profile-load --pstats         the pstats bench only
 *   bench-profile-load --write-pstats FILE
 *                                       write the generated pstats file (to
 *                                       profile or check the import alone)
 *   bench-profile-load --load FILE      load any profile file, print time
 *                                       and peak RSS (format detected)
 *   bench-profile-load --help
 *
 * Generation is not timed. A fresh process for the load, so that its peak
 * RSS is the load's alone and not the generator's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_profile.h"
#include "bench_util.h"
#include "profile/format_list.h"
#include "profile/formats.h"
#include "profile/marshal.h"

/* ---- pstats -------------------------------------------------------------- */

/* Key i; slots: per file string, per name string, per key tuple (CPython
 * writes the key tuple once and refers to it from callers dicts). */
static void put_key(sg_marshal_writer *w, uint32_t i, uint32_t n, uint32_t *slots)
{
    if (!sg_marshal_put_tuple_ref(w, 3, &slots[2 * 9000 + n + i]))
        return;
    char file[80], name[32];
    snprintf(file, sizeof file, "/venv/lib/python3.12/site-packages/p%u/m%u.py", i % 500, i % 9000);
    snprintf(name, sizeof name, "f%u", i);
    sg_marshal_put_str(w, file, strlen(file), &slots[2 * (i % 9000)]);
    sg_marshal_put_int(w, i % 5000 + 1);
    sg_marshal_put_str(w, name, strlen(name), &slots[2 * 9000 + i]);
}

/* {key: (cc, nc, tt, ct, {caller key: (nc, cc, tt, ct)})} of n functions. */
static void pstats_bytes(uint32_t n, sg_marshal_writer *w)
{
    rng r = {0x2545f4914f6cdd1dull};
    uint32_t *slots = calloc(2 * 9000 + 2 * (size_t)n, sizeof *slots);
    uint32_t callers[9];
    sg_marshal_put_dict_begin(w);
    for (uint32_t i = 0; i < n; i++) {
        put_key(w, i, n, slots);
        uint32_t cc = 1 + below(&r, 100), nc = cc + below(&r, 100);
        double tt = below(&r, 1000000) / 1e9;
        sg_marshal_put_tuple(w, 5);
        sg_marshal_put_int(w, cc);
        sg_marshal_put_int(w, nc);
        sg_marshal_put_float(w, tt);
        sg_marshal_put_float(w, tt + below(&r, 10000000) / 1e9);
        uint32_t k = i == 0 ? 0 : 1 + below(&r, 9), m = 0;
        for (uint32_t c = 0; c < k; c++) { /* distinct callers, as dict keys are */
            uint32_t from = below(&r, i), seen = 0;
            for (uint32_t j = 0; j < m; j++)
                seen |= callers[j] == from;
            if (!seen)
                callers[m++] = from;
        }
        sg_marshal_put_dict_begin(w);
        for (uint32_t c = 0; c < m; c++) {
            put_key(w, callers[c], n, slots);
            uint32_t calls = 1 + below(&r, 10);
            double ett = below(&r, 1000) / 1e9;
            sg_marshal_put_tuple(w, 4);
            sg_marshal_put_int(w, calls);
            sg_marshal_put_int(w, calls);
            sg_marshal_put_float(w, ett);
            sg_marshal_put_float(w, ett + below(&r, 100000) / 1e9);
        }
        sg_marshal_put_dict_end(w);
    }
    sg_marshal_put_dict_end(w);
    free(slots);
}

static void bench_pstats(uint32_t n)
{
    sg_marshal_writer w = {0};
    pstats_bytes(n, &w);
    if (w.out.failed) {
        fprintf(stderr, "bench: out of memory writing the pstats bytes\n");
        exit(1);
    }
    printf("pstats file: %u functions, %.1f MB\n", n, w.out.len / 1e6);
    double best = 0, best_cpu = 0;
    for (int run = 0; run < 3; run++) {
        sg_profile *p;
        char err[256];
        bench_clock c = clock_now();
        if (sg_import_pstats(w.out.data, w.out.len, NULL, &p, err, sizeof err) != 0) {
            fprintf(stderr, "bench: pstats import: %s\n", err);
            exit(1);
        }
        bench_clock end = clock_now();
        double ms = end.wall_ms - c.wall_ms, cpu = end.cpu_ms - c.cpu_ms;
        if (run == 0 || ms < best)
            best = ms;
        if (run == 0 || cpu < best_cpu)
            best_cpu = cpu;
        char line[96];
        snprintf(line, sizeof line, "pstats import, run %d (%u functions, %u edges)", run + 1,
                 p->callstats.func_count, p->callstats.edge_count);
        report_since(line, c, 1000);
        sg_profile_free(p);
    }
    report("pstats import of 200,000 functions, best of 3", best, 1000);
    /* the machine may be busy: the CPU time says what the import itself costs */
    report("  the same, CPU time, best of 3", best_cpu, 0);
    free(w.out.data);
}

/* ---- .sgl ---------------------------------------------------------------- */

enum { FRAMES = BENCH_FRAMES, LEAVES = BENCH_LEAVES, THREADS = BENCH_THREADS };

static sg_profile *recording(size_t nsamples)
{
    rng r = {0x9e3779b97f4a7c15ull};
    sg_profile *p = sg_profile_new();
    uint32_t current[THREADS] = {0};
    p->meta.interval_ns = 1000000;
    bench_shape shape;
    bench_shape_build(p, &r, &shape);
    uint32_t *leaves = shape.leaves;
    const uint32_t *threads = shape.threads;
    check(sg_samples_reserve(&p->samples, nsamples), "samples");
    uint8_t flags[THREADS] = {0};
    for (size_t i = 0; i < nsamples; i++) {
        uint32_t t = (uint32_t)(i % THREADS);
        if (below(&r, 4) == 0) { /* a quarter of the time the thread moves on */
            uint32_t a = below(&r, LEAVES), b = below(&r, LEAVES);
            current[t] = leaves[a < b ? a : b];
            flags[t] = (uint8_t)below(&r, 8);
        }
        check(sg_samples_append(&p->samples, i / THREADS * 1000000, threads[t], current[t],
                                flags[t], 1),
              "sample");
    }
    p->meta.duration_ns = nsamples / THREADS * 1000000;
    free(leaves);
    return p;
}

/* --load FILE: load it, print time and peak RSS (run in a fresh process). */
static int load_only(const char *path)
{
    sg_profile *p;
    char err[256];
    bench_clock c = clock_now();
    if (sg_profile_load(path, NULL, NULL, &p, err, sizeof err) != 0) {
        fprintf(stderr, "bench: %s: %s\n", path, err);
        return 1;
    }
    report_since("load time", c, 1000);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double columns = (double)p->samples.count * 21;
    double rss = ru.ru_maxrss * 1024.0;
    printf("  (%s: %zu samples, %u stack rows)\n", path, p->samples.count, p->stacks.count);
    printf("peak RSS %.0f MB = %.2fx the sample columns (%.0f MB)   goal < 2x  %s\n", rss / 1e6,
           rss / columns, columns / 1e6, rss < 2 * columns ? "ok" : "HIGH");
    sg_profile_free(p);
    return 0;
}

static void bench_sgl(size_t n, const char *self)
{
    bench_clock c = clock_now();
    sg_profile *p = recording(n);
    char path[] = "/tmp/spyglass-bench-XXXXXX";
    int fd = mkstemp(path);
    FILE *out = fd < 0 ? NULL : fdopen(fd, "wb");
    char err[256];
    if (out == NULL || sg_export_sgl(p, out, NULL, err, sizeof err) != 0 || fclose(out) != 0) {
        fprintf(stderr, "bench: writing %s failed\n", path);
        exit(1);
    }
    long size = 0;
    FILE *in = fopen(path, "rb");
    if (in != NULL && fseek(in, 0, SEEK_END) == 0)
        size = ftell(in);
    if (in != NULL)
        fclose(in);
    printf(".sgl file: %zu samples, %.1f MB, %.2f bytes a sample (written in %.0f ms)\n", n,
           size / 1e6, (double)size / (double)n, clock_now().wall_ms - c.wall_ms);
    sg_profile_free(p);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        execl(self, self, "--load", path, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (child > 0)
        waitpid(child, &status, 0);
    unlink(path);
    if (child < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fprintf(stderr, "bench: the loading process failed\n");
}

static void usage(FILE *to)
{
    fprintf(to, "usage: bench-profile-load [SAMPLES]   pstats import and .sgl load (default "
                "10000000 samples)\n"
                "       bench-profile-load --pstats    the pstats import only\n"
                "       bench-profile-load --write-pstats FILE   write the generated pstats "
                "file\n"
                "       bench-profile-load --load FILE   load FILE, print time and peak RSS\n");
}

/* --write-pstats FILE: the bench's pstats file, for perf or other tools. */
static int write_pstats(const char *path)
{
    sg_marshal_writer w = {0};
    pstats_bytes(200000, &w);
    FILE *out = fopen(path, "wb");
    int ok = !w.out.failed && out != NULL && fwrite(w.out.data, 1, w.out.len, out) == w.out.len;
    if (out != NULL && fclose(out) != 0)
        ok = 0;
    free(w.out.data);
    if (!ok)
        fprintf(stderr, "bench: writing %s failed\n", path);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--load") == 0)
        return load_only(argv[2]);
    if (argc == 3 && strcmp(argv[1], "--write-pstats") == 0)
        return write_pstats(argv[2]);
    if (argc == 2 && strcmp(argv[1], "--pstats") == 0) {
        bench_pstats(200000);
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    /* anything else than one plain positive count is a mistake, not a count */
    char *end = NULL;
    size_t n = 10000000;
    if (argc > 1) {
        n = argc == 2 && argv[1][0] >= '1' && argv[1][0] <= '9' ? strtoull(argv[1], &end, 10) : 0;
        if (n == 0 || *end != '\0') {
            fprintf(stderr, "bench-profile-load: bad arguments\n");
            usage(stderr);
            return 2;
        }
    }
    bench_pstats(200000);
    bench_sgl(n, "/proc/self/exe");
    return 0;
}
