/* `weft stun`: a STUN Binding server (RFC 8489) over UDP and TCP. */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cmds.h"
#include "net.h"

static void help(FILE *out) {
  fprintf(out,
          "usage: weft stun [options]\n"
          "\n"
          "Runs a STUN Binding server (RFC 8489) over UDP and TCP, IPv4 and "
          "IPv6.\n"
          "\n"
          "options:\n"
          "  -l, --listen ADDR[:PORT]   address to serve, repeatable "
          "(default: 0.0.0.0:3478\n"
          "                             and [::]:3478); IPv6 as [::1]:3478; "
          "port 0 picks one\n"
          "      --no-udp               serve TCP only\n"
          "      --no-tcp               serve UDP only\n"
          "      --software TEXT        SOFTWARE attribute of answers "
          "(default: weft)\n"
          "      --no-software          no SOFTWARE attribute\n"
          "      --tcp-idle-ms N        close a silent TCP connection after N "
          "ms (30000)\n"
          "      --tcp-max-conns N      most TCP connections at once (1024)\n"
          "      --log-level LEVEL      none, error, warn, info, debug, trace "
          "(warn)\n"
          "      --stats                print counters to stderr on exit\n"
          "  -h, --help                 this help\n"
          "\n"
          "Prints one line \"listening udp|tcp ADDR:PORT\" per socket on "
          "stdout, then serves\n"
          "until SIGINT or SIGTERM.\n");
}

int stun_add_listen(const char *cmd, const char *opt, stunsrv_config *cfg,
                    const char *text) {
  if (cfg->listen_is_default) {
    cfg->listen_is_default = 0;
    cfg->nlisten = 0;
  }
  if (cfg->nlisten == STUNSRV_MAX_LISTEN)
    return cli_usage_error(cmd, "%s: at most %d addresses", opt,
                           STUNSRV_MAX_LISTEN);
  const char *err =
      net_parse_addr(&cfg->listen[cfg->nlisten], text, STUNSRV_DEFAULT_PORT);
  if (err != NULL)
    return cli_usage_error(cmd, "%s '%s': %s", opt, text, err);
  cfg->nlisten++;
  return 0;
}

void stun_print_listening(const stunsrv *s, FILE *out) {
  for (size_t i = 0; i < stunsrv_nbound(s); i++) {
    const char *proto;
    weft_addr a;
    char text[WEFT_ADDR_STRLEN];
    stunsrv_bound(s, i, &proto, &a);
    fprintf(out, "listening %s %s\n", proto,
            weft_addr_format(&a, text, sizeof(text)));
  }
  fflush(out);
}

void stun_print_stats(const stunsrv *s, FILE *out) {
  stunsrv_stats st;
  stunsrv_get_stats(s, &st);
  fprintf(out,
          "stun: received %" PRIu64 " answered %" PRIu64 " errors %" PRIu64
          " malformed %" PRIu64 " not-request %" PRIu64
          " udp-oversized %" PRIu64 " udp-send-errors %" PRIu64
          " tcp-accepted %" PRIu64 " tcp-rejected %" PRIu64
          " tcp-garbage %" PRIu64 " tcp-idle %" PRIu64 "\n",
          st.stun.received, st.stun.answered, st.stun.errors_sent,
          st.stun.dropped_malformed, st.stun.dropped_not_request,
          st.udp_oversized, st.udp_send_errors, st.tcp_accepted,
          st.tcp_rejected, st.tcp_garbage, st.tcp_idle);
}

enum {
  OPT_NO_UDP = 256,
  OPT_NO_TCP,
  OPT_SOFTWARE,
  OPT_NO_SOFTWARE,
  OPT_IDLE,
  OPT_MAX_CONNS,
  OPT_LOG_LEVEL,
  OPT_STATS,
};

static const struct option opts[] = {
    {"listen", required_argument, NULL, 'l'},
    {"no-udp", no_argument, NULL, OPT_NO_UDP},
    {"no-tcp", no_argument, NULL, OPT_NO_TCP},
    {"software", required_argument, NULL, OPT_SOFTWARE},
    {"no-software", no_argument, NULL, OPT_NO_SOFTWARE},
    {"tcp-idle-ms", required_argument, NULL, OPT_IDLE},
    {"tcp-max-conns", required_argument, NULL, OPT_MAX_CONNS},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"stats", no_argument, NULL, OPT_STATS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Applies one option; returns 0, -1 for --help, or an exit status. */
static int apply(int c, stunsrv_config *cfg, int *stats) {
  unsigned long v;
  switch (c) {
  case 'l':
    return stun_add_listen("stun", "--listen", cfg, optarg);
  case OPT_NO_UDP:
    cfg->udp = 0;
    return 0;
  case OPT_NO_TCP:
    cfg->tcp = 0;
    return 0;
  case OPT_SOFTWARE:
    if (strlen(optarg) > 763)
      return cli_usage_error("stun", "--software: at most 763 bytes");
    cfg->software = optarg;
    return 0;
  case OPT_NO_SOFTWARE:
    cfg->software = NULL;
    return 0;
  case OPT_IDLE:
  case OPT_MAX_CONNS:
    if (cli_parse_uint(optarg, 1, 1000000000, &v) != 0)
      return cli_usage_error(
          "stun", "%s '%s': expected a positive number",
          c == OPT_IDLE ? "--tcp-idle-ms" : "--tcp-max-conns", optarg);
    *(c == OPT_IDLE ? &cfg->tcp_idle_ms : &cfg->tcp_max_conns) = (unsigned)v;
    return 0;
  case OPT_LOG_LEVEL:
    return cli_parse_log_level("stun", optarg, &cfg->log);
  case OPT_STATS:
    *stats = 1;
    return 0;
  case 'h':
    return -1;
  default:
    return CLI_EXIT_USAGE;
  }
}

struct running {
  stunsrv *srv;
  int stats;
};

static void stop(void *arg) {
  struct running *r = arg;
  if (r->stats)
    stun_print_stats(r->srv, stderr);
  stunsrv_close(r->srv);
}

static int serve(const stunsrv_config *cfg, int stats) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct running r = {.stats = stats};
  char err[256];
  if (stunsrv_start(&r.srv, &loop, cfg, err, sizeof(err)) != 0) {
    app_loop_close(&loop);
    return cli_fail("stun", "cannot listen on %s", err);
  }
  stun_print_listening(r.srv, stdout);
  app_run_until_signal(&loop, stop, &r);
  app_loop_close(&loop);
  return 0;
}

static int run(int argc, char **argv) {
  stunsrv_config cfg;
  stunsrv_config_default(&cfg);
  int stats = 0, c, first = 1;
  while ((c = cli_getopt("stun", argc, argv, "l:h", opts, first)) != -1) {
    first = 0;
    int r = c == '?' ? CLI_EXIT_USAGE : apply(c, &cfg, &stats);
    if (r == -1) {
      help(stdout);
      return 0;
    }
    if (r != 0)
      return r;
  }
  if (optind < argc)
    return cli_usage_error("stun", "unexpected argument '%s'", argv[optind]);
  if (!cfg.udp && !cfg.tcp)
    return cli_usage_error("stun", "--no-udp and --no-tcp leave nothing");
  return serve(&cfg, stats);
}

const cli_cmd cmd_stun = {"stun", "run a STUN Binding server (UDP and TCP)",
                          help, run};
