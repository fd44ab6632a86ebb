/* ICE agent hot paths: an authenticated connectivity check answered (recv +
 * poll_transmit), application data demultiplexed by recv, application data
 * sent through weft_ice_agent_send, and the heap of an idle agent. One JSON
 * line per figure on stdout; about two seconds each; no arguments. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft/ice.h"
#include "weft/stun.h"

#define SECONDS_PER_FIGURE 2.0
#define BATCH 4096
#define LUFRAG "Aufr"
#define LPWD "localpasswordlocalpassw"
#define RUFRAG "Bufr"
#define RPWD "remotepasswordremotepa"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct ctx {
  weft_ice_agent *a;
  weft_addr host, peer;
  weft_tstamp t;
  uint8_t req[256];
  size_t reqlen;
  uint8_t data[1200];
} ctx;

typedef int (*op_fn)(ctx *c);

static void figure(const char *name, const char *unit, op_fn op, ctx *c) {
  uint64_t count = 0;
  double start = now_s(), t = start;
  while (t - start < SECONDS_PER_FIGURE) {
    for (int i = 0; i < BATCH; i++)
      if (op(c) != 0) {
        fprintf(stderr, "%s: operation failed\n", name);
        exit(1);
      }
    count += BATCH;
    t = now_s();
  }
  printf("{\"bench\":\"%s\",\"unit\":\"%s\",\"value\":%.0f}\n", name, unit,
         (double)count / (t - start));
  fflush(stdout);
}

static int op_demux(ctx *c) {
  return weft_ice_agent_recv(c->a, c->t, &c->host, &c->peer, c->data,
                             sizeof(c->data)) == WEFT_ICE_RECV_APP_DATA
             ? 0
             : -1;
}

static int op_send(ctx *c) {
  uint8_t out[1500];
  weft_addr l, to;
  if (weft_ice_agent_send(c->a, c->t, c->data, sizeof(c->data)) != 0)
    return -1;
  return weft_ice_agent_poll_transmit(c->a, c->t, &l, &to, out, sizeof(out)) ==
                 (int)sizeof(c->data)
             ? 0
             : -1;
}

static size_t make_check(ctx *c, const uint8_t *txid) {
  weft_stun_builder b;
  weft_stun_builder_init(&b, c->req, sizeof(c->req), WEFT_STUN_BINDING,
                         WEFT_STUN_REQUEST, txid);
  weft_stun_builder_add_str(&b, WEFT_STUN_ATTR_USERNAME, LUFRAG ":" RUFRAG);
  weft_stun_builder_add_u32(&b, 0xC057, 0x00010000); /* GOOG-NETWORK-INFO */
  weft_stun_builder_add_u64(&b, WEFT_STUN_ATTR_ICE_CONTROLLING, 1);
  weft_stun_builder_add_flag(&b, WEFT_STUN_ATTR_USE_CANDIDATE);
  weft_stun_builder_add_u32(&b, WEFT_STUN_ATTR_PRIORITY, 0x6E7F1EFF);
  weft_stun_builder_add_integrity(&b, (const uint8_t *)LPWD, strlen(LPWD));
  weft_stun_builder_add_fingerprint(&b);
  return (size_t)weft_stun_builder_finish(&b);
}

/* The agent answers valid checks; each needs its own MESSAGE-INTEGRITY, so
 * the checks are prebuilt with distinct ids and replayed round robin. */
#define NREQ 256
static uint8_t reqs[NREQ][256];
static size_t reqlens[NREQ];
static unsigned reqi;

static int op_check_prebuilt(ctx *c) {
  uint8_t out[1500];
  weft_addr l, to;
  unsigned k = reqi++ % NREQ;
  if (weft_ice_agent_recv(c->a, c->t, &c->host, &c->peer, reqs[k],
                          reqlens[k]) != 0)
    return -1;
  int n = weft_ice_agent_poll_transmit(c->a, c->t, &l, &to, out, sizeof(out));
  return n > 0 ? 0 : -1;
}

static void setup(ctx *c) {
  memset(c, 0, sizeof(*c));
  weft_ice_settings s;
  weft_ice_settings_default(&s);
  s.log.level = WEFT_LOG_NONE;
  s.role = WEFT_ICE_CONTROLLED;
  s.ufrag = LUFRAG;
  s.pwd = LPWD;
  if (weft_ice_agent_new(&c->a, &s, NULL) != 0)
    exit(1);
  weft_addr_parse(&c->host, "10.0.0.1:5000", 0);
  weft_addr_parse(&c->peer, "10.0.1.2:6000", 0);
  c->t = WEFT_SECONDS;
  weft_ice_agent_set_remote_credentials(c->a, RUFRAG, RPWD);
  weft_ice_agent_add_local_host_candidate(c->a, c->t, &c->host);
  for (int i = 0; i < NREQ; i++) {
    uint8_t txid[12] = {(uint8_t)i, 7, 7, 7};
    reqlens[i] = make_check(c, txid);
    memcpy(reqs[i], c->req, reqlens[i]);
  }
  c->data[0] = 0x17; /* DTLS application data */
}

/* Makes the pair valid both ways so the agent selects it. */
static void make_selected(ctx *c) {
  uint8_t out[1500];
  weft_addr l, to;
  weft_ice_agent_recv(c->a, c->t, &c->host, &c->peer, reqs[0], reqlens[0]);
  for (int k = 0; k < 100; k++) {
    weft_ice_agent_handle_timeout(c->a, c->t);
    int n;
    while ((n = weft_ice_agent_poll_transmit(c->a, c->t, &l, &to, out,
                                             sizeof(out))) > 0) {
      weft_stun_msg m;
      if (weft_stun_msg_decode(&m, out, (size_t)n) != 0 ||
          m.cls != WEFT_STUN_REQUEST)
        continue;
      uint8_t resp[256];
      weft_stun_builder b;
      weft_stun_builder_init_response(&b, resp, sizeof(resp), &m,
                                      WEFT_STUN_SUCCESS);
      weft_stun_builder_add_xor_addr(&b, WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS,
                                     &c->host);
      weft_stun_builder_add_integrity(&b, (const uint8_t *)RPWD, strlen(RPWD));
      weft_stun_builder_add_fingerprint(&b);
      int rl = weft_stun_builder_finish(&b);
      weft_ice_agent_recv(c->a, c->t, &c->host, &c->peer, resp, (size_t)rl);
    }
    if (weft_ice_agent_selected_pair(c->a, NULL, NULL) == 0)
      return;
    c->t += 10 * WEFT_MILLISECONDS;
  }
  fprintf(stderr, "bench: the agent did not select the pair\n");
  exit(1);
}

static void idle_bytes(void) {
  enum { N = 1000 };
  static weft_ice_agent *as[N];
  struct mallinfo2 m0 = mallinfo2();
  weft_addr h;
  weft_addr_parse(&h, "10.0.0.1:5000", 0);
  for (int i = 0; i < N; i++) {
    weft_ice_settings s;
    weft_ice_settings_default(&s);
    if (weft_ice_agent_new(&as[i], &s, NULL) != 0)
      exit(1);
    weft_ice_agent_set_remote_credentials(as[i], RUFRAG, RPWD);
    weft_ice_agent_add_local_host_candidate(as[i], 0, &h);
  }
  struct mallinfo2 m1 = mallinfo2();
  printf("{\"bench\":\"ice_idle_agent_heap\",\"unit\":\"bytes\","
         "\"value\":%zu}\n",
         (m1.uordblks - m0.uordblks) / N);
  for (int i = 0; i < N; i++)
    weft_ice_agent_del(as[i]);
}

int main(void) {
  ctx c;
  setup(&c);
  make_selected(&c);
  figure("ice_check_answered", "checks/s", op_check_prebuilt, &c);
  figure("ice_app_data_demux", "datagrams/s", op_demux, &c);
  figure("ice_app_data_send", "datagrams/s", op_send, &c);
  weft_ice_agent_del(c.a);
  idle_bytes();
  return 0;
}
