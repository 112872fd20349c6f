/*
 * sampler.c — one sampling round over a target's threads; see sampler.h.
 *
 * A round, in the steady state:
 *   1. one batched read of the interpreter's thread-list head, the GIL state,
 *      every known thread state and (3.11/3.12) every thread's current-frame
 *      pointer inside its _PyCFrame;
 *   2. a check that the thread list is the one we knew (else a rescan);
 *   3. one batched read of the frame memory each thread will need (3.11+:
 *      its datastack chunks; 3.9/3.10: last round's frame addresses), with,
 *      at its end, a second read of each thread's frame pointer;
 *   4. walks in that copy, reading individually only what was missing;
 *   5. a stack whose frame pointer moved between the two reads of step 1 and
 *      3, or whose chain fails the walk's checks, is torn: counted, dropped.
 */
#include "collect/sampler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/frame_copies.h"
#include "collect/pthread_tid.h"
#include "collect/stack_walk.h"
#include "collect/thread_cpu.h"
#include "collect/thread_names.h"

#define SG_DEFAULT_MAX_DEPTH 16384
#define SG_MAX_THREADS       4096
#define SG_MAX_CHUNKS        32
#define SG_MAX_HINTS         1024

typedef struct sg_slot {
    uint64_t tstate;
    uint64_t thread_id;
    pid_t tid;
    sg_thread_cpu cpu;
    int named;                            /* announced to the sink */
    uint64_t name_deadline_ns;            /* until when to wait for a Python name */
    uint64_t cframe;                      /* 3.11/3.12, seen last round */
    uint64_t chunk;                       /* current datastack chunk, last round */
    sg_chunk_range chunks[SG_MAX_CHUNKS]; /* [0] = current chunk, whole size */
    size_t nchunks;
    uint64_t *hints; /* 3.9/3.10: last round's frame addresses */
    uint32_t nhints;
    /* This round. */
    size_t tstate_off;
    uint64_t frame, frame_loc;
    size_t recheck_req;
    uint32_t flags;
    int walk;
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
};

static uint64_t sg_u64(const uint8_t *p, int32_t off)
{
    uint64_t v;
    memcpy(&v, p + off, sizeof v);
    return v;
}

static void sg_sampler_announce_code(void *ctx, const sg_code_info *info)
{
    sg_sampler *s = ctx;
    if (s->sink.code)
        s->sink.code(s->sink.ctx, info);
}

sg_sampler *sg_sampler_new(sg_target *t, const sg_sampler_config *cfg, const sg_sample_sink *sink)
{
    sg_sampler *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->t = t;
    s->cfg = *cfg;
    if (s->cfg.max_depth == 0)
        s->cfg.max_depth = SG_DEFAULT_MAX_DEPTH;
    s->sink = *sink;
    s->tid_finder.offset = -1;
    s->codes = sg_code_cache_new(t, sg_sampler_announce_code, s);
    s->names = sg_thread_names_new(t);
    s->raw = malloc(s->cfg.max_depth * sizeof *s->raw);
    s->refs = malloc(s->cfg.max_depth * sizeof *s->refs);
    if (!s->codes || !s->raw || !s->refs || sg_copies_init(&s->copies, t->mem) != 0) {
        sg_sampler_free(s);
        return NULL;
    }
    return s;
}

static void sg_slot_release(sg_slot *slot)
{
    sg_thread_cpu_close(&slot->cpu);
    free(slot->hints);
}

void sg_sampler_free(sg_sampler *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nslots; i++)
        sg_slot_release(&s->slots[i]);
    free(s->slots);
    free(s->reqs);
    free(s->offs);
    free(s->raw);
    free(s->refs);
    sg_copies_free(&s->copies);
    sg_code_cache_free(s->codes);
    sg_thread_names_free(s->names);
    free(s);
}

static int sg_reserve_reqs(sg_sampler *s, size_t n)
{
    if (n <= s->cap_reqs)
        return 0;
    size_t cap = n * 2;
    sg_copy_request *reqs = realloc(s->reqs, cap * sizeof *reqs);
    if (!reqs)
        return -ENOMEM;
    s->reqs = reqs;
    size_t *offs = realloc(s->offs, cap * sizeof *offs);
    if (!offs)
        return -ENOMEM;
    s->offs = offs;
    s->cap_reqs = cap;
    return 0;
}

/* ---- thread list ---------------------------------------------------- */

static void sg_kernel_thread_name(pid_t pid, pid_t tid, char *name, size_t cap)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)pid, (int)tid);
    FILE *f = fopen(path, "r");
    name[0] = '\0';
    if (f) {
        if (fgets(name, (int)cap, f))
            name[strcspn(name, "\n")] = '\0';
        fclose(f);
    }
}

static void sg_slot_start(sg_sampler *s, sg_slot *slot, uint64_t tstate, const uint8_t *p,
                          uint64_t now_ns)
{
    const sg_layout *l = s->t->layout;
    memset(slot, 0, sizeof *slot);
    slot->tstate = tstate;
    slot->thread_id = sg_u64(p, l->tstate_thread_id);
    if (l->tstate_native_thread_id != SG_LAYOUT_ABSENT) {
        int64_t native;
        memcpy(&native, p + l->tstate_native_thread_id, sizeof native);
        slot->tid = (pid_t)native;
    } else {
        slot->tid = sg_pthread_tid_find(&s->tid_finder, s->t->mem, s->t->pid, slot->thread_id);
    }
    sg_thread_cpu_open(&slot->cpu, s->t->pid, slot->tid);
    slot->name_deadline_ns = now_ns + s->cfg.name_wait_ns;
}

/* Announces threads once threading has named them (or the wait is over:
 * then the main thread is "MainThread" and others go by the kernel's name).
 * Runs only while some thread is unnamed: new threads, a few rounds. */
static void sg_name_threads(sg_sampler *s, uint64_t now_ns)
{
    uint64_t ids[64];
    size_t idx[64], n = 0;
    for (size_t i = 0; i < s->nslots && n < 64; i++)
        if (!s->slots[i].named) {
            idx[n] = i;
            ids[n++] = s->slots[i].thread_id;
        }
    if (n == 0)
        return;
    char names[64][SG_THREAD_NAME_MAX];
    memset(names, 0, sizeof names);
    if (s->names)
        sg_thread_names_read(s->names, ids, n, names);
    for (size_t k = 0; k < n; k++) {
        sg_slot *slot = &s->slots[idx[k]];
        int is_main = slot->tid == s->t->pid;
        if (!names[k][0] && !is_main && now_ns < slot->name_deadline_ns)
            continue;
        if (!names[k][0] && is_main)
            snprintf(names[k], sizeof names[k], "MainThread");
        else if (!names[k][0])
            sg_kernel_thread_name(s->t->pid, slot->tid, names[k], sizeof names[k]);
        slot->named = 1;
        if (s->sink.thread) {
            sg_thread_info info = {s->t->pid, slot->tid, slot->thread_id, names[k]};
            s->sink.thread(s->sink.ctx, &info);
        }
    }
}

/* Reads the thread list afresh, one thread state at a time, keeping the
 * slots of threads we already knew. Runs only when threads come or go. */
static int sg_rescan_threads(sg_sampler *s, uint64_t head, uint64_t now_ns)
{
    const sg_layout *l = s->t->layout;
    uint64_t addrs[SG_MAX_THREADS];
    size_t n = 0;
    for (uint64_t ts = head; ts && n < SG_MAX_THREADS; n++) {
        int rc = 0;
        const uint8_t *p = sg_copies_get(&s->copies, ts, (size_t)l->tstate_size, &rc);
        if (!p)
            return rc == -EFAULT ? -EAGAIN : rc;
        if (sg_u64(p, l->tstate_interp) != s->t->interp)
            return -EAGAIN; /* torn: the list changed under us */
        addrs[n] = ts;
        ts = sg_u64(p, l->tstate_next);
    }
    sg_slot *slots = calloc(n ? n : 1, sizeof *slots);
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = sg_copies_find(&s->copies, addrs[i], (size_t)l->tstate_size);
        uint64_t thread_id = sg_u64(p, l->tstate_thread_id);
        sg_slot *old = NULL;
        for (size_t j = 0; j < s->nslots && !old; j++)
            if (s->slots[j].tstate == addrs[i] && s->slots[j].thread_id == thread_id)
                old = &s->slots[j];
        if (old) {
            slots[i] = *old;
            old->tstate = 0; /* moved */
        } else {
            sg_slot_start(s, &slots[i], addrs[i], p, now_ns);
        }
    }
    for (size_t j = 0; j < s->nslots; j++)
        if (s->slots[j].tstate)
            sg_slot_release(&s->slots[j]);
    free(s->slots);
    s->slots = slots;
    s->nslots = n;
    return 0;
}

/* ---- step 1: thread states and the GIL -------------------------------- */

static int sg_read_thread_states(sg_sampler *s, uint64_t *gil_holder, uint64_t now_ns)
{
    const sg_layout *l = s->t->layout;
    int32_t gil_lo = l->gil_last_holder < l->gil_locked ? l->gil_last_holder : l->gil_locked;
    int32_t gil_hi = (l->gil_last_holder > l->gil_locked ? l->gil_last_holder : l->gil_locked) + 8;
    size_t n = 2 + 2 * s->nslots;
    int rc = sg_reserve_reqs(s, n);
    if (rc)
        return rc;
    size_t k = 0;
    s->reqs[k++] = (sg_copy_request){s->t->interp + (uint64_t)l->interp_threads_head, 8};
    s->reqs[k++] = (sg_copy_request){s->t->gil + (uint64_t)gil_lo, (size_t)(gil_hi - gil_lo)};
    for (size_t i = 0; i < s->nslots; i++)
        s->reqs[k++] = (sg_copy_request){s->slots[i].tstate, (size_t)l->tstate_size};
    size_t first_cframe = k;
    for (size_t i = 0; l->frame_era == SG_ERA_CFRAME && i < s->nslots; i++)
        if (s->slots[i].cframe)
            s->reqs[k++] =
                (sg_copy_request){s->slots[i].cframe + (uint64_t)l->cframe_current_frame, 8};
    (void)first_cframe;
    if ((rc = sg_copies_fetch(&s->copies, s->reqs, k, s->offs)) != 0)
        return rc;
    if (s->offs[0] == SG_COPY_MISSING || s->offs[1] == SG_COPY_MISSING)
        return -EAGAIN;
    uint64_t head = sg_u64(sg_copies_at(&s->copies, s->offs[0]), 0);
    const uint8_t *gil = sg_copies_at(&s->copies, s->offs[1]) - gil_lo;
    int32_t locked;
    memcpy(&locked, gil + l->gil_locked, sizeof locked);
    *gil_holder = locked > 0 ? sg_u64(gil, l->gil_last_holder) : 0;

    /* Is the list the one we knew? Every state arrived and links on. */
    int same = s->nslots > 0 && head == s->slots[0].tstate;
    for (size_t i = 0; same && i < s->nslots; i++) {
        size_t off = s->offs[2 + i];
        if (off == SG_COPY_MISSING) {
            same = 0;
            break;
        }
        const uint8_t *p = sg_copies_at(&s->copies, off);
        uint64_t next = i + 1 < s->nslots ? s->slots[i + 1].tstate : 0;
        same = sg_u64(p, l->tstate_next) == next && sg_u64(p, l->tstate_interp) == s->t->interp &&
               sg_u64(p, l->tstate_thread_id) == s->slots[i].thread_id;
    }
    if (same) {
        for (size_t i = 0; i < s->nslots; i++)
            s->slots[i].tstate_off = s->offs[2 + i];
        return 0;
    }
    if ((rc = sg_rescan_threads(s, head, now_ns)) != 0)
        return rc;
    for (size_t i = 0; i < s->nslots; i++) {
        const uint8_t *p = sg_copies_find(&s->copies, s->slots[i].tstate, (size_t)l->tstate_size);
        s->slots[i].tstate_off = (size_t)(p - s->copies.arena);
    }
    return 0;
}

/* The thread's newest frame and where its pointer lives (for the re-read). */
static int sg_find_frame(sg_sampler *s, sg_slot *slot, const uint8_t *ts)
{
    const sg_layout *l = s->t->layout;
    if (l->frame_era != SG_ERA_CFRAME) {
        slot->frame_loc = slot->tstate + (uint64_t)l->tstate_frame;
        slot->frame = sg_u64(ts, l->tstate_frame);
        return 0;
    }
    uint64_t cframe = sg_u64(ts, l->tstate_cframe);
    slot->frame_loc = cframe + (uint64_t)l->cframe_current_frame;
    slot->frame = 0;
    if (!cframe)
        return 0;
    const uint8_t *p =
        cframe == slot->cframe ? sg_copies_find(&s->copies, slot->frame_loc, 8) : NULL;
    int rc = 0;
    if (!p)
        p = sg_copies_get(&s->copies, slot->frame_loc, 8, &rc);
    slot->cframe = cframe;
    if (!p)
        return rc;
    slot->frame = sg_u64(p, 0);
    return 0;
}

/* ---- step 3: frame memory ---------------------------------------------- */

/* Learns the chain of datastack chunks when the current one changed. */
static int sg_learn_chunks(sg_sampler *s, sg_slot *slot, uint64_t chunk)
{
    const sg_layout *l = s->t->layout;
    slot->chunk = chunk;
    slot->nchunks = 0;
    for (uint64_t c = chunk; c && slot->nchunks < SG_MAX_CHUNKS;) {
        int rc = 0;
        const uint8_t *p = sg_copies_get(&s->copies, c, (size_t)l->chunk_data, &rc);
        if (!p)
            return rc;
        uint64_t size = sg_u64(p, l->chunk_size), previous = sg_u64(p, l->chunk_previous);
        uint64_t used = sg_u64(p, l->chunk_top); /* in pointers; kept while a newer chunk is on */
        if (size < (uint64_t)l->chunk_data || size > SG_MEM_MAX_READ)
            return -EFAULT;
        uint64_t end = c + size;
        if (slot->nchunks > 0 && used * 8 + (uint64_t)l->chunk_data <= size)
            end = c + (uint64_t)l->chunk_data + used * 8;
        slot->chunks[slot->nchunks++] = (sg_chunk_range){c, end};
        c = previous;
    }
    return 0;
}

static int sg_plan_frame_reads(sg_sampler *s, sg_slot *slot, const uint8_t *ts, size_t *k)
{
    const sg_layout *l = s->t->layout;
    if (l->frame_era == SG_ERA_FRAME_OBJECT) {
        int rc = sg_reserve_reqs(s, *k + slot->nhints + 1);
        if (rc)
            return rc;
        for (uint32_t i = 0; i < slot->nhints; i++)
            s->reqs[(*k)++] = (sg_copy_request){slot->hints[i], (size_t)l->frameobj_size};
        return 0;
    }
    uint64_t chunk = sg_u64(ts, l->tstate_datastack_chunk);
    if (chunk != slot->chunk) {
        int rc = sg_learn_chunks(s, slot, chunk);
        if (rc)
            return rc;
    }
    int rc = sg_reserve_reqs(s, *k + slot->nchunks + 1);
    if (rc || slot->nchunks == 0)
        return rc;
    const sg_chunk_range *cur = &slot->chunks[0];
    uint64_t top = sg_u64(ts, l->tstate_datastack_top);
    uint64_t end = top > cur->start && top <= cur->end ? top : cur->start + (uint64_t)l->chunk_data;
    uint64_t frame_end = slot->frame + (uint64_t)l->iframe_localsplus;
    if (slot->frame >= cur->start && frame_end <= cur->end && frame_end > end)
        end = frame_end; /* the newest frame may sit past the stale top */
    s->reqs[(*k)++] = (sg_copy_request){cur->start, (size_t)(end - cur->start)};
    for (size_t i = 1; i < slot->nchunks; i++)
        s->reqs[(*k)++] = (sg_copy_request){slot->chunks[i].start,
                                            (size_t)(slot->chunks[i].end - slot->chunks[i].start)};
    return 0;
}

static void sg_keep_hints(sg_slot *slot, const sg_raw_frame *raw, uint32_t depth)
{
    uint32_t n = depth < SG_MAX_HINTS ? depth : SG_MAX_HINTS;
    if (!slot->hints && !(slot->hints = malloc(SG_MAX_HINTS * sizeof *slot->hints)))
        return;
    for (uint32_t i = 0; i < n; i++)
        slot->hints[i] = raw[i].addr;
    slot->nhints = n;
}

/* ---- steps 4 and 5: walk, check, resolve, emit ------------------------- */

static int sg_emit_thread(sg_sampler *s, sg_slot *slot, uint64_t now_ns)
{
    const sg_layout *l = s->t->layout;
    uint64_t reads_before = s->t->mem->syscalls;
    uint32_t depth = 0;
    int rc = sg_stack_walk(l, &s->copies, slot->frame, slot->chunks, slot->nchunks, s->raw,
                           s->cfg.max_depth, &depth);
    if (rc < 0)
        return rc;
    if (rc != SG_WALK_OK) {
        if (rc == SG_WALK_TORN)
            s->stats.torn++;
        else
            s->stats.failed++;
        slot->nhints = 0;
        return 0;
    }
    /* The frame pointer, read again after the frame memory, must not have
     * moved; if the walk had to read more, read it once more after that. */
    size_t off = s->offs[slot->recheck_req];
    uint64_t again = off == SG_COPY_MISSING ? ~0ull : sg_u64(sg_copies_at(&s->copies, off), 0);
    if (again == slot->frame && s->t->mem->syscalls != reads_before)
        if (sg_mem_read(s->t->mem, slot->frame_loc, &again, sizeof again) != 0)
            again = ~0ull;
    if (again != slot->frame) {
        s->stats.torn++;
        return 0;
    }
    if (l->frame_era == SG_ERA_FRAME_OBJECT)
        sg_keep_hints(slot, s->raw, depth);
    uint32_t n = 0;
    for (uint32_t i = 0; i < depth; i++) {
        if (s->t->syms.none && s->raw[i].code == s->t->syms.none)
            continue; /* 3.13 shim frames run None */
        if (sg_code_cache_resolve(s->codes, s->raw[i].code, s->raw[i].globals, s->raw[i].position,
                                  &s->refs[n].code_id, &s->refs[n].line) != 0) {
            s->stats.torn++;
            return 0;
        }
        n++;
    }
    if (n == 0)
        return 0;
    sg_sample sample = {now_ns, s->t->pid, slot->tid, slot->flags, n, s->refs};
    s->stats.samples++;
    return s->sink.sample ? s->sink.sample(s->sink.ctx, &sample) : 0;
}

int sg_sampler_round(sg_sampler *s, uint64_t now_ns)
{
    const sg_layout *l = s->t->layout;
    uint64_t reads_before = s->t->mem->syscalls;
    uint64_t gil_holder = 0;
    sg_copies_reset(&s->copies);
    s->stats.rounds++;
    int rc = sg_read_thread_states(s, &gil_holder, now_ns);
    if (rc == -EAGAIN) {
        s->stats.failed++;
        goto done;
    }
    if (rc < 0)
        return rc;
    sg_name_threads(s, now_ns);

    size_t k = 0;
    for (size_t i = 0; i < s->nslots; i++) {
        sg_slot *slot = &s->slots[i];
        const uint8_t *ts = sg_copies_at(&s->copies, slot->tstate_off);
        int on_cpu = sg_thread_cpu_sample(&slot->cpu);
        slot->flags = on_cpu > 0 ? SG_THREAD_ON_CPU : 0;
        if (gil_holder == slot->tstate)
            slot->flags |= SG_THREAD_HOLDS_GIL;
        slot->walk = slot->named && !(s->cfg.mode == SG_SAMPLER_CPU && on_cpu <= 0) &&
                     !(s->cfg.gil_only && !(slot->flags & SG_THREAD_HOLDS_GIL));
        if (!slot->walk)
            continue;
        if ((rc = sg_find_frame(s, slot, ts)) < 0 && rc != -EFAULT)
            return rc;
        ts = sg_copies_at(&s->copies, slot->tstate_off); /* the arena may have moved */
        slot->walk = rc == 0 && slot->frame != 0;
        if (slot->walk && (rc = sg_plan_frame_reads(s, slot, ts, &k)) < 0 && rc != -EFAULT)
            return rc;
        slot->walk = slot->walk && rc == 0;
    }
    if ((rc = sg_reserve_reqs(s, k + s->nslots)) != 0)
        return rc;
    for (size_t i = 0; i < s->nslots; i++) {
        if (!s->slots[i].walk)
            continue;
        s->slots[i].recheck_req = k;
        s->reqs[k++] = (sg_copy_request){s->slots[i].frame_loc, 8};
    }
    if (k && (rc = sg_copies_fetch(&s->copies, s->reqs, k, s->offs)) != 0)
        return rc;
    for (size_t i = 0; i < s->nslots; i++)
        if (s->slots[i].walk && (rc = sg_emit_thread(s, &s->slots[i], now_ns)) != 0)
            return rc;
done:
    s->stats.syscalls += s->t->mem->syscalls - reads_before;
    (void)l;
    return 0;
}

void sg_sampler_new_epoch(sg_sampler *s)
{
    sg_code_cache_new_epoch(s->codes);
}

void sg_sampler_get_stats(const sg_sampler *s, sg_sampler_stats *stats)
{
    *stats = s->stats;
}

const sg_code_info *sg_sampler_code_info(const sg_sampler *s, uint32_t code_id)
{
    return sg_code_cache_info(s->codes, code_id);
}
