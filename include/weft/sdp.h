/**
 * @file sdp.h
 * SDP session descriptions (RFC 8866) as WebRTC uses them (JSEP, RFC 8829):
 * parse, inspect, edit and serialize, without losing anything weft does not
 * understand.
 *
 * A weft_sdp holds a session section and zero or more media sections. Each
 * section keeps its lines in their order: the "fields" (every line but a=,
 * and but m= for a media section, e.g. v= o= s= t= c= b=, unknown types too)
 * and after them the attributes, (name, value) pairs where the value is NULL
 * for a property attribute ("a=rtcp-mux") and "" for "a=name:". What a
 * browser writes comes out of weft_sdp_serialize() byte for byte, line
 * endings aside (always CRLF on output).
 *
 * Strictness: the first three lines must be v=0, o= and s=; a t= line must be
 * in the session section; every line is "<letter>=<text>" without NUL, CR or
 * other control characters but tab; in a section no field may follow an
 * attribute, and v= o= s= u= e= p= t= r= z= may not appear in a media section
 * (RFC 8866 order). Other line types, known or not, are kept where they are.
 * LF-only line endings and a missing final line ending are accepted; empty
 * lines are accepted only at the very end (and dropped).
 *
 * Limits (hostile input): WEFT_SDP_MAX_SIZE bytes, WEFT_SDP_MAX_LINES lines,
 * WEFT_SDP_MAX_LINE_LEN bytes a line, WEFT_SDP_MAX_MEDIA media sections.
 * Editing functions keep to the line, line length and media section limits,
 * not to the total size: a description edited (or, with LF-only line
 * endings, serialized) beyond WEFT_SDP_MAX_SIZE bytes does not parse again.
 *
 * Memory: a parsed description lives in one allocation (the structure, the
 * line tables and a copy of the text) from the weft_mem given; lines added or
 * replaced later are allocated one by one and freed when removed. Strings
 * returned by the accessors are NUL-terminated and stay valid until the
 * description is next modified or deleted.
 *
 * Sections are numbered by an `int m`: WEFT_SDP_SESSION (-1) for the session
 * section, 0 .. weft_sdp_media_count()-1 for media sections.
 *
 * Threading: a weft_sdp is used from one thread at a time; const functions on
 * one description may run concurrently.
 */
#ifndef WEFT_SDP_H
#define WEFT_SDP_H

#include "weft/weft.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest description accepted by weft_sdp_parse(), in bytes. */
#define WEFT_SDP_MAX_SIZE (256 * 1024)
/** Most lines in one description. */
#define WEFT_SDP_MAX_LINES 8192
/** Longest line, without its line ending. */
#define WEFT_SDP_MAX_LINE_LEN 4096
/** Most media sections (m= lines). */
#define WEFT_SDP_MAX_MEDIA 256

/** The section number of the session-level section. */
#define WEFT_SDP_SESSION (-1)

/** A session description (opaque). */
typedef struct weft_sdp weft_sdp;

/** One attribute: a=name or a=name:value. */
typedef struct weft_sdp_attr {
  const char *name;  /**< never NULL, never empty */
  const char *value; /**< NULL for a property attribute */
} weft_sdp_attr;

/** The m= line of a media section, split (the line itself is kept as is). */
typedef struct weft_sdp_media_line {
  const char *media;   /**< "audio", "video", "application", ... */
  unsigned port;       /**< 0 .. 65535; 0 rejects the section (JSEP) */
  unsigned port_count; /**< the "/n" after the port; 0 when absent */
  const char *proto;   /**< "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", ... */
  const char *fmts; /**< the format list as written, "111 63 9"; "" if none */
  size_t nfmts;     /**< number of formats in @c fmts */
} weft_sdp_media_line;

/* ------------------------------------------------------------------------ */
/* Life cycle, parse, serialize                                             */
/* ------------------------------------------------------------------------ */

/**
 * Parses @p len bytes of @p text (need not be NUL-terminated) into a new
 * description *@p out, allocated through @p mem (NULL: libc), which the
 * caller frees with weft_sdp_del(). On failure *@p out is NULL and, when
 * @p err_line is not NULL, *@p err_line is the 1-based number of the first
 * offending line (0 when the fault is not one line's: size, missing t=).
 * Returns 0 or one of:
 * - WEFT_ERR_SDP_PARSE: not a session description of the form above;
 * - WEFT_ERR_LIMIT: one of the WEFT_SDP_MAX_* limits is exceeded;
 * - WEFT_ERR_NOMEM;
 * - WEFT_ERR_INVALID_ARGUMENT: @p out NULL, or @p text NULL with len > 0.
 */
WEFT_EXTERN int weft_sdp_parse(weft_sdp **out, const char *text, size_t len,
                               const weft_mem *mem, size_t *err_line);

/**
 * A new empty description (no line at all) to build with the editing
 * functions: set v=, o=, s=, t= before serializing for a valid SDP.
 * Returns 0, WEFT_ERR_NOMEM or WEFT_ERR_INVALID_ARGUMENT.
 */
WEFT_EXTERN int weft_sdp_new(weft_sdp **out, const weft_mem *mem);

/** Frees @p sdp and everything it owns. NULL is accepted. */
WEFT_EXTERN void weft_sdp_del(weft_sdp *sdp);

/**
 * A deep copy of @p sdp into *@p out (serialized and parsed again when it is
 * a valid description, so the copy is one allocation). Returns 0,
 * WEFT_ERR_NOMEM, or the error weft_sdp_parse() gives for the text.
 */
WEFT_EXTERN int weft_sdp_dup(weft_sdp **out, const weft_sdp *sdp,
                             const weft_mem *mem);

/** The length weft_sdp_serialize() writes, without the NUL. */
WEFT_EXTERN size_t weft_sdp_serialized_len(const weft_sdp *sdp);

/**
 * Writes @p sdp as text into @p buf, every line ended by CRLF, followed by a
 * NUL. Returns the length written without the NUL, or
 * WEFT_ERR_BUFFER_TOO_SMALL when @p buflen is less than
 * weft_sdp_serialized_len() + 1 (nothing useful is written then).
 */
WEFT_EXTERN int weft_sdp_serialize(const weft_sdp *sdp, char *buf,
                                   size_t buflen);

/* ------------------------------------------------------------------------ */
/* Generic access                                                           */
/* ------------------------------------------------------------------------ */

/** The number of media sections. */
WEFT_EXTERN size_t weft_sdp_media_count(const weft_sdp *sdp);

/**
 * The m= line of media section @p m, split into *@p out. Returns 0 or
 * WEFT_ERR_NOT_FOUND (no such section).
 */
WEFT_EXTERN int weft_sdp_media(const weft_sdp *sdp, int m,
                               weft_sdp_media_line *out);

/**
 * The @p i-th format of media section @p m: *@p fmt points at it inside
 * the format list (not NUL-terminated), *@p len is its length. Returns 0 or
 * WEFT_ERR_NOT_FOUND.
 */
WEFT_EXTERN int weft_sdp_media_fmt(const weft_sdp *sdp, int m, size_t i,
                                   const char **fmt, size_t *len);

/** Number of fields (non-attribute lines, m= excluded) of section @p m. */
WEFT_EXTERN size_t weft_sdp_field_count(const weft_sdp *sdp, int m);

/**
 * The @p i-th field of section @p m: its type letter in *@p type (may be
 * NULL) and the text after "x=". Returns NULL when out of range.
 */
WEFT_EXTERN const char *weft_sdp_field_at(const weft_sdp *sdp, int m, size_t i,
                                          char *type);

/**
 * The text of the first field of type @p type ('o', 's', 'c', 'b', ...) in
 * section @p m, NULL when there is none.
 */
WEFT_EXTERN const char *weft_sdp_field(const weft_sdp *sdp, int m, char type);

/** Number of attributes of section @p m (0 for a missing section). */
WEFT_EXTERN size_t weft_sdp_attr_count(const weft_sdp *sdp, int m);

/** The @p i-th attribute of section @p m, NULL when out of range. */
WEFT_EXTERN const weft_sdp_attr *weft_sdp_attr_at(const weft_sdp *sdp, int m,
                                                  size_t i);

/**
 * Finds the first attribute named @p name (case-sensitive, as RFC 8866)
 * at index @p from or later in section @p m. Sets *@p value (may be NULL) to
 * its value (NULL for a property). Returns its index (>= 0) or
 * WEFT_ERR_NOT_FOUND.
 */
WEFT_EXTERN int weft_sdp_attr_find(const weft_sdp *sdp, int m, const char *name,
                                   size_t from, const char **value);

/** 1 when section @p m has an attribute named @p name, else 0. */
WEFT_EXTERN int weft_sdp_attr_has(const weft_sdp *sdp, int m, const char *name);

/**
 * The value of the first attribute @p name of media section @p m or, when
 * the section has none (or @p m is WEFT_SDP_SESSION), of the session
 * section: the JSEP rule for ice-ufrag, ice-pwd, fingerprint, setup, ...
 * NULL when neither has it or it is a property.
 */
WEFT_EXTERN const char *weft_sdp_attr_value(const weft_sdp *sdp, int m,
                                            const char *name);

/* ------------------------------------------------------------------------ */
/* Editing                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * Text given to the editing functions is copied. It may not hold NUL, CR,
 * LF or other control characters but tab (WEFT_ERR_INVALID_ARGUMENT); limits
 * give WEFT_ERR_LIMIT; allocation failures WEFT_ERR_NOMEM, leaving the
 * description as it was.
 */

/**
 * Sets the first field of type @p type in section @p m to @p value, or adds
 * it where RFC 8866 orders it (session: v o s i u e p c b t r z k; media:
 * i c b k; other types after the known ones) when there is none. 'a' and 'm'
 * are refused (WEFT_ERR_INVALID_ARGUMENT), and so are types a media section
 * may not hold. Returns 0 or an error.
 */
WEFT_EXTERN int weft_sdp_set_field(weft_sdp *sdp, int m, char type,
                                   const char *value);

/**
 * Adds one more field of type @p type (b=, t=, r=, ...) after the last one
 * of the same place in the RFC 8866 order. Returns 0 or an error as
 * weft_sdp_set_field().
 */
WEFT_EXTERN int weft_sdp_add_field(weft_sdp *sdp, int m, char type,
                                   const char *value);

/**
 * Appends the attribute a=@p name[:@p value] to section @p m (@p value NULL:
 * a property). @p name must be non-empty, without ':', space or tab.
 * Returns the new attribute's index or an error.
 */
WEFT_EXTERN int weft_sdp_add_attr(weft_sdp *sdp, int m, const char *name,
                                  const char *value);

/**
 * Replaces the value of the first attribute @p name of section @p m, or
 * appends it. Returns its index or an error.
 */
WEFT_EXTERN int weft_sdp_set_attr(weft_sdp *sdp, int m, const char *name,
                                  const char *value);

/**
 * Removes the @p i-th attribute of section @p m. Returns 0 or
 * WEFT_ERR_NOT_FOUND.
 */
WEFT_EXTERN int weft_sdp_remove_attr(weft_sdp *sdp, int m, size_t i);

/**
 * Removes every attribute named @p name of section @p m. Returns how many
 * were removed (0 or more).
 */
WEFT_EXTERN int weft_sdp_remove_attrs(weft_sdp *sdp, int m, const char *name);

/**
 * Appends a media section "m=@p media @p port @p proto @p fmts" (@p fmts:
 * space-separated formats, "" or NULL for none). @p media and @p proto must
 * be non-empty tokens without spaces. Returns the new section's number or an
 * error.
 */
WEFT_EXTERN int weft_sdp_add_media(weft_sdp *sdp, const char *media,
                                   unsigned port, const char *proto,
                                   const char *fmts);

/**
 * Sets the port of media section @p m (e.g. 0 to reject it), keeping the
 * rest of its m= line. Returns 0, WEFT_ERR_NOT_FOUND,
 * WEFT_ERR_INVALID_ARGUMENT (port above 65535) or WEFT_ERR_NOMEM.
 */
WEFT_EXTERN int weft_sdp_media_set_port(weft_sdp *sdp, int m, unsigned port);

/* ------------------------------------------------------------------------ */
/* Typed helpers for what WebRTC needs                                      */
/* ------------------------------------------------------------------------ */

/** a=setup values (RFC 4145 / RFC 8842). */
enum weft_sdp_setup {
  WEFT_SDP_SETUP_ACTPASS = 1,
  WEFT_SDP_SETUP_ACTIVE = 2,
  WEFT_SDP_SETUP_PASSIVE = 3,
  WEFT_SDP_SETUP_HOLDCONN = 4,
};

/** Media directions (RFC 8866 6.7). */
enum weft_sdp_direction {
  WEFT_SDP_SENDRECV = 1,
  WEFT_SDP_SENDONLY = 2,
  WEFT_SDP_RECVONLY = 3,
  WEFT_SDP_INACTIVE = 4,
};

/** A view of a string inside a description (not NUL-terminated). */
typedef struct weft_sdp_str {
  const char *p;
  size_t len;
} weft_sdp_str;

/** The o= line (RFC 8866 5.2). */
typedef struct weft_sdp_origin {
  weft_sdp_str username;
  weft_sdp_str sess_id;
  uint64_t sess_version;
  weft_sdp_str nettype;  /**< "IN" */
  weft_sdp_str addrtype; /**< "IP4" or "IP6" */
  weft_sdp_str address;
} weft_sdp_origin;

/** a=fingerprint (RFC 8122): hash function name and the hex digest text. */
typedef struct weft_sdp_fingerprint {
  weft_sdp_str hash;  /**< "sha-256" as written */
  weft_sdp_str value; /**< "AB:CD:..." as written */
} weft_sdp_fingerprint;

/** a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>] */
typedef struct weft_sdp_rtpmap {
  unsigned pt;
  weft_sdp_str encoding; /**< "opus", "VP8", "H264", ... */
  uint32_t clock_rate;
  unsigned channels; /**< 0 when absent */
} weft_sdp_rtpmap;

/** a=extmap:<id>[/<direction>] <uri> [<attributes>] (RFC 8285) */
typedef struct weft_sdp_extmap {
  unsigned id;            /**< 1 .. 4351 */
  weft_sdp_str direction; /**< empty when absent */
  weft_sdp_str uri;
  weft_sdp_str attributes; /**< empty when absent */
} weft_sdp_extmap;

/** a=ssrc:<ssrc> <attribute>[:<value>] (RFC 5576) */
typedef struct weft_sdp_ssrc {
  uint32_t ssrc;
  weft_sdp_str attribute; /**< "cname", "msid", ...; empty if none */
  weft_sdp_str value;     /**< empty when absent */
} weft_sdp_ssrc;

/** a=msid:<stream id> [<track id>] (RFC 8830) */
typedef struct weft_sdp_msid {
  weft_sdp_str stream;
  weft_sdp_str track; /**< empty when absent */
} weft_sdp_msid;

/*
 * Value parsers: each reads one attribute value (NUL-terminated, as the
 * accessors return it) and returns 0, WEFT_ERR_SDP_PARSE (malformed) or
 * WEFT_ERR_INVALID_ARGUMENT (NULL). Views point into @p value.
 */

/** Parses an o= line. */
WEFT_EXTERN int weft_sdp_parse_origin(const char *value, weft_sdp_origin *out);
/** Parses an a=fingerprint value. */
WEFT_EXTERN int weft_sdp_parse_fingerprint(const char *value,
                                           weft_sdp_fingerprint *out);
/** Parses an a=rtpmap value. */
WEFT_EXTERN int weft_sdp_parse_rtpmap(const char *value, weft_sdp_rtpmap *out);
/** Parses an a=extmap value. */
WEFT_EXTERN int weft_sdp_parse_extmap(const char *value, weft_sdp_extmap *out);
/** Parses an a=ssrc value. */
WEFT_EXTERN int weft_sdp_parse_ssrc(const char *value, weft_sdp_ssrc *out);
/** Parses an a=msid value. */
WEFT_EXTERN int weft_sdp_parse_msid(const char *value, weft_sdp_msid *out);

/**
 * Parses an a=ssrc-group value, "FID 1111 2222": the semantics in
 * *@p semantics and up to @p max SSRCs in @p ssrcs, their number in *@p n.
 * Returns 0, WEFT_ERR_SDP_PARSE or WEFT_ERR_LIMIT (more than @p max).
 */
WEFT_EXTERN int weft_sdp_parse_ssrc_group(const char *value,
                                          weft_sdp_str *semantics,
                                          uint32_t *ssrcs, size_t max,
                                          size_t *n);

/**
 * The parsed o= line of @p sdp. Returns 0, WEFT_ERR_NOT_FOUND or
 * WEFT_ERR_SDP_PARSE.
 */
WEFT_EXTERN int weft_sdp_origin_get(const weft_sdp *sdp, weft_sdp_origin *out);

/** a=ice-ufrag of media section @p m, else of the session; NULL if none. */
WEFT_EXTERN const char *weft_sdp_ice_ufrag(const weft_sdp *sdp, int m);

/** a=ice-pwd of media section @p m, else of the session; NULL if none. */
WEFT_EXTERN const char *weft_sdp_ice_pwd(const weft_sdp *sdp, int m);

/**
 * 1 when the a=ice-options of media section @p m (else of the session) lists
 * @p option ("trickle", "ice2", ...), else 0.
 */
WEFT_EXTERN int weft_sdp_ice_option(const weft_sdp *sdp, int m,
                                    const char *option);

/** 1 when the session section has a=ice-lite, else 0. */
WEFT_EXTERN int weft_sdp_ice_lite(const weft_sdp *sdp);

/**
 * The first a=fingerprint of media section @p m, else of the session.
 * Returns 0, WEFT_ERR_NOT_FOUND or WEFT_ERR_SDP_PARSE.
 */
WEFT_EXTERN int weft_sdp_fingerprint_get(const weft_sdp *sdp, int m,
                                         weft_sdp_fingerprint *out);

/**
 * a=setup of media section @p m, else of the session: one of enum
 * weft_sdp_setup, WEFT_ERR_NOT_FOUND or WEFT_ERR_SDP_PARSE (unknown value).
 */
WEFT_EXTERN int weft_sdp_setup(const weft_sdp *sdp, int m);

/** The name of a setup value ("actpass"), NULL when unknown. */
WEFT_EXTERN const char *weft_sdp_setup_name(int setup);

/**
 * The direction of media section @p m: its sendrecv/sendonly/recvonly/
 * inactive attribute, else the session's, else WEFT_SDP_SENDRECV (RFC 8866
 * default). Returns one of enum weft_sdp_direction.
 */
WEFT_EXTERN int weft_sdp_direction(const weft_sdp *sdp, int m);

/** The attribute name of a direction ("sendonly"), NULL when unknown. */
WEFT_EXTERN const char *weft_sdp_direction_name(int dir);

/**
 * Sets the direction of media section @p m (or of the session): removes any
 * direction attribute there and appends the one given. Returns 0 or an
 * error.
 */
WEFT_EXTERN int weft_sdp_set_direction(weft_sdp *sdp, int m, int dir);

/** a=mid of media section @p m; NULL if none. */
WEFT_EXTERN const char *weft_sdp_mid(const weft_sdp *sdp, int m);

/** The media section whose a=mid is @p mid, or WEFT_ERR_NOT_FOUND. */
WEFT_EXTERN int weft_sdp_find_mid(const weft_sdp *sdp, const char *mid);

/**
 * The @p i-th identification tag of the first session-level a=group with
 * semantics @p semantics ("BUNDLE", "LS"). Returns 0 or WEFT_ERR_NOT_FOUND.
 */
WEFT_EXTERN int weft_sdp_group_mid(const weft_sdp *sdp, const char *semantics,
                                   size_t i, weft_sdp_str *mid);

/**
 * 1 when @p mid is in the first session-level a=group with semantics
 * @p semantics, else 0.
 */
WEFT_EXTERN int weft_sdp_group_has(const weft_sdp *sdp, const char *semantics,
                                   const char *mid);

/**
 * The a=msid of media section @p m. Returns 0, WEFT_ERR_NOT_FOUND or
 * WEFT_ERR_SDP_PARSE.
 */
WEFT_EXTERN int weft_sdp_msid_get(const weft_sdp *sdp, int m,
                                  weft_sdp_msid *out);

/**
 * The a=rtpmap of payload type @p pt in media section @p m. Returns 0,
 * WEFT_ERR_NOT_FOUND or WEFT_ERR_SDP_PARSE.
 */
WEFT_EXTERN int weft_sdp_rtpmap_get(const weft_sdp *sdp, int m, unsigned pt,
                                    weft_sdp_rtpmap *out);

/**
 * The parameters of the a=fmtp of payload type @p pt in media section @p m
 * (the text after "<pt> "), NULL if none.
 */
WEFT_EXTERN const char *weft_sdp_fmtp(const weft_sdp *sdp, int m, unsigned pt);

/**
 * Looks up @p key in fmtp parameters "k1=v1;k2=v2" (spaces after ';'
 * allowed). Returns 0 with the value in *@p value, or WEFT_ERR_NOT_FOUND.
 */
WEFT_EXTERN int weft_sdp_fmtp_param(const char *params, const char *key,
                                    weft_sdp_str *value);

/**
 * The @p i-th a=rtcp-fb of payload type @p pt in media section @p m ("nack",
 * "nack pli", "transport-cc", "goog-remb", ...); entries for "*" count for
 * every payload type. Returns 0 or WEFT_ERR_NOT_FOUND.
 */
WEFT_EXTERN int weft_sdp_rtcp_fb(const weft_sdp *sdp, int m, unsigned pt,
                                 size_t i, weft_sdp_str *fb);

/**
 * The id of the a=extmap with URI @p uri in media section @p m (else in the
 * session section). Returns the id (1 .. 4351) or WEFT_ERR_NOT_FOUND.
 */
WEFT_EXTERN int weft_sdp_extmap_id(const weft_sdp *sdp, int m, const char *uri);

/**
 * a=sctp-port (RFC 8841) of media section @p m into *@p port. Returns 0,
 * WEFT_ERR_NOT_FOUND or WEFT_ERR_SDP_PARSE.
 */
WEFT_EXTERN int weft_sdp_sctp_port(const weft_sdp *sdp, int m, uint16_t *port);

/**
 * a=max-message-size (RFC 8841) of media section @p m into *@p size (0
 * means no limit). Returns 0, WEFT_ERR_NOT_FOUND or WEFT_ERR_SDP_PARSE.
 */
WEFT_EXTERN int weft_sdp_max_message_size(const weft_sdp *sdp, int m,
                                          uint64_t *size);

/**
 * The @p i-th a=candidate of media section @p m (the value after
 * "candidate:", to parse with weft_ice_candidate_parse()), NULL if none.
 */
WEFT_EXTERN const char *weft_sdp_candidate(const weft_sdp *sdp, int m,
                                           size_t i);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_SDP_H */
