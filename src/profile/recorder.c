/*
 * recorder.c — sampler samples into the profile model; see recorder.h.
 */
#include "profile/recorder.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SG_RECORDER_SOURCE_MAX  (2u << 20) /* bytes of one embedded file */
#define SG_RECORDER_MAX_THREADS 4096
#define SG_RECORDER_MAX_SOURCES 256

/* One sampled process: its sampler's code ids → the profile's frames. */
typedef struct sg_recorder_source {
    struct sg_recorder *r;
    pid_t pid;
    uint32_t *frame_of_code;
    size_t ncodes, cap_codes;
} sg_recorder_source;

/* What a thread's previous sample was, to re-intern only what changed. */
typedef struct sg_thread_memo {
    pid_t tid;
    uint32_t index;
    uint32_t depth;
    uint32_t cap;
    sg_frame_ref *refs;   /* the sampler's (code id, line), oldest → newest */
    sg_frame_line *chain; /* the same frames as the profile's, oldest → newest */
    uint32_t *depth_ids;  /* stack row of chain[0..i], for each i */
} sg_thread_memo;

struct sg_recorder {
    sg_profile *p;
    sg_recorder_options opts;
    sg_recorder_source *sources[SG_RECORDER_MAX_SOURCES];
    size_t nsources;
    sg_thread_memo *threads;
    size_t nthreads;
    int error;
};

sg_recorder *sg_recorder_new(sg_profile *p, const sg_recorder_options *opts)
{
    sg_recorder *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->p = p;
    r->opts = *opts;
    r->threads = calloc(SG_RECORDER_MAX_THREADS, sizeof *r->threads);
    if (!r->threads) {
        free(r);
        return NULL;
    }
    return r;
}

void sg_recorder_free(sg_recorder *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nthreads; i++) {
        free(r->threads[i].refs);
        free(r->threads[i].chain);
        free(r->threads[i].depth_ids);
    }
    free(r->threads);
    for (size_t i = 0; i < r->nsources; i++) {
        free(r->sources[i]->frame_of_code);
        free(r->sources[i]);
    }
    free(r);
}

int sg_recorder_error(const sg_recorder *r)
{
    return r->error;
}

static void sg_recorder_fail(sg_recorder *r, int rc)
{
    if (!r->error)
        r->error = rc;
}

/* Embeds the text of `file` once, as the target sees it. */
static void sg_recorder_embed_source(sg_recorder *r, pid_t pid, uint32_t file_id)
{
    const char *file = sg_strings_get(&r->p->strings, file_id);
    if (r->opts.no_sources || file[0] != '/' || sg_sources_find(&r->p->sources, file_id) >= 0)
        return;
    char path[4200];
    snprintf(path, sizeof path, "/proc/%d/root%s", (int)pid, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st;
    char *text = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= SG_RECORDER_SOURCE_MAX &&
        (text = malloc((size_t)st.st_size + 1))) {
        ssize_t got = read(fd, text, (size_t)st.st_size);
        if (got >= 0)
            sg_sources_add(&r->p->sources, file_id, text, (size_t)got);
    }
    free(text);
    close(fd);
}

static void sg_recorder_on_code(void *ctx, const sg_code_info *info)
{
    sg_recorder_source *src = ctx;
    sg_recorder *r = src->r;
    if (info->id >= src->cap_codes) {
        size_t cap = src->cap_codes ? src->cap_codes * 2 : 1024;
        while (cap <= info->id)
            cap *= 2;
        uint32_t *m = realloc(src->frame_of_code, cap * sizeof *m);
        if (!m) {
            sg_recorder_fail(r, SG_PROFILE_ENOMEM);
            return;
        }
        src->frame_of_code = m;
        src->cap_codes = cap;
    }
    uint32_t frame;
    int first = info->first_line < 0 ? 0 : info->first_line;
    int rc = sg_profile_intern_frame(r->p, info->file, strlen(info->file), info->name,
                                     strlen(info->name), (uint32_t)first, &frame);
    if (rc != 0) {
        sg_recorder_fail(r, rc);
        return;
    }
    for (size_t i = src->ncodes; i < info->id; i++)
        src->frame_of_code[i] = UINT32_MAX;
    src->frame_of_code[info->id] = frame;
    if (info->id >= src->ncodes)
        src->ncodes = info->id + 1;
    sg_recorder_embed_source(r, src->pid, r->p->frames.rows[frame].file);
}

static sg_thread_memo *sg_recorder_thread(sg_recorder *r, pid_t tid)
{
    for (size_t i = 0; i < r->nthreads; i++)
        if (r->threads[i].tid == tid)
            return &r->threads[i];
    return NULL;
}

static void sg_recorder_on_thread(void *ctx, const sg_thread_info *info)
{
    sg_recorder *r = ((sg_recorder_source *)ctx)->r;
    uint32_t index;
    int rc = sg_profile_intern_thread(r->p, (uint64_t)info->tid, info->name, &index);
    if (rc != 0) {
        sg_recorder_fail(r, rc);
        return;
    }
    if (sg_recorder_thread(r, info->tid) || r->nthreads == SG_RECORDER_MAX_THREADS)
        return;
    sg_thread_memo *m = &r->threads[r->nthreads++];
    memset(m, 0, sizeof *m);
    m->tid = info->tid;
    m->index = index;
}

static int sg_memo_reserve(sg_thread_memo *m, uint32_t depth)
{
    if (depth <= m->cap)
        return 0;
    uint32_t cap = depth < 64 ? 64 : depth * 2;
    sg_frame_line *chain = realloc(m->chain, cap * sizeof *chain);
    if (!chain)
        return SG_PROFILE_ENOMEM;
    m->chain = chain;
    uint32_t *ids = realloc(m->depth_ids, cap * sizeof *ids);
    if (!ids)
        return SG_PROFILE_ENOMEM;
    m->depth_ids = ids;
    sg_frame_ref *refs = realloc(m->refs, cap * sizeof *refs);
    if (!refs)
        return SG_PROFILE_ENOMEM;
    m->refs = refs;
    m->cap = cap;
    return 0;
}

static uint8_t sg_recorder_flags(uint32_t thread_flags)
{
    uint8_t flags = 0;
    if (thread_flags & SG_THREAD_ON_CPU)
        flags |= SG_SAMPLE_ON_CPU;
    if (thread_flags & SG_THREAD_HOLDS_GIL)
        flags |= SG_SAMPLE_HOLDS_GIL;
    return flags;
}

static int sg_recorder_on_sample(void *ctx, const sg_sample *s)
{
    sg_recorder_source *src = ctx;
    sg_recorder *r = src->r;
    sg_thread_memo *m = sg_recorder_thread(r, s->tid);
    if (!m || r->error)
        return r->error;
    int rc = sg_memo_reserve(m, s->depth);
    if (rc)
        return rc;
    /* Frames arrive newest first; the stack table wants oldest first. The
     * oldest frames that equal the thread's previous sample's, compared as
     * the sampler gave them (code ids are never reused, so an equal id is
     * an equal frame), keep their stack rows; only the frames above the
     * first change are mapped to profile frames and interned. At depth 40
     * with a changing leaf that is one or two frames, not forty. */
    uint32_t same = 0, most = s->depth < m->depth ? s->depth : m->depth;
    const sg_frame_ref *oldest = s->frames + s->depth - 1;
    while (same < most && m->refs[same].code_id == oldest[-(ptrdiff_t)same].code_id &&
           m->refs[same].line == oldest[-(ptrdiff_t)same].line)
        same++;
    for (uint32_t i = same; i < s->depth; i++) {
        const sg_frame_ref *f = oldest - i;
        uint32_t frame = f->code_id < src->ncodes ? src->frame_of_code[f->code_id] : UINT32_MAX;
        if (frame == UINT32_MAX) {
            m->depth = same; /* refs/chain past it now hold this sample's */
            return 0;        /* a code object we could not intern: drop the sample */
        }
        m->refs[i] = *f;
        m->chain[i] = (sg_frame_line){frame, f->line < 0 ? 0u : (uint32_t)f->line};
    }
    uint32_t stack;
    if (same == s->depth && same == m->depth && same > 0) {
        stack = m->depth_ids[same - 1];
    } else {
        uint32_t base = same ? m->depth_ids[same - 1] : SG_STACK_NONE;
        rc = sg_stacks_intern_chain(&r->p->stacks, base, m->chain + same, s->depth - same,
                                    m->depth_ids + same, &stack);
        if (rc) {
            m->depth = 0;
            sg_recorder_fail(r, rc);
            return rc;
        }
    }
    m->depth = s->depth;
    uint64_t t = s->time_ns > r->opts.start_ns ? s->time_ns - r->opts.start_ns : 0;
    rc = sg_samples_append(&r->p->samples, t, m->index, stack, sg_recorder_flags(s->flags), 1);
    if (rc)
        sg_recorder_fail(r, rc);
    return rc;
}

int sg_recorder_add_source(sg_recorder *r, pid_t pid, sg_sample_sink *sink)
{
    sg_recorder_source *src = calloc(1, sizeof *src);
    if (!src || r->nsources == SG_RECORDER_MAX_SOURCES) {
        free(src);
        return SG_PROFILE_ENOMEM;
    }
    src->r = r;
    src->pid = pid;
    r->sources[r->nsources++] = src;
    *sink =
        (sg_sample_sink){src, sg_recorder_on_code, sg_recorder_on_thread, sg_recorder_on_sample};
    return 0;
}
