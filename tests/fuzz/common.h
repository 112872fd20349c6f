/*
 * common.h — what every fuzz target shares: run one importer on the fuzzer's
 * bytes and hold its result to the contract of formats.h.
 *
 * A violation calls abort(), which libFuzzer reports as a crash with the
 * input saved: an importer that crashes, hangs, leaks (ASan) or breaks an
 * invariant of the model is a bug, whatever the bytes were.
 */
#ifndef SG_TEST_FUZZ_COMMON_H
#define SG_TEST_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "profile/formats.h"

/* Abort unless every reference in p names an existing row and the derived
 * columns agree (stack depths, meta text fields, flags). */
void sg_fuzz_check_profile(const sg_profile *p);

/*
 * Run `import` on data. On failure: the status is negative, *out stays
 * NULL and the message is not empty. On success: the profile keeps the
 * invariants, and it exports to collapsed stacks and pprof, and the pprof
 * bytes import back (our own output must always be readable).
 */
void sg_fuzz_run_importer(sg_import_fn import, const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
