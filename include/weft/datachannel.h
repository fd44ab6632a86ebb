/**
 * @file datachannel.h
 * WebRTC data channels (RFC 8831) with the Data Channel Establishment
 * Protocol (DCEP, RFC 8832) over weft's own SCTP association.
 *
 * A weft_dc is the set of data channels of one SCTP association, and it
 * owns that association: it is driven as one sans-IO unit with the five
 * verbs. The layer below (DTLS) hands whole SCTP packets (DTLS application
 * records) to weft_dc_recv() and writes what weft_dc_poll_transmit()
 * produces with weft_dtls_write(). Events follow the W3C RTCDataChannel:
 * a new channel from the peer (ondatachannel), open, message,
 * bufferedamountlow, closing, close and error, plus the association's own
 * connected / disconnected.
 *
 * Channels are named by their SCTP stream id (0..65534), which is also the
 * W3C `id`. Ids the object picks follow RFC 8832: even for the DTLS client,
 * odd for the DTLS server, so both sides may open channels at once. An id is
 * free again once its CLOSE event is queued. All 65,535 ids (0..65534) may
 * be open at once when the peer grants that many streams.
 *
 * Closing (RFC 8831 section 6.7) resets the outgoing SCTP stream (RFC 6525);
 * the peer answers by resetting its own, and each side reports CLOSE when
 * both directions are reset.
 *
 * Threading: one thread at a time per weft_dc.
 */
#ifndef WEFT_DATACHANNEL_H
#define WEFT_DATACHANNEL_H

#include "weft/sctp.h"
#include "weft/weft.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A set of data channels over one SCTP association. Opaque. */
typedef struct weft_dc weft_dc;

/** Which stream ids this side picks (its DTLS role, RFC 8832 section 6). */
enum weft_dc_role {
  WEFT_DC_ROLE_UNKNOWN = -1, /**< not yet known: only negotiated channels */
  WEFT_DC_ROLE_CLIENT = 0,   /**< DTLS client: even ids */
  WEFT_DC_ROLE_SERVER = 1,   /**< DTLS server: odd ids */
};

/** Payload protocol identifiers (RFC 8831 section 8, IANA). */
enum weft_dc_ppid {
  WEFT_DC_PPID_DCEP = 50,
  WEFT_DC_PPID_STRING = 51,
  WEFT_DC_PPID_BINARY_PARTIAL = 52, /**< deprecated, accepted on receive */
  WEFT_DC_PPID_BINARY = 53,
  WEFT_DC_PPID_STRING_PARTIAL = 54, /**< deprecated, accepted on receive */
  WEFT_DC_PPID_STRING_EMPTY = 56,
  WEFT_DC_PPID_BINARY_EMPTY = 57,
};

/** Largest stream id a channel may use (65535 is reserved). */
#define WEFT_DC_MAX_ID 65534

/**
 * SCTP packet size weft_dc_settings_default() picks: every SCTP packet must
 * fit one DTLS record of a 1200-byte datagram (weft_dtls's default MTU)
 * whatever the cipher: 1200 minus 65 bytes of the worst DTLS 1.2 record
 * overhead (header 13, CBC IV 16, SHA-1 MAC 20, padding 16). With a bigger
 * DTLS MTU, raise sctp.mtu to weft_dtls_max_payload().
 */
#define WEFT_DC_DEFAULT_MTU 1135

/** Settings, copied by weft_dc_new(); fill with weft_dc_settings_default(). */
typedef struct weft_dc_settings {
  /** The association's settings (ports, buffers, max_message_size...);
   * mtu defaults to WEFT_DC_DEFAULT_MTU here. */
  weft_sctp_settings sctp;
  /** enum weft_dc_role; may be set later with weft_dc_set_role(). */
  int role;
  /** The peer's a=max-message-size (RFC 8841): weft_dc_send() refuses
   * bigger messages. 0: the same as sctp.max_message_size. */
  size_t remote_max_message_size;
  weft_log log;
} weft_dc_settings;

/** Fills @p s: SCTP defaults but the MTU (WEFT_DC_DEFAULT_MTU), role
 * unknown, remote max 0 (= local). */
WEFT_EXTERN void weft_dc_settings_default(weft_dc_settings *s);

/** How to open a channel (W3C RTCDataChannelInit). */
typedef struct weft_dc_channel_init {
  const char *label;    /**< NUL-terminated, copied; NULL = "" */
  const char *protocol; /**< NUL-terminated, copied; NULL = "" */
  int ordered;          /**< default 1 */
  /** Partial reliability: at most this many retransmissions, -1 (default)
   * for none. Exclusive with max_packet_lifetime. */
  int max_retransmits;
  /** Partial reliability: give up after this many milliseconds, -1
   * (default) for none. */
  int max_packet_lifetime;
  uint16_t priority; /**< DCEP priority field (RFC 8832), default 256 */
  /** 1: negotiated out of band, no DCEP; @c id is required. */
  int negotiated;
  /** Stream id to use, -1 (default): pick one by role. Only honoured for
   * negotiated channels, as in the W3C API. */
  int id;
} weft_dc_channel_init;

/** Fills @p init with the defaults above (label ""). */
WEFT_EXTERN void weft_dc_channel_init_default(weft_dc_channel_init *init);

/** Channel states (W3C RTCDataChannelState). */
enum weft_dc_state {
  WEFT_DC_CONNECTING = 0,
  WEFT_DC_OPEN = 1,
  WEFT_DC_CLOSING = 2,
  WEFT_DC_CLOSED = 3,
};

/** What weft_dc_channel_info() reports. */
typedef struct weft_dc_channel {
  uint16_t id;
  int state;            /**< enum weft_dc_state */
  const char *label;    /**< NUL-terminated, owned by the channel */
  const char *protocol; /**< NUL-terminated, owned by the channel */
  size_t label_len, protocol_len;
  int ordered;
  int max_retransmits;     /**< -1 when not set */
  int max_packet_lifetime; /**< -1 when not set */
  uint16_t priority;
  int negotiated;
  size_t buffered_amount;
  size_t buffered_amount_low_threshold;
} weft_dc_channel;

/** Event types. */
enum weft_dc_event_type {
  WEFT_DC_EVENT_NONE = 0,
  /** The association is up; channels opened before are being opened. */
  WEFT_DC_EVENT_CONNECTED,
  /** The peer opened channel @c id by DCEP (W3C ondatachannel); OPEN
   * follows. */
  WEFT_DC_EVENT_CHANNEL,
  /** Channel @c id is open: messages may be sent. */
  WEFT_DC_EVENT_OPEN,
  /** A message on @c id: @c binary, @c data, @c len (0 for an empty one;
   * @c data then may be NULL). Valid until the next call on the object. */
  WEFT_DC_EVENT_MESSAGE,
  /** bufferedAmount of @c id fell to its low threshold (from above). */
  WEFT_DC_EVENT_BUFFERED_LOW,
  /** The peer started closing channel @c id. */
  WEFT_DC_EVENT_CLOSING,
  /** Channel @c id is closed; its id may be used again. */
  WEFT_DC_EVENT_CLOSE,
  /** Something failed on channel @c id: @c error (e.g. WEFT_ERR_SCTP_STREAM
   * when the id is beyond the negotiated streams, WEFT_ERR_SCTP_ABORTED).
   * CLOSE follows. */
  WEFT_DC_EVENT_ERROR,
  /** The association is gone: @c error is 0 after a graceful shutdown, or
   * why it died (WEFT_ERR_SCTP_ABORTED, WEFT_ERR_TIMEOUT, ...). Every
   * channel got CLOSE before. */
  WEFT_DC_EVENT_DISCONNECTED,
};

/** One event. */
typedef struct weft_dc_event {
  int type; /**< enum weft_dc_event_type */
  uint16_t id;
  int binary;
  const uint8_t *data;
  size_t len;
  int error;
} weft_dc_event;

/** Counters. */
typedef struct weft_dc_stats {
  uint64_t messages_sent, messages_received;
  uint64_t bytes_sent, bytes_received;
  uint64_t channels_opened; /**< both directions */
  uint64_t channels_closed;
  /** Messages dropped: unknown stream, bad DCEP, unknown PPID, a duplicate
   * OPEN, an oversized legacy partial message. */
  uint64_t dropped;
  uint64_t events_dropped; /**< no memory for the event queue */
} weft_dc_stats;

/**
 * Creates the set and its SCTP association (listening, see
 * weft_sctp_assoc_new()). @p settings copied, NULL for defaults; @p mem
 * NULL for libc, must outlive the object.
 * Returns 0 or WEFT_ERR_NOMEM, WEFT_ERR_INVALID_ARGUMENT, WEFT_ERR_CRYPTO.
 */
WEFT_EXTERN int weft_dc_new(weft_dc **out, const weft_dc_settings *settings,
                            const weft_mem *mem, void *user_data);
/** Frees everything, the association too (sends nothing). NULL is fine. */
WEFT_EXTERN void weft_dc_del(weft_dc *dc);
/** The user_data given to weft_dc_new(). */
WEFT_EXTERN void *weft_dc_user_data(const weft_dc *dc);

/** Sets the role once the DTLS role is known (before channels without a
 * negotiated id are opened). Returns 0, WEFT_ERR_INVALID_ARGUMENT or
 * WEFT_ERR_INVALID_STATE (already set to the other role). */
WEFT_EXTERN int weft_dc_set_role(weft_dc *dc, int role);

/** Starts the SCTP handshake (both peers normally do, once DTLS is up).
 * Returns 0 or WEFT_ERR_INVALID_STATE. */
WEFT_EXTERN int weft_dc_connect(weft_dc *dc, weft_tstamp now);

/** One SCTP packet from below. Bad input is dropped and counted; returns 0
 * or WEFT_ERR_SCTP_MALFORMED (informational, not fatal). */
WEFT_EXTERN int weft_dc_recv(weft_dc *dc, weft_tstamp now,
                             const uint8_t *packet, size_t len);

/** The next SCTP packet to hand to DTLS. Returns its length, 0 when none,
 * or WEFT_ERR_BUFFER_TOO_SMALL (@p buflen below the SCTP MTU). */
WEFT_EXTERN int weft_dc_poll_transmit(weft_dc *dc, weft_tstamp now,
                                      uint8_t *buf, size_t buflen);

/**
 * Returns 1 with the next event, 0 when there is none. Processing the
 * association's events happens here (an incoming OPEN is answered with an
 * ACK, a peer's stream reset with ours): drain transmissions again after
 * draining events.
 */
WEFT_EXTERN int weft_dc_poll_event(weft_dc *dc, weft_dc_event *ev);

/** When to call weft_dc_handle_timeout() (WEFT_TSTAMP_NONE: never). */
WEFT_EXTERN weft_tstamp weft_dc_deadline(const weft_dc *dc);

/** Runs due timers. Returns 0. */
WEFT_EXTERN int weft_dc_handle_timeout(weft_dc *dc, weft_tstamp now);

/**
 * Opens a channel (W3C createDataChannel). Before the association is up the
 * channel waits in CONNECTING; then a DCEP OPEN is sent (unless negotiated)
 * and OPEN is reported at once (messages may follow the OPEN, RFC 8832).
 * @param id_out set to the stream id; may be NULL
 * Returns 0 or one of: WEFT_ERR_INVALID_ARGUMENT (both partial reliability
 * limits, a negotiated channel without id, id above WEFT_DC_MAX_ID, label or
 * protocol above 65535 bytes), WEFT_ERR_INVALID_STATE (no role known for a
 * picked id, or the association is closed), WEFT_ERR_EXISTS (id in use),
 * WEFT_ERR_LIMIT (no free id), WEFT_ERR_NOMEM, or an error of
 * weft_sctp_send() for the OPEN message.
 */
WEFT_EXTERN int weft_dc_open(weft_dc *dc, weft_tstamp now,
                             const weft_dc_channel_init *init,
                             uint16_t *id_out);

/**
 * Sends a message on channel @p id: text (@p binary 0, PPID 51) or binary
 * (PPID 53); @p len 0 sends an empty message (PPID 56/57). Copied.
 * Returns 0 or one of: WEFT_ERR_NOT_FOUND (no such channel),
 * WEFT_ERR_INVALID_STATE (still connecting), WEFT_ERR_DATACHANNEL_CLOSED
 * (closing or closed), WEFT_ERR_SCTP_MESSAGE_TOO_BIG (above the peer's
 * max-message-size), WEFT_ERR_QUEUE_FULL (SCTP send buffer full: wait for
 * BUFFERED_LOW), WEFT_ERR_NOMEM.
 */
WEFT_EXTERN int weft_dc_send(weft_dc *dc, weft_tstamp now, uint16_t id,
                             const void *data, size_t len, int binary);

/** Bytes queued on channel @p id and not yet sent (0 if none). */
WEFT_EXTERN size_t weft_dc_buffered_amount(const weft_dc *dc, uint16_t id);

/** Sets when BUFFERED_LOW fires for @p id (default 0). Returns 0,
 * WEFT_ERR_NOT_FOUND or WEFT_ERR_NOMEM. */
WEFT_EXTERN int weft_dc_set_buffered_amount_low_threshold(weft_dc *dc,
                                                          uint16_t id,
                                                          size_t threshold);

/**
 * Closes channel @p id (W3C close()): queued messages are still sent, then
 * the outgoing stream is reset; CLOSE follows once the peer has reset its
 * own. Closing a closing channel does nothing. Returns 0 or
 * WEFT_ERR_NOT_FOUND.
 */
WEFT_EXTERN int weft_dc_close(weft_dc *dc, weft_tstamp now, uint16_t id);

/** Fills @p info for channel @p id. Returns 0 or WEFT_ERR_NOT_FOUND. The
 * strings stay valid until the channel is closed (CLOSE). */
WEFT_EXTERN int weft_dc_channel_info(const weft_dc *dc, uint16_t id,
                                     weft_dc_channel *info);

/** Number of channels not yet closed. */
WEFT_EXTERN size_t weft_dc_channel_count(const weft_dc *dc);

/** Graceful close of the association (SCTP SHUTDOWN). Returns 0 or
 * WEFT_ERR_INVALID_STATE. */
WEFT_EXTERN int weft_dc_shutdown(weft_dc *dc, weft_tstamp now);

/** The association, for its state and statistics (weft_sctp_get_stats()).
 * Do not poll its events: the weft_dc does. */
WEFT_EXTERN const weft_sctp_assoc *weft_dc_sctp(const weft_dc *dc);

/** Copies the counters into @p st. */
WEFT_EXTERN void weft_dc_get_stats(const weft_dc *dc, weft_dc_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_DATACHANNEL_H */
