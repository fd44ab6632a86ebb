/* STUN credentials: long-term keys, USERHASH, MESSAGE-INTEGRITY and
 * MESSAGE-INTEGRITY-SHA256 (RFC 8489 sections 9, 14.4-14.6). */
#include "stun/stun_int.h"

#include "base/buf.h"
#include "base/mem.h"
#include "crypto/crypto.h"

#include <string.h>

struct weft_stun_key {
  const weft_mem *mem;
  weft_hmac_key *sha1;
  weft_hmac_key *sha256;
};

/* Where the HMAC key comes from: raw bytes, or a keyed context. */
typedef struct mac_src {
  const uint8_t *key;
  size_t keylen;
  weft_stun_key *k;
} mac_src;

static int mac_compute(const mac_src *src, int alg, const void *const *bufs,
                       const size_t *lens, size_t n, uint8_t *out) {
  if (src->k != NULL)
    return weft_hmac_key_compute(alg == WEFT_HASH_SHA1 ? src->k->sha1
                                                       : src->k->sha256,
                                 bufs, lens, n, out);
  return weft_hmac(alg, src->key, src->keylen, bufs, lens, n, out);
}

int weft_stun_long_term_key(uint16_t alg, const char *username,
                            const char *realm, const char *password,
                            uint8_t *key, size_t *keylen) {
  if (username == NULL || realm == NULL || password == NULL || key == NULL ||
      keylen == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  int hash;
  if (alg == WEFT_STUN_PASSWORD_MD5)
    hash = WEFT_HASH_MD5;
  else if (alg == WEFT_STUN_PASSWORD_SHA256)
    hash = WEFT_HASH_SHA256;
  else
    return WEFT_ERR_INVALID_ARGUMENT;
  const void *bufs[5] = {username, ":", realm, ":", password};
  const size_t lens[5] = {strlen(username), 1, strlen(realm), 1,
                          strlen(password)};
  int rv = weft_hash(hash, bufs, lens, 5, key);
  if (rv != 0)
    return WEFT_ERR_CRYPTO;
  *keylen = weft_hash_len(hash);
  return 0;
}

int weft_stun_userhash(const char *username, const char *realm,
                       uint8_t out[32]) {
  if (username == NULL || realm == NULL || out == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  const void *bufs[3] = {username, ":", realm};
  const size_t lens[3] = {strlen(username), 1, strlen(realm)};
  return weft_hash(WEFT_HASH_SHA256, bufs, lens, 3, out) == 0 ? 0
                                                              : WEFT_ERR_CRYPTO;
}

/* Verifies the integrity attribute attrs[idx]: HMAC over the message up to
 * it, the header length patched to end right after it (in a copy: the
 * message is const). */
static int check_one(const weft_stun_msg *msg, int idx, int alg,
                     const mac_src *src) {
  const weft_stun_attr *a = &msg->attrs[idx];
  if (alg == WEFT_HASH_SHA1 ? a->len != WEFT_SHA1_LEN
                            : (a->len < 16 || a->len > 32 || a->len % 4))
    return WEFT_ERR_STUN_MALFORMED;
  if (a->offset < WEFT_STUN_HEADER_LEN || a->offset + 4u + a->len > msg->len)
    return WEFT_ERR_STUN_MALFORMED;
  uint8_t hdr[WEFT_STUN_HEADER_LEN];
  memcpy(hdr, msg->raw, sizeof(hdr));
  weft_put_u16(hdr + 2,
               (uint16_t)(a->offset + 4 + a->len - WEFT_STUN_HEADER_LEN));
  const void *bufs[2] = {hdr, msg->raw + WEFT_STUN_HEADER_LEN};
  const size_t lens[2] = {sizeof(hdr),
                          (size_t)a->offset - WEFT_STUN_HEADER_LEN};
  uint8_t mac[WEFT_SHA256_LEN];
  if (mac_compute(src, alg, bufs, lens, 2, mac) != 0)
    return WEFT_ERR_CRYPTO;
  return weft_ct_equal(mac, a->value, a->len) ? 0 : WEFT_ERR_STUN_INTEGRITY;
}

static int check_integrity(const weft_stun_msg *msg, const mac_src *src) {
  if (msg == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (msg->integrity_sha256 >= 0)
    return check_one(msg, msg->integrity_sha256, WEFT_HASH_SHA256, src);
  if (msg->integrity >= 0)
    return check_one(msg, msg->integrity, WEFT_HASH_SHA1, src);
  return WEFT_ERR_STUN_NO_INTEGRITY;
}

int weft_stun_msg_check_integrity(const weft_stun_msg *msg, const uint8_t *key,
                                  size_t keylen) {
  if (key == NULL && keylen > 0)
    return WEFT_ERR_INVALID_ARGUMENT;
  mac_src src = {key, keylen, NULL};
  return check_integrity(msg, &src);
}

int weft_stun_msg_check_integrity_key(const weft_stun_msg *msg,
                                      weft_stun_key *k) {
  if (k == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  mac_src src = {NULL, 0, k};
  return check_integrity(msg, &src);
}

/* Appends an integrity attribute of @p maclen bytes over the message so
 * far (whose header length already counts the new attribute). */
static int add_mac(weft_stun_builder *b, uint16_t type, int alg, size_t maclen,
                   const mac_src *src) {
  if (b == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (b->err)
    return b->err;
  if (b->cap - b->len < 4 + maclen) {
    b->err = WEFT_ERR_BUFFER_TOO_SMALL;
    return b->err;
  }
  uint8_t mac[WEFT_SHA256_LEN];
  size_t covered = b->len;
  weft_put_u16(b->buf + 2, (uint16_t)(covered + 4 + maclen - 20));
  const void *bufs[1] = {b->buf};
  if (mac_compute(src, alg, bufs, &covered, 1, mac) != 0) {
    weft_put_u16(b->buf + 2, (uint16_t)(covered - 20));
    b->err = WEFT_ERR_CRYPTO;
    return b->err;
  }
  return weft_stun_builder_add(b, type, mac, maclen);
}

int weft_stun_builder_add_integrity(weft_stun_builder *b, const uint8_t *key,
                                    size_t keylen) {
  if (b != NULL && key == NULL && keylen > 0 && b->err == 0)
    b->err = WEFT_ERR_INVALID_ARGUMENT;
  mac_src src = {key, keylen, NULL};
  return add_mac(b, WEFT_STUN_ATTR_MESSAGE_INTEGRITY, WEFT_HASH_SHA1,
                 WEFT_SHA1_LEN, &src);
}

int weft_stun_builder_add_integrity_sha256(weft_stun_builder *b,
                                           const uint8_t *key, size_t keylen) {
  if (b != NULL && key == NULL && keylen > 0 && b->err == 0)
    b->err = WEFT_ERR_INVALID_ARGUMENT;
  mac_src src = {key, keylen, NULL};
  return add_mac(b, WEFT_STUN_ATTR_MESSAGE_INTEGRITY_SHA256, WEFT_HASH_SHA256,
                 WEFT_SHA256_LEN, &src);
}

int weft_stun_builder_add_integrity_key(weft_stun_builder *b,
                                        weft_stun_key *k) {
  if (b != NULL && k == NULL && b->err == 0)
    b->err = WEFT_ERR_INVALID_ARGUMENT;
  mac_src src = {NULL, 0, k};
  return add_mac(b, WEFT_STUN_ATTR_MESSAGE_INTEGRITY, WEFT_HASH_SHA1,
                 WEFT_SHA1_LEN, &src);
}

int weft_stun_builder_add_integrity_sha256_key(weft_stun_builder *b,
                                               weft_stun_key *k) {
  if (b != NULL && k == NULL && b->err == 0)
    b->err = WEFT_ERR_INVALID_ARGUMENT;
  mac_src src = {NULL, 0, k};
  return add_mac(b, WEFT_STUN_ATTR_MESSAGE_INTEGRITY_SHA256, WEFT_HASH_SHA256,
                 WEFT_SHA256_LEN, &src);
}

int weft_stun_key_new(weft_stun_key **out, const uint8_t *key, size_t keylen,
                      const weft_mem *mem) {
  if (out == NULL || (key == NULL && keylen > 0))
    return WEFT_ERR_INVALID_ARGUMENT;
  *out = NULL;
  weft_stun_key *k = weft_calloc(mem, 1, sizeof(*k));
  if (k == NULL)
    return WEFT_ERR_NOMEM;
  k->mem = mem;
  int rv = weft_hmac_key_new(&k->sha1, WEFT_HASH_SHA1, key, keylen);
  if (rv == 0)
    rv = weft_hmac_key_new(&k->sha256, WEFT_HASH_SHA256, key, keylen);
  if (rv != 0) {
    weft_stun_key_del(k);
    return rv;
  }
  *out = k;
  return 0;
}

void weft_stun_key_del(weft_stun_key *k) {
  if (k == NULL)
    return;
  weft_hmac_key_del(k->sha1);
  weft_hmac_key_del(k->sha256);
  weft_free(k->mem, k);
}
