/*
 * lru.h — an intrusive least-recently-used list: the one recency order
 * that both server caches keep (answer_cache.c: stored answers,
 * profile_cache.c: loaded profiles).
 *
 * Intrusive: an entry embeds an sg_lru_node and the list links those, so
 * linking, unlinking and touching allocate nothing and cannot fail;
 * SG_LRU_ENTRY turns a node back into its entry. The list only orders:
 * what an entry costs, when to evict and what eviction frees stay with
 * each cache.
 *
 * Invariants: head is the most recently used node, tail the least; a node
 * is on at most one list, and a node not on a list has prev = next =
 * NULL (sg_lru_unlink leaves it so). Not thread-safe: the owning cache's
 * lock covers its list.
 *
 * Ownership: the list owns nothing; nodes belong to their entries, which
 * must be unlinked before they are freed.
 */
#ifndef SG_SERVE_LRU_H
#define SG_SERVE_LRU_H

#include <stddef.h>

typedef struct sg_lru_node {
    struct sg_lru_node *prev, *next; /* towards the head (newer) / the tail (older) */
} sg_lru_node;

typedef struct sg_lru {
    sg_lru_node *head, *tail; /* most / least recently used; both NULL when empty */
} sg_lru;

/* The entry of type `type` whose member `member` is node (node not NULL). */
#define SG_LRU_ENTRY(node, type, member) ((type *)(void *)((char *)(node)-offsetof(type, member)))

/* Link n (on no list) as the most recently used. */
void sg_lru_push_front(sg_lru *l, sg_lru_node *n);
/* Take n (on l) off the list. */
void sg_lru_unlink(sg_lru *l, sg_lru_node *n);
/* Make n (on l) the most recently used. */
void sg_lru_touch(sg_lru *l, sg_lru_node *n);

#endif
