/*
 * Load generator for PeerJS-protocol signaling servers (`weft signal`, the
 * npm `peer` server): plain sockets and epoll, WebSocket frames written
 * here (client side only, a zero mask key), one process, one thread.
 *
 *   bench_signal_load --target IP:PORT --mode idle --conns N [--hold-s S]
 *       opens N WebSocket peers (ids i0..), waits for every OPEN, prints
 *       "ready" on stderr, holds them S seconds (default 5), prints JSON.
 *   bench_signal_load --target IP:PORT --mode relay --pairs P --window W
 *                     --duration-s D --size BYTES
 *       P pairs of peers send CANDIDATE messages of BYTES to each other, W in
 *       flight per peer; prints relayed messages per second as JSON.
 *
 * Run without arguments (as bench/run.sh runs every program) it prints a
 * note and exits 0: bench/bench_signal.sh drives it against the servers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct conn {
  int fd;
  int state; /* 0 connecting, 1 upgrading, 2 open, 3 dead */
  int peer;  /* relay: index of the partner */
  size_t len, cap;
  char *buf;
  char id[24];
} conn;

static struct sockaddr_in target;
static int ep;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int conn_start(conn *c, const char *id, size_t cap) {
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    return -1;
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  snprintf(c->id, sizeof(c->id), "%s", id);
  c->cap = cap;
  c->buf = malloc(cap);
  c->len = 0;
  c->state = 0;
  if (connect(c->fd, (struct sockaddr *)&target, sizeof(target)) != 0 &&
      errno != EINPROGRESS)
    return -1;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
  return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void send_upgrade(conn *c) {
  char req[512];
  int n = snprintf(req, sizeof(req),
                   "GET /peerjs?key=peerjs&id=%s&token=t HTTP/1.1\r\n"
                   "Host: 127.0.0.1\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n",
                   c->id);
  if (write(c->fd, req, (size_t)n) != n)
    c->state = 3;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
  c->state = c->state == 3 ? 3 : 1;
}

/* A masked (zero key) text frame of @p len bytes into @p out. */
static size_t frame(char *out, const char *msg, size_t len) {
  size_t h = 0;
  out[h++] = (char)0x81;
  if (len < 126) {
    out[h++] = (char)(0x80 | len);
  } else {
    out[h++] = (char)(0x80 | 126);
    out[h++] = (char)(len >> 8);
    out[h++] = (char)(len & 0xff);
  }
  memset(out + h, 0, 4);
  h += 4;
  memcpy(out + h, msg, len);
  return h + len;
}

/* Consumes complete server frames; returns text messages seen, -1 on
 * close/error. */
static int parse_frames(conn *c) {
  int msgs = 0;
  size_t off = 0;
  if (c->state == 1) {
    char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (end == NULL)
      return 0;
    if (strncmp(c->buf, "HTTP/1.1 101", 12) != 0)
      return -1;
    off = (size_t)(end + 4 - c->buf);
    c->state = 2;
  }
  while (c->len - off >= 2) {
    unsigned char *p = (unsigned char *)c->buf + off;
    size_t hl = 2, pl = p[1] & 0x7f;
    if (pl == 126) {
      if (c->len - off < 4)
        break;
      pl = (size_t)p[2] << 8 | p[3];
      hl = 4;
    } else if (pl == 127) {
      return -1; /* not expected here */
    }
    if (c->len - off < hl + pl)
      break;
    if ((p[0] & 0x0f) == 8)
      return -1;
    if ((p[0] & 0x0f) == 1)
      msgs++;
    off += hl + pl;
  }
  memmove(c->buf, c->buf + off, c->len - off);
  c->len -= off;
  return msgs;
}

static int conn_read(conn *c) {
  int total = 0;
  for (;;) {
    if (c->len == c->cap)
      return -1;
    ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len);
    if (n == 0)
      return -1;
    if (n < 0)
      return errno == EAGAIN ? total : -1;
    c->len += (size_t)n;
    int m = parse_frames(c);
    if (m < 0)
      return -1;
    total += m;
  }
}

static int usage(void) {
  fprintf(stderr, "usage: bench_signal_load --target IP:PORT --mode "
                  "idle|relay [--conns N] [--hold-s S] [--pairs P] "
                  "[--window W] [--duration-s D] [--size B]\n");
  return 2;
}

static int run_idle(int n, double hold) {
  conn *cs = calloc((size_t)n, sizeof(*cs));
  int started = 0, opened = 0, dead = 0, inflight = 0;
  struct epoll_event evs[256];
  double t0 = now_s(), limit = t0 + 120;
  while (opened + dead < n && now_s() < limit) {
    while (started < n && inflight < 256) {
      char id[24];
      snprintf(id, sizeof(id), "i%d", started);
      if (conn_start(&cs[started], id, 512) != 0) {
        perror("connect");
        return 1;
      }
      started++;
      inflight++;
    }
    int k = epoll_wait(ep, evs, 256, 100);
    for (int i = 0; i < k; i++) {
      conn *c = evs[i].data.ptr;
      if (c->state == 0) {
        send_upgrade(c);
        continue;
      }
      int m = conn_read(c);
      if (m < 0 && c->state != 3) {
        c->state = 3;
        dead++;
        inflight--;
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
      } else if (m > 0 && c->state == 2 && c->peer == 0) {
        c->peer = 1; /* OPEN seen */
        opened++;
        inflight--;
      }
    }
  }
  double setup = now_s() - t0;
  fprintf(stderr, "ready %d opened %d failed\n", opened, dead);
  double end = now_s() + hold;
  while (now_s() < end)
    epoll_wait(ep, evs, 256, 200);
  printf("{\"bench\":\"signal_idle_load\",\"conns\":%d,\"opened\":%d,"
         "\"failed\":%d,\"setup_s\":%.2f}\n",
         n, opened, dead, setup);
  return opened == n ? 0 : 1;
}

static void send_msgs(conn *c, conn *cs, const char *pad, int count) {
  char msg[70000], out[70100];
  size_t total = 0;
  char all[8 * 70100];
  for (int i = 0; i < count; i++) {
    int len = snprintf(msg, sizeof(msg),
                       "{\"type\":\"CANDIDATE\",\"dst\":\"%s\",\"payload\":{"
                       "\"candidate\":\"%s\"}}",
                       cs[c->peer].id, pad);
    size_t f = frame(out, msg, (size_t)len);
    if (total + f > sizeof(all)) {
      if (write(c->fd, all, total) < 0)
        c->state = 3;
      total = 0;
    }
    memcpy(all + total, out, f);
    total += f;
  }
  if (total > 0 && write(c->fd, all, total) < 0)
    c->state = 3;
}

static int run_relay(int pairs, int window, double dur, int size) {
  int n = pairs * 2;
  conn *cs = calloc((size_t)n, sizeof(*cs));
  char *pad = malloc((size_t)size + 1);
  memset(pad, 'x', (size_t)size);
  pad[size] = '\0';
  for (int i = 0; i < n; i++) {
    char id[24];
    snprintf(id, sizeof(id), "%c%d", i % 2 ? 'b' : 'a', i / 2);
    if (conn_start(&cs[i], id, 1 << 20) != 0)
      return 1;
    cs[i].peer = i ^ 1;
  }
  struct epoll_event evs[256];
  int opened = 0;
  double t0 = now_s();
  while (opened < n && now_s() < t0 + 10) {
    int k = epoll_wait(ep, evs, 256, 100);
    for (int i = 0; i < k; i++) {
      conn *c = evs[i].data.ptr;
      if (c->state == 0) {
        send_upgrade(c);
      } else if (conn_read(c) > 0 && c->state == 2) {
        opened++;
        c->state = 4; /* open, OPEN seen */
      }
    }
  }
  if (opened < n) {
    fprintf(stderr, "only %d/%d opened\n", opened, n);
    return 1;
  }
  for (int i = 0; i < n; i++)
    send_msgs(&cs[i], cs, pad, window);
  uint64_t got = 0, warm = 0;
  double start = now_s(), mstart = start + 0.5, end = mstart + dur;
  int measuring = 0;
  while (now_s() < end) {
    if (!measuring && now_s() >= mstart) {
      measuring = 1;
      warm = got;
      fprintf(stderr, "measuring\n");
    }
    int k = epoll_wait(ep, evs, 256, 100);
    for (int i = 0; i < k; i++) {
      conn *c = evs[i].data.ptr;
      int m = conn_read(c);
      if (m < 0) {
        fprintf(stderr, "a connection closed: %s\n", c->id);
        return 1;
      }
      got += (uint64_t)m;
      /* each message received lets the partner... the sender of it
       * send one more: keep W in flight per direction */
      if (m > 0)
        send_msgs(&cs[c->peer], cs, pad, m);
    }
  }
  double el = now_s() - mstart;
  printf("{\"bench\":\"signal_relay_load\",\"pairs\":%d,\"window\":%d,"
         "\"size\":%d,\"messages\":%llu,\"seconds\":%.3f,\"msgs_per_s\":%.0f}"
         "\n",
         pairs, window, size, (unsigned long long)(got - warm), el,
         (double)(got - warm) / el);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    printf("{\"bench\":\"signal_load\",\"note\":\"driven by "
           "bench/bench_signal.sh\"}\n");
    return 0;
  }
  const char *tgt = NULL, *mode = "idle";
  int conns = 1000, pairs = 8, window = 16, size = 200;
  double hold = 5, dur = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *o = argv[i], *v = argv[i + 1];
    if (!strcmp(o, "--target"))
      tgt = v;
    else if (!strcmp(o, "--mode"))
      mode = v;
    else if (!strcmp(o, "--conns"))
      conns = atoi(v);
    else if (!strcmp(o, "--hold-s"))
      hold = atof(v);
    else if (!strcmp(o, "--pairs"))
      pairs = atoi(v);
    else if (!strcmp(o, "--window"))
      window = atoi(v);
    else if (!strcmp(o, "--duration-s"))
      dur = atof(v);
    else if (!strcmp(o, "--size"))
      size = atoi(v);
    else
      return usage();
  }
  if (tgt == NULL || size < 0 || size > 60000)
    return usage();
  char ip[64];
  const char *colon = strrchr(tgt, ':');
  if (colon == NULL || (size_t)(colon - tgt) >= sizeof(ip))
    return usage();
  memcpy(ip, tgt, (size_t)(colon - tgt));
  ip[colon - tgt] = '\0';
  target.sin_family = AF_INET;
  target.sin_port = htons((uint16_t)atoi(colon + 1));
  if (inet_pton(AF_INET, ip, &target.sin_addr) != 1)
    return usage();
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (!strcmp(mode, "idle"))
    return run_idle(conns, hold);
  if (!strcmp(mode, "relay"))
    return run_relay(pairs, window, dur, size);
  return usage();
}
