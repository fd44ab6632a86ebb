/*
 * Idle ICE agents at scale: N weft agents (N/2 connected pairs, one socket
 * each on 127.0.0.1) in ONE weft_loop, with consent freshness running
 * (RFC 7675: a check every 4-6 s per agent). Measured after all connected:
 * memory per agent (RSS delta / N, and heap bytes / N), then the CPU the one
 * loop thread spends over an idle window, and whether every pair kept its
 * consent. Prints JSON lines.
 *
 *   bench_ice_idle [AGENTS [SECONDS [small|default]]]
 *                  (default 10000 agents, 30 s, small)
 *
 * Agent settings: "small" caps are sized for one host candidate each side
 * (local 2, remote 2, pairs 4, prflx 1, 2 queued responses, no send
 * queue), as a server holding many sessions would configure them;
 * "default" keeps weft_ice_settings_default's caps. Every other setting is
 * the default. Needs AGENTS + 64 file descriptors.
 */
#include <malloc.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_ice_common.h"

static size_t rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long size = 0, res = 0;
  if (f != NULL) {
    if (fscanf(f, "%lu %lu", &size, &res) != 2)
      res = 0;
    fclose(f);
  }
  return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

static size_t heap_bytes(void) {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

typedef struct wait_all {
  bstate *st;
  size_t n;
} wait_all;

static int all_settled(void *arg) {
  wait_all *w = arg;
  return w->st->connected + w->st->failed >= w->n;
}

static int never(void *arg) {
  return 0;
}

static int small_caps = 1;

static void settings(weft_ice_settings *s) {
  weft_ice_settings_default(s);
  s->log.level = WEFT_LOG_ERROR;
  if (!small_caps)
    return;
  s->max_local_candidates = 2;
  s->max_remote_candidates = 2;
  s->max_pairs = 4;
  s->max_remote_prflx = 1;
  s->max_pending_responses = 2;
  s->send_queue_bytes = 0;
}

static int raise_fd_limit(size_t need) {
  struct rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) != 0)
    return -1;
  if (r.rlim_cur >= need)
    return 0;
  r.rlim_cur = need <= r.rlim_max ? need : r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
  return r.rlim_cur >= need ? 0 : -1;
}

/* Creates and connects n agents (n/2 pairs); returns how many were made. */
static size_t make_agents(weft_loop *l, bagent *ag, size_t n, bstate *st) {
  weft_ice_settings s;
  settings(&s);
  size_t i = 0;
  for (; i + 1 < n; i += 2) {
    if (bagent_new(&ag[i], st, l, weft_loop_ice_ops(), &s,
                   WEFT_ICE_CONTROLLING) != 0 ||
        bagent_new(&ag[i + 1], st, l, weft_loop_ice_ops(), &s,
                   WEFT_ICE_CONTROLLED) != 0 ||
        bpair_connect(&ag[i], &ag[i + 1], l) != 0) {
      fprintf(stderr, "bench_ice_idle: agent %zu: setup failed\n", i);
      break;
    }
    /* Keep the loop moving so early pairs do not wait for all. */
    if (i % 512 == 0)
      weft_loop_run_once(l, 1);
  }
  return i;
}

static void report(const char *name, const char *unit, double v, size_t n,
                   const char *extra) {
  printf("{\"bench\":\"%s\",\"unit\":\"%s\",\"value\":%.3f,\"agents\":%zu,"
         "\"caps\":\"%s\"%s}\n",
         name, unit, v, n, small_caps ? "small" : "default", extra);
  fflush(stdout);
}

int main(int argc, char **argv) {
  size_t want = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 10000;
  int secs = argc > 2 ? atoi(argv[2]) : 30;
  if (argc > 3)
    small_caps = strcmp(argv[3], "default") != 0;
  if (want < 2 || want > 1000000 || secs < 1) {
    fprintf(stderr,
            "usage: bench_ice_idle [AGENTS [SECONDS [small|default]]]\n");
    return 2;
  }
  if (raise_fd_limit(want + 64) != 0) {
    fprintf(stderr, "bench_ice_idle: need %zu file descriptors\n", want + 64);
    return 1;
  }
  weft_loop *l;
  if (weft_loop_new(&l, NULL, NULL) != 0)
    return 1;
  bstate st;
  memset(&st, 0, sizeof(st));
  bagent *ag = calloc(want, sizeof(*ag));
  if (ag == NULL)
    return 1;
  /* The loop's own buffers are allocated with the first socket: open one
   * before the baseline. */
  weft_addr lo;
  weft_addr_parse(&lo, "127.0.0.1", 0);
  weft_loop_sock *warm;
  weft_loop_udp_open(l, &lo, 0, &warm);
  size_t rss0 = rss_bytes(), heap0 = heap_bytes();
  weft_tstamp t0 = weft_loop_now(l);
  size_t n = make_agents(l, ag, want, &st);
  wait_all w = {&st, n};
  brun_until(l, all_settled, &w, 20 * WEFT_SECONDS);
  double connect_ms = (double)(weft_loop_now(l) - t0) / 1e6;
  size_t rss1 = rss_bytes(), heap1 = heap_bytes();
  char extra[160];
  snprintf(extra, sizeof(extra), ",\"connected\":%zu,\"failed\":%zu",
           st.connected, st.failed);
  report("ice_idle_connect_all", "ms", connect_ms, n, extra);
  report("ice_idle_rss_per_agent", "bytes",
         n ? (double)(rss1 - rss0) / (double)n : 0, n, ",\"goal\":8192");
  report("ice_idle_heap_per_agent", "bytes",
         n ? (double)(heap1 - heap0) / (double)n : 0, n, ",\"goal\":8192");

  /* The idle window: consent checks only. */
  weft_loop_stats s0, s1;
  weft_loop_get_stats(l, &s0);
  double c0 = cpu_seconds();
  weft_tstamp w0 = weft_loop_now(l);
  brun_until(l, never, NULL, (weft_tstamp)secs * WEFT_SECONDS);
  double wall = (double)(weft_loop_now(l) - w0) / 1e9;
  double cpu = cpu_seconds() - c0;
  weft_loop_get_stats(l, &s1);
  snprintf(extra, sizeof(extra),
           ",\"seconds\":%.1f,\"datagrams_per_s\":%.0f,"
           "\"lost_consent\":%zu",
           wall, (double)(s1.rx_datagrams - s0.rx_datagrams) / wall,
           st.disconnected);
  report("ice_idle_cpu", "percent_of_one_core", 100.0 * cpu / wall, n, extra);
  report("ice_idle_cpu_per_agent", "us_per_s", 1e6 * cpu / wall / (double)n, n,
         "");

  for (size_t i = 0; i < n; i++)
    bagent_del(&ag[i]);
  weft_loop_del(l);
  free(ag);
  return st.connected == n && st.disconnected == 0 ? 0 : 1;
}
