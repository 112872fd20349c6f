/*
 * query_source.c — GET .../source?file=PATH: the embedded text of one
 * source file and its per-line self and total weight, and GET .../treemap:
 * self weight by package → file → function (treemap.h).
 *
 * The file name is only ever a key into the profile's own string table:
 * text comes from the profile's embedded sources, never from the server's
 * disk, so no request names a path the server opens.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/function_table.h"
#include "analyze/treemap.h"
#include "serve/frameset.h"
#include "serve/query.h"

typedef struct line_sum {
    uint32_t line;
    uint64_t self, total;
} line_sum;

static int cmp_line(const void *a, const void *b)
{
    uint32_t x = ((const line_sum *)a)->line, y = ((const line_sum *)b)->line;
    return x < y ? -1 : x > y;
}

int sg_query_source(sg_query *q)
{
    const sg_profile *p = q->profile;
    const char *file = sg_params_get(q->params, "file");
    if (file == NULL || *file == '\0')
        return sg_query_fail(q, 400,
                             "parameter file: missing (a file name as the profile lists it)");
    uint32_t fid;
    if (!sg_strings_find(&p->strings, file, strlen(file), &fid))
        return sg_query_fail(q, 404, "parameter file: no file '%.200s' in this profile", file);
    bool used = false;
    for (uint32_t f = 0; f < p->frames.count && !used; f++)
        used = p->frames.rows[f].file == fid;
    if (!used)
        return sg_query_fail(q, 404, "parameter file: no file '%.200s' in this profile", file);

    sg_derived *handle;
    const sg_ftable *table = sg_query_ftable(q, SG_FTABLE_BY_LINE, &handle);
    if (table == NULL)
        return 500;
    const sg_ftable t = *table; /* shallow: the rows stay the table's */
    line_sum *lines = malloc((t.count + 1) * sizeof *lines);
    size_t n = 0;
    if (lines == NULL) {
        sg_query_ftable_release(q, table, handle);
        return sg_query_fail(q, 500, "out of memory");
    }
    if (!t.from_pstats)
        for (size_t i = 0; i < t.count; i++)
            if (t.rows[i].file == fid)
                lines[n++] = (line_sum){t.rows[i].line, t.rows[i].self, t.rows[i].total};
    qsort(lines, n, sizeof *lines, cmp_line);
    size_t m = 0; /* merge rows of different functions on the same line */
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && lines[m - 1].line == lines[i].line) {
            lines[m - 1].self += lines[i].self;
            lines[m - 1].total += lines[i].total;
        } else
            lines[m++] = lines[i];
    }
    sg_jbuf *out = q->out;
    sg_jbuf_puts(out, "{\"file\":");
    sg_jbuf_str(out, file);
    sg_jbuf_puts(out, ",\"total\":");
    sg_jbuf_u64(out, t.total_weight);
    sg_jbuf_puts(out, ",\"text\":");
    long src = sg_sources_find(&p->sources, fid);
    if (src < 0)
        sg_jbuf_puts(out, "null");
    else
        sg_jbuf_strn(out, p->sources.text[src], p->sources.length[src]);
    static const char *const cols[] = {"line", "self", "total"};
    sg_jbuf_puts(out, ",\"lines\":{");
    for (int c = 0; c < 3; c++) {
        sg_jbuf_printf(out, "%s\"%s\":[", c ? "]," : "", cols[c]);
        for (size_t i = 0; i < m; i++) {
            if (i)
                sg_jbuf_char(out, ',');
            sg_jbuf_u64(out, c == 0 ? lines[i].line : c == 1 ? lines[i].self : lines[i].total);
        }
    }
    sg_jbuf_puts(out, "]}}");
    free(lines);
    sg_query_ftable_release(q, table, handle);
    return 0;
}

/* Files of the treemap as a list of strings; cells index it. */
int sg_query_treemap(sg_query *q)
{
    const sg_profile *p = q->profile;
    sg_treemap tm;
    int rc = sg_treemap_build(q->rv, &tm);
    if (rc != 0) {
        sg_treemap_free(&tm);
        return sg_query_fail(q, 500, "treemap: %s", sg_profile_strerror(rc));
    }
    uint32_t *file_index = malloc(((size_t)p->strings.count + 1) * sizeof *file_index);
    uint32_t *files = malloc(((size_t)tm.count + 1) * sizeof *files);
    if (file_index == NULL || files == NULL) {
        free(file_index);
        free(files);
        sg_treemap_free(&tm);
        return sg_query_fail(q, 500, "out of memory");
    }
    memset(file_index, 0xff, ((size_t)p->strings.count + 1) * sizeof *file_index);
    uint32_t nfiles = 0;
    for (uint32_t i = 0; i < tm.count; i++) {
        const sg_treemap_cell *c = &tm.cells[i];
        if (c->level != SG_TREEMAP_PACKAGE && c->file < p->strings.count &&
            file_index[c->file] == UINT32_MAX) {
            file_index[c->file] = nfiles;
            files[nfiles++] = c->file;
        }
    }
    sg_jbuf *out = q->out;
    sg_frameset fs;
    sg_frameset_init(&fs, p->frames.count);
    sg_jbuf_puts(out, "{\"total\":");
    sg_jbuf_u64(out, tm.total_weight);
    sg_jbuf_puts(out, ",\"packages\":[");
    for (uint32_t i = 0; i < tm.packages.count; i++) {
        sg_jbuf_puts(out, i ? ",{\"name\":" : "{\"name\":");
        sg_jbuf_str(out, tm.packages.items[i].name);
        sg_jbuf_puts(out, ",\"kind\":");
        sg_jbuf_str(out, sg_package_kind_key(tm.packages.items[i].kind));
        sg_jbuf_char(out, '}');
    }
    sg_jbuf_puts(out, "],\"cells\":{");
    static const char *const cols[] = {"level", "parent", "package", "file", "frame", "self"};
    for (int c = 0; c < 6; c++) {
        sg_jbuf_printf(out, "%s\"%s\":[", c ? "]," : "", cols[c]);
        for (uint32_t i = 0; i < tm.count; i++) {
            const sg_treemap_cell *cell = &tm.cells[i];
            if (i)
                sg_jbuf_char(out, ',');
            switch (c) {
            case 0:
                sg_jbuf_u64(out, cell->level);
                break;
            case 1:
                sg_jbuf_i64(out, cell->parent == SG_TREEMAP_NONE ? -1 : (int64_t)cell->parent);
                break;
            case 2:
                sg_jbuf_u64(out, cell->package);
                break;
            case 3:
                sg_jbuf_i64(out, cell->level == SG_TREEMAP_PACKAGE || cell->file >= p->strings.count
                                     ? -1
                                     : (int64_t)file_index[cell->file]);
                break;
            case 4:
                sg_jbuf_i64(out, cell->frame == SG_TREEMAP_NONE ? -1 : (int64_t)cell->frame);
                sg_frameset_add(&fs, cell->frame);
                break;
            default:
                sg_jbuf_u64(out, cell->self);
            }
        }
    }
    sg_jbuf_puts(out, "]},\"files\":[");
    for (uint32_t i = 0; i < nfiles; i++) {
        if (i)
            sg_jbuf_char(out, ',');
        sg_jbuf_str(out, sg_strings_get(&p->strings, files[i]));
    }
    sg_jbuf_puts(out, "],");
    sg_frameset_write(&fs, q->entry, out);
    sg_jbuf_char(out, '}');
    sg_frameset_free(&fs);
    free(file_index);
    free(files);
    sg_treemap_free(&tm);
    return 0;
}
