/*
 * TCP side of the STUN server (RFC 8489 section 6.2.2): STUN messages are
 * framed by their length field; each request is answered on the same
 * connection. A connection is closed on bytes that cannot be STUN, on a
 * message larger than its buffer, on a malformed message, when idle too
 * long, or when the peer stops reading our answers.
 */
#include "stunsrv_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "net.h"

#define TCP_BUF 4096               /* largest STUN message accepted over TCP */
#define TCP_MAX_QUEUED (64 * 1024) /* unsent answer bytes before closing */

struct tcp_lsn {
  uv_tcp_t tcp;
  stunsrv *srv;
  weft_addr local;
};

struct tcp_conn {
  uv_tcp_t tcp;
  uv_timer_t idle;
  stunsrv *srv;
  struct tcp_conn *prev, *next;
  weft_addr peer;
  int handles;
  int closing;
  size_t len;
  uint8_t buf[TCP_BUF];
};

struct tcp_write {
  uv_write_t req;
  uint8_t data[];
};

static void conn_closed(uv_handle_t *h) {
  struct tcp_conn *c = h->data;
  stunsrv *s = c->srv;
  if (--c->handles == 0)
    free(c);
  stunsrv_handle_closed(s);
}

static void conn_close(struct tcp_conn *c) {
  if (c->closing)
    return;
  c->closing = 1;
  stunsrv *s = c->srv;
  if (c->prev != NULL)
    c->prev->next = c->next;
  else
    s->conns = c->next;
  if (c->next != NULL)
    c->next->prev = c->prev;
  s->nconns--;
  uv_close((uv_handle_t *)&c->tcp, conn_closed);
  uv_close((uv_handle_t *)&c->idle, conn_closed);
}

static void on_written(uv_write_t *req, int status) {
  free(req); /* a struct tcp_write; req is its first member */
}

/* Sends @p len bytes; returns 0, or -1 when the connection must close. */
static int conn_send(struct tcp_conn *c, const uint8_t *p, size_t len) {
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
    return -1; /* the peer does not read its answers */
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

static void conn_garbage(struct tcp_conn *c, const char *why) {
  c->srv->stats.tcp_garbage++;
  char a[WEFT_ADDR_STRLEN];
  WEFT_LOG(&c->srv->cfg.log, WEFT_LOG_DEBUG, "stun", "tcp %s: closing: %s",
           weft_addr_format(&c->peer, a, sizeof(a)), why);
  conn_close(c);
}

/* Answers one whole message of @p mlen bytes at the buffer's start. */
static int conn_answer(struct tcp_conn *c, size_t mlen) {
  stunsrv *s = c->srv;
  uint8_t out[WEFT_STUN_MAX_MSG];
  uint64_t bad = s->stats.stun.dropped_malformed;
  int r = weft_stun_server_answer(&s->settings, &s->stats.stun, &c->peer,
                                  c->buf, mlen, out, sizeof(out));
  if (s->stats.stun.dropped_malformed != bad) {
    conn_garbage(c, "malformed STUN message");
    return -1;
  }
  if (r > 0 && conn_send(c, out, (size_t)r) < 0) {
    conn_close(c);
    return -1;
  }
  return 0;
}

/* Answers every whole message in the buffer. */
static void conn_process(struct tcp_conn *c) {
  while (c->len > 0) {
    if ((c->buf[0] & 0xC0) != 0) {
      conn_garbage(c, "not STUN");
      return;
    }
    if (c->len < WEFT_STUN_HEADER_LEN)
      return;
    size_t mlen = WEFT_STUN_HEADER_LEN + weft_get_u16(c->buf + 2);
    if (weft_get_u32(c->buf + 4) != WEFT_STUN_MAGIC_COOKIE || mlen % 4 != 0 ||
        mlen > TCP_BUF) {
      conn_garbage(c, "bad STUN header");
      return;
    }
    if (c->len < mlen)
      return;
    if (conn_answer(c, mlen) < 0)
      return;
    memmove(c->buf, c->buf + mlen, c->len - mlen);
    c->len -= mlen;
  }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  struct tcp_conn *c = h->data;
  *buf = uv_buf_init((char *)c->buf + c->len, (unsigned)(TCP_BUF - c->len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  struct tcp_conn *c = st->data;
  if (n < 0) {
    conn_close(c);
    return;
  }
  if (n == 0 || c->closing)
    return;
  c->len += (size_t)n;
  uv_timer_again(&c->idle);
  conn_process(c);
}

static void on_idle(uv_timer_t *t) {
  struct tcp_conn *c = t->data;
  c->srv->stats.tcp_idle++;
  conn_close(c);
}

/* Starts serving an accepted connection. */
static void conn_start(struct tcp_conn *c) {
  stunsrv *s = c->srv;
  struct sockaddr_storage ss;
  int sl = sizeof(ss);
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) < 0 ||
      weft_addr_from_sockaddr(&c->peer, (struct sockaddr *)&ss,
                              (socklen_t)sl) != 0) {
    conn_close(c);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  uv_timer_start(&c->idle, on_idle, s->cfg.tcp_idle_ms, s->cfg.tcp_idle_ms);
  if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
    conn_close(c);
}

static void on_connection(uv_stream_t *server, int status) {
  struct tcp_lsn *l = server->data;
  stunsrv *s = l->srv;
  if (status < 0)
    return;
  struct tcp_conn *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return;
  c->srv = s;
  uv_tcp_init(s->loop, &c->tcp);
  uv_timer_init(s->loop, &c->idle);
  c->tcp.data = c->idle.data = c;
  c->handles = 2;
  s->handles += 2;
  c->next = s->conns;
  if (s->conns != NULL)
    s->conns->prev = c;
  s->conns = c;
  s->nconns++;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
    conn_close(c);
    return;
  }
  if (s->nconns > s->cfg.tcp_max_conns) {
    s->stats.tcp_rejected++;
    conn_close(c);
    return;
  }
  s->stats.tcp_accepted++;
  conn_start(c);
}

int stunsrv_tcp_open(stunsrv *s, const weft_addr *addr) {
  int fd = net_listen(NET_TCP, addr, 128, 0);
  if (fd < 0)
    return fd;
  struct tcp_lsn *l = calloc(1, sizeof(*l));
  if (l == NULL) {
    close(fd);
    return -ENOMEM;
  }
  l->srv = s;
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
  struct tcp_lsn *l = h->data;
  stunsrv *s = l->srv;
  free(l);
  stunsrv_handle_closed(s);
}

void stunsrv_tcp_close(struct tcp_lsn *l) {
  uv_close((uv_handle_t *)&l->tcp, lsn_closed);
}

void stunsrv_tcp_close_conns(stunsrv *s) {
  while (s->conns != NULL)
    conn_close(s->conns);
}

const weft_addr *stunsrv_tcp_addr(const struct tcp_lsn *l) {
  return &l->local;
}
