/*
 * fixtures.c — shared helpers for the profile tests (see fixtures.h).
 */
#include "fixtures.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

uint64_t fx_next(fx_rng *r)
{
    uint64_t x = r->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->state = x;
    return x * 0x2545f4914f6cdd1dull;
}

uint32_t fx_below(fx_rng *r, uint32_t bound)
{
    return bound == 0 ? 0 : (uint32_t)((fx_next(r) >> 32) % bound);
}

void fx_workload_init(fx_workload *w, const fx_shape *shape, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    w->shape = *shape;
    w->rng.state = seed * 0x9e3779b97f4a7c15ull + 1;
    sg_profile *p = sg_profile_new();
    assert_non_null(p);
    w->p = p;
    assert_int_equal(sg_profile_set_meta_text(p, &p->meta.command, "python app.py --serve"), 0);
    assert_int_equal(sg_profile_set_meta_text(p, &p->meta.python_version, "3.12.4"), 0);
    assert_int_equal(sg_profile_set_meta_text(p, &p->meta.host, "testhost"), 0);
    assert_int_equal(sg_profile_set_meta_text(p, &p->meta.spyglass_version, "0.1.0"), 0);
    p->meta.pid = 4242;
    p->meta.start_unix_ns = 1700000000123456789ull;
    p->meta.interval_ns = shape->interval_ns;
    p->meta.mode = SG_MODE_WALL;

    uint32_t *frames = calloc(shape->functions, sizeof *frames);
    assert_non_null(frames);
    for (uint32_t f = 0; f < shape->functions; f++) {
        char file[64], name[64];
        snprintf(file, sizeof file, "/srv/app/module_%u.py", f % 7);
        snprintf(name, sizeof name, "Handler%u.method_%u", f % 5, f);
        assert_int_equal(sg_profile_intern_frame(p, file, strlen(file), name, strlen(name),
                                                 10 * f + 1, &frames[f]),
                         0);
    }
    /* Paths share a common root (like main → serve → handle ...). */
    w->path_stack = calloc(shape->paths, sizeof *w->path_stack);
    assert_non_null(w->path_stack);
    sg_frame_line *chain = calloc(shape->max_depth, sizeof *chain);
    assert_non_null(chain);
    for (uint32_t k = 0; k < shape->paths; k++) {
        uint32_t depth = 3 + fx_below(&w->rng, shape->max_depth - 2);
        for (uint32_t d = 0; d < depth; d++) {
            uint32_t f = d < 3 ? d : fx_below(&w->rng, shape->functions);
            chain[d] = (sg_frame_line){frames[f], 10 * f + 2 + fx_below(&w->rng, 5)};
        }
        assert_int_equal(sg_stacks_intern_chain(&p->stacks, SG_STACK_NONE, chain, depth, NULL,
                                                &w->path_stack[k]),
                         0);
    }
    free(chain);
    w->thread_index = calloc(shape->threads, sizeof *w->thread_index);
    w->current = calloc(shape->threads, sizeof *w->current);
    assert_non_null(w->thread_index);
    assert_non_null(w->current);
    for (uint32_t t = 0; t < shape->threads; t++) {
        char name[32];
        snprintf(name, sizeof name, t == 0 ? "MainThread" : "worker-%u", t);
        assert_int_equal(sg_profile_intern_thread(p, 10000 + t, name, &w->thread_index[t]), 0);
        w->current[t] = fx_below(&w->rng, shape->paths);
    }
    if (shape->sources) {
        for (uint32_t f = 0; f < 3 && f < shape->functions; f++) {
            char text[128];
            snprintf(text, sizeof text, "# module %u\ndef method_%u():\n    pass\n", f, f);
            uint32_t file = p->frames.rows[frames[f]].file;
            assert_int_equal(sg_sources_add(&p->sources, file, text, strlen(text)), 0);
        }
    }
    free(frames);
    if (shape->callstats)
        fx_add_callstats(p, &w->rng);
}

void fx_add_callstats(sg_profile *p, fx_rng *rng)
{
    sg_callstats *c = &p->callstats;
    for (uint32_t f = 0; f < p->frames.count; f++) {
        if (sg_callstats_find_func(c, f) != SG_CALLSTATS_NONE)
            continue;
        bool extreme = c->func_count == 0; /* the first row: the largest values */
        uint64_t cc = extreme ? SG_CALLSTATS_MAX_COUNT : fx_below(rng, 1000);
        sg_call_numbers n = {
            .cc = cc,
            .nc = extreme ? SG_CALLSTATS_MAX_COUNT : cc + fx_below(rng, 50),
            .tt_ns = extreme ? SG_CALLSTATS_MAX_NS : fx_next(rng) >> 24,
            .ct_ns = extreme ? SG_CALLSTATS_MAX_NS : fx_next(rng) >> 23,
        };
        assert_int_equal(sg_callstats_add_func(c, f, &n, NULL), 0);
        uint32_t caller = fx_below(rng, p->frames.count);
        if (sg_callstats_find_edge(c, caller, f) != SG_CALLSTATS_NONE)
            continue;
        uint32_t flags = fx_below(rng, 4) == 0 ? SG_CALLSTATS_COUNT_ONLY : 0;
        sg_call_numbers e = {.nc = fx_below(rng, 100000)};
        if (flags == 0) {
            e.cc = fx_below(rng, 100000);
            e.tt_ns = fx_next(rng) >> 30;
            e.ct_ns = extreme ? SG_CALLSTATS_MAX_NS : fx_next(rng) >> 29;
        }
        assert_int_equal(sg_callstats_add_edge(c, caller, f, flags, &e, NULL), 0);
    }
}

void fx_add_sweeps(fx_workload *w, uint32_t sweeps)
{
    sg_profile *p = w->p;
    for (uint32_t s = 0; s < sweeps; s++) {
        w->now_ns += w->shape.interval_ns;
        uint64_t t = w->now_ns + fx_below(&w->rng, w->shape.jitter_ns + 1);
        for (uint32_t i = 0; i < w->shape.threads; i++) {
            if (fx_below(&w->rng, 100) >= w->shape.stay_percent)
                w->current[i] = fx_below(&w->rng, w->shape.paths);
            /* Idle threads (odd ones, mostly) sit in a wait with no GIL. */
            uint8_t flags = (i % 2 == 1 && w->current[i] % 3 == 0)
                                ? SG_SAMPLE_IDLE
                                : SG_SAMPLE_ON_CPU | SG_SAMPLE_HOLDS_GIL;
            assert_int_equal(sg_profile_add_sample(p, t, w->thread_index[i],
                                                   w->path_stack[w->current[i]], flags, 1),
                             0);
        }
        if (w->shape.events && s % 50 == 7) {
            assert_int_equal(
                sg_profile_add_event(p, t, SG_EVENT_GC_START, w->thread_index[0], "gen0"), 0);
            assert_int_equal(
                sg_profile_add_event(p, t + 20000, SG_EVENT_GC_STOP, w->thread_index[0], "gen0"),
                0);
        }
        if (w->shape.events && s % 200 == 99)
            assert_int_equal(
                sg_profile_add_event(p, t, SG_EVENT_MARKER, SG_THREAD_NONE, "request done"), 0);
    }
}

void fx_workload_free(fx_workload *w)
{
    sg_profile_free(w->p);
    free(w->thread_index);
    free(w->current);
    free(w->path_stack);
    memset(w, 0, sizeof *w);
}

void fx_assert_profiles_equal(const sg_profile *a, const sg_profile *b)
{
    assert_int_equal(a->strings.count, b->strings.count);
    for (uint32_t i = 0; i < a->strings.count; i++) {
        assert_int_equal(sg_strings_len(&a->strings, i), sg_strings_len(&b->strings, i));
        assert_memory_equal(sg_strings_get(&a->strings, i), sg_strings_get(&b->strings, i),
                            sg_strings_len(&a->strings, i));
    }
    assert_int_equal(a->frames.count, b->frames.count);
    if (a->frames.count > 0)
        assert_memory_equal(a->frames.rows, b->frames.rows, a->frames.count * sizeof(sg_frame));
    assert_int_equal(a->stacks.count, b->stacks.count);
    if (a->stacks.count > 0)
        assert_memory_equal(a->stacks.rows, b->stacks.rows, a->stacks.count * sizeof(sg_stack_row));
    assert_int_equal(a->threads.count, b->threads.count);
    for (uint32_t i = 0; i < a->threads.count; i++) {
        assert_int_equal(a->threads.tid[i], b->threads.tid[i]);
        assert_int_equal(a->threads.name[i], b->threads.name[i]);
    }
    size_t n = a->samples.count;
    assert_int_equal(n, b->samples.count);
    if (n > 0) {
        assert_memory_equal(a->samples.time_ns, b->samples.time_ns, n * sizeof(uint64_t));
        assert_memory_equal(a->samples.thread, b->samples.thread, n * sizeof(uint32_t));
        assert_memory_equal(a->samples.stack, b->samples.stack, n * sizeof(uint32_t));
        assert_memory_equal(a->samples.flags, b->samples.flags, n);
        assert_memory_equal(a->samples.weight, b->samples.weight, n * sizeof(uint32_t));
    }
    n = a->events.count;
    assert_int_equal(n, b->events.count);
    if (n > 0) {
        assert_memory_equal(a->events.time_ns, b->events.time_ns, n * sizeof(uint64_t));
        assert_memory_equal(a->events.kind, b->events.kind, n);
        assert_memory_equal(a->events.thread, b->events.thread, n * sizeof(uint32_t));
        assert_memory_equal(a->events.label, b->events.label, n * sizeof(uint32_t));
    }
    assert_int_equal(a->sources.count, b->sources.count);
    for (uint32_t i = 0; i < a->sources.count; i++) {
        assert_int_equal(a->sources.file[i], b->sources.file[i]);
        assert_int_equal(a->sources.length[i], b->sources.length[i]);
        assert_memory_equal(a->sources.text[i], b->sources.text[i], a->sources.length[i]);
    }
    const sg_callstats *ca = &a->callstats, *cb = &b->callstats;
    assert_int_equal(ca->func_count, cb->func_count);
    assert_int_equal(ca->edge_count, cb->edge_count);
    for (uint32_t i = 0; i < ca->func_count; i++) {
        assert_int_equal(ca->funcs[i].frame, cb->funcs[i].frame);
        assert_memory_equal(&ca->funcs[i].n, &cb->funcs[i].n, sizeof(sg_call_numbers));
    }
    for (uint32_t i = 0; i < ca->edge_count; i++) {
        assert_int_equal(ca->edges[i].caller, cb->edges[i].caller);
        assert_int_equal(ca->edges[i].callee, cb->edges[i].callee);
        assert_int_equal(ca->edges[i].flags, cb->edges[i].flags);
        assert_memory_equal(&ca->edges[i].n, &cb->edges[i].n, sizeof(sg_call_numbers));
    }
    const sg_meta *ma = &a->meta, *mb = &b->meta;
    assert_int_equal(ma->command, mb->command);
    assert_int_equal(ma->python_version, mb->python_version);
    assert_int_equal(ma->host, mb->host);
    assert_int_equal(ma->spyglass_version, mb->spyglass_version);
    assert_int_equal(ma->pid, mb->pid);
    assert_int_equal(ma->start_unix_ns, mb->start_unix_ns);
    assert_int_equal(ma->interval_ns, mb->interval_ns);
    assert_int_equal(ma->mode, mb->mode);
    assert_int_equal(ma->weight_unit, mb->weight_unit);
    assert_int_equal(ma->has_stacks, mb->has_stacks);
    assert_int_equal(ma->duration_ns, mb->duration_ns);
    assert_int_equal(ma->samples_missed, mb->samples_missed);
}

void fx_assert_invariants(const sg_profile *p)
{
    uint32_t ns = p->strings.count;
    assert_true(ns >= 1);
    assert_int_equal(sg_strings_len(&p->strings, 0), 0);
    for (uint32_t i = 0; i < p->frames.count; i++) {
        assert_true(p->frames.rows[i].file < ns);
        assert_true(p->frames.rows[i].name < ns);
    }
    for (uint32_t i = 0; i < p->stacks.count; i++) {
        uint32_t parent = p->stacks.rows[i].parent;
        assert_true(parent == SG_STACK_NONE || parent < i);
        assert_true(p->stacks.rows[i].frame < p->frames.count);
        assert_int_equal(p->stacks.rows[i].depth,
                         parent == SG_STACK_NONE ? 1 : p->stacks.rows[parent].depth + 1);
    }
    for (uint32_t i = 0; i < p->threads.count; i++)
        assert_true(p->threads.name[i] < ns);
    for (size_t i = 0; i < p->samples.count; i++) {
        assert_true(p->samples.thread[i] < p->threads.count);
        assert_true(p->samples.stack[i] == SG_STACK_NONE || p->samples.stack[i] < p->stacks.count);
    }
    for (size_t i = 0; i < p->events.count; i++) {
        assert_true(p->events.kind[i] >= 1 && p->events.kind[i] <= SG_EVENT_KIND_MAX);
        assert_true(p->events.thread[i] == SG_THREAD_NONE ||
                    p->events.thread[i] < p->threads.count);
        assert_true(p->events.label[i] < ns);
    }
    for (uint32_t i = 0; i < p->sources.count; i++)
        assert_true(p->sources.file[i] < ns);
    const sg_callstats *c = &p->callstats;
    for (uint32_t i = 0; i < c->func_count; i++) {
        assert_true(c->funcs[i].frame < p->frames.count);
        assert_true(sg_call_numbers_valid(&c->funcs[i].n, 0));
        assert_int_equal(sg_callstats_find_func(c, c->funcs[i].frame), i);
    }
    for (uint32_t i = 0; i < c->edge_count; i++) {
        const sg_callstats_edge *e = &c->edges[i];
        assert_true(e->caller < p->frames.count && e->callee < p->frames.count);
        assert_true(sg_call_numbers_valid(&e->n, e->flags));
        assert_int_equal(sg_callstats_find_edge(c, e->caller, e->callee), i);
    }
    assert_true(p->meta.command < ns && p->meta.python_version < ns && p->meta.host < ns &&
                p->meta.spyglass_version < ns);
    assert_true(p->meta.mode <= SG_MODE_CPU && p->meta.weight_unit <= SG_WEIGHT_UNIT_MAX);
}

void fx_temp_path(char *buf, size_t len, const char *name)
{
    static unsigned counter;
    const char *dir = getenv("TMPDIR");
    snprintf(buf, len, "%s/sg-profile-test-%d-%u-%s", dir != NULL ? dir : "/tmp", (int)getpid(),
             counter++, name);
}

unsigned char *fx_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    unsigned char *data = malloc((size_t)size + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *len = (size_t)size;
    return data;
}

size_t fx_write_sgl(const sg_profile *p, const char *path, const sg_sgl_writer_options *opts)
{
    sg_sgl_writer *w;
    char err[256];
    assert_int_equal(sg_sgl_writer_open(path, opts, &w, err, sizeof err), 0);
    assert_int_equal(sg_sgl_writer_flush(w, p), 0);
    uint64_t bytes = sg_sgl_writer_bytes(w);
    assert_int_equal(sg_sgl_writer_close(w, p, err, sizeof err), 0);
    size_t len;
    free(fx_read_file(path, &len));
    assert_true(len >= bytes);
    return len;
}
