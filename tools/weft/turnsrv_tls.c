/*
 * TLS for TURN over TCP (RFC 8656 section 3.1): OpenSSL with memory BIOs,
 * the only file of the weft program that includes OpenSSL. The connection
 * code moves ciphertext; this file turns it into plaintext and back.
 */
#include "turnsrv_int.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>

struct ts_tls {
  SSL *ssl;
  BIO *rbio, *wbio;
};

int ts_tls_ctx_new(turnsrv *s, char *err, size_t errlen) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == NULL) {
    snprintf(err, errlen, "tls: cannot create a context");
    return -1;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, s->cfg.cert) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, s->cfg.pkey, SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    char e[128];
    ERR_error_string_n(ERR_get_error(), e, sizeof(e));
    snprintf(err, errlen, "tls: %s / %s: %s", s->cfg.cert, s->cfg.pkey, e);
    SSL_CTX_free(ctx);
    return -1;
  }
  s->tls_ctx = ctx;
  return 0;
}

void ts_tls_ctx_free(turnsrv *s) {
  SSL_CTX_free(s->tls_ctx);
  s->tls_ctx = NULL;
}

struct ts_tls *ts_tls_new(turnsrv *s) {
  struct ts_tls *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return NULL;
  t->ssl = SSL_new(s->tls_ctx);
  t->rbio = BIO_new(BIO_s_mem());
  t->wbio = BIO_new(BIO_s_mem());
  if (t->ssl == NULL || t->rbio == NULL || t->wbio == NULL) {
    BIO_free(t->rbio);
    BIO_free(t->wbio);
    SSL_free(t->ssl);
    free(t);
    return NULL;
  }
  SSL_set_bio(t->ssl, t->rbio, t->wbio);
  SSL_set_accept_state(t->ssl);
  return t;
}

void ts_tls_free(struct ts_tls *t) {
  if (t == NULL)
    return;
  SSL_free(t->ssl); /* frees both BIOs */
  free(t);
}

int ts_tls_feed(struct ts_tls *t, const uint8_t *in, size_t len, uint8_t *plain,
                size_t *plen, size_t plaincap) {
  if (BIO_write(t->rbio, in, (int)len) != (int)len)
    return -1;
  for (;;) {
    if (*plen == plaincap)
      return -1; /* a frame larger than the buffer */
    int n = SSL_read(t->ssl, plain + *plen, (int)(plaincap - *plen));
    if (n > 0) {
      *plen += (size_t)n;
      continue;
    }
    int e = SSL_get_error(t->ssl, n);
    ERR_clear_error();
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
  }
}

int ts_tls_write(struct ts_tls *t, const uint8_t *p, size_t len) {
  if (!SSL_is_init_finished(t->ssl))
    return -1;
  int n = SSL_write(t->ssl, p, (int)len);
  ERR_clear_error();
  return n == (int)len ? 0 : -1;
}

size_t ts_tls_pending(struct ts_tls *t, uint8_t *buf, size_t cap) {
  int n = BIO_read(t->wbio, buf, (int)cap);
  return n > 0 ? (size_t)n : 0;
}
