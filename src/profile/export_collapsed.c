/*
 * export_collapsed.c — collapsed-stacks output (see export_collapsed.h).
 *
 * Three passes, none recursive:
 *   1. sum the weights of the kept samples per (thread, stack) in a hash
 *      map (thread is 0 for all when threads are merged);
 *   2. rank every stack row in the preorder of the stack forest with each
 *      node's children sorted by (name, file, line): sorting lines by that
 *      rank orders them frame by frame from the root, as a sorted folded
 *      file would be, without building any line's text;
 *   3. sort the (thread, stack) entries by (thread rank, stack rank) and
 *      print each, walking its parents into a buffer sized by its depth.
 * Memory is O(stacks + distinct (thread, stack) pairs), never O(samples).
 */
#include "profile/export_collapsed.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "profile/bytes.h"
#include "profile/hash.h"
#include "profile/sort.h"

#define EMPTY_KEY UINT64_MAX

typedef struct weight_map {
    uint64_t *keys; /* (thread << 32) | stack code (0 = no stack, else id + 1) */
    uint64_t *sums;
    size_t count;
    size_t mask;
} weight_map;

static int weight_map_grow(weight_map *m)
{
    size_t size = m->keys == NULL ? 1024 : (m->mask + 1) * 2;
    if (size > SIZE_MAX / 2 / sizeof(uint64_t))
        return SG_PROFILE_ELIMIT;
    uint64_t *keys = malloc(size * sizeof *keys), *sums = malloc(size * sizeof *sums);
    if (keys == NULL || sums == NULL) {
        free(keys);
        free(sums);
        return SG_PROFILE_ENOMEM;
    }
    memset(keys, 0xff, size * sizeof *keys);
    for (size_t i = 0; m->keys != NULL && i <= m->mask; i++) {
        if (m->keys[i] == EMPTY_KEY)
            continue;
        size_t j = sg_hash_mix(m->keys[i]) & (size - 1);
        while (keys[j] != EMPTY_KEY)
            j = (j + 1) & (size - 1);
        keys[j] = m->keys[i];
        sums[j] = m->sums[i];
    }
    free(m->keys);
    free(m->sums);
    m->keys = keys;
    m->sums = sums;
    m->mask = size - 1;
    return SG_PROFILE_OK;
}

static int weight_map_add(weight_map *m, uint64_t key, uint64_t weight)
{
    if (m->keys == NULL || m->count + 1 > (m->mask + 1) / 2) {
        int rc = weight_map_grow(m);
        if (rc != 0)
            return rc;
    }
    size_t j = sg_hash_mix(key) & m->mask;
    while (m->keys[j] != EMPTY_KEY && m->keys[j] != key)
        j = (j + 1) & m->mask;
    if (m->keys[j] == EMPTY_KEY) {
        m->keys[j] = key;
        m->sums[j] = 0;
        m->count++;
    }
    m->sums[j] += weight;
    return SG_PROFILE_OK;
}

static int compare_text(const sg_strings *s, uint32_t a, uint32_t b)
{
    uint32_t la = sg_strings_len(s, a), lb = sg_strings_len(s, b);
    int c = memcmp(sg_strings_get(s, a), sg_strings_get(s, b), la < lb ? la : lb);
    return c != 0 ? c : (la > lb) - (la < lb);
}

/* Sibling order: name, file, line, then ids so that ties are stable. */
static int compare_stack_rows(uint32_t a, uint32_t b, const void *ctx)
{
    const sg_profile *p = ctx;
    const sg_frame *fa = &p->frames.rows[p->stacks.rows[a].frame];
    const sg_frame *fb = &p->frames.rows[p->stacks.rows[b].frame];
    int c = compare_text(&p->strings, fa->name, fb->name);
    if (c == 0)
        c = compare_text(&p->strings, fa->file, fb->file);
    if (c == 0)
        c = (p->stacks.rows[a].line > p->stacks.rows[b].line) -
            (p->stacks.rows[a].line < p->stacks.rows[b].line);
    return c != 0 ? c : (a > b) - (a < b);
}

/* rank[id] = position of stack id in the preorder of the sorted forest. */
static int rank_stacks(const sg_profile *p, uint32_t *rank)
{
    uint32_t n = p->stacks.count;
    /* Children lists in CSR form; slot n collects the roots. */
    uint32_t *start = calloc((size_t)n + 2, sizeof *start);
    uint32_t *child = malloc(((size_t)n + 1) * sizeof *child);
    uint32_t *todo = malloc(((size_t)n + 1) * sizeof *todo);
    int rc = SG_PROFILE_ENOMEM;
    if (start == NULL || child == NULL || todo == NULL)
        goto out;
    for (uint32_t id = 0; id < n; id++) {
        uint32_t parent = p->stacks.rows[id].parent;
        start[(parent == SG_STACK_NONE ? n : parent) + 1]++;
    }
    for (uint32_t i = 0; i <= n; i++)
        start[i + 1] += start[i];
    for (uint32_t id = 0; id < n; id++) {
        uint32_t parent = p->stacks.rows[id].parent;
        uint32_t slot = parent == SG_STACK_NONE ? n : parent;
        child[start[slot]++] = id;
    }
    /* start[i] now ends list i; shift back so start[i]..start[i+1] is list i. */
    for (uint32_t i = n + 1; i > 0; i--)
        start[i] = start[i - 1];
    start[0] = 0;
    for (uint32_t i = 0; i <= n; i++)
        if ((rc = sg_sort_u32(child + start[i], start[i + 1] - start[i], compare_stack_rows, p)) !=
            0)
            goto out;
    /* Preorder with an explicit stack: push children last-first so the
     * first child is visited next. */
    size_t top = 0;
    for (uint32_t k = start[n + 1]; k > start[n]; k--)
        todo[top++] = child[k - 1];
    uint32_t next_rank = 0;
    while (top > 0) {
        uint32_t id = todo[--top];
        rank[id] = next_rank++;
        for (uint32_t k = start[id + 1]; k > start[id]; k--)
            todo[top++] = child[k - 1];
    }
    rc = SG_PROFILE_OK;
out:
    free(start);
    free(child);
    free(todo);
    return rc;
}

typedef struct entry_order {
    const uint64_t *keys;
    const uint32_t *thread_rank; /* NULL when threads are merged */
    const uint32_t *stack_rank;
} entry_order;

static int compare_entries(uint32_t a, uint32_t b, const void *ctx)
{
    const entry_order *o = ctx;
    uint64_t ka = o->keys[a], kb = o->keys[b];
    if (o->thread_rank != NULL) {
        uint32_t ta = o->thread_rank[ka >> 32], tb = o->thread_rank[kb >> 32];
        if (ta != tb)
            return ta < tb ? -1 : 1;
    }
    uint32_t ca = (uint32_t)ka, cb = (uint32_t)kb;
    /* code 0 (no stack) first, then by preorder rank */
    uint64_t ra = ca == 0 ? 0 : (uint64_t)o->stack_rank[ca - 1] + 1;
    uint64_t rb = cb == 0 ? 0 : (uint64_t)o->stack_rank[cb - 1] + 1;
    return (ra > rb) - (ra < rb);
}

static int compare_threads(uint32_t a, uint32_t b, const void *ctx)
{
    const sg_profile *p = ctx;
    int c = compare_text(&p->strings, p->threads.name[a], p->threads.name[b]);
    if (c == 0)
        c = (p->threads.tid[a] > p->threads.tid[b]) - (p->threads.tid[a] < p->threads.tid[b]);
    return c != 0 ? c : (a > b) - (a < b);
}

/* Append text with ';' and control characters made '_' (the format has no
 * escapes; ';' separates frames and a newline would end the line). */
static void put_label_text(sg_bytes_out *line, const char *text, size_t len)
{
    if (sg_bytes_reserve(line, len) != 0)
        return;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        line->data[line->len++] = (c == ';' || c < 0x20 || c == 0x7f) ? '_' : (char)c;
    }
}

static void put_number(sg_bytes_out *line, uint64_t v)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%" PRIu64, v);
    sg_bytes_put(line, digits, (size_t)n);
}

static void put_frame_label(sg_bytes_out *line, const sg_profile *p, uint32_t stack)
{
    const sg_frame *f = &p->frames.rows[p->stacks.rows[stack].frame];
    put_label_text(line, sg_strings_get(&p->strings, f->name),
                   sg_strings_len(&p->strings, f->name));
    sg_bytes_put(line, " (", 2);
    put_label_text(line, sg_strings_get(&p->strings, f->file),
                   sg_strings_len(&p->strings, f->file));
    sg_bytes_put_u8(line, ':');
    put_number(line, p->stacks.rows[stack].line);
    sg_bytes_put_u8(line, ')');
}

/* Build one output line for the entry `key` with total `sum`. */
static int format_line(sg_bytes_out *line, uint32_t *path, const sg_profile *p, uint64_t key,
                       uint64_t sum, bool threads)
{
    line->len = 0;
    uint32_t code = (uint32_t)key;
    bool first = true;
    if (threads) {
        uint32_t t = (uint32_t)(key >> 32);
        uint32_t name = p->threads.name[t];
        sg_bytes_put(line, "thread ", 7);
        if (sg_strings_len(&p->strings, name) > 0) {
            put_label_text(line, sg_strings_get(&p->strings, name),
                           sg_strings_len(&p->strings, name));
            sg_bytes_put_u8(line, ' ');
        }
        sg_bytes_put_u8(line, '(');
        put_number(line, p->threads.tid[t]);
        sg_bytes_put_u8(line, ')');
        first = false;
    }
    if (code != 0) {
        /* Walk newest → oldest into path[], then print oldest first. */
        uint32_t depth = 0;
        for (uint32_t id = code - 1; id != SG_STACK_NONE; id = p->stacks.rows[id].parent) {
            assert(depth < p->stacks.rows[code - 1].depth); /* path[] fits the deepest stack */
            path[depth++] = id;
        }
        while (depth > 0) {
            if (!first)
                sg_bytes_put_u8(line, ';');
            first = false;
            put_frame_label(line, p, path[--depth]);
        }
    }
    sg_bytes_put_u8(line, ' ');
    put_number(line, sum);
    sg_bytes_put_u8(line, '\n');
    return line->failed;
}

int sg_export_collapsed(const sg_profile *p, FILE *out, const sg_collapsed_options *opts)
{
    unsigned flags = opts != NULL ? opts->flags : 0;
    bool threads = (flags & SG_COLLAPSED_THREADS) != 0;
    uint8_t need = 0;
    if (flags & SG_COLLAPSED_ONLY_ON_CPU)
        need |= SG_SAMPLE_ON_CPU;
    if (flags & SG_COLLAPSED_ONLY_GIL)
        need |= SG_SAMPLE_HOLDS_GIL;

    weight_map map = {0};
    uint32_t *stack_rank = NULL, *thread_rank = NULL, *order = NULL, *path = NULL;
    uint64_t *keys = NULL, *sums = NULL;
    sg_bytes_out line = {0};
    int rc = SG_PROFILE_OK;

    const sg_samples *s = &p->samples;
    for (size_t i = 0; i < s->count && rc == 0; i++) {
        if ((s->flags[i] & need) != need)
            continue;
        uint32_t code = s->stack[i] == SG_STACK_NONE ? 0 : s->stack[i] + 1;
        if (code == 0 && !threads)
            continue; /* a line needs at least one frame */
        uint64_t thread = threads ? s->thread[i] : 0;
        rc = weight_map_add(&map, thread << 32 | code, s->weight[i]);
    }
    if (rc != 0)
        goto out;
    if (map.count > UINT32_MAX) {
        rc = SG_PROFILE_ELIMIT;
        goto out;
    }

    /* Pack the map into arrays and order them. */
    keys = malloc((map.count + 1) * sizeof *keys);
    sums = malloc((map.count + 1) * sizeof *sums);
    order = malloc((map.count + 1) * sizeof *order);
    stack_rank = malloc(((size_t)p->stacks.count + 1) * sizeof *stack_rank);
    thread_rank = malloc(((size_t)p->threads.count + 1) * sizeof *thread_rank);
    uint32_t max_depth = 0;
    for (uint32_t id = 0; id < p->stacks.count; id++)
        if (p->stacks.rows[id].depth > max_depth)
            max_depth = p->stacks.rows[id].depth;
    path = malloc(((size_t)max_depth + 1) * sizeof *path);
    if (keys == NULL || sums == NULL || order == NULL || stack_rank == NULL ||
        thread_rank == NULL || path == NULL) {
        rc = SG_PROFILE_ENOMEM;
        goto out;
    }
    size_t n = 0;
    for (size_t j = 0; map.keys != NULL && j <= map.mask; j++) {
        if (map.keys[j] == EMPTY_KEY)
            continue;
        keys[n] = map.keys[j];
        sums[n] = map.sums[j];
        order[n] = (uint32_t)n;
        n++;
    }
    if ((rc = rank_stacks(p, stack_rank)) != 0)
        goto out;
    if (threads) {
        /* thread_rank[index] = position of the thread in (name, tid) order */
        uint32_t *by_name = malloc(((size_t)p->threads.count + 1) * sizeof *by_name);
        if (by_name == NULL) {
            rc = SG_PROFILE_ENOMEM;
            goto out;
        }
        for (uint32_t t = 0; t < p->threads.count; t++)
            by_name[t] = t;
        rc = sg_sort_u32(by_name, p->threads.count, compare_threads, p);
        for (uint32_t k = 0; rc == 0 && k < p->threads.count; k++)
            thread_rank[by_name[k]] = k;
        free(by_name);
        if (rc != 0)
            goto out;
    }
    entry_order eo = {keys, threads ? thread_rank : NULL, stack_rank};
    if ((rc = sg_sort_u32(order, n, compare_entries, &eo)) != 0)
        goto out;

    for (size_t k = 0; k < n; k++) {
        uint32_t e = order[k];
        if (sums[e] == 0)
            continue;
        if ((rc = format_line(&line, path, p, keys[e], sums[e], threads)) != 0)
            goto out;
        if (fwrite(line.data, 1, line.len, out) != line.len) {
            rc = SG_PROFILE_EIO;
            goto out;
        }
    }
    if (fflush(out) != 0 || ferror(out))
        rc = SG_PROFILE_EIO;
out:
    free(map.keys);
    free(map.sums);
    free(keys);
    free(sums);
    free(order);
    free(stack_rank);
    free(thread_rank);
    free(path);
    sg_bytes_free(&line);
    return rc;
}
