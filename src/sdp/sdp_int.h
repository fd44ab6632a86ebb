/* Internal representation of a weft_sdp (see include/weft/sdp.h). */
#ifndef WEFT_SDP_INT_H
#define WEFT_SDP_INT_H

#include <stdint.h>

#include "weft/sdp.h"

/* A field: every line but a= and m=. The value is NUL-terminated. */
typedef struct sdp_line {
  const char *value;
  uint32_t len;
  char type;
  uint8_t owned; /* value allocated alone (freed with the line) */
} sdp_line;

/* An attribute; `pub` first so that a pointer to it is a weft_sdp_attr. When
 * owned, pub.name is one allocation holding "name\0value\0". */
typedef struct sdp_attr {
  weft_sdp_attr pub;
  uint32_t nlen;
  uint32_t vlen;
  uint8_t owned;
} sdp_attr;

typedef struct sdp_section {
  sdp_line *lines;
  sdp_attr *attrs;
  uint32_t nlines, caplines;
  uint32_t nattrs, capattrs;
  uint8_t lines_owned; /* arrays allocated alone (else in the parse block) */
  uint8_t attrs_owned;
  /* media sections only: the m= text and its split copy */
  const char *mline;
  uint32_t mline_len;
  char *mbuf; /* owned allocation holding mline and its split, or NULL */
  weft_sdp_media_line ml;
} sdp_section;

struct weft_sdp {
  weft_mem mem;
  sdp_section session;
  sdp_section *media;
  uint32_t nmedia, capmedia;
  uint8_t media_owned;
  uint32_t nlines; /* every line, m= included, for WEFT_SDP_MAX_LINES */
};

/* The section numbered m (WEFT_SDP_SESSION or a media index), or NULL. */
static inline const sdp_section *sdp_sec(const weft_sdp *sdp, int m) {
  if (sdp == NULL)
    return NULL;
  if (m == WEFT_SDP_SESSION)
    return &sdp->session;
  if (m < 0 || (uint32_t)m >= sdp->nmedia)
    return NULL;
  return &sdp->media[m];
}

/* Splits the m= text v (n bytes) into ml, copying it into buf (n + 1 bytes).
 * Returns 0 or WEFT_ERR_SDP_PARSE. */
int sdp_split_mline(const char *v, size_t n, char *buf,
                    weft_sdp_media_line *ml);

/* Frees what a section owns (not the section itself). */
void sdp_section_free(weft_sdp *sdp, sdp_section *s);

#endif
