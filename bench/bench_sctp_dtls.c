/* SCTP over DTLS CPU throughput (RFC 8261 as WebRTC data channels run it):
 * two weft DTLS endpoints and two weft SCTP associations in one thread,
 * datagrams handed over in memory without loss, virtual time. The SCTP MTU
 * is the DTLS record payload limit. Prints one JSON line per message size.
 *   bench_sctp_dtls [MiB per size, default 128] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft/dtls.h"
#include "weft/sctp.h"

typedef struct side {
  weft_dtls *d;
  weft_sctp_assoc *s;
  int up;
  uint64_t rx;
} side;

static double wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Moves everything pending from @p a to @p b; returns how much moved. */
static int flow(side *a, side *b, weft_tstamp now) {
  uint8_t buf[2048];
  int n, moved = 0;
  if (a->s != NULL)
    while ((n = weft_sctp_poll_transmit(a->s, now, buf, sizeof(buf))) > 0) {
      if (weft_dtls_write(a->d, now, buf, (size_t)n) != 0)
        break; /* lost: SCTP retransmits */
      moved++;
    }
  while ((n = weft_dtls_poll_transmit(a->d, now, buf, sizeof(buf))) > 0) {
    weft_dtls_recv(b->d, now, buf, (size_t)n);
    moved++;
  }
  weft_dtls_event ev;
  while (weft_dtls_poll_event(b->d, &ev)) {
    if (ev.type == WEFT_DTLS_EVENT_HANDSHAKE_DONE)
      b->up = 1;
    else if (ev.type == WEFT_DTLS_EVENT_DATA && b->s != NULL)
      weft_sctp_recv(b->s, now, ev.data, ev.len);
  }
  if (b->s != NULL) {
    weft_sctp_event sev;
    while (weft_sctp_poll_event(b->s, &sev))
      if (sev.type == WEFT_SCTP_EVENT_MESSAGE)
        b->rx += sev.len;
  }
  return moved;
}

static int make_sctp(side *x, weft_tstamp now, int client) {
  weft_sctp_settings s;
  weft_sctp_settings_default(&s);
  s.log.level = WEFT_LOG_NONE;
  s.mtu = weft_dtls_max_payload(x->d);
  if (weft_sctp_assoc_new(&x->s, &s, NULL, NULL) != 0)
    return 1;
  return client ? weft_sctp_connect(x->s, now) : 0;
}

static int run_size(weft_cert *ca, weft_cert *cb, size_t msg, uint64_t total) {
  side a = {0}, b = {0};
  weft_dtls_settings ds;
  weft_dtls_settings_default(&ds);
  ds.log.level = WEFT_LOG_NONE;
  ds.nremote_fingerprints = 1;
  ds.cert = ca;
  ds.role = WEFT_DTLS_CLIENT;
  weft_cert_fingerprint(cb, WEFT_FINGERPRINT_SHA256,
                        &ds.remote_fingerprints[0]);
  if (weft_dtls_new(&a.d, &ds, NULL) != 0)
    return 1;
  ds.cert = cb;
  ds.role = WEFT_DTLS_SERVER;
  weft_cert_fingerprint(ca, WEFT_FINGERPRINT_SHA256,
                        &ds.remote_fingerprints[0]);
  if (weft_dtls_new(&b.d, &ds, NULL) != 0)
    return 1;
  weft_tstamp now = WEFT_SECONDS;
  weft_dtls_start(a.d, now);
  weft_dtls_start(b.d, now);
  for (int i = 0; i < 50 && !(a.up && b.up); i++) {
    flow(&a, &b, now);
    flow(&b, &a, now);
  }
  if (!(a.up && b.up) || make_sctp(&a, now, 1) || make_sctp(&b, now, 0))
    return 1;
  for (int i = 0; i < 10; i++) {
    flow(&a, &b, now);
    flow(&b, &a, now);
  }
  uint8_t *data = malloc(msg);
  memset(data, 0x5a, msg);
  uint64_t sent = 0;
  double t0 = wall();
  while (b.rx < total) {
    while (sent < total && weft_sctp_send(a.s, now, (uint16_t)(sent % 7), 53,
                                          data, msg, 0, 0, 0) == 0)
      sent += msg;
    now += WEFT_MICROSECONDS;
    if (flow(&a, &b, now) + flow(&b, &a, now) == 0) {
      weft_tstamp d = weft_sctp_deadline(a.s);
      if (d == WEFT_TSTAMP_NONE)
        break;
      now = d > now ? d : now;
      weft_sctp_handle_timeout(a.s, now);
      weft_sctp_handle_timeout(b.s, now);
    }
  }
  double secs = wall() - t0;
  printf("{\"bench\":\"sctp_dtls_memory\",\"msg_bytes\":%zu,\"mib\":%llu,"
         "\"seconds\":%.3f,\"gbit_per_s\":%.2f,\"sctp_mtu\":%zu}\n",
         msg, (unsigned long long)(b.rx >> 20), secs,
         (double)b.rx * 8 / secs / 1e9, weft_dtls_max_payload(a.d));
  free(data);
  weft_sctp_assoc_del(a.s);
  weft_sctp_assoc_del(b.s);
  weft_dtls_del(a.d);
  weft_dtls_del(b.d);
  return b.rx >= total ? 0 : 1;
}

int main(int argc, char **argv) {
  uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 128;
  weft_cert *ca, *cb;
  if (weft_cert_generate(&ca, NULL, NULL) ||
      weft_cert_generate(&cb, NULL, NULL))
    return 1;
  size_t sizes[] = {1024, 16384, 262144};
  int rc = 0;
  for (size_t i = 0; i < 3; i++)
    rc |= run_size(ca, cb, sizes[i], mib << 20);
  weft_cert_del(ca);
  weft_cert_del(cb);
  return rc;
}
