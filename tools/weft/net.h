/*
 * Socket helpers of the weft program: address parsing with precise error
 * texts, non-blocking UDP and TCP listening sockets (IPv6 sockets are
 * IPv6-only), and errno texts for one-line messages. Self-contained; the
 * general I/O layer lives in src/loop/.
 */
#ifndef WEFT_TOOL_NET_H
#define WEFT_TOOL_NET_H

#include "weft/weft.h"

/**
 * Parses "IP", "IP:PORT", "[IPv6]" or "[IPv6]:PORT" (numeric only). A
 * missing port becomes @p default_port. Returns NULL on success, else a
 * static text saying what is wrong ("not a valid IP address and port",
 * "port out of range (0-65535)").
 */
const char *net_parse_addr(weft_addr *out, const char *text,
                           uint16_t default_port);

/**
 * Splits "HOST", "HOST:PORT", "[IPv6]", "[IPv6]:PORT" or a bare IPv6
 * literal into a host (NUL-terminated, at most @p hostlen - 1 bytes) and a
 * port (@p default_port when absent). Returns NULL or an error text.
 */
const char *net_split_host_port(const char *text, char *host, size_t hostlen,
                                uint16_t default_port, uint16_t *port);

/** Socket kinds for net_listen(). */
enum net_kind { NET_UDP, NET_TCP };

/**
 * Opens a non-blocking, close-on-exec socket bound to @p addr (TCP: also
 * listening with @p backlog). IPv6 sockets are IPv6-only. When @p addr is
 * a wildcard address and @p pktinfo is set, a UDP socket reports each
 * datagram's destination (IP_PKTINFO / IPV6_RECVPKTINFO). Returns the fd, or
 * a negative errno.
 */
int net_listen(enum net_kind kind, const weft_addr *addr, int backlog,
               int pktinfo);

/**
 * Asks for socket buffers of @p bytes each way (best effort: the kernel caps
 * them at net.core.rmem_max / wmem_max). A busy UDP server needs room to
 * absorb bursts between two reads.
 */
void net_set_buffers(int fd, int bytes);

/** The local address of @p fd. Returns 0 or a negative errno. */
int net_local_addr(int fd, weft_addr *out);

/** A short lower-case text for an errno value ("address already in use"). */
const char *net_strerror(int err);

/** Whether this host can bind the IPv6 loopback address. */
int net_have_ipv6(void);

#endif
