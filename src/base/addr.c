/* IPv4/IPv6 transport addresses: parse, format, compare, classify. */
#include "weft/weft.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

static int parse_port(const char *s, uint16_t *port) {
  if (*s == '\0')
    return WEFT_ERR_ADDR_PARSE;
  unsigned long v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9')
      return WEFT_ERR_ADDR_PARSE;
    v = v * 10 + (unsigned long)(*p - '0');
    if (v > 65535)
      return WEFT_ERR_ADDR_PARSE;
  }
  *port = (uint16_t)v;
  return 0;
}

static uint32_t parse_scope(const char *s) {
  uint16_t n;
  if (parse_port(s, &n) == 0)
    return n;
  return if_nametoindex(s);
}

static int parse_ip(weft_addr *addr, const char *ip, size_t iplen,
                    uint16_t port) {
  char buf[WEFT_ADDR_STRLEN];
  if (iplen == 0 || iplen >= sizeof(buf))
    return WEFT_ERR_ADDR_PARSE;
  memcpy(buf, ip, iplen);
  buf[iplen] = '\0';
  struct in_addr a4;
  if (inet_pton(AF_INET, buf, &a4) == 1)
    return weft_addr_set(addr, AF_INET, &a4, port);
  char *pct = strchr(buf, '%');
  uint32_t scope = 0;
  if (pct != NULL) {
    *pct = '\0';
    scope = parse_scope(pct + 1);
    if (scope == 0)
      return WEFT_ERR_ADDR_PARSE;
  }
  struct in6_addr a6;
  if (inet_pton(AF_INET6, buf, &a6) != 1)
    return WEFT_ERR_ADDR_PARSE;
  weft_addr_set(addr, AF_INET6, &a6, port);
  addr->u.in6.sin6_scope_id = scope;
  return 0;
}

int weft_addr_parse(weft_addr *addr, const char *text, uint16_t default_port) {
  if (addr == NULL || text == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  memset(addr, 0, sizeof(*addr));
  uint16_t port = default_port;
  if (text[0] == '[') {
    const char *end = strchr(text, ']');
    if (end == NULL)
      return WEFT_ERR_ADDR_PARSE;
    if (end[1] == ':') {
      if (parse_port(end + 2, &port) != 0)
        return WEFT_ERR_ADDR_PARSE;
    } else if (end[1] != '\0') {
      return WEFT_ERR_ADDR_PARSE;
    }
    return parse_ip(addr, text + 1, (size_t)(end - text - 1), port);
  }
  const char *colon = strchr(text, ':');
  if (colon != NULL && strchr(colon + 1, ':') == NULL) {
    /* exactly one colon: IPv4:port */
    if (parse_port(colon + 1, &port) != 0)
      return WEFT_ERR_ADDR_PARSE;
    return parse_ip(addr, text, (size_t)(colon - text), port);
  }
  return parse_ip(addr, text, strlen(text), port);
}

char *weft_addr_format_ip(const weft_addr *addr, char *buf, size_t len) {
  char ip[INET6_ADDRSTRLEN + 16] = "?";
  if (addr->u.sa.sa_family == AF_INET) {
    inet_ntop(AF_INET, &addr->u.in4.sin_addr, ip, sizeof(ip));
  } else if (addr->u.sa.sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &addr->u.in6.sin6_addr, ip, sizeof(ip));
    if (addr->u.in6.sin6_scope_id != 0) {
      size_t n = strlen(ip);
      snprintf(ip + n, sizeof(ip) - n, "%%%u",
               (unsigned)addr->u.in6.sin6_scope_id);
    }
  }
  snprintf(buf, len, "%s", ip);
  return buf;
}

char *weft_addr_format(const weft_addr *addr, char *buf, size_t len) {
  char ip[WEFT_ADDR_STRLEN];
  weft_addr_format_ip(addr, ip, sizeof(ip));
  if (addr->u.sa.sa_family == AF_INET6)
    snprintf(buf, len, "[%s]:%u", ip, weft_addr_port(addr));
  else
    snprintf(buf, len, "%s:%u", ip, weft_addr_port(addr));
  return buf;
}

int weft_addr_set(weft_addr *addr, int family, const void *ip, uint16_t port) {
  if (addr == NULL || ip == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  memset(addr, 0, sizeof(*addr));
  if (family == AF_INET) {
    addr->u.in4.sin_family = AF_INET;
    memcpy(&addr->u.in4.sin_addr, ip, 4);
    addr->u.in4.sin_port = htons(port);
    return 0;
  }
  if (family == AF_INET6) {
    addr->u.in6.sin6_family = AF_INET6;
    memcpy(&addr->u.in6.sin6_addr, ip, 16);
    addr->u.in6.sin6_port = htons(port);
    return 0;
  }
  return WEFT_ERR_INVALID_ARGUMENT;
}

int weft_addr_from_sockaddr(weft_addr *addr, const struct sockaddr *sa,
                            socklen_t len) {
  if (addr == NULL || sa == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  memset(addr, 0, sizeof(*addr));
  if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in))
    memcpy(&addr->u.in4, sa, sizeof(struct sockaddr_in));
  else if (sa->sa_family == AF_INET6 &&
           len >= (socklen_t)sizeof(struct sockaddr_in6))
    memcpy(&addr->u.in6, sa, sizeof(struct sockaddr_in6));
  else
    return WEFT_ERR_INVALID_ARGUMENT;
  return 0;
}

int weft_addr_family(const weft_addr *addr) {
  return addr->u.sa.sa_family;
}

uint16_t weft_addr_port(const weft_addr *addr) {
  if (addr->u.sa.sa_family == AF_INET)
    return ntohs(addr->u.in4.sin_port);
  if (addr->u.sa.sa_family == AF_INET6)
    return ntohs(addr->u.in6.sin6_port);
  return 0;
}

void weft_addr_set_port(weft_addr *addr, uint16_t port) {
  if (addr->u.sa.sa_family == AF_INET)
    addr->u.in4.sin_port = htons(port);
  else if (addr->u.sa.sa_family == AF_INET6)
    addr->u.in6.sin6_port = htons(port);
}

const uint8_t *weft_addr_ip(const weft_addr *addr, size_t *len) {
  if (addr->u.sa.sa_family == AF_INET) {
    *len = 4;
    return (const uint8_t *)&addr->u.in4.sin_addr;
  }
  if (addr->u.sa.sa_family == AF_INET6) {
    *len = 16;
    return (const uint8_t *)&addr->u.in6.sin6_addr;
  }
  *len = 0;
  return NULL;
}

socklen_t weft_addr_socklen(const weft_addr *addr) {
  if (addr->u.sa.sa_family == AF_INET)
    return sizeof(struct sockaddr_in);
  if (addr->u.sa.sa_family == AF_INET6)
    return sizeof(struct sockaddr_in6);
  return 0;
}

int weft_addr_equal_ip(const weft_addr *a, const weft_addr *b) {
  size_t la, lb;
  const uint8_t *ia = weft_addr_ip(a, &la), *ib = weft_addr_ip(b, &lb);
  return ia != NULL && la == lb && memcmp(ia, ib, la) == 0;
}

int weft_addr_equal(const weft_addr *a, const weft_addr *b) {
  if (!weft_addr_equal_ip(a, b) || weft_addr_port(a) != weft_addr_port(b))
    return 0;
  return a->u.sa.sa_family != AF_INET6 ||
         a->u.in6.sin6_scope_id == b->u.in6.sin6_scope_id;
}

static const uint8_t *v4(const weft_addr *addr) {
  if (addr->u.sa.sa_family == AF_INET)
    return (const uint8_t *)&addr->u.in4.sin_addr;
  /* IPv4-mapped IPv6 (::ffff:a.b.c.d) classifies as IPv4 */
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  const uint8_t *p = (const uint8_t *)&addr->u.in6.sin6_addr;
  if (addr->u.sa.sa_family == AF_INET6 && memcmp(p, mapped, 12) == 0)
    return p + 12;
  return NULL;
}

static const uint8_t *v6(const weft_addr *addr) {
  if (addr->u.sa.sa_family == AF_INET6)
    return (const uint8_t *)&addr->u.in6.sin6_addr;
  return NULL;
}

int weft_addr_is_loopback(const weft_addr *addr) {
  const uint8_t *p4 = v4(addr), *p6 = v6(addr);
  if (p4 != NULL)
    return p4[0] == 127;
  static const uint8_t lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                  0, 0, 0, 0, 0, 0, 0, 1};
  return p6 != NULL && memcmp(p6, lo6, 16) == 0;
}

int weft_addr_is_private(const weft_addr *addr) {
  const uint8_t *p4 = v4(addr), *p6 = v6(addr);
  if (p4 != NULL)
    return p4[0] == 10 || (p4[0] == 172 && (p4[1] & 0xf0) == 16) ||
           (p4[0] == 192 && p4[1] == 168);
  return p6 != NULL && (p6[0] & 0xfe) == 0xfc;
}

int weft_addr_is_link_local(const weft_addr *addr) {
  const uint8_t *p4 = v4(addr), *p6 = v6(addr);
  if (p4 != NULL)
    return p4[0] == 169 && p4[1] == 254;
  return p6 != NULL && p6[0] == 0xfe && (p6[1] & 0xc0) == 0x80;
}

int weft_addr_is_any(const weft_addr *addr) {
  size_t len;
  const uint8_t *ip = weft_addr_ip(addr, &len);
  if (ip == NULL)
    return 0;
  for (size_t i = 0; i < len; i++)
    if (ip[i] != 0)
      return 0;
  return 1;
}

uint64_t weft_addr_hash(const weft_addr *addr) {
  /* FNV-1a over family, IP and port */
  uint64_t h = 1469598103934665603ull;
  size_t len;
  const uint8_t *ip = weft_addr_ip(addr, &len);
  h = (h ^ (uint64_t)addr->u.sa.sa_family) * 1099511628211ull;
  for (size_t i = 0; i < len; i++)
    h = (h ^ ip[i]) * 1099511628211ull;
  uint16_t port = weft_addr_port(addr);
  h = (h ^ (port & 0xff)) * 1099511628211ull;
  h = (h ^ (port >> 8)) * 1099511628211ull;
  return h;
}
