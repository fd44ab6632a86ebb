/* ICE check list (RFC 8445 section 6.1.2 - 6.1.4, 7.2, 8): pair formation,
 * priorities, the frozen algorithm, pacing, the triggered-check queue,
 * retransmissions, nomination and selection. */
#include "ice/ice_int.h"

#include <string.h>

/* ---- priorities --------------------------------------------------------- */

uint64_t ice_pair_prio(const weft_ice_agent *a, const ice_pair *p) {
  uint64_t l = a->lc[p->local].prio, r = a->rc[p->remote].prio;
  uint64_t g = a->role == WEFT_ICE_CONTROLLING ? l : r;
  uint64_t d = a->role == WEFT_ICE_CONTROLLING ? r : l;
  uint64_t mn = g < d ? g : d, mx = g < d ? d : g;
  return (mn << 32) + 2 * mx + (g > d ? 1 : 0);
}

/* Pair priorities are computed when compared (keeps a pair at 32 bytes),
 * so a role change needs nothing more. */
void ice_recompute_prios(weft_ice_agent *a) {
  (void)a;
}

#define PRIO(a, i) ice_pair_prio((a), &(a)->pairs[(i)])

/* ---- pair formation ----------------------------------------------------- */

int ice_find_pair(const weft_ice_agent *a, int local, int remote) {
  for (int i = 0; i < a->np; i++)
    if (a->pairs[i].local == local && a->pairs[i].remote == remote)
      return i;
  return -1;
}

static int same_foundation(const weft_ice_agent *a, const ice_pair *p,
                           const ice_pair *q) {
  return p->gen == q->gen &&
         a->lc[p->local].foundation == a->lc[q->local].foundation &&
         a->rc[p->remote].foundation == a->rc[q->remote].foundation;
}

/* RFC 8445 6.1.2.6 for a pair formed late (trickle, RFC 8838 section 10):
 * frozen while another pair of its foundation is being checked. */
static int initial_state(const weft_ice_agent *a, const ice_pair *p) {
  int busy = 0;
  for (int i = 0; i < a->np; i++) {
    const ice_pair *q = &a->pairs[i];
    if (q == p || !same_foundation(a, p, q))
      continue;
    if (q->state == PAIR_SUCCEEDED)
      return PAIR_WAITING;
    if (q->state == PAIR_WAITING || q->state == PAIR_IN_PROGRESS)
      busy = 1;
  }
  return busy ? PAIR_FROZEN : PAIR_WAITING;
}

int ice_add_pair(weft_ice_agent *a, int local, int remote) {
  if (a->np >= a->cap_p) {
    void *np =
        ice_grow(a, a->pairs, &a->cap_p, a->s.max_pairs, sizeof(*a->pairs));
    if (np == NULL) {
      a->st.dropped_limit++;
      return -1;
    }
    a->pairs = np;
  }
  ice_pair *p = &a->pairs[a->np];
  memset(p, 0, sizeof(*p));
  p->local = (uint8_t)local;
  p->remote = (uint8_t)remote;
  p->valid_local = (uint8_t)local;
  p->gen = a->cur;
  p->state = (uint8_t)initial_state(a, p);
  return a->np++;
}

static int pairable(const weft_ice_agent *a, int l, int r) {
  const ice_lcand *lc = &a->lc[l];
  if (lc->type != WEFT_ICE_CANDIDATE_HOST &&
      lc->type != WEFT_ICE_CANDIDATE_RELAY)
    return 0; /* srflx/prflx are replaced by their base (6.1.2.4) */
  if (a->rc[r].gen != a->cur)
    return 0;
  if (weft_addr_family(&lc->addr) != weft_addr_family(&a->rc[r].addr))
    return 0;
  return ice_find_pair(a, l, r) < 0;
}

/* No new pairs once checking is over (a pair is selected). */
static int forming(const weft_ice_agent *a) {
  return !a->s.lite && (a->selected == ICE_NONE || a->old_active) &&
         a->state != WEFT_ICE_STATE_FAILED;
}

void ice_pair_local(weft_ice_agent *a, int local) {
  for (int r = 0; forming(a) && r < a->nr; r++)
    if (pairable(a, local, r))
      ice_add_pair(a, local, r);
}

void ice_pair_remote(weft_ice_agent *a, int remote) {
  for (int l = 0; forming(a) && l < a->nl; l++)
    if (pairable(a, l, remote))
      ice_add_pair(a, l, remote);
}

/* ---- transactions ------------------------------------------------------- */

static int count_active(const weft_ice_agent *a) {
  int n = 0;
  for (int i = 0; i < a->np; i++)
    if (a->pairs[i].state == PAIR_WAITING ||
        a->pairs[i].state == PAIR_IN_PROGRESS)
      n++;
  return n;
}

void ice_new_txn(weft_ice_agent *a, weft_tstamp now, ice_pair *p) {
  (void)now;
  weft_rand_bytes(a->s.rand, p->txid, sizeof(p->txid));
  weft_tstamp rto = a->s.ta * (weft_tstamp)count_active(a);
  if (rto < a->s.rto_min)
    rto = a->s.rto_min;
  if (rto > a->s.rto_max)
    rto = a->s.rto_max;
  p->rto_ms = ice_ms16(rto);
  p->sent = 0;
  p->flags |= PF_TX;
  p->flags &= (uint16_t) ~(PF_CONSENT | PF_SENT_CTRL);
  if (a->role == WEFT_ICE_CONTROLLING)
    p->flags |= PF_SENT_CTRL;
}

void ice_trigger(weft_ice_agent *a, int i) {
  ice_pair *p = &a->pairs[i];
  if (p->flags & PF_TRIGGERED)
    return;
  if (p->state == PAIR_IN_PROGRESS && !(p->flags & PF_CONSENT)) {
    /* answer the peer's check at once with a retransmission of ours */
    if (p->sent < a->s.check_max_transmits)
      p->flags |= PF_TX;
    return;
  }
  if (a->trig_n >= a->s.max_pairs)
    return;
  a->trig[(a->trig_head + a->trig_n) % a->s.max_pairs] = (uint8_t)i;
  a->trig_n++;
  p->flags |= PF_TRIGGERED;
  if (p->state != PAIR_SUCCEEDED)
    p->state = PAIR_WAITING;
}

static int pop_triggered(weft_ice_agent *a) {
  while (a->trig_n > 0) {
    int i = a->trig[a->trig_head];
    a->trig_head = (uint8_t)((a->trig_head + 1) % a->s.max_pairs);
    a->trig_n--;
    if (i < a->np && (a->pairs[i].flags & PF_TRIGGERED)) {
      a->pairs[i].flags &= (uint16_t)~PF_TRIGGERED;
      return i;
    }
  }
  return -1;
}

static int best_in_state(const weft_ice_agent *a, int state) {
  int best = -1;
  for (int i = 0; i < a->np; i++) {
    const ice_pair *p = &a->pairs[i];
    if (p->gen == a->cur && p->state == state &&
        (best < 0 || PRIO(a, i) > PRIO(a, best)))
      best = i;
  }
  return best;
}

/* RFC 8445 6.1.4.2: a frozen pair may be unfrozen when no pair of its
 * foundation is waiting or in progress. The best such pair, or -1. */
static int best_unfreezable(const weft_ice_agent *a) {
  int best = -1;
  for (int i = 0; i < a->np; i++) {
    const ice_pair *p = &a->pairs[i];
    if (p->gen != a->cur || p->state != PAIR_FROZEN ||
        (best >= 0 && PRIO(a, i) <= PRIO(a, best)))
      continue;
    int busy = 0;
    for (int k = 0; k < a->np && !busy; k++) {
      const ice_pair *q = &a->pairs[k];
      busy = (q->state == PAIR_WAITING || q->state == PAIR_IN_PROGRESS) &&
             same_foundation(a, p, q);
    }
    if (!busy)
      best = i;
  }
  return best;
}

int ice_can_check(const weft_ice_agent *a) {
  return !a->s.lite && a->have_rcreds && a->state != WEFT_ICE_STATE_FAILED &&
         a->state != WEFT_ICE_STATE_CLOSED;
}

/* Ordinary checks run until a pair is selected; triggered ones always. */
static int next_pair(weft_ice_agent *a) {
  int i = pop_triggered(a);
  if (i >= 0 || (a->selected != ICE_NONE && !a->old_active))
    return i;
  i = best_in_state(a, PAIR_WAITING);
  if (i < 0)
    i = best_unfreezable(a);
  return i;
}

static int work_pending(const weft_ice_agent *a) {
  if (a->trig_n > 0)
    return 1;
  if (a->selected != ICE_NONE && !a->old_active)
    return 0;
  return best_in_state(a, PAIR_WAITING) >= 0 || best_unfreezable(a) >= 0;
}

static void maybe_nominate(weft_ice_agent *a, weft_tstamp now);

/* ---- outcomes ----------------------------------------------------------- */

static void select_pair(weft_ice_agent *a, weft_tstamp now, int i) {
  if (a->old_active) {
    ice_pair *old = &a->pairs[a->selected];
    old->state = PAIR_FAILED;
    old->flags = 0;
    ice_clear_creds(a, &a->cred[1 - a->cur]);
    a->old_active = 0;
  }
  a->selected = (uint8_t)i;
  ice_pair *p = &a->pairs[i];
  char l[WEFT_ADDR_STRLEN], r[WEFT_ADDR_STRLEN];
  ICE_LOG(a, WEFT_LOG_INFO, "selected pair %s -> %s",
          a->s.log.pii ? weft_addr_format(&a->lc[p->local].addr, l, sizeof(l))
                       : "(local)",
          a->s.log.pii ? weft_addr_format(&a->rc[p->remote].addr, r, sizeof(r))
                       : "(remote)");
  ice_event(a, WEFT_ICE_EVENT_SELECTED_PAIR, p->valid_local, p->remote, 0,
            NULL);
  ice_consent_start(a, now);
}

void ice_nominated(weft_ice_agent *a, weft_tstamp now, int i) {
  ice_pair *p = &a->pairs[i];
  p->flags |= PF_NOMINATED;
  p->flags &= (uint16_t) ~(PF_NOMINATING | PF_NOM_ON_OK);
  if (a->nominating == i)
    a->nominating = ICE_NONE;
  if (p->gen != a->cur)
    return;
  if (a->selected == ICE_NONE || a->old_active)
    select_pair(a, now, i);
  else if (a->selected != i && a->role == WEFT_ICE_CONTROLLED &&
           PRIO(a, i) > PRIO(a, a->selected))
    select_pair(a, now, i);
}

void ice_check_succeeded(weft_ice_agent *a, weft_tstamp now, int i,
                         int valid_local) {
  ice_pair *p = &a->pairs[i];
  ICE_LOG(a, WEFT_LOG_DEBUG, "pair %d succeeded (flags 0x%x)", i,
          (unsigned)p->flags);
  p->state = PAIR_SUCCEEDED;
  p->flags |= PF_VALID;
  p->valid_local = (uint8_t)valid_local;
  for (int k = 0; k < a->np; k++) {
    ice_pair *q = &a->pairs[k];
    if (q->state == PAIR_FROZEN && same_foundation(a, p, q))
      q->state = PAIR_WAITING;
  }
  if (a->first_valid == WEFT_TSTAMP_NONE)
    a->first_valid = now;
  int ctrl = a->role == WEFT_ICE_CONTROLLING;
  if (ctrl && (p->flags & PF_SENT_CTRL) &&
      ((p->flags & PF_NOMINATING) || a->s.aggressive_nomination))
    ice_nominated(a, now, i);
  else if (!ctrl && (p->flags & PF_NOM_ON_OK))
    ice_nominated(a, now, i);
  maybe_nominate(a, now);
}

void ice_check_failed(weft_ice_agent *a, weft_tstamp now, int i) {
  (void)now;
  ice_pair *p = &a->pairs[i];
  ICE_LOG(a, WEFT_LOG_DEBUG, "pair %d failed (sent %u, flags 0x%x)", i,
          (unsigned)p->sent, (unsigned)p->flags);
  if (a->selected == i) {
    /* the selected pair lives or dies by consent freshness alone */
    p->state = PAIR_SUCCEEDED;
    p->flags &= (uint16_t) ~(PF_TX | PF_NOMINATING);
    return;
  }
  p->state = PAIR_FAILED;
  p->flags &= (uint16_t) ~(PF_VALID | PF_NOMINATING | PF_TX | PF_CONSENT);
  if (a->nominating == i)
    a->nominating = ICE_NONE;
}

/* ---- regular nomination (controlling) ------------------------------------ */

static int best_valid(const weft_ice_agent *a) {
  int best = -1;
  for (int i = 0; i < a->np; i++) {
    const ice_pair *p = &a->pairs[i];
    if (p->gen == a->cur && (p->flags & PF_VALID) &&
        p->state == PAIR_SUCCEEDED && (best < 0 || PRIO(a, i) > PRIO(a, best)))
      best = i;
  }
  return best;
}

static int better_pending(const weft_ice_agent *a, uint64_t prio) {
  for (int i = 0; i < a->np; i++) {
    const ice_pair *p = &a->pairs[i];
    if (p->gen == a->cur && PRIO(a, i) > prio &&
        (p->state == PAIR_FROZEN || p->state == PAIR_WAITING ||
         p->state == PAIR_IN_PROGRESS))
      return 1;
  }
  return 0;
}

static int nominating_now(const weft_ice_agent *a) {
  return a->role == WEFT_ICE_CONTROLLING && !a->s.aggressive_nomination &&
         a->nominating == ICE_NONE &&
         (a->selected == ICE_NONE || a->old_active) && ice_can_check(a);
}

static void maybe_nominate(weft_ice_agent *a, weft_tstamp now) {
  if (!nominating_now(a))
    return;
  int b = best_valid(a);
  if (b < 0)
    return;
  if (better_pending(a, PRIO(a, b)) &&
      now < a->first_valid + a->s.nomination_delay)
    return;
  ICE_LOG(a, WEFT_LOG_DEBUG, "nominating pair %d", b);
  a->nominating = (uint8_t)b;
  /* The nomination goes out at once rather than at the next pacing slot
   * (as libwebrtc and Pion do): it is one check on a pair known to work. */
  ice_pair *p = &a->pairs[b];
  p->flags |= PF_NOMINATING;
  p->flags &= (uint16_t)~PF_TRIGGERED;
  p->state = PAIR_IN_PROGRESS;
  ice_new_txn(a, now, p);
  if (a->next_check < now + a->s.ta)
    a->next_check = now + a->s.ta;
}

/* ---- timers ------------------------------------------------------------- */

static void retransmit(weft_ice_agent *a, weft_tstamp now) {
  for (int i = 0; i < a->np; i++) {
    ice_pair *p = &a->pairs[i];
    if ((p->flags & PF_TX) || p->next > now)
      continue;
    if (p->flags & PF_CONSENT) {
      p->flags &= (uint16_t)~PF_CONSENT; /* consent: one shot */
      continue;
    }
    if (p->state != PAIR_IN_PROGRESS)
      continue;
    if (p->sent >= a->s.check_max_transmits) {
      if ((p->flags & PF_NOMINATING) && (p->flags & PF_VALID) &&
          a->nom_retries < ICE_NOM_RETRIES) {
        /* the pair worked: its nomination was lost, nominate anew */
        a->nom_retries++;
        p->state = PAIR_SUCCEEDED;
        p->flags &= (uint16_t)~PF_NOMINATING;
        a->nominating = ICE_NONE;
        continue;
      }
      if (a->checking_since != WEFT_TSTAMP_NONE &&
          now < a->checking_since + a->s.fail_timeout) {
        /* heavy loss, or a NAT that opened late: check the pair anew until
         * fail_timeout rather than give up on it */
        p->state = PAIR_WAITING;
        continue;
      }
      ice_check_failed(a, now, i);
      continue;
    }
    weft_tstamp rto = (weft_tstamp)p->rto_ms * 2 * WEFT_MILLISECONDS;
    p->rto_ms = ice_ms16(rto > a->s.rto_max ? a->s.rto_max : rto);
    p->flags |= PF_TX;
  }
}

void ice_checks_timeout(weft_ice_agent *a, weft_tstamp now) {
  retransmit(a, now);
  if (!ice_can_check(a))
    return;
  maybe_nominate(a, now);
  if (now >= a->next_check) {
    int i = next_pair(a);
    if (i >= 0) {
      ICE_LOG(a, WEFT_LOG_DEBUG, "check pair %d (state %u)", i,
              (unsigned)a->pairs[i].state);
      a->pairs[i].state = PAIR_IN_PROGRESS;
      ice_new_txn(a, now, &a->pairs[i]);
      a->next_check = now + a->s.ta;
    }
  }
}

weft_tstamp ice_checks_deadline(const weft_ice_agent *a) {
  weft_tstamp d = WEFT_TSTAMP_NONE;
  for (int i = 0; i < a->np; i++) {
    const ice_pair *p = &a->pairs[i];
    if (!(p->flags & PF_TX) &&
        (p->state == PAIR_IN_PROGRESS || (p->flags & PF_CONSENT)) &&
        p->next < d)
      d = p->next;
  }
  if (!ice_can_check(a))
    return d;
  if (work_pending(a) && a->next_check < d)
    d = a->next_check;
  if (nominating_now(a)) {
    /* at once when nothing better is pending, else after the delay */
    int b = best_valid(a);
    weft_tstamp t = a->first_valid;
    if (b >= 0 && better_pending(a, PRIO(a, b)))
      t += a->s.nomination_delay;
    if (b >= 0 && t < d)
      d = t;
  }
  return d;
}
