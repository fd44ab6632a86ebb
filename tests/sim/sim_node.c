/* Topology objects: segments, hosts, interfaces, endpoints. */
#include "sim_internal.h"

#include <assert.h>
#include <string.h>

#include "base/mem.h"

sim_seg *sim_seg_new(sim_net *net, const char *name) {
  if (sim_grow(net, &net->segs, &net->segs_cap, net->nsegs,
               sizeof(*net->segs)) != 0)
    return NULL;
  sim_seg *seg = weft_calloc(net->mem, 1, sizeof(*seg));
  if (seg == NULL)
    return NULL;
  seg->name = sim_strdup(net, name);
  if (seg->name == NULL) {
    weft_free(net->mem, seg);
    return NULL;
  }
  net->segs[net->nsegs++] = seg;
  return seg;
}

sim_host *sim_host_new(sim_net *net, const char *name) {
  if (sim_grow(net, &net->hosts, &net->hosts_cap, net->nhosts,
               sizeof(*net->hosts)) != 0)
    return NULL;
  sim_host *h = weft_calloc(net->mem, 1, sizeof(*h));
  if (h == NULL)
    return NULL;
  h->node.kind = NODE_HOST;
  h->node.net = net;
  h->node.id = (uint32_t)(net->nhosts + net->nnats);
  h->node.name = sim_strdup(net, name);
  if (h->node.name == NULL) {
    weft_free(net->mem, h);
    return NULL;
  }
  net->hosts[net->nhosts++] = h;
  return h;
}

const char *sim_host_name(const sim_host *host) {
  return host->node.name;
}

sim_iface *sim_iface_new(sim_net *net, sim_node *node, sim_seg *seg,
                         const sim_link_config *link) {
  if (sim_grow(net, &net->ifaces, &net->ifaces_cap, net->nifaces,
               sizeof(*net->ifaces)) != 0 ||
      sim_grow(net, &seg->ifaces, &seg->cap, seg->nifaces,
               sizeof(*seg->ifaces)) != 0)
    return NULL;
  sim_iface *f = weft_calloc(net->mem, 1, sizeof(*f));
  if (f == NULL)
    return NULL;
  f->net = net;
  f->node = node;
  f->seg = seg;
  f->id = (uint32_t)net->nifaces;
  sim_iface_set_link(f, link);
  sim_link_init(f, net->s.seed);
  net->ifaces[net->nifaces++] = f;
  seg->ifaces[seg->nifaces++] = f;
  return f;
}

sim_iface *sim_host_attach(sim_host *host, sim_seg *seg,
                           const sim_link_config *link) {
  sim_net *net = host->node.net;
  if (sim_grow(net, &host->ifaces, &host->cap, host->nifaces,
               sizeof(*host->ifaces)) != 0)
    return NULL;
  sim_iface *f = sim_iface_new(net, &host->node, seg, link);
  if (f != NULL)
    host->ifaces[host->nifaces++] = f;
  return f;
}

int sim_iface_add_addr(sim_iface *iface, const weft_addr *ip) {
  if (iface == NULL || ip == NULL ||
      (weft_addr_family(ip) != AF_INET && weft_addr_family(ip) != AF_INET6))
    return WEFT_ERR_INVALID_ARGUMENT;
  sim_seg *seg = iface->seg;
  for (size_t i = 0; i < seg->nifaces; i++)
    if (sim_iface_has_ip(seg->ifaces[i], ip))
      return WEFT_ERR_EXISTS;
  if (sim_grow(iface->net, &iface->addrs, &iface->addrs_cap, iface->naddrs,
               sizeof(*iface->addrs)) != 0)
    return WEFT_ERR_NOMEM;
  weft_addr a = *ip;
  weft_addr_set_port(&a, 0);
  iface->addrs[iface->naddrs++] = a;
  return 0;
}

int sim_iface_add_addr_str(sim_iface *iface, const char *ip) {
  weft_addr a;
  if (ip == NULL || weft_addr_parse(&a, ip, 0) != 0)
    return WEFT_ERR_INVALID_ARGUMENT;
  return sim_iface_add_addr(iface, &a);
}

int sim_iface_remove_addr(sim_iface *iface, const weft_addr *ip) {
  for (size_t i = 0; i < iface->naddrs; i++) {
    if (weft_addr_equal_ip(&iface->addrs[i], ip)) {
      memmove(&iface->addrs[i], &iface->addrs[i + 1],
              (iface->naddrs - i - 1) * sizeof(*iface->addrs));
      iface->naddrs--;
      return 0;
    }
  }
  return WEFT_ERR_NOT_FOUND;
}

sim_host *sim_host_add(sim_net *net, sim_seg *seg, const char *name,
                       const char *ip, const sim_link_config *link) {
  sim_host *h = sim_host_new(net, name);
  if (h == NULL)
    return NULL;
  sim_iface *f = sim_host_attach(h, seg, link);
  if (f == NULL || sim_iface_add_addr_str(f, ip) != 0)
    return NULL; /* the half-made host stays owned by net */
  return h;
}

void sim_iface_set_link(sim_iface *iface, const sim_link_config *link) {
  if (link != NULL)
    iface->cfg = *link;
  else
    memset(&iface->cfg, 0, sizeof(iface->cfg));
}

const sim_link_config *sim_iface_link(const sim_iface *iface) {
  return &iface->cfg;
}

const sim_link_counters *sim_iface_counters(const sim_iface *iface, int dir) {
  return &iface->dir[dir == SIM_DOWN ? SIM_DOWN : SIM_UP].c;
}

sim_iface *sim_host_iface(const sim_host *host, size_t i) {
  return i < host->nifaces ? host->ifaces[i] : NULL;
}

int sim_host_addr(const sim_host *host, int family, size_t i, weft_addr *out) {
  for (size_t k = 0; k < host->nifaces; k++) {
    const sim_iface *f = host->ifaces[k];
    for (size_t j = 0; j < f->naddrs; j++) {
      if (family != AF_UNSPEC && weft_addr_family(&f->addrs[j]) != family)
        continue;
      if (i-- == 0) {
        *out = f->addrs[j];
        return 0;
      }
    }
  }
  return WEFT_ERR_NOT_FOUND;
}

weft_addr sim_addr(const char *ip, uint16_t port) {
  weft_addr a;
  int rv = weft_addr_parse(&a, ip, port);
  assert(rv == 0);
  (void)rv;
  return a;
}

/* ---- endpoints ----------------------------------------------------------- */

sim_endpoint *sim_endpoint_add(sim_host *host, uint16_t port,
                               const sim_endpoint_ops *ops, void *user_data) {
  if (host == NULL || ops == NULL)
    return NULL;
  sim_net *net = host->node.net;
  for (size_t i = 0; i < net->neps; i++)
    if (net->eps[i]->host == host && net->eps[i]->port == port)
      return NULL;
  if (sim_grow(net, &net->eps, &net->eps_cap, net->neps, sizeof(*net->eps)))
    return NULL;
  sim_endpoint *ep = weft_calloc(net->mem, 1, sizeof(*ep));
  if (ep == NULL)
    return NULL;
  ep->net = net;
  ep->host = host;
  ep->port = port;
  ep->ops = *ops;
  ep->user_data = user_data;
  net->eps[net->neps++] = ep;
  return ep;
}

void sim_endpoint_del(sim_endpoint *ep) {
  if (ep == NULL)
    return;
  sim_net *net = ep->net;
  for (size_t i = 0; i < net->neps; i++) {
    if (net->eps[i] == ep) {
      memmove(&net->eps[i], &net->eps[i + 1],
              (net->neps - i - 1) * sizeof(*net->eps));
      net->neps--;
      break;
    }
  }
  weft_free(net->mem, ep);
}

sim_host *sim_endpoint_host(const sim_endpoint *ep) {
  return ep->host;
}

int sim_endpoint_send(sim_endpoint *ep, const weft_addr *from,
                      const weft_addr *to, const uint8_t *data, size_t len) {
  if (ep == NULL || to == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  weft_addr src;
  if (from == NULL || weft_addr_family(from) == AF_UNSPEC) {
    if (sim_host_addr(ep->host, weft_addr_family(to), 0, &src) != 0)
      return WEFT_ERR_INVALID_ARGUMENT;
    weft_addr_set_port(&src, ep->port);
    from = &src;
  }
  return sim_host_send(ep->host, from, to, data, len);
}

void sim_endpoint_drain(sim_endpoint *ep) {
  sim_net *net = ep->net;
  if (ep->ops.drain != NULL) {
    ep->ops.drain(ep->user_data, ep, net->now);
    return;
  }
  if (ep->ops.poll_transmit == NULL)
    return;
  for (size_t i = 0; i < net->s.drain_max; i++) {
    weft_addr from, to;
    memset(&from, 0, sizeof(from));
    memset(&to, 0, sizeof(to));
    int n = ep->ops.poll_transmit(ep->user_data, net->now, &from, &to,
                                  net->scratch, SIM_MAX_DATAGRAM);
    if (n <= 0)
      break;
    sim_endpoint_send(ep, &from, &to, net->scratch, (size_t)n);
  }
}

void sim_drain_all(sim_net *net) {
  for (size_t i = 0; i < net->neps; i++)
    sim_endpoint_drain(net->eps[i]);
}
