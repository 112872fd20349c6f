/*
 * test_recorder.c — the recorder's incremental interning gives the same
 * stacks as interning every sample whole.
 *
 * The recorder keeps each thread's previous sample and re-interns only the
 * frames above the first change (recorder.c). These tests feed it sample
 * sequences of the kinds a sampler sends (a changing leaf, a changing line
 * in the middle, deeper and shallower stacks, two threads interleaved, a
 * code id it was never told about, code ids that name the same frame) and
 * check, sample by sample, that the stack row it stored is the row a fresh
 * walk from the root gives, frame for frame and line for line (-1 lines
 * become 0), with thread, flags and weight as sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profile/profile.h"
#include "profile/recorder.h"

#define NCODES   12
#define MAXDEPTH 64

typedef struct fixture {
    sg_profile *p;
    sg_recorder *r;
    sg_sample_sink sink;
    uint32_t frame_of_code[NCODES + 1];
} fixture;

/* Announces code ids 0..NCODES-1 (ids 10 and 11 are the same function as 0
 * and 1, as when a code object is loaded again) and two threads. */
static void fixture_init(fixture *f)
{
    f->p = sg_profile_new();
    assert_non_null(f->p);
    sg_recorder_options opts = {.start_ns = 1000, .no_sources = true};
    f->r = sg_recorder_new(f->p, &opts);
    assert_non_null(f->r);
    assert_int_equal(sg_recorder_add_source(f->r, 4242, &f->sink), 0);
    for (uint32_t id = 0; id < NCODES; id++) {
        char name[32];
        snprintf(name, sizeof name, "fn_%u", id >= 10 ? id - 10 : id);
        sg_code_info info = {id, "/nonexistent/mod.py", name, (int32_t)(id % 10) + 1};
        f->sink.code(f->sink.ctx, &info);
        /* Interning again finds the frame the recorder made. */
        assert_int_equal(sg_profile_intern_frame(f->p, info.file, strlen(info.file), name,
                                                 strlen(name), (uint32_t)info.first_line,
                                                 &f->frame_of_code[id]),
                         0);
    }
    assert_int_equal(f->frame_of_code[10], f->frame_of_code[0]);
    sg_thread_info t1 = {4242, 100, 1, "MainThread"}, t2 = {4242, 101, 2, "worker"};
    f->sink.thread(f->sink.ctx, &t1);
    f->sink.thread(f->sink.ctx, &t2);
}

static void fixture_free(fixture *f)
{
    assert_int_equal(sg_recorder_error(f->r), 0);
    sg_recorder_free(f->r);
    sg_profile_free(f->p);
}

/* Sends one sample (frames oldest first here, for readability) and checks
 * the stored row against the frames sent. */
static void send_and_check(fixture *f, pid_t tid, const sg_frame_ref *oldest_first, uint32_t depth,
                           int expect_stored)
{
    sg_frame_ref newest_first[MAXDEPTH];
    for (uint32_t i = 0; i < depth; i++)
        newest_first[i] = oldest_first[depth - 1 - i];
    size_t before = f->p->samples.count;
    sg_sample s = {5000 + before, 4242, tid, SG_THREAD_ON_CPU, depth, newest_first};
    assert_int_equal(f->sink.sample(f->sink.ctx, &s), 0);
    if (!expect_stored) {
        assert_int_equal(f->p->samples.count, before);
        return;
    }
    assert_int_equal(f->p->samples.count, before + 1);
    assert_int_equal(f->p->samples.weight[before], 1);
    assert_int_equal(f->p->samples.flags[before], SG_SAMPLE_ON_CPU);
    assert_int_equal(f->p->samples.time_ns[before], 4000 + before);
    assert_string_equal(
        sg_strings_get(&f->p->strings, f->p->threads.name[f->p->samples.thread[before]]),
        tid == 100 ? "MainThread" : "worker");
    /* Walk the stored row to the root: it must be the chain sent. */
    uint32_t stack = f->p->samples.stack[before];
    assert_int_equal(f->p->stacks.rows[stack].depth, depth);
    for (uint32_t i = depth; i-- > 0;) {
        const sg_stack_row *row = &f->p->stacks.rows[stack];
        assert_int_equal(row->frame, f->frame_of_code[oldest_first[i].code_id]);
        assert_int_equal(row->line, oldest_first[i].line < 0 ? 0 : oldest_first[i].line);
        stack = row->parent;
    }
    assert_int_equal(stack, SG_STACK_NONE);
    /* And the same row as interning it whole, from the root. */
    sg_frame_line chain[MAXDEPTH];
    uint32_t ids[MAXDEPTH], whole;
    for (uint32_t i = 0; i < depth; i++)
        chain[i] = (sg_frame_line){f->frame_of_code[oldest_first[i].code_id],
                                   oldest_first[i].line < 0 ? 0u : (uint32_t)oldest_first[i].line};
    assert_int_equal(
        sg_stacks_intern_chain(&f->p->stacks, SG_STACK_NONE, chain, depth, ids, &whole), 0);
    assert_int_equal(whole, f->p->samples.stack[before]);
}

static void test_changing_leaf_and_middle(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    sg_frame_ref st[40];
    for (uint32_t i = 0; i < 40; i++)
        st[i] = (sg_frame_ref){i % 8, (int32_t)(10 + i)};
    uint32_t stacks_after_first = 0;
    for (int round = 0; round < 200; round++) {
        st[39] = (sg_frame_ref){8 + round % 2, round % 3 == 0 ? -1 : 7}; /* leaf flips */
        if (round % 17 == 0)
            st[20].line = 100 + round % 4; /* a line in the middle moves */
        send_and_check(&f, 100, st, 40, 1);
        if (round == 0)
            stacks_after_first = f.p->stacks.count;
    }
    /* Steady state adds rows only for new (leaf, middle line) variants. */
    assert_true(f.p->stacks.count < stacks_after_first + 4 * 20 * 2 + 40);
    fixture_free(&f);
}

static void test_depth_changes_and_threads(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    sg_frame_ref a[MAXDEPTH], b[MAXDEPTH];
    for (uint32_t i = 0; i < MAXDEPTH; i++) {
        a[i] = (sg_frame_ref){(i * 7) % 10, (int32_t)i};
        b[i] = (sg_frame_ref){(i * 3) % 10, (int32_t)(i + 1)};
    }
    static const uint32_t depths[] = {1, 5, 40, 64, 39, 40, 2, 1, 1, 64, 63, 64, 10};
    for (size_t k = 0; k < sizeof depths / sizeof *depths; k++) {
        send_and_check(&f, 100, a, depths[k], 1);
        send_and_check(&f, 101, b, depths[(k + 3) % 13], 1);
        send_and_check(&f, 101, a, depths[k], 1); /* the other thread's stack */
    }
    fixture_free(&f);
}

static void test_same_frame_other_code_id(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    sg_frame_ref st[6] = {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 6}};
    send_and_check(&f, 100, st, 6, 1);
    uint32_t rows = f.p->stacks.count;
    st[0].code_id = 10; /* the same function under a new code id */
    st[1].code_id = 11;
    send_and_check(&f, 100, st, 6, 1);
    assert_int_equal(f.p->stacks.count, rows); /* no new row: same stack */
    fixture_free(&f);
}

static void test_unknown_code_drops_sample_only(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    sg_frame_ref st[8];
    for (uint32_t i = 0; i < 8; i++)
        st[i] = (sg_frame_ref){i, (int32_t)i};
    send_and_check(&f, 100, st, 8, 1);
    sg_frame_ref bad[8];
    memcpy(bad, st, sizeof bad);
    bad[2] = (sg_frame_ref){5, 99};  /* changes frames above 2 ... */
    bad[6] = (sg_frame_ref){500, 1}; /* ... then meets a code id never announced */
    send_and_check(&f, 100, bad, 8, 0);
    /* The memo must not keep the half-taken sample's frames. */
    bad[6] = st[6];
    send_and_check(&f, 100, bad, 8, 1);
    send_and_check(&f, 100, st, 8, 1);
    send_and_check(&f, 100, st, 4, 1);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changing_leaf_and_middle),
        cmocka_unit_test(test_depth_changes_and_threads),
        cmocka_unit_test(test_same_frame_other_code_id),
        cmocka_unit_test(test_unknown_code_drops_sample_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
