/* The signaling broker: sessions, ids, held messages, timers (see
 * signal_core.h). The JSON side is in signal_msg.c. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signal_int.h"

#define ERR_PARAMS "No id, token, or key supplied to websocket server"
#define ERR_KEY "Invalid key provided"
#define ERR_LIMIT "Server has reached its concurrent user limit"
#define ERR_ADDR "Too many connections from this address"
#define ERR_IDLEN "Id or token too long"

void sig_config_default(sig_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->key = "peerjs";
  cfg->expire_timeout = 5000 * WEFT_MILLISECONDS;
  cfg->alive_timeout = 60000 * WEFT_MILLISECONDS;
  cfg->concurrent_limit = 5000;
  cfg->max_message = 65536;
  cfg->rate_per_s = 100;
  cfg->rate_burst = 200;
  cfg->max_held_per_dst = 64;
  cfg->max_held_total = 16384;
  cfg->max_held_bytes = 32u << 20;
  cfg->max_out_bytes = 1u << 20;
  cfg->max_per_addr = 64;
  cfg->max_errors = 16;
  cfg->max_id_len = 256;
  weft_log_default(&cfg->log);
}

/* ---- map ------------------------------------------------------------------
 */

static uint64_t hash_bytes(uint64_t seed, const char *p, size_t n) {
  uint64_t h = seed ^ 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) {
    h ^= (uint8_t)p[i];
    h *= 0x100000001b3ull;
  }
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 32);
}

int sig_map_init(sig_map *m, uint64_t seed) {
  m->nbuckets = 64;
  m->count = 0;
  m->seed = seed;
  m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
  return m->buckets == NULL ? WEFT_ERR_NOMEM : 0;
}

void sig_map_free(sig_map *m) {
  free(m->buckets);
  m->buckets = NULL;
}

sig_hnode *sig_map_find(const sig_map *m, const char *key, size_t len) {
  uint64_t h = hash_bytes(m->seed, key, len);
  for (sig_hnode *n = m->buckets[h & (m->nbuckets - 1)]; n; n = n->next)
    if (n->hash == h && n->keylen == len && memcmp(n->key, key, len) == 0)
      return n;
  return NULL;
}

static void map_grow(sig_map *m) {
  size_t nb = m->nbuckets * 2;
  sig_hnode **nbk = calloc(nb, sizeof(*nbk));
  if (nbk == NULL)
    return; /* longer chains, still correct */
  for (size_t i = 0; i < m->nbuckets; i++) {
    sig_hnode *n = m->buckets[i];
    while (n != NULL) {
      sig_hnode *next = n->next;
      n->next = nbk[n->hash & (nb - 1)];
      nbk[n->hash & (nb - 1)] = n;
      n = next;
    }
  }
  free(m->buckets);
  m->buckets = nbk;
  m->nbuckets = nb;
}

int sig_map_insert(sig_map *m, sig_hnode *n, const char *key, size_t len) {
  if (m->count >= m->nbuckets)
    map_grow(m);
  n->key = key;
  n->keylen = len;
  n->hash = hash_bytes(m->seed, key, len);
  sig_hnode **slot = &m->buckets[n->hash & (m->nbuckets - 1)];
  n->next = *slot;
  *slot = n;
  m->count++;
  return 0;
}

void sig_map_remove(sig_map *m, sig_hnode *n) {
  sig_hnode **p = &m->buckets[n->hash & (m->nbuckets - 1)];
  while (*p != NULL && *p != n)
    p = &(*p)->next;
  assert(*p == n);
  *p = n->next;
  m->count--;
}

/* ---- broker ---------------------------------------------------------------
 */

int sig_broker_new(sig_broker **out, const sig_config *cfg) {
  sig_broker *b = calloc(1, sizeof(*b));
  if (b == NULL)
    return WEFT_ERR_NOMEM;
  b->cfg = *cfg;
  if (b->cfg.rand == NULL)
    b->cfg.rand = weft_rand_default();
  b->key = strdup(cfg->key != NULL ? cfg->key : "peerjs");
  uint64_t seed = weft_rand_u64(b->cfg.rand);
  if (b->key == NULL || sig_map_init(&b->ids, seed) != 0 ||
      sig_map_init(&b->held, seed + 1) != 0 ||
      sig_map_init(&b->addrs, seed + 2) != 0) {
    sig_broker_del(b);
    return WEFT_ERR_NOMEM;
  }
  b->cfg.key = b->key;
  *out = b;
  return 0;
}

static void free_msgs(sig_msg *m) {
  while (m != NULL) {
    sig_msg *next = m->next;
    free(m);
    m = next;
  }
}

static void held_free(sig_broker *b, sig_held *h) {
  sig_map_remove(&b->held, &h->node);
  *(h->fprev ? &h->fprev->fnext : &b->fifo_head) = h->fnext;
  *(h->fnext ? &h->fnext->fprev : &b->fifo_tail) = h->fprev;
  for (sig_msg *m = h->head; m != NULL; m = m->next)
    b->held_bytes -= m->len;
  b->held_total -= h->count;
  b->st.held_now = b->held_total;
  free_msgs(h->head);
  free(h);
}

void sig_broker_del(sig_broker *b) {
  if (b == NULL)
    return;
  while (b->fifo_head != NULL)
    held_free(b, b->fifo_head);
  /* sessions not yet disconnected by the glue */
  for (size_t i = 0; b->ids.buckets && i < b->ids.nbuckets; i++)
    while (b->ids.buckets[i] != NULL)
      sig_broker_disconnect(b, (sig_session *)b->ids.buckets[i]);
  while (b->pend_head != NULL)
    sig_broker_disconnect(b, b->pend_head);
  sig_map_free(&b->ids);
  sig_map_free(&b->held);
  sig_map_free(&b->addrs);
  free(b->key);
  free(b);
}

/* ---- output ---------------------------------------------------------------
 */

sig_msg *sig_msg_new(const sig_broker *b, size_t cap) {
  sig_msg *m = malloc(sizeof(*m) + b->cfg.headroom + cap);
  if (m != NULL) {
    m->next = NULL;
    m->len = 0;
    m->srclen = 0;
  }
  return m;
}

void sig_mark(sig_broker *b, sig_session *s, int flags) {
  if (s->pflags == 0) {
    s->pprev = b->pend_tail;
    s->pnext = NULL;
    *(b->pend_tail ? &b->pend_tail->pnext : &b->pend_head) = s;
    b->pend_tail = s;
  }
  s->pflags |= flags;
}

static void unmark(sig_broker *b, sig_session *s) {
  if (s->pflags == 0)
    return;
  *(s->pprev ? &s->pprev->pnext : &b->pend_head) = s->pnext;
  *(s->pnext ? &s->pnext->pprev : &b->pend_tail) = s->pprev;
  s->pflags = 0;
}

void sig_queue_msg(sig_broker *b, sig_session *s, sig_msg *m) {
  m->next = NULL;
  *s->out_tail = m;
  s->out_tail = &m->next;
  s->out_bytes += m->len;
  sig_mark(b, s, SIG_EV_SEND);
}

/* Queues a message built from a NUL-terminated JSON text. */
static void send_text(sig_broker *b, sig_session *s, const char *text) {
  size_t n = strlen(text);
  sig_msg *m = sig_msg_new(b, n);
  if (m == NULL)
    return;
  memcpy(m->buf + b->cfg.headroom, text, n);
  m->len = n;
  sig_queue_msg(b, s, m);
}

void sig_send_error(sig_broker *b, sig_session *s, const char *msg) {
  char text[256];
  snprintf(text, sizeof(text),
           "{\"type\":\"ERROR\",\"payload\":{\"msg\":\"%s\"}}", msg);
  send_text(b, s, text);
}

int sig_session_peek(const sig_broker *b, const sig_session *s, char **data,
                     size_t *len) {
  if (s->out_head == NULL)
    return 0;
  *data = s->out_head->buf + b->cfg.headroom;
  *len = s->out_head->len;
  return 1;
}

void sig_session_pop(sig_broker *b, sig_session *s) {
  sig_msg *m = s->out_head;
  if (m == NULL)
    return;
  s->out_head = m->next;
  if (s->out_head == NULL)
    s->out_tail = &s->out_head;
  s->out_bytes -= m->len;
  free(m);
}

int sig_session_closing(const sig_session *s) {
  return s->state == SS_CLOSING;
}

const char *sig_session_id(const sig_session *s) {
  return s->registered ? s->id : NULL;
}

static void alive_unlink(sig_broker *b, sig_session *s) {
  if (s->aprev == NULL && b->alive_head != s)
    return; /* not listed */
  *(s->aprev ? &s->aprev->anext : &b->alive_head) = s->anext;
  *(s->anext ? &s->anext->aprev : &b->alive_tail) = s->aprev;
  s->aprev = s->anext = NULL;
}

void sig_alive_touch(sig_broker *b, sig_session *s, weft_tstamp now) {
  if (!s->registered)
    return;
  s->last_ping = now;
  if (b->alive_tail == s)
    return;
  alive_unlink(b, s);
  s->aprev = b->alive_tail;
  *(b->alive_tail ? &b->alive_tail->anext : &b->alive_head) = s;
  b->alive_tail = s;
}

static void unregister(sig_broker *b, sig_session *s) {
  if (!s->registered)
    return;
  sig_map_remove(&b->ids, &s->node);
  alive_unlink(b, s);
  s->registered = 0;
  b->st.sessions--;
}

void sig_close_session(sig_broker *b, sig_session *s) {
  unregister(b, s);
  s->state = SS_CLOSING;
  sig_mark(b, s, SIG_EV_CLOSE);
}

/* ---- connections ----------------------------------------------------------
 */

/* Counts the session against its source address; 0 or -1 over the bound. */
static int addr_acquire(sig_broker *b, sig_session *s, const void *addr,
                        size_t len) {
  if (addr == NULL || len == 0 || b->cfg.max_per_addr == 0)
    return 0;
  sig_addrcount *a = (sig_addrcount *)sig_map_find(&b->addrs, addr, len);
  if (a == NULL) {
    a = malloc(sizeof(*a) + len);
    if (a == NULL)
      return -1;
    memcpy(a + 1, addr, len);
    a->count = 0;
    sig_map_insert(&b->addrs, &a->node, (const char *)(a + 1), len);
  }
  if (a->count >= b->cfg.max_per_addr)
    return -1;
  a->count++;
  s->addr = a;
  return 0;
}

static void addr_release(sig_broker *b, sig_session *s) {
  sig_addrcount *a = s->addr;
  if (a == NULL)
    return;
  s->addr = NULL;
  if (--a->count == 0) {
    sig_map_remove(&b->addrs, &a->node);
    free(a);
  }
}

static sig_session *session_new(sig_broker *b, void *user) {
  sig_session *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  s->user = user;
  s->out_tail = &s->out_head;
  s->state = SS_NEW;
  return s;
}

static int reject(sig_broker *b, sig_session *s, const char *text) {
  send_text(b, s, text);
  s->state = SS_CLOSING;
  sig_mark(b, s, SIG_EV_CLOSE);
  b->st.rejected++;
  return SIG_CONNECT_REJECTED;
}

static int reject_error(sig_broker *b, sig_session *s, const char *msg) {
  sig_send_error(b, s, msg);
  s->state = SS_CLOSING;
  sig_mark(b, s, SIG_EV_CLOSE);
  b->st.rejected++;
  return SIG_CONNECT_REJECTED;
}

/* Moves the messages held for @p s's id into its output. */
static void deliver_held(sig_broker *b, sig_session *s) {
  sig_held *h = (sig_held *)sig_map_find(&b->held, s->id, strlen(s->id));
  if (h == NULL)
    return;
  sig_msg *m = h->head;
  h->head = NULL;
  h->count = 0;
  while (m != NULL) {
    sig_msg *next = m->next;
    b->held_bytes -= m->len;
    b->held_total--;
    m->srclen = 0;
    sig_queue_msg(b, s, m);
    b->st.forwarded++;
    m = next;
  }
  held_free(b, h);
}

/* Registers @p s under its id (new, or taking over with the same token). */
static int do_register(sig_broker *b, weft_tstamp now, sig_session *s) {
  size_t idlen = strlen(s->id);
  sig_session *old = (sig_session *)sig_map_find(&b->ids, s->id, idlen);
  if (old != NULL) {
    if (strcmp(old->token, s->token) != 0)
      return reject(b, s,
                    "{\"type\":\"ID-TAKEN\",\"payload\":{\"msg\":\"ID is "
                    "taken\"}}");
    sig_close_session(b, old); /* the same client reconnected */
  } else if (b->st.sessions >= b->cfg.concurrent_limit) {
    return reject_error(b, s, ERR_LIMIT);
  }
  sig_map_insert(&b->ids, &s->node, s->id, idlen);
  s->registered = 1;
  s->state = SS_OPEN;
  b->st.sessions++;
  b->st.opened++;
  s->tat = now;
  b->now = now;
  sig_alive_touch(b, s, now);
  send_text(b, s, "{\"type\":\"OPEN\"}");
  deliver_held(b, s);
  return SIG_CONNECT_OPEN;
}

int sig_broker_connect(sig_broker *b, weft_tstamp now, void *user,
                       const void *addr, size_t addrlen, const char *key,
                       const char *id, const char *token, sig_session **out) {
  sig_session *s = session_new(b, user);
  if (s == NULL)
    return WEFT_ERR_NOMEM;
  *out = s;
  if (id == NULL || token == NULL || key == NULL || !id[0] || !token[0] ||
      !key[0])
    return reject_error(b, s, ERR_PARAMS);
  if (strcmp(key, b->key) != 0)
    return reject_error(b, s, ERR_KEY);
  if (strlen(id) > b->cfg.max_id_len || strlen(token) > b->cfg.max_id_len)
    return reject_error(b, s, ERR_IDLEN);
  if (addr_acquire(b, s, addr, addrlen) != 0)
    return reject_error(b, s, ERR_ADDR);
  s->id = strdup(id);
  s->token = strdup(token);
  if (s->id == NULL || s->token == NULL) {
    sig_broker_disconnect(b, s);
    *out = NULL;
    return WEFT_ERR_NOMEM;
  }
  return do_register(b, now, s);
}

void sig_broker_disconnect(sig_broker *b, sig_session *s) {
  if (s == NULL)
    return;
  unregister(b, s);
  unmark(b, s);
  addr_release(b, s);
  free_msgs(s->out_head);
  free(s->id);
  free(s->token);
  free(s);
}

/* ---- routing --------------------------------------------------------------
 */

sig_msg *sig_format(const sig_broker *b, const char *type, const char *src,
                    size_t srclen, const char *dst, size_t dstlen,
                    const char *payload, size_t plen) {
  size_t cap = 48 + strlen(type) + 6 * (srclen + dstlen) + plen + srclen + 1;
  sig_msg *m = sig_msg_new(b, cap);
  if (m == NULL)
    return NULL;
  char *o = m->buf + b->cfg.headroom, *p = o;
  p += sprintf(p, "{\"type\":\"%s\",\"src\":", type);
  p += sig_json_string(p, src, srclen);
  memcpy(p, ",\"dst\":", 7);
  p += 7;
  p += sig_json_string(p, dst, dstlen);
  if (payload != NULL) {
    memcpy(p, ",\"payload\":", 11);
    p += 11;
    memcpy(p, payload, plen);
    p += plen;
  }
  *p++ = '}';
  m->len = (size_t)(p - o);
  memcpy(p, src, srclen); /* the sender, for EXPIRE while held */
  p[srclen] = '\0';
  m->srclen = srclen;
  return m;
}

/* Sends a bodiless {"type","src","dst"} (EXPIRE, LEAVE) through routing. */
static void route_notice(sig_broker *b, const char *type, const char *src,
                         size_t srclen, const char *dst, size_t dstlen) {
  sig_msg *m = sig_format(b, type, src, srclen, dst, dstlen, NULL, 0);
  if (m != NULL)
    sig_route(b, type, src, srclen, dst, dstlen, m);
}

static sig_held *held_get(sig_broker *b, weft_tstamp now, const char *dst,
                          size_t dstlen) {
  sig_held *h = (sig_held *)sig_map_find(&b->held, dst, dstlen);
  if (h != NULL)
    return h;
  h = calloc(1, sizeof(*h) + dstlen + 1);
  if (h == NULL)
    return NULL;
  memcpy(h + 1, dst, dstlen);
  h->tail = &h->head;
  h->created = now;
  sig_map_insert(&b->held, &h->node, (const char *)(h + 1), dstlen);
  h->fprev = b->fifo_tail;
  *(b->fifo_tail ? &b->fifo_tail->fnext : &b->fifo_head) = h;
  b->fifo_tail = h;
  return h;
}

/* Holds @p m for the absent @p dst; over a bound the sender gets EXPIRE. */
static void hold(sig_broker *b, const char *src, size_t srclen, const char *dst,
                 size_t dstlen, sig_msg *m) {
  sig_held *h = NULL;
  if (b->held_total < b->cfg.max_held_total &&
      b->held_bytes + m->len <= b->cfg.max_held_bytes)
    h = held_get(b, b->now, dst, dstlen);
  if (h == NULL || h->count >= b->cfg.max_held_per_dst) {
    free(m);
    b->st.expired++;
    route_notice(b, "EXPIRE", dst, dstlen, src, srclen);
    return;
  }
  *h->tail = m;
  h->tail = &m->next;
  h->count++;
  b->held_total++;
  b->held_bytes += m->len;
  b->st.held++;
  b->st.held_now = b->held_total;
}

void sig_route(sig_broker *b, const char *type, const char *src, size_t srclen,
               const char *dst, size_t dstlen, sig_msg *m) {
  sig_session *d = (sig_session *)sig_map_find(&b->ids, dst, dstlen);
  if (d != NULL) {
    if (d->out_bytes + m->len > b->cfg.max_out_bytes) {
      /* the receiver does not read: close it, tell the sender (LEAVE) */
      free(m);
      b->st.slow++;
      sig_close_session(b, d);
      route_notice(b, "LEAVE", dst, dstlen, src, srclen);
      return;
    }
    m->srclen = 0;
    sig_queue_msg(b, d, m);
    b->st.forwarded++;
    return;
  }
  if (strcmp(type, "LEAVE") == 0 || strcmp(type, "EXPIRE") == 0) {
    free(m);
    b->st.dropped++;
    return;
  }
  hold(b, src, srclen, dst, dstlen, m);
}

/* ---- timers ---------------------------------------------------------------
 */

/* EXPIRE to every distinct sender of the messages in @p h, then frees it. */
static void held_expire(sig_broker *b, sig_held *h) {
  const char *dst = h->node.key;
  size_t dstlen = h->node.keylen;
  for (sig_msg *m = h->head; m != NULL; m = m->next) {
    const char *src = m->buf + b->cfg.headroom + m->len;
    int seen = 0;
    for (sig_msg *p = h->head; p != m && !seen; p = p->next)
      seen = p->srclen == m->srclen &&
             memcmp(p->buf + b->cfg.headroom + p->len, src, m->srclen) == 0;
    if (seen)
      continue;
    b->st.expired++;
    route_notice(b, "EXPIRE", dst, dstlen, src, m->srclen);
  }
  held_free(b, h);
}

void sig_broker_handle_timeout(sig_broker *b, weft_tstamp now) {
  b->now = now;
  while (b->fifo_head != NULL &&
         now - b->fifo_head->created >= b->cfg.expire_timeout &&
         now >= b->fifo_head->created)
    held_expire(b, b->fifo_head);
  while (b->alive_head != NULL && now >= b->alive_head->last_ping &&
         now - b->alive_head->last_ping >= b->cfg.alive_timeout) {
    sig_session *s = b->alive_head;
    sig_held *h = (sig_held *)sig_map_find(&b->held, s->id, strlen(s->id));
    if (h != NULL)
      held_free(b, h); /* as the PeerJS server: its queue goes too */
    b->st.timeouts++;
    sig_close_session(b, s);
  }
}

weft_tstamp sig_broker_deadline(const sig_broker *b) {
  weft_tstamp d = WEFT_TSTAMP_NONE;
  if (b->fifo_head != NULL)
    d = b->fifo_head->created + b->cfg.expire_timeout;
  if (b->alive_head != NULL &&
      b->alive_head->last_ping + b->cfg.alive_timeout < d)
    d = b->alive_head->last_ping + b->cfg.alive_timeout;
  return d;
}

int sig_broker_poll_event(sig_broker *b, sig_event *ev) {
  sig_session *s = b->pend_head;
  if (s == NULL)
    return 0;
  ev->session = s;
  ev->user = s->user;
  ev->flags = s->pflags;
  unmark(b, s);
  return 1;
}

/* ---- HTTP side ------------------------------------------------------------
 */

int sig_broker_new_id(sig_broker *b, char out[37]) {
  for (int tries = 0; tries < 16; tries++) {
    uint8_t r[16];
    int rc = weft_rand_bytes(b->cfg.rand, r, sizeof(r));
    if (rc != 0)
      return rc;
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40); /* version 4 */
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80); /* variant 10 */
    char *p = out;
    for (int i = 0; i < 16; i++) {
      if (i == 4 || i == 6 || i == 8 || i == 10)
        *p++ = '-';
      p += sprintf(p, "%02x", r[i]);
    }
    if (sig_map_find(&b->ids, out, 36) == NULL)
      return 0;
  }
  return WEFT_ERR_EXISTS;
}

char *sig_broker_peers_json(const sig_broker *b) {
  if (!b->cfg.allow_discovery)
    return NULL;
  size_t cap = 3;
  for (size_t i = 0; i < b->ids.nbuckets; i++)
    for (sig_hnode *n = b->ids.buckets[i]; n; n = n->next)
      cap += 6 * n->keylen + 3;
  char *out = malloc(cap), *p = out;
  if (out == NULL)
    return NULL;
  *p++ = '[';
  for (size_t i = 0; i < b->ids.nbuckets; i++)
    for (sig_hnode *n = b->ids.buckets[i]; n; n = n->next) {
      if (p > out + 1)
        *p++ = ',';
      p += sig_json_string(p, n->key, n->keylen);
    }
  *p++ = ']';
  *p = '\0';
  return out;
}

void sig_broker_get_stats(const sig_broker *b, sig_stats *out) {
  *out = b->st;
}
