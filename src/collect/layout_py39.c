/*
 * layout_py39.c — where CPython 3.9 keeps what the sampler reads.
 *
 * GENERATED FILE, DO NOT EDIT BY HAND. Written by tools/layout_probe/generate,
 * which compiles tools/layout_probe/layout_probe.c against CPython 3.9's own
 * headers (-DPy_BUILD_CORE) and runs it. To change it, change the probe and
 * run `tools/layout_probe/generate`; `tools/layout_probe/generate --check`
 * (run by tests/integration/test_layouts.py) fails when it goes stale.
 *
 * Invariants: every sg_layout field is set, in declaration order; fields
 * CPython 3.9 does not have are SG_LAYOUT_ABSENT.
 */
#include "collect/layout_tables.h"

const sg_layout sg_layout_py39 = {
    .version_hex = 0x03090000,
    .frame_era = SG_ERA_FRAME_OBJECT,
    .lines_format = SG_LINES_LNOTAB,
    .object_type = 8,
    .varobject_size = 16,
    .runtime_interpreters_head = 32,
    .runtime_ceval_gil = 352,
    .interp_next = 0,
    .interp_threads_head = 8,
    .interp_ceval_gil_ptr = SG_LAYOUT_ABSENT,
    .gil_last_holder = 8,
    .gil_locked = 16,
    .tstate_next = 8,
    .tstate_interp = 16,
    .tstate_frame = 24,
    .tstate_cframe = SG_LAYOUT_ABSENT,
    .cframe_current_frame = SG_LAYOUT_ABSENT,
    .tstate_thread_id = 176,
    .tstate_native_thread_id = SG_LAYOUT_ABSENT,
    .tstate_datastack_chunk = SG_LAYOUT_ABSENT,
    .tstate_datastack_top = SG_LAYOUT_ABSENT,
    .tstate_size = 184,
    .chunk_previous = SG_LAYOUT_ABSENT,
    .chunk_size = SG_LAYOUT_ABSENT,
    .chunk_data = SG_LAYOUT_ABSENT,
    .frameobj_back = 24,
    .frameobj_code = 32,
    .frameobj_lasti = 104,
    .frameobj_size = 108,
    .iframe_code = SG_LAYOUT_ABSENT,
    .iframe_previous = SG_LAYOUT_ABSENT,
    .iframe_instr = SG_LAYOUT_ABSENT,
    .iframe_owner = SG_LAYOUT_ABSENT,
    .iframe_localsplus = SG_LAYOUT_ABSENT,
    .owner_cstack = SG_LAYOUT_ABSENT,
    .code_filename = 104,
    .code_name = 112,
    .code_qualname = SG_LAYOUT_ABSENT,
    .code_firstlineno = 40,
    .code_linetable = 120,
    .code_code_adaptive = SG_LAYOUT_ABSENT,
    .code_size = 128,
    .bytes_sval = 32,
    .unicode_length = 16,
    .unicode_state = 32,
    .unicode_kind_shift = 2,
    .unicode_kind_mask = 7,
    .unicode_compact_bit = 5,
    .unicode_ascii_bit = 6,
    .unicode_ascii_size = 48,
    .unicode_compact_size = 72,
    .unicode_data_any = 72,
};
