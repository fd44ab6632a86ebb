/* libFuzzer target for the STUN codec: decode, every typed reader on every
 * attribute, integrity with a fixed key, the Binding responder, and a
 * re-encoding of the decoded attributes that must decode again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/crc.h"
#include "weft/stun.h"

static const uint8_t fixed_key[] = "cLKf8Rb/Vv8aRlVDR4sdwYJd";
#define FIXED_KEYLEN (sizeof(fixed_key) - 1)

/* Invariants stay checked whatever NDEBUG says. */
#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c))                                                                  \
      abort();                                                                 \
  } while (0)

static void read_all(const weft_stun_msg *m) {
  for (size_t i = 0; i < m->nattrs; i++) {
    const weft_stun_attr *a = &m->attrs[i];
    CHECK(a->offset >= WEFT_STUN_HEADER_LEN);
    CHECK((size_t)a->offset + 4 + a->len <= m->len);
    CHECK(a->value == m->raw + a->offset + 4);
    weft_addr addr;
    uint32_t u32;
    uint64_t u64;
    int code;
    const char *reason;
    size_t n, rlen;
    uint16_t types[8], alg;
    const uint8_t *params;
    weft_stun_attr_addr(a, &addr);
    weft_stun_attr_xor_addr(m, a, &addr);
    weft_stun_attr_u32(a, &u32);
    weft_stun_attr_u64(a, &u64);
    if (weft_stun_attr_error(a, &code, &reason, &rlen) == 0)
      CHECK(code >= 300 && code <= 699 && rlen + 4 == a->len);
    if (weft_stun_attr_unknown(a, types, 8, &n) == 0)
      CHECK(n <= 8);
    weft_stun_attr_password_alg(a, &alg, &params, &n);
    if (weft_stun_attr_password_algs(a, types, 8, &n) == 0)
      CHECK(n <= 8);
  }
}

static int is_trailer(uint16_t type) {
  return type == WEFT_STUN_ATTR_MESSAGE_INTEGRITY ||
         type == WEFT_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 ||
         type == WEFT_STUN_ATTR_FINGERPRINT;
}

static uint8_t out[70000];

static void reencode(const weft_stun_msg *m) {
  weft_stun_builder b;
  CHECK(weft_stun_builder_init(&b, out, sizeof(out), m->method, m->cls,
                               m->txid) == 0);
  size_t kept = 0;
  for (size_t i = 0; i < m->nattrs; i++)
    if (!is_trailer(m->attrs[i].type)) {
      weft_stun_builder_add(&b, m->attrs[i].type, m->attrs[i].value,
                            m->attrs[i].len);
      kept++;
    }
  if (m->integrity >= 0)
    weft_stun_builder_add_integrity(&b, fixed_key, FIXED_KEYLEN);
  if (m->integrity_sha256 >= 0)
    weft_stun_builder_add_integrity_sha256(&b, fixed_key, FIXED_KEYLEN);
  if (m->fingerprint >= 0)
    weft_stun_builder_add_fingerprint(&b);
  int n = weft_stun_builder_finish(&b);
  if (n < 0)
    return; /* a 64 KiB input whose MI-SHA256 grew to 32 bytes */
  weft_stun_msg again;
  CHECK(weft_stun_msg_decode(&again, out, (size_t)n) == 0);
  CHECK(again.method == m->method && again.cls == m->cls);
  CHECK(again.nunknown == m->nunknown);
  size_t kept2 = 0;
  for (size_t i = 0; i < again.nattrs; i++) {
    if (is_trailer(again.attrs[i].type))
      continue;
    const weft_stun_attr *x = &again.attrs[i], *y = &m->attrs[i];
    CHECK(x->type == y->type && x->len == y->len);
    CHECK(memcmp(x->value, y->value, x->len) == 0);
    kept2++;
  }
  CHECK(kept2 == kept);
  if (m->integrity >= 0 || m->integrity_sha256 >= 0)
    CHECK(weft_stun_msg_check_integrity(&again, fixed_key, FIXED_KEYLEN) == 0);
}

static void serve(const uint8_t *data, size_t size) {
  static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                  0,    0,    0,    0,    0, 0, 0, 1};
  static const uint8_t ip4[4] = {192, 0, 2, 1};
  weft_stun_server_settings s;
  weft_stun_server_settings_default(&s);
  s.log.level = WEFT_LOG_NONE;
  s.software = (size & 2) ? "weft fuzz" : NULL;
  s.fingerprint = (int)(size & 1);
  weft_stun_server_stats st = {0};
  weft_addr from;
  if (size & 4)
    weft_addr_set(&from, AF_INET6, ip6, 3478);
  else
    weft_addr_set(&from, AF_INET, ip4, 3478);
  uint8_t resp[WEFT_STUN_MAX_MSG];
  int n =
      weft_stun_server_answer(&s, &st, &from, data, size, resp, sizeof(resp));
  CHECK(n >= 0 && st.received == 1);
  if (n > 0) {
    weft_stun_msg m;
    CHECK(weft_stun_msg_decode(&m, resp, (size_t)n) == 0);
    CHECK(st.answered + st.errors_sent == 1);
  }
}

static void exercise(const weft_stun_msg *m) {
  read_all(m);
  weft_stun_msg_check_integrity(m, fixed_key, FIXED_KEYLEN);
  weft_stun_msg_check_unknown(m);
  reencode(m);
}

static uint8_t fixed[70000];

/* A mutated message almost never keeps a valid FINGERPRINT: repair it in a
 * copy so that everything behind the check is explored too. */
static void repair_fingerprint(const weft_stun_msg *m, const uint8_t *data,
                               size_t size) {
  if (size > sizeof(fixed))
    return;
  memcpy(fixed, data, size);
  const weft_stun_attr *fp = &m->attrs[m->fingerprint];
  uint8_t hdr[WEFT_STUN_HEADER_LEN];
  memcpy(hdr, fixed, sizeof(hdr));
  weft_put_u16(hdr + 2, (uint16_t)(fp->offset + 8 - WEFT_STUN_HEADER_LEN));
  uint32_t crc = weft_crc32(0, hdr, sizeof(hdr));
  crc = weft_crc32(crc, fixed + WEFT_STUN_HEADER_LEN,
                   fp->offset - WEFT_STUN_HEADER_LEN);
  weft_put_u32(fixed + fp->offset + 4, crc ^ WEFT_STUN_FINGERPRINT_XOR);
  weft_stun_msg again;
  CHECK(weft_stun_msg_decode(&again, fixed, size) == 0);
  exercise(&again);
  serve(fixed, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  weft_stun_is_stun(data, size);
  weft_stun_msg m;
  int rv = weft_stun_msg_decode(&m, data, size);
  if (rv == 0) {
    CHECK(weft_stun_is_stun(data, size));
    exercise(&m);
  } else if (rv == WEFT_ERR_STUN_FINGERPRINT) {
    repair_fingerprint(&m, data, size);
  }
  serve(data, size);
  return 0;
}
