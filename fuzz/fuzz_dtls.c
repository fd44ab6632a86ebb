/* Stateful fuzzing of a DTLS server endpoint: the input is a sequence of
 * datagrams, each a 16-bit big-endian length and that many bytes, fed to one
 * fresh server with timeouts in between. Seed: a real ClientHello. */
#include "weft/dtls.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static weft_cert *cert;

static void drain(weft_dtls *d, weft_tstamp now) {
  uint8_t buf[1500];
  weft_dtls_event ev;
  for (int i = 0; i < 1000; i++)
    if (weft_dtls_poll_transmit(d, now, buf, sizeof(buf)) <= 0)
      break;
  for (int i = 0; i < 100000; i++) {
    if (!weft_dtls_poll_event(d, &ev))
      break;
    if (ev.type == WEFT_DTLS_EVENT_DATA && ev.len > 0)
      buf[0] = ev.data[ev.len - 1]; /* touch the payload */
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (cert == NULL && weft_cert_generate(&cert, NULL, NULL) != 0)
    abort();
  weft_dtls_settings s;
  weft_dtls_settings_default(&s);
  s.cert = cert;
  s.role = WEFT_DTLS_SERVER;
  s.log.level = WEFT_LOG_NONE;
  /* an odd length: no fingerprint yet, later datagrams are held, then
   * replayed when one is set at the end */
  s.nremote_fingerprints = size % 2 ? 0 : 1;
  s.remote_fingerprints[0].alg = WEFT_FINGERPRINT_SHA256;
  s.remote_fingerprints[0].len = 32;
  weft_dtls *d;
  if (weft_dtls_new(&d, &s, NULL) != 0)
    abort();
  weft_tstamp now = WEFT_SECONDS;
  size_t off = 0;
  while (size - off >= 2) {
    size_t len = (size_t)data[off] << 8 | data[off + 1];
    off += 2;
    if (len > size - off)
      len = size - off;
    /* an exact copy, so that ASan sees reads past the datagram */
    uint8_t *dg = malloc(len ? len : 1);
    if (dg == NULL)
      abort();
    memcpy(dg, data + off, len);
    weft_dtls_recv(d, now, dg, len);
    free(dg);
    off += len;
    drain(d, now);
    now += 100 * WEFT_MILLISECONDS;
    if (weft_dtls_deadline(d) <= now) {
      weft_dtls_handle_timeout(d, now);
      drain(d, now);
    }
  }
  if (s.nremote_fingerprints == 0) {
    weft_dtls_set_remote_fingerprints(d, s.remote_fingerprints, 1);
    drain(d, now);
  }
  weft_dtls_del(d);
  return 0;
}
