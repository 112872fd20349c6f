/*
 * sample_table.h — the samples, as columns (one growable array per field).
 *
 * A sample is (time, thread, stack, flags, weight). Columns rather than an
 * array of structs, because every query reads one or two fields of many
 * samples (all stacks, all times), and columns delta-encode and compress well.
 *
 * Invariants:
 *   - all five columns have `count` valid entries (and room for `cap`).
 *   - samples are kept in the order they were appended; times are usually but
 *     not necessarily non-decreasing (a recorder may append per thread).
 *   - thread and stack are not checked here: the profile and the .sgl reader
 *     check that they name existing rows (stack may be SG_STACK_NONE: a
 *     sample of a thread with no Python frame).
 *
 * Ownership: the table owns its columns; sg_samples_free releases them.
 * The struct is public for reading; only the functions below change it.
 */
#ifndef SG_PROFILE_SAMPLE_TABLE_H
#define SG_PROFILE_SAMPLE_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* Sample flags: the state of the thread when it was sampled. */
#define SG_SAMPLE_ON_CPU    0x01u /* running on a CPU (not waiting) */
#define SG_SAMPLE_HOLDS_GIL 0x02u /* holding the GIL */
#define SG_SAMPLE_IDLE      0x04u /* in a known idle/wait call (sleep, select, lock) */
#define SG_SAMPLE_ALL_FLAGS 0x07u /* the flags this version defines */

typedef struct sg_samples {
    size_t count;
    size_t cap;
    uint64_t *time_ns; /* since the profile's start (sg_meta.start_unix_ns) */
    uint32_t *thread;  /* thread index (thread_table.h) */
    uint32_t *stack;   /* stack id (stack_table.h) or SG_STACK_NONE */
    uint8_t *flags;    /* SG_SAMPLE_* bits */
    uint32_t *weight;  /* 1 for a plain sample; see sg_meta.weight_unit */
} sg_samples;

void sg_samples_init(sg_samples *s);
void sg_samples_free(sg_samples *s);

/* Make room for `extra` more samples without further allocation. */
int sg_samples_reserve(sg_samples *s, size_t extra);

/* Append one sample. Amortised O(1); allocates only when the columns grow. */
int sg_samples_append(sg_samples *s, uint64_t time_ns, uint32_t thread, uint32_t stack,
                      uint8_t flags, uint32_t weight);

#endif
