/*
 * view.c — resolving a view (see view.h): the derived stack table, the
 * original → derived stack map, and the per-row sums of the kept samples.
 *
 * The stack pass keeps, per original row, the derived id (map) and a
 * state byte: whether the path to it holds the excluded frame (then every
 * descendant is dropped too) and whether it holds the focused frame (then
 * descendants are inside the focus, rooted at its oldest occurrence).
 * Parents have smaller ids than their children, so one forward pass sees
 * every parent's answer before its children need it.
 */
#include "analyze/view.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/package.h"

#define ROW_EXCLUDED 0x01u /* the path holds exclude_frame */
#define ROW_FOCUSED  0x02u /* the path holds focus_frame */

bool sg_view_transforms_stacks(const sg_view *v)
{
    return v != NULL &&
           (v->exclude || v->focus || (v->hide_regex != NULL && v->hide_regex[0] != '\0') ||
            v->hide_kinds != 0 || v->hide_package_count != 0 || v->collapse_recursion ||
            v->collapse_indirect);
}

/* The first sample at or after time t of samples in time order. */
static size_t first_at(const sg_samples *s, uint64_t t)
{
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->time_ns[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void sg_view_sample_range(const sg_samples *s, uint64_t t0, uint64_t t1, size_t *first,
                          size_t *last, bool *check)
{
    *first = 0;
    *last = s->count;
    *check = false;
    if (t0 == 0 && t1 == 0)
        return;
    for (size_t i = 1; i < s->count; i++)
        if (s->time_ns[i - 1] > s->time_ns[i]) {
            *check = true;
            return;
        }
    *first = first_at(s, t0);
    *last = t1 == 0 ? s->count : first_at(s, t1);
    if (*last < *first)
        *last = *first; /* t1 <= t0: an empty range */
}

/* ---- hidden frames ------------------------------------------------------ */

static int hide_by_regex(const sg_profile *p, const char *pattern, bool *hidden)
{
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
        return SG_PROFILE_EINVAL;
    char *text = NULL;
    size_t cap = 0;
    int rc = SG_PROFILE_OK;
    for (uint32_t f = 0; f < p->frames.count; f++) {
        const char *name = sg_strings_get(&p->strings, p->frames.rows[f].name);
        const char *file = sg_strings_get(&p->strings, p->frames.rows[f].file);
        size_t nl = strlen(name), fl = strlen(file), need = nl + fl + 4;
        if (need > cap) {
            char *grown = realloc(text, need * 2);
            if (grown == NULL) {
                rc = SG_PROFILE_ENOMEM;
                break;
            }
            text = grown;
            cap = need * 2;
        }
        memcpy(text, name, nl);
        memcpy(text + nl, " (", 2);
        memcpy(text + nl + 2, file, fl);
        memcpy(text + nl + 2 + fl, ")", 2);
        if (regexec(&re, text, 0, NULL, 0) == 0)
            hidden[f] = true;
    }
    free(text);
    regfree(&re);
    return rc;
}

static int hide_by_package(const sg_profile *p, const sg_view *v, bool *hidden)
{
    sg_packages pk = {0};
    uint32_t *frame_package = malloc(((size_t)p->frames.count + 1) * sizeof *frame_package);
    bool *hide_pkg = NULL;
    int rc = frame_package == NULL ? SG_PROFILE_ENOMEM : SG_PROFILE_OK;
    if (rc == 0)
        rc = sg_packages_classify(p, &pk, frame_package);
    if (rc == 0 && (hide_pkg = calloc((size_t)pk.count + 1, sizeof *hide_pkg)) == NULL)
        rc = SG_PROFILE_ENOMEM;
    for (uint32_t i = 0; rc == 0 && i < pk.count; i++) {
        if (pk.items[i].kind < 32 && (v->hide_kinds & (1u << pk.items[i].kind)))
            hide_pkg[i] = true;
        for (size_t j = 0; j < v->hide_package_count; j++)
            if (v->hide_packages[j] != NULL && strcmp(v->hide_packages[j], pk.items[i].name) == 0)
                hide_pkg[i] = true;
    }
    for (uint32_t f = 0; rc == 0 && f < p->frames.count; f++)
        if (hide_pkg[frame_package[f]])
            hidden[f] = true;
    free(hide_pkg);
    free(frame_package);
    sg_packages_free(&pk);
    return rc;
}

int sg_view_hidden_frames(const sg_profile *p, const sg_view *v, bool *hidden)
{
    for (uint32_t f = 0; f < p->frames.count; f++)
        hidden[f] = false;
    if (v == NULL)
        return SG_PROFILE_OK;
    int rc = SG_PROFILE_OK;
    if (v->hide_regex != NULL && v->hide_regex[0] != '\0')
        rc = hide_by_regex(p, v->hide_regex, hidden);
    if (rc == 0 && (v->hide_kinds != 0 || v->hide_package_count != 0))
        rc = hide_by_package(p, v, hidden);
    return rc;
}

/* ---- the stack pass ----------------------------------------------------- */

static int transform_stacks(const sg_profile *p, const sg_view *v, sg_view_resolved *out)
{
    uint32_t n = p->stacks.count;
    bool *hidden = malloc(((size_t)p->frames.count + 1) * sizeof *hidden);
    uint8_t *state = malloc((size_t)n + 1);
    int rc = hidden == NULL || state == NULL ? SG_PROFILE_ENOMEM : SG_PROFILE_OK;
    if (rc == 0)
        rc = sg_view_hidden_frames(p, v, hidden);
    sg_stacks *d = &out->owned_stacks;
    for (uint32_t r = 0; rc == 0 && r < n; r++) {
        const sg_stack_row *row = &p->stacks.rows[r];
        uint8_t pstate = row->parent == SG_STACK_NONE ? 0 : state[row->parent];
        uint32_t pt = row->parent == SG_STACK_NONE ? SG_STACK_NONE : out->map[row->parent];
        state[r] = pstate;
        if ((pstate & ROW_EXCLUDED) || (v->exclude && row->frame == v->exclude_frame)) {
            state[r] = ROW_EXCLUDED;
            out->map[r] = SG_VIEW_DROPPED;
            continue;
        }
        if (v->focus && !(pstate & ROW_FOCUSED)) {
            if (row->frame != v->focus_frame) {
                out->map[r] = SG_VIEW_DROPPED;
                continue;
            }
            state[r] = ROW_FOCUSED; /* the oldest occurrence: a new root, never hidden */
            rc = sg_stacks_intern(d, SG_STACK_NONE, row->frame, row->line, &out->map[r]);
            continue;
        }
        if (hidden[row->frame]) {
            out->map[r] = pt;
            continue;
        }
        if (v->collapse_indirect) { /* back to its occurrence (at most one: none repeats) */
            for (uint32_t a = pt; a != SG_STACK_NONE; a = d->rows[a].parent)
                if (d->rows[a].frame == row->frame) {
                    pt = d->rows[a].parent;
                    break;
                }
        } else if (v->collapse_recursion && pt != SG_STACK_NONE &&
                   d->rows[pt].frame == row->frame) {
            pt = d->rows[pt].parent; /* merge into the caller's row, keeping the newest line */
        }
        rc = sg_stacks_intern(d, pt, row->frame, row->line, &out->map[r]);
    }
    out->map_none = v->focus ? SG_VIEW_DROPPED : SG_STACK_NONE;
    free(hidden);
    free(state);
    return rc;
}

/* ---- the sample pass ---------------------------------------------------- */

/*
 * The samples are counted per ORIGINAL stack row first, in 32-bit
 * counters (index stacks.count stands for SG_STACK_NONE), and only then
 * folded into the derived rows through map, per row. Why: the sample pass
 * is one random access per sample into an array the size of the stack
 * table, and 4 bytes a row keeps that array within the TLB's reach where
 * 16 would not (a 1.7M-row table: 7 MB against 28 MB, 15 ms against 60 on
 * 10M samples). Weights are summed by a second pass only when some kept
 * weight is not 1 (recorded profiles weigh every sample 1). The test of a
 * sample is branch-free, so random flags or threads cost no
 * mispredictions. Ranges of more than 2^32 - 1 samples go in chunks so
 * that no counter overflows.
 */
typedef struct sample_filter {
    const sg_samples *s;
    const uint8_t *keep_thread; /* per thread: 1 = kept, 0 = dropped */
    uint32_t nthreads, nrows;   /* threads.count, stacks.count (the SG_STACK_NONE slot) */
    uint8_t set, clear;
    bool check_time;
    uint64_t t0, t1;
} sample_filter;

/* 1 when sample i passes the per-sample test, else 0. */
static inline uint32_t sample_kept(const sample_filter *f, size_t i)
{
    uint32_t th = f->s->thread[i];
    uint32_t k = th < f->nthreads ? f->keep_thread[th] : 0;
    uint8_t fl = f->s->flags[i];
    k &= ((fl & f->set) == f->set) & ((fl & f->clear) == 0);
    if (f->check_time) {
        uint64_t t = f->s->time_ns[i];
        k &= t >= f->t0 && (f->t1 == 0 || t < f->t1);
    }
    return k;
}

static inline uint32_t row_slot(const sample_filter *f, size_t i)
{
    uint32_t st = f->s->stack[i];
    return st < f->nrows ? st : f->nrows; /* SG_STACK_NONE */
}

/* count[row] += kept samples of [first, last); returns whether some kept
 * sample weighs other than 1. last - first < 2^32. */
static bool count_chunk(const sample_filter *f, bool plain, size_t first, size_t last,
                        uint32_t *count)
{
    const uint32_t *weight = f->s->weight;
    uint32_t other = 0;
    if (plain) {
        for (size_t i = first; i < last; i++) {
            count[row_slot(f, i)]++;
            other |= weight[i] ^ 1;
        }
        return other != 0;
    }
    for (size_t i = first; i < last; i++) {
        uint32_t k = sample_kept(f, i);
        count[row_slot(f, i)] += k;
        other |= (weight[i] ^ 1) & -k;
    }
    return other != 0;
}

static void weigh_chunk(const sample_filter *f, bool plain, size_t first, size_t last,
                        uint64_t *sum)
{
    const uint32_t *weight = f->s->weight;
    for (size_t i = first; i < last; i++)
        sum[row_slot(f, i)] += plain ? weight[i] : weight[i] & -sample_kept(f, i);
}

/* Folds one chunk's per-original-row sums into the derived rows, and
 * clears them for the next chunk. weight NULL: every weight was 1. */
static void fold_rows(sg_view_resolved *r, uint32_t *count, uint64_t *weight)
{
    uint32_t n = r->profile->stacks.count;
    for (uint32_t o = 0; o <= n; o++) {
        if (count[o] == 0)
            continue;
        uint32_t d = o == n ? r->map_none : r->map[o];
        uint64_t c = count[o], w = weight == NULL ? c : weight[o];
        count[o] = 0;
        if (weight != NULL)
            weight[o] = 0;
        if (d == SG_VIEW_DROPPED)
            continue;
        r->total_weight += w;
        r->total_samples += c;
        if (d == SG_STACK_NONE) {
            r->empty_weight += w;
            r->empty_samples += c;
        } else {
            r->row_weight[d] += w;
            r->row_samples[d] += c;
        }
    }
}

static int sum_samples(sg_view_resolved *r)
{
    const sg_profile *p = r->profile;
    uint32_t n = p->stacks.count, nthreads = p->threads.count;
    uint32_t *count = calloc((size_t)n + 1, sizeof *count);
    uint8_t *keep = malloc((size_t)nthreads + 1);
    uint64_t *weight = NULL;
    int rc = SG_PROFILE_ENOMEM;
    if (count == NULL || keep == NULL)
        goto out;
    for (uint32_t t = 0; t < nthreads; t++)
        keep[t] = r->threads == NULL || r->threads[t];
    sample_filter f = {&p->samples,    keep,          nthreads, n,       r->flags_set,
                       r->flags_clear, r->check_time, r->t0_ns, r->t1_ns};
    bool plain = r->threads == NULL && r->flags_set == 0 && r->flags_clear == 0 && !r->check_time;
    for (size_t first = r->first; first < r->last;) {
        size_t last = r->last - first > UINT32_MAX ? first + UINT32_MAX : r->last;
        bool weighed = count_chunk(&f, plain, first, last, count);
        if (weighed) {
            if (weight == NULL && (weight = calloc((size_t)n + 1, sizeof *weight)) == NULL)
                goto out;
            weigh_chunk(&f, plain, first, last, weight);
        }
        fold_rows(r, count, weighed ? weight : NULL);
        first = last;
    }
    rc = SG_PROFILE_OK;
out:
    free(count);
    free(keep);
    free(weight);
    return rc;
}

int sg_view_resolve(const sg_profile *p, const sg_view *v, sg_view_resolved *out)
{
    memset(out, 0, sizeof *out);
    out->profile = p;
    out->stacks = &p->stacks;
    out->map_none = SG_STACK_NONE;
    int rc = sg_stacks_init(&out->owned_stacks);
    if (rc != 0)
        return rc;
    sg_view all = {0};
    if (v == NULL)
        v = &all;
    if (((v->flags_set | v->flags_clear) & ~SG_SAMPLE_ALL_FLAGS) != 0 ||
        (v->focus && v->focus_frame >= p->frames.count) ||
        (v->exclude && v->exclude_frame >= p->frames.count))
        return SG_PROFILE_EINVAL;
    uint32_t n = p->stacks.count;
    out->map = malloc(((size_t)n + 1) * sizeof *out->map);
    if (out->map == NULL)
        return SG_PROFILE_ENOMEM;
    if (sg_view_transforms_stacks(v)) {
        out->stacks = &out->owned_stacks;
        if ((rc = transform_stacks(p, v, out)) != 0)
            return rc;
    } else {
        for (uint32_t r = 0; r < n; r++)
            out->map[r] = r;
        out->map_identity = true;
    }
    out->threads = v->threads;
    out->flags_set = v->flags_set;
    out->flags_clear = v->flags_clear;
    out->t0_ns = v->t0_ns;
    out->t1_ns = v->t1_ns;
    sg_view_sample_range(&p->samples, v->t0_ns, v->t1_ns, &out->first, &out->last,
                         &out->check_time);
    size_t rows = (size_t)out->stacks->count + 1;
    out->row_weight = calloc(rows, sizeof *out->row_weight);
    out->row_samples = calloc(rows, sizeof *out->row_samples);
    if (out->row_weight == NULL || out->row_samples == NULL)
        return SG_PROFILE_ENOMEM;
    return sum_samples(out);
}

void sg_view_resolved_free(sg_view_resolved *r)
{
    sg_stacks_free(&r->owned_stacks);
    free(r->map);
    free(r->row_weight);
    free(r->row_samples);
    memset(r, 0, sizeof *r);
}
