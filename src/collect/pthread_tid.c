/*
 * pthread_tid.c — tid from struct pthread; see pthread_tid.h.
 */
#include "collect/pthread_tid.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SG_PTHREAD_SCAN 2048 /* glibc keeps the tid well inside this */
#define SG_TASKS_MAX    4096

static size_t sg_list_tasks(pid_t pid, pid_t *tids, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *dir = opendir(path);
    size_t n = 0;
    if (!dir)
        return 0;
    for (struct dirent *d; (d = readdir(dir)) && n < cap;)
        if (d->d_name[0] >= '0' && d->d_name[0] <= '9')
            tids[n++] = (pid_t)atoi(d->d_name);
    closedir(dir);
    return n;
}

static int sg_is_task(const pid_t *tids, size_t n, int32_t v)
{
    for (size_t i = 0; i < n; i++)
        if (tids[i] == v)
            return 1;
    return 0;
}

pid_t sg_pthread_tid_find(sg_pthread_tid *f, sg_mem *mem, pid_t pid, uint64_t pthread)
{
    static const size_t words = SG_PTHREAD_SCAN / 4;
    int32_t buf[SG_PTHREAD_SCAN / 4];
    if (sg_mem_read(mem, pthread, buf, sizeof buf) != 0)
        return 0;
    pid_t *tids = malloc(SG_TASKS_MAX * sizeof *tids);
    if (!tids)
        return 0;
    size_t n = sg_list_tasks(pid, tids, SG_TASKS_MAX);
    pid_t tid = 0;
    if (f->offset >= 0 && sg_is_task(tids, n, buf[f->offset / 4])) {
        tid = buf[f->offset / 4];
    } else {
        /* Skip the first words: they hold pointers (the TCB header). */
        for (size_t i = 4; i < words && !tid; i++) {
            if (buf[i] > 0 && sg_is_task(tids, n, buf[i])) {
                tid = buf[i];
                f->offset = (int32_t)(i * 4);
            }
        }
    }
    free(tids);
    return tid;
}
