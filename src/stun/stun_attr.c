/* STUN attribute validation and the typed attribute readers. */
#include "stun/stun_int.h"

#include "base/buf.h"

#include <string.h>

#define MALFORMED WEFT_ERR_STUN_MALFORMED

/* Most bytes of the text attributes (RFC 8489 section 14; USERNAME allows
 * the 513 bytes of an ICE "ufrag:ufrag" of 256 + 1 + 256). */
#define MAX_USERNAME 513
#define MAX_TEXT 763
#define MAX_DOMAIN 255

static int addr_ok(const uint8_t *v, size_t len) {
  if (len < 4)
    return MALFORMED;
  if (v[1] == 1)
    return len == 8 ? 0 : MALFORMED;
  if (v[1] == 2)
    return len == 20 ? 0 : MALFORMED;
  return MALFORMED;
}

static int error_ok(const uint8_t *v, size_t len) {
  if (len < 4)
    return MALFORMED;
  uint8_t cls = v[2] & 7;
  return cls >= 3 && cls <= 6 && v[3] < 100 ? 0 : MALFORMED;
}

/* One algorithm entry: number, parameter length, parameters padded to 4. */
static int alg_entry(weft_rd *r, uint16_t *alg, const uint8_t **params,
                     size_t *plen) {
  uint16_t n = 0;
  weft_rd_u16(r, alg);
  weft_rd_u16(r, &n);
  weft_rd_view(r, n, params);
  *plen = n;
  return r->err ? MALFORMED : 0;
}

static int algs_ok(const uint8_t *v, size_t len) {
  weft_rd r;
  weft_rd_init(&r, v, len);
  if (len == 0)
    return MALFORMED;
  while (weft_rd_left(&r) > 0) {
    uint16_t alg;
    const uint8_t *p;
    size_t plen;
    if (alg_entry(&r, &alg, &p, &plen) != 0)
      return MALFORMED;
    size_t pad = stun_pad4(plen) - plen;
    /* the last entry's padding is the attribute's own */
    if (weft_rd_left(&r) > 0 && weft_rd_skip(&r, pad) != 0)
      return MALFORMED;
  }
  return 0;
}

static int exact(size_t len, size_t want) {
  return len == want ? 0 : MALFORMED;
}

static int at_most(size_t len, size_t max) {
  return len <= max ? 0 : MALFORMED;
}

int stun_attr_check(uint16_t type, const uint8_t *v, size_t len) {
  switch (type) {
  case WEFT_STUN_ATTR_MAPPED_ADDRESS:
  case WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS:
  case WEFT_STUN_ATTR_XOR_PEER_ADDRESS:
  case WEFT_STUN_ATTR_XOR_RELAYED_ADDRESS:
  case WEFT_STUN_ATTR_ALTERNATE_SERVER:
  case WEFT_STUN_ATTR_RESPONSE_ORIGIN:
  case WEFT_STUN_ATTR_OTHER_ADDRESS:
    return addr_ok(v, len);
  case WEFT_STUN_ATTR_CHANGE_REQUEST:
  case WEFT_STUN_ATTR_CHANNEL_NUMBER:
  case WEFT_STUN_ATTR_LIFETIME:
  case WEFT_STUN_ATTR_REQUESTED_ADDRESS_FAMILY:
  case WEFT_STUN_ATTR_REQUESTED_TRANSPORT:
  case WEFT_STUN_ATTR_PRIORITY:
  case WEFT_STUN_ATTR_CONNECTION_ID:
  case WEFT_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY:
  case WEFT_STUN_ATTR_FINGERPRINT:
    return exact(len, 4);
  case WEFT_STUN_ATTR_ICE_CONTROLLED:
  case WEFT_STUN_ATTR_ICE_CONTROLLING:
  case WEFT_STUN_ATTR_RESERVATION_TOKEN:
  case WEFT_STUN_ATTR_ICMP:
    return exact(len, 8);
  case WEFT_STUN_ATTR_USE_CANDIDATE:
  case WEFT_STUN_ATTR_DONT_FRAGMENT:
    return exact(len, 0);
  case WEFT_STUN_ATTR_EVEN_PORT:
    return exact(len, 1);
  case WEFT_STUN_ATTR_MESSAGE_INTEGRITY:
    return exact(len, 20);
  case WEFT_STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
    return len >= 16 && len <= 32 && len % 4 == 0 ? 0 : MALFORMED;
  case WEFT_STUN_ATTR_USERHASH:
    return exact(len, 32);
  case WEFT_STUN_ATTR_ERROR_CODE:
  case WEFT_STUN_ATTR_ADDRESS_ERROR_CODE:
    return error_ok(v, len);
  case WEFT_STUN_ATTR_UNKNOWN_ATTRIBUTES:
    return len % 2 == 0 ? 0 : MALFORMED;
  case WEFT_STUN_ATTR_PASSWORD_ALGORITHM:
    return len >= 4 && (size_t)weft_get_u16(v + 2) + 4 == len ? 0 : MALFORMED;
  case WEFT_STUN_ATTR_PASSWORD_ALGORITHMS:
    return algs_ok(v, len);
  case WEFT_STUN_ATTR_USERNAME:
    return at_most(len, MAX_USERNAME);
  case WEFT_STUN_ATTR_REALM:
  case WEFT_STUN_ATTR_NONCE:
  case WEFT_STUN_ATTR_SOFTWARE:
    return at_most(len, MAX_TEXT);
  case WEFT_STUN_ATTR_ALTERNATE_DOMAIN:
    return at_most(len, MAX_DOMAIN);
  case WEFT_STUN_ATTR_DATA:
    return 0;
  default:
    return 1;
  }
}

/* Family, port and IP of an address attribute (not yet un-XORed). */
static int read_addr(const weft_stun_attr *a, int *family, uint16_t *port,
                     uint8_t ip[16], size_t *iplen) {
  if (a == NULL || addr_ok(a->value, a->len) != 0)
    return MALFORMED;
  weft_rd r;
  uint8_t fam = 0;
  weft_rd_init(&r, a->value, a->len);
  weft_rd_skip(&r, 1);
  weft_rd_u8(&r, &fam);
  weft_rd_u16(&r, port);
  *iplen = fam == 1 ? 4 : 16;
  *family = fam == 1 ? AF_INET : AF_INET6;
  weft_rd_copy(&r, ip, *iplen);
  return r.err || weft_rd_left(&r) != 0 ? MALFORMED : 0;
}

int weft_stun_attr_addr(const weft_stun_attr *a, weft_addr *out) {
  int family;
  uint16_t port;
  uint8_t ip[16];
  size_t iplen;
  if (out == NULL || read_addr(a, &family, &port, ip, &iplen) != 0)
    return MALFORMED;
  return weft_addr_set(out, family, ip, port) == 0 ? 0 : MALFORMED;
}

int weft_stun_attr_xor_addr(const weft_stun_msg *msg, const weft_stun_attr *a,
                            weft_addr *out) {
  int family;
  uint16_t port;
  uint8_t ip[16], mask[16];
  size_t iplen;
  if (msg == NULL || out == NULL ||
      read_addr(a, &family, &port, ip, &iplen) != 0)
    return MALFORMED;
  weft_put_u32(mask, WEFT_STUN_MAGIC_COOKIE);
  memcpy(mask + 4, msg->txid, WEFT_STUN_TXID_LEN);
  for (size_t i = 0; i < iplen; i++)
    ip[i] ^= mask[i];
  port ^= (uint16_t)(WEFT_STUN_MAGIC_COOKIE >> 16);
  return weft_addr_set(out, family, ip, port) == 0 ? 0 : MALFORMED;
}

int weft_stun_attr_u32(const weft_stun_attr *a, uint32_t *out) {
  if (a == NULL || out == NULL || a->len != 4)
    return MALFORMED;
  *out = weft_get_u32(a->value);
  return 0;
}

int weft_stun_attr_u64(const weft_stun_attr *a, uint64_t *out) {
  if (a == NULL || out == NULL || a->len != 8)
    return MALFORMED;
  *out = ((uint64_t)weft_get_u32(a->value) << 32) | weft_get_u32(a->value + 4);
  return 0;
}

int weft_stun_attr_error(const weft_stun_attr *a, int *code,
                         const char **reason, size_t *reason_len) {
  if (a == NULL || code == NULL || error_ok(a->value, a->len) != 0)
    return MALFORMED;
  *code = (a->value[2] & 7) * 100 + a->value[3];
  if (reason != NULL)
    *reason = (const char *)a->value + 4;
  if (reason_len != NULL)
    *reason_len = (size_t)a->len - 4;
  return 0;
}

int weft_stun_attr_unknown(const weft_stun_attr *a, uint16_t *types, size_t max,
                           size_t *n) {
  if (a == NULL || n == NULL || a->len % 2 != 0 || (types == NULL && max))
    return MALFORMED;
  size_t count = a->len / 2;
  if (count > max)
    count = max;
  for (size_t i = 0; i < count; i++)
    types[i] = weft_get_u16(a->value + 2 * i);
  *n = count;
  return 0;
}

int weft_stun_attr_password_alg(const weft_stun_attr *a, uint16_t *alg,
                                const uint8_t **params, size_t *params_len) {
  if (a == NULL || alg == NULL ||
      stun_attr_check(WEFT_STUN_ATTR_PASSWORD_ALGORITHM, a->value, a->len))
    return MALFORMED;
  *alg = weft_get_u16(a->value);
  if (params != NULL)
    *params = a->value + 4;
  if (params_len != NULL)
    *params_len = (size_t)a->len - 4;
  return 0;
}

int weft_stun_attr_password_algs(const weft_stun_attr *a, uint16_t *algs,
                                 size_t max, size_t *n) {
  if (a == NULL || n == NULL || (algs == NULL && max) ||
      algs_ok(a->value, a->len) != 0)
    return MALFORMED;
  weft_rd r;
  size_t count = 0;
  weft_rd_init(&r, a->value, a->len);
  while (weft_rd_left(&r) > 0) {
    uint16_t alg;
    const uint8_t *p;
    size_t plen;
    alg_entry(&r, &alg, &p, &plen);
    if (weft_rd_left(&r) > 0)
      weft_rd_skip(&r, stun_pad4(plen) - plen);
    if (count < max)
      algs[count++] = alg;
  }
  *n = count;
  return 0;
}
