/*
 * pystring.c — PEP 393 header parsing and Latin-1/UCS-2/UCS-4 → UTF-8.
 *
 * A str's header (PyASCIIObject) holds `length` (Py_ssize_t) and a 32-bit
 * `state` bitfield word with `kind` (1, 2, 4; 0 for a not-ready legacy
 * string before 3.12), `compact` and `ascii`. The layout gives their offsets
 * and bit positions (unicode_*_bit are bit indices in the state word). Where
 * the characters are:
 *   compact && ascii   right after PyASCIIObject        (unicode_ascii_size)
 *   compact && !ascii  right after PyCompactUnicodeObject (unicode_compact_size)
 *   !compact           at the pointer PyUnicodeObject.data.any
 *
 * Invariants: see pystring.h. Reads of the object stay inside obj_len; no
 * size computation can overflow because lengths are bounded first.
 */
#include "collect/pystring.h"

#include <assert.h>
#include <string.h>

#define SG_PS_REPLACEMENT 0xFFFDu
#define SG_PS_MAX_CODE    0x10FFFFu

/* Reads `size` bytes at obj[off] into *dst if they lie inside obj_len. */
static int sg_ps_field(const uint8_t *obj, size_t obj_len, int32_t off, void *dst, size_t size)
{
    if (off < 0 || (size_t)off > obj_len || obj_len - (size_t)off < size)
        return -1;
    memcpy(dst, obj + off, size);
    return 0;
}

static int sg_ps_bit(uint32_t word, int32_t bit)
{
    assert(bit >= 0 && bit < 32);
    if (bit < 0 || bit >= 32)
        return 0;
    return (int)((word >> bit) & 1u);
}

int sg_pystring_locate(const sg_layout *layout, const uint8_t *obj, size_t obj_len,
                       sg_pystring_loc *loc)
{
    int64_t length;
    uint32_t state;
    memset(loc, 0, sizeof *loc);
    if (sg_ps_field(obj, obj_len, layout->unicode_length, &length, sizeof length) != 0 ||
        sg_ps_field(obj, obj_len, layout->unicode_state, &state, sizeof state) != 0)
        return SG_PYSTRING_ESHORT;
    if (length < 0 || (uint64_t)length > SG_PYSTRING_MAX_CHARS)
        return SG_PYSTRING_ELENGTH;

    int shift = layout->unicode_kind_shift;
    assert(shift >= 0 && shift < 32);
    int kind = (shift >= 0 && shift < 32)
                   ? (int)((state >> shift) & (uint32_t)layout->unicode_kind_mask)
                   : 0;
    int ascii = sg_ps_bit(state, layout->unicode_ascii_bit);
    if ((kind != 1 && kind != 2 && kind != 4) || (ascii && kind != 1))
        return SG_PYSTRING_EKIND;

    loc->kind = kind;
    loc->ascii = ascii;
    loc->compact = sg_ps_bit(state, layout->unicode_compact_bit);
    loc->length = (size_t)length;
    loc->data_size = (size_t)length * (size_t)kind;
    if (loc->compact) {
        int32_t off = ascii ? layout->unicode_ascii_size : layout->unicode_compact_size;
        assert(off > 0);
        loc->data_offset = (size_t)off;
        return SG_PYSTRING_OK;
    }
    /* Non-compact: the header is a whole PyUnicodeObject with data.any. */
    uint64_t addr = 0;
    _Static_assert(sizeof(void *) <= sizeof addr, "target pointers fit in 64 bits");
    if (sg_ps_field(obj, obj_len, layout->unicode_data_any, &addr, sizeof(void *)) != 0)
        return SG_PYSTRING_ESHORT;
    loc->data_addr = addr;
    return SG_PYSTRING_OK;
}

static uint32_t sg_ps_char(int kind, const uint8_t *data, size_t i)
{
    if (kind == 1)
        return data[i];
    if (kind == 2) {
        uint16_t c;
        memcpy(&c, data + 2 * i, sizeof c);
        return c;
    }
    uint32_t c;
    memcpy(&c, data + 4 * i, sizeof c);
    return c;
}

/* Encodes code point c (already valid) into buf; returns its byte count. */
static size_t sg_ps_utf8(uint32_t c, uint8_t buf[4])
{
    if (c < 0x80) {
        buf[0] = (uint8_t)c;
        return 1;
    }
    if (c < 0x800) {
        buf[0] = (uint8_t)(0xC0 | (c >> 6));
        buf[1] = (uint8_t)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        buf[0] = (uint8_t)(0xE0 | (c >> 12));
        buf[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        buf[2] = (uint8_t)(0x80 | (c & 0x3F));
        return 3;
    }
    buf[0] = (uint8_t)(0xF0 | (c >> 18));
    buf[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
    buf[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
    buf[3] = (uint8_t)(0x80 | (c & 0x3F));
    return 4;
}

int sg_pystring_transcode(int kind, const uint8_t *data, size_t data_len, size_t length, char *out,
                          size_t cap, size_t *out_len)
{
    size_t n = 0;
    int status = SG_PYSTRING_OK;
    if (out_len)
        *out_len = 0;
    if (cap > 0)
        out[0] = '\0';
    if (kind != 1 && kind != 2 && kind != 4)
        return SG_PYSTRING_EKIND;
    if (length > SG_PYSTRING_MAX_CHARS)
        return SG_PYSTRING_ELENGTH;
    if (data_len / (size_t)kind < length)
        return SG_PYSTRING_ESHORT;
    if (cap == 0)
        return length == 0 ? SG_PYSTRING_OK : SG_PYSTRING_TRUNCATED;

    size_t room = cap - 1; /* keep one byte for the NUL */
    for (size_t i = 0; i < length; i++) {
        uint32_t c = sg_ps_char(kind, data, i);
        if ((c >= 0xD800 && c <= 0xDFFF) || c > SG_PS_MAX_CODE)
            c = SG_PS_REPLACEMENT;
        uint8_t buf[4];
        size_t k = sg_ps_utf8(c, buf);
        if (k > room - n) {
            status = SG_PYSTRING_TRUNCATED;
            break;
        }
        memcpy(out + n, buf, k);
        n += k;
    }
    out[n] = '\0';
    if (out_len)
        *out_len = n;
    return status;
}

int sg_pystring_to_utf8(const sg_layout *layout, const uint8_t *obj, size_t obj_len, char *out,
                        size_t cap, size_t *out_len, sg_pystring_loc *loc)
{
    sg_pystring_loc local;
    if (loc == NULL)
        loc = &local;
    if (out_len)
        *out_len = 0;
    if (cap > 0)
        out[0] = '\0';
    int rc = sg_pystring_locate(layout, obj, obj_len, loc);
    if (rc != SG_PYSTRING_OK)
        return rc;
    if (!loc->compact)
        return SG_PYSTRING_ENOTCOMPACT;
    if (loc->data_offset > obj_len || obj_len - loc->data_offset < loc->data_size)
        return SG_PYSTRING_ESHORT;
    return sg_pystring_transcode(loc->kind, obj + loc->data_offset, loc->data_size, loc->length,
                                 out, cap, out_len);
}
