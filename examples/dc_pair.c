/* One peer of a data transfer over real UDP: ICE, then DTLS, then SCTP over
 * DTLS, driven by weft's I/O layer (weft_loop). Two processes run it, one as
 * "offer" (ICE controlling, DTLS client, sends) and one as "answer" (ICE
 * controlled, DTLS server, receives). They exchange their ICE credentials,
 * host candidate and certificate fingerprint through files in a directory
 * both can read (the "signalling"). The sender sends MIB MiB of
 * pseudo-random bytes as 64 KiB binary messages (stream 1, PPID 53), then
 * closes the association; each side prints the SHA-256 of what it sent or
 * received and exits 0 on a clean close. With DC_PAIR_WRONG_FINGERPRINT set
 * in its environment, a side signals a wrong fingerprint (tests).
 *
 *   example_dc_pair offer|answer DIR [MIB] [BIND_IP]
 *
 * The three sans-IO objects are driven as ONE object of the loop: its recv
 * hands STUN to the ICE agent and the rest (DTLS, RFC 7983) to DTLS, whose
 * records go to SCTP; its poll_transmit takes ICE's datagrams first, then
 * DTLS records (SCTP packets wrapped by weft_dtls_write) on ICE's selected
 * path; its deadline is the earliest of the three. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "weft/dtls.h"
#include "weft/ice.h"
#include "weft/loop.h"
#include "weft/sctp.h"

#define MSG_BYTES (64 * 1024)

typedef struct peer {
  int offer;
  weft_ice_agent *ice;
  weft_dtls *dtls;
  weft_sctp_assoc *sctp;
  weft_cert *cert;
  weft_fingerprint remote_fp;
  weft_loop *loop;
  int dtls_started, done, failed, shutdown_sent, reported;
  uint64_t total, sent, received;
  weft_pcg gen;
  EVP_MD_CTX *sha;
  uint8_t msg[MSG_BYTES];
} peer;

/* Events of the combined object (what the loop hands to on_event). */
typedef struct pair_event {
  int done; /* 1 closed cleanly, -1 failed */
  const char *why;
} pair_event;

static void fail(peer *p, const char *why) {
  if (!p->failed)
    fprintf(stderr, "dc_pair %s: %s\n", p->offer ? "offer" : "answer", why);
  p->failed = 1;
}

static void fill(peer *p, weft_tstamp now) {
  while (p->offer && p->sctp != NULL && weft_sctp_is_established(p->sctp) &&
         p->sent < p->total) {
    size_t n = p->total - p->sent < MSG_BYTES ? p->total - p->sent : MSG_BYTES;
    if (p->sent % MSG_BYTES == 0 && n == MSG_BYTES)
      for (size_t i = 0; i < n; i += 4) {
        uint32_t v = weft_pcg_next(&p->gen);
        memcpy(p->msg + i, &v, 4);
      }
    int rc = weft_sctp_send(p->sctp, now, 1, 53, p->msg, n, 0, 0, 0);
    if (rc == WEFT_ERR_QUEUE_FULL)
      return;
    if (rc != 0) {
      fail(p, weft_strerror(rc));
      return;
    }
    EVP_DigestUpdate(p->sha, p->msg, n);
    p->sent += n;
  }
  if (p->offer && p->sent == p->total && !p->shutdown_sent && p->sctp != NULL) {
    weft_sctp_stats st;
    weft_sctp_get_stats(p->sctp, &st);
    if (st.flight == 0 && weft_sctp_buffered_amount(p->sctp, 1) == 0) {
      weft_sctp_shutdown(p->sctp, now);
      p->shutdown_sent = 1;
    }
  }
}

static void sctp_events(peer *p, weft_tstamp now) {
  weft_sctp_event ev;
  while (p->sctp != NULL && weft_sctp_poll_event(p->sctp, &ev)) {
    if (ev.type == WEFT_SCTP_EVENT_MESSAGE) {
      if (ev.stream != 1 || ev.ppid != 53)
        fail(p, "unexpected stream or PPID");
      EVP_DigestUpdate(p->sha, ev.data, ev.len);
      p->received += ev.len;
    } else if (ev.type == WEFT_SCTP_EVENT_CLOSED) {
      p->done = 1;
    } else if (ev.type == WEFT_SCTP_EVENT_ABORTED) {
      fail(p, "SCTP association aborted");
    }
  }
  fill(p, now);
}

static void dtls_events(peer *p, weft_tstamp now) {
  weft_dtls_event ev;
  while (weft_dtls_poll_event(p->dtls, &ev)) {
    if (ev.type == WEFT_DTLS_EVENT_HANDSHAKE_DONE) {
      weft_sctp_settings s;
      weft_sctp_settings_default(&s);
      s.mtu = weft_dtls_max_payload(p->dtls);
      if (weft_sctp_assoc_new(&p->sctp, &s, NULL, p) != 0)
        fail(p, "SCTP association");
      else if (p->offer)
        weft_sctp_connect(p->sctp, now);
    } else if (ev.type == WEFT_DTLS_EVENT_DATA && p->sctp != NULL) {
      weft_sctp_recv(p->sctp, now, ev.data, ev.len);
      sctp_events(p, now);
    } else if (ev.type == WEFT_DTLS_EVENT_FAILED) {
      fail(p, weft_strerror(ev.reason));
    }
  }
}

static void ice_events(peer *p, weft_tstamp now) {
  weft_ice_event ev;
  while (weft_ice_agent_poll_event(p->ice, &ev)) {
    if (ev.type == WEFT_ICE_EVENT_CONNECTION_STATE &&
        ev.u.connection.state == WEFT_ICE_STATE_FAILED)
      fail(p, "ICE failed");
    if (ev.type == WEFT_ICE_EVENT_SELECTED_PAIR && !p->dtls_started) {
      p->dtls_started = 1;
      if (p->offer && weft_dtls_start(p->dtls, now) != 0)
        fail(p, "DTLS start");
    }
  }
}

/* ---- the combined object's verbs ----------------------------------------- */

static int o_recv(void *o, weft_tstamp now, const weft_addr *local,
                  const weft_addr *from, const uint8_t *data, size_t len) {
  peer *p = o;
  int rc = weft_ice_agent_recv(p->ice, now, local, from, data, len);
  if (rc == WEFT_ICE_RECV_APP_DATA && len > 0 && data[0] >= 20 &&
      data[0] <= 63) {
    weft_dtls_recv(p->dtls, now, data, len);
    dtls_events(p, now);
  }
  ice_events(p, now);
  return 0;
}

static int o_poll_transmit(void *o, weft_tstamp now, weft_addr *local,
                           weft_addr *to, uint8_t *buf, size_t buflen) {
  peer *p = o;
  int n = weft_ice_agent_poll_transmit(p->ice, now, local, to, buf, buflen);
  if (n != 0 || weft_ice_agent_send_path(p->ice, local, to) != 0)
    return n;
  for (;;) {
    n = weft_dtls_poll_transmit(p->dtls, now, buf, buflen);
    if (n != 0 || p->sctp == NULL)
      break;
    uint8_t pkt[1500];
    int m = weft_sctp_poll_transmit(p->sctp, now, pkt, sizeof(pkt));
    if (m <= 0 || weft_dtls_write(p->dtls, now, pkt, (size_t)m) != 0)
      break;
  }
  if (n > 0)
    weft_ice_agent_note_sent(p->ice, now);
  return n;
}

static int o_poll_event(void *o, void *evp) {
  peer *p = o;
  pair_event *ev = evp;
  if ((p->failed || p->done) && !p->reported) {
    p->reported = 1;
    ev->done = p->failed ? -1 : 1;
    ev->why = p->failed ? "failed" : "closed";
    return 1;
  }
  return 0;
}

static weft_tstamp o_deadline(void *o) {
  peer *p = o;
  weft_tstamp d = weft_ice_agent_deadline(p->ice);
  weft_tstamp e = weft_dtls_deadline(p->dtls);
  d = e < d ? e : d;
  if (p->sctp != NULL && weft_sctp_deadline(p->sctp) < d)
    d = weft_sctp_deadline(p->sctp);
  return d;
}

static int o_handle_timeout(void *o, weft_tstamp now) {
  peer *p = o;
  weft_ice_agent_handle_timeout(p->ice, now);
  ice_events(p, now);
  weft_dtls_handle_timeout(p->dtls, now);
  dtls_events(p, now);
  if (p->sctp != NULL) {
    weft_sctp_handle_timeout(p->sctp, now);
    sctp_events(p, now);
  }
  return 0;
}

static const weft_loop_obj_ops pair_ops = {
    o_recv,     o_poll_transmit,  o_poll_event,
    o_deadline, o_handle_timeout, sizeof(pair_event),
};

static void on_event(weft_loop_obj *o, void *user_data, const void *evp) {
  weft_loop_stop(((peer *)user_data)->loop);
}

static const weft_loop_obj_callbacks pair_cb = {on_event, NULL};

/* ---- signalling through files ---------------------------------------------
 */

static int write_info(const char *dir, peer *p, const weft_ice_candidate *c) {
  char path[512], tmp[520], cand[256], fp[WEFT_FINGERPRINT_STRLEN];
  const char *ufrag, *pwd;
  weft_fingerprint own;
  weft_ice_agent_local_credentials(p->ice, &ufrag, &pwd);
  if (weft_ice_candidate_format(c, cand, sizeof(cand)) < 0 ||
      weft_cert_fingerprint(p->cert, WEFT_FINGERPRINT_SHA256, &own) != 0 ||
      weft_fingerprint_format(&own, fp, sizeof(fp)) < 0)
    return -1;
  if (getenv("DC_PAIR_WRONG_FINGERPRINT") != NULL) /* for the tests */
    fp[strlen(fp) - 1] = fp[strlen(fp) - 1] == '0' ? '1' : '0';
  snprintf(path, sizeof(path), "%s/%s.info", dir,
           p->offer ? "offer" : "answer");
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (f == NULL)
    return -1;
  fprintf(f, "%s\n%s\n%s\n%s\n", ufrag, pwd, cand, fp);
  fclose(f);
  return rename(tmp, path);
}

/* Waits (at most 20 s) for the peer's file, then applies it. */
static int read_info(const char *dir, peer *p, weft_tstamp now) {
  char path[512], line[4][256];
  snprintf(path, sizeof(path), "%s/%s.info", dir,
           p->offer ? "answer" : "offer");
  FILE *f = NULL;
  for (int i = 0; i < 2000 && (f = fopen(path, "r")) == NULL; i++) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (f == NULL)
    return -1;
  for (int i = 0; i < 4; i++) {
    if (fgets(line[i], sizeof(line[i]), f) == NULL) {
      fclose(f);
      return -1;
    }
    line[i][strcspn(line[i], "\r\n")] = 0;
  }
  fclose(f);
  weft_ice_candidate c;
  if (weft_ice_agent_set_remote_credentials(p->ice, line[0], line[1]) != 0 ||
      weft_ice_candidate_parse(&c, line[2], strlen(line[2])) != 0 ||
      weft_ice_agent_add_remote_candidate(p->ice, now, &c) != 0 ||
      weft_fingerprint_parse(&p->remote_fp, line[3], strlen(line[3])) != 0 ||
      weft_dtls_set_remote_fingerprints(p->dtls, &p->remote_fp, 1) != 0)
    return -1;
  weft_ice_agent_end_of_remote_candidates(p->ice, now);
  return 0;
}

/* ---- main ------------------------------------------------------------------
 */

static int setup(peer *p, weft_loop_sock **sock, const char *ip) {
  weft_ice_settings is;
  weft_ice_settings_default(&is);
  is.role = p->offer ? WEFT_ICE_CONTROLLING : WEFT_ICE_CONTROLLED;
  weft_addr bind;
  if (weft_loop_new(&p->loop, NULL, NULL) != 0 ||
      weft_addr_parse(&bind, ip, 0) != 0 ||
      weft_loop_udp_open(p->loop, &bind, 0, sock) != 0 ||
      weft_ice_agent_new(&p->ice, &is, NULL) != 0 ||
      weft_cert_generate(&p->cert, NULL, NULL) != 0)
    return -1;
  weft_dtls_settings ds;
  weft_dtls_settings_default(&ds);
  ds.cert = p->cert;
  ds.role = p->offer ? WEFT_DTLS_CLIENT : WEFT_DTLS_SERVER;
  ds.nsrtp_profiles = 0;
  return weft_dtls_new(&p->dtls, &ds, NULL);
}

int main(int argc, char **argv) {
  if (argc < 3 || (strcmp(argv[1], "offer") && strcmp(argv[1], "answer"))) {
    fprintf(stderr, "usage: %s offer|answer DIR [MIB] [BIND_IP]\n", argv[0]);
    return 2;
  }
  static peer pr;
  peer *p = &pr;
  p->offer = strcmp(argv[1], "offer") == 0;
  p->total = (argc > 3 ? strtoull(argv[3], NULL, 10) : 16) << 20;
  const char *ip = argc > 4 ? argv[4] : "127.0.0.1";
  weft_pcg_seed(&p->gen, 42, 7);
  p->sha = EVP_MD_CTX_new();
  EVP_DigestInit_ex(p->sha, EVP_sha256(), NULL);
  weft_loop_sock *sock = NULL;
  weft_loop_obj *obj = NULL;
  int rc = 1;
  if (setup(p, &sock, ip) != 0) {
    fprintf(stderr, "dc_pair: setup failed\n");
    goto out;
  }
  weft_tstamp now = weft_loop_now(p->loop);
  weft_ice_candidate c;
  if (weft_ice_agent_add_local_host_candidate(p->ice, now,
                                              weft_loop_udp_local(sock)) < 0 ||
      weft_ice_agent_gather(p->ice, now) != 0 ||
      weft_ice_agent_local_candidate(p->ice, 0, &c) != 0 ||
      write_info(argv[2], p, &c) != 0 ||
      read_info(argv[2], p, weft_loop_now(p->loop)) != 0) {
    fprintf(stderr, "dc_pair: signalling failed\n");
    goto out;
  }
  if (weft_loop_obj_new(p->loop, &obj, &pair_ops, p, &pair_cb, p) != 0 ||
      weft_loop_obj_attach(obj, sock) != 0)
    goto out;
  sock = NULL; /* owned by obj */
  weft_loop_obj_kick(obj);
  weft_loop_run(p->loop);
  uint8_t md[32];
  unsigned mdlen = 0;
  EVP_DigestFinal_ex(p->sha, md, &mdlen);
  printf("%s bytes %llu sha256 ", p->offer ? "sent" : "received",
         (unsigned long long)(p->offer ? p->sent : p->received));
  for (unsigned i = 0; i < mdlen; i++)
    printf("%02x", md[i]);
  printf("\n");
  rc = p->done && !p->failed && (p->offer ? p->sent : p->received) == p->total
           ? 0
           : 1;
out:
  weft_loop_obj_del(obj);
  weft_loop_udp_close(sock);
  weft_loop_del(p->loop);
  weft_sctp_assoc_del(p->sctp);
  weft_dtls_del(p->dtls);
  weft_ice_agent_del(p->ice);
  weft_cert_del(p->cert);
  EVP_MD_CTX_free(p->sha);
  return rc;
}
