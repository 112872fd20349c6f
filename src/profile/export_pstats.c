/*
 * export_pstats.c — write a profile as a pstats file: the marshal dump of
 * the stats dict that Python's pstats.Stats (3.9 and later) and snakeviz
 * load. Keys are (file, first line, name); values are
 * (cc, nc, tt, ct, callers) with callers: key → (nc, cc, tt, ct), the
 * 4-tuple form of cProfile, since snakeviz cannot read bare counts.
 *
 * From a profile with call statistics (callstats_table.h; a pstats
 * import) those numbers are written back exactly, one key per function
 * row with the edge rows into it as its callers (count-only edges stay
 * bare counts), in row order. Its samples are not read.
 *
 * Otherwise, from samples:
 *   tt  = weight of the samples where the function is the newest frame;
 *   ct  = weight of the samples where it is anywhere on the stack, counted
 *         once per sample however deep the recursion;
 *   nc = cc = the number of samples where it is on the stack (once per
 *         sample), so nc > 0 for every function written and pstats shows
 *         no recursion split; samples are not calls, but "seen in N
 *         samples" is what a sampler knows, and percall columns then read
 *         as time per sample seen;
 *   callers from adjacent frame pairs: the edge caller → callee has
 *   nc = cc and ct over the samples holding the pair (once per sample),
 *   tt over those where the callee is newest right under that caller.
 * Weights become seconds: nanoseconds as they are, a sample as the
 * profile's sampling interval (1 ms when the profile does not know it).
 * Strings are written once and then referenced, as CPython does.
 */
#include <stdlib.h>
#include <string.h>

#include "profile/format_list.h"
#include "profile/hash.h"
#include "profile/marshal.h"
#include "profile/profile.h"
#include "profile/stack_forest.h"

#define DEFAULT_INTERVAL_NS 1000000u /* 1 ms per sample when the rate is unknown */
#define FLUSH_BYTES         (1u << 20)

typedef struct writer {
    sg_marshal_writer m;
    const sg_profile *p;
    uint32_t *string_slot; /* per string id: marshal reference slot */
    FILE *out;
    int rc;
} writer;

static void flush_some(writer *w, bool all)
{
    if (w->rc != 0)
        return;
    if (w->m.out.failed) {
        w->rc = w->m.out.failed;
        return;
    }
    if (!all && w->m.out.len < FLUSH_BYTES)
        return;
    if (w->m.out.len > 0 && fwrite(w->m.out.data, 1, w->m.out.len, w->out) != w->m.out.len)
        w->rc = SG_PROFILE_EIO;
    w->m.out.len = 0;
}

static void put_string_id(writer *w, uint32_t id)
{
    sg_marshal_put_str(&w->m, sg_strings_get(&w->p->strings, id),
                       sg_strings_len(&w->p->strings, id), &w->string_slot[id]);
}

static void put_key(writer *w, uint32_t frame)
{
    const sg_frame *f = &w->p->frames.rows[frame];
    sg_marshal_put_tuple(&w->m, 3);
    put_string_id(w, f->file);
    sg_marshal_put_int(&w->m, f->first_line);
    put_string_id(w, f->name);
}

static void put_seconds(writer *w, uint64_t ns)
{
    sg_marshal_put_float(&w->m, (double)ns / 1e9);
}

static void put_count(writer *w, uint64_t n)
{
    sg_marshal_put_int(&w->m, n > INT64_MAX ? INT64_MAX : (int64_t)n);
}

/* ---- from call statistics --------------------------------------------- */

static int write_from_callstats(writer *w)
{
    const sg_callstats *cs = &w->p->callstats;
    sg_callstats_callers callers;
    int rc = sg_callstats_callers_build(cs, w->p->frames.count, &callers);
    if (rc != 0) {
        sg_callstats_callers_free(&callers);
        return rc;
    }
    sg_marshal_put_dict_begin(&w->m);
    for (uint32_t i = 0; i < cs->func_count && w->rc == 0; i++) {
        const sg_callstats_func *fn = &cs->funcs[i];
        put_key(w, fn->frame);
        sg_marshal_put_tuple(&w->m, 5);
        put_count(w, fn->n.cc);
        put_count(w, fn->n.nc);
        put_seconds(w, fn->n.tt_ns);
        put_seconds(w, fn->n.ct_ns);
        sg_marshal_put_dict_begin(&w->m);
        for (uint32_t k = callers.start[fn->frame]; k < callers.start[fn->frame + 1]; k++) {
            const sg_callstats_edge *e = &cs->edges[callers.row[k]];
            put_key(w, e->caller);
            if (e->flags & SG_CALLSTATS_COUNT_ONLY) {
                put_count(w, e->n.nc);
                continue;
            }
            sg_marshal_put_tuple(&w->m, 4); /* callers hold (nc, cc, tt, ct) */
            put_count(w, e->n.nc);
            put_count(w, e->n.cc);
            put_seconds(w, e->n.tt_ns);
            put_seconds(w, e->n.ct_ns);
        }
        sg_marshal_put_dict_end(&w->m);
        flush_some(w, false);
    }
    sg_marshal_put_dict_end(&w->m);
    sg_callstats_callers_free(&callers);
    return SG_PROFILE_OK;
}

/* ---- from samples ----------------------------------------------------- */

/* caller→callee frame pairs, interned to dense ids */
typedef struct pair_map {
    uint64_t *slots; /* (pair key hash << 32 | id), SG_HASH_EMPTY_SLOT if empty */
    uint32_t mask;
    uint64_t *keys; /* per id: caller << 32 | callee */
    uint32_t count;
} pair_map;

static int pair_map_init(pair_map *m, uint32_t max_pairs)
{
    size_t size = 16;
    while (size < 2 * (size_t)max_pairs + 2)
        size *= 2;
    m->slots = malloc(size * sizeof *m->slots);
    m->keys = malloc(((size_t)max_pairs + 1) * sizeof *m->keys);
    if (m->slots == NULL || m->keys == NULL)
        return SG_PROFILE_ENOMEM;
    memset(m->slots, 0xff, size * sizeof *m->slots);
    m->mask = (uint32_t)(size - 1);
    m->count = 0;
    return SG_PROFILE_OK;
}

/* The id of key; the map was sized for every pair, so there is room. */
static uint32_t pair_map_intern(pair_map *m, uint64_t key)
{
    uint32_t hash = (uint32_t)(sg_hash_mix(key) >> 32);
    for (uint32_t j = hash & m->mask;; j = (j + 1) & m->mask) {
        uint64_t slot = m->slots[j];
        if (slot == SG_HASH_EMPTY_SLOT) {
            m->keys[m->count] = key;
            m->slots[j] = sg_hash_slot(hash, m->count);
            return m->count++;
        }
        if (sg_hash_slot_hash(slot) == hash && m->keys[sg_hash_slot_id(slot)] == key)
            return sg_hash_slot_id(slot);
    }
}

static void pair_map_free(pair_map *m)
{
    free(m->slots);
    free(m->keys);
}

typedef struct sampled {
    uint64_t *row_weight, *row_count;   /* per stack row: samples ending there */
    uint32_t *row_frame, *row_pair;     /* per stack row: its frame, its pair id */
    uint64_t *f_tt, *f_ct, *f_nc;       /* per frame */
    uint64_t *e_tt, *e_ct, *e_nc;       /* per pair */
    uint32_t *by_callee, *callee_start; /* pair ids grouped by callee frame */
    pair_map pairs;
} sampled;

static void sampled_free(sampled *s)
{
    free(s->row_weight);
    free(s->row_count);
    free(s->row_frame);
    free(s->row_pair);
    free(s->f_tt);
    free(s->f_ct);
    free(s->f_nc);
    free(s->e_tt);
    free(s->e_ct);
    free(s->e_nc);
    free(s->by_callee);
    free(s->callee_start);
    pair_map_free(&s->pairs);
}

static uint64_t weight_unit_ns(const sg_profile *p)
{
    if (p->meta.weight_unit == SG_WEIGHT_NANOSECONDS)
        return 1;
    return p->meta.interval_ns != 0 ? p->meta.interval_ns : DEFAULT_INTERVAL_NS;
}

static int compute_sampled(const sg_profile *p, sampled *s)
{
    uint32_t nrows = p->stacks.count, nf = p->frames.count;
    size_t r1 = (size_t)nrows + 1, f1 = (size_t)nf + 1;
    s->row_weight = calloc(r1, sizeof *s->row_weight);
    s->row_count = calloc(r1, sizeof *s->row_count);
    s->row_frame = malloc(r1 * sizeof *s->row_frame);
    s->row_pair = malloc(r1 * sizeof *s->row_pair);
    s->f_tt = calloc(f1, sizeof *s->f_tt);
    s->f_ct = calloc(f1, sizeof *s->f_ct);
    s->f_nc = calloc(f1, sizeof *s->f_nc);
    s->callee_start = calloc(f1 + 1, sizeof *s->callee_start);
    if (s->row_weight == NULL || s->row_count == NULL || s->row_frame == NULL ||
        s->row_pair == NULL || s->f_tt == NULL || s->f_ct == NULL || s->f_nc == NULL ||
        s->callee_start == NULL || pair_map_init(&s->pairs, nrows) != 0)
        return SG_PROFILE_ENOMEM;

    uint64_t unit = weight_unit_ns(p);
    const sg_samples *smp = &p->samples;
    for (size_t i = 0; i < smp->count; i++) {
        uint32_t r = smp->stack[i];
        if (r == SG_STACK_NONE)
            continue;
        s->row_weight[r] += (uint64_t)smp->weight[i] * unit;
        s->row_count[r]++;
    }
    for (uint32_t r = 0; r < nrows; r++) {
        const sg_stack_row *row = &p->stacks.rows[r];
        s->row_frame[r] = row->frame;
        s->row_pair[r] =
            row->parent == SG_STACK_NONE
                ? SG_FOREST_NO_KEY
                : pair_map_intern(&s->pairs,
                                  (uint64_t)p->stacks.rows[row->parent].frame << 32 | row->frame);
        s->f_tt[row->frame] += s->row_weight[r];
    }
    uint32_t np = s->pairs.count;
    size_t p1 = (size_t)np + 1;
    s->e_tt = calloc(p1, sizeof *s->e_tt);
    s->e_ct = calloc(p1, sizeof *s->e_ct);
    s->e_nc = calloc(p1, sizeof *s->e_nc);
    s->by_callee = malloc(p1 * sizeof *s->by_callee);
    if (s->e_tt == NULL || s->e_ct == NULL || s->e_nc == NULL || s->by_callee == NULL)
        return SG_PROFILE_ENOMEM;
    for (uint32_t r = 0; r < nrows; r++)
        if (s->row_pair[r] != SG_FOREST_NO_KEY)
            s->e_tt[s->row_pair[r]] += s->row_weight[r];
    const uint64_t *self[2] = {s->row_weight, s->row_count};
    uint64_t *f_total[2] = {s->f_ct, s->f_nc};
    uint64_t *e_total[2] = {s->e_ct, s->e_nc};
    int rc = sg_stack_forest_totals(&p->stacks, s->row_frame, nf, 2, self, f_total);
    if (rc == 0)
        rc = sg_stack_forest_totals(&p->stacks, s->row_pair, np, 2, self, e_total);
    if (rc != 0)
        return rc;
    /* group pair ids by callee (counting sort keeps id order within a callee) */
    for (uint32_t e = 0; e < np; e++)
        s->callee_start[(uint32_t)s->pairs.keys[e] + 1]++;
    for (uint32_t f = 0; f < nf; f++)
        s->callee_start[f + 1] += s->callee_start[f];
    uint32_t *fill = malloc(f1 * sizeof *fill);
    if (fill == NULL)
        return SG_PROFILE_ENOMEM;
    memcpy(fill, s->callee_start, f1 * sizeof *fill);
    for (uint32_t e = 0; e < np; e++)
        s->by_callee[fill[(uint32_t)s->pairs.keys[e]]++] = e;
    free(fill);
    return SG_PROFILE_OK;
}

static int write_from_samples(writer *w)
{
    sampled s = {0};
    int rc = compute_sampled(w->p, &s);
    if (rc != 0) {
        sampled_free(&s);
        return rc;
    }
    sg_marshal_put_dict_begin(&w->m);
    for (uint32_t f = 0; f < w->p->frames.count && w->rc == 0; f++) {
        if (s.f_nc[f] == 0)
            continue;
        put_key(w, f);
        sg_marshal_put_tuple(&w->m, 5);
        put_count(w, s.f_nc[f]);
        put_count(w, s.f_nc[f]);
        put_seconds(w, s.f_tt[f]);
        put_seconds(w, s.f_ct[f]);
        sg_marshal_put_dict_begin(&w->m);
        for (uint32_t k = s.callee_start[f]; k < s.callee_start[f + 1]; k++) {
            uint32_t e = s.by_callee[k];
            if (s.e_nc[e] == 0)
                continue;
            put_key(w, (uint32_t)(s.pairs.keys[e] >> 32));
            sg_marshal_put_tuple(&w->m, 4);
            put_count(w, s.e_nc[e]);
            put_count(w, s.e_nc[e]);
            put_seconds(w, s.e_tt[e]);
            put_seconds(w, s.e_ct[e]);
        }
        sg_marshal_put_dict_end(&w->m);
        flush_some(w, false);
    }
    sg_marshal_put_dict_end(&w->m);
    sampled_free(&s);
    return SG_PROFILE_OK;
}

int sg_export_pstats(const sg_profile *p, FILE *out, const sg_io_progress *progress, char *err,
                     size_t errlen)
{
    writer w = {.p = p, .out = out};
    w.string_slot = calloc((size_t)p->strings.count + 1, sizeof *w.string_slot);
    int rc = w.string_slot == NULL               ? SG_PROFILE_ENOMEM
             : sg_callstats_empty(&p->callstats) ? write_from_samples(&w)
                                                 : write_from_callstats(&w);
    if (rc == 0) {
        flush_some(&w, true);
        rc = w.rc;
    }
    if (rc == 0 && (fflush(out) != 0 || ferror(out)))
        rc = SG_PROFILE_EIO;
    if (rc == 0 && progress != NULL && progress->report != NULL)
        progress->report(progress->ctx, p->samples.count, p->samples.count);
    if (rc != 0 && err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", sg_profile_strerror(rc));
    free(w.string_slot);
    sg_bytes_free(&w.m.out);
    return rc;
}
