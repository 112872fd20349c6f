/*
 * stack_walk.h — following one thread's frame chain, newest to oldest, in
 * memory the round already copied (or reads now), into raw (code object,
 * position) pairs. Symbolizing them is the code cache's job.
 *
 * The walk is where torn reads are caught: frames inside one datastack chunk
 * must get older as addresses go down, frame owners must be known values,
 * and the chain must end within max_depth frames. A failed check drops the
 * whole stack.
 */
#ifndef SG_COLLECT_STACK_WALK_H
#define SG_COLLECT_STACK_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "collect/frame_copies.h"
#include "collect/layout.h"

typedef struct sg_raw_frame {
    uint64_t addr;     /* the frame's own address */
    uint64_t code;     /* code object address; 0 for an entry frame (no code) */
    uint64_t globals;  /* f_globals: tells a recycled code address apart */
    uint64_t position; /* f_lasti (3.9/3.10) or instruction pointer (3.11+) */
} sg_raw_frame;

typedef struct sg_chunk_range {
    uint64_t start, end; /* [start, end) of a datastack chunk's used part */
} sg_chunk_range;

enum {
    SG_WALK_OK = 0,
    SG_WALK_TORN = 1,     /* the chain was inconsistent: it changed as we read */
    SG_WALK_TOO_DEEP = 2, /* more than max_depth frames */
    SG_WALK_UNREADABLE = 3
};

/* Walks from `frame`; fills out[0..*depth). `chunks` are the thread's
 * datastack chunks copied this round (3.11+), used to check ordering.
 * Returns an SG_WALK_* code, or a negative errno when the target is gone. */
int sg_stack_walk(const sg_layout *layout, sg_copies *copies, uint64_t frame,
                  const sg_chunk_range *chunks, size_t nchunks, sg_raw_frame *out,
                  uint32_t max_depth, uint32_t *depth);

#endif
