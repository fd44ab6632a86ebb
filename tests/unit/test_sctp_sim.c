/* SCTP through the deterministic simulated network (tests/sim): two hosts
 * on one segment; each association is a sim endpoint on port 5000. Checks
 * byte-exact delivery over a lossy, reordering, duplicating, rate-limited
 * link, and link utilisation on a clean 100 Mbit/s, 50 ms RTT path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim.h"
#include "weft/sctp.h"

#define MS WEFT_MILLISECONDS

typedef struct peer {
  weft_sctp_assoc *a;
  weft_addr to;
  int up;
  uint64_t rx_bytes, rx_msgs, bad;
  struct world *w;
} peer;

typedef struct world {
  sim_net *net;
  sim_topo t;
  peer p[2];
  weft_pcg pcg;
  weft_rand rnd;
  uint64_t sent, target, next_id;
  uint8_t pend[40000]; /* the next message, generated once */
  size_t pend_len;
} world;

static void gen(uint8_t *b, size_t len, uint64_t id) {
  weft_pcg g;
  weft_pcg_seed(&g, id, 11);
  for (size_t i = 0; i < len; i++)
    b[i] = (uint8_t)weft_pcg_next(&g);
  for (size_t i = 0; i < 8 && i < len; i++)
    b[i] = (uint8_t)(id >> (8 * i));
}

static int ok(const uint8_t *b, size_t len) {
  uint64_t id = 0;
  for (size_t i = 0; i < 8; i++)
    id |= (uint64_t)b[i] << (8 * i);
  uint8_t *e = malloc(len);
  gen(e, len, id);
  int r = memcmp(e, b, len) == 0;
  free(e);
  return r;
}

static void events(peer *p) {
  weft_sctp_event ev;
  while (weft_sctp_poll_event(p->a, &ev)) {
    if (ev.type == WEFT_SCTP_EVENT_CONNECTED)
      p->up = 1;
    if (ev.type == WEFT_SCTP_EVENT_MESSAGE) {
      p->rx_msgs++;
      p->rx_bytes += ev.len;
      p->bad += ev.len < 8 || !ok(ev.data, ev.len);
    }
  }
}

static weft_tstamp ep_deadline(void *u) {
  return weft_sctp_deadline(((peer *)u)->a);
}

static void ep_timeout(void *u, weft_tstamp now) {
  weft_sctp_handle_timeout(((peer *)u)->a, now);
}

static void ep_recv(void *u, weft_tstamp now, const weft_addr *from,
                    const weft_addr *to, const uint8_t *data, size_t len) {
  (void)from, (void)to;
  peer *p = u;
  weft_sctp_recv(p->a, now, data, len);
  events(p);
}

static int ep_poll(void *u, weft_tstamp now, weft_addr *from, weft_addr *to,
                   uint8_t *buf, size_t buflen) {
  (void)from;
  peer *p = u;
  int n = weft_sctp_poll_transmit(p->a, now, buf, buflen);
  *to = p->to;
  events(p);
  return n;
}

static void world_new(world *w, const sim_link_dir *d) {
  memset(w, 0, sizeof(*w));
  sim_settings ss;
  sim_settings_default(&ss);
  ss.seed = 5;
  ss.max_packets = 200000;
  assert_int_equal(sim_new(&w->net, &ss, NULL), 0);
  sim_link_config link;
  sim_link_config_symmetric(&link, d);
  assert_int_equal(sim_topo_lan(&w->t, w->net, &link), 0);
  sim_derive_pcg(w->net, 1, &w->pcg);
  weft_rand_from_pcg(&w->rnd, &w->pcg);
  weft_sctp_settings s;
  weft_sctp_settings_default(&s);
  s.rand = &w->rnd;
  s.log.level = WEFT_LOG_NONE;
  sim_endpoint_ops ops = {ep_deadline, ep_timeout, ep_recv, ep_poll, NULL};
  for (int i = 0; i < 2; i++) {
    assert_int_equal(weft_sctp_assoc_new(&w->p[i].a, &s, NULL, NULL), 0);
    w->p[i].w = w;
  }
  w->p[0].to = w->t.b_ip;
  weft_addr_set_port(&w->p[0].to, 5000);
  w->p[1].to = w->t.a_ip;
  weft_addr_set_port(&w->p[1].to, 5000);
  assert_non_null(sim_endpoint_add(w->t.a, 5000, &ops, &w->p[0]));
  assert_non_null(sim_endpoint_add(w->t.b, 5000, &ops, &w->p[1]));
}

static void world_del(world *w) {
  sim_del(w->net);
  weft_sctp_assoc_del(w->p[0].a);
  weft_sctp_assoc_del(w->p[1].a);
}

static int up(sim_net *net, void *u) {
  (void)net;
  world *w = u;
  return w->p[0].up && w->p[1].up;
}

static int done(sim_net *net, void *u) {
  world *w = u;
  uint8_t buf[40000];
  int queued = 0;
  while (w->sent < w->target) {
    size_t len = 8 + weft_pcg_bounded(&w->pcg, sizeof(buf) - 8);
    gen(buf, len, ++w->next_id);
    if (weft_sctp_send(w->p[0].a, sim_now(net), (uint16_t)(w->next_id % 5), 53,
                       buf, len, w->next_id % 4 ? 0 : WEFT_SCTP_UNORDERED, 0,
                       0) != 0) {
      w->next_id--;
      break;
    }
    w->sent += len;
    queued = 1;
  }
  if (queued)
    sim_drain_all(net);
  return w->sent >= w->target && w->p[1].rx_bytes >= w->sent;
}

static double transfer(world *w, uint64_t bytes) {
  assert_int_equal(weft_sctp_connect(w->p[0].a, sim_now(w->net)), 0);
  sim_drain_all(w->net);
  assert_int_equal(
      sim_run_until(w->net, sim_now(w->net) + 30 * WEFT_SECONDS, up, w, 0), 1);
  weft_tstamp t0 = sim_now(w->net);
  w->target = bytes;
  assert_int_equal(sim_run_until(w->net, t0 + 3600 * WEFT_SECONDS, done, w, 0),
                   1);
  assert_int_equal(w->p[1].bad, 0);
  assert_int_equal(w->p[1].rx_bytes, w->sent);
  assert_int_equal(w->p[1].rx_msgs, w->next_id);
  double secs = (double)(sim_now(w->net) - t0) / 1e9;
  weft_sctp_stats st;
  weft_sctp_get_stats(w->p[0].a, &st);
  fprintf(stderr,
          "  %.2f s, rtx %llu fast %llu t3 %llu cwnd %u ssthresh %u srtt "
          "%lld ms\n",
          secs, (unsigned long long)st.retransmits,
          (unsigned long long)st.fast_retransmits,
          (unsigned long long)st.t3_expiries, st.cwnd, st.ssthresh,
          (long long)(st.srtt / 1000000));
  weft_sctp_stats rs;
  weft_sctp_get_stats(w->p[1].a, &rs);
  const sim_link_counters *lc =
      sim_iface_counters(sim_host_iface(w->t.a, 0), 0);
  fprintf(
      stderr,
      "  rx dropped_tsn %llu dup %llu; link up drops queue %llu loss %llu\n",
      (unsigned long long)rs.dropped_tsn, (unsigned long long)rs.duplicate_tsns,
      (unsigned long long)lc->dropped_queue,
      (unsigned long long)lc->dropped_loss);
  return (double)w->sent * 8 / secs / 1e6;
}

#if defined(__SANITIZE_ADDRESS__)
#define SCALE 8
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SCALE 8
#endif
#endif
#ifndef SCALE
#define SCALE 1
#endif
/* Sanitizer builds simulate a slower link, with as many round trips. */
#define CLEAN_MBPS (SCALE > 1 ? 20 : 100)
#define CLEAN_MIB (SCALE > 1 ? 8u : 32u)

static void test_lossy_link(void **state) {
  (void)state;
  sim_link_dir d = {.delay = 15 * MS,
                    .jitter = 2 * MS,
                    .loss = 0.01,
                    .duplicate = 0.005,
                    .reorder = 0.01,
                    .reorder_delay = 5 * MS,
                    .bandwidth_bps = 50000000,
                    .queue_bytes = 256 * 1024};
  world w;
  world_new(&w, &d);
  double mbps = transfer(&w, (16u << 20) / SCALE);
  fprintf(stderr, "sim lossy link: %.1f Mbit/s of 50\n", mbps);
  assert_true(mbps > 1);
  world_del(&w);
}

static void test_clean_utilisation(void **state) {
  (void)state;
  /* 100 Mbit/s (20 under sanitizers), 25 ms per link: 50 ms one way,
   * 100 ms RTT (a's uplink and b's downlink are both crossed). */
  sim_link_dir d = {.delay = 25 * MS,
                    .bandwidth_bps = CLEAN_MBPS * 1000000ull,
                    .queue_bytes = 2 * 1024 * 1024};
  world w;
  world_new(&w, &d);
  double mbps = transfer(&w, CLEAN_MIB << 20);
  fprintf(stderr, "sim clean %d Mbit/s, 100 ms RTT: %.1f Mbit/s\n", CLEAN_MBPS,
          mbps);
  assert_true(mbps > 0.7 * CLEAN_MBPS);
  world_del(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lossy_link),
      cmocka_unit_test(test_clean_utilisation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
