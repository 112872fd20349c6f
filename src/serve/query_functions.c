/*
 * query_functions.c — GET /api/profiles/{id}/functions: the function table
 * (function_table.h) by function, line, file or package, filtered by text,
 * sorted, and paged (offset, limit), as columns.
 *
 * The table gives self and total; the "samples" column (how many kept
 * samples had the row as their newest frame) is summed here from the
 * resolved view's per-row sample counts, one pass over the view's stack
 * rows, so sorting by samples works for time-weighted imports too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/function_table.h"
#include "serve/frameset.h"
#include "serve/query.h"

#define SG_FUNCTIONS_DEFAULT_LIMIT 1000
#define SG_FUNCTIONS_MAX_LIMIT     1000000

/* A tiny open-addressing map u64 key → row, sized once. */
typedef struct keymap {
    uint64_t *keys;
    uint32_t *vals;
    size_t mask;
} keymap;

static int keymap_init(keymap *m, size_t n)
{
    size_t cap = 16;
    while (cap < n * 2)
        cap *= 2;
    m->keys = malloc(cap * sizeof *m->keys);
    m->vals = malloc(cap * sizeof *m->vals);
    m->mask = cap - 1;
    if (m->keys == NULL || m->vals == NULL)
        return -1;
    memset(m->keys, 0xff, cap * sizeof *m->keys);
    return 0;
}

static void keymap_free(keymap *m)
{
    free(m->keys);
    free(m->vals);
}

static size_t slot_of(const keymap *m, uint64_t k)
{
    uint64_t h = k * 0x9e3779b97f4a7c15ull;
    size_t i = (size_t)(h >> 17) & m->mask;
    while (m->keys[i] != UINT64_MAX && m->keys[i] != k)
        i = (i + 1) & m->mask;
    return i;
}

static void keymap_put(keymap *m, uint64_t k, uint32_t v)
{
    size_t i = slot_of(m, k);
    m->keys[i] = k;
    m->vals[i] = v;
}

static uint32_t keymap_get(const keymap *m, uint64_t k)
{
    size_t i = slot_of(m, k);
    return m->keys[i] == k ? m->vals[i] : UINT32_MAX;
}

static uint64_t row_key(int by, const sg_profile *p, uint32_t frame, uint32_t line,
                        const uint32_t *frame_package)
{
    switch (by) {
    case SG_FTABLE_BY_LINE:
        return ((uint64_t)frame << 32) | line;
    case SG_FTABLE_BY_FILE:
        return p->frames.rows[frame].file;
    case SG_FTABLE_BY_PACKAGE:
        return frame_package[frame];
    default:
        return frame;
    }
}

typedef struct sort_ctx {
    const sg_ftable *t;
    const uint64_t *samples;
    char **keys;
    int sort; /* 0 self, 1 total, 2 samples, 3 name */
    bool asc;
} sort_ctx;

static int cmp_rows(const void *pa, const void *pb, void *vctx)
{
    const sort_ctx *c = vctx;
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    const sg_ftable_row *ra = &c->t->rows[a], *rb = &c->t->rows[b];
    int r = 0;
    uint64_t va = 0, vb = 0;
    switch (c->sort) {
    case 0:
        va = ra->self, vb = rb->self;
        break;
    case 1:
        va = ra->total, vb = rb->total;
        break;
    case 2:
        va = c->samples[a], vb = c->samples[b];
        break;
    default:
        r = strcmp(c->keys[a], c->keys[b]);
    }
    if (c->sort != 3)
        r = va < vb ? -1 : va > vb;
    if (!c->asc)
        r = -r;
    if (r == 0) /* stable tie-break: the table's own order */
        r = a < b ? -1 : a > b;
    return r;
}

static char *row_label(int by, const sg_profile *p, const sg_ftable *t, const sg_ftable_row *r)
{
    char *s = NULL;
    switch (by) {
    case SG_FTABLE_BY_LINE:
        if (asprintf(&s, "%s:%u", sg_strings_get(&p->strings, r->file), r->line) < 0)
            s = NULL;
        return s;
    case SG_FTABLE_BY_FILE:
        return strdup(sg_strings_get(&p->strings, r->file));
    case SG_FTABLE_BY_PACKAGE:
        return strdup(t->packages.items[r->package].name);
    default:
        return strdup(sg_strings_get(&p->strings, p->frames.rows[r->frame].name));
    }
}

static void free_ftable(void *obj)
{
    sg_ftable_free(obj);
    free(obj);
}

const sg_ftable *sg_query_ftable(sg_query *q, int by, sg_derived **handle)
{
    *handle = NULL;
    char key[64];
    sg_jbuf k;
    sg_jbuf_init(&k);
    if (q->view_key != NULL) {
        snprintf(key, sizeof key, "ftable:%d:", by);
        sg_jbuf_puts(&k, key);
        sg_jbuf_puts(&k, q->view_key);
        const sg_ftable *t = k.failed ? NULL : sg_loaded_derived_get(q->entry, k.data, handle);
        if (t != NULL) {
            sg_jbuf_free(&k);
            return t;
        }
    }
    sg_ftable *t = calloc(1, sizeof *t);
    sg_ftable_options o = {.by = by, .sort = SG_FTABLE_SORT_SELF, .view = q->view};
    int rc = t == NULL ? SG_PROFILE_ENOMEM : sg_ftable_build(q->profile, &o, t);
    if (rc != 0) {
        free(t);
        sg_jbuf_free(&k);
        sg_query_fail(q, 500, "building the function table: %s", sg_profile_strerror(rc));
        return NULL;
    }
    if (q->view_key != NULL && !k.failed) {
        size_t bytes = sg_alloc_bytes(1, sizeof *t) + sg_alloc_bytes(t->count, sizeof *t->rows) +
                       sg_alloc_bytes(t->packages.count, sizeof(sg_package) + 64);
        t = sg_loaded_derived_put(q->entry, k.data, t, free_ftable, bytes, handle);
        if (t == NULL)
            sg_query_fail(q, 500, "out of memory");
    }
    sg_jbuf_free(&k);
    return t;
}

void sg_query_ftable_release(sg_query *q, const sg_ftable *t, sg_derived *handle)
{
    if (handle != NULL)
        sg_loaded_derived_release(q->entry, handle);
    else if (t != NULL)
        free_ftable((void *)t);
}

int sg_query_functions(sg_query *q)
{
    static const char *const bys[] = {"function", "line", "file", "package"};
    static const char *const sorts[] = {"self", "total", "samples", "name"};
    static const char *const orders[] = {"desc", "asc"};
    int by = 0, sort = 0, order = -1;
    uint64_t offset = 0, limit = SG_FUNCTIONS_DEFAULT_LIMIT;
    if (sg_params_enum(q->params, "by", bys, 4, &by, q->err, q->errlen) != 0 ||
        sg_params_enum(q->params, "sort", sorts, 4, &sort, q->err, q->errlen) != 0 ||
        sg_params_enum(q->params, "order", orders, 2, &order, q->err, q->errlen) != 0 ||
        sg_params_u64(q->params, "offset", UINT32_MAX, &offset, q->err, q->errlen) != 0 ||
        sg_params_u64(q->params, "limit", SG_FUNCTIONS_MAX_LIMIT, &limit, q->err, q->errlen) != 0)
        return 400;
    const char *filter = sg_params_get(q->params, "filter");
    const sg_profile *p = q->profile;
    const sg_packages *pk;
    const uint32_t *frame_package;
    if (sg_loaded_packages(q->entry, &pk, &frame_package) != 0)
        return sg_query_fail(q, 500, "out of memory");

    sg_derived *handle;
    const sg_ftable *table = sg_query_ftable(q, by, &handle);
    if (table == NULL)
        return 500;
    const sg_ftable t = *table; /* a shallow copy for brevity; the rows stay the table's */

    int status = 0;
    uint64_t *samples = calloc(t.count + 1, sizeof *samples);
    char **keys = calloc(t.count + 1, sizeof *keys);
    uint32_t *idx = malloc((t.count + 1) * sizeof *idx);
    keymap m = {0};
    if (samples == NULL || keys == NULL || idx == NULL || keymap_init(&m, t.count) != 0) {
        status = sg_query_fail(q, 500, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < t.count; i++) {
        const sg_ftable_row *r = &t.rows[i];
        keymap_put(&m, row_key(by, p, r->frame, r->line, frame_package), (uint32_t)i);
    }
    if (!t.from_pstats) {
        const sg_stacks *st = q->rv->stacks;
        for (uint32_t s = 0; s < st->count; s++) {
            if (q->rv->row_samples[s] == 0)
                continue;
            const sg_stack_row *row = &st->rows[s];
            uint32_t k = keymap_get(&m, row_key(by, p, row->frame, row->line, frame_package));
            if (k != UINT32_MAX)
                samples[k] += q->rv->row_samples[s];
        }
    }
    /* labels are made for every row only when a filter or the sort needs
     * them; otherwise for the rows of the page alone */
    bool all_labels = (filter != NULL && *filter != '\0') || sort == 3;
    size_t n = 0;
    for (size_t i = 0; i < t.count; i++) {
        bool keep = true;
        if (all_labels) {
            keys[i] = row_label(by, p, &t, &t.rows[i]);
            if (keys[i] == NULL) {
                status = sg_query_fail(q, 500, "out of memory");
                goto done;
            }
            keep = filter == NULL || *filter == '\0' || strcasestr(keys[i], filter) != NULL;
            if (!keep && by == SG_FTABLE_BY_FUNCTION)
                keep = strcasestr(sg_strings_get(&p->strings, t.rows[i].file), filter) != NULL;
        }
        if (keep)
            idx[n++] = (uint32_t)i;
    }
    sort_ctx sc = {&t, samples, keys, sort, order == 1 || (order == -1 && sort == 3)};
    qsort_r(idx, n, sizeof *idx, cmp_rows, &sc);
    size_t first = offset < n ? (size_t)offset : n;
    size_t last = limit == 0 || first + limit > n ? n : first + (size_t)limit;
    for (size_t i = first; i < last && !all_labels; i++)
        if ((keys[idx[i]] = row_label(by, p, &t, &t.rows[idx[i]])) == NULL) {
            status = sg_query_fail(q, 500, "out of memory");
            goto done;
        }

    sg_jbuf *out = q->out;
    sg_frameset fs;
    sg_frameset_init(&fs, p->frames.count);
    sg_jbuf_puts(out, "{\"by\":");
    sg_jbuf_str(out, bys[by]);
    sg_jbuf_puts(out, ",\"total\":");
    sg_jbuf_u64(out, t.total_weight);
    sg_jbuf_puts(out, ",\"samples\":");
    sg_jbuf_u64(out, t.total_samples);
    sg_jbuf_puts(out, ",\"from_pstats\":");
    sg_jbuf_bool(out, t.from_pstats);
    sg_jbuf_puts(out, ",\"approximate\":");
    sg_jbuf_bool(out, t.approximate);
    sg_jbuf_puts(out, ",\"count\":");
    sg_jbuf_u64(out, n);
    sg_jbuf_puts(out, ",\"offset\":");
    sg_jbuf_u64(out, first);
    sg_jbuf_puts(out, ",\"rows\":{\"key\":[");
    for (size_t i = first; i < last; i++) {
        if (i > first)
            sg_jbuf_char(out, ',');
        sg_jbuf_str(out, keys[idx[i]]);
    }
    bool has_frame = by == SG_FTABLE_BY_FUNCTION || by == SG_FTABLE_BY_LINE;
    sg_jbuf_puts(out, "],\"frame\":[");
    for (size_t i = first; i < last; i++) {
        if (i > first)
            sg_jbuf_char(out, ',');
        if (has_frame) {
            sg_jbuf_u64(out, t.rows[idx[i]].frame);
            sg_frameset_add(&fs, t.rows[idx[i]].frame);
        } else
            sg_jbuf_puts(out, "-1");
    }
    sg_jbuf_puts(out, "],\"line\":[");
    for (size_t i = first; i < last; i++) {
        if (i > first)
            sg_jbuf_char(out, ',');
        if (by == SG_FTABLE_BY_LINE)
            sg_jbuf_u64(out, t.rows[idx[i]].line);
        else
            sg_jbuf_puts(out, "-1");
    }
    static const char *const cols[] = {"self", "total", "samples", "calls", "primitive_calls"};
    for (int c = 0; c < 5; c++) {
        sg_jbuf_printf(out, "],\"%s\":[", cols[c]);
        for (size_t i = first; i < last; i++) {
            const sg_ftable_row *r = &t.rows[idx[i]];
            uint64_t v = c == 0   ? r->self
                         : c == 1 ? r->total
                         : c == 2 ? samples[idx[i]]
                         : c == 3 ? r->calls
                                  : r->primitive_calls;
            if (i > first)
                sg_jbuf_char(out, ',');
            sg_jbuf_u64(out, v);
        }
    }
    sg_jbuf_puts(out, "]},");
    sg_frameset_write(&fs, q->entry, out);
    sg_jbuf_char(out, '}');
    sg_frameset_free(&fs);
done:
    if (keys != NULL)
        for (size_t i = 0; i < t.count; i++)
            free(keys[i]);
    free(keys);
    free(samples);
    free(idx);
    keymap_free(&m);
    sg_query_ftable_release(q, table, handle);
    return status;
}
