/*
 * sampler_internal.h — the sampler's private state, shared by sampler.c
 * (the round) and sampler_threads.c (the thread list). Not for other
 * modules: they use sampler.h.
 */
#ifndef SG_COLLECT_SAMPLER_INTERNAL_H
#define SG_COLLECT_SAMPLER_INTERNAL_H

#include <string.h>

#include "collect/frame_copies.h"
#include "collect/pthread_tid.h"
#include "collect/sampler.h"
#include "collect/stack_walk.h"
#include "collect/thread_cpu.h"
#include "collect/thread_names.h"

#define SG_MAX_THREADS 4096
#define SG_MAX_CHUNKS  32
#define SG_MAX_HINTS   1024
#define SG_FO_TOP      6  /* 3.9/3.10: at most this many frames (and recent ones) in the top part */
#define SG_FO_RECENT   16 /* 3.9/3.10: recent top-frame addresses remembered */
#define SG_FO_NOTED    4  /* 3.9/3.10: newest frames of each walk noted as recent */

#define SG_PTR_LOCS 4 /* places a thread's frame pointer is remembered to live */

/* Indices into a batch's requests of one thread's speculative reads
 * (SG_SPEC_NONE when absent). `first`, `check` and `last` are reads of
 * the frame pointer, each a group of requests, one per place it may live
 * (sg_slot.ptr_locs): `first` the read the walk starts from (3.11/3.12
 * before the frame memory; 3.9/3.10 after the slow part), `check` the
 * re-read right after the top part, `last` the re-read after the slow part
 * (without one, after every thread's copies; 3.9/3.10: the same as
 * `check`). `top` is the top part of the chunk.
 * 3.9/3.10: `slow`..`slow_end` are the frame objects read before the top
 * part. */
#define SG_SPEC_NONE SIZE_MAX
typedef struct sg_spec_plan {
    size_t first, check, last, top;
    size_t slow, slow_end;
} sg_spec_plan;

/* Where batch one's reads of one thread landed (SG_COPY_MISSING: absent):
 * the pointer reads per place (as sg_slot.ptr_locs stood when planned). */
typedef struct sg_spec_reads {
    size_t first[SG_PTR_LOCS], check[SG_PTR_LOCS], last[SG_PTR_LOCS];
} sg_spec_reads;

static inline void sg_spec_reads_clear(sg_spec_reads *r)
{
    for (int j = 0; j < SG_PTR_LOCS; j++)
        r->first[j] = r->check[j] = r->last[j] = SG_COPY_MISSING;
}

/* One frame of a thread's last emitted stack and what it resolved to
 * (ref.code_id SG_MEMO_SKIPPED: an entry or shim frame, not emitted). */
#define SG_MEMO_SKIPPED UINT32_MAX
typedef struct sg_frame_memo {
    uint64_t code, globals, position;
    sg_frame_ref ref;
} sg_frame_memo;

/* One thread of the target, and what last round learned about it. */
typedef struct sg_slot {
    uint64_t tstate;
    uint64_t thread_id;
    pid_t tid;
    sg_thread_cpu cpu;
    int named;                 /* announced to the sink */
    uint64_t name_deadline_ns; /* until when to wait for a Python name */
    /* Learned in earlier rounds, to read this one speculatively. */
    /* Where its frame pointer lately lived, in address order, and the
     * round each was last found current (see "Where the pointer lives"). */
    uint64_t ptr_locs[SG_PTR_LOCS];
    uint64_t ptr_seen[SG_PTR_LOCS];
    uint32_t nptr_locs;
    uint64_t chunk;                       /* current datastack chunk */
    sg_chunk_range chunks[SG_MAX_CHUNKS]; /* [0] = current chunk, whole size */
    size_t nchunks;
    size_t chunk_used;  /* bytes of the current chunk last round needed */
    uint64_t top_split; /* where its fast top part began last round */
    uint64_t *hints;    /* frames that lay outside every chunk last round */
    uint32_t nhints;
    uint64_t frame_loc; /* where the frame pointer lives (re-read to catch tears) */
    int walked;         /* walked last round */
    /* 3.9/3.10 (frame objects; see sampler.c, "Frame objects"): addresses
     * recently seen at the top of the stack, which the top part copies too
     * (a call reuses the frame object a return just freed), and this
     * round's top part: its frames and where their copies landed. */
    uint64_t fo_recent[SG_FO_RECENT];
    uint32_t fo_nrecent, fo_recent_next;
    uint32_t fo_split;   /* this round's stack is read in two parts, split after that many hints */
    int fo_flat;         /* its last stack read in two parts did not agree: read in one */
    size_t fo_first_off; /* the frame pointer read right before the top part */
    size_t fo_slow_lo, fo_slow_hi; /* where the slow part's copies lie in the arena */
    /* Its last emitted stack, oldest frame first: frames that are the same
     * this round (the same code, globals and position, with the code cache
     * at the same generation) reuse their answers instead of a lookup. */
    sg_frame_memo *memo;
    uint32_t memo_depth, memo_cap;
    uint64_t memo_generation;
    /* This round. */
    size_t tstate_off;
    sg_spec_plan plan;       /* where the speculative reads sit in the batch */
    sg_spec_reads spec;      /* and where they landed */
    uint64_t top_lo, top_hi; /* the chunk's top part, copied first: [lo, hi) */
    /* The re-reads of its frame pointer its walk is checked against
     * (SG_COPY_MISSING: none): right after the top part, and after all its
     * other copies (a chunk copied in batch two has only the latter). */
    size_t top_check_off, recheck_off;
    int late; /* its frame pointer was first read after batch one */
    uint64_t frame;
    uint32_t flags;
    int walk;
    int torn; /* its walk this round was torn: read it again */
} sg_slot;

struct sg_sampler {
    sg_target *t;
    sg_sampler_config cfg;
    sg_sample_sink sink;
    sg_code_cache *codes;
    sg_thread_names *names;
    sg_slot *slots;
    size_t nslots;
    sg_copies copies;
    sg_copy_request *reqs;
    size_t *offs;
    size_t cap_reqs;
    sg_raw_frame *raw;
    sg_frame_ref *refs;
    sg_pthread_tid tid_finder;
    sg_sampler_stats stats;
    /* Keeps the kernel's switch records on for the whole recording, so a
     * thread's watch costs microseconds, not the ~10 ms of the first one
     * (thread_switches.h); fd -1 when unused. */
    sg_switch_watch anchor;
    unsigned thread_cpu_flags; /* sg_sampler_set_thread_cpu_flags */
};

static inline uint64_t sg_u64(const uint8_t *p, int32_t off)
{
    uint64_t v;
    memcpy(&v, p + off, sizeof v);
    return v;
}

/* Room for n requests in s->reqs / s->offs. */
int sg_sampler_reserve_reqs(sg_sampler *s, size_t n);

/* The thread list: checks this round's copy of it against the slots and
 * rebuilds the slots when threads came or went (sampler_threads.c). */
int sg_sampler_sync_threads(sg_sampler *s, uint64_t head, size_t first_tstate_req, uint64_t now_ns);
/* Announces threads whose Python name is now known (or whose wait is over). */
void sg_sampler_name_threads(sg_sampler *s, uint64_t now_ns);
void sg_sampler_release_slot(sg_slot *slot);

#endif
