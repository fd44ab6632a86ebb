/* weft_dtls and weft_cert: two endpoints joined by an in-memory lossy link in
 * virtual time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/buf.h"
#include "crypto/crypto.h"
#include "weft/dtls.h"

/* ---- certificates, generated once ---------------------------------------- */

static weft_cert *ec_a, *ec_b, *rsa_a, *rsa_b;

static int group_setup(void **state) {
  (void)state;
  weft_cert_settings cs;
  weft_cert_settings_default(&cs);
  if (weft_cert_generate(&ec_a, &cs, NULL) ||
      weft_cert_generate(&ec_b, NULL, NULL))
    return -1;
  cs.key = WEFT_CERT_RSA_2048;
  if (weft_cert_generate(&rsa_a, &cs, NULL) ||
      weft_cert_generate(&rsa_b, &cs, NULL))
    return -1;
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  weft_cert_del(ec_a);
  weft_cert_del(ec_b);
  weft_cert_del(rsa_a);
  weft_cert_del(rsa_b);
  return 0;
}

/* ---- a lossy link in virtual time -----------------------------------------
 */

#define MAX_INFLIGHT 512
#define MAX_RX 400000

typedef struct dgram {
  weft_tstamp at;
  int to;
  size_t len;
  uint8_t data[1500];
} dgram;

typedef struct peer {
  weft_dtls *d;
  int done, failed, reason, closed;
  uint16_t profile;
  int alerts_rcvd, last_alert_rcvd, alerts_sent;
  uint8_t rx[MAX_RX];
  size_t rxlen, rxmsgs;
  size_t max_dgram;
  size_t tx_dgrams;
} peer;

typedef struct tlink {
  peer p[2]; /* 0 client, 1 server */
  dgram q[MAX_INFLIGHT];
  size_t nq;
  weft_tstamp now, delay;
  weft_pcg pcg;
  double loss;
  /* a copy of the first datagram the client sent */
  uint8_t first[1500];
  size_t first_len;
  uint8_t second[1500]; /* first datagram from the server */
  size_t second_len;
  uint8_t client2[1500]; /* the client's second datagram */
  size_t client2_len;
} tlink;

static void settings_for(weft_dtls_settings *s, weft_cert *mine,
                         weft_cert *theirs, int role) {
  weft_dtls_settings_default(s);
  s->cert = mine;
  s->role = role;
  s->nremote_fingerprints = 1;
  assert_int_equal(weft_cert_fingerprint(theirs, WEFT_FINGERPRINT_SHA256,
                                         &s->remote_fingerprints[0]),
                   0);
  s->log.level = getenv("DTLS_DEBUG") ? WEFT_LOG_DEBUG : WEFT_LOG_NONE;
}

static tlink *link_new(const weft_dtls_settings *cs,
                       const weft_dtls_settings *ss, double loss,
                       uint64_t seed) {
  tlink *l = calloc(1, sizeof(*l));
  assert_non_null(l);
  assert_int_equal(weft_dtls_new(&l->p[0].d, cs, NULL), 0);
  assert_int_equal(weft_dtls_new(&l->p[1].d, ss, NULL), 0);
  l->now = 1000 * WEFT_SECONDS;
  l->delay = 20 * WEFT_MILLISECONDS;
  l->loss = loss;
  weft_pcg_seed(&l->pcg, seed, 7);
  return l;
}

static void link_del(tlink *l) {
  weft_dtls_del(l->p[0].d);
  weft_dtls_del(l->p[1].d);
  free(l);
}

static void drain_events(peer *p) {
  weft_dtls_event ev;
  for (int i = 0; i < 100000 && weft_dtls_poll_event(p->d, &ev); i++) {
    switch (ev.type) {
    case WEFT_DTLS_EVENT_HANDSHAKE_DONE:
      p->done++;
      p->profile = ev.srtp_profile;
      break;
    case WEFT_DTLS_EVENT_DATA:
      assert_true(p->rxlen + ev.len <= MAX_RX);
      memcpy(p->rx + p->rxlen, ev.data, ev.len);
      p->rxlen += ev.len;
      p->rxmsgs++;
      break;
    case WEFT_DTLS_EVENT_ALERT:
      if (ev.sent) {
        p->alerts_sent++;
      } else {
        p->alerts_rcvd++;
        p->last_alert_rcvd = ev.alert_description;
      }
      break;
    case WEFT_DTLS_EVENT_CLOSED:
      p->closed++;
      break;
    case WEFT_DTLS_EVENT_FAILED:
      p->failed++;
      p->reason = ev.reason;
      break;
    default:
      fail_msg("unknown event %d", ev.type);
    }
  }
}

static void drain_transmit(tlink *l, int from, size_t mtu) {
  peer *p = &l->p[from];
  uint8_t buf[2000];
  for (int i = 0; i < 10000; i++) {
    int n = weft_dtls_poll_transmit(p->d, l->now, buf, sizeof(buf));
    assert_true(n >= 0);
    if (n == 0)
      return;
    assert_true((size_t)n <= mtu);
    if ((size_t)n > p->max_dgram)
      p->max_dgram = (size_t)n;
    if (from == 0 && p->tx_dgrams == 1) {
      memcpy(l->client2, buf, (size_t)n);
      l->client2_len = (size_t)n;
    }
    if (p->tx_dgrams++ == 0) {
      if (from == 0) {
        memcpy(l->first, buf, (size_t)n);
        l->first_len = (size_t)n;
      } else {
        memcpy(l->second, buf, (size_t)n);
        l->second_len = (size_t)n;
      }
    }
    if (weft_pcg_double(&l->pcg) < l->loss)
      continue;
    assert_true(l->nq < MAX_INFLIGHT);
    dgram *g = &l->q[l->nq++];
    g->at = l->now + l->delay;
    g->to = 1 - from;
    g->len = (size_t)n;
    memcpy(g->data, buf, (size_t)n);
  }
  fail_msg("transmit loop did not end");
}

static void drain(tlink *l, size_t mtu) {
  for (int i = 0; i < 2; i++) {
    drain_transmit(l, i, mtu);
    drain_events(&l->p[i]);
  }
}

/* Runs until nothing is in flight and no deadline is before @p until. */
static void run(tlink *l, weft_tstamp until, size_t mtu) {
  for (int iter = 0; iter < 100000; iter++) {
    drain(l, mtu);
    weft_tstamp next = WEFT_TSTAMP_NONE;
    for (size_t i = 0; i < l->nq; i++)
      if (l->q[i].at < next)
        next = l->q[i].at;
    for (int i = 0; i < 2; i++) {
      weft_tstamp dl = weft_dtls_deadline(l->p[i].d);
      if (dl < next)
        next = dl;
    }
    if (next == WEFT_TSTAMP_NONE || next > until)
      return;
    if (next > l->now)
      l->now = next;
    for (size_t i = 0; i < l->nq;) {
      if (l->q[i].at <= l->now) {
        dgram g = l->q[i];
        memmove(&l->q[i], &l->q[i + 1], (l->nq - i - 1) * sizeof(dgram));
        l->nq--;
        assert_int_equal(weft_dtls_recv(l->p[g.to].d, l->now, g.data, g.len),
                         0);
        drain(l, mtu);
      } else {
        i++;
      }
    }
    for (int i = 0; i < 2; i++)
      if (weft_dtls_deadline(l->p[i].d) <= l->now)
        weft_dtls_handle_timeout(l->p[i].d, l->now);
  }
  fail_msg("simulation did not settle");
}

static tlink *handshake(weft_cert *cc, weft_cert *sc, double loss,
                        uint64_t seed, size_t mtu, unsigned max_rtx) {
  weft_dtls_settings cs, ss;
  settings_for(&cs, cc, sc, WEFT_DTLS_CLIENT);
  settings_for(&ss, sc, cc, WEFT_DTLS_SERVER);
  cs.mtu = ss.mtu = mtu;
  cs.max_retransmits = ss.max_retransmits = max_rtx;
  tlink *l = link_new(&cs, &ss, loss, seed);
  assert_int_equal(weft_dtls_start(l->p[0].d, l->now), 0);
  run(l, l->now + 600 * WEFT_SECONDS, mtu);
  return l;
}

static void assert_connected(tlink *l) {
  for (int i = 0; i < 2; i++) {
    assert_int_equal(l->p[i].failed, 0);
    assert_int_equal(l->p[i].done, 1);
    assert_int_equal(weft_dtls_state(l->p[i].d), WEFT_DTLS_STATE_CONNECTED);
    assert_int_equal(weft_dtls_deadline(l->p[i].d), WEFT_TSTAMP_NONE);
  }
}

/* ---- handshakes -----------------------------------------------------------
 */

static void check_keys(tlink *l) {
  uint8_t kc[100], ks[100];
  int nc = weft_dtls_export_srtp_keys(l->p[0].d, kc, sizeof(kc));
  int ns = weft_dtls_export_srtp_keys(l->p[1].d, ks, sizeof(ks));
  assert_true(nc > 0);
  assert_int_equal(nc, ns);
  assert_memory_equal(kc, ks, (size_t)nc);
  weft_dtls_srtp_keys a, b;
  assert_int_equal(weft_dtls_srtp_keys_get(l->p[0].d, &a), 0);
  assert_int_equal(weft_dtls_srtp_keys_get(l->p[1].d, &b), 0);
  assert_int_equal(a.profile, l->p[0].profile);
  assert_memory_equal(a.local_key, b.remote_key, a.key_len);
  assert_memory_equal(a.remote_key, b.local_key, a.key_len);
  assert_memory_equal(a.local_salt, b.remote_salt, a.salt_len);
  assert_memory_equal(a.remote_salt, b.local_salt, a.salt_len);
  assert_memory_not_equal(a.local_key, a.remote_key, a.key_len);
  assert_int_equal(nc, (int)(2 * (a.key_len + a.salt_len)));
}

static void check_info(tlink *l, const char *cipher, weft_cert *server) {
  weft_dtls_info info;
  weft_dtls_get_info(l->p[0].d, &info);
  assert_string_equal(info.cipher, cipher);
  assert_int_equal(info.version, 0xFEFD);
  assert_int_equal(info.extended_master_secret, 1);
  weft_fingerprint fp;
  assert_int_equal(weft_cert_fingerprint(server, WEFT_FINGERPRINT_SHA256, &fp),
                   0);
  assert_true(weft_fingerprint_equal(&fp, &info.remote_fingerprint));
  weft_dtls_get_info(l->p[1].d, &info);
  assert_int_equal(info.extended_master_secret, 1);
}

static void test_handshake_ecdsa(void **state) {
  (void)state;
  tlink *l = handshake(ec_a, ec_b, 0, 1, 1200, 7);
  assert_connected(l);
  assert_int_equal(l->p[0].profile, WEFT_SRTP_AEAD_AES_128_GCM);
  assert_int_equal(l->p[1].profile, WEFT_SRTP_AEAD_AES_128_GCM);
  check_keys(l);
  check_info(l, "ECDHE-ECDSA-AES128-GCM-SHA256", ec_b);
  weft_dtls_stats st;
  weft_dtls_get_stats(l->p[0].d, &st);
  assert_int_equal(st.retransmits, 0);
  assert_int_equal(st.rx_dropped, 0);
  /* Four flights, packed into few datagrams. */
  assert_true(l->p[0].tx_dgrams <= 3);
  assert_true(l->p[1].tx_dgrams <= 3);
  link_del(l);
}

static void test_handshake_rsa(void **state) {
  (void)state;
  tlink *l = handshake(rsa_a, rsa_b, 0, 2, 1200, 7);
  assert_connected(l);
  check_keys(l);
  check_info(l, "ECDHE-RSA-AES128-GCM-SHA256", rsa_b);
  link_del(l);
}

static void test_srtp_profile_choice(void **state) {
  (void)state;
  weft_dtls_settings cs, ss;
  settings_for(&cs, ec_a, ec_b, WEFT_DTLS_CLIENT);
  settings_for(&ss, ec_b, ec_a, WEFT_DTLS_SERVER);
  ss.srtp_profiles[0] = WEFT_SRTP_AES128_CM_SHA1_80;
  ss.nsrtp_profiles = 1;
  tlink *l = link_new(&cs, &ss, 0, 3);
  assert_int_equal(weft_dtls_start(l->p[0].d, l->now), 0);
  run(l, l->now + 10 * WEFT_SECONDS, 1200);
  assert_connected(l);
  assert_int_equal(l->p[0].profile, WEFT_SRTP_AES128_CM_SHA1_80);
  assert_int_equal(weft_dtls_srtp_profile(l->p[1].d),
                   WEFT_SRTP_AES128_CM_SHA1_80);
  check_keys(l);
  link_del(l);
  /* No common profile: the handshake still works, without SRTP. */
  ss.srtp_profiles[0] = WEFT_SRTP_AEAD_AES_256_GCM;
  cs.srtp_profiles[0] = WEFT_SRTP_AES128_CM_SHA1_32;
  cs.nsrtp_profiles = 1;
  l = link_new(&cs, &ss, 0, 3);
  assert_int_equal(weft_dtls_start(l->p[0].d, l->now), 0);
  run(l, l->now + 10 * WEFT_SECONDS, 1200);
  assert_connected(l);
  assert_int_equal(l->p[0].profile, 0);
  uint8_t k[100];
  assert_int_equal(weft_dtls_export_srtp_keys(l->p[0].d, k, sizeof(k)),
                   WEFT_ERR_INVALID_STATE);
  link_del(l);
}

/* ---- application data -----------------------------------------------------
 */

static void send_random(tlink *l, int from, size_t count, uint8_t *sent,
                        size_t *sentlen) {
  size_t maxp = weft_dtls_max_payload(l->p[from].d);
  assert_true(maxp > 1000 && maxp < 1200);
  uint8_t msg[1200];
  for (size_t i = 0; i < count; i++) {
    size_t n = 1 + weft_pcg_bounded(&l->pcg, (uint32_t)maxp);
    for (size_t j = 0; j < n; j++)
      msg[j] = (uint8_t)weft_pcg_next(&l->pcg);
    assert_int_equal(weft_dtls_write(l->p[from].d, l->now, msg, n), 0);
    memcpy(sent + *sentlen, msg, n);
    *sentlen += n;
    if (i % 8 == 7)
      drain(l, 1200);
  }
}

static void test_app_data(void **state) {
  (void)state;
  tlink *l = handshake(ec_a, ec_b, 0, 4, 1200, 7);
  assert_connected(l);
  static uint8_t sent[2][MAX_RX];
  size_t sentlen[2] = {0, 0};
  send_random(l, 0, 200, sent[0], &sentlen[0]);
  send_random(l, 1, 200, sent[1], &sentlen[1]);
  run(l, l->now + 10 * WEFT_SECONDS, 1200);
  for (int i = 0; i < 2; i++) {
    uint8_t h1[32], h2[32];
    assert_int_equal(l->p[1 - i].rxmsgs, 200);
    assert_int_equal(l->p[1 - i].rxlen, sentlen[i]);
    weft_hash1(WEFT_HASH_SHA256, sent[i], sentlen[i], h1);
    weft_hash1(WEFT_HASH_SHA256, l->p[1 - i].rx, l->p[1 - i].rxlen, h2);
    assert_memory_equal(h1, h2, 32);
  }
  /* Too big for one record within the MTU. */
  uint8_t big[1300] = {0};
  size_t maxp = weft_dtls_max_payload(l->p[0].d);
  assert_int_equal(weft_dtls_write(l->p[0].d, l->now, big, maxp + 1),
                   WEFT_ERR_LIMIT);
  assert_int_equal(weft_dtls_write(l->p[0].d, l->now, big, maxp), 0);
  run(l, l->now + WEFT_SECONDS, 1200);
  assert_true(l->p[0].max_dgram <= 1200);
  assert_int_equal(l->p[1].rxmsgs, 201);
  link_del(l);
}

static void test_write_before_handshake(void **state) {
  (void)state;
  weft_dtls_settings cs;
  settings_for(&cs, ec_a, ec_b, WEFT_DTLS_CLIENT);
  weft_dtls *d;
  assert_int_equal(weft_dtls_new(&d, &cs, NULL), 0);
  uint8_t b[10] = {0};
  assert_int_equal(weft_dtls_write(d, 0, b, sizeof(b)), WEFT_ERR_INVALID_STATE);
  assert_int_equal(weft_dtls_close(d, 0), WEFT_ERR_INVALID_STATE);
  assert_int_equal(weft_dtls_max_payload(d), 0);
  assert_int_equal(weft_dtls_deadline(d), WEFT_TSTAMP_NONE);
  weft_dtls_del(d);
  cs.role = WEFT_DTLS_SERVER;
  assert_int_equal(weft_dtls_new(&d, &cs, NULL), 0);
  assert_int_equal(weft_dtls_start(d, 0), WEFT_ERR_INVALID_STATE);
  weft_dtls_del(d);
  cs.mtu = 100;
  assert_int_equal(weft_dtls_new(&d, &cs, NULL), WEFT_ERR_INVALID_ARGUMENT);
  cs.mtu = 1200;
  cs.cert = NULL;
  assert_int_equal(weft_dtls_new(&d, &cs, NULL), WEFT_ERR_INVALID_ARGUMENT);
}

/* ---- failures --------------------------------------------------------------
 */

static void test_fingerprint_mismatch(void **state) {
  (void)state;
  for (int side = 0; side < 2; side++) {
    weft_dtls_settings cs, ss;
    settings_for(&cs, ec_a, ec_b, WEFT_DTLS_CLIENT);
    settings_for(&ss, ec_b, ec_a, WEFT_DTLS_SERVER);
    weft_dtls_settings *wrong = side == 0 ? &cs : &ss;
    wrong->remote_fingerprints[0].digest[5] ^= 1;
    /* a second, different hash of the wrong cert is no help */
    wrong->nremote_fingerprints = 2;
    assert_int_equal(weft_cert_fingerprint(rsa_a, WEFT_FINGERPRINT_SHA1,
                                           &wrong->remote_fingerprints[1]),
                     0);
    tlink *l = link_new(&cs, &ss, 0, 5);
    assert_int_equal(weft_dtls_start(l->p[0].d, l->now), 0);
    run(l, l->now + 300 * WEFT_SECONDS, 1200);
    peer *v = &l->p[side], *o = &l->p[1 - side];
    assert_int_equal(v->failed, 1);
    assert_int_equal(v->reason, WEFT_ERR_DTLS_FINGERPRINT);
    assert_int_equal(v->done, 0);
    assert_true(v->alerts_sent >= 1);
    assert_int_equal(o->failed, 1);
    assert_int_equal(o->reason, WEFT_ERR_DTLS_ALERT);
    assert_int_equal(o->last_alert_rcvd, 42); /* bad_certificate */
    assert_int_equal(o->done, side == 0 ? 0 : 0);
    for (int i = 0; i < 2; i++) {
      assert_int_equal(weft_dtls_state(l->p[i].d), WEFT_DTLS_STATE_FAILED);
      assert_int_equal(weft_dtls_deadline(l->p[i].d), WEFT_TSTAMP_NONE);
    }
    link_del(l);
  }
}

static void test_fingerprint_other_hash(void **state) {
  (void)state;
  /* A SHA-512 fingerprint next to a wrong SHA-256 one is enough. */
  weft_dtls_settings cs, ss;
  settings_for(&cs, ec_a, ec_b, WEFT_DTLS_CLIENT);
  settings_for(&ss, ec_b, ec_a, WEFT_DTLS_SERVER);
  cs.remote_fingerprints[0].digest[0] ^= 0xff;
  assert_int_equal(weft_cert_fingerprint(ec_b, WEFT_FINGERPRINT_SHA512,
                                         &cs.remote_fingerprints[1]),
                   0);
  cs.nremote_fingerprints = 2;
  tlink *l = link_new(&cs, &ss, 0, 6);
  assert_int_equal(weft_dtls_start(l->p[0].d, l->now), 0);
  run(l, l->now + 10 * WEFT_SECONDS, 1200);
  assert_connected(l);
  link_del(l);
}

static void test_late_fingerprints(void **state) {
  (void)state;
  /* when: 0 never, 1 in the middle of the handshake, 2 before it starts */
  for (int when = 0; when < 3; when++) {
    weft_dtls_settings cs, ss;
    settings_for(&cs, ec_a, ec_b, WEFT_DTLS_CLIENT);
    settings_for(&ss, ec_b, ec_a, WEFT_DTLS_SERVER);
    weft_fingerprint fp = ss.remote_fingerprints[0];
    ss.nremote_fingerprints = 0; /* the answer has not arrived yet */
    tlink *l = link_new(&cs, &ss, 0, 12);
    assert_int_equal(weft_dtls_set_remote_fingerprints(l->p[1].d, &fp, 5),
                     WEFT_ERR_INVALID_ARGUMENT);
    if (when == 2)
      assert_int_equal(weft_dtls_set_remote_fingerprints(l->p[1].d, &fp, 1), 0);
    assert_int_equal(weft_dtls_start(l->p[0].d, l->now), 0);
    run(l, l->now + 2 * WEFT_SECONDS, 1200);
    if (when == 1) { /* the client's certificate has been waiting */
      assert_int_equal(l->p[1].done + l->p[1].failed, 0);
      assert_int_equal(weft_dtls_set_remote_fingerprints(l->p[1].d, &fp, 1), 0);
    }
    run(l, l->now + 300 * WEFT_SECONDS, 1200);
    if (when > 0) {
      assert_connected(l);
    } else { /* never: both give up */
      assert_int_equal(l->p[1].reason, WEFT_ERR_TIMEOUT);
      assert_int_equal(l->p[0].reason, WEFT_ERR_TIMEOUT);
      assert_int_equal(l->p[1].done + l->p[0].done, 0);
    }
    link_del(l);
  }
}

static void test_retransmit_schedule(void **state) {
  (void)state;
  weft_dtls_settings cs;
  settings_for(&cs, ec_a, ec_b, WEFT_DTLS_CLIENT);
  cs.initial_rto = 400 * WEFT_MILLISECONDS;
  cs.max_rto = 2 * WEFT_SECONDS;
  cs.max_retransmits = 5;
  weft_dtls *d;
  assert_int_equal(weft_dtls_new(&d, &cs, NULL), 0);
  weft_tstamp t = 5 * WEFT_SECONDS;
  assert_int_equal(weft_dtls_start(d, t), 0);
  uint8_t first[1500], buf[1500];
  int n0 = weft_dtls_poll_transmit(d, t, first, sizeof(first));
  assert_true(n0 > 100);
  assert_int_equal(weft_dtls_poll_transmit(d, t, buf, sizeof(buf)), 0);
  /* 400 ms, 800, 1600, then capped at 2 s */
  const weft_tstamp gaps[] = {400, 800, 1600, 2000, 2000};
  for (int i = 0; i < 5; i++) {
    weft_tstamp due = t + gaps[i] * WEFT_MILLISECONDS;
    assert_int_equal(weft_dtls_deadline(d), due);
    weft_dtls_handle_timeout(d, due - 1); /* early: nothing */
    assert_int_equal(weft_dtls_poll_transmit(d, due, buf, sizeof(buf)), 0);
    weft_dtls_handle_timeout(d, due);
    int n = weft_dtls_poll_transmit(d, due, buf, sizeof(buf));
    assert_int_equal(n, n0);
    /* same ClientHello, new record sequence number */
    assert_memory_equal(buf + 13, first + 13, (size_t)n0 - 13);
    assert_memory_not_equal(buf + 3, first + 3, 8);
    t = due;
  }
  weft_dtls_handle_timeout(d, weft_dtls_deadline(d));
  weft_dtls_event ev;
  assert_int_equal(weft_dtls_poll_event(d, &ev), 1);
  assert_int_equal(ev.type, WEFT_DTLS_EVENT_FAILED);
  assert_int_equal(ev.reason, WEFT_ERR_TIMEOUT);
  assert_int_equal(weft_dtls_deadline(d), WEFT_TSTAMP_NONE);
  weft_dtls_stats st;
  weft_dtls_get_stats(d, &st);
  assert_int_equal(st.retransmits, 5);
  weft_dtls_del(d);
}

static void test_loss(void **state) {
  (void)state;
  unsigned total_rtx = 0;
  for (uint64_t seed = 100; seed < 110; seed++) {
    tlink *l = handshake(ec_a, ec_b, 0.3, seed, 1200, 10);
    assert_connected(l);
    check_keys(l);
    weft_dtls_stats a, b;
    weft_dtls_get_stats(l->p[0].d, &a);
    weft_dtls_get_stats(l->p[1].d, &b);
    total_rtx += (unsigned)(a.retransmits + b.retransmits);
    /* data still flows over the lossy link (some records lost) */
    link_del(l);
  }
  assert_true(total_rtx >= 5);
}

static void test_loss_rsa_small_mtu(void **state) {
  (void)state;
  for (uint64_t seed = 200; seed < 204; seed++) {
    tlink *l = handshake(rsa_a, rsa_b, 0.3, seed, 400, 10);
    assert_connected(l);
    assert_true(l->p[0].max_dgram <= 400);
    assert_true(l->p[1].max_dgram <= 400);
    link_del(l);
  }
}

static void test_mtu_fragmentation(void **state) {
  (void)state;
  /* RSA certificates (~800 bytes) do not fit a 300-byte datagram: the
   * Certificate messages are fragmented, every datagram stays within. */
  tlink *l = handshake(rsa_a, rsa_b, 0, 7, 300, 7);
  assert_connected(l);
  assert_true(l->p[0].max_dgram <= 300);
  assert_true(l->p[1].max_dgram <= 300);
  assert_true(l->p[1].tx_dgrams >= 5);
  size_t maxp = weft_dtls_max_payload(l->p[0].d);
  assert_true(maxp > 200 && maxp < 300);
  uint8_t b[300] = {1};
  assert_int_equal(weft_dtls_write(l->p[0].d, l->now, b, maxp), 0);
  run(l, l->now + WEFT_SECONDS, 300);
  assert_int_equal(l->p[1].rxmsgs, 1);
  link_del(l);
}

static void test_close_notify(void **state) {
  (void)state;
  tlink *l = handshake(ec_a, ec_b, 0, 8, 1200, 7);
  assert_connected(l);
  uint8_t b[5] = {1, 2, 3, 4, 5};
  assert_int_equal(weft_dtls_write(l->p[0].d, l->now, b, 5), 0);
  assert_int_equal(weft_dtls_close(l->p[0].d, l->now), 0);
  assert_int_equal(weft_dtls_close(l->p[0].d, l->now), WEFT_ERR_INVALID_STATE);
  assert_int_equal(weft_dtls_write(l->p[0].d, l->now, b, 5),
                   WEFT_ERR_INVALID_STATE);
  run(l, l->now + WEFT_SECONDS, 1200);
  assert_int_equal(l->p[1].rxmsgs, 1); /* data before close_notify */
  assert_int_equal(l->p[1].closed, 1);
  assert_int_equal(l->p[1].last_alert_rcvd, 0);
  assert_int_equal(weft_dtls_state(l->p[1].d), WEFT_DTLS_STATE_CLOSED);
  assert_int_equal(weft_dtls_state(l->p[0].d), WEFT_DTLS_STATE_CLOSED);
  assert_int_equal(l->p[0].failed + l->p[1].failed, 0);
  link_del(l);
}

static void test_garbage(void **state) {
  (void)state;
  weft_pcg pcg;
  weft_pcg_seed(&pcg, 9, 9);
  /* A fresh server: garbage never starts or kills it. */
  weft_dtls_settings ss;
  settings_for(&ss, ec_b, ec_a, WEFT_DTLS_SERVER);
  weft_dtls *srv;
  assert_int_equal(weft_dtls_new(&srv, &ss, NULL), 0);
  uint8_t g[1500];
  for (int i = 0; i < 500; i++) {
    size_t n = weft_pcg_bounded(&pcg, sizeof(g));
    for (size_t j = 0; j < n; j++)
      g[j] = (uint8_t)weft_pcg_next(&pcg);
    if (i % 2)
      g[0] = 22;
    assert_int_equal(weft_dtls_recv(srv, 0, g, n), 0);
  }
  weft_dtls_stats st;
  weft_dtls_get_stats(srv, &st);
  assert_int_equal(st.rx_datagrams, 500);
  assert_int_equal(st.rx_dropped, 500);
  assert_int_equal(weft_dtls_state(srv), WEFT_DTLS_STATE_NEW);
  weft_dtls_del(srv);

  /* A connection: framed garbage (bad MAC) and unframed garbage are
   * dropped, data still flows. */
  tlink *l = handshake(ec_a, ec_b, 0, 10, 1200, 7);
  assert_connected(l);
  for (int i = 0; i < 200; i++) {
    size_t n = 13 + weft_pcg_bounded(&pcg, 200);
    for (size_t j = 0; j < n; j++)
      g[j] = (uint8_t)weft_pcg_next(&pcg);
    if (i % 2) { /* a well-framed application data record */
      g[0] = 23, g[1] = 0xfe, g[2] = 0xfd, g[3] = 0, g[4] = 1;
      g[11] = (uint8_t)((n - 13) >> 8), g[12] = (uint8_t)(n - 13);
    }
    assert_int_equal(weft_dtls_recv(l->p[i % 2].d, l->now, g, n), 0);
    drain(l, 1200);
  }
  weft_dtls_get_stats(l->p[0].d, &st);
  assert_true(st.rx_dropped >= 50);
  uint8_t b[3] = {7, 8, 9};
  assert_int_equal(weft_dtls_write(l->p[0].d, l->now, b, 3), 0);
  run(l, l->now + WEFT_SECONDS, 1200);
  assert_int_equal(l->p[1].rxmsgs, 1);
  assert_int_equal(l->p[0].failed + l->p[1].failed, 0);
  link_del(l);
}

/* ---- the wire: use_srtp and extended_master_secret -------------------------
 */

/* Finds extension @p type in a ClientHello or ServerHello datagram. */
static int hello_has_ext(const uint8_t *p, size_t len, uint16_t type,
                         const uint8_t **data, size_t *dlen) {
  weft_rd r;
  uint8_t b8, hs;
  uint16_t b16;
  uint32_t b24;
  weft_rd_init(&r, p, len);
  weft_rd_skip(&r, 13); /* record header */
  weft_rd_u8(&r, &hs);
  weft_rd_skip(&r, 3 + 2 + 3 + 3 + 2 + 32); /* lens, seq, frag, ver, random */
  weft_rd_u8(&r, &b8);                      /* session id */
  weft_rd_skip(&r, b8);
  if (hs == 1) {
    weft_rd_u8(&r, &b8); /* cookie */
    weft_rd_skip(&r, b8);
    weft_rd_u16(&r, &b16); /* cipher suites */
    weft_rd_skip(&r, b16);
    weft_rd_u8(&r, &b8); /* compression methods */
    weft_rd_skip(&r, b8);
  } else {
    weft_rd_skip(&r, 3); /* cipher suite, compression */
  }
  uint16_t extlen;
  weft_rd_u16(&r, &extlen);
  weft_rd ext;
  if (weft_rd_sub(&r, extlen, &ext) != 0)
    return -1;
  (void)b24;
  while (weft_rd_left(&ext) >= 4) {
    uint16_t t, l;
    weft_rd_u16(&ext, &t);
    weft_rd_u16(&ext, &l);
    const uint8_t *v;
    if (weft_rd_view(&ext, l, &v) != 0)
      return -1;
    if (t == type) {
      *data = v;
      *dlen = l;
      return 1;
    }
  }
  return 0;
}

static void test_wire_extensions(void **state) {
  (void)state;
  tlink *l = handshake(ec_a, ec_b, 0, 11, 1200, 7);
  assert_connected(l);
  const uint8_t *v;
  size_t vl;
  /* ClientHello: use_srtp (14) lists 0x0007 then 0x0001, EMS (23) empty */
  assert_int_equal(l->first[13], 1);
  assert_int_equal(hello_has_ext(l->first, l->first_len, 14, &v, &vl), 1);
  const uint8_t want[] = {0, 4, 0, 7, 0, 1, 0};
  assert_int_equal(vl, sizeof(want));
  assert_memory_equal(v, want, sizeof(want));
  assert_int_equal(hello_has_ext(l->first, l->first_len, 23, &v, &vl), 1);
  assert_int_equal(vl, 0);
  /* ServerHello: the chosen profile and EMS */
  assert_int_equal(l->second[13], 2);
  assert_int_equal(hello_has_ext(l->second, l->second_len, 14, &v, &vl), 1);
  const uint8_t chosen[] = {0, 2, 0, 7, 0};
  assert_int_equal(vl, sizeof(chosen));
  assert_memory_equal(v, chosen, sizeof(chosen));
  assert_int_equal(hello_has_ext(l->second, l->second_len, 23, &v, &vl), 1);
  const char *dump = getenv("WEFT_DTLS_DUMP_CLIENTHELLO");
  if (dump != NULL) { /* seeds fuzz/corpus/dtls: ([u16 length][datagram])* */
    FILE *f = fopen(dump, "wb");
    assert_non_null(f);
    uint8_t hdr[2] = {(uint8_t)(l->first_len >> 8), (uint8_t)l->first_len};
    fwrite(hdr, 1, 2, f);
    fwrite(l->first, 1, l->first_len, f);
    hdr[0] = (uint8_t)(l->client2_len >> 8), hdr[1] = (uint8_t)l->client2_len;
    fwrite(hdr, 1, 2, f);
    fwrite(l->client2, 1, l->client2_len, f);
    fclose(f);
  }
  link_del(l);
}

/* ---- fingerprints and certificates -----------------------------------------
 */

static void test_fingerprint_text(void **state) {
  (void)state;
  weft_fingerprint fp, fp2;
  const char *t = "sha-256 "
                  "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:"
                  "3A:15:7B:1E:1B:44:50:90:64:BB:B2:CB";
  assert_int_equal(weft_fingerprint_parse(&fp, t, strlen(t)), 0);
  assert_int_equal(fp.alg, WEFT_FINGERPRINT_SHA256);
  assert_int_equal(fp.len, 32);
  assert_int_equal(fp.digest[0], 0x4a);
  assert_int_equal(fp.digest[31], 0xcb);
  char buf[WEFT_FINGERPRINT_STRLEN];
  assert_int_equal(weft_fingerprint_format(&fp, buf, sizeof(buf)),
                   (int)strlen(t));
  assert_string_equal(buf, t);
  assert_int_equal(weft_fingerprint_format(&fp, buf, 20),
                   WEFT_ERR_BUFFER_TOO_SMALL);
  const char *lower = "  SHA-256\t4a:ad:b9:b1:3f:82:18:3b:54:02:12:df:3e:5d:49:"
                      "6b:19:e5:7c:ab:3a:15:7b:1e:1b:44:50:90:64:bb:b2:cb\r\n";
  assert_int_equal(weft_fingerprint_parse(&fp2, lower, strlen(lower)), 0);
  assert_true(weft_fingerprint_equal(&fp, &fp2));
  const char *sha1 = "sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                     "00:11:22:33";
  assert_int_equal(weft_fingerprint_parse(&fp2, sha1, strlen(sha1)), 0);
  assert_int_equal(fp2.alg, WEFT_FINGERPRINT_SHA1);
  assert_false(weft_fingerprint_equal(&fp, &fp2));
  const char *bad[] = {
      "md2 00:11",
      "sha-256 4A:AD",
      "sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:3",
      "sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:",
      "sha-1 0011:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33",
      "sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:3G",
      "sha-1",
      "",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_true(weft_fingerprint_parse(&fp2, bad[i], strlen(bad[i])) < 0);
  assert_int_equal(weft_fingerprint_parse(&fp2, bad[0], strlen(bad[0])),
                   WEFT_ERR_UNSUPPORTED);
  static const struct {
    int alg;
    size_t len;
    const char *name;
  } algs[] = {{WEFT_FINGERPRINT_MD5, 16, "md5"},
              {WEFT_FINGERPRINT_SHA1, 20, "sha-1"},
              {WEFT_FINGERPRINT_SHA224, 28, "sha-224"},
              {WEFT_FINGERPRINT_SHA256, 32, "sha-256"},
              {WEFT_FINGERPRINT_SHA384, 48, "sha-384"},
              {WEFT_FINGERPRINT_SHA512, 64, "sha-512"}};
  for (size_t i = 0; i < 6; i++) {
    assert_int_equal(weft_cert_fingerprint(ec_a, algs[i].alg, &fp), 0);
    assert_int_equal(fp.len, algs[i].len);
    assert_string_equal(weft_fingerprint_alg_name(algs[i].alg), algs[i].name);
    int n = weft_fingerprint_format(&fp, buf, sizeof(buf));
    assert_int_equal(n, (int)(strlen(algs[i].name) + 3 * algs[i].len));
    assert_int_equal(weft_fingerprint_parse(&fp2, buf, (size_t)n), 0);
    assert_true(weft_fingerprint_equal(&fp, &fp2));
  }
}

static void test_cert_pem(void **state) {
  (void)state;
  static char pem[16384];
  weft_cert *c[2] = {ec_a, rsa_a};
  for (int i = 0; i < 2; i++) {
    int n = weft_cert_to_pem(c[i], pem, sizeof(pem));
    assert_true(n > 0);
    assert_non_null(strstr(pem, "BEGIN CERTIFICATE"));
    assert_non_null(strstr(pem, "PRIVATE KEY"));
    weft_cert *back;
    assert_int_equal(weft_cert_from_pem(&back, pem, (size_t)n, NULL, 0, NULL),
                     0);
    weft_fingerprint f1, f2;
    weft_cert_fingerprint(c[i], WEFT_FINGERPRINT_SHA256, &f1);
    weft_cert_fingerprint(back, WEFT_FINGERPRINT_SHA256, &f2);
    assert_true(weft_fingerprint_equal(&f1, &f2));
    weft_cert_del(back);
    /* files: certificate and key in separate files */
    char cp[] = "/tmp/weft_dtls_certXXXXXX", kp[] = "/tmp/weft_dtls_keyXXXXXX";
    int cf = mkstemp(cp), kf = mkstemp(kp);
    assert_true(cf >= 0 && kf >= 0);
    char *key = strstr(pem, "-----BEGIN PRIVATE KEY");
    assert_non_null(key);
    assert_int_equal(write(cf, pem, (size_t)(key - pem)), key - pem);
    assert_int_equal(write(kf, key, strlen(key)), (ssize_t)strlen(key));
    close(cf);
    close(kf);
    assert_int_equal(weft_cert_load_pem(&back, cp, kp, NULL), 0);
    weft_cert_fingerprint(back, WEFT_FINGERPRINT_SHA256, &f2);
    assert_true(weft_fingerprint_equal(&f1, &f2));
    weft_cert_del(back);
    /* the certificate file alone has no key */
    assert_int_equal(weft_cert_load_pem(&back, cp, NULL, NULL),
                     WEFT_ERR_CERTIFICATE);
    unlink(cp);
    unlink(kp);
  }
  weft_cert *x;
  assert_int_equal(weft_cert_load_pem(&x, "/nonexistent/weft.pem", NULL, NULL),
                   WEFT_ERR_IO);
  assert_int_equal(weft_cert_from_pem(&x, "garbage", 7, NULL, 0, NULL),
                   WEFT_ERR_CERTIFICATE);
  /* a key that is not the certificate's */
  int n = weft_cert_to_pem(ec_a, pem, sizeof(pem));
  static char other[16384];
  int m = weft_cert_to_pem(ec_b, other, sizeof(other));
  char *okey = strstr(other, "-----BEGIN PRIVATE KEY");
  assert_true(n > 0 && m > 0 && okey != NULL);
  char *key = strstr(pem, "-----BEGIN PRIVATE KEY");
  assert_int_equal(weft_cert_from_pem(&x, pem, (size_t)(key - pem), okey,
                                      strlen(okey), NULL),
                   WEFT_ERR_CERTIFICATE);
}

static void test_cert_settings(void **state) {
  (void)state;
  weft_cert_settings cs;
  weft_cert_settings_default(&cs);
  assert_int_equal(cs.key, WEFT_CERT_ECDSA_P256);
  assert_int_equal(cs.validity_seconds, 30u * 86400);
  cs.not_before = 1700000000;
  cs.common_name = "other";
  weft_cert *c;
  assert_int_equal(weft_cert_generate(&c, &cs, NULL), 0);
  static char pem[8192];
  assert_true(weft_cert_to_pem(c, pem, sizeof(pem)) > 0);
  weft_cert_del(c);
  cs.key = 99;
  assert_int_equal(weft_cert_generate(&c, &cs, NULL),
                   WEFT_ERR_INVALID_ARGUMENT);
  /* two generated certificates differ (random keys and serials) */
  weft_fingerprint a, b;
  weft_cert_fingerprint(ec_a, WEFT_FINGERPRINT_SHA256, &a);
  weft_cert_fingerprint(ec_b, WEFT_FINGERPRINT_SHA256, &b);
  assert_false(weft_fingerprint_equal(&a, &b));
  assert_string_equal(weft_srtp_profile_name(WEFT_SRTP_AES128_CM_SHA1_80),
                      "SRTP_AES128_CM_SHA1_80");
  size_t k, s;
  assert_int_equal(
      weft_srtp_profile_lengths(WEFT_SRTP_AEAD_AES_256_GCM, &k, &s), 0);
  assert_int_equal(k, 32);
  assert_int_equal(s, 12);
  assert_int_equal(weft_srtp_profile_lengths(3, &k, &s), WEFT_ERR_UNSUPPORTED);
}

/* ---- allocation failures
 * ----------------------------------------------------- */

typedef struct failmem {
  int left; /* allocations that succeed; then every one fails */
} failmem;

static void *fm_malloc(size_t n, void *u) {
  failmem *f = u;
  return f->left-- > 0 ? malloc(n) : NULL;
}
static void fm_free(void *p, void *u) {
  (void)u;
  free(p);
}
static void *fm_calloc(size_t a, size_t b, void *u) {
  failmem *f = u;
  return f->left-- > 0 ? calloc(a, b) : NULL;
}
static void *fm_realloc(void *p, size_t n, void *u) {
  failmem *f = u;
  return f->left-- > 0 ? realloc(p, n) : NULL;
}

static void test_alloc_failures(void **state) {
  (void)state;
  int connected = 0;
  for (int n = 0; n < 40; n++) {
    failmem fm = {n};
    weft_mem mem = {&fm, fm_malloc, fm_free, fm_calloc, fm_realloc};
    weft_dtls_settings cs, ss;
    settings_for(&cs, ec_a, ec_b, WEFT_DTLS_CLIENT);
    settings_for(&ss, ec_b, ec_a, WEFT_DTLS_SERVER);
    tlink *l = calloc(1, sizeof(*l));
    assert_non_null(l);
    int rc = weft_dtls_new(&l->p[0].d, &cs, &mem);
    int rs = weft_dtls_new(&l->p[1].d, &ss, &mem);
    if (rc != 0 || rs != 0) {
      assert_true(rc == WEFT_ERR_NOMEM || rs == WEFT_ERR_NOMEM);
      link_del(l);
      continue;
    }
    l->now = WEFT_SECONDS;
    l->delay = WEFT_MILLISECONDS;
    weft_pcg_seed(&l->pcg, 1, 1);
    weft_dtls_start(l->p[0].d, l->now);
    run(l, l->now + 300 * WEFT_SECONDS, 1200);
    if (l->p[0].done && l->p[1].done)
      connected++;
    link_del(l);
  }
  assert_true(connected > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fingerprint_text),
      cmocka_unit_test(test_cert_pem),
      cmocka_unit_test(test_cert_settings),
      cmocka_unit_test(test_handshake_ecdsa),
      cmocka_unit_test(test_handshake_rsa),
      cmocka_unit_test(test_srtp_profile_choice),
      cmocka_unit_test(test_app_data),
      cmocka_unit_test(test_write_before_handshake),
      cmocka_unit_test(test_fingerprint_mismatch),
      cmocka_unit_test(test_fingerprint_other_hash),
      cmocka_unit_test(test_late_fingerprints),
      cmocka_unit_test(test_retransmit_schedule),
      cmocka_unit_test(test_loss),
      cmocka_unit_test(test_loss_rsa_small_mtu),
      cmocka_unit_test(test_mtu_fragmentation),
      cmocka_unit_test(test_close_notify),
      cmocka_unit_test(test_garbage),
      cmocka_unit_test(test_wire_extensions),
      cmocka_unit_test(test_alloc_failures),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
