/* Byte FIFOs of weft_dtls: records to send, events with their data. */
#include "dtls/dtls_internal.h"

#include "base/mem.h"

#include <string.h>

size_t weft_dtls_fifo_len(const dtls_fifo *f) {
  return f->tail - f->head;
}

static int fifo_room(const weft_mem *mem, dtls_fifo *f, size_t need,
                     int force) {
  if (f->cap - f->tail >= need)
    return 0;
  if (f->head > 0) {
    memmove(f->buf, f->buf + f->head, f->tail - f->head);
    f->tail -= f->head;
    f->head = 0;
    if (f->cap - f->tail >= need)
      return 0;
  }
  size_t want = f->tail + need;
  if (!force && want > f->limit)
    return WEFT_ERR_QUEUE_FULL;
  size_t cap = f->cap ? f->cap : 2048;
  while (cap < want)
    cap *= 2;
  uint8_t *nb = weft_realloc(mem, f->buf, cap);
  if (nb == NULL)
    return WEFT_ERR_NOMEM;
  f->buf = nb;
  f->cap = cap;
  return 0;
}

int weft_dtls_fifo_push(const weft_mem *mem, dtls_fifo *f, const void *a,
                        size_t alen, const void *b, size_t blen, int force) {
  size_t align = f->align ? f->align : 1;
  size_t need = (alen + blen + align - 1) / align * align;
  int rv = fifo_room(mem, f, need, force);
  if (rv != 0)
    return rv;
  if (alen)
    memcpy(f->buf + f->tail, a, alen);
  if (blen)
    memcpy(f->buf + f->tail + alen, b, blen);
  if (need > alen + blen)
    memset(f->buf + f->tail + alen + blen, 0, need - alen - blen);
  f->tail += need;
  return 0;
}

void weft_dtls_fifo_free(const weft_mem *mem, dtls_fifo *f) {
  weft_free(mem, f->buf);
  f->buf = NULL;
  f->head = f->tail = f->cap = 0;
}
