/* weft_dc: the object, its five verbs, the channel table and the event
 * queue. */
#include <string.h>

#include "datachannel/dc_int.h"

void weft_dc_settings_default(weft_dc_settings *s) {
  memset(s, 0, sizeof(*s));
  weft_sctp_settings_default(&s->sctp);
  s->sctp.mtu = WEFT_DC_DEFAULT_MTU;
  s->role = WEFT_DC_ROLE_UNKNOWN;
  weft_log_default(&s->log);
}

void weft_dc_channel_init_default(weft_dc_channel_init *init) {
  memset(init, 0, sizeof(*init));
  init->ordered = 1;
  init->max_retransmits = -1;
  init->max_packet_lifetime = -1;
  init->priority = 256;
  init->id = -1;
}

int weft_dc_new(weft_dc **out, const weft_dc_settings *settings,
                const weft_mem *mem, void *user_data) {
  if (out == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  *out = NULL;
  weft_dc *dc = weft_calloc(mem, 1, sizeof(*dc));
  if (dc == NULL)
    return WEFT_ERR_NOMEM;
  if (settings != NULL)
    dc->s = *settings;
  else
    weft_dc_settings_default(&dc->s);
  if (dc->s.role < WEFT_DC_ROLE_UNKNOWN || dc->s.role > WEFT_DC_ROLE_SERVER) {
    weft_free(mem, dc);
    return WEFT_ERR_INVALID_ARGUMENT;
  }
  if (dc->s.remote_max_message_size == 0)
    dc->s.remote_max_message_size = dc->s.sctp.max_message_size;
  dc->mem = mem;
  dc->user_data = user_data;
  dc->id_limit = WEFT_DC_MAX_ID;
  int rv = weft_sctp_assoc_new(&dc->sctp, &dc->s.sctp, mem, dc);
  if (rv != 0) {
    weft_free(mem, dc);
    return rv;
  }
  *out = dc;
  return 0;
}

void weft_dc_del(weft_dc *dc) {
  if (dc == NULL)
    return;
  for (uint32_t i = 0; i < dc->ch_cap; i++)
    if (dc->ch[i] != NULL)
      dc_chan_free(dc, dc->ch[i]);
  weft_free(dc->mem, dc->ch);
  weft_free(dc->mem, dc->evq);
  weft_free(dc->mem, dc->held);
  weft_free(dc->mem, dc->rq);
  weft_sctp_assoc_del(dc->sctp);
  weft_free(dc->mem, dc);
}

void *weft_dc_user_data(const weft_dc *dc) {
  return dc ? dc->user_data : NULL;
}

int weft_dc_set_role(weft_dc *dc, int role) {
  if (dc == NULL || role < WEFT_DC_ROLE_CLIENT || role > WEFT_DC_ROLE_SERVER)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (dc->s.role != WEFT_DC_ROLE_UNKNOWN && dc->s.role != role)
    return WEFT_ERR_INVALID_STATE;
  dc->s.role = role;
  return 0;
}

const weft_sctp_assoc *weft_dc_sctp(const weft_dc *dc) {
  return dc ? dc->sctp : NULL;
}

void weft_dc_get_stats(const weft_dc *dc, weft_dc_stats *st) {
  if (dc != NULL && st != NULL)
    *st = dc->st;
}

size_t weft_dc_channel_count(const weft_dc *dc) {
  return dc ? dc->nch : 0;
}

/* ---- channel table ---- */

dchan *dc_chan(const weft_dc *dc, uint32_t id) {
  return id < dc->ch_cap ? dc->ch[id] : NULL;
}

int dc_chan_put(weft_dc *dc, dchan *c) {
  if (c->id >= dc->ch_cap) {
    uint32_t cap = dc->ch_cap ? dc->ch_cap : 64;
    while (cap <= c->id)
      cap *= 2;
    dchan **n = weft_realloc(dc->mem, dc->ch, cap * sizeof(*n));
    if (n == NULL)
      return WEFT_ERR_NOMEM;
    memset(n + dc->ch_cap, 0, (cap - dc->ch_cap) * sizeof(*n));
    dc->ch = n;
    dc->ch_cap = cap;
  }
  dc->ch[c->id] = c;
  dc->nch++;
  return 0;
}

/* Removes the channel from the table (when it is there) and frees it. */
void dc_chan_free(weft_dc *dc, dchan *c) {
  if (c->id < dc->ch_cap && dc->ch[c->id] == c) {
    dc->ch[c->id] = NULL;
    dc->nch--;
  }
  weft_free(dc->mem, c->label);
  weft_free(dc->mem, c->protocol);
  weft_free(dc->mem, c->partial);
  weft_free(dc->mem, c);
}

/* ---- events ---- */

void dc_emit(weft_dc *dc, int type, uint16_t id, int error) {
  if (dc->ev_len == dc->ev_cap) {
    uint32_t cap = dc->ev_cap ? dc->ev_cap * 2 : 64;
    weft_dc_event *n = weft_malloc(dc->mem, cap * sizeof(*n));
    if (n == NULL) {
      dc->st.events_dropped++;
      return;
    }
    for (uint32_t i = 0; i < dc->ev_len; i++)
      n[i] = dc->evq[(dc->ev_head + i) % dc->ev_cap];
    weft_free(dc->mem, dc->evq);
    dc->evq = n;
    dc->ev_cap = cap;
    dc->ev_head = 0;
  }
  weft_dc_event *e = &dc->evq[(dc->ev_head + dc->ev_len) % dc->ev_cap];
  memset(e, 0, sizeof(*e));
  e->type = type;
  e->id = id;
  e->error = error;
  dc->ev_len++;
}

static int ev_pop(weft_dc *dc, weft_dc_event *ev) {
  if (dc->ev_len == 0)
    return 0;
  *ev = dc->evq[dc->ev_head];
  dc->ev_head = (dc->ev_head + 1) % dc->ev_cap;
  dc->ev_len--;
  return 1;
}

/* Handles one association event; returns 1 when it becomes @p ev at once
 * (a message), 0 when it queued events or none. */
static int on_sctp_event(weft_dc *dc, const weft_sctp_event *sev,
                         weft_dc_event *ev) {
  dchan *c;
  switch (sev->type) {
  case WEFT_SCTP_EVENT_CONNECTED:
    dc_on_connected(dc);
    return 0;
  case WEFT_SCTP_EVENT_MESSAGE:
    return dc_on_message(dc, sev, ev);
  case WEFT_SCTP_EVENT_STREAM_RESET_IN:
    dc_on_reset_in(dc, sev->stream);
    return 0;
  case WEFT_SCTP_EVENT_STREAM_RESET_OUT:
    dc_on_reset_out(dc, sev->stream, sev->error);
    return 0;
  case WEFT_SCTP_EVENT_BUFFERED_LOW:
    c = dc_chan(dc, sev->stream);
    if (c != NULL && c->user_sent && c->state != WEFT_DC_CLOSED)
      dc_emit(dc, WEFT_DC_EVENT_BUFFERED_LOW, sev->stream, 0);
    return 0;
  case WEFT_SCTP_EVENT_CLOSED:
    dc_on_gone(dc, 0);
    return 0;
  case WEFT_SCTP_EVENT_ABORTED:
    dc_on_gone(dc, sev->error ? sev->error : WEFT_ERR_SCTP_ABORTED);
    return 0;
  default:
    return 0;
  }
}

int weft_dc_poll_event(weft_dc *dc, weft_dc_event *ev) {
  if (dc == NULL || ev == NULL)
    return 0;
  weft_free(dc->mem, dc->held);
  dc->held = NULL;
  dc_flush_resets(dc);
  for (;;) {
    if (ev_pop(dc, ev))
      return 1;
    weft_sctp_event sev;
    if (!weft_sctp_poll_event(dc->sctp, &sev))
      return 0;
    memset(ev, 0, sizeof(*ev));
    /* the queue is empty here and a message queues nothing */
    if (on_sctp_event(dc, &sev, ev))
      return 1;
    dc_flush_resets(dc);
  }
}

/* ---- the other verbs ---- */

int weft_dc_connect(weft_dc *dc, weft_tstamp now) {
  if (dc == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  dc->now = now;
  return weft_sctp_connect(dc->sctp, now);
}

int weft_dc_recv(weft_dc *dc, weft_tstamp now, const uint8_t *packet,
                 size_t len) {
  if (dc == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  dc->now = now;
  return weft_sctp_recv(dc->sctp, now, packet, len);
}

int weft_dc_poll_transmit(weft_dc *dc, weft_tstamp now, uint8_t *buf,
                          size_t buflen) {
  if (dc == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  dc->now = now;
  return weft_sctp_poll_transmit(dc->sctp, now, buf, buflen);
}

weft_tstamp weft_dc_deadline(const weft_dc *dc) {
  return dc ? weft_sctp_deadline(dc->sctp) : WEFT_TSTAMP_NONE;
}

int weft_dc_handle_timeout(weft_dc *dc, weft_tstamp now) {
  if (dc == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  dc->now = now;
  return weft_sctp_handle_timeout(dc->sctp, now);
}

int weft_dc_shutdown(weft_dc *dc, weft_tstamp now) {
  if (dc == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  dc->now = now;
  return weft_sctp_shutdown(dc->sctp, now);
}

size_t weft_dc_buffered_amount(const weft_dc *dc, uint16_t id) {
  if (dc == NULL || dc_chan(dc, id) == NULL)
    return 0;
  return weft_sctp_buffered_amount(dc->sctp, id);
}

int weft_dc_set_buffered_amount_low_threshold(weft_dc *dc, uint16_t id,
                                              size_t threshold) {
  if (dc == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  dchan *c = dc_chan(dc, id);
  if (c == NULL)
    return WEFT_ERR_NOT_FOUND;
  c->low = threshold;
  if (!c->started) /* applied when the channel opens */
    return 0;
  return weft_sctp_set_buffered_low(dc->sctp, id, threshold);
}

int weft_dc_channel_info(const weft_dc *dc, uint16_t id,
                         weft_dc_channel *info) {
  if (dc == NULL || info == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  const dchan *c = dc_chan(dc, id);
  if (c == NULL)
    return WEFT_ERR_NOT_FOUND;
  memset(info, 0, sizeof(*info));
  info->id = c->id;
  info->state = c->state;
  info->label = c->label;
  info->label_len = c->label_len;
  info->protocol = c->protocol;
  info->protocol_len = c->protocol_len;
  info->ordered = c->ordered;
  info->max_retransmits = c->max_rtx;
  info->max_packet_lifetime = c->max_life;
  info->priority = c->priority;
  info->negotiated = c->negotiated;
  info->buffered_amount = weft_sctp_buffered_amount(dc->sctp, id);
  info->buffered_amount_low_threshold = c->low;
  return 0;
}

/* ---- reset FIFO ---- */

void dc_rq_push(weft_dc *dc, dchan *c) {
  if (c->reset_queued)
    return;
  if (dc->rq_len == dc->rq_cap) {
    uint32_t cap = dc->rq_cap ? dc->rq_cap * 2 : 64;
    uint16_t *n = weft_malloc(dc->mem, cap * sizeof(*n));
    if (n == NULL) {
      c->out_done = 1; /* cannot reset: give up on the outgoing side */
      return;
    }
    for (uint32_t i = 0; i < dc->rq_len; i++)
      n[i] = dc->rq[(dc->rq_head + i) % dc->rq_cap];
    weft_free(dc->mem, dc->rq);
    dc->rq = n;
    dc->rq_cap = cap;
    dc->rq_head = 0;
  }
  dc->rq[(dc->rq_head + dc->rq_len) % dc->rq_cap] = c->id;
  dc->rq_len++;
  c->reset_queued = 1;
}

void dc_flush_resets(weft_dc *dc) {
  while (dc->rq_len > 0) {
    uint16_t id = dc->rq[dc->rq_head];
    dchan *c = dc_chan(dc, id);
    if (c != NULL && c->reset_queued) {
      int rv = weft_sctp_reset_streams(dc->sctp, dc->now, &id, 1);
      if (rv == WEFT_ERR_QUEUE_FULL)
        return; /* retried after the next STREAM_RESET_OUT */
      c->reset_queued = 0;
      if (rv != 0) {
        /* no reset possible (no RE-CONFIG, association closing) */
        dc_emit(dc, WEFT_DC_EVENT_ERROR, id, rv);
        dc_on_reset_out(dc, id, 0);
      }
    }
    dc->rq_head = (dc->rq_head + 1) % dc->rq_cap;
    dc->rq_len--;
  }
}
