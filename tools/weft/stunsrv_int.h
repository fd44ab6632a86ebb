/* Internals shared by stunsrv.c, stunsrv_udp.c and stunsrv_tcp.c. */
#ifndef WEFT_TOOL_STUNSRV_INT_H
#define WEFT_TOOL_STUNSRV_INT_H

#include "stunsrv.h"

struct udp_lsn;
struct tcp_lsn;
struct tcp_conn;

struct stunsrv {
  uv_loop_t *loop;
  stunsrv_config cfg;
  weft_stun_server_settings settings;
  stunsrv_stats stats;
  struct udp_lsn *udp[STUNSRV_MAX_LISTEN];
  size_t nudp;
  struct tcp_lsn *tcp[STUNSRV_MAX_LISTEN];
  size_t ntcp;
  struct tcp_conn *conns; /**< doubly linked list of open connections */
  size_t nconns;
  size_t handles; /**< libuv handles not yet closed */
  int closing;
};

/** Opens a UDP listener on @p addr. Returns 0 or a negative errno. */
int stunsrv_udp_open(stunsrv *s, const weft_addr *addr);
void stunsrv_udp_close(struct udp_lsn *u);
const weft_addr *stunsrv_udp_addr(const struct udp_lsn *u);

int stunsrv_tcp_open(stunsrv *s, const weft_addr *addr);
void stunsrv_tcp_close(struct tcp_lsn *t);
void stunsrv_tcp_close_conns(stunsrv *s);
const weft_addr *stunsrv_tcp_addr(const struct tcp_lsn *t);

/** A handle of @p s finished closing; frees @p s after the last one. */
void stunsrv_handle_closed(stunsrv *s);

#endif
