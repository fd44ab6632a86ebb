/* SDP editing: fields, attributes and media sections added, replaced or
 * removed. Lines added here are allocated one by one; a table that lives in
 * the parse block is moved to its own allocation the first time it grows. */
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "sdp/sdp_int.h"

static sdp_section *sec_mut(weft_sdp *sdp, int m) {
  return (sdp_section *)sdp_sec(sdp, m);
}

/* Text an editing function accepts: no control character but tab. */
static int text_ok(const char *p) {
  for (; *p; p++)
    if ((unsigned char)*p < 0x20 && *p != '\t')
      return 0;
  return 1;
}

static int token_ok(const char *p) {
  if (p == NULL || *p == '\0')
    return 0;
  for (; *p; p++)
    if ((unsigned char)*p <= 0x20)
      return 0;
  return 1;
}

/* Makes room for one more entry in a table of `size`-byte entries. */
static int grow(weft_sdp *sdp, void **tab, uint32_t n, uint32_t *cap,
                uint8_t *owned, size_t size) {
  if (*owned && n < *cap)
    return 0;
  uint32_t ncap = n < 4 ? 8 : 2 * n;
  void *t = weft_malloc(&sdp->mem, ncap * size);
  if (t == NULL)
    return WEFT_ERR_NOMEM;
  if (n)
    memcpy(t, *tab, n * size);
  if (*owned)
    weft_free(&sdp->mem, *tab);
  *tab = t;
  *cap = ncap;
  *owned = 1;
  return 0;
}

static char *dup_str(weft_sdp *sdp, const char *v, size_t n) {
  char *d = weft_malloc(&sdp->mem, n + 1);
  if (d) {
    memcpy(d, v, n);
    d[n] = '\0';
  }
  return d;
}

/* ---- fields --------------------------------------------------------------
 */

/* The place of a field type in the RFC 8866 order of its section; -1 when
 * the type may not be there. */
static int rank(char t, int media) {
  static const char session_order[] = "vosiuepcbtrzk";
  static const char media_order[] = "icbk";
  if (t == 'a' || t == 'm' ||
      !((t >= 'a' && t <= 'z') || (t >= 'A' && t <= 'Z')))
    return -1;
  const char *order = media ? media_order : session_order;
  if (media && strchr("vosuep"
                      "trz",
                      t))
    return -1;
  const char *p = strchr(order, t);
  if (p == NULL)
    return (int)strlen(order); /* unknown types after the known ones */
  int r = (int)(p - order);
  if (!media && t == 'r')
    r--; /* r= lines follow their t= line */
  return r;
}

static int insert_field(weft_sdp *sdp, int m, char t, const char *value) {
  sdp_section *s = sec_mut(sdp, m);
  int r = rank(t, m != WEFT_SDP_SESSION);
  if (r < 0)
    return WEFT_ERR_INVALID_ARGUMENT;
  size_t n = strlen(value);
  if (n + 2 > WEFT_SDP_MAX_LINE_LEN)
    return WEFT_ERR_LIMIT;
  if (sdp->nlines >= WEFT_SDP_MAX_LINES)
    return WEFT_ERR_LIMIT;
  if (grow(sdp, (void **)&s->lines, s->nlines, &s->caplines, &s->lines_owned,
           sizeof(sdp_line)) != 0)
    return WEFT_ERR_NOMEM;
  char *v = dup_str(sdp, value, n);
  if (v == NULL)
    return WEFT_ERR_NOMEM;
  uint32_t at = 0;
  for (uint32_t i = 0; i < s->nlines; i++)
    if (rank(s->lines[i].type, m != WEFT_SDP_SESSION) <= r)
      at = i + 1;
  memmove(&s->lines[at + 1], &s->lines[at],
          (s->nlines - at) * sizeof(sdp_line));
  s->lines[at] = (sdp_line){v, (uint32_t)n, t, 1};
  s->nlines++;
  sdp->nlines++;
  return 0;
}

static int check_field_args(weft_sdp *sdp, int m, const char *value) {
  if (sec_mut(sdp, m) == NULL || value == NULL)
    return sdp && value ? WEFT_ERR_NOT_FOUND : WEFT_ERR_INVALID_ARGUMENT;
  return text_ok(value) ? 0 : WEFT_ERR_INVALID_ARGUMENT;
}

int weft_sdp_add_field(weft_sdp *sdp, int m, char type, const char *value) {
  int rv = check_field_args(sdp, m, value);
  return rv ? rv : insert_field(sdp, m, type, value);
}

int weft_sdp_set_field(weft_sdp *sdp, int m, char type, const char *value) {
  int rv = check_field_args(sdp, m, value);
  if (rv)
    return rv;
  if (rank(type, m != WEFT_SDP_SESSION) < 0)
    return WEFT_ERR_INVALID_ARGUMENT;
  sdp_section *s = sec_mut(sdp, m);
  for (uint32_t i = 0; i < s->nlines; i++) {
    sdp_line *l = &s->lines[i];
    if (l->type != type)
      continue;
    size_t n = strlen(value);
    if (n + 2 > WEFT_SDP_MAX_LINE_LEN)
      return WEFT_ERR_LIMIT;
    char *v = dup_str(sdp, value, n);
    if (v == NULL)
      return WEFT_ERR_NOMEM;
    if (l->owned)
      weft_free(&sdp->mem, (void *)l->value);
    *l = (sdp_line){v, (uint32_t)n, type, 1};
    return 0;
  }
  return insert_field(sdp, m, type, value);
}

/* ---- attributes ----------------------------------------------------------
 */

static int check_attr_args(weft_sdp *sdp, int m, const char *name,
                           const char *value) {
  if (sdp == NULL || !token_ok(name) || strchr(name, ':'))
    return WEFT_ERR_INVALID_ARGUMENT;
  if (value && !text_ok(value))
    return WEFT_ERR_INVALID_ARGUMENT;
  if (sec_mut(sdp, m) == NULL)
    return WEFT_ERR_NOT_FOUND;
  size_t n = strlen(name) + (value ? strlen(value) + 1 : 0);
  return n + 2 > WEFT_SDP_MAX_LINE_LEN ? WEFT_ERR_LIMIT : 0;
}

/* A new owned attribute record for name and value. */
static int make_attr(weft_sdp *sdp, sdp_attr *a, const char *name,
                     const char *value) {
  size_t nl = strlen(name), vl = value ? strlen(value) : 0;
  char *p = weft_malloc(&sdp->mem, nl + vl + 2);
  if (p == NULL)
    return WEFT_ERR_NOMEM;
  memcpy(p, name, nl + 1);
  memset(a, 0, sizeof(*a));
  a->pub.name = p;
  a->nlen = (uint32_t)nl;
  a->owned = 1;
  if (value) {
    memcpy(p + nl + 1, value, vl + 1);
    a->pub.value = p + nl + 1;
    a->vlen = (uint32_t)vl;
  }
  return 0;
}

int weft_sdp_add_attr(weft_sdp *sdp, int m, const char *name,
                      const char *value) {
  int rv = check_attr_args(sdp, m, name, value);
  if (rv)
    return rv;
  if (sdp->nlines >= WEFT_SDP_MAX_LINES)
    return WEFT_ERR_LIMIT;
  sdp_section *s = sec_mut(sdp, m);
  if (grow(sdp, (void **)&s->attrs, s->nattrs, &s->capattrs, &s->attrs_owned,
           sizeof(sdp_attr)) != 0)
    return WEFT_ERR_NOMEM;
  if (make_attr(sdp, &s->attrs[s->nattrs], name, value) != 0)
    return WEFT_ERR_NOMEM;
  sdp->nlines++;
  return (int)s->nattrs++;
}

int weft_sdp_set_attr(weft_sdp *sdp, int m, const char *name,
                      const char *value) {
  int rv = check_attr_args(sdp, m, name, value);
  if (rv)
    return rv;
  int i = weft_sdp_attr_find(sdp, m, name, 0, NULL);
  if (i < 0)
    return weft_sdp_add_attr(sdp, m, name, value);
  sdp_attr a;
  if (make_attr(sdp, &a, name, value) != 0)
    return WEFT_ERR_NOMEM;
  sdp_attr *old = &sec_mut(sdp, m)->attrs[i];
  if (old->owned)
    weft_free(&sdp->mem, (void *)old->pub.name);
  *old = a;
  return i;
}

int weft_sdp_remove_attr(weft_sdp *sdp, int m, size_t i) {
  sdp_section *s = sec_mut(sdp, m);
  if (s == NULL || i >= s->nattrs)
    return WEFT_ERR_NOT_FOUND;
  if (s->attrs[i].owned)
    weft_free(&sdp->mem, (void *)s->attrs[i].pub.name);
  memmove(&s->attrs[i], &s->attrs[i + 1],
          (s->nattrs - i - 1) * sizeof(sdp_attr));
  s->nattrs--;
  sdp->nlines--;
  return 0;
}

int weft_sdp_remove_attrs(weft_sdp *sdp, int m, const char *name) {
  sdp_section *s = sec_mut(sdp, m);
  if (s == NULL || name == NULL)
    return 0;
  size_t nlen = strlen(name);
  uint32_t kept = 0;
  for (uint32_t i = 0; i < s->nattrs; i++) {
    sdp_attr *a = &s->attrs[i];
    if (a->nlen == nlen && memcmp(a->pub.name, name, nlen) == 0) {
      if (a->owned)
        weft_free(&sdp->mem, (void *)a->pub.name);
      continue;
    }
    s->attrs[kept++] = *a;
  }
  int removed = (int)(s->nattrs - kept);
  s->nattrs = kept;
  sdp->nlines -= (uint32_t)removed;
  return removed;
}

/* ---- media sections ------------------------------------------------------
 */

/* Gives section s the m= text `line` (owned, split). */
static int set_mline(weft_sdp *sdp, sdp_section *s, const char *line) {
  size_t n = strlen(line);
  if (n + 2 > WEFT_SDP_MAX_LINE_LEN)
    return WEFT_ERR_LIMIT;
  char *buf = weft_malloc(&sdp->mem, 2 * (n + 1));
  if (buf == NULL)
    return WEFT_ERR_NOMEM;
  memcpy(buf, line, n + 1);
  weft_sdp_media_line ml;
  if (sdp_split_mline(buf, n, buf + n + 1, &ml) != 0) {
    weft_free(&sdp->mem, buf);
    return WEFT_ERR_INVALID_ARGUMENT;
  }
  weft_free(&sdp->mem, s->mbuf);
  s->mbuf = buf;
  s->mline = buf;
  s->mline_len = (uint32_t)n;
  s->ml = ml;
  return 0;
}

static int format_mline(char *buf, size_t cap, const char *media, unsigned port,
                        unsigned count, const char *proto, const char *fmts) {
  char pc[16] = "";
  if (count)
    snprintf(pc, sizeof(pc), "/%u", count);
  int n = snprintf(buf, cap, "%s %u%s %s%s%s", media, port, pc, proto,
                   fmts && *fmts ? " " : "", fmts ? fmts : "");
  return n < 0 || (size_t)n >= cap ? WEFT_ERR_LIMIT : 0;
}

int weft_sdp_add_media(weft_sdp *sdp, const char *media, unsigned port,
                       const char *proto, const char *fmts) {
  if (sdp == NULL || !token_ok(media) || !token_ok(proto) || port > 65535 ||
      (fmts && !text_ok(fmts)))
    return WEFT_ERR_INVALID_ARGUMENT;
  if (sdp->nmedia >= WEFT_SDP_MAX_MEDIA || sdp->nlines >= WEFT_SDP_MAX_LINES)
    return WEFT_ERR_LIMIT;
  char line[WEFT_SDP_MAX_LINE_LEN];
  if (format_mline(line, sizeof(line), media, port, 0, proto, fmts) != 0)
    return WEFT_ERR_LIMIT;
  if (grow(sdp, (void **)&sdp->media, sdp->nmedia, &sdp->capmedia,
           &sdp->media_owned, sizeof(sdp_section)) != 0)
    return WEFT_ERR_NOMEM;
  sdp_section *s = &sdp->media[sdp->nmedia];
  memset(s, 0, sizeof(*s));
  int rv = set_mline(sdp, s, line);
  if (rv != 0)
    return rv;
  sdp->nlines++;
  return (int)sdp->nmedia++;
}

int weft_sdp_media_set_port(weft_sdp *sdp, int m, unsigned port) {
  if (m == WEFT_SDP_SESSION || sec_mut(sdp, m) == NULL)
    return WEFT_ERR_NOT_FOUND;
  if (port > 65535)
    return WEFT_ERR_INVALID_ARGUMENT;
  sdp_section *s = sec_mut(sdp, m);
  char line[WEFT_SDP_MAX_LINE_LEN];
  if (format_mline(line, sizeof(line), s->ml.media, port, s->ml.port_count,
                   s->ml.proto, s->ml.fmts) != 0)
    return WEFT_ERR_LIMIT;
  return set_mline(sdp, s, line);
}
