/*
 * fuzz_collapsed.c — libFuzzer target for the collapsed importer:
 * collapsed stacks (py-spy, austin, spyglass, flamegraph.pl). The checks are those of common.h.
 */
#include "common.h"
#include "profile/format_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)sg_detect_collapsed(data, size); /* detectors see every input too */
    sg_fuzz_run_importer(sg_import_collapsed, data, size);
    return 0;
}
