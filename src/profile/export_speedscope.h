/*
 * export_speedscope.h — write a profile in speedscope's JSON file format
 * (https://www.speedscope.app/file-format-schema.json). The function has
 * the shape of formats.h; the registry (formats.c) names it.
 *
 * One "sampled" profile per thread that has samples, named
 * `Thread TID "NAME"` as py-spy names them (the importer reads the tid and
 * name back). Samples are in time order with identical consecutive stacks
 * merged into one weighted sample, so a steady recording stays small.
 * A speedscope frame is a (function, line executing) pair, as py-spy
 * writes them: name, file and line. Units: sample counts of a recording
 * with a known interval become "nanoseconds" (count × interval), so
 * speedscope shows time; nanosecond weights stay "nanoseconds"; counts
 * without an interval, and call counts, are "none". The profile with the
 * most weight is the one speedscope opens first.
 */
#ifndef SG_PROFILE_EXPORT_SPEEDSCOPE_H
#define SG_PROFILE_EXPORT_SPEEDSCOPE_H

#include "profile/formats.h"

int sg_export_speedscope(const sg_profile *p, FILE *out, const sg_io_progress *progress, char *err,
                         size_t errlen);

#endif
