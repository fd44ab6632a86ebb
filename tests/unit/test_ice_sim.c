/* ICE agents in the deterministic simulated network (tests/sim): RFC 4787
 * NAT combinations with a STUN server on the public side, loss, trickle vs
 * all-at-once, role conflict, restart, consent expiry, hostile checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim.h"
#include "weft/ice.h"
#include "weft/stun.h"
#include "weft/turn.h"

#define SEC WEFT_SECONDS
#define MS WEFT_MILLISECONDS
#define PORT 5000
#define STUN_PORT 3478
#define TURN_PORT 3479
#define RELAY_PORT0 40000

typedef struct world world;

typedef struct peer {
  world *w;
  int idx;
  weft_ice_agent *a;
  weft_pcg pcg;
  weft_rand rand;
  sim_endpoint *ep;
  weft_addr host, host6;
  int state, gather_state, nselected, failed_error;
  int gather_errors;
  weft_addr gather_error_server;
  weft_tstamp failed_at, disconnected_at;
  weft_ice_event sel;
  int ncands;
  weft_ice_candidate cands[16];
  uint64_t app_rx;
  size_t app_len;    /* of the last application datagram */
  uint8_t app_first; /* its first byte */
} peer;

struct world {
  sim_net *net;
  sim_topo t;
  peer p[2];
  sim_endpoint *stun_ep;
  weft_stun_server_settings ss;
  weft_stun_server_stats sst;
  uint8_t stun_out[8][600];
  size_t stun_len[8];
  weft_addr stun_to[8];
  int nstun;
  int all_at_once;
  struct {
    weft_tstamp at;
    int to;
    int eoc;
    weft_ice_candidate c;
  } sig[64];
  int nsig;
  weft_tstamp sig_delay;
  /* the TURN server (world_init with use_turn set) */
  weft_turn_server *turn;
  sim_endpoint *turn_ep, *relay_ep;
  weft_addr turn_addr;
  int nrelays_open;
};

/* world_init gives the server host a TURN server and both agents its
 * address (a test sets it around world_init). */
static int use_turn;
static const char *turn_password = "relay-secret"; /* the agents' */

/* ---- endpoints ----------------------------------------------------------- */

static void signal_to(world *w, int to, const weft_ice_candidate *c, int eoc) {
  if (w->nsig == 64)
    return;
  w->sig[w->nsig].at = sim_now(w->net) + w->sig_delay;
  w->sig[w->nsig].to = to;
  w->sig[w->nsig].eoc = eoc;
  if (c != NULL)
    w->sig[w->nsig].c = *c;
  w->nsig++;
}

static void on_event(peer *p, const weft_ice_event *ev) {
  world *w = p->w;
  switch (ev->type) {
  case WEFT_ICE_EVENT_LOCAL_CANDIDATE:
    if (p->ncands < 16)
      p->cands[p->ncands++] = ev->u.candidate;
    if (!w->all_at_once)
      signal_to(w, 1 - p->idx, &ev->u.candidate, 0);
    break;
  case WEFT_ICE_EVENT_GATHERING_STATE:
    p->gather_state = ev->u.gathering_state;
    if (p->gather_state == WEFT_ICE_GATHERING_COMPLETE) {
      for (int i = 0; w->all_at_once && i < p->ncands; i++)
        signal_to(w, 1 - p->idx, &p->cands[i], 0);
      signal_to(w, 1 - p->idx, NULL, 1);
    }
    break;
  case WEFT_ICE_EVENT_CONNECTION_STATE:
    p->state = ev->u.connection.state;
    if (p->state == WEFT_ICE_STATE_FAILED) {
      p->failed_error = ev->u.connection.error;
      p->failed_at = sim_now(w->net);
    }
    if (p->state == WEFT_ICE_STATE_DISCONNECTED)
      p->disconnected_at = sim_now(w->net);
    break;
  case WEFT_ICE_EVENT_SELECTED_PAIR:
    p->nselected++;
    p->sel = *ev;
    break;
  case WEFT_ICE_EVENT_GATHER_ERROR:
    p->gather_errors++;
    p->gather_error_server = ev->u.gather_error.server;
    break;
  default:
    break;
  }
}

static void events(peer *p) {
  weft_ice_event ev;
  while (weft_ice_agent_poll_event(p->a, &ev))
    on_event(p, &ev);
}

static weft_tstamp ep_deadline(void *ud) {
  return weft_ice_agent_deadline(((peer *)ud)->a);
}

static void ep_timeout(void *ud, weft_tstamp now) {
  peer *p = ud;
  weft_ice_agent_handle_timeout(p->a, now);
  events(p);
}

static void ep_recv(void *ud, weft_tstamp now, const weft_addr *from,
                    const weft_addr *to, const uint8_t *data, size_t len) {
  peer *p = ud;
  if (weft_ice_agent_recv(p->a, now, to, from, data, len) ==
      WEFT_ICE_RECV_APP_DATA) {
    size_t off, n;
    weft_ice_agent_app_data(p->a, &off, &n);
    assert_true(off + n <= len);
    p->app_rx++;
    p->app_len = n;
    p->app_first = data[off];
  }
  events(p);
}

static int ep_poll(void *ud, weft_tstamp now, weft_addr *from, weft_addr *to,
                   uint8_t *buf, size_t buflen) {
  peer *p = ud;
  return weft_ice_agent_poll_transmit(p->a, now, from, to, buf, buflen);
}

/* The STUN server: answers Binding requests (RFC 8489) statelessly. */
static void stun_recv(void *ud, weft_tstamp now, const weft_addr *from,
                      const weft_addr *to, const uint8_t *data, size_t len) {
  world *w = ud;
  (void)now;
  (void)to;
  if (w->nstun == 8)
    return;
  int n = weft_stun_server_answer(&w->ss, &w->sst, from, data, len,
                                  w->stun_out[w->nstun], 600);
  if (n > 0) {
    w->stun_len[w->nstun] = (size_t)n;
    w->stun_to[w->nstun] = *from;
    w->nstun++;
  }
}

static int stun_poll(void *ud, weft_tstamp now, weft_addr *from, weft_addr *to,
                     uint8_t *buf, size_t buflen) {
  world *w = ud;
  (void)now;
  (void)from;
  if (w->nstun == 0)
    return 0;
  w->nstun--;
  memcpy(buf, w->stun_out[w->nstun], w->stun_len[w->nstun]);
  *to = w->stun_to[w->nstun];
  return (int)w->stun_len[w->nstun];
}

/* The TURN server (RFC 8656, weft's sans-IO core): clients on TURN_PORT,
 * allocation N relays from port RELAY_PORT0 + N of the server host. */
static int relay_open(void *ud, uint32_t relay_id, int family, int even_port,
                      const weft_turn_path *client, weft_addr *relayed) {
  world *w = ud;
  (void)even_port;
  (void)client;
  if (family != AF_INET || relay_id > 1000)
    return WEFT_ERR_UNSUPPORTED;
  *relayed = w->t.server_ip;
  weft_addr_set_port(relayed, (uint16_t)(RELAY_PORT0 + relay_id));
  w->nrelays_open++;
  return 0;
}

static void relay_close(void *ud, uint32_t relay_id) {
  world *w = ud;
  (void)relay_id;
  w->nrelays_open--;
}

static weft_tstamp turn_deadline(void *ud) {
  return weft_turn_server_deadline(((world *)ud)->turn);
}

static void turn_timeout(void *ud, weft_tstamp now) {
  weft_turn_server_handle_timeout(((world *)ud)->turn, now);
}

static void turn_recv(void *ud, weft_tstamp now, const weft_addr *from,
                      const weft_addr *to, const uint8_t *data, size_t len) {
  world *w = ud;
  weft_turn_path path;
  memset(&path, 0, sizeof(path));
  path.transport = WEFT_TURN_UDP;
  path.local = *to;
  path.remote = *from;
  weft_turn_server_recv(w->turn, now, &path, data, len);
}

/* Datagrams to any other port of the server host: a relayed address. */
static void relay_recv(void *ud, weft_tstamp now, const weft_addr *from,
                       const weft_addr *to, const uint8_t *data, size_t len) {
  world *w = ud;
  uint16_t port = weft_addr_port(to);
  if (port >= RELAY_PORT0)
    weft_turn_server_recv_relay(w->turn, now, (uint32_t)(port - RELAY_PORT0),
                                from, data, len);
  sim_endpoint_drain(w->turn_ep);
}

static int turn_poll(void *ud, weft_tstamp now, weft_addr *from, weft_addr *to,
                     uint8_t *buf, size_t buflen) {
  world *w = ud;
  (void)now;
  weft_turn_transmit tx;
  int n = weft_turn_server_poll_transmit(w->turn, &tx, buf, buflen);
  if (n > 0) {
    *from = tx.local;
    *to = tx.remote;
  }
  return n;
}

static void turn_init(world *w) {
  static const weft_turn_user users[] = {{"alice", "relay-secret"}};
  weft_turn_server_settings ts;
  weft_turn_server_settings_default(&ts);
  ts.users = users;
  ts.nusers = 1;
  ts.relay_ipv6 = 0;
  ts.relay_open = relay_open;
  ts.relay_close = relay_close;
  ts.hook_user_data = w;
  ts.log.level = WEFT_LOG_NONE;
  assert_int_equal(weft_turn_server_new(&w->turn, &ts, NULL), 0);
  w->turn_addr = w->t.server_ip;
  weft_addr_set_port(&w->turn_addr, TURN_PORT);
  sim_endpoint_ops tops = {turn_deadline, turn_timeout, turn_recv, turn_poll,
                           NULL};
  w->turn_ep = sim_endpoint_add(w->t.server, TURN_PORT, &tops, w);
  sim_endpoint_ops rops = {NULL, NULL, relay_recv, turn_poll, NULL};
  w->relay_ep = sim_endpoint_add(w->t.server, 0, &rops, w);
  assert_non_null(w->turn_ep);
  assert_non_null(w->relay_ep);
}

/* ---- the world ----------------------------------------------------------- */

typedef struct opts {
  const sim_nat_config *nat[2];
  const sim_link_config *wan;
  int role[2];
  int all_at_once;
  weft_tstamp sig_delay;
  uint64_t seed;
  int same_nat; /* both behind nat[0] on one LAN */
  int ipv6;     /* dual stack: public IPv6 besides the IPv4 setup */
  int lite[2];  /* ICE-lite agents */
} opts;

static void world_init(world *w, const opts *o) {
  memset(w, 0, sizeof(*w));
  sim_settings ss;
  sim_settings_default(&ss);
  ss.seed = o->seed ? o->seed : 1;
  ss.start = 1 * SEC;
  assert_int_equal(sim_new(&w->net, &ss, NULL), 0);
  if (o->same_nat)
    assert_int_equal(sim_topo_same_nat(&w->t, w->net, o->nat[0], NULL, o->wan),
                     0);
  else
    assert_int_equal(
        sim_topo_nat(&w->t, w->net, o->nat[0], o->nat[1], NULL, o->wan), 0);
  if (o->ipv6)
    assert_int_equal(sim_topo_add_ipv6(&w->t, NULL), 0);
  if (getenv("ICE_TRACE") && strtoull(getenv("ICE_TRACE"), NULL, 10) == ss.seed)
    sim_set_trace(w->net, sim_trace_print, NULL);
  /* the loss is between the peers; the STUN server's own link is clean */
  sim_iface_set_link(sim_host_iface(w->t.server, 0), NULL);
  w->all_at_once = o->all_at_once;
  w->sig_delay = o->sig_delay;
  weft_stun_server_settings_default(&w->ss);
  w->ss.log.level = WEFT_LOG_NONE;
  sim_endpoint_ops sops = {NULL, NULL, stun_recv, stun_poll, NULL};
  w->stun_ep = sim_endpoint_add(w->t.server, STUN_PORT, &sops, w);
  assert_non_null(w->stun_ep);
  if (use_turn)
    turn_init(w);
  sim_host *hosts[2] = {w->t.a, w->t.b};
  weft_addr ips[2] = {w->t.a_ip, w->t.b_ip};
  weft_addr ip6s[2] = {w->t.a_ip6, w->t.b_ip6};
  for (int i = 0; i < 2; i++) {
    peer *p = &w->p[i];
    p->w = w;
    p->idx = i;
    sim_derive_pcg(w->net, (uint64_t)i + 10, &p->pcg);
    weft_rand_from_pcg(&p->rand, &p->pcg);
    weft_ice_settings s;
    weft_ice_settings_default(&s);
    s.log.level = getenv("ICE_DEBUG") ? WEFT_LOG_DEBUG : WEFT_LOG_NONE;
    s.rand = &p->rand;
    s.role = o->role[i];
    s.lite = o->lite[i];
    s.nstun_servers = 1;
    s.stun_servers[0] = w->t.server_ip;
    weft_addr_set_port(&s.stun_servers[0], STUN_PORT);
    if (use_turn) {
      s.nturn_servers = 1;
      s.turn_servers[0].addr = w->turn_addr;
      s.turn_servers[0].username = "alice";
      s.turn_servers[0].password = turn_password;
    }
    assert_int_equal(weft_ice_agent_new(&p->a, &s, NULL), 0);
    p->host = ips[i];
    weft_addr_set_port(&p->host, PORT);
    p->host6 = ip6s[i];
    if (o->ipv6)
      weft_addr_set_port(&p->host6, PORT);
    sim_endpoint_ops ops = {ep_deadline, ep_timeout, ep_recv, ep_poll, NULL};
    p->ep = sim_endpoint_add(hosts[i], PORT, &ops, p);
    assert_non_null(p->ep);
  }
}

static void world_free(world *w) {
  for (int i = 0; i < 2; i++)
    weft_ice_agent_del(w->p[i].a);
  weft_turn_server_del(w->turn);
  sim_del(w->net);
}

static void set_remote_creds(world *w) {
  for (int i = 0; i < 2; i++) {
    const char *u, *pw;
    weft_ice_agent_local_credentials(w->p[1 - i].a, &u, &pw);
    assert_int_equal(weft_ice_agent_set_remote_credentials(w->p[i].a, u, pw),
                     0);
  }
}

static void world_start(world *w) {
  set_remote_creds(w);
  weft_tstamp now = sim_now(w->net);
  for (int i = 0; i < 2; i++) {
    assert_true(weft_ice_agent_add_local_host_candidate(w->p[i].a, now,
                                                        &w->p[i].host) >= 0);
    if (weft_addr_family(&w->p[i].host6) == AF_INET6)
      assert_true(weft_ice_agent_add_local_host_candidate(w->p[i].a, now,
                                                          &w->p[i].host6) >= 0);
    weft_ice_agent_gather(w->p[i].a, now);
    events(&w->p[i]);
    sim_endpoint_drain(w->p[i].ep);
  }
}

static void run_signals(world *w) {
  weft_tstamp now = sim_now(w->net);
  for (int i = 0; i < w->nsig;) {
    if (w->sig[i].at > now) {
      i++;
      continue;
    }
    peer *p = &w->p[w->sig[i].to];
    if (w->sig[i].eoc)
      weft_ice_agent_end_of_remote_candidates(p->a, now);
    else
      weft_ice_agent_add_remote_candidate(p->a, now, &w->sig[i].c);
    events(p);
    sim_endpoint_drain(p->ep);
    memmove(&w->sig[i], &w->sig[i + 1],
            (size_t)(w->nsig - i - 1) * sizeof(w->sig[0]));
    w->nsig--;
  }
}

typedef int (*pred_fn)(world *w);

/* Runs until @p pred holds (1) or @p until (0). */
static int run(world *w, weft_tstamp until, pred_fn pred) {
  for (int step = 0; step < 5000000; step++) {
    run_signals(w);
    for (int i = 0; i < 2; i++)
      events(&w->p[i]);
    if (pred != NULL && pred(w))
      return 1;
    weft_tstamp tnet = sim_next_event_time(w->net), tsig = WEFT_TSTAMP_NONE;
    for (int i = 0; i < w->nsig; i++)
      if (w->sig[i].at < tsig)
        tsig = w->sig[i].at;
    weft_tstamp t = tsig < tnet ? tsig : tnet;
    if (t == WEFT_TSTAMP_NONE || t > until) {
      sim_advance(w->net, until);
      return 0;
    }
    if (tsig < tnet)
      sim_advance(w->net, tsig);
    else
      sim_step(w->net);
  }
  fail_msg("run: step limit at %.3f s: deadlines %.3f %.3f, states %d %d",
           sim_now(w->net) / 1e9, weft_ice_agent_deadline(w->p[0].a) / 1e9,
           weft_ice_agent_deadline(w->p[1].a) / 1e9, w->p[0].state,
           w->p[1].state);
  return 0;
}

static int ok_state(int s) {
  return s == WEFT_ICE_STATE_CONNECTED || s == WEFT_ICE_STATE_COMPLETED;
}

static int both_connected(world *w) {
  return ok_state(w->p[0].state) && ok_state(w->p[1].state);
}

static int both_completed(world *w) {
  return w->p[0].state == WEFT_ICE_STATE_COMPLETED &&
         w->p[1].state == WEFT_ICE_STATE_COMPLETED;
}

static int both_failed(world *w) {
  return w->p[0].state == WEFT_ICE_STATE_FAILED &&
         w->p[1].state == WEFT_ICE_STATE_FAILED;
}

/* Sends application data both ways and checks it arrives. */
static void exchange(world *w) {
  for (int i = 0; i < 2; i++) {
    peer *dst = &w->p[1 - i];
    uint64_t before = dst->app_rx;
    uint8_t msg[32] = {0x17, 0xfe, 0xfd, (uint8_t)i};
    /* a few tries: the tests with loss lose datagrams */
    for (int k = 0; k < 10 && dst->app_rx == before; k++) {
      assert_int_equal(
          weft_ice_agent_send(w->p[i].a, sim_now(w->net), msg, sizeof(msg)), 0);
      sim_endpoint_drain(w->p[i].ep);
      sim_advance_by(w->net, 300 * MS);
    }
    assert_true(dst->app_rx > before);
  }
}

/* ---- NAT matrix ------------------------------------------------------------
 */

enum { K_PUBLIC = -1 };

static const char *kind_name(int k) {
  static const char *const n[] = {"full-cone", "restricted-cone",
                                  "port-restricted", "symmetric"};
  return k == K_PUBLIC ? "public" : n[k];
}

static int solvable(int ka, int kb) {
  int sa = ka == SIM_NAT_SYMMETRIC, sb = kb == SIM_NAT_SYMMETRIC;
  if (sa && sb)
    return 0;
  if ((sa && kb == SIM_NAT_PORT_RESTRICTED) ||
      (sb && ka == SIM_NAT_PORT_RESTRICTED))
    return 0;
  return 1;
}

static void one_combination(int ka, int kb, uint64_t seed,
                            const sim_link_config *wan, int all_at_once) {
  sim_nat_config na, nb;
  if (ka != K_PUBLIC)
    sim_nat_config_default(&na, ka);
  if (kb != K_PUBLIC)
    sim_nat_config_default(&nb, kb);
  opts o = {{ka == K_PUBLIC ? NULL : &na, kb == K_PUBLIC ? NULL : &nb},
            wan,
            {WEFT_ICE_CONTROLLING, WEFT_ICE_CONTROLLED},
            all_at_once,
            0,
            seed,
            0,
            0,
            {0, 0}};
  world w;
  world_init(&w, &o);
  weft_tstamp t0 = sim_now(w.net);
  world_start(&w);
  if (solvable(ka, kb)) {
    if (run(&w, t0 + 30 * SEC, both_connected) != 1)
      fail_msg("%s vs %s (seed %llu, loss %d): did not connect (states %d %d)",
               kind_name(ka), kind_name(kb), (unsigned long long)seed,
               wan != NULL, w.p[0].state, w.p[1].state);
    exchange(&w);
    /* the selected pairs point at each other's public addresses */
    for (int i = 0; i < 2; i++) {
      weft_ice_candidate l, r;
      assert_int_equal(weft_ice_agent_selected_pair(w.p[i].a, &l, &r), 0);
      assert_true(weft_addr_equal(&w.p[i].sel.u.pair.base, &w.p[i].host));
    }
  } else {
    if (run(&w, t0 + 60 * SEC, both_failed) != 1)
      fail_msg("%s vs %s: did not fail in 60 s (states %d %d)", kind_name(ka),
               kind_name(kb), w.p[0].state, w.p[1].state);
    assert_int_equal(w.p[0].failed_error, WEFT_ERR_ICE_FAILED);
    assert_int_equal(w.p[1].failed_error, WEFT_ERR_ICE_FAILED);
    assert_true(w.p[0].failed_at - t0 <= 40 * SEC);
  }
  world_free(&w);
}

static void test_nat_matrix(void **state) {
  (void)state;
  static const int kinds[] = {K_PUBLIC, SIM_NAT_FULL_CONE,
                              SIM_NAT_RESTRICTED_CONE, SIM_NAT_PORT_RESTRICTED,
                              SIM_NAT_SYMMETRIC};
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 5; j++)
      one_combination(kinds[i], kinds[j], (uint64_t)(i * 5 + j + 1), NULL, 0);
}

static void test_nat_matrix_all_at_once(void **state) {
  (void)state;
  static const int kinds[] = {SIM_NAT_FULL_CONE, SIM_NAT_PORT_RESTRICTED,
                              SIM_NAT_SYMMETRIC};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      one_combination(kinds[i], kinds[j], (uint64_t)(100 + i * 3 + j), NULL, 1);
}

static void test_nat_loss30(void **state) {
  (void)state;
  sim_link_dir d = {0};
  d.delay = 20 * MS;
  d.jitter = 5 * MS;
  /* two WAN links per path (each NAT's, or the public host's): 30 % loss
   * end to end, each way */
  d.loss = 0.1633;
  sim_link_config wan;
  sim_link_config_symmetric(&wan, &d);
  static const int pairs[][2] = {
      {SIM_NAT_PORT_RESTRICTED, SIM_NAT_PORT_RESTRICTED},
      {SIM_NAT_SYMMETRIC, SIM_NAT_RESTRICTED_CONE},
      {SIM_NAT_FULL_CONE, SIM_NAT_SYMMETRIC},
      {K_PUBLIC, SIM_NAT_PORT_RESTRICTED},
  };
  int seeds = getenv("ICE_SEEDS") ? atoi(getenv("ICE_SEEDS")) : 3;
  for (int s = 0; s < seeds; s++)
    for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++)
      one_combination(pairs[k][0], pairs[k][1], (uint64_t)(1000 + s * 10 + k),
                      &wan, s % 3 == 2);
}

/* ---- sessions --------------------------------------------------------------
 */

static void make_world(world *w, int r0, int r1, uint64_t seed) {
  static sim_nat_config nat;
  sim_nat_config_default(&nat, SIM_NAT_PORT_RESTRICTED);
  opts o = {{&nat, &nat}, NULL, {r0, r1}, 0, 0, seed, 0, 0, {0, 0}};
  world_init(w, &o);
}

static void test_role_conflict_nat(void **state) {
  (void)state;
  for (int r = 0; r < 2; r++) {
    world w;
    make_world(&w, r, r, 7 + (uint64_t)r);
    world_start(&w);
    assert_int_equal(run(&w, sim_now(w.net) + 20 * SEC, both_completed), 1);
    assert_int_not_equal(weft_ice_agent_role(w.p[0].a),
                         weft_ice_agent_role(w.p[1].a));
    exchange(&w);
    world_free(&w);
  }
}

static void test_trickle_late(void **state) {
  (void)state;
  world w;
  sim_nat_config nat;
  sim_nat_config_default(&nat, SIM_NAT_RESTRICTED_CONE);
  opts o = {{&nat, NULL},
            NULL,
            {WEFT_ICE_CONTROLLING, WEFT_ICE_CONTROLLED},
            0,
            1500 * MS,
            31,
            0,
            0,
            {0, 0}};
  world_init(&w, &o);
  world_start(&w);
  assert_int_equal(run(&w, sim_now(w.net) + 20 * SEC, both_completed), 1);
  exchange(&w);
  world_free(&w);
}

static void test_restart_keeps_session(void **state) {
  (void)state;
  world w;
  make_world(&w, WEFT_ICE_CONTROLLING, WEFT_ICE_CONTROLLED, 41);
  world_start(&w);
  assert_int_equal(run(&w, sim_now(w.net) + 20 * SEC, both_completed), 1);
  exchange(&w);
  weft_tstamp now = sim_now(w.net);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(weft_ice_agent_restart(w.p[i].a, now, NULL, NULL), 0);
    w.p[i].nselected = 0;
    w.p[i].ncands = 0;
  }
  /* the signalling takes a while: data keeps flowing on the old pair */
  w.sig_delay = 2 * SEC;
  exchange(&w);
  set_remote_creds(&w);
  for (int i = 0; i < 2; i++) {
    events(&w.p[i]);
    sim_endpoint_drain(w.p[i].ep);
  }
  exchange(&w);
  assert_int_equal(run(&w, sim_now(w.net) + 20 * SEC, both_completed), 1);
  assert_true(w.p[0].nselected >= 1 && w.p[1].nselected >= 1);
  exchange(&w);
  /* and the new pair lives on with consent */
  run(&w, sim_now(w.net) + 45 * SEC, NULL);
  assert_true(both_completed(&w));
  exchange(&w);
  world_free(&w);
}

static int relay_freed(world *w) {
  return w->nrelays_open == 0;
}

/* Two agents behind address-and-port-dependent (symmetric) NATs: no direct
 * path exists (the NAT matrix shows they fail without help); with a TURN
 * server on the public side they connect through a relay candidate,
 * application data flows (ChannelData once the channel is bound), and
 * closing deallocates. */
static void test_symmetric_nats_via_turn(void **state) {
  (void)state;
  sim_nat_config nat;
  sim_nat_config_default(&nat, SIM_NAT_SYMMETRIC);
  opts o = {{&nat, &nat},
            NULL,
            {WEFT_ICE_CONTROLLING, WEFT_ICE_CONTROLLED},
            0,
            0,
            61,
            0,
            0,
            {0, 0}};
  world w;
  use_turn = 1;
  world_init(&w, &o);
  use_turn = 0;
  weft_tstamp t0 = sim_now(w.net);
  world_start(&w);
  assert_int_equal(run(&w, t0 + 30 * SEC, both_completed), 1);
  assert_int_equal(w.nrelays_open, 2);
  int relayed = 0;
  for (int i = 0; i < 2; i++) {
    int nrelay = 0;
    for (int k = 0; k < w.p[i].ncands; k++)
      if (w.p[i].cands[k].type == WEFT_ICE_CANDIDATE_RELAY) {
        nrelay++;
        /* RFC 8445 5.1.2.1: type preference 0 */
        assert_int_equal(w.p[i].cands[k].priority >> 24, 0);
        assert_int_equal(weft_addr_family(&w.p[i].cands[k].related), AF_INET);
      }
    assert_int_equal(nrelay, 1);
    weft_ice_candidate l, r;
    assert_int_equal(weft_ice_agent_selected_pair(w.p[i].a, &l, &r), 0);
    relayed += l.type == WEFT_ICE_CANDIDATE_RELAY;
    /* the agent's own client relays: no zero-copy path around it */
    if (l.type == WEFT_ICE_CANDIDATE_RELAY)
      assert_int_equal(weft_ice_agent_send_path(w.p[i].a, NULL, NULL),
                       WEFT_ERR_UNSUPPORTED);
  }
  assert_true(relayed >= 1);
  exchange(&w);
  exchange(&w);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(w.p[i].app_len, 32); /* the payload, unwrapped */
    assert_int_equal(w.p[i].app_first, 0x17);
  }
  weft_turn_server_stats st;
  weft_turn_server_get_stats(w.turn, &st);
  assert_true(st.channels_current >= 1);
  assert_true(st.tx_peer_packets > 0 && st.tx_client_packets > 0);
  /* consent keeps working through the relay */
  run(&w, sim_now(w.net) + 40 * SEC, NULL);
  assert_true(both_completed(&w));
  exchange(&w);
  /* close: both allocations are released */
  for (int i = 0; i < 2; i++) {
    weft_ice_agent_close(w.p[i].a, sim_now(w.net));
    sim_endpoint_drain(w.p[i].ep);
  }
  assert_int_equal(run(&w, sim_now(w.net) + 10 * SEC, relay_freed), 1);
  world_free(&w);
}

/* The same NATs with a TURN server that refuses the agents' password: the
 * allocation fails (a gather error naming the TURN server, gathering still
 * completes) and, with no relay, ICE fails. */
static void test_symmetric_nats_turn_refused(void **state) {
  (void)state;
  sim_nat_config nat;
  sim_nat_config_default(&nat, SIM_NAT_SYMMETRIC);
  opts o = {{&nat, &nat},
            NULL,
            {WEFT_ICE_CONTROLLING, WEFT_ICE_CONTROLLED},
            0,
            0,
            62,
            0,
            0,
            {0, 0}};
  world w;
  use_turn = 1;
  turn_password = "not-the-password";
  world_init(&w, &o);
  use_turn = 0;
  turn_password = "relay-secret";
  weft_tstamp t0 = sim_now(w.net);
  world_start(&w);
  assert_int_equal(run(&w, t0 + 60 * SEC, both_failed), 1);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(w.p[i].gather_state, WEFT_ICE_GATHERING_COMPLETE);
    assert_int_equal(w.p[i].gather_errors, 1);
    assert_true(weft_addr_equal(&w.p[i].gather_error_server, &w.turn_addr));
    for (int k = 0; k < w.p[i].ncands; k++)
      assert_int_not_equal(w.p[i].cands[k].type, WEFT_ICE_CANDIDATE_RELAY);
  }
  assert_int_equal(w.nrelays_open, 0);
  world_free(&w);
}

static int a_failed(world *w) {
  return w->p[0].state == WEFT_ICE_STATE_FAILED;
}

static void test_consent_expiry_nat(void **state) {
  (void)state;
  world w;
  make_world(&w, WEFT_ICE_CONTROLLING, WEFT_ICE_CONTROLLED, 51);
  world_start(&w);
  assert_int_equal(run(&w, sim_now(w.net) + 20 * SEC, both_completed), 1);
  exchange(&w);
  run(&w, sim_now(w.net) + 3 * SEC, NULL);
  /* b's WAN goes down: a sees silence */
  sim_link_dir down = {0};
  down.loss = 1.0;
  sim_link_config cut;
  sim_link_config_symmetric(&cut, &down);
  sim_iface_set_link(sim_nat_outside(w.t.nat[1]), &cut);
  weft_tstamp silent = sim_now(w.net);
  assert_int_equal(run(&w, silent + 45 * SEC, a_failed), 1);
  assert_true(w.p[0].failed_at - silent <= 30 * SEC);
  assert_int_equal(w.p[0].failed_error, WEFT_ERR_ICE_CONSENT_EXPIRED);
  assert_true(w.p[0].disconnected_at > silent);
  uint8_t x = 0x17;
  assert_int_equal(weft_ice_agent_send(w.p[0].a, sim_now(w.net), &x, 1),
                   WEFT_ERR_ICE_CONSENT_EXPIRED);
  /* nothing more leaves a: its uplink counter stays still */
  sim_iface *ia = sim_host_iface(w.t.a, 0);
  uint64_t sent = sim_iface_counters(ia, SIM_UP)->sent;
  run(&w, sim_now(w.net) + 30 * SEC, NULL);
  assert_int_equal(sim_iface_counters(ia, SIM_UP)->sent, sent);
  world_free(&w);
}

/* An attacker on the internet sends checks with guessed credentials to b's
 * public mapping while a and b connect: nothing changes for them. */
static void test_attacker_checks(void **state) {
  (void)state;
  world w;
  sim_nat_config nat;
  sim_nat_config_default(&nat, SIM_NAT_FULL_CONE);
  opts o = {{NULL, &nat},
            NULL,
            {WEFT_ICE_CONTROLLING, WEFT_ICE_CONTROLLED},
            0,
            0,
            61,
            0,
            0,
            {0, 0}};
  world_init(&w, &o);
  sim_host *evil =
      sim_host_add(w.net, w.t.internet, "evil", "192.0.2.66", NULL);
  assert_non_null(evil);
  world_start(&w);
  assert_int_equal(run(&w, sim_now(w.net) + 20 * SEC, both_completed), 1);
  const char *bu;
  weft_ice_agent_local_credentials(w.p[1].a, &bu, NULL);
  char user[80];
  snprintf(user, sizeof(user), "%s:evil", bu);
  weft_addr target;
  sim_nat_public_addr(w.t.nat[1], &target);
  weft_addr_set_port(&target, PORT); /* port preserved by the NAT */
  weft_ice_stats before;
  weft_ice_agent_stats(w.p[1].a, &before);
  for (int i = 0; i < 500; i++) {
    uint8_t buf[200], txid[12] = {(uint8_t)i, 1, 2, 3};
    weft_stun_builder b;
    weft_stun_builder_init(&b, buf, sizeof(buf), WEFT_STUN_BINDING,
                           WEFT_STUN_REQUEST, txid);
    weft_stun_builder_add_str(&b, WEFT_STUN_ATTR_USERNAME, user);
    weft_stun_builder_add_u32(&b, WEFT_STUN_ATTR_PRIORITY, 1);
    weft_stun_builder_add_u64(&b, WEFT_STUN_ATTR_ICE_CONTROLLING, UINT64_MAX);
    weft_stun_builder_add_flag(&b, WEFT_STUN_ATTR_USE_CANDIDATE);
    weft_stun_builder_add_integrity(&b, (const uint8_t *)"guess", 5);
    weft_stun_builder_add_fingerprint(&b);
    int n = weft_stun_builder_finish(&b);
    weft_addr from = sim_addr("192.0.2.66", (uint16_t)(2000 + i));
    sim_host_send(evil, &from, &target, buf, (size_t)n);
    sim_advance_by(w.net, 10 * MS);
  }
  run(&w, sim_now(w.net) + 2 * SEC, NULL);
  weft_ice_stats after;
  weft_ice_agent_stats(w.p[1].a, &after);
  assert_int_equal(after.dropped_bad_integrity - before.dropped_bad_integrity,
                   500);
  assert_int_equal(after.remote_prflx, before.remote_prflx);
  assert_int_equal(after.role_conflicts, before.role_conflicts);
  assert_int_equal(w.p[1].nselected, 1);
  assert_true(both_completed(&w));
  exchange(&w);
  world_free(&w);
}

static void test_dual_stack_prefers_ipv6(void **state) {
  (void)state;
  world w;
  sim_nat_config nat;
  sim_nat_config_default(&nat, SIM_NAT_PORT_RESTRICTED);
  opts o = {{&nat, &nat},
            NULL,
            {WEFT_ICE_CONTROLLING, WEFT_ICE_CONTROLLED},
            0,
            0,
            71,
            0,
            1,
            {0, 0}};
  world_init(&w, &o);
  world_start(&w);
  assert_int_equal(run(&w, sim_now(w.net) + 20 * SEC, both_completed), 1);
  for (int i = 0; i < 2; i++) {
    weft_ice_candidate l, r;
    assert_int_equal(weft_ice_agent_selected_pair(w.p[i].a, &l, &r), 0);
    assert_int_equal(weft_addr_family(&l.addr), AF_INET6);
    assert_true(weft_addr_equal(&l.addr, &w.p[i].host6));
    assert_true(weft_addr_equal(&r.addr, &w.p[1 - i].host6));
  }
  exchange(&w);
  world_free(&w);
}

static void test_same_nat_lan(void **state) {
  (void)state;
  world w;
  sim_nat_config nat;
  sim_nat_config_default(&nat, SIM_NAT_SYMMETRIC);
  opts o = {{&nat, NULL},
            NULL,
            {WEFT_ICE_CONTROLLING, WEFT_ICE_CONTROLLED},
            0,
            0,
            72,
            1,
            0,
            {0, 0}};
  world_init(&w, &o);
  world_start(&w);
  assert_int_equal(run(&w, sim_now(w.net) + 20 * SEC, both_completed), 1);
  /* host to host on the LAN wins */
  for (int i = 0; i < 2; i++) {
    weft_ice_candidate l, r;
    assert_int_equal(weft_ice_agent_selected_pair(w.p[i].a, &l, &r), 0);
    assert_int_equal(l.type, WEFT_ICE_CANDIDATE_HOST);
    assert_int_equal(r.type, WEFT_ICE_CANDIDATE_HOST);
  }
  exchange(&w);
  world_free(&w);
}

/* A public ICE-lite server (as an SFU) and a full agent behind a symmetric
 * NAT: the lite side learns the client as peer-reflexive. */
static void test_lite_server(void **state) {
  (void)state;
  world w;
  sim_nat_config nat;
  sim_nat_config_default(&nat, SIM_NAT_SYMMETRIC);
  opts o = {{&nat, NULL},
            NULL,
            {WEFT_ICE_CONTROLLING, WEFT_ICE_CONTROLLED},
            0,
            0,
            73,
            0,
            0,
            {0, 1}};
  world_init(&w, &o);
  assert_int_equal(weft_ice_agent_set_remote_lite(w.p[0].a, 1), 0);
  world_start(&w);
  assert_int_equal(run(&w, sim_now(w.net) + 20 * SEC, both_completed), 1);
  weft_ice_candidate r;
  assert_int_equal(weft_ice_agent_selected_pair(w.p[1].a, NULL, &r), 0);
  assert_int_equal(r.type, WEFT_ICE_CANDIDATE_PRFLX);
  exchange(&w);
  run(&w, sim_now(w.net) + 60 * SEC, NULL);
  assert_true(both_completed(&w));
  exchange(&w);
  world_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nat_matrix),
      cmocka_unit_test(test_nat_matrix_all_at_once),
      cmocka_unit_test(test_nat_loss30),
      cmocka_unit_test(test_role_conflict_nat),
      cmocka_unit_test(test_trickle_late),
      cmocka_unit_test(test_restart_keeps_session),
      cmocka_unit_test(test_consent_expiry_nat),
      cmocka_unit_test(test_attacker_checks),
      cmocka_unit_test(test_dual_stack_prefers_ipv6),
      cmocka_unit_test(test_same_nat_lan),
      cmocka_unit_test(test_lite_server),
      cmocka_unit_test(test_symmetric_nats_via_turn),
      cmocka_unit_test(test_symmetric_nats_turn_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
