/*
 * call_tree.c — top-down and inverted call trees with a node budget (see
 * call_tree.h).
 *
 * A node is known by its "entries": the transformed stack rows that sit at
 * its path, each with the weight it brings. Top-down, an entry is a row and
 * its subtree weight, and the node's children come from the rows' children
 * (a CSR list built once). Inverted, an entry is a row reached from some
 * leaf (newest frame) by walking parents, with the leaf's self weight; the
 * children come from the rows' parents. Either way a node's children are
 * its entries' next rows grouped by frame (children(): gather, sort by
 * (frame, row), group, order the groups like the output), so nodes are
 * only ever built below nodes that are kept.
 *
 * Two ways to choose the nodes:
 *   - no node limit (the whole tree, or everything above min_weight):
 *     breadth first, level by level, straight into the output. Every node
 *     at or above min_weight is kept and the rest of a parent's children
 *     fold into its "other" node; only two levels of entries are held at a
 *     time. Cost: linear in the rows below the kept nodes plus a sort of
 *     each node's children (almost always a handful).
 *   - a node limit: best first. The root is chosen; choosing a node builds
 *     its children as candidates on a heap ordered like the output (total
 *     desc, name, file, frame, creation). A node with children reserves
 *     one slot for its possible "other" node, released when all its
 *     children are chosen, so chosen + reserved never exceeds the budget
 *     and the final tree (chosen nodes + one "other" per parent with
 *     unchosen children) fits. The output is laid out breadth first.
 * Both give the same tree when the limit is not reached: the heaviest
 * connected top, children in output order, "other" last.
 */
#include "analyze/call_tree.h"

#include <stdlib.h>
#include <string.h>

#include "profile/sort.h"

/* Below this many items a sort is an insertion sort: most nodes have a
 * handful of children, and a call to a general sort would cost more. */
#define SMALL_SORT 24

typedef struct entry {
    uint32_t row;
    uint32_t frame;
    uint64_t w;
} entry;

/* One child of the node being expanded: the entries scratch[first, first
 * + count) share its frame. */
typedef struct group {
    uint32_t frame;
    uint64_t total, self;
    size_t first, count;
} group;

typedef struct inode {
    uint32_t frame, parent, depth;
    uint64_t total, self;
    size_t entry_first, entry_count;
    uint32_t child_first, child_count; /* candidates, once expanded */
    uint32_t chosen_children;
    bool expanded, chosen, reserved;
} inode;

/* A growable array of entries. */
typedef struct entries {
    entry *at;
    size_t count, cap;
} entries;

typedef struct builder {
    const sg_view_resolved *rv;
    const sg_stacks *st;
    bool inverted;
    uint32_t *start, *child; /* top-down: children of row r, roots in list m */
    uint64_t *sub;           /* top-down: subtree weight per row */
    entries scratch;         /* children(): the gathered next rows */
    group *groups;           /* children(): the result, in output order */
    size_t group_count, group_cap;
    uint32_t *order; /* children(): sort scratch for many groups */
    group *sorted;
    size_t order_cap;
    /* best first only */
    inode *nodes;
    uint32_t count, cap;
    entries held; /* the entries of every inode */
} builder;

static int entries_fit(entries *e, size_t extra)
{
    if (e->count + extra <= e->cap)
        return SG_PROFILE_OK;
    size_t cap = e->cap == 0 ? 1024 : e->cap;
    while (cap < e->count + extra)
        cap *= 2;
    entry *g = realloc(e->at, cap * sizeof *g);
    if (g == NULL)
        return SG_PROFILE_ENOMEM;
    e->at = g;
    e->cap = cap;
    return SG_PROFILE_OK;
}

static inline int push_scratch(builder *b, uint32_t row, uint64_t w)
{
    if (b->scratch.count == b->scratch.cap && entries_fit(&b->scratch, 1) != 0)
        return SG_PROFILE_ENOMEM;
    b->scratch.at[b->scratch.count++] = (entry){row, b->st->rows[row].frame, w};
    return SG_PROFILE_OK;
}

static int by_frame_row(const void *x, const void *y)
{
    const entry *a = x, *c = y;
    if (a->frame != c->frame)
        return a->frame < c->frame ? -1 : 1;
    return (a->row > c->row) - (a->row < c->row);
}

static void sort_entries(entry *e, size_t n)
{
    if (n > SMALL_SORT) {
        qsort(e, n, sizeof *e, by_frame_row);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        entry x = e[i];
        size_t j = i;
        for (; j > 0 && by_frame_row(&e[j - 1], &x) > 0; j--)
            e[j] = e[j - 1];
        e[j] = x;
    }
}

static int name_order(const sg_profile *p, uint32_t fa, uint32_t fb)
{
    if (fa == fb)
        return 0;
    const sg_frame *a = &p->frames.rows[fa], *c = &p->frames.rows[fb];
    int d = strcmp(sg_strings_get(&p->strings, a->name), sg_strings_get(&p->strings, c->name));
    if (d == 0)
        d = strcmp(sg_strings_get(&p->strings, a->file), sg_strings_get(&p->strings, c->file));
    if (d == 0)
        d = fa < fb ? -1 : 1;
    return d;
}

/* Output order of siblings: heavier first, then by name (frames differ). */
static int group_order(const builder *b, const group *x, const group *y)
{
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return name_order(b->rv->profile, x->frame, y->frame);
}

static int group_cmp(uint32_t x, uint32_t y, const void *ctx)
{
    const builder *b = ctx;
    return group_order(b, &b->groups[x], &b->groups[y]);
}

static int sort_groups(builder *b)
{
    size_t n = b->group_count;
    if (n <= SMALL_SORT) {
        for (size_t i = 1; i < n; i++) {
            group x = b->groups[i];
            size_t j = i;
            for (; j > 0 && group_order(b, &b->groups[j - 1], &x) > 0; j--)
                b->groups[j] = b->groups[j - 1];
            b->groups[j] = x;
        }
        return SG_PROFILE_OK;
    }
    if (n > b->order_cap) {
        free(b->order);
        free(b->sorted);
        b->order = malloc(n * sizeof *b->order);
        b->sorted = malloc(n * sizeof *b->sorted);
        b->order_cap = b->order == NULL || b->sorted == NULL ? 0 : n;
        if (b->order_cap == 0)
            return SG_PROFILE_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        b->order[i] = (uint32_t)i;
    int rc = sg_sort_u32(b->order, n, group_cmp, b);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        b->sorted[i] = b->groups[b->order[i]];
    memcpy(b->groups, b->sorted, n * sizeof *b->groups);
    return SG_PROFILE_OK;
}

static int push_group(builder *b, group g)
{
    if (b->group_count == b->group_cap) {
        size_t cap = b->group_cap == 0 ? 256 : b->group_cap * 2;
        group *a = realloc(b->groups, cap * sizeof *a);
        if (a == NULL)
            return SG_PROFILE_ENOMEM;
        b->groups = a;
        b->group_cap = cap;
    }
    b->groups[b->group_count++] = g;
    return SG_PROFILE_OK;
}

/* The next rows of n entries into scratch; all_rows: the inverted root,
 * whose entries are every row with self weight. */
static int gather(builder *b, const entry *ents, size_t n, bool all_rows)
{
    b->scratch.count = 0;
    int rc = SG_PROFILE_OK;
    if (all_rows) {
        for (uint32_t r = 0; r < b->st->count && rc == 0; r++)
            if (b->rv->row_weight[r] != 0)
                rc = push_scratch(b, r, b->rv->row_weight[r]);
        return rc;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (b->inverted) {
            uint32_t parent = b->st->rows[ents[i].row].parent;
            if (parent != SG_STACK_NONE)
                rc = push_scratch(b, parent, ents[i].w);
            continue;
        }
        uint32_t row = ents[i].row;
        for (uint32_t k = b->start[row]; k < b->start[row + 1] && rc == 0; k++)
            if (b->sub[b->child[k]] != 0)
                rc = push_scratch(b, b->child[k], b->sub[b->child[k]]);
    }
    return rc;
}

/* The children of the node with entries ents[0, n): b->groups, in output
 * order, each naming its entries in b->scratch. */
static int children(builder *b, const entry *ents, size_t n, bool all_rows)
{
    b->group_count = 0;
    int rc = gather(b, ents, n, all_rows);
    if (rc != 0)
        return rc;
    entry *s = b->scratch.at;
    size_t count = b->scratch.count;
    sort_entries(s, count);
    size_t k = 0; /* merge equal rows (inverted paths that meet again) */
    for (size_t i = 0; i < count; i++) {
        if (k > 0 && s[k - 1].row == s[i].row)
            s[k - 1].w += s[i].w;
        else
            s[k++] = s[i];
    }
    b->scratch.count = k;
    for (size_t i = 0; i < k && rc == 0;) {
        group g = {.frame = s[i].frame, .first = i};
        for (; i < k && s[i].frame == g.frame; i++) {
            g.total += s[i].w;
            if (!b->inverted)
                g.self += b->rv->row_weight[s[i].row];
            else if (b->st->rows[s[i].row].parent == SG_STACK_NONE)
                g.self += s[i].w;
        }
        g.count = i - g.first;
        rc = push_group(b, g);
    }
    return rc == 0 ? sort_groups(b) : rc;
}

/* ---- the root, and the path to the node to expand ----------------------- */

typedef struct start_node {
    uint32_t frame, depth;
    uint64_t total, self;
    bool all_rows; /* the inverted root: entries are implicit */
    entries ents;  /* its entries (owned) */
    bool found;    /* false: the path does not exist */
} start_node;

static int walk_path(builder *b, const uint32_t *path, size_t path_len, start_node *s)
{
    const sg_view_resolved *rv = b->rv;
    *s = (start_node){.frame = SG_TREE_ROOT_FRAME,
                      .total = rv->total_weight,
                      .self = rv->empty_weight,
                      .all_rows = b->inverted,
                      .found = true};
    int rc = SG_PROFILE_OK;
    if (!b->inverted) { /* the virtual row m: its children are the roots */
        if ((rc = entries_fit(&s->ents, 1)) != 0)
            return rc;
        s->ents.at[s->ents.count++] = (entry){b->st->count, 0, rv->total_weight};
    }
    for (size_t i = 0; i < path_len; i++) {
        if ((rc = children(b, s->ents.at, s->ents.count, s->all_rows)) != 0)
            return rc;
        const group *g = NULL;
        for (size_t k = 0; k < b->group_count && g == NULL; k++)
            if (b->groups[k].frame == path[i])
                g = &b->groups[k];
        if (g == NULL) {
            s->found = false;
            return SG_PROFILE_OK;
        }
        s->ents.count = 0;
        if ((rc = entries_fit(&s->ents, g->count)) != 0)
            return rc;
        memcpy(s->ents.at, &b->scratch.at[g->first], g->count * sizeof *s->ents.at);
        s->ents.count = g->count;
        s->frame = g->frame;
        s->total = g->total;
        s->self = g->self;
        s->depth = (uint32_t)(i + 1);
        s->all_rows = false;
    }
    return SG_PROFILE_OK;
}

/* ---- no node limit: depth first, straight into the output -------------- */

typedef struct out_nodes {
    sg_tree_node *at;
    uint32_t count, cap;
} out_nodes;

static int out_push(out_nodes *o, sg_tree_node n)
{
    if (o->count == o->cap) {
        uint32_t cap = o->cap == 0 ? 1024 : o->cap * 2;
        if (cap <= o->cap)
            return SG_PROFILE_ELIMIT;
        sg_tree_node *g = realloc(o->at, (size_t)cap * sizeof *g);
        if (g == NULL)
            return SG_PROFILE_ENOMEM;
        o->at = g;
        o->cap = cap;
    }
    o->at[o->count++] = n;
    return SG_PROFILE_OK;
}

/* A node whose children are still to be built, and where its entries are
 * on the entry stack. */
typedef struct pending {
    uint32_t q;
    size_t first, count;
} pending;

typedef struct todo {
    pending *at;
    size_t count, cap;
} todo;

static int todo_push(todo *t, pending p)
{
    if (t->count == t->cap) {
        size_t cap = t->cap == 0 ? 256 : t->cap * 2;
        pending *g = realloc(t->at, cap * sizeof *g);
        if (g == NULL)
            return SG_PROFILE_ENOMEM;
        t->at = g;
        t->cap = cap;
    }
    t->at[t->count++] = p;
    return SG_PROFILE_OK;
}

/* Build output node q's children block from its entries e[0, n): its kept
 * children in output order, then "other" for the children below min_w.
 * The kept children that have children of their own are pushed on `t`
 * (first child on top), their entries on `stack`. */
static int expand_out(builder *b, out_nodes *o, uint32_t q, const entry *e, size_t n, bool all_rows,
                      uint64_t min_w, entries *stack, todo *t)
{
    int rc = children(b, e, n, all_rows);
    if (rc != 0)
        return rc;
    uint32_t first = o->count, folded = 0, depth = o->at[q].depth + 1;
    uint64_t other = 0;
    size_t kept = 0;
    for (size_t k = 0; k < b->group_count && rc == 0; k++) {
        const group *g = &b->groups[k];
        if (g->total < min_w || g->total == 0) {
            other += g->total;
            folded++;
            continue;
        }
        kept++;
        rc = out_push(o, (sg_tree_node){.frame = g->frame,
                                        .parent = q,
                                        .depth = depth,
                                        .self = g->self,
                                        .total = g->total});
    }
    if (rc == 0 && folded > 0)
        rc = out_push(o, (sg_tree_node){.frame = SG_TREE_OTHER_FRAME,
                                        .parent = q,
                                        .depth = depth,
                                        .folded = folded,
                                        .self = other,
                                        .total = other});
    o->at[q].first_child = first;
    o->at[q].child_count = o->count - first;
    /* kept groups are the first `kept` (the lighter ones fold, and groups
     * are heaviest first); push them last to first */
    for (size_t k = kept; k-- > 0 && rc == 0;) {
        const group *g = &b->groups[k];
        if (g->total <= g->self)
            continue;
        if ((rc = entries_fit(stack, g->count)) != 0)
            break;
        memcpy(&stack->at[stack->count], &b->scratch.at[g->first], g->count * sizeof *e);
        rc = todo_push(t, (pending){first + (uint32_t)k, stack->count, g->count});
        stack->count += g->count;
    }
    return rc;
}

static int depth_first(builder *b, start_node *s, uint64_t min_w, sg_call_tree *out)
{
    out_nodes o = {0};
    entries stack = {0};
    todo t = {0};
    int rc = out_push(&o, (sg_tree_node){.frame = s->frame,
                                         .parent = SG_TREE_NONE,
                                         .depth = s->depth,
                                         .self = s->self,
                                         .total = s->total});
    if (rc == 0 && s->total > s->self)
        rc = expand_out(b, &o, 0, s->ents.at, s->ents.count, s->all_rows, min_w, &stack, &t);
    while (rc == 0 && t.count > 0) {
        pending p = t.at[--t.count];
        /* p's entries are the top of the stack (its descendants pushed
         * theirs above and are done); children() copies what it needs to
         * scratch before anything is pushed over them */
        stack.count = p.first;
        rc = expand_out(b, &o, p.q, &stack.at[p.first], p.count, false, min_w, &stack, &t);
    }
    free(stack.at);
    free(t.at);
    out->nodes = o.at;
    out->count = o.count;
    return rc;
}

/* ---- a node limit: best first ------------------------------------------- */

static int new_node(builder *b, uint32_t *id)
{
    if (b->count == b->cap) {
        uint32_t cap = b->cap == 0 ? 256 : b->cap * 2;
        if (cap < b->cap)
            return SG_PROFILE_ELIMIT;
        inode *g = realloc(b->nodes, (size_t)cap * sizeof *g);
        if (g == NULL)
            return SG_PROFILE_ENOMEM;
        b->nodes = g;
        b->cap = cap;
    }
    memset(&b->nodes[b->count], 0, sizeof b->nodes[b->count]);
    *id = b->count++;
    return SG_PROFILE_OK;
}

/* Output order: heavier first, then by name; ties by creation. */
static int node_order(const builder *b, uint32_t x, uint32_t y)
{
    const inode *a = &b->nodes[x], *c = &b->nodes[y];
    if (a->total != c->total)
        return a->total > c->total ? -1 : 1;
    int d = name_order(b->rv->profile, a->frame, c->frame);
    return d != 0 ? d : (x > y) - (x < y);
}

/* Build node n's children as candidates, in output order. */
static int expand(builder *b, uint32_t n, bool all_rows)
{
    if (b->nodes[n].expanded)
        return SG_PROFILE_OK;
    /* A node with no entries (an empty focus) has no held rows at all. */
    const uint32_t count = b->nodes[n].entry_count;
    int rc = children(b, count ? &b->held.at[b->nodes[n].entry_first] : NULL, count, all_rows);
    if (rc == 0)
        rc = entries_fit(&b->held, b->scratch.count);
    uint32_t first = b->count;
    for (size_t k = 0; k < b->group_count && rc == 0; k++) {
        const group *g = &b->groups[k];
        uint32_t id;
        if ((rc = new_node(b, &id)) != 0)
            break;
        inode *c = &b->nodes[id];
        c->frame = g->frame;
        c->parent = n;
        c->depth = b->nodes[n].depth + 1;
        c->total = g->total;
        c->self = g->self;
        c->entry_first = b->held.count;
        c->entry_count = g->count;
        memcpy(&b->held.at[b->held.count], &b->scratch.at[g->first], g->count * sizeof *b->held.at);
        b->held.count += g->count;
    }
    b->nodes[n].expanded = true;
    b->nodes[n].child_first = first;
    b->nodes[n].child_count = b->count - first;
    return rc;
}

typedef struct heap {
    uint32_t *ids;
    size_t count, cap;
} heap;

static bool before(const builder *b, uint32_t x, uint32_t y)
{
    return node_order(b, x, y) < 0;
}

static int heap_push(heap *h, const builder *b, uint32_t id)
{
    if (h->count == h->cap) {
        size_t cap = h->cap == 0 ? 256 : h->cap * 2;
        uint32_t *g = realloc(h->ids, cap * sizeof *g);
        if (g == NULL)
            return SG_PROFILE_ENOMEM;
        h->ids = g;
        h->cap = cap;
    }
    size_t i = h->count++;
    while (i > 0 && before(b, id, h->ids[(i - 1) / 2])) {
        h->ids[i] = h->ids[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->ids[i] = id;
    return SG_PROFILE_OK;
}

static uint32_t heap_pop(heap *h, const builder *b)
{
    uint32_t top = h->ids[0], last = h->ids[--h->count];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        uint32_t best = last;
        if (l < h->count && before(b, h->ids[l], best)) {
            m = l;
            best = h->ids[l];
        }
        if (r < h->count && before(b, h->ids[r], best))
            m = r;
        if (m == i)
            break;
        h->ids[i] = h->ids[m];
        i = m;
    }
    if (h->count > 0)
        h->ids[i] = last;
    return top;
}

static int choose(builder *b, uint32_t root, bool root_all_rows, const sg_tree_budget *budget)
{
    uint64_t max = budget->max_nodes < 2 ? 2 : budget->max_nodes;
    uint64_t min_w = budget->min_weight;
    heap h = {0};
    int rc = SG_PROFILE_OK;
    uint64_t used = 1;
    b->nodes[root].chosen = true;
    uint32_t next = root;
    bool have = true;
    while (rc == 0 && have) {
        inode *n = &b->nodes[next];
        if (n->total > n->self) {
            if ((rc = expand(b, next, next == root && root_all_rows)) != 0)
                break;
            n = &b->nodes[next];
            n->reserved = n->child_count > 0;
            used += n->reserved;
            for (uint32_t c = 0; c < n->child_count && rc == 0; c++)
                rc = heap_push(&h, b, n->child_first + c);
        }
        have = false;
        while (rc == 0 && h.count > 0 && used < max) {
            uint32_t id = heap_pop(&h, b);
            inode *c = &b->nodes[id];
            if (c->total < min_w || c->total == 0) {
                h.count = 0; /* every other candidate is lighter */
                break;
            }
            uint64_t need = 1 + (c->total > c->self);
            inode *par = &b->nodes[c->parent];
            bool frees = par->chosen_children + 1 == par->child_count;
            if (used + need - frees > max)
                continue;
            c->chosen = true;
            par->chosen_children++;
            if (frees && par->reserved) {
                par->reserved = false;
                used--;
            }
            used++;
            next = id;
            have = true;
            break;
        }
    }
    free(h.ids);
    return rc;
}

static int layout(builder *b, uint32_t root, sg_call_tree *out)
{
    uint32_t cap = 0;
    for (uint32_t i = 0; i < b->count; i++)
        if (b->nodes[i].chosen)
            cap += 1 + (b->nodes[i].chosen_children < b->nodes[i].child_count);
    out->nodes = malloc(((size_t)cap + 1) * sizeof *out->nodes);
    uint32_t *src = malloc(((size_t)cap + 1) * sizeof *src);
    if (out->nodes == NULL || src == NULL) {
        free(src);
        return SG_PROFILE_ENOMEM;
    }
    const inode *r = &b->nodes[root];
    out->nodes[0] = (sg_tree_node){.frame = r->frame,
                                   .parent = SG_TREE_NONE,
                                   .depth = r->depth,
                                   .self = r->self,
                                   .total = r->total};
    uint32_t count = 1;
    /* breadth first: the output itself is the queue */
    src[0] = root;
    for (uint32_t q = 0; q < count; q++) {
        if (out->nodes[q].frame == SG_TREE_OTHER_FRAME)
            continue;
        const inode *n = &b->nodes[src[q]];
        out->nodes[q].first_child = count;
        uint64_t other = 0;
        uint32_t folded = 0;
        for (uint32_t c = 0; c < n->child_count; c++) {
            const inode *ch = &b->nodes[n->child_first + c];
            if (!ch->chosen) {
                other += ch->total;
                folded++;
                continue;
            }
            src[count] = n->child_first + c;
            out->nodes[count++] = (sg_tree_node){.frame = ch->frame,
                                                 .parent = q,
                                                 .depth = ch->depth,
                                                 .self = ch->self,
                                                 .total = ch->total};
        }
        if (folded > 0 || (!n->expanded && n->total > n->self)) {
            if (!n->expanded)
                other = n->total - n->self;
            src[count] = UINT32_MAX;
            out->nodes[count++] = (sg_tree_node){.frame = SG_TREE_OTHER_FRAME,
                                                 .parent = q,
                                                 .depth = n->depth + 1,
                                                 .folded = folded,
                                                 .self = other,
                                                 .total = other};
        }
        out->nodes[q].child_count = count - out->nodes[q].first_child;
    }
    out->count = count;
    free(src);
    return SG_PROFILE_OK;
}

static int best_first(builder *b, start_node *s, const sg_tree_budget *budget, sg_call_tree *out)
{
    uint32_t root;
    int rc = new_node(b, &root);
    if (rc == 0)
        rc = entries_fit(&b->held, s->ents.count);
    if (rc != 0)
        return rc;
    inode *r = &b->nodes[root];
    r->frame = s->frame;
    r->parent = SG_TREE_NONE;
    r->depth = s->depth;
    r->total = s->total;
    r->self = s->self;
    r->entry_first = 0;
    r->entry_count = s->ents.count;
    if (s->ents.count > 0)
        memcpy(b->held.at, s->ents.at, s->ents.count * sizeof *b->held.at);
    b->held.count = s->ents.count;
    rc = choose(b, root, s->all_rows, budget);
    return rc == 0 ? layout(b, root, out) : rc;
}

/* ---- the top-down row forest -------------------------------------------- */

static int forest(builder *b)
{
    uint32_t m = b->st->count;
    b->sub = malloc(((size_t)m + 1) * sizeof *b->sub);
    b->start = calloc((size_t)m + 3, sizeof *b->start);
    b->child = malloc(((size_t)m + 1) * sizeof *b->child);
    if (b->sub == NULL || b->start == NULL || b->child == NULL)
        return SG_PROFILE_ENOMEM;
    memcpy(b->sub, b->rv->row_weight, (size_t)m * sizeof *b->sub);
    b->sub[m] = 0;
    for (uint32_t r = m; r-- > 0;) {
        uint32_t parent = b->st->rows[r].parent;
        b->sub[parent == SG_STACK_NONE ? m : parent] += b->sub[r];
    }
    for (uint32_t r = 0; r < m; r++) {
        uint32_t parent = b->st->rows[r].parent;
        b->start[(parent == SG_STACK_NONE ? m : parent) + 1]++;
    }
    for (uint32_t i = 0; i <= m; i++)
        b->start[i + 1] += b->start[i];
    for (uint32_t r = 0; r < m; r++) {
        uint32_t parent = b->st->rows[r].parent;
        b->child[b->start[parent == SG_STACK_NONE ? m : parent]++] = r;
    }
    for (uint32_t i = m + 1; i > 0; i--)
        b->start[i] = b->start[i - 1];
    b->start[0] = 0;
    return SG_PROFILE_OK;
}

int sg_call_tree_build(const sg_view_resolved *rv, bool inverted, const uint32_t *path,
                       size_t path_len, const sg_tree_budget *budget, sg_call_tree *out)
{
    memset(out, 0, sizeof *out);
    out->inverted = inverted;
    out->total_weight = rv->total_weight;
    out->total_samples = rv->total_samples;
    builder b = {.rv = rv, .st = rv->stacks, .inverted = inverted};
    start_node s = {0};
    int rc = inverted ? SG_PROFILE_OK : forest(&b);
    if (rc == 0)
        rc = walk_path(&b, path, path_len, &s);
    if (rc == 0 && s.found) {
        if (budget == NULL || budget->max_nodes == 0)
            rc = depth_first(&b, &s, budget == NULL ? 0 : budget->min_weight, out);
        else
            rc = best_first(&b, &s, budget, out);
    }
    free(s.ents.at);
    free(b.sub);
    free(b.start);
    free(b.child);
    free(b.scratch.at);
    free(b.groups);
    free(b.order);
    free(b.sorted);
    free(b.nodes);
    free(b.held.at);
    if (rc != 0)
        sg_call_tree_free(out);
    return rc;
}

void sg_call_tree_free(sg_call_tree *t)
{
    free(t->nodes);
    memset(t, 0, sizeof *t);
}
