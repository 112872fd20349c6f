/*
 * import_pstats.c — read a pstats file (the marshal dump of the stats dict
 * that cProfile, profile, pstats.Stats.dump_stats and CPython's sampling
 * profiler write) into the model (docs/format.md, "pstats in the model"):
 *
 *   - every number goes, exactly, into the call-statistics table
 *     (callstats_table.h): a function row per key of the file, an edge row
 *     per caller entry (count-only for a bare call count);
 *   - time samples, and only time, go into the samples so that a consumer
 *     that knows only samples sees exact self times: one frame per
 *     function, one thread, every sample at time 0, a root stack row [f]
 *     per function and a depth-2 row [c, f] per edge; each function's tt is
 *     spread over its edge rows (an edge's own tt when they fit, else in
 *     proportion to edge times or call counts) and the rest on its root.
 *     meta.has_stacks is false: the depth-2 rows are not real stacks.
 *
 * The file is one dict: key (file, line, name) → (cc, nc, tt, ct, callers),
 * callers: caller key → (nc, cc, tt, ct) (cProfile; note the swapped
 * first two fields), or → a bare call count (profile, CPython's sampler),
 * or → several 4-tuples run together (very old files; summed). CPython's
 * sampler adds the marker key ("__sampled__",) → True, which is skipped.
 * Times are seconds as floats and become integer nanoseconds (rounded to
 * nearest; a negative time, which the profile module's calibration can
 * produce, becomes 0).
 *
 * As in Python, a key that appears twice keeps its last value (in the
 * stats dict or in one function's callers dict). Work and
 * memory are bounded by the input: a callers dict shared by reference among
 * many functions is walked each time, so the number of caller entries
 * visited is capped by the input size, as are the time samples written.
 *
 * Speed (bench-profile-load: 200,000 functions, 1M caller entries): every
 * row made here is new by construction (a root row per function, made
 * once; an edge row per distinct caller of a function visited once), so
 * stack rows and call-statistics edges are appended without a lookup and
 * indexed by their tables in one pass (sg_stacks_append_new,
 * sg_callstats_append_edge); strings and frames are interned once per
 * marshal value (id_of_value); the tables are reserved once from the
 * callers dicts' lengths and, like the document, advised onto huge pages
 * before they are filled (grow.h). tests/unit/profile/
 * test_pstats_reference.c holds the output to a plain reference import.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/format_list.h"
#include "profile/grow.h"
#include "profile/hash.h"
#include "profile/marshal.h"
#include "profile/profile.h"

#define MAX_NS           SG_CALLSTATS_MAX_NS /* about 146 years */
#define PROGRESS_EVERY   4096u
#define TIME_SAMPLE_BASE (1u << 20)
#define FRAME_TAG        0x80000000u /* in id_of_value: a frame id, not a string id */
_Static_assert(SG_HASH_MAX_ROWS < FRAME_TAG, "string and frame ids + 1 fit below FRAME_TAG");

/* One caller entry of the function being imported. */
typedef struct share {
    uint32_t caller;   /* frame id */
    uint32_t row;      /* edge stack row [caller, callee] */
    bool bare;         /* the file gave only a call count */
    sg_call_numbers n; /* the edge's numbers (nc only for a bare count) */
    uint64_t weight;   /* edge time in ns, or call count: how tt is spread */
    uint64_t ns;       /* the part of the callee's own time given to it */
} share;

/* Per frame id, what the import has made for it so far. */
typedef struct frame_state {
    uint32_t root;        /* root stack row + 1, 0 = not yet */
    uint32_t share_owner; /* callee frame + 1 whose callers' share `share` is this frame's */
    uint32_t share;       /* index into importer.shares, valid while share_owner matches */
} frame_state;

typedef struct importer {
    const sg_marshal_doc *doc;
    sg_profile *p;
    uint32_t thread;
    uint32_t *entry; /* per frame id: value index of its stats tuple + 1, 0 = none */
    uint32_t entry_cap;
    /* Per marshal value, what it was interned as: 0 = not yet, else the
     * id + 1 of the string a STR/BYTES value names or, tagged with
     * FRAME_TAG, of the frame a key tuple names. One map, not one per kind:
     * it is as long as the file has values, and read at random. */
    uint32_t *id_of_value;
    frame_state *frame_state; /* per frame id */
    uint32_t frame_state_cap;
    share *shares;
    size_t nshares, shares_cap;
    uint64_t caller_budget; /* caller entries we may still visit */
    uint64_t time_budget;   /* time samples we may still write */
    const sg_io_progress *progress;
    char *err;
    size_t errlen;
} importer;

static int fail(importer *im, uint32_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(importer *im, uint32_t offset, const char *fmt, ...)
{
    if (im->err != NULL && im->errlen > 0) {
        int n = snprintf(im->err, im->errlen, "offset %" PRIu32 ": ", offset);
        if (n >= 0 && (size_t)n < im->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(im->err + n, im->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return SG_PROFILE_EFORMAT;
}

static int fail_status(importer *im, int rc, uint32_t offset)
{
    if (im->err != NULL && im->errlen > 0)
        snprintf(im->err, im->errlen, "offset %" PRIu32 ": %s", offset, sg_profile_strerror(rc));
    return rc;
}

static const sg_marshal_value *val(const importer *im, uint32_t index)
{
    return sg_marshal_get(im->doc, index);
}

static bool is_text(const sg_marshal_value *v)
{
    return v->type == SG_MARSHAL_STR || v->type == SG_MARSHAL_BYTES;
}

/* CPython's sampler marks its files with the key ("__sampled__",). */
static bool is_sampled_marker(const importer *im, const sg_marshal_value *key)
{
    if (key->type != SG_MARSHAL_TUPLE || key->len != 1)
        return false;
    const sg_marshal_value *s = val(im, sg_marshal_item(im->doc, key, 0));
    return s->type == SG_MARSHAL_STR && s->len == 11 &&
           memcmp(sg_marshal_text(im->doc, s), "__sampled__", 11) == 0;
}

/* The string id of a STR/BYTES value, interned once per value: files and
 * names repeat by reference, so most lookups are one array read. */
static int value_string(importer *im, uint32_t index, uint32_t *id)
{
    uint32_t known = im->id_of_value[index];
    if (known != 0 && !(known & FRAME_TAG)) {
        *id = known - 1;
        return SG_PROFILE_OK;
    }
    const sg_marshal_value *v = val(im, index);
    int rc = sg_strings_intern(&im->p->strings, sg_marshal_text(im->doc, v), v->len, id);
    if (rc == 0)
        im->id_of_value[index] = *id + 1;
    return rc;
}

/* `python -m profile` names the program's code object itself: call it
 * <code object NAME, file "FILE", line N>. */
static int code_name(importer *im, const sg_marshal_value *code, uint32_t *id)
{
    const sg_marshal_value *cfile = val(im, sg_marshal_item(im->doc, code, 0));
    const sg_marshal_value *cname = val(im, sg_marshal_item(im->doc, code, 1));
    const sg_marshal_value *cline = val(im, sg_marshal_item(im->doc, code, 2));
    size_t cap = (size_t)cfile->len + cname->len + 64;
    char *text = malloc(cap);
    if (text == NULL)
        return SG_PROFILE_ENOMEM;
    int n = snprintf(text, cap, "<code object %.*s, file \"%.*s\", line %" PRId64 ">",
                     (int)cname->len, sg_marshal_text(im->doc, cname), (int)cfile->len,
                     sg_marshal_text(im->doc, cfile), cline->u.i);
    size_t len = n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
    int rc = sg_strings_intern(&im->p->strings, text, len, id);
    free(text);
    return rc;
}

/* A function key (file, line, name) → its frame id (once per key value). */
static int key_frame(importer *im, uint32_t key_index, uint32_t *frame)
{
    uint32_t known = im->id_of_value[key_index];
    if (known & FRAME_TAG) {
        *frame = (known & ~FRAME_TAG) - 1;
        return SG_PROFILE_OK;
    }
    const sg_marshal_value *key = val(im, key_index);
    if (key->type != SG_MARSHAL_TUPLE || key->len != 3)
        return fail(im, key->offset, "a function key is a %s, not a (file, line, name) tuple",
                    key->type == SG_MARSHAL_TUPLE ? "tuple of another length"
                                                  : sg_marshal_type_name(key->type));
    uint32_t file = sg_marshal_item(im->doc, key, 0), name = sg_marshal_item(im->doc, key, 2);
    const sg_marshal_value *lineno = val(im, sg_marshal_item(im->doc, key, 1));
    const sg_marshal_value *name_value = val(im, name);
    if (!is_text(val(im, file)) || (!is_text(name_value) && name_value->type != SG_MARSHAL_CODE))
        return fail(im, key->offset, "a function key's file and name must be strings");
    if ((lineno->type != SG_MARSHAL_INT && lineno->type != SG_MARSHAL_BOOL) || lineno->u.i < 0 ||
        lineno->u.i > UINT32_MAX)
        return fail(im, key->offset, "a function key's line is not a line number");
    uint32_t file_id, name_id;
    int rc = value_string(im, file, &file_id);
    if (rc == 0)
        rc = name_value->type == SG_MARSHAL_CODE ? code_name(im, name_value, &name_id)
                                                 : value_string(im, name, &name_id);
    if (rc == 0)
        rc = sg_frames_intern(&im->p->frames, file_id, name_id, (uint32_t)lineno->u.i, frame);
    if (rc != 0)
        return fail_status(im, rc, key->offset);
    im->id_of_value[key_index] = (*frame + 1) | FRAME_TAG;
    return SG_PROFILE_OK;
}

/* The state of `frame`, growing the array (zeroed) to hold it. */
static int state_of(importer *im, uint32_t frame, frame_state **out)
{
    if (frame >= im->frame_state_cap) {
        size_t cap = sg_grow_capacity(im->frame_state_cap, (size_t)frame + 1, 256, UINT32_MAX);
        if (cap == 0)
            return SG_PROFILE_ELIMIT;
        int rc = sg_grow_array((void **)&im->frame_state, cap, sizeof *im->frame_state);
        if (rc != 0)
            return rc;
        memset(im->frame_state + im->frame_state_cap, 0,
               (cap - im->frame_state_cap) * sizeof *im->frame_state);
        im->frame_state_cap = (uint32_t)cap;
    }
    *out = &im->frame_state[frame];
    return SG_PROFILE_OK;
}

/* The root stack row [frame], made once per frame. */
static int root_row(importer *im, uint32_t frame, uint32_t *row)
{
    frame_state *fs;
    int rc = state_of(im, frame, &fs);
    if (rc != 0)
        return rc;
    if (fs->root != 0) {
        *row = fs->root - 1;
        return SG_PROFILE_OK;
    }
    /* new: a frame's root row is made here only, once */
    rc = sg_stacks_append_new(&im->p->stacks, SG_STACK_NONE, 0, frame,
                              im->p->frames.rows[frame].first_line, row);
    if (rc == 0)
        fs->root = *row + 1;
    return rc;
}

static int to_count(importer *im, const sg_marshal_value *v, const char *what, uint64_t *out)
{
    if (v->type == SG_MARSHAL_INT || v->type == SG_MARSHAL_BOOL) {
        if (v->u.i < 0)
            return fail(im, v->offset, "%s is negative (%" PRId64 ")", what, v->u.i);
        *out = (uint64_t)v->u.i;
        return SG_PROFILE_OK;
    }
    if (v->type == SG_MARSHAL_FLOAT && v->u.f >= 0 && v->u.f < 9.2e18 && v->u.f == floor(v->u.f)) {
        *out = (uint64_t)v->u.f;
        return SG_PROFILE_OK;
    }
    return fail(im, v->offset, "%s is a %s, not a call count", what, sg_marshal_type_name(v->type));
}

static int to_ns(importer *im, const sg_marshal_value *v, const char *what, uint64_t *out)
{
    double seconds;
    if (!sg_marshal_number(v, &seconds))
        return fail(im, v->offset, "%s is a %s, not a time in seconds", what,
                    sg_marshal_type_name(v->type));
    if (!isfinite(seconds))
        return fail(im, v->offset, "%s is not a finite number", what);
    double ns = seconds * 1e9;
    if (ns >= (double)MAX_NS)
        return fail(im, v->offset, "%s of %g s is too large", what, seconds);
    *out = ns <= 0 ? 0 : (uint64_t)llround(ns);
    return SG_PROFILE_OK;
}

/* Record caller entry `sh` of function `callee`; a caller already seen in
 * this callers dict is replaced (the last value wins, as in Python). */
static int add_share(importer *im, uint32_t callee, const share *sh)
{
    frame_state *fs;
    int rc = state_of(im, sh->caller, &fs);
    if (rc != 0)
        return rc;
    if (fs->share_owner == callee + 1) {
        im->shares[fs->share] = *sh;
        return SG_PROFILE_OK;
    }
    if (im->nshares == im->shares_cap) {
        size_t cap = sg_grow_capacity(im->shares_cap, im->nshares + 1, 16, SIZE_MAX / 64);
        if (cap == 0)
            return SG_PROFILE_ELIMIT;
        int rc = sg_grow_array((void **)&im->shares, cap, sizeof *im->shares);
        if (rc != 0)
            return rc;
        im->shares_cap = cap;
    }
    fs->share_owner = callee + 1;
    fs->share = (uint32_t)im->nshares;
    im->shares[im->nshares++] = *sh;
    return SG_PROFILE_OK;
}

/* `ns` nanoseconds of time on stack row `row`, as samples of at most
 * UINT32_MAX each (a sample's weight is 32 bits). */
static int add_time(importer *im, uint32_t row, uint64_t ns, uint32_t offset)
{
    uint64_t pieces = ns / UINT32_MAX + 1;
    if (pieces > im->time_budget)
        return fail(im, offset, "the times are too large for the size of the file");
    im->time_budget -= pieces;
    int rc = SG_PROFILE_OK;
    while (ns > 0 && rc == 0) {
        uint32_t part = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
        rc = sg_profile_add_sample(im->p, 0, im->thread, row, 0, part);
        ns -= part;
    }
    return rc != 0 ? fail_status(im, rc, offset) : SG_PROFILE_OK;
}

/*
 * Spread the function's own time over its edge rows (im->shares) and its
 * root row. When every edge has its own time (cProfile) and they fit, each
 * edge gets exactly that; otherwise the time is split in proportion to the
 * weights with cumulative rounding, so the parts always sum to tt.
 */
static int spread_time(importer *im, uint32_t root, uint64_t tt, uint32_t offset)
{
    bool exact = true; /* every edge has its own time */
    for (size_t k = 0; k < im->nshares; k++)
        exact &= !im->shares[k].bare;
    uint64_t sum = 0;
    for (size_t k = 0; k < im->nshares; k++)
        sum += im->shares[k].weight;
    uint64_t rest = tt;
    if (exact && sum <= tt) {
        for (size_t k = 0; k < im->nshares; k++)
            im->shares[k].ns = im->shares[k].weight;
        rest = tt - sum;
    } else if (sum > 0) {
        unsigned __int128 cum = 0;
        uint64_t given = 0;
        for (size_t k = 0; k < im->nshares; k++) {
            cum += im->shares[k].weight;
            uint64_t upto = (uint64_t)(cum * tt / sum);
            im->shares[k].ns = upto - given;
            given = upto;
        }
        rest = tt - given;
    }
    int rc = SG_PROFILE_OK;
    for (size_t k = 0; k < im->nshares && rc == 0; k++)
        rc = add_time(im, im->shares[k].row, im->shares[k].ns, offset);
    if (rc == 0 && rest > 0)
        rc = add_time(im, root, rest, offset);
    return rc;
}

/*
 * The stack row [caller, callee] of an edge. Each callee's callers are
 * read once (pass 2 visits each function once), so the row is new unless
 * this callers dict already named the caller (through another key value
 * equal to it, e.g. the file as bytes and as str): then its share holds
 * the row. So rows are appended without a lookup in the stack index.
 */
static int edge_row(importer *im, uint32_t callee, uint32_t line, uint32_t caller, uint32_t *row)
{
    frame_state *fs;
    int rc = state_of(im, caller, &fs);
    if (rc != 0)
        return rc;
    if (fs->share_owner == callee + 1) {
        *row = im->shares[fs->share].row;
        return SG_PROFILE_OK;
    }
    uint32_t caller_root;
    if ((rc = root_row(im, caller, &caller_root)) != 0)
        return rc;
    return sg_stacks_append_new(&im->p->stacks, caller_root, 1, callee, line, row);
}

/* One callers entry of function `callee` (its line is the row's line). */
static int import_caller(importer *im, uint32_t callee, uint32_t line, uint32_t ckey, uint32_t cval)
{
    const sg_marshal_value *v = val(im, cval);
    uint32_t caller, edge;
    int rc = key_frame(im, ckey, &caller);
    if (rc != 0)
        return rc;
    if ((rc = edge_row(im, callee, line, caller, &edge)) != 0)
        return fail_status(im, rc, v->offset);

    uint64_t nc = 0, cc = 0, tt = 0, ct = 0;
    bool bare = false;
    if (v->type == SG_MARSHAL_TUPLE && v->len >= 4 && v->len % 4 == 0) {
        for (uint32_t g = 0; g < v->len; g += 4) {
            uint64_t a, b, c, d;
            if ((rc = to_count(im, val(im, sg_marshal_item(im->doc, v, g)), "a caller's ncalls",
                               &a)) != 0 ||
                (rc = to_count(im, val(im, sg_marshal_item(im->doc, v, g + 1)),
                               "a caller's primitive calls", &b)) != 0 ||
                (rc = to_ns(im, val(im, sg_marshal_item(im->doc, v, g + 2)), "a caller's tottime",
                            &c)) != 0 ||
                (rc = to_ns(im, val(im, sg_marshal_item(im->doc, v, g + 3)), "a caller's cumtime",
                            &d)) != 0)
                return rc;
            /* very old files run several 4-tuples together: their sum must fit */
            if (a > SG_CALLSTATS_MAX_COUNT - nc || b > SG_CALLSTATS_MAX_COUNT - cc ||
                c > MAX_NS - tt || d > MAX_NS - ct)
                return fail(im, v->offset, "a caller's summed numbers are too large");
            nc += a;
            cc += b;
            tt += c;
            ct += d;
        }
    } else if (v->type == SG_MARSHAL_INT || v->type == SG_MARSHAL_BOOL ||
               v->type == SG_MARSHAL_FLOAT) {
        if ((rc = to_count(im, v, "a caller's call count", &nc)) != 0)
            return rc;
        bare = true;
    } else {
        return fail(im, v->offset, "a caller's value is a %s, not (nc, cc, tt, ct) or a count",
                    sg_marshal_type_name(v->type));
    }
    share sh = {.caller = caller,
                .row = edge,
                .bare = bare,
                .n = {.cc = cc, .nc = nc, .tt_ns = tt, .ct_ns = ct},
                .weight = bare ? nc : tt};
    rc = add_share(im, callee, &sh);
    return rc != 0 ? fail_status(im, rc, v->offset) : SG_PROFILE_OK;
}

/* The edge rows of function `callee`, once its callers are all read. */
static int add_edges(importer *im, uint32_t callee, uint32_t offset)
{
    for (size_t k = 0; k < im->nshares; k++) {
        const share *sh = &im->shares[k];
        /* new: the shares hold distinct callers, and each callee comes once */
        int rc = sg_callstats_append_edge(&im->p->callstats, sh->caller, callee,
                                          sh->bare ? SG_CALLSTATS_COUNT_ONLY : 0, &sh->n, NULL);
        if (rc != 0)
            return fail_status(im, rc, offset);
    }
    return SG_PROFILE_OK;
}

/* The stats tuple of function `frame`: (cc, nc, tt, ct, callers). */
static int import_function(importer *im, uint32_t frame, uint32_t value_index)
{
    const sg_marshal_value *v = val(im, value_index);
    if (v->type != SG_MARSHAL_TUPLE || v->len != 5)
        return fail(im, v->offset, "a function's stats are a %s, not (cc, nc, tt, ct, callers)",
                    v->type == SG_MARSHAL_TUPLE ? "tuple of another length"
                                                : sg_marshal_type_name(v->type));
    uint64_t cc, nc, tt, ct;
    int rc;
    if ((rc = to_count(im, val(im, sg_marshal_item(im->doc, v, 0)), "primitive calls", &cc)) != 0 ||
        (rc = to_count(im, val(im, sg_marshal_item(im->doc, v, 1)), "ncalls", &nc)) != 0 ||
        (rc = to_ns(im, val(im, sg_marshal_item(im->doc, v, 2)), "tottime", &tt)) != 0 ||
        (rc = to_ns(im, val(im, sg_marshal_item(im->doc, v, 3)), "cumtime", &ct)) != 0)
        return rc;
    const sg_marshal_value *callers = val(im, sg_marshal_item(im->doc, v, 4));
    if (callers->type != SG_MARSHAL_DICT)
        return fail(im, callers->offset, "a function's callers are a %s, not a dict",
                    sg_marshal_type_name(callers->type));

    uint32_t line = im->p->frames.rows[frame].first_line, root;
    sg_call_numbers n = {.cc = cc, .nc = nc, .tt_ns = tt, .ct_ns = ct};
    if ((rc = root_row(im, frame, &root)) != 0 ||
        (rc = sg_callstats_add_func(&im->p->callstats, frame, &n, NULL)) != 0)
        return fail_status(im, rc, v->offset);

    if (callers->len > im->caller_budget)
        return fail(im, callers->offset, "callers dicts are shared too often for the file's size");
    im->caller_budget -= callers->len;
    im->nshares = 0;
    for (uint32_t k = 0; k < callers->len; k++) {
        rc = import_caller(im, frame, line, sg_marshal_item(im->doc, callers, 2 * (size_t)k),
                           sg_marshal_item(im->doc, callers, 2 * (size_t)k + 1));
        if (rc != 0)
            return rc;
    }
    rc = spread_time(im, root, tt, v->offset);
    return rc != 0 ? rc : add_edges(im, frame, v->offset);
}

static int remember_entry(importer *im, uint32_t frame, uint32_t value_index)
{
    if (frame >= im->entry_cap) {
        size_t cap = sg_grow_capacity(im->entry_cap, (size_t)frame + 1, 256, UINT32_MAX);
        if (cap == 0)
            return SG_PROFILE_ELIMIT;
        int rc = sg_grow_array((void **)&im->entry, cap, sizeof *im->entry);
        if (rc != 0)
            return rc;
        memset(im->entry + im->entry_cap, 0, (cap - im->entry_cap) * sizeof *im->entry);
        im->entry_cap = (uint32_t)cap;
    }
    im->entry[frame] = value_index + 1;
    return SG_PROFILE_OK;
}

static void report(const importer *im, uint64_t done)
{
    if (im->progress != NULL && im->progress->report != NULL)
        im->progress->report(im->progress->ctx, done, im->doc->len);
}

/*
 * Room at once for what pass 2 makes: a root row per function, an edge
 * row (and its call statistics) per caller entry, a time sample per row.
 * Counted from well-formed entries and capped by the file's values (a
 * shared callers dict counts each time, as it is walked each time): the
 * tables are then allocated once, before anything touches them, instead
 * of doubling and copying as they go. A hint: past it the tables grow,
 * and only running out of memory for it is an error.
 */
static int reserve_tables(importer *im, const sg_marshal_value *root)
{
    uint64_t rows = root->len;
    for (uint32_t k = 0; k < root->len && rows < im->doc->count; k++) {
        const sg_marshal_value *v = val(im, sg_marshal_item(im->doc, root, 2 * (size_t)k + 1));
        if (v->type == SG_MARSHAL_TUPLE && v->len == 5) {
            const sg_marshal_value *callers = val(im, sg_marshal_item(im->doc, v, 4));
            rows += callers->type == SG_MARSHAL_DICT ? callers->len : 0;
        }
    }
    if (rows > im->doc->count)
        rows = im->doc->count;
    if (rows >= SG_HASH_MAX_ROWS)
        return SG_PROFILE_OK; /* too many rows for the tables is found out later, precisely */
    sg_profile *p = im->p;
    int rc = sg_stacks_reserve_rows(&p->stacks, (uint32_t)rows);
    if (rc == 0)
        rc = sg_callstats_reserve_edges(&p->callstats, (uint32_t)(rows - root->len));
    if (rc == 0)
        rc = sg_samples_reserve(&p->samples, rows);
    if (rc == 0) { /* the two largest, each filled from empty now */
        sg_grow_advise_huge(p->stacks.rows, (size_t)p->stacks.cap * sizeof *p->stacks.rows);
        sg_grow_advise_huge(p->callstats.edges,
                            (size_t)p->callstats.edge_cap * sizeof *p->callstats.edges);
    }
    return rc == SG_PROFILE_ENOMEM ? rc : SG_PROFILE_OK;
}

static int import_stats(importer *im)
{
    const sg_marshal_value *root = val(im, im->doc->root);
    if (root->type != SG_MARSHAL_DICT)
        return fail(im, root->offset, "the file holds a %s, not a pstats dict",
                    sg_marshal_type_name(root->type));
    int rc;
    /* Pass 1: every key → its frame, the last value winning as in Python. */
    for (uint32_t k = 0; k < root->len; k++) {
        uint32_t key = sg_marshal_item(im->doc, root, 2 * (size_t)k);
        uint32_t value = sg_marshal_item(im->doc, root, 2 * (size_t)k + 1);
        if (is_sampled_marker(im, val(im, key)))
            continue;
        uint32_t frame;
        if ((rc = key_frame(im, key, &frame)) != 0)
            return rc;
        if ((rc = remember_entry(im, frame, value)) != 0)
            return fail_status(im, rc, val(im, key)->offset);
    }
    if ((rc = reserve_tables(im, root)) != 0)
        return fail_status(im, rc, root->offset);
    /* Pass 2: the functions, in the order of their first appearance. */
    uint32_t nkeys = im->p->frames.count;
    for (uint32_t f = 0; f < nkeys; f++) {
        if (f < im->entry_cap && im->entry[f] != 0 &&
            (rc = import_function(im, f, im->entry[f] - 1)) != 0)
            return rc;
        if (f % PROGRESS_EVERY == PROGRESS_EVERY - 1)
            report(im, (uint64_t)im->doc->len / nkeys * f);
    }
    /* the edges were appended unindexed: index them once, for the finders */
    if ((rc = sg_callstats_index(&im->p->callstats)) != 0)
        return fail_status(im, rc, root->offset);
    report(im, im->doc->len);
    return SG_PROFILE_OK;
}

int sg_import_pstats(const uint8_t *data, size_t len, const sg_io_progress *progress,
                     sg_profile **out, char *err, size_t errlen)
{
    *out = NULL;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    sg_marshal_doc doc;
    char inner[256];
    int rc = sg_marshal_parse(data, len, &doc, inner, sizeof inner);
    if (rc != 0) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s", inner);
        return rc;
    }
    importer im = {.doc = &doc,
                   .id_of_value = calloc((size_t)doc.count + 1, sizeof(uint32_t)),
                   .caller_budget = (uint64_t)len,
                   .time_budget = 16 * (uint64_t)len + TIME_SAMPLE_BASE,
                   .progress = progress,
                   .err = err,
                   .errlen = errlen};
    /* read at random (a caller key names any earlier key) */
    sg_grow_advise_huge(im.id_of_value, ((size_t)doc.count + 1) * sizeof(uint32_t));
    im.p = sg_profile_new();
    if (im.p == NULL || im.id_of_value == NULL) {
        rc = fail_status(&im, SG_PROFILE_ENOMEM, 0);
    } else {
        im.p->meta.has_stacks = false;
        im.p->meta.weight_unit = SG_WEIGHT_NANOSECONDS;
        rc = sg_profile_intern_thread(im.p, 0, "pstats", &im.thread);
        rc = rc != 0 ? fail_status(&im, rc, 0) : import_stats(&im);
    }
    free(im.entry);
    free(im.shares);
    free(im.id_of_value);
    free(im.frame_state);
    sg_marshal_doc_free(&doc);
    if (rc != 0) {
        sg_profile_free(im.p);
        return rc;
    }
    *out = im.p;
    return SG_PROFILE_OK;
}

bool sg_detect_pstats(const uint8_t *data, size_t len)
{
    /* A dict whose first key is a tuple, or an empty dict. */
    if (len < 2 || (data[0] & 0x7f) != '{')
        return false;
    uint8_t next = data[1] & 0x7f;
    return next == ')' || next == '(' || (next == '0' && len == 2);
}
