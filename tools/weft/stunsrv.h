/*
 * The STUN Binding server of `weft stun` and `weft serve`: UDP and TCP
 * listeners on a libuv loop, answering through weft_stun_server_answer().
 *
 * UDP on Linux reads with recvmmsg and answers with sendmmsg in batches on
 * the socket's fd (watched with uv_poll), with no allocation per datagram.
 * TCP frames STUN messages by their length field, with a bounded buffer per
 * connection, an idle timeout and a connection limit.
 */
#ifndef WEFT_TOOL_STUNSRV_H
#define WEFT_TOOL_STUNSRV_H

#include <uv.h>

#include "weft/stun.h"

#define STUNSRV_MAX_LISTEN 16
#define STUNSRV_DEFAULT_PORT 3478

typedef struct stunsrv stunsrv;

typedef struct stunsrv_config {
  weft_addr listen[STUNSRV_MAX_LISTEN];
  size_t nlisten;
  /** Set when `listen` holds the defaults: a family the host lacks is
   * skipped with a warning instead of failing. */
  int listen_is_default;
  int udp; /**< serve UDP (default 1) */
  int tcp; /**< serve TCP (default 1) */
  /** SOFTWARE text of responses, NULL for none. Kept by pointer. */
  const char *software;
  weft_log log;
  unsigned tcp_idle_ms;   /**< close a silent TCP connection (30000) */
  unsigned tcp_max_conns; /**< most TCP connections at once (1024) */
} stunsrv_config;

typedef struct stunsrv_stats {
  weft_stun_server_stats stun; /**< UDP and TCP together */
  uint64_t udp_oversized;      /**< datagrams larger than the buffer */
  uint64_t udp_send_errors;
  uint64_t tcp_accepted;
  uint64_t tcp_rejected; /**< over the connection limit */
  uint64_t tcp_garbage;  /**< connections closed for bad framing */
  uint64_t tcp_idle;     /**< connections closed for idleness */
} stunsrv_stats;

/** Defaults: 0.0.0.0:3478 and [::]:3478, UDP and TCP, SOFTWARE "weft". */
void stunsrv_config_default(stunsrv_config *cfg);

/**
 * Opens every listener and starts serving on @p loop. On failure nothing is
 * left open and @p err holds one line such as
 * "udp 127.0.0.1:3478: address already in use". Returns 0 or a negative
 * errno.
 */
int stunsrv_start(stunsrv **out, uv_loop_t *loop, const stunsrv_config *cfg,
                  char *err, size_t errlen);

/** Number of bound sockets; their transport ("udp"/"tcp") and address. */
size_t stunsrv_nbound(const stunsrv *s);
void stunsrv_bound(const stunsrv *s, size_t i, const char **proto,
                   weft_addr *addr);

void stunsrv_get_stats(const stunsrv *s, stunsrv_stats *out);

/**
 * Closes every socket and connection. The object frees itself once the
 * loop has run the close callbacks (run the loop until it returns).
 */
void stunsrv_close(stunsrv *s);

#endif
