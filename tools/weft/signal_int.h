/* Internals of the signaling broker, shared by signal_core.c and
 * signal_msg.c. */
#ifndef WEFT_TOOL_SIGNAL_INT_H
#define WEFT_TOOL_SIGNAL_INT_H

#include "signal_core.h"

/* A chained hash table of nodes keyed by bytes. */
typedef struct sig_hnode {
  struct sig_hnode *next;
  uint64_t hash;
  const char *key;
  size_t keylen;
} sig_hnode;

typedef struct sig_map {
  sig_hnode **buckets;
  size_t nbuckets; /* power of two */
  size_t count;
  uint64_t seed;
} sig_map;

/* A queued message: [headroom][json][src id NUL] in buf. */
typedef struct sig_msg {
  struct sig_msg *next;
  size_t len;    /* json bytes */
  size_t srclen; /* held messages: bytes of the sender's id after json */
  char buf[];
} sig_msg;

/* Messages held for an absent id. */
typedef struct sig_held {
  sig_hnode node;                 /* key: dst id (stored after the struct) */
  struct sig_held *fprev, *fnext; /* expiry FIFO, oldest first */
  sig_msg *head, **tail;
  uint32_t count;
  weft_tstamp created;
} sig_held;

/* Sessions per source address. */
typedef struct sig_addrcount {
  sig_hnode node;
  uint32_t count;
} sig_addrcount;

enum sig_state { SS_NEW, SS_OPEN, SS_CLOSING };

struct sig_session {
  sig_hnode node;             /* key: id (when registered) */
  sig_session *aprev, *anext; /* alive list, oldest ping first */
  sig_session *pprev, *pnext; /* pending events */
  int pflags;                 /* SIG_EV_* pending, 0: not listed */
  void *user;
  sig_msg *out_head, **out_tail;
  size_t out_bytes;
  weft_tstamp last_ping;
  weft_tstamp tat; /* GCRA theoretical arrival time */
  uint32_t errors;
  uint8_t state;
  uint8_t registered; /* in the id map */
  sig_addrcount *addr;
  char *id, *token;
};

struct sig_broker {
  sig_config cfg;
  char *key;
  sig_map ids, held, addrs;
  sig_session *alive_head, *alive_tail;
  sig_held *fifo_head, *fifo_tail;
  sig_session *pend_head, *pend_tail;
  uint32_t held_total;
  size_t held_bytes;
  weft_tstamp now; /* time of the input being handled */
  sig_stats st;
};

/* Map. */
int sig_map_init(sig_map *m, uint64_t seed);
void sig_map_free(sig_map *m);
sig_hnode *sig_map_find(const sig_map *m, const char *key, size_t len);
int sig_map_insert(sig_map *m, sig_hnode *n, const char *key, size_t len);
void sig_map_remove(sig_map *m, sig_hnode *n);

/* Output. */
sig_msg *sig_msg_new(const sig_broker *b, size_t cap);
void sig_queue_msg(sig_broker *b, sig_session *s, sig_msg *m);
void sig_send_error(sig_broker *b, sig_session *s, const char *msg);
void sig_mark(sig_broker *b, sig_session *s, int flags);
void sig_close_session(sig_broker *b, sig_session *s);

/* Routing (signal_core.c) of a formatted message from src to dst. */
void sig_route(sig_broker *b, const char *type, const char *src, size_t srclen,
               const char *dst, size_t dstlen, sig_msg *m);
/* {"type":T,"src":S,"dst":D[,"payload":P]} from its parts (P raw JSON). */
sig_msg *sig_format(const sig_broker *b, const char *type, const char *src,
                    size_t srclen, const char *dst, size_t dstlen,
                    const char *payload, size_t plen);
void sig_alive_touch(sig_broker *b, sig_session *s, weft_tstamp now);

#endif
