/* `weft signal`: the PeerJS-compatible signaling server (WebSocket + HTTP).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "cmds.h"
#include "net.h"
#include "signal_lws.h"

static void help(FILE *out) {
  fprintf(out,
          "usage: weft signal [options]\n"
          "\n"
          "Runs a signaling server speaking the PeerJS server's protocol "
          "(the `peerjs`\n"
          "browser client works unmodified): GET PATH<key>/id, WebSocket "
          "PATHpeerjs,\n"
          "and the files of the web directory over HTTP.\n"
          "\n"
          "options:\n"
          "  -l, --listen ADDR[:PORT]    address (default: every interface, "
          "port 9000);\n"
          "                              IPv6 as [::1]:9000; port 0 picks "
          "one\n"
          "      --path PATH             mount path (/)\n"
          "      --key KEY               API key (peerjs)\n"
          "      --web DIR               serve the files of DIR over HTTP "
          "(index.html at /;\n"
          "                              default: ./web, else the source "
          "tree's web/)\n"
          "      --expire-timeout MS     held messages expire (5000)\n"
          "      --alive-timeout MS      close a client without HEARTBEAT "
          "(60000)\n"
          "      --concurrent-limit N    most clients at once (5000)\n"
          "      --allow-discovery       GET PATH<key>/peers lists the ids\n"
          "      --max-message BYTES     largest message (65536)\n"
          "      --rate N                messages/s per client, 0: no limit "
          "(100)\n"
          "      --burst N               messages at once above the rate "
          "(200)\n"
          "      --max-per-addr N        clients per source address, 0: any "
          "(64)\n"
          "      --log-level LEVEL       none, error, warn, info, debug, "
          "trace (warn)\n"
          "      --stats                 print counters to stderr on exit\n"
          "  -h, --help                  this help\n"
          "\n"
          "Prints \"listening http://ADDR:PORT/\" on stdout, then serves "
          "until SIGINT or\nSIGTERM.\n");
}

enum {
  OPT_PATH = 256,
  OPT_KEY,
  OPT_WEB,
  OPT_EXPIRE,
  OPT_ALIVE,
  OPT_LIMIT,
  OPT_DISCOVERY,
  OPT_MAXMSG,
  OPT_RATE,
  OPT_BURST,
  OPT_PER_ADDR,
  OPT_LOG_LEVEL,
  OPT_STATS,
};

static const struct option opts[] = {
    {"listen", required_argument, NULL, 'l'},
    {"path", required_argument, NULL, OPT_PATH},
    {"key", required_argument, NULL, OPT_KEY},
    {"web", required_argument, NULL, OPT_WEB},
    {"expire-timeout", required_argument, NULL, OPT_EXPIRE},
    {"alive-timeout", required_argument, NULL, OPT_ALIVE},
    {"concurrent-limit", required_argument, NULL, OPT_LIMIT},
    {"allow-discovery", no_argument, NULL, OPT_DISCOVERY},
    {"max-message", required_argument, NULL, OPT_MAXMSG},
    {"rate", required_argument, NULL, OPT_RATE},
    {"burst", required_argument, NULL, OPT_BURST},
    {"max-per-addr", required_argument, NULL, OPT_PER_ADDR},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"stats", no_argument, NULL, OPT_STATS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int signal_set_listen(const char *cmd, const char *opt, sigsrv_config *cfg,
                      const char *text) {
  const char *err = net_parse_addr(&cfg->listen, text, SIGSRV_DEFAULT_PORT);
  if (err != NULL)
    return cli_usage_error(cmd, "%s '%s': %s", opt, text, err);
  cfg->listen_any = 0;
  return 0;
}

static int number(const char *opt, unsigned long min, unsigned long max,
                  unsigned long *v) {
  if (cli_parse_uint(optarg, min, max, v) != 0)
    return cli_usage_error("signal", "--%s '%s': expected a number in %lu-%lu",
                           opt, optarg, min, max);
  return 0;
}

/* Numeric options; returns 0 or an exit status. */
static int apply_number(int c, sig_config *core) {
  unsigned long v;
  const char *name = NULL;
  for (size_t i = 0; opts[i].name != NULL; i++)
    if (opts[i].val == c)
      name = opts[i].name;
  int r = number(name, c == OPT_RATE || c == OPT_PER_ADDR ? 0 : 1,
                 c == OPT_MAXMSG ? 16u << 20 : 1000000000, &v);
  if (r != 0)
    return r;
  switch (c) {
  case OPT_EXPIRE:
    core->expire_timeout = v * WEFT_MILLISECONDS;
    break;
  case OPT_ALIVE:
    core->alive_timeout = v * WEFT_MILLISECONDS;
    break;
  case OPT_LIMIT:
    core->concurrent_limit = (uint32_t)v;
    break;
  case OPT_MAXMSG:
    core->max_message = v;
    break;
  case OPT_RATE:
    core->rate_per_s = (uint32_t)v;
    break;
  case OPT_BURST:
    core->rate_burst = (uint32_t)v;
    break;
  default:
    core->max_per_addr = (uint32_t)v;
    break;
  }
  return 0;
}

/* Applies one option; returns 0, -1 for --help, or an exit status. */
static int apply(int c, sigsrv_config *cfg, int *stats) {
  switch (c) {
  case 'l':
    return signal_set_listen("signal", "--listen", cfg, optarg);
  case OPT_PATH:
    if (optarg[0] != '/')
      return cli_usage_error("signal", "--path '%s': must start with '/'",
                             optarg);
    cfg->path = optarg;
    return 0;
  case OPT_KEY:
    cfg->core.key = optarg;
    return 0;
  case OPT_WEB:
    cfg->web_dir = optarg;
    return 0;
  case OPT_DISCOVERY:
    cfg->core.allow_discovery = 1;
    return 0;
  case OPT_LOG_LEVEL:
    return cli_parse_log_level("signal", optarg, &cfg->log);
  case OPT_STATS:
    *stats = 1;
    return 0;
  case 'h':
    return -1;
  case '?':
    return CLI_EXIT_USAGE;
  default:
    return apply_number(c, &cfg->core);
  }
}

void signal_print_url(const sigsrv_config *cfg, const sigsrv *s, FILE *out) {
  char text[WEFT_ADDR_STRLEN];
  weft_addr a = cfg->listen;
  if (cfg->listen_any || weft_addr_is_any(&a))
    weft_addr_parse(&a,
                    !cfg->listen_any && weft_addr_family(&a) == AF_INET6
                        ? "::1"
                        : "127.0.0.1",
                    0);
  weft_addr_set_port(&a, sigsrv_port(s));
  fprintf(out, "http://%s/", weft_addr_format(&a, text, sizeof(text)));
}

const char *signal_default_web_dir(void) {
  struct stat st;
  if (stat("web", &st) == 0 && S_ISDIR(st.st_mode))
    return "web";
#ifdef WEFT_WEB_DIR
  if (stat(WEFT_WEB_DIR, &st) == 0 && S_ISDIR(st.st_mode))
    return WEFT_WEB_DIR;
#endif
  return NULL;
}

struct running {
  sigsrv *srv;
  int stats;
};

static void stop(void *arg) {
  struct running *r = arg;
  if (r->stats)
    sigsrv_print_stats(r->srv, stderr);
  sigsrv_close(r->srv);
}

static int serve(const sigsrv_config *cfg, int stats) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct running r = {.stats = stats};
  char err[256];
  if (sigsrv_start(&r.srv, &loop, cfg, err, sizeof(err)) != 0) {
    app_loop_close(&loop);
    return cli_fail("signal", "cannot listen on %s", err);
  }
  printf("listening ");
  signal_print_url(cfg, r.srv, stdout);
  printf("\n");
  fflush(stdout);
  app_run_until_signal(&loop, stop, &r);
  app_loop_close(&loop);
  return 0;
}

static int run(int argc, char **argv) {
  sigsrv_config cfg;
  sigsrv_config_default(&cfg);
  cfg.web_dir = signal_default_web_dir();
  int stats = 0, c, first = 1;
  while ((c = cli_getopt("signal", argc, argv, "l:h", opts, first)) != -1) {
    first = 0;
    int r = apply(c, &cfg, &stats);
    if (r == -1) {
      help(stdout);
      return 0;
    }
    if (r != 0)
      return r;
  }
  if (optind < argc)
    return cli_usage_error("signal", "unexpected argument '%s'", argv[optind]);
  return serve(&cfg, stats);
}

const cli_cmd cmd_signal = {
    "signal", "run a PeerJS-compatible signaling server (WebSocket + HTTP)",
    help, run};
