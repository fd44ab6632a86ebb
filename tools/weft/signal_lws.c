/* libwebsockets glue of the signaling server (see signal_lws.h). */
#include "signal_lws.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "net.h"

/* Bytes lws reads per receive callback and keeps per connection: small, as
 * most connections are idle; longer messages arrive in several callbacks. */
#define SIGSRV_RX_CHUNK 256

struct sigsrv {
  struct lws_context *ctx;
  struct lws_vhost *vh;
  sig_broker *broker;
  lws_sorted_usec_list_t sul;
  sigsrv_config cfg;
  char base[256];    /* path with a trailing '/' */
  char ws_path[272]; /* base + "peerjs" */
  char iface[WEFT_ADDR_STRLEN];
  char web_real[PATH_MAX]; /* realpath of the web directory, "" for none */
  struct lws_protocols protocols[2];
  int closing;
  uv_loop_t *loop;
  uv_async_t keep; /* holds the loop open until lws has finished closing */
  uv_timer_t guard;
  int guard_ticks;
};

/* Per-connection state (lws allocates it, zeroed, with the wsi). */
typedef struct pss {
  sig_session *sess;
  char *rx; /* a message arriving in fragments */
  size_t rxlen;
  int rx_over; /* this message exceeded max_message: discarded */
  char *body;  /* HTTP: the response body being sent */
  size_t bodylen;
} pss;

static weft_tstamp now_ns(void) {
  return (weft_tstamp)lws_now_usecs() * WEFT_MICROSECONDS;
}

/* ---- broker events and timer ----------------------------------------------
 */

static void on_timer(lws_sorted_usec_list_t *sul);

/*
 * Writes what the session has queued right away while the socket takes it
 * whole (no writable callback: each one costs two epoll_ctl calls on the uv
 * loop); the rest, and a close, go through the writable callback.
 */
static void flush(struct lws *wsi, sig_session *sess, sigsrv *s) {
  char *data;
  size_t len;
  while (!sig_session_closing(sess) && !lws_partial_buffered(wsi) &&
         sig_session_peek(s->broker, sess, &data, &len)) {
    int n = lws_write(wsi, (unsigned char *)data, len, LWS_WRITE_TEXT);
    sig_session_pop(s->broker, sess);
    if (n < (int)len)
      break; /* lws closes the connection */
  }
  if (sig_session_peek(s->broker, sess, &data, &len) ||
      sig_session_closing(sess))
    lws_callback_on_writable(wsi);
}

/* After any broker input: ask for writable callbacks, re-arm the timer. */
static void drain(sigsrv *s) {
  sig_event ev;
  while (sig_broker_poll_event(s->broker, &ev))
    if (!s->closing)
      flush((struct lws *)ev.user, ev.session, s);
  if (s->closing)
    return;
  weft_tstamp d = sig_broker_deadline(s->broker);
  if (d == WEFT_TSTAMP_NONE) {
    lws_sul_cancel(&s->sul);
    return;
  }
  weft_tstamp now = now_ns();
  lws_usec_t us = d > now ? (lws_usec_t)((d - now) / 1000) + 1 : 1;
  lws_sul_schedule(s->ctx, 0, &s->sul, on_timer, us);
}

static void on_timer(lws_sorted_usec_list_t *sul) {
  sigsrv *s = lws_container_of(sul, sigsrv, sul);
  sig_broker_handle_timeout(s->broker, now_ns());
  drain(s);
}

/* ---- WebSocket ------------------------------------------------------------
 */

/* key, id and token from the (url-decoded) query fragments. */
static void query_args(struct lws *wsi, char *buf, size_t buflen,
                       const char *vals[3]) {
  static const char *const names[3] = {"key=", "id=", "token="};
  size_t used = 0;
  for (int i = 0; i < 3; i++)
    vals[i] = NULL;
  for (int f = 0; f < 32 && used + 2 < buflen; f++) {
    char *frag = buf + used;
    int n = lws_hdr_copy_fragment(wsi, frag, (int)(buflen - used),
                                  WSI_TOKEN_HTTP_URI_ARGS, f);
    if (n < 0)
      break;
    for (int i = 0; i < 3; i++) {
      size_t nl = strlen(names[i]);
      if (vals[i] == NULL && strncmp(frag, names[i], nl) == 0)
        vals[i] = frag + nl;
    }
    used += (size_t)n + 1;
  }
}

static int ws_established(sigsrv *s, struct lws *wsi, pss *p) {
  char args[2048], ip[64] = "";
  const char *v[3];
  int one = 1; /* small messages, each one a reply someone waits for */
  setsockopt(lws_get_socket_fd(wsi), IPPROTO_TCP, TCP_NODELAY, &one,
             sizeof(one));
  query_args(wsi, args, sizeof(args), v);
  lws_get_peer_simple(wsi, ip, sizeof(ip));
  int r = sig_broker_connect(s->broker, now_ns(), wsi, ip, strlen(ip), v[0],
                             v[1], v[2], &p->sess);
  drain(s);
  return r < 0 ? -1 : 0;
}

/* One fragment of a message; whole messages go to the broker. */
static int ws_receive(sigsrv *s, struct lws *wsi, pss *p, const char *in,
                      size_t len) {
  size_t max = s->cfg.core.max_message;
  int first = lws_is_first_fragment(wsi),
      last = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
  if (first && last && p->rx == NULL && !p->rx_over) {
    sig_broker_recv(s->broker, now_ns(), p->sess, in, len);
    drain(s);
    return 0;
  }
  if (!p->rx_over && p->rxlen + len > max) {
    p->rx_over = 1;
    free(p->rx);
    p->rx = NULL;
    p->rxlen = 0;
  }
  if (!p->rx_over) {
    char *n = realloc(p->rx, p->rxlen + len + 1);
    if (n == NULL)
      return -1;
    memcpy(n + p->rxlen, in, len);
    p->rx = n;
    p->rxlen += len;
  }
  if (!last)
    return 0;
  if (p->rx_over)
    sig_broker_recv_oversized(s->broker, p->sess);
  else
    sig_broker_recv(s->broker, now_ns(), p->sess, p->rx, p->rxlen);
  free(p->rx);
  p->rx = NULL;
  p->rxlen = 0;
  p->rx_over = 0;
  drain(s);
  return 0;
}

static int ws_writable(sigsrv *s, struct lws *wsi, pss *p) {
  char *data;
  size_t len;
  if (p->sess == NULL)
    return -1;
  if (sig_session_peek(s->broker, p->sess, &data, &len)) {
    int n = lws_write(wsi, (unsigned char *)data, len, LWS_WRITE_TEXT);
    sig_session_pop(s->broker, p->sess);
    if (n < (int)len)
      return -1;
    if (sig_session_peek(s->broker, p->sess, &data, &len) ||
        sig_session_closing(p->sess))
      lws_callback_on_writable(wsi);
    return 0;
  }
  if (sig_session_closing(p->sess)) {
    lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
    return -1;
  }
  return 0;
}

static void ws_closed(sigsrv *s, pss *p) {
  free(p->rx);
  p->rx = NULL;
  if (p->sess != NULL) {
    sig_broker_disconnect(s->broker, p->sess);
    p->sess = NULL;
    drain(s);
  }
}

/* Only BASEpeerjs upgrades to a WebSocket (as the PeerJS server's "ws"). */
static int ws_filter(sigsrv *s, struct lws *wsi) {
  char uri[512];
  if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0)
    return 1;
  return strcmp(uri, s->ws_path) != 0;
}

/* ---- HTTP -----------------------------------------------------------------
 */

/* Sends headers now and @p body (malloc'd with LWS_PRE bytes before the
 * text, taken over) from the writable callback. */
static int http_reply(struct lws *wsi, pss *p, unsigned status,
                      const char *ctype, char *body, size_t len, int cors) {
  unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *q = start;
  unsigned char *end = buf + sizeof(buf) - 1;
  char origin[512];
  int bad = lws_add_http_common_headers(wsi, status, ctype, len, &q, end);
  if (!bad && cors) {
    int n = lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN);
    if (n > 0)
      bad = lws_add_http_header_by_name(
          wsi, (const unsigned char *)"access-control-allow-origin:",
          (const unsigned char *)origin, n, &q, end);
    if (!bad)
      bad = lws_add_http_header_by_name(
          wsi, (const unsigned char *)"vary:", (const unsigned char *)"Origin",
          6, &q, end);
  }
  if (bad || lws_finalize_write_http_header(wsi, start, &q, end)) {
    free(body);
    return -1;
  }
  p->body = body;
  p->bodylen = len;
  lws_callback_on_writable(wsi);
  return 0;
}

static int http_text(struct lws *wsi, pss *p, unsigned status,
                     const char *ctype, const char *text, int cors) {
  size_t n = strlen(text);
  char *body = malloc(LWS_PRE + n + 1);
  if (body == NULL)
    return -1;
  memcpy(body + LWS_PRE, text, n + 1);
  return http_reply(wsi, p, status, ctype, body, n, cors);
}

static int http_writable(struct lws *wsi, pss *p) {
  if (p->body == NULL)
    return 0;
  int n = lws_write(wsi, (unsigned char *)p->body + LWS_PRE, p->bodylen,
                    LWS_WRITE_HTTP_FINAL);
  free(p->body);
  p->body = NULL;
  (void)n;
  return -1; /* one response per connection (see http_done) */
}

static const struct {
  const char *ext, *type;
} mimetypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".wasm", "application/wasm"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
};

static const char *mimetype(const char *file) {
  const char *dot = strrchr(file, '.');
  for (size_t i = 0; dot && i < sizeof(mimetypes) / sizeof(mimetypes[0]); i++)
    if (strcasecmp(dot, mimetypes[i].ext) == 0)
      return mimetypes[i].type;
  return "application/octet-stream";
}

static int not_found(struct lws *wsi) {
  if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL))
    return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* A file of the web directory; @p uri is the decoded request path. */
static int http_static(sigsrv *s, struct lws *wsi, const char *uri) {
  char path[PATH_MAX], real[PATH_MAX];
  struct stat st;
  if (s->web_real[0] == '\0' || uri[0] != '/' || strstr(uri, "/..") ||
      strchr(uri, '\\'))
    return not_found(wsi);
  int n = snprintf(path, sizeof(path), "%s%s%s", s->web_real, uri,
                   uri[strlen(uri) - 1] == '/' ? "index.html" : "");
  if (n < 0 || (size_t)n >= sizeof(path) - 12)
    return not_found(wsi);
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    strcat(path, "/index.html");
  size_t wl = strlen(s->web_real);
  if (realpath(path, real) == NULL || strncmp(real, s->web_real, wl) != 0 ||
      real[wl] != '/' || stat(real, &st) != 0 || !S_ISREG(st.st_mode))
    return not_found(wsi);
  n = lws_serve_http_file(wsi, real, mimetype(real), NULL, 0);
  if (n < 0)
    return -1;
  if (n > 0 && lws_http_transaction_completed(wsi))
    return -1;
  return 0;
}

static const char peerjs_info[] =
    "{\"name\":\"PeerJS Server\",\"description\":\"A server side element to "
    "broker connections between PeerJS clients.\",\"website\":"
    "\"https://peerjs.com/\"}";

/* GET BASE<key>/id, BASE<key>/peers, BASE; else a static file. */
static int http_request(sigsrv *s, struct lws *wsi, pss *p, const char *uri) {
  if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0)
    return not_found(wsi); /* GET only */
  size_t bl = strlen(s->base);
  const char *rest = strncmp(uri, s->base, bl) == 0 ? uri + bl : NULL;
  const char *slash = rest ? strchr(rest, '/') : NULL;
  if (slash != NULL && slash > rest && strcmp(slash, "/id") == 0) {
    char id[37];
    if (sig_broker_new_id(s->broker, id) != 0)
      return -1;
    return http_text(wsi, p, 200, "text/plain; charset=utf-8", id, 1);
  }
  if (slash != NULL && slash > rest && strcmp(slash, "/peers") == 0) {
    char *list = sig_broker_peers_json(s->broker);
    if (list == NULL)
      return http_text(wsi, p, 401, "text/plain; charset=utf-8", "Unauthorized",
                       1);
    int r = http_text(wsi, p, 200, "application/json; charset=utf-8", list, 1);
    free(list);
    return r;
  }
  if (bl > 1 && strncmp(uri, s->base, bl - 1) == 0 &&
      (uri[bl - 1] == '\0' || strcmp(uri + bl - 1, "/") == 0))
    return http_text(wsi, p, 200, "application/json; charset=utf-8",
                     peerjs_info, 1);
  return http_static(s, wsi, uri);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len) {
  sigsrv *s = lws_context_user(lws_get_context(wsi));
  pss *p = user;
  if (s == NULL || s->broker == NULL)
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  switch (reason) {
  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    return ws_filter(s, wsi);
  case LWS_CALLBACK_ESTABLISHED:
    return ws_established(s, wsi, p);
  case LWS_CALLBACK_RECEIVE:
    return p->sess ? ws_receive(s, wsi, p, in, len) : -1;
  case LWS_CALLBACK_SERVER_WRITEABLE:
    return ws_writable(s, wsi, p);
  case LWS_CALLBACK_CLOSED:
    ws_closed(s, p);
    return 0;
  case LWS_CALLBACK_HTTP:
    return http_request(s, wsi, p, in);
  case LWS_CALLBACK_HTTP_WRITEABLE:
    return http_writable(wsi, p);
  case LWS_CALLBACK_HTTP_FILE_COMPLETION:
    return lws_http_transaction_completed(wsi) ? -1 : 0;
  case LWS_CALLBACK_CLOSED_HTTP:
    free(p != NULL ? p->body : NULL);
    if (p != NULL)
      p->body = NULL;
    return 0;
  default:
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

/* ---- lifecycle ------------------------------------------------------------
 */

void sigsrv_config_default(sigsrv_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->listen_any = 1;
  cfg->port = SIGSRV_DEFAULT_PORT;
  cfg->path = "/";
  sig_config_default(&cfg->core);
  weft_log_default(&cfg->log);
}

/* BASE and the WebSocket path from --path, as the PeerJS server joins them.
 */
static int set_paths(sigsrv *s, const char *path, char *err, size_t errlen) {
  if (path == NULL || path[0] == '\0')
    path = "/";
  size_t n = strlen(path);
  if (n + 2 > sizeof(s->base) || path[0] != '/') {
    snprintf(err, errlen, "--path must start with '/' (at most 250 bytes)");
    return -1;
  }
  snprintf(s->base, sizeof(s->base), "%s%s", path,
           path[n - 1] == '/' ? "" : "/");
  snprintf(s->ws_path, sizeof(s->ws_path), "%speerjs", s->base);
  return 0;
}

/* Binds the address once ourselves, for a precise error (lws has none). */
static int probe_listen(const sigsrv *s, char *err, size_t errlen) {
  weft_addr a = s->cfg.listen;
  if (s->cfg.listen_any)
    weft_addr_parse(&a, net_have_ipv6() ? "::" : "0.0.0.0", s->cfg.port);
  int fd = net_listen(NET_TCP, &a, 1, 0);
  if (fd >= 0) {
    close(fd);
    return 0;
  }
  char text[WEFT_ADDR_STRLEN];
  snprintf(err, errlen, "tcp %s: %s", weft_addr_format(&a, text, sizeof(text)),
           net_strerror(-fd));
  return fd;
}

static void on_keep_closed(uv_handle_t *h) {
  sigsrv *s = h->data;
  if (++s->closing == 3) /* 1 + keep + guard */
    free(s);
}

/*
 * After lws_context_destroy() on a uv loop, lws closes its handles and
 * frees the context over the next loop iterations, then sets s->ctx to NULL
 * (info.pcontext). Until then this timer keeps the loop running (and s
 * alive: lws still calls back); then both go. Bounded: 5 s.
 */
static void on_guard(uv_timer_t *t) {
  sigsrv *s = t->data;
  if (s->ctx != NULL && ++s->guard_ticks % 10 == 0)
    lws_context_destroy(s->ctx); /* lws may wait for a second call */
  if (s->ctx != NULL && s->guard_ticks < 500)
    return;
  uv_close((uv_handle_t *)&s->keep, on_keep_closed);
  uv_close((uv_handle_t *)&s->guard, on_keep_closed);
}

static int create_context(sigsrv *s, uv_loop_t *loop) {
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof(info));
  s->protocols[0] =
      (struct lws_protocols){"peerjs", callback, sizeof(pss), 1024, 0, NULL, 0};
  info.protocols = s->protocols;
  info.user = s;
  info.timeout_secs = 10;
  info.keepalive_timeout = 5;
  info.max_http_header_data = 2048;
  info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
  info.pcontext = &s->ctx;
  void *loops[1] = {loop};
  if (loop != NULL) {
    info.options |= LWS_SERVER_OPTION_LIBUV;
    info.foreign_loops = loops;
  }
  if (s->cfg.listen_any) {
    info.port = s->cfg.port;
  } else {
    info.port = weft_addr_port(&s->cfg.listen);
    weft_addr_format_ip(&s->cfg.listen, s->iface, sizeof(s->iface));
    info.iface = s->iface;
    if (weft_addr_family(&s->cfg.listen) == AF_INET)
      info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  }
  s->ctx = lws_create_context(&info);
  if (s->ctx == NULL)
    return -1;
  s->vh = lws_get_vhost_by_name(s->ctx, "default");
  return s->vh == NULL ? -1 : 0;
}

int sigsrv_start(sigsrv **out, uv_loop_t *loop, const sigsrv_config *cfg,
                 char *err, size_t errlen) {
  sigsrv *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return -ENOMEM;
  s->cfg = *cfg;
  s->loop = loop;
  s->cfg.core.headroom = LWS_PRE;
  if (set_paths(s, cfg->path, err, errlen) != 0 ||
      probe_listen(s, err, errlen) != 0) {
    free(s);
    return -EINVAL;
  }
  if (cfg->web_dir != NULL && realpath(cfg->web_dir, s->web_real) == NULL)
    s->web_real[0] = '\0';
  lws_set_log_level(LLL_ERR, NULL);
  if (sig_broker_new(&s->broker, &s->cfg.core) != 0 ||
      create_context(s, loop) != 0) {
    snprintf(err, errlen, "cannot start the WebSocket server on port %u",
             s->cfg.listen_any ? s->cfg.port : weft_addr_port(&cfg->listen));
    sig_broker_del(s->broker);
    if (s->ctx != NULL)
      lws_context_destroy(s->ctx);
    free(s);
    return -EIO;
  }
  *out = s;
  return 0;
}

uint16_t sigsrv_port(const sigsrv *s) {
  return (uint16_t)lws_get_vhost_listen_port(s->vh);
}

void sigsrv_get_stats(const sigsrv *s, sig_stats *out) {
  sig_broker_get_stats(s->broker, out);
}

void sigsrv_print_stats(const sigsrv *s, FILE *out) {
  sig_stats st;
  sigsrv_get_stats(s, &st);
  fprintf(out,
          "signal: sessions %" PRIu64 " opened %" PRIu64 " rejected %" PRIu64
          " received %" PRIu64 " forwarded %" PRIu64 " held %" PRIu64
          " expired %" PRIu64 " dropped %" PRIu64 " bad %" PRIu64
          " timeouts %" PRIu64 " slow %" PRIu64 "\n",
          st.sessions, st.opened, st.rejected, st.received, st.forwarded,
          st.held, st.expired, st.dropped, st.bad, st.timeouts, st.slow);
}

void sigsrv_close(sigsrv *s) {
  if (s == NULL)
    return;
  lws_sul_cancel(&s->sul);
  s->closing = 1;
  sig_broker *b = s->broker;
  /* lws closes its uv handles asynchronously and calls on_vhost_finalize
   * at the end; until then the loop must keep running */
  uv_async_init(s->loop, &s->keep, NULL);
  uv_timer_init(s->loop, &s->guard);
  s->keep.data = s->guard.data = s;
  uv_timer_start(&s->guard, on_guard, 10, 10);
  lws_context_destroy(s->ctx); /* s freed once the handles above close */
  s->broker = NULL;
  sig_broker_del(b);
}
