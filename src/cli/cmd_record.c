/*
 * cmd_record.c — `spyglass record`: sample a program we launch or a process
 * we attach to, into a .sgl file (streamed as it records) or collapsed
 * stacks.
 *
 * The recording ends when the duration passes, the user presses Ctrl-C (when
 * attached; a launched program gets the Ctrl-C itself and we record its
 * way out), or the target exits. Whatever ends it, everything recorded is
 * written. When we launched the program, our exit status is its own.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/attach.h"
#include "cli/commands.h"
#include "cli/target_args.h"
#include "cli/upload_client.h"
#include "collect/sampling_loop.h"
#include "collect/target_set.h"
#include "profile/export_collapsed.h"
#include "profile/profile.h"
#include "profile/recorder.h"
#include "profile/sgl.h"

/* A chunk costs ~70 bytes of framing: flush each second when a thousand
 * samples wait, else every five seconds (what a SIGKILL can cost). */
#define SG_FLUSH_EVERY_NS   1000000000ull
#define SG_FLUSH_AT_MOST_NS 5000000000ull
#define SG_FLUSH_SAMPLES    1000
#define SG_LAUNCH_WAIT_S    10.0

typedef struct sg_record_args {
    sg_target_args target; /* --pid or a command, -r, --mode, --gil */
    double duration;
    const char *output;
    const char *upload; /* --upload URL: stream the .sgl to a server as it records */
    int collapsed, threads, subprocesses, no_source, stats;
} sg_record_args;

typedef struct sg_record {
    sg_record_args args;
    sg_profile *profile;
    sg_recorder *recorder;
    sg_sgl_writer *writer;
    sg_live_upload *live; /* --upload */
    sg_target_set targets;
    pid_t child;
    int child_status, child_ended;
    uint64_t next_flush, last_flush;
    size_t flushed_samples;
    uint64_t next_epoch;
    int write_error;
} sg_record;

static volatile sig_atomic_t sg_stop_requested;
static volatile sig_atomic_t sg_interrupts;

static void sg_on_signal(int sig)
{
    (void)sig;
    sg_interrupts++;
    sg_stop_requested = 1;
}

static void sg_record_usage(FILE *out)
{
    fprintf(out, "usage: spyglass record [options] -- COMMAND [ARGS...]\n"
                 "       spyglass record [options] --pid PID\n\n"
                 "Samples where a Python program spends its time, from outside the process.\n\n"
                 "  -r, --rate HZ        samples per second (default 1000)\n"
                 "  -o, --output FILE    where to write (default spyglass-PID.sgl)\n"
                 "  -f, --format FMT     sgl (default) or collapsed\n"
                 "  -d, --duration S     stop after S seconds (default: until the program ends)\n"
                 "      --mode MODE      wall (default: every thread, running or not) or cpu\n"
                 "                       (only threads on a CPU)\n"
                 "      --gil            only the thread holding the GIL\n"
                 "      --threads        collapsed: root each stack at its thread\n"
                 "      --subprocesses   also record child processes that run Python\n"
                 "      --no-source      do not embed the source text of the files\n"
                 "      --stats          also print the sampler's own cost per round\n"
                 "      --upload URL     also stream the recording to a spyglass server\n"
                 "                       (token: $SPYGLASS_TOKEN); it shows up while it runs\n"
                 "  -p, --pid PID        attach to a running process until Ctrl-C or its exit\n");
}

static int sg_parse_record_args(int argc, char **argv, sg_record_args *a)
{
    enum { OPT_THREADS = 256, OPT_SUBPROCESSES, OPT_NO_SOURCE, OPT_STATS, OPT_UPLOAD };
    static const struct option opts[] = {{"rate", required_argument, NULL, 'r'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"duration", required_argument, NULL, 'd'},
                                         {"pid", required_argument, NULL, 'p'},
                                         {"mode", required_argument, NULL, SG_OPT_MODE},
                                         {"gil", no_argument, NULL, SG_OPT_GIL},
                                         {"threads", no_argument, NULL, OPT_THREADS},
                                         {"subprocesses", no_argument, NULL, OPT_SUBPROCESSES},
                                         {"no-source", no_argument, NULL, OPT_NO_SOURCE},
                                         {"stats", no_argument, NULL, OPT_STATS},
                                         {"upload", required_argument, NULL, OPT_UPLOAD},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->target.rate = 1000;
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "+r:o:f:d:p:h", opts, NULL)) != -1) {
        int shared = sg_target_args_option(&a->target, c, optarg);
        if (shared == 2)
            return 2;
        if (shared)
            continue;
        switch (c) {
        case 'o':
            a->output = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "collapsed") == 0)
                a->collapsed = 1;
            else if (strcmp(optarg, "sgl") != 0) {
                sg_cli_error("--format is sgl or collapsed, not '%s'", optarg);
                return 2;
            }
            break;
        case 'd':
            a->duration = strtod(optarg, &end);
            if (*end || !(a->duration > 0)) {
                sg_cli_error("--duration takes seconds (> 0), not '%s'", optarg);
                return 2;
            }
            break;
        case OPT_THREADS:
            a->threads = 1;
            break;
        case OPT_SUBPROCESSES:
            a->subprocesses = 1;
            break;
        case OPT_NO_SOURCE:
            a->no_source = 1;
            break;
        case OPT_STATS:
            a->stats = 1;
            break;
        case OPT_UPLOAD:
            a->upload = optarg;
            break;
        case 'h':
            sg_record_usage(stdout);
            return -1;
        default:
            sg_record_usage(stderr);
            return 2;
        }
    }
    if (a->upload != NULL && a->collapsed) {
        sg_cli_error("--upload sends the .sgl recording: it cannot be used with --format "
                     "collapsed");
        return 2;
    }
    return sg_target_args_finish(&a->target, "record", argc, argv, optind);
}

static void sg_fill_meta(sg_record *rec, const sg_target *t)
{
    sg_profile *p = rec->profile;
    char text[4096];
    sg_target_args_command_line(&rec->args.target, t->pid, text, sizeof text);
    sg_profile_set_meta_text(p, &p->meta.command, text);
    sg_profile_set_meta_text(p, &p->meta.python_version, t->version);
    if (gethostname(text, sizeof text) == 0) {
        text[sizeof text - 1] = '\0';
        sg_profile_set_meta_text(p, &p->meta.host, text);
    }
    sg_profile_set_meta_text(p, &p->meta.spyglass_version, SG_VERSION);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    p->meta.pid = (uint64_t)t->pid;
    p->meta.start_unix_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
    p->meta.interval_ns = (uint64_t)(1e9 / rec->args.target.rate);
    p->meta.mode = rec->args.target.mode == SG_SAMPLER_CPU ? SG_MODE_CPU : SG_MODE_WALL;
}

static int sg_record_flush(sg_record *rec)
{
    if (!rec->writer || rec->write_error)
        return 0;
    if (sg_sgl_writer_flush(rec->writer, rec->profile) != 0) {
        sg_cli_error("cannot write %s: %s", rec->args.output, sg_sgl_writer_error(rec->writer));
        rec->write_error = 1;
        return -EIO;
    }
    return 0;
}

static int sg_record_tick(void *ctx, uint64_t now)
{
    sg_record *rec = ctx;
    if (rec->child && sg_interrupts == 1)
        sg_stop_requested = 0; /* the launched program got the Ctrl-C too: record its exit */
    int rc = sg_target_set_round(&rec->targets, now);
    if (rc < 0)
        return rc;
    if (rec->child && !rec->child_ended && rc == SG_TARGETS_ALL_GONE)
        rec->child_ended = sg_cli_child_ended(rec->child, &rec->child_status);
    if (rc == SG_TARGETS_ALL_GONE)
        return 1;
    if (now >= rec->next_epoch) {
        sg_target_set_new_epoch(&rec->targets);
        rec->next_epoch = now + 1000000000ull;
    }
    if (now >= rec->next_flush) {
        rec->next_flush = now + SG_FLUSH_EVERY_NS;
        size_t pending = rec->profile->samples.count - rec->flushed_samples;
        if (pending >= SG_FLUSH_SAMPLES || now >= rec->last_flush + SG_FLUSH_AT_MOST_NS) {
            rec->last_flush = now;
            rec->flushed_samples = rec->profile->samples.count;
            if (sg_record_flush(rec) != 0)
                return -EIO;
        }
    }
    return sg_recorder_error(rec->recorder) ? -ENOMEM : 0;
}

static void sg_record_status(void *ctx, const sg_loop_stats *st)
{
    sg_record *rec = ctx;
    sg_sampler_stats s;
    sg_target_set_stats(&rec->targets, &s);
    double elapsed = (double)(st->now_ns - st->start_ns) / 1e9;
    fprintf(stderr, "\r\033[Kspyglass: recording %d: %.1f s, %llu samples, %.0f Hz, %llu errors",
            (int)rec->profile->meta.pid, elapsed, (unsigned long long)st->ticks,
            elapsed > 0 ? (double)st->ticks / elapsed : 0.0,
            (unsigned long long)(s.torn + s.failed));
    fflush(stderr);
}

static int sg_record_finish(sg_record *rec, const sg_loop_stats *loop)
{
    sg_profile *p = rec->profile;
    p->meta.duration_ns = loop->now_ns - loop->start_ns;
    p->meta.samples_missed = loop->missed;
    int rc = 0;
    char err[512];
    if (rec->writer) {
        if (sg_sgl_writer_close(rec->writer, p, err, sizeof err) != 0 && !rec->write_error) {
            sg_cli_error("cannot write %s: %s", rec->args.output, err);
            rc = 1;
        }
        rec->writer = NULL;
        if (rec->live != NULL) {
            char url[4096];
            if (sg_live_upload_finish(rec->live, url, sizeof url, err, sizeof err) != 0) {
                sg_cli_error("upload to %s failed: %s", rec->args.upload, err);
                rc = 1;
            } else
                fprintf(stderr, "spyglass: uploaded %s\n", url);
            rec->live = NULL;
        }
    } else {
        FILE *out = strcmp(rec->args.output, "-") == 0 ? stdout : fopen(rec->args.output, "w");
        sg_collapsed_options opts = {0};
        if (rec->args.threads)
            opts.flags |= SG_COLLAPSED_THREADS;
        if (!out || sg_export_collapsed(p, out, &opts) != 0 ||
            (out != stdout ? fclose(out) : fflush(out)) != 0) {
            sg_cli_error("cannot write %s: %s", rec->args.output, strerror(errno));
            rc = 1;
        }
    }
    sg_sampler_stats s;
    sg_target_set_stats(&rec->targets, &s);
    double secs = (double)(loop->now_ns - loop->start_ns) / 1e9;
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "\r\033[K");
    fprintf(stderr,
            "spyglass: %llu samples in %.2f s, %.1f Hz (of %.0f), %llu torn, %llu failed, "
            "%llu late, %llu missed; %llu thread stacks\n",
            (unsigned long long)loop->ticks, secs, secs > 0 ? (double)loop->ticks / secs : 0.0,
            rec->args.target.rate, (unsigned long long)s.torn, (unsigned long long)s.failed,
            (unsigned long long)loop->late, (unsigned long long)loop->missed,
            (unsigned long long)s.samples);
    if (rec->args.stats && loop->cost_count)
        fprintf(stderr,
                "spyglass: sampler cost per round: median %.2f us, p99 %.2f us, mean %.2f us; "
                "%.2f reads per round\n",
                (double)loop->cost_median_ns / 1e3, (double)loop->cost_p99_ns / 1e3,
                (double)loop->cost_mean_ns / 1e3,
                s.rounds ? (double)s.syscalls / (double)s.rounds : 0.0);
    if (rc == 0)
        fprintf(stderr, "spyglass: wrote %s\n", rec->args.output);
    return rc;
}

static int sg_record_open_output(sg_record *rec, pid_t pid)
{
    static char default_name[64];
    if (!rec->args.output) {
        snprintf(default_name, sizeof default_name, "spyglass-%d.%s", (int)pid,
                 rec->args.collapsed ? "collapsed" : "sgl");
        rec->args.output = default_name;
    }
    if (rec->args.collapsed)
        return 0;
    char err[512];
    sg_sgl_writer_options opts = {0};
    opts.no_sources = rec->args.no_source;
    if (sg_sgl_writer_open(rec->args.output, &opts, &rec->writer, err, sizeof err) != 0) {
        sg_cli_error("cannot write %s: %s", rec->args.output, err);
        return 1;
    }
    if (rec->args.upload != NULL &&
        (rec->live =
             sg_live_upload_start(rec->args.upload, rec->args.output,
                                  rec->args.target.command ? rec->args.target.command[0] : NULL,
                                  getenv("SPYGLASS_TOKEN"))) == NULL) {
        sg_cli_error("cannot start the upload to %s", rec->args.upload);
        return 1;
    }
    return 0;
}

static int sg_record_sink_for(void *ctx, pid_t pid, sg_sample_sink *sink)
{
    return sg_recorder_add_source(ctx, pid, sink);
}

static int sg_record_run(sg_record *rec)
{
    sg_target first;
    pid_t pid = rec->args.target.pid;
    if (rec->args.target.command) {
        if ((pid = rec->child = sg_cli_launch(rec->args.target.command)) < 0)
            return 1;
    }
    int rc = sg_cli_attach(pid, rec->child ? SG_LAUNCH_WAIT_S : 1.0, &first,
                           rec->child ? &rec->child_status : NULL);
    if (rc == 2) {
        fprintf(stderr, "spyglass: %s exited before its interpreter started; nothing recorded\n",
                rec->args.target.command[0]);
        return rec->child_status;
    }
    if (rc != 0) {
        if (rec->child)
            kill(rec->child, SIGTERM), waitpid(rec->child, NULL, 0);
        return 1;
    }
    rec->profile = sg_profile_new();
    sg_recorder_options ropts = {sg_monotonic_ns(), rec->args.no_source};
    rec->recorder = rec->profile ? sg_recorder_new(rec->profile, &ropts) : NULL;
    if (!rec->recorder) {
        sg_cli_error("out of memory");
        return 1;
    }
    sg_fill_meta(rec, &first);
    /* New threads wait up to 50 ms for threading to name them. */
    sg_sampler_config cfg = {rec->args.target.mode, rec->args.target.gil_only, 0, 50000000ull};
    sg_target_set_init(&rec->targets, &cfg, sg_record_sink_for, rec->recorder,
                       rec->args.subprocesses);
    if (sg_target_set_add(&rec->targets, &first) != 0) {
        sg_cli_error("out of memory");
        sg_target_detach(&first);
        return 1;
    }
    if (sg_record_open_output(rec, pid) != 0)
        return 1;

    struct sigaction sa = {0};
    sa.sa_handler = sg_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sg_loop_config loop_cfg = {rec->args.target.rate, rec->args.duration, &sg_stop_requested,
                               isatty(STDERR_FILENO) ? 250000000ull : 0, rec->args.stats};
    sg_loop_stats loop;
    rec->last_flush = sg_monotonic_ns();
    rec->next_flush = rec->last_flush + SG_FLUSH_EVERY_NS;
    rec->next_epoch = sg_monotonic_ns() + 1000000000ull;
    rc = sg_loop_run(&loop_cfg, sg_record_tick, sg_record_status, rec, &loop);
    if (rc < 0 && rc != -EIO)
        sg_cli_error("recording stopped: %s", strerror(-rc));
    int finish = sg_record_finish(rec, &loop);
    if (rec->child && !rec->child_ended) {
        if (!rec->args.duration || rc != 0) {
            rec->child_ended = 1;
            waitpid(rec->child, &rc, 0);
            rec->child_status = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
        } else {
            /* The duration ended; the program runs on, unprofiled. */
            fprintf(stderr, "spyglass: %s (pid %d) keeps running\n", rec->args.target.command[0],
                    (int)rec->child);
            return finish;
        }
    }
    if (finish != 0)
        return finish;
    return rec->child ? rec->child_status : 0;
}

int sg_cmd_record(int argc, char **argv)
{
    sg_record rec;
    memset(&rec, 0, sizeof rec);
    int rc = sg_parse_record_args(argc, argv, &rec.args);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    rc = sg_record_run(&rec);
    sg_target_set_free(&rec.targets);
    sg_recorder_free(rec.recorder);
    sg_profile_free(rec.profile);
    return rc;
}
