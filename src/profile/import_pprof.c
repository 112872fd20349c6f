/*
 * import_pprof.c — a pprof profile.proto (gzip-compressed or not) into a
 * profile: sg_detect_pprof and sg_import_pprof of format_list.h. The models
 * map as export_pprof.c says. The value kept as each sample's weight: the
 * count if the profile has a `count` type and its time values are exactly
 * count × period (a sampler's profile: then weights are samples and the
 * period is the interval), else the time value in nanoseconds, else a
 * count, else the default sample type.
 *
 * Untrusted input, three guards:
 *   - gzip is inflated into a buffer capped at RATIO × the compressed size
 *     (at least FLOOR, at most MAX_DECOMPRESSED): a bomb is refused with
 *     the cap named, never inflated;
 *   - protobuf-c decodes through an allocator with a budget (a multiple of
 *     the message size), so a message of a million empty sub-messages
 *     cannot make it allocate without bound;
 *   - every id and string index is checked before use, and each error
 *     names the element (`sample 12`, `location id 7`) that was wrong.
 * Detection (gzip or raw) parses the first 4 KiB of the message as a
 * Profile's top-level fields and wants control bytes that text never has.
 * Stacks are interned root first from each sample's location list (which
 * pprof stores leaf first), each location expanded caller first (its Line
 * entries are inlined-callee first). Nothing recurses.
 */
#include "profile/format_list.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "profile.pb-c.h"
#include "profile/hash.h"

#define RATIO            256u
#define FLOOR            ((size_t)64 << 20)
#define MAX_DECOMPRESSED ((size_t)4 << 30)
#define BUDGET_FACTOR    16u /* decoder memory per message byte, on top of BUDGET_BASE */
#define BUDGET_BASE      ((size_t)64 << 20)
#define DETECT_WINDOW    4096u
#define NONE32           UINT32_MAX

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Function pb_function;
typedef Perftools__Profiles__ValueType pb_value_type;

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        int n = snprintf(err, errlen, "pprof: ");
        if (n >= 0 && (size_t)n < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return rc;
}

/* ---- gzip ------------------------------------------------------------------ */

static bool is_gzip(const uint8_t *data, size_t len)
{
    return len >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

static size_t inflate_cap(size_t len)
{
    size_t cap = len > MAX_DECOMPRESSED / RATIO ? MAX_DECOMPRESSED : len * RATIO;
    return cap < FLOOR ? FLOOR : cap;
}

/*
 * Inflate every gzip member of data[0..len) into a new buffer (*out, owned
 * by the caller) of at most `cap` bytes. With `partial`, stop quietly at
 * the cap or at the end of the input (the detector reads a prefix).
 */
static int gunzip(const uint8_t *data, size_t len, size_t cap, bool partial, uint8_t **out,
                  size_t *out_len, char *err, size_t errlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return fail(err, errlen, SG_PROFILE_ENOMEM, "cannot start gzip decompression");
    size_t size = len < cap / 4 ? len * 4 : cap;
    if (size < 4096)
        size = cap < 4096 ? cap : 4096;
    uint8_t *buf = malloc(size);
    size_t have = 0, pos = 0;
    int rc = SG_PROFILE_OK;
    if (buf == NULL) {
        rc = fail(err, errlen, SG_PROFILE_ENOMEM, "out of memory for %zu bytes", size);
        goto out;
    }
    for (;;) {
        if (have == size) {
            if (size == cap) {
                if (!partial)
                    rc = fail(err, errlen, SG_PROFILE_ELIMIT,
                              "decompressed data exceeds %zu bytes (%u x the compressed size, "
                              "at least %zu MiB): refusing what may be a gzip bomb",
                              cap, RATIO, FLOOR >> 20);
                break;
            }
            size_t grown_size = size > cap / 2 ? cap : size * 2;
            uint8_t *grown = realloc(buf, grown_size);
            if (grown == NULL) {
                rc =
                    fail(err, errlen, SG_PROFILE_ENOMEM, "out of memory for %zu bytes", grown_size);
                break;
            }
            buf = grown;
            size = grown_size;
        }
        size_t in_take = len - pos > UINT32_MAX ? UINT32_MAX : len - pos;
        size_t out_take = size - have > UINT32_MAX ? UINT32_MAX : size - have;
        zs.next_in = (Bytef *)(data + pos);
        zs.avail_in = (uInt)in_take;
        zs.next_out = buf + have;
        zs.avail_out = (uInt)out_take;
        int zrc = inflate(&zs, Z_NO_FLUSH);
        pos += in_take - zs.avail_in;
        have += out_take - zs.avail_out;
        if (zrc == Z_STREAM_END) {
            /* another member may follow; zero padding may too */
            size_t rest = pos;
            while (rest < len && data[rest] == 0)
                rest++;
            if (rest == len)
                break;
            if (!is_gzip(data + pos, len - pos)) {
                rc = fail(err, errlen, SG_PROFILE_EFORMAT,
                          "offset %zu: bytes after the end of the gzip stream", pos);
                break;
            }
            inflateReset(&zs);
            continue;
        }
        if (zrc == Z_OK)
            continue;
        if (zrc == Z_BUF_ERROR && pos == len) {
            if (!partial)
                rc = fail(err, errlen, SG_PROFILE_EFORMAT,
                          "the gzip stream ends early at offset %zu (a truncated file?)", pos);
            break;
        }
        if (zrc == Z_BUF_ERROR)
            continue; /* output full: grow */
        if (!partial)
            rc = fail(err, errlen, zrc == Z_MEM_ERROR ? SG_PROFILE_ENOMEM : SG_PROFILE_EFORMAT,
                      "offset %zu: corrupt gzip data (%s)", pos,
                      zs.msg != NULL ? zs.msg : "inflate failed");
        else
            rc = SG_PROFILE_EFORMAT;
        break;
    }
out:
    inflateEnd(&zs);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = have;
    return SG_PROFILE_OK;
}

/* ---- detection ------------------------------------------------------------ */

static bool read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned shift = 0; shift < 64 && *pos < len; shift += 7) {
        uint8_t b = p[(*pos)++];
        r |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            *v = r;
            return true;
        }
    }
    return false;
}

/*
 * Whether p[0..len) starts like a Profile message: every top-level field a
 * field of profile.proto with its wire type, and control bytes (tags,
 * lengths and small ids make them; text has none but tab, CR and LF).
 * `partial`: the data is a prefix, so the last field may run past its end.
 */
static bool looks_like_profile(const uint8_t *p, size_t len, bool partial)
{
    bool binary = false;
    for (size_t i = 0; i < len && !binary; i++)
        binary = p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r';
    if (!binary)
        return false;
    size_t pos = 0, fields = 0;
    while (pos < len) {
        uint64_t tag, v;
        if (!read_varint(p, len, &pos, &tag))
            return partial && fields > 0;
        uint64_t field = tag >> 3, wire = tag & 7;
        bool is_len = (field >= 1 && field <= 6) || field == 11 || field == 16;
        bool is_varint = (field >= 7 && field <= 10) || field == 12 || field == 14 || field == 15;
        if (field == 13)
            is_len = is_varint = true; /* repeated int64: packed or not */
        if (wire == 2 && is_len) {
            if (!read_varint(p, len, &pos, &v))
                return partial && fields > 0;
            if (v > len - pos)
                return partial && fields > 0;
            pos += v;
        } else if (wire == 0 && is_varint) {
            if (!read_varint(p, len, &pos, &v))
                return partial && fields > 0;
        } else {
            return false;
        }
        fields++;
    }
    return fields > 0;
}

bool sg_detect_pprof(const uint8_t *data, size_t len)
{
    if (is_gzip(data, len)) {
        uint8_t *head;
        size_t head_len;
        size_t in = len < 65536 ? len : 65536;
        if (gunzip(data, in, DETECT_WINDOW, true, &head, &head_len, NULL, 0) != 0)
            return false;
        bool yes = looks_like_profile(head, head_len, true);
        free(head);
        return yes;
    }
    size_t window = len < DETECT_WINDOW ? len : DETECT_WINDOW;
    return looks_like_profile(data, window, window < len);
}

/* ---- the decoder's memory budget ----------------------------------------- */

typedef struct budget {
    size_t used;
    size_t limit;
    bool exceeded;
} budget;

#define HEADER 16u /* keeps the returned pointer 16-byte aligned */

static void *budget_alloc(void *ctx, size_t size)
{
    budget *b = ctx;
    if (size > SIZE_MAX - HEADER || size + HEADER > b->limit - b->used) {
        b->exceeded = true;
        return NULL;
    }
    unsigned char *m = malloc(size + HEADER);
    if (m == NULL)
        return NULL;
    memcpy(m, &size, sizeof size);
    b->used += size + HEADER;
    return m + HEADER;
}

static void budget_free(void *ctx, void *ptr)
{
    budget *b = ctx;
    if (ptr == NULL)
        return;
    unsigned char *m = (unsigned char *)ptr - HEADER;
    size_t size;
    memcpy(&size, m, sizeof size);
    b->used -= size + HEADER;
    free(m);
}

/* ---- id → index maps ------------------------------------------------------ */

typedef struct id_index {
    uint64_t *ids; /* 0 = empty (pprof ids are non-zero) */
    uint32_t *index;
    size_t mask;
} id_index;

static int id_index_init(id_index *m, size_t n)
{
    size_t size = 16;
    while (size < 2 * n)
        size *= 2;
    m->ids = calloc(size, sizeof *m->ids);
    m->index = malloc(size * sizeof *m->index);
    m->mask = size - 1;
    return m->ids != NULL && m->index != NULL ? SG_PROFILE_OK : SG_PROFILE_ENOMEM;
}

/* false if id is already there */
static bool id_index_add(id_index *m, uint64_t id, uint32_t index)
{
    size_t j = sg_hash_mix(id) & m->mask;
    while (m->ids[j] != 0) {
        if (m->ids[j] == id)
            return false;
        j = (j + 1) & m->mask;
    }
    m->ids[j] = id;
    m->index[j] = index;
    return true;
}

static uint32_t id_index_get(const id_index *m, uint64_t id)
{
    if (id == 0)
        return NONE32;
    size_t j = sg_hash_mix(id) & m->mask;
    while (m->ids[j] != 0) {
        if (m->ids[j] == id)
            return m->index[j];
        j = (j + 1) & m->mask;
    }
    return NONE32;
}

static void id_index_free(id_index *m)
{
    free(m->ids);
    free(m->index);
}

/* ---- the conversion ------------------------------------------------------- */

typedef struct converter {
    const pb_profile *msg;
    sg_profile *p;
    uint32_t *string_id; /* per pprof string index: profile string id, NONE32 = not yet */
    uint32_t *frame_of;  /* per function index: its frame */
    id_index functions;
    id_index locations;
    sg_frame_line *loc_frames; /* every location's frames, caller first */
    size_t *loc_start;         /* per location index: where its frames start (n + 1 entries) */
    size_t value_index;        /* which sample value is the weight */
    uint64_t value_scale;      /* × to get the weight (ns per unit for times, else 1) */
    uint64_t split_budget;     /* extra samples for values too large for one */
    uint64_t frame_budget;     /* stack frames all samples may still expand to */
    char *err;
    size_t errlen;
} converter;

/* The profile string id of pprof string `index`, named `what` for errors. */
static int string_at(converter *c, int64_t index, const char *what, uint32_t *id)
{
    const pb_profile *m = c->msg;
    if (index < 0 || (uint64_t)index >= m->n_string_table) {
        if (index == 0) {
            *id = 0; /* an empty table: index 0 is "" by definition */
            return SG_PROFILE_OK;
        }
        return fail(c->err, c->errlen, SG_PROFILE_EFORMAT,
                    "%s: string index %lld is out of range (the string table has %zu entries)",
                    what, (long long)index, m->n_string_table);
    }
    if (c->string_id[index] == NONE32) {
        const char *s = m->string_table[index];
        int rc = sg_strings_intern(&c->p->strings, s, strlen(s), &c->string_id[index]);
        if (rc != 0)
            return fail(c->err, c->errlen, rc, "%s: %s", what, sg_profile_strerror(rc));
    }
    *id = c->string_id[index];
    return SG_PROFILE_OK;
}

static const char *string_text(const converter *c, int64_t index)
{
    if (index < 0 || (uint64_t)index >= c->msg->n_string_table)
        return "";
    return c->msg->string_table[index];
}

static uint32_t clamp_line(int64_t line)
{
    return line < 0 || line > (int64_t)UINT32_MAX ? 0 : (uint32_t)line;
}

static int convert_functions(converter *c)
{
    const pb_profile *m = c->msg;
    char what[64];
    c->frame_of = malloc((m->n_function + 1) * sizeof *c->frame_of);
    if (c->frame_of == NULL || id_index_init(&c->functions, m->n_function) != 0)
        return fail(c->err, c->errlen, SG_PROFILE_ENOMEM, "out of memory for the functions");
    for (size_t i = 0; i < m->n_function; i++) {
        const pb_function *f = m->function[i];
        snprintf(what, sizeof what, "function id %llu", (unsigned long long)f->id);
        if (f->id == 0)
            return fail(c->err, c->errlen, SG_PROFILE_EFORMAT, "function %zu has id 0", i);
        if (!id_index_add(&c->functions, f->id, (uint32_t)i))
            return fail(c->err, c->errlen, SG_PROFILE_EFORMAT, "%s appears twice", what);
        uint32_t name, file;
        int rc = string_at(c, f->name, what, &name);
        if (rc == 0 && sg_strings_len(&c->p->strings, name) == 0)
            rc = string_at(c, f->system_name, what, &name);
        if (rc == 0)
            rc = string_at(c, f->filename, what, &file);
        if (rc != 0)
            return rc;
        rc =
            sg_frames_intern(&c->p->frames, file, name, clamp_line(f->start_line), &c->frame_of[i]);
        if (rc != 0)
            return fail(c->err, c->errlen, rc, "%s: %s", what, sg_profile_strerror(rc));
    }
    return SG_PROFILE_OK;
}

static int convert_locations(converter *c)
{
    const pb_profile *m = c->msg;
    char what[64];
    size_t total = 0;
    for (size_t i = 0; i < m->n_location; i++)
        total += m->location[i]->n_line > 0 ? m->location[i]->n_line : 1;
    c->loc_start = malloc((m->n_location + 1) * sizeof *c->loc_start);
    c->loc_frames = malloc((total + 1) * sizeof *c->loc_frames);
    if (c->loc_start == NULL || c->loc_frames == NULL ||
        id_index_init(&c->locations, m->n_location) != 0)
        return fail(c->err, c->errlen, SG_PROFILE_ENOMEM, "out of memory for the locations");
    size_t at = 0;
    for (size_t i = 0; i < m->n_location; i++) {
        const pb_location *loc = m->location[i];
        snprintf(what, sizeof what, "location id %llu", (unsigned long long)loc->id);
        if (loc->id == 0)
            return fail(c->err, c->errlen, SG_PROFILE_EFORMAT, "location %zu has id 0", i);
        if (!id_index_add(&c->locations, loc->id, (uint32_t)i))
            return fail(c->err, c->errlen, SG_PROFILE_EFORMAT, "%s appears twice", what);
        c->loc_start[i] = at;
        if (loc->n_line == 0) {
            /* not symbolized: name it by its address */
            char name[32];
            int n = snprintf(name, sizeof name, "0x%llx", (unsigned long long)loc->address);
            int rc =
                sg_profile_intern_frame(c->p, "", 0, name, (size_t)n, 0, &c->loc_frames[at].frame);
            if (rc != 0)
                return fail(c->err, c->errlen, rc, "%s: %s", what, sg_profile_strerror(rc));
            c->loc_frames[at++].line = 0;
            continue;
        }
        /* line[0] is the innermost inlined function, the last the caller */
        for (size_t k = loc->n_line; k > 0; k--) {
            const Perftools__Profiles__Line *ln = loc->line[k - 1];
            uint32_t fn = id_index_get(&c->functions, ln->function_id);
            if (fn == NONE32)
                return fail(c->err, c->errlen, SG_PROFILE_EFORMAT,
                            "%s refers to function id %llu, which does not exist", what,
                            (unsigned long long)ln->function_id);
            c->loc_frames[at].frame = c->frame_of[fn];
            c->loc_frames[at++].line = clamp_line(ln->line);
        }
    }
    c->loc_start[m->n_location] = at;
    return SG_PROFILE_OK;
}

/* Nanoseconds per unit of a time unit name, 0 if it is not one. */
static uint64_t time_scale(const char *unit)
{
    if (strcmp(unit, "nanoseconds") == 0 || strcmp(unit, "ns") == 0)
        return 1;
    if (strcmp(unit, "microseconds") == 0 || strcmp(unit, "us") == 0)
        return 1000;
    if (strcmp(unit, "milliseconds") == 0 || strcmp(unit, "ms") == 0)
        return 1000000;
    if (strcmp(unit, "seconds") == 0 || strcmp(unit, "s") == 0)
        return 1000000000;
    return 0;
}

static uint8_t mode_of(const char *type)
{
    if (strcmp(type, "cpu") == 0)
        return SG_MODE_CPU;
    if (strcmp(type, "wall") == 0)
        return SG_MODE_WALL;
    return SG_MODE_UNKNOWN;
}

/* Choose the weight among the sample values (see pprof.h). */
static int choose_value(converter *c)
{
    const pb_profile *m = c->msg;
    sg_meta *meta = &c->p->meta;
    size_t count = SIZE_MAX, timed = SIZE_MAX;
    uint64_t scale = 0;
    for (size_t i = 0; i < m->n_sample_type; i++) {
        const char *unit = string_text(c, m->sample_type[i]->unit);
        if (count == SIZE_MAX && strcmp(unit, "count") == 0)
            count = i;
        if (timed == SIZE_MAX && time_scale(unit) != 0) {
            timed = i;
            scale = time_scale(unit);
        }
    }
    uint64_t period_ns = 0;
    if (m->period_type != NULL && m->period > 0) {
        uint64_t ps = time_scale(string_text(c, m->period_type->unit));
        if (ps != 0 && (uint64_t)m->period <= UINT64_MAX / ps)
            period_ns = (uint64_t)m->period * ps;
        if (meta->mode == SG_MODE_UNKNOWN)
            meta->mode = mode_of(string_text(c, m->period_type->type));
    }
    if (timed != SIZE_MAX) {
        uint8_t mode = mode_of(string_text(c, m->sample_type[timed]->type));
        if (mode != SG_MODE_UNKNOWN)
            meta->mode = mode;
    }
    meta->interval_ns = period_ns;
    c->value_scale = 1;
    if (count != SIZE_MAX && timed != SIZE_MAX && period_ns > 0) {
        /* a sampler's profile: time = count × period everywhere */
        bool uniform = true;
        for (size_t i = 0; i < m->n_sample && uniform; i++) {
            const pb_sample *s = m->sample[i];
            if (s->n_value != m->n_sample_type)
                break; /* reported when the samples are converted */
            uint64_t want, have;
            if (s->value[count] < 0 || s->value[timed] < 0 ||
                __builtin_mul_overflow((uint64_t)s->value[count], period_ns, &want) ||
                __builtin_mul_overflow((uint64_t)s->value[timed], scale, &have) || want != have)
                uniform = false;
        }
        if (uniform) {
            c->value_index = count;
            meta->weight_unit = SG_WEIGHT_SAMPLES;
            return SG_PROFILE_OK;
        }
    }
    if (timed != SIZE_MAX) {
        c->value_index = timed;
        c->value_scale = scale;
        meta->weight_unit = SG_WEIGHT_NANOSECONDS;
    } else if (count != SIZE_MAX) {
        c->value_index = count;
        meta->weight_unit = SG_WEIGHT_SAMPLES;
    } else {
        /* no unit we know: the default type, else the last one */
        const char *preferred = string_text(c, m->default_sample_type);
        c->value_index = m->n_sample_type > 0 ? m->n_sample_type - 1 : 0;
        for (size_t i = 0; i < m->n_sample_type && *preferred != '\0'; i++)
            if (strcmp(string_text(c, m->sample_type[i]->type), preferred) == 0)
                c->value_index = i;
        meta->weight_unit = SG_WEIGHT_SAMPLES;
    }
    return SG_PROFILE_OK;
}

/* The thread of a sample, from its labels: `thread`/`thread_name` (string)
 * and `thread_id`/`tid` (number, or a string of digits). */
static int sample_thread(converter *c, const pb_sample *s, size_t which, uint32_t *thread)
{
    char what[64];
    snprintf(what, sizeof what, "sample %zu", which);
    uint64_t tid = 0;
    int64_t name_index = 0;
    for (size_t k = 0; k < s->n_label; k++) {
        const Perftools__Profiles__Label *l = s->label[k];
        if (l->key < 0 || (uint64_t)l->key >= c->msg->n_string_table || l->str < 0 ||
            (l->str != 0 && (uint64_t)l->str >= c->msg->n_string_table))
            return fail(c->err, c->errlen, SG_PROFILE_EFORMAT,
                        "%s: label %zu has a string index out of range", what, k);
        const char *key = string_text(c, l->key);
        if (strcmp(key, "thread") == 0 || strcmp(key, "thread_name") == 0) {
            name_index = l->str;
        } else if (strcmp(key, "thread_id") == 0 || strcmp(key, "tid") == 0) {
            if (l->str != 0) {
                char *end;
                const char *text = string_text(c, l->str);
                unsigned long long v = strtoull(text, &end, 10);
                if (*text != '\0' && *end == '\0')
                    tid = v;
            } else if (l->num > 0) {
                tid = (uint64_t)l->num;
            }
        }
    }
    uint32_t name;
    int rc = string_at(c, name_index, what, &name);
    if (rc == 0)
        rc = sg_threads_intern(&c->p->threads, tid, name, thread);
    if (rc != 0 && rc != SG_PROFILE_EFORMAT)
        return fail(c->err, c->errlen, rc, "%s: %s", what, sg_profile_strerror(rc));
    return rc;
}

static int convert_samples(converter *c, const sg_io_progress *progress, size_t len)
{
    const pb_profile *m = c->msg;
    struct timespec last;
    clock_gettime(CLOCK_MONOTONIC, &last);
    for (size_t i = 0; i < m->n_sample; i++) {
        const pb_sample *s = m->sample[i];
        if (s->n_value != m->n_sample_type)
            return fail(c->err, c->errlen, SG_PROFILE_EFORMAT,
                        "sample %zu has %zu values but the profile has %zu sample types", i,
                        s->n_value, m->n_sample_type);
        if (s->n_value == 0)
            continue;
        int64_t value = s->value[c->value_index];
        if (value < 0)
            return fail(c->err, c->errlen, SG_PROFILE_EFORMAT,
                        "sample %zu has the negative value %lld (difference profiles cannot be "
                        "imported)",
                        i, (long long)value);
        uint64_t weight;
        if (__builtin_mul_overflow((uint64_t)value, c->value_scale, &weight))
            return fail(c->err, c->errlen, SG_PROFILE_ELIMIT, "sample %zu: value %lld is too large",
                        i, (long long)value);
        uint32_t thread, stack = SG_STACK_NONE;
        int rc = sample_thread(c, s, i, &thread);
        if (rc != 0)
            return rc;
        for (size_t k = s->n_location_id; k > 0; k--) {
            uint32_t loc = id_index_get(&c->locations, s->location_id[k - 1]);
            if (loc == NONE32)
                return fail(c->err, c->errlen, SG_PROFILE_EFORMAT,
                            "sample %zu refers to location id %llu, which does not exist", i,
                            (unsigned long long)s->location_id[k - 1]);
            size_t frames = c->loc_start[loc + 1] - c->loc_start[loc];
            if (frames > c->frame_budget)
                return fail(c->err, c->errlen, SG_PROFILE_ELIMIT,
                            "sample %zu: the stacks expand to more frames than a file of this "
                            "size may hold",
                            i);
            c->frame_budget -= frames;
            for (size_t f = c->loc_start[loc]; f < c->loc_start[loc + 1]; f++) {
                rc = sg_stacks_intern(&c->p->stacks, stack, c->loc_frames[f].frame,
                                      c->loc_frames[f].line, &stack);
                if (rc != 0)
                    return fail(c->err, c->errlen, rc, "sample %zu: %s", i,
                                sg_profile_strerror(rc));
            }
        }
        while (weight > 0) {
            uint32_t part = weight > UINT32_MAX ? UINT32_MAX : (uint32_t)weight;
            if (part != weight) {
                if (c->split_budget == 0)
                    return fail(c->err, c->errlen, SG_PROFILE_ELIMIT,
                                "sample %zu: value %lld is too large (the values need more "
                                "samples than the file's size allows)",
                                i, (long long)value);
                c->split_budget--;
            }
            rc = sg_samples_append(&c->p->samples, 0, thread, stack, 0, part);
            if (rc != 0)
                return fail(c->err, c->errlen, rc, "sample %zu: %s", i, sg_profile_strerror(rc));
            weight -= part;
        }
        if (progress != NULL && progress->report != NULL && (i & 0xffff) == 0xffff) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if ((double)(now.tv_sec - last.tv_sec) + (double)(now.tv_nsec - last.tv_nsec) / 1e9 >=
                0.25) {
                progress->report(progress->ctx,
                                 (uint64_t)((double)len * (double)i / (double)m->n_sample), len);
                last = now;
            }
        }
    }
    return SG_PROFILE_OK;
}

static int convert(converter *c, const sg_io_progress *progress, size_t len)
{
    const pb_profile *m = c->msg;
    if (m->n_string_table > 0 && m->string_table[0][0] != '\0')
        return fail(c->err, c->errlen, SG_PROFILE_EFORMAT,
                    "string_table[0] must be the empty string");
    c->string_id = malloc((m->n_string_table + 1) * sizeof *c->string_id);
    if (c->string_id == NULL)
        return fail(c->err, c->errlen, SG_PROFILE_ENOMEM, "out of memory for the string table");
    memset(c->string_id, 0xff, (m->n_string_table + 1) * sizeof *c->string_id);
    if (m->n_string_table > 0)
        c->string_id[0] = 0;
    for (size_t i = 0; i < m->n_sample_type; i++) {
        char what[48];
        snprintf(what, sizeof what, "sample_type %zu", i);
        uint32_t id;
        int rc = string_at(c, m->sample_type[i]->type, what, &id);
        if (rc == 0)
            rc = string_at(c, m->sample_type[i]->unit, what, &id);
        if (rc != 0)
            return rc;
    }
    int rc = convert_functions(c);
    if (rc == 0)
        rc = convert_locations(c);
    if (rc == 0)
        rc = choose_value(c);
    if (rc == 0)
        rc = convert_samples(c, progress, len);
    if (rc != 0)
        return rc;
    sg_meta *meta = &c->p->meta;
    meta->start_unix_ns = m->time_nanos > 0 ? (uint64_t)m->time_nanos : 0;
    meta->duration_ns = m->duration_nanos > 0 ? (uint64_t)m->duration_nanos : 0;
    meta->has_stacks = true;
    return SG_PROFILE_OK;
}

int sg_import_pprof(const uint8_t *data, size_t len, const sg_io_progress *progress,
                    sg_profile **out, char *err, size_t errlen)
{
    *out = NULL;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    uint8_t *inflated = NULL;
    const uint8_t *message = data;
    size_t message_len = len;
    int rc;
    if (is_gzip(data, len)) {
        rc = gunzip(data, len, inflate_cap(len), false, &inflated, &message_len, err, errlen);
        if (rc != 0)
            return rc;
        message = inflated;
    }
    budget b = {.used = 0,
                .limit = message_len > (SIZE_MAX - BUDGET_BASE) / BUDGET_FACTOR
                             ? SIZE_MAX
                             : BUDGET_BASE + message_len * BUDGET_FACTOR};
    ProtobufCAllocator allocator = {
        .alloc = budget_alloc, .free = budget_free, .allocator_data = &b};
    pb_profile *msg = perftools__profiles__profile__unpack(&allocator, message_len, message);
    if (msg == NULL) {
        rc = b.exceeded ? fail(err, errlen, SG_PROFILE_ELIMIT,
                               "decoding the %zu-byte message needs more than %zu bytes of memory",
                               message_len, b.limit)
                        : fail(err, errlen, SG_PROFILE_EFORMAT,
                               "the %zu bytes%s are not a valid profile.proto message", message_len,
                               inflated != NULL ? " inside the gzip stream" : "");
        free(inflated);
        return rc;
    }
    if (progress != NULL && progress->report != NULL)
        progress->report(progress->ctx, len / 2, len);
    converter c = {.msg = msg,
                   .err = err,
                   .errlen = errlen,
                   .split_budget = message_len / 16 + 4096,
                   .frame_budget =
                       message_len > UINT64_MAX / 64 ? UINT64_MAX : message_len * 64 + (1u << 20)};
    c.p = sg_profile_new();
    rc = c.p == NULL ? fail(err, errlen, SG_PROFILE_ENOMEM, "out of memory")
                     : convert(&c, progress, len);
    free(c.string_id);
    free(c.frame_of);
    free(c.loc_frames);
    free(c.loc_start);
    id_index_free(&c.functions);
    id_index_free(&c.locations);
    perftools__profiles__profile__free_unpacked(msg, &allocator);
    free(inflated);
    if (rc != 0) {
        sg_profile_free(c.p);
        return rc;
    }
    if (progress != NULL && progress->report != NULL)
        progress->report(progress->ctx, len, len);
    *out = c.p;
    return SG_PROFILE_OK;
}
