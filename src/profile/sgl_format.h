/*
 * sgl_format.h — the constants of the .sgl format shared by its writer and
 * reader (internal). docs/format.md is the specification; this file only
 * names its numbers, and the two must change together (bump
 * SG_SGL_VERSION for anything an old reader would misread).
 */
#ifndef SG_PROFILE_SGL_FORMAT_H
#define SG_PROFILE_SGL_FORMAT_H

#include <stdint.h>

/* File header: magic[8], u16 version, u16 flags, u32 crc32c(bytes 0..11). */
#define SG_SGL_MAGIC            "\x89SGL\r\n\x1a\n"
#define SG_SGL_MAGIC_LEN        8
#define SG_SGL_FILE_HEADER_SIZE 16
#define SG_SGL_VERSION          1

/* Chunk header: magic[4], u32 compressed size, u32 raw size, u32 crc32c of
 * the payload, u32 crc32c of header bytes 0..15. */
#define SG_SGL_CHUNK_MAGIC       "SGLC"
#define SG_SGL_CHUNK_HEADER_SIZE 20

/* Limits a reader enforces before it trusts a length. */
#define SG_SGL_MAX_CHUNK_RAW   (64u << 20) /* decompressed bytes per chunk */
#define SG_SGL_MAX_STRING      (16u << 20) /* bytes per string */
#define SG_SGL_MAX_SOURCE      (16u << 20) /* bytes per source text */
#define SG_SGL_ZSTD_WINDOW_LOG 23          /* largest zstd window a reader accepts */

/* Writer tuning (not part of the format: a reader accepts any split). */
#define SG_SGL_CHUNK_TARGET    (1u << 20) /* start a new chunk past this many raw bytes */
#define SG_SGL_RECORD_MAX_ROWS 65536u     /* rows per table record */

/* Record types. Types 0x40..0x7f are optional: a reader skips those it does
 * not know (CALLSTATS is one: a reader without it still reads every sample
 * right). Any other unknown type is an error. */
enum sg_sgl_record {
    SG_SGL_REC_STRINGS = 0x01,
    SG_SGL_REC_FRAMES = 0x02,
    SG_SGL_REC_STACKS = 0x03,
    SG_SGL_REC_THREADS = 0x04,
    SG_SGL_REC_SAMPLES = 0x05,
    SG_SGL_REC_EVENTS = 0x06,
    SG_SGL_REC_SOURCE = 0x07,
    SG_SGL_REC_META = 0x08,
    SG_SGL_REC_END = 0x09,
    SG_SGL_REC_CALLSTATS = 0x40, /* optional: exact call statistics (callstats_table.h) */
};
#define SG_SGL_REC_OPTIONAL_MIN 0x40
#define SG_SGL_REC_OPTIONAL_MAX 0x7f

/* Keys of a META record; every value is one varint. */
enum sg_sgl_meta_key {
    SG_SGL_META_COMMAND = 1, /* string id */
    SG_SGL_META_PYTHON_VERSION = 2,
    SG_SGL_META_HOST = 3,
    SG_SGL_META_SPYGLASS_VERSION = 4,
    SG_SGL_META_PID = 5,
    SG_SGL_META_START_UNIX_NS = 6,
    SG_SGL_META_INTERVAL_NS = 7,
    SG_SGL_META_MODE = 8,
    SG_SGL_META_WEIGHT_UNIT = 9,
    SG_SGL_META_HAS_STACKS = 10,
    SG_SGL_META_DURATION_NS = 11,
    SG_SGL_META_SAMPLES_MISSED = 12,
};

#endif
