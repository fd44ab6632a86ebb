/*
 * TCP and TLS side of the TURN server (RFC 8656 section 3.1): the stream is
 * cut into whole STUN messages (by their length field) and ChannelData
 * frames (4 bytes + length, padded to 4), each handed to the core with the
 * connection's own sock id. Closing the connection deletes its allocation.
 */
#include "turnsrv_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "net.h"

#define TCP_BUF 8192
#define TCP_MAX_QUEUED (1024 * 1024)

struct ts_conn {
  uv_tcp_t tcp;
  turnsrv *srv;
  uint32_t id;
  weft_turn_path path;
  struct ts_tls *tls;
  int closing;
  int nallocs;
  uint64_t last_rx; /* uv_now, ms */
  size_t len;
  uint8_t buf[TCP_BUF];
  uint8_t cbuf[TCP_BUF]; /* ciphertext read (TLS) */
};

struct tcp_write {
  uv_write_t req;
  uint8_t data[];
};

static void conn_closed(uv_handle_t *h) {
  struct ts_conn *c = h->data;
  turnsrv *s = c->srv;
  ts_tls_free(c->tls);
  free(c);
  ts_handle_closed(s);
}

static void conn_close(struct ts_conn *c) {
  if (c->closing)
    return;
  c->closing = 1;
  turnsrv *s = c->srv;
  s->conns[c->id - TS_CONN_BASE] = NULL;
  s->nconns--;
  if (s->core != NULL) {
    weft_turn_server_conn_closed(s->core, ts_now(), c->id);
    ts_drain(s);
  }
  uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static void on_written(uv_write_t *req, int status) {
  free(req);
}

/* Writes raw bytes; returns 0 or -1 when the connection must close. */
static int raw_send(struct ts_conn *c, const uint8_t *p, size_t len) {
  uv_buf_t b = uv_buf_init((char *)p, (unsigned)len);
  int n = 0;
  if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) == 0) {
    n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n == (int)len)
      return 0;
    if (n < 0 && n != UV_EAGAIN)
      return -1;
    if (n < 0)
      n = 0;
  }
  if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > TCP_MAX_QUEUED)
    return -1;
  struct tcp_write *w = malloc(sizeof(*w) + len - (size_t)n);
  if (w == NULL)
    return -1;
  memcpy(w->data, p + n, len - (size_t)n);
  b = uv_buf_init((char *)w->data, (unsigned)(len - (size_t)n));
  if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written) < 0) {
    free(w);
    return -1;
  }
  return 0;
}

/* Sends whatever ciphertext the TLS layer has. */
static int tls_flush(struct ts_conn *c) {
  uint8_t out[4096];
  size_t n;
  while ((n = ts_tls_pending(c->tls, out, sizeof(out))) > 0)
    if (raw_send(c, out, n) < 0)
      return -1;
  return 0;
}

void ts_conn_send(turnsrv *s, uint32_t sock, const uint8_t *p, size_t len) {
  if (sock - TS_CONN_BASE >= s->nconns_cap)
    return;
  struct ts_conn *c = s->conns[sock - TS_CONN_BASE];
  if (c == NULL || c->closing)
    return;
  int r = c->tls ? (ts_tls_write(c->tls, p, len) == 0 ? tls_flush(c) : -1)
                 : raw_send(c, p, len);
  if (r < 0)
    conn_close(c);
}

/* Length of the frame at the buffer's start: 0 when incomplete, -1 when
 * the bytes cannot be TURN. */
static long frame_len(const uint8_t *p, size_t len) {
  if (len < 4)
    return (p[0] & 0xC0) == 0x00 || (p[0] & 0xC0) == 0x40 ? 0 : -1;
  if ((p[0] & 0xC0) == 0x40) {
    size_t n = 4 + (((size_t)weft_get_u16(p + 2) + 3) & ~(size_t)3);
    return n > TCP_BUF ? -1 : (long)n;
  }
  if ((p[0] & 0xC0) != 0)
    return -1;
  if (len < WEFT_STUN_HEADER_LEN)
    return 0;
  size_t n = WEFT_STUN_HEADER_LEN + weft_get_u16(p + 2);
  if (weft_get_u32(p + 4) != WEFT_STUN_MAGIC_COOKIE || n % 4 || n > TCP_BUF)
    return -1;
  return (long)n;
}

static void conn_process(struct ts_conn *c) {
  turnsrv *s = c->srv;
  size_t off = 0;
  while (off < c->len && !c->closing && s->core != NULL) {
    long n = frame_len(c->buf + off, c->len - off);
    if (n < 0) {
      s->tcp_garbage++;
      conn_close(c);
      return;
    }
    if (n == 0 || (size_t)n > c->len - off)
      break;
    weft_turn_server_recv(s->core, ts_now(), &c->path, c->buf + off, (size_t)n);
    ts_drain(s);
    off += (size_t)n;
  }
  ts_flush(s); /* relayed datagrams go out now, not with the next batch */
  if (c->closing)
    return;
  memmove(c->buf, c->buf + off, c->len - off);
  c->len -= off;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  struct ts_conn *c = h->data;
  if (c->tls != NULL)
    *buf = uv_buf_init((char *)c->cbuf, sizeof(c->cbuf));
  else
    *buf = uv_buf_init((char *)c->buf + c->len, (unsigned)(TCP_BUF - c->len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  struct ts_conn *c = st->data;
  if (n < 0) {
    conn_close(c);
    return;
  }
  if (n == 0 || c->closing)
    return;
  c->last_rx = uv_now(c->srv->loop);
  if (c->tls != NULL) {
    size_t plen = c->len;
    if (ts_tls_feed(c->tls, c->cbuf, (size_t)n, c->buf, &plen, TCP_BUF) < 0 ||
        tls_flush(c) < 0) {
      conn_close(c);
      return;
    }
    c->len = plen;
  } else {
    c->len += (size_t)n;
  }
  conn_process(c);
}

/* A free connection id; 0 when at the limit. */
static uint32_t conn_id(turnsrv *s) {
  if (s->nconns >= TS_MAX_CONNS)
    return 0;
  if (s->conns == NULL) {
    s->conns = calloc(TS_MAX_CONNS, sizeof(*s->conns));
    if (s->conns == NULL)
      return 0;
    s->nconns_cap = TS_MAX_CONNS;
  }
  for (uint32_t i = 0; i < s->nconns_cap; i++)
    if (s->conns[i] == NULL)
      return TS_CONN_BASE + i;
  return 0;
}

static int conn_start(struct ts_conn *c, struct ts_tcp_lsn *l) {
  struct sockaddr_storage ss;
  int sl = sizeof(ss);
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) < 0 ||
      weft_addr_from_sockaddr(&c->path.remote, (struct sockaddr *)&ss,
                              (socklen_t)sl) != 0)
    return -1;
  sl = sizeof(ss);
  if (uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&ss, &sl) < 0 ||
      weft_addr_from_sockaddr(&c->path.local, (struct sockaddr *)&ss,
                              (socklen_t)sl) != 0)
    return -1;
  c->path.transport = l->tls ? WEFT_TURN_TLS : WEFT_TURN_TCP;
  if (l->tls && (c->tls = ts_tls_new(c->srv)) == NULL)
    return -1;
  uv_tcp_nodelay(&c->tcp, 1);
  return uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0 ? -1 : 0;
}

static void on_connection(uv_stream_t *server, int status) {
  struct ts_tcp_lsn *l = server->data;
  turnsrv *s = l->srv;
  if (status < 0)
    return;
  struct ts_conn *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return;
  c->srv = s;
  uv_tcp_init(s->loop, &c->tcp);
  c->tcp.data = c;
  s->handles++;
  uint32_t id = conn_id(s);
  if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 || id == 0) {
    s->tcp_rejected++;
    c->closing = 1;
    uv_close((uv_handle_t *)&c->tcp, conn_closed);
    return;
  }
  c->id = c->path.sock = id;
  c->last_rx = uv_now(s->loop);
  s->conns[id - TS_CONN_BASE] = c;
  s->nconns++;
  s->tcp_accepted++;
  if (conn_start(c, l) < 0)
    conn_close(c);
}

int ts_tcp_open(turnsrv *s, const weft_addr *addr, int tls) {
  if (s->ntcp == 2 * TURNSRV_MAX_LISTEN)
    return -ENOSPC;
  int fd = net_listen(NET_TCP, addr, 128, 0);
  if (fd < 0)
    return fd;
  struct ts_tcp_lsn *l = calloc(1, sizeof(*l));
  if (l == NULL) {
    close(fd);
    return -ENOMEM;
  }
  l->srv = s;
  l->tls = tls;
  net_local_addr(fd, &l->local);
  uv_tcp_init(s->loop, &l->tcp);
  l->tcp.data = l;
  s->handles++;
  s->tcp[s->ntcp++] = l;
  int r = uv_tcp_open(&l->tcp, fd);
  if (r < 0) {
    close(fd);
    return r;
  }
  r = uv_listen((uv_stream_t *)&l->tcp, 128, on_connection);
  return r < 0 ? r : 0;
}

static void lsn_closed(uv_handle_t *h) {
  struct ts_tcp_lsn *l = h->data;
  turnsrv *s = l->srv;
  free(l);
  ts_handle_closed(s);
}

void ts_tcp_close(struct ts_tcp_lsn *l) {
  uv_close((uv_handle_t *)&l->tcp, lsn_closed);
}

void ts_conns_close_all(turnsrv *s) {
  for (uint32_t i = 0; i < s->nconns_cap; i++)
    if (s->conns[i] != NULL)
      conn_close(s->conns[i]);
}

void ts_conn_allocations(turnsrv *s, uint32_t sock, int delta) {
  if (sock - TS_CONN_BASE >= s->nconns_cap)
    return;
  struct ts_conn *c = s->conns[sock - TS_CONN_BASE];
  if (c != NULL)
    c->nallocs += delta;
}

void ts_conns_sweep(turnsrv *s) {
  uint64_t now = uv_now(s->loop);
  for (uint32_t i = 0; i < s->nconns_cap; i++) {
    struct ts_conn *c = s->conns[i];
    if (c != NULL && c->nallocs <= 0 && now - c->last_rx > s->cfg.tcp_idle_ms) {
      s->tcp_idle++;
      conn_close(c);
    }
  }
}
