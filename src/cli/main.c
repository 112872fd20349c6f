/*
 * main.c — the `spyglass` command: picks a subcommand and hands it argv.
 * Each subcommand lives in its own cmd_*.c and only parses and calls.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} sg_commands[] = {
    {"record", sg_cmd_record, "record a Python program or a running process"},
    {"dump", sg_cmd_dump, "print every thread's stack of a running process, now"},
    {"top", sg_cmd_top, "a live view of the functions a process spends its time in"},
    {"report", sg_cmd_report, "print the function table and heaviest stacks of a profile"},
    {"convert", sg_cmd_convert, "convert a profile between formats (pstats, speedscope, ...)"},
    {"serve", sg_cmd_serve, "keep profiles and serve the viewer and the HTTP API"},
    {"view", sg_cmd_view, "open one profile file in the viewer (a server of its own)"},
    {"upload", sg_cmd_upload, "send a profile file to a spyglass server"},
};

static void sg_usage(FILE *out)
{
    fprintf(out, "usage: spyglass COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof sg_commands / sizeof sg_commands[0]; i++)
        fprintf(out, "  %-8s %s\n", sg_commands[i].name, sg_commands[i].summary);
    fprintf(out, "\n`spyglass COMMAND --help` tells more. spyglass %s\n", SG_VERSION);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        sg_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        sg_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("spyglass %s\n", SG_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof sg_commands / sizeof sg_commands[0]; i++)
        if (strcmp(argv[1], sg_commands[i].name) == 0)
            return sg_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "spyglass: error: unknown command '%s'\n\n", argv[1]);
    sg_usage(stderr);
    return 2;
}
