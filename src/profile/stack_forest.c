/*
 * stack_forest.c — once-per-sample inclusive sums per key over the stack
 * forest (see stack_forest.h).
 *
 * First the subtree sums (rows are in topological order, so a backward
 * pass adds each row into its parent). Then a walk that visits each row on
 * entry (count it if its key is not active on the path, then mark it) and
 * on exit (unmark); subtrees whose sums are all zero are skipped.
 *
 * The walk is a scan of the rows in id order with the current path held
 * as an array by depth: a row whose parent is on the path pops the path
 * down to the parent and pushes itself; a row whose parent is not (a jump
 * to another branch) pops down to the deepest ancestor that is and
 * re-enters the ancestors below it (marking them, never counting them
 * again: each was counted when the scan met it). Recorded and imported
 * tables intern a stack root first, so their ids are close to a
 * depth-first order and the scan reads every array sequentially, where a
 * walk over children lists would jump. Should the re-entries of a table in
 * some odd order cost more than a few times its rows, the scan gives up
 * and the children-list walk (same answer, O(rows) whatever the order)
 * runs instead.
 */
#include "profile/stack_forest.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "profile/status.h"

#define EXIT_MARK 0x80000000u /* walk entry: leave the row instead of entering it */

/* Subtree sums: sum[row * columns + c]. */
static void subtree_sums(const sg_stacks *stacks, size_t columns, const uint64_t *const *self,
                         uint64_t *sum)
{
    uint32_t n = stacks->count;
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
}

static bool all_zero(const uint64_t *v, size_t columns)
{
    bool any = false;
    for (size_t c = 0; c < columns; c++)
        any |= v[c] != 0;
    return !any;
}

/*
 * The scan in id order (see the top). Adds into total and returns
 * SG_PROFILE_OK, or SG_PROFILE_ELIMIT when the re-entries exceed the
 * budget (total is then unchanged: the counts go to a private array first).
 */
static int walk_in_order(const sg_stacks *stacks, const uint32_t *row_key, uint32_t nkeys,
                         size_t columns, const uint64_t *sum, uint64_t *const *total)
{
    uint32_t n = stacks->count;
    const sg_stack_row *rows = stacks->rows;
    uint32_t *depth = malloc((size_t)n * sizeof *depth);
    uint32_t *path = malloc((size_t)n * sizeof *path);
    uint32_t *active = calloc((size_t)nkeys + 1, sizeof *active);
    uint64_t *acc = calloc((size_t)nkeys * columns + 1, sizeof *acc);
    int rc = SG_PROFILE_ENOMEM;
    if (depth == NULL || path == NULL || active == NULL || acc == NULL)
        goto out;
    uint64_t budget = 4 * (uint64_t)n + 4096; /* re-entered ancestors */
    uint32_t len = 0;                         /* path[0, len): the rows entered */
    rc = SG_PROFILE_OK;
    for (uint32_t r = 0; r < n; r++) {
        uint32_t parent = rows[r].parent;
        depth[r] = parent == SG_STACK_NONE ? 0 : depth[parent] + 1;
        const uint64_t *row_sum = sum + (size_t)r * columns;
        if (all_zero(row_sum, columns))
            continue;
        uint32_t d = depth[r];
        /* the deepest ancestor on the path: usually the parent itself */
        uint32_t keep = d, a = parent;
        while (keep > 0 && (keep > len || path[keep - 1] != a)) {
            a = rows[a].parent;
            keep--;
        }
        for (; len > keep; len--) { /* leave the rows below it */
            uint32_t key = row_key[path[len - 1]];
            if (key != SG_FOREST_NO_KEY)
                active[key]--;
        }
        if (keep < d) { /* re-enter the ancestors between it and r */
            if (budget < d - keep) {
                rc = SG_PROFILE_ELIMIT;
                break;
            }
            budget -= d - keep;
            for (uint32_t level = d, b = parent; level > keep; level--, b = rows[b].parent) {
                path[level - 1] = b;
                if (row_key[b] != SG_FOREST_NO_KEY)
                    active[row_key[b]]++;
            }
            len = d;
        }
        uint32_t key = row_key[r];
        if (key != SG_FOREST_NO_KEY && active[key]++ == 0)
            for (size_t c = 0; c < columns; c++)
                acc[(size_t)key * columns + c] += row_sum[c];
        path[len++] = r;
    }
    if (rc == 0)
        for (uint32_t k = 0; k < nkeys; k++)
            for (size_t c = 0; c < columns; c++)
                total[c][k] += acc[(size_t)k * columns + c];
out:
    free(depth);
    free(path);
    free(active);
    free(acc);
    return rc;
}

/* The walk over children lists: O(rows) in any order. */
static int walk_children(const sg_stacks *stacks, const uint32_t *row_key, uint32_t nkeys,
                         size_t columns, const uint64_t *sum, uint64_t *const *total)
{
    uint32_t n = stacks->count;
    uint32_t *start = calloc((size_t)n + 2, sizeof *start);
    uint32_t *child = malloc((size_t)n * sizeof *child);
    uint32_t *todo = malloc(2 * (size_t)n * sizeof *todo);
    uint32_t *active = calloc((size_t)nkeys + 1, sizeof *active);
    int rc = SG_PROFILE_ENOMEM;
    if (start == NULL || child == NULL || todo == NULL || active == NULL)
        goto out;

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
        if (all_zero(row_sum, columns))
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
    free(start);
    free(child);
    free(todo);
    free(active);
    return rc;
}

int sg_stack_forest_totals(const sg_stacks *stacks, const uint32_t *row_key, uint32_t nkeys,
                           size_t columns, const uint64_t *const *self, uint64_t *const *total)
{
    uint32_t n = stacks->count;
    if (n == 0 || columns == 0)
        return SG_PROFILE_OK;
    if (columns > SIZE_MAX / sizeof(uint64_t) / n || n >= EXIT_MARK ||
        (nkeys > 0 && columns > SIZE_MAX / sizeof(uint64_t) / nkeys))
        return SG_PROFILE_ELIMIT;
    uint64_t *sum = malloc((size_t)n * columns * sizeof *sum);
    if (sum == NULL)
        return SG_PROFILE_ENOMEM;
    subtree_sums(stacks, columns, self, sum);
    int rc = walk_in_order(stacks, row_key, nkeys, columns, sum, total);
    if (rc == SG_PROFILE_ELIMIT)
        rc = walk_children(stacks, row_key, nkeys, columns, sum, total);
    free(sum);
    return rc;
}
