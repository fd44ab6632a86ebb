/* ICE over STUN: incoming checks and responses (RFC 8445 section 7), and
 * the building of requests and responses. MESSAGE-INTEGRITY is computed
 * and verified by the STUN codec with the ICE passwords. */
#include "ice/ice_int.h"

#include "base/mem.h"

#include "base/buf.h"

#include <stdio.h>
#include <string.h>

/* ---- integrity ---------------------------------------------------------- */

/* Verifies the integrity of @p msg with the short-term password @p pwd,
 * through the STUN codec (MESSAGE-INTEGRITY, or -SHA256 when present). */
static int check_integrity(const weft_stun_msg *msg, const char *pwd) {
  if (pwd[0] == '\0')
    return WEFT_ERR_STUN_NO_INTEGRITY;
  return weft_stun_msg_check_integrity(msg, (const uint8_t *)pwd, strlen(pwd));
}

int ice_add_integrity(weft_stun_builder *b, const char *pwd) {
  return weft_stun_builder_add_integrity(b, (const uint8_t *)pwd, strlen(pwd));
}

/* ---- building ----------------------------------------------------------- */

int ice_build_request(weft_ice_agent *a, int i, uint8_t *buf, size_t buflen) {
  const ice_pair *p = &a->pairs[i];
  const ice_creds *c = &a->cred[p->gen];
  if (ice_rpwd(c)[0] == '\0')
    return 0;
  char user[2 * WEFT_ICE_UFRAG_MAX + 2];
  snprintf(user, sizeof(user), "%s:%s", ice_rufrag(c), ice_lufrag(c));
  weft_stun_builder b;
  weft_stun_builder_init(&b, buf, buflen, WEFT_STUN_BINDING, WEFT_STUN_REQUEST,
                         p->txid);
  weft_stun_builder_add_str(&b, WEFT_STUN_ATTR_USERNAME, user);
  weft_stun_builder_add_u32(
      &b, WEFT_STUN_ATTR_PRIORITY,
      weft_ice_candidate_priority(WEFT_ICE_CANDIDATE_PRFLX,
                                  a->lc[p->local].lpref, a->s.component));
  if (p->flags & PF_SENT_CTRL) {
    weft_stun_builder_add_u64(&b, WEFT_STUN_ATTR_ICE_CONTROLLING,
                              a->tiebreaker);
    if ((p->flags & PF_NOMINATING) ||
        (a->s.aggressive_nomination && !(p->flags & PF_CONSENT)) ||
        ((p->flags & PF_CONSENT) && (p->flags & PF_NOMINATED)))
      weft_stun_builder_add_flag(&b, WEFT_STUN_ATTR_USE_CANDIDATE);
  } else {
    weft_stun_builder_add_u64(&b, WEFT_STUN_ATTR_ICE_CONTROLLED, a->tiebreaker);
  }
  ice_add_integrity(&b, ice_rpwd(c));
  weft_stun_builder_add_fingerprint(&b);
  return weft_stun_builder_finish(&b);
}

int ice_build_response(weft_ice_agent *a, const ice_resp *r, uint8_t *buf,
                       size_t buflen) {
  weft_stun_builder b;
  weft_stun_builder_init(&b, buf, buflen, WEFT_STUN_BINDING,
                         r->code ? WEFT_STUN_ERROR : WEFT_STUN_SUCCESS,
                         r->txid);
  if (r->code == 0) {
    weft_stun_builder_add_xor_addr(&b, WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS,
                                   &r->to);
  } else {
    weft_stun_builder_add_error(&b, r->code, NULL);
    if (r->nunknown > 0)
      weft_stun_builder_add_unknown(&b, r->unknown, r->nunknown);
  }
  if (r->gen != ICE_NONE) {
    const ice_creds *c = &a->cred[r->gen];
    if (ice_lpwd(c)[0] == '\0')
      return 0; /* credentials gone (restart): drop */
    ice_add_integrity(&b, ice_lpwd(c));
  }
  weft_stun_builder_add_fingerprint(&b);
  return weft_stun_builder_finish(&b);
}

/* Grows the full response ring (doubling, up to the cap), its entries in
 * order from index 0. 0 or -1 (at the cap, or no memory). */
static int grow_responses(weft_ice_agent *a) {
  size_t old = a->cap_resp, n = old * 2;
  if (n > a->s.max_pending_responses)
    n = a->s.max_pending_responses;
  if (n <= old)
    return -1;
  ice_resp *r = weft_calloc(a->mem, n, sizeof(*r));
  if (r == NULL)
    return -1;
  for (size_t i = 0; i < a->resp_n; i++)
    r[i] = a->resp[(a->resp_head + i) % old];
  weft_free(a->mem, a->resp);
  a->resp = r;
  a->resp_head = 0;
  a->cap_resp = (uint8_t)n;
  return 0;
}

int ice_queue_response(weft_ice_agent *a, int local, const weft_addr *to,
                       const weft_stun_msg *req, int code, int gen) {
  if (a->resp_n >= a->cap_resp && grow_responses(a) != 0) {
    a->st.dropped_queue_full++;
    return WEFT_ERR_QUEUE_FULL;
  }
  ice_resp *r = &a->resp[(a->resp_head + a->resp_n) % a->cap_resp];
  memset(r, 0, sizeof(*r));
  r->to = *to;
  memcpy(r->txid, req->txid, sizeof(r->txid));
  r->code = (uint16_t)code;
  r->local = (uint8_t)local;
  r->gen = (uint8_t)gen;
  if (code == WEFT_STUN_ERR_UNKNOWN_ATTRIBUTE) {
    size_t n = req->nunknown < 4 ? req->nunknown : 4;
    memcpy(r->unknown, req->unknown, n * sizeof(uint16_t));
    r->nunknown = (uint8_t)n;
  }
  a->resp_n++;
  return 0;
}

/* ---- requests ----------------------------------------------------------- */

/* The credential generation whose local ufrag the USERNAME names. */
static int match_ufrag(const weft_ice_agent *a, const weft_stun_attr *u) {
  const char *colon = memchr(u->value, ':', u->len);
  if (colon == NULL)
    return -1;
  size_t n = (size_t)(colon - (const char *)u->value);
  for (int k = 0; k < 2; k++) {
    int g = k == 0 ? a->cur : 1 - a->cur;
    if (g != a->cur && !a->old_active)
      continue;
    const char *mine = ice_lufrag(&a->cred[g]);
    if (mine[0] != '\0' && strlen(mine) == n && memcmp(mine, u->value, n) == 0)
      return g;
  }
  return -1;
}

static void switch_role(weft_ice_agent *a, int role) {
  a->role = (uint8_t)role;
  a->st.role_conflicts++;
  ice_recompute_prios(a);
  ICE_LOG(a, WEFT_LOG_INFO, "role conflict: now %s",
          role == WEFT_ICE_CONTROLLING ? "controlling" : "controlled");
  ice_event(a, WEFT_ICE_EVENT_ROLE, role, 0, 0, NULL);
}

/* RFC 8445 7.3.1.1. Returns 487 when the peer must change its role. */
static int role_conflict(weft_ice_agent *a, const weft_stun_msg *msg) {
  uint64_t t = 0;
  const weft_stun_attr *ctl =
      weft_stun_msg_find(msg, WEFT_STUN_ATTR_ICE_CONTROLLING);
  const weft_stun_attr *ctd =
      weft_stun_msg_find(msg, WEFT_STUN_ATTR_ICE_CONTROLLED);
  if (a->role == WEFT_ICE_CONTROLLING && ctl != NULL &&
      weft_stun_attr_u64(ctl, &t) == 0) {
    if (a->tiebreaker >= t)
      return WEFT_STUN_ERR_ROLE_CONFLICT;
    switch_role(a, WEFT_ICE_CONTROLLED);
  } else if (a->role == WEFT_ICE_CONTROLLED && ctd != NULL &&
             weft_stun_attr_u64(ctd, &t) == 0) {
    if (a->s.lite || a->tiebreaker < t)
      return WEFT_STUN_ERR_ROLE_CONFLICT;
    switch_role(a, WEFT_ICE_CONTROLLING);
  }
  return 0;
}

static int find_remote_addr(const weft_ice_agent *a, const weft_addr *addr,
                            int gen) {
  for (int i = 0; i < a->nr; i++)
    if (a->rc[i].gen == gen && weft_addr_equal(&a->rc[i].addr, addr))
      return i;
  return -1;
}

/* A remote peer-reflexive candidate (RFC 8445 7.3.1.3). */
static int learn_remote(weft_ice_agent *a, const weft_addr *from,
                        uint32_t prio) {
  if (a->nr >= a->s.max_remote_candidates ||
      a->nrprflx >= a->s.max_remote_prflx || ice_room_remote(a) != 0) {
    a->st.dropped_limit++;
    return -1;
  }
  ice_rcand *r = &a->rc[a->nr];
  memset(r, 0, sizeof(*r));
  r->addr = *from;
  r->prio = prio;
  r->type = WEFT_ICE_CANDIDATE_PRFLX;
  r->gen = a->cur;
  r->foundation = weft_addr_hash(from) & 0xffffffffu;
  snprintf(r->fstr, sizeof(r->fstr), "p%08x", (unsigned)r->foundation);
  a->nrprflx++;
  a->st.remote_prflx++;
  return a->nr++;
}

/* An authenticated check from @p from on local @p li: learn, pair,
 * trigger, nominate (RFC 8445 7.3.1.3 - 7.3.1.5). */
static void on_check(weft_ice_agent *a, weft_tstamp now, int li,
                     const weft_addr *from, const weft_stun_msg *msg,
                     uint32_t prio) {
  int r = find_remote_addr(a, from, a->cur);
  if (r < 0)
    r = learn_remote(a, from, prio);
  if (r < 0)
    return;
  int i = ice_find_pair(a, li, r);
  if (i < 0)
    i = ice_add_pair(a, li, r);
  if (i < 0)
    return;
  ice_pair *p = &a->pairs[i];
  p->flags |= PF_PEER_OK;
  int use = weft_stun_msg_find(msg, WEFT_STUN_ATTR_USE_CANDIDATE) != NULL;
  if (a->s.lite) {
    p->state = PAIR_SUCCEEDED;
    p->flags |= PF_VALID;
    if (use)
      ice_nominated(a, now, i);
    if (a->selected == i)
      ice_consent_ok(a, now);
    return;
  }
  if (p->state != PAIR_SUCCEEDED)
    ice_trigger(a, i);
  if (use && a->role == WEFT_ICE_CONTROLLED) {
    if (p->state == PAIR_SUCCEEDED)
      ice_nominated(a, now, i);
    else
      p->flags |= PF_NOM_ON_OK;
  }
}

/* A check with the credentials of the previous generation (after a
 * restart): only for the old selected pair. */
static void on_old_check(weft_ice_agent *a, weft_tstamp now, int li,
                         const weft_addr *from) {
  int r = find_remote_addr(a, from, 1 - a->cur);
  if (r >= 0 && a->selected != ICE_NONE && a->pairs[a->selected].remote == r &&
      a->pairs[a->selected].local == li && a->s.lite)
    ice_consent_ok(a, now);
}

static void handle_request(weft_ice_agent *a, weft_tstamp now, int li,
                           const weft_addr *from, const weft_stun_msg *msg) {
  const weft_stun_attr *u = weft_stun_msg_find(msg, WEFT_STUN_ATTR_USERNAME);
  if (u == NULL || msg->integrity < 0) {
    a->st.dropped_bad_integrity++;
    ice_queue_response(a, li, from, msg, WEFT_STUN_ERR_BAD_REQUEST, ICE_NONE);
    return;
  }
  int gen = match_ufrag(a, u);
  if (gen < 0) {
    a->st.dropped_bad_ufrag++;
    return;
  }
  if (check_integrity(msg, ice_lpwd(&a->cred[gen])) != 0) {
    a->st.dropped_bad_integrity++;
    ice_queue_response(a, li, from, msg, WEFT_STUN_ERR_UNAUTHORIZED, ICE_NONE);
    return;
  }
  /* authenticated from here on */
  uint32_t prio = 0;
  const weft_stun_attr *pa = weft_stun_msg_find(msg, WEFT_STUN_ATTR_PRIORITY);
  int code = 0;
  if (msg->nunknown > 0)
    code = WEFT_STUN_ERR_UNKNOWN_ATTRIBUTE;
  else if (pa == NULL || weft_stun_attr_u32(pa, &prio) != 0 || prio == 0)
    code = WEFT_STUN_ERR_BAD_REQUEST;
  else if (gen == a->cur)
    code = role_conflict(a, msg);
  if (code != 0) {
    ice_queue_response(a, li, from, msg, code, gen);
    return;
  }
  if (ice_queue_response(a, li, from, msg, 0, gen) != 0)
    return;
  if (gen == a->cur)
    on_check(a, now, li, from, msg, prio);
  else
    on_old_check(a, now, li, from);
}

/* ---- responses ---------------------------------------------------------- */

static int find_txn(const weft_ice_agent *a, const uint8_t *txid) {
  for (int i = 0; i < a->np; i++)
    if (a->pairs[i].state != PAIR_FAILED &&
        memcmp(a->pairs[i].txid, txid, WEFT_STUN_TXID_LEN) == 0)
      return i;
  return -1;
}

static void on_error_response(weft_ice_agent *a, weft_tstamp now, int i,
                              const weft_stun_msg *msg) {
  ice_pair *p = &a->pairs[i];
  int code = 0;
  const weft_stun_attr *e = weft_stun_msg_find(msg, WEFT_STUN_ATTR_ERROR_CODE);
  if (e != NULL)
    weft_stun_attr_error(e, &code, NULL, NULL);
  if (p->flags & PF_CONSENT) {
    p->flags &= (uint16_t)~PF_CONSENT;
    return; /* consent is judged by its timer alone */
  }
  if (p->state != PAIR_IN_PROGRESS)
    return;
  if (code == WEFT_STUN_ERR_ROLE_CONFLICT) {
    int sent_ctrl = (p->flags & PF_SENT_CTRL) != 0;
    int was = sent_ctrl ? WEFT_ICE_CONTROLLING : WEFT_ICE_CONTROLLED;
    if (a->role == was && !(a->s.lite && sent_ctrl == 0))
      switch_role(a, sent_ctrl ? WEFT_ICE_CONTROLLED : WEFT_ICE_CONTROLLING);
    p->state = PAIR_WAITING;
    ice_trigger(a, i);
    return;
  }
  ice_check_failed(a, now, i);
}

/* A local peer-reflexive candidate for a mapped address we do not know. */
static int valid_local_for(weft_ice_agent *a, const ice_pair *p,
                           const weft_addr *mapped) {
  int vl = ice_find_local(a, mapped);
  if (vl >= 0)
    return vl;
  vl = ice_add_local(a, WEFT_ICE_CANDIDATE_PRFLX, mapped, p->local,
                     &a->lc[p->local].addr, 0);
  if (vl < 0)
    return p->local;
  a->st.local_prflx++;
  return vl;
}

static void on_success(weft_ice_agent *a, weft_tstamp now, int li,
                       const weft_addr *from, int i, const weft_stun_msg *msg) {
  ice_pair *p = &a->pairs[i];
  if (!weft_addr_equal(from, &a->rc[p->remote].addr) || li != p->local) {
    if (p->state == PAIR_IN_PROGRESS)
      ice_check_failed(a, now, i); /* not symmetric (7.2.5.2.1) */
    return;
  }
  if (a->selected == i)
    ice_consent_ok(a, now);
  if (p->state != PAIR_IN_PROGRESS || (p->flags & PF_CONSENT)) {
    p->flags &= (uint16_t)~PF_CONSENT;
    return;
  }
  weft_addr mapped;
  const weft_stun_attr *x =
      weft_stun_msg_find(msg, WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS);
  if (x == NULL || weft_stun_attr_xor_addr(msg, x, &mapped) != 0) {
    ice_check_failed(a, now, i);
    return;
  }
  ice_check_succeeded(a, now, i, valid_local_for(a, p, &mapped));
}

static void handle_response(weft_ice_agent *a, weft_tstamp now, int li,
                            const weft_addr *from, const weft_stun_msg *msg) {
  int i = find_txn(a, msg->txid);
  if (i < 0) {
    if (!ice_gather_response(a, now, from, msg))
      a->st.dropped_unknown_txid++;
    return;
  }
  const ice_creds *c = &a->cred[a->pairs[i].gen];
  if (check_integrity(msg, ice_rpwd(c)) != 0) {
    a->st.dropped_bad_integrity++;
    return;
  }
  if (msg->cls == WEFT_STUN_ERROR)
    on_error_response(a, now, i, msg);
  else
    on_success(a, now, li, from, i, msg);
}

int ice_recv_stun(weft_ice_agent *a, weft_tstamp now, int li,
                  const weft_addr *from, const uint8_t *data, size_t len) {
  weft_stun_msg msg;
  if (weft_stun_msg_decode(&msg, data, len) != 0 ||
      msg.method != WEFT_STUN_BINDING) {
    a->st.dropped_malformed++;
    return 0;
  }
  switch (msg.cls) {
  case WEFT_STUN_REQUEST:
    handle_request(a, now, li, from, &msg);
    break;
  case WEFT_STUN_SUCCESS:
  case WEFT_STUN_ERROR:
    handle_response(a, now, li, from, &msg);
    break;
  default:
    break; /* indications: keep-alives */
  }
  return 0;
}
