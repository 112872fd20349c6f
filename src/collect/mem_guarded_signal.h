/*
 * mem_guarded_signal.h — the fault guard under mem_guarded.c: a process-wide
 * SIGSEGV/SIGBUS handler and the slots through which a thread declares "I
 * am inside a guarded copy, jump me out if I fault".
 *
 * Internal to src/collect; mem_guarded.h is the interface. Signal handlers
 * take no context argument, so the handler's state (the previous handlers
 * and the slot table) is the one piece of global state here.
 *
 * Invariants:
 *   - A slot is armed only by its owner thread, around a copy, and only the
 *     handler running on that same thread disarms it from inside the fault.
 *   - A fault is caught only when it is a real fault (si_code > 0: not a
 *     kill() from anyone) on a thread whose slot is armed. Everything else
 *     is passed on to the previous handler, or to the default action.
 */
#ifndef SG_COLLECT_MEM_GUARDED_SIGNAL_H
#define SG_COLLECT_MEM_GUARDED_SIGNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "collect/mem.h"

typedef struct sg_guard_slot sg_guard_slot;

/* Claims a slot and installs the handler where it is not installed yet
 * (unless the host displaced it: see sg_guard_install). Returns NULL with a
 * static reason in *why only when no slot is left. Whether copies may be
 * guarded is sg_guard_first's to say, now and later. */
sg_guard_slot *sg_guard_acquire(const char **why);

/* Gives the slot back; the last user restores the previous handlers when
 * ours are still the installed ones. */
void sg_guard_release(sg_guard_slot *slot);

/* Whether our handler is the installed one for both signals; else *lost
 * names the signal whose handler the host replaced. */
bool sg_guard_first(const char **lost);

/* Copies spans in order under the guard; returns how many leading spans
 * were copied whole (n unless a fault stopped the copy). Must be called by
 * one thread at a time per slot. */
size_t sg_guard_copy(sg_guard_slot *slot, const sg_mem_span *spans, size_t n);

#endif
