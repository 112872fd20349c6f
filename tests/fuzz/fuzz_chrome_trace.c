/*
 * fuzz_chrome_trace.c — libFuzzer target for the chrome_trace importer:
 * Chrome trace events JSON. The checks are those of common.h.
 */
#include "common.h"
#include "profile/format_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)sg_detect_chrome_trace(data, size); /* detectors see every input too */
    sg_fuzz_run_importer(sg_import_chrome_trace, data, size);
    return 0;
}
