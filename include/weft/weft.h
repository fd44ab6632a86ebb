/**
 * @file weft.h
 * Base types shared by every weft module: time, errors, memory hooks,
 * logging, socket addresses and randomness.
 *
 * Threading: nothing in libweft is thread-safe on its own; an object is used
 * from one thread at a time. The functions here that take no object are
 * thread-safe.
 */
#ifndef WEFT_WEFT_H
#define WEFT_WEFT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define WEFT_EXTERN __attribute__((visibility("default")))
#define WEFT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define WEFT_EXTERN
#define WEFT_PRINTF(f, a)
#endif

/* ------------------------------------------------------------------------ */
/* Time                                                                     */
/* ------------------------------------------------------------------------ */

/** Monotonic time in nanoseconds, always passed in by the caller. */
typedef uint64_t weft_tstamp;
typedef int64_t weft_duration;

/** A deadline that never comes. */
#define WEFT_TSTAMP_NONE UINT64_MAX
#define WEFT_NANOSECONDS ((weft_tstamp)1)
#define WEFT_MICROSECONDS ((weft_tstamp)1000)
#define WEFT_MILLISECONDS ((weft_tstamp)1000000)
#define WEFT_SECONDS ((weft_tstamp)1000000000)

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/**
 * Library error codes: 0 is success, failures are negative, grouped by module.
 * Codes below WEFT_ERR_FATAL leave the object unusable but for its `_del`.
 * Wire codes (STUN error codes, SCTP causes, DTLS alerts) are never returned
 * as library errors; they are mapped.
 */
enum weft_error {
  WEFT_OK = 0,
  /* generic -1 .. -99 */
  WEFT_ERR_INVALID_ARGUMENT = -1,
  WEFT_ERR_NOMEM = -2,
  WEFT_ERR_BUFFER_TOO_SMALL = -3,
  WEFT_ERR_PARSE = -4,
  WEFT_ERR_NOT_FOUND = -5,
  WEFT_ERR_QUEUE_FULL = -6,
  WEFT_ERR_INVALID_STATE = -7,
  WEFT_ERR_UNSUPPORTED = -8,
  WEFT_ERR_EXISTS = -9,
  WEFT_ERR_LIMIT = -10,
  WEFT_ERR_IO = -11,
  WEFT_ERR_TIMEOUT = -12,
  WEFT_ERR_ADDR_PARSE = -13,
  WEFT_ERR_ADDR_IN_USE = -14,
  WEFT_ERR_RESOLVE = -15,
  /* STUN / TURN -100 .. -199 */
  WEFT_ERR_STUN_NOT_STUN = -100,
  WEFT_ERR_STUN_MALFORMED = -101,
  WEFT_ERR_STUN_FINGERPRINT = -102,
  WEFT_ERR_STUN_INTEGRITY = -103,
  WEFT_ERR_STUN_NO_INTEGRITY = -104,
  WEFT_ERR_STUN_UNKNOWN_ATTRIBUTE = -105,
  WEFT_ERR_STUN_TOO_MANY_ATTRIBUTES = -106,
  WEFT_ERR_STUN_ERROR_RESPONSE = -107,
  WEFT_ERR_STUN_TIMEOUT = -108,
  WEFT_ERR_STUN_ATTRIBUTE_MISSING = -109,
  WEFT_ERR_TURN_ALLOCATION = -150,
  WEFT_ERR_TURN_AUTH = -151,
  WEFT_ERR_TURN_QUOTA = -152,
  WEFT_ERR_TURN_PERMISSION = -153,
  /* ICE -200 .. -299 */
  WEFT_ERR_ICE_FAILED = -200,
  WEFT_ERR_ICE_ROLE_CONFLICT = -201,
  WEFT_ERR_ICE_CONSENT_EXPIRED = -202,
  WEFT_ERR_ICE_CANDIDATE = -203,
  /* DTLS / crypto -300 .. -399 */
  WEFT_ERR_CRYPTO = -300,
  WEFT_ERR_DTLS_HANDSHAKE = -301,
  WEFT_ERR_DTLS_FINGERPRINT = -302,
  WEFT_ERR_DTLS_ALERT = -303,
  WEFT_ERR_DTLS_CLOSED = -304,
  WEFT_ERR_CERTIFICATE = -305,
  /* SCTP / data channel -400 .. -499 */
  WEFT_ERR_SCTP_ABORTED = -400,
  WEFT_ERR_SCTP_MALFORMED = -401,
  WEFT_ERR_SCTP_MESSAGE_TOO_BIG = -402,
  WEFT_ERR_SCTP_STREAM = -403,
  WEFT_ERR_SCTP_CLOSED = -404,
  WEFT_ERR_DATACHANNEL = -450,
  WEFT_ERR_DATACHANNEL_CLOSED = -451,
  /* SRTP / RTP / RTCP -500 .. -599 */
  WEFT_ERR_SRTP_AUTH = -500,
  WEFT_ERR_SRTP_REPLAY = -501,
  WEFT_ERR_RTP_MALFORMED = -510,
  WEFT_ERR_RTCP_MALFORMED = -520,
  /* SDP / JSEP -600 .. -699 */
  WEFT_ERR_SDP_PARSE = -600,
  WEFT_ERR_SDP_INVALID = -601,
  WEFT_ERR_JSEP_STATE = -610,
  /* fatal: below -900, only `_del` is valid afterwards */
  WEFT_ERR_FATAL = -900,
  WEFT_ERR_INTERNAL = -901,
};

/**
 * A static, human-readable, one-line text for an error code (never NULL;
 * "unknown error" for codes weft does not define). Thread-safe.
 */
WEFT_EXTERN const char *weft_strerror(int err);

/** Whether @p err is fatal (the object may only be deleted). */
#define WEFT_ERR_IS_FATAL(err) ((err) <= WEFT_ERR_FATAL)

/* ------------------------------------------------------------------------ */
/* Memory                                                                   */
/* ------------------------------------------------------------------------ */

/**
 * Allocator hooks. Every heap allocation of libweft goes through one of
 * these; pass NULL wherever a `const weft_mem *` is asked for to use libc.
 */
typedef struct weft_mem {
  void *user_data;
  void *(*malloc)(size_t size, void *user_data);
  void (*free)(void *ptr, void *user_data);
  void *(*calloc)(size_t nmemb, size_t size, void *user_data);
  void *(*realloc)(void *ptr, size_t size, void *user_data);
} weft_mem;

/** The libc allocator as a weft_mem (static, never NULL). */
WEFT_EXTERN const weft_mem *weft_mem_default(void);

/* ------------------------------------------------------------------------ */
/* Logging                                                                  */
/* ------------------------------------------------------------------------ */

enum weft_log_level {
  WEFT_LOG_NONE = 0,
  WEFT_LOG_ERROR = 1,
  WEFT_LOG_WARN = 2,
  WEFT_LOG_INFO = 3,
  WEFT_LOG_DEBUG = 4,
  WEFT_LOG_TRACE = 5,
};

/**
 * A log sink: receives one formatted line (no trailing newline) with its
 * level and the module that wrote it ("stun", "ice", ...). Must not call back
 * into the object that logs.
 */
typedef void (*weft_log_fn)(void *user_data, int level, const char *module,
                            const char *line);

/**
 * Logging settings, held by value in each object's settings. A NULL `fn`
 * logs to stderr. `level` is the most verbose level written; messages above
 * it are not even formatted. `pii` set: addresses and ICE credentials are
 * written as they are; unset (default): redacted.
 */
typedef struct weft_log {
  weft_log_fn fn;
  void *user_data;
  int level;
  int pii;
} weft_log;

/** Default log settings: stderr, level WEFT_LOG_WARN, PII redacted. */
WEFT_EXTERN void weft_log_default(weft_log *log);

/** Writes one line through @p log (NULL: nothing). Checks the level first. */
WEFT_EXTERN void weft_log_write(const weft_log *log, int level,
                                const char *module, const char *fmt, ...)
    WEFT_PRINTF(4, 5);

/** The level's name: "error", "warn", "info", "debug", "trace". */
WEFT_EXTERN const char *weft_log_level_name(int level);

/**
 * Parses a level name ("none", "error", "warn", "info", "debug", "trace") or
 * a digit. Returns the level, or WEFT_ERR_INVALID_ARGUMENT.
 */
WEFT_EXTERN int weft_log_level_parse(const char *name);

#define WEFT_LOG(log, lvl, module, ...)                                        \
  do {                                                                         \
    if ((log) != NULL && (lvl) <= (log)->level)                                \
      weft_log_write((log), (lvl), (module), __VA_ARGS__);                     \
  } while (0)

/* ------------------------------------------------------------------------ */
/* Socket addresses                                                         */
/* ------------------------------------------------------------------------ */

/** An IPv4 or IPv6 transport address (family AF_UNSPEC when unset). */
typedef struct weft_addr {
  union {
    struct sockaddr sa;
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
  } u;
} weft_addr;

/** Room for any formatted address, "[ffff:...:ffff%scope]:65535". */
#define WEFT_ADDR_STRLEN 64

/**
 * Parses "1.2.3.4", "1.2.3.4:5", "::1", "[::1]", "[::1]:5" (numeric only; no
 * DNS). A missing port becomes @p default_port. Returns 0,
 * WEFT_ERR_ADDR_PARSE (bad address or port) or WEFT_ERR_INVALID_ARGUMENT.
 */
WEFT_EXTERN int weft_addr_parse(weft_addr *addr, const char *text,
                                uint16_t default_port);

/**
 * Formats as "1.2.3.4:5" or "[::1]:5" into @p buf (NUL-terminated, truncated
 * to @p len). Returns @p buf.
 */
WEFT_EXTERN char *weft_addr_format(const weft_addr *addr, char *buf,
                                   size_t len);

/** Formats the IP alone, without port or brackets. Returns @p buf. */
WEFT_EXTERN char *weft_addr_format_ip(const weft_addr *addr, char *buf,
                                      size_t len);

/**
 * Sets @p addr from raw IP bytes (4 for IPv4, 16 for IPv6) and a port.
 * Returns 0 or WEFT_ERR_INVALID_ARGUMENT.
 */
WEFT_EXTERN int weft_addr_set(weft_addr *addr, int family, const void *ip,
                              uint16_t port);

/** Copies from a sockaddr of length @p len. Returns 0 or an error. */
WEFT_EXTERN int weft_addr_from_sockaddr(weft_addr *addr,
                                        const struct sockaddr *sa,
                                        socklen_t len);

WEFT_EXTERN int weft_addr_family(const weft_addr *addr);
WEFT_EXTERN uint16_t weft_addr_port(const weft_addr *addr);
WEFT_EXTERN void weft_addr_set_port(weft_addr *addr, uint16_t port);
/** Pointer to the 4 or 16 IP bytes; sets *len. NULL when unset. */
WEFT_EXTERN const uint8_t *weft_addr_ip(const weft_addr *addr, size_t *len);
/** sizeof the sockaddr behind the family (0 when unset). */
WEFT_EXTERN socklen_t weft_addr_socklen(const weft_addr *addr);
/** Same family, IP and port (and IPv6 scope). */
WEFT_EXTERN int weft_addr_equal(const weft_addr *a, const weft_addr *b);
/** Same family and IP, port ignored. */
WEFT_EXTERN int weft_addr_equal_ip(const weft_addr *a, const weft_addr *b);
WEFT_EXTERN int weft_addr_is_loopback(const weft_addr *addr);
/** RFC 1918 / RFC 4193 (fc00::/7) private ranges. */
WEFT_EXTERN int weft_addr_is_private(const weft_addr *addr);
/** 169.254/16 or fe80::/10. */
WEFT_EXTERN int weft_addr_is_link_local(const weft_addr *addr);
/** 0.0.0.0 or ::. */
WEFT_EXTERN int weft_addr_is_any(const weft_addr *addr);
/** A hash of family, IP and port, for hash tables. */
WEFT_EXTERN uint64_t weft_addr_hash(const weft_addr *addr);

/* ------------------------------------------------------------------------ */
/* Randomness                                                               */
/* ------------------------------------------------------------------------ */

/**
 * A source of random bytes: transaction ids, ICE credentials, tie-breakers,
 * SCTP tags. `fill` writes @p len bytes and returns 0, or a negative error.
 */
typedef struct weft_rand {
  int (*fill)(void *user_data, uint8_t *buf, size_t len);
  void *user_data;
} weft_rand;

/** The cryptographic default (OpenSSL RAND_bytes). Static, never NULL. */
WEFT_EXTERN const weft_rand *weft_rand_default(void);

/** Fills @p buf from @p r (NULL: the default). Returns 0 or an error. */
WEFT_EXTERN int weft_rand_bytes(const weft_rand *r, uint8_t *buf, size_t len);

/** A uniformly distributed 32-bit value from @p r (NULL: the default). */
WEFT_EXTERN uint32_t weft_rand_u32(const weft_rand *r);
WEFT_EXTERN uint64_t weft_rand_u64(const weft_rand *r);

/** PCG32 (O'Neill): a small seeded generator, same seed, same stream. */
typedef struct weft_pcg {
  uint64_t state;
  uint64_t inc;
} weft_pcg;

WEFT_EXTERN void weft_pcg_seed(weft_pcg *pcg, uint64_t seed, uint64_t stream);
WEFT_EXTERN uint32_t weft_pcg_next(weft_pcg *pcg);
/** Uniform in [0, bound) without modulo bias; 0 when bound is 0. */
WEFT_EXTERN uint32_t weft_pcg_bounded(weft_pcg *pcg, uint32_t bound);
/** Uniform double in [0, 1). */
WEFT_EXTERN double weft_pcg_double(weft_pcg *pcg);

/**
 * Makes @p r a deterministic source drawing from @p pcg (which must outlive
 * it): for tests and simulations that must repeat bit for bit.
 */
WEFT_EXTERN void weft_rand_from_pcg(weft_rand *r, weft_pcg *pcg);

/** The library version, "MAJOR.MINOR.PATCH". */
WEFT_EXTERN const char *weft_version(void);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_WEFT_H */
