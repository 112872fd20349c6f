/*
 * fuzz_timeline_runs.c — libFuzzer target for the compact timeline
 * encoding (analyze/timeline_compact.h). The input is a width, a span
 * count and runs (little-endian uint32s). Checks: the decoder refuses or
 * gives spans that keep the invariants (x0 < x1 <= width, children inside
 * their parents, sorted by x0 then depth); such spans encode, and the
 * runs decode back to the very same spans (the round trip the viewer
 * relies on); nothing is read past the input (ASan).
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/timeline_compact.h"
#include "common.h"

static uint32_t u32_at(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    uint32_t width = u32_at(data) % 100000 + 1, n = u32_at(data + 4) % 4096;
    size_t count = (size - 8) / 12;
    uint32_t *runs = malloc(count * 12 + 4);
    sg_tl_span *a = calloc((size_t)n + 1, sizeof *a), *b = calloc((size_t)n + 1, sizeof *b);
    if (runs == NULL || a == NULL || b == NULL)
        abort();
    for (size_t i = 0; i < 3 * count; i++)
        runs[i] = u32_at(data + 8 + 4 * i);
    if (sg_tl_runs_decode(runs, count, width, a, n) == 0) {
        for (uint32_t i = 0; i < n; i++) {
            if (a[i].x0 >= a[i].x1 || a[i].x1 > width)
                abort();
            if (i > 0 && (a[i].x0 < a[i - 1].x0 ||
                          (a[i].x0 == a[i - 1].x0 && a[i].depth != a[i - 1].depth + 1)))
                abort();
        }
        sg_tl_runs r = {0};
        if (sg_tl_runs_encode(a, n, width, &r) != 0)
            abort();
        if (sg_tl_runs_decode(r.runs, r.run_count, width, b, n) != 0)
            abort();
        for (uint32_t i = 0; i < n; i++)
            if (a[i].x0 != b[i].x0 || a[i].x1 != b[i].x1 || a[i].depth != b[i].depth)
                abort();
        sg_tl_runs_free(&r);
    }
    free(runs);
    free(a);
    free(b);
    return 0;
}
