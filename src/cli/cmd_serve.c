/*
 * cmd_serve.c — `spyglass serve`: run the profile server (src/serve) until
 * Ctrl-C or SIGTERM. Only parses options and waits: the server is
 * src/serve's.
 *
 * Signals: SIGINT and SIGTERM are blocked before the server's threads
 * start (they inherit the mask) and taken with sigwait here, so a signal
 * never lands in a libmicrohttpd thread and stopping is an ordinary call.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/attach.h"
#include "cli/commands.h"
#include "serve/server.h"

static void serve_usage(FILE *out)
{
    fprintf(out,
            "usage: spyglass serve [options]\n\n"
            "Keeps profiles and serves the viewer and the HTTP API (docs/api.md).\n\n"
            "  --data DIR        data directory (default $XDG_DATA_HOME/spyglass or\n"
            "                    ~/.local/share/spyglass); created on first start\n"
            "  --host HOST       address to listen on (default 127.0.0.1); anything but\n"
            "                    loopback needs --token\n"
            "  --port PORT       port (default %d; 0 = any free port)\n"
            "  --token T         every request that changes state must send\n"
            "                    'Authorization: Bearer T' (also $SPYGLASS_TOKEN)\n"
            "  --token-reads     every request must send the token, reads too\n"
            "  --max-upload MB   largest profile accepted (default 1024)\n"
            "  --cache-mb MB     memory for loaded profiles and cached answers\n"
            "                    (default 2048; an eighth goes to answers)\n"
            "  --threads N       HTTP worker threads (default %d)\n"
            "  --log             one line per request on stderr\n",
            SG_SERVE_DEFAULT_PORT, SG_SERVE_DEFAULT_THREADS);
}

static int parse_mb(const char *opt, const char *text, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (*text == '\0' || *end != '\0' || text[0] == '-' || v == 0 || v > (1ull << 40)) {
        sg_cli_error("%s takes megabytes (1 or more), not '%s'", opt, text);
        return 2;
    }
    *out = (uint64_t)v << 20;
    return 0;
}

int sg_serve_option(sg_serve_config *cfg, int c, const char *arg)
{
    char *end;
    unsigned long v;
    switch (c) {
    case 'P':
        v = strtoul(arg, &end, 10);
        if (*arg == '\0' || *end != '\0' || v > 65535) {
            sg_cli_error("--port takes a port number (0-65535), not '%s'", arg);
            return 2;
        }
        cfg->port = (uint16_t)v;
        return 1;
    case 'H':
        cfg->host = arg;
        return 1;
    default:
        return 0;
    }
}

int sg_serve_wait_for_signal(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig = 0;
    sigwait(&set, &sig);
    return sig;
}

void sg_serve_url(const sg_serve_config *cfg, const sg_server *srv, const char *path, char *buf,
                  size_t len)
{
    const char *host = cfg->host ? cfg->host : "127.0.0.1";
    bool v6 = strchr(host, ':') != NULL;
    snprintf(buf, len, "http://%s%s%s:%u%s", v6 ? "[" : "", host, v6 ? "]" : "",
             sg_server_port(srv), path);
}

void sg_serve_block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int sg_cmd_serve(int argc, char **argv)
{
    enum {
        OPT_DATA = 256,
        OPT_TOKEN,
        OPT_TOKEN_READS,
        OPT_MAX_UPLOAD,
        OPT_CACHE,
        OPT_THREADS,
        OPT_LOG
    };
    static const struct option opts[] = {{"data", required_argument, NULL, OPT_DATA},
                                         {"host", required_argument, NULL, 'H'},
                                         {"port", required_argument, NULL, 'P'},
                                         {"token", required_argument, NULL, OPT_TOKEN},
                                         {"token-reads", no_argument, NULL, OPT_TOKEN_READS},
                                         {"max-upload", required_argument, NULL, OPT_MAX_UPLOAD},
                                         {"cache-mb", required_argument, NULL, OPT_CACHE},
                                         {"threads", required_argument, NULL, OPT_THREADS},
                                         {"log", no_argument, NULL, OPT_LOG},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    sg_serve_config cfg = {.port = SG_SERVE_DEFAULT_PORT};
    cfg.token = getenv("SPYGLASS_TOKEN");
    char data_dir[4096];
    uint64_t mb;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int shared = sg_serve_option(&cfg, c, optarg);
        if (shared == 2)
            return 2;
        if (shared)
            continue;
        switch (c) {
        case OPT_DATA:
            cfg.data_dir = optarg;
            break;
        case OPT_TOKEN:
            cfg.token = optarg;
            break;
        case OPT_TOKEN_READS:
            cfg.token_reads = true;
            break;
        case OPT_MAX_UPLOAD:
            if (parse_mb("--max-upload", optarg, &mb) != 0)
                return 2;
            cfg.max_upload = mb;
            break;
        case OPT_CACHE:
            if (parse_mb("--cache-mb", optarg, &mb) != 0)
                return 2;
            cfg.cache_bytes = (size_t)mb;
            break;
        case OPT_THREADS: {
            char *end;
            unsigned long n = strtoul(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || n == 0 || n > 256) {
                sg_cli_error("--threads takes 1 to 256, not '%s'", optarg);
                return 2;
            }
            cfg.threads = (unsigned)n;
            break;
        }
        case OPT_LOG:
            cfg.log = true;
            break;
        case 'h':
            serve_usage(stdout);
            return 0;
        default:
            serve_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        sg_cli_error("serve takes no arguments (got '%s'); see spyglass serve --help",
                     argv[optind]);
        return 2;
    }
    if (cfg.token_reads && (cfg.token == NULL || cfg.token[0] == '\0')) {
        sg_cli_error("--token-reads needs --token");
        return 2;
    }
    if (cfg.data_dir == NULL) {
        if (sg_default_data_dir(data_dir, sizeof data_dir) != 0) {
            sg_cli_error("no data directory: set --data, XDG_DATA_HOME or HOME");
            return 2;
        }
        cfg.data_dir = data_dir;
    }
    sg_serve_block_signals();
    sg_server *srv;
    char err[1024];
    if (sg_server_start(&cfg, &srv, err, sizeof err) != 0) {
        sg_cli_error("%s", err);
        return 1;
    }
    char url[600];
    sg_serve_url(&cfg, srv, "/", url, sizeof url);
    fprintf(stderr, "spyglass: serving %s on %s (Ctrl-C stops)%s\n", cfg.data_dir, url,
            cfg.token ? "; state changes need the token" : "");
    sg_serve_wait_for_signal();
    fprintf(stderr, "spyglass: stopping\n");
    sg_server_stop(srv);
    return 0;
}
