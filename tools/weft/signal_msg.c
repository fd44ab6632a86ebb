/* The signaling broker's message side: JSON in, checks, forwarding (see
 * signal_core.h). */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "signal_int.h"

size_t sig_json_string(char *out, const char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  char *p = out;
  *p++ = '"';
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *esc = NULL;
    switch (c) {
    case '"':
      esc = "\\\"";
      break;
    case '\\':
      esc = "\\\\";
      break;
    case '\b':
      esc = "\\b";
      break;
    case '\f':
      esc = "\\f";
      break;
    case '\n':
      esc = "\\n";
      break;
    case '\r':
      esc = "\\r";
      break;
    case '\t':
      esc = "\\t";
      break;
    default:
      break;
    }
    if (esc != NULL) {
      *p++ = esc[0];
      *p++ = esc[1];
    } else if (c < 0x20) {
      memcpy(p, "\\u00", 4);
      p[4] = hex[c >> 4];
      p[5] = hex[c & 15];
      p += 6;
    } else {
      *p++ = (char)c;
    }
  }
  *p++ = '"';
  return (size_t)(p - out);
}

/* Counts an ERROR reply; too many close the session. */
static void bad_input(sig_broker *b, sig_session *s, const char *msg) {
  b->st.bad++;
  if (s->state == SS_CLOSING)
    return;
  sig_send_error(b, s, msg);
  if (++s->errors >= b->cfg.max_errors)
    sig_close_session(b, s);
}

void sig_broker_recv_oversized(sig_broker *b, sig_session *s) {
  b->st.received++;
  bad_input(b, s, "Message too large");
}

/* GCRA: 0 when the message conforms to rate_per_s with rate_burst. */
static int rate_limited(sig_broker *b, sig_session *s, weft_tstamp now) {
  if (b->cfg.rate_per_s == 0)
    return 0;
  weft_tstamp interval = WEFT_SECONDS / b->cfg.rate_per_s;
  weft_tstamp tolerance = interval * b->cfg.rate_burst;
  if (s->tat < now)
    s->tat = now;
  if (s->tat - now > tolerance)
    return 1;
  s->tat += interval;
  return 0;
}

/* The last member named @p name (JSON.parse keeps the last duplicate). */
static cJSON *member(const cJSON *obj, const char *name) {
  cJSON *found = NULL;
  for (cJSON *c = obj->child; c != NULL; c = c->next)
    if (c->string != NULL && strcmp(c->string, name) == 0)
      found = c;
  return found;
}

static const char *const forwarded_types[] = {
    "OFFER", "ANSWER", "CANDIDATE", "LEAVE", "EXPIRE", NULL,
};

static const char *known_type(const char *t) {
  for (size_t i = 0; forwarded_types[i] != NULL; i++)
    if (strcmp(t, forwarded_types[i]) == 0)
      return forwarded_types[i];
  return NULL;
}

/* Forwards {type, src, dst, payload} as the PeerJS server does. */
static void forward(sig_broker *b, sig_session *s, const char *type,
                    const cJSON *dst, const cJSON *payload) {
  if (dst == NULL || cJSON_IsNull(dst) ||
      (cJSON_IsString(dst) && dst->valuestring[0] == '\0')) {
    b->st.dropped++; /* no destination: nothing to do */
    return;
  }
  if (!cJSON_IsString(dst)) {
    bad_input(b, s, "Invalid message: dst is not a string");
    return;
  }
  char *ptext = NULL;
  if (payload != NULL && (ptext = cJSON_PrintUnformatted(payload)) == NULL)
    return;
  size_t srclen = strlen(s->id), dstlen = strlen(dst->valuestring);
  sig_msg *m = sig_format(b, type, s->id, srclen, dst->valuestring, dstlen,
                          ptext, ptext ? strlen(ptext) : 0);
  free(ptext);
  if (m != NULL)
    sig_route(b, type, s->id, srclen, dst->valuestring, dstlen, m);
}

/* Handles one parsed message of a registered session. */
static void handle(sig_broker *b, sig_session *s, weft_tstamp now,
                   const cJSON *msg) {
  if (!cJSON_IsObject(msg)) {
    bad_input(b, s, "Invalid message: not a JSON object");
    return;
  }
  const cJSON *type = member(msg, "type");
  if (!cJSON_IsString(type)) {
    bad_input(b, s, "Invalid message: no type");
    return;
  }
  if (strcmp(type->valuestring, "HEARTBEAT") == 0) {
    sig_alive_touch(b, s, now);
    return;
  }
  const char *t = known_type(type->valuestring);
  if (t == NULL) {
    bad_input(b, s, "Invalid message: unknown type");
    return;
  }
  forward(b, s, t, member(msg, "dst"), member(msg, "payload"));
}

void sig_broker_recv(sig_broker *b, weft_tstamp now, sig_session *s,
                     const char *data, size_t len) {
  b->now = now;
  b->st.received++;
  if (s->state != SS_OPEN) {
    b->st.dropped++; /* rejected or replaced: its messages go nowhere */
    return;
  }
  if (len > b->cfg.max_message) {
    bad_input(b, s, "Message too large");
    return;
  }
  if (rate_limited(b, s, now)) {
    bad_input(b, s, "Too many messages");
    return;
  }
  cJSON *msg = cJSON_ParseWithLength(data, len);
  if (msg == NULL) {
    bad_input(b, s, "Invalid message: not JSON");
    return;
  }
  handle(b, s, now, msg);
  cJSON_Delete(msg);
}
