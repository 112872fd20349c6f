/*
 * query_timeline.c — GET /api/profiles/{id}/timeline: each kept thread's
 * flame chart over the visible window [t0, t1) at `width` pixel columns
 * (timeline.h), grouped per thread as columns, with state lanes and GC /
 * marker events already snapped to columns.
 *
 * Events that belong to no thread (SG_THREAD_NONE) are listed once at the
 * top level ("gc", "markers") rather than copied into every thread.
 */
#include <stdlib.h>

#include "analyze/timeline.h"
#include "serve/frameset.h"
#include "serve/query.h"

#define SG_TIMELINE_DEFAULT_WIDTH 1600
#define SG_TIMELINE_MAX_WIDTH     20000

static void write_spans(sg_jbuf *o, const sg_tl *tl, size_t a, size_t b, sg_frameset *fs)
{
    static const char *const cols[] = {"x0", "x1", "depth", "frame", "weight"};
    sg_jbuf_puts(o, "\"spans\":{");
    for (int c = 0; c < 5; c++) {
        sg_jbuf_printf(o, "%s\"%s\":[", c ? "]," : "", cols[c]);
        /* the largest answers there are: numbers written without a check each */
        if (!sg_jbuf_reserve(o, (b - a) * SG_JBUF_U64_MAX))
            return;
        for (size_t i = a; i < b; i++) {
            const sg_tl_span *s = &tl->spans[i];
            uint64_t v = c == 0   ? s->x0
                         : c == 1 ? s->x1
                         : c == 2 ? s->depth
                         : c == 3 ? s->frame
                                  : s->weight;
            if (i > a)
                o->data[o->len++] = ',';
            sg_jbuf_u64_reserved(o, v);
            if (c == 3)
                sg_frameset_add(fs, s->frame);
        }
        o->data[o->len] = '\0';
    }
    sg_jbuf_puts(o, "]}");
}

static void write_states(sg_jbuf *o, const sg_tl *tl, uint32_t thread, size_t *pos)
{
    static const uint32_t states[] = {SG_SAMPLE_ON_CPU, SG_SAMPLE_HOLDS_GIL, SG_SAMPLE_IDLE};
    static const char *const names[] = {"cpu", "gil", "idle"};
    sg_jbuf_puts(o, "\"states\":{");
    /* states are sorted by thread, then state, then x0 */
    size_t i = *pos;
    while (i < tl->state_count && tl->states[i].thread < thread)
        i++;
    for (int k = 0; k < 3; k++) {
        sg_jbuf_printf(o, "%s\"%s\":[", k ? "," : "", names[k]);
        bool first = true;
        for (size_t j = i; j < tl->state_count && tl->states[j].thread == thread; j++) {
            if (tl->states[j].state != states[k])
                continue;
            sg_jbuf_printf(o, "%s[%u,%u]", first ? "" : ",", tl->states[j].x0, tl->states[j].x1);
            first = false;
        }
        sg_jbuf_char(o, ']');
    }
    while (i < tl->state_count && tl->states[i].thread == thread)
        i++;
    *pos = i;
    sg_jbuf_char(o, '}');
}

static void write_events(sg_jbuf *o, const sg_profile *p, const sg_tl *tl, uint32_t thread)
{
    sg_jbuf_puts(o, "\"gc\":[");
    bool first = true;
    for (size_t i = 0; i < tl->event_count; i++) {
        const sg_tl_event *e = &tl->events[i];
        if (e->thread != thread || e->kind != SG_EVENT_GC_START)
            continue;
        sg_jbuf_printf(o, "%s[%u,%u,%u]", first ? "" : ",", e->x0, e->x1, e->count);
        first = false;
    }
    sg_jbuf_puts(o, "],\"markers\":[");
    first = true;
    for (size_t i = 0; i < tl->event_count; i++) {
        const sg_tl_event *e = &tl->events[i];
        if (e->thread != thread || e->kind != SG_EVENT_MARKER)
            continue;
        sg_jbuf_printf(o, "%s[%u,%u,", first ? "" : ",", e->x0, e->count);
        sg_jbuf_str(o, e->label < p->strings.count ? sg_strings_get(&p->strings, e->label) : "");
        sg_jbuf_char(o, ']');
        first = false;
    }
    sg_jbuf_char(o, ']');
}

int sg_query_timeline(sg_query *q)
{
    const sg_profile *p = q->profile;
    uint32_t width = SG_TIMELINE_DEFAULT_WIDTH;
    uint64_t t0 = q->entry->t_start, t1 = q->entry->t_end + 1;
    if (sg_params_u32(q->params, "width", SG_TIMELINE_MAX_WIDTH, &width, q->err, q->errlen) != 0 ||
        sg_params_u64(q->params, "t0", UINT64_MAX - 1, &t0, q->err, q->errlen) != 0 ||
        sg_params_u64(q->params, "t1", UINT64_MAX, &t1, q->err, q->errlen) != 0)
        return 400;
    if (width == 0)
        return sg_query_fail(q, 400, "parameter width: must be at least 1");
    if (t1 <= t0)
        t1 = t0 + 1;
    const sg_tlindex *ix = sg_loaded_tlindex(q->entry);
    if (ix == NULL)
        return sg_query_fail(q, 500, "out of memory building the timeline index");
    sg_tl tl;
    int rc = sg_tl_query(ix, q->rv, t0, t1, width, &tl);
    if (rc != 0) {
        sg_tl_free(&tl);
        return sg_query_fail(q, rc == SG_PROFILE_EINVAL ? 400 : 500, "timeline: %s",
                             sg_profile_strerror(rc));
    }
    sg_jbuf *o = q->out;
    sg_frameset fs;
    sg_frameset_init(&fs, p->frames.count);
    sg_jbuf_puts(o, "{\"t0\":");
    sg_jbuf_u64(o, tl.t0_ns);
    sg_jbuf_puts(o, ",\"t1\":");
    sg_jbuf_u64(o, tl.t1_ns);
    sg_jbuf_puts(o, ",\"width\":");
    sg_jbuf_u64(o, tl.width);
    sg_jbuf_puts(o, ",\"threads\":[");
    size_t span = 0, state = 0;
    bool first = true;
    for (uint32_t t = 0; t < p->threads.count; t++) {
        if (q->view->threads != NULL && !q->view->threads[t])
            continue;
        size_t a = span;
        while (a < tl.span_count && tl.spans[a].thread < t)
            a++;
        size_t b = a;
        while (b < tl.span_count && tl.spans[b].thread == t)
            b++;
        span = b;
        sg_jbuf_puts(o, first ? "{\"index\":" : ",{\"index\":");
        first = false;
        sg_jbuf_u64(o, t);
        sg_jbuf_puts(o, ",\"tid\":");
        sg_jbuf_u64(o, p->threads.tid[t]);
        sg_jbuf_puts(o, ",\"name\":");
        sg_jbuf_str(o, sg_strings_get(&p->strings, p->threads.name[t]));
        sg_jbuf_char(o, ',');
        write_spans(o, &tl, a, b, &fs);
        sg_jbuf_char(o, ',');
        write_states(o, &tl, t, &state);
        sg_jbuf_char(o, ',');
        write_events(o, p, &tl, t);
        sg_jbuf_char(o, '}');
    }
    sg_jbuf_puts(o, "],");
    write_events(o, p, &tl, SG_THREAD_NONE);
    sg_jbuf_char(o, ',');
    sg_frameset_write(&fs, q->entry, o);
    sg_jbuf_char(o, '}');
    sg_frameset_free(&fs);
    sg_tl_free(&tl);
    return 0;
}
