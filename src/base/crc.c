/* CRC-32 (reflected 0xEDB88320) and CRC-32c (reflected 0x82F63B78). CRC-32c
 * uses the SSE 4.2 crc32 instruction when the CPU has it. */
#include "base/crc.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define WEFT_CRC_X86 1
#endif

/* CRC-32 uses slicing-by-8 (eight tables, eight bytes per step): STUN
 * FINGERPRINT is on the hot path of every STUN server answer. */
static uint32_t crc32_tables[8][256];
#define crc32_table crc32_tables[0]
static uint32_t crc32c_table[256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void make_table(uint32_t *t, uint32_t poly) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
    t[i] = c;
  }
}

static void make_tables(void) {
  make_table(crc32_table, 0xEDB88320u);
  make_table(crc32c_table, 0x82F63B78u);
  for (int k = 1; k < 8; k++)
    for (int i = 0; i < 256; i++) {
      uint32_t prev = crc32_tables[k - 1][i];
      crc32_tables[k][i] = (prev >> 8) ^ crc32_table[prev & 0xff];
    }
}

static uint32_t crc_table_run(const uint32_t *t, uint32_t crc, const void *data,
                              size_t len) {
  const uint8_t *p = data;
  crc = ~crc;
  while (len--)
    crc = t[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

uint32_t weft_crc32(uint32_t crc, const void *data, size_t len) {
  pthread_once(&tables_once, make_tables);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const uint8_t *p = data;
  const uint32_t(*t)[256] = (const uint32_t(*)[256])crc32_tables;
  crc = ~crc;
  while (len >= 8) {
    uint32_t a, b;
    memcpy(&a, p, 4);
    memcpy(&b, p + 4, 4);
    a ^= crc;
    crc = t[7][a & 0xff] ^ t[6][(a >> 8) & 0xff] ^ t[5][(a >> 16) & 0xff] ^
          t[4][a >> 24] ^ t[3][b & 0xff] ^ t[2][(b >> 8) & 0xff] ^
          t[1][(b >> 16) & 0xff] ^ t[0][b >> 24];
    p += 8;
    len -= 8;
  }
  return crc_table_run(crc32_table, ~crc, p, len);
#else
  return crc_table_run(crc32_table, crc, data, len);
#endif
}

uint32_t weft_crc32c_sw(uint32_t crc, const void *data, size_t len) {
  pthread_once(&tables_once, make_tables);
  return crc_table_run(crc32c_table, crc, data, len);
}

#ifdef WEFT_CRC_X86
__attribute__((target("sse4.2"))) static uint32_t
crc32c_hw(uint32_t crc, const void *data, size_t len) {
  const uint8_t *p = data;
  uint64_t c = ~crc;
  while (len > 0 && ((uintptr_t)p & 7) != 0) {
    c = _mm_crc32_u8((uint32_t)c, *p++);
    len--;
  }
  while (len >= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    len -= 8;
  }
  while (len--)
    c = _mm_crc32_u8((uint32_t)c, *p++);
  return ~(uint32_t)c;
}

static int have_sse42(void) {
  static int cached = -1;
  if (cached < 0)
    cached = __builtin_cpu_supports("sse4.2") ? 1 : 0;
  return cached;
}
#endif

uint32_t weft_crc32c(uint32_t crc, const void *data, size_t len) {
#ifdef WEFT_CRC_X86
  if (have_sse42())
    return crc32c_hw(crc, data, len);
#endif
  return weft_crc32c_sw(crc, data, len);
}
