/* The signaling broker (tools/weft/signal_core.h): the PeerJS server's
 * protocol in virtual time, and weft's bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "signal_core.h"

#define MS WEFT_MILLISECONDS

typedef struct fixture {
  sig_broker *b;
  sig_config cfg;
  weft_pcg pcg;
  weft_rand rand;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof(*f));
  sig_config_default(&f->cfg);
  f->cfg.headroom = 16;
  weft_pcg_seed(&f->pcg, 1, 2);
  weft_rand_from_pcg(&f->rand, &f->pcg);
  f->cfg.rand = &f->rand;
  *state = f;
  return 0;
}

static sig_broker *broker(fixture *f) {
  assert_int_equal(sig_broker_new(&f->b, &f->cfg), 0);
  return f->b;
}

static int teardown(void **state) {
  fixture *f = *state;
  sig_broker_del(f->b);
  free(f);
  return 0;
}

/* Pops every queued message of @p s, joined by '\n', into a static text. */
static const char *out(sig_broker *b, sig_session *s) {
  static char text[65536];
  char *data;
  size_t len, n = 0;
  text[0] = '\0';
  while (sig_session_peek(b, s, &data, &len)) {
    assert_true(n + len + 2 < sizeof(text));
    if (n > 0)
      text[n++] = '\n';
    memcpy(text + n, data, len);
    n += len;
    text[n] = '\0';
    sig_session_pop(b, s);
  }
  return text;
}

static sig_session *conn(sig_broker *b, weft_tstamp now, const char *id,
                         const char *token, int expect) {
  sig_session *s = NULL;
  int r = sig_broker_connect(b, now, NULL, "ip", 2, "peerjs", id, token, &s);
  assert_int_equal(r, expect);
  assert_non_null(s);
  return s;
}

static void msg(sig_broker *b, weft_tstamp now, sig_session *s,
                const char *json) {
  sig_broker_recv(b, now, s, json, strlen(json));
}

static void test_open_and_id_taken(void **state) {
  sig_broker *b = broker(*state);
  sig_session *a = conn(b, 0, "alice", "t1", SIG_CONNECT_OPEN);
  assert_string_equal(out(b, a), "{\"type\":\"OPEN\"}");
  sig_session *x = conn(b, 0, "alice", "other", SIG_CONNECT_REJECTED);
  assert_string_equal(out(b, x),
                      "{\"type\":\"ID-TAKEN\",\"payload\":{\"msg\":\"ID is "
                      "taken\"}}");
  assert_true(sig_session_closing(x));
  assert_false(sig_session_closing(a));
  sig_broker_disconnect(b, x);
  assert_string_equal(sig_session_id(a), "alice");
}

static void test_connect_errors(void **state) {
  sig_broker *b = broker(*state);
  sig_session *s = NULL;
  assert_int_equal(
      sig_broker_connect(b, 0, NULL, NULL, 0, "wrong", "a", "t", &s),
      SIG_CONNECT_REJECTED);
  assert_string_equal(out(b, s), "{\"type\":\"ERROR\",\"payload\":{\"msg\":"
                                 "\"Invalid key provided\"}}");
  sig_broker_disconnect(b, s);
  assert_int_equal(
      sig_broker_connect(b, 0, NULL, NULL, 0, "peerjs", "a", NULL, &s),
      SIG_CONNECT_REJECTED);
  assert_string_equal(out(b, s),
                      "{\"type\":\"ERROR\",\"payload\":{\"msg\":\"No id, "
                      "token, or key supplied to websocket server\"}}");
  sig_broker_disconnect(b, s);
  assert_int_equal(
      sig_broker_connect(b, 0, NULL, NULL, 0, "peerjs", "", "t", &s),
      SIG_CONNECT_REJECTED);
  sig_broker_disconnect(b, s);
}

static void test_forward_adds_src(void **state) {
  sig_broker *b = broker(*state);
  sig_session *a = conn(b, 0, "a", "ta", SIG_CONNECT_OPEN);
  sig_session *c = conn(b, 0, "b", "tb", SIG_CONNECT_OPEN);
  out(b, a);
  out(b, c);
  msg(b, 1, a,
      "{ \"type\":\"OFFER\", \"payload\":{\"sdp\":\"v=0\\r\\n\", \"n\":[1, "
      "2.5]}, \"dst\":\"b\", \"extra\":1, \"src\":\"forged\"}");
  assert_string_equal(out(b, c), "{\"type\":\"OFFER\",\"src\":\"a\",\"dst\":"
                                 "\"b\",\"payload\":{\"sdp\":\"v=0\\r\\n\","
                                 "\"n\":[1,2.5]}}");
  assert_string_equal(out(b, a), "");
  msg(b, 2, c, "{\"type\":\"ANSWER\",\"dst\":\"a\"}");
  assert_string_equal(out(b, a),
                      "{\"type\":\"ANSWER\",\"src\":\"b\",\"dst\":\"a\"}");
  /* events say who has output */
  msg(b, 3, a, "{\"type\":\"CANDIDATE\",\"dst\":\"b\",\"payload\":null}");
  sig_event ev;
  int seen_b = 0;
  while (sig_broker_poll_event(b, &ev))
    seen_b |= ev.session == c && (ev.flags & SIG_EV_SEND);
  assert_true(seen_b);
  assert_string_equal(out(b, c), "{\"type\":\"CANDIDATE\",\"src\":\"a\","
                                 "\"dst\":\"b\",\"payload\":null}");
}

static void test_held_then_delivered(void **state) {
  sig_broker *b = broker(*state);
  sig_session *a = conn(b, 0, "a", "ta", SIG_CONNECT_OPEN);
  out(b, a);
  msg(b, 10 * MS, a, "{\"type\":\"OFFER\",\"dst\":\"b\",\"payload\":1}");
  msg(b, 20 * MS, a, "{\"type\":\"CANDIDATE\",\"dst\":\"b\",\"payload\":2}");
  msg(b, 20 * MS, a, "{\"type\":\"LEAVE\",\"dst\":\"b\"}"); /* dropped */
  assert_int_equal(sig_broker_deadline(b), 10 * MS + 5000 * MS);
  sig_session *c = conn(b, 4000 * MS, "b", "tb", SIG_CONNECT_OPEN);
  assert_string_equal(
      out(b, c),
      "{\"type\":\"OPEN\"}\n"
      "{\"type\":\"OFFER\",\"src\":\"a\",\"dst\":\"b\",\"payload\":1}\n"
      "{\"type\":\"CANDIDATE\",\"src\":\"a\",\"dst\":\"b\",\"payload\":2}");
  sig_broker_handle_timeout(b, 10000 * MS);
  assert_string_equal(out(b, a), ""); /* nothing left to expire */
}

static void test_expire(void **state) {
  sig_broker *b = broker(*state);
  sig_session *a = conn(b, 0, "a", "ta", SIG_CONNECT_OPEN);
  sig_session *c = conn(b, 0, "c", "tc", SIG_CONNECT_OPEN);
  out(b, a);
  out(b, c);
  msg(b, 1 * MS, a, "{\"type\":\"OFFER\",\"dst\":\"gone\",\"payload\":1}");
  msg(b, 2 * MS, c, "{\"type\":\"OFFER\",\"dst\":\"gone\",\"payload\":1}");
  msg(b, 3 * MS, a, "{\"type\":\"CANDIDATE\",\"dst\":\"gone\"}");
  weft_tstamp d = sig_broker_deadline(b);
  assert_int_equal(d, 5001 * MS);
  sig_broker_handle_timeout(b, d - 1);
  assert_string_equal(out(b, a), "");
  msg(b, d - 1, a, "{\"type\":\"HEARTBEAT\"}");
  msg(b, d - 1, c, "{\"type\":\"HEARTBEAT\"}");
  sig_broker_handle_timeout(b, d);
  /* one EXPIRE per sender, src and dst swapped */
  assert_string_equal(out(b, a),
                      "{\"type\":\"EXPIRE\",\"src\":\"gone\",\"dst\":\"a\"}");
  assert_string_equal(out(b, c),
                      "{\"type\":\"EXPIRE\",\"src\":\"gone\",\"dst\":\"c\"}");
  sig_session *g = conn(b, d + 1, "gone", "tg", SIG_CONNECT_OPEN);
  assert_string_equal(out(b, g), "{\"type\":\"OPEN\"}");
}

static void test_heartbeat_timeout(void **state) {
  fixture *f = *state;
  f->cfg.alive_timeout = 1000 * MS;
  sig_broker *b = broker(f);
  sig_session *a = conn(b, 0, "a", "ta", SIG_CONNECT_OPEN);
  sig_session *c = conn(b, 0, "c", "tc", SIG_CONNECT_OPEN);
  msg(b, 900 * MS, a, "{\"type\":\"HEARTBEAT\"}");
  assert_int_equal(sig_broker_deadline(b), 1000 * MS);
  sig_broker_handle_timeout(b, 1000 * MS);
  assert_true(sig_session_closing(c));
  assert_false(sig_session_closing(a));
  assert_null(sig_session_id(c));
  assert_int_equal(sig_broker_deadline(b), 1900 * MS);
  sig_event ev;
  int closed = 0;
  while (sig_broker_poll_event(b, &ev))
    closed |= ev.session == c && (ev.flags & SIG_EV_CLOSE);
  assert_true(closed);
  sig_broker_disconnect(b, c);
  /* the id is free again */
  sig_session *c2 = conn(b, 1001 * MS, "c", "new", SIG_CONNECT_OPEN);
  assert_string_equal(out(b, c2), "{\"type\":\"OPEN\"}");
}

static void test_takeover_same_token(void **state) {
  sig_broker *b = broker(*state);
  sig_session *a = conn(b, 0, "a", "ta", SIG_CONNECT_OPEN);
  sig_session *a2 = conn(b, 1, "a", "ta", SIG_CONNECT_OPEN);
  assert_true(sig_session_closing(a));
  assert_string_equal(out(b, a2), "{\"type\":\"OPEN\"}");
  sig_broker_disconnect(b, a); /* the old socket's close: a2 stays */
  assert_string_equal(sig_session_id(a2), "a");
}

static void test_bad_input(void **state) {
  fixture *f = *state;
  f->cfg.max_errors = 4;
  sig_broker *b = broker(f);
  sig_session *a = conn(b, 0, "a", "ta", SIG_CONNECT_OPEN);
  sig_session *c = conn(b, 0, "c", "tc", SIG_CONNECT_OPEN);
  out(b, a);
  out(b, c);
  msg(b, 1, a, "{\"type\":\"OFFER\",\"dst\":\"c\""); /* truncated */
  assert_string_equal(out(b, a), "{\"type\":\"ERROR\",\"payload\":{\"msg\":"
                                 "\"Invalid message: not JSON\"}}");
  msg(b, 1, a, "{\"type\":\"OPEN\",\"dst\":\"c\"}");
  assert_string_equal(out(b, a), "{\"type\":\"ERROR\",\"payload\":{\"msg\":"
                                 "\"Invalid message: unknown type\"}}");
  msg(b, 1, a, "[1,2]");
  assert_string_equal(out(b, a), "{\"type\":\"ERROR\",\"payload\":{\"msg\":"
                                 "\"Invalid message: not a JSON object\"}}");
  assert_string_equal(out(b, c), ""); /* nothing reached the other peer */
  assert_false(sig_session_closing(a));
  sig_broker_recv_oversized(b, a);
  assert_string_equal(out(b, a), "{\"type\":\"ERROR\",\"payload\":{\"msg\":"
                                 "\"Message too large\"}}");
  assert_true(sig_session_closing(a)); /* the 4th error */
  assert_null(sig_session_id(a));
  sig_stats st;
  sig_broker_get_stats(b, &st);
  assert_int_equal(st.bad, 4);
  assert_int_equal(st.sessions, 1);
}

static void test_rate_limit(void **state) {
  fixture *f = *state;
  f->cfg.rate_per_s = 10;
  f->cfg.rate_burst = 5;
  f->cfg.max_errors = 1000;
  sig_broker *b = broker(f);
  sig_session *a = conn(b, 0, "a", "ta", SIG_CONNECT_OPEN);
  sig_session *c = conn(b, 0, "c", "tc", SIG_CONNECT_OPEN);
  out(b, a);
  out(b, c);
  int ok = 0;
  for (int i = 0; i < 20; i++) {
    msg(b, 0, a, "{\"type\":\"CANDIDATE\",\"dst\":\"c\"}");
    ok += strlen(out(b, c)) > 0;
  }
  assert_int_equal(ok, 6); /* one plus the burst */
  assert_non_null(strstr(out(b, a), "Too many messages"));
  msg(b, 100 * MS, a, "{\"type\":\"CANDIDATE\",\"dst\":\"c\"}");
  assert_true(strlen(out(b, c)) > 0); /* refilled */
}

static void test_held_limits(void **state) {
  fixture *f = *state;
  f->cfg.max_held_per_dst = 2;
  f->cfg.rate_per_s = 0;
  sig_broker *b = broker(f);
  sig_session *a = conn(b, 0, "a", "ta", SIG_CONNECT_OPEN);
  out(b, a);
  for (int i = 0; i < 3; i++)
    msg(b, 0, a, "{\"type\":\"CANDIDATE\",\"dst\":\"x\"}");
  assert_string_equal(out(b, a),
                      "{\"type\":\"EXPIRE\",\"src\":\"x\",\"dst\":\"a\"}");
  sig_stats st;
  sig_broker_get_stats(b, &st);
  assert_int_equal(st.held_now, 2);
}

static void test_slow_receiver(void **state) {
  fixture *f = *state;
  f->cfg.max_out_bytes = 200;
  f->cfg.rate_per_s = 0;
  sig_broker *b = broker(f);
  sig_session *a = conn(b, 0, "a", "ta", SIG_CONNECT_OPEN);
  sig_session *c = conn(b, 0, "c", "tc", SIG_CONNECT_OPEN);
  out(b, a); /* c never reads */
  for (int i = 0; i < 10; i++)
    msg(b, 0, a, "{\"type\":\"CANDIDATE\",\"dst\":\"c\",\"payload\":\"xxxx\"}");
  assert_true(sig_session_closing(c));
  assert_string_equal(out(b, a),
                      "{\"type\":\"LEAVE\",\"src\":\"c\",\"dst\":\"a\"}");
}

static void test_limits_on_connect(void **state) {
  fixture *f = *state;
  f->cfg.concurrent_limit = 2;
  f->cfg.max_per_addr = 1;
  sig_broker *b = broker(f);
  sig_session *s[4];
  assert_int_equal(
      sig_broker_connect(b, 0, NULL, "A", 1, "peerjs", "1", "t", &s[0]),
      SIG_CONNECT_OPEN);
  assert_int_equal(
      sig_broker_connect(b, 0, NULL, "A", 1, "peerjs", "2", "t", &s[1]),
      SIG_CONNECT_REJECTED);
  assert_non_null(strstr(out(b, s[1]), "Too many connections"));
  assert_int_equal(
      sig_broker_connect(b, 0, NULL, "B", 1, "peerjs", "3", "t", &s[2]),
      SIG_CONNECT_OPEN);
  assert_int_equal(
      sig_broker_connect(b, 0, NULL, "C", 1, "peerjs", "4", "t", &s[3]),
      SIG_CONNECT_REJECTED);
  assert_string_equal(out(b, s[3]),
                      "{\"type\":\"ERROR\",\"payload\":{\"msg\":\"Server has "
                      "reached its concurrent user limit\"}}");
  sig_broker_disconnect(b, s[0]); /* frees address A */
  sig_broker_disconnect(b, s[1]);
  assert_int_equal(
      sig_broker_connect(b, 0, NULL, "A", 1, "peerjs", "5", "t", &s[0]),
      SIG_CONNECT_OPEN);
}

static void test_ids_and_peers(void **state) {
  fixture *f = *state;
  f->cfg.allow_discovery = 1;
  sig_broker *b = broker(f);
  char id[37];
  assert_int_equal(sig_broker_new_id(b, id), 0);
  assert_int_equal(strlen(id), 36);
  assert_int_equal(id[14], '4');
  assert_int_equal(id[8], '-');
  conn(b, 0, "q\"x", "t", SIG_CONNECT_OPEN);
  char *p = sig_broker_peers_json(b);
  assert_string_equal(p, "[\"q\\\"x\"]");
  free(p);
  char buf[64];
  size_t n = sig_json_string(buf, "a\x01\n\\", 4);
  buf[n] = '\0';
  assert_string_equal(buf, "\"a\\u0001\\n\\\\\"");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_open_and_id_taken, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connect_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_forward_adds_src, setup, teardown),
      cmocka_unit_test_setup_teardown(test_held_then_delivered, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_expire, setup, teardown),
      cmocka_unit_test_setup_teardown(test_heartbeat_timeout, setup, teardown),
      cmocka_unit_test_setup_teardown(test_takeover_same_token, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_held_limits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_slow_receiver, setup, teardown),
      cmocka_unit_test_setup_teardown(test_limits_on_connect, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ids_and_peers, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
