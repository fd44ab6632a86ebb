/* Internal state of weft_dtls and weft_cert, shared by the files of
 * src/dtls/. Only src/dtls/ and src/crypto/ include OpenSSL headers. */
#ifndef WEFT_DTLS_INTERNAL_H
#define WEFT_DTLS_INTERNAL_H

#include "weft/dtls.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

/* Most resends of one flight (OpenSSL fails a flight after 12 timeouts, and
 * counts the resends triggered by a repeated Finished too). */
#define WEFT_DTLS_MAX_RETRANSMITS 10
/* Largest plaintext of one record. */
#define WEFT_DTLS_MAX_RECORD 16384
/* DTLS record header: type, version, epoch, sequence number, length. */
#define WEFT_DTLS_RECORD_HEADER 13

struct weft_cert {
  const weft_mem *mem;
  X509 *x509;
  EVP_PKEY *pkey;
  SSL_CTX *ctx; /* shared by every endpoint using this certificate */
};

/* A FIFO of bytes, compacted in place, grown up to `limit`. */
typedef struct dtls_fifo {
  uint8_t *buf;
  size_t head, tail, cap, limit;
  size_t align; /* entries are padded to a multiple of this */
} dtls_fifo;

/* Where OpenSSL's writes go: out now, into a held copy, or nowhere. */
enum dtls_seg { SEG_NOW = 0, SEG_COPY = 1, SEG_DISCARD = 2 };

struct weft_dtls {
  const weft_mem *mem;
  weft_dtls_settings s;
  SSL *ssl;
  int state;
  /* The datagram being processed by weft_dtls_recv (read by the BIO). */
  const uint8_t *in;
  size_t in_len;
  /* Records to transmit (self-delimiting DTLS records). */
  dtls_fifo out;
  int seg;
  /* Copies of the current flight made for retransmission: copy k is
   * rtx[rtx_off[k] .. rtx_off[k + 1]). */
  uint8_t *rtx;
  size_t rtx_len, rtx_cap;
  size_t rtx_off[WEFT_DTLS_MAX_RETRANSMITS + 1];
  unsigned copies_made, copies_sent;
  int flight_new, flight_final, flight_active;
  weft_tstamp rto, rtx_deadline;
  /* Events, application data inline (entries: ev_hdr + payload). */
  dtls_fifo events;
  /* Datagrams waiting for the remote fingerprint: [u16 length][bytes]. */
  dtls_fifo held;
  weft_tstamp last_now; /* the latest time given to any call */
  size_t release;       /* bytes of the last polled entry, freed on next call */
  int fp_mismatch, alert_fatal_rcvd, close_sent;
  weft_fingerprint remote_fp;
  weft_dtls_stats stats;
};

/* dtls_ossl.c: the OpenSSL side. */
SSL_CTX *weft_dtls_ctx_new(X509 *x509, EVP_PKEY *pkey);
int weft_dtls_ssl_new(weft_dtls *d, SSL_CTX *ctx);
int weft_dtls_cert_digest(X509 *x509, int alg, weft_fingerprint *fp);

/* dtls_fifo.c: byte FIFOs. */
int weft_dtls_fifo_push(const weft_mem *mem, dtls_fifo *f, const void *a,
                        size_t alen, const void *b, size_t blen, int force);
void weft_dtls_fifo_free(const weft_mem *mem, dtls_fifo *f);
size_t weft_dtls_fifo_len(const dtls_fifo *f);

/* dtls.c: called from the OpenSSL callbacks. */
void weft_dtls_on_write(weft_dtls *d, const uint8_t *data, size_t len);
unsigned weft_dtls_on_timer(weft_dtls *d, unsigned prev_us);
void weft_dtls_on_alert(weft_dtls *d, int sent, int value);
void weft_dtls_push_event(weft_dtls *d, const weft_dtls_event *ev,
                          const uint8_t *data, size_t len);

#endif
