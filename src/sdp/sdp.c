/* SDP (RFC 8866): parse into one allocation, serialize, free, and the
 * generic accessors. */
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "sdp/sdp_int.h"

/* ---- lines ---------------------------------------------------------------
 */

/* Reads the next line from r without its LF or CRLF. Returns 1 with the line
 * in *p, *n; 0 at the end of the text. */
static int next_line(weft_rd *r, const char **p, size_t *n) {
  size_t left = weft_rd_left(r);
  if (left == 0)
    return 0;
  const uint8_t *start = r->p + r->pos;
  const uint8_t *lf = memchr(start, '\n', left);
  size_t len = lf ? (size_t)(lf - start) : left;
  const uint8_t *v;
  weft_rd_view(r, lf ? len + 1 : len, &v);
  if (len > 0 && v[len - 1] == '\r')
    len--;
  *p = (const char *)v;
  *n = len;
  return 1;
}

/* 1 when what is left of r holds only line endings (trailing empty lines). */
static int only_eols(const weft_rd *r) {
  for (size_t i = r->pos; i < r->len; i++)
    if (r->p[i] != '\r' && r->p[i] != '\n')
      return 0;
  return 1;
}

static int is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Printable text: no NUL, CR, LF or other control character but tab. */
static int text_ok(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c < 0x20 && c != '\t')
      return 0;
  }
  return 1;
}

/* ---- m= lines ------------------------------------------------------------
 */

static size_t skip_sp(const char *v, size_t n, size_t i) {
  while (i < n && v[i] == ' ')
    i++;
  return i;
}

static size_t token_end(const char *v, size_t n, size_t i) {
  while (i < n && v[i] != ' ')
    i++;
  return i;
}

/* Parses digits v[i..end) as an unsigned of at most 65535. */
static int parse_u16(const char *v, size_t i, size_t end, unsigned *out) {
  if (i == end || end - i > 5)
    return WEFT_ERR_SDP_PARSE;
  unsigned x = 0;
  for (; i < end; i++) {
    if (v[i] < '0' || v[i] > '9')
      return WEFT_ERR_SDP_PARSE;
    x = x * 10 + (unsigned)(v[i] - '0');
  }
  if (x > 65535)
    return WEFT_ERR_SDP_PARSE;
  *out = x;
  return 0;
}

static int parse_port(const char *v, size_t i, size_t end,
                      weft_sdp_media_line *ml) {
  const char *slash = memchr(v + i, '/', end - i);
  size_t pend = slash ? (size_t)(slash - v) : end;
  ml->port_count = 0;
  if (parse_u16(v, i, pend, &ml->port) != 0)
    return WEFT_ERR_SDP_PARSE;
  if (slash && parse_u16(v, pend + 1, end, &ml->port_count) != 0)
    return WEFT_ERR_SDP_PARSE;
  return 0;
}

int sdp_split_mline(const char *v, size_t n, char *buf,
                    weft_sdp_media_line *ml) {
  weft_sdp_media_line tmp;
  if (ml == NULL)
    ml = &tmp;
  size_t me = token_end(v, n, 0);
  size_t ps = skip_sp(v, n, me);
  size_t pe = token_end(v, n, ps);
  size_t rs = skip_sp(v, n, pe);
  size_t re = token_end(v, n, rs);
  size_t fs = skip_sp(v, n, re);
  if (me == 0 || ps == me || rs == pe || re == rs)
    return WEFT_ERR_SDP_PARSE;
  if (parse_port(v, ps, pe, ml) != 0)
    return WEFT_ERR_SDP_PARSE;
  ml->nfmts = 0;
  for (size_t i = fs; i < n; i = skip_sp(v, n, token_end(v, n, i)))
    ml->nfmts++;
  if (buf == NULL)
    return 0;
  memcpy(buf, v, n);
  buf[n] = '\0';
  buf[me] = '\0';
  buf[re] = '\0';
  ml->media = buf;
  ml->proto = buf + rs;
  ml->fmts = fs < n ? buf + fs : buf + n;
  return 0;
}

/* ---- parse, pass 1: check and count --------------------------------------
 */

typedef struct scan {
  size_t line;    /* current line number, 1-based */
  size_t nmedia;  /* m= lines */
  size_t nfields; /* lines that are neither a= nor m= */
  size_t nattrs;
  size_t chars; /* bytes of the string area */
  int have_t;
  int attr_seen; /* an a= line in the current section */
} scan;

static int media_may_have(char t) {
  return strchr("vosuep"
                "trz",
                t) == NULL;
}

/* Checks the place of a line of type t in the order of RFC 8866. */
static int check_order(scan *s, char t, const char *v, size_t n) {
  if (s->line == 1)
    return t == 'v' && n == 1 && v[0] == '0' ? 0 : WEFT_ERR_SDP_PARSE;
  if (s->line == 2 || s->line == 3)
    return t == (s->line == 2 ? 'o' : 's') ? 0 : WEFT_ERR_SDP_PARSE;
  if (t == 'v')
    return WEFT_ERR_SDP_PARSE;
  if (t == 'm') {
    s->attr_seen = 0;
    return s->have_t ? 0 : WEFT_ERR_SDP_PARSE;
  }
  if (t == 'a') {
    s->attr_seen = 1;
    return n > 0 && v[0] != ':' ? 0 : WEFT_ERR_SDP_PARSE;
  }
  if (s->attr_seen || (s->nmedia > 0 && !media_may_have(t)))
    return WEFT_ERR_SDP_PARSE;
  if (t == 't')
    s->have_t = 1;
  return 0;
}

static int scan_line(scan *s, const char *p, size_t n) {
  if (n > WEFT_SDP_MAX_LINE_LEN || s->line > WEFT_SDP_MAX_LINES)
    return WEFT_ERR_LIMIT;
  if (n < 2 || !is_alpha(p[0]) || p[1] != '=' || !text_ok(p, n))
    return WEFT_ERR_SDP_PARSE;
  const char *v = p + 2;
  size_t vn = n - 2;
  int rv = check_order(s, p[0], v, vn);
  if (rv != 0)
    return rv;
  s->chars += vn + 1;
  if (p[0] == 'm') {
    if (++s->nmedia > WEFT_SDP_MAX_MEDIA)
      return WEFT_ERR_LIMIT;
    s->chars += vn + 1;
    return sdp_split_mline(v, vn, NULL, NULL);
  }
  if (p[0] == 'a')
    s->nattrs++;
  else
    s->nfields++;
  return 0;
}

static int scan_text(scan *s, const char *text, size_t len) {
  weft_rd r;
  weft_rd_init(&r, text, len);
  const char *p;
  size_t n;
  while (next_line(&r, &p, &n)) {
    s->line++;
    if (n == 0) {
      if (only_eols(&r) && s->line > 1)
        break;
      return WEFT_ERR_SDP_PARSE;
    }
    int rv = scan_line(s, p, n);
    if (rv != 0)
      return rv;
  }
  if (s->line == 0) {
    s->line = 1; /* empty text: v= is missing from line 1 */
    return WEFT_ERR_SDP_PARSE;
  }
  if (!s->have_t) {
    s->line = 0;
    return WEFT_ERR_SDP_PARSE;
  }
  return 0;
}

/* ---- parse, pass 2: fill the block ---------------------------------------
 */

typedef struct fill {
  weft_sdp *sdp;
  sdp_section *cur;
  sdp_line *lines; /* next free entries */
  sdp_attr *attrs;
  char *chars;
} fill;

static char *copy_str(fill *f, const char *v, size_t n) {
  char *d = f->chars;
  memcpy(d, v, n);
  d[n] = '\0';
  f->chars += n + 1;
  return d;
}

static void fill_media(fill *f, const char *v, size_t n) {
  sdp_section *s = &f->sdp->media[f->sdp->nmedia++];
  memset(s, 0, sizeof(*s));
  s->lines = f->lines;
  s->attrs = f->attrs;
  s->mline = copy_str(f, v, n);
  s->mline_len = (uint32_t)n;
  sdp_split_mline(v, n, f->chars, &s->ml);
  f->chars += n + 1;
  f->cur = s;
}

static void fill_line(fill *f, char t, const char *v, size_t n) {
  f->sdp->nlines++;
  if (t == 'm') {
    fill_media(f, v, n);
    return;
  }
  sdp_section *s = f->cur;
  if (t == 'a') {
    sdp_attr *a = f->attrs++;
    const char *colon = memchr(v, ':', n);
    char *name = copy_str(f, v, n);
    memset(a, 0, sizeof(*a));
    a->pub.name = name;
    a->nlen = (uint32_t)n;
    if (colon) {
      a->nlen = (uint32_t)(colon - v);
      name[a->nlen] = '\0';
      a->pub.value = name + a->nlen + 1;
      a->vlen = (uint32_t)(n - a->nlen - 1);
    }
    s->nattrs++;
    s->capattrs++;
    return;
  }
  sdp_line *l = f->lines++;
  l->value = copy_str(f, v, n);
  l->len = (uint32_t)n;
  l->type = t;
  l->owned = 0;
  s->nlines++;
  s->caplines++;
}

static void fill_text(fill *f, const char *text, size_t len) {
  weft_rd r;
  weft_rd_init(&r, text, len);
  const char *p;
  size_t n;
  while (next_line(&r, &p, &n) && n > 0)
    fill_line(f, p[0], p + 2, n - 2);
}

int weft_sdp_parse(weft_sdp **out, const char *text, size_t len,
                   const weft_mem *mem, size_t *err_line) {
  size_t dummy;
  if (err_line == NULL)
    err_line = &dummy;
  *err_line = 0;
  if (out == NULL || (text == NULL && len > 0))
    return WEFT_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (len > WEFT_SDP_MAX_SIZE)
    return WEFT_ERR_LIMIT;
  scan s = {0};
  int rv = scan_text(&s, text, len);
  if (rv != 0) {
    *err_line = s.line;
    return rv;
  }
  size_t size = sizeof(weft_sdp) + s.nmedia * sizeof(sdp_section) +
                s.nattrs * sizeof(sdp_attr) + s.nfields * sizeof(sdp_line) +
                s.chars;
  weft_sdp *sdp = weft_calloc(mem, 1, size);
  if (sdp == NULL)
    return WEFT_ERR_NOMEM;
  sdp->mem = *(mem ? mem : weft_mem_default());
  sdp->media = (sdp_section *)(sdp + 1);
  sdp->capmedia = (uint32_t)s.nmedia;
  fill f = {sdp, &sdp->session, NULL, NULL, NULL};
  f.attrs = (sdp_attr *)(sdp->media + s.nmedia);
  f.lines = (sdp_line *)(f.attrs + s.nattrs);
  f.chars = (char *)(f.lines + s.nfields);
  sdp->session.lines = f.lines;
  sdp->session.attrs = f.attrs;
  fill_text(&f, text, len);
  *out = sdp;
  return 0;
}

/* ---- new, free, dup ------------------------------------------------------
 */

int weft_sdp_new(weft_sdp **out, const weft_mem *mem) {
  if (out == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  weft_sdp *sdp = weft_calloc(mem, 1, sizeof(*sdp));
  *out = sdp;
  if (sdp == NULL)
    return WEFT_ERR_NOMEM;
  sdp->mem = *(mem ? mem : weft_mem_default());
  sdp->media_owned = 1;
  return 0;
}

void sdp_section_free(weft_sdp *sdp, sdp_section *s) {
  for (uint32_t i = 0; i < s->nlines; i++)
    if (s->lines[i].owned)
      weft_free(&sdp->mem, (void *)s->lines[i].value);
  for (uint32_t i = 0; i < s->nattrs; i++)
    if (s->attrs[i].owned)
      weft_free(&sdp->mem, (void *)s->attrs[i].pub.name);
  if (s->lines_owned)
    weft_free(&sdp->mem, s->lines);
  if (s->attrs_owned)
    weft_free(&sdp->mem, s->attrs);
  weft_free(&sdp->mem, s->mbuf);
}

void weft_sdp_del(weft_sdp *sdp) {
  if (sdp == NULL)
    return;
  sdp_section_free(sdp, &sdp->session);
  for (uint32_t i = 0; i < sdp->nmedia; i++)
    sdp_section_free(sdp, &sdp->media[i]);
  if (sdp->media_owned)
    weft_free(&sdp->mem, sdp->media);
  weft_mem mem = sdp->mem;
  weft_free(&mem, sdp);
}

int weft_sdp_dup(weft_sdp **out, const weft_sdp *sdp, const weft_mem *mem) {
  if (out == NULL || sdp == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  *out = NULL;
  size_t n = weft_sdp_serialized_len(sdp);
  char *buf = weft_malloc(mem, n + 1);
  if (buf == NULL)
    return WEFT_ERR_NOMEM;
  weft_sdp_serialize(sdp, buf, n + 1);
  int rv = weft_sdp_parse(out, buf, n, mem, NULL);
  weft_free(mem, buf);
  return rv;
}

/* ---- serialize -----------------------------------------------------------
 */

static size_t section_len(const sdp_section *s, int media) {
  size_t n = media ? s->mline_len + 4 : 0;
  for (uint32_t i = 0; i < s->nlines; i++)
    n += s->lines[i].len + 4;
  for (uint32_t i = 0; i < s->nattrs; i++)
    n += 4 + s->attrs[i].nlen +
         (s->attrs[i].pub.value ? s->attrs[i].vlen + 1 : 0);
  return n;
}

size_t weft_sdp_serialized_len(const weft_sdp *sdp) {
  if (sdp == NULL)
    return 0;
  size_t n = section_len(&sdp->session, 0);
  for (uint32_t i = 0; i < sdp->nmedia; i++)
    n += section_len(&sdp->media[i], 1);
  return n;
}

static void put_line(weft_wr *w, char t, const char *v, size_t n) {
  char head[2] = {t, '='};
  weft_wr_bytes(w, head, 2);
  weft_wr_bytes(w, v, n);
  weft_wr_bytes(w, "\r\n", 2);
}

static void put_section(weft_wr *w, const sdp_section *s, int media) {
  if (media)
    put_line(w, 'm', s->mline, s->mline_len);
  for (uint32_t i = 0; i < s->nlines; i++)
    put_line(w, s->lines[i].type, s->lines[i].value, s->lines[i].len);
  for (uint32_t i = 0; i < s->nattrs; i++) {
    const sdp_attr *a = &s->attrs[i];
    weft_wr_bytes(w, "a=", 2);
    weft_wr_bytes(w, a->pub.name, a->nlen);
    if (a->pub.value) {
      weft_wr_u8(w, ':');
      weft_wr_bytes(w, a->pub.value, a->vlen);
    }
    weft_wr_bytes(w, "\r\n", 2);
  }
}

int weft_sdp_serialize(const weft_sdp *sdp, char *buf, size_t buflen) {
  if (sdp == NULL || (buf == NULL && buflen > 0))
    return WEFT_ERR_INVALID_ARGUMENT;
  size_t need = weft_sdp_serialized_len(sdp);
  if (buflen < need + 1 || need > INT32_MAX)
    return WEFT_ERR_BUFFER_TOO_SMALL;
  weft_wr w;
  weft_wr_init(&w, buf, buflen);
  put_section(&w, &sdp->session, 0);
  for (uint32_t i = 0; i < sdp->nmedia; i++)
    put_section(&w, &sdp->media[i], 1);
  weft_wr_u8(&w, '\0');
  if (w.err)
    return WEFT_ERR_INTERNAL;
  return (int)need;
}

/* ---- generic accessors ---------------------------------------------------
 */

size_t weft_sdp_media_count(const weft_sdp *sdp) {
  return sdp ? sdp->nmedia : 0;
}

int weft_sdp_media(const weft_sdp *sdp, int m, weft_sdp_media_line *out) {
  if (m == WEFT_SDP_SESSION)
    return WEFT_ERR_NOT_FOUND;
  const sdp_section *s = sdp_sec(sdp, m);
  if (s == NULL)
    return WEFT_ERR_NOT_FOUND;
  if (out)
    *out = s->ml;
  return 0;
}

int weft_sdp_media_fmt(const weft_sdp *sdp, int m, size_t i, const char **fmt,
                       size_t *len) {
  weft_sdp_media_line ml;
  if (weft_sdp_media(sdp, m, &ml) != 0 || i >= ml.nfmts)
    return WEFT_ERR_NOT_FOUND;
  const char *p = ml.fmts;
  size_t n = strlen(p), pos = 0;
  for (size_t k = 0; k < i; k++)
    pos = skip_sp(p, n, token_end(p, n, pos));
  if (fmt)
    *fmt = p + pos;
  if (len)
    *len = token_end(p, n, pos) - pos;
  return 0;
}

size_t weft_sdp_field_count(const weft_sdp *sdp, int m) {
  const sdp_section *s = sdp_sec(sdp, m);
  return s ? s->nlines : 0;
}

const char *weft_sdp_field_at(const weft_sdp *sdp, int m, size_t i,
                              char *type) {
  const sdp_section *s = sdp_sec(sdp, m);
  if (s == NULL || i >= s->nlines)
    return NULL;
  if (type)
    *type = s->lines[i].type;
  return s->lines[i].value;
}

const char *weft_sdp_field(const weft_sdp *sdp, int m, char type) {
  const sdp_section *s = sdp_sec(sdp, m);
  if (s == NULL)
    return NULL;
  for (uint32_t i = 0; i < s->nlines; i++)
    if (s->lines[i].type == type)
      return s->lines[i].value;
  return NULL;
}

size_t weft_sdp_attr_count(const weft_sdp *sdp, int m) {
  const sdp_section *s = sdp_sec(sdp, m);
  return s ? s->nattrs : 0;
}

const weft_sdp_attr *weft_sdp_attr_at(const weft_sdp *sdp, int m, size_t i) {
  const sdp_section *s = sdp_sec(sdp, m);
  if (s == NULL || i >= s->nattrs)
    return NULL;
  return &s->attrs[i].pub;
}

int weft_sdp_attr_find(const weft_sdp *sdp, int m, const char *name,
                       size_t from, const char **value) {
  const sdp_section *s = sdp_sec(sdp, m);
  if (s == NULL || name == NULL)
    return WEFT_ERR_NOT_FOUND;
  size_t nlen = strlen(name);
  for (size_t i = from; i < s->nattrs; i++) {
    const sdp_attr *a = &s->attrs[i];
    if (a->nlen == nlen && memcmp(a->pub.name, name, nlen) == 0) {
      if (value)
        *value = a->pub.value;
      return (int)i;
    }
  }
  return WEFT_ERR_NOT_FOUND;
}

int weft_sdp_attr_has(const weft_sdp *sdp, int m, const char *name) {
  return weft_sdp_attr_find(sdp, m, name, 0, NULL) >= 0;
}

const char *weft_sdp_attr_value(const weft_sdp *sdp, int m, const char *name) {
  const char *v = NULL;
  if (m != WEFT_SDP_SESSION && weft_sdp_attr_find(sdp, m, name, 0, &v) >= 0)
    return v;
  if (weft_sdp_attr_find(sdp, WEFT_SDP_SESSION, name, 0, &v) >= 0)
    return v;
  return NULL;
}
