/*
 * attach.h — getting the CLI from "a pid" or "a command line" to a target
 * whose interpreter is ready to sample, with errors a user can act on.
 */
#ifndef SG_CLI_ATTACH_H
#define SG_CLI_ATTACH_H

#include <stddef.h>
#include <sys/types.h>

#include "collect/target.h"

/* Attaches to `pid`, waiting up to `wait_s` seconds for a process that is
 * still starting (its interpreter not yet mapped or initialised). When
 * `child_status` is not NULL the pid is our own child: if it ends while we
 * wait, its status goes there and the result is 2, with nothing printed.
 * Otherwise prints "spyglass: error: ..." and returns 1 on failure, 0 on
 * success. */
int sg_cli_attach(pid_t pid, double wait_s, sg_target *target, int *child_status);

/* Starts argv as a child process; returns its pid or -1 (with the error
 * printed). */
pid_t sg_cli_launch(char *const argv[]);

/* Non-blocking check of a launched child: 1 and its exit status (128+signal
 * when killed) once it has ended, else 0. */
int sg_cli_child_ended(pid_t pid, int *status);

/* Prints "spyglass: error: <message>" to stderr. */
void sg_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
