/*
 * frame_table.h — interned frames: a frame is a code location that can
 * appear in a stack, (file, qualified name, first line), named by a dense
 * uint32 id.
 *
 * The line currently executing is not part of the frame: it lives in the
 * stack row (stack_table.h), so one function is one frame however many
 * lines of it are sampled.
 *
 * Invariants:
 *   - ids are dense (0 .. count-1), in insertion order, never removed.
 *   - no two rows are equal; file and name are ids of the profile's
 *     string table (the frame table itself does not check them: the
 *     profile and the .sgl reader do).
 *
 * Ownership: the table owns its arrays; sg_frames_free releases them.
 * The struct is public for reading; only the functions below change it.
 */
#ifndef SG_PROFILE_FRAME_TABLE_H
#define SG_PROFILE_FRAME_TABLE_H

#include <stdint.h>

typedef struct sg_frame {
    uint32_t file;       /* string id of the file name ("" if unknown) */
    uint32_t name;       /* string id of the qualified name, e.g. "Cls.method" */
    uint32_t first_line; /* first line of the code object, 0 if unknown */
} sg_frame;

typedef struct sg_frames {
    uint32_t count;
    uint32_t cap;
    sg_frame *rows;  /* rows[id] */
    uint64_t *slots; /* open-addressing index: (hash << 32) | id, UINT64_MAX = empty */
    uint32_t slot_mask;
} sg_frames;

int sg_frames_init(sg_frames *f);
void sg_frames_free(sg_frames *f);

/* The id of (file, name, first_line), adding the row if new. */
int sg_frames_intern(sg_frames *f, uint32_t file, uint32_t name, uint32_t first_line,
                     uint32_t *id_out);

#endif
