/*
 * profile.c — creating and freeing a profile, and the checked helpers that
 * add rows by text (see profile.h).
 */
#include "profile/profile.h"

#include <stdlib.h>
#include <string.h>

sg_profile *sg_profile_new(void)
{
    sg_profile *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    if (sg_strings_init(&p->strings) != 0) {
        free(p);
        return NULL;
    }
    sg_frames_init(&p->frames);
    sg_stacks_init(&p->stacks);
    sg_samples_init(&p->samples);
    sg_threads_init(&p->threads);
    sg_events_init(&p->events);
    sg_sources_init(&p->sources);
    sg_callstats_init(&p->callstats);
    p->meta.has_stacks = true;
    p->meta.weight_unit = SG_WEIGHT_SAMPLES;
    return p;
}

void sg_profile_free(sg_profile *p)
{
    if (p == NULL)
        return;
    sg_strings_free(&p->strings);
    sg_frames_free(&p->frames);
    sg_stacks_free(&p->stacks);
    sg_samples_free(&p->samples);
    sg_threads_free(&p->threads);
    sg_events_free(&p->events);
    sg_sources_free(&p->sources);
    sg_callstats_free(&p->callstats);
    free(p);
}

int sg_profile_intern_frame(sg_profile *p, const char *file, size_t file_len, const char *name,
                            size_t name_len, uint32_t first_line, uint32_t *frame_out)
{
    uint32_t file_id, name_id;
    int rc = sg_strings_intern(&p->strings, file, file_len, &file_id);
    if (rc == 0)
        rc = sg_strings_intern(&p->strings, name, name_len, &name_id);
    if (rc == 0)
        rc = sg_frames_intern(&p->frames, file_id, name_id, first_line, frame_out);
    return rc;
}

int sg_profile_intern_thread(sg_profile *p, uint64_t tid, const char *name, uint32_t *index_out)
{
    uint32_t name_id;
    int rc = sg_strings_intern_cstr(&p->strings, name != NULL ? name : "", &name_id);
    if (rc == 0)
        rc = sg_threads_intern(&p->threads, tid, name_id, index_out);
    return rc;
}

int sg_profile_add_sample(sg_profile *p, uint64_t time_ns, uint32_t thread, uint32_t stack,
                          uint8_t flags, uint32_t weight)
{
    if (thread >= p->threads.count || (stack != SG_STACK_NONE && stack >= p->stacks.count))
        return SG_PROFILE_EINVAL;
    return sg_samples_append(&p->samples, time_ns, thread, stack, flags, weight);
}

int sg_profile_add_event(sg_profile *p, uint64_t time_ns, uint8_t kind, uint32_t thread,
                         const char *label)
{
    if (kind == 0 || kind > SG_EVENT_KIND_MAX ||
        (thread != SG_THREAD_NONE && thread >= p->threads.count))
        return SG_PROFILE_EINVAL;
    uint32_t label_id;
    int rc = sg_strings_intern_cstr(&p->strings, label != NULL ? label : "", &label_id);
    if (rc == 0)
        rc = sg_events_append(&p->events, time_ns, kind, thread, label_id);
    return rc;
}

int sg_profile_set_meta_text(sg_profile *p, uint32_t *field, const char *text)
{
    return sg_strings_intern_cstr(&p->strings, text != NULL ? text : "", field);
}
