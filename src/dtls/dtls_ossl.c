/* The OpenSSL side of weft_dtls: the shared SSL_CTX, a BIO that hands
 * datagrams in and records out without copies or clocks, and the timer,
 * verification and alert callbacks. */
#include "dtls/dtls_internal.h"

#include <limits.h>
#include <openssl/err.h>
#include <stdio.h>
#include <pthread.h>
#include <string.h>

/* Ciphers a browser offers for DTLS 1.2 (Chrome's order). */
static const char cipher_list[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
    "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA";

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

/* ---- BIO ---------------------------------------------------------------- */

static int bio_write(BIO *b, const char *data, int len) {
  weft_dtls *d = BIO_get_data(b);
  if (len <= 0)
    return 0;
  weft_dtls_on_write(d, (const uint8_t *)data, (size_t)len);
  return len;
}

/* One BIO read is one whole datagram, the one weft_dtls_recv() holds. */
static int bio_read(BIO *b, char *out, int len) {
  weft_dtls *d = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  d->seg = SEG_NOW; /* a read ends any resend OpenSSL was writing */
  if (d->in == NULL || len <= 0) {
    BIO_set_retry_read(b);
    return -1;
  }
  size_t n = d->in_len < (size_t)len ? d->in_len : (size_t)len;
  memcpy(out, d->in, n);
  d->in = NULL;
  d->in_len = 0;
  return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
  (void)b, (void)num, (void)ptr;
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1;
  case BIO_CTRL_DGRAM_QUERY_MTU:
  case BIO_CTRL_WPENDING:
  case BIO_CTRL_PENDING:
  default:
    return 0;
  }
}

static int bio_create(BIO *b) {
  BIO_set_init(b, 1);
  return 1;
}

static int bio_destroy(BIO *b) {
  BIO_set_data(b, NULL);
  return 1;
}

static void bio_method_init(void) {
  BIO_METHOD *m =
      BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "weft_dtls");
  if (m == NULL)
    return;
  BIO_meth_set_write(m, bio_write);
  BIO_meth_set_read(m, bio_read);
  BIO_meth_set_ctrl(m, bio_ctrl);
  BIO_meth_set_create(m, bio_create);
  BIO_meth_set_destroy(m, bio_destroy);
  bio_method = m;
}

/* ---- callbacks ---------------------------------------------------------- */

static unsigned int timer_cb(SSL *ssl, unsigned int prev_us) {
  return weft_dtls_on_timer(SSL_get_app_data(ssl), prev_us);
}

static void info_cb(const SSL *ssl, int where, int ret) {
  if (where & SSL_CB_ALERT)
    weft_dtls_on_alert(SSL_get_app_data(ssl), (where & SSL_CB_WRITE) != 0, ret);
}

/* 1 when @p peer matches an expected fingerprint; its SHA-256 goes to
 * d->remote_fp either way. */
static int fingerprint_matches(weft_dtls *d, X509 *peer) {
  weft_dtls_cert_digest(peer, WEFT_FINGERPRINT_SHA256, &d->remote_fp);
  for (size_t i = 0; i < d->s.nremote_fingerprints; i++) {
    const weft_fingerprint *want = &d->s.remote_fingerprints[i];
    weft_fingerprint got = d->remote_fp;
    if ((want->alg == WEFT_FINGERPRINT_SHA256 ||
         weft_dtls_cert_digest(peer, want->alg, &got) == 0) &&
        weft_fingerprint_equal(&got, want))
      return 1;
  }
  return 0;
}

/* Replaces chain building: the peer's (self-signed) certificate is trusted
 * exactly when its digest is one of the fingerprints from the SDP. */
static int cert_verify_cb(X509_STORE_CTX *sctx, void *arg) {
  (void)arg;
  SSL *ssl =
      X509_STORE_CTX_get_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
  X509 *peer = X509_STORE_CTX_get0_cert(sctx);
  weft_dtls *d = ssl ? SSL_get_app_data(ssl) : NULL;
  if (d == NULL || peer == NULL)
    return 0;
  if (fingerprint_matches(d, peer)) {
    X509_STORE_CTX_set_error(sctx, X509_V_OK);
    return 1;
  }
  memset(&d->remote_fp, 0, sizeof(d->remote_fp));
  d->fp_mismatch = 1;
  X509_STORE_CTX_set_error(sctx, X509_V_ERR_CERT_REJECTED);
  return 0;
}

/* ---- context and connection --------------------------------------------- */

SSL_CTX *weft_dtls_ctx_new(X509 *x509, EVP_PKEY *pkey) {
  SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
  if (ctx == NULL)
    return NULL;
  int ok = SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) &&
           SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) &&
           SSL_CTX_set_cipher_list(ctx, cipher_list) &&
           SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") &&
           SSL_CTX_use_certificate(ctx, x509) == 1 &&
           SSL_CTX_use_PrivateKey(ctx, pkey) == 1 &&
           SSL_CTX_check_private_key(ctx) == 1;
  if (!ok) {
    SSL_CTX_free(ctx);
    return NULL;
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET |
                               SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     NULL);
  SSL_CTX_set_cert_verify_callback(ctx, cert_verify_cb, NULL);
  return ctx;
}

static int set_srtp(weft_dtls *d) {
  char list[160] = "";
  size_t n = 0;
  for (size_t i = 0; i < d->s.nsrtp_profiles; i++) {
    const char *name = weft_srtp_profile_name(d->s.srtp_profiles[i]);
    if (name == NULL)
      return WEFT_ERR_INVALID_ARGUMENT;
    int w = snprintf(list + n, sizeof(list) - n, "%s%s", n ? ":" : "", name);
    if (w < 0 || (size_t)w >= sizeof(list) - n)
      return WEFT_ERR_INVALID_ARGUMENT;
    n += (size_t)w;
  }
  /* SSL_set_tlsext_use_srtp returns 0 on success. */
  if (n > 0 && SSL_set_tlsext_use_srtp(d->ssl, list) != 0)
    return WEFT_ERR_CRYPTO;
  return 0;
}

int weft_dtls_ssl_new(weft_dtls *d, SSL_CTX *ctx) {
  pthread_once(&bio_once, bio_method_init);
  if (bio_method == NULL || d->s.mtu > LONG_MAX)
    return WEFT_ERR_CRYPTO;
  d->ssl = SSL_new(ctx);
  BIO *bio = BIO_new(bio_method);
  if (d->ssl == NULL || bio == NULL) {
    BIO_free(bio);
    return WEFT_ERR_CRYPTO;
  }
  BIO_set_data(bio, d);
  SSL_set_bio(d->ssl, bio, bio);
  SSL_set_app_data(d->ssl, d);
  DTLS_set_timer_cb(d->ssl, timer_cb);
  SSL_set_info_callback(d->ssl, info_cb);
  if (!DTLS_set_link_mtu(d->ssl, (long)d->s.mtu) ||
      !SSL_set_mtu(d->ssl, (long)d->s.mtu))
    return WEFT_ERR_INVALID_ARGUMENT;
  int rv = set_srtp(d);
  if (rv != 0)
    return rv;
  if (d->s.role == WEFT_DTLS_SERVER)
    SSL_set_accept_state(d->ssl);
  else
    SSL_set_connect_state(d->ssl);
  return 0;
}
