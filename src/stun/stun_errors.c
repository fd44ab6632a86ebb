/* Reason phrases of the STUN (RFC 8489), TURN (RFC 8656) and ICE (RFC 8445)
 * error codes. */
#include "weft/stun.h"

#include <stddef.h>

typedef struct reason_text {
  int code;
  const char *text;
} reason_text;

static const reason_text reasons[] = {
    {WEFT_STUN_ERR_TRY_ALTERNATE, "Try Alternate"},
    {WEFT_STUN_ERR_BAD_REQUEST, "Bad Request"},
    {WEFT_STUN_ERR_UNAUTHORIZED, "Unauthenticated"},
    {WEFT_STUN_ERR_FORBIDDEN, "Forbidden"},
    {WEFT_STUN_ERR_UNKNOWN_ATTRIBUTE, "Unknown Attribute"},
    {WEFT_STUN_ERR_ALLOCATION_MISMATCH, "Allocation Mismatch"},
    {WEFT_STUN_ERR_STALE_NONCE, "Stale Nonce"},
    {WEFT_STUN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED,
     "Address Family not Supported"},
    {WEFT_STUN_ERR_WRONG_CREDENTIALS, "Wrong Credentials"},
    {WEFT_STUN_ERR_UNSUPPORTED_TRANSPORT, "Unsupported Transport Protocol"},
    {WEFT_STUN_ERR_PEER_ADDRESS_FAMILY_MISMATCH,
     "Peer Address Family Mismatch"},
    {WEFT_STUN_ERR_ALLOCATION_QUOTA, "Allocation Quota Reached"},
    {WEFT_STUN_ERR_ROLE_CONFLICT, "Role Conflict"},
    {WEFT_STUN_ERR_SERVER_ERROR, "Server Error"},
    {WEFT_STUN_ERR_INSUFFICIENT_CAPACITY, "Insufficient Capacity"},
};

const char *weft_stun_error_reason(int code) {
  for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
    if (reasons[i].code == code)
      return reasons[i].text;
  return "";
}
