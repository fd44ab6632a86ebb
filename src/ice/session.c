/* ICE agent: the sans-IO verbs, restart, close, the selected pair and the
 * application-data send queue. */
#include "ice/ice_int.h"

#include "base/buf.h"
#include "base/mem.h"

#include <string.h>

/* ---- input -------------------------------------------------------------- */

/* The local candidate a datagram arrived on: exact, or the host candidate of
 * the same family and port when the socket is bound to a wildcard. */
static int local_index(const weft_ice_agent *a, const weft_addr *local) {
  int i = ice_find_local(a, local);
  if (i >= 0)
    return a->lc[i].base;
  if (!weft_addr_is_any(local))
    return -1;
  for (int k = 0; k < a->nl; k++) {
    const ice_lcand *c = &a->lc[k];
    if (c->type == WEFT_ICE_CANDIDATE_HOST &&
        weft_addr_family(&c->addr) == weft_addr_family(local) &&
        weft_addr_port(&c->addr) == weft_addr_port(local))
      return k;
  }
  return -1;
}

/* Application data is accepted from the remote end of a pair on which
 * connectivity has been proven either way. */
static int data_allowed(const weft_ice_agent *a, int local,
                        const weft_addr *from) {
  if (a->selected != ICE_NONE) {
    const ice_pair *p = &a->pairs[a->selected];
    if (p->local == local && weft_addr_equal(&a->rc[p->remote].addr, from))
      return 1;
  }
  for (int i = 0; i < a->np; i++) {
    const ice_pair *p = &a->pairs[i];
    if (p->local == local && (p->flags & (PF_VALID | PF_PEER_OK)) &&
        weft_addr_equal(&a->rc[p->remote].addr, from))
      return 1;
  }
  return 0;
}

static int recv_on(weft_ice_agent *a, weft_tstamp now, int li,
                   const weft_addr *from, const uint8_t *data, size_t len) {
  if (len > 0 && data[0] < 4) {
    a->st.rx_stun++;
    ice_recv_stun(a, now, li, from, data, len);
    ice_update_state(a, now);
    return 0;
  }
  if (!data_allowed(a, li, from)) {
    a->st.dropped_unknown_remote++;
    return 0;
  }
  a->st.rx_app_data++;
  a->app_off = 0;
  a->app_len = (uint16_t)(len > 65535 ? 65535 : len);
  return WEFT_ICE_RECV_APP_DATA;
}

/* A datagram from a TURN server on host socket @p li: 1 when it was one. */
static int recv_turn(weft_ice_agent *a, weft_tstamp now, int li,
                     const weft_addr *from, const uint8_t *data, size_t len,
                     int *rv) {
  ice_turn_rx rx;
  if (!ice_turn_recv(a, now, li, from, data, len, &rx))
    return 0;
  *rv = 0;
  if (rx.unwrapped) {
    int ri = local_index(a, &rx.relayed);
    if (ri >= 0)
      *rv = recv_on(a, now, ri, &rx.peer, rx.payload, rx.plen);
    if (*rv == WEFT_ICE_RECV_APP_DATA)
      a->app_off = (uint16_t)(rx.payload - data);
  }
  ice_update_state(a, now);
  return 1;
}

int weft_ice_agent_recv(weft_ice_agent *a, weft_tstamp now,
                        const weft_addr *local, const weft_addr *from,
                        const uint8_t *data, size_t len) {
  if (a == NULL || local == NULL || from == NULL || (data == NULL && len))
    return WEFT_ERR_INVALID_ARGUMENT;
  a->st.rx_datagrams++;
  int li = local_index(a, local);
  if (li < 0) {
    a->st.dropped_unknown_local++;
    return 0;
  }
  int rv;
  if (a->nturn > 0 && recv_turn(a, now, li, from, data, len, &rv))
    return rv; /* after close too: the deallocation's answer */
  if (a->state == WEFT_ICE_STATE_CLOSED)
    return 0;
  return recv_on(a, now, li, from, data, len);
}

void weft_ice_agent_app_data(const weft_ice_agent *a, size_t *offset,
                             size_t *len) {
  if (offset != NULL)
    *offset = a != NULL ? a->app_off : 0;
  if (len != NULL)
    *len = a != NULL ? a->app_len : 0;
}

/* ---- output ------------------------------------------------------------- */

static int out_response(weft_ice_agent *a, weft_addr *local, weft_addr *to,
                        uint8_t *buf, size_t buflen) {
  const ice_resp *r = &a->resp[a->resp_head];
  int n = ice_build_response(a, r, buf, buflen);
  if (n == WEFT_ERR_BUFFER_TOO_SMALL)
    return n;
  *local = a->lc[r->local].addr;
  *to = r->to;
  a->resp_head = (uint8_t)((a->resp_head + 1) % a->cap_resp);
  a->resp_n--;
  if (n > 0) {
    if (r->code == 0)
      a->st.tx_responses++;
    else
      a->st.tx_errors++;
  }
  return n;
}

static int out_request(weft_ice_agent *a, weft_tstamp now, weft_addr *local,
                       weft_addr *to, uint8_t *buf, size_t buflen) {
  for (int i = 0; i < a->np; i++) {
    ice_pair *p = &a->pairs[i];
    if (!(p->flags & PF_TX))
      continue;
    int n = ice_build_request(a, i, buf, buflen);
    if (n == WEFT_ERR_BUFFER_TOO_SMALL)
      return n;
    p->flags &= (uint16_t)~PF_TX;
    if (n <= 0)
      continue;
    p->sent++;
    p->next = now + (weft_tstamp)p->rto_ms * WEFT_MILLISECONDS;
    *local = a->lc[p->local].addr;
    *to = a->rc[p->remote].addr;
    a->st.tx_checks++;
    return n;
  }
  return 0;
}

static int out_gather(weft_ice_agent *a, weft_tstamp now, weft_addr *local,
                      weft_addr *to, uint8_t *buf, size_t buflen) {
  for (int i = 0; i < a->ngtx; i++) {
    ice_gtx *g = &a->gtx[i];
    if (!g->tx)
      continue;
    int n = ice_build_gather(a, i, buf, buflen);
    if (n == WEFT_ERR_BUFFER_TOO_SMALL)
      return n;
    g->tx = 0;
    if (n <= 0)
      continue;
    g->sent++;
    g->next = now + (weft_tstamp)g->rto_ms * WEFT_MILLISECONDS;
    *local = a->lc[g->host].addr;
    *to = a->s.stun_servers[g->server];
    return n;
  }
  return 0;
}

static int out_data(weft_ice_agent *a, weft_addr *local, weft_addr *to,
                    uint8_t *buf, size_t buflen) {
  if (a->sq_used == 0)
    return 0;
  if (ice_send_allowed(a) != 0) {
    a->sq_used = 0;
    a->sq_head = 0;
    return 0;
  }
  int n = ice_sq_pop(a, buf, buflen);
  if (n <= 0)
    return n;
  ice_send_path(a, local, to);
  a->st.tx_app_data++;
  return n;
}

static int poll_own(weft_ice_agent *a, weft_tstamp now, weft_addr *local,
                    weft_addr *to, uint8_t *buf, size_t buflen) {
  if (a->state == WEFT_ICE_STATE_CLOSED)
    return 0;
  int n = 0;
  while (n == 0 && a->resp_n > 0)
    n = out_response(a, local, to, buf, buflen);
  if (n == 0)
    n = out_request(a, now, local, to, buf, buflen);
  if (n == 0)
    n = out_gather(a, now, local, to, buf, buflen);
  if (n == 0 && a->ka_tx && ice_send_path(a, local, to) == 0) {
    n = ice_build_keepalive(a, buf, buflen);
    if (n != WEFT_ERR_BUFFER_TOO_SMALL)
      a->ka_tx = 0;
  }
  if (n == 0)
    n = out_data(a, local, to, buf, buflen);
  if (n > 0)
    a->last_tx = now;
  return n;
}

int weft_ice_agent_poll_transmit(weft_ice_agent *a, weft_tstamp now,
                                 weft_addr *local, weft_addr *to, uint8_t *buf,
                                 size_t buflen) {
  if (a == NULL || local == NULL || to == NULL || buf == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (a->nturn == 0)
    return poll_own(a, now, local, to, buf, buflen);
  /* each turn takes one datagram of the agent's own (bounded queues) */
  for (;;) {
    int n = ice_turn_poll(a, local, to, buf, buflen);
    if (n != 0)
      return n;
    n = poll_own(a, now, local, to, buf, buflen);
    if (n <= 0 || !ice_turn_wrap(a, now, local, to, buf, (size_t)n))
      return n;
  }
}

/* ---- timers ------------------------------------------------------------- */

static weft_tstamp min_ts(weft_tstamp x, weft_tstamp y) {
  return x < y ? x : y;
}

static weft_tstamp own_deadline(const weft_ice_agent *a) {
  if (a->state == WEFT_ICE_STATE_CLOSED)
    return WEFT_TSTAMP_NONE;
  if (a->have_rcreds && a->nl > 0 && a->checking_since == WEFT_TSTAMP_NONE)
    return 0;
  weft_tstamp d = ice_gather_deadline(a);
  if (a->state == WEFT_ICE_STATE_FAILED)
    return d;
  d = min_ts(d, ice_checks_deadline(a));
  d = min_ts(d, ice_consent_deadline(a));
  if (a->checking_since != WEFT_TSTAMP_NONE && a->selected == ICE_NONE &&
      !a->fail_fired)
    d = min_ts(d, a->checking_since + a->s.fail_timeout);
  return d;
}

weft_tstamp weft_ice_agent_deadline(const weft_ice_agent *a) {
  if (a == NULL)
    return WEFT_TSTAMP_NONE;
  weft_tstamp d = own_deadline(a);
  return a->nturn > 0 ? min_ts(d, ice_turn_deadline(a)) : d;
}

int weft_ice_agent_handle_timeout(weft_ice_agent *a, weft_tstamp now) {
  if (a == NULL)
    return 0;
  if (a->nturn > 0)
    ice_turn_timeout(a, now);
  if (a->state == WEFT_ICE_STATE_CLOSED)
    return 0;
  if (a->have_rcreds && a->nl > 0 && a->checking_since == WEFT_TSTAMP_NONE)
    a->checking_since = now;
  if (a->checking_since != WEFT_TSTAMP_NONE &&
      now >= a->checking_since + a->s.fail_timeout)
    a->fail_fired = 1;
  ice_gather_timeout(a, now);
  if (a->state != WEFT_ICE_STATE_FAILED) {
    ice_checks_timeout(a, now);
    ice_consent_timeout(a, now);
  }
  ice_update_state(a, now);
  return 0;
}

/* ---- restart and close -------------------------------------------------- */

/* Keeps only the selected pair (index 0) and its remote candidate (index 0),
 * as generation @p old. */
static void keep_selected(weft_ice_agent *a) {
  ice_pair p = a->pairs[a->selected];
  ice_rcand r = a->rc[p.remote];
  p.flags &= (uint16_t)(PF_VALID | PF_NOMINATED | PF_PEER_OK);
  p.remote = 0;
  a->rc[0] = r;
  a->pairs[0] = p;
  a->nr = 1;
  a->np = 1;
  a->nrprflx = r.type == WEFT_ICE_CANDIDATE_PRFLX ? 1 : 0;
  a->selected = 0;
  a->old_active = 1;
}

int weft_ice_agent_restart(weft_ice_agent *a, weft_tstamp now,
                           const char *ufrag, const char *pwd) {
  if (a == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (a->state == WEFT_ICE_STATE_CLOSED)
    return WEFT_ERR_INVALID_STATE;
  int usable = a->selected != ICE_NONE && !a->consent_lost;
  /* restarting again before the new pair was selected: the old pair keeps
   * its generation, the pending one is replaced */
  int again = usable && a->old_active;
  int old = a->cur, next = again ? a->cur : 1 - a->cur;
  ice_creds saved = a->cred[next];
  memset(&a->cred[next], 0, sizeof(a->cred[next]));
  int rv = ice_set_local_creds(a, next, ufrag, pwd);
  if (rv != 0) {
    ice_clear_creds(a, &a->cred[next]);
    a->cred[next] = saved;
    return rv;
  }
  ice_clear_creds(a, &saved);
  a->cur = (uint8_t)next;
  if (again) {
    a->np = a->nr = 1; /* the old pair and its remote stay at index 0 */
    a->nrprflx = a->rc[0].type == WEFT_ICE_CANDIDATE_PRFLX ? 1 : 0;
  } else if (usable) {
    keep_selected(a);
  } else {
    ice_clear_creds(a, &a->cred[old]);
    a->np = a->nr = a->nrprflx = 0;
    a->old_active = 0;
    a->selected = ICE_NONE;
  }
  a->trig_n = a->trig_head = 0;
  a->resp_n = a->resp_head = 0;
  a->have_rcreds = 0;
  a->end_of_remote = 0;
  a->nominating = ICE_NONE;
  a->checking_since = WEFT_TSTAMP_NONE;
  a->fail_fired = 0;
  a->nom_retries = 0;
  a->first_valid = WEFT_TSTAMP_NONE;
  if (!usable) {
    a->consent_lost = a->disconnected = 0;
    a->consent_next = WEFT_TSTAMP_NONE;
    a->state = WEFT_ICE_STATE_NEW;
    ice_event(a, WEFT_ICE_EVENT_CONNECTION_STATE, WEFT_ICE_STATE_NEW, 0, 0,
              "ICE restart");
  }
  ice_restart_gathering(a, now);
  ice_update_state(a, now);
  return 0;
}

int weft_ice_agent_close(weft_ice_agent *a, weft_tstamp now) {
  if (a == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (a->state == WEFT_ICE_STATE_CLOSED)
    return 0;
  ice_turn_close(a, now);
  a->state = WEFT_ICE_STATE_CLOSED;
  ice_event(a, WEFT_ICE_EVENT_CONNECTION_STATE, WEFT_ICE_STATE_CLOSED, 0, 0,
            NULL);
  a->sq_used = a->sq_head = 0;
  a->resp_n = 0;
  return 0;
}

/* ---- selected pair and application data ---------------------------------- */

int weft_ice_agent_selected_pair(const weft_ice_agent *a,
                                 weft_ice_candidate *local,
                                 weft_ice_candidate *remote) {
  if (a == NULL || a->selected == ICE_NONE)
    return WEFT_ERR_NOT_FOUND;
  const ice_pair *p = &a->pairs[a->selected];
  if (local != NULL)
    ice_fill_local(a, p->valid_local, local);
  if (remote != NULL)
    ice_fill_remote(a, p->remote, remote);
  return 0;
}

int ice_send_allowed(const weft_ice_agent *a) {
  if (a->selected == ICE_NONE || a->state == WEFT_ICE_STATE_CLOSED)
    return WEFT_ERR_INVALID_STATE;
  if (a->consent_lost)
    return WEFT_ERR_ICE_CONSENT_EXPIRED;
  return 0;
}

/* The selected pair's path, also when a TURN client of the agent relays. */
int ice_send_path(const weft_ice_agent *a, weft_addr *local, weft_addr *to) {
  int rv = ice_send_allowed(a);
  if (rv != 0)
    return rv;
  const ice_pair *p = &a->pairs[a->selected];
  if (local != NULL)
    *local = a->lc[p->local].addr;
  if (to != NULL)
    *to = a->rc[p->remote].addr;
  return 0;
}

int weft_ice_agent_send_path(const weft_ice_agent *a, weft_addr *local,
                             weft_addr *to) {
  if (a == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  int rv = ice_send_path(a, local, to);
  if (rv == 0 && ice_turn_relayed(a, &a->lc[a->pairs[a->selected].local].addr))
    return WEFT_ERR_UNSUPPORTED;
  return rv;
}

void weft_ice_agent_note_sent(weft_ice_agent *a, weft_tstamp now) {
  if (a != NULL)
    a->last_tx = now;
}

/* Copies into / out of the ring at @p pos, in at most two pieces. */
static void sq_write(weft_ice_agent *a, size_t pos, const uint8_t *p,
                     size_t n) {
  pos %= a->sq_cap;
  size_t first = a->sq_cap - pos < n ? a->sq_cap - pos : n;
  memcpy(a->sq + pos, p, first);
  memcpy(a->sq, p + first, n - first);
}

static void sq_read(const weft_ice_agent *a, size_t pos, uint8_t *p, size_t n) {
  pos %= a->sq_cap;
  size_t first = a->sq_cap - pos < n ? a->sq_cap - pos : n;
  memcpy(p, a->sq + pos, first);
  memcpy(p + first, a->sq, n - first);
}

int weft_ice_agent_send(weft_ice_agent *a, weft_tstamp now, const uint8_t *data,
                        size_t len) {
  if (a == NULL || data == NULL || len == 0 || len > 65535)
    return WEFT_ERR_INVALID_ARGUMENT;
  (void)now;
  int rv = ice_send_allowed(a);
  if (rv != 0) {
    if (rv == WEFT_ERR_ICE_CONSENT_EXPIRED)
      a->st.dropped_no_consent++;
    return rv;
  }
  if (a->s.send_queue_bytes == 0)
    return WEFT_ERR_INVALID_STATE;
  if (a->sq == NULL) {
    a->sq = weft_malloc(a->mem, a->s.send_queue_bytes);
    if (a->sq == NULL)
      return WEFT_ERR_NOMEM;
    a->sq_cap = a->s.send_queue_bytes;
  }
  if (a->sq_cap - a->sq_used < len + 2)
    return WEFT_ERR_QUEUE_FULL;
  uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
  size_t tail = (a->sq_head + a->sq_used) % a->sq_cap;
  sq_write(a, tail, hdr, 2);
  sq_write(a, tail + 2, data, len);
  a->sq_used += len + 2;
  return 0;
}

int ice_sq_pop(weft_ice_agent *a, uint8_t *buf, size_t buflen) {
  uint8_t hdr[2];
  sq_read(a, a->sq_head, hdr, 2);
  size_t len = ((size_t)hdr[0] << 8) | hdr[1];
  if (buflen < len)
    return WEFT_ERR_BUFFER_TOO_SMALL;
  sq_read(a, a->sq_head + 2, buf, len);
  a->sq_head = (a->sq_head + 2 + len) % a->sq_cap;
  a->sq_used -= len + 2;
  if (a->sq_used == 0)
    a->sq_head = 0;
  return (int)len;
}

void weft_ice_agent_stats(const weft_ice_agent *a, weft_ice_stats *out) {
  if (a != NULL && out != NULL)
    *out = a->st;
}
