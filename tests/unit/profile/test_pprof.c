/*
 * test_pprof.c — pprof out and in: a recorded-like profile and a
 * nanosecond-weighted one survive export → import (threads, stacks, lines,
 * weights, interval, times, functions with their first lines); messages
 * written by other producers (Go-style count + cpu with a period, inlined
 * and unsymbolized locations, unpacked repeated fields, thread labels as
 * strings, several gzip members) read as documented; broken input is
 * refused with a message naming the element (bad ids, string indexes,
 * negative values, mismatched values), and so are truncated and corrupt
 * gzip and a gzip bomb; detection; write errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "fixtures.h"
#include "profile.pb-c.h"
#include "profile/export_collapsed.h"
#include "profile/format_list.h"

typedef Perftools__Profiles__Profile pb_profile;

/* ---- helpers ---------------------------------------------------------------- */

static unsigned char *export_pprof(const sg_profile *p, size_t *len)
{
    char *bytes = NULL;
    FILE *out = open_memstream(&bytes, len);
    assert_non_null(out);
    char err[256];
    int rc = sg_export_pprof(p, out, NULL, err, sizeof err);
    if (rc != 0)
        fail_msg("export failed: %s", err);
    fclose(out);
    return (unsigned char *)bytes;
}

static sg_profile *import_ok(const unsigned char *data, size_t len)
{
    sg_profile *p = NULL;
    char err[256];
    int rc = sg_import_pprof(data, len, NULL, &p, err, sizeof err);
    if (rc != 0)
        fail_msg("import failed: %s", err);
    fx_assert_invariants(p);
    return p;
}

static const char *import_error(const unsigned char *data, size_t len)
{
    static char err[512];
    sg_profile *p = (sg_profile *)1;
    int rc = sg_import_pprof(data, len, NULL, &p, err, sizeof err);
    assert_true(rc < 0);
    assert_null(p);
    assert_true(err[0] != '\0');
    return err;
}

static char *collapsed_text(const sg_profile *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    sg_collapsed_options opts = {.flags = SG_COLLAPSED_THREADS};
    assert_int_equal(sg_export_collapsed(p, out, &opts), 0);
    fclose(out);
    return text;
}

static uint64_t total_weight(const sg_profile *p)
{
    uint64_t w = 0;
    for (size_t i = 0; i < p->samples.count; i++)
        w += p->samples.weight[i];
    return w;
}

static unsigned char *gzip(const unsigned char *data, size_t len, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, len) + 64;
    unsigned char *out = malloc(cap);
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

static unsigned char *pack(const pb_profile *msg, size_t *len)
{
    *len = perftools__profiles__profile__get_packed_size(msg);
    unsigned char *raw = malloc(*len + 1);
    assert_int_equal(perftools__profiles__profile__pack(msg, raw), *len);
    return raw;
}

/* A small hand-made message: the caller fills samples/locations and may
 * break anything before packing. Strings: see `strings` below. */
enum {
    S_EMPTY,
    S_SAMPLES,
    S_COUNT,
    S_CPU,
    S_NS,
    S_MAIN,
    S_WORK,
    S_FILE,
    S_THREAD,
    S_TID,
    S_T77,
    S_POOL,
    S_NSTRINGS
};
static char *strings[S_NSTRINGS] = {"",     "samples", "count",  "cpu",         "nanoseconds",
                                    "main", "work",    "app.py", "thread_name", "thread_id",
                                    "77",   "pool"};

typedef struct handmade {
    pb_profile msg;
    Perftools__Profiles__ValueType types[2], *type_ptrs[2], period_type;
    Perftools__Profiles__Function fns[2], *fn_ptrs[2];
    Perftools__Profiles__Line lines[3], *line_ptrs[3];
    Perftools__Profiles__Location locs[2], *loc_ptrs[2];
    Perftools__Profiles__Sample samples[2], *sample_ptrs[2];
    Perftools__Profiles__Label labels[2], *label_ptrs[2];
    uint64_t loc_ids[2][2];
    int64_t values[2][2];
} handmade;

/*
 * Go-style: sample types samples/count and cpu/nanoseconds, period 10 ms.
 * Functions main (id 1, line 1) and work (id 2, line 5); location 10 =
 * main:3, location 20 = work:7 inlined into main:4 (Line entries callee
 * first). Sample 0: [20, 10] (leaf first) values (3, 30 ms), labels
 * thread_name=pool, thread_id="77"; sample 1: [10] values (1, 10 ms).
 */
static void handmade_init(handmade *h)
{
    memset(h, 0, sizeof *h);
    perftools__profiles__profile__init(&h->msg);
    for (int i = 0; i < 2; i++) {
        perftools__profiles__value_type__init(&h->types[i]);
        h->type_ptrs[i] = &h->types[i];
    }
    h->types[0].type = S_SAMPLES;
    h->types[0].unit = S_COUNT;
    h->types[1].type = S_CPU;
    h->types[1].unit = S_NS;
    perftools__profiles__value_type__init(&h->period_type);
    h->period_type.type = S_CPU;
    h->period_type.unit = S_NS;
    h->msg.n_sample_type = 2;
    h->msg.sample_type = h->type_ptrs;
    h->msg.period_type = &h->period_type;
    h->msg.period = 10000000;
    h->msg.time_nanos = 1700000000000000000;
    h->msg.duration_nanos = 2000000000;
    for (int i = 0; i < 2; i++) {
        perftools__profiles__function__init(&h->fns[i]);
        h->fns[i].id = (uint64_t)i + 1;
        h->fns[i].name = i == 0 ? S_MAIN : S_WORK;
        h->fns[i].filename = S_FILE;
        h->fns[i].start_line = i == 0 ? 1 : 5;
        h->fn_ptrs[i] = &h->fns[i];
    }
    h->msg.n_function = 2;
    h->msg.function = h->fn_ptrs;
    int64_t line_no[3] = {3, 7, 4};
    uint64_t line_fn[3] = {1, 2, 1};
    for (int i = 0; i < 3; i++) {
        perftools__profiles__line__init(&h->lines[i]);
        h->lines[i].function_id = line_fn[i];
        h->lines[i].line = line_no[i];
        h->line_ptrs[i] = &h->lines[i];
    }
    for (int i = 0; i < 2; i++) {
        perftools__profiles__location__init(&h->locs[i]);
        h->locs[i].id = i == 0 ? 10 : 20;
        h->loc_ptrs[i] = &h->locs[i];
    }
    h->locs[0].n_line = 1;
    h->locs[0].line = &h->line_ptrs[0];
    h->locs[1].n_line = 2;
    h->locs[1].line = &h->line_ptrs[1];
    h->msg.n_location = 2;
    h->msg.location = h->loc_ptrs;
    for (int i = 0; i < 2; i++) {
        perftools__profiles__label__init(&h->labels[i]);
        h->label_ptrs[i] = &h->labels[i];
    }
    h->labels[0].key = S_THREAD;
    h->labels[0].str = S_POOL;
    h->labels[1].key = S_TID;
    h->labels[1].str = S_T77;
    for (int i = 0; i < 2; i++) {
        perftools__profiles__sample__init(&h->samples[i]);
        h->samples[i].location_id = h->loc_ids[i];
        h->samples[i].value = h->values[i];
        h->samples[i].n_value = 2;
        h->sample_ptrs[i] = &h->samples[i];
    }
    h->loc_ids[0][0] = 20;
    h->loc_ids[0][1] = 10;
    h->samples[0].n_location_id = 2;
    h->values[0][0] = 3;
    h->values[0][1] = 30000000;
    h->samples[0].n_label = 2;
    h->samples[0].label = h->label_ptrs;
    h->loc_ids[1][0] = 10;
    h->samples[1].n_location_id = 1;
    h->values[1][0] = 1;
    h->values[1][1] = 10000000;
    h->msg.n_sample = 2;
    h->msg.sample = h->sample_ptrs;
    h->msg.n_string_table = S_NSTRINGS;
    h->msg.string_table = strings;
}

static uint32_t find_frame(const sg_profile *p, const char *name)
{
    for (uint32_t f = 0; f < p->frames.count; f++)
        if (strcmp(sg_strings_get(&p->strings, p->frames.rows[f].name), name) == 0)
            return f;
    return UINT32_MAX;
}

/* ---- round trips ------------------------------------------------------------- */

static void test_round_trip_recorded(void **state)
{
    (void)state;
    fx_shape shape = {.threads = 3,
                      .functions = 50,
                      .paths = 30,
                      .max_depth = 25,
                      .interval_ns = 1000000,
                      .stay_percent = 60};
    fx_workload w;
    fx_workload_init(&w, &shape, 11);
    fx_add_sweeps(&w, 3000);
    w.p->meta.duration_ns = 3000000000ull;
    size_t len;
    unsigned char *bytes = export_pprof(w.p, &len);
    assert_true(len > 20 && bytes[0] == 0x1f && bytes[1] == 0x8b);
    assert_true(sg_detect_pprof(bytes, len));
    sg_profile *back = import_ok(bytes, len);
    assert_int_equal(back->meta.weight_unit, SG_WEIGHT_SAMPLES);
    assert_int_equal(back->meta.interval_ns, 1000000);
    assert_int_equal(back->meta.start_unix_ns, w.p->meta.start_unix_ns);
    assert_int_equal(back->meta.duration_ns, 3000000000ull);
    assert_int_equal(back->meta.mode, SG_MODE_WALL);
    assert_int_equal(total_weight(back), total_weight(w.p));
    char *a = collapsed_text(w.p), *b = collapsed_text(back);
    assert_string_equal(a, b);
    /* functions keep their first line */
    for (uint32_t f = 0; f < back->frames.count; f++) {
        const sg_frame *fr = &back->frames.rows[f];
        uint32_t orig = find_frame(w.p, sg_strings_get(&back->strings, fr->name));
        assert_int_not_equal(orig, UINT32_MAX);
        assert_int_equal(w.p->frames.rows[orig].first_line, fr->first_line);
    }
    free(a);
    free(b);
    free(bytes);
    sg_profile_free(back);
    fx_workload_free(&w);
}

static void test_round_trip_nanoseconds(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    uint32_t t, fa, fb, s1, s2;
    p->meta.weight_unit = SG_WEIGHT_NANOSECONDS;
    p->meta.mode = SG_MODE_CPU;
    p->meta.interval_ns = 100000;
    assert_int_equal(sg_profile_intern_thread(p, 5, "", &t), 0);
    assert_int_equal(sg_profile_intern_frame(p, "a.py", 4, "<module>", 8, 1, &fa), 0);
    assert_int_equal(sg_profile_intern_frame(p, "a.py", 4, "f", 1, 3, &fb), 0);
    assert_int_equal(sg_stacks_intern(&p->stacks, SG_STACK_NONE, fa, 9, &s1), 0);
    assert_int_equal(sg_stacks_intern(&p->stacks, s1, fb, 4, &s2), 0);
    uint32_t weights[] = {100000, 120000, 95000, 4000000000u, 101000};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(sg_profile_add_sample(p, i, t, i % 2 ? s1 : s2, 0, weights[i]), 0);
    size_t len;
    unsigned char *bytes = export_pprof(p, &len);
    sg_profile *back = import_ok(bytes, len);
    assert_int_equal(back->meta.weight_unit, SG_WEIGHT_NANOSECONDS);
    assert_int_equal(back->meta.mode, SG_MODE_CPU);
    assert_int_equal(total_weight(back), total_weight(p));
    char *a = collapsed_text(p), *b = collapsed_text(back);
    assert_string_equal(a, b);
    free(a);
    free(b);
    free(bytes);
    sg_profile_free(back);
    sg_profile_free(p);
}

static void test_empty_profile(void **state)
{
    (void)state;
    sg_profile *p = sg_profile_new();
    size_t len;
    unsigned char *bytes = export_pprof(p, &len);
    sg_profile *back = import_ok(bytes, len);
    assert_int_equal(back->samples.count, 0);
    free(bytes);
    sg_profile_free(back);
    sg_profile_free(p);
}

/* ---- other producers ---------------------------------------------------------- */

static void test_go_style(void **state)
{
    (void)state;
    handmade h;
    handmade_init(&h);
    size_t raw_len, gz_len;
    unsigned char *raw = pack(&h.msg, &raw_len);
    unsigned char *gz = gzip(raw, raw_len, &gz_len);
    for (int pass = 0; pass < 2; pass++) {
        sg_profile *p = pass == 0 ? import_ok(gz, gz_len) : import_ok(raw, raw_len);
        /* time = count × period everywhere: weights are the counts */
        assert_int_equal(p->meta.weight_unit, SG_WEIGHT_SAMPLES);
        assert_int_equal(p->meta.interval_ns, 10000000);
        assert_int_equal(p->meta.mode, SG_MODE_CPU);
        assert_int_equal(p->meta.start_unix_ns, 1700000000000000000ull);
        assert_int_equal(p->meta.duration_ns, 2000000000ull);
        assert_int_equal(total_weight(p), 4);
        char *text = collapsed_text(p);
        assert_non_null(
            strstr(text, "thread pool (77);main (app.py:3);main (app.py:4);work (app.py:7) 3\n"));
        assert_non_null(strstr(text, "thread (0);main (app.py:3) 1\n"));
        free(text);
        uint32_t work = find_frame(p, "work");
        assert_int_equal(p->frames.rows[work].first_line, 5);
        sg_profile_free(p);
    }
    free(raw);
    free(gz);
    /* not uniform: the time value in nanoseconds is the weight */
    h.values[1][1] = 12000000;
    raw = pack(&h.msg, &raw_len);
    sg_profile *p = import_ok(raw, raw_len);
    assert_int_equal(p->meta.weight_unit, SG_WEIGHT_NANOSECONDS);
    assert_int_equal(total_weight(p), 42000000);
    sg_profile_free(p);
    free(raw);
}

static void test_unsymbolized_location(void **state)
{
    (void)state;
    handmade h;
    handmade_init(&h);
    h.locs[0].n_line = 0;
    h.locs[0].address = 0xabc;
    size_t len;
    unsigned char *raw = pack(&h.msg, &len);
    sg_profile *p = import_ok(raw, len);
    char *text = collapsed_text(p);
    assert_non_null(strstr(text, "thread (0);0xabc (:0) 1\n"));
    free(text);
    free(raw);
    sg_profile_free(p);
}

/* A varint, for hand-encoding. */
static size_t put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

static size_t put_bytes(unsigned char *p, unsigned field, const unsigned char *data, size_t len)
{
    size_t n = put_varint(p, field << 3 | 2);
    n += put_varint(p + n, len);
    memcpy(p + n, data, len);
    return n + len;
}

static void test_unpacked_repeated_fields(void **state)
{
    (void)state;
    unsigned char msg[256], sub[64];
    size_t n = 0, k;
    /* sample_type {type: 1, unit: 2} */
    k = 0;
    k += put_varint(sub + k, 1 << 3 | 0);
    k += put_varint(sub + k, 1);
    k += put_varint(sub + k, 2 << 3 | 0);
    k += put_varint(sub + k, 2);
    n += put_bytes(msg + n, 1, sub, k);
    /* sample {location_id: 2, location_id: 1 (unpacked), value: 5 (unpacked)} */
    k = 0;
    k += put_varint(sub + k, 1 << 3 | 0);
    k += put_varint(sub + k, 2);
    k += put_varint(sub + k, 1 << 3 | 0);
    k += put_varint(sub + k, 1);
    k += put_varint(sub + k, 2 << 3 | 0);
    k += put_varint(sub + k, 5);
    n += put_bytes(msg + n, 2, sub, k);
    /* location {id: 1, line {function_id: 1, line: 2}}, location {id: 2, line {function_id: 1}} */
    for (unsigned id = 1; id <= 2; id++) {
        unsigned char line[16];
        size_t l = 0;
        l += put_varint(line + l, 1 << 3 | 0);
        l += put_varint(line + l, 1);
        l += put_varint(line + l, 2 << 3 | 0);
        l += put_varint(line + l, id == 1 ? 2 : 9);
        k = 0;
        k += put_varint(sub + k, 1 << 3 | 0);
        k += put_varint(sub + k, id);
        k += put_bytes(sub + k, 4, line, l);
        n += put_bytes(msg + n, 4, sub, k);
    }
    /* function {id: 1, name: 3, filename: 4} */
    k = 0;
    k += put_varint(sub + k, 1 << 3 | 0);
    k += put_varint(sub + k, 1);
    k += put_varint(sub + k, 2 << 3 | 0);
    k += put_varint(sub + k, 3);
    k += put_varint(sub + k, 4 << 3 | 0);
    k += put_varint(sub + k, 4);
    n += put_bytes(msg + n, 5, sub, k);
    const char *table[] = {"", "samples", "count", "rec", "r.py"};
    for (size_t i = 0; i < 5; i++)
        n += put_bytes(msg + n, 6, (const unsigned char *)table[i], strlen(table[i]));
    assert_true(sg_detect_pprof(msg, n));
    sg_profile *p = import_ok(msg, n);
    char *text = collapsed_text(p);
    assert_string_equal(text, "thread (0);rec (r.py:2);rec (r.py:9) 5\n");
    free(text);
    sg_profile_free(p);
}

static void test_gzip_members(void **state)
{
    (void)state;
    handmade h;
    handmade_init(&h);
    size_t raw_len, a_len, b_len;
    unsigned char *raw = pack(&h.msg, &raw_len);
    unsigned char *a = gzip(raw, raw_len / 2, &a_len);
    unsigned char *b = gzip(raw + raw_len / 2, raw_len - raw_len / 2, &b_len);
    unsigned char *both = malloc(a_len + b_len + 8);
    memcpy(both, a, a_len);
    memcpy(both + a_len, b, b_len);
    memset(both + a_len + b_len, 0, 8); /* zero padding after the last member is fine */
    sg_profile *p = import_ok(both, a_len + b_len + 8);
    assert_int_equal(total_weight(p), 4);
    sg_profile_free(p);
    memcpy(both + a_len + b_len, "junk", 4);
    const char *err = import_error(both, a_len + b_len + 4);
    assert_non_null(strstr(err, "after the end of the gzip stream"));
    free(raw);
    free(a);
    free(b);
    free(both);
}

/* ---- bad input ------------------------------------------------------------------ */

static const char *handmade_error(handmade *h)
{
    size_t len;
    unsigned char *raw = pack(&h->msg, &len);
    const char *err = import_error(raw, len);
    free(raw);
    return err;
}

static void test_bad_references(void **state)
{
    (void)state;
    handmade h;
    const char *err;

    handmade_init(&h);
    h.lines[1].function_id = 9;
    err = handmade_error(&h);
    assert_non_null(strstr(err, "location id 20"));
    assert_non_null(strstr(err, "function id 9"));

    handmade_init(&h);
    h.loc_ids[0][1] = 99;
    err = handmade_error(&h);
    assert_non_null(strstr(err, "sample 0"));
    assert_non_null(strstr(err, "location id 99"));

    handmade_init(&h);
    h.fns[1].filename = 1000;
    err = handmade_error(&h);
    assert_non_null(strstr(err, "function id 2"));
    assert_non_null(strstr(err, "string index 1000"));

    handmade_init(&h);
    h.labels[0].str = -4;
    err = handmade_error(&h);
    assert_non_null(strstr(err, "sample 0"));

    handmade_init(&h);
    h.fns[1].id = 1;
    err = handmade_error(&h);
    assert_non_null(strstr(err, "function id 1 appears twice"));

    handmade_init(&h);
    h.locs[1].id = 0;
    err = handmade_error(&h);
    assert_non_null(strstr(err, "id 0"));

    handmade_init(&h);
    h.values[1][0] = -1;
    h.values[1][1] = -10000000;
    err = handmade_error(&h);
    assert_non_null(strstr(err, "sample 1"));
    assert_non_null(strstr(err, "negative"));

    handmade_init(&h);
    h.samples[1].n_value = 1;
    err = handmade_error(&h);
    assert_non_null(strstr(err, "sample 1 has 1 values"));

    handmade_init(&h);
    char *bad_table[S_NSTRINGS];
    memcpy(bad_table, strings, sizeof bad_table);
    bad_table[0] = "x";
    h.msg.string_table = bad_table;
    err = handmade_error(&h);
    assert_non_null(strstr(err, "string_table[0]"));
}

static void test_damaged_files(void **state)
{
    (void)state;
    handmade h;
    handmade_init(&h);
    size_t raw_len, gz_len;
    unsigned char *raw = pack(&h.msg, &raw_len);
    unsigned char *gz = gzip(raw, raw_len, &gz_len);
    const char *err = import_error(gz, gz_len / 2);
    assert_non_null(strstr(err, "ends early"));
    unsigned char *bad = malloc(gz_len);
    memcpy(bad, gz, gz_len);
    for (size_t i = 10; i < gz_len - 8; i++)
        bad[i] ^= 0x5a;
    err = import_error(bad, gz_len);
    assert_non_null(strstr(err, "gzip"));
    /* inflates fine, but is no protobuf */
    size_t junk_len;
    unsigned char *junk = gzip((const unsigned char *)"\xff\xff\xff\xff", 4, &junk_len);
    err = import_error(junk, junk_len);
    assert_non_null(strstr(err, "not a valid profile.proto"));
    err = import_error(raw, raw_len - 3);
    assert_non_null(strstr(err, "not a valid profile.proto"));
    free(junk);
    free(bad);
    free(raw);
    free(gz);
}

static void test_gzip_bomb(void **state)
{
    (void)state;
    /* 128 MiB of zeros deflate to ~128 KiB: past the cap of 64 MiB */
    size_t chunk = 1 << 20, cap = 1 << 20, len = 0;
    unsigned char *zeros = calloc(1, chunk), *out = malloc(cap);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY),
                     Z_OK);
    for (int i = 0; i < 128; i++) {
        zs.next_in = zeros;
        zs.avail_in = (uInt)chunk;
        do {
            zs.next_out = out + len;
            zs.avail_out = (uInt)(cap - len);
            assert_int_not_equal(deflate(&zs, i == 127 ? Z_FINISH : Z_NO_FLUSH), Z_STREAM_ERROR);
            len = cap - zs.avail_out;
        } while (zs.avail_out == 0 && len < cap);
    }
    deflateEnd(&zs);
    assert_true(len < cap);
    const char *err = import_error(out, len);
    if (strstr(err, "gzip bomb") == NULL)
        fail_msg("unexpected message: %s", err);
    free(zeros);
    free(out);
}

static void test_detect(void **state)
{
    (void)state;
    size_t len;
    unsigned char *json = gzip((const unsigned char *)"{\"traceEvents\": []}", 19, &len);
    assert_false(sg_detect_pprof(json, len));
    free(json);
    unsigned char *text = gzip((const unsigned char *)"a;b 1\n", 6, &len);
    assert_false(sg_detect_pprof(text, len));
    free(text);
    static const char *no[] = {"",        "a;b 1\n",    "{\"x\": 1}", "\x1f",
                               "2;a 1\n", "Z\x09hello", "{\x01"};
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        assert_false(sg_detect_pprof((const uint8_t *)no[i], strlen(no[i])));
    handmade h;
    handmade_init(&h);
    unsigned char *raw = pack(&h.msg, &len);
    assert_true(sg_detect_pprof(raw, len));
    size_t gz_len;
    unsigned char *gz = gzip(raw, len, &gz_len);
    assert_true(sg_detect_pprof(gz, gz_len));
    assert_true(sg_detect_pprof(gz, gz_len / 2)); /* a prefix is enough to tell */
    assert_false(sg_detect_collapsed(gz, gz_len));
    free(gz);
    free(raw);
}

static void test_write_error(void **state)
{
    (void)state;
    fx_shape shape = {.threads = 2,
                      .functions = 20,
                      .paths = 10,
                      .max_depth = 10,
                      .interval_ns = 1000000,
                      .stay_percent = 50};
    fx_workload w;
    fx_workload_init(&w, &shape, 3);
    fx_add_sweeps(&w, 200);
    FILE *full = fopen("/dev/full", "w");
    if (full == NULL) {
        fx_workload_free(&w);
        skip();
    }
    char err[256];
    assert_int_equal(sg_export_pprof(w.p, full, NULL, err, sizeof err), SG_PROFILE_EIO);
    assert_non_null(strstr(err, "pprof export"));
    fclose(full);
    fx_workload_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_recorded),
        cmocka_unit_test(test_round_trip_nanoseconds),
        cmocka_unit_test(test_empty_profile),
        cmocka_unit_test(test_go_style),
        cmocka_unit_test(test_unsymbolized_location),
        cmocka_unit_test(test_unpacked_repeated_fields),
        cmocka_unit_test(test_gzip_members),
        cmocka_unit_test(test_bad_references),
        cmocka_unit_test(test_damaged_files),
        cmocka_unit_test(test_gzip_bomb),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_write_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
