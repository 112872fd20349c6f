/*
 * test_thread_cpu_own.c — on-CPU readings of threads of our own process
 * (the in-process sampler's case, thread_cpu.c): one thread that spins, one
 * asleep on a condition variable, one that ends. Each is read through its
 * switch records where perf_event_open allows it, and through its CPU clock
 * when the watch cannot be opened (forced here by an fd limit too low for
 * another perf descriptor): both must give the same answers.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "collect/sampling_loop.h"
#include "collect/thread_cpu.h"
#include "collect/thread_switches.h"

typedef struct worker {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    volatile int stop;
    volatile int wakeups; /* the sleeper's, counted after each wait */
    int spins;
    volatile pid_t tid;
} worker;

static void sleep_ms(int ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    w->tid = (pid_t)syscall(SYS_gettid);
    volatile uint64_t x = 0;
    if (w->spins) {
        while (!w->stop)
            x++;
        return NULL;
    }
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        pthread_cond_wait(&w->cond, &w->lock);
        w->wakeups++;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void worker_start(worker *w, int spins)
{
    memset(w, 0, sizeof *w);
    w->spins = spins;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    assert_int_equal(pthread_create(&w->thread, NULL, worker_main, w), 0);
    while (!w->tid)
        sleep_ms(1);
    sleep_ms(20); /* the sleeper reaches its wait */
}

static void worker_end(worker *w)
{
    pthread_mutex_lock(&w->lock);
    w->stop = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
}

/* Share of 40 readings, 5 ms apart, that say "on CPU". */
static double on_cpu_share(sg_thread_cpu *c)
{
    int on = 0;
    for (int i = 0; i < 40; i++) {
        sleep_ms(5);
        int r = sg_thread_cpu_sample(c, sg_monotonic_ns());
        assert_true(r == 0 || r == 1);
        on += r;
    }
    return on / 40.0;
}

static int can_watch(void)
{
    sg_switch_watch probe;
    int ok = sg_switch_watch_open(&probe, (pid_t)syscall(SYS_gettid)) == 0;
    sg_switch_watch_close(&probe);
    return ok;
}

/* Reads a spinner, a sleeper and an ending thread; `expect` the method. */
static void check_own_threads(const char *expect)
{
    worker busy, idle, doomed;
    worker_start(&busy, 1);
    worker_start(&idle, 0);
    worker_start(&doomed, 0);
    sg_thread_cpu b, i, d;
    sg_thread_cpu_open(&b, getpid(), busy.tid);
    sg_thread_cpu_open(&i, getpid(), idle.tid);
    sg_thread_cpu_open(&d, getpid(), doomed.tid);
    assert_string_equal(sg_thread_cpu_method(&b), expect);
    assert_string_equal(sg_thread_cpu_method(&i), expect);
    assert_string_equal(sg_thread_cpu_method(&d), expect);
    /* a spinner on 2 CPUs shared with other work (on a loaded machine the
     * clock says "ran" only when it got a CPU in those 5 ms; the switch
     * records count it runnable too); the sleeper never runs */
    assert_true(on_cpu_share(&b) >= 0.2);
    assert_true(on_cpu_share(&i) == 0.0);
    sg_thread_cpu_sample(&d, sg_monotonic_ns());
    worker_end(&doomed);
    sleep_ms(5);
    assert_int_equal(sg_thread_cpu_sample(&d, sg_monotonic_ns()), -1);
    /* woken (it waits again at once), the sleeper ran: the next reading
     * says so, and then that it sleeps again */
    pthread_mutex_lock(&idle.lock);
    pthread_cond_signal(&idle.cond);
    pthread_mutex_unlock(&idle.lock);
    while (!idle.wakeups)
        sleep_ms(1);
    sleep_ms(5);
    assert_int_equal(sg_thread_cpu_sample(&i, sg_monotonic_ns()), 1);
    sleep_ms(5);
    assert_int_equal(sg_thread_cpu_sample(&i, sg_monotonic_ns()), 0);
    worker_end(&idle);
    worker_end(&busy);
    sg_thread_cpu_close(&b);
    sg_thread_cpu_close(&i);
    sg_thread_cpu_close(&d);
}

static void test_own_threads_read_switch_records(void **state)
{
    (void)state;
    if (!can_watch())
        skip(); /* perf_event_open refused here: the next test covers it */
    check_own_threads("switch records");
}

static void test_own_threads_fall_back_to_cpu_clock(void **state)
{
    (void)state;
    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    /* No fd left for a perf event: every watch fails with EMFILE. */
    int probe = dup(0);
    assert_true(probe >= 0);
    close(probe);
    struct rlimit tight = {(rlim_t)probe, old.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &tight), 0);
    check_own_threads("cpu clock");
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_threads_read_switch_records),
        cmocka_unit_test(test_own_threads_fall_back_to_cpu_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
