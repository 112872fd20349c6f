/*
 * commands.h — the subcommands of `spyglass`; each takes its own argv
 * (argv[0] is the subcommand's name) and returns the process exit status.
 */
#ifndef SG_CLI_COMMANDS_H
#define SG_CLI_COMMANDS_H

int sg_cmd_record(int argc, char **argv);
int sg_cmd_dump(int argc, char **argv);
int sg_cmd_top(int argc, char **argv);
int sg_cmd_report(int argc, char **argv);
int sg_cmd_convert(int argc, char **argv);

#endif
