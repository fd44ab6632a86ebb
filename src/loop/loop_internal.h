/* Internal structures of the libuv I/O layer, shared by the loop sources. */
#ifndef WEFT_LOOP_INTERNAL_H
#define WEFT_LOOP_INTERNAL_H

#include <assert.h>
#include <stdalign.h>
#include <stddef.h>

#include <uv.h>

#include "weft/loop.h"

/* An intrusive doubly linked list node. */
typedef struct loop_link {
  struct loop_link *prev, *next;
} loop_link;

static inline void link_init(loop_link *head) {
  head->prev = head->next = head;
}
static inline void link_insert(loop_link *head, loop_link *n) {
  n->next = head->next;
  n->prev = head;
  head->next->prev = n;
  head->next = n;
}
static inline void link_remove(loop_link *n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
  n->prev = n->next = n;
}
static inline int link_empty(const loop_link *head) {
  return head->next == head;
}

#define LOOP_CONTAINER(ptr, type, member)                                      \
  ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct weft_loop_sock {
  uv_udp_t udp; /* first: a uv_udp_t * is a weft_loop_sock * */
  weft_loop *loop;
  weft_loop_obj *owner; /* receives and sends (attached), or NULL */
  weft_loop_recv_fn recv_fn;
  void *recv_ud;
  loop_link link; /* in loop->socks, or loop->shared with recv_fn */
  weft_loop_sock *next_in_owner;
  weft_addr local;
  uint8_t closing;
};

enum {
  OBJ_PENDING = 1u << 0, /* queued for a drain */
  OBJ_DEAD = 1u << 1,    /* deleted, its timer closing */
  OBJ_BUSY = 1u << 2,    /* being drained */
};

struct weft_loop_obj {
  uv_timer_t timer; /* first */
  weft_loop *loop;
  const weft_loop_obj_ops *ops;
  void *obj;
  const weft_loop_obj_callbacks *cb;
  void *user_data;
  weft_loop_sock *socks; /* attached, via next_in_owner */
  weft_loop_obj *next_pending;
  loop_link link; /* in loop->objs */
  weft_tstamp armed;
  unsigned flags;
};

typedef struct loop_resolve_req {
  uv_getaddrinfo_t req;
  weft_loop *loop;
  weft_loop_resolve_fn cb;
  void *user_data;
  uint16_t port;
  loop_link link;
} loop_resolve_req;

struct weft_loop {
  uv_loop_t *uv;
  uv_loop_t own_uv;
  int owns_uv;
  int running;
  int deleting;
  size_t handles_open; /* our handles and requests not yet closed/done */
  weft_loop_settings settings;
  const weft_mem *mem;
  loop_link socks;
  loop_link shared;
  loop_link objs;
  loop_link resolves;
  weft_loop_obj *pending_head, *pending_tail;
  int draining;
  weft_loop_stats stats;
  /* shared buffers */
  uint8_t *rx_buf;
  size_t rx_len;
  uint8_t tx_buf[WEFT_LOOP_MAX_DATAGRAM];
  alignas(max_align_t) uint8_t ev_buf[WEFT_LOOP_MAX_EVENT_SIZE];
};

/* A libuv error as a weft error. */
int loop_uv_error(int uverr);
/* One of our handles or requests is done: frees the loop when it was the
 * last one of a loop being deleted. */
void loop_handle_done(weft_loop *l);
/* Hands a datagram that arrived on @p s to its object or callback. */
void loop_sock_deliver(weft_loop_sock *s, const weft_addr *from,
                       const uint8_t *data, size_t len);
/* Queues @p o (NULL: none) for a drain, then drains the queue unless a
 * drain is already running. */
void loop_obj_drain(weft_loop *l, weft_loop_obj *o, weft_tstamp now);
/* Sends from the socket matching @p local among @p o's sockets and the
 * shared ones. */
void loop_obj_send(weft_loop_obj *o, const weft_addr *local,
                   const weft_addr *to, const uint8_t *data, size_t len);
/* Closes every object / socket / look-up (loop deletion). */
void loop_objs_close_all(weft_loop *l);
void loop_socks_close_all(weft_loop *l);
void loop_resolves_cancel_all(weft_loop *l);
/* Detaches @p s from its owner's list. */
void loop_obj_detach(weft_loop_obj *o, weft_loop_sock *s);

#endif
