/*
 * inproc_append.c — profile rows into another profile; see inproc_append.h.
 *
 * One forward pass per table, as src/analyze/merge.c does: strings are
 * mapped lazily through their text, frames and stack rows in id order
 * (a row's parent comes before it), then samples and events are copied
 * through the maps. Stack rows are mapped only when a copied sample needs
 * them, so a short range of a long recording stays small.
 */
#include "inproc_append.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UNSET              UINT32_MAX
#define USED               (UINT32_MAX - 1) /* a stack row to map */
#define SG_SOURCE_FILE_MAX (2u << 20)       /* bytes of one embedded file, as the recorder */

typedef struct maps {
    uint32_t *string, *frame, *stack, *thread;
} maps;

static int map_string(sg_profile *out, const sg_profile *in, maps *m, uint32_t id, uint32_t *res)
{
    if (m->string[id] == UNSET) {
        int rc = sg_strings_intern(&out->strings, sg_strings_get(&in->strings, id),
                                   sg_strings_len(&in->strings, id), &m->string[id]);
        if (rc != 0)
            return rc;
    }
    *res = m->string[id];
    return SG_PROFILE_OK;
}

static int map_frame(sg_profile *out, const sg_profile *in, maps *m, uint32_t f, uint32_t *res)
{
    if (m->frame[f] == UNSET) {
        const sg_frame *fr = &in->frames.rows[f];
        uint32_t file, name;
        int rc = map_string(out, in, m, fr->file, &file);
        if (rc == 0)
            rc = map_string(out, in, m, fr->name, &name);
        if (rc == 0)
            rc = sg_frames_intern(&out->frames, file, name, fr->first_line, &m->frame[f]);
        if (rc != 0)
            return rc;
    }
    *res = m->frame[f];
    return SG_PROFILE_OK;
}

/* Marks the rows the copied samples use (and their ancestors), then maps
 * the marked rows in id order: parents first, nothing recurses. */
static int map_stacks(sg_profile *out, const sg_profile *in, maps *m, uint64_t t0, uint64_t t1)
{
    const sg_samples *s = &in->samples;
    for (size_t i = 0; i < s->count; i++)
        if (s->time_ns[i] >= t0 && s->time_ns[i] < t1 && s->stack[i] != SG_STACK_NONE)
            m->stack[s->stack[i]] = USED;
    for (uint32_t r = in->stacks.count; r-- > 0;)
        if (m->stack[r] == USED && in->stacks.rows[r].parent != SG_STACK_NONE)
            m->stack[in->stacks.rows[r].parent] = USED;
    for (uint32_t r = 0; r < in->stacks.count; r++) {
        if (m->stack[r] != USED)
            continue;
        const sg_stack_row *row = &in->stacks.rows[r];
        uint32_t parent = row->parent == SG_STACK_NONE ? SG_STACK_NONE : m->stack[row->parent];
        uint32_t frame;
        int rc = map_frame(out, in, m, row->frame, &frame);
        if (rc == 0)
            rc = sg_stacks_intern(&out->stacks, parent, frame, row->line, &m->stack[r]);
        if (rc != 0)
            return rc;
    }
    return SG_PROFILE_OK;
}

static int map_threads(sg_profile *out, const sg_profile *in, maps *m)
{
    for (uint32_t t = 0; t < in->threads.count; t++) {
        int rc = sg_profile_intern_thread(out, in->threads.tid[t],
                                          sg_strings_get(&in->strings, in->threads.name[t]),
                                          &m->thread[t]);
        if (rc != 0)
            return rc;
    }
    return SG_PROFILE_OK;
}

static int copy_rows(sg_profile *out, const sg_profile *in, maps *m, uint64_t t0, uint64_t t1)
{
    int rc = map_stacks(out, in, m, t0, t1);
    if (rc == 0)
        rc = map_threads(out, in, m);
    const sg_samples *s = &in->samples;
    for (size_t i = 0; i < s->count && rc == 0; i++) {
        if (s->time_ns[i] < t0 || s->time_ns[i] >= t1)
            continue;
        uint32_t stack = s->stack[i] == SG_STACK_NONE ? SG_STACK_NONE : m->stack[s->stack[i]];
        rc = sg_samples_append(&out->samples, s->time_ns[i], m->thread[s->thread[i]], stack,
                               s->flags[i], s->weight[i]);
    }
    const sg_events *ev = &in->events;
    for (size_t i = 0; i < ev->count && rc == 0; i++) {
        if (ev->time_ns[i] < t0 || ev->time_ns[i] >= t1)
            continue;
        uint32_t label;
        uint32_t thread =
            ev->thread[i] == SG_THREAD_NONE ? SG_THREAD_NONE : m->thread[ev->thread[i]];
        if ((rc = map_string(out, in, m, ev->label[i], &label)) == 0)
            rc = sg_events_append(&out->events, ev->time_ns[i], ev->kind[i], thread, label);
    }
    for (uint32_t i = 0; i < in->sources.count && rc == 0; i++) {
        uint32_t file;
        if ((rc = map_string(out, in, m, in->sources.file[i], &file)) == 0 &&
            sg_sources_add(&out->sources, file, in->sources.text[i], in->sources.length[i]) ==
                SG_PROFILE_ENOMEM)
            rc = SG_PROFILE_ENOMEM; /* over the cap (ELIMIT): the text is left out */
    }
    return rc;
}

int sg_inproc_append(sg_profile *out, const sg_profile *in, uint64_t t0, uint64_t t1)
{
    maps m;
    m.string = malloc(((size_t)in->strings.count + 1) * sizeof *m.string);
    m.frame = malloc(((size_t)in->frames.count + 1) * sizeof *m.frame);
    m.stack = malloc(((size_t)in->stacks.count + 1) * sizeof *m.stack);
    m.thread = malloc(((size_t)in->threads.count + 1) * sizeof *m.thread);
    int rc = SG_PROFILE_ENOMEM;
    if (m.string && m.frame && m.stack && m.thread) {
        memset(m.string, 0xff, ((size_t)in->strings.count + 1) * sizeof *m.string);
        memset(m.frame, 0xff, ((size_t)in->frames.count + 1) * sizeof *m.frame);
        memset(m.stack, 0xff, ((size_t)in->stacks.count + 1) * sizeof *m.stack);
        rc = copy_rows(out, in, &m, t0, t1);
    }
    free(m.string);
    free(m.frame);
    free(m.stack);
    free(m.thread);
    return rc;
}

static void embed_file(sg_profile *p, uint32_t file_id)
{
    const char *file = sg_strings_get(&p->strings, file_id);
    if (file[0] == '\0' || file[0] == '<' || sg_sources_find(&p->sources, file_id) >= 0)
        return;
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return;
    struct stat st;
    char *text = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= SG_SOURCE_FILE_MAX &&
        (text = malloc((size_t)st.st_size + 1))) {
        ssize_t got = read(fd, text, (size_t)st.st_size);
        if (got >= 0)
            sg_sources_add(&p->sources, file_id, text, (size_t)got);
    }
    free(text);
    close(fd);
}

void sg_inproc_embed_sources(sg_profile *p)
{
    for (uint32_t f = 0; f < p->frames.count; f++)
        embed_file(p, p->frames.rows[f].file);
}
