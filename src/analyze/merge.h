/*
 * merge.h — several profiles merged into one new profile: every query of
 * the result sees the samples of all of them (a fleet's recordings, the
 * runs of a benchmark).
 *
 * Everything is re-interned into the new profile's tables: strings by
 * their bytes, frames by (file, name, first line) text, stacks by their
 * path of (frame, line), so a function or call path common to several
 * inputs becomes one row. Threads are kept apart: each input thread
 * becomes a thread named "<profile name>: <thread name>" (same OS tid), so
 * the timeline shows each input's threads as their own lanes and a thread
 * filter can select one input.
 *
 * Times: SG_MERGE_TIMES_KEPT (the default) keeps each profile's times
 * relative to its own start, so the recordings overlay from time 0 — what
 * comparing runs wants; SG_MERGE_TIMES_WALL shifts each by its
 * start_unix_ns minus the earliest one, so they line up on the wall clock
 * (inputs with start_unix_ns 0 are not shifted). The merged start is the
 * first input's (KEPT) or the earliest (WALL); duration the latest end.
 * Samples are appended input after input, so the merged time column is
 * not sorted: every query handles that (view.h, sample_timeline.h).
 *
 * Call statistics (pstats) merge as pstats's own `add` does: the numbers
 * of the same function (and the same edge) are summed (saturating at the
 * table's limits). Inputs must agree on what a weight is (weight_unit) and
 * either all or none carry call statistics: SG_PROFILE_EINVAL otherwise.
 * Embedded sources are copied (the first text of a file wins); events are
 * kept with their threads mapped and times shifted like the samples.
 * Metadata: mode and interval are kept when all inputs agree (else
 * unknown / 0); text fields come from the first input.
 *
 * Cost: linear in the inputs' rows; nothing recurses.
 * Ownership: *out is a new profile the caller frees with sg_profile_free.
 */
#ifndef SG_ANALYZE_MERGE_H
#define SG_ANALYZE_MERGE_H

#include <stddef.h>

#include "profile/profile.h"

enum sg_merge_times {
    SG_MERGE_TIMES_KEPT = 0, /* each input's times from its own start */
    SG_MERGE_TIMES_WALL = 1, /* shifted to line up on start_unix_ns */
};

/* Merge n >= 1 profiles. names[i] names input i's threads (NULL, or a NULL
 * entry: "profile <i+1>"). Returns SG_PROFILE_OK, SG_PROFILE_EINVAL,
 * SG_PROFILE_ENOMEM or SG_PROFILE_ELIMIT (then *out is NULL). */
int sg_merge(const sg_profile *const *profiles, const char *const *names, size_t n, int times,
             sg_profile **out);

#endif
