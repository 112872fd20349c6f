/*
 * sample_timeline.h — the samples of each thread laid out on a time line,
 * for the exporters whose formats are per thread and in time order
 * (speedscope, Chrome trace events, Firefox Profiler).
 *
 * The model keeps samples in append order (a recorder may append thread by
 * thread, an importer file by file), so an exporter first needs each
 * thread's samples sorted by time; and it needs a duration per sample,
 * which the model does not store but derives from the weight unit.
 *
 * Invariants of a built timeline:
 *   - index[start[t] .. start[t+1]) are the sample indexes of thread t,
 *     ordered by time; samples with equal times keep append order, so the
 *     same profile always gives the same output.
 *   - start has threads.count + 1 entries; start[threads.count] = samples.
 *
 * Ownership: sg_timeline_build allocates index and start;
 * sg_timeline_free releases them.
 */
#ifndef SG_PROFILE_SAMPLE_TIMELINE_H
#define SG_PROFILE_SAMPLE_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"

#define SG_TIMELINE_DEFAULT_NS 1000000u /* a sample of unknown length: 1 ms */

typedef struct sg_timeline {
    uint32_t *index; /* sample indexes, grouped by thread, each group in time order */
    size_t *start;   /* threads.count + 1 group boundaries */
} sg_timeline;

/* Group and sort. SG_PROFILE_ELIMIT beyond UINT32_MAX samples. */
int sg_timeline_build(const sg_profile *p, sg_timeline *t);
void sg_timeline_free(sg_timeline *t);

/* How long sample i stands for, in nanoseconds (never 0): its weight when
 * weights are nanoseconds, weight × the sampling interval for sample counts
 * (SG_TIMELINE_DEFAULT_NS when the interval is unknown), and
 * SG_TIMELINE_DEFAULT_NS per unit otherwise. Saturates at UINT64_MAX / 4. */
uint64_t sg_timeline_duration(const sg_profile *p, size_t i);

/*
 * Where sample i starts when laid out after a previous sample ending at
 * *cursor: at its own time, or at *cursor if that is later (imported
 * profiles without times, or overlapping weights, are laid end to end).
 * Advances *cursor to the sample's end.
 */
uint64_t sg_timeline_place(const sg_profile *p, size_t i, uint64_t *cursor);

#endif
