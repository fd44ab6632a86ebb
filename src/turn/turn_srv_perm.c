/* TURN permissions and channels (RFC 8656 sections 9 and 11) and the peer
 * address filter. */
#include "turn/turn_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

/* ---- peer filter ---------------------------------------------------- */

/* The IP as 16 bytes, IPv4 as ::ffff:a.b.c.d. Returns 0 or -1. */
static int ip16(const weft_addr *a, uint8_t out[16]) {
  size_t len = 0;
  const uint8_t *ip = weft_addr_ip(a, &len);
  if (ip == NULL)
    return -1;
  if (len == 16) {
    memcpy(out, ip, 16);
    return 0;
  }
  memset(out, 0, 10);
  out[10] = out[11] = 0xff;
  memcpy(out + 12, ip, 4);
  return 0;
}

int turn_ranges_init(weft_turn_server *s) {
  size_t n = s->set.npeer_ranges;
  const weft_turn_peer_range *in = s->set.peer_ranges;
  s->set.peer_ranges = NULL;
  s->set.npeer_ranges = 0;
  if (n == 0)
    return 0;
  s->ranges = weft_calloc(s->mem, n, sizeof(*s->ranges));
  if (s->ranges == NULL)
    return WEFT_ERR_NOMEM;
  for (size_t i = 0; i < n; i++) {
    turn_range *r = &s->ranges[i];
    if (ip16(&in[i].lo, r->lo) || ip16(&in[i].hi, r->hi) ||
        memcmp(r->lo, r->hi, 16) > 0)
      return WEFT_ERR_INVALID_ARGUMENT;
    r->allow = in[i].allow;
  }
  s->nranges = n;
  return 0;
}

static int default_denied(const weft_turn_server *s, const weft_addr *peer,
                          const uint8_t ip[16]) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  int is4 = memcmp(ip, mapped, 12) == 0;
  if (weft_addr_is_any(peer) || (is4 && ip[12] == 0))
    return 1; /* unspecified, 0.0.0.0/8 */
  if (is4 ? (ip[12] & 0xf0) == 0xe0 || ip[12] == 255 : ip[0] == 0xff)
    return 1; /* multicast, broadcast, 240/4 */
  if (weft_addr_is_link_local(peer))
    return 1;
  if (weft_addr_is_loopback(peer))
    return !s->set.allow_loopback_peers;
  if (weft_addr_is_private(peer))
    return !s->set.allow_private_peers;
  return 0;
}

int turn_peer_allowed(const weft_turn_server *s, const weft_addr *peer) {
  uint8_t ip[16];
  if (ip16(peer, ip) != 0)
    return 0;
  int denied = 0;
  for (size_t i = 0; i < s->nranges; i++) {
    const turn_range *r = &s->ranges[i];
    if (memcmp(ip, r->lo, 16) < 0 || memcmp(ip, r->hi, 16) > 0)
      continue;
    if (r->allow)
      return 1;
    denied = 1;
  }
  return !denied && !default_denied(s, peer, ip);
}

int weft_turn_server_peer_allowed(const weft_turn_server *s,
                                  const weft_addr *peer) {
  return s != NULL && peer != NULL && turn_peer_allowed(s, peer);
}

/* "A/prefix": lo and hi from the prefix length. */
static int parse_cidr(weft_turn_peer_range *out, const char *ip,
                      const char *bits) {
  if (weft_addr_parse(&out->lo, ip, 0) != 0)
    return WEFT_ERR_ADDR_PARSE;
  size_t len = 0;
  weft_addr_ip(&out->lo, &len);
  char *end = NULL;
  long n = strtol(bits, &end, 10);
  if (*bits == '\0' || *end != '\0' || n < 0 || (size_t)n > len * 8)
    return WEFT_ERR_ADDR_PARSE;
  uint8_t lo[16], hi[16];
  memcpy(lo, weft_addr_ip(&out->lo, &len), len);
  for (size_t i = 0; i < len; i++) {
    long keep = n - (long)i * 8;
    uint8_t mask = keep >= 8   ? 0xff
                   : keep <= 0 ? 0
                               : (uint8_t)(0xff << (8 - keep));
    lo[i] &= mask;
    hi[i] = (uint8_t)(lo[i] | (uint8_t)~mask);
  }
  int fam = weft_addr_family(&out->lo);
  weft_addr_set(&out->lo, fam, lo, 0);
  weft_addr_set(&out->hi, fam, hi, 0);
  return 0;
}

int weft_turn_peer_range_parse(weft_turn_peer_range *out, const char *text) {
  if (out == NULL || text == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  memset(out, 0, sizeof(*out));
  char buf[128];
  if (strlen(text) >= sizeof(buf))
    return WEFT_ERR_ADDR_PARSE;
  strcpy(buf, text);
  char *sep = strchr(buf, '/');
  if (sep != NULL) {
    *sep = '\0';
    return parse_cidr(out, buf, sep + 1);
  }
  sep = strchr(buf, '-');
  if (sep != NULL)
    *sep = '\0';
  if (weft_addr_parse(&out->lo, buf, 0) != 0 ||
      weft_addr_parse(&out->hi, sep ? sep + 1 : buf, 0) != 0 ||
      weft_addr_family(&out->lo) != weft_addr_family(&out->hi))
    return WEFT_ERR_ADDR_PARSE;
  return 0;
}

/* ---- permissions ------------------------------------------------------ */

turn_perm *turn_perm_find(turn_alloc *a, const weft_addr *peer,
                          weft_tstamp now) {
  for (uint32_t i = 0; i < a->nperms; i++)
    if (a->perms[i].expiry > now && weft_addr_equal_ip(&a->perms[i].ip, peer))
      return &a->perms[i];
  return NULL;
}

/* Installs or refreshes the permission for @p peer. Returns 0 or -1 (at
 * the limit, or out of memory). */
static int perm_install(weft_turn_server *s, turn_alloc *a,
                        const weft_addr *peer, weft_tstamp now) {
  weft_tstamp exp =
      now + (weft_tstamp)s->set.permission_lifetime_s * WEFT_SECONDS;
  for (uint32_t i = 0; i < a->nperms; i++) {
    if (weft_addr_equal_ip(&a->perms[i].ip, peer)) {
      a->perms[i].expiry = exp;
      return 0;
    }
  }
  if (a->nperms >= s->set.max_permissions)
    return -1;
  turn_perm *p =
      weft_realloc(s->mem, a->perms, (a->nperms + 1) * sizeof(*a->perms));
  if (p == NULL)
    return -1;
  a->perms = p;
  p[a->nperms].ip = *peer;
  weft_addr_set_port(&p[a->nperms].ip, 0);
  p[a->nperms].expiry = exp;
  a->nperms++;
  s->stats.permissions_current++;
  return 0;
}

/* A peer address of the request checked against the allocation and the
 * filter. Returns 0 or a wire code. */
static int check_peer(weft_turn_server *s, const weft_stun_msg *m,
                      const weft_stun_attr *at, turn_alloc *a,
                      weft_addr *peer) {
  if (weft_stun_attr_xor_addr(m, at, peer) != 0)
    return WEFT_STUN_ERR_BAD_REQUEST;
  if (turn_relayed_for(a, weft_addr_family(peer)) == NULL)
    return WEFT_STUN_ERR_PEER_ADDRESS_FAMILY_MISMATCH;
  if (!turn_peer_allowed(s, peer)) {
    s->stats.denied_peers++;
    return WEFT_STUN_ERR_FORBIDDEN;
  }
  return 0;
}

static void answer_empty(weft_turn_server *s, const weft_turn_path *path,
                         const weft_stun_msg *m, turn_alloc *a) {
  weft_stun_builder b;
  turn_txslot *t = turn_resp_begin(s, path, m, &b);
  if (t != NULL)
    turn_resp_finish(s, t, &b, a->k);
}

void turn_handle_create_permission(weft_turn_server *s, weft_tstamp now,
                                   const weft_turn_path *path,
                                   const weft_stun_msg *m, turn_alloc *a) {
  int code = 0, n = 0;
  weft_addr peer;
  /* all addresses are checked before any is installed */
  for (size_t i = 0; i < m->nattrs && code == 0; i++) {
    if (m->attrs[i].type != WEFT_STUN_ATTR_XOR_PEER_ADDRESS)
      continue;
    code = check_peer(s, m, &m->attrs[i], a, &peer);
    n++;
  }
  if (code == 0 && n == 0)
    code = WEFT_STUN_ERR_BAD_REQUEST;
  for (size_t i = 0; i < m->nattrs && code == 0; i++) {
    if (m->attrs[i].type != WEFT_STUN_ATTR_XOR_PEER_ADDRESS)
      continue;
    weft_stun_attr_xor_addr(m, &m->attrs[i], &peer);
    if (perm_install(s, a, &peer, now) != 0)
      code = WEFT_STUN_ERR_INSUFFICIENT_CAPACITY;
  }
  if (code != 0) {
    turn_send_error(s, path, m, code, a->k);
    return;
  }
  answer_empty(s, path, m, a);
}

/* ---- channels --------------------------------------------------------- */

/* Checks the binding rules (RFC 8656 section 11.2) and binds or refreshes.
 * Returns 0 or a wire code. */
static int chan_bind(weft_turn_server *s, turn_alloc *a, uint16_t num,
                     const weft_addr *peer, weft_tstamp now) {
  weft_tstamp exp = now + (weft_tstamp)s->set.channel_lifetime_s * WEFT_SECONDS;
  turn_chan *hit = NULL;
  for (uint32_t i = 0; i < a->nchans; i++) {
    turn_chan *c = &a->chans[i];
    int same_num = c->num == num, same_peer = weft_addr_equal(&c->peer, peer);
    if (same_num != same_peer)
      return WEFT_STUN_ERR_BAD_REQUEST;
    if (same_num)
      hit = c;
  }
  if (hit == NULL) {
    if (a->nchans >= s->set.max_channels)
      return WEFT_STUN_ERR_INSUFFICIENT_CAPACITY;
    turn_chan *c =
        weft_realloc(s->mem, a->chans, (a->nchans + 1) * sizeof(*a->chans));
    if (c == NULL)
      return WEFT_STUN_ERR_INSUFFICIENT_CAPACITY;
    a->chans = c;
    hit = &c[a->nchans++];
    hit->num = num;
    hit->peer = *peer;
    s->stats.channels_current++;
  }
  hit->expiry = exp;
  return perm_install(s, a, peer, now) == 0
             ? 0
             : WEFT_STUN_ERR_INSUFFICIENT_CAPACITY;
}

void turn_handle_channel_bind(weft_turn_server *s, weft_tstamp now,
                              const weft_turn_path *path,
                              const weft_stun_msg *m, turn_alloc *a) {
  const weft_stun_attr *cn =
      weft_stun_msg_find(m, WEFT_STUN_ATTR_CHANNEL_NUMBER);
  const weft_stun_attr *pa =
      weft_stun_msg_find(m, WEFT_STUN_ATTR_XOR_PEER_ADDRESS);
  int code = 0;
  uint16_t num = 0;
  weft_addr peer;
  if (cn == NULL || cn->len != 4 || pa == NULL)
    code = WEFT_STUN_ERR_BAD_REQUEST;
  else
    num = (uint16_t)((cn->value[0] << 8) | cn->value[1]);
  if (code == 0 &&
      (num < WEFT_TURN_CHANNEL_MIN || num > WEFT_TURN_CHANNEL_MAX_RFC5766))
    code = WEFT_STUN_ERR_BAD_REQUEST;
  if (code == 0)
    code = check_peer(s, m, pa, a, &peer);
  if (code == 0)
    code = chan_bind(s, a, num, &peer, now);
  if (code != 0) {
    turn_send_error(s, path, m, code, a->k);
    return;
  }
  answer_empty(s, path, m, a);
}

/* ---- expiry -------------------------------------------------------------- */

void turn_perms_expire(weft_turn_server *s, turn_alloc *a, weft_tstamp now) {
  for (uint32_t i = 0; i < a->nperms;) {
    if (a->perms[i].expiry <= now) {
      a->perms[i] = a->perms[--a->nperms];
      s->stats.permissions_current--;
    } else {
      i++;
    }
  }
  for (uint32_t i = 0; i < a->nchans;) {
    if (a->chans[i].expiry <= now) {
      a->chans[i] = a->chans[--a->nchans];
      s->stats.channels_current--;
    } else {
      i++;
    }
  }
}
