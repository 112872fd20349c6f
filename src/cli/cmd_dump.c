/*
 * cmd_dump.c — `spyglass dump --pid PID [--json]`: every thread's stack of a
 * running process, now, without stopping it. One sampling round; the text
 * form reads like a Python traceback (newest frame last).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/attach.h"
#include "cli/commands.h"
#include "cli/json_write.h"
#include "collect/sampler.h"
#include "collect/sampling_loop.h"

#define SG_DUMP_MAX_THREADS 1024

typedef struct sg_dump_thread {
    pid_t tid;
    char name[64];
    uint32_t flags;
    uint32_t depth;
    sg_frame_ref *frames; /* newest first */
} sg_dump_thread;

typedef struct sg_dump {
    sg_dump_thread threads[SG_DUMP_MAX_THREADS];
    size_t n;
} sg_dump;

static void sg_dump_on_thread(void *ctx, const sg_thread_info *info)
{
    sg_dump *d = ctx;
    if (d->n == SG_DUMP_MAX_THREADS)
        return;
    sg_dump_thread *t = &d->threads[d->n++];
    memset(t, 0, sizeof *t);
    t->tid = info->tid;
    snprintf(t->name, sizeof t->name, "%s", info->name);
}

static int sg_dump_on_sample(void *ctx, const sg_sample *s)
{
    sg_dump *d = ctx;
    for (size_t i = 0; i < d->n; i++) {
        if (d->threads[i].tid != s->tid)
            continue;
        d->threads[i].flags = s->flags;
        d->threads[i].depth = s->depth;
        d->threads[i].frames = malloc(s->depth * sizeof *s->frames);
        if (d->threads[i].frames)
            memcpy(d->threads[i].frames, s->frames, s->depth * sizeof *s->frames);
        else
            d->threads[i].depth = 0;
    }
    return 0;
}

static void sg_dump_json(const sg_dump *d, const sg_target *t, sg_sampler *s, FILE *out)
{
    fprintf(out, "{\"pid\": %d, \"python\": ", (int)t->pid);
    sg_json_string(out, t->version);
    fprintf(out, ", \"threads\": [");
    for (size_t i = 0; i < d->n; i++) {
        const sg_dump_thread *th = &d->threads[i];
        fprintf(out, "%s\n  {\"tid\": %d, \"name\": ", i ? "," : "", (int)th->tid);
        sg_json_string(out, th->name);
        fprintf(out, ", \"holds_gil\": %s, \"on_cpu\": %s, \"frames\": [",
                th->flags & SG_THREAD_HOLDS_GIL ? "true" : "false",
                th->flags & SG_THREAD_ON_CPU ? "true" : "false");
        for (uint32_t k = 0; k < th->depth; k++) {
            const sg_frame_ref *f = &th->frames[th->depth - 1 - k];
            const sg_code_info *code = sg_sampler_code_info(s, f->code_id);
            fprintf(out, "%s\n    {\"function\": ", k ? "," : "");
            sg_json_string(out, code ? code->name : "?");
            fprintf(out, ", \"file\": ");
            sg_json_string(out, code ? code->file : "?");
            fprintf(out, ", \"line\": %d, \"first_line\": %d}", (int)f->line,
                    code ? (int)code->first_line : 0);
        }
        fprintf(out, "]}");
    }
    fprintf(out, "\n]}\n");
}

static void sg_dump_text(const sg_dump *d, const sg_target *t, sg_sampler *s, FILE *out)
{
    fprintf(out, "Process %d, Python %s\n", (int)t->pid, t->version);
    for (size_t i = 0; i < d->n; i++) {
        const sg_dump_thread *th = &d->threads[i];
        fprintf(out, "\nThread %d \"%s\" (%s%s)\n", (int)th->tid, th->name,
                th->flags & SG_THREAD_ON_CPU ? "on CPU" : "idle",
                th->flags & SG_THREAD_HOLDS_GIL ? ", holds the GIL" : "");
        if (th->depth == 0)
            fprintf(out, "  (no Python frames)\n");
        for (uint32_t k = 0; k < th->depth; k++) {
            const sg_frame_ref *f = &th->frames[th->depth - 1 - k];
            const sg_code_info *code = sg_sampler_code_info(s, f->code_id);
            fprintf(out, "  File \"%s\", line %d, in %s\n", code ? code->file : "?", (int)f->line,
                    code ? code->name : "?");
        }
    }
}

static void sg_dump_usage(FILE *out)
{
    fprintf(out, "usage: spyglass dump --pid PID [--json]\n\n"
                 "Prints the current stack of every thread of a running Python process,\n"
                 "without stopping it.\n");
}

int sg_cmd_dump(int argc, char **argv)
{
    static const struct option opts[] = {{"pid", required_argument, NULL, 'p'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    pid_t pid = 0;
    int json = 0, c;
    while ((c = getopt_long(argc, argv, "p:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            pid = (pid_t)atoi(optarg);
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            sg_dump_usage(stdout);
            return 0;
        default:
            sg_dump_usage(stderr);
            return 2;
        }
    }
    if (pid <= 0) {
        sg_cli_error("dump needs --pid PID");
        return 2;
    }
    sg_target target;
    if (sg_cli_attach(pid, 0, &target, NULL) != 0)
        return 1;
    sg_dump *d = calloc(1, sizeof *d);
    sg_sampler_config cfg = {SG_SAMPLER_WALL, false, 0, 0};
    sg_sample_sink sink = {d, NULL, sg_dump_on_thread, sg_dump_on_sample};
    sg_sampler *s = d ? sg_sampler_new(&target, &cfg, &sink) : NULL;
    int rc = s ? 0 : -1;
    /* A round can be torn by a stack that moved as we read it: try again. */
    for (int attempt = 0; s && attempt < 5; attempt++) {
        sg_sampler_stats st;
        rc = sg_sampler_round(s, sg_monotonic_ns());
        sg_sampler_get_stats(s, &st);
        if (rc != 0 || st.torn + st.failed == 0)
            break;
        for (size_t i = 0; i < d->n; i++)
            free(d->threads[i].frames), d->threads[i].frames = NULL, d->threads[i].depth = 0;
        sg_sampler_free(s);
        d->n = 0;
        s = sg_sampler_new(&target, &cfg, &sink);
    }
    if (rc != 0 || !s) {
        sg_cli_error("cannot read the threads of process %d (%s)", (int)pid,
                     rc == -3 ? "it exited" : "its memory changed as we read it");
    } else if (json) {
        sg_dump_json(d, &target, s, stdout);
    } else {
        sg_dump_text(d, &target, s, stdout);
    }
    for (size_t i = 0; d && i < d->n; i++)
        free(d->threads[i].frames);
    sg_sampler_free(s);
    free(d);
    sg_target_detach(&target);
    return rc == 0 && s ? 0 : 1;
}
