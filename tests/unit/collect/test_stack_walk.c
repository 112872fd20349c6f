/*
 * test_stack_walk.c — the memory source, the per-round copies and the frame
 * walk, on memory of this very process.
 *
 * process_vm_readv works on our own pid, so the real process memory source
 * reads frames we build here by hand: a fake 3.11-style datastack chunk and
 * heap frame objects laid out with a real version's layout. Torn chains
 * (a caller above its callee, an unknown owner, a cycle, a chain cut at a
 * generator's frame) must be refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "collect/frame_copies.h"
#include "collect/layout.h"
#include "collect/mem.h"
#include "collect/proc_maps.h"
#include "collect/stack_walk.h"

static uint64_t addr_of(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* ---- the memory source ------------------------------------------------ */

static void test_mem_reads_own_memory(void **state)
{
    (void)state;
    sg_mem *mem = sg_mem_process_open(getpid());
    char src[64] = "spyglass reads this", dst[64] = {0};
    assert_int_equal(sg_mem_read(mem, addr_of(src), dst, sizeof src), 0);
    assert_string_equal(dst, "spyglass reads this");
    assert_true(mem->syscalls >= 1);
    sg_mem_close(mem);
}

static void test_mem_partial_batch_counts_whole_spans(void **state)
{
    (void)state;
    long page = sysconf(_SC_PAGESIZE);
    /* Two pages, the second unmapped: a span across the hole is partial. */
    char *area =
        mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(area != MAP_FAILED);
    munmap(area + page, (size_t)page);
    memset(area, 'x', (size_t)page);
    sg_mem *mem = sg_mem_process_open(getpid());
    char a[16], b[64], c[16];
    sg_mem_span spans[] = {{addr_of(area), a, sizeof a},
                           {addr_of(area + page - 32), b, sizeof b}, /* crosses into the hole */
                           {addr_of(area), c, sizeof c}};
    assert_int_equal(sg_mem_readv(mem, spans, 3), 1);
    assert_int_equal(sg_mem_read_all(mem, spans, 3), -EFAULT);
    /* Page zero and absurd lengths are refused before any syscall. */
    uint64_t before = mem->syscalls;
    assert_int_equal(sg_mem_read(mem, 16, a, sizeof a), -EFAULT);
    assert_int_equal(sg_mem_read(mem, addr_of(area), a, SG_MEM_MAX_READ + 1), -EFAULT);
    assert_int_equal(mem->syscalls, before);
    sg_mem_close(mem);
    munmap(area, (size_t)page);
}

static void test_mem_gone_process(void **state)
{
    (void)state;
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    assert_true(child > 0);
    int status;
    waitpid(child, &status, 0);
    sg_mem *mem = sg_mem_process_open(child);
    char buf[8];
    assert_int_equal(sg_mem_read(mem, addr_of(&status), buf, sizeof buf), -ESRCH);
    sg_mem_close(mem);
}

/* ---- copies ----------------------------------------------------------- */

static void test_copies_fetch_find_get(void **state)
{
    (void)state;
    static char data[8192];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)(i * 7);
    sg_mem *mem = sg_mem_process_open(getpid());
    sg_copies copies;
    assert_int_equal(sg_copies_init(&copies, mem), 0);
    sg_copy_request reqs[] = {{addr_of(data), 100}, {16, 8}, {addr_of(data + 4096), 4096}};
    size_t offs[3];
    assert_int_equal(sg_copies_fetch(&copies, reqs, 3, offs), 0);
    assert_true(offs[0] != SG_COPY_MISSING);
    assert_int_equal(offs[1], SG_COPY_MISSING);
    assert_true(offs[2] != SG_COPY_MISSING);
    const uint8_t *p = sg_copies_find(&copies, addr_of(data + 5000), 10);
    assert_non_null(p);
    assert_memory_equal(p, data + 5000, 10);
    assert_null(sg_copies_find(&copies, addr_of(data + 90), 20)); /* runs past a copy */
    int rc = 0;
    p = sg_copies_get(&copies, addr_of(data + 200), 50, &rc);
    assert_non_null(p);
    assert_memory_equal(p, data + 200, 50);
    assert_null(sg_copies_get(&copies, 24, 8, &rc));
    assert_int_equal(rc, -EFAULT);
    sg_copies_reset(&copies);
    assert_null(sg_copies_find(&copies, addr_of(data), 1));
    sg_copies_free(&copies);
    sg_mem_close(mem);
}

/* ---- stack walks ------------------------------------------------------ */

/* A 3.12-style interpreter frame, laid out by the real 3.12 table. */
static void put_u64(uint8_t *frame, int32_t off, uint64_t v)
{
    memcpy(frame + off, &v, sizeof v);
}

typedef struct walk_env {
    const sg_layout *l;
    sg_mem *mem;
    sg_copies copies;
    uint8_t chunk[16384];
    sg_raw_frame out[64];
    uint32_t depth;
} walk_env;

static uint8_t *frame_at(walk_env *e, int i)
{
    return e->chunk + 64 + (size_t)i * 256;
}

/* Frames 0..n-1 in the chunk, frame i calling frame i+1 (so n-1 is newest);
 * frame 0 is the entry frame every 3.12+ thread has at its root. */
static void build_chain(walk_env *e, int n)
{
    memset(e->chunk, 0, sizeof e->chunk);
    for (int i = 0; i < n; i++) {
        uint8_t *f = frame_at(e, i);
        put_u64(f, e->l->iframe_code, 0x1000 + (uint64_t)i);
        put_u64(f, e->l->iframe_instr, 0x2000 + (uint64_t)i);
        put_u64(f, e->l->iframe_previous, i ? addr_of(frame_at(e, i - 1)) : 0);
        f[e->l->iframe_owner] = i ? 0 : (uint8_t)e->l->owner_cstack;
    }
}

static int walk(walk_env *e, int newest)
{
    sg_copies_reset(&e->copies);
    sg_chunk_range chunk = {addr_of(e->chunk), addr_of(e->chunk) + sizeof e->chunk};
    return sg_stack_walk(e->l, &e->copies, addr_of(frame_at(e, newest)), &chunk, 1, e->out, 64,
                         &e->depth);
}

static int setup_walk(void **state)
{
    walk_env *e = calloc(1, sizeof *e);
    e->l = sg_layout_for_version(0x030c0000);
    e->mem = sg_mem_process_open(getpid());
    sg_copies_init(&e->copies, e->mem);
    *state = e;
    return 0;
}

static int teardown_walk(void **state)
{
    walk_env *e = *state;
    sg_copies_free(&e->copies);
    sg_mem_close(e->mem);
    free(e);
    return 0;
}

static void test_walk_interpreter_frames(void **state)
{
    walk_env *e = *state;
    build_chain(e, 5);
    assert_int_equal(walk(e, 4), SG_WALK_OK);
    assert_int_equal(e->depth, 5);
    for (int i = 0; i < 4; i++) { /* newest first */
        assert_int_equal(e->out[i].code, 0x1000 + (uint64_t)(4 - i));
        assert_int_equal(e->out[i].position, 0x2000 + (uint64_t)(4 - i));
        assert_int_equal(e->out[i].addr, addr_of(frame_at(e, 4 - i)));
    }
    assert_int_equal(e->out[4].code, 0); /* the root entry frame */
    assert_int_equal(e->out[4].addr, addr_of(frame_at(e, 0)));
}

/* A suspended generator's frame has no caller: a read that found the
 * thread at a generator and copied the generator's frame after it yielded
 * ends there, a stack that was never true (seen on 3.11-3.13 as stacks of
 * just `squares`). The oldest frame must be the thread's root. */
static void test_walk_refuses_chain_cut_at_generator(void **state)
{
    walk_env *e = *state;
    build_chain(e, 4);
    put_u64(frame_at(e, 2), e->l->iframe_previous, 0);
    frame_at(e, 2)[e->l->iframe_owner] = (uint8_t)e->l->owner_generator;
    assert_int_equal(walk(e, 3), SG_WALK_TORN);
    /* 3.12+: a chain ending anywhere but at an entry frame is cut. */
    frame_at(e, 2)[e->l->iframe_owner] = 0;
    assert_int_equal(walk(e, 3), SG_WALK_TORN);
    /* 3.11 has no entry frames: a thread's own frame is a root, a
     * generator's is not. */
    const sg_layout *l312 = e->l;
    e->l = sg_layout_for_version(0x030b0000);
    build_chain(e, 4);
    frame_at(e, 0)[e->l->iframe_owner] = 0;
    assert_int_equal(walk(e, 3), SG_WALK_OK);
    assert_int_equal(e->depth, 4);
    frame_at(e, 0)[e->l->iframe_owner] = (uint8_t)e->l->owner_generator;
    assert_int_equal(walk(e, 3), SG_WALK_TORN);
    e->l = l312;
}

/* Entry frames (3.12+, on the C stack) run no code: they come out with
 * code 0, so the sampler remembers their address and skips them. */
static void test_walk_marks_entry_frames(void **state)
{
    walk_env *e = *state;
    build_chain(e, 4);
    frame_at(e, 2)[e->l->iframe_owner] = (uint8_t)e->l->owner_cstack;
    assert_int_equal(walk(e, 3), SG_WALK_OK);
    assert_int_equal(e->depth, 4);
    assert_int_equal(e->out[1].code, 0);
    assert_int_equal(e->out[1].addr, addr_of(frame_at(e, 2)));
    assert_int_equal(e->out[2].code, 0x1001);
}

static void test_walk_refuses_torn_chains(void **state)
{
    walk_env *e = *state;
    build_chain(e, 4);
    /* A caller above its callee in one chunk: the stack moved under us. */
    put_u64(frame_at(e, 1), e->l->iframe_previous, addr_of(frame_at(e, 3)));
    assert_int_equal(walk(e, 3), SG_WALK_TORN);
    build_chain(e, 4);
    frame_at(e, 2)[e->l->iframe_owner] = 9;
    assert_int_equal(walk(e, 3), SG_WALK_TORN);
    /* A pointer to nowhere. */
    build_chain(e, 4);
    put_u64(frame_at(e, 1), e->l->iframe_previous, 0x10);
    assert_int_equal(walk(e, 3), SG_WALK_TORN);
}

static void test_walk_bounds_depth(void **state)
{
    walk_env *e = *state;
    build_chain(e, 60);
    sg_copies_reset(&e->copies);
    sg_chunk_range chunk = {addr_of(e->chunk), addr_of(e->chunk) + sizeof e->chunk};
    assert_int_equal(
        sg_stack_walk(e->l, &e->copies, addr_of(frame_at(e, 59)), &chunk, 1, e->out, 10, &e->depth),
        SG_WALK_TOO_DEEP);
}

static void test_walk_frame_objects(void **state)
{
    (void)state;
    const sg_layout *l = sg_layout_for_version(0x03090000);
    static uint8_t frames[3][512];
    for (int i = 0; i < 3; i++) {
        memset(frames[i], 0, sizeof frames[i]);
        put_u64(frames[i], 0, 1); /* ob_refcnt: live frames are referenced */
        put_u64(frames[i], l->frameobj_back, i ? addr_of(frames[i - 1]) : 0);
        put_u64(frames[i], l->frameobj_code, 0x3000 + (uint64_t)i);
        frames[i][l->frameobj_state] = (uint8_t)l->frameobj_state_executing;
        int32_t lasti = i == 0 ? -1 : 10 * i;
        memcpy(frames[i] + l->frameobj_lasti, &lasti, sizeof lasti);
    }
    sg_mem *mem = sg_mem_process_open(getpid());
    sg_copies copies;
    sg_copies_init(&copies, mem);
    sg_raw_frame out[8];
    uint32_t depth = 0;
    assert_int_equal(sg_stack_walk(l, &copies, addr_of(frames[2]), NULL, 0, out, 8, &depth),
                     SG_WALK_OK);
    assert_int_equal(depth, 3);
    assert_int_equal(out[0].code, 0x3002);
    assert_int_equal(out[0].position, 20);
    assert_int_equal((int64_t)out[2].position, -1);
    /* A freed frame (refcount 0, on a free list linked through f_back)
     * would end the chain early: the walk calls that torn. */
    put_u64(frames[1], 0, 0);
    sg_copies_reset(&copies);
    assert_int_equal(sg_stack_walk(l, &copies, addr_of(frames[2]), NULL, 0, out, 8, &depth),
                     SG_WALK_TORN);
    put_u64(frames[1], 0, 1);
    /* A generator's frame (f_gen set) cannot be a thread's oldest: its
     * f_back was cleared when it yielded. */
    put_u64(frames[0], l->frameobj_gen, 0x5000);
    sg_copies_reset(&copies);
    assert_int_equal(sg_stack_walk(l, &copies, addr_of(frames[2]), NULL, 0, out, 8, &depth),
                     SG_WALK_TORN);
    put_u64(frames[0], l->frameobj_gen, 0);
    /* A caller that is not executing was recycled under the read. */
    frames[1][l->frameobj_state] = (uint8_t)(l->frameobj_state_executing + 1);
    sg_copies_reset(&copies);
    assert_int_equal(sg_stack_walk(l, &copies, addr_of(frames[2]), NULL, 0, out, 8, &depth),
                     SG_WALK_TORN);
    frames[1][l->frameobj_state] = (uint8_t)l->frameobj_state_executing;
    /* A cycle is torn, found long before the depth bound (64 here). */
    put_u64(frames[0], l->frameobj_back, addr_of(frames[2]));
    sg_copies_reset(&copies);
    uint64_t reads = mem->syscalls;
    assert_int_equal(sg_stack_walk(l, &copies, addr_of(frames[2]), NULL, 0, out, 64, &depth),
                     SG_WALK_TORN);
    assert_true(mem->syscalls - reads <= 3); /* each frame read once */
    sg_copies_free(&copies);
    sg_mem_close(mem);
}

static void test_python_image_names(void **state)
{
    (void)state;
    int major, minor;
    assert_int_equal(sg_proc_parse_python_name("libpython3.12.so.1.0", &major, &minor), 0);
    assert_int_equal(major, 3);
    assert_int_equal(minor, 12);
    assert_int_equal(sg_proc_parse_python_name("python3.9", &major, &minor), 0);
    assert_int_equal(minor, 9);
    assert_int_not_equal(sg_proc_parse_python_name("python3", &major, &minor), 0);
    assert_int_not_equal(sg_proc_parse_python_name("pythonista", &major, &minor), 0);
    sg_python_image image;
    assert_int_equal(sg_proc_find_python(getpid(), &image), -ENOENT); /* we are not Python */
    assert_int_equal(sg_proc_find_python(999999999, &image), -ESRCH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mem_reads_own_memory),
        cmocka_unit_test(test_mem_partial_batch_counts_whole_spans),
        cmocka_unit_test(test_mem_gone_process),
        cmocka_unit_test(test_copies_fetch_find_get),
        cmocka_unit_test_setup_teardown(test_walk_interpreter_frames, setup_walk, teardown_walk),
        cmocka_unit_test_setup_teardown(test_walk_refuses_chain_cut_at_generator, setup_walk,
                                        teardown_walk),
        cmocka_unit_test_setup_teardown(test_walk_marks_entry_frames, setup_walk, teardown_walk),
        cmocka_unit_test_setup_teardown(test_walk_refuses_torn_chains, setup_walk, teardown_walk),
        cmocka_unit_test_setup_teardown(test_walk_bounds_depth, setup_walk, teardown_walk),
        cmocka_unit_test(test_walk_frame_objects),
        cmocka_unit_test(test_python_image_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
