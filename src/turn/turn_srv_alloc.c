/* TURN allocations: the table (by relay id and by 5-tuple), Allocate and
 * Refresh (RFC 8656 sections 7 and 8, RFC 6156 address families), and
 * expiry. */
#include "turn/turn_int.h"

#include <string.h>

#include "base/buf.h"
#include "base/mem.h"

static size_t path_bucket(const weft_turn_server *s, const weft_turn_path *p) {
  uint64_t h = weft_addr_hash(&p->remote) ^ (p->sock * 0x9E3779B97F4A7C15ull);
  return (size_t)(h ^ (h >> 29)) & (s->nbuckets - 1);
}

turn_alloc *turn_alloc_find(const weft_turn_server *s,
                            const weft_turn_path *path) {
  turn_alloc *a = s->byaddr[path_bucket(s, path)];
  for (; a != NULL; a = a->hnext)
    if (a->path.sock == path->sock &&
        weft_addr_equal(&a->path.remote, &path->remote))
      return a;
  return NULL;
}

static void hash_insert(weft_turn_server *s, turn_alloc *a) {
  size_t b = path_bucket(s, &a->path);
  a->hnext = s->byaddr[b];
  s->byaddr[b] = a;
}

/* Doubles the bucket array when the load passes 1 (best effort). */
static void hash_grow(weft_turn_server *s) {
  if (s->nallocs < s->nbuckets)
    return;
  size_t n = s->nbuckets * 2;
  turn_alloc **nb = weft_calloc(s->mem, n, sizeof(*nb));
  if (nb == NULL)
    return;
  turn_alloc **old = s->byaddr;
  size_t oldn = s->nbuckets;
  s->byaddr = nb;
  s->nbuckets = n;
  for (size_t i = 0; i < oldn; i++) {
    for (turn_alloc *a = old[i], *next; a != NULL; a = next) {
      next = a->hnext;
      hash_insert(s, a);
    }
  }
  weft_free(s->mem, old);
}

static void hash_remove(weft_turn_server *s, turn_alloc *a) {
  for (turn_alloc **pp = &s->byaddr[path_bucket(s, &a->path)]; *pp;
       pp = &(*pp)->hnext) {
    if (*pp == a) {
      *pp = a->hnext;
      return;
    }
  }
}

/* Takes a free relay id (slot + 1). Returns 0 when none can be had. */
static uint32_t id_take(weft_turn_server *s) {
  if (s->nfree > 0)
    return s->free_ids[--s->nfree];
  if (s->nslots == UINT32_MAX - 1)
    return 0;
  uint32_t n = s->nslots ? s->nslots * 2 : 16;
  turn_alloc **slots = weft_realloc(s->mem, s->slots, n * sizeof(*slots));
  if (slots == NULL)
    return 0;
  s->slots = slots;
  uint32_t *ids = weft_realloc(s->mem, s->free_ids, n * sizeof(*ids));
  if (ids == NULL)
    return 0;
  s->free_ids = ids;
  for (uint32_t i = s->nslots; i < n; i++)
    slots[i] = NULL;
  for (uint32_t i = n; i > s->nslots + 1; i--)
    s->free_ids[s->nfree++] = i;
  uint32_t id = s->nslots + 1;
  s->nslots = n;
  return id;
}

static void alloc_free(weft_turn_server *s, turn_alloc *a) {
  s->stats.permissions_current -= a->nperms;
  s->stats.channels_current -= a->nchans;
  weft_stun_key_del(a->own_key);
  weft_free(s->mem, a->perms);
  weft_free(s->mem, a->chans);
  weft_free(s->mem, a);
}

void turn_alloc_delete(weft_turn_server *s, turn_alloc *a, int expired) {
  turn_event(s, WEFT_TURN_SERVER_EV_DEALLOCATED, a, expired);
  s->set.relay_close(s->set.hook_user_data, a->relay_id);
  hash_remove(s, a);
  s->slots[a->relay_id - 1] = NULL;
  s->free_ids[s->nfree++] = a->relay_id;
  turn_quota_put(s, a->quota);
  s->nallocs--;
  s->stats.allocations_current--;
  if (expired)
    s->stats.allocations_expired++;
  alloc_free(s, a);
}

void turn_alloc_free_all(weft_turn_server *s) {
  for (uint32_t i = 0; i < s->nslots; i++) {
    turn_alloc *a = s->slots[i];
    if (a == NULL)
      continue;
    s->set.relay_close(s->set.hook_user_data, a->relay_id);
    alloc_free(s, a);
    s->slots[i] = NULL;
  }
  s->nallocs = 0;
}

const weft_addr *turn_relayed_for(const turn_alloc *a, int family) {
  const weft_addr *r = &a->relayed[family == AF_INET6 ? 1 : 0];
  return weft_addr_family(r) == family ? r : NULL;
}

/* ---- Allocate ------------------------------------------------------- */

/* What an Allocate asks for, read and checked. */
typedef struct alloc_req {
  int families[2]; /* AF_INET / AF_INET6, 0 when unused */
  int even_port;
  uint32_t lifetime_s;
} alloc_req;

static uint32_t grant_lifetime(const weft_turn_server *s,
                               const weft_stun_msg *m) {
  uint32_t v = s->set.default_lifetime_s;
  const weft_stun_attr *a = weft_stun_msg_find(m, WEFT_STUN_ATTR_LIFETIME);
  uint32_t req = 0;
  if (a != NULL && weft_stun_attr_u32(a, &req) == 0 && req > v)
    v = req;
  return v > s->set.max_lifetime_s ? s->set.max_lifetime_s : v;
}

static int family_of(const weft_stun_attr *a, int *out) {
  if (a->len != 4)
    return WEFT_STUN_ERR_BAD_REQUEST;
  if (a->value[0] == 0x01)
    *out = AF_INET;
  else if (a->value[0] == 0x02)
    *out = AF_INET6;
  else
    return WEFT_STUN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
  return 0;
}

/* Reads the request's transport and families. Returns 0 or a wire code. */
static int parse_allocate(const weft_turn_server *s, const weft_stun_msg *m,
                          alloc_req *r) {
  memset(r, 0, sizeof(*r));
  const weft_stun_attr *t =
      weft_stun_msg_find(m, WEFT_STUN_ATTR_REQUESTED_TRANSPORT);
  if (t == NULL || t->len != 4)
    return WEFT_STUN_ERR_BAD_REQUEST;
  if (t->value[0] != 17)
    return WEFT_STUN_ERR_UNSUPPORTED_TRANSPORT;
  const weft_stun_attr *raf =
      weft_stun_msg_find(m, WEFT_STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
  const weft_stun_attr *aaf =
      weft_stun_msg_find(m, WEFT_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY);
  if (weft_stun_msg_find(m, WEFT_STUN_ATTR_RESERVATION_TOKEN) != NULL)
    return raf || aaf ? WEFT_STUN_ERR_BAD_REQUEST
                      : WEFT_STUN_ERR_INSUFFICIENT_CAPACITY;
  if (raf != NULL && aaf != NULL)
    return WEFT_STUN_ERR_BAD_REQUEST;
  r->families[0] = AF_INET;
  int rv = raf ? family_of(raf, &r->families[0]) : 0;
  if (rv == 0 && aaf != NULL) {
    rv = family_of(aaf, &r->families[1]);
    if (rv == 0 && r->families[1] != AF_INET6)
      rv = WEFT_STUN_ERR_BAD_REQUEST;
  }
  if (rv != 0)
    return rv;
  int ok4 = s->set.relay_ipv4, ok6 = s->set.relay_ipv6;
  if ((r->families[0] == AF_INET && !ok4) ||
      (r->families[0] == AF_INET6 && !ok6))
    return WEFT_STUN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
  if (r->families[1] == AF_INET6 && !ok6)
    r->families[1] = -AF_INET6; /* answered with ADDRESS-ERROR-CODE */
  r->even_port = weft_stun_msg_find(m, WEFT_STUN_ATTR_EVEN_PORT) != NULL;
  r->lifetime_s = grant_lifetime(s, m);
  return 0;
}

static int check_quota(weft_turn_server *s, const char *user) {
  if (s->set.total_quota && s->nallocs >= s->set.total_quota)
    return WEFT_STUN_ERR_ALLOCATION_QUOTA;
  turn_quota *q = turn_quota_get(s, user, 0);
  if (s->set.user_quota && q != NULL && q->count >= s->set.user_quota)
    return WEFT_STUN_ERR_ALLOCATION_QUOTA;
  return 0;
}

static int open_code(int rv) {
  if (rv == WEFT_ERR_UNSUPPORTED)
    return WEFT_STUN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
  if (rv == WEFT_ERR_LIMIT || rv == WEFT_ERR_ADDR_IN_USE)
    return WEFT_STUN_ERR_INSUFFICIENT_CAPACITY;
  return WEFT_STUN_ERR_SERVER_ERROR;
}

/* Opens the relay socket(s). Returns 0 or a wire code; *extra_err gets the
 * ADDRESS-ERROR-CODE of a failed additional family. */
static int open_relays(weft_turn_server *s, turn_alloc *a, alloc_req *r,
                       int *extra_err) {
  void *ud = s->set.hook_user_data;
  weft_addr got;
  memset(&got, 0, sizeof(got));
  int rv = s->set.relay_open(ud, a->relay_id, r->families[0], r->even_port,
                             &a->path, &got);
  if (rv != 0 || weft_addr_family(&got) != r->families[0])
    return open_code(rv != 0 ? rv : WEFT_ERR_INTERNAL);
  a->relayed[r->families[0] == AF_INET6] = got;
  *extra_err = 0;
  if (r->families[1] == -AF_INET6) {
    *extra_err = WEFT_STUN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
  } else if (r->families[1] == AF_INET6) {
    memset(&got, 0, sizeof(got));
    rv = s->set.relay_open(ud, a->relay_id, AF_INET6, 0, &a->path, &got);
    if (rv == 0 && weft_addr_family(&got) == AF_INET6)
      a->relayed[1] = got;
    else
      *extra_err = open_code(rv != 0 ? rv : WEFT_ERR_INTERNAL);
  }
  return 0;
}

static void answer_allocate(weft_turn_server *s, const weft_stun_msg *m,
                            turn_alloc *a, int extra_err) {
  weft_stun_builder b;
  turn_txslot *t = turn_resp_begin(s, &a->path, m, &b);
  if (t == NULL)
    return;
  for (int i = 0; i < 2; i++)
    if (weft_addr_family(&a->relayed[i]) != AF_UNSPEC)
      weft_stun_builder_add_xor_addr(&b, WEFT_STUN_ATTR_XOR_RELAYED_ADDRESS,
                                     &a->relayed[i]);
  if (extra_err != 0) {
    uint8_t v[4] = {0x02, 0, (uint8_t)(extra_err / 100),
                    (uint8_t)(extra_err % 100)};
    weft_stun_builder_add(&b, WEFT_STUN_ATTR_ADDRESS_ERROR_CODE, v, 4);
  }
  weft_stun_builder_add_u32(&b, WEFT_STUN_ATTR_LIFETIME, a->lifetime_s);
  weft_stun_builder_add_xor_addr(&b, WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS,
                                 &a->path.remote);
  turn_resp_finish(s, t, &b, a->k);
}

/* Creates the allocation object and its relay socket(s). Returns 0 or a
 * wire code. */
static int create(weft_turn_server *s, weft_tstamp now,
                  const weft_turn_path *path, const weft_stun_msg *m,
                  alloc_req *r, const char *user, turn_alloc **out,
                  int *extra_err) {
  size_t ulen = strlen(user);
  turn_alloc *a = weft_calloc(s->mem, 1, sizeof(*a) + ulen + 1);
  turn_quota *q = turn_quota_get(s, user, 1);
  uint32_t id = a && q ? id_take(s) : 0;
  if (id == 0) {
    weft_free(s->mem, a);
    if (q != NULL && q->count == 0) {
      q->count = 1; /* frees the entry just made */
      turn_quota_put(s, q);
    }
    return WEFT_STUN_ERR_INSUFFICIENT_CAPACITY;
  }
  memcpy(a->username, user, ulen + 1);
  a->relay_id = id;
  a->path = *path;
  a->quota = q;
  q->count++;
  int code = open_relays(s, a, r, extra_err);
  if (code != 0) {
    s->free_ids[s->nfree++] = id;
    turn_quota_put(s, q);
    weft_free(s->mem, a);
    return code;
  }
  memcpy(a->alloc_txid, m->txid, sizeof(a->alloc_txid));
  a->lifetime_s = r->lifetime_s;
  a->expiry = now + (weft_tstamp)r->lifetime_s * WEFT_SECONDS;
  a->filled[0] = a->filled[1] = now;
  a->tokens[0] = a->tokens[1] = s->set.max_bps;
  *out = a;
  return 0;
}

static void install(weft_turn_server *s, weft_tstamp now, turn_alloc *a) {
  s->slots[a->relay_id - 1] = a;
  hash_insert(s, a);
  s->nallocs++;
  hash_grow(s);
  s->stats.allocations_current++;
  s->stats.allocations_total++;
  if (s->next_sweep == WEFT_TSTAMP_NONE || s->nallocs == 1)
    s->next_sweep = now + TURN_SWEEP_NS;
  turn_event(s, WEFT_TURN_SERVER_EV_ALLOCATED, a, 0);
}

void turn_handle_allocate(weft_turn_server *s, weft_tstamp now,
                          const weft_turn_path *path, const weft_stun_msg *m,
                          weft_stun_key *key, const char *user,
                          weft_stun_key *owned) {
  turn_alloc *a = turn_alloc_find(s, path);
  int code = 0, extra = 0;
  alloc_req r;
  if (a != NULL) {
    /* a retransmission gets the same answer; anything else is 437 */
    if (memcmp(a->alloc_txid, m->txid, sizeof(a->alloc_txid)) == 0)
      answer_allocate(s, m, a, 0);
    else
      turn_send_error(s, path, m, WEFT_STUN_ERR_ALLOCATION_MISMATCH, key);
    weft_stun_key_del(owned);
    return;
  }
  code = parse_allocate(s, m, &r);
  if (code == 0)
    code = check_quota(s, user);
  if (code == 0)
    code = create(s, now, path, m, &r, user, &a, &extra);
  if (code != 0) {
    if (code == WEFT_STUN_ERR_ALLOCATION_QUOTA)
      s->stats.quota_rejections++;
    if (code == WEFT_STUN_ERR_INSUFFICIENT_CAPACITY)
      s->stats.capacity_rejections++;
    turn_send_error(s, path, m, code, key);
    weft_stun_key_del(owned);
    return;
  }
  a->k = key;
  a->own_key = owned;
  install(s, now, a);
  answer_allocate(s, m, a, extra);
}

/* ---- Refresh -------------------------------------------------------- */

void turn_handle_refresh(weft_turn_server *s, weft_tstamp now,
                         const weft_turn_path *path, const weft_stun_msg *m,
                         turn_alloc *a) {
  const weft_stun_attr *raf =
      weft_stun_msg_find(m, WEFT_STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
  int fam = 0;
  if (raf != NULL &&
      (family_of(raf, &fam) != 0 || turn_relayed_for(a, fam) == NULL)) {
    turn_send_error(s, path, m, WEFT_STUN_ERR_PEER_ADDRESS_FAMILY_MISMATCH,
                    a->k);
    return;
  }
  const weft_stun_attr *lt = weft_stun_msg_find(m, WEFT_STUN_ATTR_LIFETIME);
  uint32_t req = 1;
  if (lt != NULL && weft_stun_attr_u32(lt, &req) != 0)
    req = 1;
  uint32_t life = req == 0 ? 0 : grant_lifetime(s, m);
  weft_stun_builder b;
  turn_txslot *t = turn_resp_begin(s, path, m, &b);
  if (t != NULL) {
    weft_stun_builder_add_u32(&b, WEFT_STUN_ATTR_LIFETIME, life);
    turn_resp_finish(s, t, &b, a->k);
  }
  if (life == 0) {
    turn_alloc_delete(s, a, 0);
    return;
  }
  a->expiry = now + (weft_tstamp)life * WEFT_SECONDS;
}

/* ---- expiry --------------------------------------------------------- */

void turn_sweep(weft_turn_server *s, weft_tstamp now) {
  for (uint32_t i = 0; i < s->nslots; i++) {
    turn_alloc *a = s->slots[i];
    if (a == NULL)
      continue;
    if (now >= a->expiry)
      turn_alloc_delete(s, a, 1);
    else
      turn_perms_expire(s, a, now);
  }
}

void weft_turn_server_conn_closed(weft_turn_server *s, weft_tstamp now,
                                  uint32_t sock) {
  if (s == NULL)
    return;
  s->now = now;
  for (uint32_t i = 0; i < s->nslots; i++) {
    turn_alloc *a = s->slots[i];
    if (a != NULL && a->path.sock == sock && a->path.transport != WEFT_TURN_UDP)
      turn_alloc_delete(s, a, 0);
  }
}
