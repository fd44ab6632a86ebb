/* Interop: GnuTLS (gnutls-cli, an independent DTLS 1.2 implementation) as
 * the client of a weft_dtls server over UDP on 127.0.0.1: the handshake with
 * client certificate and use_srtp, the exported SRTP keying material (must be
 * identical on both ends), application data both ways. Skipped when
 * gnutls-cli is not installed (Debian package gnutls-bin). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "weft/dtls.h"

#define GNUTLS_CLI "/usr/bin/gnutls-cli"
#define GNUTLS_SERV "/usr/bin/gnutls-serv"

static weft_tstamp mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (weft_tstamp)ts.tv_sec * WEFT_SECONDS + (weft_tstamp)ts.tv_nsec;
}

/* Writes the certificate and key of @p c to two temporary files. */
static void write_pem_files(weft_cert *c, char *cert_path, char *key_path) {
  static char pem[16384];
  int n = weft_cert_to_pem(c, pem, sizeof(pem));
  assert_true(n > 0);
  char *key = strstr(pem, "-----BEGIN PRIVATE KEY");
  assert_non_null(key);
  int cf = mkstemp(cert_path), kf = mkstemp(key_path);
  assert_true(cf >= 0 && kf >= 0);
  assert_int_equal(write(cf, pem, (size_t)(key - pem)), key - pem);
  assert_int_equal(write(kf, key, strlen(key)), (ssize_t)strlen(key));
  close(cf);
  close(kf);
}

typedef struct child {
  pid_t pid;
  int in, out; /* its stdin (we write), its stdout+stderr (we read) */
} child;

static void spawn(child *c, char *const argv[]) {
  int pin[2], pout[2];
  assert_int_equal(pipe(pin), 0);
  assert_int_equal(pipe(pout), 0);
  c->pid = fork();
  assert_true(c->pid >= 0);
  if (c->pid == 0) {
    /* dies with the test, even when an assertion skips reap() */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(pin[0], 0);
    dup2(pout[1], 1);
    dup2(pout[1], 2);
    close(pin[1]);
    close(pout[0]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(pin[0]);
  close(pout[1]);
  c->in = pin[1];
  c->out = pout[0];
  fcntl(c->out, F_SETFL, O_NONBLOCK);
}

static void reap(child *c) {
  close(c->in);
  close(c->out);
  kill(c->pid, SIGTERM);
  int st;
  waitpid(c->pid, &st, 0);
}

/* Parses the hex after "Key material: " in gnutls-cli's output. */
static int parse_keymat(const char *text, uint8_t *out, size_t max) {
  const char *p = strcasestr(text, "key material: ");
  if (p == NULL)
    return -1;
  p += strlen("key material: ");
  size_t n = 0;
  while (n < max && isxdigit((unsigned char)p[0]) &&
         isxdigit((unsigned char)p[1])) {
    unsigned v;
    sscanf(p, "%2x", &v);
    out[n++] = (uint8_t)v;
    p += 2;
  }
  return (int)n;
}

typedef struct run_state {
  int sock;
  struct sockaddr_in peer;
  int have_peer;
  weft_dtls *d;
  int done, failed;
  char got[256];
  size_t gotlen;
} run_state;

static void flush(run_state *r, weft_tstamp now) {
  uint8_t buf[1500];
  int n;
  while ((n = weft_dtls_poll_transmit(r->d, now, buf, sizeof(buf))) > 0)
    if (r->have_peer)
      sendto(r->sock, buf, (size_t)n, 0, (struct sockaddr *)&r->peer,
             sizeof(r->peer));
  weft_dtls_event ev;
  while (weft_dtls_poll_event(r->d, &ev)) {
    if (ev.type == WEFT_DTLS_EVENT_HANDSHAKE_DONE)
      r->done = 1;
    else if (ev.type == WEFT_DTLS_EVENT_FAILED)
      r->failed = ev.reason;
    else if (ev.type == WEFT_DTLS_EVENT_DATA &&
             r->gotlen + ev.len < sizeof(r->got)) {
      memcpy(r->got + r->gotlen, ev.data, ev.len);
      r->gotlen += ev.len;
    }
  }
}

static void gnutls_client_check(run_state *rs, const char *out, int sent_reply);

/* gnutls-cli as the client of a weft server; @p with_cert 0: it sends no
 * certificate, which the server must refuse. */
static void gnutls_client(int with_cert) {
  if (access(GNUTLS_CLI, X_OK) != 0)
    skip();
  weft_cert *sc, *cc;
  assert_int_equal(weft_cert_generate(&sc, NULL, NULL), 0);
  assert_int_equal(weft_cert_generate(&cc, NULL, NULL), 0);
  char cpath[] = "/tmp/weft_gnutls_certXXXXXX";
  char kpath[] = "/tmp/weft_gnutls_keyXXXXXX";
  write_pem_files(cc, cpath, kpath);

  run_state r;
  memset(&r, 0, sizeof(r));
  r.sock = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(r.sock, (struct sockaddr *)&a, sizeof(a)), 0);
  socklen_t alen = sizeof(a);
  getsockname(r.sock, (struct sockaddr *)&a, &alen);

  weft_dtls_settings s;
  weft_dtls_settings_default(&s);
  s.cert = sc;
  s.role = WEFT_DTLS_SERVER;
  s.srtp_profiles[0] = WEFT_SRTP_AES128_CM_SHA1_80;
  s.nsrtp_profiles = 1;
  s.nremote_fingerprints = 1;
  weft_cert_fingerprint(cc, WEFT_FINGERPRINT_SHA256, &s.remote_fingerprints[0]);
  s.log.level = WEFT_LOG_NONE;
  assert_int_equal(weft_dtls_new(&r.d, &s, NULL), 0);

  char port[32], certarg[96], keyarg[96];
  snprintf(port, sizeof(port), "--port=%u", ntohs(a.sin_port));
  snprintf(certarg, sizeof(certarg), "--x509certfile=%s", cpath);
  snprintf(keyarg, sizeof(keyarg), "--x509keyfile=%s", kpath);
  char *argv[] = {GNUTLS_CLI,
                  "--udp",
                  port,
                  "--insecure",
                  "--srtp-profiles=SRTP_AES128_CM_HMAC_SHA1_80",
                  "--keymatexport=EXTRACTOR-dtls_srtp",
                  "--keymatexportsize=60",
                  certarg,
                  keyarg,
                  "127.0.0.1",
                  NULL};
  if (!with_cert) {
    argv[7] = "127.0.0.1";
    argv[8] = NULL;
  }
  child c;
  spawn(&c, argv);

  static char out[65536];
  size_t outlen = 0;
  int sent_line = 0, sent_reply = 0;
  weft_tstamp end = mono_now() + 15 * WEFT_SECONDS;
  while (mono_now() < end) {
    if (r.failed || (sent_reply && strstr(out, "hello from weft")))
      break;
    struct pollfd pf[2] = {{r.sock, POLLIN, 0}, {c.out, POLLIN, 0}};
    poll(pf, 2, 50);
    weft_tstamp now = mono_now();
    if (pf[0].revents & POLLIN) {
      uint8_t buf[2048];
      socklen_t pl = sizeof(r.peer);
      ssize_t n = recvfrom(r.sock, buf, sizeof(buf), 0,
                           (struct sockaddr *)&r.peer, &pl);
      r.have_peer = 1;
      if (n > 0)
        weft_dtls_recv(r.d, now, buf, (size_t)n);
    }
    if (pf[1].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(c.out, out + outlen, sizeof(out) - 1 - outlen);
      if (n > 0)
        outlen += (size_t)n;
      out[outlen] = '\0';
    }
    if (weft_dtls_deadline(r.d) <= now)
      weft_dtls_handle_timeout(r.d, now);
    flush(&r, now);
    if (r.done && !sent_line && strcasestr(out, "key material: ")) {
      const char line[] = "hello from gnutls\n";
      assert_int_equal(write(c.in, line, sizeof(line) - 1),
                       (ssize_t)sizeof(line) - 1);
      sent_line = 1;
    }
    if (!sent_reply && memmem(r.got, r.gotlen, "hello from gnutls", 17)) {
      const char reply[] = "hello from weft\n";
      assert_int_equal(
          weft_dtls_write(r.d, now, (const uint8_t *)reply, sizeof(reply) - 1),
          0);
      flush(&r, now);
      sent_reply = 1;
    }
  }
  reap(&c);
  if (!with_cert) { /* refused: the server asks for a certificate */
    assert_int_equal(r.failed, WEFT_ERR_DTLS_HANDSHAKE);
    assert_false(r.done);
  } else {
    gnutls_client_check(&r, out, sent_reply);
  }
  weft_dtls_del(r.d);
  close(r.sock);
  unlink(cpath);
  unlink(kpath);
  weft_cert_del(sc);
  weft_cert_del(cc);
}

static void test_gnutls_client(void **state) {
  (void)state;
  gnutls_client(1);
}

static void test_gnutls_client_without_cert(void **state) {
  (void)state;
  gnutls_client(0);
}

static void gnutls_client_check(run_state *rs, const char *out,
                                int sent_reply) {
  run_state r = *rs;
  if (getenv("SHOW") || !r.done || !sent_reply ||
      !strstr(out, "hello from weft"))
    fprintf(stderr, "gnutls-cli output:\n%s\n", out);
  assert_int_equal(r.failed, 0);
  assert_true(r.done);
  assert_int_equal(weft_dtls_srtp_profile(r.d), WEFT_SRTP_AES128_CM_SHA1_80);
  uint8_t mine[60], theirs[60];
  assert_int_equal(weft_dtls_export_srtp_keys(r.d, mine, sizeof(mine)), 60);
  assert_int_equal(parse_keymat(out, theirs, sizeof(theirs)), 60);
  assert_memory_equal(mine, theirs, 60);
  assert_true(sent_reply);
  assert_non_null(strstr(out, "hello from weft"));
  weft_dtls_info info;
  weft_dtls_get_info(r.d, &info);
  assert_int_equal(info.extended_master_secret, 1);
}

/* A port that was free a moment ago (for the server we start). */
static uint16_t free_port(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  socklen_t alen = sizeof(a);
  getsockname(fd, (struct sockaddr *)&a, &alen);
  close(fd);
  return ntohs(a.sin_port);
}

/* gnutls-serv (with its HelloVerifyRequest cookie exchange) as the server
 * of a weft_dtls client; it echoes what we send. (It does not print the
 * exported keying material in echo mode; test_gnutls_client compares it.) */
static void test_gnutls_server(void **state) {
  (void)state;
  if (access(GNUTLS_SERV, X_OK) != 0)
    skip();
  weft_cert *sc, *cc;
  assert_int_equal(weft_cert_generate(&sc, NULL, NULL), 0);
  assert_int_equal(weft_cert_generate(&cc, NULL, NULL), 0);
  char cpath[] = "/tmp/weft_gnutls_certXXXXXX";
  char kpath[] = "/tmp/weft_gnutls_keyXXXXXX";
  write_pem_files(sc, cpath, kpath);
  uint16_t port = free_port();

  char portarg[32], certarg[96], keyarg[96];
  snprintf(portarg, sizeof(portarg), "--port=%u", port);
  snprintf(certarg, sizeof(certarg), "--x509certfile=%s", cpath);
  snprintf(keyarg, sizeof(keyarg), "--x509keyfile=%s", kpath);
  char *argv[] = {GNUTLS_SERV,
                  "--udp",
                  "--echo",
                  portarg,
                  "--srtp-profiles=SRTP_AES128_CM_HMAC_SHA1_80",
                  certarg,
                  keyarg,
                  NULL};
  child c;
  spawn(&c, argv);

  run_state r;
  memset(&r, 0, sizeof(r));
  r.sock = socket(AF_INET, SOCK_DGRAM, 0);
  r.peer.sin_family = AF_INET;
  r.peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  r.peer.sin_port = htons(port);
  r.have_peer = 1;
  weft_dtls_settings s;
  weft_dtls_settings_default(&s);
  s.cert = cc;
  s.nremote_fingerprints = 1;
  weft_cert_fingerprint(sc, WEFT_FINGERPRINT_SHA256, &s.remote_fingerprints[0]);
  s.log.level = getenv("SHOW") ? WEFT_LOG_DEBUG : WEFT_LOG_NONE;
  s.initial_rto = 200 * WEFT_MILLISECONDS; /* the server may start late */
  s.max_retransmits = 10;
  assert_int_equal(weft_dtls_new(&r.d, &s, NULL), 0);
  assert_int_equal(weft_dtls_start(r.d, mono_now()), 0);

  static char out[65536];
  size_t outlen = 0;
  int sent = 0;
  weft_tstamp end = mono_now() + 15 * WEFT_SECONDS;
  while (mono_now() < end && !r.failed) {
    if (sent && memmem(r.got, r.gotlen, "ping from weft", 14))
      break;
    struct pollfd pf[2] = {{r.sock, POLLIN, 0}, {c.out, POLLIN, 0}};
    poll(pf, 2, 20);
    weft_tstamp now = mono_now();
    if (pf[0].revents & POLLIN) {
      uint8_t buf[2048];
      ssize_t n = recv(r.sock, buf, sizeof(buf), 0);
      if (n > 0)
        weft_dtls_recv(r.d, now, buf, (size_t)n);
    }
    if (pf[1].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(c.out, out + outlen, sizeof(out) - 1 - outlen);
      if (n > 0)
        outlen += (size_t)n;
      out[outlen] = '\0';
    }
    if (weft_dtls_deadline(r.d) <= now)
      weft_dtls_handle_timeout(r.d, now);
    if (r.done && !sent) {
      const char ping[] = "ping from weft\n";
      assert_int_equal(
          weft_dtls_write(r.d, now, (const uint8_t *)ping, sizeof(ping) - 1),
          0);
      sent = 1;
    }
    flush(&r, now);
  }
  reap(&c);
  if (getenv("SHOW") || !r.done || !sent)
    fprintf(stderr, "gnutls-serv output:\n%s\n", out);
  assert_int_equal(r.failed, 0);
  assert_true(r.done);
  assert_int_equal(weft_dtls_srtp_profile(r.d), WEFT_SRTP_AES128_CM_SHA1_80);
  assert_non_null(memmem(r.got, r.gotlen, "ping from weft", 14));

  weft_dtls_del(r.d);
  close(r.sock);
  unlink(cpath);
  unlink(kpath);
  weft_cert_del(sc);
  weft_cert_del(cc);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gnutls_client),
      cmocka_unit_test(test_gnutls_client_without_cert),
      cmocka_unit_test(test_gnutls_server),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
