/*
 * Fuzz target of the TURN client: a client that has sent its Allocate
 * (deterministic transaction ids) gets the input as datagrams from the
 * server. Records: byte 0 = seconds to advance (low 4 bits) and whether to
 * poke the API (bit 4: create a permission, bit 5: bind a channel, bit 6:
 * send), bytes 1-2 = length, then the datagram.
 */
#include <stdint.h>
#include <string.h>

#include "weft/turn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  weft_turn_client_settings cs;
  weft_turn_client_settings_default(&cs);
  weft_addr_parse(&cs.server, "203.0.113.1:3478", 0);
  cs.username = "u";
  cs.password = "p";
  weft_pcg pcg;
  weft_rand rnd;
  weft_pcg_seed(&pcg, 7, 7);
  weft_rand_from_pcg(&rnd, &pcg);
  cs.rand = &rnd;
  weft_turn_client *c = NULL;
  if (weft_turn_client_new(&c, &cs, NULL) != 0)
    return 0;
  weft_tstamp now = 1000 * WEFT_SECONDS;
  weft_turn_client_allocate(c, now);
  weft_addr peer;
  weft_addr_parse(&peer, "198.51.100.7:9000", 0);
  uint8_t out[WEFT_TURN_MAX_FRAME];
  size_t off = 0;
  while (off + 3 <= size) {
    uint8_t h = data[off];
    size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
    off += 3;
    if (len > size - off)
      len = size - off;
    now += (weft_tstamp)(h & 15) * WEFT_SECONDS;
    weft_turn_client_handle_timeout(c, now);
    if (h & 0x10)
      weft_turn_client_create_permission(c, now, &peer);
    if (h & 0x20)
      weft_turn_client_bind_channel(c, now, &peer);
    if (h & 0x40)
      weft_turn_client_send(c, now, &peer, data + off, len > 64 ? 64 : len);
    weft_addr from;
    const uint8_t *pl = NULL;
    size_t plen = 0;
    if (weft_turn_client_recv(c, now, data + off, len, &from, &pl, &plen) ==
            1 &&
        (pl < data + off || pl + plen > data + off + len))
      __builtin_trap(); /* the payload must be a view into the input */
    off += len;
    weft_addr to;
    while (weft_turn_client_poll_transmit(c, &to, out, sizeof(out)) > 0)
      ;
    weft_turn_client_event ev;
    while (weft_turn_client_poll_event(c, &ev))
      ;
  }
  weft_turn_client_close(c, now);
  weft_turn_client_del(c);
  return 0;
}
