/*
 * target.h — a Python process we sample: its memory source, its version and
 * layout, and the addresses every sample starts from.
 *
 * sg_target_attach finds the interpreter image, reads its symbols, decides
 * the version (3.13+'s _Py_DebugOffsets, else Py_Version, else the file
 * name) and picks the layout; it reads the target once to prove we may. The
 * main interpreter may not exist yet when we attach right after exec: then
 * sg_target_find_interpreter says -EAGAIN until it does.
 *
 * Ownership: the target owns its memory source; sg_target_detach frees it.
 */
#ifndef SG_COLLECT_TARGET_H
#define SG_COLLECT_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "collect/elf_symbols.h"
#include "collect/layout.h"
#include "collect/mem.h"
#include "collect/proc_maps.h"

typedef struct sg_target {
    pid_t pid;
    sg_mem *mem;
    const sg_layout *layout;
    uint32_t version_hex; /* PY_VERSION_HEX when known, else major/minor only */
    char version[24];     /* "3.11.7", or "3.9" when the patch is unknown */
    sg_python_image image;
    sg_python_symbols syms;
    uint64_t interp; /* the main interpreter, 0 until the runtime made it */
    uint64_t gil;    /* struct _gil_runtime_state, 0 until known */
} sg_target;

/* Error codes beyond -errno, for the CLI to pick its advice. */
enum {
    SG_TARGET_ENOPROC = -1001,  /* no such process */
    SG_TARGET_ENOTPY = -1002,   /* not a Python process */
    SG_TARGET_EVERSION = -1003, /* unsupported or unknown Python version */
    SG_TARGET_EPERM = -1004,    /* not allowed to read its memory */
    SG_TARGET_ELAYOUT = -1005   /* the target's own offsets disagree with ours */
};

/* Attaches; on failure returns one of the codes above with a sentence in err. */
int sg_target_attach(pid_t pid, sg_target *t, char *err, size_t errlen);

/* Finds the main interpreter and the GIL: 0, -EAGAIN while the runtime is
 * not initialised yet, or the memory source's negative errno. */
int sg_target_find_interpreter(sg_target *t);

void sg_target_detach(sg_target *t);

/* A sentence saying how to get permission to read another process. */
const char *sg_target_permission_advice(void);

#endif
