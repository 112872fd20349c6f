/*
 * top_stacks.h — the heaviest stacks of a profile: the distinct call paths
 * (stack rows, so the line of every frame is part of the path) whose
 * samples weigh the most, with an optional thread filter.
 *
 * One pass over the samples sums weights per stack row (sg_view_resolve);
 * memory is two counters per row. A pstats profile has no stacks: the
 * answer is empty.
 */
#ifndef SG_ANALYZE_TOP_STACKS_H
#define SG_ANALYZE_TOP_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/view.h"
#include "profile/profile.h"

typedef struct sg_top_stack {
    uint32_t stack;   /* stack id: its newest frame; parents lead to the root */
    uint64_t weight;  /* sum of the weights of its samples */
    uint64_t samples; /* how many samples */
} sg_top_stack;

/*
 * The at most `limit` heaviest stacks, heaviest first (ties: lower stack
 * id first), into a new array *out (caller frees) of *count entries.
 * threads: per thread index, keep its samples; NULL = every thread.
 * Returns SG_PROFILE_OK or SG_PROFILE_ENOMEM.
 */
int sg_top_stacks(const sg_profile *p, const bool *threads, size_t limit, sg_top_stack **out,
                  size_t *count);

/*
 * The same over a resolved view (view.h): its time range, thread and
 * state filters and stack transforms apply, and the stack ids are rows of
 * rv->stacks (the view's transformed table: walk parents there). Samples
 * with the empty stack are not a stack. Same order and ownership.
 */
int sg_top_stacks_view(const sg_view_resolved *rv, size_t limit, sg_top_stack **out, size_t *count);

#endif
