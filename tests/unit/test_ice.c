/* ICE agent: two agents through an in-test packet queue (virtual time). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/ice_harness.h"

#define SEC WEFT_SECONDS
#define MS WEFT_MILLISECONDS

static int connected_and_completed(h_net *n) {
  return n->p[0].state == WEFT_ICE_STATE_COMPLETED &&
         n->p[1].state == WEFT_ICE_STATE_COMPLETED;
}

/* Sends @p msg from peer @p i through weft_ice_agent_send and runs until
 * the other side has received it. */
static void exchange_data(h_net *n, int i, const char *msg) {
  h_peer *dst = &n->p[1 - i];
  uint64_t before = dst->app_rx;
  assert_int_equal(
      weft_ice_agent_send(n->p[i].a, n->now, (const uint8_t *)msg, strlen(msg)),
      0);
  h_drain(n);
  for (int k = 0; k < 100 && dst->app_rx == before; k++) {
    n->now = h_next(n);
    h_step(n);
  }
  assert_true(dst->app_rx > before);
  assert_int_equal(dst->last_app_len, strlen(msg));
  assert_memory_equal(dst->last_app, msg, strlen(msg));
}

static void assert_selected_hosts(h_net *n) {
  for (int i = 0; i < 2; i++) {
    weft_ice_candidate l, r;
    assert_int_equal(weft_ice_agent_selected_pair(n->p[i].a, &l, &r), 0);
    assert_true(weft_addr_equal(&l.addr, &n->p[i].host));
    assert_true(weft_addr_equal(&r.addr, &n->p[1 - i].host));
    assert_true(weft_addr_equal(&n->p[i].sel.u.pair.base, &n->p[i].host));
  }
}

static void test_connect_basic(void **state) {
  (void)state;
  h_net n;
  h_init(&n, NULL, NULL, 1);
  weft_tstamp t0 = n.now;
  h_start(&n);
  assert_int_equal(h_run(&n, t0 + 10 * SEC, connected_and_completed), 1);
  assert_true(n.now - t0 < 1 * SEC);
  assert_selected_hosts(&n);
  assert_int_equal(n.p[0].nselected, 1);
  assert_int_equal(n.p[1].nselected, 1);
  assert_int_equal(weft_ice_agent_role(n.p[0].a), WEFT_ICE_CONTROLLING);
  assert_int_equal(weft_ice_agent_role(n.p[1].a), WEFT_ICE_CONTROLLED);
  exchange_data(&n, 0, "hello from A");
  exchange_data(&n, 1, "hello from B");
  /* stays connected across consent checks for a minute */
  h_run(&n, n.now + 60 * SEC, h_any_failed);
  assert_true(connected_and_completed(&n));
  exchange_data(&n, 0, "still there");
  weft_ice_stats st;
  weft_ice_agent_stats(n.p[0].a, &st);
  assert_true(st.tx_checks >= 12); /* consent every ~5 s */
  assert_int_equal(st.dropped_bad_integrity, 0);
  h_free(&n);
}

static void test_deterministic(void **state) {
  (void)state;
  weft_tstamp t[2];
  uint64_t checks[2];
  for (int k = 0; k < 2; k++) {
    h_net n;
    h_init(&n, NULL, NULL, 7);
    n.loss = 0.2;
    h_start(&n);
    assert_int_equal(h_run(&n, n.now + 60 * SEC, h_both_connected), 1);
    t[k] = n.now;
    weft_ice_stats st;
    weft_ice_agent_stats(n.p[0].a, &st);
    checks[k] = st.tx_checks;
    h_free(&n);
  }
  assert_int_equal(t[0], t[1]);
  assert_int_equal(checks[0], checks[1]);
}

static void test_role_conflict(void **state) {
  (void)state;
  for (int both = 0; both < 2; both++) {
    weft_ice_settings s;
    h_settings(&s);
    s.role = both == 0 ? WEFT_ICE_CONTROLLING : WEFT_ICE_CONTROLLED;
    h_net n;
    h_init(&n, &s, &s, 3 + (uint64_t)both);
    h_start(&n);
    assert_int_equal(h_run(&n, n.now + 10 * SEC, connected_and_completed), 1);
    int r0 = weft_ice_agent_role(n.p[0].a), r1 = weft_ice_agent_role(n.p[1].a);
    assert_int_not_equal(r0, r1);
    assert_int_equal(n.p[0].nroles + n.p[1].nroles, 1);
    weft_ice_stats s0, s1;
    weft_ice_agent_stats(n.p[0].a, &s0);
    weft_ice_agent_stats(n.p[1].a, &s1);
    assert_true(s0.role_conflicts + s1.role_conflicts >= 1);
    assert_selected_hosts(&n);
    exchange_data(&n, 0, "x");
    exchange_data(&n, 1, "y");
    h_free(&n);
  }
}

static void test_aggressive(void **state) {
  (void)state;
  weft_ice_settings s;
  h_settings(&s);
  s.aggressive_nomination = 1;
  h_net n;
  h_init(&n, &s, NULL, 5);
  h_start(&n);
  assert_int_equal(h_run(&n, n.now + 10 * SEC, connected_and_completed), 1);
  assert_selected_hosts(&n);
  exchange_data(&n, 1, "agg");
  h_free(&n);
}

static void test_lite(void **state) {
  (void)state;
  weft_ice_settings s;
  h_settings(&s);
  s.lite = 1;
  s.role = WEFT_ICE_CONTROLLING; /* ignored: lite is controlled */
  h_net n;
  h_init(&n, NULL, &s, 11);
  assert_int_equal(weft_ice_agent_role(n.p[1].a), WEFT_ICE_CONTROLLED);
  assert_int_equal(weft_ice_agent_set_role(n.p[1].a, WEFT_ICE_CONTROLLING),
                   WEFT_ERR_INVALID_ARGUMENT);
  weft_ice_agent_set_role(n.p[0].a, WEFT_ICE_CONTROLLED);
  assert_int_equal(weft_ice_agent_set_remote_lite(n.p[0].a, 1), 0);
  assert_int_equal(weft_ice_agent_role(n.p[0].a), WEFT_ICE_CONTROLLING);
  h_start(&n);
  assert_int_equal(h_run(&n, n.now + 10 * SEC, h_both_connected), 1);
  assert_selected_hosts(&n);
  exchange_data(&n, 0, "to lite");
  exchange_data(&n, 1, "from lite");
  weft_ice_stats st;
  weft_ice_agent_stats(n.p[1].a, &st);
  assert_int_equal(st.tx_checks, 0); /* lite never checks */
  assert_true(st.tx_responses > 0);
  /* a lite agent keeps consent from the full agent's checks */
  h_run(&n, n.now + 60 * SEC, h_any_failed);
  assert_true(h_both_connected(&n));
  h_free(&n);
}

static void test_loss(void **state) {
  (void)state;
  uint64_t seeds =
      getenv("ICE_SEEDS") ? strtoull(getenv("ICE_SEEDS"), 0, 10) : 8;
  for (uint64_t seed = 1; seed <= seeds; seed++) {
    h_net n;
    h_init(&n, NULL, NULL, seed);
    n.loss = 0.3;
    h_start(&n);
    if (h_run(&n, n.now + 30 * SEC, h_both_connected) != 1)
      fail_msg("seed %llu: no connection under 30%% loss",
               (unsigned long long)seed);
    assert_selected_hosts(&n);
    h_free(&n);
  }
}

static void test_all_at_once_and_late(void **state) {
  (void)state;
  for (int mode = 0; mode < 3; mode++) {
    h_net n;
    h_init(&n, NULL, NULL, 21 + (uint64_t)mode);
    n.all_at_once = mode == 1;
    /* mode 2: candidates reach the peer 2 s late: checks from the peer come
     * first and are learnt as peer-reflexive */
    n.signal_delay[0] = mode == 2 ? 2 * SEC : 0;
    h_start(&n);
    assert_int_equal(h_run(&n, n.now + 20 * SEC, connected_and_completed), 1);
    assert_selected_hosts(&n);
    weft_ice_stats st;
    weft_ice_agent_stats(n.p[0].a, &st);
    if (mode == 2) {
      /* A learnt B from B's checks before B's candidate arrived */
      assert_int_equal(st.remote_prflx, 1);
      weft_ice_candidate r;
      weft_ice_agent_selected_pair(n.p[0].a, NULL, &r);
      assert_int_equal(r.type, WEFT_ICE_CANDIDATE_HOST); /* replaced */
    } else {
      assert_int_equal(st.remote_prflx, 0);
    }
    exchange_data(&n, 0, "m");
    h_free(&n);
  }
}

static int a_failed(h_net *n) {
  return n->p[0].state == WEFT_ICE_STATE_FAILED;
}

static void test_unreachable_fails(void **state) {
  (void)state;
  h_net n;
  h_init(&n, NULL, NULL, 9);
  n.p[1].blocked = 1; /* B's answers never arrive */
  weft_tstamp t0 = n.now;
  h_start(&n);
  assert_int_equal(h_run(&n, t0 + 60 * SEC, a_failed), 1);
  assert_true(n.now - t0 <= 20 * SEC);
  assert_int_equal(n.p[0].failed_error, WEFT_ERR_ICE_FAILED);
  assert_non_null(n.p[0].failed_reason);
  assert_true(strlen(n.p[0].failed_reason) > 0);
  assert_int_equal(weft_ice_agent_connection_state(n.p[0].a),
                   WEFT_ICE_STATE_FAILED);
  assert_int_equal(
      weft_ice_agent_send(n.p[0].a, n.now, (const uint8_t *)"x", 1),
      WEFT_ERR_INVALID_STATE);
  /* failed is terminal and quiet */
  h_run(&n, n.now + 30 * SEC, NULL);
  assert_int_equal(weft_ice_agent_connection_state(n.p[0].a),
                   WEFT_ICE_STATE_FAILED);
  h_free(&n);
}

/* After failure, an ICE restart (restartIce()) starts over and connects. */
static void test_restart_after_failure(void **state) {
  (void)state;
  h_net n;
  h_init(&n, NULL, NULL, 26);
  n.p[1].blocked = 1;
  h_start(&n);
  assert_int_equal(h_run(&n, n.now + 60 * SEC, h_both_failed), 1);
  n.p[1].blocked = 0;
  n.p[0].ncands = n.p[1].ncands = 0;
  for (int i = 0; i < 2; i++)
    assert_int_equal(weft_ice_agent_restart(n.p[i].a, n.now, NULL, NULL), 0);
  h_drain(&n);
  assert_int_equal(weft_ice_agent_connection_state(n.p[0].a),
                   WEFT_ICE_STATE_NEW);
  for (int i = 0; i < 2; i++) {
    const char *u, *pw;
    weft_ice_agent_local_credentials(n.p[1 - i].a, &u, &pw);
    assert_int_equal(weft_ice_agent_set_remote_credentials(n.p[i].a, u, pw), 0);
  }
  assert_int_equal(h_run(&n, n.now + 10 * SEC, connected_and_completed), 1);
  assert_selected_hosts(&n);
  exchange_data(&n, 0, "again");
  h_free(&n);
}

static void test_no_candidates_fails(void **state) {
  (void)state;
  h_net n;
  h_init(&n, NULL, NULL, 10);
  n.no_signal = 1; /* nothing is ever signalled */
  weft_tstamp t0 = n.now;
  h_start(&n);
  assert_int_equal(h_run(&n, t0 + 60 * SEC, h_both_failed), 1);
  assert_true(n.now - t0 <= 11 * SEC);
  assert_int_equal(n.p[0].failed_error, WEFT_ERR_ICE_FAILED);
  h_free(&n);
}

static int a_consent_lost(h_net *n) {
  return n->p[0].state == WEFT_ICE_STATE_FAILED;
}

static void test_consent_expiry(void **state) {
  (void)state;
  h_net n;
  h_init(&n, NULL, NULL, 12);
  h_start(&n);
  assert_int_equal(h_run(&n, n.now + 10 * SEC, connected_and_completed), 1);
  h_run(&n, n.now + 7 * SEC, NULL);
  weft_tstamp silent = n.now;
  n.p[1].blocked = 1; /* the peer goes silent */
  assert_int_equal(h_run(&n, silent + 40 * SEC, a_consent_lost), 1);
  assert_true(n.now - silent <= 30 * SEC);
  assert_true(n.now - silent >= 20 * SEC);
  assert_true(n.p[0].disconnected_at > silent);
  assert_true(n.p[0].disconnected_at < n.p[0].failed_at);
  assert_int_equal(n.p[0].failed_error, WEFT_ERR_ICE_CONSENT_EXPIRED);
  assert_int_equal(
      weft_ice_agent_send(n.p[0].a, n.now, (const uint8_t *)"x", 1),
      WEFT_ERR_ICE_CONSENT_EXPIRED);
  weft_addr l, t;
  assert_int_equal(weft_ice_agent_send_path(n.p[0].a, &l, &t),
                   WEFT_ERR_ICE_CONSENT_EXPIRED);
  uint8_t buf[1500];
  assert_int_equal(
      weft_ice_agent_poll_transmit(n.p[0].a, n.now, &l, &t, buf, sizeof(buf)),
      0);
  h_free(&n);
}

static int a_disconnected(h_net *n) {
  return n->p[0].state == WEFT_ICE_STATE_DISCONNECTED;
}

static void test_disconnect_recovers(void **state) {
  (void)state;
  h_net n;
  h_init(&n, NULL, NULL, 13);
  h_start(&n);
  assert_int_equal(h_run(&n, n.now + 10 * SEC, connected_and_completed), 1);
  n.p[1].blocked = 1;
  assert_int_equal(h_run(&n, n.now + 30 * SEC, a_disconnected), 1);
  n.p[1].blocked = 0;
  assert_int_equal(h_run(&n, n.now + 10 * SEC, connected_and_completed), 1);
  exchange_data(&n, 0, "back");
  h_free(&n);
}

static void test_restart(void **state) {
  (void)state;
  h_net n;
  h_init(&n, NULL, NULL, 14);
  h_start(&n);
  assert_int_equal(h_run(&n, n.now + 10 * SEC, connected_and_completed), 1);
  const char *old_ufrag;
  weft_ice_agent_local_credentials(n.p[0].a, &old_ufrag, NULL);
  char saved[WEFT_ICE_UFRAG_MAX + 1];
  strcpy(saved, old_ufrag);
  /* both sides restart (as after a new offer/answer) */
  assert_int_equal(weft_ice_agent_restart(n.p[0].a, n.now, NULL, NULL), 0);
  assert_int_equal(weft_ice_agent_restart(n.p[1].a, n.now, NULL, NULL), 0);
  const char *u;
  weft_ice_agent_local_credentials(n.p[0].a, &u, NULL);
  assert_string_not_equal(u, saved);
  /* the old pair still carries data before the new credentials arrive */
  exchange_data(&n, 0, "during restart");
  exchange_data(&n, 1, "during restart too");
  for (int i = 0; i < 2; i++) {
    const char *pw;
    weft_ice_agent_local_credentials(n.p[1 - i].a, &u, &pw);
    assert_int_equal(weft_ice_agent_set_remote_credentials(n.p[i].a, u, pw), 0);
  }
  /* re-emitted candidates flow through the harness */
  n.p[0].nselected = n.p[1].nselected = 0;
  n.p[0].ncands = n.p[1].ncands = 0;
  assert_int_equal(h_run(&n, n.now + 10 * SEC, h_both_selected), 1);
  assert_int_equal(h_run(&n, n.now + 10 * SEC, connected_and_completed), 1);
  assert_selected_hosts(&n);
  exchange_data(&n, 0, "after restart");
  exchange_data(&n, 1, "after restart too");
  h_run(&n, n.now + 40 * SEC, h_any_failed);
  assert_true(connected_and_completed(&n));
  h_free(&n);
}

static void test_srflx_gathering(void **state) {
  (void)state;
  weft_ice_settings s;
  h_settings(&s);
  s.nstun_servers = 1;
  h_addr(&s.stun_servers[0], "198.51.100.1:3478");
  h_net n;
  h_init(&n, &s, NULL, 15);
  n.has_stun = 1;
  h_addr(&n.stun_mapped[0], "203.0.113.7:40001");
  h_start(&n);
  assert_int_equal(h_run(&n, n.now + 10 * SEC, connected_and_completed), 1);
  assert_int_equal(n.p[0].gather_state, WEFT_ICE_GATHERING_COMPLETE);
  assert_int_equal(n.p[0].ncands, 2);
  assert_int_equal(n.p[0].cands[0].type, WEFT_ICE_CANDIDATE_HOST);
  const weft_ice_candidate *c = &n.p[0].cands[1];
  assert_int_equal(c->type, WEFT_ICE_CANDIDATE_SRFLX);
  assert_true(weft_addr_equal(&c->addr, &n.stun_mapped[0]));
  assert_true(weft_addr_equal(&c->related, &n.p[0].host));
  assert_true(c->priority < n.p[0].cands[0].priority);
  assert_string_not_equal(c->foundation, n.p[0].cands[0].foundation);
  char line[WEFT_ICE_CANDIDATE_STRLEN];
  assert_true(weft_ice_candidate_format(c, line, sizeof(line)) > 0);
  assert_non_null(strstr(line, "typ srflx raddr 10.0.0.1 rport 5000"));
  h_free(&n);
}

static int a_gathered(h_net *n) {
  return n->p[0].gather_state == WEFT_ICE_GATHERING_COMPLETE;
}

static void test_stun_server_silent(void **state) {
  (void)state;
  weft_ice_settings s;
  h_settings(&s);
  s.nstun_servers = 1;
  h_addr(&s.stun_servers[0], "198.51.100.1:3478");
  h_net n;
  h_init(&n, &s, NULL, 16);
  n.has_stun = 1;
  n.stun_silent = 1;
  weft_tstamp t0 = n.now;
  h_start(&n);
  assert_int_equal(h_run(&n, t0 + 30 * SEC, a_gathered), 1);
  assert_true(n.now - t0 <= 10 * SEC);
  assert_int_equal(n.p[0].gather_errors, 1);
  assert_int_equal(n.p[0].ncands, 1);
  h_free(&n);
}

static void test_double_restart(void **state) {
  (void)state;
  h_net n;
  h_init(&n, NULL, NULL, 17);
  h_start(&n);
  assert_int_equal(h_run(&n, n.now + 10 * SEC, connected_and_completed), 1);
  for (int k = 0; k < 2; k++) { /* twice before the peer answers */
    for (int i = 0; i < 2; i++)
      assert_int_equal(weft_ice_agent_restart(n.p[i].a, n.now, NULL, NULL), 0);
    n.nsig = 0; /* the first restart's candidates are never signalled */
    exchange_data(&n, 0, "old pair still up");
  }
  for (int i = 0; i < 2; i++) {
    const char *u, *pw;
    weft_ice_agent_local_credentials(n.p[1 - i].a, &u, &pw);
    assert_int_equal(weft_ice_agent_set_remote_credentials(n.p[i].a, u, pw), 0);
    /* re-signal the current candidates */
    for (size_t k = 0;; k++) {
      weft_ice_candidate c;
      if (weft_ice_agent_local_candidate(n.p[1 - i].a, k, &c) != 0)
        break;
      int rv = weft_ice_agent_add_remote_candidate(n.p[i].a, n.now, &c);
      assert_true(rv == 0 || rv == WEFT_ERR_EXISTS); /* maybe trickled */
    }
  }
  n.p[0].nselected = n.p[1].nselected = 0;
  assert_int_equal(h_run(&n, n.now + 10 * SEC, h_both_selected), 1);
  exchange_data(&n, 0, "new pair");
  exchange_data(&n, 1, "new pair back");
  h_run(&n, n.now + 40 * SEC, h_any_failed);
  assert_true(h_both_connected(&n));
  h_free(&n);
}

/* The TURN seam: a relay candidate is a virtual socket (its relayed
 * address): checks and data leave with local = relayed and come back to it. */
static void test_relay_seam(void **state) {
  (void)state;
  h_net n;
  h_init(&n, NULL, NULL, 18);
  n.no_signal = 1;
  h_addr(&n.p[0].relay, "192.0.2.50:49152");
  weft_addr mapped;
  h_addr(&mapped, "203.0.113.7:40001");
  for (int i = 0; i < 2; i++) {
    const char *u, *pw;
    weft_ice_agent_local_credentials(n.p[1 - i].a, &u, &pw);
    weft_ice_agent_set_remote_credentials(n.p[i].a, u, pw);
  }
  assert_int_equal(weft_ice_agent_add_local_relay_candidate(
                       n.p[0].a, n.now, &n.p[0].relay, &mapped),
                   0);
  assert_true(weft_ice_agent_add_local_host_candidate(n.p[1].a, n.now,
                                                      &n.p[1].host) >= 0);
  weft_ice_candidate c;
  assert_int_equal(weft_ice_agent_local_candidate(n.p[0].a, 0, &c), 0);
  assert_int_equal(c.type, WEFT_ICE_CANDIDATE_RELAY);
  assert_true(weft_addr_equal(&c.related, &mapped));
  assert_int_equal(c.priority,
                   weft_ice_candidate_priority(WEFT_ICE_CANDIDATE_RELAY,
                                               c.priority >> 8 & 0xffff, 1));
  assert_int_equal(weft_ice_agent_add_remote_candidate(n.p[1].a, n.now, &c), 0);
  assert_int_equal(weft_ice_agent_local_candidate(n.p[1].a, 0, &c), 0);
  assert_int_equal(weft_ice_agent_add_remote_candidate(n.p[0].a, n.now, &c), 0);
  weft_ice_agent_end_of_remote_candidates(n.p[0].a, n.now);
  weft_ice_agent_end_of_remote_candidates(n.p[1].a, n.now);
  assert_int_equal(h_run(&n, n.now + 10 * SEC, h_both_connected), 1);
  weft_ice_candidate l;
  assert_int_equal(weft_ice_agent_selected_pair(n.p[0].a, &l, NULL), 0);
  assert_int_equal(l.type, WEFT_ICE_CANDIDATE_RELAY);
  assert_true(weft_addr_equal(&n.p[0].sel.u.pair.base, &n.p[0].relay));
  weft_addr from, to;
  assert_int_equal(weft_ice_agent_send_path(n.p[0].a, &from, &to), 0);
  assert_true(weft_addr_equal(&from, &n.p[0].relay));
  exchange_data(&n, 0, "via relay");
  exchange_data(&n, 1, "back via relay");
  h_free(&n);
}

/* Regular nomination with one pair and nothing better pending: the
 * controlling agent nominates as soon as the check succeeds, not after
 * nomination_delay (250 ms): both sides select within a few round trips. */
static void test_nominate_at_once(void **state) {
  (void)state;
  h_net n;
  h_init(&n, NULL, NULL, 31);
  weft_tstamp t0 = n.now;
  h_start(&n);
  assert_int_equal(h_run(&n, t0 + 10 * SEC, h_both_selected), 1);
  /* RTT is 20 ms: check, answer, nominating check, answer */
  assert_true(n.now - t0 <= 3 * 20 * MS);
  assert_true(h_both_connected(&n));
  assert_selected_hosts(&n);
  h_free(&n);
}

/* A better pair still in progress when a worse one succeeds: the
 * controlling agent waits (up to nomination_delay) and nominates the better
 * one once it succeeds, right away rather than at the end of the delay. */
static void test_nominate_waits_for_better(void **state) {
  (void)state;
  weft_ice_settings s[2];
  for (int i = 0; i < 2; i++) {
    h_settings(&s[i]);
    s[i].role = i == 0 ? WEFT_ICE_CONTROLLING : WEFT_ICE_CONTROLLED;
    s[i].rto_min = 100 * MS;
  }
  h_net n;
  h_init(&n, &s[0], &s[1], 32);
  n.no_signal = 1;
  h_addr(&n.p[1].relay, "203.0.113.5:7000");
  for (int i = 0; i < 2; i++) {
    const char *u, *pw;
    weft_ice_agent_local_credentials(n.p[1 - i].a, &u, &pw);
    assert_int_equal(weft_ice_agent_set_remote_credentials(n.p[i].a, u, pw), 0);
    assert_true(weft_ice_agent_add_local_host_candidate(n.p[i].a, n.now,
                                                        &n.p[i].host) >= 0);
  }
  weft_addr mapped;
  h_addr(&mapped, "198.51.100.9:7001");
  assert_true(weft_ice_agent_add_local_relay_candidate(
                  n.p[1].a, n.now, &n.p[1].relay, &mapped) >= 0);
  weft_ice_candidate c;
  for (size_t k = 0; weft_ice_agent_local_candidate(n.p[1].a, k, &c) == 0; k++)
    assert_int_equal(weft_ice_agent_add_remote_candidate(n.p[0].a, n.now, &c),
                     0);
  assert_int_equal(weft_ice_agent_local_candidate(n.p[0].a, 0, &c), 0);
  assert_int_equal(weft_ice_agent_add_remote_candidate(n.p[1].a, n.now, &c), 0);
  /* the host-host pair (the better) loses its first checks for 80 ms; the
   * pair through the relay works at once */
  weft_tstamp t0 = n.now;
  n.drop_to = n.p[1].host;
  n.drop_until = t0 + 80 * MS;
  assert_int_equal(h_run(&n, t0 + 10 * SEC, h_both_selected), 1);
  assert_int_equal(n.p[0].nselected, 1);
  assert_int_equal(n.p[1].nselected, 1);
  assert_selected_hosts(&n);
  /* before the end of the delay counted from the relay pair's success */
  assert_true(n.now - t0 < 250 * MS);
  h_free(&n);
}

/* weft_ice_agent_send: a bounded queue (back-pressure), order and content
 * kept across the ring's wrap-around. */
static void test_send_queue(void **state) {
  (void)state;
  h_net n;
  h_init(&n, NULL, NULL, 19);
  h_start(&n);
  assert_int_equal(h_run(&n, n.now + 10 * SEC, connected_and_completed), 1);
  weft_ice_agent *a = n.p[0].a;
  uint8_t msg[1500], out[1500];
  weft_addr l, t;
  uint32_t seq_in = 0, seq_out = 0;
  for (int round = 0; round < 5; round++) {
    int queued = 0;
    for (;;) {
      size_t len = 700 + (seq_in * 37) % 600;
      memset(msg, (int)(seq_in & 0xff), len);
      msg[0] = 0x17;
      int rv = weft_ice_agent_send(a, n.now, msg, len);
      if (rv == WEFT_ERR_QUEUE_FULL)
        break;
      assert_int_equal(rv, 0);
      seq_in++;
      queued++;
    }
    assert_true(queued >= 10 && queued <= 24); /* 16 KiB queue */
    int len;
    while ((len = weft_ice_agent_poll_transmit(a, n.now, &l, &t, out,
                                               sizeof(out))) > 0) {
      if (out[0] != 0x17)
        continue; /* a STUN message (consent) */
      assert_int_equal(len, 700 + (seq_out * 37) % 600);
      assert_int_equal(out[len - 1], seq_out & 0xff);
      assert_true(weft_addr_equal(&t, &n.p[1].host));
      seq_out++;
    }
    assert_int_equal(seq_out, seq_in);
  }
  /* a datagram larger than the caller's buffer stays queued */
  memset(msg, 0x17, 1200);
  assert_int_equal(weft_ice_agent_send(a, n.now, msg, 1200), 0);
  assert_int_equal(weft_ice_agent_poll_transmit(a, n.now, &l, &t, out, 100),
                   WEFT_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(
      weft_ice_agent_poll_transmit(a, n.now, &l, &t, out, sizeof(out)), 1200);
  h_free(&n);
}

static int b_checked(h_net *n) {
  weft_ice_stats st;
  weft_ice_agent_stats(n->p[0].a, &st);
  return st.tx_responses >= 1;
}

/* The offerer learns the answer's credentials late: meanwhile it answers
 * the answerer's checks (its own password suffices) and learns it as
 * peer-reflexive; with the credentials its triggered checks go out. */
static void test_remote_credentials_late(void **state) {
  (void)state;
  h_net n;
  h_init(&n, NULL, NULL, 20);
  n.late_creds[0] = 1;
  n.signal_delay[0] = 3 * SEC; /* and the answer's candidates later still */
  h_start(&n);
  assert_int_equal(h_run(&n, n.now + 5 * SEC, b_checked), 1);
  weft_ice_stats st;
  weft_ice_agent_stats(n.p[0].a, &st);
  assert_int_equal(st.tx_checks, 0); /* no credentials: no checks */
  assert_int_equal(st.remote_prflx, 1);
  assert_int_equal(weft_ice_agent_connection_state(n.p[0].a),
                   WEFT_ICE_STATE_NEW);
  const char *u, *pw;
  weft_ice_agent_local_credentials(n.p[1].a, &u, &pw);
  assert_int_equal(weft_ice_agent_set_remote_credentials(n.p[0].a, u, pw), 0);
  weft_tstamp t0 = n.now;
  assert_int_equal(h_run(&n, n.now + 10 * SEC, h_both_connected), 1);
  assert_true(n.now - t0 < 1 * SEC);
  assert_selected_hosts(&n);
  exchange_data(&n, 0, "late but fine");
  h_free(&n);
}

/* A long restart: consent keeps the old pair alive with the old
 * credentials (both ways) until the new pair is selected. */
static void test_long_restart(void **state) {
  (void)state;
  h_net n;
  h_init(&n, NULL, NULL, 22);
  h_start(&n);
  assert_int_equal(h_run(&n, n.now + 10 * SEC, connected_and_completed), 1);
  for (int i = 0; i < 2; i++)
    assert_int_equal(weft_ice_agent_restart(n.p[i].a, n.now, NULL, NULL), 0);
  n.no_signal = 1;
  weft_ice_stats before;
  weft_ice_agent_stats(n.p[1].a, &before);
  for (int k = 0; k < 8; k++) {
    h_run(&n, n.now + 5 * SEC, h_any_failed);
    for (int i = 0; i < 2; i++)
      assert_int_equal(weft_ice_agent_connection_state(n.p[i].a),
                       WEFT_ICE_STATE_CONNECTED);
    exchange_data(&n, k & 1, "old pair");
  }
  weft_ice_stats after;
  weft_ice_agent_stats(n.p[1].a, &after);
  assert_true(after.tx_responses - before.tx_responses >= 6); /* consent */
  assert_int_equal(after.dropped_bad_ufrag, before.dropped_bad_ufrag);
  n.no_signal = 0;
  for (int i = 0; i < 2; i++) {
    const char *u, *pw;
    weft_ice_agent_local_credentials(n.p[1 - i].a, &u, &pw);
    weft_ice_agent_set_remote_credentials(n.p[i].a, u, pw);
    for (size_t k = 0;; k++) {
      weft_ice_candidate c;
      if (weft_ice_agent_local_candidate(n.p[1 - i].a, k, &c) != 0)
        break;
      weft_ice_agent_add_remote_candidate(n.p[i].a, n.now, &c);
    }
  }
  n.p[0].nselected = n.p[1].nselected = 0;
  assert_int_equal(h_run(&n, n.now + 10 * SEC, h_both_selected), 1);
  exchange_data(&n, 1, "new pair");
  h_free(&n);
}

/* A socket bound to the wildcard address: datagrams given with local =
 * 0.0.0.0:port reach the host candidate of that port. */
static void test_wildcard_local(void **state) {
  (void)state;
  h_net n;
  h_init(&n, NULL, NULL, 23);
  h_start(&n);
  assert_int_equal(h_run(&n, n.now + 10 * SEC, connected_and_completed), 1);
  weft_addr any, wrong;
  h_addr(&any, "0.0.0.0:6000");
  h_addr(&wrong, "0.0.0.0:6001");
  uint8_t d[4] = {0x17, 1, 2, 3};
  assert_int_equal(
      weft_ice_agent_recv(n.p[1].a, n.now, &any, &n.p[0].host, d, sizeof(d)),
      WEFT_ICE_RECV_APP_DATA);
  assert_int_equal(
      weft_ice_agent_recv(n.p[1].a, n.now, &wrong, &n.p[0].host, d, sizeof(d)),
      0);
  h_free(&n);
}

static int b_failed(h_net *n) {
  return n->p[1].state == WEFT_ICE_STATE_FAILED;
}

/* ICE-lite: Binding indications keep the binding alive when it has nothing
 * to send; consent expires when the full agent's checks stop. */
static void test_lite_keepalive_and_expiry(void **state) {
  (void)state;
  weft_ice_settings s;
  h_settings(&s);
  s.lite = 1;
  h_net n;
  h_init(&n, NULL, &s, 25);
  weft_ice_agent_set_remote_lite(n.p[0].a, 1);
  h_start(&n);
  assert_int_equal(h_run(&n, n.now + 10 * SEC, h_both_connected), 1);
  weft_ice_stats a0, a1;
  weft_ice_agent_stats(n.p[0].a, &a0);
  n.p[0].blocked = 1; /* the full agent's checks stop reaching the lite one */
  weft_tstamp silent = n.now;
  h_run(&n, n.now + 17 * SEC, b_failed);
  weft_ice_agent_stats(n.p[0].a, &a1);
  assert_true(a1.rx_stun > a0.rx_stun); /* a keep-alive indication */
  assert_int_equal(h_run(&n, silent + 31 * SEC, b_failed), 1);
  assert_int_equal(n.p[1].failed_error, WEFT_ERR_ICE_CONSENT_EXPIRED);
  h_free(&n);
}

/* ICE-lite gives up when the full agent never nominates. */
static void test_lite_no_nomination(void **state) {
  (void)state;
  weft_ice_settings s;
  h_settings(&s);
  s.lite = 1;
  h_net n;
  h_init(&n, NULL, &s, 24);
  n.p[0].blocked = 1;
  weft_tstamp t0 = n.now;
  h_start(&n);
  assert_int_equal(h_run(&n, t0 + 30 * SEC, b_failed), 1);
  assert_true(n.now - t0 <= 11 * SEC);
  h_free(&n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_connect_basic),
      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_role_conflict),
      cmocka_unit_test(test_aggressive),
      cmocka_unit_test(test_lite),
      cmocka_unit_test(test_loss),
      cmocka_unit_test(test_all_at_once_and_late),
      cmocka_unit_test(test_unreachable_fails),
      cmocka_unit_test(test_no_candidates_fails),
      cmocka_unit_test(test_restart_after_failure),
      cmocka_unit_test(test_consent_expiry),
      cmocka_unit_test(test_disconnect_recovers),
      cmocka_unit_test(test_restart),
      cmocka_unit_test(test_srflx_gathering),
      cmocka_unit_test(test_stun_server_silent),
      cmocka_unit_test(test_double_restart),
      cmocka_unit_test(test_relay_seam),
      cmocka_unit_test(test_nominate_at_once),
      cmocka_unit_test(test_nominate_waits_for_better),
      cmocka_unit_test(test_send_queue),
      cmocka_unit_test(test_remote_credentials_late),
      cmocka_unit_test(test_long_restart),
      cmocka_unit_test(test_wildcard_local),
      cmocka_unit_test(test_lite_no_nomination),
      cmocka_unit_test(test_lite_keepalive_and_expiry),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
