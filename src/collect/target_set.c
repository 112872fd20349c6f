/*
 * target_set.c — the processes of one recording; see target_set.h.
 */
#include "collect/target_set.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SG_CHILD_SCAN_NS 100000000ull  /* look for new children every 100 ms */
#define SG_CHILD_WAIT_NS 3000000000ull /* how long a child may take to be Python */

void sg_target_set_init(sg_target_set *set, const sg_sampler_config *config,
                        sg_sink_factory_fn sink_for, void *sink_ctx, bool follow_children)
{
    memset(set, 0, sizeof *set);
    set->config = *config;
    set->sink_for = sink_for;
    set->sink_ctx = sink_ctx;
    set->follow_children = follow_children;
}

static int sg_grow(void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 8;
    void *p = realloc(*arr, c * size);
    if (!p)
        return -ENOMEM;
    *arr = p;
    *cap = c;
    return 0;
}

int sg_target_set_add(sg_target_set *set, sg_target *target)
{
    if (sg_grow((void **)&set->items, &set->cap, set->n, sizeof *set->items) != 0)
        return -ENOMEM;
    sg_target_item *it = calloc(1, sizeof *it);
    if (!it)
        return -ENOMEM;
    it->target = *target;
    sg_sample_sink sink;
    int rc = set->sink_for(set->sink_ctx, target->pid, &sink);
    it->sampler = rc == 0 ? sg_sampler_new(&it->target, &set->config, &sink) : NULL;
    if (!it->sampler) {
        free(it);
        return rc ? rc : -ENOMEM;
    }
    set->items[set->n++] = it;
    return 0;
}

static int sg_is_tracked(const sg_target_set *set, pid_t pid)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->items[i]->target.pid == pid)
            return 1;
    for (size_t i = 0; i < set->npending; i++)
        if (set->pending[i].pid == pid)
            return 1;
    for (size_t i = 0; i < set->nignored; i++)
        if (set->ignored[i] == pid)
            return 1;
    return 0;
}

static pid_t sg_parent_of(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *paren = strrchr(buf, ')');
    int ppid = 0;
    if (paren)
        sscanf(paren + 1, " %*c %d", &ppid);
    return (pid_t)ppid;
}

/* Queues every process whose parent we sample (or wait for). */
static void sg_scan_children(sg_target_set *set, uint64_t now)
{
    DIR *proc = opendir("/proc");
    if (!proc)
        return;
    for (struct dirent *d; (d = readdir(proc));) {
        if (d->d_name[0] < '1' || d->d_name[0] > '9')
            continue;
        pid_t pid = (pid_t)atoi(d->d_name);
        if (sg_is_tracked(set, pid))
            continue;
        pid_t parent = sg_parent_of(pid);
        int ours = 0;
        for (size_t i = 0; i < set->n && !ours; i++)
            ours = !set->items[i]->gone && set->items[i]->target.pid == parent;
        if (ours && sg_grow((void **)&set->pending, &set->cap_pending, set->npending,
                            sizeof *set->pending) == 0)
            set->pending[set->npending++] = (sg_pending_child){pid, now + SG_CHILD_WAIT_NS};
    }
    closedir(proc);
}

static void sg_ignore(sg_target_set *set, pid_t pid)
{
    if (sg_grow((void **)&set->ignored, &set->cap_ignored, set->nignored, sizeof(pid_t)) == 0)
        set->ignored[set->nignored++] = pid;
}

/* Tries each waiting child once; keeps those that may still become Python. */
static void sg_attach_pending(sg_target_set *set, uint64_t now)
{
    size_t keep = 0;
    for (size_t i = 0; i < set->npending; i++) {
        sg_pending_child c = set->pending[i];
        sg_target t;
        char err[512];
        int rc = sg_target_attach(c.pid, &t, err, sizeof err);
        if (rc == 0 && (rc = sg_target_find_interpreter(&t)) == 0) {
            if (sg_target_set_add(set, &t) != 0) {
                sg_target_detach(&t);
                sg_ignore(set, c.pid);
            }
            continue;
        }
        if (rc == 0 || rc == -EAGAIN)
            sg_target_detach(&t);
        if (rc == SG_TARGET_ENOPROC || rc == SG_TARGET_EVERSION || rc == SG_TARGET_EPERM ||
            rc == SG_TARGET_ELAYOUT || now >= c.give_up_ns)
            sg_ignore(set, c.pid);
        else
            set->pending[keep++] = c;
    }
    set->npending = keep;
}

static void sg_retire(sg_target_set *set, sg_target_item *it)
{
    sg_sampler_stats s;
    sg_sampler_get_stats(it->sampler, &s);
    set->finished.rounds += s.rounds;
    set->finished.samples += s.samples;
    set->finished.torn += s.torn;
    set->finished.failed += s.failed;
    set->finished.syscalls += s.syscalls;
    sg_sampler_free(it->sampler);
    it->sampler = NULL;
    sg_target_detach(&it->target);
    it->gone = true;
}

int sg_target_set_round(sg_target_set *set, uint64_t now)
{
    if (set->follow_children && now >= set->next_scan_ns) {
        set->next_scan_ns = now + SG_CHILD_SCAN_NS;
        sg_scan_children(set, now);
        sg_attach_pending(set, now);
    }
    size_t live = 0;
    for (size_t i = 0; i < set->n; i++) {
        sg_target_item *it = set->items[i];
        if (it->gone)
            continue;
        int rc = sg_sampler_round(it->sampler, now);
        if (rc == -ESRCH || rc == -EFAULT) {
            sg_retire(set, it);
            continue;
        }
        if (rc < 0)
            return rc;
        live++;
    }
    return live || set->npending ? 0 : SG_TARGETS_ALL_GONE;
}

void sg_target_set_new_epoch(sg_target_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        if (!set->items[i]->gone)
            sg_sampler_new_epoch(set->items[i]->sampler);
}

void sg_target_set_stats(const sg_target_set *set, sg_sampler_stats *out)
{
    *out = set->finished;
    for (size_t i = 0; i < set->n; i++) {
        if (set->items[i]->gone)
            continue;
        sg_sampler_stats s;
        sg_sampler_get_stats(set->items[i]->sampler, &s);
        out->rounds += s.rounds;
        out->samples += s.samples;
        out->torn += s.torn;
        out->failed += s.failed;
        out->syscalls += s.syscalls;
    }
}

void sg_target_set_free(sg_target_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        if (!set->items[i]->gone)
            sg_retire(set, set->items[i]);
        free(set->items[i]);
    }
    free(set->items);
    free(set->pending);
    free(set->ignored);
    memset(set, 0, sizeof *set);
}
