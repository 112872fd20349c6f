/*
 * event_table.c — columnar timed events (see event_table.h).
 */
#include "profile/event_table.h"

#include <stdlib.h>
#include <string.h>

#include "profile/grow.h"
#include "profile/status.h"

void sg_events_init(sg_events *e)
{
    memset(e, 0, sizeof *e);
}

void sg_events_free(sg_events *e)
{
    free(e->time_ns);
    free(e->kind);
    free(e->thread);
    free(e->label);
    memset(e, 0, sizeof *e);
}

int sg_events_reserve(sg_events *e, size_t extra)
{
    if (extra > SIZE_MAX - e->count)
        return SG_PROFILE_ELIMIT;
    size_t need = e->count + extra;
    if (need <= e->cap)
        return SG_PROFILE_OK;
    size_t cap = sg_grow_capacity(e->cap, need, 64, SIZE_MAX / sizeof(uint64_t));
    if (cap == 0)
        return SG_PROFILE_ELIMIT;
    int rc;
    if ((rc = sg_grow_array((void **)&e->time_ns, cap, sizeof *e->time_ns)) != 0 ||
        (rc = sg_grow_array((void **)&e->kind, cap, sizeof *e->kind)) != 0 ||
        (rc = sg_grow_array((void **)&e->thread, cap, sizeof *e->thread)) != 0 ||
        (rc = sg_grow_array((void **)&e->label, cap, sizeof *e->label)) != 0)
        return rc;
    e->cap = cap;
    return SG_PROFILE_OK;
}

int sg_events_append(sg_events *e, uint64_t time_ns, uint8_t kind, uint32_t thread, uint32_t label)
{
    if (e->count == e->cap) {
        int rc = sg_events_reserve(e, 1);
        if (rc != 0)
            return rc;
    }
    size_t i = e->count;
    e->time_ns[i] = time_ns;
    e->kind[i] = kind;
    e->thread[i] = thread;
    e->label[i] = label;
    e->count = i + 1;
    return SG_PROFILE_OK;
}
