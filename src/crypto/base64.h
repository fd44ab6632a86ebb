/* Base64 (RFC 4648) through OpenSSL, for the TURN REST API passwords. */
#ifndef WEFT_CRYPTO_BASE64_H
#define WEFT_CRYPTO_BASE64_H

#include <stddef.h>

/**
 * Encodes @p len bytes as base64 with padding into @p out, NUL-terminated.
 * Returns the text length, or WEFT_ERR_BUFFER_TOO_SMALL when @p outcap is
 * below 4 * ceil(len / 3) + 1.
 */
int weft_base64_encode(const void *in, size_t len, char *out, size_t outcap);

#endif
