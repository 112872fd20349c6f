/*
 * thread_cpu.c — on-CPU detection from schedstat deltas; see thread_cpu.h.
 */
#include "collect/thread_cpu.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sg_thread_cpu_open(sg_thread_cpu *c, pid_t pid, pid_t tid)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
    c->pid = pid;
    c->tid = tid;
    c->schedstat_fd = open(path, O_RDONLY | O_CLOEXEC);
    c->run_ns = 0;
    c->have_reading = false;
}

char sg_thread_state_letter(pid_t pid, pid_t tid)
{
    char path[96], buf[512];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: the state follows
     * the last ')'. */
    char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' ? paren[2] : 0;
}

int sg_thread_cpu_sample(sg_thread_cpu *c)
{
    if (c->schedstat_fd < 0)
        return -1;
    char buf[96];
    ssize_t n = pread(c->schedstat_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    uint64_t run_ns = strtoull(buf, NULL, 10);
    int on_cpu;
    if (c->have_reading)
        on_cpu = run_ns != c->run_ns;
    else
        on_cpu = sg_thread_state_letter(c->pid, c->tid) == 'R';
    c->run_ns = run_ns;
    c->have_reading = true;
    return on_cpu;
}

void sg_thread_cpu_close(sg_thread_cpu *c)
{
    if (c->schedstat_fd >= 0)
        close(c->schedstat_fd);
    c->schedstat_fd = -1;
}
