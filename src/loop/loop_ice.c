/* The verbs of an ICE agent (weft/ice.h) as a driven object. */
#include "loop/loop_internal.h"
#include "weft/ice.h"

static int ice_recv(void *o, weft_tstamp now, const weft_addr *local,
                    const weft_addr *from, const uint8_t *data, size_t len) {
  return weft_ice_agent_recv(o, now, local, from, data, len);
}

static int ice_poll_transmit(void *o, weft_tstamp now, weft_addr *local,
                             weft_addr *to, uint8_t *buf, size_t buflen) {
  return weft_ice_agent_poll_transmit(o, now, local, to, buf, buflen);
}

static int ice_poll_event(void *o, void *ev) {
  return weft_ice_agent_poll_event(o, ev);
}

static weft_tstamp ice_deadline(void *o) {
  return weft_ice_agent_deadline(o);
}

static int ice_handle_timeout(void *o, weft_tstamp now) {
  return weft_ice_agent_handle_timeout(o, now);
}

static const weft_loop_obj_ops ice_ops = {
    ice_recv,     ice_poll_transmit,  ice_poll_event,
    ice_deadline, ice_handle_timeout, sizeof(weft_ice_event),
};

const weft_loop_obj_ops *weft_loop_ice_ops(void) {
  return &ice_ops;
}
