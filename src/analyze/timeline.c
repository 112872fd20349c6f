/*
 * timeline.c — per-thread flame chart, state lanes and events at pixel
 * resolution (see timeline.h).
 *
 * The query walks each thread's columns left to right with an explicit
 * stack of open spans (call node and output slot per depth). A column's
 * stack is compared with the open spans from its newest frame upwards, so
 * a column costs the depth that changed, not the whole stack; a span's
 * slot is reserved when it opens (so spans come out ordered by x0, then
 * depth) and completed when it closes, its weight taken from a per-column
 * prefix sum.
 */
#include "profile/grow.h"
#include "analyze/timeline.h"

#include <stdlib.h>
#include <string.h>

#include "analyze/path_index.h"
#include "profile/sort.h"

#define UNSET UINT32_MAX

/* ---- the index --------------------------------------------------------- */

/* node[r] = the first row with r's path of frames (lines ignored): the
 * paths come from path_index.h, each named by its smallest row. */
static int call_nodes(const sg_stacks *st, uint32_t *node)
{
    sg_path_index ix = {0};
    int rc = sg_path_index_add(&ix, st, NULL, node);
    uint32_t *first = rc == 0 ? malloc(((size_t)ix.count + 1) * sizeof *first) : NULL;
    if (rc == 0 && first == NULL)
        rc = SG_PROFILE_ENOMEM;
    for (uint32_t p = 0; rc == 0 && p < ix.count; p++)
        first[p] = UNSET;
    for (uint32_t r = 0; rc == 0 && r < st->count; r++) {
        if (first[node[r]] == UNSET)
            first[node[r]] = r;
        node[r] = first[node[r]];
    }
    free(first);
    sg_path_index_free(&ix);
    return rc;
}

static int compare_gc(const void *a, const void *b)
{
    const sg_tl_gc *x = a, *y = b;
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns ? -1 : 1;
    return (x->thread > y->thread) - (x->thread < y->thread);
}

static int compare_event_time(uint32_t a, uint32_t b, const void *ctx)
{
    const uint64_t *time = ctx;
    return (time[a] > time[b]) - (time[a] < time[b]);
}

/* Markers in time order, GC pairs as intervals by start. */
static int index_events(const sg_profile *p, sg_tlindex *ix)
{
    const sg_events *ev = &p->events;
    uint32_t nthreads = p->threads.count;
    if (ev->count > UINT32_MAX)
        return SG_PROFILE_ELIMIT;
    uint32_t *order = malloc((ev->count + 1) * sizeof *order);
    uint32_t *open = malloc(((size_t)nthreads + 1) * sizeof *open); /* slot nthreads: NONE */
    ix->markers = malloc((ev->count + 1) * sizeof *ix->markers);
    ix->gcs = malloc((ev->count + 1) * sizeof *ix->gcs);
    ix->gc_reach = malloc((ev->count + 1) * sizeof *ix->gc_reach);
    int rc = SG_PROFILE_ENOMEM;
    if (order == NULL || open == NULL || ix->markers == NULL || ix->gcs == NULL ||
        ix->gc_reach == NULL)
        goto out;
    for (size_t i = 0; i < ev->count; i++)
        order[i] = (uint32_t)i;
    if ((rc = sg_sort_u32(order, ev->count, compare_event_time, ev->time_ns)) != 0)
        goto out;
    for (uint32_t t = 0; t <= nthreads; t++)
        open[t] = UNSET;
    uint64_t end = p->meta.duration_ns;
    if (p->samples.count > 0 && ix->order.start[nthreads] > 0)
        for (uint32_t t = 0; t < nthreads; t++)
            if (ix->order.start[t + 1] > ix->order.start[t] &&
                ix->time[ix->order.start[t + 1] - 1] > end)
                end = ix->time[ix->order.start[t + 1] - 1];
    for (size_t k = 0; k < ev->count; k++) {
        uint32_t i = order[k];
        uint32_t slot = ev->thread[i] < nthreads ? ev->thread[i] : nthreads;
        if (ev->kind[i] == SG_EVENT_MARKER) {
            ix->markers[ix->marker_count++] = i;
        } else if (ev->kind[i] == SG_EVENT_GC_START) {
            if (open[slot] == UNSET)
                open[slot] = i; /* a nested start (should not happen) keeps the outer one */
        } else if (ev->kind[i] == SG_EVENT_GC_STOP && open[slot] != UNSET) {
            uint32_t s = open[slot];
            ix->gcs[ix->gc_count++] =
                (sg_tl_gc){ev->time_ns[s], ev->time_ns[i], ev->thread[s], ev->label[s]};
            open[slot] = UNSET;
        }
    }
    for (uint32_t t = 0; t <= nthreads; t++)
        if (open[t] != UNSET) {
            uint32_t s = open[t];
            uint64_t stop = end > ev->time_ns[s] ? end : ev->time_ns[s];
            ix->gcs[ix->gc_count++] = (sg_tl_gc){ev->time_ns[s], stop, ev->thread[s], ev->label[s]};
        }
    if (ix->gc_count > 1)
        qsort(ix->gcs, ix->gc_count, sizeof *ix->gcs, compare_gc);
    uint64_t reach = 0;
    for (size_t i = 0; i < ix->gc_count; i++) {
        if (ix->gcs[i].end_ns > reach)
            reach = ix->gcs[i].end_ns;
        ix->gc_reach[i] = reach;
    }
    rc = SG_PROFILE_OK;
out:
    free(order);
    free(open);
    return rc;
}

/* Row r's path at paths[0 .. 1 + 2 depth): false when its parent chain
 * disagrees with its depths (then no paths are used). */
static bool write_path(const sg_stacks *st, uint32_t r, uint32_t *paths)
{
    uint32_t d = st->rows[r].depth, k = d;
    paths[0] = d;
    for (uint32_t row = r; row != SG_STACK_NONE; row = st->rows[row].parent, k--) {
        if (k == 0 || row >= st->count || st->rows[row].depth != k)
            return false;
        paths[2 * k - 1] = row;
        paths[2 * k] = st->rows[row].frame;
    }
    return k == 0;
}

/* The paths of the stacks samples use (timeline.h); left out (NULL, not
 * an error) when they would be large or inconsistent. */
static int index_paths(const sg_profile *p, sg_tlindex *ix)
{
    const sg_stacks *st = &p->stacks;
    const sg_samples *s = &p->samples;
    uint32_t *off = malloc(((size_t)st->count + 1) * sizeof *off);
    if (off == NULL)
        return SG_PROFILE_ENOMEM;
    for (uint32_t r = 0; r < st->count; r++)
        off[r] = UNSET;
    size_t words = 0, limit = 2 * (size_t)st->count + s->count + 4096;
    for (size_t i = 0; i < s->count && words <= limit; i++) {
        uint32_t r = s->stack[i];
        if (r < st->count && off[r] == UNSET) {
            off[r] = 0; /* used; placed below */
            words += 1 + 2 * (size_t)st->rows[r].depth;
        }
    }
    uint32_t *paths =
        words <= limit && words < UINT32_MAX ? malloc((words + 1) * sizeof *paths) : NULL;
    size_t at = 0;
    for (uint32_t r = 0; paths != NULL && r < st->count; r++) {
        if (off[r] == UNSET)
            continue;
        off[r] = (uint32_t)at;
        if (!write_path(st, r, paths + at)) {
            free(paths);
            paths = NULL;
            break;
        }
        at += 1 + 2 * (size_t)st->rows[r].depth;
    }
    if (paths == NULL) {
        free(off);
        return SG_PROFILE_OK;
    }
    ix->path_off = off;
    ix->paths = paths;
    ix->path_words = at;
    return SG_PROFILE_OK;
}

int sg_tlindex_build(const sg_profile *p, sg_tlindex *ix)
{
    memset(ix, 0, sizeof *ix);
    ix->profile = p;
    const sg_samples *s = &p->samples;
    int rc = sg_timeline_build(p, &ix->order);
    if (rc != 0)
        return rc;
    size_t n = ix->order.start[p->threads.count];
    ix->time = malloc((n + 1) * sizeof *ix->time);
    ix->node = malloc(((size_t)p->stacks.count + 1) * sizeof *ix->node);
    if (ix->time == NULL || ix->node == NULL) {
        rc = SG_PROFILE_ENOMEM;
        goto out;
    }
    bool unit = true;
    for (size_t pos = 0; pos < n; pos++) {
        uint32_t i = ix->order.index[pos];
        ix->time[pos] = s->time_ns[i];
        unit &= s->weight[i] == 1;
    }
    if (!unit) {
        ix->cum_weight = malloc((n + 1) * sizeof *ix->cum_weight);
        if (ix->cum_weight == NULL) {
            rc = SG_PROFILE_ENOMEM;
            goto out;
        }
        ix->cum_weight[0] = 0;
        for (size_t pos = 0; pos < n; pos++)
            ix->cum_weight[pos + 1] = ix->cum_weight[pos] + s->weight[ix->order.index[pos]];
    }
    if ((rc = call_nodes(&p->stacks, ix->node)) == 0 && (rc = index_events(p, ix)) == 0)
        rc = index_paths(p, ix);
out:
    if (rc != 0)
        sg_tlindex_free(ix);
    return rc;
}

void sg_tlindex_free(sg_tlindex *ix)
{
    sg_timeline_free(&ix->order);
    free(ix->time);
    free(ix->cum_weight);
    free(ix->node);
    free(ix->path_off);
    free(ix->paths);
    free(ix->markers);
    free(ix->gcs);
    free(ix->gc_reach);
    memset(ix, 0, sizeof *ix);
}

/* ---- the query ---------------------------------------------------------- */

typedef struct query {
    const sg_tlindex *ix;
    const sg_profile *p;
    const sg_view_resolved *view;
    const sg_stacks *stacks; /* the view's (or the profile's) */
    const uint32_t *node;    /* call node per row of stacks; NULL through a view */
    uint64_t t0, span;       /* t1 - t0 */
    uint32_t width;
    sg_tl *out;
    /* scratch, per thread */
    uint64_t *col_weight; /* width + 1 prefix sums */
    uint64_t *col_samples;
    size_t *col_rep;                /* per column: its representative's position, SIZE_MAX: none */
    uint32_t *col_stack;            /* per column: the drawn stack, SG_STACK_NONE: none */
    uint32_t *open_row, *open_slot; /* open spans per depth: the row last seen there */
    uint32_t *open_frame;           /* and its frame */
    const uint32_t *path_off;       /* the index's paths, when they are of q->stacks */
    uint32_t *path;                 /* (row, frame) pairs by depth of the stack being opened */
    size_t open_cap;
    uint32_t run_x; /* runs mode: the column of the last run */
} query;

static uint64_t boundary(const query *q, uint32_t k)
{
    return q->t0 + (uint64_t)((unsigned __int128)q->span * k / q->width);
}

/* The column holding time t (t0 <= t < t1). */
static uint32_t column_of(const query *q, uint64_t t)
{
    uint32_t x = (uint32_t)((unsigned __int128)(t - q->t0) * q->width / q->span);
    while (x + 1 < q->width && boundary(q, x + 1) <= t)
        x++; /* rounding: make b(x) <= t < b(x + 1) exact */
    while (x > 0 && boundary(q, x) > t)
        x--;
    return x;
}

/* The first position in [lo, hi) whose time is >= x; times before lo are < x. */
static size_t gallop(const uint64_t *time, size_t lo, size_t hi, uint64_t x)
{
    if (lo >= hi || time[lo] >= x)
        return lo;
    size_t prev = lo, step = 1;
    while (prev + step < hi && time[prev + step] < x) {
        prev += step;
        step *= 2;
    }
    size_t a = prev + 1, b = prev + step < hi ? prev + step : hi;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (time[mid] < x)
            a = mid + 1;
        else
            b = mid;
    }
    return a;
}

static int reserve_open(query *q, size_t depth)
{
    if (depth <= q->open_cap)
        return SG_PROFILE_OK;
    size_t cap = q->open_cap == 0 ? 64 : q->open_cap;
    while (cap < depth)
        cap *= 2;
    uint32_t *a = realloc(q->open_row, cap * sizeof *a);
    if (a == NULL)
        return SG_PROFILE_ENOMEM;
    q->open_row = a;
    uint32_t *b = realloc(q->open_slot, cap * sizeof *b);
    if (b == NULL)
        return SG_PROFILE_ENOMEM;
    q->open_slot = b;
    uint32_t *c = realloc(q->path, 2 * cap * sizeof *c); /* (row, frame) by depth */
    if (c == NULL)
        return SG_PROFILE_ENOMEM;
    q->path = c;
    uint32_t *f = realloc(q->open_frame, cap * sizeof *f);
    if (f == NULL)
        return SG_PROFILE_ENOMEM;
    q->open_frame = f;
    q->open_cap = cap;
    return SG_PROFILE_OK;
}

/* Runs mode: the run at column x that closes the open spans at depths
 * >= keep and opens n, when it changes anything (timeline_compact.h). */
static int add_run(query *q, uint32_t depth, uint32_t keep, uint32_t n, uint32_t x)
{
    if (keep == depth && n == 0)
        return SG_PROFILE_OK;
    sg_tl *out = q->out;
    int rc = sg_grow_reserve((void **)&out->runs, &out->runs_cap, 3 * (out->run_count + 1),
                             sizeof *out->runs);
    if (rc != 0)
        return rc;
    uint32_t *r = out->runs + 3 * out->run_count++;
    r[0] = x - q->run_x;
    r[1] = keep;
    r[2] = n;
    q->run_x = x;
    return SG_PROFILE_OK;
}

/* Close the open spans at depths >= keep, at column x. */
static void close_spans(query *q, uint32_t *depth, uint32_t keep, uint32_t x)
{
    if (q->out->want_runs) { /* nothing to complete: the run says it */
        if (*depth > keep)
            *depth = keep;
        return;
    }
    while (*depth > keep) {
        sg_tl_span *sp = &q->out->spans[q->open_slot[--*depth]];
        sp->x1 = x;
        sp->end_ns = boundary(q, x);
        sp->samples = q->col_samples[x] - q->col_samples[sp->x0];
        sp->weight = q->col_weight[x] - q->col_weight[sp->x0];
    }
}

/*
 * Make the open spans those of a stack at column x, given its (row, frame)
 * pairs by depth: pair[2 i], pair[2 i + 1] at depth i + 1 for i in
 * [keep, len), the open spans below keep being already its own. keep then
 * extends while the frames agree (rows that differ only in lines are the
 * same path: the span continues with the new row); the open spans above
 * close and the rest of the stack opens.
 */
static int open_pairs(query *q, uint32_t thread, uint32_t *depth, const uint32_t *pair,
                      uint32_t keep, uint32_t len, uint32_t x)
{
    uint32_t common = len < *depth ? len : *depth;
    for (; keep < common && pair[2 * keep + 1] == q->open_frame[keep]; keep++)
        q->open_row[keep] = pair[2 * keep];
    uint32_t n = len - keep;
    sg_tl *out = q->out;
    int rc;
    if (out->want_runs) {
        if ((rc = add_run(q, *depth, keep, n, x)) != 0 ||
            (rc = sg_grow_reserve((void **)&out->frames, &out->frames_cap, out->frame_count + n,
                                  sizeof *out->frames)) != 0)
            return rc;
        for (uint32_t d = keep; d < len; d++) {
            out->frames[out->frame_count++] = pair[2 * d + 1];
            q->open_row[d] = pair[2 * d];
            q->open_frame[d] = pair[2 * d + 1];
        }
        *depth = len;
        return SG_PROFILE_OK;
    }
    close_spans(q, depth, keep, x);
    if ((rc = sg_grow_reserve((void **)&out->spans, &out->span_cap, out->span_count + n,
                              sizeof *out->spans)) != 0)
        return rc;
    for (uint32_t d = keep; d < len; d++) {
        uint32_t row = pair[2 * d];
        out->spans[out->span_count] = (sg_tl_span){.thread = thread,
                                                   .depth = d,
                                                   .frame = pair[2 * d + 1],
                                                   .node = q->node == NULL ? row : q->node[row],
                                                   .x0 = x,
                                                   .start_ns = boundary(q, x)};
        q->open_row[d] = row;
        q->open_frame[d] = pair[2 * d + 1];
        q->open_slot[d] = (uint32_t)out->span_count++;
    }
    *depth = len;
    return SG_PROFILE_OK;
}

/*
 * open_pairs for stack s (a row of q->stacks). Walking up from s stops at
 * the first row that is the very row last seen at its depth (the rest of
 * the path above is then the same); the rows walked are laid out by depth
 * in q->path as the index's paths are. So a column costs the depth that
 * changed, and needs no call node per row.
 */
static int open_spans(query *q, uint32_t thread, uint32_t *depth, uint32_t s, uint32_t x)
{
    const sg_stack_row *rows = q->stacks->rows;
    int rc = reserve_open(q, rows[s].depth);
    if (rc != 0)
        return rc;
    uint32_t r = s;
    while (r != SG_STACK_NONE) {
        uint32_t d = rows[r].depth;
        if (d <= *depth && q->open_row[d - 1] == r)
            break;
        q->path[2 * (d - 1)] = r;
        q->path[2 * (d - 1) + 1] = rows[r].frame;
        r = rows[r].parent;
    }
    uint32_t keep = r == SG_STACK_NONE ? 0 : rows[r].depth;
    return open_pairs(q, thread, depth, q->path, keep, rows[s].depth, x);
}

/*
 * open_spans for a stack with a path in the index (timeline.h): the same
 * spans and runs, read from the path's contiguous (row, frame) pairs
 * instead of a row per depth. The open rows are the previous column's
 * path, so the rows kept are the common prefix of the two paths (a row
 * names its whole path).
 */
static int open_spans_path(query *q, uint32_t thread, uint32_t *depth, const uint32_t *path,
                           uint32_t x)
{
    uint32_t len = path[0];
    const uint32_t *pair = path + 1;
    int rc = reserve_open(q, len);
    if (rc != 0)
        return rc;
    uint32_t common = len < *depth ? len : *depth, keep = 0;
    while (keep < common && pair[2 * keep] == q->open_row[keep])
        keep++;
    return open_pairs(q, thread, depth, pair, keep, len, x);
}

static const uint32_t STATES[3] = {SG_SAMPLE_ON_CPU, SG_SAMPLE_HOLDS_GIL, SG_SAMPLE_IDLE};

/* The state lanes of one thread from its per-column flags (0 = empty). */
static int emit_states(query *q, uint32_t thread, const uint8_t *flags)
{
    sg_tl *out = q->out;
    for (int k = 0; k < 3; k++) {
        uint32_t run = UNSET;
        for (uint32_t x = 0; x <= q->width; x++) {
            bool on = x < q->width && (flags[x] & STATES[k]);
            if (on && run == UNSET)
                run = x;
            if (!on && run != UNSET) {
                int rc = sg_grow_reserve((void **)&out->states, &out->state_cap,
                                         out->state_count + 1, sizeof *out->states);
                if (rc != 0)
                    return rc;
                out->states[out->state_count++] =
                    (sg_tl_state){thread, STATES[k], run, x, boundary(q, run), boundary(q, x)};
                run = UNSET;
            }
        }
    }
    return SG_PROFILE_OK;
}

/*
 * A thread's lane in three passes over its columns, so that the random
 * reads of one pass do not wait on each other: each pass's loads depend
 * only on an earlier pass, and the core overlaps their cache misses (on
 * 10M samples every column's representative, its stack and its rows are
 * misses: one after another they were most of a pan's time).
 *   1. the samples of each column (galloping searches in the thread's
 *      times), their prefix sums and the representative's position;
 *   2. the representative's sample index, then its flags and drawn stack;
 *   3. per block of LANE_BLOCK columns: the rows of their stacks read
 *      once in lockstep (one load per column per step, all independent),
 *      then the spans opened and closed from rows now in cache.
 *      With the index's paths (the profile's own stacks) there is no row
 *      to read: each column's path is a few sequential cache lines.
 */
#define LANE_BLOCK 16

/* Pass 1: col_samples / col_weight prefix sums and col_rep (the
 * representative's position in the thread's order, SIZE_MAX: none). */
static void lane_columns(query *q, uint32_t thread)
{
    const sg_tlindex *ix = q->ix;
    const uint64_t *time = ix->time;
    size_t g0 = ix->order.start[thread], g1 = ix->order.start[thread + 1];
    size_t a = gallop(time, g0, g1, q->t0);
    /* all weights 1 (no prefix sums): every sample lasts as long */
    uint64_t unit_duration =
        ix->cum_weight == NULL && g0 < g1 ? sg_timeline_duration(q->p, ix->order.index[g0]) : 0;
    q->col_weight[0] = q->col_samples[0] = 0;
    for (uint32_t x = 0; x < q->width; x++) {
        uint64_t b0 = boundary(q, x), b1 = boundary(q, x + 1);
        uint64_t mid = b0 + (b1 - b0) / 2;
        size_t e = gallop(time, a, g1, b1);
        size_t after_mid = gallop(time, a, g1, mid + 1); /* g1: b1 may equal mid */
        size_t rep = SIZE_MAX;
        if (after_mid > g0) { /* the last sample at or before mid: does it cover mid? */
            size_t j = after_mid - 1;
            uint64_t duration = ix->cum_weight == NULL
                                    ? unit_duration
                                    : sg_timeline_duration(q->p, ix->order.index[j]);
            uint64_t end = time[j] + duration;
            if (j + 1 < g1 && time[j + 1] < end)
                end = time[j + 1];
            if (end > mid)
                rep = j;
        }
        if (rep == SIZE_MAX && a < e)
            rep = a;
        uint64_t w = ix->cum_weight == NULL ? e - a : ix->cum_weight[e] - ix->cum_weight[a];
        q->col_weight[x + 1] = q->col_weight[x] + w;
        q->col_samples[x + 1] = q->col_samples[x] + (e - a);
        q->col_rep[x] = rep;
        a = e;
    }
}

/* Pass 2: flags[x] and col_stack[x] (SG_STACK_NONE: nothing drawn). The
 * per-sample test is sg_view_sample_stack's, minus what the lane already
 * knows: the thread is kept, and the time is the index's (in cache). */
static void lane_stacks(query *q, uint8_t *flags)
{
    const sg_tlindex *ix = q->ix;
    const sg_samples *s = &q->p->samples;
    const sg_view_resolved *v = q->view;
    uint32_t *sample = q->col_stack; /* first the sample indexes, in place */
    for (uint32_t x = 0; x < q->width; x++)
        sample[x] = q->col_rep[x] == SIZE_MAX ? UNSET : ix->order.index[q->col_rep[x]];
    for (uint32_t x = 0; x < q->width; x++) {
        uint32_t i = sample[x];
        if (i == UNSET) {
            flags[x] = 0;
            sample[x] = SG_STACK_NONE;
            continue;
        }
        uint8_t f = s->flags[i];
        uint32_t st = s->stack[i];
        flags[x] = f;
        if (v != NULL) {
            uint64_t t = ix->time[q->col_rep[x]];
            if ((!v->check_time && (i < v->first || i >= v->last)) ||
                (f & v->flags_set) != v->flags_set || (f & v->flags_clear) != 0 ||
                (v->check_time && (t < v->t0_ns || (v->t1_ns != 0 && t >= v->t1_ns))))
                st = SG_VIEW_DROPPED;
            else if (st == SG_STACK_NONE)
                st = v->map_none;
            else if (!v->map_identity)
                st = v->map[st];
        }
        sample[x] = st == SG_VIEW_DROPPED ? SG_STACK_NONE : st;
    }
}

/* Pass 3a: read the rows of the stacks of columns [x0, x1) to the root, one
 * level of every column per step, so their misses overlap. Only the
 * loads matter: the empty asm takes the rows read as an input, so that
 * the compiler cannot drop the loop as having no effect. */
static void lane_warm_rows(const query *q, uint32_t x0, uint32_t x1)
{
    const sg_stack_row *rows = q->stacks->rows;
    uint32_t cur[LANE_BLOCK], n = 0, seen = 0;
    for (uint32_t x = x0; x < x1; x++)
        if (q->col_stack[x] != SG_STACK_NONE)
            cur[n++] = q->col_stack[x];
    while (n > 0) {
        uint32_t live = 0;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t parent = rows[cur[k]].parent;
            if (parent != SG_STACK_NONE)
                cur[live++] = parent;
        }
        seen += n;
        n = live;
    }
    __asm__ volatile("" : : "r"(seen));
}

/* Pass 3, with paths: where each column's path starts (in col_rep, which
 * pass 2 was the last to need), SIZE_MAX: none; all the loads at once. */
static void lane_path_offsets(query *q)
{
    for (uint32_t x = 0; x < q->width; x++) {
        uint32_t s = q->col_stack[x];
        uint32_t off = s == SG_STACK_NONE ? UNSET : q->path_off[s];
        q->col_rep[x] = off == UNSET ? SIZE_MAX : off;
    }
}

/* Ask for the paths of columns [x0, x1) ahead of their use: their first
 * cache lines (a path of depth 40 is 5 lines), PATH_AHEAD columns before
 * they are laid out (a block is laid out in about a memory latency). */
#define PATH_AHEAD (4 * LANE_BLOCK)
static void lane_prefetch_paths(const query *q, uint32_t x0, uint32_t x1)
{
    for (uint32_t x = x0; x < x1; x++)
        if (q->col_rep[x] != SIZE_MAX) {
            const uint32_t *path = q->ix->paths + q->col_rep[x];
            for (int line = 0; line < 6; line++)
                __builtin_prefetch(path + 16 * line);
        }
}

static int thread_lane(query *q, uint32_t thread, uint8_t *flags)
{
    lane_columns(q, thread);
    lane_stacks(q, flags);
    if (q->path_off != NULL) {
        lane_path_offsets(q);
        lane_prefetch_paths(q, 0, q->width < PATH_AHEAD ? q->width : PATH_AHEAD);
    }
    uint32_t depth = 0;
    int rc = SG_PROFILE_OK;
    for (uint32_t x0 = 0; x0 < q->width && rc == 0; x0 += LANE_BLOCK) {
        uint32_t x1 = q->width - x0 > LANE_BLOCK ? x0 + LANE_BLOCK : q->width;
        if (q->path_off == NULL)
            lane_warm_rows(q, x0, x1);
        else if (x1 + PATH_AHEAD - LANE_BLOCK < q->width) /* the block PATH_AHEAD columns on */
            lane_prefetch_paths(q, x1 + PATH_AHEAD - LANE_BLOCK,
                                q->width - (x1 + PATH_AHEAD - LANE_BLOCK) > LANE_BLOCK
                                    ? x1 + PATH_AHEAD
                                    : q->width);
        for (uint32_t x = x0; x < x1 && rc == 0; x++) {
            uint32_t s = q->col_stack[x];
            if (s == SG_STACK_NONE) {
                if (q->out->want_runs)
                    rc = add_run(q, depth, 0, 0, x);
                close_spans(q, &depth, 0, x);
            } else if (q->path_off != NULL && q->col_rep[x] != SIZE_MAX)
                rc = open_spans_path(q, thread, &depth, q->ix->paths + q->col_rep[x], x);
            else
                rc = open_spans(q, thread, &depth, s, x);
        }
    }
    close_spans(q, &depth, 0, q->width);
    if (rc == 0)
        rc = emit_states(q, thread, flags);
    return rc;
}

static bool thread_kept(const query *q, uint32_t thread)
{
    if (q->view == NULL || q->view->threads == NULL || thread == SG_THREAD_NONE)
        return true;
    return q->view->threads[thread];
}

/* Append an event entry, or merge it into the thread's last entry when
 * they touch the same column. last[thread slot] = that entry's index. */
static int add_event(query *q, size_t *last, uint32_t slot, sg_tl_event e)
{
    sg_tl *out = q->out;
    if (last[slot] != SIZE_MAX) {
        sg_tl_event *l = &out->events[last[slot]];
        if (l->kind == e.kind && e.x0 < l->x1) {
            if (e.x1 > l->x1)
                l->x1 = e.x1;
            if (e.end_ns > l->end_ns)
                l->end_ns = e.end_ns;
            l->count++;
            return SG_PROFILE_OK;
        }
    }
    int rc = sg_grow_reserve((void **)&out->events, &out->event_cap, out->event_count + 1,
                             sizeof *out->events);
    if (rc != 0)
        return rc;
    last[slot] = out->event_count;
    out->events[out->event_count++] = e;
    return SG_PROFILE_OK;
}

static int query_events(query *q)
{
    const sg_tlindex *ix = q->ix;
    const sg_events *ev = &q->p->events;
    uint32_t nthreads = q->p->threads.count;
    uint64_t t1 = q->t0 + q->span;
    size_t *last = malloc(((size_t)nthreads + 1) * sizeof *last);
    if (last == NULL)
        return SG_PROFILE_ENOMEM;
    for (uint32_t t = 0; t <= nthreads; t++)
        last[t] = SIZE_MAX;
    int rc = SG_PROFILE_OK;
    /* GCs overlapping [t0, t1): reach > t0 (reach never decreases) and start < t1 */
    size_t lo = 0, hi = ix->gc_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->gc_reach[mid] <= q->t0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < ix->gc_count && ix->gcs[i].start_ns < t1 && rc == 0; i++) {
        const sg_tl_gc *g = &ix->gcs[i];
        if (g->end_ns <= q->t0 || !thread_kept(q, g->thread))
            continue;
        uint64_t s = g->start_ns > q->t0 ? g->start_ns : q->t0;
        uint32_t x0 = column_of(q, s);
        uint32_t x1 = g->end_ns >= t1 ? q->width : column_of(q, g->end_ns - 1) + 1;
        if (x1 <= x0)
            x1 = x0 + 1;
        uint32_t slot = g->thread < nthreads ? g->thread : nthreads;
        rc = add_event(q, last, slot,
                       (sg_tl_event){g->thread, SG_EVENT_GC_START, g->label, 1, x0, x1, g->start_ns,
                                     g->end_ns});
    }
    for (uint32_t t = 0; t <= nthreads; t++)
        last[t] = SIZE_MAX;
    lo = 0;
    hi = ix->marker_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ev->time_ns[ix->markers[mid]] < q->t0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k < ix->marker_count && rc == 0; k++) {
        uint32_t i = ix->markers[k];
        if (ev->time_ns[i] >= t1)
            break;
        if (!thread_kept(q, ev->thread[i]))
            continue;
        uint32_t x = column_of(q, ev->time_ns[i]);
        uint32_t slot = ev->thread[i] < nthreads ? ev->thread[i] : nthreads;
        rc = add_event(q, last, slot,
                       (sg_tl_event){ev->thread[i], SG_EVENT_MARKER, ev->label[i], 1, x, x + 1,
                                     ev->time_ns[i], ev->time_ns[i]});
    }
    free(last);
    return rc;
}

int sg_tl_query_part(const sg_tlindex *ix, const sg_view_resolved *view, uint64_t t0_ns,
                     uint64_t t1_ns, uint32_t width, uint32_t first, uint32_t last,
                     bool with_events, sg_tl *out)
{
    out->span_count = out->state_count = out->event_count = 0; /* the arrays stay */
    out->run_count = out->frame_count = 0;
    if (t1_ns <= t0_ns || width == 0)
        return SG_PROFILE_EINVAL;
    const sg_profile *p = ix->profile;
    if (view != NULL && view->profile != p)
        return SG_PROFILE_EINVAL;
    if (last > p->threads.count)
        last = p->threads.count;
    out->t0_ns = t0_ns;
    out->t1_ns = t1_ns;
    out->width = width;
    query q = {.ix = ix,
               .p = p,
               .view = view,
               .stacks = view == NULL ? &p->stacks : view->stacks,
               .node = view == NULL ? ix->node : NULL, /* the index's are for p->stacks */
               .path_off = view == NULL || view->stacks == &p->stacks ? ix->path_off : NULL,
               .t0 = t0_ns,
               .span = t1_ns - t0_ns,
               .width = width,
               .out = out};
    uint8_t *flags = NULL;
    int rc = SG_PROFILE_OK;
    if (first < last) {
        flags = malloc((size_t)width + 1);
        if (out->col_weight_cap < (size_t)width + 1) { /* kept in out: see timeline.h */
            free(out->col_weight);
            out->col_weight_cap = 0;
            if ((out->col_weight = malloc(((size_t)width + 1) * sizeof *out->col_weight)) != NULL)
                out->col_weight_cap = (size_t)width + 1;
        }
        q.col_weight = out->col_weight;
        q.col_samples = malloc(((size_t)width + 1) * sizeof *q.col_samples);
        q.col_rep = malloc((size_t)width * sizeof *q.col_rep);
        q.col_stack = malloc((size_t)width * sizeof *q.col_stack);
        if (flags == NULL || q.col_weight == NULL || q.col_samples == NULL || q.col_rep == NULL ||
            q.col_stack == NULL)
            rc = SG_PROFILE_ENOMEM;
    }
    for (uint32_t t = first; t < last && rc == 0; t++)
        if (thread_kept(&q, t))
            rc = thread_lane(&q, t, flags);
    if (rc == 0 && with_events)
        rc = query_events(&q);
    free(flags);
    free(q.col_samples);
    free(q.col_rep);
    free(q.col_stack);
    free(q.open_row);
    free(q.open_slot);
    free(q.open_frame);
    free(q.path);
    if (rc != 0)
        out->span_count = out->state_count = out->event_count = out->run_count = out->frame_count =
            0;
    return rc;
}

int sg_tl_query(const sg_tlindex *ix, const sg_view_resolved *view, uint64_t t0_ns, uint64_t t1_ns,
                uint32_t width, sg_tl *out)
{
    memset(out, 0, sizeof *out);
    int rc = sg_tl_query_part(ix, view, t0_ns, t1_ns, width, 0, UINT32_MAX, true, out);
    if (rc != 0)
        sg_tl_free(out);
    return rc;
}

void sg_tl_free(sg_tl *t)
{
    free(t->spans);
    free(t->states);
    free(t->events);
    free(t->col_weight);
    free(t->runs);
    free(t->frames);
    memset(t, 0, sizeof *t);
}
