/* The TURN server of the weft program: lifecycle, output routing, timer,
 * counters (see turnsrv.h). */
#include "turnsrv_int.h"

#include <errno.h>
#include <netinet/udp.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

void turnsrv_config_default(turnsrv_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  weft_addr_parse(&cfg->listen[0], "0.0.0.0", TURNSRV_DEFAULT_PORT);
  weft_addr_parse(&cfg->listen[1], "[::]", TURNSRV_DEFAULT_PORT);
  cfg->nlisten = 2;
  cfg->listen_is_default = 1;
  cfg->udp = 1;
  cfg->tcp = 1;
  cfg->tls_port = TURNSRV_DEFAULT_TLS_PORT;
  cfg->tcp_idle_ms = 60000;
  cfg->min_port = 49152;
  cfg->max_port = 65535;
  weft_turn_server_settings_default(&cfg->core);
  weft_addr_parse(&cfg->prometheus_addr, "0.0.0.0", 9641);
  weft_log_default(&cfg->log);
}

weft_tstamp ts_now(void) {
  return (weft_tstamp)uv_hrtime();
}

/* ---- output ------------------------------------------------------------ */

/* How many datagrams from @p i can go as one UDP GSO send: same fd and
 * destination, no control data, all of the first's size but the last
 * (which may be shorter), at most 64 KiB. */
static size_t gso_run(const turnsrv *s, size_t i) {
  if (s->gso_off || s->tx[i].msg_hdr.msg_controllen != 0)
    return 1;
  size_t seg = s->txiov[i].iov_len, total = seg, j = i + 1;
  while (j < s->ntx && j - i < 64 && s->txfd[j] == s->txfd[i] &&
         s->tx[j].msg_hdr.msg_controllen == 0 && s->txiov[j].iov_len <= seg &&
         total + s->txiov[j].iov_len <= 65000 &&
         weft_addr_equal(&s->txaddr[j], &s->txaddr[i])) {
    total += s->txiov[j].iov_len;
    if (s->txiov[j++].iov_len < seg)
      break;
  }
  return j - i;
}

/* Turns the pending datagrams from @p from on into s->gso (groups).
 * Returns their count. */
static size_t gso_group(turnsrv *s, size_t from) {
  size_t n = 0;
  for (size_t i = from; i < s->ntx;) {
    size_t run = gso_run(s, i);
    s->gso[n].msg_hdr = s->tx[i].msg_hdr;
    s->gsofd[n] = s->txfd[i];
    s->gsobase[n] = i;
    if (run > 1) {
      struct msghdr *h = &s->gso[n].msg_hdr;
      h->msg_iov = &s->txiov[i];
      h->msg_iovlen = run;
      struct cmsghdr *c = &s->gsoctl[n].align;
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      uint16_t seg = (uint16_t)s->txiov[i].iov_len;
      memcpy(CMSG_DATA(c), &seg, sizeof(seg));
      h->msg_control = s->gsoctl[n].b;
      h->msg_controllen = sizeof(s->gsoctl[n].b);
    }
    n++;
    i += run;
  }
  return n;
}

void ts_flush(turnsrv *s) {
  size_t n = gso_group(s, 0), off = 0;
  while (off < n) {
    size_t run = 1;
    while (off + run < n && s->gsofd[off + run] == s->gsofd[off])
      run++;
    int r = sendmmsg(s->gsofd[off], s->gso + off, (unsigned)run, MSG_DONTWAIT);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0 && s->gso[off].msg_hdr.msg_iovlen > 1 &&
        (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT)) {
      s->gso_off = 1; /* no UDP GSO here: send the rest one by one */
      n = gso_group(s, s->gsobase[off]);
      off = 0;
      continue;
    }
    if (r <= 0) { /* full or failed: drop the first and go on */
      s->udp_send_errors++;
      off++;
      continue;
    }
    for (size_t k = off; k < off + (size_t)r; k++)
      if (s->gso[k].msg_hdr.msg_iovlen > 1) {
        s->udp_gso_sends++;
        s->udp_gso_datagrams += s->gso[k].msg_hdr.msg_iovlen;
      }
    off += (size_t)r;
  }
  s->ntx = 0;
}

/* Routes one transmit of the core, already in txbuf[ntx]. */
static void route(turnsrv *s, const weft_turn_transmit *tx, size_t len) {
  if (tx->kind == WEFT_TURN_TX_RELAY) {
    struct ts_relay *r =
        tx->sock - 1u < s->nrelays ? s->relays[tx->sock - 1] : NULL;
    int fd = r ? r->fd[weft_addr_family(&tx->remote) == AF_INET6] : -1;
    if (fd >= 0)
      ts_udp_queue(s, fd, &tx->remote, NULL, len);
    return;
  }
  if (tx->transport != WEFT_TURN_UDP) {
    ts_conn_send(s, tx->sock, s->txbuf[s->ntx], len);
    return;
  }
  if (tx->sock - 1u < s->nudp) {
    struct ts_udp *u = s->udp[tx->sock - 1];
    ts_udp_queue(s, u->fd, &tx->remote, u->pktinfo ? &tx->local : NULL, len);
  }
}

static void arm_timer(turnsrv *s);

void ts_drain(turnsrv *s) {
  weft_turn_transmit tx;
  for (;;) {
    if (s->ntx == TS_BATCH)
      ts_flush(s);
    int n = weft_turn_server_poll_transmit(s->core, &tx, s->txbuf[s->ntx],
                                           WEFT_TURN_MAX_FRAME);
    if (n <= 0)
      break;
    route(s, &tx, (size_t)n);
  }
  weft_turn_server_event ev;
  while (weft_turn_server_poll_event(s->core, &ev)) {
    char a[WEFT_ADDR_STRLEN];
    WEFT_LOG(&s->cfg.log, WEFT_LOG_INFO, "turn", "%s %s user '%s' relay %u%s",
             ev.type == WEFT_TURN_SERVER_EV_ALLOCATED ? "allocated"
                                                      : "deallocated",
             weft_addr_format(&ev.path.remote, a, sizeof(a)), ev.username,
             ev.relay_id, ev.expired ? " (expired)" : "");
    if (ev.path.transport != WEFT_TURN_UDP)
      ts_conn_allocations(s, ev.path.sock,
                          ev.type == WEFT_TURN_SERVER_EV_ALLOCATED ? 1 : -1);
  }
  arm_timer(s);
}

static void on_timer(uv_timer_t *t) {
  turnsrv *s = t->data;
  s->armed = WEFT_TSTAMP_NONE;
  weft_turn_server_handle_timeout(s->core, ts_now());
  ts_drain(s);
  ts_flush(s);
}

static void arm_timer(turnsrv *s) {
  if (s->closing)
    return;
  weft_tstamp d = weft_turn_server_deadline(s->core);
  if (d == s->armed)
    return;
  s->armed = d;
  if (d == WEFT_TSTAMP_NONE) {
    uv_timer_stop(&s->timer);
    return;
  }
  weft_tstamp now = ts_now();
  uint64_t ms =
      d > now ? (d - now + WEFT_MILLISECONDS - 1) / WEFT_MILLISECONDS : 0;
  uv_timer_start(&s->timer, on_timer, ms, 0);
}

/* ---- lifecycle ---------------------------------------------------------- */

static void on_sweep(uv_timer_t *t) {
  turnsrv *s = t->data;
  ts_conns_sweep(s);
  ts_flush(s);
}

void ts_handle_closed(turnsrv *s) {
  if (--s->handles == 0 && s->closing) {
    weft_turn_server_del(s->core);
    ts_tls_ctx_free(s);
    free(s->relays);
    free(s->conns);
    free(s);
  }
}

static void timer_closed(uv_handle_t *h) {
  ts_handle_closed(h->data);
}

void turnsrv_close(turnsrv *s) {
  if (s == NULL || s->closing)
    return;
  s->closing = 1;
  ts_flush(s);
  for (size_t i = 0; i < s->nudp; i++)
    ts_udp_close(s->udp[i]);
  for (size_t i = 0; i < s->ntcp; i++)
    ts_tcp_close(s->tcp[i]);
  ts_conns_close_all(s);
  ts_http_close(s);
  /* deleting the core closes every relay through the hook */
  weft_turn_server_del(s->core);
  s->core = NULL;
  ts_relays_close_all(s);
  uv_close((uv_handle_t *)&s->timer, timer_closed);
  uv_close((uv_handle_t *)&s->sweep, timer_closed);
}

static int skippable(const turnsrv_config *cfg, int err) {
  return cfg->listen_is_default &&
         (err == -EAFNOSUPPORT || err == -EADDRNOTAVAIL);
}

static int open_one(turnsrv *s, const weft_addr *a, const char *proto,
                    char *err, size_t errlen) {
  int r;
  weft_addr at = *a;
  if (strcmp(proto, "udp") == 0) {
    r = ts_udp_open(s, &at);
  } else if (strcmp(proto, "tcp") == 0) {
    r = ts_tcp_open(s, &at, 0);
  } else {
    weft_addr_set_port(&at, s->cfg.tls_port);
    r = ts_tcp_open(s, &at, 1);
  }
  if (r == 0)
    return 0;
  char text[WEFT_ADDR_STRLEN];
  weft_addr_format(&at, text, sizeof(text));
  if (skippable(&s->cfg, r)) {
    WEFT_LOG(&s->cfg.log, WEFT_LOG_WARN, "turn", "skipping %s %s: %s", proto,
             text, net_strerror(r));
    return 0;
  }
  snprintf(err, errlen, "%s %s: %s", proto, text, net_strerror(r));
  return r;
}

static int open_all(turnsrv *s, char *err, size_t errlen) {
  const turnsrv_config *c = &s->cfg;
  int r = 0;
  for (size_t i = 0; i < c->nlisten && r == 0; i++) {
    if (c->udp)
      r = open_one(s, &c->listen[i], "udp", err, errlen);
    if (r == 0 && c->tcp)
      r = open_one(s, &c->listen[i], "tcp", err, errlen);
    if (r == 0 && c->cert != NULL)
      r = open_one(s, &c->listen[i], "tls", err, errlen);
  }
  if (r == 0 && s->nudp + s->ntcp == 0) {
    snprintf(err, errlen, "no address to listen on");
    r = -EADDRNOTAVAIL;
  }
  if (r == 0 && c->prometheus) {
    r = ts_http_open(s, &c->prometheus_addr);
    if (r != 0) {
      char text[WEFT_ADDR_STRLEN];
      snprintf(err, errlen, "http %s: %s",
               weft_addr_format(&c->prometheus_addr, text, sizeof(text)),
               net_strerror(r));
    }
  }
  return r;
}

/* Which relay families can be served: a --relay-ip of that family, or a
 * listening address of that family. */
static void relay_families(const turnsrv_config *c,
                           weft_turn_server_settings *st) {
  st->relay_ipv4 = st->relay_ipv6 = 0;
  const weft_addr *list = c->nrelay ? c->relay : c->listen;
  size_t n = c->nrelay ? c->nrelay : c->nlisten;
  for (size_t i = 0; i < n; i++) {
    int f = weft_addr_family(&list[i]);
    st->relay_ipv4 |= f == AF_INET;
    st->relay_ipv6 |= f == AF_INET6;
  }
}

static int core_new(turnsrv *s) {
  weft_turn_server_settings st = s->cfg.core;
  st.users = s->cfg.users;
  st.nusers = s->cfg.nusers;
  st.peer_ranges = s->cfg.ranges;
  st.npeer_ranges = s->cfg.nranges;
  st.relay_open = ts_relay_open;
  st.relay_close = ts_relay_close;
  st.hook_user_data = s;
  st.tx_queue = 2 * TS_BATCH;
  st.event_queue = 4096; /* expiry sweeps can end many at once */
  st.log = s->cfg.log;
  relay_families(&s->cfg, &st);
  int r = weft_turn_server_new(&s->core, &st, NULL);
  if (r == 0)
    weft_turn_server_set_unix_time(s->core, ts_now(), (uint64_t)time(NULL));
  return r;
}

int turnsrv_start(turnsrv **out, uv_loop_t *loop, const turnsrv_config *cfg,
                  char *err, size_t errlen) {
  *out = NULL;
  turnsrv *s = calloc(1, sizeof(*s));
  if (s == NULL) {
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  s->loop = loop;
  s->cfg = *cfg;
  s->armed = WEFT_TSTAMP_NONE;
  s->port_cursor = (uint16_t)(getpid() * 7919u);
  uv_timer_init(loop, &s->timer);
  s->timer.data = s;
  uv_timer_init(loop, &s->sweep);
  s->sweep.data = s;
  s->handles = 2;
  int r = core_new(s);
  if (r != 0) {
    snprintf(err, errlen, "turn settings: %s", weft_strerror(r));
    r = -EINVAL;
  }
  if (r == 0 && cfg->cert != NULL)
    r = ts_tls_ctx_new(s, err, errlen);
  if (r == 0)
    r = open_all(s, err, errlen);
  if (r == 0 && s->ntcp > 0) {
    uint64_t every = cfg->tcp_idle_ms / 4 ? cfg->tcp_idle_ms / 4 : 1;
    uv_timer_start(&s->sweep, on_sweep, every, every);
  }
  if (r != 0) {
    turnsrv_close(s);
    return r;
  }
  *out = s;
  return 0;
}

void turnsrv_print_listening(const turnsrv *s, FILE *out) {
  char text[WEFT_ADDR_STRLEN];
  for (size_t i = 0; i < s->nudp; i++)
    fprintf(out, "listening udp %s\n",
            weft_addr_format(&s->udp[i]->local, text, sizeof(text)));
  for (size_t i = 0; i < s->ntcp; i++)
    fprintf(out, "listening %s %s\n", s->tcp[i]->tls ? "tls" : "tcp",
            weft_addr_format(&s->tcp[i]->local, text, sizeof(text)));
  if (s->http != NULL)
    fprintf(out, "listening http %s\n",
            weft_addr_format(&s->cfg.prometheus_addr, text, sizeof(text)));
  fflush(out);
}

size_t turnsrv_bound(const turnsrv *s, weft_addr *out, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < s->nudp && n < max; i++)
    out[n++] = s->udp[i]->local;
  for (size_t i = 0; s->nudp == 0 && i < s->ntcp && n < max; i++)
    if (!s->tcp[i]->tls)
      out[n++] = s->tcp[i]->local;
  return n;
}

void turnsrv_get_stats(const turnsrv *s, weft_turn_server_stats *out) {
  weft_turn_server_get_stats(s->core, out);
}

void turnsrv_print_stats(const turnsrv *s, FILE *out) {
  weft_turn_server_stats st;
  turnsrv_get_stats(s, &st);
  fprintf(out,
          "turn: allocations %" PRIu64 " total %" PRIu64 " requests %" PRIu64
          " auth-failures %" PRIu64 " denied-peers %" PRIu64
          " relayed-to-peers %" PRIu64 " relayed-to-clients %" PRIu64
          " no-permission %" PRIu64 " bad-input %" PRIu64
          " udp-send-errors %" PRIu64 " udp-gso-datagrams %" PRIu64 "\n",
          st.allocations_current, st.allocations_total, st.requests,
          st.auth_failures, st.denied_peers, st.tx_peer_packets,
          st.tx_client_packets, st.no_permission_drops, st.bad_input,
          s->udp_send_errors, s->udp_gso_datagrams);
}

#define METRIC(name, kind, help, v)                                            \
  do {                                                                         \
    int k = snprintf(buf + n, n < cap ? cap - n : 0,                           \
                     "# HELP weft_turn_" name " " help "\n"                    \
                     "# TYPE weft_turn_" name " " kind "\n"                    \
                     "weft_turn_" name " %" PRIu64 "\n",                       \
                     (uint64_t)(v));                                           \
    if (k > 0)                                                                 \
      n += (size_t)k;                                                          \
  } while (0)

size_t turnsrv_metrics(const turnsrv *s, char *buf, size_t cap) {
  weft_turn_server_stats st;
  turnsrv_get_stats(s, &st);
  size_t n = 0;
  METRIC("allocations", "gauge", "Allocations now.", st.allocations_current);
  METRIC("allocations_total", "counter", "Allocations made.",
         st.allocations_total);
  METRIC("allocations_expired_total", "counter", "Allocations expired.",
         st.allocations_expired);
  METRIC("permissions", "gauge", "Permissions now.", st.permissions_current);
  METRIC("channels", "gauge", "Channel bindings now.", st.channels_current);
  METRIC("requests_total", "counter", "STUN requests.", st.requests);
  METRIC("auth_failures_total", "counter", "Failed authentications.",
         st.auth_failures);
  METRIC("stale_nonces_total", "counter", "438 answers.", st.stale_nonces);
  METRIC("quota_rejections_total", "counter", "486 answers.",
         st.quota_rejections);
  METRIC("capacity_rejections_total", "counter", "508 answers.",
         st.capacity_rejections);
  METRIC("denied_peers_total", "counter", "Peers refused by the filter.",
         st.denied_peers);
  METRIC("no_permission_drops_total", "counter",
         "Datagrams dropped without permission.", st.no_permission_drops);
  METRIC("bad_input_total", "counter", "Malformed datagrams.", st.bad_input);
  METRIC("peer_packets_sent_total", "counter", "Datagrams relayed to peers.",
         st.tx_peer_packets);
  METRIC("peer_bytes_sent_total", "counter", "Bytes relayed to peers.",
         st.tx_peer_bytes);
  METRIC("client_packets_sent_total", "counter",
         "Datagrams relayed to clients.", st.tx_client_packets);
  METRIC("client_bytes_sent_total", "counter", "Bytes relayed to clients.",
         st.tx_client_bytes);
  METRIC("peer_packets_received_total", "counter",
         "Datagrams received from peers.", st.rx_peer_packets);
  METRIC("peer_bytes_received_total", "counter",
         "Payload bytes received from peers.", st.rx_peer_bytes);
  METRIC("client_packets_received_total", "counter",
         "Payload datagrams received from clients.", st.rx_client_packets);
  METRIC("client_bytes_received_total", "counter",
         "Payload bytes received from clients.", st.rx_client_bytes);
  METRIC("binding_requests_total", "counter", "STUN Binding requests.",
         st.binding_requests);
  METRIC("oversized_drops_total", "counter", "Payloads too large.",
         st.oversized_drops);
  METRIC("no_allocation_drops_total", "counter", "Datagrams for no allocation.",
         st.no_allocation_drops);
  METRIC("rate_limited_drops_total", "counter", "Dropped by --max-bps.",
         st.rate_limited_drops);
  METRIC("udp_send_errors_total", "counter", "Failed UDP sends.",
         s->udp_send_errors);
  METRIC("udp_gso_sends_total", "counter", "UDP GSO sends (several datagrams).",
         s->udp_gso_sends);
  METRIC("udp_gso_datagrams_total", "counter", "Datagrams sent by UDP GSO.",
         s->udp_gso_datagrams);
  return n < cap ? n : cap;
}
