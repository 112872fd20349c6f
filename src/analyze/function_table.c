/*
 * function_table.c — self and total per function, line, file or package
 * (see function_table.h).
 *
 * Every grouping is a key per stack row (row_key): the frame, the
 * (frame, line) pair, the frame's file or its package. Self sums the row
 * weights by key; total is stack_forest's once-per-sample sum. A profile
 * with call statistics (pstats) reads its numbers from p->callstats
 * instead, and its samples are not read.
 */
#include "analyze/function_table.h"

#include <stdlib.h>
#include <string.h>

#include "profile/hash.h"
#include "profile/sort.h"
#include "profile/stack_forest.h"
#include "analyze/view.h"

#define UNSET UINT32_MAX

typedef struct keyset {
    uint32_t *of_row;    /* per stack row: its key */
    uint32_t *of_frame;  /* per frame: its key where that does not depend on the line */
    sg_ftable_row *info; /* per key: what identifies it (self/total zero) */
    uint32_t count, cap;
} keyset;

static void keyset_free(keyset *k)
{
    free(k->of_row);
    free(k->of_frame);
    free(k->info);
}

static int new_key(keyset *k, sg_ftable_row info, uint32_t *out)
{
    if (k->count == k->cap) {
        uint32_t cap = k->cap == 0 ? 256 : k->cap * 2;
        if (cap < k->cap)
            return SG_PROFILE_ELIMIT;
        sg_ftable_row *grown = realloc(k->info, (size_t)cap * sizeof *grown);
        if (grown == NULL)
            return SG_PROFILE_ENOMEM;
        k->info = grown;
        k->cap = cap;
    }
    k->info[k->count] = info;
    *out = k->count++;
    return SG_PROFILE_OK;
}

/* Keys by (frame, line): an open-addressing index over the rows' pairs. */
static int line_keys(const sg_profile *p, const sg_stacks *st, const uint32_t *frame_package,
                     keyset *k)
{
    uint64_t *slots = NULL;
    uint32_t mask = 0;
    int rc = SG_PROFILE_OK;
    for (uint32_t r = 0; r < st->count && rc == 0; r++) {
        const sg_stack_row *row = &st->rows[r];
        if ((rc = sg_hash_index_reserve(&slots, &mask, k->count)) != 0)
            break;
        uint32_t hash = sg_hash_u32x3(row->frame, row->line, 0x11e5);
        uint32_t found = UNSET, j = hash & mask;
        for (; slots[j] != SG_HASH_EMPTY_SLOT; j = (j + 1) & mask) {
            const sg_ftable_row *in = &k->info[sg_hash_slot_id(slots[j])];
            if (sg_hash_slot_hash(slots[j]) == hash && in->frame == row->frame &&
                in->line == row->line) {
                found = sg_hash_slot_id(slots[j]);
                break;
            }
        }
        if (found == UNSET) {
            const sg_frame *f = &p->frames.rows[row->frame];
            sg_ftable_row info = {.frame = row->frame,
                                  .file = f->file,
                                  .line = row->line,
                                  .package = frame_package[row->frame]};
            if ((rc = new_key(k, info, &found)) != 0)
                break;
            sg_hash_index_insert(slots, mask, hash, found);
        }
        k->of_row[r] = found;
    }
    free(slots);
    return rc;
}

static int build_keys(const sg_profile *p, const sg_stacks *st, int by, bool from_callstats,
                      const sg_packages *pk, const uint32_t *frame_package, keyset *k)
{
    uint32_t nf = p->frames.count;
    k->of_row = malloc(((size_t)st->count + 1) * sizeof *k->of_row);
    k->of_frame = malloc(((size_t)nf + 1) * sizeof *k->of_frame);
    if (k->of_row == NULL || k->of_frame == NULL)
        return SG_PROFILE_ENOMEM;
    int rc = SG_PROFILE_OK;
    uint32_t *file_key = NULL;
    switch (by) {
    case SG_FTABLE_BY_FUNCTION:
    case SG_FTABLE_BY_LINE: /* of_frame serves call statistics, which know no lines */
        for (uint32_t f = 0; f < nf && rc == 0; f++) {
            const sg_frame *fr = &p->frames.rows[f];
            sg_ftable_row info = {
                .frame = f, .file = fr->file, .line = fr->first_line, .package = frame_package[f]};
            rc = new_key(k, info, &k->of_frame[f]);
        }
        break;
    case SG_FTABLE_BY_FILE:
        file_key = malloc(((size_t)p->strings.count + 1) * sizeof *file_key);
        if (file_key == NULL)
            return SG_PROFILE_ENOMEM;
        for (uint32_t i = 0; i < p->strings.count; i++)
            file_key[i] = UNSET;
        for (uint32_t f = 0; f < nf && rc == 0; f++) {
            uint32_t file = p->frames.rows[f].file;
            if (file_key[file] == UNSET) {
                sg_ftable_row info = {.frame = f, .file = file, .package = frame_package[f]};
                rc = new_key(k, info, &file_key[file]);
            }
            k->of_frame[f] = file_key[file];
        }
        free(file_key);
        break;
    case SG_FTABLE_BY_PACKAGE:
        for (uint32_t i = 0; i < pk->count && rc == 0; i++) {
            sg_ftable_row info = {.frame = UNSET, .package = i};
            uint32_t id;
            rc = new_key(k, info, &id);
        }
        for (uint32_t f = 0; f < nf; f++) {
            k->of_frame[f] = frame_package[f];
            if (rc == 0 && k->info[frame_package[f]].frame == UNSET)
                k->info[frame_package[f]].frame = f;
        }
        break;
    default:
        return SG_PROFILE_EINVAL;
    }
    if (rc != 0)
        return rc;
    if (by == SG_FTABLE_BY_LINE && !from_callstats) {
        k->count = 0; /* sampled: keys are the rows' (frame, line) pairs */
        return line_keys(p, st, frame_package, k);
    }
    for (uint32_t r = 0; r < st->count; r++)
        k->of_row[r] = k->of_frame[st->rows[r].frame];
    return SG_PROFILE_OK;
}

/* ---- sampled profiles --------------------------------------------------- */

static int sampled_table(const sg_view_resolved *rv, const keyset *k, sg_ftable *t, bool *listed)
{
    const sg_stacks *st = rv->stacks;
    t->total_weight = rv->total_weight;
    t->total_samples = rv->total_samples;
    for (uint32_t r = 0; r < st->count; r++)
        t->rows[k->of_row[r]].self += rv->row_weight[r];
    uint64_t *total = calloc((size_t)k->count + 1, sizeof *total);
    int rc = total == NULL ? SG_PROFILE_ENOMEM : SG_PROFILE_OK;
    if (rc == 0) {
        const uint64_t *self[1] = {rv->row_weight};
        uint64_t *totals[1] = {total};
        rc = sg_stack_forest_totals(st, k->of_row, k->count, 1, self, totals);
    }
    for (uint32_t key = 0; rc == 0 && key < k->count; key++) {
        t->rows[key].total = total[key];
        listed[key] = t->rows[key].self != 0 || total[key] != 0;
    }
    free(total);
    return rc;
}

/* ---- profiles with call statistics -------------------------------------- */

/* Per key: how many functions it holds, and the largest ct among them. */
typedef struct group_sizes {
    uint32_t *members;
    uint64_t *largest_ct;
    uint64_t program_ct; /* the largest ct of all: the whole program's time */
} group_sizes;

static int group_sizes_build(const sg_callstats *cs, const keyset *k, group_sizes *g)
{
    g->members = calloc((size_t)k->count + 1, sizeof *g->members);
    g->largest_ct = calloc((size_t)k->count + 1, sizeof *g->largest_ct);
    g->program_ct = 0;
    if (g->members == NULL || g->largest_ct == NULL)
        return SG_PROFILE_ENOMEM;
    for (uint32_t i = 0; i < cs->func_count; i++) {
        const sg_callstats_func *fn = &cs->funcs[i];
        uint32_t key = k->of_frame[fn->frame];
        g->members[key]++;
        if (fn->n.ct_ns > g->largest_ct[key])
            g->largest_ct[key] = fn->n.ct_ns;
        if (fn->n.ct_ns > g->program_ct)
            g->program_ct = fn->n.ct_ns;
    }
    return SG_PROFILE_OK;
}

static void group_sizes_free(group_sizes *g)
{
    free(g->members);
    free(g->largest_ct);
}

/* Add to a group's row the calls of fn that enter the group (see
 * function_table.h): from callers outside it, or all of them when fn has
 * no caller. */
static void add_entering_calls(const sg_callstats *cs, const sg_callstats_callers *callers,
                               const keyset *k, const sg_callstats_func *fn, sg_ftable_row *row)
{
    uint32_t key = k->of_frame[fn->frame];
    uint32_t first = callers->start[fn->frame], last = callers->start[fn->frame + 1];
    if (first == last) {
        row->total += fn->n.ct_ns;
        row->calls += fn->n.nc;
        row->primitive_calls += fn->n.nc;
    }
    for (uint32_t i = first; i < last; i++) {
        const sg_callstats_edge *ed = &cs->edges[callers->row[i]];
        if (k->of_frame[ed->caller] == key)
            continue;
        uint64_t ct = ed->n.ct_ns;
        if (ed->flags & SG_CALLSTATS_COUNT_ONLY) /* ct shared out by call counts */
            ct = fn->n.nc == 0 ? 0
                               : (uint64_t)((unsigned __int128)fn->n.ct_ns * ed->n.nc / fn->n.nc);
        row->total += ct;
        row->calls += ed->n.nc;
        row->primitive_calls += ed->n.nc;
    }
}

static int callstats_table(const sg_profile *p, const bool *threads, const keyset *k, sg_ftable *t,
                           bool *listed)
{
    t->from_pstats = true;
    if (threads != NULL) {
        bool any = false;
        for (uint32_t i = 0; i < p->threads.count; i++)
            any |= threads[i];
        if (!any)
            return SG_PROFILE_OK;
    }
    const sg_callstats *cs = &p->callstats;
    sg_callstats_callers callers;
    group_sizes g = {0};
    int rc = sg_callstats_callers_build(cs, p->frames.count, &callers);
    if (rc == 0)
        rc = group_sizes_build(cs, k, &g);
    for (uint32_t i = 0; rc == 0 && i < cs->func_count; i++) {
        const sg_callstats_func *fn = &cs->funcs[i];
        uint32_t key = k->of_frame[fn->frame];
        sg_ftable_row *row = &t->rows[key];
        listed[key] = true; /* every function of the file, zeros too, as pstats lists them */
        row->self += fn->n.tt_ns;
        t->total_weight += fn->n.tt_ns;
        if (g.members[key] == 1) {
            row->total = fn->n.ct_ns;
            row->calls = fn->n.nc;
            row->primitive_calls = fn->n.cc;
        } else {
            t->approximate = true;
            add_entering_calls(cs, &callers, k, fn, row);
        }
    }
    /* Keep each group's estimate between its largest ct and the program's. */
    for (uint32_t key = 0; rc == 0 && key < k->count; key++) {
        if (g.members[key] < 2)
            continue;
        if (t->rows[key].total < g.largest_ct[key])
            t->rows[key].total = g.largest_ct[key];
        if (t->rows[key].total > g.program_ct)
            t->rows[key].total = g.program_ct;
    }
    group_sizes_free(&g);
    sg_callstats_callers_free(&callers);
    return rc;
}

/* ---- building and sorting ---------------------------------------------- */

typedef struct sort_ctx {
    const sg_ftable_row *rows;
    int sort, by;
    const sg_profile *p;
    const sg_packages *packages;
} sort_ctx;

/* What a row is called: its package, file or function name. */
static const char *row_name(const sort_ctx *c, const sg_ftable_row *r)
{
    if (c->by == SG_FTABLE_BY_PACKAGE)
        return c->packages->items[r->package].name;
    if (c->by == SG_FTABLE_BY_FILE)
        return sg_strings_get(&c->p->strings, r->file);
    return sg_strings_get(&c->p->strings, c->p->frames.rows[r->frame].name);
}

static int compare_names(const sort_ctx *c, const sg_ftable_row *x, const sg_ftable_row *y)
{
    int d = strcmp(row_name(c, x), row_name(c, y));
    if (d == 0 && c->by != SG_FTABLE_BY_PACKAGE)
        d = strcmp(sg_strings_get(&c->p->strings, x->file),
                   sg_strings_get(&c->p->strings, y->file));
    if (d == 0)
        d = (x->line > y->line) - (x->line < y->line);
    return d;
}

static int compare_rows(uint32_t a, uint32_t b, const void *ctx)
{
    const sort_ctx *c = ctx;
    const sg_ftable_row *x = &c->rows[a], *y = &c->rows[b];
    if (c->sort == SG_FTABLE_SORT_NAME) {
        int d = compare_names(c, x, y);
        if (d != 0)
            return d;
    }
    uint64_t x1 = c->sort == SG_FTABLE_SORT_TOTAL ? x->total : x->self;
    uint64_t y1 = c->sort == SG_FTABLE_SORT_TOTAL ? y->total : y->self;
    if (x1 != y1)
        return x1 > y1 ? -1 : 1;
    uint64_t x2 = c->sort == SG_FTABLE_SORT_TOTAL ? x->self : x->total;
    uint64_t y2 = c->sort == SG_FTABLE_SORT_TOTAL ? y->self : y->total;
    if (x2 != y2)
        return x2 > y2 ? -1 : 1;
    return (a > b) - (a < b);
}

int sg_ftable_build(const sg_profile *p, const sg_ftable_options *opts, sg_ftable *out)
{
    memset(out, 0, sizeof *out);
    if (opts->by < SG_FTABLE_BY_FUNCTION || opts->by > SG_FTABLE_BY_PACKAGE ||
        opts->sort < SG_FTABLE_SORT_SELF || opts->sort > SG_FTABLE_SORT_NAME)
        return SG_PROFILE_EINVAL;
    keyset k = {0};
    uint32_t *frame_package = malloc(((size_t)p->frames.count + 1) * sizeof *frame_package);
    uint32_t *order = NULL;
    sg_ftable_row *rows = NULL;
    bool *listed = NULL;
    int rc = frame_package == NULL ? SG_PROFILE_ENOMEM : SG_PROFILE_OK;
    if (rc == 0)
        rc = sg_packages_classify(p, &out->packages, frame_package);
    bool from_callstats = !sg_callstats_empty(&p->callstats);
    sg_view legacy = {.t0_ns = opts->t0_ns, .t1_ns = opts->t1_ns, .threads = opts->threads};
    const sg_view *view = opts->view != NULL ? opts->view : &legacy;
    sg_view_resolved rv;
    if (rc == 0)
        rc = from_callstats ? sg_view_resolve(p, &(sg_view){.threads = view->threads}, &rv)
                            : sg_view_resolve(p, view, &rv);
    else
        memset(&rv, 0, sizeof rv);
    if (rc == 0)
        rc = build_keys(p, rv.stacks, opts->by, from_callstats, &out->packages, frame_package, &k);
    if (rc != 0)
        goto out;
    /* rows[key] starts as the key's identity; the sums fill in */
    rows = malloc(((size_t)k.count + 1) * sizeof *rows);
    order = malloc(((size_t)k.count + 1) * sizeof *order);
    listed = calloc((size_t)k.count + 1, sizeof *listed);
    if (rows == NULL || order == NULL || listed == NULL) {
        rc = SG_PROFILE_ENOMEM;
        goto out;
    }
    if (k.count > 0)
        memcpy(rows, k.info, (size_t)k.count * sizeof *rows);
    out->rows = rows;
    rc = from_callstats ? callstats_table(p, view->threads, &k, out, listed)
                        : sampled_table(&rv, &k, out, listed);
    out->rows = NULL;
    if (rc != 0)
        goto out;
    uint32_t n = 0;
    for (uint32_t key = 0; key < k.count; key++)
        if (listed[key])
            order[n++] = key;
    sort_ctx ctx = {rows, opts->sort, opts->by, p, &out->packages};
    if ((rc = sg_sort_u32(order, n, compare_rows, &ctx)) != 0)
        goto out;
    out->rows = malloc(((size_t)n + 1) * sizeof *out->rows);
    if (out->rows == NULL) {
        rc = SG_PROFILE_ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < n; i++)
        out->rows[i] = rows[order[i]];
    out->count = n;
out:
    sg_view_resolved_free(&rv);
    free(frame_package);
    free(order);
    free(rows);
    free(listed);
    keyset_free(&k);
    if (rc != 0)
        sg_ftable_free(out);
    return rc;
}

void sg_ftable_free(sg_ftable *t)
{
    free(t->rows);
    sg_packages_free(&t->packages);
    memset(t, 0, sizeof *t);
}
