/*
 * import_chrome_trace.h — read Chrome's trace event format (the JSON that
 * chrome://tracing, Perfetto and py-spy's `-f chrometrace` use) into a
 * profile. The functions have the shapes of formats.h; the registry
 * (formats.c) names them.
 *
 * Both containers: a bare array of events, or an object whose
 * "traceEvents" holds them (other keys are ignored). An array may lack its
 * closing bracket, or be cut anywhere (a tracer killed mid-write): every
 * whole event before the cut is kept.
 *
 * Events used, per (pid, tid) track:
 *   - "B"/"E": begin/end; an "E" ends the innermost open "B" of its track
 *     (the format's rule: its name is not needed), an "E" with nothing open
 *     is ignored, and what is still open at the end closes at the track's
 *     last time;
 *   - "X": complete events (ts, dur);
 *   - "M" thread_name: the thread's name; other metadata is ignored;
 *   - "i"/"I": instant events become markers (of their thread; of none
 *     when their scope "s" is "g");
 *   - events of category "gc" (what the spyglass exporter writes for its GC
 *     track) become GC start/stop events, not stacks.
 * Everything else (counters, flows, async, samples) is ignored. ts and dur
 * are microseconds (fractions allowed). A frame is the event's name, with
 * file and line from args.filename (or args.file, args.url) and args.line
 * (or args.lineno), and args.first_line if present. Each interval between
 * two consecutive times of a track becomes one sample of the stack open
 * during it, weighted by its length in nanoseconds; samples start at the
 * earliest time in the file.
 * Events of one track are ordered by time; at equal times, "B"/"E" keep
 * file order, an "X" ending there closes before one starting there, and of
 * two "X" starting together the longer one opens first.
 */
#ifndef SG_PROFILE_IMPORT_CHROME_TRACE_H
#define SG_PROFILE_IMPORT_CHROME_TRACE_H

#include "profile/formats.h"

/* True if data is a JSON array of objects with a "ph" key, or an object
 * with a "traceEvents" key. */
bool sg_detect_chrome_trace(const uint8_t *data, size_t len);

int sg_import_chrome_trace(const uint8_t *data, size_t len, const sg_io_progress *progress,
                           sg_profile **out, char *err, size_t errlen);

#endif
