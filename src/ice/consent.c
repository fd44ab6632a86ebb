/* Consent freshness (RFC 7675) on the selected pair, and ICE-lite
 * keep-alives (RFC 8445 section 11). */
#include "ice/ice_int.h"

void ice_consent_start(weft_ice_agent *a, weft_tstamp now) {
  a->consent_ok = now;
  a->consent_wait = 0;
  a->disconnected = 0;
  a->consent_lost = 0;
  a->consent_next = now + ice_jitter(a, a->s.consent_interval);
}

void ice_consent_ok(weft_ice_agent *a, weft_tstamp now) {
  if (a->selected == ICE_NONE || a->consent_lost)
    return;
  a->consent_ok = now;
  a->consent_wait = 0;
  a->disconnected = 0;
}

static void consent_expired(weft_ice_agent *a) {
  a->consent_lost = 1;
  a->st.consent_expired++;
  a->sq_used = a->sq_head = 0;
  ice_fail(a, WEFT_ERR_ICE_CONSENT_EXPIRED,
           a->s.lite ? "consent expired: no check from the peer"
                     : "consent expired: no response from the peer");
}

static void send_consent(weft_ice_agent *a, weft_tstamp now) {
  ice_pair *p = &a->pairs[a->selected];
  if (p->state != PAIR_IN_PROGRESS) {
    ice_new_txn(a, now, p);
    p->flags |= PF_CONSENT;
    p->rto_ms = ice_ms16(a->s.consent_interval);
  }
  a->consent_next =
      now +
      (a->consent_wait ? WEFT_SECONDS : ice_jitter(a, a->s.consent_interval));
  a->consent_wait = 1;
}

void ice_consent_timeout(weft_ice_agent *a, weft_tstamp now) {
  if (a->selected == ICE_NONE || a->consent_lost)
    return;
  if (now >= a->consent_ok + a->s.consent_timeout) {
    consent_expired(a);
    return;
  }
  if (now >= a->consent_ok + a->s.disconnected_timeout)
    a->disconnected = 1;
  if (a->s.lite) {
    if (now >= a->last_tx + a->s.keepalive_interval)
      a->ka_tx = 1;
    return;
  }
  if (now >= a->consent_next)
    send_consent(a, now);
}

weft_tstamp ice_consent_deadline(const weft_ice_agent *a) {
  if (a->selected == ICE_NONE || a->consent_lost)
    return WEFT_TSTAMP_NONE;
  weft_tstamp d = a->consent_ok + a->s.consent_timeout;
  if (!a->disconnected && a->consent_ok + a->s.disconnected_timeout < d)
    d = a->consent_ok + a->s.disconnected_timeout;
  weft_tstamp n =
      a->s.lite ? a->last_tx + a->s.keepalive_interval : a->consent_next;
  return n < d ? n : d;
}

int ice_build_keepalive(weft_ice_agent *a, uint8_t *buf, size_t buflen) {
  weft_stun_builder b;
  uint8_t txid[WEFT_STUN_TXID_LEN];
  weft_rand_bytes(a->s.rand, txid, sizeof(txid));
  weft_stun_builder_init(&b, buf, buflen, WEFT_STUN_BINDING,
                         WEFT_STUN_INDICATION, txid);
  weft_stun_builder_add_fingerprint(&b);
  return weft_stun_builder_finish(&b);
}
