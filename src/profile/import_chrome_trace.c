/*
 * import_chrome_trace.c — Chrome trace events into a profile (see
 * import_chrome_trace.h for what is read).
 *
 * Three steps:
 *   1. stream the events one at a time (json_in + jansson per event):
 *      begin/end edges go into a flat array (an "X" gives two), names are
 *      interned as frames at once, thread names and GC/marker events are
 *      noted; a cut in the input ends this step with what was whole;
 *   2. sort the edges by (track, time, tie rule) — the order in which they
 *      take effect;
 *   3. replay each track with an explicit stack of stack ids: between two
 *      different times the open stack gets one sample weighted by the gap.
 * Memory is O(events); samples added are capped by a budget proportional to
 * the input size (a gap longer than a uint32 weight is split), and nothing
 * recurses on nesting depth.
 */
#include "profile/import_chrome_trace.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profile/grow.h"
#include "profile/hash.h"
#include "profile/json_in.h"

#define BUDGET_EXTRA (1u << 20)
#define MAX_US       4.5e15 /* |ts| in µs: differences of two times, in ns, fit in int64 */
#define MAX_NS       4500000000000000000ll

enum edge_kind { EDGE_X_END = 0, EDGE_NATIVE = 1, EDGE_X_BEGIN = 2 };

/* One change of a track's stack. Sorted by (track, ts, group, order, seq). */
typedef struct edge {
    int64_t ts;     /* ns */
    int64_t order;  /* tie rule within the group (see compare_edges) */
    uint32_t seq;   /* event number in the file */
    uint32_t track; /* index into tracks */
    uint32_t frame; /* frame id (begin edges) */
    uint32_t line;  /* line executing (begin edges) */
    uint8_t group;  /* enum edge_kind */
    uint8_t begin;  /* 1 = push, 0 = pop */
} edge;

/* A GC span or an instant marker, turned into events at the end. */
typedef struct note {
    int64_t ts, dur; /* ns; dur < 0 for a marker */
    uint32_t track;  /* UINT32_MAX: a global marker (scope "g"), no thread */
    uint32_t label;  /* string id */
} note;

/* A (pid, tid) pair; a non-numeric id is hashed and flagged. */
typedef struct track {
    uint64_t pid, tid;
    uint32_t name;   /* string id of its thread_name, 0 if none */
    uint32_t thread; /* thread index once created, UINT32_MAX before */
} track;

typedef struct importer {
    sg_json_in in;
    sg_profile *p;
    edge *edges;
    size_t nedges, edges_cap;
    note *notes;
    size_t nnotes, notes_cap;
    track *tracks;
    uint32_t ntracks, tracks_cap;
    uint64_t *slots; /* (pid, tid) → track: (hash << 32) | index */
    uint32_t slot_mask;
    int64_t min_ts;
    bool events_started; /* the events array was entered: a cut after this keeps them */
    uint64_t budget;
    const sg_io_progress *progress;
    struct timespec last_report;
} importer;

static int grow(void **array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return SG_PROFILE_OK;
    size_t new_cap = sg_grow_capacity(*cap, need, 64, SIZE_MAX / elem);
    if (new_cap == 0)
        return SG_PROFILE_ELIMIT;
    int rc = sg_grow_array(array, new_cap, elem);
    if (rc == 0)
        *cap = new_cap;
    return rc;
}

static void report_progress(importer *im)
{
    if (im->progress == NULL || im->progress->report == NULL)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((double)(now.tv_sec - im->last_report.tv_sec) +
            (double)(now.tv_nsec - im->last_report.tv_nsec) / 1e9 <
        0.25)
        return;
    im->last_report = now;
    im->progress->report(im->progress->ctx, im->in.pos, im->in.len);
}

/* ---- tracks ------------------------------------------------------------- */

/* A pid or tid as 64 bits: a whole number as itself, a numeric string
 * parsed, any other string hashed with the top bit set. */
static bool id_value(const json_t *v, uint64_t *out)
{
    if (v == NULL || json_is_null(v)) {
        *out = 0;
        return true;
    }
    if (json_is_integer(v)) {
        *out = (uint64_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!(d >= 0 && d < 1.8e19))
            return false;
        *out = (uint64_t)d;
        return true;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        unsigned long long n = strtoull(s, &end, 10);
        if (end != s && *end == '\0' && s[0] >= '0' && s[0] <= '9') {
            *out = n;
            return true;
        }
        size_t len = json_string_length(v);
        *out = ((uint64_t)sg_hash_bytes(s, len) << 31 ^ len) | 1ull << 63;
        return true;
    }
    return false;
}

static int track_of(importer *im, uint64_t pid, uint64_t tid, uint32_t *index)
{
    uint32_t hash = (uint32_t)(sg_hash_mix(pid * 0x9e3779b97f4a7c15ull ^ tid) >> 32);
    if (im->slots != NULL)
        for (uint32_t j = hash & im->slot_mask;; j = (j + 1) & im->slot_mask) {
            uint64_t slot = im->slots[j];
            if (slot == SG_HASH_EMPTY_SLOT)
                break;
            const track *t = &im->tracks[sg_hash_slot_id(slot)];
            if (sg_hash_slot_hash(slot) == hash && t->pid == pid && t->tid == tid) {
                *index = sg_hash_slot_id(slot);
                return SG_PROFILE_OK;
            }
        }
    if (im->ntracks >= SG_HASH_MAX_ROWS)
        return SG_PROFILE_ELIMIT;
    size_t cap = im->tracks_cap;
    int rc = grow((void **)&im->tracks, &cap, (size_t)im->ntracks + 1, sizeof *im->tracks);
    if (rc == 0)
        rc = sg_hash_index_reserve(&im->slots, &im->slot_mask, im->ntracks);
    if (rc != 0)
        return rc;
    im->tracks_cap = (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap);
    im->tracks[im->ntracks] = (track){pid, tid, 0, UINT32_MAX};
    sg_hash_index_insert(im->slots, im->slot_mask, hash, im->ntracks);
    *index = im->ntracks++;
    return SG_PROFILE_OK;
}

/* ---- reading events ----------------------------------------------------- */

/* µs (a JSON number) to ns. */
static bool micros_to_ns(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t us = json_integer_value(v);
        if (us > (json_int_t)MAX_US || us < -(json_int_t)MAX_US)
            return false;
        *out = (int64_t)us * 1000;
        return true;
    }
    if (json_is_real(v)) {
        double us = json_real_value(v);
        if (!(fabs(us) < MAX_US))
            return false;
        *out = (int64_t)llround(us * 1000.0);
        return true;
    }
    return false;
}

static const char *string_member(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static uint32_t line_member(const json_t *args, const char *key, const char *alt)
{
    json_t *v = json_object_get(args, key);
    if (v == NULL && alt != NULL)
        v = json_object_get(args, alt);
    double d = json_is_number(v) ? json_number_value(v) : 0;
    return d >= 1 && d <= UINT32_MAX ? (uint32_t)d : 0;
}

static int add_edge(importer *im, edge e)
{
    int rc = grow((void **)&im->edges, &im->edges_cap, im->nedges + 1, sizeof *im->edges);
    if (rc == 0)
        im->edges[im->nedges++] = e;
    if (e.ts < im->min_ts)
        im->min_ts = e.ts;
    return rc;
}

static int add_note(importer *im, note n)
{
    int rc = grow((void **)&im->notes, &im->notes_cap, im->nnotes + 1, sizeof *im->notes);
    if (rc == 0)
        im->notes[im->nnotes++] = n;
    if (n.ts < im->min_ts)
        im->min_ts = n.ts;
    return rc;
}

static int read_begin_frame(importer *im, const json_t *ev, uint32_t *frame, uint32_t *line)
{
    const json_t *args = json_object_get(ev, "args");
    const char *name = string_member(ev, "name");
    const char *file = string_member(args, "filename");
    if (file == NULL)
        file = string_member(args, "file");
    if (file == NULL)
        file = string_member(args, "url");
    if (name == NULL)
        name = "(unnamed)";
    if (file == NULL)
        file = "";
    *line = line_member(args, "line", "lineno");
    const json_t *name_v = json_object_get(ev, "name");
    size_t name_len = json_is_string(name_v) ? json_string_length(name_v) : strlen(name);
    return sg_profile_intern_frame(im->p, file, strlen(file), name, name_len,
                                   line_member(args, "first_line", NULL), frame);
}

/* One element of the events array, already parsed. */
static int use_event(importer *im, const json_t *ev, uint32_t seq, const char *path)
{
    const char *ph = string_member(ev, "ph");
    if (!json_is_object(ev) || ph == NULL || ph[0] == '\0' || ph[1] != '\0')
        return SG_PROFILE_OK; /* not an event we know: ignored */
    char phase = ph[0];
    if (phase != 'B' && phase != 'E' && phase != 'X' && phase != 'M' && phase != 'i' &&
        phase != 'I')
        return SG_PROFILE_OK;
    uint64_t pid, tid;
    if (!id_value(json_object_get(ev, "pid"), &pid) || !id_value(json_object_get(ev, "tid"), &tid))
        return sg_json_in_fail(&im->in, SG_PROFILE_EFORMAT, "%s: pid or tid is not a number", path);
    uint32_t t;
    int rc = track_of(im, pid, tid, &t);
    if (rc != 0)
        return sg_json_in_fail(&im->in, rc, "%s: %s", path, sg_profile_strerror(rc));
    if (phase == 'M') {
        const char *name = string_member(ev, "name");
        const char *thread_name = string_member(json_object_get(ev, "args"), "name");
        if (name != NULL && strcmp(name, "thread_name") == 0 && thread_name != NULL)
            rc = sg_strings_intern_cstr(&im->p->strings, thread_name, &im->tracks[t].name);
        return rc == 0 ? rc : sg_json_in_fail(&im->in, rc, "%s: %s", path, sg_profile_strerror(rc));
    }
    int64_t ts, dur = 0;
    if (!micros_to_ns(json_object_get(ev, "ts"), &ts))
        return sg_json_in_fail(&im->in, SG_PROFILE_EFORMAT, "%s.ts: %s", path,
                               json_object_get(ev, "ts") == NULL ? "missing"
                                                                 : "not a number of microseconds");
    if (phase == 'X') {
        const json_t *d = json_object_get(ev, "dur");
        if (d != NULL && !micros_to_ns(d, &dur))
            return sg_json_in_fail(&im->in, SG_PROFILE_EFORMAT, "%s.dur: %s", path,
                                   "not a number of microseconds");
        if (dur <= 0)
            return SG_PROFILE_OK; /* nothing happened for any time */
        if (ts > MAX_NS - dur)
            return sg_json_in_fail(&im->in, SG_PROFILE_EFORMAT, "%s.dur: %s", path, "too large");
    }
    const char *cat = string_member(ev, "cat");
    bool gc = cat != NULL && strcmp(cat, "gc") == 0;
    if (phase == 'i' || phase == 'I' || (gc && phase == 'X')) {
        const char *label = string_member(json_object_get(ev, "args"), "label");
        if (label == NULL)
            label = string_member(ev, "name");
        const char *scope = string_member(ev, "s");
        bool global = phase != 'X' && scope != NULL && strcmp(scope, "g") == 0;
        note n = {ts, phase == 'X' ? dur : -1, global ? UINT32_MAX : t, 0};
        rc = sg_strings_intern_cstr(&im->p->strings, label != NULL ? label : "", &n.label);
        if (rc == 0)
            rc = add_note(im, n);
        return rc == 0 ? rc : sg_json_in_fail(&im->in, rc, "%s: %s", path, sg_profile_strerror(rc));
    }
    if (gc)
        return SG_PROFILE_OK; /* a GC begin/end pair: only spans are understood */
    edge e = {.ts = ts, .seq = seq, .track = t, .group = EDGE_NATIVE, .order = seq};
    if (phase == 'E') {
        rc = add_edge(im, e);
    } else {
        rc = read_begin_frame(im, ev, &e.frame, &e.line);
        e.begin = 1;
        if (rc == 0 && phase == 'X') {
            e.group = EDGE_X_BEGIN;
            e.order = -dur; /* longer first */
            rc = add_edge(im, e);
            e = (edge){.ts = ts + dur,
                       .seq = seq,
                       .track = t,
                       .group = EDGE_X_END,
                       .order = -ts}; /* the one that began later ends first */
        }
        if (rc == 0)
            rc = add_edge(im, e);
    }
    return rc == 0 ? rc : sg_json_in_fail(&im->in, rc, "%s: %s", path, sg_profile_strerror(rc));
}

/* The events array, up to its end or to a cut in the input. */
static int read_events(importer *im, const char *path)
{
    int rc = sg_json_in_enter(&im->in, '[', path);
    im->events_started = rc == 0;
    size_t n = 0;
    while (rc == 0 && (rc = sg_json_in_next(&im->in, ']', &n, path)) == 1) {
        char element[64];
        sg_json_in_element_path(element, sizeof element, path, n - 1);
        if (n - 1 >= UINT32_MAX)
            return sg_json_in_fail(&im->in, SG_PROFILE_ELIMIT, "%s: too many events", element);
        json_t *ev = sg_json_in_value(&im->in, element);
        if (ev == NULL)
            return im->in.status;
        rc = use_event(im, ev, (uint32_t)(n - 1), element);
        json_decref(ev);
        if ((n & 0xffff) == 0)
            report_progress(im);
    }
    return rc < 0 ? rc : SG_PROFILE_OK;
}

/* The object form: the events are the value of "traceEvents". */
static int read_object(importer *im)
{
    int rc = sg_json_in_enter(&im->in, '{', "the file");
    size_t count = 0;
    bool found = false;
    while (rc == 0 && (rc = sg_json_in_next(&im->in, '}', &count, "the file")) == 1) {
        char key[32];
        if ((rc = sg_json_in_key(&im->in, key, sizeof key, "the file")) != 0)
            break;
        if (strcmp(key, "traceEvents") == 0 && !found) {
            rc = read_events(im, "traceEvents");
            found = true;
        } else {
            rc = sg_json_in_skip(&im->in, key);
        }
    }
    if (rc == 0 && !found)
        return sg_json_in_fail_at(&im->in, 0, false, SG_PROFILE_EFORMAT,
                                  "no \"traceEvents\" array in the object");
    return rc < 0 ? rc : SG_PROFILE_OK;
}

/* ---- replaying the edges ------------------------------------------------ */

static int compare_edges(const void *pa, const void *pb)
{
    const edge *a = pa, *b = pb;
    if (a->track != b->track)
        return a->track < b->track ? -1 : 1;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    if (a->group != b->group)
        return a->group < b->group ? -1 : 1;
    if (a->order != b->order)
        return a->order < b->order ? -1 : 1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

static int compare_notes(const void *pa, const void *pb)
{
    const note *a = pa, *b = pb;
    return (a->ts > b->ts) - (a->ts < b->ts);
}

static int thread_of(importer *im, uint32_t t, uint32_t *thread)
{
    track *tr = &im->tracks[t];
    if (tr->thread != UINT32_MAX) {
        *thread = tr->thread;
        return SG_PROFILE_OK;
    }
    /* Unnamed tracks are named by pid and tid, so one tid under two pids
     * stays two threads; a tid that was a string is numbered by track. */
    bool hashed = (tr->tid >> 63) != 0 || (tr->pid >> 63) != 0;
    const char *name = sg_strings_get(&im->p->strings, tr->name);
    char fallback[64];
    if (tr->name == 0 && !hashed) {
        snprintf(fallback, sizeof fallback, "pid %llu tid %llu", (unsigned long long)tr->pid,
                 (unsigned long long)tr->tid);
        name = fallback;
    }
    int rc = sg_profile_intern_thread(im->p, hashed ? t : tr->tid, name, thread);
    if (rc == 0)
        tr->thread = *thread;
    return rc;
}

static int add_weight(importer *im, uint32_t thread, uint32_t stack, uint64_t time, uint64_t weight)
{
    while (weight > 0) {
        uint32_t part = weight > UINT32_MAX ? UINT32_MAX : (uint32_t)weight;
        if (im->budget == 0)
            return sg_json_in_fail_at(&im->in, 0, false, SG_PROFILE_ELIMIT,
                                      "the trace spans more time than its size allows "
                                      "(more than one sample per input byte)");
        im->budget--;
        int rc = sg_profile_add_sample(im->p, time, thread, stack, 0, part);
        if (rc != 0)
            return rc;
        time += part;
        weight -= part;
    }
    return SG_PROFILE_OK;
}

static int replay(importer *im)
{
    if (im->nedges > 1)
        qsort(im->edges, im->nedges, sizeof *im->edges, compare_edges);
    uint32_t *open = malloc((im->nedges + 1) * sizeof *open);
    if (open == NULL)
        return SG_PROFILE_ENOMEM;
    int rc = SG_PROFILE_OK;
    for (size_t k = 0; k < im->nedges && rc == 0;) {
        uint32_t t = im->edges[k].track, thread;
        if ((rc = thread_of(im, t, &thread)) != 0)
            break;
        size_t depth = 0;
        int64_t prev = im->edges[k].ts;
        for (; k < im->nedges && im->edges[k].track == t && rc == 0; k++) {
            const edge *e = &im->edges[k];
            if (depth > 0 && e->ts > prev)
                rc = add_weight(im, thread, open[depth - 1], (uint64_t)(prev - im->min_ts),
                                (uint64_t)(e->ts - prev));
            prev = e->ts;
            if (rc != 0)
                break;
            if (e->begin) {
                uint32_t parent = depth > 0 ? open[depth - 1] : SG_STACK_NONE;
                rc = sg_stacks_intern(&im->p->stacks, parent, e->frame, e->line, &open[depth]);
                depth++;
            } else if (depth > 0) {
                depth--;
            }
        }
    }
    free(open);
    return rc;
}

static int add_notes(importer *im)
{
    if (im->nnotes > 1)
        qsort(im->notes, im->nnotes, sizeof *im->notes, compare_notes);
    int rc = sg_events_reserve(&im->p->events, im->nnotes * 2);
    for (size_t i = 0; i < im->nnotes && rc == 0; i++) {
        const note *n = &im->notes[i];
        uint64_t at = (uint64_t)(n->ts - im->min_ts);
        if (n->dur < 0) {
            uint32_t thread = SG_THREAD_NONE;
            if (n->track != UINT32_MAX)
                rc = thread_of(im, n->track, &thread);
            if (rc == 0)
                rc = sg_events_append(&im->p->events, at, SG_EVENT_MARKER, thread, n->label);
        } else {
            rc = sg_events_append(&im->p->events, at, SG_EVENT_GC_START, SG_THREAD_NONE, n->label);
            if (rc == 0)
                rc = sg_events_append(&im->p->events, at + (uint64_t)n->dur, SG_EVENT_GC_STOP,
                                      SG_THREAD_NONE, n->label);
        }
    }
    return rc;
}

/* ---- the file ----------------------------------------------------------- */

static size_t skip_space(const uint8_t *data, size_t len, size_t i)
{
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r'))
        i++;
    return i;
}

bool sg_detect_chrome_trace(const uint8_t *data, size_t len)
{
    size_t i = len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    i = skip_space(data, len, i);
    if (i >= len)
        return false;
    if (data[i] == '{')
        return memmem(data, len, "\"traceEvents\"", 13) != NULL;
    if (data[i] != '[')
        return false;
    i = skip_space(data, len, i + 1);
    if (i >= len || data[i] != '{')
        return false;
    size_t window = len - i < 4096 ? len - i : 4096;
    return memmem(data + i, window, "\"ph\"", 4) != NULL;
}

int sg_import_chrome_trace(const uint8_t *data, size_t len, const sg_io_progress *progress,
                           sg_profile **out, char *err, size_t errlen)
{
    *out = NULL;
    importer im = {
        .progress = progress, .budget = (uint64_t)len + BUDGET_EXTRA, .min_ts = INT64_MAX};
    clock_gettime(CLOCK_MONOTONIC, &im.last_report);
    sg_json_in_init(&im.in, data, len, err, errlen);
    im.p = sg_profile_new();
    int rc = im.p == NULL ? sg_json_in_fail(&im.in, SG_PROFILE_ENOMEM, "out of memory") : 0;
    if (rc == 0) {
        int c = sg_json_in_peek(&im.in);
        if (c == '[')
            rc = read_events(&im, "events");
        else if (c == '{')
            rc = read_object(&im);
        else
            rc = sg_json_in_fail(&im.in, SG_PROFILE_EFORMAT,
                                 "expected a JSON array or object of trace events");
        if (rc != 0 && im.in.eof && im.events_started) {
            /* A trace cut short: keep every whole event before the cut. */
            rc = SG_PROFILE_OK;
            im.in.status = 0;
            im.in.eof = false;
            if (err != NULL && errlen > 0)
                err[0] = '\0';
        } else if (rc == 0 && sg_json_in_peek(&im.in) != -1) {
            rc = sg_json_in_fail(&im.in, SG_PROFILE_EFORMAT, "unexpected data after the events");
        }
    }
    if (rc == 0) {
        im.p->meta.weight_unit = SG_WEIGHT_NANOSECONDS;
        rc = replay(&im);
        if (rc == 0)
            rc = add_notes(&im);
        if (rc != 0 && im.in.status == 0)
            sg_json_in_fail_at(&im.in, 0, false, rc, "building the stacks: %s",
                               sg_profile_strerror(rc));
    }
    free(im.edges);
    free(im.notes);
    free(im.tracks);
    free(im.slots);
    if (rc != 0) {
        sg_profile_free(im.p);
        return rc;
    }
    if (progress != NULL && progress->report != NULL)
        progress->report(progress->ctx, len, len);
    *out = im.p;
    return SG_PROFILE_OK;
}
