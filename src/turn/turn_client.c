/* The sans-IO TURN client (see turn.h): one allocation, its permissions and
 * channels, requests with retransmission and long-term authentication. */
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "weft/turn.h"

#define TC_MAX_TRANS 16
#define TC_MAX_PERMS 32
#define TC_MAX_CHANS 32
#define TC_TXQ 32
#define TC_EVQ 32
#define TC_MAX_NONCE_RETRIES 3
#define TC_PERM_REFRESH (240 * WEFT_SECONDS) /* permissions last 300 s */
#define TC_CHAN_REFRESH (540 * WEFT_SECONDS) /* channels last 600 s */
#define TC_TCP_TIMEOUT (39500 * WEFT_MILLISECONDS)

enum { ST_IDLE, ST_ALLOCATING, ST_ALLOCATED, ST_CLOSING, ST_CLOSED };

typedef struct tc_perm {
  weft_addr ip;
  int ok;
  int inflight;
  weft_tstamp refresh_at;
} tc_perm;

typedef struct tc_chan {
  weft_addr peer;
  uint16_t num;
  int ok;
  int inflight;
  weft_tstamp refresh_at;
} tc_chan;

typedef struct tc_trans {
  int used;
  uint16_t method;
  int target; /* perm or channel index */
  uint8_t txid[WEFT_STUN_TXID_LEN];
  uint32_t sends;
  uint32_t nonce_retries;
  int authed; /* was sent with credentials */
  weft_tstamp next;
  weft_tstamp rto;
} tc_trans;

typedef struct tc_slot {
  uint16_t len;
  uint8_t data[WEFT_TURN_MAX_FRAME];
} tc_slot;

struct weft_turn_client {
  const weft_mem *mem;
  weft_turn_client_settings set;
  char *username, *password, *software;
  int state;
  char realm[256];
  uint8_t nonce[256];
  size_t nonce_len;
  weft_stun_key *key;
  weft_addr relayed[2], mapped;
  uint32_t lifetime_s;
  weft_tstamp refresh_at;
  int refresh_inflight;
  tc_perm perms[TC_MAX_PERMS];
  size_t nperms;
  tc_chan chans[TC_MAX_CHANS];
  size_t nchans;
  tc_trans trans[TC_MAX_TRANS];
  weft_pcg pcg;
  tc_slot *txq;
  uint32_t txhead, txlen;
  weft_turn_client_event evq[TC_EVQ];
  uint32_t evhead, evlen;
  weft_turn_client_event ev_sink;
  weft_turn_client_stats stats;
};

void weft_turn_client_settings_default(weft_turn_client_settings *s) {
  if (s == NULL)
    return;
  memset(s, 0, sizeof(*s));
  s->transport = WEFT_TURN_UDP;
  s->family = AF_INET;
  s->rto = 500 * WEFT_MILLISECONDS;
  s->max_sends = 7;
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

int weft_turn_client_new(weft_turn_client **out,
                         const weft_turn_client_settings *settings,
                         const weft_mem *mem) {
  if (out == NULL || settings == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  *out = NULL;
  const weft_turn_client_settings *st = settings;
  int fam = weft_addr_family(&st->server);
  if ((fam != AF_INET && fam != AF_INET6) || st->username == NULL ||
      st->password == NULL ||
      (st->family != AF_INET && st->family != AF_INET6) || st->max_sends == 0 ||
      st->rto == 0 || st->transport > WEFT_TURN_TLS)
    return WEFT_ERR_INVALID_ARGUMENT;
  weft_turn_client *c = weft_calloc(mem, 1, sizeof(*c));
  if (c == NULL)
    return WEFT_ERR_NOMEM;
  c->mem = mem;
  c->set = *st;
  c->username = dup_str(mem, st->username);
  c->password = dup_str(mem, st->password);
  c->software = dup_str(mem, st->software);
  c->txq = weft_calloc(mem, TC_TXQ, sizeof(*c->txq));
  uint8_t seed[8];
  if (c->username == NULL || c->password == NULL || c->txq == NULL ||
      (st->software != NULL && c->software == NULL) ||
      weft_rand_bytes(st->rand, seed, sizeof(seed)) != 0) {
    weft_turn_client_del(c);
    return WEFT_ERR_NOMEM;
  }
  uint64_t sv;
  memcpy(&sv, seed, sizeof(sv));
  weft_pcg_seed(&c->pcg, sv, 0x636c6e74);
  *out = c;
  return 0;
}

void weft_turn_client_del(weft_turn_client *c) {
  if (c == NULL)
    return;
  weft_stun_key_del(c->key);
  weft_free(c->mem, c->username);
  weft_free(c->mem, c->password);
  weft_free(c->mem, c->software);
  weft_free(c->mem, c->txq);
  weft_free(c->mem, c);
}

/* ---- queues -------------------------------------------------------------- */

static tc_slot *tx_begin(weft_turn_client *c) {
  if (c->txlen == TC_TXQ) {
    c->stats.tx_queue_drops++;
    return NULL;
  }
  return &c->txq[(c->txhead + c->txlen) % TC_TXQ];
}

static void tx_commit(weft_turn_client *c, tc_slot *t, size_t len) {
  t->len = (uint16_t)len;
  c->txlen++;
}

int weft_turn_client_poll_transmit(weft_turn_client *c, weft_addr *to,
                                   uint8_t *buf, size_t buflen) {
  if (c == NULL || buf == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (c->txlen == 0)
    return 0;
  tc_slot *t = &c->txq[c->txhead];
  if (buflen < t->len)
    return WEFT_ERR_BUFFER_TOO_SMALL;
  memcpy(buf, t->data, t->len);
  if (to != NULL)
    *to = c->set.server;
  c->txhead = (c->txhead + 1) % TC_TXQ;
  c->txlen--;
  return t->len;
}

static weft_turn_client_event *event(weft_turn_client *c, int type) {
  weft_turn_client_event *ev = &c->ev_sink; /* queue full: dropped */
  if (c->evlen < TC_EVQ)
    ev = &c->evq[(c->evhead + c->evlen++) % TC_EVQ];
  memset(ev, 0, sizeof(*ev));
  ev->type = type;
  return ev;
}

int weft_turn_client_poll_event(weft_turn_client *c,
                                weft_turn_client_event *ev) {
  if (c == NULL || ev == NULL || c->evlen == 0)
    return 0;
  *ev = c->evq[c->evhead];
  c->evhead = (c->evhead + 1) % TC_EVQ;
  c->evlen--;
  return 1;
}

/* ---- requests ------------------------------------------------------------ */

static void add_family(weft_stun_builder *b, uint16_t type, int family) {
  uint8_t v[4] = {family == AF_INET6 ? 0x02 : 0x01, 0, 0, 0};
  weft_stun_builder_add(b, type, v, 4);
}

static void add_method_attrs(weft_turn_client *c, weft_stun_builder *b,
                             const tc_trans *t) {
  if (t->method == WEFT_STUN_ALLOCATE) {
    uint8_t tr[4] = {17, 0, 0, 0};
    weft_stun_builder_add(b, WEFT_STUN_ATTR_REQUESTED_TRANSPORT, tr, 4);
    if (c->set.dual)
      add_family(b, WEFT_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, AF_INET6);
    else if (c->set.family == AF_INET6)
      add_family(b, WEFT_STUN_ATTR_REQUESTED_ADDRESS_FAMILY, AF_INET6);
    if (c->set.lifetime_s)
      weft_stun_builder_add_u32(b, WEFT_STUN_ATTR_LIFETIME, c->set.lifetime_s);
  } else if (t->method == WEFT_STUN_REFRESH) {
    weft_stun_builder_add_u32(b, WEFT_STUN_ATTR_LIFETIME,
                              c->state == ST_CLOSING ? 0
                              : c->set.lifetime_s    ? c->set.lifetime_s
                                                     : 600);
  } else if (t->method == WEFT_STUN_CREATE_PERMISSION) {
    weft_stun_builder_add_xor_addr(b, WEFT_STUN_ATTR_XOR_PEER_ADDRESS,
                                   &c->perms[t->target].ip);
  } else if (t->method == WEFT_STUN_CHANNEL_BIND) {
    weft_stun_builder_add_u32(b, WEFT_STUN_ATTR_CHANNEL_NUMBER,
                              (uint32_t)c->chans[t->target].num << 16);
    weft_stun_builder_add_xor_addr(b, WEFT_STUN_ATTR_XOR_PEER_ADDRESS,
                                   &c->chans[t->target].peer);
  }
}

/* Builds and queues transaction @p t (with a fresh transaction id when
 * @p newid). */
static void send_trans(weft_turn_client *c, tc_trans *t, int newid) {
  if (newid)
    for (size_t i = 0; i < sizeof(t->txid); i += 4)
      weft_put_u32(t->txid + i, weft_pcg_next(&c->pcg));
  tc_slot *s = tx_begin(c);
  if (s == NULL)
    return;
  weft_stun_builder b;
  weft_stun_builder_init(&b, s->data, sizeof(s->data), t->method,
                         WEFT_STUN_REQUEST, t->txid);
  add_method_attrs(c, &b, t);
  if (c->software != NULL)
    weft_stun_builder_add_str(&b, WEFT_STUN_ATTR_SOFTWARE, c->software);
  t->authed = c->key != NULL;
  if (c->key != NULL) {
    weft_stun_builder_add_str(&b, WEFT_STUN_ATTR_USERNAME, c->username);
    weft_stun_builder_add_str(&b, WEFT_STUN_ATTR_REALM, c->realm);
    weft_stun_builder_add(&b, WEFT_STUN_ATTR_NONCE, c->nonce, c->nonce_len);
    weft_stun_builder_add_integrity_key(&b, c->key);
  }
  weft_stun_builder_add_fingerprint(&b);
  int n = weft_stun_builder_finish(&b);
  if (n > 0) {
    tx_commit(c, s, (size_t)n);
    c->stats.requests_sent++;
  }
}

static int trans_start(weft_turn_client *c, weft_tstamp now, uint16_t method,
                       int target) {
  for (size_t i = 0; i < TC_MAX_TRANS; i++) {
    tc_trans *t = &c->trans[i];
    if (t->used)
      continue;
    memset(t, 0, sizeof(*t));
    t->used = 1;
    t->method = method;
    t->target = target;
    t->sends = 1;
    t->rto = c->set.rto;
    t->next =
        now + (c->set.transport == WEFT_TURN_UDP ? t->rto : TC_TCP_TIMEOUT);
    send_trans(c, t, 1);
    return 0;
  }
  return WEFT_ERR_LIMIT;
}

/* Sends @p t again at once (new credentials): a new transaction id. */
static void trans_restart(weft_turn_client *c, weft_tstamp now, tc_trans *t) {
  t->sends = 1;
  t->rto = c->set.rto;
  t->next = now + (c->set.transport == WEFT_TURN_UDP ? t->rto : TC_TCP_TIMEOUT);
  send_trans(c, t, 1);
}

int weft_turn_client_allocate(weft_turn_client *c, weft_tstamp now) {
  if (c == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (c->state != ST_IDLE)
    return WEFT_ERR_INVALID_STATE;
  c->state = ST_ALLOCATING;
  return trans_start(c, now, WEFT_STUN_ALLOCATE, -1);
}

int weft_turn_client_is_allocated(const weft_turn_client *c) {
  return c != NULL && c->state == ST_ALLOCATED;
}

static tc_perm *perm_find(weft_turn_client *c, const weft_addr *peer) {
  for (size_t i = 0; i < c->nperms; i++)
    if (weft_addr_equal_ip(&c->perms[i].ip, peer))
      return &c->perms[i];
  return NULL;
}

static int relay_family_ok(const weft_turn_client *c, const weft_addr *peer) {
  int f = weft_addr_family(peer);
  return (f == AF_INET || f == AF_INET6) &&
         weft_addr_family(&c->relayed[f == AF_INET6]) == f;
}

int weft_turn_client_create_permission(weft_turn_client *c, weft_tstamp now,
                                       const weft_addr *peer) {
  if (c == NULL || peer == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (c->state != ST_ALLOCATED)
    return WEFT_ERR_INVALID_STATE;
  if (!relay_family_ok(c, peer))
    return WEFT_ERR_INVALID_ARGUMENT;
  tc_perm *p = perm_find(c, peer);
  if (p != NULL)
    return 0;
  if (c->nperms == TC_MAX_PERMS)
    return WEFT_ERR_LIMIT;
  p = &c->perms[c->nperms];
  memset(p, 0, sizeof(*p));
  p->ip = *peer;
  weft_addr_set_port(&p->ip, 0);
  int rv = trans_start(c, now, WEFT_STUN_CREATE_PERMISSION, (int)c->nperms);
  if (rv != 0)
    return rv;
  p->inflight = 1;
  c->nperms++;
  return 0;
}

int weft_turn_client_bind_channel(weft_turn_client *c, weft_tstamp now,
                                  const weft_addr *peer) {
  if (c == NULL || peer == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (c->state != ST_ALLOCATED)
    return WEFT_ERR_INVALID_STATE;
  if (!relay_family_ok(c, peer))
    return WEFT_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < c->nchans; i++)
    if (weft_addr_equal(&c->chans[i].peer, peer))
      return c->chans[i].num;
  if (c->nchans == TC_MAX_CHANS)
    return WEFT_ERR_LIMIT;
  tc_chan *ch = &c->chans[c->nchans];
  memset(ch, 0, sizeof(*ch));
  ch->peer = *peer;
  ch->num = (uint16_t)(WEFT_TURN_CHANNEL_MIN + c->nchans);
  int rv = trans_start(c, now, WEFT_STUN_CHANNEL_BIND, (int)c->nchans);
  if (rv != 0)
    return rv;
  ch->inflight = 1;
  c->nchans++;
  /* the binding installs the permission too: remember it */
  if (perm_find(c, peer) == NULL && c->nperms < TC_MAX_PERMS) {
    tc_perm *p = &c->perms[c->nperms++];
    memset(p, 0, sizeof(*p));
    p->ip = *peer;
    weft_addr_set_port(&p->ip, 0);
    p->refresh_at = WEFT_TSTAMP_NONE; /* kept alive by the channel */
    p->inflight = 1;
  }
  return ch->num;
}

int weft_turn_client_close(weft_turn_client *c, weft_tstamp now) {
  if (c == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (c->state == ST_CLOSING || c->state == ST_CLOSED)
    return 0;
  int had = c->state == ST_ALLOCATED;
  memset(c->trans, 0, sizeof(c->trans));
  if (!had) {
    c->state = ST_CLOSED;
    event(c, WEFT_TURN_CLIENT_EV_CLOSED);
    return 0;
  }
  c->state = ST_CLOSING;
  return trans_start(c, now, WEFT_STUN_REFRESH, -1);
}

/* ---- data ---------------------------------------------------------------- */

int weft_turn_client_send(weft_turn_client *c, weft_tstamp now,
                          const weft_addr *peer, const uint8_t *data,
                          size_t len) {
  (void)now;
  if (c == NULL || peer == NULL || (data == NULL && len > 0) ||
      len > WEFT_TURN_MAX_PAYLOAD)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (c->state != ST_ALLOCATED)
    return WEFT_ERR_INVALID_STATE;
  const tc_chan *ch = NULL;
  for (size_t i = 0; i < c->nchans && ch == NULL; i++)
    if (c->chans[i].ok && weft_addr_equal(&c->chans[i].peer, peer))
      ch = &c->chans[i];
  if (ch == NULL && perm_find(c, peer) == NULL)
    return WEFT_ERR_TURN_PERMISSION;
  tc_slot *s = tx_begin(c);
  if (s == NULL)
    return WEFT_ERR_QUEUE_FULL;
  if (ch != NULL) {
    weft_put_u16(s->data, ch->num);
    weft_put_u16(s->data + 2, (uint16_t)len);
    memcpy(s->data + 4, data, len);
    size_t n = 4 + len;
    while (c->set.transport != WEFT_TURN_UDP && (n & 3))
      s->data[n++] = 0;
    tx_commit(c, s, n);
    c->stats.tx_channel_data++;
    return 0;
  }
  uint8_t txid[WEFT_STUN_TXID_LEN];
  for (size_t i = 0; i < sizeof(txid); i += 4)
    weft_put_u32(txid + i, weft_pcg_next(&c->pcg));
  weft_stun_builder b;
  weft_stun_builder_init(&b, s->data, sizeof(s->data), WEFT_STUN_SEND,
                         WEFT_STUN_INDICATION, txid);
  weft_stun_builder_add_xor_addr(&b, WEFT_STUN_ATTR_XOR_PEER_ADDRESS, peer);
  weft_stun_builder_add(&b, WEFT_STUN_ATTR_DATA, data, len);
  int n = weft_stun_builder_finish(&b);
  if (n <= 0)
    return WEFT_ERR_INVALID_ARGUMENT;
  tx_commit(c, s, (size_t)n);
  c->stats.tx_send_ind++;
  return 0;
}

static int recv_channel(weft_turn_client *c, const uint8_t *data, size_t len,
                        weft_addr *peer, const uint8_t **payload,
                        size_t *plen) {
  uint16_t num = weft_get_u16(data), dlen = weft_get_u16(data + 2);
  if ((size_t)dlen + 4 > len) {
    c->stats.dropped++;
    return 0;
  }
  for (size_t i = 0; i < c->nchans; i++) {
    if (c->chans[i].num == num) {
      *peer = c->chans[i].peer;
      *payload = data + 4;
      *plen = dlen;
      c->stats.rx_channel_data++;
      return 1;
    }
  }
  c->stats.dropped++;
  return 0;
}

static int recv_data_ind(weft_turn_client *c, const weft_stun_msg *m,
                         weft_addr *peer, const uint8_t **payload,
                         size_t *plen) {
  const weft_stun_attr *pa =
      weft_stun_msg_find(m, WEFT_STUN_ATTR_XOR_PEER_ADDRESS);
  const weft_stun_attr *da = weft_stun_msg_find(m, WEFT_STUN_ATTR_DATA);
  if (pa == NULL || da == NULL || weft_stun_attr_xor_addr(m, pa, peer) != 0) {
    c->stats.dropped++;
    return 0;
  }
  *payload = da->value;
  *plen = da->len;
  c->stats.rx_data_ind++;
  return 1;
}

/* ---- responses ----------------------------------------------------------- */

static void on_allocated(weft_turn_client *c, weft_tstamp now,
                         const weft_stun_msg *m) {
  memset(c->relayed, 0, sizeof(c->relayed));
  for (size_t i = 0; i < m->nattrs; i++) {
    weft_addr a;
    if (m->attrs[i].type == WEFT_STUN_ATTR_XOR_RELAYED_ADDRESS &&
        weft_stun_attr_xor_addr(m, &m->attrs[i], &a) == 0)
      c->relayed[weft_addr_family(&a) == AF_INET6] = a;
  }
  const weft_stun_attr *ma =
      weft_stun_msg_find(m, WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS);
  if (ma != NULL)
    weft_stun_attr_xor_addr(m, ma, &c->mapped);
  const weft_stun_attr *lt = weft_stun_msg_find(m, WEFT_STUN_ATTR_LIFETIME);
  uint32_t life = 600;
  if (lt != NULL)
    weft_stun_attr_u32(lt, &life);
  c->lifetime_s = life;
  c->state = ST_ALLOCATED;
  weft_tstamp lead =
      life > 120 ? 60 * WEFT_SECONDS : (weft_tstamp)life * WEFT_SECONDS / 2;
  c->refresh_at = now + (weft_tstamp)life * WEFT_SECONDS - lead;
  weft_turn_client_event *ev = event(c, WEFT_TURN_CLIENT_EV_ALLOCATED);
  memcpy(ev->relayed, c->relayed, sizeof(ev->relayed));
  ev->mapped = c->mapped;
  ev->lifetime_s = life;
}

static void on_success(weft_turn_client *c, weft_tstamp now, tc_trans *t,
                       const weft_stun_msg *m) {
  if (t->method == WEFT_STUN_ALLOCATE) {
    on_allocated(c, now, m);
  } else if (t->method == WEFT_STUN_REFRESH) {
    c->refresh_inflight = 0;
    if (c->state == ST_CLOSING) {
      c->state = ST_CLOSED;
      event(c, WEFT_TURN_CLIENT_EV_CLOSED);
      return;
    }
    const weft_stun_attr *lt = weft_stun_msg_find(m, WEFT_STUN_ATTR_LIFETIME);
    uint32_t life = c->lifetime_s;
    if (lt != NULL)
      weft_stun_attr_u32(lt, &life);
    c->lifetime_s = life;
    weft_tstamp lead =
        life > 120 ? 60 * WEFT_SECONDS : (weft_tstamp)life * WEFT_SECONDS / 2;
    c->refresh_at = now + (weft_tstamp)life * WEFT_SECONDS - lead;
    event(c, WEFT_TURN_CLIENT_EV_REFRESHED)->lifetime_s = life;
  } else if (t->method == WEFT_STUN_CREATE_PERMISSION) {
    tc_perm *p = &c->perms[t->target];
    int first = !p->ok;
    p->ok = 1;
    p->inflight = 0;
    p->refresh_at = now + TC_PERM_REFRESH;
    if (first)
      event(c, WEFT_TURN_CLIENT_EV_PERMISSION_CREATED)->peer = p->ip;
  } else if (t->method == WEFT_STUN_CHANNEL_BIND) {
    tc_chan *ch = &c->chans[t->target];
    int first = !ch->ok;
    ch->ok = 1;
    ch->inflight = 0;
    ch->refresh_at = now + TC_CHAN_REFRESH;
    tc_perm *p = perm_find(c, &ch->peer);
    if (p != NULL && p->refresh_at == WEFT_TSTAMP_NONE) {
      p->ok = 1;
      p->inflight = 0;
    }
    if (first) {
      weft_turn_client_event *ev = event(c, WEFT_TURN_CLIENT_EV_CHANNEL_BOUND);
      ev->peer = ch->peer;
      ev->channel = ch->num;
    }
  }
}

/* A transaction failed for good (@p code 0: timed out). */
static void on_failure(weft_turn_client *c, tc_trans *t, int code) {
  weft_turn_client_event *ev = NULL;
  if (t->method == WEFT_STUN_ALLOCATE) {
    c->state = ST_CLOSED;
    ev = event(c, WEFT_TURN_CLIENT_EV_ALLOCATE_FAILED);
  } else if (t->method == WEFT_STUN_REFRESH) {
    c->refresh_inflight = 0;
    int closing = c->state == ST_CLOSING;
    c->state = ST_CLOSED;
    ev = event(c, closing ? WEFT_TURN_CLIENT_EV_CLOSED
                          : WEFT_TURN_CLIENT_EV_ALLOCATION_LOST);
  } else if (t->method == WEFT_STUN_CREATE_PERMISSION) {
    tc_perm *p = &c->perms[t->target];
    p->inflight = 0;
    p->ok = 0;
    p->refresh_at = WEFT_TSTAMP_NONE - 1; /* not retried automatically */
    ev = event(c, WEFT_TURN_CLIENT_EV_PERMISSION_FAILED);
    ev->peer = p->ip;
  } else {
    tc_chan *ch = &c->chans[t->target];
    ch->inflight = 0;
    ch->ok = 0;
    ch->refresh_at = WEFT_TSTAMP_NONE - 1;
    ev = event(c, WEFT_TURN_CLIENT_EV_CHANNEL_FAILED);
    ev->peer = ch->peer;
    ev->channel = ch->num;
  }
  ev->error_code = code;
  t->used = 0;
}

/* Takes REALM and NONCE of a 401/438 and makes the key. Returns 0 or -1. */
static int take_challenge(weft_turn_client *c, const weft_stun_msg *m) {
  const weft_stun_attr *r = weft_stun_msg_find(m, WEFT_STUN_ATTR_REALM);
  const weft_stun_attr *n = weft_stun_msg_find(m, WEFT_STUN_ATTR_NONCE);
  if (n == NULL || n->len > sizeof(c->nonce) ||
      (r != NULL && r->len >= sizeof(c->realm)))
    return -1;
  memcpy(c->nonce, n->value, n->len);
  c->nonce_len = n->len;
  if (r == NULL)
    return c->key != NULL ? 0 : -1;
  if (c->key != NULL && strlen(c->realm) == r->len &&
      memcmp(c->realm, r->value, r->len) == 0)
    return 0;
  memcpy(c->realm, r->value, r->len);
  c->realm[r->len] = '\0';
  uint8_t key[WEFT_STUN_MAX_KEY];
  size_t keylen = 0;
  weft_stun_key_del(c->key);
  c->key = NULL;
  if (weft_stun_long_term_key(WEFT_STUN_PASSWORD_MD5, c->username, c->realm,
                              c->password, key, &keylen) != 0 ||
      weft_stun_key_new(&c->key, key, keylen, c->mem) != 0)
    return -1;
  return 0;
}

static void on_error(weft_turn_client *c, weft_tstamp now, tc_trans *t,
                     const weft_stun_msg *m) {
  int code = 0;
  const char *reason;
  size_t rlen;
  const weft_stun_attr *e = weft_stun_msg_find(m, WEFT_STUN_ATTR_ERROR_CODE);
  if (e == NULL || weft_stun_attr_error(e, &code, &reason, &rlen) != 0)
    code = WEFT_STUN_ERR_BAD_REQUEST;
  int retry = 0;
  if (code == WEFT_STUN_ERR_UNAUTHORIZED && !t->authed)
    retry = take_challenge(c, m) == 0;
  else if (code == WEFT_STUN_ERR_STALE_NONCE &&
           t->nonce_retries < TC_MAX_NONCE_RETRIES) {
    c->stats.stale_nonces++;
    t->nonce_retries++;
    retry = take_challenge(c, m) == 0;
  }
  if (retry)
    trans_restart(c, now, t);
  else
    on_failure(c, t, code);
}

static void on_response(weft_turn_client *c, weft_tstamp now,
                        const weft_stun_msg *m) {
  tc_trans *t = NULL;
  for (size_t i = 0; i < TC_MAX_TRANS && t == NULL; i++)
    if (c->trans[i].used &&
        memcmp(c->trans[i].txid, m->txid, sizeof(m->txid)) == 0)
      t = &c->trans[i];
  if (t == NULL || t->method != m->method) {
    c->stats.dropped++;
    return;
  }
  /* responses to signed requests must be signed with our key (401/438
   * excepted: the server could not check us) */
  if (t->authed && c->key != NULL &&
      weft_stun_msg_check_integrity_key(m, c->key) != 0 &&
      !(m->cls == WEFT_STUN_ERROR && m->integrity < 0)) {
    c->stats.dropped++;
    return;
  }
  if (m->cls == WEFT_STUN_SUCCESS) {
    t->used = 0;
    on_success(c, now, t, m);
  } else {
    on_error(c, now, t, m);
  }
}

int weft_turn_client_recv(weft_turn_client *c, weft_tstamp now,
                          const uint8_t *data, size_t len, weft_addr *peer,
                          const uint8_t **payload, size_t *payload_len) {
  if (c == NULL || (data == NULL && len > 0) || peer == NULL ||
      payload == NULL || payload_len == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (len >= 4 && (data[0] & 0xC0) == 0x40)
    return recv_channel(c, data, len, peer, payload, payload_len);
  weft_stun_msg m;
  if (weft_stun_msg_decode(&m, data, len) != 0) {
    c->stats.dropped++;
    return 0;
  }
  if (m.cls == WEFT_STUN_INDICATION && m.method == WEFT_STUN_DATA)
    return recv_data_ind(c, &m, peer, payload, payload_len);
  if (m.cls == WEFT_STUN_SUCCESS || m.cls == WEFT_STUN_ERROR)
    on_response(c, now, &m);
  else
    c->stats.dropped++;
  return 0;
}

/* ---- time ---------------------------------------------------------------- */

weft_tstamp weft_turn_client_deadline(const weft_turn_client *c) {
  if (c == NULL)
    return WEFT_TSTAMP_NONE;
  weft_tstamp d = WEFT_TSTAMP_NONE;
  for (size_t i = 0; i < TC_MAX_TRANS; i++)
    if (c->trans[i].used && c->trans[i].next < d)
      d = c->trans[i].next;
  if (c->state != ST_ALLOCATED)
    return d;
  if (!c->refresh_inflight && c->refresh_at < d)
    d = c->refresh_at;
  for (size_t i = 0; i < c->nperms; i++)
    if (c->perms[i].ok && !c->perms[i].inflight && c->perms[i].refresh_at < d)
      d = c->perms[i].refresh_at;
  for (size_t i = 0; i < c->nchans; i++)
    if (c->chans[i].ok && !c->chans[i].inflight && c->chans[i].refresh_at < d)
      d = c->chans[i].refresh_at;
  return d;
}

static void retransmit(weft_turn_client *c, weft_tstamp now) {
  for (size_t i = 0; i < TC_MAX_TRANS; i++) {
    tc_trans *t = &c->trans[i];
    if (!t->used || now < t->next)
      continue;
    if (c->set.transport != WEFT_TURN_UDP || t->sends >= c->set.max_sends) {
      on_failure(c, t, 0);
      continue;
    }
    t->sends++;
    t->rto *= 2;
    /* RFC 8489: the last wait is 16 RTO (Rm), not a doubling */
    t->next = now + (t->sends == c->set.max_sends ? c->set.rto * 16 : t->rto);
    c->stats.retransmits++;
    send_trans(c, t, 0);
  }
}

static void refresh_due(weft_turn_client *c, weft_tstamp now) {
  if (!c->refresh_inflight && now >= c->refresh_at &&
      trans_start(c, now, WEFT_STUN_REFRESH, -1) == 0)
    c->refresh_inflight = 1;
  for (size_t i = 0; i < c->nperms; i++) {
    tc_perm *p = &c->perms[i];
    if (p->ok && !p->inflight && now >= p->refresh_at &&
        trans_start(c, now, WEFT_STUN_CREATE_PERMISSION, (int)i) == 0)
      p->inflight = 1;
  }
  for (size_t i = 0; i < c->nchans; i++) {
    tc_chan *ch = &c->chans[i];
    if (ch->ok && !ch->inflight && now >= ch->refresh_at &&
        trans_start(c, now, WEFT_STUN_CHANNEL_BIND, (int)i) == 0)
      ch->inflight = 1;
  }
}

void weft_turn_client_handle_timeout(weft_turn_client *c, weft_tstamp now) {
  if (c == NULL)
    return;
  retransmit(c, now);
  if (c->state == ST_ALLOCATED)
    refresh_due(c, now);
}

void weft_turn_client_get_stats(const weft_turn_client *c,
                                weft_turn_client_stats *out) {
  if (c != NULL && out != NULL)
    *out = c->stats;
}
