/*
 * test_thread_names_main.c — sg-thread-names, a test driver that attaches to
 * a Python process, walks its main interpreter's thread states and prints
 * the Python name of each thread as collect/thread_names reads it, so
 * tests/integration/test_thread_names.py can compare with what the target
 * says about itself.
 *
 * Usage: sg-thread-names PID
 *
 * Output: one line per thread state, newest first (the interpreter's list
 * order): `THREAD_ID NAME`, THREAD_ID in decimal (PyThreadState.thread_id,
 * which is threading.get_ident()), NAME the UTF-8 name or empty when
 * unknown. Exit 0, or 1 with a message on stderr.
 *
 * Invariant: a test tool, not on any hot path; the thread list it walks is
 * untrusted like everything else: the walk stops after SG_TNM_MAX_THREADS.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/target.h"
#include "collect/thread_names.h"
#include "driver_attach.h"

/* More thread states than any test target has; the walk stops there. */
#define SG_TNM_MAX_THREADS 4096

/* Reads the thread ids of the interpreter's thread states into ids. */
static int sg_tnm_thread_ids(sg_target *t, uint64_t *ids, size_t cap, size_t *n)
{
    const sg_layout *l = t->layout;
    uint64_t tstate = 0;
    int rc =
        sg_mem_read(t->mem, t->interp + (uint64_t)l->interp_threads_head, &tstate, sizeof tstate);
    *n = 0;
    while (rc == 0 && tstate != 0 && *n < cap) {
        uint64_t id = 0, next = 0;
        if ((rc = sg_mem_read(t->mem, tstate + (uint64_t)l->tstate_thread_id, &id, sizeof id)) !=
                0 ||
            (rc = sg_mem_read(t->mem, tstate + (uint64_t)l->tstate_next, &next, sizeof next)) != 0)
            break;
        ids[(*n)++] = id;
        tstate = next;
    }
    return rc;
}

int main(int argc, char **argv)
{
    sg_target t;

    if (argc != 2) {
        fprintf(stderr, "usage: sg-thread-names PID\n");
        return 1;
    }
    if (sg_driver_attach("sg-thread-names", argv[1], &t) != 0)
        return 1;

    int rc;
    uint64_t *ids = calloc(SG_TNM_MAX_THREADS, sizeof *ids);
    char(*names)[SG_THREAD_NAME_MAX] = calloc(SG_TNM_MAX_THREADS, sizeof *names);
    sg_thread_names *tn = sg_thread_names_new(&t);
    size_t n = 0;
    int status = 1;
    if (!ids || !names || !tn) {
        fprintf(stderr, "sg-thread-names: out of memory\n");
    } else if ((rc = sg_tnm_thread_ids(&t, ids, SG_TNM_MAX_THREADS, &n)) != 0) {
        fprintf(stderr, "sg-thread-names: cannot walk the thread states: %s\n", strerror(-rc));
    } else if ((rc = sg_thread_names_read(tn, ids, n, names)) != 0) {
        fprintf(stderr, "sg-thread-names: reading names failed: %s\n", strerror(-rc));
    } else {
        for (size_t i = 0; i < n; i++)
            printf("%" PRIu64 " %s\n", ids[i], names[i]);
        status = 0;
    }
    sg_thread_names_free(tn);
    free(names);
    free(ids);
    sg_target_detach(&t);
    return status;
}
