/* UDP sockets: open/bind, read (recvmmsg where libuv offers it), send. */
#include "loop/loop_internal.h"

#include <string.h>

#include "base/mem.h"

/* libuv reads one datagram per 64 KiB of the buffer it is given. */
#define RX_CHUNK (64 * 1024)

static int ensure_rx_buf(weft_loop *l) {
  if (l->rx_buf != NULL)
    return 0;
  size_t n = l->settings.recvmmsg > 1 ? l->settings.recvmmsg : 1;
  l->rx_buf = weft_malloc(l->mem, n * RX_CHUNK);
  if (l->rx_buf == NULL)
    return WEFT_ERR_NOMEM;
  l->rx_len = n * RX_CHUNK;
  return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  weft_loop_sock *s = (weft_loop_sock *)(void *)h;
  weft_loop *l = s->loop;
  (void)suggested;
  /* One buffer serves every socket: libuv hands it back through on_recv
   * before it asks for another. */
  *buf = uv_buf_init((char *)l->rx_buf, (unsigned)l->rx_len);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                    const struct sockaddr *addr, unsigned flags) {
  weft_loop_sock *s = (weft_loop_sock *)(void *)h;
  weft_loop *l = s->loop;
  if (flags & UV_UDP_MMSG_FREE)
    return; /* end of a recvmmsg batch: the buffer is ours, nothing to do */
  if (s->closing)
    return; /* closed by a callback in the middle of a recvmmsg batch */
  if (nread < 0) {
    l->stats.rx_errors++;
    WEFT_LOG(&l->settings.log, WEFT_LOG_DEBUG, "loop", "udp read: %s",
             uv_strerror((int)nread));
    return;
  }
  if (addr == NULL)
    return; /* nothing more to read */
  if (flags & UV_UDP_PARTIAL) {
    l->stats.rx_truncated++;
    return;
  }
  weft_addr from;
  socklen_t alen = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                               : sizeof(struct sockaddr_in);
  if (weft_addr_from_sockaddr(&from, addr, alen) != 0) {
    l->stats.rx_errors++;
    return;
  }
  loop_sock_deliver(s, &from, (const uint8_t *)buf->base, (size_t)nread);
}

void loop_sock_deliver(weft_loop_sock *s, const weft_addr *from,
                       const uint8_t *data, size_t len) {
  weft_loop *l = s->loop;
  l->stats.rx_datagrams++;
  l->stats.rx_bytes += len;
  weft_loop_obj *o = s->owner;
  if (o == NULL && s->recv_fn != NULL) {
    l->draining++; /* kicks from the callback are queued */
    o = s->recv_fn(s->recv_ud, s, from, data, len);
    l->draining--;
    if (o == NULL) {
      loop_obj_drain(l, NULL, weft_loop_now(l));
      return;
    }
  }
  if (o == NULL || (o->flags & OBJ_DEAD) || len == 0) {
    l->stats.rx_unrouted++;
    return;
  }
  weft_tstamp now = weft_loop_now(l);
  int r = o->ops->recv(o->obj, now, &s->local, from, data, len);
  if (r < 0) {
    WEFT_LOG(&l->settings.log, WEFT_LOG_DEBUG, "loop", "recv: %s",
             weft_strerror(r));
  } else if (r > 0 && o->cb != NULL && o->cb->on_data != NULL) {
    l->draining++;
    o->cb->on_data(o, o->user_data, &s->local, from, data, len);
    l->draining--;
  }
  loop_obj_drain(l, o, now);
}

static void sock_apply_options(weft_loop_sock *s) {
  weft_loop *l = s->loop;
  int v = l->settings.sock_rcvbuf;
  if (v > 0)
    uv_recv_buffer_size((uv_handle_t *)&s->udp, &v);
  v = l->settings.sock_sndbuf;
  if (v > 0)
    uv_send_buffer_size((uv_handle_t *)&s->udp, &v);
}

static void on_sock_closed(uv_handle_t *h) {
  weft_loop_sock *s = (weft_loop_sock *)(void *)h;
  weft_loop *l = s->loop;
  weft_free(l->mem, s);
  loop_handle_done(l);
}

static int sock_bind(weft_loop_sock *s, const weft_addr *bind, unsigned flags) {
  unsigned uvflags = 0;
  if (flags & WEFT_LOOP_UDP_REUSEADDR)
    uvflags |= UV_UDP_REUSEADDR;
  if (weft_addr_family(bind) == AF_INET6 && !(flags & WEFT_LOOP_UDP_DUALSTACK))
    uvflags |= UV_UDP_IPV6ONLY;
  int rv = uv_udp_bind(&s->udp, &bind->u.sa, uvflags);
  if (rv != 0)
    return loop_uv_error(rv);
  struct sockaddr_storage ss;
  int sslen = sizeof(ss);
  rv = uv_udp_getsockname(&s->udp, (struct sockaddr *)&ss, &sslen);
  if (rv != 0)
    return loop_uv_error(rv);
  int err = weft_addr_from_sockaddr(&s->local, (struct sockaddr *)&ss,
                                    (socklen_t)sslen);
  if (err != 0)
    return err;
  sock_apply_options(s);
  rv = uv_udp_recv_start(&s->udp, on_alloc, on_recv);
  return loop_uv_error(rv);
}

int weft_loop_udp_open(weft_loop *l, const weft_addr *bind, unsigned flags,
                       weft_loop_sock **ps) {
  if (l == NULL || bind == NULL || ps == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  *ps = NULL;
  int family = weft_addr_family(bind);
  if (family != AF_INET && family != AF_INET6)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (l->deleting)
    return WEFT_ERR_INVALID_STATE;
  if (ensure_rx_buf(l) != 0)
    return WEFT_ERR_NOMEM;
  weft_loop_sock *s = weft_calloc(l->mem, 1, sizeof(*s));
  if (s == NULL)
    return WEFT_ERR_NOMEM;
  s->loop = l;
  unsigned uvflags = (unsigned)family;
  if (l->settings.recvmmsg > 1)
    uvflags |= UV_UDP_RECVMMSG;
  int rv = uv_udp_init_ex(l->uv, &s->udp, uvflags);
  if (rv != 0) {
    weft_free(l->mem, s);
    return loop_uv_error(rv);
  }
  l->handles_open++;
  link_insert(&l->socks, &s->link);
  int err = sock_bind(s, bind, flags);
  if (err != 0) {
    char a[WEFT_ADDR_STRLEN];
    WEFT_LOG(&l->settings.log, WEFT_LOG_INFO, "loop", "bind %s: %s",
             weft_addr_format(bind, a, sizeof(a)), weft_strerror(err));
    weft_loop_udp_close(s);
    return err;
  }
  *ps = s;
  return 0;
}

void weft_loop_udp_close(weft_loop_sock *s) {
  if (s == NULL || s->closing)
    return;
  s->closing = 1;
  if (s->owner != NULL)
    loop_obj_detach(s->owner, s);
  link_remove(&s->link);
  uv_close((uv_handle_t *)&s->udp, on_sock_closed);
}

void loop_socks_close_all(weft_loop *l) {
  loop_link *heads[2] = {&l->socks, &l->shared};
  for (int i = 0; i < 2; i++) {
    while (!link_empty(heads[i])) {
      weft_loop_sock *s = LOOP_CONTAINER(heads[i]->next, weft_loop_sock, link);
      weft_loop_udp_close(s);
    }
  }
}

const weft_addr *weft_loop_udp_local(const weft_loop_sock *s) {
  return s ? &s->local : NULL;
}

int weft_loop_udp_uses_recvmmsg(const weft_loop_sock *s) {
  return s != NULL && uv_udp_using_recvmmsg(&s->udp) == 1;
}

void weft_loop_udp_set_recv(weft_loop_sock *s, weft_loop_recv_fn fn,
                            void *user_data) {
  if (s == NULL || s->closing)
    return;
  if (s->owner != NULL)
    loop_obj_detach(s->owner, s);
  s->recv_fn = fn;
  s->recv_ud = user_data;
  link_remove(&s->link);
  link_insert(fn != NULL ? &s->loop->shared : &s->loop->socks, &s->link);
}

int weft_loop_udp_send(weft_loop_sock *s, const weft_addr *to,
                       const uint8_t *data, size_t len) {
  if (s == NULL || to == NULL || (data == NULL && len > 0) ||
      len > WEFT_LOOP_MAX_DATAGRAM)
    return WEFT_ERR_INVALID_ARGUMENT;
  weft_loop *l = s->loop;
  if (s->closing || weft_addr_family(to) != weft_addr_family(&s->local)) {
    l->stats.tx_errors++;
    return WEFT_ERR_IO;
  }
  uv_buf_t b = uv_buf_init((char *)(uintptr_t)data, (unsigned)len);
  int rv = uv_udp_try_send(&s->udp, &b, 1, &to->u.sa);
  if (rv < 0) {
    l->stats.tx_errors++;
    WEFT_LOG(&l->settings.log, WEFT_LOG_DEBUG, "loop", "udp send: %s",
             uv_strerror(rv));
    return WEFT_ERR_IO;
  }
  l->stats.tx_datagrams++;
  l->stats.tx_bytes += len;
  return 0;
}
