/* SCTP CPU throughput: two weft associations in one thread, packets handed
 * over in memory without loss (no DTLS, no sockets), virtual time advancing
 * 1 us per packet. Measures the protocol cost alone, for message sizes of
 * 1 KiB, 16 KiB and 256 KiB. Prints one JSON line per size.
 *   bench_sctp [MiB per size, default 256] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft/sctp.h"

static double wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int drain(weft_sctp_assoc *from, weft_sctp_assoc *to, weft_tstamp *now,
                 uint64_t *rx_bytes) {
  uint8_t buf[1500];
  int n, moved = 0;
  while ((n = weft_sctp_poll_transmit(from, *now, buf, sizeof(buf))) > 0) {
    *now += WEFT_MICROSECONDS;
    weft_sctp_recv(to, *now, buf, (size_t)n);
    moved++;
  }
  weft_sctp_event ev;
  while (weft_sctp_poll_event(to, &ev))
    if (ev.type == WEFT_SCTP_EVENT_MESSAGE)
      *rx_bytes += ev.len;
  while (weft_sctp_poll_event(from, &ev))
    ;
  return moved;
}

static int run_size(size_t msg, uint64_t total) {
  weft_sctp_settings s;
  weft_sctp_settings_default(&s);
  s.log.level = WEFT_LOG_NONE;
  weft_sctp_assoc *a, *b;
  if (weft_sctp_assoc_new(&a, &s, NULL, NULL) ||
      weft_sctp_assoc_new(&b, &s, NULL, NULL))
    return 1;
  weft_tstamp now = WEFT_SECONDS;
  uint64_t rx = 0, sent = 0;
  weft_sctp_connect(a, now);
  for (int i = 0; i < 10; i++) {
    drain(a, b, &now, &rx);
    drain(b, a, &now, &rx);
  }
  uint8_t *data = malloc(msg);
  memset(data, 0x5a, msg);
  double t0 = wall();
  while (rx < total) {
    while (sent < total && weft_sctp_send(a, now, (uint16_t)(sent % 7), 53,
                                          data, msg, 0, 0, 0) == 0)
      sent += msg;
    int moved = drain(a, b, &now, &rx) + drain(b, a, &now, &rx);
    if (moved == 0) {
      weft_tstamp d = weft_sctp_deadline(a) < weft_sctp_deadline(b)
                          ? weft_sctp_deadline(a)
                          : weft_sctp_deadline(b);
      if (d == WEFT_TSTAMP_NONE)
        break;
      now = d > now ? d : now;
      weft_sctp_handle_timeout(a, now);
      weft_sctp_handle_timeout(b, now);
    }
  }
  double secs = wall() - t0;
  weft_sctp_stats st;
  weft_sctp_get_stats(a, &st);
  printf("{\"bench\":\"sctp_memory\",\"msg_bytes\":%zu,\"mib\":%llu,"
         "\"seconds\":%.3f,\"gbit_per_s\":%.2f,\"packets\":%llu}\n",
         msg, (unsigned long long)(rx >> 20), secs, (double)rx * 8 / secs / 1e9,
         (unsigned long long)st.packets_out);
  free(data);
  weft_sctp_assoc_del(a);
  weft_sctp_assoc_del(b);
  return rx >= total ? 0 : 1;
}

int main(int argc, char **argv) {
  uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 256;
  size_t sizes[] = {1024, 16384, 262144};
  int rc = 0;
  for (size_t i = 0; i < 3; i++)
    rc |= run_size(sizes[i], mib << 20);
  return rc;
}
