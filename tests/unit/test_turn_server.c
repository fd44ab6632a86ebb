/* Tests of the sans-IO TURN server core (src/turn/), in virtual time, with
 * a fake relay-socket hook. */
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
#define T0 (1000 * SEC)

/* ---- fake relay sockets -------------------------------------------------- */

typedef struct relays {
  int opened, closed;
  int fail; /* error the next open returns */
  uint32_t last_id;
} relays;

static int relay_open(void *ud, uint32_t id, int family, int even_port,
                      const weft_turn_path *client, weft_addr *out) {
  relays *r = ud;
  (void)even_port;
  (void)client;
  if (r->fail) {
    int f = r->fail;
    r->fail = 0;
    return f;
  }
  r->opened++;
  r->last_id = id;
  return weft_addr_parse(out, family == AF_INET ? "192.0.2.1" : "[2001:db8::1]",
                         (uint16_t)(50000 + id));
}

static void relay_close(void *ud, uint32_t id) {
  relays *r = ud;
  (void)id;
  r->closed++;
}

/* ---- a test client ---------------------------------------------------- */

typedef struct tc {
  weft_turn_server *s;
  weft_turn_path path;
  const char *user, *pass, *realm;
  char nonce[128];
  uint8_t txid[12];
  uint32_t seq;
  uint8_t buf[2048];
  weft_stun_msg resp;
  uint8_t rbuf[WEFT_TURN_MAX_FRAME];
  weft_turn_transmit tx;
} tc;

static relays R;

static weft_turn_server *new_server(weft_turn_server_settings *st) {
  st->relay_open = relay_open;
  st->relay_close = relay_close;
  st->hook_user_data = &R;
  weft_turn_server *s = NULL;
  assert_int_equal(weft_turn_server_new(&s, st, NULL), 0);
  return s;
}

static weft_turn_server *default_server(void) {
  memset(&R, 0, sizeof(R));
  weft_turn_server_settings st;
  weft_turn_server_settings_default(&st);
  st.realm = "r";
  weft_turn_user users[2] = {{"u", "p"}, {"v", "q"}};
  st.users = users;
  st.nusers = 2;
  return new_server(&st);
}

static void tc_init(tc *c, weft_turn_server *s, const char *client) {
  memset(c, 0, sizeof(*c));
  c->s = s;
  c->user = "u";
  c->pass = "p";
  c->realm = "r";
  c->path.sock = 1;
  c->path.transport = WEFT_TURN_UDP;
  weft_addr_parse(&c->path.local, "203.0.113.1:3478", 0);
  weft_addr_parse(&c->path.remote, client, 0);
}

static void tc_start(tc *c, weft_stun_builder *b, uint16_t method,
                     uint8_t cls) {
  c->seq++;
  memset(c->txid, 0, sizeof(c->txid));
  memcpy(c->txid, &c->seq, sizeof(c->seq));
  weft_stun_builder_init(b, c->buf, sizeof(c->buf), method, cls, c->txid);
}

static void tc_key(const tc *c, uint8_t *key, size_t *keylen) {
  assert_int_equal(weft_stun_long_term_key(WEFT_STUN_PASSWORD_MD5, c->user,
                                           c->realm, c->pass, key, keylen),
                   0);
}

/* Adds the credentials and sends the request. */
static void tc_send_signed(tc *c, weft_stun_builder *b, weft_tstamp now) {
  weft_stun_builder_add_str(b, WEFT_STUN_ATTR_USERNAME, c->user);
  weft_stun_builder_add_str(b, WEFT_STUN_ATTR_REALM, c->realm);
  weft_stun_builder_add_str(b, WEFT_STUN_ATTR_NONCE, c->nonce);
  uint8_t key[32];
  size_t keylen;
  tc_key(c, key, &keylen);
  weft_stun_builder_add_integrity(b, key, keylen);
  weft_stun_builder_add_fingerprint(b);
  int n = weft_stun_builder_finish(b);
  assert_true(n > 0);
  assert_int_equal(
      weft_turn_server_recv(c->s, now, &c->path, c->buf, (size_t)n), 0);
}

static void tc_send_raw(tc *c, weft_stun_builder *b, weft_tstamp now) {
  int n = weft_stun_builder_finish(b);
  assert_true(n > 0);
  assert_int_equal(
      weft_turn_server_recv(c->s, now, &c->path, c->buf, (size_t)n), 0);
}

/* Pops one transmit; returns its length (0 when none). */
static int tc_pop(tc *c) {
  int n =
      weft_turn_server_poll_transmit(c->s, &c->tx, c->rbuf, sizeof(c->rbuf));
  assert_true(n >= 0);
  return n;
}

/* Pops the response to the last request: its class, and its error code. */
static int tc_response(tc *c, int *code) {
  int n = tc_pop(c);
  assert_true(n > 0);
  assert_int_equal(c->tx.kind, WEFT_TURN_TX_CLIENT);
  assert_true(weft_addr_equal(&c->tx.remote, &c->path.remote));
  assert_int_equal(weft_stun_msg_decode(&c->resp, c->rbuf, (size_t)n), 0);
  assert_memory_equal(c->resp.txid, c->txid, 12);
  *code = 0;
  if (c->resp.cls == WEFT_STUN_ERROR) {
    const weft_stun_attr *e =
        weft_stun_msg_find(&c->resp, WEFT_STUN_ATTR_ERROR_CODE);
    assert_non_null(e);
    const char *reason;
    size_t rl;
    assert_int_equal(weft_stun_attr_error(e, code, &reason, &rl), 0);
    const weft_stun_attr *no =
        weft_stun_msg_find(&c->resp, WEFT_STUN_ATTR_NONCE);
    if (no != NULL) {
      memcpy(c->nonce, no->value, no->len);
      c->nonce[no->len] = '\0';
    }
  }
  return c->resp.cls;
}

static void add_transport(weft_stun_builder *b, uint8_t proto) {
  uint8_t v[4] = {proto, 0, 0, 0};
  weft_stun_builder_add(b, WEFT_STUN_ATTR_REQUESTED_TRANSPORT, v, 4);
}

/* Allocate: 401 first, then with credentials. Returns the final code. */
static int tc_allocate(tc *c, weft_tstamp now) {
  weft_stun_builder b;
  int code;
  if (c->nonce[0] == '\0') {
    tc_start(c, &b, WEFT_STUN_ALLOCATE, WEFT_STUN_REQUEST);
    add_transport(&b, 17);
    tc_send_raw(c, &b, now);
    assert_int_equal(tc_response(c, &code), WEFT_STUN_ERROR);
    assert_int_equal(code, 401);
    assert_non_null(weft_stun_msg_find(&c->resp, WEFT_STUN_ATTR_REALM));
  }
  tc_start(c, &b, WEFT_STUN_ALLOCATE, WEFT_STUN_REQUEST);
  add_transport(&b, 17);
  tc_send_signed(c, &b, now);
  tc_response(c, &code);
  return code;
}

static int tc_peer_request(tc *c, uint16_t method, const char *peer,
                           int channel, weft_tstamp now) {
  weft_stun_builder b;
  weft_addr a;
  int code;
  assert_int_equal(weft_addr_parse(&a, peer, 0), 0);
  tc_start(c, &b, method, WEFT_STUN_REQUEST);
  if (channel >= 0)
    weft_stun_builder_add_u32(&b, WEFT_STUN_ATTR_CHANNEL_NUMBER,
                              (uint32_t)channel << 16);
  weft_stun_builder_add_xor_addr(&b, WEFT_STUN_ATTR_XOR_PEER_ADDRESS, &a);
  tc_send_signed(c, &b, now);
  tc_response(c, &code);
  return code;
}

static int tc_refresh(tc *c, uint32_t lifetime, weft_tstamp now) {
  weft_stun_builder b;
  int code;
  tc_start(c, &b, WEFT_STUN_REFRESH, WEFT_STUN_REQUEST);
  weft_stun_builder_add_u32(&b, WEFT_STUN_ATTR_LIFETIME, lifetime);
  tc_send_signed(c, &b, now);
  tc_response(c, &code);
  return code;
}

static void tc_send_ind(tc *c, const char *peer, const char *data,
                        weft_tstamp now) {
  weft_stun_builder b;
  weft_addr a;
  weft_addr_parse(&a, peer, 0);
  tc_start(c, &b, WEFT_STUN_SEND, WEFT_STUN_INDICATION);
  weft_stun_builder_add_xor_addr(&b, WEFT_STUN_ATTR_XOR_PEER_ADDRESS, &a);
  weft_stun_builder_add(&b, WEFT_STUN_ATTR_DATA, data, strlen(data));
  tc_send_raw(c, &b, now);
}

static weft_turn_server_stats stats(const tc *c) {
  weft_turn_server_stats st;
  weft_turn_server_get_stats(c->s, &st);
  return st;
}

/* Feeds a datagram from @p peer into the relay of the last allocation. */
static void peer_send(tc *c, const char *peer, const char *data,
                      weft_tstamp now) {
  weft_addr a;
  weft_addr_parse(&a, peer, 0);
  assert_int_equal(weft_turn_server_recv_relay(c->s, now, R.last_id, &a,
                                               (const uint8_t *)data,
                                               strlen(data)),
                   0);
}

/* ---- tests ------------------------------------------------------------ */

static void test_allocate_flow(void **state) {
  (void)state;
  tc c;
  tc_init(&c, default_server(), "198.51.100.10:40000");
  assert_int_equal(tc_allocate(&c, T0), 0);
  assert_int_equal(c.resp.cls, WEFT_STUN_SUCCESS);
  uint8_t key[32];
  size_t keylen;
  tc_key(&c, key, &keylen);
  assert_int_equal(weft_stun_msg_check_integrity(&c.resp, key, keylen), 0);
  weft_addr relayed, mapped;
  uint32_t life = 0;
  assert_int_equal(
      weft_stun_attr_xor_addr(
          &c.resp,
          weft_stun_msg_find(&c.resp, WEFT_STUN_ATTR_XOR_RELAYED_ADDRESS),
          &relayed),
      0);
  char text[WEFT_ADDR_STRLEN];
  assert_string_equal(weft_addr_format(&relayed, text, sizeof(text)),
                      "192.0.2.1:50001");
  assert_int_equal(
      weft_stun_attr_xor_addr(
          &c.resp,
          weft_stun_msg_find(&c.resp, WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS),
          &mapped),
      0);
  assert_true(weft_addr_equal(&mapped, &c.path.remote));
  assert_int_equal(
      weft_stun_attr_u32(weft_stun_msg_find(&c.resp, WEFT_STUN_ATTR_LIFETIME),
                         &life),
      0);
  assert_int_equal(life, 600);
  weft_turn_server_event ev;
  assert_int_equal(weft_turn_server_poll_event(c.s, &ev), 1);
  assert_int_equal(ev.type, WEFT_TURN_SERVER_EV_ALLOCATED);
  assert_string_equal(ev.username, "u");
  assert_int_equal(weft_turn_server_poll_event(c.s, &ev), 0);
  assert_int_equal(stats(&c).allocations_current, 1);
  assert_int_equal(stats(&c).auth_challenges, 1);
  assert_int_equal(R.opened, 1);
  /* a retransmission gets the same answer, a new Allocate gets 437 */
  weft_stun_builder b;
  weft_stun_builder_init(&b, c.buf, sizeof(c.buf), WEFT_STUN_ALLOCATE,
                         WEFT_STUN_REQUEST, c.txid);
  add_transport(&b, 17);
  tc_send_signed(&c, &b, T0 + SEC);
  int code;
  assert_int_equal(tc_response(&c, &code), WEFT_STUN_SUCCESS);
  assert_int_equal(tc_allocate(&c, T0 + SEC), 437);
  assert_int_equal(R.opened, 1);
  weft_turn_server_del(c.s);
  assert_int_equal(R.closed, 1);
}

static void test_wrong_password(void **state) {
  (void)state;
  tc c;
  tc_init(&c, default_server(), "198.51.100.10:40000");
  c.pass = "wrong";
  assert_int_equal(tc_allocate(&c, T0), 401);
  c.user = "nobody";
  assert_int_equal(tc_allocate(&c, T0), 401);
  assert_int_equal(stats(&c).auth_failures, 2);
  assert_int_equal(stats(&c).allocations_current, 0);
  assert_int_equal(R.opened, 0);
  /* unknown user of another realm: still 401, no allocation */
  c.user = "u";
  c.pass = "p";
  c.realm = "other";
  assert_int_equal(tc_allocate(&c, T0), 401);
  c.realm = "r";
  assert_int_equal(tc_allocate(&c, T0), 0);
  weft_turn_server_del(c.s);
}

static void test_stale_nonce(void **state) {
  (void)state;
  tc c;
  tc_init(&c, default_server(), "198.51.100.10:40000");
  assert_int_equal(tc_allocate(&c, T0), 0);
  char old[128];
  strcpy(old, c.nonce);
  /* the nonce is stale after 600 s: 438 with a fresh one, then success */
  assert_int_equal(tc_refresh(&c, 600, T0 + 601 * SEC), 438);
  assert_string_not_equal(old, c.nonce);
  assert_int_equal(stats(&c).stale_nonces, 1);
  assert_int_equal(tc_refresh(&c, 600, T0 + 601 * SEC), 0);
  /* a forged nonce is rejected the same way */
  strcpy(c.nonce, "00000000aaaaaaaaaaaaaaaa");
  assert_int_equal(tc_refresh(&c, 600, T0 + 602 * SEC), 438);
  /* a nonce given to another client address is not valid here */
  tc d;
  tc_init(&d, c.s, "198.51.100.11:40000");
  strcpy(d.nonce, c.nonce);
  assert_int_equal(tc_allocate(&d, T0 + 603 * SEC), 438);
  weft_turn_server_del(c.s);
}

static void test_refresh_and_delete(void **state) {
  (void)state;
  tc c;
  tc_init(&c, default_server(), "198.51.100.10:40000");
  assert_int_equal(tc_allocate(&c, T0), 0);
  assert_int_equal(tc_refresh(&c, 100000, T0 + SEC), 0);
  uint32_t life = 0;
  weft_stun_attr_u32(weft_stun_msg_find(&c.resp, WEFT_STUN_ATTR_LIFETIME),
                     &life);
  assert_int_equal(life, 3600); /* capped */
  /* the refreshed allocation outlives its first 600 s */
  weft_turn_server_handle_timeout(c.s, T0 + 700 * SEC);
  assert_int_equal(stats(&c).allocations_current, 1);
  assert_int_equal(tc_refresh(&c, 0, T0 + 701 * SEC), 438); /* nonce aged */
  assert_int_equal(tc_refresh(&c, 0, T0 + 701 * SEC), 0);
  assert_int_equal(stats(&c).allocations_current, 0);
  assert_int_equal(R.closed, 1);
  assert_int_equal(weft_turn_server_deadline(c.s), WEFT_TSTAMP_NONE);
  assert_int_equal(tc_refresh(&c, 600, T0 + 702 * SEC), 437);
  /* another user cannot refresh someone else's allocation: 441 */
  assert_int_equal(tc_allocate(&c, T0 + 703 * SEC), 0);
  c.user = "v";
  c.pass = "q";
  assert_int_equal(tc_refresh(&c, 600, T0 + 704 * SEC), 441);
  weft_turn_server_del(c.s);
}

static void test_lifetime_expiry(void **state) {
  (void)state;
  tc c;
  tc_init(&c, default_server(), "198.51.100.10:40000");
  assert_int_equal(tc_allocate(&c, T0), 0);
  weft_turn_server_event ev;
  while (weft_turn_server_poll_event(c.s, &ev))
    ;
  weft_tstamp now = T0;
  int rounds = 0;
  /* drive time by the deadline, as an I/O layer would */
  while (stats(&c).allocations_current > 0 && rounds++ < 2000) {
    weft_tstamp d = weft_turn_server_deadline(c.s);
    assert_true(d != WEFT_TSTAMP_NONE && d > now);
    now = d;
    weft_turn_server_handle_timeout(c.s, now);
  }
  assert_true(now >= T0 + 600 * SEC && now <= T0 + 602 * SEC);
  assert_int_equal(weft_turn_server_poll_event(c.s, &ev), 1);
  assert_int_equal(ev.type, WEFT_TURN_SERVER_EV_DEALLOCATED);
  assert_int_equal(ev.expired, 1);
  assert_int_equal(R.closed, 1);
  assert_int_equal(stats(&c).allocations_expired, 1);
  assert_int_equal(weft_turn_server_deadline(c.s), WEFT_TSTAMP_NONE);
  weft_turn_server_del(c.s);
}

static void test_permission_send_data(void **state) {
  (void)state;
  tc c;
  tc_init(&c, default_server(), "198.51.100.10:40000");
  assert_int_equal(tc_allocate(&c, T0), 0);
  /* no permission yet: nothing is relayed either way */
  tc_send_ind(&c, "198.51.100.7:9000", "hello", T0);
  peer_send(&c, "198.51.100.7:9000", "back", T0);
  assert_int_equal(tc_pop(&c), 0);
  assert_int_equal(stats(&c).no_permission_drops, 2);
  assert_int_equal(tc_peer_request(&c, WEFT_STUN_CREATE_PERMISSION,
                                   "198.51.100.7:1", -1, T0),
                   0);
  assert_int_equal(stats(&c).permissions_current, 1);
  tc_send_ind(&c, "198.51.100.7:9000", "hello", T0 + SEC);
  int n = tc_pop(&c);
  assert_int_equal(n, 5);
  assert_memory_equal(c.rbuf, "hello", 5);
  assert_int_equal(c.tx.kind, WEFT_TURN_TX_RELAY);
  assert_int_equal(c.tx.sock, R.last_id);
  char text[WEFT_ADDR_STRLEN];
  assert_string_equal(weft_addr_format(&c.tx.remote, text, sizeof(text)),
                      "198.51.100.7:9000");
  assert_string_equal(weft_addr_format(&c.tx.local, text, sizeof(text)),
                      "192.0.2.1:50001");
  /* the peer answers: a Data indication to the client */
  peer_send(&c, "198.51.100.7:9000", "back", T0 + SEC);
  n = tc_pop(&c);
  assert_true(n > 0);
  assert_int_equal(c.tx.kind, WEFT_TURN_TX_CLIENT);
  weft_stun_msg m;
  assert_int_equal(weft_stun_msg_decode(&m, c.rbuf, (size_t)n), 0);
  assert_int_equal(m.method, WEFT_STUN_DATA);
  assert_int_equal(m.cls, WEFT_STUN_INDICATION);
  const weft_stun_attr *d = weft_stun_msg_find(&m, WEFT_STUN_ATTR_DATA);
  assert_non_null(d);
  assert_int_equal(d->len, 4);
  assert_memory_equal(d->value, "back", 4);
  weft_addr peer;
  weft_stun_attr_xor_addr(
      &m, weft_stun_msg_find(&m, WEFT_STUN_ATTR_XOR_PEER_ADDRESS), &peer);
  assert_string_equal(weft_addr_format(&peer, text, sizeof(text)),
                      "198.51.100.7:9000");
  /* another peer IP still has no permission */
  peer_send(&c, "198.51.100.8:9000", "x", T0 + SEC);
  assert_int_equal(tc_pop(&c), 0);
  /* the permission expires after 300 s */
  weft_turn_server_handle_timeout(c.s, T0 + 302 * SEC);
  assert_int_equal(stats(&c).permissions_current, 0);
  peer_send(&c, "198.51.100.7:9000", "late", T0 + 302 * SEC);
  tc_send_ind(&c, "198.51.100.7:9000", "late", T0 + 302 * SEC);
  assert_int_equal(tc_pop(&c), 0);
  weft_turn_server_stats st = stats(&c);
  assert_int_equal(st.tx_peer_packets, 1);
  assert_int_equal(st.tx_client_packets, 1);
  assert_int_equal(st.tx_peer_bytes, 5);
  weft_turn_server_del(c.s);
}

static void test_channel_bind(void **state) {
  (void)state;
  tc c;
  tc_init(&c, default_server(), "198.51.100.10:40000");
  assert_int_equal(tc_allocate(&c, T0), 0);
  assert_int_equal(tc_peer_request(&c, WEFT_STUN_CHANNEL_BIND,
                                   "198.51.100.7:9000", 0x4001, T0),
                   0);
  assert_int_equal(stats(&c).channels_current, 1);
  assert_int_equal(stats(&c).permissions_current, 1);
  /* rebinding: same pair refreshes; a different peer or number is 400 */
  assert_int_equal(tc_peer_request(&c, WEFT_STUN_CHANNEL_BIND,
                                   "198.51.100.7:9000", 0x4001, T0),
                   0);
  assert_int_equal(tc_peer_request(&c, WEFT_STUN_CHANNEL_BIND,
                                   "198.51.100.7:9001", 0x4001, T0),
                   400);
  assert_int_equal(tc_peer_request(&c, WEFT_STUN_CHANNEL_BIND,
                                   "198.51.100.7:9000", 0x4002, T0),
                   400);
  assert_int_equal(tc_peer_request(&c, WEFT_STUN_CHANNEL_BIND,
                                   "198.51.100.9:9000", 0x3FFF, T0),
                   400);
  assert_int_equal(tc_peer_request(&c, WEFT_STUN_CHANNEL_BIND,
                                   "198.51.100.9:9000", 0x8000, T0),
                   400);
  /* RFC 5766's range is still accepted (coturn's client uses it) */
  assert_int_equal(tc_peer_request(&c, WEFT_STUN_CHANNEL_BIND,
                                   "198.51.100.9:9000", 0x7E61, T0),
                   0);
  /* ChannelData to the peer */
  uint8_t cd[12] = {0x40, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0, 0, 0};
  assert_int_equal(weft_turn_server_recv(c.s, T0, &c.path, cd, sizeof(cd)), 0);
  int n = tc_pop(&c);
  assert_int_equal(n, 5);
  assert_int_equal(c.tx.kind, WEFT_TURN_TX_RELAY);
  assert_memory_equal(c.rbuf, "hello", 5);
  /* an unbound channel is dropped */
  cd[1] = 0x02;
  weft_turn_server_recv(c.s, T0, &c.path, cd, sizeof(cd));
  assert_int_equal(tc_pop(&c), 0);
  /* from the peer: ChannelData, unpadded over UDP */
  peer_send(&c, "198.51.100.7:9000", "abcde", T0);
  n = tc_pop(&c);
  assert_int_equal(n, 9);
  assert_int_equal(c.rbuf[0], 0x40);
  assert_int_equal(c.rbuf[1], 0x01);
  assert_int_equal(c.rbuf[3], 5);
  assert_memory_equal(c.rbuf + 4, "abcde", 5);
  /* the same peer IP on another port gets a Data indication */
  peer_send(&c, "198.51.100.7:9999", "z", T0);
  n = tc_pop(&c);
  assert_true(n > 20);
  assert_int_equal(c.rbuf[0], 0x00);
  weft_turn_server_del(c.s);
}

static void test_channel_tcp_padding(void **state) {
  (void)state;
  tc c;
  tc_init(&c, default_server(), "198.51.100.10:40000");
  c.path.transport = WEFT_TURN_TCP;
  c.path.sock = 77;
  assert_int_equal(tc_allocate(&c, T0), 0);
  assert_int_equal(c.tx.transport, WEFT_TURN_TCP);
  assert_int_equal(c.tx.sock, 77);
  assert_int_equal(tc_peer_request(&c, WEFT_STUN_CHANNEL_BIND,
                                   "198.51.100.7:9000", 0x4FFF, T0),
                   0);
  peer_send(&c, "198.51.100.7:9000", "abcde", T0);
  int n = tc_pop(&c);
  assert_int_equal(n, 12); /* 4 + 5 padded to 12 */
  assert_int_equal(c.rbuf[3], 5);
  /* the connection closes: the allocation goes with it */
  weft_turn_server_conn_closed(c.s, T0, 77);
  assert_int_equal(stats(&c).allocations_current, 0);
  assert_int_equal(R.closed, 1);
  weft_turn_server_del(c.s);
}

static void test_denied_peers(void **state) {
  (void)state;
  tc c;
  tc_init(&c, default_server(), "198.51.100.10:40000");
  assert_int_equal(tc_allocate(&c, T0), 0);
  const char *denied[] = {"127.0.0.1:5",      "10.1.2.3:5", "192.168.1.1:5",
                          "169.254.1.1:5",    "0.0.0.0:5",  "224.0.0.1:5",
                          "255.255.255.255:5"};
  for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
    assert_int_equal(
        tc_peer_request(&c, WEFT_STUN_CREATE_PERMISSION, denied[i], -1, T0),
        403);
  assert_int_equal(
      tc_peer_request(&c, WEFT_STUN_CHANNEL_BIND, "127.0.0.1:5", 0x4000, T0),
      403);
  assert_int_equal(stats(&c).denied_peers, 8);
  assert_int_equal(stats(&c).permissions_current, 0);
  /* one bad address in a request installs none */
  weft_stun_builder b;
  weft_addr ok, bad;
  weft_addr_parse(&ok, "198.51.100.7:1", 0);
  weft_addr_parse(&bad, "127.0.0.1:1", 0);
  tc_start(&c, &b, WEFT_STUN_CREATE_PERMISSION, WEFT_STUN_REQUEST);
  weft_stun_builder_add_xor_addr(&b, WEFT_STUN_ATTR_XOR_PEER_ADDRESS, &ok);
  weft_stun_builder_add_xor_addr(&b, WEFT_STUN_ATTR_XOR_PEER_ADDRESS, &bad);
  tc_send_signed(&c, &b, T0);
  int code;
  tc_response(&c, &code);
  assert_int_equal(code, 403);
  assert_int_equal(stats(&c).permissions_current, 0);
  /* an IPv6 peer on an IPv4 allocation: 443 */
  assert_int_equal(tc_peer_request(&c, WEFT_STUN_CREATE_PERMISSION,
                                   "[2001:db8::9]:5", -1, T0),
                   443);
  weft_turn_server_del(c.s);

  /* configured: loopback allowed, 198.51.100.0/24 denied but .7 allowed */
  memset(&R, 0, sizeof(R));
  weft_turn_server_settings st;
  weft_turn_server_settings_default(&st);
  st.realm = "r";
  weft_turn_user users[1] = {{"u", "p"}};
  st.users = users;
  st.nusers = 1;
  st.allow_loopback_peers = 1;
  weft_turn_peer_range ranges[2];
  assert_int_equal(weft_turn_peer_range_parse(&ranges[0], "198.51.100.0/24"),
                   0);
  assert_int_equal(
      weft_turn_peer_range_parse(&ranges[1], "198.51.100.7-198.51.100.7"), 0);
  ranges[1].allow = 1;
  st.peer_ranges = ranges;
  st.npeer_ranges = 2;
  weft_turn_server *s = new_server(&st);
  assert_true(weft_turn_server_peer_allowed(s, &bad));
  assert_true(weft_turn_server_peer_allowed(s, &ok));
  weft_addr other;
  weft_addr_parse(&other, "198.51.100.8", 0);
  assert_false(weft_turn_server_peer_allowed(s, &other));
  weft_addr_parse(&other, "198.51.101.8", 0);
  assert_true(weft_turn_server_peer_allowed(s, &other));
  weft_addr_parse(&other, "[::ffff:10.0.0.1]", 0);
  assert_false(weft_turn_server_peer_allowed(s, &other));
  weft_turn_server_del(s);
}

static void test_quota(void **state) {
  (void)state;
  memset(&R, 0, sizeof(R));
  weft_turn_server_settings st;
  weft_turn_server_settings_default(&st);
  st.realm = "r";
  weft_turn_user users[2] = {{"u", "p"}, {"v", "q"}};
  st.users = users;
  st.nusers = 2;
  st.user_quota = 1;
  st.total_quota = 2;
  weft_turn_server *s = new_server(&st);
  tc a, b, c, d;
  tc_init(&a, s, "198.51.100.10:1");
  tc_init(&b, s, "198.51.100.10:2");
  tc_init(&c, s, "198.51.100.10:3");
  tc_init(&d, s, "198.51.100.10:4");
  assert_int_equal(tc_allocate(&a, T0), 0);
  assert_int_equal(tc_allocate(&b, T0), 486); /* user quota */
  c.user = "v";
  c.pass = "q";
  assert_int_equal(tc_allocate(&c, T0), 0);
  d.user = "v";
  d.pass = "q";
  assert_int_equal(tc_allocate(&d, T0), 486);
  assert_int_equal(stats(&a).quota_rejections, 2);
  /* freeing one makes room again */
  assert_int_equal(tc_refresh(&a, 0, T0), 0);
  assert_int_equal(tc_allocate(&b, T0), 0);
  /* no port left: 508 */
  assert_int_equal(tc_refresh(&b, 0, T0), 0);
  R.fail = WEFT_ERR_LIMIT;
  assert_int_equal(tc_allocate(&b, T0), 508);
  assert_int_equal(stats(&a).capacity_rejections, 1);
  weft_turn_server_del(s);
}

static void test_transport_and_family(void **state) {
  (void)state;
  memset(&R, 0, sizeof(R));
  weft_turn_server_settings st;
  weft_turn_server_settings_default(&st);
  st.realm = "r";
  weft_turn_user users[1] = {{"u", "p"}};
  st.users = users;
  st.nusers = 1;
  st.relay_ipv6 = 0;
  weft_turn_server *s = new_server(&st);
  tc c;
  tc_init(&c, s, "198.51.100.10:1");
  assert_int_equal(tc_allocate(&c, T0), 0);
  assert_int_equal(tc_refresh(&c, 0, T0), 0);
  weft_stun_builder b;
  int code;
  tc_start(&c, &b, WEFT_STUN_ALLOCATE, WEFT_STUN_REQUEST);
  add_transport(&b, 6);
  tc_send_signed(&c, &b, T0);
  tc_response(&c, &code);
  assert_int_equal(code, 442);
  tc_start(&c, &b, WEFT_STUN_ALLOCATE, WEFT_STUN_REQUEST);
  add_transport(&b, 17);
  uint8_t v6[4] = {2, 0, 0, 0};
  weft_stun_builder_add(&b, WEFT_STUN_ATTR_REQUESTED_ADDRESS_FAMILY, v6, 4);
  tc_send_signed(&c, &b, T0);
  tc_response(&c, &code);
  assert_int_equal(code, 440);
  /* missing REQUESTED-TRANSPORT: 400 */
  tc_start(&c, &b, WEFT_STUN_ALLOCATE, WEFT_STUN_REQUEST);
  tc_send_signed(&c, &b, T0);
  tc_response(&c, &code);
  assert_int_equal(code, 400);
  /* dual allocation on a v4-only server: v4 granted, v6 refused inline */
  tc_start(&c, &b, WEFT_STUN_ALLOCATE, WEFT_STUN_REQUEST);
  add_transport(&b, 17);
  weft_stun_builder_add(&b, WEFT_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, v6, 4);
  tc_send_signed(&c, &b, T0);
  tc_response(&c, &code);
  assert_int_equal(code, 0);
  assert_non_null(
      weft_stun_msg_find(&c.resp, WEFT_STUN_ATTR_ADDRESS_ERROR_CODE));
  weft_turn_server_del(s);
}

static void test_dual_allocation(void **state) {
  (void)state;
  tc c;
  tc_init(&c, default_server(), "[2001:db8::77]:1234");
  weft_stun_builder b;
  int code;
  assert_int_equal(tc_allocate(&c, T0), 0);
  assert_int_equal(tc_refresh(&c, 0, T0), 0);
  tc_start(&c, &b, WEFT_STUN_ALLOCATE, WEFT_STUN_REQUEST);
  add_transport(&b, 17);
  uint8_t v6[4] = {2, 0, 0, 0};
  weft_stun_builder_add(&b, WEFT_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, v6, 4);
  tc_send_signed(&c, &b, T0);
  tc_response(&c, &code);
  assert_int_equal(code, 0);
  int nrel = 0;
  for (size_t i = 0; i < c.resp.nattrs; i++)
    nrel += c.resp.attrs[i].type == WEFT_STUN_ATTR_XOR_RELAYED_ADDRESS;
  assert_int_equal(nrel, 2);
  /* both families of peers can be permitted now */
  assert_int_equal(tc_peer_request(&c, WEFT_STUN_CREATE_PERMISSION,
                                   "[2001:db8:1::9]:5", -1, T0),
                   0);
  assert_int_equal(tc_peer_request(&c, WEFT_STUN_CREATE_PERMISSION,
                                   "198.51.100.9:5", -1, T0),
                   0);
  tc_send_ind(&c, "[2001:db8:1::9]:5", "six", T0);
  assert_int_equal(tc_pop(&c), 3);
  char text[WEFT_ADDR_STRLEN];
  assert_string_equal(weft_addr_format(&c.tx.local, text, sizeof(text)),
                      "[2001:db8::1]:50001");
  weft_turn_server_del(c.s);
}

static void test_rest_api(void **state) {
  (void)state;
  memset(&R, 0, sizeof(R));
  weft_turn_server_settings st;
  weft_turn_server_settings_default(&st);
  st.realm = "r";
  st.use_auth_secret = 1;
  st.static_auth_secret = "north";
  weft_turn_server *s = new_server(&st);
  weft_turn_server_set_unix_time(s, T0, 1700000000);
  char pass[64];
  /* coturn's scheme, checked against a value computed with openssl:
   * printf '1700003600:alice' | openssl dgst -sha1 -hmac north -binary |
   * base64 */
  assert_int_equal(
      weft_turn_rest_password("north", "1700003600:alice", pass, sizeof(pass)),
      0);
  assert_int_equal(strlen(pass), 28);
  tc c;
  tc_init(&c, s, "198.51.100.10:1");
  c.user = "1700003600:alice";
  c.pass = pass;
  assert_int_equal(tc_allocate(&c, T0), 0);
  assert_int_equal(tc_peer_request(&c, WEFT_STUN_CREATE_PERMISSION,
                                   "198.51.100.9:5", -1, T0 + SEC),
                   0);
  /* an expired name is refused */
  tc d;
  tc_init(&d, s, "198.51.100.10:2");
  d.user = "1699999999:bob";
  char pass2[64];
  weft_turn_rest_password("north", d.user, pass2, sizeof(pass2));
  d.pass = pass2;
  assert_int_equal(tc_allocate(&d, T0), 401);
  /* a right name with a wrong password too */
  d.user = "1700003600:bob";
  assert_int_equal(tc_allocate(&d, T0), 401);
  weft_turn_server_del(s);
}

static void test_rest_password_vector(void **state) {
  (void)state;
  /* HMAC-SHA1(key "key", "The quick brown fox jumps over the lazy dog") =
   * de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9 (RFC 2104 examples, Wikipedia)
   * -> base64 3nybhbi3iqa8ino29wqQcBydtNk= */
  char out[64];
  assert_int_equal(weft_turn_rest_password(
                       "key", "The quick brown fox jumps over the lazy dog",
                       out, sizeof(out)),
                   0);
  assert_string_equal(out, "3nybhbi3iqa8ino29wqQcBydtNk=");
  assert_int_equal(weft_turn_rest_password("key", "x", out, 10),
                   WEFT_ERR_BUFFER_TOO_SMALL);
}

static void test_binding_and_bad_input(void **state) {
  (void)state;
  tc c;
  tc_init(&c, default_server(), "198.51.100.10:40000");
  weft_stun_builder b;
  int code;
  tc_start(&c, &b, WEFT_STUN_BINDING, WEFT_STUN_REQUEST);
  tc_send_raw(&c, &b, T0);
  assert_int_equal(tc_response(&c, &code), WEFT_STUN_SUCCESS);
  weft_addr mapped;
  weft_stun_attr_xor_addr(
      &c.resp, weft_stun_msg_find(&c.resp, WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS),
      &mapped);
  assert_true(weft_addr_equal(&mapped, &c.path.remote));
  /* garbage, truncated ChannelData, responses, data without allocation */
  const uint8_t junk[] = {0xff, 1, 2, 3, 4, 5};
  const uint8_t shortcd[] = {0x40, 0x00, 0x00, 0x10, 1, 2};
  uint64_t bad = stats(&c).bad_input;
  weft_turn_server_recv(c.s, T0, &c.path, junk, sizeof(junk));
  weft_turn_server_recv(c.s, T0, &c.path, shortcd, sizeof(shortcd));
  weft_turn_server_recv(c.s, T0, &c.path, junk, 0);
  tc_start(&c, &b, WEFT_STUN_ALLOCATE, WEFT_STUN_SUCCESS);
  tc_send_raw(&c, &b, T0);
  assert_int_equal(stats(&c).bad_input, bad + 4);
  tc_send_ind(&c, "198.51.100.7:9000", "x", T0);
  assert_int_equal(stats(&c).no_allocation_drops, 1);
  assert_int_equal(tc_pop(&c), 0);
  /* an unknown comprehension-required attribute: 420 */
  tc_start(&c, &b, WEFT_STUN_ALLOCATE, WEFT_STUN_REQUEST);
  weft_stun_builder_add_u32(&b, 0x0077, 1);
  tc_send_raw(&c, &b, T0);
  tc_response(&c, &code);
  assert_int_equal(code, 420);
  /* the unauthenticated 401 stays small: no amplification */
  tc_start(&c, &b, WEFT_STUN_ALLOCATE, WEFT_STUN_REQUEST);
  add_transport(&b, 17);
  tc_send_raw(&c, &b, T0);
  int n = tc_pop(&c);
  assert_true(n > 0 && n <= 112);
  /* bad calls */
  assert_int_equal(weft_turn_server_recv(NULL, T0, &c.path, junk, 1),
                   WEFT_ERR_INVALID_ARGUMENT);
  assert_int_equal(weft_turn_server_recv_relay(c.s, T0, 999, &c.path.remote,
                                               junk, sizeof(junk)),
                   0);
  weft_turn_server_del(c.s);
}

static void test_rate_limit(void **state) {
  (void)state;
  memset(&R, 0, sizeof(R));
  weft_turn_server_settings st;
  weft_turn_server_settings_default(&st);
  st.realm = "r";
  weft_turn_user users[1] = {{"u", "p"}};
  st.users = users;
  st.nusers = 1;
  st.max_bps = 1000;
  weft_turn_server *s = new_server(&st);
  tc c;
  tc_init(&c, s, "198.51.100.10:1");
  assert_int_equal(tc_allocate(&c, T0), 0);
  assert_int_equal(tc_peer_request(&c, WEFT_STUN_CREATE_PERMISSION,
                                   "198.51.100.9:5", -1, T0),
                   0);
  char payload[401];
  memset(payload, 'a', 400);
  payload[400] = '\0';
  int sent = 0;
  for (int i = 0; i < 5; i++) {
    tc_send_ind(&c, "198.51.100.9:5", payload, T0);
    sent += tc_pop(&c) > 0;
  }
  assert_int_equal(sent, 2); /* 1000 bytes per second */
  tc_send_ind(&c, "198.51.100.9:5", payload, T0 + SEC);
  assert_int_equal(tc_pop(&c), 400);
  assert_int_equal(stats(&c).rate_limited_drops, 3);
  weft_turn_server_del(s);
}

/* An allocator that fails the n-th allocation (nghttp2's failmalloc). */
typedef struct failmem {
  int n, count;
} failmem;

static void *fm_malloc(size_t size, void *ud) {
  failmem *f = ud;
  return ++f->count == f->n ? NULL : malloc(size);
}
static void fm_free(void *p, void *ud) {
  (void)ud;
  free(p);
}
static void *fm_calloc(size_t n, size_t size, void *ud) {
  failmem *f = ud;
  return ++f->count == f->n ? NULL : calloc(n, size);
}
static void *fm_realloc(void *p, size_t size, void *ud) {
  failmem *f = ud;
  return ++f->count == f->n ? NULL : realloc(p, size);
}

static void test_failing_allocator(void **state) {
  (void)state;
  int completed = 0;
  for (int n = 1; n < 200 && !completed; n++) {
    memset(&R, 0, sizeof(R));
    failmem fm = {n, 0};
    weft_mem mem = {&fm, fm_malloc, fm_free, fm_calloc, fm_realloc};
    weft_turn_server_settings st;
    weft_turn_server_settings_default(&st);
    st.realm = "r";
    weft_turn_user users[1] = {{"u", "p"}};
    st.users = users;
    st.nusers = 1;
    st.relay_open = relay_open;
    st.relay_close = relay_close;
    st.hook_user_data = &R;
    weft_turn_server *s = NULL;
    int rv = weft_turn_server_new(&s, &st, &mem);
    if (rv != 0) {
      assert_int_equal(rv, WEFT_ERR_NOMEM);
      continue;
    }
    tc c;
    tc_init(&c, s, "198.51.100.10:1");
    int code = tc_allocate(&c, T0);
    if (code == 0) {
      code = tc_peer_request(&c, WEFT_STUN_CHANNEL_BIND, "198.51.100.7:9",
                             0x4000, T0);
      if (code == 0)
        code = tc_peer_request(&c, WEFT_STUN_CREATE_PERMISSION,
                               "198.51.100.8:9", -1, T0);
      completed = code == 0 && fm.count < n;
    } else {
      assert_int_equal(code, 508); /* out of memory: no capacity */
    }
    weft_turn_server_del(s);
    assert_int_equal(R.opened, R.closed);
  }
  assert_true(completed);
}

static void test_tx_queue_bound(void **state) {
  (void)state;
  tc c;
  tc_init(&c, default_server(), "198.51.100.10:40000");
  weft_stun_builder b;
  for (int i = 0; i < 100; i++) {
    tc_start(&c, &b, WEFT_STUN_BINDING, WEFT_STUN_REQUEST);
    tc_send_raw(&c, &b, T0);
  }
  assert_int_equal(stats(&c).tx_queue_drops, 100 - 64);
  int n = 0;
  while (tc_pop(&c) > 0 && n < 1000)
    n++;
  assert_int_equal(n, 64);
  weft_turn_server_del(c.s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_allocate_flow),
      cmocka_unit_test(test_wrong_password),
      cmocka_unit_test(test_stale_nonce),
      cmocka_unit_test(test_refresh_and_delete),
      cmocka_unit_test(test_lifetime_expiry),
      cmocka_unit_test(test_permission_send_data),
      cmocka_unit_test(test_channel_bind),
      cmocka_unit_test(test_channel_tcp_padding),
      cmocka_unit_test(test_denied_peers),
      cmocka_unit_test(test_quota),
      cmocka_unit_test(test_transport_and_family),
      cmocka_unit_test(test_dual_allocation),
      cmocka_unit_test(test_rest_api),
      cmocka_unit_test(test_rest_password_vector),
      cmocka_unit_test(test_binding_and_bad_input),
      cmocka_unit_test(test_rate_limit),
      cmocka_unit_test(test_tx_queue_bound),
      cmocka_unit_test(test_failing_allocator),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
