/*
 * export_firefox.h — write a profile in the Firefox Profiler's *processed*
 * profile format (the JSON that profiler.firefox.com loads from a file).
 * The function has the shape of formats.h; the registry (formats.c) names
 * it.
 *
 * Version: preprocessedProfileVersion 60 (meta.version, the Gecko version
 * of that time, 33). 60 is the first version whose stack, frame, function
 * and source tables live in `shared`, which is how the model is built (one
 * stack table for every thread); the profiler upgrades any older version
 * on load, so it opens in the deployed profiler (at 69 when this was
 * written) and in its main branch (70), whose upgraders add what later
 * versions changed (source ids, prefix offsets, frame libs).
 *
 * The mapping:
 *   - shared.stringArray: the profile's strings, same ids, then a few of
 *     the exporter's own ("GC");
 *   - funcTable: one row per frame (name, source = its file, lineNumber =
 *     first line); frameTable: one row per (frame, line executing) pair,
 *     category Python; stackTable: the stack table row for row (prefix =
 *     parent), which is already in topological order;
 *   - threads: every thread with samples or events, samples in time order
 *     (time in ms from meta.startTime; a sample without times is laid
 *     after the previous one), weights as counts ("samples") or, for
 *     nanosecond weights, milliseconds ("tracing-ms");
 *   - markers: GC collections as interval markers (category GC) on the
 *     thread that collected (or the first thread), user markers as instant
 *     markers.
 */
#ifndef SG_PROFILE_EXPORT_FIREFOX_H
#define SG_PROFILE_EXPORT_FIREFOX_H

#include "profile/formats.h"

#define SG_FIREFOX_PROCESSED_VERSION 60
#define SG_FIREFOX_GECKO_VERSION     33

int sg_export_firefox(const sg_profile *p, FILE *out, const sg_io_progress *progress, char *err,
                      size_t errlen);

#endif
