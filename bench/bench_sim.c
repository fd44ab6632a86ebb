/*
 * bench_sim: how many datagrams per second (of real time) the simulated
 * network (tests/sim/) carries, end to end, on three paths:
 *   - sim_lan_pps: two hosts on one ideal LAN;
 *   - sim_nat_pps: host behind a port-restricted NAT to a public server,
 *     over links with delay, jitter, 1% loss and a bandwidth cap;
 *   - sim_echo_pps: two endpoints ping-ponging through the endpoint API
 *     (deadline / handle_timeout / recv / poll_transmit), one RTT at a time.
 * Prints one JSON line per figure on stdout.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sim.h"

#define N_PACKETS 200000

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sim_net *new_net(void) {
  sim_settings s;
  sim_settings_default(&s);
  s.seed = 1;
  sim_net *net = NULL;
  if (sim_new(&net, &s, NULL) != 0)
    return NULL;
  return net;
}

/* Sends N_PACKETS in batches of 64 and reads them all; returns packets/s. */
static double stream(sim_net *net, sim_host *src, weft_addr from, weft_addr to,
                     weft_tstamp gap) {
  uint8_t buf[1200], rx[2048];
  memset(buf, 0x5a, sizeof(buf));
  sim_dgram dg;
  uint64_t got = 0;
  double t0 = now_s();
  for (int i = 0; i < N_PACKETS; i += 64) {
    for (int k = 0; k < 64; k++)
      sim_host_send(src, &from, &to, buf, sizeof(buf));
    sim_advance_by(net, gap);
    while (sim_poll_delivery(net, NULL, &dg, rx, sizeof(rx)) > 0)
      got++;
  }
  sim_advance_by(net, 10 * WEFT_SECONDS);
  while (sim_poll_delivery(net, NULL, &dg, rx, sizeof(rx)) > 0)
    got++;
  double dt = now_s() - t0;
  fprintf(stderr, "bench_sim: %llu of %d delivered in %.3f s\n",
          (unsigned long long)got, N_PACKETS, dt);
  return N_PACKETS / dt;
}

static double bench_lan(void) {
  sim_net *net = new_net();
  sim_topo t;
  if (net == NULL || sim_topo_lan(&t, net, NULL) != 0)
    return 0;
  double pps = stream(net, t.a, sim_addr("10.0.0.1", 1000),
                      sim_addr("10.0.0.2", 2000), WEFT_MILLISECONDS);
  sim_del(net);
  return pps;
}

static double bench_nat(void) {
  sim_net *net = new_net();
  sim_link_dir d = {.delay = 20 * WEFT_MILLISECONDS,
                    .jitter = 2 * WEFT_MILLISECONDS,
                    .loss = 0.01,
                    .bandwidth_bps = 1000000000,
                    .queue_bytes = 1000000};
  sim_link_config wan;
  sim_link_config_symmetric(&wan, &d);
  sim_nat_config nat;
  sim_nat_config_default(&nat, SIM_NAT_PORT_RESTRICTED);
  sim_topo t;
  if (net == NULL || sim_topo_nat(&t, net, &nat, NULL, NULL, &wan) != 0)
    return 0;
  double pps = stream(net, t.a, sim_addr("10.0.1.2", 1000),
                      sim_addr("192.0.2.1", 3478), WEFT_MILLISECONDS);
  sim_del(net);
  return pps;
}

typedef struct pingpong {
  int have;
  weft_addr peer;
  uint64_t count;
} pingpong;

static void pp_recv(void *ud, weft_tstamp now, const weft_addr *from,
                    const weft_addr *to, const uint8_t *data, size_t len) {
  pingpong *p = ud;
  (void)now, (void)to, (void)data, (void)len;
  p->have = 1;
  p->peer = *from;
  p->count++;
}

static int pp_poll(void *ud, weft_tstamp now, weft_addr *from, weft_addr *to,
                   uint8_t *buf, size_t buflen) {
  pingpong *p = ud;
  (void)now, (void)from;
  if (!p->have || buflen < 100)
    return 0;
  p->have = 0;
  *to = p->peer;
  memset(buf, 1, 100);
  return 100;
}

static int enough(sim_net *net, void *ud) {
  (void)net;
  return ((pingpong *)ud)->count >= N_PACKETS / 2;
}

static double bench_echo(void) {
  sim_net *net = new_net();
  sim_link_dir d = {.delay = WEFT_MILLISECONDS};
  sim_link_config link;
  sim_link_config_symmetric(&link, &d);
  sim_topo t;
  if (net == NULL || sim_topo_lan(&t, net, &link) != 0)
    return 0;
  pingpong a = {.have = 1, .peer = sim_addr("10.0.0.2", 2000)};
  pingpong b = {.have = 0};
  sim_endpoint_ops ops = {.recv = pp_recv, .poll_transmit = pp_poll};
  sim_endpoint *ea = sim_endpoint_add(t.a, 1000, &ops, &a);
  sim_endpoint_add(t.b, 2000, &ops, &b);
  double t0 = now_s();
  sim_endpoint_drain(ea);
  sim_run_until(net, WEFT_TSTAMP_NONE, enough, &a, 0);
  double dt = now_s() - t0;
  uint64_t n = a.count + b.count;
  sim_del(net);
  return (double)n / dt;
}

int main(void) {
  printf("{\"bench\":\"sim_lan_pps\",\"unit\":\"packets/s\",\"value\":%.0f}\n",
         bench_lan());
  printf("{\"bench\":\"sim_nat_pps\",\"unit\":\"packets/s\",\"value\":%.0f}\n",
         bench_nat());
  printf("{\"bench\":\"sim_echo_pps\",\"unit\":\"packets/s\",\"value\":%.0f}\n",
         bench_echo());
  return 0;
}
