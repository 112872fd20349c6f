/*
 * layout_py312.c — where CPython 3.12 keeps what the sampler reads.
 *
 * GENERATED FILE, DO NOT EDIT BY HAND. Written by tools/layout_probe/generate,
 * which compiles tools/layout_probe/layout_probe.c against CPython 3.12's own
 * headers (-DPy_BUILD_CORE) and runs it. To change it, change the probe and
 * run `tools/layout_probe/generate`; `tools/layout_probe/generate --check`
 * (run by tests/integration/test_layouts.py) fails when it goes stale.
 *
 * Invariants: every sg_layout field is set, in declaration order; fields
 * CPython 3.12 does not have are SG_LAYOUT_ABSENT.
 */
#include "collect/layout_tables.h"

const sg_layout sg_layout_py312 = {
    .version_hex = 0x030c0000,
    .frame_era = SG_ERA_CFRAME,
    .lines_format = SG_LINES_LOCATIONS,
    .object_type = 8,
    .varobject_size = 16,
    .runtime_interpreters_head = 40,
    .runtime_ceval_gil = SG_LAYOUT_ABSENT,
    .interp_next = 0,
    .interp_threads_head = 72,
    .interp_ceval_gil_ptr = 384,
    .gil_last_holder = 8,
    .gil_locked = 16,
    .tstate_next = 8,
    .tstate_interp = 16,
    .tstate_frame = SG_LAYOUT_ABSENT,
    .tstate_cframe = 56,
    .cframe_current_frame = 0,
    .tstate_thread_id = 136,
    .tstate_native_thread_id = 144,
    .tstate_datastack_chunk = 232,
    .tstate_datastack_top = 240,
    .tstate_size = 248,
    .chunk_previous = 0,
    .chunk_size = 8,
    .chunk_data = 24,
    .frameobj_back = SG_LAYOUT_ABSENT,
    .frameobj_code = SG_LAYOUT_ABSENT,
    .frameobj_lasti = SG_LAYOUT_ABSENT,
    .frameobj_size = SG_LAYOUT_ABSENT,
    .iframe_code = 0,
    .iframe_previous = 8,
    .iframe_instr = 56,
    .iframe_owner = 70,
    .iframe_localsplus = 72,
    .owner_cstack = 3,
    .code_filename = 112,
    .code_name = 120,
    .code_qualname = 128,
    .code_firstlineno = 68,
    .code_linetable = 136,
    .code_code_adaptive = 192,
    .code_size = 144,
    .bytes_sval = 32,
    .unicode_length = 16,
    .unicode_state = 32,
    .unicode_kind_shift = 2,
    .unicode_kind_mask = 7,
    .unicode_compact_bit = 5,
    .unicode_ascii_bit = 6,
    .unicode_ascii_size = 40,
    .unicode_compact_size = 56,
    .unicode_data_any = 56,
};
