/*
 * elf_symbols.h — the addresses a sampler needs from the Python image's ELF
 * file: _PyRuntime (or the .PyRuntime section), Py_Version and the type
 * objects used to validate what we read (PyCode_Type, PyUnicode_Type).
 *
 * Addresses returned are already relocated into the target's address space.
 * A zero address means "not found".
 */
#ifndef SG_COLLECT_ELF_SYMBOLS_H
#define SG_COLLECT_ELF_SYMBOLS_H

#include <stdint.h>
#include <sys/types.h>

#include "collect/proc_maps.h"

typedef struct sg_python_symbols {
    uint64_t runtime;         /* _PyRuntime, else the .PyRuntime section */
    uint64_t runtime_section; /* .PyRuntime section start (3.10+) */
    uint64_t py_version;      /* Py_Version (3.11+) */
    uint64_t code_type;       /* PyCode_Type */
    uint64_t unicode_type;    /* PyUnicode_Type */
    uint64_t none;            /* _Py_NoneStruct: 3.13 frames may run None */
    /* Py_GetVersion's static buffer ("3.9.18 (main, ...") in builds that
     * keep local symbols: the patch level for 3.9/3.10, which have no
     * Py_Version. */
    uint64_t version_buffer;
} sg_python_symbols;

/* Reads the symbols of `image` as mapped in `pid`. Returns 0 or -errno with a
 * reason in err. The file is opened through /proc/PID/root so a process in
 * another mount namespace (a container) resolves its own files. */
int sg_elf_python_symbols(pid_t pid, const sg_python_image *image, sg_python_symbols *syms,
                          char *err, size_t errlen);

#endif
