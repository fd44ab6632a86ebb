/* ICE agent: lifecycle, credentials, candidates, events, connection state,
 * the five sans-IO verbs and the send queue. */
#include "ice/ice_int.h"

#include "base/buf.h"
#include "base/mem.h"

#include <stdio.h>
#include <string.h>

void weft_ice_settings_default(weft_ice_settings *s) {
  memset(s, 0, sizeof(*s));
  weft_log_default(&s->log);
  s->role = WEFT_ICE_CONTROLLING;
  s->component = 1;
  s->max_local_candidates = 8;
  s->max_remote_candidates = 16;
  s->max_pairs = 64;
  s->max_remote_prflx = 8;
  s->max_pending_responses = 8;
  s->send_queue_bytes = 16384;
  s->ta = 50 * WEFT_MILLISECONDS;
  s->rto_min = 500 * WEFT_MILLISECONDS;
  s->rto_max = 1600 * WEFT_MILLISECONDS;
  s->check_max_transmits = 7;
  s->gather_max_transmits = 7;
  s->nomination_delay = 250 * WEFT_MILLISECONDS;
  s->fail_timeout = 10 * WEFT_SECONDS;
  s->consent_interval = 5 * WEFT_SECONDS;
  s->disconnected_timeout = 10 * WEFT_SECONDS;
  s->consent_timeout = 30 * WEFT_SECONDS;
  s->keepalive_interval = 15 * WEFT_SECONDS;
}

/* ---- small helpers ------------------------------------------------------ */

uint32_t ice_hash(const void *p, size_t n, uint32_t h) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 16777619u;
  }
  return h;
}

/* @p base randomized uniformly within +-20 %. */
weft_tstamp ice_jitter(weft_ice_agent *a, weft_tstamp base) {
  uint32_t r = weft_rand_u32(a->s.rand) % 4001; /* 0..4000 */
  return base / 10000 * (8000 + r);
}

static int valid_chars(const char *s, size_t min, size_t max, int strict) {
  size_t n = strlen(s);
  if (n < min || n > max)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!strict)
      ok = c > ' ' && c < 0x7f && c != ':';
    if (!ok)
      return 0;
  }
  return 1;
}

static void gen_chars(weft_ice_agent *a, char *out, size_t n) {
  static const char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint8_t rnd[32];
  weft_rand_bytes(a->s.rand, rnd, n);
  for (size_t i = 0; i < n; i++)
    out[i] = alphabet[rnd[i] & 63];
  out[n] = '\0';
}

static void free_cred(weft_ice_agent *a, char **slot) {
  if (*slot != NULL) {
    size_t n = strlen(*slot) + 1;
    memset(*slot, 0, n + strlen(*slot + n) + 1); /* wipe the key */
    weft_free(a->mem, *slot);
    *slot = NULL;
  }
}

void ice_clear_creds(weft_ice_agent *a, ice_creds *c) {
  free_cred(a, &c->l);
  free_cred(a, &c->r);
}

/* Replaces the ufrag and password held in *@p slot. */
int ice_set_cred(weft_ice_agent *a, char **slot, const char *ufrag,
                 const char *pwd) {
  size_t n0 = strlen(ufrag) + 1, n1 = strlen(pwd) + 1;
  char *s = weft_malloc(a->mem, n0 + n1);
  if (s == NULL)
    return WEFT_ERR_NOMEM;
  memcpy(s, ufrag, n0);
  memcpy(s + n0, pwd, n1);
  free_cred(a, slot);
  *slot = s;
  return 0;
}

/* Sets the local credentials of generation @p gen (NULL: generated). */
int ice_set_local_creds(weft_ice_agent *a, int gen, const char *ufrag,
                        const char *pwd) {
  ice_creds *c = &a->cred[gen];
  if ((ufrag != NULL && !valid_chars(ufrag, 4, WEFT_ICE_UFRAG_MAX, 1)) ||
      (pwd != NULL && !valid_chars(pwd, 22, WEFT_ICE_PWD_MAX, 1)))
    return WEFT_ERR_INVALID_ARGUMENT;
  char u[9], p[25];
  if (ufrag == NULL) {
    gen_chars(a, u, 8);
    ufrag = u;
  }
  if (pwd == NULL) {
    gen_chars(a, p, 24);
    pwd = p;
  }
  return ice_set_cred(a, &c->l, ufrag, pwd);
}

/* ---- lifecycle ---------------------------------------------------------- */

static int check_settings(const weft_ice_settings *s) {
  if (s->max_local_candidates == 0 || s->max_local_candidates > 254 ||
      s->max_remote_candidates == 0 || s->max_remote_candidates > 254 ||
      s->max_pairs == 0 || s->max_pairs > 254 ||
      s->max_pending_responses == 0 || s->max_pending_responses > 254 ||
      s->nstun_servers > WEFT_ICE_MAX_STUN_SERVERS || s->component == 0 ||
      s->component > 256 || s->ta == 0 || s->check_max_transmits == 0 ||
      s->gather_max_transmits == 0 || s->rto_min == 0 ||
      s->rto_max < s->rto_min || s->consent_interval == 0 ||
      s->nturn_servers > WEFT_ICE_MAX_TURN_SERVERS ||
      (s->nturn_servers > 0 && s->lite))
    return WEFT_ERR_INVALID_ARGUMENT;
  return 0;
}

/* Doubles the array @p arr of *@p cap elements of @p size bytes, to at most
 * @p max. Returns the new array (the old one is then gone), or NULL (the old
 * one stays) when it is at @p max already or memory is short. */
void *ice_grow(weft_ice_agent *a, void *arr, uint8_t *cap, size_t max,
               size_t size) {
  size_t n = (size_t)*cap * 2;
  if (n > max)
    n = max;
  if (n <= *cap)
    return NULL;
  uint8_t *p = weft_realloc(a->mem, arr, n * size);
  if (p == NULL)
    return NULL;
  memset(p + (size_t)*cap * size, 0, (n - *cap) * size);
  *cap = (uint8_t)n;
  return p;
}

static uint8_t initial_cap(uint16_t max, uint8_t want) {
  return max < want ? (uint8_t)max : want;
}

/* The arrays start small (an agent talking to a browser needs a handful of
 * candidates and pairs) and grow by doubling up to the caps. */
static int alloc_arrays(weft_ice_agent *a) {
  const weft_ice_settings *s = &a->s;
  a->max_gtx = (uint8_t)(s->nstun_servers * s->max_local_candidates > 254
                             ? 254
                             : s->nstun_servers * s->max_local_candidates);
  a->cap_l = initial_cap(s->max_local_candidates, 2);
  a->cap_r = initial_cap(s->max_remote_candidates, 2);
  a->cap_p = initial_cap(s->max_pairs, 2);
  a->cap_resp = initial_cap(s->max_pending_responses, 2);
  a->lc = weft_calloc(a->mem, a->cap_l, sizeof(*a->lc));
  a->rc = weft_calloc(a->mem, a->cap_r, sizeof(*a->rc));
  a->pairs = weft_calloc(a->mem, a->cap_p, sizeof(*a->pairs));
  a->trig = weft_calloc(a->mem, s->max_pairs, 1);
  a->resp = weft_calloc(a->mem, a->cap_resp, sizeof(*a->resp));
  if (a->max_gtx > 0)
    a->gtx = weft_calloc(a->mem, a->max_gtx, sizeof(*a->gtx));
  if (!a->lc || !a->rc || !a->pairs || !a->trig || !a->resp ||
      (a->max_gtx > 0 && !a->gtx))
    return WEFT_ERR_NOMEM;
  return 0;
}

static void reset_timers(weft_ice_agent *a) {
  a->selected = ICE_NONE;
  a->nominating = ICE_NONE;
  a->next_check = 0;
  a->checking_since = WEFT_TSTAMP_NONE;
  a->first_valid = WEFT_TSTAMP_NONE;
  a->consent_next = WEFT_TSTAMP_NONE;
  a->consent_ok = WEFT_TSTAMP_NONE;
  a->last_tx = 0;
}

int weft_ice_agent_new(weft_ice_agent **pa, const weft_ice_settings *settings,
                       const weft_mem *mem) {
  if (pa == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  *pa = NULL;
  weft_ice_settings defaults;
  if (settings == NULL) {
    weft_ice_settings_default(&defaults);
    settings = &defaults;
  }
  int rv = check_settings(settings);
  if (rv != 0)
    return rv;
  weft_ice_agent *a = weft_calloc(mem, 1, sizeof(*a));
  if (a == NULL)
    return WEFT_ERR_NOMEM;
  a->mem = mem;
  a->s = *settings;
  a->s.ufrag = a->s.pwd = NULL;
  if (a->s.rand == NULL)
    a->s.rand = weft_rand_default();
  a->role = (a->s.lite || a->s.role != WEFT_ICE_CONTROLLING)
                ? WEFT_ICE_CONTROLLED
                : WEFT_ICE_CONTROLLING;
  a->tiebreaker = a->s.tiebreaker ? a->s.tiebreaker : weft_rand_u64(a->s.rand);
  reset_timers(a);
  rv = alloc_arrays(a);
  if (rv == 0)
    rv = ice_set_local_creds(a, 0, settings->ufrag, settings->pwd);
  if (rv == 0)
    rv = ice_turn_init(a, settings);
  for (size_t i = 0; i < WEFT_ICE_MAX_TURN_SERVERS; i++)
    a->s.turn_servers[i].username = a->s.turn_servers[i].password = NULL;
  if (rv != 0) {
    weft_ice_agent_del(a);
    return rv;
  }
  *pa = a;
  return 0;
}

void weft_ice_agent_del(weft_ice_agent *a) {
  if (a == NULL)
    return;
  ice_turn_free(a);
  ice_clear_creds(a, &a->cred[0]);
  ice_clear_creds(a, &a->cred[1]);
  weft_free(a->mem, a->lc);
  weft_free(a->mem, a->rc);
  weft_free(a->mem, a->pairs);
  weft_free(a->mem, a->trig);
  weft_free(a->mem, a->resp);
  weft_free(a->mem, a->gtx);
  weft_free(a->mem, a->sq);
  weft_free(a->mem, a);
}

/* Room for one more remote candidate: 0 or WEFT_ERR_NOMEM. */
int ice_room_remote(weft_ice_agent *a) {
  if (a->nr < a->cap_r)
    return 0;
  void *p =
      ice_grow(a, a->rc, &a->cap_r, a->s.max_remote_candidates, sizeof(*a->rc));
  if (p == NULL)
    return WEFT_ERR_NOMEM;
  a->rc = p;
  return 0;
}

/* ---- events ------------------------------------------------------------- */

void ice_event(weft_ice_agent *a, int type, int x, int y, int code,
               const char *reason) {
  if (a->ev_n == ICE_EVQ) {
    a->st.dropped_events++;
    return;
  }
  ice_evrec *e = &a->ev[(a->ev_head + a->ev_n) % ICE_EVQ];
  e->type = (uint8_t)type;
  e->a = (uint8_t)x;
  e->b = (uint8_t)y;
  e->code = (int16_t)code;
  e->reason = reason;
  a->ev_n++;
}

int weft_ice_agent_poll_event(weft_ice_agent *a, weft_ice_event *ev) {
  if (a == NULL || ev == NULL || a->ev_n == 0)
    return 0;
  ice_evrec e = a->ev[a->ev_head];
  a->ev_head = (uint8_t)((a->ev_head + 1) % ICE_EVQ);
  a->ev_n--;
  memset(ev, 0, sizeof(*ev));
  ev->type = e.type;
  switch (e.type) {
  case WEFT_ICE_EVENT_LOCAL_CANDIDATE:
    ice_fill_local(a, e.a, &ev->u.candidate);
    break;
  case WEFT_ICE_EVENT_GATHERING_STATE:
    ev->u.gathering_state = e.a;
    break;
  case WEFT_ICE_EVENT_CONNECTION_STATE:
    ev->u.connection.state = e.a;
    ev->u.connection.error = e.code;
    ev->u.connection.reason = e.reason ? e.reason : "";
    break;
  case WEFT_ICE_EVENT_SELECTED_PAIR:
    ice_fill_local(a, e.a, &ev->u.pair.local);
    ice_fill_remote(a, e.b, &ev->u.pair.remote);
    ev->u.pair.base = a->lc[a->lc[e.a].base].addr;
    break;
  case WEFT_ICE_EVENT_ROLE:
    ev->u.role = e.a;
    break;
  case WEFT_ICE_EVENT_GATHER_ERROR:
    ev->u.gather_error.base = a->lc[e.a].addr;
    ev->u.gather_error.server =
        e.b < WEFT_ICE_MAX_STUN_SERVERS
            ? a->s.stun_servers[e.b]
            : a->s.turn_servers[e.b - WEFT_ICE_MAX_STUN_SERVERS].addr;
    ev->u.gather_error.code = e.code;
    break;
  }
  return 1;
}

/* ---- connection state --------------------------------------------------- */

static void set_state(weft_ice_agent *a, int state, int err,
                      const char *reason) {
  if (a->state == state)
    return;
  ICE_LOG(a, WEFT_LOG_INFO, "connection state %s -> %s%s%s",
          weft_ice_connection_state_name(a->state),
          weft_ice_connection_state_name(state), reason ? ": " : "",
          reason ? reason : "");
  a->state = (uint8_t)state;
  ice_event(a, WEFT_ICE_EVENT_CONNECTION_STATE, state, 0, err, reason);
}

void ice_fail(weft_ice_agent *a, int err, const char *reason) {
  set_state(a, WEFT_ICE_STATE_FAILED, err, reason);
}

static int all_pairs_done(const weft_ice_agent *a) {
  for (int i = 0; i < a->np; i++) {
    const ice_pair *p = &a->pairs[i];
    if (p->gen != a->cur)
      continue;
    if (p->state != PAIR_FAILED || (p->flags & PF_VALID))
      return 0;
  }
  return 1;
}

/* Whether no pair can work any more (then the agent fails). */
static int check_failure(weft_ice_agent *a, weft_tstamp now) {
  if (a->checking_since == WEFT_TSTAMP_NONE || a->selected != ICE_NONE)
    return 0;
  int timed_out = now >= a->checking_since + a->s.fail_timeout;
  if (a->s.lite) {
    if (timed_out)
      ice_fail(a, WEFT_ERR_ICE_FAILED, "no nomination from the peer");
    return timed_out;
  }
  if (!all_pairs_done(a) || a->trig_n > 0)
    return 0;
  if (a->end_of_remote || timed_out) {
    ice_fail(a, WEFT_ERR_ICE_FAILED,
             a->np == 0 ? "no candidate pair could be formed"
                        : "all candidate pairs failed");
    return 1;
  }
  return 0;
}

void ice_update_state(weft_ice_agent *a, weft_tstamp now) {
  if (a->state == WEFT_ICE_STATE_CLOSED || a->state == WEFT_ICE_STATE_FAILED)
    return;
  if (a->selected != ICE_NONE) {
    if (a->consent_lost)
      return;
    if (a->disconnected)
      set_state(a, WEFT_ICE_STATE_DISCONNECTED, 0,
                "no consent response from the peer");
    else if (a->old_active)
      set_state(a, WEFT_ICE_STATE_CONNECTED, 0, NULL);
    else if (a->end_of_remote &&
             a->gather_state != WEFT_ICE_GATHERING_GATHERING)
      set_state(a, WEFT_ICE_STATE_COMPLETED, 0, NULL);
    else
      set_state(a, WEFT_ICE_STATE_CONNECTED, 0, NULL);
    return;
  }
  if (check_failure(a, now))
    return;
  if (a->checking_since != WEFT_TSTAMP_NONE && (a->np > 0 || a->s.lite))
    set_state(a, WEFT_ICE_STATE_CHECKING, 0, NULL);
}

/* Starts the failure clock once checks can run. */
static void maybe_start_checking(weft_ice_agent *a, weft_tstamp now) {
  if (a->checking_since == WEFT_TSTAMP_NONE && a->have_rcreds && a->nl > 0)
    a->checking_since = now;
}

int weft_ice_agent_connection_state(const weft_ice_agent *a) {
  return a->state;
}

int weft_ice_agent_gathering_state(const weft_ice_agent *a) {
  return a->gather_state;
}

const char *weft_ice_connection_state_name(int state) {
  static const char *const n[] = {"new",       "checking", "connected",
                                  "completed", "failed",   "disconnected",
                                  "closed"};
  return (state >= 0 && state <= 6) ? n[state] : "unknown";
}

const char *weft_ice_gathering_state_name(int state) {
  static const char *const n[] = {"new", "gathering", "complete"};
  return (state >= 0 && state <= 2) ? n[state] : "unknown";
}

/* ---- credentials and role ----------------------------------------------- */

void weft_ice_agent_local_credentials(const weft_ice_agent *a,
                                      const char **ufrag, const char **pwd) {
  if (ufrag != NULL)
    *ufrag = ice_lufrag(&a->cred[a->cur]);
  if (pwd != NULL)
    *pwd = ice_lpwd(&a->cred[a->cur]);
}

int weft_ice_agent_set_local_credentials(weft_ice_agent *a, const char *ufrag,
                                         const char *pwd) {
  if (a == NULL || ufrag == NULL || pwd == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (a->checking_since != WEFT_TSTAMP_NONE || a->np > 0)
    return WEFT_ERR_INVALID_STATE;
  return ice_set_local_creds(a, a->cur, ufrag, pwd);
}

int weft_ice_agent_set_remote_credentials(weft_ice_agent *a, const char *ufrag,
                                          const char *pwd) {
  if (a == NULL || ufrag == NULL || pwd == NULL ||
      !valid_chars(ufrag, 1, WEFT_ICE_UFRAG_MAX, 0) ||
      !valid_chars(pwd, 1, WEFT_ICE_PWD_MAX, 0))
    return WEFT_ERR_INVALID_ARGUMENT;
  if (a->state == WEFT_ICE_STATE_CLOSED)
    return WEFT_ERR_INVALID_STATE;
  ice_creds *c = &a->cred[a->cur];
  if (a->have_rcreds && strcmp(ice_rufrag(c), ufrag) == 0 &&
      strcmp(ice_rpwd(c), pwd) == 0)
    return 0;
  int rv = ice_set_cred(a, &c->r, ufrag, pwd);
  if (rv != 0)
    return rv;
  a->have_rcreds = 1;
  return 0;
}

int weft_ice_agent_set_remote_lite(weft_ice_agent *a, int lite) {
  if (a->checking_since != WEFT_TSTAMP_NONE && a->np > 0)
    return WEFT_ERR_INVALID_STATE;
  a->remote_lite = lite ? 1 : 0;
  if (lite && !a->s.lite && a->role != WEFT_ICE_CONTROLLING) {
    a->role = WEFT_ICE_CONTROLLING;
    ice_recompute_prios(a);
  }
  return 0;
}

int weft_ice_agent_set_role(weft_ice_agent *a, int role) {
  if (role != WEFT_ICE_CONTROLLING && role != WEFT_ICE_CONTROLLED)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (a->s.lite && role == WEFT_ICE_CONTROLLING)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (a->selected != ICE_NONE || a->state >= WEFT_ICE_STATE_FAILED)
    return WEFT_ERR_INVALID_STATE;
  a->role = (uint8_t)role;
  ice_recompute_prios(a);
  return 0;
}

int weft_ice_agent_role(const weft_ice_agent *a) {
  return a->role;
}

/* ---- local candidates --------------------------------------------------- */

int ice_find_local(const weft_ice_agent *a, const weft_addr *addr) {
  for (int i = 0; i < a->nl; i++)
    if (weft_addr_equal(&a->lc[i].addr, addr))
      return i;
  return -1;
}

uint32_t ice_local_foundation(int type, const weft_addr *base, int server) {
  size_t n = 0;
  const uint8_t *ip = weft_addr_ip(base, &n);
  uint32_t h = ice_hash(&type, sizeof(type), 2166136261u);
  h = ice_hash(ip, n, h);
  h = ice_hash(&server, sizeof(server), h);
  return h % 1000000000u;
}

/* Adds a local candidate; returns its index or an error. @p base is the
 * index of the base (-1: itself). */
int ice_add_local(weft_ice_agent *a, int type, const weft_addr *addr, int base,
                  const weft_addr *related, uint32_t foundation) {
  if (ice_find_local(a, addr) >= 0)
    return WEFT_ERR_EXISTS;
  if (a->nl >= a->s.max_local_candidates) {
    a->st.dropped_limit++;
    return WEFT_ERR_LIMIT;
  }
  /* copies first: the addresses may live in the array that grows */
  weft_addr ad = *addr, rel;
  memset(&rel, 0, sizeof(rel));
  if (related != NULL)
    rel = *related;
  if (a->nl >= a->cap_l) {
    void *p = ice_grow(a, a->lc, &a->cap_l, a->s.max_local_candidates,
                       sizeof(*a->lc));
    if (p == NULL)
      return WEFT_ERR_NOMEM;
    a->lc = p;
  }
  int i = a->nl++;
  ice_lcand *c = &a->lc[i];
  memset(c, 0, sizeof(*c));
  c->addr = ad;
  c->related = rel;
  c->type = (uint8_t)type;
  c->base = (uint8_t)(base < 0 ? i : base);
  /* local preference: earlier sockets first, IPv6 above IPv4 (RFC 8421) */
  uint16_t lp = (uint16_t)(65535 - 256 * (uint16_t)(i & 0x7f));
  if (weft_addr_family(&a->lc[c->base].addr) == AF_INET)
    lp = (uint16_t)(lp - 128);
  c->lpref = (base < 0) ? lp : a->lc[c->base].lpref;
  c->prio = weft_ice_candidate_priority(type, c->lpref, a->s.component);
  c->foundation = foundation
                      ? foundation
                      : ice_local_foundation(type, &a->lc[c->base].addr, 0);
  return i;
}

void ice_fill_local(const weft_ice_agent *a, int i, weft_ice_candidate *c) {
  const ice_lcand *l = &a->lc[i];
  memset(c, 0, sizeof(*c));
  snprintf(c->foundation, sizeof(c->foundation), "%u", (unsigned)l->foundation);
  c->component = a->s.component;
  c->transport = WEFT_ICE_TRANSPORT_UDP;
  c->type = l->type;
  c->priority = l->prio;
  c->addr = l->addr;
  if (l->type != WEFT_ICE_CANDIDATE_HOST)
    c->related = l->related;
  snprintf(c->ufrag, sizeof(c->ufrag), "%s", ice_lufrag(&a->cred[a->cur]));
}

void ice_fill_remote(const weft_ice_agent *a, int i, weft_ice_candidate *c) {
  const ice_rcand *r = &a->rc[i];
  memset(c, 0, sizeof(*c));
  memcpy(c->foundation, r->fstr, sizeof(c->foundation));
  c->component = a->s.component;
  c->transport = WEFT_ICE_TRANSPORT_UDP;
  c->type = r->type;
  c->priority = r->prio;
  c->addr = r->addr;
}

void ice_signal_local(weft_ice_agent *a, int i) {
  if (a->lc[i].signalled || a->lc[i].type == WEFT_ICE_CANDIDATE_PRFLX)
    return;
  a->lc[i].signalled = 1;
  ice_event(a, WEFT_ICE_EVENT_LOCAL_CANDIDATE, i, 0, 0, NULL);
}

int weft_ice_agent_add_local_host_candidate(weft_ice_agent *a, weft_tstamp now,
                                            const weft_addr *addr) {
  if (a == NULL || addr == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  int fam = weft_addr_family(addr);
  if ((fam != AF_INET && fam != AF_INET6) || weft_addr_is_any(addr))
    return WEFT_ERR_INVALID_ARGUMENT;
  int i = ice_add_local(a, WEFT_ICE_CANDIDATE_HOST, addr, -1, NULL, 0);
  if (i < 0)
    return i;
  if (a->gathering) {
    ice_signal_local(a, i);
    ice_gather_host(a, now, i);
  }
  ice_pair_local(a, i);
  maybe_start_checking(a, now);
  ice_update_state(a, now);
  return i;
}

int weft_ice_agent_add_local_relay_candidate(weft_ice_agent *a, weft_tstamp now,
                                             const weft_addr *relayed,
                                             const weft_addr *mapped) {
  if (a == NULL || relayed == NULL || weft_addr_is_any(relayed) ||
      weft_addr_family(relayed) == AF_UNSPEC)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (a->s.lite)
    return WEFT_ERR_UNSUPPORTED;
  int i = ice_add_local(a, WEFT_ICE_CANDIDATE_RELAY, relayed, -1, mapped, 0);
  if (i < 0)
    return i;
  if (a->gathering)
    ice_signal_local(a, i);
  ice_pair_local(a, i);
  maybe_start_checking(a, now);
  ice_update_state(a, now);
  return i;
}

int weft_ice_agent_gather(weft_ice_agent *a, weft_tstamp now) {
  if (a == NULL || a->gathering)
    return 0;
  a->gathering = 1;
  a->gather_state = WEFT_ICE_GATHERING_GATHERING;
  ice_event(a, WEFT_ICE_EVENT_GATHERING_STATE, a->gather_state, 0, 0, NULL);
  int n = a->nl;
  for (int i = 0; i < n; i++) {
    ice_signal_local(a, i);
    if (a->lc[i].type == WEFT_ICE_CANDIDATE_HOST)
      ice_gather_host(a, now, i);
  }
  ice_gather_check_done(a);
  return 0;
}

int weft_ice_agent_local_candidate(const weft_ice_agent *a, size_t i,
                                   weft_ice_candidate *out) {
  if (a == NULL || out == NULL || i >= a->nl)
    return WEFT_ERR_NOT_FOUND;
  ice_fill_local(a, (int)i, out);
  return 0;
}

/* ---- remote candidates -------------------------------------------------- */

static int find_remote(const weft_ice_agent *a, const weft_addr *addr) {
  for (int i = 0; i < a->nr; i++)
    if (a->rc[i].gen == a->cur && weft_addr_equal(&a->rc[i].addr, addr))
      return i;
  return -1;
}

static int check_remote(const weft_ice_agent *a, const weft_ice_candidate *c) {
  if (c->unresolved || c->component != a->s.component)
    return WEFT_ERR_ICE_CANDIDATE;
  if (c->transport != WEFT_ICE_TRANSPORT_UDP)
    return WEFT_ERR_UNSUPPORTED;
  int fam = weft_addr_family(&c->addr);
  if ((fam != AF_INET && fam != AF_INET6) || weft_addr_is_any(&c->addr) ||
      weft_addr_port(&c->addr) == 0 || c->priority == 0 ||
      c->type > WEFT_ICE_CANDIDATE_RELAY)
    return WEFT_ERR_ICE_CANDIDATE;
  return 0;
}

static void set_remote(ice_rcand *r, const weft_ice_candidate *c) {
  size_t n = strnlen(c->foundation, WEFT_ICE_FOUNDATION_MAX);
  r->prio = c->priority;
  r->type = c->type;
  memcpy(r->fstr, c->foundation, n);
  r->fstr[n] = '\0';
  r->foundation = ice_hash(r->fstr, n, 2166136261u);
}

int weft_ice_agent_add_remote_candidate(weft_ice_agent *a, weft_tstamp now,
                                        const weft_ice_candidate *c) {
  if (a == NULL || c == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (a->state == WEFT_ICE_STATE_CLOSED)
    return WEFT_ERR_INVALID_STATE;
  int rv = check_remote(a, c);
  if (rv != 0)
    return rv;
  if (c->ufrag[0] != '\0' && a->have_rcreds &&
      strcmp(c->ufrag, ice_rufrag(&a->cred[a->cur])) != 0)
    return 0; /* stale: of another generation */
  int i = find_remote(a, &c->addr);
  if (i >= 0) {
    if (a->rc[i].type != WEFT_ICE_CANDIDATE_PRFLX)
      return WEFT_ERR_EXISTS;
    set_remote(&a->rc[i], c); /* a signalled prflx: take its attributes */
    a->nrprflx--;
    ice_recompute_prios(a);
    return 0;
  }
  if (a->nr >= a->s.max_remote_candidates) {
    a->st.dropped_limit++;
    return WEFT_ERR_LIMIT;
  }
  if (ice_room_remote(a) != 0)
    return WEFT_ERR_NOMEM;
  i = a->nr++;
  memset(&a->rc[i], 0, sizeof(a->rc[i]));
  a->rc[i].addr = c->addr;
  a->rc[i].gen = a->cur;
  set_remote(&a->rc[i], c);
  if (!a->s.lite)
    ice_pair_remote(a, i);
  maybe_start_checking(a, now);
  ice_update_state(a, now);
  return 0;
}

int weft_ice_agent_end_of_remote_candidates(weft_ice_agent *a,
                                            weft_tstamp now) {
  if (a == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  a->end_of_remote = 1;
  maybe_start_checking(a, now);
  ice_update_state(a, now);
  return 0;
}
