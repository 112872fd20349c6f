/*
 * inproc_append.h — copying profiles for the in-process sampler: the rows of
 * one profile appended to another (a snapshot of the live recording, the
 * windows of a rolling history merged into one), and the source text of
 * the files a profile names, read from this process's own file system.
 *
 * Unlike src/analyze/merge.h, threads keep their identity: a thread seen in
 * several windows of one recording is one thread (same tid and name) in the
 * result, and times are kept as they are (every window of a recording
 * shares the recording's clock).
 *
 * Ownership: nothing is kept; `out` is the caller's. Not thread-safe: the
 * caller holds whatever lock guards `in`.
 */
#ifndef SG_PY_INPROC_APPEND_H
#define SG_PY_INPROC_APPEND_H

#include <stdint.h>

#include "profile/profile.h"

/* Appends `in`'s samples and events with time in [t0, t1) to `out`,
 * interning what they refer to. Returns a profile status (0 = ok). */
int sg_inproc_append(sg_profile *out, const sg_profile *in, uint64_t t0, uint64_t t1);

/* Embeds the text of every file a frame of `p` names (up to the profile's
 * source cap; unreadable files are skipped). */
void sg_inproc_embed_sources(sg_profile *p);

#endif
