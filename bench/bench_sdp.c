/* SDP codec throughput on a typical Chromium offer (audio + video + data,
 * tests/vectors/sdp/chrome_av_data_offer.sdp): parse + serialize, parse
 * alone, serialize alone. One JSON line per figure on stdout; about two
 * seconds each; optional argument: the SDP file to use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft/sdp.h"

#define SECONDS_PER_FIGURE 2.0
#define BATCH 256

/* The default SDP file, found from this source file's path (CMake compiles
 * with absolute paths): <source>/tests/vectors/sdp/chrome_av_data_offer.sdp */
static void default_path(char *buf, size_t cap) {
  const char *self = __FILE__;
  const char *tail = strstr(self, "bench/bench_sdp.c");
  int dir = tail ? (int)(tail - self) : 0;
  snprintf(buf, cap, "%.*stests/vectors/sdp/chrome_av_data_offer.sdp", dir,
           self);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct ctx {
  char text[65536];
  size_t len;
  weft_sdp *parsed;
  char out[65536];
} ctx;

static volatile int sink;

static int parse_serialize(ctx *c) {
  weft_sdp *sdp;
  if (weft_sdp_parse(&sdp, c->text, c->len, NULL, NULL) != 0)
    return -1;
  int n = weft_sdp_serialize(sdp, c->out, sizeof(c->out));
  weft_sdp_del(sdp);
  sink = n;
  return n == (int)c->len ? 0 : -1;
}

static int parse_only(ctx *c) {
  weft_sdp *sdp;
  if (weft_sdp_parse(&sdp, c->text, c->len, NULL, NULL) != 0)
    return -1;
  sink = (int)weft_sdp_media_count(sdp);
  weft_sdp_del(sdp);
  return 0;
}

static int serialize_only(ctx *c) {
  int n = weft_sdp_serialize(c->parsed, c->out, sizeof(c->out));
  sink = n;
  return n > 0 ? 0 : -1;
}

static void figure(const char *name, int (*op)(ctx *), ctx *c) {
  uint64_t count = 0;
  double start = now(), t = start;
  while (t - start < SECONDS_PER_FIGURE) {
    for (int i = 0; i < BATCH; i++)
      if (op(c) != 0) {
        fprintf(stderr, "%s: operation failed\n", name);
        exit(1);
      }
    count += BATCH;
    t = now();
  }
  double rate = (double)count / (t - start);
  printf("{\"bench\":\"%s\",\"unit\":\"sdp/s\",\"value\":%.0f,"
         "\"mbytes_per_s\":%.1f,\"sdp_bytes\":%zu}\n",
         name, rate, rate * (double)c->len / 1e6, c->len);
  fflush(stdout);
}

int main(int argc, char **argv) {
  static ctx c;
  char def[4096];
  default_path(def, sizeof(def));
  const char *path = argc > 1 ? argv[1] : def;
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "bench_sdp: cannot open %s\n", path);
    return 1;
  }
  c.len = fread(c.text, 1, sizeof(c.text), f);
  fclose(f);
  if (weft_sdp_parse(&c.parsed, c.text, c.len, NULL, NULL) != 0) {
    fprintf(stderr, "bench_sdp: %s does not parse\n", path);
    return 1;
  }
  figure("sdp_parse_serialize", parse_serialize, &c);
  figure("sdp_parse", parse_only, &c);
  figure("sdp_serialize", serialize_only, &c);
  weft_sdp_del(c.parsed);
  return 0;
}
