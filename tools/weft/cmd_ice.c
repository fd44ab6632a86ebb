/*
 * `weft ice`: one ICE agent (RFC 8445) on real sockets, signalled by hand.
 * It gathers (host candidates, server-reflexive ones with --stun, a relay
 * candidate with --turn),
 * prints its description as one JSON line, reads the peer's line from
 * stdin, connects, prints "connected LOCAL -> REMOTE rtt_ms=N", and keeps
 * the pair alive with consent checks (RFC 7675) until stdin closes.
 */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "app.h"
#include "cmds.h"
#include "net.h"
#include "weft/ice.h"
#include "weft/loop.h"

static const char CMD[] = "ice";

#define MAX_BINDS 16
#define MAX_SOCKS 32
#define LINE_MAX_BYTES (64 * 1024)
/* How long checks may run before the command gives up (the agent's own
 * failure timeout, 10 s, usually comes first). */
#define CONNECT_TIMEOUT_MS 25000
#define RTT_SLOTS 32

/* A Binding request sent, to measure the round trip of its answer. */
typedef struct rtt_slot {
  uint8_t txid[12];
  weft_addr to;
  weft_tstamp sent;
} rtt_slot;

typedef struct ice_app {
  /* command line */
  int role;
  int loopback_only;
  weft_addr binds[MAX_BINDS];
  size_t nbinds;
  const char *ignore[MAX_BINDS + 1]; /* interface name prefixes, NULL-ended */
  size_t nignore;
  char stun_host[256];
  uint16_t stun_port;
  int have_stun;
  weft_addr turn;
  int have_turn, relay_only;
  char turn_user[256];
  const char *turn_pass; /* inside turn_user */
  weft_log log;
  /* runtime */
  weft_loop *loop;
  weft_ice_agent *agent;
  weft_loop_obj *obj;
  weft_ice_event pair; /* the last SELECTED_PAIR event */
  int have_pair;
  int described, have_remote, connected, stdin_eof, done, status;
  /* stdin */
  int stdin_kind; /* 0: none, 1: stream, 2: file */
  union {
    uv_pipe_t pipe;
    uv_tty_t tty;
  } in;
  uv_fs_t fsreq;
  int64_t fsoff;
  char rdbuf[4096];
  char *line;
  size_t linelen;
  int line_done;
  uv_timer_t watchdog;
  int watchdog_open;
  /* round-trip times of our Binding requests */
  rtt_slot rtt[RTT_SLOTS];
  size_t rtt_next;
  weft_addr rtt_from;
  double rtt_ms;
  int have_rtt;
} ice_app;

static void finish(ice_app *a, int status, const char *fmt, ...)
    WEFT_PRINTF(3, 4);

/* ---- the agent's verbs, watched for round-trip times -------------------- */

static int is_binding(const uint8_t *d, size_t len, uint8_t t0, uint8_t t1) {
  return len >= 20 && d[0] == t0 && d[1] == t1 && d[4] == 0x21 &&
         d[5] == 0x12 && d[6] == 0xA4 && d[7] == 0x42;
}

static int app_recv(void *o, weft_tstamp now, const weft_addr *local,
                    const weft_addr *from, const uint8_t *d, size_t len) {
  ice_app *a = o;
  if (is_binding(d, len, 0x01, 0x01)) { /* Binding success response */
    for (size_t i = 0; i < RTT_SLOTS; i++) {
      rtt_slot *s = &a->rtt[i];
      if (s->sent != 0 && memcmp(s->txid, d + 8, 12) == 0 &&
          weft_addr_equal(&s->to, from)) {
        a->rtt_ms = (double)(now - s->sent) / (double)WEFT_MILLISECONDS;
        a->rtt_from = *from;
        a->have_rtt = 1;
        s->sent = 0;
        break;
      }
    }
  }
  return weft_loop_ice_ops()->recv(a->agent, now, local, from, d, len);
}

static int app_poll_transmit(void *o, weft_tstamp now, weft_addr *local,
                             weft_addr *to, uint8_t *buf, size_t buflen) {
  ice_app *a = o;
  int n =
      weft_loop_ice_ops()->poll_transmit(a->agent, now, local, to, buf, buflen);
  if (n > 0 && is_binding(buf, (size_t)n, 0x00, 0x01)) {
    rtt_slot *s = &a->rtt[a->rtt_next++ % RTT_SLOTS];
    memcpy(s->txid, buf + 8, 12);
    s->to = *to;
    s->sent = now;
  }
  return n;
}

static int app_poll_event(void *o, void *ev) {
  return weft_ice_agent_poll_event(((ice_app *)o)->agent, ev);
}

static weft_tstamp app_deadline(void *o) {
  return weft_ice_agent_deadline(((ice_app *)o)->agent);
}

static int app_handle_timeout(void *o, weft_tstamp now) {
  return weft_ice_agent_handle_timeout(((ice_app *)o)->agent, now);
}

static const weft_loop_obj_ops app_ops = {
    app_recv,     app_poll_transmit,  app_poll_event,
    app_deadline, app_handle_timeout, sizeof(weft_ice_event),
};

/* ---- output ------------------------------------------------------------- */

/* Prints {"ufrag":..,"pwd":..,"candidates":[..]} as one line. */
static int print_description(ice_app *a) {
  const char *ufrag, *pwd;
  weft_ice_agent_local_credentials(a->agent, &ufrag, &pwd);
  cJSON *root = cJSON_CreateObject();
  cJSON *cands = cJSON_CreateArray();
  if (root == NULL || cands == NULL) {
    cJSON_Delete(root);
    cJSON_Delete(cands);
    return -1;
  }
  cJSON_AddItemToObject(root, "ufrag", cJSON_CreateString(ufrag));
  cJSON_AddItemToObject(root, "pwd", cJSON_CreateString(pwd));
  cJSON_AddItemToObject(root, "candidates", cands);
  weft_ice_candidate c;
  for (size_t i = 0; weft_ice_agent_local_candidate(a->agent, i, &c) == 0;
       i++) {
    char line[WEFT_ICE_CANDIDATE_STRLEN];
    if (c.type == WEFT_ICE_CANDIDATE_PRFLX ||
        (a->relay_only && c.type != WEFT_ICE_CANDIDATE_RELAY) ||
        weft_ice_candidate_format(&c, line, sizeof(line)) < 0)
      continue;
    cJSON_AddItemToArray(cands, cJSON_CreateString(line));
  }
  char *text = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  if (text == NULL)
    return -1;
  printf("%s\n", text);
  fflush(stdout);
  cJSON_free(text);
  return 0;
}

static void print_connected(ice_app *a) {
  if (a->connected || !a->have_pair)
    return;
  a->connected = 1;
  char l[WEFT_ADDR_STRLEN], r[WEFT_ADDR_STRLEN];
  const weft_addr *remote = &a->pair.u.pair.remote.addr;
  weft_addr_format(&a->pair.u.pair.local.addr, l, sizeof(l));
  weft_addr_format(remote, r, sizeof(r));
  /* The round trip of the last answered check to this remote address. */
  if (a->have_rtt && weft_addr_equal(&a->rtt_from, remote))
    printf("connected %s -> %s rtt_ms=%.3f\n", l, r, a->rtt_ms);
  else
    printf("connected %s -> %s rtt_ms=-1\n", l, r);
  fflush(stdout);
  if (a->watchdog_open)
    uv_timer_stop(&a->watchdog);
  if (a->stdin_eof)
    finish(a, 0, NULL); /* the peer's line came from a closed stdin */
}

/* ---- shutdown ------------------------------------------------------------ */

static void finish(ice_app *a, int status, const char *fmt, ...) {
  if (a->done)
    return;
  a->done = 1;
  a->status = status;
  if (fmt != NULL) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "weft %s: ", CMD);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
  }
  if (a->agent != NULL)
    weft_ice_agent_close(a->agent, weft_loop_now(a->loop));
  weft_loop_obj_del(a->obj); /* also closes the sockets */
  a->obj = NULL;
  if (a->stdin_kind == 1 && !uv_is_closing((uv_handle_t *)&a->in))
    uv_close((uv_handle_t *)&a->in, NULL);
  if (a->stdin_kind == 2)
    uv_cancel((uv_req_t *)&a->fsreq);
  if (a->watchdog_open)
    uv_close((uv_handle_t *)&a->watchdog, NULL);
  a->watchdog_open = 0;
}

static void stop_on_signal(void *arg) {
  finish(arg, 1, "interrupted");
}

static void on_watchdog(uv_timer_t *t) {
  ice_app *a = t->data;
  finish(a, 1, "no connection within %d s", CONNECT_TIMEOUT_MS / 1000);
}

/* ---- the peer's description ---------------------------------------------- */

static const char *json_string(const cJSON *root, const char *name) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, name);
  return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* Adds the candidates of the JSON array; returns how many were taken. */
static int add_remote_candidates(ice_app *a, const cJSON *cands) {
  int ok = 0;
  weft_tstamp now = weft_loop_now(a->loop);
  const cJSON *it;
  cJSON_ArrayForEach(it, cands) {
    if (!cJSON_IsString(it))
      continue;
    weft_ice_candidate c;
    const char *text = it->valuestring;
    int err = weft_ice_candidate_parse(&c, text, strlen(text));
    if (err == 0)
      err = weft_ice_agent_add_remote_candidate(a->agent, now, &c);
    if (err != 0 && err != WEFT_ERR_EXISTS)
      fprintf(stderr, "weft %s: remote candidate skipped (%s): %s\n", CMD,
              weft_strerror(err), text);
    else
      ok++;
  }
  weft_ice_agent_end_of_remote_candidates(a->agent, now);
  return ok;
}

static void apply_remote(ice_app *a, const char *text, size_t len) {
  cJSON *root = cJSON_ParseWithLength(text, len);
  if (root == NULL) {
    finish(a, 1, "the peer's description is not JSON");
    return;
  }
  const char *ufrag = json_string(root, "ufrag");
  const char *pwd = json_string(root, "pwd");
  const cJSON *cands = cJSON_GetObjectItemCaseSensitive(root, "candidates");
  int err = WEFT_ERR_INVALID_ARGUMENT;
  if (ufrag != NULL && pwd != NULL && cJSON_IsArray(cands))
    err = weft_ice_agent_set_remote_credentials(a->agent, ufrag, pwd);
  if (err != 0) {
    cJSON_Delete(root);
    finish(a, 1,
           "the peer's description needs \"ufrag\", \"pwd\" and "
           "\"candidates\" (%s)",
           weft_strerror(err));
    return;
  }
  if (add_remote_candidates(a, cands) == 0)
    fprintf(stderr,
            "weft %s: the peer gave no usable candidate; waiting for "
            "its checks\n",
            CMD);
  cJSON_Delete(root);
  a->have_remote = 1;
  uv_timer_start(&a->watchdog, on_watchdog, CONNECT_TIMEOUT_MS, 0);
  weft_loop_obj_kick(a->obj);
}

/* ---- stdin -----------------------------------------------------------------
 */

static int blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
      return 0;
  return 1;
}

static void on_stdin_eof(ice_app *a) {
  a->stdin_eof = 1;
  if (!a->line_done && !blank(a->line, a->linelen)) { /* no newline */
    a->line_done = 1;
    apply_remote(a, a->line, a->linelen);
  }
  if (a->done)
    return;
  if (!a->line_done)
    finish(a, 1, "stdin closed before the peer's description arrived");
  else if (a->connected)
    finish(a, 0, NULL);
  /* else: the checks go on until connected (then exit) or failed */
}

static void on_stdin_data(ice_app *a, const char *buf, size_t n) {
  for (size_t i = 0; i < n && !a->line_done; i++) {
    if (buf[i] == '\n' && blank(a->line, a->linelen)) {
      a->linelen = 0; /* skip empty lines */
      continue;
    }
    if (buf[i] == '\n') {
      a->line_done = 1;
      apply_remote(a, a->line, a->linelen);
      return;
    }
    if (a->linelen == LINE_MAX_BYTES) {
      finish(a, 1, "the peer's description is longer than %d bytes",
             LINE_MAX_BYTES);
      return;
    }
    a->line[a->linelen++] = buf[i];
  }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  ice_app *a = h->data;
  *buf = uv_buf_init(a->rdbuf, sizeof(a->rdbuf));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  ice_app *a = s->data;
  if (nread > 0) {
    on_stdin_data(a, buf->base, (size_t)nread);
    return;
  }
  if (nread == 0)
    return;
  if (nread != UV_EOF)
    fprintf(stderr, "weft %s: stdin: %s\n", CMD, uv_strerror((int)nread));
  uv_close((uv_handle_t *)s, NULL);
  on_stdin_eof(a);
}

static void read_file_next(ice_app *a);

static void on_fs_read(uv_fs_t *req) {
  ice_app *a = req->data;
  ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  if (a->done)
    return;
  if (n > 0) {
    a->fsoff += n;
    on_stdin_data(a, a->rdbuf, (size_t)n);
    if (!a->done)
      read_file_next(a);
    return;
  }
  on_stdin_eof(a);
}

static void read_file_next(ice_app *a) {
  uv_buf_t b = uv_buf_init(a->rdbuf, sizeof(a->rdbuf));
  a->fsreq.data = a;
  if (uv_fs_read(weft_loop_uv(a->loop), &a->fsreq, 0, &b, 1, a->fsoff,
                 on_fs_read) != 0)
    on_stdin_eof(a);
}

static void start_stdin(ice_app *a) {
  uv_loop_t *uv = weft_loop_uv(a->loop);
  int rv = -1;
  switch (uv_guess_handle(0)) {
  case UV_TTY:
    rv = uv_tty_init(uv, &a->in.tty, 0, 1);
    break;
  case UV_NAMED_PIPE:
    rv = uv_pipe_init(uv, &a->in.pipe, 0);
    if (rv == 0 && (rv = uv_pipe_open(&a->in.pipe, 0)) != 0)
      uv_close((uv_handle_t *)&a->in.pipe, NULL);
    break;
  case UV_FILE:
    a->stdin_kind = 2;
    read_file_next(a);
    return;
  default:
    break;
  }
  if (rv != 0) {
    finish(a, 1, "cannot read stdin");
    return;
  }
  a->stdin_kind = 1;
  a->in.pipe.data = a;
  uv_read_start((uv_stream_t *)&a->in, on_alloc, on_read);
}

/* ---- the agent's events ------------------------------------------------- */

static void on_connection_state(ice_app *a, const weft_ice_event *ev) {
  switch (ev->u.connection.state) {
  case WEFT_ICE_STATE_CONNECTED:
  case WEFT_ICE_STATE_COMPLETED:
    print_connected(a);
    break;
  case WEFT_ICE_STATE_DISCONNECTED:
    fprintf(stderr, "weft %s: disconnected: %s\n", CMD,
            ev->u.connection.reason);
    break;
  case WEFT_ICE_STATE_FAILED:
    finish(a, 1, "ICE failed: %s (%s)",
           ev->u.connection.reason[0] ? ev->u.connection.reason : "no pair",
           weft_strerror(ev->u.connection.error));
    break;
  default:
    break;
  }
}

static void on_gather_error(const ice_app *a, const weft_ice_event *ev) {
  char s[WEFT_ADDR_STRLEN], b[WEFT_ADDR_STRLEN];
  weft_addr_format(&ev->u.gather_error.server, s, sizeof(s));
  weft_addr_format(&ev->u.gather_error.base, b, sizeof(b));
  if (a->have_turn && weft_addr_equal(&ev->u.gather_error.server, &a->turn))
    fprintf(stderr, "weft %s: TURN server %s: no allocation (error %d)\n", CMD,
            s, ev->u.gather_error.code);
  else if (ev->u.gather_error.code != 0)
    fprintf(stderr, "weft %s: STUN server %s answered %s with error %d\n", CMD,
            s, b, ev->u.gather_error.code);
  else
    fprintf(stderr, "weft %s: STUN server %s did not answer %s\n", CMD, s, b);
}

static void on_event(weft_loop_obj *o, void *ud, const void *evp) {
  ice_app *a = ud;
  const weft_ice_event *ev = evp;
  switch (ev->type) {
  case WEFT_ICE_EVENT_GATHERING_STATE:
    if (ev->u.gathering_state == WEFT_ICE_GATHERING_COMPLETE && !a->described) {
      a->described = 1;
      if (print_description(a) != 0)
        finish(a, 1, "out of memory");
      else
        start_stdin(a);
    }
    break;
  case WEFT_ICE_EVENT_GATHER_ERROR:
    on_gather_error(a, ev);
    break;
  case WEFT_ICE_EVENT_SELECTED_PAIR: {
    a->pair = *ev;
    a->have_pair = 1;
    int st = weft_ice_agent_connection_state(a->agent);
    if (st == WEFT_ICE_STATE_CONNECTED || st == WEFT_ICE_STATE_COMPLETED)
      print_connected(a);
    break;
  }
  case WEFT_ICE_EVENT_CONNECTION_STATE:
    on_connection_state(a, ev);
    break;
  default:
    break;
  }
}

static const weft_loop_obj_callbacks app_callbacks = {on_event, NULL};

/* ---- start ----------------------------------------------------------------
 */

/* Opens the sockets to gather on; returns how many. */
static size_t open_sockets(ice_app *a, weft_loop_sock **socks) {
  size_t n = 0;
  if (a->nbinds == 0) {
    unsigned flags = a->loopback_only ? WEFT_LOOP_IF_LOOPBACK_ONLY : 0;
    weft_loop_udp_open_interfaces(a->loop, flags, a->ignore, 0, socks,
                                  MAX_SOCKS, &n);
    return n;
  }
  for (size_t i = 0; i < a->nbinds; i++) {
    int err = weft_loop_udp_open(a->loop, &a->binds[i], 0, &socks[n]);
    char b[WEFT_ADDR_STRLEN];
    if (err != 0)
      fprintf(stderr, "weft %s: cannot bind %s: %s\n", CMD,
              weft_addr_format(&a->binds[i], b, sizeof(b)), weft_strerror(err));
    else
      n++;
  }
  return n;
}

static int new_agent(ice_app *a, const weft_addr *stun, size_t nstun,
                     size_t nsocks) {
  weft_ice_settings s;
  weft_ice_settings_default(&s);
  s.log = a->log;
  s.role = a->role;
  for (size_t i = 0; i < nstun && i < WEFT_ICE_MAX_STUN_SERVERS; i++)
    s.stun_servers[s.nstun_servers++] = stun[i];
  if (a->have_turn) {
    s.nturn_servers = 1;
    s.turn_servers[0].addr = a->turn;
    s.turn_servers[0].username = a->turn_user;
    s.turn_servers[0].password = a->turn_pass;
  }
  size_t nlocal = nsocks * (1 + s.nstun_servers) + 4 + s.nturn_servers;
  s.max_local_candidates = (uint16_t)(nlocal > 255 ? 255 : nlocal);
  if (s.max_pairs < 4 * s.max_local_candidates)
    s.max_pairs = (uint16_t)(4 * nlocal > 255 ? 255 : 4 * nlocal);
  return weft_ice_agent_new(&a->agent, &s, NULL);
}

static void start_agent(ice_app *a, const weft_addr *stun, size_t nstun) {
  weft_loop_sock *socks[MAX_SOCKS];
  size_t ns = open_sockets(a, socks);
  if (ns == 0) {
    finish(a, 1, "no usable local address (try --loopback-only or --bind)");
    return;
  }
  int err = new_agent(a, stun, nstun, ns);
  if (err == 0)
    err = weft_loop_obj_new(a->loop, &a->obj, &app_ops, a, &app_callbacks, a);
  if (err != 0) {
    for (size_t i = 0; i < ns; i++)
      weft_loop_udp_close(socks[i]);
    finish(a, 1, "cannot start the agent: %s", weft_strerror(err));
    return;
  }
  weft_tstamp now = weft_loop_now(a->loop);
  for (size_t i = 0; i < ns; i++) {
    weft_loop_obj_attach(a->obj, socks[i]);
    err = weft_ice_agent_add_local_host_candidate(
        a->agent, now, weft_loop_udp_local(socks[i]));
    if (err < 0)
      fprintf(stderr, "weft %s: host candidate skipped: %s\n", CMD,
              weft_strerror(err));
  }
  weft_ice_agent_gather(a->agent, now);
  weft_loop_obj_kick(a->obj);
}

/* Keeps the first resolved address of each family. */
static void on_stun_resolved(void *ud, int status, const weft_addr *addrs,
                             size_t n) {
  ice_app *a = ud;
  if (status != 0) {
    finish(a, 1, "cannot resolve the STUN server '%s'", a->stun_host);
    return;
  }
  weft_addr pick[2];
  size_t np = 0;
  int have4 = 0, have6 = 0;
  for (size_t i = 0; i < n; i++) {
    int f = weft_addr_family(&addrs[i]);
    if ((f == AF_INET && !have4) || (f == AF_INET6 && !have6))
      pick[np++] = addrs[i];
    have4 |= f == AF_INET;
    have6 |= f == AF_INET6;
  }
  start_agent(a, pick, np);
}

/* ---- command line ----------------------------------------------------------
 */

static void help(FILE *out) {
  fprintf(
      out,
      "usage: weft ice --controlling|--controlled [--stun HOST[:PORT]]\n"
      "                [--turn ADDR[:PORT] --turn-user NAME:PASS "
      "[--relay-only]]\n"
      "                [--loopback-only] [--bind ADDR[:PORT]]... "
      "[--log-level L]\n"
      "\n"
      "Runs one ICE agent (RFC 8445) over UDP, signalled through stdin and "
      "stdout:\n"
      "gathers host candidates (and server-reflexive ones with --stun), "
      "prints its\n"
      "description as one JSON line\n"
      "  {\"ufrag\":\"...\",\"pwd\":\"...\",\"candidates\":[\"candidate:...\","
      " ...]}\n"
      "reads the peer's line in the same form from stdin, connects, prints\n"
      "  connected LOCAL -> REMOTE rtt_ms=N\n"
      "and keeps the pair alive with consent checks until stdin closes.\n"
      "\n"
      "  --controlling, --controlled  the ICE role (one is required)\n"
      "  --stun HOST[:PORT]   STUN server for a server-reflexive candidate "
      "(port 3478)\n"
      "  --turn ADDR[:PORT]   TURN server (numeric address, UDP, port 3478) "
      "for a\n"
      "                       relay candidate; needs --turn-user\n"
      "  --turn-user NAME:PASS  its long-term credentials\n"
      "  --relay-only         describe only the relay candidate (as "
      "iceTransportPolicy\n"
      "                       \"relay\")\n"
      "  --loopback-only      gather on loopback addresses only\n"
      "  --bind ADDR[:PORT]   gather on this address only (repeatable; "
      "port 0: any)\n"
      "  --ignore-iface NAME  skip interfaces whose name starts with NAME "
      "(repeatable)\n"
      "  --log-level L        none, error, warn (default), info, debug, "
      "trace\n"
      "  -h, --help           this help\n"
      "\n"
      "By default every address of every interface that is up is used, but "
      "loopback\nand link-local ones.\n"
      "Exit status: 0 after stdin closed on a connected session; 1 with one "
      "line on\nstderr saying why (no address, ICE failed, consent lost, "
      "bad peer line);\n2 for a bad command line.\n");
}

enum {
  OPT_CONTROLLING = 256,
  OPT_CONTROLLED,
  OPT_STUN,
  OPT_LOOPBACK,
  OPT_BIND,
  OPT_IGNORE,
  OPT_LOG,
  OPT_TURN,
  OPT_TURN_USER,
  OPT_RELAY_ONLY
};

static const struct option opts[] = {
    {"controlling", no_argument, NULL, OPT_CONTROLLING},
    {"controlled", no_argument, NULL, OPT_CONTROLLED},
    {"stun", required_argument, NULL, OPT_STUN},
    {"loopback-only", no_argument, NULL, OPT_LOOPBACK},
    {"bind", required_argument, NULL, OPT_BIND},
    {"ignore-iface", required_argument, NULL, OPT_IGNORE},
    {"log-level", required_argument, NULL, OPT_LOG},
    {"turn", required_argument, NULL, OPT_TURN},
    {"turn-user", required_argument, NULL, OPT_TURN_USER},
    {"relay-only", no_argument, NULL, OPT_RELAY_ONLY},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Applies one option; returns 0, -1 for --help, or an exit status. */
static int apply(int c, ice_app *a) {
  const char *err;
  switch (c) {
  case OPT_CONTROLLING:
  case OPT_CONTROLLED:
    if (a->role >= 0 && a->role != (c == OPT_CONTROLLING))
      return cli_usage_error(CMD, "--controlling and --controlled together");
    a->role = c == OPT_CONTROLLING ? WEFT_ICE_CONTROLLING : WEFT_ICE_CONTROLLED;
    return 0;
  case OPT_STUN:
    err = net_split_host_port(optarg, a->stun_host, sizeof(a->stun_host), 3478,
                              &a->stun_port);
    if (err != NULL)
      return cli_usage_error(CMD, "--stun '%s': %s", optarg, err);
    a->have_stun = 1;
    return 0;
  case OPT_LOOPBACK:
    a->loopback_only = 1;
    return 0;
  case OPT_BIND:
    if (a->nbinds == MAX_BINDS)
      return cli_usage_error(CMD, "at most %d --bind", MAX_BINDS);
    err = net_parse_addr(&a->binds[a->nbinds], optarg, 0);
    if (err != NULL)
      return cli_usage_error(CMD, "--bind '%s': %s", optarg, err);
    a->nbinds++;
    return 0;
  case OPT_IGNORE:
    if (a->nignore == MAX_BINDS)
      return cli_usage_error(CMD, "at most %d --ignore-iface", MAX_BINDS);
    a->ignore[a->nignore++] = optarg;
    return 0;
  case OPT_LOG:
    return cli_parse_log_level(CMD, optarg, &a->log);
  case OPT_TURN:
    err = net_parse_addr(&a->turn, optarg, 3478);
    if (err != NULL)
      return cli_usage_error(CMD, "--turn '%s': %s", optarg, err);
    a->have_turn = 1;
    return 0;
  case OPT_TURN_USER: {
    const char *colon = strchr(optarg, ':');
    if (colon == NULL || colon == optarg || colon[1] == '\0' ||
        strlen(optarg) >= sizeof(a->turn_user))
      return cli_usage_error(CMD, "--turn-user: expected NAME:PASSWORD");
    memcpy(a->turn_user, optarg, strlen(optarg) + 1);
    a->turn_user[colon - optarg] = '\0';
    a->turn_pass = a->turn_user + (colon - optarg) + 1;
    return 0;
  }
  case OPT_RELAY_ONLY:
    a->relay_only = 1;
    return 0;
  case 'h':
    return -1;
  default:
    return CLI_EXIT_USAGE;
  }
}

static int parse(ice_app *a, int argc, char **argv) {
  int c, first = 1;
  while ((c = cli_getopt(CMD, argc, argv, "h", opts, first)) != -1) {
    first = 0;
    int r = c == '?' ? CLI_EXIT_USAGE : apply(c, a);
    if (r != 0)
      return r;
  }
  if (optind < argc)
    return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
  if (a->role < 0)
    return cli_usage_error(CMD, "--controlling or --controlled is required");
  if (a->have_turn != (a->turn_pass != NULL))
    return cli_usage_error(CMD, "--turn and --turn-user go together");
  if (a->relay_only && !a->have_turn)
    return cli_usage_error(CMD, "--relay-only needs --turn");
  return 0;
}

static int start(ice_app *a) {
  weft_loop_settings ls;
  weft_loop_settings_default(&ls);
  ls.log = a->log;
  int err = weft_loop_new(&a->loop, &ls, NULL);
  if (err != 0)
    return cli_fail(CMD, "cannot start the loop: %s", weft_strerror(err));
  uv_timer_init(weft_loop_uv(a->loop), &a->watchdog);
  a->watchdog.data = a;
  a->watchdog_open = 1;
  if (!a->have_stun) {
    start_agent(a, NULL, 0);
    return 0;
  }
  err = weft_loop_resolve(a->loop, a->stun_host, a->stun_port, AF_UNSPEC,
                          on_stun_resolved, a);
  if (err != 0)
    finish(a, 1, "cannot resolve the STUN server '%s': %s", a->stun_host,
           weft_strerror(err));
  return 0;
}

static int run(int argc, char **argv) {
  ice_app *a = calloc(1, sizeof(*a));
  if (a != NULL)
    a->line = malloc(LINE_MAX_BYTES);
  if (a == NULL || a->line == NULL) {
    free(a);
    return cli_fail(CMD, "out of memory");
  }
  a->role = -1;
  weft_log_default(&a->log);
  int r = parse(a, argc, argv);
  if (r == 0)
    r = start(a);
  if (r == 0 && a->loop != NULL) {
    app_run_until_signal(weft_loop_uv(a->loop), stop_on_signal, a);
    r = a->status;
  }
  weft_loop_del(a->loop);
  weft_ice_agent_del(a->agent);
  free(a->line);
  free(a);
  return r == -1 ? (help(stdout), 0) : r;
}

const cli_cmd cmd_ice = {"ice", "ICE agent on real sockets, signalled by hand",
                         help, run};
