/*
 * sgl.h — the .sgl file: spyglass's own profile format (docs/format.md).
 *
 * A file is a 16-byte header and then chunks; each chunk is one compressed,
 * checksummed batch of records (new strings, frames, stacks, threads,
 * samples, events, source text, call statistics, metadata). The writer
 * streams: each flush appends one or more whole chunks holding only the
 * rows added to the profile since the previous flush, each written with a
 * single write(), so a recorder killed at any moment leaves a file whose
 * complete chunks all read back and at most one torn chunk at the end.
 *
 * The reader trusts nothing: it checks every length against what is left,
 * every checksum, and every reference against the rows read so far, and
 * reports the first problem with its byte offset. A torn last chunk is not
 * an error (unless asked): the profile holds every complete chunk and the
 * info says where the tail was cut.
 */
#ifndef SG_PROFILE_SGL_H
#define SG_PROFILE_SGL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"

/* ---- writing ---------------------------------------------------------- */

typedef struct sg_sgl_writer sg_sgl_writer; /* opaque */

typedef struct sg_sgl_writer_options {
    int zstd_level;              /* 0 = default (3) */
    uint64_t time_resolution_ns; /* times are stored in these units; 0 = default (1000 = 1 us).
                                    1 keeps nanoseconds exactly. */
    bool fsync;                  /* fsync after every flush (off by default) */
    bool no_sources;             /* leave source text out of the file */
} sg_sgl_writer_options;

/*
 * Create (or truncate) `path` and write the file header. opts may be NULL
 * for the defaults. On failure returns a status, *out is NULL and err
 * (if not NULL) holds a message naming the path and the cause.
 * The writer owns its descriptor; sg_sgl_writer_close frees everything.
 */
int sg_sgl_writer_open(const char *path, const sg_sgl_writer_options *opts, sg_sgl_writer **out,
                       char *err, size_t errlen);

/* Same, on a descriptor the caller opened (a pipe works too). The writer
 * does not close fd. */
int sg_sgl_writer_open_fd(int fd, const sg_sgl_writer_options *opts, sg_sgl_writer **out, char *err,
                          size_t errlen);

/*
 * Append the rows `p` gained since the previous flush (first call: all of
 * them). Always pass the same profile. Writes nothing when nothing changed.
 * After an error the writer is unusable (the file ends at the last whole
 * chunk); sg_sgl_writer_error says what happened.
 */
int sg_sgl_writer_flush(sg_sgl_writer *w, const sg_profile *p);

/* Flush what is left, write the final metadata and the end record, and free
 * the writer (also on error). w may be NULL. p may be NULL to abandon the
 * file without an end record. */
int sg_sgl_writer_close(sg_sgl_writer *w, const sg_profile *p, char *err, size_t errlen);

/* The message of the last error ("" if none). */
const char *sg_sgl_writer_error(const sg_sgl_writer *w);

/* Bytes written so far (header and chunks). */
uint64_t sg_sgl_writer_bytes(const sg_sgl_writer *w);

/* ---- reading ---------------------------------------------------------- */

#define SG_SGL_READ_STRICT 1u /* a torn tail is an error too */

typedef struct sg_sgl_read_info {
    uint64_t chunks; /* whole chunks loaded */
    bool complete;   /* the end record was seen: the writer closed the file */
    bool truncated;  /* the file ends inside a chunk (a torn tail) */
    uint64_t
        truncated_at; /* if truncated: offset of the torn chunk; bytes from here on are ignored */
} sg_sgl_read_info;

/*
 * Read a whole .sgl file into a new profile (*out, owned by the caller).
 * info may be NULL. On failure returns a status (SG_PROFILE_EFORMAT for a
 * bad file), *out is NULL, and err holds e.g.
 * "offset 1234: chunk checksum mismatch".
 */
int sg_sgl_read_file(const char *path, unsigned flags, sg_profile **out, sg_sgl_read_info *info,
                     char *err, size_t errlen);

/* Same, from memory. */
int sg_sgl_read_buffer(const void *data, size_t len, unsigned flags, sg_profile **out,
                       sg_sgl_read_info *info, char *err, size_t errlen);

/* True if `data` starts like a .sgl file (for detecting a format by content). */
bool sg_sgl_detect(const void *data, size_t len);

#endif
