/* A tiny deterministic two-agent network for the ICE unit tests: one packet
 * queue with a fixed delay and seeded loss, a virtual clock that jumps to the
 * earliest deadline or arrival, trickled or all-at-once signalling, and an
 * optional STUN server. Header-only (static functions) for test programs. */
#ifndef WEFT_TESTS_ICE_HARNESS_H
#define WEFT_TESTS_ICE_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft/ice.h"
#include "weft/stun.h"

#define H_MAXPKT 1024
#define H_MAXCAND 16

typedef struct h_pkt {
  weft_tstamp at;
  weft_addr from, to;
  size_t len;
  uint8_t data[1500];
} h_pkt;

typedef struct h_peer {
  weft_ice_agent *a;
  weft_pcg pcg;
  weft_rand rand;
  weft_addr host;
  weft_addr relay; /* a relayed address (TURN seam), AF_UNSPEC if none */
  int state;
  int gather_state;
  int nselected;
  weft_ice_event sel; /* last SELECTED_PAIR */
  int failed_error;
  const char *failed_reason;
  weft_tstamp failed_at, connected_at, disconnected_at;
  int ncands;
  weft_ice_candidate cands[H_MAXCAND];
  int nroles;
  int gather_errors;
  uint64_t app_rx;
  uint8_t last_app[64];
  size_t last_app_len;
  int blocked; /* drop everything it sends */
} h_peer;

typedef struct h_net {
  weft_tstamp now;
  h_pkt *q;
  size_t nq;
  weft_pcg loss_pcg;
  double loss;
  weft_tstamp delay;
  h_peer p[2];
  /* signalling: 0 trickle (at once), 1 all at once after gathering */
  int all_at_once;
  weft_tstamp signal_delay[2]; /* signals reach peer i this late */
  int no_signal;               /* tests add remote candidates themselves */
  int late_creds[2]; /* h_start does not give peer i the credentials */
  /* STUN server */
  int has_stun;
  int stun_silent;
  weft_addr stun_addr;
  weft_addr stun_mapped[2]; /* the address it reports for peer i */
  uint64_t dropped_no_route;
  uint64_t iterations;
  /* datagrams to drop_to sent before drop_until are lost */
  weft_addr drop_to;
  weft_tstamp drop_until;
  struct {
    weft_tstamp at;
    int to;
    weft_ice_candidate c;
    int eoc;
  } sig[64];
  int nsig;
} h_net;

static inline void h_addr(weft_addr *a, const char *s) {
  if (weft_addr_parse(a, s, 0) != 0)
    abort();
}

static inline void h_settings(weft_ice_settings *s) {
  weft_ice_settings_default(s);
  s->log.level = WEFT_LOG_NONE;
}

/* Creates both agents (settings may be NULL for defaults; role set). */
static inline void h_init(h_net *n, const weft_ice_settings *s0,
                          const weft_ice_settings *s1, uint64_t seed) {
  memset(n, 0, sizeof(*n));
  n->q = calloc(H_MAXPKT, sizeof(h_pkt));
  n->delay = 10 * WEFT_MILLISECONDS;
  n->now = 1 * WEFT_SECONDS;
  weft_pcg_seed(&n->loss_pcg, seed, 99);
  h_addr(&n->p[0].host, "10.0.0.1:5000");
  h_addr(&n->p[1].host, "10.0.1.2:6000");
  h_addr(&n->stun_addr, "198.51.100.1:3478");
  for (int i = 0; i < 2; i++) {
    h_peer *p = &n->p[i];
    weft_pcg_seed(&p->pcg, seed, (uint64_t)i + 1);
    weft_rand_from_pcg(&p->rand, &p->pcg);
    weft_ice_settings s;
    if ((i == 0 ? s0 : s1) != NULL) {
      s = *(i == 0 ? s0 : s1);
    } else {
      h_settings(&s);
      s.role = i == 0 ? WEFT_ICE_CONTROLLING : WEFT_ICE_CONTROLLED;
    }
    s.rand = &p->rand;
    if (weft_ice_agent_new(&p->a, &s, NULL) != 0)
      abort();
  }
}

static inline void h_free(h_net *n) {
  for (int i = 0; i < 2; i++)
    weft_ice_agent_del(n->p[i].a);
  free(n->q);
}

/* Exchanges credentials, adds host candidates and starts gathering. */
static inline void h_start(h_net *n) {
  for (int i = 0; i < 2; i++) {
    const char *u, *pw;
    if (n->late_creds[i])
      continue;
    weft_ice_agent_local_credentials(n->p[1 - i].a, &u, &pw);
    if (weft_ice_agent_set_remote_credentials(n->p[i].a, u, pw) != 0)
      abort();
  }
  for (int i = 0; i < 2; i++) {
    if (weft_ice_agent_add_local_host_candidate(n->p[i].a, n->now,
                                                &n->p[i].host) < 0)
      abort();
    weft_ice_agent_gather(n->p[i].a, n->now);
  }
}

static inline void h_enqueue(h_net *n, const weft_addr *from,
                             const weft_addr *to, const uint8_t *d,
                             size_t len) {
  if (n->nq == H_MAXPKT || len > 1500)
    return;
  if (n->loss > 0 && weft_pcg_double(&n->loss_pcg) < n->loss)
    return;
  if (n->now < n->drop_until && weft_addr_family(&n->drop_to) != AF_UNSPEC &&
      weft_addr_equal(to, &n->drop_to))
    return;
  h_pkt *p = &n->q[n->nq++];
  p->at = n->now + n->delay;
  p->from = *from;
  p->to = *to;
  p->len = len;
  memcpy(p->data, d, len);
}

static inline void h_signal(h_net *n, int to, const weft_ice_candidate *c,
                            int eoc) {
  if (n->no_signal || n->nsig == 64)
    return;
  n->sig[n->nsig].at = n->now + n->signal_delay[to];
  n->sig[n->nsig].to = to;
  if (c != NULL)
    n->sig[n->nsig].c = *c;
  n->sig[n->nsig].eoc = eoc;
  n->nsig++;
}

static inline void h_event(h_net *n, int i, const weft_ice_event *ev) {
  h_peer *p = &n->p[i];
  switch (ev->type) {
  case WEFT_ICE_EVENT_LOCAL_CANDIDATE:
    if (p->ncands < H_MAXCAND)
      p->cands[p->ncands++] = ev->u.candidate;
    if (!n->all_at_once)
      h_signal(n, 1 - i, &ev->u.candidate, 0);
    break;
  case WEFT_ICE_EVENT_GATHERING_STATE:
    p->gather_state = ev->u.gathering_state;
    if (ev->u.gathering_state == WEFT_ICE_GATHERING_COMPLETE) {
      if (n->all_at_once)
        for (int k = 0; k < p->ncands; k++)
          h_signal(n, 1 - i, &p->cands[k], 0);
      h_signal(n, 1 - i, NULL, 1);
    }
    break;
  case WEFT_ICE_EVENT_CONNECTION_STATE:
    p->state = ev->u.connection.state;
    if (p->state == WEFT_ICE_STATE_FAILED) {
      p->failed_error = ev->u.connection.error;
      p->failed_reason = ev->u.connection.reason;
      p->failed_at = n->now;
    } else if (p->state == WEFT_ICE_STATE_CONNECTED && !p->connected_at) {
      p->connected_at = n->now;
    } else if (p->state == WEFT_ICE_STATE_DISCONNECTED) {
      p->disconnected_at = n->now;
    }
    break;
  case WEFT_ICE_EVENT_SELECTED_PAIR:
    p->nselected++;
    p->sel = *ev;
    break;
  case WEFT_ICE_EVENT_ROLE:
    p->nroles++;
    break;
  case WEFT_ICE_EVENT_GATHER_ERROR:
    p->gather_errors++;
    break;
  }
}

static inline void h_drain(h_net *n) {
  for (int round = 0; round < 4; round++) {
    for (int i = 0; i < 2; i++) {
      h_peer *p = &n->p[i];
      uint8_t buf[1500];
      weft_addr local, to;
      int len;
      while ((len = weft_ice_agent_poll_transmit(p->a, n->now, &local, &to, buf,
                                                 sizeof(buf))) > 0) {
        if (!p->blocked)
          h_enqueue(n, &local, &to, buf, (size_t)len);
      }
      weft_ice_event ev;
      while (weft_ice_agent_poll_event(p->a, &ev))
        h_event(n, i, &ev);
    }
  }
}

static inline void h_stun_answer(h_net *n, const h_pkt *pk) {
  if (n->stun_silent)
    return;
  weft_stun_server_settings ss;
  weft_stun_server_settings_default(&ss);
  ss.log.level = WEFT_LOG_NONE;
  weft_stun_server_stats st;
  memset(&st, 0, sizeof(st));
  int who = weft_addr_equal(&pk->from, &n->p[0].host) ? 0 : 1;
  const weft_addr *mapped = weft_addr_family(&n->stun_mapped[who]) != AF_UNSPEC
                                ? &n->stun_mapped[who]
                                : &pk->from;
  uint8_t out[1500];
  int len = weft_stun_server_answer(&ss, &st, mapped, pk->data, pk->len, out,
                                    sizeof(out));
  if (len > 0)
    h_enqueue(n, &n->stun_addr, &pk->from, out, (size_t)len);
}

static inline void h_deliver(h_net *n, const h_pkt *pk) {
  if (n->has_stun && weft_addr_equal(&pk->to, &n->stun_addr)) {
    h_stun_answer(n, pk);
    return;
  }
  for (int i = 0; i < 2; i++) {
    h_peer *p = &n->p[i];
    const weft_addr *local = &p->host;
    if (weft_addr_family(&p->relay) != AF_UNSPEC &&
        weft_addr_equal(&pk->to, &p->relay))
      local = &p->relay;
    else if (!weft_addr_equal(&pk->to, &p->host))
      continue;
    int rv =
        weft_ice_agent_recv(p->a, n->now, local, &pk->from, pk->data, pk->len);
    if (rv == WEFT_ICE_RECV_APP_DATA) {
      p->app_rx++;
      p->last_app_len = pk->len < 64 ? pk->len : 64;
      memcpy(p->last_app, pk->data, p->last_app_len);
    }
    return;
  }
  n->dropped_no_route++;
}

static inline weft_tstamp h_next(const h_net *n) {
  weft_tstamp t = WEFT_TSTAMP_NONE;
  for (size_t i = 0; i < n->nq; i++)
    if (n->q[i].at < t)
      t = n->q[i].at;
  for (int i = 0; i < n->nsig; i++)
    if (n->sig[i].at < t)
      t = n->sig[i].at;
  for (int i = 0; i < 2; i++) {
    weft_tstamp d = weft_ice_agent_deadline(n->p[i].a);
    if (d < t)
      t = d;
  }
  return t < n->now ? n->now : t;
}

static inline void h_run_signals(h_net *n) {
  for (int i = 0; i < n->nsig;) {
    if (n->sig[i].at > n->now) {
      i++;
      continue;
    }
    weft_ice_agent *a = n->p[n->sig[i].to].a;
    if (n->sig[i].eoc)
      weft_ice_agent_end_of_remote_candidates(a, n->now);
    else
      weft_ice_agent_add_remote_candidate(a, n->now, &n->sig[i].c);
    memmove(&n->sig[i], &n->sig[i + 1],
            (size_t)(n->nsig - i - 1) * sizeof(n->sig[0]));
    n->nsig--;
  }
}

/* One step: deliver what is due (in arrival order), fire due timers. */
static inline void h_step(h_net *n) {
  n->iterations++;
  h_run_signals(n);
  for (;;) {
    size_t best = n->nq;
    for (size_t i = 0; i < n->nq; i++)
      if (n->q[i].at <= n->now && (best == n->nq || n->q[i].at < n->q[best].at))
        best = i;
    if (best == n->nq)
      break;
    h_pkt pk = n->q[best];
    memmove(&n->q[best], &n->q[best + 1], (n->nq - best - 1) * sizeof(h_pkt));
    n->nq--;
    h_deliver(n, &pk);
    h_drain(n);
  }
  for (int i = 0; i < 2; i++)
    if (weft_ice_agent_deadline(n->p[i].a) <= n->now)
      weft_ice_agent_handle_timeout(n->p[i].a, n->now);
  h_drain(n);
}

typedef int (*h_pred)(h_net *n);

/* Runs until @p pred holds (1) or virtual time @p until passes (0). */
static inline int h_run(h_net *n, weft_tstamp until, h_pred pred) {
  h_drain(n);
  for (int iter = 0; iter < 2000000; iter++) {
    if (pred != NULL && pred(n))
      return 1;
    weft_tstamp t = h_next(n);
    if (t > until) {
      n->now = until;
      return 0;
    }
    n->now = t;
    h_step(n);
  }
  fprintf(stderr, "h_run: iteration limit\n");
  abort();
}

static inline int h_both_selected(h_net *n) {
  return n->p[0].nselected > 0 && n->p[1].nselected > 0;
}

static inline int h_state_ok(int s) {
  return s == WEFT_ICE_STATE_CONNECTED || s == WEFT_ICE_STATE_COMPLETED;
}

static inline int h_both_connected(h_net *n) {
  return h_state_ok(n->p[0].state) && h_state_ok(n->p[1].state);
}

static inline int h_any_failed(h_net *n) {
  return n->p[0].state == WEFT_ICE_STATE_FAILED ||
         n->p[1].state == WEFT_ICE_STATE_FAILED;
}

static inline int h_both_failed(h_net *n) {
  return n->p[0].state == WEFT_ICE_STATE_FAILED &&
         n->p[1].state == WEFT_ICE_STATE_FAILED;
}

#endif
