/* DTLS + SCTP + data channels stacked end to end in memory, as the peer
 * connection will stack them: each side is a weft_dtls whose application
 * records carry the SCTP packets of a weft_dc. Virtual time, a lossy link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "weft/datachannel.h"
#include "weft/dtls.h"

static weft_cert *cert_a, *cert_b, *cert_c;

static int group_setup(void **state) {
  (void)state;
  if (weft_cert_generate(&cert_a, NULL, NULL) ||
      weft_cert_generate(&cert_b, NULL, NULL) ||
      weft_cert_generate(&cert_c, NULL, NULL))
    return -1;
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  weft_cert_del(cert_a);
  weft_cert_del(cert_b);
  weft_cert_del(cert_c);
  return 0;
}

#define QCAP 4096
#define MAXMSG 8

typedef struct pkt {
  weft_tstamp at;
  size_t len;
  uint8_t data[1500];
} pkt;

typedef struct side {
  weft_dtls *dtls;
  weft_dc *dc;
  int dtls_done, dtls_failed, dtls_reason;
  int ev[16];
  int last_id;
  uint8_t *msg[MAXMSG];
  size_t msglen[MAXMSG];
  int msgbin[MAXMSG];
  size_t nmsg;
  pkt *q; /* datagrams to this side, FIFO (constant delay) */
  size_t qhead, qlen;
} side;

typedef struct stack2 {
  side s[2]; /* 0: DTLS client, 1: server */
  weft_tstamp now;
  weft_pcg pcg;
  weft_rand rnd;
  double loss;
} stack2;

static void stack_init(stack2 *k, weft_cert *expect_by_server, double loss) {
  memset(k, 0, sizeof(*k));
  k->now = 1000 * WEFT_SECONDS;
  k->loss = loss;
  weft_pcg_seed(&k->pcg, 31, 3);
  weft_rand_from_pcg(&k->rnd, &k->pcg);
  weft_cert *mine[2] = {cert_a, cert_b};
  weft_cert *theirs[2] = {cert_b, expect_by_server};
  for (int i = 0; i < 2; i++) {
    side *s = &k->s[i];
    weft_dtls_settings ds;
    weft_dtls_settings_default(&ds);
    ds.cert = mine[i];
    ds.role = i == 0 ? WEFT_DTLS_CLIENT : WEFT_DTLS_SERVER;
    ds.nremote_fingerprints = 1;
    assert_int_equal(weft_cert_fingerprint(theirs[i], WEFT_FINGERPRINT_SHA256,
                                           &ds.remote_fingerprints[0]),
                     0);
    ds.log.level = WEFT_LOG_NONE;
    assert_int_equal(weft_dtls_new(&s->dtls, &ds, NULL), 0);
    weft_dc_settings cs;
    weft_dc_settings_default(&cs);
    cs.role = i == 0 ? WEFT_DC_ROLE_CLIENT : WEFT_DC_ROLE_SERVER;
    cs.sctp.rand = &k->rnd;
    cs.sctp.log.level = WEFT_LOG_NONE;
    assert_int_equal(weft_dc_new(&s->dc, &cs, NULL, NULL), 0);
    s->q = calloc(QCAP, sizeof(pkt));
    assert_non_null(s->q);
  }
}

static void stack_free(stack2 *k) {
  for (int i = 0; i < 2; i++) {
    side *s = &k->s[i];
    weft_dc_del(s->dc);
    weft_dtls_del(s->dtls);
    for (size_t m = 0; m < s->nmsg; m++)
      free(s->msg[m]);
    free(s->q);
  }
}

static void link_send(stack2 *k, int from, const uint8_t *d, size_t len) {
  if (k->loss > 0 && weft_pcg_double(&k->pcg) < k->loss)
    return;
  side *to = &k->s[1 - from];
  assert_true(to->qlen < QCAP);
  pkt *p = &to->q[(to->qhead + to->qlen++) % QCAP];
  p->at = k->now + 15 * WEFT_MILLISECONDS;
  p->len = len;
  memcpy(p->data, d, len);
}

static void on_dc_event(side *s, const weft_dc_event *ev) {
  if (ev->type > 0 && ev->type < 16)
    s->ev[ev->type]++;
  s->last_id = ev->id;
  if (ev->type == WEFT_DC_EVENT_MESSAGE && s->nmsg < MAXMSG) {
    s->msg[s->nmsg] = malloc(ev->len + 1);
    if (ev->len > 0)
      memcpy(s->msg[s->nmsg], ev->data, ev->len);
    s->msglen[s->nmsg] = ev->len;
    s->msgbin[s->nmsg++] = ev->binary;
  }
}

/* Drains one side through all three layers; returns whether anything moved. */
static int pump(stack2 *k, int i) {
  side *s = &k->s[i];
  uint8_t buf[1500];
  int moved = 0, n;
  weft_dtls_event de;
  while (weft_dtls_poll_event(s->dtls, &de)) {
    moved = 1;
    if (de.type == WEFT_DTLS_EVENT_HANDSHAKE_DONE) {
      s->dtls_done = 1;
      /* the default SCTP packet fits one DTLS record */
      assert_true(weft_dtls_max_payload(s->dtls) >= WEFT_DC_DEFAULT_MTU);
      assert_int_equal(weft_dc_connect(s->dc, k->now), 0);
    } else if (de.type == WEFT_DTLS_EVENT_DATA) {
      weft_dc_recv(s->dc, k->now, de.data, de.len);
    } else if (de.type == WEFT_DTLS_EVENT_FAILED) {
      s->dtls_failed = 1;
      s->dtls_reason = de.reason;
    }
  }
  weft_dc_event ev;
  while (weft_dc_poll_event(s->dc, &ev)) {
    moved = 1;
    on_dc_event(s, &ev);
  }
  while (weft_dtls_state(s->dtls) == WEFT_DTLS_STATE_CONNECTED &&
         (n = weft_dc_poll_transmit(s->dc, k->now, buf, sizeof(buf))) > 0) {
    moved = 1;
    assert_int_equal(weft_dtls_write(s->dtls, k->now, buf, (size_t)n), 0);
  }
  while ((n = weft_dtls_poll_transmit(s->dtls, k->now, buf, sizeof(buf))) > 0) {
    moved = 1;
    link_send(k, i, buf, (size_t)n);
  }
  return moved;
}

static weft_tstamp next_time(stack2 *k) {
  weft_tstamp t = WEFT_TSTAMP_NONE;
  for (int i = 0; i < 2; i++) {
    side *s = &k->s[i];
    weft_tstamp d = weft_dtls_deadline(s->dtls);
    if (d < t)
      t = d;
    d = weft_dc_deadline(s->dc);
    if (d < t)
      t = d;
    if (s->qlen > 0 && s->q[s->qhead].at < t)
      t = s->q[s->qhead].at;
  }
  return t;
}

/* Runs the two stacks for @p ms of virtual time. */
static void run_ms(stack2 *k, int ms) {
  weft_tstamp until = k->now + (weft_tstamp)ms * WEFT_MILLISECONDS;
  for (int iter = 0; iter < 10000000; iter++) {
    for (int moved = 1, j = 0; moved && j < 100000; j++)
      moved = pump(k, 0) | pump(k, 1);
    weft_tstamp t = next_time(k);
    if (t == WEFT_TSTAMP_NONE || t > until)
      break;
    if (t > k->now)
      k->now = t;
    for (int i = 0; i < 2; i++) {
      side *s = &k->s[i];
      while (s->qlen > 0 && s->q[s->qhead].at <= k->now) {
        pkt *p = &s->q[s->qhead];
        s->qhead = (s->qhead + 1) % QCAP;
        s->qlen--;
        weft_dtls_recv(s->dtls, k->now, p->data, p->len);
      }
      if (weft_dtls_deadline(s->dtls) <= k->now)
        weft_dtls_handle_timeout(s->dtls, k->now);
      if (weft_dc_deadline(s->dc) <= k->now)
        weft_dc_handle_timeout(s->dc, k->now);
    }
  }
  if (k->now < until)
    k->now = until;
}

static void stacked(double loss) {
  stack2 k;
  stack_init(&k, cert_a, loss);
  /* the application opens a channel before anything is connected */
  weft_dc_channel_init in;
  weft_dc_channel_init_default(&in);
  in.label = "chat";
  in.protocol = "v1";
  uint16_t id;
  assert_int_equal(weft_dc_open(k.s[0].dc, k.now, &in, &id), 0);
  assert_int_equal(weft_dtls_start(k.s[0].dtls, k.now), 0);
  run_ms(&k, 5000);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(k.s[i].dtls_done, 1);
    assert_int_equal(k.s[i].ev[WEFT_DC_EVENT_CONNECTED], 1);
    assert_int_equal(k.s[i].ev[WEFT_DC_EVENT_OPEN], 1);
  }
  assert_int_equal(k.s[1].ev[WEFT_DC_EVENT_CHANNEL], 1);
  weft_dc_channel ci;
  assert_int_equal(weft_dc_channel_info(k.s[1].dc, id, &ci), 0);
  assert_string_equal(ci.label, "chat");
  assert_string_equal(ci.protocol, "v1");

  size_t big = 200 * 1024;
  uint8_t *data = malloc(big);
  for (size_t i = 0; i < big; i++)
    data[i] = (uint8_t)(i * 7 + 3);
  assert_int_equal(weft_dc_send(k.s[0].dc, k.now, id, "ping", 4, 0), 0);
  assert_int_equal(weft_dc_send(k.s[0].dc, k.now, id, data, big, 1), 0);
  assert_int_equal(weft_dc_send(k.s[1].dc, k.now, id, "pong", 4, 0), 0);
  assert_int_equal(weft_dc_send(k.s[1].dc, k.now, id, NULL, 0, 1), 0);
  run_ms(&k, 20000);
  assert_int_equal(k.s[1].nmsg, 2);
  assert_int_equal(k.s[1].msglen[0], 4);
  assert_memory_equal(k.s[1].msg[0], "ping", 4);
  assert_int_equal(k.s[1].msglen[1], big);
  assert_memory_equal(k.s[1].msg[1], data, big);
  assert_int_equal(k.s[1].msgbin[1], 1);
  assert_int_equal(k.s[0].nmsg, 2);
  assert_memory_equal(k.s[0].msg[0], "pong", 4);
  assert_int_equal(k.s[0].msglen[1], 0);
  assert_int_equal(k.s[0].msgbin[1], 1);
  free(data);

  assert_int_equal(weft_dc_close(k.s[1].dc, k.now, id), 0);
  run_ms(&k, 5000);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(k.s[i].ev[WEFT_DC_EVENT_CLOSE], 1);
    assert_int_equal(k.s[i].ev[WEFT_DC_EVENT_ERROR], 0);
    assert_int_equal(weft_dc_channel_count(k.s[i].dc), 0);
  }
  assert_int_equal(k.s[0].ev[WEFT_DC_EVENT_CLOSING], 1);
  stack_free(&k);
}

static void test_stacked(void **state) {
  (void)state;
  stacked(0);
}

static void test_stacked_lossy(void **state) {
  (void)state;
  stacked(0.05);
}

/* The server expects another certificate: the handshake fails and no
 * channel ever opens. */
static void test_fingerprint_mismatch(void **state) {
  (void)state;
  stack2 k;
  stack_init(&k, cert_c, 0);
  weft_dc_channel_init in;
  weft_dc_channel_init_default(&in);
  uint16_t id;
  assert_int_equal(weft_dc_open(k.s[0].dc, k.now, &in, &id), 0);
  assert_int_equal(weft_dtls_start(k.s[0].dtls, k.now), 0);
  run_ms(&k, 120000);
  assert_int_equal(k.s[1].dtls_failed, 1);
  assert_int_equal(k.s[1].dtls_reason, WEFT_ERR_DTLS_FINGERPRINT);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(k.s[i].dtls_done, 0);
    assert_int_equal(k.s[i].ev[WEFT_DC_EVENT_CONNECTED], 0);
    assert_int_equal(k.s[i].ev[WEFT_DC_EVENT_OPEN], 0);
    assert_int_equal(k.s[i].ev[WEFT_DC_EVENT_CHANNEL], 0);
    assert_int_equal(k.s[i].nmsg, 0);
  }
  weft_dc_channel ci;
  assert_int_equal(weft_dc_channel_info(k.s[0].dc, id, &ci), 0);
  assert_int_equal(ci.state, WEFT_DC_CONNECTING);
  stack_free(&k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stacked),
      cmocka_unit_test(test_stacked_lossy),
      cmocka_unit_test(test_fingerprint_mismatch),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
