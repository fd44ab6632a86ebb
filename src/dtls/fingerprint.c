/* RFC 8122 fingerprints: parse, format, compare; SRTP profile tables. */
#include "weft/dtls.h"

#include "crypto/crypto.h"

#include <string.h>
#include <strings.h>

static const char *const alg_names[] = {
    NULL, "md5", "sha-1", "sha-224", "sha-256", "sha-384", "sha-512"};

const char *weft_fingerprint_alg_name(int alg) {
  if (alg < WEFT_FINGERPRINT_MD5 || alg > WEFT_FINGERPRINT_SHA512)
    return NULL;
  return alg_names[alg];
}

/* The enums share values: WEFT_FINGERPRINT_X == WEFT_HASH_X. */
static size_t alg_len(int alg) {
  return weft_hash_len(alg);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int parse_alg(const char *name, size_t n) {
  for (int alg = WEFT_FINGERPRINT_MD5; alg <= WEFT_FINGERPRINT_SHA512; alg++)
    if (strlen(alg_names[alg]) == n &&
        strncasecmp(alg_names[alg], name, n) == 0)
      return alg;
  return WEFT_ERR_UNSUPPORTED;
}

static int parse_digest(weft_fingerprint *fp, const char *p, size_t n) {
  size_t i = 0, out = 0;
  while (i < n) {
    if (out == WEFT_FINGERPRINT_MAX_LEN || i + 2 > n)
      return WEFT_ERR_PARSE;
    int hi = hexval(p[i]), lo = hexval(p[i + 1]);
    if (hi < 0 || lo < 0)
      return WEFT_ERR_PARSE;
    fp->digest[out++] = (uint8_t)(hi << 4 | lo);
    i += 2;
    if (i < n && p[i++] != ':')
      return WEFT_ERR_PARSE;
    if (i == n && p[n - 1] == ':')
      return WEFT_ERR_PARSE;
  }
  fp->len = out;
  return 0;
}

int weft_fingerprint_parse(weft_fingerprint *fp, const char *text, size_t len) {
  if (fp == NULL || text == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  memset(fp, 0, sizeof(*fp));
  size_t i = 0;
  while (i < len && is_space(text[i]))
    i++;
  size_t name = i;
  while (i < len && !is_space(text[i]))
    i++;
  size_t name_len = i - name;
  while (i < len && is_space(text[i]))
    i++;
  size_t end = len;
  while (end > i && is_space(text[end - 1]))
    end--;
  if (name_len == 0 || end == i)
    return WEFT_ERR_PARSE;
  int alg = parse_alg(text + name, name_len);
  if (alg < 0)
    return alg;
  int rv = parse_digest(fp, text + i, end - i);
  if (rv != 0)
    return rv;
  if (fp->len != alg_len(alg))
    return WEFT_ERR_PARSE;
  fp->alg = alg;
  return 0;
}

int weft_fingerprint_format(const weft_fingerprint *fp, char *buf,
                            size_t buflen) {
  static const char hex[] = "0123456789ABCDEF";
  const char *name = fp ? weft_fingerprint_alg_name(fp->alg) : NULL;
  if (name == NULL || buf == NULL || fp->len == 0 ||
      fp->len > WEFT_FINGERPRINT_MAX_LEN)
    return WEFT_ERR_INVALID_ARGUMENT;
  size_t n = strlen(name), need = n + 1 + fp->len * 3;
  if (buflen < need)
    return WEFT_ERR_BUFFER_TOO_SMALL;
  memcpy(buf, name, n);
  buf[n++] = ' ';
  for (size_t i = 0; i < fp->len; i++) {
    buf[n++] = hex[fp->digest[i] >> 4];
    buf[n++] = hex[fp->digest[i] & 15];
    buf[n++] = i + 1 < fp->len ? ':' : '\0';
  }
  return (int)(n - 1);
}

int weft_fingerprint_equal(const weft_fingerprint *a,
                           const weft_fingerprint *b) {
  return a->alg == b->alg && a->len == b->len &&
         a->len <= WEFT_FINGERPRINT_MAX_LEN &&
         weft_ct_equal(a->digest, b->digest, a->len);
}

const char *weft_srtp_profile_name(int profile) {
  switch (profile) {
  case WEFT_SRTP_AES128_CM_SHA1_80:
    return "SRTP_AES128_CM_SHA1_80";
  case WEFT_SRTP_AES128_CM_SHA1_32:
    return "SRTP_AES128_CM_SHA1_32";
  case WEFT_SRTP_AEAD_AES_128_GCM:
    return "SRTP_AEAD_AES_128_GCM";
  case WEFT_SRTP_AEAD_AES_256_GCM:
    return "SRTP_AEAD_AES_256_GCM";
  default:
    return NULL;
  }
}

int weft_srtp_profile_lengths(int profile, size_t *key_len, size_t *salt_len) {
  size_t k, s;
  switch (profile) {
  case WEFT_SRTP_AES128_CM_SHA1_80:
  case WEFT_SRTP_AES128_CM_SHA1_32:
    k = 16, s = 14;
    break;
  case WEFT_SRTP_AEAD_AES_128_GCM:
    k = 16, s = 12;
    break;
  case WEFT_SRTP_AEAD_AES_256_GCM:
    k = 32, s = 12;
    break;
  default:
    return WEFT_ERR_UNSUPPORTED;
  }
  if (key_len)
    *key_len = k;
  if (salt_len)
    *salt_len = s;
  return 0;
}
