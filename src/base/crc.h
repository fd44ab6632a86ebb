/* CRC-32 (ISO-HDLC, as STUN FINGERPRINT uses) and CRC-32c (Castagnoli, as
 * SCTP uses; SSE 4.2 instruction where the CPU has it, chosen at run time). */
#ifndef WEFT_BASE_CRC_H
#define WEFT_BASE_CRC_H

#include <stddef.h>
#include <stdint.h>

/** CRC-32 of @p len bytes, continuing from @p crc (start with 0). */
uint32_t weft_crc32(uint32_t crc, const void *data, size_t len);

/** CRC-32c of @p len bytes, continuing from @p crc (start with 0). */
uint32_t weft_crc32c(uint32_t crc, const void *data, size_t len);

/** The table-driven CRC-32c, always (for tests against the fast path). */
uint32_t weft_crc32c_sw(uint32_t crc, const void *data, size_t len);

#endif
