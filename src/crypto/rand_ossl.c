/* The default randomness: OpenSSL's CSPRNG. */
#include "weft/weft.h"

#include <limits.h>
#include <openssl/rand.h>

static int ossl_fill(void *user_data, uint8_t *buf, size_t len) {
  (void)user_data;
  while (len > 0) {
    int n = len > INT_MAX ? INT_MAX : (int)len;
    if (RAND_bytes(buf, n) != 1)
      return WEFT_ERR_CRYPTO;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

static const weft_rand ossl_rand = {ossl_fill, NULL};

const weft_rand *weft_rand_default(void) {
  return &ossl_rand;
}
