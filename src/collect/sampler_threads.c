/*
 * sampler_threads.c — the sampler's view of the target's thread list.
 *
 * Each round reads every known thread state in one batch; if the copies
 * still link up as the list we knew (same head, same next pointers, same
 * interpreter, same thread ids), nothing happens here. Otherwise the list
 * is read afresh, one thread state at a time, and the slots of surviving
 * threads carry over (with their kept-open CPU files and what earlier
 * rounds learned). This runs only when threads start or end.
 *
 * Threads are announced to the sink once their Python name is known: a new
 * thread is briefly held back (cfg.name_wait_ns) while threading registers
 * it, then goes by "MainThread" (the main thread) or its kernel name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "collect/sampler_internal.h"

static void sg_kernel_thread_name(pid_t pid, pid_t tid, char *name, size_t cap)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)pid, (int)tid);
    FILE *f = fopen(path, "r");
    name[0] = '\0';
    if (f) {
        if (fgets(name, (int)cap, f))
            name[strcspn(name, "\n")] = '\0';
        fclose(f);
    }
}

static void sg_slot_start(sg_sampler *s, sg_slot *slot, uint64_t tstate, const uint8_t *p,
                          uint64_t now_ns)
{
    const sg_layout *l = s->t->layout;
    memset(slot, 0, sizeof *slot);
    slot->tstate = tstate;
    slot->thread_id = sg_u64(p, l->tstate_thread_id);
    if (l->tstate_native_thread_id != SG_LAYOUT_ABSENT) {
        int64_t native;
        memcpy(&native, p + l->tstate_native_thread_id, sizeof native);
        slot->tid = (pid_t)native;
    } else {
        slot->tid = sg_pthread_tid_find(&s->tid_finder, s->t->mem, s->t->pid, slot->thread_id);
    }
    sg_thread_cpu_open_flags(&slot->cpu, s->t->pid, slot->tid, s->thread_cpu_flags);
    slot->name_deadline_ns = now_ns + s->cfg.name_wait_ns;
}

void sg_sampler_release_slot(sg_slot *slot)
{
    sg_thread_cpu_close(&slot->cpu);
    free(slot->hints);
    free(slot->memo);
}

void sg_sampler_name_threads(sg_sampler *s, uint64_t now_ns)
{
    uint64_t ids[64];
    size_t idx[64], n = 0;
    for (size_t i = 0; i < s->nslots && n < 64; i++)
        if (!s->slots[i].named) {
            idx[n] = i;
            ids[n++] = s->slots[i].thread_id;
        }
    if (n == 0)
        return;
    char names[64][SG_THREAD_NAME_MAX];
    memset(names, 0, sizeof names);
    if (s->names)
        sg_thread_names_read(s->names, ids, n, names);
    for (size_t k = 0; k < n; k++) {
        sg_slot *slot = &s->slots[idx[k]];
        int is_main = slot->tid == s->t->pid;
        if (!names[k][0] && !is_main && now_ns < slot->name_deadline_ns)
            continue;
        if (!names[k][0] && is_main)
            snprintf(names[k], sizeof names[k], "MainThread");
        else if (!names[k][0])
            sg_kernel_thread_name(s->t->pid, slot->tid, names[k], sizeof names[k]);
        slot->named = 1;
        if (s->sink.thread) {
            sg_thread_info info = {s->t->pid, slot->tid, slot->thread_id, names[k]};
            s->sink.thread(s->sink.ctx, &info);
        }
    }
}

/* Reads the list afresh and rebuilds the slots, keeping known threads. */
static int sg_rescan(sg_sampler *s, uint64_t head, uint64_t now_ns)
{
    const sg_layout *l = s->t->layout;
    uint64_t *addrs = malloc(SG_MAX_THREADS * sizeof *addrs);
    size_t *offs = malloc(SG_MAX_THREADS * sizeof *offs);
    size_t n = 0;
    int rc = addrs && offs ? 0 : -ENOMEM;
    for (uint64_t ts = head; rc == 0 && ts && n < SG_MAX_THREADS; n++) {
        const uint8_t *p = sg_copies_get(&s->copies, ts, (size_t)l->tstate_size, &rc);
        if (!p)
            break;
        if (sg_u64(p, l->tstate_interp) != s->t->interp) {
            rc = -EAGAIN; /* torn: the list changed under us */
            break;
        }
        addrs[n] = ts;
        offs[n] = (size_t)(p - s->copies.arena);
        ts = sg_u64(p, l->tstate_next);
    }
    sg_slot *slots = rc == 0 ? calloc(n ? n : 1, sizeof *slots) : NULL;
    if (rc == 0 && !slots)
        rc = -ENOMEM;
    if (rc != 0) {
        free(addrs);
        free(offs);
        return rc == -EFAULT ? -EAGAIN : rc;
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = sg_copies_at(&s->copies, offs[i]);
        uint64_t thread_id = sg_u64(p, l->tstate_thread_id);
        sg_slot *old = NULL;
        for (size_t j = 0; j < s->nslots && !old; j++)
            if (s->slots[j].tstate == addrs[i] && s->slots[j].thread_id == thread_id)
                old = &s->slots[j];
        if (old) {
            slots[i] = *old;
            old->tstate = 0; /* moved */
        } else {
            sg_slot_start(s, &slots[i], addrs[i], p, now_ns);
        }
        slots[i].tstate_off = offs[i];
        sg_spec_reads_clear(&slots[i].spec);
    }
    for (size_t j = 0; j < s->nslots; j++)
        if (s->slots[j].tstate)
            sg_sampler_release_slot(&s->slots[j]);
    free(s->slots);
    free(addrs);
    free(offs);
    s->slots = slots;
    s->nslots = n;
    return 0;
}

int sg_sampler_sync_threads(sg_sampler *s, uint64_t head, size_t first, uint64_t now_ns)
{
    const sg_layout *l = s->t->layout;
    int same = s->nslots > 0 && head == s->slots[0].tstate;
    for (size_t i = 0; same && i < s->nslots; i++) {
        size_t off = s->offs[first + i];
        if (off == SG_COPY_MISSING)
            return sg_rescan(s, head, now_ns);
        const uint8_t *p = sg_copies_at(&s->copies, off);
        uint64_t next = i + 1 < s->nslots ? s->slots[i + 1].tstate : 0;
        same = sg_u64(p, l->tstate_next) == next && sg_u64(p, l->tstate_interp) == s->t->interp &&
               sg_u64(p, l->tstate_thread_id) == s->slots[i].thread_id;
        s->slots[i].tstate_off = off;
    }
    return same ? 0 : sg_rescan(s, head, now_ns);
}
