/* Hashes and HMAC through OpenSSL 3 EVP. */
#include "crypto/crypto.h"

#include "base/mem.h"
#include "weft/weft.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <string.h>

/* Fetched once: EVP_*_fetch costs more than hashing a STUN message. */
static EVP_MD *mds[WEFT_HASH_SHA512 + 1];
static EVP_MAC *hmac_mac;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static const char *const md_names[] = {NULL,     "MD5",    "SHA1",  "SHA224",
                                       "SHA256", "SHA384", "SHA512"};

static void fetch_all(void) {
  for (int i = WEFT_HASH_MD5; i <= WEFT_HASH_SHA512; i++)
    mds[i] = EVP_MD_fetch(NULL, md_names[i], NULL);
  hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static const EVP_MD *md_of(int alg) {
  if (alg < WEFT_HASH_MD5 || alg > WEFT_HASH_SHA512)
    return NULL;
  pthread_once(&fetch_once, fetch_all);
  return mds[alg];
}

size_t weft_hash_len(int alg) {
  static const size_t lens[] = {0, 16, 20, 28, 32, 48, 64};
  if (alg < WEFT_HASH_MD5 || alg > WEFT_HASH_SHA512)
    return 0;
  return lens[alg];
}

int weft_hash(int alg, const void *const *bufs, const size_t *lens, size_t n,
              uint8_t *out) {
  const EVP_MD *md = md_of(alg);
  if (md == NULL)
    return WEFT_ERR_CRYPTO;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int ok = ctx != NULL && EVP_DigestInit_ex2(ctx, md, NULL) == 1;
  for (size_t i = 0; ok && i < n; i++)
    ok = EVP_DigestUpdate(ctx, bufs[i], lens[i]) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx, out, NULL) == 1;
  EVP_MD_CTX_free(ctx);
  return ok ? 0 : WEFT_ERR_CRYPTO;
}

int weft_hash1(int alg, const void *data, size_t len, uint8_t *out) {
  const void *bufs[1] = {data};
  return weft_hash(alg, bufs, &len, 1, out);
}

struct weft_hmac_key {
  EVP_MAC_CTX *ctx;
  int alg;
};

static int mac_init(EVP_MAC_CTX *ctx, int alg, const void *key, size_t keylen) {
  OSSL_PARAM params[2];
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                               (char *)md_names[alg], 0);
  params[1] = OSSL_PARAM_construct_end();
  /* OpenSSL refuses a NULL key; an empty key is a valid HMAC key. */
  static const uint8_t empty[1] = {0};
  return EVP_MAC_init(ctx, keylen ? key : empty, keylen, params) == 1;
}

int weft_hmac_key_new(weft_hmac_key **out, int alg, const void *key,
                      size_t keylen) {
  *out = NULL;
  if (md_of(alg) == NULL || hmac_mac == NULL)
    return WEFT_ERR_CRYPTO;
  weft_hmac_key *k = weft_calloc(NULL, 1, sizeof(*k));
  if (k == NULL)
    return WEFT_ERR_NOMEM;
  k->alg = alg;
  k->ctx = EVP_MAC_CTX_new(hmac_mac);
  if (k->ctx == NULL || !mac_init(k->ctx, alg, key, keylen)) {
    weft_hmac_key_del(k);
    return WEFT_ERR_CRYPTO;
  }
  *out = k;
  return 0;
}

void weft_hmac_key_del(weft_hmac_key *k) {
  if (k == NULL)
    return;
  EVP_MAC_CTX_free(k->ctx);
  weft_free(NULL, k);
}

static int mac_run(EVP_MAC_CTX *ctx, const void *const *bufs,
                   const size_t *lens, size_t n, uint8_t *out) {
  int ok = 1;
  for (size_t i = 0; ok && i < n; i++)
    ok = EVP_MAC_update(ctx, bufs[i], lens[i]) == 1;
  size_t outlen = 0;
  ok = ok && EVP_MAC_final(ctx, out, &outlen, EVP_MAX_MD_SIZE) == 1;
  return ok ? 0 : WEFT_ERR_CRYPTO;
}

int weft_hmac_key_compute(weft_hmac_key *k, const void *const *bufs,
                          const size_t *lens, size_t n, uint8_t *out) {
  /* Re-initialising with a NULL key keeps the key already set (HMAC). */
  if (EVP_MAC_init(k->ctx, NULL, 0, NULL) != 1)
    return WEFT_ERR_CRYPTO;
  return mac_run(k->ctx, bufs, lens, n, out);
}

/* One context per thread and digest, created on first use with its digest
 * set, then re-keyed for each one-shot HMAC: no allocation, no digest fetch
 * per message. (Reachable until the thread exits.) */
static _Thread_local EVP_MAC_CTX *scratch[WEFT_HASH_SHA512 + 1];

static EVP_MAC_CTX *scratch_ctx(int alg) {
  if (scratch[alg] == NULL) {
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac_mac);
    static const uint8_t empty[1] = {0};
    if (ctx == NULL || !mac_init(ctx, alg, empty, 0)) {
      EVP_MAC_CTX_free(ctx);
      return NULL;
    }
    scratch[alg] = ctx;
  }
  return scratch[alg];
}

int weft_hmac(int alg, const void *key, size_t keylen, const void *const *bufs,
              const size_t *lens, size_t n, uint8_t *out) {
  if (md_of(alg) == NULL || hmac_mac == NULL)
    return WEFT_ERR_CRYPTO;
  EVP_MAC_CTX *ctx = scratch_ctx(alg);
  static const uint8_t empty[1] = {0};
  if (ctx == NULL || EVP_MAC_init(ctx, keylen ? key : empty, keylen, NULL) != 1)
    return WEFT_ERR_CRYPTO;
  return mac_run(ctx, bufs, lens, n, out);
}

int weft_hmac_pre_init(weft_hmac_pre *k, int alg, const void *key,
                       size_t keylen) {
  if (k == NULL || (key == NULL && keylen > 0) || keylen > sizeof(k->key) ||
      (alg != WEFT_HASH_SHA1 && alg != WEFT_HASH_SHA256))
    return WEFT_ERR_INVALID_ARGUMENT;
  memset(k, 0, sizeof(*k));
  k->alg = alg;
  k->keylen = keylen;
  if (keylen > 0)
    memcpy(k->key, key, keylen);
  return 0;
}

int weft_hmac_pre_compute(const weft_hmac_pre *k, const void *const *bufs,
                          const size_t *lens, size_t n, uint8_t *out) {
  return weft_hmac(k->alg, k->key, k->keylen, bufs, lens, n, out);
}

void weft_hmac_pre_clear(weft_hmac_pre *k) {
  OPENSSL_cleanse(k, sizeof(*k));
}

int weft_ct_equal(const void *a, const void *b, size_t len) {
  return CRYPTO_memcmp(a, b, len) == 0;
}
