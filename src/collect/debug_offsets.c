/*
 * debug_offsets.c — the byte layout of CPython's _Py_DebugOffsets per minor
 * version, and the cross-check of a target's copy against an sg_layout.
 *
 * A version's struct is described as data: its size and a list of checks,
 * each pairing a uint64_t at a byte offset in the struct with an int32_t
 * field of sg_layout. The offsets are facts from that version's
 * pycore_runtime.h (3.13: every member after the 8-byte cookie is a
 * uint64_t, in declaration order). Supporting another minor means adding a
 * field list and a row in sg_debug_formats[].
 *
 * Invariants:
 *   - Every read from the buffer is bounds-checked against the format's
 *     size, which is checked against `len` before any field is read.
 *   - The head (cookie at 0, version at 8, free_threaded at 16) is the same
 *     in every version and is read before the version's format is chosen.
 *   - Only immutable tables at file scope.
 */
#include "collect/debug_offsets.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SG_DEBUG_COOKIE     "xdebugpy"
#define SG_DEBUG_COOKIE_LEN 8
#define SG_DEBUG_AT_VERSION 8
#define SG_DEBUG_AT_FREE    16
#define SG_DEBUG_HEAD_SIZE  24

/* How one debug-offsets value relates to one sg_layout field. */
enum sg_debug_relation {
    SG_DEBUG_EQUAL,    /* value == table field */
    SG_DEBUG_RELATIVE, /* value - value at `base_at` == table field */
    SG_DEBUG_COVERS    /* value (a sizeof) >= table field (bytes we read) */
};

typedef struct sg_debug_field {
    const char *name;       /* CPython's name, e.g. "thread_state.current_frame" */
    const char *table_name; /* sg_layout's name, e.g. "tstate_frame" */
    uint32_t at;            /* byte offset of the uint64_t in _Py_DebugOffsets */
    uint32_t base_at;       /* SG_DEBUG_RELATIVE only */
    uint32_t table_offset;  /* offsetof(sg_layout, ...) */
    enum sg_debug_relation relation;
} sg_debug_field;

typedef struct sg_debug_format {
    uint32_t minor_hex; /* 0x030d0000 */
    uint32_t size;      /* sizeof(_Py_DebugOffsets) in that version */
    const sg_debug_field *fields;
    size_t nfields;
} sg_debug_format;

/* clang-format off */
#define SG_EQ(cpython, ours, at) \
    {cpython, #ours, at, 0, (uint32_t)offsetof(sg_layout, ours), SG_DEBUG_EQUAL}
#define SG_REL(cpython, ours, at, base) \
    {cpython, #ours, at, base, (uint32_t)offsetof(sg_layout, ours), SG_DEBUG_RELATIVE}
#define SG_COV(cpython, ours, at) \
    {cpython, #ours, at, 0, (uint32_t)offsetof(sg_layout, ours), SG_DEBUG_COVERS}
/* clang-format on */

/* CPython 3.13: struct _Py_DebugOffsets, 584 bytes. */
static const sg_debug_field sg_debug_fields_313[] = {
    SG_EQ("runtime_state.interpreters_head", runtime_interpreters_head, 40),
    SG_EQ("interpreter_state.next", interp_next, 64),
    SG_EQ("interpreter_state.threads_head", interp_threads_head, 72),
    SG_EQ("interpreter_state.ceval_gil", interp_ceval_gil_ptr, 112),
    /* gil_runtime_state_* are offsets inside PyInterpreterState of its own
     * _gil (at 120); ours are inside struct _gil_runtime_state. */
    SG_REL("interpreter_state.gil_runtime_state_locked", gil_locked, 136, 120),
    SG_REL("interpreter_state.gil_runtime_state_holder", gil_last_holder, 144, 120),
    SG_COV("thread_state.size", tstate_size, 152),
    SG_EQ("thread_state.next", tstate_next, 168),
    SG_EQ("thread_state.interp", tstate_interp, 176),
    SG_EQ("thread_state.current_frame", tstate_frame, 184),
    SG_EQ("thread_state.thread_id", tstate_thread_id, 192),
    SG_EQ("thread_state.native_thread_id", tstate_native_thread_id, 200),
    SG_EQ("thread_state.datastack_chunk", tstate_datastack_chunk, 208),
    SG_COV("interpreter_frame.size", iframe_localsplus, 224),
    SG_EQ("interpreter_frame.previous", iframe_previous, 232),
    SG_EQ("interpreter_frame.executable", iframe_code, 240),
    SG_EQ("interpreter_frame.instr_ptr", iframe_instr, 248),
    SG_EQ("interpreter_frame.localsplus", iframe_localsplus, 256),
    SG_EQ("interpreter_frame.owner", iframe_owner, 264),
    SG_COV("code_object.size", code_size, 272),
    SG_EQ("code_object.filename", code_filename, 280),
    SG_EQ("code_object.name", code_name, 288),
    SG_EQ("code_object.qualname", code_qualname, 296),
    SG_EQ("code_object.linetable", code_linetable, 304),
    SG_EQ("code_object.firstlineno", code_firstlineno, 312),
    SG_EQ("code_object.co_code_adaptive", code_code_adaptive, 344),
    SG_EQ("pyobject.ob_type", object_type, 360),
    SG_EQ("tuple_object.ob_size", varobject_size, 416),
    SG_EQ("list_object.ob_size", varobject_size, 440),
    SG_EQ("bytes_object.ob_size", varobject_size, 520),
    SG_EQ("bytes_object.ob_sval", bytes_sval, 528),
    SG_EQ("unicode_object.state", unicode_state, 544),
    SG_EQ("unicode_object.length", unicode_length, 552),
    SG_EQ("unicode_object.asciiobject_size", unicode_ascii_size, 560),
};

#define SG_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const sg_debug_format sg_debug_formats[] = {
    {0x030d0000, 584, sg_debug_fields_313, SG_COUNT(sg_debug_fields_313)},
};

static uint64_t sg_debug_u64(const uint8_t *buf, uint32_t at)
{
    uint64_t v;
    memcpy(&v, buf + at, sizeof v);
    return v;
}

size_t sg_debug_offsets_size(void)
{
    size_t size = SG_DEBUG_HEAD_SIZE;
    for (size_t i = 0; i < SG_COUNT(sg_debug_formats); i++) {
        if (sg_debug_formats[i].size > size) {
            size = sg_debug_formats[i].size;
        }
    }
    return size;
}

uint32_t sg_debug_offsets_version(const uint8_t *buf, size_t len)
{
    if (buf == NULL || len < SG_DEBUG_HEAD_SIZE ||
        memcmp(buf, SG_DEBUG_COOKIE, SG_DEBUG_COOKIE_LEN) != 0) {
        return 0;
    }
    uint64_t version = sg_debug_u64(buf, SG_DEBUG_AT_VERSION);
    return version > UINT32_MAX ? 0 : (uint32_t)version;
}

static const sg_debug_format *sg_debug_format_for(uint32_t version_hex)
{
    for (size_t i = 0; i < SG_COUNT(sg_debug_formats); i++) {
        if (sg_debug_formats[i].minor_hex == (version_hex & 0xffff0000u)) {
            return &sg_debug_formats[i];
        }
    }
    return NULL;
}

static int32_t sg_debug_table_value(const sg_layout *table, uint32_t table_offset)
{
    int32_t v;
    memcpy(&v, (const char *)table + table_offset, sizeof v);
    return v;
}

/* Writes the message (if there is room for one) and returns `code`. */
static int sg_debug_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* Whether `value` from the target agrees with our table's `ours`. */
static bool sg_debug_agrees(enum sg_debug_relation relation, uint64_t value, int32_t ours)
{
    if (ours < 0) {
        return false; /* the table lacks a field the target has */
    }
    if (relation == SG_DEBUG_COVERS) {
        return value >= (uint64_t)ours;
    }
    return value == (uint64_t)ours;
}

static int sg_debug_check_fields(const uint8_t *buf, const sg_debug_format *format,
                                 const sg_layout *table, char *err, size_t errlen)
{
    unsigned minor = (unsigned)(format->minor_hex >> 16) & 0xffu;

    for (size_t i = 0; i < format->nfields; i++) {
        const sg_debug_field *f = &format->fields[i];
        assert(f->at + sizeof(uint64_t) <= format->size);
        assert(f->base_at + sizeof(uint64_t) <= format->size);
        assert(f->table_offset + sizeof(int32_t) <= sizeof(sg_layout));
        uint64_t value = sg_debug_u64(buf, f->at);
        if (f->relation == SG_DEBUG_RELATIVE) {
            value -= sg_debug_u64(buf, f->base_at);
        }
        int32_t ours = sg_debug_table_value(table, f->table_offset);
        if (sg_debug_agrees(f->relation, value, ours)) {
            continue;
        }
        if (ours < 0) {
            return sg_debug_fail(err, errlen, SG_DEBUG_OFFSETS_MISMATCH,
                                 "_Py_DebugOffsets.%s is %llu in the target, but spyglass's 3.%u "
                                 "table has no %s",
                                 f->name, (unsigned long long)value, minor, f->table_name);
        }
        if (f->relation == SG_DEBUG_COVERS) {
            return sg_debug_fail(err, errlen, SG_DEBUG_OFFSETS_MISMATCH,
                                 "_Py_DebugOffsets.%s is %llu in the target, smaller than the %d "
                                 "bytes spyglass's 3.%u table reads (%s)",
                                 f->name, (unsigned long long)value, (int)ours, minor,
                                 f->table_name);
        }
        return sg_debug_fail(err, errlen, SG_DEBUG_OFFSETS_MISMATCH,
                             "_Py_DebugOffsets.%s is %llu in the target, but spyglass's 3.%u "
                             "table says %d (%s)",
                             f->name, (unsigned long long)value, minor, (int)ours, f->table_name);
    }
    return SG_DEBUG_OFFSETS_OK;
}

int sg_debug_offsets_check(const uint8_t *buf, size_t len, const sg_layout *table,
                           uint32_t *version_out, char *err, size_t errlen)
{
    if (version_out != NULL) {
        *version_out = 0;
    }
    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }
    if (buf == NULL || len < SG_DEBUG_HEAD_SIZE) {
        return sg_debug_fail(err, errlen, SG_DEBUG_OFFSETS_SHORT,
                             "_Py_DebugOffsets: got %zu bytes, need at least %d for its head",
                             buf == NULL ? (size_t)0 : len, SG_DEBUG_HEAD_SIZE);
    }
    if (memcmp(buf, SG_DEBUG_COOKIE, SG_DEBUG_COOKIE_LEN) != 0) {
        return sg_debug_fail(err, errlen, SG_DEBUG_OFFSETS_BAD_COOKIE,
                             "no \"" SG_DEBUG_COOKIE "\" cookie at the start of _PyRuntime: "
                             "not a CPython 3.13 or newer, or not _PyRuntime");
    }

    uint64_t version64 = sg_debug_u64(buf, SG_DEBUG_AT_VERSION);
    uint32_t version = (uint32_t)version64;
    unsigned major = (version >> 24) & 0xffu, minor = (version >> 16) & 0xffu,
             micro = (version >> 8) & 0xffu;
    if (version64 > UINT32_MAX || major != 3) {
        return sg_debug_fail(err, errlen, SG_DEBUG_OFFSETS_UNSUPPORTED,
                             "_Py_DebugOffsets.version is 0x%llx, not a CPython 3 version",
                             (unsigned long long)version64);
    }
    if (version_out != NULL) {
        *version_out = version;
    }

    const sg_debug_format *format = sg_debug_format_for(version);
    if (format == NULL) {
        return sg_debug_fail(err, errlen, SG_DEBUG_OFFSETS_UNSUPPORTED,
                             "the target is CPython %u.%u.%u, whose _Py_DebugOffsets this "
                             "spyglass does not know (it supports " SG_LAYOUT_OLDEST
                             " to " SG_LAYOUT_NEWEST ")",
                             major, minor, micro);
    }
    if (sg_debug_u64(buf, SG_DEBUG_AT_FREE) != 0) {
        return sg_debug_fail(err, errlen, SG_DEBUG_OFFSETS_FREE_THREADED,
                             "the target is a free-threaded CPython %u.%u.%u (built with "
                             "--disable-gil); spyglass supports only builds with the GIL",
                             major, minor, micro);
    }
    if (len < format->size) {
        return sg_debug_fail(err, errlen, SG_DEBUG_OFFSETS_SHORT,
                             "_Py_DebugOffsets of CPython %u.%u is %u bytes, got %zu", major, minor,
                             (unsigned)format->size, len);
    }
    if (table == NULL) {
        return SG_DEBUG_OFFSETS_OK;
    }
    if ((uint32_t)table->version_hex != format->minor_hex) {
        return sg_debug_fail(err, errlen, SG_DEBUG_OFFSETS_WRONG_TABLE,
                             "the target is CPython %u.%u.%u but the layout table is for %u.%u",
                             major, minor, micro, ((uint32_t)table->version_hex >> 24) & 0xffu,
                             ((uint32_t)table->version_hex >> 16) & 0xffu);
    }
    return sg_debug_check_fields(buf, format, table, err, errlen);
}
