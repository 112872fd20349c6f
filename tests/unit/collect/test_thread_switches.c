/*
 * test_thread_switches.c — the context-switch watch (thread_switches.c)
 * and the on-CPU reading built on it (thread_cpu.c), on real children: one
 * asleep in pause(), one that spins, one that alternates short runs and
 * sleeps. Where the kernel refuses perf_event_open (a seccomp filter, a
 * strict perf_event_paranoid), the watch tests are skipped and thread_cpu
 * is checked to fall back to schedstat.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "collect/sampling_loop.h"
#include "collect/thread_cpu.h"
#include "collect/thread_switches.h"

enum child_kind { CHILD_SLEEPS, CHILD_SPINS, CHILD_ALTERNATES };

static void sleep_ms(int ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static pid_t spawn(enum child_kind kind)
{
    pid_t pid = fork();
    if (pid == 0) {
        volatile uint64_t x = 0;
        for (;;) {
            if (kind == CHILD_SLEEPS) {
                pause();
            } else if (kind == CHILD_SPINS) {
                x++;
            } else {
                uint64_t end = sg_monotonic_ns() + 1000000;
                while (sg_monotonic_ns() < end)
                    x++;
                sleep_ms(1);
            }
        }
    }
    assert_true(pid > 0);
    return pid;
}

static void reap(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* Whether this kernel lets us watch a child; skips the test if not. */
static int watch_or_skip(sg_switch_watch *w, pid_t pid)
{
    int rc = sg_switch_watch_open(w, pid);
    if (rc == -EACCES || rc == -EPERM || rc == -ENOSYS || rc == -ENOENT || rc == -EMFILE) {
        reap(pid);
        skip();
    }
    assert_int_equal(rc, 0);
    return rc;
}

static void test_asleep_thread_is_quiet(void **state)
{
    (void)state;
    pid_t pid = spawn(CHILD_SLEEPS);
    sleep_ms(20); /* let it reach pause() */
    sg_switch_watch w;
    watch_or_skip(&w, pid);
    sg_switch_watch_read(&w); /* whatever came before */
    for (int i = 0; i < 10; i++) {
        sleep_ms(2);
        assert_int_equal(sg_switch_watch_read(&w), SG_SWITCH_QUIET);
    }
    /* woken to die: its last record is its exit, not a switch in */
    reap(pid);
    assert_int_equal(sg_switch_watch_read(&w), SG_SWITCH_GONE);
    assert_int_equal(sg_switch_watch_read(&w), SG_SWITCH_GONE);
    sg_switch_watch_close(&w);
}

static void test_alternating_thread_switches_every_interval(void **state)
{
    (void)state;
    pid_t pid = spawn(CHILD_ALTERNATES);
    sg_switch_watch w;
    watch_or_skip(&w, pid);
    int switched = 0;
    for (int i = 0; i < 20; i++) {
        sleep_ms(5); /* several of its 1 ms sleeps */
        enum sg_switch_state s = sg_switch_watch_read(&w);
        assert_true(s != SG_SWITCH_UNKNOWN); /* two pages hold far more */
        switched += s != SG_SWITCH_QUIET;
    }
    reap(pid);
    sg_switch_watch_close(&w);
    /* a loaded machine may delay a wakeup, never for 5 ms every time */
    assert_true(switched >= 15);
}

/* Fraction of 40 readings, 2 ms apart, that say "on CPU". */
static double on_cpu_share(pid_t pid, int *watched)
{
    sg_thread_cpu c;
    sg_thread_cpu_open(&c, pid, pid);
    *watched = c.watched;
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

static void test_thread_cpu_reads_switches_when_it_can(void **state)
{
    (void)state;
    pid_t busy = spawn(CHILD_SPINS), idle = spawn(CHILD_SLEEPS);
    sleep_ms(20);
    int busy_watched, idle_watched;
    double busy_share = on_cpu_share(busy, &busy_watched);
    double idle_share = on_cpu_share(idle, &idle_watched);
    reap(busy);
    reap(idle);
    sg_switch_watch probe;
    int can_watch = sg_switch_watch_open(&probe, getpid()) == 0;
    sg_switch_watch_close(&probe);
    assert_int_equal(busy_watched, can_watch);
    assert_int_equal(idle_watched, can_watch);
    assert_true(busy_share >= 0.5);
    assert_true(idle_share == 0.0);
    /* a thread that is gone says so, watched or not */
    pid_t doomed = spawn(CHILD_SPINS);
    sg_thread_cpu w;
    sg_thread_cpu_open(&w, doomed, doomed);
    assert_int_equal(w.watched, can_watch);
    sg_thread_cpu_sample(&w, sg_monotonic_ns());
    reap(doomed);
    if (can_watch)
        assert_int_equal(sg_thread_cpu_sample(&w, sg_monotonic_ns()), -1);
    sg_thread_cpu_close(&w);
    sg_thread_cpu c;
    sg_thread_cpu_open(&c, busy, busy);
    assert_false(c.watched);
    assert_int_equal(sg_thread_cpu_sample(&c, sg_monotonic_ns()), -1);
    sg_thread_cpu_close(&c);
}

/* A thread that fell asleep just before we first looked can be reported
 * running by wchan (Linux 6.12+ keeps it on its run queue a while, see
 * thread_cpu.h), with its switch out already behind us. That answer must
 * not stand for the rest of the recording: here a sleeping child is given
 * it, as the kernel would have, and has to be found asleep within a tick. */
static void test_running_from_wchan_alone_is_asked_again(void **state)
{
    (void)state;
    pid_t pid = spawn(CHILD_SLEEPS);
    sleep_ms(20); /* let it reach pause() */
    sg_thread_cpu c;
    sg_thread_cpu_open(&c, pid, pid);
    uint64_t t0 = sg_monotonic_ns();
    assert_int_equal(sg_thread_cpu_sample(&c, t0), 0);
    /* what a first reading taken as it fell asleep would have learned */
    c.running = c.state_known = true;
    c.wchan_said_running = c.watched;
    c.asked_ns = c.last_change_ns = t0;
    /* within a tick the answer stands (no second read of wchan yet) */
    assert_int_equal(sg_thread_cpu_sample(&c, t0 + 5000000), 1);
    /* past it, the thread is found asleep, and stays so */
    assert_int_equal(sg_thread_cpu_sample(&c, t0 + 25000000), 0);
    assert_int_equal(sg_thread_cpu_sample(&c, t0 + 50000000), 0);
    sg_thread_cpu_close(&c);
    reap(pid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_asleep_thread_is_quiet),
        cmocka_unit_test(test_alternating_thread_switches_every_interval),
        cmocka_unit_test(test_thread_cpu_reads_switches_when_it_can),
        cmocka_unit_test(test_running_from_wchan_alone_is_asked_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
