/* ICE agent internals, shared by agent.c, check.c, stunio.c and gather.c. */
#ifndef WEFT_ICE_ICE_INT_H
#define WEFT_ICE_ICE_INT_H

#include "weft/ice.h"
#include "weft/stun.h"
#include "weft/turn.h"

#include "crypto/crypto.h"

#include <string.h>

#define ICE_NONE 0xFF /* "no index" in a uint8_t index field */
#define ICE_EVQ 16    /* event queue entries */
#define ICE_NOM_RETRIES                                                        \
  3 /* new nominations of a valid pair after a timeout                         \
     */

enum pair_state {
  PAIR_FROZEN = 0,
  PAIR_WAITING,
  PAIR_IN_PROGRESS,
  PAIR_SUCCEEDED,
  PAIR_FAILED,
};

/* pair flags */
#define PF_VALID 0x001     /* a check succeeded: usable */
#define PF_NOMINATED 0x002 /* nominated (USE-CANDIDATE done) */
#define PF_NOMINATING                                                          \
  0x004                    /* controlling: this check carries USE-CANDIDATE    \
                            */
#define PF_NOM_ON_OK 0x008 /* controlled: nominate when the check succeeds */
#define PF_TX 0x010        /* a request is due for transmission */
#define PF_TRIGGERED 0x020 /* in the triggered-check queue */
#define PF_PEER_OK 0x040   /* an authenticated request arrived on it */
#define PF_CONSENT 0x080   /* the open transaction is a consent check */
#define PF_SENT_CTRL 0x100 /* the open request said ICE-CONTROLLING */

typedef struct ice_pair {
  weft_tstamp next; /* retransmission / give-up time of the transaction */
  uint16_t rto_ms;  /* current RTO (rto_max is capped at 65 s) */
  uint16_t flags;
  uint8_t txid[WEFT_STUN_TXID_LEN];
  uint8_t local;       /* base candidate (host or relay) checks leave from */
  uint8_t remote;      /* remote candidate */
  uint8_t valid_local; /* local candidate of the mapped address */
  uint8_t state;       /* enum pair_state */
  uint8_t sent;        /* transmissions of the open transaction */
  uint8_t gen;         /* credential generation (0/1) */
} ice_pair;

typedef struct ice_lcand {
  weft_addr addr;
  weft_addr related; /* srflx/prflx: base address; relay: mapped */
  uint32_t prio;
  uint32_t foundation;
  uint16_t lpref;
  uint8_t type;
  uint8_t base; /* index of the base (itself for host and relay) */
  uint8_t signalled;
} ice_lcand;

typedef struct ice_rcand {
  weft_addr addr;
  uint32_t prio;
  uint32_t foundation; /* hash of the foundation string */
  uint8_t type;
  uint8_t gen;
  char fstr[WEFT_ICE_FOUNDATION_MAX + 1];
} ice_rcand;

typedef struct ice_resp {
  weft_addr to;
  uint8_t txid[WEFT_STUN_TXID_LEN];
  uint16_t code; /* 0: success */
  uint8_t local; /* socket (local candidate index) to answer from */
  uint8_t gen;   /* credentials to sign with; ICE_NONE: unsigned */
  uint8_t nunknown;
  uint16_t unknown[4];
} ice_resp;

typedef struct ice_gtx {
  weft_tstamp next;
  uint32_t rto_ms;
  uint8_t txid[WEFT_STUN_TXID_LEN];
  uint8_t host;
  uint8_t server;
  uint8_t sent;
  uint8_t done; /* 0 running, 1 finished */
  uint8_t tx;   /* a request is due */
} ice_gtx;

typedef struct ice_turn {
  weft_turn_client *c;
  uint8_t host;  /* host candidate whose socket talks to the server */
  uint8_t relay; /* the relay candidate, ICE_NONE before allocation */
  uint8_t done;  /* allocation succeeded or failed */
} ice_turn;

/* What a TURN client unwrapped. */
typedef struct ice_turn_rx {
  int unwrapped;
  weft_addr relayed, peer;
  const uint8_t *payload;
  size_t plen;
} ice_turn_rx;

typedef struct ice_evrec {
  const char *reason;
  int16_t code;
  uint8_t type;
  uint8_t a, b;
} ice_evrec;

/* The credentials of one generation: the local and the remote ones, each a
 * heap block "ufrag\0pwd\0" of its exact size (NULL: both ""); the
 * passwords are the HMAC keys. */
typedef struct ice_creds {
  char *l, *r;
} ice_creds;

static inline const char *ice_cred_pwd(const char *s) {
  return s != NULL ? s + strlen(s) + 1 : "";
}
static inline const char *ice_lufrag(const ice_creds *c) {
  return c->l != NULL ? c->l : "";
}
static inline const char *ice_lpwd(const ice_creds *c) {
  return ice_cred_pwd(c->l);
}
static inline const char *ice_rufrag(const ice_creds *c) {
  return c->r != NULL ? c->r : "";
}
static inline const char *ice_rpwd(const ice_creds *c) {
  return ice_cred_pwd(c->r);
}

struct weft_ice_agent {
  const weft_mem *mem;
  weft_ice_settings s;
  weft_ice_stats st;
  ice_creds cred[2];
  uint64_t tiebreaker;
  ice_lcand *lc;
  ice_rcand *rc;
  ice_pair *pairs;
  uint8_t *trig; /* triggered-check FIFO of pair indices (max_pairs) */
  ice_resp *resp;
  ice_gtx *gtx;
  ice_turn *turn; /* nturn TURN clients (NULL: none configured) */
  uint8_t nturn;
  /* where the application data of the last WEFT_ICE_RECV_APP_DATA is */
  uint16_t app_off, app_len;
  ice_evrec ev[ICE_EVQ];
  uint8_t ev_head, ev_n;
  uint8_t cur; /* current credential generation */
  uint8_t role, remote_lite, state, gather_state;
  uint8_t have_rcreds, end_of_remote, gathering, old_active;
  uint8_t nl, nr, np, nrprflx, ngtx, max_gtx;
  /* allocated lengths of lc, rc, pairs and resp (they grow up to the caps) */
  uint8_t cap_l, cap_r, cap_p, cap_resp;
  uint8_t trig_head, trig_n, resp_head, resp_n;
  uint8_t selected;     /* pair index or ICE_NONE */
  uint8_t nominating;   /* pair index or ICE_NONE */
  uint8_t consent_wait; /* a consent request is unanswered */
  uint8_t disconnected, consent_lost;
  uint8_t ka_tx;          /* a keep-alive indication is due */
  uint8_t fail_fired;     /* fail_timeout has passed */
  uint8_t nom_retries;    /* nomination checks that timed out */
  weft_tstamp next_check; /* pacing */
  weft_tstamp checking_since;
  weft_tstamp first_valid;
  weft_tstamp consent_next;
  weft_tstamp consent_ok;
  weft_tstamp last_tx;
  /* send queue of weft_ice_agent_send: records [u16 len][data] in a ring */
  uint8_t *sq;
  size_t sq_cap, sq_head, sq_used;
};

/* A duration in milliseconds for a uint16_t field, at most 60 s. */
static inline uint16_t ice_ms16(weft_tstamp t) {
  weft_tstamp ms = t / 1000000u;
  return (uint16_t)(ms > 60000 ? 60000 : ms);
}

#define ICE_LOG(a, lvl, ...) WEFT_LOG(&(a)->s.log, lvl, "ice", __VA_ARGS__)

/* agent.c */
void ice_event(weft_ice_agent *a, int type, int x, int y, int code,
               const char *reason);
void ice_update_state(weft_ice_agent *a, weft_tstamp now);
void ice_fail(weft_ice_agent *a, int err, const char *reason);
int ice_find_local(const weft_ice_agent *a, const weft_addr *addr);
int ice_add_local(weft_ice_agent *a, int type, const weft_addr *addr, int base,
                  const weft_addr *related, uint32_t foundation);
uint32_t ice_local_foundation(int type, const weft_addr *base, int server);
void ice_signal_local(weft_ice_agent *a, int i);
void ice_fill_local(const weft_ice_agent *a, int i, weft_ice_candidate *c);
void ice_fill_remote(const weft_ice_agent *a, int i, weft_ice_candidate *c);
uint32_t ice_hash(const void *p, size_t n, uint32_t h);
weft_tstamp ice_jitter(weft_ice_agent *a, weft_tstamp base);
int ice_sq_pop(weft_ice_agent *a, uint8_t *buf, size_t buflen);
int ice_send_allowed(const weft_ice_agent *a);
int ice_send_path(const weft_ice_agent *a, weft_addr *local, weft_addr *to);
int ice_set_local_creds(weft_ice_agent *a, int gen, const char *ufrag,
                        const char *pwd);
void ice_clear_creds(weft_ice_agent *a, ice_creds *c);
int ice_room_remote(weft_ice_agent *a);
void *ice_grow(weft_ice_agent *a, void *arr, uint8_t *cap, size_t max,
               size_t size);
int ice_set_cred(weft_ice_agent *a, char **slot, const char *ufrag,
                 const char *pwd);

/* check.c: the check list */
uint64_t ice_pair_prio(const weft_ice_agent *a, const ice_pair *p);
void ice_recompute_prios(weft_ice_agent *a);
int ice_find_pair(const weft_ice_agent *a, int local, int remote);
int ice_add_pair(weft_ice_agent *a, int local, int remote);
void ice_pair_local(weft_ice_agent *a, int local);
void ice_pair_remote(weft_ice_agent *a, int remote);
void ice_trigger(weft_ice_agent *a, int p);
void ice_check_succeeded(weft_ice_agent *a, weft_tstamp now, int p,
                         int valid_local);
void ice_check_failed(weft_ice_agent *a, weft_tstamp now, int p);
void ice_nominated(weft_ice_agent *a, weft_tstamp now, int p);
void ice_checks_timeout(weft_ice_agent *a, weft_tstamp now);
weft_tstamp ice_checks_deadline(const weft_ice_agent *a);
int ice_can_check(const weft_ice_agent *a);
void ice_new_txn(weft_ice_agent *a, weft_tstamp now, ice_pair *p);

/* consent.c: consent freshness and keep-alives */
void ice_consent_start(weft_ice_agent *a, weft_tstamp now);
void ice_consent_timeout(weft_ice_agent *a, weft_tstamp now);
weft_tstamp ice_consent_deadline(const weft_ice_agent *a);
void ice_consent_ok(weft_ice_agent *a, weft_tstamp now);
int ice_build_keepalive(weft_ice_agent *a, uint8_t *buf, size_t buflen);

/* stunio.c: STUN in and out */
int ice_recv_stun(weft_ice_agent *a, weft_tstamp now, int local,
                  const weft_addr *from, const uint8_t *data, size_t len);
int ice_build_request(weft_ice_agent *a, int p, uint8_t *buf, size_t buflen);
int ice_build_response(weft_ice_agent *a, const ice_resp *r, uint8_t *buf,
                       size_t buflen);
int ice_queue_response(weft_ice_agent *a, int local, const weft_addr *to,
                       const weft_stun_msg *req, int code, int gen);
int ice_add_integrity(weft_stun_builder *b, const char *pwd);

/* turn.c: relay candidates through the agent's TURN clients */
int ice_turn_init(weft_ice_agent *a, const weft_ice_settings *s);
void ice_turn_free(weft_ice_agent *a);
void ice_turn_gather_host(weft_ice_agent *a, weft_tstamp now, int host);
int ice_turn_gathering(const weft_ice_agent *a);
int ice_turn_recv(weft_ice_agent *a, weft_tstamp now, int li,
                  const weft_addr *from, const uint8_t *data, size_t len,
                  ice_turn_rx *rx);
int ice_turn_wrap(weft_ice_agent *a, weft_tstamp now, const weft_addr *local,
                  const weft_addr *to, const uint8_t *buf, size_t len);
int ice_turn_poll(weft_ice_agent *a, weft_addr *local, weft_addr *to,
                  uint8_t *buf, size_t buflen);
weft_tstamp ice_turn_deadline(const weft_ice_agent *a);
void ice_turn_timeout(weft_ice_agent *a, weft_tstamp now);
void ice_turn_close(weft_ice_agent *a, weft_tstamp now);
int ice_turn_relayed(const weft_ice_agent *a, const weft_addr *local);

/* gather.c: server-reflexive candidates */
void ice_gather_host(weft_ice_agent *a, weft_tstamp now, int host);
void ice_gather_timeout(weft_ice_agent *a, weft_tstamp now);
weft_tstamp ice_gather_deadline(const weft_ice_agent *a);
int ice_gather_response(weft_ice_agent *a, weft_tstamp now,
                        const weft_addr *from, const weft_stun_msg *msg);
int ice_build_gather(weft_ice_agent *a, int g, uint8_t *buf, size_t buflen);
void ice_gather_check_done(weft_ice_agent *a);
void ice_restart_gathering(weft_ice_agent *a, weft_tstamp now);

#endif
