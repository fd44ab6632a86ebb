/* `weft turn-client`: allocates a relay on a TURN server with weft's
 * sans-IO client, sends messages through it to an (echoing) peer and counts
 * the echoes; then deallocates. A test and diagnosis tool. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "net.h"
#include "weft/turn.h"

static void help(FILE *out) {
  fprintf(out,
          "usage: weft turn-client SERVER[:PORT] -u USER -w PASS [options]\n"
          "\n"
          "Allocates a UDP relay on a TURN server over UDP, prints \"relayed "
          "ADDR\" and\n"
          "\"mapped ADDR\"; with --peer, sends N messages to the peer through "
          "the relay\n"
          "and counts the echoes (\"sent N received M\"); then deallocates.\n"
          "Exit status 0 when every message came back.\n"
          "\n"
          "options:\n"
          "  -u, --user NAME        user name\n"
          "  -w, --password PASS    password\n"
          "      --peer ADDR:PORT   an echoing peer\n"
          "      --channel          send over a channel binding (default: "
          "Send indications)\n"
          "  -n, --count N          messages (10)\n"
          "  -l, --length L         bytes per message (100)\n"
          "      --ipv6             ask for an IPv6 relayed address\n"
          "      --timeout-ms MS    give up after MS per phase (10000)\n"
          "  -h, --help             this help\n");
}

static weft_tstamp now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (weft_tstamp)ts.tv_sec * WEFT_SECONDS + (weft_tstamp)ts.tv_nsec;
}

typedef struct tcl {
  weft_turn_client *c;
  int fd;
  weft_addr peer;
  unsigned received;
  size_t length;
  weft_turn_client_event last;
  int got_event;
} tcl;

static void flush_out(tcl *t) {
  uint8_t buf[WEFT_TURN_MAX_FRAME];
  weft_addr to;
  int n;
  while ((n = weft_turn_client_poll_transmit(t->c, &to, buf, sizeof(buf))) > 0)
    if (send(t->fd, buf, (size_t)n, 0) < 0 && errno != ECONNREFUSED)
      break;
}

/* Runs I/O until an event of @p type (or a failure event) or the timeout.
 * Returns 0 when @p type came. */
static int wait_event(tcl *t, int type, weft_tstamp until) {
  uint8_t buf[4096];
  for (;;) {
    flush_out(t);
    weft_turn_client_event ev;
    while (weft_turn_client_poll_event(t->c, &ev)) {
      t->last = ev;
      if (ev.type == type)
        return 0;
      if (ev.type != WEFT_TURN_CLIENT_EV_REFRESHED &&
          ev.type != WEFT_TURN_CLIENT_EV_PERMISSION_CREATED &&
          ev.type != WEFT_TURN_CLIENT_EV_CHANNEL_BOUND)
        return -1;
    }
    weft_tstamp now = now_ns();
    if (now >= until)
      return -1;
    weft_tstamp d = weft_turn_client_deadline(t->c);
    weft_tstamp wake = d < until ? d : until;
    int ms = wake > now ? (int)((wake - now) / WEFT_MILLISECONDS) + 1 : 0;
    struct pollfd p = {t->fd, POLLIN, 0};
    if (poll(&p, 1, ms > 50 ? 50 : ms) > 0) {
      ssize_t n = recv(t->fd, buf, sizeof(buf), 0);
      weft_addr from;
      const uint8_t *pl;
      size_t plen;
      if (n > 0 &&
          weft_turn_client_recv(t->c, now_ns(), buf, (size_t)n, &from, &pl,
                                &plen) == 1 &&
          plen == t->length && weft_addr_equal(&from, &t->peer))
        t->received++;
    }
    weft_turn_client_handle_timeout(t->c, now_ns());
  }
}

static int connect_server(const weft_addr *server) {
  int fd = socket(weft_addr_family(server), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (connect(fd, &server->u.sa, weft_addr_socklen(server)) < 0) {
    close(fd);
    return -1;
  }
  net_set_buffers(fd, 4 * 1024 * 1024); /* echoes come back in bursts */
  return fd;
}

/* Sends the messages and waits for their echoes. */
static void exchange(tcl *t, unsigned count, weft_tstamp phase) {
  uint8_t *msg = calloc(1, t->length);
  if (msg == NULL)
    return;
  for (unsigned i = 0; i < count; i++) {
    memset(msg, 'a' + (int)(i % 26), t->length);
    if (weft_turn_client_send(t->c, now_ns(), &t->peer, msg, t->length) ==
        WEFT_ERR_QUEUE_FULL) {
      flush_out(t);
      i--;
      continue;
    }
    if (i % 16 == 15)
      flush_out(t);
  }
  free(msg);
  weft_tstamp until = now_ns() + phase;
  while (t->received < count && now_ns() < until)
    wait_event(t, -1, now_ns() + 20 * WEFT_MILLISECONDS);
}

static int run_client(const weft_turn_client_settings *cs, tcl *t, int channel,
                      unsigned count, weft_tstamp phase) {
  if (weft_turn_client_new(&t->c, cs, NULL) != 0)
    return cli_fail("turn-client", "bad settings");
  weft_turn_client_allocate(t->c, now_ns());
  if (wait_event(t, WEFT_TURN_CLIENT_EV_ALLOCATED, now_ns() + phase) != 0) {
    weft_turn_client_del(t->c);
    return cli_fail("turn-client", "allocation failed (error %d)",
                    t->last.error_code);
  }
  char a[WEFT_ADDR_STRLEN];
  int fam = cs->family == AF_INET6;
  printf("relayed %s\n", weft_addr_format(&t->last.relayed[fam], a, sizeof(a)));
  printf("mapped %s\n", weft_addr_format(&t->last.mapped, a, sizeof(a)));
  int rc = 0;
  if (weft_addr_family(&t->peer) != AF_UNSPEC) {
    int want = channel ? WEFT_TURN_CLIENT_EV_CHANNEL_BOUND
                       : WEFT_TURN_CLIENT_EV_PERMISSION_CREATED;
    if (channel)
      weft_turn_client_bind_channel(t->c, now_ns(), &t->peer);
    else
      weft_turn_client_create_permission(t->c, now_ns(), &t->peer);
    if (wait_event(t, want, now_ns() + phase) != 0) {
      fprintf(stderr, "weft turn-client: %s failed (error %d)\n",
              channel ? "channel bind" : "permission", t->last.error_code);
      rc = CLI_EXIT_FAIL;
    } else {
      exchange(t, count, phase);
      printf("sent %u received %u\n", count, t->received);
      rc = t->received == count ? 0 : CLI_EXIT_FAIL;
    }
  }
  weft_turn_client_close(t->c, now_ns());
  if (wait_event(t, WEFT_TURN_CLIENT_EV_CLOSED, now_ns() + phase) == 0)
    printf("deallocated\n");
  weft_turn_client_del(t->c);
  fflush(stdout);
  return rc;
}

enum { O_PEER = 256, O_CHANNEL, O_IPV6, O_TIMEOUT };

static const struct option opts[] = {
    {"user", required_argument, NULL, 'u'},
    {"password", required_argument, NULL, 'w'},
    {"peer", required_argument, NULL, O_PEER},
    {"channel", no_argument, NULL, O_CHANNEL},
    {"count", required_argument, NULL, 'n'},
    {"length", required_argument, NULL, 'l'},
    {"ipv6", no_argument, NULL, O_IPV6},
    {"timeout-ms", required_argument, NULL, O_TIMEOUT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int run(int argc, char **argv) {
  weft_turn_client_settings cs;
  weft_turn_client_settings_default(&cs);
  tcl t;
  memset(&t, 0, sizeof(t));
  t.length = 100;
  unsigned long count = 10, v, timeout_ms = 10000;
  int channel = 0, c, first = 1;
  while ((c = cli_getopt("turn-client", argc, argv, "u:w:n:l:h", opts,
                         first)) != -1) {
    first = 0;
    if (c == 'h') {
      help(stdout);
      return 0;
    } else if (c == 'u') {
      cs.username = optarg;
    } else if (c == 'w') {
      cs.password = optarg;
    } else if (c == O_PEER) {
      if (net_parse_addr(&t.peer, optarg, 0) != NULL)
        return cli_usage_error("turn-client", "--peer '%s': bad address",
                               optarg);
    } else if (c == O_CHANNEL) {
      channel = 1;
    } else if (c == O_IPV6) {
      cs.family = AF_INET6;
    } else if ((c == 'n' || c == 'l' || c == O_TIMEOUT) &&
               cli_parse_uint(optarg, 1, 1000000, &v) == 0) {
      if (c == 'l' && v > WEFT_TURN_MAX_PAYLOAD)
        return cli_usage_error("turn-client", "--length: at most %d",
                               WEFT_TURN_MAX_PAYLOAD);
      *(c == 'n' ? &count : c == 'l' ? &t.length : &timeout_ms) = v;
    } else {
      return c == '?'
                 ? CLI_EXIT_USAGE
                 : cli_usage_error("turn-client", "bad value '%s'", optarg);
    }
  }
  if (optind + 1 != argc)
    return cli_usage_error("turn-client", "expected one SERVER address");
  if (cs.username == NULL || cs.password == NULL)
    return cli_usage_error("turn-client", "-u and -w are required");
  if (net_parse_addr(&cs.server, argv[optind], 3478) != NULL)
    return cli_usage_error("turn-client", "'%s': bad address", argv[optind]);
  t.fd = connect_server(&cs.server);
  if (t.fd < 0)
    return cli_fail("turn-client", "cannot open a socket");
  int rc = run_client(&cs, &t, channel, (unsigned)count,
                      (weft_tstamp)timeout_ms * WEFT_MILLISECONDS);
  close(t.fd);
  return rc;
}

const cli_cmd cmd_turn_client = {
    "turn-client", "allocate a TURN relay and echo through it", help, run};
