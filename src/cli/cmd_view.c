/*
 * cmd_view.c — `spyglass view FILE`: like `snakeviz FILE`: a server of its
 * own on a free port, with a temporary data directory holding just that
 * file, prints the profile's URL and opens a browser when there is a
 * display. Runs until Ctrl-C, then removes the temporary directory.
 */
#include <dirent.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/attach.h"
#include "cli/commands.h"
#include "serve/server.h"

static void view_usage(FILE *out)
{
    fprintf(out, "usage: spyglass view FILE [options]\n\n"
                 "Serves one profile (any format spyglass reads) and prints its URL; opens a\n"
                 "browser when a display is there. Ctrl-C stops.\n\n"
                 "  --port PORT     port (default: any free port)\n"
                 "  --host HOST     address (default 127.0.0.1)\n"
                 "  --no-browser    only print the URL\n");
}

/* rm -r of the one-level-deep tree the server made. */
static void remove_tree(const char *dir)
{
    static const char *const subdirs[] = {"profiles", "tmp", ""};
    for (size_t i = 0; i < 3; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, subdirs[i]);
        DIR *d = opendir(path);
        if (d == NULL)
            continue;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char f[4400];
            snprintf(f, sizeof f, "%s/%s", path, e->d_name);
            unlink(f);
        }
        closedir(d);
        if (i < 2)
            rmdir(path);
    }
    rmdir(dir);
}

static void open_browser(const char *url)
{
    if (getenv("DISPLAY") == NULL && getenv("WAYLAND_DISPLAY") == NULL)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        /* quiet, and out of the way of our Ctrl-C */
        setsid();
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execlp("xdg-open", "xdg-open", url, (char *)NULL);
        _exit(127);
    }
}

int sg_cmd_view(int argc, char **argv)
{
    enum { OPT_NO_BROWSER = 256 };
    static const struct option opts[] = {{"port", required_argument, NULL, 'P'},
                                         {"host", required_argument, NULL, 'H'},
                                         {"no-browser", no_argument, NULL, OPT_NO_BROWSER},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    sg_serve_config cfg = {.port = 0};
    bool browser = true;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int shared = sg_serve_option(&cfg, c, optarg);
        if (shared == 2)
            return 2;
        if (shared)
            continue;
        switch (c) {
        case OPT_NO_BROWSER:
            browser = false;
            break;
        case 'h':
            view_usage(stdout);
            return 0;
        default:
            view_usage(stderr);
            return 2;
        }
    }
    if (optind + 1 != argc) {
        sg_cli_error(optind >= argc ? "view needs a FILE to show"
                                    : "view shows one FILE (got more)");
        return 2;
    }
    const char *file = argv[optind];
    if (access(file, R_OK) != 0) {
        sg_cli_error("cannot read %s", file);
        return 1;
    }
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/spyglass-view-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        sg_cli_error("cannot create a temporary directory in %s", tmp && *tmp ? tmp : "/tmp");
        return 1;
    }
    cfg.data_dir = dir;
    sg_serve_block_signals();
    sg_server *srv;
    char err[1024], id[SG_ID_LEN + 1];
    if (sg_server_start(&cfg, &srv, err, sizeof err) != 0) {
        sg_cli_error("%s", err);
        remove_tree(dir);
        return 1;
    }
    char *copy = strdup(file);
    int rc = sg_server_import_file(srv, file, copy ? basename(copy) : file, id, err, sizeof err);
    free(copy);
    if (rc != 0) {
        sg_cli_error("%s", err);
        sg_server_stop(srv);
        remove_tree(dir);
        return 1;
    }
    char path[8 + SG_ID_LEN], url[600];
    snprintf(path, sizeof path, "/p/%s", id);
    sg_serve_url(&cfg, srv, path, url, sizeof url);
    printf("%s\n", url);
    fflush(stdout);
    fprintf(stderr, "spyglass: serving %s at %s (Ctrl-C stops)\n", file, url);
    if (browser)
        open_browser(url);
    sg_serve_wait_for_signal();
    sg_server_stop(srv);
    remove_tree(dir);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    return 0;
}
