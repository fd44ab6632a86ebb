/*
 * The signaling broker of `weft signal`: the protocol of the PeerJS server
 * (npm package `peer`), without I/O. The libwebsockets glue (signal_lws.c)
 * feeds it connections, WebSocket text messages and the time; the broker
 * queues JSON messages on each session and raises events saying which
 * sessions have output or must be closed.
 *
 * Behaviour of the PeerJS server kept here: OPEN on connect; ID-TAKEN when
 * the id is in use with another token; ERROR for a bad key, missing
 * parameters or the concurrent limit; OFFER, ANSWER, CANDIDATE, LEAVE and
 * EXPIRE forwarded as {"type","src","dst","payload"}; messages for an absent
 * peer held until it connects or until the expire timeout sends
 * {"type":"EXPIRE","src":dst,"dst":src} back (one per sender); LEAVE and
 * EXPIRE for an absent peer dropped; HEARTBEAT refreshes the session, which
 * is closed after the alive timeout without one.
 *
 * Additions (bounded resources): message size, message rate per session
 * (GCRA token bucket), held messages per destination and in total (over the
 * bound the sender gets EXPIRE at once), output bytes per session (over the
 * bound the receiver is closed and the sender gets LEAVE, as the PeerJS
 * server does when a send fails), sessions per source address, and ERROR
 * replies for bad JSON, unknown types and oversized messages; a session
 * that earns too many ERRORs is closed.
 */
#ifndef WEFT_TOOL_SIGNAL_CORE_H
#define WEFT_TOOL_SIGNAL_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "weft/weft.h"

typedef struct sig_broker sig_broker;
typedef struct sig_session sig_session;

/** Settings of a broker; sig_config_default() gives the PeerJS defaults. */
typedef struct sig_config {
  const char *key;            /**< API key (copied); "peerjs" */
  weft_tstamp expire_timeout; /**< held messages expire (5 s) */
  weft_tstamp alive_timeout;  /**< no HEARTBEAT: session closed (60 s) */
  uint32_t concurrent_limit;  /**< registered sessions (5000) */
  int allow_discovery;        /**< GET .../peers lists ids (0) */
  size_t max_message;         /**< bytes of one message (65536) */
  uint32_t rate_per_s;        /**< messages/s per session, 0: no limit (100) */
  uint32_t rate_burst;        /**< messages at once above the rate (200) */
  uint32_t max_held_per_dst;  /**< held messages for one id (64) */
  uint32_t max_held_total;    /**< held messages in all (16384) */
  size_t max_held_bytes;      /**< bytes of held messages (32 MiB) */
  size_t max_out_bytes;       /**< queued output of one session (1 MiB) */
  uint32_t max_per_addr;      /**< sessions per source address, 0: any (64) */
  uint32_t max_errors;        /**< ERROR replies before closing (16) */
  size_t max_id_len;          /**< bytes of an id or token (256) */
  size_t headroom;            /**< free bytes before every output message */
  const weft_rand *rand;      /**< for ids; NULL: weft_rand_default() */
  weft_log log;
} sig_config;

/** Counters; every dropped input is counted once. */
typedef struct sig_stats {
  uint64_t sessions;  /**< registered now */
  uint64_t opened;    /**< OPEN sent */
  uint64_t rejected;  /**< ERROR or ID-TAKEN on connect */
  uint64_t received;  /**< messages from clients */
  uint64_t forwarded; /**< delivered to a connected peer (also held ones) */
  uint64_t held;      /**< held for an absent peer */
  uint64_t expired;   /**< EXPIRE sent (timeout or held limit) */
  uint64_t dropped;   /**< no destination, LEAVE/EXPIRE to absent peer */
  uint64_t bad;       /**< bad JSON, unknown type, oversized, rate */
  uint64_t timeouts;  /**< sessions closed for missing heartbeats */
  uint64_t slow;      /**< receivers closed for too much queued output */
  uint64_t held_now;  /**< held messages now */
} sig_stats;

/** Result of sig_broker_connect(). */
enum sig_connect_result {
  SIG_CONNECT_OPEN = 0, /**< registered, OPEN queued */
  SIG_CONNECT_REJECTED, /**< ERROR or ID-TAKEN queued, then close */
};

/** What a session needs (sig_event.flags). */
enum sig_event_flag {
  SIG_EV_SEND = 1,  /**< has queued output (ask for a writable callback) */
  SIG_EV_CLOSE = 2, /**< close it once its output is written */
};

typedef struct sig_event {
  sig_session *session;
  void *user; /**< the pointer given to sig_broker_connect() */
  int flags;  /**< enum sig_event_flag bits */
} sig_event;

/** The PeerJS server's defaults and weft's bounds. */
void sig_config_default(sig_config *cfg);

/** Creates a broker (settings copied). Returns 0 or WEFT_ERR_NOMEM. */
int sig_broker_new(sig_broker **out, const sig_config *cfg);

/** Frees the broker and every session and message (NULL is fine). */
void sig_broker_del(sig_broker *b);

/**
 * A WebSocket connection arrived with query parameters @p key, @p id and
 * @p token (NUL-terminated, NULL when absent) from source address @p addr
 * (any bytes identifying it, e.g. the IP). Always creates a session
 * (*@p out) whose output holds OPEN, or ERROR / ID-TAKEN and then a close.
 * The glue owns the session until it calls sig_broker_disconnect().
 * Returns enum sig_connect_result, or WEFT_ERR_NOMEM (no session made).
 */
int sig_broker_connect(sig_broker *b, weft_tstamp now, void *user,
                       const void *addr, size_t addrlen, const char *key,
                       const char *id, const char *token, sig_session **out);

/** The connection of @p s closed: frees it (its held output too). */
void sig_broker_disconnect(sig_broker *b, sig_session *s);

/**
 * One complete WebSocket text message from @p s. Bad input is answered
 * with ERROR and counted, never touching another session.
 */
void sig_broker_recv(sig_broker *b, weft_tstamp now, sig_session *s,
                     const char *data, size_t len);

/** A message longer than max_message arrived (and was discarded). */
void sig_broker_recv_oversized(sig_broker *b, sig_session *s);

/** Expires held messages and sessions without heartbeats due by @p now. */
void sig_broker_handle_timeout(sig_broker *b, weft_tstamp now);

/** When to call sig_broker_handle_timeout() (WEFT_TSTAMP_NONE: never). */
weft_tstamp sig_broker_deadline(const sig_broker *b);

/** Pops the next event. Returns 1 with an event, 0 when none. */
int sig_broker_poll_event(sig_broker *b, sig_event *ev);

/**
 * The first queued output message of @p s: *@p data points at its JSON
 * text, with the configured headroom writable before it. Returns 1, or 0
 * when the queue is empty.
 */
int sig_session_peek(const sig_broker *b, const sig_session *s, char **data,
                     size_t *len);

/** Drops the first queued output message (after it was written). */
void sig_session_pop(sig_broker *b, sig_session *s);

/** Whether @p s must be closed once its output is written. */
int sig_session_closing(const sig_session *s);

/** The id of a registered session, NULL otherwise. */
const char *sig_session_id(const sig_session *s);

/**
 * Writes a fresh random id (UUID v4 text, as the PeerJS server's
 * crypto.randomUUID) not in use into @p out. Returns 0 or a negative error.
 */
int sig_broker_new_id(sig_broker *b, char out[37]);

/**
 * The JSON array of registered ids (GET .../peers). Returns a malloc'd
 * string (free() it) or NULL when discovery is off or memory ran out.
 */
char *sig_broker_peers_json(const sig_broker *b);

void sig_broker_get_stats(const sig_broker *b, sig_stats *out);

/**
 * Appends the JSON string form of @p s (@p len bytes) to @p out, escaped as
 * JavaScript's JSON.stringify does; returns the bytes written. @p out needs
 * room for 6 * len + 2 bytes.
 */
size_t sig_json_string(char *out, const char *s, size_t len);

#endif
