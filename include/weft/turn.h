/**
 * @file turn.h
 * TURN (RFC 8656, with the IPv6 relays of RFC 6156): a sans-IO server core
 * and a sans-IO client.
 *
 * Both follow weft's five verbs (recv, poll_transmit, poll_event, deadline,
 * handle_timeout): bytes and timestamps go in, datagrams and events come
 * out; no socket, clock or thread inside.
 *
 * Threading: an object is used from one thread at a time.
 */
#ifndef WEFT_TURN_H
#define WEFT_TURN_H

#include "weft/stun.h"
#include "weft/weft.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Client-facing transports (how the client reaches the server). */
enum weft_turn_transport {
  WEFT_TURN_UDP = 0,
  WEFT_TURN_TCP = 1,
  WEFT_TURN_TLS = 2,
};

/** Largest application payload relayed (bytes); larger ones are dropped. */
#define WEFT_TURN_MAX_PAYLOAD 2048
/** Room a transmit buffer needs: payload plus the largest TURN framing. */
#define WEFT_TURN_MAX_FRAME (WEFT_TURN_MAX_PAYLOAD + 64)
/** First and last channel number (RFC 8656 section 12). */
#define WEFT_TURN_CHANNEL_MIN 0x4000
#define WEFT_TURN_CHANNEL_MAX 0x4FFF
/** The server also accepts RFC 5766's wider range, up to 0x7FFF, which
 * older clients (coturn's among them) still pick from. */
#define WEFT_TURN_CHANNEL_MAX_RFC5766 0x7FFF

/* ======================================================================== */
/* Server                                                                   */
/* ======================================================================== */

/**
 * Where a client message came from: the I/O layer's id for the socket (a
 * UDP listener) or stream (one TCP/TLS connection) it arrived on, the
 * transport, the server address the client used, and the client's address.
 * Allocations are keyed by (sock, remote): the I/O layer gives every TCP/TLS
 * connection its own sock id.
 */
typedef struct weft_turn_path {
  uint32_t sock;
  uint8_t transport; /**< enum weft_turn_transport */
  weft_addr local;
  weft_addr remote;
} weft_turn_path;

/** What a transmit is sent through. */
enum weft_turn_tx_kind {
  /** to a client, through the listener or connection `sock` */
  WEFT_TURN_TX_CLIENT = 0,
  /** to a peer, through the relay socket of allocation `sock` (a relay id) */
  WEFT_TURN_TX_RELAY = 1,
};

/**
 * A datagram to send. For WEFT_TURN_TX_CLIENT, `sock`, `transport`,
 * `local` and `remote` are those of the client's path (send from `local`);
 * over TCP/TLS the bytes are already framed (ChannelData padded). For
 * WEFT_TURN_TX_RELAY, `sock` is the relay id, `local` the relayed address
 * (of the family of `remote`) and `remote` the peer.
 */
typedef struct weft_turn_transmit {
  uint8_t kind; /**< enum weft_turn_tx_kind */
  uint8_t transport;
  uint32_t sock;
  weft_addr local;
  weft_addr remote;
} weft_turn_transmit;

/** One long-term credential: user name and password (both copied). */
typedef struct weft_turn_user {
  const char *name;
  const char *password;
} weft_turn_user;

/**
 * The relay-socket hook: called synchronously while handling an Allocate
 * (must not call back into the server). It opens a UDP socket of
 * @p family (AF_INET or AF_INET6) for allocation @p relay_id, writes the
 * relayed transport address to @p relayed and returns 0; or returns
 * WEFT_ERR_UNSUPPORTED (no relay address of that family: 440),
 * WEFT_ERR_LIMIT (no free port: 508) or another error (500).
 * @p even_port set: the client asked for an even port (EVEN-PORT).
 * @p client is the path of the Allocate (an I/O layer serving a wildcard
 * address may relay from the address the client reached it on).
 * Datagrams that later arrive on that socket are given to
 * weft_turn_server_recv_relay() with this @p relay_id.
 */
typedef int (*weft_turn_relay_open_fn)(void *user_data, uint32_t relay_id,
                                       int family, int even_port,
                                       const weft_turn_path *client,
                                       weft_addr *relayed);
/** Closes the relay socket(s) of @p relay_id (called synchronously). */
typedef void (*weft_turn_relay_close_fn)(void *user_data, uint32_t relay_id);

/** A range of peer addresses [lo, hi] (same family, ports ignored). */
typedef struct weft_turn_peer_range {
  weft_addr lo;
  weft_addr hi;
  int allow; /**< 1: allowed (wins over any deny), 0: denied */
} weft_turn_peer_range;

typedef struct weft_turn_server_settings {
  /** REALM (copied). Default "weft". */
  const char *realm;
  /** SOFTWARE of authenticated success responses, NULL for none (copied);
   * never in answers to unauthenticated requests (kept minimal). */
  const char *software;
  /** Static long-term users (array copied; keys precomputed). */
  const weft_turn_user *users;
  size_t nusers;
  /**
   * TURN REST API (coturn's use-auth-secret): user names
   * "expiry-unix-time[:anything]", password
   * base64(HMAC-SHA1(static_auth_secret, username)). Expired names get 401.
   */
  int use_auth_secret;
  const char *static_auth_secret; /**< copied */
  /** Seconds a nonce stays fresh before 438 (600). */
  uint32_t nonce_lifetime_s;
  /** Allocation lifetime when the client asks none / the cap (600, 3600). */
  uint32_t default_lifetime_s;
  uint32_t max_lifetime_s;
  uint32_t permission_lifetime_s; /**< 300 */
  uint32_t channel_lifetime_s;    /**< 600 */
  /** Which relay families the relay_open hook can serve (both 1). */
  int relay_ipv4;
  int relay_ipv6;
  /** Most allocations per user name and in total (0: no limit). */
  uint32_t user_quota;
  uint32_t total_quota;
  /** Most bytes per second relayed per allocation, each way (0: no limit).
   */
  uint64_t max_bps;
  /** Permissions and channels per allocation (32, 64). */
  uint32_t max_permissions;
  uint32_t max_channels;
  /** Peer filter: default denies loopback, private (RFC 1918, fc00::/7),
   * link-local, unspecified, multicast and broadcast peers. */
  int allow_loopback_peers;
  int allow_private_peers;
  const weft_turn_peer_range *peer_ranges; /**< copied */
  size_t npeer_ranges;
  /** Transmit queue (datagrams, default 256). Full: new output dropped. */
  uint32_t tx_queue;
  /** Event queue (default 64). Full: events dropped (counted). */
  uint32_t event_queue;
  /** Relay socket hooks (required). */
  weft_turn_relay_open_fn relay_open;
  weft_turn_relay_close_fn relay_close;
  void *hook_user_data;
  /** Randomness for the nonce key (NULL: weft_rand_default()). */
  const weft_rand *rand;
  weft_log log;
} weft_turn_server_settings;

/** Counters; all only grow except the `*_current` ones. */
typedef struct weft_turn_server_stats {
  uint64_t allocations_current;
  uint64_t allocations_total;
  uint64_t allocations_expired;
  uint64_t permissions_current;
  uint64_t channels_current;
  uint64_t requests;
  uint64_t binding_requests;
  uint64_t auth_challenges; /**< 401 without a credential tried */
  uint64_t auth_failures;   /**< wrong user, password or expired name */
  uint64_t stale_nonces;
  uint64_t quota_rejections;    /**< 486 */
  uint64_t capacity_rejections; /**< 508 */
  uint64_t error_responses;
  uint64_t denied_peers; /**< 403 and dropped sends to denied peers */
  uint64_t no_permission_drops;
  uint64_t rate_limited_drops;
  uint64_t bad_input;           /**< malformed or unexpected datagrams */
  uint64_t no_allocation_drops; /**< data for no allocation */
  uint64_t oversized_drops;
  uint64_t tx_queue_drops;
  uint64_t events_dropped;
  uint64_t rx_client_packets, rx_client_bytes; /**< payload client->peer */
  uint64_t tx_peer_packets, tx_peer_bytes;
  uint64_t rx_peer_packets, rx_peer_bytes; /**< payload peer->client */
  uint64_t tx_client_packets, tx_client_bytes;
} weft_turn_server_stats;

enum weft_turn_server_event_type {
  WEFT_TURN_SERVER_EV_ALLOCATED = 1,
  WEFT_TURN_SERVER_EV_DEALLOCATED = 2,
};

typedef struct weft_turn_server_event {
  int type; /**< enum weft_turn_server_event_type */
  uint32_t relay_id;
  weft_turn_path path; /**< the client's 5-tuple */
  char username[128];  /**< truncated */
  int expired;         /**< DEALLOCATED: 1 by expiry, 0 by request or close */
} weft_turn_server_event;

typedef struct weft_turn_server weft_turn_server;

/** Fills the defaults (see each field). */
WEFT_EXTERN void
weft_turn_server_settings_default(weft_turn_server_settings *s);

/**
 * Creates a server. @p settings are copied. @p mem NULL: libc.
 * Returns 0 or one of: WEFT_ERR_INVALID_ARGUMENT (missing hooks, bad
 * ranges, empty user name), WEFT_ERR_NOMEM, WEFT_ERR_CRYPTO.
 */
WEFT_EXTERN int weft_turn_server_new(weft_turn_server **out,
                                     const weft_turn_server_settings *settings,
                                     const weft_mem *mem);
/** Frees the server; calls relay_close for every live allocation. NULL ok. */
WEFT_EXTERN void weft_turn_server_del(weft_turn_server *s);

/**
 * Adds (or replaces the password of) a long-term user. Returns 0 or one of:
 * WEFT_ERR_INVALID_ARGUMENT, WEFT_ERR_NOMEM, WEFT_ERR_CRYPTO.
 */
WEFT_EXTERN int weft_turn_server_add_user(weft_turn_server *s, const char *name,
                                          const char *password);

/**
 * Tells the server the wall-clock time (UNIX seconds) at monotonic time
 * @p now, for the expiry of TURN REST API user names. Until called, the
 * monotonic seconds stand in for UNIX time.
 */
WEFT_EXTERN void weft_turn_server_set_unix_time(weft_turn_server *s,
                                                weft_tstamp now,
                                                uint64_t unix_seconds);

/**
 * A datagram (UDP), or one whole STUN message or ChannelData frame (TCP,
 * TLS), from a client. Answers, relays or drops it (bad input is counted).
 * Returns 0, or WEFT_ERR_INVALID_ARGUMENT for a bad call.
 */
WEFT_EXTERN int weft_turn_server_recv(weft_turn_server *s, weft_tstamp now,
                                      const weft_turn_path *path,
                                      const uint8_t *data, size_t len);

/**
 * A datagram that arrived from @p peer on the relay socket of
 * @p relay_id. Forwarded to the client when a permission allows it,
 * else dropped and counted. Returns 0 or WEFT_ERR_INVALID_ARGUMENT.
 */
WEFT_EXTERN int weft_turn_server_recv_relay(weft_turn_server *s,
                                            weft_tstamp now, uint32_t relay_id,
                                            const weft_addr *peer,
                                            const uint8_t *data, size_t len);

/**
 * The TCP/TLS connection @p sock closed: its allocations are deleted
 * (RFC 8656 section 5).
 */
WEFT_EXTERN void weft_turn_server_conn_closed(weft_turn_server *s,
                                              weft_tstamp now, uint32_t sock);

/**
 * Pops the next datagram into @p buf. Returns its length (> 0), 0 when
 * none is queued, or WEFT_ERR_BUFFER_TOO_SMALL (the datagram stays queued;
 * WEFT_TURN_MAX_FRAME always suffices).
 */
WEFT_EXTERN int weft_turn_server_poll_transmit(weft_turn_server *s,
                                               weft_turn_transmit *tx,
                                               uint8_t *buf, size_t buflen);

/** Pops the next event. Returns 1, or 0 when there is none. */
WEFT_EXTERN int weft_turn_server_poll_event(weft_turn_server *s,
                                            weft_turn_server_event *ev);

/** When to call handle_timeout (WEFT_TSTAMP_NONE: no allocation). */
WEFT_EXTERN weft_tstamp weft_turn_server_deadline(const weft_turn_server *s);

/** Expires allocations, permissions and channels due at @p now. */
WEFT_EXTERN void weft_turn_server_handle_timeout(weft_turn_server *s,
                                                 weft_tstamp now);

/** Copies the counters. */
WEFT_EXTERN void weft_turn_server_get_stats(const weft_turn_server *s,
                                            weft_turn_server_stats *out);

/**
 * Whether @p peer may be relayed to under the server's peer filter
 * (1 allowed, 0 denied).
 */
WEFT_EXTERN int weft_turn_server_peer_allowed(const weft_turn_server *s,
                                              const weft_addr *peer);

/**
 * Parses a peer range "A", "A-B" or "A/prefix" (IPv4 or IPv6, numeric)
 * into @p out (allow left 0). Returns 0 or WEFT_ERR_ADDR_PARSE.
 */
WEFT_EXTERN int weft_turn_peer_range_parse(weft_turn_peer_range *out,
                                           const char *text);

/**
 * The TURN REST API password of @p username: base64(HMAC-SHA1(@p secret,
 * @p username)), NUL-terminated in @p out (29 bytes suffice).
 * Returns 0 or one of: WEFT_ERR_INVALID_ARGUMENT,
 * WEFT_ERR_BUFFER_TOO_SMALL, WEFT_ERR_CRYPTO.
 */
WEFT_EXTERN int weft_turn_rest_password(const char *secret,
                                        const char *username, char *out,
                                        size_t outlen);

/* ======================================================================== */
/* Client                                                                   */
/* ======================================================================== */

/**
 * A sans-IO TURN client: one allocation on one server (RFC 8656), with
 * long-term credentials (REALM/NONCE, stale-nonce retry), refresh before
 * expiry, permissions and channel bindings kept alive, Send/Data
 * indications and ChannelData, and deallocation on close.
 *
 * Every datagram it emits goes to the server (weft_turn_client_poll_transmit
 * returns the server address). Over TCP/TLS the caller frames the stream
 * into whole STUN messages and ChannelData frames before
 * weft_turn_client_recv(), as for the server.
 *
 * For the TURN REST API, compute the password with weft_turn_rest_password()
 * (user name "expiry-unix-time:name") and pass both as usual.
 *
 * Use with an ICE agent (relay candidates): allocate; on
 * WEFT_TURN_CLIENT_EV_ALLOCATED add the relayed address as a local relay
 * candidate (mapped = the server-reflexive address); create a permission
 * (or bind a channel) for each remote candidate address before checks go
 * to it; ICE datagrams "from" the relayed address go out through
 * weft_turn_client_send(); every datagram read from the server goes to
 * weft_turn_client_recv(), and when it returns 1 the payload is handed to
 * the agent as received on the relayed address from *peer.
 *
 *   weft_turn_client_settings s;
 *   weft_turn_client_settings_default(&s);
 *   weft_addr_parse(&s.server, "192.0.2.10:3478", 0);
 *   s.username = "u"; s.password = "p";
 *   weft_turn_client_new(&c, &s, NULL);
 *   weft_turn_client_allocate(c, now);
 *   // loop: send poll_transmit() datagrams to the server, feed what it
 *   // sends to recv(), handle_timeout() at deadline(), read poll_event().
 */
typedef struct weft_turn_client weft_turn_client;

typedef struct weft_turn_client_settings {
  weft_addr server;     /**< the TURN server */
  uint8_t transport;    /**< enum weft_turn_transport (framing, retransmits) */
  const char *username; /**< copied */
  const char *password; /**< copied */
  /** Relayed family: AF_INET (default) or AF_INET6 (REQUESTED-ADDRESS-
   * FAMILY); @p dual asks for both (ADDITIONAL-ADDRESS-FAMILY). */
  int family;
  int dual;
  /** Lifetime to ask for, seconds (0: the server's default). */
  uint32_t lifetime_s;
  /** First retransmission timeout over UDP (500 ms), and most sends of a
   * request (7, RFC 8489 Rc). Over TCP/TLS: one send, 39.5 s timeout. */
  weft_tstamp rto;
  uint32_t max_sends;
  /** SOFTWARE of requests, NULL for none (copied). */
  const char *software;
  /** Transaction ids (NULL: weft_rand_default()). */
  const weft_rand *rand;
  weft_log log;
} weft_turn_client_settings;

enum weft_turn_client_event_type {
  WEFT_TURN_CLIENT_EV_ALLOCATED = 1,      /**< relayed, mapped, lifetime_s */
  WEFT_TURN_CLIENT_EV_ALLOCATE_FAILED,    /**< error_code (0: timeout) */
  WEFT_TURN_CLIENT_EV_REFRESHED,          /**< lifetime_s */
  WEFT_TURN_CLIENT_EV_ALLOCATION_LOST,    /**< a refresh failed: error_code */
  WEFT_TURN_CLIENT_EV_PERMISSION_CREATED, /**< peer */
  WEFT_TURN_CLIENT_EV_PERMISSION_FAILED,  /**< peer, error_code */
  WEFT_TURN_CLIENT_EV_CHANNEL_BOUND,      /**< peer, channel */
  WEFT_TURN_CLIENT_EV_CHANNEL_FAILED,     /**< peer, channel, error_code */
  WEFT_TURN_CLIENT_EV_CLOSED,             /**< deallocated (or gave up) */
};

typedef struct weft_turn_client_event {
  int type;             /**< enum weft_turn_client_event_type */
  weft_addr relayed[2]; /**< ALLOCATED: IPv4 and/or IPv6 (AF_UNSPEC if not) */
  weft_addr mapped;     /**< ALLOCATED: server-reflexive address */
  uint32_t lifetime_s;
  weft_addr peer;
  uint16_t channel;
  int error_code; /**< STUN error code, 0 for a timeout */
} weft_turn_client_event;

typedef struct weft_turn_client_stats {
  uint64_t requests_sent; /**< every request datagram, retransmits too */
  uint64_t retransmits;
  uint64_t stale_nonces;
  uint64_t tx_channel_data, tx_send_ind;
  uint64_t rx_channel_data, rx_data_ind;
  uint64_t dropped; /**< malformed, unknown channel, bad integrity, ... */
  uint64_t tx_queue_drops;
} weft_turn_client_stats;

/** Fills defaults: AF_INET, UDP, lifetime 0, rto 500 ms, 7 sends. */
WEFT_EXTERN void
weft_turn_client_settings_default(weft_turn_client_settings *s);

/**
 * Creates a client (copies @p settings). Returns 0 or one of:
 * WEFT_ERR_INVALID_ARGUMENT (no server, user or password), WEFT_ERR_NOMEM.
 */
WEFT_EXTERN int weft_turn_client_new(weft_turn_client **out,
                                     const weft_turn_client_settings *settings,
                                     const weft_mem *mem);
/** Frees the client at once (no deallocation: see _close). NULL ok. */
WEFT_EXTERN void weft_turn_client_del(weft_turn_client *c);

/** Starts the allocation. Returns 0 or WEFT_ERR_INVALID_STATE. */
WEFT_EXTERN int weft_turn_client_allocate(weft_turn_client *c, weft_tstamp now);

/**
 * Asks for (and keeps refreshing) a permission for @p peer's IP.
 * Returns 0 or one of: WEFT_ERR_INVALID_STATE (not allocated),
 * WEFT_ERR_LIMIT (too many), WEFT_ERR_INVALID_ARGUMENT.
 */
WEFT_EXTERN int weft_turn_client_create_permission(weft_turn_client *c,
                                                   weft_tstamp now,
                                                   const weft_addr *peer);

/**
 * Binds a channel to @p peer (and keeps it bound); data to that peer uses
 * ChannelData once bound. Returns the channel number (> 0) or one of:
 * WEFT_ERR_INVALID_STATE, WEFT_ERR_LIMIT, WEFT_ERR_INVALID_ARGUMENT.
 */
WEFT_EXTERN int weft_turn_client_bind_channel(weft_turn_client *c,
                                              weft_tstamp now,
                                              const weft_addr *peer);

/**
 * Queues @p len bytes for @p peer: ChannelData on a bound channel, else a
 * Send indication. Returns 0 or one of: WEFT_ERR_INVALID_STATE,
 * WEFT_ERR_TURN_PERMISSION (no permission asked for that IP),
 * WEFT_ERR_QUEUE_FULL, WEFT_ERR_INVALID_ARGUMENT (too long).
 */
WEFT_EXTERN int weft_turn_client_send(weft_turn_client *c, weft_tstamp now,
                                      const weft_addr *peer,
                                      const uint8_t *data, size_t len);

/**
 * A datagram (or whole frame over TCP/TLS) from the server. Returns 1 when
 * it carried application data from a peer: *@p peer is set and
 * *@p payload / *@p payload_len view into @p data. Returns 0 when consumed
 * (a response) or dropped (counted), or WEFT_ERR_INVALID_ARGUMENT.
 */
WEFT_EXTERN int weft_turn_client_recv(weft_turn_client *c, weft_tstamp now,
                                      const uint8_t *data, size_t len,
                                      weft_addr *peer, const uint8_t **payload,
                                      size_t *payload_len);

/** Pops the next datagram for the server (@p to: its address). Returns its
 * length, 0 when none, or WEFT_ERR_BUFFER_TOO_SMALL. */
WEFT_EXTERN int weft_turn_client_poll_transmit(weft_turn_client *c,
                                               weft_addr *to, uint8_t *buf,
                                               size_t buflen);

/** Pops the next event. Returns 1, or 0 when there is none. */
WEFT_EXTERN int weft_turn_client_poll_event(weft_turn_client *c,
                                            weft_turn_client_event *ev);

/** When to call handle_timeout (WEFT_TSTAMP_NONE: nothing pending). */
WEFT_EXTERN weft_tstamp weft_turn_client_deadline(const weft_turn_client *c);

/** Retransmits, refreshes allocation, permissions and channels. */
WEFT_EXTERN void weft_turn_client_handle_timeout(weft_turn_client *c,
                                                 weft_tstamp now);

/**
 * Deallocates (Refresh with LIFETIME 0); WEFT_TURN_CLIENT_EV_CLOSED follows
 * when the server answered or the request timed out. Returns 0.
 */
WEFT_EXTERN int weft_turn_client_close(weft_turn_client *c, weft_tstamp now);

/** Whether the allocation is usable (1) or not (0). */
WEFT_EXTERN int weft_turn_client_is_allocated(const weft_turn_client *c);

WEFT_EXTERN void weft_turn_client_get_stats(const weft_turn_client *c,
                                            weft_turn_client_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_TURN_H */
