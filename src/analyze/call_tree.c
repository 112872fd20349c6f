/*
 * call_tree.c — top-down and inverted call trees with a node budget (see
 * call_tree.h).
 *
 * A node is materialised with its "entries": the transformed stack rows
 * that sit at its path, each with the weight it brings. Top-down, an entry
 * is a row and its subtree weight, and the node's children come from the
 * rows' children (a CSR list built once). Inverted, an entry is a row
 * reached from some leaf (newest frame) by walking parents, with the leaf's
 * self weight; the children come from the rows' parents. Either way a
 * node's children are its entries' next rows grouped by frame (one sort of
 * (frame, row) pairs), so nodes are only built for chosen parents.
 *
 * Choosing: best first. The root is chosen; choosing a node builds its
 * children as candidates on a heap ordered like the output (total desc,
 * name, file, frame, creation). A node with children reserves one slot
 * for its possible "other" node, released when all its children are
 * chosen, so chosen + reserved never exceeds the budget and the final
 * tree (chosen nodes + one "other" per parent with unchosen children)
 * fits. The output is laid out breadth first from the root.
 */
#include "analyze/call_tree.h"

#include <stdlib.h>
#include <string.h>

#include "profile/sort.h"

typedef struct entry {
    uint32_t row;
    uint32_t frame;
    uint64_t w;
} entry;

typedef struct inode {
    uint32_t frame, parent, depth;
    uint64_t total, self;
    size_t entry_first, entry_count;
    uint32_t child_first, child_count; /* candidates, once expanded */
    uint32_t chosen_children;
    bool expanded, chosen, reserved;
    uint32_t out; /* index in the output */
} inode;

typedef struct builder {
    const sg_view_resolved *rv;
    const sg_stacks *st;
    bool inverted;
    uint32_t *start, *child; /* top-down: children of row r, roots in list m */
    uint64_t *sub;           /* top-down: subtree weight per row */
    inode *nodes;
    uint32_t count, cap;
    entry *entries;
    size_t entry_count, entry_cap;
    entry *scratch;
    size_t scratch_count, scratch_cap;
} builder;

static int push_scratch(builder *b, uint32_t row, uint64_t w)
{
    if (b->scratch_count == b->scratch_cap) {
        size_t cap = b->scratch_cap == 0 ? 1024 : b->scratch_cap * 2;
        entry *g = realloc(b->scratch, cap * sizeof *g);
        if (g == NULL)
            return SG_PROFILE_ENOMEM;
        b->scratch = g;
        b->scratch_cap = cap;
    }
    b->scratch[b->scratch_count++] = (entry){row, b->st->rows[row].frame, w};
    return SG_PROFILE_OK;
}

static int by_frame_row(const void *x, const void *y)
{
    const entry *a = x, *c = y;
    if (a->frame != c->frame)
        return a->frame < c->frame ? -1 : 1;
    return (a->row > c->row) - (a->row < c->row);
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

/* Output order: heavier first, then by name; ties by creation. */
static int node_order(const builder *b, uint32_t x, uint32_t y)
{
    const inode *a = &b->nodes[x], *c = &b->nodes[y];
    if (a->total != c->total)
        return a->total > c->total ? -1 : 1;
    int d = name_order(b->rv->profile, a->frame, c->frame);
    return d != 0 ? d : (x > y) - (x < y);
}

static int node_cmp(uint32_t x, uint32_t y, const void *ctx)
{
    return node_order(ctx, x, y);
}

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

static int reserve_entries(builder *b, size_t extra)
{
    if (b->entry_count + extra <= b->entry_cap)
        return SG_PROFILE_OK;
    size_t cap = b->entry_cap == 0 ? 1024 : b->entry_cap;
    while (cap < b->entry_count + extra)
        cap *= 2;
    entry *g = realloc(b->entries, cap * sizeof *g);
    if (g == NULL)
        return SG_PROFILE_ENOMEM;
    b->entries = g;
    b->entry_cap = cap;
    return SG_PROFILE_OK;
}

/* The next rows of node n's entries, into scratch. */
static int gather(builder *b, uint32_t n)
{
    b->scratch_count = 0;
    const inode *node = &b->nodes[n];
    uint32_t m = b->st->count;
    int rc = SG_PROFILE_OK;
    if (b->inverted && node->parent == SG_TREE_NONE && node->frame == SG_TREE_ROOT_FRAME) {
        for (uint32_t r = 0; r < m && rc == 0; r++)
            if (b->rv->row_weight[r] != 0)
                rc = push_scratch(b, r, b->rv->row_weight[r]);
        return rc;
    }
    for (size_t i = 0; i < node->entry_count && rc == 0; i++) {
        const entry *e = &b->entries[node->entry_first + i];
        if (b->inverted) {
            uint32_t parent = b->st->rows[e->row].parent;
            if (parent != SG_STACK_NONE)
                rc = push_scratch(b, parent, e->w);
            continue;
        }
        for (uint32_t k = b->start[e->row]; k < b->start[e->row + 1] && rc == 0; k++)
            if (b->sub[b->child[k]] != 0)
                rc = push_scratch(b, b->child[k], b->sub[b->child[k]]);
    }
    return rc;
}

/* Build node n's children as candidates, sorted in output order. */
static int expand(builder *b, uint32_t n)
{
    if (b->nodes[n].expanded)
        return SG_PROFILE_OK;
    int rc = gather(b, n);
    if (rc != 0)
        return rc;
    qsort(b->scratch, b->scratch_count, sizeof *b->scratch, by_frame_row);
    /* merge equal rows (inverted paths that meet again) */
    size_t k = 0;
    for (size_t i = 0; i < b->scratch_count; i++) {
        if (k > 0 && b->scratch[k - 1].row == b->scratch[i].row)
            b->scratch[k - 1].w += b->scratch[i].w;
        else
            b->scratch[k++] = b->scratch[i];
    }
    b->scratch_count = k;
    if ((rc = reserve_entries(b, k)) != 0)
        return rc;
    uint32_t first = b->count;
    for (size_t i = 0; i < k;) {
        size_t j = i;
        uint32_t id;
        if ((rc = new_node(b, &id)) != 0)
            return rc;
        inode *c = &b->nodes[id];
        c->frame = b->scratch[i].frame;
        c->parent = n;
        c->depth = b->nodes[n].depth + 1;
        c->entry_first = b->entry_count;
        for (; j < k && b->scratch[j].frame == c->frame; j++) {
            const entry *e = &b->scratch[j];
            c->total += e->w;
            if (!b->inverted)
                c->self += b->rv->row_weight[e->row];
            else if (b->st->rows[e->row].parent == SG_STACK_NONE)
                c->self += e->w;
            b->entries[b->entry_count++] = *e;
        }
        c->entry_count = b->entry_count - c->entry_first;
        i = j;
    }
    /* sort the new nodes in place: sort ids, then permute */
    uint32_t cnt = b->count - first;
    uint32_t *ids = malloc(((size_t)cnt + 1) * sizeof *ids);
    inode *tmp = malloc(((size_t)cnt + 1) * sizeof *tmp);
    if (ids == NULL || tmp == NULL) {
        free(ids);
        free(tmp);
        return SG_PROFILE_ENOMEM;
    }
    for (uint32_t i = 0; i < cnt; i++)
        ids[i] = first + i;
    rc = sg_sort_u32(ids, cnt, node_cmp, b);
    for (uint32_t i = 0; rc == 0 && i < cnt; i++)
        tmp[i] = b->nodes[ids[i]];
    if (rc == 0 && cnt > 0)
        memcpy(&b->nodes[first], tmp, (size_t)cnt * sizeof *tmp);
    free(ids);
    free(tmp);
    b->nodes[n].expanded = true;
    b->nodes[n].child_first = first;
    b->nodes[n].child_count = cnt;
    return rc;
}

/* ---- the heap of candidates --------------------------------------------- */

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

/* ---- choosing and laying out -------------------------------------------- */

static int choose(builder *b, uint32_t root, const sg_tree_budget *budget)
{
    uint64_t max = budget == NULL || budget->max_nodes == 0 ? UINT64_MAX : budget->max_nodes;
    uint64_t min_w = budget == NULL ? 0 : budget->min_weight;
    heap h = {0};
    int rc = SG_PROFILE_OK;
    uint64_t used = 1;
    b->nodes[root].chosen = true;
    uint32_t next = root;
    bool have = true;
    while (rc == 0 && have) {
        inode *n = &b->nodes[next];
        if (n->total > n->self) {
            if ((rc = expand(b, next)) != 0)
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
    if (out->nodes == NULL)
        return SG_PROFILE_ENOMEM;
    const inode *r = &b->nodes[root];
    out->nodes[0] = (sg_tree_node){.frame = r->frame,
                                   .parent = SG_TREE_NONE,
                                   .depth = r->depth,
                                   .self = r->self,
                                   .total = r->total};
    b->nodes[root].out = 0;
    uint32_t count = 1;
    /* breadth first: the output itself is the queue */
    uint32_t *src = malloc(((size_t)cap + 1) * sizeof *src);
    if (src == NULL)
        return SG_PROFILE_ENOMEM;
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
    uint32_t root;
    int rc = SG_PROFILE_OK;
    if (!inverted)
        rc = forest(&b);
    if (rc == 0)
        rc = new_node(&b, &root);
    if (rc == 0) {
        inode *r = &b.nodes[root];
        r->frame = SG_TREE_ROOT_FRAME;
        r->parent = SG_TREE_NONE;
        r->total = rv->total_weight;
        r->self = rv->empty_weight;
        if (!inverted) {
            rc = reserve_entries(&b, 1);
            if (rc == 0) {
                r->entry_first = b.entry_count;
                r->entry_count = 1;
                b.entries[b.entry_count++] = (entry){b.st->count, 0, rv->total_weight};
            }
        }
    }
    for (size_t i = 0; rc == 0 && i < path_len; i++) {
        if ((rc = expand(&b, root)) != 0)
            break;
        uint32_t found = SG_TREE_NONE;
        for (uint32_t c = 0; c < b.nodes[root].child_count; c++)
            if (b.nodes[b.nodes[root].child_first + c].frame == path[i])
                found = b.nodes[root].child_first + c;
        if (found == SG_TREE_NONE)
            goto out; /* no such path: an empty tree */
        root = found;
        b.nodes[root].parent = SG_TREE_NONE;
    }
    if (rc == 0)
        rc = choose(&b, root, budget);
    if (rc == 0)
        rc = layout(&b, root, out);
out:
    free(b.sub);
    free(b.start);
    free(b.child);
    free(b.nodes);
    free(b.entries);
    free(b.scratch);
    if (rc != 0)
        sg_call_tree_free(out);
    return rc;
}

void sg_call_tree_free(sg_call_tree *t)
{
    free(t->nodes);
    memset(t, 0, sizeof *t);
}
