/*
 * target_args.h — the options every sampling command shares (record, top):
 * what to sample (--pid PID, or a command after --), how often (-r) and
 * what (--mode wall|cpu, --gil). One parser, so the commands agree on
 * spelling, ranges and error messages.
 */
#ifndef SG_CLI_TARGET_ARGS_H
#define SG_CLI_TARGET_ARGS_H

#include <stddef.h>
#include <sys/types.h>

#include "collect/sampler.h"

/* getopt codes of the long-only options (short ones are 'r' and 'p'). */
enum { SG_OPT_MODE = 300, SG_OPT_GIL };

typedef struct sg_target_args {
    double rate;
    enum sg_sample_mode mode;
    int gil_only;
    pid_t pid;
    char **command; /* argv after --, or NULL */
} sg_target_args;

/* Handles one getopt result `opt` with argument `arg`: returns 1 when it was
 * a shared option, 0 when it is the command's own, 2 after printing an
 * error about a bad value. */
int sg_target_args_option(sg_target_args *a, int opt, const char *arg);

/* After getopt: takes the command after --, and checks that exactly one of
 * a command and --pid was given (else prints an error naming `command_name`
 * and returns 2). */
int sg_target_args_finish(sg_target_args *a, const char *command_name, int argc, char **argv,
                          int optind);

/* The target's command line as one string: the launched argv, else
 * /proc/PID/cmdline of `pid`. */
void sg_target_args_command_line(const sg_target_args *a, pid_t pid, char *out, size_t cap);

#endif
