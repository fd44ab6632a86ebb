/* SCTP association tests: two weft associations through an in-test packet
 * pipe with virtual time (sctp_pipe.h): handshake (client/server and
 * simultaneous), messages of many sizes ordered and unordered on many
 * streams (SHA-256 checked), bulk transfer under loss, reordering and
 * duplication, partial reliability, stream reset, shutdown, abort, and
 * hostile input (bad tag, bad checksum, TSN far outside the window,
 * oversized messages). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "sctp/sctp_chunk.h"
#include "sctp/sctp_int.h"
#include "sctp_pipe.h"
#include "weft/sctp.h"

#define MS ((weft_duration)WEFT_MILLISECONDS)
#define SEC ((weft_duration)WEFT_SECONDS)

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

/* ---- message generation and checking ---- */

/* Message @p id of @p len bytes: 8-byte id, then PCG bytes seeded by id. */
static void gen_msg(uint8_t *buf, size_t len, uint64_t id) {
  weft_pcg g;
  weft_pcg_seed(&g, id, 99);
  size_t i = 0;
  for (; i < len && i < 8; i++)
    buf[i] = (uint8_t)(id >> (56 - 8 * i));
  for (; i < len; i++)
    buf[i] = (uint8_t)weft_pcg_next(&g);
}

static uint64_t msg_id(const uint8_t *p) {
  uint64_t id = 0;
  for (int i = 0; i < 8; i++)
    id = (id << 8) | p[i];
  return id;
}

static int msg_ok(const uint8_t *p, size_t len) {
  if (len < 8)
    return 0;
  uint8_t *exp = malloc(len);
  gen_msg(exp, len, msg_id(p));
  int ok = memcmp(exp, p, len) == 0;
  free(exp);
  return ok;
}

typedef struct rx_log {
  uint64_t msgs, bytes, bad;
  uint64_t last_id[64];
  int order_bad;
  uint8_t sha[8][WEFT_SHA256_LEN];
  size_t nsha;
  uint16_t reset_in[16], reset_out[16];
  size_t nreset_in, nreset_out;
  int abort_error;
  uint16_t abort_cause;
  uint64_t last_ids[4096];
  size_t nlast;
  weft_tstamp msg_time[4096];
} rx_log;

typedef struct ctx {
  rx_log rx[2];
  /* bulk sender */
  uint64_t next_id, sent_bytes, target_bytes;
  size_t msg_len;
  int unordered_every;
  int pr, pr_value;
  uint16_t nstreams;
  uint8_t pend[70000];
  size_t pend_len;
} ctx;

static void on_event(sctp_pipe *p, int side, const weft_sctp_event *ev) {
  ctx *c = p->user;
  rx_log *r = &c->rx[side];
  switch (ev->type) {
  case WEFT_SCTP_EVENT_MESSAGE:
    r->msgs++;
    r->bytes += ev->len;
    if (ev->len >= 8) {
      if (!msg_ok(ev->data, ev->len))
        r->bad++;
      uint64_t id = msg_id(ev->data);
      if (!ev->unordered && ev->stream < 64) {
        if (r->last_id[ev->stream] != 0 && id <= r->last_id[ev->stream])
          r->order_bad = 1;
        r->last_id[ev->stream] = id;
      }
      if (r->nlast < 4096) {
        r->msg_time[r->nlast] = p->now;
        r->last_ids[r->nlast++] = id;
      }
    }
    if (r->nsha < 8)
      weft_hash1(WEFT_HASH_SHA256, ev->data, ev->len, r->sha[r->nsha++]);
    break;
  case WEFT_SCTP_EVENT_STREAM_RESET_IN:
    if (r->nreset_in < 16)
      r->reset_in[r->nreset_in++] = ev->stream;
    break;
  case WEFT_SCTP_EVENT_STREAM_RESET_OUT:
    if (r->nreset_out < 16)
      r->reset_out[r->nreset_out++] = ev->stream;
    break;
  case WEFT_SCTP_EVENT_ABORTED:
    r->abort_error = ev->error;
    r->abort_cause = ev->cause;
    break;
  default:
    break;
  }
}

static void setup_pipe(sctp_pipe *p, ctx *c, uint64_t seed,
                       const weft_sctp_settings *s0,
                       const weft_sctp_settings *s1) {
  pipe_init(p, seed);
  memset(c, 0, sizeof(*c));
  p->user = c;
  p->on_event = on_event;
  weft_sctp_settings s;
  pipe_settings(p, &s);
  weft_sctp_settings a = s0 ? *s0 : s, b = s1 ? *s1 : s;
  a.rand = b.rand = &p->rnd;
  assert_int_equal(weft_sctp_assoc_new(&p->ep[0], &a, NULL, NULL), 0);
  assert_int_equal(weft_sctp_assoc_new(&p->ep[1], &b, NULL, NULL), 0);
}

static int both_up(sctp_pipe *p) {
  return p->events[0][WEFT_SCTP_EVENT_CONNECTED] == 1 &&
         p->events[1][WEFT_SCTP_EVENT_CONNECTED] == 1;
}

static void connect_pair(sctp_pipe *p, int both) {
  assert_int_equal(weft_sctp_connect(p->ep[0], p->now), 0);
  if (both)
    assert_int_equal(weft_sctp_connect(p->ep[1], p->now), 0);
  assert_true(pipe_run(p, both_up, 30 * SEC));
}

/* ---- handshake ---- */

static void test_handshake(void **state) {
  (void)state;
  sctp_pipe p;
  ctx c;
  setup_pipe(&p, &c, 1, NULL, NULL);
  assert_int_equal(weft_sctp_send(p.ep[0], p.now, 0, 51, "x", 1, 0, 0, 0),
                   WEFT_ERR_INVALID_STATE);
  connect_pair(&p, 0);
  /* Four packets: INIT, INIT-ACK, COOKIE-ECHO, COOKIE-ACK, one RTT each. */
  assert_int_equal(p.packets[0] + p.packets[1], 4);
  assert_true(weft_sctp_is_established(p.ep[0]));
  assert_true(weft_sctp_is_established(p.ep[1]));
  assert_int_equal(weft_sctp_out_streams(p.ep[0]), 65535);
  assert_int_equal(weft_sctp_in_streams(p.ep[1]), 65535);
  pipe_free(&p);
}

static void test_handshake_simultaneous(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 5; seed++) {
    sctp_pipe p;
    ctx c;
    setup_pipe(&p, &c, seed, NULL, NULL);
    p.jitter = (weft_duration)(seed * 3) * MS;
    connect_pair(&p, 1);
    assert_int_equal(
        weft_sctp_send(p.ep[1], p.now, 1, 51, "ping1234", 8, 0, 0, 0), 0);
    assert_int_equal(
        weft_sctp_send(p.ep[0], p.now, 1, 51, "pong1234", 8, 0, 0, 0), 0);
    pipe_run(&p, NULL, 2 * SEC);
    assert_int_equal(c.rx[0].msgs, 1);
    assert_int_equal(c.rx[1].msgs, 1);
    pipe_free(&p);
  }
}

static int filter_drop_first_two(sctp_pipe *p, int from, uint8_t *pkt,
                                 size_t *len) {
  (void)from, (void)pkt, (void)len;
  return p->packets[0] + p->packets[1] <= 2;
}

static void test_handshake_lost_init(void **state) {
  (void)state;
  sctp_pipe p;
  ctx c;
  setup_pipe(&p, &c, 3, NULL, NULL);
  p.filter = filter_drop_first_two; /* INIT lost, then retransmitted INIT */
  weft_tstamp t0 = p.now;
  connect_pair(&p, 0);
  /* T1 backs off: 1 s then 2 s. */
  assert_true(p.now - t0 >= 3 * WEFT_SECONDS);
  pipe_free(&p);
}

/* ---- messages ---- */

static void test_message_sizes(void **state) {
  (void)state;
  static const size_t sizes[] = {1,    8,    100,   1159,   1160,
                                 1161, 4096, 65536, 262144, 1048576};
  weft_sctp_settings s;
  sctp_pipe p;
  ctx c;
  pipe_init(&p, 1);
  pipe_settings(&p, &s);
  s.max_message_size = 1 << 20;
  setup_pipe(&p, &c, 11, &s, &s);
  p.loss = 0.02;
  connect_pair(&p, 0);
  size_t n = sizeof(sizes) / sizeof(sizes[0]);
  uint8_t sha[8][WEFT_SHA256_LEN];
  for (int round = 0; round < 2; round++) {
    memset(&c.rx[1], 0, sizeof(c.rx[1]));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
      uint8_t *m = malloc(sizes[i]);
      gen_msg(m, sizes[i], 1000 + i);
      if (sizes[i] < 8)
        memset(m, 0xab, sizes[i]);
      int flags = round ? WEFT_SCTP_UNORDERED : 0;
      /* Ordered: all on stream 3 to check the order; unordered: spread. */
      uint16_t stream = round ? (uint16_t)(i * 6553) : 3;
      if (k < 8)
        weft_hash1(WEFT_HASH_SHA256, m, sizes[i], sha[k++]);
      int rc;
      while ((rc = weft_sctp_send(p.ep[0], p.now, stream, 53, m, sizes[i],
                                  flags, 0, 0)) == WEFT_ERR_QUEUE_FULL)
        pipe_step(&p, WEFT_TSTAMP_NONE - 1);
      assert_int_equal(rc, 0);
      free(m);
    }
    pipe_run(&p, NULL, 60 * SEC);
    assert_int_equal(c.rx[1].msgs, n);
    assert_int_equal(c.rx[1].bad, 0);
    assert_int_equal(c.rx[1].order_bad, 0);
    if (!round) /* in order: the first 8 hashes match one to one */
      for (size_t i = 0; i < 8; i++)
        assert_memory_equal(c.rx[1].sha[i], sha[i], WEFT_SHA256_LEN);
  }
  assert_int_equal(weft_sctp_send(p.ep[0], p.now, 0, 51, "", 0, 0, 0, 0),
                   WEFT_ERR_INVALID_ARGUMENT);
  pipe_free(&p);
}

static void pump(sctp_pipe *p) {
  ctx *c = p->user;
  while (c->sent_bytes < c->target_bytes) {
    uint64_t id = c->next_id + 1;
    if (c->pend_len == 0) { /* generated once, retried until accepted */
      c->pend_len =
          c->msg_len ? c->msg_len : 8 + weft_pcg_bounded(&p->pcg, 65536 - 8);
      gen_msg(c->pend, c->pend_len, id);
    }
    uint16_t stream = (uint16_t)(id % (c->nstreams ? c->nstreams : 1));
    int flags = c->unordered_every && id % c->unordered_every == 0
                    ? WEFT_SCTP_UNORDERED
                    : 0;
    int rc = weft_sctp_send(p->ep[0], p->now, stream, 53, c->pend, c->pend_len,
                            flags, c->pr, (uint32_t)c->pr_value);
    if (rc == WEFT_ERR_QUEUE_FULL)
      return;
    assert_int_equal(rc, 0);
    c->next_id = id;
    c->sent_bytes += c->pend_len;
    c->pend_len = 0;
  }
}

static int bulk_done(sctp_pipe *p) {
  ctx *c = p->user;
  pump(p);
  return c->sent_bytes >= c->target_bytes && c->rx[1].bytes >= c->target_bytes;
}

static void bulk(uint64_t mib, double loss, double dup, weft_duration jitter,
                 uint64_t rate) {
  sctp_pipe p;
  ctx c;
  setup_pipe(&p, &c, 21, NULL, NULL);
  p.loss = loss;
  p.dup = dup;
  p.jitter = jitter;
  p.rate_bps = rate;
  connect_pair(&p, 0);
  c.target_bytes = mib << 20;
  c.nstreams = 16;
  c.unordered_every = 5;
  weft_tstamp t0 = p.now;
  assert_true(pipe_run(&p, bulk_done, 3600 * SEC));
  weft_sctp_stats st;
  weft_sctp_get_stats(p.ep[0], &st);
  double secs = (double)(p.now - t0) / 1e9;
  fprintf(stderr,
          "bulk %llu MiB loss %.2f dup %.2f: %.1f virtual s, %.1f Mbit/s, "
          "rtx %llu fast %llu t3 %llu, cwnd %u\n",
          (unsigned long long)mib, loss, dup, secs,
          (double)c.target_bytes * 8 / secs / 1e6,
          (unsigned long long)st.retransmits,
          (unsigned long long)st.fast_retransmits,
          (unsigned long long)st.t3_expiries, st.cwnd);
  assert_int_equal(c.rx[1].bad, 0);
  assert_int_equal(c.rx[1].order_bad, 0);
  assert_int_equal(c.rx[1].bytes, c.sent_bytes);
  assert_int_equal(c.rx[1].msgs, c.next_id);
  pipe_free(&p);
}

static uint64_t env_mib(const char *name, uint64_t dflt) {
  const char *v = getenv(name);
  return v != NULL ? strtoull(v, NULL, 10) : dflt;
}

static void test_bulk_clean(void **state) {
  (void)state;
  bulk(env_mib("WEFT_SCTP_CLEAN_MIB", UNDER_SANITIZER ? 16 : 64), 0, 0, 0,
       1000000000ull);
}

static void test_bulk_lossy(void **state) {
  (void)state;
  /* 5% loss, 1% duplication, 20 ms jitter (reordering) each way. */
  bulk(env_mib("WEFT_SCTP_LOSSY_MIB", UNDER_SANITIZER ? 16 : 100), 0.05, 0.01,
       20 * MS, 100000000ull);
}

/* ---- partial reliability ---- */

static void test_pr_max_retransmits(void **state) {
  (void)state;
  sctp_pipe p;
  ctx c;
  setup_pipe(&p, &c, 31, NULL, NULL);
  connect_pair(&p, 0);
  p.loss = 0.2;
  c.target_bytes = 2000 * 3000;
  c.msg_len = 3000; /* three fragments each */
  c.nstreams = 2;
  c.pr = WEFT_SCTP_PR_RTX;
  c.pr_value = 0;
  pipe_run(&p, bulk_done, 60 * SEC);
  p.loss = 0;
  pipe_run(&p, NULL, 10 * SEC);
  weft_sctp_stats st;
  weft_sctp_get_stats(p.ep[0], &st);
  /* Never retransmitted, some abandoned, the rest delivered intact and in
   * order; the receiver moved on (a reliable message still arrives). */
  assert_int_equal(st.retransmits, 0);
  assert_true(st.abandoned > 0);
  assert_int_equal(c.rx[1].bad, 0);
  assert_int_equal(c.rx[1].order_bad, 0);
  assert_true(c.rx[1].msgs > 0);
  /* A message can be abandoned after it arrived (its SACK was lost). */
  assert_true(c.rx[1].msgs <= c.next_id);
  assert_true(c.rx[1].msgs + st.abandoned >= c.next_id);
  uint8_t m[100];
  gen_msg(m, sizeof(m), 999999);
  uint64_t before = c.rx[1].msgs;
  assert_int_equal(weft_sctp_send(p.ep[0], p.now, 1, 51, m, 100, 0, 0, 0), 0);
  pipe_run(&p, NULL, 10 * SEC);
  assert_int_equal(c.rx[1].msgs, before + 1);
  assert_int_equal(st.flight, 0);
  pipe_free(&p);
}

static void test_pr_lifetime(void **state) {
  (void)state;
  sctp_pipe p;
  ctx c;
  setup_pipe(&p, &c, 41, NULL, NULL);
  connect_pair(&p, 0);
  p.loss = 0.03;
  p.delay = 30 * MS;
  /* 8 Mbit/s offered at 3% loss: cwnd stays small, messages expire. */
  uint8_t m[2000];
  weft_tstamp sent_at[400];
  for (int i = 0; i < 400; i++) {
    gen_msg(m, sizeof(m), (uint64_t)i + 1);
    sent_at[i] = p.now;
    assert_int_equal(weft_sctp_send(p.ep[0], p.now, 2, 51, m, sizeof(m), 0,
                                    WEFT_SCTP_PR_LIFETIME, 100),
                     0);
    pipe_run(&p, NULL, 2 * MS);
  }
  p.loss = 0;
  pipe_run(&p, NULL, 10 * SEC);
  weft_sctp_stats st;
  weft_sctp_get_stats(p.ep[0], &st);
  assert_true(st.abandoned > 0);
  assert_int_equal(c.rx[1].bad, 0);
  assert_int_equal(c.rx[1].order_bad, 0);
  fprintf(stderr, "lifetime: %llu of 400 delivered, %llu abandoned\n",
          (unsigned long long)c.rx[1].msgs, (unsigned long long)st.abandoned);
  assert_true(c.rx[1].msgs > 100);
  /* Nothing is delivered later than the lifetime plus what it takes to
   * learn of a loss (a round trip) and one-way delay, after send(). */
  for (size_t i = 0; i < c.rx[1].nlast; i++) {
    uint64_t id = c.rx[1].last_ids[i];
    assert_true(id >= 1 && id <= 400);
    assert_true(c.rx[1].msg_time[i] - sent_at[id - 1] <=
                (weft_tstamp)(100 * MS + 3 * 30 * MS + 5 * MS));
  }
  assert_int_equal(st.flight, 0);
  pipe_free(&p);
}

/* ---- stream reset ---- */

static void test_stream_reset(void **state) {
  (void)state;
  sctp_pipe p;
  ctx c;
  setup_pipe(&p, &c, 51, NULL, NULL);
  connect_pair(&p, 0);
  uint8_t m[5000];
  for (int i = 0; i < 3; i++) {
    gen_msg(m, sizeof(m), (uint64_t)i + 1);
    assert_int_equal(
        weft_sctp_send(p.ep[0], p.now, 7, 51, m, sizeof(m), 0, 0, 0), 0);
  }
  uint16_t s7 = 7;
  assert_int_equal(weft_sctp_reset_streams(p.ep[0], p.now, &s7, 1), 0);
  /* No sending on a stream being reset. */
  assert_int_equal(weft_sctp_send(p.ep[0], p.now, 7, 51, m, 10, 0, 0, 0),
                   WEFT_ERR_SCTP_STREAM);
  pipe_run(&p, NULL, 5 * SEC);
  assert_int_equal(c.rx[1].msgs, 3); /* queued data went first */
  assert_int_equal(c.rx[1].nreset_in, 1);
  assert_int_equal(c.rx[1].reset_in[0], 7);
  assert_int_equal(c.rx[0].nreset_out, 1);
  assert_int_equal(c.rx[0].reset_out[0], 7);
  /* The stream is usable again with SSN 0: ordered delivery still works. */
  memset(c.rx[1].last_id, 0, sizeof(c.rx[1].last_id));
  for (int i = 0; i < 3; i++) {
    gen_msg(m, sizeof(m), (uint64_t)i + 10);
    assert_int_equal(
        weft_sctp_send(p.ep[0], p.now, 7, 51, m, sizeof(m), 0, 0, 0), 0);
  }
  pipe_run(&p, NULL, 5 * SEC);
  assert_int_equal(c.rx[1].msgs, 6);
  assert_int_equal(c.rx[1].order_bad, 0);
  /* And the other direction, under loss. */
  p.loss = 0.3;
  assert_int_equal(weft_sctp_send(p.ep[1], p.now, 9, 51, m, 100, 0, 0, 0), 0);
  uint16_t s9 = 9;
  assert_int_equal(weft_sctp_reset_streams(p.ep[1], p.now, &s9, 1), 0);
  pipe_run(&p, NULL, 60 * SEC);
  assert_int_equal(c.rx[0].nreset_in, 1);
  assert_int_equal(c.rx[0].reset_in[0], 9);
  assert_int_equal(c.rx[1].nreset_out, 1);
  assert_int_equal(c.rx[0].msgs, 1);
  pipe_free(&p);
}

/* ---- shutdown and abort ---- */

static int both_closed(sctp_pipe *p) {
  return p->events[0][WEFT_SCTP_EVENT_CLOSED] == 1 &&
         p->events[1][WEFT_SCTP_EVENT_CLOSED] == 1;
}

static void test_shutdown(void **state) {
  (void)state;
  for (int lossy = 0; lossy < 2; lossy++) {
    sctp_pipe p;
    ctx c;
    setup_pipe(&p, &c, 61 + (uint64_t)lossy, NULL, NULL);
    connect_pair(&p, 0);
    p.loss = lossy ? 0.2 : 0;
    uint8_t m[20000];
    gen_msg(m, sizeof(m), 5);
    assert_int_equal(
        weft_sctp_send(p.ep[0], p.now, 1, 51, m, sizeof(m), 0, 0, 0), 0);
    assert_int_equal(weft_sctp_shutdown(p.ep[0], p.now), 0);
    assert_int_equal(weft_sctp_send(p.ep[0], p.now, 1, 51, m, 10, 0, 0, 0),
                     WEFT_ERR_INVALID_STATE);
    assert_true(pipe_run(&p, both_closed, 120 * SEC));
    assert_int_equal(c.rx[1].msgs, 1); /* delivered before the close */
    assert_int_equal(c.rx[1].bad, 0);
    assert_int_equal(weft_sctp_deadline(p.ep[0]), WEFT_TSTAMP_NONE);
    assert_int_equal(p.events[0][WEFT_SCTP_EVENT_ABORTED], 0);
    pipe_free(&p);
  }
}

static void test_abort(void **state) {
  (void)state;
  sctp_pipe p;
  ctx c;
  setup_pipe(&p, &c, 71, NULL, NULL);
  connect_pair(&p, 0);
  weft_sctp_abort(p.ep[0], p.now);
  pipe_run(&p, NULL, 5 * SEC);
  assert_int_equal(p.events[1][WEFT_SCTP_EVENT_ABORTED], 1);
  assert_int_equal(c.rx[1].abort_error, WEFT_ERR_SCTP_ABORTED);
  assert_int_equal(c.rx[1].abort_cause, WEFT_SCTP_CAUSE_USER_ABORT);
  assert_false(weft_sctp_is_established(p.ep[1]));
  assert_int_equal(weft_sctp_send(p.ep[1], p.now, 0, 51, "x", 1, 0, 0, 0),
                   WEFT_ERR_INVALID_STATE);
  pipe_free(&p);
}

static void test_peer_gone_times_out(void **state) {
  (void)state;
  sctp_pipe p;
  ctx c;
  setup_pipe(&p, &c, 72, NULL, NULL);
  connect_pair(&p, 0);
  p.loss = 1.0;
  assert_int_equal(
      weft_sctp_send(p.ep[0], p.now, 0, 51, "hello123", 8, 0, 0, 0), 0);
  pipe_run(&p, NULL, 3600 * SEC);
  assert_int_equal(p.events[0][WEFT_SCTP_EVENT_ABORTED], 1);
  assert_int_equal(c.rx[0].abort_error, WEFT_ERR_TIMEOUT);
  pipe_free(&p);
}

/* ---- hostile input ---- */

static uint8_t captured[PIPE_MTU];
static size_t captured_len;

static int capture_data(sctp_pipe *p, int from, uint8_t *pkt, size_t *len) {
  (void)p;
  if (from == 0 && *len > 28 && pkt[12] == WEFT_SCTP_DATA &&
      captured_len == 0) {
    memcpy(captured, pkt, *len);
    captured_len = *len;
    return 1;
  }
  return 0;
}

static void test_bad_packets(void **state) {
  (void)state;
  sctp_pipe p;
  ctx c;
  setup_pipe(&p, &c, 81, NULL, NULL);
  connect_pair(&p, 0);
  captured_len = 0;
  p.filter = capture_data;
  uint8_t m[100];
  gen_msg(m, sizeof(m), 1);
  assert_int_equal(weft_sctp_send(p.ep[0], p.now, 0, 51, m, 100, 0, 0, 0), 0);
  pipe_drain(&p);
  p.filter = NULL;
  assert_true(captured_len > 0);
  weft_sctp_stats st0, st1;
  weft_sctp_get_stats(p.ep[1], &st0);
  uint8_t bad[PIPE_MTU];
  /* Wrong verification tag: dropped and counted. */
  memcpy(bad, captured, captured_len);
  weft_put_u32(bad + 4, weft_get_u32(bad + 4) ^ 0x1000);
  weft_sctp_packet_seal(bad, captured_len);
  assert_int_equal(weft_sctp_recv(p.ep[1], p.now, bad, captured_len), 0);
  /* Bad checksum. */
  memcpy(bad, captured, captured_len);
  bad[30] ^= 0xff;
  assert_int_equal(weft_sctp_recv(p.ep[1], p.now, bad, captured_len),
                   WEFT_ERR_SCTP_MALFORMED);
  /* TSN far beyond the window. */
  memcpy(bad, captured, captured_len);
  weft_put_u32(bad + 16, weft_get_u32(bad + 16) + (1u << 22));
  weft_sctp_packet_seal(bad, captured_len);
  assert_int_equal(weft_sctp_recv(p.ep[1], p.now, bad, captured_len), 0);
  /* Truncated. */
  assert_int_equal(weft_sctp_recv(p.ep[1], p.now, captured, 5),
                   WEFT_ERR_SCTP_MALFORMED);
  pipe_drain(&p);
  weft_sctp_get_stats(p.ep[1], &st1);
  assert_int_equal(st1.dropped_tag, st0.dropped_tag + 1);
  assert_int_equal(st1.dropped_checksum, st0.dropped_checksum + 2);
  assert_int_equal(st1.dropped_tsn, st0.dropped_tsn + 1);
  assert_int_equal(c.rx[1].msgs, 0);
  /* The real packet still works, once; a replay is a duplicate. */
  assert_int_equal(weft_sctp_recv(p.ep[1], p.now, captured, captured_len), 0);
  assert_int_equal(weft_sctp_recv(p.ep[1], p.now, captured, captured_len), 0);
  pipe_run(&p, NULL, 2 * SEC);
  assert_int_equal(c.rx[1].msgs, 1);
  weft_sctp_get_stats(p.ep[1], &st1);
  assert_int_equal(st1.duplicate_tsns, st0.duplicate_tsns + 1);
  pipe_free(&p);
}

/* A peer sending one-byte fragments of a message that never ends: the
 * receiver holds no more than its window, counting per-chunk overhead. */
static void test_tiny_fragments_bounded(void **state) {
  (void)state;
  sctp_pipe p;
  ctx c;
  setup_pipe(&p, &c, 82, NULL, NULL);
  connect_pair(&p, 0);
  captured_len = 0;
  p.filter = capture_data;
  assert_int_equal(
      weft_sctp_send(p.ep[0], p.now, 0, 51, "12345678", 8, 0, 0, 0), 0);
  pipe_drain(&p);
  p.filter = NULL;
  assert_true(captured_len > 0);
  uint32_t vtag = weft_get_u32(captured + 4);
  uint32_t tsn = weft_get_u32(captured + 16);
  uint8_t pkt[1200];
  const uint32_t total = 200000;
  uint32_t n = 0;
  while (n < total) {
    weft_wr w;
    weft_wr_init(&w, pkt, sizeof(pkt));
    weft_sctp_header_encode(&w, 5000, 5000, vtag);
    while (n < total && weft_wr_left(&w) >= 20) {
      weft_sctp_data d = {.flags = n == 0 ? WEFT_SCTP_DATA_B : 0,
                          .tsn = tsn + n,
                          .stream = 1,
                          .ssn = 0,
                          .ppid = 51,
                          .data = (const uint8_t *)"x",
                          .len = 1};
      weft_sctp_data_encode(&w, &d);
      n++;
    }
    weft_sctp_packet_seal(pkt, w.pos);
    weft_sctp_recv(p.ep[1], p.now, pkt, w.pos);
  }
  weft_sctp_stats st;
  weft_sctp_get_stats(p.ep[1], &st);
  weft_sctp_settings s;
  weft_sctp_settings_default(&s);
  uint64_t accepted = total - st.dropped_tsn;
  assert_true(st.dropped_tsn > 0);
  assert_true(accepted * (1 + sizeof(rchunk)) <=
              s.rwnd + 2 * s.max_message_size + 2000);
  assert_int_equal(c.rx[1].msgs, 0);
  pipe_free(&p);
}

static void test_oversized(void **state) {
  (void)state;
  weft_sctp_settings big, small;
  sctp_pipe p;
  ctx c;
  pipe_init(&p, 1);
  pipe_settings(&p, &big);
  pipe_settings(&p, &small);
  big.max_message_size = 1 << 20;
  setup_pipe(&p, &c, 91, &big, &small);
  connect_pair(&p, 0);
  uint8_t *m = malloc(300000);
  gen_msg(m, 300000, 1);
  assert_int_equal(weft_sctp_send(p.ep[1], p.now, 0, 51, m, 300000, 0, 0, 0),
                   WEFT_ERR_SCTP_MESSAGE_TOO_BIG);
  /* The peer ignores our limit: we abort rather than buffer it. */
  assert_int_equal(weft_sctp_send(p.ep[0], p.now, 0, 51, m, 300000, 0, 0, 0),
                   0);
  pipe_run(&p, NULL, 10 * SEC);
  assert_int_equal(c.rx[1].msgs, 0);
  assert_int_equal(c.rx[1].abort_error, WEFT_ERR_SCTP_MESSAGE_TOO_BIG);
  assert_int_equal(c.rx[0].abort_error, WEFT_ERR_SCTP_ABORTED);
  free(m);
  pipe_free(&p);
}

static void test_backpressure(void **state) {
  (void)state;
  weft_sctp_settings s;
  sctp_pipe p;
  ctx c;
  pipe_init(&p, 1);
  pipe_settings(&p, &s);
  s.send_buffer = 100000;
  setup_pipe(&p, &c, 101, &s, NULL);
  connect_pair(&p, 0);
  uint8_t m[10000];
  gen_msg(m, sizeof(m), 1);
  int n = 0, rc;
  while ((rc = weft_sctp_send(p.ep[0], p.now, 4, 51, m, sizeof(m), 0, 0, 0)) ==
         0)
    n++;
  assert_int_equal(rc, WEFT_ERR_QUEUE_FULL);
  assert_int_equal(n, 10);
  assert_int_equal(weft_sctp_buffered_amount(p.ep[0], 4), 100000);
  assert_int_equal(weft_sctp_set_buffered_low(p.ep[0], 4, 5000), 0);
  pipe_run(&p, NULL, 5 * SEC);
  assert_int_equal(weft_sctp_buffered_amount(p.ep[0], 4), 0);
  assert_int_equal(p.events[0][WEFT_SCTP_EVENT_BUFFERED_LOW], 1);
  assert_int_equal(c.rx[1].msgs, 10);
  assert_int_equal(weft_sctp_send(p.ep[0], p.now, 4, 51, m, sizeof(m), 0, 0, 0),
                   0);
  assert_int_equal(weft_sctp_send(p.ep[0], p.now, 65535, 51, m, 1, 0, 0, 0),
                   WEFT_ERR_SCTP_STREAM);
  pipe_free(&p);
}

/* Streams take turns message by message: a small message on another stream
 * does not wait for a backlog of large ones. */
static void test_stream_fairness(void **state) {
  (void)state;
  sctp_pipe p;
  ctx c;
  setup_pipe(&p, &c, 111, NULL, NULL);
  connect_pair(&p, 0);
  p.rate_bps = 10000000;
  uint8_t *m = malloc(200000);
  for (int i = 0; i < 10; i++) {
    gen_msg(m, 200000, (uint64_t)i + 1);
    assert_int_equal(weft_sctp_send(p.ep[0], p.now, 1, 51, m, 200000, 0, 0, 0),
                     0);
  }
  gen_msg(m, 100, 1000);
  assert_int_equal(weft_sctp_send(p.ep[0], p.now, 2, 51, m, 100, 0, 0, 0), 0);
  pipe_run(&p, NULL, 60 * SEC);
  assert_int_equal(c.rx[1].msgs, 11);
  assert_int_equal(c.rx[1].bad, 0);
  size_t pos = 0;
  for (size_t i = 0; i < c.rx[1].nlast; i++)
    if (c.rx[1].last_ids[i] == 1000)
      pos = i;
  assert_true(pos <= 2);
  free(m);
  pipe_free(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_handshake),
      cmocka_unit_test(test_handshake_simultaneous),
      cmocka_unit_test(test_handshake_lost_init),
      cmocka_unit_test(test_message_sizes),
      cmocka_unit_test(test_bulk_clean),
      cmocka_unit_test(test_bulk_lossy),
      cmocka_unit_test(test_pr_max_retransmits),
      cmocka_unit_test(test_pr_lifetime),
      cmocka_unit_test(test_stream_reset),
      cmocka_unit_test(test_shutdown),
      cmocka_unit_test(test_abort),
      cmocka_unit_test(test_peer_gone_times_out),
      cmocka_unit_test(test_bad_packets),
      cmocka_unit_test(test_tiny_fragments_bounded),
      cmocka_unit_test(test_oversized),
      cmocka_unit_test(test_backpressure),
      cmocka_unit_test(test_stream_fairness),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
