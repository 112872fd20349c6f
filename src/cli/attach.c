/*
 * attach.c — launch, attach and wait for an interpreter; see attach.h.
 *
 * Right after exec the child has no interpreter yet: first the python image
 * is not mapped, then _PyRuntime has no interpreter or thread state. Both are
 * "not yet", not errors, while the child lives and the wait lasts.
 */
#include "cli/attach.h"

#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "collect/sampling_loop.h"

extern char **environ;

void sg_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("spyglass: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

pid_t sg_cli_launch(char *const argv[])
{
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (rc != 0) {
        sg_cli_error("cannot run %s: %s", argv[0], strerror(rc));
        return -1;
    }
    return pid;
}

int sg_cli_child_ended(pid_t pid, int *status)
{
    int ws;
    if (waitpid(pid, &ws, WNOHANG) != pid)
        return 0;
    *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return 1;
}

static void sg_nap_ms(int ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

int sg_cli_attach(pid_t pid, double wait_s, sg_target *t, int *child_status)
{
    char err[1024];
    uint64_t give_up = sg_monotonic_ns() + (uint64_t)(wait_s * 1e9);
    for (;;) {
        if (child_status && sg_cli_child_ended(pid, child_status))
            return 2;
        int rc = sg_target_attach(pid, t, err, sizeof err);
        int starting = rc == SG_TARGET_ENOTPY && sg_monotonic_ns() < give_up;
        if (rc == 0) {
            for (;;) {
                rc = sg_target_find_interpreter(t);
                if (rc == 0)
                    return 0;
                if (rc != -EAGAIN || sg_monotonic_ns() >= give_up)
                    break;
                if (child_status && sg_cli_child_ended(pid, child_status)) {
                    sg_target_detach(t);
                    return 2;
                }
                sg_nap_ms(1);
            }
            sg_target_detach(t);
            if (child_status && (rc == -ESRCH || rc == -EFAULT) &&
                sg_cli_child_ended(pid, child_status))
                return 2;
            if (rc == -ESRCH)
                sg_cli_error("process %d exited before its interpreter started", (int)pid);
            else if (rc == -EAGAIN)
                sg_cli_error("process %d has not started its Python interpreter", (int)pid);
            else
                sg_cli_error("cannot read the interpreter of process %d: %s", (int)pid,
                             strerror(-rc));
            return 1;
        }
        if (!starting) {
            if (child_status && sg_cli_child_ended(pid, child_status))
                return 2;
            sg_cli_error("%s", err);
            return 1;
        }
        sg_nap_ms(1);
    }
}
