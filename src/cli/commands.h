/*
 * commands.h — the subcommands of `spyglass`; each takes its own argv
 * (argv[0] is the subcommand's name) and returns the process exit status.
 */
#ifndef SG_CLI_COMMANDS_H
#define SG_CLI_COMMANDS_H

#include <stddef.h>

int sg_cmd_record(int argc, char **argv);
int sg_cmd_dump(int argc, char **argv);
int sg_cmd_top(int argc, char **argv);
int sg_cmd_report(int argc, char **argv);
int sg_cmd_convert(int argc, char **argv);
int sg_cmd_serve(int argc, char **argv);
int sg_cmd_view(int argc, char **argv);
int sg_cmd_upload(int argc, char **argv);

/* Shared by serve and view (cmd_serve.c). */
struct sg_serve_config;
/* --port ('P') and --host ('H'): 1 when c was one of them, 2 on a bad
 * value, 0 when it is not ours. */
int sg_serve_option(struct sg_serve_config *cfg, int c, const char *arg);
/* Block SIGINT and SIGTERM (before the server's threads start), then wait
 * for one of them. */
void sg_serve_block_signals(void);
int sg_serve_wait_for_signal(void);
/* The server's address followed by path ("/" or "/p/ID") into buf, an
 * IPv6 host in brackets so that the URL can be pasted into a browser. */
struct sg_server;
void sg_serve_url(const struct sg_serve_config *cfg, const struct sg_server *srv, const char *path,
                  char *buf, size_t len);

#endif
