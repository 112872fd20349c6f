/*
 * test_frame_copies.c — how a round's requests become reads, on this
 * process's own memory through the real process memory source; and the
 * on-CPU reading of another process's threads (thread_cpu.c) on real
 * children that spin or sleep.
 *
 * Requests that follow each other and lie close become one range (fewer
 * ranges, fewer page pins in the kernel), but never a re-read of the same
 * bytes (a re-read must stay later in time), never requests out of address
 * order, and never at the price of a range: when a merged range fails, its
 * requests are read one by one and only the unreadable one is missing.
 * Widened to whole pages, requests cover exactly the pages they touch,
 * each once.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "collect/frame_copies.h"
#include "collect/mem.h"
#include "collect/sampling_loop.h"
#include "collect/thread_cpu.h"

static uint64_t addr_of(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

typedef struct fixture {
    sg_mem *mem;
    sg_copies copies;
    uint8_t *page; /* two pages: the first mapped and filled, the second unmapped */
    long page_size;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->page_size = sysconf(_SC_PAGESIZE);
    f->page = mmap(NULL, (size_t)f->page_size * 2, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(f->page != MAP_FAILED);
    munmap(f->page + f->page_size, (size_t)f->page_size);
    for (long i = 0; i < f->page_size; i++)
        f->page[i] = (uint8_t)(i * 7);
    f->mem = sg_mem_process_open(getpid());
    assert_int_equal(sg_copies_init(&f->copies, f->mem), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sg_copies_free(&f->copies);
    sg_mem_close(f->mem);
    munmap(f->page, (size_t)f->page_size);
    free(f);
    return 0;
}

static void assert_bytes(const fixture *f, size_t off, const uint8_t *want, size_t len)
{
    assert_memory_equal(sg_copies_at(&f->copies, off), want, len);
}

static void test_neighbours_share_one_range(void **state)
{
    fixture *f = *state;
    uint8_t *p = f->page;
    sg_copy_request reqs[] = {{addr_of(p + 8), 8}, {addr_of(p + 16), 16}, {addr_of(p + 500), 64}};
    size_t offs[3];
    uint64_t before = f->mem->syscalls;
    assert_int_equal(sg_copies_fetch(&f->copies, reqs, 3, offs), 0);
    assert_int_equal(f->mem->syscalls - before, 1);
    assert_int_equal(f->copies.n, 1); /* one range from p+8 to p+564 */
    assert_bytes(f, offs[0], p + 8, 8);
    assert_bytes(f, offs[1], p + 16, 16);
    assert_bytes(f, offs[2], p + 500, 64);
    /* the bytes between are copied too, and found */
    assert_non_null(sg_copies_find(&f->copies, addr_of(p + 100), 200));
}

static void test_rereads_and_backward_requests_stay_apart(void **state)
{
    fixture *f = *state;
    uint8_t *p = f->page;
    /* the same word twice (a re-read of a frame pointer), then an address
     * below the previous one, then one too far away */
    sg_copy_request reqs[] = {{addr_of(p + 64), 8},
                              {addr_of(p + 64), 8},
                              {addr_of(p + 32), 8},
                              {addr_of(p + 32 + 8 + SG_COPY_JOIN_GAP + 1), 8}};
    size_t offs[4];
    assert_int_equal(sg_copies_fetch(&f->copies, reqs, 4, offs), 0);
    assert_int_equal(f->copies.n, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_true(offs[i] != SG_COPY_MISSING);
        assert_bytes(f, offs[i], (const uint8_t *)(uintptr_t)reqs[i].addr, 8);
    }
    assert_true(offs[0] != offs[1]); /* two copies of the same bytes */
}

static void test_failed_merge_loses_only_the_unreadable(void **state)
{
    fixture *f = *state;
    uint8_t *p = f->page;
    long ps = f->page_size;
    /* the last bytes of the mapped page, then the start of the unmapped
     * one: joinable, so read as one range, which fails; then one more
     * readable request after them */
    sg_copy_request reqs[] = {{addr_of(p + ps - 16), 16}, {addr_of(p + ps), 8}, {addr_of(p), 8}};
    size_t offs[3];
    assert_int_equal(sg_copies_fetch(&f->copies, reqs, 3, offs), 0);
    assert_true(offs[0] != SG_COPY_MISSING);
    assert_bytes(f, offs[0], p + ps - 16, 16);
    assert_int_equal(offs[1], SG_COPY_MISSING);
    assert_true(offs[2] != SG_COPY_MISSING);
    assert_bytes(f, offs[2], p, 8);
}

/* A retry keeps the slow part's copies and reads the top part again: the
 * kept copies keep their bytes and offsets, the rest are forgotten, and a
 * lookup of what was read since a point in the arena finds only the new
 * copies, even where an old one covers the same address. */
static void test_kept_copies_and_copies_since(void **state)
{
    fixture *f = *state;
    uint8_t *p = f->page;
    sg_copy_request first[] = {{addr_of(p + 2048), 64}, {addr_of(p + 64), 8}};
    size_t offs[2];
    assert_int_equal(sg_copies_fetch(&f->copies, first, 2, offs), 0);
    assert_int_equal(f->copies.n, 2);
    sg_copies_keep(&f->copies, offs[0], offs[0] + 64); /* the "slow part" */
    assert_int_equal(f->copies.n, 1);
    assert_bytes(f, offs[0], p + 2048, 64);
    assert_null(sg_copies_find(&f->copies, addr_of(p + 64), 8));

    p[2048] ^= 0xff; /* the memory changes before the next read */
    sg_copy_request again[] = {{addr_of(p + 2048), 8}};
    size_t off;
    assert_int_equal(sg_copies_fetch(&f->copies, again, 1, &off), 0);
    const uint8_t *fresh = sg_copies_find_since(&f->copies, off, addr_of(p + 2048), 8);
    assert_ptr_equal(fresh, sg_copies_at(&f->copies, off));
    assert_int_equal(fresh[0], p[2048]);
    /* the kept copy still has the old byte, and is not "since" */
    assert_int_equal(sg_copies_at(&f->copies, offs[0])[0], (uint8_t)(p[2048] ^ 0xff));
    assert_null(sg_copies_find_since(&f->copies, off, addr_of(p + 2056), 8));
    assert_non_null(sg_copies_find(&f->copies, addr_of(p + 2056), 8));
    p[2048] ^= 0xff;
}

static void test_whole_pages_widen_and_merge(void **state)
{
    (void)state;
    const uint64_t pg = SG_COPY_PAGE, base = 0x7f0000000000ull;
    /* sorted: two frames on page 0, one straddling pages 2-3, one on page 3,
     * one on page 9 */
    sg_copy_request r[] = {{base + 64, 432},
                           {base + 2000, 432},
                           {base + 3 * pg - 100, 432},
                           {base + 3 * pg + 1000, 117},
                           {base + 9 * pg + 8, 8}};
    size_t n = sg_copies_whole_pages(r, 5);
    assert_int_equal(n, 3);
    assert_true(r[0].addr == base && r[0].len == pg);
    assert_true(r[1].addr == base + 2 * pg && r[1].len == 2 * pg); /* pages 2 and 3, once */
    assert_true(r[2].addr == base + 9 * pg && r[2].len == pg);
    /* bordering pages merge into one range; a request on a page boundary
     * adds no page it does not touch */
    sg_copy_request b[] = {{base + pg - 8, 8}, {base + pg, 8}, {base + 2 * pg, 16}};
    assert_int_equal(sg_copies_whole_pages(b, 3), 1);
    assert_true(b[0].addr == base && b[0].len == 3 * pg);
    assert_int_equal(sg_copies_whole_pages(b, 0), 0);
}

static void test_whole_pages_read_what_the_requests_read(void **state)
{
    fixture *f = *state;
    /* the first page is mapped, the next one not: widening a request on the
     * mapped page must not reach the unmapped one */
    sg_copy_request r[] = {{addr_of(f->page + 100), 64}, {addr_of(f->page + 3000), 64}};
    size_t n = sg_copies_whole_pages(r, 2), off;
    assert_int_equal(n, 1);
    assert_true(r[0].addr == addr_of(f->page) && r[0].len == SG_COPY_PAGE);
    assert_int_equal(sg_copies_fetch(&f->copies, r, n, &off), 0);
    assert_true(off != SG_COPY_MISSING);
    assert_non_null(sg_copies_find(&f->copies, addr_of(f->page + 2000), 432));
}

static void test_copies_after_a_mark_are_found_then_forgotten(void **state)
{
    fixture *f = *state;
    uint8_t *p = f->page;
    sg_copy_request first = {addr_of(p + 64), 8}, later = {addr_of(p + 64), 8};
    size_t off_first, off_later;
    assert_int_equal(sg_copies_fetch(&f->copies, &first, 1, &off_first), 0);
    sg_copies_mark mark = sg_copies_here(&f->copies);
    assert_int_equal(sg_copies_fetch(&f->copies, &later, 1, &off_later), 0);
    /* since the mark, only the later copy answers */
    assert_ptr_equal(sg_copies_find_since(&f->copies, mark.used, later.addr, 8),
                     sg_copies_at(&f->copies, off_later));
    sg_copies_forget_after(&f->copies, mark);
    assert_int_equal(f->copies.n, 1);
    assert_null(sg_copies_find_since(&f->copies, mark.used, later.addr, 8));
    assert_ptr_equal(sg_copies_find(&f->copies, first.addr, 8),
                     sg_copies_at(&f->copies, off_first));
    /* a mark from beyond the copies as they stand changes nothing */
    sg_copies_forget_after(&f->copies, (sg_copies_mark){5, 1u << 20});
    assert_int_equal(f->copies.n, 1);
}

static void test_many_requests_span_batches(void **state)
{
    fixture *f = *state;
    uint8_t *p = f->page;
    /* more requests than one read takes, every other one a re-read */
    enum { N = SG_MEM_MAX_SPANS * 2 + 7 };
    sg_copy_request reqs[N];
    size_t offs[N];
    for (size_t i = 0; i < N; i++)
        reqs[i] = (sg_copy_request){addr_of(p + (i / 2) * 8 % 4000), 8};
    assert_int_equal(sg_copies_fetch(&f->copies, reqs, N, offs), 0);
    for (size_t i = 0; i < N; i++) {
        assert_true(offs[i] != SG_COPY_MISSING);
        assert_bytes(f, offs[i], (const uint8_t *)(uintptr_t)reqs[i].addr, 8);
    }
}

/* ---- on-CPU readings of another process's threads ---------------------- */

static pid_t spawn(int spin)
{
    pid_t pid = fork();
    if (pid == 0) {
        volatile uint64_t x = 0;
        for (;;) {
            if (spin)
                x++;
            else
                pause();
        }
    }
    assert_true(pid > 0);
    return pid;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* Fraction of 40 samples, 2 ms apart, that say "on CPU". */
static double on_cpu_share(pid_t pid)
{
    sg_thread_cpu c;
    sg_thread_cpu_open(&c, pid, pid);
    assert_false(c.own);
    int on = 0;
    for (int i = 0; i < 40; i++) {
        sleep_ms(2);
        int r = sg_thread_cpu_sample(&c, sg_monotonic_ns());
        assert_true(r == 0 || r == 1);
        on += r;
    }
    sg_thread_cpu_close(&c);
    return on / 40.0;
}

static void test_thread_cpu_tells_spinning_from_sleeping(void **state)
{
    (void)state;
    pid_t busy = spawn(1), idle = spawn(0);
    sleep_ms(30);
    double busy_share = on_cpu_share(busy), idle_share = on_cpu_share(idle);
    kill(busy, SIGKILL);
    kill(idle, SIGKILL);
    waitpid(busy, NULL, 0);
    waitpid(idle, NULL, 0);
    /* a loaded machine may keep the spinner off a CPU at times; a thread in
     * pause() never runs */
    assert_true(busy_share >= 0.5);
    assert_true(idle_share == 0.0);
    /* a thread that is gone says so */
    sg_thread_cpu c;
    sg_thread_cpu_open(&c, busy, busy);
    assert_int_equal(sg_thread_cpu_sample(&c, sg_monotonic_ns()), -1);
    sg_thread_cpu_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_neighbours_share_one_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rereads_and_backward_requests_stay_apart, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failed_merge_loses_only_the_unreadable, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_kept_copies_and_copies_since, setup, teardown),
        cmocka_unit_test(test_whole_pages_widen_and_merge),
        cmocka_unit_test_setup_teardown(test_whole_pages_read_what_the_requests_read, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_copies_after_a_mark_are_found_then_forgotten, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_many_requests_span_batches, setup, teardown),
        cmocka_unit_test(test_thread_cpu_tells_spinning_from_sleeping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
