/*
 * mem_guarded.h — a memory source over this process that copies with plain
 * memcpy inside a fault guard: the in-process sampler's default source.
 *
 * A copy through the kernel (mem_self.c) costs a syscall of 1.5 us or more;
 * a memcpy of the same bytes costs tens of nanoseconds. What the kernel gave
 * us for free was safety: a stale pointer (a frame popped, a chunk
 * munmapped) answered EFAULT instead of a SIGSEGV in the host. The guard
 * gives that back: a SIGSEGV/SIGBUS handler that, only when the faulting
 * thread is inside one of our guarded copies, jumps out of the copy, which
 * then reports the span unread, exactly like an EFAULT. Every other fault
 * goes on to the handler that was there before ours, or kills the process
 * as it would have without us.
 *
 * When the guard is off, copies go through the kernel fallback instead
 * (sg_mem_self_open's paths), so a read is always safe:
 *   - the host installed its own SIGSEGV or SIGBUS handler after ours
 *     (faulthandler.enable(), a signal.signal call): our handler no longer
 *     runs first, and a fault in a copy would reach theirs. Whoever calls
 *     sg_mem_guarded_check (the in-process sampler: at start, at resume and
 *     once a second) notices and switches to the fallback, and back when
 *     ours is first again (faulthandler.disable() restores it);
 *   - the handler could not be installed at all.
 *
 * Invariants:
 *   - Zero syscalls per guarded read: sigsetjmp saves no signal mask; the
 *     signal mask is only looked at when a new thread starts reading, and
 *     changed only after a fault. SIGSEGV and SIGBUS must not be blocked in
 *     a thread that copies (a blocked synchronous fault kills the process):
 *     a thread that blocks them reads through the fallback instead.
 *   - The handler is process-wide and installed once for all guarded
 *     sources; the last close restores the previous handler if ours is
 *     still the one installed (else it stays, harmless: it passes on).
 *   - Validation is mem.c's (no page zero, no huge lengths), plus no
 *     address beyond user space.
 *
 * Ownership: sg_mem_guarded_open returns a source freed with sg_mem_close;
 * it owns its kernel fallback.
 */
#ifndef SG_COLLECT_MEM_GUARDED_H
#define SG_COLLECT_MEM_GUARDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/mem.h"

/* Opens a guarded source whose fallback is sg_mem_self_open(fallback_flags).
 * Returns NULL only when out of memory or when no fallback can read; when
 * the guard cannot be installed, the source starts on its fallback and
 * sg_mem_guarded_method says why. */
sg_mem *sg_mem_guarded_open(unsigned fallback_flags);

/* Whether mem is a guarded source (else the calls below do not apply). */
bool sg_mem_is_guarded(const sg_mem *mem);

/* Looks whether our handler is still the installed one for SIGSEGV and
 * SIGBUS (two sigaction queries) and switches between guarded copies and
 * the fallback accordingly. Returns true when copies are guarded. */
bool sg_mem_guarded_check(sg_mem *mem);

/* A short name of how this source reads now: "guarded memcpy", or the
 * fallback's name with the reason, e.g. "process_vm_readv (the host
 * replaced spyglass's SIGSEGV handler)". The string is static. */
const char *sg_mem_guarded_method(const sg_mem *mem);

/* Faults the guard caught and turned into failed reads. */
uint64_t sg_mem_guarded_faults(const sg_mem *mem);

#endif
