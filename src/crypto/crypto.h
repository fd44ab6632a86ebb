/*
 * Hashes and HMAC through OpenSSL (EVP). Only src/crypto/ and src/dtls/
 * include OpenSSL headers; everything else uses these functions.
 */
#ifndef WEFT_CRYPTO_CRYPTO_H
#define WEFT_CRYPTO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define WEFT_MD5_LEN 16
#define WEFT_SHA1_LEN 20
#define WEFT_SHA256_LEN 32
#define WEFT_SHA384_LEN 48
#define WEFT_SHA512_LEN 64

enum weft_hash_alg {
  WEFT_HASH_MD5 = 1,
  WEFT_HASH_SHA1,
  WEFT_HASH_SHA224,
  WEFT_HASH_SHA256,
  WEFT_HASH_SHA384,
  WEFT_HASH_SHA512,
};

/** Digest length of @p alg, 0 for an unknown one. */
size_t weft_hash_len(int alg);

/**
 * One-shot digest of the concatenation of @p n buffers into @p out (room for
 * weft_hash_len(alg)). Returns 0 or WEFT_ERR_CRYPTO.
 */
int weft_hash(int alg, const void *const *bufs, const size_t *lens, size_t n,
              uint8_t *out);

/** One-shot digest of one buffer. Returns 0 or WEFT_ERR_CRYPTO. */
int weft_hash1(int alg, const void *data, size_t len, uint8_t *out);

/**
 * One-shot HMAC (SHA-1 or SHA-256) over the concatenation of @p n buffers.
 * Returns 0 or WEFT_ERR_CRYPTO.
 */
int weft_hmac(int alg, const void *key, size_t keylen, const void *const *bufs,
              const size_t *lens, size_t n, uint8_t *out);

/**
 * A keyed HMAC context, for a key used many times (an ICE password, a TURN
 * key): keying once saves most of the cost of each message. Opaque.
 */
typedef struct weft_hmac_key weft_hmac_key;

/** Creates a keyed context. Returns 0, WEFT_ERR_NOMEM or WEFT_ERR_CRYPTO. */
int weft_hmac_key_new(weft_hmac_key **out, int alg, const void *key,
                      size_t keylen);
void weft_hmac_key_del(weft_hmac_key *k);

/** HMAC with a keyed context over @p n buffers. Returns 0 or an error. */
int weft_hmac_key_compute(weft_hmac_key *k, const void *const *bufs,
                          const size_t *lens, size_t n, uint8_t *out);

/**
 * An HMAC key (SHA-1 or SHA-256) held by value, up to 256 bytes: no
 * allocation, nothing to free but a wipe. Each computation re-keys a
 * per-thread OpenSSL context (as weft_hmac() does), so it costs the keying
 * of one HMAC plus the message, and no memory per key. For objects that
 * exist by the thousand (ICE agents); weft_hmac_key is a little faster for a
 * key used very often and costs an OpenSSL context each.
 */
typedef struct weft_hmac_pre {
  int alg;
  size_t keylen;
  uint8_t key[256];
} weft_hmac_pre;

/** Keys @p k. Returns 0 or WEFT_ERR_INVALID_ARGUMENT (alg not SHA-1 or
 * SHA-256, key longer than 256 bytes). */
int weft_hmac_pre_init(weft_hmac_pre *k, int alg, const void *key,
                       size_t keylen);

/** HMAC of the concatenation of @p n buffers into @p out (20 or 32 bytes).
 * Returns 0 or WEFT_ERR_CRYPTO. */
int weft_hmac_pre_compute(const weft_hmac_pre *k, const void *const *bufs,
                          const size_t *lens, size_t n, uint8_t *out);

/** Wipes the key. */
void weft_hmac_pre_clear(weft_hmac_pre *k);

/** Constant-time comparison: 1 when equal. */
int weft_ct_equal(const void *a, const void *b, size_t len);

#endif
