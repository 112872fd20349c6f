/*
 * stack_walk.c — one thread's frame chain; see stack_walk.h.
 *
 * Two frame shapes: 3.9/3.10 heap PyFrameObjects linked by f_back, and 3.11+
 * _PyInterpreterFrames linked by `previous`, most of them inside datastack
 * chunks (generators keep theirs in the generator object, and 3.12+ entry
 * frames sit on the C stack: those are read one by one). Entry frames
 * (FRAME_OWNED_BY_CSTACK) carry no Python code and are skipped.
 *
 * Where a chain may end. A suspended generator's frame has no caller (its
 * `previous`, or f_back, is cleared at every yield), so a read that caught
 * the thread's frame pointer at a generator and the generator's frame a
 * moment later, after it yielded (and maybe was resumed again, so that the
 * pointer reads the same at both ends), ends the chain at the generator: a
 * stack cut to its newest frames that was never true. The oldest frame is
 * therefore checked: it may not run for a generator (owner
 * FRAME_OWNED_BY_GENERATOR on 3.11+, f_gen set on 3.9/3.10; there frame
 * objects are recycled, so every frame but the newest must also be marked
 * as executing), and on 3.12+, where every entry into the interpreter
 * pushes an entry frame first, it must be an entry frame. Anything else is
 * a torn read. (A generator driven from C with no Python frame below it,
 * on 3.9-3.11, would be a true stack ending at a generator; such a
 * thread's stacks are dropped as torn.)
 *
 * The checks above read one copy of a frame, and a copy is not a snapshot:
 * a CPU that stalls inside process_vm_readv's copy (an interrupt, a host
 * taking the guest's vCPU) gives bytes from before and after. On 3.9 a
 * generator frame that finished and was remade for the next generator of
 * the same code (frame objects are cached per code object, so the address
 * repeats) once read as no f_back, no f_gen and executing: one stack of
 * just the generator in ~3,000 on a loaded CI machine. So the sampler also
 * checks the root's code (sg_resolve_frames): a generator's code, by its
 * co_flags, which never change, is never a root.
 *
 * Chains cannot loop on a live stack, but a torn read can make one (a
 * frame object freed and reused as its own caller's callee): Brent's cycle
 * check finds it within about twice the loop's length, with no memory, and
 * the stack is torn rather than walked to max_depth.
 */
#include "collect/stack_walk.h"

#include <errno.h>
#include <string.h>

static uint64_t sg_u64_at(const uint8_t *p, int32_t off)
{
    uint64_t v;
    memcpy(&v, p + off, sizeof v);
    return v;
}

static const sg_chunk_range *sg_chunk_of(const sg_chunk_range *chunks, size_t n, uint64_t addr)
{
    for (size_t i = 0; i < n; i++)
        if (addr >= chunks[i].start && addr < chunks[i].end)
            return &chunks[i];
    return NULL;
}

/* Brent's cycle finder: a power-of-two stride with a saved frame. */
typedef struct sg_loop_check {
    uint64_t saved;
    uint32_t power, steps;
} sg_loop_check;

static int sg_loops(sg_loop_check *c, uint64_t frame)
{
    if (frame == c->saved)
        return 1;
    if (++c->steps == c->power) {
        c->saved = frame;
        c->power *= 2;
        c->steps = 0;
    }
    return 0;
}

static int sg_walk_frame_objects(const sg_layout *l, sg_copies *copies, uint64_t frame,
                                 sg_raw_frame *out, uint32_t max_depth, uint32_t *depth)
{
    uint32_t n = 0;
    sg_loop_check loop = {0, 1, 0};
    while (frame) {
        if (sg_loops(&loop, frame))
            return SG_WALK_TORN;
        if (n == max_depth)
            return SG_WALK_TOO_DEEP;
        int rc = 0;
        const uint8_t *p = sg_copies_get(copies, frame, (size_t)l->frameobj_size, &rc);
        if (!p)
            return rc == -EFAULT ? SG_WALK_TORN : rc;
        /* A frame on a live stack is referenced (by the thread state or its
         * callee's f_back); a freed one sits at refcount 0 on a free list
         * linked through f_back, which would end the walk early. */
        int64_t refcnt;
        memcpy(&refcnt, p, sizeof refcnt);
        if (refcnt <= 0)
            return SG_WALK_TORN;
        /* Every caller is running (waiting on its callee): a frame that is
         * not was freed and reused, or is a suspended generator's, since we
         * read the pointer to it. The newest is exempt (the interpreter
         * points the thread at a frame a moment before marking it) unless it
         * is also the oldest: a generator's frame being made from a recycled
         * one has neither f_back nor f_gen for a moment. */
        uint64_t back = sg_u64_at(p, l->frameobj_back);
        if ((n > 0 || !back) && (int8_t)p[l->frameobj_state] != (int8_t)l->frameobj_state_executing)
            return SG_WALK_TORN;
        int32_t lasti;
        memcpy(&lasti, p + l->frameobj_lasti, sizeof lasti);
        out[n].addr = frame;
        out[n].code = sg_u64_at(p, l->frameobj_code);
        out[n].globals = sg_u64_at(p, l->frameobj_globals);
        out[n].position = (uint64_t)(int64_t)lasti;
        frame = sg_u64_at(p, l->frameobj_back);
        n++;
        /* See "Where a chain may end". */
        if (!frame && l->frameobj_gen != SG_LAYOUT_ABSENT && sg_u64_at(p, l->frameobj_gen))
            return SG_WALK_TORN;
    }
    *depth = n;
    return SG_WALK_OK;
}

static int sg_walk_interpreter_frames(const sg_layout *l, sg_copies *copies, uint64_t frame,
                                      const sg_chunk_range *chunks, size_t nchunks,
                                      sg_raw_frame *out, uint32_t max_depth, uint32_t *depth)
{
    uint32_t n = 0;
    size_t frame_len = (size_t)l->iframe_localsplus;
    sg_loop_check loop = {0, 1, 0};
    while (frame) {
        if (sg_loops(&loop, frame))
            return SG_WALK_TORN;
        if (n == max_depth)
            return SG_WALK_TOO_DEEP;
        int rc = 0;
        const uint8_t *p = sg_copies_get(copies, frame, frame_len, &rc);
        if (!p)
            return rc == -EFAULT ? SG_WALK_TORN : rc;
        uint8_t owner = p[l->iframe_owner];
        uint64_t previous = sg_u64_at(p, l->iframe_previous);
        if (owner > 3)
            return SG_WALK_TORN;
        /* Inside one chunk, callers sit below their callees. */
        const sg_chunk_range *chunk = sg_chunk_of(chunks, nchunks, frame);
        if (chunk && previous >= chunk->start && previous < chunk->end && previous >= frame)
            return SG_WALK_TORN;
        /* Entry frames run no Python code: they stay in the output with
         * code 0 (so the sampler remembers where they are) and are skipped
         * when the stack is resolved. */
        int entry = l->owner_cstack != SG_LAYOUT_ABSENT && owner == (uint8_t)l->owner_cstack;
        out[n].addr = frame;
        out[n].code = entry ? 0 : sg_u64_at(p, l->iframe_code);
        out[n].globals = entry ? 0 : sg_u64_at(p, l->iframe_globals);
        out[n].position = entry ? 0 : sg_u64_at(p, l->iframe_instr);
        n++;
        frame = previous;
        /* See "Where a chain may end". */
        if (!frame &&
            ((l->owner_generator != SG_LAYOUT_ABSENT && owner == (uint8_t)l->owner_generator) ||
             (l->owner_cstack != SG_LAYOUT_ABSENT && !entry)))
            return SG_WALK_TORN;
    }
    *depth = n;
    return SG_WALK_OK;
}

int sg_stack_walk(const sg_layout *l, sg_copies *copies, uint64_t frame,
                  const sg_chunk_range *chunks, size_t nchunks, sg_raw_frame *out,
                  uint32_t max_depth, uint32_t *depth)
{
    *depth = 0;
    if (l->frame_era == SG_ERA_FRAME_OBJECT)
        return sg_walk_frame_objects(l, copies, frame, out, max_depth, depth);
    return sg_walk_interpreter_frames(l, copies, frame, chunks, nchunks, out, max_depth, depth);
}
