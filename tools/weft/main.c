/*
 * The weft program: `weft <subcommand> [options]`. Each subcommand lives in
 * its own cmd_<name>.c and is listed in cli_cmds below.
 */
#include <signal.h>
#include <string.h>

#include "cmds.h"

const cli_cmd *const cli_cmds[] = {
    &cmd_serve,       &cmd_signal,  &cmd_stun,
    &cmd_stun_client, &cmd_ice,     &cmd_turn,
    &cmd_turn_client, &cmd_version, NULL,
};

static void usage(FILE *out) {
  fprintf(out, "usage: weft <command> [options]\n"
               "       weft help <command>\n"
               "\n"
               "commands:\n");
  for (size_t i = 0; cli_cmds[i] != NULL; i++)
    fprintf(out, "  %-13s %s\n", cli_cmds[i]->name, cli_cmds[i]->summary);
  fprintf(out, "\n"
               "options:\n"
               "  -h, --help     this help\n"
               "  -V, --version  print the version\n"
               "\n"
               "Every command takes --help.\n");
}

static int help_cmd(int argc, char **argv) {
  if (argc < 3) {
    usage(stdout);
    return 0;
  }
  if (argc > 3)
    return cli_usage_error(NULL, "'help' takes one command name");
  const cli_cmd *c = cli_find(argv[2]);
  if (c == NULL)
    return cli_usage_error(NULL, "unknown command '%s'", argv[2]);
  c->help(stdout);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    usage(stderr);
    return CLI_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(name, "-V") == 0 || strcmp(name, "--version") == 0)
    return cmd_version.run(1, (char *[]){"version", NULL});
  if (strcmp(name, "help") == 0)
    return help_cmd(argc, argv);
  if (name[0] == '-')
    return cli_usage_error(NULL, "unknown option '%s'", name);
  const cli_cmd *c = cli_find(name);
  if (c == NULL)
    return cli_usage_error(NULL, "unknown command '%s'", name);
  return c->run(argc - 1, argv + 1);
}
