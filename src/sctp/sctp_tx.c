/* SCTP send side: message queue, fragmentation, the outstanding-TSN ring,
 * SACK processing, retransmission (fast and T3), congestion control (RFC
 * 9260 section 7) and partial reliability (RFC 3758). */
#include "sctp/sctp_int.h"

#include <assert.h>
#include <string.h>

#define TX_CAP_INIT 1024u
#define TX_CAP_MAX (1u << 20)

static ochunk *slot(weft_sctp_assoc *a, uint32_t tsn) {
  return &a->tx[tsn & (a->tx_cap - 1)];
}

static size_t pad4(size_t n) {
  return (n + 3) & ~(size_t)3;
}

int sctp_tx_init(weft_sctp_assoc *a) {
  a->tx_cap = TX_CAP_INIT;
  a->tx = weft_calloc(a->mem, a->tx_cap, sizeof(ochunk));
  return a->tx ? 0 : WEFT_ERR_NOMEM;
}

static void msg_release(weft_sctp_assoc *a, smsg *m) {
  if (m->live == 0 && !m->in_queue) {
    a->tx_total -= m->len;
    weft_free(a->mem, m);
  }
}

void sctp_tx_free(weft_sctp_assoc *a) {
  if (a->tx != NULL) {
    for (uint32_t t = a->tx_base; weft_sctp_tsn_lt(t, a->next_tsn); t++) {
      ochunk *oc = slot(a, t);
      if (oc->msg != NULL) {
        oc->msg->live--;
        msg_release(a, oc->msg);
      }
    }
  }
  if (a->cur != NULL) {
    a->cur->in_queue = 0;
    msg_release(a, a->cur);
    a->cur = NULL;
  }
  for (uint32_t i = 0; i < a->nstreams_alloc; i++) {
    smsg *m = a->streams[i].q_head;
    while (m != NULL) {
      smsg *next = m->next;
      m->in_queue = 0;
      msg_release(a, m);
      m = next;
    }
    a->streams[i].q_head = a->streams[i].q_tail = NULL;
  }
  weft_free(a->mem, a->active);
  a->active = NULL;
  weft_free(a->mem, a->tx);
  a->tx = NULL;
}

static int tx_grow(weft_sctp_assoc *a) {
  if (a->tx_cap >= TX_CAP_MAX)
    return WEFT_ERR_LIMIT;
  uint32_t ncap = a->tx_cap * 2;
  ochunk *n = weft_calloc(a->mem, ncap, sizeof(ochunk));
  if (n == NULL)
    return WEFT_ERR_NOMEM;
  for (uint32_t t = a->tx_base; weft_sctp_tsn_lt(t, a->next_tsn); t++)
    n[t & (ncap - 1)] = a->tx[t & (a->tx_cap - 1)];
  weft_free(a->mem, a->tx);
  a->tx = n;
  a->tx_cap = ncap;
  return 0;
}

static void buffered_sub(weft_sctp_assoc *a, uint16_t stream, size_t n) {
  sstream *st = sctp_stream(a, stream);
  if (st == NULL)
    return;
  size_t before = st->buffered;
  st->buffered -= n;
  if (before > st->low && st->buffered <= st->low) {
    weft_sctp_event ev = {.type = WEFT_SCTP_EVENT_BUFFERED_LOW,
                          .stream = stream};
    sctp_emit(a, &ev, NULL);
  }
}

/* Streams with queued messages take turns, one message each: no stream
 * blocks the others for longer than one message. */
static int active_push(weft_sctp_assoc *a, uint16_t stream) {
  if (a->act_len == a->act_cap) {
    uint32_t ncap = a->act_cap ? a->act_cap * 2 : 16;
    uint16_t *n = weft_malloc(a->mem, ncap * sizeof(uint16_t));
    if (n == NULL)
      return WEFT_ERR_NOMEM;
    for (uint32_t i = 0; i < a->act_len; i++)
      n[i] = a->active[(a->act_head + i) & (a->act_cap - 1)];
    weft_free(a->mem, a->active);
    a->active = n;
    a->act_cap = ncap;
    a->act_head = 0;
  }
  a->active[(a->act_head + a->act_len++) & (a->act_cap - 1)] = stream;
  return 0;
}

/* Takes the next stream's first message (NULL when none). */
static smsg *take_next(weft_sctp_assoc *a) {
  while (a->act_len > 0) {
    uint16_t id = a->active[a->act_head];
    a->act_head = (a->act_head + 1) & (a->act_cap - 1);
    a->act_len--;
    sstream *st = &a->streams[id];
    smsg *m = st->q_head;
    if (m == NULL)
      continue;
    st->q_head = m->next;
    if (st->q_head == NULL)
      st->q_tail = NULL;
    else
      active_push(a, id); /* cannot fail: a slot was just freed */
    m->next = NULL;
    return m;
  }
  return NULL;
}

/* The current message leaves the queue (all fragmented or given up). */
static void cur_done(weft_sctp_assoc *a) {
  a->cur->in_queue = 0;
  a->cur = NULL;
}

int weft_sctp_send(weft_sctp_assoc *a, weft_tstamp now, uint16_t stream,
                   uint32_t ppid, const void *data, size_t len, int flags,
                   int pr, uint32_t pr_value) {
  if (a == NULL || data == NULL || len == 0 || pr < 0 ||
      pr > WEFT_SCTP_PR_LIFETIME)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (a->state != ST_ESTABLISHED)
    return WEFT_ERR_INVALID_STATE;
  if (len > a->s.max_message_size)
    return WEFT_ERR_SCTP_MESSAGE_TOO_BIG;
  if (stream >= a->out_streams)
    return WEFT_ERR_SCTP_STREAM;
  sstream *st = sctp_stream(a, stream);
  if (st == NULL)
    return WEFT_ERR_NOMEM;
  if (st->resetting)
    return WEFT_ERR_SCTP_STREAM;
  if (a->tx_total > 0 && a->tx_total + len > a->s.send_buffer)
    return WEFT_ERR_QUEUE_FULL;
  if (st->q_head == NULL && active_push(a, stream) != 0)
    return WEFT_ERR_NOMEM;
  smsg *m = weft_malloc(a->mem, sizeof(smsg) + len);
  if (m == NULL) {
    if (st->q_head == NULL)
      a->act_len--; /* undo active_push */
    return WEFT_ERR_NOMEM;
  }
  memset(m, 0, sizeof(*m));
  memcpy(m->data, data, len);
  m->len = (uint32_t)len;
  m->ppid = ppid;
  m->stream = stream;
  m->unordered = (flags & WEFT_SCTP_UNORDERED) != 0;
  m->pr = a->peer_fwd_tsn ? (uint8_t)pr : WEFT_SCTP_PR_NONE;
  m->pr_value = pr_value;
  if (m->pr != WEFT_SCTP_PR_NONE)
    a->pr_sent = 1;
  if (m->pr == WEFT_SCTP_PR_LIFETIME)
    m->expiry = now + (weft_tstamp)pr_value * WEFT_MILLISECONDS;
  m->in_queue = 1;
  if (st->q_tail != NULL)
    st->q_tail->next = m;
  else
    st->q_head = m;
  st->q_tail = m;
  a->tx_total += len;
  st->buffered += len;
  return 0;
}

size_t weft_sctp_buffered_amount(const weft_sctp_assoc *a, uint16_t stream) {
  if (a == NULL || stream >= a->nstreams_alloc)
    return 0;
  return a->streams[stream].buffered;
}

int weft_sctp_set_buffered_low(weft_sctp_assoc *a, uint16_t stream,
                               size_t threshold) {
  if (a == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  sstream *st = sctp_stream(a, stream);
  if (st == NULL)
    return WEFT_ERR_NOMEM;
  st->low = threshold;
  return 0;
}

/* Gives up on a message (partial reliability): its chunks leave the flight
 * and will be skipped with FORWARD-TSN. */
static void abandon(weft_sctp_assoc *a, smsg *m) {
  if (m->abandoned)
    return;
  m->abandoned = 1;
  a->st.abandoned++;
  for (uint32_t i = 0; i < m->ntsn; i++) {
    uint32_t t = m->first_tsn + i;
    if (weft_sctp_tsn_lt(t, a->tx_base))
      continue;
    ochunk *oc = slot(a, t);
    if (oc->msg != m)
      continue;
    if (oc->state == OC_FLIGHT)
      a->flight -= oc->len;
    else if (oc->state == OC_RTX)
      a->rtx_count--;
    if (oc->state != OC_ACKED)
      oc->state = OC_ABANDONED;
  }
  if (m->in_queue) {
    assert(a->cur == m);
    buffered_sub(a, m->stream, m->len - m->off);
    m->off = m->len;
    cur_done(a);
  }
  if (a->peer_fwd_tsn)
    a->need_fwd_tsn = 1;
  msg_release(a, m);
}

static int pr_expired(const smsg *m, weft_tstamp now, const ochunk *oc) {
  if (m->pr == WEFT_SCTP_PR_RTX)
    return oc != NULL && oc->nsent > m->pr_value;
  if (m->pr == WEFT_SCTP_PR_LIFETIME)
    return now >= m->expiry;
  return 0;
}

void sctp_update_rtt(weft_sctp_assoc *a, weft_duration r) {
  if (r < 0)
    return;
  if (!a->have_rtt) {
    a->srtt = r;
    a->rttvar = r / 2;
    a->have_rtt = 1;
  } else {
    weft_duration d = a->srtt > r ? a->srtt - r : r - a->srtt;
    a->rttvar = (3 * a->rttvar + d) / 4;
    a->srtt = (7 * a->srtt + r) / 8;
  }
  weft_duration rto = a->srtt + 4 * a->rttvar;
  if (rto < a->s.rto_min)
    rto = a->s.rto_min;
  if (rto > a->s.rto_max)
    rto = a->s.rto_max;
  a->rto = rto;
}

/* Releases outstanding chunks up to and including @p cum. */
static uint32_t release_upto(weft_sctp_assoc *a, uint32_t cum,
                             weft_tstamp *sample) {
  uint32_t acked = 0;
  while (weft_sctp_tsn_le(a->tx_base, cum)) {
    ochunk *oc = slot(a, a->tx_base);
    if (oc->state == OC_FLIGHT) {
      a->flight -= oc->len;
      acked += oc->len;
      if (oc->nsent == 1)
        *sample = oc->sent_at;
    } else if (oc->state == OC_RTX) {
      a->rtx_count--;
      acked += oc->len;
    }
    smsg *m = oc->msg;
    memset(oc, 0, sizeof(*oc));
    if (m != NULL) {
      m->live--;
      msg_release(a, m);
    }
    a->tx_base++;
  }
  if (weft_sctp_tsn_lt(a->rtx_scan, a->tx_base))
    a->rtx_scan = a->tx_base;
  return acked;
}

static void mark_rtx(weft_sctp_assoc *a, uint32_t tsn, ochunk *oc) {
  if (oc->state != OC_FLIGHT)
    return;
  a->flight -= oc->len;
  oc->state = OC_RTX;
  a->rtx_count++;
  if (weft_sctp_tsn_lt(tsn, a->rtx_scan))
    a->rtx_scan = tsn;
}

static void enter_fast_recovery(weft_sctp_assoc *a) {
  if (a->in_fast_recovery)
    return;
  uint32_t mtu = (uint32_t)a->s.mtu;
  a->ssthresh = a->cwnd / 2 > 4 * mtu ? a->cwnd / 2 : 4 * mtu;
  a->cwnd = a->ssthresh;
  a->pba = 0;
  a->in_fast_recovery = 1;
  a->recovery_exit = a->next_tsn - 1;
  a->fast_rtx_pending = 1;
  a->st.fast_retransmits++;
}

static uint32_t gap_ack(weft_sctp_assoc *a, const weft_sctp_sack *s,
                        uint32_t *htna, int *have_htna, weft_tstamp *sample) {
  uint32_t acked = 0;
  for (size_t i = 0; i < s->ngaps; i++) {
    uint16_t gs, ge;
    weft_sctp_sack_gap(s, i, &gs, &ge);
    if (gs == 0 || gs > ge)
      continue;
    for (uint32_t off = gs; off <= ge; off++) {
      uint32_t t = s->cum_tsn + off;
      if (!weft_sctp_tsn_lt(t, a->next_tsn))
        break;
      ochunk *oc = slot(a, t);
      if (oc->state == OC_FLIGHT) {
        a->flight -= oc->len;
        if (oc->nsent == 1)
          *sample = oc->sent_at;
      } else if (oc->state == OC_RTX) {
        a->rtx_count--;
      } else {
        continue;
      }
      oc->state = OC_ACKED;
      acked += oc->len;
      if (!*have_htna || weft_sctp_tsn_lt(*htna, t))
        *htna = t;
      *have_htna = 1;
    }
  }
  return acked;
}

static void miss_indications(weft_sctp_assoc *a, uint32_t htna) {
  for (uint32_t t = a->tx_base; weft_sctp_tsn_lt(t, htna); t++) {
    ochunk *oc = slot(a, t);
    if (oc->state != OC_FLIGHT)
      continue;
    if (++oc->miss >= 3) {
      mark_rtx(a, t, oc);
      enter_fast_recovery(a);
    }
  }
}

static void cc_on_ack(weft_sctp_assoc *a, uint32_t flight_before,
                      uint32_t acked) {
  uint32_t mtu = (uint32_t)a->s.mtu;
  int full = flight_before + mtu >= a->cwnd;
  if (acked == 0 || a->in_fast_recovery)
    return;
  if (a->cwnd <= a->ssthresh) {
    if (full)
      a->cwnd += acked < 2 * mtu ? acked : 2 * mtu;
    return;
  }
  a->pba += acked;
  if (a->pba >= a->cwnd && full) {
    a->pba -= a->cwnd;
    a->cwnd += mtu;
  }
}

/* Slow start ends when the first RTT samples of a round trip all exceed
 * the smallest RTT seen by 1/8 (at least 4 ms): the bottleneck queue is
 * filling, so slow start stops before it overflows (HyStart's delay
 * increase test, RFC 9406). */
#define HYSTART_SAMPLES 8

static void hystart_sample(weft_sctp_assoc *a, weft_duration r) {
  if (r <= 0)
    return;
  if (a->min_rtt == 0 || r < a->min_rtt)
    a->min_rtt = r;
  if (a->round_samples >= HYSTART_SAMPLES)
    return;
  if (a->round_min_rtt == 0 || r < a->round_min_rtt)
    a->round_min_rtt = r;
  if (++a->round_samples < HYSTART_SAMPLES || a->cwnd >= a->ssthresh)
    return;
  weft_duration th = a->min_rtt / 4;
  if (th < 4 * (weft_duration)WEFT_MILLISECONDS)
    th = 4 * (weft_duration)WEFT_MILLISECONDS;
  if (th > 32 * (weft_duration)WEFT_MILLISECONDS)
    th = 32 * (weft_duration)WEFT_MILLISECONDS;
  if (a->round_min_rtt > a->min_rtt + th)
    a->ssthresh = a->cwnd;
}

static void hystart_round(weft_sctp_assoc *a, uint32_t cum) {
  if (weft_sctp_tsn_lt(cum, a->round_end))
    return;
  a->round_end = a->next_tsn - 1;
  a->round_min_rtt = 0;
  a->round_samples = 0;
}

static uint32_t adv_peer_ack(weft_sctp_assoc *a) {
  uint32_t adv = a->tx_base - 1;
  for (uint32_t t = a->tx_base; weft_sctp_tsn_lt(t, a->next_tsn); t++) {
    if (slot(a, t)->state != OC_ABANDONED)
      break;
    adv = t;
  }
  return adv;
}

/* Abandons outstanding messages whose lifetime ended, without waiting for
 * their retransmission (only when partially reliable messages were sent). */
static void expire_outstanding(weft_sctp_assoc *a, weft_tstamp now) {
  for (uint32_t t = a->tx_base; weft_sctp_tsn_lt(t, a->next_tsn); t++) {
    ochunk *oc = slot(a, t);
    if ((oc->state == OC_FLIGHT || oc->state == OC_RTX) &&
        oc->msg->pr == WEFT_SCTP_PR_LIFETIME && now >= oc->msg->expiry)
      abandon(a, oc->msg);
  }
}

void sctp_tx_on_sack(weft_sctp_assoc *a, weft_tstamp now,
                     const weft_sctp_sack *s) {
  uint32_t cum = s->cum_tsn;
  if (weft_sctp_tsn_lt(cum, a->tx_base - 1) ||
      !weft_sctp_tsn_lt(cum, a->next_tsn))
    return; /* stale, or acknowledges what was never sent */
  uint32_t flight_before = a->flight;
  int advanced = weft_sctp_tsn_lt(a->tx_base - 1, cum);
  weft_tstamp sample = 0;
  uint32_t acked = release_upto(a, cum, &sample);
  uint32_t htna = 0;
  int have_htna = 0;
  acked += gap_ack(a, s, &htna, &have_htna, &sample);
  if (have_htna)
    miss_indications(a, htna);
  if (sample != 0)
    sctp_update_rtt(a, (weft_duration)(now - sample));
  if (advanced) {
    a->error_count = 0;
    if (a->in_fast_recovery && weft_sctp_tsn_le(a->recovery_exit, cum))
      a->in_fast_recovery = 0;
  }
  if (sample != 0)
    hystart_sample(a, (weft_duration)(now - sample));
  if (advanced) {
    cc_on_ack(a, flight_before, acked);
    hystart_round(a, cum);
  }
  a->peer_rwnd = s->a_rwnd > a->flight ? s->a_rwnd - a->flight : 0;
  if (a->tx_base == a->next_tsn)
    a->t3_at = WEFT_TSTAMP_NONE;
  else if (advanced)
    a->t3_at = now + (weft_tstamp)a->rto;
  if (a->pr_sent)
    expire_outstanding(a, now);
  if (a->peer_fwd_tsn && adv_peer_ack(a) != a->tx_base - 1)
    a->need_fwd_tsn = 1;
}

void sctp_tx_cum_ack(weft_sctp_assoc *a, weft_tstamp now, uint32_t cum) {
  weft_sctp_sack s = {.cum_tsn = cum, .a_rwnd = a->peer_rwnd + a->flight};
  sctp_tx_on_sack(a, now, &s);
}

void sctp_tx_t3_expired(weft_sctp_assoc *a, weft_tstamp now) {
  a->st.t3_expiries++;
  if (a->flight > 0 || a->rtx_count > 0) {
    uint32_t mtu = (uint32_t)a->s.mtu;
    a->ssthresh = a->cwnd / 2 > 4 * mtu ? a->cwnd / 2 : 4 * mtu;
    a->cwnd = mtu;
    a->pba = 0;
    a->in_fast_recovery = 0;
    for (uint32_t t = a->tx_base; weft_sctp_tsn_lt(t, a->next_tsn); t++)
      mark_rtx(a, t, slot(a, t));
    if (++a->error_count > a->s.max_retransmits) {
      sctp_die(a, WEFT_ERR_TIMEOUT, 0, 1);
      return;
    }
  }
  a->rto = a->rto * 2 > a->s.rto_max ? a->s.rto_max : a->rto * 2;
  if (a->pr_sent)
    expire_outstanding(a, now);
  if (a->peer_fwd_tsn && adv_peer_ack(a) != a->tx_base - 1)
    a->need_fwd_tsn = 1;
  a->t3_at =
      a->tx_base == a->next_tsn ? WEFT_TSTAMP_NONE : now + (weft_tstamp)a->rto;
}

int sctp_tx_all_acked(const weft_sctp_assoc *a) {
  return a->cur == NULL && a->act_len == 0 && a->tx_base == a->next_tsn;
}

static void put_data(weft_wr *w, const ochunk *oc, uint32_t tsn) {
  const smsg *m = oc->msg;
  weft_sctp_data d = {.flags = oc->flags,
                      .tsn = tsn,
                      .stream = m->stream,
                      .ssn = m->ssn,
                      .ppid = m->ppid,
                      .data = m->data + oc->off,
                      .len = oc->len};
  weft_sctp_data_encode(w, &d);
}

static void on_data_sent(weft_sctp_assoc *a, weft_tstamp now, uint32_t len) {
  a->flight += len;
  a->peer_rwnd = a->peer_rwnd > len ? a->peer_rwnd - len : 0;
  if (a->t3_at == WEFT_TSTAMP_NONE)
    a->t3_at = now + (weft_tstamp)a->rto;
}

static void write_rtx(weft_sctp_assoc *a, weft_tstamp now, weft_wr *w,
                      int *wrote) {
  int bypass = a->fast_rtx_pending;
  a->fast_rtx_pending = 0;
  if (weft_sctp_tsn_lt(a->rtx_scan, a->tx_base))
    a->rtx_scan = a->tx_base;
  uint32_t t = a->rtx_scan;
  for (; a->rtx_count > 0 && weft_sctp_tsn_lt(t, a->next_tsn); t++) {
    ochunk *oc = slot(a, t);
    if (oc->state != OC_RTX)
      continue;
    if (pr_expired(oc->msg, now, oc)) {
      abandon(a, oc->msg);
      continue;
    }
    if (!bypass && a->flight >= a->cwnd)
      break;
    if (weft_wr_left(w) < WEFT_SCTP_DATA_HEADER_LEN + pad4(oc->len))
      break;
    put_data(w, oc, t);
    oc->state = OC_FLIGHT;
    oc->nsent = oc->nsent < 255 ? oc->nsent + 1 : 255;
    oc->sent_at = now;
    oc->miss = 0;
    a->rtx_count--;
    a->st.retransmits++;
    on_data_sent(a, now, oc->len);
    (*wrote)++;
  }
  a->rtx_scan = t;
}

/* Whether the head message may give a fragment now; drops expired ones. */
static smsg *next_sendable(weft_sctp_assoc *a, weft_tstamp now) {
  for (;;) {
    if (a->cur == NULL && (a->cur = take_next(a)) == NULL)
      return NULL;
    smsg *m = a->cur;
    if (!pr_expired(m, now, NULL) || m->pr != WEFT_SCTP_PR_LIFETIME)
      return m;
    if (m->ntsn > 0) {
      abandon(a, m);
      continue;
    }
    a->st.abandoned++;
    buffered_sub(a, m->stream, m->len);
    cur_done(a);
    msg_release(a, m);
  }
}

static void new_fragment(weft_sctp_assoc *a, weft_tstamp now, weft_wr *w,
                         smsg *m, uint32_t flen) {
  if (m->off == 0) {
    m->first_tsn = a->next_tsn;
    if (!m->unordered && !m->ssn_set) {
      sstream *st = sctp_stream(a, m->stream);
      m->ssn = st != NULL ? st->next_out++ : 0;
      m->ssn_set = 1;
    }
  }
  uint32_t tsn = a->next_tsn++;
  ochunk *oc = slot(a, tsn);
  oc->msg = m;
  oc->off = m->off;
  oc->len = (uint16_t)flen;
  oc->flags = (uint8_t)((m->off == 0 ? WEFT_SCTP_DATA_B : 0) |
                        (m->off + flen == m->len ? WEFT_SCTP_DATA_E : 0) |
                        (m->unordered ? WEFT_SCTP_DATA_U : 0));
  oc->state = OC_FLIGHT;
  oc->nsent = 1;
  oc->miss = 0;
  oc->sent_at = now;
  m->ntsn++;
  m->live++;
  m->off += flen;
  put_data(w, oc, tsn);
  a->st.bytes_sent += flen;
  on_data_sent(a, now, flen);
  if (m->off == m->len)
    cur_done(a);
  buffered_sub(a, m->stream, flen);
}

static void write_new(weft_sctp_assoc *a, weft_tstamp now, weft_wr *w,
                      int *wrote) {
  smsg *m;
  while ((m = next_sendable(a, now)) != NULL) {
    if (a->flight >= a->cwnd)
      break;
    uint32_t remaining = m->len - m->off;
    if (a->flight > 0 && a->peer_rwnd < (remaining < 1024 ? remaining : 1024))
      break;
    if (a->next_tsn - a->tx_base >= a->tx_cap && tx_grow(a) != 0)
      break;
    size_t room = weft_wr_left(w);
    if (room < WEFT_SCTP_DATA_HEADER_LEN + 4)
      break;
    uint32_t maxp = (uint32_t)((room - WEFT_SCTP_DATA_HEADER_LEN) & ~3u);
    uint32_t flen = remaining < maxp ? remaining : maxp;
    if (flen < remaining && flen < 256 && *wrote > 0)
      break;
    new_fragment(a, now, w, m, flen);
    (*wrote)++;
  }
}

int sctp_tx_write_data(weft_sctp_assoc *a, weft_tstamp now, weft_wr *w,
                       int *wrote) {
  if (a->rtx_count > 0)
    write_rtx(a, now, w, wrote);
  if (a->rtx_count == 0)
    write_new(a, now, w, wrote);
  return w->err;
}

static size_t add_pair(uint16_t *pairs, size_t n, size_t max, uint16_t stream,
                       uint16_t ssn) {
  for (size_t i = 0; i < n; i++) {
    if (pairs[2 * i] == stream) {
      if (weft_sctp_ssn_lt(pairs[2 * i + 1], ssn))
        pairs[2 * i + 1] = ssn;
      return n;
    }
  }
  if (n >= max)
    return SIZE_MAX;
  pairs[2 * n] = stream;
  pairs[2 * n + 1] = ssn;
  return n + 1;
}

int sctp_tx_write_fwd_tsn(weft_sctp_assoc *a, weft_wr *w) {
  uint16_t pairs[2 * 64];
  size_t n = 0;
  size_t room = weft_wr_left(w);
  if (room < 8)
    return 0;
  size_t max = (room - 8) / 4;
  if (max > 64)
    max = 64;
  uint32_t adv = a->tx_base - 1;
  for (uint32_t t = a->tx_base; weft_sctp_tsn_lt(t, a->next_tsn); t++) {
    ochunk *oc = slot(a, t);
    if (oc->state != OC_ABANDONED)
      break;
    if (!(oc->flags & WEFT_SCTP_DATA_U)) {
      size_t nn = add_pair(pairs, n, max, oc->msg->stream, oc->msg->ssn);
      if (nn == SIZE_MAX)
        break;
      n = nn;
    }
    adv = t;
  }
  a->need_fwd_tsn = 0;
  if (adv == a->tx_base - 1)
    return 0;
  return weft_sctp_fwd_tsn_encode(w, adv, pairs, n);
}
