/* DNS: resolving STUN/TURN server names with uv_getaddrinfo. */
#include "loop/loop_internal.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"

static size_t collect(const struct addrinfo *ai, uint16_t port,
                      weft_addr *out) {
  size_t n = 0;
  for (; ai != NULL && n < WEFT_LOOP_RESOLVE_MAX; ai = ai->ai_next) {
    weft_addr a;
    if (weft_addr_from_sockaddr(&a, ai->ai_addr, ai->ai_addrlen) != 0)
      continue;
    weft_addr_set_port(&a, port);
    int dup = 0;
    for (size_t i = 0; i < n; i++)
      dup |= weft_addr_equal(&out[i], &a);
    if (!dup)
      out[n++] = a;
  }
  return n;
}

static void on_resolved(uv_getaddrinfo_t *req, int status,
                        struct addrinfo *res) {
  loop_resolve_req *r = LOOP_CONTAINER(req, loop_resolve_req, req);
  weft_loop *l = r->loop;
  link_remove(&r->link);
  if (!l->deleting) {
    weft_addr addrs[WEFT_LOOP_RESOLVE_MAX];
    size_t n = status == 0 ? collect(res, r->port, addrs) : 0;
    if (n == 0)
      WEFT_LOG(&l->settings.log, WEFT_LOG_INFO, "loop", "resolve: %s",
               status != 0 ? uv_strerror(status) : "no address");
    l->draining++; /* kicks from the callback are queued */
    r->cb(r->user_data, n > 0 ? 0 : WEFT_ERR_RESOLVE, addrs, n);
    l->draining--;
    loop_obj_drain(l, NULL, weft_loop_now(l));
  }
  uv_freeaddrinfo(res);
  weft_free(l->mem, r);
  loop_handle_done(l);
}

int weft_loop_resolve(weft_loop *l, const char *host, uint16_t port, int family,
                      weft_loop_resolve_fn cb, void *user_data) {
  if (l == NULL || host == NULL || cb == NULL || *host == '\0' ||
      (family != AF_UNSPEC && family != AF_INET && family != AF_INET6))
    return WEFT_ERR_INVALID_ARGUMENT;
  if (l->deleting)
    return WEFT_ERR_INVALID_STATE;
  loop_resolve_req *r = weft_calloc(l->mem, 1, sizeof(*r));
  if (r == NULL)
    return WEFT_ERR_NOMEM;
  r->loop = l;
  r->cb = cb;
  r->user_data = user_data;
  r->port = port;
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = family;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_protocol = IPPROTO_UDP;
  int rv = uv_getaddrinfo(l->uv, &r->req, on_resolved, host, NULL, &hints);
  if (rv != 0) {
    weft_free(l->mem, r);
    return WEFT_ERR_RESOLVE;
  }
  l->handles_open++;
  link_insert(&l->resolves, &r->link);
  return 0;
}

void loop_resolves_cancel_all(weft_loop *l) {
  /* A look-up not yet started is cancelled (its callback comes with
   * UV_EAI_CANCELED); one already running finishes first. Either way
   * on_resolved frees it without calling the application. */
  for (loop_link *k = l->resolves.next; k != &l->resolves; k = k->next) {
    loop_resolve_req *r = LOOP_CONTAINER(k, loop_resolve_req, link);
    uv_cancel((uv_req_t *)&r->req);
  }
}

static int parse_port(const char *s, uint16_t *port) {
  if (*s == '\0')
    return WEFT_ERR_ADDR_PARSE;
  unsigned long v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      return WEFT_ERR_ADDR_PARSE;
    v = v * 10 + (unsigned long)(*s - '0');
    if (v > 65535)
      return WEFT_ERR_ADDR_PARSE;
  }
  *port = (uint16_t)v;
  return 0;
}

static int copy_host(char *host, size_t hostlen, const char *s, size_t n) {
  if (n == 0)
    return WEFT_ERR_ADDR_PARSE;
  if (n >= hostlen)
    return WEFT_ERR_BUFFER_TOO_SMALL;
  memcpy(host, s, n);
  host[n] = '\0';
  return 0;
}

int weft_loop_split_host_port(const char *text, char *host, size_t hostlen,
                              uint16_t *port, uint16_t default_port) {
  if (text == NULL || host == NULL || port == NULL || hostlen == 0)
    return WEFT_ERR_INVALID_ARGUMENT;
  *port = default_port;
  if (text[0] == '[') {
    const char *end = strchr(text, ']');
    if (end == NULL)
      return WEFT_ERR_ADDR_PARSE;
    int err = copy_host(host, hostlen, text + 1, (size_t)(end - text - 1));
    if (err != 0 || end[1] == '\0')
      return err;
    if (end[1] != ':')
      return WEFT_ERR_ADDR_PARSE;
    return parse_port(end + 2, port);
  }
  const char *colon = strchr(text, ':');
  if (colon == NULL || strchr(colon + 1, ':') != NULL)
    return copy_host(host, hostlen, text, strlen(text)); /* no port, or v6 */
  int err = copy_host(host, hostlen, text, (size_t)(colon - text));
  if (err != 0)
    return err;
  return parse_port(colon + 1, port);
}
