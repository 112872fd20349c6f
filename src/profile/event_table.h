/*
 * event_table.h — timed events beside the samples: garbage collections and
 * user markers, as columns.
 *
 * Invariants:
 *   - all columns have `count` valid entries; events keep append order.
 *   - kind is one of SG_EVENT_*; thread is a thread index or SG_THREAD_NONE;
 *     label is a string id (e.g. "gen2" for a GC, the marker's text). The
 *     profile and the .sgl reader check the references.
 *
 * Ownership: the table owns its columns; sg_events_free releases them.
 * The struct is public for reading; only the functions below change it.
 */
#ifndef SG_PROFILE_EVENT_TABLE_H
#define SG_PROFILE_EVENT_TABLE_H

#include <stddef.h>
#include <stdint.h>

enum sg_event_kind {
    SG_EVENT_GC_START = 1,
    SG_EVENT_GC_STOP = 2,
    SG_EVENT_MARKER = 3, /* a point-in-time user marker */
};
#define SG_EVENT_KIND_MAX 3

typedef struct sg_events {
    size_t count;
    size_t cap;
    uint64_t *time_ns; /* since the profile's start */
    uint8_t *kind;     /* enum sg_event_kind */
    uint32_t *thread;  /* thread index or SG_THREAD_NONE */
    uint32_t *label;   /* string id */
} sg_events;

void sg_events_init(sg_events *e);
void sg_events_free(sg_events *e);

/* Make room for `extra` more events without further allocation. */
int sg_events_reserve(sg_events *e, size_t extra);

int sg_events_append(sg_events *e, uint64_t time_ns, uint8_t kind, uint32_t thread, uint32_t label);

#endif
