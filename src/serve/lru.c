/*
 * lru.c — the intrusive least-recently-used list (lru.h): a doubly linked
 * list whose head is the newest. Every operation is O(1).
 */
#include "serve/lru.h"

#include <assert.h>

void sg_lru_push_front(sg_lru *l, sg_lru_node *n)
{
    assert(n->prev == NULL && n->next == NULL && l->head != n);
    n->next = l->head;
    if (l->head != NULL)
        l->head->prev = n;
    else
        l->tail = n;
    l->head = n;
}

void sg_lru_unlink(sg_lru *l, sg_lru_node *n)
{
    assert(n->prev != NULL || l->head == n);
    if (n->prev != NULL)
        n->prev->next = n->next;
    else
        l->head = n->next;
    if (n->next != NULL)
        n->next->prev = n->prev;
    else
        l->tail = n->prev;
    n->prev = n->next = NULL;
}

void sg_lru_touch(sg_lru *l, sg_lru_node *n)
{
    if (l->head == n)
        return;
    sg_lru_unlink(l, n);
    sg_lru_push_front(l, n);
}
