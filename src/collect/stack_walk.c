/*
 * stack_walk.c — one thread's frame chain; see stack_walk.h.
 *
 * Two frame shapes: 3.9/3.10 heap PyFrameObjects linked by f_back, and 3.11+
 * _PyInterpreterFrames linked by `previous`, most of them inside datastack
 * chunks (generators keep theirs in the generator object, and 3.12+ entry
 * frames sit on the C stack: those are read one by one). Entry frames
 * (FRAME_OWNED_BY_CSTACK) carry no Python code and are skipped.
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

static int sg_walk_frame_objects(const sg_layout *l, sg_copies *copies, uint64_t frame,
                                 sg_raw_frame *out, uint32_t max_depth, uint32_t *depth)
{
    uint32_t n = 0;
    while (frame) {
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
        int32_t lasti;
        memcpy(&lasti, p + l->frameobj_lasti, sizeof lasti);
        out[n].addr = frame;
        out[n].code = sg_u64_at(p, l->frameobj_code);
        out[n].globals = sg_u64_at(p, l->frameobj_globals);
        out[n].position = (uint64_t)(int64_t)lasti;
        frame = sg_u64_at(p, l->frameobj_back);
        n++;
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
    while (frame) {
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
