/* The stateless Binding responder: the hot path of `weft stun`. No
 * allocation, no HMAC: decode, then one response built in place. */
#include "stun/stun_int.h"

#include <string.h>

void weft_stun_server_settings_default(weft_stun_server_settings *s) {
  if (s == NULL)
    return;
  memset(s, 0, sizeof(*s));
  s->software = NULL;
  s->fingerprint = 1;
  weft_log_default(&s->log);
}

static int build_answer(const weft_stun_server_settings *s,
                        const weft_stun_msg *req, const weft_addr *from,
                        uint8_t *out, size_t outcap) {
  weft_stun_builder b;
  if (req->nunknown > 0) {
    weft_stun_builder_init_response(&b, out, outcap, req, WEFT_STUN_ERROR);
    weft_stun_builder_add_error(&b, WEFT_STUN_ERR_UNKNOWN_ATTRIBUTE, NULL);
    weft_stun_builder_add_unknown(&b, req->unknown, req->nunknown);
  } else {
    weft_stun_builder_init_response(&b, out, outcap, req, WEFT_STUN_SUCCESS);
    weft_stun_builder_add_xor_addr(&b, WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS, from);
  }
  if (s->software != NULL)
    weft_stun_builder_add_str(&b, WEFT_STUN_ATTR_SOFTWARE, s->software);
  if (s->fingerprint)
    weft_stun_builder_add_fingerprint(&b);
  return weft_stun_builder_finish(&b);
}

int weft_stun_server_answer(const weft_stun_server_settings *s,
                            weft_stun_server_stats *stats,
                            const weft_addr *from, const uint8_t *in,
                            size_t inlen, uint8_t *out, size_t outcap) {
  if (s == NULL || stats == NULL || from == NULL || out == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  int family = weft_addr_family(from);
  if (family != AF_INET && family != AF_INET6)
    return WEFT_ERR_INVALID_ARGUMENT;
  stats->received++;
  weft_stun_msg req;
  int rv = weft_stun_msg_decode(&req, in, inlen);
  if (rv != 0) {
    stats->dropped_malformed++;
    WEFT_LOG(&s->log, WEFT_LOG_DEBUG, "stun", "dropped %zu bytes: %s", inlen,
             weft_strerror(rv));
    return 0;
  }
  if (req.cls != WEFT_STUN_REQUEST || req.method != WEFT_STUN_BINDING) {
    stats->dropped_not_request++;
    return 0;
  }
  int n = build_answer(s, &req, from, out, outcap);
  if (n < 0)
    return n;
  if (req.nunknown > 0)
    stats->errors_sent++;
  else
    stats->answered++;
  return n;
}
