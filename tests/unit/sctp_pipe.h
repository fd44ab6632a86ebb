/* A packet pipe with virtual time between two SCTP associations, for tests:
 * one-way delay, jitter (reordering), loss, duplication and a link rate, all
 * from a seeded PCG. Header-only (static functions). */
#ifndef WEFT_TEST_SCTP_PIPE_H
#define WEFT_TEST_SCTP_PIPE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "weft/sctp.h"

#define PIPE_MTU 1500

typedef struct pipe_pkt {
  weft_tstamp at;
  uint64_t seq;
  int to;
  size_t len;
  uint8_t data[PIPE_MTU];
} pipe_pkt;

typedef struct sctp_pipe sctp_pipe;
/* Called for every event of endpoint @p side. */
typedef void (*pipe_event_fn)(sctp_pipe *p, int side,
                              const weft_sctp_event *ev);
/* Called for every packet before it enters the link: 0 keeps it, 1 drops
 * it. May modify it (and reseal). */
typedef int (*pipe_filter_fn)(sctp_pipe *p, int from, uint8_t *pkt,
                              size_t *len);

struct sctp_pipe {
  weft_sctp_assoc *ep[2];
  weft_tstamp now;
  weft_pcg pcg;
  weft_rand rnd;
  double loss, dup;
  weft_duration delay, jitter;
  uint64_t rate_bps; /* 0 = unlimited */
  weft_tstamp link_free[2];
  pipe_pkt **heap;
  size_t hlen, hcap;
  uint64_t seq;
  pipe_event_fn on_event;
  pipe_filter_fn filter;
  void *user;
  uint64_t packets[2];
  int events[2][16]; /* per side, counts by type */
};

static int pipe_less(const pipe_pkt *a, const pipe_pkt *b) {
  return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void pipe_push(sctp_pipe *p, pipe_pkt *k) {
  if (p->hlen == p->hcap) {
    p->hcap = p->hcap ? p->hcap * 2 : 256;
    p->heap = realloc(p->heap, p->hcap * sizeof(*p->heap));
  }
  size_t i = p->hlen++;
  while (i > 0 && pipe_less(k, p->heap[(i - 1) / 2])) {
    p->heap[i] = p->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  p->heap[i] = k;
}

static pipe_pkt *pipe_pop(sctp_pipe *p) {
  pipe_pkt *top = p->heap[0], *last = p->heap[--p->hlen];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= p->hlen)
      break;
    if (c + 1 < p->hlen && pipe_less(p->heap[c + 1], p->heap[c]))
      c++;
    if (!pipe_less(p->heap[c], last))
      break;
    p->heap[i] = p->heap[c];
    i = c;
  }
  if (p->hlen > 0)
    p->heap[i] = last;
  return top;
}

static void pipe_settings(sctp_pipe *p, weft_sctp_settings *s) {
  weft_sctp_settings_default(s);
  s->rand = &p->rnd;
  s->log.level = WEFT_LOG_NONE;
}

static void pipe_init(sctp_pipe *p, uint64_t seed) {
  memset(p, 0, sizeof(*p));
  weft_pcg_seed(&p->pcg, seed, 7);
  weft_rand_from_pcg(&p->rnd, &p->pcg);
  p->delay = 10 * (weft_duration)WEFT_MILLISECONDS;
  p->now = 1000 * WEFT_SECONDS;
}

static void pipe_free(sctp_pipe *p) {
  while (p->hlen > 0)
    free(pipe_pop(p));
  free(p->heap);
  weft_sctp_assoc_del(p->ep[0]);
  weft_sctp_assoc_del(p->ep[1]);
}

static void pipe_send(sctp_pipe *p, int from, const uint8_t *data, size_t len) {
  int copies = 1;
  if (p->loss > 0 && weft_pcg_double(&p->pcg) < p->loss)
    return;
  if (p->dup > 0 && weft_pcg_double(&p->pcg) < p->dup)
    copies = 2;
  weft_tstamp start = p->now;
  if (p->rate_bps > 0) {
    if (p->link_free[from] > start)
      start = p->link_free[from];
    p->link_free[from] =
        start + (weft_tstamp)len * 8 * WEFT_SECONDS / p->rate_bps;
    start = p->link_free[from];
  }
  for (int i = 0; i < copies; i++) {
    pipe_pkt *k = malloc(sizeof(*k));
    k->at = start + (weft_tstamp)p->delay;
    if (p->jitter > 0)
      k->at += weft_pcg_bounded(&p->pcg, (uint32_t)(p->jitter / 1000)) * 1000;
    k->seq = p->seq++;
    k->to = 1 - from;
    k->len = len;
    memcpy(k->data, data, len);
    pipe_push(p, k);
  }
}

/* Drains transmits and events of both sides. */
static void pipe_drain(sctp_pipe *p) {
  uint8_t buf[PIPE_MTU];
  for (int progress = 1; progress;) {
    progress = 0;
    for (int s = 0; s < 2; s++) {
      if (p->ep[s] == NULL)
        continue;
      int n;
      while ((n = weft_sctp_poll_transmit(p->ep[s], p->now, buf, sizeof(buf))) >
             0) {
        size_t len = (size_t)n;
        p->packets[s]++;
        progress = 1;
        if (p->filter == NULL || p->filter(p, s, buf, &len) == 0)
          pipe_send(p, s, buf, len);
      }
      weft_sctp_event ev;
      while (weft_sctp_poll_event(p->ep[s], &ev)) {
        progress = 1;
        if (ev.type > 0 && ev.type < 16)
          p->events[s][ev.type]++;
        if (p->on_event != NULL)
          p->on_event(p, s, &ev);
      }
    }
  }
}

/* One step: delivers the next packet or fires the next timer, whichever
 * comes first, not later than @p until. Returns 0 when nothing is left. */
static int pipe_step(sctp_pipe *p, weft_tstamp until) {
  pipe_drain(p);
  weft_tstamp next = WEFT_TSTAMP_NONE;
  for (int s = 0; s < 2; s++) {
    weft_tstamp d = p->ep[s] ? weft_sctp_deadline(p->ep[s]) : WEFT_TSTAMP_NONE;
    if (d < next)
      next = d;
  }
  if (p->hlen > 0 && p->heap[0]->at <= next) {
    if (p->heap[0]->at > until)
      return 0;
    pipe_pkt *k = pipe_pop(p);
    if (k->at > p->now)
      p->now = k->at;
    if (p->ep[k->to] != NULL)
      weft_sctp_recv(p->ep[k->to], p->now, k->data, k->len);
    free(k);
  } else {
    if (next == WEFT_TSTAMP_NONE || next > until)
      return 0;
    if (next > p->now)
      p->now = next;
    for (int s = 0; s < 2; s++)
      if (p->ep[s] != NULL && weft_sctp_deadline(p->ep[s]) <= p->now)
        weft_sctp_handle_timeout(p->ep[s], p->now);
  }
  pipe_drain(p);
  return 1;
}

/* Runs until @p done returns nonzero or virtual time passes @p limit.
 * Returns whether done. */
static int pipe_run(sctp_pipe *p, int (*done)(sctp_pipe *),
                    weft_duration limit) {
  weft_tstamp until = p->now + (weft_tstamp)limit;
  for (uint64_t i = 0; i < 100000000ull; i++) {
    if (done != NULL && done(p))
      return 1;
    if (!pipe_step(p, until)) {
      if (p->now < until)
        p->now = until; /* nothing happens before: time passes */
      break;
    }
  }
  return done != NULL && done(p);
}

#endif
