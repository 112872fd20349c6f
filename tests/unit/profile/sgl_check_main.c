/*
 * sgl_check_main.c — sg-sgl-check: loads a .sgl file with the library's
 * reader and prints what it found, for the integration tests (which drive
 * the real recorder and must look inside its output).
 *
 *   sg-sgl-check FILE [--strict]             JSON summary on stdout
 *   sg-sgl-check FILE --collapsed [--threads] the samples as collapsed stacks
 *
 * Exit 0 when the file loads, 1 with `error: MESSAGE` on stderr when the
 * reader refuses it, 2 on bad usage.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "profile/export_collapsed.h"
#include "profile/sgl.h"

static void print_json_string(const sg_strings *s, uint32_t id)
{
    const unsigned char *text = (const unsigned char *)sg_strings_get(s, id);
    uint32_t len = sg_strings_len(s, id);
    putchar('"');
    for (uint32_t i = 0; i < len; i++) {
        unsigned char c = text[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void print_summary(const sg_profile *p, const sg_sgl_read_info *info)
{
    const sg_meta *m = &p->meta;
    printf("{\"chunks\": %llu, \"complete\": %s, \"truncated\": %s, \"truncated_at\": %llu,\n",
           (unsigned long long)info->chunks, info->complete ? "true" : "false",
           info->truncated ? "true" : "false", (unsigned long long)info->truncated_at);
    printf(" \"samples\": %zu, \"events\": %zu, \"stacks\": %u, \"frames\": %u, \"sources\": %u,\n",
           p->samples.count, p->events.count, p->stacks.count, p->frames.count, p->sources.count);
    unsigned long long weight = 0;
    for (size_t i = 0; i < p->samples.count; i++)
        weight += p->samples.weight[i];
    printf(" \"total_weight\": %llu,\n \"threads\": [", weight);
    for (uint32_t t = 0; t < p->threads.count; t++) {
        printf("%s{\"tid\": %llu, \"name\": ", t ? ", " : "",
               (unsigned long long)p->threads.tid[t]);
        print_json_string(&p->strings, p->threads.name[t]);
        putchar('}');
    }
    printf("],\n \"source_files\": [");
    for (uint32_t i = 0; i < p->sources.count; i++) {
        if (i)
            printf(", ");
        print_json_string(&p->strings, p->sources.file[i]);
    }
    printf("],\n \"meta\": {\"command\": ");
    print_json_string(&p->strings, m->command);
    printf(", \"python_version\": ");
    print_json_string(&p->strings, m->python_version);
    printf(", \"host\": ");
    print_json_string(&p->strings, m->host);
    printf(", \"spyglass_version\": ");
    print_json_string(&p->strings, m->spyglass_version);
    printf(", \"pid\": %llu, \"start_unix_ns\": %llu, \"interval_ns\": %llu, \"mode\": %u, "
           "\"weight_unit\": %u, \"has_stacks\": %s, \"duration_ns\": %llu, "
           "\"samples_missed\": %llu}}\n",
           (unsigned long long)m->pid, (unsigned long long)m->start_unix_ns,
           (unsigned long long)m->interval_ns, m->mode, m->weight_unit,
           m->has_stacks ? "true" : "false", (unsigned long long)m->duration_ns,
           (unsigned long long)m->samples_missed);
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    bool collapsed = false, threads = false, strict = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--collapsed") == 0)
            collapsed = true;
        else if (strcmp(argv[i], "--threads") == 0)
            threads = true;
        else if (strcmp(argv[i], "--strict") == 0)
            strict = true;
        else if (path == NULL)
            path = argv[i];
        else
            path = NULL, i = argc;
    }
    if (path == NULL) {
        fprintf(stderr, "usage: sg-sgl-check FILE [--strict] [--collapsed [--threads]]\n");
        return 2;
    }
    sg_profile *p;
    sg_sgl_read_info info;
    char err[512];
    if (sg_sgl_read_file(path, strict ? SG_SGL_READ_STRICT : 0, &p, &info, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    int rc = 0;
    if (collapsed) {
        sg_collapsed_options opts = {.flags = threads ? SG_COLLAPSED_THREADS : 0};
        if (sg_export_collapsed(p, stdout, &opts) != 0) {
            fprintf(stderr, "error: cannot write the collapsed stacks\n");
            rc = 1;
        }
    } else {
        print_summary(p, &info);
    }
    sg_profile_free(p);
    return rc;
}
