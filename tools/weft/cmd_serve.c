/*
 * `weft serve`: every server weft has, in one process, with defaults that
 * work out of the box (`make run`). Each service is one entry of the
 * services table: a start, a one-line description and a stop. Signaling and
 * TURN join the table later.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cmds.h"

/* Everything the services share: their settings and running state. */
typedef struct serve_ctx {
  uv_loop_t loop;
  weft_log log;
  int stats;
  /* STUN */
  int stun_enabled;
  stunsrv_config stun_cfg;
  stunsrv *stun;
  /* TURN: serves the STUN addresses (it answers Binding too) */
  int turn_enabled;
  turnsrv_config *turn_cfg;
  turnsrv *turn;
  /* signaling */
  int signal_enabled;
  sigsrv_config signal_cfg;
  sigsrv *signal;
} serve_ctx;

typedef struct serve_service {
  const char *name;
  int (*enabled)(const serve_ctx *ctx);
  /** Starts; on failure writes one line to @p err and returns nonzero. */
  int (*start)(serve_ctx *ctx, char *err, size_t errlen);
  /** One line: what it serves, where ("STUN on udp+tcp ..."). */
  void (*describe)(const serve_ctx *ctx, FILE *out);
  /** How to try it, a command line (NULL: none). */
  void (*hint)(const serve_ctx *ctx, FILE *out);
  void (*stop)(serve_ctx *ctx);
} serve_service;

/* ---- STUN ---------------------------------------------------------------- */

static int stun_enabled(const serve_ctx *ctx) {
  return ctx->stun_enabled;
}

/* TURN takes the STUN addresses, transports and SOFTWARE. */
static int turn_start(serve_ctx *ctx, char *err, size_t errlen) {
  turnsrv_config *t = ctx->turn_cfg;
  const stunsrv_config *c = &ctx->stun_cfg;
  memcpy(t->listen, c->listen, c->nlisten * sizeof(c->listen[0]));
  t->nlisten = c->nlisten;
  t->listen_is_default = c->listen_is_default;
  t->udp = c->udp;
  t->tcp = c->tcp;
  t->core.software = c->software;
  t->log = ctx->log;
  return turnsrv_start(&ctx->turn, &ctx->loop, t, err, errlen);
}

static int stun_start(serve_ctx *ctx, char *err, size_t errlen) {
  if (ctx->turn_enabled)
    return turn_start(ctx, err, errlen);
  ctx->stun_cfg.log = ctx->log;
  return stunsrv_start(&ctx->stun, &ctx->loop, &ctx->stun_cfg, err, errlen);
}

/* "TURN on udp+tcp ADDR... (realm R, N users)" */
static void turn_describe(const serve_ctx *ctx, FILE *out, const char *proto) {
  const turnsrv_config *t = ctx->turn_cfg;
  fprintf(out, "weft serve: TURN on %s", proto);
  weft_addr a[TURNSRV_MAX_LISTEN];
  size_t na = turnsrv_bound(ctx->turn, a, TURNSRV_MAX_LISTEN);
  for (size_t i = 0; i < na; i++) {
    char text[WEFT_ADDR_STRLEN];
    fprintf(out, " %s", weft_addr_format(&a[i], text, sizeof(text)));
  }
  fprintf(out, " (realm %s, %s)\n", t->core.realm,
          t->core.use_auth_secret ? "REST API credentials"
          : t->nusers             ? "long-term users"
                                  : "no user: --turn-user to relay");
}

/* "STUN on udp+tcp [::]:3478 0.0.0.0:3478" (one entry per address). */
static void stun_describe(const serve_ctx *ctx, FILE *out) {
  const stunsrv_config *c = &ctx->stun_cfg;
  fprintf(out, "STUN on %s",
          c->udp && c->tcp ? "udp+tcp"
          : c->udp         ? "udp"
                           : "tcp");
  const char *pr = c->udp && c->tcp ? "udp+tcp" : c->udp ? "udp" : "tcp";
  if (ctx->turn != NULL) {
    weft_addr a[TURNSRV_MAX_LISTEN];
    size_t na = turnsrv_bound(ctx->turn, a, TURNSRV_MAX_LISTEN);
    for (size_t i = 0; i < na; i++) {
      char text[WEFT_ADDR_STRLEN];
      fprintf(out, " %s", weft_addr_format(&a[i], text, sizeof(text)));
    }
    fprintf(out, "\n");
    turn_describe(ctx, out, pr);
    return;
  }
  size_t n = stunsrv_nbound(ctx->stun);
  for (size_t i = 0; i < n; i++) {
    const char *proto;
    weft_addr a;
    char text[WEFT_ADDR_STRLEN];
    stunsrv_bound(ctx->stun, i, &proto, &a);
    /* the TCP sockets repeat the UDP addresses unless only TCP runs */
    if (c->udp && strcmp(proto, "tcp") == 0)
      continue;
    fprintf(out, " %s", weft_addr_format(&a, text, sizeof(text)));
  }
  fprintf(out, "\n");
}

/* The served addresses as (proto, address) pairs, from the STUN server or,
 * when TURN runs, from the TURN server (UDP ones, or TCP when UDP is off). */
static size_t served(const serve_ctx *ctx, weft_addr *a, const char **proto,
                     size_t max) {
  if (ctx->turn != NULL) {
    size_t n = turnsrv_bound(ctx->turn, a, max);
    for (size_t i = 0; i < n; i++)
      proto[i] = ctx->stun_cfg.udp ? "udp" : "tcp";
    return n;
  }
  size_t n = stunsrv_nbound(ctx->stun);
  n = n < max ? n : max;
  for (size_t i = 0; i < n; i++)
    stunsrv_bound(ctx->stun, i, &proto[i], &a[i]);
  return n;
}

/* "weft stun-client 127.0.0.1:3478": a loopback form of a bound address. */
static void stun_hint(const serve_ctx *ctx, FILE *out) {
  weft_addr all[2 * STUNSRV_MAX_LISTEN];
  const char *protos[2 * STUNSRV_MAX_LISTEN];
  size_t n = served(ctx, all, protos, 2 * STUNSRV_MAX_LISTEN), pick = 0;
  if (n == 0)
    return;
  for (size_t i = n; i-- > 0;) { /* prefer UDP, then IPv4 */
    if (strcmp(protos[i], "udp") == 0 &&
        (weft_addr_family(&all[i]) == AF_INET || pick == 0))
      pick = i;
  }
  weft_addr a = all[pick];
  const char *proto = protos[pick];
  char text[WEFT_ADDR_STRLEN];
  if (weft_addr_is_any(&a)) {
    uint16_t port = weft_addr_port(&a);
    weft_addr_parse(&a, weft_addr_family(&a) == AF_INET ? "127.0.0.1" : "::1",
                    port);
  }
  fprintf(out, "weft stun-client %s%s\n",
          weft_addr_format(&a, text, sizeof(text)),
          strcmp(proto, "tcp") == 0 ? " --tcp" : "");
  if (ctx->turn != NULL && ctx->turn_cfg->nusers > 0 &&
      strcmp(proto, "udp") == 0)
    fprintf(out, "weft serve: try: weft turn-client %s -u %s -w PASSWORD\n",
            text, ctx->turn_cfg->users[0].name);
}

static void stun_stop(serve_ctx *ctx) {
  if (ctx->turn != NULL) {
    if (ctx->stats)
      turnsrv_print_stats(ctx->turn, stderr);
    turnsrv_close(ctx->turn);
    ctx->turn = NULL;
    return;
  }
  if (ctx->stats)
    stun_print_stats(ctx->stun, stderr);
  stunsrv_close(ctx->stun);
  ctx->stun = NULL;
}

/* ---- signaling ----------------------------------------------------------- */

static int signal_enabled(const serve_ctx *ctx) {
  return ctx->signal_enabled;
}

static int signal_start(serve_ctx *ctx, char *err, size_t errlen) {
  ctx->signal_cfg.log = ctx->log;
  return sigsrv_start(&ctx->signal, &ctx->loop, &ctx->signal_cfg, err, errlen);
}

static void signal_describe(const serve_ctx *ctx, FILE *out) {
  fprintf(out, "signaling (PeerJS protocol) and web pages on ");
  signal_print_url(&ctx->signal_cfg, ctx->signal, out);
  fprintf(out, "\n");
}

static void signal_hint(const serve_ctx *ctx, FILE *out) {
  fprintf(out, "open ");
  signal_print_url(&ctx->signal_cfg, ctx->signal, out);
  fprintf(out, " in a browser\n");
}

static void signal_stop(serve_ctx *ctx) {
  if (ctx->stats)
    sigsrv_print_stats(ctx->signal, stderr);
  sigsrv_close(ctx->signal);
  ctx->signal = NULL;
}

static const serve_service services[] = {
    {"stun", stun_enabled, stun_start, stun_describe, stun_hint, stun_stop},
    {"signal", signal_enabled, signal_start, signal_describe, signal_hint,
     signal_stop},
};
#define NSERVICES (sizeof(services) / sizeof(services[0]))

/* ---- command line -------------------------------------------------------- */

static void help(FILE *out) {
  fprintf(
      out,
      "usage: weft serve [options]\n"
      "\n"
      "Runs every weft service in one process until Ctrl-C (SIGINT) or "
      "SIGTERM.\n"
      "Services now: STUN and TURN on the same addresses (UDP and TCP; "
      "the TURN\n"
      "server answers STUN Binding requests too), signaling (PeerJS protocol "
      "over\n"
      "WebSocket) with the web pages.\n"
      "\n"
      "options:\n"
      "      --stun-listen ADDR[:PORT]  STUN address, repeatable (default: "
      "[::]:3478\n"
      "                                 and 0.0.0.0:3478)\n"
      "      --no-stun                  do not run the STUN/TURN server\n"
      "      --no-turn                  plain STUN server, no TURN\n"
      "      --realm REALM              TURN realm (weft)\n"
      "      --turn-user NAME:PASS      a TURN long-term user, repeatable\n"
      "      --static-auth-secret S     TURN REST API credentials\n"
      "      --allow-loopback-peers     TURN may relay to loopback\n"
      "      --min-port P, --max-port P TURN relay ports "
      "(49152-65535)\n"
      "      --signal-listen ADDR[:PORT] signaling address (default: "
      "every interface,\n"
      "                                 port 9000)\n"
      "      --no-signal                do not run the signaling server\n"
      "      --web DIR                  web pages served by the signaling "
      "server\n"
      "                                 (default: the source tree's web/)\n"
      "      --log-level LEVEL          none, error, warn, info, debug, "
      "trace (warn)\n"
      "      --stats                    print counters to stderr on exit\n"
      "  -h, --help                     this help\n");
}

enum {
  OPT_STUN_LISTEN = 256,
  OPT_NO_STUN,
  OPT_LOG_LEVEL,
  OPT_STATS,
  OPT_NO_TURN,
  OPT_REALM,
  OPT_TURN_USER,
  OPT_SECRET,
  OPT_LOOPBACK,
  OPT_MIN_PORT,
  OPT_MAX_PORT,
  OPT_SIGNAL_LISTEN,
  OPT_NO_SIGNAL,
  OPT_WEB,
};

static const struct option opts[] = {
    {"stun-listen", required_argument, NULL, OPT_STUN_LISTEN},
    {"no-stun", no_argument, NULL, OPT_NO_STUN},
    {"no-turn", no_argument, NULL, OPT_NO_TURN},
    {"realm", required_argument, NULL, OPT_REALM},
    {"turn-user", required_argument, NULL, OPT_TURN_USER},
    {"static-auth-secret", required_argument, NULL, OPT_SECRET},
    {"allow-loopback-peers", no_argument, NULL, OPT_LOOPBACK},
    {"min-port", required_argument, NULL, OPT_MIN_PORT},
    {"max-port", required_argument, NULL, OPT_MAX_PORT},
    {"signal-listen", required_argument, NULL, OPT_SIGNAL_LISTEN},
    {"no-signal", no_argument, NULL, OPT_NO_SIGNAL},
    {"web", required_argument, NULL, OPT_WEB},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"stats", no_argument, NULL, OPT_STATS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* TURN options; returns 0 or an exit status. */
static int apply_turn(int c, serve_ctx *ctx) {
  turnsrv_config *t = ctx->turn_cfg;
  unsigned long v;
  switch (c) {
  case OPT_NO_TURN:
    ctx->turn_enabled = 0;
    return 0;
  case OPT_REALM:
    t->core.realm = optarg;
    return 0;
  case OPT_TURN_USER:
    return turn_add_user("serve", t, optarg);
  case OPT_SECRET:
    t->core.use_auth_secret = 1;
    t->core.static_auth_secret = optarg;
    return 0;
  case OPT_LOOPBACK:
    t->core.allow_loopback_peers = 1;
    return 0;
  default:
    if (cli_parse_uint(optarg, 1, 65535, &v) != 0)
      return cli_usage_error("serve", "%s '%s': expected a port",
                             c == OPT_MIN_PORT ? "--min-port" : "--max-port",
                             optarg);
    *(c == OPT_MIN_PORT ? &t->min_port : &t->max_port) = (uint16_t)v;
    return 0;
  }
}

/* Applies one option; returns 0, -1 for --help, or an exit status. */
static int apply(int c, serve_ctx *ctx) {
  if (c >= OPT_NO_TURN && c <= OPT_MAX_PORT)
    return apply_turn(c, ctx);
  switch (c) {
  case OPT_STUN_LISTEN:
    return stun_add_listen("serve", "--stun-listen", &ctx->stun_cfg, optarg);
  case OPT_NO_STUN:
    ctx->stun_enabled = 0;
    return 0;
  case OPT_SIGNAL_LISTEN:
    return signal_set_listen("serve", "--signal-listen", &ctx->signal_cfg,
                             optarg);
  case OPT_NO_SIGNAL:
    ctx->signal_enabled = 0;
    return 0;
  case OPT_WEB:
    ctx->signal_cfg.web_dir = optarg;
    return 0;
  case OPT_LOG_LEVEL:
    return cli_parse_log_level("serve", optarg, &ctx->log);
  case OPT_STATS:
    ctx->stats = 1;
    return 0;
  case 'h':
    return -1;
  default:
    return CLI_EXIT_USAGE;
  }
}

static int parse(serve_ctx *ctx, int argc, char **argv) {
  int c, first = 1;
  while ((c = cli_getopt("serve", argc, argv, "h", opts, first)) != -1) {
    first = 0;
    int r = c == '?' ? CLI_EXIT_USAGE : apply(c, ctx);
    if (r != 0)
      return r;
  }
  if (optind < argc)
    return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
  if (ctx->turn_cfg->min_port > ctx->turn_cfg->max_port)
    return cli_usage_error("serve", "--min-port is above --max-port");
  return 0;
}

static void stop_all(void *arg) {
  serve_ctx *ctx = arg;
  fprintf(stderr, "weft serve: stopping\n");
  for (size_t i = NSERVICES; i-- > 0;)
    if (services[i].enabled(ctx))
      services[i].stop(ctx);
}

/* Starts every enabled service; on failure stops those already started. */
static int start_all(serve_ctx *ctx) {
  char err[256];
  for (size_t i = 0; i < NSERVICES; i++) {
    if (!services[i].enabled(ctx))
      continue;
    if (services[i].start(ctx, err, sizeof(err)) != 0) {
      for (size_t j = i; j-- > 0;)
        if (services[j].enabled(ctx))
          services[j].stop(ctx);
      return cli_fail("serve", "%s: cannot listen on %s", services[i].name,
                      err);
    }
  }
  return 0;
}

static int run(int argc, char **argv) {
  serve_ctx ctx;
  memset(&ctx, 0, sizeof(ctx));
  weft_log_default(&ctx.log);
  ctx.stun_enabled = 1;
  ctx.turn_enabled = 1;
  stunsrv_config_default(&ctx.stun_cfg);
  ctx.turn_cfg = malloc(sizeof(*ctx.turn_cfg));
  if (ctx.turn_cfg == NULL)
    return cli_fail("serve", "out of memory");
  turnsrv_config_default(ctx.turn_cfg);
  ctx.signal_enabled = 1;
  sigsrv_config_default(&ctx.signal_cfg);
  ctx.signal_cfg.web_dir = signal_default_web_dir();
  int r = parse(&ctx, argc, argv);
  if (r != 0) {
    free(ctx.turn_cfg);
    return r == -1 ? (help(stdout), 0) : r;
  }
  uv_loop_init(&ctx.loop);
  r = start_all(&ctx);
  if (r == 0) {
    size_t n = 0;
    for (size_t i = 0; i < NSERVICES; i++) {
      if (!services[i].enabled(&ctx))
        continue;
      printf("weft serve: ");
      services[i].describe(&ctx, stdout);
      n++;
    }
    if (n == 0)
      printf("weft serve: no service enabled\n");
    for (size_t i = 0; i < NSERVICES; i++) {
      if (services[i].enabled(&ctx) && services[i].hint != NULL) {
        printf("weft serve: try: ");
        services[i].hint(&ctx, stdout);
      }
    }
    printf("weft serve: press Ctrl-C to stop\n");
    fflush(stdout);
    app_run_until_signal(&ctx.loop, stop_all, &ctx);
  }
  app_loop_close(&ctx.loop);
  free(ctx.turn_cfg);
  return r;
}

const cli_cmd cmd_serve = {
    "serve", "run every weft service (STUN, TURN, signaling)", help, run};
