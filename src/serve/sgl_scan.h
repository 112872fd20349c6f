/*
 * sgl_scan.h — what the server's list of profiles needs from an uploaded
 * .sgl file (sample count, duration, host, command, Python version, whether
 * it has stacks), read without importing it, so an upload is answered at
 * the speed of its bytes rather than of building the profile.
 *
 * The scan checks what a transfer can break, exactly as the reader does
 * (docs/format.md): the file header, every chunk's framing, both
 * checksums, the size limits, and that the zstd stream decompresses to the
 * raw sizes the headers say; torn tails are accepted the same way (what
 * comes before loads). Of the records it decodes only STRINGS (kept, for
 * the metadata's texts), META, SAMPLES (their row numbering and time
 * column, for the duration when META has none), CALLSTATS (the own times,
 * which are a pstats profile's duration) and END (its totals must match).
 * Every other record is skipped by its length; the full reader, run when a
 * query first needs the profile, checks the rest.
 *
 * Untrusted input: every length is bounded before use, memory grows only
 * with what the file decompresses to, and a problem is an error naming it
 * with its byte offset, never a crash (tests/fuzz/fuzz_serve_sgl_scan.c).
 *
 * Ownership: sg_sgl_scan fills *out, whose strings are owned by it; free
 * with sg_sgl_summary_free (also after a failure).
 */
#ifndef SG_SERVE_SGL_SCAN_H
#define SG_SERVE_SGL_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sg_sgl_summary {
    uint64_t samples;              /* rows of the sample table */
    uint64_t duration_ns;          /* META's duration, else last - first sample time, else own
                                      time of CALLSTATS functions (as the list reports it) */
    bool has_stacks;               /* META has-stacks and no CALLSTATS rows */
    char *host, *command, *python; /* owned; "" when not said */
    bool truncated;                /* a torn tail was dropped */
    size_t chunks;
} sg_sgl_summary;

/* Scan len bytes of an .sgl file. 0, or -1 with err ("byte N: why"). */
int sg_sgl_scan(const void *data, size_t len, sg_sgl_summary *out, char *err, size_t errlen);
void sg_sgl_summary_free(sg_sgl_summary *s);

#endif
