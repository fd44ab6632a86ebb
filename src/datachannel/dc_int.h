/* Internals of weft_dc, shared by dc.c (object, verbs, event queue, channel
 * table) and dc_chan.c (opening, DCEP, messages, closing). */
#ifndef WEFT_DATACHANNEL_DC_INT_H
#define WEFT_DATACHANNEL_DC_INT_H

#include "weft/datachannel.h"

#include "base/mem.h"

#define LOGM "dc"

/* One channel. */
typedef struct dchan {
  uint16_t id;
  uint8_t state;        /* enum weft_dc_state */
  uint8_t ordered;      /* as asked */
  uint8_t negotiated;   /* no DCEP */
  uint8_t started;      /* OPEN sent or negotiated channel opened */
  uint8_t we_opened;    /* we sent the DCEP OPEN */
  uint8_t acked;        /* unordered allowed (ACK or any message seen) */
  uint8_t reset_queued; /* in the reset FIFO */
  uint8_t out_done, in_done;
  uint8_t reset_tries;
  uint8_t user_sent; /* BUFFERED_LOW only once the user has sent */
  int max_rtx, max_life;
  uint16_t priority;
  size_t low;
  char *label, *protocol;
  size_t label_len, protocol_len;
  uint8_t *partial; /* legacy PPID 52/54 fragments */
  size_t plen, pcap;
} dchan;

struct weft_dc {
  weft_dc_settings s;
  const weft_mem *mem;
  void *user_data;
  weft_sctp_assoc *sctp;
  weft_tstamp now;
  int connected, dead;
  uint32_t id_limit; /* largest usable id */
  uint32_t id_hint;
  /* channel table indexed by stream id */
  dchan **ch;
  uint32_t ch_cap;
  size_t nch;
  /* internal events */
  weft_dc_event *evq;
  uint32_t ev_cap, ev_head, ev_len;
  uint8_t *held; /* data of the last legacy reassembled message */
  /* ids waiting for weft_sctp_reset_streams() to accept them */
  uint16_t *rq;
  uint32_t rq_cap, rq_head, rq_len;
  weft_dc_stats st;
};

/* dc.c */
dchan *dc_chan(const weft_dc *dc, uint32_t id);
int dc_chan_put(weft_dc *dc, dchan *c);
void dc_chan_free(weft_dc *dc, dchan *c);
void dc_emit(weft_dc *dc, int type, uint16_t id, int error);
void dc_rq_push(weft_dc *dc, dchan *c);

/* dc_chan.c */
int dc_start(weft_dc *dc, dchan *c);
void dc_on_connected(weft_dc *dc);
void dc_on_gone(weft_dc *dc, int error);
int dc_on_message(weft_dc *dc, const weft_sctp_event *sev, weft_dc_event *ev);
void dc_on_reset_in(weft_dc *dc, uint16_t id);
void dc_on_reset_out(weft_dc *dc, uint16_t id, int error);
void dc_flush_resets(weft_dc *dc);
void dc_request_reset(weft_dc *dc, dchan *c);

#endif
