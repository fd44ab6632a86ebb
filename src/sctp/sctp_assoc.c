/* SCTP association: lifecycle, the 4-way handshake with an HMAC-protected
 * state cookie, verification tags, chunk dispatch, shutdown and abort,
 * heartbeats, timers, events and packet assembly (RFC 9260). */
#include "sctp/sctp_int.h"

#include <string.h>

#include "crypto/crypto.h"

#define COOKIE_MAGIC 0x77656674u /* "weft" */
#define COOKIE_BODY 40
#define COOKIE_LIFETIME (60 * WEFT_SECONDS)

void weft_sctp_settings_default(weft_sctp_settings *s) {
  memset(s, 0, sizeof(*s));
  s->local_port = 5000;
  s->remote_port = 5000;
  s->max_message_size = 256 * 1024;
  s->rwnd = 4 * 1024 * 1024;
  s->send_buffer = 4 * 1024 * 1024;
  s->max_out_streams = 65535;
  s->max_in_streams = 65535;
  s->mtu = 1160;
  s->rto_initial = 1 * (weft_duration)WEFT_SECONDS;
  s->rto_min = 400 * (weft_duration)WEFT_MILLISECONDS;
  s->rto_max = 60 * (weft_duration)WEFT_SECONDS;
  s->sack_delay = 200 * (weft_duration)WEFT_MILLISECONDS;
  s->heartbeat_interval = 30 * (weft_duration)WEFT_SECONDS;
  s->max_retransmits = 10;
  s->max_init_retransmits = 8;
  s->initial_cwnd_mtus = 10;
  s->rand = NULL;
  weft_log_default(&s->log);
}

static int check_settings(weft_sctp_settings *s) {
  if (s->mtu < 256 || s->mtu > 65535 || s->max_message_size == 0 ||
      s->max_out_streams == 0 || s->max_in_streams == 0 || s->rto_min <= 0 ||
      s->rto_max < s->rto_min || s->rto_initial <= 0 || s->rwnd < 8192)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (s->initial_cwnd_mtus == 0)
    s->initial_cwnd_mtus = 4;
  /* One whole message must fit, or reassembly could deadlock. */
  if (s->rwnd < s->max_message_size + 4 * s->mtu)
    s->rwnd = (uint32_t)(s->max_message_size + 4 * s->mtu);
  return 0;
}

static void timers_off(weft_sctp_assoc *a) {
  a->t1_at = a->t2_at = a->t3_at = WEFT_TSTAMP_NONE;
  a->sack_at = a->hb_at = a->reconf_at = WEFT_TSTAMP_NONE;
}

int weft_sctp_assoc_new(weft_sctp_assoc **out,
                        const weft_sctp_settings *settings, const weft_mem *mem,
                        void *user_data) {
  if (out == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  *out = NULL;
  weft_sctp_assoc *a = weft_calloc(mem, 1, sizeof(*a));
  if (a == NULL)
    return WEFT_ERR_NOMEM;
  if (settings != NULL)
    a->s = *settings;
  else
    weft_sctp_settings_default(&a->s);
  a->mem = mem;
  a->user_data = user_data;
  int rc = check_settings(&a->s);
  if (rc == 0)
    rc = weft_rand_bytes(a->s.rand, a->cookie_key, sizeof(a->cookie_key));
  if (rc == 0)
    rc = sctp_tx_init(a);
  if (rc == 0)
    rc = sctp_rx_init(a);
  if (rc != 0) {
    weft_sctp_assoc_del(a);
    return rc;
  }
  timers_off(a);
  a->rto = a->s.rto_initial;
  *out = a;
  return 0;
}

void weft_sctp_assoc_del(weft_sctp_assoc *a) {
  if (a == NULL)
    return;
  sctp_tx_free(a);
  for (uint32_t i = 0; i < a->ev_len; i++)
    weft_free(a->mem, a->evq[(a->ev_head + i) & (a->ev_cap - 1)].owned);
  weft_free(a->mem, a->evq);
  weft_free(a->mem, a->ev_owned);
  sctp_rx_free(a);
  weft_free(a->mem, a->streams);
  weft_free(a->mem, a->peer_cookie);
  weft_free(a->mem, a);
}

void *weft_sctp_assoc_user_data(const weft_sctp_assoc *a) {
  return a ? a->user_data : NULL;
}

sstream *sctp_stream(weft_sctp_assoc *a, uint16_t id) {
  if (id < a->nstreams_alloc)
    return &a->streams[id];
  uint32_t ncap = a->nstreams_alloc ? a->nstreams_alloc : 16;
  while (ncap <= id)
    ncap *= 2;
  sstream *n = weft_realloc(a->mem, a->streams, ncap * sizeof(sstream));
  if (n == NULL)
    return NULL;
  memset(n + a->nstreams_alloc, 0,
         (ncap - a->nstreams_alloc) * sizeof(sstream));
  a->streams = n;
  a->nstreams_alloc = ncap;
  return &a->streams[id];
}

/* ---- events ---- */

void sctp_emit(weft_sctp_assoc *a, const weft_sctp_event *ev, rchunk *owned) {
  if (a->ev_len == a->ev_cap) {
    uint32_t ncap = a->ev_cap ? a->ev_cap * 2 : 64;
    evslot *n = weft_malloc(a->mem, ncap * sizeof(evslot));
    if (n == NULL) {
      a->ev_nomem = 1;
      if (owned != NULL) {
        a->rx_held -= owned->charge;
        sctp_rchunk_free(a, owned);
      }
      return;
    }
    for (uint32_t i = 0; i < a->ev_len; i++)
      n[i] = a->evq[(a->ev_head + i) & (a->ev_cap - 1)];
    weft_free(a->mem, a->evq);
    a->evq = n;
    a->ev_cap = ncap;
    a->ev_head = 0;
  }
  evslot *s = &a->evq[(a->ev_head + a->ev_len) & (a->ev_cap - 1)];
  s->ev = *ev;
  s->owned = owned;
  a->ev_len++;
}

int weft_sctp_poll_event(weft_sctp_assoc *a, weft_sctp_event *ev) {
  if (a == NULL || ev == NULL)
    return 0;
  if (a->ev_owned != NULL) {
    a->rx_held -= a->ev_owned->charge;
    sctp_rchunk_free(a, a->ev_owned);
    a->ev_owned = NULL;
    /* Window update when the advertised window had closed a lot. */
    uint32_t now_rwnd = sctp_rx_a_rwnd(a);
    if (a->last_adv_rwnd < a->s.rwnd / 2 &&
        now_rwnd >= a->last_adv_rwnd + a->s.rwnd / 4 &&
        a->state >= ST_ESTABLISHED && a->state != ST_DEAD)
      a->need_sack = 1;
  }
  if (a->ev_len == 0)
    return 0;
  evslot *s = &a->evq[a->ev_head];
  *ev = s->ev;
  a->ev_owned = s->owned;
  a->ev_head = (a->ev_head + 1) & (a->ev_cap - 1);
  a->ev_len--;
  return 1;
}

void sctp_die(weft_sctp_assoc *a, int error, uint16_t cause, int send_abort) {
  if (a->state == ST_DEAD)
    return;
  if (send_abort && a->peer_tag != 0) {
    a->need_abort = 1;
    a->abort_cause = cause;
  }
  WEFT_LOG(&a->s.log, WEFT_LOG_INFO, LOGM, "association aborted: %s",
           weft_strerror(error));
  a->state = ST_DEAD;
  timers_off(a);
  weft_sctp_event ev = {
      .type = WEFT_SCTP_EVENT_ABORTED, .error = error, .cause = cause};
  sctp_emit(a, &ev, NULL);
}

static void closed(weft_sctp_assoc *a) {
  a->state = ST_DEAD;
  a->shutdown_done = 1;
  timers_off(a);
  weft_sctp_event ev = {.type = WEFT_SCTP_EVENT_CLOSED};
  sctp_emit(a, &ev, NULL);
}

/* ---- handshake ---- */

static uint32_t nonzero_u32(const weft_sctp_assoc *a) {
  uint32_t v;
  do
    v = weft_rand_u32(a->s.rand);
  while (v == 0);
  return v;
}

int weft_sctp_connect(weft_sctp_assoc *a, weft_tstamp now) {
  if (a == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (a->state != ST_CLOSED)
    return WEFT_ERR_INVALID_STATE;
  a->my_tag = nonzero_u32(a);
  a->my_itsn = weft_rand_u32(a->s.rand);
  a->state = ST_COOKIE_WAIT;
  a->connect_called = 1;
  a->need_init = 1;
  a->init_count = 0;
  a->rto = a->s.rto_initial;
  a->t1_at = now + (weft_tstamp)a->rto;
  return 0;
}

static void establish(weft_sctp_assoc *a, weft_tstamp now) {
  uint32_t mtu = (uint32_t)a->s.mtu;
  a->state = ST_ESTABLISHED;
  a->t1_at = WEFT_TSTAMP_NONE;
  a->next_tsn = a->tx_base = a->rtx_scan = a->my_itsn;
  a->cum = a->rx_high = a->peer_itsn - 1;
  a->rx_low = a->peer_itsn;
  a->my_req_sn = a->my_itsn;
  a->peer_req_sn = a->peer_itsn;
  a->cwnd = a->s.initial_cwnd_mtus * mtu;
  a->ssthresh = a->peer_rwnd;
  a->round_end = a->my_itsn;
  a->last_adv_rwnd = a->s.rwnd;
  a->error_count = 0;
  if (a->s.heartbeat_interval > 0)
    a->hb_at = now + (weft_tstamp)a->s.heartbeat_interval;
  WEFT_LOG(&a->s.log, WEFT_LOG_INFO, LOGM,
           "established: streams out %u in %u, peer rwnd %u, fwd-tsn %d, "
           "reconfig %d",
           a->out_streams, a->in_streams, a->peer_rwnd, a->peer_fwd_tsn,
           a->peer_reconfig);
  weft_sctp_event ev = {.type = WEFT_SCTP_EVENT_CONNECTED};
  sctp_emit(a, &ev, NULL);
}

static int cookie_mac(const weft_sctp_assoc *a, const uint8_t *body,
                      uint8_t *mac) {
  const void *bufs[1] = {body};
  size_t lens[1] = {COOKIE_BODY};
  return weft_hmac(WEFT_HASH_SHA256, a->cookie_key, sizeof(a->cookie_key), bufs,
                   lens, 1, mac);
}

static int cookie_make(const weft_sctp_assoc *a, weft_tstamp now,
                       const weft_sctp_init *in, uint32_t tag, uint32_t itsn,
                       uint8_t *out) {
  weft_wr w;
  weft_wr_init(&w, out, SCTP_COOKIE_LEN);
  weft_wr_u32(&w, tag);
  weft_wr_u32(&w, in->tag);
  weft_wr_u32(&w, itsn);
  weft_wr_u32(&w, in->initial_tsn);
  weft_wr_u32(&w, in->a_rwnd);
  weft_wr_u16(&w,
              in->mis < a->s.max_out_streams ? in->mis : a->s.max_out_streams);
  weft_wr_u16(&w, in->os < a->s.max_in_streams ? in->os : a->s.max_in_streams);
  weft_wr_u8(&w, (uint8_t)((in->forward_tsn ? 1 : 0) | (in->reconfig ? 2 : 0)));
  weft_wr_zero(&w, 3);
  weft_wr_u64(&w, now);
  weft_wr_u32(&w, COOKIE_MAGIC);
  return cookie_mac(a, out, out + COOKIE_BODY);
}

/* Answers an INIT with an INIT-ACK carrying our state cookie. */
static void on_init(weft_sctp_assoc *a, weft_tstamp now,
                    const weft_sctp_chunk *c) {
  weft_sctp_init in;
  if (weft_sctp_init_decode(&in, c) != 0 || in.tag == 0 || in.os == 0 ||
      in.mis == 0) {
    a->st.dropped_checksum++;
    return;
  }
  if (a->state != ST_CLOSED && a->state != ST_COOKIE_WAIT &&
      a->state != ST_COOKIE_ECHOED)
    return; /* restart is not supported: ignored */
  uint32_t tag = a->state == ST_CLOSED ? nonzero_u32(a) : a->my_tag;
  uint32_t itsn = a->state == ST_CLOSED ? weft_rand_u32(a->s.rand) : a->my_itsn;
  uint8_t cookie[SCTP_COOKIE_LEN];
  if (cookie_make(a, now, &in, tag, itsn, cookie) != 0)
    return;
  weft_sctp_init ack = {.tag = tag,
                        .a_rwnd = sctp_rx_a_rwnd(a),
                        .os = a->s.max_out_streams,
                        .mis = a->s.max_in_streams,
                        .initial_tsn = itsn,
                        .cookie = cookie,
                        .cookie_len = sizeof(cookie)};
  if (in.unrecognized_len <= 128) {
    ack.unrecognized = in.unrecognized;
    ack.unrecognized_len = in.unrecognized_len;
  }
  weft_wr w;
  weft_wr_init(&w, a->reply, sizeof(a->reply));
  weft_sctp_header_encode(&w, a->s.local_port, a->s.remote_port, in.tag);
  if (weft_sctp_init_encode(&w, WEFT_SCTP_INIT_ACK, &ack) != 0)
    return;
  weft_sctp_packet_seal(a->reply, w.pos);
  a->reply_len = w.pos;
}

static void on_init_ack(weft_sctp_assoc *a, weft_tstamp now,
                        const weft_sctp_chunk *c) {
  weft_sctp_init in;
  if (a->state != ST_COOKIE_WAIT)
    return;
  if (weft_sctp_init_decode(&in, c) != 0 || in.tag == 0 || in.os == 0 ||
      in.mis == 0 || in.cookie == NULL || in.cookie_len == 0) {
    a->st.dropped_checksum++;
    return;
  }
  uint8_t *ck = weft_malloc(a->mem, in.cookie_len);
  if (ck == NULL)
    return;
  memcpy(ck, in.cookie, in.cookie_len);
  weft_free(a->mem, a->peer_cookie);
  a->peer_cookie = ck;
  a->peer_cookie_len = in.cookie_len;
  a->peer_tag = in.tag;
  a->peer_itsn = in.initial_tsn;
  a->peer_rwnd = in.a_rwnd;
  a->out_streams =
      in.mis < a->s.max_out_streams ? in.mis : a->s.max_out_streams;
  a->in_streams = in.os < a->s.max_in_streams ? in.os : a->s.max_in_streams;
  a->peer_fwd_tsn = in.forward_tsn;
  a->peer_reconfig = in.reconfig;
  a->state = ST_COOKIE_ECHOED;
  a->need_cookie_echo = 1;
  a->init_count = 0;
  a->t1_at = now + (weft_tstamp)a->rto;
}

/* Checks a state cookie; fills the negotiated values into @p a's peer
 * fields only when @p apply. Returns our tag in it, or 0 when invalid. */
static uint32_t cookie_check(const weft_sctp_assoc *a, weft_tstamp now,
                             const weft_sctp_chunk *c, uint32_t *peer_tag) {
  uint8_t mac[WEFT_SHA256_LEN];
  if (c->vlen != SCTP_COOKIE_LEN || cookie_mac(a, c->value, mac) != 0 ||
      !weft_ct_equal(mac, c->value + COOKIE_BODY, sizeof(mac)))
    return 0;
  uint64_t created = ((uint64_t)weft_get_u32(c->value + 28) << 32) |
                     weft_get_u32(c->value + 32);
  if (weft_get_u32(c->value + 36) != COOKIE_MAGIC || created > now ||
      now - created > COOKIE_LIFETIME)
    return 0;
  *peer_tag = weft_get_u32(c->value + 4);
  return weft_get_u32(c->value);
}

static void cookie_apply(weft_sctp_assoc *a, const uint8_t *v) {
  a->my_tag = weft_get_u32(v);
  a->peer_tag = weft_get_u32(v + 4);
  a->my_itsn = weft_get_u32(v + 8);
  a->peer_itsn = weft_get_u32(v + 12);
  a->peer_rwnd = weft_get_u32(v + 16);
  a->out_streams = weft_get_u16(v + 20);
  a->in_streams = weft_get_u16(v + 22);
  a->peer_fwd_tsn = (v[24] & 1) != 0;
  a->peer_reconfig = (v[24] & 2) != 0;
}

static void on_cookie_echo(weft_sctp_assoc *a, weft_tstamp now,
                           const weft_sctp_header *h,
                           const weft_sctp_chunk *c) {
  uint32_t peer_tag = 0;
  uint32_t tag = cookie_check(a, now, c, &peer_tag);
  if (tag == 0 || h->vtag != tag) {
    a->st.dropped_tag++;
    return;
  }
  switch (a->state) {
  case ST_CLOSED:
    cookie_apply(a, c->value);
    establish(a, now);
    break;
  case ST_COOKIE_WAIT:
  case ST_COOKIE_ECHOED:
    if (tag != a->my_tag)
      return;
    cookie_apply(a, c->value);
    establish(a, now);
    break;
  case ST_DEAD:
    return;
  default:
    if (tag != a->my_tag || peer_tag != a->peer_tag)
      return; /* a restart: not supported */
    break;
  }
  a->need_cookie_ack = 1;
}

/* ---- other chunks ---- */

static void on_heartbeat(weft_sctp_assoc *a, const weft_sctp_chunk *c) {
  if (c->vlen <= SCTP_HB_INFO_MAX) {
    memcpy(a->hb_ack_info, c->value, c->vlen);
    a->hb_ack_len = c->vlen;
  }
}

static void on_heartbeat_ack(weft_sctp_assoc *a, weft_tstamp now,
                             const weft_sctp_chunk *c) {
  if (c->vlen != 16 || weft_get_u16(c->value) != 1)
    return;
  uint64_t sent =
      ((uint64_t)weft_get_u32(c->value + 4) << 32) | weft_get_u32(c->value + 8);
  if (weft_get_u32(c->value + 12) != a->my_tag || sent > now)
    return;
  a->hb_outstanding = 0;
  a->error_count = 0;
  sctp_update_rtt(a, (weft_duration)(now - sent));
}

static void on_shutdown(weft_sctp_assoc *a, weft_tstamp now,
                        const weft_sctp_chunk *c) {
  if (c->vlen < 4)
    return;
  sctp_tx_cum_ack(a, now, weft_get_u32(c->value));
  if (a->state == ST_ESTABLISHED || a->state == ST_SHUTDOWN_PENDING) {
    a->state = ST_SHUTDOWN_RECEIVED;
  } else if (a->state == ST_SHUTDOWN_SENT) {
    a->state = ST_SHUTDOWN_ACK_SENT;
    a->need_shutdown_ack = 1;
    a->t2_at = now + (weft_tstamp)a->rto;
  }
}

static void on_shutdown_ack(weft_sctp_assoc *a) {
  if (a->state == ST_SHUTDOWN_SENT || a->state == ST_SHUTDOWN_ACK_SENT) {
    a->need_shutdown_complete = 1;
    closed(a);
  } else if (a->state == ST_DEAD && a->shutdown_done) {
    a->need_shutdown_complete = 1;
  }
}

static void on_data_chunk(weft_sctp_assoc *a, weft_tstamp now,
                          const weft_sctp_chunk *c, int *had_data) {
  weft_sctp_data d;
  if (a->state != ST_ESTABLISHED && a->state != ST_SHUTDOWN_PENDING &&
      a->state != ST_SHUTDOWN_SENT)
    return;
  if (weft_sctp_data_decode(&d, c) != 0) {
    a->st.dropped_checksum++;
    return;
  }
  *had_data = 1;
  sctp_rx_data(a, now, &d);
  sctp_reconf_check_deferred(a);
}

static int established_like(const weft_sctp_assoc *a) {
  return a->state >= ST_ESTABLISHED && a->state != ST_DEAD;
}

/* Handles one chunk; returns 1 to stop processing the packet. */
static int on_chunk(weft_sctp_assoc *a, weft_tstamp now,
                    const weft_sctp_header *h, const weft_sctp_chunk *c,
                    int *had_data) {
  weft_sctp_sack s;
  weft_sctp_fwd_tsn f;
  switch (c->type) {
  case WEFT_SCTP_DATA:
    on_data_chunk(a, now, c, had_data);
    return 0;
  case WEFT_SCTP_SACK:
    if (established_like(a) && weft_sctp_sack_decode(&s, c) == 0)
      sctp_tx_on_sack(a, now, &s);
    return 0;
  case WEFT_SCTP_INIT_ACK:
    on_init_ack(a, now, c);
    return 1;
  case WEFT_SCTP_COOKIE_ECHO:
    on_cookie_echo(a, now, h, c);
    return 0;
  case WEFT_SCTP_COOKIE_ACK:
    if (a->state == ST_COOKIE_ECHOED)
      establish(a, now);
    return 0;
  case WEFT_SCTP_HEARTBEAT:
    if (established_like(a))
      on_heartbeat(a, c);
    return 0;
  case WEFT_SCTP_HEARTBEAT_ACK:
    on_heartbeat_ack(a, now, c);
    return 0;
  case WEFT_SCTP_ABORT:
    sctp_die(a, WEFT_ERR_SCTP_ABORTED, weft_sctp_first_cause(c), 0);
    return 1;
  case WEFT_SCTP_SHUTDOWN:
    if (established_like(a))
      on_shutdown(a, now, c);
    return 0;
  case WEFT_SCTP_SHUTDOWN_ACK:
    on_shutdown_ack(a);
    return 1;
  case WEFT_SCTP_SHUTDOWN_COMPLETE:
    if (a->state == ST_SHUTDOWN_ACK_SENT)
      closed(a);
    return 1;
  case WEFT_SCTP_ERROR:
    WEFT_LOG(&a->s.log, WEFT_LOG_INFO, LOGM, "peer ERROR cause %u",
             weft_sctp_first_cause(c));
    return 0;
  case WEFT_SCTP_FORWARD_TSN:
    if (established_like(a) && weft_sctp_fwd_tsn_decode(&f, c) == 0)
      sctp_rx_fwd_tsn(a, &f);
    return 0;
  case WEFT_SCTP_RE_CONFIG:
    if (established_like(a))
      sctp_reconf_recv(a, now, c);
    return 0;
  default:
    /* Upper bits 00 / 01: stop processing; 10 / 11: skip the chunk. */
    return (c->type & 0x80) == 0;
  }
}

static int vtag_ok(const weft_sctp_assoc *a, const weft_sctp_header *h,
                   const weft_sctp_chunk *c) {
  if (c->type == WEFT_SCTP_COOKIE_ECHO)
    return 1; /* checked against the cookie */
  if ((c->type == WEFT_SCTP_ABORT || c->type == WEFT_SCTP_SHUTDOWN_COMPLETE) &&
      (c->flags & WEFT_SCTP_FLAG_T))
    return a->peer_tag != 0 && h->vtag == a->peer_tag;
  return a->my_tag != 0 && h->vtag == a->my_tag;
}

static void shutdown_progress(weft_sctp_assoc *a, weft_tstamp now) {
  if (!sctp_tx_all_acked(a))
    return;
  if (a->state == ST_SHUTDOWN_PENDING) {
    a->state = ST_SHUTDOWN_SENT;
    a->need_shutdown = 1;
    a->t2_at = now + (weft_tstamp)a->rto;
  } else if (a->state == ST_SHUTDOWN_RECEIVED) {
    a->state = ST_SHUTDOWN_ACK_SENT;
    a->need_shutdown_ack = 1;
    a->t2_at = now + (weft_tstamp)a->rto;
  }
}

static void after_data(weft_sctp_assoc *a, weft_tstamp now) {
  a->sack_pkts++;
  if (a->sack_pkts >= 2 || a->rx_high != a->cum || a->ndups > 0 ||
      a->s.sack_delay <= 0 || a->state != ST_ESTABLISHED)
    a->need_sack = 1;
  else if (a->sack_at == WEFT_TSTAMP_NONE)
    a->sack_at = now + (weft_tstamp)a->s.sack_delay;
}

int weft_sctp_recv(weft_sctp_assoc *a, weft_tstamp now, const uint8_t *packet,
                   size_t len) {
  if (a == NULL || packet == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  weft_sctp_header h;
  weft_rd r;
  weft_sctp_chunk c;
  if (weft_sctp_packet_decode(&h, packet, len) != 0) {
    a->st.dropped_checksum++;
    return WEFT_ERR_SCTP_MALFORMED;
  }
  weft_sctp_chunks_begin(&r, packet, len);
  if (h.dst_port != a->s.local_port || weft_sctp_chunk_next(&r, &c) != 1) {
    a->st.dropped_checksum++;
    return WEFT_ERR_SCTP_MALFORMED;
  }
  a->st.packets_in++;
  if (c.type == WEFT_SCTP_INIT) {
    if (h.vtag == 0)
      on_init(a, now, &c);
    else
      a->st.dropped_tag++;
    return 0;
  }
  if (!vtag_ok(a, &h, &c)) {
    a->st.dropped_tag++;
    return 0;
  }
  int had_data = 0;
  do {
    if (on_chunk(a, now, &h, &c, &had_data))
      break;
  } while (weft_sctp_chunk_next(&r, &c) == 1);
  if (had_data && established_like(a))
    after_data(a, now);
  if (established_like(a))
    shutdown_progress(a, now);
  return 0;
}

/* ---- transmit ---- */

static void write_abort(weft_sctp_assoc *a, weft_wr *w) {
  size_t start;
  weft_sctp_chunk_begin(w, WEFT_SCTP_ABORT, 0, &start);
  if (a->abort_cause != 0)
    weft_sctp_cause_encode(w, a->abort_cause, NULL, 0);
  weft_sctp_chunk_end(w, start);
  a->need_abort = 0;
}

static void write_simple(weft_wr *w, uint8_t type, uint8_t flags, const void *v,
                         size_t len) {
  size_t start;
  weft_sctp_chunk_begin(w, type, flags, &start);
  weft_wr_bytes(w, v, len);
  weft_sctp_chunk_end(w, start);
}

static void write_handshake(weft_sctp_assoc *a, weft_wr *w, int *n) {
  if (a->state == ST_COOKIE_WAIT && a->need_init) {
    weft_sctp_init in = {.tag = a->my_tag,
                         .a_rwnd = sctp_rx_a_rwnd(a),
                         .os = a->s.max_out_streams,
                         .mis = a->s.max_in_streams,
                         .initial_tsn = a->my_itsn};
    weft_sctp_init_encode(w, WEFT_SCTP_INIT, &in);
    a->need_init = 0;
    (*n)++;
  } else if (a->state == ST_COOKIE_ECHOED && a->need_cookie_echo) {
    write_simple(w, WEFT_SCTP_COOKIE_ECHO, 0, a->peer_cookie,
                 a->peer_cookie_len);
    a->need_cookie_echo = 0;
    (*n)++;
  }
}

static void write_heartbeat(weft_sctp_assoc *a, weft_tstamp now, weft_wr *w) {
  uint8_t info[16];
  weft_put_u16(info, 1);
  weft_put_u16(info + 2, 16);
  weft_put_u32(info + 4, (uint32_t)(now >> 32));
  weft_put_u32(info + 8, (uint32_t)now);
  weft_put_u32(info + 12, a->my_tag);
  write_simple(w, WEFT_SCTP_HEARTBEAT, 0, info, sizeof(info));
  a->need_hb = 0;
}

static void write_control(weft_sctp_assoc *a, weft_tstamp now, weft_wr *w,
                          int *n) {
  if (a->need_cookie_ack) {
    write_simple(w, WEFT_SCTP_COOKIE_ACK, 0, NULL, 0);
    a->need_cookie_ack = 0;
    (*n)++;
  }
  if (a->need_shutdown_ack) {
    write_simple(w, WEFT_SCTP_SHUTDOWN_ACK, 0, NULL, 0);
    a->need_shutdown_ack = 0;
    (*n)++;
  }
  if (a->need_sack || a->sack_at != WEFT_TSTAMP_NONE || a->need_shutdown) {
    if (sctp_rx_write_sack(a, w) == 0)
      (*n)++;
  }
  if (a->need_shutdown) {
    uint8_t v[4];
    weft_put_u32(v, a->cum);
    write_simple(w, WEFT_SCTP_SHUTDOWN, 0, v, 4);
    a->need_shutdown = 0;
    (*n)++;
  }
  if (a->need_fwd_tsn && w->err == 0) {
    size_t before = w->pos;
    sctp_tx_write_fwd_tsn(a, w);
    *n += w->pos != before;
  }
  if (a->hb_ack_len > 0 && weft_wr_left(w) >= a->hb_ack_len + 4) {
    write_simple(w, WEFT_SCTP_HEARTBEAT_ACK, 0, a->hb_ack_info, a->hb_ack_len);
    a->hb_ack_len = 0;
    (*n)++;
  }
  if (a->need_hb && weft_wr_left(w) >= 20) {
    write_heartbeat(a, now, w);
    (*n)++;
  }
  size_t before = w->pos;
  sctp_reconf_write(a, w);
  *n += w->pos != before;
}

static int can_send_data(const weft_sctp_assoc *a) {
  return a->state == ST_ESTABLISHED || a->state == ST_SHUTDOWN_PENDING ||
         a->state == ST_SHUTDOWN_RECEIVED;
}

static int finish(weft_sctp_assoc *a, uint8_t *buf, weft_wr *w, int n) {
  if (n == 0 || w->err != 0)
    return w->err != 0 ? WEFT_ERR_INTERNAL : 0;
  weft_sctp_packet_seal(buf, w->pos);
  a->st.packets_out++;
  return (int)w->pos;
}

int weft_sctp_poll_transmit(weft_sctp_assoc *a, weft_tstamp now, uint8_t *buf,
                            size_t buflen) {
  if (a == NULL || buf == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (buflen < a->s.mtu)
    return WEFT_ERR_BUFFER_TOO_SMALL;
  if (a->reply_len > 0) {
    memcpy(buf, a->reply, a->reply_len);
    int len = (int)a->reply_len;
    a->reply_len = 0;
    a->st.packets_out++;
    return len;
  }
  weft_wr w;
  int n = 0;
  weft_wr_init(&w, buf, a->s.mtu);
  uint32_t vtag = a->state == ST_COOKIE_WAIT ? 0 : a->peer_tag;
  weft_sctp_header_encode(&w, a->s.local_port, a->s.remote_port, vtag);
  if (a->need_abort) {
    write_abort(a, &w);
    return finish(a, buf, &w, 1);
  }
  if (a->state == ST_DEAD) {
    if (a->need_shutdown_complete) {
      write_simple(&w, WEFT_SCTP_SHUTDOWN_COMPLETE, 0, NULL, 0);
      a->need_shutdown_complete = 0;
      n++;
    }
    return finish(a, buf, &w, n);
  }
  if (a->state < ST_ESTABLISHED) {
    write_handshake(a, &w, &n);
    return finish(a, buf, &w, n);
  }
  sctp_reconf_try_start(a, now);
  shutdown_progress(a, now);
  write_control(a, now, &w, &n);
  if (can_send_data(a) && w.err == 0)
    sctp_tx_write_data(a, now, &w, &n);
  return finish(a, buf, &w, n);
}

/* ---- timers ---- */

weft_tstamp sctp_min_deadline(const weft_sctp_assoc *a) {
  weft_tstamp t[6] = {a->t1_at,   a->t2_at, a->t3_at,
                      a->sack_at, a->hb_at, a->reconf_at};
  weft_tstamp m = WEFT_TSTAMP_NONE;
  for (int i = 0; i < 6; i++)
    if (t[i] < m)
      m = t[i];
  return m;
}

weft_tstamp weft_sctp_deadline(const weft_sctp_assoc *a) {
  if (a == NULL || a->state == ST_DEAD)
    return WEFT_TSTAMP_NONE;
  return sctp_min_deadline(a);
}

static void t1_expired(weft_sctp_assoc *a, weft_tstamp now) {
  if (++a->init_count > a->s.max_init_retransmits) {
    sctp_die(a, WEFT_ERR_TIMEOUT, 0, 0);
    return;
  }
  a->rto = a->rto * 2 > a->s.rto_max ? a->s.rto_max : a->rto * 2;
  if (a->state == ST_COOKIE_WAIT)
    a->need_init = 1;
  else if (a->state == ST_COOKIE_ECHOED)
    a->need_cookie_echo = 1;
  a->t1_at = now + (weft_tstamp)a->rto;
}

static void t2_expired(weft_sctp_assoc *a, weft_tstamp now) {
  if (++a->error_count > a->s.max_retransmits) {
    sctp_die(a, WEFT_ERR_TIMEOUT, 0, 1);
    return;
  }
  a->rto = a->rto * 2 > a->s.rto_max ? a->s.rto_max : a->rto * 2;
  if (a->state == ST_SHUTDOWN_SENT)
    a->need_shutdown = 1;
  else if (a->state == ST_SHUTDOWN_ACK_SENT)
    a->need_shutdown_ack = 1;
  a->t2_at = now + (weft_tstamp)a->rto;
}

static void hb_expired(weft_sctp_assoc *a, weft_tstamp now) {
  if (a->hb_outstanding && ++a->error_count > a->s.max_retransmits) {
    sctp_die(a, WEFT_ERR_TIMEOUT, 0, 1);
    return;
  }
  a->need_hb = 1;
  a->hb_outstanding = 1;
  a->hb_at = now + (weft_tstamp)a->s.heartbeat_interval + (weft_tstamp)a->rto;
}

int weft_sctp_handle_timeout(weft_sctp_assoc *a, weft_tstamp now) {
  if (a == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (a->state == ST_DEAD)
    return 0;
  if (a->t1_at <= now)
    t1_expired(a, now);
  if (a->state != ST_DEAD && a->t2_at <= now)
    t2_expired(a, now);
  if (a->state != ST_DEAD && a->t3_at <= now)
    sctp_tx_t3_expired(a, now);
  if (a->state != ST_DEAD && a->sack_at <= now) {
    a->sack_at = WEFT_TSTAMP_NONE;
    a->need_sack = 1;
  }
  if (a->state != ST_DEAD && a->hb_at <= now)
    hb_expired(a, now);
  if (a->state != ST_DEAD && a->reconf_at <= now)
    sctp_reconf_timeout(a, now);
  return 0;
}

/* ---- API ---- */

int weft_sctp_shutdown(weft_sctp_assoc *a, weft_tstamp now) {
  if (a == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  switch (a->state) {
  case ST_ESTABLISHED:
    a->state = ST_SHUTDOWN_PENDING;
    shutdown_progress(a, now);
    return 0;
  case ST_CLOSED:
  case ST_COOKIE_WAIT:
  case ST_COOKIE_ECHOED:
    closed(a);
    return 0;
  default:
    return WEFT_ERR_INVALID_STATE;
  }
}

void weft_sctp_abort(weft_sctp_assoc *a, weft_tstamp now) {
  (void)now;
  if (a == NULL || a->state == ST_DEAD)
    return;
  if (a->peer_tag != 0 && a->state >= ST_COOKIE_ECHOED) {
    a->need_abort = 1;
    a->abort_cause = WEFT_SCTP_CAUSE_USER_ABORT;
  }
  a->state = ST_DEAD;
  timers_off(a);
}

int weft_sctp_is_established(const weft_sctp_assoc *a) {
  return a != NULL && established_like(a);
}

uint16_t weft_sctp_out_streams(const weft_sctp_assoc *a) {
  return a != NULL && a->state >= ST_ESTABLISHED ? a->out_streams : 0;
}

uint16_t weft_sctp_in_streams(const weft_sctp_assoc *a) {
  return a != NULL && a->state >= ST_ESTABLISHED ? a->in_streams : 0;
}

void weft_sctp_get_stats(const weft_sctp_assoc *a, weft_sctp_stats *st) {
  if (a == NULL || st == NULL)
    return;
  *st = a->st;
  st->cwnd = a->cwnd;
  st->ssthresh = a->ssthresh;
  st->flight = a->flight;
  st->peer_rwnd = a->peer_rwnd;
  st->srtt = a->srtt;
  st->rto = a->rto;
}
