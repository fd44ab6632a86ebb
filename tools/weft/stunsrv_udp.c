/*
 * UDP side of the STUN server: one socket per listening address, watched
 * with uv_poll; datagrams are read with recvmmsg and answered with sendmmsg
 * in batches of UDP_BATCH, from buffers allocated once per socket.
 *
 * A socket bound to a wildcard address learns each datagram's destination
 * (IP_PKTINFO / IPV6_PKTINFO) and answers from that same address, so a
 * multi-homed host replies from the address the client used.
 */
#include "stunsrv_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

#define UDP_BATCH 64
#define UDP_ROUNDS 16 /* batches per readiness event, for fairness */
#define UDP_RXCAP 2048
#define UDP_TXCAP WEFT_STUN_MAX_MSG
#define UDP_SOCKBUF (4 * 1024 * 1024)

union ctlbuf {
  struct cmsghdr align;
  uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

struct udp_lsn {
  uv_poll_t poll;
  stunsrv *srv;
  int fd;
  int pktinfo;
  weft_addr local;
  struct mmsghdr rx[UDP_BATCH];
  struct mmsghdr tx[UDP_BATCH];
  struct iovec rxiov[UDP_BATCH];
  struct iovec txiov[UDP_BATCH];
  weft_addr peer[UDP_BATCH];
  union ctlbuf rxctl[UDP_BATCH];
  union ctlbuf txctl[UDP_BATCH];
  uint8_t rxbuf[UDP_BATCH][UDP_RXCAP];
  uint8_t txbuf[UDP_BATCH][UDP_TXCAP];
};

static void setup_batch(struct udp_lsn *u) {
  for (size_t i = 0; i < UDP_BATCH; i++) {
    u->rxiov[i].iov_base = u->rxbuf[i];
    u->rxiov[i].iov_len = UDP_RXCAP;
    struct msghdr *h = &u->rx[i].msg_hdr;
    h->msg_name = &u->peer[i].u;
    h->msg_iov = &u->rxiov[i];
    h->msg_iovlen = 1;
    h->msg_control = u->pktinfo ? u->rxctl[i].b : NULL;
    u->txiov[i].iov_base = u->txbuf[i];
    u->tx[i].msg_hdr.msg_iov = &u->txiov[i];
    u->tx[i].msg_hdr.msg_iovlen = 1;
  }
}

/* Reads up to UDP_BATCH datagrams. Returns their count, 0 when none. */
static int recv_batch(struct udp_lsn *u) {
  for (size_t i = 0; i < UDP_BATCH; i++) {
    u->rx[i].msg_hdr.msg_namelen = sizeof(u->peer[i].u);
    u->rx[i].msg_hdr.msg_controllen = u->pktinfo ? sizeof(u->rxctl[i]) : 0;
    u->rx[i].msg_hdr.msg_flags = 0;
  }
  for (;;) {
    int n = recvmmsg(u->fd, u->rx, UDP_BATCH, MSG_DONTWAIT, NULL);
    if (n >= 0)
      return n;
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      WEFT_LOG(&u->srv->cfg.log, WEFT_LOG_DEBUG, "stun", "recvmmsg: %s",
               net_strerror(errno));
    return 0;
  }
}

/* Sets the reply's source to the request's destination (wildcard sockets). */
static void set_source(struct udp_lsn *u, size_t i, size_t m) {
  struct msghdr *rh = &u->rx[i].msg_hdr, *th = &u->tx[m].msg_hdr;
  th->msg_control = NULL;
  th->msg_controllen = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(rh); c != NULL;
       c = CMSG_NXTHDR(rh, c)) {
    struct cmsghdr *o = &u->txctl[m].align;
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo in, pi;
      memcpy(&in, CMSG_DATA(c), sizeof(in));
      memset(&pi, 0, sizeof(pi));
      pi.ipi_spec_dst = in.ipi_spec_dst;
      o->cmsg_len = CMSG_LEN(sizeof(pi));
      memcpy(CMSG_DATA(o), &pi, sizeof(pi));
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      o->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
      memcpy(CMSG_DATA(o), CMSG_DATA(c), sizeof(struct in6_pktinfo));
    } else {
      continue;
    }
    o->cmsg_level = c->cmsg_level;
    o->cmsg_type = c->cmsg_type;
    th->msg_control = u->txctl[m].b;
    th->msg_controllen = CMSG_SPACE(o->cmsg_len - CMSG_LEN(0));
    return;
  }
}

/* Answers the @p n datagrams read; returns the number of replies queued. */
static size_t answer_batch(struct udp_lsn *u, int n) {
  stunsrv *s = u->srv;
  size_t m = 0;
  for (int i = 0; i < n; i++) {
    struct msghdr *h = &u->rx[i].msg_hdr;
    if (h->msg_flags & MSG_TRUNC) {
      s->stats.stun.received++;
      s->stats.stun.dropped_malformed++;
      s->stats.udp_oversized++;
      continue;
    }
    int r = weft_stun_server_answer(&s->settings, &s->stats.stun, &u->peer[i],
                                    u->rxbuf[i], u->rx[i].msg_len, u->txbuf[m],
                                    UDP_TXCAP);
    if (r <= 0)
      continue;
    struct msghdr *th = &u->tx[m].msg_hdr;
    th->msg_name = &u->peer[i].u;
    th->msg_namelen = h->msg_namelen;
    u->txiov[m].iov_len = (size_t)r;
    if (u->pktinfo)
      set_source(u, (size_t)i, m);
    m++;
  }
  return m;
}

static void send_batch(struct udp_lsn *u, size_t m) {
  size_t off = 0;
  while (off < m) {
    int n = sendmmsg(u->fd, u->tx + off, (unsigned)(m - off), MSG_DONTWAIT);
    if (n > 0) {
      off += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      u->srv->stats.udp_send_errors += m - off; /* socket full: drop */
      return;
    }
    u->srv->stats.udp_send_errors++; /* this one reply failed: skip it */
    off++;
  }
}

static void on_poll(uv_poll_t *h, int status, int events) {
  struct udp_lsn *u = h->data;
  if (status < 0) {
    WEFT_LOG(&u->srv->cfg.log, WEFT_LOG_WARN, "stun", "udp poll: %s",
             uv_strerror(status));
    return;
  }
  for (int round = 0; round < UDP_ROUNDS; round++) {
    int n = recv_batch(u);
    if (n <= 0)
      break;
    send_batch(u, answer_batch(u, n));
    if (n < UDP_BATCH)
      break;
  }
}

int stunsrv_udp_open(stunsrv *s, const weft_addr *addr) {
  int fd = net_listen(NET_UDP, addr, 0, 1);
  if (fd < 0)
    return fd;
  struct udp_lsn *u = calloc(1, sizeof(*u));
  if (u == NULL) {
    close(fd);
    return -ENOMEM;
  }
  net_set_buffers(fd, UDP_SOCKBUF);
  u->srv = s;
  u->fd = fd;
  u->pktinfo = weft_addr_is_any(addr);
  net_local_addr(fd, &u->local);
  setup_batch(u);
  int r = uv_poll_init_socket(s->loop, &u->poll, fd);
  if (r < 0) {
    close(fd);
    free(u);
    return r;
  }
  u->poll.data = u;
  s->handles++;
  s->udp[s->nudp++] = u;
  r = uv_poll_start(&u->poll, UV_READABLE, on_poll);
  return r < 0 ? r : 0;
}

static void on_closed(uv_handle_t *h) {
  struct udp_lsn *u = h->data;
  stunsrv *s = u->srv;
  close(u->fd);
  free(u);
  stunsrv_handle_closed(s);
}

void stunsrv_udp_close(struct udp_lsn *u) {
  uv_close((uv_handle_t *)&u->poll, on_closed);
}

const weft_addr *stunsrv_udp_addr(const struct udp_lsn *u) {
  return &u->local;
}
