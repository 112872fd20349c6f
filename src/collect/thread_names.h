/*
 * thread_names.h — the Python-level names of a target's threads
 * (threading.Thread.name: "MainThread", "worker-3"), read out of process.
 *
 * CPython 3.9-3.13 never give threads an OS name, so the kernel's comm says
 * nothing; the names live in the `threading` module. We follow, read-only:
 *   interpreter → sys.modules["threading"] → its __dict__["_active"]
 *   (a dict {ident: Thread}, ident == PyThreadState.thread_id)
 *   → the Thread whose int key equals the ident → its `_name` attribute.
 * Each version keeps dicts, ints and instance attributes differently; the
 * offsets come from the generated layout tables (layout.h).
 *
 * This is not for the sampler's hot path: call it when a new thread shows
 * up (or about once a second). A call costs a few dozen small reads; it
 * walks from the interpreter every time, and remembers only hints (where a
 * key was found last time) that are checked before they are used.
 *
 * Invariants:
 *   - Everything read is untrusted: every pointer is read through the
 *     target's memory source, every length and loop is bounded, and a torn
 *     or garbage structure yields "unknown" (an empty name), never a crash,
 *     a hang or a huge read.
 *   - Only dicts whose type is sys.modules' type (the exact dict type) and
 *     str objects of PyUnicode_Type (when that symbol is known) are used.
 *   - A thread that is not (yet) in threading._active — one that has not
 *     started its run(), or one made with _thread.start_new_thread — is
 *     unknown; calling again later may find it.
 *
 * Ownership: sg_thread_names_new borrows the target (which must outlive the
 * reader); sg_thread_names_free frees only the reader.
 */
#ifndef SG_COLLECT_THREAD_NAMES_H
#define SG_COLLECT_THREAD_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "collect/target.h"

/* Bytes of one name, NUL included; longer names are cut at a code point. */
#define SG_THREAD_NAME_MAX 64

typedef struct sg_thread_names sg_thread_names;

/* A reader over `t`. Returns NULL only when out of memory. */
sg_thread_names *sg_thread_names_new(sg_target *t);

/* Fills names[i] with the UTF-8 name of the thread whose PyThreadState
 * thread_id is thread_ids[i], or "" when it is unknown. Returns 0 (even
 * when some or all names are unknown), -EAGAIN while the target has no
 * interpreter yet (see sg_target_find_interpreter), -EINVAL for bad
 * arguments, or the memory source's negative errno when it failed (the
 * process is gone: -ESRCH). */
int sg_thread_names_read(sg_thread_names *tn, const uint64_t *thread_ids, size_t n,
                         char (*names)[SG_THREAD_NAME_MAX]);

void sg_thread_names_free(sg_thread_names *tn);

#endif
