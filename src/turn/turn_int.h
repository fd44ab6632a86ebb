/* Internals of the TURN server core shared by src/turn/turn_srv_*.c. */
#ifndef WEFT_TURN_TURN_INT_H
#define WEFT_TURN_TURN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "weft/turn.h"

#define TURN_KEY_LEN 16   /* MD5 long-term key */
#define TURN_NONCE_LEN 24 /* 8 hex expiry + 16 hex MAC */
#define TURN_SWEEP_NS (1 * WEFT_SECONDS)

/* A static long-term user (hash chained by name). */
typedef struct turn_user {
  struct turn_user *next;
  char *name;
  weft_stun_key *k;
} turn_user;

/* Allocations per user name, for the user quota (hash chained). */
typedef struct turn_quota {
  struct turn_quota *next;
  uint32_t count;
  char name[];
} turn_quota;

typedef struct turn_perm {
  weft_addr ip; /* port 0 */
  weft_tstamp expiry;
} turn_perm;

typedef struct turn_chan {
  uint16_t num;
  weft_addr peer;
  weft_tstamp expiry;
} turn_chan;

/* One allocation: a client 5-tuple, its relayed address(es) and state. */
typedef struct turn_alloc {
  struct turn_alloc *hnext; /* 5-tuple hash chain */
  uint32_t relay_id;
  weft_turn_path path;
  weft_addr relayed[2]; /* [0] IPv4, [1] IPv6; AF_UNSPEC when absent */
  weft_tstamp expiry;
  turn_quota *quota;
  weft_stun_key *k;       /* key of its requests: a user's or own_key */
  weft_stun_key *own_key; /* REST API users */
  uint8_t alloc_txid[WEFT_STUN_TXID_LEN];
  uint32_t lifetime_s; /* granted by the last Allocate */
  turn_perm *perms;
  uint32_t nperms;
  turn_chan *chans;
  uint32_t nchans;
  uint64_t tokens[2]; /* rate limit: [0] client->peer, [1] peer->client */
  weft_tstamp filled[2];
  char username[]; /* NUL-terminated */
} turn_alloc;

typedef struct turn_txslot {
  weft_turn_transmit tx;
  uint16_t len;
  uint8_t data[WEFT_TURN_MAX_FRAME];
} turn_txslot;

/* One peer range, the IPs as 16 bytes (IPv4 as ::ffff:a.b.c.d). */
typedef struct turn_range {
  uint8_t lo[16];
  uint8_t hi[16];
  int allow;
} turn_range;

struct weft_turn_server {
  const weft_mem *mem;
  weft_turn_server_settings set; /* strings below point to own copies */
  char *realm;
  char *software;
  char *secret;
  weft_turn_server_stats stats;
  weft_hmac_key *nonce_key;
  weft_pcg txid_pcg;     /* transaction ids of Data indications */
  weft_tstamp now;       /* of the call being handled */
  int64_t unix_offset_s; /* unix seconds = now seconds + offset */
  /* users */
  turn_user **users;
  size_t nusers_buckets;
  turn_quota **quotas;
  size_t nquota_buckets;
  /* peer ranges */
  turn_range *ranges;
  size_t nranges;
  /* allocations: by relay id (slot + 1) and by 5-tuple */
  turn_alloc **slots;
  uint32_t nslots;
  uint32_t *free_ids;
  uint32_t nfree;
  turn_alloc **byaddr;
  size_t nbuckets;
  size_t nallocs;
  weft_tstamp next_sweep;
  /* output */
  turn_txslot *txq;
  uint32_t txcap, txhead, txlen;
  weft_turn_server_event *evq;
  uint32_t evcap, evhead, evlen;
};

/* --- turn_srv_auth.c --- */
int turn_users_init(weft_turn_server *s);
void turn_users_free(weft_turn_server *s);
turn_user *turn_user_find(const weft_turn_server *s, const char *name,
                          size_t len);
/* Writes the nonce for @p path at @p now into out[TURN_NONCE_LEN]. */
void turn_nonce_make(weft_turn_server *s, weft_tstamp now,
                     const weft_turn_path *path, char *out);
/* 0 fresh, 1 stale (well formed but expired), -1 invalid. */
int turn_nonce_check(weft_turn_server *s, weft_tstamp now,
                     const weft_turn_path *path, const uint8_t *nonce,
                     size_t len);
/* The key for a REST API user name; NULL when invalid or expired. */
weft_stun_key *turn_rest_key(weft_turn_server *s, weft_tstamp now,
                             const char *name);
turn_quota *turn_quota_get(weft_turn_server *s, const char *name, int create);
void turn_quota_put(weft_turn_server *s, turn_quota *q);

/* --- turn_srv_alloc.c --- */
turn_alloc *turn_alloc_find(const weft_turn_server *s,
                            const weft_turn_path *path);
void turn_alloc_delete(weft_turn_server *s, turn_alloc *a, int expired);
void turn_alloc_free_all(weft_turn_server *s);
/* Request handlers; @p key and @p user are the authenticated credential. */
void turn_handle_allocate(weft_turn_server *s, weft_tstamp now,
                          const weft_turn_path *path, const weft_stun_msg *m,
                          weft_stun_key *key, const char *user,
                          weft_stun_key *owned);
void turn_handle_refresh(weft_turn_server *s, weft_tstamp now,
                         const weft_turn_path *path, const weft_stun_msg *m,
                         turn_alloc *a);
void turn_sweep(weft_turn_server *s, weft_tstamp now);

/* --- turn_srv_perm.c --- */
int turn_peer_allowed(const weft_turn_server *s, const weft_addr *peer);
int turn_ranges_init(weft_turn_server *s);
turn_perm *turn_perm_find(turn_alloc *a, const weft_addr *peer,
                          weft_tstamp now);
void turn_handle_create_permission(weft_turn_server *s, weft_tstamp now,
                                   const weft_turn_path *path,
                                   const weft_stun_msg *m, turn_alloc *a);
void turn_handle_channel_bind(weft_turn_server *s, weft_tstamp now,
                              const weft_turn_path *path,
                              const weft_stun_msg *m, turn_alloc *a);
void turn_perms_expire(weft_turn_server *s, turn_alloc *a, weft_tstamp now);

/* --- turn_srv_relay.c --- */
void turn_handle_send(weft_turn_server *s, weft_tstamp now,
                      const weft_turn_path *path, const weft_stun_msg *m);
void turn_handle_channel_data(weft_turn_server *s, weft_tstamp now,
                              const weft_turn_path *path, const uint8_t *data,
                              size_t len);

/* --- turn_server.c: output --- */
/* A free transmit slot (NULL when the queue is full: counted). Fill it and
 * call turn_tx_commit(). */
turn_txslot *turn_tx_begin(weft_turn_server *s);
void turn_tx_commit(weft_turn_server *s, turn_txslot *t, size_t len);
/* Sends an error response, integrity-protected when @p key is set. */
void turn_send_error(weft_turn_server *s, const weft_turn_path *path,
                     const weft_stun_msg *req, int code, weft_stun_key *key);
/* Starts a success response to @p req in a transmit slot. */
turn_txslot *turn_resp_begin(weft_turn_server *s, const weft_turn_path *path,
                             const weft_stun_msg *req, weft_stun_builder *b);
/* Adds SOFTWARE, MESSAGE-INTEGRITY (key), FINGERPRINT and commits. */
void turn_resp_finish(weft_turn_server *s, turn_txslot *t, weft_stun_builder *b,
                      weft_stun_key *key);
void turn_event(weft_turn_server *s, int type, const turn_alloc *a,
                int expired);
/* The relayed address of @p a for @p family, or NULL. */
const weft_addr *turn_relayed_for(const turn_alloc *a, int family);

#endif
