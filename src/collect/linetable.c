/*
 * linetable.c — decoders for CPython's line tables, one per format, each a
 * single forward pass that mirrors PyCode_Addr2Line of its version.
 *
 * 3.9 co_lnotab (Objects/lnotab_notes.txt): pairs (unsigned byte delta,
 *   signed line delta). Walk the pairs adding the byte delta to an address;
 *   stop at the first pair whose address exceeds the offset; the line is the
 *   sum of the line deltas before it. So every offset has a line, even past
 *   the end of the code (the last line), and a trailing odd byte is ignored.
 *
 * 3.10 co_linetable: pairs (unsigned byte delta, signed line delta) that
 *   describe consecutive ranges [start, start + delta) in bytes; a line delta
 *   of -128 means "this range has no line" and leaves the running line
 *   alone. Empty ranges only carry line deltas (splits of jumps > 127). An
 *   offset past the last range has no line.
 *
 * 3.11+ location table (InternalDocs/locations.md): entries that begin with
 *   a byte 1CCCCLLL (code C, length L+1 in code units) followed by bytes with
 *   bit 7 clear. Codes 0-9: short form, same line, one column byte. 10-12:
 *   one-line form, line += code - 10, two column bytes. 13: no columns, line
 *   += svarint. 14: long form, line += svarint, then end-line, column and
 *   end-column varints. 15: no location, line unchanged, no line for the
 *   range. Varints are 6-bit chunks, least significant first, 0x40 meaning
 *   "more"; a signed varint keeps the sign in bit 0.
 *
 * Where CPython is lenient with tables it wrote itself, we are strict with
 * tables that may be torn: in the 3.11+ format, an entry must start with bit
 * 7 set, its operand bytes must have it clear and must all be present, and a
 * varint may have at most six chunks (32 bits, all CPython ever writes).
 * Anything else makes the answer -1 rather than a made-up line.
 */
#include "collect/linetable.h"

#include <assert.h>

#define SG_LT_ENTRY_BIT        0x80u
#define SG_LT_VARINT_MORE      0x40u
#define SG_LT_VARINT_BITS      0x3fu
#define SG_LT_VARINT_MAX_SHIFT 30u
#define SG_LT_NO_LINE_310      (-128)

enum sg_lt_code {
    SG_LT_CODE_ONE_LINE0 = 10,
    SG_LT_CODE_ONE_LINE2 = 12,
    SG_LT_CODE_NO_COLUMNS = 13,
    SG_LT_CODE_LONG = 14,
    SG_LT_CODE_NONE = 15
};

/* A running line outside int32 can only come from a corrupt table. */
static int sg_lt_line_in_range(int64_t line)
{
    return line >= INT32_MIN && line <= INT32_MAX;
}

/* The value to hand back for a decoded line: lines are never negative. */
static int sg_lt_result(int64_t line)
{
    return line >= 0 && line <= INT32_MAX ? (int)line : SG_LINETABLE_NO_LINE;
}

static int sg_lt_lnotab(const uint8_t *table, size_t len, int first_line, int32_t offset)
{
    int64_t line = first_line;
    int64_t addr = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        addr += table[i];
        if (addr > offset)
            break;
        line += (int8_t)table[i + 1];
        if (!sg_lt_line_in_range(line))
            return SG_LINETABLE_NO_LINE;
    }
    return sg_lt_result(line);
}

static int sg_lt_linetable(const uint8_t *table, size_t len, int first_line, int32_t offset)
{
    if (offset < 0)
        return sg_lt_result(first_line);
    int64_t line = first_line;
    int64_t end = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        end += table[i];
        int delta = (int8_t)table[i + 1];
        if (delta != SG_LT_NO_LINE_310)
            line += delta;
        if (!sg_lt_line_in_range(line))
            return SG_LINETABLE_NO_LINE;
        /* Ranges are consecutive and start at 0, so the first range whose end
         * passes the offset holds it; empty ranges can never hold it. */
        if (offset < end)
            return delta == SG_LT_NO_LINE_310 ? SG_LINETABLE_NO_LINE : sg_lt_result(line);
    }
    return SG_LINETABLE_NO_LINE;
}

/* Reads one unsigned varint at table[*pos..len). Returns 0, or -1 when it is
 * truncated, overlong, or runs into the next entry. */
static int sg_lt_varint(const uint8_t *table, size_t len, size_t *pos, uint64_t *value)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift <= SG_LT_VARINT_MAX_SHIFT; shift += 6) {
        if (*pos >= len)
            return -1;
        uint8_t b = table[(*pos)++];
        if (b & SG_LT_ENTRY_BIT)
            return -1;
        v |= (uint64_t)(b & SG_LT_VARINT_BITS) << shift;
        if (!(b & SG_LT_VARINT_MORE)) {
            *value = v;
            return 0;
        }
    }
    return -1;
}

static int sg_lt_svarint(const uint8_t *table, size_t len, size_t *pos, int64_t *value)
{
    uint64_t u;
    if (sg_lt_varint(table, len, pos, &u) != 0)
        return -1;
    /* u < 2^36, so both casts are exact. */
    *value = (u & 1) ? -(int64_t)(u >> 1) : (int64_t)(u >> 1);
    return 0;
}

/* Skips `n` plain operand bytes (bit 7 clear). */
static int sg_lt_skip_bytes(const uint8_t *table, size_t len, size_t *pos, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (*pos >= len || (table[*pos] & SG_LT_ENTRY_BIT))
            return -1;
        (*pos)++;
    }
    return 0;
}

/* Parses the operands of the entry whose first byte is table[*pos - 1] with
 * code `code`; sets *delta to its line delta. Returns 0 or -1 (malformed). */
static int sg_lt_entry_operands(const uint8_t *table, size_t len, size_t *pos, unsigned code,
                                int64_t *delta)
{
    uint64_t ignored;
    *delta = 0;
    switch (code) {
    case SG_LT_CODE_NONE:
        return 0;
    case SG_LT_CODE_LONG:
        if (sg_lt_svarint(table, len, pos, delta) != 0)
            return -1;
        for (int k = 0; k < 3; k++) { /* end line, column, end column */
            if (sg_lt_varint(table, len, pos, &ignored) != 0)
                return -1;
        }
        return 0;
    case SG_LT_CODE_NO_COLUMNS:
        return sg_lt_svarint(table, len, pos, delta);
    default:
        if (code >= SG_LT_CODE_ONE_LINE0 && code <= SG_LT_CODE_ONE_LINE2) {
            *delta = (int64_t)code - SG_LT_CODE_ONE_LINE0;
            return sg_lt_skip_bytes(table, len, pos, 2);
        }
        return sg_lt_skip_bytes(table, len, pos, 1); /* short forms 0-9 */
    }
}

static int sg_lt_locations(const uint8_t *table, size_t len, int first_line, int32_t offset)
{
    if (offset < 0)
        return sg_lt_result(first_line);
    int64_t line = first_line;
    int64_t end = 0; /* in code units */
    size_t pos = 0;
    while (pos < len) {
        uint8_t head = table[pos++];
        if (!(head & SG_LT_ENTRY_BIT))
            return SG_LINETABLE_NO_LINE;
        unsigned code = (head >> 3) & 15u;
        int64_t delta;
        if (sg_lt_entry_operands(table, len, &pos, code, &delta) != 0)
            return SG_LINETABLE_NO_LINE;
        if (pos < len && !(table[pos] & SG_LT_ENTRY_BIT))
            return SG_LINETABLE_NO_LINE; /* stray operand bytes */
        line += delta;
        if (!sg_lt_line_in_range(line))
            return SG_LINETABLE_NO_LINE;
        end += (int64_t)(head & 7u) + 1;
        if (offset < end)
            return code == SG_LT_CODE_NONE ? SG_LINETABLE_NO_LINE : sg_lt_result(line);
    }
    return SG_LINETABLE_NO_LINE;
}

int sg_linetable_line(int format, const uint8_t *table, size_t len, int first_line, int32_t offset)
{
    assert(table != NULL || len == 0);
    if (table == NULL)
        len = 0;
    switch (format) {
    case SG_LINES_LNOTAB:
        return sg_lt_lnotab(table, len, first_line, offset);
    case SG_LINES_LINETABLE:
        return sg_lt_linetable(table, len, first_line, offset);
    case SG_LINES_LOCATIONS:
        return sg_lt_locations(table, len, first_line, offset);
    default:
        return SG_LINETABLE_NO_LINE;
    }
}
