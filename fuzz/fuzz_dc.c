/* Stateful fuzzing of weft_dc: two connected endpoints in virtual time; the
 * input is a script of operations: raw SCTP messages (any stream, PPID and
 * bytes, so DCEP OPEN/ACK and user messages of every kind) written under the
 * data channel layer of side 0, and API calls on either side (open, send,
 * close, thresholds, time passing). Nothing may crash or leak, and both
 * sides must keep their channel counts consistent with what they report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/unit/dc_pipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int both_connected(dc_pipe *p) {
  return p->events[0][WEFT_DC_EVENT_CONNECTED] &&
         p->events[1][WEFT_DC_EVENT_CONNECTED];
}

static void op_raw(dc_pipe *p, const uint8_t *d, size_t n) {
  /* stream, ppid, payload */
  uint16_t stream = d[0] % 16;
  static const uint32_t ppids[8] = {50, 51, 52, 53, 54, 56, 57, 99};
  uint32_t ppid = ppids[d[1] % 8];
  weft_sctp_assoc *raw = (weft_sctp_assoc *)weft_dc_sctp(p->ep[0]);
  if (n > 2)
    (void)weft_sctp_send(raw, p->now, stream, ppid, d + 2, n - 2,
                         (d[1] & 0x80) ? WEFT_SCTP_UNORDERED : 0, 0, 0);
}

static void op_open(dc_pipe *p, int side, uint8_t f, uint8_t id) {
  weft_dc_channel_init in;
  weft_dc_channel_init_default(&in);
  in.label = (f & 1) ? "fuzz" : NULL;
  in.protocol = (f & 2) ? "p" : NULL;
  in.ordered = (f & 4) == 0;
  if (f & 8)
    in.max_retransmits = f >> 6;
  else if (f & 16)
    in.max_packet_lifetime = 10 * (f >> 6);
  in.negotiated = (f & 32) != 0;
  in.id = id % 16;
  (void)weft_dc_open(p->ep[side], p->now, &in, NULL);
}

static void run_script(dc_pipe *p, const uint8_t *data, size_t size) {
  static uint8_t zeros[70000];
  size_t i = 0;
  while (i + 4 <= size) {
    uint8_t op = data[i], a = data[i + 1], b = data[i + 2], n = data[i + 3];
    int side = op >> 7;
    i += 4;
    switch (op & 7) {
    case 0: {
      size_t len = n < size - i ? n : size - i;
      if (len >= 2)
        op_raw(p, data + i, len);
      i += len;
      break;
    }
    case 1:
      op_open(p, side, a, b);
      break;
    case 2:
      (void)weft_dc_send(p->ep[side], p->now, a % 16, zeros,
                         (size_t)n * (b & 1 ? 256 : 1), b & 2);
      break;
    case 3:
      (void)weft_dc_close(p->ep[side], p->now, a % 16);
      break;
    case 4:
      dcp_run(p, NULL, (weft_duration)(1 + a) * WEFT_MILLISECONDS);
      break;
    case 5:
      (void)weft_dc_set_buffered_amount_low_threshold(p->ep[side], a % 16,
                                                      (size_t)b * 100);
      break;
    case 6:
      p->loss = (a % 4) * 0.1;
      break;
    default:
      if (a == 0xff)
        (void)weft_dc_shutdown(p->ep[side], p->now);
      break;
    }
    dcp_drain(p);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dc_pipe p;
  dcp_init(&p, 1);
  for (int s = 0; s < 2; s++) {
    weft_dc_settings ds;
    dcp_settings(&p, s, &ds);
    if (weft_dc_new(&p.ep[s], &ds, NULL, NULL) != 0)
      abort();
    (void)weft_dc_connect(p.ep[s], p.now);
  }
  if (!dcp_run(&p, both_connected, 5 * (weft_duration)WEFT_SECONDS))
    abort();
  run_script(&p, data, size);
  p.loss = 0;
  dcp_run(&p, NULL, 5 * (weft_duration)WEFT_SECONDS);
  for (int s = 0; s < 2; s++) {
    size_t n = 0;
    for (uint32_t id = 0; id <= WEFT_DC_MAX_ID; id++) {
      weft_dc_channel ci;
      n += weft_dc_channel_info(p.ep[s], (uint16_t)id, &ci) == 0;
    }
    if (n != weft_dc_channel_count(p.ep[s]))
      abort();
  }
  dcp_free(&p);
  return 0;
}
