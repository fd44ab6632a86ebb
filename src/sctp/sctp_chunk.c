/* SCTP packet and chunk codec: see sctp_chunk.h. */
#include "sctp/sctp_chunk.h"

#include "base/crc.h"

#define MALFORMED WEFT_ERR_SCTP_MALFORMED

static size_t pad4(size_t n) {
  return (n + 3) & ~(size_t)3;
}

int weft_sctp_packet_decode(weft_sctp_header *h, const uint8_t *pkt,
                            size_t len) {
  if (pkt == NULL || len < WEFT_SCTP_HEADER_LEN)
    return MALFORMED;
  h->src_port = weft_get_u16(pkt);
  h->dst_port = weft_get_u16(pkt + 2);
  h->vtag = weft_get_u32(pkt + 4);
  /* The CRC-32c is stored least significant byte first (RFC 9260 App. A). */
  h->checksum = (uint32_t)pkt[8] | ((uint32_t)pkt[9] << 8) |
                ((uint32_t)pkt[10] << 16) | ((uint32_t)pkt[11] << 24);
  static const uint8_t zero[4] = {0, 0, 0, 0};
  uint32_t crc = weft_crc32c(0, pkt, 8);
  crc = weft_crc32c(crc, zero, 4);
  crc = weft_crc32c(crc, pkt + 12, len - 12);
  return crc == h->checksum ? 0 : MALFORMED;
}

void weft_sctp_chunks_begin(weft_rd *r, const uint8_t *pkt, size_t len) {
  weft_rd_init(r, pkt, len);
  weft_rd_skip(r, WEFT_SCTP_HEADER_LEN);
}

int weft_sctp_chunk_next(weft_rd *r, weft_sctp_chunk *c) {
  if (r->err)
    return MALFORMED;
  if (weft_rd_left(r) == 0)
    return 0;
  if (weft_rd_left(r) < 4)
    return MALFORMED;
  weft_rd_u8(r, &c->type);
  weft_rd_u8(r, &c->flags);
  weft_rd_u16(r, &c->len);
  if (c->len < 4)
    return MALFORMED;
  c->vlen = (size_t)c->len - 4;
  if (weft_rd_view(r, c->vlen, &c->value))
    return MALFORMED;
  /* The last chunk's padding may be absent; skip what there is. */
  size_t pad = pad4(c->len) - c->len;
  if (pad > weft_rd_left(r))
    pad = weft_rd_left(r);
  weft_rd_skip(r, pad);
  return 1;
}

int weft_sctp_header_encode(weft_wr *w, uint16_t src_port, uint16_t dst_port,
                            uint32_t vtag) {
  weft_wr_u16(w, src_port);
  weft_wr_u16(w, dst_port);
  weft_wr_u32(w, vtag);
  return weft_wr_u32(w, 0);
}

void weft_sctp_packet_seal(uint8_t *pkt, size_t len) {
  pkt[8] = pkt[9] = pkt[10] = pkt[11] = 0;
  uint32_t crc = weft_crc32c(0, pkt, len);
  pkt[8] = (uint8_t)crc;
  pkt[9] = (uint8_t)(crc >> 8);
  pkt[10] = (uint8_t)(crc >> 16);
  pkt[11] = (uint8_t)(crc >> 24);
}

int weft_sctp_chunk_begin(weft_wr *w, uint8_t type, uint8_t flags,
                          size_t *start) {
  *start = w->pos;
  weft_wr_u8(w, type);
  weft_wr_u8(w, flags);
  return weft_wr_u16(w, 0);
}

int weft_sctp_chunk_end(weft_wr *w, size_t start) {
  if (w->err)
    return w->err;
  size_t len = w->pos - start;
  if (len > 0xffff)
    return w->err = WEFT_ERR_BUFFER_TOO_SMALL;
  weft_put_u16(w->p + start + 2, (uint16_t)len);
  return weft_wr_zero(w, pad4(len) - len);
}

/* ---- DATA ---- */

int weft_sctp_data_decode(weft_sctp_data *d, const weft_sctp_chunk *c) {
  weft_rd r;
  if (c->vlen < WEFT_SCTP_DATA_HEADER_LEN - 4)
    return MALFORMED;
  weft_rd_init(&r, c->value, c->vlen);
  d->flags = c->flags;
  weft_rd_u32(&r, &d->tsn);
  weft_rd_u16(&r, &d->stream);
  weft_rd_u16(&r, &d->ssn);
  weft_rd_u32(&r, &d->ppid);
  d->len = weft_rd_left(&r);
  weft_rd_view(&r, d->len, &d->data);
  return r.err ? MALFORMED : 0;
}

int weft_sctp_data_encode(weft_wr *w, const weft_sctp_data *d) {
  size_t start;
  weft_sctp_chunk_begin(w, WEFT_SCTP_DATA, d->flags, &start);
  weft_wr_u32(w, d->tsn);
  weft_wr_u16(w, d->stream);
  weft_wr_u16(w, d->ssn);
  weft_wr_u32(w, d->ppid);
  weft_wr_bytes(w, d->data, d->len);
  return weft_sctp_chunk_end(w, start);
}

/* ---- INIT / INIT-ACK ---- */

static void init_ext(weft_sctp_init *in, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] == WEFT_SCTP_FORWARD_TSN)
      in->forward_tsn = 1;
    else if (p[i] == WEFT_SCTP_RE_CONFIG)
      in->reconfig = 1;
    else if (p[i] == WEFT_SCTP_I_DATA)
      in->idata = 1;
  }
}

static int init_param(weft_sctp_init *in, uint16_t type, const uint8_t *v,
                      size_t vlen, const uint8_t *whole) {
  switch (type) {
  case WEFT_SCTP_PARAM_STATE_COOKIE:
    in->cookie = v;
    in->cookie_len = vlen;
    break;
  case WEFT_SCTP_PARAM_FORWARD_TSN_SUPPORTED:
    in->forward_tsn = 1;
    break;
  case WEFT_SCTP_PARAM_SUPPORTED_EXT:
    init_ext(in, v, vlen);
    break;
  case 5:  /* IPv4 address */
  case 6:  /* IPv6 address */
  case 11: /* host name */
  case WEFT_SCTP_PARAM_COOKIE_PRESERVATIVE:
  case WEFT_SCTP_PARAM_SUPPORTED_ADDR_TYPES:
    break; /* known; meaningless over DTLS */
  default:
    /* Upper two bits 01 / 11: report as unrecognized (we report the first
     * such run only, as a view). 00 / 10 mean skip silently or stop. */
    if ((type & 0x4000) && in->unrecognized == NULL) {
      in->unrecognized = whole;
      in->unrecognized_len = vlen + 4;
    }
    if ((type & 0x8000) == 0)
      return 1; /* stop processing further parameters */
    break;
  }
  return 0;
}

int weft_sctp_init_decode(weft_sctp_init *in, const weft_sctp_chunk *c) {
  weft_rd r;
  memset(in, 0, sizeof(*in));
  weft_rd_init(&r, c->value, c->vlen);
  weft_rd_u32(&r, &in->tag);
  weft_rd_u32(&r, &in->a_rwnd);
  weft_rd_u16(&r, &in->os);
  weft_rd_u16(&r, &in->mis);
  weft_rd_u32(&r, &in->initial_tsn);
  if (r.err)
    return MALFORMED;
  while (weft_rd_left(&r) >= 4) {
    const uint8_t *whole = r.p + r.pos;
    uint16_t type, plen;
    const uint8_t *v;
    weft_rd_u16(&r, &type);
    weft_rd_u16(&r, &plen);
    if (plen < 4 || weft_rd_view(&r, (size_t)plen - 4, &v))
      return MALFORMED;
    size_t pad = pad4(plen) - plen;
    weft_rd_skip(&r, pad <= weft_rd_left(&r) ? pad : weft_rd_left(&r));
    if (init_param(in, type, v, (size_t)plen - 4, whole))
      break;
  }
  return 0;
}

int weft_sctp_init_encode(weft_wr *w, uint8_t type, const weft_sctp_init *in) {
  size_t start;
  weft_sctp_chunk_begin(w, type, 0, &start);
  weft_wr_u32(w, in->tag);
  weft_wr_u32(w, in->a_rwnd);
  weft_wr_u16(w, in->os);
  weft_wr_u16(w, in->mis);
  weft_wr_u32(w, in->initial_tsn);
  if (type == WEFT_SCTP_INIT_ACK && in->cookie != NULL) {
    weft_wr_u16(w, WEFT_SCTP_PARAM_STATE_COOKIE);
    weft_wr_u16(w, (uint16_t)(in->cookie_len + 4));
    weft_wr_bytes(w, in->cookie, in->cookie_len);
    weft_wr_zero(w, pad4(in->cookie_len) - in->cookie_len);
  }
  /* Supported extensions: FORWARD-TSN, RE-CONFIG. */
  weft_wr_u16(w, WEFT_SCTP_PARAM_SUPPORTED_EXT);
  weft_wr_u16(w, 6);
  weft_wr_u8(w, WEFT_SCTP_FORWARD_TSN);
  weft_wr_u8(w, WEFT_SCTP_RE_CONFIG);
  weft_wr_zero(w, 2);
  weft_wr_u16(w, WEFT_SCTP_PARAM_FORWARD_TSN_SUPPORTED);
  weft_wr_u16(w, 4);
  if (in->unrecognized != NULL && type == WEFT_SCTP_INIT_ACK &&
      in->unrecognized_len >= 4 && in->unrecognized_len < 0x10000 - 4) {
    weft_wr_u16(w, WEFT_SCTP_PARAM_UNRECOGNIZED);
    weft_wr_u16(w, (uint16_t)(in->unrecognized_len + 4));
    weft_wr_bytes(w, in->unrecognized, in->unrecognized_len);
    weft_wr_zero(w, pad4(in->unrecognized_len) - in->unrecognized_len);
  }
  return weft_sctp_chunk_end(w, start);
}

/* ---- SACK ---- */

int weft_sctp_sack_decode(weft_sctp_sack *s, const weft_sctp_chunk *c) {
  weft_rd r;
  weft_rd_init(&r, c->value, c->vlen);
  weft_rd_u32(&r, &s->cum_tsn);
  weft_rd_u32(&r, &s->a_rwnd);
  weft_rd_u16(&r, &s->ngaps);
  weft_rd_u16(&r, &s->ndups);
  weft_rd_view(&r, (size_t)s->ngaps * 4, &s->gaps);
  weft_rd_view(&r, (size_t)s->ndups * 4, &s->dups);
  return r.err ? MALFORMED : 0;
}

int weft_sctp_sack_encode(weft_wr *w, uint32_t cum_tsn, uint32_t a_rwnd,
                          const uint16_t *gaps, size_t ngaps,
                          const uint32_t *dups, size_t ndups) {
  size_t start;
  if (ngaps > 0xffff || ndups > 0xffff)
    return WEFT_ERR_INVALID_ARGUMENT;
  weft_sctp_chunk_begin(w, WEFT_SCTP_SACK, 0, &start);
  weft_wr_u32(w, cum_tsn);
  weft_wr_u32(w, a_rwnd);
  weft_wr_u16(w, (uint16_t)ngaps);
  weft_wr_u16(w, (uint16_t)ndups);
  for (size_t i = 0; i < 2 * ngaps; i++)
    weft_wr_u16(w, gaps[i]);
  for (size_t i = 0; i < ndups; i++)
    weft_wr_u32(w, dups[i]);
  return weft_sctp_chunk_end(w, start);
}

/* ---- FORWARD-TSN ---- */

int weft_sctp_fwd_tsn_decode(weft_sctp_fwd_tsn *f, const weft_sctp_chunk *c) {
  if (c->vlen < 4)
    return MALFORMED;
  f->new_cum_tsn = weft_get_u32(c->value);
  f->nstreams = (c->vlen - 4) / 4;
  f->streams = c->value + 4;
  return 0;
}

int weft_sctp_fwd_tsn_encode(weft_wr *w, uint32_t new_cum_tsn,
                             const uint16_t *pairs, size_t npairs) {
  size_t start;
  weft_sctp_chunk_begin(w, WEFT_SCTP_FORWARD_TSN, 0, &start);
  weft_wr_u32(w, new_cum_tsn);
  for (size_t i = 0; i < 2 * npairs; i++)
    weft_wr_u16(w, pairs[i]);
  return weft_sctp_chunk_end(w, start);
}

/* ---- RE-CONFIG ---- */

static int reconf_body(weft_rd *b, weft_sctp_reconf_param *p) {
  switch (p->type) {
  case WEFT_SCTP_PARAM_OUT_SSN_RESET_REQ:
    weft_rd_u32(b, &p->req_sn);
    weft_rd_u32(b, &p->resp_sn);
    weft_rd_u32(b, &p->last_tsn);
    break;
  case WEFT_SCTP_PARAM_IN_SSN_RESET_REQ:
  case WEFT_SCTP_PARAM_SSN_TSN_RESET_REQ:
    weft_rd_u32(b, &p->req_sn);
    break;
  case WEFT_SCTP_PARAM_ADD_OUT_STREAMS:
  case WEFT_SCTP_PARAM_ADD_IN_STREAMS:
    weft_rd_u32(b, &p->req_sn);
    weft_rd_u16(b, &p->nstreams_add);
    weft_rd_skip(b, 2);
    break;
  case WEFT_SCTP_PARAM_RECONFIG_RESP:
    weft_rd_u32(b, &p->resp_sn);
    weft_rd_u32(b, &p->result);
    weft_rd_skip(b, weft_rd_left(b)); /* optional next TSNs ignored */
    break;
  default:
    weft_rd_skip(b, weft_rd_left(b));
    break;
  }
  if (b->err)
    return MALFORMED;
  p->nstreams = weft_rd_left(b) / 2;
  p->streams = b->p + b->pos;
  return 1;
}

int weft_sctp_reconf_next(weft_rd *r, weft_sctp_reconf_param *p) {
  if (r->err)
    return MALFORMED;
  if (weft_rd_left(r) == 0)
    return 0;
  uint16_t plen;
  weft_rd b;
  memset(p, 0, sizeof(*p));
  weft_rd_u16(r, &p->type);
  weft_rd_u16(r, &plen);
  if (r->err || plen < 4 || weft_rd_sub(r, (size_t)plen - 4, &b))
    return MALFORMED;
  size_t pad = pad4(plen) - plen;
  weft_rd_skip(r, pad <= weft_rd_left(r) ? pad : weft_rd_left(r));
  return reconf_body(&b, p);
}

int weft_sctp_reconf_out_req_encode(weft_wr *w, uint32_t req_sn,
                                    uint32_t resp_sn, uint32_t last_tsn,
                                    const uint16_t *streams, size_t n) {
  size_t len = 16 + 2 * n;
  if (len > 0xffff)
    return WEFT_ERR_INVALID_ARGUMENT;
  weft_wr_u16(w, WEFT_SCTP_PARAM_OUT_SSN_RESET_REQ);
  weft_wr_u16(w, (uint16_t)len);
  weft_wr_u32(w, req_sn);
  weft_wr_u32(w, resp_sn);
  weft_wr_u32(w, last_tsn);
  for (size_t i = 0; i < n; i++)
    weft_wr_u16(w, streams[i]);
  return weft_wr_zero(w, pad4(len) - len);
}

int weft_sctp_reconf_resp_encode(weft_wr *w, uint32_t resp_sn,
                                 uint32_t result) {
  weft_wr_u16(w, WEFT_SCTP_PARAM_RECONFIG_RESP);
  weft_wr_u16(w, 12);
  weft_wr_u32(w, resp_sn);
  return weft_wr_u32(w, result);
}

/* ---- causes ---- */

uint16_t weft_sctp_first_cause(const weft_sctp_chunk *c) {
  return c->vlen >= 4 ? weft_get_u16(c->value) : 0;
}

int weft_sctp_cause_encode(weft_wr *w, uint16_t code, const void *info,
                           size_t len) {
  if (len > 0xffff - 4)
    return WEFT_ERR_INVALID_ARGUMENT;
  weft_wr_u16(w, code);
  weft_wr_u16(w, (uint16_t)(len + 4));
  weft_wr_bytes(w, info, len);
  return weft_wr_zero(w, pad4(len) - len);
}

const char *weft_sctp_chunk_name(uint8_t type) {
  switch (type) {
  case WEFT_SCTP_DATA:
    return "DATA";
  case WEFT_SCTP_INIT:
    return "INIT";
  case WEFT_SCTP_INIT_ACK:
    return "INIT-ACK";
  case WEFT_SCTP_SACK:
    return "SACK";
  case WEFT_SCTP_HEARTBEAT:
    return "HEARTBEAT";
  case WEFT_SCTP_HEARTBEAT_ACK:
    return "HEARTBEAT-ACK";
  case WEFT_SCTP_ABORT:
    return "ABORT";
  case WEFT_SCTP_SHUTDOWN:
    return "SHUTDOWN";
  case WEFT_SCTP_SHUTDOWN_ACK:
    return "SHUTDOWN-ACK";
  case WEFT_SCTP_ERROR:
    return "ERROR";
  case WEFT_SCTP_COOKIE_ECHO:
    return "COOKIE-ECHO";
  case WEFT_SCTP_COOKIE_ACK:
    return "COOKIE-ACK";
  case WEFT_SCTP_SHUTDOWN_COMPLETE:
    return "SHUTDOWN-COMPLETE";
  case WEFT_SCTP_I_DATA:
    return "I-DATA";
  case WEFT_SCTP_RE_CONFIG:
    return "RE-CONFIG";
  case WEFT_SCTP_FORWARD_TSN:
    return "FORWARD-TSN";
  default:
    return "UNKNOWN";
  }
}
