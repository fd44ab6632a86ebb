/* Gathering server-reflexive candidates (RFC 8445 section 5.1.1.2): one
 * Binding transaction per (host base, STUN server of its family). */
#include "ice/ice_int.h"

#include <string.h>

#define GATHER_RTO_MS 500
#define GATHER_RTO_MAX_MS 1600

void ice_gather_host(weft_ice_agent *a, weft_tstamp now, int host) {
  if (a->s.lite)
    return;
  ice_turn_gather_host(a, now, host);
  int fam = weft_addr_family(&a->lc[host].addr);
  for (size_t s = 0; s < a->s.nstun_servers; s++) {
    if (weft_addr_family(&a->s.stun_servers[s]) != fam)
      continue;
    if (a->ngtx >= a->max_gtx) {
      a->st.dropped_limit++;
      return;
    }
    ice_gtx *g = &a->gtx[a->ngtx++];
    memset(g, 0, sizeof(*g));
    weft_rand_bytes(a->s.rand, g->txid, sizeof(g->txid));
    g->host = (uint8_t)host;
    g->server = (uint8_t)s;
    g->rto_ms = GATHER_RTO_MS;
    g->tx = 1;
  }
}

void ice_gather_check_done(weft_ice_agent *a) {
  if (!a->gathering || a->gather_state != WEFT_ICE_GATHERING_GATHERING)
    return;
  for (int i = 0; i < a->ngtx; i++)
    if (!a->gtx[i].done)
      return;
  if (ice_turn_gathering(a))
    return;
  a->gather_state = WEFT_ICE_GATHERING_COMPLETE;
  ice_event(a, WEFT_ICE_EVENT_GATHERING_STATE, a->gather_state, 0, 0, NULL);
}

static void gather_error(weft_ice_agent *a, ice_gtx *g, int code) {
  g->done = 1;
  g->tx = 0;
  ice_event(a, WEFT_ICE_EVENT_GATHER_ERROR, g->host, g->server, code, NULL);
}

void ice_gather_timeout(weft_ice_agent *a, weft_tstamp now) {
  for (int i = 0; i < a->ngtx; i++) {
    ice_gtx *g = &a->gtx[i];
    if (g->done || g->tx || g->next > now)
      continue;
    if (g->sent >= a->s.gather_max_transmits) {
      gather_error(a, g, 0);
      continue;
    }
    g->rto_ms =
        g->rto_ms * 2 > GATHER_RTO_MAX_MS ? GATHER_RTO_MAX_MS : g->rto_ms * 2;
    g->tx = 1;
  }
  ice_gather_check_done(a);
}

weft_tstamp ice_gather_deadline(const weft_ice_agent *a) {
  weft_tstamp d = WEFT_TSTAMP_NONE;
  for (int i = 0; i < a->ngtx; i++) {
    const ice_gtx *g = &a->gtx[i];
    if (!g->done && !g->tx && g->next < d)
      d = g->next;
  }
  return d;
}

static void add_srflx(weft_ice_agent *a, const ice_gtx *g,
                      const weft_addr *mapped) {
  if (ice_find_local(a, mapped) >= 0)
    return; /* same as a host candidate (no NAT) or known: redundant */
  const weft_addr *base = &a->lc[g->host].addr;
  int i = ice_add_local(
      a, WEFT_ICE_CANDIDATE_SRFLX, mapped, g->host, base,
      ice_local_foundation(WEFT_ICE_CANDIDATE_SRFLX, base, g->server + 1));
  if (i >= 0)
    ice_signal_local(a, i);
}

int ice_gather_response(weft_ice_agent *a, weft_tstamp now,
                        const weft_addr *from, const weft_stun_msg *msg) {
  (void)now;
  for (int i = 0; i < a->ngtx; i++) {
    ice_gtx *g = &a->gtx[i];
    if (g->done || memcmp(g->txid, msg->txid, sizeof(g->txid)) != 0)
      continue;
    if (!weft_addr_equal(from, &a->s.stun_servers[g->server]))
      return 0;
    if (msg->cls == WEFT_STUN_ERROR) {
      int code = 0;
      const weft_stun_attr *e =
          weft_stun_msg_find(msg, WEFT_STUN_ATTR_ERROR_CODE);
      if (e != NULL)
        weft_stun_attr_error(e, &code, NULL, NULL);
      gather_error(a, g, code);
    } else {
      weft_addr mapped;
      const weft_stun_attr *x =
          weft_stun_msg_find(msg, WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS);
      const weft_stun_attr *m =
          weft_stun_msg_find(msg, WEFT_STUN_ATTR_MAPPED_ADDRESS);
      if (x != NULL && weft_stun_attr_xor_addr(msg, x, &mapped) == 0)
        add_srflx(a, g, &mapped);
      else if (m != NULL && weft_stun_attr_addr(m, &mapped) == 0)
        add_srflx(a, g, &mapped);
      g->done = 1;
      g->tx = 0;
    }
    ice_gather_check_done(a);
    return 1;
  }
  return 0;
}

int ice_build_gather(weft_ice_agent *a, int i, uint8_t *buf, size_t buflen) {
  weft_stun_builder b;
  weft_stun_builder_init(&b, buf, buflen, WEFT_STUN_BINDING, WEFT_STUN_REQUEST,
                         a->gtx[i].txid);
  weft_stun_builder_add_fingerprint(&b);
  return weft_stun_builder_finish(&b);
}

void ice_restart_gathering(weft_ice_agent *a, weft_tstamp now) {
  (void)now;
  if (!a->gathering)
    return;
  a->gather_state = WEFT_ICE_GATHERING_GATHERING;
  ice_event(a, WEFT_ICE_EVENT_GATHERING_STATE, a->gather_state, 0, 0, NULL);
  for (int i = 0; i < a->nl; i++) {
    a->lc[i].signalled = 0;
    ice_signal_local(a, i);
  }
  ice_gather_check_done(a);
}
