/*
 * fuzz_sgl.c — libFuzzer target for the .sgl reader (sg_sgl_read_buffer),
 * in its lenient mode (a torn tail loads a prefix) and its strict mode.
 * The checks are those of common.h.
 */
#include "common.h"
#include "profile/sgl.h"

static int read_lenient(const uint8_t *data, size_t len, const sg_io_progress *progress,
                        sg_profile **out, char *err, size_t errlen)
{
    (void)progress;
    sg_sgl_read_info info;
    return sg_sgl_read_buffer(data, len, 0, out, &info, err, errlen);
}

static int read_strict(const uint8_t *data, size_t len, const sg_io_progress *progress,
                       sg_profile **out, char *err, size_t errlen)
{
    (void)progress;
    return sg_sgl_read_buffer(data, len, SG_SGL_READ_STRICT, out, NULL, err, errlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)sg_sgl_detect(data, size);
    sg_fuzz_run_importer(read_lenient, data, size);
    sg_fuzz_run_importer(read_strict, data, size);
    return 0;
}
