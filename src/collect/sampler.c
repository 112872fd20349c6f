/*
 * sampler.c — one sampling round over a target's threads; see sampler.h.
 *
 * Syscalls are the cost of sampling (one process_vm_readv is a microsecond
 * or two whatever it copies), so a round reads speculatively: what last
 * round needed is probably what this one needs. In the steady state a round
 * is ONE batched read of
 *   - the thread-list head and the GIL state,
 *   - every thread state (and, 3.11/3.12, its _PyCFrame's frame pointer),
 *   - each thread's frame memory as last round used it: the datastack
 *     chunks (3.11+), plus frames that lay outside them (3.9/3.10 heap
 *     frames, generators, 3.12+ entry frames on the C stack),
 *   - and, last, each thread's frame pointer once more.
 * A thread whose frames are not all in that copy gets a second batch (and
 * the walk reads what is still missing one by one). A stack whose frame
 * pointer moved between its first and last read, or whose chain fails the
 * walk's checks, is torn: counted and dropped, never emitted.
 */
#include "collect/sampler.h"

#include <errno.h>
#include <stdlib.h>

#include "collect/sampler_internal.h"

#define SG_DEFAULT_MAX_DEPTH 16384
#define SG_SPEC_SLACK        2048 /* bytes read past last round's chunk use */

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

void sg_sampler_free(sg_sampler *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nslots; i++)
        sg_sampler_release_slot(&s->slots[i]);
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

int sg_sampler_reserve_reqs(sg_sampler *s, size_t n)
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

static size_t sg_frame_bytes(const sg_layout *l)
{
    return (size_t)(l->frame_era == SG_ERA_FRAME_OBJECT ? l->frameobj_size : l->iframe_localsplus);
}

/* ---- the speculative batch --------------------------------------------- */

/* Requests for a thread's frame memory as last round used it. */
static size_t sg_plan_speculation(const sg_sampler *s, const sg_slot *slot, sg_copy_request *r)
{
    const sg_layout *l = s->t->layout;
    size_t k = 0;
    if (slot->nchunks && slot->chunk_used) {
        const sg_chunk_range *cur = &slot->chunks[0];
        uint64_t want = slot->chunk_used + SG_SPEC_SLACK;
        uint64_t len = cur->end - cur->start < want ? cur->end - cur->start : want;
        r[k++] = (sg_copy_request){cur->start, (size_t)len};
        for (size_t i = 1; i < slot->nchunks; i++)
            r[k++] = (sg_copy_request){slot->chunks[i].start,
                                       (size_t)(slot->chunks[i].end - slot->chunks[i].start)};
    }
    for (uint32_t i = 0; i < slot->nhints; i++)
        r[k++] = (sg_copy_request){slot->hints[i], sg_frame_bytes(l)};
    return k;
}

/* Batch one: head, GIL, thread states, speculation, re-reads. Returns 0 or
 * a negative errno (-EAGAIN: the list was torn this round). */
static int sg_read_round(sg_sampler *s, uint64_t *gil_holder, uint64_t now_ns)
{
    const sg_layout *l = s->t->layout;
    int32_t gil_lo = l->gil_last_holder < l->gil_locked ? l->gil_last_holder : l->gil_locked;
    int32_t gil_hi = (l->gil_last_holder > l->gil_locked ? l->gil_last_holder : l->gil_locked) + 8;
    size_t n = 2 + 3 * s->nslots;
    for (size_t i = 0; i < s->nslots; i++)
        n += s->slots[i].nchunks + s->slots[i].nhints;
    int rc = sg_sampler_reserve_reqs(s, n);
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
    for (size_t i = 0; i < s->nslots; i++)
        if (s->slots[i].walked)
            k += sg_plan_speculation(s, &s->slots[i], s->reqs + k);
    size_t first_recheck = k;
    for (size_t i = 0; i < s->nslots; i++)
        if (s->slots[i].walked && s->slots[i].frame_loc)
            s->reqs[k++] = (sg_copy_request){s->slots[i].frame_loc, 8};
    if ((rc = sg_copies_fetch(&s->copies, s->reqs, k, s->offs)) != 0)
        return rc;
    if (s->offs[0] == SG_COPY_MISSING || s->offs[1] == SG_COPY_MISSING)
        return -EAGAIN;

    size_t r = first_recheck, c = first_cframe;
    for (size_t i = 0; i < s->nslots; i++) {
        sg_slot *slot = &s->slots[i];
        slot->cframe_off = SG_COPY_MISSING;
        if (l->frame_era == SG_ERA_CFRAME && slot->cframe)
            slot->cframe_off = s->offs[c++];
        slot->spec_recheck_off = SG_COPY_MISSING;
        slot->spec_recheck_loc = 0;
        if (slot->walked && slot->frame_loc) {
            slot->spec_recheck_loc = slot->frame_loc;
            slot->spec_recheck_off = s->offs[r++];
        }
    }
    uint64_t head = sg_u64(sg_copies_at(&s->copies, s->offs[0]), 0);
    const uint8_t *gil = sg_copies_at(&s->copies, s->offs[1]) - gil_lo;
    int32_t locked;
    memcpy(&locked, gil + l->gil_locked, sizeof locked);
    *gil_holder = locked > 0 ? sg_u64(gil, l->gil_last_holder) : 0;
    return sg_sampler_sync_threads(s, head, 2, now_ns);
}

/* ---- per thread: where its frames are ---------------------------------- */

/* The thread's newest frame and where its pointer lives. */
static int sg_find_frame(sg_sampler *s, sg_slot *slot, const uint8_t *ts)
{
    const sg_layout *l = s->t->layout;
    if (l->frame_era != SG_ERA_CFRAME) {
        slot->frame_loc = slot->tstate + (uint64_t)l->tstate_frame;
        slot->frame = sg_u64(ts, l->tstate_frame);
        return 0;
    }
    uint64_t cframe = sg_u64(ts, l->tstate_cframe);
    slot->frame_loc = cframe ? cframe + (uint64_t)l->cframe_current_frame : 0;
    slot->frame = 0;
    if (!cframe)
        return 0;
    /* Batch one read last round's _PyCFrame before the frame memory; a new
     * one is read now (and the re-read then comes in batch two). */
    int rc = 0;
    const uint8_t *p = NULL;
    if (cframe == slot->cframe && slot->cframe_off != SG_COPY_MISSING)
        p = sg_copies_at(&s->copies, slot->cframe_off);
    else
        p = sg_copies_get(&s->copies, slot->frame_loc, 8, &rc);
    slot->cframe = cframe;
    if (!p)
        return rc;
    slot->frame = sg_u64(p, 0);
    return 0;
}

/* Learns the chain of datastack chunks when the current one changed. */
static int sg_learn_chunks(sg_sampler *s, sg_slot *slot, uint64_t chunk)
{
    const sg_layout *l = s->t->layout;
    slot->chunk = chunk;
    slot->nchunks = 0;
    slot->chunk_used = 0;
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

/* Adds to batch two whatever of the thread's chunks batch one missed. */
static int sg_plan_chunks(sg_sampler *s, sg_slot *slot, const uint8_t *ts, size_t *k)
{
    const sg_layout *l = s->t->layout;
    uint64_t chunk = sg_u64(ts, l->tstate_datastack_chunk);
    if (chunk != slot->chunk) {
        int rc = sg_learn_chunks(s, slot, chunk);
        if (rc)
            return rc;
    }
    if (slot->nchunks == 0)
        return 0;
    int rc = sg_sampler_reserve_reqs(s, *k + slot->nchunks);
    if (rc)
        return rc;
    const sg_chunk_range *cur = &slot->chunks[0];
    uint64_t top = sg_u64(ts, l->tstate_datastack_top);
    uint64_t end = top > cur->start && top <= cur->end ? top : cur->start + (uint64_t)l->chunk_data;
    uint64_t frame_end = slot->frame + (uint64_t)l->iframe_localsplus;
    if (slot->frame >= cur->start && frame_end <= cur->end && frame_end > end)
        end = frame_end; /* the newest frame may sit past the stale top */
    slot->chunk_used = (size_t)(end - cur->start);
    if (!sg_copies_find(&s->copies, cur->start, slot->chunk_used))
        s->reqs[(*k)++] = (sg_copy_request){cur->start, slot->chunk_used};
    for (size_t i = 1; i < slot->nchunks; i++) {
        size_t len = (size_t)(slot->chunks[i].end - slot->chunks[i].start);
        if (!sg_copies_find(&s->copies, slot->chunks[i].start, len))
            s->reqs[(*k)++] = (sg_copy_request){slot->chunks[i].start, len};
    }
    return 0;
}

/* Decides whether the thread is walked this round and plans what it needs. */
static int sg_plan_thread(sg_sampler *s, sg_slot *slot, uint64_t gil_holder, uint64_t now_ns,
                          size_t *k)
{
    const sg_layout *l = s->t->layout;
    int on_cpu = sg_thread_cpu_sample(&slot->cpu, now_ns);
    slot->flags = on_cpu > 0 ? SG_THREAD_ON_CPU : 0;
    if (gil_holder == slot->tstate)
        slot->flags |= SG_THREAD_HOLDS_GIL;
    slot->walk = slot->named && !(s->cfg.mode == SG_SAMPLER_CPU && on_cpu <= 0) &&
                 !(s->cfg.gil_only && !(slot->flags & SG_THREAD_HOLDS_GIL));
    slot->recheck_off = SG_COPY_MISSING;
    if (!slot->walk)
        return 0;
    int rc = sg_find_frame(s, slot, sg_copies_at(&s->copies, slot->tstate_off));
    size_t before = *k;
    if (rc == 0 && slot->frame && l->frame_era != SG_ERA_FRAME_OBJECT)
        rc = sg_plan_chunks(s, slot, sg_copies_at(&s->copies, slot->tstate_off), k);
    if (rc < 0 && rc != -EFAULT)
        return rc;
    slot->walk = rc == 0 && slot->frame != 0;
    /* Batch one's re-read stands only if nothing had to be read after it. */
    if (slot->walk && *k == before && slot->spec_recheck_loc == slot->frame_loc)
        slot->recheck_off = slot->spec_recheck_off;
    return 0;
}

/* ---- walk, check, resolve, emit ----------------------------------------- */

static int sg_in_chunks(const sg_slot *slot, uint64_t addr)
{
    for (size_t i = 0; i < slot->nchunks; i++)
        if (addr >= slot->chunks[i].start && addr < slot->chunks[i].end)
            return 1;
    return 0;
}

/* Remembers the frames outside every chunk, to copy them up front next time. */
static void sg_keep_hints(sg_slot *slot, const sg_raw_frame *raw, uint32_t depth)
{
    slot->nhints = 0;
    if (!slot->hints && !(slot->hints = malloc(SG_MAX_HINTS * sizeof *slot->hints)))
        return;
    for (uint32_t i = 0; i < depth && slot->nhints < SG_MAX_HINTS; i++)
        if (!sg_in_chunks(slot, raw[i].addr))
            slot->hints[slot->nhints++] = raw[i].addr;
}

static int sg_emit_thread(sg_sampler *s, sg_slot *slot, uint64_t now_ns)
{
    uint64_t reads_before = s->t->mem->syscalls;
    uint32_t depth = 0;
    int rc = sg_stack_walk(s->t->layout, &s->copies, slot->frame, slot->chunks, slot->nchunks,
                           s->raw, s->cfg.max_depth, &depth);
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
    size_t off = slot->recheck_off;
    uint64_t again = off == SG_COPY_MISSING ? ~0ull : sg_u64(sg_copies_at(&s->copies, off), 0);
    if (again == slot->frame && s->t->mem->syscalls != reads_before)
        if (sg_mem_read(s->t->mem, slot->frame_loc, &again, sizeof again) != 0)
            again = ~0ull;
    if (again != slot->frame) {
        s->stats.torn++;
        return 0;
    }
    sg_keep_hints(slot, s->raw, depth);
    uint32_t n = 0;
    for (uint32_t i = 0; i < depth; i++) {
        if (s->raw[i].code == 0 || (s->t->syms.none && s->raw[i].code == s->t->syms.none))
            continue; /* entry frames, and 3.13 shim frames that run None */
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
    uint64_t reads_before = s->t->mem->syscalls;
    uint64_t gil_holder = 0;
    sg_copies_reset(&s->copies);
    s->stats.rounds++;
    int rc = sg_read_round(s, &gil_holder, now_ns);
    if (rc == -EAGAIN) {
        s->stats.failed++;
        goto done;
    }
    if (rc < 0)
        return rc;
    sg_sampler_name_threads(s, now_ns);

    size_t k = 0;
    for (size_t i = 0; i < s->nslots; i++)
        if ((rc = sg_plan_thread(s, &s->slots[i], gil_holder, now_ns, &k)) != 0)
            return rc;
    if ((rc = sg_sampler_reserve_reqs(s, k + s->nslots)) != 0)
        return rc;
    /* Batch two: missed chunks, then the re-reads of threads that need one. */
    size_t first_recheck = k;
    for (size_t i = 0; i < s->nslots; i++)
        if (s->slots[i].walk && s->slots[i].recheck_off == SG_COPY_MISSING)
            s->reqs[k++] = (sg_copy_request){s->slots[i].frame_loc, 8};
    if (k && (rc = sg_copies_fetch(&s->copies, s->reqs, k, s->offs)) != 0)
        return rc;
    for (size_t i = 0, r = first_recheck; i < s->nslots; i++)
        if (s->slots[i].walk && s->slots[i].recheck_off == SG_COPY_MISSING)
            s->slots[i].recheck_off = s->offs[r++];
    for (size_t i = 0; i < s->nslots; i++) {
        sg_slot *slot = &s->slots[i];
        slot->walked = slot->walk;
        if (slot->walk && (rc = sg_emit_thread(s, slot, now_ns)) != 0)
            return rc;
    }
done:
    s->stats.syscalls += s->t->mem->syscalls - reads_before;
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
