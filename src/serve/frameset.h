/*
 * frameset.h — the frames an answer mentions, collected while it is
 * written, then emitted once as its "frames" dictionary:
 *   "frames": {"12": ["qualname", "file.py", first_line, "package"], ...}
 * so a client needs no other request to label what it draws, and an answer
 * never carries the whole frame table of a big profile.
 *
 * Ownership: the set owns its arrays (sg_frameset_free). Ids at or past
 * the profile's frame count (root and "other" markers) are ignored.
 */
#ifndef SG_SERVE_FRAMESET_H
#define SG_SERVE_FRAMESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/jbuf.h"
#include "serve/profile_cache.h"

typedef struct sg_frameset {
    uint64_t *seen; /* bitmap over frame ids */
    uint32_t *list; /* ids in the order first added */
    size_t count, cap;
    uint32_t nframes;
    bool failed;
} sg_frameset;

int sg_frameset_init(sg_frameset *s, uint32_t nframes);
void sg_frameset_free(sg_frameset *s);
/* A frame not yet in s (sg_frameset_add's slow path). */
void sg_frameset_add_new(sg_frameset *s, uint32_t frame);
/* Inline: a timeline answer adds each of its ~100,000 span frames, nearly
 * all already seen, so the common case is one bit test, not a call. */
static inline void sg_frameset_add(sg_frameset *s, uint32_t frame)
{
    if (frame < s->nframes && !(s->seen[frame / 64] & (1ull << (frame % 64))))
        sg_frameset_add_new(s, frame);
}
/* Write `"frames":{...}` (no leading comma) for the frames of e's profile. */
void sg_frameset_write(const sg_frameset *s, sg_loaded *e, sg_jbuf *out);

#endif
