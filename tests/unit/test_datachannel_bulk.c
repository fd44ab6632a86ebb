/* 100 MiB over a reliable ordered data channel through 5% loss, reordering
 * and duplication, in virtual time: it must arrive byte-exact. Both sides
 * chain SHA-256 over the messages (h = SHA-256(h || message)), so contents,
 * order and boundaries are compared.
 *
 * WEFT_DC_BULK_MB sets the size in MiB; sanitizer builds default to 16 MiB
 * (the full run takes minutes there). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "dc_pipe.h"
#include "weft/datachannel.h"

#if defined(__SANITIZE_ADDRESS__)
#define BULK_DEFAULT_MB 16
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BULK_DEFAULT_MB 16
#endif
#endif
#ifndef BULK_DEFAULT_MB
#define BULK_DEFAULT_MB 100
#endif

#define MAX_MSG (64 * 1024)

typedef struct bulk {
  uint16_t id;
  uint64_t total, queued, received;
  uint64_t nsent, nrecv;
  weft_pcg sizes, bytes;
  uint8_t hs[WEFT_SHA256_LEN], hr[WEFT_SHA256_LEN];
  uint8_t msg[MAX_MSG];
  size_t pending; /* length of a message refused with QUEUE_FULL */
  uint64_t queue_full;
} bulk;

static void chain(uint8_t h[WEFT_SHA256_LEN], const uint8_t *data, size_t len) {
  const void *bufs[2] = {h, data};
  size_t lens[2] = {WEFT_SHA256_LEN, len};
  uint8_t out[WEFT_SHA256_LEN];
  assert_int_equal(weft_hash(WEFT_HASH_SHA256, bufs, lens, 2, out), 0);
  memcpy(h, out, sizeof(out));
}

/* Queues messages until 1 MiB is buffered or everything is queued. */
static void refill(dc_pipe *p, bulk *b) {
  while (b->queued < b->total &&
         weft_dc_buffered_amount(p->ep[0], b->id) < 1024 * 1024) {
    size_t len = b->pending;
    if (len == 0) {
      len = 1 + weft_pcg_bounded(&b->sizes, MAX_MSG);
      if (len > b->total - b->queued)
        len = (size_t)(b->total - b->queued);
      for (size_t i = 0; i < len; i += 4) {
        uint32_t v = weft_pcg_next(&b->bytes);
        memcpy(b->msg + i, &v, len - i < 4 ? len - i : 4);
      }
    }
    int rv = weft_dc_send(p->ep[0], p->now, b->id, b->msg, len, 1);
    b->pending = 0;
    if (rv == WEFT_ERR_QUEUE_FULL) { /* unacknowledged data fills it */
      b->pending = len;
      b->queue_full++;
      return;
    }
    assert_int_equal(rv, 0);
    chain(b->hs, b->msg, len);
    b->queued += len;
    b->nsent++;
  }
}

static void on_event(dc_pipe *p, int side, const weft_dc_event *ev) {
  bulk *b = p->user;
  if (side == 0 && ev->type == WEFT_DC_EVENT_BUFFERED_LOW && ev->id == b->id)
    refill(p, b);
  if (side == 1 && ev->type == WEFT_DC_EVENT_MESSAGE) {
    assert_int_equal(ev->id, b->id);
    assert_int_equal(ev->binary, 1);
    chain(b->hr, ev->data, ev->len);
    b->received += ev->len;
    b->nrecv++;
  }
}

/* Checked after every step: also retries a refused message. */
static int all_received(dc_pipe *p) {
  bulk *b = p->user;
  if (b->pending > 0)
    refill(p, b);
  return b->received >= b->total;
}

static int both_open(dc_pipe *p) {
  return p->events[0][WEFT_DC_EVENT_OPEN] && p->events[1][WEFT_DC_EVENT_OPEN];
}

static void test_bulk_lossy(void **state) {
  (void)state;
  uint64_t mb = BULK_DEFAULT_MB;
  const char *env = getenv("WEFT_DC_BULK_MB");
  if (env != NULL && atoi(env) > 0)
    mb = (uint64_t)atoi(env);
  bulk *b = calloc(1, sizeof(*b));
  assert_non_null(b);
  b->total = mb * 1024 * 1024;
  weft_pcg_seed(&b->sizes, 21, 1);
  weft_pcg_seed(&b->bytes, 22, 2);

  dc_pipe p;
  dcp_init(&p, 23);
  p.user = b;
  p.on_event = on_event;
  for (int s = 0; s < 2; s++) {
    weft_dc_settings ds;
    dcp_settings(&p, s, &ds);
    assert_int_equal(weft_dc_new(&p.ep[s], &ds, NULL, NULL), 0);
    assert_int_equal(weft_dc_connect(p.ep[s], p.now), 0);
  }
  weft_dc_channel_init in;
  weft_dc_channel_init_default(&in);
  in.label = "bulk";
  assert_int_equal(weft_dc_open(p.ep[0], p.now, &in, &b->id), 0);
  assert_true(dcp_run(&p, both_open, 5 * (weft_duration)WEFT_SECONDS));
  assert_int_equal(
      weft_dc_set_buffered_amount_low_threshold(p.ep[0], b->id, 256 * 1024), 0);
  p.loss = 0.05;
  p.dup = 0.01;
  p.jitter = 4 * (weft_duration)WEFT_MILLISECONDS; /* reorders */
  p.delay = 20 * (weft_duration)WEFT_MILLISECONDS;
  weft_tstamp t0 = p.now;
  refill(&p, b);
  assert_true(dcp_run(&p, all_received, 3600 * (weft_duration)WEFT_SECONDS));
  assert_int_equal(b->received, b->total);
  assert_int_equal(b->nrecv, b->nsent);
  assert_memory_equal(b->hs, b->hr, WEFT_SHA256_LEN);
  weft_sctp_stats st;
  weft_sctp_get_stats(weft_dc_sctp(p.ep[0]), &st);
  weft_sctp_stats rst;
  weft_sctp_get_stats(weft_dc_sctp(p.ep[1]), &rst);
  double secs = (double)(p.now - t0) / 1e9;
  printf("bulk: %llu MiB in %.1f virtual s (%.1f Mbit/s), %llu messages, "
         "%llu retransmits, %llu duplicate TSNs received\n",
         (unsigned long long)mb, secs, (double)b->total * 8 / secs / 1e6,
         (unsigned long long)b->nsent, (unsigned long long)st.retransmits,
         (unsigned long long)rst.duplicate_tsns);
  assert_true(st.retransmits > 0);
  assert_true(rst.duplicate_tsns > 0);
  dcp_free(&p);
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bulk_lossy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
