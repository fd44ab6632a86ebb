/* Internals of the SCTP association, shared by sctp_assoc.c (handshake,
 * dispatch, timers, events), sctp_tx.c (send queue, retransmission,
 * congestion control, packet building), sctp_rx.c (receive window,
 * reassembly, SACK generation, FORWARD-TSN) and sctp_reconf.c (RFC 6525). */
#ifndef WEFT_SCTP_INT_H
#define WEFT_SCTP_INT_H

#include "weft/sctp.h"

#include "base/buf.h"
#include "base/mem.h"
#include "sctp/sctp_chunk.h"

#define LOGM "sctp"

enum sctp_state {
  ST_CLOSED = 0, /* listening: answers INIT statelessly */
  ST_COOKIE_WAIT,
  ST_COOKIE_ECHOED,
  ST_ESTABLISHED,
  ST_SHUTDOWN_PENDING,
  ST_SHUTDOWN_SENT,
  ST_SHUTDOWN_RECEIVED,
  ST_SHUTDOWN_ACK_SENT,
  ST_DEAD, /* closed or aborted for good */
};

/* ---- send side ---- */

/* One queued user message; fragments reference its bytes. */
typedef struct smsg {
  struct smsg *next; /* pending FIFO */
  uint32_t len;
  uint32_t off; /* next byte to fragment */
  uint32_t ppid;
  uint16_t stream;
  uint16_t ssn;
  uint8_t unordered;
  uint8_t pr;
  uint8_t abandoned;
  uint8_t in_queue;
  uint8_t ssn_set;
  uint32_t pr_value;
  weft_tstamp expiry;
  uint32_t first_tsn; /* TSN of the first fragment (when ntsn > 0) */
  uint32_t ntsn;      /* fragments given a TSN */
  uint32_t live;      /* fragments still in the outstanding ring */
  uint8_t data[];
} smsg;

enum { OC_FREE = 0, OC_FLIGHT, OC_RTX, OC_ACKED, OC_ABANDONED };

/* One outstanding DATA chunk, in a ring indexed by TSN. */
typedef struct ochunk {
  smsg *msg;
  weft_tstamp sent_at;
  uint32_t off;
  uint16_t len;
  uint8_t flags;
  uint8_t state;
  uint8_t miss;
  uint8_t nsent;
} ochunk;

/* ---- receive side ---- */

/* A received DATA chunk, or (flags B|E) a whole reassembled message. */
typedef struct rchunk {
  struct rchunk *next;
  uint32_t tsn;
  uint32_t ppid;
  uint32_t len;
  uint32_t charge; /* bytes counted in rx_held: data plus overhead */
  uint16_t stream;
  uint16_t ssn;
  uint8_t flags;
  uint8_t pooled;
  uint8_t data[];
} rchunk;

/* What a held chunk of @p len costs the receive window: its bytes plus the
 * bookkeeping, so that a peer sending tiny chunks cannot make weft hold far
 * more memory than it advertises. */
#define RCHUNK_CHARGE(len) ((uint32_t)(len) + (uint32_t)sizeof(rchunk))

/* Per-stream state, grown on demand up to the negotiated counts. */
typedef struct sstream {
  uint16_t next_in;  /* next expected SSN */
  uint16_t next_out; /* next SSN to assign */
  uint8_t resetting; /* outgoing reset requested, not done */
  rchunk *pending;   /* complete ordered messages waiting, by SSN */
  smsg *q_head;      /* messages not yet started, FIFO */
  smsg *q_tail;
  size_t buffered; /* bytes queued, not yet sent */
  size_t low;      /* BUFFERED_LOW threshold */
} sstream;

typedef struct evslot {
  weft_sctp_event ev;
  rchunk *owned;
} evslot;

#define SCTP_MAX_DUPS 16
#define SCTP_HB_INFO_MAX 64
#define SCTP_REPLY_MAX 512
#define SCTP_COOKIE_LEN 72
#define SCTP_RESET_MAX 512
#define SCTP_POOL_MAX 256

struct weft_sctp_assoc {
  weft_sctp_settings s;
  const weft_mem *mem;
  void *user_data;
  int state;
  int connect_called;
  int shutdown_done; /* closed gracefully: answer late SHUTDOWN-ACKs */
  uint8_t cookie_key[32];

  /* negotiated */
  uint32_t my_tag, peer_tag;
  uint32_t my_itsn, peer_itsn;
  uint16_t out_streams, in_streams;
  int peer_fwd_tsn, peer_reconfig;
  uint8_t *peer_cookie; /* INIT-ACK cookie to echo */
  size_t peer_cookie_len;

  /* control output flags */
  int need_init, need_cookie_echo, need_cookie_ack;
  int need_sack, need_shutdown, need_shutdown_ack, need_shutdown_complete;
  int need_abort, need_fwd_tsn, need_reconf_req, need_hb;
  uint16_t abort_cause;
  uint8_t hb_ack_info[SCTP_HB_INFO_MAX];
  size_t hb_ack_len; /* 0: none pending */
  int hb_outstanding;
  uint8_t reply[SCTP_REPLY_MAX]; /* a whole packet to send as is */
  size_t reply_len;

  /* timers */
  weft_tstamp t1_at, t2_at, t3_at, sack_at, hb_at, reconf_at;
  int init_count;
  int error_count;

  /* RTT */
  weft_duration srtt, rttvar, rto;
  int have_rtt;

  /* congestion control */
  uint32_t cwnd, ssthresh, pba, flight, peer_rwnd;
  int in_fast_recovery, fast_rtx_pending;
  /* slow start exit on queueing delay (HyStart-like) */
  weft_duration min_rtt, round_min_rtt;
  uint32_t round_end;
  int round_samples;
  uint32_t recovery_exit;

  /* send queue and outstanding ring */
  smsg *cur;        /* message being fragmented (TSNs consecutive) */
  uint16_t *active; /* round robin of streams with queued messages */
  uint32_t act_cap, act_head, act_len;
  size_t tx_total; /* bytes of all live messages */
  ochunk *tx;
  uint32_t tx_cap;    /* power of two */
  uint32_t tx_base;   /* lowest outstanding TSN = cum ack + 1 */
  uint32_t next_tsn;  /* next TSN to assign */
  uint32_t rtx_count; /* chunks in OC_RTX */
  uint32_t rtx_scan;  /* no OC_RTX below this */
  int pr_sent;        /* partially reliable messages were queued */

  /* receive side */
  rchunk **rx;
  uint32_t rx_cap;
  uint32_t rx_low;  /* ring covers [rx_low, rx_low + rx_cap) */
  uint32_t cum;     /* cumulative TSN received */
  uint32_t rx_high; /* highest TSN received */
  size_t rx_held;   /* bytes held (ring, pending, undelivered events) */
  uint32_t last_adv_rwnd;
  uint32_t dups[SCTP_MAX_DUPS];
  size_t ndups;
  int sack_pkts;
  rchunk *pool;
  size_t pool_len;

  /* streams */
  sstream *streams;
  uint32_t nstreams_alloc;

  /* events */
  evslot *evq;
  uint32_t ev_cap, ev_head, ev_len;
  rchunk *ev_owned;
  int ev_nomem;

  /* RE-CONFIG */
  uint32_t my_req_sn, peer_req_sn;
  uint16_t reset_pending[SCTP_RESET_MAX];
  size_t nreset_pending;
  uint16_t reset_inflight[SCTP_RESET_MAX];
  size_t nreset_inflight;
  int reset_inflight_active;
  uint32_t reset_inflight_sn, reset_inflight_tsn;
  int need_reconf_resp;
  uint32_t reconf_resp_sn, reconf_resp_result;
  uint32_t last_resp_result;
  int deferred_active; /* incoming reset waiting for cum >= deferred_tsn */
  uint32_t deferred_sn, deferred_tsn;
  uint16_t deferred_streams[SCTP_RESET_MAX];
  size_t ndeferred;

  weft_sctp_stats st;
};

/* sctp_assoc.c */
void sctp_emit(weft_sctp_assoc *a, const weft_sctp_event *ev, rchunk *owned);
void sctp_die(weft_sctp_assoc *a, int error, uint16_t cause, int send_abort);
sstream *sctp_stream(weft_sctp_assoc *a, uint16_t id);
weft_tstamp sctp_min_deadline(const weft_sctp_assoc *a);

/* sctp_tx.c */
int sctp_tx_init(weft_sctp_assoc *a);
void sctp_tx_free(weft_sctp_assoc *a);
void sctp_tx_on_sack(weft_sctp_assoc *a, weft_tstamp now,
                     const weft_sctp_sack *s);
void sctp_tx_cum_ack(weft_sctp_assoc *a, weft_tstamp now, uint32_t cum);
void sctp_tx_t3_expired(weft_sctp_assoc *a, weft_tstamp now);
int sctp_tx_write_data(weft_sctp_assoc *a, weft_tstamp now, weft_wr *w,
                       int *wrote);
int sctp_tx_write_fwd_tsn(weft_sctp_assoc *a, weft_wr *w);
int sctp_tx_all_acked(const weft_sctp_assoc *a);
void sctp_update_rtt(weft_sctp_assoc *a, weft_duration r);

/* sctp_rx.c */
int sctp_rx_init(weft_sctp_assoc *a);
void sctp_rx_free(weft_sctp_assoc *a);
void sctp_rx_data(weft_sctp_assoc *a, weft_tstamp now, const weft_sctp_data *d);
void sctp_rx_fwd_tsn(weft_sctp_assoc *a, const weft_sctp_fwd_tsn *f);
int sctp_rx_write_sack(weft_sctp_assoc *a, weft_wr *w);
uint32_t sctp_rx_a_rwnd(const weft_sctp_assoc *a);
void sctp_rchunk_free(weft_sctp_assoc *a, rchunk *c);

/* sctp_reconf.c */
void sctp_reconf_recv(weft_sctp_assoc *a, weft_tstamp now,
                      const weft_sctp_chunk *c);
void sctp_reconf_try_start(weft_sctp_assoc *a, weft_tstamp now);
int sctp_reconf_write(weft_sctp_assoc *a, weft_wr *w);
void sctp_reconf_timeout(weft_sctp_assoc *a, weft_tstamp now);
void sctp_reconf_check_deferred(weft_sctp_assoc *a);

#endif
