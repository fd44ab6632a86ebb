/* SCTP codec: CRC-32c placement, round trips of every chunk type, and
 * rejection of truncated input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/crc.h"
#include "sctp/sctp_chunk.h"

static void test_crc32c_vector(void **state) {
  (void)state;
  assert_int_equal(weft_crc32c(0, "123456789", 9), 0xE3069283u);
}

static size_t one_chunk_packet(uint8_t *buf, size_t cap, int type) {
  weft_wr w;
  weft_wr_init(&w, buf, cap);
  weft_sctp_header_encode(&w, 5000, 5001, 0x11223344);
  size_t start;
  weft_sctp_chunk_begin(&w, (uint8_t)type, 0, &start);
  weft_sctp_chunk_end(&w, start);
  assert_int_equal(w.err, 0);
  weft_sctp_packet_seal(buf, w.pos);
  return w.pos;
}

static void test_header_and_checksum(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t len = one_chunk_packet(buf, sizeof(buf), WEFT_SCTP_COOKIE_ACK);
  assert_int_equal(len, 16);
  weft_sctp_header h;
  assert_int_equal(weft_sctp_packet_decode(&h, buf, len), 0);
  assert_int_equal(h.src_port, 5000);
  assert_int_equal(h.dst_port, 5001);
  assert_int_equal(h.vtag, 0x11223344u);
  /* The checksum is the CRC-32c with the field zeroed, stored LSB first. */
  uint8_t copy[64];
  memcpy(copy, buf, len);
  memset(copy + 8, 0, 4);
  uint32_t crc = weft_crc32c(0, copy, len);
  assert_int_equal(buf[8], crc & 0xff);
  assert_int_equal(buf[11], crc >> 24);
  buf[13] ^= 1;
  assert_int_equal(weft_sctp_packet_decode(&h, buf, len),
                   WEFT_ERR_SCTP_MALFORMED);
  assert_int_equal(weft_sctp_packet_decode(&h, buf, 11),
                   WEFT_ERR_SCTP_MALFORMED);
}

static void first_chunk(const uint8_t *buf, size_t len, weft_sctp_chunk *c) {
  weft_sctp_header h;
  weft_rd r;
  assert_int_equal(weft_sctp_packet_decode(&h, buf, len), 0);
  weft_sctp_chunks_begin(&r, buf, len);
  assert_int_equal(weft_sctp_chunk_next(&r, c), 1);
}

static void test_data_roundtrip(void **state) {
  (void)state;
  uint8_t buf[128], payload[5] = {1, 2, 3, 4, 5};
  weft_wr w;
  weft_wr_init(&w, buf, sizeof(buf));
  weft_sctp_header_encode(&w, 1, 2, 3);
  weft_sctp_data d = {.flags = WEFT_SCTP_DATA_B | WEFT_SCTP_DATA_E,
                      .tsn = 0xfffffffe,
                      .stream = 7,
                      .ssn = 9,
                      .ppid = 51,
                      .data = payload,
                      .len = 5};
  assert_int_equal(weft_sctp_data_encode(&w, &d), 0);
  assert_int_equal(w.pos, 12 + 16 + 5 + 3); /* padded */
  weft_sctp_packet_seal(buf, w.pos);
  weft_sctp_chunk c;
  first_chunk(buf, w.pos, &c);
  assert_int_equal(c.len, 21);
  weft_sctp_data o;
  assert_int_equal(weft_sctp_data_decode(&o, &c), 0);
  assert_int_equal(o.tsn, 0xfffffffeu);
  assert_int_equal(o.stream, 7);
  assert_int_equal(o.ssn, 9);
  assert_int_equal(o.ppid, 51);
  assert_int_equal(o.len, 5);
  assert_memory_equal(o.data, payload, 5);
  assert_int_equal(o.flags, 3);
}

static void test_init_roundtrip(void **state) {
  (void)state;
  uint8_t buf[256], cookie[10] = "cookiedat";
  weft_wr w;
  weft_wr_init(&w, buf, sizeof(buf));
  weft_sctp_header_encode(&w, 1, 2, 3);
  weft_sctp_init in = {.tag = 0xabcdef01,
                       .a_rwnd = 1 << 20,
                       .os = 1024,
                       .mis = 65535,
                       .initial_tsn = 42,
                       .cookie = cookie,
                       .cookie_len = sizeof(cookie)};
  assert_int_equal(weft_sctp_init_encode(&w, WEFT_SCTP_INIT_ACK, &in), 0);
  weft_sctp_packet_seal(buf, w.pos);
  weft_sctp_chunk c;
  first_chunk(buf, w.pos, &c);
  assert_int_equal(c.type, WEFT_SCTP_INIT_ACK);
  weft_sctp_init o;
  assert_int_equal(weft_sctp_init_decode(&o, &c), 0);
  assert_int_equal(o.tag, 0xabcdef01u);
  assert_int_equal(o.a_rwnd, 1u << 20);
  assert_int_equal(o.os, 1024);
  assert_int_equal(o.mis, 65535);
  assert_int_equal(o.initial_tsn, 42);
  assert_int_equal(o.cookie_len, sizeof(cookie));
  assert_memory_equal(o.cookie, cookie, sizeof(cookie));
  assert_true(o.forward_tsn);
  assert_true(o.reconfig);
  /* A truncated fixed part is refused. */
  c.vlen = 10;
  assert_int_equal(weft_sctp_init_decode(&o, &c), WEFT_ERR_SCTP_MALFORMED);
}

static void test_sack_roundtrip(void **state) {
  (void)state;
  uint8_t buf[128];
  uint16_t gaps[4] = {2, 3, 6, 9};
  uint32_t dups[1] = {77};
  weft_wr w;
  weft_wr_init(&w, buf, sizeof(buf));
  weft_sctp_header_encode(&w, 1, 2, 3);
  assert_int_equal(weft_sctp_sack_encode(&w, 100, 5000, gaps, 2, dups, 1), 0);
  weft_sctp_packet_seal(buf, w.pos);
  weft_sctp_chunk c;
  first_chunk(buf, w.pos, &c);
  weft_sctp_sack s;
  assert_int_equal(weft_sctp_sack_decode(&s, &c), 0);
  assert_int_equal(s.cum_tsn, 100);
  assert_int_equal(s.a_rwnd, 5000);
  assert_int_equal(s.ngaps, 2);
  assert_int_equal(s.ndups, 1);
  uint16_t a, b;
  weft_sctp_sack_gap(&s, 1, &a, &b);
  assert_int_equal(a, 6);
  assert_int_equal(b, 9);
  assert_int_equal(weft_get_u32(s.dups), 77);
  c.vlen -= 4; /* the dup TSN no longer fits */
  assert_int_equal(weft_sctp_sack_decode(&s, &c), WEFT_ERR_SCTP_MALFORMED);
}

static void test_fwd_tsn_and_reconfig(void **state) {
  (void)state;
  uint8_t buf[128];
  uint16_t pairs[4] = {1, 5, 2, 6};
  uint16_t streams[3] = {4, 5, 6};
  weft_wr w;
  weft_wr_init(&w, buf, sizeof(buf));
  weft_sctp_header_encode(&w, 1, 2, 3);
  assert_int_equal(weft_sctp_fwd_tsn_encode(&w, 1000, pairs, 2), 0);
  size_t start;
  weft_sctp_chunk_begin(&w, WEFT_SCTP_RE_CONFIG, 0, &start);
  weft_sctp_reconf_out_req_encode(&w, 10, 20, 30, streams, 3);
  weft_sctp_reconf_resp_encode(&w, 21, WEFT_SCTP_RECONF_SUCCESS_PERFORMED);
  assert_int_equal(weft_sctp_chunk_end(&w, start), 0);
  weft_sctp_packet_seal(buf, w.pos);
  weft_sctp_header h;
  weft_rd r;
  weft_sctp_chunk c;
  assert_int_equal(weft_sctp_packet_decode(&h, buf, w.pos), 0);
  weft_sctp_chunks_begin(&r, buf, w.pos);
  assert_int_equal(weft_sctp_chunk_next(&r, &c), 1);
  weft_sctp_fwd_tsn f;
  assert_int_equal(weft_sctp_fwd_tsn_decode(&f, &c), 0);
  assert_int_equal(f.new_cum_tsn, 1000);
  assert_int_equal(f.nstreams, 2);
  assert_int_equal(weft_get_u16(f.streams + 4), 2);
  assert_int_equal(weft_get_u16(f.streams + 6), 6);
  assert_int_equal(weft_sctp_chunk_next(&r, &c), 1);
  assert_int_equal(c.type, WEFT_SCTP_RE_CONFIG);
  weft_rd pr;
  weft_sctp_reconf_param p;
  weft_rd_init(&pr, c.value, c.vlen);
  assert_int_equal(weft_sctp_reconf_next(&pr, &p), 1);
  assert_int_equal(p.type, WEFT_SCTP_PARAM_OUT_SSN_RESET_REQ);
  assert_int_equal(p.req_sn, 10);
  assert_int_equal(p.resp_sn, 20);
  assert_int_equal(p.last_tsn, 30);
  assert_int_equal(p.nstreams, 3);
  assert_int_equal(weft_get_u16(p.streams + 4), 6);
  assert_int_equal(weft_sctp_reconf_next(&pr, &p), 1);
  assert_int_equal(p.type, WEFT_SCTP_PARAM_RECONFIG_RESP);
  assert_int_equal(p.resp_sn, 21);
  assert_int_equal(p.result, WEFT_SCTP_RECONF_SUCCESS_PERFORMED);
  assert_int_equal(weft_sctp_reconf_next(&pr, &p), 0);
  assert_int_equal(weft_sctp_chunk_next(&r, &c), 0);
}

static void test_bad_chunk_length(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t len = one_chunk_packet(buf, sizeof(buf), WEFT_SCTP_COOKIE_ACK);
  weft_put_u16(buf + 14, 200); /* longer than the packet */
  weft_sctp_packet_seal(buf, len);
  weft_sctp_header h;
  weft_rd r;
  weft_sctp_chunk c;
  assert_int_equal(weft_sctp_packet_decode(&h, buf, len), 0);
  weft_sctp_chunks_begin(&r, buf, len);
  assert_int_equal(weft_sctp_chunk_next(&r, &c), WEFT_ERR_SCTP_MALFORMED);
  weft_put_u16(buf + 14, 2); /* shorter than a chunk header */
  weft_sctp_packet_seal(buf, len);
  weft_sctp_chunks_begin(&r, buf, len);
  assert_int_equal(weft_sctp_chunk_next(&r, &c), WEFT_ERR_SCTP_MALFORMED);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_crc32c_vector),
      cmocka_unit_test(test_header_and_checksum),
      cmocka_unit_test(test_data_roundtrip),
      cmocka_unit_test(test_init_roundtrip),
      cmocka_unit_test(test_sack_roundtrip),
      cmocka_unit_test(test_fwd_tsn_and_reconfig),
      cmocka_unit_test(test_bad_chunk_length),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
