/*
 * frame_lines.c — numbering the (frame, line) pairs of the stack rows
 * (see frame_lines.h), with an open-addressing map keyed by the pair.
 */
#include "profile/frame_lines.h"

#include <stdlib.h>
#include <string.h>

#include "profile/hash.h"

int sg_frame_lines_build(const sg_profile *p, sg_frame_lines *fl)
{
    uint32_t n = p->stacks.count;
    size_t size = 16;
    while (size < (size_t)n * 2)
        size *= 2;
    uint64_t *keys = malloc(size * sizeof *keys);
    uint32_t *values = malloc(size * sizeof *values);
    *fl = (sg_frame_lines){0};
    fl->of_stack = malloc(((size_t)n + 1) * sizeof *fl->of_stack);
    fl->frame = malloc(((size_t)n + 1) * sizeof *fl->frame);
    fl->line = malloc(((size_t)n + 1) * sizeof *fl->line);
    if (keys == NULL || values == NULL || fl->of_stack == NULL || fl->frame == NULL ||
        fl->line == NULL) {
        free(keys);
        free(values);
        sg_frame_lines_free(fl);
        return SG_PROFILE_ENOMEM;
    }
    memset(keys, 0xff, size * sizeof *keys);
    for (uint32_t id = 0; id < n; id++) {
        const sg_stack_row *row = &p->stacks.rows[id];
        uint64_t key = (uint64_t)row->frame << 32 | row->line;
        size_t j = sg_hash_mix(key) & (size - 1);
        while (keys[j] != UINT64_MAX && keys[j] != key)
            j = (j + 1) & (size - 1);
        if (keys[j] == UINT64_MAX) {
            keys[j] = key;
            values[j] = fl->count;
            fl->frame[fl->count] = row->frame;
            fl->line[fl->count] = row->line;
            fl->count++;
        }
        fl->of_stack[id] = values[j];
    }
    free(keys);
    free(values);
    return SG_PROFILE_OK;
}

void sg_frame_lines_free(sg_frame_lines *fl)
{
    free(fl->of_stack);
    free(fl->frame);
    free(fl->line);
    *fl = (sg_frame_lines){0};
}
