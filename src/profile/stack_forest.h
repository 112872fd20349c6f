/*
 * stack_forest.h — "inclusive, once per sample" sums over the stack table,
 * computed per key (a function, a line, a file, a caller→callee pair) in
 * time linear in the number of stack rows.
 *
 * The question every profile view asks: for a key k, the weight of the
 * samples whose stack contains k at least once. Recursion must not count
 * a sample twice. Walking each sample's stack with a "seen" stamp answers
 * it in O(samples × depth); this answers it in O(stack rows) from the
 * per-row self weights: a row's subtree weight counts towards its key
 * exactly when no ancestor row has the same key (the outermost
 * occurrence), found by one iterative depth-first walk of the stack forest
 * with a per-key count of the rows active on the current path.
 *
 * Nothing recurses on stack depth; memory is O(rows × columns + keys).
 */
#ifndef SG_PROFILE_STACK_FOREST_H
#define SG_PROFILE_STACK_FOREST_H

#include <stddef.h>
#include <stdint.h>

#include "profile/stack_table.h"

#define SG_FOREST_NO_KEY UINT32_MAX /* a row that belongs to no key */

/*
 * `columns` weight columns at once: self[c][row] is the weight of the
 * samples whose newest row is `row` (zero for most rows); row_key[row] is
 * the row's key (< nkeys) or SG_FOREST_NO_KEY. Adds, for every key k and
 * column c, the once-per-sample inclusive weight of k to total[c][k]
 * (total arrays are not cleared first). Returns SG_PROFILE_OK or
 * SG_PROFILE_ENOMEM / SG_PROFILE_ELIMIT.
 */
int sg_stack_forest_totals(const sg_stacks *stacks, const uint32_t *row_key, uint32_t nkeys,
                           size_t columns, const uint64_t *const *self, uint64_t *const *total);

#endif
