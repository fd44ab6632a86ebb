/*
 * Bounds-checked byte reader and writer (network byte order). Every parser in
 * weft reads through weft_rd and every encoder writes through weft_wr.
 *
 * Both are "sticky": the first out-of-bounds access sets `err` and every
 * later access fails too, returning 0 values and writing nothing, so a codec
 * may do a sequence of reads and check `err` once at the end. Each function
 * also returns 0 on success and WEFT_ERR_PARSE (reader) or
 * WEFT_ERR_BUFFER_TOO_SMALL (writer) on failure for callers that check at
 * once.
 */
#ifndef WEFT_BASE_BUF_H
#define WEFT_BASE_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "weft/weft.h"

typedef struct weft_rd {
  const uint8_t *p;
  size_t len;
  size_t pos;
  int err;
} weft_rd;

typedef struct weft_wr {
  uint8_t *p;
  size_t cap;
  size_t pos;
  int err;
} weft_wr;

static inline void weft_rd_init(weft_rd *r, const void *p, size_t len) {
  r->p = (const uint8_t *)p;
  r->len = p ? len : 0;
  r->pos = 0;
  r->err = 0;
}

static inline size_t weft_rd_left(const weft_rd *r) {
  return r->err ? 0 : r->len - r->pos;
}

static inline int weft_rd_need(weft_rd *r, size_t n) {
  if (r->err || r->len - r->pos < n) {
    r->err = WEFT_ERR_PARSE;
    return WEFT_ERR_PARSE;
  }
  return 0;
}

static inline int weft_rd_u8(weft_rd *r, uint8_t *v) {
  if (weft_rd_need(r, 1)) {
    *v = 0;
    return WEFT_ERR_PARSE;
  }
  *v = r->p[r->pos++];
  return 0;
}

static inline int weft_rd_u16(weft_rd *r, uint16_t *v) {
  if (weft_rd_need(r, 2)) {
    *v = 0;
    return WEFT_ERR_PARSE;
  }
  const uint8_t *p = r->p + r->pos;
  *v = (uint16_t)((p[0] << 8) | p[1]);
  r->pos += 2;
  return 0;
}

static inline int weft_rd_u24(weft_rd *r, uint32_t *v) {
  if (weft_rd_need(r, 3)) {
    *v = 0;
    return WEFT_ERR_PARSE;
  }
  const uint8_t *p = r->p + r->pos;
  *v = ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
  r->pos += 3;
  return 0;
}

static inline int weft_rd_u32(weft_rd *r, uint32_t *v) {
  if (weft_rd_need(r, 4)) {
    *v = 0;
    return WEFT_ERR_PARSE;
  }
  const uint8_t *p = r->p + r->pos;
  *v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
       p[3];
  r->pos += 4;
  return 0;
}

static inline int weft_rd_u64(weft_rd *r, uint64_t *v) {
  uint32_t hi = 0, lo = 0;
  if (weft_rd_u32(r, &hi) || weft_rd_u32(r, &lo)) {
    *v = 0;
    return WEFT_ERR_PARSE;
  }
  *v = ((uint64_t)hi << 32) | lo;
  return 0;
}

/** Points @p out at the next @p n bytes (a view into the input). */
static inline int weft_rd_view(weft_rd *r, size_t n, const uint8_t **out) {
  if (weft_rd_need(r, n)) {
    *out = NULL;
    return WEFT_ERR_PARSE;
  }
  *out = r->p + r->pos;
  r->pos += n;
  return 0;
}

static inline int weft_rd_copy(weft_rd *r, void *out, size_t n) {
  if (weft_rd_need(r, n))
    return WEFT_ERR_PARSE;
  memcpy(out, r->p + r->pos, n);
  r->pos += n;
  return 0;
}

static inline int weft_rd_skip(weft_rd *r, size_t n) {
  if (weft_rd_need(r, n))
    return WEFT_ERR_PARSE;
  r->pos += n;
  return 0;
}

/** A sub-reader over the next @p n bytes; the parent skips them. */
static inline int weft_rd_sub(weft_rd *r, size_t n, weft_rd *sub) {
  const uint8_t *p;
  if (weft_rd_view(r, n, &p)) {
    weft_rd_init(sub, NULL, 0);
    sub->err = WEFT_ERR_PARSE;
    return WEFT_ERR_PARSE;
  }
  weft_rd_init(sub, p, n);
  return 0;
}

static inline void weft_wr_init(weft_wr *w, void *p, size_t cap) {
  w->p = (uint8_t *)p;
  w->cap = p ? cap : 0;
  w->pos = 0;
  w->err = 0;
}

static inline size_t weft_wr_left(const weft_wr *w) {
  return w->err ? 0 : w->cap - w->pos;
}

static inline int weft_wr_need(weft_wr *w, size_t n) {
  if (w->err || w->cap - w->pos < n) {
    w->err = WEFT_ERR_BUFFER_TOO_SMALL;
    return WEFT_ERR_BUFFER_TOO_SMALL;
  }
  return 0;
}

static inline int weft_wr_u8(weft_wr *w, uint8_t v) {
  if (weft_wr_need(w, 1))
    return WEFT_ERR_BUFFER_TOO_SMALL;
  w->p[w->pos++] = v;
  return 0;
}

static inline int weft_wr_u16(weft_wr *w, uint16_t v) {
  if (weft_wr_need(w, 2))
    return WEFT_ERR_BUFFER_TOO_SMALL;
  w->p[w->pos] = (uint8_t)(v >> 8);
  w->p[w->pos + 1] = (uint8_t)v;
  w->pos += 2;
  return 0;
}

static inline int weft_wr_u24(weft_wr *w, uint32_t v) {
  if (weft_wr_need(w, 3))
    return WEFT_ERR_BUFFER_TOO_SMALL;
  w->p[w->pos] = (uint8_t)(v >> 16);
  w->p[w->pos + 1] = (uint8_t)(v >> 8);
  w->p[w->pos + 2] = (uint8_t)v;
  w->pos += 3;
  return 0;
}

static inline int weft_wr_u32(weft_wr *w, uint32_t v) {
  if (weft_wr_need(w, 4))
    return WEFT_ERR_BUFFER_TOO_SMALL;
  uint8_t *p = w->p + w->pos;
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
  w->pos += 4;
  return 0;
}

static inline int weft_wr_u64(weft_wr *w, uint64_t v) {
  if (weft_wr_need(w, 8))
    return WEFT_ERR_BUFFER_TOO_SMALL;
  weft_wr_u32(w, (uint32_t)(v >> 32));
  return weft_wr_u32(w, (uint32_t)v);
}

static inline int weft_wr_bytes(weft_wr *w, const void *p, size_t n) {
  if (weft_wr_need(w, n))
    return WEFT_ERR_BUFFER_TOO_SMALL;
  if (n)
    memcpy(w->p + w->pos, p, n);
  w->pos += n;
  return 0;
}

static inline int weft_wr_zero(weft_wr *w, size_t n) {
  if (weft_wr_need(w, n))
    return WEFT_ERR_BUFFER_TOO_SMALL;
  memset(w->p + w->pos, 0, n);
  w->pos += n;
  return 0;
}

/** Reserves @p n bytes to fill later; *out points at them. */
static inline int weft_wr_reserve(weft_wr *w, size_t n, uint8_t **out) {
  if (weft_wr_need(w, n)) {
    *out = NULL;
    return WEFT_ERR_BUFFER_TOO_SMALL;
  }
  *out = w->p + w->pos;
  w->pos += n;
  return 0;
}

/* Unchecked big-endian helpers for code that has already checked bounds. */
static inline uint16_t weft_get_u16(const uint8_t *p) {
  return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t weft_get_u32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | p[3];
}
static inline void weft_put_u16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static inline void weft_put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

#endif /* WEFT_BASE_BUF_H */
