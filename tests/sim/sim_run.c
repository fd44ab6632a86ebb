/* Stepping the simulator: routing, delivery, inboxes, endpoint timers. */
#include "sim_internal.h"

#include <string.h>

/* ---- trace hash ---------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v;
  h *= 0x100000001b3ull;
  h ^= h >> 29;
  return h;
}

static uint64_t hash_bytes(uint64_t h, const uint8_t *d, size_t len) {
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t v;
    memcpy(&v, d + i, 8);
    h = mix(h, v);
  }
  uint64_t tail = 0;
  for (; i < len; i++)
    tail = (tail << 8) | d[i];
  return mix(h, tail ^ ((uint64_t)len << 48));
}

static void hash_delivery(sim_net *net, const sim_host *host,
                          const sim_pkt *p) {
  uint64_t h = net->hash;
  h = mix(h, net->now);
  h = mix(h, host->node.id);
  h = mix(h, weft_addr_hash(&p->from));
  h = mix(h, weft_addr_hash(&p->to));
  net->hash = hash_bytes(h, p->data, p->len);
}

/* ---- delivery to hosts --------------------------------------------------- */

static sim_endpoint *find_endpoint(sim_net *net, const sim_host *host,
                                   uint16_t port) {
  sim_endpoint *any = NULL;
  for (size_t i = 0; i < net->neps; i++) {
    sim_endpoint *ep = net->eps[i];
    if (ep->host != host)
      continue;
    if (ep->port == port)
      return ep;
    if (ep->port == 0 && any == NULL)
      any = ep;
  }
  return any;
}

static void inbox_push(sim_net *net, sim_host *host, sim_pkt *p) {
  if (host->inbox_count >= net->s.inbox_max) {
    net->c.dropped_inbox++;
    sim_emit(net, SIM_TRACE_DROP_INBOX, host->node.name, p);
    sim_pkt_free(net, p);
    return;
  }
  p->time = net->now;
  p->seq = net->seq++;
  p->next = NULL;
  if (host->inbox_tail != NULL)
    host->inbox_tail->next = p;
  else
    host->inbox_head = p;
  host->inbox_tail = p;
  host->inbox_count++;
}

static void host_arrive(sim_net *net, sim_host *host, sim_pkt *p) {
  net->c.delivered++;
  hash_delivery(net, host, p);
  sim_emit(net, SIM_TRACE_DELIVER, host->node.name, p);
  sim_endpoint *ep = find_endpoint(net, host, weft_addr_port(&p->to));
  if (ep == NULL) {
    inbox_push(net, host, p);
    return;
  }
  if (ep->ops.recv != NULL)
    ep->ops.recv(ep->user_data, net->now, &p->from, &p->to, p->data, p->len);
  sim_pkt_free(net, p);
  sim_endpoint_drain(ep);
}

/* ---- routing ------------------------------------------------------------- */

static sim_iface *seg_lookup(const sim_seg *seg, const weft_addr *ip) {
  for (size_t i = 0; i < seg->nifaces; i++)
    if (sim_iface_has_ip(seg->ifaces[i], ip))
      return seg->ifaces[i];
  return NULL;
}

static void drop_no_route(sim_net *net, const char *where, sim_pkt *p) {
  net->c.dropped_no_route++;
  sim_emit(net, SIM_TRACE_DROP_NO_ROUTE, where, p);
  sim_pkt_free(net, p);
}

/* A packet came off @p from's uplink into its segment. */
static void seg_route(sim_net *net, sim_iface *from, sim_pkt *p) {
  sim_seg *seg = from->seg;
  sim_iface *dst = seg_lookup(seg, &p->to);
  if (dst == NULL && seg->gateway != NULL && seg->gateway != from)
    dst = seg->gateway;
  if (dst == NULL) {
    drop_no_route(net, seg->name, p);
    return;
  }
  sim_link_send(dst, SIM_DOWN, p);
}

static void handle_packet(sim_net *net, sim_pkt *p) {
  sim_iface *iface = p->iface;
  link_state *ls = &iface->dir[p->dir];
  ls->c.delivered++;
  ls->c.bytes_delivered += p->len;
  if (p->dir == SIM_UP) {
    seg_route(net, iface, p);
    return;
  }
  /* arrived at the node; the IP may have been removed meanwhile */
  if (!sim_iface_has_ip(iface, &p->to) && iface->node->kind == NODE_HOST) {
    drop_no_route(net, iface->node->name, p);
    return;
  }
  if (iface->node->kind == NODE_HOST)
    host_arrive(net, (sim_host *)iface->node, p);
  else
    sim_nat_arrive((sim_nat *)iface->node, iface, p);
}

/* ---- endpoints and time -------------------------------------------------- */

/* Earliest event; *which = endpoint index, or -1 for the packet heap. */
static weft_tstamp next_event(sim_net *net, long *which) {
  weft_tstamp best = WEFT_TSTAMP_NONE;
  *which = -1;
  if (net->nheap > 0)
    best = net->heap[0]->time;
  for (size_t i = 0; i < net->neps; i++) {
    sim_endpoint *ep = net->eps[i];
    if (ep->ops.deadline == NULL || ep->ops.handle_timeout == NULL)
      continue;
    weft_tstamp d = ep->ops.deadline(ep->user_data);
    if (d < net->now)
      d = net->now;
    if (d < best) {
      best = d;
      *which = (long)i;
    }
  }
  return best;
}

static void do_event(sim_net *net, long which, weft_tstamp t) {
  if (t > net->now)
    net->now = t;
  if (which < 0) {
    handle_packet(net, sim_heap_pop(net));
    return;
  }
  sim_endpoint *ep = net->eps[which];
  ep->ops.handle_timeout(ep->user_data, net->now);
  sim_endpoint_drain(ep);
}

weft_tstamp sim_next_event_time(sim_net *net) {
  long which;
  return next_event(net, &which);
}

int sim_step(sim_net *net) {
  long which;
  weft_tstamp t = next_event(net, &which);
  if (t == WEFT_TSTAMP_NONE)
    return 0;
  do_event(net, which, t);
  return 1;
}

int sim_advance(sim_net *net, weft_tstamp t) {
  for (uint64_t steps = 0;; steps++) {
    long which;
    weft_tstamp nt = next_event(net, &which);
    if (nt == WEFT_TSTAMP_NONE || nt > t)
      break;
    if (steps >= net->s.max_steps)
      return WEFT_ERR_LIMIT;
    do_event(net, which, nt);
  }
  if (t > net->now)
    net->now = t;
  return 0;
}

int sim_advance_by(sim_net *net, weft_tstamp d) {
  weft_tstamp t = net->now + d;
  if (t < net->now)
    t = WEFT_TSTAMP_NONE - 1;
  return sim_advance(net, t);
}

int sim_run_until(sim_net *net, weft_tstamp deadline, sim_pred_fn pred,
                  void *user_data, uint64_t max_steps) {
  uint64_t limit = max_steps ? max_steps : net->s.max_steps;
  for (uint64_t steps = 0;; steps++) {
    if (pred != NULL && pred(net, user_data))
      return 1;
    long which;
    weft_tstamp t = next_event(net, &which);
    if (t == WEFT_TSTAMP_NONE || t > deadline) {
      if (deadline != WEFT_TSTAMP_NONE && deadline > net->now)
        net->now = deadline;
      return 0;
    }
    if (steps >= limit)
      return WEFT_ERR_LIMIT;
    do_event(net, which, t);
  }
}

/* ---- inbox --------------------------------------------------------------- */

static sim_host *oldest_inbox(sim_net *net) {
  sim_host *best = NULL;
  for (size_t i = 0; i < net->nhosts; i++) {
    sim_host *h = net->hosts[i];
    if (h->inbox_head != NULL &&
        (best == NULL || h->inbox_head->seq < best->inbox_head->seq))
      best = h;
  }
  return best;
}

int sim_poll_delivery(sim_net *net, sim_host *host, sim_dgram *d, uint8_t *buf,
                      size_t buflen) {
  if (host == NULL)
    host = oldest_inbox(net);
  if (host == NULL || host->inbox_head == NULL)
    return 0;
  sim_pkt *p = host->inbox_head;
  if (d != NULL) {
    d->host = host;
    d->from = p->from;
    d->to = p->to;
    d->time = p->time;
    d->len = p->len;
  }
  if (buflen < p->len || buf == NULL)
    return WEFT_ERR_BUFFER_TOO_SMALL;
  memcpy(buf, p->data, p->len);
  int len = (int)p->len;
  host->inbox_head = p->next;
  if (host->inbox_head == NULL)
    host->inbox_tail = NULL;
  host->inbox_count--;
  sim_pkt_free(net, p);
  return len;
}

size_t sim_inbox_count(const sim_net *net, const sim_host *host) {
  if (host != NULL)
    return host->inbox_count;
  size_t n = 0;
  for (size_t i = 0; i < net->nhosts; i++)
    n += net->hosts[i]->inbox_count;
  return n;
}
