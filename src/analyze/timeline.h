/*
 * timeline.h — the flame chart of each thread over a time range, reduced
 * to a pixel width: stack spans, thread-state lanes and events, where
 * nothing narrower than one pixel is emitted.
 *
 * Two steps, so panning and zooming stay cheap on 10M samples:
 *
 *   sg_tlindex_build (once per profile; the server keeps it with the
 *   profile): per thread, its samples in time order (sample_timeline.h)
 *   with a contiguous copy of their times and, unless every weight is 1,
 *   a prefix sum of weights; per stack row its "call node" (the first row
 *   with the same path of frames, lines ignored); the markers in time
 *   order and the GC start/stop pairs as intervals; and per distinct
 *   stack of a sample its path, the (row, frame) of each depth from the
 *   root, in one contiguous array, so that a column's stack is read as a
 *   few sequential cache lines rather than a random row per depth (on 10M
 *   samples those misses were a fifth of a pan's CPU). Memory: 12 bytes
 *   per sample (20 when weights vary) + 8 per stack row + 8 per depth of
 *   each distinct sample stack (the paths are left out when they would
 *   pass 2 words per stack row and 1 per sample, i.e. grow the index by
 *   more than a third: the query then walks the rows) + 16..32 per event.
 *
 *   sg_tl_query (per request): for each pixel column of [t0, t1) and each
 *   thread, two galloping binary searches in that thread's times give the
 *   samples in the column and its representative; the work is
 *   O(threads × width × (log(samples per column) + changed depth)),
 *   independent of how many samples the range holds.
 *
 * Pixel semantics. Column k is [b(k), b(k+1)) with b(k) = t0 + (t1 - t0)
 * × k / width (integer ns). A sample covers [time, min(time + duration,
 * next sample of its thread)) (duration: sg_timeline_duration). The
 * column's representative is the sample covering the column's midpoint,
 * or, when none does, the first sample in the column; a column with
 * neither is empty. The representative's stack (through the view: its
 * transformed stack, empty when the view drops the sample) is the
 * column's stack and its flags are the column's state. So every run of
 * one stack at least one pixel long is drawn (it covers a midpoint), and
 * shorter detail is MERGED into the column's representative rather than
 * dropped from the accounting:
 *   - spans: consecutive columns whose stacks share the same frames down
 *     to depth d (frame ids; lines are ignored, so a loop moving from line
 *     to line stays one span) form one span at depth d, [x0, x1) in
 *     columns, at least one pixel wide. span.samples / span.weight are the
 *     number / weight of ALL the thread's samples whose time lies in the
 *     span's columns, whatever their stack or flags: the depth-0 spans of
 *     a thread add up to the weight of its non-empty columns.
 *   - states: for each of ON_CPU, HOLDS_GIL and IDLE, the runs of columns
 *     whose representative has that flag, as intervals.
 *   - events: GC start/stop pairs (per thread, a stop closes the thread's
 *     open start; a start never stopped ends at the profile's end, a stop
 *     never started is ignored) as intervals overlapping [t0, t1), and
 *     markers as instants in it; snapped to columns (an interval is at
 *     least one column wide) and merged per thread when they share a
 *     column: `count` says how many events one entry stands for, `label`
 *     is the first one's.
 *
 * Threads: those the view keeps (all when view is NULL), in thread-index
 * order; a thread without a non-empty column in the range has no spans.
 * The view's own time range and state filters drop samples like any
 * query's (their columns draw no stack), and its stack transforms
 * (focus, exclude, hide, collapse) change the drawn stacks.
 *
 * Nothing recurses on stack depth: the open spans are an explicit stack.
 *
 * Ownership: sg_tlindex_build fills an index that borrows the profile
 * (which must outlive it unchanged); free with sg_tlindex_free.
 * sg_tl_query fills *out; free with sg_tl_free (also after a failure).
 * sg_tl_query_part refills an sg_tl that the caller keeps between calls
 * (zeroed before the first): its arrays are reused, so encoding a
 * timeline one thread at a time holds one thread's spans, not all of
 * them (on 10M samples the spans of all threads are tens of MB, fresh
 * pages on every pan).
 */
#ifndef SG_ANALYZE_TIMELINE_H
#define SG_ANALYZE_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/view.h"
#include "profile/sample_timeline.h"

typedef struct sg_tl_gc {
    uint64_t start_ns, end_ns;
    uint32_t thread; /* thread index or SG_THREAD_NONE */
    uint32_t label;  /* string id of the start event's label */
} sg_tl_gc;

typedef struct sg_tlindex {
    const sg_profile *profile; /* borrowed */
    sg_timeline order;         /* per thread: sample indexes in time order */
    uint64_t *time;            /* time of order.index[pos] */
    uint64_t *cum_weight;      /* positions + 1 prefix sums of weight; NULL: all weights 1 */
    uint32_t *node;            /* per stack row: its call node (a row id) */
    /* Per stack row of the profile: where its path starts in paths when it
     * is a sample's stack, else UINT32_MAX; NULL: no paths (see above).
     * paths[off] = depth d, then d pairs (row, frame), root first. */
    uint32_t *path_off;
    uint32_t *paths;
    size_t path_words;
    uint32_t *markers; /* event indexes of the markers, in time order */
    size_t marker_count;
    sg_tl_gc *gcs;      /* by start time */
    uint64_t *gc_reach; /* gc_reach[i] = largest end_ns of gcs[0..i] */
    size_t gc_count;
} sg_tlindex;

int sg_tlindex_build(const sg_profile *p, sg_tlindex *out);
void sg_tlindex_free(sg_tlindex *ix);

typedef struct sg_tl_span {
    uint32_t thread;
    uint32_t depth;  /* 0 = the root frame */
    uint32_t frame;  /* frame id */
    uint32_t node;   /* call node: a stack row (of the view's stack table) with this path */
    uint32_t x0, x1; /* columns [x0, x1), x1 > x0 */
    uint64_t start_ns, end_ns; /* b(x0), b(x1) */
    uint64_t samples, weight;
} sg_tl_span;

typedef struct sg_tl_state {
    uint32_t thread;
    uint32_t state; /* SG_SAMPLE_ON_CPU, SG_SAMPLE_HOLDS_GIL or SG_SAMPLE_IDLE */
    uint32_t x0, x1;
    uint64_t start_ns, end_ns;
} sg_tl_state;

typedef struct sg_tl_event {
    uint32_t thread;           /* thread index or SG_THREAD_NONE */
    uint8_t kind;              /* SG_EVENT_GC_START (an interval) or SG_EVENT_MARKER (an instant) */
    uint32_t label;            /* string id of the first event merged here */
    uint32_t count;            /* events merged into this entry */
    uint32_t x0, x1;           /* columns; a marker has x1 = x0 + 1 */
    uint64_t start_ns, end_ns; /* of the events themselves (first start, last end) */
} sg_tl_event;

typedef struct sg_tl {
    uint64_t t0_ns, t1_ns;
    uint32_t width;
    sg_tl_span *spans; /* by thread, then x0, then depth */
    size_t span_count;
    sg_tl_state *states; /* by thread, then state, then x0 */
    size_t state_count;
    sg_tl_event *events; /* GC intervals by start, then markers by time */
    size_t event_count;
    size_t span_cap, state_cap, event_cap; /* allocated room, kept for reuse */
    /* The last thread laid out by the query: width + 1 prefix sums of its
     * column weights (col_weight[x] = weight of columns [0, x)), so a
     * span's weight is col_weight[x1] - col_weight[x0]. Meaningful after a
     * sg_tl_query_part that laid out one kept thread (timeline_compact.h
     * sends them instead of a weight per span). */
    uint64_t *col_weight;
    size_t col_weight_cap;
    /* Runs mode, chosen by the caller before sg_tl_query_part: the spans
     * come out not as sg_tl_span (span_count stays 0) but as the runs of
     * timeline_compact.h, written while the columns are walked: run_count
     * triples (dx, keep, n) and the frame of each span (frame_count, in
     * span order). Exactly sg_tl_runs_encode of the spans the other mode
     * gives, without their 56 bytes each nor a second pass; for one thread
     * per call (the runs of several would run together). */
    bool want_runs;
    uint32_t *runs, *frames;
    size_t run_count, frame_count;
    size_t runs_cap, frames_cap; /* allocated elements, kept for reuse */
} sg_tl;

/*
 * The timeline of [t0_ns, t1_ns) at `width` pixels (see above). view may be
 * NULL (every sample, original stacks); else a view resolved over the same
 * profile. SG_PROFILE_EINVAL when t1_ns <= t0_ns or width is 0.
 */
int sg_tl_query(const sg_tlindex *ix, const sg_view_resolved *view, uint64_t t0_ns, uint64_t t1_ns,
                uint32_t width, sg_tl *out);
/*
 * Part of the same timeline, into out (reused, see Ownership): the spans
 * and states of the threads in [first, last) that the view keeps (last is
 * clamped to the thread count), and the events (all threads) when
 * with_events. Exactly the entries sg_tl_query gives for those threads,
 * in the same order. On failure out holds nothing (still free it).
 */
int sg_tl_query_part(const sg_tlindex *ix, const sg_view_resolved *view, uint64_t t0_ns,
                     uint64_t t1_ns, uint32_t width, uint32_t first, uint32_t last,
                     bool with_events, sg_tl *out);
void sg_tl_free(sg_tl *t);

#endif
