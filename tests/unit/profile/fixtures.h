/*
 * fixtures.h — shared helpers for the profile tests: a seeded generator of
 * realistic profiles, a table-by-table equality check, and file helpers.
 *
 * Everything is deterministic for a given seed, so a failure reproduces.
 */
#ifndef SG_TEST_PROFILE_FIXTURES_H
#define SG_TEST_PROFILE_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"
#include "profile/sgl.h"

/* xorshift64*: a small seeded generator for test data. */
typedef struct fx_rng {
    uint64_t state;
} fx_rng;

uint64_t fx_next(fx_rng *r);
uint32_t fx_below(fx_rng *r, uint32_t bound); /* uniform in [0, bound) */

typedef struct fx_shape {
    uint32_t threads;      /* threads sampled each sweep */
    uint32_t functions;    /* distinct frames to draw from */
    uint32_t paths;        /* distinct call paths each thread wanders between */
    uint32_t max_depth;    /* deepest path */
    uint64_t interval_ns;  /* between sweeps */
    uint32_t jitter_ns;    /* random lateness of a sweep */
    uint32_t stay_percent; /* chance a thread keeps its previous path */
    bool events;           /* add GC events and markers */
    bool sources;          /* embed a few source texts */
    bool callstats;        /* add call statistics (fx_add_callstats) */
} fx_shape;

/* A profile with metadata, threads and the path pool but no samples yet;
 * then fx_add_sweeps appends `sweeps` sweeps (one sample per thread). */
typedef struct fx_workload {
    sg_profile *p;
    fx_shape shape;
    fx_rng rng;
    uint32_t *thread_index; /* per generated thread */
    uint32_t *current;      /* per thread: index into paths */
    uint32_t *path_stack;   /* per path: its stack id */
    uint64_t now_ns;
} fx_workload;

void fx_workload_init(fx_workload *w, const fx_shape *shape, uint64_t seed);
void fx_add_sweeps(fx_workload *w, uint32_t sweeps);
void fx_workload_free(fx_workload *w); /* frees w->p too */

/* Give every frame of p that has no function row one, with random numbers,
 * and an edge into it from a random caller (one in four count-only); the
 * first call also adds rows with the largest numbers the table allows. */
void fx_add_callstats(sg_profile *p, fx_rng *rng);

/* Assert (cmocka) that every table and the metadata are equal. */
void fx_assert_profiles_equal(const sg_profile *a, const sg_profile *b);

/* Assert that every reference in p names an existing row and every derived
 * column (stack depth) is consistent: what any reader's output must keep. */
void fx_assert_invariants(const sg_profile *p);

/* A fresh path under the test temp dir ($TMPDIR or /tmp), unique per call. */
void fx_temp_path(char *buf, size_t len, const char *name);

/* Read a whole file into a malloc'd buffer (asserts on failure). */
unsigned char *fx_read_file(const char *path, size_t *len);

/* Write p to path with one flush at the end; returns the file size. */
size_t fx_write_sgl(const sg_profile *p, const char *path, const sg_sgl_writer_options *opts);

#endif
