/* STUN message decoding (RFC 8489 sections 5, 6 and 14). */
#include "stun/stun_int.h"

#include "base/buf.h"
#include "base/crc.h"

#include <string.h>

int weft_stun_is_stun(const uint8_t *buf, size_t len) {
  if (buf == NULL || len < WEFT_STUN_HEADER_LEN || (buf[0] & 0xC0) != 0)
    return 0;
  if (weft_get_u32(buf + 4) != WEFT_STUN_MAGIC_COOKIE)
    return 0;
  size_t mlen = weft_get_u16(buf + 2);
  return (mlen & 3) == 0 && mlen + WEFT_STUN_HEADER_LEN == len;
}

typedef struct decode_state {
  int after_integrity; /* MESSAGE-INTEGRITY(-SHA256) seen */
  int after_fingerprint;
} decode_state;

static void note_unknown(weft_stun_msg *msg, uint16_t type) {
  for (size_t i = 0; i < msg->nunknown; i++)
    if (msg->unknown[i] == type)
      return;
  if (msg->nunknown < WEFT_STUN_MAX_UNKNOWN)
    msg->unknown[msg->nunknown++] = type;
}

/* Whether an attribute at this point is ignored (RFC 8489 section 14.5,
 * 14.6, 14.7): after FINGERPRINT everything, after an integrity attribute
 * all but the other integrity attribute and FINGERPRINT. */
static int ignored(const weft_stun_msg *msg, const decode_state *st,
                   uint16_t type) {
  if (st->after_fingerprint)
    return 1;
  if (!st->after_integrity)
    return 0;
  if (type == WEFT_STUN_ATTR_MESSAGE_INTEGRITY)
    return msg->integrity >= 0;
  if (type == WEFT_STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
    return msg->integrity_sha256 >= 0;
  return type != WEFT_STUN_ATTR_FINGERPRINT;
}

static void note_index(weft_stun_msg *msg, decode_state *st, uint16_t type,
                       int idx) {
  if (type == WEFT_STUN_ATTR_MESSAGE_INTEGRITY) {
    msg->integrity = idx;
    st->after_integrity = 1;
  } else if (type == WEFT_STUN_ATTR_MESSAGE_INTEGRITY_SHA256) {
    msg->integrity_sha256 = idx;
    st->after_integrity = 1;
  } else if (type == WEFT_STUN_ATTR_FINGERPRINT) {
    msg->fingerprint = idx;
    st->after_fingerprint = 1;
  }
}

static int decode_attr(weft_stun_msg *msg, weft_rd *r, decode_state *st) {
  size_t offset = r->pos;
  if (offset > UINT16_MAX) /* offsets are 16-bit: a message of 64 KiB */
    return WEFT_ERR_STUN_MALFORMED;
  uint16_t type = 0, len = 0;
  const uint8_t *value = NULL;
  weft_rd_u16(r, &type);
  weft_rd_u16(r, &len);
  weft_rd_view(r, len, &value);
  weft_rd_skip(r, stun_pad4(len) - len);
  if (r->err)
    return WEFT_ERR_STUN_MALFORMED;
  if (ignored(msg, st, type))
    return 0;
  int known = stun_attr_check(type, value, len);
  if (known < 0)
    return known;
  if (known == 1 && type < 0x8000)
    note_unknown(msg, type);
  if (msg->nattrs == WEFT_STUN_MAX_ATTRS)
    return WEFT_ERR_STUN_TOO_MANY_ATTRIBUTES;
  weft_stun_attr *a = &msg->attrs[msg->nattrs];
  a->type = type;
  a->len = len;
  a->value = value;
  a->offset = (uint16_t)offset;
  note_index(msg, st, type, (int)msg->nattrs);
  msg->nattrs++;
  return 0;
}

static int check_fingerprint(const weft_stun_msg *msg) {
  const weft_stun_attr *a = &msg->attrs[msg->fingerprint];
  uint8_t hdr[WEFT_STUN_HEADER_LEN];
  memcpy(hdr, msg->raw, sizeof(hdr));
  weft_put_u16(hdr + 2, (uint16_t)(a->offset + 8 - WEFT_STUN_HEADER_LEN));
  uint32_t crc = weft_crc32(0, hdr, sizeof(hdr));
  crc = weft_crc32(crc, msg->raw + WEFT_STUN_HEADER_LEN,
                   a->offset - WEFT_STUN_HEADER_LEN);
  if ((crc ^ WEFT_STUN_FINGERPRINT_XOR) != weft_get_u32(a->value))
    return WEFT_ERR_STUN_FINGERPRINT;
  return 0;
}

static int decode_header(weft_stun_msg *msg, weft_rd *r) {
  uint16_t type = 0, mlen = 0;
  uint32_t cookie = 0;
  weft_rd_u16(r, &type);
  weft_rd_u16(r, &mlen);
  weft_rd_u32(r, &cookie);
  weft_rd_copy(r, msg->txid, WEFT_STUN_TXID_LEN);
  if (r->err || (type & 0xC000) != 0 || cookie != WEFT_STUN_MAGIC_COOKIE)
    return WEFT_ERR_STUN_NOT_STUN;
  if ((mlen & 3) != 0 || (size_t)mlen + WEFT_STUN_HEADER_LEN != r->len)
    return WEFT_ERR_STUN_MALFORMED;
  msg->method = stun_type_method(type);
  msg->cls = stun_type_class(type);
  return 0;
}

int weft_stun_msg_decode(weft_stun_msg *msg, const uint8_t *buf, size_t len) {
  if (msg == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  msg->raw = buf;
  msg->len = len;
  msg->nattrs = 0;
  msg->nunknown = 0;
  msg->integrity = msg->integrity_sha256 = msg->fingerprint = -1;
  weft_rd r;
  weft_rd_init(&r, buf, len);
  int rv = decode_header(msg, &r);
  if (rv != 0)
    return rv;
  decode_state st = {0, 0};
  while (weft_rd_left(&r) > 0)
    if ((rv = decode_attr(msg, &r, &st)) != 0)
      return rv;
  if (msg->fingerprint >= 0)
    return check_fingerprint(msg);
  return 0;
}

const weft_stun_attr *weft_stun_msg_find(const weft_stun_msg *msg,
                                         uint16_t type) {
  if (msg == NULL)
    return NULL;
  for (size_t i = 0; i < msg->nattrs; i++)
    if (msg->attrs[i].type == type)
      return &msg->attrs[i];
  return NULL;
}

int weft_stun_msg_check_unknown(const weft_stun_msg *msg) {
  return msg != NULL && msg->nunknown > 0 ? WEFT_ERR_STUN_UNKNOWN_ATTRIBUTE : 0;
}
