/*
 * target_args.c — the shared sampling options; see target_args.h.
 */
#include "cli/target_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/attach.h"

int sg_target_args_option(sg_target_args *a, int opt, const char *arg)
{
    char *end;
    switch (opt) {
    case 'r':
        a->rate = strtod(arg, &end);
        if (*end || !(a->rate >= 1 && a->rate <= 100000)) {
            sg_cli_error("--rate takes samples per second from 1 to 100000, not '%s'", arg);
            return 2;
        }
        return 1;
    case 'p':
        a->pid = (pid_t)strtol(arg, &end, 10);
        if (*end || a->pid <= 0) {
            sg_cli_error("--pid takes a process id, not '%s'", arg);
            return 2;
        }
        return 1;
    case SG_OPT_MODE:
        if (strcmp(arg, "cpu") == 0)
            a->mode = SG_SAMPLER_CPU;
        else if (strcmp(arg, "wall") == 0)
            a->mode = SG_SAMPLER_WALL;
        else {
            sg_cli_error("--mode is wall or cpu, not '%s'", arg);
            return 2;
        }
        return 1;
    case SG_OPT_GIL:
        a->gil_only = 1;
        return 1;
    default:
        return 0;
    }
}

int sg_target_args_finish(sg_target_args *a, const char *command_name, int argc, char **argv,
                          int optind)
{
    if (optind < argc)
        a->command = argv + optind;
    if (!a->command == !a->pid) {
        sg_cli_error("%s needs either a command after -- or --pid PID (not both)", command_name);
        return 2;
    }
    return 0;
}

void sg_target_args_command_line(const sg_target_args *a, pid_t pid, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    if (a->command) {
        for (char **arg = a->command; *arg && len + 1 < cap; arg++)
            len +=
                (size_t)snprintf(out + len, cap - len, "%s%s", arg == a->command ? "" : " ", *arg);
        return;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(out, 1, cap - 1, f);
    fclose(f);
    for (size_t i = 0; i + 1 < n; i++)
        if (out[i] == '\0')
            out[i] = ' ';
    out[n] = '\0';
}
