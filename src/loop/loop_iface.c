/* Network interfaces: which local addresses to gather on. */
#include "loop/loop_internal.h"

#include <string.h>

static int ignored(const char *name, const char *const *ignore) {
  if (ignore == NULL)
    return 0;
  for (size_t i = 0; ignore[i] != NULL; i++) {
    size_t n = strlen(ignore[i]);
    if (n > 0 && strncmp(name, ignore[i], n) == 0)
      return 1;
  }
  return 0;
}

/* Whether the address passes the flags. */
static int wanted(const uv_interface_address_t *ia, const weft_addr *a,
                  unsigned flags) {
  int family = weft_addr_family(a);
  if (family == AF_INET && (flags & WEFT_LOOP_IF_NO_IPV4))
    return 0;
  if (family == AF_INET6 && (flags & WEFT_LOOP_IF_NO_IPV6))
    return 0;
  int loopback = ia->is_internal || weft_addr_is_loopback(a);
  if (flags & WEFT_LOOP_IF_LOOPBACK_ONLY)
    return loopback;
  if (loopback && !(flags & WEFT_LOOP_IF_LOOPBACK))
    return 0;
  if (weft_addr_is_any(a))
    return 0;
  if (weft_addr_is_link_local(a) && !(flags & WEFT_LOOP_IF_LINK_LOCAL))
    return 0;
  return 1;
}

static int already(const weft_loop_iface *out, size_t n, const weft_addr *a) {
  for (size_t i = 0; i < n; i++)
    if (weft_addr_equal(&out[i].addr, a))
      return 1;
  return 0;
}

/* Appends the wanted addresses of @p family; returns the new count. */
static size_t collect(const uv_interface_address_t *ia, int count, int family,
                      unsigned flags, const char *const *ignore,
                      weft_loop_iface *out, size_t n, size_t max) {
  for (int i = 0; i < count && n < max; i++) {
    const struct sockaddr *sa = (const struct sockaddr *)&ia[i].address;
    if (sa->sa_family != family || ignored(ia[i].name, ignore))
      continue;
    weft_addr a;
    socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in)
                                      : sizeof(struct sockaddr_in6);
    if (weft_addr_from_sockaddr(&a, sa, len) != 0)
      continue;
    weft_addr_set_port(&a, 0);
    if (!wanted(&ia[i], &a, flags) || already(out, n, &a))
      continue;
    memset(&out[n], 0, sizeof(out[n]));
    strncpy(out[n].name, ia[i].name, sizeof(out[n].name) - 1);
    out[n].addr = a;
    out[n].loopback = ia[i].is_internal || weft_addr_is_loopback(&a);
    n++;
  }
  return n;
}

int weft_loop_interfaces(weft_loop_iface *out, size_t max, unsigned flags,
                         const char *const *ignore) {
  if (out == NULL && max > 0)
    return WEFT_ERR_INVALID_ARGUMENT;
  uv_interface_address_t *ia = NULL;
  int count = 0;
  /* libuv lists only interfaces that are up and running. */
  if (uv_interface_addresses(&ia, &count) != 0)
    return WEFT_ERR_IO;
  size_t n = collect(ia, count, AF_INET, flags, ignore, out, 0, max);
  n = collect(ia, count, AF_INET6, flags, ignore, out, n, max);
  uv_free_interface_addresses(ia, count);
  return (int)n;
}

#define MAX_IFACES 64

int weft_loop_udp_open_interfaces(weft_loop *l, unsigned flags,
                                  const char *const *ignore, uint16_t port,
                                  weft_loop_sock **out, size_t max, size_t *n) {
  if (n != NULL)
    *n = 0;
  if (l == NULL || n == NULL || (out == NULL && max > 0))
    return WEFT_ERR_INVALID_ARGUMENT;
  weft_loop_iface ifs[MAX_IFACES];
  int nif = weft_loop_interfaces(ifs, MAX_IFACES, flags, ignore);
  if (nif < 0)
    return nif;
  for (int i = 0; i < nif && *n < max; i++) {
    weft_addr a = ifs[i].addr;
    weft_addr_set_port(&a, port);
    weft_loop_sock *s;
    int err = weft_loop_udp_open(l, &a, 0, &s);
    if (err == WEFT_ERR_NOMEM)
      return err;
    if (err != 0)
      continue; /* logged by weft_loop_udp_open */
    out[(*n)++] = s;
  }
  return 0;
}
