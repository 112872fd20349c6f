/*
 * merge.c — N profiles into one (see merge.h).
 *
 * Per input, three maps built in one forward pass each: string id → new
 * string id (lazily, through the text), frame → new frame, stack row →
 * new row (parents come first, so a row's parent is always mapped). The
 * samples and events are then copied through the maps.
 */
#include "analyze/merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/hash.h"

#define UNSET UINT32_MAX

typedef struct maps {
    uint32_t *string; /* per input string: new id or UNSET */
    uint32_t *frame;
    uint32_t *stack;
    uint32_t *thread;
} maps;

static void maps_free(maps *m)
{
    free(m->string);
    free(m->frame);
    free(m->stack);
    free(m->thread);
}

static int map_string(sg_profile *out, const sg_profile *in, maps *m, uint32_t id, uint32_t *res)
{
    if (m->string[id] == UNSET) {
        int rc = sg_strings_intern(&out->strings, sg_strings_get(&in->strings, id),
                                   sg_strings_len(&in->strings, id), &m->string[id]);
        if (rc != 0)
            return rc;
    }
    *res = m->string[id];
    return SG_PROFILE_OK;
}

/* Summed call statistics, keyed by new frame ids (functions) and by
 * (caller, callee) (edges, an open-addressing index). */
typedef struct callsum {
    sg_call_numbers *func; /* per new frame */
    bool *has_func;
    sg_callstats_edge *edges;
    uint32_t nedges, cap;
    uint64_t *slots;
    uint32_t mask;
} callsum;

static uint64_t sat_add(uint64_t a, uint64_t b, uint64_t max)
{
    return a > max - (b > max ? max : b) ? max : a + b;
}

static void add_numbers(sg_call_numbers *to, const sg_call_numbers *n)
{
    to->cc = sat_add(to->cc, n->cc, SG_CALLSTATS_MAX_COUNT);
    to->nc = sat_add(to->nc, n->nc, SG_CALLSTATS_MAX_COUNT);
    to->tt_ns = sat_add(to->tt_ns, n->tt_ns, SG_CALLSTATS_MAX_NS);
    to->ct_ns = sat_add(to->ct_ns, n->ct_ns, SG_CALLSTATS_MAX_NS);
}

static int callsum_edge(callsum *c, uint32_t caller, uint32_t callee, uint32_t flags,
                        const sg_call_numbers *n)
{
    uint32_t hash = sg_hash_u32x3(caller, callee, 0x3e26);
    if (c->slots != NULL)
        for (uint32_t j = hash & c->mask; c->slots[j] != SG_HASH_EMPTY_SLOT;
             j = (j + 1) & c->mask) {
            sg_callstats_edge *e = &c->edges[sg_hash_slot_id(c->slots[j])];
            if (sg_hash_slot_hash(c->slots[j]) == hash && e->caller == caller &&
                e->callee == callee) {
                add_numbers(&e->n, n);
                e->flags &= flags; /* count only if every input had only counts (a
                                      count-only input adds 0 times, so a mix stays valid) */
                return SG_PROFILE_OK;
            }
        }
    int rc = sg_hash_index_reserve(&c->slots, &c->mask, c->nedges);
    if (rc != 0)
        return rc;
    if (c->nedges == c->cap) {
        uint32_t cap = c->cap == 0 ? 256 : c->cap * 2;
        sg_callstats_edge *e = realloc(c->edges, (size_t)cap * sizeof *e);
        if (e == NULL)
            return SG_PROFILE_ENOMEM;
        c->edges = e;
        c->cap = cap;
    }
    c->edges[c->nedges] = (sg_callstats_edge){caller, callee, flags, *n};
    sg_hash_index_insert(c->slots, c->mask, hash, c->nedges++);
    return SG_PROFILE_OK;
}

static int merge_one(sg_profile *out, const sg_profile *in, const char *name, uint64_t shift,
                     callsum *cs)
{
    maps m = {0};
    m.string = malloc(((size_t)in->strings.count + 1) * sizeof *m.string);
    m.frame = malloc(((size_t)in->frames.count + 1) * sizeof *m.frame);
    m.stack = malloc(((size_t)in->stacks.count + 1) * sizeof *m.stack);
    m.thread = malloc(((size_t)in->threads.count + 1) * sizeof *m.thread);
    int rc = SG_PROFILE_ENOMEM;
    if (m.string == NULL || m.frame == NULL || m.stack == NULL || m.thread == NULL)
        goto out;
    memset(m.string, 0xff, ((size_t)in->strings.count + 1) * sizeof *m.string);
    rc = SG_PROFILE_OK;
    for (uint32_t f = 0; f < in->frames.count && rc == 0; f++) {
        const sg_frame *fr = &in->frames.rows[f];
        uint32_t file, fname;
        if ((rc = map_string(out, in, &m, fr->file, &file)) == 0 &&
            (rc = map_string(out, in, &m, fr->name, &fname)) == 0)
            rc = sg_frames_intern(&out->frames, file, fname, fr->first_line, &m.frame[f]);
    }
    for (uint32_t r = 0; r < in->stacks.count && rc == 0; r++) {
        const sg_stack_row *row = &in->stacks.rows[r];
        uint32_t parent = row->parent == SG_STACK_NONE ? SG_STACK_NONE : m.stack[row->parent];
        rc = sg_stacks_intern(&out->stacks, parent, m.frame[row->frame], row->line, &m.stack[r]);
    }
    for (uint32_t t = 0; t < in->threads.count && rc == 0; t++) {
        const char *tname = sg_strings_get(&in->strings, in->threads.name[t]);
        size_t len = strlen(name) + strlen(tname) + 3;
        char *full = malloc(len);
        if (full == NULL) {
            rc = SG_PROFILE_ENOMEM;
            break;
        }
        snprintf(full, len, "%s: %s", name, tname);
        rc = sg_profile_intern_thread(out, in->threads.tid[t], full, &m.thread[t]);
        free(full);
    }
    const sg_samples *s = &in->samples;
    if (rc == 0)
        rc = sg_samples_reserve(&out->samples, s->count);
    for (size_t i = 0; i < s->count && rc == 0; i++) {
        uint64_t t = s->time_ns[i] > UINT64_MAX - shift ? UINT64_MAX : s->time_ns[i] + shift;
        uint32_t stack = s->stack[i] == SG_STACK_NONE ? SG_STACK_NONE : m.stack[s->stack[i]];
        rc = sg_samples_append(&out->samples, t, m.thread[s->thread[i]], stack, s->flags[i],
                               s->weight[i]);
    }
    const sg_events *ev = &in->events;
    for (size_t i = 0; i < ev->count && rc == 0; i++) {
        uint32_t label;
        uint64_t t = ev->time_ns[i] > UINT64_MAX - shift ? UINT64_MAX : ev->time_ns[i] + shift;
        uint32_t thread =
            ev->thread[i] == SG_THREAD_NONE ? SG_THREAD_NONE : m.thread[ev->thread[i]];
        if ((rc = map_string(out, in, &m, ev->label[i], &label)) == 0)
            rc = sg_events_append(&out->events, t, ev->kind[i], thread, label);
    }
    for (uint32_t i = 0; i < in->sources.count && rc == 0; i++) {
        uint32_t file;
        if ((rc = map_string(out, in, &m, in->sources.file[i], &file)) == 0) {
            rc = sg_sources_add(&out->sources, file, in->sources.text[i], in->sources.length[i]);
            if (rc == SG_PROFILE_ELIMIT)
                rc = SG_PROFILE_OK; /* over the size cap: the text is left out */
        }
    }
    const sg_callstats *c = &in->callstats;
    for (uint32_t i = 0; i < c->func_count && rc == 0; i++) {
        uint32_t f = m.frame[c->funcs[i].frame];
        if (f >= out->frames.count) {
            rc = SG_PROFILE_EINVAL;
            break;
        }
        add_numbers(&cs->func[f], &c->funcs[i].n);
        cs->has_func[f] = true;
    }
    for (uint32_t i = 0; i < c->edge_count && rc == 0; i++) {
        const sg_callstats_edge *e = &c->edges[i];
        rc = callsum_edge(cs, m.frame[e->caller], m.frame[e->callee], e->flags, &e->n);
    }
out:
    maps_free(&m);
    return rc;
}

static int check_inputs(const sg_profile *const *in, size_t n)
{
    if (n == 0)
        return SG_PROFILE_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == NULL || in[i]->meta.weight_unit != in[0]->meta.weight_unit ||
            sg_callstats_empty(&in[i]->callstats) != sg_callstats_empty(&in[0]->callstats))
            return SG_PROFILE_EINVAL;
    }
    return SG_PROFILE_OK;
}

static int copy_meta_text(sg_profile *out, const sg_profile *in, uint32_t from, uint32_t *field)
{
    return sg_profile_set_meta_text(out, field, sg_strings_get(&in->strings, from));
}

int sg_merge(const sg_profile *const *in, const char *const *names, size_t n, int times,
             sg_profile **out_p)
{
    *out_p = NULL;
    int rc = check_inputs(in, n);
    if (rc != 0)
        return rc;
    if (times != SG_MERGE_TIMES_KEPT && times != SG_MERGE_TIMES_WALL)
        return SG_PROFILE_EINVAL;
    sg_profile *out = sg_profile_new();
    if (out == NULL)
        return SG_PROFILE_ENOMEM;
    size_t frames_bound = 0;
    for (size_t i = 0; i < n; i++)
        frames_bound += in[i]->frames.count;
    callsum cs = {0};
    cs.func = calloc(frames_bound + 1, sizeof *cs.func);
    cs.has_func = calloc(frames_bound + 1, sizeof *cs.has_func);
    if (cs.func == NULL || cs.has_func == NULL)
        rc = SG_PROFILE_ENOMEM;
    uint64_t earliest = UINT64_MAX;
    for (size_t i = 0; i < n; i++)
        if (in[i]->meta.start_unix_ns != 0 && in[i]->meta.start_unix_ns < earliest)
            earliest = in[i]->meta.start_unix_ns;
    sg_meta *meta = &out->meta;
    const sg_meta *first = &in[0]->meta;
    meta->mode = first->mode;
    meta->weight_unit = first->weight_unit;
    meta->interval_ns = first->interval_ns;
    meta->has_stacks = true;
    meta->pid = first->pid;
    meta->start_unix_ns =
        times == SG_MERGE_TIMES_WALL && earliest != UINT64_MAX ? earliest : first->start_unix_ns;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const sg_meta *mi = &in[i]->meta;
        uint64_t shift = 0;
        if (times == SG_MERGE_TIMES_WALL && mi->start_unix_ns != 0)
            shift = mi->start_unix_ns - earliest;
        char fallback[32];
        snprintf(fallback, sizeof fallback, "profile %zu", i + 1);
        const char *name = names != NULL && names[i] != NULL ? names[i] : fallback;
        rc = merge_one(out, in[i], name, shift, &cs);
        if (mi->mode != meta->mode)
            meta->mode = SG_MODE_UNKNOWN;
        if (mi->interval_ns != meta->interval_ns)
            meta->interval_ns = 0;
        if (mi->pid != meta->pid)
            meta->pid = 0;
        meta->has_stacks &= mi->has_stacks;
        uint64_t end = mi->duration_ns > UINT64_MAX - shift ? UINT64_MAX : mi->duration_ns + shift;
        if (end > meta->duration_ns)
            meta->duration_ns = end;
        meta->samples_missed += mi->samples_missed;
    }
    for (uint32_t f = 0; f < out->frames.count && rc == 0; f++)
        if (cs.has_func[f])
            rc = sg_callstats_add_func(&out->callstats, f, &cs.func[f], NULL);
    for (uint32_t e = 0; e < cs.nedges && rc == 0; e++) {
        sg_callstats_edge *ed = &cs.edges[e];
        if (ed->flags & SG_CALLSTATS_COUNT_ONLY)
            ed->n.cc = ed->n.tt_ns = ed->n.ct_ns = 0;
        rc =
            sg_callstats_add_edge(&out->callstats, ed->caller, ed->callee, ed->flags, &ed->n, NULL);
    }
    const sg_profile *p0 = in[0];
    if (rc == 0)
        rc = copy_meta_text(out, p0, p0->meta.command, &meta->command);
    if (rc == 0)
        rc = copy_meta_text(out, p0, p0->meta.python_version, &meta->python_version);
    if (rc == 0)
        rc = copy_meta_text(out, p0, p0->meta.host, &meta->host);
    if (rc == 0)
        rc = copy_meta_text(out, p0, p0->meta.spyglass_version, &meta->spyglass_version);
    free(cs.func);
    free(cs.has_func);
    free(cs.edges);
    free(cs.slots);
    if (rc != 0) {
        sg_profile_free(out);
        return rc;
    }
    *out_p = out;
    return SG_PROFILE_OK;
}
