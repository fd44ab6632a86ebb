/*
 * Shared command-line plumbing of the weft program: the subcommand table,
 * one-line usage errors, and a getopt_long wrapper that reports unknown
 * options and missing arguments the same way in every subcommand.
 */
#ifndef WEFT_TOOL_CLI_H
#define WEFT_TOOL_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "weft/weft.h"

/** Exit status of a bad command line (unknown option, bad value). */
#define CLI_EXIT_USAGE 2
/** Exit status of a runtime failure (port busy, timeout, ...). */
#define CLI_EXIT_FAIL 1

/** One subcommand: `weft <name> ...`. */
typedef struct cli_cmd {
  const char *name;
  const char *summary; /**< one line for `weft --help` */
  /** Prints the full help of the command to @p out. */
  void (*help)(FILE *out);
  /** Runs the command; argv[0] is the command's name. Returns exit status. */
  int (*run)(int argc, char **argv);
} cli_cmd;

/** Every subcommand, in the order `weft --help` lists them. */
extern const cli_cmd *const cli_cmds[];

/** Finds a subcommand by name, NULL when unknown. */
const cli_cmd *cli_find(const char *name);

/**
 * Prints "weft <cmd>: <message> (see 'weft <cmd> --help')" as one line to
 * stderr and returns CLI_EXIT_USAGE.
 */
int cli_usage_error(const char *cmd, const char *fmt, ...) WEFT_PRINTF(2, 3);

/** Prints "weft <cmd>: <message>" as one line to stderr; returns
 * CLI_EXIT_FAIL. */
int cli_fail(const char *cmd, const char *fmt, ...) WEFT_PRINTF(2, 3);

/**
 * getopt_long with weft's error reporting. Returns the option (as
 * getopt_long does), -1 at the end, or '?' after printing a one-line error
 * for an unknown option or a missing argument. Call with @p first set
 * before the first option of a command (resets getopt's state).
 */
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts, int first);

/** Parses a decimal unsigned in [min, max]. Returns 0 or -1. */
int cli_parse_uint(const char *text, unsigned long min, unsigned long max,
                   unsigned long *out);

/**
 * Parses a --log-level value into @p log (the rest set to defaults).
 * Returns 0, or prints a usage error and returns CLI_EXIT_USAGE.
 */
int cli_parse_log_level(const char *cmd, const char *text, weft_log *log);

#endif
