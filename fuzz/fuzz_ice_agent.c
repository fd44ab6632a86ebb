/* Stateful fuzz target: one ICE agent fed a sequence of operations decoded
 * from the input: raw datagrams, STUN messages the harness signs with the
 * right credentials (so the fuzzer reaches past MESSAGE-INTEGRITY), timer
 * jumps, sends, restarts and remote candidates. Record format:
 * [op][len][len bytes]. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "weft/ice.h"
#include "weft/stun.h"

#define LUFRAG "fzLo"
#define LPWD "fuzzlocalpasswordfuzzlo"
#define RUFRAG "fzRe"
#define RPWD "fuzzremotepasswordfuzzr"

typedef struct fz {
  weft_ice_agent *a;
  weft_tstamp now;
  weft_addr host, peer, stun;
  uint8_t last_txid[12];
} fz;

static void drain(fz *f) {
  uint8_t buf[1500];
  weft_addr local, to;
  int n;
  for (int k = 0; k < 64; k++) {
    n = weft_ice_agent_poll_transmit(f->a, f->now, &local, &to, buf,
                                     sizeof(buf));
    if (n <= 0)
      break;
    weft_stun_msg m;
    if (weft_stun_msg_decode(&m, buf, (size_t)n) == 0 &&
        m.cls == WEFT_STUN_REQUEST)
      memcpy(f->last_txid, m.txid, 12);
  }
  weft_ice_event ev;
  for (int k = 0; k < 64 && weft_ice_agent_poll_event(f->a, &ev); k++)
    ;
  for (int k = 0; k < 16 && weft_ice_agent_deadline(f->a) <= f->now; k++) {
    weft_ice_agent_handle_timeout(f->a, f->now);
    while (weft_ice_agent_poll_transmit(f->a, f->now, &local, &to, buf,
                                        sizeof(buf)) > 0)
      ;
  }
}

/* A STUN message built from @p p: class, txid choice, raw attributes, then
 * the right USERNAME / MESSAGE-INTEGRITY / FINGERPRINT. */
static void signed_msg(fz *f, const uint8_t *p, size_t n) {
  if (n < 2)
    return;
  uint8_t cls = p[0] & 3, out[1500];
  uint8_t txid[12] = {0};
  if (p[1] & 1)
    memcpy(txid, f->last_txid, 12);
  else
    memcpy(txid, p, n < 12 ? n : 12);
  weft_stun_builder b;
  weft_stun_builder_init(&b, out, sizeof(out), WEFT_STUN_BINDING, cls, txid);
  size_t i = 2;
  while (i + 3 <= n) {
    uint16_t type = (uint16_t)(p[i] << 8 | p[i + 1]);
    size_t len = p[i + 2];
    i += 3;
    if (len > n - i)
      len = n - i;
    if (type == WEFT_STUN_ATTR_MESSAGE_INTEGRITY ||
        type == WEFT_STUN_ATTR_FINGERPRINT)
      type = WEFT_STUN_ATTR_SOFTWARE;
    weft_stun_builder_add(&b, type, p + i, len);
    i += len;
  }
  const char *key = LPWD;
  if (cls == WEFT_STUN_REQUEST)
    weft_stun_builder_add_str(&b, WEFT_STUN_ATTR_USERNAME, LUFRAG ":" RUFRAG);
  else
    key = RPWD;
  if (!(p[1] & 2))
    weft_stun_builder_add_integrity(&b, (const uint8_t *)key, strlen(key));
  weft_stun_builder_add_fingerprint(&b);
  int len = weft_stun_builder_finish(&b);
  if (len > 0)
    weft_ice_agent_recv(f->a, f->now, &f->host,
                        (p[1] & 4) ? &f->stun : &f->peer, out, (size_t)len);
}

static void control(fz *f, const uint8_t *p, size_t n) {
  uint8_t c = n > 0 ? p[0] : 0;
  switch (c % 5) {
  case 0:
    weft_ice_agent_restart(f->a, f->now, NULL, NULL);
    break;
  case 1:
    weft_ice_agent_set_remote_credentials(f->a, RUFRAG, RPWD);
    break;
  case 2:
    weft_ice_agent_end_of_remote_candidates(f->a, f->now);
    break;
  case 3:
    weft_ice_agent_set_role(f->a,
                            c & 8 ? WEFT_ICE_CONTROLLING : WEFT_ICE_CONTROLLED);
    break;
  default:
    weft_ice_agent_gather(f->a, f->now);
    break;
  }
}

static void op(fz *f, uint8_t code, const uint8_t *p, size_t n) {
  weft_addr from;
  weft_ice_candidate c;
  switch (code % 8) {
  case 0:
    weft_ice_agent_recv(f->a, f->now, &f->host, &f->peer, p, n);
    break;
  case 1:
    from = f->peer;
    weft_addr_set_port(&from, (uint16_t)(n > 1 ? p[0] << 8 | p[1] : 1));
    weft_ice_agent_recv(f->a, f->now, &f->host, &from, p, n);
    break;
  case 2:
    signed_msg(f, p, n);
    break;
  case 3:
    f->now += (weft_tstamp)(n > 0 ? p[0] : 1) * 100 * WEFT_MILLISECONDS;
    weft_ice_agent_handle_timeout(f->a, f->now);
    break;
  case 4:
    weft_ice_agent_send(f->a, f->now, p, n);
    break;
  case 5:
    control(f, p, n);
    break;
  case 6:
    if (weft_ice_candidate_parse(&c, (const char *)p, n) == 0)
      weft_ice_agent_add_remote_candidate(f->a, f->now, &c);
    break;
  default:
    weft_ice_agent_recv(f->a, f->now, &f->host, &f->stun, p, n);
    break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  weft_pcg pcg;
  weft_rand rnd;
  weft_pcg_seed(&pcg, 1, 1);
  weft_rand_from_pcg(&rnd, &pcg);
  weft_ice_settings s;
  weft_ice_settings_default(&s);
  s.log.level = WEFT_LOG_NONE;
  s.rand = &rnd;
  s.ufrag = LUFRAG;
  s.pwd = LPWD;
  s.role = data[0] & 1 ? WEFT_ICE_CONTROLLING : WEFT_ICE_CONTROLLED;
  s.lite = (data[0] & 6) == 6;
  s.aggressive_nomination = (data[0] & 8) != 0;
  s.nstun_servers = 1;
  fz f;
  memset(&f, 0, sizeof(f));
  weft_addr_parse(&s.stun_servers[0], "198.51.100.1:3478", 0);
  weft_addr_parse(&f.stun, "198.51.100.1:3478", 0);
  weft_addr_parse(&f.host, "10.0.0.1:5000", 0);
  weft_addr_parse(&f.peer, "10.0.1.2:6000", 0);
  if (weft_ice_agent_new(&f.a, &s, NULL) != 0)
    return 0;
  f.now = WEFT_SECONDS;
  weft_ice_agent_add_local_host_candidate(f.a, f.now, &f.host);
  weft_ice_agent_set_remote_credentials(f.a, RUFRAG, RPWD);
  weft_ice_candidate c;
  const char *line = "candidate:1 1 udp 2130706431 10.0.1.2 6000 typ host";
  if (weft_ice_candidate_parse(&c, line, strlen(line)) == 0)
    weft_ice_agent_add_remote_candidate(f.a, f.now, &c);
  weft_ice_agent_gather(f.a, f.now);
  drain(&f);
  size_t i = 1;
  while (i + 2 <= size) {
    uint8_t code = data[i], len = data[i + 1];
    i += 2;
    size_t n = len <= size - i ? len : size - i;
    op(&f, code, data + i, n);
    i += n;
    drain(&f);
  }
  weft_ice_agent_del(f.a);
  return 0;
}
