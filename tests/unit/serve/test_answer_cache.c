/*
 * test_answer_cache.c — the cache of encoded answers (serve/answer_cache.h):
 * hits return the stored bytes, concurrent identical requests compute once
 * (real threads), the byte bound holds with least recently used answers
 * going first, only 200s are kept, and dropping a profile forgets its
 * answers and keeps a computation in flight from being stored.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "serve/answer_cache.h"

/* Begin key; on COMPUTE finish with body (status 200) and return it. */
static sg_answer *ask(sg_acache *c, const char *key, const char *id, const char *body, int *rc)
{
    sg_answer *a;
    sg_flight *f;
    *rc = sg_acache_begin(c, key, strlen(key), id, NULL, &a, &f);
    if (*rc == SG_ACACHE_COMPUTE) {
        a = sg_answer_new(200, body, strlen(body));
        assert_non_null(a);
        sg_acache_finish(c, f, a);
    }
    return a;
}

static void test_hit_returns_the_stored_bytes(void **state)
{
    (void)state;
    sg_acache *c = sg_acache_new(1 << 20);
    int rc;
    sg_answer *a = ask(c, "tree\nabcdefgh\n\n", "abcdefgh", "{\"x\":1}", &rc);
    assert_int_equal(rc, SG_ACACHE_COMPUTE);
    sg_answer *b = ask(c, "tree\nabcdefgh\n\n", "abcdefgh", "{\"other\":2}", &rc);
    assert_int_equal(rc, SG_ACACHE_HIT);
    assert_ptr_equal(a, b);
    assert_string_equal(b->data, "{\"x\":1}");
    assert_int_equal(b->status, 200);
    sg_answer *d = ask(c, "tree\nabcdefgh\n\n1:w3:800", "abcdefgh", "{\"w\":800}", &rc);
    assert_int_equal(rc, SG_ACACHE_COMPUTE); /* another key */
    sg_acache_stats st;
    sg_acache_get_stats(c, &st);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.misses, 2);
    assert_int_equal(st.entries, 2);
    sg_answer_release(a);
    sg_answer_release(b);
    sg_answer_release(d);
    sg_acache_free(c);
}

typedef struct flight_test {
    sg_acache *c;
    pthread_barrier_t start;
    int computed; /* atomic */
    sg_answer *got[8];
} flight_test;

typedef struct asker_arg {
    flight_test *t;
    int index;
} asker_arg;

static void *ask_once(void *arg)
{
    asker_arg *a = arg;
    flight_test *t = a->t;
    pthread_barrier_wait(&t->start);
    sg_answer *ans;
    sg_flight *f;
    int rc = sg_acache_begin(t->c, "callgraph\nzzzzzzzz\n\n", 20, "zzzzzzzz", NULL, &ans, &f);
    if (rc == SG_ACACHE_COMPUTE) {
        __atomic_add_fetch(&t->computed, 1, __ATOMIC_RELAXED);
        usleep(100 * 1000); /* a slow query: the others arrive meanwhile */
        ans = sg_answer_new(200, "{\"graph\":true}", 14);
        sg_acache_finish(t->c, f, ans);
    }
    assert_int_not_equal(rc, -1);
    t->got[a->index] = ans;
    return NULL;
}

static void test_concurrent_identical_requests_compute_once(void **state)
{
    (void)state;
    flight_test t = {.c = sg_acache_new(1 << 20)};
    pthread_barrier_init(&t.start, NULL, 8);
    pthread_t th[8];
    asker_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (asker_arg){&t, i};
        pthread_create(&th[i], NULL, ask_once, &args[i]);
    }
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(t.computed, 1);
    for (int i = 0; i < 8; i++) {
        assert_ptr_equal(t.got[i], t.got[0]); /* the one answer, shared */
        sg_answer_release(t.got[i]);
    }
    sg_acache_stats st;
    sg_acache_get_stats(t.c, &st);
    assert_int_equal(st.misses, 1);
    assert_int_equal(st.hits + st.waits, 7);
    assert_true(st.waits >= 1); /* 100 ms is long enough for at least one to join */
    pthread_barrier_destroy(&t.start);
    sg_acache_free(t.c);
}

static void test_bounded_least_recently_used_first(void **state)
{
    (void)state;
    size_t max = 64 << 10;
    sg_acache *c = sg_acache_new(max);
    char body[4000], key[32];
    memset(body, '7', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    int rc;
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "k%d", i);
        sg_answer_release(ask(c, key, "abcdefgh", body, &rc));
        assert_int_equal(rc, SG_ACACHE_COMPUTE);
        sg_answer_release(ask(c, "k0", "abcdefgh", body, &rc)); /* keep k0 recent */
        sg_acache_stats st;
        sg_acache_get_stats(c, &st);
        assert_true(st.bytes <= max);
        /* every answer costs at least its bytes: no undercount */
        assert_true(st.bytes >= st.entries * sizeof body);
    }
    sg_answer_release(ask(c, "k0", "abcdefgh", body, &rc));
    assert_int_equal(rc, SG_ACACHE_HIT);
    sg_answer_release(ask(c, "k99", "abcdefgh", body, &rc));
    assert_int_equal(rc, SG_ACACHE_HIT);
    sg_answer_release(ask(c, "k1", "abcdefgh", body, &rc));
    assert_int_equal(rc, SG_ACACHE_COMPUTE); /* long gone */
    /* an answer above a quarter of the bound is answered, not kept */
    char *big = malloc(max / 2);
    memset(big, 'x', max / 2 - 1);
    big[max / 2 - 1] = '\0';
    sg_answer_release(ask(c, "big", "abcdefgh", big, &rc));
    sg_answer_release(ask(c, "big", "abcdefgh", big, &rc));
    assert_int_equal(rc, SG_ACACHE_COMPUTE);
    free(big);
    sg_acache_free(c);
}

static void test_only_200s_are_kept(void **state)
{
    (void)state;
    sg_acache *c = sg_acache_new(1 << 20);
    sg_answer *a;
    sg_flight *f;
    assert_int_equal(sg_acache_begin(c, "x", 1, "abcdefgh", NULL, &a, &f), SG_ACACHE_COMPUTE);
    a = sg_answer_new(500, "{\"error\":\"out of memory\"}", 25);
    sg_acache_finish(c, f, a);
    sg_answer_release(a);
    assert_int_equal(sg_acache_begin(c, "x", 1, "abcdefgh", NULL, &a, &f), SG_ACACHE_COMPUTE);
    sg_acache_finish(c, f, NULL); /* no answer at all: nothing kept either */
    assert_int_equal(sg_acache_begin(c, "x", 1, "abcdefgh", NULL, &a, &f), SG_ACACHE_COMPUTE);
    sg_acache_finish(c, f, NULL);
    sg_acache_free(c);
}

static void test_drop_profile(void **state)
{
    (void)state;
    sg_acache *c = sg_acache_new(1 << 20);
    int rc;
    sg_answer_release(ask(c, "tree\naaaaaaaa", "aaaaaaaa", "{}", &rc));
    sg_answer_release(ask(c, "tree\nbbbbbbbb", "bbbbbbbb", "{}", &rc));
    sg_answer *a;
    sg_flight *f;
    assert_int_equal(
        sg_acache_begin(c, "diff\nbbbbbbbb\naaaaaaaa", 22, "bbbbbbbb", "aaaaaaaa", &a, &f),
        SG_ACACHE_COMPUTE);
    a = sg_answer_new(200, "{}", 2);
    sg_acache_finish(c, f, a);
    sg_answer_release(a);
    /* a computation of aaaaaaaa in flight while it changes */
    sg_flight *inflight;
    assert_int_equal(sg_acache_begin(c, "timeline\naaaaaaaa", 17, "aaaaaaaa", NULL, &a, &inflight),
                     SG_ACACHE_COMPUTE);
    sg_acache_drop_profile(c, "aaaaaaaa");
    /* a request after the change does not wait for the stale computation */
    sg_flight *fresh;
    assert_int_equal(sg_acache_begin(c, "timeline\naaaaaaaa", 17, "aaaaaaaa", NULL, &a, &fresh),
                     SG_ACACHE_COMPUTE);
    a = sg_answer_new(200, "{\"new\":1}", 9);
    sg_acache_finish(c, fresh, a);
    sg_answer_release(a);
    a = sg_answer_new(200, "{\"old\":1}", 9);
    sg_acache_finish(c, inflight, a); /* stale: not stored over the fresh one */
    sg_answer_release(a);
    sg_answer *got = ask(c, "timeline\naaaaaaaa", "aaaaaaaa", "x", &rc);
    assert_int_equal(rc, SG_ACACHE_HIT);
    assert_string_equal(got->data, "{\"new\":1}");
    sg_answer_release(got);
    sg_answer_release(ask(c, "tree\naaaaaaaa", "aaaaaaaa", "{}", &rc));
    assert_int_equal(rc, SG_ACACHE_COMPUTE); /* forgotten */
    sg_answer_release(ask(c, "diff\nbbbbbbbb\naaaaaaaa", "bbbbbbbb", "{}", &rc));
    assert_int_equal(rc, SG_ACACHE_COMPUTE); /* a diff with it too */
    sg_answer_release(ask(c, "tree\nbbbbbbbb", "bbbbbbbb", "{}", &rc));
    assert_int_equal(rc, SG_ACACHE_HIT); /* the other profile's stay */
    sg_acache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_returns_the_stored_bytes),
        cmocka_unit_test(test_concurrent_identical_requests_compute_once),
        cmocka_unit_test(test_bounded_least_recently_used_first),
        cmocka_unit_test(test_only_200s_are_kept),
        cmocka_unit_test(test_drop_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
