/* SCTP stream reset (RFC 6525): outgoing SSN reset requests and responses,
 * as data channels close (RFC 8831 section 6.7). */
#include "sctp/sctp_int.h"

static void perform_in_reset(weft_sctp_assoc *a, const uint16_t *streams,
                             size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (streams[i] >= a->in_streams)
      continue;
    sstream *st = sctp_stream(a, streams[i]);
    if (st == NULL)
      continue;
    st->next_in = 0;
    weft_sctp_event ev = {.type = WEFT_SCTP_EVENT_STREAM_RESET_IN,
                          .stream = streams[i]};
    sctp_emit(a, &ev, NULL);
  }
}

static void respond(weft_sctp_assoc *a, uint32_t sn, uint32_t result) {
  a->need_reconf_resp = 1;
  a->reconf_resp_sn = sn;
  a->reconf_resp_result = result;
}

/* Streams of a request: all allocated ones when the list is empty. */
static size_t req_streams(weft_sctp_assoc *a, const weft_sctp_reconf_param *p,
                          uint16_t *out) {
  size_t n = 0;
  if (p->nstreams == 0) {
    for (uint32_t i = 0; i < a->nstreams_alloc && n < SCTP_RESET_MAX; i++)
      out[n++] = (uint16_t)i;
    return n;
  }
  for (size_t i = 0; i < p->nstreams && n < SCTP_RESET_MAX; i++)
    out[n++] = weft_get_u16(p->streams + 2 * i);
  return n;
}

static void on_out_req(weft_sctp_assoc *a, const weft_sctp_reconf_param *p) {
  if (a->deferred_active && p->req_sn == a->deferred_sn) {
    respond(a, p->req_sn, WEFT_SCTP_RECONF_IN_PROGRESS);
    return;
  }
  if (p->req_sn == a->peer_req_sn - 1) {
    respond(a, p->req_sn, a->last_resp_result);
    return;
  }
  if (p->req_sn != a->peer_req_sn || a->deferred_active) {
    respond(a, p->req_sn, WEFT_SCTP_RECONF_ERROR_BAD_SEQ);
    return;
  }
  a->ndeferred = req_streams(a, p, a->deferred_streams);
  a->deferred_sn = p->req_sn;
  a->deferred_tsn = p->last_tsn;
  a->deferred_active = 1;
  sctp_reconf_check_deferred(a);
}

void sctp_reconf_check_deferred(weft_sctp_assoc *a) {
  if (!a->deferred_active || !weft_sctp_tsn_le(a->deferred_tsn, a->cum))
    return;
  a->deferred_active = 0;
  perform_in_reset(a, a->deferred_streams, a->ndeferred);
  a->peer_req_sn++;
  a->last_resp_result = WEFT_SCTP_RECONF_SUCCESS_PERFORMED;
  respond(a, a->deferred_sn, WEFT_SCTP_RECONF_SUCCESS_PERFORMED);
}

static void finish_out(weft_sctp_assoc *a, int error) {
  for (size_t i = 0; i < a->nreset_inflight; i++) {
    sstream *st = sctp_stream(a, a->reset_inflight[i]);
    if (st == NULL)
      continue;
    if (!error)
      st->next_out = 0;
    st->resetting = 0;
    weft_sctp_event ev = {.type = WEFT_SCTP_EVENT_STREAM_RESET_OUT,
                          .stream = a->reset_inflight[i],
                          .error = error};
    sctp_emit(a, &ev, NULL);
  }
  a->nreset_inflight = 0;
  a->reset_inflight_active = 0;
  a->need_reconf_req = 0;
  a->reconf_at = WEFT_TSTAMP_NONE;
  a->my_req_sn++;
}

static void on_resp(weft_sctp_assoc *a, weft_tstamp now,
                    const weft_sctp_reconf_param *p) {
  if (!a->reset_inflight_active || p->resp_sn != a->reset_inflight_sn)
    return;
  switch (p->result) {
  case WEFT_SCTP_RECONF_SUCCESS_NOTHING:
  case WEFT_SCTP_RECONF_SUCCESS_PERFORMED:
    finish_out(a, 0);
    sctp_reconf_try_start(a, now);
    break;
  case WEFT_SCTP_RECONF_IN_PROGRESS:
    a->reconf_at = now + (weft_tstamp)a->rto;
    break;
  default:
    finish_out(a, WEFT_ERR_SCTP_STREAM);
    break;
  }
}

void sctp_reconf_recv(weft_sctp_assoc *a, weft_tstamp now,
                      const weft_sctp_chunk *c) {
  weft_rd r;
  weft_sctp_reconf_param p;
  weft_rd_init(&r, c->value, c->vlen);
  int n = 0;
  while (n++ < 4 && weft_sctp_reconf_next(&r, &p) == 1) {
    switch (p.type) {
    case WEFT_SCTP_PARAM_OUT_SSN_RESET_REQ:
      on_out_req(a, &p);
      break;
    case WEFT_SCTP_PARAM_RECONFIG_RESP:
      on_resp(a, now, &p);
      break;
    case WEFT_SCTP_PARAM_IN_SSN_RESET_REQ:
    case WEFT_SCTP_PARAM_SSN_TSN_RESET_REQ:
    case WEFT_SCTP_PARAM_ADD_OUT_STREAMS:
    case WEFT_SCTP_PARAM_ADD_IN_STREAMS:
      if (p.req_sn == a->peer_req_sn) {
        a->peer_req_sn++;
        a->last_resp_result = WEFT_SCTP_RECONF_DENIED;
      }
      respond(a, p.req_sn, WEFT_SCTP_RECONF_DENIED);
      break;
    default:
      break;
    }
  }
}

void sctp_reconf_try_start(weft_sctp_assoc *a, weft_tstamp now) {
  if (a->reset_inflight_active || a->nreset_pending == 0 ||
      a->state != ST_ESTABLISHED)
    return;
  for (size_t i = 0; i < a->nreset_pending; i++) {
    sstream *st = sctp_stream(a, a->reset_pending[i]);
    if (st != NULL && st->buffered > 0)
      return; /* queued data goes first */
  }
  for (size_t i = 0; i < a->nreset_pending; i++)
    a->reset_inflight[i] = a->reset_pending[i];
  a->nreset_inflight = a->nreset_pending;
  a->nreset_pending = 0;
  a->reset_inflight_active = 1;
  a->reset_inflight_sn = a->my_req_sn;
  a->reset_inflight_tsn = a->next_tsn - 1;
  a->need_reconf_req = 1;
  a->reconf_at = now + (weft_tstamp)a->rto;
}

void sctp_reconf_timeout(weft_sctp_assoc *a, weft_tstamp now) {
  a->reconf_at = WEFT_TSTAMP_NONE;
  if (!a->reset_inflight_active)
    return;
  a->need_reconf_req = 1;
  a->reconf_at = now + (weft_tstamp)a->rto;
}

int sctp_reconf_write(weft_sctp_assoc *a, weft_wr *w) {
  if (!a->need_reconf_req && !a->need_reconf_resp)
    return 0;
  size_t need = 4 + (a->need_reconf_resp ? 12 : 0) +
                (a->need_reconf_req ? 16 + 2 * a->nreset_inflight + 2 : 0);
  if (weft_wr_left(w) < need)
    return 0;
  size_t start;
  weft_sctp_chunk_begin(w, WEFT_SCTP_RE_CONFIG, 0, &start);
  if (a->need_reconf_req)
    weft_sctp_reconf_out_req_encode(w, a->reset_inflight_sn, a->peer_req_sn - 1,
                                    a->reset_inflight_tsn, a->reset_inflight,
                                    a->nreset_inflight);
  if (a->need_reconf_resp)
    weft_sctp_reconf_resp_encode(w, a->reconf_resp_sn, a->reconf_resp_result);
  a->need_reconf_req = 0;
  a->need_reconf_resp = 0;
  return weft_sctp_chunk_end(w, start);
}

int weft_sctp_reset_streams(weft_sctp_assoc *a, weft_tstamp now,
                            const uint16_t *streams, size_t n) {
  if (a == NULL || streams == NULL || n == 0)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (a->state != ST_ESTABLISHED)
    return WEFT_ERR_INVALID_STATE;
  if (!a->peer_reconfig)
    return WEFT_ERR_UNSUPPORTED;
  if (a->nreset_pending + n > SCTP_RESET_MAX)
    return WEFT_ERR_QUEUE_FULL;
  for (size_t i = 0; i < n; i++)
    if (streams[i] >= a->out_streams)
      return WEFT_ERR_SCTP_STREAM;
  for (size_t i = 0; i < n; i++) {
    sstream *st = sctp_stream(a, streams[i]);
    if (st == NULL)
      return WEFT_ERR_NOMEM;
    if (st->resetting)
      continue;
    st->resetting = 1;
    a->reset_pending[a->nreset_pending++] = streams[i];
  }
  sctp_reconf_try_start(a, now);
  return 0;
}
