/*
 * marshal.c — reading and writing the marshal subset pstats uses (see
 * marshal.h for what is accepted and how the document is laid out).
 *
 * The parser is recursive descent bounded by SG_MARSHAL_MAX_DEPTH. A
 * container's value slot is created (and registered as a reference when
 * flagged) before its items are read, as CPython does, so reference
 * indexes match CPython's. Items are collected on a scratch stack and moved
 * into the items array when the container ends, which keeps each
 * container's items contiguous however deeply they nest.
 */
#include "profile/marshal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/grow.h"
#include "profile/status.h"

#define TYPE_NULL     '0'
#define TYPE_NONE     'N'
#define TYPE_FALSE    'F'
#define TYPE_TRUE     'T'
#define TYPE_STOPITER 'S'
#define TYPE_ELLIPSIS '.'
#define TYPE_INT      'i'
#define TYPE_INT64    'I'
#define TYPE_LONG     'l'
#define TYPE_FLOAT    'f'
#define TYPE_BFLOAT   'g'
#define TYPE_COMPLEX  'x'
#define TYPE_BCOMPLEX 'y'
#define TYPE_STRING   's'
#define TYPE_INTERNED 't'
#define TYPE_UNICODE  'u'
#define TYPE_ASCII    'a'
#define TYPE_ASCII_I  'A'
#define TYPE_SASCII   'z'
#define TYPE_SASCII_I 'Z'
#define TYPE_TUPLE    '('
#define TYPE_STUPLE   ')'
#define TYPE_LIST     '['
#define TYPE_DICT     '{'
#define TYPE_SET      '<'
#define TYPE_FROZEN   '>'
#define TYPE_REF      'r'
#define TYPE_CODE     'c'
#define TYPE_SLICE    ':'
#define FLAG_REF      0x80

#define LONG_SHIFT 15 /* marshal writes ints in base 2^15 digits */

typedef struct parser {
    sg_marshal_doc *doc;
    const uint8_t *data;
    size_t len, pos;
    uint32_t *refs;
    size_t nrefs, refs_cap;
    uint32_t *scratch;
    size_t top, scratch_cap;
    int code_layout; /* index into code_layouts once known, else -1 */
    char *err;
    size_t errlen;
} parser;

/* How a code object is laid out: raw int32 fields, then objects, then the
 * first line (raw int32), then more objects. `file_at` and `name_at` count
 * among the first run of objects. */
typedef struct code_layout {
    int ints_before, objects, file_at, name_at, objects_after;
} code_layout;

static const code_layout code_layouts[] = {
    {5, 8, 5, 6,
     2}, /* 3.11+: ..., filename, name, qualname; firstlineno; linetable, exceptiontable */
    {6, 8, 6, 7, 1}, /* 3.8-3.10: posonlyargcount added; firstlineno; lnotab or linetable */
    {5, 8, 6, 7, 1}, /* before 3.8 */
};
#define CODE_LAYOUTS (int)(sizeof code_layouts / sizeof code_layouts[0])

static int fail(parser *p, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(parser *p, size_t offset, const char *fmt, ...)
{
    if (p->err != NULL && p->errlen > 0) {
        int n = snprintf(p->err, p->errlen, "offset %zu: ", offset);
        if (n >= 0 && (size_t)n < p->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return SG_PROFILE_EFORMAT;
}

static uint32_t load_le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t load_le64(const uint8_t *b)
{
    return (uint64_t)load_le32(b) | (uint64_t)load_le32(b + 4) << 32;
}

/* Reserve n bytes of input at the cursor; fail naming `what` if they are not there. */
static int need(parser *p, size_t n, size_t start, const char *what)
{
    if (p->len - p->pos < n)
        return fail(p, start, "the data ends inside %s", what);
    return SG_PROFILE_OK;
}

static int read_i32(parser *p, size_t start, const char *what, int32_t *out)
{
    int rc = need(p, 4, start, what);
    if (rc != 0)
        return rc;
    *out = (int32_t)load_le32(p->data + p->pos);
    p->pos += 4;
    return SG_PROFILE_OK;
}

/* A length field: non-negative and at most the bytes left, times `min_size`
 * bytes per element (each element needs at least that many). */
static int read_length(parser *p, size_t start, const char *what, size_t min_size, uint32_t *out)
{
    int32_t n;
    int rc = read_i32(p, start, what, &n);
    if (rc != 0)
        return rc;
    if (n < 0)
        return fail(p, start, "negative length %d for %s", (int)n, what);
    if ((size_t)n > (p->len - p->pos) / min_size)
        return fail(p, start, "%s of length %d runs past the end of the data", what, (int)n);
    *out = (uint32_t)n;
    return SG_PROFILE_OK;
}

static int new_value(parser *p, uint8_t type, size_t offset, uint32_t *index)
{
    sg_marshal_doc *d = p->doc;
    if (d->count == d->cap) {
        size_t cap = sg_grow_capacity(d->cap, (size_t)d->count + 1, 256, UINT32_MAX - 1);
        if (cap == 0)
            return SG_PROFILE_ELIMIT;
        int rc = sg_grow_array((void **)&d->values, cap, sizeof *d->values);
        if (rc != 0)
            return rc;
        d->cap = (uint32_t)cap;
    }
    sg_marshal_value *v = &d->values[d->count];
    memset(v, 0, sizeof *v);
    v->type = type;
    v->offset = (uint32_t)offset;
    *index = d->count++;
    return SG_PROFILE_OK;
}

static int add_ref(parser *p, uint32_t index)
{
    if (p->nrefs == p->refs_cap) {
        size_t cap = sg_grow_capacity(p->refs_cap, p->nrefs + 1, 64, UINT32_MAX);
        if (cap == 0)
            return SG_PROFILE_ELIMIT;
        int rc = sg_grow_array((void **)&p->refs, cap, sizeof *p->refs);
        if (rc != 0)
            return rc;
        p->refs_cap = cap;
    }
    p->refs[p->nrefs++] = index;
    return SG_PROFILE_OK;
}

static int push_scratch(parser *p, uint32_t index)
{
    if (p->top == p->scratch_cap) {
        size_t cap = sg_grow_capacity(p->scratch_cap, p->top + 1, 64, SIZE_MAX / 8);
        if (cap == 0)
            return SG_PROFILE_ELIMIT;
        int rc = sg_grow_array((void **)&p->scratch, cap, sizeof *p->scratch);
        if (rc != 0)
            return rc;
        p->scratch_cap = cap;
    }
    p->scratch[p->top++] = index;
    return SG_PROFILE_OK;
}

/* Move scratch[start..top) into the items array as the items of `index`. */
static int close_container(parser *p, uint32_t index, size_t start, uint32_t len)
{
    sg_marshal_doc *d = p->doc;
    size_t n = p->top - start;
    if (d->item_count + n > d->item_cap) {
        size_t cap = sg_grow_capacity(d->item_cap, d->item_count + n, 256, SIZE_MAX / 8);
        if (cap == 0)
            return SG_PROFILE_ELIMIT;
        int rc = sg_grow_array((void **)&d->items, cap, sizeof *d->items);
        if (rc != 0)
            return rc;
        d->item_cap = cap;
    }
    if (n > 0)
        memcpy(d->items + d->item_count, p->scratch + start, n * sizeof *p->scratch);
    d->values[index].u.pos = d->item_count;
    d->values[index].len = len;
    d->item_count += n;
    p->top = start;
    return SG_PROFILE_OK;
}

static int parse_object(parser *p, int depth, uint32_t *out);

static int parse_items(parser *p, int depth, uint32_t index, uint32_t n)
{
    size_t start = p->top;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t child;
        int rc = parse_object(p, depth + 1, &child);
        if (rc == 0)
            rc = push_scratch(p, child);
        if (rc != 0)
            return rc;
    }
    return close_container(p, index, start, n);
}

static int parse_dict(parser *p, int depth, uint32_t index, size_t start_offset)
{
    size_t start = p->top;
    uint32_t pairs = 0;
    for (;;) {
        int rc = need(p, 1, start_offset, "a dict");
        if (rc != 0)
            return rc;
        if ((p->data[p->pos] & 0x7f) == TYPE_NULL) {
            p->pos++;
            break;
        }
        uint32_t key, value;
        if ((rc = parse_object(p, depth + 1, &key)) != 0)
            return rc;
        if ((rc = need(p, 1, start_offset, "a dict")) != 0)
            return rc;
        if ((p->data[p->pos] & 0x7f) == TYPE_NULL) {
            /* CPython ends the dict here and drops the key: so do we. */
            p->pos++;
            break;
        }
        if ((rc = parse_object(p, depth + 1, &value)) != 0)
            return rc;
        if (pairs == UINT32_MAX)
            return fail(p, start_offset, "dict has too many entries");
        if ((rc = push_scratch(p, key)) != 0 || (rc = push_scratch(p, value)) != 0)
            return rc;
        pairs++;
    }
    return close_container(p, index, start, pairs);
}

static int parse_long(parser *p, size_t start, sg_marshal_value *v)
{
    int32_t n;
    int rc = read_i32(p, start, "an int", &n);
    if (rc != 0)
        return rc;
    if (n == INT32_MIN)
        return fail(p, start, "int has an impossible digit count");
    uint32_t size = (uint32_t)(n < 0 ? -n : n);
    if (size > (p->len - p->pos) / 2)
        return fail(p, start, "the data ends inside an int of %u digits", size);
    uint64_t mag = 0;
    bool big = false;
    /* Digits come least significant first; fold from the top. */
    for (uint32_t k = size; k > 0; k--) {
        const uint8_t *b = p->data + p->pos + 2 * (size_t)(k - 1);
        uint32_t digit = (uint32_t)b[0] | (uint32_t)b[1] << 8;
        if (digit >> LONG_SHIFT)
            return fail(p, start, "int digit out of range");
        if (k == size && digit == 0)
            return fail(p, start, "int has a leading zero digit");
        if (mag > (UINT64_MAX - digit) >> LONG_SHIFT)
            big = true;
        mag = (mag << LONG_SHIFT) | digit;
    }
    p->pos += 2 * (size_t)size;
    if (!big && n >= 0 && mag <= (uint64_t)INT64_MAX) {
        v->u.i = (int64_t)mag;
    } else if (!big && n < 0 && mag <= (uint64_t)INT64_MAX + 1) {
        v->u.i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        v->type = SG_MARSHAL_BIGINT;
    }
    return SG_PROFILE_OK;
}

/* A float written as text: a length byte and that many characters. */
static int parse_text_float(parser *p, size_t start, double *out)
{
    int rc = need(p, 1, start, "a float");
    if (rc != 0)
        return rc;
    size_t n = p->data[p->pos++];
    if ((rc = need(p, n, start, "a float")) != 0)
        return rc;
    char text[256];
    memcpy(text, p->data + p->pos, n);
    text[n] = '\0';
    p->pos += n;
    char *end;
    *out = strtod(text, &end);
    if (n == 0 || *end != '\0')
        return fail(p, start, "float text is not a number");
    return SG_PROFILE_OK;
}

/* Read the fields of a code object (type byte and reference done) with
 * one layout; items of `index`: file name, name, first line. */
static int parse_code_as(parser *p, int depth, uint32_t index, size_t start, const code_layout *l)
{
    int32_t ignored, first_line;
    int rc = SG_PROFILE_OK;
    size_t scratch_start = p->top;
    uint32_t file = UINT32_MAX, name = UINT32_MAX, line_value;
    for (int k = 0; k < l->ints_before && rc == 0; k++)
        rc = read_i32(p, start, "a code object", &ignored);
    for (int k = 0; k < l->objects && rc == 0; k++) {
        uint32_t child;
        rc = parse_object(p, depth + 1, &child);
        if (k == l->file_at)
            file = child;
        if (k == l->name_at)
            name = child;
    }
    if (rc == 0)
        rc = read_i32(p, start, "a code object", &first_line);
    for (int k = 0; k < l->objects_after && rc == 0; k++) {
        uint32_t child;
        rc = parse_object(p, depth + 1, &child);
    }
    if (rc != 0)
        return rc;
    if (p->doc->values[file].type != SG_MARSHAL_STR || p->doc->values[name].type != SG_MARSHAL_STR)
        return fail(p, start, "a code object's file name or name is not a string");
    if ((rc = new_value(p, SG_MARSHAL_INT, start, &line_value)) != 0)
        return rc;
    p->doc->values[line_value].u.i = first_line;
    if ((rc = push_scratch(p, file)) != 0 || (rc = push_scratch(p, name)) != 0 ||
        (rc = push_scratch(p, line_value)) != 0)
        return rc;
    return close_container(p, index, scratch_start, 3);
}

/* A code object: with the file's layout once known, else trying each. */
static int parse_code(parser *p, int depth, uint32_t index, size_t start)
{
    if (p->code_layout >= 0)
        return parse_code_as(p, depth, index, start, &code_layouts[p->code_layout]);
    size_t pos = p->pos, nrefs = p->nrefs, top = p->top, items = p->doc->item_count;
    uint32_t values = p->doc->count;
    int rc = SG_PROFILE_EFORMAT;
    for (int l = 0; l < CODE_LAYOUTS; l++) {
        p->code_layout = l;
        rc = parse_code_as(p, depth, index, start, &code_layouts[l]);
        if (rc == 0 || rc == SG_PROFILE_ENOMEM)
            return rc;
        p->pos = pos;
        p->nrefs = nrefs;
        p->top = top;
        p->doc->item_count = items;
        p->doc->count = values;
        p->code_layout = -1;
    }
    return rc;
}

static int parse_object(parser *p, int depth, uint32_t *out)
{
    size_t start = p->pos;
    if (depth > SG_MARSHAL_MAX_DEPTH)
        return fail(p, start, "values nest deeper than %d levels", SG_MARSHAL_MAX_DEPTH);
    int rc = need(p, 1, start, "a value");
    if (rc != 0)
        return rc;
    uint8_t code = p->data[p->pos++];
    bool flag = (code & FLAG_REF) != 0;
    uint8_t type = code & 0x7f;

    if (type == TYPE_REF) {
        int32_t n;
        if ((rc = read_i32(p, start, "a reference", &n)) != 0)
            return rc;
        if (n < 0 || (size_t)n >= p->nrefs)
            return fail(p, start, "reference %d names no earlier object (%zu so far)", (int)n,
                        p->nrefs);
        *out = p->refs[n];
        return SG_PROFILE_OK;
    }

    uint8_t kind;
    switch (type) {
    case TYPE_NONE:
        kind = SG_MARSHAL_NONE;
        break;
    case TYPE_TRUE:
    case TYPE_FALSE:
        kind = SG_MARSHAL_BOOL;
        break;
    case TYPE_STOPITER:
    case TYPE_ELLIPSIS:
    case TYPE_COMPLEX:
    case TYPE_BCOMPLEX:
        kind = SG_MARSHAL_OTHER;
        break;
    case TYPE_INT:
    case TYPE_INT64:
    case TYPE_LONG:
        kind = SG_MARSHAL_INT;
        break;
    case TYPE_FLOAT:
    case TYPE_BFLOAT:
        kind = SG_MARSHAL_FLOAT;
        break;
    case TYPE_STRING:
        kind = SG_MARSHAL_BYTES;
        break;
    case TYPE_UNICODE:
    case TYPE_INTERNED:
    case TYPE_ASCII:
    case TYPE_ASCII_I:
    case TYPE_SASCII:
    case TYPE_SASCII_I:
        kind = SG_MARSHAL_STR;
        break;
    case TYPE_TUPLE:
    case TYPE_STUPLE:
        kind = SG_MARSHAL_TUPLE;
        break;
    case TYPE_LIST:
        kind = SG_MARSHAL_LIST;
        break;
    case TYPE_SET:
    case TYPE_FROZEN:
        kind = SG_MARSHAL_SET;
        break;
    case TYPE_DICT:
        kind = SG_MARSHAL_DICT;
        break;
    case TYPE_NULL:
        return fail(p, start, "unexpected end-of-dict marker");
    case TYPE_CODE:
        kind = SG_MARSHAL_CODE;
        break;
    case TYPE_SLICE:
        return fail(p, start, "slice objects are not supported");
    default:
        return fail(p, start, "unknown marshal type code 0x%02x", code);
    }

    uint32_t index;
    if ((rc = new_value(p, kind, start, &index)) != 0)
        return rc;
    bool container = kind == SG_MARSHAL_TUPLE || kind == SG_MARSHAL_LIST ||
                     kind == SG_MARSHAL_SET || kind == SG_MARSHAL_DICT || kind == SG_MARSHAL_CODE;
    /* Containers are registered before their items, scalars after. */
    if (flag && container && (rc = add_ref(p, index)) != 0)
        return rc;

    sg_marshal_value *v = &p->doc->values[index];
    switch (type) {
    case TYPE_TRUE:
        v->u.i = 1;
        break;
    case TYPE_INT: {
        int32_t n = 0; /* stays 0 when the read fails, which rc reports */
        rc = read_i32(p, start, "an int", &n);
        v->u.i = n;
        break;
    }
    case TYPE_INT64:
        if ((rc = need(p, 8, start, "an int")) == 0) {
            v->u.i = (int64_t)load_le64(p->data + p->pos);
            p->pos += 8;
        }
        break;
    case TYPE_LONG:
        rc = parse_long(p, start, v);
        break;
    case TYPE_BFLOAT:
        if ((rc = need(p, 8, start, "a float")) == 0) {
            uint64_t bits = load_le64(p->data + p->pos);
            memcpy(&v->u.f, &bits, sizeof bits);
            p->pos += 8;
        }
        break;
    case TYPE_FLOAT:
        rc = parse_text_float(p, start, &v->u.f);
        break;
    case TYPE_BCOMPLEX:
        if ((rc = need(p, 16, start, "a complex")) == 0)
            p->pos += 16;
        break;
    case TYPE_COMPLEX: {
        double ignored;
        if ((rc = parse_text_float(p, start, &ignored)) == 0)
            rc = parse_text_float(p, start, &ignored);
        break;
    }
    case TYPE_STRING:
    case TYPE_UNICODE:
    case TYPE_INTERNED:
    case TYPE_ASCII:
    case TYPE_ASCII_I:
        if ((rc = read_length(p, start, "a string", 1, &v->len)) == 0) {
            v->u.pos = p->pos;
            p->pos += v->len;
        }
        break;
    case TYPE_SASCII:
    case TYPE_SASCII_I:
        if ((rc = need(p, 1, start, "a string")) == 0) {
            v->len = p->data[p->pos++];
            if ((rc = need(p, v->len, start, "a string")) == 0) {
                v->u.pos = p->pos;
                p->pos += v->len;
            }
        }
        break;
    case TYPE_STUPLE: {
        if ((rc = need(p, 1, start, "a tuple")) != 0)
            break;
        uint32_t n = p->data[p->pos++];
        if (n > p->len - p->pos) {
            rc = fail(p, start, "tuple of length %u runs past the end of the data", n);
            break;
        }
        rc = parse_items(p, depth, index, n);
        break;
    }
    case TYPE_TUPLE:
    case TYPE_LIST:
    case TYPE_SET:
    case TYPE_FROZEN: {
        uint32_t n;
        if ((rc = read_length(p, start, sg_marshal_type_name(kind), 1, &n)) == 0)
            rc = parse_items(p, depth, index, n);
        break;
    }
    case TYPE_DICT:
        rc = parse_dict(p, depth, index, start);
        break;
    case TYPE_CODE:
        rc = parse_code(p, depth, index, start);
        break;
    default:
        break;
    }
    if (rc != 0)
        return rc;
    if (flag && !container && (rc = add_ref(p, index)) != 0)
        return rc;
    *out = index;
    return SG_PROFILE_OK;
}

/*
 * Room for the values and items of the whole input at once, from its size:
 * pstats files hold about one value and one item per 6 to 10 bytes, so
 * one per 4 bytes nearly always suffices. One allocation each, advised
 * onto huge pages before anything touches it (sg_grow_advise_huge), spares
 * the doublings their copies and most of their page faults. A hint only: the
 * arrays still grow past it, and a failed reservation is no error (what
 * is left untouched of it costs address space, not memory).
 */
#define RESERVE_BYTES_PER_VALUE 4
#define RESERVE_MIN             256

static void reserve_for_input(sg_marshal_doc *doc, size_t len)
{
    size_t n = len / RESERVE_BYTES_PER_VALUE + RESERVE_MIN;
    if (n > UINT32_MAX - 1)
        n = UINT32_MAX - 1;
    if (sg_grow_array((void **)&doc->values, n, sizeof *doc->values) == 0) {
        doc->cap = (uint32_t)n;
        sg_grow_advise_huge(doc->values, n * sizeof *doc->values);
    }
    if (sg_grow_array((void **)&doc->items, n, sizeof *doc->items) == 0) {
        doc->item_cap = n;
        sg_grow_advise_huge(doc->items, n * sizeof *doc->items);
    }
}

int sg_marshal_parse(const uint8_t *data, size_t len, sg_marshal_doc *doc, char *err, size_t errlen)
{
    memset(doc, 0, sizeof *doc);
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    parser p = {
        .doc = doc, .data = data, .len = len, .code_layout = -1, .err = err, .errlen = errlen};
    int rc;
    if (len > SG_MARSHAL_MAX_INPUT) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "marshal data of %zu bytes is larger than 4 GiB", len);
        rc = SG_PROFILE_ELIMIT;
    } else {
        doc->data = data;
        doc->len = len;
        reserve_for_input(doc, len);
        rc = parse_object(&p, 0, &doc->root);
    }
    if (rc == SG_PROFILE_ENOMEM && err != NULL && errlen > 0 && err[0] == '\0')
        snprintf(err, errlen, "out of memory reading marshal data at offset %zu", p.pos);
    if (rc == SG_PROFILE_ELIMIT && err != NULL && errlen > 0 && err[0] == '\0')
        snprintf(err, errlen, "offset %zu: too many values", p.pos);
    free(p.refs);
    free(p.scratch);
    if (rc != 0)
        sg_marshal_doc_free(doc);
    return rc;
}

void sg_marshal_doc_free(sg_marshal_doc *doc)
{
    free(doc->values);
    free(doc->items);
    memset(doc, 0, sizeof *doc);
}

bool sg_marshal_number(const sg_marshal_value *v, double *out)
{
    switch (v->type) {
    case SG_MARSHAL_INT:
    case SG_MARSHAL_BOOL:
        *out = (double)v->u.i;
        return true;
    case SG_MARSHAL_FLOAT:
        *out = v->u.f;
        return true;
    default:
        return false;
    }
}

const char *sg_marshal_type_name(uint8_t type)
{
    switch (type) {
    case SG_MARSHAL_NONE:
        return "None";
    case SG_MARSHAL_BOOL:
        return "bool";
    case SG_MARSHAL_INT:
        return "int";
    case SG_MARSHAL_BIGINT:
        return "int (too large)";
    case SG_MARSHAL_FLOAT:
        return "float";
    case SG_MARSHAL_STR:
        return "str";
    case SG_MARSHAL_BYTES:
        return "bytes";
    case SG_MARSHAL_TUPLE:
        return "tuple";
    case SG_MARSHAL_LIST:
        return "list";
    case SG_MARSHAL_SET:
        return "set";
    case SG_MARSHAL_DICT:
        return "dict";
    case SG_MARSHAL_CODE:
        return "code object";
    default:
        return "object";
    }
}

/* ---- writing ---------------------------------------------------------- */

static void put_le32(sg_bytes_out *b, uint32_t v)
{
    uint8_t bytes[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    sg_bytes_put(b, bytes, 4);
}

void sg_marshal_put_none(sg_marshal_writer *w)
{
    sg_bytes_put_u8(&w->out, TYPE_NONE);
}

void sg_marshal_put_bool(sg_marshal_writer *w, bool v)
{
    sg_bytes_put_u8(&w->out, v ? TYPE_TRUE : TYPE_FALSE);
}

void sg_marshal_put_int(sg_marshal_writer *w, int64_t v)
{
    if (v >= INT32_MIN && v <= INT32_MAX) {
        sg_bytes_put_u8(&w->out, TYPE_INT);
        put_le32(&w->out, (uint32_t)(int32_t)v);
        return;
    }
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint16_t digits[5];
    int32_t n = 0;
    while (mag != 0) {
        digits[n++] = (uint16_t)(mag & ((1u << LONG_SHIFT) - 1));
        mag >>= LONG_SHIFT;
    }
    sg_bytes_put_u8(&w->out, TYPE_LONG);
    put_le32(&w->out, (uint32_t)(v < 0 ? -n : n));
    for (int32_t k = 0; k < n; k++) {
        uint8_t b[2] = {(uint8_t)digits[k], (uint8_t)(digits[k] >> 8)};
        sg_bytes_put(&w->out, b, 2);
    }
}

void sg_marshal_put_float(sg_marshal_writer *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint8_t b[9] = {TYPE_BFLOAT};
    for (int k = 0; k < 8; k++)
        b[1 + k] = (uint8_t)(bits >> (8 * k));
    sg_bytes_put(&w->out, b, 9);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid.
 * Encoded surrogates are accepted: CPython decodes marshal strings with
 * "surrogatepass". */
static size_t utf8_sequence(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

void sg_marshal_put_str(sg_marshal_writer *w, const char *s, size_t len, uint32_t *slot)
{
    if (slot != NULL && *slot != 0) {
        sg_bytes_put_u8(&w->out, TYPE_REF);
        put_le32(&w->out, *slot - 1);
        return;
    }
    const unsigned char *u = (const unsigned char *)s;
    bool ascii = true, valid = true;
    for (size_t i = 0; i < len;) {
        if (u[i] >= 0x80)
            ascii = false;
        size_t n = utf8_sequence(u + i, len - i);
        if (n == 0) {
            valid = false;
            break;
        }
        i += n;
    }
    uint8_t flag = slot != NULL ? FLAG_REF : 0;
    if (slot != NULL)
        *slot = ++w->refs;
    if (len > INT32_MAX / 3) {
        len = 0; /* unreachable for our strings (16 MiB cap); keep the file valid */
        valid = ascii = true;
    }
    if (ascii && len <= 255) {
        uint8_t head[2] = {(uint8_t)(TYPE_SASCII | flag), (uint8_t)len};
        sg_bytes_put(&w->out, head, 2);
        sg_bytes_put(&w->out, s, len);
    } else if (ascii || valid) {
        sg_bytes_put_u8(&w->out, (uint8_t)((ascii ? TYPE_ASCII : TYPE_UNICODE) | flag));
        put_le32(&w->out, (uint32_t)len);
        sg_bytes_put(&w->out, s, len);
    } else {
        /* Replace each invalid byte by U+FFFD (3 bytes): measure, then write. */
        size_t out_len = 0;
        for (size_t i = 0; i < len;) {
            size_t n = utf8_sequence(u + i, len - i);
            out_len += n == 0 ? 3 : n;
            i += n == 0 ? 1 : n;
        }
        sg_bytes_put_u8(&w->out, (uint8_t)(TYPE_UNICODE | flag));
        put_le32(&w->out, (uint32_t)out_len);
        for (size_t i = 0; i < len;) {
            size_t n = utf8_sequence(u + i, len - i);
            if (n == 0) {
                sg_bytes_put(&w->out, "\xef\xbf\xbd", 3);
                i++;
            } else {
                sg_bytes_put(&w->out, s + i, n);
                i += n;
            }
        }
    }
}

void sg_marshal_put_tuple(sg_marshal_writer *w, uint32_t n)
{
    if (n <= 255) {
        uint8_t head[2] = {TYPE_STUPLE, (uint8_t)n};
        sg_bytes_put(&w->out, head, 2);
    } else {
        sg_bytes_put_u8(&w->out, TYPE_TUPLE);
        put_le32(&w->out, n);
    }
}

bool sg_marshal_put_tuple_ref(sg_marshal_writer *w, uint32_t n, uint32_t *slot)
{
    if (*slot != 0) {
        sg_bytes_put_u8(&w->out, TYPE_REF);
        put_le32(&w->out, *slot - 1);
        return false;
    }
    *slot = ++w->refs; /* before the items' own references, as the reader counts */
    if (n <= 255) {
        uint8_t head[2] = {TYPE_STUPLE | FLAG_REF, (uint8_t)n};
        sg_bytes_put(&w->out, head, 2);
    } else {
        sg_bytes_put_u8(&w->out, TYPE_TUPLE | FLAG_REF);
        put_le32(&w->out, n);
    }
    return true;
}

void sg_marshal_put_dict_begin(sg_marshal_writer *w)
{
    sg_bytes_put_u8(&w->out, TYPE_DICT);
}

void sg_marshal_put_dict_end(sg_marshal_writer *w)
{
    sg_bytes_put_u8(&w->out, TYPE_NULL);
}
