/*
 * fuzz_pstats.c — libFuzzer target for the pstats importer:
 * pstats (the marshal dump of cProfile / profile). The checks are those of common.h.
 */
#include "common.h"
#include "profile/format_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)sg_detect_pstats(data, size); /* detectors see every input too */
    sg_fuzz_run_importer(sg_import_pstats, data, size);
    return 0;
}
