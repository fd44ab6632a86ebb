/**
 * @file dtls.h
 * Certificates, fingerprints and a sans-IO DTLS 1.2 endpoint (RFC 6347) for
 * WebRTC: the peer's certificate is authenticated only by the fingerprint
 * exchanged in SDP (RFC 8122), the use_srtp extension (RFC 5764) negotiates
 * an SRTP protection profile and the SRTP keys are exported from the
 * handshake.
 *
 * The endpoint follows the five verbs of every weft object: datagrams in with
 * weft_dtls_recv(), datagrams out with weft_dtls_poll_transmit(), events out
 * with weft_dtls_poll_event(), and retransmissions driven by
 * weft_dtls_deadline() / weft_dtls_handle_timeout() in the caller's (possibly
 * virtual) time. OpenSSL's own DTLS timer, which reads the real clock, never
 * decides when a flight is resent: see weft_dtls_settings.
 *
 * Threading: a weft_dtls is used from one thread at a time. A weft_cert is
 * immutable once created and may be shared by objects on several threads.
 */
#ifndef WEFT_DTLS_H
#define WEFT_DTLS_H

#include "weft/weft.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Fingerprints (RFC 8122 a=fingerprint)                                    */
/* ------------------------------------------------------------------------ */

/** Hash functions of RFC 8122 fingerprints ("md5", "sha-1", ... names). */
enum weft_fingerprint_alg {
  WEFT_FINGERPRINT_MD5 = 1,
  WEFT_FINGERPRINT_SHA1 = 2,
  WEFT_FINGERPRINT_SHA224 = 3,
  WEFT_FINGERPRINT_SHA256 = 4,
  WEFT_FINGERPRINT_SHA384 = 5,
  WEFT_FINGERPRINT_SHA512 = 6,
};

/** Largest digest (SHA-512). */
#define WEFT_FINGERPRINT_MAX_LEN 64
/** Room for any formatted fingerprint, "sha-512 AB:...:CD" and a NUL. */
#define WEFT_FINGERPRINT_STRLEN (8 + 3 * WEFT_FINGERPRINT_MAX_LEN)

/** A certificate fingerprint: a hash function and the digest of the DER. */
typedef struct weft_fingerprint {
  int alg;    /**< one of enum weft_fingerprint_alg */
  size_t len; /**< digest length, set by the parser or the computation */
  uint8_t digest[WEFT_FINGERPRINT_MAX_LEN];
} weft_fingerprint;

/**
 * Parses the value of an SDP a=fingerprint attribute, "sha-256 AB:CD:...".
 * The hash name is case-insensitive, hex digits of either case are taken;
 * spaces or tabs separate name and digest. @p text need not be NUL-terminated
 * (@p len bytes are read). Returns 0, WEFT_ERR_UNSUPPORTED (unknown hash such
 * as "md2") or WEFT_ERR_PARSE (bad syntax or a digest of the wrong length).
 */
WEFT_EXTERN int weft_fingerprint_parse(weft_fingerprint *fp, const char *text,
                                       size_t len);

/**
 * Formats @p fp as in SDP: lower-case hash name, space, upper-case hex pairs
 * joined by colons, NUL-terminated. Returns the length written (without the
 * NUL), WEFT_ERR_BUFFER_TOO_SMALL or WEFT_ERR_INVALID_ARGUMENT.
 */
WEFT_EXTERN int weft_fingerprint_format(const weft_fingerprint *fp, char *buf,
                                        size_t buflen);

/** The RFC 8122 name of @p alg ("sha-256"), NULL when unknown. */
WEFT_EXTERN const char *weft_fingerprint_alg_name(int alg);

/** 1 when both have the same hash function and digest, else 0. */
WEFT_EXTERN int weft_fingerprint_equal(const weft_fingerprint *a,
                                       const weft_fingerprint *b);

/* ------------------------------------------------------------------------ */
/* Certificates                                                             */
/* ------------------------------------------------------------------------ */

/**
 * A certificate with its private key, and the DTLS context built around it.
 * Opaque and immutable; weft_dtls objects keep their own reference to what
 * they need, so the cert may be deleted while they live.
 */
typedef struct weft_cert weft_cert;

/** Key types for generated certificates. */
enum weft_cert_key {
  WEFT_CERT_ECDSA_P256 = 0, /**< what browsers generate (default) */
  WEFT_CERT_RSA_2048 = 1,
};

/** Settings for weft_cert_generate(). */
typedef struct weft_cert_settings {
  int key;                   /**< enum weft_cert_key */
  uint32_t validity_seconds; /**< default 30 days */
  /**
   * notBefore as Unix seconds. 0 (default) takes the wall clock minus one
   * day, the only clock read in weft's core: dates are informational here,
   * peers check the fingerprint, not the validity period.
   */
  int64_t not_before;
  const char *common_name; /**< default "weft"; copied */
  const weft_rand *rand;   /**< for the serial number; NULL = default */
} weft_cert_settings;

/** Fills the defaults: ECDSA P-256, 30 days, CN "weft". */
WEFT_EXTERN void weft_cert_settings_default(weft_cert_settings *s);

/**
 * Generates a self-signed certificate (random 64-bit serial, SHA-256
 * signature). @p s may be NULL for the defaults. On success *out is the new
 * certificate. Returns 0, WEFT_ERR_INVALID_ARGUMENT, WEFT_ERR_NOMEM or
 * WEFT_ERR_CRYPTO.
 */
WEFT_EXTERN int weft_cert_generate(weft_cert **out, const weft_cert_settings *s,
                                   const weft_mem *mem);

/**
 * Loads a certificate and its private key from PEM text in memory (the key
 * may follow the certificate in @p cert_pem, then @p key_pem may be NULL).
 * Returns 0, WEFT_ERR_CERTIFICATE (unreadable, or key and certificate do not
 * match), WEFT_ERR_NOMEM or WEFT_ERR_CRYPTO.
 */
WEFT_EXTERN int weft_cert_from_pem(weft_cert **out, const char *cert_pem,
                                   size_t cert_len, const char *key_pem,
                                   size_t key_len, const weft_mem *mem);

/**
 * Loads a certificate and key from PEM files (@p key_path NULL: the key is in
 * @p cert_path). Returns as weft_cert_from_pem(), or WEFT_ERR_IO.
 */
WEFT_EXTERN int weft_cert_load_pem(weft_cert **out, const char *cert_path,
                                   const char *key_path, const weft_mem *mem);

/**
 * Writes the certificate and the unencrypted private key as PEM into @p buf
 * (NUL-terminated). Returns the length, WEFT_ERR_BUFFER_TOO_SMALL or
 * WEFT_ERR_CRYPTO. The key is secret: callers choose where it goes.
 */
WEFT_EXTERN int weft_cert_to_pem(const weft_cert *cert, char *buf,
                                 size_t buflen);

/** Frees a certificate (NULL is ignored). */
WEFT_EXTERN void weft_cert_del(weft_cert *cert);

/**
 * Computes the fingerprint of @p cert with @p alg (enum
 * weft_fingerprint_alg). Returns 0, WEFT_ERR_UNSUPPORTED or WEFT_ERR_CRYPTO.
 */
WEFT_EXTERN int weft_cert_fingerprint(const weft_cert *cert, int alg,
                                      weft_fingerprint *fp);

/* ------------------------------------------------------------------------ */
/* SRTP protection profiles (RFC 5764, RFC 7714)                            */
/* ------------------------------------------------------------------------ */

/** IANA DTLS-SRTP protection profile identifiers. */
enum weft_srtp_profile {
  WEFT_SRTP_NONE = 0,
  WEFT_SRTP_AES128_CM_SHA1_80 = 0x0001,
  WEFT_SRTP_AES128_CM_SHA1_32 = 0x0002,
  WEFT_SRTP_AEAD_AES_128_GCM = 0x0007,
  WEFT_SRTP_AEAD_AES_256_GCM = 0x0008,
};

/** The OpenSSL/IANA name ("SRTP_AES128_CM_SHA1_80"), NULL when unknown. */
WEFT_EXTERN const char *weft_srtp_profile_name(int profile);

/**
 * Master key and salt lengths of @p profile in bytes. Returns 0 or
 * WEFT_ERR_UNSUPPORTED.
 */
WEFT_EXTERN int weft_srtp_profile_lengths(int profile, size_t *key_len,
                                          size_t *salt_len);

/** Most SRTP profiles weft_dtls_settings can offer. */
#define WEFT_DTLS_MAX_SRTP_PROFILES 4
/** Most remote fingerprints weft_dtls_settings can hold. */
#define WEFT_DTLS_MAX_FINGERPRINTS 4

/* ------------------------------------------------------------------------ */
/* The DTLS endpoint                                                        */
/* ------------------------------------------------------------------------ */

/** A DTLS 1.2 endpoint over one transport path. Opaque. */
typedef struct weft_dtls weft_dtls;

/** Handshake role: the client (a=setup:active) sends the ClientHello. */
enum weft_dtls_role {
  WEFT_DTLS_CLIENT = 0,
  WEFT_DTLS_SERVER = 1,
};

/**
 * Settings, copied by weft_dtls_new(). Retransmissions: when a flight is
 * sent, the next one is expected within `initial_rto`; each time the deadline
 * passes the flight is resent and the timeout doubled (at most `max_rto`);
 * after `max_retransmits` resends the handshake fails with WEFT_ERR_TIMEOUT.
 * The resent flights are produced by OpenSSL (fresh record numbers) right
 * after the original and held until weft's deadline: OpenSSL 3 re-reads the
 * real clock whenever it reads a record, so its timer is kept expired only
 * while those copies are made and far away otherwise.
 */
typedef struct weft_dtls_settings {
  const weft_cert *cert; /**< local certificate, required */
  int role;              /**< enum weft_dtls_role */
  /** Expected peer fingerprints: the peer's certificate is accepted when it
   * matches one of them (any hash function). None yet: the handshake waits
   * for weft_dtls_set_remote_fingerprints() (see there). */
  weft_fingerprint remote_fingerprints[WEFT_DTLS_MAX_FINGERPRINTS];
  size_t nremote_fingerprints;
  /** Largest datagram weft_dtls_poll_transmit() produces; default 1200. */
  size_t mtu;
  /** Profiles offered (client) or accepted (server), in preference order;
   * default AEAD_AES_128_GCM then AES128_CM_SHA1_80. 0 profiles: no
   * use_srtp extension. */
  uint16_t srtp_profiles[WEFT_DTLS_MAX_SRTP_PROFILES];
  size_t nsrtp_profiles;
  weft_tstamp initial_rto;  /**< default 400 ms */
  weft_tstamp max_rto;      /**< default 60 s */
  unsigned max_retransmits; /**< per flight, default 7, at most 10 */
  /** Bound of received application data not yet polled; default 256 KiB. */
  size_t recv_queue_bytes;
  /** Bound of records not yet polled for transmission; default 256 KiB. */
  size_t send_queue_bytes;
  weft_log log;
} weft_dtls_settings;

/** Fills the defaults (cert NULL, client, no fingerprints). */
WEFT_EXTERN void weft_dtls_settings_default(weft_dtls_settings *s);

/**
 * Creates an endpoint. @p settings is copied (the cert is referenced through
 * OpenSSL's reference counting). @p mem NULL: libc; OpenSSL's own
 * allocations do not go through it. Returns 0, WEFT_ERR_INVALID_ARGUMENT (no
 * cert, bad MTU, unknown SRTP profile), WEFT_ERR_NOMEM or WEFT_ERR_CRYPTO.
 */
WEFT_EXTERN int weft_dtls_new(weft_dtls **out,
                              const weft_dtls_settings *settings,
                              const weft_mem *mem);

/** Frees an endpoint (NULL is ignored). Sends nothing. */
WEFT_EXTERN void weft_dtls_del(weft_dtls *d);

/**
 * Replaces the expected peer fingerprints (when the SDP answer arrives after
 * the endpoint was created). While there are none, the peer's datagrams
 * that may carry its certificate (all but a server's first ClientHello) are
 * held, up to 32 KiB, and processed here once fingerprints are given; the
 * own flights keep being resent meanwhile (and time out if they never
 * come). Returns 0 or WEFT_ERR_INVALID_ARGUMENT (more than
 * WEFT_DTLS_MAX_FINGERPRINTS, or a malformed one).
 */
WEFT_EXTERN int weft_dtls_set_remote_fingerprints(weft_dtls *d,
                                                  const weft_fingerprint *fps,
                                                  size_t n);

/**
 * Client: sends the ClientHello. A server starts by itself on the first
 * ClientHello. Returns 0, WEFT_ERR_INVALID_STATE (server, or started twice)
 * or a fatal handshake error.
 */
WEFT_EXTERN int weft_dtls_start(weft_dtls *d, weft_tstamp now);

/**
 * Processes one datagram from the network (its first byte in 20..63, RFC
 * 7983). Malformed datagrams (bad record framing, an encrypted record too
 * short for its cipher), datagrams before a server's ClientHello or after
 * the end of the connection are dropped and counted (rx_dropped); records
 * that fail authentication are dropped silently by OpenSSL. None is fatal.
 * Handshake failures (fingerprint mismatch, alert) are reported as a
 * WEFT_DTLS_EVENT_FAILED event. Returns 0 or WEFT_ERR_INVALID_ARGUMENT.
 */
WEFT_EXTERN int weft_dtls_recv(weft_dtls *d, weft_tstamp now,
                               const uint8_t *data, size_t len);

/**
 * Writes the next datagram to send into @p buf: one or more whole DTLS
 * records, never more than the MTU. Returns its length, 0 when there is
 * nothing to send, or WEFT_ERR_BUFFER_TOO_SMALL (@p buflen below the next
 * record; make it at least the MTU).
 */
WEFT_EXTERN int weft_dtls_poll_transmit(weft_dtls *d, weft_tstamp now,
                                        uint8_t *buf, size_t buflen);

/** Kinds of weft_dtls_event. */
enum weft_dtls_event_type {
  WEFT_DTLS_EVENT_NONE = 0,
  /** Handshake complete, peer authenticated; `srtp_profile` is set. */
  WEFT_DTLS_EVENT_HANDSHAKE_DONE = 1,
  /** Application data of one record: `data`, `len`. */
  WEFT_DTLS_EVENT_DATA = 2,
  /** An alert was received (`sent` 0) or sent (`sent` 1). */
  WEFT_DTLS_EVENT_ALERT = 3,
  /** The peer sent close_notify; the connection is closed. */
  WEFT_DTLS_EVENT_CLOSED = 4,
  /** The connection failed: `reason` is a weft error code such as
   * WEFT_ERR_DTLS_FINGERPRINT, WEFT_ERR_DTLS_ALERT, WEFT_ERR_TIMEOUT or
   * WEFT_ERR_DTLS_HANDSHAKE. Only weft_dtls_del() is useful afterwards. */
  WEFT_DTLS_EVENT_FAILED = 5,
};

/**
 * An event. For WEFT_DTLS_EVENT_DATA, `data` points into the endpoint's
 * buffer and stays valid until the next call on the endpoint.
 */
typedef struct weft_dtls_event {
  int type;              /**< enum weft_dtls_event_type */
  uint16_t srtp_profile; /**< HANDSHAKE_DONE: enum weft_srtp_profile or 0 */
  const uint8_t *data;   /**< DATA */
  size_t len;            /**< DATA */
  int alert_level;       /**< ALERT: 1 warning, 2 fatal */
  int alert_description; /**< ALERT: TLS AlertDescription (42 bad cert) */
  int sent;              /**< ALERT: 1 when we sent it */
  int reason;            /**< FAILED: weft error code */
} weft_dtls_event;

/** Takes the next event into @p ev. Returns 1 with an event, 0 when none. */
WEFT_EXTERN int weft_dtls_poll_event(weft_dtls *d, weft_dtls_event *ev);

/** When weft_dtls_handle_timeout() is next due; WEFT_TSTAMP_NONE if never. */
WEFT_EXTERN weft_tstamp weft_dtls_deadline(const weft_dtls *d);

/**
 * Resends the current flight when the deadline has passed (or fails the
 * handshake after max_retransmits). Calling it early does nothing. Returns 0.
 */
WEFT_EXTERN int weft_dtls_handle_timeout(weft_dtls *d, weft_tstamp now);

/**
 * Sends @p len bytes of application data as one record (a DTLS record is
 * never split, so an SCTP packet stays whole). Returns 0,
 * WEFT_ERR_INVALID_STATE (handshake not done, closed or failed),
 * WEFT_ERR_LIMIT (@p len above weft_dtls_max_payload()) or
 * WEFT_ERR_QUEUE_FULL (poll transmissions first).
 */
WEFT_EXTERN int weft_dtls_write(weft_dtls *d, weft_tstamp now,
                                const uint8_t *data, size_t len);

/**
 * Largest application payload weft_dtls_write() takes so that its record
 * fits the MTU (depends on the cipher; 0 before the handshake is done).
 */
WEFT_EXTERN size_t weft_dtls_max_payload(const weft_dtls *d);

/**
 * Sends close_notify; afterwards nothing more is sent or delivered. Returns
 * 0 or WEFT_ERR_INVALID_STATE (never connected, or already closed).
 */
WEFT_EXTERN int weft_dtls_close(weft_dtls *d, weft_tstamp now);

/** Connection states (weft_dtls_state()). */
enum weft_dtls_state {
  WEFT_DTLS_STATE_NEW = 0,
  WEFT_DTLS_STATE_HANDSHAKING = 1,
  WEFT_DTLS_STATE_CONNECTED = 2,
  WEFT_DTLS_STATE_CLOSED = 3,
  WEFT_DTLS_STATE_FAILED = 4,
};

/** The current state (enum weft_dtls_state). */
WEFT_EXTERN int weft_dtls_state(const weft_dtls *d);

/** The negotiated SRTP profile (enum weft_srtp_profile), 0 if none. */
WEFT_EXTERN int weft_dtls_srtp_profile(const weft_dtls *d);

/**
 * Exports the RFC 5764 keying material ("EXTRACTOR-dtls_srtp") for the
 * negotiated profile: client key, server key, client salt, server salt.
 * Returns its length (2 * (key + salt)), WEFT_ERR_INVALID_STATE (not
 * connected or no profile), WEFT_ERR_BUFFER_TOO_SMALL or WEFT_ERR_CRYPTO.
 */
WEFT_EXTERN int weft_dtls_export_srtp_keys(const weft_dtls *d, uint8_t *out,
                                           size_t outlen);

/** SRTP master keys split by direction for this endpoint's role. */
typedef struct weft_dtls_srtp_keys {
  uint16_t profile;
  size_t key_len, salt_len;
  uint8_t local_key[32], local_salt[14];   /**< protect what we send */
  uint8_t remote_key[32], remote_salt[14]; /**< unprotect what we get */
} weft_dtls_srtp_keys;

/** weft_dtls_export_srtp_keys() split by direction. Returns 0 or its error. */
WEFT_EXTERN int weft_dtls_srtp_keys_get(const weft_dtls *d,
                                        weft_dtls_srtp_keys *keys);

/** Facts about the connection, for logs and tests. */
typedef struct weft_dtls_info {
  const char *cipher;         /**< OpenSSL cipher name (static), NULL before */
  int version;                /**< 0xFEFD for DTLS 1.2, 0 before */
  int extended_master_secret; /**< 1 when RFC 7627 EMS is in use */
  uint16_t srtp_profile;
  /** Peer certificate fingerprint (SHA-256), len 0 before. */
  weft_fingerprint remote_fingerprint;
} weft_dtls_info;

/** Fills @p info. */
WEFT_EXTERN void weft_dtls_get_info(const weft_dtls *d, weft_dtls_info *info);

/** Counters (cumulative). */
typedef struct weft_dtls_stats {
  uint64_t rx_datagrams;   /**< datagrams given to weft_dtls_recv */
  uint64_t rx_dropped;     /**< malformed, late or refused datagrams */
  uint64_t rx_app_records; /**< application data records delivered */
  uint64_t rx_app_dropped; /**< application records dropped (queue full) */
  uint64_t tx_datagrams;   /**< datagrams returned by poll_transmit */
  uint64_t tx_records;
  uint64_t retransmits; /**< flights resent on timeout */
} weft_dtls_stats;

/** Fills @p stats. */
WEFT_EXTERN void weft_dtls_get_stats(const weft_dtls *d,
                                     weft_dtls_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_DTLS_H */
