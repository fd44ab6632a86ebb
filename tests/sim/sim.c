/* The simulator core: clock, event heap, packets, trace, stepping. */
#include "sim_internal.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"

/* Packets come in capacity classes, each with a free list; larger ones are
 * allocated to size and freed at once. */
static const size_t pkt_class_cap[SIM_PKT_CLASSES] = {128, 512, 1536};

static int pkt_class(size_t len) {
  for (int i = 0; i < SIM_PKT_CLASSES; i++)
    if (len <= pkt_class_cap[i])
      return i;
  return -1;
}

void sim_settings_default(sim_settings *s) {
  memset(s, 0, sizeof(*s));
  s->seed = 1;
  s->start = 0;
  s->max_packets = 262144;
  s->inbox_max = 4096;
  s->drain_max = 1024;
  s->max_steps = 100000000;
}

int sim_grow(sim_net *net, void *arrayp, size_t *cap, size_t n, size_t elem) {
  void **array = arrayp;
  if (n < *cap)
    return 0;
  size_t ncap = *cap ? *cap * 2 : 8;
  void *p = weft_realloc(net->mem, *array, ncap * elem);
  if (p == NULL)
    return WEFT_ERR_NOMEM;
  *array = p;
  *cap = ncap;
  return 0;
}

char *sim_strdup(sim_net *net, const char *s) {
  if (s == NULL)
    s = "";
  size_t n = strlen(s) + 1;
  char *d = weft_malloc(net->mem, n);
  if (d != NULL)
    memcpy(d, s, n);
  return d;
}

int sim_new(sim_net **out, const sim_settings *settings, const weft_mem *mem) {
  if (out == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  *out = NULL;
  sim_settings s;
  if (settings == NULL)
    sim_settings_default(&s);
  else
    s = *settings;
  if (s.max_packets == 0 || s.inbox_max == 0 || s.drain_max == 0 ||
      s.max_steps == 0)
    return WEFT_ERR_INVALID_ARGUMENT;
  sim_net *net = weft_calloc(mem, 1, sizeof(*net));
  if (net == NULL)
    return WEFT_ERR_NOMEM;
  net->mem = mem;
  net->s = s;
  net->now = s.start;
  net->hash = 0xcbf29ce484222325ull;
  net->heap = weft_calloc(mem, s.max_packets, sizeof(*net->heap));
  net->scratch = weft_malloc(mem, SIM_MAX_DATAGRAM);
  if (net->heap == NULL || net->scratch == NULL) {
    sim_del(net);
    return WEFT_ERR_NOMEM;
  }
  *out = net;
  return 0;
}

static void free_pkt_list(sim_net *net, sim_pkt *p) {
  while (p != NULL) {
    sim_pkt *next = p->next;
    weft_free(net->mem, p);
    p = next;
  }
}

void sim_del(sim_net *net) {
  if (net == NULL)
    return;
  for (size_t i = 0; i < net->nheap; i++)
    weft_free(net->mem, net->heap[i]);
  for (int k = 0; k < SIM_PKT_CLASSES; k++)
    free_pkt_list(net, net->free_pkts[k]);
  for (size_t i = 0; i < net->nhosts; i++) {
    free_pkt_list(net, net->hosts[i]->inbox_head);
    weft_free(net->mem, net->hosts[i]->ifaces);
    weft_free(net->mem, net->hosts[i]->node.name);
    weft_free(net->mem, net->hosts[i]);
  }
  for (size_t i = 0; i < net->nnats; i++)
    sim_nat_free(net, net->nats[i]);
  for (size_t i = 0; i < net->nsegs; i++) {
    weft_free(net->mem, net->segs[i]->ifaces);
    weft_free(net->mem, net->segs[i]->name);
    weft_free(net->mem, net->segs[i]);
  }
  for (size_t i = 0; i < net->nifaces; i++) {
    weft_free(net->mem, net->ifaces[i]->addrs);
    weft_free(net->mem, net->ifaces[i]);
  }
  for (size_t i = 0; i < net->neps; i++)
    weft_free(net->mem, net->eps[i]);
  weft_free(net->mem, net->segs);
  weft_free(net->mem, net->hosts);
  weft_free(net->mem, net->nats);
  weft_free(net->mem, net->ifaces);
  weft_free(net->mem, net->eps);
  weft_free(net->mem, net->heap);
  weft_free(net->mem, net->scratch);
  weft_free(net->mem, net);
}

weft_tstamp sim_now(const sim_net *net) {
  return net->now;
}

const sim_counters *sim_get_counters(const sim_net *net) {
  return &net->c;
}

uint64_t sim_trace_hash(const sim_net *net) {
  return net->hash;
}

void sim_derive_pcg(const sim_net *net, uint64_t stream, weft_pcg *out) {
  weft_pcg_seed(out, net->s.seed, 0x5157000000000000ull ^ stream);
}

void sim_set_trace(sim_net *net, sim_trace_fn fn, void *user_data) {
  net->trace = fn;
  net->trace_ud = user_data;
}

const char *sim_trace_kind_name(int kind) {
  static const char *const names[] = {
      "send",     "deliver",       "drop-loss",      "drop-queue",
      "drop-mtu", "drop-no-route", "drop-no-buffer", "drop-inbox",
      "drop-nat", "duplicate",     "nat-out",        "nat-in",
  };
  if (kind < 0 || (size_t)kind >= sizeof(names) / sizeof(names[0]))
    return "unknown";
  return names[kind];
}

const char *sim_node_name(const sim_node *n) {
  return n->name;
}

void sim_emit(sim_net *net, int kind, const char *where, const sim_pkt *p) {
  if (net->trace == NULL)
    return;
  sim_trace_event ev = {kind,   net->now, where, &p->from,
                        &p->to, p->data,  p->len};
  net->trace(net->trace_ud, &ev);
}

/* ---- packets ------------------------------------------------------------ */

static sim_pkt *pkt_alloc(sim_net *net, size_t len) {
  if (net->npkts >= net->s.max_packets)
    return NULL;
  sim_pkt *p;
  int k = pkt_class(len);
  if (k >= 0 && net->free_pkts[k] != NULL) {
    p = net->free_pkts[k];
    net->free_pkts[k] = p->next;
  } else {
    size_t cap = k >= 0 ? pkt_class_cap[k] : len;
    p = weft_malloc(net->mem, sizeof(*p) + cap);
    if (p == NULL)
      return NULL;
    p->cap = cap;
  }
  p->data = (uint8_t *)(p + 1);
  p->len = len;
  p->next = NULL;
  net->npkts++;
  return p;
}

void sim_pkt_free(sim_net *net, sim_pkt *p) {
  assert(net->npkts > 0);
  net->npkts--;
  int k = pkt_class(p->cap);
  if (k >= 0 && p->cap == pkt_class_cap[k]) {
    p->next = net->free_pkts[k];
    net->free_pkts[k] = p;
  } else {
    weft_free(net->mem, p);
  }
}

sim_pkt *sim_pkt_clone(sim_net *net, const sim_pkt *p) {
  sim_pkt *c = pkt_alloc(net, p->len);
  if (c == NULL)
    return NULL;
  c->from = p->from;
  c->to = p->to;
  memcpy(c->data, p->data, p->len);
  return c;
}

/* ---- event heap (min on time, then seq) --------------------------------- */

static int pkt_before(const sim_pkt *a, const sim_pkt *b) {
  return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void heap_push(sim_net *net, sim_pkt *p) {
  assert(net->nheap < net->s.max_packets);
  size_t i = net->nheap++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!pkt_before(p, net->heap[parent]))
      break;
    net->heap[i] = net->heap[parent];
    i = parent;
  }
  net->heap[i] = p;
}

sim_pkt *sim_heap_pop(sim_net *net) {
  sim_pkt *top = net->heap[0];
  sim_pkt *last = net->heap[--net->nheap];
  size_t n = net->nheap, i = 0;
  for (;;) {
    size_t l = 2 * i + 1, m = i;
    const sim_pkt *best = last;
    if (l < n && pkt_before(net->heap[l], best)) {
      m = l;
      best = net->heap[l];
    }
    if (l + 1 < n && pkt_before(net->heap[l + 1], best))
      m = l + 1;
    if (m == i)
      break;
    net->heap[i] = net->heap[m];
    i = m;
  }
  if (n > 0)
    net->heap[i] = last;
  return top;
}

void sim_schedule(sim_net *net, sim_pkt *p, sim_iface *iface, int dir,
                  weft_tstamp t) {
  p->time = t < net->now ? net->now : t;
  p->seq = net->seq++;
  p->iface = iface;
  p->dir = dir;
  heap_push(net, p);
}

/* ---- sending -------------------------------------------------------------
 */

int sim_iface_has_ip(const sim_iface *iface, const weft_addr *ip) {
  for (size_t i = 0; i < iface->naddrs; i++)
    if (weft_addr_equal_ip(&iface->addrs[i], ip))
      return 1;
  return 0;
}

static int send_on(sim_iface *iface, const weft_addr *from, const weft_addr *to,
                   const uint8_t *data, size_t len) {
  sim_net *net = iface->net;
  sim_pkt *p = pkt_alloc(net, len);
  if (p == NULL) {
    net->c.dropped_no_buffer++;
    if (net->trace != NULL) {
      sim_pkt tmp = {
          .from = *from, .to = *to, .data = (uint8_t *)data, .len = len};
      sim_emit(net, SIM_TRACE_DROP_NO_BUFFER, iface->node->name, &tmp);
    }
    return 0;
  }
  p->from = *from;
  p->to = *to;
  memcpy(p->data, data, len);
  net->c.sent++;
  sim_emit(net, SIM_TRACE_SEND, iface->node->name, p);
  sim_link_send(iface, SIM_UP, p);
  return 0;
}

static int check_send(const weft_addr *from, const weft_addr *to,
                      const uint8_t *data, size_t len) {
  if (from == NULL || to == NULL || (data == NULL && len > 0) || len == 0 ||
      len > SIM_MAX_DATAGRAM)
    return WEFT_ERR_INVALID_ARGUMENT;
  int fam = weft_addr_family(from);
  if ((fam != AF_INET && fam != AF_INET6) || fam != weft_addr_family(to))
    return WEFT_ERR_INVALID_ARGUMENT;
  return 0;
}

int sim_host_send(sim_host *host, const weft_addr *from, const weft_addr *to,
                  const uint8_t *data, size_t len) {
  if (host == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  int rv = check_send(from, to, data, len);
  if (rv != 0)
    return rv;
  for (size_t i = 0; i < host->nifaces; i++)
    if (sim_iface_has_ip(host->ifaces[i], from))
      return send_on(host->ifaces[i], from, to, data, len);
  return WEFT_ERR_INVALID_ARGUMENT;
}

int sim_send(sim_net *net, const weft_addr *from, const weft_addr *to,
             const uint8_t *data, size_t len) {
  int rv = check_send(from, to, data, len);
  if (rv != 0)
    return rv;
  sim_iface *found = NULL;
  for (size_t i = 0; i < net->nifaces; i++) {
    sim_iface *f = net->ifaces[i];
    if (f->node->kind != NODE_HOST || !sim_iface_has_ip(f, from))
      continue;
    if (found != NULL && found->node != f->node)
      return WEFT_ERR_EXISTS;
    if (found == NULL)
      found = f;
  }
  if (found == NULL)
    return WEFT_ERR_NOT_FOUND;
  return send_on(found, from, to, data, len);
}

void sim_trace_print(void *user_data, const sim_trace_event *ev) {
  FILE *f = user_data != NULL ? user_data : stderr;
  char from[WEFT_ADDR_STRLEN], to[WEFT_ADDR_STRLEN];
  weft_addr_format(ev->from, from, sizeof(from));
  weft_addr_format(ev->to, to, sizeof(to));
  fprintf(f, "%4llu.%09llu %-13s %-8s %s -> %s %zu\n",
          (unsigned long long)(ev->time / WEFT_SECONDS),
          (unsigned long long)(ev->time % WEFT_SECONDS),
          sim_trace_kind_name(ev->kind), ev->where, from, to, ev->len);
}
