/* SCTP receive side: the TSN ring, duplicate detection, reassembly (ordered
 * per-stream SSN and unordered), the receive window, SACK generation and
 * FORWARD-TSN (RFC 3758) skipping. */
#include "sctp/sctp_int.h"

#include <string.h>

#define RX_CAP_INIT 4096u
#define RX_CAP_MAX (1u << 17)
#define MAX_GAPS 128

/* Marks a TSN received whose data has left the ring (delivered or
 * discarded). Compared, never dereferenced. */
static const char rx_done_marker;
#define RX_DONE ((rchunk *)(uintptr_t)&rx_done_marker)

static rchunk **rslot(weft_sctp_assoc *a, uint32_t tsn) {
  return &a->rx[tsn & (a->rx_cap - 1)];
}

static int in_ring(const weft_sctp_assoc *a, uint32_t tsn) {
  return weft_sctp_tsn_le(a->rx_low, tsn) && tsn - a->rx_low < a->rx_cap;
}

/* A held (not yet reassembled) chunk at @p tsn, or NULL. */
static rchunk *held(weft_sctp_assoc *a, uint32_t tsn) {
  if (!in_ring(a, tsn))
    return NULL;
  rchunk *c = *rslot(a, tsn);
  return c == RX_DONE ? NULL : c;
}

int sctp_rx_init(weft_sctp_assoc *a) {
  a->rx_cap = RX_CAP_INIT;
  a->rx = weft_calloc(a->mem, a->rx_cap, sizeof(rchunk *));
  return a->rx ? 0 : WEFT_ERR_NOMEM;
}

void sctp_rchunk_free(weft_sctp_assoc *a, rchunk *c) {
  if (c == NULL || c == RX_DONE)
    return;
  if (c->pooled && a->pool_len < SCTP_POOL_MAX) {
    c->next = a->pool;
    a->pool = c;
    a->pool_len++;
    return;
  }
  weft_free(a->mem, c);
}

static rchunk *rchunk_alloc(weft_sctp_assoc *a, size_t len) {
  rchunk *c;
  /* Chunks of more than half the MTU come from a pool of MTU-sized
   * buffers; smaller ones are allocated to size. */
  int pooled = len > a->s.mtu / 2 && len <= a->s.mtu;
  if (pooled && a->pool != NULL) {
    c = a->pool;
    a->pool = c->next;
    a->pool_len--;
  } else {
    c = weft_malloc(a->mem, sizeof(rchunk) + (pooled ? a->s.mtu : len));
    if (c == NULL)
      return NULL;
    c->pooled = (uint8_t)pooled;
  }
  c->next = NULL;
  c->len = (uint32_t)len;
  return c;
}

void sctp_rx_free(weft_sctp_assoc *a) {
  if (a->rx != NULL) {
    for (uint32_t i = 0; i < a->rx_cap; i++)
      if (a->rx[i] != RX_DONE)
        weft_free(a->mem, a->rx[i]);
  }
  weft_free(a->mem, a->rx);
  a->rx = NULL;
  for (uint32_t i = 0; i < a->nstreams_alloc; i++) {
    rchunk *c = a->streams[i].pending;
    while (c != NULL) {
      rchunk *n = c->next;
      weft_free(a->mem, c);
      c = n;
    }
    a->streams[i].pending = NULL;
  }
  while (a->pool != NULL) {
    rchunk *n = a->pool->next;
    weft_free(a->mem, a->pool);
    a->pool = n;
  }
  a->pool_len = 0;
}

uint32_t sctp_rx_a_rwnd(const weft_sctp_assoc *a) {
  return a->rx_held < a->s.rwnd ? (uint32_t)(a->s.rwnd - a->rx_held) : 0;
}

static int rx_grow(weft_sctp_assoc *a) {
  if (a->rx_cap >= RX_CAP_MAX)
    return WEFT_ERR_LIMIT;
  uint32_t ncap = a->rx_cap * 2;
  rchunk **n = weft_calloc(a->mem, ncap, sizeof(rchunk *));
  if (n == NULL)
    return WEFT_ERR_NOMEM;
  for (uint32_t i = 0; i < a->rx_cap; i++) {
    uint32_t t = a->rx_low + i;
    n[t & (ncap - 1)] = a->rx[t & (a->rx_cap - 1)];
  }
  weft_free(a->mem, a->rx);
  a->rx = n;
  a->rx_cap = ncap;
  return 0;
}

static void advance_cum(weft_sctp_assoc *a) {
  while (in_ring(a, a->cum + 1) && *rslot(a, a->cum + 1) != NULL)
    a->cum++;
  while (weft_sctp_tsn_le(a->rx_low, a->cum)) {
    rchunk **s = rslot(a, a->rx_low);
    if (*s != NULL && *s != RX_DONE)
      break;
    *s = NULL;
    a->rx_low++;
  }
}

static void emit_msg(weft_sctp_assoc *a, rchunk *m) {
  weft_sctp_event ev = {.type = WEFT_SCTP_EVENT_MESSAGE,
                        .stream = m->stream,
                        .ppid = m->ppid,
                        .unordered = (m->flags & WEFT_SCTP_DATA_U) != 0,
                        .data = m->data,
                        .len = m->len};
  sctp_emit(a, &ev, m);
}

static void drop_msg(weft_sctp_assoc *a, rchunk *m) {
  a->rx_held -= m->charge;
  sctp_rchunk_free(a, m);
}

/* Delivers the stream's waiting messages from next_in on. */
static void deliver_pending(weft_sctp_assoc *a, sstream *st) {
  while (st->pending != NULL && st->pending->ssn == st->next_in) {
    rchunk *m = st->pending;
    st->pending = m->next;
    m->next = NULL;
    st->next_in++;
    emit_msg(a, m);
  }
}

static void deliver(weft_sctp_assoc *a, rchunk *m) {
  if (m->flags & WEFT_SCTP_DATA_U) {
    emit_msg(a, m);
    return;
  }
  sstream *st = sctp_stream(a, m->stream);
  if (st == NULL || weft_sctp_ssn_lt(m->ssn, st->next_in)) {
    drop_msg(a, m);
    return;
  }
  rchunk **pp = &st->pending;
  while (*pp != NULL && weft_sctp_ssn_lt((*pp)->ssn, m->ssn))
    pp = &(*pp)->next;
  if (*pp != NULL && (*pp)->ssn == m->ssn) {
    drop_msg(a, m); /* duplicate SSN: protocol error, keep the first */
    return;
  }
  m->next = *pp;
  *pp = m;
  deliver_pending(a, st);
}

static int same_msg(const rchunk *x, const rchunk *y) {
  if (x->stream != y->stream || ((x->flags ^ y->flags) & WEFT_SCTP_DATA_U) != 0)
    return 0;
  return (x->flags & WEFT_SCTP_DATA_U) || x->ssn == y->ssn;
}

/* Builds the message of fragments [b, e] and empties their slots. */
static rchunk *assemble(weft_sctp_assoc *a, uint32_t b, uint32_t e,
                        size_t total) {
  if (b == e) {
    rchunk *c = *rslot(a, b);
    *rslot(a, b) = RX_DONE;
    return c;
  }
  rchunk *m = rchunk_alloc(a, total);
  if (m == NULL)
    return NULL;
  rchunk *first = *rslot(a, b);
  m->tsn = first->tsn;
  m->ppid = first->ppid;
  m->stream = first->stream;
  m->ssn = first->ssn;
  m->flags = (uint8_t)(first->flags | WEFT_SCTP_DATA_E);
  m->charge = 0;
  size_t off = 0;
  for (uint32_t t = b;; t++) {
    rchunk *c = *rslot(a, t);
    memcpy(m->data + off, c->data, c->len);
    off += c->len;
    m->charge += c->charge;
    *rslot(a, t) = RX_DONE;
    sctp_rchunk_free(a, c);
    if (t == e)
      break;
  }
  return m;
}

static void try_complete(weft_sctp_assoc *a, uint32_t t) {
  rchunk *c = held(a, t);
  rchunk *nx = held(a, t + 1);
  if (!(c->flags & WEFT_SCTP_DATA_E) && nx == NULL)
    return;
  size_t total = c->len;
  uint32_t b = t, e = t;
  while (!(held(a, b)->flags & WEFT_SCTP_DATA_B)) {
    rchunk *p = held(a, b - 1);
    if (p == NULL || !same_msg(p, c) || (p->flags & WEFT_SCTP_DATA_E))
      return;
    total += p->len;
    b--;
  }
  while (!(held(a, e)->flags & WEFT_SCTP_DATA_E)) {
    rchunk *n = held(a, e + 1);
    if (n == NULL || !same_msg(n, c) || (n->flags & WEFT_SCTP_DATA_B))
      return;
    total += n->len;
    e++;
  }
  if (total > a->s.max_message_size) {
    sctp_die(a, WEFT_ERR_SCTP_MESSAGE_TOO_BIG,
             WEFT_SCTP_CAUSE_PROTOCOL_VIOLATION, 1);
    return;
  }
  rchunk *m = assemble(a, b, e, total);
  if (m == NULL)
    return; /* out of memory: stays held, retried on the next chunk */
  deliver(a, m);
}

static void note_dup(weft_sctp_assoc *a, uint32_t tsn) {
  a->st.duplicate_tsns++;
  if (a->ndups < SCTP_MAX_DUPS)
    a->dups[a->ndups++] = tsn;
  a->need_sack = 1;
}

/* Checks room for @p t; returns 0 when it may be stored. */
static int rx_admit(weft_sctp_assoc *a, const weft_sctp_data *d) {
  uint32_t t = d->tsn;
  while (!in_ring(a, t)) {
    if (t - a->rx_low > RX_CAP_MAX || rx_grow(a) != 0)
      return -1; /* far outside the window */
  }
  size_t charge = RCHUNK_CHARGE(d->len);
  if (a->rx_held + charge > a->s.rwnd) {
    /* Only the next in-order TSN may still enter: it can free memory. */
    if (t != a->cum + 1 ||
        a->rx_held + charge > (size_t)a->s.rwnd + 2 * a->s.max_message_size)
      return -1;
  }
  return 0;
}

void sctp_rx_data(weft_sctp_assoc *a, weft_tstamp now,
                  const weft_sctp_data *d) {
  (void)now;
  uint32_t t = d->tsn;
  if (weft_sctp_tsn_le(t, a->cum) || (in_ring(a, t) && *rslot(a, t))) {
    note_dup(a, t);
    return;
  }
  if (d->len == 0 || rx_admit(a, d) != 0) {
    a->st.dropped_tsn++;
    return;
  }
  if (weft_sctp_tsn_lt(a->rx_high, t))
    a->rx_high = t;
  if (d->stream >= a->in_streams) {
    *rslot(a, t) = RX_DONE; /* acknowledged and discarded */
    advance_cum(a);
    return;
  }
  rchunk *c = rchunk_alloc(a, d->len);
  if (c == NULL) {
    a->st.dropped_tsn++;
    return;
  }
  c->tsn = t;
  c->ppid = d->ppid;
  c->stream = d->stream;
  c->ssn = d->ssn;
  c->flags =
      d->flags & (WEFT_SCTP_DATA_B | WEFT_SCTP_DATA_E | WEFT_SCTP_DATA_U);
  memcpy(c->data, d->data, d->len);
  *rslot(a, t) = c;
  c->charge = RCHUNK_CHARGE(d->len);
  a->rx_held += c->charge;
  a->st.bytes_received += d->len;
  try_complete(a, t);
  advance_cum(a);
}

static void skip_stream(weft_sctp_assoc *a, uint16_t stream, uint16_t ssn) {
  if (stream >= a->in_streams)
    return;
  sstream *st = sctp_stream(a, stream);
  if (st == NULL || weft_sctp_ssn_lt(ssn, st->next_in))
    return;
  /* Complete messages up to @p ssn still go out, in order. */
  while (st->pending != NULL && !weft_sctp_ssn_lt(ssn, st->pending->ssn)) {
    rchunk *m = st->pending;
    st->pending = m->next;
    m->next = NULL;
    emit_msg(a, m);
  }
  st->next_in = (uint16_t)(ssn + 1);
  deliver_pending(a, st);
}

void sctp_rx_fwd_tsn(weft_sctp_assoc *a, const weft_sctp_fwd_tsn *f) {
  uint32_t nc = f->new_cum_tsn;
  a->need_sack = 1;
  if (weft_sctp_tsn_le(nc, a->cum))
    return;
  for (uint32_t t = a->rx_low; weft_sctp_tsn_le(t, nc) && in_ring(a, t); t++) {
    rchunk **s = rslot(a, t);
    if (*s != NULL && *s != RX_DONE)
      drop_msg(a, *s);
    *s = NULL;
  }
  if (!in_ring(a, nc))
    a->rx_low = nc + 1;
  else
    a->rx_low = weft_sctp_tsn_lt(a->rx_low, nc + 1) ? nc + 1 : a->rx_low;
  a->cum = nc;
  if (weft_sctp_tsn_lt(a->rx_high, nc))
    a->rx_high = nc;
  for (size_t i = 0; i < f->nstreams; i++)
    skip_stream(a, weft_get_u16(f->streams + 4 * i),
                weft_get_u16(f->streams + 4 * i + 2));
  advance_cum(a);
  sctp_reconf_check_deferred(a);
}

int sctp_rx_write_sack(weft_sctp_assoc *a, weft_wr *w) {
  uint16_t gaps[2 * MAX_GAPS];
  size_t n = 0;
  size_t room = weft_wr_left(w);
  if (room < 16 + 4 * a->ndups)
    return WEFT_ERR_BUFFER_TOO_SMALL;
  size_t maxg = (room - 16 - 4 * a->ndups) / 4;
  if (maxg > MAX_GAPS)
    maxg = MAX_GAPS;
  uint32_t t = a->cum + 1;
  while (n < maxg && weft_sctp_tsn_le(t, a->rx_high)) {
    while (weft_sctp_tsn_le(t, a->rx_high) && *rslot(a, t) == NULL)
      t++;
    if (weft_sctp_tsn_lt(a->rx_high, t))
      break;
    uint32_t s = t;
    while (weft_sctp_tsn_le(t, a->rx_high) && *rslot(a, t) != NULL)
      t++;
    if (t - 1 - a->cum > 0xffff)
      break;
    gaps[2 * n] = (uint16_t)(s - a->cum);
    gaps[2 * n + 1] = (uint16_t)(t - 1 - a->cum);
    n++;
  }
  uint32_t rwnd = sctp_rx_a_rwnd(a);
  int rc = weft_sctp_sack_encode(w, a->cum, rwnd, gaps, n, a->dups, a->ndups);
  if (rc == 0) {
    a->last_adv_rwnd = rwnd;
    a->ndups = 0;
    a->need_sack = 0;
    a->sack_at = WEFT_TSTAMP_NONE;
    a->sack_pkts = 0;
  }
  return rc;
}
