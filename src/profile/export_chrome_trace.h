/*
 * export_chrome_trace.h — write a profile as Chrome trace events (JSON
 * object form, ts in microseconds), which chrome://tracing, Perfetto and
 * speedscope open. The function has the shape of formats.h; the registry
 * (formats.c) names it.
 *
 * Each thread is a track (tid = its OS tid; a tid used by two thread rows
 * gets a fresh number for the second), named with a thread_name "M" event.
 * Its samples, in time order, become "B"/"E" spans: a frame stays open
 * while consecutive samples keep it (same stack row: same function at the
 * same line, under the same callers) and closes where it stops. A sample
 * lasts exactly its duration (see sample_timeline.h), so span lengths add
 * up to the profile's weights; the next sample starts where it ends when
 * its own time is within one such duration of that end (sampling jitter),
 * else at its own time, the track idle in between. "B" carries args {filename, line, first_line},
 * which the importer reads back. GC collections (GC start/stop event pairs) are "X" spans of
 * category "gc" on their own track named "GC"; markers are instant events ("i"), on their thread or
 * global.
 */
#ifndef SG_PROFILE_EXPORT_CHROME_TRACE_H
#define SG_PROFILE_EXPORT_CHROME_TRACE_H

#include "profile/formats.h"

int sg_export_chrome_trace(const sg_profile *p, FILE *out, const sg_io_progress *progress,
                           char *err, size_t errlen);

#endif
