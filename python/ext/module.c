/*
 * module.c — the CPython face of the in-process sampler: the `_spyglass`
 * extension module that python/spyglass wraps.
 *
 *   _spyglass.Sampler  owns one sg_inproc (inproc.h): start, stop, pause,
 *                      resume, snapshot, events, thread filter, stats.
 *   _spyglass.Profile  owns one sg_profile (a snapshot, or a .sgl read
 *                      back): save as .sgl, bytes, collapsed stacks, facts.
 *
 * Everything here runs with the GIL held, except the calls that wait or do
 * I/O (attach, join, copy, write), which release it: the sampler thread
 * never needs the GIL, so releasing it can never deadlock with it.
 * Sub-interpreters: the module is single-phase (3.12+ isolated
 * interpreters refuse it) and a Sampler started outside the main
 * interpreter is refused; only the main interpreter's threads are sampled.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect/mem.h"
#include "collect/mem_guarded.h"
#include "inproc.h"
#include "profile/export_collapsed.h"
#include "profile/sgl.h"

/* ---- Profile ------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD sg_profile *p;
} ProfileObject;

static PyTypeObject ProfileType;

static PyObject *profile_wrap(sg_profile *p)
{
    ProfileObject *self = PyObject_New(ProfileObject, &ProfileType);
    if (!self) {
        sg_profile_free(p);
        return NULL;
    }
    self->p = p;
    return (PyObject *)self;
}

static void profile_dealloc(ProfileObject *self)
{
    sg_profile_free(self->p);
    PyObject_Free(self);
}

static PyObject *profile_save(ProfileObject *self, PyObject *args)
{
    PyObject *path_obj;
    if (!PyArg_ParseTuple(args, "O&:save", PyUnicode_FSConverter, &path_obj))
        return NULL;
    const char *path = PyBytes_AS_STRING(path_obj);
    char err[512] = "";
    int rc;
    Py_BEGIN_ALLOW_THREADS;
    sg_sgl_writer *w = NULL;
    rc = sg_sgl_writer_open(path, NULL, &w, err, sizeof err);
    if (rc == 0)
        rc = sg_sgl_writer_close(w, self->p, err, sizeof err);
    Py_END_ALLOW_THREADS;
    Py_DECREF(path_obj);
    if (rc != 0) {
        PyErr_Format(PyExc_OSError, "cannot write %s", err);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *profile_to_bytes(ProfileObject *self, PyObject *unused)
{
    (void)unused;
    char err[512] = "";
    int fd = memfd_create("spyglass-sgl", MFD_CLOEXEC);
    if (fd < 0)
        return PyErr_SetFromErrno(PyExc_OSError);
    int rc;
    struct stat st = {0};
    Py_BEGIN_ALLOW_THREADS;
    sg_sgl_writer *w = NULL;
    rc = sg_sgl_writer_open_fd(fd, NULL, &w, err, sizeof err);
    if (rc == 0)
        rc = sg_sgl_writer_close(w, self->p, err, sizeof err);
    if (rc == 0 && fstat(fd, &st) != 0)
        rc = -1, snprintf(err, sizeof err, "%s", strerror(errno));
    Py_END_ALLOW_THREADS;
    if (rc != 0) {
        close(fd);
        PyErr_Format(PyExc_OSError, "cannot encode the profile: %s", err);
        return NULL;
    }
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, st.st_size);
    if (bytes && pread(fd, PyBytes_AS_STRING(bytes), (size_t)st.st_size, 0) != st.st_size) {
        Py_CLEAR(bytes);
        PyErr_SetFromErrno(PyExc_OSError);
    }
    close(fd);
    return bytes;
}

static PyObject *profile_collapsed(ProfileObject *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"threads", NULL};
    int threads = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|p:collapsed", names, &threads))
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return PyErr_NoMemory();
    sg_collapsed_options opts = {0};
    opts.flags = threads ? SG_COLLAPSED_THREADS : 0;
    int rc = sg_export_collapsed(self->p, out, &opts);
    fclose(out);
    PyObject *text = rc == 0 ? PyUnicode_DecodeUTF8(buf, (Py_ssize_t)len, "replace") : NULL;
    if (rc != 0)
        PyErr_SetString(PyExc_RuntimeError, "cannot export collapsed stacks");
    free(buf);
    return text;
}

static PyObject *profile_events(ProfileObject *self, PyObject *unused)
{
    (void)unused;
    const sg_profile *p = self->p;
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && i < p->events.count; i++) {
        uint32_t th = p->events.thread[i];
        PyObject *item = Py_BuildValue(
            "(KiKs)", (unsigned long long)p->events.time_ns[i], (int)p->events.kind[i],
            (unsigned long long)(th == SG_THREAD_NONE ? 0 : p->threads.tid[th]),
            sg_strings_get(&p->strings, p->events.label[i]));
        if (!item || PyList_Append(list, item) != 0)
            Py_CLEAR(list);
        Py_XDECREF(item);
    }
    return list;
}

static PyObject *profile_threads(ProfileObject *self, PyObject *unused)
{
    (void)unused;
    const sg_profile *p = self->p;
    uint64_t *count = calloc((size_t)p->threads.count + 1, sizeof *count);
    if (!count)
        return PyErr_NoMemory();
    for (size_t i = 0; i < p->samples.count; i++)
        if (p->samples.thread[i] < p->threads.count)
            count[p->samples.thread[i]] += p->samples.weight[i];
    PyObject *list = PyList_New(0);
    for (uint32_t i = 0; list && i < p->threads.count; i++) {
        if (!count[i])
            continue; /* announced, never sampled (filtered, or idle in cpu mode) */
        PyObject *item = Py_BuildValue("(Ks)", (unsigned long long)p->threads.tid[i],
                                       sg_strings_get(&p->strings, p->threads.name[i]));
        if (!item || PyList_Append(list, item) != 0)
            Py_CLEAR(list);
        Py_XDECREF(item);
    }
    free(count);
    return list;
}

static PyObject *profile_info(ProfileObject *self, PyObject *unused)
{
    (void)unused;
    const sg_profile *p = self->p;
    const sg_meta *m = &p->meta;
    uint64_t weight = 0;
    for (size_t i = 0; i < p->samples.count; i++)
        weight += p->samples.weight[i];
    return Py_BuildValue(
        "{s:n,s:K,s:K,s:K,s:K,s:K,s:s,s:s,s:s,s:s,s:n,s:n,s:K}", "samples",
        (Py_ssize_t)p->samples.count, "weight", (unsigned long long)weight, "duration_ns",
        (unsigned long long)m->duration_ns, "start_unix_ns", (unsigned long long)m->start_unix_ns,
        "interval_ns", (unsigned long long)m->interval_ns, "pid", (unsigned long long)m->pid,
        "mode",
        m->mode == SG_MODE_CPU    ? "cpu"
        : m->mode == SG_MODE_WALL ? "wall"
                                  : "unknown",
        "python", sg_strings_get(&p->strings, m->python_version), "command",
        sg_strings_get(&p->strings, m->command), "spyglass",
        sg_strings_get(&p->strings, m->spyglass_version), "events", (Py_ssize_t)p->events.count,
        "sources", (Py_ssize_t)p->sources.count, "missed", (unsigned long long)m->samples_missed);
}

static PyMethodDef profile_methods[] = {
    {"save", (PyCFunction)profile_save, METH_VARARGS, "save(path): write the profile as .sgl"},
    {"to_bytes", (PyCFunction)profile_to_bytes, METH_NOARGS, "the .sgl bytes"},
    {"collapsed", (PyCFunction)(void (*)(void))profile_collapsed, METH_VARARGS | METH_KEYWORDS,
     "collapsed(threads=False): collapsed stacks, one `frame;frame;... count` line each"},
    {"events", (PyCFunction)profile_events, METH_NOARGS,
     "[(time_ns, kind, tid, label)]: GC events and markers"},
    {"threads", (PyCFunction)profile_threads, METH_NOARGS,
     "[(tid, name)] of the threads with samples"},
    {"info", (PyCFunction)profile_info, METH_NOARGS, "metadata and counts, as a dict"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject ProfileType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "_spyglass.Profile",
    .tp_basicsize = sizeof(ProfileObject),
    .tp_dealloc = (destructor)profile_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A recorded profile (the spyglass model): save(), to_bytes(), collapsed().",
    .tp_methods = profile_methods,
};

/* ---- Sampler -------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD sg_inproc *ip;
} SamplerObject;

static void sampler_dealloc(SamplerObject *self)
{
    if (self->ip) {
        Py_BEGIN_ALLOW_THREADS;
        sg_inproc_free(self->ip);
        Py_END_ALLOW_THREADS;
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int sampler_init(SamplerObject *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"rate",    "mode",   "window",    "history", "mem",
                            "command", "python", "cpu_clock", NULL};
    double rate = 1000, window = 0;
    const char *mode = "wall", *mem = "auto", *command = "", *python = "";
    unsigned int history = 0;
    int cpu_clock = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|dsdIsssp:Sampler", names, &rate, &mode, &window,
                                     &history, &mem, &command, &python, &cpu_clock))
        return -1;
    if (!(rate >= 1 && rate <= 100000)) {
        char msg[128]; /* PyErr_Format has no %g */
        snprintf(msg, sizeof msg, "rate must be 1..100000 samples per second, not %g", rate);
        PyErr_SetString(PyExc_ValueError, msg);
        return -1;
    }
    sg_inproc_config cfg = {0};
    cfg.rate_hz = rate;
    if (strcmp(mode, "wall") == 0)
        cfg.mode = SG_SAMPLER_WALL;
    else if (strcmp(mode, "cpu") == 0)
        cfg.mode = SG_SAMPLER_CPU;
    else {
        PyErr_Format(PyExc_ValueError, "mode is 'wall' or 'cpu', not '%s'", mode);
        return -1;
    }
    if (window < 0 || (window > 0 && window < 0.01)) {
        PyErr_SetString(PyExc_ValueError, "window must be at least 0.01 seconds");
        return -1;
    }
    cfg.window_ns = (uint64_t)(window * 1e9);
    cfg.history = history;
    cfg.cpu_clock = cpu_clock != 0;
    if (strcmp(mem, "fd") == 0)
        cfg.mem_flags = SG_MEM_SELF_FD;
    else if (strcmp(mem, "kernel") == 0)
        cfg.mem_flags = SG_MEM_SELF_KERNEL;
    else if (strcmp(mem, "auto") != 0) {
        PyErr_Format(PyExc_ValueError,
                     "mem is 'auto' (guarded memcpy), 'kernel' (process_vm_readv) or 'fd' "
                     "(/proc/self/mem), not '%s'",
                     mem);
        return -1;
    }
    cfg.main_interp = (uint64_t)(uintptr_t)PyInterpreterState_Main();
    if (self->ip) {
        sg_inproc_free(self->ip);
        self->ip = NULL;
    }
    self->ip = sg_inproc_new(&cfg, command, python);
    if (!self->ip) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static int sampler_ready(SamplerObject *self)
{
    if (!self->ip) {
        PyErr_SetString(PyExc_RuntimeError, "Sampler not initialised");
        return 0;
    }
    return 1;
}

static PyObject *sampler_start(SamplerObject *self, PyObject *unused)
{
    (void)unused;
    if (!sampler_ready(self))
        return NULL;
    if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
        PyErr_SetString(PyExc_RuntimeError,
                        "spyglass samples the main interpreter only; start it from there "
                        "(sub-interpreters are not sampled)");
        return NULL;
    }
    char err[1024] = "";
    int rc;
    Py_BEGIN_ALLOW_THREADS;
    rc = sg_inproc_start(self->ip, err, sizeof err);
    Py_END_ALLOW_THREADS;
    if (rc != 0) {
        PyErr_Format(PyExc_RuntimeError, "spyglass cannot sample this process: %s", err);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *sampler_stop(SamplerObject *self, PyObject *unused)
{
    (void)unused;
    if (!sampler_ready(self))
        return NULL;
    Py_BEGIN_ALLOW_THREADS;
    sg_inproc_stop(self->ip);
    Py_END_ALLOW_THREADS;
    Py_RETURN_NONE;
}

static PyObject *sampler_set_paused(SamplerObject *self, PyObject *arg)
{
    if (!sampler_ready(self))
        return NULL;
    int paused = PyObject_IsTrue(arg);
    if (paused < 0)
        return NULL;
    sg_inproc_set_paused(self->ip, paused);
    Py_RETURN_NONE;
}

static PyObject *sampler_snapshot(SamplerObject *self, PyObject *args)
{
    unsigned long long t0 = 0, t1 = UINT64_MAX;
    if (!sampler_ready(self) || !PyArg_ParseTuple(args, "|KK:snapshot", &t0, &t1))
        return NULL;
    sg_profile *p;
    Py_BEGIN_ALLOW_THREADS;
    p = sg_inproc_snapshot(self->ip, t0, t1);
    Py_END_ALLOW_THREADS;
    if (!p) {
        PyErr_SetString(PyExc_RuntimeError, "nothing recorded yet (start() the profiler first)");
        return NULL;
    }
    return profile_wrap(p);
}

static PyObject *sampler_event(SamplerObject *self, PyObject *args)
{
    int kind;
    long tid;
    const char *label, *thread_name = NULL;
    if (!sampler_ready(self) ||
        !PyArg_ParseTuple(args, "ils|z:event", &kind, &tid, &label, &thread_name))
        return NULL;
    if (kind < 1 || kind > SG_EVENT_KIND_MAX) {
        PyErr_Format(PyExc_ValueError, "unknown event kind %d", kind);
        return NULL;
    }
    sg_inproc_add_event(self->ip, (uint8_t)kind, (pid_t)tid, thread_name, label);
    Py_RETURN_NONE;
}

static PyObject *sampler_set_threads(SamplerObject *self, PyObject *arg)
{
    if (!sampler_ready(self))
        return NULL;
    if (arg == Py_None) {
        if (sg_inproc_set_threads(self->ip, NULL, 0) != 0)
            return PyErr_NoMemory();
        Py_RETURN_NONE;
    }
    PyObject *seq = PySequence_Fast(arg, "threads must be a sequence of native thread ids");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    pid_t *tids = malloc(((size_t)n + 1) * sizeof *tids);
    for (Py_ssize_t i = 0; tids && i < n; i++) {
        long v = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
        if (v == -1 && PyErr_Occurred()) {
            free(tids);
            Py_DECREF(seq);
            return NULL;
        }
        tids[i] = (pid_t)v;
    }
    Py_DECREF(seq);
    if (!tids)
        return PyErr_NoMemory();
    /* An empty list records nothing: pass one impossible tid. */
    if (n == 0)
        tids[n++] = -1;
    int rc = sg_inproc_set_threads(self->ip, tids, (size_t)n);
    free(tids);
    if (rc != 0)
        return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static PyObject *sampler_stats(SamplerObject *self, PyObject *unused)
{
    (void)unused;
    if (!sampler_ready(self))
        return NULL;
    sg_inproc_stats s;
    sg_inproc_get_stats(self->ip, &s);
    return Py_BuildValue(
        "{s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:I,s:O,s:O,s:O,s:s,s:s,s:s}", "rounds",
        (unsigned long long)s.rounds, "samples", (unsigned long long)s.samples, "torn",
        (unsigned long long)s.torn, "failed", (unsigned long long)s.failed, "reads",
        (unsigned long long)s.syscalls, "late", (unsigned long long)s.late, "missed",
        (unsigned long long)s.missed, "faults", (unsigned long long)s.faults, "work_median_ns",
        (unsigned long long)s.work_median_ns, "work_mean_ns", (unsigned long long)s.work_mean_ns,
        "sampler_cpu_ns", (unsigned long long)s.sampler_cpu_ns, "elapsed_ns",
        (unsigned long long)s.elapsed_ns, "windows", s.windows, "running",
        s.running ? Py_True : Py_False, "paused", s.paused ? Py_True : Py_False, "forked",
        s.forked ? Py_True : Py_False, "memory_source", s.mem_method, "cpu_state", s.cpu_state,
        "error", sg_inproc_error(self->ip));
}

static PyObject *sampler_now_ns(SamplerObject *self, PyObject *unused)
{
    (void)unused;
    if (!sampler_ready(self))
        return NULL;
    return PyLong_FromUnsignedLongLong(sg_inproc_now(self->ip));
}

static PyMethodDef sampler_methods[] = {
    {"start", (PyCFunction)sampler_start, METH_NOARGS, "attach to this process and sample"},
    {"stop", (PyCFunction)sampler_stop, METH_NOARGS, "stop sampling (the recording stays)"},
    {"set_paused", (PyCFunction)sampler_set_paused, METH_O, "pause or resume"},
    {"snapshot", (PyCFunction)sampler_snapshot, METH_VARARGS,
     "snapshot(t0_ns=0, t1_ns=max) -> Profile of [t0, t1) since the start"},
    {"event", (PyCFunction)sampler_event, METH_VARARGS,
     "event(kind, tid, label, thread_name=None)"},
    {"set_threads", (PyCFunction)sampler_set_threads, METH_O,
     "set_threads(native ids or None): record only these threads"},
    {"stats", (PyCFunction)sampler_stats, METH_NOARGS, "the sampler's counters, as a dict"},
    {"now_ns", (PyCFunction)sampler_now_ns, METH_NOARGS, "ns since the recording started"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject SamplerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "_spyglass.Sampler",
    .tp_basicsize = sizeof(SamplerObject),
    .tp_dealloc = (destructor)sampler_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Sampler(rate=1000, mode='wall', window=0, history=0, mem='auto', command='', "
              "python=''): the native in-process sampler.",
    .tp_methods = sampler_methods,
    .tp_init = (initproc)sampler_init,
    .tp_new = PyType_GenericNew,
};

/* ---- module functions ------------------------------------------------------ */

static PyObject *mod_read_sgl(PyObject *mod, PyObject *args)
{
    (void)mod;
    PyObject *path_obj;
    if (!PyArg_ParseTuple(args, "O&:read_sgl", PyUnicode_FSConverter, &path_obj))
        return NULL;
    sg_profile *p = NULL;
    char err[512] = "";
    int rc;
    Py_BEGIN_ALLOW_THREADS;
    rc = sg_sgl_read_file(PyBytes_AS_STRING(path_obj), 0, &p, NULL, err, sizeof err);
    Py_END_ALLOW_THREADS;
    Py_DECREF(path_obj);
    if (rc != 0) {
        PyErr_Format(PyExc_ValueError, "cannot read the profile: %s", err);
        return NULL;
    }
    return profile_wrap(p);
}

/* Proves a self memory source on this machine: a known word reads back,
 * and an unmapped page, a range running into it and a PROT_NONE page are
 * error codes, not a crash. */
static PyObject *mod_mem_self_check(PyObject *mod, PyObject *args, PyObject *kw)
{
    (void)mod;
    static char *names[] = {"force_fd", "guarded", NULL};
    int force_fd = 0, guarded = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|pp:mem_self_check", names, &force_fd, &guarded))
        return NULL;
    sg_mem *mem = guarded ? sg_mem_guarded_open(force_fd ? SG_MEM_SELF_FD : 0)
                          : sg_mem_self_open(force_fd ? SG_MEM_SELF_FD : 0);
    if (!mem)
        return PyErr_Format(PyExc_OSError, "no way to read this process's memory");
    long page = sysconf(_SC_PAGESIZE);
    char *hole =
        mmap(NULL, (size_t)page * 3, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint64_t known = 0x0123456789abcdefull, got = 0, junk[4];
    int rc_known = sg_mem_read(mem, (uint64_t)(uintptr_t)&known, &got, sizeof got);
    int rc_hole = -1, rc_straddle = -1, rc_none = -1;
    if (hole != MAP_FAILED) {
        munmap(hole + page, (size_t)page); /* the second page is gone */
        mprotect(hole + 2 * page, (size_t)page, PROT_NONE);
        rc_hole = sg_mem_read(mem, (uint64_t)(uintptr_t)(hole + page), junk, sizeof junk);
        rc_straddle = sg_mem_read(mem, (uint64_t)(uintptr_t)(hole + page - 8), junk, sizeof junk);
        rc_none = sg_mem_read(mem, (uint64_t)(uintptr_t)(hole + 2 * page), junk, sizeof junk);
        munmap(hole, (size_t)page);
        munmap(hole + 2 * page, (size_t)page);
    }
    const char *method = guarded ? sg_mem_guarded_method(mem) : sg_mem_self_method(mem);
    unsigned long long faults = guarded ? sg_mem_guarded_faults(mem) : 0;
    PyObject *res =
        Py_BuildValue("{s:s,s:O,s:i,s:i,s:i,s:K}", "method", method, "known",
                      rc_known == 0 && got == known ? Py_True : Py_False, "unmapped", rc_hole,
                      "straddling", rc_straddle, "prot_none", rc_none, "faults", faults);
    sg_mem_close(mem);
    return res;
}

static PyMethodDef module_methods[] = {
    {"read_sgl", mod_read_sgl, METH_VARARGS, "read_sgl(path) -> Profile"},
    {"mem_self_check", (PyCFunction)(void (*)(void))mod_mem_self_check,
     METH_VARARGS | METH_KEYWORDS,
     "mem_self_check(force_fd=False, guarded=False): probe a self memory source"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef spyglass_module = {
    PyModuleDef_HEAD_INIT,
    "_spyglass",
    "The native part of spyglass: the in-process sampler (src/collect) and the profile "
    "model (src/profile).",
    -1,
    module_methods,
    NULL,
    NULL,
    NULL,
    NULL};

PyMODINIT_FUNC PyInit__spyglass(void)
{
    if (PyType_Ready(&ProfileType) < 0 || PyType_Ready(&SamplerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&spyglass_module);
    if (!m)
        return NULL;
    Py_INCREF(&ProfileType);
    Py_INCREF(&SamplerType);
    if (PyModule_AddObject(m, "Profile", (PyObject *)&ProfileType) < 0 ||
        PyModule_AddObject(m, "Sampler", (PyObject *)&SamplerType) < 0 ||
        PyModule_AddIntConstant(m, "EVENT_GC_START", SG_EVENT_GC_START) < 0 ||
        PyModule_AddIntConstant(m, "EVENT_GC_STOP", SG_EVENT_GC_STOP) < 0 ||
        PyModule_AddIntConstant(m, "EVENT_MARKER", SG_EVENT_MARKER) < 0 ||
        PyModule_AddStringConstant(m, "VERSION", SG_VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
