/*
 * bench_stun_reflect: the cheapest STUN Binding server imaginable, a floor
 * for the server comparison in bench/run.sh (not a server to use).
 *
 *   bench_stun_reflect --listen 127.0.0.1:PORT
 *
 * One UDP socket, one thread: recvmmsg a batch, answer every Binding request
 * (20-byte header checks only, attributes ignored) with a Binding success
 * response carrying XOR-MAPPED-ADDRESS, sendmmsg the batch back. No
 * allocation, no parsing, no event loop. What a real server spends per
 * request above this is its own cost; this much is the kernel's. Runs until
 * SIGINT/SIGTERM. Binds only to 127.0.0.0/8 or ::1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <weft/weft.h>

#define BATCH 64
#define RX_BUF 1500
#define STUN_HDR 20
#define STUN_COOKIE 0x2112A442u
#define RESP_LEN (STUN_HDR + 4 + 20) /* room for an IPv6 XOR-MAPPED */

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static int is_binding_request(const uint8_t *p, size_t len) {
  return len >= STUN_HDR && p[0] == 0x00 && p[1] == 0x01 && p[4] == 0x21 &&
         p[5] == 0x12 && p[6] == 0xA4 && p[7] == 0x42 &&
         (size_t)(p[2] << 8 | p[3]) + STUN_HDR == len;
}

/* Writes the response to request @p req from @p from into @p out. */
static size_t make_response(uint8_t *out, const uint8_t *req,
                            const weft_addr *from) {
  size_t iplen = 0;
  const uint8_t *ip = weft_addr_ip(from, &iplen);
  uint16_t port = weft_addr_port(from) ^ (uint16_t)(STUN_COOKIE >> 16);
  memcpy(out + 4, req + 4, 16); /* cookie + txid */
  out[0] = 0x01;
  out[1] = 0x01;
  out[2] = 0;
  out[3] = (uint8_t)(4 + 4 + iplen);
  uint8_t *a = out + STUN_HDR;
  a[0] = 0x00;
  a[1] = 0x20; /* XOR-MAPPED-ADDRESS */
  a[2] = 0;
  a[3] = (uint8_t)(4 + iplen);
  a[4] = 0;
  a[5] = iplen == 4 ? 0x01 : 0x02;
  a[6] = (uint8_t)(port >> 8);
  a[7] = (uint8_t)port;
  for (size_t i = 0; i < iplen; i++)
    a[8 + i] = ip[i] ^ req[4 + i]; /* cookie, then txid for IPv6 */
  return STUN_HDR + 8 + iplen;
}

static int open_listener(const char *text) {
  weft_addr addr;
  if (weft_addr_parse(&addr, text, 3478) != 0 ||
      !weft_addr_is_loopback(&addr)) {
    fprintf(stderr, "bench_stun_reflect: need a loopback --listen, got %s\n",
            text);
    return -1;
  }
  int fd = socket(weft_addr_family(&addr), SOCK_DGRAM, 0);
  int bytes = 4 << 20;
  if (fd < 0 ||
      (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0 &&
       setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) != 0) ||
      bind(fd, &addr.u.sa, weft_addr_socklen(&addr)) != 0) {
    perror("bench_stun_reflect");
    return -1;
  }
  return fd;
}

static void serve(int fd) {
  static uint8_t rx[BATCH][RX_BUF], tx[BATCH][RESP_LEN];
  struct sockaddr_storage from[BATCH];
  struct mmsghdr in[BATCH], out[BATCH];
  struct iovec iin[BATCH], iout[BATCH];
  while (!stop) {
    for (int i = 0; i < BATCH; i++) {
      iin[i] = (struct iovec){.iov_base = rx[i], .iov_len = RX_BUF};
      in[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &from[i],
                                           .msg_namelen = sizeof from[i],
                                           .msg_iov = &iin[i],
                                           .msg_iovlen = 1}};
    }
    int n = recvmmsg(fd, in, BATCH, MSG_WAITFORONE, NULL);
    if (n <= 0)
      continue; /* EINTR: check stop */
    int m = 0;
    for (int i = 0; i < n; i++) {
      weft_addr peer;
      if (!is_binding_request(rx[i], in[i].msg_len) ||
          weft_addr_from_sockaddr(&peer, (struct sockaddr *)&from[i],
                                  in[i].msg_hdr.msg_namelen) != 0)
        continue;
      iout[m] = (struct iovec){.iov_base = tx[m],
                               .iov_len = make_response(tx[m], rx[i], &peer)};
      out[m] =
          (struct mmsghdr){.msg_hdr = {.msg_name = &from[i],
                                       .msg_namelen = in[i].msg_hdr.msg_namelen,
                                       .msg_iov = &iout[m],
                                       .msg_iovlen = 1}};
      m++;
    }
    for (int done = 0; done < m;) {
      int r = sendmmsg(fd, out + done, (unsigned)(m - done), 0);
      if (r <= 0)
        break; /* full or gone: dropped, as UDP may */
      done += r;
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 3 || strcmp(argv[1], "--listen") != 0) {
    fprintf(stderr, "usage: %s --listen 127.0.0.1:PORT\n", argv[0]);
    return 2;
  }
  int fd = open_listener(argv[2]);
  if (fd < 0)
    return 1;
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  serve(fd);
  close(fd);
  return 0;
}
