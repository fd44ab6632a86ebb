/* Internal structures of the simulated network, shared by its sources. */
#ifndef WEFT_TESTS_SIM_INTERNAL_H
#define WEFT_TESTS_SIM_INTERNAL_H

#include "sim.h"

#define SIM_PKT_CLASSES 3

enum node_kind { NODE_HOST = 1, NODE_NAT = 2 };

/* A host or a NAT: the part common to both. */
typedef struct sim_node {
  int kind;
  char *name;
  sim_net *net;
  uint32_t id;
} sim_node;

/* Mutable state of one direction of a link. */
typedef struct link_state {
  weft_tstamp busy_until;   /* end of serialization of the last packet */
  weft_tstamp last_arrival; /* FIFO: no in-order packet arrives earlier */
  weft_pcg pcg;
  int lossy; /* Gilbert model: in the loss state */
  sim_link_counters c;
} link_state;

struct sim_iface {
  sim_net *net;
  sim_node *node;
  sim_seg *seg;
  sim_link_config cfg;
  link_state dir[2];
  weft_addr *addrs; /* IPs, port 0 */
  size_t naddrs, addrs_cap;
  uint32_t id;
};

struct sim_seg {
  char *name;
  sim_iface **ifaces;
  size_t nifaces, cap;
  sim_iface *gateway; /* a NAT's inside interface, or NULL */
};

/* A datagram; it travels hop by hop as the same object. */
typedef struct sim_pkt {
  weft_tstamp time; /* event: arrival at the far end of iface/dir */
  uint64_t seq;     /* tie-break at equal times; inbox order */
  sim_iface *iface;
  int dir;
  weft_addr from, to;
  struct sim_pkt *next; /* inbox or free list */
  size_t len, cap;
  uint8_t *data; /* points just after the struct */
} sim_pkt;

struct sim_host {
  sim_node node;
  sim_iface **ifaces;
  size_t nifaces, cap;
  sim_pkt *inbox_head, *inbox_tail;
  size_t inbox_count;
};

struct sim_endpoint {
  sim_net *net;
  sim_host *host;
  uint16_t port;
  sim_endpoint_ops ops;
  void *user_data;
};

typedef struct nat_perm {
  weft_addr remote;
  weft_tstamp last;
} nat_perm;

typedef struct nat_map {
  int used;
  weft_addr internal; /* X:x */
  weft_addr remote;   /* Y:y the mapping was made for (key for AD/APD) */
  uint16_t ext_port;
  weft_tstamp last;
  nat_perm *perms;
  size_t nperms, perms_cap;
} nat_map;

struct sim_nat {
  sim_node node;
  sim_nat_config cfg;
  sim_iface *out, *in;
  weft_addr public_ip;
  nat_map *maps;
  size_t hiwater; /* slots [0, hiwater) may be used */
  uint32_t next_port;
  weft_pcg pcg;
  sim_nat_counters c;
};

struct sim_net {
  const weft_mem *mem;
  sim_settings s;
  weft_tstamp now;
  uint64_t seq;
  sim_counters c;
  uint64_t hash;
  sim_trace_fn trace;
  void *trace_ud;
  /* event heap of packets in flight, capacity s.max_packets */
  sim_pkt **heap;
  size_t nheap;
  size_t npkts; /* alive packets (heap + inboxes) */
  sim_pkt *free_pkts[SIM_PKT_CLASSES];
  /* topology, owned */
  sim_seg **segs;
  size_t nsegs, segs_cap;
  sim_host **hosts;
  size_t nhosts, hosts_cap;
  sim_nat **nats;
  size_t nnats, nats_cap;
  sim_iface **ifaces;
  size_t nifaces, ifaces_cap;
  sim_endpoint **eps;
  size_t neps, eps_cap;
  uint8_t *scratch; /* SIM_MAX_DATAGRAM bytes for draining */
};

/* sim.c */
int sim_grow(sim_net *net, void *arrayp, size_t *cap, size_t n, size_t elem);
char *sim_strdup(sim_net *net, const char *s);
void sim_emit(sim_net *net, int kind, const char *where, const sim_pkt *p);
void sim_pkt_free(sim_net *net, sim_pkt *p);
sim_pkt *sim_pkt_clone(sim_net *net, const sim_pkt *p);
void sim_schedule(sim_net *net, sim_pkt *p, sim_iface *iface, int dir,
                  weft_tstamp t);
const char *sim_node_name(const sim_node *n);
sim_pkt *sim_heap_pop(sim_net *net);

/* sim_link.c: puts @p p on the link of @p iface in direction @p dir (it
 * is scheduled, or dropped and freed). */
void sim_link_send(sim_iface *iface, int dir, sim_pkt *p);
void sim_link_init(sim_iface *iface, uint64_t seed);

/* sim_nat.c: a packet reached the NAT through @p iface. */
void sim_nat_arrive(sim_nat *nat, sim_iface *iface, sim_pkt *p);
void sim_nat_free(sim_net *net, sim_nat *nat);
int sim_nat_config_valid(const sim_nat_config *c);

/* sim_topo.c / sim.c */
sim_iface *sim_iface_new(sim_net *net, sim_node *node, sim_seg *seg,
                         const sim_link_config *link);
int sim_iface_has_ip(const sim_iface *iface, const weft_addr *ip);

#endif
