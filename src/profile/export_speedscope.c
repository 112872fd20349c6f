/*
 * export_speedscope.c — a profile as speedscope JSON (see
 * export_speedscope.h).
 *
 * Streams with fprintf: memory is the stack → frame-pair map, the
 * per-thread time order of the samples and one stack's path, never the
 * output. Each thread is walked twice (once for "samples", once for
 * "weights", which speedscope keeps in separate arrays), merging runs of
 * the same stack the same way both times. Stacks are written by walking
 * parent links into a buffer sized by the deepest stack: no recursion.
 */
#include "profile/export_speedscope.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profile/frame_lines.h"
#include "profile/json_out.h"
#include "profile/sample_timeline.h"

#define SCHEMA "https://www.speedscope.app/file-format-schema.json"

typedef struct exporter {
    const sg_profile *p;
    FILE *out;
    sg_frame_lines fl;
    sg_timeline tl;
    uint32_t *path;      /* one stack, leaf first */
    uint64_t unit_scale; /* multiply a weight by this for the output unit */
    const sg_io_progress *progress;
    uint64_t done;
    struct timespec last_report;
} exporter;

static void report_progress(exporter *ex, uint64_t more)
{
    ex->done += more;
    if (ex->progress == NULL || ex->progress->report == NULL)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((double)(now.tv_sec - ex->last_report.tv_sec) +
            (double)(now.tv_nsec - ex->last_report.tv_nsec) / 1e9 <
        0.25)
        return;
    ex->last_report = now;
    ex->progress->report(ex->progress->ctx, ex->done / 2, ex->p->samples.count);
}

static void write_text(FILE *out, const sg_strings *s, uint32_t id)
{
    sg_json_write_string(out, sg_strings_get(s, id), sg_strings_len(s, id));
}

static void write_frames(exporter *ex)
{
    const sg_profile *p = ex->p;
    fputs("\"shared\":{\"frames\":[", ex->out);
    for (uint32_t k = 0; k < ex->fl.count; k++) {
        const sg_frame *f = &p->frames.rows[ex->fl.frame[k]];
        fputs(k ? ",{\"name\":" : "{\"name\":", ex->out);
        write_text(ex->out, &p->strings, f->name);
        if (sg_strings_len(&p->strings, f->file) > 0) {
            fputs(",\"file\":", ex->out);
            write_text(ex->out, &p->strings, f->file);
        }
        if (ex->fl.line[k] > 0)
            fprintf(ex->out, ",\"line\":%" PRIu32, ex->fl.line[k]);
        fputc('}', ex->out);
    }
    fputs("]}", ex->out);
}

static void write_stack(exporter *ex, uint32_t stack)
{
    const sg_stacks *st = &ex->p->stacks;
    size_t depth = 0;
    for (uint32_t id = stack; id != SG_STACK_NONE; id = st->rows[id].parent)
        ex->path[depth++] = id;
    fputc('[', ex->out);
    for (size_t k = depth; k > 0; k--)
        fprintf(ex->out, k < depth ? ",%" PRIu32 : "%" PRIu32, ex->fl.of_stack[ex->path[k - 1]]);
    fputc(']', ex->out);
}

/* Visit the runs of equal consecutive stacks of thread t: once writing the
 * stacks (weights == false), once writing their summed weights. Returns
 * the total weight. */
static uint64_t write_runs(exporter *ex, uint32_t t, bool weights)
{
    const sg_samples *s = &ex->p->samples;
    const uint32_t *idx = ex->tl.index;
    size_t begin = ex->tl.start[t], end = ex->tl.start[t + 1];
    uint64_t total = 0;
    bool first = true;
    for (size_t k = begin; k < end;) {
        uint32_t stack = s->stack[idx[k]];
        uint64_t sum = 0;
        size_t run = k;
        while (run < end && s->stack[idx[run]] == stack) {
            sum += (uint64_t)s->weight[idx[run]] * ex->unit_scale;
            run++;
        }
        report_progress(ex, run - k);
        k = run;
        if (sum == 0)
            continue;
        if (!first)
            fputc(',', ex->out);
        first = false;
        if (weights)
            fprintf(ex->out, "%" PRIu64, sum);
        else
            write_stack(ex, stack);
        total += sum;
    }
    return total;
}

static void write_profile_name(exporter *ex, uint32_t t)
{
    const sg_profile *p = ex->p;
    uint32_t name = p->threads.name[t];
    size_t len = sg_strings_len(&p->strings, name);
    char *text = malloc(len + 48);
    if (text == NULL) {
        fputs("\"Thread\"", ex->out);
        return;
    }
    int n = snprintf(text, 48, "Thread %" PRIu64 " \"", p->threads.tid[t]);
    memcpy(text + n, sg_strings_get(&p->strings, name), len);
    text[n + len] = '"';
    sg_json_write_string(ex->out, text, (size_t)n + len + 1);
    free(text);
}

static const char *unit_name(const sg_profile *p, uint64_t *scale)
{
    *scale = 1;
    if (p->meta.weight_unit == SG_WEIGHT_NANOSECONDS)
        return "nanoseconds";
    if (p->meta.weight_unit == SG_WEIGHT_SAMPLES && p->meta.interval_ns > 0) {
        *scale = p->meta.interval_ns;
        return "nanoseconds";
    }
    return "none";
}

/* The thread with the most weight, as a position among written profiles. */
static size_t heaviest_profile(const exporter *ex)
{
    const sg_samples *s = &ex->p->samples;
    size_t best = 0, position = 0;
    uint64_t best_weight = 0;
    for (uint32_t t = 0; t < ex->p->threads.count; t++) {
        if (ex->tl.start[t] == ex->tl.start[t + 1])
            continue;
        uint64_t w = 0;
        for (size_t k = ex->tl.start[t]; k < ex->tl.start[t + 1]; k++)
            w += s->weight[ex->tl.index[k]];
        if (w > best_weight) {
            best_weight = w;
            best = position;
        }
        position++;
    }
    return best;
}

int sg_export_speedscope(const sg_profile *p, FILE *out, const sg_io_progress *progress, char *err,
                         size_t errlen)
{
    exporter ex = {.p = p, .out = out, .progress = progress};
    clock_gettime(CLOCK_MONOTONIC, &ex.last_report);
    uint32_t max_depth = 0;
    for (uint32_t id = 0; id < p->stacks.count; id++)
        if (p->stacks.rows[id].depth > max_depth)
            max_depth = p->stacks.rows[id].depth;
    int rc = sg_frame_lines_build(p, &ex.fl);
    if (rc == 0)
        rc = sg_timeline_build(p, &ex.tl);
    if (rc == 0 && (ex.path = malloc(((size_t)max_depth + 1) * sizeof *ex.path)) == NULL)
        rc = SG_PROFILE_ENOMEM;
    if (rc != 0) {
        snprintf(err, errlen, "speedscope export: %s", sg_profile_strerror(rc));
        goto out;
    }
    const char *unit = unit_name(p, &ex.unit_scale);

    fputs("{\"$schema\":\"" SCHEMA "\",\"exporter\":\"spyglass@" SG_VERSION "\",\"name\":", out);
    if (sg_strings_len(&p->strings, p->meta.command) > 0)
        write_text(out, &p->strings, p->meta.command);
    else
        fputs("\"spyglass profile\"", out);
    fprintf(out, ",\"activeProfileIndex\":%zu,", heaviest_profile(&ex));
    write_frames(&ex);
    fputs(",\"profiles\":[", out);
    bool first = true;
    for (uint32_t t = 0; t < p->threads.count; t++) {
        if (ex.tl.start[t] == ex.tl.start[t + 1])
            continue;
        fputs(first ? "\n{\"type\":\"sampled\",\"name\":" : ",\n{\"type\":\"sampled\",\"name\":",
              out);
        first = false;
        write_profile_name(&ex, t);
        fprintf(out, ",\"unit\":\"%s\",\"startValue\":0,\"samples\":[", unit);
        write_runs(&ex, t, false);
        fputs("],\"weights\":[", out);
        uint64_t total = write_runs(&ex, t, true);
        fprintf(out, "],\"endValue\":%" PRIu64 "}", total);
    }
    fputs("]}\n", out);
    if (fflush(out) != 0 || ferror(out)) {
        rc = SG_PROFILE_EIO;
        snprintf(err, errlen, "speedscope export: writing the output failed");
    }
out:
    sg_frame_lines_free(&ex.fl);
    sg_timeline_free(&ex.tl);
    free(ex.path);
    return rc;
}
