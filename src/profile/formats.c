/*
 * formats.c — the table of every profile format (see formats.h), content
 * detection, and loading a file whatever its format.
 *
 * Detection order is the table's order, from the most specific signature
 * to the most lenient: .sgl's magic, pprof's gzip magic, a pstats marshal
 * dict, the JSON formats (which look at their keys), and collapsed stacks
 * last because almost any text could be one.
 *
 * Invariant: every entry that can be read has a detector, except formats
 * that can only be forced by name; names are unique.
 */
#include "profile/formats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile/export_collapsed.h"
#include "profile/format_list.h"
#include "profile/sgl.h"

/* ---- wrappers that give older interfaces the table's shapes ------------ */

bool sg_detect_sgl(const uint8_t *data, size_t len)
{
    return sg_sgl_detect(data, len);
}

int sg_import_sgl(const uint8_t *data, size_t len, const sg_io_progress *progress, sg_profile **out,
                  char *err, size_t errlen)
{
    int rc = sg_sgl_read_buffer(data, len, 0, out, NULL, err, errlen);
    if (rc == 0 && progress != NULL && progress->report != NULL)
        progress->report(progress->ctx, len, len);
    return rc;
}

/* Times are kept to the microsecond (the recorder's resolution) when every
 * sample and event time is a whole microsecond, else to the nanosecond. */
static uint64_t time_resolution(const sg_profile *p)
{
    for (size_t i = 0; i < p->samples.count; i++)
        if (p->samples.time_ns[i] % 1000 != 0)
            return 1;
    for (size_t i = 0; i < p->events.count; i++)
        if (p->events.time_ns[i] % 1000 != 0)
            return 1;
    return 1000;
}

int sg_export_sgl(const sg_profile *p, FILE *out, const sg_io_progress *progress, char *err,
                  size_t errlen)
{
    if (fflush(out) != 0) {
        snprintf(err, errlen, "cannot write: %s", strerror(errno));
        return SG_PROFILE_EIO;
    }
    sg_sgl_writer_options opts = {.time_resolution_ns = time_resolution(p)};
    sg_sgl_writer *w;
    int rc = sg_sgl_writer_open_fd(fileno(out), &opts, &w, err, errlen);
    if (rc != 0)
        return rc;
    rc = sg_sgl_writer_flush(w, p);
    if (rc != 0) {
        snprintf(err, errlen, "%s", sg_sgl_writer_error(w));
        sg_sgl_writer_close(w, NULL, NULL, 0);
        return rc;
    }
    rc = sg_sgl_writer_close(w, p, err, errlen);
    if (rc == 0 && progress != NULL && progress->report != NULL)
        progress->report(progress->ctx, p->samples.count, p->samples.count);
    return rc;
}

int sg_export_collapsed_format(const sg_profile *p, FILE *out, const sg_io_progress *progress,
                               char *err, size_t errlen)
{
    int rc = sg_export_collapsed(p, out, NULL);
    if (rc != 0)
        snprintf(err, errlen, "%s", sg_profile_strerror(rc));
    else if (progress != NULL && progress->report != NULL)
        progress->report(progress->ctx, p->samples.count, p->samples.count);
    return rc;
}

/* ---- the table ---------------------------------------------------------- */

static const sg_format sg_format_table[] = {
    {"sgl", ".sgl", sg_detect_sgl, sg_import_sgl, sg_export_sgl},
    {"pprof", ".pb.gz", sg_detect_pprof, sg_import_pprof, sg_export_pprof},
    {"pstats", ".pstats", sg_detect_pstats, sg_import_pstats, sg_export_pstats},
    {"speedscope", ".speedscope.json", sg_detect_speedscope, sg_import_speedscope,
     sg_export_speedscope},
    {"chrome-trace", ".trace.json", sg_detect_chrome_trace, sg_import_chrome_trace,
     sg_export_chrome_trace},
    {"firefox", ".firefox.json", NULL, NULL, sg_export_firefox},
    {"collapsed", ".collapsed", sg_detect_collapsed, sg_import_collapsed,
     sg_export_collapsed_format},
};

#define SG_FORMAT_COUNT (sizeof sg_format_table / sizeof sg_format_table[0])

const sg_format *sg_format_by_name(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < SG_FORMAT_COUNT; i++)
        if (strcmp(sg_format_table[i].name, name) == 0)
            return &sg_format_table[i];
    return NULL;
}

const sg_format *sg_format_detect(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < SG_FORMAT_COUNT; i++)
        if (sg_format_table[i].detect != NULL && sg_format_table[i].import != NULL &&
            sg_format_table[i].detect(data, len))
            return &sg_format_table[i];
    return NULL;
}

const sg_format *sg_formats_all(size_t *count)
{
    *count = SG_FORMAT_COUNT;
    return sg_format_table;
}

/* ---- loading ------------------------------------------------------------ */

/* Read all of fd into a malloc'd buffer (*data, *len). */
static int read_all(int fd, uint8_t **data, size_t *len)
{
    struct stat st;
    size_t cap = 1 << 16;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uint64_t)st.st_size < SIZE_MAX - 1)
        cap = (size_t)st.st_size + 1; /* +1 so the final read sees EOF without growing */
    uint8_t *buf = malloc(cap);
    size_t used = 0;
    if (buf == NULL)
        return ENOMEM;
    for (;;) {
        if (used == cap) {
            if (cap > SIZE_MAX / 2) {
                free(buf);
                return EFBIG;
            }
            uint8_t *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                return ENOMEM;
            }
            buf = bigger;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + used, cap - used);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            return e;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    *data = buf;
    *len = used;
    return 0;
}

int sg_profile_load(const char *path, const char *format, const sg_io_progress *progress,
                    sg_profile **out, char *err, size_t errlen)
{
    *out = NULL;
    const sg_format *fmt = NULL;
    if (format != NULL) {
        fmt = sg_format_by_name(format);
        if (fmt == NULL) {
            snprintf(err, errlen, "unknown format '%s'", format);
            return SG_PROFILE_EINVAL;
        }
        if (fmt->import == NULL) {
            snprintf(err, errlen, "the %s format can be written but not read", fmt->name);
            return SG_PROFILE_EINVAL;
        }
    }
    bool is_stdin = strcmp(path, "-") == 0;
    const char *shown = is_stdin ? "standard input" : path;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", shown, strerror(errno));
        return SG_PROFILE_EIO;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    int e = read_all(fd, &data, &len);
    if (!is_stdin)
        close(fd);
    if (e != 0) {
        snprintf(err, errlen, "cannot read %s: %s", shown, strerror(e));
        return e == ENOMEM ? SG_PROFILE_ENOMEM : SG_PROFILE_EIO;
    }
    int rc;
    if (len == 0) {
        snprintf(err, errlen, "%s is empty", shown);
        rc = SG_PROFILE_EFORMAT;
    } else if (fmt == NULL && (fmt = sg_format_detect(data, len)) == NULL) {
        snprintf(err, errlen,
                 "%s: format not recognised (not .sgl, pprof, pstats, speedscope, Chrome trace "
                 "or collapsed stacks)",
                 shown);
        rc = SG_PROFILE_EFORMAT;
    } else {
        char inner[512] = "";
        rc = fmt->import(data, len, progress, out, inner, sizeof inner);
        if (rc != 0) {
            snprintf(err, errlen, "cannot read %s as %s: %s", shown, fmt->name,
                     inner[0] != '\0' ? inner : sg_profile_strerror(rc));
            if (*out != NULL) {
                sg_profile_free(*out);
                *out = NULL;
            }
        }
    }
    free(data);
    return rc;
}
