/*
 * layout_probe.c — prints spyglass's layout table for the CPython whose
 * headers it was compiled against.
 *
 * Built by tools/layout_probe/generate once per installed minor version with
 *   cc -DPy_BUILD_CORE -I<include>/python3.X -I<include>/python3.X/internal -I<repo>/src
 * and run with no arguments, it writes to stdout the complete source of
 * src/collect/layout_py3X.c: a `const sg_layout sg_layout_py3X` whose
 * numbers all come from offsetof/sizeof on the version's own structures.
 * Nothing about a version is typed by hand except which structure member
 * answers which question (the #if PY_VERSION_HEX blocks below).
 *
 * Invariants:
 *   - One source compiles unchanged for 3.9 through 3.13; a version that
 *     lacks a field sets it to SG_LAYOUT_ABSENT explicitly.
 *   - Every sg_layout field is listed once, in declaration order (checked at
 *     compile time by count and at run time by offset), and every field must
 *     be set: a field left at the "unset" sentinel makes the probe fail
 *     instead of printing a table with a hole in it.
 *   - The output is stable under the repo's clang-format and depends only on
 *     the minor version's layout (no patch version, date or path in it), so
 *     `generate --check` compares like with like across patch releases.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

#include "pycore_runtime.h"
#include "pycore_interp.h"
#include "pycore_gil.h"
#if PY_VERSION_HEX >= 0x030b0000
#include "pycore_frame.h"
#endif
/* Dicts, modules, ints and object pre-headers, read to name threads.
 * 3.13's pycore_object.h has an inline function with an unused parameter. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "pycore_object.h"
#pragma GCC diagnostic pop
#if PY_VERSION_HEX >= 0x030b0000
#include "pycore_dict.h"
#else
#include <longintrepr.h>
#endif
#if PY_VERSION_HEX >= 0x030a0000
#include "pycore_moduleobject.h"
#endif
#if PY_VERSION_HEX >= 0x030c0000
#include "pycore_long.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "collect/layout.h"

#if PY_VERSION_HEX < 0x03090000 || PY_VERSION_HEX >= 0x030e0000
#error "layout_probe supports CPython 3.9 to 3.13"
#endif
#ifdef Py_GIL_DISABLED
#error "free-threaded builds have a different layout and are not supported"
#endif

/* A field the probe forgot to set; never a real offset. */
#define SG_PROBE_UNSET INT32_MIN

#define SG_OFF(type, member) ((int32_t)offsetof(type, member))
#define SG_END(type, member) ((int32_t)(offsetof(type, member) + sizeof(((type *)0)->member)))

/* Every sg_layout field, in declaration order. */
#define SG_PROBE_FIELDS(X)                                                                         \
    X(version_hex)                                                                                 \
    X(frame_era)                                                                                   \
    X(lines_format)                                                                                \
    X(object_type)                                                                                 \
    X(varobject_size)                                                                              \
    X(runtime_interpreters_head)                                                                   \
    X(runtime_ceval_gil)                                                                           \
    X(interp_next)                                                                                 \
    X(interp_threads_head)                                                                         \
    X(interp_ceval_gil_ptr)                                                                        \
    X(gil_last_holder)                                                                             \
    X(gil_locked)                                                                                  \
    X(tstate_next)                                                                                 \
    X(tstate_interp)                                                                               \
    X(tstate_frame)                                                                                \
    X(tstate_cframe)                                                                               \
    X(cframe_current_frame)                                                                        \
    X(tstate_thread_id)                                                                            \
    X(tstate_native_thread_id)                                                                     \
    X(tstate_datastack_chunk)                                                                      \
    X(tstate_datastack_top)                                                                        \
    X(tstate_size)                                                                                 \
    X(chunk_previous)                                                                              \
    X(chunk_size)                                                                                  \
    X(chunk_data)                                                                                  \
    X(frameobj_back)                                                                               \
    X(frameobj_code)                                                                               \
    X(frameobj_lasti)                                                                              \
    X(frameobj_gen)                                                                                \
    X(frameobj_state)                                                                              \
    X(frameobj_state_executing)                                                                    \
    X(frameobj_size)                                                                               \
    X(iframe_code)                                                                                 \
    X(iframe_previous)                                                                             \
    X(iframe_instr)                                                                                \
    X(iframe_owner)                                                                                \
    X(iframe_localsplus)                                                                           \
    X(owner_cstack)                                                                                \
    X(owner_generator)                                                                             \
    X(code_filename)                                                                               \
    X(code_name)                                                                                   \
    X(code_qualname)                                                                               \
    X(code_firstlineno)                                                                            \
    X(code_linetable)                                                                              \
    X(code_code_adaptive)                                                                          \
    X(code_code)                                                                                   \
    X(code_size)                                                                                   \
    X(bytes_sval)                                                                                  \
    X(unicode_length)                                                                              \
    X(unicode_state)                                                                               \
    X(unicode_kind_shift)                                                                          \
    X(unicode_kind_mask)                                                                           \
    X(unicode_compact_bit)                                                                         \
    X(unicode_ascii_bit)                                                                           \
    X(unicode_ascii_size)                                                                          \
    X(unicode_compact_size)                                                                        \
    X(unicode_data_any)                                                                            \
    X(interp_modules)                                                                              \
    X(type_basicsize)                                                                              \
    X(type_flags)                                                                                  \
    X(type_dictoffset)                                                                             \
    X(heaptype_cached_keys)                                                                        \
    X(tpflag_long_subclass)                                                                        \
    X(tpflag_managed_dict)                                                                         \
    X(tpflag_inline_values)                                                                        \
    X(module_dict)                                                                                 \
    X(dict_era)                                                                                    \
    X(dict_used)                                                                                   \
    X(dict_keys)                                                                                   \
    X(dict_values)                                                                                 \
    X(dictkeys_size)                                                                               \
    X(dictkeys_log2_size)                                                                          \
    X(dictkeys_log2_index_bytes)                                                                   \
    X(dictkeys_kind)                                                                               \
    X(dictkeys_kind_general)                                                                       \
    X(dictkeys_nentries)                                                                           \
    X(dictkeys_indices)                                                                            \
    X(dictentry_size)                                                                              \
    X(dictentry_hash)                                                                              \
    X(dictentry_key)                                                                               \
    X(dictentry_value)                                                                             \
    X(dictuentry_size)                                                                             \
    X(dictuentry_key)                                                                              \
    X(dictuentry_value)                                                                            \
    X(dictvalues_values)                                                                           \
    X(dictvalues_capacity)                                                                         \
    X(dictvalues_valid)                                                                            \
    X(instance_dict_era)                                                                           \
    X(object_managed_dict)                                                                         \
    X(object_managed_values)                                                                       \
    X(long_era)                                                                                    \
    X(long_lv_tag)                                                                                 \
    X(long_digits)                                                                                 \
    X(long_digit_size)                                                                             \
    X(long_shift)                                                                                  \
    X(long_sign_mask)                                                                              \
    X(long_non_size_bits)                                                                          \
    X(chunk_top)                                                                                   \
    X(frameobj_globals)                                                                            \
    X(iframe_globals)                                                                              \
    X(code_flags)                                                                                  \
    X(co_generator_mask)                                                                           \
    X(code_stacksize)                                                                              \
    X(code_nlocalsplus)

typedef struct sg_probe_field {
    const char *name;
    size_t offset;
} sg_probe_field;

static const sg_probe_field sg_probe_fields[] = {
#define SG_PROBE_ENTRY(f) {#f, offsetof(sg_layout, f)},
    SG_PROBE_FIELDS(SG_PROBE_ENTRY)
#undef SG_PROBE_ENTRY
};

#define SG_PROBE_NFIELDS (sizeof(sg_probe_fields) / sizeof(sg_probe_fields[0]))

_Static_assert(SG_PROBE_NFIELDS * sizeof(int32_t) == sizeof(sg_layout),
               "SG_PROBE_FIELDS must list every sg_layout field");

static int32_t sg_probe_max(int32_t a, int32_t b)
{
    return a > b ? a : b;
}

static int32_t sg_probe_get(const sg_layout *l, size_t i)
{
    int32_t v;
    memcpy(&v, (const char *)l + sg_probe_fields[i].offset, sizeof v);
    return v;
}

static void sg_probe_set(sg_layout *l, size_t i, int32_t v)
{
    memcpy((char *)l + sg_probe_fields[i].offset, &v, sizeof v);
}

/* The 32-bit word holding a string's PEP 393 state bits. */
static uint32_t sg_probe_state_word(const PyASCIIObject *s)
{
    uint32_t w;
    _Static_assert(sizeof(s->state) >= sizeof(w), "state is at least one 32-bit word");
    memcpy(&w, (const char *)s + offsetof(PyASCIIObject, state), sizeof w);
    return w;
}

static int32_t sg_probe_lowest_bit(uint32_t w)
{
    int32_t bit = 0;
    while (w != 0 && (w & 1u) == 0) {
        w >>= 1;
        bit++;
    }
    return w ? bit : SG_PROBE_UNSET;
}

/* Which bits the kind/compact/ascii bitfields occupy, found by setting each
 * one in a zeroed object. */
static void sg_probe_unicode_bits(sg_layout *l)
{
    PyASCIIObject s;

    memset(&s, 0, sizeof s);
    s.state.kind = 7; /* all ones in a 3-bit field */
    uint32_t kind = sg_probe_state_word(&s);
    l->unicode_kind_shift = sg_probe_lowest_bit(kind);
    l->unicode_kind_mask = (int32_t)(kind >> l->unicode_kind_shift);

    memset(&s, 0, sizeof s);
    s.state.compact = 1;
    l->unicode_compact_bit = sg_probe_lowest_bit(sg_probe_state_word(&s));

    memset(&s, 0, sizeof s);
    s.state.ascii = 1;
    l->unicode_ascii_bit = sg_probe_lowest_bit(sg_probe_state_word(&s));
}

static void sg_probe_runtime(sg_layout *l)
{
    l->version_hex = (int32_t)(((uint32_t)PY_MAJOR_VERSION << 24) | (PY_MINOR_VERSION << 16));
#if PY_VERSION_HEX >= 0x030d0000
    l->frame_era = SG_ERA_CURRENT_FRAME;
#elif PY_VERSION_HEX >= 0x030b0000
    l->frame_era = SG_ERA_CFRAME;
#else
    l->frame_era = SG_ERA_FRAME_OBJECT;
#endif
#if PY_VERSION_HEX >= 0x030b0000
    l->lines_format = SG_LINES_LOCATIONS;
#elif PY_VERSION_HEX >= 0x030a0000
    l->lines_format = SG_LINES_LINETABLE;
#else
    l->lines_format = SG_LINES_LNOTAB;
#endif

    l->object_type = SG_OFF(PyObject, ob_type);
    l->varobject_size = SG_OFF(PyVarObject, ob_size);

    l->runtime_interpreters_head = SG_OFF(_PyRuntimeState, interpreters.head);
    l->interp_next = SG_OFF(PyInterpreterState, next);
#if PY_VERSION_HEX >= 0x030b0000
    l->interp_threads_head = SG_OFF(PyInterpreterState, threads.head);
#else
    l->interp_threads_head = SG_OFF(PyInterpreterState, tstate_head);
#endif
#if PY_VERSION_HEX >= 0x030c0000
    l->runtime_ceval_gil = SG_LAYOUT_ABSENT;
    l->interp_ceval_gil_ptr = SG_OFF(PyInterpreterState, ceval.gil);
#else
    l->runtime_ceval_gil = SG_OFF(_PyRuntimeState, ceval.gil);
    l->interp_ceval_gil_ptr = SG_LAYOUT_ABSENT;
#endif
    l->gil_last_holder = SG_OFF(struct _gil_runtime_state, last_holder);
    l->gil_locked = SG_OFF(struct _gil_runtime_state, locked);
}

static void sg_probe_thread(sg_layout *l)
{
    int32_t end = 0;

    l->tstate_next = SG_OFF(PyThreadState, next);
    l->tstate_interp = SG_OFF(PyThreadState, interp);
    l->tstate_thread_id = SG_OFF(PyThreadState, thread_id);
    end = sg_probe_max(end, SG_END(PyThreadState, next));
    end = sg_probe_max(end, SG_END(PyThreadState, interp));
    end = sg_probe_max(end, SG_END(PyThreadState, thread_id));

#if PY_VERSION_HEX >= 0x030d0000
    l->tstate_frame = SG_OFF(PyThreadState, current_frame);
    l->tstate_cframe = SG_LAYOUT_ABSENT;
    l->cframe_current_frame = SG_LAYOUT_ABSENT;
    end = sg_probe_max(end, SG_END(PyThreadState, current_frame));
#elif PY_VERSION_HEX >= 0x030b0000
    l->tstate_frame = SG_LAYOUT_ABSENT;
    l->tstate_cframe = SG_OFF(PyThreadState, cframe);
    l->cframe_current_frame = SG_OFF(_PyCFrame, current_frame);
    end = sg_probe_max(end, SG_END(PyThreadState, cframe));
#else
    l->tstate_frame = SG_OFF(PyThreadState, frame);
    l->tstate_cframe = SG_LAYOUT_ABSENT;
    l->cframe_current_frame = SG_LAYOUT_ABSENT;
    end = sg_probe_max(end, SG_END(PyThreadState, frame));
#endif

#if PY_VERSION_HEX >= 0x030b0000
    l->tstate_native_thread_id = SG_OFF(PyThreadState, native_thread_id);
    l->tstate_datastack_chunk = SG_OFF(PyThreadState, datastack_chunk);
    l->tstate_datastack_top = SG_OFF(PyThreadState, datastack_top);
    end = sg_probe_max(end, SG_END(PyThreadState, native_thread_id));
    end = sg_probe_max(end, SG_END(PyThreadState, datastack_chunk));
    end = sg_probe_max(end, SG_END(PyThreadState, datastack_top));
    l->chunk_previous = SG_OFF(_PyStackChunk, previous);
    l->chunk_size = SG_OFF(_PyStackChunk, size);
    l->chunk_top = SG_OFF(_PyStackChunk, top);
    l->chunk_data = SG_OFF(_PyStackChunk, data);
#else
    l->tstate_native_thread_id = SG_LAYOUT_ABSENT;
    l->tstate_datastack_chunk = SG_LAYOUT_ABSENT;
    l->tstate_datastack_top = SG_LAYOUT_ABSENT;
    l->chunk_previous = SG_LAYOUT_ABSENT;
    l->chunk_size = SG_LAYOUT_ABSENT;
    l->chunk_top = SG_LAYOUT_ABSENT;
    l->chunk_data = SG_LAYOUT_ABSENT;
#endif
    l->tstate_size = end;
}

static void sg_probe_frames(sg_layout *l)
{
#if PY_VERSION_HEX >= 0x030b0000
    l->frameobj_back = SG_LAYOUT_ABSENT;
    l->frameobj_code = SG_LAYOUT_ABSENT;
    l->frameobj_lasti = SG_LAYOUT_ABSENT;
    l->frameobj_gen = SG_LAYOUT_ABSENT;
    l->frameobj_state = SG_LAYOUT_ABSENT;
    l->frameobj_state_executing = SG_LAYOUT_ABSENT;
    l->frameobj_size = SG_LAYOUT_ABSENT;
    l->frameobj_globals = SG_LAYOUT_ABSENT;
    l->iframe_globals = SG_OFF(_PyInterpreterFrame, f_globals);
#if PY_VERSION_HEX >= 0x030d0000
    l->iframe_code = SG_OFF(_PyInterpreterFrame, f_executable);
    l->iframe_instr = SG_OFF(_PyInterpreterFrame, instr_ptr);
#else
    l->iframe_code = SG_OFF(_PyInterpreterFrame, f_code);
    l->iframe_instr = SG_OFF(_PyInterpreterFrame, prev_instr);
#endif
    l->iframe_previous = SG_OFF(_PyInterpreterFrame, previous);
    l->iframe_owner = SG_OFF(_PyInterpreterFrame, owner);
    l->iframe_localsplus = SG_OFF(_PyInterpreterFrame, localsplus);
#if PY_VERSION_HEX >= 0x030c0000
    l->owner_cstack = FRAME_OWNED_BY_CSTACK;
#else
    l->owner_cstack = SG_LAYOUT_ABSENT;
#endif
    l->owner_generator = FRAME_OWNED_BY_GENERATOR;
#else
    int32_t end = 0;
    l->frameobj_back = SG_OFF(PyFrameObject, f_back);
    l->frameobj_code = SG_OFF(PyFrameObject, f_code);
    l->frameobj_lasti = SG_OFF(PyFrameObject, f_lasti);
    l->frameobj_gen = SG_OFF(PyFrameObject, f_gen);
#if PY_VERSION_HEX >= 0x030a0000
    l->frameobj_state = SG_OFF(PyFrameObject, f_state);
    l->frameobj_state_executing = FRAME_EXECUTING;
    end = sg_probe_max(end, SG_END(PyFrameObject, f_state));
#else
    l->frameobj_state = SG_OFF(PyFrameObject, f_executing);
    l->frameobj_state_executing = 1;
    end = sg_probe_max(end, SG_END(PyFrameObject, f_executing));
#endif
    end = sg_probe_max(end, SG_END(PyFrameObject, f_back));
    end = sg_probe_max(end, SG_END(PyFrameObject, f_gen));
    end = sg_probe_max(end, SG_END(PyFrameObject, f_code));
    end = sg_probe_max(end, SG_END(PyFrameObject, f_lasti));
    end = sg_probe_max(end, SG_END(PyFrameObject, f_globals));
    l->frameobj_size = end;
    l->frameobj_globals = SG_OFF(PyFrameObject, f_globals);
    l->iframe_globals = SG_LAYOUT_ABSENT;
    l->iframe_code = SG_LAYOUT_ABSENT;
    l->iframe_previous = SG_LAYOUT_ABSENT;
    l->iframe_instr = SG_LAYOUT_ABSENT;
    l->iframe_owner = SG_LAYOUT_ABSENT;
    l->iframe_localsplus = SG_LAYOUT_ABSENT;
    l->owner_cstack = SG_LAYOUT_ABSENT;
    l->owner_generator = SG_LAYOUT_ABSENT;
#endif
}

/* code_size covers the fields read out of a code object; co_code_adaptive
 * is only an address anchor (instr - (code + co_code_adaptive)), never read,
 * so it does not count. */
static void sg_probe_code(sg_layout *l)
{
    int32_t end = 0;

    l->code_filename = SG_OFF(PyCodeObject, co_filename);
    l->code_name = SG_OFF(PyCodeObject, co_name);
    l->code_firstlineno = SG_OFF(PyCodeObject, co_firstlineno);
    l->code_flags = SG_OFF(PyCodeObject, co_flags);
    l->co_generator_mask = CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR;
    end = sg_probe_max(end, SG_END(PyCodeObject, co_flags));
    end = sg_probe_max(end, SG_END(PyCodeObject, co_filename));
    end = sg_probe_max(end, SG_END(PyCodeObject, co_name));
    end = sg_probe_max(end, SG_END(PyCodeObject, co_firstlineno));
#if PY_VERSION_HEX >= 0x030a0000
    l->code_linetable = SG_OFF(PyCodeObject, co_linetable);
    end = sg_probe_max(end, SG_END(PyCodeObject, co_linetable));
#else
    l->code_linetable = SG_OFF(PyCodeObject, co_lnotab);
    end = sg_probe_max(end, SG_END(PyCodeObject, co_lnotab));
#endif
#if PY_VERSION_HEX >= 0x030b0000
    l->code_code = SG_LAYOUT_ABSENT;
    l->code_qualname = SG_OFF(PyCodeObject, co_qualname);
    l->code_code_adaptive = SG_OFF(PyCodeObject, co_code_adaptive);
    l->code_stacksize = SG_OFF(PyCodeObject, co_stacksize);
    l->code_nlocalsplus = SG_OFF(PyCodeObject, co_nlocalsplus);
    end = sg_probe_max(end, SG_END(PyCodeObject, co_qualname));
    end = sg_probe_max(end, SG_END(PyCodeObject, co_stacksize));
    end = sg_probe_max(end, SG_END(PyCodeObject, co_nlocalsplus));
#else
    l->code_code = SG_OFF(PyCodeObject, co_code);
    end = sg_probe_max(end, SG_END(PyCodeObject, co_code));
    l->code_qualname = SG_LAYOUT_ABSENT;
    l->code_code_adaptive = SG_LAYOUT_ABSENT;
    l->code_stacksize = SG_LAYOUT_ABSENT;
    l->code_nlocalsplus = SG_LAYOUT_ABSENT;
#endif
    l->code_size = end;
}

static void sg_probe_strings(sg_layout *l)
{
    l->bytes_sval = SG_OFF(PyBytesObject, ob_sval);
    l->unicode_length = SG_OFF(PyASCIIObject, length);
    l->unicode_state = SG_OFF(PyASCIIObject, state);
    sg_probe_unicode_bits(l);
    l->unicode_ascii_size = (int32_t)sizeof(PyASCIIObject);
    l->unicode_compact_size = (int32_t)sizeof(PyCompactUnicodeObject);
    l->unicode_data_any = SG_OFF(PyUnicodeObject, data.any);
}

#if PY_VERSION_HEX < 0x030b0000
/* 3.9 and 3.10 do not install their dict internals (Objects/dict-common.h),
 * and 3.9 keeps PyModuleObject inside Objects/moduleobject.c. These mirror
 * those definitions member for member, with the same member types, so that
 * offsetof does the arithmetic here as it does everywhere else. */
typedef struct sg_probe_dictkeys {
    Py_ssize_t dk_refcnt;
    Py_ssize_t dk_size;
    Py_ssize_t (*dk_lookup)(PyDictObject *, PyObject *, Py_hash_t, PyObject **);
    Py_ssize_t dk_usable;
    Py_ssize_t dk_nentries;
    char dk_indices[];
} sg_probe_dictkeys;

typedef struct sg_probe_dictentry {
    Py_hash_t me_hash;
    PyObject *me_key;
    PyObject *me_value;
} sg_probe_dictentry;
#endif

#if PY_VERSION_HEX < 0x030a0000
typedef struct sg_probe_module {
    PyObject_HEAD PyObject *md_dict;
} sg_probe_module;
#else
typedef PyModuleObject sg_probe_module;
#endif

#if PY_VERSION_HEX >= 0x030b0000
/* Where the pre-header words of an object with a managed dict sit, found by
 * calling the version's own accessor on a fake object (the accessors assert
 * the type's flag, so the fake type carries it). */
static int32_t sg_probe_preheader(int values)
{
    static PyTypeObject type;
    static PyObject words[8];
    PyObject *obj = &words[4];

    type.tp_flags = Py_TPFLAGS_MANAGED_DICT;
    Py_SET_TYPE(obj, &type);
#if PY_VERSION_HEX >= 0x030d0000
    (void)values;
    char *at = (char *)_PyObject_ManagedDictPointer(obj);
#elif PY_VERSION_HEX >= 0x030c0000
    (void)values;
    char *at = (char *)_PyObject_DictOrValuesPointer(obj);
#else
    char *at =
        values ? (char *)_PyObject_ValuesPointer(obj) : (char *)_PyObject_ManagedDictPointer(obj);
#endif
    return (int32_t)(at - (char *)obj);
}
#endif

static void sg_probe_types(sg_layout *l)
{
#if PY_VERSION_HEX >= 0x030c0000
    l->interp_modules = SG_OFF(PyInterpreterState, imports.modules);
#else
    l->interp_modules = SG_OFF(PyInterpreterState, modules);
#endif
    l->type_basicsize = SG_OFF(PyTypeObject, tp_basicsize);
    l->type_flags = SG_OFF(PyTypeObject, tp_flags);
    l->type_dictoffset = SG_OFF(PyTypeObject, tp_dictoffset);
    l->heaptype_cached_keys = SG_OFF(PyHeapTypeObject, ht_cached_keys);
    l->tpflag_long_subclass = (int32_t)Py_TPFLAGS_LONG_SUBCLASS;
#if PY_VERSION_HEX >= 0x030b0000
    l->tpflag_managed_dict = (int32_t)Py_TPFLAGS_MANAGED_DICT;
#else
    l->tpflag_managed_dict = SG_LAYOUT_ABSENT;
#endif
#if PY_VERSION_HEX >= 0x030d0000
    l->tpflag_inline_values = (int32_t)Py_TPFLAGS_INLINE_VALUES;
#else
    l->tpflag_inline_values = SG_LAYOUT_ABSENT;
#endif
    l->module_dict = SG_OFF(sg_probe_module, md_dict);
}

static void sg_probe_dicts(sg_layout *l)
{
    l->dict_used = SG_OFF(PyDictObject, ma_used);
    l->dict_keys = SG_OFF(PyDictObject, ma_keys);
    l->dict_values = SG_OFF(PyDictObject, ma_values);
#if PY_VERSION_HEX >= 0x030b0000
    l->dict_era = SG_DICT_KINDS;
    l->dictkeys_size = SG_LAYOUT_ABSENT;
    l->dictkeys_log2_size = SG_OFF(PyDictKeysObject, dk_log2_size);
    l->dictkeys_log2_index_bytes = SG_OFF(PyDictKeysObject, dk_log2_index_bytes);
    l->dictkeys_kind = SG_OFF(PyDictKeysObject, dk_kind);
    l->dictkeys_kind_general = DICT_KEYS_GENERAL;
    l->dictkeys_nentries = SG_OFF(PyDictKeysObject, dk_nentries);
    l->dictkeys_indices = SG_OFF(PyDictKeysObject, dk_indices);
    l->dictentry_size = (int32_t)sizeof(PyDictKeyEntry);
    l->dictentry_hash = SG_OFF(PyDictKeyEntry, me_hash);
    l->dictentry_key = SG_OFF(PyDictKeyEntry, me_key);
    l->dictentry_value = SG_OFF(PyDictKeyEntry, me_value);
    l->dictuentry_size = (int32_t)sizeof(PyDictUnicodeEntry);
    l->dictuentry_key = SG_OFF(PyDictUnicodeEntry, me_key);
    l->dictuentry_value = SG_OFF(PyDictUnicodeEntry, me_value);
    l->dictvalues_values = SG_OFF(PyDictValues, values);
#else
    /* A split table's ma_values is a bare PyObject *[] here. */
    l->dict_era = SG_DICT_SIZED;
    l->dictkeys_size = SG_OFF(sg_probe_dictkeys, dk_size);
    l->dictkeys_log2_size = SG_LAYOUT_ABSENT;
    l->dictkeys_log2_index_bytes = SG_LAYOUT_ABSENT;
    l->dictkeys_kind = SG_LAYOUT_ABSENT;
    l->dictkeys_kind_general = SG_LAYOUT_ABSENT;
    l->dictkeys_nentries = SG_OFF(sg_probe_dictkeys, dk_nentries);
    l->dictkeys_indices = SG_OFF(sg_probe_dictkeys, dk_indices);
    l->dictentry_size = (int32_t)sizeof(sg_probe_dictentry);
    l->dictentry_hash = SG_OFF(sg_probe_dictentry, me_hash);
    l->dictentry_key = SG_OFF(sg_probe_dictentry, me_key);
    l->dictentry_value = SG_OFF(sg_probe_dictentry, me_value);
    l->dictuentry_size = SG_LAYOUT_ABSENT;
    l->dictuentry_key = SG_LAYOUT_ABSENT;
    l->dictuentry_value = SG_LAYOUT_ABSENT;
    l->dictvalues_values = 0;
#endif
#if PY_VERSION_HEX >= 0x030d0000
    l->dictvalues_capacity = SG_OFF(PyDictValues, capacity);
    l->dictvalues_valid = SG_OFF(PyDictValues, valid);
#else
    l->dictvalues_capacity = SG_LAYOUT_ABSENT;
    l->dictvalues_valid = SG_LAYOUT_ABSENT;
#endif
}

/* Instance attributes: 3.13 keeps inline values at obj + tp_basicsize
 * (_PyObject_InlineValues; it asserts tp_basicsize == sizeof(PyObject)), so
 * that needs no field of its own. */
static void sg_probe_instances(sg_layout *l)
{
#if PY_VERSION_HEX >= 0x030d0000
    l->instance_dict_era = SG_IDICT_INLINE;
    l->object_managed_dict = sg_probe_preheader(0);
    l->object_managed_values = SG_LAYOUT_ABSENT;
#elif PY_VERSION_HEX >= 0x030c0000
    l->instance_dict_era = SG_IDICT_TAGGED;
    l->object_managed_dict = sg_probe_preheader(0);
    l->object_managed_values = SG_LAYOUT_ABSENT;
#elif PY_VERSION_HEX >= 0x030b0000
    l->instance_dict_era = SG_IDICT_VALUES_PTR;
    l->object_managed_dict = sg_probe_preheader(0);
    l->object_managed_values = sg_probe_preheader(1);
#else
    l->instance_dict_era = SG_IDICT_DICTOFFSET;
    l->object_managed_dict = SG_LAYOUT_ABSENT;
    l->object_managed_values = SG_LAYOUT_ABSENT;
#endif
}

static void sg_probe_longs(sg_layout *l)
{
    l->long_digit_size = (int32_t)sizeof(digit);
    l->long_shift = PyLong_SHIFT;
#if PY_VERSION_HEX >= 0x030c0000
    l->long_era = SG_LONG_LV_TAG;
    l->long_lv_tag = SG_OFF(PyLongObject, long_value.lv_tag);
    l->long_digits = SG_OFF(PyLongObject, long_value.ob_digit);
    l->long_sign_mask = _PyLong_SIGN_MASK;
    l->long_non_size_bits = _PyLong_NON_SIZE_BITS;
#else
    l->long_era = SG_LONG_OB_SIZE;
    l->long_lv_tag = SG_LAYOUT_ABSENT;
    l->long_digits = SG_OFF(PyLongObject, ob_digit);
    l->long_sign_mask = SG_LAYOUT_ABSENT;
    l->long_non_size_bits = SG_LAYOUT_ABSENT;
#endif
}

/* How a field's value is spelled in the generated source. */
static void sg_probe_print_value(const char *name, int32_t v)
{
    if (v == SG_LAYOUT_ABSENT) {
        printf("SG_LAYOUT_ABSENT");
    } else if (strcmp(name, "version_hex") == 0) {
        printf("0x%08x", (unsigned)v);
    } else if (strcmp(name, "frame_era") == 0) {
        printf("%s", v == SG_ERA_FRAME_OBJECT ? "SG_ERA_FRAME_OBJECT"
                     : v == SG_ERA_CFRAME     ? "SG_ERA_CFRAME"
                                              : "SG_ERA_CURRENT_FRAME");
    } else if (strcmp(name, "lines_format") == 0) {
        printf("%s", v == SG_LINES_LNOTAB      ? "SG_LINES_LNOTAB"
                     : v == SG_LINES_LINETABLE ? "SG_LINES_LINETABLE"
                                               : "SG_LINES_LOCATIONS");
    } else if (strcmp(name, "dict_era") == 0) {
        printf("%s", v == SG_DICT_SIZED ? "SG_DICT_SIZED" : "SG_DICT_KINDS");
    } else if (strcmp(name, "instance_dict_era") == 0) {
        printf("%s", v == SG_IDICT_DICTOFFSET   ? "SG_IDICT_DICTOFFSET"
                     : v == SG_IDICT_VALUES_PTR ? "SG_IDICT_VALUES_PTR"
                     : v == SG_IDICT_TAGGED     ? "SG_IDICT_TAGGED"
                                                : "SG_IDICT_INLINE");
    } else if (strcmp(name, "long_era") == 0) {
        printf("%s", v == SG_LONG_OB_SIZE ? "SG_LONG_OB_SIZE" : "SG_LONG_LV_TAG");
    } else {
        printf("%d", (int)v);
    }
}

static void sg_probe_print(const sg_layout *l)
{
    int minor = PY_MINOR_VERSION;

    printf("/*\n"
           " * layout_py3%d.c — where CPython 3.%d keeps what the sampler reads.\n"
           " *\n"
           " * GENERATED FILE, DO NOT EDIT BY HAND. Written by tools/layout_probe/generate,\n"
           " * which compiles tools/layout_probe/layout_probe.c against CPython 3.%d's own\n"
           " * headers (-DPy_BUILD_CORE) and runs it. To change it, change the probe and\n"
           " * run `tools/layout_probe/generate`; `tools/layout_probe/generate --check`\n"
           " * (run by tests/integration/test_layouts.py) fails when it goes stale.\n"
           " *\n"
           " * Invariants: every sg_layout field is set, in declaration order; fields\n"
           " * CPython 3.%d does not have are SG_LAYOUT_ABSENT.\n"
           " */\n"
           "#include \"collect/layout_tables.h\"\n"
           "\n"
           "const sg_layout sg_layout_py3%d = {\n",
           minor, minor, minor, minor, minor);
    for (size_t i = 0; i < SG_PROBE_NFIELDS; i++) {
        printf("    .%s = ", sg_probe_fields[i].name);
        sg_probe_print_value(sg_probe_fields[i].name, sg_probe_get(l, i));
        printf(",\n");
    }
    printf("};\n");
}

int main(void)
{
    sg_layout l;

    for (size_t i = 0; i < SG_PROBE_NFIELDS; i++) {
        if (sg_probe_fields[i].offset != i * sizeof(int32_t)) {
            fprintf(stderr, "layout_probe: field %s is out of declaration order\n",
                    sg_probe_fields[i].name);
            return 1;
        }
        sg_probe_set(&l, i, SG_PROBE_UNSET);
    }

    sg_probe_runtime(&l);
    sg_probe_thread(&l);
    sg_probe_frames(&l);
    sg_probe_code(&l);
    sg_probe_strings(&l);
    sg_probe_types(&l);
    sg_probe_dicts(&l);
    sg_probe_instances(&l);
    sg_probe_longs(&l);

    for (size_t i = 0; i < SG_PROBE_NFIELDS; i++) {
        if (sg_probe_get(&l, i) == SG_PROBE_UNSET) {
            fprintf(stderr, "layout_probe: field %s was not set for 3.%d\n",
                    sg_probe_fields[i].name, PY_MINOR_VERSION);
            return 1;
        }
    }
    sg_probe_print(&l);
    return 0;
}
