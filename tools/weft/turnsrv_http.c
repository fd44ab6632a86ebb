/*
 * The Prometheus endpoint of the TURN server: a tiny HTTP/1.0-style
 * responder on libuv. It parses nothing beyond matching "GET /metrics" at
 * the start of the request; it answers once and closes the connection.
 */
#include "turnsrv_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"

#define HTTP_REQ_MAX 2048
#define HTTP_BODY_MAX 16384
#define HTTP_MAX_CONNS 64

struct ts_http {
  uv_tcp_t tcp;
  turnsrv *srv;
};

struct http_conn {
  uv_tcp_t tcp;
  uv_write_t wr;
  turnsrv *srv;
  size_t len;
  int answered;
  char req[HTTP_REQ_MAX];
  char resp[HTTP_BODY_MAX + 256];
};

static void conn_closed(uv_handle_t *hd) {
  struct http_conn *c = hd->data;
  turnsrv *s = c->srv;
  s->http_conns--;
  free(c);
  ts_handle_closed(s);
}

static void on_written(uv_write_t *w, int status) {
  struct http_conn *c = w->data;
  uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static void answer(struct http_conn *c) {
  c->answered = 1;
  uv_read_stop((uv_stream_t *)&c->tcp);
  static const char get[] = "GET /metrics";
  int ok = c->len > sizeof(get) - 1 &&
           memcmp(c->req, get, sizeof(get) - 1) == 0 &&
           (c->req[sizeof(get) - 1] == ' ' || c->req[sizeof(get) - 1] == '?');
  char body[HTTP_BODY_MAX];
  size_t blen = ok ? turnsrv_metrics(c->srv, body, sizeof(body)) : 0;
  if (!ok)
    blen = (size_t)snprintf(body, sizeof(body), "not found\n");
  int n = snprintf(c->resp, sizeof(c->resp),
                   "HTTP/1.1 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                   ok ? "200 OK" : "404 Not Found", blen);
  memcpy(c->resp + n, body, blen);
  uv_buf_t b = uv_buf_init(c->resp, (unsigned)(n + (int)blen));
  c->wr.data = c;
  if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, on_written) < 0)
    uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static void on_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *buf) {
  struct http_conn *c = hd->data;
  *buf = uv_buf_init(c->req + c->len, (unsigned)(HTTP_REQ_MAX - 1 - c->len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  struct http_conn *c = st->data;
  if (c->answered)
    return;
  if (n < 0) {
    uv_close((uv_handle_t *)&c->tcp, conn_closed);
    return;
  }
  c->len += (size_t)n;
  c->req[c->len] = '\0';
  if (strstr(c->req, "\r\n\r\n") != NULL || c->len >= HTTP_REQ_MAX - 1)
    answer(c);
}

static void on_connection(uv_stream_t *server, int status) {
  struct ts_http *h = server->data;
  if (status < 0)
    return;
  struct http_conn *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return;
  turnsrv *s = h->srv;
  c->srv = s;
  uv_tcp_init(s->loop, &c->tcp);
  c->tcp.data = c;
  s->handles++;
  s->http_conns++;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 ||
      s->http_conns > HTTP_MAX_CONNS ||
      uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
    uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

int ts_http_open(turnsrv *s, const weft_addr *addr) {
  int fd = net_listen(NET_TCP, addr, 64, 0);
  if (fd < 0)
    return fd;
  struct ts_http *h = calloc(1, sizeof(*h));
  if (h == NULL) {
    close(fd);
    return -ENOMEM;
  }
  h->srv = s;
  uv_tcp_init(s->loop, &h->tcp);
  h->tcp.data = h;
  s->handles++;
  s->http = h;
  int r = uv_tcp_open(&h->tcp, fd);
  if (r == 0)
    r = uv_listen((uv_stream_t *)&h->tcp, 64, on_connection);
  if (r == 0)
    net_local_addr(fd, &s->cfg.prometheus_addr);
  return r;
}

static void http_closed(uv_handle_t *hd) {
  struct ts_http *h = hd->data;
  turnsrv *s = h->srv;
  free(h);
  ts_handle_closed(s);
}

void ts_http_close(turnsrv *s) {
  if (s->http != NULL)
    uv_close((uv_handle_t *)&s->http->tcp, http_closed);
  s->http = NULL;
}
