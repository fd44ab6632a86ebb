/* Fuzz target: ICE candidate lines. Whatever parses must format, and the
 * formatted line must parse back to the same candidate. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "weft/ice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  weft_ice_candidate c, d;
  if (weft_ice_candidate_parse(&c, (const char *)data, size) != 0)
    return 0;
  char buf[WEFT_ICE_CANDIDATE_STRLEN];
  int n = weft_ice_candidate_format(&c, buf, sizeof(buf));
  if (n <= 0 || (size_t)n != strlen(buf))
    abort();
  if (weft_ice_candidate_parse(&d, buf, (size_t)n) != 0)
    abort();
  if (memcmp(&c, &d, sizeof(c)) != 0)
    abort();
  /* a short buffer never overflows */
  char small[16];
  if (weft_ice_candidate_format(&c, small, sizeof(small)) > 0 &&
      strlen(small) >= sizeof(small))
    abort();
  return 0;
}
