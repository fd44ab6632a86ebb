/* Base64 through OpenSSL's EVP_EncodeBlock. */
#include "crypto/base64.h"

#include "weft/weft.h"

#include <limits.h>
#include <openssl/evp.h>

int weft_base64_encode(const void *in, size_t len, char *out, size_t outcap) {
  if (len > INT_MAX / 2 || out == NULL || (in == NULL && len > 0))
    return WEFT_ERR_INVALID_ARGUMENT;
  size_t need = 4 * ((len + 2) / 3) + 1;
  if (outcap < need)
    return WEFT_ERR_BUFFER_TOO_SMALL;
  int n = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in,
                          (int)len);
  if (n < 0)
    return WEFT_ERR_CRYPTO;
  out[n] = '\0';
  return n;
}
