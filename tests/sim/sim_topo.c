/* Ready-made topologies for tests. */
#include "sim_internal.h"

#include <string.h>

int sim_topo_lan(sim_topo *t, sim_net *net, const sim_link_config *link) {
  memset(t, 0, sizeof(*t));
  t->net = net;
  t->internet = sim_seg_new(net, "lan");
  if (t->internet == NULL)
    return WEFT_ERR_NOMEM;
  t->a = sim_host_add(net, t->internet, "a", "10.0.0.1", link);
  t->b = sim_host_add(net, t->internet, "b", "10.0.0.2", link);
  if (t->a == NULL || t->b == NULL)
    return WEFT_ERR_NOMEM;
  t->a_ip = sim_addr("10.0.0.1", 0);
  t->b_ip = sim_addr("10.0.0.2", 0);
  return 0;
}

typedef struct side_spec {
  const char *lan_name, *nat_name, *host_name;
  const char *public_ip, *inside_ip, *host_ip, *public_host_ip;
} side_spec;

static const side_spec sides[2] = {
    {"lan-a", "nat-a", "a", "203.0.113.1", "10.0.1.1", "10.0.1.2",
     "203.0.113.2"},
    {"lan-b", "nat-b", "b", "198.51.100.1", "10.0.2.1", "10.0.2.2",
     "198.51.100.2"},
};

static int build_side(sim_topo *t, int i, const sim_nat_config *nat,
                      const sim_link_config *lan, const sim_link_config *wan,
                      sim_host **host, weft_addr *ip) {
  const side_spec *s = &sides[i];
  if (nat == NULL) {
    *host =
        sim_host_add(t->net, t->internet, s->host_name, s->public_host_ip, wan);
    *ip = sim_addr(s->public_host_ip, 0);
    return *host == NULL ? WEFT_ERR_NOMEM : 0;
  }
  if (!sim_nat_config_valid(nat))
    return WEFT_ERR_INVALID_ARGUMENT;
  t->lan[i] = sim_seg_new(t->net, s->lan_name);
  if (t->lan[i] == NULL)
    return WEFT_ERR_NOMEM;
  t->nat[i] = sim_nat_new(t->net, s->nat_name, nat, t->internet, s->public_ip,
                          wan, t->lan[i], s->inside_ip);
  if (t->nat[i] == NULL)
    return WEFT_ERR_NOMEM;
  *host = sim_host_add(t->net, t->lan[i], s->host_name, s->host_ip, lan);
  *ip = sim_addr(s->host_ip, 0);
  return *host == NULL ? WEFT_ERR_NOMEM : 0;
}

int sim_topo_nat(sim_topo *t, sim_net *net, const sim_nat_config *nat_a,
                 const sim_nat_config *nat_b, const sim_link_config *lan,
                 const sim_link_config *wan) {
  memset(t, 0, sizeof(*t));
  t->net = net;
  t->internet = sim_seg_new(net, "internet");
  if (t->internet == NULL)
    return WEFT_ERR_NOMEM;
  int rv = build_side(t, 0, nat_a, lan, wan, &t->a, &t->a_ip);
  if (rv == 0)
    rv = build_side(t, 1, nat_b, lan, wan, &t->b, &t->b_ip);
  if (rv != 0)
    return rv;
  t->server = sim_host_add(net, t->internet, "server", "192.0.2.1", wan);
  if (t->server == NULL)
    return WEFT_ERR_NOMEM;
  t->server_ip = sim_addr("192.0.2.1", 0);
  return 0;
}

int sim_topo_same_nat(sim_topo *t, sim_net *net, const sim_nat_config *nat,
                      const sim_link_config *lan, const sim_link_config *wan) {
  memset(t, 0, sizeof(*t));
  t->net = net;
  t->internet = sim_seg_new(net, "internet");
  if (t->internet == NULL)
    return WEFT_ERR_NOMEM;
  sim_nat_config def;
  if (nat == NULL) {
    sim_nat_config_default(&def, SIM_NAT_PORT_RESTRICTED);
    nat = &def;
  }
  int rv = build_side(t, 0, nat, lan, wan, &t->a, &t->a_ip);
  if (rv != 0)
    return rv;
  t->b = sim_host_add(net, t->lan[0], "b", "10.0.1.3", lan);
  t->server = sim_host_add(net, t->internet, "server", "192.0.2.1", wan);
  if (t->b == NULL || t->server == NULL)
    return WEFT_ERR_NOMEM;
  t->b_ip = sim_addr("10.0.1.3", 0);
  t->server_ip = sim_addr("192.0.2.1", 0);
  return 0;
}

static int add_v6(sim_topo *t, sim_host *h, const char *ip,
                  const sim_link_config *link, weft_addr *out) {
  if (h == NULL)
    return 0;
  sim_iface *f = sim_host_attach(h, t->internet, link);
  if (f == NULL)
    return WEFT_ERR_NOMEM;
  int rv = sim_iface_add_addr_str(f, ip);
  if (rv == 0)
    *out = sim_addr(ip, 0);
  return rv;
}

int sim_topo_add_ipv6(sim_topo *t, const sim_link_config *link) {
  if (weft_addr_family(&t->a_ip6) != AF_UNSPEC)
    return WEFT_ERR_EXISTS;
  int rv = add_v6(t, t->a, "2001:db8:a::2", link, &t->a_ip6);
  if (rv == 0)
    rv = add_v6(t, t->b, "2001:db8:b::2", link, &t->b_ip6);
  if (rv == 0)
    rv = add_v6(t, t->server, "2001:db8::1", link, &t->server_ip6);
  return rv;
}
