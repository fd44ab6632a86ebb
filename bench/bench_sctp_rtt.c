/* SCTP throughput against round-trip time: weft -> weft and usrsctp ->
 * usrsctp (the reference, when built with libusrsctp) through THE SAME
 * simulated link (weft_sim, virtual time): 1 Gbit/s each way, a drop-tail
 * queue of one bandwidth-delay product (at least 128 KiB), RTT 0, 20, 50 and
 * 100 ms, without loss and with 1% random loss on each direction. The
 * sender keeps the send buffer full of 64 KiB messages (stream 1, PPID 53);
 * the figure is the payload received during WEFT_BENCH_SCTP_SECONDS (3) of
 * virtual time after the association came up, slow start included
 * ("last_second_mbit": the last second alone, the steady state).
 *
 * usrsctp runs in virtual time too: it is initialised without threads, its
 * timers are driven with usrsctp_handle_timers() in 1 ms steps of virtual
 * time, and its only clock, gettimeofday() (RTT measurement and the T3
 * send-time comparison), is interposed by this program to return the
 * virtual time. Both stacks get the same buffers (max(4 MiB, 2 BDP), or
 * WEFT_BENCH_SCTP_BUF bytes), SCTP packets of 1188 bytes and an initial
 * cwnd of 10 packets; everything else is each stack's default.
 *
 * A last pair of figures is the protocol cost alone: an ideal link (no
 * delay, no bandwidth limit), 128 MiB, in wall-clock time.
 *
 * One JSON line per figure; lossy figures are the median over 3 seeds
 * ("runs"). Virtual-time figures do not depend on the machine's load; the
 * wall-clock ones ("sctp_mem.*", "wall_s") do. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <arpa/inet.h>

#include "sim.h"
#include "weft/sctp.h"

#ifdef WEFT_HAVE_USRSCTP
#include <usrsctp.h>
#endif

#define MSG_BYTES (64 * 1024)
#define LINK_BPS 1000000000ull
#define SCTP_MTU 1188

typedef struct run run;

typedef struct side {
  run *r;
  int sender;
  weft_sctp_assoc *w;
  sim_endpoint *ep;
  weft_addr peer;
#ifdef WEFT_HAVE_USRSCTP
  struct socket *us;
  int token; /* its address is usrsctp's AF_CONN address of this side */
#endif
} side;

struct run {
  sim_net *net;
  side s[2]; /* 0: sender on host a, 1: receiver on host b */
  int usr;
  int up;
  uint64_t rx_bytes;
  uint64_t target; /* memory mode: stop after this many bytes */
  size_t buf;
  uint16_t port;
  weft_tstamp last_tick;
  const uint8_t *msg;
};

static run *g_run;
static weft_tstamp g_vnow = 1000 * WEFT_SECONDS; /* last virtual time */

static double wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static weft_tstamp vnow(void) {
  if (g_run != NULL && g_run->net != NULL)
    g_vnow = sim_now(g_run->net);
  return g_vnow;
}

/* ---- weft ---------------------------------------------------------------- */

static void w_refill(side *s, weft_tstamp now) {
  if (!s->sender || !s->r->up)
    return;
  while (weft_sctp_send(s->w, now, 1, 53, s->r->msg, MSG_BYTES, 0, 0, 0) == 0)
    ;
}

static void w_events(side *s, weft_tstamp now) {
  weft_sctp_event ev;
  while (weft_sctp_poll_event(s->w, &ev)) {
    if (ev.type == WEFT_SCTP_EVENT_CONNECTED && s->sender)
      s->r->up = 1;
    else if (ev.type == WEFT_SCTP_EVENT_MESSAGE)
      s->r->rx_bytes += ev.len;
  }
  w_refill(s, now);
}

static weft_tstamp w_deadline(void *u) {
  return weft_sctp_deadline(((side *)u)->w);
}

static void w_timeout(void *u, weft_tstamp now) {
  side *s = u;
  weft_sctp_handle_timeout(s->w, now);
  w_events(s, now);
}

static void w_recv(void *u, weft_tstamp now, const weft_addr *from,
                   const weft_addr *to, const uint8_t *data, size_t len) {
  side *s = u;
  weft_sctp_recv(s->w, now, data, len);
  w_events(s, now);
}

static int w_poll(void *u, weft_tstamp now, weft_addr *from, weft_addr *to,
                  uint8_t *buf, size_t buflen) {
  side *s = u;
  int n = weft_sctp_poll_transmit(s->w, now, buf, buflen);
  if (n > 0)
    *to = s->peer;
  return n;
}

static const sim_endpoint_ops w_ops = {w_deadline, w_timeout, w_recv, w_poll,
                                       NULL};

static int w_setup(run *r) {
  weft_sctp_settings st;
  weft_sctp_settings_default(&st);
  st.log.level = WEFT_LOG_NONE;
  st.rwnd = (uint32_t)r->buf;
  st.send_buffer = r->buf;
  st.mtu = SCTP_MTU;
  st.initial_cwnd_mtus = 10;
  for (int i = 0; i < 2; i++) {
    if (weft_sctp_assoc_new(&r->s[i].w, &st, NULL, &r->s[i]) != 0)
      return -1;
  }
  weft_sctp_connect(r->s[0].w, sim_now(r->net));
  sim_endpoint_drain(r->s[0].ep);
  return 0;
}

/* ---- usrsctp ------------------------------------------------------------- */
#ifdef WEFT_HAVE_USRSCTP

/* usrsctp's only clock: make it the virtual one. */
__attribute__((visibility("default"))) int
gettimeofday(struct timeval *restrict tv, void *restrict tz) {
  (void)tz;
  weft_tstamp t = vnow();
  tv->tv_sec = (time_t)(t / WEFT_SECONDS);
  tv->tv_usec = (suseconds_t)(t % WEFT_SECONDS / 1000);
  return 0;
}

static int u_output(void *addr, void *buf, size_t len, uint8_t tos,
                    uint8_t df) {
  run *r = g_run;
  if (r == NULL)
    return 0; /* an association of a finished run: dropped */
  for (int i = 0; i < 2; i++) {
    if (addr == &r->s[i].token) {
      weft_addr none;
      memset(&none, 0, sizeof(none));
      sim_endpoint_send(r->s[i].ep, &none, &r->s[i].peer, buf, len);
    }
  }
  return 0;
}

static void u_refill(side *s) {
  if (!s->sender || !s->r->up || s->us == NULL)
    return;
  struct sctp_sendv_spa spa;
  memset(&spa, 0, sizeof(spa));
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = 1;
  spa.sendv_sndinfo.snd_ppid = htonl(53);
  spa.sendv_sndinfo.snd_flags = SCTP_EOR;
  while (usrsctp_sendv(s->us, s->r->msg, MSG_BYTES, NULL, 0, &spa, sizeof(spa),
                       SCTP_SENDV_SPA, 0) > 0)
    ;
}

static int u_receive(struct socket *sock, union sctp_sockstore addr, void *data,
                     size_t len, struct sctp_rcvinfo rcv, int flags,
                     void *ulp) {
  run *r = g_run;
  if (data == NULL)
    return 1;
  if (r != NULL) {
    if (flags & MSG_NOTIFICATION) {
      const union sctp_notification *n = data;
      if (n->sn_header.sn_type == SCTP_ASSOC_CHANGE &&
          n->sn_assoc_change.sac_state == SCTP_COMM_UP && sock == r->s[0].us)
        r->up = 1;
    } else {
      r->rx_bytes += len;
    }
  }
  free(data);
  return 1;
}

static weft_tstamp u_deadline(void *u) {
  side *s = u;
  return s->sender ? s->r->last_tick + WEFT_MILLISECONDS : WEFT_TSTAMP_NONE;
}

static void u_timeout(void *u, weft_tstamp now) {
  side *s = u;
  uint32_t ms = (uint32_t)((now - s->r->last_tick) / WEFT_MILLISECONDS);
  s->r->last_tick += (weft_tstamp)ms * WEFT_MILLISECONDS;
  usrsctp_handle_timers(ms);
  u_refill(s);
}

static void u_recv(void *u, weft_tstamp now, const weft_addr *from,
                   const weft_addr *to, const uint8_t *data, size_t len) {
  side *s = u;
  usrsctp_conninput(&s->token, data, len, 0);
  u_refill(s);
}

static const sim_endpoint_ops u_ops = {u_deadline, u_timeout, u_recv, NULL,
                                       NULL};

static struct socket *u_socket(run *r, side *s, uint16_t port) {
  struct socket *so = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP,
                                     u_receive, NULL, 0, NULL);
  if (so == NULL)
    return NULL;
  usrsctp_set_non_blocking(so, 1);
  int one = 1, buf = (int)r->buf;
  usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof(one));
  usrsctp_setsockopt(so, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
  usrsctp_setsockopt(so, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  struct sctp_event ev = {
      .se_assoc_id = SCTP_ALL_ASSOC, .se_type = SCTP_ASSOC_CHANGE, .se_on = 1};
  usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev));
  struct sctp_paddrparams pp;
  memset(&pp, 0, sizeof(pp));
  pp.spp_flags = SPP_PMTUD_DISABLE;
  pp.spp_pathmtu = SCTP_MTU;
  usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp));
  struct sockaddr_conn sc;
  memset(&sc, 0, sizeof(sc));
  sc.sconn_family = AF_CONN;
  sc.sconn_port = htons(port);
  sc.sconn_addr = &s->token;
  if (usrsctp_bind(so, (struct sockaddr *)&sc, sizeof(sc)) != 0) {
    usrsctp_close(so);
    return NULL;
  }
  return so;
}

static int u_setup(run *r) {
  static int inited;
  if (!inited) {
    usrsctp_init_nothreads(0, u_output, NULL);
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    usrsctp_sysctl_set_sctp_initial_cwnd(10);
    usrsctp_sysctl_set_sctp_max_chunks_on_queue(1u << 20);
    usrsctp_sysctl_set_sctp_sendspace(4u << 20);
    usrsctp_sysctl_set_sctp_recvspace(4u << 20);
    inited = 1;
  }
  r->last_tick = sim_now(r->net);
  for (int i = 0; i < 2; i++)
    usrsctp_register_address(&r->s[i].token);
  struct socket *l = u_socket(r, &r->s[1], (uint16_t)(r->port + 1));
  r->s[0].us = u_socket(r, &r->s[0], r->port);
  if (l == NULL || r->s[0].us == NULL || usrsctp_listen(l, 1) != 0)
    return -1;
  r->s[1].us = l;
  struct sockaddr_conn sc;
  memset(&sc, 0, sizeof(sc));
  sc.sconn_family = AF_CONN;
  sc.sconn_port = htons((uint16_t)(r->port + 1));
  sc.sconn_addr = &r->s[0].token;
  int rc = usrsctp_connect(r->s[0].us, (struct sockaddr *)&sc, sizeof(sc));
  return rc == 0 || errno == EINPROGRESS ? 0 : -1;
}

static void u_teardown(run *r) {
  g_run = NULL; /* whatever the closes send goes nowhere */
  struct linger lg = {1, 0};
  for (int i = 0; i < 2; i++) {
    if (r->s[i].us == NULL)
      continue;
    usrsctp_setsockopt(r->s[i].us, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    usrsctp_close(r->s[i].us);
  }
  for (int i = 0; i < 2; i++)
    usrsctp_deregister_address(&r->s[i].token);
}
#endif /* WEFT_HAVE_USRSCTP */

/* ---- one run ------------------------------------------------------------- */

typedef struct result {
  double mbit;        /* goodput */
  double last_s_mbit; /* goodput during the last second (steady state) */
  double link_util;
  double wall_s;
  uint64_t retransmits;
  int ok;
} result;

static int pred_up(sim_net *net, void *u) {
  return ((run *)u)->up;
}

static int pred_bytes(sim_net *net, void *u) {
  run *r = u;
  return r->rx_bytes >= r->target;
}

static int make_net(run *r, int rtt_ms, double loss, uint64_t seed, int mem) {
  sim_settings ss;
  sim_settings_default(&ss);
  ss.seed = seed;
  ss.start = g_vnow + WEFT_SECONDS;
  ss.max_packets = 1u << 20;
  if (sim_new(&r->net, &ss, NULL) != 0)
    return -1;
  sim_link_dir d;
  memset(&d, 0, sizeof(d));
  if (!mem) {
    d.delay = (weft_tstamp)rtt_ms * WEFT_MILLISECONDS / 2;
    d.loss = loss;
    d.bandwidth_bps = LINK_BPS;
    size_t bdp = (size_t)(LINK_BPS / 8 * (uint64_t)rtt_ms / 1000);
    d.queue_bytes = bdp > 128 * 1024 ? bdp : 128 * 1024;
  }
  /* Each host's uplink carries the delay, rate and loss; downlinks ideal. */
  sim_link_config lc;
  memset(&lc, 0, sizeof(lc));
  lc.up = d;
  sim_topo t;
  if (sim_topo_lan(&t, r->net, &lc) != 0)
    return -1;
  r->s[0].peer = t.b_ip;
  weft_addr_set_port(&r->s[0].peer, (uint16_t)(r->port + 1));
  r->s[1].peer = t.a_ip;
  weft_addr_set_port(&r->s[1].peer, r->port);
  const sim_endpoint_ops *ops = &w_ops;
#ifdef WEFT_HAVE_USRSCTP
  if (r->usr)
    ops = &u_ops;
#endif
  r->s[0].ep = sim_endpoint_add(t.a, r->port, ops, &r->s[0]);
  r->s[1].ep = sim_endpoint_add(t.b, (uint16_t)(r->port + 1), ops, &r->s[1]);
  return r->s[0].ep && r->s[1].ep ? 0 : -1;
}

static uint64_t retransmits(run *r) {
  if (!r->usr) {
    weft_sctp_stats st;
    weft_sctp_get_stats(r->s[0].w, &st);
    if (getenv("WEFT_BENCH_DEBUG"))
      fprintf(stderr,
              "weft: out %llu in %llu rtx %llu fast %llu t3 %llu dup %llu "
              "drop_tsn %llu cwnd %u ssthresh %u flight %u prwnd %u srtt "
              "%lld rto %lld\n",
              (unsigned long long)st.packets_out,
              (unsigned long long)st.packets_in,
              (unsigned long long)st.retransmits,
              (unsigned long long)st.fast_retransmits,
              (unsigned long long)st.t3_expiries,
              (unsigned long long)st.duplicate_tsns,
              (unsigned long long)st.dropped_tsn, st.cwnd, st.ssthresh,
              st.flight, st.peer_rwnd, (long long)st.srtt, (long long)st.rto);
    if (getenv("WEFT_BENCH_DEBUG")) {
      weft_sctp_stats rs;
      weft_sctp_get_stats(r->s[1].w, &rs);
      fprintf(stderr, "weft receiver: in %llu dup %llu drop_tsn %llu\n",
              (unsigned long long)rs.packets_in,
              (unsigned long long)rs.duplicate_tsns,
              (unsigned long long)rs.dropped_tsn);
    }
    return st.retransmits;
  }
#ifdef WEFT_HAVE_USRSCTP
  struct sctpstat st;
  usrsctp_get_stat(&st);
  return st.sctps_sendretransdata;
#endif
  return 0;
}

static result one_run(int usr, int rtt_ms, double loss, uint64_t seed,
                      double secs, uint64_t mem_bytes, size_t buf,
                      const uint8_t *msg) {
  static uint16_t port = 5000;
  result res;
  memset(&res, 0, sizeof(res));
  run *r = calloc(1, sizeof(*r));
  r->usr = usr;
  r->buf = buf;
  r->msg = msg;
  r->port = port;
  port = (uint16_t)(port + 2); /* usrsctp: closed associations linger */
  r->s[0].r = r->s[1].r = r;
  r->s[0].sender = 1;
  g_run = r;
  if (make_net(r, rtt_ms, loss, seed, mem_bytes != 0) != 0)
    goto out;
  int rc = -1;
#ifdef WEFT_HAVE_USRSCTP
  uint64_t rtx0 = 0;
  if (usr) {
    rtx0 = retransmits(r);
    rc = u_setup(r);
  }
#endif
  if (!usr)
    rc = w_setup(r);
  if (rc != 0 || sim_run_until(r->net, sim_now(r->net) + 30 * WEFT_SECONDS,
                               pred_up, r, 0) != 1)
    goto out;
#ifdef WEFT_HAVE_USRSCTP
  if (usr) {
    struct socket *a = usrsctp_accept(r->s[1].us, NULL, NULL);
    if (a != NULL) { /* the listener is closed with the accepted socket */
      usrsctp_close(r->s[1].us);
      r->s[1].us = a;
    }
    u_refill(&r->s[0]);
  }
#endif
  if (!usr)
    w_refill(&r->s[0], sim_now(r->net));
  sim_endpoint_drain(r->s[0].ep);
  uint64_t rx0 = r->rx_bytes;
  weft_tstamp t0 = sim_now(r->net);
  double w0 = wall();
  if (mem_bytes) {
    r->target = rx0 + mem_bytes;
    sim_run_until(r->net, t0 + 600 * WEFT_SECONDS, pred_bytes, r, 0);
    res.wall_s = wall() - w0;
    res.mbit = (double)(r->rx_bytes - rx0) * 8 / res.wall_s / 1e6;
  } else {
    weft_tstamp end = t0 + (weft_tstamp)(secs * 1e9);
    sim_advance(r->net, end - WEFT_SECONDS);
    uint64_t rx1 = r->rx_bytes;
    sim_advance(r->net, end);
    res.last_s_mbit = (double)(r->rx_bytes - rx1) * 8 / 1e6;
    res.wall_s = wall() - w0;
    double vs = (double)(sim_now(r->net) - t0) / 1e9;
    res.mbit = (double)(r->rx_bytes - rx0) * 8 / vs / 1e6;
  }
  res.retransmits = retransmits(r);
#ifdef WEFT_HAVE_USRSCTP
  if (usr)
    res.retransmits -= rtx0;
#endif
  res.ok = 1;
out:
  vnow();
#ifdef WEFT_HAVE_USRSCTP
  if (usr)
    u_teardown(r);
#endif
  g_run = NULL;
  for (int i = 0; i < 2; i++)
    weft_sctp_assoc_del(r->s[i].w);
  sim_del(r->net);
  free(r);
  return res;
}

/* ---- main ---------------------------------------------------------------- */

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static const char *stack_name(int usr) {
  return usr ? "usrsctp" : "weft";
}

/* Runs @p nseeds seeds, prints the median line; returns the median. */
static double figure(int usr, int rtt_ms, double loss, int nseeds, double secs,
                     size_t buf_fixed, const uint8_t *msg) {
  double v[5], l[5];
  result last;
  memset(&last, 0, sizeof(last));
  size_t bdp2 = (size_t)(2 * LINK_BPS / 8 * (uint64_t)rtt_ms / 1000);
  size_t buf = buf_fixed ? buf_fixed : bdp2 > (4u << 20) ? bdp2 : 4u << 20;
  double wall_total = 0;
  uint64_t rtx = 0;
  for (int i = 0; i < nseeds; i++) {
    result res =
        one_run(usr, rtt_ms, loss, (uint64_t)(i + 1), secs, 0, buf, msg);
    v[i] = res.ok ? res.mbit : 0;
    l[i] = res.ok ? res.last_s_mbit : 0;
    wall_total += res.wall_s;
    rtx += res.retransmits;
    last = res;
  }
  double sorted[5];
  memcpy(sorted, v, sizeof(double) * (size_t)nseeds);
  qsort(sorted, (size_t)nseeds, sizeof(double), cmp_d);
  double med = sorted[nseeds / 2];
  qsort(l, (size_t)nseeds, sizeof(double), cmp_d);
  printf("{\"bench\":\"sctp_rtt.%s.rtt%d.loss%g\",\"unit\":\"Mbit/s\","
         "\"value\":%.1f,\"stack\":\"%s\",\"rtt_ms\":%d,\"loss\":%g,"
         "\"link_mbit\":%llu,\"fraction\":%.3f,\"buffer_bytes\":%zu,"
         "\"msg_bytes\":%d,\"virtual_s\":%g,\"wall_s\":%.2f,"
         "\"retransmits\":%llu,\"last_second_mbit\":%.1f,\"ok\":%d,"
         "\"runs\":[",
         stack_name(usr), rtt_ms, loss * 100, med, stack_name(usr), rtt_ms,
         loss, (unsigned long long)(LINK_BPS / 1000000), med * 1e6 / LINK_BPS,
         buf, MSG_BYTES, secs, wall_total / nseeds,
         (unsigned long long)(rtx / (uint64_t)nseeds), l[nseeds / 2], last.ok);
  for (int i = 0; i < nseeds; i++)
    printf("%s%.1f", i ? "," : "", v[i]);
  printf("]}\n");
  fflush(stdout);
  return med;
}

static void ratio(int rtt_ms, double loss, double w, double u) {
  printf("{\"bench\":\"sctp_rtt.ratio.rtt%d.loss%g\",\"unit\":\"x\","
         "\"value\":%.2f,\"rtt_ms\":%d,\"loss\":%g,\"weft_mbit\":%.1f,"
         "\"reference\":\"usrsctp\",\"reference_mbit\":%.1f,\"runs\":[%.2f]}\n",
         rtt_ms, loss * 100, u > 0 ? w / u : 0, rtt_ms, loss, w, u,
         u > 0 ? w / u : 0);
  fflush(stdout);
}

static void memory_figures(const uint8_t *msg, uint64_t mib) {
  double w = 0, u = 0;
  for (int usr = 0; usr < 2; usr++) {
#ifndef WEFT_HAVE_USRSCTP
    if (usr)
      break;
#endif
    result res = one_run(usr, 0, 0, 1, 0, mib << 20, 4u << 20, msg);
    printf("{\"bench\":\"sctp_mem.%s\",\"unit\":\"Mbit/s\",\"value\":%.1f,"
           "\"stack\":\"%s\",\"mib\":%llu,\"msg_bytes\":%d,\"wall_s\":%.2f,"
           "\"ok\":%d,\"note\":\"ideal link, one thread runs both ends, "
           "wall-clock\"}\n",
           stack_name(usr), res.mbit, stack_name(usr), (unsigned long long)mib,
           MSG_BYTES, res.wall_s, res.ok);
    fflush(stdout);
    *(usr ? &u : &w) = res.mbit;
  }
  if (u > 0)
    printf("{\"bench\":\"sctp_mem.ratio\",\"unit\":\"x\",\"value\":%.2f,"
           "\"reference\":\"usrsctp\"}\n",
           w / u);
}

int main(int argc, char **argv) {
  const char *e = getenv("WEFT_BENCH_SCTP_SECONDS");
  double secs = e ? atof(e) : 3;
  e = getenv("WEFT_BENCH_SCTP_BUF");
  size_t buf = e ? (size_t)strtoull(e, NULL, 10) : 0;
  e = getenv("WEFT_BENCH_SCTP_MEM_MIB");
  uint64_t mib = e ? strtoull(e, NULL, 10) : 128;
  e = getenv("WEFT_BENCH_SCTP_SEEDS");
  int seeds = e ? atoi(e) : 3;
  if (seeds < 1 || seeds > 5)
    seeds = 3;
  static uint8_t msg[MSG_BYTES];
  memset(msg, 0x5a, sizeof(msg));
  e = getenv("WEFT_BENCH_SCTP_RTT"); /* one RTT only (debugging) */
  int only = e ? atoi(e) : -1;
  if (only < 0)
    memory_figures(msg, mib);
  const int rtts[] = {0, 20, 50, 100};
  const double losses[] = {0, 0.01};
  for (size_t li = 0; li < 2; li++) {
    for (size_t ri = 0; ri < 4; ri++) {
      if (only >= 0 && rtts[ri] != only)
        continue;
      int ns = losses[li] > 0 ? seeds : 1;
      double w = figure(0, rtts[ri], losses[li], ns, secs, buf, msg);
#ifdef WEFT_HAVE_USRSCTP
      double u = figure(1, rtts[ri], losses[li], ns, secs, buf, msg);
      ratio(rtts[ri], losses[li], w, u);
#else
      (void)w;
#endif
    }
  }
  return 0;
}
