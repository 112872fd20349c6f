/*
 * fuzz_pprof.c — libFuzzer target for the pprof importer:
 * pprof profile.proto, gzipped or raw. The checks are those of common.h.
 */
#include "common.h"
#include "profile/format_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)sg_detect_pprof(data, size); /* detectors see every input too */
    sg_fuzz_run_importer(sg_import_pprof, data, size);
    return 0;
}
