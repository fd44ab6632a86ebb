/*
 * UDP side of the TURN server: listeners and relay sockets, read with
 * recvmmsg into one shared batch, written with sendmmsg (ts_flush).
 * A listener bound to a wildcard address learns each datagram's
 * destination (IP_PKTINFO / IPV6_PKTINFO) and answers from it.
 */
#include "turnsrv_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"

static void setup_rx(turnsrv *s, int pktinfo) {
  for (size_t i = 0; i < TS_BATCH; i++) {
    s->rxiov[i].iov_base = s->rxbuf[i];
    s->rxiov[i].iov_len = TS_RXCAP;
    struct msghdr *h = &s->rx[i].msg_hdr;
    h->msg_name = &s->rxaddr[i].u;
    h->msg_namelen = sizeof(s->rxaddr[i].u);
    h->msg_iov = &s->rxiov[i];
    h->msg_iovlen = 1;
    h->msg_control = pktinfo ? s->rxctl[i].b : NULL;
    h->msg_controllen = pktinfo ? sizeof(s->rxctl[i]) : 0;
    h->msg_flags = 0;
  }
}

/* Reads up to TS_BATCH datagrams from @p fd. Returns the count. */
static int recv_batch(turnsrv *s, int fd, int pktinfo) {
  setup_rx(s, pktinfo);
  for (;;) {
    int n = recvmmsg(fd, s->rx, TS_BATCH, MSG_DONTWAIT, NULL);
    if (n >= 0)
      return n;
    if (errno != EINTR)
      return 0;
  }
}

/* The destination address of datagram @p i (from IP_PKTINFO). */
static void dest_of(turnsrv *s, size_t i, const weft_addr *bound,
                    weft_addr *out) {
  *out = *bound;
  struct msghdr *h = &s->rx[i].msg_hdr;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      weft_addr_set(out, AF_INET, &pi.ipi_addr, weft_addr_port(bound));
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      struct in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      weft_addr_set(out, AF_INET6, &pi.ipi6_addr, weft_addr_port(bound));
    }
  }
}

static void set_source(turnsrv *s, size_t m, const weft_addr *src) {
  struct msghdr *th = &s->tx[m].msg_hdr;
  struct cmsghdr *o = &s->txctl[m].align;
  size_t len = 0;
  const uint8_t *ip = weft_addr_ip(src, &len);
  if (ip == NULL || weft_addr_is_any(src))
    return;
  if (len == 4) {
    struct in_pktinfo pi;
    memset(&pi, 0, sizeof(pi));
    memcpy(&pi.ipi_spec_dst, ip, 4);
    o->cmsg_level = IPPROTO_IP;
    o->cmsg_type = IP_PKTINFO;
    o->cmsg_len = CMSG_LEN(sizeof(pi));
    memcpy(CMSG_DATA(o), &pi, sizeof(pi));
    th->msg_controllen = CMSG_SPACE(sizeof(pi));
  } else {
    struct in6_pktinfo pi;
    memset(&pi, 0, sizeof(pi));
    memcpy(&pi.ipi6_addr, ip, 16);
    o->cmsg_level = IPPROTO_IPV6;
    o->cmsg_type = IPV6_PKTINFO;
    o->cmsg_len = CMSG_LEN(sizeof(pi));
    memcpy(CMSG_DATA(o), &pi, sizeof(pi));
    th->msg_controllen = CMSG_SPACE(sizeof(pi));
  }
  th->msg_control = s->txctl[m].b;
}

void ts_udp_queue(turnsrv *s, int fd, const weft_addr *dst,
                  const weft_addr *src, size_t len) {
  size_t m = s->ntx;
  s->txaddr[m] = *dst;
  s->txiov[m].iov_base = s->txbuf[m];
  s->txiov[m].iov_len = len;
  struct msghdr *th = &s->tx[m].msg_hdr;
  memset(th, 0, sizeof(*th));
  th->msg_name = &s->txaddr[m].u;
  th->msg_namelen = weft_addr_socklen(dst);
  th->msg_iov = &s->txiov[m];
  th->msg_iovlen = 1;
  if (src != NULL)
    set_source(s, m, src);
  s->txfd[m] = fd;
  s->ntx++;
}

/* ---- listeners ---------------------------------------------------------- */

static void listener_batch(struct ts_udp *u, int n) {
  turnsrv *s = u->srv;
  weft_turn_path path;
  memset(&path, 0, sizeof(path));
  path.sock = u->id;
  path.transport = WEFT_TURN_UDP;
  path.local = u->local;
  weft_tstamp now = ts_now();
  for (int i = 0; i < n && s->core != NULL; i++) {
    if (s->rx[i].msg_hdr.msg_flags & MSG_TRUNC) {
      s->udp_oversized++;
      continue;
    }
    if (u->pktinfo)
      dest_of(s, (size_t)i, &u->local, &path.local);
    path.remote = s->rxaddr[i];
    weft_turn_server_recv(s->core, now, &path, s->rxbuf[i], s->rx[i].msg_len);
    ts_drain(s);
  }
}

static void on_listener(uv_poll_t *h, int status, int events) {
  struct ts_udp *u = h->data;
  if (status < 0)
    return;
  for (int round = 0; round < TS_ROUNDS; round++) {
    int n = recv_batch(u->srv, u->fd, u->pktinfo);
    if (n <= 0)
      break;
    listener_batch(u, n);
    ts_flush(u->srv);
    if (n < TS_BATCH)
      break;
  }
}

int ts_udp_open(turnsrv *s, const weft_addr *addr) {
  if (s->nudp == TURNSRV_MAX_LISTEN)
    return -ENOSPC;
  int fd = net_listen(NET_UDP, addr, 0, 1);
  if (fd < 0)
    return fd;
  struct ts_udp *u = calloc(1, sizeof(*u));
  if (u == NULL) {
    close(fd);
    return -ENOMEM;
  }
  net_set_buffers(fd, TS_SOCKBUF);
  u->srv = s;
  u->fd = fd;
  u->pktinfo = weft_addr_is_any(addr);
  net_local_addr(fd, &u->local);
  int r = uv_poll_init_socket(s->loop, &u->poll, fd);
  if (r < 0) {
    close(fd);
    free(u);
    return r;
  }
  u->poll.data = u;
  s->handles++;
  s->udp[s->nudp++] = u;
  u->id = (uint32_t)s->nudp;
  r = uv_poll_start(&u->poll, UV_READABLE, on_listener);
  return r < 0 ? r : 0;
}

static void udp_closed(uv_handle_t *h) {
  struct ts_udp *u = h->data;
  turnsrv *s = u->srv;
  close(u->fd);
  free(u);
  ts_handle_closed(s);
}

void ts_udp_close(struct ts_udp *u) {
  uv_close((uv_handle_t *)&u->poll, udp_closed);
}

/* ---- relay sockets --------------------------------------------------------
 */

static void on_relay(uv_poll_t *h, int status, int events) {
  struct ts_relay *r = h->data;
  turnsrv *s = r->srv;
  int fd = r->fd[h == &r->poll[1]];
  uint32_t id = r->id;
  if (status < 0 || fd < 0)
    return;
  for (int round = 0; round < TS_ROUNDS && s->core != NULL; round++) {
    int n = recv_batch(s, fd, 0);
    weft_tstamp now = ts_now();
    for (int i = 0; i < n && s->core != NULL; i++) {
      if (s->rx[i].msg_hdr.msg_flags & MSG_TRUNC) {
        s->udp_oversized++;
        continue;
      }
      weft_turn_server_recv_relay(s->core, now, id, &s->rxaddr[i], s->rxbuf[i],
                                  s->rx[i].msg_len);
      ts_drain(s);
    }
    ts_flush(s);
    if (n < TS_BATCH)
      break;
  }
}

/* The address to relay from for @p family. */
static int relay_ip(turnsrv *s, int family, const weft_turn_path *client,
                    weft_addr *out) {
  for (size_t i = 0; i < s->cfg.nrelay; i++) {
    if (weft_addr_family(&s->cfg.relay[i]) == family) {
      *out = s->cfg.relay[i];
      return 0;
    }
  }
  if (s->cfg.nrelay == 0 && weft_addr_family(&client->local) == family &&
      !weft_addr_is_any(&client->local)) {
    *out = client->local;
    return 0;
  }
  return WEFT_ERR_UNSUPPORTED;
}

/* Binds a UDP socket on a free port of the range. Returns fd or -errno. */
static int bind_port(turnsrv *s, weft_addr *a, int even_port) {
  uint32_t span = (uint32_t)s->cfg.max_port - s->cfg.min_port + 1;
  uint32_t tries = span < 256 ? span : 256;
  for (uint32_t t = 0; t < tries; t++) {
    uint16_t port = (uint16_t)(s->cfg.min_port + (s->port_cursor++ % span));
    if (even_port && (port & 1))
      continue;
    weft_addr_set_port(a, port);
    int fd = net_listen(NET_UDP, a, 0, 0);
    if (fd >= 0)
      return fd;
    if (fd != -EADDRINUSE)
      return fd;
  }
  return -EADDRINUSE;
}

static struct ts_relay *relay_get(turnsrv *s, uint32_t id) {
  if (id - 1u >= s->nrelays) {
    uint32_t n = s->nrelays ? s->nrelays : 64;
    while (n < id)
      n *= 2;
    struct ts_relay **t = realloc(s->relays, n * sizeof(*t));
    if (t == NULL)
      return NULL;
    memset(t + s->nrelays, 0, (n - s->nrelays) * sizeof(*t));
    s->relays = t;
    s->nrelays = n;
  }
  struct ts_relay *r = s->relays[id - 1];
  if (r == NULL) {
    r = calloc(1, sizeof(*r));
    if (r == NULL)
      return NULL;
    r->srv = s;
    r->id = id;
    r->fd[0] = r->fd[1] = -1;
    s->relays[id - 1] = r;
  }
  return r;
}

int ts_relay_open(void *ud, uint32_t id, int family, int even_port,
                  const weft_turn_path *client, weft_addr *relayed) {
  turnsrv *s = ud;
  weft_addr a;
  int rv = relay_ip(s, family, client, &a);
  if (rv != 0)
    return rv;
  struct ts_relay *r = relay_get(s, id);
  int i = family == AF_INET6;
  if (r == NULL || r->fd[i] >= 0)
    return WEFT_ERR_NOMEM;
  int fd = bind_port(s, &a, even_port);
  if (fd < 0) {
    s->relay_open_failures++;
    return fd == -EADDRINUSE ? WEFT_ERR_LIMIT : WEFT_ERR_IO;
  }
  net_set_buffers(fd, 1024 * 1024);
  if (uv_poll_init_socket(s->loop, &r->poll[i], fd) < 0) {
    close(fd);
    return WEFT_ERR_IO;
  }
  r->poll[i].data = r;
  r->fd[i] = fd;
  r->handles++;
  s->handles++;
  uv_poll_start(&r->poll[i], UV_READABLE, on_relay);
  net_local_addr(fd, relayed);
  return 0;
}

static void relay_closed(uv_handle_t *h) {
  struct ts_relay *r = h->data;
  turnsrv *s = r->srv;
  int i = h == (uv_handle_t *)&r->poll[1];
  close(r->fd[i]);
  r->fd[i] = -1;
  if (--r->handles == 0)
    free(r);
  ts_handle_closed(s);
}

void ts_relay_close(void *ud, uint32_t id) {
  turnsrv *s = ud;
  if (id - 1u >= s->nrelays || s->relays[id - 1] == NULL)
    return;
  ts_flush(s); /* datagrams queued for this socket go first */
  struct ts_relay *r = s->relays[id - 1];
  s->relays[id - 1] = NULL;
  int open = 0;
  for (int i = 0; i < 2; i++) {
    if (r->fd[i] >= 0) {
      uv_close((uv_handle_t *)&r->poll[i], relay_closed);
      open = 1;
    }
  }
  if (!open)
    free(r);
}

void ts_relays_close_all(turnsrv *s) {
  for (uint32_t i = 0; i < s->nrelays; i++)
    if (s->relays[i] != NULL)
      ts_relay_close(s, i + 1);
}
