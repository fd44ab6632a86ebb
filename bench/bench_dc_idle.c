/* Memory of an idle association with one open data channel: N connected
 * pairs of weft_dc objects (each owns its SCTP association) in memory,
 * default 1000 pairs = 2000 associations; the DTLS client side opens one
 * channel by DCEP, one message goes each way on it, then everything is left
 * idle until every SACK went out. No DTLS (its OpenSSL objects are another
 * figure). Heap is counted through a weft_mem allocator (live bytes /
 * associations); the RSS delta of the process is reported too (it includes
 * OpenSSL allocations that do not go through weft_mem, e.g. the cookie
 * HMAC, and malloc's own overhead). Goal: <= 32 KiB per association.
 *   bench_dc_idle [pairs] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weft/datachannel.h"

typedef struct counter {
  size_t live, peak, allocs;
} counter;

/* Each block carries its size in a 16-byte header. */
static void *c_malloc(size_t n, void *u) {
  counter *c = u;
  size_t *p = malloc(n + 16);
  if (p == NULL)
    return NULL;
  p[0] = n;
  c->live += n;
  c->allocs++;
  if (c->live > c->peak)
    c->peak = c->live;
  return (uint8_t *)p + 16;
}

static void c_free(void *ptr, void *u) {
  if (ptr == NULL)
    return;
  counter *c = u;
  size_t *p = (size_t *)((uint8_t *)ptr - 16);
  c->live -= p[0];
  free(p);
}

static void *c_calloc(size_t m, size_t n, void *u) {
  void *p = c_malloc(m * n, u);
  if (p != NULL)
    memset(p, 0, m * n);
  return p;
}

static void *c_realloc(void *ptr, size_t n, void *u) {
  if (ptr == NULL)
    return c_malloc(n, u);
  size_t old = ((size_t *)((uint8_t *)ptr - 16))[0];
  void *q = c_malloc(n, u);
  if (q == NULL)
    return NULL;
  memcpy(q, ptr, old < n ? old : n);
  c_free(ptr, u);
  return q;
}

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, rss = 0;
  if (f == NULL)
    return 0;
  if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
    rss = 0;
  fclose(f);
  return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void events(weft_dc *x, weft_dc *peer, int k, weft_tstamp now,
                   int *msgs) {
  weft_dc_event ev;
  while (weft_dc_poll_event(x, &ev)) {
    if (ev.type == WEFT_DC_EVENT_CONNECTED && k == 0) {
      weft_dc_channel_init init;
      weft_dc_channel_init_default(&init);
      init.label = "idle";
      weft_dc_open(x, now, &init, NULL);
    } else if (ev.type == WEFT_DC_EVENT_OPEN) {
      weft_dc_send(x, now, ev.id, "hello", 5, 1);
    } else if (ev.type == WEFT_DC_EVENT_MESSAGE) {
      (*msgs)++;
    }
  }
}

static int pump(weft_dc *a, weft_dc *b, weft_tstamp now, int *msgs) {
  uint8_t buf[1500];
  int n, moved = 0;
  weft_dc *x[2] = {a, b};
  for (int k = 0; k < 2; k++) {
    events(x[k], x[1 - k], k, now, msgs);
    while ((n = weft_dc_poll_transmit(x[k], now, buf, sizeof(buf))) > 0) {
      weft_dc_recv(x[1 - k], now, buf, (size_t)n);
      moved++;
    }
  }
  return moved;
}

int main(int argc, char **argv) {
  size_t pairs = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
  counter c;
  memset(&c, 0, sizeof(c));
  weft_mem mem = {&c, c_malloc, c_free, c_calloc, c_realloc};
  weft_dc_settings s[2];
  for (int k = 0; k < 2; k++) {
    weft_dc_settings_default(&s[k]);
    s[k].sctp.log.level = WEFT_LOG_NONE;
    s[k].log.level = WEFT_LOG_NONE;
    s[k].role = k == 0 ? WEFT_DC_ROLE_CLIENT : WEFT_DC_ROLE_SERVER;
  }
  weft_dc **as = calloc(2 * pairs, sizeof(*as));
  weft_tstamp now = 1000 * WEFT_SECONDS;
  /* Warm up OpenSSL and malloc outside the measured window. */
  weft_dc *warm;
  if (weft_dc_new(&warm, &s[0], NULL, NULL) == 0)
    weft_dc_del(warm);
  long rss0 = rss_kib();
  int msgs = 0, bad = 0;
  for (size_t i = 0; i < pairs; i++) {
    weft_dc **p = &as[2 * i];
    if (weft_dc_new(&p[0], &s[0], &mem, NULL) ||
        weft_dc_new(&p[1], &s[1], &mem, NULL)) {
      bad++;
      break;
    }
    weft_dc_connect(p[0], now);
    weft_dc_connect(p[1], now);
    for (int k = 0; k < 16 && pump(p[0], p[1], now, &msgs) > 0; k++)
      ;
  }
  /* Idle: let delayed SACKs and timers run out. */
  now += 1 * WEFT_SECONDS;
  for (size_t i = 0; i < pairs && !bad; i++) {
    weft_dc_handle_timeout(as[2 * i], now);
    weft_dc_handle_timeout(as[2 * i + 1], now);
    for (int k = 0; k < 8 && pump(as[2 * i], as[2 * i + 1], now, &msgs) > 0;
         k++)
      ;
  }
  long rss1 = rss_kib();
  size_t n = 2 * pairs, open = 0;
  for (size_t i = 0; i < n && !bad; i++)
    open += weft_dc_channel_count(as[i]);
  int ok = !bad && msgs == (int)n && open == n;
  printf("{\"bench\":\"dc_idle_assoc_heap\",\"unit\":\"bytes\","
         "\"value\":%zu,\"layer\":\"dc\",\"associations\":%zu,"
         "\"open_channels\":%zu,\"heap_live_bytes\":%zu,\"allocs\":%zu,"
         "\"goal_bytes\":32768,\"ok\":%d}\n",
         c.live / n, n, open, c.live, c.allocs, ok);
  printf("{\"bench\":\"dc_idle_assoc_rss\",\"unit\":\"bytes\","
         "\"value\":%ld,\"layer\":\"dc\",\"associations\":%zu,"
         "\"rss_delta_kib\":%ld,\"ok\":%d}\n",
         (rss1 - rss0) * 1024 / (long)n, n, rss1 - rss0, ok);
  for (size_t i = 0; i < n; i++)
    weft_dc_del(as[i]);
  free(as);
  if (c.live != 0)
    fprintf(stderr, "bench_dc_idle: %zu bytes still live\n", c.live);
  return ok ? 0 : 1;
}
