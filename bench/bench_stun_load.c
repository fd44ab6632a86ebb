/*
 * bench_stun_load: a STUN Binding load generator, loopback only.
 *
 *   bench_stun_load --target 127.0.0.1:3478 --duration-s 3 --sockets 8
 *                   --window 64 [--rate 100000] [--timeout-ms 500]
 *                   [--label NAME]
 *
 * Opens N connected UDP sockets to the target; each keeps up to W Binding
 * requests in flight (one slot per request, random 96-bit transaction ids,
 * the slot index in the last 4 bytes so a response is matched in O(1) and
 * then compared in full). Requests leave in sendmmsg batches, responses are
 * read in recvmmsg batches. Without --rate it sends as fast as the windows
 * allow (closed loop); with --rate it offers R requests/s in total (a token
 * bucket; a full window defers a request, counted as "deferred"). A request
 * unanswered after --timeout-ms is lost; an answer after that is "late". After
 * the duration it stops sending and waits up to the timeout for what is still
 * in flight. Prints one JSON line on stdout; errors go to stderr.
 *
 * Refuses any target outside 127.0.0.0/8 and ::1: it is a flood by design.
 * A benchmark program, not library code: it reads the clock and owns sockets.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <weft/weft.h>

#define MAX_SOCKETS 64
#define MAX_WINDOW 4096
#define BATCH 64
#define RX_BUF 1500
#define HIST_US 100000 /* 1 us buckets up to 100 ms, then one overflow */
#define STUN_HDR 20
#define STUN_COOKIE 0x2112A442u

struct cfg {
  weft_addr target;
  double duration_s;
  int sockets;
  int window;
  double rate; /* requests/s in total, 0 = as fast as the windows allow */
  int timeout_ms;
  const char *label;
};

struct slot {
  uint8_t req[STUN_HDR]; /* the request as sent; txid at bytes 8..19 */
  uint64_t sent_ns;
  int busy;
};

struct lsock {
  int fd;
  weft_addr local; /* what XOR-MAPPED-ADDRESS must say */
  struct slot *slots;
  uint32_t *free_idx; /* stack of free slot indices */
  uint32_t nfree;
};

struct stats {
  uint64_t sent, answered, lost, late, bad, deferred, send_err;
  uint32_t *hist; /* HIST_US + 1 buckets */
};

struct gen {
  struct cfg cfg;
  struct lsock socks[MAX_SOCKETS];
  struct stats st;
  weft_pcg pcg;
  uint8_t rx[BATCH][RX_BUF];
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static void usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s --target IP:PORT [--duration-s S] [--sockets N]\n"
          "          [--window W] [--rate R] [--timeout-ms T] [--label L]\n"
          "Target must be 127.0.0.0/8 or ::1.\n",
          argv0);
}

static int parse_target(struct cfg *c, const char *text) {
  if (weft_addr_parse(&c->target, text, 3478) != 0) {
    fprintf(stderr, "bench_stun_load: bad target '%s'\n", text);
    return -1;
  }
  if (!weft_addr_is_loopback(&c->target)) {
    fprintf(stderr,
            "bench_stun_load: refusing target '%s': only 127.0.0.0/8 and "
            "::1 are allowed\n",
            text);
    return -1;
  }
  return 0;
}

static int parse_args(struct cfg *c, int argc, char **argv) {
  static const struct option opts[] = {
      {"target", required_argument, NULL, 't'},
      {"duration-s", required_argument, NULL, 'd'},
      {"sockets", required_argument, NULL, 's'},
      {"window", required_argument, NULL, 'w'},
      {"rate", required_argument, NULL, 'r'},
      {"timeout-ms", required_argument, NULL, 'T'},
      {"label", required_argument, NULL, 'l'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  *c = (struct cfg){.duration_s = 3,
                    .sockets = 8,
                    .window = 64,
                    .timeout_ms = 500,
                    .label = "stun_load"};
  int have_target = 0, o;
  while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (o) {
    case 't':
      if (parse_target(c, optarg) != 0)
        return -1;
      have_target = 1;
      break;
    case 'd':
      c->duration_s = atof(optarg);
      break;
    case 's':
      c->sockets = atoi(optarg);
      break;
    case 'w':
      c->window = atoi(optarg);
      break;
    case 'r':
      c->rate = atof(optarg);
      break;
    case 'T':
      c->timeout_ms = atoi(optarg);
      break;
    case 'l':
      c->label = optarg;
      break;
    default:
      usage(argv[0]);
      return -1;
    }
  }
  if (!have_target || c->duration_s <= 0 || c->duration_s > 3600 ||
      c->sockets < 1 || c->sockets > MAX_SOCKETS || c->window < 1 ||
      c->window > MAX_WINDOW || c->rate < 0 || c->timeout_ms < 1) {
    usage(argv[0]);
    return -1;
  }
  return 0;
}

static void set_bufsize(int fd, int opt_force, int opt, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, opt_force, &bytes, sizeof bytes) != 0)
    (void)setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof bytes);
}

static int open_socket(struct gen *g, struct lsock *s) {
  const weft_addr *t = &g->cfg.target;
  s->fd = socket(weft_addr_family(t), SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (s->fd < 0) {
    perror("bench_stun_load: socket");
    return -1;
  }
  set_bufsize(s->fd, SO_RCVBUFFORCE, SO_RCVBUF, 4 << 20);
  set_bufsize(s->fd, SO_SNDBUFFORCE, SO_SNDBUF, 4 << 20);
  struct sockaddr_storage ss;
  socklen_t sslen = sizeof ss;
  if (connect(s->fd, &t->u.sa, weft_addr_socklen(t)) != 0 ||
      getsockname(s->fd, (struct sockaddr *)&ss, &sslen) != 0 ||
      weft_addr_from_sockaddr(&s->local, (struct sockaddr *)&ss, sslen) != 0) {
    perror("bench_stun_load: connect");
    return -1;
  }
  size_t w = (size_t)g->cfg.window;
  s->slots = calloc(w, sizeof *s->slots);
  s->free_idx = calloc(w, sizeof *s->free_idx);
  if (s->slots == NULL || s->free_idx == NULL)
    return -1;
  for (size_t i = 0; i < w; i++)
    s->free_idx[i] = (uint32_t)(w - 1 - i);
  s->nfree = (uint32_t)w;
  return 0;
}

/* A fresh Binding request in slot @p idx: random txid, slot index last. */
static void fill_request(struct gen *g, struct slot *sl, uint32_t idx) {
  uint8_t *p = sl->req;
  p[0] = 0x00;
  p[1] = 0x01; /* Binding request */
  p[2] = p[3] = 0;
  put32(p + 4, STUN_COOKIE);
  put32(p + 8, weft_pcg_next(&g->pcg));
  put32(p + 12, weft_pcg_next(&g->pcg));
  put32(p + 16, idx);
}

/* Sends up to @p budget new requests on @p s; returns how many left. */
static uint32_t send_batch(struct gen *g, struct lsock *s, uint32_t budget,
                           uint64_t now) {
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  uint32_t idx[BATCH];
  uint32_t n = budget < s->nfree ? budget : s->nfree;
  if (n > BATCH)
    n = BATCH;
  for (uint32_t i = 0; i < n; i++) {
    idx[i] = s->free_idx[s->nfree - 1 - i];
    struct slot *sl = &s->slots[idx[i]];
    fill_request(g, sl, idx[i]);
    iov[i] = (struct iovec){.iov_base = sl->req, .iov_len = STUN_HDR};
    msgs[i] =
        (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
  }
  if (n == 0)
    return 0;
  int r = sendmmsg(s->fd, msgs, n, 0);
  if (r < 0) {
    if (errno != EAGAIN && errno != ENOBUFS && errno != ECONNREFUSED)
      g->st.send_err++;
    return 0;
  }
  for (int i = 0; i < r; i++) {
    s->slots[idx[i]].busy = 1;
    s->slots[idx[i]].sent_ns = now;
  }
  s->nfree -= (uint32_t)r;
  g->st.sent += (uint64_t)r;
  return (uint32_t)r;
}

/* 1 when the XOR-MAPPED-ADDRESS attribute of response @p p (of a valid
 * length) is the socket's own address. */
static int mapped_ok(const struct lsock *s, const uint8_t *p, size_t len) {
  size_t iplen = 0;
  const uint8_t *ip = weft_addr_ip(&s->local, &iplen);
  uint16_t port = weft_addr_port(&s->local);
  for (size_t off = STUN_HDR; off + 4 <= len;) {
    size_t alen = (size_t)(p[off + 2] << 8 | p[off + 3]);
    const uint8_t *v = p + off + 4;
    if (off + 4 + alen > len)
      return 0;
    if (p[off] == 0x00 && p[off + 1] == 0x20) {
      if (alen != 4 + iplen || v[1] != (iplen == 4 ? 0x01 : 0x02) ||
          (uint16_t)((v[2] << 8 | v[3]) ^ (STUN_COOKIE >> 16)) != port)
        return 0;
      for (size_t i = 0; i < iplen; i++)
        if ((uint8_t)(v[4 + i] ^ p[4 + i]) != ip[i])
          return 0;
      return 1;
    }
    off += 4 + ((alen + 3) & ~(size_t)3);
  }
  return 0;
}

static void on_response(struct gen *g, struct lsock *s, const uint8_t *p,
                        size_t len, uint64_t now) {
  if (len < STUN_HDR || p[0] != 0x01 || p[1] != 0x01 ||
      get32(p + 4) != STUN_COOKIE ||
      (size_t)(p[2] << 8 | p[3]) + STUN_HDR != len || !mapped_ok(s, p, len)) {
    g->st.bad++;
    return;
  }
  uint32_t idx = get32(p + 16);
  if (idx >= (uint32_t)g->cfg.window) {
    g->st.bad++;
    return;
  }
  struct slot *sl = &s->slots[idx];
  if (!sl->busy || memcmp(sl->req + 8, p + 8, 12) != 0) {
    g->st.late++; /* already timed out (slot free or reused) */
    return;
  }
  sl->busy = 0;
  s->free_idx[s->nfree++] = idx;
  g->st.answered++;
  uint64_t us = (now - sl->sent_ns) / 1000u;
  g->st.hist[us < HIST_US ? us : HIST_US]++;
}

/* Reads every pending datagram on @p s (bounded); returns how many. */
static uint32_t recv_all(struct gen *g, struct lsock *s) {
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  uint32_t total = 0;
  for (int round = 0; round < 16; round++) {
    for (int i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){.iov_base = g->rx[i], .iov_len = RX_BUF};
      msgs[i] =
          (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
    }
    int r = recvmmsg(s->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (r <= 0)
      break;
    uint64_t now = now_ns();
    for (int i = 0; i < r; i++)
      on_response(g, s, g->rx[i], msgs[i].msg_len, now);
    total += (uint32_t)r;
    if (r < BATCH)
      break;
  }
  return total;
}

/* Frees every slot older than the timeout (all busy ones if @p all). */
static void expire(struct gen *g, uint64_t now, int all) {
  uint64_t limit = (uint64_t)g->cfg.timeout_ms * 1000000u;
  for (int k = 0; k < g->cfg.sockets; k++) {
    struct lsock *s = &g->socks[k];
    for (uint32_t i = 0; i < (uint32_t)g->cfg.window; i++) {
      struct slot *sl = &s->slots[i];
      if (sl->busy && (all || now - sl->sent_ns >= limit)) {
        sl->busy = 0;
        s->free_idx[s->nfree++] = i;
        g->st.lost++;
      }
    }
  }
}

static uint64_t in_flight(const struct gen *g) {
  uint64_t n = 0;
  for (int k = 0; k < g->cfg.sockets; k++)
    n += (uint64_t)g->cfg.window - g->socks[k].nfree;
  return n;
}

/* Waits until a socket is readable or @p timeout_ns passed. */
static void wait_readable(struct gen *g, uint64_t timeout_ns) {
  struct pollfd pfd[MAX_SOCKETS];
  for (int k = 0; k < g->cfg.sockets; k++)
    pfd[k] = (struct pollfd){.fd = g->socks[k].fd, .events = POLLIN};
  struct timespec ts = {.tv_sec = (time_t)(timeout_ns / 1000000000u),
                        .tv_nsec = (long)(timeout_ns % 1000000000u)};
  (void)ppoll(pfd, (nfds_t)g->cfg.sockets, &ts, NULL);
}

/* How many requests the token bucket allows now (max rate: unbounded). */
static uint64_t allowance(struct gen *g, uint64_t start, uint64_t now,
                          uint64_t *credited) {
  if (g->cfg.rate <= 0)
    return UINT64_MAX;
  uint64_t due = (uint64_t)((double)(now - start) * g->cfg.rate / 1e9);
  uint64_t burst = (uint64_t)(g->cfg.rate / 100) + BATCH; /* 10 ms */
  if (due > *credited + burst) { /* could not keep up: defer, no burst */
    g->st.deferred += due - *credited - burst;
    *credited = due - burst;
  }
  return due - *credited;
}

static void run_load(struct gen *g, uint64_t start, uint64_t end) {
  uint64_t credited = 0, last_expire = start;
  int rr = 0;
  for (uint64_t now = start; now < end; now = now_ns()) {
    uint64_t allow = allowance(g, start, now, &credited);
    uint32_t moved = 0;
    for (int i = 0; i < g->cfg.sockets && allow > 0; i++) {
      struct lsock *s = &g->socks[(rr + i) % g->cfg.sockets];
      uint32_t n =
          send_batch(g, s, allow > BATCH ? BATCH : (uint32_t)allow, now);
      allow -= n;
      credited += n;
      moved += n;
    }
    rr = (rr + 1) % g->cfg.sockets;
    for (int k = 0; k < g->cfg.sockets; k++)
      moved += recv_all(g, &g->socks[k]);
    if (now - last_expire > 5000000u) {
      expire(g, now, 0);
      last_expire = now;
    }
    if (moved == 0) /* nothing to do: until a response or the next token */
      wait_readable(g, g->cfg.rate > 0 ? (uint64_t)(1e9 / g->cfg.rate) + 1
                                       : 1000000u);
  }
}

/* After the run: no more sending, collect answers until the timeout. */
static void drain(struct gen *g) {
  uint64_t until = now_ns() + (uint64_t)g->cfg.timeout_ms * 1000000u;
  for (uint64_t now = now_ns(); now < until && in_flight(g) > 0;
       now = now_ns()) {
    uint32_t moved = 0;
    for (int k = 0; k < g->cfg.sockets; k++)
      moved += recv_all(g, &g->socks[k]);
    if (moved == 0)
      wait_readable(g, 1000000u);
  }
  expire(g, now_ns(), 1);
}

static double percentile_us(const struct stats *st, double q) {
  if (st->answered == 0)
    return 0;
  uint64_t rank = (uint64_t)(q * (double)(st->answered - 1)), seen = 0;
  for (uint32_t i = 0; i <= HIST_US; i++) {
    seen += st->hist[i];
    if (seen > rank)
      return i;
  }
  return HIST_US;
}

static void report(const struct gen *g, double elapsed_s) {
  const struct stats *st = &g->st;
  char target[WEFT_ADDR_STRLEN];
  weft_addr_format(&g->cfg.target, target, sizeof target);
  printf("{\"bench\":\"%s\",\"unit\":\"req/s\",\"value\":%.0f,"
         "\"target\":\"%s\",\"duration_s\":%.3f,\"sockets\":%d,"
         "\"window\":%d,\"offered_rate\":%.0f,\"sent\":%" PRIu64
         ",\"answered\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"late\":%" PRIu64
         ",\"bad\":%" PRIu64 ",\"deferred\":%" PRIu64
         ",\"send_errors\":%" PRIu64 ",\"sent_per_s\":%.0f,"
         "\"rtt_p50_us\":%.0f,\"rtt_p99_us\":%.0f}\n",
         g->cfg.label, (double)st->answered / elapsed_s, target, elapsed_s,
         g->cfg.sockets, g->cfg.window, g->cfg.rate, st->sent, st->answered,
         st->lost, st->late, st->bad, st->deferred, st->send_err,
         (double)st->sent / elapsed_s, percentile_us(st, 0.5),
         percentile_us(st, 0.99));
  fflush(stdout);
}

int main(int argc, char **argv) {
  static struct gen g; /* large: rx buffers */
  if (parse_args(&g.cfg, argc, argv) != 0)
    return 2;
  uint64_t seed[2] = {0, 0};
  if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed)
    seed[0] = now_ns();
  weft_pcg_seed(&g.pcg, seed[0], seed[1]);
  g.st.hist = calloc(HIST_US + 1, sizeof *g.st.hist);
  if (g.st.hist == NULL)
    return 1;
  for (int k = 0; k < g.cfg.sockets; k++)
    if (open_socket(&g, &g.socks[k]) != 0)
      return 1;
  uint64_t start = now_ns();
  uint64_t end = start + (uint64_t)(g.cfg.duration_s * 1e9);
  run_load(&g, start, end);
  double elapsed_s = (double)(now_ns() - start) / 1e9;
  drain(&g);
  report(&g, elapsed_s);
  for (int k = 0; k < g.cfg.sockets; k++) {
    close(g.socks[k].fd);
    free(g.socks[k].slots);
    free(g.socks[k].free_idx);
  }
  free(g.st.hist);
  return 0;
}
