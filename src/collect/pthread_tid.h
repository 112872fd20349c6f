/*
 * pthread_tid.h — the kernel thread id behind a pthread_t of another
 * process, for 3.9/3.10 whose thread states record only the pthread_t.
 *
 * A pthread_t is the address of glibc's struct pthread, which holds the
 * kernel tid at a fixed offset. We do not hard-code glibc's layout: we read
 * the struct and look for a value that is one of the process's live tids
 * (/proc/PID/task), then remember the offset for every other thread.
 */
#ifndef SG_COLLECT_PTHREAD_TID_H
#define SG_COLLECT_PTHREAD_TID_H

#include <stdint.h>
#include <sys/types.h>

#include "collect/mem.h"

typedef struct sg_pthread_tid {
    int32_t offset; /* of the tid inside struct pthread; -1 until found */
} sg_pthread_tid;

/* The tid of `pthread`, or 0 when it cannot be found. */
pid_t sg_pthread_tid_find(sg_pthread_tid *finder, sg_mem *mem, pid_t pid, uint64_t pthread);

#endif
