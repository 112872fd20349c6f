/*
 * common.c — the checks every fuzz target runs (see common.h).
 */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/export_collapsed.h"
#include "profile/format_list.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

void sg_fuzz_check_profile(const sg_profile *p)
{
    const sg_strings *s = &p->strings;
    CHECK(s->count >= 1 && s->length[0] == 0);
    for (uint32_t f = 0; f < p->frames.count; f++)
        CHECK(p->frames.rows[f].file < s->count && p->frames.rows[f].name < s->count);
    for (uint32_t id = 0; id < p->stacks.count; id++) {
        const sg_stack_row *r = &p->stacks.rows[id];
        CHECK(r->frame < p->frames.count);
        CHECK(r->parent == SG_STACK_NONE || r->parent < id);
        CHECK(r->depth == (r->parent == SG_STACK_NONE ? 1 : p->stacks.rows[r->parent].depth + 1));
    }
    for (uint32_t t = 0; t < p->threads.count; t++)
        CHECK(p->threads.name[t] < s->count);
    for (size_t i = 0; i < p->samples.count; i++) {
        CHECK(p->samples.thread[i] < p->threads.count);
        CHECK(p->samples.stack[i] == SG_STACK_NONE || p->samples.stack[i] < p->stacks.count);
        /* a profile with stacks holds only the flags this version defines */
        CHECK(!p->meta.has_stacks || (p->samples.flags[i] & ~SG_SAMPLE_ALL_FLAGS) == 0);
    }
    const sg_callstats *c = &p->callstats;
    for (uint32_t i = 0; i < c->func_count; i++) {
        CHECK(c->funcs[i].frame < p->frames.count);
        CHECK(sg_call_numbers_valid(&c->funcs[i].n, 0));
        CHECK(sg_callstats_find_func(c, c->funcs[i].frame) == i);
    }
    for (uint32_t i = 0; i < c->edge_count; i++) {
        const sg_callstats_edge *e = &c->edges[i];
        CHECK(e->caller < p->frames.count && e->callee < p->frames.count);
        CHECK(sg_call_numbers_valid(&e->n, e->flags));
        CHECK(sg_callstats_find_edge(c, e->caller, e->callee) == i);
    }
    for (size_t i = 0; i < p->events.count; i++) {
        CHECK(p->events.thread[i] == SG_THREAD_NONE || p->events.thread[i] < p->threads.count);
        CHECK(p->events.label[i] < s->count);
    }
    for (uint32_t i = 0; i < p->sources.count; i++)
        CHECK(p->sources.file[i] < s->count);
    const sg_meta *m = &p->meta;
    CHECK(m->command < s->count && m->python_version < s->count && m->host < s->count &&
          m->spyglass_version < s->count);
    CHECK(m->weight_unit <= SG_WEIGHT_UNIT_MAX);
}

/* Export p as pprof into memory and import it back. */
static void pprof_round_trip(const sg_profile *p)
{
    char *bytes = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&bytes, &len);
    CHECK(out != NULL);
    char err[256];
    int rc = sg_export_pprof(p, out, NULL, err, sizeof err);
    fclose(out);
    if (rc == SG_PROFILE_ENOMEM || rc == SG_PROFILE_ELIMIT) {
        free(bytes);
        return;
    }
    CHECK(rc == 0);
    CHECK(sg_detect_pprof((const uint8_t *)bytes, len));
    sg_profile *back = NULL;
    rc = sg_import_pprof((const uint8_t *)bytes, len, NULL, &back, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "re-import of our own pprof failed: %s\n", err);
    CHECK(rc == 0 || rc == SG_PROFILE_ENOMEM || rc == SG_PROFILE_ELIMIT);
    if (back != NULL) {
        sg_fuzz_check_profile(back);
        sg_profile_free(back);
    }
    free(bytes);
}

void sg_fuzz_run_importer(sg_import_fn import, const uint8_t *data, size_t size)
{
    sg_profile *p = (sg_profile *)1; /* must come back NULL on failure */
    char err[512];
    memset(err, 0, sizeof err);
    int rc = import(data, size, NULL, &p, err, sizeof err);
    if (rc != 0) {
        CHECK(rc < 0);
        CHECK(p == NULL);
        CHECK(err[0] != '\0');
        CHECK(memchr(err, '\0', sizeof err) != NULL);
        return;
    }
    CHECK(p != NULL);
    sg_fuzz_check_profile(p);
    FILE *sink = fopen("/dev/null", "w");
    CHECK(sink != NULL);
    sg_collapsed_options opts = {.flags = SG_COLLAPSED_THREADS};
    rc = sg_export_collapsed(p, sink, &opts);
    CHECK(rc == 0 || rc == SG_PROFILE_ENOMEM || rc == SG_PROFILE_ELIMIT);
    fclose(sink);
    pprof_round_trip(p);
    sg_profile_free(p);
}
