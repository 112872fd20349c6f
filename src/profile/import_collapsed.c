/*
 * import_collapsed.c — collapsed stacks ("folded" text, the input of
 * flamegraph.pl) into a profile: sg_detect_collapsed and
 * sg_import_collapsed of format_list.h.
 *
 * A line is `frame;frame;...;frame COUNT`, oldest frame first, the count
 * after the last space or tab. Flavours understood, decided from the first
 * data line (or an `# austin:` header):
 *   - py-spy (`record -f raw`): frames `func (file:line)` or `func (file)`;
 *     with --threads a root `thread (TID)` or `thread (TID): NAME` (TID
 *     decimal, or 0x-hex); with --subprocesses `process PID:"CMD"` roots,
 *     which stay frames (the model has no process level);
 *   - spyglass's own export: a root `thread NAME (TID)`, frames
 *     `qualname (file:line)`;
 *   - austin 3: `P<pid>;T<iid>:<tid>;file:func:line;... METRIC`, metrics in
 *     microseconds (full mode: `time,idle,memory`), `# key: value` header
 *     lines; weights become nanoseconds;
 *   - plain flamegraph.pl input: bare names.
 * Counts are decimal integers; a decimal fraction is rounded to the nearest
 * integer. A count of 0 adds no sample. Lines starting with '#' are
 * comments (austin's metadata is read from them); empty lines, CRLF line
 * ends and a missing final newline are fine. Anything else is refused with
 * the line number.
 *
 * Built for files of gigabytes: one pass over the bytes, no allocation per
 * line, nothing copied out of the input.
 *   - Frames are interned through a cache keyed by their raw bytes (a hash
 *     of the text and the offset where it was first seen in the input), so
 *     a frame label is parsed and its strings interned once, however many
 *     lines repeat it.
 *   - Each cached frame remembers the stack row it made last and on which
 *     parent: a function called from one place maps to its row without a
 *     probe of the stack table, which outgrows the CPU caches.
 *   - Consecutive lines usually share their first frames (sorted folded
 *     files, one thread's repeated samples): the stack text is compared
 *     with the previous line's, and the frames inside the common prefix
 *     reuse the stack ids computed for that line, so only the frames below
 *     the fork are looked up.
 * Invariants:
 *   - depth[i] describes frame i of the previous data line: where its text
 *     ended (offset of the ';' after it, relative to the stack text) and
 *     the state after it (stack id, thread, whether root frames may still
 *     follow). depth[0 .. prev_frames) is valid for the text at prev_stack.
 *   - every sample names an existing thread and stack (or SG_STACK_NONE);
 *     a line without a thread root goes to one default thread (tid 0).
 *   - memory is O(distinct frames + stack rows + samples + frames of the
 *     longest line); a count larger than a sample weight holds is split
 *     into several samples, from a budget proportional to the input size.
 */
#include "profile/format_list.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profile/hash.h"

#define NONE32         UINT32_MAX
#define NOT_A_THREAD   (UINT32_MAX - 1)
#define EMPTY_OFFSET   UINT64_MAX
#define DETECT_WINDOW  (4u << 20) /* bytes the detector looks at, at most */
#define PROGRESS_BYTES (4u << 20) /* check the clock this often */

enum flavour { FLAVOUR_GENERIC, FLAVOUR_AUSTIN };

/* What may still come at the start of a line: root frames that are not
 * code (a thread, austin's process and thread). */
enum roots {
    ROOTS_CLOSED = 0,   /* only code frames from here on */
    ROOTS_THREAD = 1,   /* generic: a `process` or `thread` root may come */
    ROOTS_AUSTIN_T = 2, /* austin: the T<iid>:<tid> frame comes next */
    ROOTS_AUSTIN_P = 3, /* austin: the P<pid> frame comes next */
};

/* A frame text seen before: where (first occurrence in the input), and
 * what it resolved to, filled lazily. */
typedef struct cached_frame {
    uint64_t offset; /* EMPTY_OFFSET: free slot */
    uint32_t len;
    uint32_t hash;
    uint32_t frame;  /* frame id, NONE32 until resolved as a code frame */
    uint32_t line;   /* line executing */
    uint32_t thread; /* thread index, NONE32 until tried, NOT_A_THREAD */
    /* the stack row this frame made last, on top of which parent: most
     * frames are called from one place, so this saves the probe of the
     * (large) stack table */
    uint32_t last_parent;
    uint32_t last_child; /* NONE32 until set */
} cached_frame;

typedef struct depth_state {
    uint64_t end;    /* offset of the separator after this frame */
    uint32_t stack;  /* stack after this frame (SG_STACK_NONE: no code frame yet) */
    uint32_t thread; /* thread after this frame (NONE32: not given yet) */
    uint32_t roots;  /* enum roots */
    uint32_t unused;
} depth_state;

typedef struct importer {
    const uint8_t *data;
    size_t len;
    sg_profile *p;
    enum flavour flavour;
    bool flavour_known;
    uint8_t mode;     /* enum sg_mode, from austin's header */
    uint64_t line_no; /* current line, 1-based */
    /* frame cache */
    cached_frame *cache;
    uint32_t cache_count;
    uint32_t cache_mask;
    /* the previous line's frames */
    depth_state *depth;
    size_t depth_cap;
    size_t prev_frames;
    const uint8_t *prev_stack;
    size_t prev_stack_len;
    /* samples */
    uint32_t default_thread; /* NONE32 until a line without thread root */
    uint64_t *thread_time;   /* per thread index: time of its next sample (ns weights) */
    size_t thread_time_cap;
    uint64_t split_budget; /* extra samples left for counts too large for one */
    uint64_t last_tid;     /* austin: last T frame's tid and its thread index */
    uint32_t last_tid_index;
    /* progress */
    const sg_io_progress *progress;
    size_t next_check;
    struct timespec last_report;
    char *err;
    size_t errlen;
} importer;

static int fail(importer *im, int rc, const char *fmt, ...)
{
    if (im->err != NULL && im->errlen > 0) {
        int n = snprintf(im->err, im->errlen, "line %llu: ", (unsigned long long)im->line_no);
        if (n >= 0 && (size_t)n < im->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(im->err + n, im->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return rc;
}

static int fail_status(importer *im, int rc)
{
    return fail(im, rc, "%s", sg_profile_strerror(rc));
}

/* ---- small parsers ------------------------------------------------------ */

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A decimal number of 1..19 digits filling [s, s+n) exactly. */
static bool parse_u64(const uint8_t *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 19)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* A thread id: decimal, or hex after 0x/0X (py-spy without native ids). */
static bool parse_tid(const uint8_t *s, size_t n, uint64_t *out)
{
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        if (n - 2 > 16)
            return false;
        uint64_t v = 0;
        for (size_t i = 2; i < n; i++) {
            int h = hex_value(s[i]);
            if (h < 0)
                return false;
            v = v << 4 | (uint64_t)h;
        }
        *out = v;
        return true;
    }
    return parse_u64(s, n, out);
}

/* A count: digits, optionally a fraction (rounded half up). */
static bool parse_count(const uint8_t *s, size_t n, uint64_t *out)
{
    size_t i = 0;
    uint64_t v = 0;
    while (i < n && is_digit(s[i])) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
        i++;
    }
    if (i == 0)
        return false;
    if (i < n && s[i] == '.') {
        size_t frac = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i > frac && s[frac] >= '5') {
            if (v == UINT64_MAX)
                return false;
            v++;
        }
    }
    if (i != n)
        return false;
    *out = v;
    return true;
}

static bool has_prefix(const uint8_t *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(s, prefix, k) == 0;
}

/* Up to 40 bytes of a token, printable, for an error message. */
static const char *excerpt(const uint8_t *s, size_t n, char *buf, size_t size)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 < size && i < 40; i++)
        buf[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
    if (n > 40 && k + 4 < size) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

/* Length of the common prefix of a and b, 8 bytes at a time. */
static size_t common_prefix(const uint8_t *a, const uint8_t *b, size_t n)
{
    size_t i = 0;
    while (i + 8 <= n) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return i + (size_t)(__builtin_ctzll(x ^ y) >> 3);
#else
            break;
#endif
        }
        i += 8;
    }
    while (i < n && a[i] == b[i])
        i++;
    return i;
}

/* ---- threads -------------------------------------------------------------- */

static int intern_thread(importer *im, uint64_t tid, const uint8_t *name, size_t name_len,
                         uint32_t *index)
{
    uint32_t name_id;
    int rc = sg_strings_intern(&im->p->strings, (const char *)name, name_len, &name_id);
    if (rc == 0)
        rc = sg_threads_intern(&im->p->threads, tid, name_id, index);
    return rc;
}

/*
 * A thread root frame, if `text` is one: spyglass's `thread NAME (TID)` /
 * `thread (TID)`, or py-spy's `thread (TID): NAME`. Returns 1 and fills
 * tid/name, 0 if it is not a thread frame.
 */
static int parse_thread_label(const uint8_t *s, size_t n, uint64_t *tid, const uint8_t **name,
                              size_t *name_len)
{
    if (!has_prefix(s, n, "thread "))
        return 0;
    /* py-spy: thread (TID) or thread (TID): NAME */
    if (n > 8 && s[7] == '(') {
        const uint8_t *close = memchr(s + 8, ')', n - 8);
        if (close != NULL && parse_tid(s + 8, (size_t)(close - s - 8), tid)) {
            size_t after = (size_t)(close - s) + 1;
            if (after == n) {
                *name = s + n;
                *name_len = 0;
                return 1;
            }
            if (n - after >= 2 && close[1] == ':' && close[2] == ' ') {
                *name = close + 3;
                *name_len = n - after - 2;
                return 1;
            }
        }
    }
    /* spyglass: thread NAME (TID) */
    if (s[n - 1] != ')')
        return 0;
    size_t open = n - 1;
    while (open > 6 && s[open] != '(')
        open--;
    if (s[open] != '(' || s[open - 1] != ' ' || !parse_tid(s + open + 1, n - open - 2, tid))
        return 0;
    *name = s + 7;
    *name_len = open - 1 > 7 ? open - 1 - 7 : 0;
    return 1;
}

/* ---- code frames ---------------------------------------------------------- */

/* `name (file:line)`, `name (file)` or a bare name. */
static void split_generic(const uint8_t *s, size_t n, const uint8_t **name, size_t *name_len,
                          const uint8_t **file, size_t *file_len, uint32_t *line)
{
    *name = s;
    *name_len = n;
    *file = s;
    *file_len = 0;
    *line = 0;
    if (n < 4 || s[n - 1] != ')')
        return;
    size_t open = n - 1;
    while (open > 0 && !(s[open] == '(' && s[open - 1] == ' '))
        open--;
    if (open == 0)
        return;
    const uint8_t *in = s + open + 1;
    size_t in_len = n - open - 2;
    size_t colon = in_len;
    while (colon > 0 && is_digit(in[colon - 1]))
        colon--;
    uint64_t v;
    if (colon >= 1 && colon < in_len && in[colon - 1] == ':' &&
        parse_u64(in + colon, in_len - colon, &v) && v <= UINT32_MAX) {
        *line = (uint32_t)v;
        *file_len = colon - 1;
    } else if (in_len > 0 && (memchr(in, '.', in_len) != NULL || memchr(in, '/', in_len) != NULL ||
                              in[0] == '<')) {
        *file_len = in_len; /* py-spy --nolineno, or line 0 */
    } else {
        return; /* `name (something)` that is not a place: keep it whole */
    }
    *file = in;
    *name_len = open - 1;
}

/* austin: `file:func:line` (file may hold ':'); `:GC:` style markers. */
static void split_austin(const uint8_t *s, size_t n, const uint8_t **name, size_t *name_len,
                         const uint8_t **file, size_t *file_len, uint32_t *line)
{
    *name = s;
    *name_len = n;
    *file = s;
    *file_len = 0;
    *line = 0;
    const uint8_t *last = NULL, *second = NULL;
    for (size_t i = n; i > 0; i--) {
        if (s[i - 1] != ':')
            continue;
        if (last == NULL) {
            last = s + i - 1;
        } else {
            second = s + i - 1;
            break;
        }
    }
    if (second == NULL)
        return;
    size_t digits = (size_t)(s + n - last - 1);
    uint64_t v = 0;
    if (digits > 0 && (!parse_u64(last + 1, digits, &v) || v > UINT32_MAX))
        return;
    *line = (uint32_t)v;
    *file_len = (size_t)(second - s);
    *name = second + 1;
    *name_len = (size_t)(last - second - 1);
}

static int cache_grow(importer *im)
{
    size_t size = im->cache == NULL ? 1024 : ((size_t)im->cache_mask + 1) * 2;
    if (size > ((size_t)1 << 31))
        return SG_PROFILE_ELIMIT;
    cached_frame *rows = malloc(size * sizeof *rows);
    if (rows == NULL)
        return SG_PROFILE_ENOMEM;
    for (size_t i = 0; i < size; i++)
        rows[i].offset = EMPTY_OFFSET;
    for (size_t i = 0; im->cache != NULL && i <= im->cache_mask; i++) {
        if (im->cache[i].offset == EMPTY_OFFSET)
            continue;
        size_t j = im->cache[i].hash & (size - 1);
        while (rows[j].offset != EMPTY_OFFSET)
            j = (j + 1) & (size - 1);
        rows[j] = im->cache[i];
    }
    free(im->cache);
    im->cache = rows;
    im->cache_mask = (uint32_t)(size - 1);
    return SG_PROFILE_OK;
}

/* The cache entry of the frame text [s, s+n), added (unresolved) if new. */
static int cache_lookup(importer *im, const uint8_t *s, size_t n, cached_frame **out)
{
    if (n > UINT32_MAX - 1)
        return fail(im, SG_PROFILE_ELIMIT, "a frame label of %zu bytes is too long", n);
    if (im->cache == NULL || im->cache_count + 1 > (im->cache_mask + 1) / 2) {
        int rc = cache_grow(im);
        if (rc != 0)
            return fail_status(im, rc);
    }
    uint32_t hash = sg_hash_bytes(s, n);
    size_t j = hash & im->cache_mask;
    for (;;) {
        cached_frame *e = &im->cache[j];
        if (e->offset == EMPTY_OFFSET) {
            *e = (cached_frame){.offset = (uint64_t)(s - im->data),
                                .len = (uint32_t)n,
                                .hash = hash,
                                .frame = NONE32,
                                .thread = NONE32,
                                .last_child = NONE32};
            im->cache_count++;
            *out = e;
            return SG_PROFILE_OK;
        }
        if (e->hash == hash && e->len == n && memcmp(im->data + e->offset, s, n) == 0) {
            *out = e;
            return SG_PROFILE_OK;
        }
        j = (j + 1) & im->cache_mask;
    }
}

static int resolve_frame(importer *im, cached_frame *e)
{
    const uint8_t *s = im->data + e->offset, *name, *file;
    size_t name_len, file_len;
    if (im->flavour == FLAVOUR_AUSTIN)
        split_austin(s, e->len, &name, &name_len, &file, &file_len, &e->line);
    else
        split_generic(s, e->len, &name, &name_len, &file, &file_len, &e->line);
    int rc = sg_profile_intern_frame(im->p, (const char *)file, file_len, (const char *)name,
                                     name_len, 0, &e->frame);
    return rc == 0 ? rc : fail_status(im, rc);
}

/* ---- one frame of a line -------------------------------------------------- */

static int austin_root(importer *im, const uint8_t *s, size_t n, depth_state *st)
{
    char buf[64];
    uint64_t v;
    if (st->roots == ROOTS_AUSTIN_P) {
        if (n < 2 || s[0] != 'P' || !parse_u64(s + 1, n - 1, &v))
            return fail(im, SG_PROFILE_EFORMAT, "austin line does not start with P<pid> but '%s'",
                        excerpt(s, n, buf, sizeof buf));
        if (im->p->meta.pid == 0)
            im->p->meta.pid = v;
        st->roots = ROOTS_AUSTIN_T;
        return SG_PROFILE_OK;
    }
    /* T<iid>:<tid> (austin 3), or T<hex id> (austin 2) */
    const uint8_t *colon = n > 1 ? memchr(s + 1, ':', n - 1) : NULL;
    bool ok = n >= 2 && s[0] == 'T';
    if (ok && colon != NULL) {
        uint64_t iid;
        ok = parse_u64(s + 1, (size_t)(colon - s - 1), &iid) &&
             parse_u64(colon + 1, (size_t)(s + n - colon - 1), &v);
    } else if (ok) {
        v = 0;
        ok = n - 1 <= 16;
        for (size_t i = 1; ok && i < n; i++) {
            int h = hex_value(s[i]);
            ok = h >= 0;
            v = v << 4 | (uint64_t)(h < 0 ? 0 : h);
        }
    }
    if (!ok)
        return fail(im, SG_PROFILE_EFORMAT,
                    "austin line has no T<iid>:<tid> thread after its P<pid> but '%s'",
                    excerpt(s, n, buf, sizeof buf));
    if (im->last_tid_index == NONE32 || im->last_tid != v) {
        int rc = intern_thread(im, v, s, 0, &im->last_tid_index);
        if (rc != 0) {
            im->last_tid_index = NONE32;
            return fail_status(im, rc);
        }
        im->last_tid = v;
    }
    st->thread = im->last_tid_index;
    st->roots = ROOTS_CLOSED;
    return SG_PROFILE_OK;
}

/* Apply the frame text [s, s+n) to the state of the frames before it. */
static int push_frame(importer *im, const uint8_t *s, size_t n, depth_state *st)
{
    if (st->roots >= ROOTS_AUSTIN_T)
        return austin_root(im, s, n, st);
    cached_frame *e = NULL;
    int rc = cache_lookup(im, s, n, &e);
    if (rc != 0)
        return rc;
    if (st->roots == ROOTS_THREAD) {
        if (has_prefix(s, n, "process ")) {
            /* py-spy --subprocesses: stays a frame, a thread may follow */
        } else {
            st->roots = ROOTS_CLOSED;
            if (e->thread == NONE32) {
                uint64_t tid;
                const uint8_t *name;
                size_t name_len;
                e->thread = NOT_A_THREAD;
                if (parse_thread_label(s, n, &tid, &name, &name_len) &&
                    (rc = intern_thread(im, tid, name, name_len, &e->thread)) != 0) {
                    e->thread = NONE32;
                    return fail_status(im, rc);
                }
            }
            if (e->thread != NOT_A_THREAD) {
                st->thread = e->thread;
                return SG_PROFILE_OK;
            }
        }
    }
    if (e->frame == NONE32 && (rc = resolve_frame(im, e)) != 0)
        return rc;
    if (e->last_child != NONE32 && e->last_parent == st->stack) {
        st->stack = e->last_child; /* rows never change: the memo stays true */
        return SG_PROFILE_OK;
    }
    uint32_t parent = st->stack;
    rc = sg_stacks_intern(&im->p->stacks, parent, e->frame, e->line, &st->stack);
    if (rc != 0)
        return fail_status(im, rc);
    e->last_parent = parent;
    e->last_child = st->stack;
    return SG_PROFILE_OK;
}

/* ---- samples -------------------------------------------------------------- */

static int default_thread(importer *im, uint32_t *index)
{
    if (im->default_thread == NONE32) {
        int rc = sg_threads_intern(&im->p->threads, 0, 0, &im->default_thread);
        if (rc != 0)
            return fail_status(im, rc);
    }
    *index = im->default_thread;
    return SG_PROFILE_OK;
}

/* Append a sample of `weight` (split if it exceeds what one sample holds). */
static int add_weight(importer *im, uint32_t thread, uint32_t stack, uint64_t weight, uint8_t flags)
{
    if (weight == 0)
        return SG_PROFILE_OK;
    uint64_t time = 0;
    if (im->p->meta.weight_unit == SG_WEIGHT_NANOSECONDS) {
        /* austin's samples of one thread follow each other: their times
         * are the running sum of that thread's weights */
        if (thread >= im->thread_time_cap) {
            size_t cap = im->thread_time_cap ? im->thread_time_cap * 2 : 16;
            while (cap <= thread)
                cap *= 2;
            uint64_t *grown = realloc(im->thread_time, cap * sizeof *grown);
            if (grown == NULL)
                return fail_status(im, SG_PROFILE_ENOMEM);
            memset(grown + im->thread_time_cap, 0, (cap - im->thread_time_cap) * sizeof *grown);
            im->thread_time = grown;
            im->thread_time_cap = cap;
        }
        time = im->thread_time[thread];
        im->thread_time[thread] = time + weight < time ? UINT64_MAX : time + weight;
    }
    while (weight > UINT32_MAX) {
        if (im->split_budget == 0)
            return fail(im, SG_PROFILE_ELIMIT,
                        "count %llu is too large (the file's counts need more samples than its "
                        "size allows)",
                        (unsigned long long)weight);
        im->split_budget--;
        int rc = sg_samples_append(&im->p->samples, time, thread, stack, flags, UINT32_MAX);
        if (rc != 0)
            return fail_status(im, rc);
        weight -= UINT32_MAX;
    }
    int rc = sg_samples_append(&im->p->samples, time, thread, stack, flags, (uint32_t)weight);
    return rc == 0 ? rc : fail_status(im, rc);
}

/* ---- lines ---------------------------------------------------------------- */

/* `# key: value` lines: austin's metadata. */
static int comment_line(importer *im, const uint8_t *s, size_t n)
{
    const uint8_t *colon = memchr(s, ':', n);
    if (n < 2 || s[1] != ' ' || colon == NULL)
        return SG_PROFILE_OK;
    const uint8_t *key = s + 2, *value = colon + 1;
    size_t key_len = (size_t)(colon - key), value_len = (size_t)(s + n - value);
    while (value_len > 0 && (*value == ' ' || *value == '\t'))
        value++, value_len--;
    uint64_t v;
#define KEY_IS(k) (key_len == sizeof(k) - 1 && memcmp(key, k, key_len) == 0)
    if (KEY_IS("austin")) {
        if (!im->flavour_known) {
            im->flavour = FLAVOUR_AUSTIN;
            im->flavour_known = true;
        }
    } else if (KEY_IS("mode")) {
        if (has_prefix(value, value_len, "memory"))
            return fail(im, SG_PROFILE_EFORMAT,
                        "austin memory profiles cannot be imported: their metrics are memory "
                        "deltas, not times");
        im->mode = has_prefix(value, value_len, "cpu") ? SG_MODE_CPU : SG_MODE_WALL;
    } else if (KEY_IS("interval") && parse_u64(value, value_len, &v) && v <= UINT64_MAX / 1000) {
        im->p->meta.interval_ns = v * 1000;
    } else if (KEY_IS("duration") && parse_u64(value, value_len, &v) && v <= UINT64_MAX / 1000) {
        im->p->meta.duration_ns = v * 1000;
    } else if (KEY_IS("python") && value_len > 0 && value_len < 64) {
        char text[64];
        memcpy(text, value, value_len);
        text[value_len] = '\0';
        int rc = sg_profile_set_meta_text(im->p, &im->p->meta.python_version, text);
        if (rc != 0)
            return fail_status(im, rc);
    }
#undef KEY_IS
    return SG_PROFILE_OK;
}

/* The metric(s) of an austin line: `time` or `time,idle,memory`. */
static int austin_metric(importer *im, const uint8_t *s, size_t n, uint64_t *weight, uint8_t *flags)
{
    char buf[64];
    const uint8_t *comma = memchr(s, ',', n);
    size_t first = comma != NULL ? (size_t)(comma - s) : n;
    uint64_t us;
    if (!parse_count(s, first, &us))
        return fail(im, SG_PROFILE_EFORMAT, "metric '%s' is not a number of microseconds",
                    excerpt(s, n, buf, sizeof buf));
    if (us > UINT64_MAX / 1000)
        return fail(im, SG_PROFILE_ELIMIT, "metric %llu is too large", (unsigned long long)us);
    *weight = us * 1000;
    *flags = im->mode == SG_MODE_CPU ? SG_SAMPLE_ON_CPU : 0;
    if (comma != NULL) {
        /* full mode: time,idle,memory; idle is 0 or 1 */
        const uint8_t *idle = comma + 1;
        if ((size_t)(s + n - idle) < 1 || (*idle != '0' && *idle != '1') ||
            (s + n - idle > 1 && idle[1] != ','))
            return fail(im, SG_PROFILE_EFORMAT, "metrics '%s' are not time,idle,memory",
                        excerpt(s, n, buf, sizeof buf));
        *flags = *idle == '0' ? SG_SAMPLE_ON_CPU : 0;
    }
    return SG_PROFILE_OK;
}

static int grow_depth(importer *im, size_t need)
{
    if (need <= im->depth_cap)
        return SG_PROFILE_OK;
    size_t cap = im->depth_cap ? im->depth_cap : 64;
    while (cap < need)
        cap *= 2;
    depth_state *grown = realloc(im->depth, cap * sizeof *grown);
    if (grown == NULL)
        return fail_status(im, SG_PROFILE_ENOMEM);
    im->depth = grown;
    im->depth_cap = cap;
    return SG_PROFILE_OK;
}

/* The stack text [s, s+n) of a data line → its thread and stack. */
static int parse_stack(importer *im, const uint8_t *s, size_t n, uint32_t *thread, uint32_t *stack)
{
    /* Frames inside the prefix shared with the previous line keep its
     * state: frame k is shared if the ';' ending it lies in the prefix. */
    size_t shared = 0;
    if (im->prev_frames > 0) {
        size_t common =
            common_prefix(s, im->prev_stack, n < im->prev_stack_len ? n : im->prev_stack_len);
        if (common == n && n == im->prev_stack_len)
            shared = im->prev_frames; /* the same stack text */
        else
            while (shared < im->prev_frames && im->depth[shared].end < common)
                shared++;
    }
    depth_state st = {.stack = SG_STACK_NONE,
                      .thread = NONE32,
                      .roots = im->flavour == FLAVOUR_AUSTIN ? ROOTS_AUSTIN_P : ROOTS_THREAD};
    size_t k = shared;
    if (k > 0)
        st = im->depth[k - 1];
    if (k < im->prev_frames || k == 0) {
        size_t pos = k > 0 ? (size_t)st.end + 1 : 0;
        for (;;) {
            const uint8_t *semi = memchr(s + pos, ';', n - pos);
            size_t end = semi != NULL ? (size_t)(semi - s) : n;
            int rc = grow_depth(im, k + 1);
            if (rc == 0)
                rc = push_frame(im, s + pos, end - pos, &st);
            if (rc != 0) {
                im->prev_frames = 0; /* depth[] is half updated */
                return rc;
            }
            st.end = end;
            im->depth[k++] = st;
            if (end == n)
                break;
            pos = end + 1;
        }
    }
    im->prev_frames = k;
    im->prev_stack = s;
    im->prev_stack_len = n;
    if (st.roots >= ROOTS_AUSTIN_T)
        return fail(im, SG_PROFILE_EFORMAT, "austin line has no T<iid>:<tid> thread frame");
    *stack = st.stack;
    if (st.thread != NONE32) {
        *thread = st.thread;
        return SG_PROFILE_OK;
    }
    return default_thread(im, thread);
}

static int data_line(importer *im, const uint8_t *s, size_t n)
{
    char buf[64];
    if (!im->flavour_known) {
        size_t i = 1;
        while (i < n && is_digit(s[i]))
            i++;
        im->flavour = (s[0] == 'P' && i > 1 && i + 1 < n && s[i] == ';' && s[i + 1] == 'T')
                          ? FLAVOUR_AUSTIN
                          : FLAVOUR_GENERIC;
        im->flavour_known = true;
    }
    if (im->flavour == FLAVOUR_AUSTIN && im->p->meta.weight_unit != SG_WEIGHT_NANOSECONDS) {
        im->p->meta.weight_unit = SG_WEIGHT_NANOSECONDS;
        im->p->meta.mode = im->mode != SG_MODE_UNKNOWN ? im->mode : SG_MODE_WALL;
    }
    /* the count follows the last space or tab */
    size_t ws = n;
    while (ws > 0 && s[ws - 1] != ' ' && s[ws - 1] != '\t')
        ws--;
    if (ws == 0)
        return fail(im, SG_PROFILE_EFORMAT,
                    "no count at the end of the line (want `frame;...;frame COUNT`): '%s'",
                    excerpt(s, n, buf, sizeof buf));
    const uint8_t *count = s + ws;
    size_t count_len = n - ws;
    size_t stack_len = ws - 1;
    while (stack_len > 0 && (s[stack_len - 1] == ' ' || s[stack_len - 1] == '\t'))
        stack_len--;
    if (stack_len == 0 && im->flavour == FLAVOUR_AUSTIN)
        return fail(im, SG_PROFILE_EFORMAT, "no P<pid>;T<iid>:<tid> before the metric");
    uint64_t weight;
    uint8_t flags = 0;
    if (im->flavour == FLAVOUR_AUSTIN) {
        int rc = austin_metric(im, count, count_len, &weight, &flags);
        if (rc != 0)
            return rc;
    } else if (!parse_count(count, count_len, &weight)) {
        return fail(im, SG_PROFILE_EFORMAT, "count '%s' is not a non-negative number",
                    excerpt(count, count_len, buf, sizeof buf));
    }
    uint32_t thread = 0, stack = SG_STACK_NONE;
    int rc;
    if (stack_len == 0) {
        /* ` COUNT`: py-spy's samples without a Python frame */
        im->prev_frames = 0;
        rc = default_thread(im, &thread);
    } else {
        rc = parse_stack(im, s, stack_len, &thread, &stack);
    }
    if (rc == 0)
        rc = add_weight(im, thread, stack, weight, flags);
    return rc;
}

static void report_progress(importer *im, size_t done)
{
    if (im->progress == NULL || im->progress->report == NULL)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double since = (double)(now.tv_sec - im->last_report.tv_sec) +
                   (double)(now.tv_nsec - im->last_report.tv_nsec) / 1e9;
    if (since >= 0.25 || done == im->len) {
        im->progress->report(im->progress->ctx, done, im->len);
        im->last_report = now;
    }
}

static int import_lines(importer *im)
{
    size_t pos = 0;
    while (pos < im->len) {
        const uint8_t *line = im->data + pos;
        const uint8_t *nl = memchr(line, '\n', im->len - pos);
        size_t n = nl != NULL ? (size_t)(nl - line) : im->len - pos;
        pos += n + (nl != NULL);
        im->line_no++;
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            n--;
        int rc = SG_PROFILE_OK;
        if (n == 0)
            continue;
        if (line[0] == '#')
            rc = comment_line(im, line, n);
        else
            rc = data_line(im, line, n);
        if (rc != 0)
            return rc;
        if (pos >= im->next_check) {
            report_progress(im, pos);
            im->next_check = pos + PROGRESS_BYTES;
        }
    }
    return SG_PROFILE_OK;
}

int sg_import_collapsed(const uint8_t *data, size_t len, const sg_io_progress *progress,
                        sg_profile **out, char *err, size_t errlen)
{
    *out = NULL;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    importer im = {
        .data = data,
        .len = len,
        .default_thread = NONE32,
        .last_tid_index = NONE32,
        .split_budget = len / 16 + 4096,
        .progress = progress,
        .next_check = PROGRESS_BYTES,
        .err = err,
        .errlen = errlen,
    };
    clock_gettime(CLOCK_MONOTONIC, &im.last_report);
    im.p = sg_profile_new();
    int rc;
    if (im.p == NULL) {
        rc = fail_status(&im, SG_PROFILE_ENOMEM);
    } else {
        rc = import_lines(&im);
        if (rc == 0 && im.p->samples.count == 0 && im.p->threads.count == 0) {
            rc = SG_PROFILE_EFORMAT;
            if (err != NULL && errlen > 0)
                snprintf(err, errlen, "no `frame;...;frame COUNT` line in %llu lines",
                         (unsigned long long)im.line_no);
        }
    }
    if (rc == 0 && progress != NULL && progress->report != NULL)
        progress->report(progress->ctx, len, len);
    free(im.cache);
    free(im.depth);
    free(im.thread_time);
    if (rc != 0) {
        sg_profile_free(im.p);
        return rc;
    }
    *out = im.p;
    return SG_PROFILE_OK;
}

/* ---- detection ------------------------------------------------------------ */

bool sg_detect_collapsed(const uint8_t *data, size_t len)
{
    size_t window = len < DETECT_WINDOW ? len : DETECT_WINDOW;
    size_t pos = 0;
    while (pos < window) {
        const uint8_t *line = data + pos;
        const uint8_t *nl = memchr(line, '\n', window - pos);
        if (nl == NULL && window < len)
            return false; /* a first line longer than the window: not ours to guess */
        size_t n = nl != NULL ? (size_t)(nl - line) : window - pos;
        pos += n + 1;
        for (size_t i = 0; i < n; i++)
            if ((line[i] < 0x20 && line[i] != '\t' && line[i] != '\r') || line[i] == 0x7f)
                return false;
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            n--;
        if (n == 0)
            continue;
        if (line[0] == '#') {
            if (has_prefix(line, n, "# austin:"))
                return true;
            continue;
        }
        if (line[0] == '{' || line[0] == '[')
            return false; /* JSON */
        size_t ws = n;
        while (ws > 0 && line[ws - 1] != ' ' && line[ws - 1] != '\t')
            ws--;
        if (ws == 0)
            return false;
        size_t end = n;
        const uint8_t *comma = memchr(line + ws, ',', n - ws);
        if (comma != NULL && line[0] == 'P')
            end = (size_t)(comma - line); /* austin full metrics */
        uint64_t count;
        return parse_count(line + ws, end - ws, &count);
    }
    return false;
}
