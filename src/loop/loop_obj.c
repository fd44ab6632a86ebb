/* The generic driver: one uv_timer per sans-IO object, drain after every
 * input, re-arm to the object's deadline. */
#include "loop/loop_internal.h"

#include <string.h>

#include "base/mem.h"

/* Bounds of one drain; an object with more pending is drained again from
 * the next loop iteration (its timer armed to fire at once). */
#define MAX_TX_PER_DRAIN 1024
#define MAX_EV_PER_DRAIN 256
#define MAX_ROUNDS 4

enum { OBJ_REDRAIN = 1u << 3 };

static void on_timer(uv_timer_t *t);

static void rearm(weft_loop_obj *o, weft_tstamp now) {
  weft_tstamp dl = o->ops->deadline(o->obj);
  if (o->flags & OBJ_REDRAIN)
    dl = now;
  if (dl == o->armed)
    return;
  if (dl == WEFT_TSTAMP_NONE) {
    uv_timer_stop(&o->timer);
    o->armed = WEFT_TSTAMP_NONE;
    return;
  }
  /* libuv counts milliseconds: round up so that the timer never fires
   * before the deadline (an early wake-up is re-armed in on_timer). */
  uint64_t ms =
      dl <= now ? 0 : (dl - now + WEFT_MILLISECONDS - 1) / WEFT_MILLISECONDS;
  /* libuv counts from its cached loop time, which lags behind: add the lag
   * so that the timer does not fire early. */
  uint64_t now_ms = now / WEFT_MILLISECONDS, loop_ms = uv_now(o->loop->uv);
  if (ms > 0 && now_ms > loop_ms)
    ms += now_ms - loop_ms;
  uv_timer_start(&o->timer, on_timer, ms, 0);
  o->armed = dl;
}

static void on_timer(uv_timer_t *t) {
  weft_loop_obj *o = (weft_loop_obj *)(void *)t;
  weft_loop *l = o->loop;
  o->armed = WEFT_TSTAMP_NONE;
  if (o->flags & OBJ_DEAD)
    return;
  weft_tstamp now = weft_loop_now(l);
  if (!(o->flags & OBJ_REDRAIN)) {
    weft_tstamp dl = o->ops->deadline(o->obj);
    if (dl == WEFT_TSTAMP_NONE || dl > now) {
      rearm(o, now); /* woke early (or the deadline moved) */
      return;
    }
    l->stats.timer_fires++;
    o->ops->handle_timeout(o->obj, now);
  }
  loop_obj_drain(l, o, now);
}

/* Sends every pending transmit; returns 1 when the bound was hit. */
static int drain_transmits(weft_loop_obj *o, weft_tstamp now) {
  weft_loop *l = o->loop;
  for (int i = 0; i < MAX_TX_PER_DRAIN; i++) {
    weft_addr local, to;
    memset(&local, 0, sizeof(local));
    memset(&to, 0, sizeof(to));
    int n = o->ops->poll_transmit(o->obj, now, &local, &to, l->tx_buf,
                                  sizeof(l->tx_buf));
    if (n <= 0) {
      if (n < 0)
        WEFT_LOG(&l->settings.log, WEFT_LOG_WARN, "loop", "poll_transmit: %s",
                 weft_strerror(n));
      return 0;
    }
    loop_obj_send(o, &local, &to, l->tx_buf, (size_t)n);
  }
  return 1;
}

/* Hands every pending event to the application; returns the number
 * delivered, or -1 when the bound was hit. */
static int drain_events(weft_loop_obj *o) {
  weft_loop *l = o->loop;
  for (int i = 0; i < MAX_EV_PER_DRAIN; i++) {
    if (o->flags & OBJ_DEAD)
      return i;
    if (o->ops->poll_event(o->obj, l->ev_buf) != 1)
      return i;
    if (o->cb != NULL && o->cb->on_event != NULL)
      o->cb->on_event(o, o->user_data, l->ev_buf);
  }
  return -1;
}

static void drain_one(weft_loop_obj *o, weft_tstamp now) {
  o->flags &= ~(unsigned)(OBJ_PENDING | OBJ_REDRAIN);
  if (o->flags & OBJ_DEAD)
    return;
  o->loop->stats.drains++;
  /* An event callback may change the object without a kick: drain again
   * while events come (bounded). */
  for (int round = 0; round < MAX_ROUNDS; round++) {
    if (drain_transmits(o, now) != 0) {
      o->flags |= OBJ_REDRAIN;
      break;
    }
    int nev = drain_events(o);
    if (o->flags & OBJ_DEAD)
      return;
    if (nev < 0 || (nev > 0 && round == MAX_ROUNDS - 1)) {
      o->flags |= OBJ_REDRAIN;
      break;
    }
    if (nev == 0)
      break;
  }
  rearm(o, now);
}

static void enqueue(weft_loop *l, weft_loop_obj *o) {
  if (o->flags & (OBJ_PENDING | OBJ_DEAD))
    return;
  o->flags |= OBJ_PENDING;
  o->next_pending = NULL;
  if (l->pending_tail != NULL)
    l->pending_tail->next_pending = o;
  else
    l->pending_head = o;
  l->pending_tail = o;
}

void loop_obj_drain(weft_loop *l, weft_loop_obj *o, weft_tstamp now) {
  if (o != NULL)
    enqueue(l, o);
  if (l->draining)
    return;
  l->draining++;
  int first = 1;
  while (l->pending_head != NULL) {
    weft_loop_obj *p = l->pending_head;
    l->pending_head = p->next_pending;
    if (l->pending_head == NULL)
      l->pending_tail = NULL;
    p->next_pending = NULL;
    drain_one(p, first ? now : weft_loop_now(l));
    first = 0;
  }
  l->draining--;
}

static int sock_matches(const weft_loop_sock *s, const weft_addr *local) {
  if (s->closing)
    return 0;
  if (weft_addr_equal(&s->local, local))
    return 1;
  return weft_addr_is_any(&s->local) &&
         weft_addr_family(&s->local) == weft_addr_family(local) &&
         weft_addr_port(&s->local) == weft_addr_port(local);
}

void loop_obj_send(weft_loop_obj *o, const weft_addr *local,
                   const weft_addr *to, const uint8_t *data, size_t len) {
  weft_loop *l = o->loop;
  for (weft_loop_sock *s = o->socks; s != NULL; s = s->next_in_owner) {
    if (sock_matches(s, local)) {
      weft_loop_udp_send(s, to, data, len);
      return;
    }
  }
  for (loop_link *k = l->shared.next; k != &l->shared; k = k->next) {
    weft_loop_sock *s = LOOP_CONTAINER(k, weft_loop_sock, link);
    if (sock_matches(s, local)) {
      weft_loop_udp_send(s, to, data, len);
      return;
    }
  }
  l->stats.tx_no_socket++;
  char a[WEFT_ADDR_STRLEN];
  WEFT_LOG(&l->settings.log, WEFT_LOG_DEBUG, "loop",
           "no socket for local address %s",
           weft_addr_format(local, a, sizeof(a)));
}

int weft_loop_obj_new(weft_loop *l, weft_loop_obj **po,
                      const weft_loop_obj_ops *ops, void *obj,
                      const weft_loop_obj_callbacks *cb, void *user_data) {
  if (po != NULL)
    *po = NULL;
  if (l == NULL || po == NULL || ops == NULL || obj == NULL ||
      ops->recv == NULL || ops->poll_transmit == NULL ||
      ops->poll_event == NULL || ops->deadline == NULL ||
      ops->handle_timeout == NULL || ops->event_size == 0 ||
      ops->event_size > WEFT_LOOP_MAX_EVENT_SIZE)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (l->deleting)
    return WEFT_ERR_INVALID_STATE;
  weft_loop_obj *o = weft_calloc(l->mem, 1, sizeof(*o));
  if (o == NULL)
    return WEFT_ERR_NOMEM;
  if (uv_timer_init(l->uv, &o->timer) != 0) {
    weft_free(l->mem, o);
    return WEFT_ERR_IO;
  }
  l->handles_open++;
  o->loop = l;
  o->ops = ops;
  o->obj = obj;
  o->cb = cb;
  o->user_data = user_data;
  o->armed = WEFT_TSTAMP_NONE;
  link_insert(&l->objs, &o->link);
  *po = o;
  loop_obj_drain(l, o, weft_loop_now(l));
  return 0;
}

static void on_obj_closed(uv_handle_t *h) {
  weft_loop_obj *o = (weft_loop_obj *)(void *)h;
  weft_loop *l = o->loop;
  weft_free(l->mem, o);
  loop_handle_done(l);
}

void weft_loop_obj_del(weft_loop_obj *o) {
  if (o == NULL || (o->flags & OBJ_DEAD))
    return;
  o->flags |= OBJ_DEAD;
  while (o->socks != NULL)
    weft_loop_udp_close(o->socks); /* detaches it */
  link_remove(&o->link);
  /* A queued drain skips a dead object; the memory lives until libuv's
   * close callback, after every callback of this iteration has returned. */
  uv_close((uv_handle_t *)&o->timer, on_obj_closed);
}

void loop_objs_close_all(weft_loop *l) {
  while (!link_empty(&l->objs))
    weft_loop_obj_del(LOOP_CONTAINER(l->objs.next, weft_loop_obj, link));
}

void loop_obj_detach(weft_loop_obj *o, weft_loop_sock *s) {
  for (weft_loop_sock **pp = &o->socks; *pp != NULL;
       pp = &(*pp)->next_in_owner) {
    if (*pp == s) {
      *pp = s->next_in_owner;
      break;
    }
  }
  s->next_in_owner = NULL;
  s->owner = NULL;
}

int weft_loop_obj_attach(weft_loop_obj *o, weft_loop_sock *s) {
  if (o == NULL || s == NULL || (o->flags & OBJ_DEAD) || s->closing ||
      s->loop != o->loop)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (s->owner == o)
    return 0;
  if (s->owner != NULL)
    return WEFT_ERR_EXISTS;
  if (s->recv_fn != NULL)
    weft_loop_udp_set_recv(s, NULL, NULL);
  s->owner = o;
  s->next_in_owner = o->socks;
  o->socks = s;
  return 0;
}

void weft_loop_obj_kick(weft_loop_obj *o) {
  if (o == NULL || (o->flags & OBJ_DEAD))
    return;
  loop_obj_drain(o->loop, o, weft_loop_now(o->loop));
}

void *weft_loop_obj_get(const weft_loop_obj *o) {
  return o ? o->obj : NULL;
}

weft_loop *weft_loop_obj_loop(const weft_loop_obj *o) {
  return o ? o->loop : NULL;
}

weft_tstamp weft_loop_obj_armed(const weft_loop_obj *o) {
  return o ? o->armed : WEFT_TSTAMP_NONE;
}
