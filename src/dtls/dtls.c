/* weft_dtls: a sans-IO DTLS 1.2 endpoint on OpenSSL with weft's own
 * retransmission clock.
 *
 * Retransmissions. OpenSSL 3 keeps its DTLS timer in real time and checks
 * it at the start of every record read, looping while it is expired. So
 * weft never lets it expire on its own: when a flight starts (the timer
 * callback is asked with 0) the duration is 1 us (expired at once, OpenSSL
 * rounds anything under 15 ms to 0) and OpenSSL is made to resend the
 * flight max_retransmits times right away; those copies (fresh record
 * numbers) are held, and every later duration is an hour. weft's deadline
 * then releases one held copy each time it passes, with doubling timeouts.
 * The server's last flight (ChangeCipherSpec, Finished) is never resent on a
 * timer (RFC 6347 4.2.4): OpenSSL resends it when the client's Finished
 * comes again. */
#include "dtls/dtls_internal.h"

#include "base/mem.h"

#include <openssl/err.h>
#include <string.h>

#define TIMER_NEAR_US 1u
#define TIMER_FAR_US 3600000000u
#define LOG_MOD "dtls"
/* Smallest encrypted record: GCM explicit nonce and tag (ChaCha20-Poly1305
 * needs 16, CBC more). */
#define MIN_ENCRYPTED 24
/* Datagrams kept while the remote fingerprint is unknown. */
#define HELD_BYTES (32 * 1024)

typedef struct ev_hdr {
  size_t size;
  weft_dtls_event ev;
} ev_hdr;

void weft_dtls_settings_default(weft_dtls_settings *s) {
  memset(s, 0, sizeof(*s));
  s->role = WEFT_DTLS_CLIENT;
  s->mtu = 1200;
  s->srtp_profiles[0] = WEFT_SRTP_AEAD_AES_128_GCM;
  s->srtp_profiles[1] = WEFT_SRTP_AES128_CM_SHA1_80;
  s->nsrtp_profiles = 2;
  s->initial_rto = 400 * WEFT_MILLISECONDS;
  s->max_rto = 60 * WEFT_SECONDS;
  s->max_retransmits = 7;
  s->recv_queue_bytes = 256 * 1024;
  s->send_queue_bytes = 256 * 1024;
  weft_log_default(&s->log);
}

static int check_fingerprints(const weft_fingerprint *fps, size_t n) {
  if (n > WEFT_DTLS_MAX_FINGERPRINTS || (n > 0 && fps == NULL))
    return WEFT_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < n; i++)
    if (weft_fingerprint_alg_name(fps[i].alg) == NULL || fps[i].len == 0 ||
        fps[i].len > WEFT_FINGERPRINT_MAX_LEN)
      return WEFT_ERR_INVALID_ARGUMENT;
  return 0;
}

static int check_settings(const weft_dtls_settings *s) {
  if (s->cert == NULL || s->cert->ctx == NULL || s->mtu < 256 ||
      s->mtu > 65535 || s->nsrtp_profiles > WEFT_DTLS_MAX_SRTP_PROFILES ||
      s->max_retransmits > WEFT_DTLS_MAX_RETRANSMITS || s->initial_rto == 0 ||
      s->max_rto < s->initial_rto ||
      (s->role != WEFT_DTLS_CLIENT && s->role != WEFT_DTLS_SERVER))
    return WEFT_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < s->nsrtp_profiles; i++)
    if (weft_srtp_profile_name(s->srtp_profiles[i]) == NULL)
      return WEFT_ERR_INVALID_ARGUMENT;
  return check_fingerprints(s->remote_fingerprints, s->nremote_fingerprints);
}

int weft_dtls_new(weft_dtls **out, const weft_dtls_settings *settings,
                  const weft_mem *mem) {
  if (out == NULL || settings == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  *out = NULL;
  int rv = check_settings(settings);
  if (rv != 0)
    return rv;
  weft_dtls *d = weft_calloc(mem, 1, sizeof(*d));
  if (d == NULL)
    return WEFT_ERR_NOMEM;
  d->mem = mem;
  d->s = *settings;
  d->out.limit = settings->send_queue_bytes;
  d->out.align = 1;
  d->events.limit = settings->recv_queue_bytes;
  d->events.align = sizeof(size_t);
  d->held.limit = HELD_BYTES;
  d->held.align = 1;
  rv = weft_dtls_ssl_new(d, settings->cert->ctx);
  d->s.cert = NULL; /* the SSL holds the context; the cert may go */
  if (rv != 0) {
    weft_dtls_del(d);
    return rv;
  }
  *out = d;
  return 0;
}

void weft_dtls_del(weft_dtls *d) {
  if (d == NULL)
    return;
  SSL_free(d->ssl);
  weft_dtls_fifo_free(d->mem, &d->out);
  weft_dtls_fifo_free(d->mem, &d->events);
  weft_dtls_fifo_free(d->mem, &d->held);
  weft_free(d->mem, d->rtx);
  weft_free(d->mem, d);
}

static void replay_held(weft_dtls *d);

int weft_dtls_set_remote_fingerprints(weft_dtls *d, const weft_fingerprint *fps,
                                      size_t n) {
  if (d == NULL || check_fingerprints(fps, n) != 0)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (n > 0)
    memcpy(d->s.remote_fingerprints, fps, n * sizeof(*fps));
  d->s.nremote_fingerprints = n;
  if (n > 0)
    replay_held(d);
  return 0;
}

/* ---- events -------------------------------------------------------------- */

void weft_dtls_push_event(weft_dtls *d, const weft_dtls_event *ev,
                          const uint8_t *data, size_t len) {
  ev_hdr h;
  memset(&h, 0, sizeof(h));
  h.ev = *ev;
  h.ev.data = NULL;
  h.ev.len = len;
  size_t align = d->events.align;
  h.size = (sizeof(h) + len + align - 1) / align * align;
  int force = ev->type != WEFT_DTLS_EVENT_DATA;
  if (weft_dtls_fifo_push(d->mem, &d->events, &h, sizeof(h), data, len,
                          force) != 0) {
    if (ev->type == WEFT_DTLS_EVENT_DATA)
      d->stats.rx_app_dropped++;
  } else if (ev->type == WEFT_DTLS_EVENT_DATA) {
    d->stats.rx_app_records++;
  }
}

static void release_event(weft_dtls *d) {
  dtls_fifo *f = &d->events;
  f->head += d->release;
  d->release = 0;
  if (f->head == f->tail)
    f->head = f->tail = 0;
}

int weft_dtls_poll_event(weft_dtls *d, weft_dtls_event *ev) {
  release_event(d);
  dtls_fifo *f = &d->events;
  if (f->head == f->tail)
    return 0;
  ev_hdr h;
  memcpy(&h, f->buf + f->head, sizeof(h));
  *ev = h.ev;
  if (ev->type == WEFT_DTLS_EVENT_DATA)
    ev->data = f->buf + f->head + sizeof(h);
  d->release = h.size;
  return 1;
}

static void push_simple(weft_dtls *d, int type, int reason) {
  weft_dtls_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.type = type;
  ev.reason = reason;
  weft_dtls_push_event(d, &ev, NULL, 0);
}

void weft_dtls_on_alert(weft_dtls *d, int sent, int value) {
  weft_dtls_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.type = WEFT_DTLS_EVENT_ALERT;
  ev.alert_level = (value >> 8) & 0xff;
  ev.alert_description = value & 0xff;
  ev.sent = sent;
  if (!sent && ev.alert_level == 2)
    d->alert_fatal_rcvd = 1;
  WEFT_LOG(&d->s.log, WEFT_LOG_DEBUG, LOG_MOD, "alert %s: level %d desc %d",
           sent ? "sent" : "received", ev.alert_level, ev.alert_description);
  weft_dtls_push_event(d, &ev, NULL, 0);
}

/* ---- flights and retransmission ------------------------------------------ */

static void stop_flight(weft_dtls *d) {
  d->flight_active = 0;
  d->flight_new = 0;
  d->copies_made = d->copies_sent = 0;
  d->rtx_len = 0;
  weft_free(d->mem, d->rtx);
  d->rtx = NULL;
  d->rtx_cap = 0;
}

static void fail(weft_dtls *d, int reason) {
  if (d->state == WEFT_DTLS_STATE_FAILED)
    return;
  char err[160] = "";
  unsigned long e = ERR_peek_last_error();
  if (e != 0)
    ERR_error_string_n(e, err, sizeof(err));
  WEFT_LOG(&d->s.log, WEFT_LOG_INFO, LOG_MOD, "failed: %s %s",
           weft_strerror(reason), err);
  d->state = WEFT_DTLS_STATE_FAILED;
  stop_flight(d);
  push_simple(d, WEFT_DTLS_EVENT_FAILED, reason);
}

static void rtx_append(weft_dtls *d, const uint8_t *data, size_t len) {
  if (d->rtx_len + len > d->rtx_cap) {
    size_t cap = d->rtx_cap ? d->rtx_cap : 4096;
    while (cap < d->rtx_len + len)
      cap *= 2;
    uint8_t *nb =
        cap > d->s.send_queue_bytes ? NULL : weft_realloc(d->mem, d->rtx, cap);
    if (nb == NULL)
      return; /* this copy will lack a record: a later one will do */
    d->rtx = nb;
    d->rtx_cap = cap;
  }
  memcpy(d->rtx + d->rtx_len, data, len);
  d->rtx_len += len;
  d->rtx_off[d->copies_made] = d->rtx_len;
}

void weft_dtls_on_write(weft_dtls *d, const uint8_t *data, size_t len) {
  if (d->seg == SEG_COPY)
    rtx_append(d, data, len);
  else if (d->seg == SEG_NOW)
    weft_dtls_fifo_push(d->mem, &d->out, data, len, NULL, 0, 1);
}

static int is_final_flight(weft_dtls *d) {
  return d->s.role == WEFT_DTLS_SERVER &&
         SSL_get_state(d->ssl) == TLS_ST_SW_CHANGE;
}

unsigned weft_dtls_on_timer(weft_dtls *d, unsigned prev_us) {
  if (prev_us == 0) { /* a new flight starts */
    d->rtx_len = 0;
    d->copies_made = d->copies_sent = 0;
    d->rtx_off[0] = 0;
    d->flight_new = 1;
    d->seg = SEG_NOW;
    d->flight_final = is_final_flight(d);
    return d->flight_final || d->s.max_retransmits == 0 ? TIMER_FAR_US
                                                        : TIMER_NEAR_US;
  }
  if (d->flight_final || SSL_is_init_finished(d->ssl) ||
      d->copies_made >= d->s.max_retransmits) {
    d->seg = SEG_DISCARD;
    return TIMER_FAR_US;
  }
  d->rtx_off[d->copies_made] = d->rtx_len;
  d->copies_made++;
  d->rtx_off[d->copies_made] = d->rtx_len;
  d->seg = SEG_COPY;
  return d->copies_made < d->s.max_retransmits ? TIMER_NEAR_US : TIMER_FAR_US;
}

static void make_copies(weft_dtls *d) {
  for (unsigned i = 0; i <= WEFT_DTLS_MAX_RETRANSMITS; i++) {
    if (d->flight_final || d->copies_made >= d->s.max_retransmits ||
        d->state != WEFT_DTLS_STATE_HANDSHAKING)
      return;
    unsigned before = d->copies_made;
    int r = DTLSv1_handle_timeout(d->ssl);
    d->seg = SEG_NOW;
    if (r < 0) {
      fail(d, WEFT_ERR_DTLS_HANDSHAKE);
      return;
    }
    if (d->copies_made == before)
      return;
  }
}

/* After every call into OpenSSL: start or stop weft's retransmit clock. */
static void after_ssl(weft_dtls *d, weft_tstamp now) {
  d->seg = SEG_NOW;
  if (d->flight_new && d->state == WEFT_DTLS_STATE_HANDSHAKING) {
    d->flight_new = 0;
    make_copies(d);
    if (!d->flight_final && d->state == WEFT_DTLS_STATE_HANDSHAKING) {
      d->flight_active = 1;
      d->rto = d->s.initial_rto;
      d->rtx_deadline = now + d->rto;
    }
  }
  if (d->state != WEFT_DTLS_STATE_HANDSHAKING) {
    if (d->rtx != NULL || d->flight_active)
      stop_flight(d);
    return;
  }
  struct timeval tv;
  if (d->flight_active && !DTLSv1_get_timeout(d->ssl, &tv))
    stop_flight(d); /* OpenSSL got the whole next flight */
}

weft_tstamp weft_dtls_deadline(const weft_dtls *d) {
  return d->flight_active ? d->rtx_deadline : WEFT_TSTAMP_NONE;
}

int weft_dtls_handle_timeout(weft_dtls *d, weft_tstamp now) {
  if (d == NULL)
    return 0;
  d->last_now = now;
  if (!d->flight_active || now < d->rtx_deadline)
    return 0;
  if (d->copies_sent >= d->copies_made) {
    fail(d, WEFT_ERR_TIMEOUT);
    return 0;
  }
  size_t a = d->rtx_off[d->copies_sent], b = d->rtx_off[d->copies_sent + 1];
  if (b > a) /* empty only when memory ran out while it was made */
    weft_dtls_fifo_push(d->mem, &d->out, d->rtx + a, b - a, NULL, 0, 1);
  d->copies_sent++;
  d->stats.retransmits++;
  d->rto = d->rto * 2 > d->s.max_rto ? d->s.max_rto : d->rto * 2;
  d->rtx_deadline = now + d->rto;
  WEFT_LOG(&d->s.log, WEFT_LOG_DEBUG, LOG_MOD, "resent flight (%u of %u)",
           d->copies_sent, d->copies_made);
  return 0;
}

/* ---- driving OpenSSL ------------------------------------------------------
 */

static int failure_reason(const weft_dtls *d) {
  if (d->fp_mismatch)
    return WEFT_ERR_DTLS_FINGERPRINT;
  if (d->alert_fatal_rcvd)
    return WEFT_ERR_DTLS_ALERT;
  return WEFT_ERR_DTLS_HANDSHAKE;
}

static int selected_profile(const weft_dtls *d) {
  SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
  return p != NULL ? (int)p->id : 0;
}

static void on_connected(weft_dtls *d) {
  if (d->remote_fp.len == 0) { /* never happens with VERIFY_PEER */
    d->fp_mismatch = 1;
    fail(d, WEFT_ERR_DTLS_FINGERPRINT);
    return;
  }
  d->state = WEFT_DTLS_STATE_CONNECTED;
  weft_dtls_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.type = WEFT_DTLS_EVENT_HANDSHAKE_DONE;
  ev.srtp_profile = (uint16_t)selected_profile(d);
  WEFT_LOG(&d->s.log, WEFT_LOG_INFO, LOG_MOD, "connected: %s, srtp %s",
           SSL_get_cipher_name(d->ssl),
           ev.srtp_profile ? weft_srtp_profile_name(ev.srtp_profile) : "none");
  weft_dtls_push_event(d, &ev, NULL, 0);
}

static void handshake_step(weft_dtls *d) {
  ERR_clear_error();
  int r = SSL_do_handshake(d->ssl);
  d->seg = SEG_NOW;
  if (r == 1) {
    on_connected(d);
    return;
  }
  int e = SSL_get_error(d->ssl, r);
  if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
    fail(d, failure_reason(d));
}

static void send_close_notify(weft_dtls *d) {
  if (d->close_sent)
    return;
  d->close_sent = 1;
  ERR_clear_error();
  SSL_shutdown(d->ssl);
  d->seg = SEG_NOW;
}

static void on_peer_close(weft_dtls *d) {
  WEFT_LOG(&d->s.log, WEFT_LOG_INFO, LOG_MOD, "peer closed");
  d->state = WEFT_DTLS_STATE_CLOSED;
  push_simple(d, WEFT_DTLS_EVENT_CLOSED, 0);
  send_close_notify(d);
}

/* Reads every application record of the datagram just given into @p buf
 * (room for the largest record, so that a record is never split). */
static void read_records_into(weft_dtls *d, uint8_t *buf) {
  for (size_t i = 0; i < 65536 / WEFT_DTLS_RECORD_HEADER + 2; i++) {
    ERR_clear_error();
    int r = SSL_read(d->ssl, buf, WEFT_DTLS_MAX_RECORD);
    d->seg = SEG_NOW;
    if (r > 0) {
      weft_dtls_event ev;
      memset(&ev, 0, sizeof(ev));
      ev.type = WEFT_DTLS_EVENT_DATA;
      weft_dtls_push_event(d, &ev, buf, (size_t)r);
      continue;
    }
    int e = SSL_get_error(d->ssl, r);
    if (e == SSL_ERROR_ZERO_RETURN)
      on_peer_close(d);
    else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
      fail(d, failure_reason(d));
    return;
  }
}

/* The 16 KiB buffer lives only during the call: thousands of idle
 * connections (an SFU) do not each keep one. */
static void read_records(weft_dtls *d) {
  uint8_t *buf = weft_malloc(d->mem, WEFT_DTLS_MAX_RECORD);
  if (buf == NULL)
    return; /* the datagram stays unread: dropped and counted */
  read_records_into(d, buf);
  weft_free(d->mem, buf);
}

static void pump(weft_dtls *d) {
  if (d->state == WEFT_DTLS_STATE_HANDSHAKING)
    handshake_step(d);
  if (d->state == WEFT_DTLS_STATE_CONNECTED)
    read_records(d);
}

int weft_dtls_start(weft_dtls *d, weft_tstamp now) {
  if (d == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (d->s.role != WEFT_DTLS_CLIENT || d->state != WEFT_DTLS_STATE_NEW)
    return WEFT_ERR_INVALID_STATE;
  d->state = WEFT_DTLS_STATE_HANDSHAKING;
  d->last_now = now;
  pump(d);
  after_ssl(d, now);
  return d->state == WEFT_DTLS_STATE_FAILED ? WEFT_ERR_DTLS_HANDSHAKE : 0;
}

/* Every record of the datagram must be well framed; a server that has not
 * started takes only a datagram that begins with a ClientHello. An encrypted
 * record shorter than an AEAD nonce and tag is refused here: OpenSSL 3.0
 * treats it as an internal error and kills the connection. */
static int datagram_ok(const weft_dtls *d, const uint8_t *p, size_t len) {
  size_t off = 0;
  while (off < len) {
    if (len - off < WEFT_DTLS_RECORD_HEADER)
      return 0;
    const uint8_t *r = p + off;
    size_t rlen = (size_t)r[11] << 8 | r[12];
    if (r[0] < 20 || r[0] > 23 || r[1] != 0xfe ||
        (r[2] != 0xfd && r[2] != 0xff) ||
        rlen > len - off - WEFT_DTLS_RECORD_HEADER ||
        ((r[3] | r[4]) != 0 && rlen < MIN_ENCRYPTED))
      return 0;
    off += WEFT_DTLS_RECORD_HEADER + rlen;
  }
  if (d->state != WEFT_DTLS_STATE_NEW)
    return len > 0;
  return len > WEFT_DTLS_RECORD_HEADER && p[0] == 22 && p[3] == 0 &&
         p[4] == 0 && p[WEFT_DTLS_RECORD_HEADER] == 1;
}

/* Hands one well-formed datagram to OpenSSL. */
static void feed(weft_dtls *d, weft_tstamp now, const uint8_t *data,
                 size_t len) {
  if (d->state == WEFT_DTLS_STATE_NEW)
    d->state = WEFT_DTLS_STATE_HANDSHAKING;
  d->in = data;
  d->in_len = len;
  pump(d);
  if (d->in != NULL) /* OpenSSL did not read it */
    d->stats.rx_dropped++;
  d->in = NULL;
  d->in_len = 0;
  after_ssl(d, now);
}

/* Without a remote fingerprint (the SDP answer is late) the peer's
 * certificate cannot be checked: its datagrams wait, all but the ClientHello
 * that starts a server, until weft_dtls_set_remote_fingerprints(). */
static int must_hold(const weft_dtls *d) {
  return d->s.nremote_fingerprints == 0 &&
         d->state == WEFT_DTLS_STATE_HANDSHAKING;
}

static void hold(weft_dtls *d, const uint8_t *data, size_t len) {
  uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
  if (weft_dtls_fifo_push(d->mem, &d->held, hdr, 2, data, len, 0) != 0)
    d->stats.rx_dropped++;
}

static void replay_held(weft_dtls *d) {
  dtls_fifo *f = &d->held;
  while (f->tail - f->head >= 2 && d->state == WEFT_DTLS_STATE_HANDSHAKING) {
    size_t len = (size_t)f->buf[f->head] << 8 | f->buf[f->head + 1];
    const uint8_t *p = f->buf + f->head + 2;
    f->head += 2 + len;
    feed(d, d->last_now, p, len);
  }
  weft_dtls_fifo_free(d->mem, f);
}

int weft_dtls_recv(weft_dtls *d, weft_tstamp now, const uint8_t *data,
                   size_t len) {
  if (d == NULL || (data == NULL && len > 0))
    return WEFT_ERR_INVALID_ARGUMENT;
  release_event(d);
  d->last_now = now;
  d->stats.rx_datagrams++;
  int live = d->state == WEFT_DTLS_STATE_HANDSHAKING ||
             d->state == WEFT_DTLS_STATE_CONNECTED ||
             (d->state == WEFT_DTLS_STATE_NEW && d->s.role == WEFT_DTLS_SERVER);
  if (!live || !datagram_ok(d, data, len)) {
    d->stats.rx_dropped++;
    return 0;
  }
  if (must_hold(d))
    hold(d, data, len);
  else
    feed(d, now, data, len);
  return 0;
}

static size_t record_len(const uint8_t *r) {
  return WEFT_DTLS_RECORD_HEADER + ((size_t)r[11] << 8 | r[12]);
}

int weft_dtls_poll_transmit(weft_dtls *d, weft_tstamp now, uint8_t *buf,
                            size_t buflen) {
  (void)now;
  if (d == NULL || buf == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  dtls_fifo *f = &d->out;
  if (f->head == f->tail)
    return 0;
  size_t limit = buflen < d->s.mtu ? buflen : d->s.mtu;
  size_t first = record_len(f->buf + f->head);
  if (first > buflen)
    return WEFT_ERR_BUFFER_TOO_SMALL;
  size_t n = first, records = 1;
  if (first > limit)
    limit = first; /* never happens: OpenSSL sizes records to the MTU */
  while (f->head + n < f->tail) {
    size_t next = record_len(f->buf + f->head + n);
    if (n + next > limit)
      break;
    n += next;
    records++;
  }
  memcpy(buf, f->buf + f->head, n);
  f->head += n;
  if (f->head == f->tail)
    f->head = f->tail = 0;
  d->stats.tx_datagrams++;
  d->stats.tx_records += records;
  return (int)n;
}

/* ---- application data, close ----------------------------------------------
 */

size_t weft_dtls_max_payload(const weft_dtls *d) {
  if (d == NULL || d->state != WEFT_DTLS_STATE_CONNECTED)
    return 0;
  return DTLS_get_data_mtu(d->ssl);
}

int weft_dtls_write(weft_dtls *d, weft_tstamp now, const uint8_t *data,
                    size_t len) {
  if (d == NULL || data == NULL || len == 0)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (d->state != WEFT_DTLS_STATE_CONNECTED)
    return WEFT_ERR_INVALID_STATE;
  if (len > weft_dtls_max_payload(d))
    return WEFT_ERR_LIMIT;
  if (weft_dtls_fifo_len(&d->out) + len + 128 > d->out.limit)
    return WEFT_ERR_QUEUE_FULL;
  ERR_clear_error();
  int r = SSL_write(d->ssl, data, (int)len);
  d->seg = SEG_NOW;
  if (r != (int)len) {
    fail(d, failure_reason(d));
    return WEFT_ERR_CRYPTO;
  }
  after_ssl(d, now);
  return 0;
}

int weft_dtls_close(weft_dtls *d, weft_tstamp now) {
  if (d == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (d->state != WEFT_DTLS_STATE_CONNECTED)
    return WEFT_ERR_INVALID_STATE;
  send_close_notify(d);
  d->state = WEFT_DTLS_STATE_CLOSED;
  after_ssl(d, now);
  return 0;
}

/* ---- SRTP keys, facts -----------------------------------------------------
 */

int weft_dtls_state(const weft_dtls *d) {
  return d->state;
}

int weft_dtls_srtp_profile(const weft_dtls *d) {
  if (d->state != WEFT_DTLS_STATE_CONNECTED &&
      d->state != WEFT_DTLS_STATE_CLOSED)
    return 0;
  return selected_profile(d);
}

static const char srtp_label[] = "EXTRACTOR-dtls_srtp";

int weft_dtls_export_srtp_keys(const weft_dtls *d, uint8_t *out,
                               size_t outlen) {
  size_t k, s;
  if (d == NULL || out == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  int profile = weft_dtls_srtp_profile(d);
  if (profile == 0 || weft_srtp_profile_lengths(profile, &k, &s) != 0)
    return WEFT_ERR_INVALID_STATE;
  size_t n = 2 * (k + s);
  if (outlen < n)
    return WEFT_ERR_BUFFER_TOO_SMALL;
  if (SSL_export_keying_material(d->ssl, out, n, srtp_label,
                                 sizeof(srtp_label) - 1, NULL, 0, 0) != 1)
    return WEFT_ERR_CRYPTO;
  return (int)n;
}

int weft_dtls_srtp_keys_get(const weft_dtls *d, weft_dtls_srtp_keys *keys) {
  uint8_t m[2 * (32 + 14)];
  if (keys == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  int n = weft_dtls_export_srtp_keys(d, m, sizeof(m));
  if (n < 0)
    return n;
  memset(keys, 0, sizeof(*keys));
  keys->profile = (uint16_t)weft_dtls_srtp_profile(d);
  weft_srtp_profile_lengths(keys->profile, &keys->key_len, &keys->salt_len);
  size_t k = keys->key_len, s = keys->salt_len;
  int client = d->s.role == WEFT_DTLS_CLIENT;
  /* client key | server key | client salt | server salt */
  memcpy(keys->local_key, m + (client ? 0 : k), k);
  memcpy(keys->remote_key, m + (client ? k : 0), k);
  memcpy(keys->local_salt, m + 2 * k + (client ? 0 : s), s);
  memcpy(keys->remote_salt, m + 2 * k + (client ? s : 0), s);
  OPENSSL_cleanse(m, sizeof(m));
  return 0;
}

void weft_dtls_get_info(const weft_dtls *d, weft_dtls_info *info) {
  memset(info, 0, sizeof(*info));
  if (d->state != WEFT_DTLS_STATE_CONNECTED &&
      d->state != WEFT_DTLS_STATE_CLOSED)
    return;
  const SSL_CIPHER *c = SSL_get_current_cipher(d->ssl);
  info->cipher = c ? SSL_CIPHER_get_name(c) : NULL;
  info->version = SSL_version(d->ssl);
  info->extended_master_secret = SSL_get_extms_support(d->ssl) == 1;
  info->srtp_profile = (uint16_t)selected_profile(d);
  info->remote_fingerprint = d->remote_fp;
}

void weft_dtls_get_stats(const weft_dtls *d, weft_dtls_stats *stats) {
  *stats = d->stats;
}
