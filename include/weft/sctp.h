/**
 * @file sctp.h
 * weft's SCTP association (RFC 9260) as WebRTC uses it: over DTLS (RFC 8261)
 * with the data channel extensions (RFC 8831): partial reliability with
 * FORWARD-TSN (RFC 3758) and stream reset (RFC 6525).
 *
 * Sans-IO: the layer below (DTLS) hands whole SCTP packets to
 * weft_sctp_recv() and sends what weft_sctp_poll_transmit() writes. There are
 * no IP addresses; the common header ports are settings (5000 by default).
 *
 * Threading: an association is used from one thread at a time.
 */
#ifndef WEFT_SCTP_H
#define WEFT_SCTP_H

#include "weft/weft.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An SCTP association. Opaque. */
typedef struct weft_sctp_assoc weft_sctp_assoc;

/** Association settings; fill with weft_sctp_settings_default(). */
typedef struct weft_sctp_settings {
  uint16_t local_port;  /**< common header source port, default 5000 */
  uint16_t remote_port; /**< destination port, default 5000 */
  /** Largest message send() accepts and the receiver reassembles (256 KiB,
   * RFC 8841's default a=max-message-size); bigger incoming messages abort
   * the association. */
  size_t max_message_size;
  /** Receive window in bytes (a_rwnd), the reassembly memory bound. */
  uint32_t rwnd;
  /** Send buffer bound in bytes (queued + unacknowledged); send() returns
   * WEFT_ERR_QUEUE_FULL beyond it. */
  size_t send_buffer;
  uint16_t max_out_streams; /**< default 65535 */
  uint16_t max_in_streams;  /**< default 65535 */
  /** Largest SCTP packet, default 1160: a DTLS 1.2 record of it fits a
   * 1200-byte datagram with AES-GCM (37 bytes of overhead) or ChaCha20.
   * Best set to weft_dtls_max_payload() once DTLS is up. */
  size_t mtu;
  weft_duration rto_initial;        /**< ns, default 1 s */
  weft_duration rto_min;            /**< ns, default 200 ms */
  weft_duration rto_max;            /**< ns, default 60 s */
  weft_duration sack_delay;         /**< delayed SACK, ns, default 200 ms */
  weft_duration heartbeat_interval; /**< ns, default 30 s, 0 = none */
  int max_retransmits;              /**< Association.Max.Retrans, default 10 */
  int max_init_retransmits;         /**< Max.Init.Retransmits, default 8 */
  /** Initial congestion window in MTUs (RFC 9260 says about 3-4; default
   * 10 as modern stacks). */
  uint32_t initial_cwnd_mtus;
  /** Source of verification tags, TSNs and the cookie key (NULL: OpenSSL).
   * Must outlive the association. */
  const weft_rand *rand;
  weft_log log;
} weft_sctp_settings;

/** Fills @p s with the defaults above. */
WEFT_EXTERN void weft_sctp_settings_default(weft_sctp_settings *s);

/** Partial reliability policies (per message). */
enum weft_sctp_pr {
  WEFT_SCTP_PR_NONE = 0,     /**< reliable */
  WEFT_SCTP_PR_RTX = 1,      /**< value = max retransmissions */
  WEFT_SCTP_PR_LIFETIME = 2, /**< value = max lifetime in milliseconds */
};

/** send() flags. */
#define WEFT_SCTP_UNORDERED 0x1

/** Event types. */
enum weft_sctp_event_type {
  WEFT_SCTP_EVENT_NONE = 0,
  /** The association is up (both for connect() and the passive side). */
  WEFT_SCTP_EVENT_CONNECTED,
  /** A whole message: stream, ppid, unordered, data, len. */
  WEFT_SCTP_EVENT_MESSAGE,
  /** The peer reset its outgoing stream @c stream (a data channel close). */
  WEFT_SCTP_EVENT_STREAM_RESET_IN,
  /** Our reset of outgoing stream @c stream is done (or @c error set when
   * the peer denied it). */
  WEFT_SCTP_EVENT_STREAM_RESET_OUT,
  /** The stream's buffered amount fell to its low threshold or below. */
  WEFT_SCTP_EVENT_BUFFERED_LOW,
  /** Graceful close completed (SHUTDOWN sequence). */
  WEFT_SCTP_EVENT_CLOSED,
  /** The association died: @c error is WEFT_ERR_SCTP_ABORTED (peer ABORT,
   * @c cause its first cause code), WEFT_ERR_TIMEOUT (too many
   * retransmissions) or WEFT_ERR_SCTP_MESSAGE_TOO_BIG (peer sent an
   * oversized message). */
  WEFT_SCTP_EVENT_ABORTED,
};

/** One event. @c data stays valid until the next call on the association. */
typedef struct weft_sctp_event {
  int type;
  uint16_t stream;
  uint32_t ppid;
  int unordered;
  const uint8_t *data;
  size_t len;
  int error;
  uint16_t cause;
} weft_sctp_event;

/** Counters and current transport figures. */
typedef struct weft_sctp_stats {
  uint64_t packets_in, packets_out;
  uint64_t dropped_checksum; /**< bad CRC or malformed */
  uint64_t dropped_tag;      /**< wrong verification tag */
  uint64_t dropped_tsn;      /**< DATA outside the window or no room */
  uint64_t duplicate_tsns;   /**< received duplicates */
  uint64_t retransmits;      /**< chunks sent again */
  uint64_t fast_retransmits; /**< fast retransmit events */
  uint64_t t3_expiries;
  uint64_t abandoned; /**< messages abandoned (partial reliability) */
  uint64_t bytes_sent, bytes_received; /**< user payload */
  uint32_t cwnd, ssthresh, flight, peer_rwnd;
  weft_duration srtt, rto;
} weft_sctp_stats;

/**
 * Creates an association in the CLOSED state, listening: it answers an
 * INIT from the peer. Call weft_sctp_connect() to initiate too (in WebRTC
 * both sides usually do; collisions are handled).
 * @param out set to the new association
 * @param settings copied; NULL for defaults
 * @param mem allocator (NULL: libc), must outlive the association
 * Returns 0, WEFT_ERR_NOMEM, WEFT_ERR_INVALID_ARGUMENT or WEFT_ERR_CRYPTO.
 */
WEFT_EXTERN int weft_sctp_assoc_new(weft_sctp_assoc **out,
                                    const weft_sctp_settings *settings,
                                    const weft_mem *mem, void *user_data);
/** Frees everything; NULL is fine. */
WEFT_EXTERN void weft_sctp_assoc_del(weft_sctp_assoc *a);
/** The user_data given to new(). */
WEFT_EXTERN void *weft_sctp_assoc_user_data(const weft_sctp_assoc *a);

/** Starts the 4-way handshake (sends INIT). Returns 0 or
 * WEFT_ERR_INVALID_STATE when not CLOSED. */
WEFT_EXTERN int weft_sctp_connect(weft_sctp_assoc *a, weft_tstamp now);

/**
 * One SCTP packet from the layer below. Bad packets are dropped and counted
 * (stats); the association carries on. Returns 0, or (non-fatal, for
 * information) WEFT_ERR_SCTP_MALFORMED when the packet was dropped as
 * malformed.
 */
WEFT_EXTERN int weft_sctp_recv(weft_sctp_assoc *a, weft_tstamp now,
                               const uint8_t *packet, size_t len);

/**
 * Writes the next SCTP packet to send into @p buf (bundling chunks up to the
 * MTU). Returns its length, 0 when there is nothing to send, or
 * WEFT_ERR_BUFFER_TOO_SMALL when @p buflen is below the MTU.
 */
WEFT_EXTERN int weft_sctp_poll_transmit(weft_sctp_assoc *a, weft_tstamp now,
                                        uint8_t *buf, size_t buflen);

/** Returns 1 with the next event in @p ev, 0 when there is none. */
WEFT_EXTERN int weft_sctp_poll_event(weft_sctp_assoc *a, weft_sctp_event *ev);

/** When to call weft_sctp_handle_timeout() (WEFT_TSTAMP_NONE: never). */
WEFT_EXTERN weft_tstamp weft_sctp_deadline(const weft_sctp_assoc *a);

/** Runs the timers that are due at @p now. Returns 0. */
WEFT_EXTERN int weft_sctp_handle_timeout(weft_sctp_assoc *a, weft_tstamp now);

/**
 * Queues a message (copied). Ordered messages of a stream arrive in order;
 * unordered ones as soon as complete. @p pr / @p pr_value: partial
 * reliability (WEFT_SCTP_PR_*; ignored when the peer lacks FORWARD-TSN).
 * SCTP cannot carry an empty message: @p len 0 is WEFT_ERR_INVALID_ARGUMENT
 * (RFC 8831 users send one byte with the "empty" PPIDs instead).
 * Returns 0 or one of: WEFT_ERR_INVALID_STATE (not established / closing),
 * WEFT_ERR_SCTP_STREAM (stream beyond the negotiated count or being reset),
 * WEFT_ERR_SCTP_MESSAGE_TOO_BIG, WEFT_ERR_QUEUE_FULL (send buffer full: wait
 * for BUFFERED_LOW or acknowledgements), WEFT_ERR_NOMEM.
 */
WEFT_EXTERN int weft_sctp_send(weft_sctp_assoc *a, weft_tstamp now,
                               uint16_t stream, uint32_t ppid, const void *data,
                               size_t len, int flags, int pr,
                               uint32_t pr_value);

/** Bytes queued on @p stream and not yet sent. */
WEFT_EXTERN size_t weft_sctp_buffered_amount(const weft_sctp_assoc *a,
                                             uint16_t stream);
/** Sets when BUFFERED_LOW fires for @p stream (default 0). Returns 0 or
 * WEFT_ERR_NOMEM / WEFT_ERR_SCTP_STREAM. */
WEFT_EXTERN int weft_sctp_set_buffered_low(weft_sctp_assoc *a, uint16_t stream,
                                           size_t threshold);

/**
 * Resets our outgoing @p streams (RFC 6525): no more send() on them until
 * STREAM_RESET_OUT; queued data is sent first. Returns 0 or
 * WEFT_ERR_INVALID_STATE, WEFT_ERR_UNSUPPORTED (peer lacks RE-CONFIG),
 * WEFT_ERR_QUEUE_FULL (too many pending), WEFT_ERR_SCTP_STREAM.
 */
WEFT_EXTERN int weft_sctp_reset_streams(weft_sctp_assoc *a, weft_tstamp now,
                                        const uint16_t *streams, size_t n);

/** Graceful close: sends what is queued, then SHUTDOWN. CLOSED follows.
 * Returns 0 or WEFT_ERR_INVALID_STATE. */
WEFT_EXTERN int weft_sctp_shutdown(weft_sctp_assoc *a, weft_tstamp now);

/** Sends ABORT (User-Initiated Abort) and closes at once. No event. */
WEFT_EXTERN void weft_sctp_abort(weft_sctp_assoc *a, weft_tstamp now);

/** 1 when ESTABLISHED (or closing with data still flowing). */
WEFT_EXTERN int weft_sctp_is_established(const weft_sctp_assoc *a);

/** Negotiated outbound / inbound stream counts (0 before CONNECTED). */
WEFT_EXTERN uint16_t weft_sctp_out_streams(const weft_sctp_assoc *a);
WEFT_EXTERN uint16_t weft_sctp_in_streams(const weft_sctp_assoc *a);

/** Copies counters into @p st. */
WEFT_EXTERN void weft_sctp_get_stats(const weft_sctp_assoc *a,
                                     weft_sctp_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_SCTP_H */
