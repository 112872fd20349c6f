/*
 * view.h — the transforms every query takes (a "view" of a profile), and
 * their one-time resolution into a derived stack table plus per-row weights.
 *
 * A view is plain data (sg_view; a zero-initialised one is the whole
 * profile, so designated initialisers say only what they change):
 *
 *   per sample   time range [t0_ns, t1_ns) (t1_ns = 0: no upper bound),
 *                thread set, state flags that must be set / must be clear;
 *   per stack    exclude a function, focus on a function, hide frames (a
 *                POSIX extended regex on "qualname (file)", package kinds,
 *                named packages), collapse direct recursion.
 *
 * The stack transforms apply in this fixed order, to the ORIGINAL stack:
 *   1. exclude: a sample whose stack contains exclude_frame is dropped;
 *   2. focus:   a sample whose stack lacks focus_frame is dropped; the
 *               others are cut at the OLDEST occurrence of focus_frame,
 *               which becomes the root (everything above it is removed);
 *   3. hide:    hidden frames are removed from the stack (their callees
 *               move up to the nearest kept caller). The focus root is
 *               never hidden. A stack whose frames are all hidden becomes
 *               the empty stack: the sample is KEPT (it still counts in
 *               the 100 %) but has no frame, like a sample taken with no
 *               Python frame (SG_STACK_NONE);
 *   4. collapse recursion: consecutive frames with the same frame id
 *               (after hiding) merge into one, which keeps the line of the
 *               NEWEST of them (so self-by-line is unchanged). Only direct
 *               recursion is collapsed: A→B→A→B stays as it is.
 *               collapse_indirect collapses any recursion, where it is
 *               well defined: a frame already on the (transformed) stack
 *               cuts the stack back to its OLDEST occurrence, which takes
 *               the newer line, and the frames between are dropped, so no
 *               function appears twice on a stack: A→B→A→C becomes A→C
 *               (what a recursive descent "is doing", without the
 *               intermediate calls); it implies collapse_recursion. The
 *               cost is a walk up the transformed stack per row (at most
 *               the number of distinct functions, since none repeats).
 * Frame ids are compared, not names: one function is one frame.
 *
 * Resolution (sg_view_resolve) does, once per view:
 *   - one forward pass over the stack rows (parents have smaller ids) with
 *     memo arrays: map[original stack] = transformed stack id in a derived
 *     stack table (or SG_STACK_NONE for the empty stack, or
 *     SG_VIEW_DROPPED). With no stack transform the derived table IS the
 *     profile's (no copy) and map is the identity.
 *   - one pass over the samples that passes the per-sample test (time
 *     range cut by binary search when the time column is sorted — proved
 *     by one sequential scan — else tested per sample, branch-free) and
 *     counts the kept samples per ORIGINAL row in 32-bit counters (small
 *     enough to stay within the TLB's reach), then folds them into the
 *     derived rows through map, per row (row_weight, row_samples);
 *     weights are summed by a second pass only when some kept weight is
 *     not 1. About 20 ms for 10M samples over 1.7M rows.
 * After that every query of the view (call tree, function table,
 * butterfly, treemap, call graph) is linear in derived stack rows, never
 * in samples. Queries that need the samples themselves (timeline) walk
 * [first, last) and call sg_view_sample_stack.
 * Memory: O(stack rows + frames); nothing recurses on stack depth.
 *
 * Profiles with call statistics and no stacks (pstats): the stack
 * transforms have nothing to act on; queries read p->callstats instead and
 * say so. A thread set that keeps no thread empties them.
 *
 * Ownership: the view only borrows its pointers (threads, hide_regex,
 * hide_packages); they must outlive sg_view_resolve. sg_view_resolve
 * fills an sg_view_resolved that borrows the profile (it must outlive the
 * resolved view and not change meanwhile) and owns its arrays; release it
 * with sg_view_resolved_free (also after a failed resolve).
 */
#ifndef SG_ANALYZE_VIEW_H
#define SG_ANALYZE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"

#define SG_VIEW_DROPPED (UINT32_MAX - 1) /* map value: the sample is not in the view */

/* hide_kinds bits: hide every frame whose file is of that package kind. */
#define SG_VIEW_HIDE_KIND(kind) (1u << (kind)) /* kind: enum sg_package_kind */

typedef struct sg_view {
    /* ---- per sample ---- */
    uint64_t t0_ns, t1_ns; /* keep t0_ns <= time < t1_ns; t1_ns = 0: no upper bound */
    const bool *threads;   /* per thread index: keep its samples; NULL = every thread */
    uint8_t flags_set;     /* SG_SAMPLE_* bits that must all be set (ON_CPU, HOLDS_GIL) */
    uint8_t flags_clear;   /* SG_SAMPLE_* bits that must all be clear (IDLE: exclude idle) */
    /* ---- per stack (see the order above) ---- */
    bool exclude;                     /* drop samples whose stack holds exclude_frame */
    uint32_t exclude_frame;           /* frame id (when exclude) */
    bool focus;                       /* keep only samples whose stack holds focus_frame */
    uint32_t focus_frame;             /* frame id (when focus) */
    const char *hide_regex;           /* POSIX ERE on "qualname (file)"; NULL or "" = none */
    uint32_t hide_kinds;              /* SG_VIEW_HIDE_KIND(...) bits, 0 = none */
    const char *const *hide_packages; /* package names (package.h) to hide, any kind */
    size_t hide_package_count;        /* entries of hide_packages */
    bool collapse_recursion;          /* merge consecutive repeats of a frame */
    bool collapse_indirect;           /* also cut back any repeat of a frame (see 4.) */
} sg_view;

/* True when the view changes stacks (exclude, focus, hide or collapse). */
bool sg_view_transforms_stacks(const sg_view *v);

typedef struct sg_view_resolved {
    const sg_profile *profile; /* borrowed */
    /* The transformed stacks: &profile->stacks when the view does not
     * transform stacks, else &owned_stacks. Same invariants as any stack
     * table (parents first, depth). */
    const sg_stacks *stacks;
    sg_stacks owned_stacks;
    /* map[s] for every original stack id s < profile->stacks.count: the
     * transformed stack id, SG_STACK_NONE (kept, empty), or SG_VIEW_DROPPED. */
    uint32_t *map;
    uint32_t map_none; /* what SG_STACK_NONE maps to (dropped under focus) */
    /* map is the identity (the view transforms no stack): per-sample
     * readers skip it, one random read fewer per sample they look at. */
    bool map_identity;
    /* Samples to look at: [first, last); when check_time is set the time
     * column is not sorted and every sample's time must be tested. */
    size_t first, last;
    bool check_time;
    uint64_t t0_ns, t1_ns;
    const bool *threads;
    uint8_t flags_set, flags_clear;
    /* Sums of the kept samples, per transformed stack row (stacks->count
     * entries): the weight and number of the samples whose newest frame
     * is that row. */
    uint64_t *row_weight;
    uint64_t *row_samples;
    uint64_t empty_weight, empty_samples; /* kept samples with the empty stack */
    uint64_t total_weight, total_samples; /* every kept sample (the 100 %) */
} sg_view_resolved;

/*
 * Resolve view v over p into *out (see above). Returns SG_PROFILE_OK,
 * SG_PROFILE_EINVAL (a frame id not in the profile, flags outside
 * SG_SAMPLE_ALL_FLAGS, a regex that does not compile), SG_PROFILE_ENOMEM or
 * SG_PROFILE_ELIMIT. On failure *out is empty but must still be freed.
 * v = NULL is the whole profile.
 */
int sg_view_resolve(const sg_profile *p, const sg_view *v, sg_view_resolved *out);
void sg_view_resolved_free(sg_view_resolved *r);

/*
 * Only the stack part: per frame, whether the view hides it (hidden has
 * frames.count entries, caller-allocated). Exposed for queries that group
 * by frame without stacks (pstats).
 */
int sg_view_hidden_frames(const sg_profile *p, const sg_view *v, bool *hidden);

/*
 * The per-sample test, for queries that walk samples themselves (timeline):
 * the transformed stack of sample i (first <= i < last), SG_STACK_NONE for
 * a kept sample with the empty stack, or SG_VIEW_DROPPED.
 */
static inline uint32_t sg_view_sample_stack(const sg_view_resolved *r, size_t i)
{
    const sg_samples *s = &r->profile->samples;
    if (r->threads != NULL && !r->threads[s->thread[i]])
        return SG_VIEW_DROPPED;
    uint8_t f = s->flags[i];
    if ((f & r->flags_set) != r->flags_set || (f & r->flags_clear) != 0)
        return SG_VIEW_DROPPED;
    if (r->check_time && (s->time_ns[i] < r->t0_ns || (r->t1_ns != 0 && s->time_ns[i] >= r->t1_ns)))
        return SG_VIEW_DROPPED;
    uint32_t st = s->stack[i];
    return st == SG_STACK_NONE ? r->map_none : r->map_identity ? st : r->map[st];
}

/*
 * The samples [*first, *last) to look at for the range [t0, t1) (t1 = 0:
 * open). When the time column is sorted (one sequential scan proves it)
 * this is exact, by two binary searches, and *check is false; else it is
 * the whole table and *check says every time must be tested. t0 = t1 = 0
 * skips the scan.
 */
void sg_view_sample_range(const sg_samples *s, uint64_t t0, uint64_t t1, size_t *first,
                          size_t *last, bool *check);

#endif
