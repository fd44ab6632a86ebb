/* Interop: weft's data channels against usrsctp (AF_CONN, no threads). The
 * usrsctp side plays a DCEP peer written by hand in this test: it sends a
 * DATA_CHANNEL_OPEN encoded byte by byte, expects the ACK, exchanges
 * messages with the RFC 8831 PPIDs, answers weft's own OPEN with an ACK and
 * closes a channel by resetting its stream (RFC 6525). Virtual time in 5 ms
 * steps for both. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <usrsctp.h>

#include "datachannel/dcep.h"
#include "weft/datachannel.h"

#define STEP_MS 5
#define MAXQ 4096
#define MAXM 32

typedef struct qpkt {
  size_t len;
  uint8_t data[2048];
} qpkt;

typedef struct umsg {
  uint16_t sid;
  uint32_t ppid;
  size_t len;
  uint8_t data[256];
} umsg;

static struct world {
  uint16_t port;
  int token;
  qpkt *q[MAXQ];
  size_t qhead, qlen;
  weft_dc *dc;
  struct socket *lsock, *sock;
  weft_tstamp now;
  weft_pcg pcg;
  weft_rand rnd;
  /* usrsctp side */
  int u_up;
  umsg um[MAXM];
  int nu;
  uint8_t part[512];
  size_t plen;
  int u_reset_in[8], nu_reset_in;
  /* weft side */
  int w_ev[16];
  int w_last_id[16];
  uint8_t w_msg[256];
  size_t w_len;
  int w_bin;
} W;

static int conn_output(void *addr, void *buf, size_t len, uint8_t tos,
                       uint8_t df) {
  (void)addr, (void)tos, (void)df;
  if (W.qlen == MAXQ || len > sizeof(W.q[0]->data))
    return 0;
  qpkt *p = malloc(sizeof(*p));
  p->len = len;
  memcpy(p->data, buf, len);
  W.q[(W.qhead + W.qlen++) % MAXQ] = p;
  return 0;
}

static void on_notification(const union sctp_notification *n) {
  if (n->sn_header.sn_type == SCTP_ASSOC_CHANGE &&
      n->sn_assoc_change.sac_state == SCTP_COMM_UP)
    W.u_up = 1;
  if (n->sn_header.sn_type == SCTP_STREAM_RESET_EVENT) {
    const struct sctp_stream_reset_event *e = &n->sn_strreset_event;
    size_t ns = (e->strreset_length - sizeof(*e)) / sizeof(uint16_t);
    if (e->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN)
      for (size_t i = 0; i < ns && W.nu_reset_in < 8; i++)
        W.u_reset_in[W.nu_reset_in++] = e->strreset_stream_list[i];
  }
}

static int receive_cb(struct socket *sock, union sctp_sockstore addr,
                      void *data, size_t len, struct sctp_rcvinfo rcv,
                      int flags, void *ulp) {
  (void)sock, (void)addr, (void)ulp;
  if (data == NULL)
    return 1;
  if (flags & MSG_NOTIFICATION) {
    on_notification((const union sctp_notification *)data);
  } else if (W.plen + len <= sizeof(W.part)) {
    memcpy(W.part + W.plen, data, len);
    W.plen += len;
    if ((flags & MSG_EOR) && W.nu < MAXM) {
      umsg *m = &W.um[W.nu++];
      m->sid = rcv.rcv_sid;
      m->ppid = ntohl(rcv.rcv_ppid);
      m->len = W.plen;
      memcpy(m->data, W.part, W.plen);
      W.plen = 0;
    }
  }
  free(data);
  return 1;
}

static void weft_events(void) {
  weft_dc_event ev;
  while (weft_dc_poll_event(W.dc, &ev)) {
    if (ev.type > 0 && ev.type < 16) {
      W.w_ev[ev.type]++;
      W.w_last_id[ev.type] = ev.id;
    }
    if (ev.type == WEFT_DC_EVENT_MESSAGE && ev.len <= sizeof(W.w_msg)) {
      if (ev.len > 0)
        memcpy(W.w_msg, ev.data, ev.len);
      W.w_len = ev.len;
      W.w_bin = ev.binary;
    }
  }
}

static int exchange(void) {
  uint8_t buf[2048];
  int moved = 0, n;
  weft_events();
  while ((n = weft_dc_poll_transmit(W.dc, W.now, buf, sizeof(buf))) > 0) {
    moved++;
    usrsctp_conninput(&W.token, buf, (size_t)n, 0);
  }
  while (W.qlen > 0) {
    qpkt *p = W.q[W.qhead];
    W.qhead = (W.qhead + 1) % MAXQ;
    W.qlen--;
    moved++;
    weft_dc_recv(W.dc, W.now, p->data, p->len);
    free(p);
  }
  weft_events();
  return moved;
}

static void tick(void) {
  W.now += STEP_MS * WEFT_MILLISECONDS;
  usrsctp_handle_timers(STEP_MS);
  if (weft_dc_deadline(W.dc) <= W.now)
    weft_dc_handle_timeout(W.dc, W.now);
}

static int run(int (*done)(void), int ms) {
  weft_tstamp end = W.now + (weft_tstamp)ms * WEFT_MILLISECONDS;
  for (int k = 0; W.now < end && k < 1000000; k++) {
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

static int u_send(uint16_t sid, uint32_t ppid, const void *b, size_t len) {
  struct sctp_sendv_spa spa;
  memset(&spa, 0, sizeof(spa));
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = sid;
  spa.sendv_sndinfo.snd_ppid = htonl(ppid);
  spa.sendv_sndinfo.snd_flags = SCTP_EOR;
  return (int)usrsctp_sendv(W.sock, b, len, NULL, 0, &spa, sizeof(spa),
                            SCTP_SENDV_SPA, 0);
}

static int want_u;
static int u_has(void) {
  return W.nu >= want_u;
}
static int w_channel(void) {
  return W.w_ev[WEFT_DC_EVENT_OPEN] >= 1;
}
static int w_msgs_n;
static int w_has(void) {
  return W.w_ev[WEFT_DC_EVENT_MESSAGE] >= w_msgs_n;
}
static int w_closed(void) {
  return W.w_ev[WEFT_DC_EVENT_CLOSE] >= 1;
}
static int both_up(void) {
  return W.u_up && W.w_ev[WEFT_DC_EVENT_CONNECTED];
}

static void test_dcep_with_usrsctp(void **state) {
  (void)state;
  memset(&W, 0, sizeof(W));
  W.port = 5000;
  W.now = 1000 * WEFT_SECONDS;
  weft_pcg_seed(&W.pcg, 41, 3);
  weft_rand_from_pcg(&W.rnd, &W.pcg);
  weft_dc_settings ds;
  weft_dc_settings_default(&ds);
  ds.role = WEFT_DC_ROLE_CLIENT; /* usrsctp plays the DTLS server: odd */
  ds.sctp.rand = &W.rnd;
  ds.sctp.log.level = WEFT_LOG_NONE;
  ds.sctp.local_port = ds.sctp.remote_port = W.port;
  assert_int_equal(weft_dc_new(&W.dc, &ds, NULL, NULL), 0);
  usrsctp_register_address(&W.token);
  W.lsock = make_socket();
  assert_int_equal(usrsctp_listen(W.lsock, 1), 0);
  assert_int_equal(weft_dc_connect(W.dc, W.now), 0);
  assert_true(run(both_up, 60000));
  W.sock = usrsctp_accept(W.lsock, NULL, NULL);
  assert_non_null(W.sock);

  /* DATA_CHANNEL_OPEN by hand: reliable, priority 256, label "chat",
   * protocol "x", on stream 1 */
  static const uint8_t open[] = {0x03, 0x00, 0x01, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x00, 0x04, 0x00, 0x01,
                                 'c',  'h',  'a',  't',  'x'};
  assert_true(u_send(1, 50, open, sizeof(open)) > 0);
  want_u = 1;
  assert_true(run(u_has, 5000));
  assert_true(run(w_channel, 5000));
  assert_int_equal(W.w_ev[WEFT_DC_EVENT_CHANNEL], 1);
  assert_int_equal(W.w_last_id[WEFT_DC_EVENT_CHANNEL], 1);
  weft_dc_channel ci;
  assert_int_equal(weft_dc_channel_info(W.dc, 1, &ci), 0);
  assert_string_equal(ci.label, "chat");
  assert_string_equal(ci.protocol, "x");
  /* the ACK: one byte 0x02, PPID 50, same stream */
  assert_int_equal(W.um[0].sid, 1);
  assert_int_equal(W.um[0].ppid, 50);
  assert_int_equal(W.um[0].len, 1);
  assert_int_equal(W.um[0].data[0], 0x02);

  /* messages both ways */
  assert_true(u_send(1, 51, "hello", 5) > 0);
  w_msgs_n = 1;
  assert_true(run(w_has, 5000));
  assert_int_equal(W.w_len, 5);
  assert_memory_equal(W.w_msg, "hello", 5);
  assert_int_equal(W.w_bin, 0);
  assert_true(u_send(1, 57, "\0", 1) > 0); /* empty binary */
  w_msgs_n = 2;
  assert_true(run(w_has, 5000));
  assert_int_equal(W.w_len, 0);
  assert_int_equal(W.w_bin, 1);
  assert_int_equal(weft_dc_send(W.dc, W.now, 1, "world", 5, 1), 0);
  assert_int_equal(weft_dc_send(W.dc, W.now, 1, NULL, 0, 0), 0);
  want_u = 3;
  assert_true(run(u_has, 5000));
  assert_int_equal(W.um[1].ppid, 53);
  assert_int_equal(W.um[1].len, 5);
  assert_memory_equal(W.um[1].data, "world", 5);
  assert_int_equal(W.um[2].ppid, 56);
  assert_int_equal(W.um[2].len, 1);

  /* weft opens a channel: even id, an OPEN usrsctp decodes */
  weft_dc_channel_init in;
  weft_dc_channel_init_default(&in);
  in.label = "from-weft";
  in.ordered = 0;
  in.max_retransmits = 2;
  uint16_t id;
  assert_int_equal(weft_dc_open(W.dc, W.now, &in, &id), 0);
  assert_int_equal(id, 0);
  want_u = 4;
  assert_true(run(u_has, 5000));
  assert_int_equal(W.um[3].sid, 0);
  assert_int_equal(W.um[3].ppid, 50);
  weft_dcep_open o;
  assert_int_equal(weft_dcep_open_decode(&o, W.um[3].data, W.um[3].len), 0);
  assert_int_equal(o.channel_type, WEFT_DCEP_PR_REXMIT_UNORDERED);
  assert_int_equal(o.reliability, 2);
  assert_int_equal(o.label_len, 9);
  assert_memory_equal(o.label, "from-weft", 9);
  assert_true(u_send(0, 50, "\x02", 1) > 0);
  assert_true(u_send(0, 51, "ok", 2) > 0);
  w_msgs_n = 3;
  assert_true(run(w_has, 5000));
  assert_int_equal(W.w_last_id[WEFT_DC_EVENT_MESSAGE], 0);
  assert_memory_equal(W.w_msg, "ok", 2);

  /* usrsctp closes stream 1: weft resets back, CLOSE */
  size_t sz = sizeof(struct sctp_reset_streams) + sizeof(uint16_t);
  struct sctp_reset_streams *srs = calloc(1, sz);
  srs->srs_assoc_id = SCTP_ALL_ASSOC;
  srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
  srs->srs_number_streams = 1;
  srs->srs_stream_list[0] = 1;
  assert_int_equal(usrsctp_setsockopt(W.sock, IPPROTO_SCTP, SCTP_RESET_STREAMS,
                                      srs, (socklen_t)sz),
                   0);
  free(srs);
  assert_true(run(w_closed, 10000));
  assert_int_equal(W.w_ev[WEFT_DC_EVENT_CLOSING], 1);
  assert_int_equal(W.w_last_id[WEFT_DC_EVENT_CLOSE], 1);
  assert_int_equal(W.nu_reset_in, 1);
  assert_int_equal(W.u_reset_in[0], 1);
  assert_int_equal(weft_dc_channel_count(W.dc), 1);
  assert_int_equal(W.w_ev[WEFT_DC_EVENT_ERROR], 0);
  weft_dc_stats st;
  weft_dc_get_stats(W.dc, &st);
  assert_int_equal(st.dropped, 0);

  usrsctp_close(W.sock);
  usrsctp_close(W.lsock);
  run(NULL, 200);
  usrsctp_deregister_address(&W.token);
  while (W.qlen > 0) {
    free(W.q[W.qhead]);
    W.qhead = (W.qhead + 1) % MAXQ;
    W.qlen--;
  }
  weft_dc_del(W.dc);
}

static int setup(void **state) {
  (void)state;
  usrsctp_init_nothreads(0, conn_output, NULL);
  usrsctp_sysctl_set_sctp_ecn_enable(0);
  usrsctp_sysctl_set_sctp_rto_min_default(100);
  usrsctp_sysctl_set_sctp_rto_initial_default(300);
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
      cmocka_unit_test(test_dcep_with_usrsctp),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
