/*
 * The I/O layer's own cost: a pinger object and an echo object, each on its
 * own UDP socket on 127.0.0.1, driven by one weft_loop (recvmmsg reads,
 * one drain per input, timers re-armed). The pinger keeps WINDOW datagrams
 * of 100 bytes in flight. Prints round trips per second and the CPU the
 * thread spends per datagram handled (kernel included).
 *
 *   bench_loop_echo [SECONDS [WINDOW]]     (default 3 s, 32)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "weft/loop.h"

#define PAYLOAD 100
#define QCAP 256

typedef struct echo {
  weft_addr local[QCAP], peer[QCAP];
  uint8_t data[QCAP][PAYLOAD];
  size_t head, count;
} echo;

typedef struct pinger {
  weft_addr local, server;
  unsigned window, in_flight;
  uint64_t sent, received;
} pinger;

typedef struct none {
  int unused;
} none;

static int echo_recv(void *o, weft_tstamp now, const weft_addr *local,
                     const weft_addr *from, const uint8_t *d, size_t n) {
  echo *e = o;
  if (e->count == QCAP || n != PAYLOAD)
    return 0;
  size_t i = (e->head + e->count++) % QCAP;
  e->local[i] = *local;
  e->peer[i] = *from;
  memcpy(e->data[i], d, n);
  return 0;
}
static int echo_tx(void *o, weft_tstamp now, weft_addr *local, weft_addr *to,
                   uint8_t *buf, size_t len) {
  echo *e = o;
  if (e->count == 0)
    return 0;
  size_t i = e->head;
  e->head = (e->head + 1) % QCAP;
  e->count--;
  *local = e->local[i];
  *to = e->peer[i];
  memcpy(buf, e->data[i], PAYLOAD);
  return PAYLOAD;
}
static int no_event(void *o, void *ev) {
  return 0;
}
static weft_tstamp no_deadline(void *o) {
  return WEFT_TSTAMP_NONE;
}
static int no_timeout(void *o, weft_tstamp now) {
  return 0;
}
static int ping_recv(void *o, weft_tstamp now, const weft_addr *local,
                     const weft_addr *from, const uint8_t *d, size_t n) {
  pinger *p = o;
  p->received++;
  if (p->in_flight > 0)
    p->in_flight--;
  return 0;
}
static int ping_tx(void *o, weft_tstamp now, weft_addr *local, weft_addr *to,
                   uint8_t *buf, size_t len) {
  pinger *p = o;
  if (p->in_flight >= p->window)
    return 0;
  p->in_flight++;
  p->sent++;
  *local = p->local;
  *to = p->server;
  memset(buf, 0x80, PAYLOAD);
  return PAYLOAD;
}

static const weft_loop_obj_ops echo_ops = {
    echo_recv, echo_tx, no_event, no_deadline, no_timeout, sizeof(none)};
static const weft_loop_obj_ops ping_ops = {
    ping_recv, ping_tx, no_event, no_deadline, no_timeout, sizeof(none)};

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
  int secs = argc > 1 ? atoi(argv[1]) : 3;
  unsigned window = argc > 2 ? (unsigned)atoi(argv[2]) : 32;
  if (secs < 1 || window < 1 || window > QCAP) {
    fprintf(stderr, "usage: bench_loop_echo [SECONDS [WINDOW<=%d]]\n", QCAP);
    return 2;
  }
  weft_loop *l;
  if (weft_loop_new(&l, NULL, NULL) != 0)
    return 1;
  weft_addr lo;
  weft_addr_parse(&lo, "127.0.0.1", 0);
  weft_loop_sock *ss, *cs;
  echo *e = calloc(1, sizeof(*e));
  pinger p = {.window = 0};
  weft_loop_obj *eo, *po;
  if (e == NULL || weft_loop_udp_open(l, &lo, 0, &ss) != 0 ||
      weft_loop_udp_open(l, &lo, 0, &cs) != 0 ||
      weft_loop_obj_new(l, &eo, &echo_ops, e, NULL, NULL) != 0 ||
      weft_loop_obj_new(l, &po, &ping_ops, &p, NULL, NULL) != 0)
    return 1;
  weft_loop_obj_attach(eo, ss);
  weft_loop_obj_attach(po, cs);
  p.local = *weft_loop_udp_local(cs);
  p.server = *weft_loop_udp_local(ss);
  p.window = window;
  double c0 = cpu_seconds();
  weft_tstamp t0 = weft_loop_now(l);
  weft_tstamp end = t0 + (weft_tstamp)secs * WEFT_SECONDS;
  weft_loop_obj_kick(po);
  while (weft_loop_now(l) < end) {
    if (weft_loop_run_once(l, 0) <= 0)
      break;
    if (p.in_flight == 0) /* all lost (socket buffers full): restart */
      weft_loop_obj_kick(po);
  }
  double wall = (double)(weft_loop_now(l) - t0) / 1e9;
  double cpu = cpu_seconds() - c0;
  weft_loop_stats st;
  weft_loop_get_stats(l, &st);
  double rtps = (double)p.received / wall;
  printf("{\"bench\":\"loop_echo_round_trips\",\"unit\":\"per_s\","
         "\"value\":%.0f,\"window\":%u,\"payload\":%d,\"recvmmsg\":%d}\n",
         rtps, window, PAYLOAD, weft_loop_udp_uses_recvmmsg(ss));
  printf("{\"bench\":\"loop_echo_cpu_per_datagram\",\"unit\":\"ns\","
         "\"value\":%.0f,\"datagrams\":%llu,\"tx_errors\":%llu}\n",
         st.rx_datagrams ? cpu * 1e9 / (double)st.rx_datagrams : 0.0,
         (unsigned long long)st.rx_datagrams, (unsigned long long)st.tx_errors);
  weft_loop_obj_del(eo);
  weft_loop_obj_del(po);
  weft_loop_del(l);
  free(e);
  return 0;
}
