/*
 * import_speedscope.c — speedscope JSON into a profile (see
 * import_speedscope.h for what is read and tolerated).
 *
 * Two passes over the top-level object, each streaming with json_in: the
 * first reads shared.frames and notes where "profiles" starts, the second
 * reads the profiles, one element at a time. Only one sample, weight or
 * event is ever a jansson DOM; what a profile keeps until its end is a
 * stack id per sample, a double per weight and 16 bytes per event.
 *
 * Invariants:
 *   - every frame index read is checked against the frame count before use;
 *   - samples added to the profile never exceed `budget` (the input size
 *     plus a constant), so weights that need splitting into many samples
 *     cannot make memory grow without bound;
 *   - stacks are built by walking arrays, never by recursion.
 */
#include "profile/import_speedscope.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profile/grow.h"
#include "profile/json_in.h"

#define SCHEMA_URL        "speedscope.app/file-format-schema.json"
#define SCHEMA_URL_ESCAPE "speedscope.app\\/file-format-schema.json"
#define PATH_MAX_LEN      96
#define BUDGET_EXTRA      (1u << 20) /* samples allowed beyond one per input byte */

enum unit_kind { KIND_UNKNOWN = 0, KIND_TIME = 1, KIND_COUNT = 2 };

typedef struct ss_frame {
    uint32_t frame; /* our frame id */
    uint32_t line;  /* the line shown with it, 0 if none */
} ss_frame;

typedef struct ss_event {
    double at;
    uint32_t frame; /* index into shared.frames */
    uint32_t open;  /* 1 = "O", 0 = "C" */
} ss_event;

/* What one element of "profiles" holds, collected until its '}'. */
typedef struct ss_profile {
    int type; /* 0 unknown, 1 sampled, 2 evented */
    char name[256];
    bool has_name;
    char unit[16];
    double start_value;
    uint32_t *stacks; /* per sample: stack id or SG_STACK_NONE */
    size_t nstacks, stacks_cap;
    double *weights;
    size_t nweights, weights_cap;
    ss_event *events;
    size_t nevents, events_cap;
} ss_profile;

typedef struct importer {
    sg_json_in in;
    sg_profile *p;
    ss_frame *frames;
    size_t nframes, frames_cap;
    sg_frame_line *chain; /* scratch for one sample's frames */
    size_t chain_cap;
    enum unit_kind kind; /* decided by the first profile with a known unit */
    uint64_t budget;     /* samples that may still be added */
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
    double since = (double)(now.tv_sec - im->last_report.tv_sec) +
                   (double)(now.tv_nsec - im->last_report.tv_nsec) / 1e9;
    if (since < 0.25)
        return;
    im->last_report = now;
    im->progress->report(im->progress->ctx, im->in.pos, im->in.len);
}

static int fail(importer *im, int status, const char *fmt, const char *path, const char *what)
{
    return sg_json_in_fail(&im->in, status, fmt, path, what);
}

/* A JSON number that is a whole number in [0, limit], else -1. */
static int64_t whole_number(const json_t *v, int64_t limit)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        return i >= 0 && i <= limit ? (int64_t)i : -1;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        return d >= 0 && d <= (double)limit && d == floor(d) ? (int64_t)d : -1;
    }
    return -1;
}

/* ---- shared.frames ---------------------------------------------------- */

static int read_frame(importer *im, size_t index)
{
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof path, "shared.frames[%zu]", index);
    json_t *v = sg_json_in_value(&im->in, path);
    if (v == NULL)
        return im->in.status;
    int rc = SG_PROFILE_OK;
    json_t *name = json_object_get(v, "name"), *file = json_object_get(v, "file");
    json_t *line = json_object_get(v, "line");
    if (!json_is_object(v))
        rc = fail(im, SG_PROFILE_EFORMAT, "%s: expected an object%s", path, "");
    else if (!json_is_string(name))
        rc = fail(im, SG_PROFILE_EFORMAT, "%s.name: %s", path,
                  name == NULL ? "missing" : "not a string");
    else if (file != NULL && !json_is_string(file) && !json_is_null(file))
        rc = fail(im, SG_PROFILE_EFORMAT, "%s.file: %s", path, "not a string");
    else if (line != NULL && !json_is_number(line) && !json_is_null(line))
        rc = fail(im, SG_PROFILE_EFORMAT, "%s.line: %s", path, "not a number");
    if (rc == 0)
        rc = grow((void **)&im->frames, &im->frames_cap, im->nframes + 1, sizeof *im->frames);
    if (rc == 0) {
        int64_t l = line != NULL ? whole_number(line, UINT32_MAX) : 0;
        ss_frame *f = &im->frames[im->nframes];
        f->line = l > 0 ? (uint32_t)l : 0;
        const char *file_text = json_is_string(file) ? json_string_value(file) : "";
        size_t file_len = json_is_string(file) ? json_string_length(file) : 0;
        rc = sg_profile_intern_frame(im->p, file_text, file_len, json_string_value(name),
                                     json_string_length(name), 0, &f->frame);
        if (rc == 0)
            im->nframes++;
        else
            fail(im, rc, "%s: %s", path, sg_profile_strerror(rc));
    }
    json_decref(v);
    return rc;
}

static int read_shared(importer *im)
{
    int rc = sg_json_in_enter(&im->in, '{', "shared");
    size_t count = 0;
    while (rc == 0 && (rc = sg_json_in_next(&im->in, '}', &count, "shared")) == 1) {
        char key[32];
        if ((rc = sg_json_in_key(&im->in, key, sizeof key, "shared")) != 0)
            break;
        if (strcmp(key, "frames") != 0) {
            rc = sg_json_in_skip(&im->in, "shared");
            continue;
        }
        rc = sg_json_in_enter(&im->in, '[', "shared.frames");
        size_t n = 0;
        while (rc == 0 && (rc = sg_json_in_next(&im->in, ']', &n, "shared.frames")) == 1)
            rc = read_frame(im, n - 1);
    }
    return rc < 0 ? rc : SG_PROFILE_OK;
}

/* ---- one profile -------------------------------------------------------- */

static int read_string_field(importer *im, char *buf, size_t buflen, const char *path)
{
    json_t *v = sg_json_in_value(&im->in, path);
    if (v == NULL)
        return im->in.status;
    int rc = SG_PROFILE_OK;
    if (json_is_string(v)) {
        size_t n = json_string_length(v);
        if (n >= buflen)
            n = buflen - 1;
        memcpy(buf, json_string_value(v), n);
        buf[n] = '\0';
    } else if (!json_is_null(v)) {
        rc = fail(im, SG_PROFILE_EFORMAT, "%s: %s", path, "not a string");
    }
    json_decref(v);
    return rc;
}

static int index_out_of_range(importer *im, size_t i, const char *path)
{
    char what[64];
    snprintf(what, sizeof what, "[%zu]: frame index out of range (%zu frames)", i, im->nframes);
    return fail(im, SG_PROFILE_EFORMAT, "%s%s", path, what);
}

static int append_sample(importer *im, ss_profile *sp, size_t n, const char *path)
{
    uint32_t stack = SG_STACK_NONE;
    int rc = sg_stacks_intern_chain(&im->p->stacks, SG_STACK_NONE, im->chain, n, NULL, &stack);
    if (rc == 0)
        rc = grow((void **)&sp->stacks, &sp->stacks_cap, sp->nstacks + 1, sizeof *sp->stacks);
    if (rc == 0)
        sp->stacks[sp->nstacks++] = stack;
    else
        fail(im, rc, "%s: %s", path, sg_profile_strerror(rc));
    return rc;
}

/*
 * The common shape of a sample, `[12,3,40]` (digits, commas, spaces), read
 * without jansson: one DOM per sample would dominate the import. Returns
 * 1 when it read the sample, 0 (cursor untouched) for any other shape,
 * which the general path then reads and judges, or a negative status.
 */
static int scan_sample(importer *im, ss_profile *sp, const char *path)
{
    const char *d = im->in.data;
    size_t len = im->in.len, pos = im->in.pos, n = 0;
    if (pos >= len || d[pos] != '[')
        return 0;
    pos++;
    for (;;) {
        while (pos < len && (d[pos] == ' ' || d[pos] == '\n' || d[pos] == '\r' || d[pos] == '\t'))
            pos++;
        if (pos < len && d[pos] == ']' && n == 0)
            break;
        if (pos >= len || d[pos] < '0' || d[pos] > '9' ||
            (d[pos] == '0' && pos + 1 < len && d[pos + 1] >= '0' && d[pos + 1] <= '9'))
            return 0;
        uint64_t index = 0;
        while (pos < len && d[pos] >= '0' && d[pos] <= '9' && index <= UINT32_MAX)
            index = index * 10 + (uint64_t)(d[pos++] - '0');
        if (pos < len && (d[pos] == '.' || d[pos] == 'e' || d[pos] == 'E'))
            return 0;
        if (index >= im->nframes)
            return index_out_of_range(im, n, path);
        int rc = grow((void **)&im->chain, &im->chain_cap, n + 1, sizeof *im->chain);
        if (rc != 0)
            return fail(im, rc, "%s: %s", path, sg_profile_strerror(rc));
        im->chain[n].frame = im->frames[index].frame;
        im->chain[n].line = im->frames[index].line;
        n++;
        while (pos < len && (d[pos] == ' ' || d[pos] == '\n' || d[pos] == '\r' || d[pos] == '\t'))
            pos++;
        if (pos < len && d[pos] == ',') {
            pos++;
            continue;
        }
        if (pos < len && d[pos] == ']')
            break;
        return 0;
    }
    im->in.pos = pos + 1;
    int rc = append_sample(im, sp, n, path);
    return rc < 0 ? rc : 1;
}

static int read_sample(importer *im, ss_profile *sp, const char *path)
{
    int fast = scan_sample(im, sp, path);
    if (fast != 0)
        return fast < 0 ? fast : SG_PROFILE_OK;
    json_t *v = sg_json_in_value(&im->in, path);
    if (v == NULL)
        return im->in.status;
    int rc = SG_PROFILE_OK;
    size_t n = json_array_size(v);
    if (!json_is_array(v))
        rc = fail(im, SG_PROFILE_EFORMAT, "%s: %s", path, "not an array of frame indexes");
    if (rc == 0)
        rc = grow((void **)&im->chain, &im->chain_cap, n + 1, sizeof *im->chain);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int64_t f = whole_number(json_array_get(v, i), INT64_MAX);
        if (f < 0 || (uint64_t)f >= im->nframes) {
            rc = index_out_of_range(im, i, path);
            break;
        }
        im->chain[i].frame = im->frames[f].frame;
        im->chain[i].line = im->frames[f].line;
    }
    if (rc == 0)
        rc = append_sample(im, sp, n, path);
    json_decref(v);
    return rc;
}

/* Length of the JSON number (RFC 8259 grammar) at d[0 .. len), 0 if none. */
static size_t number_length(const char *d, size_t len)
{
    size_t i = 0;
    if (i < len && d[i] == '-')
        i++;
    if (i < len && d[i] == '0')
        i++;
    else if (i < len && d[i] >= '1' && d[i] <= '9')
        while (i < len && d[i] >= '0' && d[i] <= '9')
            i++;
    else
        return 0;
    if (i < len && d[i] == '.') {
        size_t from = ++i;
        while (i < len && d[i] >= '0' && d[i] <= '9')
            i++;
        if (i == from)
            return 0;
    }
    if (i < len && (d[i] == 'e' || d[i] == 'E')) {
        i++;
        if (i < len && (d[i] == '+' || d[i] == '-'))
            i++;
        size_t from = i;
        while (i < len && d[i] >= '0' && d[i] <= '9')
            i++;
        if (i == from)
            return 0;
    }
    return i;
}

static int read_weight(importer *im, ss_profile *sp, const char *path)
{
    /* The usual short number is read without jansson (see scan_sample). */
    sg_json_in_peek(&im->in);
    size_t n = number_length(im->in.data + im->in.pos, im->in.len - im->in.pos);
    if (n > 0 && n < 64 && im->in.pos + n < im->in.len) {
        char text[64];
        memcpy(text, im->in.data + im->in.pos, n);
        text[n] = '\0';
        double value = strtod(text, NULL);
        if (isfinite(value)) {
            int rc = grow((void **)&sp->weights, &sp->weights_cap, sp->nweights + 1,
                          sizeof *sp->weights);
            if (rc != 0)
                return fail(im, rc, "%s: %s", path, sg_profile_strerror(rc));
            sp->weights[sp->nweights++] = value;
            im->in.pos += n;
            return SG_PROFILE_OK;
        }
    }
    json_t *v = sg_json_in_value(&im->in, path);
    if (v == NULL)
        return im->in.status;
    int rc = SG_PROFILE_OK;
    if (!json_is_number(v))
        rc = fail(im, SG_PROFILE_EFORMAT, "%s: %s", path, "not a number");
    if (rc == 0)
        rc = grow((void **)&sp->weights, &sp->weights_cap, sp->nweights + 1, sizeof *sp->weights);
    if (rc == 0)
        sp->weights[sp->nweights++] = json_number_value(v);
    else
        fail(im, rc, "%s: %s", path, sg_profile_strerror(rc));
    json_decref(v);
    return rc;
}

static int read_event(importer *im, ss_profile *sp, const char *path)
{
    json_t *v = sg_json_in_value(&im->in, path);
    if (v == NULL)
        return im->in.status;
    int rc = SG_PROFILE_OK;
    json_t *type = json_object_get(v, "type"), *at = json_object_get(v, "at");
    const char *t = json_string_value(type);
    int64_t frame = whole_number(json_object_get(v, "frame"), INT64_MAX);
    if (!json_is_object(v))
        rc = fail(im, SG_PROFILE_EFORMAT, "%s: %s", path, "not an object");
    else if (t == NULL || (strcmp(t, "O") != 0 && strcmp(t, "C") != 0))
        rc = fail(im, SG_PROFILE_EFORMAT, "%s.type: %s", path, "not \"O\" or \"C\"");
    else if (!json_is_number(at))
        rc = fail(im, SG_PROFILE_EFORMAT, "%s.at: %s", path, "missing or not a number");
    else if (frame < 0 || (uint64_t)frame >= im->nframes)
        rc = fail(im, SG_PROFILE_EFORMAT, "%s.frame: %s", path,
                  "missing or out of range of shared.frames");
    if (rc == 0)
        rc = grow((void **)&sp->events, &sp->events_cap, sp->nevents + 1, sizeof *sp->events);
    if (rc == 0)
        sp->events[sp->nevents++] =
            (ss_event){json_number_value(at), (uint32_t)frame, t[0] == 'O' ? 1u : 0u};
    else
        fail(im, rc, "%s: %s", path, sg_profile_strerror(rc));
    json_decref(v);
    return rc;
}

/* Read an array whose elements `one` handles; path gets "[i]" appended. */
static int read_elements(importer *im, ss_profile *sp, const char *path,
                         int (*one)(importer *, ss_profile *, const char *))
{
    int rc = sg_json_in_enter(&im->in, '[', path);
    size_t n = 0;
    while (rc == 0 && (rc = sg_json_in_next(&im->in, ']', &n, path)) == 1) {
        char element[PATH_MAX_LEN + 24];
        sg_json_in_element_path(element, sizeof element, path, n - 1);
        rc = one(im, sp, element);
        if ((n & 0xffff) == 0)
            report_progress(im);
    }
    return rc < 0 ? rc : SG_PROFILE_OK;
}

static int read_number_field(importer *im, double *value, const char *path)
{
    json_t *v = sg_json_in_value(&im->in, path);
    if (v == NULL)
        return im->in.status;
    int rc = SG_PROFILE_OK;
    if (json_is_number(v))
        *value = json_number_value(v);
    else if (!json_is_null(v))
        rc = fail(im, SG_PROFILE_EFORMAT, "%s: %s", path, "not a number");
    json_decref(v);
    return rc;
}

static int read_profile_fields(importer *im, ss_profile *sp, const char *path)
{
    int rc = sg_json_in_enter(&im->in, '{', path);
    size_t count = 0;
    /* Room for the path, a dot and the longest key we read. */
    char field[PATH_MAX_LEN + 40];
    while (rc == 0 && (rc = sg_json_in_next(&im->in, '}', &count, path)) == 1) {
        char key[32], type[16] = "";
        if ((rc = sg_json_in_key(&im->in, key, sizeof key, path)) != 0)
            break;
        snprintf(field, sizeof field, "%s.%s", path, key);
        if (strcmp(key, "type") == 0) {
            if ((rc = read_string_field(im, type, sizeof type, field)) != 0)
                break;
            sp->type = strcmp(type, "sampled") == 0 ? 1 : strcmp(type, "evented") == 0 ? 2 : -1;
            if (sp->type < 0)
                rc = fail(im, SG_PROFILE_EFORMAT, "%s: unknown profile type \"%s\"", field, type);
        } else if (strcmp(key, "name") == 0) {
            rc = read_string_field(im, sp->name, sizeof sp->name, field);
            sp->has_name = true;
        } else if (strcmp(key, "unit") == 0) {
            rc = read_string_field(im, sp->unit, sizeof sp->unit, field);
        } else if (strcmp(key, "startValue") == 0) {
            rc = read_number_field(im, &sp->start_value, field);
        } else if (strcmp(key, "samples") == 0) {
            rc = read_elements(im, sp, field, read_sample);
        } else if (strcmp(key, "weights") == 0) {
            rc = read_elements(im, sp, field, read_weight);
        } else if (strcmp(key, "events") == 0) {
            rc = read_elements(im, sp, field, read_event);
        } else {
            rc = sg_json_in_skip(&im->in, field);
        }
    }
    return rc < 0 ? rc : SG_PROFILE_OK;
}

/* ---- from a profile's columns to samples -------------------------------- */

/* Nanoseconds (or counts) per unit, and the kind of unit; 0 if unknown. */
static double unit_scale(const char *unit, enum unit_kind *kind)
{
    static const struct {
        const char *name;
        double scale;
        enum unit_kind kind;
    } units[] = {
        {"nanoseconds", 1, KIND_TIME},
        {"microseconds", 1e3, KIND_TIME},
        {"milliseconds", 1e6, KIND_TIME},
        {"seconds", 1e9, KIND_TIME},
        {"none", 1, KIND_COUNT},
        {"bytes", 1, KIND_COUNT},
        {"", 1, KIND_COUNT}, /* missing: plain numbers */
    };
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strcmp(unit, units[i].name) == 0) {
            *kind = units[i].kind;
            return units[i].scale;
        }
    *kind = KIND_UNKNOWN;
    return 0;
}

/* Add `weight` (already scaled) as samples of `stack` at `time`, splitting
 * what a uint32 weight cannot hold. */
static int add_weight(importer *im, uint32_t thread, uint32_t stack, uint64_t time, uint64_t weight,
                      const char *path)
{
    while (weight > 0) {
        uint32_t part = weight > UINT32_MAX ? UINT32_MAX : (uint32_t)weight;
        if (im->budget == 0)
            return fail(im, SG_PROFILE_ELIMIT, "%s: weights too large for the input's size (%s)",
                        path, "more samples than input bytes");
        im->budget--;
        int rc = sg_profile_add_sample(im->p, time, thread, stack, 0, part);
        if (rc != 0)
            return fail(im, rc, "%s: %s", path, sg_profile_strerror(rc));
        time += part;
        weight -= part;
    }
    return SG_PROFILE_OK;
}

/* value * scale rounded, for a non-negative finite value; false if it does
 * not fit in 63 bits. */
static bool scaled(double value, double scale, uint64_t *out)
{
    double v = value * scale;
    if (!(v >= 0) || v >= 9.2e18)
        return false;
    *out = (uint64_t)llround(v);
    return true;
}

static int add_sampled(importer *im, ss_profile *sp, uint32_t thread, double scale,
                       const char *path)
{
    if (sp->nstacks != sp->nweights) {
        char what[96];
        snprintf(what, sizeof what, "%zu samples but %zu weights", sp->nstacks, sp->nweights);
        return fail(im, SG_PROFILE_EFORMAT, "%s: %s", path, what);
    }
    uint64_t time = 0;
    for (size_t i = 0; i < sp->nstacks; i++) {
        uint64_t w;
        if (sp->weights[i] < 0)
            continue; /* a deallocation in a memory profile: no sample */
        if (!scaled(sp->weights[i], scale, &w)) {
            char field[PATH_MAX_LEN + 40];
            snprintf(field, sizeof field, "%s.weights[%zu]", path, i);
            return fail(im, SG_PROFILE_ELIMIT, "%s: %s", field, "weight too large");
        }
        int rc = add_weight(im, thread, sp->stacks[i], time, w, path);
        if (rc != 0)
            return rc;
        time += w;
    }
    return SG_PROFILE_OK;
}

typedef struct open_frame {
    uint32_t frame; /* index into shared.frames */
    uint32_t stack; /* stack id with this frame on top */
} open_frame;

static int add_evented(importer *im, ss_profile *sp, uint32_t thread, double scale,
                       const char *path)
{
    open_frame *open = malloc((sp->nevents + 1) * sizeof *open);
    uint32_t *open_count = calloc(im->nframes + 1, sizeof *open_count);
    int rc = SG_PROFILE_OK;
    if (open == NULL || open_count == NULL) {
        rc = fail(im, SG_PROFILE_ENOMEM, "%s: %s", path, "out of memory");
        goto out;
    }
    size_t depth = 0;
    uint64_t prev = 0; /* time of the previous event, ns (or counts) from startValue */
    for (size_t i = 0; i < sp->nevents && rc == 0; i++) {
        const ss_event *e = &sp->events[i];
        uint64_t now;
        double rel = e->at - sp->start_value;
        if (!scaled(rel > 0 ? rel : 0, scale, &now)) {
            char field[PATH_MAX_LEN + 40];
            snprintf(field, sizeof field, "%s.events[%zu].at", path, i);
            rc = fail(im, SG_PROFILE_ELIMIT, "%s: %s", field, "time too large");
            break;
        }
        if (now < prev)
            now = prev; /* times must not decrease: hold the latest */
        if (depth > 0 && now > prev)
            rc = add_weight(im, thread, open[depth - 1].stack, prev, now - prev, path);
        prev = now;
        if (rc != 0)
            break;
        if (e->open) {
            const ss_frame *f = &im->frames[e->frame];
            uint32_t parent = depth > 0 ? open[depth - 1].stack : SG_STACK_NONE;
            uint32_t stack;
            rc = sg_stacks_intern(&im->p->stacks, parent, f->frame, f->line, &stack);
            if (rc != 0) {
                fail(im, rc, "%s: %s", path, sg_profile_strerror(rc));
                break;
            }
            open[depth++] = (open_frame){e->frame, stack};
            open_count[e->frame]++;
        } else if (open_count[e->frame] > 0) {
            /* close it, and whatever was left open above it */
            uint32_t f;
            do {
                f = open[--depth].frame;
                open_count[f]--;
            } while (f != e->frame);
        }
    }
out:
    free(open);
    free(open_count);
    return rc;
}

/* Thread identity from a name like `Thread 8631 "MainThread"`. */
static int intern_thread(importer *im, const ss_profile *sp, size_t index, uint32_t *thread)
{
    const char *name = sp->has_name ? sp->name : "";
    const char *t = strstr(name, "Thread ");
    if (t != NULL) {
        char *end;
        const char *digits = t + 7;
        unsigned long long tid = strtoull(digits, &end, 0);
        if (end != digits && (*end == '\0' || *end == ' ')) {
            char parsed[256] = "";
            const char *q = strchr(end, '"'), *last = strrchr(name, '"');
            if (q != NULL && last > q) {
                size_t n = (size_t)(last - q - 1);
                memcpy(parsed, q + 1, n);
                parsed[n] = '\0';
            }
            return sg_profile_intern_thread(im->p, tid, parsed, thread);
        }
    }
    return sg_profile_intern_thread(im->p, index, name, thread);
}

static int read_profile(importer *im, size_t index)
{
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof path, "profiles[%zu]", index);
    ss_profile sp = {0};
    int rc = read_profile_fields(im, &sp, path);
    enum unit_kind kind = KIND_UNKNOWN;
    double scale = rc == 0 ? unit_scale(sp.unit, &kind) : 0;
    if (rc == 0 && sp.type == 0)
        rc = fail(im, SG_PROFILE_EFORMAT, "%s.type: %s", path, "missing");
    if (rc == 0 && kind == KIND_UNKNOWN)
        rc = fail(im, SG_PROFILE_EFORMAT, "%s.unit: unknown unit \"%s\"", path, sp.unit);
    if (rc == 0 && im->kind == KIND_UNKNOWN) {
        im->kind = kind;
        im->p->meta.weight_unit = kind == KIND_TIME ? SG_WEIGHT_NANOSECONDS : SG_WEIGHT_SAMPLES;
    }
    if (rc == 0 && kind == im->kind) {
        uint32_t thread;
        rc = intern_thread(im, &sp, index, &thread);
        if (rc != 0)
            fail(im, rc, "%s: %s", path, sg_profile_strerror(rc));
        else if (sp.type == 1)
            rc = add_sampled(im, &sp, thread, scale, path);
        else
            rc = add_evented(im, &sp, thread, scale, path);
    }
    free(sp.stacks);
    free(sp.weights);
    free(sp.events);
    return rc;
}

/* ---- the file ----------------------------------------------------------- */

/* Pass 1: shared.frames, and where the profiles array starts. */
static int read_top_level(importer *im, size_t *profiles_at)
{
    int rc = sg_json_in_enter(&im->in, '{', "the file");
    size_t count = 0;
    bool have_frames = false;
    *profiles_at = SIZE_MAX;
    while (rc == 0 && (rc = sg_json_in_next(&im->in, '}', &count, "the file")) == 1) {
        char key[32];
        if ((rc = sg_json_in_key(&im->in, key, sizeof key, "the file")) != 0)
            break;
        if (strcmp(key, "shared") == 0) {
            rc = read_shared(im);
            have_frames = true;
        } else {
            if (strcmp(key, "profiles") == 0) {
                sg_json_in_peek(&im->in);
                *profiles_at = im->in.pos;
            }
            rc = sg_json_in_skip(&im->in, key);
        }
    }
    if (rc < 0)
        return rc;
    if (sg_json_in_peek(&im->in) != -1)
        return sg_json_in_fail(&im->in, SG_PROFILE_EFORMAT, "unexpected data after the object");
    if (!have_frames)
        return sg_json_in_fail_at(&im->in, 0, false, SG_PROFILE_EFORMAT, "no \"shared\" object");
    if (*profiles_at == SIZE_MAX)
        return sg_json_in_fail_at(&im->in, 0, false, SG_PROFILE_EFORMAT, "no \"profiles\" array");
    return SG_PROFILE_OK;
}

bool sg_detect_speedscope(const uint8_t *data, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r'))
        i++;
    if (i >= len || data[i] != '{')
        return false;
    return memmem(data, len, SCHEMA_URL, strlen(SCHEMA_URL)) != NULL ||
           memmem(data, len, SCHEMA_URL_ESCAPE, strlen(SCHEMA_URL_ESCAPE)) != NULL;
}

int sg_import_speedscope(const uint8_t *data, size_t len, const sg_io_progress *progress,
                         sg_profile **out, char *err, size_t errlen)
{
    *out = NULL;
    importer im = {.progress = progress, .budget = (uint64_t)len + BUDGET_EXTRA};
    clock_gettime(CLOCK_MONOTONIC, &im.last_report);
    sg_json_in_init(&im.in, data, len, err, errlen);
    im.p = sg_profile_new();
    if (im.p == NULL)
        return sg_json_in_fail(&im.in, SG_PROFILE_ENOMEM, "out of memory");
    size_t profiles_at;
    int rc = read_top_level(&im, &profiles_at);
    if (rc == 0) {
        im.in.pos = profiles_at;
        rc = sg_json_in_enter(&im.in, '[', "profiles");
        size_t n = 0;
        while (rc == 0 && (rc = sg_json_in_next(&im.in, ']', &n, "profiles")) == 1)
            rc = read_profile(&im, n - 1);
    }
    free(im.frames);
    free(im.chain);
    if (rc < 0) {
        sg_profile_free(im.p);
        return rc;
    }
    if (progress != NULL && progress->report != NULL)
        progress->report(progress->ctx, len, len);
    *out = im.p;
    return SG_PROFILE_OK;
}
