/*
 * import_speedscope.h — read speedscope's JSON file format
 * (https://www.speedscope.app/file-format-schema.json) into a profile. The
 * functions have the shapes of formats.h; the registry (formats.c) names
 * them.
 *
 * What is read:
 *   - shared.frames: {name, file?, line?, col?}. A speedscope frame becomes
 *     a frame (file, name, first line unknown) plus the line shown with it,
 *     which goes into the stack rows: py-spy and spyglass both write the
 *     line executing there, so per-line frames come back as they left.
 *   - profiles[]: one thread each. "sampled" profiles (samples: frame
 *     indexes root first, weights) and "evented" ones (O/C events at
 *     non-decreasing times; each interval between two events is one sample
 *     of the stack open during it, weighted by its length).
 *   - units: a time unit gives nanosecond weights; "none" and "bytes" give
 *     plain counts. The first profile with a known unit decides the kind;
 *     later profiles of the other kind (austin's memory profiles beside its
 *     time profiles) are left out, as the model has one weight unit.
 *   - thread identity from the profile name when it reads like py-spy's and
 *     spyglass's `Thread TID "NAME"`; otherwise the whole name, and the
 *     profile's index as tid.
 * Tolerated: keys in any order (py-spy writes profiles before shared),
 * null for optional fields, unknown keys, a close event for a frame that is
 * not the innermost open one (frames above it are closed too) or not open
 * at all (ignored), frames still open at the end (closed at the last event),
 * times that step back (held at the latest time), negative weights (no
 * sample). Refused with the JSON path: wrong types, frame indexes out of
 * range, samples and weights of different lengths.
 */
#ifndef SG_PROFILE_IMPORT_SPEEDSCOPE_H
#define SG_PROFILE_IMPORT_SPEEDSCOPE_H

#include "profile/formats.h"

/* True if data is a JSON object that names speedscope's schema. */
bool sg_detect_speedscope(const uint8_t *data, size_t len);

int sg_import_speedscope(const uint8_t *data, size_t len, const sg_io_progress *progress,
                         sg_profile **out, char *err, size_t errlen);

#endif
