/* The weft_loop: lifecycle, running, clock, counters. */
#include "loop/loop_internal.h"

#include <errno.h>
#include <string.h>

#include "base/mem.h"

int loop_uv_error(int uverr) {
  switch (uverr) {
  case 0:
    return 0;
  case UV_ENOMEM:
  case UV_ENOBUFS:
    return WEFT_ERR_NOMEM;
  case UV_EADDRINUSE:
    return WEFT_ERR_ADDR_IN_USE;
  case UV_EINVAL:
  case UV_EAFNOSUPPORT:
    return WEFT_ERR_INVALID_ARGUMENT;
  case UV_ETIMEDOUT:
    return WEFT_ERR_TIMEOUT;
  default:
    return WEFT_ERR_IO;
  }
}

void weft_loop_settings_default(weft_loop_settings *s) {
  if (s == NULL)
    return;
  memset(s, 0, sizeof(*s));
  weft_log_default(&s->log);
  s->recvmmsg = WEFT_LOOP_MAX_RECVMMSG;
}

int weft_loop_new(weft_loop **pl, const weft_loop_settings *settings,
                  const weft_mem *mem) {
  if (pl == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  *pl = NULL;
  weft_loop_settings def;
  if (settings == NULL) {
    weft_loop_settings_default(&def);
    settings = &def;
  }
  if (settings->recvmmsg > WEFT_LOOP_MAX_RECVMMSG)
    return WEFT_ERR_INVALID_ARGUMENT;
  weft_loop *l = weft_calloc(mem, 1, sizeof(*l));
  if (l == NULL)
    return WEFT_ERR_NOMEM;
  l->settings = *settings;
  l->mem = mem;
  link_init(&l->socks);
  link_init(&l->shared);
  link_init(&l->objs);
  link_init(&l->resolves);
  if (settings->uv != NULL) {
    l->uv = settings->uv;
  } else {
    int rv = uv_loop_init(&l->own_uv);
    if (rv != 0) {
      weft_free(mem, l);
      return WEFT_ERR_IO;
    }
    l->uv = &l->own_uv;
    l->owns_uv = 1;
  }
  *pl = l;
  return 0;
}

static void loop_free(weft_loop *l) {
  weft_free(l->mem, l->rx_buf);
  weft_free(l->mem, l);
}

void loop_handle_done(weft_loop *l) {
  assert(l->handles_open > 0);
  l->handles_open--;
  if (l->deleting && !l->owns_uv && l->handles_open == 0)
    loop_free(l);
}

void weft_loop_del(weft_loop *l) {
  if (l == NULL || l->deleting)
    return;
  l->deleting = 1;
  loop_resolves_cancel_all(l);
  loop_objs_close_all(l);
  loop_socks_close_all(l);
  if (!l->owns_uv) {
    if (l->handles_open == 0)
      loop_free(l);
    return;
  }
  /* Bounded: every handle of ours is closing; a look-up still running on
   * the thread pool finishes on its own. */
  while (l->handles_open > 0 && uv_run(l->uv, UV_RUN_ONCE) != 0)
    ;
  uv_run(l->uv, UV_RUN_NOWAIT);
  if (uv_loop_close(l->uv) != 0)
    WEFT_LOG(&l->settings.log, WEFT_LOG_WARN, "loop",
             "libuv loop still has handles at close");
  loop_free(l);
}

int weft_loop_run(weft_loop *l) {
  if (l == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (l->running)
    return WEFT_ERR_INVALID_STATE;
  l->running = 1;
  uv_run(l->uv, UV_RUN_DEFAULT);
  l->running = 0;
  return 0;
}

int weft_loop_run_once(weft_loop *l, int nowait) {
  if (l == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (l->running)
    return WEFT_ERR_INVALID_STATE;
  l->running = 1;
  int more = uv_run(l->uv, nowait ? UV_RUN_NOWAIT : UV_RUN_ONCE);
  l->running = 0;
  return more != 0;
}

void weft_loop_stop(weft_loop *l) {
  if (l != NULL)
    uv_stop(l->uv);
}

struct uv_loop_s *weft_loop_uv(weft_loop *l) {
  return l ? l->uv : NULL;
}

weft_tstamp weft_loop_now(const weft_loop *l) {
  (void)l;
  return (weft_tstamp)uv_hrtime();
}

const weft_log *weft_loop_log(const weft_loop *l) {
  return &l->settings.log;
}

void weft_loop_get_stats(const weft_loop *l, weft_loop_stats *out) {
  if (l != NULL && out != NULL)
    *out = l->stats;
}
