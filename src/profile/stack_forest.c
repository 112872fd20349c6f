/*
 * stack_forest.c — once-per-sample inclusive sums per key over the stack
 * forest (see stack_forest.h).
 *
 * Three linear passes: subtree sums (rows are in topological order, so a
 * backward pass adds each row into its parent), children lists in CSR
 * form, and a depth-first walk with an explicit stack that visits each
 * row on entry (count it if its key is not active, then mark it) and on
 * exit (unmark). Subtrees whose sums are all zero are skipped.
 */
#include "profile/stack_forest.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "profile/status.h"

#define EXIT_MARK 0x80000000u /* walk entry: leave the row instead of entering it */

int sg_stack_forest_totals(const sg_stacks *stacks, const uint32_t *row_key, uint32_t nkeys,
                           size_t columns, const uint64_t *const *self, uint64_t *const *total)
{
    uint32_t n = stacks->count;
    if (n == 0 || columns == 0)
        return SG_PROFILE_OK;
    if (columns > SIZE_MAX / sizeof(uint64_t) / n || n >= EXIT_MARK)
        return SG_PROFILE_ELIMIT;
    uint64_t *sum = malloc((size_t)n * columns * sizeof *sum);
    uint32_t *start = calloc((size_t)n + 2, sizeof *start);
    uint32_t *child = malloc((size_t)n * sizeof *child);
    uint32_t *todo = malloc(2 * (size_t)n * sizeof *todo);
    uint32_t *active = calloc((size_t)nkeys + 1, sizeof *active);
    int rc = SG_PROFILE_ENOMEM;
    if (sum == NULL || start == NULL || child == NULL || todo == NULL || active == NULL)
        goto out;

    /* sum[row * columns + c] = self weight of the row's whole subtree */
    for (uint32_t r = 0; r < n; r++)
        for (size_t c = 0; c < columns; c++)
            sum[(size_t)r * columns + c] = self[c][r];
    for (uint32_t r = n; r-- > 0;) {
        uint32_t parent = stacks->rows[r].parent;
        if (parent == SG_STACK_NONE)
            continue;
        for (size_t c = 0; c < columns; c++)
            sum[(size_t)parent * columns + c] += sum[(size_t)r * columns + c];
    }

    /* Children lists; list n holds the roots. */
    for (uint32_t r = 0; r < n; r++) {
        uint32_t parent = stacks->rows[r].parent;
        start[(parent == SG_STACK_NONE ? n : parent) + 1]++;
    }
    for (uint32_t i = 0; i <= n; i++)
        start[i + 1] += start[i];
    for (uint32_t r = 0; r < n; r++) {
        uint32_t parent = stacks->rows[r].parent;
        child[start[parent == SG_STACK_NONE ? n : parent]++] = r;
    }
    for (uint32_t i = n + 1; i > 0; i--)
        start[i] = start[i - 1];
    start[0] = 0;

    size_t top = 0;
    for (uint32_t k = start[n]; k < start[n + 1]; k++)
        todo[top++] = child[k];
    while (top > 0) {
        uint32_t entry = todo[--top];
        if (entry & EXIT_MARK) {
            uint32_t key = row_key[entry & ~EXIT_MARK];
            if (key != SG_FOREST_NO_KEY)
                active[key]--;
            continue;
        }
        const uint64_t *row_sum = sum + (size_t)entry * columns;
        bool any = false;
        for (size_t c = 0; c < columns; c++)
            any |= row_sum[c] != 0;
        if (!any)
            continue;
        uint32_t key = row_key[entry];
        if (key != SG_FOREST_NO_KEY) {
            if (active[key]++ == 0)
                for (size_t c = 0; c < columns; c++)
                    total[c][key] += row_sum[c];
            todo[top++] = entry | EXIT_MARK;
        }
        for (uint32_t k = start[entry]; k < start[entry + 1]; k++)
            todo[top++] = child[k];
    }
    rc = SG_PROFILE_OK;
out:
    free(sum);
    free(start);
    free(child);
    free(todo);
    free(active);
    return rc;
}
