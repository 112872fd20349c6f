/*
 * sampler.c — one sampling round over a target's threads; see sampler.h.
 *
 * Syscalls are the cost of sampling (one process_vm_readv is a microsecond
 * or two whatever it copies), so a round reads speculatively: what last
 * round needed is probably what this one needs. In the steady state a round
 * is ONE batched read of
 *   - the thread-list head and the GIL state,
 *   - every thread state,
 *   - per thread (3.11/3.12) its frame pointer where it lately lived, then
 *     its frame memory as last round used it: the datastack chunks (3.11+),
 *     plus frames that lay outside them (3.9/3.10 heap frames, generators,
 *     3.12+ entry frames on the C stack), and re-reads of its frame pointer.
 * A thread whose frames are not all in that copy gets a second batch (and
 * the walk reads what is still missing one by one).
 *
 * Tears. Reading a stack takes microseconds; code that calls functions
 * changes its newest frames far faster. Only the top of a stack moves
 * quickly, so the top part of each chunk (SG_TOP_BYTES) is copied right
 * after the thread state and followed at once by a re-read of the frame
 * pointer; the rest of the chunk follows, then a last re-read. A stack is
 * whole when its pointer did not move across the short copy of the top and
 * still lies in that top part at the end (frames below it did not change),
 * or when the pointer did not move across the whole read. A stack that fails
 * both, or whose chain fails the walk's checks, is torn: it is read again
 * (up to SG_TORN_RETRIES times) and, if still torn, counted and dropped,
 * never emitted. A shallow stack (under SG_SLOW_MIN bytes below its top
 * part) has no slow part: it is copied whole, then re-read once.
 * The blind spot: a stack that returned and called again to the same
 * address between the two reads passes, and its copy may join one call's
 * caller to the next call's callee. C calling back into Python from one
 * depth, microseconds apart, did that on every 3.11+ (1-4% of the stacks
 * of tests/targets/callbacks.py on 3.11); the two sections below closed
 * the ways it got through, and what is left is calls at one depth whose
 * callers' frames are the same size, between two reads a microsecond or
 * two apart.
 *
 * Where the pointer lives (3.11/3.12). The frame pointer is the
 * current_frame of the thread's current _PyCFrame, a local of the eval
 * loop on the C stack: C that calls back into Python (sorted() calling
 * key(), map() a lambda, sum() resuming a generator) makes a new one for
 * each callback, at one of a few C-stack addresses. A read made after the
 * frame memory, because batch one read the pointer elsewhere, brackets
 * nothing, and a re-read made elsewhere than the first read compares two
 * different pointers. So each thread remembers the last SG_PTR_LOCS places
 * its pointer lived, and every read of the pointer reads them all (they
 * are a few hundred bytes apart and share a range); a place not among
 * them is read late, and its chunk is copied again in batch two, after
 * it, with a re-read after that. Before, a quarter of the rounds of
 * callbacks.py on 3.11 read the pointer after the copy, and half the
 * stacks it joined came from those.
 *
 * Where a callee sits (3.11+). A chunk is a stack: a frame is pushed at the
 * chunk's top, which while its caller runs is the caller's frame plus the
 * caller's size (co_nlocalsplus + co_stacksize + the frame header), also
 * when C code or a generator (whose frames live in the heap) stand
 * between them. So every frame of a chain in a chunk must sit exactly
 * that far above the next older frame of the chain in the same chunk.
 * A joined copy breaks this unless the two callers are the same size:
 * `cb`'s frame with `key`'s frame left above it where `inner`'s size put
 * it. Checked once the frames' code is known (sg_callees_sit_right).
 * Measured on callbacks.py, 3.11: with the places above but not this,
 * 1.4-2.3% of the stacks were still joined, all `cb -> key`; with it none
 * in 8 runs. Elsewhere (callbacks.py on 3.12/3.13, bench/deep's target)
 * it failed once, at startup, on a chain torn in the import machinery.
 *
 * Why so many retries. Call-heavy code (recursion, a generator resumed per
 * item) moves its frame pointer every few tens of nanoseconds, while the
 * shortest window we can bracket with two reads of it (a range of the
 * chunk between them) lasts half a microsecond or more: whether the
 * pointer reads the same at both ends is then close to chance (measured on
 * fib(): a third of the tries), while loop-heavy code almost never tears.
 * Dropped stacks are therefore not random, they under-count call-heavy
 * code (bench/accuracy's phase_d shows it). Each retry is an
 * independent try of the same check, not a weaker one, so what is emitted
 * is exactly as sound as before; taken at once, a retry lands a few
 * microseconds after the planned instant (a small drift, not a loss), and
 * twelve of them leave well under one stack in a hundred dropped on such
 * code (~0.2% on bench/inprocess_workload.py). Their cost is paid only by
 * torn threads, and is bounded (SG_TORN_RETRIES reads of one thread).
 * The drift is the residual bias: the retry that succeeds is likelier to
 * land in code that calls less, and the slower a read the larger it is.
 * Measured (test_record.py's call_heavy, 3.13, 2-vCPU guest): its calls
 * last ~27 us, the first read's tear is known 8-19 us after the planned
 * instant, and a retry lands 6-28 us after that, so about half of the
 * call-heavy stacks are emitted from after the calls returned. Six tries
 * in one batch (pointer, top part, pointer, top part, ...) were tried: the
 * batch of 19 ranges alone took ~14 us, and the drift did not clearly
 * shrink. Not kept.
 *
 * Frame objects (3.9/3.10). There are no chunks: each frame is a heap
 * object of its own, and a deep stack is hundreds of them, copied in tens
 * of ranges over a hundred microseconds or more. No frame pointer holds
 * still that long at the top of a busy stack (bench/deep: 13% of its
 * 500-frame stacks came out whole when the pointer had to hold across the
 * whole read). So a deep stack is read in two parts, the other way round
 * from the chunks: first the slow part (last round's frames below its
 * newest few), then a read of the frame pointer, the top part (those
 * newest frames, and addresses recently seen at the top: a call reuses
 * the frame object a return just freed), and a re-read of the pointer.
 * The walk starts from that first read; the stack is whole when the
 * pointer held across the top part and the stack's lower frames are last
 * round's, frame for frame, with every frame above them copied since the
 * first read (sg_fo_parts_agree). The lower frames were copied earlier,
 * but they are the same frames, still there beneath the top part when it
 * was read: what may not be caught is a stack that returned through them
 * and called back to the same frame objects in the meantime, the same
 * blind spot a chunk's top part has. A retry re-reads only the top part
 * and keeps the slow part's copies, so it costs about what a shallow
 * stack's read costs, and more of them are taken (SG_TORN_RETRIES_TOP):
 * scattered frame objects make a top part of several ranges, a window
 * that a busy top holds still through about one time in three. A stack
 * whose frames above the lower part were not all copied since that first
 * read (its lower part changed) is read in one part, the pointer holding
 * across all of it, until a read is whole again and the hints are fresh.
 *
 * Moved along the chain (3.9/3.10). Recursion calls every ~60 ns, so the
 * pointer rarely reads the same at both ends of even a one-range top part
 * (measured on fib(14): 1 try in 9), and retries that each take 15-30 us
 * succeed mostly after the recursion returned: fib was ~2% of the samples
 * for ~50% of the time. But a frame object, while it lives, keeps its
 * f_back (and its caller alive), and the walk takes only frames whose copy
 * is referenced and executing. So the read also stands when the pointer
 * moved only along the chain this read copied: the re-read (P2) is one of
 * its frames (the stack only returned: the chain from P2 is emitted) or
 * P2's callers, followed through copies made since the first read, lead
 * to the first read's frame (it only called: the chain as read is
 * emitted). What may not be caught is the blind spot the equal pointer has
 * too: a stack that returned below a frame and called back to the same
 * frame objects in between. To have a busy top's frames in that one read,
 * every walk, torn or not, notes its newest frames (sg_note_recent_tops),
 * and a stack read in one part is read again as its torn walk found it.
 *
 * Where the parts meet (3.9/3.10). The lower frames' copies are older than
 * the first read of the pointer, and a frame object is reused as soon as
 * it is freed: a stack that returned through the lower part and called
 * again between the slow part's copy and the first read has its new frames
 * where the old ones were, and the new top's callers lead into old copies
 * that still agree with last round's frames. Caught once on CI (3.10, 1 of
 * ~500 samples): `b` called from the startup's `exec_module`, its import
 * long done: the import had returned and `main`, `a`, `b` had taken its
 * frame objects while the sampler was descheduled inside one batch. So
 * the top part copies the newest lower frame again (its page, with whole
 * pages), and sg_fo_parts_agree requires that copy to say what the walk
 * read: while that frame lives and runs, its callers below it do too.
 *
 * Whole pages (3.9/3.10). The top part is copied as the whole pages its
 * frames lie on, in address order. Frame objects of one size come from the
 * allocator's page-sized pools, so a busy top's frames share a page or
 * two, and a frame a call allocated since last round (a new generator, a
 * recursion one deeper) usually lies on one of them: copying whole pages
 * costs no more ranges than copying the frames (a range costs its page
 * pins, not its bytes) and brings the re-read pointer's frame and its
 * callers along, which is what "Moved along the chain" needs. Before, the
 * top part's requests went in hint order with the recent tops after them,
 * ~10-16 ranges on bench/accuracy's phase_d; torn stacks dropped there
 * (7-29% of them, from run to run with where the heap put the frames) were
 * the whole of the 3.9 call-heavy error. Not with guarded memcpy (the
 * in-process sampler): there bytes are the cost, and a top part of whole
 * pages is a longer window (measured on 3.9 at 1 kHz: 7.5 pp of error
 * against 0.2-1.3).
 *
 * Copied after the re-read (3.9/3.10). A call made after its frame's page
 * was copied, and before the re-read, leaves the re-read pointer (P2) at a
 * frame whose copy shows it free, so its callers cannot be followed to the
 * first read's frame (P1) and the read tears, though the stack only
 * called. Such a read copies the top part's pages, and P2's, once more and
 * follows P2's callers through those copies: if they reach P1, P1 was live
 * when they were made as it was at the first read, and a live frame keeps
 * its callers, so the chain as read stands, as in "Moved along the chain"
 * and with its blind spot. The extra read is paid only by a read that
 * would otherwise tear. The copies are forgotten at once: every walk takes
 * the first copy it finds of a frame, and one made after its re-read is
 * not evidence of the stack the re-read saw. Measured (record at 1 kHz,
 * the tests' self-timed targets, fib against a loop): 3.9 saw fib in
 * 30-35% of the samples for 49.5% of the time, and now 45-49%; 3.10 gains
 * little (its frames lie on more pages, and a freed frame's caller is
 * cleared, so a stale copy ends the chain).
 *
 * Top part (3.11+). Its copy is the window the pointer must hold still
 * through, so it is small: the frames within SG_TOP_BYTES of last round's
 * top plus SG_SPEC_SLACK above it for calls made since (bench/deep's top,
 * up to seven frames, churns within ~1 KiB). Measured on bench/deep's
 * target (3 s at 1 kHz, load ~2.5): with 4 KiB + 2 KiB, 50-70% of first
 * reads on 3.13 saw the pointer move across the top part; with 1 KiB + 1
 * KiB about 25-60% (the range is the load). Smaller still (512) lets the
 * pointer leave the part between rounds, and the read is torn the other
 * way. A stack under SG_TOP_BYTES + SG_SLOW_MIN (~6 KiB, ~60 frames) stays
 * one part, as before: a split costs a range and a re-read. A stack read
 * in two parts gets SG_TORN_RETRIES_TOP full retries: its tears cost more
 * but are paid by that thread only.
 *
 * Why a chunk's retry re-reads its slow part too. Keeping the slow part's
 * copies and re-reading only the pointer and top part (as frame objects
 * do) was tried: each retry then came a few microseconds after the torn
 * read, inside the same burst of calls, and failed 80-85% of the time
 * against 60-70% for a full re-read, whose slow part spaces the tries;
 * more torn stacks were dropped (30-50 against 0-1 of 3000), for a cost
 * per round a quarter lower. The drop matters more.
 *
 * Why chunks have no "Moved along the chain". Tried on 3.11-3.13: a read
 * stood when the re-read pointer was one of the chain's frames (cut to
 * it), or when its callers, through this read's copies, reached the first
 * read's frame. A chunk hands a frame's address to whatever is called
 * next at the same depth (after `recursion()` returns, `loops()` takes its
 * address), and stale frames above the top still point down into the
 * stack. So the rule counted a thread that had left a recursion as still
 * in it, and one that had entered it as not yet there: on test_record.py's
 * recursion target fib came out at 7-41% of the samples for 35-38% of the
 * time on 3.12 and 17-19% for 34% on 3.13; without the rule 32-36% for
 * 37-38%, and 29-31% for 36%.
 * Frame objects escape this: each code object keeps its own spare frame,
 * so an address mostly stays with its code. Not kept.
 *
 * Cost, measured (thread CPU, 2-vCPU KVM guest): process_vm_readv costs
 * ~1.5 us plus ~0.3 us per range (each range is a page-table walk and a
 * page pin), so a round keeps its ranges few: a shallow stack is one range
 * and one re-read, neighbouring requests share a range (frame_copies.c),
 * and a newest frame outside the chunks comes in batch two rather than
 * alone with a re-read of its own.
 */
#include "collect/sampler.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "collect/sampler_internal.h"

#define SG_DEFAULT_MAX_DEPTH 16384
#define SG_SPEC_SLACK        1024 /* bytes read past last round's chunk use: see "Top part" */
#define SG_TOP_BYTES         1024 /* the fast-changing top of a chunk, copied first */
#define SG_SLOW_MIN          5120 /* a slow part smaller than this goes with the top part */
#define SG_TORN_RETRIES      12   /* see "Why so many retries" */
#define SG_TORN_RETRIES_TOP  24   /* a stack read in two parts: see "Frame objects", "Top part" */
#define SG_EMIT_TORN         1    /* sg_emit_thread: the stack was torn, nothing emitted */
#define SG_FO_CALLS_FOLLOWED 64   /* sg_fo_moved_along: callers followed from the re-read */
#define SG_PTR_STALE_ROUNDS  64   /* see sg_ptr_remember */

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
    s->anchor.fd = -1;
    if (t->pid != getpid())
        sg_switch_watch_open(&s->anchor, t->pid); /* before the loop: see sampler_internal.h */
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
    sg_switch_watch_close(&s->anchor);
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

/* The top part of a thread's current chunk as last round used it: the part
 * whose frames change fastest. Returns 0 when there is none. */
static int sg_spec_top(const sg_slot *slot, uint64_t *lo, uint64_t *hi)
{
    if (!slot->nchunks || !slot->chunk_used)
        return 0;
    const sg_chunk_range *cur = &slot->chunks[0];
    uint64_t end = cur->start + slot->chunk_used + SG_SPEC_SLACK;
    *hi = end < cur->end ? end : cur->end;
    /* Split where a frame began last round, so no frame straddles the two
     * copies; else the whole used chunk is the top part. */
    *lo = slot->top_split > cur->start && slot->top_split < *hi ? slot->top_split : cur->start;
    return 1;
}

/* The rest of a thread's frame memory as last round used it: the current
 * chunk below its top part and older chunks (the slow part, which only
 * deep stacks have), then frames outside every chunk. */
static size_t sg_plan_spec_slow(const sg_slot *slot, sg_copy_request *r)
{
    size_t k = 0;
    uint64_t lo, hi;
    if (sg_spec_top(slot, &lo, &hi)) {
        if (lo > slot->chunks[0].start)
            r[k++] = (sg_copy_request){slot->chunks[0].start, (size_t)(lo - slot->chunks[0].start)};
        for (size_t i = 1; i < slot->nchunks; i++)
            r[k++] = (sg_copy_request){slot->chunks[i].start,
                                       (size_t)(slot->chunks[i].end - slot->chunks[i].start)};
    }
    return k;
}

static size_t sg_plan_spec_hints(const sg_sampler *s, const sg_slot *slot, sg_copy_request *r)
{
    for (uint32_t i = 0; i < slot->nhints; i++)
        r[i] = (sg_copy_request){slot->hints[i], sg_frame_bytes(s->t->layout)};
    return slot->nhints;
}

/* Appends one thread's speculative reads at reqs[*k] (room for
 * SG_SPEC_MAX_FIXED + nchunks + nhints requests) and records where they sit in slot->plan.
 *
 * Order is what tear detection rests on. 3.11+: the frame pointer (3.11/3.12
 * wherever it lately lived; 3.13 has it in the thread state, read just
 * before), the frames outside chunks when there is no slow part, the top
 * part, a re-read of the pointer; with a slow part, then the slow part and
 * the frames outside chunks, and a last re-read. Without one (the usual
 * case) the last re-read goes where the caller puts it (sg_plan_spec_last),
 * after every other thread's copies in batch one: everything of a one-part
 * stack lies between the first read of the pointer and its re-read, so
 * "the pointer did not move" covers it all, and the last re-read is a
 * second chance. The small frames outside chunks (3.12+ entry frames on
 * the C stack) usually sit next to the _PyCFrame and share its range. */
/* A thread's speculative reads besides its chunks and hints: three reads
 * of the frame pointer, and the top part. */
#define SG_SPEC_MAX_FIXED (3 * SG_PTR_LOCS + 1)
#define SG_SPEC_LATER     (SIZE_MAX - 1) /* plan.last: see sg_plan_spec_last */

/* Appends a read of every place the thread's frame pointer may live (in
 * address order, so that neighbours share a range); returns the index of
 * the first. */
static size_t sg_plan_ptr_reads(sg_sampler *s, const sg_slot *slot, size_t *k)
{
    size_t first = *k;
    for (uint32_t j = 0; j < slot->nptr_locs; j++)
        s->reqs[(*k)++] = (sg_copy_request){slot->ptr_locs[j], 8};
    return first;
}

static int sg_among(const uint64_t *a, size_t n, uint64_t addr)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] == addr)
            return 1;
    return 0;
}

/* Recursion allocates frames at rising addresses, so that a walk meets
 * them at falling ones: read in reverse, neighbours then share a range. */
static int sg_mostly_falling(const uint64_t *a, uint32_t n)
{
    uint32_t falls = 0;
    for (uint32_t i = 1; i < n; i++)
        falls += a[i] < a[i - 1];
    return falls * 2 > n;
}

/* Pushes requests for frames h[0..n), in the order that lets neighbours
 * share a range (see sg_mostly_falling). For the slow part, which may be
 * hundreds of frames: the top part, a few, is sorted (sg_plan_fo_top). */
static void sg_push_frames(sg_copy_request *r, size_t *k, const uint64_t *h, uint32_t n, size_t len)
{
    int falling = sg_mostly_falling(h, n);
    for (uint32_t i = 0; i < n; i++)
        r[(*k)++] = (sg_copy_request){falling ? h[n - 1 - i] : h[i], len};
}

/* 3.9/3.10: the top part's requests into r: the newest `ntop` hints and the
 * recent tops, plus `also` when not 0, in address order so that neighbours
 * share a range; with kernel copies, each of its pages whole (see "Whole
 * pages" in the file comment). Returns how many. r has room for
 * ntop + fo_nrecent + 1. */
static size_t sg_plan_fo_top(const sg_sampler *s, const sg_slot *slot, uint32_t ntop, uint64_t also,
                             sg_copy_request *r)
{
    size_t len = sg_frame_bytes(s->t->layout), n = 0;
    for (uint32_t i = 0; i < ntop; i++)
        r[n++] = (sg_copy_request){slot->hints[i], len};
    for (uint32_t i = 0; i < slot->fo_nrecent; i++)
        if (!sg_among(slot->hints, ntop, slot->fo_recent[i]))
            r[n++] = (sg_copy_request){slot->fo_recent[i], len};
    if (also)
        r[n++] = (sg_copy_request){also, len};
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && r[j - 1].addr > r[j].addr; j--) {
            sg_copy_request t = r[j];
            r[j] = r[j - 1];
            r[j - 1] = t;
        }
    return s->t->mem->whole_pages ? sg_copies_whole_pages(r, n) : n;
}

/* 3.9/3.10: a thread's frame objects as last round found them (its hints,
 * newest first), in the order "Frame objects" (above) explains. Without
 * `with_slow` the slow part is left out: a retry keeps the one it has. */
static void sg_plan_spec_frame_objects(sg_sampler *s, sg_slot *slot, int with_slow, size_t *k)
{
    sg_copy_request *r = s->reqs;
    sg_spec_plan *p = &slot->plan;
    size_t len = sg_frame_bytes(s->t->layout);
    /* The top part: the newest frames as long as they are ones recently
     * seen at the top (those that come and go), at least one; a shallow
     * stack, or one whose slow part did not hold last time, is all top. */
    int split = slot->nhints > SG_FO_TOP && !slot->fo_flat;
    uint32_t ntop = split ? 0 : slot->nhints;
    while (split && ntop < SG_FO_TOP &&
           sg_among(slot->fo_recent, slot->fo_nrecent, slot->hints[ntop]))
        ntop++;
    if (split && ntop == 0)
        ntop = 1;
    slot->fo_split = split ? ntop : 0;
    if (split && with_slow) {
        p->slow = *k;
        sg_push_frames(r, k, slot->hints + ntop, slot->nhints - ntop, len);
        p->slow_end = *k;
    }
    p->first = sg_plan_ptr_reads(s, slot, k);
    /* The top part is the window the pointer must hold still through (or
     * move only along). */
    p->top = *k;
    *k += sg_plan_fo_top(s, slot, ntop, split ? slot->hints[ntop] : 0, r + *k);
    p->check = p->last = sg_plan_ptr_reads(s, slot, k);
}

static void sg_plan_spec_thread(sg_sampler *s, sg_slot *slot, int with_slow, size_t *k)
{
    const sg_layout *l = s->t->layout;
    sg_copy_request *r = s->reqs;
    sg_spec_plan *p = &slot->plan;
    p->first = p->check = p->last = p->top = SG_SPEC_NONE;
    p->slow = p->slow_end = SG_SPEC_NONE;
    slot->top_lo = slot->top_hi = 0;
    slot->fo_split = 0; /* until sg_plan_spec_frame_objects says otherwise */
    /* 3.11/3.12: the pointer the walk starts from, read before the frame
     * memory, wherever it may live (see "Where the pointer lives"). */
    if (l->frame_era == SG_ERA_CFRAME)
        p->first = sg_plan_ptr_reads(s, slot, k);
    if (!slot->walked || !slot->nptr_locs)
        return;
    if (l->frame_era == SG_ERA_FRAME_OBJECT) {
        sg_plan_spec_frame_objects(s, slot, with_slow, k);
        return;
    }
    sg_copy_request slow[SG_MAX_CHUNKS + 1];
    size_t nslow = sg_plan_spec_slow(slot, slow);
    if (nslow == 0)
        *k += sg_plan_spec_hints(s, slot, r + *k);
    if (sg_spec_top(slot, &slot->top_lo, &slot->top_hi)) {
        p->top = *k;
        r[(*k)++] = (sg_copy_request){slot->top_lo, (size_t)(slot->top_hi - slot->top_lo)};
        p->check = sg_plan_ptr_reads(s, slot, k);
    }
    if (nslow == 0) {
        /* The last re-read is the caller's to place: batch one puts it
         * after every thread's copies, a second look a little later. */
        if (p->check != SG_SPEC_NONE)
            p->last = SG_SPEC_LATER;
        return;
    }
    for (size_t i = 0; i < nslow; i++)
        r[(*k)++] = slow[i];
    *k += sg_plan_spec_hints(s, slot, r + *k);
    p->last = sg_plan_ptr_reads(s, slot, k);
}

/* Places a last re-read that sg_plan_spec_thread left to its caller. */
static void sg_plan_spec_last(sg_sampler *s, sg_slot *slot, size_t *k)
{
    if (slot->plan.last == SG_SPEC_LATER)
        slot->plan.last = sg_plan_ptr_reads(s, slot, k);
}

/* Where request `first + j` of a group landed, or SG_COPY_MISSING. */
static size_t sg_group_off(const sg_sampler *s, size_t first, uint32_t j)
{
    return first == SG_SPEC_NONE ? SG_COPY_MISSING : s->offs[first + j];
}

/* After the batch: where this round's speculative copies landed. */
static void sg_settle_spec_thread(sg_sampler *s, sg_slot *slot)
{
    const sg_spec_plan *p = &slot->plan;
    sg_spec_reads *r = &slot->spec;
    sg_spec_reads_clear(r);
    for (uint32_t j = 0; j < slot->nptr_locs; j++) {
        r->first[j] = sg_group_off(s, p->first, j);
        r->check[j] = sg_group_off(s, p->check, j);
        r->last[j] = sg_group_off(s, p->last, j);
    }
    if (p->top != SG_SPEC_NONE && s->offs[p->top] == SG_COPY_MISSING)
        slot->top_lo = slot->top_hi = 0;
    if (p->slow != SG_SPEC_NONE) {
        size_t lo = SIZE_MAX, hi = 0, len = sg_frame_bytes(s->t->layout);
        for (size_t q = p->slow; q < p->slow_end; q++)
            if (s->offs[q] != SG_COPY_MISSING) {
                lo = s->offs[q] < lo ? s->offs[q] : lo;
                hi = s->offs[q] + len > hi ? s->offs[q] + len : hi;
            }
        slot->fo_slow_lo = lo;
        slot->fo_slow_hi = hi;
    }
}

/* Batch one: head, GIL, thread states, then each thread's speculation.
 * Returns 0 or a negative errno (-EAGAIN: the list was torn this round). */
static int sg_read_round(sg_sampler *s, uint64_t *gil_holder, uint64_t now_ns)
{
    const sg_layout *l = s->t->layout;
    int32_t gil_lo = l->gil_last_holder < l->gil_locked ? l->gil_last_holder : l->gil_locked;
    int32_t gil_hi = (l->gil_last_holder > l->gil_locked ? l->gil_last_holder : l->gil_locked) + 8;
    size_t n = 2 + (1 + SG_SPEC_MAX_FIXED) * s->nslots; /* + its thread state */
    for (size_t i = 0; i < s->nslots; i++)
        n += s->slots[i].nchunks + s->slots[i].nhints + s->slots[i].fo_nrecent;
    int rc = sg_sampler_reserve_reqs(s, n);
    if (rc)
        return rc;
    size_t k = 0;
    s->reqs[k++] = (sg_copy_request){s->t->interp + (uint64_t)l->interp_threads_head, 8};
    s->reqs[k++] = (sg_copy_request){s->t->gil + (uint64_t)gil_lo, (size_t)(gil_hi - gil_lo)};
    for (size_t i = 0; i < s->nslots; i++)
        s->reqs[k++] = (sg_copy_request){s->slots[i].tstate, (size_t)l->tstate_size};
    for (size_t i = 0; i < s->nslots; i++)
        sg_plan_spec_thread(s, &s->slots[i], 1, &k);
    for (size_t i = 0; i < s->nslots; i++)
        sg_plan_spec_last(s, &s->slots[i], &k);
    if ((rc = sg_copies_fetch(&s->copies, s->reqs, k, s->offs)) != 0)
        return rc;
    if (s->offs[0] == SG_COPY_MISSING || s->offs[1] == SG_COPY_MISSING)
        return -EAGAIN;
    for (size_t i = 0; i < s->nslots; i++)
        sg_settle_spec_thread(s, &s->slots[i]);
    uint64_t head = sg_u64(sg_copies_at(&s->copies, s->offs[0]), 0);
    const uint8_t *gil = sg_copies_at(&s->copies, s->offs[1]) - gil_lo;
    int32_t locked;
    memcpy(&locked, gil + l->gil_locked, sizeof locked);
    *gil_holder = locked > 0 ? sg_u64(gil, l->gil_last_holder) : 0;
    return sg_sampler_sync_threads(s, head, 2, now_ns);
}

/* ---- per thread: where its frames are ---------------------------------- */

/* Which of the thread's chunks holds `addr`, or -1. */
static int sg_chunk_index(const sg_slot *slot, uint64_t addr)
{
    for (size_t i = 0; i < slot->nchunks; i++)
        if (addr >= slot->chunks[i].start && addr < slot->chunks[i].end)
            return (int)i;
    return -1;
}

static int sg_in_chunks(const sg_slot *slot, uint64_t addr)
{
    return sg_chunk_index(slot, addr) >= 0;
}

/* Where among the thread's remembered pointer places `loc` is, or -1. */
static int sg_ptr_index(const sg_slot *slot, uint64_t loc)
{
    for (uint32_t j = 0; j < slot->nptr_locs; j++)
        if (slot->ptr_locs[j] == loc)
            return (int)j;
    return -1;
}

/* Remembers that the pointer lives at `loc` now: a new place takes the
 * one found current longest ago, and places not current for
 * SG_PTR_STALE_ROUNDS are forgotten (each costs every read of the pointer
 * a range: the C stack of a long-finished import is far from where the
 * program runs now). The places stay in address order. */
static void sg_ptr_remember(sg_slot *slot, uint64_t loc, uint64_t round)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < slot->nptr_locs; i++)
        if (slot->ptr_locs[i] == loc || round - slot->ptr_seen[i] <= SG_PTR_STALE_ROUNDS) {
            slot->ptr_locs[kept] = slot->ptr_locs[i];
            slot->ptr_seen[kept++] = slot->ptr_seen[i];
        }
    slot->nptr_locs = kept;
    int j = sg_ptr_index(slot, loc);
    if (j < 0) {
        uint32_t n = slot->nptr_locs;
        if (n == SG_PTR_LOCS) {
            uint32_t old = 0;
            for (uint32_t i = 1; i < n; i++)
                old = slot->ptr_seen[i] < slot->ptr_seen[old] ? i : old;
            memmove(slot->ptr_locs + old, slot->ptr_locs + old + 1,
                    (n - 1 - old) * sizeof *slot->ptr_locs);
            memmove(slot->ptr_seen + old, slot->ptr_seen + old + 1,
                    (n - 1 - old) * sizeof *slot->ptr_seen);
            n--;
        }
        j = (int)n;
        while (j > 0 && slot->ptr_locs[j - 1] > loc) {
            slot->ptr_locs[j] = slot->ptr_locs[j - 1];
            slot->ptr_seen[j] = slot->ptr_seen[j - 1];
            j--;
        }
        slot->ptr_locs[j] = loc;
        slot->nptr_locs = n + 1;
    }
    slot->ptr_seen[j] = round;
}

/* The thread's newest frame, where its pointer lives, and which of batch
 * one's re-reads read it there (top_check_off, recheck_off). */
static int sg_find_frame(sg_sampler *s, sg_slot *slot, const uint8_t *ts)
{
    const sg_layout *l = s->t->layout;
    uint64_t loc = slot->tstate + (uint64_t)l->tstate_frame;
    if (l->frame_era == SG_ERA_CFRAME) {
        uint64_t cframe = sg_u64(ts, l->tstate_cframe);
        loc = cframe ? cframe + (uint64_t)l->cframe_current_frame : 0;
    }
    slot->frame_loc = loc;
    slot->frame = 0;
    slot->late = 0;
    slot->fo_first_off = SG_COPY_MISSING;
    if (!loc)
        return 0;
    int j = sg_ptr_index(slot, loc);
    size_t first = j < 0 ? SG_COPY_MISSING : slot->spec.first[j];
    slot->top_check_off = j < 0 ? SG_COPY_MISSING : slot->spec.check[j];
    slot->recheck_off = j < 0 ? SG_COPY_MISSING : slot->spec.last[j];
    sg_ptr_remember(slot, loc, s->stats.rounds);
    if (l->frame_era != SG_ERA_CFRAME) {
        slot->fo_first_off = first;
        slot->frame = sg_u64(first != SG_COPY_MISSING ? sg_copies_at(&s->copies, first) : ts,
                             first != SG_COPY_MISSING ? 0 : l->tstate_frame);
        return 0;
    }
    if (first != SG_COPY_MISSING) {
        slot->frame = sg_u64(sg_copies_at(&s->copies, first), 0);
        return 0;
    }
    /* A place batch one did not read: read now, after the frame memory
     * batch one copied, which then cannot be checked against it, nor
     * against batch one's re-reads (sg_plan_chunks copies it again). */
    slot->late = 1;
    slot->top_check_off = slot->recheck_off = SG_COPY_MISSING;
    int rc = 0;
    const uint8_t *p = sg_copies_get(&s->copies, loc, 8, &rc);
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

/* Adds to batch two whatever of the thread's chunks batch one missed, and
 * the current one again when its pointer was read late (it must be copied
 * after that read to be checked against it). */
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
    if (slot->late || !sg_copies_covers(&s->copies, cur->start, slot->chunk_used)) {
        s->reqs[(*k)++] = (sg_copy_request){cur->start, slot->chunk_used};
        /* The copy in batch two is whole, and batch two's re-read checks it. */
        slot->top_lo = slot->top_hi = 0;
        slot->top_check_off = SG_COPY_MISSING;
    }
    for (size_t i = 1; i < slot->nchunks; i++) {
        size_t len = (size_t)(slot->chunks[i].end - slot->chunks[i].start);
        if (!sg_copies_covers(&s->copies, slot->chunks[i].start, len))
            s->reqs[(*k)++] = (sg_copy_request){slot->chunks[i].start, len};
    }
    return 0;
}

/* Whether the thread is walked this round: its CPU and GIL state against
 * the mode, and whether it is named yet. */
static void sg_decide_walk(sg_sampler *s, sg_slot *slot, uint64_t gil_holder, uint64_t now_ns)
{
    int on_cpu = sg_thread_cpu_sample(&slot->cpu, now_ns);
    slot->flags = on_cpu > 0 ? SG_THREAD_ON_CPU : 0;
    if (gil_holder == slot->tstate)
        slot->flags |= SG_THREAD_HOLDS_GIL;
    slot->walk = slot->named && !(s->cfg.mode == SG_SAMPLER_CPU && on_cpu <= 0) &&
                 !(s->cfg.gil_only && !(slot->flags & SG_THREAD_HOLDS_GIL));
}

/* Finds the thread's newest frame and adds to batch two what its walk needs
 * that batch one did not bring. */
static int sg_plan_frames(sg_sampler *s, sg_slot *slot, size_t *k)
{
    const sg_layout *l = s->t->layout;
    int chunks = l->frame_era != SG_ERA_FRAME_OBJECT;
    int rc = sg_find_frame(s, slot, sg_copies_at(&s->copies, slot->tstate_off));
    size_t before = *k;
    if (rc == 0 && slot->frame && chunks)
        rc = sg_plan_chunks(s, slot, sg_copies_at(&s->copies, slot->tstate_off), k);
    if (rc < 0 && rc != -EFAULT)
        return rc;
    slot->walk = rc == 0 && slot->frame != 0;
    /* A newest frame outside every chunk and not copied yet (a generator's
     * frame, a 3.9/3.10 frame object just made) comes in batch two, before
     * its re-read, rather than alone during the walk with a re-read of its
     * own after it: one read instead of two. */
    if (slot->walk && !sg_in_chunks(slot, slot->frame) &&
        !sg_copies_find(&s->copies, slot->frame, sg_frame_bytes(l))) {
        if ((rc = sg_sampler_reserve_reqs(s, *k + 1)) != 0)
            return rc;
        s->reqs[(*k)++] = (sg_copy_request){slot->frame, sg_frame_bytes(l)};
    }
    /* Batch one's last re-reads stand only if nothing had to be read after
     * them; else batch two reads one (sg_read_missing). */
    if (!slot->walk || *k != before) {
        slot->recheck_off = SG_COPY_MISSING;
        if (!chunks)
            slot->top_check_off = SG_COPY_MISSING;
    }
    return 0;
}

/* Batch two: the chunks batch one missed (reqs[0..k)), then a re-read for
 * each walked thread whose batch-one re-reads do not stand. */
static int sg_read_missing(sg_sampler *s, sg_slot *slots, size_t n, size_t k)
{
    int rc = sg_sampler_reserve_reqs(s, k + n);
    if (rc)
        return rc;
    size_t first_recheck = k;
    for (size_t i = 0; i < n; i++)
        if (slots[i].walk && slots[i].recheck_off == SG_COPY_MISSING)
            s->reqs[k++] = (sg_copy_request){slots[i].frame_loc, 8};
    if (k && (rc = sg_copies_fetch(&s->copies, s->reqs, k, s->offs)) != 0)
        return rc;
    for (size_t i = 0, r = first_recheck; i < n; i++)
        if (slots[i].walk && slots[i].recheck_off == SG_COPY_MISSING)
            slots[i].recheck_off = s->offs[r++];
    return 0;
}

/* ---- walk, check, resolve, emit ----------------------------------------- */

/* Remembers what next round will read up front: the frames outside every
 * chunk, and the lowest frame of the current chunk within SG_TOP_BYTES of
 * its top (where the chunk is split into its fast and slow parts). */
static void sg_keep_hints(sg_slot *slot, const sg_raw_frame *raw, uint32_t depth)
{
    slot->nhints = 0;
    slot->top_split = 0;
    if (!slot->hints && !(slot->hints = malloc(SG_MAX_HINTS * sizeof *slot->hints)))
        return;
    /* The top part is [split_lo, used_end) of the current chunk; the split
     * is the lowest frame in it. Bounds are worked out once, not per frame:
     * this runs for every frame of every sample. */
    uint64_t cur_lo = 0, cur_hi = 0, used_end = 0, split_lo = 0, split = UINT64_MAX;
    if (slot->nchunks) {
        cur_lo = slot->chunks[0].start;
        cur_hi = slot->chunks[0].end;
        used_end = cur_lo + slot->chunk_used;
        split_lo = used_end - cur_lo > SG_TOP_BYTES ? used_end - SG_TOP_BYTES : cur_lo;
    }
    uint32_t nhints = 0;
    for (uint32_t i = 0; i < depth; i++) {
        uint64_t a = raw[i].addr;
        /* Most frames lie in the current chunk: ask about it first. */
        if (!(a >= cur_lo && a < cur_hi) && !sg_in_chunks(slot, a)) {
            if (nhints < SG_MAX_HINTS)
                slot->hints[nhints++] = a;
        } else if (a >= split_lo && a < used_end && a < split) {
            split = a;
        }
    }
    slot->nhints = nhints;
    slot->top_split = split == UINT64_MAX ? 0 : split;
    /* A shallow stack is one part: the few frames below the split (the
     * module's, a thread's bootstrap) cost less read with the top than as
     * a range and a re-read of their own. */
    if (slot->top_split && slot->top_split - slot->chunks[0].start < SG_SLOW_MIN)
        slot->top_split = 0;
}

/* 3.9/3.10, a stack read in two parts (see "Frame objects"): its lower
 * frames must be last round's lower frames, frame for frame, and every
 * frame above them as a copy made since the first read of the frame
 * pointer has it (the walk may have found it in an older copy that happened
 * to cover it). A stack whose frames above have no such copy is read in one
 * part until one is whole again (slot->fo_flat). */
static int sg_fo_parts_agree(sg_sampler *s, sg_slot *slot, uint32_t depth)
{
    const sg_layout *l = s->t->layout;
    uint32_t i = depth, h = slot->nhints;
    while (i > 0 && h > slot->fo_split && s->raw[i - 1].addr == slot->hints[h - 1]) {
        i--;
        h--;
    }
    /* The newest lower frame too: the top part copies it again (see
     * "Where the parts meet"), and that copy must say what the slow part's
     * did. */
    uint32_t upto = i < depth ? i + 1 : i;
    for (uint32_t j = 0; j < upto; j++) {
        const sg_raw_frame *f = &s->raw[j];
        const uint8_t *p =
            sg_copies_find_since(&s->copies, slot->fo_first_off, f->addr, sg_frame_bytes(l));
        if (!p) {
            /* Not copied since: the stack changed below the plan's top part
             * (its newest lower frame is not the one the top part copied
             * again). Read it in one part until the hints are fresh. */
            slot->fo_flat = 1;
            return 0;
        }
        int32_t lasti;
        memcpy(&lasti, p + l->frameobj_lasti, sizeof lasti);
        uint64_t back = j + 1 < depth ? s->raw[j + 1].addr : 0;
        if (sg_u64(p, l->frameobj_code) != f->code ||
            sg_u64(p, l->frameobj_globals) != f->globals ||
            (uint64_t)(int64_t)lasti != f->position || sg_u64(p, l->frameobj_back) != back)
            return 0;
    }
    return 1;
}

/* 3.9/3.10: remembers the newest frames' addresses, which the next rounds'
 * top parts copy too: a call-heavy top reuses a few frame objects (each
 * code's spare frame, the free list) whatever its depth at the moment.
 * Torn walks are noted too: their frames are where a busy top was a moment
 * ago, and a retry that copies them all in one read needs no read of its
 * own per frame (addresses are only a guess at what to copy; the checks
 * decide what is whole). Neighbouring frame objects share a range. */
static void sg_note_recent_tops(sg_slot *slot, const sg_raw_frame *raw, uint32_t depth)
{
    for (uint32_t i = 0; i < depth && i < SG_FO_NOTED; i++) {
        if (sg_among(slot->fo_recent, slot->fo_nrecent, raw[i].addr))
            continue;
        slot->fo_recent[slot->fo_recent_next] = raw[i].addr;
        slot->fo_recent_next = (slot->fo_recent_next + 1) % SG_FO_RECENT;
        if (slot->fo_nrecent < SG_FO_RECENT)
            slot->fo_nrecent++;
    }
}

/* Follows f's callers through copies made since arena offset `since`, for
 * at most SG_FO_CALLS_FOLLOWED frames: whether they reach `to`. */
static int sg_fo_calls_reach(sg_sampler *s, size_t since, uint64_t f, uint64_t to)
{
    const sg_layout *l = s->t->layout;
    for (uint32_t n = 0; f && f != to && n < SG_FO_CALLS_FOLLOWED; n++) {
        const uint8_t *p = sg_copies_find_since(&s->copies, since, f, sg_frame_bytes(l));
        f = p ? sg_u64(p, l->frameobj_back) : 0;
    }
    return f && f == to;
}

/* 3.9/3.10: the frame pointer moved across the top part, but only along
 * the chain this read copied (see "Moved along the chain" in the file
 * comment). The pointer re-read right after the top part (P2) is one of the
 * chain's frames: the stack only returned, and the chain from P2 is the
 * stack at the re-read (s->raw is cut to it). Or P2's callers, followed
 * through copies made since the first read, reach the first read's frame:
 * the stack only called, and the chain as read is the stack at the first
 * read. A frame the call made after its page was copied shows there as
 * free, so when P2's callers do not lead there, the top part's pages and
 * P2's are copied once more and followed again (see "Copied after the
 * re-read"); those copies are forgotten after, so that no walk takes them
 * for copies made before its re-read. Returns the depth to emit, or 0 when
 * neither holds, or a negative errno when the source failed. */
static long sg_fo_moved_along(sg_sampler *s, sg_slot *slot, uint32_t depth)
{
    if (slot->recheck_off == SG_COPY_MISSING || slot->fo_first_off == SG_COPY_MISSING)
        return 0;
    uint64_t p2 = sg_u64(sg_copies_at(&s->copies, slot->recheck_off), 0);
    if (!p2)
        return 0;
    for (uint32_t i = 1; i < depth; i++)
        if (s->raw[i].addr == p2) {
            memmove(s->raw, s->raw + i, (depth - i) * sizeof *s->raw);
            return depth - i;
        }
    if (sg_fo_calls_reach(s, slot->fo_first_off, p2, slot->frame))
        return depth;
    /* The plan's top part: fo_split frames, or every hint when not split. */
    uint32_t ntop = slot->fo_split ? slot->fo_split : slot->nhints;
    int rc = sg_sampler_reserve_reqs(s, (size_t)ntop + slot->fo_nrecent + 1);
    if (rc)
        return rc;
    size_t n = sg_plan_fo_top(s, slot, ntop, p2, s->reqs);
    sg_copies_mark mark = sg_copies_here(&s->copies);
    if ((rc = sg_copies_fetch(&s->copies, s->reqs, n, NULL)) != 0)
        return rc;
    int reach = sg_fo_calls_reach(s, mark.used, p2, slot->frame);
    sg_copies_forget_after(&s->copies, mark);
    return reach ? depth : 0;
}

/* Did the stack hold still while it was read? See the file comment. With
 * `read_more`, the walk read frames after the re-reads: then a fresh
 * re-read, after everything, must say so too. */
static int sg_stack_is_whole(sg_sampler *s, const sg_slot *slot, int read_more)
{
    uint64_t last = ~0ull, top = ~0ull;
    if (slot->recheck_off != SG_COPY_MISSING)
        last = sg_u64(sg_copies_at(&s->copies, slot->recheck_off), 0);
    if (slot->top_check_off != SG_COPY_MISSING)
        top = sg_u64(sg_copies_at(&s->copies, slot->top_check_off), 0);
    int chunks = s->t->layout->frame_era != SG_ERA_FRAME_OBJECT;
    /* The pointer held across the whole read; or across the top part, and
     * at the end the stack still stood inside that part: what lies below
     * it did not move. */
    uint64_t top_end = slot->top_hi - (uint64_t)s->t->layout->iframe_localsplus;
    int whole =
        last == slot->frame || (top == slot->frame && slot->frame >= slot->top_lo &&
                                slot->frame <= top_end && last >= slot->top_lo && last <= top_end);
    if (!read_more)
        return whole;
    /* 3.11+: frames the walk read after the re-reads (entry frames on a C
     * stack path not seen before) need a fresh one too, besides. */
    if (chunks && !whole)
        return 0;
    uint64_t now;
    if (sg_mem_read(s->t->mem, slot->frame_loc, &now, sizeof now) != 0)
        return 0;
    return now == slot->frame;
}

/* Whether this read's stack may be emitted: it held still (sg_stack_is_whole)
 * or, on 3.9/3.10, moved only along the chain it copied (sg_fo_moved_along,
 * which may cut *depth to the stack at the re-read); and a stack read in
 * two parts agrees with last round's lower part (sg_fo_parts_agree).
 * Returns 1 (it may), 0 (torn) or a negative errno (the source failed). */
static int sg_read_stands(sg_sampler *s, sg_slot *slot, int read_more, uint32_t *depth)
{
    if (!sg_stack_is_whole(s, slot, read_more)) {
        long along = s->t->layout->frame_era == SG_ERA_FRAME_OBJECT && !read_more
                         ? sg_fo_moved_along(s, slot, *depth)
                         : 0;
        if (along <= 0)
            return along < 0 ? (int)along : 0;
        *depth = (uint32_t)along;
    }
    return !slot->fo_split || sg_fo_parts_agree(s, slot, *depth);
}

/* 3.11+: whether every frame of the walk (s->raw) that sits in a chunk sits
 * right above the next older frame of the chain in that chunk, by the size
 * of that frame (see "Where a callee sits"). slot->memo holds the stack's
 * code ids, oldest first. */
static int sg_callees_sit_right(const sg_sampler *s, const sg_slot *slot, uint32_t depth)
{
    int callee_chunk = -1; /* the chunk of the newer frame last met in one */
    uint64_t callee = 0;
    for (uint32_t i = 0; i < depth; i++) {
        int chunk = sg_chunk_index(slot, s->raw[i].addr);
        if (chunk < 0)
            continue; /* a frame in the heap or on a C stack: not on the chunk */
        uint32_t id = slot->memo[depth - 1 - i].ref.code_id;
        uint32_t bytes = id == SG_MEMO_SKIPPED ? 0 : sg_code_cache_frame_bytes(s->codes, id);
        if (chunk == callee_chunk && bytes && callee != s->raw[i].addr + bytes)
            return 0;
        callee_chunk = chunk;
        callee = s->raw[i].addr;
    }
    return 1;
}

/* Resolves this round's frames (s->raw, newest first) into slot->memo,
 * oldest first. The oldest frames rarely change between rounds: as long
 * as they match last round's, with the code cache unchanged since, their
 * answers stand (see sg_code_cache_generation), and only the frames above
 * are looked up. Returns 0, -1 when a frame does not resolve (a torn
 * read; the memo is then forgotten), or -ENOMEM. */
static int sg_resolve_frames(sg_sampler *s, sg_slot *slot, uint32_t depth)
{
    if (depth > slot->memo_cap) {
        uint32_t cap = depth < 64 ? 64 : depth * 2;
        sg_frame_memo *memo = realloc(slot->memo, cap * sizeof *memo);
        if (!memo)
            return -ENOMEM;
        slot->memo = memo;
        slot->memo_cap = cap;
    }
    uint64_t generation = sg_code_cache_generation(s->codes);
    uint64_t misses = sg_code_cache_misses(s->codes);
    uint32_t same = 0;
    if (slot->memo_generation == generation) {
        uint32_t most = depth < slot->memo_depth ? depth : slot->memo_depth;
        while (same < most) {
            const sg_raw_frame *r = &s->raw[depth - 1 - same];
            const sg_frame_memo *m = &slot->memo[same];
            if (m->code != r->code || m->globals != r->globals || m->position != r->position)
                break;
            same++;
        }
    }
    slot->memo_depth = 0; /* until every frame below is settled */
    for (uint32_t j = same; j < depth; j++) {
        const sg_raw_frame *r = &s->raw[depth - 1 - j];
        sg_frame_memo *m = &slot->memo[j];
        *m = (sg_frame_memo){r->code, r->globals, r->position, {SG_MEMO_SKIPPED, -1}};
        if (r->code == 0 || (s->t->syms.none && r->code == s->t->syms.none))
            continue; /* entry frames, and 3.13 shim frames that run None */
        if (sg_code_cache_resolve(s->codes, r->code, r->globals, r->position, &m->ref.code_id,
                                  &m->ref.line) != 0)
            return -1;
        /* The root runs no generator's code (see stack_walk.c, "Where a
         * chain may end"): the walk's checks read fields of one frame copy,
         * and a copy is not a snapshot when the copying CPU stalls inside
         * it while the target recycles the frame; the code's flags do not
         * change. A memo kept from last round passed this check then. */
        if (j == 0 && sg_code_cache_is_generator(s->codes, m->ref.code_id))
            return -1;
    }
    /* A lookup above that loaded or re-validated an entry moved the
     * generation on: the memo is then kept for nothing next round (its
     * answers are right for this one: two frames of one snapshot that run
     * the same code address run the same code object). A lookup that
     * loaded a code object read it after its frame was copied: that is the
     * code the frame runs only if the frame still lived then (a frame holds
     * its code). The thread still at the same newest frame says so; else
     * the code may have died with its frame and another taken its address
     * (code_cache.c, sg_code_young), and the read is torn. A re-validation
     * that found the header unchanged needs no such word: a code object
     * with the same names, table and first line is named the same. */
    if (!sg_callees_sit_right(s, slot, depth))
        return -1;
    if (sg_code_cache_misses(s->codes) != misses) {
        uint64_t now = 0;
        if (sg_mem_read(s->t->mem, slot->frame_loc, &now, sizeof now) != 0 || now != slot->frame)
            return -1;
    }
    slot->memo_generation = sg_code_cache_generation(s->codes) == generation ? generation : 0;
    slot->memo_depth = depth;
    return 0;
}

static int sg_emit_thread(sg_sampler *s, sg_slot *slot, uint64_t now_ns)
{
    uint64_t reads_before = s->t->mem->syscalls;
    uint32_t depth = 0;
    int rc = sg_stack_walk(s->t->layout, &s->copies, slot->frame, slot->chunks, slot->nchunks,
                           s->raw, s->cfg.max_depth, &depth);
    if (rc < 0)
        return rc;
    slot->torn = 0;
    if (rc == SG_WALK_TORN) {
        slot->torn = 1;
        return SG_EMIT_TORN;
    }
    if (rc != SG_WALK_OK) {
        s->stats.failed++;
        slot->nhints = 0;
        return 0;
    }
    int frame_objects = s->t->layout->frame_era == SG_ERA_FRAME_OBJECT;
    if (frame_objects)
        sg_note_recent_tops(slot, s->raw, depth);
    int stands = sg_read_stands(s, slot, s->t->mem->syscalls != reads_before, &depth);
    if (stands < 0)
        return stands;
    if (!stands) {
        /* 3.9/3.10: a stack with no hints yet, or whose lower part changed,
         * would be read frame by frame, or all in one part, until a read is
         * whole: too long a window for a deep stack whose top is busy; and a
         * stack read in one part is read again as this walk found it (it
         * has no slow part to keep). The frames this walk found are a good
         * guess at where they are; the checks, not the guess, decide what
         * is whole. */
        if (frame_objects && (!slot->nhints || slot->fo_flat || !slot->fo_split)) {
            sg_keep_hints(slot, s->raw, depth);
            slot->fo_flat = 0;
            slot->fo_slow_lo = slot->fo_slow_hi = 0; /* no slow part read for these hints */
        }
        slot->torn = 1;
        return SG_EMIT_TORN;
    }
    if (frame_objects)
        slot->fo_flat = 0; /* a whole read: the hints are fresh */
    sg_keep_hints(slot, s->raw, depth);
    if ((rc = sg_resolve_frames(s, slot, depth)) != 0) {
        if (rc == -ENOMEM)
            return rc;
        slot->torn = 1;
        return SG_EMIT_TORN;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < depth; i++) {
        const sg_frame_ref *ref = &slot->memo[depth - 1 - i].ref;
        if (ref->code_id != SG_MEMO_SKIPPED)
            s->refs[n++] = *ref;
    }
    if (n == 0)
        return 0;
    sg_sample sample = {now_ns, s->t->pid, slot->tid, slot->flags, n, s->refs};
    s->stats.samples++;
    return s->sink.sample ? s->sink.sample(s->sink.ctx, &sample) : 0;
}

/* Reads one torn thread again, on its own, as batch one would. */
static int sg_read_thread_again(sg_sampler *s, sg_slot *slot)
{
    const sg_layout *l = s->t->layout;
    int rc = sg_sampler_reserve_reqs(s, 1 + SG_SPEC_MAX_FIXED + slot->nchunks + slot->nhints +
                                            slot->fo_nrecent);
    if (rc)
        return rc;
    /* 3.9/3.10: the slow part read last time stands (see "Frame objects"). */
    int keep_slow = slot->fo_split && !slot->fo_flat && slot->fo_slow_lo < slot->fo_slow_hi;
    if (keep_slow)
        sg_copies_keep(&s->copies, slot->fo_slow_lo, slot->fo_slow_hi);
    else
        sg_copies_reset(&s->copies);
    size_t k = 0;
    s->reqs[k++] = (sg_copy_request){slot->tstate, (size_t)l->tstate_size};
    sg_plan_spec_thread(s, slot, !keep_slow, &k);
    sg_plan_spec_last(s, slot, &k);
    if ((rc = sg_copies_fetch(&s->copies, s->reqs, k, s->offs)) != 0)
        return rc;
    if (s->offs[0] == SG_COPY_MISSING)
        return -EAGAIN;
    slot->tstate_off = s->offs[0];
    sg_settle_spec_thread(s, slot);
    k = 0;
    if ((rc = sg_plan_frames(s, slot, &k)) != 0)
        return rc;
    return slot->walk ? sg_read_missing(s, slot, 1, k) : -EAGAIN;
}

/* Gives a torn thread SG_TORN_RETRIES more tries (SG_TORN_RETRIES_TOP for
 * a stack read in two parts); counts it torn if all fail. */
static int sg_retry_torn(sg_sampler *s, sg_slot *slot, uint64_t now_ns)
{
    int tries = slot->fo_split || slot->top_split ? SG_TORN_RETRIES_TOP : SG_TORN_RETRIES;
    for (int attempt = 0; attempt < tries; attempt++) {
        int rc = sg_read_thread_again(s, slot);
        if (rc == -EAGAIN || rc == -EFAULT)
            break;
        if (rc < 0)
            return rc;
        rc = sg_emit_thread(s, slot, now_ns);
        if (rc != SG_EMIT_TORN)
            return rc;
    }
    s->stats.torn++;
    return 0;
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
    for (size_t i = 0; i < s->nslots; i++) {
        sg_decide_walk(s, &s->slots[i], gil_holder, now_ns);
        if (s->slots[i].walk && (rc = sg_plan_frames(s, &s->slots[i], &k)) != 0)
            return rc;
    }
    if ((rc = sg_read_missing(s, s->slots, s->nslots, k)) != 0)
        return rc;
    size_t torn = 0;
    for (size_t i = 0; i < s->nslots; i++) {
        sg_slot *slot = &s->slots[i];
        slot->walked = slot->walk;
        if (!slot->walk)
            continue;
        rc = sg_emit_thread(s, slot, now_ns);
        if (rc == SG_EMIT_TORN)
            torn++;
        else if (rc != 0)
            return rc;
    }
    /* Torn threads are read again once every other thread is done with this
     * round's copies (a retry starts a fresh copy). */
    for (size_t i = 0; torn && i < s->nslots; i++) {
        sg_slot *slot = &s->slots[i];
        if (slot->torn && (rc = sg_retry_torn(s, slot, now_ns)) != 0)
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

void sg_sampler_set_thread_cpu_flags(sg_sampler *s, unsigned flags)
{
    s->thread_cpu_flags = flags;
}

void sg_sampler_get_stats(const sg_sampler *s, sg_sampler_stats *stats)
{
    *stats = s->stats;
}

uint32_t sg_sampler_code_count(const sg_sampler *s)
{
    return sg_code_cache_count(s->codes);
}

const sg_code_info *sg_sampler_code_info(const sg_sampler *s, uint32_t code_id)
{
    return sg_code_cache_info(s->codes, code_id);
}
