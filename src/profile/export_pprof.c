/*
 * export_pprof.c — a profile as a gzip-compressed pprof profile.proto
 * (google/pprof's proto/profile.proto): sg_export_pprof of format_list.h.
 *
 * Mapping between the models:
 *   - a pprof Function is a frame (name, filename, start_line); a Location
 *     is one (frame, line) pair, its Line entries caller-last when inlined;
 *   - a Sample is one (thread, stack) of ours with its samples summed:
 *     its values are `samples/count` and, when the profile knows time,
 *     `wall/nanoseconds` or `cpu/nanoseconds` (the default sample type);
 *     its labels are `thread` (the name, a string) and `thread_id` (the
 *     tid, a number);
 *   - period_type/period are the sampling interval, time_nanos and
 *     duration_nanos the start and length of the recording.
 * Sample state flags and per-sample times have no place in pprof and are
 * not written; an import has every sample at time 0. A pstats profile
 * gives its time samples (its call statistics have no place in pprof).
 *
 * The message is written as a concatenation of partial Profile messages:
 * first one with every table (string table, functions, locations, sample
 * types, period, times), then the samples in batches, each packed by
 * protobuf-c and deflated at once. Protobuf merges repeated fields of
 * concatenated messages, so readers see one Profile, while memory stays
 * O(strings + frames + stack rows + distinct (thread, stack) pairs) plus
 * one batch, never O(samples) or O(the whole output).
 *
 * Invariants: location ids are dense from 1, one per distinct (frame,
 * line) of the stack table; function id = frame id + 1; string index 0 is
 * "". Every string index written names an entry of the string table.
 */
#include "profile/format_list.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "profile.pb-c.h"
#include "profile/hash.h"

#define EMPTY_KEY       UINT64_MAX
#define BATCH_SAMPLES   4096u
#define BATCH_LOCATIONS (1u << 20) /* location ids per batch, unless one stack is deeper */
#define GZ_CHUNK        (1u << 14)

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Label pb_label;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;
typedef Perftools__Profiles__ValueType pb_value_type;

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* ---- a u64 → (u64, u64) hash map ------------------------------------------ */

typedef struct pair_map {
    uint64_t *keys;
    uint64_t *a; /* first value (sample count, or an id) */
    uint64_t *b; /* second value (weight sum) */
    size_t count;
    size_t mask;
} pair_map;

static int pair_map_grow(pair_map *m)
{
    size_t size = m->keys == NULL ? 1024 : (m->mask + 1) * 2;
    if (size > SIZE_MAX / 4 / sizeof(uint64_t))
        return SG_PROFILE_ELIMIT;
    uint64_t *keys = malloc(size * sizeof *keys);
    uint64_t *a = malloc(size * sizeof *a), *b = malloc(size * sizeof *b);
    if (keys == NULL || a == NULL || b == NULL) {
        free(keys);
        free(a);
        free(b);
        return SG_PROFILE_ENOMEM;
    }
    memset(keys, 0xff, size * sizeof *keys);
    for (size_t i = 0; m->keys != NULL && i <= m->mask; i++) {
        if (m->keys[i] == EMPTY_KEY)
            continue;
        size_t j = sg_hash_mix(m->keys[i]) & (size - 1);
        while (keys[j] != EMPTY_KEY)
            j = (j + 1) & (size - 1);
        keys[j] = m->keys[i];
        a[j] = m->a[i];
        b[j] = m->b[i];
    }
    free(m->keys);
    free(m->a);
    free(m->b);
    m->keys = keys;
    m->a = a;
    m->b = b;
    m->mask = size - 1;
    return SG_PROFILE_OK;
}

/* The slot of `key`, inserted with zero values if new (*added set). */
static int pair_map_slot(pair_map *m, uint64_t key, size_t *slot, bool *added)
{
    if (m->keys == NULL || m->count + 1 > (m->mask + 1) / 2) {
        int rc = pair_map_grow(m);
        if (rc != 0)
            return rc;
    }
    size_t j = sg_hash_mix(key) & m->mask;
    while (m->keys[j] != EMPTY_KEY && m->keys[j] != key)
        j = (j + 1) & m->mask;
    *added = m->keys[j] == EMPTY_KEY;
    if (*added) {
        m->keys[j] = key;
        m->a[j] = 0;
        m->b[j] = 0;
        m->count++;
    }
    *slot = j;
    return SG_PROFILE_OK;
}

static void pair_map_free(pair_map *m)
{
    free(m->keys);
    free(m->a);
    free(m->b);
}

/* ---- gzip output ---------------------------------------------------------- */

typedef struct gz_out {
    z_stream zs;
    bool open;
    FILE *out;
    unsigned char buf[GZ_CHUNK];
} gz_out;

static int gz_write(gz_out *g, const uint8_t *data, size_t len, int flush)
{
    do {
        size_t take = len > UINT32_MAX ? UINT32_MAX : len;
        g->zs.next_in = (Bytef *)data;
        g->zs.avail_in = (uInt)take;
        if (take > 0)
            data += take;
        len -= take;
        int mode = len == 0 ? flush : Z_NO_FLUSH;
        do {
            g->zs.next_out = g->buf;
            g->zs.avail_out = sizeof g->buf;
            int zrc = deflate(&g->zs, mode);
            if (zrc == Z_STREAM_ERROR)
                return SG_PROFILE_EIO;
            size_t have = sizeof g->buf - g->zs.avail_out;
            if (have > 0 && fwrite(g->buf, 1, have, g->out) != have)
                return SG_PROFILE_EIO;
        } while (g->zs.avail_out == 0);
    } while (len > 0);
    return SG_PROFILE_OK;
}

/* Pack a (partial) Profile message and deflate it. */
static int write_message(gz_out *g, const pb_profile *msg)
{
    size_t size = perftools__profiles__profile__get_packed_size(msg);
    uint8_t *packed = malloc(size > 0 ? size : 1);
    if (packed == NULL)
        return SG_PROFILE_ENOMEM;
    size_t n = perftools__profiles__profile__pack(msg, packed);
    int rc = n == size ? gz_write(g, packed, n, Z_NO_FLUSH) : SG_PROFILE_EIO;
    free(packed);
    return rc;
}

/* ---- the string table ----------------------------------------------------- */

typedef struct string_out {
    const sg_strings *src;
    uint32_t *index_of; /* per profile string id: its pprof index, 0 = not yet (id 0 is "") */
    char **table;
    size_t count;
    size_t cap;
} string_out;

static int string_push(string_out *s, const char *text, uint32_t *index)
{
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        char **grown = realloc(s->table, cap * sizeof *grown);
        if (grown == NULL)
            return SG_PROFILE_ENOMEM;
        s->table = grown;
        s->cap = cap;
    }
    if (s->count >= INT64_MAX || s->count >= UINT32_MAX)
        return SG_PROFILE_ELIMIT;
    /* protobuf-c packs char *; it never writes through it */
    s->table[s->count] = (char *)text;
    *index = (uint32_t)s->count++;
    return SG_PROFILE_OK;
}

/* The pprof index of profile string `id`. */
static int string_ref(string_out *s, uint32_t id, int64_t *index)
{
    if (id != 0 && s->index_of[id] == 0) {
        uint32_t at;
        int rc = string_push(s, sg_strings_get(s->src, id), &at);
        if (rc != 0)
            return rc;
        s->index_of[id] = at;
    }
    *index = s->index_of[id];
    return SG_PROFILE_OK;
}

/* A constant string of the exporter (sample type names, label keys). */
static int string_const(string_out *s, const char *text, int64_t *index)
{
    uint32_t id;
    if (sg_strings_find(s->src, text, strlen(text), &id) == 1)
        return string_ref(s, id, index);
    uint32_t at;
    int rc = string_push(s, text, &at);
    if (rc == 0)
        *index = at;
    return rc;
}

/* ---- the exporter --------------------------------------------------------- */

typedef struct exporter {
    const sg_profile *p;
    string_out strings;
    pair_map entries;       /* (thread << 32 | stack code) → (samples, weight sum) */
    uint64_t *loc_of_stack; /* per stack id: its location id */
    pb_location *locations; /* [n_locations] */
    pb_location **location_ptrs;
    pb_line *lines;
    pb_line **line_ptrs;
    size_t n_locations;
    pb_function *functions; /* [frames.count] */
    pb_function **function_ptrs;
    pb_label *labels;      /* per thread: [name, thread_id] */
    pb_label **label_ptrs; /* per thread: 2 pointers (or 1 when it has no name) */
    size_t *n_labels;      /* per thread */
    pb_value_type types[2];
    pb_value_type *type_ptrs[2];
    size_t n_types;
    bool with_time;
    pb_value_type period_type;
    Perftools__Profiles__Mapping mapping; /* one for all: tells pprof symbols are in */
    Perftools__Profiles__Mapping *mapping_ptr;
    gz_out gz;
    const sg_io_progress *progress;
    struct timespec last_report;
    char *err;
    size_t errlen;
} exporter;

static void report(exporter *ex, uint64_t done, uint64_t total, bool last)
{
    if (ex->progress == NULL || ex->progress->report == NULL)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double since = (double)(now.tv_sec - ex->last_report.tv_sec) +
                   (double)(now.tv_nsec - ex->last_report.tv_nsec) / 1e9;
    if (last || since >= 0.25) {
        ex->progress->report(ex->progress->ctx, done, total);
        ex->last_report = now;
    }
}

/* Sum the samples per (thread, stack). */
static int aggregate(exporter *ex)
{
    const sg_samples *s = &ex->p->samples;
    for (size_t i = 0; i < s->count; i++) {
        uint32_t code = s->stack[i] == SG_STACK_NONE ? 0 : s->stack[i] + 1;
        size_t slot;
        bool added;
        int rc = pair_map_slot(&ex->entries, (uint64_t)s->thread[i] << 32 | code, &slot, &added);
        if (rc != 0)
            return fail(ex->err, ex->errlen, rc, "pprof export: summing samples: %s",
                        sg_profile_strerror(rc));
        ex->entries.a[slot]++;
        ex->entries.b[slot] += s->weight[i];
        if ((i & 0xfffff) == 0xfffff)
            report(ex, i, s->count, false);
    }
    return SG_PROFILE_OK;
}

/* Functions (one per frame) and locations (one per distinct (frame, line)). */
static int build_tables(exporter *ex)
{
    const sg_profile *p = ex->p;
    uint32_t nf = p->frames.count, ns = p->stacks.count;
    ex->functions = calloc((size_t)nf + 1, sizeof *ex->functions);
    ex->function_ptrs = calloc((size_t)nf + 1, sizeof *ex->function_ptrs);
    ex->loc_of_stack = calloc((size_t)ns + 1, sizeof *ex->loc_of_stack);
    ex->locations = calloc((size_t)ns + 1, sizeof *ex->locations);
    ex->location_ptrs = calloc((size_t)ns + 1, sizeof *ex->location_ptrs);
    ex->lines = calloc((size_t)ns + 1, sizeof *ex->lines);
    ex->line_ptrs = calloc((size_t)ns + 1, sizeof *ex->line_ptrs);
    if (ex->functions == NULL || ex->function_ptrs == NULL || ex->loc_of_stack == NULL ||
        ex->locations == NULL || ex->location_ptrs == NULL || ex->lines == NULL ||
        ex->line_ptrs == NULL)
        return SG_PROFILE_ENOMEM;
    int rc;
    for (uint32_t f = 0; f < nf; f++) {
        const sg_frame *fr = &p->frames.rows[f];
        pb_function *fn = &ex->functions[f];
        perftools__profiles__function__init(fn);
        fn->id = (uint64_t)f + 1;
        fn->start_line = fr->first_line;
        if ((rc = string_ref(&ex->strings, fr->name, &fn->name)) != 0 ||
            (rc = string_ref(&ex->strings, fr->file, &fn->filename)) != 0)
            return rc;
        fn->system_name = fn->name;
        ex->function_ptrs[f] = fn;
    }
    pair_map seen = {0}; /* (frame << 32 | line) → location id */
    for (uint32_t id = 0; id < ns; id++) {
        const sg_stack_row *row = &p->stacks.rows[id];
        size_t slot;
        bool added;
        if ((rc = pair_map_slot(&seen, (uint64_t)row->frame << 32 | row->line, &slot, &added)) !=
            0) {
            pair_map_free(&seen);
            return rc;
        }
        if (added) {
            size_t k = ex->n_locations++;
            pb_line *ln = &ex->lines[k];
            perftools__profiles__line__init(ln);
            ln->function_id = (uint64_t)row->frame + 1;
            ln->line = row->line;
            ex->line_ptrs[k] = ln;
            pb_location *loc = &ex->locations[k];
            perftools__profiles__location__init(loc);
            loc->id = k + 1;
            loc->mapping_id = 1;
            loc->n_line = 1;
            loc->line = &ex->line_ptrs[k];
            ex->location_ptrs[k] = loc;
            seen.a[slot] = k + 1;
        }
        ex->loc_of_stack[id] = seen.a[slot];
    }
    pair_map_free(&seen);
    return SG_PROFILE_OK;
}

/* Labels per thread: `thread` = name (if any), `thread_id` = tid. */
static int build_labels(exporter *ex)
{
    const sg_threads *t = &ex->p->threads;
    size_t n = (size_t)t->count + 1;
    ex->labels = calloc(n * 2, sizeof *ex->labels);
    ex->label_ptrs = calloc(n * 2, sizeof *ex->label_ptrs);
    ex->n_labels = calloc(n, sizeof *ex->n_labels);
    if (ex->labels == NULL || ex->label_ptrs == NULL || ex->n_labels == NULL)
        return SG_PROFILE_ENOMEM;
    int64_t key_name, key_tid;
    perftools__profiles__mapping__init(&ex->mapping);
    ex->mapping.id = 1;
    ex->mapping.has_functions = ex->mapping.has_filenames = ex->mapping.has_line_numbers = true;
    ex->mapping_ptr = &ex->mapping;
    int rc = string_const(&ex->strings, "python", &ex->mapping.filename);
    if (rc == 0)
        rc = string_const(&ex->strings, "thread", &key_name);
    if (rc == 0)
        rc = string_const(&ex->strings, "thread_id", &key_tid);
    for (uint32_t i = 0; rc == 0 && i < t->count; i++) {
        pb_label *l = &ex->labels[2 * (size_t)i];
        size_t k = 0;
        if (sg_strings_len(&ex->p->strings, t->name[i]) > 0) {
            perftools__profiles__label__init(&l[k]);
            l[k].key = key_name;
            rc = string_ref(&ex->strings, t->name[i], &l[k].str);
            ex->label_ptrs[2 * (size_t)i + k] = &l[k];
            k++;
        }
        perftools__profiles__label__init(&l[k]);
        l[k].key = key_tid;
        l[k].num = t->tid[i] > INT64_MAX ? INT64_MAX : (int64_t)t->tid[i];
        ex->label_ptrs[2 * (size_t)i + k] = &l[k];
        ex->n_labels[i] = k + 1;
    }
    return rc;
}

/* sample_type and period_type, after the profile's weight unit and mode. */
static int build_types(exporter *ex)
{
    const sg_meta *m = &ex->p->meta;
    const char *time_name = m->mode == SG_MODE_CPU ? "cpu" : "wall";
    int rc;
    for (size_t i = 0; i < 2; i++) {
        perftools__profiles__value_type__init(&ex->types[i]);
        ex->type_ptrs[i] = &ex->types[i];
    }
    perftools__profiles__value_type__init(&ex->period_type);
    if (m->weight_unit == SG_WEIGHT_CALLS) {
        ex->n_types = 1;
        if ((rc = string_const(&ex->strings, "calls", &ex->types[0].type)) != 0 ||
            (rc = string_const(&ex->strings, "count", &ex->types[0].unit)) != 0)
            return rc;
        return SG_PROFILE_OK;
    }
    ex->n_types = 1;
    if ((rc = string_const(&ex->strings, "samples", &ex->types[0].type)) != 0 ||
        (rc = string_const(&ex->strings, "count", &ex->types[0].unit)) != 0)
        return rc;
    ex->with_time = m->weight_unit == SG_WEIGHT_NANOSECONDS || m->interval_ns > 0;
    if (ex->with_time) {
        if ((rc = string_const(&ex->strings, time_name, &ex->period_type.type)) != 0 ||
            (rc = string_const(&ex->strings, "nanoseconds", &ex->period_type.unit)) != 0)
            return rc;
    }
    if (ex->with_time) {
        ex->types[1] = ex->period_type;
        ex->n_types = 2;
    }
    return SG_PROFILE_OK;
}

static int64_t clamp_i64(uint64_t v)
{
    return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

static int write_header(exporter *ex)
{
    const sg_meta *m = &ex->p->meta;
    pb_profile msg;
    perftools__profiles__profile__init(&msg);
    msg.n_sample_type = ex->n_types;
    msg.sample_type = ex->type_ptrs;
    msg.n_function = ex->p->frames.count;
    msg.function = ex->function_ptrs;
    msg.n_location = ex->n_locations;
    msg.location = ex->location_ptrs;
    msg.n_mapping = 1;
    msg.mapping = &ex->mapping_ptr;
    msg.time_nanos = clamp_i64(m->start_unix_ns);
    msg.duration_nanos = clamp_i64(m->duration_ns);
    if (m->interval_ns > 0 && ex->period_type.type != 0) {
        msg.period_type = &ex->period_type;
        msg.period = clamp_i64(m->interval_ns);
    }
    if (ex->n_types == 2)
        msg.default_sample_type = ex->types[1].type;
    msg.n_string_table = ex->strings.count;
    msg.string_table = ex->strings.table;
    return write_message(&ex->gz, &msg);
}

/* The samples, one pprof Sample per (thread, stack), in batches. */
static int write_samples(exporter *ex)
{
    const sg_profile *p = ex->p;
    pair_map *e = &ex->entries;
    /* Buffers for one batch, no larger than the whole output needs. */
    size_t max_depth = 0, all_depths = 0;
    for (size_t slot = 0; e->keys != NULL && slot <= e->mask; slot++) {
        uint32_t code = (uint32_t)e->keys[slot];
        if (e->keys[slot] == EMPTY_KEY || code == 0)
            continue;
        size_t depth = p->stacks.rows[code - 1].depth;
        max_depth = depth > max_depth ? depth : max_depth;
        all_depths += depth;
    }
    size_t loc_cap = all_depths < BATCH_LOCATIONS ? all_depths : BATCH_LOCATIONS;
    loc_cap = (loc_cap > max_depth ? loc_cap : max_depth) + 1;
    size_t batch = e->count < BATCH_SAMPLES ? e->count + 1 : BATCH_SAMPLES;
    uint64_t *loc_ids = malloc(loc_cap * sizeof *loc_ids);
    pb_sample *samples = malloc(batch * sizeof *samples);
    pb_sample **sample_ptrs = malloc(batch * sizeof *sample_ptrs);
    int64_t *values = malloc(batch * 2 * sizeof *values);
    int rc = SG_PROFILE_OK;
    if (loc_ids == NULL || samples == NULL || sample_ptrs == NULL || values == NULL) {
        rc = SG_PROFILE_ENOMEM;
        goto out;
    }
    size_t n = 0, used = 0, done = 0;
    for (size_t slot = 0; e->keys != NULL && slot <= e->mask + 1; slot++) {
        bool end = slot == e->mask + 1;
        uint32_t depth = 0;
        if (!end && e->keys[slot] == EMPTY_KEY)
            continue;
        if (!end) {
            uint32_t code = (uint32_t)e->keys[slot];
            depth = code == 0 ? 0 : p->stacks.rows[code - 1].depth;
        }
        if (end || n == batch || used + depth > loc_cap) {
            pb_profile msg;
            perftools__profiles__profile__init(&msg);
            msg.n_sample = n;
            msg.sample = sample_ptrs;
            if (n > 0 && (rc = write_message(&ex->gz, &msg)) != 0)
                goto out;
            report(ex, done, e->count, false);
            n = used = 0;
            if (end)
                break;
        }
        uint32_t thread = (uint32_t)(e->keys[slot] >> 32), code = (uint32_t)e->keys[slot];
        pb_sample *s = &samples[n];
        perftools__profiles__sample__init(s);
        s->location_id = loc_ids + used;
        for (uint32_t id = code == 0 ? SG_STACK_NONE : code - 1; id != SG_STACK_NONE;
             id = p->stacks.rows[id].parent)
            loc_ids[used + s->n_location_id++] = ex->loc_of_stack[id]; /* leaf first */
        used += s->n_location_id;
        s->value = values + 2 * n;
        s->n_value = ex->n_types;
        if (p->meta.weight_unit == SG_WEIGHT_NANOSECONDS) {
            s->value[0] = clamp_i64(e->a[slot]);
            s->value[1] = clamp_i64(e->b[slot]);
        } else {
            s->value[0] = clamp_i64(e->b[slot]);
            uint64_t ns;
            s->value[1] = __builtin_mul_overflow(e->b[slot], p->meta.interval_ns, &ns)
                              ? INT64_MAX
                              : clamp_i64(ns);
        }
        s->n_label = ex->n_labels[thread];
        s->label = &ex->label_ptrs[2 * (size_t)thread];
        sample_ptrs[n++] = s;
        done++;
    }
out:
    free(loc_ids);
    free(samples);
    free(sample_ptrs);
    free(values);
    return rc;
}

static void exporter_free(exporter *ex)
{
    pair_map_free(&ex->entries);
    free(ex->strings.index_of);
    free(ex->strings.table);
    free(ex->loc_of_stack);
    free(ex->locations);
    free(ex->location_ptrs);
    free(ex->lines);
    free(ex->line_ptrs);
    free(ex->functions);
    free(ex->function_ptrs);
    free(ex->labels);
    free(ex->label_ptrs);
    free(ex->n_labels);
    if (ex->gz.open)
        deflateEnd(&ex->gz.zs);
}

int sg_export_pprof(const sg_profile *p, FILE *out, const sg_io_progress *progress, char *err,
                    size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    exporter *ex = calloc(1, sizeof *ex);
    if (ex == NULL)
        return fail(err, errlen, SG_PROFILE_ENOMEM, "pprof export: out of memory");
    ex->p = p;
    ex->progress = progress;
    ex->err = err;
    ex->errlen = errlen;
    ex->gz.out = out;
    ex->strings.src = &p->strings;
    clock_gettime(CLOCK_MONOTONIC, &ex->last_report);
    int rc = SG_PROFILE_OK;
    const char *stage = "";
    uint32_t first;
    ex->strings.index_of = calloc((size_t)p->strings.count + 1, sizeof *ex->strings.index_of);
    if (ex->strings.index_of == NULL || string_push(&ex->strings, "", &first) != 0) {
        rc = SG_PROFILE_ENOMEM;
        stage = "starting";
        goto out;
    }
    if ((rc = aggregate(ex)) != 0)
        goto out_quiet;
    stage = "building the tables";
    if ((rc = build_types(ex)) != 0 || (rc = build_tables(ex)) != 0 || (rc = build_labels(ex)) != 0)
        goto out;
    stage = "starting gzip";
    if (deflateInit2(&ex->gz.zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        rc = SG_PROFILE_ENOMEM;
        goto out;
    }
    ex->gz.open = true;
    stage = "writing";
    if ((rc = write_header(ex)) != 0 || (rc = write_samples(ex)) != 0 ||
        (rc = gz_write(&ex->gz, NULL, 0, Z_FINISH)) != 0)
        goto out;
    if (fflush(out) != 0 || ferror(out))
        rc = SG_PROFILE_EIO;
    if (rc == 0)
        report(ex, ex->entries.count, ex->entries.count, true);
out:
    if (rc != 0)
        fail(err, errlen, rc, "pprof export: %s: %s", stage, sg_profile_strerror(rc));
out_quiet:
    exporter_free(ex);
    free(ex);
    return rc;
}
