/*
 * export_chrome_trace.c — a profile as Chrome trace events (see
 * export_chrome_trace.h).
 *
 * Per thread, the open spans are an explicit array of stack ids, root
 * first. For each sample the new stack is walked up only until it meets the
 * open array (stack ids name whole paths, so equal ids at equal depth mean
 * equal prefixes): the spans above that point end, the frames below it
 * begin. Work per sample is the number of frames that change, and nothing
 * recurses on depth. Events are streamed in time order per track; GC spans
 * and markers follow the threads.
 */
#include "profile/export_chrome_trace.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profile/json_out.h"
#include "profile/sample_timeline.h"
#include "profile/sort.h"

typedef struct exporter {
    const sg_profile *p;
    FILE *out;
    sg_timeline tl;
    uint64_t pid;
    uint64_t *trace_tid; /* per thread row */
    uint64_t gc_tid;
    uint32_t *open; /* open spans, root first */
    uint32_t depth;
    uint32_t *climb; /* scratch: frames to begin, leaf first */
    uint64_t end;    /* latest time written */
    const sg_io_progress *progress;
    uint64_t done;
    struct timespec last_report;
} exporter;

static void report_progress(exporter *ex)
{
    if (ex->progress == NULL || ex->progress->report == NULL)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((double)(now.tv_sec - ex->last_report.tv_sec) +
            (double)(now.tv_nsec - ex->last_report.tv_nsec) / 1e9 <
        0.25)
        return;
    ex->last_report = now;
    ex->progress->report(ex->progress->ctx, ex->done, ex->p->samples.count);
}

static void write_text(FILE *out, const sg_strings *s, uint32_t id)
{
    sg_json_write_string(out, sg_strings_get(s, id), sg_strings_len(s, id));
}

/* `"ts":T,"pid":P,"tid":TID` */
static void write_where(exporter *ex, uint64_t ns, uint64_t tid)
{
    fputs("\"ts\":", ex->out);
    sg_json_write_decimal(ex->out, ns, 3);
    fprintf(ex->out, ",\"pid\":%" PRIu64 ",\"tid\":%" PRIu64, ex->pid, tid);
    if (ns > ex->end)
        ex->end = ns;
}

static void write_thread_name(exporter *ex, uint64_t tid, const char *name, size_t len)
{
    fprintf(ex->out,
            ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%" PRIu64 ",\"tid\":%" PRIu64
            ",\"args\":{\"name\":",
            ex->pid, tid);
    sg_json_write_string(ex->out, name, len);
    fputs("}}", ex->out);
}

/* A "B" or "E" event. "E" repeats the name and args of its "B": the format
 * does not need them, but speedscope matches the two by both. */
static void write_span_edge(exporter *ex, char phase, uint32_t stack, uint64_t ns, uint64_t tid)
{
    const sg_profile *p = ex->p;
    const sg_frame *f = &p->frames.rows[p->stacks.rows[stack].frame];
    fprintf(ex->out, ",\n{\"ph\":\"%c\",", phase);
    write_where(ex, ns, tid);
    fputs(",\"cat\":\"python\",\"name\":", ex->out);
    write_text(ex->out, &p->strings, f->name);
    fputs(",\"args\":{\"filename\":", ex->out);
    write_text(ex->out, &p->strings, f->file);
    fprintf(ex->out, ",\"line\":%" PRIu32 ",\"first_line\":%" PRIu32 "}}",
            p->stacks.rows[stack].line, f->first_line);
}

/* Make the open spans those of `stack` at time ns. */
static void switch_stack(exporter *ex, uint32_t stack, uint64_t ns, uint64_t tid)
{
    const sg_stack_row *rows = ex->p->stacks.rows;
    uint32_t n = 0, id = stack;
    while (id != SG_STACK_NONE &&
           (rows[id].depth > ex->depth || ex->open[rows[id].depth - 1] != id)) {
        ex->climb[n++] = id;
        id = rows[id].parent;
    }
    uint32_t common = id == SG_STACK_NONE ? 0 : rows[id].depth;
    while (ex->depth > common) {
        ex->depth--;
        write_span_edge(ex, 'E', ex->open[ex->depth], ns, tid);
    }
    while (n > 0) {
        uint32_t begin = ex->climb[--n];
        write_span_edge(ex, 'B', begin, ns, tid);
        ex->open[ex->depth++] = begin;
    }
}

static void write_thread(exporter *ex, uint32_t t)
{
    const sg_profile *p = ex->p;
    const sg_samples *s = &p->samples;
    uint64_t tid = ex->trace_tid[t];
    uint32_t name = p->threads.name[t];
    write_thread_name(ex, tid, sg_strings_get(&p->strings, name),
                      sg_strings_len(&p->strings, name));
    uint64_t end = 0, last_duration = 0;
    bool first = true;
    ex->depth = 0;
    for (size_t k = ex->tl.start[t]; k < ex->tl.start[t + 1]; k++) {
        size_t i = ex->tl.index[k];
        uint64_t at = s->time_ns[i], start = at;
        if (!first && at <= end + last_duration) {
            start = end; /* continues the previous sample */
        } else if (!first) {
            switch_stack(ex, SG_STACK_NONE, end, tid); /* idle in between */
        }
        switch_stack(ex, s->stack[i], start, tid);
        last_duration = sg_timeline_duration(p, i);
        end = start > UINT64_MAX - last_duration ? UINT64_MAX : start + last_duration;
        first = false;
        if ((++ex->done & 0xffff) == 0)
            report_progress(ex);
    }
    switch_stack(ex, SG_STACK_NONE, end, tid);
}

static int compare_u64_at(uint32_t a, uint32_t b, const void *ctx)
{
    const uint64_t *time = ctx;
    return (time[a] > time[b]) - (time[a] < time[b]);
}

typedef struct gc_span {
    uint64_t start, stop;
    uint32_t label;
} gc_span;

static int compare_spans(const void *pa, const void *pb)
{
    const gc_span *a = pa, *b = pb;
    return (a->start > b->start) - (a->start < b->start);
}

/* GC spans on their own track, then markers. */
static int write_events(exporter *ex)
{
    const sg_profile *p = ex->p;
    const sg_events *e = &p->events;
    uint32_t nthreads = p->threads.count;
    uint32_t *order = malloc((e->count + 1) * sizeof *order);
    gc_span *spans = malloc((e->count + 1) * sizeof *spans);
    uint64_t *open_at = malloc(((size_t)nthreads + 1) * sizeof *open_at);
    uint32_t *open_label = malloc(((size_t)nthreads + 1) * sizeof *open_label);
    int rc = SG_PROFILE_OK;
    if (e->count > UINT32_MAX)
        rc = SG_PROFILE_ELIMIT;
    else if (order == NULL || spans == NULL || open_at == NULL || open_label == NULL)
        rc = SG_PROFILE_ENOMEM;
    for (size_t i = 0; rc == 0 && i < e->count; i++)
        order[i] = (uint32_t)i;
    if (rc == 0)
        rc = sg_sort_u32(order, e->count, compare_u64_at, e->time_ns);
    if (rc != 0)
        goto out;
    size_t nspans = 0;
    for (uint32_t k = 0; k <= nthreads; k++)
        open_at[k] = UINT64_MAX;
    for (size_t k = 0; k < e->count; k++) {
        uint32_t i = order[k];
        uint32_t slot = e->thread[i] < nthreads ? e->thread[i] : nthreads;
        if (e->kind[i] == SG_EVENT_GC_START && open_at[slot] == UINT64_MAX) {
            open_at[slot] = e->time_ns[i];
            open_label[slot] = e->label[i];
        } else if (e->kind[i] == SG_EVENT_GC_STOP && open_at[slot] != UINT64_MAX) {
            spans[nspans++] = (gc_span){open_at[slot], e->time_ns[i], open_label[slot]};
            open_at[slot] = UINT64_MAX;
        }
    }
    uint64_t last = ex->end;
    for (size_t k = 0; k < e->count; k++)
        if (e->time_ns[k] > last)
            last = e->time_ns[k];
    for (uint32_t k = 0; k <= nthreads; k++)
        if (open_at[k] != UINT64_MAX) /* still collecting when the recording ended */
            spans[nspans++] = (gc_span){open_at[k], last, open_label[k]};
    qsort(spans, nspans, sizeof *spans, compare_spans);
    if (nspans > 0)
        write_thread_name(ex, ex->gc_tid, "GC", 2);
    uint64_t busy_until = 0;
    for (size_t k = 0; k < nspans; k++) {
        /* one track: spans from two threads must not overlap */
        uint64_t start = spans[k].start > busy_until ? spans[k].start : busy_until;
        if (spans[k].stop <= start)
            continue;
        busy_until = spans[k].stop;
        fputs(",\n{\"ph\":\"X\",\"cat\":\"gc\",\"name\":\"GC\",", ex->out);
        write_where(ex, start, ex->gc_tid);
        fputs(",\"dur\":", ex->out);
        sg_json_write_decimal(ex->out, spans[k].stop - start, 3);
        fputs(",\"args\":{\"label\":", ex->out);
        write_text(ex->out, &p->strings, spans[k].label);
        fputs("}}", ex->out);
    }
    for (size_t k = 0; k < e->count; k++) {
        uint32_t i = order[k];
        if (e->kind[i] != SG_EVENT_MARKER)
            continue;
        bool global = e->thread[i] >= nthreads;
        fputs(",\n{\"ph\":\"i\",\"cat\":\"marker\",\"name\":", ex->out);
        write_text(ex->out, &p->strings, e->label[i]);
        fputc(',', ex->out);
        write_where(ex, e->time_ns[i], global ? ex->gc_tid : ex->trace_tid[e->thread[i]]);
        fputs(global ? ",\"s\":\"g\"}" : ",\"s\":\"t\"}", ex->out);
    }
out:
    free(order);
    free(spans);
    free(open_at);
    free(open_label);
    return rc;
}

/* A trace tid per thread row: its OS tid, unless an earlier row took it. */
static int assign_tids(exporter *ex)
{
    const sg_threads *th = &ex->p->threads;
    ex->trace_tid = malloc(((size_t)th->count + 1) * sizeof *ex->trace_tid);
    uint32_t *order = malloc(((size_t)th->count + 1) * sizeof *order);
    if (ex->trace_tid == NULL || order == NULL) {
        free(order);
        return SG_PROFILE_ENOMEM;
    }
    uint64_t max_tid = 0;
    for (uint32_t t = 0; t < th->count; t++) {
        order[t] = t;
        if (th->tid[t] > max_tid && th->tid[t] < UINT64_MAX / 2)
            max_tid = th->tid[t];
    }
    int rc = sg_sort_u32(order, th->count, compare_u64_at, th->tid);
    uint64_t fresh = max_tid + 1;
    for (uint32_t k = 0; rc == 0 && k < th->count; k++) {
        uint32_t t = order[k];
        bool taken = k > 0 && th->tid[order[k - 1]] == th->tid[t];
        ex->trace_tid[t] = taken || th->tid[t] >= UINT64_MAX / 2 ? fresh++ : th->tid[t];
    }
    ex->gc_tid = fresh;
    free(order);
    return rc;
}

int sg_export_chrome_trace(const sg_profile *p, FILE *out, const sg_io_progress *progress,
                           char *err, size_t errlen)
{
    exporter ex = {.p = p, .out = out, .progress = progress};
    clock_gettime(CLOCK_MONOTONIC, &ex.last_report);
    ex.pid = p->meta.pid != 0 ? p->meta.pid : 1;
    uint32_t max_depth = 0;
    for (uint32_t id = 0; id < p->stacks.count; id++)
        if (p->stacks.rows[id].depth > max_depth)
            max_depth = p->stacks.rows[id].depth;
    int rc = sg_timeline_build(p, &ex.tl);
    if (rc == 0)
        rc = assign_tids(&ex);
    ex.open = malloc(((size_t)max_depth + 1) * sizeof *ex.open);
    ex.climb = malloc(((size_t)max_depth + 1) * sizeof *ex.climb);
    if (rc == 0 && (ex.open == NULL || ex.climb == NULL))
        rc = SG_PROFILE_ENOMEM;
    if (rc != 0)
        goto out;

    fprintf(out,
            "{\"traceEvents\":[\n{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%" PRIu64
            ",\"tid\":0,\"args\":{\"name\":",
            ex.pid);
    if (sg_strings_len(&p->strings, p->meta.command) > 0)
        write_text(out, &p->strings, p->meta.command);
    else
        fputs("\"python\"", out);
    fputs("}}", out);
    for (uint32_t t = 0; t < p->threads.count; t++)
        if (ex.tl.start[t] < ex.tl.start[t + 1])
            write_thread(&ex, t);
    if ((rc = write_events(&ex)) != 0)
        goto out;
    fputs("\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"exporter\":\"spyglass@" SG_VERSION
          "\"}}\n",
          out);
    if (fflush(out) != 0 || ferror(out))
        rc = SG_PROFILE_EIO;
out:
    if (rc != 0)
        snprintf(err, errlen, "Chrome trace export: %s",
                 rc == SG_PROFILE_EIO ? "writing the output failed" : sg_profile_strerror(rc));
    sg_timeline_free(&ex.tl);
    free(ex.trace_tid);
    free(ex.open);
    free(ex.climb);
    return rc;
}
