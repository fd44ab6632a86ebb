/**
 * @file stun.h
 * STUN (RFC 8489) message codec with the ICE (RFC 8445) and TURN (RFC 8656)
 * attributes, short- and long-term credentials, and a stateless Binding
 * responder for servers.
 *
 * The codec is pure: no allocation, no state. A decoded message is a view
 * into the caller's buffer, which must outlive it.
 */
#ifndef WEFT_STUN_H
#define WEFT_STUN_H

#include "weft/weft.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WEFT_STUN_HEADER_LEN 20
#define WEFT_STUN_MAGIC_COOKIE 0x2112A442u
#define WEFT_STUN_TXID_LEN 12
#define WEFT_STUN_FINGERPRINT_XOR 0x5354554Eu
/** Most attributes a decoded message holds; more is
 * WEFT_ERR_STUN_TOO_MANY_ATTRIBUTES. */
#define WEFT_STUN_MAX_ATTRS 40
/** Most unknown comprehension-required attributes remembered for a 420. */
#define WEFT_STUN_MAX_UNKNOWN 8
/** Largest message weft builds or accepts over UDP (bytes). */
#define WEFT_STUN_MAX_MSG 1500

enum weft_stun_class {
  WEFT_STUN_REQUEST = 0,
  WEFT_STUN_INDICATION = 1,
  WEFT_STUN_SUCCESS = 2,
  WEFT_STUN_ERROR = 3,
};

enum weft_stun_method {
  WEFT_STUN_BINDING = 0x001,
  WEFT_STUN_ALLOCATE = 0x003,
  WEFT_STUN_REFRESH = 0x004,
  WEFT_STUN_SEND = 0x006,
  WEFT_STUN_DATA = 0x007,
  WEFT_STUN_CREATE_PERMISSION = 0x008,
  WEFT_STUN_CHANNEL_BIND = 0x009,
  WEFT_STUN_CONNECT = 0x00a,
  WEFT_STUN_CONNECTION_BIND = 0x00b,
  WEFT_STUN_CONNECTION_ATTEMPT = 0x00c,
};

enum weft_stun_attr_type {
  /* comprehension-required (0x0000-0x7FFF) */
  WEFT_STUN_ATTR_MAPPED_ADDRESS = 0x0001,
  WEFT_STUN_ATTR_CHANGE_REQUEST = 0x0003,
  WEFT_STUN_ATTR_USERNAME = 0x0006,
  WEFT_STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
  WEFT_STUN_ATTR_ERROR_CODE = 0x0009,
  WEFT_STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
  WEFT_STUN_ATTR_CHANNEL_NUMBER = 0x000C,
  WEFT_STUN_ATTR_LIFETIME = 0x000D,
  WEFT_STUN_ATTR_XOR_PEER_ADDRESS = 0x0012,
  WEFT_STUN_ATTR_DATA = 0x0013,
  WEFT_STUN_ATTR_REALM = 0x0014,
  WEFT_STUN_ATTR_NONCE = 0x0015,
  WEFT_STUN_ATTR_XOR_RELAYED_ADDRESS = 0x0016,
  WEFT_STUN_ATTR_REQUESTED_ADDRESS_FAMILY = 0x0017,
  WEFT_STUN_ATTR_EVEN_PORT = 0x0018,
  WEFT_STUN_ATTR_REQUESTED_TRANSPORT = 0x0019,
  WEFT_STUN_ATTR_DONT_FRAGMENT = 0x001A,
  WEFT_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
  WEFT_STUN_ATTR_PASSWORD_ALGORITHM = 0x001D,
  WEFT_STUN_ATTR_USERHASH = 0x001E,
  WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
  WEFT_STUN_ATTR_RESERVATION_TOKEN = 0x0022,
  WEFT_STUN_ATTR_PRIORITY = 0x0024,
  WEFT_STUN_ATTR_USE_CANDIDATE = 0x0025,
  WEFT_STUN_ATTR_CONNECTION_ID = 0x002A,
  /* comprehension-optional (0x8000-0xFFFF) */
  WEFT_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY = 0x8000,
  WEFT_STUN_ATTR_ADDRESS_ERROR_CODE = 0x8001,
  WEFT_STUN_ATTR_PASSWORD_ALGORITHMS = 0x8002,
  WEFT_STUN_ATTR_ALTERNATE_DOMAIN = 0x8003,
  WEFT_STUN_ATTR_ICMP = 0x8004,
  WEFT_STUN_ATTR_SOFTWARE = 0x8022,
  WEFT_STUN_ATTR_ALTERNATE_SERVER = 0x8023,
  WEFT_STUN_ATTR_FINGERPRINT = 0x8028,
  WEFT_STUN_ATTR_ICE_CONTROLLED = 0x8029,
  WEFT_STUN_ATTR_ICE_CONTROLLING = 0x802A,
  WEFT_STUN_ATTR_RESPONSE_ORIGIN = 0x802B,
  WEFT_STUN_ATTR_OTHER_ADDRESS = 0x802C,
};

/** PASSWORD-ALGORITHM values (RFC 8489 section 18.5). */
enum weft_stun_password_alg {
  WEFT_STUN_PASSWORD_MD5 = 0x0001,
  WEFT_STUN_PASSWORD_SHA256 = 0x0002,
};

/** STUN/TURN error codes (wire values). */
enum weft_stun_error_code {
  WEFT_STUN_ERR_TRY_ALTERNATE = 300,
  WEFT_STUN_ERR_BAD_REQUEST = 400,
  WEFT_STUN_ERR_UNAUTHORIZED = 401,
  WEFT_STUN_ERR_FORBIDDEN = 403,
  WEFT_STUN_ERR_UNKNOWN_ATTRIBUTE = 420,
  WEFT_STUN_ERR_ALLOCATION_MISMATCH = 437,
  WEFT_STUN_ERR_STALE_NONCE = 438,
  WEFT_STUN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED = 440,
  WEFT_STUN_ERR_WRONG_CREDENTIALS = 441,
  WEFT_STUN_ERR_UNSUPPORTED_TRANSPORT = 442,
  WEFT_STUN_ERR_PEER_ADDRESS_FAMILY_MISMATCH = 443,
  WEFT_STUN_ERR_ALLOCATION_QUOTA = 486,
  WEFT_STUN_ERR_ROLE_CONFLICT = 487,
  WEFT_STUN_ERR_SERVER_ERROR = 500,
  WEFT_STUN_ERR_INSUFFICIENT_CAPACITY = 508,
};

/** The reason phrase RFC 8489 / RFC 8656 suggest for a code ("" if none). */
WEFT_EXTERN const char *weft_stun_error_reason(int code);

/** One attribute: a view into the message. */
typedef struct weft_stun_attr {
  uint16_t type;
  uint16_t len;         /**< value length, without padding */
  const uint8_t *value; /**< points into the message */
  uint16_t offset;      /**< offset of the attribute header in the message */
} weft_stun_attr;

/** A decoded message: a view into the buffer given to decode. */
typedef struct weft_stun_msg {
  uint16_t method; /**< enum weft_stun_method */
  uint8_t cls;     /**< enum weft_stun_class */
  uint8_t txid[WEFT_STUN_TXID_LEN];
  const uint8_t *raw;
  size_t len; /**< whole message, header included */
  size_t nattrs;
  weft_stun_attr attrs[WEFT_STUN_MAX_ATTRS];
  /** index into attrs of MESSAGE-INTEGRITY, -SHA256, FINGERPRINT; -1 if absent
   */
  int integrity;
  int integrity_sha256;
  int fingerprint;
  /** comprehension-required attributes weft does not understand (for 420) */
  size_t nunknown;
  uint16_t unknown[WEFT_STUN_MAX_UNKNOWN];
} weft_stun_msg;

/**
 * Cheap test of whether @p buf looks like a STUN message (first two bits 0,
 * magic cookie, length consistent and a multiple of 4). Returns 1 or 0.
 */
WEFT_EXTERN int weft_stun_is_stun(const uint8_t *buf, size_t len);

/**
 * Decodes a whole STUN message. Checks the header, every attribute's bounds
 * and padding, the length of known fixed-size attributes, and the RFC 8489
 * ordering rules (only FINGERPRINT may follow MESSAGE-INTEGRITY(-SHA256);
 * attributes after them are ignored as the RFC says). When FINGERPRINT is
 * present it is verified. Unknown comprehension-required attributes are
 * collected in `unknown` (the message still decodes: the caller answers 420
 * to a request, see weft_stun_msg_check_unknown()).
 *
 * @param msg  out; valid while @p buf is.
 * Returns 0 or one of: WEFT_ERR_STUN_NOT_STUN, WEFT_ERR_STUN_MALFORMED,
 * WEFT_ERR_STUN_FINGERPRINT, WEFT_ERR_STUN_TOO_MANY_ATTRIBUTES.
 */
WEFT_EXTERN int weft_stun_msg_decode(weft_stun_msg *msg, const uint8_t *buf,
                                     size_t len);

/** The first attribute of @p type, or NULL. */
WEFT_EXTERN const weft_stun_attr *weft_stun_msg_find(const weft_stun_msg *msg,
                                                     uint16_t type);

/** Returns WEFT_ERR_STUN_UNKNOWN_ATTRIBUTE when the message carries unknown
 * comprehension-required attributes, else 0. */
WEFT_EXTERN int weft_stun_msg_check_unknown(const weft_stun_msg *msg);

/* ---- typed attribute readers (each returns 0 or WEFT_ERR_STUN_MALFORMED) */

/** MAPPED-ADDRESS, ALTERNATE-SERVER, RESPONSE-ORIGIN, OTHER-ADDRESS. */
WEFT_EXTERN int weft_stun_attr_addr(const weft_stun_attr *a, weft_addr *out);
/** XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS. */
WEFT_EXTERN int weft_stun_attr_xor_addr(const weft_stun_msg *msg,
                                        const weft_stun_attr *a,
                                        weft_addr *out);
WEFT_EXTERN int weft_stun_attr_u32(const weft_stun_attr *a, uint32_t *out);
WEFT_EXTERN int weft_stun_attr_u64(const weft_stun_attr *a, uint64_t *out);
/** ERROR-CODE: the code (300..699) and a view of the reason phrase. */
WEFT_EXTERN int weft_stun_attr_error(const weft_stun_attr *a, int *code,
                                     const char **reason, size_t *reason_len);
/** UNKNOWN-ATTRIBUTES: up to @p max types into @p types; *n gets the count. */
WEFT_EXTERN int weft_stun_attr_unknown(const weft_stun_attr *a, uint16_t *types,
                                       size_t max, size_t *n);
/** PASSWORD-ALGORITHM: the algorithm and a view of its parameters. */
WEFT_EXTERN int weft_stun_attr_password_alg(const weft_stun_attr *a,
                                            uint16_t *alg,
                                            const uint8_t **params,
                                            size_t *params_len);
/** PASSWORD-ALGORITHMS: the algorithm numbers, up to @p max. */
WEFT_EXTERN int weft_stun_attr_password_algs(const weft_stun_attr *a,
                                             uint16_t *algs, size_t max,
                                             size_t *n);

/* ---- credentials --------------------------------------------------------- */

/** Most bytes of a key: a short-term password, or a long-term hash (32). */
#define WEFT_STUN_MAX_KEY 256

/**
 * The long-term key (RFC 8489 section 9.2.2): MD5 or SHA-256 of
 * "username:realm:password" (the SASLprep of RFC 8265 is the caller's, as
 * OpaqueString profile strings are passed through unchanged). Writes 16 or
 * 32 bytes to @p key and their count to *keylen. Returns 0,
 * WEFT_ERR_INVALID_ARGUMENT or WEFT_ERR_CRYPTO.
 */
WEFT_EXTERN int weft_stun_long_term_key(uint16_t alg, const char *username,
                                        const char *realm, const char *password,
                                        uint8_t *key, size_t *keylen);

/**
 * USERHASH (RFC 8489 section 14.4): SHA-256 of "username:realm", 32 bytes.
 */
WEFT_EXTERN int weft_stun_userhash(const char *username, const char *realm,
                                   uint8_t out[32]);

/**
 * Verifies MESSAGE-INTEGRITY-SHA256 if present, else MESSAGE-INTEGRITY,
 * with @p key (the short-term password, or the long-term key).
 * Returns 0 or one of: WEFT_ERR_STUN_NO_INTEGRITY (neither present),
 * WEFT_ERR_STUN_INTEGRITY (mismatch), WEFT_ERR_STUN_MALFORMED.
 */
WEFT_EXTERN int weft_stun_msg_check_integrity(const weft_stun_msg *msg,
                                              const uint8_t *key,
                                              size_t keylen);

/**
 * A keyed integrity context for a key used for many messages (an ICE
 * password, a TURN long-term key): keying HMAC once makes each check or
 * signature cheaper than weft_stun_msg_check_integrity() with the raw key.
 * Holds both the HMAC-SHA1 and HMAC-SHA256 keying. Opaque; use from one
 * thread at a time (checking with it mutates its internal HMAC state).
 */
typedef struct weft_stun_key weft_stun_key;

/**
 * Creates a keyed context for @p key (@p keylen bytes; the short-term
 * password, or the output of weft_stun_long_term_key()). @p mem NULL: libc.
 * Returns 0 or one of: WEFT_ERR_INVALID_ARGUMENT, WEFT_ERR_NOMEM,
 * WEFT_ERR_CRYPTO.
 */
WEFT_EXTERN int weft_stun_key_new(weft_stun_key **out, const uint8_t *key,
                                  size_t keylen, const weft_mem *mem);
/** Frees a keyed context (NULL is fine). */
WEFT_EXTERN void weft_stun_key_del(weft_stun_key *k);

/** weft_stun_msg_check_integrity() with a keyed context; same returns
 * (and WEFT_ERR_INVALID_ARGUMENT for a NULL @p k). */
WEFT_EXTERN int weft_stun_msg_check_integrity_key(const weft_stun_msg *msg,
                                                  weft_stun_key *k);

/* ---- building ------------------------------------------------------------ */

/**
 * Builds a message in place in the caller's buffer. Add attributes in order,
 * then integrity (optional) and fingerprint (optional) last, then finish.
 * Errors are sticky: check the return of weft_stun_builder_finish().
 */
typedef struct weft_stun_builder {
  uint8_t *buf;
  size_t cap;
  size_t len;
  int err;
} weft_stun_builder;

/** Starts a message. @p txid NULL: zero (the caller fills it before). */
WEFT_EXTERN int weft_stun_builder_init(weft_stun_builder *b, uint8_t *buf,
                                       size_t cap, uint16_t method, uint8_t cls,
                                       const uint8_t *txid);
/** Starts a response to @p req (same method and transaction id). */
WEFT_EXTERN int weft_stun_builder_init_response(weft_stun_builder *b,
                                                uint8_t *buf, size_t cap,
                                                const weft_stun_msg *req,
                                                uint8_t cls);
WEFT_EXTERN int weft_stun_builder_add(weft_stun_builder *b, uint16_t type,
                                      const void *value, size_t len);
WEFT_EXTERN int weft_stun_builder_add_str(weft_stun_builder *b, uint16_t type,
                                          const char *s);
WEFT_EXTERN int weft_stun_builder_add_u32(weft_stun_builder *b, uint16_t type,
                                          uint32_t v);
WEFT_EXTERN int weft_stun_builder_add_u64(weft_stun_builder *b, uint16_t type,
                                          uint64_t v);
/** A zero-length attribute (USE-CANDIDATE, DONT-FRAGMENT). */
WEFT_EXTERN int weft_stun_builder_add_flag(weft_stun_builder *b, uint16_t type);
WEFT_EXTERN int weft_stun_builder_add_addr(weft_stun_builder *b, uint16_t type,
                                           const weft_addr *addr);
WEFT_EXTERN int weft_stun_builder_add_xor_addr(weft_stun_builder *b,
                                               uint16_t type,
                                               const weft_addr *addr);
/** ERROR-CODE; @p reason NULL: weft_stun_error_reason(code). */
WEFT_EXTERN int weft_stun_builder_add_error(weft_stun_builder *b, int code,
                                            const char *reason);
WEFT_EXTERN int weft_stun_builder_add_unknown(weft_stun_builder *b,
                                              const uint16_t *types, size_t n);
WEFT_EXTERN int weft_stun_builder_add_password_algs(weft_stun_builder *b,
                                                    const uint16_t *algs,
                                                    size_t n);
WEFT_EXTERN int weft_stun_builder_add_password_alg(weft_stun_builder *b,
                                                   uint16_t alg);
/** MESSAGE-INTEGRITY (HMAC-SHA1) with @p key. */
WEFT_EXTERN int weft_stun_builder_add_integrity(weft_stun_builder *b,
                                                const uint8_t *key,
                                                size_t keylen);
/** MESSAGE-INTEGRITY-SHA256 (full 32 bytes) with @p key. */
WEFT_EXTERN int weft_stun_builder_add_integrity_sha256(weft_stun_builder *b,
                                                       const uint8_t *key,
                                                       size_t keylen);
/** MESSAGE-INTEGRITY (HMAC-SHA1) with a keyed context. */
WEFT_EXTERN int weft_stun_builder_add_integrity_key(weft_stun_builder *b,
                                                    weft_stun_key *k);
/** MESSAGE-INTEGRITY-SHA256 (full 32 bytes) with a keyed context. */
WEFT_EXTERN int weft_stun_builder_add_integrity_sha256_key(weft_stun_builder *b,
                                                           weft_stun_key *k);
/** FINGERPRINT: CRC-32 of the message so far XOR 0x5354554E. */
WEFT_EXTERN int weft_stun_builder_add_fingerprint(weft_stun_builder *b);
/** Returns the message length, or the first error met while building. */
WEFT_EXTERN int weft_stun_builder_finish(weft_stun_builder *b);

/* ---- a stateless Binding responder (for `weft stun`, TURN, ICE-lite) ---- */

/** Counters of a responder; all only grow. */
typedef struct weft_stun_server_stats {
  uint64_t received;
  uint64_t answered;    /**< success responses */
  uint64_t errors_sent; /**< error responses (400, 420, ...) */
  uint64_t dropped_malformed;
  uint64_t dropped_not_request; /**< responses, indications, other methods */
} weft_stun_server_stats;

typedef struct weft_stun_server_settings {
  /** SOFTWARE attribute text, NULL for none. Copied by pointer: keep alive. */
  const char *software;
  /** Add FINGERPRINT to responses (default 1). */
  int fingerprint;
  weft_log log;
} weft_stun_server_settings;

WEFT_EXTERN void
weft_stun_server_settings_default(weft_stun_server_settings *s);

/**
 * Answers one datagram received from @p from: a Binding request gets a
 * success response with XOR-MAPPED-ADDRESS (and MAPPED-ADDRESS for RFC 3489
 * clients without the magic cookie is not supported: they are dropped); a
 * request with unknown comprehension-required attributes gets 420 with
 * UNKNOWN-ATTRIBUTES; a malformed one, non-request, or another method
 * (unless a TURN server handles it first) is dropped and counted.
 *
 * No allocation, no HMAC: the hot path of a STUN server. Thread-safe as
 * long as each thread has its own @p stats.
 *
 * @return the response length written to @p out (> 0), 0 when the input is
 *         dropped, WEFT_ERR_BUFFER_TOO_SMALL, or WEFT_ERR_INVALID_ARGUMENT
 *         (a NULL argument, or @p from neither IPv4 nor IPv6).
 */
WEFT_EXTERN int weft_stun_server_answer(const weft_stun_server_settings *s,
                                        weft_stun_server_stats *stats,
                                        const weft_addr *from,
                                        const uint8_t *in, size_t inlen,
                                        uint8_t *out, size_t outcap);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_STUN_H */
