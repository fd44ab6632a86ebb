/* weft_strerror: one line of text for every weft_error. */
#include "weft/weft.h"

#include <stddef.h>

typedef struct err_text {
  int code;
  const char *text;
} err_text;

static const err_text texts[] = {
    {WEFT_OK, "success"},
    {WEFT_ERR_INVALID_ARGUMENT, "invalid argument"},
    {WEFT_ERR_NOMEM, "out of memory"},
    {WEFT_ERR_BUFFER_TOO_SMALL, "buffer too small"},
    {WEFT_ERR_PARSE, "malformed input"},
    {WEFT_ERR_NOT_FOUND, "not found"},
    {WEFT_ERR_QUEUE_FULL, "queue full"},
    {WEFT_ERR_INVALID_STATE, "operation not valid in this state"},
    {WEFT_ERR_UNSUPPORTED, "not supported"},
    {WEFT_ERR_EXISTS, "already exists"},
    {WEFT_ERR_LIMIT, "limit reached"},
    {WEFT_ERR_IO, "input/output error"},
    {WEFT_ERR_TIMEOUT, "timed out"},
    {WEFT_ERR_ADDR_PARSE, "not a valid IP address and port"},
    {WEFT_ERR_ADDR_IN_USE, "address already in use"},
    {WEFT_ERR_RESOLVE, "host name could not be resolved"},
    {WEFT_ERR_STUN_NOT_STUN, "not a STUN message"},
    {WEFT_ERR_STUN_MALFORMED, "malformed STUN message"},
    {WEFT_ERR_STUN_FINGERPRINT, "STUN FINGERPRINT mismatch"},
    {WEFT_ERR_STUN_INTEGRITY, "STUN MESSAGE-INTEGRITY mismatch"},
    {WEFT_ERR_STUN_NO_INTEGRITY, "STUN message has no MESSAGE-INTEGRITY"},
    {WEFT_ERR_STUN_UNKNOWN_ATTRIBUTE,
     "STUN message has unknown comprehension-required attributes"},
    {WEFT_ERR_STUN_TOO_MANY_ATTRIBUTES, "STUN message has too many attributes"},
    {WEFT_ERR_STUN_ERROR_RESPONSE, "STUN error response"},
    {WEFT_ERR_STUN_TIMEOUT, "STUN transaction timed out"},
    {WEFT_ERR_STUN_ATTRIBUTE_MISSING, "STUN message lacks a needed attribute"},
    {WEFT_ERR_TURN_ALLOCATION, "TURN allocation failed"},
    {WEFT_ERR_TURN_AUTH, "TURN authentication failed"},
    {WEFT_ERR_TURN_QUOTA, "TURN quota reached"},
    {WEFT_ERR_TURN_PERMISSION, "TURN permission refused"},
    {WEFT_ERR_ICE_FAILED, "ICE failed: no candidate pair works"},
    {WEFT_ERR_ICE_ROLE_CONFLICT, "ICE role conflict"},
    {WEFT_ERR_ICE_CONSENT_EXPIRED, "ICE consent expired"},
    {WEFT_ERR_ICE_CANDIDATE, "invalid ICE candidate"},
    {WEFT_ERR_CRYPTO, "cryptographic operation failed"},
    {WEFT_ERR_DTLS_HANDSHAKE, "DTLS handshake failed"},
    {WEFT_ERR_DTLS_FINGERPRINT,
     "DTLS certificate does not match the fingerprint"},
    {WEFT_ERR_DTLS_ALERT, "DTLS alert received"},
    {WEFT_ERR_DTLS_CLOSED, "DTLS connection closed"},
    {WEFT_ERR_CERTIFICATE, "certificate error"},
    {WEFT_ERR_SCTP_ABORTED, "SCTP association aborted"},
    {WEFT_ERR_SCTP_MALFORMED, "malformed SCTP packet"},
    {WEFT_ERR_SCTP_MESSAGE_TOO_BIG, "message larger than max-message-size"},
    {WEFT_ERR_SCTP_STREAM, "invalid SCTP stream"},
    {WEFT_ERR_SCTP_CLOSED, "SCTP association closed"},
    {WEFT_ERR_DATACHANNEL, "data channel error"},
    {WEFT_ERR_DATACHANNEL_CLOSED, "data channel closed"},
    {WEFT_ERR_SRTP_AUTH, "SRTP authentication failed"},
    {WEFT_ERR_SRTP_REPLAY, "SRTP replayed packet"},
    {WEFT_ERR_RTP_MALFORMED, "malformed RTP packet"},
    {WEFT_ERR_RTCP_MALFORMED, "malformed RTCP packet"},
    {WEFT_ERR_SDP_PARSE, "malformed SDP"},
    {WEFT_ERR_SDP_INVALID, "SDP not acceptable"},
    {WEFT_ERR_JSEP_STATE, "description not valid in this signaling state"},
    {WEFT_ERR_FATAL, "fatal error"},
    {WEFT_ERR_INTERNAL, "internal error"},
};

const char *weft_strerror(int err) {
  for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
    if (texts[i].code == err)
      return texts[i].text;
  return "unknown error";
}
