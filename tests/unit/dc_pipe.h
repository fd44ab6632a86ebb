/* Two weft_dc endpoints joined by a packet pipe in virtual time: one-way
 * delay, jitter (reordering), loss and duplication from a seeded PCG.
 * Header-only (static functions), for the data channel tests. */
#ifndef WEFT_TEST_DC_PIPE_H
#define WEFT_TEST_DC_PIPE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "weft/datachannel.h"

#define DCP_MTU 1500

typedef struct dcp_pkt {
  weft_tstamp at;
  uint64_t seq;
  int to;
  size_t len;
  uint8_t data[DCP_MTU];
} dcp_pkt;

typedef struct dc_pipe dc_pipe;
/* Called for every event of endpoint @p side. */
typedef void (*dcp_event_fn)(dc_pipe *p, int side, const weft_dc_event *ev);

struct dc_pipe {
  weft_dc *ep[2];
  weft_tstamp now;
  weft_pcg pcg;
  weft_rand rnd;
  double loss, dup;
  weft_duration delay, jitter;
  dcp_pkt **heap;
  size_t hlen, hcap;
  uint64_t seq;
  dcp_event_fn on_event;
  void *user;
  uint64_t packets[2];
  int events[2][16];  /* per side, counts by type */
  int last_id[2][16]; /* per side, id of the last event of each type */
};

static int dcp_less(const dcp_pkt *a, const dcp_pkt *b) {
  return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void dcp_push(dc_pipe *p, dcp_pkt *k) {
  if (p->hlen == p->hcap) {
    p->hcap = p->hcap ? p->hcap * 2 : 256;
    p->heap = realloc(p->heap, p->hcap * sizeof(*p->heap));
  }
  size_t i = p->hlen++;
  while (i > 0 && dcp_less(k, p->heap[(i - 1) / 2])) {
    p->heap[i] = p->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  p->heap[i] = k;
}

static dcp_pkt *dcp_pop(dc_pipe *p) {
  dcp_pkt *top = p->heap[0], *last = p->heap[--p->hlen];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= p->hlen)
      break;
    if (c + 1 < p->hlen && dcp_less(p->heap[c + 1], p->heap[c]))
      c++;
    if (!dcp_less(p->heap[c], last))
      break;
    p->heap[i] = p->heap[c];
    i = c;
  }
  if (p->hlen > 0)
    p->heap[i] = last;
  return top;
}

static void dcp_init(dc_pipe *p, uint64_t seed) {
  memset(p, 0, sizeof(*p));
  weft_pcg_seed(&p->pcg, seed, 7);
  weft_rand_from_pcg(&p->rnd, &p->pcg);
  p->delay = 10 * (weft_duration)WEFT_MILLISECONDS;
  p->now = 1000 * WEFT_SECONDS;
}

/* Default settings for side @p side (0: DTLS client, 1: server). */
static void dcp_settings(dc_pipe *p, int side, weft_dc_settings *s) {
  weft_dc_settings_default(s);
  s->sctp.rand = &p->rnd;
  s->sctp.log.level = WEFT_LOG_NONE;
  s->log.level = WEFT_LOG_NONE;
  s->role = side == 0 ? WEFT_DC_ROLE_CLIENT : WEFT_DC_ROLE_SERVER;
}

static void dcp_free(dc_pipe *p) {
  while (p->hlen > 0)
    free(dcp_pop(p));
  free(p->heap);
  weft_dc_del(p->ep[0]);
  weft_dc_del(p->ep[1]);
}

static void dcp_send(dc_pipe *p, int from, const uint8_t *data, size_t len) {
  int copies = 1;
  if (p->loss > 0 && weft_pcg_double(&p->pcg) < p->loss)
    return;
  if (p->dup > 0 && weft_pcg_double(&p->pcg) < p->dup)
    copies = 2;
  for (int i = 0; i < copies; i++) {
    dcp_pkt *k = malloc(sizeof(*k));
    k->at = p->now + (weft_tstamp)p->delay;
    if (p->jitter > 0)
      k->at += weft_pcg_bounded(&p->pcg, (uint32_t)(p->jitter / 1000)) * 1000;
    k->seq = p->seq++;
    k->to = 1 - from;
    k->len = len;
    memcpy(k->data, data, len);
    dcp_push(p, k);
  }
}

/* Drains transmits and events of both sides. */
static void dcp_drain(dc_pipe *p) {
  uint8_t buf[DCP_MTU];
  for (int progress = 1; progress;) {
    progress = 0;
    for (int s = 0; s < 2; s++) {
      if (p->ep[s] == NULL)
        continue;
      int n;
      while ((n = weft_dc_poll_transmit(p->ep[s], p->now, buf, sizeof(buf))) >
             0) {
        p->packets[s]++;
        progress = 1;
        dcp_send(p, s, buf, (size_t)n);
      }
      weft_dc_event ev;
      while (p->ep[s] != NULL && weft_dc_poll_event(p->ep[s], &ev)) {
        progress = 1;
        if (ev.type > 0 && ev.type < 16) {
          p->events[s][ev.type]++;
          p->last_id[s][ev.type] = ev.id;
        }
        if (p->on_event != NULL)
          p->on_event(p, s, &ev);
      }
    }
  }
}

/* Delivers the next packet or fires the next timer, not later than
 * @p until. Returns 0 when nothing is left before it. */
static int dcp_step(dc_pipe *p, weft_tstamp until) {
  dcp_drain(p);
  weft_tstamp next = WEFT_TSTAMP_NONE;
  for (int s = 0; s < 2; s++) {
    weft_tstamp d = p->ep[s] ? weft_dc_deadline(p->ep[s]) : WEFT_TSTAMP_NONE;
    if (d < next)
      next = d;
  }
  if (p->hlen > 0 && p->heap[0]->at <= next) {
    if (p->heap[0]->at > until)
      return 0;
    dcp_pkt *k = dcp_pop(p);
    if (k->at > p->now)
      p->now = k->at;
    if (p->ep[k->to] != NULL)
      weft_dc_recv(p->ep[k->to], p->now, k->data, k->len);
    free(k);
  } else {
    if (next == WEFT_TSTAMP_NONE || next > until)
      return 0;
    if (next > p->now)
      p->now = next;
    for (int s = 0; s < 2; s++)
      if (p->ep[s] != NULL && weft_dc_deadline(p->ep[s]) <= p->now)
        weft_dc_handle_timeout(p->ep[s], p->now);
  }
  dcp_drain(p);
  return 1;
}

/* Runs until @p done returns nonzero or virtual time passes @p limit.
 * Returns whether done. */
static int dcp_run(dc_pipe *p, int (*done)(dc_pipe *), weft_duration limit) {
  weft_tstamp until = p->now + (weft_tstamp)limit;
  for (uint64_t i = 0; i < 200000000ull; i++) {
    if (done != NULL && done(p))
      return 1;
    if (!dcp_step(p, until)) {
      if (p->now < until)
        p->now = until;
      break;
    }
  }
  return done != NULL && done(p);
}

#endif
