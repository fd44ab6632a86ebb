/* Tests of the sans-IO TURN client against weft's TURN server core, both
 * in memory, in virtual time, with a scripted peer and optional loss. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "weft/turn.h"

#define SEC WEFT_SECONDS
#define MS WEFT_MILLISECONDS

typedef struct world {
  weft_turn_server *srv;
  weft_turn_client *cli;
  weft_turn_path path; /* the client's path at the server */
  weft_tstamp now;
  int drop_to_server; /* client datagrams to drop */
  int server_down;    /* drop everything to the server */
  uint32_t relay_id;
  /* what reached the peer */
  int peer_rx;
  uint8_t peer_last[256];
  size_t peer_last_len;
  weft_addr peer_last_from;
  /* what the client got from peers */
  int cli_rx;
  uint8_t cli_last[256];
  size_t cli_last_len;
  weft_addr cli_last_peer;
  weft_turn_client_event evs[64];
  weft_tstamp ev_at[64];
  int nevs;
} world;

static int relay_open(void *ud, uint32_t id, int family, int even_port,
                      const weft_turn_path *client, weft_addr *out) {
  world *w = ud;
  (void)even_port;
  (void)client;
  w->relay_id = id;
  return weft_addr_parse(out, family == AF_INET ? "192.0.2.1" : "[2001:db8::1]",
                         (uint16_t)(50000 + id));
}

static void relay_close(void *ud, uint32_t id) {
  (void)ud;
  (void)id;
}

static void world_init(world *w, int rest, uint8_t transport,
                       const char *password) {
  memset(w, 0, sizeof(*w));
  w->now = 5000 * SEC;
  weft_turn_server_settings ss;
  weft_turn_server_settings_default(&ss);
  ss.realm = "r";
  weft_turn_user users[1] = {{"u", "p"}};
  ss.users = users;
  ss.nusers = 1;
  ss.use_auth_secret = rest;
  ss.static_auth_secret = "north";
  ss.relay_open = relay_open;
  ss.relay_close = relay_close;
  ss.hook_user_data = w;
  assert_int_equal(weft_turn_server_new(&w->srv, &ss, NULL), 0);
  weft_turn_server_set_unix_time(w->srv, w->now, 1700000000);
  w->path.sock = 1;
  w->path.transport = transport;
  weft_addr_parse(&w->path.local, "203.0.113.1:3478", 0);
  weft_addr_parse(&w->path.remote, "198.51.100.10:40000", 0);
  weft_turn_client_settings cs;
  weft_turn_client_settings_default(&cs);
  cs.server = w->path.local;
  cs.transport = transport;
  static char name[64], pass[64];
  if (rest) {
    snprintf(name, sizeof(name), "%u:alice", 1700000000u + 86400u);
    weft_turn_rest_password("north", name, pass, sizeof(pass));
    cs.username = name;
    cs.password = password ? password : pass;
  } else {
    cs.username = "u";
    cs.password = password ? password : "p";
  }
  assert_int_equal(weft_turn_client_new(&w->cli, &cs, NULL), 0);
}

static void world_free(world *w) {
  weft_turn_client_del(w->cli);
  weft_turn_server_del(w->srv);
}

/* Moves every queued datagram until both sides are quiet. */
static void pump(world *w) {
  uint8_t buf[WEFT_TURN_MAX_FRAME];
  for (int round = 0; round < 100; round++) {
    int moved = 0;
    weft_addr to;
    int n;
    while ((n = weft_turn_client_poll_transmit(w->cli, &to, buf, sizeof(buf))) >
           0) {
      moved = 1;
      assert_true(weft_addr_equal(&to, &w->path.local));
      if (w->server_down || w->drop_to_server > 0) {
        w->drop_to_server -= w->drop_to_server > 0;
        continue;
      }
      weft_turn_server_recv(w->srv, w->now, &w->path, buf, (size_t)n);
    }
    weft_turn_transmit tx;
    while ((n = weft_turn_server_poll_transmit(w->srv, &tx, buf, sizeof(buf))) >
           0) {
      moved = 1;
      if (tx.kind == WEFT_TURN_TX_RELAY) {
        w->peer_rx++;
        memcpy(w->peer_last, buf, (size_t)n < 256 ? (size_t)n : 256);
        w->peer_last_len = (size_t)n;
        continue;
      }
      weft_addr peer;
      const uint8_t *pl;
      size_t plen;
      int r = weft_turn_client_recv(w->cli, w->now, buf, (size_t)n, &peer, &pl,
                                    &plen);
      assert_true(r >= 0);
      if (r == 1) {
        w->cli_rx++;
        memcpy(w->cli_last, pl, plen < 256 ? plen : 256);
        w->cli_last_len = plen;
        w->cli_last_peer = peer;
      }
    }
    weft_turn_client_event ev;
    while (weft_turn_client_poll_event(w->cli, &ev))
      if (w->nevs < 64) {
        w->ev_at[w->nevs] = w->now;
        w->evs[w->nevs++] = ev;
      }
    weft_turn_server_event sev;
    while (weft_turn_server_poll_event(w->srv, &sev))
      ;
    if (!moved)
      return;
  }
  fail_msg("pump did not settle");
}

/* Runs virtual time to @p until, jumping to each deadline. */
static void run_until(world *w, weft_tstamp until) {
  for (int i = 0; i < 100000; i++) {
    pump(w);
    weft_tstamp d = weft_turn_client_deadline(w->cli);
    weft_tstamp ds = weft_turn_server_deadline(w->srv);
    if (ds < d)
      d = ds;
    if (d > until)
      break;
    if (d > w->now)
      w->now = d;
    weft_turn_client_handle_timeout(w->cli, w->now);
    weft_turn_server_handle_timeout(w->srv, w->now);
  }
  w->now = until;
  pump(w);
}

static int count_ev(const world *w, int type) {
  int n = 0;
  for (int i = 0; i < w->nevs; i++)
    n += w->evs[i].type == type;
  return n;
}

static const weft_turn_client_event *last_ev(const world *w, int type) {
  for (int i = w->nevs; i-- > 0;)
    if (w->evs[i].type == type)
      return &w->evs[i];
  return NULL;
}

static void peer_sends(world *w, const char *from, const char *text) {
  weft_addr a;
  weft_addr_parse(&a, from, 0);
  weft_turn_server_recv_relay(w->srv, w->now, w->relay_id, &a,
                              (const uint8_t *)text, strlen(text));
  pump(w);
}

static weft_turn_server_stats srv_stats(const world *w) {
  weft_turn_server_stats st;
  weft_turn_server_get_stats(w->srv, &st);
  return st;
}

static void allocate(world *w) {
  assert_int_equal(weft_turn_client_allocate(w->cli, w->now), 0);
  run_until(w, w->now + SEC);
  assert_int_equal(count_ev(w, WEFT_TURN_CLIENT_EV_ALLOCATED), 1);
  assert_true(weft_turn_client_is_allocated(w->cli));
}

static void test_allocate(void **state) {
  (void)state;
  world w;
  world_init(&w, 0, WEFT_TURN_UDP, NULL);
  allocate(&w);
  const weft_turn_client_event *ev = last_ev(&w, WEFT_TURN_CLIENT_EV_ALLOCATED);
  char t[WEFT_ADDR_STRLEN];
  assert_string_equal(weft_addr_format(&ev->relayed[0], t, sizeof(t)),
                      "192.0.2.1:50001");
  assert_int_equal(weft_addr_family(&ev->relayed[1]), AF_UNSPEC);
  assert_true(weft_addr_equal(&ev->mapped, &w.path.remote));
  assert_int_equal(ev->lifetime_s, 600);
  assert_int_equal(srv_stats(&w).auth_challenges, 1);
  assert_int_equal(srv_stats(&w).allocations_current, 1);
  /* a second allocate is a state error */
  assert_int_equal(weft_turn_client_allocate(w.cli, w.now),
                   WEFT_ERR_INVALID_STATE);
  world_free(&w);
}

static void test_send_indication_both_ways(void **state) {
  (void)state;
  world w;
  world_init(&w, 0, WEFT_TURN_UDP, NULL);
  allocate(&w);
  weft_addr peer;
  weft_addr_parse(&peer, "198.51.100.7:9000", 0);
  assert_int_equal(
      weft_turn_client_send(w.cli, w.now, &peer, (const uint8_t *)"x", 1),
      WEFT_ERR_TURN_PERMISSION);
  assert_int_equal(weft_turn_client_create_permission(w.cli, w.now, &peer), 0);
  run_until(&w, w.now + SEC);
  assert_int_equal(count_ev(&w, WEFT_TURN_CLIENT_EV_PERMISSION_CREATED), 1);
  assert_int_equal(
      weft_turn_client_send(w.cli, w.now, &peer, (const uint8_t *)"hello", 5),
      0);
  pump(&w);
  assert_int_equal(w.peer_rx, 1);
  assert_int_equal(w.peer_last_len, 5);
  assert_memory_equal(w.peer_last, "hello", 5);
  peer_sends(&w, "198.51.100.7:9000", "world");
  assert_int_equal(w.cli_rx, 1);
  assert_int_equal(w.cli_last_len, 5);
  assert_memory_equal(w.cli_last, "world", 5);
  assert_true(weft_addr_equal(&w.cli_last_peer, &peer));
  weft_turn_client_stats cs;
  weft_turn_client_get_stats(w.cli, &cs);
  assert_int_equal(cs.tx_send_ind, 1);
  assert_int_equal(cs.rx_data_ind, 1);
  world_free(&w);
}

static void test_channel(void **state) {
  (void)state;
  world w;
  world_init(&w, 0, WEFT_TURN_UDP, NULL);
  allocate(&w);
  weft_addr peer;
  weft_addr_parse(&peer, "198.51.100.7:9000", 0);
  int ch = weft_turn_client_bind_channel(w.cli, w.now, &peer);
  assert_int_equal(ch, 0x4000);
  run_until(&w, w.now + SEC);
  const weft_turn_client_event *ev =
      last_ev(&w, WEFT_TURN_CLIENT_EV_CHANNEL_BOUND);
  assert_non_null(ev);
  assert_int_equal(ev->channel, 0x4000);
  assert_int_equal(srv_stats(&w).channels_current, 1);
  assert_int_equal(
      weft_turn_client_send(w.cli, w.now, &peer, (const uint8_t *)"abc", 3), 0);
  pump(&w);
  assert_int_equal(w.peer_rx, 1);
  assert_memory_equal(w.peer_last, "abc", 3);
  peer_sends(&w, "198.51.100.7:9000", "defg");
  assert_int_equal(w.cli_rx, 1);
  assert_memory_equal(w.cli_last, "defg", 4);
  weft_turn_client_stats cs;
  weft_turn_client_get_stats(w.cli, &cs);
  assert_int_equal(cs.tx_channel_data, 1);
  assert_int_equal(cs.rx_channel_data, 1);
  world_free(&w);
}

static void test_refresh_keeps_everything_alive(void **state) {
  (void)state;
  world w;
  world_init(&w, 0, WEFT_TURN_UDP, NULL);
  allocate(&w);
  weft_addr p1, p2;
  weft_addr_parse(&p1, "198.51.100.7:9000", 0);
  weft_addr_parse(&p2, "198.51.100.8:9000", 0);
  weft_turn_client_bind_channel(w.cli, w.now, &p1);
  weft_turn_client_create_permission(w.cli, w.now, &p2);
  weft_tstamp start = w.now;
  /* two hours: allocation (600 s), permission (300 s), channel (600 s) and
   * nonce (600 s) all expire many times over unless refreshed */
  run_until(&w, start + 7200 * SEC);
  assert_int_equal(srv_stats(&w).allocations_current, 1);
  assert_int_equal(count_ev(&w, WEFT_TURN_CLIENT_EV_ALLOCATION_LOST), 0);
  assert_true(count_ev(&w, WEFT_TURN_CLIENT_EV_REFRESHED) >= 12);
  weft_turn_client_stats cs;
  weft_turn_client_get_stats(w.cli, &cs);
  assert_true(cs.stale_nonces >= 1);
  peer_sends(&w, "198.51.100.7:9000", "via channel");
  peer_sends(&w, "198.51.100.8:9000", "via permission");
  assert_int_equal(w.cli_rx, 2);
  weft_turn_client_get_stats(w.cli, &cs);
  assert_int_equal(cs.rx_channel_data, 1);
  assert_int_equal(cs.rx_data_ind, 1);
  world_free(&w);
}

static void test_close_deallocates(void **state) {
  (void)state;
  world w;
  world_init(&w, 0, WEFT_TURN_UDP, NULL);
  allocate(&w);
  assert_int_equal(weft_turn_client_close(w.cli, w.now), 0);
  run_until(&w, w.now + SEC);
  assert_int_equal(count_ev(&w, WEFT_TURN_CLIENT_EV_CLOSED), 1);
  assert_int_equal(srv_stats(&w).allocations_current, 0);
  assert_false(weft_turn_client_is_allocated(w.cli));
  weft_addr peer;
  weft_addr_parse(&peer, "198.51.100.7:9000", 0);
  assert_int_equal(
      weft_turn_client_send(w.cli, w.now, &peer, (const uint8_t *)"x", 1),
      WEFT_ERR_INVALID_STATE);
  world_free(&w);
}

static void test_wrong_password(void **state) {
  (void)state;
  world w;
  world_init(&w, 0, WEFT_TURN_UDP, "nope");
  weft_turn_client_allocate(w.cli, w.now);
  run_until(&w, w.now + 60 * SEC);
  const weft_turn_client_event *ev =
      last_ev(&w, WEFT_TURN_CLIENT_EV_ALLOCATE_FAILED);
  assert_non_null(ev);
  assert_int_equal(ev->error_code, 401);
  assert_int_equal(srv_stats(&w).allocations_current, 0);
  world_free(&w);
}

static void test_retransmit_and_timeout(void **state) {
  (void)state;
  world w;
  world_init(&w, 0, WEFT_TURN_UDP, NULL);
  w.drop_to_server = 2; /* the first two sends are lost */
  weft_turn_client_allocate(w.cli, w.now);
  run_until(&w, w.now + 10 * SEC);
  assert_int_equal(count_ev(&w, WEFT_TURN_CLIENT_EV_ALLOCATED), 1);
  weft_turn_client_stats cs;
  weft_turn_client_get_stats(w.cli, &cs);
  assert_int_equal(cs.retransmits, 2);
  world_free(&w);

  world_init(&w, 0, WEFT_TURN_UDP, NULL);
  w.server_down = 1;
  weft_tstamp t0 = w.now;
  weft_turn_client_allocate(w.cli, w.now);
  run_until(&w, t0 + 100 * SEC);
  const weft_turn_client_event *ev =
      last_ev(&w, WEFT_TURN_CLIENT_EV_ALLOCATE_FAILED);
  assert_non_null(ev);
  assert_int_equal(ev->error_code, 0);
  weft_turn_client_get_stats(w.cli, &cs);
  assert_int_equal(cs.requests_sent, 7); /* 7 sends in all */
  assert_int_equal(cs.retransmits, 6);
  /* RFC 8489: 500 ms doubling, the last wait 16 RTO: 39.5 s */
  assert_int_equal(w.ev_at[ev - w.evs] - t0, 39500 * MS);
  world_free(&w);
}

static void test_rest_api(void **state) {
  (void)state;
  world w;
  world_init(&w, 1, WEFT_TURN_UDP, NULL);
  allocate(&w);
  world_free(&w);
  world_init(&w, 1, WEFT_TURN_UDP, "bm90IGl0");
  weft_turn_client_allocate(w.cli, w.now);
  run_until(&w, w.now + 60 * SEC);
  assert_int_equal(count_ev(&w, WEFT_TURN_CLIENT_EV_ALLOCATE_FAILED), 1);
  world_free(&w);
}

static void test_tcp_framing(void **state) {
  (void)state;
  world w;
  world_init(&w, 0, WEFT_TURN_TCP, NULL);
  w.path.sock = 1234;
  allocate(&w);
  weft_addr peer;
  weft_addr_parse(&peer, "198.51.100.7:9000", 0);
  weft_turn_client_bind_channel(w.cli, w.now, &peer);
  run_until(&w, w.now + SEC);
  /* 5 bytes: a padded ChannelData frame of 12 bytes on the stream */
  assert_int_equal(
      weft_turn_client_send(w.cli, w.now, &peer, (const uint8_t *)"abcde", 5),
      0);
  uint8_t buf[64];
  weft_addr to;
  assert_int_equal(weft_turn_client_poll_transmit(w.cli, &to, buf, 64), 12);
  weft_turn_server_recv(w.srv, w.now, &w.path, buf, 12);
  pump(&w);
  assert_int_equal(w.peer_rx, 1);
  assert_int_equal(w.peer_last_len, 5);
  world_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_allocate),
      cmocka_unit_test(test_send_indication_both_ways),
      cmocka_unit_test(test_channel),
      cmocka_unit_test(test_refresh_keeps_everything_alive),
      cmocka_unit_test(test_close_deallocates),
      cmocka_unit_test(test_wrong_password),
      cmocka_unit_test(test_retransmit_and_timeout),
      cmocka_unit_test(test_rest_api),
      cmocka_unit_test(test_tcp_framing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
