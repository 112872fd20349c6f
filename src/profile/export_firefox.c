/*
 * export_firefox.c — a profile in the Firefox Profiler's processed format
 * (see export_firefox.h for the version and the mapping).
 *
 * The format is columnar, like the model: each table is written column by
 * column straight from the model's arrays, streaming with fprintf. Memory
 * is the (frame, line) pair map, the per-thread sample order, and the GC
 * pairing of the events; never the output.
 */
#include "profile/export_firefox.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profile/frame_lines.h"
#include "profile/json_out.h"
#include "profile/sample_timeline.h"
#include "profile/sort.h"

/* Categories, in meta.categories order. */
enum { CATEGORY_OTHER = 0, CATEGORY_PYTHON = 1, CATEGORY_GC = 2 };

/* Marker phases of the format. */
enum { PHASE_INSTANT = 0, PHASE_INTERVAL = 1 };

/* Strings the exporter adds after the profile's own. */
enum { EXTRA_GC = 0 };

/* The marker table is columnar: the events are walked once per column. */
enum marker_column { COL_DATA, COL_NAME, COL_START, COL_END, COL_PHASE, COL_CATEGORY, COL_COUNT };
static const char *const marker_column_names[COL_COUNT] = {"data",    "name",  "startTime",
                                                           "endTime", "phase", "category"};

typedef struct exporter {
    const sg_profile *p;
    FILE *out;
    sg_frame_lines fl;
    sg_timeline tl;
    uint32_t *source_of_file; /* string id → source index + 1, 0 = none */
    uint32_t *event_order;    /* events by time */
    uint32_t marker_thread;   /* thread that gets markers of no thread */
    int column;               /* the marker column being written (enum marker_column) */
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

static void write_repeated(FILE *out, const char *key, const char *value, size_t n)
{
    fprintf(out, "\"%s\":[", key);
    for (size_t i = 0; i < n; i++)
        fputs(i ? value : value + 1, out); /* value is ",X": no comma before the first */
    fputs("],", out);
}

static void write_meta(exporter *ex)
{
    const sg_profile *p = ex->p;
    FILE *out = ex->out;
    fputs("\"meta\":{\"interval\":", out);
    sg_json_write_decimal(out, p->meta.interval_ns > 0 ? p->meta.interval_ns : 1000000, 6);
    fputs(",\"startTime\":", out);
    sg_json_write_decimal(out, p->meta.start_unix_ns, 6);
    fprintf(out,
            ",\"processType\":0,\"product\":\"Python (spyglass)\",\"stackwalk\":0,"
            "\"version\":%d,\"preprocessedProfileVersion\":%d,\"symbolicated\":true,"
            "\"usesOnlyOneStackType\":true,\"sourceCodeIsNotOnSearchfox\":true,"
            "\"importedFrom\":\"spyglass@" SG_VERSION "\",",
            SG_FIREFOX_GECKO_VERSION, SG_FIREFOX_PROCESSED_VERSION);
    if (sg_strings_len(&p->strings, p->meta.command) > 0) {
        fputs("\"arguments\":", out);
        write_text(out, &p->strings, p->meta.command);
        fputc(',', out);
    }
    fputs("\"categories\":["
          "{\"name\":\"Other\",\"color\":\"grey\",\"subcategories\":[\"Other\"]},"
          "{\"name\":\"Python\",\"color\":\"yellow\",\"subcategories\":[\"Other\"]},"
          "{\"name\":\"GC\",\"color\":\"orange\",\"subcategories\":[\"Other\"]}],"
          "\"markerSchema\":[{\"name\":\"GC\",\"display\":[\"marker-chart\",\"marker-table\","
          "\"timeline-overview\"],\"tooltipLabel\":\"GC {marker.data.label}\","
          "\"tableLabel\":\"{marker.data.label}\",\"chartLabel\":\"{marker.data.label}\","
          "\"fields\":[{\"key\":\"label\",\"label\":\"Collection\",\"format\":\"string\"}]}]}",
          out);
}

/* shared.stringArray and shared.sources (one source per file name used). */
static int write_strings_and_sources(exporter *ex)
{
    const sg_profile *p = ex->p;
    FILE *out = ex->out;
    ex->source_of_file = calloc((size_t)p->strings.count + 1, sizeof *ex->source_of_file);
    if (ex->source_of_file == NULL)
        return SG_PROFILE_ENOMEM;
    fputs("\"stringArray\":[", out);
    for (uint32_t id = 0; id < p->strings.count; id++) {
        if (id)
            fputc(',', out);
        write_text(out, &p->strings, id);
    }
    fputs(p->strings.count ? ",\"GC\"]," : "\"GC\"],", out);
    uint32_t nsources = 0;
    fputs("\"sources\":{\"filename\":[", out);
    for (uint32_t f = 0; f < p->frames.count; f++) {
        uint32_t file = p->frames.rows[f].file;
        if (sg_strings_len(&p->strings, file) == 0 || ex->source_of_file[file] != 0)
            continue;
        ex->source_of_file[file] = ++nsources;
        fprintf(out, nsources > 1 ? ",%" PRIu32 : "%" PRIu32, file);
    }
    fputs("],", out);
    write_repeated(out, "uuid", ",null", nsources);
    fprintf(out, "\"length\":%" PRIu32 "}", nsources);
    return SG_PROFILE_OK;
}

static void write_func_table(exporter *ex)
{
    const sg_profile *p = ex->p;
    FILE *out = ex->out;
    uint32_t n = p->frames.count;
    fputs(",\"funcTable\":{\"name\":[", out);
    for (uint32_t f = 0; f < n; f++)
        fprintf(out, f ? ",%" PRIu32 : "%" PRIu32, p->frames.rows[f].name);
    fputs("],", out);
    write_repeated(out, "isJS", ",true", n);
    write_repeated(out, "relevantForJS", ",false", n);
    write_repeated(out, "resource", ",-1", n);
    fputs("\"source\":[", out);
    for (uint32_t f = 0; f < n; f++) {
        uint32_t source = ex->source_of_file[p->frames.rows[f].file];
        if (f)
            fputc(',', out);
        if (source == 0)
            fputs("null", out);
        else
            fprintf(out, "%" PRIu32, source - 1);
    }
    fputs("],\"lineNumber\":[", out);
    for (uint32_t f = 0; f < n; f++) {
        uint32_t line = p->frames.rows[f].first_line;
        if (f)
            fputc(',', out);
        if (line == 0)
            fputs("null", out);
        else
            fprintf(out, "%" PRIu32, line);
    }
    fputs("],", out);
    write_repeated(out, "columnNumber", ",null", n);
    fprintf(out, "\"length\":%" PRIu32 "}", n);
}

static void write_frame_table(exporter *ex)
{
    FILE *out = ex->out;
    uint32_t n = ex->fl.count;
    fputs(",\"frameTable\":{", out);
    write_repeated(out, "address", ",-1", n);
    write_repeated(out, "inlineDepth", ",0", n);
    write_repeated(out, "category", ",1", n);
    write_repeated(out, "subcategory", ",0", n);
    fputs("\"func\":[", out);
    for (uint32_t k = 0; k < n; k++)
        fprintf(out, k ? ",%" PRIu32 : "%" PRIu32, ex->fl.frame[k]);
    fputs("],", out);
    write_repeated(out, "nativeSymbol", ",null", n);
    write_repeated(out, "innerWindowID", ",null", n);
    fputs("\"line\":[", out);
    for (uint32_t k = 0; k < n; k++) {
        if (k)
            fputc(',', out);
        if (ex->fl.line[k] == 0)
            fputs("null", out);
        else
            fprintf(out, "%" PRIu32, ex->fl.line[k]);
    }
    fputs("],", out);
    write_repeated(out, "column", ",null", n);
    fprintf(out, "\"length\":%" PRIu32 "}", n);
}

static void write_stack_table(exporter *ex)
{
    const sg_stacks *st = &ex->p->stacks;
    FILE *out = ex->out;
    fputs(",\"stackTable\":{\"frame\":[", out);
    for (uint32_t id = 0; id < st->count; id++)
        fprintf(out, id ? ",%" PRIu32 : "%" PRIu32, ex->fl.of_stack[id]);
    fputs("],\"prefix\":[", out);
    for (uint32_t id = 0; id < st->count; id++) {
        if (id)
            fputc(',', out);
        if (st->rows[id].parent == SG_STACK_NONE)
            fputs("null", out);
        else
            fprintf(out, "%" PRIu32, st->rows[id].parent);
    }
    fprintf(out, "],\"length\":%" PRIu32 "}", st->count);
}

static void write_samples(exporter *ex, uint32_t t)
{
    const sg_profile *p = ex->p;
    const sg_samples *s = &p->samples;
    FILE *out = ex->out;
    size_t begin = ex->tl.start[t], end = ex->tl.start[t + 1];
    bool ns = p->meta.weight_unit == SG_WEIGHT_NANOSECONDS, weighted = ns;
    for (size_t k = begin; k < end && !weighted; k++)
        weighted = s->weight[ex->tl.index[k]] != 1;
    fputs("\"samples\":{\"stack\":[", out);
    for (size_t k = begin; k < end; k++) {
        uint32_t stack = s->stack[ex->tl.index[k]];
        if (k > begin)
            fputc(',', out);
        if (stack == SG_STACK_NONE)
            fputs("null", out);
        else
            fprintf(out, "%" PRIu32, stack);
    }
    fputs("],\"time\":[", out);
    uint64_t cursor = 0;
    for (size_t k = begin; k < end; k++) {
        if (k > begin)
            fputc(',', out);
        sg_json_write_decimal(out, sg_timeline_place(p, ex->tl.index[k], &cursor), 6);
        if ((++ex->done & 0xffff) == 0)
            report_progress(ex);
    }
    fputs("],\"weight\":", out);
    if (!weighted) {
        fputs("null", out);
    } else {
        fputc('[', out);
        for (size_t k = begin; k < end; k++) {
            if (k > begin)
                fputc(',', out);
            sg_json_write_decimal(out, s->weight[ex->tl.index[k]], ns ? 6 : 0);
        }
        fputc(']', out);
    }
    fprintf(out, ",\"weightType\":\"%s\",\"length\":%zu}", ns ? "tracing-ms" : "samples",
            end - begin);
}

static bool marker_belongs(const exporter *ex, uint32_t i, uint32_t t)
{
    uint32_t thread = ex->p->events.thread[i];
    return thread == t || (thread >= ex->p->threads.count && t == ex->marker_thread);
}

/* Write one marker's value for the column ex->column. */
static void write_marker_cell(exporter *ex, uint32_t name, uint64_t start, uint64_t end, int phase,
                              uint32_t label, size_t count)
{
    FILE *out = ex->out;
    if (count > 0)
        fputc(',', out);
    switch (ex->column) {
    case COL_NAME:
        fprintf(out, "%" PRIu32, name);
        break;
    case COL_START:
        sg_json_write_decimal(out, start, 6);
        break;
    case COL_END:
        if (phase == PHASE_INSTANT)
            fputs("null", out);
        else
            sg_json_write_decimal(out, end, 6);
        break;
    case COL_PHASE:
        fprintf(out, "%d", phase);
        break;
    case COL_CATEGORY:
        fprintf(out, "%d", phase == PHASE_INTERVAL ? CATEGORY_GC : CATEGORY_OTHER);
        break;
    default:
        if (phase == PHASE_INSTANT) {
            fputs("null", out);
        } else {
            fputs("{\"type\":\"GC\",\"label\":", out);
            write_text(out, &ex->p->strings, label);
            fputc('}', out);
        }
        break;
    }
}

/* The markers of thread t, in time order, one cell each for ex->column: a
 * GC start/stop pair is one interval marker (still open at the end: closed
 * at the thread's last event), a marker event an instant one. Returns how
 * many markers there are. */
static size_t write_marker_column(exporter *ex, uint32_t t)
{
    const sg_events *e = &ex->p->events;
    uint64_t gc_start = UINT64_MAX, last = 0;
    uint32_t gc_label = 0, gc_name = ex->p->strings.count + EXTRA_GC;
    size_t count = 0;
    for (size_t k = 0; k < e->count; k++) {
        uint32_t i = ex->event_order[k];
        if (!marker_belongs(ex, i, t))
            continue;
        last = e->time_ns[i];
        if (e->kind[i] == SG_EVENT_GC_START && gc_start == UINT64_MAX) {
            gc_start = e->time_ns[i];
            gc_label = e->label[i];
        } else if (e->kind[i] == SG_EVENT_GC_STOP && gc_start != UINT64_MAX) {
            write_marker_cell(ex, gc_name, gc_start, e->time_ns[i], PHASE_INTERVAL, gc_label,
                              count++);
            gc_start = UINT64_MAX;
        } else if (e->kind[i] == SG_EVENT_MARKER) {
            write_marker_cell(ex, e->label[i], e->time_ns[i], 0, PHASE_INSTANT, 0, count++);
        }
    }
    if (gc_start != UINT64_MAX)
        write_marker_cell(ex, gc_name, gc_start, last, PHASE_INTERVAL, gc_label, count++);
    return count;
}

static void write_markers(exporter *ex, uint32_t t)
{
    size_t count = 0;
    fputs("\"markers\":{", ex->out);
    for (ex->column = 0; ex->column < COL_COUNT; ex->column++) {
        fprintf(ex->out, "\"%s\":[", marker_column_names[ex->column]);
        count = write_marker_column(ex, t);
        fputs("],", ex->out);
    }
    fprintf(ex->out, "\"length\":%zu}", count);
}

static bool thread_has_events(const exporter *ex, uint32_t t)
{
    for (size_t i = 0; i < ex->p->events.count; i++)
        if (marker_belongs(ex, (uint32_t)i, t))
            return true;
    return false;
}

static void write_thread(exporter *ex, uint32_t t, bool first)
{
    const sg_profile *p = ex->p;
    FILE *out = ex->out;
    uint64_t tid = p->threads.tid[t];
    bool main_thread = p->meta.pid != 0 ? tid == p->meta.pid : t == ex->marker_thread;
    fprintf(out,
            "%s\n{\"processType\":\"default\",\"processStartupTime\":0,"
            "\"processShutdownTime\":null,\"registerTime\":0,\"unregisterTime\":null,"
            "\"pausedRanges\":[],\"showMarkersInTimeline\":true,\"processName\":\"python\","
            "\"isMainThread\":%s,\"pid\":\"%" PRIu64 "\",\"tid\":%" PRIu64 ",\"name\":",
            first ? "" : ",", main_thread ? "true" : "false", p->meta.pid, tid);
    uint32_t name = p->threads.name[t];
    if (sg_strings_len(&p->strings, name) > 0) {
        write_text(out, &p->strings, name);
    } else {
        char fallback[40];
        int n = snprintf(fallback, sizeof fallback, "Thread %" PRIu64, tid);
        sg_json_write_string(out, fallback, (size_t)n);
    }
    fputc(',', out);
    write_samples(ex, t);
    fputc(',', out);
    write_markers(ex, t);
    fputc('}', out);
}

static int compare_event_time(uint32_t a, uint32_t b, const void *ctx)
{
    const uint64_t *time = ctx;
    return (time[a] > time[b]) - (time[a] < time[b]);
}

static int order_events(exporter *ex)
{
    const sg_events *e = &ex->p->events;
    if (e->count > UINT32_MAX)
        return SG_PROFILE_ELIMIT;
    ex->event_order = malloc((e->count + 1) * sizeof *ex->event_order);
    if (ex->event_order == NULL)
        return SG_PROFILE_ENOMEM;
    for (size_t i = 0; i < e->count; i++)
        ex->event_order[i] = (uint32_t)i;
    return sg_sort_u32(ex->event_order, e->count, compare_event_time, e->time_ns);
}

int sg_export_firefox(const sg_profile *p, FILE *out, const sg_io_progress *progress, char *err,
                      size_t errlen)
{
    exporter ex = {.p = p, .out = out, .progress = progress};
    clock_gettime(CLOCK_MONOTONIC, &ex.last_report);
    int rc = sg_frame_lines_build(p, &ex.fl);
    if (rc == 0)
        rc = sg_timeline_build(p, &ex.tl);
    if (rc == 0)
        rc = order_events(&ex);
    if (rc != 0)
        goto out;
    /* Markers of no thread go to the main thread, else the first with samples. */
    ex.marker_thread = 0;
    for (uint32_t t = p->threads.count; t > 0; t--)
        if (ex.tl.start[t - 1] < ex.tl.start[t] || p->threads.tid[t - 1] == p->meta.pid)
            ex.marker_thread = t - 1;
    for (uint32_t t = 0; t < p->threads.count; t++)
        if (p->meta.pid != 0 && p->threads.tid[t] == p->meta.pid)
            ex.marker_thread = t;

    fputc('{', out);
    write_meta(&ex);
    fputs(",\"libs\":[],\"pages\":[],\n\"shared\":{", out);
    if ((rc = write_strings_and_sources(&ex)) != 0)
        goto out;
    write_func_table(&ex);
    write_frame_table(&ex);
    write_stack_table(&ex);
    fputs(",\"resourceTable\":{\"lib\":[],\"name\":[],\"host\":[],\"type\":[],\"length\":0},"
          "\"nativeSymbols\":{\"libIndex\":[],\"address\":[],\"name\":[],\"functionSize\":[],"
          "\"length\":0}},\n\"threads\":[",
          out);
    bool first = true;
    for (uint32_t t = 0; t < p->threads.count; t++) {
        if (ex.tl.start[t] == ex.tl.start[t + 1] && !thread_has_events(&ex, t))
            continue;
        write_thread(&ex, t, first);
        first = false;
    }
    fputs("]}\n", out);
    if (fflush(out) != 0 || ferror(out))
        rc = SG_PROFILE_EIO;
out:
    if (rc != 0)
        snprintf(err, errlen, "Firefox Profiler export: %s",
                 rc == SG_PROFILE_EIO ? "writing the output failed" : sg_profile_strerror(rc));
    sg_frame_lines_free(&ex.fl);
    sg_timeline_free(&ex.tl);
    free(ex.source_of_file);
    free(ex.event_order);
    return rc;
}
