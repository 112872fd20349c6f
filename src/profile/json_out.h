/*
 * json_out.h — writing JSON text to a stdio stream, for the exporters that
 * stream big JSON files (speedscope, Chrome trace events, Firefox Profiler)
 * instead of building a document in memory.
 *
 * Strings are escaped per RFC 8259 and always come out as valid UTF-8: a
 * profile's text comes from untrusted places (a target's memory, imported
 * files), so a byte that does not start a well-formed UTF-8 sequence is
 * written as U+FFFD rather than passed through to break the reader.
 * Numbers are written from integers, so a time in nanoseconds becomes an
 * exact decimal in microseconds or milliseconds with no rounding drift.
 *
 * Errors are not returned per call: stdio keeps the stream's error flag,
 * and each exporter checks ferror() once at the end.
 */
#ifndef SG_PROFILE_JSON_OUT_H
#define SG_PROFILE_JSON_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Write `len` bytes of `text` as a quoted, escaped JSON string. */
void sg_json_write_string(FILE *out, const char *text, size_t len);

/* Write value / 10^scale as a JSON number with exactly the digits needed:
 * (1500, 3) → 1.5, (2000, 3) → 2, (7, 6) → 0.000007. scale <= 9. */
void sg_json_write_decimal(FILE *out, uint64_t value, unsigned scale);

#endif
