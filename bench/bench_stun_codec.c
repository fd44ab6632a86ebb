/* STUN codec throughput: an ICE Binding request decoded and integrity
 * checked (MESSAGE-INTEGRITY short-term + FINGERPRINT), responses built, and
 * the `weft stun` responder. One JSON line per figure on stdout; about two
 * seconds each; no arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft/stun.h"

#define SECONDS_PER_FIGURE 2.0
#define BATCH 4096

static const uint8_t password[] = "cLKf8Rb/Vv8aRlVDR4sdwYJd";
#define PWLEN (sizeof(password) - 1)
static const uint8_t txid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile int sink;

/* What a browser sends in an ICE connectivity check. */
static int ice_request(uint8_t *buf, size_t cap) {
  weft_stun_builder b;
  weft_stun_builder_init(&b, buf, cap, WEFT_STUN_BINDING, WEFT_STUN_REQUEST,
                         txid);
  weft_stun_builder_add_str(&b, WEFT_STUN_ATTR_USERNAME, "Ab3x:9kQz");
  weft_stun_builder_add_u32(&b, 0xC057, 0x00010000); /* GOOG-NETWORK-INFO */
  weft_stun_builder_add_u64(&b, WEFT_STUN_ATTR_ICE_CONTROLLING,
                            0x1122334455667788ull);
  weft_stun_builder_add_flag(&b, WEFT_STUN_ATTR_USE_CANDIDATE);
  weft_stun_builder_add_u32(&b, WEFT_STUN_ATTR_PRIORITY, 0x6E7F1EFF);
  weft_stun_builder_add_integrity(&b, password, PWLEN);
  weft_stun_builder_add_fingerprint(&b);
  return weft_stun_builder_finish(&b);
}

typedef int (*op_fn)(void *ctx);

static void figure(const char *name, const char *unit, op_fn op, void *ctx) {
  uint64_t count = 0;
  double start = now(), t = start;
  while (t - start < SECONDS_PER_FIGURE) {
    for (int i = 0; i < BATCH; i++)
      if (op(ctx) != 0) {
        fprintf(stderr, "%s: operation failed\n", name);
        exit(1);
      }
    count += BATCH;
    t = now();
  }
  printf("{\"bench\":\"%s\",\"unit\":\"%s\",\"value\":%.0f}\n", name, unit,
         (double)count / (t - start));
  fflush(stdout);
}

typedef struct ctx {
  uint8_t req[256];
  size_t reqlen;
  weft_stun_key *key;
  weft_addr from;
  weft_stun_server_settings settings;
  weft_stun_server_stats stats;
  uint8_t out[WEFT_STUN_MAX_MSG];
} ctx;

static int parse_integrity_keyed(void *p) {
  ctx *c = p;
  weft_stun_msg m;
  int rv = weft_stun_msg_decode(&m, c->req, c->reqlen);
  if (rv == 0)
    rv = weft_stun_msg_check_integrity_key(&m, c->key);
  return rv;
}

static int parse_integrity_oneshot(void *p) {
  ctx *c = p;
  weft_stun_msg m;
  int rv = weft_stun_msg_decode(&m, c->req, c->reqlen);
  if (rv == 0)
    rv = weft_stun_msg_check_integrity(&m, password, PWLEN);
  return rv;
}

static int parse_only(void *p) {
  ctx *c = p;
  weft_stun_msg m;
  return weft_stun_msg_decode(&m, c->req, c->reqlen);
}

/* The success response an ICE agent sends: XOR-MAPPED-ADDRESS,
 * MESSAGE-INTEGRITY with its password, FINGERPRINT. */
static int build_response(void *p) {
  ctx *c = p;
  weft_stun_builder b;
  weft_stun_builder_init(&b, c->out, sizeof(c->out), WEFT_STUN_BINDING,
                         WEFT_STUN_SUCCESS, txid);
  weft_stun_builder_add_xor_addr(&b, WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS,
                                 &c->from);
  weft_stun_builder_add_integrity_key(&b, c->key);
  weft_stun_builder_add_fingerprint(&b);
  int n = weft_stun_builder_finish(&b);
  sink = n;
  return n > 0 ? 0 : n;
}

static int server_answer(void *p) {
  ctx *c = p;
  int n = weft_stun_server_answer(&c->settings, &c->stats, &c->from, c->req,
                                  c->reqlen, c->out, sizeof(c->out));
  sink = n;
  return n > 0 ? 0 : -1;
}

int main(void) {
  static ctx c;
  int n = ice_request(c.req, sizeof(c.req));
  if (n <= 0 || weft_stun_key_new(&c.key, password, PWLEN, NULL) != 0 ||
      weft_addr_parse(&c.from, "192.0.2.1:32853", 0) != 0)
    return 1;
  c.reqlen = (size_t)n;
  weft_stun_server_settings_default(&c.settings);
  c.settings.software = "weft";
  figure("stun_parse_integrity", "msg/s", parse_integrity_keyed, &c);
  figure("stun_parse_integrity_oneshot_key", "msg/s", parse_integrity_oneshot,
         &c);
  figure("stun_parse", "msg/s", parse_only, &c);
  figure("stun_build_response", "msg/s", build_response, &c);
  figure("stun_server_answer", "msg/s", server_answer, &c);
  weft_stun_key_del(c.key);
  return 0;
}
