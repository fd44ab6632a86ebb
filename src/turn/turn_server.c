/* The TURN server core: lifecycle, dispatch of client messages, long-term
 * authentication of requests, and the output queues (see turn.h). */
#include "turn/turn_int.h"

#include <string.h>

#include "base/buf.h"
#include "base/mem.h"

void weft_turn_server_settings_default(weft_turn_server_settings *s) {
  if (s == NULL)
    return;
  memset(s, 0, sizeof(*s));
  s->realm = "weft";
  s->software = "weft";
  s->nonce_lifetime_s = 600;
  s->default_lifetime_s = 600;
  s->max_lifetime_s = 3600;
  s->permission_lifetime_s = 300;
  s->channel_lifetime_s = 600;
  s->relay_ipv4 = 1;
  s->relay_ipv6 = 1;
  s->max_permissions = 32;
  s->max_channels = 64;
  s->tx_queue = 64;
  s->event_queue = 64;
  weft_log_default(&s->log);
}

static char *dup_str(const weft_mem *mem, const char *str) {
  if (str == NULL)
    return NULL;
  size_t n = strlen(str) + 1;
  char *p = weft_malloc(mem, n);
  if (p != NULL)
    memcpy(p, str, n);
  return p;
}

static int check_settings(const weft_turn_server_settings *st) {
  if (st->relay_open == NULL || st->relay_close == NULL || st->realm == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (st->use_auth_secret && st->static_auth_secret == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (st->default_lifetime_s == 0 || st->max_lifetime_s == 0 ||
      st->permission_lifetime_s == 0 || st->channel_lifetime_s == 0 ||
      st->nonce_lifetime_s == 0 || st->tx_queue == 0 || st->event_queue == 0 ||
      strlen(st->realm) > 763)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (st->software != NULL && strlen(st->software) > 763)
    return WEFT_ERR_INVALID_ARGUMENT;
  return 0;
}

static int init_members(weft_turn_server *s) {
  const weft_turn_server_settings *st = &s->set;
  s->realm = dup_str(s->mem, st->realm);
  s->software = dup_str(s->mem, st->software);
  s->secret = dup_str(s->mem, st->static_auth_secret);
  s->txq = weft_calloc(s->mem, st->tx_queue, sizeof(*s->txq));
  s->evq = weft_calloc(s->mem, st->event_queue, sizeof(*s->evq));
  s->nbuckets = 64;
  s->byaddr = weft_calloc(s->mem, s->nbuckets, sizeof(*s->byaddr));
  if (s->realm == NULL || (st->software && !s->software) ||
      (st->static_auth_secret && !s->secret) || !s->txq || !s->evq ||
      !s->byaddr)
    return WEFT_ERR_NOMEM;
  s->txcap = st->tx_queue;
  s->evcap = st->event_queue;
  s->set.realm = s->realm;
  s->set.software = s->software;
  s->set.static_auth_secret = s->secret;
  s->set.users = NULL;
  s->set.nusers = 0;
  uint8_t seed[32];
  int rv = weft_rand_bytes(st->rand, seed, sizeof(seed));
  if (rv == 0)
    rv = weft_hmac_key_new(&s->nonce_key, WEFT_HASH_SHA1, seed, 24);
  uint64_t pcg_seed;
  memcpy(&pcg_seed, seed + 24, sizeof(pcg_seed));
  weft_pcg_seed(&s->txid_pcg, pcg_seed, 0x7475726e);
  return rv;
}

int weft_turn_server_new(weft_turn_server **out,
                         const weft_turn_server_settings *settings,
                         const weft_mem *mem) {
  if (out == NULL || settings == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  *out = NULL;
  int rv = check_settings(settings);
  if (rv != 0)
    return rv;
  weft_turn_server *s = weft_calloc(mem, 1, sizeof(*s));
  if (s == NULL)
    return WEFT_ERR_NOMEM;
  s->mem = mem;
  s->set = *settings;
  s->next_sweep = WEFT_TSTAMP_NONE;
  rv = init_members(s);
  if (rv == 0)
    rv = turn_ranges_init(s);
  if (rv == 0)
    rv = turn_users_init(s);
  for (size_t i = 0; rv == 0 && i < settings->nusers; i++)
    rv = weft_turn_server_add_user(s, settings->users[i].name,
                                   settings->users[i].password);
  if (rv != 0) {
    weft_turn_server_del(s);
    return rv;
  }
  *out = s;
  return 0;
}

void weft_turn_server_del(weft_turn_server *s) {
  if (s == NULL)
    return;
  turn_alloc_free_all(s);
  turn_users_free(s);
  weft_hmac_key_del(s->nonce_key);
  weft_free(s->mem, s->ranges);
  weft_free(s->mem, s->byaddr);
  weft_free(s->mem, s->slots);
  weft_free(s->mem, s->free_ids);
  weft_free(s->mem, s->txq);
  weft_free(s->mem, s->evq);
  weft_free(s->mem, s->realm);
  weft_free(s->mem, s->software);
  weft_free(s->mem, s->secret);
  weft_free(s->mem, s);
}

void weft_turn_server_set_unix_time(weft_turn_server *s, weft_tstamp now,
                                    uint64_t unix_seconds) {
  if (s != NULL)
    s->unix_offset_s = (int64_t)unix_seconds - (int64_t)(now / WEFT_SECONDS);
}

/* ---- output ------------------------------------------------------------ */

turn_txslot *turn_tx_begin(weft_turn_server *s) {
  if (s->txlen == s->txcap) {
    s->stats.tx_queue_drops++;
    return NULL;
  }
  return &s->txq[(s->txhead + s->txlen) % s->txcap];
}

void turn_tx_commit(weft_turn_server *s, turn_txslot *t, size_t len) {
  t->len = (uint16_t)len;
  s->txlen++;
}

int weft_turn_server_poll_transmit(weft_turn_server *s, weft_turn_transmit *tx,
                                   uint8_t *buf, size_t buflen) {
  if (s == NULL || tx == NULL || buf == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (s->txlen == 0)
    return 0;
  turn_txslot *t = &s->txq[s->txhead];
  if (buflen < t->len)
    return WEFT_ERR_BUFFER_TOO_SMALL;
  *tx = t->tx;
  memcpy(buf, t->data, t->len);
  s->txhead = (s->txhead + 1) % s->txcap;
  s->txlen--;
  return t->len;
}

void turn_event(weft_turn_server *s, int type, const turn_alloc *a,
                int expired) {
  if (s->evlen == s->evcap) {
    s->stats.events_dropped++;
    return;
  }
  weft_turn_server_event *ev = &s->evq[(s->evhead + s->evlen) % s->evcap];
  memset(ev, 0, sizeof(*ev));
  ev->type = type;
  ev->relay_id = a->relay_id;
  ev->path = a->path;
  ev->expired = expired;
  size_t n = strlen(a->username);
  if (n >= sizeof(ev->username))
    n = sizeof(ev->username) - 1;
  memcpy(ev->username, a->username, n);
  s->evlen++;
}

int weft_turn_server_poll_event(weft_turn_server *s,
                                weft_turn_server_event *ev) {
  if (s == NULL || ev == NULL || s->evlen == 0)
    return 0;
  *ev = s->evq[s->evhead];
  s->evhead = (s->evhead + 1) % s->evcap;
  s->evlen--;
  return 1;
}

weft_tstamp weft_turn_server_deadline(const weft_turn_server *s) {
  if (s == NULL || s->nallocs == 0)
    return WEFT_TSTAMP_NONE;
  return s->next_sweep;
}

void weft_turn_server_handle_timeout(weft_turn_server *s, weft_tstamp now) {
  if (s == NULL || s->nallocs == 0 || now < s->next_sweep)
    return;
  turn_sweep(s, now);
  s->next_sweep = now + TURN_SWEEP_NS;
}

void weft_turn_server_get_stats(const weft_turn_server *s,
                                weft_turn_server_stats *out) {
  if (s != NULL && out != NULL)
    *out = s->stats;
}

/* ---- responses ------------------------------------------------------- */

static turn_txslot *client_slot(weft_turn_server *s,
                                const weft_turn_path *path) {
  turn_txslot *t = turn_tx_begin(s);
  if (t == NULL)
    return NULL;
  t->tx.kind = WEFT_TURN_TX_CLIENT;
  t->tx.transport = path->transport;
  t->tx.sock = path->sock;
  t->tx.local = path->local;
  t->tx.remote = path->remote;
  return t;
}

turn_txslot *turn_resp_begin(weft_turn_server *s, const weft_turn_path *path,
                             const weft_stun_msg *req, weft_stun_builder *b) {
  turn_txslot *t = client_slot(s, path);
  if (t != NULL)
    weft_stun_builder_init_response(b, t->data, sizeof(t->data), req,
                                    WEFT_STUN_SUCCESS);
  return t;
}

void turn_resp_finish(weft_turn_server *s, turn_txslot *t, weft_stun_builder *b,
                      weft_stun_key *key) {
  /* SOFTWARE only to authenticated clients: an unauthenticated answer
   * stays as small as it can (reflection) */
  if (s->software != NULL && key != NULL)
    weft_stun_builder_add_str(b, WEFT_STUN_ATTR_SOFTWARE, s->software);
  if (key != NULL)
    weft_stun_builder_add_integrity_key(b, key);
  weft_stun_builder_add_fingerprint(b);
  int n = weft_stun_builder_finish(b);
  if (n <= 0) {
    WEFT_LOG(&s->set.log, WEFT_LOG_WARN, "turn", "response: %s",
             weft_strerror(n));
    return;
  }
  turn_tx_commit(s, t, (size_t)n);
}

void turn_send_error(weft_turn_server *s, const weft_turn_path *path,
                     const weft_stun_msg *req, int code, weft_stun_key *key) {
  turn_txslot *t = client_slot(s, path);
  if (t == NULL)
    return;
  s->stats.error_responses++;
  WEFT_LOG(&s->set.log, WEFT_LOG_DEBUG, "turn", "method 0x%03x: error %d",
           req->method, code);
  weft_stun_builder b;
  weft_stun_builder_init_response(&b, t->data, sizeof(t->data), req,
                                  WEFT_STUN_ERROR);
  weft_stun_builder_add_error(&b, code, NULL);
  if (code == WEFT_STUN_ERR_UNKNOWN_ATTRIBUTE)
    weft_stun_builder_add_unknown(&b, req->unknown, req->nunknown);
  if (code == WEFT_STUN_ERR_UNAUTHORIZED || code == WEFT_STUN_ERR_STALE_NONCE) {
    char nonce[TURN_NONCE_LEN];
    turn_nonce_make(s, s->now, path, nonce);
    weft_stun_builder_add_str(&b, WEFT_STUN_ATTR_REALM, s->realm);
    weft_stun_builder_add(&b, WEFT_STUN_ATTR_NONCE, nonce, sizeof(nonce));
  }
  if (key != NULL)
    weft_stun_builder_add_integrity_key(&b, key);
  weft_stun_builder_add_fingerprint(&b);
  int n = weft_stun_builder_finish(&b);
  if (n > 0)
    turn_tx_commit(s, t, (size_t)n);
}

/* ---- requests -------------------------------------------------------- */

static void answer_binding(weft_turn_server *s, const weft_turn_path *path,
                           const weft_stun_msg *m) {
  s->stats.binding_requests++;
  weft_stun_builder b;
  turn_txslot *t = turn_resp_begin(s, path, m, &b);
  if (t == NULL)
    return;
  weft_stun_builder_add_xor_addr(&b, WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS,
                                 &path->remote);
  turn_resp_finish(s, t, &b, NULL);
}

/* A credential that passed: its key and user name. */
typedef struct turn_cred {
  weft_stun_key *key;
  weft_stun_key *owned; /* set when the caller must keep or free it */
  char name[514];
} turn_cred;

static int attr_str(const weft_stun_attr *a, char *out, size_t cap) {
  if (a == NULL || a->len >= cap)
    return -1;
  memcpy(out, a->value, a->len);
  out[a->len] = '\0';
  return memchr(out, '\0', a->len) != NULL ? -1 : 0;
}

/* Finds the key of the request's USERNAME; for an existing allocation its
 * own key (441 when the name differs). Returns 0 or the error to send. */
static int find_key(weft_turn_server *s, weft_tstamp now,
                    const weft_stun_msg *m, turn_alloc *a, turn_cred *c) {
  if (attr_str(weft_stun_msg_find(m, WEFT_STUN_ATTR_USERNAME), c->name,
               sizeof(c->name)) != 0)
    return WEFT_STUN_ERR_BAD_REQUEST;
  if (a != NULL && m->method != WEFT_STUN_ALLOCATE) {
    if (strcmp(a->username, c->name) != 0)
      return WEFT_STUN_ERR_WRONG_CREDENTIALS;
    c->key = a->k;
    return 0;
  }
  turn_user *u = turn_user_find(s, c->name, strlen(c->name));
  if (u != NULL) {
    c->key = u->k;
    return 0;
  }
  if (s->set.use_auth_secret) {
    c->owned = turn_rest_key(s, now, c->name);
    c->key = c->owned;
  }
  return c->key != NULL ? 0 : WEFT_STUN_ERR_UNAUTHORIZED;
}

/* Authenticates a request (RFC 8489 section 9.2.4). Returns 0 with @p c
 * set, or -1 after answering with an error. */
static int authenticate(weft_turn_server *s, weft_tstamp now,
                        const weft_turn_path *path, const weft_stun_msg *m,
                        turn_alloc *a, turn_cred *c) {
  if (m->integrity < 0 && m->integrity_sha256 < 0) {
    s->stats.auth_challenges++;
    turn_send_error(s, path, m, WEFT_STUN_ERR_UNAUTHORIZED, NULL);
    return -1;
  }
  const weft_stun_attr *nonce = weft_stun_msg_find(m, WEFT_STUN_ATTR_NONCE);
  if (nonce == NULL || !weft_stun_msg_find(m, WEFT_STUN_ATTR_REALM) ||
      !weft_stun_msg_find(m, WEFT_STUN_ATTR_USERNAME)) {
    turn_send_error(s, path, m, WEFT_STUN_ERR_BAD_REQUEST, NULL);
    return -1;
  }
  int code = find_key(s, now, m, a, c);
  if (code == 0 && weft_stun_msg_check_integrity_key(m, c->key) != 0)
    code = WEFT_STUN_ERR_UNAUTHORIZED;
  if (code != 0) {
    s->stats.auth_failures++;
    weft_stun_key_del(c->owned);
    turn_send_error(s, path, m, code, NULL);
    return -1;
  }
  if (turn_nonce_check(s, now, path, nonce->value, nonce->len) != 0) {
    s->stats.stale_nonces++;
    weft_stun_key_del(c->owned);
    turn_send_error(s, path, m, WEFT_STUN_ERR_STALE_NONCE, NULL);
    return -1;
  }
  return 0;
}

static void handle_request(weft_turn_server *s, weft_tstamp now,
                           const weft_turn_path *path, const weft_stun_msg *m) {
  s->stats.requests++;
  if (m->method == WEFT_STUN_BINDING && m->nunknown == 0) {
    answer_binding(s, path, m);
    return;
  }
  if (m->nunknown > 0) {
    turn_send_error(s, path, m, WEFT_STUN_ERR_UNKNOWN_ATTRIBUTE, NULL);
    return;
  }
  if (m->method != WEFT_STUN_ALLOCATE && m->method != WEFT_STUN_REFRESH &&
      m->method != WEFT_STUN_CREATE_PERMISSION &&
      m->method != WEFT_STUN_CHANNEL_BIND) {
    turn_send_error(s, path, m, WEFT_STUN_ERR_BAD_REQUEST, NULL);
    return;
  }
  turn_alloc *a = turn_alloc_find(s, path);
  turn_cred c = {NULL, NULL, {0}};
  if (authenticate(s, now, path, m, a, &c) != 0)
    return;
  if (m->method == WEFT_STUN_ALLOCATE) {
    turn_handle_allocate(s, now, path, m, c.key, c.name, c.owned);
    return; /* c.owned is kept by the allocation or freed */
  }
  weft_stun_key_del(c.owned);
  if (a == NULL) {
    turn_send_error(s, path, m, WEFT_STUN_ERR_ALLOCATION_MISMATCH, c.key);
    return;
  }
  if (m->method == WEFT_STUN_REFRESH)
    turn_handle_refresh(s, now, path, m, a);
  else if (m->method == WEFT_STUN_CREATE_PERMISSION)
    turn_handle_create_permission(s, now, path, m, a);
  else
    turn_handle_channel_bind(s, now, path, m, a);
}

static int path_ok(const weft_turn_path *p) {
  int f = weft_addr_family(&p->remote);
  return (f == AF_INET || f == AF_INET6) && p->transport <= WEFT_TURN_TLS;
}

int weft_turn_server_recv(weft_turn_server *s, weft_tstamp now,
                          const weft_turn_path *path, const uint8_t *data,
                          size_t len) {
  if (s == NULL || path == NULL || (data == NULL && len > 0) || !path_ok(path))
    return WEFT_ERR_INVALID_ARGUMENT;
  s->now = now;
  if (len >= 4 && (data[0] & 0xC0) == 0x40) {
    turn_handle_channel_data(s, now, path, data, len);
    return 0;
  }
  weft_stun_msg m;
  if (weft_stun_msg_decode(&m, data, len) != 0) {
    s->stats.bad_input++;
    return 0;
  }
  if (m.cls == WEFT_STUN_REQUEST)
    handle_request(s, now, path, &m);
  else if (m.cls == WEFT_STUN_INDICATION && m.method == WEFT_STUN_SEND)
    turn_handle_send(s, now, path, &m);
  else if (m.cls != WEFT_STUN_INDICATION || m.method != WEFT_STUN_BINDING)
    s->stats.bad_input++; /* a Binding indication is a keepalive: ignored */
  return 0;
}
