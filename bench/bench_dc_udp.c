/* Data channel throughput over REAL UDP on 127.0.0.1, DTLS carrying SCTP,
 * weft -> weft, two processes (fork), each with its own socket and its own
 * poll() loop (recvmmsg / sendmmsg batches). 64 KiB binary messages, one
 * channel then eight channels (round robin), for WEFT_BENCH_DC_SECONDS (2)
 * or WEFT_BENCH_DC_MIB (1024) MiB, whichever comes first.
 *
 * Layer: weft's data channels (weft/datachannel.h, "layer":"dc"): the DTLS
 * client opens the channels by DCEP (ordered, reliable) and sends binary
 * messages on them round robin.
 *
 * In the same run, the machine's limits: OpenSSL AES-128-GCM encryption of
 * 1200-byte records (EVP, one core) and 1200-byte UDP datagrams per second
 * on loopback between two processes (sendmmsg/recvmmsg). The figure is
 * compared with the smaller of the two ("fraction"). Wall-clock figures: on
 * a shared machine they move with its load (load average in the JSON). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>

#include "weft/dtls.h"
#include "weft/datachannel.h"

#define MSG_BYTES (64 * 1024)
#define BATCH 64
#define DGRAM 1500

static double wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static weft_tstamp now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (weft_tstamp)ts.tv_sec * WEFT_SECONDS + (weft_tstamp)ts.tv_nsec;
}

static int udp_socket(struct sockaddr_in *bound) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  int sz = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
  memset(bound, 0, sizeof(*bound));
  bound->sin_family = AF_INET;
  bound->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(*bound);
  if (bind(fd, (struct sockaddr *)bound, sizeof(*bound)) != 0 ||
      getsockname(fd, (struct sockaddr *)bound, &len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* ---- limits -------------------------------------------------------------- */

static double aes_gcm_bytes_per_s(double secs) {
  unsigned char key[16] = {1}, iv[12] = {2}, tag[16], in[1200], out[1216];
  memset(in, 0x5a, sizeof(in));
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, NULL);
  uint64_t bytes = 0;
  double t0 = wall(), t;
  do {
    for (int i = 0; i < 256; i++) {
      int n = 0, f = 0;
      iv[11] = (unsigned char)i;
      EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv);
      EVP_EncryptUpdate(ctx, NULL, &n, in, 13); /* the record header as AAD */
      EVP_EncryptUpdate(ctx, out, &n, in, (int)sizeof(in));
      EVP_EncryptFinal_ex(ctx, out + n, &f);
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag);
      bytes += sizeof(in);
    }
    t = wall() - t0;
  } while (t < secs);
  EVP_CIPHER_CTX_free(ctx);
  return (double)bytes / t;
}

/* Datagrams/s from one process to another over loopback. */
static double udp_dgrams_per_s(double secs) {
  struct sockaddr_in ra, sa;
  int rfd = udp_socket(&ra), sfd = udp_socket(&sa), p[2];
  if (rfd < 0 || sfd < 0 || pipe(p) != 0)
    return 0;
  pid_t pid = fork();
  if (pid == 0) { /* receiver */
    close(sfd);
    static uint8_t bufs[BATCH][DGRAM];
    struct mmsghdr mm[BATCH];
    struct iovec iov[BATCH];
    uint64_t n = 0;
    double t0 = 0, t1 = 0, end = wall() + secs + 2;
    while (wall() < end) {
      struct pollfd pf = {rfd, POLLIN, 0};
      if (poll(&pf, 1, 200) <= 0) {
        if (n > 0)
          break; /* the sender stopped */
        continue;
      }
      for (int i = 0; i < BATCH; i++) {
        iov[i] = (struct iovec){bufs[i], DGRAM};
        memset(&mm[i], 0, sizeof(mm[i]));
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
      }
      int r = recvmmsg(rfd, mm, BATCH, 0, NULL);
      if (r > 0) {
        if (n == 0)
          t0 = wall();
        n += (uint64_t)r;
        t1 = wall();
      }
    }
    double rate = t1 > t0 ? (double)n / (t1 - t0) : 0;
    if (write(p[1], &rate, sizeof(rate)) != sizeof(rate))
      _exit(1);
    _exit(0);
  }
  close(rfd);
  connect(sfd, (struct sockaddr *)&ra, sizeof(ra));
  static uint8_t d[1200];
  struct mmsghdr mm[BATCH];
  struct iovec iov = {d, sizeof(d)};
  for (int i = 0; i < BATCH; i++) {
    memset(&mm[i], 0, sizeof(mm[i]));
    mm[i].msg_hdr.msg_iov = &iov;
    mm[i].msg_hdr.msg_iovlen = 1;
  }
  double t0 = wall();
  while (wall() - t0 < secs) {
    if (sendmmsg(sfd, mm, BATCH, 0) < 0 && errno == EAGAIN) {
      struct pollfd pf = {sfd, POLLOUT, 0};
      poll(&pf, 1, 10);
    }
  }
  close(sfd);
  double rate = 0;
  if (read(p[0], &rate, sizeof(rate)) != sizeof(rate))
    rate = 0;
  waitpid(pid, NULL, 0);
  close(p[0]);
  close(p[1]);
  return rate;
}

/* ---- one peer: DTLS + data channels on a UDP socket
 * ------------------------------- */

typedef struct peer {
  int fd;
  struct sockaddr_in remote;
  weft_dtls *dtls;
  weft_dc *dc;
  uint16_t ids[8];
  int sender, channels, nopen, up, closed;
  uint64_t bytes, limit;
  weft_tstamp first, last;
  uint16_t next_stream;
  const uint8_t *msg;
  /* outgoing datagrams waiting for sendmmsg */
  uint8_t out[BATCH][DGRAM];
  size_t outlen[BATCH];
  int nout;
} peer;

static void flush_out(peer *p) {
  struct mmsghdr mm[BATCH];
  struct iovec iov[BATCH];
  int off = 0;
  while (off < p->nout) {
    int n = p->nout - off;
    for (int i = 0; i < n; i++) {
      iov[i] = (struct iovec){p->out[off + i], p->outlen[off + i]};
      memset(&mm[i], 0, sizeof(mm[i]));
      mm[i].msg_hdr.msg_iov = &iov[i];
      mm[i].msg_hdr.msg_iovlen = 1;
      mm[i].msg_hdr.msg_name = &p->remote;
      mm[i].msg_hdr.msg_namelen = sizeof(p->remote);
    }
    int r = sendmmsg(p->fd, mm, (unsigned)n, 0);
    if (r < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
        break; /* dropped: SCTP retransmits */
      struct pollfd pf = {p->fd, POLLOUT, 0};
      poll(&pf, 1, 5);
      continue;
    }
    off += r;
  }
  p->nout = 0;
}

static void drain_dtls(peer *p, weft_tstamp now) {
  int n;
  for (;;) {
    if (p->nout == BATCH)
      flush_out(p);
    n = weft_dtls_poll_transmit(p->dtls, now, p->out[p->nout], DGRAM);
    if (n <= 0)
      break;
    p->outlen[p->nout++] = (size_t)n;
  }
}

static void drain_dc(peer *p, weft_tstamp now) {
  uint8_t buf[DGRAM];
  if (p->dc == NULL)
    return;
  for (;;) {
    int n = weft_dc_poll_transmit(p->dc, now, buf, sizeof(buf));
    if (n <= 0)
      break;
    int rc;
    while ((rc = weft_dtls_write(p->dtls, now, buf, (size_t)n)) ==
           WEFT_ERR_QUEUE_FULL)
      drain_dtls(p, now);
    if (rc != 0)
      break;
  }
  drain_dtls(p, now);
}

static void fill(peer *p, weft_tstamp now) {
  if (!p->sender || !p->up || p->closed)
    return;
  while (p->bytes < p->limit) {
    uint16_t id = p->ids[p->next_stream % (uint16_t)p->channels];
    if (weft_dc_send(p->dc, now, id, p->msg, MSG_BYTES, 1) != 0)
      break;
    p->next_stream++;
    p->bytes += MSG_BYTES;
  }
}

static void open_channels(peer *p, weft_tstamp now) {
  weft_dc_channel_init init;
  weft_dc_channel_init_default(&init);
  init.label = "bench";
  for (int i = 0; i < p->channels; i++)
    if (weft_dc_open(p->dc, now, &init, &p->ids[i]) != 0)
      p->closed = 1;
}

static void dc_events(peer *p, weft_tstamp now) {
  weft_dc_event ev;
  while (weft_dc_poll_event(p->dc, &ev)) {
    if (ev.type == WEFT_DC_EVENT_CONNECTED && p->sender) {
      open_channels(p, now);
    } else if (ev.type == WEFT_DC_EVENT_OPEN && p->sender) {
      p->up = ++p->nopen == p->channels;
    } else if (ev.type == WEFT_DC_EVENT_MESSAGE) {
      if (p->bytes == 0)
        p->first = now;
      p->bytes += ev.len;
      p->last = now;
    } else if (ev.type == WEFT_DC_EVENT_DISCONNECTED) {
      p->closed = 1;
    }
  }
}

static int start_dc(peer *p, weft_tstamp now) {
  weft_dc_settings s;
  weft_dc_settings_default(&s);
  s.sctp.log.level = WEFT_LOG_NONE;
  s.log.level = WEFT_LOG_NONE;
  s.sctp.mtu = weft_dtls_max_payload(p->dtls);
  s.role = p->sender ? WEFT_DC_ROLE_CLIENT : WEFT_DC_ROLE_SERVER;
  if (weft_dc_new(&p->dc, &s, NULL, p) != 0)
    return -1;
  return weft_dc_connect(p->dc, now);
}

static int dtls_events(peer *p, weft_tstamp now) {
  weft_dtls_event ev;
  while (weft_dtls_poll_event(p->dtls, &ev)) {
    if (ev.type == WEFT_DTLS_EVENT_HANDSHAKE_DONE) {
      if (start_dc(p, now) != 0)
        return -1;
    } else if (ev.type == WEFT_DTLS_EVENT_DATA && p->dc != NULL) {
      weft_dc_recv(p->dc, now, ev.data, ev.len);
    } else if (ev.type == WEFT_DTLS_EVENT_FAILED ||
               ev.type == WEFT_DTLS_EVENT_CLOSED) {
      p->closed = 1;
    }
  }
  return 0;
}

static void read_socket(peer *p, weft_tstamp now) {
  static uint8_t bufs[BATCH][DGRAM];
  struct mmsghdr mm[BATCH];
  struct iovec iov[BATCH];
  for (int i = 0; i < BATCH; i++) {
    iov[i] = (struct iovec){bufs[i], DGRAM};
    memset(&mm[i], 0, sizeof(mm[i]));
    mm[i].msg_hdr.msg_iov = &iov[i];
    mm[i].msg_hdr.msg_iovlen = 1;
  }
  int r = recvmmsg(p->fd, mm, BATCH, MSG_DONTWAIT, NULL);
  for (int i = 0; i < r; i++) {
    weft_dtls_recv(p->dtls, now, bufs[i], mm[i].msg_len);
    dtls_events(p, now);
  }
}

static weft_tstamp deadline(peer *p) {
  weft_tstamp d = weft_dtls_deadline(p->dtls);
  if (p->dc != NULL && weft_dc_deadline(p->dc) < d)
    d = weft_dc_deadline(p->dc);
  return d;
}

/* Runs until the sender's bytes are acknowledged / the receiver saw them. */
static int run_peer(peer *p, double max_s) {
  double end = wall() + max_s;
  weft_tstamp now = now_ns();
  if (p->sender && weft_dtls_start(p->dtls, now) != 0)
    return -1;
  int shutdown_sent = 0;
  while (wall() < end && !p->closed) {
    now = now_ns();
    weft_tstamp d = deadline(p);
    int ms = d == WEFT_TSTAMP_NONE ? 100
             : d <= now            ? 0
                                   : (int)((d - now) / WEFT_MILLISECONDS) + 1;
    struct pollfd pf = {p->fd, POLLIN, 0};
    if (poll(&pf, 1, ms > 100 ? 100 : ms) > 0)
      read_socket(p, now_ns());
    now = now_ns();
    if (weft_dtls_deadline(p->dtls) <= now)
      weft_dtls_handle_timeout(p->dtls, now);
    if (dtls_events(p, now) != 0)
      return -1;
    if (p->dc != NULL) {
      if (weft_dc_deadline(p->dc) <= now)
        weft_dc_handle_timeout(p->dc, now);
      dc_events(p, now);
      fill(p, now);
      if (p->sender && !shutdown_sent && p->bytes >= p->limit) {
        weft_sctp_stats st;
        weft_sctp_get_stats(weft_dc_sctp(p->dc), &st);
        size_t queued = 0;
        for (int c = 0; c < p->channels; c++)
          queued += weft_dc_buffered_amount(p->dc, p->ids[c]);
        if (st.flight == 0 && queued == 0) {
          weft_dc_shutdown(p->dc, now);
          shutdown_sent = 1;
        }
      }
      drain_dc(p, now);
    }
    drain_dtls(p, now);
    flush_out(p);
  }
  return p->closed ? 0 : -1;
}

typedef struct result {
  double gbit, secs;
  uint64_t bytes;
  int ok;
} result;

static result dc_run(int channels, double secs, uint64_t limit) {
  result res;
  memset(&res, 0, sizeof(res));
  weft_cert *ca = NULL, *cb = NULL;
  weft_fingerprint fa, fb;
  if (weft_cert_generate(&ca, NULL, NULL) ||
      weft_cert_generate(&cb, NULL, NULL) ||
      weft_cert_fingerprint(ca, WEFT_FINGERPRINT_SHA256, &fa) ||
      weft_cert_fingerprint(cb, WEFT_FINGERPRINT_SHA256, &fb))
    return res;
  struct sockaddr_in aa, ab;
  int fda = udp_socket(&aa), fdb = udp_socket(&ab), pp[2];
  if (fda < 0 || fdb < 0 || pipe(pp) != 0)
    return res;
  static uint8_t msg[MSG_BYTES];
  memset(msg, 0x5a, sizeof(msg));
  pid_t pid = fork();
  int child = pid == 0;
  peer *p = calloc(1, sizeof(*p));
  p->fd = child ? fdb : fda;
  p->remote = child ? aa : ab;
  close(child ? fda : fdb);
  p->sender = !child;
  p->channels = channels;
  p->limit = limit;
  p->msg = msg;
  weft_dtls_settings ds;
  weft_dtls_settings_default(&ds);
  ds.log.level = WEFT_LOG_NONE;
  ds.cert = child ? cb : ca;
  ds.role = child ? WEFT_DTLS_SERVER : WEFT_DTLS_CLIENT;
  ds.remote_fingerprints[0] = child ? fa : fb;
  ds.nremote_fingerprints = 1;
  ds.nsrtp_profiles = 0;
  int ok =
      weft_dtls_new(&p->dtls, &ds, NULL) == 0 && run_peer(p, secs + 10) == 0;
  if (child) {
    double s = (double)(p->last - p->first) / 1e9;
    double out[3] = {(double)p->bytes, s, ok};
    if (write(pp[1], out, sizeof(out)) != sizeof(out))
      _exit(1);
    _exit(0);
  }
  double in[3] = {0, 0, 0};
  if (read(pp[0], in, sizeof(in)) != sizeof(in))
    ok = 0;
  waitpid(pid, NULL, 0);
  res.bytes = (uint64_t)in[0];
  res.secs = in[1];
  res.gbit = in[1] > 0 ? in[0] * 8 / in[1] / 1e9 : 0;
  res.ok = ok && in[2] != 0 && res.bytes == limit;
  weft_dc_del(p->dc);
  weft_dtls_del(p->dtls);
  close(p->fd);
  free(p);
  close(pp[0]);
  close(pp[1]);
  weft_cert_del(ca);
  weft_cert_del(cb);
  return res;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  const char *e = getenv("WEFT_BENCH_DC_MIB");
  uint64_t mib = e ? strtoull(e, NULL, 10) : 1024;
  e = getenv("WEFT_BENCH_DC_SECONDS");
  double secs = e ? atof(e) : 2;
  double load = 0;
  FILE *f = fopen("/proc/loadavg", "r");
  if (f != NULL) {
    if (fscanf(f, "%lf", &load) != 1)
      load = 0;
    fclose(f);
  }
  double aes = aes_gcm_bytes_per_s(0.5);
  double udp = udp_dgrams_per_s(0.5);
  double aes_gbit = aes * 8 / 1e9, udp_gbit = udp * 1200 * 8 / 1e9;
  double limit = aes_gbit < udp_gbit ? aes_gbit : udp_gbit;
  printf("{\"bench\":\"limit_aes128gcm\",\"unit\":\"Gbit/s\",\"value\":%.2f,"
         "\"record_bytes\":1200,\"bytes_per_s\":%.0f}\n",
         aes_gbit, aes);
  printf("{\"bench\":\"limit_udp_loopback\",\"unit\":\"Gbit/s\",\"value\":%.2f,"
         "\"datagram_bytes\":1200,\"datagrams_per_s\":%.0f}\n",
         udp_gbit, udp);
  fflush(stdout);
  /* The byte limit: about secs at the limit rate, at most mib. */
  uint64_t bytes = (uint64_t)(limit / 8 * 1e9 * secs * 0.5);
  if (bytes > mib << 20)
    bytes = mib << 20;
  bytes = (bytes / MSG_BYTES + 1) * MSG_BYTES;
  const int chans[2] = {1, 8};
  for (int i = 0; i < 2; i++) {
    result r = dc_run(chans[i], secs, bytes);
    printf("{\"bench\":\"dc_udp.%dch\",\"unit\":\"Gbit/s\",\"value\":%.3f,"
           "\"layer\":\"dc\",\"channels\":%d,\"msg_bytes\":%d,"
           "\"mib\":%.1f,\"seconds\":%.2f,\"limit_gbit\":%.2f,"
           "\"fraction\":%.3f,\"goal_gbit\":2,\"loadavg\":%.2f,\"ok\":%d}\n",
           chans[i], r.gbit, chans[i], MSG_BYTES, (double)r.bytes / (1 << 20),
           r.secs, limit, limit > 0 ? r.gbit / limit : 0, load, r.ok);
    fflush(stdout);
  }
  return 0;
}
