/*
 * SCTP packet and chunk codec (RFC 9260, RFC 3758 FORWARD-TSN, RFC 6525
 * RE-CONFIG). Pure: no allocation, no state. Decoded values are views into
 * the input; encoders append to a weft_wr.
 */
#ifndef WEFT_SCTP_CHUNK_H
#define WEFT_SCTP_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define WEFT_SCTP_HEADER_LEN 12
#define WEFT_SCTP_CHUNK_HEADER_LEN 4
#define WEFT_SCTP_DATA_HEADER_LEN 16

/* Chunk types. */
enum {
  WEFT_SCTP_DATA = 0,
  WEFT_SCTP_INIT = 1,
  WEFT_SCTP_INIT_ACK = 2,
  WEFT_SCTP_SACK = 3,
  WEFT_SCTP_HEARTBEAT = 4,
  WEFT_SCTP_HEARTBEAT_ACK = 5,
  WEFT_SCTP_ABORT = 6,
  WEFT_SCTP_SHUTDOWN = 7,
  WEFT_SCTP_SHUTDOWN_ACK = 8,
  WEFT_SCTP_ERROR = 9,
  WEFT_SCTP_COOKIE_ECHO = 10,
  WEFT_SCTP_COOKIE_ACK = 11,
  WEFT_SCTP_SHUTDOWN_COMPLETE = 14,
  WEFT_SCTP_I_DATA = 64,
  WEFT_SCTP_RE_CONFIG = 130,
  WEFT_SCTP_FORWARD_TSN = 192,
};

/* DATA chunk flags. */
#define WEFT_SCTP_DATA_E 0x01
#define WEFT_SCTP_DATA_B 0x02
#define WEFT_SCTP_DATA_U 0x04
#define WEFT_SCTP_DATA_I 0x08
/* ABORT / SHUTDOWN-COMPLETE: the T bit (tag reflected). */
#define WEFT_SCTP_FLAG_T 0x01

/* INIT / INIT-ACK parameter types. */
enum {
  WEFT_SCTP_PARAM_HEARTBEAT_INFO = 1,
  WEFT_SCTP_PARAM_STATE_COOKIE = 7,
  WEFT_SCTP_PARAM_UNRECOGNIZED = 8,
  WEFT_SCTP_PARAM_COOKIE_PRESERVATIVE = 9,
  WEFT_SCTP_PARAM_SUPPORTED_ADDR_TYPES = 12,
  WEFT_SCTP_PARAM_OUT_SSN_RESET_REQ = 13,
  WEFT_SCTP_PARAM_IN_SSN_RESET_REQ = 14,
  WEFT_SCTP_PARAM_SSN_TSN_RESET_REQ = 15,
  WEFT_SCTP_PARAM_RECONFIG_RESP = 16,
  WEFT_SCTP_PARAM_ADD_OUT_STREAMS = 17,
  WEFT_SCTP_PARAM_ADD_IN_STREAMS = 18,
  WEFT_SCTP_PARAM_RANDOM = 0x8002,
  WEFT_SCTP_PARAM_SUPPORTED_EXT = 0x8008,
  WEFT_SCTP_PARAM_FORWARD_TSN_SUPPORTED = 0xC000,
};

/* Error cause codes. */
enum {
  WEFT_SCTP_CAUSE_INVALID_STREAM = 1,
  WEFT_SCTP_CAUSE_MISSING_PARAM = 2,
  WEFT_SCTP_CAUSE_STALE_COOKIE = 3,
  WEFT_SCTP_CAUSE_OUT_OF_RESOURCE = 4,
  WEFT_SCTP_CAUSE_UNRECOGNIZED_CHUNK = 6,
  WEFT_SCTP_CAUSE_INVALID_PARAM = 7,
  WEFT_SCTP_CAUSE_UNRECOGNIZED_PARAMS = 8,
  WEFT_SCTP_CAUSE_NO_USER_DATA = 9,
  WEFT_SCTP_CAUSE_COOKIE_WHILE_SHUTDOWN = 10,
  WEFT_SCTP_CAUSE_RESTART_NEW_ADDRS = 11,
  WEFT_SCTP_CAUSE_USER_ABORT = 12,
  WEFT_SCTP_CAUSE_PROTOCOL_VIOLATION = 13,
};

/* RE-CONFIG response results (RFC 6525 section 4.4). */
enum {
  WEFT_SCTP_RECONF_SUCCESS_NOTHING = 0,
  WEFT_SCTP_RECONF_SUCCESS_PERFORMED = 1,
  WEFT_SCTP_RECONF_DENIED = 2,
  WEFT_SCTP_RECONF_ERROR_WRONG_SSN = 3,
  WEFT_SCTP_RECONF_ERROR_IN_PROGRESS = 4,
  WEFT_SCTP_RECONF_ERROR_BAD_SEQ = 5,
  WEFT_SCTP_RECONF_IN_PROGRESS = 6,
};

/** TSN / SSN serial number arithmetic (RFC 1982). */
static inline int weft_sctp_tsn_lt(uint32_t a, uint32_t b) {
  return (int32_t)(a - b) < 0;
}
static inline int weft_sctp_tsn_le(uint32_t a, uint32_t b) {
  return (int32_t)(a - b) <= 0;
}
static inline int weft_sctp_ssn_lt(uint16_t a, uint16_t b) {
  return (int16_t)(uint16_t)(a - b) < 0;
}

/** The common header. */
typedef struct weft_sctp_header {
  uint16_t src_port;
  uint16_t dst_port;
  uint32_t vtag;
  uint32_t checksum;
} weft_sctp_header;

/** One chunk, a view into the packet. */
typedef struct weft_sctp_chunk {
  uint8_t type;
  uint8_t flags;
  uint16_t len;         /* chunk length field (header included, unpadded) */
  const uint8_t *value; /* the bytes after the 4-byte chunk header */
  size_t vlen;          /* len - 4 */
} weft_sctp_chunk;

/**
 * Checks a packet's length and CRC-32c and decodes its common header.
 * Returns 0, WEFT_ERR_SCTP_MALFORMED (too short, bad checksum).
 */
int weft_sctp_packet_decode(weft_sctp_header *h, const uint8_t *pkt,
                            size_t len);

/**
 * Iterates chunks after the common header: init @p r over the packet and
 * skip 12 bytes first (weft_sctp_chunks_begin). Returns 1 with @p c, 0 at the
 * end, WEFT_ERR_SCTP_MALFORMED for a bad length.
 */
void weft_sctp_chunks_begin(weft_rd *r, const uint8_t *pkt, size_t len);
int weft_sctp_chunk_next(weft_rd *r, weft_sctp_chunk *c);

/** Writes the common header with a zero checksum. */
int weft_sctp_header_encode(weft_wr *w, uint16_t src_port, uint16_t dst_port,
                            uint32_t vtag);
/** Computes and stores the CRC-32c of a finished packet. */
void weft_sctp_packet_seal(uint8_t *pkt, size_t len);

/** Writes a chunk header; returns where the length goes (for _end). */
int weft_sctp_chunk_begin(weft_wr *w, uint8_t type, uint8_t flags,
                          size_t *start);
/** Patches the chunk length and pads to 4 bytes. */
int weft_sctp_chunk_end(weft_wr *w, size_t start);

/* ---- DATA ---- */
typedef struct weft_sctp_data {
  uint8_t flags;
  uint32_t tsn;
  uint16_t stream;
  uint16_t ssn;
  uint32_t ppid;
  const uint8_t *data;
  size_t len;
} weft_sctp_data;

int weft_sctp_data_decode(weft_sctp_data *d, const weft_sctp_chunk *c);
int weft_sctp_data_encode(weft_wr *w, const weft_sctp_data *d);

/* ---- INIT / INIT-ACK ---- */
typedef struct weft_sctp_init {
  uint32_t tag;
  uint32_t a_rwnd;
  uint16_t os;
  uint16_t mis;
  uint32_t initial_tsn;
  const uint8_t *cookie; /* INIT-ACK state cookie, NULL if absent */
  size_t cookie_len;
  int forward_tsn;             /* Forward-TSN-Supported or in supported ext */
  int reconfig;                /* RE-CONFIG in supported extensions */
  int idata;                   /* I-DATA in supported extensions */
  const uint8_t *unrecognized; /* params to report (views), may be NULL */
  size_t unrecognized_len;
} weft_sctp_init;

/** Decodes an INIT or INIT-ACK (chunk type not checked). */
int weft_sctp_init_decode(weft_sctp_init *in, const weft_sctp_chunk *c);
/**
 * Encodes INIT (@p type WEFT_SCTP_INIT) or INIT-ACK, announcing FORWARD-TSN
 * and RE-CONFIG support; the cookie is written for an INIT-ACK.
 */
int weft_sctp_init_encode(weft_wr *w, uint8_t type, const weft_sctp_init *in);

/* ---- SACK ---- */
typedef struct weft_sctp_sack {
  uint32_t cum_tsn;
  uint32_t a_rwnd;
  uint16_t ngaps;
  uint16_t ndups;
  const uint8_t *gaps; /* ngaps x (start u16, end u16) offsets from cum */
  const uint8_t *dups; /* ndups x u32 */
} weft_sctp_sack;

int weft_sctp_sack_decode(weft_sctp_sack *s, const weft_sctp_chunk *c);
static inline void weft_sctp_sack_gap(const weft_sctp_sack *s, size_t i,
                                      uint16_t *start, uint16_t *end) {
  *start = weft_get_u16(s->gaps + 4 * i);
  *end = weft_get_u16(s->gaps + 4 * i + 2);
}
/** Encodes a SACK from arrays of gap pairs (start, end) and dup TSNs. */
int weft_sctp_sack_encode(weft_wr *w, uint32_t cum_tsn, uint32_t a_rwnd,
                          const uint16_t *gaps, size_t ngaps,
                          const uint32_t *dups, size_t ndups);

/* ---- FORWARD-TSN ---- */
typedef struct weft_sctp_fwd_tsn {
  uint32_t new_cum_tsn;
  size_t nstreams;
  const uint8_t *streams; /* nstreams x (stream u16, ssn u16) */
} weft_sctp_fwd_tsn;

int weft_sctp_fwd_tsn_decode(weft_sctp_fwd_tsn *f, const weft_sctp_chunk *c);
/** @p pairs: npairs x {stream, ssn}. */
int weft_sctp_fwd_tsn_encode(weft_wr *w, uint32_t new_cum_tsn,
                             const uint16_t *pairs, size_t npairs);

/* ---- RE-CONFIG (RFC 6525) ---- */
typedef struct weft_sctp_reconf_param {
  uint16_t type;
  /* OUT_SSN_RESET_REQ: req_sn, resp_sn, last_tsn, streams.
   * IN_SSN_RESET_REQ: req_sn, streams. SSN_TSN_RESET_REQ: req_sn.
   * ADD_*_STREAMS: req_sn, nstreams_add.
   * RECONFIG_RESP: resp_sn (in req_sn), result. */
  uint32_t req_sn;
  uint32_t resp_sn;
  uint32_t last_tsn;
  uint32_t result;
  uint16_t nstreams_add;
  size_t nstreams;
  const uint8_t *streams; /* nstreams x u16 */
} weft_sctp_reconf_param;

/** Iterates the parameters of a RE-CONFIG chunk value: 1, 0 at end, <0. */
int weft_sctp_reconf_next(weft_rd *r, weft_sctp_reconf_param *p);
/** Appends an Outgoing SSN Reset Request parameter inside a chunk. */
int weft_sctp_reconf_out_req_encode(weft_wr *w, uint32_t req_sn,
                                    uint32_t resp_sn, uint32_t last_tsn,
                                    const uint16_t *streams, size_t n);
/** Appends a Re-configuration Response parameter inside a chunk. */
int weft_sctp_reconf_resp_encode(weft_wr *w, uint32_t resp_sn, uint32_t result);

/* ---- error causes (ABORT, ERROR) ---- */
/** First cause code of an ABORT/ERROR chunk, 0 if none. */
uint16_t weft_sctp_first_cause(const weft_sctp_chunk *c);
/** Appends one cause with @p len bytes of info. */
int weft_sctp_cause_encode(weft_wr *w, uint16_t code, const void *info,
                           size_t len);

/** Chunk type name for logs ("DATA", "INIT", ..., "UNKNOWN"). */
const char *weft_sctp_chunk_name(uint8_t type);

#endif
