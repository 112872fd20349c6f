/*
 * package.h — which package a source file belongs to, from its path alone:
 * the standard library, an installed third-party package, the program's
 * own code, or a built-in. Used by the function table's "by package" view
 * and anything else that groups code by where it comes from.
 *
 * The rules (in this order; '\' counts as '/' so Windows paths work):
 *   - built-in: "~" (pstats's file for C functions) or "" → "<built-in>";
 *   - "<frozen X>" → the standard library, top-level module of X
 *     ("<frozen importlib._bootstrap>" → importlib); any other "<...>"
 *     (<string>, <stdin>) → "other", named as it is;
 *   - a path with a "site-packages" or "dist-packages" component →
 *     site-packages, named by the component after it, without a ".py" or
 *     extension-module suffix (".../site-packages/numpy/core/x.py" →
 *     numpy; an "X.egg" directory is skipped to the package inside it);
 *   - a path with a "lib/pythonX.Y" (or lib64, or "Lib" on Windows)
 *     component → the standard library, named by the next component
 *     ("json", "threading"; "lib-dynload/_json.cpython-312....so" → _json);
 *   - anything else is the program's own code, grouped by its first path
 *     component below the deepest directory common to all own files of the
 *     profile (a file directly in that directory is its own group, named
 *     by its module name): /proj/app/models.py and /proj/main.py → "app"
 *     and "main". Relative paths group by their first component.
 *
 * Only the path is used, never the file system, so a profile groups the
 * same way on any machine.
 */
#ifndef SG_ANALYZE_PACKAGE_H
#define SG_ANALYZE_PACKAGE_H

#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"

enum sg_package_kind {
    SG_PACKAGE_OWN = 0,
    SG_PACKAGE_STDLIB = 1,
    SG_PACKAGE_SITE = 2,
    SG_PACKAGE_BUILTIN = 3,
    SG_PACKAGE_OTHER = 4,
};

/* "own code", "stdlib", "site-packages", "built-in", "other" */
const char *sg_package_kind_name(int kind);

/* The short keys of the API and the command line ("own", "stdlib", "site",
 * "builtin", "other"): the kind whose key is s[0..n), or -1. */
const char *sg_package_kind_key(int kind);
int sg_package_kind_from_key(const char *s, size_t n);

/*
 * Classify one path. For every kind but SG_PACKAGE_OWN, *name and
 * *name_len receive the package name (pointing into `path`, or to a static
 * string for built-ins). For own code they receive nothing: its group
 * depends on the other own files (see sg_packages_classify).
 */
int sg_package_of_path(const char *path, size_t len, const char **name, size_t *name_len);

typedef struct sg_package {
    int kind;   /* enum sg_package_kind */
    char *name; /* owned, NUL-terminated */
} sg_package;

typedef struct sg_packages {
    sg_package *items;
    uint32_t count, cap;
} sg_packages;

/* Classify every frame's file: frame_package[frame] (frames.count entries,
 * caller-allocated) receives an index into out->items. Returns
 * SG_PROFILE_OK or SG_PROFILE_ENOMEM. */
int sg_packages_classify(const sg_profile *p, sg_packages *out, uint32_t *frame_package);
void sg_packages_free(sg_packages *pk);

#endif
