/*
 * sgl_scan.c — the upload's cheap look at an .sgl file (sgl_scan.h).
 *
 * The chunk walk follows docs/format.md's "Reading a chunk" steps in the
 * same order as src/profile/sgl_reader.c, so a file the scan accepts has
 * the framing the reader accepts, and one it rejects is rejected for the
 * same reason. State: the strings read so far (texts for META), the sample
 * and event counts (each record's first row must continue them), the
 * running sample time and its extremes.
 */
#include "serve/sgl_scan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "profile/bytes.h"
#include "profile/crc32c.h"
#include "profile/sgl_format.h"

typedef struct scan {
    ZSTD_DCtx *dctx;
    unsigned char *raw;
    size_t raw_cap;
    /* strings: id → [offset, offset + length) of text */
    char *text;
    size_t text_len, text_cap;
    uint64_t *str_off; /* per id: offset << 24 | length (strings are < 16 MiB) */
    uint32_t nstrings, str_cap;
    /* meta */
    uint32_t command, python, host;
    uint64_t duration_ns;
    bool has_stacks, has_callstats, ended;
    /* tables */
    uint64_t samples, events, callstat_funcs, callstat_edges, own_time_ns;
    uint64_t t, t_lo, t_hi;
    size_t chunk_off; /* where the current chunk starts, for messages */
    char *err;
    size_t errlen;
} scan;

static int fail(scan *s, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(scan *s, size_t off, const char *fmt, ...)
{
    int n = snprintf(s->err, s->errlen, "byte %zu: ", off);
    if (n >= 0 && (size_t)n < s->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->err + n, s->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (q == NULL)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

static int rec_strings(scan *s, sg_bytes_in *b)
{
    uint64_t first = sg_bytes_get_varint(b), n = sg_bytes_get_varint(b);
    if (b->failed || first != (uint64_t)s->nstrings + 1 || n > sg_bytes_left(b))
        return fail(s, s->chunk_off, "STRINGS record: bad first id or count");
    for (uint64_t i = 0; i < n; i++) {
        uint64_t len = sg_bytes_get_varint(b);
        const unsigned char *p = len <= SG_SGL_MAX_STRING ? sg_bytes_get_span(b, len) : NULL;
        if (p == NULL)
            return fail(s, s->chunk_off, "STRINGS record: a string runs past its record");
        size_t cap32 = s->str_cap;
        if (grow((void **)&s->str_off, &cap32, (size_t)s->nstrings + 2, 8) != 0 ||
            grow((void **)&s->text, &s->text_cap, s->text_len + len + 1, 1) != 0)
            return fail(s, s->chunk_off, "out of memory");
        if (cap32 > UINT32_MAX)
            return fail(s, s->chunk_off, "too many strings");
        s->str_cap = (uint32_t)cap32;
        memcpy(s->text + s->text_len, p, len);
        s->text[s->text_len + len] = '\0';
        s->str_off[++s->nstrings] = (uint64_t)s->text_len << 24 | len;
        s->text_len += len + 1;
    }
    return 0;
}

static int rec_meta(scan *s, sg_bytes_in *b)
{
    uint64_t n = sg_bytes_get_varint(b);
    if (b->failed || n > sg_bytes_left(b))
        return fail(s, s->chunk_off, "META record: bad count");
    for (uint64_t i = 0; i < n; i++) {
        uint64_t key = sg_bytes_get_varint(b), v = sg_bytes_get_varint(b);
        if (b->failed)
            return fail(s, s->chunk_off, "META record: ends inside a pair");
        bool text = key == 1 || key == 2 || key == 3;
        if (text && v > s->nstrings)
            return fail(s, s->chunk_off, "META record: key %llu names string %llu, not read yet",
                        (unsigned long long)key, (unsigned long long)v);
        if ((key == 8 && v > 2) || (key == 9 && v > 2) || (key == 10 && v > 1))
            return fail(s, s->chunk_off, "META record: key %llu has the value %llu, out of range",
                        (unsigned long long)key, (unsigned long long)v);
        if (key == 1)
            s->command = (uint32_t)v;
        else if (key == 2)
            s->python = (uint32_t)v;
        else if (key == 3)
            s->host = (uint32_t)v;
        else if (key == 10)
            s->has_stacks = v == 1;
        else if (key == 11)
            s->duration_ns = v;
    }
    return 0;
}

static int rec_samples(scan *s, sg_bytes_in *b)
{
    uint64_t first = sg_bytes_get_varint(b), n = sg_bytes_get_varint(b),
             unit = sg_bytes_get_varint(b);
    if (b->failed || first != s->samples || n > sg_bytes_left(b) || unit == 0 ||
        unit >= (1ull << 63))
        return fail(s, s->chunk_off, "SAMPLES record: bad first index, count or time unit");
    uint64_t t = s->t, lo = s->t_lo, hi = s->t_hi;
    for (uint64_t i = 0; i < n; i++) {
        t += (uint64_t)sg_unzigzag(sg_bytes_get_varint(b)) * unit;
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
    }
    if (b->failed)
        return fail(s, s->chunk_off, "SAMPLES record: ends inside its times");
    s->t = t, s->t_lo = lo, s->t_hi = hi;
    s->samples += n;
    b->pos = b->len; /* the other columns are the reader's to check */
    return 0;
}

static int rec_events(scan *s, sg_bytes_in *b)
{
    uint64_t first = sg_bytes_get_varint(b), n = sg_bytes_get_varint(b);
    if (b->failed || first != s->events || n > sg_bytes_left(b))
        return fail(s, s->chunk_off, "EVENTS record: bad first index or count");
    s->events += n;
    b->pos = b->len;
    return 0;
}

/* Skip n varints; their sum when sum != NULL. */
static void skip_column(sg_bytes_in *b, uint64_t n, uint64_t *sum)
{
    for (uint64_t i = 0; i < n && !b->failed; i++) {
        uint64_t v = sg_bytes_get_varint(b);
        if (sum != NULL)
            *sum += v;
    }
}

static int rec_callstats(scan *s, sg_bytes_in *b)
{
    uint64_t ff = sg_bytes_get_varint(b), nf = sg_bytes_get_varint(b), fe = sg_bytes_get_varint(b),
             ne = sg_bytes_get_varint(b);
    if (b->failed || ff != s->callstat_funcs || fe != s->callstat_edges || nf > sg_bytes_left(b) ||
        ne > sg_bytes_left(b) || 5 * nf + 7 * ne > sg_bytes_left(b))
        return fail(s, s->chunk_off, "CALLSTATS record: bad first rows or counts");
    skip_column(b, 3 * nf, NULL); /* frame, cc, nc */
    skip_column(b, nf, &s->own_time_ns);
    if (b->failed)
        return fail(s, s->chunk_off, "CALLSTATS record: ends inside its function rows");
    s->callstat_funcs += nf;
    s->callstat_edges += ne;
    s->has_callstats |= nf + ne > 0;
    b->pos = b->len;
    return 0;
}

static int rec_end(scan *s, sg_bytes_in *b)
{
    uint64_t ns = sg_bytes_get_varint(b), ne = sg_bytes_get_varint(b);
    if (b->failed)
        return fail(s, s->chunk_off, "END record: truncated");
    if (ns != s->samples || ne != s->events)
        return fail(s, s->chunk_off,
                    "END record: says %llu samples and %llu events, the file has %llu and %llu",
                    (unsigned long long)ns, (unsigned long long)ne, (unsigned long long)s->samples,
                    (unsigned long long)s->events);
    s->ended = true;
    return 0;
}

static int records(scan *s, const unsigned char *raw, size_t len)
{
    sg_bytes_in in = sg_bytes_in_make(raw, len);
    while (sg_bytes_left(&in) > 0) {
        if (s->ended)
            return fail(s, s->chunk_off, "a record follows the end record");
        uint8_t type = sg_bytes_get_u8(&in);
        uint64_t blen = sg_bytes_get_varint(&in);
        const unsigned char *body = in.failed ? NULL : sg_bytes_get_span(&in, blen);
        if (body == NULL)
            return fail(s, s->chunk_off, "a record runs past the end of its chunk");
        sg_bytes_in b = sg_bytes_in_make(body, blen);
        int rc = 0;
        switch (type) {
        case SG_SGL_REC_STRINGS:
            rc = rec_strings(s, &b);
            break;
        case SG_SGL_REC_META:
            rc = rec_meta(s, &b);
            break;
        case SG_SGL_REC_SAMPLES:
            rc = rec_samples(s, &b);
            break;
        case SG_SGL_REC_EVENTS:
            rc = rec_events(s, &b);
            break;
        case SG_SGL_REC_CALLSTATS:
            rc = rec_callstats(s, &b);
            break;
        case SG_SGL_REC_END:
            rc = rec_end(s, &b);
            break;
        case SG_SGL_REC_FRAMES:
        case SG_SGL_REC_STACKS:
        case SG_SGL_REC_THREADS:
        case SG_SGL_REC_SOURCE:
            b.pos = b.len; /* the reader checks these when it loads the profile */
            break;
        default:
            if (type < SG_SGL_REC_OPTIONAL_MIN || type > SG_SGL_REC_OPTIONAL_MAX)
                return fail(s, s->chunk_off, "unknown record type 0x%02x", type);
            b.pos = b.len;
        }
        if (rc != 0)
            return rc;
        if (sg_bytes_left(&b) != 0)
            return fail(s, s->chunk_off, "%zu bytes left over at the end of a record",
                        sg_bytes_left(&b));
    }
    return 0;
}

/* Decompress one payload, which must yield exactly raw_len bytes (the
 * buffer grows as output arrives, so a lying size costs no memory). */
static int decompress(scan *s, const unsigned char *payload, size_t len, size_t raw_len)
{
    ZSTD_inBuffer in = {payload, len, 0};
    size_t produced = 0, limit = raw_len + 1;
    for (;;) {
        if (produced == s->raw_cap && s->raw_cap < limit) {
            size_t cap = s->raw_cap ? s->raw_cap * 2 : 65536;
            cap = cap < limit ? cap : limit;
            unsigned char *r = realloc(s->raw, cap);
            if (r == NULL)
                return fail(s, s->chunk_off, "out of memory");
            s->raw = r;
            s->raw_cap = cap;
        }
        ZSTD_outBuffer out = {s->raw, s->raw_cap < limit ? s->raw_cap : limit, produced};
        size_t in_before = in.pos;
        size_t z = ZSTD_decompressStream(s->dctx, &out, &in);
        if (ZSTD_isError(z))
            return fail(s, s->chunk_off, "the chunk does not decompress (zstd: %s)",
                        ZSTD_getErrorName(z));
        if (out.pos > raw_len)
            return fail(s, s->chunk_off,
                        "the chunk decompresses to more than the %zu bytes its header says",
                        raw_len);
        bool progress = out.pos != produced || in.pos != in_before;
        produced = out.pos;
        if (in.pos == in.size && out.pos < out.size)
            break;
        if (!progress && out.pos < out.size)
            return fail(s, s->chunk_off, "the chunk's compressed data stalls");
    }
    if (produced != raw_len)
        return fail(s, s->chunk_off, "the chunk decompresses to %zu bytes, but its header says %zu",
                    produced, raw_len);
    return 0;
}

static bool all_zero(const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != 0)
            return false;
    return true;
}

static int header(scan *s, const unsigned char *d, size_t len)
{
    if (len == 0)
        return fail(s, 0, "the file is empty");
    if (memcmp(d, SG_SGL_MAGIC, len < SG_SGL_MAGIC_LEN ? len : SG_SGL_MAGIC_LEN) != 0)
        return fail(s, 0, "not a spyglass .sgl file (wrong magic)");
    if (len < SG_SGL_FILE_HEADER_SIZE)
        return fail(s, len, "the file ends inside its %d-byte header (truncated)",
                    SG_SGL_FILE_HEADER_SIZE);
    if (sg_load_le32(d + 12) != sg_crc32c(d, 12))
        return fail(s, 12, "file header checksum mismatch");
    if (sg_load_le16(d + 8) != SG_SGL_VERSION)
        return fail(s, 8, "format version %u is not supported (this server knows version %d)",
                    sg_load_le16(d + 8), SG_SGL_VERSION);
    if (sg_load_le16(d + 10) != 0)
        return fail(s, 10, "unknown file flags 0x%04x", sg_load_le16(d + 10));
    return 0;
}

static int chunks(scan *s, const unsigned char *d, size_t len, sg_sgl_summary *out)
{
    size_t off = SG_SGL_FILE_HEADER_SIZE;
    while (off < len) {
        const unsigned char *h = d + off;
        size_t left = len - off;
        s->chunk_off = off;
        if (all_zero(h, left))
            break; /* torn tail: zeros where the last write did not land */
        if (left < SG_SGL_CHUNK_HEADER_SIZE) {
            if (memcmp(h, SG_SGL_CHUNK_MAGIC, left < 4 ? left : 4) != 0)
                return fail(s, off, "not a chunk (wrong magic)");
            break; /* torn tail: the start of a chunk header */
        }
        if (memcmp(h, SG_SGL_CHUNK_MAGIC, 4) != 0)
            return fail(s, off, "not a chunk (wrong magic)");
        if (sg_load_le32(h + 16) != sg_crc32c(h, 16))
            return fail(s, off, "chunk header checksum mismatch");
        size_t clen = sg_load_le32(h + 4), rlen = sg_load_le32(h + 8);
        if (rlen > SG_SGL_MAX_CHUNK_RAW)
            return fail(s, off, "chunk of %zu raw bytes is larger than the limit (%u)", rlen,
                        SG_SGL_MAX_CHUNK_RAW);
        if (clen > left - SG_SGL_CHUNK_HEADER_SIZE)
            break; /* torn tail: the payload did not all land */
        const unsigned char *payload = h + SG_SGL_CHUNK_HEADER_SIZE;
        if (sg_load_le32(h + 12) != sg_crc32c(payload, clen))
            return fail(s, off, "chunk payload checksum mismatch");
        if (s->ended)
            return fail(s, off, "a chunk follows the end record");
        if (decompress(s, payload, clen, rlen) != 0 || records(s, s->raw, rlen) != 0)
            return -1;
        out->chunks++;
        off += SG_SGL_CHUNK_HEADER_SIZE + clen;
    }
    out->truncated = off < len;
    return 0;
}

static char *text_of(const scan *s, uint32_t id)
{
    if (id == 0 || id > s->nstrings)
        return strdup("");
    uint64_t o = s->str_off[id];
    return strndup(s->text + (o >> 24), (size_t)(o & 0xffffff));
}

int sg_sgl_scan(const void *data, size_t len, sg_sgl_summary *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    scan s = {.err = err, .errlen = errlen, .has_stacks = true, .t_lo = UINT64_MAX};
    int rc = header(&s, data, len);
    if (rc == 0) {
        s.dctx = ZSTD_createDCtx();
        if (s.dctx == NULL || ZSTD_isError(ZSTD_DCtx_setParameter(s.dctx, ZSTD_d_windowLogMax,
                                                                  SG_SGL_ZSTD_WINDOW_LOG)))
            rc = fail(&s, 0, "out of memory");
        else
            rc = chunks(&s, data, len, out);
    }
    if (rc == 0) {
        out->samples = s.samples;
        out->duration_ns = s.duration_ns;
        if (out->duration_ns == 0 && s.samples > 0)
            out->duration_ns = s.t_hi - s.t_lo;
        if (out->duration_ns == 0 && s.has_callstats)
            out->duration_ns = s.own_time_ns;
        out->has_stacks = s.has_stacks && !s.has_callstats;
        out->host = text_of(&s, s.host);
        out->command = text_of(&s, s.command);
        out->python = text_of(&s, s.python);
        if (out->host == NULL || out->command == NULL || out->python == NULL)
            rc = fail(&s, 0, "out of memory");
    }
    ZSTD_freeDCtx(s.dctx);
    free(s.raw);
    free(s.text);
    free(s.str_off);
    if (rc != 0)
        sg_sgl_summary_free(out);
    return rc;
}

void sg_sgl_summary_free(sg_sgl_summary *s)
{
    free(s->host);
    free(s->command);
    free(s->python);
    memset(s, 0, sizeof *s);
}
