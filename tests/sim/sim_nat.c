/* NAT behaviour of RFC 4787: mapping, filtering, port assignment, mapping
 * timeout, hairpinning. */
#include "sim_internal.h"

#include <string.h>

#include "base/mem.h"

void sim_nat_config_default(sim_nat_config *cfg, int kind) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->mapping = SIM_NAT_MAP_EI;
  switch (kind) {
  case SIM_NAT_FULL_CONE:
    cfg->filtering = SIM_NAT_FILTER_EI;
    break;
  case SIM_NAT_RESTRICTED_CONE:
    cfg->filtering = SIM_NAT_FILTER_AD;
    break;
  case SIM_NAT_SYMMETRIC:
    cfg->mapping = SIM_NAT_MAP_APD;
    cfg->filtering = SIM_NAT_FILTER_APD;
    break;
  default:
    cfg->filtering = SIM_NAT_FILTER_APD;
    break;
  }
  cfg->ports = SIM_NAT_PORT_PRESERVE;
  cfg->mapping_timeout = 120 * WEFT_SECONDS;
  cfg->inbound_refresh = 0;
  cfg->hairpin = 1;
  cfg->max_mappings = 4096;
  cfg->max_permissions = 64;
  cfg->port_min = 1024;
  cfg->port_max = 65535;
}

void sim_nat_free(sim_net *net, sim_nat *nat) {
  for (size_t i = 0; nat->maps != NULL && i < nat->cfg.max_mappings; i++)
    weft_free(net->mem, nat->maps[i].perms);
  weft_free(net->mem, nat->maps);
  weft_free(net->mem, nat->node.name);
  weft_free(net->mem, nat);
}

int sim_nat_config_valid(const sim_nat_config *c) {
  return c->mapping >= SIM_NAT_MAP_EI && c->mapping <= SIM_NAT_MAP_APD &&
         c->filtering >= SIM_NAT_FILTER_EI &&
         c->filtering <= SIM_NAT_FILTER_APD && c->max_mappings > 0 &&
         c->max_permissions > 0 && c->port_min > 0 &&
         c->port_min <= c->port_max && c->mapping_timeout > 0;
}

static sim_nat *nat_alloc(sim_net *net, const char *name,
                          const sim_nat_config *cfg) {
  if (sim_grow(net, &net->nats, &net->nats_cap, net->nnats,
               sizeof(*net->nats)) != 0)
    return NULL;
  sim_nat *nat = weft_calloc(net->mem, 1, sizeof(*nat));
  if (nat == NULL)
    return NULL;
  nat->cfg = *cfg;
  nat->node.kind = NODE_NAT;
  nat->node.net = net;
  nat->node.id = (uint32_t)(net->nhosts + net->nnats);
  nat->node.name = sim_strdup(net, name);
  nat->maps = weft_calloc(net->mem, cfg->max_mappings, sizeof(*nat->maps));
  if (nat->node.name == NULL || nat->maps == NULL) {
    sim_nat_free(net, nat);
    return NULL;
  }
  nat->next_port = cfg->port_min;
  sim_derive_pcg(net, 0x4e4154000000ull + net->nnats, &nat->pcg);
  net->nats[net->nnats++] = nat;
  return nat;
}

sim_nat *sim_nat_new(sim_net *net, const char *name, const sim_nat_config *cfg,
                     sim_seg *outside, const char *public_ip,
                     const sim_link_config *wan, sim_seg *inside,
                     const char *inside_ip) {
  sim_nat_config def;
  if (cfg == NULL) {
    sim_nat_config_default(&def, SIM_NAT_PORT_RESTRICTED);
    cfg = &def;
  }
  weft_addr pub, in;
  if (!sim_nat_config_valid(cfg) || outside == NULL || inside == NULL ||
      outside == inside || inside->gateway != NULL || public_ip == NULL ||
      inside_ip == NULL || weft_addr_parse(&pub, public_ip, 0) != 0 ||
      weft_addr_parse(&in, inside_ip, 0) != 0)
    return NULL;
  sim_nat *nat = nat_alloc(net, name, cfg);
  if (nat == NULL)
    return NULL;
  nat->out = sim_iface_new(net, &nat->node, outside, wan);
  if (nat->out == NULL || sim_iface_add_addr(nat->out, &pub) != 0)
    return NULL; /* the half-made NAT stays owned by net */
  nat->in = sim_iface_new(net, &nat->node, inside, NULL);
  if (nat->in == NULL || sim_iface_add_addr(nat->in, &in) != 0)
    return NULL;
  nat->public_ip = pub;
  weft_addr_set_port(&nat->public_ip, 0);
  inside->gateway = nat->in;
  return nat;
}

sim_iface *sim_nat_outside(const sim_nat *nat) {
  return nat->out;
}

sim_iface *sim_nat_inside(const sim_nat *nat) {
  return nat->in;
}

void sim_nat_public_addr(const sim_nat *nat, weft_addr *out) {
  *out = nat->public_ip;
}

const sim_nat_counters *sim_nat_get_counters(const sim_nat *nat) {
  return &nat->c;
}

/* ---- mapping table ------------------------------------------------------- */

static int expired(const sim_nat *nat, weft_tstamp last, weft_tstamp now) {
  return now >= last && now - last >= nat->cfg.mapping_timeout;
}

static int map_live(const sim_nat *nat, const nat_map *m) {
  return m->used && !expired(nat, m->last, nat->node.net->now);
}

/* Expires a dead mapping (lazily, when met). */
static void reap(sim_nat *nat, nat_map *m) {
  if (m->used && !map_live(nat, m)) {
    m->used = 0;
    nat->c.mappings_expired++;
  }
}

static int key_match(const sim_nat *nat, const nat_map *m,
                     const weft_addr *internal, const weft_addr *remote) {
  if (!weft_addr_equal(&m->internal, internal))
    return 0;
  switch (nat->cfg.mapping) {
  case SIM_NAT_MAP_EI:
    return 1;
  case SIM_NAT_MAP_AD:
    return weft_addr_equal_ip(&m->remote, remote);
  default:
    return weft_addr_equal(&m->remote, remote);
  }
}

static nat_map *find_out(sim_nat *nat, const weft_addr *internal,
                         const weft_addr *remote) {
  for (size_t i = 0; i < nat->hiwater; i++) {
    nat_map *m = &nat->maps[i];
    reap(nat, m);
    if (m->used && key_match(nat, m, internal, remote))
      return m;
  }
  return NULL;
}

static nat_map *find_in(sim_nat *nat, uint16_t ext_port) {
  for (size_t i = 0; i < nat->hiwater; i++) {
    nat_map *m = &nat->maps[i];
    reap(nat, m);
    if (m->used && m->ext_port == ext_port)
      return m;
  }
  return NULL;
}

static int port_free(sim_nat *nat, uint32_t port) {
  return port >= nat->cfg.port_min && port <= nat->cfg.port_max &&
         find_in(nat, (uint16_t)port) == NULL;
}

static uint32_t pick_port(sim_nat *nat, uint16_t internal_port) {
  uint32_t lo = nat->cfg.port_min, range = nat->cfg.port_max - lo + 1u;
  if (nat->cfg.ports == SIM_NAT_PORT_PRESERVE && port_free(nat, internal_port))
    return internal_port;
  uint32_t start;
  if (nat->cfg.ports == SIM_NAT_PORT_SEQUENTIAL) {
    start = nat->next_port - lo;
  } else {
    for (int tries = 0; tries < 16; tries++) {
      uint32_t p = lo + weft_pcg_bounded(&nat->pcg, range);
      if (port_free(nat, p))
        return p;
    }
    start = weft_pcg_bounded(&nat->pcg, range);
  }
  for (uint32_t k = 0; k < range; k++) {
    uint32_t p = lo + (start + k) % range;
    if (port_free(nat, p)) {
      nat->next_port = p + 1 > nat->cfg.port_max ? lo : p + 1;
      return p;
    }
  }
  return 0;
}

static nat_map *free_slot(sim_nat *nat) {
  for (size_t i = 0; i < nat->hiwater; i++) {
    reap(nat, &nat->maps[i]);
    if (!nat->maps[i].used)
      return &nat->maps[i];
  }
  if (nat->hiwater < nat->cfg.max_mappings)
    return &nat->maps[nat->hiwater++];
  return NULL;
}

static nat_map *create_map(sim_nat *nat, const weft_addr *internal,
                           const weft_addr *remote) {
  nat_map *m = free_slot(nat);
  if (m == NULL)
    return NULL;
  uint32_t port = pick_port(nat, weft_addr_port(internal));
  if (port == 0)
    return NULL;
  m->used = 1;
  m->internal = *internal;
  m->remote = *remote;
  m->ext_port = (uint16_t)port;
  m->last = nat->node.net->now;
  m->nperms = 0;
  nat->c.mappings_created++;
  return m;
}

/* ---- filtering permissions ----------------------------------------------- */

/* Records that the mapping sent to @p remote (refreshes or adds; when full,
 * replaces the least recently used). */
static void permit(sim_nat *nat, nat_map *m, const weft_addr *remote) {
  weft_tstamp now = nat->node.net->now;
  nat_perm *oldest = NULL;
  for (size_t i = 0; i < m->nperms; i++) {
    if (weft_addr_equal(&m->perms[i].remote, remote)) {
      m->perms[i].last = now;
      return;
    }
    if (oldest == NULL || m->perms[i].last < oldest->last)
      oldest = &m->perms[i];
  }
  if (m->nperms < nat->cfg.max_permissions &&
      sim_grow(nat->node.net, &m->perms, &m->perms_cap, m->nperms,
               sizeof(*m->perms)) == 0)
    oldest = &m->perms[m->nperms++];
  if (oldest == NULL)
    return;
  oldest->remote = *remote;
  oldest->last = now;
}

/* The permission letting @p remote in through @p m, or NULL. */
static nat_perm *permitted(sim_nat *nat, nat_map *m, const weft_addr *remote) {
  weft_tstamp now = nat->node.net->now;
  for (size_t i = 0; i < m->nperms; i++) {
    nat_perm *p = &m->perms[i];
    if (expired(nat, p->last, now))
      continue;
    if (nat->cfg.filtering == SIM_NAT_FILTER_AD
            ? weft_addr_equal_ip(&p->remote, remote)
            : weft_addr_equal(&p->remote, remote))
      return p;
  }
  return NULL;
}

/* ---- translation --------------------------------------------------------- */

static void nat_drop(sim_nat *nat, uint64_t *counter, sim_pkt *p) {
  (*counter)++;
  sim_emit(nat->node.net, SIM_TRACE_DROP_NAT, nat->node.name, p);
  sim_pkt_free(nat->node.net, p);
}

/* Outbound translation of p->from; NULL (packet dropped) on failure. */
static nat_map *translate_out(sim_nat *nat, sim_pkt *p) {
  nat_map *m = find_out(nat, &p->from, &p->to);
  if (m == NULL)
    m = create_map(nat, &p->from, &p->to);
  if (m == NULL) {
    nat_drop(nat, &nat->c.dropped_table_full, p);
    return NULL;
  }
  m->last = nat->node.net->now;
  permit(nat, m, &p->to);
  p->from = nat->public_ip;
  weft_addr_set_port(&p->from, m->ext_port);
  nat->c.translated_out++;
  sim_emit(nat->node.net, SIM_TRACE_NAT_OUT, nat->node.name, p);
  return m;
}

/* Inbound: p->to is the public address; sends it into the LAN or drops. */
static void inbound(sim_nat *nat, sim_pkt *p) {
  nat_map *m = find_in(nat, weft_addr_port(&p->to));
  if (m == NULL) {
    nat_drop(nat, &nat->c.dropped_no_mapping, p);
    return;
  }
  nat_perm *perm = NULL;
  if (nat->cfg.filtering != SIM_NAT_FILTER_EI) {
    perm = permitted(nat, m, &p->from);
    if (perm == NULL) {
      nat_drop(nat, &nat->c.dropped_filtered, p);
      return;
    }
  }
  if (nat->cfg.inbound_refresh) {
    m->last = nat->node.net->now;
    if (perm != NULL)
      perm->last = m->last;
  }
  p->to = m->internal;
  nat->c.translated_in++;
  sim_emit(nat->node.net, SIM_TRACE_NAT_IN, nat->node.name, p);
  sim_link_send(nat->in, SIM_UP, p);
}

static void outbound(sim_nat *nat, sim_pkt *p) {
  sim_net *net = nat->node.net;
  if (weft_addr_family(&p->to) != weft_addr_family(&nat->public_ip)) {
    net->c.dropped_no_route++;
    sim_emit(net, SIM_TRACE_DROP_NO_ROUTE, nat->node.name, p);
    sim_pkt_free(net, p);
    return;
  }
  int hairpin = weft_addr_equal_ip(&p->to, &nat->public_ip);
  if (hairpin && !nat->cfg.hairpin) {
    nat_drop(nat, &nat->c.dropped_hairpin, p);
    return;
  }
  if (translate_out(nat, p) == NULL)
    return;
  if (hairpin) {
    nat->c.hairpinned++;
    inbound(nat, p);
    return;
  }
  sim_link_send(nat->out, SIM_UP, p);
}

void sim_nat_arrive(sim_nat *nat, sim_iface *iface, sim_pkt *p) {
  sim_net *net = nat->node.net;
  if (sim_iface_has_ip(iface, &p->to)) {
    /* to the NAT itself: public address from outside is inbound traffic;
     * anything else (its LAN address, hairpin handled below) has no
     * listener */
    if (iface == nat->out) {
      inbound(nat, p);
      return;
    }
    net->c.dropped_no_listener++;
    sim_emit(net, SIM_TRACE_DROP_NO_ROUTE, nat->node.name, p);
    sim_pkt_free(net, p);
    return;
  }
  if (iface == nat->in) {
    outbound(nat, p);
    return;
  }
  /* on the outside, to an IP the NAT does not own: not routed */
  net->c.dropped_no_route++;
  sim_emit(net, SIM_TRACE_DROP_NO_ROUTE, nat->node.name, p);
  sim_pkt_free(net, p);
}

/* ---- inspection ---------------------------------------------------------- */

size_t sim_nat_mapping_count(const sim_nat *nat) {
  size_t n = 0;
  for (size_t i = 0; i < nat->hiwater; i++)
    n += map_live(nat, &nat->maps[i]) != 0;
  return n;
}

int sim_nat_lookup(const sim_nat *nat, const weft_addr *internal,
                   const weft_addr *remote, weft_addr *external) {
  for (size_t i = 0; i < nat->hiwater; i++) {
    const nat_map *m = &nat->maps[i];
    if (map_live(nat, m) && key_match(nat, m, internal, remote)) {
      *external = nat->public_ip;
      weft_addr_set_port(external, m->ext_port);
      return 0;
    }
  }
  return WEFT_ERR_NOT_FOUND;
}

void sim_nat_flush(sim_nat *nat) {
  for (size_t i = 0; i < nat->hiwater; i++)
    nat->maps[i].used = 0;
  nat->hiwater = 0;
}
