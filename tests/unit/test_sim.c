/* Tests of the deterministic simulated network (tests/sim/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/sim.h"

#define MS WEFT_MILLISECONDS
#define US WEFT_MICROSECONDS
#define SEC WEFT_SECONDS

static sim_net *new_net(uint64_t seed) {
  sim_settings s;
  sim_settings_default(&s);
  s.seed = seed;
  s.inbox_max = 200000;
  sim_net *net = NULL;
  assert_int_equal(sim_new(&net, &s, NULL), 0);
  return net;
}

static void put_seq(uint8_t *buf, uint32_t seq) {
  buf[0] = (uint8_t)(seq >> 24);
  buf[1] = (uint8_t)(seq >> 16);
  buf[2] = (uint8_t)(seq >> 8);
  buf[3] = (uint8_t)seq;
}

static uint32_t get_seq(const uint8_t *buf) {
  return (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
         (uint32_t)buf[2] << 8 | buf[3];
}

/* Sends @p n datagrams of @p size bytes (sequence number first), one every
 * @p gap of virtual time, from a:1000 to b:2000. */
static void send_stream(sim_topo *t, uint32_t n, size_t size, weft_tstamp gap) {
  weft_addr from = t->a_ip, to = t->b_ip;
  weft_addr_set_port(&from, 1000);
  weft_addr_set_port(&to, 2000);
  uint8_t buf[2048];
  memset(buf, 0xab, sizeof(buf));
  for (uint32_t i = 0; i < n; i++) {
    put_seq(buf, i);
    assert_int_equal(sim_host_send(t->a, &from, &to, buf, size), 0);
    if (gap > 0)
      assert_int_equal(sim_advance_by(t->net, gap), 0);
  }
}

/* ---- basics -------------------------------------------------------------- */

static void test_lan_delivery(void **state) {
  (void)state;
  sim_net *net = new_net(1);
  sim_link_dir d = {.delay = 5 * MS};
  sim_link_config link;
  sim_link_config_symmetric(&link, &d);
  sim_topo t;
  assert_int_equal(sim_topo_lan(&t, net, &link), 0);
  weft_addr from = sim_addr("10.0.0.1", 1000), to = sim_addr("10.0.0.2", 2000);
  assert_int_equal(sim_send(net, &from, &to, (const uint8_t *)"hello", 5), 0);
  /* a's uplink then b's downlink: 10 ms */
  assert_int_equal(sim_next_event_time(net), 5 * MS);
  assert_int_equal(sim_advance(net, 9 * MS), 0);
  assert_int_equal(sim_inbox_count(net, t.b), 0);
  assert_int_equal(sim_advance(net, 10 * MS), 0);
  assert_int_equal(sim_inbox_count(net, t.b), 1);
  sim_dgram dg;
  uint8_t buf[16];
  assert_int_equal(sim_poll_delivery(net, NULL, &dg, buf, 2),
                   WEFT_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(dg.len, 5);
  assert_int_equal(sim_poll_delivery(net, NULL, &dg, buf, sizeof(buf)), 5);
  assert_memory_equal(buf, "hello", 5);
  assert_ptr_equal(dg.host, t.b);
  assert_true(weft_addr_equal(&dg.from, &from));
  assert_true(weft_addr_equal(&dg.to, &to));
  assert_int_equal(dg.time, 10 * MS);
  assert_int_equal(sim_poll_delivery(net, NULL, &dg, buf, sizeof(buf)), 0);
  assert_int_equal(sim_next_event_time(net), WEFT_TSTAMP_NONE);
  assert_int_equal(sim_get_counters(net)->delivered, 1);
  sim_del(net);
}

static void test_bad_sends(void **state) {
  (void)state;
  sim_net *net = new_net(1);
  sim_topo t;
  assert_int_equal(sim_topo_lan(&t, net, NULL), 0);
  weft_addr a = sim_addr("10.0.0.1", 1), b = sim_addr("10.0.0.2", 2);
  weft_addr x = sim_addr("10.9.9.9", 3), v6 = sim_addr("::1", 4);
  const uint8_t d[1] = {0};
  assert_int_equal(sim_send(net, &x, &b, d, 1), WEFT_ERR_NOT_FOUND);
  assert_int_equal(sim_send(net, &a, &v6, d, 1), WEFT_ERR_INVALID_ARGUMENT);
  assert_int_equal(sim_send(net, &a, &b, d, 0), WEFT_ERR_INVALID_ARGUMENT);
  assert_int_equal(sim_host_send(t.a, &b, &a, d, 1), WEFT_ERR_INVALID_ARGUMENT);
  /* unknown destination: accepted, then dropped for want of a route */
  assert_int_equal(sim_send(net, &a, &x, d, 1), 0);
  assert_int_equal(sim_advance(net, SEC), 0);
  assert_int_equal(sim_get_counters(net)->dropped_no_route, 1);
  /* the same IP twice on one segment is refused */
  sim_host *h = sim_host_new(net, "dup");
  sim_iface *f = sim_host_attach(h, t.internet, NULL);
  assert_int_equal(sim_iface_add_addr_str(f, "10.0.0.1"), WEFT_ERR_EXISTS);
  sim_del(net);
}

static void test_ipv6_and_removed_addr(void **state) {
  (void)state;
  sim_net *net = new_net(1);
  sim_seg *seg = sim_seg_new(net, "net6");
  sim_host *a = sim_host_add(net, seg, "a", "2001:db8::1", NULL);
  sim_host *b = sim_host_add(net, seg, "b", "2001:db8::2", NULL);
  assert_non_null(a);
  assert_non_null(b);
  assert_int_equal(sim_iface_add_addr_str(sim_host_iface(b, 0), "10.0.0.2"), 0);
  weft_addr ip;
  assert_int_equal(sim_host_addr(b, AF_INET, 0, &ip), 0);
  assert_int_equal(sim_host_addr(b, AF_INET6, 1, &ip), WEFT_ERR_NOT_FOUND);
  weft_addr from = sim_addr("2001:db8::1", 5), to = sim_addr("2001:db8::2", 6);
  assert_int_equal(sim_send(net, &from, &to, (const uint8_t *)"x", 1), 0);
  assert_int_equal(sim_advance(net, 1), 0);
  assert_int_equal(sim_inbox_count(net, b), 1);
  /* a network change: b loses the address while a datagram is in flight */
  sim_link_dir d = {.delay = 10 * MS};
  sim_link_config link;
  sim_link_config_symmetric(&link, &d);
  sim_iface_set_link(sim_host_iface(b, 0), &link);
  assert_int_equal(sim_send(net, &from, &to, (const uint8_t *)"y", 1), 0);
  assert_int_equal(sim_iface_remove_addr(sim_host_iface(b, 0), &to), 0);
  assert_int_equal(sim_advance(net, SEC), 0);
  assert_int_equal(sim_inbox_count(net, b), 1);
  assert_int_equal(sim_get_counters(net)->dropped_no_route, 1);
  sim_del(net);
}

/* ---- determinism --------------------------------------------------------- */

static uint64_t lossy_run(uint64_t seed, size_t *delivered) {
  sim_net *net = new_net(seed);
  sim_link_dir d = {.delay = 20 * MS,
                    .jitter = 5 * MS,
                    .loss = 0.05,
                    .duplicate = 0.02,
                    .reorder = 0.05,
                    .bandwidth_bps = 20000000,
                    .queue_bytes = 30000};
  sim_link_config link;
  sim_link_config_symmetric(&link, &d);
  sim_topo t;
  assert_int_equal(sim_topo_lan(&t, net, &link), 0);
  send_stream(&t, 2000, 1200, 600 * US);
  assert_int_equal(sim_advance_by(net, 10 * SEC), 0);
  *delivered = sim_inbox_count(net, t.b);
  uint64_t h = sim_trace_hash(net);
  sim_del(net);
  return h;
}

static void test_determinism(void **state) {
  (void)state;
  size_t n1, n2, n3;
  uint64_t h1 = lossy_run(42, &n1);
  uint64_t h2 = lossy_run(42, &n2);
  uint64_t h3 = lossy_run(43, &n3);
  assert_true(n1 > 1500);
  assert_int_equal(h1, h2);
  assert_int_equal(n1, n2);
  assert_true(h1 != h3);
}

/* ---- link model ---------------------------------------------------------- */

static sim_net *one_way(uint64_t seed, const sim_link_dir *up, sim_topo *t) {
  sim_net *net = new_net(seed);
  sim_link_config link;
  memset(&link, 0, sizeof(link));
  link.up = *up; /* only a's uplink is impaired; b's links are ideal */
  assert_int_equal(sim_topo_lan(t, net, NULL), 0);
  sim_iface_set_link(sim_host_iface(t->a, 0), &link);
  return net;
}

static void test_delay_jitter_stats(void **state) {
  (void)state;
  sim_link_dir d = {.delay = 20 * MS, .jitter = 10 * MS};
  sim_topo t;
  sim_net *net = one_way(7, &d, &t);
  const uint32_t n = 10000;
  /* spaced wider than the jitter so FIFO order never holds one back */
  send_stream(&t, n, 100, 20 * MS);
  assert_int_equal(sim_advance_by(net, SEC), 0);
  weft_tstamp lo = WEFT_TSTAMP_NONE, hi = 0;
  double sum = 0, sumsq = 0;
  sim_dgram dg;
  uint8_t buf[2048];
  uint32_t got = 0;
  while (sim_poll_delivery(net, t.b, &dg, buf, sizeof(buf)) > 0) {
    weft_tstamp sent = (weft_tstamp)get_seq(buf) * 20 * MS;
    weft_tstamp lat = dg.time - sent;
    lo = lat < lo ? lat : lo;
    hi = lat > hi ? lat : hi;
    sum += (double)lat;
    sumsq += (double)lat * (double)lat;
    got++;
  }
  assert_int_equal(got, n);
  assert_true(lo >= 20 * MS);
  assert_true(hi <= 30 * MS);
  double mean = sum / n, var = sumsq / n - mean * mean;
  /* uniform on [20, 30] ms: mean 25 ms, sd 10/sqrt(12) = 2.89 ms */
  assert_true(mean > 24.8e6 && mean < 25.2e6);
  assert_true(var > 2.7e6 * 2.7e6 && var < 3.1e6 * 3.1e6);
  assert_true(lo < 20.1 * MS && hi > 29.9 * MS);
  sim_del(net);
}

static void test_loss_rate(void **state) {
  (void)state;
  sim_link_dir d = {.delay = MS, .loss = 0.1};
  sim_topo t;
  sim_net *net = one_way(3, &d, &t);
  const uint32_t n = 100000;
  send_stream(&t, n, 200, 0);
  assert_int_equal(sim_advance_by(net, SEC), 0);
  const sim_link_counters *c = sim_iface_counters(sim_host_iface(t.a, 0), 0);
  assert_int_equal(c->sent, n);
  assert_int_equal(c->dropped_loss + c->delivered, n);
  /* binomial sd = sqrt(n p (1-p)) = 95: allow ~5 sd */
  assert_true(c->dropped_loss > 10000 - 500 && c->dropped_loss < 10000 + 500);
  assert_int_equal(sim_inbox_count(net, t.b), c->delivered);
  assert_int_equal(sim_get_counters(net)->delivered, c->delivered);
  sim_del(net);
}

static void test_burst_loss(void **state) {
  (void)state;
  sim_link_dir d = {.delay = MS, .loss = 0.1, .loss_burst = 5};
  sim_topo t;
  sim_net *net = one_way(3, &d, &t);
  const uint32_t n = 100000;
  send_stream(&t, n, 100, 0);
  assert_int_equal(sim_advance_by(net, SEC), 0);
  sim_dgram dg;
  uint8_t buf[256];
  uint32_t expect = 0, bursts = 0, lostn = 0;
  while (sim_poll_delivery(net, t.b, &dg, buf, sizeof(buf)) > 0) {
    uint32_t s = get_seq(buf);
    if (s != expect) {
      bursts++;
      lostn += s - expect;
    }
    expect = s + 1;
  }
  lostn += n - expect;
  bursts += expect != n;
  const sim_link_counters *c = sim_iface_counters(sim_host_iface(t.a, 0), 0);
  assert_int_equal(c->dropped_loss, lostn);
  assert_true(lostn > 9000 && lostn < 11000);
  double mean = (double)lostn / bursts;
  assert_true(mean > 4.5 && mean < 5.5);
  sim_del(net);
}

static void test_link_down_and_mtu(void **state) {
  (void)state;
  sim_link_dir d = {.loss = 1.0, .mtu = 500};
  sim_topo t;
  sim_net *net = one_way(3, &d, &t);
  send_stream(&t, 10, 600, 0);
  send_stream(&t, 10, 400, 0);
  assert_int_equal(sim_advance_by(net, SEC), 0);
  const sim_link_counters *c = sim_iface_counters(sim_host_iface(t.a, 0), 0);
  assert_int_equal(c->dropped_mtu, 10);
  assert_int_equal(c->dropped_loss, 10);
  assert_int_equal(sim_inbox_count(net, NULL), 0);
  sim_del(net);
}

static void test_bandwidth(void **state) {
  (void)state;
  sim_link_dir d = {.delay = 10 * MS, .bandwidth_bps = 1000000};
  sim_topo t;
  sim_net *net = one_way(3, &d, &t);
  /* 1000 x 1250 bytes = 10 Mbit, all offered at time 0 */
  send_stream(&t, 1000, 1250, 0);
  assert_int_equal(sim_advance_by(net, 20 * SEC), 0);
  sim_dgram dg;
  uint8_t buf[2048];
  weft_tstamp first = 0, last = 0;
  uint32_t got = 0;
  while (sim_poll_delivery(net, t.b, &dg, buf, sizeof(buf)) > 0) {
    assert_int_equal(get_seq(buf), got); /* FIFO */
    if (got == 0)
      first = dg.time;
    last = dg.time;
    got++;
  }
  assert_int_equal(got, 1000);
  /* first packet: 10 ms serialization + 10 ms delay */
  assert_int_equal(first, 20 * MS);
  assert_int_equal(last, 10 * SEC + 10 * MS);
  double bps = 999.0 * 1250 * 8 / ((double)(last - first) / 1e9);
  assert_true(bps > 0.999e6 && bps < 1.001e6);
  sim_del(net);
}

static void test_queue_limit(void **state) {
  (void)state;
  sim_link_dir d = {.bandwidth_bps = 1000000, .queue_bytes = 10000};
  sim_topo t;
  sim_net *net = one_way(3, &d, &t);
  /* 100 x 1000 bytes at once: the queue takes 10 */
  send_stream(&t, 100, 1000, 0);
  const sim_link_counters *c = sim_iface_counters(sim_host_iface(t.a, 0), 0);
  assert_int_equal(c->dropped_queue, 90);
  assert_int_equal(sim_iface_queued_bytes(sim_host_iface(t.a, 0), SIM_UP),
                   10000);
  /* after 8 ms (one packet serialized) there is room for one more */
  assert_int_equal(sim_advance_by(net, 8 * MS), 0);
  assert_int_equal(sim_iface_queued_bytes(sim_host_iface(t.a, 0), SIM_UP),
                   9000);
  send_stream(&t, 2, 1000, 0);
  assert_int_equal(c->dropped_queue, 91);
  assert_int_equal(sim_advance_by(net, SEC), 0);
  assert_int_equal(c->delivered, 11);
  assert_int_equal(sim_inbox_count(net, t.b), 11);
  sim_del(net);
}

static void test_duplication(void **state) {
  (void)state;
  sim_link_dir d = {.delay = MS, .duplicate = 0.2};
  sim_topo t;
  sim_net *net = one_way(5, &d, &t);
  send_stream(&t, 4000, 100, 100 * US);
  assert_int_equal(sim_advance_by(net, SEC), 0);
  const sim_link_counters *c = sim_iface_counters(sim_host_iface(t.a, 0), 0);
  /* sd = sqrt(4000 * 0.2 * 0.8) = 25 */
  assert_true(c->duplicated > 800 - 125 && c->duplicated < 800 + 125);
  assert_int_equal(c->delivered, 4000 + c->duplicated);
  assert_int_equal(sim_inbox_count(net, t.b), 4000 + c->duplicated);
  /* every sequence number arrives once or twice, in order */
  sim_dgram dg;
  uint8_t buf[256];
  uint32_t prev = 0, twice = 0;
  int first = 1;
  while (sim_poll_delivery(net, t.b, &dg, buf, sizeof(buf)) > 0) {
    uint32_t s = get_seq(buf);
    if (!first && s == prev)
      twice++;
    else
      assert_true(first ? s == 0 : s == prev + 1);
    prev = s;
    first = 0;
  }
  assert_int_equal(prev, 3999);
  assert_int_equal(twice, c->duplicated);
  sim_del(net);
}

static uint32_t inversions(sim_net *net, sim_host *h, uint32_t *count) {
  sim_dgram dg;
  uint8_t buf[256];
  uint32_t maxseen = 0, inv = 0, n = 0;
  while (sim_poll_delivery(net, h, &dg, buf, sizeof(buf)) > 0) {
    uint32_t s = get_seq(buf);
    if (n > 0 && s < maxseen)
      inv++;
    maxseen = s > maxseen ? s : maxseen;
    n++;
  }
  *count = n;
  return inv;
}

static void test_reordering(void **state) {
  (void)state;
  /* jitter alone never reorders: the link is FIFO */
  sim_link_dir d = {.delay = 5 * MS, .jitter = 4 * MS};
  sim_topo t;
  sim_net *net = one_way(9, &d, &t);
  send_stream(&t, 2000, 100, 100 * US);
  assert_int_equal(sim_advance_by(net, SEC), 0);
  uint32_t n;
  assert_int_equal(inversions(net, t.b, &n), 0);
  assert_int_equal(n, 2000);
  sim_del(net);
  /* with reordering some packets are overtaken, none lost */
  d.reorder = 0.1;
  net = one_way(9, &d, &t);
  send_stream(&t, 2000, 100, 100 * US);
  assert_int_equal(sim_advance_by(net, SEC), 0);
  const sim_link_counters *c = sim_iface_counters(sim_host_iface(t.a, 0), 0);
  uint32_t inv = inversions(net, t.b, &n);
  assert_int_equal(n, 2000);
  assert_true(c->reordered > 120 && c->reordered < 280);
  assert_true(inv >= c->reordered / 2);
  sim_del(net);
}

static void test_packet_pool_bound(void **state) {
  (void)state;
  sim_settings s;
  sim_settings_default(&s);
  s.max_packets = 100;
  sim_net *net = NULL;
  assert_int_equal(sim_new(&net, &s, NULL), 0);
  sim_topo t;
  assert_int_equal(sim_topo_lan(&t, net, NULL), 0);
  send_stream(&t, 150, 100, 0);
  assert_int_equal(sim_get_counters(net)->dropped_no_buffer, 50);
  assert_int_equal(sim_advance_by(net, SEC), 0);
  assert_int_equal(sim_inbox_count(net, t.b), 100);
  /* the inbox holds them: still no room */
  send_stream(&t, 1, 100, 0);
  assert_int_equal(sim_get_counters(net)->dropped_no_buffer, 51);
  sim_del(net);
}

/* ---- endpoints ----------------------------------------------------------- */

/* A pinger: sends "ping" every 100 ms (its deadline) to the echo server;
 * counts replies. The echo server sends back whatever it gets. */
typedef struct pinger {
  weft_tstamp next;
  weft_addr server;
  int pending;
  int sent, replies;
  weft_tstamp last_reply;
} pinger;

static weft_tstamp ping_deadline(void *ud) {
  return ((pinger *)ud)->next;
}

static void ping_timeout(void *ud, weft_tstamp now) {
  pinger *p = ud;
  p->pending = 1;
  p->next = now + 100 * MS;
}

static void ping_recv(void *ud, weft_tstamp now, const weft_addr *from,
                      const weft_addr *to, const uint8_t *data, size_t len) {
  pinger *p = ud;
  (void)from;
  (void)to;
  if (len == 4 && memcmp(data, "ping", 4) == 0) {
    p->replies++;
    p->last_reply = now;
  }
}

static int ping_poll(void *ud, weft_tstamp now, weft_addr *from, weft_addr *to,
                     uint8_t *buf, size_t buflen) {
  pinger *p = ud;
  (void)now;
  (void)from;
  if (!p->pending || buflen < 4)
    return 0;
  p->pending = 0;
  p->sent++;
  *to = p->server;
  memcpy(buf, "ping", 4);
  return 4;
}

typedef struct echo {
  uint8_t buf[64];
  size_t len;
  weft_addr to;
  int have;
} echo;

static void echo_recv(void *ud, weft_tstamp now, const weft_addr *from,
                      const weft_addr *to, const uint8_t *data, size_t len) {
  echo *e = ud;
  (void)now;
  (void)to;
  if (len <= sizeof(e->buf)) {
    memcpy(e->buf, data, len);
    e->len = len;
    e->to = *from;
    e->have = 1;
  }
}

static void echo_drain(void *ud, sim_endpoint *ep, weft_tstamp now) {
  echo *e = ud;
  (void)now;
  if (e->have)
    sim_endpoint_send(ep, NULL, &e->to, e->buf, e->len);
  e->have = 0;
}

static int ten_replies(sim_net *net, void *ud) {
  (void)net;
  return ((pinger *)ud)->replies >= 10;
}

static void test_endpoints(void **state) {
  (void)state;
  sim_net *net = new_net(1);
  sim_link_dir d = {.delay = 15 * MS};
  sim_link_config link;
  sim_link_config_symmetric(&link, &d);
  sim_topo t;
  sim_nat_config nat;
  sim_nat_config_default(&nat, SIM_NAT_SYMMETRIC);
  assert_int_equal(sim_topo_nat(&t, net, &nat, NULL, NULL, &link), 0);
  pinger p = {.next = 0, .server = sim_addr("192.0.2.1", 7)};
  echo e = {.have = 0};
  sim_endpoint_ops pops = {.deadline = ping_deadline,
                           .handle_timeout = ping_timeout,
                           .recv = ping_recv,
                           .poll_transmit = ping_poll};
  sim_endpoint_ops eops = {.recv = echo_recv, .drain = echo_drain};
  assert_non_null(sim_endpoint_add(t.a, 5000, &pops, &p));
  assert_non_null(sim_endpoint_add(t.server, 7, &eops, &e));
  assert_null(sim_endpoint_add(t.server, 7, &eops, &e));
  /* RTT 60 ms (two links each way); ping n leaves at n * 100 ms */
  assert_int_equal(sim_run_until(net, 10 * SEC, ten_replies, &p, 0), 1);
  assert_int_equal(p.replies, 10);
  assert_int_equal(p.last_reply, 900 * MS + 60 * MS);
  assert_int_equal(sim_now(net), p.last_reply);
  /* the NAT mapped one flow and used the preserved port */
  assert_int_equal(sim_nat_mapping_count(t.nat[0]), 1);
  weft_addr ext;
  assert_int_equal(sim_nat_lookup(t.nat[0], &(weft_addr){0}, &p.server, &ext),
                   WEFT_ERR_NOT_FOUND);
  weft_addr in = sim_addr("10.0.1.2", 5000);
  assert_int_equal(sim_nat_lookup(t.nat[0], &in, &p.server, &ext), 0);
  weft_addr want = sim_addr("203.0.113.1", 5000);
  assert_true(weft_addr_equal(&ext, &want));
  /* deadline reached without the predicate: clock at the deadline */
  assert_int_equal(sim_run_until(net, 20 * SEC, NULL, NULL, 0), 0);
  assert_int_equal(sim_now(net), 20 * SEC);
  assert_int_equal(p.replies, 200);
  /* step budget */
  assert_int_equal(sim_run_until(net, 30 * SEC, NULL, NULL, 5), WEFT_ERR_LIMIT);
  sim_del(net);
}

static weft_tstamp stuck_deadline(void *ud) {
  (void)ud;
  return 0; /* never moves: always due */
}

static void stuck_timeout(void *ud, weft_tstamp now) {
  (void)now;
  (*(int *)ud)++;
}

static void test_stuck_endpoint_bounded(void **state) {
  (void)state;
  sim_settings s;
  sim_settings_default(&s);
  s.max_steps = 1000;
  sim_net *net = NULL;
  assert_int_equal(sim_new(&net, &s, NULL), 0);
  sim_topo t;
  assert_int_equal(sim_topo_lan(&t, net, NULL), 0);
  int calls = 0;
  sim_endpoint_ops ops = {.deadline = stuck_deadline,
                          .handle_timeout = stuck_timeout};
  sim_endpoint *ep = sim_endpoint_add(t.a, 0, &ops, &calls);
  assert_int_equal(sim_advance(net, SEC), WEFT_ERR_LIMIT);
  assert_int_equal(calls, 1000);
  assert_int_equal(sim_now(net), 0);
  sim_endpoint_del(ep);
  assert_int_equal(sim_advance(net, SEC), 0);
  assert_int_equal(sim_now(net), SEC);
  sim_del(net);
}

/* ---- NATs ---------------------------------------------------------------- */

/* a (behind NAT A of @p kind) and public b = 198.51.100.2, server 192.0.2.1 */
typedef struct natfix {
  sim_net *net;
  sim_topo t;
} natfix;

static void nat_setup(natfix *f, const sim_nat_config *cfg) {
  f->net = new_net(11);
  assert_int_equal(sim_topo_nat(&f->t, f->net, cfg, NULL, NULL, NULL), 0);
}

static void xsend(sim_net *net, const char *from, uint16_t fport,
                  const char *to, uint16_t tport) {
  weft_addr a = sim_addr(from, fport), b = sim_addr(to, tport);
  assert_int_equal(sim_send(net, &a, &b, (const uint8_t *)"data", 4), 0);
}

/* Runs 1 s and returns the number of datagrams @p h received; the source of
 * the last one into @p from (when not NULL). */
static int xrecv(sim_net *net, sim_host *h, weft_addr *from) {
  assert_int_equal(sim_advance_by(net, SEC), 0);
  sim_dgram dg;
  uint8_t buf[64];
  int n = 0;
  while (sim_poll_delivery(net, h, &dg, buf, sizeof(buf)) > 0) {
    if (from != NULL)
      *from = dg.from;
    n++;
  }
  return n;
}

/* The external address a's 10.0.1.2:5000 gets toward @p to:@p tport. */
static weft_addr mapped_to(natfix *f, const char *to, uint16_t tport) {
  xsend(f->net, "10.0.1.2", 5000, to, tport);
  sim_host *h = strcmp(to, "192.0.2.1") == 0 ? f->t.server : f->t.b;
  weft_addr from;
  assert_int_equal(xrecv(f->net, h, &from), 1);
  return from;
}

static void check_mapping(int mapping, int same_port_diff, int same_ip_diff) {
  sim_nat_config cfg;
  sim_nat_config_default(&cfg, SIM_NAT_FULL_CONE);
  cfg.mapping = mapping;
  natfix f;
  nat_setup(&f, &cfg);
  weft_addr m1 = mapped_to(&f, "192.0.2.1", 3478);
  weft_addr m1b = mapped_to(&f, "192.0.2.1", 3478);
  weft_addr m2 = mapped_to(&f, "192.0.2.1", 3479);
  weft_addr m3 = mapped_to(&f, "198.51.100.2", 3478);
  weft_addr pub = sim_addr("203.0.113.1", 0);
  assert_true(weft_addr_equal_ip(&m1, &pub));
  assert_true(weft_addr_equal(&m1, &m1b));
  assert_int_equal(weft_addr_equal(&m1, &m2), !same_port_diff);
  assert_int_equal(weft_addr_equal(&m1, &m3), !same_ip_diff);
  assert_int_equal(weft_addr_equal(&m2, &m3), !same_ip_diff);
  size_t want = 1 + (size_t)same_port_diff + (size_t)same_ip_diff;
  assert_int_equal(sim_nat_mapping_count(f.t.nat[0]), want);
  assert_int_equal(sim_nat_get_counters(f.t.nat[0])->mappings_created, want);
  sim_del(f.net);
}

static void test_nat_mapping(void **state) {
  (void)state;
  /* EIM: one external address whatever the destination */
  check_mapping(SIM_NAT_MAP_EI, 0, 0);
  /* ADM: a new remote IP gets a new mapping, a new port of it does not */
  check_mapping(SIM_NAT_MAP_AD, 0, 1);
  /* APDM: any new remote IP:port gets a new mapping */
  check_mapping(SIM_NAT_MAP_APD, 1, 1);
}

/* After a sent to server:3478, which of these reach a: server:3478,
 * server:3479 (same IP, new port), b:3478 (new IP)? */
static void check_filter(int filtering, int port_ok, int ip_ok) {
  sim_nat_config cfg;
  sim_nat_config_default(&cfg, SIM_NAT_FULL_CONE);
  cfg.filtering = filtering;
  natfix f;
  nat_setup(&f, &cfg);
  weft_addr m = mapped_to(&f, "192.0.2.1", 3478);
  uint16_t ext = weft_addr_port(&m);
  const sim_nat_counters *c = sim_nat_get_counters(f.t.nat[0]);
  weft_addr from;
  xsend(f.net, "192.0.2.1", 3478, "203.0.113.1", ext);
  assert_int_equal(xrecv(f.net, f.t.a, &from), 1);
  weft_addr want = sim_addr("192.0.2.1", 3478);
  assert_true(weft_addr_equal(&from, &want));
  xsend(f.net, "192.0.2.1", 3479, "203.0.113.1", ext);
  assert_int_equal(xrecv(f.net, f.t.a, NULL), port_ok);
  xsend(f.net, "198.51.100.2", 3478, "203.0.113.1", ext);
  assert_int_equal(xrecv(f.net, f.t.a, NULL), ip_ok);
  assert_int_equal(c->dropped_filtered, (uint64_t)(2 - port_ok - ip_ok));
  /* a port with no mapping: dropped whatever the filtering */
  xsend(f.net, "192.0.2.1", 3478, "203.0.113.1", (uint16_t)(ext + 1));
  assert_int_equal(xrecv(f.net, f.t.a, NULL), 0);
  assert_int_equal(c->dropped_no_mapping, 1);
  sim_del(f.net);
}

static void test_nat_filtering(void **state) {
  (void)state;
  check_filter(SIM_NAT_FILTER_EI, 1, 1);
  check_filter(SIM_NAT_FILTER_AD, 1, 0);
  check_filter(SIM_NAT_FILTER_APD, 0, 0);
}

static void test_nat_symmetric_blocks_third_party(void **state) {
  (void)state;
  sim_nat_config cfg;
  sim_nat_config_default(&cfg, SIM_NAT_SYMMETRIC);
  natfix f;
  nat_setup(&f, &cfg);
  /* b learns a's mapping toward the server (as STUN would tell a) */
  weft_addr m = mapped_to(&f, "192.0.2.1", 3478);
  uint16_t ext = weft_addr_port(&m);
  /* a sends to b: a new mapping, so b's packets to the STUN-learned
   * address are refused even after a contacted b */
  weft_addr mb = mapped_to(&f, "198.51.100.2", 4000);
  assert_int_not_equal(weft_addr_port(&mb), ext);
  xsend(f.net, "198.51.100.2", 4000, "203.0.113.1", ext);
  assert_int_equal(xrecv(f.net, f.t.a, NULL), 0);
  xsend(f.net, "198.51.100.2", 4000, "203.0.113.1", weft_addr_port(&mb));
  assert_int_equal(xrecv(f.net, f.t.a, NULL), 1);
  sim_del(f.net);
}

static void test_nat_mapping_timeout(void **state) {
  (void)state;
  sim_nat_config cfg;
  sim_nat_config_default(&cfg, SIM_NAT_PORT_RESTRICTED);
  cfg.mapping_timeout = 30 * SEC;
  natfix f;
  nat_setup(&f, &cfg);
  const sim_nat_counters *c = sim_nat_get_counters(f.t.nat[0]);
  weft_addr m = mapped_to(&f, "192.0.2.1", 3478); /* made at t = 0 */
  uint16_t ext = weft_addr_port(&m);
  /* refreshed by outbound traffic at t = 20 s */
  assert_int_equal(sim_advance(f.net, 20 * SEC), 0);
  weft_addr m2 = mapped_to(&f, "192.0.2.1", 3478);
  assert_true(weft_addr_equal(&m, &m2));
  /* inbound at 45 s passes (25 s idle) but does not refresh */
  assert_int_equal(sim_advance(f.net, 45 * SEC), 0);
  xsend(f.net, "192.0.2.1", 3478, "203.0.113.1", ext);
  assert_int_equal(xrecv(f.net, f.t.a, NULL), 1);
  assert_int_equal(sim_nat_mapping_count(f.t.nat[0]), 1);
  /* at 51 s the mapping (last outbound 20 s) is gone */
  assert_int_equal(sim_advance(f.net, 51 * SEC), 0);
  assert_int_equal(sim_nat_mapping_count(f.t.nat[0]), 0);
  xsend(f.net, "192.0.2.1", 3478, "203.0.113.1", ext);
  assert_int_equal(xrecv(f.net, f.t.a, NULL), 0);
  assert_int_equal(c->dropped_no_mapping, 1);
  assert_int_equal(c->mappings_expired, 1);
  /* a new flow makes a new mapping */
  mapped_to(&f, "192.0.2.1", 3478);
  assert_int_equal(c->mappings_created, 2);
  sim_del(f.net);
  /* with inbound refresh, replies alone keep it alive */
  cfg.inbound_refresh = 1;
  nat_setup(&f, &cfg);
  m = mapped_to(&f, "192.0.2.1", 3478);
  for (int i = 1; i <= 5; i++) {
    assert_int_equal(sim_advance(f.net, (weft_tstamp)i * 25 * SEC), 0);
    xsend(f.net, "192.0.2.1", 3478, "203.0.113.1", weft_addr_port(&m));
    assert_int_equal(xrecv(f.net, f.t.a, NULL), 1);
  }
  sim_del(f.net);
}

/* A LAN with two hosts (10.0.1.2, 10.0.1.3) behind one NAT. */
static void two_behind_one(natfix *f, const sim_nat_config *cfg) {
  nat_setup(f, cfg);
  assert_non_null(sim_host_add(f->net, f->t.lan[0], "a2", "10.0.1.3", NULL));
}

static void test_nat_port_assignment(void **state) {
  (void)state;
  sim_nat_config cfg;
  sim_nat_config_default(&cfg, SIM_NAT_FULL_CONE);
  natfix f;
  /* preservation, and a collision falls back to another port */
  two_behind_one(&f, &cfg);
  weft_addr m1 = mapped_to(&f, "192.0.2.1", 3478);
  assert_int_equal(weft_addr_port(&m1), 5000);
  xsend(f.net, "10.0.1.3", 5000, "192.0.2.1", 3478);
  weft_addr m2;
  assert_int_equal(xrecv(f.net, f.t.server, &m2), 1);
  assert_int_not_equal(weft_addr_port(&m2), 5000);
  assert_true(weft_addr_port(&m2) >= 1024);
  sim_del(f.net);
  /* sequential */
  cfg.ports = SIM_NAT_PORT_SEQUENTIAL;
  cfg.port_min = 40000;
  cfg.port_max = 40001;
  cfg.max_mappings = 8;
  two_behind_one(&f, &cfg);
  m1 = mapped_to(&f, "192.0.2.1", 3478);
  assert_int_equal(weft_addr_port(&m1), 40000);
  xsend(f.net, "10.0.1.3", 5000, "192.0.2.1", 3478);
  assert_int_equal(xrecv(f.net, f.t.server, &m2), 1);
  assert_int_equal(weft_addr_port(&m2), 40001);
  /* the range is exhausted: a third flow is dropped */
  xsend(f.net, "10.0.1.3", 5001, "192.0.2.1", 3478);
  assert_int_equal(xrecv(f.net, f.t.server, NULL), 0);
  assert_int_equal(sim_nat_get_counters(f.t.nat[0])->dropped_table_full, 1);
  sim_del(f.net);
  /* random: seeded, so the same seed picks the same port */
  cfg.ports = SIM_NAT_PORT_RANDOM;
  cfg.port_min = 1024;
  cfg.port_max = 65535;
  nat_setup(&f, &cfg);
  m1 = mapped_to(&f, "192.0.2.1", 3478);
  sim_del(f.net);
  nat_setup(&f, &cfg);
  m2 = mapped_to(&f, "192.0.2.1", 3478);
  assert_true(weft_addr_equal(&m1, &m2));
  assert_true(weft_addr_port(&m1) >= 1024);
  sim_del(f.net);
}

static void test_nat_hairpin(void **state) {
  (void)state;
  sim_nat_config cfg;
  sim_nat_config_default(&cfg, SIM_NAT_FULL_CONE);
  natfix f;
  two_behind_one(&f, &cfg);
  /* a2 gets a mapping by talking to the server */
  xsend(f.net, "10.0.1.3", 6000, "192.0.2.1", 3478);
  weft_addr m2;
  assert_int_equal(xrecv(f.net, f.t.server, &m2), 1);
  /* a sends to a2's public address: it comes back in, from a's public
   * address */
  xsend(f.net, "10.0.1.2", 5000, "203.0.113.1", weft_addr_port(&m2));
  sim_dgram dg;
  uint8_t buf[16];
  assert_int_equal(sim_advance_by(f.net, SEC), 0);
  assert_int_equal(sim_poll_delivery(f.net, NULL, &dg, buf, sizeof(buf)), 4);
  assert_string_equal(sim_host_name(dg.host), "a2");
  weft_addr want_from = sim_addr("203.0.113.1", 5000);
  weft_addr want_to = sim_addr("10.0.1.3", 6000);
  assert_true(weft_addr_equal(&dg.from, &want_from));
  assert_true(weft_addr_equal(&dg.to, &want_to));
  assert_int_equal(sim_nat_get_counters(f.t.nat[0])->hairpinned, 1);
  sim_del(f.net);
  /* without hairpinning it is dropped */
  cfg.hairpin = 0;
  two_behind_one(&f, &cfg);
  xsend(f.net, "10.0.1.3", 6000, "192.0.2.1", 3478);
  assert_int_equal(xrecv(f.net, f.t.server, &m2), 1);
  xsend(f.net, "10.0.1.2", 5000, "203.0.113.1", weft_addr_port(&m2));
  assert_int_equal(xrecv(f.net, NULL, NULL), 0);
  assert_int_equal(sim_nat_get_counters(f.t.nat[0])->dropped_hairpin, 1);
  sim_del(f.net);
}

/* Two NATed peers punch a hole as ICE would: each sends to the other's
 * server-reflexive address, and once it has heard from the other, answers
 * the address it heard from (peer-reflexive). Returns whether both heard
 * from each other. */
static int punch(int kind_a, int kind_b) {
  sim_nat_config ca, cb;
  sim_nat_config_default(&ca, kind_a);
  sim_nat_config_default(&cb, kind_b);
  sim_net *net = new_net(5);
  sim_topo t;
  assert_int_equal(sim_topo_nat(&t, net, &ca, &cb, NULL, NULL), 0);
  sim_host *host[2] = {t.a, t.b};
  weft_addr local[2] = {sim_addr("10.0.1.2", 5000), sim_addr("10.0.2.2", 5000)};
  weft_addr server = sim_addr("192.0.2.1", 3478);
  const uint8_t *d = (const uint8_t *)"data";
  /* both learn their server-reflexive address */
  weft_addr peer[2];
  sim_dgram dg;
  uint8_t buf[16];
  for (int i = 0; i < 2; i++) {
    assert_int_equal(sim_host_send(host[i], &local[i], &server, d, 4), 0);
    assert_int_equal(sim_advance_by(net, SEC), 0);
    assert_int_equal(sim_poll_delivery(net, t.server, &dg, buf, sizeof(buf)),
                     4);
    peer[1 - i] = dg.from;
  }
  int got[2] = {0, 0};
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 2; i++)
      assert_int_equal(sim_host_send(host[i], &local[i], &peer[i], d, 4), 0);
    assert_int_equal(sim_advance_by(net, SEC), 0);
    for (int i = 0; i < 2; i++) {
      while (sim_poll_delivery(net, host[i], &dg, buf, sizeof(buf)) > 0) {
        got[i]++;
        peer[i] = dg.from;
      }
    }
  }
  sim_del(net);
  return got[0] > 0 && got[1] > 0;
}

static void test_nat_hole_punching(void **state) {
  (void)state;
  assert_true(punch(SIM_NAT_FULL_CONE, SIM_NAT_FULL_CONE));
  assert_true(punch(SIM_NAT_PORT_RESTRICTED, SIM_NAT_PORT_RESTRICTED));
  assert_true(punch(SIM_NAT_RESTRICTED_CONE, SIM_NAT_SYMMETRIC));
  assert_false(punch(SIM_NAT_PORT_RESTRICTED, SIM_NAT_SYMMETRIC));
  assert_false(punch(SIM_NAT_SYMMETRIC, SIM_NAT_SYMMETRIC));
}

static void test_nested_nat(void **state) {
  (void)state;
  /* carrier-grade NAT: home NAT's outside is the CGN's inside */
  sim_net *net = new_net(1);
  sim_seg *inet = sim_seg_new(net, "internet");
  sim_seg *carrier = sim_seg_new(net, "carrier");
  sim_seg *home = sim_seg_new(net, "home");
  sim_host *srv = sim_host_add(net, inet, "srv", "192.0.2.1", NULL);
  assert_non_null(sim_nat_new(net, "cgn", NULL, inet, "203.0.113.9", NULL,
                              carrier, "100.64.0.1"));
  assert_non_null(sim_nat_new(net, "home", NULL, carrier, "100.64.0.2", NULL,
                              home, "192.168.1.1"));
  assert_null(sim_nat_new(net, "again", NULL, carrier, "100.64.0.3", NULL, home,
                          "192.168.1.254"));
  assert_non_null(sim_host_add(net, home, "pc", "192.168.1.2", NULL));
  xsend(net, "192.168.1.2", 5000, "192.0.2.1", 3478);
  weft_addr from;
  assert_int_equal(xrecv(net, srv, &from), 1);
  weft_addr want = sim_addr("203.0.113.9", 5000);
  assert_true(weft_addr_equal(&from, &want));
  xsend(net, "192.0.2.1", 3478, "203.0.113.9", 5000);
  sim_dgram dg;
  uint8_t buf[16];
  assert_int_equal(sim_advance_by(net, SEC), 0);
  assert_int_equal(sim_poll_delivery(net, NULL, &dg, buf, sizeof(buf)), 4);
  assert_string_equal(sim_host_name(dg.host), "pc");
  sim_del(net);
}

/* ---- trace --------------------------------------------------------------- */

static void count_trace(void *ud, const sim_trace_event *ev) {
  int *counts = ud;
  counts[ev->kind]++;
}

static void test_trace(void **state) {
  (void)state;
  sim_net *net = new_net(1);
  sim_topo t;
  sim_nat_config cfg;
  sim_nat_config_default(&cfg, SIM_NAT_PORT_RESTRICTED);
  assert_int_equal(sim_topo_nat(&t, net, &cfg, NULL, NULL, NULL), 0);
  int counts[16] = {0};
  sim_set_trace(net, count_trace, counts);
  xsend(net, "10.0.1.2", 5000, "192.0.2.1", 1);
  xsend(net, "192.0.2.1", 1, "203.0.113.1", 5000);
  xsend(net, "192.0.2.1", 2, "203.0.113.1", 5000);
  assert_int_equal(sim_advance_by(net, SEC), 0);
  assert_int_equal(counts[SIM_TRACE_SEND], 3);
  assert_int_equal(counts[SIM_TRACE_NAT_OUT], 1);
  assert_int_equal(counts[SIM_TRACE_NAT_IN], 1);
  assert_int_equal(counts[SIM_TRACE_DROP_NAT], 1);
  assert_int_equal(counts[SIM_TRACE_DELIVER], 2);
  assert_string_equal(sim_trace_kind_name(SIM_TRACE_DROP_NAT), "drop-nat");
  sim_del(net);
}

static void test_topo_same_nat_and_ipv6(void **state) {
  (void)state;
  sim_net *net = new_net(1);
  sim_topo t;
  assert_int_equal(sim_topo_same_nat(&t, net, NULL, NULL, NULL), 0);
  assert_non_null(t.nat[0]);
  assert_null(t.nat[1]);
  assert_int_equal(sim_topo_add_ipv6(&t, NULL), 0);
  assert_int_equal(sim_topo_add_ipv6(&t, NULL), WEFT_ERR_EXISTS);
  /* IPv4 between the two goes through the LAN directly */
  xsend(net, "10.0.1.2", 1, "10.0.1.3", 2);
  weft_addr from;
  assert_int_equal(xrecv(net, t.b, &from), 1);
  weft_addr want = sim_addr("10.0.1.2", 1);
  assert_true(weft_addr_equal(&from, &want));
  /* IPv6 goes over the internet, untranslated */
  weft_addr a6;
  assert_int_equal(sim_host_addr(t.a, AF_INET6, 0, &a6), 0);
  assert_true(weft_addr_equal(&a6, &t.a_ip6));
  xsend(net, "2001:db8:a::2", 7, "2001:db8:b::2", 8);
  assert_int_equal(xrecv(net, t.b, &from), 1);
  want = sim_addr("2001:db8:a::2", 7);
  assert_true(weft_addr_equal(&from, &want));
  /* IPv6 sent from the NATed interface's address has no route */
  weft_addr src = sim_addr("10.0.1.2", 1), dst = sim_addr("2001:db8::1", 3);
  assert_int_equal(sim_host_send(t.a, &src, &dst, (const uint8_t *)"x", 1),
                   WEFT_ERR_INVALID_ARGUMENT);
  /* the trace printer writes one line per event */
  char *text = NULL;
  size_t size = 0;
  FILE *mem = open_memstream(&text, &size);
  assert_non_null(mem);
  sim_set_trace(net, sim_trace_print, mem);
  xsend(net, "2001:db8::1", 3478, "2001:db8:a::2", 7);
  assert_int_equal(xrecv(net, t.a, NULL), 1);
  fclose(mem);
  assert_non_null(strstr(text, "deliver"));
  assert_non_null(strstr(text, "[2001:db8::1]:3478 -> [2001:db8:a::2]:7 4"));
  free(text);
  sim_del(net);
}

/* An allocator that fails the n-th allocation and every one after it. */
typedef struct failmem {
  long left; /* allocations that still succeed; < 0: no limit */
  int failed;
} failmem;

static int fm_ok(failmem *f) {
  if (f->left < 0)
    return 1;
  if (f->left == 0) {
    f->failed = 1;
    return 0;
  }
  f->left--;
  return 1;
}

static void *fm_malloc(size_t size, void *ud) {
  return fm_ok(ud) ? malloc(size) : NULL;
}

static void fm_free(void *ptr, void *ud) {
  (void)ud;
  free(ptr);
}

static void *fm_calloc(size_t n, size_t size, void *ud) {
  return fm_ok(ud) ? calloc(n, size) : NULL;
}

static void *fm_realloc(void *ptr, size_t size, void *ud) {
  return fm_ok(ud) ? realloc(ptr, size) : NULL;
}

/* Builds and runs a NAT topology with traffic; returns whether every
 * allocation succeeded. Failures must be reported, never crash or leak. */
static int failing_run(long allow) {
  failmem f = {allow, 0};
  weft_mem mem = {&f, fm_malloc, fm_free, fm_calloc, fm_realloc};
  sim_settings s;
  sim_settings_default(&s);
  s.max_packets = 64;
  sim_net *net = NULL;
  if (sim_new(&net, &s, &mem) != 0) {
    assert_null(net);
    return 0;
  }
  sim_nat_config cfg;
  sim_nat_config_default(&cfg, SIM_NAT_SYMMETRIC);
  cfg.max_mappings = 4;
  sim_topo t;
  int rv = sim_topo_nat(&t, net, &cfg, &cfg, NULL, NULL);
  if (rv == 0)
    rv = sim_topo_add_ipv6(&t, NULL);
  if (rv == 0) {
    for (int i = 0; i < 20; i++) {
      xsend(net, "10.0.1.2", (uint16_t)(5000 + i % 3), "192.0.2.1", 3478);
      xsend(net, "192.0.2.1", 3478, "203.0.113.1", 5000);
      xsend(net, "10.0.2.2", 5000, "192.0.2.1", (uint16_t)(1 + i));
    }
    assert_int_equal(sim_advance_by(net, SEC), 0);
  } else {
    assert_int_equal(rv, WEFT_ERR_NOMEM);
  }
  sim_del(net);
  return !f.failed;
}

static void test_failing_allocator(void **state) {
  (void)state;
  /* a bad NAT configuration is an argument error, not a memory one */
  sim_net *net = new_net(1);
  sim_nat_config bad;
  sim_nat_config_default(&bad, SIM_NAT_FULL_CONE);
  bad.port_min = 2000;
  bad.port_max = 1000;
  sim_topo t;
  assert_int_equal(sim_topo_nat(&t, net, &bad, NULL, NULL, NULL),
                   WEFT_ERR_INVALID_ARGUMENT);
  sim_del(net);
  long n = 0;
  while (!failing_run(n) && n < 10000)
    n++;
  assert_true(n > 10);
  assert_true(n < 10000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lan_delivery),
      cmocka_unit_test(test_bad_sends),
      cmocka_unit_test(test_ipv6_and_removed_addr),
      cmocka_unit_test(test_determinism),
      cmocka_unit_test(test_delay_jitter_stats),
      cmocka_unit_test(test_loss_rate),
      cmocka_unit_test(test_burst_loss),
      cmocka_unit_test(test_link_down_and_mtu),
      cmocka_unit_test(test_bandwidth),
      cmocka_unit_test(test_queue_limit),
      cmocka_unit_test(test_duplication),
      cmocka_unit_test(test_reordering),
      cmocka_unit_test(test_packet_pool_bound),
      cmocka_unit_test(test_endpoints),
      cmocka_unit_test(test_stuck_endpoint_bounded),
      cmocka_unit_test(test_nat_mapping),
      cmocka_unit_test(test_nat_filtering),
      cmocka_unit_test(test_nat_symmetric_blocks_third_party),
      cmocka_unit_test(test_nat_mapping_timeout),
      cmocka_unit_test(test_nat_port_assignment),
      cmocka_unit_test(test_nat_hairpin),
      cmocka_unit_test(test_nat_hole_punching),
      cmocka_unit_test(test_nested_nat),
      cmocka_unit_test(test_trace),
      cmocka_unit_test(test_topo_same_nat_and_ipv6),
      cmocka_unit_test(test_failing_allocator),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
