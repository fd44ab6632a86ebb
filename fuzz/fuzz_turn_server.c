/*
 * Stateful fuzz target of the TURN server core. The harness first makes a
 * real allocation (401, then an authenticated Allocate, a permission and a
 * channel) from client 0, so the input reaches the relay paths. The input
 * is then a sequence of records:
 *   byte 0: bits 0-1 source (client 0-3 / peer 0-3), bit 2: from a peer
 *           (into the relay), bit 3: TCP path, bits 4-7: seconds to advance
 *   bytes 1-2: length, then that many bytes of datagram.
 * Every output is drained and checked for basic sanity.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "weft/turn.h"

static uint32_t last_relay;

static int relay_open(void *ud, uint32_t id, int family, int even_port,
                      const weft_turn_path *client, weft_addr *out) {
  (void)ud;
  (void)even_port;
  (void)client;
  last_relay = id;
  return weft_addr_parse(out, family == AF_INET ? "192.0.2.1" : "[2001:db8::1]",
                         (uint16_t)(40000 + (id & 0x3FF)));
}

static void relay_close(void *ud, uint32_t id) {
  (void)ud;
  (void)id;
}

static void drain(weft_turn_server *s, uint8_t *nonce, size_t *nlen) {
  static uint8_t buf[WEFT_TURN_MAX_FRAME];
  weft_turn_transmit tx;
  int n;
  while ((n = weft_turn_server_poll_transmit(s, &tx, buf, sizeof(buf))) > 0) {
    if ((size_t)n > sizeof(buf))
      abort();
    weft_stun_msg m;
    if (nonce != NULL && weft_stun_msg_decode(&m, buf, (size_t)n) == 0) {
      const weft_stun_attr *a = weft_stun_msg_find(&m, WEFT_STUN_ATTR_NONCE);
      if (a != NULL && a->len < 128) {
        memcpy(nonce, a->value, a->len);
        *nlen = a->len;
      }
    }
  }
  weft_turn_server_event ev;
  while (weft_turn_server_poll_event(s, &ev))
    ;
}

/* Sends an authenticated request from @p path. */
static void signed_req(weft_turn_server *s, const weft_turn_path *path,
                       uint16_t method, const uint8_t *nonce, size_t nlen,
                       int what) {
  uint8_t buf[512], txid[12] = {(uint8_t)method, (uint8_t)what};
  weft_stun_builder b;
  weft_stun_builder_init(&b, buf, sizeof(buf), method, WEFT_STUN_REQUEST, txid);
  weft_addr peer;
  weft_addr_parse(&peer, "198.51.100.7:9000", 0);
  if (method == WEFT_STUN_ALLOCATE) {
    uint8_t t[4] = {17, 0, 0, 0};
    weft_stun_builder_add(&b, WEFT_STUN_ATTR_REQUESTED_TRANSPORT, t, 4);
  } else {
    if (method == WEFT_STUN_CHANNEL_BIND)
      weft_stun_builder_add_u32(&b, WEFT_STUN_ATTR_CHANNEL_NUMBER, 0x40000000u);
    weft_stun_builder_add_xor_addr(&b, WEFT_STUN_ATTR_XOR_PEER_ADDRESS, &peer);
  }
  if (nonce != NULL) {
    uint8_t key[32];
    size_t keylen = 0;
    weft_stun_long_term_key(WEFT_STUN_PASSWORD_MD5, "u", "r", "p", key,
                            &keylen);
    weft_stun_builder_add_str(&b, WEFT_STUN_ATTR_USERNAME, "u");
    weft_stun_builder_add_str(&b, WEFT_STUN_ATTR_REALM, "r");
    weft_stun_builder_add(&b, WEFT_STUN_ATTR_NONCE, nonce, nlen);
    weft_stun_builder_add_integrity(&b, key, keylen);
  }
  int n = weft_stun_builder_finish(&b);
  if (n > 0)
    weft_turn_server_recv(s, 0, path, buf, (size_t)n);
}

static void setup(weft_turn_server *s, const weft_turn_path *path) {
  uint8_t nonce[128];
  size_t nlen = 0;
  signed_req(s, path, WEFT_STUN_ALLOCATE, NULL, 0, 0);
  drain(s, nonce, &nlen);
  signed_req(s, path, WEFT_STUN_ALLOCATE, nonce, nlen, 1);
  signed_req(s, path, WEFT_STUN_CREATE_PERMISSION, nonce, nlen, 2);
  signed_req(s, path, WEFT_STUN_CHANNEL_BIND, nonce, nlen, 3);
  drain(s, NULL, NULL);
  weft_turn_server_stats st;
  weft_turn_server_get_stats(s, &st);
  if (st.allocations_current != 1 || st.channels_current != 1)
    abort(); /* the harness must reach the relay paths */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  weft_turn_server_settings st;
  weft_turn_server_settings_default(&st);
  st.realm = "r";
  weft_turn_user users[1] = {{"u", "p"}};
  st.users = users;
  st.nusers = 1;
  st.relay_open = relay_open;
  st.relay_close = relay_close;
  st.max_bps = 100000;
  weft_pcg pcg;
  weft_rand rnd;
  weft_pcg_seed(&pcg, 1, 2);
  weft_rand_from_pcg(&rnd, &pcg);
  st.rand = &rnd;
  weft_turn_server *s = NULL;
  if (weft_turn_server_new(&s, &st, NULL) != 0)
    return 0;
  weft_turn_path paths[4];
  weft_addr peers[4];
  const char *clients[4] = {"198.51.100.10:1000", "198.51.100.11:1000",
                            "[2001:db8::5]:7", "198.51.100.10:1001"};
  const char *peer_txt[4] = {"198.51.100.7:9000", "198.51.100.7:9001",
                             "198.51.100.8:9000", "[2001:db8::9]:1"};
  for (int i = 0; i < 4; i++) {
    memset(&paths[i], 0, sizeof(paths[i]));
    paths[i].sock = 1;
    weft_addr_parse(&paths[i].local, "203.0.113.1:3478", 0);
    weft_addr_parse(&paths[i].remote, clients[i], 0);
    weft_addr_parse(&peers[i], peer_txt[i], 0);
  }
  setup(s, &paths[0]);
  weft_tstamp now = 0;
  size_t off = 0;
  while (off + 3 <= size) {
    uint8_t h = data[off];
    size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
    off += 3;
    if (len > size - off)
      len = size - off;
    now += (weft_tstamp)(h >> 4) * WEFT_SECONDS;
    weft_turn_server_handle_timeout(s, now);
    if (h & 4) {
      weft_turn_server_recv_relay(s, now, last_relay, &peers[h & 3], data + off,
                                  len);
    } else {
      weft_turn_path p = paths[h & 3];
      if (h & 8) {
        p.transport = WEFT_TURN_TCP;
        p.sock = 2000;
      }
      weft_turn_server_recv(s, now, &p, data + off, len);
    }
    off += len;
    drain(s, NULL, NULL);
  }
  weft_turn_server_conn_closed(s, now, 2000);
  weft_turn_server_del(s);
  return 0;
}
