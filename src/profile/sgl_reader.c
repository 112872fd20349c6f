/*
 * sgl_reader.c — loading a .sgl file into a profile (see sgl.h,
 * docs/format.md).
 *
 * The input is hostile until proven otherwise. The reader:
 *   - checks the header's magic, checksum and version before anything else;
 *   - checks each chunk header's checksum before it trusts the lengths in
 *     it, caps the raw size at SG_SGL_MAX_CHUNK_RAW and the payload at what
 *     is left of the input, and grows its output buffer only as zstd
 *     actually produces bytes (a lying size cannot make it allocate);
 *   - checks the payload checksum before decompressing;
 *   - bounds every count by the bytes left in its record before reserving
 *     rows for it, and checks every reference against the rows read so far
 *     (a stack's parent is an earlier stack, a sample's thread exists, a
 *     call statistic's frames exist and its key is new...),
 *     so the profile it returns keeps every invariant of profile.h;
 *   - makes progress on every loop iteration (bytes consumed or an error).
 *
 * A file that ends inside a chunk (or whose tail is all zero bytes, what a
 * crash can leave on some file systems) is a torn tail: everything before
 * it loads and the info says where it was cut. Anything else wrong is an
 * error whose message names the byte offset.
 */
#include "profile/sgl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "profile/bytes.h"
#include "profile/crc32c.h"
#include "profile/grow.h"
#include "profile/sgl_format.h"

typedef struct sgl_reader {
    sg_profile *p;
    ZSTD_DCtx *dctx;
    unsigned char *raw; /* decompressed records of the current chunk */
    size_t raw_cap;
    uint64_t chunk_offset;   /* file offset of the current chunk */
    const char *record_name; /* record being decoded, NULL between records */
    size_t record_offset;    /* its offset in the chunk's raw data */
    bool ended;              /* the END record was read */
    /* Delta state, as the writer had it. */
    uint64_t prev_sample_time, prev_event_time;
    uint32_t *prev_stack_code;
    uint8_t *prev_flags;
    uint32_t state_cap;
    uint32_t *scratch_parent, *scratch_frame; /* stack columns awaiting the line column */
    uint32_t *scratch_line;
    size_t scratch_cap;
    char *err;
    size_t errlen;
} sgl_reader;

/* Format an error as "offset N: [in a X record at byte M of the chunk's
 * data: ]message". */
static int reader_fail(sgl_reader *r, int rc, uint64_t offset, const char *fmt, ...)
{
    if (r->err == NULL || r->errlen == 0)
        return rc;
    int n;
    if (r->record_name != NULL)
        n = snprintf(r->err, r->errlen,
                     "offset %llu: in a %s record at byte %zu of the chunk's data: ",
                     (unsigned long long)offset, r->record_name, r->record_offset);
    else
        n = snprintf(r->err, r->errlen, "offset %llu: ", (unsigned long long)offset);
    if (n < 0 || (size_t)n >= r->errlen)
        return rc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return rc;
}

/* An error inside the current record. */
#define RECORD_FAIL(r, ...) reader_fail((r), SG_PROFILE_EFORMAT, (r)->chunk_offset, __VA_ARGS__)
#define RECORD_OOM(r, rc)   reader_fail((r), (rc), (r)->chunk_offset, "%s", sg_profile_strerror(rc))

static int record_truncated(sgl_reader *r)
{
    return RECORD_FAIL(r, "the record ends too early");
}

/* The count of rows a record announces, bounded by the bytes left in it
 * (each row takes at least `min_row_bytes`), so no count makes us reserve
 * more than the input could hold. */
static int read_count(sgl_reader *r, sg_bytes_in *in, size_t min_row_bytes, size_t *count)
{
    uint64_t n = sg_bytes_get_varint(in);
    if (in->failed)
        return record_truncated(r);
    if (n > sg_bytes_left(in) / min_row_bytes)
        return RECORD_FAIL(r, "%llu rows cannot fit in the %zu bytes left", (unsigned long long)n,
                           sg_bytes_left(in));
    *count = (size_t)n;
    return SG_PROFILE_OK;
}

static int read_first(sgl_reader *r, sg_bytes_in *in, uint64_t expected, const char *what)
{
    uint64_t first = sg_bytes_get_varint(in);
    if (in->failed)
        return record_truncated(r);
    if (first != expected)
        return RECORD_FAIL(r, "starts at %s %llu, but %llu come before it", what,
                           (unsigned long long)first, (unsigned long long)expected);
    return SG_PROFILE_OK;
}

static int decode_strings(sgl_reader *r, sg_bytes_in *in)
{
    sg_strings *s = &r->p->strings;
    size_t n;
    int rc;
    if ((rc = read_first(r, in, s->count, "string")) != 0 || (rc = read_count(r, in, 1, &n)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        uint64_t len = sg_bytes_get_varint(in);
        if (!in->failed && len > SG_SGL_MAX_STRING)
            return RECORD_FAIL(r, "a string of %llu bytes is longer than the limit (%u)",
                               (unsigned long long)len, SG_SGL_MAX_STRING);
        const unsigned char *text = sg_bytes_get_span(in, (size_t)len);
        if (text == NULL)
            return record_truncated(r);
        uint32_t expected = s->count, id;
        if ((rc = sg_strings_intern(s, (const char *)text, (size_t)len, &id)) != 0)
            return RECORD_OOM(r, rc);
        if (id != expected)
            return RECORD_FAIL(r, "string %u repeats string %u", expected, id);
    }
    return SG_PROFILE_OK;
}

static int decode_frames(sgl_reader *r, sg_bytes_in *in)
{
    sg_profile *p = r->p;
    size_t n;
    int rc;
    if ((rc = read_first(r, in, p->frames.count, "frame")) != 0 ||
        (rc = read_count(r, in, 3, &n)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        uint32_t file = sg_bytes_get_varint32(in);
        uint32_t name = sg_bytes_get_varint32(in);
        uint32_t first_line = sg_bytes_get_varint32(in);
        uint32_t expected = p->frames.count, id;
        if (in->failed)
            return record_truncated(r);
        if (file >= p->strings.count || name >= p->strings.count)
            return RECORD_FAIL(r, "frame %u names string %u, but only %u exist", expected,
                               file >= p->strings.count ? file : name, p->strings.count);
        if ((rc = sg_frames_intern(&p->frames, file, name, first_line, &id)) != 0)
            return RECORD_OOM(r, rc);
        if (id != expected)
            return RECORD_FAIL(r, "frame %u repeats frame %u", expected, id);
    }
    return SG_PROFILE_OK;
}

#define STACK_PREFETCH 8 /* rows ahead whose index slot is loaded early */

static int reserve_scratch(sgl_reader *r, size_t n)
{
    if (n <= r->scratch_cap)
        return SG_PROFILE_OK;
    int rc;
    if ((rc = sg_grow_array((void **)&r->scratch_parent, n, sizeof(uint32_t))) != 0 ||
        (rc = sg_grow_array((void **)&r->scratch_frame, n, sizeof(uint32_t))) != 0 ||
        (rc = sg_grow_array((void **)&r->scratch_line, n, sizeof(uint32_t))) != 0)
        return rc;
    r->scratch_cap = n;
    return SG_PROFILE_OK;
}

static int decode_stacks(sgl_reader *r, sg_bytes_in *in)
{
    sg_profile *p = r->p;
    size_t n;
    int rc;
    if ((rc = read_first(r, in, p->stacks.count, "stack")) != 0 ||
        (rc = read_count(r, in, 3, &n)) != 0)
        return rc;
    if ((rc = reserve_scratch(r, n)) != 0)
        return RECORD_OOM(r, rc);
    uint32_t first = p->stacks.count;
    for (size_t i = 0; i < n; i++) {
        uint32_t id = first + (uint32_t)i;
        uint32_t distance = sg_bytes_get_varint32(in);
        if (in->failed)
            return record_truncated(r);
        if (distance > id)
            return RECORD_FAIL(r, "the parent of stack %u would be %u stacks before the first", id,
                               distance - id);
        r->scratch_parent[i] = distance == 0 ? SG_STACK_NONE : id - distance;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t frame = sg_bytes_get_varint32(in);
        if (in->failed)
            return record_truncated(r);
        if (frame >= p->frames.count)
            return RECORD_FAIL(r, "stack %u names frame %u, but only %u exist", first + (uint32_t)i,
                               frame, p->frames.count);
        r->scratch_frame[i] = frame;
    }
    for (size_t i = 0; i < n; i++) {
        r->scratch_line[i] = sg_bytes_get_varint32(in);
        if (in->failed)
            return record_truncated(r);
    }
    /* all three columns known: grow the table once, and load each row's
     * index slot a few rows ahead (the lookups are independent) */
    if (n <= UINT32_MAX && (rc = sg_stacks_reserve(&p->stacks, (uint32_t)n)) != 0)
        return RECORD_OOM(r, rc);
    for (size_t i = 0; i < n; i++) {
        uint32_t expected = first + (uint32_t)i, id;
        if (i + STACK_PREFETCH < n)
            sg_stacks_prefetch(&p->stacks, r->scratch_parent[i + STACK_PREFETCH],
                               r->scratch_frame[i + STACK_PREFETCH],
                               r->scratch_line[i + STACK_PREFETCH]);
        rc = sg_stacks_intern(&p->stacks, r->scratch_parent[i], r->scratch_frame[i],
                              r->scratch_line[i], &id);
        if (rc != 0)
            return RECORD_OOM(r, rc);
        if (id != expected)
            return RECORD_FAIL(r, "stack %u repeats stack %u", expected, id);
    }
    return SG_PROFILE_OK;
}

static int decode_threads(sgl_reader *r, sg_bytes_in *in)
{
    sg_profile *p = r->p;
    size_t n;
    int rc;
    if ((rc = read_first(r, in, p->threads.count, "thread")) != 0 ||
        (rc = read_count(r, in, 2, &n)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        uint64_t tid = sg_bytes_get_varint(in);
        uint32_t name = sg_bytes_get_varint32(in);
        uint32_t expected = p->threads.count, index;
        if (in->failed)
            return record_truncated(r);
        if (name >= p->strings.count)
            return RECORD_FAIL(r, "thread %u names string %u, but only %u exist", expected, name,
                               p->strings.count);
        if ((rc = sg_threads_intern(&p->threads, tid, name, &index)) != 0)
            return RECORD_OOM(r, rc);
        if (index != expected)
            return RECORD_FAIL(r, "thread %u repeats thread %u", expected, index);
    }
    if (p->threads.count > r->state_cap) {
        size_t cap = sg_grow_capacity(r->state_cap, p->threads.count, 16, UINT32_MAX);
        if ((rc = sg_grow_array((void **)&r->prev_stack_code, cap, sizeof(uint32_t))) != 0 ||
            (rc = sg_grow_array((void **)&r->prev_flags, cap, 1)) != 0)
            return RECORD_OOM(r, rc);
        memset(r->prev_stack_code + r->state_cap, 0, (cap - r->state_cap) * sizeof(uint32_t));
        memset(r->prev_flags + r->state_cap, 0, cap - r->state_cap);
        r->state_cap = (uint32_t)cap;
    }
    return SG_PROFILE_OK;
}

static int read_time_unit(sgl_reader *r, sg_bytes_in *in, uint64_t *unit)
{
    *unit = sg_bytes_get_varint(in);
    if (in->failed)
        return record_truncated(r);
    if (*unit == 0 || *unit > INT64_MAX)
        return RECORD_FAIL(r, "time unit %llu ns is out of range", (unsigned long long)*unit);
    return SG_PROFILE_OK;
}

/* The five columns of a SAMPLES record, decoded straight into the sample
 * table's spare capacity; `count` moves only once all of them are valid. */
static int decode_samples(sgl_reader *r, sg_bytes_in *in)
{
    sg_profile *p = r->p;
    sg_samples *s = &p->samples;
    size_t n;
    uint64_t unit;
    int rc;
    if ((rc = read_first(r, in, s->count, "sample")) != 0 || (rc = read_count(r, in, 1, &n)) != 0 ||
        (rc = read_time_unit(r, in, &unit)) != 0)
        return rc;
    /* Each sample takes at least one byte in each of four columns. */
    if (n > sg_bytes_left(in) / 4)
        return RECORD_FAIL(r, "%zu samples cannot fit in the %zu bytes left", n, sg_bytes_left(in));
    if ((rc = sg_samples_reserve(s, n)) != 0)
        return RECORD_OOM(r, rc);
    size_t base = s->count;
    uint64_t t = r->prev_sample_time;
    for (size_t i = 0; i < n; i++) {
        t += (uint64_t)sg_unzigzag(sg_bytes_get_varint(in)) * unit;
        s->time_ns[base + i] = t;
    }
    if (in->failed)
        return record_truncated(r);
    for (size_t i = 0; i < n; i++) {
        uint32_t thread = sg_bytes_get_varint32(in);
        if (in->failed)
            return record_truncated(r);
        if (thread >= p->threads.count)
            return RECORD_FAIL(r, "sample %zu names thread %u, but only %u exist", base + i, thread,
                               p->threads.count);
        s->thread[base + i] = thread;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t thread = s->thread[base + i];
        int64_t delta = sg_unzigzag(sg_bytes_get_varint(in));
        if (in->failed)
            return record_truncated(r);
        /* Bound the delta first so the sum below cannot overflow. */
        int64_t code = delta < -(int64_t)UINT32_MAX || delta > (int64_t)UINT32_MAX
                           ? -1
                           : (int64_t)r->prev_stack_code[thread] + delta;
        if (code < 0)
            return RECORD_FAIL(r, "the stack delta of sample %zu goes below the empty stack",
                               base + i);
        if (code > (int64_t)p->stacks.count)
            return RECORD_FAIL(r, "sample %zu names stack %lld, but only %u exist", base + i,
                               (long long)code - 1, p->stacks.count);
        r->prev_stack_code[thread] = (uint32_t)code;
        s->stack[base + i] = code == 0 ? SG_STACK_NONE : (uint32_t)(code - 1);
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t thread = s->thread[base + i];
        uint8_t flags = sg_bytes_get_u8(in) ^ r->prev_flags[thread];
        r->prev_flags[thread] = flags;
        s->flags[base + i] = flags;
    }
    if (in->failed)
        return record_truncated(r);
    for (size_t i = 0; i < n;) {
        uint64_t run = sg_bytes_get_varint(in);
        uint32_t weight = sg_bytes_get_varint32(in);
        if (in->failed)
            return record_truncated(r);
        if (run == 0 || run > n - i)
            return RECORD_FAIL(r, "a weight run of %llu samples overruns the %zu left",
                               (unsigned long long)run, n - i);
        for (uint64_t k = 0; k < run; k++)
            s->weight[base + i + k] = weight;
        i += (size_t)run;
    }
    r->prev_sample_time = t;
    s->count = base + n;
    return SG_PROFILE_OK;
}

static int decode_events(sgl_reader *r, sg_bytes_in *in)
{
    sg_profile *p = r->p;
    sg_events *e = &p->events;
    size_t n;
    uint64_t unit;
    int rc;
    if ((rc = read_first(r, in, e->count, "event")) != 0 || (rc = read_count(r, in, 4, &n)) != 0 ||
        (rc = read_time_unit(r, in, &unit)) != 0)
        return rc;
    if ((rc = sg_events_reserve(e, n)) != 0)
        return RECORD_OOM(r, rc);
    size_t base = e->count;
    uint64_t t = r->prev_event_time;
    for (size_t i = 0; i < n; i++) {
        t += (uint64_t)sg_unzigzag(sg_bytes_get_varint(in)) * unit;
        e->time_ns[base + i] = t;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t kind = sg_bytes_get_u8(in);
        if (in->failed)
            return record_truncated(r);
        if (kind == 0 || kind > SG_EVENT_KIND_MAX)
            return RECORD_FAIL(r, "event %zu has unknown kind %u", base + i, kind);
        e->kind[base + i] = kind;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t code = sg_bytes_get_varint32(in);
        if (in->failed)
            return record_truncated(r);
        if (code > p->threads.count)
            return RECORD_FAIL(r, "event %zu names thread %u, but only %u exist", base + i,
                               code - 1, p->threads.count);
        e->thread[base + i] = code == 0 ? SG_THREAD_NONE : code - 1;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t label = sg_bytes_get_varint32(in);
        if (in->failed)
            return record_truncated(r);
        if (label >= p->strings.count)
            return RECORD_FAIL(r, "event %zu names string %u, but only %u exist", base + i, label,
                               p->strings.count);
        e->label[base + i] = label;
    }
    r->prev_event_time = t;
    e->count = base + n;
    return SG_PROFILE_OK;
}

static int decode_source(sgl_reader *r, sg_bytes_in *in)
{
    sg_profile *p = r->p;
    uint32_t file = sg_bytes_get_varint32(in);
    uint64_t len = sg_bytes_get_varint(in);
    if (in->failed)
        return record_truncated(r);
    if (file >= p->strings.count)
        return RECORD_FAIL(r, "source names string %u, but only %u exist", file, p->strings.count);
    if (len > SG_SGL_MAX_SOURCE)
        return RECORD_FAIL(r, "a source text of %llu bytes is longer than the limit (%u)",
                           (unsigned long long)len, SG_SGL_MAX_SOURCE);
    const unsigned char *text = sg_bytes_get_span(in, (size_t)len);
    if (text == NULL)
        return record_truncated(r);
    if (sg_sources_find(&p->sources, file) >= 0)
        return RECORD_FAIL(r, "a second source text for \"%s\"", sg_strings_get(&p->strings, file));
    int rc = sg_sources_add(&p->sources, file, (const char *)text, (size_t)len);
    return rc == 0 ? SG_PROFILE_OK : RECORD_OOM(r, rc);
}

static int decode_meta(sgl_reader *r, sg_bytes_in *in)
{
    sg_profile *p = r->p;
    sg_meta *m = &p->meta;
    size_t n;
    int rc;
    if ((rc = read_count(r, in, 2, &n)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        uint64_t key = sg_bytes_get_varint(in);
        uint64_t value = sg_bytes_get_varint(in);
        if (in->failed)
            return record_truncated(r);
        uint32_t *text = NULL;
        switch (key) {
        case SG_SGL_META_COMMAND:
            text = &m->command;
            break;
        case SG_SGL_META_PYTHON_VERSION:
            text = &m->python_version;
            break;
        case SG_SGL_META_HOST:
            text = &m->host;
            break;
        case SG_SGL_META_SPYGLASS_VERSION:
            text = &m->spyglass_version;
            break;
        case SG_SGL_META_PID:
            m->pid = value;
            break;
        case SG_SGL_META_START_UNIX_NS:
            m->start_unix_ns = value;
            break;
        case SG_SGL_META_INTERVAL_NS:
            m->interval_ns = value;
            break;
        case SG_SGL_META_MODE:
            if (value > SG_MODE_CPU)
                return RECORD_FAIL(r, "unknown mode %llu", (unsigned long long)value);
            m->mode = (uint8_t)value;
            break;
        case SG_SGL_META_WEIGHT_UNIT:
            if (value > SG_WEIGHT_UNIT_MAX)
                return RECORD_FAIL(r, "unknown weight unit %llu", (unsigned long long)value);
            m->weight_unit = (uint8_t)value;
            break;
        case SG_SGL_META_HAS_STACKS:
            if (value > 1)
                return RECORD_FAIL(r, "has-stacks flag is %llu, not 0 or 1",
                                   (unsigned long long)value);
            m->has_stacks = value == 1;
            break;
        case SG_SGL_META_DURATION_NS:
            m->duration_ns = value;
            break;
        case SG_SGL_META_SAMPLES_MISSED:
            m->samples_missed = value;
            break;
        default:
            break; /* a key from a newer writer: every value is one varint, so skip it */
        }
        if (text != NULL) {
            if (value >= p->strings.count)
                return RECORD_FAIL(r, "metadata key %llu names string %llu, but only %u exist",
                                   (unsigned long long)key, (unsigned long long)value,
                                   p->strings.count);
            *text = (uint32_t)value;
        }
    }
    return SG_PROFILE_OK;
}

/* n varints into dst[i].field (a column of a CALLSTATS record). */
#define READ_COLUMN(r, in, rows, n, field)                                                         \
    do {                                                                                           \
        for (size_t i_ = 0; i_ < (n); i_++)                                                        \
            (rows)[i_].field = sg_bytes_get_varint(in);                                            \
        if ((in)->failed)                                                                          \
            return record_truncated(r);                                                            \
    } while (0)

static int check_frame(sgl_reader *r, uint64_t frame, const char *what, size_t row)
{
    if (frame >= r->p->frames.count)
        return RECORD_FAIL(r, "%s row %zu names frame %llu, but only %u exist", what, row,
                           (unsigned long long)frame, r->p->frames.count);
    return SG_PROFILE_OK;
}

static int decode_callstats_rows(sgl_reader *r, sg_bytes_in *in, sg_callstats_func *funcs,
                                 size_t nf, sg_callstats_edge *edges, size_t ne)
{
    const sg_callstats *c = &r->p->callstats;
    int rc;
    for (size_t i = 0; i < nf; i++) {
        uint64_t frame = sg_bytes_get_varint(in);
        if (in->failed)
            return record_truncated(r);
        if ((rc = check_frame(r, frame, "function", c->func_count + i)) != 0)
            return rc;
        funcs[i].frame = (uint32_t)frame;
    }
    READ_COLUMN(r, in, funcs, nf, n.cc);
    READ_COLUMN(r, in, funcs, nf, n.nc);
    READ_COLUMN(r, in, funcs, nf, n.tt_ns);
    READ_COLUMN(r, in, funcs, nf, n.ct_ns);
    for (size_t i = 0; i < ne; i++) {
        uint64_t caller = sg_bytes_get_varint(in);
        if (in->failed)
            return record_truncated(r);
        if ((rc = check_frame(r, caller, "edge", c->edge_count + i)) != 0)
            return rc;
        edges[i].caller = (uint32_t)caller;
    }
    for (size_t i = 0; i < ne; i++) {
        uint64_t callee = sg_bytes_get_varint(in);
        if (in->failed)
            return record_truncated(r);
        if ((rc = check_frame(r, callee, "edge", c->edge_count + i)) != 0)
            return rc;
        edges[i].callee = (uint32_t)callee;
    }
    for (size_t i = 0; i < ne; i++)
        edges[i].flags = sg_bytes_get_u8(in);
    if (in->failed)
        return record_truncated(r);
    READ_COLUMN(r, in, edges, ne, n.cc);
    READ_COLUMN(r, in, edges, ne, n.nc);
    READ_COLUMN(r, in, edges, ne, n.tt_ns);
    READ_COLUMN(r, in, edges, ne, n.ct_ns);
    for (size_t i = 0; i < nf; i++)
        if (!sg_call_numbers_valid(&funcs[i].n, 0))
            return RECORD_FAIL(r, "function row %zu has numbers out of range", c->func_count + i);
    for (size_t i = 0; i < ne; i++) {
        if ((edges[i].flags & ~SG_CALLSTATS_ALL_FLAGS) != 0)
            return RECORD_FAIL(r, "edge row %zu has unknown flags 0x%02x", c->edge_count + i,
                               edges[i].flags);
        if (!sg_call_numbers_valid(&edges[i].n, edges[i].flags))
            return RECORD_FAIL(r, "edge row %zu has numbers out of range%s", c->edge_count + i,
                               (edges[i].flags & SG_CALLSTATS_COUNT_ONLY) ? " for a count-only edge"
                                                                          : "");
    }
    return SG_PROFILE_OK;
}

/*
 * A CALLSTATS record: function rows then edge rows, each section as
 * columns. The rows are decoded into scratch space and checked (frames
 * exist, flags known, numbers in range) before any is added; a key that
 * repeats one already in the table (or earlier in the record) is caught as
 * it is added. Any error fails the whole read, as everywhere.
 */
static int decode_callstats(sgl_reader *r, sg_bytes_in *in)
{
    sg_profile *p = r->p;
    sg_callstats *c = &p->callstats;
    int rc;
    size_t nf, ne;
    if ((rc = read_first(r, in, c->func_count, "function row")) != 0 ||
        (rc = read_count(r, in, 5, &nf)) != 0 ||
        (rc = read_first(r, in, c->edge_count, "edge row")) != 0 ||
        (rc = read_count(r, in, 7, &ne)) != 0)
        return rc;
    /* each function row takes at least 5 bytes, each edge row 7 */
    if (nf * 5 + ne * 7 > sg_bytes_left(in))
        return RECORD_FAIL(r, "%zu function and %zu edge rows cannot fit in the %zu bytes left", nf,
                           ne, sg_bytes_left(in));
    sg_callstats_func *funcs = malloc((nf + 1) * sizeof *funcs);
    sg_callstats_edge *edges = malloc((ne + 1) * sizeof *edges);
    if (funcs == NULL || edges == NULL) {
        free(funcs);
        free(edges);
        return RECORD_OOM(r, SG_PROFILE_ENOMEM);
    }
    rc = decode_callstats_rows(r, in, funcs, nf, edges, ne);
    for (size_t i = 0; i < nf && rc == 0; i++)
        if ((rc = sg_callstats_add_func(c, funcs[i].frame, &funcs[i].n, NULL)) != 0)
            rc = rc == SG_PROFILE_EINVAL ? RECORD_FAIL(r, "function row %u repeats frame %u",
                                                       c->func_count, funcs[i].frame)
                                         : RECORD_OOM(r, rc);
    for (size_t i = 0; i < ne && rc == 0; i++)
        if ((rc = sg_callstats_add_edge(c, edges[i].caller, edges[i].callee, edges[i].flags,
                                        &edges[i].n, NULL)) != 0)
            rc = rc == SG_PROFILE_EINVAL
                     ? RECORD_FAIL(r, "edge row %u repeats the edge from frame %u to frame %u",
                                   c->edge_count, edges[i].caller, edges[i].callee)
                     : RECORD_OOM(r, rc);
    free(funcs);
    free(edges);
    return rc;
}

static int decode_end(sgl_reader *r, sg_bytes_in *in)
{
    uint64_t samples = sg_bytes_get_varint(in);
    uint64_t events = sg_bytes_get_varint(in);
    if (in->failed)
        return record_truncated(r);
    if (samples != r->p->samples.count || events != r->p->events.count)
        return RECORD_FAIL(r,
                           "the file says it holds %llu samples and %llu events, but %zu and "
                           "%zu were read",
                           (unsigned long long)samples, (unsigned long long)events,
                           r->p->samples.count, r->p->events.count);
    r->ended = true;
    return SG_PROFILE_OK;
}

static const char *record_name(unsigned type)
{
    static const char *const names[] = {
        [SG_SGL_REC_STRINGS] = "strings", [SG_SGL_REC_FRAMES] = "frames",
        [SG_SGL_REC_STACKS] = "stacks",   [SG_SGL_REC_THREADS] = "threads",
        [SG_SGL_REC_SAMPLES] = "samples", [SG_SGL_REC_EVENTS] = "events",
        [SG_SGL_REC_SOURCE] = "source",   [SG_SGL_REC_META] = "metadata",
        [SG_SGL_REC_END] = "end",         [SG_SGL_REC_CALLSTATS] = "call statistics",
    };
    if (type < sizeof names / sizeof names[0] && names[type] != NULL)
        return names[type];
    return NULL;
}

static int decode_record(sgl_reader *r, unsigned type, sg_bytes_in *in)
{
    switch (type) {
    case SG_SGL_REC_STRINGS:
        return decode_strings(r, in);
    case SG_SGL_REC_FRAMES:
        return decode_frames(r, in);
    case SG_SGL_REC_STACKS:
        return decode_stacks(r, in);
    case SG_SGL_REC_THREADS:
        return decode_threads(r, in);
    case SG_SGL_REC_SAMPLES:
        return decode_samples(r, in);
    case SG_SGL_REC_EVENTS:
        return decode_events(r, in);
    case SG_SGL_REC_SOURCE:
        return decode_source(r, in);
    case SG_SGL_REC_META:
        return decode_meta(r, in);
    case SG_SGL_REC_END:
        return decode_end(r, in);
    case SG_SGL_REC_CALLSTATS:
        return decode_callstats(r, in);
    default:
        return RECORD_FAIL(r, "unknown record type");
    }
}

/* Decode the records of one chunk's raw data. */
static int decode_records(sgl_reader *r, const unsigned char *raw, size_t len)
{
    sg_bytes_in chunk = sg_bytes_in_make(raw, len);
    while (sg_bytes_left(&chunk) > 0) {
        size_t at = chunk.pos;
        r->record_name = NULL;
        r->record_offset = at;
        unsigned type = sg_bytes_get_u8(&chunk);
        uint64_t body_len = sg_bytes_get_varint(&chunk);
        if (chunk.failed || body_len > sg_bytes_left(&chunk))
            return reader_fail(r, SG_PROFILE_EFORMAT, r->chunk_offset,
                               "the record at byte %zu of the chunk's data runs past its end", at);
        sg_bytes_in body = sg_bytes_in_make(chunk.data + chunk.pos, (size_t)body_len);
        chunk.pos += (size_t)body_len;
        if (r->ended)
            return reader_fail(r, SG_PROFILE_EFORMAT, r->chunk_offset,
                               "a record follows the end record");
        if (type >= SG_SGL_REC_OPTIONAL_MIN && type <= SG_SGL_REC_OPTIONAL_MAX &&
            record_name(type) == NULL)
            continue; /* optional record from a newer writer */
        r->record_name = record_name(type);
        if (r->record_name == NULL)
            return reader_fail(r, SG_PROFILE_EFORMAT, r->chunk_offset,
                               "unknown record type 0x%02x at byte %zu of the chunk's data", type,
                               at);
        int rc = decode_record(r, type, &body);
        if (rc != 0)
            return rc;
        if (sg_bytes_left(&body) != 0)
            return RECORD_FAIL(r, "%zu bytes left over at the end of the record",
                               sg_bytes_left(&body));
    }
    r->record_name = NULL;
    return SG_PROFILE_OK;
}

/* Decompress one payload, which must yield exactly raw_len bytes. */
static int decompress_chunk(sgl_reader *r, const unsigned char *payload, size_t len, size_t raw_len)
{
    ZSTD_inBuffer in = {payload, len, 0};
    size_t produced = 0;
    size_t limit = raw_len + 1; /* one byte of room to notice extra output */
    for (;;) {
        if (produced == r->raw_cap && r->raw_cap < limit) {
            /* Grow as output arrives, never to a size the input has not earned. */
            size_t cap = sg_grow_capacity(r->raw_cap, produced + 1, 65536, limit);
            int rc = sg_grow_array((void **)&r->raw, cap, 1);
            if (rc != 0)
                return reader_fail(r, rc, r->chunk_offset, "%s", sg_profile_strerror(rc));
            r->raw_cap = cap;
        }
        ZSTD_outBuffer out = {r->raw, r->raw_cap < limit ? r->raw_cap : limit, produced};
        size_t in_before = in.pos;
        size_t z = ZSTD_decompressStream(r->dctx, &out, &in);
        if (ZSTD_isError(z) && ZSTD_getErrorCode(z) == ZSTD_error_memory_allocation)
            return reader_fail(r, SG_PROFILE_ENOMEM, r->chunk_offset, "zstd: out of memory");
        if (ZSTD_isError(z))
            return reader_fail(r, SG_PROFILE_EFORMAT, r->chunk_offset,
                               "the chunk does not decompress (zstd: %s)", ZSTD_getErrorName(z));
        if (out.pos > raw_len)
            return reader_fail(r, SG_PROFILE_EFORMAT, r->chunk_offset,
                               "the chunk decompresses to more than the %zu bytes its header says",
                               raw_len);
        bool progress = out.pos != produced || in.pos != in_before;
        produced = out.pos;
        if (in.pos == in.size && out.pos < out.size)
            break; /* all input used and zstd had room: it has flushed everything */
        if (!progress && out.pos < out.size)
            return reader_fail(r, SG_PROFILE_EFORMAT, r->chunk_offset,
                               "the chunk's compressed data stalls");
    }
    if (produced != raw_len)
        return reader_fail(r, SG_PROFILE_EFORMAT, r->chunk_offset,
                           "the chunk decompresses to %zu bytes, but its header says %zu", produced,
                           raw_len);
    return SG_PROFILE_OK;
}

static bool all_zero(const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != 0)
            return false;
    return true;
}

static int check_file_header(sgl_reader *r, const unsigned char *data, size_t len)
{
    size_t have = len < SG_SGL_MAGIC_LEN ? len : SG_SGL_MAGIC_LEN;
    if (len == 0)
        return reader_fail(r, SG_PROFILE_EFORMAT, 0, "the file is empty");
    if (memcmp(data, SG_SGL_MAGIC, have) != 0)
        return reader_fail(r, SG_PROFILE_EFORMAT, 0, "not a spyglass .sgl file (wrong magic)");
    if (len < SG_SGL_FILE_HEADER_SIZE)
        return reader_fail(r, SG_PROFILE_EFORMAT, len,
                           "the file ends inside its %d-byte header (truncated)",
                           SG_SGL_FILE_HEADER_SIZE);
    if (sg_load_le32(data + 12) != sg_crc32c(data, 12))
        return reader_fail(r, SG_PROFILE_EFORMAT, 12, "file header checksum mismatch");
    unsigned version = sg_load_le16(data + 8);
    if (version != SG_SGL_VERSION)
        return reader_fail(r, SG_PROFILE_EFORMAT, 8,
                           "format version %u is not supported (this reader knows version %d)",
                           version, SG_SGL_VERSION);
    unsigned flags = sg_load_le16(data + 10);
    if (flags != 0)
        return reader_fail(r, SG_PROFILE_EFORMAT, 10, "unknown file flags 0x%04x", flags);
    return SG_PROFILE_OK;
}

/* Walk the chunks after the file header. */
static int read_chunks(sgl_reader *r, const unsigned char *data, size_t len, unsigned flags,
                       sg_sgl_read_info *info)
{
    size_t off = SG_SGL_FILE_HEADER_SIZE;
    while (off < len) {
        const unsigned char *h = data + off;
        size_t left = len - off;
        r->chunk_offset = off;
        /* A torn tail: the bytes present are the start of a chunk, or the
         * zeros a crash can leave where the last write did not land. */
        bool torn = false;
        if (all_zero(h, left)) {
            torn = true;
        } else if (left < SG_SGL_CHUNK_HEADER_SIZE) {
            if (memcmp(h, SG_SGL_CHUNK_MAGIC, left < 4 ? left : 4) != 0)
                return reader_fail(r, SG_PROFILE_EFORMAT, off, "not a chunk (wrong magic)");
            torn = true;
        }
        if (!torn) {
            if (memcmp(h, SG_SGL_CHUNK_MAGIC, 4) != 0)
                return reader_fail(r, SG_PROFILE_EFORMAT, off, "not a chunk (wrong magic)");
            if (sg_load_le32(h + 16) != sg_crc32c(h, 16))
                return reader_fail(r, SG_PROFILE_EFORMAT, off, "chunk header checksum mismatch");
            size_t clen = sg_load_le32(h + 4), rlen = sg_load_le32(h + 8);
            if (rlen > SG_SGL_MAX_CHUNK_RAW)
                return reader_fail(r, SG_PROFILE_EFORMAT, off,
                                   "chunk of %zu raw bytes is larger than the limit (%u)", rlen,
                                   SG_SGL_MAX_CHUNK_RAW);
            if (clen > left - SG_SGL_CHUNK_HEADER_SIZE) {
                torn = true;
            } else {
                const unsigned char *payload = h + SG_SGL_CHUNK_HEADER_SIZE;
                if (sg_load_le32(h + 12) != sg_crc32c(payload, clen))
                    return reader_fail(r, SG_PROFILE_EFORMAT, off,
                                       "chunk payload checksum mismatch");
                if (r->ended)
                    return reader_fail(r, SG_PROFILE_EFORMAT, off,
                                       "a chunk follows the end record");
                int rc = decompress_chunk(r, payload, clen, rlen);
                if (rc == 0)
                    rc = decode_records(r, r->raw, rlen);
                if (rc != 0)
                    return rc;
                info->chunks++;
                off += SG_SGL_CHUNK_HEADER_SIZE + clen;
                continue;
            }
        }
        if (flags & SG_SGL_READ_STRICT)
            return reader_fail(r, SG_PROFILE_EFORMAT, off,
                               "the file ends inside a chunk (truncated)");
        info->truncated = true;
        info->truncated_at = off;
        break;
    }
    info->complete = r->ended;
    return SG_PROFILE_OK;
}

int sg_sgl_read_buffer(const void *data, size_t len, unsigned flags, sg_profile **out,
                       sg_sgl_read_info *info, char *err, size_t errlen)
{
    *out = NULL;
    sg_sgl_read_info scratch_info;
    if (info == NULL)
        info = &scratch_info;
    memset(info, 0, sizeof *info);
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    sgl_reader r = {.err = err, .errlen = errlen};
    int rc = check_file_header(&r, data, len);
    if (rc != 0)
        return rc;
    r.p = sg_profile_new();
    r.dctx = ZSTD_createDCtx();
    if (r.p == NULL || r.dctx == NULL) {
        rc = reader_fail(&r, SG_PROFILE_ENOMEM, 0, "out of memory");
    } else {
        /* The writer already applied its cap; keep every text the file has. */
        r.p->sources.cap_bytes = SIZE_MAX;
        size_t z = ZSTD_DCtx_setParameter(r.dctx, ZSTD_d_windowLogMax, SG_SGL_ZSTD_WINDOW_LOG);
        rc = ZSTD_isError(z) ? reader_fail(&r, SG_PROFILE_ENOMEM, 0, "zstd setup failed")
                             : read_chunks(&r, data, len, flags, info);
    }
    ZSTD_freeDCtx(r.dctx);
    free(r.raw);
    free(r.prev_stack_code);
    free(r.prev_flags);
    free(r.scratch_parent);
    free(r.scratch_frame);
    free(r.scratch_line);
    if (rc != 0) {
        sg_profile_free(r.p);
        return rc;
    }
    *out = r.p;
    return SG_PROFILE_OK;
}

/* Read all of fd (a file or a pipe) into a malloc'd buffer. */
static int read_whole(int fd, unsigned char **data, size_t *len)
{
    struct stat st;
    size_t cap = 65536;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (size_t)st.st_size + 1; /* +1: notice a file that grew meanwhile without a realloc */
    unsigned char *buf = malloc(cap);
    if (buf == NULL)
        return SG_PROFILE_ENOMEM;
    size_t have = 0;
    for (;;) {
        if (have == cap) {
            size_t next = sg_grow_capacity(cap, cap + 1, 65536, SIZE_MAX);
            if (next == 0 || sg_grow_array((void **)&buf, next, 1) != 0) {
                free(buf);
                return SG_PROFILE_ENOMEM;
            }
            cap = next;
        }
        ssize_t n = read(fd, buf + have, cap - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            free(buf);
            errno = saved;
            return SG_PROFILE_EIO;
        }
        if (n == 0)
            break;
        have += (size_t)n;
    }
    *data = buf;
    *len = have;
    return SG_PROFILE_OK;
}

int sg_sgl_read_file(const char *path, unsigned flags, sg_profile **out, sg_sgl_read_info *info,
                     char *err, size_t errlen)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return SG_PROFILE_EIO;
    }
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = read_whole(fd, &data, &len);
    int saved = errno;
    close(fd);
    if (rc != 0) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: %s", path,
                     rc == SG_PROFILE_EIO ? strerror(saved) : sg_profile_strerror(rc));
        return rc;
    }
    char inner[512] = "";
    rc = sg_sgl_read_buffer(data, len, flags, out, info, inner, sizeof inner);
    free(data);
    if (rc != 0 && err != NULL && errlen > 0)
        snprintf(err, errlen, "%s: %s", path, inner);
    return rc;
}

bool sg_sgl_detect(const void *data, size_t len)
{
    return len >= SG_SGL_MAGIC_LEN && memcmp(data, SG_SGL_MAGIC, SG_SGL_MAGIC_LEN) == 0;
}
