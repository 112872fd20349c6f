/*
 * proc_maps.c — finding the Python interpreter among a process's mappings.
 *
 * We read /proc/PID/maps once at attach time (never on the sampling path) and
 * pick, in order: a mapping of libpythonX.Y.so, else the executable whose
 * name starts with "python". Only the mapping with file offset 0 gives the
 * image's base address.
 */
#include "collect/proc_maps.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int sg_proc_parse_python_name(const char *name, int *major, int *minor)
{
    const char *p = strncmp(name, "lib", 3) == 0 ? name + 3 : name;
    if (strncmp(p, "python", 6) != 0)
        return -1;
    p += 6;
    if (!isdigit((unsigned char)p[0]) || p[1] != '.' || !isdigit((unsigned char)p[2]))
        return -1;
    *major = p[0] - '0';
    *minor = 0;
    for (p += 2; isdigit((unsigned char)*p); p++)
        *minor = *minor * 10 + (*p - '0');
    return 0;
}

static const char *sg_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Scores a mapped file: 2 for libpythonX.Y.so*, 1 for a python executable. */
static int sg_python_score(const char *path)
{
    const char *base = sg_basename(path);
    if (strncmp(base, "libpython", 9) == 0 && strstr(base, ".so"))
        return 2;
    if (strncmp(base, "python", 6) == 0)
        return 1;
    return 0;
}

int sg_proc_find_python(pid_t pid, sg_python_image *image)
{
    char maps_path[64];
    snprintf(maps_path, sizeof maps_path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(maps_path, "r");
    if (!f)
        return errno == ENOENT ? -ESRCH : -EACCES;

    char line[4352];
    int best = 0;
    memset(image, 0, sizeof *image);
    while (fgets(line, sizeof line, f)) {
        uint64_t start, end, offset;
        char perms[8];
        int path_at = 0;
        if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %n", &start, &end, perms,
                   &offset, &path_at) < 4 ||
            path_at == 0)
            continue;
        char *path = line + path_at;
        path[strcspn(path, "\n")] = '\0';
        int score = path[0] == '/' ? sg_python_score(path) : 0;
        if (score > best && offset == 0) {
            best = score;
            snprintf(image->path, sizeof image->path, "%s", path);
            image->base = start;
            image->is_library = score == 2;
        }
    }
    fclose(f);
    if (best == 0)
        return -ENOENT;
    if (sg_proc_parse_python_name(sg_basename(image->path), &image->name_major,
                                  &image->name_minor) != 0)
        image->name_major = image->name_minor = 0;
    return 0;
}
