/* weft_dtls over the simulated network (tests/sim): a client behind a NAT
 * and a public server, a WAN with delay, jitter, loss, duplication and
 * reordering, datagrams limited to 1200 bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "sim.h"
#include "weft/dtls.h"

typedef struct ep {
  weft_dtls *d;
  weft_addr peer; /* where to send (the server learns it) */
  int done, failed, closed;
  size_t rxmsgs, rxbytes;
  int seen[256];
} ep;

static void drain_events(ep *e) {
  weft_dtls_event ev;
  while (weft_dtls_poll_event(e->d, &ev)) {
    if (ev.type == WEFT_DTLS_EVENT_HANDSHAKE_DONE)
      e->done = 1;
    else if (ev.type == WEFT_DTLS_EVENT_FAILED)
      e->failed = ev.reason;
    else if (ev.type == WEFT_DTLS_EVENT_CLOSED)
      e->closed = 1;
    else if (ev.type == WEFT_DTLS_EVENT_DATA) {
      e->rxmsgs++;
      e->rxbytes += ev.len;
      e->seen[ev.data[0]]++;
    }
  }
}

static weft_tstamp ep_deadline(void *u) {
  return weft_dtls_deadline(((ep *)u)->d);
}

static void ep_timeout(void *u, weft_tstamp now) {
  ep *e = u;
  weft_dtls_handle_timeout(e->d, now);
  drain_events(e);
}

static void ep_recv(void *u, weft_tstamp now, const weft_addr *from,
                    const weft_addr *to, const uint8_t *data, size_t len) {
  (void)to;
  ep *e = u;
  e->peer = *from;
  weft_dtls_recv(e->d, now, data, len);
  drain_events(e);
}

static int ep_transmit(void *u, weft_tstamp now, weft_addr *from, weft_addr *to,
                       uint8_t *buf, size_t buflen) {
  (void)from;
  ep *e = u;
  int n = weft_dtls_poll_transmit(e->d, now, buf, buflen);
  assert_true(n <= 1200);
  if (n > 0)
    *to = e->peer;
  return n;
}

static int settled(sim_net *net, void *u) {
  (void)net;
  ep *e = u;
  return (e[0].done && e[1].done) || e[0].failed || e[1].failed;
}

static void run_one(uint64_t seed, weft_cert *cc, weft_cert *sc) {
  sim_settings ss;
  sim_settings_default(&ss);
  ss.seed = seed;
  ss.start = WEFT_SECONDS;
  sim_net *net;
  assert_int_equal(sim_new(&net, &ss, NULL), 0);
  sim_nat_config nat;
  sim_nat_config_default(&nat, SIM_NAT_PORT_RESTRICTED);
  sim_link_dir dir = {.delay = 25 * WEFT_MILLISECONDS,
                      .jitter = 5 * WEFT_MILLISECONDS,
                      .loss = 0.15,
                      .duplicate = 0.05,
                      .reorder = 0.05,
                      .mtu = 1200};
  sim_link_config wan;
  sim_link_config_symmetric(&wan, &dir);
  sim_topo t;
  assert_int_equal(sim_topo_nat(&t, net, &nat, NULL, NULL, &wan), 0);

  ep e[2];
  memset(e, 0, sizeof(e));
  weft_dtls_settings s;
  weft_dtls_settings_default(&s);
  s.log.level = WEFT_LOG_NONE;
  s.max_retransmits = 10;
  s.nremote_fingerprints = 1;
  s.cert = cc;
  weft_cert_fingerprint(sc, WEFT_FINGERPRINT_SHA256, &s.remote_fingerprints[0]);
  assert_int_equal(weft_dtls_new(&e[0].d, &s, NULL), 0);
  s.cert = sc;
  s.role = WEFT_DTLS_SERVER;
  weft_cert_fingerprint(cc, WEFT_FINGERPRINT_SHA256, &s.remote_fingerprints[0]);
  assert_int_equal(weft_dtls_new(&e[1].d, &s, NULL), 0);
  e[0].peer = t.b_ip;
  weft_addr_set_port(&e[0].peer, 6000);

  sim_endpoint_ops ops = {ep_deadline, ep_timeout, ep_recv, ep_transmit, NULL};
  sim_endpoint *ea = sim_endpoint_add(t.a, 5000, &ops, &e[0]);
  assert_non_null(ea);
  assert_non_null(sim_endpoint_add(t.b, 6000, &ops, &e[1]));
  weft_tstamp t0 = WEFT_SECONDS;
  assert_int_equal(weft_dtls_start(e[0].d, t0), 0);
  sim_endpoint_drain(ea);
  assert_int_equal(sim_run_until(net, t0 + 300 * WEFT_SECONDS, settled, e, 0),
                   1);
  assert_int_equal(e[0].failed, 0);
  assert_int_equal(e[1].failed, 0);
  assert_true(e[0].done && e[1].done);

  /* Data over the lossy path: DTLS does not resend application data, and
   * its replay window drops the network's duplicates. */
  uint8_t msg[1000];
  memset(msg, 0xab, sizeof(msg));
  for (int i = 0; i < 50; i++) {
    msg[0] = (uint8_t)i;
    assert_int_equal(weft_dtls_write(e[0].d, sim_now(net), msg, sizeof(msg)),
                     0);
    sim_endpoint_drain(ea);
    sim_advance_by(net, 10 * WEFT_MILLISECONDS);
  }
  sim_run_until(net, sim_now(net) + 5 * WEFT_SECONDS, NULL, NULL, 0);
  assert_true(e[1].rxmsgs >= 20); /* about 28% of them are lost */
  for (int i = 0; i < 50; i++)
    assert_true(e[1].seen[i] <= 1);
  assert_int_equal(e[0].failed + e[1].failed, 0);
  weft_dtls_del(e[0].d);
  weft_dtls_del(e[1].d);
  sim_del(net);
}

static void test_dtls_over_sim(void **state) {
  (void)state;
  weft_cert *cc, *sc;
  assert_int_equal(weft_cert_generate(&cc, NULL, NULL), 0);
  assert_int_equal(weft_cert_generate(&sc, NULL, NULL), 0);
  for (uint64_t seed = 1; seed <= 8; seed++)
    run_one(seed, cc, sc);
  weft_cert_del(cc);
  weft_cert_del(sc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dtls_over_sim),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
