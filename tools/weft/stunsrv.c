/* The STUN Binding server: configuration and lifecycle (see stunsrv.h). */
#include "stunsrv_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

void stunsrv_config_default(stunsrv_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  weft_addr_parse(&cfg->listen[0], "[::]", STUNSRV_DEFAULT_PORT);
  weft_addr_parse(&cfg->listen[1], "0.0.0.0", STUNSRV_DEFAULT_PORT);
  cfg->nlisten = 2;
  cfg->listen_is_default = 1;
  cfg->udp = 1;
  cfg->tcp = 1;
  cfg->software = "weft";
  weft_log_default(&cfg->log);
  cfg->tcp_idle_ms = 30000;
  cfg->tcp_max_conns = 1024;
}

void stunsrv_handle_closed(stunsrv *s) {
  s->handles--;
  if (s->closing && s->handles == 0)
    free(s);
}

void stunsrv_close(stunsrv *s) {
  if (s == NULL || s->closing)
    return;
  s->closing = 1;
  for (size_t i = 0; i < s->nudp; i++)
    stunsrv_udp_close(s->udp[i]);
  for (size_t i = 0; i < s->ntcp; i++)
    stunsrv_tcp_close(s->tcp[i]);
  stunsrv_tcp_close_conns(s);
  if (s->handles == 0)
    free(s);
}

/* Whether a failure to bind a default address only means "no such family
 * on this host". */
static int skippable(const stunsrv_config *cfg, int err) {
  return cfg->listen_is_default &&
         (err == -EAFNOSUPPORT || err == -EADDRNOTAVAIL);
}

static int open_one(stunsrv *s, const weft_addr *a, int udp, char *err,
                    size_t errlen) {
  int r = udp ? stunsrv_udp_open(s, a) : stunsrv_tcp_open(s, a);
  if (r == 0)
    return 0;
  char text[WEFT_ADDR_STRLEN];
  weft_addr_format(a, text, sizeof(text));
  if (skippable(&s->cfg, r)) {
    WEFT_LOG(&s->cfg.log, WEFT_LOG_WARN, "stun", "skipping %s %s: %s",
             udp ? "udp" : "tcp", text, net_strerror(r));
    return 0;
  }
  snprintf(err, errlen, "%s %s: %s", udp ? "udp" : "tcp", text,
           net_strerror(r));
  return r;
}

int stunsrv_start(stunsrv **out, uv_loop_t *loop, const stunsrv_config *cfg,
                  char *err, size_t errlen) {
  *out = NULL;
  stunsrv *s = calloc(1, sizeof(*s));
  if (s == NULL) {
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  s->loop = loop;
  s->cfg = *cfg;
  weft_stun_server_settings_default(&s->settings);
  s->settings.software = cfg->software;
  s->settings.log = cfg->log;
  int r = 0;
  for (size_t i = 0; i < cfg->nlisten && r == 0; i++) {
    if (cfg->udp)
      r = open_one(s, &cfg->listen[i], 1, err, errlen);
    if (r == 0 && cfg->tcp)
      r = open_one(s, &cfg->listen[i], 0, err, errlen);
  }
  if (r == 0 && s->nudp + s->ntcp == 0) {
    snprintf(err, errlen, "no address to listen on");
    r = -EADDRNOTAVAIL;
  }
  if (r != 0) {
    stunsrv_close(s);
    return r;
  }
  *out = s;
  return 0;
}

size_t stunsrv_nbound(const stunsrv *s) {
  return s->nudp + s->ntcp;
}

void stunsrv_bound(const stunsrv *s, size_t i, const char **proto,
                   weft_addr *addr) {
  if (i < s->nudp) {
    *proto = "udp";
    *addr = *stunsrv_udp_addr(s->udp[i]);
  } else {
    *proto = "tcp";
    *addr = *stunsrv_tcp_addr(s->tcp[i - s->nudp]);
  }
}

void stunsrv_get_stats(const stunsrv *s, stunsrv_stats *out) {
  *out = s->stats;
}
