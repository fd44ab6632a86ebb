/*
 * The TURN server of `weft turn` and `weft serve`: the sans-IO core
 * (weft/turn.h) driven on a libuv loop.
 *
 * UDP listeners and relay sockets are read with recvmmsg in batches and
 * written with sendmmsg (uv_poll on the fds), with no allocation per
 * datagram. TCP (and TLS, when a certificate is given) connections are
 * framed into whole STUN messages and ChannelData frames. One timer follows
 * the core's deadline. Relay sockets are opened by the core's relay_open
 * hook, on a port of [min_port, max_port] of the relay address of the
 * allocation's family.
 */
#ifndef WEFT_TOOL_TURNSRV_H
#define WEFT_TOOL_TURNSRV_H

#include <stdio.h>
#include <uv.h>

#include "weft/turn.h"

#define TURNSRV_MAX_LISTEN 16
#define TURNSRV_MAX_USERS 4096
#define TURNSRV_MAX_RANGES 64
#define TURNSRV_DEFAULT_PORT 3478
#define TURNSRV_DEFAULT_TLS_PORT 5349

typedef struct turnsrv turnsrv;

typedef struct turnsrv_config {
  weft_addr listen[TURNSRV_MAX_LISTEN];
  size_t nlisten;
  int listen_is_default;
  int udp, tcp; /**< serve UDP / TCP on the listen addresses (1, 1) */
  /** TLS: on tls_port of every listen address when cert and pkey are set */
  const char *cert, *pkey;
  uint16_t tls_port;
  /** relay addresses: at most one per family; none: the listen address */
  weft_addr relay[2];
  size_t nrelay;
  uint16_t min_port, max_port; /**< relay ports (49152-65535) */
  weft_turn_user users[TURNSRV_MAX_USERS];
  size_t nusers;
  weft_turn_peer_range ranges[TURNSRV_MAX_RANGES];
  size_t nranges;
  weft_turn_server_settings core; /**< realm, quotas, secret, ... */
  /** Close a TCP/TLS connection without allocation after this long
   * without input (60000 ms). */
  unsigned tcp_idle_ms;
  int prometheus;
  weft_addr prometheus_addr; /**< default 0.0.0.0:9641 */
  weft_log log;
} turnsrv_config;

/** Defaults: 0.0.0.0:3478 and [::]:3478, UDP and TCP, relay ports
 * 49152-65535, the core's defaults. */
void turnsrv_config_default(turnsrv_config *cfg);

/**
 * Opens every listener and starts serving on @p loop. On failure nothing is
 * left open and @p err holds one line. Returns 0 or a negative errno.
 */
int turnsrv_start(turnsrv **out, uv_loop_t *loop, const turnsrv_config *cfg,
                  char *err, size_t errlen);

/** Prints "listening udp|tcp|tls|http ADDR" for every bound socket. */
void turnsrv_print_listening(const turnsrv *s, FILE *out);

/** The addresses served (UDP ones, or TCP ones when UDP is off), at most
 * @p max into @p out. Returns their count. */
size_t turnsrv_bound(const turnsrv *s, weft_addr *out, size_t max);

/** The core's counters. */
void turnsrv_get_stats(const turnsrv *s, weft_turn_server_stats *out);

/** Prints the counters as one line. */
void turnsrv_print_stats(const turnsrv *s, FILE *out);

/** Writes the counters in the Prometheus text format into @p buf. Returns
 * the length written. */
size_t turnsrv_metrics(const turnsrv *s, char *buf, size_t cap);

/** Closes everything; the object frees itself when the loop has run the
 * close callbacks. */
void turnsrv_close(turnsrv *s);

#endif
