/* The base library (src/base, src/crypto): CRC-32/CRC-32c, addresses, PCG,
 * the byte reader/writer, HMAC vectors and weft_strerror. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/crc.h"
#include "crypto/crypto.h"
#include "weft/weft.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- CRC ----------------------------------------------------------------- */

static void test_crc_check_values(void **state) {
  (void)state;
  /* the "check" values of the CRC catalogue */
  assert_int_equal(weft_crc32(0, "123456789", 9), 0xCBF43926u);
  assert_int_equal(weft_crc32c(0, "123456789", 9), 0xE3069283u);
  assert_int_equal(weft_crc32c_sw(0, "123456789", 9), 0xE3069283u);
  assert_int_equal(weft_crc32(0, "", 0), 0);
  /* continuation: crc(ab) == crc(crc(a), b) */
  assert_int_equal(weft_crc32(weft_crc32(0, "1234", 4), "56789", 5),
                   0xCBF43926u);
  assert_int_equal(weft_crc32c(weft_crc32c(0, "12345", 5), "6789", 4),
                   0xE3069283u);
}

static void test_crc32c_hw_sw_agree(void **state) {
  (void)state;
  weft_pcg pcg;
  weft_pcg_seed(&pcg, 3309, 7);
  static uint8_t buf[4096 + 8];
  for (size_t i = 0; i < sizeof(buf); i++)
    buf[i] = (uint8_t)weft_pcg_next(&pcg);
  for (int iter = 0; iter < 500; iter++) {
    size_t off = weft_pcg_bounded(&pcg, 8); /* every alignment */
    size_t len = weft_pcg_bounded(&pcg, 4096);
    uint32_t seed = iter % 2 ? weft_pcg_next(&pcg) : 0;
    assert_int_equal(weft_crc32c(seed, buf + off, len),
                     weft_crc32c_sw(seed, buf + off, len));
  }
  /* a flipped bit changes the sum */
  uint32_t a = weft_crc32c(0, buf, 1000);
  buf[500] ^= 4;
  assert_int_not_equal(a, weft_crc32c(0, buf, 1000));
}

/* Bit-at-a-time CRC-32, the definition, against the sliced fast path. */
static uint32_t crc32_bitwise(uint32_t crc, const uint8_t *p, size_t len) {
  crc = ~crc;
  while (len--) {
    crc ^= *p++;
    for (int k = 0; k < 8; k++)
      crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
  }
  return ~crc;
}

static void test_crc32_fast_path(void **state) {
  (void)state;
  weft_pcg pcg;
  weft_pcg_seed(&pcg, 8489, 3);
  static uint8_t buf[2048 + 8];
  for (size_t i = 0; i < sizeof(buf); i++)
    buf[i] = (uint8_t)weft_pcg_next(&pcg);
  for (size_t len = 0; len < 40; len++) /* every tail length */
    for (size_t off = 0; off < 8; off++)
      assert_int_equal(weft_crc32(0, buf + off, len),
                       crc32_bitwise(0, buf + off, len));
  for (int iter = 0; iter < 200; iter++) {
    size_t off = weft_pcg_bounded(&pcg, 8);
    size_t len = weft_pcg_bounded(&pcg, 2048);
    uint32_t seed = weft_pcg_next(&pcg);
    assert_int_equal(weft_crc32(seed, buf + off, len),
                     crc32_bitwise(seed, buf + off, len));
  }
}

/* ---- addresses ----------------------------------------------------------- */

static void roundtrip(const char *text, uint16_t defport, const char *want) {
  weft_addr a;
  char buf[WEFT_ADDR_STRLEN];
  assert_int_equal(weft_addr_parse(&a, text, defport), 0);
  assert_string_equal(weft_addr_format(&a, buf, sizeof(buf)), want);
  weft_addr b;
  assert_int_equal(weft_addr_parse(&b, buf, 0), 0);
  assert_true(weft_addr_equal(&a, &b));
  assert_true(weft_addr_hash(&a) == weft_addr_hash(&b));
}

static void test_addr_parse_format(void **state) {
  (void)state;
  roundtrip("1.2.3.4:5", 0, "1.2.3.4:5");
  roundtrip("[::1]:5", 0, "[::1]:5");
  roundtrip("[2001:db8::1]:65535", 0, "[2001:db8::1]:65535");
  roundtrip("10.0.0.1", 3478, "10.0.0.1:3478");
  roundtrip("::1", 7, "[::1]:7");
  roundtrip("[fe80::1]", 9, "[fe80::1]:9");
  roundtrip("0.0.0.0:0", 1, "0.0.0.0:0");
  weft_addr a;
  char ip[WEFT_ADDR_STRLEN];
  weft_addr_parse(&a, "[2001:db8::2]:80", 0);
  assert_string_equal(weft_addr_format_ip(&a, ip, sizeof(ip)), "2001:db8::2");
  assert_int_equal(weft_addr_family(&a), AF_INET6);
  assert_int_equal(weft_addr_port(&a), 80);
  assert_int_equal(weft_addr_socklen(&a), sizeof(struct sockaddr_in6));
  weft_addr_set_port(&a, 81);
  assert_int_equal(weft_addr_port(&a), 81);
  static const char *const bad[] = {
      "1.2.3.4:99999", "[::1",       "abc",     "1.2.3.4:",      "",
      "[::1]x",        "1.2.3.4:-1", "1.2.3:4", "[1.2.3.4.5]:1", "[::1]:"};
  for (size_t i = 0; i < N(bad); i++)
    assert_int_equal(weft_addr_parse(&a, bad[i], 0), WEFT_ERR_ADDR_PARSE);
  assert_int_equal(weft_addr_parse(&a, NULL, 0), WEFT_ERR_INVALID_ARGUMENT);
}

static void test_addr_set_and_compare(void **state) {
  (void)state;
  const uint8_t ip4[4] = {192, 0, 2, 1};
  weft_addr a, b, c;
  assert_int_equal(weft_addr_set(&a, AF_INET, ip4, 3478), 0);
  size_t len = 0;
  const uint8_t *p = weft_addr_ip(&a, &len);
  assert_int_equal(len, 4);
  assert_memory_equal(p, ip4, 4);
  assert_int_equal(weft_addr_from_sockaddr(&b, &a.u.sa, weft_addr_socklen(&a)),
                   0);
  assert_true(weft_addr_equal(&a, &b));
  weft_addr_parse(&c, "192.0.2.1:3479", 0);
  assert_false(weft_addr_equal(&a, &c));
  assert_true(weft_addr_equal_ip(&a, &c));
  weft_addr_parse(&c, "[::ffff:192.0.2.1]:3478", 0);
  assert_false(weft_addr_equal(&a, &c)); /* another family */
  assert_int_equal(weft_addr_set(&a, AF_UNIX, ip4, 1),
                   WEFT_ERR_INVALID_ARGUMENT);
  assert_int_equal(weft_addr_from_sockaddr(&b, &a.u.sa, 2),
                   WEFT_ERR_INVALID_ARGUMENT);
  memset(&a, 0, sizeof(a));
  assert_null(weft_addr_ip(&a, &len));
  assert_int_equal(len, 0);
  assert_int_equal(weft_addr_socklen(&a), 0);
}

static void test_addr_classify(void **state) {
  (void)state;
  static const struct {
    const char *text;
    int loopback, priv, link, any;
  } cases[] = {
      {"127.0.0.1", 1, 0, 0, 0},
      {"127.255.0.9", 1, 0, 0, 0},
      {"::1", 1, 0, 0, 0},
      {"10.1.2.3", 0, 1, 0, 0},
      {"172.16.0.1", 0, 1, 0, 0},
      {"172.31.255.1", 0, 1, 0, 0},
      {"172.32.0.1", 0, 0, 0, 0},
      {"192.168.1.1", 0, 1, 0, 0},
      {"fd12::1", 0, 1, 0, 0},
      {"fc00::1", 0, 1, 0, 0},
      {"169.254.3.4", 0, 0, 1, 0},
      {"fe80::1", 0, 0, 1, 0},
      {"febf::1", 0, 0, 1, 0},
      {"fec0::1", 0, 0, 0, 0},
      {"192.0.2.1", 0, 0, 0, 0},
      {"2001:db8::1", 0, 0, 0, 0},
      {"0.0.0.0", 0, 0, 0, 1},
      {"::", 0, 0, 0, 1},
      {"::ffff:10.0.0.1", 0, 1, 0, 0},
      {"::ffff:127.0.0.1", 1, 0, 0, 0},
  };
  for (size_t i = 0; i < N(cases); i++) {
    weft_addr a;
    assert_int_equal(weft_addr_parse(&a, cases[i].text, 1), 0);
    assert_int_equal(weft_addr_is_loopback(&a), cases[i].loopback);
    assert_int_equal(weft_addr_is_private(&a), cases[i].priv);
    assert_int_equal(weft_addr_is_link_local(&a), cases[i].link);
    assert_int_equal(weft_addr_is_any(&a), cases[i].any);
  }
}

/* ---- PCG ----------------------------------------------------------------- */

static void test_pcg(void **state) {
  (void)state;
  /* the reference pcg32 demo: seed 42, stream 54 */
  static const uint32_t want[6] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                   0x83d2f293, 0xbfa4784b, 0xcbed606e};
  weft_pcg a, b, c;
  weft_pcg_seed(&a, 42, 54);
  for (size_t i = 0; i < N(want); i++)
    assert_int_equal(weft_pcg_next(&a), want[i]);
  weft_pcg_seed(&a, 1234, 5);
  weft_pcg_seed(&b, 1234, 5);
  weft_pcg_seed(&c, 1235, 5);
  int differ = 0;
  for (int i = 0; i < 1000; i++) {
    uint32_t x = weft_pcg_next(&a);
    assert_int_equal(x, weft_pcg_next(&b));
    differ += x != weft_pcg_next(&c);
  }
  assert_true(differ > 990);
  for (int i = 0; i < 1000; i++) {
    assert_true(weft_pcg_bounded(&a, 7) < 7);
    double d = weft_pcg_double(&a);
    assert_true(d >= 0.0 && d < 1.0);
  }
  assert_int_equal(weft_pcg_bounded(&a, 0), 0);
  /* a weft_rand on a PCG repeats */
  weft_rand r1, r2;
  weft_pcg_seed(&a, 9, 9);
  weft_pcg_seed(&b, 9, 9);
  weft_rand_from_pcg(&r1, &a);
  weft_rand_from_pcg(&r2, &b);
  uint8_t x[13], y[13];
  assert_int_equal(weft_rand_bytes(&r1, x, sizeof(x)), 0);
  assert_int_equal(weft_rand_bytes(&r2, y, sizeof(y)), 0);
  assert_memory_equal(x, y, sizeof(x));
  assert_true(weft_rand_u64(&r1) == weft_rand_u64(&r2));
}

/* ---- reader / writer ----------------------------------------------------- */

static void test_reader(void **state) {
  (void)state;
  const uint8_t data[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  weft_rd r;
  uint8_t u8;
  uint16_t u16;
  uint32_t u24, u32;
  uint64_t u64;
  weft_rd_init(&r, data, sizeof(data));
  assert_int_equal(weft_rd_u8(&r, &u8), 0);
  assert_int_equal(u8, 1);
  assert_int_equal(weft_rd_u16(&r, &u16), 0);
  assert_int_equal(u16, 0x0203);
  assert_int_equal(weft_rd_u24(&r, &u24), 0);
  assert_int_equal(u24, 0x040506);
  assert_int_equal(weft_rd_left(&r), 5);
  assert_int_equal(weft_rd_u64(&r, &u64), WEFT_ERR_PARSE); /* 5 < 8 */
  assert_true(u64 == 0);
  /* sticky: even a read that would fit fails now */
  assert_int_equal(weft_rd_u8(&r, &u8), WEFT_ERR_PARSE);
  assert_int_equal(u8, 0);
  assert_int_equal(weft_rd_left(&r), 0);
  assert_int_equal(r.err, WEFT_ERR_PARSE);
  /* views and sub-readers */
  weft_rd_init(&r, data, sizeof(data));
  const uint8_t *v;
  weft_rd sub;
  assert_int_equal(weft_rd_view(&r, 3, &v), 0);
  assert_ptr_equal(v, data);
  assert_int_equal(weft_rd_sub(&r, 4, &sub), 0);
  assert_int_equal(weft_rd_u32(&sub, &u32), 0);
  assert_int_equal(u32, 0x04050607);
  assert_int_equal(weft_rd_u8(&sub, &u8), WEFT_ERR_PARSE);
  assert_int_equal(r.err, 0); /* the parent is unaffected */
  assert_int_equal(weft_rd_sub(&r, 5, &sub), WEFT_ERR_PARSE);
  assert_int_equal(sub.err, WEFT_ERR_PARSE);
  weft_rd_init(&r, NULL, 100);
  assert_int_equal(weft_rd_left(&r), 0);
  assert_int_equal(weft_rd_skip(&r, 1), WEFT_ERR_PARSE);
}

static void test_writer(void **state) {
  (void)state;
  uint8_t buf[8];
  weft_wr w;
  weft_wr_init(&w, buf, sizeof(buf));
  assert_int_equal(weft_wr_u16(&w, 0x0102), 0);
  assert_int_equal(weft_wr_u24(&w, 0x030405), 0);
  uint8_t *hole;
  assert_int_equal(weft_wr_reserve(&w, 1, &hole), 0);
  *hole = 6;
  assert_int_equal(weft_wr_left(&w), 2);
  assert_int_equal(weft_wr_u32(&w, 0xdeadbeef), WEFT_ERR_BUFFER_TOO_SMALL);
  /* sticky: nothing more is written */
  assert_int_equal(weft_wr_u8(&w, 7), WEFT_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(w.pos, 6);
  const uint8_t want[6] = {1, 2, 3, 4, 5, 6};
  assert_memory_equal(buf, want, 6);
  weft_wr_init(&w, buf, sizeof(buf));
  assert_int_equal(weft_wr_u64(&w, 0x0102030405060708ull), 0);
  assert_int_equal(weft_wr_bytes(&w, "x", 0), 0);
  assert_int_equal(weft_wr_zero(&w, 1), WEFT_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(weft_get_u32(buf + 4), 0x05060708u);
  weft_put_u16(buf, 0xabcd);
  assert_int_equal(weft_get_u16(buf), 0xabcd);
}

/* ---- HMAC (RFC 2202, RFC 4231) ------------------------------------------- */

typedef struct hmac_case {
  uint8_t key[131];
  size_t keylen;
  uint8_t data[64];
  size_t datalen;
  const char *sha1, *sha256;
} hmac_case;

static void hex_to(const char *hex, uint8_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned v = 0;
    assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
    out[i] = (uint8_t)v;
  }
}

static void fill_cases(hmac_case *c) {
  static const char *const s1[] = {"b617318655057264e28bc0b6fb378c8ef146be00",
                                   "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
                                   "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
                                   "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
                                   "aa4ae5e15272d00e95705637ce8a3b55ed402112"};
  static const char *const s256[] = {
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"};
  static const char big[] =
      "Test Using Larger Than Block-Size Key - Hash Key First";
  memset(c, 0, 5 * sizeof(*c));
  memset(c[0].key, 0x0b, c[0].keylen = 20);
  memcpy(c[0].data, "Hi There", c[0].datalen = 8);
  memcpy(c[1].key, "Jefe", c[1].keylen = 4);
  memcpy(c[1].data, "what do ya want for nothing?", c[1].datalen = 28);
  memset(c[2].key, 0xaa, c[2].keylen = 20);
  memset(c[2].data, 0xdd, c[2].datalen = 50);
  for (size_t i = 0; i < 25; i++)
    c[3].key[i] = (uint8_t)(i + 1);
  c[3].keylen = 25;
  memset(c[3].data, 0xcd, c[3].datalen = 50);
  /* case 6: SHA-1 (RFC 2202) takes an 80-byte key, SHA-256 (RFC 4231) 131 */
  memset(c[4].key, 0xaa, c[4].keylen = 131);
  memcpy(c[4].data, big, c[4].datalen = sizeof(big) - 1);
  for (size_t i = 0; i < 5; i++) {
    c[i].sha1 = s1[i];
    c[i].sha256 = s256[i];
  }
}

static void check_hmac(int alg, const uint8_t *key, size_t keylen,
                       const hmac_case *c, const char *hex) {
  size_t n = weft_hash_len(alg);
  uint8_t want[32], got[32];
  hex_to(hex, want, n);
  /* the data split in two buffers, as STUN passes header and body */
  const void *bufs[2] = {c->data, c->data + c->datalen / 2};
  const size_t lens[2] = {c->datalen / 2, c->datalen - c->datalen / 2};
  assert_int_equal(weft_hmac(alg, key, keylen, bufs, lens, 2, got), 0);
  assert_memory_equal(got, want, n);
  weft_hmac_key *k = NULL;
  assert_int_equal(weft_hmac_key_new(&k, alg, key, keylen), 0);
  for (int twice = 0; twice < 2; twice++) {
    memset(got, 0, sizeof(got));
    assert_int_equal(weft_hmac_key_compute(k, bufs, lens, 2, got), 0);
    assert_memory_equal(got, want, n);
  }
  weft_hmac_key_del(k);
  weft_hmac_pre pre;
  assert_int_equal(weft_hmac_pre_init(&pre, alg, key, keylen), 0);
  for (int twice = 0; twice < 2; twice++) {
    memset(got, 0, sizeof(got));
    assert_int_equal(weft_hmac_pre_compute(&pre, bufs, lens, 2, got), 0);
    assert_memory_equal(got, want, n);
  }
  weft_hmac_pre_clear(&pre);
}

static void test_hmac_vectors(void **state) {
  (void)state;
  hmac_case c[5];
  fill_cases(c);
  for (size_t i = 0; i < 5; i++) {
    size_t k1 = i == 4 ? 80 : c[i].keylen;
    check_hmac(WEFT_HASH_SHA1, c[i].key, k1, &c[i], c[i].sha1);
    check_hmac(WEFT_HASH_SHA256, c[i].key, c[i].keylen, &c[i], c[i].sha256);
  }
  weft_hmac_key *bad = NULL;
  assert_int_not_equal(weft_hmac_key_new(&bad, 99, "k", 1), 0);
  assert_null(bad);
  weft_hmac_pre pre;
  assert_int_equal(weft_hmac_pre_init(&pre, WEFT_HASH_MD5, "k", 1),
                   WEFT_ERR_INVALID_ARGUMENT);
  assert_true(weft_ct_equal("abc", "abc", 3));
  assert_false(weft_ct_equal("abc", "abd", 3));
  assert_int_equal(weft_hash_len(WEFT_HASH_MD5), 16);
  assert_int_equal(weft_hash_len(99), 0);
  uint8_t out[64];
  assert_int_equal(weft_hash1(99, "x", 1, out), WEFT_ERR_CRYPTO);
  /* SHA-256("abc") (FIPS 180-2) */
  uint8_t want[32];
  hex_to("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
         want, 32);
  assert_int_equal(weft_hash1(WEFT_HASH_SHA256, "abc", 3, out), 0);
  assert_memory_equal(out, want, 32);
}

/* ---- errors -------------------------------------------------------------- */

static void test_strerror(void **state) {
  (void)state;
  static const int codes[] = {
      WEFT_OK,
      WEFT_ERR_INVALID_ARGUMENT,
      WEFT_ERR_NOMEM,
      WEFT_ERR_BUFFER_TOO_SMALL,
      WEFT_ERR_PARSE,
      WEFT_ERR_NOT_FOUND,
      WEFT_ERR_QUEUE_FULL,
      WEFT_ERR_INVALID_STATE,
      WEFT_ERR_UNSUPPORTED,
      WEFT_ERR_EXISTS,
      WEFT_ERR_LIMIT,
      WEFT_ERR_IO,
      WEFT_ERR_TIMEOUT,
      WEFT_ERR_ADDR_PARSE,
      WEFT_ERR_ADDR_IN_USE,
      WEFT_ERR_RESOLVE,
      WEFT_ERR_STUN_NOT_STUN,
      WEFT_ERR_STUN_MALFORMED,
      WEFT_ERR_STUN_FINGERPRINT,
      WEFT_ERR_STUN_INTEGRITY,
      WEFT_ERR_STUN_NO_INTEGRITY,
      WEFT_ERR_STUN_UNKNOWN_ATTRIBUTE,
      WEFT_ERR_STUN_TOO_MANY_ATTRIBUTES,
      WEFT_ERR_STUN_ERROR_RESPONSE,
      WEFT_ERR_STUN_TIMEOUT,
      WEFT_ERR_STUN_ATTRIBUTE_MISSING,
      WEFT_ERR_TURN_ALLOCATION,
      WEFT_ERR_TURN_AUTH,
      WEFT_ERR_TURN_QUOTA,
      WEFT_ERR_TURN_PERMISSION,
      WEFT_ERR_ICE_FAILED,
      WEFT_ERR_ICE_ROLE_CONFLICT,
      WEFT_ERR_ICE_CONSENT_EXPIRED,
      WEFT_ERR_ICE_CANDIDATE,
      WEFT_ERR_CRYPTO,
      WEFT_ERR_DTLS_HANDSHAKE,
      WEFT_ERR_DTLS_FINGERPRINT,
      WEFT_ERR_DTLS_ALERT,
      WEFT_ERR_DTLS_CLOSED,
      WEFT_ERR_CERTIFICATE,
      WEFT_ERR_SCTP_ABORTED,
      WEFT_ERR_SCTP_MALFORMED,
      WEFT_ERR_SCTP_MESSAGE_TOO_BIG,
      WEFT_ERR_SCTP_STREAM,
      WEFT_ERR_SCTP_CLOSED,
      WEFT_ERR_DATACHANNEL,
      WEFT_ERR_DATACHANNEL_CLOSED,
      WEFT_ERR_SRTP_AUTH,
      WEFT_ERR_SRTP_REPLAY,
      WEFT_ERR_RTP_MALFORMED,
      WEFT_ERR_RTCP_MALFORMED,
      WEFT_ERR_SDP_PARSE,
      WEFT_ERR_SDP_INVALID,
      WEFT_ERR_JSEP_STATE,
      WEFT_ERR_FATAL,
      WEFT_ERR_INTERNAL,
  };
  for (size_t i = 0; i < N(codes); i++) {
    const char *t = weft_strerror(codes[i]);
    assert_non_null(t);
    assert_true(strlen(t) > 0);
    assert_string_not_equal(t, "unknown error");
  }
  assert_string_equal(weft_strerror(-9999), "unknown error");
  assert_string_equal(weft_strerror(12345), "unknown error");
  assert_true(WEFT_ERR_IS_FATAL(WEFT_ERR_INTERNAL));
  assert_false(WEFT_ERR_IS_FATAL(WEFT_ERR_STUN_MALFORMED));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_crc_check_values),
      cmocka_unit_test(test_crc32c_hw_sw_agree),
      cmocka_unit_test(test_crc32_fast_path),
      cmocka_unit_test(test_addr_parse_format),
      cmocka_unit_test(test_addr_set_and_compare),
      cmocka_unit_test(test_addr_classify),
      cmocka_unit_test(test_pcg),
      cmocka_unit_test(test_reader),
      cmocka_unit_test(test_writer),
      cmocka_unit_test(test_hmac_vectors),
      cmocka_unit_test(test_strerror),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
