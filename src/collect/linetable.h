/*
 * linetable.h — instruction offset → source line, for CPython's three line
 * table formats (3.9 co_lnotab, 3.10 co_linetable, 3.11+ location table).
 *
 * The sampler copies a code object's table out of the target and asks here
 * which line an instruction belongs to. The answer is the one CPython's own
 * PyCode_Addr2Line gives for the same table and offset (which is what
 * frame.f_lineno reports when no tracer is attached).
 *
 * Units of `offset`, per format (the caller converts, we never guess):
 *   SG_LINES_LNOTAB      bytes        3.9:   f_lasti as stored
 *   SG_LINES_LINETABLE   bytes        3.10:  f_lasti * 2 (f_lasti counts units)
 *   SG_LINES_LOCATIONS   code units   3.11+: (instr - co_code_adaptive) / 2
 * A negative offset (a frame that has not run its first instruction yet:
 * f_lasti == -1, or 3.11/3.12's prev_instr one unit before the code) yields
 * first_line, as in CPython.
 *
 * Invariants:
 *   - Pure: no allocation, no globals, no I/O; safe on the sampler's hot path
 *     and from any thread.
 *   - The table is untrusted (copied from another process, maybe torn): no
 *     read at or past `len`, every loop consumes at least one byte per turn,
 *     and line arithmetic is done in 64 bits and refused outside int32 range.
 *   - -1 means "no line": the instruction has none (3.10's -128 marker,
 *     3.11+'s code 15), the offset lies past the table's last range (3.10+),
 *     or the table is malformed. Lines are otherwise >= 0.
 */
#ifndef SG_COLLECT_LINETABLE_H
#define SG_COLLECT_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

#include "collect/layout.h"

#define SG_LINETABLE_NO_LINE (-1)

/* The line of the instruction at `offset` (units: see above) in a code object
 * whose co_firstlineno is `first_line` and whose table is `table[0..len)`.
 * `format` is an enum sg_linetable_format. Returns the line, or -1. */
int sg_linetable_line(int format, const uint8_t *table, size_t len, int first_line, int32_t offset);

#endif
