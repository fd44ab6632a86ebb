/**
 * @file loop.h
 * The I/O layer: a libuv event loop that owns UDP sockets, timers and DNS
 * look-ups, and drives any number of sans-IO objects (ICE agents, later
 * DTLS, SCTP, peer connections) from one thread.
 *
 * The driver knows an object only through a small table of its five verbs
 * (weft_loop_obj_ops). After every input (a datagram, a timer, or an API
 * call announced with weft_loop_obj_kick) it drains the object: it sends
 * every datagram of poll_transmit from the socket whose local address
 * matches, hands every event of poll_event to the application's callback,
 * then re-arms the object's one timer to its deadline.
 *
 * Time: weft_loop_now() (uv_hrtime, monotonic nanoseconds) is the only
 * clock the driven objects ever see.
 *
 * Memory: nothing is allocated per datagram. The loop holds one receive
 * buffer (large enough for a recvmmsg batch), one transmit buffer and one
 * event buffer, shared by all its sockets and objects. A driven object costs
 * one weft_loop_obj (a uv_timer_t and a few pointers); a socket one
 * weft_loop_sock (a uv_udp_t and its address).
 *
 * Threading: a weft_loop and everything created from it are used from the
 * thread that runs the loop, only.
 *
 * Example: one ICE agent gathering on every interface (error checks left
 * out; tools/weft/cmd_ice.c is the complete program):
 * @code
 *   weft_loop *l;
 *   weft_loop_new(&l, NULL, NULL);
 *   weft_loop_sock *socks[8];
 *   size_t n;
 *   weft_loop_udp_open_interfaces(l, 0, NULL, 0, socks, 8, &n);
 *   weft_loop_obj *o;
 *   weft_loop_obj_new(l, &o, weft_loop_ice_ops(), agent, &app_callbacks, app);
 *   for (size_t i = 0; i < n; i++) {
 *     weft_loop_obj_attach(o, socks[i]);
 *     weft_ice_agent_add_local_host_candidate(agent, weft_loop_now(l),
 *                                             weft_loop_udp_local(socks[i]));
 *   }
 *   weft_ice_agent_gather(agent, weft_loop_now(l));
 *   weft_loop_obj_kick(o); // API calls changed the agent: drain it
 *   weft_loop_run(l);      // events arrive in app_callbacks.on_event
 *   weft_loop_obj_del(o);
 *   weft_ice_agent_del(agent);
 *   weft_loop_del(l);
 * @endcode
 */
#ifndef WEFT_LOOP_H
#define WEFT_LOOP_H

#include "weft/weft.h"

#ifdef __cplusplus
extern "C" {
#endif

struct uv_loop_s;

/** The I/O loop (opaque). */
typedef struct weft_loop weft_loop;
/** A UDP socket of a loop (opaque). */
typedef struct weft_loop_sock weft_loop_sock;
/** A sans-IO object registered with a loop (opaque). */
typedef struct weft_loop_obj weft_loop_obj;

/* ------------------------------------------------------------------------ */
/* The loop                                                                 */
/* ------------------------------------------------------------------------ */

/** Most datagrams one recvmmsg call reads (libuv's own limit). */
#define WEFT_LOOP_MAX_RECVMMSG 20
/** Largest event a driven object may produce (weft_loop_obj_ops). */
#define WEFT_LOOP_MAX_EVENT_SIZE 4096
/** Largest datagram the driver asks poll_transmit for. */
#define WEFT_LOOP_MAX_DATAGRAM 65535

/**
 * Loop settings. Fill with weft_loop_settings_default, then change fields;
 * weft_loop_new copies them.
 */
typedef struct weft_loop_settings {
  weft_log log;
  /** Run on this libuv loop (the caller's; it must outlive the weft_loop).
   * NULL (default): the weft_loop creates and owns its own. */
  struct uv_loop_s *uv;
  /** Datagrams per recvmmsg call, 1..WEFT_LOOP_MAX_RECVMMSG (default 20);
   * 0 or 1: plain recvmsg. Costs 64 KiB of (mostly untouched) receive
   * buffer per datagram, once per loop. Ignored where libuv has no
   * recvmmsg. */
  unsigned recvmmsg;
  /** SO_RCVBUF / SO_SNDBUF of new sockets in bytes; 0 (default): the
   * system's. */
  int sock_rcvbuf;
  int sock_sndbuf;
} weft_loop_settings;

/** Fills @p s with the defaults described in weft_loop_settings. */
WEFT_EXTERN void weft_loop_settings_default(weft_loop_settings *s);

/**
 * Creates a loop. Copies @p settings (NULL: defaults).
 * @param mem allocator (NULL: libc); must outlive the loop.
 * Returns 0 or one of: WEFT_ERR_INVALID_ARGUMENT, WEFT_ERR_NOMEM,
 * WEFT_ERR_IO (libuv could not create its loop).
 */
WEFT_EXTERN int weft_loop_new(weft_loop **pl,
                              const weft_loop_settings *settings,
                              const weft_mem *mem);

/**
 * Closes every socket, timer and pending DNS look-up of the loop (objects'
 * callbacks are no longer called) and frees it. NULL is fine.
 *
 * Own libuv loop: runs it until every handle is closed, then closes it;
 * must not be called from inside a callback of this loop (call
 * weft_loop_stop there and delete after weft_loop_run returns).
 * Caller's libuv loop: closes the handles and returns at once; the memory
 * is freed from the last close callback while the caller keeps running its
 * loop. Every weft_loop_sock and weft_loop_obj pointer is invalid after.
 */
WEFT_EXTERN void weft_loop_del(weft_loop *l);

/** Runs the loop until weft_loop_stop or until nothing is left to do
 * (uv_run UV_RUN_DEFAULT). Returns 0, or WEFT_ERR_INVALID_STATE when the
 * loop is already running. */
WEFT_EXTERN int weft_loop_run(weft_loop *l);

/**
 * One iteration (uv_run UV_RUN_ONCE, or UV_RUN_NOWAIT when @p nowait):
 * waits for and handles at least one event unless @p nowait. Returns 1 when
 * more work is pending, 0 when the loop has nothing left to do, or
 * WEFT_ERR_INVALID_STATE when called from inside the loop.
 */
WEFT_EXTERN int weft_loop_run_once(weft_loop *l, int nowait);

/** Makes weft_loop_run return after the current iteration (callable from
 * any callback of the loop). */
WEFT_EXTERN void weft_loop_stop(weft_loop *l);

/** The libuv loop (to add the application's own handles: stdin, TCP...). */
WEFT_EXTERN struct uv_loop_s *weft_loop_uv(weft_loop *l);

/** Now, in monotonic nanoseconds (uv_hrtime): the clock of every object the
 * loop drives. */
WEFT_EXTERN weft_tstamp weft_loop_now(const weft_loop *l);

/** The loop's log settings (never NULL). */
WEFT_EXTERN const weft_log *weft_loop_log(const weft_loop *l);

/** Counters of a loop; they only grow. */
typedef struct weft_loop_stats {
  uint64_t rx_datagrams;
  uint64_t rx_bytes;
  uint64_t rx_truncated; /**< longer than the receive buffer: dropped */
  uint64_t rx_errors;    /**< socket read errors */
  uint64_t rx_unrouted;  /**< no object and no callback took the datagram */
  uint64_t tx_datagrams;
  uint64_t tx_bytes;
  uint64_t tx_errors;    /**< send failed or would block: dropped */
  uint64_t tx_no_socket; /**< no socket has the transmit's local address */
  uint64_t timer_fires;  /**< objects' timers that expired */
  uint64_t drains;       /**< times an object was drained */
} weft_loop_stats;

/** Copies the loop's counters into @p out. */
WEFT_EXTERN void weft_loop_get_stats(const weft_loop *l, weft_loop_stats *out);

/* ------------------------------------------------------------------------ */
/* Network interfaces                                                       */
/* ------------------------------------------------------------------------ */

/** Flags of weft_loop_interfaces. */
enum weft_loop_if_flags {
  /** Only loopback addresses (127.0.0.1, ::1). Default: loopback skipped. */
  WEFT_LOOP_IF_LOOPBACK_ONLY = 1u << 0,
  /** Also loopback addresses along with the others. */
  WEFT_LOOP_IF_LOOPBACK = 1u << 1,
  WEFT_LOOP_IF_NO_IPV4 = 1u << 2,
  WEFT_LOOP_IF_NO_IPV6 = 1u << 3,
  /** Also link-local addresses (169.254/16, fe80::/10), skipped by default.
   */
  WEFT_LOOP_IF_LINK_LOCAL = 1u << 4,
};

/** Longest interface name kept (with its NUL). */
#define WEFT_LOOP_IFNAME_MAX 32

/** One usable address of a network interface. */
typedef struct weft_loop_iface {
  char name[WEFT_LOOP_IFNAME_MAX];
  weft_addr addr; /**< port 0 */
  int loopback;
} weft_loop_iface;

/**
 * Lists the addresses of the interfaces that are up and running
 * (uv_interface_addresses), filtered by @p flags (enum weft_loop_if_flags),
 * skipping interfaces whose name starts with one of @p ignore (a
 * NULL-terminated array of prefixes such as "docker", or NULL). Every IPv4
 * address comes before every IPv6 one, in the system's order otherwise;
 * duplicates are removed.
 * @param out  room for @p max entries.
 * Returns the number written (0..max) or one of: WEFT_ERR_INVALID_ARGUMENT,
 * WEFT_ERR_IO.
 */
WEFT_EXTERN int weft_loop_interfaces(weft_loop_iface *out, size_t max,
                                     unsigned flags, const char *const *ignore);

/* ------------------------------------------------------------------------ */
/* UDP sockets                                                              */
/* ------------------------------------------------------------------------ */

/**
 * What a socket does with a datagram that arrives: called with the sender
 * and the bytes (valid during the call only). Returns the driven object
 * that receives it (its ops->recv, then a drain), or NULL when the callback
 * dealt with the datagram itself (or drops it). This is how one socket
 * serves many objects (a server demultiplexing by 5-tuple or ufrag).
 */
typedef weft_loop_obj *(*weft_loop_recv_fn)(void *user_data, weft_loop_sock *s,
                                            const weft_addr *from,
                                            const uint8_t *data, size_t len);

/** Flags of weft_loop_udp_open. */
enum weft_loop_udp_flags {
  /** SO_REUSEADDR. */
  WEFT_LOOP_UDP_REUSEADDR = 1u << 0,
  /** For an IPv6 wildcard: also accept IPv4 (dual-stack). Default: IPv6
   * sockets are IPv6-only. */
  WEFT_LOOP_UDP_DUALSTACK = 1u << 1,
};

/**
 * Opens a UDP socket bound to @p bind (port 0: an ephemeral port) and starts
 * reading. Its datagrams go nowhere (counted rx_unrouted) until
 * weft_loop_obj_attach or weft_loop_udp_set_recv.
 * @param flags enum weft_loop_udp_flags.
 * Returns 0 or one of: WEFT_ERR_INVALID_ARGUMENT, WEFT_ERR_NOMEM,
 * WEFT_ERR_ADDR_IN_USE, WEFT_ERR_IO (bind or socket error).
 */
WEFT_EXTERN int weft_loop_udp_open(weft_loop *l, const weft_addr *bind,
                                   unsigned flags, weft_loop_sock **ps);

/**
 * Opens one socket on each address of weft_loop_interfaces(@p flags,
 * @p ignore), all with port @p port (0: each its own ephemeral port).
 * Addresses that cannot be bound are skipped (logged).
 * @param out  room for @p max sockets; *@p n gets the number opened.
 * Returns 0 (even when no socket was opened) or one of:
 * WEFT_ERR_INVALID_ARGUMENT, WEFT_ERR_NOMEM, WEFT_ERR_IO.
 */
WEFT_EXTERN int weft_loop_udp_open_interfaces(weft_loop *l, unsigned flags,
                                              const char *const *ignore,
                                              uint16_t port,
                                              weft_loop_sock **out, size_t max,
                                              size_t *n);

/**
 * Closes a socket (and frees it once libuv has). NULL is fine. A socket
 * attached to an object is closed with the object: closing it before is
 * allowed and detaches it.
 */
WEFT_EXTERN void weft_loop_udp_close(weft_loop_sock *s);

/** The bound address (with the real port). */
WEFT_EXTERN const weft_addr *weft_loop_udp_local(const weft_loop_sock *s);

/**
 * Gives the socket's datagrams to @p fn (see weft_loop_recv_fn) instead of
 * an attached object. Such a socket is shared: any driven object may send
 * from it (its transmits whose local address match). @p fn NULL: back to
 * unrouted.
 */
WEFT_EXTERN void weft_loop_udp_set_recv(weft_loop_sock *s, weft_loop_recv_fn fn,
                                        void *user_data);

/**
 * Sends one datagram now (non-blocking: dropped and counted when the socket
 * buffer is full). Returns 0 or one of: WEFT_ERR_INVALID_ARGUMENT,
 * WEFT_ERR_IO.
 */
WEFT_EXTERN int weft_loop_udp_send(weft_loop_sock *s, const weft_addr *to,
                                   const uint8_t *data, size_t len);

/** Whether reads use recvmmsg (1) or one recvmsg per datagram (0). */
WEFT_EXTERN int weft_loop_udp_uses_recvmmsg(const weft_loop_sock *s);

/* ------------------------------------------------------------------------ */
/* DNS                                                                      */
/* ------------------------------------------------------------------------ */

/** Most addresses a look-up reports. */
#define WEFT_LOOP_RESOLVE_MAX 8

/**
 * The answer of weft_loop_resolve: @p status 0 with 1..WEFT_LOOP_RESOLVE_MAX
 * addresses (valid during the call only), or WEFT_ERR_RESOLVE with none.
 * Not called once the loop is being deleted.
 */
typedef void (*weft_loop_resolve_fn)(void *user_data, int status,
                                     const weft_addr *addrs, size_t naddrs);

/**
 * Resolves @p host (a name or a numeric address) for UDP on @p port
 * (uv_getaddrinfo, on libuv's thread pool); @p cb is called from the loop.
 * @param family AF_INET, AF_INET6 or AF_UNSPEC (both).
 * Returns 0 (the callback will come) or one of: WEFT_ERR_INVALID_ARGUMENT,
 * WEFT_ERR_NOMEM, WEFT_ERR_RESOLVE (refused at once).
 */
WEFT_EXTERN int weft_loop_resolve(weft_loop *l, const char *host, uint16_t port,
                                  int family, weft_loop_resolve_fn cb,
                                  void *user_data);

/**
 * Splits "host", "host:port", "1.2.3.4:port", "[v6]" or "[v6]:port" into a
 * host (brackets removed, NUL-terminated) and a port (@p default_port when
 * absent). A bare IPv6 address ("::1") is taken whole as the host.
 * Returns 0 or one of: WEFT_ERR_INVALID_ARGUMENT, WEFT_ERR_ADDR_PARSE,
 * WEFT_ERR_BUFFER_TOO_SMALL.
 */
WEFT_EXTERN int weft_loop_split_host_port(const char *text, char *host,
                                          size_t hostlen, uint16_t *port,
                                          uint16_t default_port);

/* ------------------------------------------------------------------------ */
/* Driven sans-IO objects                                                   */
/* ------------------------------------------------------------------------ */

/**
 * The five verbs of a sans-IO object (STYLE.md), with @p obj the object.
 * The table must outlive every weft_loop_obj that uses it (make it static
 * const). @c poll_transmit is given a buffer of WEFT_LOOP_MAX_DATAGRAM
 * bytes; @c poll_event a buffer of @c event_size bytes (at most
 * WEFT_LOOP_MAX_EVENT_SIZE, aligned for any type).
 */
typedef struct weft_loop_obj_ops {
  /** A datagram arrived on the socket with address @p local. Returns >= 0;
   * a value > 0 means "application data, not mine": the driver then hands
   * the datagram to the on_data callback. Negative: logged, dropped. */
  int (*recv)(void *obj, weft_tstamp now, const weft_addr *local,
              const weft_addr *from, const uint8_t *data, size_t len);
  /** Returns the length of the datagram written to @p buf, 0 when none. */
  int (*poll_transmit)(void *obj, weft_tstamp now, weft_addr *local,
                       weft_addr *to, uint8_t *buf, size_t buflen);
  /** Returns 1 with an event in @p ev, 0 when none. */
  int (*poll_event)(void *obj, void *ev);
  /** Next timeout, WEFT_TSTAMP_NONE when none. */
  weft_tstamp (*deadline)(void *obj);
  /** Runs what is due at @p now. */
  int (*handle_timeout)(void *obj, weft_tstamp now);
  /** Size of one event (sizeof the object's event struct). */
  size_t event_size;
} weft_loop_obj_ops;

/**
 * The application's side of a driven object. Both may call any API of the
 * loop, including weft_loop_obj_kick and weft_loop_obj_del on this or any
 * other object; a kick from inside a callback is queued and done when the
 * callback returns.
 */
typedef struct weft_loop_obj_callbacks {
  /** An event from poll_event; @p ev is valid during the call only. NULL:
   * events are drained and dropped. */
  void (*on_event)(weft_loop_obj *o, void *user_data, const void *ev);
  /** A datagram ops->recv called application data (valid during the call
   * only). NULL: dropped. */
  void (*on_data)(weft_loop_obj *o, void *user_data, const weft_addr *local,
                  const weft_addr *from, const uint8_t *data, size_t len);
} weft_loop_obj_callbacks;

/**
 * Registers the sans-IO object @p obj (not owned: the caller frees it after
 * weft_loop_obj_del) and drains it once (it may already have transmits).
 * @param ops  its verbs; kept, must outlive the registration.
 * @param cb   the application's callbacks; kept, must outlive it (NULL: none).
 * @param user_data  passed to the callbacks.
 * Returns 0 or one of: WEFT_ERR_INVALID_ARGUMENT (NULL ops/obj or a missing
 * verb, event_size 0 or too large), WEFT_ERR_NOMEM,
 * WEFT_ERR_INVALID_STATE (the loop is being deleted).
 */
WEFT_EXTERN int weft_loop_obj_new(weft_loop *l, weft_loop_obj **po,
                                  const weft_loop_obj_ops *ops, void *obj,
                                  const weft_loop_obj_callbacks *cb,
                                  void *user_data);

/**
 * Unregisters: stops its timer, closes the sockets attached to it; the
 * driver never calls into @p obj again (the caller may free it right after).
 * Allowed from inside the object's own callbacks. NULL is fine.
 */
WEFT_EXTERN void weft_loop_obj_del(weft_loop_obj *o);

/**
 * Attaches socket @p s to object @p o: the socket's datagrams go to
 * ops->recv (with local = the socket's address), the object's transmits
 * leave from it when their local address matches, and the object owns it
 * (closed with it). A socket belongs to one object; attaching replaces a
 * receive callback. Returns 0 or WEFT_ERR_INVALID_ARGUMENT,
 * WEFT_ERR_EXISTS (attached to another object).
 */
WEFT_EXTERN int weft_loop_obj_attach(weft_loop_obj *o, weft_loop_sock *s);

/**
 * Tells the driver the application changed the object through its API
 * (added a candidate, queued data, closed it): drain it and re-arm its
 * timer. From inside a callback the drain is queued until it returns.
 */
WEFT_EXTERN void weft_loop_obj_kick(weft_loop_obj *o);

/** The object given to weft_loop_obj_new. */
WEFT_EXTERN void *weft_loop_obj_get(const weft_loop_obj *o);

/** The loop of @p o. */
WEFT_EXTERN weft_loop *weft_loop_obj_loop(const weft_loop_obj *o);

/** The deadline the object's timer is armed to (WEFT_TSTAMP_NONE: none). */
WEFT_EXTERN weft_tstamp weft_loop_obj_armed(const weft_loop_obj *o);

/* ------------------------------------------------------------------------ */
/* Ready-made verb tables                                                   */
/* ------------------------------------------------------------------------ */

/**
 * The verbs of a weft_ice_agent (weft/ice.h) for weft_loop_obj_new: @c obj
 * is the agent, events are weft_ice_event, and datagrams the agent calls
 * application data (WEFT_ICE_RECV_APP_DATA) go to the on_data callback.
 * Static, never NULL.
 */
WEFT_EXTERN const weft_loop_obj_ops *weft_loop_ice_ops(void);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_LOOP_H */
