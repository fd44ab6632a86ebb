/* Relay candidates through TURN (RFC 8445 section 5.1.1.2, RFC 8656): the
 * agent owns one sans-IO TURN client per configured server. The client talks
 * to its server from a host socket of the server's family; the relayed
 * address becomes a relay candidate; datagrams the agent sends "from" the
 * relayed address are wrapped by the client (a Send indication, ChannelData
 * once the selected pair's channel is bound), and what the client unwraps is
 * received as if it arrived on the relayed address. */
#include "ice/ice_int.h"

#include "base/mem.h"

#include <string.h>

int ice_turn_init(weft_ice_agent *a, const weft_ice_settings *s) {
  if (s->nturn_servers == 0)
    return 0;
  a->turn = weft_calloc(a->mem, s->nturn_servers, sizeof(*a->turn));
  if (a->turn == NULL)
    return WEFT_ERR_NOMEM;
  for (size_t i = 0; i < s->nturn_servers; i++) {
    const weft_ice_turn_server *ts = &s->turn_servers[i];
    weft_turn_client_settings cs;
    weft_turn_client_settings_default(&cs);
    cs.server = ts->addr;
    cs.transport = WEFT_TURN_UDP;
    cs.username = ts->username;
    cs.password = ts->password;
    cs.family = weft_addr_family(&ts->addr);
    cs.rand = a->s.rand;
    cs.log = a->s.log;
    ice_turn *t = &a->turn[a->nturn];
    int rv = weft_turn_client_new(&t->c, &cs, a->mem);
    if (rv != 0)
      return rv;
    t->host = ICE_NONE;
    t->relay = ICE_NONE;
    a->nturn++;
  }
  return 0;
}

void ice_turn_free(weft_ice_agent *a) {
  for (int i = 0; i < a->nturn; i++)
    weft_turn_client_del(a->turn[i].c);
  weft_free(a->mem, a->turn);
  a->turn = NULL;
  a->nturn = 0;
}

/* Host candidate @p host exists and gathering runs: the servers of its
 * family without a socket yet allocate through it. */
void ice_turn_gather_host(weft_ice_agent *a, weft_tstamp now, int host) {
  for (int i = 0; i < a->nturn; i++) {
    ice_turn *t = &a->turn[i];
    if (t->host != ICE_NONE || weft_addr_family(&a->s.turn_servers[i].addr) !=
                                   weft_addr_family(&a->lc[host].addr))
      continue;
    t->host = (uint8_t)host;
    if (weft_turn_client_allocate(t->c, now) != 0)
      t->done = 1;
  }
}

/* 1 while an allocation has not succeeded or failed yet. */
int ice_turn_gathering(const weft_ice_agent *a) {
  for (int i = 0; i < a->nturn; i++)
    if (a->turn[i].host != ICE_NONE && !a->turn[i].done)
      return 1;
  return 0;
}

static void on_allocated(weft_ice_agent *a, weft_tstamp now, ice_turn *t,
                         const weft_turn_client_event *ev) {
  t->done = 1;
  const weft_addr *relayed = &ev->relayed[0];
  if (weft_addr_family(relayed) == AF_UNSPEC)
    relayed = &ev->relayed[1];
  int i =
      weft_ice_agent_add_local_relay_candidate(a, now, relayed, &ev->mapped);
  if (i >= 0)
    t->relay = (uint8_t)i;
}

static void turn_events(weft_ice_agent *a, weft_tstamp now, int k) {
  ice_turn *t = &a->turn[k];
  weft_turn_client_event ev;
  while (weft_turn_client_poll_event(t->c, &ev)) {
    switch (ev.type) {
    case WEFT_TURN_CLIENT_EV_ALLOCATED:
      on_allocated(a, now, t, &ev);
      break;
    case WEFT_TURN_CLIENT_EV_ALLOCATE_FAILED:
      t->done = 1;
      ice_event(a, WEFT_ICE_EVENT_GATHER_ERROR, t->host,
                WEFT_ICE_MAX_STUN_SERVERS + k, ev.error_code, NULL);
      break;
    case WEFT_TURN_CLIENT_EV_ALLOCATION_LOST:
    case WEFT_TURN_CLIENT_EV_CLOSED:
      ICE_LOG(a, WEFT_LOG_INFO, "TURN allocation %d gone", k);
      break;
    default:
      break;
    }
  }
  ice_gather_check_done(a);
}

/* A datagram on host socket @p li from a TURN server: 0 when it is none,
 * 1 when the client consumed it (*unwrapped set when it carried a peer's
 * datagram: then *relayed, *peer, *payload, *plen are set). */
int ice_turn_recv(weft_ice_agent *a, weft_tstamp now, int li,
                  const weft_addr *from, const uint8_t *data, size_t len,
                  ice_turn_rx *rx) {
  for (int k = 0; k < a->nturn; k++) {
    ice_turn *t = &a->turn[k];
    if (t->host != li || !weft_addr_equal(from, &a->s.turn_servers[k].addr))
      continue;
    rx->unwrapped = 0;
    if (weft_turn_client_recv(t->c, now, data, len, &rx->peer, &rx->payload,
                              &rx->plen) == 1 &&
        t->relay != ICE_NONE) {
      rx->unwrapped = 1;
      rx->relayed = a->lc[t->relay].addr;
    }
    turn_events(a, now, k);
    return 1;
  }
  return 0;
}

/* The client of relay candidate @p local, or -1. */
static int turn_of_local(const weft_ice_agent *a, const weft_addr *local) {
  for (int k = 0; k < a->nturn; k++)
    if (a->turn[k].relay != ICE_NONE &&
        weft_addr_equal(local, &a->lc[a->turn[k].relay].addr))
      return k;
  return -1;
}

/* 1 when @p local is the relayed address of one of the agent's clients. */
int ice_turn_relayed(const weft_ice_agent *a, const weft_addr *local) {
  return turn_of_local(a, local) >= 0;
}

/* A datagram of the agent from a relayed address: handed to its client
 * (permission asked on first use; the selected pair's peer gets a
 * channel). Returns 1 when it was a relayed datagram (queued or dropped). */
int ice_turn_wrap(weft_ice_agent *a, weft_tstamp now, const weft_addr *local,
                  const weft_addr *to, const uint8_t *buf, size_t len) {
  int k = turn_of_local(a, local);
  if (k < 0)
    return 0;
  weft_turn_client *c = a->turn[k].c;
  if (a->selected != ICE_NONE &&
      weft_addr_equal(to, &a->rc[a->pairs[a->selected].remote].addr))
    weft_turn_client_bind_channel(c, now, to);
  int rv = weft_turn_client_send(c, now, to, buf, len);
  if (rv == WEFT_ERR_TURN_PERMISSION &&
      weft_turn_client_create_permission(c, now, to) == 0)
    rv = weft_turn_client_send(c, now, to, buf, len);
  if (rv != 0)
    a->st.dropped_limit++;
  return 1;
}

/* The next datagram of a TURN client (to its server, from its host). */
int ice_turn_poll(weft_ice_agent *a, weft_addr *local, weft_addr *to,
                  uint8_t *buf, size_t buflen) {
  for (int k = 0; k < a->nturn; k++) {
    ice_turn *t = &a->turn[k];
    if (t->host == ICE_NONE)
      continue;
    int n = weft_turn_client_poll_transmit(t->c, to, buf, buflen);
    if (n != 0) {
      *local = a->lc[t->host].addr;
      return n;
    }
  }
  return 0;
}

weft_tstamp ice_turn_deadline(const weft_ice_agent *a) {
  weft_tstamp d = WEFT_TSTAMP_NONE;
  for (int k = 0; k < a->nturn; k++) {
    weft_tstamp t = weft_turn_client_deadline(a->turn[k].c);
    if (t < d)
      d = t;
  }
  return d;
}

void ice_turn_timeout(weft_ice_agent *a, weft_tstamp now) {
  for (int k = 0; k < a->nturn; k++) {
    if (weft_turn_client_deadline(a->turn[k].c) > now)
      continue;
    weft_turn_client_handle_timeout(a->turn[k].c, now);
    turn_events(a, now, k);
  }
}

/* Deallocates every allocation (the Refresh with lifetime 0 still goes out
 * after close). */
void ice_turn_close(weft_ice_agent *a, weft_tstamp now) {
  for (int k = 0; k < a->nturn; k++)
    if (weft_turn_client_is_allocated(a->turn[k].c))
      weft_turn_client_close(a->turn[k].c, now);
}
