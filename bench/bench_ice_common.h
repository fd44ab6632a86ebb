/* Shared by the ICE benchmarks: pairs of weft ICE agents on 127.0.0.1,
 * driven by one weft_loop, signalled directly (no SDP). Header-only: each
 * bench_*.c is its own program. */
#ifndef WEFT_BENCH_ICE_COMMON_H
#define WEFT_BENCH_ICE_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft/ice.h"
#include "weft/loop.h"

/* One agent of the benchmark: kept small, it counts in the idle figure. */
typedef struct bagent {
  weft_ice_agent *agent;
  weft_loop_obj *obj;
  struct bstate *st;
  uint8_t connected;
  uint8_t failed;
} bagent;

/* What the benchmark watches. */
typedef struct bstate {
  size_t connected; /* agents that reached connected */
  size_t failed;
  size_t disconnected;     /* agents that went disconnected/failed after */
  weft_tstamp first_check; /* first Binding request sent (0: none yet) */
  weft_tstamp last_connected;
} bstate;

static inline void bagent_on_event(weft_loop_obj *o, void *ud,
                                   const void *evp) {
  bagent *b = ud;
  const weft_ice_event *ev = evp;
  if (ev->type != WEFT_ICE_EVENT_CONNECTION_STATE)
    return;
  int s = ev->u.connection.state;
  if ((s == WEFT_ICE_STATE_CONNECTED || s == WEFT_ICE_STATE_COMPLETED) &&
      !b->connected) {
    b->connected = 1;
    b->st->connected++;
    b->st->last_connected = weft_loop_now(weft_loop_obj_loop(o));
  } else if (s == WEFT_ICE_STATE_FAILED || s == WEFT_ICE_STATE_DISCONNECTED) {
    if (b->connected)
      b->st->disconnected++;
    else if (!b->failed) {
      b->failed = 1;
      b->st->failed++;
    }
  }
}

static const weft_loop_obj_callbacks bagent_cb = {bagent_on_event, NULL};

/* Creates an agent with one socket on 127.0.0.1 (host candidate). */
static inline int bagent_new(bagent *b, bstate *st, weft_loop *l,
                             const weft_loop_obj_ops *ops, weft_ice_settings *s,
                             int role) {
  memset(b, 0, sizeof(*b));
  b->st = st;
  s->role = role;
  int err = weft_ice_agent_new(&b->agent, s, NULL);
  if (err != 0)
    return err;
  weft_addr lo;
  weft_addr_parse(&lo, "127.0.0.1", 0);
  weft_loop_sock *sock;
  err = weft_loop_udp_open(l, &lo, 0, &sock);
  if (err == 0)
    err = weft_loop_obj_new(l, &b->obj, ops,
                            ops == weft_loop_ice_ops() ? (void *)b->agent
                                                       : (void *)b,
                            &bagent_cb, b);
  if (err != 0) {
    weft_loop_udp_close(sock);
    return err;
  }
  weft_loop_obj_attach(b->obj, sock);
  weft_tstamp now = weft_loop_now(l);
  err = weft_ice_agent_add_local_host_candidate(b->agent, now,
                                                weft_loop_udp_local(sock));
  if (err < 0)
    return err;
  return weft_ice_agent_gather(b->agent, now);
}

/* Tells @p to everything about @p from, as signalling would. */
static inline int bagent_signal(bagent *to, const bagent *from,
                                weft_tstamp now) {
  const char *ufrag, *pwd;
  weft_ice_agent_local_credentials(from->agent, &ufrag, &pwd);
  int err = weft_ice_agent_set_remote_credentials(to->agent, ufrag, pwd);
  weft_ice_candidate c;
  for (size_t i = 0;
       err == 0 && weft_ice_agent_local_candidate(from->agent, i, &c) == 0; i++)
    err = weft_ice_agent_add_remote_candidate(to->agent, now, &c);
  if (err == 0)
    err = weft_ice_agent_end_of_remote_candidates(to->agent, now);
  return err;
}

/* Starts checks between a and b. */
static inline int bpair_connect(bagent *a, bagent *b, weft_loop *l) {
  weft_tstamp now = weft_loop_now(l);
  int err = bagent_signal(a, b, now);
  if (err == 0)
    err = bagent_signal(b, a, now);
  weft_loop_obj_kick(a->obj);
  weft_loop_obj_kick(b->obj);
  return err;
}

static inline void bagent_del(bagent *b) {
  weft_loop_obj_del(b->obj);
  weft_ice_agent_del(b->agent);
  b->obj = NULL;
  b->agent = NULL;
}

/* Runs the loop until @p cond(arg) or @p limit_ns of real time. */
static inline void brun_until(weft_loop *l, int (*cond)(void *), void *arg,
                              weft_tstamp limit_ns) {
  weft_tstamp end = weft_loop_now(l) + limit_ns;
  while (!cond(arg) && weft_loop_now(l) < end)
    if (weft_loop_run_once(l, 0) <= 0)
      break;
}

static inline int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

#endif
