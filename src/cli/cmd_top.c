/*
 * cmd_top.c — `spyglass top`: a live view, refreshed every second, of the
 * functions a running Python process (or one we launch) spends its time in.
 *
 * Wiring, the same as `spyglass record` but into memory only: the target
 * set samples into a recorder that fills a profile, on the ticks of
 * sg_loop_run. The numbers on screen are the analysis engine's function
 * table over that profile: a time range gives "last second" (or "since
 * start"), the thread mask the per-thread filter. top_view.c draws them.
 *
 * One thread does everything. Each tick samples, then (every 20 ms) polls
 * the keyboard without waiting, and once a second — or at once after a key
 * — builds the table and redraws. A redraw costs a pass over the samples
 * in view and the screen update, a few milliseconds: the tick it falls on
 * is late, and the loop's absolute deadlines put the next ones back on
 * time. A drawing thread would need a lock around the profile (the
 * recorder grows it while the table reads it) for no visible gain.
 *
 * Pause freezes the view's end time, not the sampling: since the profile
 * only grows and its samples are in time order, the frozen view is exactly
 * the samples before that time, and it can still be re-sorted or filtered.
 *
 * Memory: the profile keeps every sample ("since start" needs them), 21
 * bytes each (time 8, thread 4, stack 4, flags 1, weight 4): at the default
 * 100 Hz that is 2 KB a second, about 7.5 MB an hour, per sampled thread.
 * Stacks and frames are interned, so they grow only with new code paths;
 * source text is not embedded.
 *
 * The terminal: the view is opened after the target is attached (errors
 * print as for record and dump) and closed on every way out — q, Ctrl-C
 * (SIGINT, also SIGTERM and SIGHUP, caught before ncurses could install
 * its own handlers), the target's exit and errors — before anything else
 * is printed. A launched program cannot share the terminal with the view:
 * its stdin is /dev/null and its output is held in temporary files, then
 * replayed when top ends; quitting top interrupts it (SIGINT, then SIGKILL
 * after two seconds), since the view was the reason it ran.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analyze/function_table.h"
#include "cli/attach.h"
#include "cli/commands.h"
#include "cli/target_args.h"
#include "cli/top_view.h"
#include "collect/sampling_loop.h"
#include "collect/target_set.h"
#include "profile/profile.h"
#include "profile/recorder.h"

#define SG_TOP_SECOND_NS     1000000000ull
#define SG_TOP_KEYS_EVERY_NS 20000000ull /* key latency we accept; bounds reads at high rates */
#define SG_TOP_LAUNCH_WAIT_S 10.0
#define SG_TOP_CHILD_GRACE_S 2.0
#define SG_TOP_FINAL_ROWS    30

typedef struct sg_top {
    sg_target_args args;
    sg_profile *profile;
    sg_recorder *recorder;
    sg_target_set targets;
    sg_top_view *view;
    pid_t pid;
    char command[512], python_version[24];
    /* a program we launched */
    pid_t child;
    int child_status, child_ended;
    FILE *child_out, *child_err; /* its output, held while the view is up */
    /* what the view shows */
    int sort;         /* enum sg_ftable_sort */
    bool since_start; /* else the last second */
    bool paused;      /* the view's end stays at view_ns */
    long thread;      /* thread index shown, -1 = all */
    uint64_t view_ns; /* profile time the view ends at */
    size_t last_capacity;
    /* clock */
    uint64_t start_ns; /* CLOCK_MONOTONIC of profile time 0 */
    uint64_t next_refresh, next_keys, next_epoch;
    uint64_t ticks, rate_ticks, rate_since;
    double rate_hz;
    bool quit; /* the user asked to leave */
    /* scratch, reused across refreshes */
    bool *mask;
    size_t mask_cap;
    sg_top_row *rows;
    size_t rows_cap;
} sg_top;

static volatile sig_atomic_t sg_top_stop;

static void sg_top_on_signal(int sig)
{
    (void)sig;
    sg_top_stop = 1;
}

static void sg_top_usage(FILE *out)
{
    fprintf(out, "usage: spyglass top [options] --pid PID\n"
                 "       spyglass top [options] -- COMMAND [ARGS...]\n\n"
                 "A live view of the functions a Python process spends its time in, refreshed\n"
                 "every second, sampled from outside the process.\n\n"
                 "  -p, --pid PID        watch a running process (until q, Ctrl-C or its exit)\n"
                 "  -r, --rate HZ        samples per second (default 100, like py-spy top)\n"
                 "      --mode MODE      wall (default: every thread, running or not) or cpu\n"
                 "                       (only threads on a CPU)\n"
                 "      --gil            only the thread holding the GIL\n\n"
                 "Columns: self %% and total %% of the samples in view, self and total samples,\n"
                 "function, file:line. Keys:\n"
                 "  q            quit (Ctrl-C too)\n"
                 "  t / T        next / previous thread: all, then each thread\n"
                 "  s            sort by self, total or name\n"
                 "  r            last second or since start\n"
                 "  p, space     pause the display (sampling goes on)\n\n"
                 "A launched COMMAND reads /dev/null; its output is shown when top ends, and\n"
                 "quitting top interrupts it.\n");
}

static int sg_parse_top_args(int argc, char **argv, sg_target_args *a)
{
    static const struct option opts[] = {{"rate", required_argument, NULL, 'r'},
                                         {"pid", required_argument, NULL, 'p'},
                                         {"mode", required_argument, NULL, SG_OPT_MODE},
                                         {"gil", no_argument, NULL, SG_OPT_GIL},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->rate = 100;
    int c;
    while ((c = getopt_long(argc, argv, "+r:p:h", opts, NULL)) != -1) {
        int shared = sg_target_args_option(a, c, optarg);
        if (shared == 2)
            return 2;
        if (shared)
            continue;
        switch (c) {
        case 'h':
            sg_top_usage(stdout);
            return -1;
        default:
            sg_top_usage(stderr);
            return 2;
        }
    }
    return sg_target_args_finish(a, "top", argc, argv, optind);
}

/* ---- the launched program's output -------------------------------------- */

/* Starts the command with stdin from /dev/null and stdout and stderr into
 * unlinked temporary files (the view owns the terminal). Our own fds 0-2
 * are swapped only around the spawn: we are single-threaded here. */
static pid_t sg_top_launch(sg_top *top)
{
    top->child_out = tmpfile();
    top->child_err = tmpfile();
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (!top->child_out || !top->child_err || null < 0) {
        sg_cli_error("cannot hold the output of %s: %s", top->args.command[0], strerror(errno));
        if (null >= 0)
            close(null);
        return -1;
    }
    fcntl(fileno(top->child_out), F_SETFD, FD_CLOEXEC);
    fcntl(fileno(top->child_err), F_SETFD, FD_CLOEXEC);
    fflush(stdout);
    fflush(stderr);
    int saved[3], held[3] = {null, fileno(top->child_out), fileno(top->child_err)};
    for (int fd = 0; fd < 3; fd++)
        saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (saved[0] < 0 || saved[1] < 0 || saved[2] < 0) {
        sg_cli_error("cannot start %s: %s", top->args.command[0], strerror(errno));
        for (int fd = 0; fd < 3; fd++)
            if (saved[fd] >= 0)
                close(saved[fd]);
        close(null);
        return -1;
    }
    for (int fd = 0; fd < 3; fd++)
        dup2(held[fd], fd);
    pid_t pid = sg_cli_launch(top->args.command); /* an error goes to the held stderr */
    for (int fd = 0; fd < 3; fd++) {
        dup2(saved[fd], fd);
        close(saved[fd]);
    }
    close(null);
    return pid;
}

static void sg_top_replay(FILE **held, FILE *to)
{
    if (!*held)
        return;
    char buf[65536];
    size_t n;
    rewind(*held);
    while ((n = fread(buf, 1, sizeof buf, *held)) > 0)
        fwrite(buf, 1, n, to);
    fflush(to);
    fclose(*held);
    *held = NULL;
}

/* Ends a launched program that is still running (the user quit, or top
 * failed): SIGINT, as Ctrl-C would, then SIGKILL if it lingers. */
static void sg_top_end_child(sg_top *top)
{
    if (!top->child || top->child_ended)
        return;
    kill(top->child, SIGINT);
    uint64_t give_up = sg_monotonic_ns() + (uint64_t)(SG_TOP_CHILD_GRACE_S * 1e9);
    while (!(top->child_ended = sg_cli_child_ended(top->child, &top->child_status))) {
        if (sg_monotonic_ns() >= give_up) {
            kill(top->child, SIGKILL);
            waitpid(top->child, NULL, 0);
            top->child_ended = 1;
            break;
        }
        struct timespec nap = {0, 10000000L};
        nanosleep(&nap, NULL);
    }
}

/* ---- the view ----------------------------------------------------------- */

/* array with room for `want` items (itself when it has it), or NULL with
 * array untouched. */
static void *sg_top_grow(void *array, size_t *cap, size_t want, size_t size)
{
    if (want <= *cap)
        return array;
    void *grown = realloc(array, want * size);
    if (grown)
        *cap = want;
    return grown;
}

static const char *sg_top_sort_name(int sort)
{
    return sort == SG_FTABLE_SORT_TOTAL ? "total" : sort == SG_FTABLE_SORT_NAME ? "name" : "self";
}

/* Builds the table for the view's state and hands at most max_rows rows
 * and the header to draw (or, with `final`, prints them there). */
static int sg_top_show(sg_top *top, size_t max_rows, FILE *final)
{
    const sg_profile *p = top->profile;
    sg_ftable_options o = {.by = SG_FTABLE_BY_FUNCTION, .sort = top->sort};
    /* Samples carry tick times: the view [end - 1 s, end] holds one
     * second of ticks, the samples of the tick at `end` included. */
    o.t1_ns = top->view_ns + 1;
    if (!top->since_start && top->view_ns >= SG_TOP_SECOND_NS)
        o.t0_ns = top->view_ns + 1 - SG_TOP_SECOND_NS;
    char thread[192] = "all";
    if (top->thread >= (long)p->threads.count)
        top->thread = -1;
    if (top->thread >= 0) {
        bool *mask = sg_top_grow(top->mask, &top->mask_cap, p->threads.count, sizeof *mask);
        if (!mask)
            return SG_PROFILE_ENOMEM;
        top->mask = mask;
        memset(top->mask, 0, p->threads.count * sizeof *top->mask);
        top->mask[top->thread] = true;
        o.threads = top->mask;
        snprintf(thread, sizeof thread, "%s (%llu)",
                 sg_strings_get(&p->strings, p->threads.name[top->thread]),
                 (unsigned long long)p->threads.tid[top->thread]);
    }
    sg_ftable t;
    int rc = sg_ftable_build(p, &o, &t);
    if (rc != 0)
        return rc;
    size_t n = t.count < max_rows ? t.count : max_rows;
    sg_top_row *rows = sg_top_grow(top->rows, &top->rows_cap, n + 1, sizeof *rows);
    if (!rows) {
        sg_ftable_free(&t);
        return SG_PROFILE_ENOMEM;
    }
    top->rows = rows;
    double all = t.total_weight ? (double)t.total_weight : 1.0;
    for (size_t i = 0; i < n; i++) {
        const sg_ftable_row *r = &t.rows[i];
        top->rows[i] = (sg_top_row){
            .self_pct = 100.0 * (double)r->self / all,
            .total_pct = 100.0 * (double)r->total / all,
            .self = r->self,
            .total = r->total,
            .function = sg_strings_get(&p->strings, p->frames.rows[r->frame].name),
            .file = sg_strings_get(&p->strings, r->file),
            .line = r->line,
        };
    }
    sg_sampler_stats st;
    sg_target_set_stats(&top->targets, &st);
    const char *mode = top->args.mode == SG_SAMPLER_CPU ? "cpu" : "wall";
    char mode_text[64];
    snprintf(mode_text, sizeof mode_text, "%s%s", mode, top->args.gil_only ? ", GIL holder" : "");
    sg_top_header h = {
        .pid = (int)top->pid,
        .command = top->command,
        .python_version = top->python_version,
        .mode = mode_text,
        .threads = p->threads.count,
        .rate_hz = top->rate_hz,
        .rate_wanted = top->args.rate,
        .elapsed_s = (double)top->view_ns / 1e9,
        .samples = t.total_samples,
        .errors = st.torn + st.failed,
        .range = top->since_start ? "since start" : "last second",
        .thread = thread,
        .sort = sg_top_sort_name(top->sort),
        .paused = top->paused && !final,
        .note = t.total_samples == 0 ? "no samples in view yet" : NULL,
    };
    if (final)
        sg_top_view_print(final, &h, top->rows, n);
    else
        sg_top_view_draw(top->view, &h, top->rows, n);
    sg_ftable_free(&t);
    return 0;
}

/* Applies the keys waiting; true when the screen must be redrawn. */
static bool sg_top_keys(sg_top *top, uint64_t now)
{
    bool redraw = false;
    long nthreads = (long)top->profile->threads.count;
    int action;
    while (!top->quit && (action = sg_top_view_key(top->view)) != SG_TOP_NONE) {
        switch (action) {
        case SG_TOP_QUIT:
            top->quit = true;
            break;
        case SG_TOP_NEXT_THREAD:
            top->thread = top->thread + 1 >= nthreads ? -1 : top->thread + 1;
            break;
        case SG_TOP_PREV_THREAD:
            top->thread = top->thread < 0 ? nthreads - 1 : top->thread - 1;
            break;
        case SG_TOP_NEXT_SORT:
            top->sort = top->sort == SG_FTABLE_SORT_NAME ? SG_FTABLE_SORT_SELF : top->sort + 1;
            break;
        case SG_TOP_TOGGLE_RANGE:
            top->since_start = !top->since_start;
            break;
        case SG_TOP_TOGGLE_PAUSE:
            top->paused = !top->paused;
            break;
        default: /* SG_TOP_REDRAW */
            break;
        }
        redraw = true;
    }
    if (redraw && !top->paused)
        top->view_ns = now - top->start_ns;
    return redraw;
}

static int sg_top_tick(void *ctx, uint64_t now)
{
    sg_top *top = ctx;
    int rc = sg_target_set_round(&top->targets, now);
    if (rc < 0)
        return rc;
    top->ticks++;
    if (rc == SG_TARGETS_ALL_GONE) {
        if (top->child && !top->child_ended)
            top->child_ended = sg_cli_child_ended(top->child, &top->child_status);
        return 1;
    }
    if (sg_recorder_error(top->recorder))
        return -ENOMEM;
    if (now >= top->next_epoch) {
        sg_target_set_new_epoch(&top->targets);
        top->next_epoch = now + SG_TOP_SECOND_NS;
    }
    bool redraw = false;
    if (now >= top->next_keys) {
        top->next_keys = now + SG_TOP_KEYS_EVERY_NS;
        redraw = sg_top_keys(top, now);
        if (top->quit)
            return 1;
    }
    if (now >= top->next_refresh) {
        top->next_refresh = now + SG_TOP_SECOND_NS;
        if (now >= top->rate_since + SG_TOP_SECOND_NS / 2) { /* not at the first draw */
            top->rate_hz =
                (double)(top->ticks - top->rate_ticks) * 1e9 / (double)(now - top->rate_since);
            top->rate_ticks = top->ticks;
            top->rate_since = now;
        }
        if (!top->paused) {
            top->view_ns = now - top->start_ns;
            redraw = true;
        }
    }
    if (redraw) {
        top->last_capacity = sg_top_view_capacity(top->view);
        if (sg_top_show(top, top->last_capacity, NULL) != 0)
            return -ENOMEM;
    }
    return 0;
}

/* ---- running ------------------------------------------------------------ */

static int sg_top_sink_for(void *ctx, pid_t pid, sg_sample_sink *sink)
{
    return sg_recorder_add_source(ctx, pid, sink);
}

/* Attaches (launching first when asked) and sets up the recording. Returns
 * 0, or the exit status to end with (errors already printed). */
static int sg_top_start(sg_top *top)
{
    char err[512];
    sg_target first;
    top->pid = top->args.pid;
    if (top->args.command) {
        /* Before launching anything: a program started for nothing. */
        if (sg_top_view_check_terminal(err, sizeof err) != 0) {
            sg_cli_error("%s", err);
            return 1;
        }
        if ((top->pid = top->child = sg_top_launch(top)) < 0) {
            top->child = 0;
            sg_top_replay(&top->child_err, stderr);
            return 1;
        }
    }
    int rc = sg_cli_attach(top->pid, top->child ? SG_TOP_LAUNCH_WAIT_S : 1.0, &first,
                           top->child ? &top->child_status : NULL);
    if (rc == 2) {
        top->child_ended = 1;
        sg_top_replay(&top->child_out, stdout);
        sg_top_replay(&top->child_err, stderr);
        fprintf(stderr, "spyglass: %s exited before its interpreter started\n",
                top->args.command[0]);
        return top->child_status;
    }
    if (rc != 0) {
        if (top->child) {
            kill(top->child, SIGTERM);
            waitpid(top->child, NULL, 0);
            top->child_ended = 1;
            sg_top_replay(&top->child_out, stdout);
            sg_top_replay(&top->child_err, stderr);
        }
        return 1;
    }
    /* By pid, attach errors come first: they are the likelier mistake. */
    if (!top->child && sg_top_view_check_terminal(err, sizeof err) != 0) {
        sg_cli_error("%s", err);
        sg_target_detach(&first);
        return 1;
    }
    snprintf(top->python_version, sizeof top->python_version, "%s", first.version);
    sg_target_args_command_line(&top->args, top->pid, top->command, sizeof top->command);
    top->start_ns = sg_monotonic_ns();
    top->profile = sg_profile_new();
    sg_recorder_options ropts = {top->start_ns, true /* the view shows no source */};
    top->recorder = top->profile ? sg_recorder_new(top->profile, &ropts) : NULL;
    if (!top->recorder) {
        sg_cli_error("out of memory");
        sg_target_detach(&first);
        return 1;
    }
    top->profile->meta.pid = (uint64_t)top->pid;
    top->profile->meta.interval_ns = (uint64_t)(1e9 / top->args.rate);
    top->profile->meta.mode = top->args.mode == SG_SAMPLER_CPU ? SG_MODE_CPU : SG_MODE_WALL;
    /* New threads wait up to 50 ms for threading to name them: the filter
     * lists threads by name. */
    sg_sampler_config cfg = {top->args.mode, top->args.gil_only, 0, 50000000ull};
    sg_target_set_init(&top->targets, &cfg, sg_top_sink_for, top->recorder, false);
    if (sg_target_set_add(&top->targets, &first) != 0) {
        sg_cli_error("out of memory");
        sg_target_detach(&first);
        return 1;
    }
    return 0;
}

/* After the view has closed: the program's output, the last screen when
 * the target ended, and how it ended. */
static int sg_top_finish(sg_top *top, int loop_rc)
{
    int status = 0;
    if (loop_rc < 0) {
        sg_cli_error("top stopped: %s", strerror(-loop_rc));
        status = 1;
    }
    bool target_ended = loop_rc == 1 && !top->quit;
    if (top->child && !top->child_ended && target_ended) {
        int ws; /* gone as a target; reap it */
        waitpid(top->child, &ws, 0);
        top->child_status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        top->child_ended = 1;
    }
    sg_top_end_child(top);
    sg_top_replay(&top->child_out, stdout);
    sg_top_replay(&top->child_err, stderr);
    if (!target_ended)
        return status;
    top->since_start = true;
    top->paused = false;
    if (sg_top_show(top, SG_TOP_FINAL_ROWS, stdout) != 0) {
        sg_cli_error("out of memory");
        return 1;
    }
    fflush(stdout);
    if (top->child) {
        fprintf(stderr, "spyglass: %s exited with status %d\n", top->args.command[0],
                top->child_status);
        return top->child_status;
    }
    fprintf(stderr, "spyglass: process %d exited\n", (int)top->pid);
    return status;
}

static int sg_top_run(sg_top *top)
{
    int rc = sg_top_start(top);
    if (rc != 0 || !top->recorder)
        return rc;
    /* Our handlers first: ncurses installs its own for SIGINT and SIGTERM
     * only where none is set, and ours end the loop so the view can close. */
    struct sigaction sa = {0};
    sa.sa_handler = sg_top_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    char err[512];
    if (sg_top_view_open(&top->view, err, sizeof err) != 0) {
        sg_cli_error("%s", err);
        sg_top_end_child(top);
        sg_top_replay(&top->child_out, stdout);
        sg_top_replay(&top->child_err, stderr);
        return 1;
    }
    uint64_t now = sg_monotonic_ns();
    top->sort = SG_FTABLE_SORT_SELF;
    top->thread = -1;
    top->next_refresh = top->next_keys = now; /* draw at once, then every second */
    top->next_epoch = now + SG_TOP_SECOND_NS;
    top->rate_since = now;
    sg_loop_config loop_cfg = {top->args.rate, 0, &sg_top_stop, 0, 0};
    sg_loop_stats loop;
    rc = sg_loop_run(&loop_cfg, sg_top_tick, NULL, top, &loop);
    top->view_ns = loop.now_ns - top->start_ns;
    sg_top_view_close(top->view);
    top->view = NULL;
    if (sg_top_stop)
        top->quit = true; /* Ctrl-C (or a SIGTERM or SIGHUP) */
    return sg_top_finish(top, rc);
}

int sg_cmd_top(int argc, char **argv)
{
    sg_top top;
    memset(&top, 0, sizeof top);
    int rc = sg_parse_top_args(argc, argv, &top.args);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    rc = sg_top_run(&top);
    if (top.view)
        sg_top_view_close(top.view);
    sg_target_set_free(&top.targets);
    sg_recorder_free(top.recorder);
    sg_profile_free(top.profile);
    free(top.mask);
    free(top.rows);
    if (top.child_out)
        fclose(top.child_out);
    if (top.child_err)
        fclose(top.child_err);
    return rc;
}
