/*
 * pstats_model.c — writing pstats numbers into the model and reading them
 * back (see pstats_model.h and docs/format.md, "pstats in the model").
 *
 * Reading is one pass over the samples into a scratch row per stack row,
 * then one over the rows (depth 1 = a function, depth 2 = an edge); edges
 * are placed by callee with a counting sort, so the callers of a function
 * are one contiguous run in the order the file listed them.
 */
#include "profile/pstats_model.h"

#include <stdlib.h>
#include <string.h>

static bool is_mark(unsigned kind)
{
    return kind == SG_PSTATS_KIND_ENTRY || kind == SG_PSTATS_KIND_BARE_COUNT ||
           kind == SG_PSTATS_KIND_EDGE_TIME_SET;
}

int sg_pstats_add_stat(sg_profile *p, uint32_t thread, uint32_t row, unsigned kind, uint64_t value)
{
    uint8_t flags = (uint8_t)(SG_PSTATS_STAT | (kind << SG_PSTATS_KIND_SHIFT));
    if (is_mark(kind))
        return sg_profile_add_sample(p, 0, thread, row, flags, 1);
    int rc = SG_PROFILE_OK;
    if ((uint32_t)value != 0)
        rc = sg_profile_add_sample(p, 0, thread, row, flags, (uint32_t)value);
    if (rc == 0 && (value >> 32) != 0)
        rc = sg_profile_add_sample(p, 0, thread, row, flags | SG_PSTATS_HIGH_WORD,
                                   (uint32_t)(value >> 32));
    return rc;
}

int sg_pstats_add_time(sg_profile *p, uint32_t thread, uint32_t row, uint64_t ns)
{
    int rc = SG_PROFILE_OK;
    while (ns > 0 && rc == 0) {
        uint32_t part = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
        rc = sg_profile_add_sample(p, 0, thread, row, 0, part);
        ns -= part;
    }
    return rc;
}

/* Sums of one row's samples, by kind (a scratch row per stack row). */
typedef struct row_stats {
    uint64_t nc, recursive, pcalls, ct, edge_time;
    uint64_t time; /* its time samples */
    uint8_t seen;  /* bit k: a sample of kind k was seen */
} row_stats;

static void add_to_row(row_stats *x, unsigned kind, uint64_t value)
{
    x->seen |= (uint8_t)(1u << kind);
    switch (kind) {
    case SG_PSTATS_KIND_NCALLS:
        x->nc += value;
        break;
    case SG_PSTATS_KIND_RECURSIVE:
        x->recursive += value;
        break;
    case SG_PSTATS_KIND_PCALLS:
        x->pcalls += value;
        break;
    case SG_PSTATS_KIND_CUMTIME:
        x->ct += value;
        break;
    case SG_PSTATS_KIND_EDGE_TIME:
        x->edge_time += value;
        break;
    default:
        break; /* marks; kinds of a later version are ignored */
    }
}

static bool seen(const row_stats *x, unsigned kind)
{
    return (x->seen >> kind) & 1u;
}

/* cc: given itself in odd files, else nc minus the recursive calls */
static uint64_t primitive_calls(const row_stats *x)
{
    if (seen(x, SG_PSTATS_KIND_PCALLS))
        return x->pcalls;
    return x->recursive <= x->nc ? x->nc - x->recursive : 0;
}

int sg_pstats_stats_read(const sg_profile *p, sg_pstats_stats *out)
{
    memset(out, 0, sizeof *out);
    uint32_t nf = p->frames.count, nrows = p->stacks.count;
    out->nfuncs = nf;
    out->funcs = calloc((size_t)nf + 1, sizeof *out->funcs);
    out->callers_start = calloc((size_t)nf + 2, sizeof *out->callers_start);
    row_stats *rs = calloc((size_t)nrows + 1, sizeof *rs);
    uint32_t nedges = 0;
    for (uint32_t r = 0; r < nrows; r++)
        nedges += p->stacks.rows[r].depth == 2;
    out->edges = calloc((size_t)nedges + 1, sizeof *out->edges);
    uint32_t *fill = malloc(((size_t)nf + 1) * sizeof *fill);
    if (out->funcs == NULL || out->callers_start == NULL || rs == NULL || out->edges == NULL ||
        fill == NULL) {
        free(rs);
        free(fill);
        sg_pstats_stats_free(out);
        return SG_PROFILE_ENOMEM;
    }

    const sg_samples *s = &p->samples;
    for (size_t i = 0; i < s->count; i++) {
        uint32_t r = s->stack[i];
        if (r == SG_STACK_NONE || p->stacks.rows[r].depth > 2)
            continue;
        uint64_t w = s->weight[i];
        if (!sg_pstats_is_stat(s->flags[i])) {
            /* time: the leaf frame's own time */
            rs[r].time += w;
            out->funcs[p->stacks.rows[r].frame].tt_ns += w;
            out->total_tt_ns += w;
            continue;
        }
        unsigned kind = (s->flags[i] & SG_PSTATS_KIND_MASK) >> SG_PSTATS_KIND_SHIFT;
        add_to_row(&rs[r], kind, (s->flags[i] & SG_PSTATS_HIGH_WORD) ? w << 32 : w);
    }

    /* functions from root rows; edges counted per callee, then placed */
    for (uint32_t f = 0; f < nf; f++)
        out->funcs[f].row = SG_STACK_NONE;
    for (uint32_t r = 0; r < nrows; r++) {
        const sg_stack_row *row = &p->stacks.rows[r];
        const row_stats *x = &rs[r];
        if (row->depth == 1) {
            sg_pstats_func *fn = &out->funcs[row->frame];
            fn->row = r;
            fn->nc = x->nc;
            fn->cc = primitive_calls(x);
            fn->ct_ns = x->ct;
            /* a profile written by another tool may carry time but no marks */
            fn->present =
                seen(x, SG_PSTATS_KIND_ENTRY) || fn->tt_ns != 0 || fn->nc != 0 || fn->ct_ns != 0;
        } else if (row->depth == 2) {
            out->callers_start[row->frame + 1]++;
        }
    }
    for (uint32_t f = 0; f < nf; f++)
        out->callers_start[f + 1] += out->callers_start[f];
    memcpy(fill, out->callers_start, ((size_t)nf + 1) * sizeof *fill);
    for (uint32_t r = 0; r < nrows; r++) {
        const sg_stack_row *row = &p->stacks.rows[r];
        if (row->depth != 2)
            continue;
        const row_stats *x = &rs[r];
        sg_pstats_edge *e = &out->edges[fill[row->frame]++];
        e->caller = p->stacks.rows[row->parent].frame;
        e->callee = row->frame;
        e->row = r;
        e->bare_count = seen(x, SG_PSTATS_KIND_BARE_COUNT);
        e->nc = x->nc;
        e->cc = primitive_calls(x);
        e->ct_ns = x->ct;
        e->tt_ns = seen(x, SG_PSTATS_KIND_EDGE_TIME_SET) ? x->edge_time : x->time;
    }
    out->nedges = nedges;
    free(rs);
    free(fill);
    return SG_PROFILE_OK;
}

void sg_pstats_stats_free(sg_pstats_stats *s)
{
    free(s->funcs);
    free(s->edges);
    free(s->callers_start);
    memset(s, 0, sizeof *s);
}

/* Re-intern every row of `from` into `to` in order: ids come out equal
 * because every table is dense, unique and in insertion order. */
static int copy_tables(const sg_profile *from, sg_profile *to)
{
    int rc = SG_PROFILE_OK;
    uint32_t id;
    for (uint32_t i = 1; i < from->strings.count && rc == 0; i++)
        rc = sg_strings_intern(&to->strings, sg_strings_get(&from->strings, i),
                               sg_strings_len(&from->strings, i), &id);
    for (uint32_t i = 0; i < from->frames.count && rc == 0; i++) {
        const sg_frame *f = &from->frames.rows[i];
        rc = sg_frames_intern(&to->frames, f->file, f->name, f->first_line, &id);
    }
    for (uint32_t i = 0; i < from->stacks.count && rc == 0; i++) {
        const sg_stack_row *r = &from->stacks.rows[i];
        rc = sg_stacks_intern(&to->stacks, r->parent, r->frame, r->line, &id);
    }
    for (uint32_t i = 0; i < from->threads.count && rc == 0; i++)
        rc = sg_threads_intern(&to->threads, from->threads.tid[i], from->threads.name[i], &id);
    for (size_t i = 0; i < from->events.count && rc == 0; i++)
        rc = sg_events_append(&to->events, from->events.time_ns[i], from->events.kind[i],
                              from->events.thread[i], from->events.label[i]);
    to->sources.cap_bytes = SIZE_MAX;
    for (uint32_t i = 0; i < from->sources.count && rc == 0; i++)
        rc = sg_sources_add(&to->sources, from->sources.file[i], from->sources.text[i],
                            from->sources.length[i]);
    to->sources.cap_bytes = from->sources.cap_bytes;
    to->meta = from->meta;
    return rc;
}

int sg_pstats_time_only(const sg_profile *p, sg_profile **out)
{
    *out = NULL;
    sg_profile *q = sg_profile_new();
    if (q == NULL)
        return SG_PROFILE_ENOMEM;
    int rc = copy_tables(p, q);
    const sg_samples *s = &p->samples;
    for (size_t i = 0; i < s->count && rc == 0; i++) {
        if (!p->meta.has_stacks && sg_pstats_is_stat(s->flags[i]))
            continue;
        rc = sg_samples_append(&q->samples, s->time_ns[i], s->thread[i], s->stack[i], s->flags[i],
                               s->weight[i]);
    }
    if (rc != 0) {
        sg_profile_free(q);
        return rc;
    }
    *out = q;
    return SG_PROFILE_OK;
}
