/**
 * @file ice.h
 * The ICE agent (RFC 8445 full agent and ICE-lite, RFC 8838 trickle ICE,
 * RFC 7675 consent freshness) and the SDP candidate-line codec (RFC 8839).
 *
 * The agent is sans-IO (STYLE.md): it owns no socket and reads no clock.
 * The I/O layer tells it the addresses of its sockets
 * (weft_ice_agent_add_local_host_candidate), feeds it every datagram that
 * arrives on one of them (weft_ice_agent_recv), and drains
 * weft_ice_agent_poll_transmit / weft_ice_agent_poll_event until both are
 * empty, then arms a timer to weft_ice_agent_deadline.
 *
 * One agent handles one component (WebRTC uses rtcp-mux and BUNDLE, so one
 * is all it needs); candidates of another component are refused.
 *
 * Memory: the candidate, pair and response arrays start small (room for two
 * candidates each side, two pairs, two queued responses) and double when
 * needed, up to the caps of weft_ice_settings; the send queue of
 * weft_ice_agent_send is allocated on its first use. So an idle agent
 * connected to a browser costs about 2 KiB, and no input makes it grow past
 * its caps: beyond a cap (or when memory is short while growing), network
 * input is dropped and counted in weft_ice_stats.
 *
 * Threading: an agent is used from one thread at a time. The candidate codec
 * functions are thread-safe.
 */
#ifndef WEFT_ICE_H
#define WEFT_ICE_H

#include "weft/weft.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Candidates and their SDP syntax                                          */
/* ------------------------------------------------------------------------ */

/** Longest foundation (RFC 8445: 1 to 32 ice-chars). */
#define WEFT_ICE_FOUNDATION_MAX 32
/** Longest ufrag weft accepts (RFC 8839 allows 4..256; browsers use 4..32).
 */
#define WEFT_ICE_UFRAG_MAX 64
/** Longest password weft accepts (RFC 8839 allows 22..256). */
#define WEFT_ICE_PWD_MAX 128
/** Longest host name kept from an unresolved (mDNS) candidate. */
#define WEFT_ICE_HOSTNAME_MAX 63
/** Most STUN servers an agent gathers from. */
#define WEFT_ICE_MAX_STUN_SERVERS 4
/** Most TURN servers an agent allocates relay candidates from. */
#define WEFT_ICE_MAX_TURN_SERVERS 2
/** Room for any formatted candidate line (with "candidate:", no "a="). */
#define WEFT_ICE_CANDIDATE_STRLEN 512

/** Candidate types (RFC 8445 section 5.1.1). */
enum weft_ice_candidate_type {
  WEFT_ICE_CANDIDATE_HOST = 0,
  WEFT_ICE_CANDIDATE_SRFLX = 1,
  WEFT_ICE_CANDIDATE_PRFLX = 2,
  WEFT_ICE_CANDIDATE_RELAY = 3,
};

enum weft_ice_transport {
  WEFT_ICE_TRANSPORT_UDP = 0,
  WEFT_ICE_TRANSPORT_TCP = 1,
};

/** RFC 6544 tcptype; NONE for UDP. */
enum weft_ice_tcptype {
  WEFT_ICE_TCPTYPE_NONE = 0,
  WEFT_ICE_TCPTYPE_ACTIVE = 1,
  WEFT_ICE_TCPTYPE_PASSIVE = 2,
  WEFT_ICE_TCPTYPE_SO = 3,
};

/**
 * One candidate, as signalled: a plain value, no pointers. Filled by
 * weft_ice_candidate_parse and in agent events; read by
 * weft_ice_candidate_format and weft_ice_agent_add_remote_candidate.
 */
typedef struct weft_ice_candidate {
  /** NUL-terminated, 1..32 ice-chars. */
  char foundation[WEFT_ICE_FOUNDATION_MAX + 1];
  /** 1 (RTP) or 2 (RTCP), 1..256 on the wire. */
  uint16_t component;
  uint8_t transport; /**< enum weft_ice_transport */
  uint8_t type;      /**< enum weft_ice_candidate_type */
  uint8_t tcptype;   /**< enum weft_ice_tcptype */
  /**
   * 1 when the connection address is a host name (an mDNS ".local" name,
   * RFC 8828 / draft-ietf-mmusic-mdns-ice-candidates): @c hostname holds it
   * and @c addr has only the port set (family AF_UNSPEC). The agent refuses
   * such a candidate with WEFT_ERR_ICE_CANDIDATE until the caller resolves
   * it (sets @c addr to the resolved IP and clears @c unresolved).
   */
  uint8_t unresolved;
  uint32_t priority;
  /** The connection address and port. */
  weft_addr addr;
  /** raddr/rport; family AF_UNSPEC when absent. */
  weft_addr related;
  /** "generation N" (0 when absent). */
  uint32_t generation;
  /** Network cost / id extensions are ignored on parse and not written. */
  /** "ufrag X" extension: NUL-terminated, "" when absent. */
  char ufrag[WEFT_ICE_UFRAG_MAX + 1];
  /** The host name of an unresolved candidate, "" otherwise. */
  char hostname[WEFT_ICE_HOSTNAME_MAX + 1];
} weft_ice_candidate;

/**
 * Parses one candidate line:
 * "[a=][candidate:]foundation component transport priority address port
 *  typ host|srflx|prflx|relay [raddr A rport P] [tcptype T] [generation N]
 *  [ufrag U] [other-name other-value]..."
 * Transport is "udp" or "tcp" (any case). Unknown extension pairs are
 * skipped. A trailing CR/LF is ignored. An address ending in ".local" is
 * accepted as an unresolved candidate (see weft_ice_candidate::unresolved);
 * any other non-numeric address is refused.
 *
 * @param c     out, fully overwritten (zeroed on error).
 * @param line  the text, not necessarily NUL-terminated; not kept.
 * @param len   its length in bytes.
 * Returns 0 or one of: WEFT_ERR_INVALID_ARGUMENT (NULL argument),
 * WEFT_ERR_ICE_CANDIDATE (the line is not a valid candidate).
 */
WEFT_EXTERN int weft_ice_candidate_parse(weft_ice_candidate *c,
                                         const char *line, size_t len);

/**
 * Formats @p c as "candidate:F C udp P IP PORT typ T [raddr A rport P]
 * [tcptype T] [generation N] [ufrag U]" (no "a=", no line end; an unresolved
 * candidate is written with its host name). Writes a NUL terminator.
 * Returns the length written (without the NUL), or WEFT_ERR_BUFFER_TOO_SMALL
 * or WEFT_ERR_INVALID_ARGUMENT.
 */
WEFT_EXTERN int weft_ice_candidate_format(const weft_ice_candidate *c,
                                          char *buf, size_t buflen);

/** "host", "srflx", "prflx", "relay" ("unknown" otherwise). */
WEFT_EXTERN const char *weft_ice_candidate_type_name(int type);

/**
 * RFC 8445 section 5.1.2.1 priority:
 * 2^24 * type_pref + 2^8 * local_pref + (256 - component), with the
 * recommended type preferences (host 126, prflx 110, srflx 100, relay 0).
 */
WEFT_EXTERN uint32_t weft_ice_candidate_priority(int type, uint16_t local_pref,
                                                 uint16_t component);

/* ------------------------------------------------------------------------ */
/* Agent settings                                                           */
/* ------------------------------------------------------------------------ */

/** Role (RFC 8445 section 6.1.1). */
enum weft_ice_role {
  WEFT_ICE_CONTROLLED = 0,
  WEFT_ICE_CONTROLLING = 1,
};

/** Gathering state (as W3C RTCIceGatheringState). */
enum weft_ice_gathering_state {
  WEFT_ICE_GATHERING_NEW = 0,
  WEFT_ICE_GATHERING_GATHERING = 1,
  WEFT_ICE_GATHERING_COMPLETE = 2,
};

/** Connection state (as W3C RTCIceConnectionState). */
enum weft_ice_connection_state {
  WEFT_ICE_STATE_NEW = 0,
  /** Checks are running, no pair selected yet. */
  WEFT_ICE_STATE_CHECKING = 1,
  /** A pair is selected; data may flow. */
  WEFT_ICE_STATE_CONNECTED = 2,
  /** Selected, remote end-of-candidates seen, gathering complete. */
  WEFT_ICE_STATE_COMPLETED = 3,
  /** No pair works (or consent expired): terminal until restart. */
  WEFT_ICE_STATE_FAILED = 4,
  /** Consent responses missing for disconnected_timeout; may recover. */
  WEFT_ICE_STATE_DISCONNECTED = 5,
  /** weft_ice_agent_close was called. */
  WEFT_ICE_STATE_CLOSED = 6,
};

/** A TURN server for relay candidates (UDP transport, long-term
 * credentials; for the TURN REST API pass the computed user name and
 * password, see weft_turn_rest_password). */
typedef struct weft_ice_turn_server {
  /** Numeric address (the I/O layer resolves names). */
  weft_addr addr;
  /** Long-term credentials (copied by weft_ice_agent_new). */
  const char *username;
  const char *password;
} weft_ice_turn_server;

/**
 * Agent settings. Fill with weft_ice_settings_default, then change fields.
 * weft_ice_agent_new copies them (strings included).
 */
typedef struct weft_ice_settings {
  weft_log log;
  /** Random source for credentials, tie-breaker, transaction ids and timer
   * jitter. NULL: weft_rand_default(). Must outlive the agent. */
  const weft_rand *rand;
  /** Initial role: WEFT_ICE_CONTROLLING or WEFT_ICE_CONTROLLED (default
   * controlling). A lite agent is always controlled. */
  int role;
  /** ICE-lite (RFC 8445 section 2.5): never sends checks, only answers
   * them; host candidates only; always controlled. Default 0. */
  int lite;
  /** Tie-breaker for role conflicts; 0 (default): random. */
  uint64_t tiebreaker;
  /** Aggressive nomination (every check of the controlling agent carries
   * USE-CANDIDATE). Default 0: regular nomination. */
  int aggressive_nomination;
  /** The component this agent handles (default 1). */
  uint16_t component;
  /** Local credentials; NULL (default): generated from @c rand (8-char
   * ufrag, 24-char password). Copied. */
  const char *ufrag;
  const char *pwd;
  /** STUN servers for server-reflexive candidates (numeric addresses; the
   * I/O layer resolves names). Gathering sends a Binding request from every
   * host base of the same family to each. */
  weft_addr stun_servers[WEFT_ICE_MAX_STUN_SERVERS];
  size_t nstun_servers;
  /**
   * TURN servers for relay candidates (default none). The agent runs a
   * TURN client (weft/turn.h) for each: from the first host candidate of
   * the server's family it allocates when gathering starts; the relayed
   * address becomes a relay candidate (RFC 8445 type preference 0). Checks
   * and data of pairs with that candidate go through the client (a
   * permission per remote address on first use, a Send indication, then
   * ChannelData to the selected pair's peer once its channel is bound),
   * all still out of weft_ice_agent_poll_transmit: from the host socket to
   * the server. Datagrams from the server go to weft_ice_agent_recv as
   * usual (local = that host socket); what they carry is handled as if
   * received on the relayed address. The clients refresh the allocation,
   * permissions and channel, and deallocate on weft_ice_agent_close.
   * Gathering completes once every allocation succeeded or failed (a
   * failure is a GATHER_ERROR event with u.gather_error.server = the TURN
   * server).
   */
  weft_ice_turn_server turn_servers[WEFT_ICE_MAX_TURN_SERVERS];
  size_t nturn_servers;

  /** Caps (the arrays grow up to them on demand). Defaults: 8 local candidates
   * (host, srflx, relay and prflx together; at most 255), 16 remote candidates
   * (signalled and peer-reflexive; at most 255), 64 candidate pairs (at most
   * 255), 8 remote peer-reflexive candidates (a subset of the remote cap), 8
   * queued STUN responses. */
  uint16_t max_local_candidates;
  uint16_t max_remote_candidates;
  uint16_t max_pairs;
  uint16_t max_remote_prflx;
  uint16_t max_pending_responses;
  /** Bytes of the send queue of weft_ice_agent_send (allocated on first
   * use). Default 16384; 0: weft_ice_agent_send is refused. */
  size_t send_queue_bytes;

  /** Pacing of new checks, Ta (default 50 ms; RFC 8445 section 14.2). */
  weft_tstamp ta;
  /** Check retransmission: first RTO = max(rto_min, Ta * (waiting +
   * in-progress pairs)) (RFC 8445 section 14.3), doubled each time up to
   * rto_max; a check fails after check_max_transmits sends without answer.
   * Defaults: 500 ms, 1600 ms, 7. Durations above 60 s are capped. */
  weft_tstamp rto_min;
  weft_tstamp rto_max;
  uint8_t check_max_transmits;
  /** Srflx gathering: Binding requests per server (default 7; RTO 500 ms
   * doubling up to 1.6 s, so a silent server is given up after about
   * 11 s). */
  uint8_t gather_max_transmits;
  /** Regular nomination: how long the controlling agent waits after the
   * first valid pair for a better one before nominating the best (default
   * 250 ms; it nominates earlier when no better pair is pending). */
  weft_tstamp nomination_delay;
  /** Failure: until fail_timeout has passed since checking started
   * (default 10 s), a pair whose check timed out is checked again; after
   * it, such a pair fails, and the agent fails once every pair has failed
   * (so within fail_timeout plus one check's duration, about 20 s with the
   * defaults). Also the limit when no pair could be formed. */
  weft_tstamp fail_timeout;
  /** Consent freshness (RFC 7675): a check on the selected pair every
   * consent_interval (default 5 s), randomized +-20 %; 1 s after a missed
   * response. disconnected after disconnected_timeout without a response
   * (default 10 s); consent expires after consent_timeout (default 30 s):
   * the agent stops sending application data and fails. */
  weft_tstamp consent_interval;
  weft_tstamp disconnected_timeout;
  weft_tstamp consent_timeout;
  /** Binding indication on the selected pair when nothing was sent for this
   * long (default 15 s; RFC 8445 section 11). Only ICE-lite uses it: a full
   * agent's consent checks keep the binding alive. */
  weft_tstamp keepalive_interval;
} weft_ice_settings;

/** Fills @p s with the defaults described in weft_ice_settings. */
WEFT_EXTERN void weft_ice_settings_default(weft_ice_settings *s);

/* ------------------------------------------------------------------------ */
/* Events and statistics                                                    */
/* ------------------------------------------------------------------------ */

enum weft_ice_event_type {
  /** A local candidate to signal to the peer (host, srflx, relay; never
   * prflx): u.candidate. */
  WEFT_ICE_EVENT_LOCAL_CANDIDATE = 1,
  /** u.gathering_state changed; COMPLETE means end-of-candidates may be
   * signalled. */
  WEFT_ICE_EVENT_GATHERING_STATE = 2,
  /** u.connection changed. */
  WEFT_ICE_EVENT_CONNECTION_STATE = 3,
  /** A (new) selected pair: u.pair. Data now goes there. */
  WEFT_ICE_EVENT_SELECTED_PAIR = 4,
  /** The role changed after a role conflict: u.role. */
  WEFT_ICE_EVENT_ROLE = 5,
  /** A STUN server gave no srflx candidate: u.gather_error. */
  WEFT_ICE_EVENT_GATHER_ERROR = 6,
};

/** One event; what it carries depends on @c type. A plain value. */
typedef struct weft_ice_event {
  int type; /**< enum weft_ice_event_type */
  union {
    weft_ice_candidate candidate;
    int gathering_state; /**< enum weft_ice_gathering_state */
    struct {
      int state; /**< enum weft_ice_connection_state */
      /** For FAILED/DISCONNECTED: WEFT_ERR_ICE_FAILED or
       * WEFT_ERR_ICE_CONSENT_EXPIRED; 0 otherwise. */
      int error;
      /** A static one-line explanation ("" when none), never NULL. */
      const char *reason;
    } connection;
    struct {
      /** The local candidate of the valid pair (may be srflx/prflx; the
       * datagrams leave from its base). */
      weft_ice_candidate local;
      weft_ice_candidate remote;
      /** The socket address datagrams leave from (the base). */
      weft_addr base;
    } pair;
    int role; /**< enum weft_ice_role */
    struct {
      weft_addr server;
      weft_addr base;
      /** STUN error code, or 0 for no answer. */
      int code;
    } gather_error;
  } u;
} weft_ice_event;

/** Counters; all only grow (a restart keeps them). */
typedef struct weft_ice_stats {
  uint64_t rx_datagrams;
  uint64_t rx_stun;
  uint64_t rx_app_data;  /**< returned to the caller as application data */
  uint64_t tx_checks;    /**< Binding requests sent (incl. retransmits) */
  uint64_t tx_responses; /**< success responses sent */
  uint64_t tx_errors;    /**< error responses sent (400/401/420/487) */
  uint64_t tx_app_data;  /**< datagrams from weft_ice_agent_send */
  uint64_t dropped_unknown_local;  /**< local_addr is no socket of ours */
  uint64_t dropped_malformed;      /**< not decodable */
  uint64_t dropped_bad_ufrag;      /**< USERNAME of another agent */
  uint64_t dropped_bad_integrity;  /**< MESSAGE-INTEGRITY mismatch/missing */
  uint64_t dropped_unknown_txid;   /**< response to no transaction of ours */
  uint64_t dropped_unknown_remote; /**< app data from no valid pair */
  uint64_t dropped_limit;          /**< a cap (candidates, pairs) was hit */
  uint64_t dropped_queue_full;     /**< response queue full */
  uint64_t dropped_no_consent;     /**< app data refused after expiry */
  uint64_t dropped_events;         /**< event queue overflow */
  uint64_t role_conflicts;
  uint64_t remote_prflx; /**< remote peer-reflexive candidates learned */
  uint64_t local_prflx;  /**< local peer-reflexive candidates learned */
  uint64_t consent_expired;
} weft_ice_stats;

/* ------------------------------------------------------------------------ */
/* The agent                                                                */
/* ------------------------------------------------------------------------ */

/** An ICE agent (opaque). */
typedef struct weft_ice_agent weft_ice_agent;

/**
 * Creates an agent. Copies @p settings (NULL: defaults). Generates the local
 * credentials (unless given) and the tie-breaker from settings->rand.
 * @param mem allocator, NULL for libc.
 * Returns 0 or one of: WEFT_ERR_INVALID_ARGUMENT (bad settings: a cap of 0
 * or above 255, a bad ufrag/pwd), WEFT_ERR_NOMEM, WEFT_ERR_CRYPTO.
 */
WEFT_EXTERN int weft_ice_agent_new(weft_ice_agent **pa,
                                   const weft_ice_settings *settings,
                                   const weft_mem *mem);

/** Frees the agent (NULL is fine). */
WEFT_EXTERN void weft_ice_agent_del(weft_ice_agent *a);

/**
 * A datagram of @p len bytes arrived from @p from on the local socket whose
 * address is @p local (as given to weft_ice_agent_add_local_host_candidate;
 * a wildcard address matches the host candidate of the same family and
 * port; for a relay candidate, its relayed address).
 *
 * STUN is consumed here (checks, responses, srflx gathering, consent). Any
 * other datagram from a remote address of a pair that has been validated
 * (a check succeeded, or the peer's authenticated check arrived on it) is
 * application data: the agent does not copy it, it returns
 * WEFT_ICE_RECV_APP_DATA and the caller hands the same buffer to the layer
 * above (DTLS, SRTP: RFC 7983 demultiplexing). Everything else is dropped
 * and counted.
 *
 * @p data is only read during the call.
 * Returns 0 (consumed or dropped), WEFT_ICE_RECV_APP_DATA, or
 * WEFT_ERR_INVALID_ARGUMENT (NULL pointers).
 */
WEFT_EXTERN int weft_ice_agent_recv(weft_ice_agent *a, weft_tstamp now,
                                    const weft_addr *local,
                                    const weft_addr *from, const uint8_t *data,
                                    size_t len);

/** weft_ice_agent_recv's answer for application data. */
#define WEFT_ICE_RECV_APP_DATA 1

/**
 * Where the application data of the last datagram for which
 * weft_ice_agent_recv returned WEFT_ICE_RECV_APP_DATA lies in that
 * datagram: at @p *offset, @p *len bytes. The whole datagram (offset 0)
 * unless it came through one of the agent's TURN clients (ChannelData or a
 * Data indication: the payload inside it). Either pointer may be NULL.
 */
WEFT_EXTERN void weft_ice_agent_app_data(const weft_ice_agent *a,
                                         size_t *offset, size_t *len);

/**
 * The next datagram to send: written to @p buf, sent from the socket with
 * address *@p local (a host base, or a relayed address which the TURN
 * client wraps) to *@p to.
 * Returns its length (> 0), 0 when there is nothing to send, or
 * WEFT_ERR_BUFFER_TOO_SMALL (@p buflen below what the datagram needs; 1500
 * is always enough for STUN, application data needs its own length; the
 * datagram stays queued).
 */
WEFT_EXTERN int weft_ice_agent_poll_transmit(weft_ice_agent *a, weft_tstamp now,
                                             weft_addr *local, weft_addr *to,
                                             uint8_t *buf, size_t buflen);

/** Pops the next event into @p ev. Returns 1, or 0 when there is none. */
WEFT_EXTERN int weft_ice_agent_poll_event(weft_ice_agent *a,
                                          weft_ice_event *ev);

/** When weft_ice_agent_handle_timeout is due next (WEFT_TSTAMP_NONE: never).
 */
WEFT_EXTERN weft_tstamp weft_ice_agent_deadline(const weft_ice_agent *a);

/** Runs timers due at @p now: pacing, retransmissions, nomination, consent,
 * failure. Returns 0. */
WEFT_EXTERN int weft_ice_agent_handle_timeout(weft_ice_agent *a,
                                              weft_tstamp now);

/* ---- credentials and role ---------------------------------------------- */

/** The local ufrag and password (NUL-terminated, valid until the next
 * restart or set). Either pointer may be NULL. */
WEFT_EXTERN void weft_ice_agent_local_credentials(const weft_ice_agent *a,
                                                  const char **ufrag,
                                                  const char **pwd);

/**
 * Replaces the local credentials (ufrag 4..64 and pwd 22..128 ice-chars:
 * ALPHA / DIGIT / "+" / "/"). Only before checking starts.
 * Returns 0 or one of: WEFT_ERR_INVALID_ARGUMENT, WEFT_ERR_INVALID_STATE,
 * WEFT_ERR_NOMEM, WEFT_ERR_CRYPTO.
 */
WEFT_EXTERN int weft_ice_agent_set_local_credentials(weft_ice_agent *a,
                                                     const char *ufrag,
                                                     const char *pwd);

/**
 * Sets the peer's credentials (from its SDP or signalling). Checks start
 * once they and a candidate pair exist. Setting different ones after a
 * restart of the peer is what weft_ice_agent_restart is for; setting the
 * same ones again is a no-op. Lengths as for local credentials, but any
 * printable characters are accepted (interop).
 * Returns 0 or one of: WEFT_ERR_INVALID_ARGUMENT, WEFT_ERR_NOMEM,
 * WEFT_ERR_CRYPTO.
 */
WEFT_EXTERN int weft_ice_agent_set_remote_credentials(weft_ice_agent *a,
                                                      const char *ufrag,
                                                      const char *pwd);

/** Tells the agent the peer is ICE-lite (a=ice-lite): a full agent then
 * takes the controlling role. Before checking starts. Returns 0 or
 * WEFT_ERR_INVALID_STATE. */
WEFT_EXTERN int weft_ice_agent_set_remote_lite(weft_ice_agent *a, int lite);

/** Sets the role before checking starts (JSEP: the offerer controls).
 * Returns 0, WEFT_ERR_INVALID_STATE or WEFT_ERR_INVALID_ARGUMENT (a lite
 * agent cannot control). */
WEFT_EXTERN int weft_ice_agent_set_role(weft_ice_agent *a, int role);

/** The current role (enum weft_ice_role). */
WEFT_EXTERN int weft_ice_agent_role(const weft_ice_agent *a);

/* ---- candidates -------------------------------------------------------- */

/**
 * Adds a host candidate: the address of one local UDP socket (a specific
 * IP, not a wildcard). Emits a LOCAL_CANDIDATE event when gathering has
 * started (else at weft_ice_agent_gather), and pairs it with the known
 * remote candidates.
 * Returns the candidate's index (>= 0) or one of: WEFT_ERR_INVALID_ARGUMENT
 * (unset or wildcard address), WEFT_ERR_EXISTS, WEFT_ERR_LIMIT,
 * WEFT_ERR_NOMEM.
 */
WEFT_EXTERN int weft_ice_agent_add_local_host_candidate(weft_ice_agent *a,
                                                        weft_tstamp now,
                                                        const weft_addr *addr);

/**
 * The seam for TURN: adds a relay candidate with relayed address @p relayed
 * (allocated by a TURN client) and @p mapped (the client's server-reflexive
 * address, the related address). The agent then sends with *local =
 * @p relayed: the I/O layer hands those datagrams to the TURN client, which
 * wraps them (Send indication / ChannelData), and feeds what the client
 * unwraps to weft_ice_agent_recv with local = @p relayed.
 * Returns the index or one of: WEFT_ERR_INVALID_ARGUMENT, WEFT_ERR_EXISTS,
 * WEFT_ERR_LIMIT, WEFT_ERR_NOMEM, WEFT_ERR_UNSUPPORTED (lite).
 */
WEFT_EXTERN int
weft_ice_agent_add_local_relay_candidate(weft_ice_agent *a, weft_tstamp now,
                                         const weft_addr *relayed,
                                         const weft_addr *mapped);

/**
 * Starts gathering: emits the host candidates, then sends Binding requests
 * to each STUN server from each host base of its family; every new mapped
 * address becomes a srflx candidate event. GATHERING_STATE events: gathering,
 * then complete when every server has answered or been given up.
 * Calling it again does nothing. Returns 0.
 */
WEFT_EXTERN int weft_ice_agent_gather(weft_ice_agent *a, weft_tstamp now);

/** The gathering state (enum weft_ice_gathering_state). */
WEFT_EXTERN int weft_ice_agent_gathering_state(const weft_ice_agent *a);

/**
 * Local candidate number @p i (0.. in order of creation; peer-reflexive
 * ones included, with type PRFLX) into @p out, for all-at-once signalling.
 * Returns 0 or WEFT_ERR_NOT_FOUND.
 */
WEFT_EXTERN int weft_ice_agent_local_candidate(const weft_ice_agent *a,
                                               size_t i,
                                               weft_ice_candidate *out);

/**
 * Adds a remote candidate (trickled or from the SDP) and forms its pairs.
 * A candidate whose "ufrag" extension names other credentials than the
 * current remote ones is stale (of a previous generation) and ignored. A
 * candidate whose address matches a peer-reflexive one replaces its type,
 * priority and foundation.
 * Returns 0 or one of: WEFT_ERR_INVALID_ARGUMENT, WEFT_ERR_ICE_CANDIDATE
 * (unresolved, wrong component, bad address), WEFT_ERR_UNSUPPORTED (TCP),
 * WEFT_ERR_EXISTS (duplicate), WEFT_ERR_LIMIT (cap reached),
 * WEFT_ERR_NOMEM, WEFT_ERR_INVALID_STATE (closed).
 */
WEFT_EXTERN int
weft_ice_agent_add_remote_candidate(weft_ice_agent *a, weft_tstamp now,
                                    const weft_ice_candidate *c);

/** The peer signalled end-of-candidates: the agent may now fail as soon as
 * every pair has failed (or at once when no pair could be formed) instead
 * of waiting for more candidates until fail_timeout. Returns 0. */
WEFT_EXTERN int weft_ice_agent_end_of_remote_candidates(weft_ice_agent *a,
                                                        weft_tstamp now);

/* ---- session ----------------------------------------------------------- */

/**
 * ICE restart (RFC 8445 section 9): new local credentials, remote
 * candidates and pairs forgotten, gathering and checking start over (the
 * caller then sets the peer's new credentials and candidates). The current
 * selected pair keeps carrying data, with its old credentials for consent,
 * until a new pair is selected.
 * @param ufrag, pwd  the new local credentials, or NULL to generate them.
 * Returns 0 or one of: WEFT_ERR_INVALID_ARGUMENT, WEFT_ERR_INVALID_STATE
 * (closed), WEFT_ERR_NOMEM, WEFT_ERR_CRYPTO.
 */
WEFT_EXTERN int weft_ice_agent_restart(weft_ice_agent *a, weft_tstamp now,
                                       const char *ufrag, const char *pwd);

/** Stops everything: state CLOSED, nothing more is sent. Returns 0. */
WEFT_EXTERN int weft_ice_agent_close(weft_ice_agent *a, weft_tstamp now);

/** The connection state (enum weft_ice_connection_state). */
WEFT_EXTERN int weft_ice_agent_connection_state(const weft_ice_agent *a);

/**
 * The selected pair: its local and remote candidates (either out pointer
 * may be NULL). Returns 0 or WEFT_ERR_NOT_FOUND (none selected).
 */
WEFT_EXTERN int weft_ice_agent_selected_pair(const weft_ice_agent *a,
                                             weft_ice_candidate *local,
                                             weft_ice_candidate *remote);

/**
 * Where application data goes now, for a caller that sends itself without a
 * copy (the zero-copy alternative to weft_ice_agent_send): the socket
 * address to send from and the destination. The caller should call
 * weft_ice_agent_note_sent after sending (keep-alive timing).
 * Returns 0 or one of: WEFT_ERR_INVALID_STATE (no selected pair),
 * WEFT_ERR_ICE_CONSENT_EXPIRED, WEFT_ERR_UNSUPPORTED (the pair is relayed
 * by one of the agent's own TURN clients: use weft_ice_agent_send).
 */
WEFT_EXTERN int weft_ice_agent_send_path(const weft_ice_agent *a,
                                         weft_addr *local, weft_addr *to);

/** Tells the agent the caller sent a datagram itself at @p now. */
WEFT_EXTERN void weft_ice_agent_note_sent(weft_ice_agent *a, weft_tstamp now);

/**
 * Queues application data (DTLS, SRTP) for the selected pair; it comes out
 * of weft_ice_agent_poll_transmit. Copies @p data.
 * Returns 0 or one of: WEFT_ERR_INVALID_ARGUMENT (len 0 or above 65535),
 * WEFT_ERR_INVALID_STATE (no selected pair, closed, or send queue disabled),
 * WEFT_ERR_ICE_CONSENT_EXPIRED (consent lost: nothing may be sent),
 * WEFT_ERR_QUEUE_FULL (back-pressure: drain poll_transmit first),
 * WEFT_ERR_NOMEM (first use: the queue could not be allocated).
 */
WEFT_EXTERN int weft_ice_agent_send(weft_ice_agent *a, weft_tstamp now,
                                    const uint8_t *data, size_t len);

/** Copies the counters into @p out. */
WEFT_EXTERN void weft_ice_agent_stats(const weft_ice_agent *a,
                                      weft_ice_stats *out);

/** Name of a state: "new", "checking", "connected", "completed", "failed",
 * "disconnected", "closed". */
WEFT_EXTERN const char *weft_ice_connection_state_name(int state);

/** "new", "gathering", "complete". */
WEFT_EXTERN const char *weft_ice_gathering_state_name(int state);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_ICE_H */
