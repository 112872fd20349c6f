/*
 * proc_maps.h — the memory mappings of a process, from /proc/PID/maps, and
 * the one that holds the Python interpreter.
 *
 * The interpreter lives in libpythonX.Y.so for shared builds (pyenv's) or in
 * the pythonX.Y executable itself for static builds (Debian's /usr/bin/python3).
 * A shared build maps both; the library is the one that holds _PyRuntime.
 */
#ifndef SG_COLLECT_PROC_MAPS_H
#define SG_COLLECT_PROC_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct sg_python_image {
    char path[4096]; /* as the target sees it */
    uint64_t base;   /* start of the mapping with file offset 0 */
    int is_library;  /* libpython rather than the executable */
    int name_major;  /* version from the file name, or 0 when it has none */
    int name_minor;
} sg_python_image;

/* Finds the Python image of `pid`. Returns 0, -ESRCH when there is no such
 * process, -EACCES when its maps cannot be read, or -ENOENT when no mapping
 * looks like Python. */
int sg_proc_find_python(pid_t pid, sg_python_image *image);

/* "python3.11" or "libpython3.9.so.1.0" → 3, 11; returns 0 when the name
 * carries a version. */
int sg_proc_parse_python_name(const char *basename, int *major, int *minor);

#endif
