/*
 * treemap.c — self weight by package → file → function (see treemap.h).
 *
 * Sums self per frame (from the view's per-row weights, or pstats's tt),
 * then per file and per package, sorts the weighted frames by
 * (package, file, function) in output order, and emits a cell whenever
 * the package or the file changes. A file belongs to exactly one package
 * (the package comes from the path), so the sort keeps files together.
 */
#include "analyze/treemap.h"

#include <stdlib.h>
#include <string.h>

#include "profile/sort.h"

typedef struct ctx {
    const sg_profile *p;
    const sg_packages *pk;
    const uint32_t *frame_package;
    const uint64_t *frame_w, *file_w, *pkg_w;
} ctx;

static int heavier(uint64_t a, uint64_t b)
{
    return a == b ? 0 : (a > b ? -1 : 1);
}

static int by_cell(uint32_t a, uint32_t b, const void *vc)
{
    const ctx *c = vc;
    const sg_frame *fa = &c->p->frames.rows[a], *fb = &c->p->frames.rows[b];
    uint32_t pa = c->frame_package[a], pb = c->frame_package[b];
    int d;
    if (pa != pb) {
        if ((d = heavier(c->pkg_w[pa], c->pkg_w[pb])) != 0)
            return d;
        if ((d = strcmp(c->pk->items[pa].name, c->pk->items[pb].name)) != 0)
            return d;
        return pa < pb ? -1 : 1;
    }
    if (fa->file != fb->file) {
        if ((d = heavier(c->file_w[fa->file], c->file_w[fb->file])) != 0)
            return d;
        d = strcmp(sg_strings_get(&c->p->strings, fa->file),
                   sg_strings_get(&c->p->strings, fb->file));
        return d != 0 ? d : (fa->file < fb->file ? -1 : 1);
    }
    if ((d = heavier(c->frame_w[a], c->frame_w[b])) != 0)
        return d;
    d = strcmp(sg_strings_get(&c->p->strings, fa->name), sg_strings_get(&c->p->strings, fb->name));
    return d != 0 ? d : (a > b) - (a < b);
}

static int push(sg_treemap *t, sg_treemap_cell cell)
{
    t->cells[t->count++] = cell;
    return SG_PROFILE_OK;
}

int sg_treemap_build(const sg_view_resolved *rv, sg_treemap *out)
{
    memset(out, 0, sizeof *out);
    const sg_profile *p = rv->profile;
    uint32_t nf = p->frames.count;
    uint64_t *frame_w = calloc((size_t)nf + 1, sizeof *frame_w);
    uint64_t *file_w = calloc((size_t)p->strings.count + 1, sizeof *file_w);
    uint32_t *frame_package = malloc(((size_t)nf + 1) * sizeof *frame_package);
    uint32_t *order = malloc(((size_t)nf + 1) * sizeof *order);
    uint64_t *pkg_w = NULL;
    int rc = SG_PROFILE_ENOMEM;
    if (frame_w == NULL || file_w == NULL || frame_package == NULL || order == NULL)
        goto out;
    if ((rc = sg_packages_classify(p, &out->packages, frame_package)) != 0)
        goto out;
    rc = SG_PROFILE_ENOMEM;
    if ((pkg_w = calloc((size_t)out->packages.count + 1, sizeof *pkg_w)) == NULL)
        goto out;
    if (sg_callstats_empty(&p->callstats)) {
        for (uint32_t r = 0; r < rv->stacks->count; r++)
            frame_w[rv->stacks->rows[r].frame] += rv->row_weight[r];
        out->total_weight = rv->total_weight;
    } else {
        bool any = rv->threads == NULL;
        for (uint32_t i = 0; !any && i < p->threads.count; i++)
            any = rv->threads[i];
        for (uint32_t i = 0; any && i < p->callstats.func_count; i++) {
            frame_w[p->callstats.funcs[i].frame] += p->callstats.funcs[i].n.tt_ns;
            out->total_weight += p->callstats.funcs[i].n.tt_ns;
        }
    }
    uint32_t n = 0;
    for (uint32_t f = 0; f < nf; f++) {
        if (frame_w[f] == 0)
            continue;
        order[n++] = f;
        file_w[p->frames.rows[f].file] += frame_w[f];
        pkg_w[frame_package[f]] += frame_w[f];
    }
    ctx c = {p, &out->packages, frame_package, frame_w, file_w, pkg_w};
    if ((rc = sg_sort_u32(order, n, by_cell, &c)) != 0)
        goto out;
    rc = SG_PROFILE_ENOMEM;
    if ((out->cells = malloc(((size_t)n * 3 + 1) * sizeof *out->cells)) == NULL)
        goto out;
    uint32_t pkg_cell = SG_TREEMAP_NONE, file_cell = SG_TREEMAP_NONE;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t f = order[i], pk = frame_package[f], file = p->frames.rows[f].file;
        if (pkg_cell == SG_TREEMAP_NONE || out->cells[pkg_cell].package != pk) {
            pkg_cell = out->count;
            file_cell = SG_TREEMAP_NONE;
            push(out, (sg_treemap_cell){SG_TREEMAP_PACKAGE, SG_TREEMAP_NONE, pk, 0, SG_TREEMAP_NONE,
                                        pkg_w[pk]});
        }
        if (file_cell == SG_TREEMAP_NONE || out->cells[file_cell].file != file) {
            file_cell = out->count;
            push(out, (sg_treemap_cell){SG_TREEMAP_FILE, pkg_cell, pk, file, SG_TREEMAP_NONE,
                                        file_w[file]});
        }
        push(out, (sg_treemap_cell){SG_TREEMAP_FUNCTION, file_cell, pk, file, f, frame_w[f]});
    }
    rc = SG_PROFILE_OK;
out:
    free(frame_w);
    free(file_w);
    free(frame_package);
    free(order);
    free(pkg_w);
    if (rc != 0)
        sg_treemap_free(out);
    return rc;
}

void sg_treemap_free(sg_treemap *t)
{
    free(t->cells);
    sg_packages_free(&t->packages);
    memset(t, 0, sizeof *t);
}
