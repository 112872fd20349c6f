/*
 * sgl_writer.c — the streaming .sgl writer (see sgl.h, docs/format.md).
 *
 * The writer remembers how many rows of each table it has sent; a flush
 * encodes the rows past those marks as records (strings, frames, stacks,
 * threads, sources, metadata, call statistics, events, samples: every
 * record only refers to rows sent before it), cuts the records into chunks of about
 * SG_SGL_CHUNK_TARGET raw bytes, compresses each chunk as the next block
 * of the file's single zstd stream (ZSTD_e_flush, so everything written so
 * far decodes), and writes header + payload with one write().
 *
 * Invariants:
 *   - a chunk holds whole records, and the file only ever receives whole
 *     chunks (one write() each, retried until complete).
 *   - after any error the writer is broken and refuses further flushes:
 *     its zstd stream and delta state may be ahead of the file, which still
 *     ends at its last whole chunk and reads back.
 *   - the delta state (previous time, previous stack and flags per thread)
 *     mirrors exactly what a reader holds after the chunks written so far.
 *   - the writer checks every reference it writes, so it never produces a
 *     file its own reader rejects.
 */
#include "profile/sgl.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "profile/bytes.h"
#include "profile/crc32c.h"
#include "profile/grow.h"
#include "profile/sgl_format.h"

/* Where a time column stands: the last time seen, and it in stored units
 * (what a reader's running sum holds, divided by the unit). */
typedef struct time_state {
    uint64_t last_ns;
    uint64_t last_units;
} time_state;

struct sg_sgl_writer {
    int fd;
    bool own_fd;
    bool broken;
    int zstd_level;
    uint64_t time_unit; /* ns per stored time unit */
    bool fsync;
    bool no_sources;
    ZSTD_CCtx *cctx;
    sg_bytes_out raw; /* records of the chunk being built */
    sg_bytes_out rec; /* payload of the record being built */
    sg_bytes_out out; /* chunk header + compressed payload */
    /* Rows already encoded (written, or in `raw` until the next chunk). */
    uint32_t strings_sent, frames_sent, stacks_sent, threads_sent, sources_sent;
    size_t samples_sent, events_sent;
    uint32_t callstat_funcs_sent, callstat_edges_sent;
    bool meta_sent;
    sg_meta meta_last;
    /* Delta state, as a reader will have it. */
    time_state sample_time, event_time;
    uint32_t *prev_stack_code; /* per thread: 0 = empty stack, else stack id + 1 */
    uint8_t *prev_flags;       /* per thread */
    uint32_t state_cap;
    uint64_t bytes_written;
    char error[256];
};

static int writer_fail(sg_sgl_writer *w, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->error, sizeof w->error, fmt, ap);
    va_end(ap);
    w->broken = true;
    return rc;
}

static void copy_error(char *err, size_t errlen, const char *msg)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", msg);
}

/* write() all of buf, retrying on EINTR and partial writes. */
static int write_all(sg_sgl_writer *w, const unsigned char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(w->fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return writer_fail(w, SG_PROFILE_EIO, "write failed: %s", strerror(errno));
        }
        buf += n;
        len -= (size_t)n;
        w->bytes_written += (uint64_t)n;
    }
    return SG_PROFILE_OK;
}

/* Compress `raw` as the next part of the stream and write it as one chunk.
 * `end` closes the zstd frame (the last chunk of a file). */
static int writer_emit_chunk(sg_sgl_writer *w, bool end)
{
    if (w->raw.failed != 0)
        return writer_fail(w, w->raw.failed, "encoding a chunk: %s",
                           sg_profile_strerror(w->raw.failed));
    if (w->raw.len == 0 && !end)
        return SG_PROFILE_OK;
    size_t bound = ZSTD_compressBound(w->raw.len) + 64;
    w->out.len = 0;
    if (sg_bytes_reserve(&w->out, SG_SGL_CHUNK_HEADER_SIZE + bound) != 0)
        return writer_fail(w, w->out.failed, "compressing a chunk: out of memory");
    ZSTD_inBuffer in = {w->raw.data, w->raw.len, 0};
    ZSTD_outBuffer out = {w->out.data + SG_SGL_CHUNK_HEADER_SIZE,
                          w->out.cap - SG_SGL_CHUNK_HEADER_SIZE, 0};
    ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_flush;
    for (;;) {
        size_t left = ZSTD_compressStream2(w->cctx, &out, &in, mode);
        if (ZSTD_isError(left))
            return writer_fail(w,
                               ZSTD_getErrorCode(left) == ZSTD_error_memory_allocation
                                   ? SG_PROFILE_ENOMEM
                                   : SG_PROFILE_EIO,
                               "zstd: %s", ZSTD_getErrorName(left));
        if (left == 0)
            break;
        if (out.pos == out.size) {
            /* Flushing can need a little more than the bound; grow and go on. */
            w->out.len = SG_SGL_CHUNK_HEADER_SIZE + out.pos;
            if (sg_bytes_reserve(&w->out, 4096) != 0)
                return writer_fail(w, w->out.failed, "compressing a chunk: out of memory");
            out.dst = w->out.data + SG_SGL_CHUNK_HEADER_SIZE;
            out.size = w->out.cap - SG_SGL_CHUNK_HEADER_SIZE;
        }
    }
    /* Records are capped so a chunk never exceeds what a reader accepts. */
    assert(w->raw.len <= SG_SGL_MAX_CHUNK_RAW);
    unsigned char *header = w->out.data;
    memcpy(header, SG_SGL_CHUNK_MAGIC, 4);
    sg_store_le32(header + 4, (uint32_t)out.pos);
    sg_store_le32(header + 8, (uint32_t)w->raw.len);
    sg_store_le32(header + 12, sg_crc32c(header + SG_SGL_CHUNK_HEADER_SIZE, out.pos));
    sg_store_le32(header + 16, sg_crc32c(header, 16));
    int rc = write_all(w, w->out.data, SG_SGL_CHUNK_HEADER_SIZE + out.pos);
    w->raw.len = 0;
    return rc;
}

/* Append the record built in `rec` to `raw`, and cut a chunk if `raw` is full. */
static int writer_end_record(sg_sgl_writer *w, uint8_t type)
{
    if (w->rec.failed != 0)
        return writer_fail(w, w->rec.failed, "encoding a record: %s",
                           sg_profile_strerror(w->rec.failed));
    sg_bytes_put_u8(&w->raw, type);
    sg_bytes_put_varint(&w->raw, w->rec.len);
    sg_bytes_put(&w->raw, w->rec.data, w->rec.len);
    w->rec.len = 0;
    if (w->raw.len >= SG_SGL_CHUNK_TARGET)
        return writer_emit_chunk(w, false);
    return w->raw.failed == 0 ? SG_PROFILE_OK
                              : writer_fail(w, w->raw.failed, "encoding a chunk: %s",
                                            sg_profile_strerror(w->raw.failed));
}

static int writer_put_strings(sg_sgl_writer *w, const sg_strings *s)
{
    while (w->strings_sent < s->count) {
        uint32_t first = w->strings_sent, end = first;
        size_t bytes = 0;
        while (end < s->count && end - first < SG_SGL_RECORD_MAX_ROWS &&
               bytes < SG_SGL_CHUNK_TARGET) {
            if (s->length[end] > SG_SGL_MAX_STRING)
                return writer_fail(w, SG_PROFILE_ELIMIT,
                                   "string %u is %u bytes long, more than a file holds (%u)", end,
                                   s->length[end], SG_SGL_MAX_STRING);
            bytes += s->length[end];
            end++;
        }
        sg_bytes_put_varint(&w->rec, first);
        sg_bytes_put_varint(&w->rec, end - first);
        for (uint32_t id = first; id < end; id++) {
            sg_bytes_put_varint(&w->rec, s->length[id]);
            sg_bytes_put(&w->rec, sg_strings_get(s, id), s->length[id]);
        }
        int rc = writer_end_record(w, SG_SGL_REC_STRINGS);
        if (rc != 0)
            return rc;
        w->strings_sent = end;
    }
    return SG_PROFILE_OK;
}

static int writer_put_frames(sg_sgl_writer *w, const sg_profile *p)
{
    const sg_frames *f = &p->frames;
    while (w->frames_sent < f->count) {
        uint32_t first = w->frames_sent;
        uint32_t end =
            f->count - first > SG_SGL_RECORD_MAX_ROWS ? first + SG_SGL_RECORD_MAX_ROWS : f->count;
        sg_bytes_put_varint(&w->rec, first);
        sg_bytes_put_varint(&w->rec, end - first);
        for (uint32_t id = first; id < end; id++) {
            const sg_frame *row = &f->rows[id];
            if (row->file >= p->strings.count || row->name >= p->strings.count)
                return writer_fail(w, SG_PROFILE_EINVAL, "frame %u names a missing string", id);
            sg_bytes_put_varint(&w->rec, row->file);
            sg_bytes_put_varint(&w->rec, row->name);
            sg_bytes_put_varint(&w->rec, row->first_line);
        }
        int rc = writer_end_record(w, SG_SGL_REC_FRAMES);
        if (rc != 0)
            return rc;
        w->frames_sent = end;
    }
    return SG_PROFILE_OK;
}

/* Stacks go as three columns: parent distance (0 = root, else id - parent),
 * frame, line. Distances are small for freshly interned chains (1 for a
 * frame pushed on the row just before it), which compress well. */
static int writer_put_stacks(sg_sgl_writer *w, const sg_profile *p)
{
    const sg_stacks *s = &p->stacks;
    while (w->stacks_sent < s->count) {
        uint32_t first = w->stacks_sent;
        uint32_t end =
            s->count - first > SG_SGL_RECORD_MAX_ROWS ? first + SG_SGL_RECORD_MAX_ROWS : s->count;
        sg_bytes_put_varint(&w->rec, first);
        sg_bytes_put_varint(&w->rec, end - first);
        for (uint32_t id = first; id < end; id++)
            sg_bytes_put_varint(&w->rec,
                                s->rows[id].parent == SG_STACK_NONE ? 0 : id - s->rows[id].parent);
        for (uint32_t id = first; id < end; id++) {
            if (s->rows[id].frame >= p->frames.count)
                return writer_fail(w, SG_PROFILE_EINVAL, "stack %u names missing frame %u", id,
                                   s->rows[id].frame);
            sg_bytes_put_varint(&w->rec, s->rows[id].frame);
        }
        for (uint32_t id = first; id < end; id++)
            sg_bytes_put_varint(&w->rec, s->rows[id].line);
        int rc = writer_end_record(w, SG_SGL_REC_STACKS);
        if (rc != 0)
            return rc;
        w->stacks_sent = end;
    }
    return SG_PROFILE_OK;
}

static int writer_put_threads(sg_sgl_writer *w, const sg_profile *p)
{
    const sg_threads *t = &p->threads;
    while (w->threads_sent < t->count) {
        uint32_t first = w->threads_sent;
        uint32_t end =
            t->count - first > SG_SGL_RECORD_MAX_ROWS ? first + SG_SGL_RECORD_MAX_ROWS : t->count;
        sg_bytes_put_varint(&w->rec, first);
        sg_bytes_put_varint(&w->rec, end - first);
        for (uint32_t i = first; i < end; i++) {
            if (t->name[i] >= p->strings.count)
                return writer_fail(w, SG_PROFILE_EINVAL, "thread %u names a missing string", i);
            sg_bytes_put_varint(&w->rec, t->tid[i]);
            sg_bytes_put_varint(&w->rec, t->name[i]);
        }
        int rc = writer_end_record(w, SG_SGL_REC_THREADS);
        if (rc != 0)
            return rc;
        w->threads_sent = end;
    }
    /* Per-thread delta state for the new threads starts at "nothing seen". */
    if (t->count > w->state_cap) {
        size_t cap = sg_grow_capacity(w->state_cap, t->count, 16, UINT32_MAX);
        int rc;
        if ((rc = sg_grow_array((void **)&w->prev_stack_code, cap, sizeof(uint32_t))) != 0 ||
            (rc = sg_grow_array((void **)&w->prev_flags, cap, 1)) != 0)
            return writer_fail(w, rc, "growing thread state: %s", sg_profile_strerror(rc));
        memset(w->prev_stack_code + w->state_cap, 0, (cap - w->state_cap) * sizeof(uint32_t));
        memset(w->prev_flags + w->state_cap, 0, cap - w->state_cap);
        w->state_cap = (uint32_t)cap;
    }
    return SG_PROFILE_OK;
}

static int writer_put_sources(sg_sgl_writer *w, const sg_profile *p)
{
    const sg_sources *s = &p->sources;
    for (; w->sources_sent < s->count; w->sources_sent++) {
        uint32_t i = w->sources_sent;
        if (w->no_sources || s->length[i] > SG_SGL_MAX_SOURCE)
            continue; /* source text is optional: leave it out rather than fail */
        if (s->file[i] >= p->strings.count)
            return writer_fail(w, SG_PROFILE_EINVAL, "source %u names a missing string", i);
        sg_bytes_put_varint(&w->rec, s->file[i]);
        sg_bytes_put_varint(&w->rec, s->length[i]);
        sg_bytes_put(&w->rec, s->text[i], s->length[i]);
        int rc = writer_end_record(w, SG_SGL_REC_SOURCE);
        if (rc != 0)
            return rc;
    }
    return SG_PROFILE_OK;
}

static bool meta_equal(const sg_meta *a, const sg_meta *b)
{
    return a->command == b->command && a->python_version == b->python_version &&
           a->host == b->host && a->spyglass_version == b->spyglass_version && a->pid == b->pid &&
           a->start_unix_ns == b->start_unix_ns && a->interval_ns == b->interval_ns &&
           a->mode == b->mode && a->weight_unit == b->weight_unit &&
           a->has_stacks == b->has_stacks && a->duration_ns == b->duration_ns &&
           a->samples_missed == b->samples_missed;
}

static void put_meta_pair(sg_bytes_out *b, unsigned key, uint64_t value)
{
    sg_bytes_put_varint(b, key);
    sg_bytes_put_varint(b, value);
}

/* Write the metadata if it changed since it was last written. */
static int writer_put_meta(sg_sgl_writer *w, const sg_profile *p)
{
    const sg_meta *m = &p->meta;
    if (w->meta_sent && meta_equal(m, &w->meta_last))
        return SG_PROFILE_OK;
    uint32_t text[] = {m->command, m->python_version, m->host, m->spyglass_version};
    for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
        if (text[i] >= p->strings.count)
            return writer_fail(w, SG_PROFILE_EINVAL, "metadata names a missing string");
    sg_bytes_put_varint(&w->rec, 12);
    put_meta_pair(&w->rec, SG_SGL_META_COMMAND, m->command);
    put_meta_pair(&w->rec, SG_SGL_META_PYTHON_VERSION, m->python_version);
    put_meta_pair(&w->rec, SG_SGL_META_HOST, m->host);
    put_meta_pair(&w->rec, SG_SGL_META_SPYGLASS_VERSION, m->spyglass_version);
    put_meta_pair(&w->rec, SG_SGL_META_PID, m->pid);
    put_meta_pair(&w->rec, SG_SGL_META_START_UNIX_NS, m->start_unix_ns);
    put_meta_pair(&w->rec, SG_SGL_META_INTERVAL_NS, m->interval_ns);
    put_meta_pair(&w->rec, SG_SGL_META_MODE, m->mode);
    put_meta_pair(&w->rec, SG_SGL_META_WEIGHT_UNIT, m->weight_unit);
    put_meta_pair(&w->rec, SG_SGL_META_HAS_STACKS, m->has_stacks ? 1 : 0);
    put_meta_pair(&w->rec, SG_SGL_META_DURATION_NS, m->duration_ns);
    put_meta_pair(&w->rec, SG_SGL_META_SAMPLES_MISSED, m->samples_missed);
    int rc = writer_end_record(w, SG_SGL_REC_META);
    if (rc == 0) {
        w->meta_sent = true;
        w->meta_last = *m;
    }
    return rc;
}

/*
 * One CALLSTATS record per batch of new function and edge rows (at most
 * SG_SGL_RECORD_MAX_ROWS of each), as columns: the keys, then each number.
 */
static int writer_put_callstats(sg_sgl_writer *w, const sg_profile *p)
{
    const sg_callstats *c = &p->callstats;
    while (w->callstat_funcs_sent < c->func_count || w->callstat_edges_sent < c->edge_count) {
        uint32_t f0 = w->callstat_funcs_sent, e0 = w->callstat_edges_sent;
        uint32_t nf = c->func_count - f0 > SG_SGL_RECORD_MAX_ROWS ? SG_SGL_RECORD_MAX_ROWS
                                                                  : c->func_count - f0;
        uint32_t ne = c->edge_count - e0 > SG_SGL_RECORD_MAX_ROWS ? SG_SGL_RECORD_MAX_ROWS
                                                                  : c->edge_count - e0;
        for (uint32_t i = f0; i < f0 + nf; i++)
            if (c->funcs[i].frame >= p->frames.count || !sg_call_numbers_valid(&c->funcs[i].n, 0))
                return writer_fail(w, SG_PROFILE_EINVAL,
                                   "call statistics of function row %u are bad", i);
        for (uint32_t i = e0; i < e0 + ne; i++) {
            const sg_callstats_edge *e = &c->edges[i];
            if (e->caller >= p->frames.count || e->callee >= p->frames.count ||
                !sg_call_numbers_valid(&e->n, e->flags))
                return writer_fail(w, SG_PROFILE_EINVAL, "call statistics of edge row %u are bad",
                                   i);
        }
        sg_bytes_out *r = &w->rec;
        sg_bytes_put_varint(r, f0);
        sg_bytes_put_varint(r, nf);
        sg_bytes_put_varint(r, e0);
        sg_bytes_put_varint(r, ne);
        for (uint32_t i = f0; i < f0 + nf; i++)
            sg_bytes_put_varint(r, c->funcs[i].frame);
        for (uint32_t i = f0; i < f0 + nf; i++)
            sg_bytes_put_varint(r, c->funcs[i].n.cc);
        for (uint32_t i = f0; i < f0 + nf; i++)
            sg_bytes_put_varint(r, c->funcs[i].n.nc);
        for (uint32_t i = f0; i < f0 + nf; i++)
            sg_bytes_put_varint(r, c->funcs[i].n.tt_ns);
        for (uint32_t i = f0; i < f0 + nf; i++)
            sg_bytes_put_varint(r, c->funcs[i].n.ct_ns);
        for (uint32_t i = e0; i < e0 + ne; i++)
            sg_bytes_put_varint(r, c->edges[i].caller);
        for (uint32_t i = e0; i < e0 + ne; i++)
            sg_bytes_put_varint(r, c->edges[i].callee);
        for (uint32_t i = e0; i < e0 + ne; i++)
            sg_bytes_put_u8(r, (uint8_t)c->edges[i].flags);
        for (uint32_t i = e0; i < e0 + ne; i++)
            sg_bytes_put_varint(r, c->edges[i].n.cc);
        for (uint32_t i = e0; i < e0 + ne; i++)
            sg_bytes_put_varint(r, c->edges[i].n.nc);
        for (uint32_t i = e0; i < e0 + ne; i++)
            sg_bytes_put_varint(r, c->edges[i].n.tt_ns);
        for (uint32_t i = e0; i < e0 + ne; i++)
            sg_bytes_put_varint(r, c->edges[i].n.ct_ns);
        int rc = writer_end_record(w, SG_SGL_REC_CALLSTATS);
        if (rc != 0)
            return rc;
        w->callstat_funcs_sent = f0 + nf;
        w->callstat_edges_sent = e0 + ne;
    }
    return SG_PROFILE_OK;
}

/* The zigzag delta, in stored units, from the previous time. Samples of one
 * sweep share a time, so the division is skipped when the time repeats. */
static inline uint64_t time_delta(time_state *prev, uint64_t t, uint64_t unit)
{
    if (t == prev->last_ns)
        return 0;
    uint64_t units = unit == 1 ? t : t / unit;
    int64_t delta = (int64_t)(units - prev->last_units);
    prev->last_ns = t;
    prev->last_units = units;
    return sg_zigzag(delta);
}

static int writer_put_events(sg_sgl_writer *w, const sg_profile *p)
{
    const sg_events *e = &p->events;
    while (w->events_sent < e->count) {
        size_t first = w->events_sent;
        size_t n =
            e->count - first > SG_SGL_RECORD_MAX_ROWS ? SG_SGL_RECORD_MAX_ROWS : e->count - first;
        for (size_t i = first; i < first + n; i++)
            if (e->kind[i] == 0 || e->kind[i] > SG_EVENT_KIND_MAX ||
                (e->thread[i] != SG_THREAD_NONE && e->thread[i] >= p->threads.count) ||
                e->label[i] >= p->strings.count)
                return writer_fail(w, SG_PROFILE_EINVAL, "event %zu has a bad reference", i);
        time_state prev = w->event_time;
        sg_bytes_put_varint(&w->rec, first);
        sg_bytes_put_varint(&w->rec, n);
        sg_bytes_put_varint(&w->rec, w->time_unit);
        for (size_t i = first; i < first + n; i++)
            sg_bytes_put_varint(&w->rec, time_delta(&prev, e->time_ns[i], w->time_unit));
        for (size_t i = first; i < first + n; i++)
            sg_bytes_put_u8(&w->rec, e->kind[i]);
        for (size_t i = first; i < first + n; i++)
            sg_bytes_put_varint(&w->rec,
                                e->thread[i] == SG_THREAD_NONE ? 0 : (uint64_t)e->thread[i] + 1);
        for (size_t i = first; i < first + n; i++)
            sg_bytes_put_varint(&w->rec, e->label[i]);
        int rc = writer_end_record(w, SG_SGL_REC_EVENTS);
        if (rc != 0)
            return rc;
        w->event_time = prev;
        w->events_sent = first + n;
    }
    return SG_PROFILE_OK;
}

/*
 * One SAMPLES record: five columns, each chosen so a steady workload
 * encodes to runs of equal bytes that zstd then removes:
 *   time   zigzag delta from the previous sample (0 for threads sampled
 *          in the same sweep);
 *   thread index;
 *   stack  zigzag delta from the same thread's previous stack (0 when a
 *          thread is still where it was);
 *   flags  xor with the same thread's previous flags (0 when unchanged);
 *   weight as runs of (count, weight).
 */
static int writer_put_sample_record(sg_sgl_writer *w, const sg_profile *p, size_t first, size_t n)
{
    const sg_samples *s = &p->samples;
    for (size_t i = first; i < first + n; i++)
        if (s->thread[i] >= p->threads.count ||
            (s->stack[i] != SG_STACK_NONE && s->stack[i] >= p->stacks.count))
            return writer_fail(w, SG_PROFILE_EINVAL, "sample %zu has a bad reference", i);
    sg_bytes_out *r = &w->rec;
    sg_bytes_put_varint(r, first);
    sg_bytes_put_varint(r, n);
    sg_bytes_put_varint(r, w->time_unit);
    if (sg_bytes_reserve(r, n * 10 * 3 + n) != 0)
        return writer_fail(w, r->failed, "encoding samples: %s", sg_profile_strerror(r->failed));
    time_state prev = w->sample_time;
    for (size_t i = first; i < first + n; i++)
        sg_bytes_put_varint_unchecked(r, time_delta(&prev, s->time_ns[i], w->time_unit));
    for (size_t i = first; i < first + n; i++)
        sg_bytes_put_varint_unchecked(r, s->thread[i]);
    for (size_t i = first; i < first + n; i++) {
        uint32_t t = s->thread[i];
        uint32_t code = s->stack[i] == SG_STACK_NONE ? 0 : s->stack[i] + 1;
        sg_bytes_put_varint_unchecked(r, sg_zigzag((int64_t)code - (int64_t)w->prev_stack_code[t]));
        w->prev_stack_code[t] = code;
    }
    for (size_t i = first; i < first + n; i++) {
        uint32_t t = s->thread[i];
        r->data[r->len++] = s->flags[i] ^ w->prev_flags[t];
        w->prev_flags[t] = s->flags[i];
    }
    for (size_t i = first; i < first + n;) {
        size_t run = 1;
        while (i + run < first + n && s->weight[i + run] == s->weight[i])
            run++;
        sg_bytes_put_varint(r, run);
        sg_bytes_put_varint(r, s->weight[i]);
        i += run;
    }
    w->sample_time = prev;
    return writer_end_record(w, SG_SGL_REC_SAMPLES);
}

static int writer_put_samples(sg_sgl_writer *w, const sg_profile *p)
{
    while (w->samples_sent < p->samples.count) {
        size_t first = w->samples_sent, left = p->samples.count - first;
        size_t n = left > SG_SGL_RECORD_MAX_ROWS ? SG_SGL_RECORD_MAX_ROWS : left;
        int rc = writer_put_sample_record(w, p, first, n);
        if (rc != 0)
            return rc;
        w->samples_sent = first + n;
    }
    return SG_PROFILE_OK;
}

/* Encode every row added since the last call into `raw` (cutting chunks
 * as it fills); the caller emits what is left. */
static int writer_encode_new_rows(sg_sgl_writer *w, const sg_profile *p)
{
    if (w->broken)
        return SG_PROFILE_EIO;
    if (p->strings.count < w->strings_sent || p->frames.count < w->frames_sent ||
        p->stacks.count < w->stacks_sent || p->threads.count < w->threads_sent ||
        p->samples.count < w->samples_sent || p->events.count < w->events_sent ||
        p->sources.count < w->sources_sent || p->callstats.func_count < w->callstat_funcs_sent ||
        p->callstats.edge_count < w->callstat_edges_sent)
        return writer_fail(w, SG_PROFILE_EINVAL, "the profile lost rows since the last flush");
    int rc;
    if ((rc = writer_put_strings(w, &p->strings)) != 0 || (rc = writer_put_frames(w, p)) != 0 ||
        (rc = writer_put_stacks(w, p)) != 0 || (rc = writer_put_threads(w, p)) != 0 ||
        (rc = writer_put_sources(w, p)) != 0 || (rc = writer_put_meta(w, p)) != 0 ||
        (rc = writer_put_callstats(w, p)) != 0 || (rc = writer_put_events(w, p)) != 0 ||
        (rc = writer_put_samples(w, p)) != 0)
        return rc;
    return SG_PROFILE_OK;
}

static int writer_sync(sg_sgl_writer *w)
{
    if (w->fsync && fsync(w->fd) != 0 && errno != EINVAL)
        return writer_fail(w, SG_PROFILE_EIO, "fsync failed: %s", strerror(errno));
    return SG_PROFILE_OK;
}

int sg_sgl_writer_flush(sg_sgl_writer *w, const sg_profile *p)
{
    int rc = writer_encode_new_rows(w, p);
    if (rc == 0)
        rc = writer_emit_chunk(w, false);
    if (rc == 0)
        rc = writer_sync(w);
    return rc;
}

static int writer_setup(sg_sgl_writer *w, const sg_sgl_writer_options *opts)
{
    w->zstd_level = 3;
    w->time_unit = 1000;
    w->strings_sent = 1; /* string 0 is always "": every reader has it already */
    if (opts != NULL) {
        if (opts->zstd_level != 0)
            w->zstd_level = opts->zstd_level;
        if (opts->time_resolution_ns != 0)
            w->time_unit = opts->time_resolution_ns;
        w->fsync = opts->fsync;
        w->no_sources = opts->no_sources;
    }
    /* Levels above 19 use windows larger than readers accept
     * (SG_SGL_ZSTD_WINDOW_LOG). */
    if (w->zstd_level > 19)
        w->zstd_level = 19;
    if (w->time_unit > INT64_MAX)
        return writer_fail(w, SG_PROFILE_EINVAL, "time resolution out of range");
    w->cctx = ZSTD_createCCtx();
    if (w->cctx == NULL)
        return writer_fail(w, SG_PROFILE_ENOMEM, "zstd: out of memory");
    /* The level's own window (2 MiB at level 3, at most 8 MiB up to 19) is
     * what a reader must allocate to decode the stream. */
    size_t z = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, w->zstd_level);
    if (ZSTD_isError(z))
        return writer_fail(w, SG_PROFILE_EINVAL, "zstd: %s", ZSTD_getErrorName(z));
    unsigned char header[SG_SGL_FILE_HEADER_SIZE];
    memcpy(header, SG_SGL_MAGIC, SG_SGL_MAGIC_LEN);
    sg_store_le16(header + 8, SG_SGL_VERSION);
    sg_store_le16(header + 10, 0);
    sg_store_le32(header + 12, sg_crc32c(header, 12));
    return write_all(w, header, sizeof header);
}

static void writer_free(sg_sgl_writer *w)
{
    if (w->own_fd && w->fd >= 0)
        close(w->fd);
    ZSTD_freeCCtx(w->cctx);
    sg_bytes_free(&w->raw);
    sg_bytes_free(&w->rec);
    sg_bytes_free(&w->out);
    free(w->prev_stack_code);
    free(w->prev_flags);
    free(w);
}

int sg_sgl_writer_open_fd(int fd, const sg_sgl_writer_options *opts, sg_sgl_writer **out, char *err,
                          size_t errlen)
{
    *out = NULL;
    sg_sgl_writer *w = calloc(1, sizeof *w);
    if (w == NULL) {
        copy_error(err, errlen, "out of memory");
        return SG_PROFILE_ENOMEM;
    }
    w->fd = fd;
    int rc = writer_setup(w, opts);
    if (rc != 0) {
        copy_error(err, errlen, w->error);
        writer_free(w);
        return rc;
    }
    *out = w;
    return SG_PROFILE_OK;
}

int sg_sgl_writer_open(const char *path, const sg_sgl_writer_options *opts, sg_sgl_writer **out,
                       char *err, size_t errlen)
{
    *out = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return SG_PROFILE_EIO;
    }
    int rc = sg_sgl_writer_open_fd(fd, opts, out, err, errlen);
    if (rc != 0) {
        close(fd);
        return rc;
    }
    (*out)->own_fd = true;
    return SG_PROFILE_OK;
}

int sg_sgl_writer_close(sg_sgl_writer *w, const sg_profile *p, char *err, size_t errlen)
{
    if (w == NULL)
        return SG_PROFILE_OK;
    int rc = w->broken ? SG_PROFILE_EIO : SG_PROFILE_OK;
    if (rc == 0 && p != NULL) {
        /* The last rows, the final metadata and the end record share one
         * chunk, which also ends the zstd frame. */
        rc = writer_encode_new_rows(w, p);
        if (rc == 0) {
            sg_bytes_put_varint(&w->rec, p->samples.count);
            sg_bytes_put_varint(&w->rec, p->events.count);
            rc = writer_end_record(w, SG_SGL_REC_END);
        }
        if (rc == 0)
            rc = writer_emit_chunk(w, true);
        if (rc == 0)
            rc = writer_sync(w);
    }
    if (w->own_fd && w->fd >= 0) {
        int fd = w->fd;
        w->fd = -1;
        if (close(fd) != 0 && rc == 0)
            rc = writer_fail(w, SG_PROFILE_EIO, "close failed: %s", strerror(errno));
    }
    if (rc != 0)
        copy_error(err, errlen, w->error);
    writer_free(w);
    return rc;
}

const char *sg_sgl_writer_error(const sg_sgl_writer *w)
{
    return w->error;
}

uint64_t sg_sgl_writer_bytes(const sg_sgl_writer *w)
{
    return w->bytes_written;
}
