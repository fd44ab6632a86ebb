/* The subcommands of the weft program, one file each (cmd_<name>.c). */
#ifndef WEFT_TOOL_CMDS_H
#define WEFT_TOOL_CMDS_H

#include "cli.h"
#include "signal_lws.h"
#include "stunsrv.h"
#include "turnsrv.h"

extern const cli_cmd cmd_ice;
extern const cli_cmd cmd_serve;
extern const cli_cmd cmd_signal;
extern const cli_cmd cmd_stun;
extern const cli_cmd cmd_stun_client;
extern const cli_cmd cmd_turn;
extern const cli_cmd cmd_turn_client;
extern const cli_cmd cmd_version;

/**
 * Adds one --listen value to @p cfg (replacing the defaults on first use).
 * Prints a usage error for @p cmd and returns CLI_EXIT_USAGE when @p text
 * is not an address or too many were given; returns 0 otherwise.
 */
int stun_add_listen(const char *cmd, const char *opt, stunsrv_config *cfg,
                    const char *text);

/** Prints "listening udp 127.0.0.1:3478" for every bound socket. */
void stun_print_listening(const stunsrv *s, FILE *out);

/** Prints the server's counters as one line to @p out. */
void stun_print_stats(const stunsrv *s, FILE *out);

/**
 * Adds "NAME:PASSWORD" (split in place: @p text must outlive @p cfg) as a
 * TURN user. Returns 0 or prints a usage error and returns CLI_EXIT_USAGE.
 */
int turn_add_user(const char *cmd, turnsrv_config *cfg, char *text);

/**
 * Sets the signaling address from one --listen value. Prints a usage error
 * for @p cmd and returns CLI_EXIT_USAGE when @p text is not an address.
 */
int signal_set_listen(const char *cmd, const char *opt, sigsrv_config *cfg,
                      const char *text);

/** Prints "http://127.0.0.1:9000/": a URL a local browser can open. */
void signal_print_url(const sigsrv_config *cfg, const sigsrv *s, FILE *out);

/** ./web if it exists, else the source tree's web/ if it exists, else NULL. */
const char *signal_default_web_dir(void);

#endif
