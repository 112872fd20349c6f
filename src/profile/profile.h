/*
 * profile.h — one profile: the tables of src/profile and its metadata.
 *
 * This is the model every stage shares: the recorder fills it, the .sgl
 * writer streams it out, the reader and the importers rebuild it, the
 * analyzer and the exporters read it. It is tables, not trees of objects:
 * samples point at stack rows, stack rows at frames, frames at strings.
 * Samples are always time (or samples, or calls: meta.weight_unit); exact
 * call statistics (pstats's cc, nc, tt, ct per function and per edge) live
 * in their own optional table, callstats, empty for sampled profiles.
 *
 * Invariants (kept by the helpers below and checked by the .sgl reader):
 *   - every table only grows; rows are never changed or removed, so a
 *     streaming writer only needs to remember how many rows it has sent.
 *   - every reference names an existing row: string ids < strings.count,
 *     frame ids < frames.count, stack ids < stacks.count (or SG_STACK_NONE
 *     for a sample), thread indexes < threads.count (or SG_THREAD_NONE for
 *     an event), callstats rows name frames < frames.count. Code that
 *     appends through the tables directly keeps this itself;
 *     sg_profile_add_sample checks it.
 *   - metadata fields that hold text are string ids (0 = unknown).
 *
 * Ownership: sg_profile_new returns a profile the caller owns and releases
 * with sg_profile_free, which frees every table. Not thread-safe: one
 * thread (or one lock) at a time.
 */
#ifndef SG_PROFILE_PROFILE_H
#define SG_PROFILE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/callstats_table.h"
#include "profile/event_table.h"
#include "profile/frame_table.h"
#include "profile/sample_table.h"
#include "profile/source_table.h"
#include "profile/stack_table.h"
#include "profile/status.h"
#include "profile/string_table.h"
#include "profile/thread_table.h"

/* What the sampler measured: wall-clock time or CPU time. */
enum sg_mode {
    SG_MODE_UNKNOWN = 0,
    SG_MODE_WALL = 1,
    SG_MODE_CPU = 2,
};

/* What a sample's weight counts. A recorder writes 1 per sample; importers
 * of other formats keep what the source measured. */
enum sg_weight_unit {
    SG_WEIGHT_SAMPLES = 0,
    SG_WEIGHT_NANOSECONDS = 1,
    SG_WEIGHT_CALLS = 2,
};
#define SG_WEIGHT_UNIT_MAX 2

typedef struct sg_meta {
    uint32_t command;          /* string id: the command line, as the user typed it */
    uint32_t python_version;   /* string id, e.g. "3.12.4" */
    uint32_t host;             /* string id: host name */
    uint32_t spyglass_version; /* string id: version of the recorder, e.g. "0.1.0" */
    uint64_t pid;              /* process id of the profiled program */
    uint64_t start_unix_ns;    /* wall-clock time of time 0, ns since the Unix epoch */
    uint64_t interval_ns;      /* sampling interval (rate = 1e9 / interval_ns), 0 = n/a */
    uint8_t mode;              /* enum sg_mode */
    uint8_t weight_unit;       /* enum sg_weight_unit */
    bool has_stacks;           /* false for profiles without call stacks (pstats) */
    /* Final statistics, known when the recording ends (0 until then). */
    uint64_t duration_ns;    /* length of the recording */
    uint64_t samples_missed; /* sampling deadlines the recorder could not meet */
} sg_meta;

typedef struct sg_profile {
    sg_strings strings;
    sg_frames frames;
    sg_stacks stacks;
    sg_samples samples;
    sg_threads threads;
    sg_events events;
    sg_sources sources;
    sg_callstats callstats; /* exact call statistics (pstats); empty when sampled */
    sg_meta meta;
} sg_profile;

/* A new empty profile (has_stacks = true, weight unit = samples), or NULL
 * if memory ran out. */
sg_profile *sg_profile_new(void);
/* Free the profile and all its tables. NULL is allowed. */
void sg_profile_free(sg_profile *p);

/* Intern a frame from its text: both strings and the frame row. */
int sg_profile_intern_frame(sg_profile *p, const char *file, size_t file_len, const char *name,
                            size_t name_len, uint32_t first_line, uint32_t *frame_out);

/* Intern a thread from its text name (NUL-terminated, NULL = ""). */
int sg_profile_intern_thread(sg_profile *p, uint64_t tid, const char *name, uint32_t *index_out);

/* Append a sample after checking that thread and stack exist
 * (SG_PROFILE_EINVAL if not). */
int sg_profile_add_sample(sg_profile *p, uint64_t time_ns, uint32_t thread, uint32_t stack,
                          uint8_t flags, uint32_t weight);

/* Append an event after checking its references. */
int sg_profile_add_event(sg_profile *p, uint64_t time_ns, uint8_t kind, uint32_t thread,
                         const char *label);

/* Set a text metadata field (one of &p->meta.command, .host, ...) from a
 * NUL-terminated string. */
int sg_profile_set_meta_text(sg_profile *p, uint32_t *field, const char *text);

#endif
