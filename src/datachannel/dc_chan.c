/* weft_dc channels: opening (DCEP or negotiated), messages, closing by
 * stream reset (RFC 8831, RFC 8832). */
#include <string.h>

#include "datachannel/dc_int.h"
#include "datachannel/dcep.h"

static char *dup_bytes(weft_dc *dc, const void *p, size_t len) {
  char *s = weft_malloc(dc->mem, len + 1);
  if (s == NULL)
    return NULL;
  if (len > 0)
    memcpy(s, p, len);
  s[len] = '\0';
  return s;
}

static dchan *chan_new(weft_dc *dc, uint16_t id, const void *label,
                       size_t label_len, const void *proto, size_t proto_len) {
  dchan *c = weft_calloc(dc->mem, 1, sizeof(*c));
  if (c == NULL)
    return NULL;
  c->id = id;
  c->label = dup_bytes(dc, label, label_len);
  c->protocol = dup_bytes(dc, proto, proto_len);
  c->label_len = label_len;
  c->protocol_len = proto_len;
  c->max_rtx = -1;
  c->max_life = -1;
  if (c->label == NULL || c->protocol == NULL || dc_chan_put(dc, c) != 0) {
    dc_chan_free(dc, c);
    return NULL;
  }
  return c;
}

static uint8_t channel_type(const dchan *c) {
  uint8_t t = WEFT_DCEP_RELIABLE;
  if (c->max_rtx >= 0)
    t = WEFT_DCEP_PR_REXMIT;
  else if (c->max_life >= 0)
    t = WEFT_DCEP_PR_TIMED;
  return c->ordered ? t : (uint8_t)(t | WEFT_DCEP_UNORDERED_BIT);
}

/* DCEP messages go ordered and reliable (RFC 8832 section 6). */
static int send_dcep(weft_dc *dc, uint16_t id, const uint8_t *msg, size_t len) {
  return weft_sctp_send(dc->sctp, dc->now, id, WEFT_DC_PPID_DCEP, msg, len, 0,
                        WEFT_SCTP_PR_NONE, 0);
}

static int send_open(weft_dc *dc, dchan *c) {
  weft_dcep_open o = {.channel_type = channel_type(c),
                      .priority = c->priority,
                      .label = (const uint8_t *)c->label,
                      .label_len = (uint16_t)c->label_len,
                      .protocol = (const uint8_t *)c->protocol,
                      .protocol_len = (uint16_t)c->protocol_len};
  if (c->max_rtx >= 0)
    o.reliability = (uint32_t)c->max_rtx;
  else if (c->max_life >= 0)
    o.reliability = (uint32_t)c->max_life;
  size_t len = WEFT_DCEP_OPEN_HEADER + c->label_len + c->protocol_len;
  uint8_t *buf = weft_malloc(dc->mem, len);
  if (buf == NULL)
    return WEFT_ERR_NOMEM;
  int n = weft_dcep_open_encode(buf, len, &o);
  int rv = n < 0 ? n : send_dcep(dc, c->id, buf, (size_t)n);
  weft_free(dc->mem, buf);
  return rv;
}

/* Opens @p c on the established association: DCEP OPEN unless negotiated,
 * then OPEN at once (RFC 8832 lets messages follow the OPEN). */
int dc_start(weft_dc *dc, dchan *c) {
  if (c->id > dc->id_limit)
    return WEFT_ERR_SCTP_STREAM;
  { /* always: a reused id may carry an old threshold */
    int rv = weft_sctp_set_buffered_low(dc->sctp, c->id, c->low);
    if (rv != 0)
      return rv;
  }
  if (!c->negotiated) {
    int rv = send_open(dc, c);
    if (rv != 0)
      return rv;
    c->we_opened = 1;
  } else {
    c->acked = 1;
  }
  c->started = 1;
  c->state = WEFT_DC_OPEN;
  dc->st.channels_opened++;
  dc_emit(dc, WEFT_DC_EVENT_OPEN, c->id, 0);
  return 0;
}

static void fail_channel(weft_dc *dc, dchan *c, int error) {
  uint16_t id = c->id;
  dc_emit(dc, WEFT_DC_EVENT_ERROR, id, error);
  dc_emit(dc, WEFT_DC_EVENT_CLOSE, id, 0);
  dc->st.channels_closed++;
  dc_chan_free(dc, c);
}

void dc_on_connected(weft_dc *dc) {
  dc->connected = 1;
  uint32_t n = weft_sctp_out_streams(dc->sctp);
  uint32_t in = weft_sctp_in_streams(dc->sctp);
  if (in < n)
    n = in;
  dc->id_limit = n == 0 ? 0 : n - 1;
  if (dc->id_limit > WEFT_DC_MAX_ID)
    dc->id_limit = WEFT_DC_MAX_ID;
  dc_emit(dc, WEFT_DC_EVENT_CONNECTED, 0, 0);
  for (uint32_t i = 0; i < dc->ch_cap; i++) {
    dchan *c = dc->ch[i];
    if (c == NULL || c->started || c->state != WEFT_DC_CONNECTING)
      continue;
    int rv = dc_start(dc, c);
    if (rv != 0)
      fail_channel(dc, c, rv);
  }
}

void dc_on_gone(weft_dc *dc, int error) {
  dc->dead = 1;
  dc->connected = 0;
  for (uint32_t i = 0; i < dc->ch_cap; i++) {
    dchan *c = dc->ch[i];
    if (c == NULL)
      continue;
    if (error != 0)
      dc_emit(dc, WEFT_DC_EVENT_ERROR, c->id, error);
    dc_emit(dc, WEFT_DC_EVENT_CLOSE, c->id, 0);
    dc->st.channels_closed++;
    dc_chan_free(dc, c);
  }
  dc->rq_len = 0;
  dc_emit(dc, WEFT_DC_EVENT_DISCONNECTED, 0, error);
}

/* ---- opening ---- */

static int check_init(const weft_dc_channel_init *in, size_t *ll, size_t *pl) {
  *ll = in->label ? strlen(in->label) : 0;
  *pl = in->protocol ? strlen(in->protocol) : 0;
  if (*ll > UINT16_MAX || *pl > UINT16_MAX)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (in->max_retransmits >= 0 && in->max_packet_lifetime >= 0)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (in->negotiated && (in->id < 0 || in->id > WEFT_DC_MAX_ID))
    return WEFT_ERR_INVALID_ARGUMENT;
  return 0;
}

/* The next free id of our parity, or -1. */
static int pick_id(weft_dc *dc) {
  uint32_t parity = (uint32_t)dc->s.role;
  uint32_t limit = dc->id_limit;
  uint32_t start = dc->id_hint;
  if (start > limit || (start & 1) != parity)
    start = parity;
  for (uint32_t pass = 0; pass < 2; pass++) {
    uint32_t from = pass == 0 ? start : parity;
    uint32_t to = pass == 0 ? limit : start;
    for (uint32_t id = from; id <= to && id <= limit; id += 2)
      if (dc_chan(dc, id) == NULL) {
        dc->id_hint = id + 2;
        return (int)id;
      }
  }
  return -1;
}

int weft_dc_open(weft_dc *dc, weft_tstamp now, const weft_dc_channel_init *in,
                 uint16_t *id_out) {
  size_t ll, pl;
  if (dc == NULL || in == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  int rv = check_init(in, &ll, &pl);
  if (rv != 0)
    return rv;
  if (dc->dead)
    return WEFT_ERR_INVALID_STATE;
  dc->now = now;
  int id = in->negotiated ? in->id : -1;
  if (id < 0) {
    if (dc->s.role == WEFT_DC_ROLE_UNKNOWN)
      return WEFT_ERR_INVALID_STATE;
    if ((id = pick_id(dc)) < 0)
      return WEFT_ERR_LIMIT;
  } else if (dc_chan(dc, (uint32_t)id) != NULL) {
    return WEFT_ERR_EXISTS;
  } else if ((uint32_t)id > dc->id_limit) {
    return WEFT_ERR_SCTP_STREAM;
  }
  dchan *c = chan_new(dc, (uint16_t)id, in->label, ll, in->protocol, pl);
  if (c == NULL)
    return WEFT_ERR_NOMEM;
  c->ordered = in->ordered != 0;
  c->negotiated = in->negotiated != 0;
  c->max_rtx = in->max_retransmits;
  c->max_life = in->max_packet_lifetime;
  c->priority = in->priority;
  if (dc->connected && (rv = dc_start(dc, c)) != 0) {
    dc_chan_free(dc, c);
    return rv;
  }
  if (id_out != NULL)
    *id_out = (uint16_t)id;
  return 0;
}

/* ---- incoming DCEP ---- */

static void on_open(weft_dc *dc, uint16_t id, const uint8_t *p, size_t len) {
  weft_dcep_open o;
  if (weft_dcep_open_decode(&o, p, len) != 0 || dc_chan(dc, id) != NULL ||
      id > WEFT_DC_MAX_ID) {
    WEFT_LOG(&dc->s.log, WEFT_LOG_DEBUG, LOGM,
             "DATA_CHANNEL_OPEN on stream %u dropped (%s)", id,
             dc_chan(dc, id) != NULL ? "stream in use" : "malformed");
    dc->st.dropped++;
    return;
  }
  dchan *c = chan_new(dc, id, o.label, o.label_len, o.protocol, o.protocol_len);
  if (c == NULL) {
    dc->st.dropped++;
    return;
  }
  c->ordered = (o.channel_type & WEFT_DCEP_UNORDERED_BIT) == 0;
  uint8_t kind = o.channel_type & (uint8_t)~WEFT_DCEP_UNORDERED_BIT;
  int rel = o.reliability > INT32_MAX ? INT32_MAX : (int)o.reliability;
  if (kind == WEFT_DCEP_PR_REXMIT)
    c->max_rtx = rel;
  else if (kind == WEFT_DCEP_PR_TIMED)
    c->max_life = rel;
  c->priority = o.priority;
  c->started = 1;
  c->acked = 1;
  c->state = WEFT_DC_OPEN;
  uint8_t ack[1];
  weft_dcep_ack_encode(ack, sizeof(ack));
  int rv = send_dcep(dc, id, ack, 1);
  dc->st.channels_opened++;
  dc_emit(dc, WEFT_DC_EVENT_CHANNEL, id, 0);
  dc_emit(dc, WEFT_DC_EVENT_OPEN, id, 0);
  if (rv != 0)
    dc_emit(dc, WEFT_DC_EVENT_ERROR, id, rv);
}

static void on_dcep(weft_dc *dc, const weft_sctp_event *sev) {
  int t = weft_dcep_type(sev->data, sev->len);
  if (t == WEFT_DCEP_OPEN) {
    on_open(dc, sev->stream, sev->data, sev->len);
    return;
  }
  dchan *c = dc_chan(dc, sev->stream);
  if (t == WEFT_DCEP_ACK && c != NULL && c->we_opened &&
      weft_dcep_ack_decode(sev->data, sev->len) == 0) {
    c->acked = 1;
    return;
  }
  dc->st.dropped++;
}

/* ---- incoming messages ---- */

/* Legacy PPID 52/54 fragments, gathered until the final 51/53. */
static int partial_add(weft_dc *dc, dchan *c, const uint8_t *p, size_t len) {
  if (c->plen + len > dc->s.sctp.max_message_size) {
    c->plen = 0;
    return WEFT_ERR_SCTP_MESSAGE_TOO_BIG;
  }
  if (c->plen + len > c->pcap) {
    size_t cap = c->pcap ? c->pcap : 4096;
    while (cap < c->plen + len)
      cap *= 2;
    uint8_t *n = weft_realloc(dc->mem, c->partial, cap);
    if (n == NULL)
      return WEFT_ERR_NOMEM;
    c->partial = n;
    c->pcap = cap;
  }
  memcpy(c->partial + c->plen, p, len);
  c->plen += len;
  return 0;
}

static int deliver(weft_dc *dc, dchan *c, const weft_sctp_event *sev,
                   int binary, weft_dc_event *ev) {
  ev->type = WEFT_DC_EVENT_MESSAGE;
  ev->id = c->id;
  ev->binary = binary;
  ev->data = sev->data;
  ev->len = sev->len;
  if (c->plen > 0) { /* the end of a legacy partial message */
    if (partial_add(dc, c, sev->data, sev->len) != 0) {
      c->plen = 0;
      dc->st.dropped++;
      return 0;
    }
    dc->held = c->partial;
    ev->data = c->partial;
    ev->len = c->plen;
    c->partial = NULL;
    c->plen = c->pcap = 0;
  }
  dc->st.messages_received++;
  dc->st.bytes_received += ev->len;
  return 1;
}

int dc_on_message(weft_dc *dc, const weft_sctp_event *sev, weft_dc_event *ev) {
  if (sev->ppid == WEFT_DC_PPID_DCEP) {
    on_dcep(dc, sev);
    return 0;
  }
  dchan *c = dc_chan(dc, sev->stream);
  if (c == NULL || !c->started) {
    dc->st.dropped++;
    return 0;
  }
  c->acked = 1; /* a message from the peer implies its ACK */
  switch (sev->ppid) {
  case WEFT_DC_PPID_STRING:
  case WEFT_DC_PPID_BINARY:
    return deliver(dc, c, sev, sev->ppid == WEFT_DC_PPID_BINARY, ev);
  case WEFT_DC_PPID_STRING_PARTIAL:
  case WEFT_DC_PPID_BINARY_PARTIAL:
    if (partial_add(dc, c, sev->data, sev->len) != 0)
      dc->st.dropped++;
    return 0;
  case WEFT_DC_PPID_STRING_EMPTY:
  case WEFT_DC_PPID_BINARY_EMPTY:
    ev->type = WEFT_DC_EVENT_MESSAGE;
    ev->id = c->id;
    ev->binary = sev->ppid == WEFT_DC_PPID_BINARY_EMPTY;
    dc->st.messages_received++;
    return 1;
  default:
    dc->st.dropped++;
    return 0;
  }
}

/* ---- sending ---- */

int weft_dc_send(weft_dc *dc, weft_tstamp now, uint16_t id, const void *data,
                 size_t len, int binary) {
  if (dc == NULL || (data == NULL && len > 0))
    return WEFT_ERR_INVALID_ARGUMENT;
  dchan *c = dc_chan(dc, id);
  if (c == NULL)
    return WEFT_ERR_NOT_FOUND;
  if (c->state == WEFT_DC_CONNECTING)
    return WEFT_ERR_INVALID_STATE;
  if (c->state != WEFT_DC_OPEN)
    return WEFT_ERR_DATACHANNEL_CLOSED;
  if (len > dc->s.remote_max_message_size)
    return WEFT_ERR_SCTP_MESSAGE_TOO_BIG;
  dc->now = now;
  static const uint8_t zero = 0;
  uint32_t ppid = binary ? WEFT_DC_PPID_BINARY : WEFT_DC_PPID_STRING;
  if (len == 0) { /* SCTP cannot carry 0 bytes: one byte, "empty" PPID */
    ppid = binary ? WEFT_DC_PPID_BINARY_EMPTY : WEFT_DC_PPID_STRING_EMPTY;
    data = &zero;
  }
  /* unordered only once the peer has the OPEN (RFC 8832 section 6) */
  int flags = (!c->ordered && c->acked) ? WEFT_SCTP_UNORDERED : 0;
  int pr = WEFT_SCTP_PR_NONE;
  uint32_t prv = 0;
  if (c->max_rtx >= 0) {
    pr = WEFT_SCTP_PR_RTX;
    prv = (uint32_t)c->max_rtx;
  } else if (c->max_life >= 0) {
    pr = WEFT_SCTP_PR_LIFETIME;
    prv = (uint32_t)c->max_life;
  }
  int rv = weft_sctp_send(dc->sctp, now, id, ppid, data, len ? len : 1, flags,
                          pr, prv);
  if (rv == 0) {
    c->user_sent = 1;
    dc->st.messages_sent++;
    dc->st.bytes_sent += len;
  }
  return rv;
}

/* ---- closing ---- */

static void maybe_closed(weft_dc *dc, dchan *c) {
  if (!c->out_done || !c->in_done)
    return;
  dc_emit(dc, WEFT_DC_EVENT_CLOSE, c->id, 0);
  dc->st.channels_closed++;
  dc_chan_free(dc, c);
}

void dc_request_reset(weft_dc *dc, dchan *c) {
  c->state = WEFT_DC_CLOSING;
  dc_rq_push(dc, c);
  dc_flush_resets(dc);
}

int weft_dc_close(weft_dc *dc, weft_tstamp now, uint16_t id) {
  if (dc == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  dchan *c = dc_chan(dc, id);
  if (c == NULL)
    return WEFT_ERR_NOT_FOUND;
  if (c->state == WEFT_DC_CLOSING || c->state == WEFT_DC_CLOSED)
    return 0;
  dc->now = now;
  if (!c->started) { /* nothing on the wire yet */
    dc_emit(dc, WEFT_DC_EVENT_CLOSE, id, 0);
    dc->st.channels_closed++;
    dc_chan_free(dc, c);
    return 0;
  }
  dc_request_reset(dc, c);
  return 0;
}

void dc_on_reset_in(weft_dc *dc, uint16_t id) {
  dchan *c = dc_chan(dc, id);
  if (c == NULL) {
    /* a channel we do not know (negotiated on the peer only): reset ours
     * too so that the peer's close completes */
    WEFT_LOG(&dc->s.log, WEFT_LOG_DEBUG, LOGM,
             "stream %u reset by the peer, no channel", id);
    (void)weft_sctp_reset_streams(dc->sctp, dc->now, &id, 1);
    return;
  }
  if (!c->started)
    return;
  c->in_done = 1;
  c->plen = 0;
  if (c->state == WEFT_DC_OPEN) {
    dc_emit(dc, WEFT_DC_EVENT_CLOSING, id, 0);
    dc_request_reset(dc, c);
    if ((c = dc_chan(dc, id)) == NULL)
      return; /* the reset failed at once and closed it */
  }
  maybe_closed(dc, c);
}

void dc_on_reset_out(weft_dc *dc, uint16_t id, int error) {
  dchan *c = dc_chan(dc, id);
  if (c == NULL || c->state != WEFT_DC_CLOSING)
    return;
  if (error != 0 && c->reset_tries++ < 3) {
    dc_rq_push(dc, c); /* denied: ask again */
    return;
  }
  if (error != 0)
    dc_emit(dc, WEFT_DC_EVENT_ERROR, id, error);
  c->out_done = 1;
  maybe_closed(dc, c);
}
