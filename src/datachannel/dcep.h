/* The Data Channel Establishment Protocol codec (RFC 8832): pure functions,
 * no allocation; decoded label and protocol point into the input. */
#ifndef WEFT_DATACHANNEL_DCEP_H
#define WEFT_DATACHANNEL_DCEP_H

#include <stddef.h>
#include <stdint.h>

#include "weft/weft.h"

/** DCEP message types. */
#define WEFT_DCEP_ACK 0x02
#define WEFT_DCEP_OPEN 0x03

/** Channel types (RFC 8832 section 5.1); 0x80 marks unordered. */
#define WEFT_DCEP_RELIABLE 0x00
#define WEFT_DCEP_RELIABLE_UNORDERED 0x80
#define WEFT_DCEP_PR_REXMIT 0x01
#define WEFT_DCEP_PR_REXMIT_UNORDERED 0x81
#define WEFT_DCEP_PR_TIMED 0x02
#define WEFT_DCEP_PR_TIMED_UNORDERED 0x82
#define WEFT_DCEP_UNORDERED_BIT 0x80

/** Fixed part of DATA_CHANNEL_OPEN. */
#define WEFT_DCEP_OPEN_HEADER 12

/** A DATA_CHANNEL_OPEN message. */
typedef struct weft_dcep_open {
  uint8_t channel_type;
  uint16_t priority;
  uint32_t reliability; /**< retransmissions or lifetime (ms) */
  const uint8_t *label;
  uint16_t label_len;
  const uint8_t *protocol;
  uint16_t protocol_len;
} weft_dcep_open;

/** The message type of a DCEP message (first byte), or WEFT_ERR_PARSE. */
int weft_dcep_type(const uint8_t *buf, size_t len);

/**
 * Decodes a DATA_CHANNEL_OPEN. Returns 0 or WEFT_ERR_PARSE (wrong type,
 * truncated, trailing bytes, unknown channel type).
 */
int weft_dcep_open_decode(weft_dcep_open *out, const uint8_t *buf, size_t len);

/** Encodes a DATA_CHANNEL_OPEN. Returns its length or
 * WEFT_ERR_BUFFER_TOO_SMALL. */
int weft_dcep_open_encode(uint8_t *buf, size_t buflen,
                          const weft_dcep_open *in);

/** Decodes a DATA_CHANNEL_ACK: 0 or WEFT_ERR_PARSE. */
int weft_dcep_ack_decode(const uint8_t *buf, size_t len);

/** Encodes a DATA_CHANNEL_ACK (1 byte): its length or
 * WEFT_ERR_BUFFER_TOO_SMALL. */
int weft_dcep_ack_encode(uint8_t *buf, size_t buflen);

/** 1 when @p t is one of the six channel types. */
int weft_dcep_channel_type_valid(uint8_t t);

#endif
