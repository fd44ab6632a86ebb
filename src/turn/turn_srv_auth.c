/* TURN server credentials: static long-term users (keys computed once),
 * TURN REST API user names, stateless nonces, per-user quotas. */
#include "turn/turn_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "crypto/base64.h"

#define USER_BUCKETS 256
#define QUOTA_BUCKETS 256

static uint32_t str_hash(const char *p, size_t len) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (uint8_t)p[i]) * 16777619u;
  return h;
}

int turn_users_init(weft_turn_server *s) {
  s->users = weft_calloc(s->mem, USER_BUCKETS, sizeof(*s->users));
  s->quotas = weft_calloc(s->mem, QUOTA_BUCKETS, sizeof(*s->quotas));
  if (s->users == NULL || s->quotas == NULL)
    return WEFT_ERR_NOMEM;
  s->nusers_buckets = USER_BUCKETS;
  s->nquota_buckets = QUOTA_BUCKETS;
  return 0;
}

void turn_users_free(weft_turn_server *s) {
  for (size_t i = 0; s->users != NULL && i < s->nusers_buckets; i++) {
    turn_user *u = s->users[i];
    while (u != NULL) {
      turn_user *next = u->next;
      weft_stun_key_del(u->k);
      weft_free(s->mem, u->name);
      weft_free(s->mem, u);
      u = next;
    }
  }
  for (size_t i = 0; s->quotas != NULL && i < s->nquota_buckets; i++) {
    turn_quota *q = s->quotas[i];
    while (q != NULL) {
      turn_quota *next = q->next;
      weft_free(s->mem, q);
      q = next;
    }
  }
  weft_free(s->mem, s->users);
  weft_free(s->mem, s->quotas);
  s->users = NULL;
  s->quotas = NULL;
}

turn_user *turn_user_find(const weft_turn_server *s, const char *name,
                          size_t len) {
  turn_user *u = s->users[str_hash(name, len) % s->nusers_buckets];
  for (; u != NULL; u = u->next)
    if (strlen(u->name) == len && memcmp(u->name, name, len) == 0)
      return u;
  return NULL;
}

static int make_key(const weft_turn_server *s, const char *name,
                    const char *password, weft_stun_key **out) {
  uint8_t key[WEFT_STUN_MAX_KEY];
  size_t keylen = 0;
  int rv = weft_stun_long_term_key(WEFT_STUN_PASSWORD_MD5, name, s->realm,
                                   password, key, &keylen);
  if (rv == 0)
    rv = weft_stun_key_new(out, key, keylen, s->mem);
  return rv;
}

int weft_turn_server_add_user(weft_turn_server *s, const char *name,
                              const char *password) {
  if (s == NULL || name == NULL || password == NULL || name[0] == '\0' ||
      strlen(name) > 513)
    return WEFT_ERR_INVALID_ARGUMENT;
  weft_stun_key *k = NULL;
  int rv = make_key(s, name, password, &k);
  if (rv != 0)
    return rv;
  turn_user *u = turn_user_find(s, name, strlen(name));
  if (u != NULL) {
    /* Allocations keep using the old key object: swap its keying. */
    weft_stun_key *old = u->k;
    u->k = k;
    for (uint32_t i = 0; i < s->nslots; i++)
      if (s->slots[i] != NULL && s->slots[i]->k == old)
        s->slots[i]->k = k;
    weft_stun_key_del(old);
    return 0;
  }
  u = weft_calloc(s->mem, 1, sizeof(*u));
  size_t n = strlen(name) + 1;
  char *copy = weft_malloc(s->mem, n);
  if (u == NULL || copy == NULL) {
    weft_free(s->mem, u);
    weft_free(s->mem, copy);
    weft_stun_key_del(k);
    return WEFT_ERR_NOMEM;
  }
  memcpy(copy, name, n);
  u->name = copy;
  u->k = k;
  size_t b = str_hash(name, n - 1) % s->nusers_buckets;
  u->next = s->users[b];
  s->users[b] = u;
  return 0;
}

/* ---- nonces: "XXXXXXXX" expiry (seconds, hex) + 16 hex of a MAC over the
 * expiry and the client's 5-tuple; nothing stored per client. */

static const char hexd[] = "0123456789abcdef";

static void nonce_mac(weft_turn_server *s, const char *expiry_hex,
                      const weft_turn_path *path, char out[16]) {
  size_t iplen = 0;
  const uint8_t *ip = weft_addr_ip(&path->remote, &iplen);
  uint8_t sock[4];
  weft_put_u32(sock, path->sock);
  const void *bufs[3] = {expiry_hex, sock, ip};
  const size_t lens[3] = {8, 4, iplen};
  uint8_t mac[WEFT_SHA1_LEN] = {0};
  weft_hmac_key_compute(s->nonce_key, bufs, lens, 3, mac);
  for (size_t i = 0; i < 8; i++) {
    out[2 * i] = hexd[mac[i] >> 4];
    out[2 * i + 1] = hexd[mac[i] & 15];
  }
}

void turn_nonce_make(weft_turn_server *s, weft_tstamp now,
                     const weft_turn_path *path, char *out) {
  uint32_t expiry = (uint32_t)(now / WEFT_SECONDS + s->set.nonce_lifetime_s);
  for (int i = 0; i < 8; i++)
    out[i] = hexd[(expiry >> (28 - 4 * i)) & 15];
  nonce_mac(s, out, path, out + 8);
}

int turn_nonce_check(weft_turn_server *s, weft_tstamp now,
                     const weft_turn_path *path, const uint8_t *nonce,
                     size_t len) {
  if (len != TURN_NONCE_LEN)
    return -1;
  uint32_t expiry = 0;
  for (int i = 0; i < 8; i++) {
    const char *d = memchr(hexd, nonce[i], 16);
    if (d == NULL || nonce[i] == '\0')
      return -1;
    expiry = (expiry << 4) | (uint32_t)(d - hexd);
  }
  char mac[16];
  nonce_mac(s, (const char *)nonce, path, mac);
  if (!weft_ct_equal(mac, nonce + 8, sizeof(mac)))
    return -1;
  return now / WEFT_SECONDS >= expiry ? 1 : 0;
}

/* ---- TURN REST API ------------------------------------------------------ */

int weft_turn_rest_password(const char *secret, const char *username, char *out,
                            size_t outlen) {
  if (secret == NULL || username == NULL || out == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  uint8_t mac[WEFT_SHA1_LEN];
  const void *bufs[1] = {username};
  size_t len = strlen(username);
  if (weft_hmac(WEFT_HASH_SHA1, secret, strlen(secret), bufs, &len, 1, mac))
    return WEFT_ERR_CRYPTO;
  int n = weft_base64_encode(mac, sizeof(mac), out, outlen);
  return n < 0 ? n : 0;
}

weft_stun_key *turn_rest_key(weft_turn_server *s, weft_tstamp now,
                             const char *name) {
  uint64_t expiry = 0;
  size_t i = 0;
  for (; name[i] >= '0' && name[i] <= '9' && i < 19; i++)
    expiry = expiry * 10 + (uint64_t)(name[i] - '0');
  if (i == 0 || (name[i] != '\0' && name[i] != ':'))
    return NULL;
  int64_t unix_now = (int64_t)(now / WEFT_SECONDS) + s->unix_offset_s;
  if (unix_now < 0 || (uint64_t)unix_now >= expiry)
    return NULL;
  char password[64];
  if (weft_turn_rest_password(s->secret, name, password, sizeof(password)))
    return NULL;
  weft_stun_key *k = NULL;
  if (make_key(s, name, password, &k) != 0)
    return NULL;
  return k;
}

/* ---- quotas ----------------------------------------------------------- */

turn_quota *turn_quota_get(weft_turn_server *s, const char *name, int create) {
  size_t len = strlen(name);
  size_t b = str_hash(name, len) % s->nquota_buckets;
  for (turn_quota *q = s->quotas[b]; q != NULL; q = q->next)
    if (strcmp(q->name, name) == 0)
      return q;
  if (!create)
    return NULL;
  turn_quota *q = weft_calloc(s->mem, 1, sizeof(*q) + len + 1);
  if (q == NULL)
    return NULL;
  memcpy(q->name, name, len + 1);
  q->next = s->quotas[b];
  s->quotas[b] = q;
  return q;
}

void turn_quota_put(weft_turn_server *s, turn_quota *q) {
  if (q == NULL || --q->count > 0)
    return;
  size_t b = str_hash(q->name, strlen(q->name)) % s->nquota_buckets;
  for (turn_quota **pp = &s->quotas[b]; *pp != NULL; pp = &(*pp)->next) {
    if (*pp == q) {
      *pp = q->next;
      weft_free(s->mem, q);
      return;
    }
  }
}
