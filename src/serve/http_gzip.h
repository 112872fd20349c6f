/*
 * http_gzip.h — HTTP content coding for answers: whether a request's
 * Accept-Encoding takes gzip, and the gzip (RFC 1952) bytes of an answer.
 *
 * Why: the largest answers (a whole-profile timeline is megabytes of
 * digits and commas) shrink about eightfold, and every browser asks for
 * gzip. Answers are compressed once and kept beside the plain bytes in
 * the answer cache (answer_cache.h, sg_acache_gzip), so a repeated
 * question costs no compression.
 *
 * Invariants: sg_http_accepts_gzip reads any bytes (the header is
 * untrusted) without writing or reading past the NUL; sg_gzip_compress
 * never returns output that is not smaller than its input.
 * Ownership: *out is malloc'd, the caller frees it.
 */
#ifndef SG_SERVE_HTTP_GZIP_H
#define SG_SERVE_HTTP_GZIP_H

#include <stdbool.h>
#include <stddef.h>

/* Answers smaller than this go plain: the gzip header and trailer (18
 * bytes) and the Content-Encoding header eat what little it would save. */
#define SG_GZIP_MIN_BYTES 1024

/*
 * True when the Accept-Encoding value `header` (NULL: absent) accepts
 * gzip: a `gzip`, `x-gzip` or `*` coding whose q-value is not 0 (RFC 9110
 * 12.5.3; an explicit gzip;q=0 wins over `*`). Case-insensitive.
 */
bool sg_http_accepts_gzip(const char *header);

/*
 * The gzip bytes of data[0..len) in *out (*out_len bytes). 0 on success;
 * -1 when out of memory or when gzip would not be smaller (send plain).
 * Large inputs use the fastest level (it runs on a request's path), small
 * ones a stronger one that costs them little.
 */
int sg_gzip_compress(const char *data, size_t len, char **out, size_t *out_len);

#endif
