/*
 * fuzz_speedscope.c — libFuzzer target for the speedscope importer:
 * speedscope JSON. The checks are those of common.h.
 */
#include "common.h"
#include "profile/format_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)sg_detect_speedscope(data, size); /* detectors see every input too */
    sg_fuzz_run_importer(sg_import_speedscope, data, size);
    return 0;
}
