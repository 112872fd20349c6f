/*
 * thread_names.c — reading threading.Thread names out of another process
 * (see thread_names.h for the path followed and the guarantees).
 *
 * Three small readers do the work, each over the version's layout:
 *   - a dict table reader: the key table of a dict (or a type's shared keys
 *     plus one instance's values), scanned entry by entry — we compare keys
 *     as strings instead of hashing them (str hashes are salted per process)
 *     and ints by value, filtered by the hash the entry stores;
 *   - an int reader: PyLongObject digits (ob_size in 3.9-3.11, lv_tag after);
 *   - an attribute reader: where an instance keeps `_name` in each era
 *     (tp_dictoffset; 3.11's values/dict pre-header; 3.12's tagged
 *     dict-or-values word; 3.13's inline values or managed dict).
 *
 * Internal functions return 1 (read/found), 0 (unreadable, garbage or not
 * there: the answer is "unknown") or the memory source's negative errno,
 * which ends the whole call. Every loop runs over a bounded count.
 *
 * Invariants: no globals; all state is the sg_thread_names struct (hints,
 * each verified before use) and the caller's buffers.
 */
#include "collect/thread_names.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/pystring.h"

/* Entries read per batch when scanning a key table (one read, one readv). */
#define SG_TN_CHUNK 64
/* The longest table we scan; sys.modules of a large program is ~10^4. */
#define SG_TN_MAX_ENTRIES (1u << 17)
/* The largest hash table we believe (dk_size / 1 << dk_log2_size). */
#define SG_TN_MAX_LOG2_SIZE 24
/* Keys we look for are short ASCII identifiers ("threading", "_name"). */
#define SG_TN_KEY_MAX 16
/* Bytes kept per key while comparing: a str header plus the key's bytes. */
#define SG_TN_KEY_BUF 96
/* First read of a str value: the header and a short name in one go. */
#define SG_TN_STR_READ 160
/* Largest instance size / dict offset we accept from a type object. */
#define SG_TN_MAX_OBJECT 4096
/* CPython's int hash modulus on 64-bit builds: 2**61 - 1 (_PyHASH_MODULUS). */
#define SG_TN_HASH_MODULUS ((UINT64_C(1) << 61) - 1)
/* 3.12's dict-or-values word holds values when bit 0 is set
 * (_PyDictOrValues_IsValues); the values start one byte further. */
#define SG_TN_TAG_VALUES UINT64_C(1)

/* Where a key was found last time: entry `ix` held the str at `key`. */
typedef struct sg_tn_hint {
    uint64_t key; /* 0: no hint */
    uint64_t ix;
} sg_tn_hint;

struct sg_thread_names {
    sg_target *t;         /* borrowed */
    uint64_t dict_type;   /* type of sys.modules, learned on every call */
    uint64_t long_type;   /* a type seen with Py_TPFLAGS_LONG_SUBCLASS */
    sg_tn_hint threading; /* "threading" in sys.modules */
    sg_tn_hint active;    /* "_active" in threading.__dict__ */
    sg_tn_hint name;      /* "_name" in a Thread's attributes */
};

/* A key table ready to scan: entry i is at entries + i * entry_size; its
 * value is in the entry, or values[i] for split tables. */
typedef struct sg_tn_table {
    uint64_t entries;
    uint64_t nentries;
    uint32_t entry_size;
    int32_t hash_off; /* -1: entries carry no hash (3.11+ str-only tables) */
    uint32_t key_off;
    uint32_t value_off;
    uint64_t values;   /* split table: address of values[0]; else 0 */
    uint64_t capacity; /* split table: slots in values[] (UINT64_MAX: not recorded) */
} sg_tn_table;

/* Instance attributes: a dict, or shared keys plus this object's values. */
typedef struct sg_tn_attrs {
    uint64_t dict;     /* 0 when the values below are used */
    uint64_t keys;     /* the type's ht_cached_keys */
    uint64_t values;   /* address of values[0] */
    uint64_t capacity; /* UINT64_MAX when the version does not record it */
} sg_tn_attrs;

/* ---- reading ----------------------------------------------------------- */

static int sg_tn_read(const sg_thread_names *tn, uint64_t addr, void *buf, size_t len)
{
    int rc = sg_mem_read(tn->t->mem, addr, buf, len);
    if (rc == 0)
        return 1;
    return rc == -EFAULT ? 0 : rc;
}

static int sg_tn_read_ptr(const sg_thread_names *tn, uint64_t addr, uint64_t *out)
{
    *out = 0;
    return sg_tn_read(tn, addr, out, sizeof *out);
}

static uint64_t sg_tn_u64(const uint8_t *buf, int32_t off)
{
    uint64_t v;
    assert(off >= 0);
    memcpy(&v, buf + off, sizeof v);
    return v;
}

static int64_t sg_tn_i64(const uint8_t *buf, int32_t off)
{
    int64_t v;
    assert(off >= 0);
    memcpy(&v, buf + off, sizeof v);
    return v;
}

/* Bytes to read from `base` to cover a pointer-sized field at each offset. */
static size_t sg_tn_cover(const int32_t *offs, size_t n)
{
    size_t end = 0;
    for (size_t i = 0; i < n; i++) {
        assert(offs[i] >= 0);
        if ((size_t)offs[i] + 8 > end)
            end = (size_t)offs[i] + 8;
    }
    return end;
}

/* ---- strings ----------------------------------------------------------- */

/* A str's header that must be exactly `want` (ASCII, wantlen bytes), with
 * buf[0..len) holding the object's first bytes. */
static int sg_tn_str_equal(const sg_thread_names *tn, const uint8_t *buf, size_t len,
                           const char *want, size_t wantlen)
{
    const sg_layout *l = tn->t->layout;
    sg_pystring_loc loc;
    if (tn->t->syms.unicode_type && sg_tn_u64(buf, l->object_type) != tn->t->syms.unicode_type)
        return 0;
    /* A str made only of ASCII characters is always stored compact ASCII, so
     * anything else cannot equal an ASCII key. */
    if (sg_pystring_locate(l, buf, len, &loc) != SG_PYSTRING_OK || !loc.compact || !loc.ascii ||
        loc.length != wantlen || loc.data_offset > len || len - loc.data_offset < wantlen)
        return 0;
    return memcmp(buf + loc.data_offset, want, wantlen) == 0;
}

/* Which of keys[0..n) is the str `want`: 1 with *which set, 0 when none. */
static int sg_tn_keys_match(const sg_thread_names *tn, const uint64_t *keys, size_t n,
                            const char *want, size_t *which)
{
    const sg_layout *l = tn->t->layout;
    size_t wantlen = strlen(want);
    size_t head = (size_t)l->unicode_ascii_size;
    size_t span_len = head + wantlen;
    uint8_t bufs[SG_TN_CHUNK][SG_TN_KEY_BUF];
    sg_mem_span spans[SG_TN_CHUNK];

    assert(n <= SG_TN_CHUNK && wantlen <= SG_TN_KEY_MAX);
    if (span_len > SG_TN_KEY_BUF || head < 24)
        return 0;
    for (size_t i = 0; i < n; i++)
        spans[i] = (sg_mem_span){keys[i], bufs[i], span_len};
    /* One readv for the lot; a batch stops at its first unreadable span
     * (a short str near the end of a mapping), which is retried alone
     * with a header-sized read. Each pass moves i forward. */
    size_t i = 0;
    while (i < n) {
        int got = sg_mem_readv(tn->t->mem, spans + i, n - i);
        if (got < 0 && got != -EFAULT)
            return got;
        size_t whole = got > 0 ? (size_t)got : 0;
        for (size_t k = i; k < i + whole; k++) {
            if (sg_tn_str_equal(tn, bufs[k], span_len, want, wantlen)) {
                *which = k;
                return 1;
            }
        }
        i += whole;
        if (i >= n)
            break;
        int rc = sg_tn_read(tn, keys[i], bufs[i], head);
        if (rc < 0)
            return rc;
        if (rc == 1 && wantlen > 0)
            rc = sg_tn_read(tn, keys[i] + head, bufs[i] + head, wantlen);
        if (rc < 0)
            return rc;
        if (rc == 1 && sg_tn_str_equal(tn, bufs[i], span_len, want, wantlen)) {
            *which = i;
            return 1;
        }
        i++;
    }
    return 0;
}

/* Copies the str at `addr` into out[0..cap) as UTF-8 (cut at a code point
 * when longer). 1 when it is a readable str, else 0 (out = ""). */
static int sg_tn_read_str(const sg_thread_names *tn, uint64_t addr, char *out, size_t cap)
{
    const sg_layout *l = tn->t->layout;
    uint8_t buf[SG_TN_STR_READ];
    uint8_t data[(SG_THREAD_NAME_MAX - 1) * 4];
    size_t len = sizeof buf;
    sg_pystring_loc loc;

    assert(cap > 0 && cap <= SG_THREAD_NAME_MAX);
    out[0] = '\0';
    if ((size_t)l->unicode_compact_size > len || (size_t)l->unicode_data_any + 8 > len)
        return 0;
    /* Most names fit the first read. An object near the end of a mapping
     * is read again with only the smallest header (PyASCIIObject), then,
     * for a non-compact str, up to its data pointer; the characters are
     * read on their own below. */
    int rc = sg_tn_read(tn, addr, buf, len);
    if (rc == 0) {
        len = (size_t)l->unicode_ascii_size;
        rc = sg_tn_read(tn, addr, buf, len);
    }
    if (rc <= 0)
        return rc;
    if (tn->t->syms.unicode_type && sg_tn_u64(buf, l->object_type) != tn->t->syms.unicode_type)
        return 0;
    rc = sg_pystring_locate(l, buf, len, &loc);
    if (rc == SG_PYSTRING_ESHORT && len < sizeof buf) {
        len = (size_t)l->unicode_data_any + 8;
        if ((rc = sg_tn_read(tn, addr, buf, len)) <= 0)
            return rc;
        rc = sg_pystring_locate(l, buf, len, &loc);
    }
    if (rc != SG_PYSTRING_OK)
        return 0;
    /* Every character takes at least one UTF-8 byte, so cap - 1 characters
     * are enough to fill the output. */
    size_t chars = loc.length < cap - 1 ? loc.length : cap - 1;
    size_t bytes = chars * (size_t)loc.kind;
    const uint8_t *src = NULL;
    assert(bytes <= sizeof data);
    if (loc.compact && loc.data_offset <= len && len - loc.data_offset >= bytes) {
        src = buf + loc.data_offset;
    } else {
        uint64_t from = loc.compact ? addr + loc.data_offset : loc.data_addr;
        if (bytes > 0 && (rc = sg_tn_read(tn, from, data, bytes)) <= 0)
            return rc;
        src = data;
    }
    rc = sg_pystring_transcode(loc.kind, src, bytes, chars, out, cap, NULL);
    if (rc != SG_PYSTRING_OK && rc != SG_PYSTRING_TRUNCATED) {
        out[0] = '\0';
        return 0;
    }
    return 1;
}

/* ---- ints -------------------------------------------------------------- */

/* The hash a dict entry stores for the non-negative int v. */
static uint64_t sg_tn_int_hash(uint64_t v)
{
    return v % SG_TN_HASH_MODULUS;
}

/* Whether `type` is int or a subclass (same layout), remembering int. */
static int sg_tn_is_long_type(sg_thread_names *tn, uint64_t type)
{
    const sg_layout *l = tn->t->layout;
    uint64_t flags = 0;
    if (type != 0 && type == tn->long_type)
        return 1;
    int rc = sg_tn_read(tn, type + (uint64_t)l->type_flags, &flags, sizeof flags);
    if (rc <= 0)
        return rc;
    if (!(flags & (uint64_t)(uint32_t)l->tpflag_long_subclass))
        return 0;
    tn->long_type = type;
    return 1;
}

/* 1 when the int object at `addr` has the value `want`. */
static int sg_tn_int_equals(sg_thread_names *tn, uint64_t addr, uint64_t want)
{
    const sg_layout *l = tn->t->layout;
    uint8_t head[64];
    uint8_t digits[16];
    size_t head_len = (size_t)l->long_digits;
    uint64_t ndigits;
    int negative;

    if (head_len > sizeof head || head_len < 24)
        return 0;
    int rc = sg_tn_read(tn, addr, head, head_len);
    if (rc <= 0)
        return rc;
    if ((rc = sg_tn_is_long_type(tn, sg_tn_u64(head, l->object_type))) <= 0)
        return rc;
    if (l->long_era == SG_LONG_LV_TAG) {
        uint64_t tag = sg_tn_u64(head, l->long_lv_tag);
        ndigits = tag >> l->long_non_size_bits;
        negative = (tag & (uint64_t)l->long_sign_mask) != 0 && ndigits != 0;
    } else {
        assert(l->long_era == SG_LONG_OB_SIZE);
        int64_t size = sg_tn_i64(head, l->varobject_size);
        negative = size < 0;
        ndigits = negative ? (uint64_t)0 - (uint64_t)size : (uint64_t)size;
    }
    unsigned shift = (unsigned)l->long_shift;
    size_t dsize = (size_t)l->long_digit_size;
    if (negative || shift == 0 || shift > 32 || (dsize != 2 && dsize != 4))
        return 0;
    if (ndigits == 0)
        return want == 0;
    if (ndigits > (64 + shift - 1) / shift || ndigits * dsize > sizeof digits)
        return 0; /* more digits than 64 bits need: a normalized int this long is bigger */
    if ((rc = sg_tn_read(tn, addr + head_len, digits, ndigits * dsize)) <= 0)
        return rc;
    uint64_t value = 0;
    for (uint64_t i = 0; i < ndigits; i++) {
        uint32_t d = 0;
        if (dsize == 4) {
            memcpy(&d, digits + i * 4, 4);
        } else {
            uint16_t d16;
            memcpy(&d16, digits + i * 2, 2);
            d = d16;
        }
        unsigned at = (unsigned)i * shift;
        if (d >> shift)
            return 0; /* not a digit: torn or not an int */
        if (d != 0 && (at >= 64 || (at > 64 - shift && (d >> (64 - at)) != 0)))
            return 0; /* does not fit in 64 bits */
        if (at < 64)
            value |= (uint64_t)d << at;
    }
    return value == want;
}

/* ---- dict tables ------------------------------------------------------- */

/* Opens the key table at `keys`; `values`/`capacity` describe a split
 * table's values (values == 0 for a combined one). */
static int sg_tn_table_open(const sg_thread_names *tn, uint64_t keys, uint64_t values,
                            uint64_t capacity, sg_tn_table *tab)
{
    const sg_layout *l = tn->t->layout;
    uint8_t head[64];
    size_t head_len = (size_t)l->dictkeys_indices;
    uint64_t size, index_bytes;
    int general;

    memset(tab, 0, sizeof *tab);
    if (head_len > sizeof head || head_len < 16)
        return 0;
    int rc = sg_tn_read(tn, keys, head, head_len);
    if (rc <= 0)
        return rc;
    if (l->dict_era == SG_DICT_SIZED) {
        /* dk_size entries in the hash table, indices as wide as dk_size needs. */
        int64_t dk_size = sg_tn_i64(head, l->dictkeys_size);
        if (dk_size < 8 || dk_size > (INT64_C(1) << SG_TN_MAX_LOG2_SIZE) ||
            (dk_size & (dk_size - 1)) != 0)
            return 0;
        size = (uint64_t)dk_size;
        index_bytes = size * (size <= 0xff ? 1u : size <= 0xffff ? 2u : 4u);
        general = 1;
    } else {
        assert(l->dict_era == SG_DICT_KINDS);
        unsigned log2_size = head[l->dictkeys_log2_size];
        unsigned log2_index = head[l->dictkeys_log2_index_bytes];
        unsigned kind = head[l->dictkeys_kind];
        if (log2_size < 3 || log2_size > SG_TN_MAX_LOG2_SIZE || log2_index < log2_size ||
            log2_index > log2_size + 3 || kind > 2)
            return 0;
        size = UINT64_C(1) << log2_size;
        index_bytes = UINT64_C(1) << log2_index;
        general = kind == (unsigned)l->dictkeys_kind_general;
    }
    int64_t nentries = sg_tn_i64(head, l->dictkeys_nentries);
    if (nentries < 0 || (uint64_t)nentries > size)
        return 0;
    tab->nentries = (uint64_t)nentries < SG_TN_MAX_ENTRIES ? (uint64_t)nentries : SG_TN_MAX_ENTRIES;
    tab->entries = keys + (uint64_t)l->dictkeys_indices + index_bytes;
    if (general) {
        tab->entry_size = (uint32_t)l->dictentry_size;
        tab->hash_off = l->dictentry_hash;
        tab->key_off = (uint32_t)l->dictentry_key;
        tab->value_off = (uint32_t)l->dictentry_value;
    } else {
        tab->entry_size = (uint32_t)l->dictuentry_size;
        tab->hash_off = -1;
        tab->key_off = (uint32_t)l->dictuentry_key;
        tab->value_off = (uint32_t)l->dictuentry_value;
    }
    if (tab->entry_size < 16 || tab->entry_size > 32)
        return 0;
    tab->values = values;
    tab->capacity = capacity;
    return 1;
}

/* Slots in a split table's values, where the version records it (3.13's
 * PyDictValues.capacity; the same era as inline values). */
static int sg_tn_values_capacity(const sg_thread_names *tn, uint64_t values_obj, uint64_t *cap)
{
    const sg_layout *l = tn->t->layout;
    uint8_t c = 0;
    *cap = UINT64_MAX;
    if (l->instance_dict_era != SG_IDICT_INLINE)
        return 1;
    int rc = sg_tn_read(tn, values_obj + (uint64_t)l->dictvalues_capacity, &c, 1);
    if (rc <= 0)
        return rc;
    *cap = c;
    return 1;
}

/* Opens the dict at `addr`. With `learn`, its type becomes the dict type
 * that later dicts must have (sys.modules is always an exact dict). */
static int sg_tn_dict_open(sg_thread_names *tn, uint64_t addr, int learn, sg_tn_table *tab)
{
    const sg_layout *l = tn->t->layout;
    int32_t offs[] = {l->object_type, l->dict_used, l->dict_keys, l->dict_values};
    uint8_t head[64];
    size_t len = sg_tn_cover(offs, sizeof offs / sizeof offs[0]);

    memset(tab, 0, sizeof *tab);
    if (addr == 0 || len > sizeof head)
        return 0;
    int rc = sg_tn_read(tn, addr, head, len);
    if (rc <= 0)
        return rc;
    uint64_t type = sg_tn_u64(head, l->object_type);
    if (learn)
        tn->dict_type = type;
    else if (type == 0 || type != tn->dict_type)
        return 0;
    if (sg_tn_i64(head, l->dict_used) < 0)
        return 0;
    uint64_t keys = sg_tn_u64(head, l->dict_keys);
    uint64_t values = sg_tn_u64(head, l->dict_values);
    uint64_t capacity = UINT64_MAX;
    if (values != 0 && (rc = sg_tn_values_capacity(tn, values, &capacity)) <= 0)
        return rc;
    return sg_tn_table_open(tn, keys, values ? values + (uint64_t)l->dictvalues_values : 0,
                            capacity, tab);
}

/* The value of entry `ix` (its bytes in `entry`): 1 when non-NULL. */
static int sg_tn_entry_value(const sg_thread_names *tn, const sg_tn_table *tab, uint64_t ix,
                             const uint8_t *entry, uint64_t *value)
{
    *value = 0;
    if (tab->values == 0) {
        memcpy(value, entry + tab->value_off, sizeof *value);
        return *value != 0;
    }
    if (ix >= tab->capacity)
        return 0;
    int rc = sg_tn_read_ptr(tn, tab->values + ix * 8, value);
    if (rc <= 0)
        return rc;
    return *value != 0;
}

/* Reads entries [first, first + count) into buf. */
static int sg_tn_read_entries(const sg_thread_names *tn, const sg_tn_table *tab, uint64_t first,
                              size_t count, uint8_t *buf)
{
    assert(count <= SG_TN_CHUNK);
    return sg_tn_read(tn, tab->entries + first * tab->entry_size, buf, count * tab->entry_size);
}

/* Finds the str key `want`; 1 with *value set when found. The hint is
 * tried first and updated on success. */
static int sg_tn_find_str(sg_thread_names *tn, const sg_tn_table *tab, const char *want,
                          sg_tn_hint *hint, uint64_t *value)
{
    uint8_t buf[SG_TN_CHUNK * 32];
    int rc;

    *value = 0;
    if (hint->key != 0 && hint->ix < tab->nentries) {
        if ((rc = sg_tn_read_entries(tn, tab, hint->ix, 1, buf)) < 0)
            return rc;
        if (rc == 1 && sg_tn_u64(buf, (int32_t)tab->key_off) == hint->key)
            return sg_tn_entry_value(tn, tab, hint->ix, buf, value);
    }
    for (uint64_t base = 0; base < tab->nentries; base += SG_TN_CHUNK) {
        size_t count =
            tab->nentries - base < SG_TN_CHUNK ? (size_t)(tab->nentries - base) : SG_TN_CHUNK;
        uint64_t keys[SG_TN_CHUNK];
        size_t slot[SG_TN_CHUNK], nkeys = 0, which = 0;
        int found = 0;
        if ((rc = sg_tn_read_entries(tn, tab, base, count, buf)) <= 0)
            return rc;
        /* The same interned str usually keys every dict we look at, so a
         * pointer match saves reading the keys. */
        for (size_t j = 0; j < count; j++) {
            uint64_t key = sg_tn_u64(buf + j * tab->entry_size, (int32_t)tab->key_off);
            if (key == 0)
                continue; /* a deleted entry */
            if (key == hint->key) {
                which = j;
                found = 1;
                break;
            }
            keys[nkeys] = key;
            slot[nkeys++] = j;
        }
        if (!found) {
            size_t k = 0;
            if ((rc = sg_tn_keys_match(tn, keys, nkeys, want, &k)) < 0)
                return rc;
            found = rc == 1;
            which = found ? slot[k] : 0;
        }
        if (found) {
            const uint8_t *entry = buf + which * tab->entry_size;
            hint->key = sg_tn_u64(entry, (int32_t)tab->key_off);
            hint->ix = base + which;
            return sg_tn_entry_value(tn, tab, base + which, entry, value);
        }
    }
    return 0;
}

/* ---- the path to threading._active ------------------------------------- */

static int sg_tn_find_active(sg_thread_names *tn, sg_tn_table *active)
{
    const sg_layout *l = tn->t->layout;
    sg_tn_table tab;
    uint64_t modules, module, module_dict, active_dict;
    int rc;

    if ((rc = sg_tn_read_ptr(tn, tn->t->interp + (uint64_t)l->interp_modules, &modules)) <= 0 ||
        (rc = sg_tn_dict_open(tn, modules, 1, &tab)) <= 0 ||
        (rc = sg_tn_find_str(tn, &tab, "threading", &tn->threading, &module)) <= 0)
        return rc;
    if ((rc = sg_tn_read_ptr(tn, module + (uint64_t)l->module_dict, &module_dict)) <= 0 ||
        (rc = sg_tn_dict_open(tn, module_dict, 0, &tab)) <= 0 ||
        (rc = sg_tn_find_str(tn, &tab, "_active", &tn->active, &active_dict)) <= 0)
        return rc;
    return sg_tn_dict_open(tn, active_dict, 0, active);
}

/* Finds the Thread of each ids[i] in _active: objs[i] (0 when absent). */
static int sg_tn_scan_active(sg_thread_names *tn, const sg_tn_table *tab, const uint64_t *ids,
                             size_t n, uint64_t *objs)
{
    uint8_t buf[SG_TN_CHUNK * 32];
    uint64_t hashes[SG_TN_CHUNK];
    size_t missing = n;
    int rc;

    assert(n <= SG_TN_CHUNK);
    if (tab->hash_off < 0)
        return 0; /* a str-only table: not the {int: Thread} we want */
    for (size_t i = 0; i < n; i++) {
        hashes[i] = sg_tn_int_hash(ids[i]);
        objs[i] = 0;
    }
    for (uint64_t base = 0; base < tab->nentries && missing > 0; base += SG_TN_CHUNK) {
        size_t count =
            tab->nentries - base < SG_TN_CHUNK ? (size_t)(tab->nentries - base) : SG_TN_CHUNK;
        if ((rc = sg_tn_read_entries(tn, tab, base, count, buf)) <= 0)
            return rc;
        for (size_t j = 0; j < count && missing > 0; j++) {
            const uint8_t *entry = buf + j * tab->entry_size;
            uint64_t key = sg_tn_u64(entry, (int32_t)tab->key_off);
            uint64_t hash = sg_tn_u64(entry, tab->hash_off);
            if (key == 0)
                continue;
            for (size_t i = 0; i < n; i++) {
                if (objs[i] != 0 || hash != hashes[i])
                    continue;
                if ((rc = sg_tn_int_equals(tn, key, ids[i])) < 0)
                    return rc;
                if (rc == 0)
                    continue;
                if ((rc = sg_tn_entry_value(tn, tab, base + j, entry, &objs[i])) < 0)
                    return rc;
                if (objs[i] != 0)
                    missing--;
            }
        }
    }
    return 1;
}

/* ---- a Thread's `_name` ------------------------------------------------ */

/* The type fields that say where an instance keeps its attributes. */
typedef struct sg_tn_type {
    int64_t basicsize;
    uint64_t flags;
    int64_t dictoffset;
    uint64_t cached_keys;
} sg_tn_type;

static int sg_tn_read_type(const sg_thread_names *tn, uint64_t type, sg_tn_type *out)
{
    const sg_layout *l = tn->t->layout;
    sg_mem_span spans[] = {
        {type + (uint64_t)l->type_basicsize, &out->basicsize, sizeof out->basicsize},
        {type + (uint64_t)l->type_flags, &out->flags, sizeof out->flags},
        {type + (uint64_t)l->type_dictoffset, &out->dictoffset, sizeof out->dictoffset},
        {type + (uint64_t)l->heaptype_cached_keys, &out->cached_keys, sizeof out->cached_keys},
    };
    memset(out, 0, sizeof *out);
    int rc = sg_mem_read_all(tn->t->mem, spans, sizeof spans / sizeof spans[0]);
    if (rc == 0)
        return 1;
    return rc == -EFAULT ? 0 : rc;
}

static int sg_tn_has_flag(uint64_t flags, int32_t flag)
{
    return flag != SG_LAYOUT_ABSENT && (flags & (uint64_t)(uint32_t)flag) != 0;
}

/* A dict at obj + tp_dictoffset (only a positive offset: a negative one
 * counts from the end of a variable-size object, which a Thread is not). */
static int sg_tn_attrs_dictoffset(const sg_thread_names *tn, uint64_t obj, const sg_tn_type *ty,
                                  sg_tn_attrs *a)
{
    if (ty->dictoffset <= 0 || ty->dictoffset > SG_TN_MAX_OBJECT)
        return 0;
    return sg_tn_read_ptr(tn, obj + (uint64_t)ty->dictoffset, &a->dict);
}

/* Where the object at `obj` keeps its attributes, per era. */
static int sg_tn_attrs_locate(const sg_thread_names *tn, uint64_t obj, const sg_tn_type *ty,
                              sg_tn_attrs *a)
{
    const sg_layout *l = tn->t->layout;
    uint64_t word = 0;
    int rc;

    memset(a, 0, sizeof *a);
    a->keys = ty->cached_keys;
    a->capacity = UINT64_MAX;
    switch (l->instance_dict_era) {
    case SG_IDICT_DICTOFFSET:
        return sg_tn_attrs_dictoffset(tn, obj, ty, a);
    case SG_IDICT_VALUES_PTR:
        /* 3.11: a values pointer (attributes not yet in a dict) else the dict
         * pointer, both before the object. */
        if (!sg_tn_has_flag(ty->flags, l->tpflag_managed_dict))
            return sg_tn_attrs_dictoffset(tn, obj, ty, a);
        if ((rc = sg_tn_read_ptr(tn, obj + (uint64_t)(int64_t)l->object_managed_values, &word)) <=
            0)
            return rc;
        if (word != 0) {
            a->values = word + (uint64_t)l->dictvalues_values;
            return 1;
        }
        return sg_tn_read_ptr(tn, obj + (uint64_t)(int64_t)l->object_managed_dict, &a->dict);
    case SG_IDICT_TAGGED:
        if (!sg_tn_has_flag(ty->flags, l->tpflag_managed_dict))
            return sg_tn_attrs_dictoffset(tn, obj, ty, a);
        if ((rc = sg_tn_read_ptr(tn, obj + (uint64_t)(int64_t)l->object_managed_dict, &word)) <= 0)
            return rc;
        if (word & SG_TN_TAG_VALUES) {
            a->values = word + SG_TN_TAG_VALUES + (uint64_t)l->dictvalues_values;
            return 1;
        }
        a->dict = word;
        return 1;
    case SG_IDICT_INLINE:
        /* 3.13: valid inline values right after the object win; otherwise
         * the managed dict before it (as _PyObject_GenericGetAttrWithDict). */
        if (sg_tn_has_flag(ty->flags, l->tpflag_inline_values)) {
            uint8_t head[8];
            uint64_t values = obj + (uint64_t)ty->basicsize;
            if (ty->basicsize <= 0 || ty->basicsize > SG_TN_MAX_OBJECT)
                return 0;
            if ((rc = sg_tn_read(tn, values, head, sizeof head)) <= 0)
                return rc;
            if (head[l->dictvalues_valid]) {
                a->values = values + (uint64_t)l->dictvalues_values;
                a->capacity = head[l->dictvalues_capacity];
                return 1;
            }
        }
        if (!sg_tn_has_flag(ty->flags, l->tpflag_managed_dict))
            return sg_tn_attrs_dictoffset(tn, obj, ty, a);
        return sg_tn_read_ptr(tn, obj + (uint64_t)(int64_t)l->object_managed_dict, &a->dict);
    default:
        return 0;
    }
}

static int sg_tn_thread_name(sg_thread_names *tn, uint64_t obj, char *out)
{
    const sg_layout *l = tn->t->layout;
    sg_tn_type ty;
    sg_tn_attrs a;
    sg_tn_table tab;
    uint64_t type, name;
    int rc;

    if ((rc = sg_tn_read_ptr(tn, obj + (uint64_t)l->object_type, &type)) <= 0 ||
        (rc = sg_tn_read_type(tn, type, &ty)) <= 0 ||
        (rc = sg_tn_attrs_locate(tn, obj, &ty, &a)) <= 0)
        return rc;
    if (a.dict != 0)
        rc = sg_tn_dict_open(tn, a.dict, 0, &tab);
    else if (a.values != 0)
        rc = sg_tn_table_open(tn, a.keys, a.values, a.capacity, &tab);
    else
        rc = 0;
    if (rc <= 0 || (rc = sg_tn_find_str(tn, &tab, "_name", &tn->name, &name)) <= 0)
        return rc;
    return sg_tn_read_str(tn, name, out, SG_THREAD_NAME_MAX);
}

/* ---- API --------------------------------------------------------------- */

sg_thread_names *sg_thread_names_new(sg_target *t)
{
    sg_thread_names *tn = calloc(1, sizeof *tn);
    if (tn)
        tn->t = t;
    return tn;
}

void sg_thread_names_free(sg_thread_names *tn)
{
    free(tn);
}

int sg_thread_names_read(sg_thread_names *tn, const uint64_t *thread_ids, size_t n,
                         char (*names)[SG_THREAD_NAME_MAX])
{
    sg_tn_table active;
    uint64_t objs[SG_TN_CHUNK];
    int rc;

    if (n == 0)
        return 0;
    if (!tn || !thread_ids || !names || !tn->t || !tn->t->mem || !tn->t->layout)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        names[i][0] = '\0';
    if (tn->t->interp == 0)
        return -EAGAIN;
    if ((rc = sg_tn_find_active(tn, &active)) <= 0)
        return rc;
    /* _active is scanned once per batch of ids, each batch in one pass. */
    for (size_t first = 0; first < n; first += SG_TN_CHUNK) {
        size_t count = n - first < SG_TN_CHUNK ? n - first : SG_TN_CHUNK;
        if ((rc = sg_tn_scan_active(tn, &active, thread_ids + first, count, objs)) < 0)
            return rc;
        for (size_t i = 0; i < count; i++) {
            if (objs[i] == 0)
                continue;
            if ((rc = sg_tn_thread_name(tn, objs[i], names[first + i])) < 0)
                return rc;
            if (rc == 0)
                names[first + i][0] = '\0';
        }
    }
    return 0;
}
