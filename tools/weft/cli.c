/* Shared command-line plumbing: usage errors and option parsing. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const cli_cmd *cli_find(const char *name) {
  for (size_t i = 0; cli_cmds[i] != NULL; i++)
    if (strcmp(cli_cmds[i]->name, name) == 0)
      return cli_cmds[i];
  return NULL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (cmd != NULL)
    fprintf(stderr, "weft %s: %s (see 'weft %s --help')\n", cmd, msg, cmd);
  else
    fprintf(stderr, "weft: %s (see 'weft --help')\n", msg);
  return CLI_EXIT_USAGE;
}

int cli_fail(const char *cmd, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  fprintf(stderr, "weft %s: %s\n", cmd, msg);
  return CLI_EXIT_FAIL;
}

/* The long option named by argv[optind - 1] (for messages). */
static const char *bad_arg(int argc, char **argv) {
  if (optind >= 1 && optind - 1 < argc)
    return argv[optind - 1];
  return "?";
}

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts, int first) {
  if (first)
    optind = 0; /* GNU: full reinitialisation */
  opterr = 0;
  char spec[128];
  snprintf(spec, sizeof(spec), ":%s", shortopts);
  int c = getopt_long(argc, argv, spec, longopts, NULL);
  if (c == '?') {
    if (optopt != 0)
      cli_usage_error(cmd, "unknown option '-%c'", optopt);
    else
      cli_usage_error(cmd, "unknown option '%s'", bad_arg(argc, argv));
    return '?';
  }
  if (c == ':') {
    cli_usage_error(cmd, "option '%s' needs a value", bad_arg(argc, argv));
    return '?';
  }
  return c;
}

int cli_parse_uint(const char *text, unsigned long min, unsigned long max,
                   unsigned long *out) {
  if (text == NULL || *text < '0' || *text > '9')
    return -1;
  errno = 0;
  char *end = NULL;
  unsigned long v = strtoul(text, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

int cli_parse_log_level(const char *cmd, const char *text, weft_log *log) {
  int lvl = weft_log_level_parse(text);
  if (lvl < 0)
    return cli_usage_error(
        cmd, "--log-level '%s': expected none, error, warn, info, debug, trace",
        text);
  weft_log_default(log);
  log->level = lvl;
  return 0;
}
