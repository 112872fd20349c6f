/*
 * format_list.h — the functions behind the format table of formats.c, one
 * detect/import/export triple per format file (import_<fmt>.c,
 * export_<fmt>.c), each with the shapes of formats.h. Only formats.c and
 * tests call these directly; everything else goes through the table.
 */
#ifndef SG_PROFILE_FORMAT_LIST_H
#define SG_PROFILE_FORMAT_LIST_H

#include "profile/formats.h"

/* .sgl (sgl_reader.c, sgl_writer.c; wrapped in formats.c) */
bool sg_detect_sgl(const uint8_t *data, size_t len);
int sg_import_sgl(const uint8_t *data, size_t len, const sg_io_progress *progress, sg_profile **out,
                  char *err, size_t errlen);
int sg_export_sgl(const sg_profile *p, FILE *out, const sg_io_progress *progress, char *err,
                  size_t errlen);

/* pstats: the marshal dump of cProfile / profile / pstats */
bool sg_detect_pstats(const uint8_t *data, size_t len);
int sg_import_pstats(const uint8_t *data, size_t len, const sg_io_progress *progress,
                     sg_profile **out, char *err, size_t errlen);
int sg_export_pstats(const sg_profile *p, FILE *out, const sg_io_progress *progress, char *err,
                     size_t errlen);

/* collapsed stacks (export: export_collapsed.h, wrapped in formats.c) */
bool sg_detect_collapsed(const uint8_t *data, size_t len);
int sg_import_collapsed(const uint8_t *data, size_t len, const sg_io_progress *progress,
                        sg_profile **out, char *err, size_t errlen);
int sg_export_collapsed_format(const sg_profile *p, FILE *out, const sg_io_progress *progress,
                               char *err, size_t errlen);

/* speedscope JSON */
bool sg_detect_speedscope(const uint8_t *data, size_t len);
int sg_import_speedscope(const uint8_t *data, size_t len, const sg_io_progress *progress,
                         sg_profile **out, char *err, size_t errlen);
int sg_export_speedscope(const sg_profile *p, FILE *out, const sg_io_progress *progress, char *err,
                         size_t errlen);

/* Chrome trace events JSON */
bool sg_detect_chrome_trace(const uint8_t *data, size_t len);
int sg_import_chrome_trace(const uint8_t *data, size_t len, const sg_io_progress *progress,
                           sg_profile **out, char *err, size_t errlen);
int sg_export_chrome_trace(const sg_profile *p, FILE *out, const sg_io_progress *progress,
                           char *err, size_t errlen);

/* Firefox Profiler, processed format (export only) */
int sg_export_firefox(const sg_profile *p, FILE *out, const sg_io_progress *progress, char *err,
                      size_t errlen);

/* pprof (gzipped protobuf) */
bool sg_detect_pprof(const uint8_t *data, size_t len);
int sg_import_pprof(const uint8_t *data, size_t len, const sg_io_progress *progress,
                    sg_profile **out, char *err, size_t errlen);
int sg_export_pprof(const sg_profile *p, FILE *out, const sg_io_progress *progress, char *err,
                    size_t errlen);

#endif
