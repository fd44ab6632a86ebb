/*
 * `weft stun-client`: asks a STUN server for this host's mapped address with
 * one Binding transaction (RFC 8489): over UDP with retransmissions (RTO
 * 500 ms, doubling) until a total timeout, or over TCP.
 */
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "net.h"
#include "weft/stun.h"

#define CLIENT_RTO_MS 500
#define CLIENT_TIMEOUT_MS 8000
#define CLIENT_RXCAP 2048

typedef struct client {
  uv_loop_t loop;
  /* command line */
  char host[256];
  uint16_t port;
  int tcp;
  unsigned timeout_ms;
  weft_addr local;
  int have_local;
  /* state */
  weft_addr server;
  uv_getaddrinfo_t gai;
  int resolving;
  uv_udp_t udp;
  uv_tcp_t stream;
  uv_connect_t connect;
  uv_write_t write;
  uv_timer_t rtx;
  uv_timer_t deadline;
  uint8_t req[64];
  size_t reqlen;
  uint8_t txid[WEFT_STUN_TXID_LEN];
  unsigned rto;
  unsigned sent;
  uint8_t rx[CLIENT_RXCAP];
  size_t rxlen;
  int done;
  int status;
  char line[512]; /* what to print at exit */
} client;

static void close_walk(uv_handle_t *h, void *arg) {
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

/* Ends the run with exit @p status and one line to print. */
static void finish(client *c, int status, const char *fmt, ...)
    WEFT_PRINTF(3, 4);
static void finish(client *c, int status, const char *fmt, ...) {
  if (c->done)
    return;
  c->done = 1;
  c->status = status;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->line, sizeof(c->line), fmt, ap);
  va_end(ap);
  if (c->resolving)
    uv_cancel((uv_req_t *)&c->gai);
  uv_walk(&c->loop, close_walk, NULL);
}

static int build_request(client *c) {
  if (weft_rand_bytes(NULL, c->txid, sizeof(c->txid)) != 0)
    return -1;
  weft_stun_builder b;
  weft_stun_builder_init(&b, c->req, sizeof(c->req), WEFT_STUN_BINDING,
                         WEFT_STUN_REQUEST, c->txid);
  weft_stun_builder_add_fingerprint(&b);
  int n = weft_stun_builder_finish(&b);
  if (n < 0)
    return -1;
  c->reqlen = (size_t)n;
  return 0;
}

static void print_error_response(client *c, const weft_stun_msg *m) {
  const weft_stun_attr *a = weft_stun_msg_find(m, WEFT_STUN_ATTR_ERROR_CODE);
  int code;
  const char *reason;
  size_t rlen;
  if (a == NULL || weft_stun_attr_error(a, &code, &reason, &rlen) != 0) {
    finish(c, 1, "malformed response: error response without ERROR-CODE");
    return;
  }
  char text[256];
  size_t n = 0;
  for (size_t i = 0; i < rlen && n + 1 < sizeof(text); i++)
    text[n++] = reason[i] >= 0x20 && reason[i] < 0x7f ? reason[i] : '?';
  text[n] = '\0';
  finish(c, 1, "error response %d %s", code, text);
}

/* Reads the mapped address of a success response. */
static void print_mapped(client *c, const weft_stun_msg *m) {
  weft_addr mapped;
  const weft_stun_attr *a =
      weft_stun_msg_find(m, WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS);
  int r = a != NULL ? weft_stun_attr_xor_addr(m, a, &mapped) : -1;
  if (a == NULL) { /* RFC 3489 servers */
    a = weft_stun_msg_find(m, WEFT_STUN_ATTR_MAPPED_ADDRESS);
    r = a != NULL ? weft_stun_attr_addr(a, &mapped) : -1;
  }
  if (a == NULL) {
    finish(c, 1, "malformed response: no XOR-MAPPED-ADDRESS");
    return;
  }
  if (r != 0) {
    finish(c, 1, "malformed response: bad XOR-MAPPED-ADDRESS");
    return;
  }
  char text[WEFT_ADDR_STRLEN];
  finish(c, 0, "%s", weft_addr_format(&mapped, text, sizeof(text)));
}

/* Handles one message from the server. Returns 0 when it is not ours. */
static int on_response(client *c, const uint8_t *p, size_t len) {
  if (len < WEFT_STUN_HEADER_LEN || memcmp(p + 8, c->txid, 12) != 0)
    return 0;
  weft_stun_msg m;
  int r = weft_stun_msg_decode(&m, p, len);
  if (r != 0)
    finish(c, 1, "malformed response: %s", weft_strerror(r));
  else if (m.method != WEFT_STUN_BINDING ||
           (m.cls != WEFT_STUN_SUCCESS && m.cls != WEFT_STUN_ERROR))
    finish(c, 1, "malformed response: not a Binding response");
  else if (m.cls == WEFT_STUN_ERROR)
    print_error_response(c, &m);
  else
    print_mapped(c, &m);
  return 1;
}

/* ---- UDP ----------------------------------------------------------------- */

static void udp_send(client *c) {
  uv_buf_t b = uv_buf_init((char *)c->req, (unsigned)c->reqlen);
  int r = uv_udp_try_send(&c->udp, &b, 1, &c->server.u.sa);
  if (r < 0 && r != UV_EAGAIN) {
    finish(c, 1, "cannot send: %s", net_strerror(r));
    return;
  }
  c->sent++;
}

static void on_rtx(uv_timer_t *t) {
  client *c = t->data;
  udp_send(c);
  uv_timer_start(&c->rtx, on_rtx, c->rto, 0);
  c->rto *= 2;
}

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  client *c = h->data;
  *buf = uv_buf_init((char *)c->rx, sizeof(c->rx));
}

static void udp_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf,
                     const struct sockaddr *from, unsigned flags) {
  client *c = h->data;
  weft_addr src;
  if (n <= 0 || from == NULL || (flags & UV_UDP_PARTIAL) || c->done)
    return;
  if (weft_addr_from_sockaddr(&src, from, sizeof(struct sockaddr_in6)) != 0 ||
      !weft_addr_equal_ip(&src, &c->server) ||
      weft_addr_port(&src) != weft_addr_port(&c->server))
    return; /* not from the server */
  on_response(c, c->rx, (size_t)n);
}

static int udp_start(client *c) {
  int r = uv_udp_init_ex(&c->loop, &c->udp, weft_addr_family(&c->server));
  c->udp.data = c;
  if (r == 0 && c->have_local)
    r = uv_udp_bind(&c->udp, &c->local.u.sa, 0);
  if (r == 0)
    r = uv_udp_recv_start(&c->udp, udp_alloc, udp_recv);
  if (r < 0)
    return r;
  uv_timer_init(&c->loop, &c->rtx);
  c->rtx.data = c;
  c->rto = CLIENT_RTO_MS;
  on_rtx(&c->rtx);
  return 0;
}

/* ---- TCP ----------------------------------------------------------------- */

static void tcp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  client *c = h->data;
  *buf = uv_buf_init((char *)c->rx + c->rxlen,
                     (unsigned)(sizeof(c->rx) - c->rxlen));
}

static void tcp_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  client *c = s->data;
  if (c->done)
    return;
  if (n < 0) {
    finish(c, 1, "connection closed before a response (%s)",
           n == UV_EOF ? "end of stream" : net_strerror((int)n));
    return;
  }
  c->rxlen += (size_t)n;
  if (c->rxlen < WEFT_STUN_HEADER_LEN)
    return;
  size_t mlen = WEFT_STUN_HEADER_LEN + ((size_t)c->rx[2] << 8 | c->rx[3]);
  if (mlen > sizeof(c->rx)) {
    finish(c, 1, "malformed response: %zu bytes", mlen);
    return;
  }
  if (c->rxlen < mlen)
    return;
  if (!on_response(c, c->rx, mlen))
    finish(c, 1, "malformed response: wrong transaction id");
}

static void on_written(uv_write_t *w, int status) {
  client *c = w->data;
  if (status < 0)
    finish(c, 1, "cannot send: %s", net_strerror(status));
}

static void on_connected(uv_connect_t *req, int status) {
  client *c = req->data;
  char text[WEFT_ADDR_STRLEN];
  if (status == UV_ECANCELED || c->done)
    return;
  if (status < 0) {
    finish(c, 1, "cannot connect to %s: %s",
           weft_addr_format(&c->server, text, sizeof(text)),
           net_strerror(status));
    return;
  }
  uv_buf_t b = uv_buf_init((char *)c->req, (unsigned)c->reqlen);
  c->write.data = c;
  int r = uv_write(&c->write, (uv_stream_t *)&c->stream, &b, 1, on_written);
  if (r == 0)
    r = uv_read_start((uv_stream_t *)&c->stream, tcp_alloc, tcp_read);
  if (r < 0)
    finish(c, 1, "cannot send: %s", net_strerror(r));
  c->sent++;
}

static int tcp_start(client *c) {
  int r = uv_tcp_init_ex(&c->loop, &c->stream, weft_addr_family(&c->server));
  c->stream.data = c;
  if (r == 0 && c->have_local)
    r = uv_tcp_bind(&c->stream, &c->local.u.sa, 0);
  c->connect.data = c;
  if (r == 0)
    r = uv_tcp_connect(&c->connect, &c->stream, &c->server.u.sa, on_connected);
  return r;
}

/* ---- resolution and timeout ---------------------------------------------- */

static void on_deadline(uv_timer_t *t) {
  client *c = t->data;
  char text[WEFT_ADDR_STRLEN];
  if (c->resolving)
    finish(c, 1, "timeout: could not resolve '%s' within %u ms", c->host,
           c->timeout_ms);
  else
    finish(c, 1, "timeout: no response from %s %s within %u ms (%u %s sent)",
           c->tcp ? "tcp" : "udp",
           weft_addr_format(&c->server, text, sizeof(text)), c->timeout_ms,
           c->sent, c->sent == 1 ? "request" : "requests");
}

static void on_resolved(uv_getaddrinfo_t *req, int status,
                        struct addrinfo *res) {
  client *c = req->data;
  c->resolving = 0;
  if (status == UV_ECANCELED || c->done) {
    uv_freeaddrinfo(res);
    return;
  }
  if (status < 0 || res == NULL ||
      weft_addr_from_sockaddr(&c->server, res->ai_addr, res->ai_addrlen) != 0) {
    finish(c, 1, "cannot resolve '%s': %s", c->host,
           status < 0 ? uv_strerror(status) : "no address");
    uv_freeaddrinfo(res);
    return;
  }
  uv_freeaddrinfo(res);
  weft_addr_set_port(&c->server, c->port);
  int r = c->tcp ? tcp_start(c) : udp_start(c);
  if (r < 0) {
    char text[WEFT_ADDR_STRLEN];
    finish(c, 1, "cannot open a socket%s%s: %s", c->have_local ? " on " : "",
           c->have_local ? weft_addr_format(&c->local, text, sizeof(text)) : "",
           net_strerror(r));
  }
}

static int start(client *c) {
  static struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = c->have_local ? weft_addr_family(&c->local) : AF_UNSPEC;
  hints.ai_socktype = c->tcp ? SOCK_STREAM : SOCK_DGRAM;
  if (build_request(c) != 0)
    return -1;
  uv_timer_init(&c->loop, &c->deadline);
  c->deadline.data = c;
  uv_timer_start(&c->deadline, on_deadline, c->timeout_ms, 0);
  c->gai.data = c;
  c->resolving = 1;
  int r = uv_getaddrinfo(&c->loop, &c->gai, on_resolved, c->host, NULL, &hints);
  if (r < 0) {
    c->resolving = 0;
    finish(c, 1, "cannot resolve '%s': %s", c->host, uv_strerror(r));
  }
  return 0;
}

/* ---- command line -------------------------------------------------------- */

static void help(FILE *out) {
  fprintf(out,
          "usage: weft stun-client HOST[:PORT] [options]\n"
          "\n"
          "Sends one STUN Binding request (RFC 8489) and prints the mapped "
          "address the\n"
          "server saw, as IP:PORT ([IP]:PORT for IPv6). HOST is a name, an "
          "IPv4 address or\n"
          "an IPv6 address ([::1]:3478). PORT defaults to 3478.\n"
          "\n"
          "options:\n"
          "      --tcp              use TCP instead of UDP\n"
          "      --timeout-ms N     give up after N ms in all (default 8000); "
          "over UDP the\n"
          "                         request is resent after 500 ms, then 1 s, "
          "2 s, ...\n"
          "      --local ADDR[:PORT]  send from this local address\n"
          "  -h, --help             this help\n"
          "\n"
          "Exit status: 0 with the address on stdout; 1 with one line on "
          "stderr saying why\n"
          "(timeout, unresolvable host, error response, malformed response); "
          "2 for a bad\n"
          "command line.\n");
}

enum { OPT_TCP = 256, OPT_TIMEOUT, OPT_LOCAL };

static const struct option opts[] = {
    {"tcp", no_argument, NULL, OPT_TCP},
    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
    {"local", required_argument, NULL, OPT_LOCAL},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char CMD[] = "stun-client";

/* Applies one option; returns 0, -1 for --help, or an exit status. */
static int apply(int c, client *cl) {
  unsigned long v;
  const char *err;
  switch (c) {
  case OPT_TCP:
    cl->tcp = 1;
    return 0;
  case OPT_TIMEOUT:
    if (cli_parse_uint(optarg, 1, 3600000, &v) != 0)
      return cli_usage_error(CMD, "--timeout-ms '%s': expected 1..3600000",
                             optarg);
    cl->timeout_ms = (unsigned)v;
    return 0;
  case OPT_LOCAL:
    err = net_parse_addr(&cl->local, optarg, 0);
    if (err != NULL)
      return cli_usage_error(CMD, "--local '%s': %s", optarg, err);
    cl->have_local = 1;
    return 0;
  case 'h':
    return -1;
  default:
    return CLI_EXIT_USAGE;
  }
}

static int parse(client *cl, int argc, char **argv) {
  int c, first = 1;
  while ((c = cli_getopt(CMD, argc, argv, "h", opts, first)) != -1) {
    first = 0;
    int r = c == '?' ? CLI_EXIT_USAGE : apply(c, cl);
    if (r != 0)
      return r;
  }
  if (optind >= argc)
    return cli_usage_error(CMD, "missing the server, HOST[:PORT]");
  if (optind + 1 < argc)
    return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind + 1]);
  const char *err = net_split_host_port(argv[optind], cl->host,
                                        sizeof(cl->host), 3478, &cl->port);
  if (err != NULL)
    return cli_usage_error(CMD, "'%s': %s", argv[optind], err);
  return 0;
}

static int run(int argc, char **argv) {
  client *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return cli_fail(CMD, "out of memory");
  c->timeout_ms = CLIENT_TIMEOUT_MS;
  int r = parse(c, argc, argv);
  if (r != 0) {
    free(c);
    return r == -1 ? (help(stdout), 0) : r;
  }
  uv_loop_init(&c->loop);
  if (start(c) != 0)
    finish(c, 1, "cannot build the request");
  uv_run(&c->loop, UV_RUN_DEFAULT);
  uv_loop_close(&c->loop);
  if (c->status == 0)
    printf("%s\n", c->line);
  else
    fprintf(stderr, "weft %s: %s\n", CMD, c->line);
  r = c->status;
  free(c);
  return r;
}

const cli_cmd cmd_stun_client = {
    "stun-client", "ask a STUN server for this host's mapped address", help,
    run};
