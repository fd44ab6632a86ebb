/* `weft version`: the program's and its libraries' versions. */
#include <openssl/crypto.h>
#include <uv.h>

#include "cmds.h"

static void help(FILE *out) {
  fprintf(out, "usage: weft version\n"
               "       weft --version\n"
               "\n"
               "Prints the weft version, then the libuv and OpenSSL versions "
               "it runs with.\n");
}

static const struct option opts[] = {
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int run(int argc, char **argv) {
  int c = cli_getopt("version", argc, argv, "h", opts, 1);
  if (c == 'h') {
    help(stdout);
    return 0;
  }
  if (c != -1)
    return CLI_EXIT_USAGE;
  if (optind < argc)
    return cli_usage_error("version", "unexpected argument '%s'", argv[optind]);
  printf("weft %s\n", weft_version());
  printf("libuv %s, %s\n", uv_version_string(),
         OpenSSL_version(OPENSSL_VERSION));
  return 0;
}

const cli_cmd cmd_version = {"version", "print the version", help, run};
