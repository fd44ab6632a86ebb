/* DCEP codec (RFC 8832 section 5). */
#include "datachannel/dcep.h"

#include "base/buf.h"

int weft_dcep_channel_type_valid(uint8_t t) {
  switch (t) {
  case WEFT_DCEP_RELIABLE:
  case WEFT_DCEP_RELIABLE_UNORDERED:
  case WEFT_DCEP_PR_REXMIT:
  case WEFT_DCEP_PR_REXMIT_UNORDERED:
  case WEFT_DCEP_PR_TIMED:
  case WEFT_DCEP_PR_TIMED_UNORDERED:
    return 1;
  default:
    return 0;
  }
}

int weft_dcep_type(const uint8_t *buf, size_t len) {
  if (buf == NULL || len < 1)
    return WEFT_ERR_PARSE;
  return buf[0];
}

int weft_dcep_open_decode(weft_dcep_open *out, const uint8_t *buf, size_t len) {
  weft_rd r;
  uint8_t type;
  weft_rd_init(&r, buf, len);
  weft_rd_u8(&r, &type);
  weft_rd_u8(&r, &out->channel_type);
  weft_rd_u16(&r, &out->priority);
  weft_rd_u32(&r, &out->reliability);
  weft_rd_u16(&r, &out->label_len);
  weft_rd_u16(&r, &out->protocol_len);
  weft_rd_view(&r, out->label_len, &out->label);
  weft_rd_view(&r, out->protocol_len, &out->protocol);
  if (r.err || type != WEFT_DCEP_OPEN || weft_rd_left(&r) != 0 ||
      !weft_dcep_channel_type_valid(out->channel_type))
    return WEFT_ERR_PARSE;
  return 0;
}

int weft_dcep_open_encode(uint8_t *buf, size_t buflen,
                          const weft_dcep_open *in) {
  weft_wr w;
  weft_wr_init(&w, buf, buflen);
  weft_wr_u8(&w, WEFT_DCEP_OPEN);
  weft_wr_u8(&w, in->channel_type);
  weft_wr_u16(&w, in->priority);
  weft_wr_u32(&w, in->reliability);
  weft_wr_u16(&w, in->label_len);
  weft_wr_u16(&w, in->protocol_len);
  if (weft_wr_need(&w, (size_t)in->label_len + in->protocol_len))
    return WEFT_ERR_BUFFER_TOO_SMALL;
  if (in->label_len > 0)
    memcpy(w.p + w.pos, in->label, in->label_len);
  w.pos += in->label_len;
  if (in->protocol_len > 0)
    memcpy(w.p + w.pos, in->protocol, in->protocol_len);
  w.pos += in->protocol_len;
  return (int)w.pos;
}

int weft_dcep_ack_decode(const uint8_t *buf, size_t len) {
  /* RFC 8832 defines no body; tolerate none (strict). */
  if (buf == NULL || len != 1 || buf[0] != WEFT_DCEP_ACK)
    return WEFT_ERR_PARSE;
  return 0;
}

int weft_dcep_ack_encode(uint8_t *buf, size_t buflen) {
  if (buf == NULL || buflen < 1)
    return WEFT_ERR_BUFFER_TOO_SMALL;
  buf[0] = WEFT_DCEP_ACK;
  return 1;
}
