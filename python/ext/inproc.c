/*
 * inproc.c — the in-process sampler; see inproc.h.
 *
 * The sampler's sink is ours, not the recorder's: it filters threads and
 * forwards to the recorder of the current window. Code ids are per sampler
 * and announced once, but each window is a fresh profile with a fresh
 * recorder, so the sink remembers in which window each code id was last
 * announced (one array read per frame) and re-announces it to a new window
 * on first use; threads are replayed to each new window when it opens.
 *
 * Source text is not read by the recorder (no file I/O on the sampler
 * thread): snapshots embed it, in the reader's thread.
 */
#include "inproc.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "collect/mem_guarded.h"
#include "collect/sampling_loop.h"
#include "collect/target.h"
#include "collect/thread_cpu.h"
#include "collect/thread_switches.h"
#include "inproc_append.h"
#include "profile/recorder.h"

#define SG_EPOCH_NS     1000000000ull
#define SG_NAME_WAIT_NS 50000000ull /* new threads wait this long for their Python name */

typedef struct sg_inproc_thread {
    sg_thread_info info;
    char name[64];
} sg_inproc_thread;

/* What one round's own work costs (wall ns from the wakeup to the end of
 * the round, two vDSO clock reads): the sampler's price per sample apart
 * from the kernel's price of waking a thread, which no sampler avoids. A
 * histogram of 25 ns buckets gives the median, which a round preempted
 * half-way does not move. */
#define SG_WORK_BUCKET_NS 25
#define SG_WORK_BUCKETS   800 /* up to 20 us; slower rounds land in the last */

typedef struct sg_inproc_work {
    uint32_t hist[SG_WORK_BUCKETS];
    uint64_t rounds, total_ns;
} sg_inproc_work;

static void sg_work_add(sg_inproc_work *w, uint64_t ns)
{
    uint64_t b = ns / SG_WORK_BUCKET_NS;
    w->hist[b < SG_WORK_BUCKETS ? b : SG_WORK_BUCKETS - 1]++;
    w->rounds++;
    w->total_ns += ns;
}

static uint64_t sg_work_median(const sg_inproc_work *w)
{
    uint64_t seen = 0;
    for (size_t b = 0; b < SG_WORK_BUCKETS && w->rounds; b++)
        if ((seen += w->hist[b]) * 2 >= w->rounds)
            return b * SG_WORK_BUCKET_NS + SG_WORK_BUCKET_NS / 2;
    return 0;
}

typedef struct sg_inproc_window {
    sg_profile *profile;
    uint64_t t0, t1; /* ns since start: [t0, t1) */
} sg_inproc_window;

struct sg_inproc {
    sg_inproc_config cfg;
    char *command, *python_version;
    pthread_mutex_t lock;
    pthread_t thread;
    bool thread_started; /* a thread to join exists (in this process) */
    bool forked_running; /* a child of a process whose sampler ran */
    volatile sig_atomic_t stop;
    volatile int paused;
    char error[256];

    /* The recording; everything below is guarded by lock. */
    bool attached;
    sg_target target;
    sg_sampler *sampler;
    uint64_t start_ns, start_unix_ns, next_epoch;
    sg_profile *cur;
    sg_recorder *rec;
    sg_sample_sink rec_sink;
    uint64_t cur_t0;
    uint32_t gen; /* window generation, >= 1 */
    uint32_t *code_gen;
    size_t cap_code_gen;
    /* Code ids below codes_at_open were known before the current window
     * opened, so only they may still need announcing to it (0: none, and
     * samples skip the check). */
    uint32_t codes_at_open;
    sg_inproc_thread *threads;
    size_t nthreads, cap_threads;
    sg_inproc_window *ring; /* finished windows, oldest at ring_head */
    size_t ring_head, ring_count;
    pid_t *only;
    size_t nonly;
    sg_loop_stats loop;
    sg_inproc_work work;
    uint64_t sampler_cpu_ns;
    clockid_t sampler_clock;
    bool have_sampler_clock;
    /* A switch watch on the main thread for the whole recording: it keeps
     * the kernel's switch hooks on, so each thread's own watch opens in
     * microseconds on the sampler thread, not the ~10 ms of the first one
     * (thread_switches.h); and whether it opened says how on-CPU state is
     * read (cpu_state: "switch records", else the CPU clock and why). */
    sg_switch_watch anchor;
    char cpu_state[128];
};

/* ---- fork: every live sampler, so the atfork handlers can find them ---- */

/* The one piece of global state: pthread_atfork handlers take no argument. */
static pthread_mutex_t sg_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static sg_inproc **sg_registry;
static size_t sg_registry_n, sg_registry_cap;
static pthread_once_t sg_atfork_once = PTHREAD_ONCE_INIT;

static void sg_atfork_prepare(void)
{
    pthread_mutex_lock(&sg_registry_lock);
    for (size_t i = 0; i < sg_registry_n; i++)
        pthread_mutex_lock(&sg_registry[i]->lock);
}

static void sg_atfork_parent(void)
{
    for (size_t i = sg_registry_n; i-- > 0;)
        pthread_mutex_unlock(&sg_registry[i]->lock);
    pthread_mutex_unlock(&sg_registry_lock);
}

static void sg_atfork_child(void)
{
    for (size_t i = 0; i < sg_registry_n; i++) {
        sg_inproc *ip = sg_registry[i];
        pthread_mutex_init(&ip->lock, NULL);
        ip->forked_running = ip->thread_started;
        ip->thread_started = false; /* the thread stayed in the parent */
        ip->have_sampler_clock = false;
    }
    pthread_mutex_init(&sg_registry_lock, NULL);
}

static void sg_atfork_install(void)
{
    pthread_atfork(sg_atfork_prepare, sg_atfork_parent, sg_atfork_child);
}

static int sg_registry_add(sg_inproc *ip)
{
    pthread_once(&sg_atfork_once, sg_atfork_install);
    pthread_mutex_lock(&sg_registry_lock);
    int rc = 0;
    if (sg_registry_n == sg_registry_cap) {
        size_t cap = sg_registry_cap ? sg_registry_cap * 2 : 8;
        sg_inproc **r = realloc(sg_registry, cap * sizeof *r);
        if (r) {
            sg_registry = r;
            sg_registry_cap = cap;
        } else {
            rc = -ENOMEM;
        }
    }
    if (rc == 0)
        sg_registry[sg_registry_n++] = ip;
    pthread_mutex_unlock(&sg_registry_lock);
    return rc;
}

static void sg_registry_remove(sg_inproc *ip)
{
    pthread_mutex_lock(&sg_registry_lock);
    for (size_t i = 0; i < sg_registry_n; i++)
        if (sg_registry[i] == ip) {
            sg_registry[i] = sg_registry[--sg_registry_n];
            break;
        }
    pthread_mutex_unlock(&sg_registry_lock);
}

/* ---- windows ------------------------------------------------------------ */

static int sg_window_open(sg_inproc *ip, uint64_t t0);

static void sg_window_close_current(sg_inproc *ip, uint64_t t1)
{
    sg_recorder_free(ip->rec);
    ip->rec = NULL;
    if (!ip->cur)
        return;
    ip->cur->meta.duration_ns = t1 - ip->cur_t0;
    if (ip->cfg.window_ns == 0) {
        return; /* one profile: it stays current, closed */
    }
    if (ip->ring_count == ip->cfg.history) {
        sg_profile_free(ip->ring[ip->ring_head].profile);
        ip->ring_head = (ip->ring_head + 1) % ip->cfg.history;
        ip->ring_count--;
    }
    ip->ring[(ip->ring_head + ip->ring_count) % ip->cfg.history] =
        (sg_inproc_window){ip->cur, ip->cur_t0, t1};
    ip->ring_count++;
    ip->cur = NULL;
}

static void sg_recording_free(sg_inproc *ip)
{
    sg_recorder_free(ip->rec);
    ip->rec = NULL;
    sg_profile_free(ip->cur);
    ip->cur = NULL;
    for (size_t i = 0; i < ip->ring_count; i++)
        sg_profile_free(ip->ring[(ip->ring_head + i) % ip->cfg.history].profile);
    ip->ring_head = ip->ring_count = 0;
    sg_sampler_free(ip->sampler);
    ip->sampler = NULL;
    if (ip->attached)
        sg_target_detach(&ip->target);
    ip->attached = false;
    sg_switch_watch_close(&ip->anchor);
    ip->cpu_state[0] = '\0';
    ip->nthreads = 0;
    ip->gen = 0;
    ip->codes_at_open = 0; /* the next sampler numbers its codes from 0 */
}

/* ---- the sink ----------------------------------------------------------- */

static int sg_code_gen_reserve(sg_inproc *ip, uint32_t id)
{
    if (id < ip->cap_code_gen)
        return 0;
    size_t cap = ip->cap_code_gen ? ip->cap_code_gen * 2 : 1024;
    while (cap <= id)
        cap *= 2;
    uint32_t *g = realloc(ip->code_gen, cap * sizeof *g);
    if (!g)
        return -ENOMEM;
    memset(g + ip->cap_code_gen, 0, (cap - ip->cap_code_gen) * sizeof *g);
    ip->code_gen = g;
    ip->cap_code_gen = cap;
    return 0;
}

static void sg_sink_code(void *ctx, const sg_code_info *info)
{
    sg_inproc *ip = ctx;
    if (sg_code_gen_reserve(ip, info->id) != 0)
        return; /* samples with this code are dropped by the recorder */
    ip->rec_sink.code(ip->rec_sink.ctx, info);
    ip->code_gen[info->id] = ip->gen;
}

static void sg_sink_thread(void *ctx, const sg_thread_info *info)
{
    sg_inproc *ip = ctx;
    sg_inproc_thread *t = NULL;
    for (size_t i = 0; i < ip->nthreads && !t; i++)
        if (ip->threads[i].info.tid == info->tid)
            t = &ip->threads[i];
    if (!t && ip->nthreads == ip->cap_threads) {
        size_t cap = ip->cap_threads ? ip->cap_threads * 2 : 16;
        sg_inproc_thread *th = realloc(ip->threads, cap * sizeof *th);
        if (th) {
            ip->threads = th;
            ip->cap_threads = cap;
        }
    }
    if (!t && ip->nthreads < ip->cap_threads)
        t = &ip->threads[ip->nthreads++];
    if (t) {
        t->info = *info;
        snprintf(t->name, sizeof t->name, "%s", info->name ? info->name : "");
        t->info.name = t->name;
    }
    ip->rec_sink.thread(ip->rec_sink.ctx, info);
}

static int sg_sink_sample(void *ctx, const sg_sample *s)
{
    sg_inproc *ip = ctx;
    if (ip->nonly) {
        size_t i = 0;
        while (i < ip->nonly && ip->only[i] != s->tid)
            i++;
        if (i == ip->nonly)
            return 0;
    }
    /* Every frame's id read again per sample is a cache line or more of
     * code_gen touched per round: skipped when no id predates the window
     * (always so without history windows). */
    for (uint32_t i = 0; ip->codes_at_open && i < s->depth; i++) {
        uint32_t id = s->frames[i].code_id;
        if (id < ip->codes_at_open && ip->code_gen[id] != ip->gen) {
            const sg_code_info *info = sg_sampler_code_info(ip->sampler, id);
            if (info) {
                ip->rec_sink.code(ip->rec_sink.ctx, info);
                ip->code_gen[id] = ip->gen;
            }
        }
    }
    return ip->rec_sink.sample(ip->rec_sink.ctx, s);
}

static void sg_fill_meta(sg_inproc *ip, sg_profile *p)
{
    char host[256];
    sg_profile_set_meta_text(p, &p->meta.command, ip->command);
    sg_profile_set_meta_text(p, &p->meta.python_version, ip->python_version);
    if (gethostname(host, sizeof host) == 0) {
        host[sizeof host - 1] = '\0';
        sg_profile_set_meta_text(p, &p->meta.host, host);
    }
    sg_profile_set_meta_text(p, &p->meta.spyglass_version, SG_VERSION);
    p->meta.pid = (uint64_t)getpid();
    p->meta.start_unix_ns = ip->start_unix_ns;
    p->meta.interval_ns = (uint64_t)(1e9 / ip->cfg.rate_hz);
    p->meta.mode = ip->cfg.mode == SG_SAMPLER_CPU ? SG_MODE_CPU : SG_MODE_WALL;
}

/* A new current profile starting at t0, with every known thread replayed. */
static int sg_window_open(sg_inproc *ip, uint64_t t0)
{
    ip->cur = sg_profile_new();
    sg_recorder_options ropts = {ip->start_ns, true};
    ip->rec = ip->cur ? sg_recorder_new(ip->cur, &ropts) : NULL;
    if (!ip->rec || sg_recorder_add_source(ip->rec, getpid(), &ip->rec_sink) != 0) {
        sg_recorder_free(ip->rec);
        sg_profile_free(ip->cur);
        ip->rec = NULL;
        ip->cur = NULL;
        return -ENOMEM;
    }
    sg_fill_meta(ip, ip->cur);
    ip->cur_t0 = t0;
    ip->gen++;
    /* Ids are dense from 0; one whose code_gen slot could not be made
     * (out of memory) has no slot to check, and its samples were dropped. */
    uint32_t known = ip->sampler ? sg_sampler_code_count(ip->sampler) : 0;
    ip->codes_at_open = known < ip->cap_code_gen ? known : (uint32_t)ip->cap_code_gen;
    for (size_t i = 0; i < ip->nthreads; i++)
        ip->rec_sink.thread(ip->rec_sink.ctx, &ip->threads[i].info);
    return 0;
}

/* ---- the sampler thread ------------------------------------------------- */

static int sg_inproc_tick(void *ctx, uint64_t now)
{
    sg_inproc *ip = ctx;
    int rc = 0;
    pthread_mutex_lock(&ip->lock);
    uint64_t t = now - ip->start_ns;
    if (ip->cfg.window_ns && t >= ip->cur_t0 + ip->cfg.window_ns) {
        uint64_t t0 = t - t % ip->cfg.window_ns;
        sg_window_close_current(ip, t0);
        if ((rc = sg_window_open(ip, t0)) != 0)
            snprintf(ip->error, sizeof ip->error, "out of memory opening a history window");
    }
    if (rc == 0 && !ip->paused) {
        rc = sg_sampler_round(ip->sampler, now);
        sg_work_add(&ip->work, sg_monotonic_ns() - now);
        if (rc == 0 && sg_recorder_error(ip->rec)) {
            snprintf(ip->error, sizeof ip->error, "recording stopped: out of memory");
            rc = -ENOMEM;
        } else if (rc < 0) {
            snprintf(ip->error, sizeof ip->error, "recording stopped: %s", strerror(-rc));
        }
    }
    if (now >= ip->next_epoch) {
        /* Once a second: is our fault handler still the first? (The host
         * may have enabled faulthandler since.) Else kernel copies. */
        if (sg_mem_is_guarded(ip->target.mem))
            sg_mem_guarded_check(ip->target.mem);
        sg_sampler_new_epoch(ip->sampler);
        ip->next_epoch = now + SG_EPOCH_NS;
    }
    pthread_mutex_unlock(&ip->lock);
    return rc;
}

static void *sg_inproc_main(void *arg)
{
    sg_inproc *ip = arg;
    /* The host's signals are for its own threads: a SIGINT must reach the
     * main thread, never this one. */
    sigset_t all;
    sigfillset(&all);
    /* ...except the faults our guarded copies catch: a blocked synchronous
     * SIGSEGV kills the process without running any handler. */
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    /* The kernel may delay a normal thread's timer by up to 50 us to
     * coalesce wakeups: at 10 kHz half an interval, so nearly every round
     * would start late. Ask for our deadlines as set. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    sg_loop_config cfg = {ip->cfg.rate_hz, 0, &ip->stop, 0, 0};
    sg_loop_stats loop;
    sg_loop_run(&cfg, sg_inproc_tick, NULL, ip, &loop);
    struct timespec cpu;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    pthread_mutex_lock(&ip->lock);
    ip->loop = loop;
    ip->sampler_cpu_ns = (uint64_t)cpu.tv_sec * 1000000000ull + (uint64_t)cpu.tv_nsec;
    if (ip->cur)
        ip->cur->meta.samples_missed = loop.missed;
    pthread_mutex_unlock(&ip->lock);
    return NULL;
}

/* ---- the API -------------------------------------------------------------- */

sg_inproc *sg_inproc_new(const sg_inproc_config *cfg, const char *command,
                         const char *python_version)
{
    sg_inproc *ip = calloc(1, sizeof *ip);
    if (!ip)
        return NULL;
    ip->cfg = *cfg;
    ip->anchor.fd = -1;
    if (ip->cfg.window_ns && ip->cfg.history == 0)
        ip->cfg.history = 1;
    ip->command = strdup(command ? command : "");
    ip->python_version = strdup(python_version ? python_version : "");
    ip->ring = ip->cfg.window_ns ? calloc(ip->cfg.history, sizeof *ip->ring) : NULL;
    pthread_mutex_init(&ip->lock, NULL);
    if (!ip->command || !ip->python_version || (ip->cfg.window_ns && !ip->ring) ||
        sg_registry_add(ip) != 0) {
        free(ip->command);
        free(ip->python_version);
        free(ip->ring);
        free(ip);
        return NULL;
    }
    return ip;
}

void sg_inproc_free(sg_inproc *ip)
{
    if (!ip)
        return;
    sg_inproc_stop(ip);
    sg_registry_remove(ip);
    sg_recording_free(ip);
    pthread_mutex_destroy(&ip->lock);
    free(ip->code_gen);
    free(ip->threads);
    free(ip->ring);
    free(ip->only);
    free(ip->command);
    free(ip->python_version);
    free(ip);
}

/* Attaches to ourselves: the same discovery as `spyglass record --pid`. */
static int sg_inproc_attach(sg_inproc *ip, char *err, size_t errlen)
{
    sg_target *t = &ip->target;
    int rc = sg_target_attach(getpid(), t, err, errlen);
    if (rc != 0)
        return -1;
    ip->attached = true;
    /* Guarded memcpy unless kernel copies were asked for (the target
     * opened those: kept as they are); the guarded source falls back to
     * the kernel by itself when it must. */
    if (ip->cfg.mem_flags != SG_MEM_SELF_KERNEL) {
        bool fd = ip->cfg.mem_flags & SG_MEM_SELF_FD;
        sg_mem *mem = fd ? sg_mem_self_open(SG_MEM_SELF_FD) : sg_mem_guarded_open(0);
        if (!mem) {
            snprintf(err, errlen, "cannot read this process's memory%s",
                     fd ? " through /proc/self/mem" : "");
            return -1;
        }
        sg_mem_close(t->mem);
        t->mem = mem;
    }
    /* interpreters.head is the newest interpreter (a sub-interpreter, once
     * one exists, possibly with no thread yet); we sample the main one,
     * which Python names for us. Out of process, find_interpreter guesses. */
    const sg_layout *l = t->layout;
    if (!ip->cfg.main_interp) {
        if ((rc = sg_target_find_interpreter(t)) != 0) {
            snprintf(err, errlen, "cannot find this process's interpreter: %s",
                     rc == -EAGAIN ? "not initialised" : strerror(-rc));
            return -1;
        }
        return 0;
    }
    t->interp = ip->cfg.main_interp;
    if (l->interp_ceval_gil_ptr == SG_LAYOUT_ABSENT)
        t->gil = t->syms.runtime + (uint64_t)l->runtime_ceval_gil;
    else if (sg_mem_read(t->mem, t->interp + (uint64_t)l->interp_ceval_gil_ptr, &t->gil,
                         sizeof t->gil) != 0 ||
             t->gil == 0) {
        snprintf(err, errlen, "cannot read the main interpreter's GIL");
        return -1;
    }
    return 0;
}

/* Opens the anchor watch (see struct sg_inproc) and says what it means
 * for every thread's on-CPU reading (thread_cpu.h). */
static void sg_inproc_open_anchor(sg_inproc *ip)
{
    if (ip->cfg.cpu_clock) {
        snprintf(ip->cpu_state, sizeof ip->cpu_state, "cpu clock (asked for)");
        return;
    }
    int rc = sg_switch_watch_open(&ip->anchor, getpid());
    if (rc == 0)
        snprintf(ip->cpu_state, sizeof ip->cpu_state, "switch records");
    else
        snprintf(ip->cpu_state, sizeof ip->cpu_state,
                 "cpu clock (perf_event_open refused: %s; see perf_event_paranoid)", strerror(-rc));
}

int sg_inproc_start(sg_inproc *ip, char *err, size_t errlen)
{
    sg_inproc_stop(ip);
    pthread_mutex_lock(&ip->lock);
    sg_recording_free(ip);
    ip->error[0] = '\0';
    ip->forked_running = false;
    memset(&ip->loop, 0, sizeof ip->loop);
    memset(&ip->work, 0, sizeof ip->work);
    ip->sampler_cpu_ns = 0;
    if (ip->cap_code_gen)
        memset(ip->code_gen, 0, ip->cap_code_gen * sizeof *ip->code_gen);
    int rc = sg_inproc_attach(ip, err, errlen);
    if (rc == 0)
        sg_inproc_open_anchor(ip);
    sg_sampler_config scfg = {ip->cfg.mode, false, 0, SG_NAME_WAIT_NS};
    sg_sample_sink sink = {ip, sg_sink_code, sg_sink_thread, sg_sink_sample};
    if (rc == 0 && !(ip->sampler = sg_sampler_new(&ip->target, &scfg, &sink))) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc == 0 && ip->cfg.cpu_clock)
        sg_sampler_set_thread_cpu_flags(ip->sampler, SG_THREAD_CPU_CLOCK);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    ip->start_unix_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
    ip->start_ns = sg_monotonic_ns();
    ip->next_epoch = ip->start_ns + SG_EPOCH_NS;
    if (rc == 0 && sg_window_open(ip, 0) != 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    ip->stop = 0;
    if (rc == 0 && (rc = pthread_create(&ip->thread, NULL, sg_inproc_main, ip)) != 0) {
        snprintf(err, errlen, "cannot start the sampler thread: %s", strerror(rc));
        rc = -1;
    }
    if (rc == 0) {
        ip->thread_started = true;
        ip->have_sampler_clock = pthread_getcpuclockid(ip->thread, &ip->sampler_clock) == 0;
    } else {
        sg_recording_free(ip);
    }
    pthread_mutex_unlock(&ip->lock);
    return rc;
}

void sg_inproc_stop(sg_inproc *ip)
{
    if (!ip->thread_started)
        return;
    ip->stop = 1;
    pthread_join(ip->thread, NULL);
    pthread_mutex_lock(&ip->lock);
    ip->thread_started = false;
    ip->have_sampler_clock = false;
    if (ip->cur)
        ip->cur->meta.duration_ns = sg_monotonic_ns() - ip->start_ns - ip->cur_t0;
    sg_recorder_free(ip->rec);
    ip->rec = NULL;
    pthread_mutex_unlock(&ip->lock);
}

void sg_inproc_set_paused(sg_inproc *ip, bool paused)
{
    pthread_mutex_lock(&ip->lock);
    ip->paused = paused;
    if (!paused && ip->attached && sg_mem_is_guarded(ip->target.mem))
        sg_mem_guarded_check(ip->target.mem);
    pthread_mutex_unlock(&ip->lock);
}

int sg_inproc_set_threads(sg_inproc *ip, const pid_t *tids, size_t n)
{
    pid_t *only = NULL;
    if (n && !(only = malloc(n * sizeof *only)))
        return -ENOMEM;
    if (n)
        memcpy(only, tids, n * sizeof *only);
    pthread_mutex_lock(&ip->lock);
    free(ip->only);
    ip->only = only;
    ip->nonly = n;
    pthread_mutex_unlock(&ip->lock);
    return 0;
}

uint64_t sg_inproc_now(const sg_inproc *ip)
{
    return ip->start_ns ? sg_monotonic_ns() - ip->start_ns : 0;
}

sg_profile *sg_inproc_snapshot(sg_inproc *ip, uint64_t t0, uint64_t t1)
{
    sg_profile *out = sg_profile_new();
    if (!out)
        return NULL;
    pthread_mutex_lock(&ip->lock);
    int rc = ip->cur || ip->ring_count ? 0 : -1;
    for (size_t i = 0; i < ip->ring_count && rc == 0; i++) {
        const sg_inproc_window *w = &ip->ring[(ip->ring_head + i) % ip->cfg.history];
        if (w->t1 > t0 && w->t0 < t1)
            rc = sg_inproc_append(out, w->profile, t0, t1);
    }
    if (rc == 0 && ip->cur)
        rc = sg_inproc_append(out, ip->cur, t0, t1);
    if (rc == 0) {
        sg_fill_meta(ip, out);
        uint64_t end = ip->thread_started ? sg_inproc_now(ip)
                                          : (ip->cur ? ip->cur_t0 + ip->cur->meta.duration_ns : 0);
        uint64_t first = ip->ring_count ? ip->ring[ip->ring_head].t0 : ip->cur_t0;
        uint64_t lo = t0 > first ? t0 : first, hi = t1 < end ? t1 : end;
        out->meta.duration_ns = hi > lo ? hi - lo : 0;
        out->meta.samples_missed = ip->loop.missed;
    }
    pthread_mutex_unlock(&ip->lock);
    if (rc != 0) {
        sg_profile_free(out);
        return NULL;
    }
    sg_inproc_embed_sources(out);
    return out;
}

void sg_inproc_add_event(sg_inproc *ip, uint8_t kind, pid_t tid, const char *thread_name,
                         const char *label)
{
    pthread_mutex_lock(&ip->lock);
    if (ip->thread_started && ip->cur && !ip->paused) {
        uint32_t thread = SG_THREAD_NONE;
        for (uint32_t i = 0; i < ip->cur->threads.count && thread == SG_THREAD_NONE; i++)
            if (ip->cur->threads.tid[i] == (uint64_t)tid)
                thread = i;
        /* A thread not sampled yet gets its row now, under the name the
         * sampler will give it (so both land on one row). */
        if (thread == SG_THREAD_NONE && thread_name &&
            sg_profile_intern_thread(ip->cur, (uint64_t)tid, thread_name, &thread) != 0)
            thread = SG_THREAD_NONE;
        sg_profile_add_event(ip->cur, sg_inproc_now(ip), kind, thread, label);
    }
    pthread_mutex_unlock(&ip->lock);
}

void sg_inproc_get_stats(sg_inproc *ip, sg_inproc_stats *st)
{
    memset(st, 0, sizeof *st);
    pthread_mutex_lock(&ip->lock);
    if (ip->sampler) {
        sg_sampler_stats s;
        sg_sampler_get_stats(ip->sampler, &s);
        st->rounds = s.rounds;
        st->samples = s.samples;
        st->torn = s.torn;
        st->failed = s.failed;
        st->syscalls = s.syscalls;
    }
    st->work_median_ns = sg_work_median(&ip->work);
    st->work_mean_ns = ip->work.rounds ? ip->work.total_ns / ip->work.rounds : 0;
    st->late = ip->loop.late;
    st->missed = ip->loop.missed;
    st->sampler_cpu_ns = ip->sampler_cpu_ns;
    struct timespec cpu;
    if (ip->have_sampler_clock && clock_gettime(ip->sampler_clock, &cpu) == 0)
        st->sampler_cpu_ns = (uint64_t)cpu.tv_sec * 1000000000ull + (uint64_t)cpu.tv_nsec;
    st->elapsed_ns = ip->thread_started ? sg_inproc_now(ip)
                                        : (ip->cur ? ip->cur_t0 + ip->cur->meta.duration_ns : 0);
    st->windows = (uint32_t)ip->ring_count + (ip->cur ? 1 : 0);
    st->running = ip->thread_started;
    st->paused = ip->paused;
    st->forked = ip->forked_running;
    st->mem_method = "";
    st->cpu_state = ip->cpu_state;
    if (ip->attached && sg_mem_is_guarded(ip->target.mem)) {
        st->mem_method = sg_mem_guarded_method(ip->target.mem);
        st->faults = sg_mem_guarded_faults(ip->target.mem);
    } else if (ip->attached) {
        st->mem_method = sg_mem_self_method(ip->target.mem);
    }
    pthread_mutex_unlock(&ip->lock);
}

const char *sg_inproc_error(const sg_inproc *ip)
{
    return ip->error;
}

bool sg_inproc_was_forked_running(const sg_inproc *ip)
{
    return ip->forked_running;
}
