/* Runtime plumbing shared by the long-running subcommands (see app.h). */
#include "app.h"

#include <signal.h>

struct sigstate {
  uv_signal_t sig[2];
  void (*stop)(void *);
  void *arg;
  int signum;
};

static void on_signal(uv_signal_t *h, int signum) {
  struct sigstate *st = h->data;
  if (st->signum != 0)
    return;
  st->signum = signum;
  for (int i = 0; i < 2; i++)
    uv_close((uv_handle_t *)&st->sig[i], NULL);
  st->stop(st->arg);
}

int app_run_until_signal(uv_loop_t *loop, void (*stop)(void *), void *arg) {
  struct sigstate st = {.stop = stop, .arg = arg};
  static const int nums[2] = {SIGINT, SIGTERM};
  for (int i = 0; i < 2; i++) {
    uv_signal_init(loop, &st.sig[i]);
    st.sig[i].data = &st;
    uv_signal_start(&st.sig[i], on_signal, nums[i]);
    uv_unref((uv_handle_t *)&st.sig[i]);
  }
  uv_run(loop, UV_RUN_DEFAULT);
  if (st.signum == 0) {
    for (int i = 0; i < 2; i++)
      uv_close((uv_handle_t *)&st.sig[i], NULL);
    uv_run(loop, UV_RUN_DEFAULT);
  }
  return st.signum;
}

static void close_walk(uv_handle_t *h, void *arg) {
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

void app_loop_close(uv_loop_t *loop) {
  uv_run(loop, UV_RUN_NOWAIT);
  uv_walk(loop, close_walk, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
}
