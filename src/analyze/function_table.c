/*
 * function_table.c — self and total per function, line, file or package
 * (see function_table.h).
 *
 * Every grouping is a key per stack row (row_key): the frame, the
 * (frame, line) pair, the frame's file or its package. Self sums the row
 * weights by key; total is stack_forest's once-per-sample sum. A pstats
 * profile reads its numbers through pstats_model.h instead.
 */
#include "analyze/function_table.h"

#include <stdlib.h>
#include <string.h>

#include "profile/hash.h"
#include "profile/pstats_model.h"
#include "profile/sort.h"
#include "profile/stack_forest.h"

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
static int line_keys(const sg_profile *p, const uint32_t *frame_package, keyset *k)
{
    uint64_t *slots = NULL;
    uint32_t mask = 0;
    int rc = SG_PROFILE_OK;
    for (uint32_t r = 0; r < p->stacks.count && rc == 0; r++) {
        const sg_stack_row *row = &p->stacks.rows[r];
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

static int build_keys(const sg_profile *p, int by, const sg_packages *pk,
                      const uint32_t *frame_package, keyset *k)
{
    uint32_t nf = p->frames.count;
    k->of_row = malloc(((size_t)p->stacks.count + 1) * sizeof *k->of_row);
    k->of_frame = malloc(((size_t)nf + 1) * sizeof *k->of_frame);
    if (k->of_row == NULL || k->of_frame == NULL)
        return SG_PROFILE_ENOMEM;
    int rc = SG_PROFILE_OK;
    uint32_t *file_key = NULL;
    switch (by) {
    case SG_FTABLE_BY_FUNCTION:
    case SG_FTABLE_BY_LINE: /* of_frame serves pstats, whose rows sit on first lines */
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
    if (by == SG_FTABLE_BY_LINE && p->meta.has_stacks) {
        k->count = 0; /* sampled: keys are the rows' (frame, line) pairs */
        return line_keys(p, frame_package, k);
    }
    for (uint32_t r = 0; r < p->stacks.count; r++)
        k->of_row[r] = k->of_frame[p->stacks.rows[r].frame];
    return SG_PROFILE_OK;
}

/* ---- sampled profiles --------------------------------------------------- */

static int sampled_table(const sg_profile *p, const sg_ftable_options *o, const keyset *k,
                         sg_ftable *t, bool *listed)
{
    uint32_t nrows = p->stacks.count;
    uint64_t *row_weight = calloc((size_t)nrows + 1, sizeof *row_weight);
    if (row_weight == NULL)
        return SG_PROFILE_ENOMEM;
    const sg_samples *s = &p->samples;
    for (size_t i = 0; i < s->count; i++) {
        if (o->threads != NULL && !o->threads[s->thread[i]])
            continue;
        t->total_weight += s->weight[i];
        t->total_samples++;
        if (s->stack[i] != SG_STACK_NONE)
            row_weight[s->stack[i]] += s->weight[i];
    }
    for (uint32_t r = 0; r < nrows; r++)
        t->rows[k->of_row[r]].self += row_weight[r];
    uint64_t *total = calloc((size_t)k->count + 1, sizeof *total);
    int rc = total == NULL ? SG_PROFILE_ENOMEM : SG_PROFILE_OK;
    if (rc == 0) {
        const uint64_t *self[1] = {row_weight};
        uint64_t *totals[1] = {total};
        rc = sg_stack_forest_totals(&p->stacks, k->of_row, k->count, 1, self, totals);
    }
    for (uint32_t key = 0; rc == 0 && key < k->count; key++) {
        t->rows[key].total = total[key];
        listed[key] = t->rows[key].self != 0 || total[key] != 0;
    }
    free(total);
    free(row_weight);
    return rc;
}

/* ---- pstats profiles ---------------------------------------------------- */

static int pstats_table(const sg_profile *p, const sg_ftable_options *o, const keyset *k,
                        sg_ftable *t, bool *listed)
{
    t->from_pstats = true;
    if (o->threads != NULL) {
        bool any = false;
        for (uint32_t i = 0; i < p->threads.count; i++)
            any |= o->threads[i];
        if (!any)
            return SG_PROFILE_OK;
    }
    sg_pstats_stats st;
    int rc = sg_pstats_stats_read(p, &st);
    if (rc != 0)
        return rc;
    t->total_weight = st.total_tt_ns;
    uint32_t *members = calloc((size_t)k->count + 1, sizeof *members);
    uint64_t *largest_ct = calloc((size_t)k->count + 1, sizeof *largest_ct);
    uint64_t program_ct = 0; /* the largest ct of all: the whole program's time */
    if (members == NULL || largest_ct == NULL) {
        free(members);
        free(largest_ct);
        sg_pstats_stats_free(&st);
        return SG_PROFILE_ENOMEM;
    }
    for (uint32_t f = 0; f < st.nfuncs; f++) {
        if (!st.funcs[f].present)
            continue;
        uint32_t key = k->of_frame[f];
        members[key]++;
        if (st.funcs[f].ct_ns > largest_ct[key])
            largest_ct[key] = st.funcs[f].ct_ns;
        if (st.funcs[f].ct_ns > program_ct)
            program_ct = st.funcs[f].ct_ns;
    }
    for (uint32_t f = 0; f < st.nfuncs; f++) {
        const sg_pstats_func *fn = &st.funcs[f];
        if (!fn->present)
            continue;
        uint32_t key = k->of_frame[f];
        sg_ftable_row *row = &t->rows[key];
        listed[key] = true; /* every function of the file, zeros too, as pstats lists them */
        row->self += fn->tt_ns;
        if (members[key] == 1) {
            row->total = fn->ct_ns;
            row->calls = fn->nc;
            row->primitive_calls = fn->cc;
            continue;
        }
        /* A group: count the calls that enter it (see function_table.h). */
        t->approximate = true;
        uint32_t first = st.callers_start[f], last = st.callers_start[f + 1];
        if (first == last) {
            row->total += fn->ct_ns;
            row->calls += fn->nc;
            row->primitive_calls += fn->nc;
        }
        for (uint32_t e = first; e < last; e++) {
            const sg_pstats_edge *ed = &st.edges[e];
            if (k->of_frame[ed->caller] == key)
                continue;
            uint64_t ct = ed->ct_ns;
            if (ed->bare_count)
                ct = fn->nc == 0 ? 0 : (uint64_t)((unsigned __int128)fn->ct_ns * ed->nc / fn->nc);
            row->total += ct;
            row->calls += ed->nc;
            row->primitive_calls += ed->nc;
        }
    }
    /* Keep each group's estimate between its largest ct and the program's. */
    for (uint32_t key = 0; key < k->count; key++) {
        if (members[key] < 2)
            continue;
        if (t->rows[key].total < largest_ct[key])
            t->rows[key].total = largest_ct[key];
        if (t->rows[key].total > program_ct)
            t->rows[key].total = program_ct;
    }
    free(members);
    free(largest_ct);
    sg_pstats_stats_free(&st);
    return SG_PROFILE_OK;
}

/* ---- building and sorting ---------------------------------------------- */

typedef struct sort_ctx {
    const sg_ftable_row *rows;
    int sort;
} sort_ctx;

static int compare_rows(uint32_t a, uint32_t b, const void *ctx)
{
    const sort_ctx *c = ctx;
    const sg_ftable_row *x = &c->rows[a], *y = &c->rows[b];
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
        (opts->sort != SG_FTABLE_SORT_SELF && opts->sort != SG_FTABLE_SORT_TOTAL))
        return SG_PROFILE_EINVAL;
    keyset k = {0};
    uint32_t *frame_package = malloc(((size_t)p->frames.count + 1) * sizeof *frame_package);
    uint32_t *order = NULL;
    sg_ftable_row *rows = NULL;
    bool *listed = NULL;
    int rc = frame_package == NULL ? SG_PROFILE_ENOMEM : SG_PROFILE_OK;
    if (rc == 0)
        rc = sg_packages_classify(p, &out->packages, frame_package);
    if (rc == 0)
        rc = build_keys(p, opts->by, &out->packages, frame_package, &k);
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
    rc = p->meta.has_stacks ? sampled_table(p, opts, &k, out, listed)
                            : pstats_table(p, opts, &k, out, listed);
    out->rows = NULL;
    if (rc != 0)
        goto out;
    uint32_t n = 0;
    for (uint32_t key = 0; key < k.count; key++)
        if (listed[key])
            order[n++] = key;
    sort_ctx ctx = {rows, opts->sort};
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
