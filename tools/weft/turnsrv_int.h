/* Internals shared by the turnsrv*.c files (see turnsrv.h). */
#ifndef WEFT_TOOL_TURNSRV_INT_H
#define WEFT_TOOL_TURNSRV_INT_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "turnsrv.h"

#define TS_BATCH 64
#define TS_ROUNDS 16 /* batches per readiness event, for fairness */
#define TS_RXCAP 4096
#define TS_SOCKBUF (4 * 1024 * 1024)
#define TS_CONN_BASE 1000u /* sock ids of TCP/TLS connections */
#define TS_MAX_CONNS 4096

union ts_ctl {
  struct cmsghdr align;
  uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

struct ts_udp {
  uv_poll_t poll;
  turnsrv *srv;
  int fd;
  int pktinfo;
  uint32_t id; /* 1-based index, the path's sock */
  weft_addr local;
};

struct ts_relay {
  uv_poll_t poll[2]; /* [0] IPv4, [1] IPv6 */
  turnsrv *srv;
  int fd[2];
  uint32_t id;
  int handles;
};

struct ts_tcp_lsn {
  uv_tcp_t tcp;
  turnsrv *srv;
  weft_addr local;
  int tls;
};

struct ts_tls;
struct ts_conn;
struct ts_http;

struct turnsrv {
  uv_loop_t *loop;
  turnsrv_config cfg;
  weft_turn_server *core;
  uv_timer_t timer;
  uv_timer_t sweep; /* idle TCP/TLS connections */
  weft_tstamp armed;
  uint16_t port_cursor;
  /* shared receive batch */
  struct mmsghdr rx[TS_BATCH];
  struct iovec rxiov[TS_BATCH];
  weft_addr rxaddr[TS_BATCH];
  union ts_ctl rxctl[TS_BATCH];
  uint8_t rxbuf[TS_BATCH][TS_RXCAP];
  /* pending datagrams to send */
  struct mmsghdr tx[TS_BATCH];
  struct iovec txiov[TS_BATCH];
  weft_addr txaddr[TS_BATCH];
  union ts_ctl txctl[TS_BATCH];
  int txfd[TS_BATCH];
  /* UDP GSO: runs of same-size datagrams to one destination sent as one */
  struct mmsghdr gso[TS_BATCH];
  union {
    struct cmsghdr align;
    uint8_t b[CMSG_SPACE(sizeof(uint16_t))];
  } gsoctl[TS_BATCH];
  int gsofd[TS_BATCH];
  size_t gsobase[TS_BATCH]; /* first datagram of each group */
  int gso_off;              /* the kernel refused UDP_SEGMENT once */
  uint8_t txbuf[TS_BATCH][WEFT_TURN_MAX_FRAME];
  size_t ntx;
  /* sockets */
  struct ts_udp *udp[TURNSRV_MAX_LISTEN];
  size_t nudp;
  struct ts_tcp_lsn *tcp[2 * TURNSRV_MAX_LISTEN];
  size_t ntcp;
  struct ts_relay **relays; /* by relay id - 1 */
  uint32_t nrelays;
  struct ts_conn **conns; /* by sock id - TS_CONN_BASE */
  uint32_t nconns_cap;
  uint32_t nconns;
  struct ts_http *http;
  int http_conns;
  void *tls_ctx; /* SSL_CTX when TLS is on */
  /* counters of the I/O layer */
  uint64_t udp_send_errors;
  uint64_t udp_gso_sends, udp_gso_datagrams;
  uint64_t udp_oversized;
  uint64_t tcp_accepted, tcp_rejected, tcp_garbage, tcp_idle;
  uint64_t relay_open_failures;
  size_t handles;
  int closing;
};

/* turnsrv.c */
weft_tstamp ts_now(void);
/* After input: moves the core's output to sockets and re-arms the timer. */
void ts_drain(turnsrv *s);
void ts_flush(turnsrv *s);
void ts_handle_closed(turnsrv *s);

/* turnsrv_udp.c */
int ts_udp_open(turnsrv *s, const weft_addr *addr);
void ts_udp_close(struct ts_udp *u);
/* Queues one datagram of the core on @p fd (src: wildcard sockets' source). */
void ts_udp_queue(turnsrv *s, int fd, const weft_addr *dst,
                  const weft_addr *src, size_t len);
int ts_relay_open(void *ud, uint32_t id, int family, int even_port,
                  const weft_turn_path *client, weft_addr *relayed);
void ts_relay_close(void *ud, uint32_t id);
void ts_relays_close_all(turnsrv *s);

/* turnsrv_tcp.c */
int ts_tcp_open(turnsrv *s, const weft_addr *addr, int tls);
void ts_tcp_close(struct ts_tcp_lsn *l);
void ts_conns_close_all(turnsrv *s);
/* Sends framed bytes of the core to connection @p sock. */
void ts_conn_send(turnsrv *s, uint32_t sock, const uint8_t *p, size_t len);
/* Counts the allocations of connection @p sock (+1 / -1). */
void ts_conn_allocations(turnsrv *s, uint32_t sock, int delta);
/* Closes connections without allocation silent for tcp_idle_ms. */
void ts_conns_sweep(turnsrv *s);

/* turnsrv_tls.c (OpenSSL, isolated here) */
int ts_tls_ctx_new(turnsrv *s, char *err, size_t errlen);
void ts_tls_ctx_free(turnsrv *s);
struct ts_tls *ts_tls_new(turnsrv *s);
void ts_tls_free(struct ts_tls *t);
/* Feeds ciphertext; plaintext is appended to @p plain (up to *plen, updated)
 * and ciphertext to send is written through @p out. Returns 0 or -1. */
int ts_tls_feed(struct ts_tls *t, const uint8_t *in, size_t len, uint8_t *plain,
                size_t *plen, size_t plaincap);
/* Encrypts @p len plaintext bytes. Returns 0 or -1. */
int ts_tls_write(struct ts_tls *t, const uint8_t *p, size_t len);
/* Pending ciphertext to send: pointer and length, then consume. */
size_t ts_tls_pending(struct ts_tls *t, uint8_t *buf, size_t cap);

/* turnsrv_http.c */
int ts_http_open(turnsrv *s, const weft_addr *addr);
void ts_http_close(turnsrv *s);

#endif
