/*
 * query_timeline.c — GET /api/profiles/{id}/timeline: each kept thread's
 * flame chart over the visible window [t0, t1) at `width` pixel columns
 * (timeline.h), grouped per thread as columns, with state lanes and GC /
 * marker events already snapped to columns.
 *
 * Events that belong to no thread (SG_THREAD_NONE) are listed once at the
 * top level ("gc", "markers") rather than copied into every thread.
 *
 * Cost: a whole-profile answer on 10M samples is ~460,000 spans, and every
 * pan is a new window, so this runs on each one. The timeline is computed
 * one thread at a time into one reused sg_tl (sg_tl_query_part): the
 * spans held at once are one thread's, in pages already touched, instead
 * of all threads' in fresh pages. Each column is written by a loop of its
 * own over the span array.
 *
 * enc=compact (timeline_compact.h) writes each thread's spans as runs, one
 * frame per span and the column weights, which the query produces directly
 * while it walks the columns (no span array, no encoding pass): ~4 times fewer bytes and numbers
 * than the five columns of the default form, which stays the answer for
 * clients that do not ask (docs/api.md).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/timeline.h"
#include "serve/frameset.h"
#include "serve/query.h"
#include "serve/tlpool.h"

#define SG_TIMELINE_DEFAULT_WIDTH 1600
#define SG_TIMELINE_MAX_WIDTH     20000

/* One column of spans: the uint32 field at byte offset `field`, or the
 * weight. Inlined with constant arguments: a plain loop per column, its
 * output pointer in a register (sg_jbuf_u64_put). */
static inline void write_column(sg_jbuf *o, const sg_tl_span *s, size_t n, size_t field,
                                bool weight)
{
    char *out = o->data + o->len;
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        if (weight)
            v = s[i].weight;
        else {
            uint32_t u;
            memcpy(&u, (const char *)&s[i] + field, sizeof u);
            v = u;
        }
        if (i > 0)
            *out++ = ',';
        out = sg_jbuf_u64_put(out, v);
    }
    o->len = (size_t)(out - o->data);
}

static void write_spans(sg_jbuf *o, const sg_tl *tl, sg_frameset *fs)
{
    static const char *const cols[] = {"x0", "x1", "depth", "frame", "weight"};
    static const size_t fields[] = {offsetof(sg_tl_span, x0), offsetof(sg_tl_span, x1),
                                    offsetof(sg_tl_span, depth), offsetof(sg_tl_span, frame), 0};
    size_t n = tl->span_count;
    sg_jbuf_puts(o, "\"spans\":{");
    for (int c = 0; c < 5; c++) {
        sg_jbuf_printf(o, "%s\"%s\":[", c ? "]," : "", cols[c]);
        /* the largest answers there are: numbers written without a check each */
        if (n == 0 || !sg_jbuf_reserve(o, n * SG_JBUF_U64_MAX))
            continue;
        switch (c) {
        case 0:
            write_column(o, tl->spans, n, fields[0], false);
            break;
        case 1:
            write_column(o, tl->spans, n, fields[1], false);
            break;
        case 2:
            write_column(o, tl->spans, n, fields[2], false);
            break;
        case 3:
            write_column(o, tl->spans, n, fields[3], false);
            break;
        default:
            write_column(o, tl->spans, n, 0, true);
            break;
        }
        o->data[o->len] = '\0';
    }
    sg_jbuf_puts(o, "]}");
    for (size_t i = 0; i < n; i++)
        sg_frameset_add(fs, tl->spans[i].frame);
}

/* One column of uint32 numbers, without a check per number. */
static void write_u32s(sg_jbuf *o, const uint32_t *v, size_t n)
{
    if (n == 0 || !sg_jbuf_reserve(o, n * SG_JBUF_U64_MAX))
        return;
    char *out = o->data + o->len;
    for (size_t i = 0; i < n; i++) {
        out = sg_jbuf_u64_put(out, v[i]);
        *out++ = ',';
    }
    o->len = (size_t)(out - o->data) - 1; /* the last comma */
    o->data[o->len] = '\0';
}

/* The weight of each column of the thread (prefix sums cw[0..width]), a
 * run of k empty columns written as -k: thin threads cost little. */
static void write_column_weights(sg_jbuf *o, const uint64_t *cw, uint32_t width)
{
    if (!sg_jbuf_reserve(o, (size_t)width * (SG_JBUF_U64_MAX + 1)))
        return;
    char *out = o->data + o->len, *start = out;
    uint64_t zeros = 0;
    for (uint32_t x = 0; x <= width; x++) {
        uint64_t w = x < width ? cw[x + 1] - cw[x] : 1;
        if (w == 0) {
            zeros++;
            continue;
        }
        if (zeros > 0) {
            if (out > start)
                *out++ = ',';
            *out++ = '-';
            out = sg_jbuf_u64_put(out, zeros);
            zeros = 0;
        }
        if (x == width)
            break;
        if (out > start)
            *out++ = ',';
        out = sg_jbuf_u64_put(out, w);
    }
    o->len = (size_t)(out - o->data);
    o->data[o->len] = '\0';
}

/* enc=compact: {"runs": [dx, keep, n, ...], "frame": [...], "cw": [...]},
 * from the runs and frames the query wrote as it walked the columns
 * (timeline.h, runs mode). */
static void write_spans_compact(sg_jbuf *o, const sg_tl *tl, sg_frameset *fs)
{
    sg_jbuf_puts(o, "\"spans\":{\"runs\":[");
    write_u32s(o, tl->runs, 3 * tl->run_count);
    sg_jbuf_puts(o, "],\"frame\":[");
    write_u32s(o, tl->frames, tl->frame_count);
    for (size_t i = 0; i < tl->frame_count; i++)
        sg_frameset_add(fs, tl->frames[i]);
    sg_jbuf_puts(o, "],\"cw\":[");
    write_column_weights(o, tl->col_weight, tl->width);
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
            /* no printf: a pan writes thousands of these */
            if (!sg_jbuf_reserve(o, 2 * SG_JBUF_U64_MAX + 4))
                return;
            char *out = o->data + o->len;
            if (!first)
                *out++ = ',';
            *out++ = '[';
            out = sg_jbuf_u64_put(out, tl->states[j].x0);
            *out++ = ',';
            out = sg_jbuf_u64_put(out, tl->states[j].x1);
            *out++ = ']';
            o->len = (size_t)(out - o->data);
            o->data[o->len] = '\0';
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
    /* compact by default: answers are what the viewer draws, and a pan in
     * the five-column form costs the server twice the CPU (docs/api.md) */
    static const char *const encodings[] = {"json", "compact"};
    int enc = 1;
    if (sg_params_enum(q->params, "enc", encodings, 2, &enc, q->err, q->errlen) != 0)
        return 400;
    bool compact = enc == 1;
    if (t1 <= t0)
        t1 = t0 + 1;
    const sg_tlindex *ix = sg_loaded_tlindex(q->entry);
    if (ix == NULL)
        return sg_query_fail(q, 500, "out of memory building the timeline index");
    /* the events of every thread first, then each thread's lane in turn,
     * in scratch recycled from earlier requests (tlpool.h) */
    sg_tl *ev = sg_tlpool_take(q->entry->tl_pool), *tl = sg_tlpool_take(q->entry->tl_pool);
    if (ev == NULL || tl == NULL) {
        sg_tlpool_put(q->entry->tl_pool, ev);
        sg_tlpool_put(q->entry->tl_pool, tl);
        return sg_query_fail(q, 500, "out of memory for the timeline");
    }
    tl->want_runs = compact;
    int rc = sg_tl_query_part(ix, q->rv, t0, t1, width, 0, 0, true, ev);
    sg_jbuf *o = q->out;
    sg_frameset fs;
    sg_frameset_init(&fs, p->frames.count);
    sg_jbuf_puts(o, "{\"t0\":");
    sg_jbuf_u64(o, t0);
    sg_jbuf_puts(o, ",\"t1\":");
    sg_jbuf_u64(o, t1);
    sg_jbuf_puts(o, ",\"width\":");
    sg_jbuf_u64(o, width);
    if (compact)
        sg_jbuf_puts(o, ",\"enc\":\"compact\"");
    sg_jbuf_puts(o, ",\"threads\":[");
    bool first = true;
    for (uint32_t t = 0; t < p->threads.count && rc == 0; t++) {
        if (q->view->threads != NULL && !q->view->threads[t])
            continue;
        if ((rc = sg_tl_query_part(ix, q->rv, t0, t1, width, t, t + 1, false, tl)) != 0)
            break;
        size_t state = 0;
        sg_jbuf_puts(o, first ? "{\"index\":" : ",{\"index\":");
        first = false;
        sg_jbuf_u64(o, t);
        sg_jbuf_puts(o, ",\"tid\":");
        sg_jbuf_u64(o, p->threads.tid[t]);
        sg_jbuf_puts(o, ",\"name\":");
        sg_jbuf_str(o, sg_strings_get(&p->strings, p->threads.name[t]));
        sg_jbuf_char(o, ',');
        if (!compact)
            write_spans(o, tl, &fs);
        else
            write_spans_compact(o, tl, &fs);
        sg_jbuf_char(o, ',');
        write_states(o, tl, t, &state);
        sg_jbuf_char(o, ',');
        write_events(o, p, ev, t);
        sg_jbuf_char(o, '}');
    }
    sg_jbuf_puts(o, "],");
    write_events(o, p, ev, SG_THREAD_NONE);
    sg_jbuf_char(o, ',');
    sg_frameset_write(&fs, q->entry, o);
    sg_jbuf_char(o, '}');
    sg_frameset_free(&fs);
    sg_tlpool_put(q->entry->tl_pool, tl);
    sg_tlpool_put(q->entry->tl_pool, ev);
    if (rc != 0)
        return sg_query_fail(q, rc == SG_PROFILE_EINVAL ? 400 : 500, "timeline: %s",
                             sg_profile_strerror(rc));
    return 0;
}
