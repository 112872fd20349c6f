/*
 * frame_lines.h — the distinct (frame, line) pairs of the stack rows, for
 * exporters whose frames carry the line executing (speedscope's frames,
 * the Firefox Profiler's frame table), where the model keeps the line in
 * the stack row and the function in the frame.
 *
 * Invariants of a built table:
 *   - pairs are numbered 0 .. count-1 in the order of the first stack row
 *     that has them, so output is deterministic;
 *   - of_stack[id] is the pair of stack row id, for every row.
 *
 * Ownership: sg_frame_lines_build allocates; sg_frame_lines_free releases.
 */
#ifndef SG_PROFILE_FRAME_LINES_H
#define SG_PROFILE_FRAME_LINES_H

#include <stdint.h>

#include "profile/profile.h"

typedef struct sg_frame_lines {
    uint32_t count;
    uint32_t *of_stack; /* per stack row: its pair */
    uint32_t *frame;    /* per pair: frame id */
    uint32_t *line;     /* per pair: line, 0 if unknown */
} sg_frame_lines;

int sg_frame_lines_build(const sg_profile *p, sg_frame_lines *fl);
void sg_frame_lines_free(sg_frame_lines *fl);

#endif
