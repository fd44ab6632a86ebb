/* Full DTLS 1.2 handshakes per second per core, server side: client and
 * server run in this process; only the CPU time of this thread spent in the
 * server's calls (creation, datagrams in and out, events, deletion) counts.
 * ECDSA P-256 certificates, as browsers use.
 *
 *   bench_dtls_handshake [count]     (default 2000 handshakes)
 *
 * stdout: {"bench":"dtls_handshakes_server","unit":"handshakes/s","value":N}
 * and the same for both sides together ("dtls_handshakes_pair"). */
#include "weft/dtls.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct side {
  weft_dtls *d;
  int done;
} side;

/* Moves every datagram of @p from to @p to; returns how many. */
static int shuttle(side *from, side *to, weft_tstamp now, double *t_from,
                   double *t_to) {
  uint8_t buf[1500];
  int moved = 0;
  for (;;) {
    double t0 = cpu_now();
    int n = weft_dtls_poll_transmit(from->d, now, buf, sizeof(buf));
    double t1 = cpu_now();
    if (t_from)
      *t_from += t1 - t0;
    if (n <= 0)
      return moved;
    weft_dtls_recv(to->d, now, buf, (size_t)n);
    weft_dtls_event ev;
    while (weft_dtls_poll_event(to->d, &ev))
      if (ev.type == WEFT_DTLS_EVENT_HANDSHAKE_DONE)
        to->done = 1;
      else if (ev.type == WEFT_DTLS_EVENT_FAILED)
        to->done = -1;
    if (t_to)
      *t_to += cpu_now() - t1;
    moved++;
  }
}

static int one_handshake(const weft_dtls_settings *cs,
                         const weft_dtls_settings *ss, double *t_server) {
  side c = {NULL, 0}, s = {NULL, 0};
  double t0 = cpu_now();
  int rv = weft_dtls_new(&s.d, ss, NULL);
  *t_server += cpu_now() - t0;
  if (rv != 0 || weft_dtls_new(&c.d, cs, NULL) != 0)
    return -1;
  weft_tstamp now = WEFT_SECONDS;
  weft_dtls_start(c.d, now);
  for (int round = 0; round < 20 && (c.done == 0 || s.done == 0); round++) {
    int moved = shuttle(&c, &s, now, NULL, t_server);
    moved += shuttle(&s, &c, now, t_server, NULL);
    if (moved == 0)
      break;
  }
  int ok = c.done == 1 && s.done == 1;
  weft_dtls_del(c.d);
  t0 = cpu_now();
  weft_dtls_del(s.d);
  *t_server += cpu_now() - t0;
  return ok ? 0 : -1;
}

int main(int argc, char **argv) {
  long count = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
  if (count <= 0)
    count = 2000;
  weft_cert *cc = NULL, *sc = NULL;
  if (weft_cert_generate(&cc, NULL, NULL) ||
      weft_cert_generate(&sc, NULL, NULL))
    return 1;
  weft_dtls_settings cs, ss;
  weft_dtls_settings_default(&cs);
  weft_dtls_settings_default(&ss);
  cs.cert = cc;
  ss.cert = sc;
  ss.role = WEFT_DTLS_SERVER;
  cs.nremote_fingerprints = ss.nremote_fingerprints = 1;
  weft_cert_fingerprint(sc, WEFT_FINGERPRINT_SHA256,
                        &cs.remote_fingerprints[0]);
  weft_cert_fingerprint(cc, WEFT_FINGERPRINT_SHA256,
                        &ss.remote_fingerprints[0]);
  double t_server = 0, t_all0 = cpu_now();
  for (long i = 0; i < count; i++)
    if (one_handshake(&cs, &ss, &t_server) != 0) {
      fprintf(stderr, "bench_dtls_handshake: handshake %ld failed\n", i);
      return 1;
    }
  double t_all = cpu_now() - t_all0;
  fprintf(stderr,
          "bench_dtls_handshake: %ld handshakes, server %.3f s CPU, "
          "both sides %.3f s CPU\n",
          count, t_server, t_all);
  printf("{\"bench\":\"dtls_handshakes_server\",\"unit\":\"handshakes/s\","
         "\"value\":%.0f}\n",
         (double)count / t_server);
  printf("{\"bench\":\"dtls_handshakes_pair\",\"unit\":\"handshakes/s\","
         "\"value\":%.0f}\n",
         (double)count / t_all);
  weft_cert_del(cc);
  weft_cert_del(sc);
  return 0;
}
