/*
 * query_functions.c — GET /api/profiles/{id}/functions: the function table
 * (function_table.h) by function, line, file or package, filtered by text,
 * sorted, and paged (offset, limit), as columns.
 *
 * The table gives self and total; the "samples" column (how many kept
 * samples had the row as their newest frame) is summed here from the
 * resolved view's per-row sample counts, one pass over the view's stack
 * rows, so sorting by samples works for time-weighted imports too.
 *
 * Filters: `filter` (a case-insensitive substring of the row's key, or,
 * by function and by line, of the function's qualname or file: what the
 * row shows) and `match` (a PCRE2 regex, regex_match.h, on the row's
 * "qualname (file)" or its key: the text the viewer's filter box tests)
 * keep the rows both accept; `mark=1` keeps every row instead and says
 * which matched (a "match" column and "matched" count), for the viewer's
 * grey-out mode. "unfiltered" is the row count before filters, so "N of M"
 * comes from one answer. A regex is bounded per row (its match limits) and
 * per request (SG_FUNCTIONS_MATCH_BUDGET_NS of matching): a pattern too
 * costly for either is a 400 naming it, never a hung worker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze/function_table.h"
#include "serve/frameset.h"
#include "serve/query.h"
#include "serve/regex_match.h"

#define SG_FUNCTIONS_DEFAULT_LIMIT 1000
#define SG_FUNCTIONS_MAX_LIMIT     1000000
/* Wall-clock time one request may spend matching its regex over the rows. */
#define SG_FUNCTIONS_MATCH_BUDGET_NS (2ull * 1000000000ull)

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

/* The row filters of one request: the text filter, the regex and its
 * per-request budget, and a scratch buffer for the regex's subject. */
typedef struct row_filter {
    const char *text; /* NULL = none */
    sg_regex *re;     /* NULL = none */
    sg_jbuf subject;
    uint64_t deadline_ns;
    size_t tested;
    int status; /* of the error, when a filter failed */
} row_filter;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The regex on one subject: 1 or 0, or -1 with q->err (a limit or the
 * request's budget ran out). */
static int regex_on(row_filter *f, sg_query *q, const char *s, size_t len)
{
    if ((++f->tested & 1023) == 0 && now_ns() > f->deadline_ns) {
        f->status = sg_query_fail(
            q, 400,
            "parameter match: the pattern is too costly: matching it took more "
            "than %llu s over the first %zu rows",
            (unsigned long long)(SG_FUNCTIONS_MATCH_BUDGET_NS / 1000000000ull), f->tested);
        return -1;
    }
    char err[300];
    int rc = sg_regex_test(f->re, s, len, err, sizeof err);
    if (rc < 0)
        f->status = sg_query_fail(q, 400, "parameter match: %s", err);
    return rc;
}

/* Whether row r (its display key `key`) passes the filters: 1 or 0, or -1
 * with q->err set. The regex sees what the viewer's filter box tests: a
 * frame's "qualname (file)" where the row has a frame, then the key. */
static int row_passes(row_filter *f, sg_query *q, int by, const sg_ftable_row *r, const char *key)
{
    const sg_profile *p = q->profile;
    if (f->text != NULL) {
        /* What the row shows: its key ("qualname" or "file:line"), and for
         * function and line rows also the function's qualname and file, so
         * a text finds a function's line rows as it finds its row. */
        bool keep = strcasestr(key, f->text) != NULL;
        if (!keep && (by == SG_FTABLE_BY_FUNCTION || by == SG_FTABLE_BY_LINE)) {
            const sg_frame *fr = &p->frames.rows[r->frame];
            keep = strcasestr(sg_strings_get(&p->strings, fr->name), f->text) != NULL ||
                   strcasestr(sg_strings_get(&p->strings, r->file), f->text) != NULL;
        }
        if (!keep)
            return 0;
    }
    if (f->re == NULL)
        return 1;
    if (by == SG_FTABLE_BY_FUNCTION || by == SG_FTABLE_BY_LINE) {
        const sg_frame *fr = &p->frames.rows[r->frame];
        const char *name = sg_strings_get(&p->strings, fr->name);
        const char *file = sg_strings_get(&p->strings, fr->file);
        f->subject.len = 0;
        sg_jbuf_puts(&f->subject, name);
        if (file[0] != '\0') {
            sg_jbuf_puts(&f->subject, " (");
            sg_jbuf_puts(&f->subject, file);
            sg_jbuf_char(&f->subject, ')');
        }
        if (f->subject.failed) {
            f->status = sg_query_fail(q, 500, "out of memory");
            return -1;
        }
        int rc = regex_on(f, q, f->subject.data, f->subject.len);
        if (rc != 0)
            return rc;
    }
    return regex_on(f, q, key, strlen(key));
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

/* The rows of one request's table in answer order: the rows the filters
 * keep (with mark: every row, and which matched), sorted, and every row's
 * sample count. Kept with the loaded profile per (view, by, sort, order,
 * filters), so after a table's first page the next ones cost their own
 * rows only: a scroll through 200,000 rows re-sorts nothing. */
typedef struct fn_order {
    uint32_t *idx;     /* answer order: indexes into the table's rows */
    size_t n;          /* rows in the answer */
    size_t matched;    /* rows the filters accept (n without mark) */
    uint8_t *marks;    /* with mark and a filter: per table row, 1 if it matched; else NULL */
    uint64_t *samples; /* per table row */
} fn_order;

static void fn_order_free(void *obj)
{
    fn_order *o = obj;
    if (o == NULL)
        return;
    free(o->idx);
    free(o->marks);
    free(o->samples);
    free(o);
}

/* What one request asks of the rows. */
typedef struct fn_request {
    int by, sort;
    bool asc, mark;
    row_filter *filter;
} fn_request;

/* Per-row samples: the kept samples whose newest frame is in the row. */
static int order_samples(sg_query *q, const sg_ftable *t, int by, const uint32_t *frame_package,
                         uint64_t *samples)
{
    if (t->from_pstats)
        return 0;
    keymap m = {0};
    if (keymap_init(&m, t->count) != 0) {
        keymap_free(&m);
        return -1;
    }
    const sg_profile *p = q->profile;
    for (size_t i = 0; i < t->count; i++) {
        const sg_ftable_row *r = &t->rows[i];
        keymap_put(&m, row_key(by, p, r->frame, r->line, frame_package), (uint32_t)i);
    }
    const sg_stacks *st = q->rv->stacks;
    for (uint32_t s = 0; s < st->count; s++) {
        if (q->rv->row_samples[s] == 0)
            continue;
        const sg_stack_row *row = &st->rows[s];
        uint32_t k = keymap_get(&m, row_key(by, p, row->frame, row->line, frame_package));
        if (k != UINT32_MAX)
            samples[k] += q->rv->row_samples[s];
    }
    keymap_free(&m);
    return 0;
}

/* Build the order of rq over table t: 0 and *out, or an HTTP status with
 * q->err set. */
static int order_build(sg_query *q, const sg_ftable *t, const fn_request *rq,
                       const uint32_t *frame_package, fn_order **out)
{
    *out = NULL;
    const sg_profile *p = q->profile;
    row_filter *rf = rq->filter;
    bool filtering = rf->text != NULL || rf->re != NULL;
    fn_order *o = calloc(1, sizeof *o);
    /* labels are made for every row only when a filter or the sort needs
     * them, and dropped once the order is known */
    bool all_labels = filtering || rq->sort == 3;
    char **keys = all_labels ? calloc(t->count + 1, sizeof *keys) : NULL;
    int status = 0;
    if (o == NULL || (all_labels && keys == NULL) ||
        (o->samples = calloc(t->count + 1, sizeof *o->samples)) == NULL ||
        (o->idx = malloc((t->count + 1) * sizeof *o->idx)) == NULL ||
        (rq->mark && filtering && (o->marks = calloc(t->count + 1, 1)) == NULL) ||
        order_samples(q, t, rq->by, frame_package, o->samples) != 0) {
        status = sg_query_fail(q, 500, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < t->count; i++) {
        int keep = 1;
        if (all_labels) {
            keys[i] = row_label(rq->by, p, t, &t->rows[i]);
            if (keys[i] == NULL) {
                status = sg_query_fail(q, 500, "out of memory");
                goto done;
            }
            if (filtering && (keep = row_passes(rf, q, rq->by, &t->rows[i], keys[i])) < 0) {
                status = rf->status;
                goto done;
            }
        }
        o->matched += (size_t)keep;
        if (o->marks != NULL)
            o->marks[i] = (uint8_t)keep;
        if (keep || rq->mark)
            o->idx[o->n++] = (uint32_t)i;
    }
    sort_ctx sc = {t, o->samples, keys, rq->sort, rq->asc};
    qsort_r(o->idx, o->n, sizeof *o->idx, cmp_rows, &sc);
done:
    if (keys != NULL)
        for (size_t i = 0; i < t->count; i++)
            free(keys[i]);
    free(keys);
    if (status != 0)
        fn_order_free(o);
    else
        *out = o;
    return status;
}

/* The order of rq, from the entry's derived results when the view has a
 * key (built and kept on the first request), else built now. 0 and *out
 * (release with order_release), or an HTTP status with q->err set. */
static int order_get(sg_query *q, const sg_ftable *t, const fn_request *rq,
                     const uint32_t *frame_package, const fn_order **out, sg_derived **handle)
{
    *handle = NULL;
    sg_jbuf k;
    sg_jbuf_init(&k);
    if (q->view_key != NULL) {
        const char *text = rq->filter->text != NULL ? rq->filter->text : "";
        const char *match = sg_params_get(q->params, "match");
        match = match != NULL ? match : "";
        /* every part length-prefixed: no filter text can fake a boundary */
        sg_jbuf_printf(&k, "forder:%d:%d:%d:%d:%zu:", rq->by, rq->sort, rq->asc, rq->mark,
                       strlen(text));
        sg_jbuf_puts(&k, text);
        sg_jbuf_printf(&k, ":%zu:", strlen(match));
        sg_jbuf_puts(&k, match);
        sg_jbuf_char(&k, '|');
        sg_jbuf_puts(&k, q->view_key);
        *out = k.failed ? NULL : sg_loaded_derived_get(q->entry, k.data, handle);
        if (*out != NULL) {
            sg_jbuf_free(&k);
            return 0;
        }
    }
    fn_order *o;
    int status = order_build(q, t, rq, frame_package, &o);
    if (status == 0 && q->view_key != NULL && !k.failed) {
        size_t bytes = sg_alloc_bytes(1, sizeof *o) + sg_alloc_bytes(o->n + 1, sizeof *o->idx) +
                       sg_alloc_bytes(t->count + 1, sizeof *o->samples) +
                       (o->marks != NULL ? sg_alloc_bytes(t->count + 1, 1) : 0);
        o = sg_loaded_derived_put(q->entry, k.data, o, fn_order_free, bytes, handle);
        if (o == NULL)
            status = sg_query_fail(q, 500, "out of memory");
    }
    sg_jbuf_free(&k);
    *out = status == 0 ? o : NULL;
    return status;
}

static void order_release(sg_query *q, const fn_order *o, sg_derived *handle)
{
    if (handle != NULL)
        sg_loaded_derived_release(q->entry, handle);
    else
        fn_order_free((void *)o);
}

int sg_query_functions(sg_query *q)
{
    static const char *const bys[] = {"function", "line", "file", "package"};
    static const char *const sorts[] = {"self", "total", "samples", "name"};
    static const char *const orders[] = {"desc", "asc"};
    int by = 0, sort = 0, order = -1;
    uint64_t offset = 0, limit = SG_FUNCTIONS_DEFAULT_LIMIT;
    bool mark = false;
    if (sg_params_enum(q->params, "by", bys, 4, &by, q->err, q->errlen) != 0 ||
        sg_params_enum(q->params, "sort", sorts, 4, &sort, q->err, q->errlen) != 0 ||
        sg_params_enum(q->params, "order", orders, 2, &order, q->err, q->errlen) != 0 ||
        sg_params_u64(q->params, "offset", UINT32_MAX, &offset, q->err, q->errlen) != 0 ||
        sg_params_u64(q->params, "limit", SG_FUNCTIONS_MAX_LIMIT, &limit, q->err, q->errlen) != 0 ||
        sg_params_bool(q->params, "mark", &mark, q->err, q->errlen) != 0)
        return 400;
    const char *filter = sg_params_get(q->params, "filter");
    const char *match = sg_params_get(q->params, "match");
    row_filter rf = {.text = filter != NULL && *filter != '\0' ? filter : NULL};
    sg_jbuf_init(&rf.subject);
    if (match != NULL && *match != '\0') {
        char err[400];
        if (sg_regex_compile(match, &rf.re, err, sizeof err) != 0)
            return sg_query_fail(q, 400, "parameter match: %s", err);
        rf.deadline_ns = now_ns() + SG_FUNCTIONS_MATCH_BUDGET_NS;
    }
    const sg_profile *p = q->profile;
    const sg_packages *pk;
    const uint32_t *frame_package;
    sg_derived *handle = NULL, *order_handle = NULL;
    const sg_ftable *table = NULL;
    const fn_order *o = NULL;
    int status = 0;
    if (sg_loaded_packages(q->entry, &pk, &frame_package) != 0) {
        status = sg_query_fail(q, 500, "out of memory");
        goto done;
    }
    if ((table = sg_query_ftable(q, by, &handle)) == NULL) {
        status = 500;
        goto done;
    }
    const sg_ftable t = *table; /* a shallow copy for brevity; the rows stay the table's */
    fn_request rq = {by, sort, order == 1 || (order == -1 && sort == 3), mark, &rf};
    if ((status = order_get(q, &t, &rq, frame_package, &o, &order_handle)) != 0)
        goto done;

    size_t n = o->n;
    size_t first = offset < n ? (size_t)offset : n;
    size_t last = limit == 0 || first + limit > n ? n : first + (size_t)limit;
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
    sg_jbuf_puts(out, ",\"unfiltered\":");
    sg_jbuf_u64(out, t.count);
    if (mark) {
        sg_jbuf_puts(out, ",\"matched\":");
        sg_jbuf_u64(out, o->matched);
    }
    sg_jbuf_puts(out, ",\"offset\":");
    sg_jbuf_u64(out, first);
    sg_jbuf_puts(out, ",\"rows\":{\"key\":[");
    for (size_t i = first; i < last; i++) {
        char *key = row_label(by, p, &t, &t.rows[o->idx[i]]);
        if (key == NULL) {
            sg_frameset_free(&fs);
            status = sg_query_fail(q, 500, "out of memory");
            goto done;
        }
        if (i > first)
            sg_jbuf_char(out, ',');
        sg_jbuf_str(out, key);
        free(key);
    }
    bool has_frame = by == SG_FTABLE_BY_FUNCTION || by == SG_FTABLE_BY_LINE;
    sg_jbuf_puts(out, "],\"frame\":[");
    for (size_t i = first; i < last; i++) {
        if (i > first)
            sg_jbuf_char(out, ',');
        if (has_frame) {
            sg_jbuf_u64(out, t.rows[o->idx[i]].frame);
            sg_frameset_add(&fs, t.rows[o->idx[i]].frame);
        } else
            sg_jbuf_puts(out, "-1");
    }
    sg_jbuf_puts(out, "],\"line\":[");
    for (size_t i = first; i < last; i++) {
        if (i > first)
            sg_jbuf_char(out, ',');
        if (by == SG_FTABLE_BY_LINE)
            sg_jbuf_u64(out, t.rows[o->idx[i]].line);
        else
            sg_jbuf_puts(out, "-1");
    }
    static const char *const cols[] = {"self", "total", "samples", "calls", "primitive_calls"};
    for (int c = 0; c < 5; c++) {
        sg_jbuf_printf(out, "],\"%s\":[", cols[c]);
        for (size_t i = first; i < last; i++) {
            const sg_ftable_row *r = &t.rows[o->idx[i]];
            uint64_t v = c == 0   ? r->self
                         : c == 1 ? r->total
                         : c == 2 ? o->samples[o->idx[i]]
                         : c == 3 ? r->calls
                                  : r->primitive_calls;
            if (i > first)
                sg_jbuf_char(out, ',');
            sg_jbuf_u64(out, v);
        }
    }
    if (mark) {
        sg_jbuf_puts(out, "],\"match\":[");
        for (size_t i = first; i < last; i++) {
            if (i > first)
                sg_jbuf_char(out, ',');
            sg_jbuf_char(out, o->marks == NULL || o->marks[o->idx[i]] ? '1' : '0');
        }
    }
    sg_jbuf_puts(out, "]},");
    sg_frameset_write(&fs, q->entry, out);
    sg_jbuf_char(out, '}');
    sg_frameset_free(&fs);
done:
    if (o != NULL)
        order_release(q, o, order_handle);
    if (table != NULL)
        sg_query_ftable_release(q, table, handle);
    sg_regex_free(rf.re);
    sg_jbuf_free(&rf.subject);
    return status;
}
