/*
 * TURN relay benchmark: `weft turn` against coturn's turnserver under the
 * same closed-loop load, both on 127.0.0.1. Prints one JSON line per server
 * for relaying, then one per server for allocations.
 *
 * Relay: A clients (weft's sans-IO TURN client on UDP sockets) each bind a
 * channel to one peer socket; clients send ChannelData of PAYLOAD bytes,
 * the peer echoes every datagram back to the relayed address it came from,
 * with at most WINDOW datagrams in flight per client. Every echoed message
 * is relayed twice (client->peer, peer->client). Server CPU comes from
 * /proc/PID/task/N/schedstat (ns, all threads), so the figure is the
 * server's CPU time per relayed datagram.
 *
 * Allocations: K clients allocate at once (pipelined); allocations per
 * second of wall time, server CPU per allocation, and server memory per
 * allocation (VmRSS growth / K).
 *
 * Usage: bench_turn_relay [weft-binary]   (default: $WEFT_BIN, else
 * ../tools/weft/weft next to this program). Environment:
 * WEFT_BENCH_TURN_MSGS (20000 per client), WEFT_BENCH_TURN_CLIENTS (4),
 * WEFT_BENCH_TURN_PAYLOAD (1000), WEFT_BENCH_TURN_WINDOW (32),
 * WEFT_BENCH_TURN_ALLOCS (500), WEFT_BENCH_TURN_SERVERS ("weft coturn").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "weft/turn.h"

#define MAXC 2048

static weft_tstamp now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (weft_tstamp)ts.tv_sec * WEFT_SECONDS + (weft_tstamp)ts.tv_nsec;
}

static unsigned long env_num(const char *name, unsigned long def) {
  const char *v = getenv(name);
  return v != NULL && *v ? strtoul(v, NULL, 10) : def;
}

/* Server CPU in ns: the sum over its threads. */
static uint64_t server_cpu_ns(pid_t pid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
  DIR *d = opendir(path);
  uint64_t sum = 0;
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char p[600];
    snprintf(p, sizeof(p), "%s/%s/schedstat", path, e->d_name);
    FILE *f = fopen(p, "r");
    unsigned long long ns = 0;
    if (f != NULL && fscanf(f, "%llu", &ns) == 1)
      sum += ns;
    if (f != NULL)
      fclose(f);
  }
  if (d != NULL)
    closedir(d);
  return sum;
}

static long server_rss_kb(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  long kb = -1;
  while (f != NULL && fgets(line, sizeof(line), f) != NULL)
    if (sscanf(line, "VmRSS: %ld", &kb) == 1)
      break;
  if (f != NULL)
    fclose(f);
  return kb;
}

static int udp_socket(const char *addr, weft_addr *bound) {
  weft_addr a;
  weft_addr_parse(&a, addr, 0);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int big = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
  if (fd < 0 || bind(fd, &a.u.sa, weft_addr_socklen(&a)) < 0)
    return -1;
  struct sockaddr_storage ss;
  socklen_t sl = sizeof(ss);
  getsockname(fd, (struct sockaddr *)&ss, &sl);
  weft_addr_from_sockaddr(bound, (struct sockaddr *)&ss, sl);
  return fd;
}

static pid_t start_server(const char *kind, const char *weft, int port,
                          int minp) {
  char p[16], mn[32], mx[32], lp[64], pf[64];
  snprintf(p, sizeof(p), "%d", port);
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  int null = open("/dev/null", O_WRONLY);
  dup2(null, 1);
  dup2(null, 2);
  if (strcmp(kind, "weft") == 0) {
    char listen[64];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    snprintf(mn, sizeof(mn), "%d", minp);
    snprintf(mx, sizeof(mx), "%d", minp + 9999);
    execl(weft, weft, "turn", "--listen", listen, "--user", "u:p", "--realm",
          "r", "--allow-loopback-peers", "--no-tcp", "--min-port", mn,
          "--max-port", mx, (char *)NULL);
  } else {
    snprintf(lp, sizeof(lp), "--listening-port=%d", port);
    snprintf(mn, sizeof(mn), "--min-port=%d", minp);
    snprintf(mx, sizeof(mx), "--max-port=%d", minp + 9999);
    snprintf(pf, sizeof(pf), "--pidfile=/tmp/weft-bench-turn-%d.pid", port);
    execlp("turnserver", "turnserver", "-n", "--listening-ip=127.0.0.1",
           "--relay-ip=127.0.0.1", lp, mn, mx, "--lt-cred-mech", "--user=u:p",
           "--realm=r", "--no-tls", "--no-dtls", "--no-cli", "--no-tcp",
           "--allow-loopback-peers", "--log-file=/dev/null", pf,
           "--userdb=/dev/null", "--no-stdout-log", (char *)NULL);
  }
  _exit(127);
}

typedef struct cl {
  weft_turn_client *c;
  int fd;
  weft_addr relayed;
  int allocated, bound, failed;
  uint64_t sent, recvd;
} cl;

static void flush_client(cl *k) {
  uint8_t buf[WEFT_TURN_MAX_FRAME];
  weft_addr to;
  int n;
  while ((n = weft_turn_client_poll_transmit(k->c, &to, buf, sizeof(buf))) > 0)
    sendto(k->fd, buf, (size_t)n, 0, &to.u.sa, weft_addr_socklen(&to));
}

/* Reads the client socket; counts relayed payloads. */
static void read_client(cl *k) {
  uint8_t buf[4096];
  for (;;) {
    ssize_t n = recv(k->fd, buf, sizeof(buf), 0);
    if (n <= 0)
      return;
    weft_addr peer;
    const uint8_t *pl;
    size_t plen;
    if (weft_turn_client_recv(k->c, now_ns(), buf, (size_t)n, &peer, &pl,
                              &plen) == 1)
      k->recvd++;
  }
}

static void events(cl *k) {
  weft_turn_client_event ev;
  while (weft_turn_client_poll_event(k->c, &ev)) {
    if (ev.type == WEFT_TURN_CLIENT_EV_ALLOCATED) {
      k->allocated = 1;
      k->relayed = ev.relayed[0];
    } else if (ev.type == WEFT_TURN_CLIENT_EV_CHANNEL_BOUND) {
      k->bound = 1;
    } else if (ev.type == WEFT_TURN_CLIENT_EV_ALLOCATE_FAILED ||
               ev.type == WEFT_TURN_CLIENT_EV_CHANNEL_FAILED) {
      k->failed = 1;
    }
  }
}

static int new_clients(cl *ks, int n, int port) {
  weft_turn_client_settings cs;
  weft_turn_client_settings_default(&cs);
  weft_addr_parse(&cs.server, "127.0.0.1", (uint16_t)port);
  cs.username = "u";
  cs.password = "p";
  for (int i = 0; i < n; i++) {
    memset(&ks[i], 0, sizeof(ks[i]));
    weft_addr b;
    ks[i].fd = udp_socket("127.0.0.1:0", &b);
    if (ks[i].fd < 0 || weft_turn_client_new(&ks[i].c, &cs, NULL) != 0)
      return -1;
  }
  return 0;
}

static void free_clients(cl *ks, int n) {
  for (int i = 0; i < n; i++) {
    weft_turn_client_del(ks[i].c);
    close(ks[i].fd);
  }
}

/* Drives all clients until @p done(ks) or the timeout. */
static int drive(cl *ks, int n, int (*done)(cl *, int), weft_tstamp until) {
  while (now_ns() < until) {
    for (int i = 0; i < n; i++) {
      read_client(&ks[i]);
      weft_turn_client_handle_timeout(ks[i].c, now_ns());
      events(&ks[i]);
      flush_client(&ks[i]);
    }
    if (done(ks, n))
      return 0;
    usleep(200);
  }
  return -1;
}

static int all_allocated(cl *ks, int n) {
  for (int i = 0; i < n; i++)
    if (!ks[i].allocated || ks[i].failed)
      return 0;
  return 1;
}

static int all_bound(cl *ks, int n) {
  for (int i = 0; i < n; i++)
    if (!ks[i].bound || ks[i].failed)
      return 0;
  return 1;
}

/* The peer echoes every datagram to where it came from. */
static void peer_echo(int fd) {
  struct mmsghdr m[64];
  struct iovec iov[64];
  static uint8_t bufs[64][2048];
  struct sockaddr_storage from[64];
  for (int round = 0; round < 8; round++) {
    for (int i = 0; i < 64; i++) {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = sizeof(bufs[i]);
      memset(&m[i].msg_hdr, 0, sizeof(m[i].msg_hdr));
      m[i].msg_hdr.msg_iov = &iov[i];
      m[i].msg_hdr.msg_iovlen = 1;
      m[i].msg_hdr.msg_name = &from[i];
      m[i].msg_hdr.msg_namelen = sizeof(from[i]);
    }
    int n = recvmmsg(fd, m, 64, MSG_DONTWAIT, NULL);
    if (n <= 0)
      return;
    for (int i = 0; i < n; i++)
      iov[i].iov_len = m[i].msg_len;
    sendmmsg(fd, m, (unsigned)n, 0);
  }
}

static void relay_load(cl *ks, int nc, int peer, const weft_addr *peer_addr,
                       uint64_t msgs, size_t payload, uint64_t window) {
  uint8_t data[2048];
  memset(data, 'x', sizeof(data));
  weft_tstamp last_progress = now_ns();
  uint64_t total_recv = 0;
  for (;;) {
    int active = 0;
    for (int i = 0; i < nc; i++) {
      cl *k = &ks[i];
      while (k->sent < msgs && k->sent - k->recvd < window &&
             weft_turn_client_send(k->c, now_ns(), peer_addr, data, payload) ==
                 0)
        k->sent++;
      flush_client(k);
      active |= k->recvd < msgs;
    }
    peer_echo(peer);
    uint64_t r = 0;
    for (int i = 0; i < nc; i++) {
      read_client(&ks[i]);
      r += ks[i].recvd;
    }
    if (r != total_recv) {
      total_recv = r;
      last_progress = now_ns();
    } else if (now_ns() - last_progress > 200 * WEFT_MILLISECONDS) {
      /* losses: refill the window */
      for (int i = 0; i < nc; i++)
        ks[i].recvd = ks[i].sent;
      last_progress = now_ns();
    }
    if (!active)
      return;
  }
}

static int ready(const char *kind, int port, weft_tstamp until) {
  cl k;
  while (now_ns() < until) {
    if (new_clients(&k, 1, port) != 0)
      return -1;
    weft_turn_client_allocate(k.c, now_ns());
    int ok = drive(&k, 1, all_allocated, now_ns() + 300 * WEFT_MILLISECONDS);
    weft_turn_client_close(k.c, now_ns());
    flush_client(&k);
    free_clients(&k, 1);
    if (ok == 0)
      return 0;
  }
  fprintf(stderr, "bench_turn_relay: %s did not start\n", kind);
  return -1;
}

static void bench_relay(const char *kind, pid_t pid, int port) {
  int nc = (int)env_num("WEFT_BENCH_TURN_CLIENTS", 4);
  uint64_t msgs = env_num("WEFT_BENCH_TURN_MSGS", 20000);
  size_t payload = env_num("WEFT_BENCH_TURN_PAYLOAD", 1000);
  uint64_t window = env_num("WEFT_BENCH_TURN_WINDOW", 32);
  if (nc < 1 || nc > 64 || payload > WEFT_TURN_MAX_PAYLOAD)
    return;
  cl ks[64];
  weft_addr peer_addr;
  int peer = udp_socket("127.0.0.1:0", &peer_addr);
  if (peer < 0 || new_clients(ks, nc, port) != 0)
    return;
  for (int i = 0; i < nc; i++)
    weft_turn_client_allocate(ks[i].c, now_ns());
  int ok = drive(ks, nc, all_allocated, now_ns() + 10 * WEFT_SECONDS);
  for (int i = 0; ok == 0 && i < nc; i++)
    weft_turn_client_bind_channel(ks[i].c, now_ns(), &peer_addr);
  if (ok == 0)
    ok = drive(ks, nc, all_bound, now_ns() + 10 * WEFT_SECONDS);
  if (ok != 0) {
    fprintf(stderr, "bench_turn_relay: %s: setup failed\n", kind);
    free_clients(ks, nc);
    close(peer);
    return;
  }
  for (int i = 0; i < nc; i++)
    ks[i].sent = ks[i].recvd = 0;
  uint64_t cpu0 = server_cpu_ns(pid);
  weft_tstamp t0 = now_ns();
  relay_load(ks, nc, peer, &peer_addr, msgs, payload, window);
  weft_tstamp t1 = now_ns();
  uint64_t cpu1 = server_cpu_ns(pid);
  weft_turn_client_stats st;
  uint64_t got = 0;
  for (int i = 0; i < nc; i++) {
    weft_turn_client_get_stats(ks[i].c, &st);
    got += st.rx_channel_data;
  }
  uint64_t relayed = 2 * got; /* each echo crossed the server twice */
  double wall = (double)(t1 - t0) / 1e9;
  printf("{\"bench\":\"turn_relay\",\"server\":\"%s\",\"clients\":%d,"
         "\"payload\":%zu,\"window\":%llu,\"messages\":%llu,"
         "\"echoed\":%llu,\"relayed_datagrams\":%llu,"
         "\"server_cpu_us_per_datagram\":%.3f,\"datagrams_per_s\":%.0f,"
         "\"wall_s\":%.3f}\n",
         kind, nc, payload, (unsigned long long)window,
         (unsigned long long)(msgs * (uint64_t)nc), (unsigned long long)got,
         (unsigned long long)relayed,
         relayed ? (double)(cpu1 - cpu0) / 1e3 / (double)relayed : 0.0,
         (double)relayed / wall, wall);
  fflush(stdout);
  free_clients(ks, nc);
  close(peer);
}

static void bench_allocs(const char *kind, pid_t pid, int port) {
  int n = (int)env_num("WEFT_BENCH_TURN_ALLOCS", 500);
  if (n < 1 || n > MAXC)
    return;
  cl *ks = calloc((size_t)n, sizeof(*ks));
  if (ks == NULL || new_clients(ks, n, port) != 0) {
    free(ks);
    return;
  }
  long rss0 = server_rss_kb(pid);
  uint64_t cpu0 = server_cpu_ns(pid);
  weft_tstamp t0 = now_ns();
  for (int i = 0; i < n; i++)
    weft_turn_client_allocate(ks[i].c, now_ns());
  int ok = drive(ks, n, all_allocated, now_ns() + 30 * WEFT_SECONDS);
  weft_tstamp t1 = now_ns();
  uint64_t cpu1 = server_cpu_ns(pid);
  long rss1 = server_rss_kb(pid);
  int done = 0;
  for (int i = 0; i < n; i++)
    done += ks[i].allocated;
  printf("{\"bench\":\"turn_allocations\",\"server\":\"%s\",\"allocations\":"
         "%d,\"completed\":%d,\"allocations_per_s\":%.0f,"
         "\"server_cpu_us_per_allocation\":%.1f,"
         "\"server_rss_kb_per_allocation\":%.2f,\"ok\":%s}\n",
         kind, n, done, (double)done / ((double)(t1 - t0) / 1e9),
         done ? (double)(cpu1 - cpu0) / 1e3 / done : 0.0,
         done ? (double)(rss1 - rss0) / done : 0.0, ok == 0 ? "true" : "false");
  fflush(stdout);
  for (int i = 0; i < n; i++) {
    weft_turn_client_close(ks[i].c, now_ns());
    flush_client(&ks[i]);
  }
  free_clients(ks, n);
  free(ks);
}

static void stop_server(pid_t pid) {
  kill(pid, SIGTERM);
  for (int i = 0; i < 50; i++) {
    if (waitpid(pid, NULL, WNOHANG) == pid)
      return;
    usleep(100000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

static const char *find_weft(int argc, char **argv, char *buf, size_t len) {
  if (argc > 1)
    return argv[1];
  const char *env = getenv("WEFT_BIN");
  if (env != NULL && *env)
    return env;
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0)
    return "weft";
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (slash != NULL)
    *slash = '\0';
  snprintf(buf, len, "%s/../tools/weft/weft", self);
  return buf;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  char buf[PATH_MAX + 32];
  const char *weft = find_weft(argc, argv, buf, sizeof(buf));
  const char *servers = getenv("WEFT_BENCH_TURN_SERVERS");
  if (servers == NULL || !*servers)
    servers = "weft coturn";
  srand((unsigned)getpid());
  const char *kinds[2] = {"weft", "coturn"};
  for (int i = 0; i < 2; i++) {
    if (strstr(servers, kinds[i]) == NULL)
      continue;
    int port = 20000 + rand() % 20000;
    pid_t pid = start_server(kinds[i], weft, port, 45000 + 10000 * 0);
    if (pid < 0 || ready(kinds[i], port, now_ns() + 5 * WEFT_SECONDS) != 0) {
      if (pid > 0)
        stop_server(pid);
      continue;
    }
    bench_relay(kinds[i], pid, port);
    bench_allocs(kinds[i], pid, port);
    stop_server(pid);
  }
  return 0;
}
