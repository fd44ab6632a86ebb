/*
 * The signaling server of `weft signal` and `weft serve`: libwebsockets
 * (HTTP + WebSocket) around the sans-IO broker of signal_core.h, speaking
 * the PeerJS server's protocol so that the unmodified `peerjs` browser
 * client works against it.
 *
 * Routes (BASE is --path with a trailing '/'):
 *   GET  BASE<key>/id      a fresh id (UUID v4), CORS as the PeerJS server
 *   GET  BASE<key>/peers   the ids as a JSON array with --allow-discovery,
 *                          else 401
 *   WS   BASEpeerjs?key=&id=&token=   the signaling channel
 *   GET  anything else     a file of the web directory (index.html for a
 *                          directory), never outside it
 *
 * With libuv compiled into libwebsockets it runs on the caller's uv loop;
 * otherwise (loop NULL) on libwebsockets' own, driven by sigsrv_run().
 */
#ifndef WEFT_TOOL_SIGNAL_LWS_H
#define WEFT_TOOL_SIGNAL_LWS_H

#include <uv.h>

#include "signal_core.h"

#define SIGSRV_DEFAULT_PORT 9000

typedef struct sigsrv sigsrv;

typedef struct sigsrv_config {
  weft_addr listen;    /**< ignored when listen_any */
  int listen_any;      /**< every interface, IPv6 and IPv4 (default) */
  uint16_t port;       /**< with listen_any (9000); 0 picks one */
  const char *path;    /**< mount path ("/"), kept by pointer */
  const char *web_dir; /**< static files; NULL: none. Kept by pointer */
  sig_config core;
  weft_log log;
} sigsrv_config;

/** Defaults: every interface, port 9000, path "/", the PeerJS defaults. */
void sigsrv_config_default(sigsrv_config *cfg);

/**
 * Starts serving on @p loop. On failure nothing is left open and @p err
 * holds one line. Returns 0 or a negative value.
 */
int sigsrv_start(sigsrv **out, uv_loop_t *loop, const sigsrv_config *cfg,
                 char *err, size_t errlen);

/** The port actually bound. */
uint16_t sigsrv_port(const sigsrv *s);

void sigsrv_get_stats(const sigsrv *s, sig_stats *out);

/** Prints the broker's counters as one line. */
void sigsrv_print_stats(const sigsrv *s, FILE *out);

/**
 * Closes every connection and the listener. On a uv loop the loop must run
 * afterwards until lws's handles are closed (app_loop_close does).
 */
void sigsrv_close(sigsrv *s);

#endif
