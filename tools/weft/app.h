/* Runtime plumbing shared by the long-running subcommands. */
#ifndef WEFT_TOOL_APP_H
#define WEFT_TOOL_APP_H

#include <uv.h>

/**
 * Runs @p loop until SIGINT or SIGTERM: then calls @p stop (which must close
 * every handle it owns) and runs the loop until all handles are closed.
 * Returns the signal number that stopped it, or 0 if the loop ran out of
 * work by itself.
 */
int app_run_until_signal(uv_loop_t *loop, void (*stop)(void *), void *arg);

/** Closes every handle still open on @p loop, drains it and closes it. */
void app_loop_close(uv_loop_t *loop);

#endif
