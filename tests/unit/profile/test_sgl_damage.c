/*
 * test_sgl_damage.c — the .sgl reader against bad input: a file cut at
 * every byte offset, every byte corrupted, foreign files, hand-made records
 * that lie (with valid checksums, so the decoder itself is exercised),
 * random mutations, and a recorder killed with SIGKILL mid-write.
 *
 * The rule under test: the reader either loads a profile that keeps every
 * invariant (a prefix of whole chunks, for a cut file) or fails with
 * SG_PROFILE_EFORMAT and a message naming an offset. It never crashes,
 * hangs or over-reads (run under ASan: every input buffer is allocated at
 * its exact length).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "fixtures.h"
#include "profile/bytes.h"
#include "profile/crc32c.h"
#include "profile/sgl.h"
#include "profile/sgl_format.h"

static const fx_shape tiny_shape = {
    .threads = 2,
    .functions = 8,
    .paths = 5,
    .max_depth = 6,
    .interval_ns = 10000000,
    .jitter_ns = 1000,
    .stay_percent = 60,
    .events = true,
    .sources = true,
    .callstats = true,
};

static const sg_sgl_writer_options exact = {.time_resolution_ns = 1};

/* Read `len` bytes copied into an exact-size buffer, so ASan sees any
 * over-read. */
static int read_exact(const unsigned char *data, size_t len, unsigned flags, sg_profile **out,
                      sg_sgl_read_info *info, char *err, size_t errlen)
{
    unsigned char *copy = malloc(len > 0 ? len : 1);
    assert_non_null(copy);
    if (len > 0)
        memcpy(copy, data, len);
    int rc = sg_sgl_read_buffer(copy, len, flags, out, info, err, errlen);
    free(copy);
    return rc;
}

/* A failure must be EFORMAT with a message that names an offset. */
static void expect_format_error(const unsigned char *data, size_t len, const char *needle)
{
    sg_profile *q = (sg_profile *)1;
    char err[512] = "";
    int rc = read_exact(data, len, 0, &q, NULL, err, sizeof err);
    if (rc != SG_PROFILE_EFORMAT)
        fail_msg("expected a format error (%s), got %d", needle ? needle : "", rc);
    assert_null(q);
    assert_non_null(strstr(err, "offset "));
    if (needle != NULL && strstr(err, needle) == NULL)
        fail_msg("message \"%s\" does not mention \"%s\"", err, needle);
}

/* ---- a small multi-chunk file and the state after each chunk ---------- */

enum { MAX_BOUNDARIES = 16 };

typedef struct small_file {
    unsigned char *data;
    size_t len;
    size_t boundaries; /* file offsets where a whole chunk ends (the first: the header) */
    size_t at[MAX_BOUNDARIES];
    size_t samples_at[MAX_BOUNDARIES];
    size_t events_at[MAX_BOUNDARIES];
    sg_profile *full;
    fx_workload w;
} small_file;

static void small_file_make(small_file *f)
{
    memset(f, 0, sizeof *f);
    fx_workload_init(&f->w, &tiny_shape, 5);
    char path[256], err[256];
    fx_temp_path(path, sizeof path, "small.sgl");
    sg_sgl_writer *sw;
    assert_int_equal(sg_sgl_writer_open(path, &exact, &sw, err, sizeof err), 0);
    f->at[f->boundaries++] = SG_SGL_FILE_HEADER_SIZE;
    for (int round = 0; round < 4; round++) {
        fx_add_sweeps(&f->w, 60);
        assert_int_equal(sg_sgl_writer_flush(sw, f->w.p), 0);
        f->samples_at[f->boundaries] = f->w.p->samples.count;
        f->events_at[f->boundaries] = f->w.p->events.count;
        f->at[f->boundaries++] = sg_sgl_writer_bytes(sw);
    }
    f->w.p->meta.duration_ns = f->w.now_ns;
    assert_int_equal(sg_sgl_writer_close(sw, f->w.p, err, sizeof err), 0);
    f->data = fx_read_file(path, &f->len);
    f->samples_at[f->boundaries] = f->w.p->samples.count;
    f->events_at[f->boundaries] = f->w.p->events.count;
    f->at[f->boundaries++] = f->len;
    f->full = f->w.p;
    unlink(path);
}

static void small_file_free(small_file *f)
{
    free(f->data);
    fx_workload_free(&f->w);
}

static void test_truncated_at_every_offset(void **state)
{
    (void)state;
    small_file f;
    small_file_make(&f);
    assert_true(f.len < 16384); /* keep this O(n^2) test quick */
    for (size_t len = 0; len <= f.len; len++) {
        if (len < SG_SGL_FILE_HEADER_SIZE) {
            expect_format_error(f.data, len, NULL);
            continue;
        }
        size_t k = 0; /* the last boundary at or before len */
        while (k + 1 < f.boundaries && f.at[k + 1] <= len)
            k++;
        sg_profile *q;
        sg_sgl_read_info info;
        char err[512];
        int rc = read_exact(f.data, len, 0, &q, &info, err, sizeof err);
        if (rc != 0)
            fail_msg("cut at %zu: %s", len, err);
        fx_assert_invariants(q);
        assert_int_equal(q->samples.count, f.samples_at[k]);
        assert_int_equal(q->events.count, f.events_at[k]);
        assert_int_equal(info.chunks, k);
        assert_int_equal(info.truncated, len != f.at[k]);
        if (info.truncated)
            assert_int_equal(info.truncated_at, f.at[k]);
        assert_int_equal(info.complete, len == f.len);
        if (len == f.len)
            fx_assert_profiles_equal(f.full, q);
        sg_profile_free(q);
        /* Strict mode refuses a torn tail, with its offset. */
        if (len != f.at[k]) {
            rc = read_exact(f.data, len, SG_SGL_READ_STRICT, &q, NULL, err, sizeof err);
            assert_int_equal(rc, SG_PROFILE_EFORMAT);
            assert_non_null(strstr(err, "truncated"));
        }
    }
    small_file_free(&f);
}

/* Zero bytes after the last chunk (a crash on a file system that extended
 * the file before the data landed) are a torn tail, not corruption. */
static void test_zero_filled_tail(void **state)
{
    (void)state;
    small_file f;
    small_file_make(&f);
    size_t cut = f.at[2];
    unsigned char *data = calloc(cut + 777, 1);
    memcpy(data, f.data, cut);
    sg_profile *q;
    sg_sgl_read_info info;
    char err[256];
    assert_int_equal(read_exact(data, cut + 777, 0, &q, &info, err, sizeof err), 0);
    assert_true(info.truncated);
    assert_int_equal(info.truncated_at, cut);
    assert_int_equal(q->samples.count, f.samples_at[2]);
    sg_profile_free(q);
    free(data);
    small_file_free(&f);
}

static void test_every_byte_corrupted(void **state)
{
    (void)state;
    small_file f;
    small_file_make(&f);
    unsigned char *data = malloc(f.len);
    for (size_t i = 0; i < f.len; i++) {
        for (int flip = 0; flip < 2; flip++) {
            memcpy(data, f.data, f.len);
            data[i] ^= flip == 0 ? 0x01 : 0xff;
            expect_format_error(data, f.len, NULL);
        }
    }
    /* Messages name what is wrong. */
    memcpy(data, f.data, f.len);
    data[f.at[1] + 30] ^= 1;
    expect_format_error(data, f.len, "offset");
    memcpy(data, f.data, f.len);
    data[f.at[1] + 30] ^= 1;
    expect_format_error(data, f.len, "payload checksum mismatch");
    memcpy(data, f.data, f.len);
    data[f.at[2] + 5] ^= 1;
    expect_format_error(data, f.len, "chunk header checksum mismatch");
    memcpy(data, f.data, f.len);
    data[f.at[2]] = 'X';
    expect_format_error(data, f.len, "wrong magic");
    free(data);
    small_file_free(&f);
}

static void test_foreign_files(void **state)
{
    (void)state;
    const char *texts[] = {
        "",
        "hello world\n",
        "main (app.py:1);work (app.py:9) 42\n",
        "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\"}",
        "\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        "\x1f\x8b\x08\0\0\0\0\0\0\x03",
        "\x28\xb5\x2f\xfd\x20\x00\x01\x00\x00",
        "\x89SGL\r\n\x1a", /* the magic, cut short */
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        size_t len = i == 4 ? 16 : i == 5 ? 10 : i == 6 ? 9 : strlen(texts[i]);
        expect_format_error((const unsigned char *)texts[i], len, NULL);
        assert_false(sg_sgl_detect(texts[i], len));
    }
    expect_format_error((const unsigned char *)"hello world, this is text", 25, "not a spyglass");

    /* A newer version, with a valid header checksum: named as such. */
    unsigned char header[SG_SGL_FILE_HEADER_SIZE];
    memcpy(header, SG_SGL_MAGIC, SG_SGL_MAGIC_LEN);
    sg_store_le16(header + 8, 2);
    sg_store_le16(header + 10, 0);
    sg_store_le32(header + 12, sg_crc32c(header, 12));
    assert_true(sg_sgl_detect(header, sizeof header));
    expect_format_error(header, sizeof header, "version 2 is not supported");
    sg_store_le16(header + 8, SG_SGL_VERSION);
    sg_store_le16(header + 10, 4);
    sg_store_le32(header + 12, sg_crc32c(header, 12));
    expect_format_error(header, sizeof header, "unknown file flags");
    sg_store_le16(header + 10, 0);
    expect_format_error(header, sizeof header, "header checksum mismatch");
    sg_store_le32(header + 12, sg_crc32c(header, 12));
    sg_profile *q;
    sg_sgl_read_info info;
    assert_int_equal(read_exact(header, sizeof header, 0, &q, &info, NULL, 0), 0);
    assert_int_equal(q->samples.count, 0);
    assert_false(info.complete);
    sg_profile_free(q);
}

/* ---- hand-made files: records that lie, under valid checksums --------- */

/* Raw (decompressed) chunk contents, packed into a file with a fresh zstd
 * stream and correct checksums. raw_size_override (if not 0) lies about
 * a chunk's raw size. */
typedef struct raw_chunks {
    size_t n;
    sg_bytes_out chunk[64];
} raw_chunks;

static unsigned char *pack_chunks(const raw_chunks *c, size_t *len_out, uint32_t raw_size_lie)
{
    sg_bytes_out file = {0};
    unsigned char header[SG_SGL_FILE_HEADER_SIZE];
    memcpy(header, SG_SGL_MAGIC, SG_SGL_MAGIC_LEN);
    sg_store_le16(header + 8, SG_SGL_VERSION);
    sg_store_le16(header + 10, 0);
    sg_store_le32(header + 12, sg_crc32c(header, 12));
    sg_bytes_put(&file, header, sizeof header);
    /* One context for the whole test run: creating one per file dominates
     * the fuzz loop's time under ASan. */
    static ZSTD_CCtx *cctx;
    if (cctx == NULL)
        cctx = ZSTD_createCCtx();
    assert_non_null(cctx);
    ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only);
    for (size_t i = 0; i < c->n; i++) {
        size_t cap = ZSTD_compressBound(c->chunk[i].len) + 1024;
        unsigned char *buf = malloc(SG_SGL_CHUNK_HEADER_SIZE + cap);
        ZSTD_inBuffer in = {c->chunk[i].data, c->chunk[i].len, 0};
        ZSTD_outBuffer out = {buf + SG_SGL_CHUNK_HEADER_SIZE, cap, 0};
        size_t left;
        do {
            left = ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_flush);
            assert_false(ZSTD_isError(left));
        } while (left != 0);
        memcpy(buf, SG_SGL_CHUNK_MAGIC, 4);
        sg_store_le32(buf + 4, (uint32_t)out.pos);
        sg_store_le32(buf + 8, raw_size_lie != 0 && i == c->n - 1 ? raw_size_lie
                                                                  : (uint32_t)c->chunk[i].len);
        sg_store_le32(buf + 12, sg_crc32c(buf + SG_SGL_CHUNK_HEADER_SIZE, out.pos));
        sg_store_le32(buf + 16, sg_crc32c(buf, 16));
        sg_bytes_put(&file, buf, SG_SGL_CHUNK_HEADER_SIZE + out.pos);
        free(buf);
    }
    assert_int_equal(file.failed, 0);
    *len_out = file.len;
    return file.data;
}

/* Split a valid file into its raw chunk contents. */
static void unpack_chunks(const unsigned char *data, size_t len, raw_chunks *c)
{
    memset(c, 0, sizeof *c);
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    size_t off = SG_SGL_FILE_HEADER_SIZE;
    while (off < len) {
        assert_true(c->n < 64);
        size_t clen = sg_load_le32(data + off + 4), rlen = sg_load_le32(data + off + 8);
        sg_bytes_out *raw = &c->chunk[c->n++];
        assert_int_equal(sg_bytes_reserve(raw, rlen + 1), 0);
        ZSTD_inBuffer in = {data + off + SG_SGL_CHUNK_HEADER_SIZE, clen, 0};
        ZSTD_outBuffer out = {raw->data, rlen, 0};
        while (in.pos < in.size || out.pos < rlen) {
            size_t z = ZSTD_decompressStream(dctx, &out, &in);
            assert_false(ZSTD_isError(z));
        }
        raw->len = rlen;
        off += SG_SGL_CHUNK_HEADER_SIZE + clen;
    }
    ZSTD_freeDCtx(dctx);
}

static void raw_chunks_free(raw_chunks *c)
{
    for (size_t i = 0; i < 64; i++)
        sg_bytes_free(&c->chunk[i]);
}

static void put_record(sg_bytes_out *chunk, uint8_t type, const sg_bytes_out *body)
{
    sg_bytes_put_u8(chunk, type);
    sg_bytes_put_varint(chunk, body->len);
    sg_bytes_put(chunk, body->data, body->len);
}

/* A valid base: strings "a.py", "f"; frame 0; stack 0; thread 0. */
static void put_base_records(sg_bytes_out *chunk)
{
    sg_bytes_out b = {0};
    sg_bytes_put_varint(&b, 1); /* first string id */
    sg_bytes_put_varint(&b, 2);
    sg_bytes_put_varint(&b, 4);
    sg_bytes_put(&b, "a.py", 4);
    sg_bytes_put_varint(&b, 1);
    sg_bytes_put(&b, "f", 1);
    put_record(chunk, SG_SGL_REC_STRINGS, &b);
    b.len = 0;
    uint64_t frame[] = {0, 1, 1, 2, 1};
    for (size_t i = 0; i < 5; i++)
        sg_bytes_put_varint(&b, frame[i]);
    put_record(chunk, SG_SGL_REC_FRAMES, &b);
    b.len = 0;
    uint64_t stack[] = {0, 1, 0, 0, 5}; /* first 0, n 1, root, frame 0, line 5 */
    for (size_t i = 0; i < 5; i++)
        sg_bytes_put_varint(&b, stack[i]);
    put_record(chunk, SG_SGL_REC_STACKS, &b);
    b.len = 0;
    uint64_t thread[] = {0, 1, 777, 2};
    for (size_t i = 0; i < 4; i++)
        sg_bytes_put_varint(&b, thread[i]);
    put_record(chunk, SG_SGL_REC_THREADS, &b);
    sg_bytes_free(&b);
}

/* Build base + one record of `type` with varint body `v`, read it, and
 * expect success (needle NULL) or a format error mentioning needle. */
static void expect_record(uint8_t type, const uint64_t *v, size_t nv, const char *needle)
{
    raw_chunks c = {0};
    c.n = 1;
    put_base_records(&c.chunk[0]);
    sg_bytes_out b = {0};
    for (size_t i = 0; i < nv; i++)
        sg_bytes_put_varint(&b, v[i]);
    put_record(&c.chunk[0], type, &b);
    sg_bytes_free(&b);
    size_t len;
    unsigned char *file = pack_chunks(&c, &len, 0);
    if (needle != NULL) {
        expect_format_error(file, len, needle);
    } else {
        sg_profile *q;
        char err[512];
        if (read_exact(file, len, 0, &q, NULL, err, sizeof err) != 0)
            fail_msg("expected success: %s", err);
        fx_assert_invariants(q);
        sg_profile_free(q);
    }
    free(file);
    raw_chunks_free(&c);
}

static void test_lying_records(void **state)
{
    (void)state;
    /* The base alone is valid. */
    expect_record(SG_SGL_REC_META, (uint64_t[]){0}, 1, NULL);
    /* samples: first 0, n 2, unit 1, times, threads, stacks, flags, weight runs */
    expect_record(SG_SGL_REC_SAMPLES, (uint64_t[]){0, 2, 1, 2, 2, 0, 0, 2, 0, 3, 0, 2, 1}, 13,
                  NULL);
    expect_record(SG_SGL_REC_SAMPLES, (uint64_t[]){0, 2, 1, 2, 2, 0, 1, 2, 0, 3, 0, 2, 1}, 13,
                  "names thread 1");
    expect_record(SG_SGL_REC_SAMPLES, (uint64_t[]){0, 2, 1, 2, 2, 0, 0, 4, 0, 3, 0, 2, 1}, 13,
                  "names stack 1");
    expect_record(SG_SGL_REC_SAMPLES, (uint64_t[]){0, 2, 1, 2, 2, 0, 0, 1, 0, 3, 0, 2, 1}, 13,
                  "below the empty stack");
    expect_record(SG_SGL_REC_SAMPLES, (uint64_t[]){0, 2, 1, 2, 2, 0, 0, 2, 0, 3, 0, 3, 1}, 13,
                  "weight run");
    expect_record(SG_SGL_REC_SAMPLES, (uint64_t[]){0, 2, 1, 2, 2, 0, 0, 2, 0, 3, 0, 1, 1}, 13,
                  "ends too early");
    expect_record(SG_SGL_REC_SAMPLES, (uint64_t[]){0, 2, 0, 2, 2, 0, 0, 2, 0, 3, 0, 2, 1}, 13,
                  "time unit");
    expect_record(SG_SGL_REC_SAMPLES, (uint64_t[]){5, 2, 1, 2, 2, 0, 0, 2, 0, 3, 0, 2, 1}, 13,
                  "starts at sample 5");
    expect_record(SG_SGL_REC_SAMPLES, (uint64_t[]){0, 4000000000u, 1, 2}, 4, "cannot fit");
    /* stacks: parent must come first, frame must exist */
    expect_record(SG_SGL_REC_STACKS, (uint64_t[]){1, 1, 5, 0, 1}, 5, "parent of stack 1");
    expect_record(SG_SGL_REC_STACKS, (uint64_t[]){1, 1, 1, 3, 1}, 5, "names frame 3");
    expect_record(SG_SGL_REC_STACKS, (uint64_t[]){1, 1, 1, 0, 1}, 5, NULL);
    expect_record(SG_SGL_REC_STACKS, (uint64_t[]){1, 1, 0, 0, 5}, 5, "repeats stack 0");
    expect_record(SG_SGL_REC_STACKS, (uint64_t[]){0, 1, 0, 0, 5}, 5, "starts at stack 0");
    /* frames and threads: strings must exist */
    expect_record(SG_SGL_REC_FRAMES, (uint64_t[]){1, 1, 9, 1, 1}, 5, "names string 9");
    expect_record(SG_SGL_REC_THREADS, (uint64_t[]){1, 1, 5, 9}, 4, "names string 9");
    expect_record(SG_SGL_REC_THREADS, (uint64_t[]){1, 1, 777, 2}, 4, "repeats thread 0");
    /* strings: a repeat, a length past the end, a huge length */
    expect_record(SG_SGL_REC_STRINGS, (uint64_t[]){3, 1, 0}, 3, "repeats string 0");
    expect_record(SG_SGL_REC_STRINGS, (uint64_t[]){3, 1, 50}, 3, "ends too early");
    expect_record(SG_SGL_REC_STRINGS, (uint64_t[]){3, 1, 1ull << 40}, 3, "longer than the limit");
    /* events */
    expect_record(SG_SGL_REC_EVENTS, (uint64_t[]){0, 1, 1, 0, 1, 1, 0}, 7, NULL);
    expect_record(SG_SGL_REC_EVENTS, (uint64_t[]){0, 1, 1, 0, 9, 1, 0}, 7, "unknown kind");
    expect_record(SG_SGL_REC_EVENTS, (uint64_t[]){0, 1, 1, 0, 1, 3, 0}, 7, "names thread 2");
    expect_record(SG_SGL_REC_EVENTS, (uint64_t[]){0, 1, 1, 0, 1, 0, 7}, 7, "names string 7");
    /* metadata */
    expect_record(SG_SGL_REC_META, (uint64_t[]){2, 1, 2, 99, 5}, 5, NULL); /* unknown key skipped */
    expect_record(SG_SGL_REC_META, (uint64_t[]){1, 1, 8}, 3, "names string 8");
    expect_record(SG_SGL_REC_META, (uint64_t[]){1, 8, 3}, 3, "unknown mode");
    expect_record(SG_SGL_REC_META, (uint64_t[]){1, 10, 2}, 3, "has-stacks");
    expect_record(SG_SGL_REC_META, (uint64_t[]){1000, 1}, 2, "cannot fit");
    /* sources */
    expect_record(SG_SGL_REC_SOURCE, (uint64_t[]){9, 0}, 2, "names string 9");
    expect_record(SG_SGL_REC_SOURCE, (uint64_t[]){1, 10}, 2, "ends too early");
    /* end: counts must match */
    expect_record(SG_SGL_REC_END, (uint64_t[]){0, 0}, 2, NULL);
    expect_record(SG_SGL_REC_END, (uint64_t[]){3, 0}, 2, "holds 3 samples");
    /* call statistics: first function row, count, first edge row, count,
     * function columns (frame, cc, nc, tt, ct), edge columns (caller,
     * callee, flags, cc, nc, tt, ct) */
    expect_record(SG_SGL_REC_CALLSTATS,
                  (uint64_t[]){0, 1, 0, 1, 0, 1, 2, 3, 4, 0, 0, 0, 5, 6, 7, 8}, 16, NULL);
    expect_record(SG_SGL_REC_CALLSTATS,
                  (uint64_t[]){0, 1, 0, 1, 0, 1, 2, 3, 4, 0, 0, 1, 0, 6, 0, 0}, 16, NULL);
    expect_record(SG_SGL_REC_CALLSTATS, (uint64_t[]){0, 0, 0, 0}, 4, NULL);
    expect_record(SG_SGL_REC_CALLSTATS, (uint64_t[]){0, 1, 0, 0, 1, 1, 2, 3, 4}, 9,
                  "function row 0 names frame 1");
    expect_record(SG_SGL_REC_CALLSTATS, (uint64_t[]){0, 0, 0, 1, 0, 3, 0, 5, 6, 7, 8}, 11,
                  "edge row 0 names frame 3");
    expect_record(SG_SGL_REC_CALLSTATS, (uint64_t[]){0, 0, 0, 1, 4, 0, 0, 5, 6, 7, 8}, 11,
                  "edge row 0 names frame 4");
    expect_record(SG_SGL_REC_CALLSTATS, (uint64_t[]){5, 1, 0, 0, 0, 1, 2, 3, 4}, 9,
                  "starts at function row 5");
    expect_record(SG_SGL_REC_CALLSTATS, (uint64_t[]){0, 0, 2, 1, 0, 0, 0, 5, 6, 7, 8}, 11,
                  "starts at edge row 2");
    expect_record(SG_SGL_REC_CALLSTATS, (uint64_t[]){0, 2, 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4}, 14,
                  "function row 1 repeats frame 0");
    expect_record(SG_SGL_REC_CALLSTATS,
                  (uint64_t[]){0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 5, 5, 6, 6, 7, 7, 8, 8}, 18,
                  "edge row 1 repeats the edge");
    expect_record(SG_SGL_REC_CALLSTATS, (uint64_t[]){0, 0, 0, 1, 0, 0, 2, 5, 6, 7, 8}, 11,
                  "unknown flags 0x02");
    expect_record(SG_SGL_REC_CALLSTATS, (uint64_t[]){0, 0, 0, 1, 0, 0, 1, 0, 6, 7, 0}, 11,
                  "count-only edge");
    expect_record(SG_SGL_REC_CALLSTATS, (uint64_t[]){0, 1, 0, 0, 0, 1, 2, (1ull << 62) + 1, 4}, 9,
                  "out of range");
    expect_record(SG_SGL_REC_CALLSTATS, (uint64_t[]){0, 1, 0, 0, 0, 1ull << 63, 2, 3, 4}, 9,
                  "out of range");
    expect_record(SG_SGL_REC_CALLSTATS, (uint64_t[]){0, 1000, 0, 0, 1}, 5, "cannot fit");
    expect_record(SG_SGL_REC_CALLSTATS, (uint64_t[]){0, 1, 0, 1, 0, 1, 2, 3, 4, 0, 0, 0, 5, 6}, 14,
                  "cannot fit");
    expect_record(SG_SGL_REC_CALLSTATS, (uint64_t[]){0, 1, 0, 0, 0, 1, 2, 300}, 8,
                  "ends too early"); /* 5 bytes of columns, but no ct */
    expect_record(SG_SGL_REC_CALLSTATS, (uint64_t[]){0, 1, 0, 0, 0, 1, 2, 3, 4, 9}, 10,
                  "left over");
    /* types: optional ones are skipped, others refused */
    expect_record(0x41, (uint64_t[]){1, 2, 3}, 3, NULL);
    expect_record(0x21, (uint64_t[]){1, 2, 3}, 3, "unknown record type 0x21");
    /* trailing bytes inside a record */
    expect_record(SG_SGL_REC_END, (uint64_t[]){0, 0, 0}, 3, "left over");
}

static void test_lying_chunks(void **state)
{
    (void)state;
    raw_chunks c = {0};
    c.n = 1;
    put_base_records(&c.chunk[0]);
    size_t len;
    /* A raw size bigger or smaller than the data. */
    unsigned char *file = pack_chunks(&c, &len, 1000000);
    expect_format_error(file, len, "decompresses to");
    free(file);
    file = pack_chunks(&c, &len, 3);
    expect_format_error(file, len, "more than the 3 bytes");
    free(file);
    file = pack_chunks(&c, &len, SG_SGL_MAX_CHUNK_RAW + 1);
    expect_format_error(file, len, "larger than the limit");
    free(file);
    /* A record whose length runs past the chunk. */
    sg_bytes_put_u8(&c.chunk[0], SG_SGL_REC_META);
    sg_bytes_put_varint(&c.chunk[0], 1000);
    file = pack_chunks(&c, &len, 0);
    expect_format_error(file, len, "runs past its end");
    free(file);
    raw_chunks_free(&c);
    /* Anything after the end record. */
    memset(&c, 0, sizeof c);
    c.n = 2;
    sg_bytes_out b = {0};
    sg_bytes_put_varint(&b, 0);
    sg_bytes_put_varint(&b, 0);
    put_record(&c.chunk[0], SG_SGL_REC_END, &b);
    put_base_records(&c.chunk[1]);
    file = pack_chunks(&c, &len, 0);
    expect_format_error(file, len, "follows the end record");
    free(file);
    put_base_records(&c.chunk[0]);
    c.n = 1;
    file = pack_chunks(&c, &len, 0);
    expect_format_error(file, len, "follows the end record");
    free(file);
    /* An over-long varint (11 bytes). */
    c.chunk[0].len = 0;
    sg_bytes_put_u8(&c.chunk[0], SG_SGL_REC_META);
    sg_bytes_put_u8(&c.chunk[0], 11);
    for (int i = 0; i < 11; i++)
        sg_bytes_put_u8(&c.chunk[0], 0xff);
    file = pack_chunks(&c, &len, 0);
    expect_format_error(file, len, "ends too early");
    free(file);
    sg_bytes_free(&b);
    raw_chunks_free(&c);
}

/* ---- random mutations ------------------------------------------------- */

static void mutate(fx_rng *rng, sg_bytes_out *b)
{
    unsigned ops = 1 + fx_below(rng, 4);
    for (unsigned k = 0; k < ops && b->len > 0; k++) {
        size_t at = fx_below(rng, (uint32_t)b->len);
        switch (fx_below(rng, 6)) {
        case 0: /* flip a bit */
            b->data[at] ^= (unsigned char)(1u << fx_below(rng, 8));
            break;
        case 1: /* a random byte */
            b->data[at] = (unsigned char)fx_next(rng);
            break;
        case 2: /* an interesting byte */
            b->data[at] = (unsigned char[]){0, 1, 0x7f, 0x80, 0xff}[fx_below(rng, 5)];
            break;
        case 3: /* cut */
            b->len = at;
            break;
        case 4: /* delete a byte */
            memmove(b->data + at, b->data + at + 1, b->len - at - 1);
            b->len--;
            break;
        default: /* duplicate a span */
            if (sg_bytes_reserve(b, 16) == 0) {
                size_t span = fx_below(rng, 16) + 1;
                if (span > b->len - at)
                    span = b->len - at;
                memmove(b->data + at + span, b->data + at, b->len - at);
                b->len += span;
            }
            break;
        }
    }
}

/* Mutate the decompressed records and repack them with valid checksums, so
 * the decoder (not only the checksum) meets the damage. */
static void test_fuzz_records(void **state)
{
    (void)state;
    small_file f;
    small_file_make(&f);
    raw_chunks pristine;
    unpack_chunks(f.data, f.len, &pristine);
    assert_int_equal(pristine.n, f.boundaries - 1);
    fx_rng rng = {0x5eed};
    unsigned loaded = 0, refused = 0;
    for (int iter = 0; iter < 3000; iter++) {
        raw_chunks c = {0};
        c.n = pristine.n;
        for (size_t i = 0; i < c.n; i++)
            sg_bytes_put(&c.chunk[i], pristine.chunk[i].data, pristine.chunk[i].len);
        mutate(&rng, &c.chunk[fx_below(&rng, (uint32_t)c.n)]);
        size_t len;
        unsigned char *file = pack_chunks(&c, &len, 0);
        sg_profile *q;
        char err[512];
        int rc = read_exact(file, len, 0, &q, NULL, err, sizeof err);
        if (rc == 0) {
            fx_assert_invariants(q);
            sg_profile_free(q);
            loaded++;
        } else {
            assert_int_equal(rc, SG_PROFILE_EFORMAT);
            assert_non_null(strstr(err, "offset "));
            refused++;
        }
        free(file);
        raw_chunks_free(&c);
    }
    assert_true(refused > 0);
    print_message("record fuzz: %u loaded, %u refused\n", loaded, refused);
    raw_chunks_free(&pristine);
    small_file_free(&f);
}

/* Mutations of the file bytes themselves (the checksums catch most). */
static void test_fuzz_file_bytes(void **state)
{
    (void)state;
    small_file f;
    small_file_make(&f);
    fx_rng rng = {0xf11e};
    for (int iter = 0; iter < 3000; iter++) {
        sg_bytes_out b = {0};
        sg_bytes_put(&b, f.data, f.len);
        mutate(&rng, &b);
        sg_profile *q;
        char err[512];
        int rc = read_exact(b.data, b.len, 0, &q, NULL, err, sizeof err);
        if (rc == 0) {
            fx_assert_invariants(q);
            sg_profile_free(q);
        } else {
            assert_int_equal(rc, SG_PROFILE_EFORMAT);
        }
        sg_bytes_free(&b);
    }
    small_file_free(&f);
}

/* ---- a recorder killed with SIGKILL ----------------------------------- */

static void test_sigkill_mid_recording(void **state)
{
    (void)state;
    static const fx_shape shape = {
        .threads = 8,
        .functions = 200,
        .paths = 300,
        .max_depth = 60,
        .interval_ns = 1000000,
        .jitter_ns = 50000,
        .stay_percent = 80,
        .events = true,
        .sources = false,
    };
    fx_rng rng = {0xdead};
    for (int round = 0; round < 8; round++) {
        char path[256];
        fx_temp_path(path, sizeof path, "killed.sgl");
        int ready[2];
        assert_int_equal(pipe(ready), 0);
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
            /* The recorder: flush small batches as fast as it can, forever. */
            close(ready[0]);
            fx_workload w;
            fx_workload_init(&w, &shape, (uint64_t)round + 100);
            sg_sgl_writer *sw;
            char err[256];
            if (sg_sgl_writer_open(path, NULL, &sw, err, sizeof err) != 0)
                _exit(2);
            if (write(ready[1], "r", 1) != 1)
                _exit(4);
            for (;;) {
                fx_add_sweeps(&w, 20);
                if (sg_sgl_writer_flush(sw, w.p) != 0)
                    _exit(3);
            }
        }
        close(ready[1]);
        char byte;
        assert_int_equal(read(ready[0], &byte, 1), 1); /* the file exists from here on */
        close(ready[0]);
        struct timespec nap = {0, (long)(5 + fx_below(&rng, 60)) * 1000000L};
        nanosleep(&nap, NULL);
        assert_int_equal(kill(child, SIGKILL), 0);
        int status;
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFSIGNALED(status));
        sg_profile *q;
        sg_sgl_read_info info;
        char err[512];
        int rc = sg_sgl_read_file(path, 0, &q, &info, err, sizeof err);
        if (rc != 0)
            fail_msg("killed recording unreadable: %s", err);
        fx_assert_invariants(q);
        assert_false(info.complete);
        sg_profile_free(q);
        unlink(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated_at_every_offset),
        cmocka_unit_test(test_zero_filled_tail),
        cmocka_unit_test(test_every_byte_corrupted),
        cmocka_unit_test(test_foreign_files),
        cmocka_unit_test(test_lying_records),
        cmocka_unit_test(test_lying_chunks),
        cmocka_unit_test(test_fuzz_records),
        cmocka_unit_test(test_fuzz_file_bytes),
        cmocka_unit_test(test_sigkill_mid_recording),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
