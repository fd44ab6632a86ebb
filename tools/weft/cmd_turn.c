/* `weft turn`: a TURN server (RFC 8656, RFC 6156) over UDP, TCP and TLS,
 * with coturn's option names where the meaning is the same. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cmds.h"
#include "net.h"

static void help(FILE *out) {
  fprintf(
      out,
      "usage: weft turn [options]\n"
      "\n"
      "Runs a TURN server (RFC 8656, IPv6 relays RFC 6156) over UDP, TCP and "
      "TLS;\n"
      "it answers STUN Binding requests too. Option names follow coturn's.\n"
      "\n"
      "options:\n"
      "  -L, --listen ADDR[:PORT]     address to serve, repeatable (default "
      "0.0.0.0:3478\n"
      "                               and [::]:3478)\n"
      "      --listening-ip IP        same, port from --listening-port\n"
      "      --listening-port PORT    port of --listening-ip (3478)\n"
      "      --tls-listening-port P   TLS port with --cert/--pkey (5349)\n"
      "  -r, --realm REALM            realm (default weft)\n"
      "  -u, --user NAME:PASS         a long-term user, repeatable\n"
      "  -b, --userdb FILE            users, one \"name:pass\" per line\n"
      "      --use-auth-secret        TURN REST API credentials (with "
      "--static-auth-secret)\n"
      "      --static-auth-secret S   the shared secret of the REST API\n"
      "  -E, --relay-ip IP            relay address, one per family "
      "(default: the\n"
      "                               address the client reached)\n"
      "      --min-port P, --max-port P   relay ports (49152-65535)\n"
      "      --user-quota N           allocations per user (0: no limit)\n"
      "      --total-quota N          allocations in total (0: no limit)\n"
      "      --max-bps N              bytes per second per allocation each "
      "way\n"
      "      --stale-nonce S          nonce lifetime in seconds (600)\n"
      "      --max-allocate-lifetime S  longest allocation lifetime (3600)\n"
      "      --channel-lifetime S     (600)   --permission-lifetime S (300)\n"
      "      --allow-loopback-peers   relay to 127.0.0.0/8 and ::1\n"
      "      --allow-private-peers    relay to RFC 1918 / fc00::/7 peers\n"
      "      --denied-peer-ip RANGE   IP, A-B or CIDR, repeatable\n"
      "      --allowed-peer-ip RANGE  wins over any deny, repeatable\n"
      "      --cert FILE --pkey FILE  PEM certificate and key: serve TLS\n"
      "      --no-udp, --no-tcp, --no-tls\n"
      "      --prometheus             serve /metrics over HTTP\n"
      "      --prometheus-port P      its port (9641), on "
      "--prometheus-ip (0.0.0.0)\n"
      "      --software TEXT          SOFTWARE attribute (weft)\n"
      "      --tcp-idle-ms MS         close a TCP/TLS connection without "
      "allocation\n"
      "                               after MS without input (60000)\n"
      "  -c, --config FILE            options as \"key=value\" lines "
      "(turnserver.conf)\n"
      "      --log-level LEVEL        none, error, warn, info, debug, trace\n"
      "      --stats                  print counters to stderr on exit\n"
      "  -h, --help                   this help\n"
      "coturn options accepted and ignored: --lt-cred-mech --no-dtls "
      "--no-cli\n"
      "--fingerprint -n --simple-log --log-file --pidfile --verbose.\n");
}

enum {
  O_LISTEN_IP = 256,
  O_LISTEN_PORT,
  O_TLS_PORT,
  O_USE_SECRET,
  O_SECRET,
  O_MIN_PORT,
  O_MAX_PORT,
  O_USER_QUOTA,
  O_TOTAL_QUOTA,
  O_MAX_BPS,
  O_STALE_NONCE,
  O_MAX_LIFETIME,
  O_CHAN_LIFETIME,
  O_PERM_LIFETIME,
  O_ALLOW_LOOPBACK,
  O_ALLOW_PRIVATE,
  O_DENIED,
  O_ALLOWED,
  O_CERT,
  O_PKEY,
  O_NO_UDP,
  O_NO_TCP,
  O_NO_TLS,
  O_PROMETHEUS,
  O_PROM_PORT,
  O_PROM_IP,
  O_SOFTWARE,
  O_LOG_LEVEL,
  O_TCP_IDLE,
  O_STATS,
  O_IGNORED,
  O_IGNORED_ARG,
};

static const struct option opts[] = {
    {"listen", required_argument, NULL, 'L'},
    {"listening-ip", required_argument, NULL, O_LISTEN_IP},
    {"listening-port", required_argument, NULL, O_LISTEN_PORT},
    {"tls-listening-port", required_argument, NULL, O_TLS_PORT},
    {"realm", required_argument, NULL, 'r'},
    {"user", required_argument, NULL, 'u'},
    {"userdb", required_argument, NULL, 'b'},
    {"use-auth-secret", no_argument, NULL, O_USE_SECRET},
    {"static-auth-secret", required_argument, NULL, O_SECRET},
    {"relay-ip", required_argument, NULL, 'E'},
    {"min-port", required_argument, NULL, O_MIN_PORT},
    {"max-port", required_argument, NULL, O_MAX_PORT},
    {"user-quota", required_argument, NULL, O_USER_QUOTA},
    {"total-quota", required_argument, NULL, O_TOTAL_QUOTA},
    {"max-bps", required_argument, NULL, O_MAX_BPS},
    {"stale-nonce", required_argument, NULL, O_STALE_NONCE},
    {"max-allocate-lifetime", required_argument, NULL, O_MAX_LIFETIME},
    {"channel-lifetime", required_argument, NULL, O_CHAN_LIFETIME},
    {"permission-lifetime", required_argument, NULL, O_PERM_LIFETIME},
    {"allow-loopback-peers", no_argument, NULL, O_ALLOW_LOOPBACK},
    {"allow-private-peers", no_argument, NULL, O_ALLOW_PRIVATE},
    {"denied-peer-ip", required_argument, NULL, O_DENIED},
    {"allowed-peer-ip", required_argument, NULL, O_ALLOWED},
    {"cert", required_argument, NULL, O_CERT},
    {"pkey", required_argument, NULL, O_PKEY},
    {"no-udp", no_argument, NULL, O_NO_UDP},
    {"no-tcp", no_argument, NULL, O_NO_TCP},
    {"no-tls", no_argument, NULL, O_NO_TLS},
    {"prometheus", no_argument, NULL, O_PROMETHEUS},
    {"prometheus-port", required_argument, NULL, O_PROM_PORT},
    {"prometheus-ip", required_argument, NULL, O_PROM_IP},
    {"software", required_argument, NULL, O_SOFTWARE},
    {"config", required_argument, NULL, 'c'},
    {"log-level", required_argument, NULL, O_LOG_LEVEL},
    {"tcp-idle-ms", required_argument, NULL, O_TCP_IDLE},
    {"stats", no_argument, NULL, O_STATS},
    {"lt-cred-mech", no_argument, NULL, O_IGNORED},
    {"no-dtls", no_argument, NULL, O_IGNORED},
    {"no-cli", no_argument, NULL, O_IGNORED},
    {"fingerprint", no_argument, NULL, O_IGNORED},
    {"simple-log", no_argument, NULL, O_IGNORED},
    {"verbose", no_argument, NULL, O_IGNORED},
    {"no-stdout-log", no_argument, NULL, O_IGNORED},
    {"log-file", required_argument, NULL, O_IGNORED_ARG},
    {"pidfile", required_argument, NULL, O_IGNORED_ARG},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Everything parsed from the command line and config files. */
typedef struct turn_opts {
  turnsrv_config cfg;
  weft_addr ips[TURNSRV_MAX_LISTEN]; /* --listening-ip */
  size_t nips;
  unsigned long listening_port;
  int no_tls;
  int stats;
  int depth;                               /* config file nesting */
  char *owned[2 * TURNSRV_MAX_USERS + 16]; /* strings from files */
  size_t nowned;
} turn_opts;

static char *keep(turn_opts *o, const char *text) {
  if (o->nowned == sizeof(o->owned) / sizeof(o->owned[0]))
    return NULL;
  char *p = strdup(text);
  if (p != NULL)
    o->owned[o->nowned++] = p;
  return p;
}

int turn_add_user(const char *cmd, turnsrv_config *cfg, char *text) {
  char *colon = strchr(text, ':');
  if (colon == NULL || colon == text)
    return cli_usage_error(cmd, "--user '%s': expected NAME:PASSWORD", text);
  if (cfg->nusers == TURNSRV_MAX_USERS)
    return cli_usage_error(cmd, "at most %d users", TURNSRV_MAX_USERS);
  *colon = '\0';
  cfg->users[cfg->nusers].name = text;
  cfg->users[cfg->nusers].password = colon + 1;
  cfg->nusers++;
  return 0;
}

static int load_userdb(const char *cmd, turn_opts *o, const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return cli_usage_error(cmd, "--userdb '%s': cannot open", path);
  char line[1024];
  int r = 0;
  while (r == 0 && fgets(line, sizeof(line), f) != NULL) {
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] == '\0' || line[0] == '#')
      continue;
    char *copy = keep(o, line);
    r = copy ? turn_add_user(cmd, &o->cfg, copy)
             : cli_usage_error(cmd, "too many users");
  }
  fclose(f);
  return r;
}

static int add_range(const char *cmd, turn_opts *o, const char *text,
                     int allow) {
  turnsrv_config *c = &o->cfg;
  if (c->nranges == TURNSRV_MAX_RANGES)
    return cli_usage_error(cmd, "at most %d peer ranges", TURNSRV_MAX_RANGES);
  if (weft_turn_peer_range_parse(&c->ranges[c->nranges], text) != 0)
    return cli_usage_error(cmd, "peer range '%s': expected IP, A-B or CIDR",
                           text);
  c->ranges[c->nranges++].allow = allow;
  return 0;
}

static int add_relay(const char *cmd, turnsrv_config *c, const char *text) {
  weft_addr a;
  const char *e = net_parse_addr(&a, text, 0);
  if (e != NULL)
    return cli_usage_error(cmd, "--relay-ip '%s': %s", text, e);
  for (size_t i = 0; i < c->nrelay; i++)
    if (weft_addr_family(&c->relay[i]) == weft_addr_family(&a))
      return cli_usage_error(cmd, "--relay-ip: one address per family");
  c->relay[c->nrelay++] = a;
  return 0;
}

static int add_listen(const char *cmd, turnsrv_config *c, const char *text,
                      uint16_t port) {
  if (c->listen_is_default) {
    c->listen_is_default = 0;
    c->nlisten = 0;
  }
  if (c->nlisten == TURNSRV_MAX_LISTEN)
    return cli_usage_error(cmd, "at most %d listening addresses",
                           TURNSRV_MAX_LISTEN);
  const char *e = net_parse_addr(&c->listen[c->nlisten], text, port);
  if (e != NULL)
    return cli_usage_error(cmd, "listen '%s': %s", text, e);
  c->nlisten++;
  return 0;
}

static int num(const char *cmd, const char *name, const char *arg,
               unsigned long min, unsigned long max, unsigned long *v) {
  if (cli_parse_uint(arg, min, max, v) != 0)
    return cli_usage_error(cmd, "--%s '%s': expected a number in %lu-%lu", name,
                           arg, min, max);
  return 0;
}

static int load_config(const char *cmd, turn_opts *o, const char *path);

/* Numeric options: which field and bounds. */
static int apply_num(const char *cmd, turn_opts *o, int c, const char *name,
                     const char *arg) {
  weft_turn_server_settings *st = &o->cfg.core;
  unsigned long v = 0;
  unsigned long max = c == O_MIN_PORT || c == O_MAX_PORT || c == O_TLS_PORT ||
                              c == O_LISTEN_PORT || c == O_PROM_PORT
                          ? 65535
                          : 4000000000ul;
  if (num(cmd, name, arg, c == O_MIN_PORT || c == O_MAX_PORT ? 1 : 0, max, &v))
    return CLI_EXIT_USAGE;
  switch (c) {
  case O_LISTEN_PORT:
    o->listening_port = v;
    break;
  case O_TLS_PORT:
    o->cfg.tls_port = (uint16_t)v;
    break;
  case O_MIN_PORT:
    o->cfg.min_port = (uint16_t)v;
    break;
  case O_MAX_PORT:
    o->cfg.max_port = (uint16_t)v;
    break;
  case O_USER_QUOTA:
    st->user_quota = (uint32_t)v;
    break;
  case O_TOTAL_QUOTA:
    st->total_quota = (uint32_t)v;
    break;
  case O_TCP_IDLE:
    if (v == 0)
      return cli_usage_error(cmd, "--%s: must be positive", name);
    o->cfg.tcp_idle_ms = (unsigned)v;
    break;
  case O_MAX_BPS:
    st->max_bps = v;
    break;
  case O_PROM_PORT:
    weft_addr_set_port(&o->cfg.prometheus_addr, (uint16_t)v);
    break;
  default:
    if (v == 0)
      return cli_usage_error(cmd, "--%s: must be positive", name);
    *(c == O_STALE_NONCE     ? &st->nonce_lifetime_s
      : c == O_MAX_LIFETIME  ? &st->max_lifetime_s
      : c == O_CHAN_LIFETIME ? &st->channel_lifetime_s
                             : &st->permission_lifetime_s) = (uint32_t)v;
  }
  return 0;
}

static int apply_flag(turn_opts *o, int c) {
  weft_turn_server_settings *st = &o->cfg.core;
  switch (c) {
  case O_USE_SECRET:
    st->use_auth_secret = 1;
    break;
  case O_ALLOW_LOOPBACK:
    st->allow_loopback_peers = 1;
    break;
  case O_ALLOW_PRIVATE:
    st->allow_private_peers = 1;
    break;
  case O_NO_UDP:
    o->cfg.udp = 0;
    break;
  case O_NO_TCP:
    o->cfg.tcp = 0;
    break;
  case O_NO_TLS:
    o->no_tls = 1;
    break;
  case O_PROMETHEUS:
    o->cfg.prometheus = 1;
    break;
  case O_STATS:
    o->stats = 1;
    break;
  default:
    break; /* ignored coturn options */
  }
  return 0;
}

/* Applies one option (@p arg kept by pointer: must live as long as the
 * server). Returns 0, -1 for --help, or an exit status. */
static int apply(const char *cmd, turn_opts *o, int c, const char *name,
                 char *arg) {
  turnsrv_config *cfg = &o->cfg;
  switch (c) {
  case 'L':
    return add_listen(cmd, cfg, arg, TURNSRV_DEFAULT_PORT);
  case O_LISTEN_IP:
    if (o->nips == TURNSRV_MAX_LISTEN)
      return cli_usage_error(cmd, "too many --listening-ip");
    if (net_parse_addr(&o->ips[o->nips], arg, 0) != NULL)
      return cli_usage_error(cmd, "--listening-ip '%s': not an IP", arg);
    o->nips++;
    return 0;
  case 'r':
    cfg->core.realm = arg;
    return 0;
  case 'u':
    return turn_add_user(cmd, cfg, arg);
  case 'b':
    return load_userdb(cmd, o, arg);
  case O_SECRET:
    cfg->core.static_auth_secret = arg;
    return 0;
  case 'E':
    return add_relay(cmd, cfg, arg);
  case O_DENIED:
    return add_range(cmd, o, arg, 0);
  case O_ALLOWED:
    return add_range(cmd, o, arg, 1);
  case O_CERT:
    cfg->cert = arg;
    return 0;
  case O_PKEY:
    cfg->pkey = arg;
    return 0;
  case O_PROM_IP: {
    uint16_t port = weft_addr_port(&cfg->prometheus_addr);
    if (net_parse_addr(&cfg->prometheus_addr, arg, port) != NULL)
      return cli_usage_error(cmd, "--prometheus-ip '%s': not an IP", arg);
    return 0;
  }
  case O_SOFTWARE:
    cfg->core.software = arg;
    return 0;
  case 'c':
    return load_config(cmd, o, arg);
  case O_LOG_LEVEL:
    return cli_parse_log_level(cmd, arg, &cfg->log);
  case O_IGNORED_ARG:
    return 0;
  case 'h':
    return -1;
  case '?':
    return CLI_EXIT_USAGE;
  default:
    break;
  }
  const struct option *op = NULL;
  for (size_t i = 0; opts[i].name != NULL; i++)
    if (opts[i].val == c)
      op = &opts[i];
  if (op != NULL && op->has_arg == required_argument)
    return apply_num(cmd, o, c, op->name, arg);
  return apply_flag(o, c);
}

/* One "key[=value]" line of a config file. */
static int config_line(const char *cmd, turn_opts *o, char *line,
                       const char *path, int lineno) {
  char *p = line;
  while (isspace((unsigned char)*p))
    p++;
  size_t n = strlen(p);
  while (n > 0 && isspace((unsigned char)p[n - 1]))
    p[--n] = '\0';
  if (*p == '\0' || *p == '#')
    return 0;
  char *val = strchr(p, '=');
  if (val != NULL)
    *val++ = '\0';
  const struct option *op = NULL;
  for (size_t i = 0; opts[i].name != NULL; i++)
    if (strcmp(opts[i].name, p) == 0)
      op = &opts[i];
  if (op == NULL || op->val == 'h')
    return cli_usage_error(cmd, "%s:%d: unknown option '%s'", path, lineno, p);
  if (op->has_arg == required_argument && val == NULL)
    return cli_usage_error(cmd, "%s:%d: '%s' needs a value", path, lineno, p);
  char *arg = val != NULL ? keep(o, val) : NULL;
  if (val != NULL && arg == NULL)
    return cli_usage_error(cmd, "%s: too many values", path);
  return apply(cmd, o, op->val, op->name, arg);
}

static int load_config(const char *cmd, turn_opts *o, const char *path) {
  if (o->depth > 4)
    return cli_usage_error(cmd, "config files nested too deep");
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return cli_usage_error(cmd, "--config '%s': cannot open", path);
  o->depth++;
  char line[2048];
  int r = 0, lineno = 0;
  while (r == 0 && fgets(line, sizeof(line), f) != NULL)
    r = config_line(cmd, o, line, path, ++lineno);
  o->depth--;
  fclose(f);
  return r == -1 ? CLI_EXIT_USAGE : r;
}

static int finish(const char *cmd, turn_opts *o) {
  turnsrv_config *c = &o->cfg;
  for (size_t i = 0; i < o->nips; i++) {
    if (c->listen_is_default) {
      c->listen_is_default = 0;
      c->nlisten = 0;
    }
    if (c->nlisten == TURNSRV_MAX_LISTEN)
      return cli_usage_error(cmd, "at most %d listening addresses",
                             TURNSRV_MAX_LISTEN);
    c->listen[c->nlisten] = o->ips[i];
    weft_addr_set_port(&c->listen[c->nlisten++], (uint16_t)o->listening_port);
  }
  if (c->listen_is_default)
    for (size_t i = 0; i < c->nlisten; i++)
      weft_addr_set_port(&c->listen[i], (uint16_t)o->listening_port);
  if (o->no_tls)
    c->cert = NULL;
  if ((c->cert == NULL) != (c->pkey == NULL) && !o->no_tls)
    return cli_usage_error(cmd, "--cert and --pkey go together");
  if (c->min_port > c->max_port)
    return cli_usage_error(cmd, "--min-port is above --max-port");
  if (c->core.use_auth_secret && c->core.static_auth_secret == NULL)
    return cli_usage_error(cmd, "--use-auth-secret needs --static-auth-secret");
  if (!c->udp && !c->tcp && c->cert == NULL)
    return cli_usage_error(cmd, "--no-udp and --no-tcp leave nothing");
  return 0;
}

/* Parses argv into @p o. Returns 0, -1 for --help, or an exit status. */
static int turn_parse_args(const char *cmd, turn_opts *o, int argc,
                           char **argv) {
  int c, first = 1;
  while ((c = cli_getopt(cmd, argc, argv, "L:r:u:b:E:c:h", opts, first)) !=
         -1) {
    first = 0;
    const char *name = "";
    for (size_t i = 0; opts[i].name != NULL; i++)
      if (opts[i].val == c)
        name = opts[i].name;
    int r = apply(cmd, o, c, name, optarg);
    if (r != 0)
      return r;
  }
  if (optind < argc)
    return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
  return finish(cmd, o);
}

struct running {
  turnsrv *srv;
  int stats;
};

static void stop(void *arg) {
  struct running *r = arg;
  if (r->stats)
    turnsrv_print_stats(r->srv, stderr);
  turnsrv_close(r->srv);
}

static int serve(turn_opts *o) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct running r = {.stats = o->stats};
  char err[512];
  if (turnsrv_start(&r.srv, &loop, &o->cfg, err, sizeof(err)) != 0) {
    app_loop_close(&loop);
    return cli_fail("turn", "cannot start: %s", err);
  }
  turnsrv_print_listening(r.srv, stdout);
  app_run_until_signal(&loop, stop, &r);
  app_loop_close(&loop);
  return 0;
}

static int run(int argc, char **argv) {
  turn_opts *o = calloc(1, sizeof(*o));
  if (o == NULL)
    return cli_fail("turn", "out of memory");
  turnsrv_config_default(&o->cfg);
  o->listening_port = TURNSRV_DEFAULT_PORT;
  int r = turn_parse_args("turn", o, argc, argv);
  if (r == -1)
    help(stdout);
  else if (r == 0)
    r = serve(o);
  for (size_t i = 0; i < o->nowned; i++)
    free(o->owned[i]);
  free(o);
  return r == -1 ? 0 : r;
}

const cli_cmd cmd_turn = {"turn", "run a TURN server (UDP, TCP, TLS)", help,
                          run};
