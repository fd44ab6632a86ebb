/* Seeded PCG32 and the deterministic weft_rand built on it. The OpenSSL
 * default source lives in src/crypto/rand_ossl.c. */
#include "weft/weft.h"

#include <string.h>

void weft_pcg_seed(weft_pcg *pcg, uint64_t seed, uint64_t stream) {
  pcg->state = 0;
  pcg->inc = (stream << 1u) | 1u;
  weft_pcg_next(pcg);
  pcg->state += seed;
  weft_pcg_next(pcg);
}

uint32_t weft_pcg_next(weft_pcg *pcg) {
  uint64_t old = pcg->state;
  pcg->state = old * 6364136223846793005ull + pcg->inc;
  uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
  uint32_t rot = (uint32_t)(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

uint32_t weft_pcg_bounded(weft_pcg *pcg, uint32_t bound) {
  if (bound == 0)
    return 0;
  uint32_t threshold = (uint32_t)(-bound) % bound;
  for (;;) {
    uint32_t r = weft_pcg_next(pcg);
    if (r >= threshold)
      return r % bound;
  }
}

double weft_pcg_double(weft_pcg *pcg) {
  uint64_t hi = weft_pcg_next(pcg) >> 5, lo = weft_pcg_next(pcg) >> 6;
  return ((double)hi * 67108864.0 + (double)lo) / 9007199254740992.0;
}

static int pcg_fill(void *user_data, uint8_t *buf, size_t len) {
  weft_pcg *pcg = user_data;
  while (len > 0) {
    uint32_t v = weft_pcg_next(pcg);
    size_t n = len < 4 ? len : 4;
    memcpy(buf, &v, n);
    buf += n;
    len -= n;
  }
  return 0;
}

void weft_rand_from_pcg(weft_rand *r, weft_pcg *pcg) {
  r->fill = pcg_fill;
  r->user_data = pcg;
}

int weft_rand_bytes(const weft_rand *r, uint8_t *buf, size_t len) {
  if (r == NULL)
    r = weft_rand_default();
  return r->fill(r->user_data, buf, len);
}

uint32_t weft_rand_u32(const weft_rand *r) {
  uint32_t v = 0;
  weft_rand_bytes(r, (uint8_t *)&v, sizeof(v));
  return v;
}

uint64_t weft_rand_u64(const weft_rand *r) {
  uint64_t v = 0;
  weft_rand_bytes(r, (uint8_t *)&v, sizeof(v));
  return v;
}

const char *weft_version(void) {
  return "0.1.0";
}
