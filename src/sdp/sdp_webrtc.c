/* Typed readers of the SDP lines WebRTC needs: o=, ICE, DTLS, BUNDLE, msid,
 * RTP maps and parameters, header extensions, SSRCs, SCTP. */
#include <string.h>

#include "sdp/sdp_int.h"

/* ---- tokens and numbers --------------------------------------------------
 */

static int is_sp(char c) {
  return c == ' ' || c == '\t';
}

/* The next token of *p (separated by spaces or tabs); advances *p past it.
 * Returns 0 with *t set, WEFT_ERR_NOT_FOUND when nothing is left. */
static int next_tok(const char **p, weft_sdp_str *t) {
  const char *s = *p;
  while (is_sp(*s))
    s++;
  const char *e = s;
  while (*e && !is_sp(*e))
    e++;
  *p = e;
  t->p = s;
  t->len = (size_t)(e - s);
  return t->len ? 0 : WEFT_ERR_NOT_FOUND;
}

static int at_end(const char *p) {
  while (is_sp(*p))
    p++;
  return *p == '\0';
}

/* Decimal digits p[0..n) as a number of at most max. */
static int to_uint(const char *p, size_t n, uint64_t max, uint64_t *out) {
  if (n == 0 || n > 20)
    return WEFT_ERR_SDP_PARSE;
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      return WEFT_ERR_SDP_PARSE;
    unsigned d = (unsigned)(p[i] - '0');
    if (x > (max - d) / 10)
      return WEFT_ERR_SDP_PARSE;
    x = x * 10 + d;
  }
  *out = x;
  return 0;
}

static int str_uint(weft_sdp_str s, uint64_t max, uint64_t *out) {
  return to_uint(s.p, s.len, max, out);
}

static int str_eq(weft_sdp_str s, const char *c) {
  size_t n = strlen(c);
  return s.len == n && memcmp(s.p, c, n) == 0;
}

/* Splits s at the first c: head in *a, rest after c in *b (empty, and 0
 * returned, when c is absent). */
static int split_at(weft_sdp_str s, char c, weft_sdp_str *a, weft_sdp_str *b) {
  const char *x = memchr(s.p, c, s.len);
  *a = s;
  b->p = s.p + s.len;
  b->len = 0;
  if (x == NULL)
    return 0;
  a->len = (size_t)(x - s.p);
  b->p = x + 1;
  b->len = s.len - a->len - 1;
  return 1;
}

/* ---- value parsers -------------------------------------------------------
 */

int weft_sdp_parse_origin(const char *value, weft_sdp_origin *out) {
  if (value == NULL || out == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  weft_sdp_str v;
  const char *p = value;
  if (next_tok(&p, &out->username) || next_tok(&p, &out->sess_id) ||
      next_tok(&p, &v) || next_tok(&p, &out->nettype) ||
      next_tok(&p, &out->addrtype) || next_tok(&p, &out->address) || !at_end(p))
    return WEFT_ERR_SDP_PARSE;
  return str_uint(v, UINT64_MAX, &out->sess_version);
}

int weft_sdp_parse_fingerprint(const char *value, weft_sdp_fingerprint *out) {
  if (value == NULL || out == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  const char *p = value;
  if (next_tok(&p, &out->hash) || next_tok(&p, &out->value) || !at_end(p))
    return WEFT_ERR_SDP_PARSE;
  return 0;
}

int weft_sdp_parse_rtpmap(const char *value, weft_sdp_rtpmap *out) {
  if (value == NULL || out == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  const char *p = value;
  weft_sdp_str pt, enc, rest, clock, chans;
  uint64_t x, c = 0, ch = 0;
  if (next_tok(&p, &pt) || next_tok(&p, &enc) || !at_end(p) ||
      str_uint(pt, 127, &x))
    return WEFT_ERR_SDP_PARSE;
  if (!split_at(enc, '/', &out->encoding, &rest) || out->encoding.len == 0)
    return WEFT_ERR_SDP_PARSE;
  int has_ch = split_at(rest, '/', &clock, &chans);
  if (str_uint(clock, UINT32_MAX, &c) || (has_ch && str_uint(chans, 255, &ch)))
    return WEFT_ERR_SDP_PARSE;
  out->pt = (unsigned)x;
  out->clock_rate = (uint32_t)c;
  out->channels = (unsigned)ch;
  return 0;
}

int weft_sdp_parse_extmap(const char *value, weft_sdp_extmap *out) {
  if (value == NULL || out == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  const char *p = value;
  weft_sdp_str head, id;
  uint64_t x;
  if (next_tok(&p, &head) || next_tok(&p, &out->uri))
    return WEFT_ERR_SDP_PARSE;
  split_at(head, '/', &id, &out->direction);
  if (str_uint(id, 4351, &x) || x == 0)
    return WEFT_ERR_SDP_PARSE;
  out->id = (unsigned)x;
  while (is_sp(*p))
    p++;
  out->attributes.p = p;
  out->attributes.len = strlen(p);
  while (out->attributes.len && is_sp(p[out->attributes.len - 1]))
    out->attributes.len--;
  return 0;
}

int weft_sdp_parse_ssrc(const char *value, weft_sdp_ssrc *out) {
  if (value == NULL || out == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  const char *p = value;
  weft_sdp_str s, rest;
  uint64_t x;
  if (next_tok(&p, &s) || str_uint(s, UINT32_MAX, &x))
    return WEFT_ERR_SDP_PARSE;
  out->ssrc = (uint32_t)x;
  while (is_sp(*p))
    p++;
  rest.p = p;
  rest.len = strlen(p);
  split_at(rest, ':', &out->attribute, &out->value);
  return 0;
}

int weft_sdp_parse_msid(const char *value, weft_sdp_msid *out) {
  if (value == NULL || out == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  const char *p = value;
  if (next_tok(&p, &out->stream))
    return WEFT_ERR_SDP_PARSE;
  out->track.p = p;
  out->track.len = 0;
  if (next_tok(&p, &out->track) == 0 && !at_end(p))
    return WEFT_ERR_SDP_PARSE;
  return 0;
}

int weft_sdp_parse_ssrc_group(const char *value, weft_sdp_str *semantics,
                              uint32_t *ssrcs, size_t max, size_t *n) {
  if (value == NULL || semantics == NULL || n == NULL ||
      (ssrcs == NULL && max > 0))
    return WEFT_ERR_INVALID_ARGUMENT;
  const char *p = value;
  weft_sdp_str t;
  *n = 0;
  if (next_tok(&p, semantics))
    return WEFT_ERR_SDP_PARSE;
  while (next_tok(&p, &t) == 0) {
    uint64_t x;
    if (str_uint(t, UINT32_MAX, &x))
      return WEFT_ERR_SDP_PARSE;
    if (*n == max)
      return WEFT_ERR_LIMIT;
    ssrcs[(*n)++] = (uint32_t)x;
  }
  return 0;
}

/* ---- session and transport -----------------------------------------------
 */

int weft_sdp_origin_get(const weft_sdp *sdp, weft_sdp_origin *out) {
  const char *o = weft_sdp_field(sdp, WEFT_SDP_SESSION, 'o');
  if (o == NULL)
    return WEFT_ERR_NOT_FOUND;
  return weft_sdp_parse_origin(o, out);
}

const char *weft_sdp_ice_ufrag(const weft_sdp *sdp, int m) {
  return weft_sdp_attr_value(sdp, m, "ice-ufrag");
}

const char *weft_sdp_ice_pwd(const weft_sdp *sdp, int m) {
  return weft_sdp_attr_value(sdp, m, "ice-pwd");
}

int weft_sdp_ice_option(const weft_sdp *sdp, int m, const char *option) {
  const char *p = weft_sdp_attr_value(sdp, m, "ice-options");
  weft_sdp_str t;
  if (p == NULL || option == NULL)
    return 0;
  while (next_tok(&p, &t) == 0)
    if (str_eq(t, option))
      return 1;
  return 0;
}

int weft_sdp_ice_lite(const weft_sdp *sdp) {
  return weft_sdp_attr_has(sdp, WEFT_SDP_SESSION, "ice-lite");
}

int weft_sdp_fingerprint_get(const weft_sdp *sdp, int m,
                             weft_sdp_fingerprint *out) {
  const char *v = weft_sdp_attr_value(sdp, m, "fingerprint");
  if (v == NULL)
    return WEFT_ERR_NOT_FOUND;
  return weft_sdp_parse_fingerprint(v, out);
}

static const char *const setup_names[] = {NULL, "actpass", "active", "passive",
                                          "holdconn"};

int weft_sdp_setup(const weft_sdp *sdp, int m) {
  const char *v = weft_sdp_attr_value(sdp, m, "setup");
  if (v == NULL)
    return WEFT_ERR_NOT_FOUND;
  for (int i = 1; i <= WEFT_SDP_SETUP_HOLDCONN; i++)
    if (strcmp(v, setup_names[i]) == 0)
      return i;
  return WEFT_ERR_SDP_PARSE;
}

const char *weft_sdp_setup_name(int setup) {
  if (setup < WEFT_SDP_SETUP_ACTPASS || setup > WEFT_SDP_SETUP_HOLDCONN)
    return NULL;
  return setup_names[setup];
}

/* ---- direction -----------------------------------------------------------
 */

static const char *const dir_names[] = {NULL, "sendrecv", "sendonly",
                                        "recvonly", "inactive"};

static int section_direction(const weft_sdp *sdp, int m) {
  size_t n = weft_sdp_attr_count(sdp, m);
  for (size_t i = 0; i < n; i++) {
    const char *name = weft_sdp_attr_at(sdp, m, i)->name;
    for (int d = WEFT_SDP_SENDRECV; d <= WEFT_SDP_INACTIVE; d++)
      if (strcmp(name, dir_names[d]) == 0)
        return d;
  }
  return 0;
}

int weft_sdp_direction(const weft_sdp *sdp, int m) {
  int d = m != WEFT_SDP_SESSION ? section_direction(sdp, m) : 0;
  if (d == 0)
    d = section_direction(sdp, WEFT_SDP_SESSION);
  return d ? d : WEFT_SDP_SENDRECV;
}

const char *weft_sdp_direction_name(int dir) {
  if (dir < WEFT_SDP_SENDRECV || dir > WEFT_SDP_INACTIVE)
    return NULL;
  return dir_names[dir];
}

int weft_sdp_set_direction(weft_sdp *sdp, int m, int dir) {
  const char *name = weft_sdp_direction_name(dir);
  if (sdp == NULL || name == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (sdp_sec(sdp, m) == NULL)
    return WEFT_ERR_NOT_FOUND;
  for (int d = WEFT_SDP_SENDRECV; d <= WEFT_SDP_INACTIVE; d++)
    weft_sdp_remove_attrs(sdp, m, dir_names[d]);
  int rv = weft_sdp_add_attr(sdp, m, name, NULL);
  return rv < 0 ? rv : 0;
}

/* ---- mid, group, msid ----------------------------------------------------
 */

const char *weft_sdp_mid(const weft_sdp *sdp, int m) {
  const char *v = NULL;
  if (m == WEFT_SDP_SESSION || weft_sdp_attr_find(sdp, m, "mid", 0, &v) < 0)
    return NULL;
  return v;
}

int weft_sdp_find_mid(const weft_sdp *sdp, const char *mid) {
  if (mid == NULL)
    return WEFT_ERR_NOT_FOUND;
  for (size_t i = 0; i < weft_sdp_media_count(sdp); i++) {
    const char *v = weft_sdp_mid(sdp, (int)i);
    if (v && strcmp(v, mid) == 0)
      return (int)i;
  }
  return WEFT_ERR_NOT_FOUND;
}

/* The text after the semantics of the first a=group with these semantics. */
static const char *group_tags(const weft_sdp *sdp, const char *semantics) {
  const char *v;
  int i = -1;
  if (semantics == NULL)
    return NULL;
  while ((i = weft_sdp_attr_find(sdp, WEFT_SDP_SESSION, "group",
                                 (size_t)(i + 1), &v)) >= 0) {
    weft_sdp_str t;
    if (v && next_tok(&v, &t) == 0 && str_eq(t, semantics))
      return v;
  }
  return NULL;
}

int weft_sdp_group_mid(const weft_sdp *sdp, const char *semantics, size_t i,
                       weft_sdp_str *mid) {
  const char *p = group_tags(sdp, semantics);
  weft_sdp_str t;
  if (p == NULL)
    return WEFT_ERR_NOT_FOUND;
  for (size_t k = 0; next_tok(&p, &t) == 0; k++)
    if (k == i) {
      if (mid)
        *mid = t;
      return 0;
    }
  return WEFT_ERR_NOT_FOUND;
}

int weft_sdp_group_has(const weft_sdp *sdp, const char *semantics,
                       const char *mid) {
  const char *p = group_tags(sdp, semantics);
  weft_sdp_str t;
  if (p == NULL || mid == NULL)
    return 0;
  while (next_tok(&p, &t) == 0)
    if (str_eq(t, mid))
      return 1;
  return 0;
}

int weft_sdp_msid_get(const weft_sdp *sdp, int m, weft_sdp_msid *out) {
  const char *v = NULL;
  if (m == WEFT_SDP_SESSION || weft_sdp_attr_find(sdp, m, "msid", 0, &v) < 0)
    return WEFT_ERR_NOT_FOUND;
  return v ? weft_sdp_parse_msid(v, out) : WEFT_ERR_SDP_PARSE;
}

/* ---- RTP -----------------------------------------------------------------
 */

/* The i-th attribute `name` of section m whose value starts with the
 * payload type pt (or "*" when star is set), and the text after it. */
static const char *pt_attr(const weft_sdp *sdp, int m, const char *name,
                           unsigned pt, int star, size_t i) {
  const char *v;
  int k = -1;
  while ((k = weft_sdp_attr_find(sdp, m, name, (size_t)(k + 1), &v)) >= 0) {
    weft_sdp_str t;
    uint64_t x;
    if (v == NULL || next_tok(&v, &t) != 0)
      continue;
    int match =
        (star && str_eq(t, "*")) || (str_uint(t, 127, &x) == 0 && x == pt);
    if (match && i-- == 0) {
      while (is_sp(*v))
        v++;
      return v;
    }
  }
  return NULL;
}

int weft_sdp_rtpmap_get(const weft_sdp *sdp, int m, unsigned pt,
                        weft_sdp_rtpmap *out) {
  if (out == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  const char *v;
  int k = -1;
  while ((k = weft_sdp_attr_find(sdp, m, "rtpmap", (size_t)(k + 1), &v)) >= 0) {
    weft_sdp_str t;
    uint64_t x;
    const char *p = v;
    if (v && next_tok(&p, &t) == 0 && str_uint(t, 127, &x) == 0 && x == pt)
      return weft_sdp_parse_rtpmap(v, out);
  }
  return WEFT_ERR_NOT_FOUND;
}

const char *weft_sdp_fmtp(const weft_sdp *sdp, int m, unsigned pt) {
  return pt_attr(sdp, m, "fmtp", pt, 0, 0);
}

int weft_sdp_fmtp_param(const char *params, const char *key,
                        weft_sdp_str *value) {
  if (params == NULL || key == NULL)
    return WEFT_ERR_NOT_FOUND;
  size_t klen = strlen(key);
  const char *p = params;
  while (*p) {
    while (is_sp(*p) || *p == ';')
      p++;
    const char *e = strchr(p, ';');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n > klen && memcmp(p, key, klen) == 0 && p[klen] == '=') {
      if (value) {
        value->p = p + klen + 1;
        value->len = n - klen - 1;
      }
      return 0;
    }
    p += n;
  }
  return WEFT_ERR_NOT_FOUND;
}

int weft_sdp_rtcp_fb(const weft_sdp *sdp, int m, unsigned pt, size_t i,
                     weft_sdp_str *fb) {
  const char *v = pt_attr(sdp, m, "rtcp-fb", pt, 1, i);
  if (v == NULL)
    return WEFT_ERR_NOT_FOUND;
  if (fb) {
    fb->p = v;
    fb->len = strlen(v);
    while (fb->len && is_sp(v[fb->len - 1]))
      fb->len--;
  }
  return 0;
}

static int extmap_in(const weft_sdp *sdp, int m, const char *uri) {
  const char *v;
  int k = -1;
  while ((k = weft_sdp_attr_find(sdp, m, "extmap", (size_t)(k + 1), &v)) >= 0) {
    weft_sdp_extmap e;
    if (v && weft_sdp_parse_extmap(v, &e) == 0 && str_eq(e.uri, uri))
      return (int)e.id;
  }
  return WEFT_ERR_NOT_FOUND;
}

int weft_sdp_extmap_id(const weft_sdp *sdp, int m, const char *uri) {
  if (uri == NULL)
    return WEFT_ERR_NOT_FOUND;
  int id = m != WEFT_SDP_SESSION ? extmap_in(sdp, m, uri) : WEFT_ERR_NOT_FOUND;
  return id > 0 ? id : extmap_in(sdp, WEFT_SDP_SESSION, uri);
}

/* ---- SCTP, candidates ----------------------------------------------------
 */

static int attr_uint(const weft_sdp *sdp, int m, const char *name, uint64_t max,
                     uint64_t *out) {
  const char *v = NULL;
  if (weft_sdp_attr_find(sdp, m, name, 0, &v) < 0)
    return WEFT_ERR_NOT_FOUND;
  weft_sdp_str t;
  if (v == NULL || next_tok(&v, &t) != 0 || !at_end(v))
    return WEFT_ERR_SDP_PARSE;
  return str_uint(t, max, out);
}

int weft_sdp_sctp_port(const weft_sdp *sdp, int m, uint16_t *port) {
  uint64_t x = 0;
  int rv = attr_uint(sdp, m, "sctp-port", 65535, &x);
  if (rv == 0 && port)
    *port = (uint16_t)x;
  return rv;
}

int weft_sdp_max_message_size(const weft_sdp *sdp, int m, uint64_t *size) {
  uint64_t x = 0;
  int rv = attr_uint(sdp, m, "max-message-size", UINT64_MAX, &x);
  if (rv == 0 && size)
    *size = x;
  return rv;
}

const char *weft_sdp_candidate(const weft_sdp *sdp, int m, size_t i) {
  const char *v = NULL;
  int k = -1;
  while ((k = weft_sdp_attr_find(sdp, m, "candidate", (size_t)(k + 1), &v)) >=
         0)
    if (v && i-- == 0)
      return v;
  return NULL;
}
