/*
 * frameset.c — the "frames" dictionary of an answer (frameset.h).
 * Invariant: list holds each id once (the bitmap guards it).
 */
#include "serve/frameset.h"

#include <stdlib.h>
#include <string.h>

int sg_frameset_init(sg_frameset *s, uint32_t nframes)
{
    memset(s, 0, sizeof *s);
    s->nframes = nframes;
    s->seen = calloc((size_t)nframes / 64 + 1, sizeof *s->seen);
    s->failed = s->seen == NULL;
    if (s->failed)
        s->nframes = 0; /* sg_frameset_add's inline test then reads no bitmap */
    return s->failed ? -1 : 0;
}

void sg_frameset_free(sg_frameset *s)
{
    free(s->seen);
    free(s->list);
    memset(s, 0, sizeof *s);
}

void sg_frameset_add_new(sg_frameset *s, uint32_t frame)
{
    if (frame >= s->nframes || s->failed)
        return;
    uint64_t bit = 1ull << (frame % 64);
    if (s->seen[frame / 64] & bit)
        return;
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint32_t *l = realloc(s->list, cap * sizeof *l);
        if (l == NULL) {
            s->failed = true;
            return;
        }
        s->list = l;
        s->cap = cap;
    }
    s->seen[frame / 64] |= bit;
    s->list[s->count++] = frame;
}

void sg_frameset_write(const sg_frameset *s, sg_loaded *e, sg_jbuf *out)
{
    const sg_profile *p = e->profile;
    const sg_packages *pk;
    const uint32_t *frame_package;
    bool have_pk = sg_loaded_packages(e, &pk, &frame_package) == 0;
    if (s->failed)
        out->failed = true;
    sg_jbuf_puts(out, "\"frames\":{");
    for (size_t i = 0; i < s->count; i++) {
        uint32_t f = s->list[i];
        const sg_frame *fr = &p->frames.rows[f];
        if (i > 0)
            sg_jbuf_char(out, ',');
        sg_jbuf_char(out, '"');
        sg_jbuf_u64(out, f);
        sg_jbuf_puts(out, "\":[");
        sg_jbuf_strn(out, sg_strings_get(&p->strings, fr->name),
                     sg_strings_len(&p->strings, fr->name));
        sg_jbuf_char(out, ',');
        sg_jbuf_strn(out, sg_strings_get(&p->strings, fr->file),
                     sg_strings_len(&p->strings, fr->file));
        sg_jbuf_char(out, ',');
        sg_jbuf_u64(out, fr->first_line);
        sg_jbuf_char(out, ',');
        sg_jbuf_str(out, have_pk ? pk->items[frame_package[f]].name : "");
        sg_jbuf_char(out, ']');
    }
    sg_jbuf_char(out, '}');
}
