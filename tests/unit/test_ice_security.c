/* ICE agent against hostile input: bad credentials never change state,
 * floods stay within bounded memory, role conflicts, memory per agent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "weft/ice.h"
#include "weft/stun.h"

#define SEC WEFT_SECONDS

/* ---- a counting allocator ------------------------------------------------ */

typedef struct counter {
  size_t live;
  size_t peak;
  size_t allocs;
  size_t fail_at; /* fail the allocation with this number (1-based); 0 never */
} counter;

typedef union hdr {
  size_t size;
  max_align_t align;
} hdr;

static void *c_malloc(size_t size, void *ud) {
  counter *c = ud;
  if (c->fail_at != 0 && c->allocs + 1 == c->fail_at) {
    c->allocs++;
    return NULL;
  }
  hdr *h = malloc(sizeof(hdr) + size);
  if (h == NULL)
    return NULL;
  h->size = size;
  c->live += size;
  c->allocs++;
  if (c->live > c->peak)
    c->peak = c->live;
  return h + 1;
}

static void c_free(void *p, void *ud) {
  counter *c = ud;
  if (p == NULL)
    return;
  hdr *h = (hdr *)p - 1;
  c->live -= h->size;
  free(h);
}

static void *c_calloc(size_t n, size_t size, void *ud) {
  void *p = c_malloc(n * size, ud);
  if (p != NULL)
    memset(p, 0, n * size);
  return p;
}

static void *c_realloc(void *p, size_t size, void *ud) {
  void *q = c_malloc(size, ud);
  if (q != NULL && p != NULL) {
    hdr *h = (hdr *)p - 1;
    memcpy(q, p, h->size < size ? h->size : size);
    c_free(p, ud);
  }
  return q;
}

/* ---- fixture ------------------------------------------------------------- */

#define LUFRAG "Aufr"
#define LPWD "localpasswordlocalpassw"
#define RUFRAG "Bufr"
#define RPWD "remotepasswordremotepa"

typedef struct fx {
  counter cnt;
  weft_mem mem;
  weft_pcg pcg;
  weft_rand rand;
  weft_ice_agent *a;
  weft_addr host, peer;
  weft_tstamp now;
} fx;

static void fx_init(fx *f, uint64_t tiebreaker, int role) {
  memset(f, 0, sizeof(*f));
  f->mem = (weft_mem){&f->cnt, c_malloc, c_free, c_calloc, c_realloc};
  weft_pcg_seed(&f->pcg, 42, 1);
  weft_rand_from_pcg(&f->rand, &f->pcg);
  weft_ice_settings s;
  weft_ice_settings_default(&s);
  s.log.level = WEFT_LOG_NONE;
  s.rand = &f->rand;
  s.ufrag = LUFRAG;
  s.pwd = LPWD;
  s.tiebreaker = tiebreaker;
  s.role = role;
  assert_int_equal(weft_ice_agent_new(&f->a, &s, &f->mem), 0);
  weft_addr_parse(&f->host, "10.0.0.1:5000", 0);
  weft_addr_parse(&f->peer, "10.0.1.2:6000", 0);
  f->now = 5 * SEC;
  assert_int_equal(weft_ice_agent_set_remote_credentials(f->a, RUFRAG, RPWD),
                   0);
  assert_true(weft_ice_agent_add_local_host_candidate(f->a, f->now, &f->host) >=
              0);
}

/* A Binding request as the peer would send it. */
static size_t make_check(uint8_t *buf, size_t cap, const char *username,
                         const char *pwd, int controlling, uint64_t tb,
                         int use_candidate, uint16_t extra_attr) {
  uint8_t txid[12];
  for (int i = 0; i < 12; i++)
    txid[i] = (uint8_t)rand();
  weft_stun_builder b;
  weft_stun_builder_init(&b, buf, cap, WEFT_STUN_BINDING, WEFT_STUN_REQUEST,
                         txid);
  if (username != NULL)
    weft_stun_builder_add_str(&b, WEFT_STUN_ATTR_USERNAME, username);
  weft_stun_builder_add_u32(&b, WEFT_STUN_ATTR_PRIORITY, 1845501695u);
  weft_stun_builder_add_u64(&b,
                            controlling ? WEFT_STUN_ATTR_ICE_CONTROLLING
                                        : WEFT_STUN_ATTR_ICE_CONTROLLED,
                            tb);
  if (use_candidate)
    weft_stun_builder_add_flag(&b, WEFT_STUN_ATTR_USE_CANDIDATE);
  if (extra_attr)
    weft_stun_builder_add_u32(&b, extra_attr, 0);
  if (pwd != NULL)
    weft_stun_builder_add_integrity(&b, (const uint8_t *)pwd, strlen(pwd));
  weft_stun_builder_add_fingerprint(&b);
  int n = weft_stun_builder_finish(&b);
  assert_true(n > 0);
  return (size_t)n;
}

/* Pops one datagram; returns its length (0 if none). */
static int pop(fx *f, uint8_t *buf, size_t cap, weft_addr *to) {
  weft_addr local;
  return weft_ice_agent_poll_transmit(f->a, f->now, &local, to, buf, cap);
}

static int count_events(fx *f) {
  weft_ice_event ev;
  int n = 0;
  while (weft_ice_agent_poll_event(f->a, &ev))
    n++;
  return n;
}

static void feed(fx *f, const weft_addr *from, const uint8_t *d, size_t n) {
  assert_int_equal(weft_ice_agent_recv(f->a, f->now, &f->host, from, d, n), 0);
}

/* The agent's observable state, to prove a datagram changed nothing. */
typedef struct snap {
  int state, role;
  weft_tstamp deadline;
  uint64_t prflx, conflicts;
} snap;

static snap take(fx *f) {
  weft_ice_stats st;
  weft_ice_agent_stats(f->a, &st);
  snap s = {weft_ice_agent_connection_state(f->a), weft_ice_agent_role(f->a),
            weft_ice_agent_deadline(f->a), st.remote_prflx, st.role_conflicts};
  return s;
}

static void assert_same(const snap *x, const snap *y) {
  assert_int_equal(x->state, y->state);
  assert_int_equal(x->role, y->role);
  assert_int_equal(x->deadline, y->deadline);
  assert_int_equal(x->prflx, y->prflx);
  assert_int_equal(x->conflicts, y->conflicts);
}

static int error_code(const uint8_t *buf, size_t n, int *has_mi) {
  weft_stun_msg m;
  assert_int_equal(weft_stun_msg_decode(&m, buf, n), 0);
  assert_int_equal(m.cls, WEFT_STUN_ERROR);
  *has_mi = m.integrity >= 0;
  int code = 0;
  assert_int_equal(
      weft_stun_attr_error(weft_stun_msg_find(&m, WEFT_STUN_ATTR_ERROR_CODE),
                           &code, NULL, NULL),
      0);
  return code;
}

/* ---- tests --------------------------------------------------------------- */

static void test_bad_credentials_change_nothing(void **state) {
  (void)state;
  fx f;
  fx_init(&f, 5, WEFT_ICE_CONTROLLING);
  weft_ice_agent_handle_timeout(f.a, f.now);
  count_events(&f);
  snap before = take(&f);
  uint8_t req[512], out[1500];
  weft_addr to;
  int has_mi;

  /* wrong password: 401 without integrity */
  size_t n = make_check(req, sizeof(req), LUFRAG ":" RUFRAG, "wrongpassword", 1,
                        1, 1, 0);
  feed(&f, &f.peer, req, n);
  int len = pop(&f, out, sizeof(out), &to);
  assert_true(len > 0);
  assert_int_equal(error_code(out, (size_t)len, &has_mi), 401);
  assert_false(has_mi);
  assert_true(weft_addr_equal(&to, &f.peer));

  /* wrong ufrag: dropped silently */
  n = make_check(req, sizeof(req), "Zzzz:" RUFRAG, LPWD, 1, 1, 1, 0);
  feed(&f, &f.peer, req, n);
  assert_int_equal(pop(&f, out, sizeof(out), &to), 0);

  /* no USERNAME / no MESSAGE-INTEGRITY: 400 */
  n = make_check(req, sizeof(req), NULL, NULL, 0, 1, 0, 0);
  feed(&f, &f.peer, req, n);
  len = pop(&f, out, sizeof(out), &to);
  assert_int_equal(error_code(out, (size_t)len, &has_mi), 400);

  /* a forged success response to nothing of ours */
  weft_stun_builder b;
  static const uint8_t txid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  weft_stun_builder_init(&b, req, sizeof(req), WEFT_STUN_BINDING,
                         WEFT_STUN_SUCCESS, txid);
  weft_stun_builder_add_xor_addr(&b, WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS,
                                 &f.host);
  weft_stun_builder_add_integrity(&b, (const uint8_t *)RPWD, strlen(RPWD));
  weft_stun_builder_add_fingerprint(&b);
  n = (size_t)weft_stun_builder_finish(&b);
  feed(&f, &f.peer, req, n);

  assert_int_equal(count_events(&f), 0);
  snap after = take(&f);
  assert_same(&before, &after);
  weft_ice_stats st;
  weft_ice_agent_stats(f.a, &st);
  assert_int_equal(st.dropped_bad_ufrag, 1);
  assert_int_equal(st.dropped_bad_integrity, 2);
  assert_int_equal(st.dropped_unknown_txid, 1);
  assert_int_equal(st.tx_errors, 2);
  weft_ice_agent_del(f.a);
}

static void test_good_check_learns_prflx(void **state) {
  (void)state;
  fx f;
  fx_init(&f, 5, WEFT_ICE_CONTROLLING);
  uint8_t req[512], out[1500];
  weft_addr to;
  size_t n = make_check(req, sizeof(req), LUFRAG ":" RUFRAG, LPWD, 0, 1, 0, 0);
  feed(&f, &f.peer, req, n);
  int len = pop(&f, out, sizeof(out), &to);
  assert_true(len > 0);
  weft_stun_msg m;
  assert_int_equal(weft_stun_msg_decode(&m, out, (size_t)len), 0);
  assert_int_equal(m.cls, WEFT_STUN_SUCCESS);
  assert_memory_equal(m.txid, req + 8, 12);
  assert_int_equal(
      weft_stun_msg_check_integrity(&m, (const uint8_t *)LPWD, strlen(LPWD)),
      0);
  assert_true(m.fingerprint >= 0);
  weft_addr mapped;
  assert_int_equal(
      weft_stun_attr_xor_addr(
          &m, weft_stun_msg_find(&m, WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS),
          &mapped),
      0);
  assert_true(weft_addr_equal(&mapped, &f.peer));
  weft_ice_stats st;
  weft_ice_agent_stats(f.a, &st);
  assert_int_equal(st.remote_prflx, 1);
  /* a triggered check goes back to the peer-reflexive address */
  weft_ice_agent_handle_timeout(f.a, f.now);
  len = pop(&f, out, sizeof(out), &to);
  assert_true(len > 0);
  assert_true(weft_addr_equal(&to, &f.peer));
  assert_int_equal(weft_stun_msg_decode(&m, out, (size_t)len), 0);
  assert_int_equal(m.cls, WEFT_STUN_REQUEST);
  assert_int_equal(
      weft_stun_msg_check_integrity(&m, (const uint8_t *)RPWD, strlen(RPWD)),
      0);
  const weft_stun_attr *u = weft_stun_msg_find(&m, WEFT_STUN_ATTR_USERNAME);
  assert_int_equal(u->len, strlen(RUFRAG ":" LUFRAG));
  assert_memory_equal(u->value, RUFRAG ":" LUFRAG, u->len);
  assert_non_null(weft_stun_msg_find(&m, WEFT_STUN_ATTR_ICE_CONTROLLING));
  assert_int_equal(weft_ice_agent_connection_state(f.a),
                   WEFT_ICE_STATE_CHECKING);

  /* a success response signed with the wrong key changes nothing */
  snap before = take(&f);
  uint8_t resp[512];
  weft_stun_builder b;
  weft_stun_builder_init_response(&b, resp, sizeof(resp), &m,
                                  WEFT_STUN_SUCCESS);
  weft_stun_builder_add_xor_addr(&b, WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS,
                                 &f.host);
  weft_stun_builder_add_integrity(&b, (const uint8_t *)"notthepassword", 14);
  weft_stun_builder_add_fingerprint(&b);
  n = (size_t)weft_stun_builder_finish(&b);
  count_events(&f);
  feed(&f, &f.peer, resp, n);
  assert_int_equal(count_events(&f), 0);
  snap after = take(&f);
  assert_same(&before, &after);
  weft_ice_agent_del(f.a);
}

static void test_unknown_attribute_420(void **state) {
  (void)state;
  fx f;
  fx_init(&f, 5, WEFT_ICE_CONTROLLING);
  uint8_t req[512], out[1500];
  weft_addr to;
  int has_mi;
  size_t n =
      make_check(req, sizeof(req), LUFRAG ":" RUFRAG, LPWD, 0, 1, 0, 0x7777);
  feed(&f, &f.peer, req, n);
  int len = pop(&f, out, sizeof(out), &to);
  assert_int_equal(error_code(out, (size_t)len, &has_mi), 420);
  assert_true(has_mi);
  weft_ice_stats st;
  weft_ice_agent_stats(f.a, &st);
  assert_int_equal(st.remote_prflx, 0);
  weft_ice_agent_del(f.a);
}

static void test_role_conflict_487(void **state) {
  (void)state;
  /* ours is larger: the peer must switch, we answer 487 */
  fx f;
  fx_init(&f, UINT64_MAX, WEFT_ICE_CONTROLLING);
  uint8_t req[512], out[1500];
  weft_addr to;
  int has_mi;
  size_t n = make_check(req, sizeof(req), LUFRAG ":" RUFRAG, LPWD, 1, 7, 0, 0);
  feed(&f, &f.peer, req, n);
  int len = pop(&f, out, sizeof(out), &to);
  assert_int_equal(error_code(out, (size_t)len, &has_mi), 487);
  assert_true(has_mi);
  assert_int_equal(weft_ice_agent_role(f.a), WEFT_ICE_CONTROLLING);
  weft_ice_agent_del(f.a);

  /* ours is smaller: we switch to controlled and answer success */
  fx_init(&f, 3, WEFT_ICE_CONTROLLING);
  n = make_check(req, sizeof(req), LUFRAG ":" RUFRAG, LPWD, 1, 7, 0, 0);
  feed(&f, &f.peer, req, n);
  len = pop(&f, out, sizeof(out), &to);
  weft_stun_msg m;
  assert_int_equal(weft_stun_msg_decode(&m, out, (size_t)len), 0);
  assert_int_equal(m.cls, WEFT_STUN_SUCCESS);
  assert_int_equal(weft_ice_agent_role(f.a), WEFT_ICE_CONTROLLED);
  weft_ice_event ev;
  int roles = 0;
  while (weft_ice_agent_poll_event(f.a, &ev))
    if (ev.type == WEFT_ICE_EVENT_ROLE) {
      roles++;
      assert_int_equal(ev.u.role, WEFT_ICE_CONTROLLED);
    }
  assert_int_equal(roles, 1);

  /* the same with wrong credentials: no switch back */
  n = make_check(req, sizeof(req), LUFRAG ":" RUFRAG, "bad", 0, 9, 0, 0);
  feed(&f, &f.peer, req, n);
  assert_int_equal(weft_ice_agent_role(f.a), WEFT_ICE_CONTROLLED);
  weft_ice_agent_del(f.a);
}

static void random_addr(weft_addr *a, uint32_t r) {
  uint8_t ip[4] = {10, (uint8_t)(r >> 24), (uint8_t)(r >> 16),
                   (uint8_t)(r >> 8)};
  weft_addr_set(a, AF_INET, ip, (uint16_t)(1024 + (r & 0x7fff)));
}

/* Checks from many addresses, half of them forged, some garbled. */
static void flood(fx *f, weft_pcg *g) {
  uint8_t req[512], out[1500];
  weft_addr to, from;
  for (int i = 0; i < 20000; i++) {
    random_addr(&from, weft_pcg_next(g));
    int good = i % 2 == 0;
    size_t n =
        make_check(req, sizeof(req), LUFRAG ":" RUFRAG,
                   good ? LPWD : "wrongwrongwrongwrong", 0, 1, i % 3 == 0, 0);
    if (i % 5 == 0) /* and some garbage */
      req[4 + weft_pcg_bounded(g, (uint32_t)n - 4)] ^= 0x5a;
    weft_ice_agent_recv(f->a, f->now, &f->host, &from, req, n);
    if (i % 16 == 0) {
      f->now += 10 * WEFT_MILLISECONDS;
      weft_ice_agent_handle_timeout(f->a, f->now);
      while (pop(f, out, sizeof(out), &to) > 0)
        ;
      count_events(f);
    }
  }
}

static void test_flood_bounded(void **state) {
  (void)state;
  fx f;
  fx_init(&f, 5, WEFT_ICE_CONTROLLING);
  size_t live0 = f.cnt.live;
  uint8_t out[1500];
  weft_addr to;
  weft_pcg g;
  weft_pcg_seed(&g, 3, 3);
  flood(&f, &g);
  /* the arrays grew to their caps, no further: a second flood allocates
   * nothing */
  size_t live1 = f.cnt.live, allocs1 = f.cnt.allocs;
  assert_true(live1 > live0);
  assert_true(live1 <= live0 + 8192);
  flood(&f, &g);
  assert_int_equal(f.cnt.live, live1);
  assert_int_equal(f.cnt.allocs, allocs1);
  weft_ice_stats st;
  weft_ice_agent_stats(f.a, &st);
  assert_int_equal(st.remote_prflx, 8); /* max_remote_prflx */
  assert_true(st.dropped_limit > 1000);
  assert_true(st.dropped_bad_integrity > 5000);
  assert_true(st.dropped_queue_full > 0); /* responses are bounded too */
  assert_true(st.dropped_malformed > 0);
  /* the agent is still sane: bounded deadline, drains to empty */
  f.now += 60 * SEC;
  for (int i = 0; i < 1000 && weft_ice_agent_deadline(f.a) <= f.now; i++) {
    weft_ice_agent_handle_timeout(f.a, f.now);
    while (pop(&f, out, sizeof(out), &to) > 0)
      ;
  }
  weft_ice_agent_del(f.a);
  assert_int_equal(f.cnt.live, 0);
}

static void test_garbage_and_demux(void **state) {
  (void)state;
  fx f;
  fx_init(&f, 5, WEFT_ICE_CONTROLLING);
  uint8_t junk[64];
  for (size_t i = 0; i < sizeof(junk); i++)
    junk[i] = (uint8_t)(i * 7);
  junk[0] = 0x01; /* looks like STUN, is not */
  feed(&f, &f.peer, junk, sizeof(junk));
  junk[0] = 0x16; /* DTLS from nobody we know */
  feed(&f, &f.peer, junk, sizeof(junk));
  weft_addr other;
  weft_addr_parse(&other, "10.9.9.9:1", 0);
  assert_int_equal(
      weft_ice_agent_recv(f.a, f.now, &other, &f.peer, junk, sizeof(junk)), 0);
  assert_int_equal(weft_ice_agent_recv(f.a, f.now, &f.host, &f.peer, junk, 0),
                   0);
  weft_ice_stats st;
  weft_ice_agent_stats(f.a, &st);
  assert_int_equal(st.dropped_malformed, 1);
  assert_int_equal(st.dropped_unknown_remote, 2);
  assert_int_equal(st.dropped_unknown_local, 1);
  assert_int_equal(weft_ice_agent_recv(f.a, f.now, NULL, &f.peer, junk, 1),
                   WEFT_ERR_INVALID_ARGUMENT);
  weft_ice_agent_del(f.a);
}

static void test_memory_per_agent(void **state) {
  (void)state;
  counter c = {0};
  weft_mem mem = {&c, c_malloc, c_free, c_calloc, c_realloc};
  weft_ice_settings s;
  weft_ice_settings_default(&s);
  s.nstun_servers = 1;
  weft_addr_parse(&s.stun_servers[0], "198.51.100.1:3478", 0);
  weft_ice_agent *a;
  assert_int_equal(weft_ice_agent_new(&a, &s, &mem), 0);
  print_message("ICE agent: %zu bytes in %zu allocations (weft_mem)\n", c.live,
                c.allocs);
  /* the target: 8 KiB per idle agent, everything included (the HMAC keys
   * are the passwords, no OpenSSL allocation); the arrays start small, so a
   * new agent with the default caps takes well under 3 KiB */
  assert_true(c.live <= 2560);
  weft_ice_agent_del(a);
  assert_int_equal(c.live, 0);
}

static int parse(weft_ice_candidate *c, const char *s) {
  return weft_ice_candidate_parse(c, s, strlen(s));
}

/* Every allocation failure is reported as WEFT_ERR_NOMEM, nothing leaks. */
static void test_failing_allocator(void **state) {
  (void)state;
  weft_ice_settings s;
  weft_ice_settings_default(&s);
  s.nstun_servers = 1;
  weft_addr_parse(&s.stun_servers[0], "198.51.100.1:3478", 0);
  int failures = 0;
  for (size_t n = 1; n < 32; n++) {
    counter c = {0};
    c.fail_at = n;
    weft_mem mem = {&c, c_malloc, c_free, c_calloc, c_realloc};
    weft_ice_agent *a = (weft_ice_agent *)&c; /* set to NULL on failure */
    int rv = weft_ice_agent_new(&a, &s, &mem);
    if (rv == 0) {
      weft_ice_agent_del(a);
      assert_int_equal(c.live, 0);
      break;
    }
    failures++;
    assert_int_equal(rv, WEFT_ERR_NOMEM);
    assert_null(a);
    assert_int_equal(c.live, 0);
  }
  assert_true(failures >= 5);
}

static void add_remote(fx *f, const char *line) {
  weft_ice_candidate c;
  assert_int_equal(weft_ice_candidate_parse(&c, line, strlen(line)), 0);
  assert_int_equal(weft_ice_agent_add_remote_candidate(f->a, f->now, &c), 0);
}

/* Runs timers for @p ms; counts the requests to ports 6000 and 6001 and
 * keeps the last one to 6000. */
static void requests(fx *f, int ms, int n[2], uint8_t *last, size_t *lastlen) {
  n[0] = n[1] = 0;
  for (int t = 0; t < ms; t += 10) {
    weft_ice_agent_handle_timeout(f->a, f->now);
    uint8_t out[1500];
    weft_addr to;
    int len;
    while ((len = pop(f, out, sizeof(out), &to)) > 0) {
      int k = weft_addr_port(&to) - 6000;
      if (k < 0 || k > 1)
        continue;
      n[k]++;
      if (k == 0) {
        memcpy(last, out, (size_t)len);
        *lastlen = (size_t)len;
      }
    }
    f->now += 10 * WEFT_MILLISECONDS;
  }
}

/* The frozen algorithm: a pair waits while another of its foundation is
 * being checked, and is unfrozen by that pair's success. */
static void test_frozen_foundation(void **state) {
  (void)state;
  fx f;
  fx_init(&f, 5, WEFT_ICE_CONTROLLING);
  add_remote(&f, "candidate:7 1 udp 2130706431 10.0.1.2 6000 typ host");
  add_remote(&f, "candidate:7 1 udp 2130706175 10.0.1.2 6001 typ host");
  uint8_t req[1500];
  size_t reqlen = 0;
  int n[2];
  requests(&f, 450, n, req, &reqlen);
  assert_int_equal(n[0], 1); /* the first pair, not yet retransmitted */
  assert_int_equal(n[1], 0); /* the second is frozen behind it */
  /* the first check succeeds */
  weft_stun_msg m;
  assert_int_equal(weft_stun_msg_decode(&m, req, reqlen), 0);
  uint8_t resp[256];
  weft_stun_builder b;
  weft_stun_builder_init_response(&b, resp, sizeof(resp), &m,
                                  WEFT_STUN_SUCCESS);
  weft_stun_builder_add_xor_addr(&b, WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS,
                                 &f.host);
  weft_stun_builder_add_integrity(&b, (const uint8_t *)RPWD, strlen(RPWD));
  weft_stun_builder_add_fingerprint(&b);
  int rl = weft_stun_builder_finish(&b);
  weft_addr from;
  weft_addr_parse(&from, "10.0.1.2:6000", 0);
  feed(&f, &from, resp, (size_t)rl);
  requests(&f, 100, n, req, &reqlen);
  assert_int_equal(n[1], 1); /* unfrozen by the success */
  weft_ice_agent_del(f.a);
}

static void test_api_errors(void **state) {
  (void)state;
  weft_ice_settings s;
  weft_ice_settings_default(&s);
  weft_ice_agent *a = NULL;
  s.max_pairs = 0;
  assert_int_equal(weft_ice_agent_new(&a, &s, NULL), WEFT_ERR_INVALID_ARGUMENT);
  weft_ice_settings_default(&s);
  s.ufrag = "ab"; /* too short */
  assert_int_equal(weft_ice_agent_new(&a, &s, NULL), WEFT_ERR_INVALID_ARGUMENT);
  s.ufrag = NULL;
  assert_int_equal(weft_ice_agent_new(&a, &s, NULL), 0);
  const char *u, *p;
  weft_ice_agent_local_credentials(a, &u, &p);
  assert_int_equal(strlen(u), 8);
  assert_int_equal(strlen(p), 24);
  weft_addr any;
  weft_addr_parse(&any, "0.0.0.0:5000", 0);
  assert_int_equal(weft_ice_agent_add_local_host_candidate(a, 0, &any),
                   WEFT_ERR_INVALID_ARGUMENT);
  weft_addr h;
  weft_addr_parse(&h, "10.0.0.1:5000", 0);
  assert_int_equal(weft_ice_agent_add_local_host_candidate(a, 0, &h), 0);
  assert_int_equal(weft_ice_agent_add_local_host_candidate(a, 0, &h),
                   WEFT_ERR_EXISTS);
  weft_ice_candidate c;
  assert_int_equal(parse(&c, "candidate:1 1 udp 1 x.local 5 typ host"), 0);
  assert_int_equal(weft_ice_agent_add_remote_candidate(a, 0, &c),
                   WEFT_ERR_ICE_CANDIDATE);
  assert_int_equal(
      parse(&c, "candidate:1 1 tcp 1 1.2.3.4 5 typ host tcptype active"), 0);
  assert_int_equal(weft_ice_agent_add_remote_candidate(a, 0, &c),
                   WEFT_ERR_UNSUPPORTED);
  assert_int_equal(parse(&c, "candidate:1 2 udp 1 1.2.3.4 5 typ host"), 0);
  assert_int_equal(weft_ice_agent_add_remote_candidate(a, 0, &c),
                   WEFT_ERR_ICE_CANDIDATE); /* component 2 */
  assert_int_equal(weft_ice_agent_send(a, 0, (const uint8_t *)"x", 1),
                   WEFT_ERR_INVALID_STATE);
  assert_int_equal(weft_ice_agent_selected_pair(a, NULL, NULL),
                   WEFT_ERR_NOT_FOUND);
  assert_int_equal(weft_ice_agent_close(a, 0), 0);
  assert_int_equal(weft_ice_agent_connection_state(a), WEFT_ICE_STATE_CLOSED);
  assert_int_equal(weft_ice_agent_deadline(a), WEFT_TSTAMP_NONE);
  weft_ice_agent_del(a);
  weft_ice_agent_del(NULL);
  assert_string_equal(weft_ice_connection_state_name(3), "completed");
  assert_string_equal(weft_ice_gathering_state_name(2), "complete");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_credentials_change_nothing),
      cmocka_unit_test(test_good_check_learns_prflx),
      cmocka_unit_test(test_unknown_attribute_420),
      cmocka_unit_test(test_role_conflict_487),
      cmocka_unit_test(test_flood_bounded),
      cmocka_unit_test(test_garbage_and_demux),
      cmocka_unit_test(test_memory_per_agent),
      cmocka_unit_test(test_failing_allocator),
      cmocka_unit_test(test_frozen_foundation),
      cmocka_unit_test(test_api_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
