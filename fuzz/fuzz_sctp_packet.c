/* Fuzzes the SCTP codec and the association's packet input: the input is a
 * packet whose checksum is fixed up first, so the fuzzer reaches the chunk
 * parsers. It is decoded chunk by chunk, then fed to a listening association
 * and to one that has sent an INIT. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sctp/sctp_chunk.h"
#include "weft/sctp.h"

static void decode_all(const uint8_t *p, size_t len) {
  weft_sctp_header h;
  weft_rd r;
  weft_sctp_chunk c;
  if (weft_sctp_packet_decode(&h, p, len) != 0)
    return;
  weft_sctp_chunks_begin(&r, p, len);
  while (weft_sctp_chunk_next(&r, &c) == 1) {
    weft_sctp_data d;
    weft_sctp_init in;
    weft_sctp_sack s;
    weft_sctp_fwd_tsn f;
    weft_sctp_reconf_param rp;
    weft_rd rr;
    (void)weft_sctp_data_decode(&d, &c);
    (void)weft_sctp_init_decode(&in, &c);
    if (weft_sctp_sack_decode(&s, &c) == 0) {
      uint16_t a, b;
      for (size_t i = 0; i < s.ngaps; i++)
        weft_sctp_sack_gap(&s, i, &a, &b);
    }
    (void)weft_sctp_fwd_tsn_decode(&f, &c);
    weft_rd_init(&rr, c.value, c.vlen);
    while (weft_sctp_reconf_next(&rr, &rp) == 1)
      ;
    (void)weft_sctp_first_cause(&c);
  }
}

static void feed(int connect, const uint8_t *p, size_t len) {
  weft_sctp_assoc *a;
  weft_sctp_settings s;
  weft_sctp_settings_default(&s);
  s.log.level = WEFT_LOG_NONE;
  weft_pcg pcg;
  weft_rand rnd;
  weft_pcg_seed(&pcg, 1, 1);
  weft_rand_from_pcg(&rnd, &pcg);
  s.rand = &rnd;
  if (weft_sctp_assoc_new(&a, &s, NULL, NULL) != 0)
    return;
  uint8_t out[1500];
  if (connect)
    weft_sctp_connect(a, 0);
  weft_sctp_recv(a, 1, p, len);
  for (int i = 0; i < 8 && weft_sctp_poll_transmit(a, 2, out, sizeof(out)) > 0;
       i++)
    ;
  weft_sctp_event ev;
  for (int i = 0; i < 64 && weft_sctp_poll_event(a, &ev); i++)
    ;
  weft_sctp_handle_timeout(a, weft_sctp_deadline(a));
  weft_sctp_assoc_del(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < WEFT_SCTP_HEADER_LEN || size > 65536)
    return 0;
  uint8_t *p = malloc(size);
  if (p == NULL)
    return 0;
  memcpy(p, data, size);
  weft_sctp_packet_seal(p, size);
  decode_all(p, size);
  feed(0, p, size);
  feed(1, p, size);
  free(p);
  return 0;
}
