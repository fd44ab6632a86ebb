/* Internal helpers shared by the STUN codec files. */
#ifndef WEFT_STUN_STUN_INT_H
#define WEFT_STUN_STUN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "weft/stun.h"

/** Attribute value length rounded up to a multiple of 4. */
static inline size_t stun_pad4(size_t n) {
  return (n + 3) & ~(size_t)3;
}

/** Message type field from method and class (RFC 8489 section 5). */
static inline uint16_t stun_type_encode(uint16_t method, uint8_t cls) {
  return (uint16_t)(((method & 0xF80) << 2) | ((method & 0x070) << 1) |
                    (method & 0x00F) | ((cls & 2) << 7) | ((cls & 1) << 4));
}

static inline uint16_t stun_type_method(uint16_t type) {
  return (uint16_t)((type & 0x000F) | ((type >> 1) & 0x0070) |
                    ((type >> 2) & 0x0F80));
}

static inline uint8_t stun_type_class(uint16_t type) {
  return (uint8_t)(((type >> 4) & 1) | ((type >> 7) & 2));
}

/**
 * Checks the value of attribute @p type: 0 when weft knows it and it is well
 * formed, 1 when weft does not know the type, WEFT_ERR_STUN_MALFORMED when it
 * knows it and the length or content is wrong.
 */
int stun_attr_check(uint16_t type, const uint8_t *v, size_t len);

#endif
