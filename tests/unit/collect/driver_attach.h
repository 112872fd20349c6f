/*
 * driver_attach.h — what the test drivers that read a live process
 * (sg-thread-names, sg-code-kinds) share: the pid argument, attaching, and
 * waiting for the target's runtime to make its main interpreter.
 */
#ifndef SG_TESTS_DRIVER_ATTACH_H
#define SG_TESTS_DRIVER_ATTACH_H

#include "collect/target.h"

/* Parses `pid_arg`, attaches to that process and waits (about 5 s at most)
 * for its main interpreter. Returns 0, or 1 after a message on stderr that
 * starts with `prog`; on failure nothing is left attached. */
int sg_driver_attach(const char *prog, const char *pid_arg, sg_target *t);

#endif
