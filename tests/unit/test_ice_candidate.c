/* ICE candidate lines: parse, format, priorities. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "weft/ice.h"

static int parse(weft_ice_candidate *c, const char *s) {
  return weft_ice_candidate_parse(c, s, strlen(s));
}

static void test_chrome_host(void **state) {
  (void)state;
  weft_ice_candidate c;
  assert_int_equal(
      parse(&c, "candidate:842163049 1 udp 1677729535 192.168.1.7 54400 typ "
                "host generation 0 ufrag EsAw network-id 1 network-cost 10"),
      0);
  assert_string_equal(c.foundation, "842163049");
  assert_int_equal(c.component, 1);
  assert_int_equal(c.transport, WEFT_ICE_TRANSPORT_UDP);
  assert_int_equal(c.priority, 1677729535u);
  assert_int_equal(c.type, WEFT_ICE_CANDIDATE_HOST);
  assert_int_equal(weft_addr_family(&c.addr), AF_INET);
  assert_int_equal(weft_addr_port(&c.addr), 54400);
  assert_string_equal(c.ufrag, "EsAw");
  assert_int_equal(c.generation, 0);
  assert_int_equal(c.unresolved, 0);
  weft_addr want;
  weft_addr_parse(&want, "192.168.1.7:54400", 0);
  assert_true(weft_addr_equal(&c.addr, &want));
}

static void test_prefixes_and_srflx(void **state) {
  (void)state;
  weft_ice_candidate c;
  const char *line = "a=candidate:1 1 UDP 1694498815 203.0.113.9 40000 typ "
                     "srflx raddr 10.0.0.2 rport 5000\r\n";
  assert_int_equal(parse(&c, line), 0);
  assert_int_equal(c.type, WEFT_ICE_CANDIDATE_SRFLX);
  assert_int_equal(weft_addr_family(&c.related), AF_INET);
  assert_int_equal(weft_addr_port(&c.related), 5000);
  /* without any prefix */
  assert_int_equal(parse(&c, "1 1 udp 2130706431 ::1 9 typ host"), 0);
  assert_int_equal(weft_addr_family(&c.addr), AF_INET6);
  assert_int_equal(weft_addr_port(&c.addr), 9);
  /* relay and prflx */
  assert_int_equal(parse(&c, "candidate:3 2 udp 16777215 198.51.100.1 3478 "
                             "typ relay raddr 203.0.113.9 rport 40000"),
                   0);
  assert_int_equal(c.type, WEFT_ICE_CANDIDATE_RELAY);
  assert_int_equal(c.component, 2);
  assert_int_equal(parse(&c, "candidate:4 1 udp 1845501695 198.51.100.7 1 "
                             "typ prflx raddr 0.0.0.0 rport 0"),
                   0);
  assert_int_equal(c.type, WEFT_ICE_CANDIDATE_PRFLX);
}

static void test_tcp(void **state) {
  (void)state;
  weft_ice_candidate c;
  assert_int_equal(parse(&c, "candidate:5 1 tcp 1518280447 192.168.1.7 9 typ "
                             "host tcptype active generation 3"),
                   0);
  assert_int_equal(c.transport, WEFT_ICE_TRANSPORT_TCP);
  assert_int_equal(c.tcptype, WEFT_ICE_TCPTYPE_ACTIVE);
  assert_int_equal(c.generation, 3);
  /* tcp without tcptype is refused */
  assert_int_equal(parse(&c, "candidate:5 1 tcp 1518280447 192.168.1.7 9 typ "
                             "host"),
                   WEFT_ERR_ICE_CANDIDATE);
}

static void test_mdns(void **state) {
  (void)state;
  weft_ice_candidate c;
  assert_int_equal(
      parse(&c, "candidate:6 1 udp 2122260223 "
                "4f2c3b2e-1a2b-4c5d-8e9f-0123456789ab.local 51234 typ host"),
      0);
  assert_int_equal(c.unresolved, 1);
  assert_string_equal(c.hostname, "4f2c3b2e-1a2b-4c5d-8e9f-0123456789ab.local");
  assert_int_equal(weft_addr_family(&c.addr), AF_UNSPEC);
  char buf[WEFT_ICE_CANDIDATE_STRLEN];
  assert_true(weft_ice_candidate_format(&c, buf, sizeof(buf)) > 0);
  assert_non_null(strstr(buf, ".local 51234 typ host"));
  /* a non-.local name is refused */
  assert_int_equal(parse(&c, "candidate:6 1 udp 1 example.com 1 typ host"),
                   WEFT_ERR_ICE_CANDIDATE);
}

static void test_invalid(void **state) {
  (void)state;
  static const char *const bad[] = {
      "",
      "candidate:",
      "candidate:1 1 udp 1 1.2.3.4 5 host",       /* no typ */
      "candidate:1 1 udp 1 1.2.3.4 5 typ",        /* no type */
      "candidate:1 1 udp 1 1.2.3.4 5 typ magic",  /* bad type */
      "candidate:1 0 udp 1 1.2.3.4 5 typ host",   /* component 0 */
      "candidate:1 257 udp 1 1.2.3.4 5 typ host", /* component too big */
      "candidate:1 1 sctp 1 1.2.3.4 5 typ host",  /* transport */
      "candidate:1 1 udp 0 1.2.3.4 5 typ host",   /* priority 0 */
      "candidate:1 1 udp 4294967296 1.2.3.4 5 typ host",
      "candidate:1 1 udp 1 1.2.3.4 65536 typ host", /* port */
      "candidate:1 1 udp 1 1.2.3.4 -1 typ host",
      "candidate:1 1 udp 1 1.2.3.256 5 typ host", /* address */
      "candidate:1 1 udp 1 1.2.3.4:5 5 typ host",
      "candidate:1 1 udp 1 1.2.3.4 5 typ host raddr", /* odd extension */
      "candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.2.3.4", /* no rport */
      "candidate:1 1 udp 1 1.2.3.4 5 typ host generation x",
      "candidate:f-o 1 udp 1 1.2.3.4 5 typ host", /* foundation chars */
      "candidate:123456789012345678901234567890123 1 udp 1 1.2.3.4 5 typ host",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    weft_ice_candidate c;
    memset(&c, 0xAA, sizeof(c));
    int rv = parse(&c, bad[i]);
    if (rv != WEFT_ERR_ICE_CANDIDATE)
      fail_msg("accepted: \"%s\"", bad[i]);
    assert_int_equal(c.priority, 0); /* zeroed on error */
  }
  assert_int_equal(weft_ice_candidate_parse(NULL, "x", 1),
                   WEFT_ERR_INVALID_ARGUMENT);
}

static void test_round_trip(void **state) {
  (void)state;
  static const char *const lines[] = {
      "candidate:842163049 1 udp 1677729535 192.168.1.7 54400 typ host",
      ("candidate:1 1 udp 1694498815 203.0.113.9 40000 typ srflx raddr "
       "10.0.0.2 rport 5000 generation 2 ufrag abcd"),
      "candidate:7 1 udp 2130706431 2001:db8::1 9 typ host",
      "candidate:5 1 tcp 1518280447 192.168.1.7 9 typ host tcptype passive",
  };
  for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
    weft_ice_candidate c, d;
    char buf[WEFT_ICE_CANDIDATE_STRLEN];
    assert_int_equal(parse(&c, lines[i]), 0);
    int n = weft_ice_candidate_format(&c, buf, sizeof(buf));
    assert_int_equal(n, (int)strlen(lines[i]));
    assert_string_equal(buf, lines[i]);
    assert_int_equal(parse(&d, buf), 0);
    assert_memory_equal(&c, &d, sizeof(c));
  }
}

static void test_format_small_buffer(void **state) {
  (void)state;
  weft_ice_candidate c;
  assert_int_equal(parse(&c, "candidate:1 1 udp 1 192.168.1.7 54400 typ host"),
                   0);
  char buf[20];
  assert_int_equal(weft_ice_candidate_format(&c, buf, sizeof(buf)),
                   WEFT_ERR_BUFFER_TOO_SMALL);
  assert_string_equal(buf, "");
}

static void test_priority(void **state) {
  (void)state;
  /* RFC 8445 5.1.2.1 with the recommended preferences */
  assert_int_equal(
      weft_ice_candidate_priority(WEFT_ICE_CANDIDATE_HOST, 65535, 1),
      2130706431u);
  assert_int_equal(
      weft_ice_candidate_priority(WEFT_ICE_CANDIDATE_SRFLX, 65535, 1),
      (100u << 24) + (65535u << 8) + 255);
  assert_int_equal(weft_ice_candidate_priority(WEFT_ICE_CANDIDATE_RELAY, 0, 2),
                   254);
  assert_string_equal(weft_ice_candidate_type_name(2), "prflx");
  assert_string_equal(weft_ice_candidate_type_name(9), "unknown");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chrome_host),
      cmocka_unit_test(test_prefixes_and_srflx),
      cmocka_unit_test(test_tcp),
      cmocka_unit_test(test_mdns),
      cmocka_unit_test(test_invalid),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_format_small_buffer),
      cmocka_unit_test(test_priority),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
