/* libFuzzer target for the SDP codec: parse, every accessor on every
 * section, serialize (which must equal the input with its line endings made
 * CRLF), parse the output again (same text), then edit and check the edited
 * text still parses to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "weft/sdp.h"

/* Invariants stay checked whatever NDEBUG says. */
#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c))                                                                  \
      abort();                                                                 \
  } while (0)

static void read_section(const weft_sdp *sdp, int m) {
  weft_sdp_fingerprint fp;
  weft_sdp_msid ms;
  weft_sdp_rtpmap rm;
  weft_sdp_str s;
  uint16_t port;
  uint64_t mms;
  weft_sdp_ice_ufrag(sdp, m);
  weft_sdp_ice_pwd(sdp, m);
  weft_sdp_ice_option(sdp, m, "trickle");
  weft_sdp_fingerprint_get(sdp, m, &fp);
  int setup = weft_sdp_setup(sdp, m);
  CHECK(setup < 0 || weft_sdp_setup_name(setup) != NULL);
  CHECK(weft_sdp_direction_name(weft_sdp_direction(sdp, m)) != NULL);
  const char *mid = weft_sdp_mid(sdp, m);
  if (mid)
    CHECK(weft_sdp_find_mid(sdp, mid) >= 0);
  weft_sdp_msid_get(sdp, m, &ms);
  weft_sdp_sctp_port(sdp, m, &port);
  weft_sdp_max_message_size(sdp, m, &mms);
  weft_sdp_candidate(sdp, m, 0);
  weft_sdp_extmap_id(sdp, m, "urn:ietf:params:rtp-hdrext:sdes:mid");
  for (unsigned pt = 0; pt < 128; pt += 37) {
    if (weft_sdp_rtpmap_get(sdp, m, pt, &rm) == 0)
      CHECK(rm.pt == pt && rm.encoding.len > 0);
    weft_sdp_fmtp_param(weft_sdp_fmtp(sdp, m, pt), "apt", &s);
    weft_sdp_rtcp_fb(sdp, m, pt, 1, &s);
  }
  size_t na = weft_sdp_attr_count(sdp, m);
  for (size_t i = 0; i < na; i++) {
    const weft_sdp_attr *a = weft_sdp_attr_at(sdp, m, i);
    CHECK(a != NULL && a->name[0] != '\0');
    if (i < 64)
      CHECK(weft_sdp_attr_find(sdp, m, a->name, 0, NULL) <= (int)i);
    if (a->value == NULL)
      continue;
    weft_sdp_extmap e;
    weft_sdp_ssrc ss;
    weft_sdp_origin o;
    uint32_t ssrcs[8];
    size_t n;
    weft_sdp_parse_extmap(a->value, &e);
    weft_sdp_parse_ssrc(a->value, &ss);
    weft_sdp_parse_rtpmap(a->value, &rm);
    weft_sdp_parse_msid(a->value, &ms);
    weft_sdp_parse_origin(a->value, &o);
    if (weft_sdp_parse_ssrc_group(a->value, &s, ssrcs, 8, &n) == 0)
      CHECK(n <= 8);
  }
  size_t nf = weft_sdp_field_count(sdp, m);
  for (size_t i = 0; i < nf; i++) {
    char t = 0;
    CHECK(weft_sdp_field_at(sdp, m, i, &t) != NULL && t != 'a' && t != 'm');
  }
  weft_sdp_media_line ml;
  if (weft_sdp_media(sdp, m, &ml) == 0) {
    CHECK(ml.port <= 65535);
    const char *f;
    size_t flen;
    for (size_t i = 0; i < ml.nfmts; i++)
      CHECK(weft_sdp_media_fmt(sdp, m, i, &f, &flen) == 0 && flen > 0);
  }
}

static void read_all(const weft_sdp *sdp) {
  weft_sdp_origin o;
  weft_sdp_str s;
  weft_sdp_origin_get(sdp, &o);
  weft_sdp_ice_lite(sdp);
  weft_sdp_group_mid(sdp, "BUNDLE", 0, &s);
  weft_sdp_group_has(sdp, "BUNDLE", "0");
  read_section(sdp, WEFT_SDP_SESSION);
  for (size_t m = 0; m < weft_sdp_media_count(sdp); m++)
    read_section(sdp, (int)m);
}

static char *serialize(const weft_sdp *sdp, size_t *len) {
  *len = weft_sdp_serialized_len(sdp);
  char *buf = malloc(*len + 1);
  CHECK(buf != NULL);
  CHECK(weft_sdp_serialize(sdp, buf, *len + 1) == (int)*len);
  return buf;
}

/* The input with each line ended by CRLF and trailing empty lines dropped:
 * what serialization must give back. */
static char *normalize(const uint8_t *data, size_t size, size_t *len) {
  char *out = malloc(2 * size + 3);
  CHECK(out != NULL);
  size_t n = 0, keep = 0, pos = 0;
  while (pos < size) {
    const uint8_t *lf = memchr(data + pos, '\n', size - pos);
    size_t l = lf ? (size_t)(lf - (data + pos)) : size - pos;
    size_t next = pos + l + (lf ? 1 : 0);
    if (l > 0 && data[pos + l - 1] == '\r')
      l--;
    memcpy(out + n, data + pos, l);
    n += l;
    memcpy(out + n, "\r\n", 2);
    n += 2;
    if (l > 0)
      keep = n;
    pos = next;
  }
  *len = keep;
  return out;
}

/* Serializes and checks that the text parses to the same text. */
static void check_reparse(const weft_sdp *sdp) {
  size_t len, len2;
  char *text = serialize(sdp, &len);
  weft_sdp *again = NULL;
  if (len > WEFT_SDP_MAX_SIZE) { /* CRLF or edits made it grow too much */
    CHECK(weft_sdp_parse(&again, text, len, NULL, NULL) == WEFT_ERR_LIMIT);
    free(text);
    return;
  }
  CHECK(weft_sdp_parse(&again, text, len, NULL, NULL) == 0);
  char *text2 = serialize(again, &len2);
  CHECK(len == len2 && memcmp(text, text2, len) == 0);
  weft_sdp_del(again);
  free(text2);
  free(text);
}

static void edit(weft_sdp *sdp) {
  int nm = (int)weft_sdp_media_count(sdp);
  weft_sdp_set_field(sdp, WEFT_SDP_SESSION, 'o', "- 1 2 IN IP4 127.0.0.1");
  weft_sdp_add_attr(sdp, WEFT_SDP_SESSION, "ice-lite", NULL);
  weft_sdp_remove_attrs(sdp, WEFT_SDP_SESSION, "group");
  if (nm > 0) {
    weft_sdp_media_set_port(sdp, nm - 1, 0);
    weft_sdp_set_direction(sdp, 0, WEFT_SDP_INACTIVE);
    weft_sdp_add_field(sdp, 0, 'b', "AS:30");
    weft_sdp_set_attr(sdp, 0, "mid", "x");
    weft_sdp_remove_attr(sdp, nm - 1, 0);
  }
  weft_sdp_add_media(sdp, "application", 9, "UDP/DTLS/SCTP",
                     "webrtc-datachannel");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  weft_sdp *sdp = NULL;
  size_t line = 0;
  int rv = weft_sdp_parse(&sdp, (const char *)data, size, NULL, &line);
  if (rv != 0) {
    CHECK(sdp == NULL);
    CHECK(rv == WEFT_ERR_SDP_PARSE || rv == WEFT_ERR_LIMIT);
    return 0;
  }
  read_all(sdp);
  size_t len, nlen;
  char *text = serialize(sdp, &len);
  char *norm = normalize(data, size, &nlen);
  CHECK(len == nlen && memcmp(text, norm, len) == 0);
  free(norm);
  free(text);
  check_reparse(sdp);
  edit(sdp);
  read_all(sdp);
  check_reparse(sdp);
  weft_sdp_del(sdp);
  return 0;
}
