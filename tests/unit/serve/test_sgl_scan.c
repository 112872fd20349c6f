/*
 * test_sgl_scan.c — the upload's scan of .sgl files (serve/sgl_scan.h)
 * against the real reader on real files written by the real writer: the
 * numbers the list shows must be what a full load gives, and every file
 * the reader rejects for a broken byte (a flip anywhere, a cut anywhere)
 * the scan rejects or accepts exactly as the reader does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "profile/formats.h"
#include "profile/sgl.h"
#include "serve/sgl_scan.h"

/* Write p as .sgl (flushed in `flushes` steps as a recorder would, closed
 * or not) and return the file's bytes. */
static unsigned char *write_sgl(sg_profile *p, bool close_it, size_t *len)
{
    char path[] = "/tmp/sg-test-scan-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    sg_sgl_writer *w;
    char err[256];
    assert_int_equal(sg_sgl_writer_open(path, NULL, &w, err, sizeof err), 0);
    assert_int_equal(sg_sgl_writer_flush(w, p), 0);
    assert_int_equal(sg_sgl_writer_close(w, close_it ? p : NULL, err, sizeof err), 0);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc(*len + 1);
    assert_int_equal(fread(data, 1, *len, f), *len);
    fclose(f);
    unlink(path);
    return data;
}

static void add_samples(sg_profile *p, size_t from, size_t to);

/* A sampled profile: 3 threads, 40 frames, n samples over time. */
static sg_profile *sampled(size_t n, uint64_t duration_ns)
{
    sg_profile *p = sg_profile_new();
    sg_profile_set_meta_text(p, &p->meta.command, "python app.py --fast");
    sg_profile_set_meta_text(p, &p->meta.host, "build-7");
    sg_profile_set_meta_text(p, &p->meta.python_version, "3.12.4");
    p->meta.interval_ns = 1000000;
    p->meta.duration_ns = duration_ns;
    uint32_t f, t;
    for (int i = 0; i < 40; i++) {
        char name[16];
        snprintf(name, sizeof name, "f%d", i);
        assert_int_equal(
            sg_profile_intern_frame(p, "/app/x.py", 9, name, strlen(name), (uint32_t)i, &f), 0);
    }
    for (uint64_t k = 0; k < 3; k++)
        assert_int_equal(sg_profile_intern_thread(p, 100 + k, "w", &t), 0);
    add_samples(p, 0, n);
    return p;
}

/* Samples [from, to) of the pattern above, on p's frames and threads. */
static void add_samples(sg_profile *p, size_t from, size_t to)
{
    uint64_t x = 7 + from;
    for (size_t i = from; i < to; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        sg_frame_line chain[6];
        for (int d = 0; d < 6; d++)
            chain[d] = (sg_frame_line){(uint32_t)((x >> (8 * d)) % 40), 1 + (uint32_t)d};
        uint32_t st;
        assert_int_equal(
            sg_stacks_intern_chain(&p->stacks, SG_STACK_NONE, chain, 2 + (x >> 50) % 5, NULL, &st),
            0);
        assert_int_equal(sg_profile_add_sample(p, 5000000 + i * 333000, (uint32_t)(i % 3), st,
                                               (uint8_t)(x >> 60) & 7, 1),
                         0);
    }
}

static void check_like_reader(const unsigned char *data, size_t len)
{
    sg_profile *p = NULL;
    char err[256], err2[256];
    int rc = sg_sgl_read_buffer(data, len, 0, &p, NULL, err, sizeof err);
    sg_sgl_summary s;
    int sc = sg_sgl_scan(data, len, &s, err2, sizeof err2);
    if ((rc == 0) != (sc == 0))
        fail_msg("%zu bytes: reader %s (%s), scan %s (%s)", len, rc == 0 ? "accepts" : "rejects",
                 rc == 0 ? "" : err, sc == 0 ? "accepts" : "rejects", sc == 0 ? "" : err2);
    if (rc == 0) {
        assert_int_equal(s.samples, p->samples.count);
        assert_string_equal(s.command,
                            p->meta.command ? sg_strings_get(&p->strings, p->meta.command) : "");
    }
    sg_sgl_summary_free(&s);
    sg_profile_free(p);
}

static void test_numbers_match_a_full_load(void **state)
{
    (void)state;
    sg_profile *p = sampled(20000, 7000000000ull);
    size_t len;
    unsigned char *data = write_sgl(p, true, &len);
    sg_sgl_summary s;
    char err[256];
    assert_int_equal(sg_sgl_scan(data, len, &s, err, sizeof err), 0);
    assert_int_equal(s.samples, 20000);
    assert_int_equal(s.duration_ns, 7000000000ull); /* META's final duration */
    assert_string_equal(s.command, "python app.py --fast");
    assert_string_equal(s.host, "build-7");
    assert_string_equal(s.python, "3.12.4");
    assert_true(s.has_stacks);
    assert_false(s.truncated);
    assert_true(s.chunks >= 1);
    sg_sgl_summary_free(&s);
    free(data);
    sg_profile_free(p);
}

static void test_duration_from_times_without_meta(void **state)
{
    (void)state;
    /* a recording killed before its final META: the times say how long */
    sg_profile *p = sampled(3000, 0);
    size_t len;
    unsigned char *data = write_sgl(p, false, &len);
    sg_sgl_summary s;
    char err[256];
    assert_int_equal(sg_sgl_scan(data, len, &s, err, sizeof err), 0);
    assert_int_equal(s.samples, 3000);
    /* stored at 1 us resolution */
    assert_int_equal(s.duration_ns, (uint64_t)2999 * 333000);
    sg_sgl_summary_free(&s);
    free(data);
    sg_profile_free(p);
}

static void test_pstats_profile(void **state)
{
    (void)state;
    char path[4096];
    const char *src = getenv("SG_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/fuzz/corpus/pstats/tiny_cprofile_3.11.7.pstats",
             src ? src : ".");
    sg_profile *p = NULL;
    char err[256];
    assert_int_equal(sg_profile_load(path, NULL, NULL, &p, err, sizeof err), 0);
    uint64_t tt = 0;
    for (uint32_t i = 0; i < p->callstats.func_count; i++)
        tt += p->callstats.funcs[i].n.tt_ns;
    size_t len;
    unsigned char *data = write_sgl(p, true, &len);
    sg_sgl_summary s;
    assert_int_equal(sg_sgl_scan(data, len, &s, err, sizeof err), 0);
    assert_false(s.has_stacks);
    assert_int_equal(s.samples, p->samples.count);
    assert_int_equal(s.duration_ns, tt); /* what the list says of a pstats profile */
    sg_sgl_summary_free(&s);
    free(data);
    sg_profile_free(p);
}

static void test_every_cut_like_the_reader(void **state)
{
    (void)state;
    /* several chunks, flushed as a recorder does, so cuts land in every
     * place of a chunk and between chunks */
    sg_profile *p = sampled(0, 2000000000ull);
    char path[] = "/tmp/sg-test-scan-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    sg_sgl_writer *w;
    char err[256];
    assert_int_equal(sg_sgl_writer_open_fd(fd, NULL, &w, err, sizeof err), 0);
    for (size_t step = 0; step < 6; step++) {
        add_samples(p, step * 1000, (step + 1) * 1000);
        assert_int_equal(sg_sgl_writer_flush(w, p), 0);
    }
    assert_int_equal(sg_sgl_writer_close(w, p, err, sizeof err), 0);
    size_t len = (size_t)lseek(fd, 0, SEEK_END);
    unsigned char *data = malloc(len);
    assert_int_equal(pread(fd, data, len, 0), (ssize_t)len);
    close(fd);
    unlink(path);
    sg_sgl_summary s;
    assert_int_equal(sg_sgl_scan(data, len, &s, err, sizeof err), 0);
    assert_true(s.chunks >= 6);
    assert_int_equal(s.samples, 6000);
    sg_sgl_summary_free(&s);
    for (size_t cut = 0; cut <= len; cut += cut < 64 ? 1 : 61)
        check_like_reader(data, cut);
    check_like_reader(data, len);
    free(data);
    sg_profile_free(p);
}

static void test_every_flip_like_the_reader(void **state)
{
    (void)state;
    sg_profile *p = sampled(4000, 1000000000ull);
    size_t len;
    unsigned char *data = write_sgl(p, true, &len);
    for (size_t at = 0; at < len; at += at < 64 ? 1 : 37) {
        data[at] ^= 0x5a;
        sg_sgl_summary s;
        char err[256];
        if (sg_sgl_scan(data, len, &s, err, sizeof err) == 0)
            fail_msg("a flipped byte at %zu was not noticed", at);
        assert_non_null(strstr(err, "byte "));
        sg_sgl_summary_free(&s);
        check_like_reader(data, len);
        data[at] ^= 0x5a;
    }
    free(data);
    sg_profile_free(p);
}

static void test_not_sgl(void **state)
{
    (void)state;
    sg_sgl_summary s;
    char err[256];
    assert_int_equal(sg_sgl_scan("", 0, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty"));
    assert_int_equal(sg_sgl_scan("main;a 1\n", 9, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "magic"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers_match_a_full_load),
        cmocka_unit_test(test_duration_from_times_without_meta),
        cmocka_unit_test(test_pstats_profile),
        cmocka_unit_test(test_every_cut_like_the_reader),
        cmocka_unit_test(test_every_flip_like_the_reader),
        cmocka_unit_test(test_not_sgl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
