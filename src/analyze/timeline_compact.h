/*
 * timeline_compact.h — one thread's flame-chart spans (timeline.h) as
 * "runs": the compact timeline encoding that the server sends on
 * `enc=compact` (docs/api.md) and the viewer decodes.
 *
 * Why: on 10M samples a pan is ~460,000 spans, and 99.7 % of them are one
 * column wide (deep stacks that change on every column). Written as five
 * numbers per span (x0, x1, depth, frame, weight) the answer is ~9 MB of
 * JSON, and writing it was most of a pan's CPU. But spans nest: sorted by
 * x0 then depth, the spans opened at one column have consecutive depths
 * starting at the number still open, and a span ends exactly where the
 * open spans above some depth are closed. So a thread's spans are the
 * frame of each span plus, per column where anything opens or closes, one
 * triple:
 *     (dx, keep, n)   x += dx; close (x1 = x) the open spans at depths
 *                     >= keep; open n spans (x0 = x, depths keep..keep+n-1,
 *                     the next n frames, in span order).
 * Spans still open after the last run end at `width`. x starts at 0; the
 * first run's dx may be 0, every later dx is >= 1. The weight of a span is
 * the sum of its columns' weights (timeline.h), so the encoding sends the
 * thread's column weights once instead of a weight per span.
 *
 * Invariants: decode(encode(spans)) gives back exactly x0, x1 and depth
 * of every span, in the same order; encode refuses (SG_PROFILE_EINVAL)
 * spans that do not nest that way, rather than produce runs that decode
 * to something else; decode refuses runs that are not well formed (a
 * keep above the open count, x going back or past width, span counts
 * that disagree) and reads nothing past its inputs. Neither recurses.
 *
 * Ownership: sg_tl_runs owns its arrays and is reused between threads and
 * encodes (zeroed before the first use; sg_tl_runs_free releases it).
 */
#ifndef SG_ANALYZE_TIMELINE_COMPACT_H
#define SG_ANALYZE_TIMELINE_COMPACT_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/timeline.h"

typedef struct sg_tl_runs {
    uint32_t *runs;   /* run_count triples (dx, keep, n) */
    size_t run_count; /* triples */
    size_t runs_cap;  /* uint32 slots allocated */
    uint32_t *stack;  /* scratch: the open spans */
    size_t stack_cap;
} sg_tl_runs;

/*
 * The runs of spans[0..n), one thread's spans as sg_tl_query_part gives
 * them (by x0, then depth), over `width` columns, into out (refilled).
 * SG_PROFILE_EINVAL when they do not nest as above, SG_PROFILE_ENOMEM.
 */
int sg_tl_runs_encode(const sg_tl_span *spans, size_t n, uint32_t width, sg_tl_runs *out);

/*
 * The spans of runs[0..3 * run_count) over width columns: x0, x1 and
 * depth of spans[0..n) (other fields untouched), n being the number of
 * frames that came with the runs. SG_PROFILE_EINVAL when the runs are not
 * well formed or do not open exactly n spans; SG_PROFILE_ENOMEM.
 */
int sg_tl_runs_decode(const uint32_t *runs, size_t run_count, uint32_t width, sg_tl_span *spans,
                      size_t n);

void sg_tl_runs_free(sg_tl_runs *r);

#endif
