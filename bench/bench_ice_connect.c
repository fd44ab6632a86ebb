/*
 * ICE connection time on loopback: two weft agents (one controlling, one
 * controlled, default settings, one host candidate each on 127.0.0.1) in
 * one weft_loop over real UDP sockets. Measured: from the first connectivity
 * check sent to both agents connected (the nominated pair selected on both
 * sides). Repeated; prints one JSON line with the median and the runs.
 *
 *   bench_ice_connect [RUNS]      (default 50)
 */
#include "bench_ice_common.h"

/* The agent's verbs, watching for the first Binding request. */
static int w_recv(void *o, weft_tstamp now, const weft_addr *local,
                  const weft_addr *from, const uint8_t *d, size_t n) {
  return weft_ice_agent_recv(((bagent *)o)->agent, now, local, from, d, n);
}
static int w_poll_transmit(void *o, weft_tstamp now, weft_addr *local,
                           weft_addr *to, uint8_t *buf, size_t len) {
  bagent *b = o;
  int n = weft_ice_agent_poll_transmit(b->agent, now, local, to, buf, len);
  if (n >= 20 && buf[0] == 0x00 && buf[1] == 0x01 && b->st->first_check == 0)
    b->st->first_check = now;
  return n;
}
static int w_poll_event(void *o, void *ev) {
  return weft_ice_agent_poll_event(((bagent *)o)->agent, ev);
}
static weft_tstamp w_deadline(void *o) {
  return weft_ice_agent_deadline(((bagent *)o)->agent);
}
static int w_timeout(void *o, weft_tstamp now) {
  return weft_ice_agent_handle_timeout(((bagent *)o)->agent, now);
}
static const weft_loop_obj_ops watch_ops = {
    w_recv,     w_poll_transmit, w_poll_event,
    w_deadline, w_timeout,       sizeof(weft_ice_event)};

static int both_done(void *arg) {
  bstate *st = arg;
  return st->connected == 2 || st->failed > 0;
}

/* One connection; returns the time in ms, or a negative value. */
static double one_run(weft_loop *l) {
  bstate st;
  memset(&st, 0, sizeof(st));
  weft_ice_settings s;
  weft_ice_settings_default(&s);
  s.log.level = WEFT_LOG_ERROR;
  bagent a, b;
  if (bagent_new(&a, &st, l, &watch_ops, &s, WEFT_ICE_CONTROLLING) != 0 ||
      bagent_new(&b, &st, l, &watch_ops, &s, WEFT_ICE_CONTROLLED) != 0 ||
      bpair_connect(&a, &b, l) != 0) {
    fprintf(stderr, "bench_ice_connect: setup failed\n");
    return -1;
  }
  brun_until(l, both_done, &st, 10 * WEFT_SECONDS);
  double ms = -1;
  if (st.connected == 2 && st.first_check != 0)
    ms = (double)(st.last_connected - st.first_check) / 1e6;
  bagent_del(&a);
  bagent_del(&b);
  /* Let libuv close the handles before the next run. */
  for (int i = 0; i < 10 && weft_loop_run_once(l, 1) > 0; i++)
    ;
  return ms;
}

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 50;
  if (runs < 1 || runs > 100000) {
    fprintf(stderr, "usage: bench_ice_connect [RUNS]\n");
    return 2;
  }
  weft_loop *l;
  if (weft_loop_new(&l, NULL, NULL) != 0)
    return 1;
  double *v = calloc((size_t)runs, sizeof(*v));
  int ok = 0;
  for (int i = 0; i < runs && v != NULL; i++) {
    double ms = one_run(l);
    if (ms < 0) {
      fprintf(stderr, "bench_ice_connect: run %d did not connect\n", i);
      continue;
    }
    v[ok++] = ms;
  }
  weft_loop_del(l);
  if (ok == 0) {
    free(v);
    return 1;
  }
  qsort(v, (size_t)ok, sizeof(*v), cmp_double);
  printf("{\"bench\":\"ice_connect_loopback_weft_weft\",\"unit\":\"ms\","
         "\"value\":%.3f,\"p10\":%.3f,\"p90\":%.3f,\"min\":%.3f,"
         "\"max\":%.3f,\"connected\":%d,\"attempts\":%d,\"runs\":[",
         v[ok / 2], v[ok / 10], v[ok * 9 / 10], v[0], v[ok - 1], ok, runs);
  for (int i = 0; i < ok; i++)
    printf("%s%.3f", i ? "," : "", v[i]);
  printf("]}\n");
  free(v);
  return ok == runs ? 0 : 1;
}
