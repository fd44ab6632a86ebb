/**
 * @file sim.h
 * A deterministic simulated network for tests and benchmarks (weft_sim).
 *
 * One `sim_net` holds a virtual clock, seeded randomness, network segments,
 * hosts, NATs and the datagrams in flight. Nothing here reads a clock,
 * opens a socket or starts a thread: the same seed and the same calls give
 * the same run, bit for bit (see sim_trace_hash()).
 *
 * ## Model
 * - A **segment** (`sim_seg`) is one IP network: "the internet" or a LAN.
 *   Routing inside a segment is by destination IP (ports are the business of
 *   the receiving node). A packet whose destination IP is on no interface of
 *   the segment goes to the segment's **gateway** (the inside of a NAT), or is
 *   dropped ("no route") when the segment has none.
 * - A **node** is a host (`sim_host`) or a NAT (`sim_nat`). A node joins a
 *   segment through an **interface** (`sim_iface`) that carries one or more
 *   IPv4/IPv6 addresses and one **link** with parameters per direction:
 *   `up` (node -> segment) and `down` (segment -> node). A packet from host A
 *   to host B on one segment crosses A's uplink then B's downlink. A host may
 *   have several interfaces (for instance a NATed LAN address for IPv4 and a
 *   public IPv6 address directly on the internet).
 * - A **link direction** models, in this order: MTU (larger packets dropped),
 *   drop-tail queue (`queue_bytes`, bytes not yet serialized), serialization
 *   at `bandwidth_bps`, random loss, propagation `delay` plus uniform
 *   `jitter`, duplication and reordering. Without reordering a link is FIFO:
 *   jitter never makes a packet overtake an earlier one (as on a real wire).
 * - A **NAT** (RFC 4787) has an outside interface with one public address on
 *   an outer segment and an inside interface (with a gateway address) on the
 *   LAN it serves. NATs nest (a NAT's outside may be another NAT's LAN).
 *
 * ## Delivery
 * A datagram that reaches a host is given to an **endpoint** registered on
 * that host for its destination port (or for any port), or, when there is
 * none, queued in the host's bounded **inbox** to be read with
 * sim_poll_delivery(). Endpoints are the usual way to drive sans-IO objects:
 * the simulator calls `recv` then drains the object (its `poll_transmit`)
 * and fires `handle_timeout` when the object's `deadline` comes, the
 * str0m/picoquic "drain until timeout" pattern.
 *
 * ## Time
 * sim_step() jumps the clock to the earliest pending event (a datagram
 * arriving at the end of a link, or an endpoint deadline) and handles that
 * one event. sim_advance() handles every event up to a time;
 * sim_run_until() runs until a predicate holds, bounded by virtual time and
 * by a step count. Events at the same instant run in a fixed order: network
 * events first (in the order they were scheduled), then endpoint deadlines
 * (in registration order).
 *
 * ## Memory
 * Topology objects are allocated when created, through the `weft_mem` given
 * to sim_new(), and freed by sim_del(). Packets in flight and in inboxes
 * are bounded by `sim_settings.max_packets`; beyond it new packets are
 * dropped and counted (`sim_counters.dropped_no_buffer`), never queued.
 *
 * ## Example: two sans-IO objects behind NATs
 * @code
 *   sim_net *net;
 *   sim_new(&net, NULL, NULL);                 // seed 1
 *   sim_nat_config nat;
 *   sim_nat_config_default(&nat, SIM_NAT_SYMMETRIC);
 *   sim_link_dir d = {.delay = 20 * WEFT_MILLISECONDS, .loss = 0.01};
 *   sim_link_config wan;
 *   sim_link_config_symmetric(&wan, &d);
 *   sim_topo t;
 *   sim_topo_nat(&t, net, &nat, NULL, NULL, &wan); // a NATed, b public
 *   // my_deadline/my_timeout/my_recv/my_poll_transmit wrap weft_X_* verbs
 *   sim_endpoint_ops ops = {my_deadline, my_timeout, my_recv,
 *                           my_poll_transmit, NULL};
 *   sim_endpoint *ea = sim_endpoint_add(t.a, 5000, &ops, obj_a);
 *   sim_endpoint_add(t.b, 6000, &ops, obj_b);
 *   start(obj_a);                              // an API call queued output
 *   sim_endpoint_drain(ea);
 *   int rv = sim_run_until(net, 30 * WEFT_SECONDS, connected, obj_a, 0);
 *   // rv == 1: connected within 30 s of virtual time
 *   sim_del(net);
 * @endcode
 *
 * Threading: none; a `sim_net` and everything in it is used from one thread.
 * Callbacks (endpoint, trace) may call sim_send()/sim_endpoint_send() and read
 * counters, but must not create or delete topology objects or call
 * sim_step()/sim_advance()/sim_run_until().
 */
#ifndef WEFT_TESTS_SIM_H
#define WEFT_TESTS_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "weft/weft.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest datagram the simulator carries (bytes). */
#define SIM_MAX_DATAGRAM 65535

typedef struct sim_net sim_net;
typedef struct sim_seg sim_seg;
typedef struct sim_host sim_host;
typedef struct sim_nat sim_nat;
typedef struct sim_iface sim_iface;
typedef struct sim_endpoint sim_endpoint;

/* ------------------------------------------------------------------------ */
/* Simulator                                                                */
/* ------------------------------------------------------------------------ */

/** Settings of a simulator, copied by sim_new(). */
typedef struct sim_settings {
  /** Seed of every random choice (loss, jitter, NAT ports, ...). */
  uint64_t seed;
  /** Virtual time at start (default 0; some code dislikes time 0). */
  weft_tstamp start;
  /** Packets that may exist at once: in flight plus in inboxes (>= 1). */
  size_t max_packets;
  /** Datagrams an inbox holds before it drops (per host, >= 1). */
  size_t inbox_max;
  /** Datagrams pulled from one endpoint per drain before it stops. */
  size_t drain_max;
  /**
   * Steps one sim_advance() may take before it gives up with WEFT_ERR_LIMIT
   * (an endpoint whose deadline never moves would otherwise loop forever).
   */
  uint64_t max_steps;
} sim_settings;

/**
 * Fills defaults: seed 1, start 0, max_packets 262144, inbox_max 4096,
 * drain_max 1024, max_steps 100000000.
 */
void sim_settings_default(sim_settings *s);

/** Counters of the whole simulator (links and NATs have their own). */
typedef struct sim_counters {
  uint64_t sent;                /**< datagrams accepted for sending */
  uint64_t delivered;           /**< datagrams handed to an endpoint/inbox */
  uint64_t dropped_no_route;    /**< no interface nor gateway for the IP */
  uint64_t dropped_no_buffer;   /**< max_packets reached */
  uint64_t dropped_inbox;       /**< a host's inbox was full */
  uint64_t dropped_no_listener; /**< sent to a NAT's inside address */
} sim_counters;

/**
 * Creates an empty simulator at virtual time `settings->start`.
 * @param out receives the simulator (set to NULL on failure).
 * @param settings copied; NULL for sim_settings_default().
 * @param mem allocator, NULL for libc; must outlive the simulator.
 * @return 0, WEFT_ERR_INVALID_ARGUMENT or WEFT_ERR_NOMEM.
 */
int sim_new(sim_net **out, const sim_settings *settings, const weft_mem *mem);

/** Frees the simulator and every segment, host, NAT, endpoint and packet. */
void sim_del(sim_net *net);

/** The current virtual time. */
weft_tstamp sim_now(const sim_net *net);

/**
 * The time of the earliest pending event: a datagram reaching the end of a
 * link, or an endpoint deadline (a deadline in the past counts as now).
 * WEFT_TSTAMP_NONE when nothing is pending.
 */
weft_tstamp sim_next_event_time(sim_net *net);

/**
 * Handles exactly one event: moves the clock to sim_next_event_time() (never
 * backwards) and either moves one datagram one hop (and delivers it when it
 * reaches a host) or fires one endpoint's handle_timeout (then drains it).
 * @return 1 when an event was handled, 0 when nothing is pending.
 */
int sim_step(sim_net *net);

/**
 * Handles every event due at or before @p t, in time order, then sets the
 * clock to @p t (if later than now).
 * @return 0, or WEFT_ERR_LIMIT after `settings.max_steps` steps (the clock
 * is then left at the last event handled).
 */
int sim_advance(sim_net *net, weft_tstamp t);

/** Same as sim_advance(net, sim_now(net) + d). */
int sim_advance_by(sim_net *net, weft_tstamp d);

/**
 * A condition for sim_run_until(), evaluated before every step: nonzero
 * stops the run.
 */
typedef int (*sim_pred_fn)(sim_net *net, void *user_data);

/**
 * Steps until @p pred holds, the next event lies after @p deadline, or
 * @p max_steps steps were taken. When it stops at the deadline the clock is
 * set to @p deadline.
 * @param pred NULL to run until the deadline.
 * @param deadline absolute virtual time (WEFT_TSTAMP_NONE: until quiet).
 * @param max_steps 0 means no limit but `settings.max_steps`.
 * @return 1 when @p pred held, 0 when the deadline (or quiet) was reached
 * without it, WEFT_ERR_LIMIT when the step budget ran out first.
 */
int sim_run_until(sim_net *net, weft_tstamp deadline, sim_pred_fn pred,
                  void *user_data, uint64_t max_steps);

/** The simulator's counters (valid until sim_del()). */
const sim_counters *sim_get_counters(const sim_net *net);

/**
 * A 64-bit running hash of every delivery so far (time, host, from, to,
 * bytes): equal for equal runs, different (almost surely) otherwise.
 */
uint64_t sim_trace_hash(const sim_net *net);

/**
 * A seeded generator for the code under test, derived from the simulator's
 * seed and @p stream (each stream differs): use it to make the objects you
 * drive deterministic too (weft_rand_from_pcg()).
 */
void sim_derive_pcg(const sim_net *net, uint64_t stream, weft_pcg *out);

/** What happened to a datagram, for the trace callback. */
enum sim_trace_kind {
  SIM_TRACE_SEND = 0,       /**< accepted by sim_send() */
  SIM_TRACE_DELIVER,        /**< handed to an endpoint or an inbox */
  SIM_TRACE_DROP_LOSS,      /**< random loss on a link */
  SIM_TRACE_DROP_QUEUE,     /**< link queue full (drop-tail) */
  SIM_TRACE_DROP_MTU,       /**< larger than the link's MTU */
  SIM_TRACE_DROP_NO_ROUTE,  /**< no interface nor gateway for the IP */
  SIM_TRACE_DROP_NO_BUFFER, /**< max_packets reached */
  SIM_TRACE_DROP_INBOX,     /**< the host's inbox was full */
  SIM_TRACE_DROP_NAT,       /**< NAT: no mapping, filtered, no hairpin */
  SIM_TRACE_DUPLICATE,      /**< a link duplicated the datagram */
  SIM_TRACE_NAT_OUT,        /**< NAT translated outbound (from is new) */
  SIM_TRACE_NAT_IN,         /**< NAT translated inbound (to is new) */
};

/** One trace record; pointers valid during the callback only. */
typedef struct sim_trace_event {
  int kind;              /**< enum sim_trace_kind */
  weft_tstamp time;      /**< virtual time of the event */
  const char *where;     /**< name of the host/NAT/segment involved */
  const weft_addr *from; /**< source as seen at this point */
  const weft_addr *to;   /**< destination as seen at this point */
  const uint8_t *data;
  size_t len;
} sim_trace_event;

typedef void (*sim_trace_fn)(void *user_data, const sim_trace_event *ev);

/** Sets (or with NULL clears) a callback told of every datagram event. */
void sim_set_trace(sim_net *net, sim_trace_fn fn, void *user_data);

/** Name of a trace kind ("send", "deliver", "drop-loss", ...). */
const char *sim_trace_kind_name(int kind);

/**
 * A ready trace callback that prints one line per event to the `FILE *`
 * given as @p user_data (NULL: stderr), for debugging a test:
 * `sim_set_trace(net, sim_trace_print, NULL);`. Each line holds the
 * virtual time in seconds, the kind, the node or segment, source ->
 * destination and the length:
 * "   1.020000000 deliver       b        10.0.0.1:1000 -> 10.0.0.2:2000 100".
 */
void sim_trace_print(void *user_data, const sim_trace_event *ev);

/* ------------------------------------------------------------------------ */
/* Links                                                                    */
/* ------------------------------------------------------------------------ */

/** Parameters of one direction of a link. All zero = an ideal link. */
typedef struct sim_link_dir {
  /** Propagation delay added to every packet. */
  weft_tstamp delay;
  /** Extra delay drawn uniformly from [0, jitter] per packet. */
  weft_tstamp jitter;
  /** Probability [0, 1] that a packet is lost (1 = link down). */
  double loss;
  /**
   * Mean length, in packets, of a run of losses (Gilbert model: a lossy
   * state entered and left at random); 0 or 1 = independent losses. The
   * long-run loss rate stays `loss`.
   */
  double loss_burst;
  /** Probability [0, 1] that a delivered packet arrives twice. */
  double duplicate;
  /**
   * Probability [0, 1] that a packet is held back by an extra
   * `reorder_delay` and let be overtaken by later ones.
   */
  double reorder;
  /** Extra delay of a reordered packet; 0 means 1 ms + jitter. */
  weft_tstamp reorder_delay;
  /** Serialization rate in bits/s; 0 = infinitely fast (no queue). */
  uint64_t bandwidth_bps;
  /**
   * Drop-tail limit on the bytes waiting to be serialized (counting the
   * packet on the wire); 0 = unlimited. Needs `bandwidth_bps`.
   */
  size_t queue_bytes;
  /** Largest packet carried (bytes of UDP payload); 0 = no limit. */
  size_t mtu;
} sim_link_dir;

/** A link: `up` is node -> segment, `down` is segment -> node. */
typedef struct sim_link_config {
  sim_link_dir up;
  sim_link_dir down;
} sim_link_config;

/** Counters of one direction of a link. */
typedef struct sim_link_counters {
  uint64_t sent;            /**< packets offered to the link */
  uint64_t delivered;       /**< packets that reached the far end */
  uint64_t bytes_delivered; /**< their payload bytes */
  uint64_t dropped_loss;
  uint64_t dropped_queue;
  uint64_t dropped_mtu;
  uint64_t duplicated; /**< extra copies made (counted in delivered too) */
  uint64_t reordered;  /**< packets held back to be overtaken */
} sim_link_counters;

/** Link direction selector. */
enum sim_dir { SIM_UP = 0, SIM_DOWN = 1 };

/** Sets both directions of @p cfg to @p dir (NULL: ideal). */
void sim_link_config_symmetric(sim_link_config *cfg, const sim_link_dir *dir);

/* ------------------------------------------------------------------------ */
/* Segments, hosts, interfaces                                              */
/* ------------------------------------------------------------------------ */

/**
 * Creates a segment named @p name (copied; for traces). Owned by @p net.
 * @return the segment, or NULL when out of memory.
 */
sim_seg *sim_seg_new(sim_net *net, const char *name);

/**
 * Creates a host with no interface yet. Owned by @p net.
 * @return the host, or NULL when out of memory.
 */
sim_host *sim_host_new(sim_net *net, const char *name);

/**
 * Connects @p host to @p seg through a new interface and link.
 * @param link NULL for an ideal link; copied.
 * @return the interface, or NULL when out of memory.
 */
sim_iface *sim_host_attach(sim_host *host, sim_seg *seg,
                           const sim_link_config *link);

/**
 * Adds an IP address to an interface (port ignored). An IP may appear once
 * per segment.
 * @return 0, WEFT_ERR_INVALID_ARGUMENT (unset address), WEFT_ERR_EXISTS (IP
 * already on the segment) or WEFT_ERR_NOMEM.
 */
int sim_iface_add_addr(sim_iface *iface, const weft_addr *ip);

/** sim_iface_add_addr() from text ("10.0.0.2", "2001:db8::2"). */
int sim_iface_add_addr_str(sim_iface *iface, const char *ip);

/**
 * Removes an IP address from an interface (a network change); datagrams in
 * flight to it are dropped on arrival ("no route").
 * @return 0 or WEFT_ERR_NOT_FOUND.
 */
int sim_iface_remove_addr(sim_iface *iface, const weft_addr *ip);

/**
 * Convenience: a host attached to @p seg with one address @p ip (text).
 * @return the host, or NULL (bad address, duplicate IP, no memory).
 */
sim_host *sim_host_add(sim_net *net, sim_seg *seg, const char *name,
                       const char *ip, const sim_link_config *link);

/** Replaces an interface's link parameters (takes effect for new packets). */
void sim_iface_set_link(sim_iface *iface, const sim_link_config *link);

/** The interface's current link parameters. */
const sim_link_config *sim_iface_link(const sim_iface *iface);

/** Counters of one direction (enum sim_dir) of an interface's link. */
const sim_link_counters *sim_iface_counters(const sim_iface *iface, int dir);

/**
 * Bytes waiting to be serialized on one direction of an interface's link at
 * the current time (the queue the `queue_bytes` limit applies to); 0 on a
 * link without `bandwidth_bps`.
 */
size_t sim_iface_queued_bytes(const sim_iface *iface, int dir);

/** The host's @p i-th interface in attach order, or NULL. */
sim_iface *sim_host_iface(const sim_host *host, size_t i);

/**
 * The host's @p i-th address (over all its interfaces, in the order added) of
 * family @p family (AF_INET, AF_INET6, or AF_UNSPEC for any), port 0.
 * @return 0 or WEFT_ERR_NOT_FOUND.
 */
int sim_host_addr(const sim_host *host, int family, size_t i, weft_addr *out);

/** The host's name. */
const char *sim_host_name(const sim_host *host);

/* ------------------------------------------------------------------------ */
/* Sending and receiving                                                    */
/* ------------------------------------------------------------------------ */

/**
 * Sends a datagram from @p host at the current virtual time. @p from selects
 * the interface: its IP must be one of the host's addresses (its port is
 * the source port). The data are copied.
 * @return 0 when accepted (it may still be lost later; see counters),
 * WEFT_ERR_INVALID_ARGUMENT (IP not the host's, families differ, len 0 or
 * above SIM_MAX_DATAGRAM). A full packet pool is a counted drop, not an error.
 */
int sim_host_send(sim_host *host, const weft_addr *from, const weft_addr *to,
                  const uint8_t *data, size_t len);

/**
 * sim_host_send() from whichever host owns @p from's IP.
 * @return as sim_host_send(), or WEFT_ERR_NOT_FOUND (no host has that IP) or
 * WEFT_ERR_EXISTS (several hosts on different segments have it: use
 * sim_host_send()).
 */
int sim_send(sim_net *net, const weft_addr *from, const weft_addr *to,
             const uint8_t *data, size_t len);

/** A datagram read from an inbox. */
typedef struct sim_dgram {
  sim_host *host;   /**< the receiving host */
  weft_addr from;   /**< source as the receiver sees it (after NATs) */
  weft_addr to;     /**< destination (the receiver's address and port) */
  weft_tstamp time; /**< virtual time of arrival */
  size_t len;       /**< payload length */
} sim_dgram;

/**
 * Takes the oldest datagram from @p host's inbox (NULL: from all hosts, the
 * oldest arrival first). Only datagrams that arrived by now are there.
 * @param d receives the datagram's metadata.
 * @param buf receives the payload (may be NULL when @p buflen is 0).
 * @return the payload length (> 0), 0 when the inbox is empty, or
 * WEFT_ERR_BUFFER_TOO_SMALL (the datagram stays queued; d->len says how
 * much room it needs).
 */
int sim_poll_delivery(sim_net *net, sim_host *host, sim_dgram *d, uint8_t *buf,
                      size_t buflen);

/** Datagrams waiting in @p host's inbox (NULL: in all inboxes). */
size_t sim_inbox_count(const sim_net *net, const sim_host *host);

/* ------------------------------------------------------------------------ */
/* Endpoints: driving sans-IO objects                                       */
/* ------------------------------------------------------------------------ */

/**
 * Callbacks of an object the simulator drives. Any may be NULL. Each gets
 * the `user_data` given to sim_endpoint_add().
 *
 * Transmits are pulled in one of two ways: set `poll_transmit` and the
 * simulator pulls it until it returns 0 (at most `settings.drain_max` per
 * drain), or set `drain` and call sim_endpoint_send() from it yourself.
 * The simulator drains after `recv`, after `handle_timeout` and on
 * sim_endpoint_drain().
 */
typedef struct sim_endpoint_ops {
  /** When handle_timeout is next due; WEFT_TSTAMP_NONE for never. */
  weft_tstamp (*deadline)(void *user_data);
  /** The deadline came (now >= deadline). */
  void (*handle_timeout)(void *user_data, weft_tstamp now);
  /** A datagram arrived for this endpoint. */
  void (*recv)(void *user_data, weft_tstamp now, const weft_addr *from,
               const weft_addr *to, const uint8_t *data, size_t len);
  /**
   * Writes the next datagram into @p buf and its addresses into @p from /
   * @p to. Leave @p from unset (AF_UNSPEC, as given) to send from the
   * host's first address of @p to's family with the endpoint's port (a
   * wildcard endpoint, port 0, should set @p from itself).
   * @return the length written, 0 when nothing is left, negative on error
   * (stops the drain).
   */
  int (*poll_transmit)(void *user_data, weft_tstamp now, weft_addr *from,
                       weft_addr *to, uint8_t *buf, size_t buflen);
  /** Alternative to poll_transmit: send everything with sim_endpoint_send. */
  void (*drain)(void *user_data, sim_endpoint *ep, weft_tstamp now);
} sim_endpoint_ops;

/**
 * Registers an object living on @p host that receives the datagrams for
 * @p port (0: every port not claimed by another endpoint of the host).
 * @param ops copied.
 * @return the endpoint (owned by the simulator), or NULL (no memory, or the
 * port is already claimed on this host).
 */
sim_endpoint *sim_endpoint_add(sim_host *host, uint16_t port,
                               const sim_endpoint_ops *ops, void *user_data);

/** Unregisters and frees @p ep (NULL: nothing). Not from a callback. */
void sim_endpoint_del(sim_endpoint *ep);

/** Drains @p ep now: call after an API call that may have queued output. */
void sim_endpoint_drain(sim_endpoint *ep);

/** Drains every endpoint, in registration order. */
void sim_drain_all(sim_net *net);

/**
 * Sends from the endpoint's host (see sim_host_send()); a @p from with no
 * family means the host's first address of @p to's family and the
 * endpoint's port.
 */
int sim_endpoint_send(sim_endpoint *ep, const weft_addr *from,
                      const weft_addr *to, const uint8_t *data, size_t len);

/** The endpoint's host. */
sim_host *sim_endpoint_host(const sim_endpoint *ep);

/* ------------------------------------------------------------------------ */
/* NATs (RFC 4787)                                                          */
/* ------------------------------------------------------------------------ */

/**
 * Mapping behaviour (RFC 4787 section 4.1): which outbound packets of one
 * internal endpoint X:x share an external port.
 */
enum sim_nat_mapping {
  SIM_NAT_MAP_EI = 0, /**< endpoint-independent: one mapping per X:x */
  SIM_NAT_MAP_AD,     /**< address-dependent: one per X:x and remote IP */
  SIM_NAT_MAP_APD,    /**< address-and-port-dependent: per remote IP:port */
};

/**
 * Filtering behaviour (RFC 4787 section 5): which inbound packets to a
 * mapping pass. Permissions belong to the mapping (for EIM that is exactly
 * the internal endpoint, as in the RFC).
 */
enum sim_nat_filtering {
  SIM_NAT_FILTER_EI = 0, /**< endpoint-independent: anyone */
  SIM_NAT_FILTER_AD,     /**< only IPs the mapping has sent to */
  SIM_NAT_FILTER_APD,    /**< only IP:ports the mapping has sent to */
};

/** External port assignment (RFC 4787 section 4.2.1). */
enum sim_nat_ports {
  SIM_NAT_PORT_PRESERVE = 0, /**< keep x when free, else random */
  SIM_NAT_PORT_RANDOM,       /**< seeded random in [port_min, port_max] */
  SIM_NAT_PORT_SEQUENTIAL,   /**< next free from port_min upwards */
};

/** Common NAT kinds (the classic RFC 3489 names). */
enum sim_nat_kind {
  SIM_NAT_FULL_CONE = 0,   /**< EIM + EIF */
  SIM_NAT_RESTRICTED_CONE, /**< EIM + ADF */
  SIM_NAT_PORT_RESTRICTED, /**< EIM + APDF */
  SIM_NAT_SYMMETRIC,       /**< APDM + APDF */
};

/** NAT behaviour, copied by sim_nat_new(). */
typedef struct sim_nat_config {
  int mapping;   /**< enum sim_nat_mapping */
  int filtering; /**< enum sim_nat_filtering */
  int ports;     /**< enum sim_nat_ports */
  /** Idle time after which a mapping (and its permissions) expires. */
  weft_tstamp mapping_timeout;
  /** Whether inbound packets refresh the mapping (RFC 4787 REQ-6 MAY). */
  int inbound_refresh;
  /**
   * Whether inside hosts reach each other via the public address (RFC 4787
   * REQ-9). A hairpinned packet comes from the sender's external address
   * and meets the receiving mapping's filtering like any inbound packet.
   */
  int hairpin;
  /** Mappings held at once (>= 1); when full, new flows are dropped. */
  size_t max_mappings;
  /** Remote endpoints remembered per mapping for filtering (>= 1). */
  size_t max_permissions;
  /** External port range (default 1024..65535). */
  uint16_t port_min;
  uint16_t port_max;
} sim_nat_config;

/**
 * Defaults: @p kind's mapping/filtering, port preservation, 120 s mapping
 * timeout, no inbound refresh, hairpinning on, 4096 mappings, 64
 * permissions per mapping, ports 1024..65535.
 */
void sim_nat_config_default(sim_nat_config *cfg, int kind);

/** NAT counters. */
typedef struct sim_nat_counters {
  uint64_t translated_out; /**< outbound packets translated */
  uint64_t translated_in;  /**< inbound packets passed */
  uint64_t mappings_created;
  uint64_t mappings_expired;
  uint64_t dropped_no_mapping; /**< inbound to a port with no mapping */
  uint64_t dropped_filtered;   /**< inbound refused by filtering */
  uint64_t dropped_table_full; /**< outbound, no room for a mapping */
  uint64_t dropped_hairpin;    /**< inside to public address, hairpin off */
  uint64_t hairpinned;
} sim_nat_counters;

/**
 * Creates a NAT between @p outside (where it owns @p public_ip) and
 * @p inside (where it owns @p inside_ip and becomes the segment's gateway;
 * one gateway per segment). The NAT translates the family of @p public_ip
 * only; other packets to the gateway are dropped (no route).
 * @param cfg NULL for sim_nat_config_default(SIM_NAT_PORT_RESTRICTED).
 * @param wan link between the NAT and @p outside (NULL: ideal).
 * @return the NAT (owned by @p net), or NULL (bad address, duplicate IP,
 * segment already has a gateway, no memory).
 */
sim_nat *sim_nat_new(sim_net *net, const char *name, const sim_nat_config *cfg,
                     sim_seg *outside, const char *public_ip,
                     const sim_link_config *wan, sim_seg *inside,
                     const char *inside_ip);

/** The NAT's outside interface (public address, WAN link). */
sim_iface *sim_nat_outside(const sim_nat *nat);

/** The NAT's inside interface (gateway address, ideal link by default). */
sim_iface *sim_nat_inside(const sim_nat *nat);

/** The NAT's public address (port 0). */
void sim_nat_public_addr(const sim_nat *nat, weft_addr *out);

/** The NAT's counters. */
const sim_nat_counters *sim_nat_get_counters(const sim_nat *nat);

/** Live (unexpired at the current time) mappings. */
size_t sim_nat_mapping_count(const sim_nat *nat);

/**
 * The external address a packet from @p internal to @p remote would use now,
 * if a live mapping exists (no mapping is created, nothing is refreshed).
 * @return 0 (and @p external set) or WEFT_ERR_NOT_FOUND.
 */
int sim_nat_lookup(const sim_nat *nat, const weft_addr *internal,
                   const weft_addr *remote, weft_addr *external);

/** Forgets every mapping (a NAT reboot). */
void sim_nat_flush(sim_nat *nat);

/* ------------------------------------------------------------------------ */
/* Topologies                                                               */
/* ------------------------------------------------------------------------ */

/**
 * Handles on a ready-made topology. Peers are `a` and `b`; `server` is a
 * public host on the internet (for STUN/TURN servers), NULL in the LAN
 * topology.
 */
typedef struct sim_topo {
  sim_net *net;
  sim_seg *internet; /**< the public segment (the LAN in topo_lan) */
  sim_seg *lan[2];   /**< private LAN of a / b, NULL when public */
  sim_nat *nat[2];   /**< NAT of a / b, NULL when public */
  sim_host *a, *b, *server;
  weft_addr a_ip, b_ip, server_ip; /**< the hosts' own IPs, port 0 */
  /** IPv6 addresses after sim_topo_add_ipv6(), else AF_UNSPEC */
  weft_addr a_ip6, b_ip6, server_ip6;
} sim_topo;

/**
 * Two hosts on one LAN segment: a = 10.0.0.1, b = 10.0.0.2, each through
 * @p link (NULL: ideal).
 * @return 0 or WEFT_ERR_NOMEM.
 */
int sim_topo_lan(sim_topo *t, sim_net *net, const sim_link_config *link);

/**
 * Two hosts, each behind its own NAT, with the internet between them, and a
 * public server host:
 *  - a = 10.0.1.2 on LAN 10.0.1.0/24 behind NAT A (inside 10.0.1.1, public
 *    203.0.113.1), or when @p nat_a is NULL a public host 203.0.113.2;
 *  - b = 10.0.2.2 on LAN 10.0.2.0/24 behind NAT B (inside 10.0.2.1, public
 *    198.51.100.1), or when @p nat_b is NULL a public host 198.51.100.2;
 *  - server = 192.0.2.1 on the internet.
 * @param nat_a / nat_b NAT behaviour, NULL for no NAT.
 * @param lan link between a NATed host and its LAN (NULL: ideal).
 * @param wan link between a NAT, a public peer or the server and the
 * internet (NULL: ideal).
 * A NAT's inside interface has an ideal link; change it with
 * sim_iface_set_link(sim_nat_inside(t->nat[i]), ...).
 * @return 0, WEFT_ERR_INVALID_ARGUMENT (a bad NAT config) or
 * WEFT_ERR_NOMEM.
 */
int sim_topo_nat(sim_topo *t, sim_net *net, const sim_nat_config *nat_a,
                 const sim_nat_config *nat_b, const sim_link_config *lan,
                 const sim_link_config *wan);

/**
 * Both peers behind one NAT on one LAN (for hairpinning): a = 10.0.1.2 and
 * b = 10.0.1.3 on LAN 10.0.1.0/24 behind NAT A (inside 10.0.1.1, public
 * 203.0.113.1); server = 192.0.2.1. `lan[0]` and `nat[0]` are set, `lan[1]`
 * and `nat[1]` are NULL.
 * @param nat NAT behaviour (NULL: port-restricted cone).
 * @return 0, WEFT_ERR_INVALID_ARGUMENT or WEFT_ERR_NOMEM.
 */
int sim_topo_same_nat(sim_topo *t, sim_net *net, const sim_nat_config *nat,
                      const sim_link_config *lan, const sim_link_config *wan);

/**
 * Makes a topology dual-stack: gives `a`, `b` and `server` (when present) a
 * second interface with a public IPv6 address directly on `internet`
 * (IPv6 without NAT, as ISPs deploy it): a = 2001:db8:a::2,
 * b = 2001:db8:b::2, server = 2001:db8::1, each through @p link.
 * The addresses are stored in `a_ip6`, `b_ip6`, `server_ip6`.
 * @return 0, WEFT_ERR_EXISTS (already done) or WEFT_ERR_NOMEM.
 */
int sim_topo_add_ipv6(sim_topo *t, const sim_link_config *link);

/** An address from numeric text @p ip and @p port; asserts on bad text. */
weft_addr sim_addr(const char *ip, uint16_t port);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_TESTS_SIM_H */
