/* Building STUN messages in the caller's buffer. */
#include "stun/stun_int.h"

#include "base/buf.h"
#include "base/crc.h"

#include <string.h>

static int fail(weft_stun_builder *b, int err) {
  if (b->err == 0)
    b->err = err;
  return b->err;
}

int weft_stun_builder_init(weft_stun_builder *b, uint8_t *buf, size_t cap,
                           uint16_t method, uint8_t cls, const uint8_t *txid) {
  if (b == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  b->buf = buf;
  b->cap = buf != NULL ? cap : 0;
  b->len = 0;
  b->err = 0;
  if (buf == NULL || method > 0xFFF || cls > WEFT_STUN_ERROR)
    return fail(b, WEFT_ERR_INVALID_ARGUMENT);
  if (cap < WEFT_STUN_HEADER_LEN)
    return fail(b, WEFT_ERR_BUFFER_TOO_SMALL);
  weft_put_u16(buf, stun_type_encode(method, cls));
  weft_put_u16(buf + 2, 0);
  weft_put_u32(buf + 4, WEFT_STUN_MAGIC_COOKIE);
  if (txid != NULL)
    memcpy(buf + 8, txid, WEFT_STUN_TXID_LEN);
  else
    memset(buf + 8, 0, WEFT_STUN_TXID_LEN);
  b->len = WEFT_STUN_HEADER_LEN;
  return 0;
}

int weft_stun_builder_init_response(weft_stun_builder *b, uint8_t *buf,
                                    size_t cap, const weft_stun_msg *req,
                                    uint8_t cls) {
  if (req == NULL) {
    weft_stun_builder_init(b, buf, cap, 0, 0, NULL);
    return b != NULL ? fail(b, WEFT_ERR_INVALID_ARGUMENT)
                     : WEFT_ERR_INVALID_ARGUMENT;
  }
  return weft_stun_builder_init(b, buf, cap, req->method, cls, req->txid);
}

/* Appends an attribute header and room for @p len value bytes (padding
 * zeroed), updates the header length, and points *value at the value. */
static int attr_begin(weft_stun_builder *b, uint16_t type, size_t len,
                      uint8_t **value) {
  *value = NULL;
  if (b->err)
    return b->err;
  if (len > UINT16_MAX)
    return fail(b, WEFT_ERR_INVALID_ARGUMENT);
  size_t total = 4 + stun_pad4(len);
  if (b->cap - b->len < total ||
      b->len + total - WEFT_STUN_HEADER_LEN > UINT16_MAX)
    return fail(b, WEFT_ERR_BUFFER_TOO_SMALL);
  uint8_t *p = b->buf + b->len;
  weft_put_u16(p, type);
  weft_put_u16(p + 2, (uint16_t)len);
  memset(p + 4 + len, 0, stun_pad4(len) - len);
  b->len += total;
  weft_put_u16(b->buf + 2, (uint16_t)(b->len - WEFT_STUN_HEADER_LEN));
  *value = p + 4;
  return 0;
}

int weft_stun_builder_add(weft_stun_builder *b, uint16_t type,
                          const void *value, size_t len) {
  uint8_t *v;
  if (b == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (value == NULL && len > 0)
    return fail(b, WEFT_ERR_INVALID_ARGUMENT);
  if (attr_begin(b, type, len, &v) != 0)
    return b->err;
  if (len > 0)
    memcpy(v, value, len);
  return 0;
}

int weft_stun_builder_add_str(weft_stun_builder *b, uint16_t type,
                              const char *s) {
  if (b != NULL && s == NULL)
    return fail(b, WEFT_ERR_INVALID_ARGUMENT);
  return weft_stun_builder_add(b, type, s, s != NULL ? strlen(s) : 0);
}

int weft_stun_builder_add_u32(weft_stun_builder *b, uint16_t type, uint32_t v) {
  uint8_t buf[4];
  weft_put_u32(buf, v);
  return weft_stun_builder_add(b, type, buf, sizeof(buf));
}

int weft_stun_builder_add_u64(weft_stun_builder *b, uint16_t type, uint64_t v) {
  uint8_t buf[8];
  weft_put_u32(buf, (uint32_t)(v >> 32));
  weft_put_u32(buf + 4, (uint32_t)v);
  return weft_stun_builder_add(b, type, buf, sizeof(buf));
}

int weft_stun_builder_add_flag(weft_stun_builder *b, uint16_t type) {
  return weft_stun_builder_add(b, type, NULL, 0);
}

/* An address value, XORed with @p mask (NULL: plain). */
static int add_addr(weft_stun_builder *b, uint16_t type, const weft_addr *addr,
                    const uint8_t *mask) {
  size_t iplen = 0;
  const uint8_t *ip = addr != NULL ? weft_addr_ip(addr, &iplen) : NULL;
  if (b == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (ip == NULL)
    return fail(b, WEFT_ERR_INVALID_ARGUMENT);
  uint8_t *v;
  if (attr_begin(b, type, 4 + iplen, &v) != 0)
    return b->err;
  uint16_t port = weft_addr_port(addr);
  v[0] = 0;
  v[1] = iplen == 4 ? 1 : 2;
  if (mask != NULL)
    port ^= (uint16_t)(WEFT_STUN_MAGIC_COOKIE >> 16);
  weft_put_u16(v + 2, port);
  for (size_t i = 0; i < iplen; i++)
    v[4 + i] = (uint8_t)(ip[i] ^ (mask != NULL ? mask[i] : 0));
  return 0;
}

int weft_stun_builder_add_addr(weft_stun_builder *b, uint16_t type,
                               const weft_addr *addr) {
  return add_addr(b, type, addr, NULL);
}

int weft_stun_builder_add_xor_addr(weft_stun_builder *b, uint16_t type,
                                   const weft_addr *addr) {
  if (b == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (b->err)
    return b->err;
  /* the mask is the magic cookie and transaction id, as in the header */
  return add_addr(b, type, addr, b->buf + 4);
}

int weft_stun_builder_add_error(weft_stun_builder *b, int code,
                                const char *reason) {
  if (b == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (code < 300 || code > 699)
    return fail(b, WEFT_ERR_INVALID_ARGUMENT);
  if (reason == NULL)
    reason = weft_stun_error_reason(code);
  size_t rlen = strlen(reason);
  uint8_t *v;
  if (attr_begin(b, WEFT_STUN_ATTR_ERROR_CODE, 4 + rlen, &v) != 0)
    return b->err;
  v[0] = v[1] = 0;
  v[2] = (uint8_t)(code / 100);
  v[3] = (uint8_t)(code % 100);
  memcpy(v + 4, reason, rlen);
  return 0;
}

int weft_stun_builder_add_unknown(weft_stun_builder *b, const uint16_t *types,
                                  size_t n) {
  uint8_t *v;
  if (b == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if ((types == NULL && n > 0) || n > UINT16_MAX / 2)
    return fail(b, WEFT_ERR_INVALID_ARGUMENT);
  if (attr_begin(b, WEFT_STUN_ATTR_UNKNOWN_ATTRIBUTES, 2 * n, &v) != 0)
    return b->err;
  for (size_t i = 0; i < n; i++)
    weft_put_u16(v + 2 * i, types[i]);
  return 0;
}

int weft_stun_builder_add_password_algs(weft_stun_builder *b,
                                        const uint16_t *algs, size_t n) {
  uint8_t *v;
  if (b == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (algs == NULL || n == 0 || n > UINT16_MAX / 4)
    return fail(b, WEFT_ERR_INVALID_ARGUMENT);
  if (attr_begin(b, WEFT_STUN_ATTR_PASSWORD_ALGORITHMS, 4 * n, &v) != 0)
    return b->err;
  for (size_t i = 0; i < n; i++) {
    weft_put_u16(v + 4 * i, algs[i]);
    weft_put_u16(v + 4 * i + 2, 0); /* MD5 and SHA-256 take no parameters */
  }
  return 0;
}

int weft_stun_builder_add_password_alg(weft_stun_builder *b, uint16_t alg) {
  uint8_t v[4];
  weft_put_u16(v, alg);
  weft_put_u16(v + 2, 0);
  return weft_stun_builder_add(b, WEFT_STUN_ATTR_PASSWORD_ALGORITHM, v, 4);
}

int weft_stun_builder_add_fingerprint(weft_stun_builder *b) {
  uint8_t *v;
  if (b == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (attr_begin(b, WEFT_STUN_ATTR_FINGERPRINT, 4, &v) != 0)
    return b->err;
  uint32_t crc = weft_crc32(0, b->buf, b->len - 8);
  weft_put_u32(v, crc ^ WEFT_STUN_FINGERPRINT_XOR);
  return 0;
}

int weft_stun_builder_finish(weft_stun_builder *b) {
  if (b == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (b->err)
    return b->err;
  return (int)b->len;
}
