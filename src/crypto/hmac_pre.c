/* HMAC with precomputed inner/outer hash states (RFC 2104) on OpenSSL's
 * low-level SHA-1/SHA-256, which run the same assembly as EVP but without
 * the provider dispatch that dominates the cost of a 100-byte STUN message.
 * The low-level API is deprecated in OpenSSL 3 but still shipped. */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "crypto/crypto.h"

#include "weft/weft.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

_Static_assert(sizeof(SHA_CTX) <= 128, "SHA_CTX fits weft_hmac_pre");
_Static_assert(sizeof(SHA256_CTX) <= 128, "SHA256_CTX fits weft_hmac_pre");

#define BLOCK 64

static int pad_state(int alg, const uint8_t *block, uint8_t pad, void *state) {
  uint8_t x[BLOCK];
  for (int i = 0; i < BLOCK; i++)
    x[i] = block[i] ^ pad;
  int ok;
  if (alg == WEFT_HASH_SHA1)
    ok = SHA1_Init(state) && SHA1_Update(state, x, BLOCK);
  else
    ok = SHA256_Init(state) && SHA256_Update(state, x, BLOCK);
  OPENSSL_cleanse(x, sizeof(x));
  return ok ? 0 : WEFT_ERR_CRYPTO;
}

int weft_hmac_pre_init(weft_hmac_pre *k, int alg, const void *key,
                       size_t keylen) {
  if (k == NULL || (key == NULL && keylen > 0) ||
      (alg != WEFT_HASH_SHA1 && alg != WEFT_HASH_SHA256))
    return WEFT_ERR_INVALID_ARGUMENT;
  memset(k, 0, sizeof(*k));
  k->alg = alg;
  uint8_t block[BLOCK] = {0};
  if (keylen > BLOCK) {
    if (weft_hash1(alg, key, keylen, block) != 0)
      return WEFT_ERR_CRYPTO;
  } else if (keylen > 0) {
    memcpy(block, key, keylen);
  }
  int rv = pad_state(alg, block, 0x36, k->inner);
  if (rv == 0)
    rv = pad_state(alg, block, 0x5c, k->outer);
  OPENSSL_cleanse(block, sizeof(block));
  return rv;
}

int weft_hmac_pre_compute(const weft_hmac_pre *k, const void *const *bufs,
                          const size_t *lens, size_t n, uint8_t *out) {
  uint8_t inner_digest[WEFT_SHA256_LEN];
  int ok = 1;
  if (k->alg == WEFT_HASH_SHA1) {
    SHA_CTX c;
    memcpy(&c, k->inner, sizeof(c));
    for (size_t i = 0; ok && i < n; i++)
      ok = SHA1_Update(&c, bufs[i], lens[i]);
    ok = ok && SHA1_Final(inner_digest, &c);
    memcpy(&c, k->outer, sizeof(c));
    ok = ok && SHA1_Update(&c, inner_digest, WEFT_SHA1_LEN) &&
         SHA1_Final(out, &c);
  } else if (k->alg == WEFT_HASH_SHA256) {
    SHA256_CTX c;
    memcpy(&c, k->inner, sizeof(c));
    for (size_t i = 0; ok && i < n; i++)
      ok = SHA256_Update(&c, bufs[i], lens[i]);
    ok = ok && SHA256_Final(inner_digest, &c);
    memcpy(&c, k->outer, sizeof(c));
    ok = ok && SHA256_Update(&c, inner_digest, WEFT_SHA256_LEN) &&
         SHA256_Final(out, &c);
  } else {
    ok = 0;
  }
  return ok ? 0 : WEFT_ERR_CRYPTO;
}

void weft_hmac_pre_clear(weft_hmac_pre *k) {
  if (k != NULL)
    OPENSSL_cleanse(k, sizeof(*k));
}
