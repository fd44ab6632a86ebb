/* ICE candidate lines (RFC 8839 section 5.1, RFC 6544 tcptype): parse and
 * format, and candidate priorities (RFC 8445 section 5.1.2). */
#include "weft/ice.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define MAX_TOKENS 40

typedef struct tok {
  const char *p;
  size_t n;
} tok;

static const char *const type_names[] = {"host", "srflx", "prflx", "relay"};
static const char *const tcptype_names[] = {"", "active", "passive", "so"};

const char *weft_ice_candidate_type_name(int type) {
  if (type < 0 || type > WEFT_ICE_CANDIDATE_RELAY)
    return "unknown";
  return type_names[type];
}

uint32_t weft_ice_candidate_priority(int type, uint16_t local_pref,
                                     uint16_t component) {
  static const uint32_t type_pref[] = {126, 100, 110, 0};
  uint32_t tp = (type >= 0 && type <= 3) ? type_pref[type] : 0;
  uint32_t comp = component > 256 ? 256 : component;
  return (tp << 24) + ((uint32_t)local_pref << 8) + (256 - comp);
}

static int tok_eq(const tok *t, const char *s) {
  size_t n = strlen(s);
  if (t->n != n)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = t->p[i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    if (c != s[i])
      return 0;
  }
  return 1;
}

static int is_ice_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Decimal of at most @p maxdigits digits, value <= max. */
static int tok_uint(const tok *t, size_t maxdigits, uint64_t max,
                    uint64_t *out) {
  if (t->n == 0 || t->n > maxdigits)
    return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < t->n; i++) {
    if (t->p[i] < '0' || t->p[i] > '9')
      return -1;
    v = v * 10 + (uint64_t)(t->p[i] - '0');
  }
  if (v > max)
    return -1;
  *out = v;
  return 0;
}

static int tok_copy_chars(const tok *t, char *out, size_t max) {
  if (t->n == 0 || t->n > max)
    return -1;
  for (size_t i = 0; i < t->n; i++)
    if (!is_ice_char(t->p[i]))
      return -1;
  memcpy(out, t->p, t->n);
  out[t->n] = '\0';
  return 0;
}

/* Numeric IPv4 or IPv6 (no port, no brackets). */
static int tok_ip(const tok *t, uint16_t port, weft_addr *addr) {
  char s[INET6_ADDRSTRLEN + 1];
  if (t->n == 0 || t->n >= sizeof(s))
    return -1;
  memcpy(s, t->p, t->n);
  s[t->n] = '\0';
  uint8_t ip[16];
  if (inet_pton(AF_INET, s, ip) == 1)
    return weft_addr_set(addr, AF_INET, ip, port) == 0 ? 0 : -1;
  if (inet_pton(AF_INET6, s, ip) == 1)
    return weft_addr_set(addr, AF_INET6, ip, port) == 0 ? 0 : -1;
  return -1;
}

/* A host name ending in ".local" made of letters, digits, '-' and '.'. */
static int tok_mdns(const tok *t) {
  if (t->n <= 6 || t->n > WEFT_ICE_HOSTNAME_MAX)
    return 0;
  for (size_t i = 0; i < t->n; i++) {
    char c = t->p[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '.'))
      return 0;
  }
  tok suffix = {t->p + t->n - 6, 6};
  return tok_eq(&suffix, ".local");
}

static size_t tokenize(const char *p, size_t len, tok *toks, size_t max) {
  size_t n = 0, i = 0;
  while (i < len) {
    while (i < len && (p[i] == ' ' || p[i] == '\t'))
      i++;
    if (i >= len)
      break;
    if (n == max)
      return max + 1;
    toks[n].p = p + i;
    while (i < len && p[i] != ' ' && p[i] != '\t')
      i++;
    toks[n].n = (size_t)(toks[n].p == NULL ? 0 : (p + i) - toks[n].p);
    n++;
  }
  return n;
}

static int parse_address(weft_ice_candidate *c, const tok *addr,
                         const tok *port) {
  uint64_t v;
  if (tok_uint(port, 5, 65535, &v) != 0)
    return -1;
  if (tok_ip(addr, (uint16_t)v, &c->addr) == 0)
    return 0;
  if (!tok_mdns(addr))
    return -1;
  c->unresolved = 1;
  memcpy(c->hostname, addr->p, addr->n);
  c->hostname[addr->n] = '\0';
  memset(&c->addr, 0, sizeof(c->addr));
  c->addr.u.in4.sin_port = htons((uint16_t)v);
  return 0;
}

static int parse_type(weft_ice_candidate *c, const tok *t) {
  for (int i = 0; i <= WEFT_ICE_CANDIDATE_RELAY; i++) {
    if (tok_eq(t, type_names[i])) {
      c->type = (uint8_t)i;
      return 0;
    }
  }
  return -1;
}

/* The name/value extension pairs after "typ X". */
static int parse_extensions(weft_ice_candidate *c, const tok *t, size_t n) {
  const tok *raddr = NULL, *rport = NULL;
  uint64_t v;
  if (n % 2 != 0)
    return -1;
  for (size_t i = 0; i < n; i += 2) {
    const tok *name = &t[i], *val = &t[i + 1];
    if (tok_eq(name, "raddr")) {
      raddr = val;
    } else if (tok_eq(name, "rport")) {
      rport = val;
    } else if (tok_eq(name, "generation")) {
      if (tok_uint(val, 10, UINT32_MAX, &v) != 0)
        return -1;
      c->generation = (uint32_t)v;
    } else if (tok_eq(name, "ufrag")) {
      if (tok_copy_chars(val, c->ufrag, WEFT_ICE_UFRAG_MAX) != 0)
        return -1;
    } else if (tok_eq(name, "tcptype")) {
      int found = 0;
      for (int k = 1; k <= WEFT_ICE_TCPTYPE_SO; k++)
        if (tok_eq(val, tcptype_names[k])) {
          c->tcptype = (uint8_t)k;
          found = 1;
        }
      if (!found)
        return -1;
    }
  }
  if ((raddr == NULL) != (rport == NULL))
    return -1;
  if (raddr != NULL) {
    if (tok_uint(rport, 5, 65535, &v) != 0)
      return -1;
    /* an mDNS-obfuscated related address is dropped, not an error */
    if (tok_ip(raddr, (uint16_t)v, &c->related) != 0 && !tok_mdns(raddr))
      return -1;
  }
  return 0;
}

static int parse_tokens(weft_ice_candidate *c, const tok *t, size_t n) {
  uint64_t v;
  if (n < 8 || !tok_eq(&t[6], "typ"))
    return -1;
  if (tok_copy_chars(&t[0], c->foundation, WEFT_ICE_FOUNDATION_MAX) != 0)
    return -1;
  if (tok_uint(&t[1], 3, 256, &v) != 0 || v == 0)
    return -1;
  c->component = (uint16_t)v;
  if (tok_eq(&t[2], "udp"))
    c->transport = WEFT_ICE_TRANSPORT_UDP;
  else if (tok_eq(&t[2], "tcp"))
    c->transport = WEFT_ICE_TRANSPORT_TCP;
  else
    return -1;
  if (tok_uint(&t[3], 10, UINT32_MAX, &v) != 0 || v == 0)
    return -1;
  c->priority = (uint32_t)v;
  if (parse_address(c, &t[4], &t[5]) != 0 || parse_type(c, &t[7]) != 0)
    return -1;
  if (parse_extensions(c, t + 8, n - 8) != 0)
    return -1;
  if (c->transport == WEFT_ICE_TRANSPORT_TCP &&
      c->tcptype == WEFT_ICE_TCPTYPE_NONE)
    return -1;
  return 0;
}

int weft_ice_candidate_parse(weft_ice_candidate *c, const char *line,
                             size_t len) {
  if (c == NULL || line == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  memset(c, 0, sizeof(*c));
  while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
                     line[len - 1] == ' '))
    len--;
  while (len > 0 && line[0] == ' ') {
    line++;
    len--;
  }
  if (len >= 2 && line[0] == 'a' && line[1] == '=') {
    line += 2;
    len -= 2;
  }
  tok prefix = {line, len < 10 ? len : 10};
  if (tok_eq(&prefix, "candidate:")) {
    line += 10;
    len -= 10;
  }
  tok toks[MAX_TOKENS];
  size_t n = tokenize(line, len, toks, MAX_TOKENS);
  if (n > MAX_TOKENS || parse_tokens(c, toks, n) != 0) {
    memset(c, 0, sizeof(*c));
    return WEFT_ERR_ICE_CANDIDATE;
  }
  return 0;
}

/* Appends @p pre then @p s when s is not NULL, else @p v in decimal. */
static int append(char *buf, size_t buflen, size_t *pos, const char *pre,
                  const char *s, unsigned long v) {
  if (*pos >= buflen)
    return -1;
  int n = (s != NULL) ? snprintf(buf + *pos, buflen - *pos, "%s%s", pre, s)
                      : snprintf(buf + *pos, buflen - *pos, "%s%lu", pre, v);
  if (n < 0 || (size_t)n >= buflen - *pos)
    return -1;
  *pos += (size_t)n;
  return 0;
}

static int format_tail(const weft_ice_candidate *c, char *buf, size_t buflen,
                       size_t *pos) {
  char ip[WEFT_ADDR_STRLEN];
  int fam = weft_addr_family(&c->related);
  if (fam == AF_INET || fam == AF_INET6) {
    if (append(buf, buflen, pos, " raddr ",
               weft_addr_format_ip(&c->related, ip, sizeof(ip)), 0) ||
        append(buf, buflen, pos, " rport ", NULL, weft_addr_port(&c->related)))
      return -1;
  }
  if (c->tcptype >= 1 && c->tcptype <= 3 &&
      append(buf, buflen, pos, " tcptype ", tcptype_names[c->tcptype], 0))
    return -1;
  if (c->generation != 0 &&
      append(buf, buflen, pos, " generation ", NULL, c->generation))
    return -1;
  if (c->ufrag[0] != '\0' && append(buf, buflen, pos, " ufrag ", c->ufrag, 0))
    return -1;
  return 0;
}

int weft_ice_candidate_format(const weft_ice_candidate *c, char *buf,
                              size_t buflen) {
  if (c == NULL || buf == NULL || c->type > WEFT_ICE_CANDIDATE_RELAY ||
      c->foundation[0] == '\0')
    return WEFT_ERR_INVALID_ARGUMENT;
  char ip[WEFT_ADDR_STRLEN];
  const char *host;
  uint16_t port;
  if (c->unresolved) {
    host = c->hostname;
    port = ntohs(c->addr.u.in4.sin_port);
  } else {
    int fam = weft_addr_family(&c->addr);
    if (fam != AF_INET && fam != AF_INET6)
      return WEFT_ERR_INVALID_ARGUMENT;
    host = weft_addr_format_ip(&c->addr, ip, sizeof(ip));
    port = weft_addr_port(&c->addr);
  }
  size_t pos = 0;
  if (buflen > 0)
    buf[0] = '\0';
  if (append(buf, buflen, &pos, "candidate:", c->foundation, 0) ||
      append(buf, buflen, &pos, " ", NULL, c->component) ||
      append(buf, buflen, &pos, " ", c->transport ? "tcp" : "udp", 0) ||
      append(buf, buflen, &pos, " ", NULL, c->priority) ||
      append(buf, buflen, &pos, " ", host, 0) ||
      append(buf, buflen, &pos, " ", NULL, port) ||
      append(buf, buflen, &pos, " typ ", type_names[c->type], 0) ||
      format_tail(c, buf, buflen, &pos)) {
    if (buflen > 0)
      buf[0] = '\0';
    return WEFT_ERR_BUFFER_TOO_SMALL;
  }
  return (int)pos;
}
