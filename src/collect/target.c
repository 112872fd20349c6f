/*
 * target.c — attaching to a Python process: image, symbols, version, layout.
 *
 * Version sources, most trusted first: the _Py_DebugOffsets header that 3.13+
 * puts at the start of _PyRuntime (its cookie and version are checked, and
 * its offsets are cross-checked with our table, so a build with a different
 * layout is refused rather than misread); the Py_Version symbol (3.11+); the
 * major.minor in the image's file name (3.9, 3.10).
 */
#include "collect/target.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/debug_offsets.h"

const char *sg_target_permission_advice(void)
{
    return "run spyglass as the same user as the target (or as root), or grant it "
           "CAP_SYS_PTRACE (docker: --cap-add SYS_PTRACE), or allow it with "
           "`sysctl kernel.yama.ptrace_scope=0` (it is 1 on many distributions)";
}

static void sg_version_string(sg_target *t, int patch_known)
{
    unsigned major = (t->version_hex >> 24) & 0xff, minor = (t->version_hex >> 16) & 0xff;
    if (patch_known)
        snprintf(t->version, sizeof t->version, "%u.%u.%u", major, minor,
                 (t->version_hex >> 8) & 0xff);
    else
        snprintf(t->version, sizeof t->version, "%u.%u", major, minor);
}

/* Reads the version from _Py_DebugOffsets (3.13+) or Py_Version (3.11+).
 * Returns 1 when found, 0 when the target has neither, or a target error. */
static int sg_read_version(sg_target *t, char *err, size_t errlen)
{
    uint8_t head[8];
    if (t->syms.runtime_section && sg_mem_read(t->mem, t->syms.runtime, head, 8) == 0 &&
        memcmp(head, "xdebugpy", 8) == 0) {
        size_t size = sg_debug_offsets_size();
        uint8_t *buf = malloc(size);
        if (!buf || sg_mem_read(t->mem, t->syms.runtime, buf, size) != 0) {
            free(buf);
            snprintf(err, errlen, "cannot read _Py_DebugOffsets of process %d", (int)t->pid);
            return SG_TARGET_ENOTPY;
        }
        uint32_t version = 0;
        const sg_layout *table = sg_layout_for_version(sg_debug_offsets_version(buf, size));
        int rc = sg_debug_offsets_check(buf, size, table, &version, err, errlen);
        free(buf);
        t->version_hex = version;
        if (rc != 0 && !table)
            return 1; /* a newer version than we know: reported by the caller */
        if (rc != 0)
            return SG_TARGET_ELAYOUT;
        return 1;
    }
    uint32_t version = 0;
    if (t->syms.py_version && sg_mem_read(t->mem, t->syms.py_version, &version, 4) == 0 &&
        (version >> 24) == 3) {
        t->version_hex = version;
        return 1;
    }
    return 0;
}

static int sg_probe_access(sg_target *t, char *err, size_t errlen)
{
    uint64_t word;
    int rc = sg_mem_read(t->mem, t->syms.runtime, &word, sizeof word);
    if (rc == -EPERM || rc == -EACCES) {
        snprintf(err, errlen, "permission denied reading the memory of process %d: %s", (int)t->pid,
                 sg_target_permission_advice());
        return SG_TARGET_EPERM;
    }
    if (rc == -ESRCH) {
        snprintf(err, errlen, "no such process: %d (it exited)", (int)t->pid);
        return SG_TARGET_ENOPROC;
    }
    if (rc != 0) {
        snprintf(err, errlen, "cannot read _PyRuntime in process %d: %s", (int)t->pid,
                 strerror(-rc));
        return SG_TARGET_ENOTPY;
    }
    return 0;
}

static int sg_find_image(pid_t pid, sg_target *t, char *err, size_t errlen)
{
    if (kill(pid, 0) != 0 && errno == ESRCH) {
        snprintf(err, errlen, "no such process: %d", (int)pid);
        return SG_TARGET_ENOPROC;
    }
    int rc = sg_proc_find_python(pid, &t->image);
    if (rc == -ESRCH) {
        snprintf(err, errlen, "no such process: %d", (int)pid);
        return SG_TARGET_ENOPROC;
    }
    if (rc == -EACCES) {
        snprintf(err, errlen, "permission denied reading /proc/%d/maps: %s", (int)pid,
                 sg_target_permission_advice());
        return SG_TARGET_EPERM;
    }
    if (rc != 0) {
        snprintf(err, errlen,
                 "process %d is not a Python process (no python executable or libpython "
                 "is mapped in it)",
                 (int)pid);
        return SG_TARGET_ENOTPY;
    }
    rc = sg_elf_python_symbols(pid, &t->image, &t->syms, err, errlen);
    if (rc == -EACCES || rc == -EPERM) {
        snprintf(err, errlen, "permission denied opening the Python image of process %d: %s",
                 (int)pid, sg_target_permission_advice());
        return SG_TARGET_EPERM;
    }
    if (rc != 0) {
        char why[512];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, errlen, "process %d is not a Python process we can read: %s", (int)pid, why);
        return SG_TARGET_ENOTPY;
    }
    return 0;
}

int sg_target_attach(pid_t pid, sg_target *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->pid = pid;
    int rc = sg_find_image(pid, t, err, errlen);
    if (rc != 0)
        return rc;
    /* Sampling ourselves (python/'s in-process sampler): the self source. */
    t->mem = pid == getpid() ? sg_mem_self_open(0) : sg_mem_process_open(pid);
    if (!t->mem) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if ((rc = sg_probe_access(t, err, errlen)) != 0)
        goto fail;
    rc = sg_read_version(t, err, errlen);
    if (rc < 0)
        goto fail;
    int patch_known = rc == 1;
    unsigned minor, patch;
    char text[24] = {0};
    if (!patch_known && t->syms.version_buffer &&
        sg_mem_read(t->mem, t->syms.version_buffer, text, sizeof text - 1) == 0 &&
        sscanf(text, "3.%u.%u", &minor, &patch) == 2 && minor == (unsigned)t->image.name_minor) {
        t->version_hex = (3u << 24) | (minor << 16) | (patch << 8);
        patch_known = 1;
    } else if (!patch_known && t->image.name_major == 3) {
        t->version_hex = (3u << 24) | ((uint32_t)t->image.name_minor << 16);
    }
    if (!t->version_hex) {
        snprintf(err, errlen, "cannot tell the Python version of process %d (%s)", (int)pid,
                 t->image.path);
        rc = SG_TARGET_EVERSION;
        goto fail;
    }
    sg_version_string(t, patch_known);
    t->layout = sg_layout_for_version(t->version_hex);
    if (!t->layout) {
        snprintf(err, errlen,
                 "unsupported Python version %s in process %d (spyglass supports " SG_LAYOUT_OLDEST
                 " to " SG_LAYOUT_NEWEST ")",
                 t->version, (int)pid);
        rc = SG_TARGET_EVERSION;
        goto fail;
    }
    return 0;
fail:
    sg_target_detach(t);
    return rc;
}

int sg_target_find_interpreter(sg_target *t)
{
    const sg_layout *l = t->layout;
    uint64_t interp = 0, threads = 0;
    int rc = sg_mem_read(t->mem, t->syms.runtime + (uint64_t)l->runtime_interpreters_head, &interp,
                         sizeof interp);
    if (rc != 0)
        return rc == -EFAULT ? -EAGAIN : rc;
    if (interp == 0)
        return -EAGAIN;
    rc = sg_mem_read(t->mem, interp + (uint64_t)l->interp_threads_head, &threads, sizeof threads);
    if (rc != 0 || threads == 0)
        return rc == 0 || rc == -EFAULT ? -EAGAIN : rc;
    uint64_t gil = 0;
    if (l->interp_ceval_gil_ptr != SG_LAYOUT_ABSENT) {
        rc = sg_mem_read(t->mem, interp + (uint64_t)l->interp_ceval_gil_ptr, &gil, sizeof gil);
        if (rc != 0 || gil == 0)
            return rc == 0 || rc == -EFAULT ? -EAGAIN : rc;
    } else {
        gil = t->syms.runtime + (uint64_t)l->runtime_ceval_gil;
    }
    t->interp = interp;
    t->gil = gil;
    return 0;
}

void sg_target_detach(sg_target *t)
{
    sg_mem_close(t->mem);
    t->mem = NULL;
}
