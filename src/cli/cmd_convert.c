/*
 * cmd_convert.c — `spyglass convert IN -o OUT [--to FORMAT]`: read a
 * profile in any format spyglass reads and write it in another.
 *
 * The output format comes from --to, else from OUT's extension. The file is
 * written to a temporary name beside OUT and renamed into place, so a
 * failed conversion never leaves half a file under OUT's name. When
 * stderr is a terminal and the work takes more than half a second, a
 * progress line shows how far reading and writing have come.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/attach.h"
#include "cli/commands.h"
#include "profile/formats.h"

#define PROGRESS_AFTER_NS 500000000ull /* quiet for quick conversions */
#define PROGRESS_EVERY_NS 100000000ull
#define SG_PATH_MAX       4096

/* Extensions, longest first where one ends another. */
static const struct {
    const char *suffix, *format;
} sg_extensions[] = {
    {".speedscope.json", "speedscope"},
    {".trace.json", "chrome-trace"},
    {".chrome.json", "chrome-trace"},
    {".firefox.json", "firefox"},
    {".gecko.json", "firefox"},
    {".json", "speedscope"},
    {".pb.gz", "pprof"},
    {".pprof", "pprof"},
    {".pstats", "pstats"},
    {".prof", "pstats"},
    {".collapsed", "collapsed"},
    {".folded", "collapsed"},
    {".txt", "collapsed"},
    {".sgl", "sgl"},
};

typedef struct progress_line {
    bool enabled; /* stderr is a terminal */
    const char *what;
    uint64_t start_ns, last_ns;
    bool shown;
} progress_line;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void show_progress(void *ctx, uint64_t done, uint64_t total)
{
    progress_line *pl = ctx;
    if (!pl->enabled)
        return;
    uint64_t now = now_ns();
    if (now - pl->start_ns < PROGRESS_AFTER_NS ||
        (pl->shown && now - pl->last_ns < PROGRESS_EVERY_NS))
        return;
    pl->last_ns = now;
    pl->shown = true;
    fprintf(stderr, "\r\033[Kspyglass: %s %.0f%%", pl->what,
            total == 0 ? 100.0 : 100.0 * (double)done / (double)total);
}

static void end_progress(progress_line *pl)
{
    if (pl->shown)
        fprintf(stderr, "\r\033[K");
    pl->shown = false;
}

static void convert_usage(FILE *out)
{
    fprintf(out, "usage: spyglass convert IN -o OUT [--to FORMAT] [--from FORMAT]\n\n"
                 "Reads a profile in any format spyglass reads and writes it in another.\n"
                 "IN or OUT may be '-' (standard input / output; OUT '-' needs --to).\n\n"
                 "  -o, --output OUT   where to write\n"
                 "  -t, --to FORMAT    output format (default: from OUT's extension)\n"
                 "      --from FORMAT  read IN as this format instead of detecting it\n\n"
                 "formats (read / write):\n");
    size_t n;
    const sg_format *all = sg_formats_all(&n);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-13s %-5s %-5s %s\n", all[i].name, all[i].import ? "read" : "",
                all[i].export_ ? "write" : "", all[i].extension);
    fprintf(out, "\nextensions: .sgl, .pstats/.prof, .collapsed/.folded/.txt, .json (speedscope),\n"
                 ".speedscope.json, .trace.json (Chrome), .firefox.json, .pb.gz/.pprof\n");
}

static const char *format_from_extension(const char *path)
{
    size_t len = strlen(path);
    for (size_t i = 0; i < sizeof sg_extensions / sizeof sg_extensions[0]; i++) {
        size_t n = strlen(sg_extensions[i].suffix);
        if (len > n && strcmp(path + len - n, sg_extensions[i].suffix) == 0)
            return sg_extensions[i].format;
    }
    return NULL;
}

static void list_writable(char *buf, size_t len)
{
    size_t n, used = 0;
    const sg_format *all = sg_formats_all(&n);
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < len; i++)
        if (all[i].export_ != NULL)
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", all[i].name);
}

/* Write p as fmt to path ("-" = stdout), through a temporary file. */
static int write_output(const sg_profile *p, const sg_format *fmt, const char *path,
                        progress_line *pl)
{
    sg_io_progress progress = {show_progress, pl};
    char err[1024] = "";
    if (strcmp(path, "-") == 0) {
        int rc = fmt->export_(p, stdout, &progress, err, sizeof err);
        end_progress(pl);
        if (rc != 0) {
            sg_cli_error("cannot write standard output as %s: %s", fmt->name,
                         err[0] ? err : sg_profile_strerror(rc));
            return 1;
        }
        return 0;
    }
    char tmp[SG_PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= sizeof tmp) {
        sg_cli_error("output path too long: %s", path);
        return 1;
    }
    FILE *out = fopen(tmp, "wb");
    if (out == NULL) {
        sg_cli_error("cannot create %s: %s", path, strerror(errno));
        return 1;
    }
    int rc = fmt->export_(p, out, &progress, err, sizeof err);
    end_progress(pl);
    if (fclose(out) != 0 && rc == 0) {
        snprintf(err, sizeof err, "%s", strerror(errno));
        rc = SG_PROFILE_EIO;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        snprintf(err, sizeof err, "%s", strerror(errno));
        rc = SG_PROFILE_EIO;
    }
    if (rc != 0) {
        unlink(tmp);
        sg_cli_error("cannot write %s as %s: %s", path, fmt->name,
                     err[0] ? err : sg_profile_strerror(rc));
        return 1;
    }
    return 0;
}

int sg_cmd_convert(int argc, char **argv)
{
    enum { OPT_FROM = 256 };
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"to", required_argument, NULL, 't'},
                                         {"from", required_argument, NULL, OPT_FROM},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *output = NULL, *to = NULL, *from = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "o:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 't':
            to = optarg;
            break;
        case OPT_FROM:
            from = optarg;
            break;
        case 'h':
            convert_usage(stdout);
            return 0;
        default:
            convert_usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        sg_cli_error("convert needs an input file: spyglass convert IN -o OUT");
        return 2;
    }
    if (optind + 1 != argc) {
        sg_cli_error("convert reads one input file (got '%s' too)", argv[optind + 1]);
        return 2;
    }
    if (output == NULL) {
        sg_cli_error("convert needs -o OUT (the file to write)");
        return 2;
    }
    const char *input = argv[optind];
    char names[256];
    list_writable(names, sizeof names);
    if (to == NULL) {
        to = strcmp(output, "-") == 0 ? NULL : format_from_extension(output);
        if (to == NULL) {
            sg_cli_error("cannot tell the output format from '%s': use --to FORMAT (%s)", output,
                         names);
            return 1;
        }
    }
    const sg_format *fmt = sg_format_by_name(to);
    if (fmt == NULL || fmt->export_ == NULL) {
        sg_cli_error("%s format '%s' (formats spyglass writes: %s)",
                     fmt == NULL ? "unknown" : "cannot write the", to, names);
        return 1;
    }

    bool tty = isatty(STDERR_FILENO);
    progress_line pl = {tty, "reading", now_ns(), 0, false};
    sg_io_progress progress = {show_progress, &pl};
    sg_profile *p = NULL;
    char err[1024];
    int rc = sg_profile_load(input, from, &progress, &p, err, sizeof err);
    end_progress(&pl);
    if (rc != 0) {
        sg_cli_error("%s", err);
        return 1;
    }
    /* Formats of stacks get a pstats profile's time samples: two levels deep. */
    if (!p->meta.has_stacks && strcmp(fmt->name, "pstats") != 0 && strcmp(fmt->name, "sgl") != 0)
        fprintf(stderr,
                "spyglass: note: %s has no call stacks (pstats): the %s output shows "
                "each function's own time under its direct callers only\n",
                input, fmt->name);
    pl = (progress_line){tty, "writing", now_ns(), 0, false};
    rc = write_output(p, fmt, output, &pl);
    sg_profile_free(p);
    return rc;
}
