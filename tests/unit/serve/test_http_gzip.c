/*
 * test_http_gzip.c — gzip content coding of answers (serve/http_gzip.h and
 * sg_acache_gzip in serve/answer_cache.h): Accept-Encoding values as
 * browsers and odd clients send them; the gzip copy decodes (zlib, an
 * independent implementation) to the very bytes of the answer; it is made
 * once for eight concurrent requesters (real threads) and counted in the
 * cache's bytes while stored; small, non-200 and incompressible answers
 * stay plain.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "serve/answer_cache.h"
#include "serve/http_gzip.h"

static void test_accept_encoding_values(void **state)
{
    (void)state;
    static const char *const yes[] = {"gzip",
                                      "gzip, deflate, br, zstd",
                                      "deflate, gzip;q=1.0, *;q=0.5",
                                      "GZip",
                                      "x-gzip",
                                      "*",
                                      "br;q=1, gzip;q=0.001",
                                      " \t,gzip ,",
                                      "identity;q=1, gzip;q=0.1",
                                      "gzip;level=9",
                                      "gzip;q=1.5",
                                      "gzip;q=",
                                      "br, *;q=0.1"};
    static const char *const no[] = {
        "",          "identity", "deflate, br",     "gzip;q=0", "gzip; q=0.000",
        "gzip;Q=0.", "*;q=0",    "gzip;q=0, *",     "gzipx",    "xgzip",
        "g",         ";;;,,,",   "gzip;q=0, *;q=1", "gz ip",    "br;gzip"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (!sg_http_accepts_gzip(yes[i]))
            fail_msg("should accept gzip: '%s'", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (sg_http_accepts_gzip(no[i]))
            fail_msg("should refuse gzip: '%s'", no[i]);
    assert_false(sg_http_accepts_gzip(NULL));
}

/* JSON-like text: columns of numbers, as the timeline writes them. */
static char *json_numbers(size_t n, size_t *len)
{
    char *s = malloc(n * 12 + 32);
    assert_non_null(s);
    size_t k = (size_t)sprintf(s, "{\"x0\":[");
    uint32_t r = 12345;
    for (size_t i = 0; i < n; i++) {
        r = r * 1103515245u + 12345u;
        k += (size_t)sprintf(s + k, "%s%u", i ? "," : "", (r >> 16) % 5000);
    }
    k += (size_t)sprintf(s + k, "]}");
    *len = k;
    char *fit = realloc(s, k + 1); /* the cache counts the block, not len */
    assert_non_null(fit);
    return fit;
}

static void assert_gunzips_to(const char *gz, size_t gz_len, const char *data, size_t len)
{
    char *back = malloc(len + 1);
    assert_non_null(back);
    z_stream z = {0};
    assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK); /* gzip wrapper */
    z.next_in = (Bytef *)gz;
    z.avail_in = (uInt)gz_len;
    z.next_out = (Bytef *)back;
    z.avail_out = (uInt)len + 1;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.total_out, len);
    assert_int_equal(z.avail_in, 0); /* nothing after the member */
    inflateEnd(&z);
    assert_memory_equal(back, data, len);
    free(back);
}

static void test_compress_round_trip(void **state)
{
    (void)state;
    size_t sizes[] = {2000, 300000, 1500000}; /* both levels */
    for (size_t i = 0; i < 3; i++) {
        size_t len;
        char *s = json_numbers(sizes[i] / 5, &len), *gz;
        size_t gz_len;
        assert_int_equal(sg_gzip_compress(s, len, &gz, &gz_len), 0);
        assert_true(gz_len < len / 2);
        assert_gunzips_to(gz, gz_len, s, len);
        free(gz);
        free(s);
    }
    /* random bytes do not shrink: plain */
    char noise[4096];
    uint32_t r = 7;
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (char)((r = r * 1664525u + 1013904223u) >> 24);
    char *gz = (char *)1;
    size_t gz_len = 1;
    assert_int_equal(sg_gzip_compress(noise, sizeof noise, &gz, &gz_len), -1);
    assert_null(gz);
    assert_int_equal(gz_len, 0);
}

static sg_answer *stored(sg_acache *c, const char *key, char *body, size_t len, int status)
{
    sg_answer *a;
    sg_flight *f;
    assert_int_equal(sg_acache_begin(c, key, strlen(key), "abcdefgh", NULL, &a, &f),
                     SG_ACACHE_COMPUTE);
    a = sg_answer_adopt(status, body, len);
    assert_non_null(a);
    sg_acache_finish(c, f, a);
    return a;
}

static void test_gzip_kept_and_counted(void **state)
{
    (void)state;
    sg_acache *c = sg_acache_new(64 << 20);
    size_t len;
    char *body = json_numbers(100000, &len);
    sg_answer *a = stored(c, "timeline", body, len, 200);
    sg_acache_stats before, after;
    sg_acache_get_stats(c, &before);
    const char *gz, *gz2;
    size_t gz_len, gz_len2;
    assert_true(sg_acache_gzip(c, a, &gz, &gz_len));
    assert_gunzips_to(gz, gz_len, a->data, a->len);
    sg_acache_get_stats(c, &after);
    assert_true(after.bytes >= before.bytes + gz_len); /* the copy is counted */
    assert_true(after.bytes <= before.bytes + gz_len + 4096 + 64);
    assert_true(sg_acache_gzip(c, a, &gz2, &gz_len2)); /* made once, kept */
    assert_ptr_equal(gz, gz2);
    assert_int_equal(gz_len, gz_len2);
    sg_answer_release(a);

    /* small and non-200 answers stay plain, and cost nothing more */
    char *small = strdup("{\"small\":true}");
    sg_answer *b = stored(c, "small", small, strlen(small), 200);
    assert_false(sg_acache_gzip(c, b, &gz, &gz_len));
    assert_null(gz);
    sg_answer_release(b);
    char *err = json_numbers(1000, &len);
    sg_answer *e = stored(c, "error", err, len, 400);
    assert_false(sg_acache_gzip(c, e, &gz, &gz_len));
    sg_answer_release(e);
    sg_acache_free(c);
}

static void test_gzip_over_the_bound_evicts(void **state)
{
    (void)state;
    /* room for four plain answers (each within a quarter of the bound);
     * their gzip copies push the least recent out */
    size_t len;
    char *body = json_numbers(20000, &len);
    sg_acache *c = sg_acache_new(4 * len + len / 4);
    sg_answer *a[4];
    for (int i = 0; i < 4; i++) {
        char key[2] = {(char)('a' + i), 0};
        if (i > 0)
            body = json_numbers(20000, &len);
        a[i] = stored(c, key, body, len, 200);
    }
    sg_acache_stats st;
    sg_acache_get_stats(c, &st);
    assert_int_equal(st.entries, 4);
    const char *gz;
    size_t gz_len;
    assert_true(sg_acache_gzip(c, a[3], &gz, &gz_len));
    assert_true(sg_acache_gzip(c, a[2], &gz, &gz_len));
    sg_acache_get_stats(c, &st);
    assert_true(st.bytes <= st.max_bytes);
    assert_int_equal(st.entries, 3); /* "a", the least recent, went */
    /* a[0] lives on for its holder, and can still be gzipped (uncounted) */
    assert_true(sg_acache_gzip(c, a[0], &gz, &gz_len));
    assert_gunzips_to(gz, gz_len, a[0]->data, a[0]->len);
    sg_acache_stats st2;
    sg_acache_get_stats(c, &st2);
    assert_int_equal(st2.bytes, st.bytes);
    for (int i = 0; i < 4; i++)
        sg_answer_release(a[i]);
    sg_acache_free(c);
}

typedef struct racers {
    sg_acache *c;
    sg_answer *a;
    pthread_barrier_t start;
    const char *gz[8];
} racers;

static void *race(void *arg)
{
    racers *r = ((void **)arg)[0];
    size_t i = (size_t)((void **)arg)[1];
    size_t n;
    pthread_barrier_wait(&r->start);
    assert_true(sg_acache_gzip(r->c, r->a, &r->gz[i], &n));
    return NULL;
}

static void test_concurrent_gzip_compresses_once(void **state)
{
    (void)state;
    racers r = {.c = sg_acache_new(64 << 20)};
    size_t len;
    char *body = json_numbers(400000, &len);
    r.a = stored(r.c, "big", body, len, 200);
    pthread_barrier_init(&r.start, NULL, 8);
    pthread_t th[8];
    void *args[8][2];
    for (size_t i = 0; i < 8; i++) {
        args[i][0] = &r;
        args[i][1] = (void *)i;
        pthread_create(&th[i], NULL, race, args[i]);
    }
    for (size_t i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    for (size_t i = 1; i < 8; i++)
        assert_ptr_equal(r.gz[i], r.gz[0]); /* one copy: the others waited for it */
    pthread_barrier_destroy(&r.start);
    sg_answer_release(r.a);
    sg_acache_free(r.c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_encoding_values),
        cmocka_unit_test(test_compress_round_trip),
        cmocka_unit_test(test_gzip_kept_and_counted),
        cmocka_unit_test(test_gzip_over_the_bound_evicts),
        cmocka_unit_test(test_concurrent_gzip_compresses_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
