/*
 * test_lru.c — the intrusive LRU list (serve/lru.h) that both server
 * caches use: push makes the newest, touch moves a node to the head,
 * unlink from the head, middle and tail keeps both directions consistent,
 * and SG_LRU_ENTRY finds the entry around its node. The order is checked
 * against a plain array model after every step of a fixed random walk.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "serve/lru.h"

typedef struct item {
    int id;
    sg_lru_node node;
    bool linked;
} item;

enum { N = 32 };

/* The list from head to tail must be model[0..n), and tail to head its reverse. */
static void check(const sg_lru *l, const int *model, int n)
{
    int k = 0;
    const sg_lru_node *prev = NULL;
    for (const sg_lru_node *x = l->head; x != NULL; x = x->next, k++) {
        assert_true(k < n);
        assert_ptr_equal(x->prev, prev);
        assert_int_equal(SG_LRU_ENTRY(x, item, node)->id, model[k]);
        prev = x;
    }
    assert_int_equal(k, n);
    assert_ptr_equal(l->tail, prev);
    if (n == 0)
        assert_null(l->head);
}

static void model_remove(int *model, int *n, int id)
{
    for (int k = 0; k < *n; k++)
        if (model[k] == id) {
            memmove(model + k, model + k + 1, (size_t)(*n - k - 1) * sizeof *model);
            --*n;
            return;
        }
    fail();
}

static void model_front(int *model, int *n, int id)
{
    memmove(model + 1, model, (size_t)*n * sizeof *model);
    model[0] = id;
    ++*n;
}

static void test_push_touch_unlink(void **state)
{
    (void)state;
    item items[N];
    memset(items, 0, sizeof items);
    for (int i = 0; i < N; i++)
        items[i].id = i;
    sg_lru l = {0};
    int model[N] = {0}, n = 0;
    check(&l, model, n);
    uint64_t r = 0x9e3779b97f4a7c15ull;
    for (int step = 0; step < 5000; step++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        item *it = &items[(r >> 33) % N];
        int op = (int)((r >> 20) % 3);
        if (!it->linked) {
            sg_lru_push_front(&l, &it->node);
            model_front(model, &n, it->id);
            it->linked = true;
        } else if (op == 0) {
            sg_lru_unlink(&l, &it->node);
            model_remove(model, &n, it->id);
            assert_null(it->node.prev);
            assert_null(it->node.next);
            it->linked = false;
        } else {
            sg_lru_touch(&l, &it->node);
            model_remove(model, &n, it->id);
            model_front(model, &n, it->id);
        }
        check(&l, model, n);
    }
    while (l.tail != NULL) { /* evict from the tail, as the caches do */
        item *old = SG_LRU_ENTRY(l.tail, item, node);
        assert_int_equal(old->id, model[n - 1]);
        sg_lru_unlink(&l, l.tail);
        n--;
        check(&l, model, n);
    }
}

static void test_single_node(void **state)
{
    (void)state;
    item a = {.id = 7};
    sg_lru l = {0};
    sg_lru_push_front(&l, &a.node);
    assert_ptr_equal(l.head, &a.node);
    assert_ptr_equal(l.tail, &a.node);
    sg_lru_touch(&l, &a.node); /* already the head: nothing moves */
    assert_ptr_equal(l.head, &a.node);
    sg_lru_unlink(&l, &a.node);
    assert_null(l.head);
    assert_null(l.tail);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_touch_unlink),
        cmocka_unit_test(test_single_node),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
