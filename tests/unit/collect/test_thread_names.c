/*
 * test_thread_names.c — unit tests for collect/thread_names on hand-built
 * memory images of every supported version, and on those images torn.
 *
 * The image is a fake memory source made of separate blocks with unmapped
 * gaps between them (so a read past an object's end fails, as at the end of
 * a real mapping). Into it the test writes, in each version's layout, what
 * the reader walks: an interpreter with sys.modules (more than one scan
 * chunk of entries), the threading module and its dict (with a deleted
 * entry), _active with int keys of one, two and three 30-bit digits, and
 * Thread objects keeping `_name` in each era's ways — a dict at
 * tp_dictoffset (3.9/3.10), a combined or split managed dict, and values
 * without a dict (3.11 values pointer, 3.12 tagged word, 3.13 inline
 * values, valid or not).
 *
 * Then it checks the names, and tears the image: random bytes and words
 * (zeros, small counts, pointers into other blocks) overwritten, after which
 * the reader must still return 0 with well-formed UTF-8 names, after a
 * bounded number of reads. Real interpreters are checked by
 * tests/integration/test_thread_names.py.
 *
 * Invariant: each test builds its own image; nothing is shared.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collect/thread_names.h"

#define SG_IMG_BASE       UINT64_C(0x7f0000000000)
#define SG_IMG_GAP        4096u /* unmapped bytes after every block */
#define SG_IMG_MAX_BLOCKS 512
#define SG_IMG_NTHREADS   5
#define SG_HASH_MODULUS   ((UINT64_C(1) << 61) - 1)

/* ---- a fake memory source of separate blocks ---------------------------- */

typedef struct sg_img_block {
    uint64_t addr;
    size_t len;
    uint8_t *bytes;
} sg_img_block;

typedef struct sg_img {
    sg_mem mem; /* first: the ops get a sg_mem * */
    int gone;   /* every read fails with -ESRCH */
    uint64_t spans;
    uint64_t next;
    size_t nblocks;
    sg_img_block blocks[SG_IMG_MAX_BLOCKS];
    const sg_layout *l;
    uint64_t dict_type, long_type, str_type;
    uint64_t attr_names[4]; /* interned attribute names, shared by every Thread */
    int threads;            /* Thread objects built so far */
} sg_img;

static sg_img_block *sg_img_find(sg_img *m, uint64_t addr, size_t len)
{
    for (size_t i = 0; i < m->nblocks; i++) {
        sg_img_block *b = &m->blocks[i];
        if (addr >= b->addr && addr - b->addr <= b->len && b->len - (addr - b->addr) >= len)
            return b;
    }
    return NULL;
}

static int sg_img_readv(sg_mem *mem, const sg_mem_span *spans, size_t n)
{
    sg_img *m = (sg_img *)mem;
    m->spans += n;
    if (m->gone)
        return -ESRCH;
    for (size_t i = 0; i < n; i++) {
        sg_img_block *b = sg_img_find(m, spans[i].addr, spans[i].len);
        if (!b)
            return (int)i;
        memcpy(spans[i].buf, b->bytes + (spans[i].addr - b->addr), spans[i].len);
    }
    return (int)n;
}

static void sg_img_close(sg_mem *mem)
{
    (void)mem;
}

static const sg_mem_ops sg_img_ops = {sg_img_readv, sg_img_close};

static uint64_t sg_img_alloc(sg_img *m, size_t len)
{
    assert_true(m->nblocks < SG_IMG_MAX_BLOCKS);
    sg_img_block *b = &m->blocks[m->nblocks++];
    b->addr = m->next;
    b->len = len;
    b->bytes = calloc(1, len);
    assert_non_null(b->bytes);
    m->next += (len + SG_IMG_GAP + 15) & ~(uint64_t)15;
    return b->addr;
}

static void sg_img_put(sg_img *m, uint64_t addr, const void *v, size_t len)
{
    sg_img_block *b = sg_img_find(m, addr, len);
    assert_non_null(b);
    memcpy(b->bytes + (addr - b->addr), v, len);
}

static void sg_img_put64(sg_img *m, uint64_t addr, uint64_t v)
{
    sg_img_put(m, addr, &v, 8);
}

static void sg_img_put8(sg_img *m, uint64_t addr, uint8_t v)
{
    sg_img_put(m, addr, &v, 1);
}

/* An object whose type is `type` (only ob_type is ever read of these). */
static uint64_t sg_img_object(sg_img *m, uint64_t type, size_t len)
{
    /* Every other object has slack after it, like most objects in a pool;
     * the others end at an unmapped gap. */
    uint64_t obj = sg_img_alloc(m, (len < 16 ? 16 : len) + (m->nblocks % 2 ? 256 : 0));
    sg_img_put64(m, obj + (uint64_t)m->l->object_type, type);
    return obj;
}

/* A type object with the fields the reader looks at. */
static uint64_t sg_img_type(sg_img *m, int64_t basicsize, uint64_t flags, int64_t dictoffset,
                            uint64_t cached_keys)
{
    const sg_layout *l = m->l;
    uint64_t type = sg_img_alloc(m, (size_t)l->heaptype_cached_keys + 8);
    sg_img_put64(m, type + (uint64_t)l->type_basicsize, (uint64_t)basicsize);
    sg_img_put64(m, type + (uint64_t)l->type_flags, flags);
    sg_img_put64(m, type + (uint64_t)l->type_dictoffset, (uint64_t)dictoffset);
    sg_img_put64(m, type + (uint64_t)l->heaptype_cached_keys, cached_keys);
    return type;
}

static void sg_img_init(sg_img *m, uint32_t version_hex)
{
    memset(m, 0, sizeof *m);
    m->mem.ops = &sg_img_ops;
    m->next = SG_IMG_BASE;
    m->l = sg_layout_for_version(version_hex);
    assert_non_null(m->l);
    m->dict_type = sg_img_type(m, 48, 0, 0, 0);
    m->long_type = sg_img_type(m, 24, (uint64_t)(uint32_t)m->l->tpflag_long_subclass, 0, 0);
    m->str_type = sg_img_type(m, m->l->unicode_ascii_size, 0, 0, 0);
}

static void sg_img_free(sg_img *m)
{
    for (size_t i = 0; i < m->nblocks; i++)
        free(m->blocks[i].bytes);
    m->nblocks = 0;
}

/* ---- Python objects in the image ---------------------------------------- */

/* Decodes UTF-8 (well-formed, from this file) into code points. */
static size_t sg_utf8_decode(const char *s, uint32_t *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (*p && n < cap) {
        int more = *p < 0x80 ? 0 : *p < 0xe0 ? 1 : *p < 0xf0 ? 2 : 3;
        uint32_t c = *p & (more == 0 ? 0x7fu : 0x3fu >> more);
        for (int k = 1; k <= more; k++)
            c = (c << 6) | (p[k] & 0x3fu);
        out[n++] = c;
        p += more + 1;
    }
    return n;
}

/* A compact str object (ASCII, Latin-1, UCS-2 or UCS-4, as CPython picks). */
static uint64_t sg_img_str(sg_img *m, const char *utf8)
{
    const sg_layout *l = m->l;
    uint32_t cps[256];
    size_t n = sg_utf8_decode(utf8, cps, 256);
    uint32_t max = 0;
    for (size_t i = 0; i < n; i++)
        max = cps[i] > max ? cps[i] : max;
    int ascii = max < 0x80;
    uint32_t kind = max < 0x100 ? 1 : max < 0x10000 ? 2 : 4;
    size_t head = (size_t)(ascii ? l->unicode_ascii_size : l->unicode_compact_size);
    uint64_t obj = sg_img_object(m, m->str_type, head + (n + 1) * kind);
    int64_t length = (int64_t)n;
    uint32_t state = (kind << l->unicode_kind_shift) | (1u << l->unicode_compact_bit) |
                     ((uint32_t)ascii << l->unicode_ascii_bit);
    sg_img_put(m, obj + (uint64_t)l->unicode_length, &length, sizeof length);
    sg_img_put(m, obj + (uint64_t)l->unicode_state, &state, sizeof state);
    for (size_t i = 0; i < n; i++)
        sg_img_put(m, obj + head + i * kind, &cps[i], kind); /* little-endian host */
    return obj;
}

/* An int object (30-bit digits; non-negative). */
static uint64_t sg_img_int(sg_img *m, uint64_t v)
{
    const sg_layout *l = m->l;
    uint32_t digits[3];
    uint64_t n = 0;
    for (uint64_t x = v; x != 0; x >>= l->long_shift)
        digits[n++] = (uint32_t)(x & ((UINT64_C(1) << l->long_shift) - 1));
    uint64_t obj = sg_img_object(m, m->long_type, (size_t)l->long_digits + 4 * (n ? n : 1));
    if (l->long_era == SG_LONG_LV_TAG)
        sg_img_put64(m, obj + (uint64_t)l->long_lv_tag,
                     (n << l->long_non_size_bits) | (n == 0 ? 1u : 0u));
    else
        sg_img_put64(m, obj + (uint64_t)l->varobject_size, n);
    for (uint64_t i = 0; i < n; i++)
        sg_img_put(m, obj + (uint64_t)l->long_digits + i * 4, &digits[i], 4);
    return obj;
}

/* Key table kinds to build (3.11+; 3.9/3.10 tables are always general). */
enum { SG_KEYS_GENERAL = 0, SG_KEYS_UNICODE = 1, SG_KEYS_SPLIT = 2 };

/* A key table of n entries (hash, key, value); values are left out of a
 * split table's entries. */
static uint64_t sg_img_keys(sg_img *m, int kind, const uint64_t *hash, const uint64_t *key,
                            const uint64_t *value, size_t n)
{
    const sg_layout *l = m->l;
    uint64_t size = 8, log2 = 3;
    while (size * 2 / 3 < n) {
        size *= 2;
        log2++;
    }
    /* Index width as each era picks it (DK_IXSIZE / dk_log2_index_bytes). */
    uint64_t width = l->dict_era == SG_DICT_SIZED ? (size <= 0xff ? 1 : 2) : (log2 < 8 ? 1 : 2);
    uint64_t index_bytes = size * width;
    int general = l->dict_era == SG_DICT_SIZED || kind == SG_KEYS_GENERAL;
    size_t esize = (size_t)(general ? l->dictentry_size : l->dictuentry_size);
    uint64_t keys = sg_img_alloc(m, (size_t)l->dictkeys_indices + index_bytes + n * esize);
    uint64_t entries = keys + (uint64_t)l->dictkeys_indices + index_bytes;

    sg_img_put64(m, keys, 1); /* dk_refcnt */
    if (l->dict_era == SG_DICT_SIZED) {
        sg_img_put64(m, keys + (uint64_t)l->dictkeys_size, size);
    } else {
        sg_img_put8(m, keys + (uint64_t)l->dictkeys_log2_size, (uint8_t)log2);
        sg_img_put8(m, keys + (uint64_t)l->dictkeys_log2_index_bytes,
                    (uint8_t)(log2 + (width == 2)));
        sg_img_put8(m, keys + (uint64_t)l->dictkeys_kind, (uint8_t)kind);
    }
    sg_img_put64(m, keys + (uint64_t)l->dictkeys_nentries, n);
    for (size_t i = 0; i < n; i++) {
        uint64_t e = entries + i * esize;
        uint64_t v = kind == SG_KEYS_SPLIT ? 0 : value[i];
        if (general) {
            sg_img_put64(m, e + (uint64_t)l->dictentry_hash, hash ? hash[i] : 0x1234 + i);
            sg_img_put64(m, e + (uint64_t)l->dictentry_key, key[i]);
            sg_img_put64(m, e + (uint64_t)l->dictentry_value, v);
        } else {
            sg_img_put64(m, e + (uint64_t)l->dictuentry_key, key[i]);
            sg_img_put64(m, e + (uint64_t)l->dictuentry_value, v);
        }
    }
    return keys;
}

/* A split table's values (PyDictValues): returns the object's address. On
 * 3.13 it carries capacity/size/valid before values[]. */
static uint64_t sg_img_values(sg_img *m, const uint64_t *value, size_t n, int valid)
{
    const sg_layout *l = m->l;
    uint64_t values = sg_img_alloc(m, 8 + (size_t)l->dictvalues_values + n * 8) + 8;
    if (l->instance_dict_era == SG_IDICT_INLINE) {
        sg_img_put8(m, values + (uint64_t)l->dictvalues_capacity, (uint8_t)n);
        sg_img_put8(m, values + (uint64_t)l->dictvalues_valid, (uint8_t)valid);
    }
    for (size_t i = 0; i < n; i++)
        sg_img_put64(m, values + (uint64_t)l->dictvalues_values + i * 8, value[i]);
    return values;
}

static uint64_t sg_img_dict(sg_img *m, uint64_t keys, uint64_t values, size_t used)
{
    const sg_layout *l = m->l;
    uint64_t dict = sg_img_object(m, m->dict_type, (size_t)l->dict_values + 8);
    sg_img_put64(m, dict + (uint64_t)l->dict_used, used);
    sg_img_put64(m, dict + (uint64_t)l->dict_keys, keys);
    sg_img_put64(m, dict + (uint64_t)l->dict_values, values);
    return dict;
}

/* ---- Thread objects, one way of keeping attributes each ------------------ */

enum sg_attrs_way {
    SG_ATTRS_DICT,       /* a combined dict (at tp_dictoffset, or managed) */
    SG_ATTRS_SPLIT_DICT, /* a dict over the type's shared keys */
    SG_ATTRS_VALUES,     /* values without a dict (3.11+) */
    SG_ATTRS_INVALID,    /* 3.13: inline values marked invalid, a dict holds the truth */
    SG_ATTRS_NWAYS
};

static int sg_way_applies(const sg_layout *l, enum sg_attrs_way way)
{
    if (way == SG_ATTRS_VALUES)
        return l->instance_dict_era != SG_IDICT_DICTOFFSET;
    if (way == SG_ATTRS_INVALID)
        return l->instance_dict_era == SG_IDICT_INLINE;
    return 1;
}

/* A Thread named `name`; its attributes are kept the `way` way. */
static uint64_t sg_img_thread(sg_img *m, const char *name, enum sg_attrs_way way)
{
    const sg_layout *l = m->l;
    enum { NATTR = 4, NAME_IX = 2 };
    uint64_t key[NATTR], value[NATTR];
    static const char *const attrs[NATTR] = {"_target", "_args", "_name", "_daemonic"};
    _Static_assert(NATTR == sizeof m->attr_names / sizeof m->attr_names[0], "one per name");
    for (int i = 0; i < NATTR; i++) {
        if (!m->attr_names[i])
            m->attr_names[i] = sg_img_str(m, attrs[i]);
        key[i] = m->attr_names[i];
        value[i] = i == NAME_IX ? sg_img_str(m, name) : sg_img_str(m, "other");
    }
    int kinds = l->dict_era == SG_DICT_KINDS;
    uint64_t shared = sg_img_keys(m, SG_KEYS_SPLIT, NULL, key, value, NATTR);
    uint64_t dict = 0, values = 0;
    if (way == SG_ATTRS_DICT || way == SG_ATTRS_INVALID) {
        /* Combined dicts keep insertion order, which differs per object:
         * rotate, so `_name` is not where the last Thread had it. */
        uint64_t rkey[NATTR], rvalue[NATTR];
        for (int i = 0; i < NATTR; i++) {
            rkey[i] = key[(i + m->threads) % NATTR];
            rvalue[i] = value[(i + m->threads) % NATTR];
        }
        uint64_t keys =
            sg_img_keys(m, kinds ? SG_KEYS_UNICODE : SG_KEYS_GENERAL, NULL, rkey, rvalue, NATTR);
        dict = sg_img_dict(m, keys, 0, NATTR);
    }
    m->threads++;
    if (way == SG_ATTRS_SPLIT_DICT)
        dict = sg_img_dict(m, shared, sg_img_values(m, value, NATTR, 1), NATTR);

    uint64_t managed = (uint64_t)(uint32_t)(kinds ? l->tpflag_managed_dict : 0);
    switch (l->instance_dict_era) {
    case SG_IDICT_DICTOFFSET: {
        uint64_t obj = sg_img_object(m, sg_img_type(m, 32, 0, 16, shared), 32);
        sg_img_put64(m, obj + 16, dict);
        return obj;
    }
    case SG_IDICT_VALUES_PTR: {
        uint64_t type = sg_img_type(m, 16, managed, -1, shared);
        uint64_t obj = sg_img_alloc(m, 48) + 32;
        sg_img_put64(m, obj + (uint64_t)l->object_type, type);
        if (way == SG_ATTRS_VALUES)
            values = sg_img_values(m, value, NATTR, 1);
        sg_img_put64(m, obj + (uint64_t)(int64_t)l->object_managed_values, values);
        sg_img_put64(m, obj + (uint64_t)(int64_t)l->object_managed_dict, dict);
        return obj;
    }
    case SG_IDICT_TAGGED: {
        uint64_t type = sg_img_type(m, 16, managed, -1, shared);
        uint64_t obj = sg_img_alloc(m, 48) + 32;
        sg_img_put64(m, obj + (uint64_t)l->object_type, type);
        if (way == SG_ATTRS_VALUES)
            values = sg_img_values(m, value, NATTR, 1);
        sg_img_put64(m, obj + (uint64_t)(int64_t)l->object_managed_dict,
                     values ? values - 1 : dict);
        return obj;
    }
    default: { /* SG_IDICT_INLINE */
        uint64_t inline_flag = (uint64_t)(uint32_t)l->tpflag_inline_values;
        int with_inline = way == SG_ATTRS_VALUES || way == SG_ATTRS_INVALID;
        uint64_t type = sg_img_type(m, 16, managed | (with_inline ? inline_flag : 0), -1, shared);
        uint64_t obj = sg_img_alloc(m, 32 + 16 + (size_t)l->dictvalues_values + NATTR * 8) + 32;
        sg_img_put64(m, obj + (uint64_t)l->object_type, type);
        sg_img_put64(m, obj + (uint64_t)(int64_t)l->object_managed_dict, dict);
        if (with_inline) {
            uint64_t inl = obj + 16;
            sg_img_put8(m, inl + (uint64_t)l->dictvalues_capacity, NATTR);
            sg_img_put8(m, inl + (uint64_t)l->dictvalues_valid, way == SG_ATTRS_VALUES);
            for (int i = 0; i < NATTR; i++)
                sg_img_put64(m, inl + (uint64_t)l->dictvalues_values + (uint64_t)i * 8,
                             way == SG_ATTRS_VALUES ? value[i] : key[0]); /* stale junk */
        }
        return obj;
    }
    }
}

/* ---- the whole path: interpreter → sys.modules → threading → _active ---- */

typedef struct sg_img_world {
    uint64_t ids[SG_IMG_NTHREADS + 1]; /* the last one is not in _active */
    const char *names[SG_IMG_NTHREADS + 1];
} sg_img_world;

static void sg_img_world_build(sg_img *m, sg_target *t, enum sg_attrs_way way, sg_img_world *w)
{
    const sg_layout *l = m->l;
    int kinds = l->dict_era == SG_DICT_KINDS;
    static const uint64_t ids[SG_IMG_NTHREADS + 1] = {
        UINT64_C(0x7f3a2c1b4740),  /* two digits, a typical pthread_t */
        5,                         /* one digit */
        0,                         /* zero digits */
        UINT64_C(0xfffffffffffff), /* hash below the modulus, three digits */
        UINT64_MAX - 3,            /* hash wraps: UINT64_MAX - 3 mod 2**61 - 1 */
        UINT64_C(0x7f3a2c1b5000),  /* not in _active */
    };
    static const char *const names[SG_IMG_NTHREADS + 1] = {
        "MainThread", "worker-busy", "données-ü", "计算",
        /* 70 characters: cut to 63 bytes */
        "a-very-long-thread-name-that-does-not-fit-in-sixty-four-bytes-at-all-x", ""};
    memcpy(w->ids, ids, sizeof ids);
    memcpy(w->names, names, sizeof names);

    /* _active: {ident: Thread}, general keys with the ints' hashes, after a
     * deleted entry. */
    uint64_t hash[SG_IMG_NTHREADS + 1], key[SG_IMG_NTHREADS + 1], value[SG_IMG_NTHREADS + 1];
    hash[0] = 99;
    key[0] = 0;
    value[0] = 0;
    for (int i = 0; i < SG_IMG_NTHREADS; i++) {
        hash[i + 1] = ids[i] % SG_HASH_MODULUS;
        key[i + 1] = sg_img_int(m, ids[i]);
        value[i + 1] = sg_img_thread(m, names[i], way);
    }
    uint64_t active =
        sg_img_dict(m, sg_img_keys(m, SG_KEYS_GENERAL, hash, key, value, SG_IMG_NTHREADS + 1), 0,
                    SG_IMG_NTHREADS);

    /* threading.__dict__: a deleted entry, decoys, then _active. */
    uint64_t mkey[4] = {0, sg_img_str(m, "_activ"), sg_img_str(m, "_active_limbo_lock"),
                        sg_img_str(m, "_active")};
    uint64_t mval[4] = {0, 0x1000, 0x1000, active};
    uint64_t mdict = sg_img_dict(
        m, sg_img_keys(m, kinds ? SG_KEYS_UNICODE : SG_KEYS_GENERAL, NULL, mkey, mval, 4), 0, 3);
    uint64_t module = sg_img_object(m, m->str_type, (size_t)l->module_dict + 8);
    sg_img_put64(m, module + (uint64_t)l->module_dict, mdict);

    /* sys.modules: 70 other modules first, so the scan needs two chunks. */
    enum { NMOD = 71 };
    uint64_t skey[NMOD], sval[NMOD];
    for (int i = 0; i < NMOD - 1; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "module%d", i);
        skey[i] = sg_img_str(m, buf);
        sval[i] = module; /* never followed */
    }
    skey[NMOD - 1] = sg_img_str(m, "threading");
    sval[NMOD - 1] = module;
    uint64_t modules = sg_img_dict(
        m, sg_img_keys(m, kinds ? SG_KEYS_UNICODE : SG_KEYS_GENERAL, NULL, skey, sval, NMOD), 0,
        NMOD);

    uint64_t interp = sg_img_alloc(m, (size_t)l->interp_modules + 8);
    sg_img_put64(m, interp + (uint64_t)l->interp_modules, modules);

    memset(t, 0, sizeof *t);
    t->mem = &m->mem;
    t->layout = l;
    t->version_hex = (uint32_t)l->version_hex;
    t->interp = interp;
    t->syms.unicode_type = m->str_type;
}

/* ---- checks ------------------------------------------------------------- */

/* Well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
static int sg_utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t c = *p;
        int more = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
        if (more < 0)
            return 0;
        c &= more == 0 ? 0x7f : (0x3fu >> more);
        for (int k = 0; k < more; k++) {
            if ((p[k + 1] & 0xc0) != 0x80)
                return 0;
            c = (c << 6) | (p[k + 1] & 0x3f);
        }
        static const uint32_t least[] = {0, 0x80, 0x800, 0x10000};
        if (c < least[more] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return 0;
        p += more + 1;
    }
    return 1;
}

static void sg_expect_names_well_formed(char (*names)[SG_THREAD_NAME_MAX], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_non_null(memchr(names[i], '\0', SG_THREAD_NAME_MAX));
        assert_true(sg_utf8_valid(names[i]));
    }
}

static void sg_expect_world_names(const sg_img_world *w, char (*names)[SG_THREAD_NAME_MAX])
{
    for (int i = 0; i <= SG_IMG_NTHREADS; i++) {
        size_t want = strlen(w->names[i]);
        if (want >= SG_THREAD_NAME_MAX) {
            assert_int_equal(strlen(names[i]), SG_THREAD_NAME_MAX - 1);
            assert_memory_equal(names[i], w->names[i], SG_THREAD_NAME_MAX - 1);
        } else {
            assert_string_equal(names[i], w->names[i]);
        }
    }
}

static uint32_t sg_minor_hex(uint32_t minor)
{
    return 0x03000000u | (minor << 16);
}

/* ---- tests -------------------------------------------------------------- */

static void test_every_version_and_attribute_way(void **state)
{
    (void)state;
    for (uint32_t minor = 9; minor <= 13; minor++) {
        for (int way = 0; way < SG_ATTRS_NWAYS; way++) {
            sg_img *m = malloc(sizeof *m);
            sg_target t;
            sg_img_world w;
            char names[SG_IMG_NTHREADS + 1][SG_THREAD_NAME_MAX];
            sg_img_init(m, sg_minor_hex(minor));
            if (!sg_way_applies(m->l, (enum sg_attrs_way)way)) {
                sg_img_free(m);
                free(m);
                continue;
            }
            sg_img_world_build(m, &t, (enum sg_attrs_way)way, &w);
            sg_thread_names *tn = sg_thread_names_new(&t);
            assert_non_null(tn);

            memset(names, 'x', sizeof names);
            assert_int_equal(sg_thread_names_read(tn, w.ids, SG_IMG_NTHREADS + 1, names), 0);
            sg_expect_world_names(&w, names);
            uint64_t first = m->spans;

            /* Again, helped by the hints: same answer, fewer reads. */
            m->spans = 0;
            memset(names, 'x', sizeof names);
            assert_int_equal(sg_thread_names_read(tn, w.ids, SG_IMG_NTHREADS + 1, names), 0);
            sg_expect_world_names(&w, names);
            assert_true(m->spans < first);

            /* One id at a time, in another order. */
            for (int i = SG_IMG_NTHREADS; i >= 0; i--) {
                assert_int_equal(sg_thread_names_read(tn, &w.ids[i], 1, &names[i]), 0);
            }
            sg_expect_world_names(&w, names);

            sg_thread_names_free(tn);
            sg_img_free(m);
            free(m);
        }
    }
}

static uint64_t sg_rand(uint64_t *s)
{
    uint64_t x = (*s += UINT64_C(0x9e3779b97f4a7c15));
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* Overwrites a few bytes or words of random blocks with what tears look
 * like; returns nothing, the image is rebuilt for each seed. */
static void sg_img_tear(sg_img *m, uint64_t seed)
{
    uint64_t s = seed;
    int edits = 1 + (int)(sg_rand(&s) % 4);
    for (int e = 0; e < edits; e++) {
        sg_img_block *b = &m->blocks[sg_rand(&s) % m->nblocks];
        if (b->len < 8)
            continue;
        size_t at = (size_t)(sg_rand(&s) % (b->len - 7));
        uint64_t r = sg_rand(&s), v;
        switch (r % 6) {
        case 0:
            v = 0;
            break;
        case 1:
            v = (r >> 8) % 64;
            break;
        case 2: /* a pointer into some block */
            v = m->blocks[(r >> 8) % m->nblocks].addr + ((r >> 24) % 64) * 8;
            break;
        case 3:
            v = r;
            break;
        case 4: /* one byte */
            b->bytes[at] = (uint8_t)(r >> 8);
            continue;
        default:
            v = UINT64_MAX - (r >> 60);
            break;
        }
        at &= ~(size_t)(r >> 63 ? 7 : 0); /* mostly aligned words, some not */
        memcpy(b->bytes + at, &v, 8);
    }
}

static void test_torn_images_give_up_politely(void **state)
{
    (void)state;
    for (uint32_t minor = 9; minor <= 13; minor++) {
        for (int way = 0; way < SG_ATTRS_NWAYS; way++) {
            for (uint64_t seed = 1; seed <= 60; seed++) {
                sg_img *m = malloc(sizeof *m);
                sg_target t;
                sg_img_world w;
                char names[SG_IMG_NTHREADS + 1][SG_THREAD_NAME_MAX];
                sg_img_init(m, sg_minor_hex(minor));
                if (!sg_way_applies(m->l, (enum sg_attrs_way)way)) {
                    sg_img_free(m);
                    free(m);
                    break;
                }
                sg_img_world_build(m, &t, (enum sg_attrs_way)way, &w);
                sg_thread_names *tn = sg_thread_names_new(&t);
                /* A clean read first, so the torn read starts from hints. */
                assert_int_equal(sg_thread_names_read(tn, w.ids, SG_IMG_NTHREADS + 1, names), 0);
                sg_img_tear(m, seed * 1000 + minor * 10 + (uint64_t)way);
                m->spans = 0;
                memset(names, 'x', sizeof names);
                assert_int_equal(sg_thread_names_read(tn, w.ids, SG_IMG_NTHREADS + 1, names), 0);
                sg_expect_names_well_formed(names, SG_IMG_NTHREADS + 1);
                /* Bounded work: each table scan stops at its entry cap. */
                assert_true(m->spans < 2000000);
                sg_thread_names_free(tn);
                sg_img_free(m);
                free(m);
            }
        }
    }
}

static void test_unreadable_memory_means_unknown(void **state)
{
    (void)state;
    const uint64_t ids[] = {1, 2};
    for (uint32_t minor = 9; minor <= 13; minor++) {
        sg_img *m = malloc(sizeof *m);
        sg_target t;
        char names[2][SG_THREAD_NAME_MAX];
        sg_img_init(m, sg_minor_hex(minor));
        memset(&t, 0, sizeof t);
        t.mem = &m->mem;
        t.layout = m->l;
        t.interp = UINT64_C(0x100000); /* nothing is mapped there */
        sg_thread_names *tn = sg_thread_names_new(&t);
        memset(names, 'x', sizeof names);
        assert_int_equal(sg_thread_names_read(tn, ids, 2, names), 0);
        assert_string_equal(names[0], "");
        assert_string_equal(names[1], "");
        sg_thread_names_free(tn);
        sg_img_free(m);
        free(m);
    }
}

static void test_source_failure_is_reported(void **state)
{
    (void)state;
    sg_img *m = malloc(sizeof *m);
    sg_target t;
    sg_img_world w;
    char names[SG_IMG_NTHREADS + 1][SG_THREAD_NAME_MAX];
    sg_img_init(m, sg_minor_hex(12));
    sg_img_world_build(m, &t, SG_ATTRS_VALUES, &w);
    sg_thread_names *tn = sg_thread_names_new(&t);
    m->gone = 1;
    assert_int_equal(sg_thread_names_read(tn, w.ids, SG_IMG_NTHREADS + 1, names), -ESRCH);
    assert_string_equal(names[0], "");
    sg_thread_names_free(tn);
    sg_img_free(m);
    free(m);
}

static void test_arguments(void **state)
{
    (void)state;
    const uint64_t ids[] = {1};
    sg_img *m = malloc(sizeof *m);
    sg_target t;
    sg_img_world w;
    char names[1][SG_THREAD_NAME_MAX];
    sg_img_init(m, sg_minor_hex(13));
    sg_img_world_build(m, &t, SG_ATTRS_VALUES, &w);
    sg_thread_names *tn = sg_thread_names_new(&t);
    m->spans = 0;
    assert_int_equal(sg_thread_names_read(tn, ids, 0, names), 0);
    assert_int_equal(sg_thread_names_read(NULL, ids, 1, names), -EINVAL);
    assert_int_equal(sg_thread_names_read(tn, NULL, 1, names), -EINVAL);
    assert_int_equal(sg_thread_names_read(tn, ids, 1, NULL), -EINVAL);
    assert_int_equal(m->spans, 0);
    /* No interpreter yet: nothing is read, the caller retries later. */
    t.interp = 0;
    assert_int_equal(sg_thread_names_read(tn, ids, 1, names), -EAGAIN);
    assert_string_equal(names[0], "");
    assert_int_equal(m->spans, 0);
    sg_thread_names_free(tn);
    sg_thread_names_free(NULL);
    sg_img_free(m);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_version_and_attribute_way),
        cmocka_unit_test(test_torn_images_give_up_politely),
        cmocka_unit_test(test_unreadable_memory_means_unknown),
        cmocka_unit_test(test_source_failure_is_reported),
        cmocka_unit_test(test_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
