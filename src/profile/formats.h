/*
 * formats.h — every profile format spyglass reads or writes, behind one
 * interface: detect by content, import bytes into a profile, export a
 * profile to a stream.
 *
 * Each format lives in its own import_<fmt>.c / export_<fmt>.c with
 * functions of the shapes below; formats.c holds the table that names them
 * and picks one by content (never by file extension alone).
 *
 * Contracts every importer keeps (their fuzz targets check them):
 *   - the input is untrusted: no crash, hang or unbounded allocation on any
 *     bytes; memory stays within a small multiple of the input size;
 *   - on failure it returns a negative status, fills err with what was wrong
 *     and where (byte offset, line, or JSON path), and leaves *out NULL;
 *   - on success *out is a new profile the caller owns (sg_profile_free).
 * Exporters write a complete file or return an error with err filled.
 */
#ifndef SG_PROFILE_FORMATS_H
#define SG_PROFILE_FORMATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"

/* Progress of a long import or export: `done` of `total` units (bytes for
 * importers, samples for exporters); called at most a few times a second. */
typedef struct sg_io_progress {
    void (*report)(void *ctx, uint64_t done, uint64_t total);
    void *ctx;
} sg_io_progress;

typedef bool (*sg_detect_fn)(const uint8_t *data, size_t len);
typedef int (*sg_import_fn)(const uint8_t *data, size_t len, const sg_io_progress *progress,
                            sg_profile **out, char *err, size_t errlen);
typedef int (*sg_export_fn)(const sg_profile *p, FILE *out, const sg_io_progress *progress,
                            char *err, size_t errlen);

typedef struct sg_format {
    const char *name;      /* "sgl", "pstats", "collapsed", "speedscope", ... */
    const char *extension; /* default file extension for output, e.g. ".json" */
    sg_detect_fn detect;   /* NULL: never detected (must be named) */
    sg_import_fn import;   /* NULL: cannot be read */
    sg_export_fn export_;  /* NULL: cannot be written */
} sg_format;

/* The format called `name`, or NULL. */
const sg_format *sg_format_by_name(const char *name);

/* The format whose detector accepts `data`, or NULL. Detectors are tried
 * from the most specific (binary magic) to the most lenient (collapsed). */
const sg_format *sg_format_detect(const uint8_t *data, size_t len);

/* All formats, for help texts: *count receives how many. */
const sg_format *sg_formats_all(size_t *count);

/* Reads a whole file (or "-" for stdin), detects its format and imports it.
 * `format` may force one by name (NULL: detect). */
int sg_profile_load(const char *path, const char *format, const sg_io_progress *progress,
                    sg_profile **out, char *err, size_t errlen);

#endif
