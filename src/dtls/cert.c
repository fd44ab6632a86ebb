/* Certificates: generation (ECDSA P-256 or RSA-2048, self-signed), PEM
 * loading and saving, fingerprints. */
#include "dtls/dtls_internal.h"

#include "base/mem.h"
#include "crypto/crypto.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

void weft_cert_settings_default(weft_cert_settings *s) {
  memset(s, 0, sizeof(*s));
  s->key = WEFT_CERT_ECDSA_P256;
  s->validity_seconds = 30u * 24 * 3600;
  s->common_name = "weft";
}

static void cert_free_parts(X509 *x509, EVP_PKEY *pkey) {
  X509_free(x509);
  EVP_PKEY_free(pkey);
}

/* Wraps a certificate and key (ownership taken) with their SSL_CTX. */
static int cert_wrap(weft_cert **out, X509 *x509, EVP_PKEY *pkey,
                     const weft_mem *mem) {
  weft_cert *c = weft_calloc(mem, 1, sizeof(*c));
  if (c == NULL) {
    cert_free_parts(x509, pkey);
    return WEFT_ERR_NOMEM;
  }
  c->mem = mem;
  c->x509 = x509;
  c->pkey = pkey;
  c->ctx = weft_dtls_ctx_new(x509, pkey);
  if (c->ctx == NULL) {
    weft_cert_del(c);
    return WEFT_ERR_CRYPTO;
  }
  *out = c;
  return 0;
}

static EVP_PKEY *gen_key(int key) {
  if (key == WEFT_CERT_RSA_2048)
    return EVP_RSA_gen(2048);
  return EVP_EC_gen("P-256");
}

static int set_serial(X509 *x509, const weft_rand *rand) {
  uint8_t b[8];
  if (weft_rand_bytes(rand, b, sizeof(b)) != 0)
    return 0;
  b[0] &= 0x7f; /* positive */
  b[0] |= 0x01; /* never zero, full length */
  BIGNUM *bn = BN_bin2bn(b, sizeof(b), NULL);
  int ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x509));
  BN_free(bn);
  return ok;
}

static int set_validity(X509 *x509, const weft_cert_settings *s) {
  if (s->not_before == 0)
    return X509_gmtime_adj(X509_getm_notBefore(x509), -86400) &&
           X509_gmtime_adj(X509_getm_notAfter(x509),
                           (long)s->validity_seconds - 86400);
  time_t nb = (time_t)s->not_before;
  return ASN1_TIME_set(X509_getm_notBefore(x509), nb) &&
         ASN1_TIME_adj(X509_getm_notAfter(x509), nb, 0,
                       (long)s->validity_seconds);
}

static int fill_x509(X509 *x509, EVP_PKEY *pkey, const weft_cert_settings *s) {
  X509_NAME *name = X509_NAME_new();
  const char *cn = s->common_name ? s->common_name : "weft";
  int ok = name != NULL && X509_set_version(x509, 2) &&
           set_serial(x509, s->rand) && set_validity(x509, s) &&
           X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                      (const unsigned char *)cn, -1, -1, 0) &&
           X509_set_subject_name(x509, name) &&
           X509_set_issuer_name(x509, name) && X509_set_pubkey(x509, pkey) &&
           X509_sign(x509, pkey, EVP_sha256()) > 0;
  X509_NAME_free(name);
  return ok;
}

int weft_cert_generate(weft_cert **out, const weft_cert_settings *settings,
                       const weft_mem *mem) {
  weft_cert_settings s;
  if (out == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (settings == NULL)
    weft_cert_settings_default(&s);
  else
    s = *settings;
  if ((s.key != WEFT_CERT_ECDSA_P256 && s.key != WEFT_CERT_RSA_2048) ||
      s.validity_seconds == 0 || s.validity_seconds > INT32_MAX)
    return WEFT_ERR_INVALID_ARGUMENT;
  EVP_PKEY *pkey = gen_key(s.key);
  X509 *x509 = X509_new();
  if (pkey == NULL || x509 == NULL || !fill_x509(x509, pkey, &s)) {
    cert_free_parts(x509, pkey);
    return WEFT_ERR_CRYPTO;
  }
  return cert_wrap(out, x509, pkey, mem);
}

int weft_cert_from_pem(weft_cert **out, const char *cert_pem, size_t cert_len,
                       const char *key_pem, size_t key_len,
                       const weft_mem *mem) {
  if (out == NULL || cert_pem == NULL || cert_len > INT32_MAX ||
      key_len > INT32_MAX)
    return WEFT_ERR_INVALID_ARGUMENT;
  *out = NULL;
  BIO *cb = BIO_new_mem_buf(cert_pem, (int)cert_len);
  BIO *kb = key_pem ? BIO_new_mem_buf(key_pem, (int)key_len) : NULL;
  X509 *x509 = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
  EVP_PKEY *pkey = NULL;
  if (x509 != NULL)
    pkey = PEM_read_bio_PrivateKey(kb ? kb : cb, NULL, NULL, NULL);
  BIO_free(cb);
  BIO_free(kb);
  if (x509 == NULL || pkey == NULL || X509_check_private_key(x509, pkey) != 1) {
    cert_free_parts(x509, pkey);
    return WEFT_ERR_CERTIFICATE;
  }
  return cert_wrap(out, x509, pkey, mem);
}

/* Reads a whole (small) file into a NUL-terminated heap buffer. */
static int read_file(const char *path, char **text, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return WEFT_ERR_IO;
  size_t cap = 1 << 16, n = 0;
  char *buf = weft_malloc(NULL, cap);
  while (buf != NULL) {
    size_t r = fread(buf + n, 1, cap - n - 1, f);
    n += r;
    if (r == 0 || n + 1 < cap)
      break;
    if (cap >= (1 << 22))
      break; /* 4 MiB of PEM is not a certificate */
    char *nb = weft_realloc(NULL, buf, cap * 2);
    if (nb == NULL) {
      weft_free(NULL, buf);
      buf = NULL;
      break;
    }
    buf = nb;
    cap *= 2;
  }
  int err = ferror(f);
  fclose(f);
  if (buf == NULL)
    return WEFT_ERR_NOMEM;
  if (err) {
    weft_free(NULL, buf);
    return WEFT_ERR_IO;
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return 0;
}

int weft_cert_load_pem(weft_cert **out, const char *cert_path,
                       const char *key_path, const weft_mem *mem) {
  if (out == NULL || cert_path == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  *out = NULL;
  char *ct = NULL, *kt = NULL;
  size_t cl = 0, kl = 0;
  int rv = read_file(cert_path, &ct, &cl);
  if (rv == 0 && key_path != NULL)
    rv = read_file(key_path, &kt, &kl);
  if (rv == 0)
    rv = weft_cert_from_pem(out, ct, cl, kt, kl, mem);
  if (kt != NULL)
    OPENSSL_cleanse(kt, kl);
  weft_free(NULL, ct);
  weft_free(NULL, kt);
  return rv;
}

int weft_cert_to_pem(const weft_cert *cert, char *buf, size_t buflen) {
  if (cert == NULL || buf == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  BIO *b = BIO_new(BIO_s_mem());
  int ok = b != NULL && PEM_write_bio_X509(b, cert->x509) &&
           PEM_write_bio_PrivateKey(b, cert->pkey, NULL, NULL, 0, NULL, NULL);
  int rv = WEFT_ERR_CRYPTO;
  if (ok) {
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    if (n < 0 || (size_t)n + 1 > buflen || n > INT32_MAX) {
      rv = WEFT_ERR_BUFFER_TOO_SMALL;
    } else {
      memcpy(buf, p, (size_t)n);
      buf[n] = '\0';
      rv = (int)n;
    }
    OPENSSL_cleanse(p, (size_t)(n > 0 ? n : 0));
  }
  BIO_free(b);
  return rv;
}

void weft_cert_del(weft_cert *cert) {
  if (cert == NULL)
    return;
  SSL_CTX_free(cert->ctx);
  cert_free_parts(cert->x509, cert->pkey);
  weft_free(cert->mem, cert);
}

int weft_dtls_cert_digest(X509 *x509, int alg, weft_fingerprint *fp) {
  size_t n = weft_hash_len(alg);
  if (n == 0)
    return WEFT_ERR_UNSUPPORTED;
  unsigned char *der = NULL;
  int len = i2d_X509(x509, &der);
  if (len <= 0)
    return WEFT_ERR_CRYPTO;
  memset(fp, 0, sizeof(*fp));
  int rv = weft_hash1(alg, der, (size_t)len, fp->digest);
  OPENSSL_free(der);
  if (rv != 0)
    return rv;
  fp->alg = alg;
  fp->len = n;
  return 0;
}

int weft_cert_fingerprint(const weft_cert *cert, int alg,
                          weft_fingerprint *fp) {
  if (cert == NULL || fp == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  return weft_dtls_cert_digest(cert->x509, alg, fp);
}
