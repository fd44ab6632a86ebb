/* The TURN data path (RFC 8656 sections 10-12): Send indications and
 * ChannelData from clients to peers, datagrams from peers to clients as
 * ChannelData or Data indications. Nothing is relayed without a live
 * permission for the peer's IP. */
#include "turn/turn_int.h"

#include <string.h>

#include "base/buf.h"

/* Token bucket of @p dir; returns 1 when @p len bytes may pass. */
static int rate_ok(weft_turn_server *s, turn_alloc *a, int dir, size_t len,
                   weft_tstamp now) {
  uint64_t bps = s->set.max_bps;
  if (bps == 0)
    return 1;
  if (now > a->filled[dir]) {
    weft_tstamp dt = now - a->filled[dir];
    uint64_t add = dt >= WEFT_SECONDS ? bps : bps * dt / WEFT_SECONDS;
    if (add > 0) {
      a->tokens[dir] = a->tokens[dir] + add > bps ? bps : a->tokens[dir] + add;
      a->filled[dir] = now;
    }
  }
  if (a->tokens[dir] < len) {
    s->stats.rate_limited_drops++;
    return 0;
  }
  a->tokens[dir] -= len;
  return 1;
}

/* Queues @p len bytes for @p peer through the relay of @p a. */
static void to_peer(weft_turn_server *s, turn_alloc *a, const weft_addr *peer,
                    const uint8_t *data, size_t len, weft_tstamp now) {
  s->stats.rx_client_packets++;
  s->stats.rx_client_bytes += len;
  const weft_addr *relayed = turn_relayed_for(a, weft_addr_family(peer));
  if (relayed == NULL) {
    s->stats.bad_input++;
    return;
  }
  if (turn_perm_find(a, peer, now) == NULL) {
    s->stats.no_permission_drops++;
    return;
  }
  if (len > WEFT_TURN_MAX_PAYLOAD) {
    s->stats.oversized_drops++;
    return;
  }
  if (!rate_ok(s, a, 0, len, now))
    return;
  turn_txslot *t = turn_tx_begin(s);
  if (t == NULL)
    return;
  t->tx.kind = WEFT_TURN_TX_RELAY;
  t->tx.transport = WEFT_TURN_UDP;
  t->tx.sock = a->relay_id;
  t->tx.local = *relayed;
  t->tx.remote = *peer;
  memcpy(t->data, data, len);
  turn_tx_commit(s, t, len);
  s->stats.tx_peer_packets++;
  s->stats.tx_peer_bytes += len;
}

void turn_handle_send(weft_turn_server *s, weft_tstamp now,
                      const weft_turn_path *path, const weft_stun_msg *m) {
  turn_alloc *a = turn_alloc_find(s, path);
  if (a == NULL) {
    s->stats.no_allocation_drops++;
    return;
  }
  const weft_stun_attr *pa =
      weft_stun_msg_find(m, WEFT_STUN_ATTR_XOR_PEER_ADDRESS);
  const weft_stun_attr *da = weft_stun_msg_find(m, WEFT_STUN_ATTR_DATA);
  weft_addr peer;
  if (pa == NULL || da == NULL || weft_stun_attr_xor_addr(m, pa, &peer) != 0) {
    s->stats.bad_input++;
    return;
  }
  to_peer(s, a, &peer, da->value, da->len, now);
}

void turn_handle_channel_data(weft_turn_server *s, weft_tstamp now,
                              const weft_turn_path *path, const uint8_t *data,
                              size_t len) {
  uint16_t num = weft_get_u16(data), dlen = weft_get_u16(data + 2);
  if ((size_t)dlen + 4 > len || num > WEFT_TURN_CHANNEL_MAX_RFC5766) {
    s->stats.bad_input++;
    return;
  }
  turn_alloc *a = turn_alloc_find(s, path);
  if (a == NULL) {
    s->stats.no_allocation_drops++;
    return;
  }
  for (uint32_t i = 0; i < a->nchans; i++) {
    turn_chan *c = &a->chans[i];
    if (c->num == num && c->expiry > now) {
      to_peer(s, a, &c->peer, data + 4, dlen, now);
      return;
    }
  }
  s->stats.no_permission_drops++; /* no such channel */
}

/* ---- peer to client ------------------------------------------------------ */

static size_t frame_channel(turn_txslot *t, uint16_t num, const uint8_t *data,
                            size_t len, int stream) {
  weft_put_u16(t->data, num);
  weft_put_u16(t->data + 2, (uint16_t)len);
  memcpy(t->data + 4, data, len);
  size_t n = 4 + len;
  if (stream && (n & 3) != 0) {
    memset(t->data + n, 0, 4 - (n & 3));
    n += 4 - (n & 3);
  }
  return n;
}

static int frame_data_ind(turn_txslot *t, const weft_addr *peer,
                          const uint8_t *data, size_t len, weft_pcg *txid) {
  uint8_t id[WEFT_STUN_TXID_LEN];
  for (size_t i = 0; i < sizeof(id); i += 4)
    weft_put_u32(id + i, weft_pcg_next(txid));
  weft_stun_builder b;
  weft_stun_builder_init(&b, t->data, sizeof(t->data), WEFT_STUN_DATA,
                         WEFT_STUN_INDICATION, id);
  weft_stun_builder_add_xor_addr(&b, WEFT_STUN_ATTR_XOR_PEER_ADDRESS, peer);
  weft_stun_builder_add(&b, WEFT_STUN_ATTR_DATA, data, len);
  return weft_stun_builder_finish(&b);
}

static turn_chan *chan_of_peer(turn_alloc *a, const weft_addr *peer,
                               weft_tstamp now) {
  for (uint32_t i = 0; i < a->nchans; i++)
    if (a->chans[i].expiry > now && weft_addr_equal(&a->chans[i].peer, peer))
      return &a->chans[i];
  return NULL;
}

int weft_turn_server_recv_relay(weft_turn_server *s, weft_tstamp now,
                                uint32_t relay_id, const weft_addr *peer,
                                const uint8_t *data, size_t len) {
  if (s == NULL || peer == NULL || (data == NULL && len > 0))
    return WEFT_ERR_INVALID_ARGUMENT;
  s->now = now;
  turn_alloc *a = relay_id - 1u < s->nslots ? s->slots[relay_id - 1] : NULL;
  if (a == NULL) {
    s->stats.no_allocation_drops++;
    return 0;
  }
  s->stats.rx_peer_packets++;
  s->stats.rx_peer_bytes += len;
  if (turn_perm_find(a, peer, now) == NULL) {
    s->stats.no_permission_drops++;
    return 0;
  }
  if (len > WEFT_TURN_MAX_PAYLOAD) {
    s->stats.oversized_drops++;
    return 0;
  }
  if (!rate_ok(s, a, 1, len, now))
    return 0;
  turn_txslot *t = turn_tx_begin(s);
  if (t == NULL)
    return 0;
  turn_chan *c = chan_of_peer(a, peer, now);
  int n = c != NULL ? (int)frame_channel(t, c->num, data, len,
                                         a->path.transport != WEFT_TURN_UDP)
                    : frame_data_ind(t, peer, data, len, &s->txid_pcg);
  if (n <= 0)
    return 0;
  t->tx.kind = WEFT_TURN_TX_CLIENT;
  t->tx.transport = a->path.transport;
  t->tx.sock = a->path.sock;
  t->tx.local = a->path.local;
  t->tx.remote = a->path.remote;
  turn_tx_commit(s, t, (size_t)n);
  s->stats.tx_client_packets++;
  s->stats.tx_client_bytes += len;
  return 0;
}
