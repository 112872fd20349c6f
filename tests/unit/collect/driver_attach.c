/*
 * driver_attach.c — see driver_attach.h.
 */
#include "driver_attach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A target started just before the driver may still be initialising. */
static int sg_driver_find_interpreter(sg_target *t)
{
    struct timespec pause = {0, 10 * 1000 * 1000};
    int rc = -EAGAIN;
    for (int tries = 0; tries < 500 && rc == -EAGAIN; tries++) {
        rc = sg_target_find_interpreter(t);
        if (rc == -EAGAIN)
            nanosleep(&pause, NULL);
    }
    return rc;
}

int sg_driver_attach(const char *prog, const char *pid_arg, sg_target *t)
{
    char err[1024] = "";
    char *end = NULL;
    long pid = strtol(pid_arg, &end, 10);
    if (!end || *end != '\0' || pid <= 0) {
        fprintf(stderr, "%s: bad pid '%s'\n", prog, pid_arg);
        return 1;
    }
    if (sg_target_attach((pid_t)pid, t, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return 1;
    }
    int rc = sg_driver_find_interpreter(t);
    if (rc != 0) {
        fprintf(stderr, "%s: no interpreter in process %ld: %s\n", prog, pid, strerror(-rc));
        sg_target_detach(t);
        return 1;
    }
    return 0;
}
