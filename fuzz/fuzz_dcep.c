/* Fuzzes the DCEP codec (RFC 8832): decodes the input as OPEN and ACK,
 * re-encodes a decoded OPEN and checks the round trip is exact. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datachannel/dcep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  (void)weft_dcep_type(data, size);
  (void)weft_dcep_ack_decode(data, size);
  weft_dcep_open o;
  if (weft_dcep_open_decode(&o, data, size) != 0)
    return 0;
  if (!weft_dcep_channel_type_valid(o.channel_type))
    abort();
  uint8_t *buf = malloc(size);
  if (buf == NULL)
    return 0;
  int n = weft_dcep_open_encode(buf, size, &o);
  if (n != (int)size || memcmp(buf, data, size) != 0)
    abort();
  if (weft_dcep_open_encode(buf, size - 1, &o) != WEFT_ERR_BUFFER_TOO_SMALL)
    abort();
  free(buf);
  return 0;
}
