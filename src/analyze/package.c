/*
 * package.c — grouping source files into packages by path (see package.h).
 *
 * sg_packages_classify works per distinct file name: a first pass
 * classifies each file and finds the directory common to the own-code
 * files, a second names the own-code groups; package names are
 * de-duplicated through a small open-addressing index.
 */
#include "analyze/package.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "profile/hash.h"
#include "profile/status.h"

#define UNSET UINT32_MAX

const char *sg_package_kind_name(int kind)
{
    switch (kind) {
    case SG_PACKAGE_OWN:
        return "own code";
    case SG_PACKAGE_STDLIB:
        return "stdlib";
    case SG_PACKAGE_SITE:
        return "site-packages";
    case SG_PACKAGE_BUILTIN:
        return "built-in";
    default:
        return "other";
    }
}

static const char *const kind_keys[] = {"own", "stdlib", "site", "builtin", "other"};

const char *sg_package_kind_key(int kind)
{
    return kind >= SG_PACKAGE_OWN && kind <= SG_PACKAGE_OTHER ? kind_keys[kind] : "other";
}

int sg_package_kind_from_key(const char *s, size_t n)
{
    for (int k = SG_PACKAGE_OWN; k <= SG_PACKAGE_OTHER; k++)
        if (strlen(kind_keys[k]) == n && memcmp(kind_keys[k], s, n) == 0)
            return k;
    return -1;
}

static bool is_sep(char c)
{
    return c == '/' || c == '\\';
}

/* Length of the path component starting at s (up to a separator or end). */
static size_t component_len(const char *s, size_t left)
{
    size_t n = 0;
    while (n < left && !is_sep(s[n]))
        n++;
    return n;
}

static bool component_is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(s, word, n) == 0;
}

/* "python3", "python3.12", "python3.13t", "python2.7" */
static bool is_python_dir(const char *s, size_t n)
{
    if (n < 7 || memcmp(s, "python", 6) != 0)
        return false;
    for (size_t i = 6; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || (i == n - 1 && s[i] == 't')))
            return false;
    return true;
}

/* A module name from a path component: up to the first '.', so that
 * "six.py", "_json.cpython-312-x86_64-linux-gnu.so" and "pkg" all work. */
static size_t module_name_len(const char *s, size_t n)
{
    size_t k = 0;
    while (k < n && s[k] != '.')
        k++;
    return k > 0 ? k : n;
}

int sg_package_of_path(const char *path, size_t len, const char **name, size_t *name_len)
{
    if (len == 0 || (len == 1 && path[0] == '~')) {
        *name = "<built-in>";
        *name_len = strlen(*name);
        return SG_PACKAGE_BUILTIN;
    }
    if (path[0] == '<') {
        if (len > 9 && memcmp(path, "<frozen ", 8) == 0 && path[len - 1] == '>') {
            *name = path + 8;
            *name_len = module_name_len(path + 8, len - 9);
            return SG_PACKAGE_STDLIB;
        }
        *name = path;
        *name_len = len;
        return SG_PACKAGE_OTHER;
    }
    /* Walk components, remembering the last site-packages and stdlib marks. */
    const char *site = NULL, *stdlib = NULL;
    const char *prev = NULL;
    size_t prev_len = 0;
    for (size_t i = 0; i < len;) {
        if (is_sep(path[i])) {
            i++;
            continue;
        }
        size_t n = component_len(path + i, len - i);
        const char *c = path + i;
        bool last = i + n >= len;
        if (!last && (component_is(c, n, "site-packages") || component_is(c, n, "dist-packages")))
            site = c + n;
        else if (!last && prev != NULL && is_python_dir(c, n) &&
                 (component_is(prev, prev_len, "lib") || component_is(prev, prev_len, "lib64")))
            stdlib = c + n;
        else if (!last && component_is(c, n, "Lib") && site == NULL)
            stdlib = stdlib != NULL ? stdlib : c + n;
        prev = c;
        prev_len = n;
        i += n;
    }
    const char *after = site != NULL ? site : stdlib;
    if (after != NULL) {
        const char *end = path + len;
        const char *s = after;
        for (;;) {
            while (s < end && is_sep(*s))
                s++;
            size_t n = component_len(s, (size_t)(end - s));
            bool more = s + n < end;
            /* skip "X.egg" directories and stdlib's lib-dynload to the module inside */
            if (more && ((n > 4 && memcmp(s + n - 4, ".egg", 4) == 0) ||
                         (site == NULL && component_is(s, n, "lib-dynload")))) {
                s += n;
                continue;
            }
            *name = s;
            *name_len = module_name_len(s, n);
            break;
        }
        return site != NULL ? SG_PACKAGE_SITE : SG_PACKAGE_STDLIB;
    }
    return SG_PACKAGE_OWN;
}

/* ---- the profile's packages -------------------------------------------- */

typedef struct name_index {
    uint64_t *slots;
    uint32_t mask;
} name_index;

static uint32_t package_hash(int kind, const char *name, size_t len)
{
    return sg_hash_bytes(name, len) ^ (uint32_t)kind * 0x9e3779b9u;
}

/* Index of (kind, name) in pk, adding it if new. */
static int package_intern(sg_packages *pk, name_index *ix, int kind, const char *name, size_t len,
                          uint32_t *out)
{
    int rc = sg_hash_index_reserve(&ix->slots, &ix->mask, pk->count);
    if (rc != 0)
        return rc;
    uint32_t hash = package_hash(kind, name, len);
    for (uint32_t j = hash & ix->mask;; j = (j + 1) & ix->mask) {
        uint64_t slot = ix->slots[j];
        if (slot == SG_HASH_EMPTY_SLOT)
            break;
        const sg_package *it = &pk->items[sg_hash_slot_id(slot)];
        if (sg_hash_slot_hash(slot) == hash && it->kind == kind && strlen(it->name) == len &&
            memcmp(it->name, name, len) == 0) {
            *out = sg_hash_slot_id(slot);
            return SG_PROFILE_OK;
        }
    }
    if (pk->count == pk->cap) {
        uint32_t cap = pk->cap == 0 ? 16 : pk->cap * 2;
        sg_package *items = realloc(pk->items, (size_t)cap * sizeof *items);
        if (items == NULL)
            return SG_PROFILE_ENOMEM;
        pk->items = items;
        pk->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return SG_PROFILE_ENOMEM;
    memcpy(copy, name, len);
    copy[len] = '\0';
    pk->items[pk->count] = (sg_package){kind, copy};
    sg_hash_index_insert(ix->slots, ix->mask, hash, pk->count);
    *out = pk->count++;
    return SG_PROFILE_OK;
}

/* Shorten *common_len so that `dir` (a directory, len bytes) starts with
 * the first *common_len bytes of common, cut at a component boundary. */
static void narrow_common(const char *common, size_t *common_len, const char *dir, size_t len)
{
    size_t limit = *common_len < len ? *common_len : len, n = 0;
    while (n < limit && common[n] == dir[n])
        n++;
    if (n == *common_len && (n == len || is_sep(dir[n])))
        return; /* common already holds dir */
    if (n == len && is_sep(common[n])) {
        *common_len = len; /* dir holds common */
        return;
    }
    while (n > 0 && !is_sep(common[n - 1]))
        n--;
    if (n > 1)
        n--; /* drop the separator itself, keep "/" for the root */
    *common_len = n;
}

/* The group of an own file: its first component below `common_len` bytes. */
static void own_group(const char *path, size_t len, size_t common_len, const char **name,
                      size_t *name_len)
{
    size_t i = path[0] == '/' || path[0] == '\\' ? common_len : 0;
    while (i < len && is_sep(path[i]))
        i++;
    size_t n = component_len(path + i, len - i);
    *name = path + i;
    *name_len = i + n >= len ? module_name_len(path + i, n) : n;
    if (*name_len == 0) { /* a path that is only separators */
        *name = path;
        *name_len = len;
    }
}

int sg_packages_classify(const sg_profile *p, sg_packages *out, uint32_t *frame_package)
{
    memset(out, 0, sizeof *out);
    const sg_strings *s = &p->strings;
    uint32_t *file_package = malloc(((size_t)s->count + 1) * sizeof *file_package);
    name_index ix = {0};
    int rc = file_package == NULL ? SG_PROFILE_ENOMEM : SG_PROFILE_OK;
    if (rc != 0)
        goto out;
    for (uint32_t i = 0; i < s->count; i++)
        file_package[i] = UNSET;

    /* Pass 1: the directory common to the absolute own-code files. */
    const char *common = NULL;
    size_t common_len = 0;
    for (uint32_t f = 0; f < p->frames.count; f++) {
        uint32_t file = p->frames.rows[f].file;
        if (file_package[file] != UNSET)
            continue;
        file_package[file] = 0; /* seen */
        const char *path = sg_strings_get(s, file), *name;
        size_t len = sg_strings_len(s, file), name_len;
        if (sg_package_of_path(path, len, &name, &name_len) != SG_PACKAGE_OWN || !is_sep(path[0]))
            continue;
        size_t dir = len;
        while (dir > 0 && !is_sep(path[dir - 1]))
            dir--;
        if (dir > 1)
            dir--; /* the directory without its trailing separator ("/" stays) */
        if (common == NULL) {
            common = path;
            common_len = dir;
        } else {
            narrow_common(common, &common_len, path, dir);
        }
    }
    /* Pass 2: name every file's package. */
    for (uint32_t i = 0; i < s->count; i++)
        file_package[i] = UNSET;
    for (uint32_t f = 0; f < p->frames.count && rc == 0; f++) {
        uint32_t file = p->frames.rows[f].file;
        if (file_package[file] == UNSET) {
            const char *path = sg_strings_get(s, file), *name;
            size_t len = sg_strings_len(s, file), name_len;
            int kind = sg_package_of_path(path, len, &name, &name_len);
            if (kind == SG_PACKAGE_OWN)
                own_group(path, len, common_len, &name, &name_len);
            rc = package_intern(out, &ix, kind, name, name_len, &file_package[file]);
        }
        frame_package[f] = file_package[file];
    }
out:
    free(file_package);
    free(ix.slots);
    if (rc != 0)
        sg_packages_free(out);
    return rc;
}

void sg_packages_free(sg_packages *pk)
{
    for (uint32_t i = 0; i < pk->count; i++)
        free(pk->items[i].name);
    free(pk->items);
    memset(pk, 0, sizeof *pk);
}
