/*
 * inproc.h — the in-process sampler: src/collect's sampler, run from a
 * native thread inside the Python process it samples, recording into the
 * profile model (src/profile's recorder), optionally as a rolling history
 * of one profile per time window.
 *
 * It is `spyglass record --pid getpid()` without the process boundary: the
 * same target attach, sampler, recorder and model; only the memory source
 * differs: guarded memcpy (mem_guarded.h: a stale pointer costs a caught
 * fault and an error code, never a crash of the host), or copies through
 * the kernel (mem_self.c) when asked, or when the host took the SIGSEGV
 * handler over (checked at start, at resume and once a second).
 *
 * Threads and locks:
 *   - The sampler thread never takes the GIL and calls no Python API. It
 *     holds `lock` for one round (and a window switch); nothing else.
 *   - Readers (snapshot, events, stats) take `lock` briefly; copying is
 *     theirs, and writing files happens outside the lock on the copy.
 *   - fork(): pthread_atfork takes every live sampler's lock before the fork
 *     so no child inherits a lock held mid-round; in the child the sampler
 *     thread does not exist: the sampler is marked stopped (forked), and
 *     only a new sg_inproc_start (from the child) samples it.
 *
 * Ownership: sg_inproc_new returns an object the caller frees with
 * sg_inproc_free (which stops it first). Snapshots are new profiles the
 * caller owns. This file and inproc.c include no Python header.
 */
#ifndef SG_PY_INPROC_H
#define SG_PY_INPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "collect/sampler.h"
#include "profile/profile.h"

typedef struct sg_inproc_config {
    double rate_hz;
    enum sg_sample_mode mode;
    uint64_t window_ns;   /* 0: one profile for the whole recording */
    uint32_t history;     /* windows kept when window_ns > 0 (>= 1) */
    unsigned mem_flags;   /* 0: guarded memcpy; SG_MEM_SELF_KERNEL: kernel copies
                             (process_vm_readv, else /proc/self/mem); SG_MEM_SELF_FD:
                             /proc/self/mem */
    bool cpu_clock;       /* on-CPU state from each thread's CPU clock, not its switch
                             records (thread_cpu.h): the old way, for the bench */
    uint64_t main_interp; /* the main PyInterpreterState (sub-interpreters are not sampled) */
} sg_inproc_config;

typedef struct sg_inproc_stats {
    uint64_t rounds, samples, torn, failed, syscalls;
    uint64_t late, missed;
    uint64_t faults;         /* faults the guarded source caught (failed reads) */
    uint64_t sampler_cpu_ns; /* CPU time of the sampler thread */
    uint64_t work_median_ns; /* one round's own work: median, and mean */
    uint64_t work_mean_ns;
    uint64_t elapsed_ns; /* since start */
    uint32_t windows;    /* profiles held (history + current) */
    int running, paused, forked;
    const char *mem_method;
    /* How on-CPU state is read: "switch records" (no syscall per sample),
     * or "cpu clock (...why not records)"; "" before the first start. Valid
     * while the sampler lives and is not started again. */
    const char *cpu_state;
} sg_inproc_stats;

typedef struct sg_inproc sg_inproc;

/* NULL when out of memory. Text fields go into every snapshot's metadata. */
sg_inproc *sg_inproc_new(const sg_inproc_config *cfg, const char *command,
                         const char *python_version);
void sg_inproc_free(sg_inproc *ip);

/* Attaches to this process and starts the sampler thread; a previous
 * recording is discarded. Returns 0, or -1 with a sentence in err. */
int sg_inproc_start(sg_inproc *ip, char *err, size_t errlen);

/* Stops the thread and waits for it; the recording stays for snapshots. */
void sg_inproc_stop(sg_inproc *ip);

void sg_inproc_set_paused(sg_inproc *ip, bool paused);

/* Only these kernel tids are recorded (n == 0: every thread). */
int sg_inproc_set_threads(sg_inproc *ip, const pid_t *tids, size_t n);

/* A copy of what was recorded with time in [t0, t1) (ns since the start;
 * UINT64_MAX for t1 = no end), with metadata and source text. NULL when
 * nothing was ever started or memory ran out. */
sg_profile *sg_inproc_snapshot(sg_inproc *ip, uint64_t t0, uint64_t t1);

/* Adds a timed event (GC start/stop, a user marker) on thread `tid` (named
 * `thread_name`, the name the sampler gives it too) at the current time.
 * Ignored when not recording. */
void sg_inproc_add_event(sg_inproc *ip, uint8_t kind, pid_t tid, const char *thread_name,
                         const char *label);

/* ns since the recording's start (0 when none). */
uint64_t sg_inproc_now(const sg_inproc *ip);

void sg_inproc_get_stats(sg_inproc *ip, sg_inproc_stats *stats);

/* The first error that ended a recording ("" if none). */
const char *sg_inproc_error(const sg_inproc *ip);

/* In a forked child: whether this sampler was running in the parent. */
bool sg_inproc_was_forked_running(const sg_inproc *ip);

#endif
