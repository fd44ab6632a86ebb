/* Interop: weft's SCTP against usrsctp (the stack Firefox and older Chrome
 * use), in process through usrsctp's AF_CONN interface, no threads
 * (usrsctp_init_nothreads). Packets go between usrsctp_conninput / the
 * output callback and weft_sctp_recv / weft_sctp_poll_transmit, optionally
 * with loss; time advances in virtual 5 ms steps for both (usrsctp through
 * usrsctp_handle_timers). Checked: association up with either side
 * initiating, messages both ways on several streams, ordered and unordered,
 * stream reset both ways, graceful close. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <usrsctp.h>

#include "sctp/sctp_chunk.h"
#include "weft/sctp.h"

#define STEP_MS 5
#define MAXQ 4096

typedef struct qpkt {
  size_t len;
  uint8_t data[2048];
} qpkt;

/* The one test world: usrsctp is process-global. */
static struct world {
  uint16_t port;
  int realtime;
  weft_tstamp last_real;
  int token; /* its address is usrsctp's "address" of weft */
  qpkt *q[MAXQ];
  size_t qhead, qlen;
  weft_sctp_assoc *w;
  struct socket *lsock, *sock;
  weft_tstamp now;
  weft_pcg pcg;
  weft_rand rnd;
  double loss;
  /* usrsctp side */
  int u_up, u_closed, u_msgs, u_bad, u_unordered;
  uint64_t u_bytes;
  uint8_t *u_buf;
  size_t u_len;
  int u_reset_in[8], u_nreset_in;
  uint32_t final_seed;
  int u_last_final, w_last_final;
  /* weft side */
  int w_up, w_closed, w_aborted, w_msgs, w_bad, w_unordered;
  uint64_t w_bytes;
  int w_reset_in[8], w_nreset_in, w_reset_out[8], w_nreset_out;
} W;

/* WEFT_TEST_DEBUG=2: one line per packet. */
static void dump(const char *dir, const uint8_t *p, size_t len, int dropped) {
  const char *d = getenv("WEFT_TEST_DEBUG");
  if (d == NULL || d[0] != '2')
    return;
  weft_sctp_header h;
  weft_rd r;
  weft_sctp_chunk c;
  if (weft_sctp_packet_decode(&h, p, len) != 0) {
    fprintf(stderr, "%s bad packet\n", dir);
    return;
  }
  fprintf(stderr, "%llu %s%s",
          (unsigned long long)(W.now / WEFT_MILLISECONDS % 1000000), dir,
          dropped ? " (lost)" : "");
  weft_sctp_chunks_begin(&r, p, len);
  while (weft_sctp_chunk_next(&r, &c) == 1) {
    fprintf(stderr, " %s", weft_sctp_chunk_name(c.type));
    if (c.type == WEFT_SCTP_DATA && c.vlen >= 12)
      fprintf(stderr, "[tsn %u sid %u ssn %u fl %x len %zu]",
              weft_get_u32(c.value), weft_get_u16(c.value + 4),
              weft_get_u16(c.value + 6), c.flags, c.vlen - 12);
    if (c.type == WEFT_SCTP_SACK && c.vlen >= 12)
      fprintf(stderr, "[cum %u rwnd %u gaps %u dups %u]", weft_get_u32(c.value),
              weft_get_u32(c.value + 4), weft_get_u16(c.value + 8),
              weft_get_u16(c.value + 10));
    if (c.type == WEFT_SCTP_FORWARD_TSN && c.vlen >= 4)
      fprintf(stderr, "[%u]", weft_get_u32(c.value));
  }
  fprintf(stderr, "\n");
}

static void gen(uint8_t *b, size_t len, uint32_t seed) {
  weft_pcg g;
  weft_pcg_seed(&g, seed, 5);
  for (size_t i = 0; i < len; i++)
    b[i] = (uint8_t)weft_pcg_next(&g);
  if (len >= 4) {
    b[0] = (uint8_t)(seed >> 24);
    b[1] = (uint8_t)(seed >> 16);
    b[2] = (uint8_t)(seed >> 8);
    b[3] = (uint8_t)seed;
  }
}

static int check(const uint8_t *b, size_t len) {
  if (len < 4)
    return 0;
  uint32_t seed = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
                  ((uint32_t)b[2] << 8) | b[3];
  uint8_t *e = malloc(len);
  gen(e, len, seed);
  int ok = memcmp(e, b, len) == 0;
  free(e);
  return ok;
}

static int lost(void) {
  return W.loss > 0 && weft_pcg_double(&W.pcg) < W.loss;
}

static int conn_output(void *addr, void *buf, size_t len, uint8_t tos,
                       uint8_t df) {
  (void)addr, (void)tos, (void)df;
  if (W.qlen == MAXQ || len > sizeof(W.q[0]->data)) {
    fprintf(stderr, "conn_output: dropped %zu bytes (queue %zu)\n", len,
            W.qlen);
    return 0;
  }
  qpkt *p = malloc(sizeof(*p));
  p->len = len;
  memcpy(p->data, buf, len);
  W.q[(W.qhead + W.qlen++) % MAXQ] = p;
  return 0;
}

static void on_notification(const union sctp_notification *n) {
  switch (n->sn_header.sn_type) {
  case SCTP_ASSOC_CHANGE:
    if (getenv("WEFT_TEST_DEBUG"))
      fprintf(stderr, "usrsctp assoc change state %u error %u\n",
              n->sn_assoc_change.sac_state, n->sn_assoc_change.sac_error);
    if (n->sn_assoc_change.sac_state == SCTP_COMM_UP)
      W.u_up = 1;
    else if (n->sn_assoc_change.sac_state == SCTP_SHUTDOWN_COMP ||
             n->sn_assoc_change.sac_state == SCTP_COMM_LOST)
      W.u_closed = 1;
    break;
  case SCTP_STREAM_RESET_EVENT: {
    const struct sctp_stream_reset_event *e = &n->sn_strreset_event;
    size_t ns = (e->strreset_length - sizeof(*e)) / sizeof(uint16_t);
    if (e->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN)
      for (size_t i = 0; i < ns && W.u_nreset_in < 8; i++)
        W.u_reset_in[W.u_nreset_in++] = e->strreset_stream_list[i];
    break;
  }
  default:
    break;
  }
}

static int receive_cb(struct socket *sock, union sctp_sockstore addr,
                      void *data, size_t len, struct sctp_rcvinfo rcv,
                      int flags, void *ulp) {
  (void)sock, (void)addr, (void)ulp;
  if (data == NULL) {
    W.u_closed = 1;
    return 1;
  }
  if (flags & MSG_NOTIFICATION) {
    on_notification((const union sctp_notification *)data);
  } else {
    W.u_buf = realloc(W.u_buf, W.u_len + len);
    memcpy(W.u_buf + W.u_len, data, len);
    W.u_len += len;
    if (flags & MSG_EOR) {
      W.u_msgs++;
      W.u_bytes += W.u_len;
      W.u_bad += !check(W.u_buf, W.u_len) || ntohl(rcv.rcv_ppid) != 53;
      W.u_unordered += (rcv.rcv_flags & SCTP_UNORDERED) != 0;
      W.u_last_final = W.final_seed != 0 && W.u_len >= 4 &&
                       W.u_buf[2] == 0xF1 && W.u_buf[3] == 0xA1;
      W.u_len = 0;
    }
  }
  free(data);
  return 1;
}

static void weft_events(void) {
  weft_sctp_event ev;
  while (weft_sctp_poll_event(W.w, &ev)) {
    switch (ev.type) {
    case WEFT_SCTP_EVENT_CONNECTED:
      W.w_up = 1;
      break;
    case WEFT_SCTP_EVENT_MESSAGE:
      W.w_msgs++;
      W.w_bytes += ev.len;
      W.w_bad += !check(ev.data, ev.len) || ev.ppid != 53;
      W.w_unordered += ev.unordered;
      W.w_last_final = W.final_seed != 0 && ev.len >= 4 && ev.data[2] == 0xF1 &&
                       ev.data[3] == 0xA1;
      break;
    case WEFT_SCTP_EVENT_STREAM_RESET_IN:
      if (W.w_nreset_in < 8)
        W.w_reset_in[W.w_nreset_in++] = ev.stream;
      break;
    case WEFT_SCTP_EVENT_STREAM_RESET_OUT:
      if (W.w_nreset_out < 8)
        W.w_reset_out[W.w_nreset_out++] = ev.stream;
      break;
    case WEFT_SCTP_EVENT_CLOSED:
      W.w_closed = 1;
      break;
    case WEFT_SCTP_EVENT_ABORTED:
      W.w_aborted = 1;
      break;
    default:
      break;
    }
  }
}

/* Moves packets both ways; returns how many moved. */
static int exchange(void) {
  uint8_t buf[2048];
  int moved = 0, n;
  while ((n = weft_sctp_poll_transmit(W.w, W.now, buf, sizeof(buf))) > 0) {
    moved++;
    int l = lost();
    dump("weft->usr", buf, (size_t)n, l);
    if (!l)
      usrsctp_conninput(&W.token, buf, (size_t)n, 0);
  }
  weft_events();
  while (W.qlen > 0) {
    qpkt *p = W.q[W.qhead];
    W.qhead = (W.qhead + 1) % MAXQ;
    W.qlen--;
    moved++;
    int l = lost();
    dump("usr->weft", p->data, p->len, l);
    if (!l)
      weft_sctp_recv(W.w, W.now, p->data, p->len);
    free(p);
  }
  weft_events();
  return moved;
}

static weft_tstamp real_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (weft_tstamp)ts.tv_sec * WEFT_SECONDS + (weft_tstamp)ts.tv_nsec;
}

/* Advances time by one step. usrsctp decides what a T3 expiry retransmits
 * by comparing send times with its real clock, so the lossy tests let real
 * time pass (1 ms waits while idle) and follow it; the others are purely
 * virtual. */
static void tick(void) {
  if (W.realtime) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
    weft_tstamp r = real_ns();
    uint32_t ms = (uint32_t)((r - W.last_real) / WEFT_MILLISECONDS);
    if (ms == 0)
      return;
    W.last_real += (weft_tstamp)ms * WEFT_MILLISECONDS;
    W.now += (weft_tstamp)ms * WEFT_MILLISECONDS;
    usrsctp_handle_timers(ms);
    if (weft_sctp_deadline(W.w) <= W.now)
      weft_sctp_handle_timeout(W.w, W.now);
    return;
  }
  W.now += STEP_MS * WEFT_MILLISECONDS;
  if (getenv("WEFT_TEST_DEBUG") && (W.now / WEFT_MILLISECONDS) % 2000 == 0) {
    weft_sctp_stats st;
    weft_sctp_get_stats(W.w, &st);
    fprintf(
        stderr,
        "t=%llu w_msgs %d u_msgs %d | weft flight %u cwnd %u prwnd %u "
        "rtx %llu t3 %llu drop_tsn %llu dup %llu in %llu out %llu\n",
        (unsigned long long)(W.now / WEFT_MILLISECONDS % 1000000), W.w_msgs,
        W.u_msgs, st.flight, st.cwnd, st.peer_rwnd,
        (unsigned long long)st.retransmits, (unsigned long long)st.t3_expiries,
        (unsigned long long)st.dropped_tsn,
        (unsigned long long)st.duplicate_tsns,
        (unsigned long long)st.packets_in, (unsigned long long)st.packets_out);
  }
  usrsctp_handle_timers(STEP_MS);
  if (weft_sctp_deadline(W.w) <= W.now)
    weft_sctp_handle_timeout(W.w, W.now);
}

/* Runs until @p done (or for @p ms of virtual time when NULL). */
static int run(int (*done)(void), int ms) {
  weft_tstamp end = W.now + (weft_tstamp)ms * WEFT_MILLISECONDS;
  for (int k = 0; W.now < end && k < 10000000; k++) {
    for (int i = 0; i < 10000 && exchange() > 0; i++)
      if (done != NULL && done())
        return 1;
    if (done != NULL && done())
      return 1;
    tick();
  }
  return done != NULL && done();
}

static struct socket *make_socket(void) {
  struct socket *s = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP,
                                    receive_cb, NULL, 0, NULL);
  assert_non_null(s);
  usrsctp_set_non_blocking(s, 1);
  struct sctp_assoc_value av = {.assoc_id = SCTP_ALL_ASSOC,
                                .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ};
  assert_int_equal(usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET,
                                      &av, sizeof(av)),
                   0);
  struct sctp_initmsg im = {.sinit_num_ostreams = 1024,
                            .sinit_max_instreams = 1024};
  assert_int_equal(
      usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im)), 0);
  uint16_t types[] = {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT};
  for (size_t i = 0; i < 2; i++) {
    struct sctp_event ev = {
        .se_assoc_id = SCTP_ALL_ASSOC, .se_type = types[i], .se_on = 1};
    assert_int_equal(
        usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev)), 0);
  }
  int one = 1;
  usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof(one));
  struct sockaddr_conn sc;
  memset(&sc, 0, sizeof(sc));
  sc.sconn_family = AF_CONN;
  sc.sconn_port = htons(W.port);
  sc.sconn_addr = &W.token;
  assert_int_equal(usrsctp_bind(s, (struct sockaddr *)&sc, sizeof(sc)), 0);
  return s;
}

/* Each test uses its own port: closed usrsctp sockets linger a while. */
static void world_start(double loss, uint64_t seed, int realtime) {
  struct world fresh;
  memset(&fresh, 0, sizeof(fresh));
  W = fresh;
  W.port = (uint16_t)(5000 + seed);
  W.realtime = realtime;
  W.last_real = real_ns();
  W.now = 1000 * WEFT_SECONDS;
  W.loss = loss;
  weft_pcg_seed(&W.pcg, seed, 3);
  weft_rand_from_pcg(&W.rnd, &W.pcg);
  weft_sctp_settings s;
  weft_sctp_settings_default(&s);
  s.rand = &W.rnd;
  s.log.level = WEFT_LOG_NONE;
  s.local_port = s.remote_port = W.port;
  s.rto_min = 100 * (weft_duration)WEFT_MILLISECONDS;
  s.rto_initial = 300 * (weft_duration)WEFT_MILLISECONDS;
  assert_int_equal(weft_sctp_assoc_new(&W.w, &s, NULL, NULL), 0);
  usrsctp_register_address(&W.token);
}

static void world_stop(void) {
  if (W.sock != NULL)
    usrsctp_close(W.sock);
  if (W.lsock != NULL && W.lsock != W.sock)
    usrsctp_close(W.lsock);
  W.sock = W.lsock = NULL;
  run(NULL, 200);
  usrsctp_deregister_address(&W.token);
  while (W.qlen > 0) {
    free(W.q[W.qhead]);
    W.qhead = (W.qhead + 1) % MAXQ;
    W.qlen--;
  }
  weft_sctp_assoc_del(W.w);
  W.w = NULL;
  free(W.u_buf);
  W.u_buf = NULL;
}

static int both_up(void) {
  return W.u_up && W.w_up;
}

static void connect_weft_client(void) {
  W.lsock = make_socket();
  assert_int_equal(usrsctp_listen(W.lsock, 1), 0);
  assert_int_equal(weft_sctp_connect(W.w, W.now), 0);
  assert_true(run(both_up, 60000));
  W.sock = usrsctp_accept(W.lsock, NULL, NULL);
  assert_non_null(W.sock);
}

static void connect_usrsctp_client(void) {
  W.sock = make_socket();
  struct sockaddr_conn sc;
  memset(&sc, 0, sizeof(sc));
  sc.sconn_family = AF_CONN;
  sc.sconn_port = htons(W.port);
  sc.sconn_addr = &W.token;
  int rc = usrsctp_connect(W.sock, (struct sockaddr *)&sc, sizeof(sc));
  assert_true(rc == 0 || errno == EINPROGRESS);
  assert_true(run(both_up, 60000));
}

static int u_send(uint16_t sid, const uint8_t *b, size_t len, int unordered) {
  struct sctp_sendv_spa spa;
  memset(&spa, 0, sizeof(spa));
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = sid;
  spa.sendv_sndinfo.snd_ppid = htonl(53);
  spa.sendv_sndinfo.snd_flags = SCTP_EOR | (unordered ? SCTP_UNORDERED : 0);
  return (int)usrsctp_sendv(W.sock, b, len, NULL, 0, &spa, sizeof(spa),
                            SCTP_SENDV_SPA, 0);
}

static int target_msgs;
static int all_arrived(void) {
  return W.u_msgs >= target_msgs && W.w_msgs >= target_msgs;
}

/* Sends @p n messages each way on 8 streams, every third unordered. */
static void exchange_messages(int n, size_t maxlen) {
  uint8_t *b = malloc(maxlen);
  int base_u = W.u_msgs, base_w = W.w_msgs;
  for (int i = 0; i < n; i++) {
    size_t len = 4 + weft_pcg_bounded(&W.pcg, (uint32_t)(maxlen - 4));
    uint16_t sid = (uint16_t)(i % 8);
    int unordered = i % 3 == 2;
    gen(b, len, (uint32_t)(i * 2 + 1));
    int rc;
    while ((rc = weft_sctp_send(W.w, W.now, sid, 53, b, len,
                                unordered ? WEFT_SCTP_UNORDERED : 0, 0, 0)) ==
           WEFT_ERR_QUEUE_FULL)
      run(NULL, STEP_MS);
    assert_int_equal(rc, 0);
    gen(b, len, (uint32_t)(i * 2 + 2));
    while (u_send(sid, b, len, unordered) < 0) {
      if (errno != EWOULDBLOCK && errno != EAGAIN)
        fprintf(stderr, "usrsctp send: %s (weft up %d aborted %d closed %d)\n",
                strerror(errno), weft_sctp_is_established(W.w), W.w_aborted,
                W.w_closed);
      assert_true(errno == EWOULDBLOCK || errno == EAGAIN);
      run(NULL, STEP_MS);
    }
    exchange();
  }
  target_msgs = n;
  W.u_msgs -= base_u;
  W.w_msgs -= base_w;
  assert_true(run(all_arrived, 600000));
  assert_int_equal(W.u_msgs, n);
  assert_int_equal(W.w_msgs, n);
  assert_int_equal(W.u_bad, 0);
  assert_int_equal(W.w_bad, 0);
  assert_true(W.u_unordered > 0);
  assert_true(W.w_unordered > 0);
  free(b);
}

static int weft_reset_done(void) {
  return W.u_nreset_in > 0 && W.w_nreset_out > 0;
}

static int usrsctp_reset_done(void) {
  return W.w_nreset_in > 0;
}

static void reset_both_ways(void) {
  uint16_t s1 = 1;
  assert_int_equal(weft_sctp_reset_streams(W.w, W.now, &s1, 1), 0);
  assert_true(run(weft_reset_done, 30000));
  assert_int_equal(W.u_reset_in[0], 1);
  assert_int_equal(W.w_reset_out[0], 1);
  size_t sz = sizeof(struct sctp_reset_streams) + sizeof(uint16_t);
  struct sctp_reset_streams *srs = calloc(1, sz);
  srs->srs_assoc_id = SCTP_ALL_ASSOC;
  srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
  srs->srs_number_streams = 1;
  srs->srs_stream_list[0] = 2;
  assert_int_equal(usrsctp_setsockopt(W.sock, IPPROTO_SCTP, SCTP_RESET_STREAMS,
                                      srs, (socklen_t)sz),
                   0);
  free(srs);
  assert_true(run(usrsctp_reset_done, 30000));
  assert_int_equal(W.w_reset_in[0], 2);
  run(NULL, 500); /* usrsctp gets our response */
  /* Both streams carry ordered data again (SSN 0). */
  uint8_t b[100];
  gen(b, sizeof(b), 777);
  int wm = W.w_msgs, um = W.u_msgs;
  assert_int_equal(weft_sctp_send(W.w, W.now, 1, 53, b, sizeof(b), 0, 0, 0), 0);
  assert_true(u_send(2, b, sizeof(b), 0) > 0);
  run(NULL, 3000);
  assert_int_equal(W.u_msgs, um + 1);
  assert_int_equal(W.w_msgs, wm + 1);
}

static int closed_both(void) {
  return W.w_closed && W.u_closed;
}

static void test_weft_client(void **state) {
  (void)state;
  world_start(0, 1, 0);
  connect_weft_client();
  assert_int_equal(weft_sctp_out_streams(W.w), 1024);
  exchange_messages(200, 20000);
  reset_both_ways();
  assert_int_equal(weft_sctp_shutdown(W.w, W.now), 0);
  assert_true(run(closed_both, 30000));
  assert_int_equal(W.w_aborted, 0);
  world_stop();
}

static void test_usrsctp_client(void **state) {
  (void)state;
  world_start(0, 2, 0);
  connect_usrsctp_client();
  exchange_messages(200, 70000);
  reset_both_ways();
  usrsctp_shutdown(W.sock, SHUT_RDWR);
  assert_true(run(closed_both, 30000));
  assert_int_equal(W.w_aborted, 0);
  world_stop();
}

/* Both sides initiate at once, as WebRTC endpoints do (RFC 8841): INIT
 * collision. */
static void test_simultaneous_open(void **state) {
  (void)state;
  world_start(0, 5, 0);
  assert_int_equal(weft_sctp_connect(W.w, W.now), 0);
  connect_usrsctp_client();
  exchange_messages(50, 5000);
  assert_int_equal(weft_sctp_shutdown(W.w, W.now), 0);
  assert_true(run(closed_both, 30000));
  assert_int_equal(W.w_aborted, 0);
  world_stop();
}

static void test_lossy(void **state) {
  (void)state;
  world_start(0.05, 3, 1);
  connect_weft_client();
  exchange_messages(100, 16000);
  reset_both_ways();
  assert_int_equal(weft_sctp_shutdown(W.w, W.now), 0);
  assert_true(run(closed_both, 120000));
  world_stop();
}

static int u_send_pr(uint16_t sid, const uint8_t *b, size_t len) {
  struct sctp_sendv_spa spa;
  memset(&spa, 0, sizeof(spa));
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID | SCTP_SEND_PRINFO_VALID;
  spa.sendv_sndinfo.snd_sid = sid;
  spa.sendv_sndinfo.snd_ppid = htonl(53);
  spa.sendv_sndinfo.snd_flags = SCTP_EOR;
  spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_RTX;
  spa.sendv_prinfo.pr_value = 0;
  return (int)usrsctp_sendv(W.sock, b, len, NULL, 0, &spa, sizeof(spa),
                            SCTP_SENDV_SPA, 0);
}

static int final_arrived(void) {
  return W.u_msgs > 0 && W.w_msgs > 0 && W.u_last_final && W.w_last_final;
}

/* Partial reliability both ways under 15% loss: messages sent with zero
 * retransmissions are lost for good, the receivers skip them through
 * FORWARD-TSN, and a reliable message sent afterwards on the same ordered
 * stream arrives. */
static void test_partial_reliability(void **state) {
  (void)state;
  world_start(0.15, 4, 1);
  connect_weft_client();
  uint8_t b[3000];
  for (int i = 0; i < 100; i++) {
    gen(b, sizeof(b), (uint32_t)(i * 2 + 1));
    int rc;
    while ((rc = weft_sctp_send(W.w, W.now, 1, 53, b, sizeof(b), 0,
                                WEFT_SCTP_PR_RTX, 0)) == WEFT_ERR_QUEUE_FULL)
      run(NULL, STEP_MS);
    assert_int_equal(rc, 0);
    gen(b, sizeof(b), (uint32_t)(i * 2 + 2));
    while (u_send_pr(1, b, sizeof(b)) < 0)
      run(NULL, STEP_MS);
    exchange();
  }
  run(NULL, 3000);
  W.loss = 0;
  run(NULL, 3000);
  weft_sctp_stats st;
  weft_sctp_get_stats(W.w, &st);
  assert_int_equal(st.retransmits, 0);
  assert_true(st.abandoned > 0);
  assert_true(W.u_msgs < 100 && W.u_msgs > 20);
  assert_true(W.w_msgs < 100 && W.w_msgs > 20);
  assert_int_equal(W.u_bad, 0);
  assert_int_equal(W.w_bad, 0);
  /* Reliable messages on the same stream still get through, in order. */
  gen(b, 100, 0xF1A1);
  W.final_seed = 0xF1A1;
  assert_int_equal(weft_sctp_send(W.w, W.now, 1, 53, b, 100, 0, 0, 0), 0);
  assert_true(u_send(1, b, 100, 0) > 0);
  assert_true(run(final_arrived, 10000));
  world_stop();
}

static int setup(void **state) {
  (void)state;
  usrsctp_init_nothreads(0, conn_output, NULL);
  usrsctp_sysctl_set_sctp_ecn_enable(0);
  usrsctp_sysctl_set_sctp_rto_min_default(100);
  usrsctp_sysctl_set_sctp_rto_initial_default(300);
  usrsctp_sysctl_set_sctp_init_rto_max_default(5000);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  for (int i = 0; i < 100 && usrsctp_finish() != 0; i++)
    usrsctp_handle_timers(1000);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_weft_client),
      cmocka_unit_test(test_usrsctp_client),
      cmocka_unit_test(test_simultaneous_open),
      cmocka_unit_test(test_lossy),
      cmocka_unit_test(test_partial_reliability),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
