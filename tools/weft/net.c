/* Socket helpers of the weft program (see net.h). */
#include "net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Whether @p s (length @p n) is all digits; its value, saturated, in *v. */
static int digits(const char *s, size_t n, unsigned long *v) {
  if (n == 0)
    return 0;
  unsigned long x = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i]))
      return 0;
    if (x < 1000000)
      x = x * 10 + (unsigned long)(s[i] - '0');
  }
  *v = x;
  return 1;
}

/* Finds the port text of "IP:PORT" / "[IP]:PORT"; NULL if none. */
static const char *port_part(const char *text) {
  if (text[0] == '[') {
    const char *end = strchr(text, ']');
    return end != NULL && end[1] == ':' ? end + 2 : NULL;
  }
  const char *colon = strchr(text, ':');
  if (colon != NULL && strchr(colon + 1, ':') == NULL)
    return colon + 1;
  return NULL;
}

const char *net_parse_addr(weft_addr *out, const char *text,
                           uint16_t default_port) {
  static const char bad[] = "not a valid IP address and port";
  const char *port = port_part(text);
  unsigned long v;
  if (port != NULL && digits(port, strlen(port), &v) && v > 65535)
    return "port out of range (0-65535)";
  if (weft_addr_parse(out, text, default_port) != 0)
    return bad;
  return NULL;
}

const char *net_split_host_port(const char *text, char *host, size_t hostlen,
                                uint16_t default_port, uint16_t *port) {
  const char *h = text, *p = NULL;
  size_t hl;
  if (text[0] == '[') {
    const char *end = strchr(text, ']');
    if (end == NULL || (end[1] != '\0' && end[1] != ':'))
      return "not a valid host and port";
    h = text + 1;
    hl = (size_t)(end - h);
    p = end[1] == ':' ? end + 2 : NULL;
  } else {
    const char *colon = strchr(text, ':');
    if (colon != NULL && strchr(colon + 1, ':') == NULL) {
      hl = (size_t)(colon - text);
      p = colon + 1;
    } else {
      hl = strlen(text); /* a name, IPv4, or a bare IPv6 literal */
    }
  }
  if (hl == 0 || hl >= hostlen)
    return "not a valid host and port";
  memcpy(host, h, hl);
  host[hl] = '\0';
  *port = default_port;
  if (p != NULL) {
    unsigned long v;
    if (!digits(p, strlen(p), &v))
      return "not a valid host and port";
    if (v == 0 || v > 65535)
      return "port out of range (1-65535)";
    *port = (uint16_t)v;
  }
  return NULL;
}

static int set_flags(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
    return -errno;
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
    return -errno;
  return 0;
}

static int set_options(int fd, enum net_kind kind, const weft_addr *addr,
                       int pktinfo) {
  int one = 1;
  int v6 = weft_addr_family(addr) == AF_INET6;
  if (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
    return -errno;
  if (kind == NET_TCP &&
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
    return -errno;
  if (kind == NET_UDP && pktinfo && weft_addr_is_any(addr)) {
    int r =
        v6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))
           : setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
    if (r < 0)
      return -errno;
  }
  return 0;
}

int net_listen(enum net_kind kind, const weft_addr *addr, int backlog,
               int pktinfo) {
  int fam = weft_addr_family(addr);
  if (fam != AF_INET && fam != AF_INET6)
    return -EAFNOSUPPORT;
  int fd = socket(fam, kind == NET_UDP ? SOCK_DGRAM : SOCK_STREAM, 0);
  if (fd < 0)
    return -errno;
  int r = set_flags(fd);
  if (r == 0)
    r = set_options(fd, kind, addr, pktinfo);
  if (r == 0 && bind(fd, &addr->u.sa, weft_addr_socklen(addr)) < 0)
    r = -errno;
  if (r == 0 && kind == NET_TCP && listen(fd, backlog) < 0)
    r = -errno;
  if (r != 0) {
    close(fd);
    return r;
  }
  return fd;
}

void net_set_buffers(int fd, int bytes) {
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}

int net_local_addr(int fd, weft_addr *out) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
    return -errno;
  return weft_addr_from_sockaddr(out, (struct sockaddr *)&ss, len) == 0
             ? 0
             : -EAFNOSUPPORT;
}

const char *net_strerror(int err) {
  if (err < 0)
    err = -err;
  switch (err) {
  case EADDRINUSE:
    return "address already in use";
  case EACCES:
  case EPERM:
    return "permission denied";
  case EADDRNOTAVAIL:
    return "address not available on this host";
  case EAFNOSUPPORT:
    return "address family not supported on this host";
  case ECONNREFUSED:
    return "connection refused";
  case ETIMEDOUT:
    return "timed out";
  case ENETUNREACH:
    return "network unreachable";
  case EHOSTUNREACH:
    return "host unreachable";
  case EMFILE:
  case ENFILE:
    return "too many open files";
  default:
    return strerror(err);
  }
}

int net_have_ipv6(void) {
  weft_addr a;
  weft_addr_parse(&a, "[::1]:0", 0);
  int fd = net_listen(NET_UDP, &a, 0, 0);
  if (fd < 0)
    return 0;
  close(fd);
  return 1;
}
