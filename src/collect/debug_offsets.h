/*
 * debug_offsets.h — checks a target's _Py_DebugOffsets against our layout.
 *
 * From 3.13 on, CPython publishes a table of its own structure offsets,
 * _Py_DebugOffsets, at offset 0 of _PyRuntime. The caller reads
 * sg_debug_offsets_size() bytes from there (any memory source) and hands the
 * buffer to sg_debug_offsets_check(), which
 *   1. recognises the cookie "xdebugpy" and reads the target's full
 *      PY_VERSION_HEX,
 *   2. refuses free-threaded builds (their structures differ),
 *   3. compares every offset that both the target's struct and our generated
 *      sg_layout table carry, and names the first one that disagrees.
 * A passing check means the header-derived table is right for this target;
 * a failing one means sampling it would read garbage.
 *
 * Invariants:
 *   - Pure: no I/O, no allocation, no global state; the buffer is only read.
 *   - The struct is not ABI-stable across minor versions, so its byte layout
 *     is described per minor (debug_offsets.c); only the head (cookie,
 *     version, free_threaded) is shared by every version. A new minor (3.14)
 *     is another description, not new code.
 *   - Values in the buffer are in the target's byte order, which is ours
 *     (we only read processes on the same machine).
 */
#ifndef SG_COLLECT_DEBUG_OFFSETS_H
#define SG_COLLECT_DEBUG_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

#include "collect/layout.h"

/* Results of sg_debug_offsets_check(); every failure also fills `err`. */
enum sg_debug_offsets_result {
    SG_DEBUG_OFFSETS_OK = 0,
    SG_DEBUG_OFFSETS_SHORT = -1,         /* buffer shorter than the struct */
    SG_DEBUG_OFFSETS_BAD_COOKIE = -2,    /* no "xdebugpy": not a 3.13+ _PyRuntime */
    SG_DEBUG_OFFSETS_UNSUPPORTED = -3,   /* a version whose struct we do not know */
    SG_DEBUG_OFFSETS_FREE_THREADED = -4, /* built with --disable-gil */
    SG_DEBUG_OFFSETS_WRONG_TABLE = -5,   /* `table` is for another minor version */
    SG_DEBUG_OFFSETS_MISMATCH = -6       /* a field disagrees with `table` */
};

/* How many bytes to read from the start of _PyRuntime: enough for the
 * largest struct we know. _PyRuntime is far larger, so reading this much is
 * safe whatever the version turns out to be. */
size_t sg_debug_offsets_size(void);

/* The target's PY_VERSION_HEX from the head of the buffer (e.g. 0x030d00f0),
 * or 0 if the buffer is too short for the head or has no cookie. No other
 * check: pass the result to sg_layout_for_version(), then the table to
 * sg_debug_offsets_check(). */
uint32_t sg_debug_offsets_version(const uint8_t *buf, size_t len);

/*
 * Checks `len` bytes read from the start of a target's _PyRuntime.
 *
 * `table` is the layout spyglass will sample with; it must be for the
 * target's minor version. With table == NULL only the head is checked (cookie,
 * known version, not free-threaded), which is how a caller learns the version
 * before choosing a table with sg_layout_for_version().
 *
 * On return *version_out (if not NULL) holds the target's PY_VERSION_HEX
 * whenever the cookie was found (even if a later check failed), else 0.
 * `err` (if not NULL and errlen > 0) receives a NUL-terminated message on
 * failure and an empty string on success; a mismatch names the field in
 * CPython's terms and ours with both values.
 *
 * Returns SG_DEBUG_OFFSETS_OK (0) or a negative enum sg_debug_offsets_result.
 */
int sg_debug_offsets_check(const uint8_t *buf, size_t len, const sg_layout *table,
                           uint32_t *version_out, char *err, size_t errlen);

#endif
