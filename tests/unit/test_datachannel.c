/* Data channels (RFC 8831, DCEP RFC 8832): the DCEP codec, then two weft_dc
 * endpoints through an in-memory pipe in virtual time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "datachannel/dcep.h"
#include "dc_pipe.h"
#include "weft/datachannel.h"

/* ---- DCEP codec ----------------------------------------------------------
 */

static void test_dcep_open_vector(void **state) {
  (void)state;
  /* RFC 8832 section 5.1 layout, written out by hand */
  static const uint8_t v[] = {0x03, 0x81, 0x01, 0x00, 0x00, 0x00, 0x00,
                              0x05, 0x00, 0x04, 0x00, 0x03, 'c',  'h',
                              'a',  't',  'x',  'y',  'z'};
  weft_dcep_open o;
  assert_int_equal(weft_dcep_type(v, sizeof(v)), WEFT_DCEP_OPEN);
  assert_int_equal(weft_dcep_open_decode(&o, v, sizeof(v)), 0);
  assert_int_equal(o.channel_type, WEFT_DCEP_PR_REXMIT_UNORDERED);
  assert_int_equal(o.priority, 256);
  assert_int_equal(o.reliability, 5);
  assert_int_equal(o.label_len, 4);
  assert_memory_equal(o.label, "chat", 4);
  assert_int_equal(o.protocol_len, 3);
  assert_memory_equal(o.protocol, "xyz", 3);
  uint8_t buf[64];
  assert_int_equal(weft_dcep_open_encode(buf, sizeof(buf), &o), sizeof(v));
  assert_memory_equal(buf, v, sizeof(v));
  assert_int_equal(weft_dcep_open_encode(buf, sizeof(v) - 1, &o),
                   WEFT_ERR_BUFFER_TOO_SMALL);
  /* truncated, trailing byte, wrong type, unknown channel type */
  assert_int_equal(weft_dcep_open_decode(&o, v, sizeof(v) - 1), WEFT_ERR_PARSE);
  memcpy(buf, v, sizeof(v));
  buf[sizeof(v)] = 0;
  assert_int_equal(weft_dcep_open_decode(&o, buf, sizeof(v) + 1),
                   WEFT_ERR_PARSE);
  buf[0] = WEFT_DCEP_ACK;
  assert_int_equal(weft_dcep_open_decode(&o, buf, sizeof(v)), WEFT_ERR_PARSE);
  buf[0] = WEFT_DCEP_OPEN;
  buf[1] = 0x03;
  assert_int_equal(weft_dcep_open_decode(&o, buf, sizeof(v)), WEFT_ERR_PARSE);
  assert_int_equal(weft_dcep_open_decode(&o, NULL, 0), WEFT_ERR_PARSE);
}

static void test_dcep_ack_and_types(void **state) {
  (void)state;
  uint8_t b[2];
  assert_int_equal(weft_dcep_ack_encode(b, sizeof(b)), 1);
  assert_int_equal(b[0], 0x02);
  assert_int_equal(weft_dcep_ack_decode(b, 1), 0);
  assert_int_equal(weft_dcep_ack_decode(b, 2), WEFT_ERR_PARSE);
  assert_int_equal(weft_dcep_ack_encode(b, 0), WEFT_ERR_BUFFER_TOO_SMALL);
  b[0] = 0x03;
  assert_int_equal(weft_dcep_ack_decode(b, 1), WEFT_ERR_PARSE);
  assert_int_equal(weft_dcep_type(b, 0), WEFT_ERR_PARSE);
  static const uint8_t ok[] = {0x00, 0x80, 0x01, 0x81, 0x02, 0x82};
  for (size_t i = 0; i < sizeof(ok); i++)
    assert_true(weft_dcep_channel_type_valid(ok[i]));
  assert_false(weft_dcep_channel_type_valid(0x03));
  assert_false(weft_dcep_channel_type_valid(0x7f));
  assert_false(weft_dcep_channel_type_valid(0xff));
}

/* ---- helpers --------------------------------------------------------------
 */

#define MAX_MSGS 256

typedef struct rx_msg {
  int side;
  uint16_t id;
  int binary;
  size_t len;
  uint8_t *data;
  weft_tstamp at;
} rx_msg;

typedef struct rx_log {
  rx_msg m[MAX_MSGS];
  size_t n;
  int closes[2];
  int errors[2];
  int last_error[2];
} rx_log;

static void log_event(dc_pipe *p, int side, const weft_dc_event *ev) {
  rx_log *l = p->user;
  if (l == NULL)
    return;
  if (ev->type == WEFT_DC_EVENT_CLOSE)
    l->closes[side]++;
  if (ev->type == WEFT_DC_EVENT_ERROR) {
    l->errors[side]++;
    l->last_error[side] = ev->error;
  }
  if (ev->type != WEFT_DC_EVENT_MESSAGE || l->n >= MAX_MSGS)
    return;
  rx_msg *m = &l->m[l->n++];
  m->side = side;
  m->id = ev->id;
  m->binary = ev->binary;
  m->len = ev->len;
  m->at = p->now;
  m->data = malloc(ev->len + 1);
  if (ev->len > 0)
    memcpy(m->data, ev->data, ev->len);
}

static void log_free(rx_log *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->m[i].data);
  l->n = 0;
}

static int both_connected(dc_pipe *p) {
  return p->events[0][WEFT_DC_EVENT_CONNECTED] &&
         p->events[1][WEFT_DC_EVENT_CONNECTED];
}

/* Two endpoints (0 DTLS client, 1 server), optionally connected. */
static void setup_pair(dc_pipe *p, rx_log *l, uint64_t seed, int connect) {
  dcp_init(p, seed);
  p->user = l;
  p->on_event = log_event;
  for (int s = 0; s < 2; s++) {
    weft_dc_settings ds;
    dcp_settings(p, s, &ds);
    assert_int_equal(weft_dc_new(&p->ep[s], &ds, NULL, NULL), 0);
  }
  if (!connect)
    return;
  assert_int_equal(weft_dc_connect(p->ep[0], p->now), 0);
  assert_int_equal(weft_dc_connect(p->ep[1], p->now), 0);
  assert_true(dcp_run(p, both_connected, 5 * (weft_duration)WEFT_SECONDS));
}

static uint16_t open_chan(dc_pipe *p, int side, const char *label,
                          const char *proto, int ordered, int rtx, int life) {
  weft_dc_channel_init in;
  weft_dc_channel_init_default(&in);
  in.label = label;
  in.protocol = proto;
  in.ordered = ordered;
  in.max_retransmits = rtx;
  in.max_packet_lifetime = life;
  uint16_t id = 0xffff;
  assert_int_equal(weft_dc_open(p->ep[side], p->now, &in, &id), 0);
  return id;
}

/* Runs for @p ms of virtual time. */
static void run_ms(dc_pipe *p, int ms) {
  dcp_run(p, NULL, ms * (weft_duration)WEFT_MILLISECONDS);
}

/* ---- opening and messages -------------------------------------------------
 */

static void test_open_and_messages(void **state) {
  (void)state;
  dc_pipe p;
  rx_log l = {0};
  setup_pair(&p, &l, 1, 1);
  uint16_t id = open_chan(&p, 0, "chat", "json", 1, -1, -1);
  assert_int_equal(id % 2, 0); /* DTLS client: even */
  run_ms(&p, 200);
  assert_int_equal(p.events[0][WEFT_DC_EVENT_OPEN], 1);
  assert_int_equal(p.events[1][WEFT_DC_EVENT_CHANNEL], 1);
  assert_int_equal(p.events[1][WEFT_DC_EVENT_OPEN], 1);
  assert_int_equal(p.last_id[1][WEFT_DC_EVENT_CHANNEL], id);
  weft_dc_channel ci;
  assert_int_equal(weft_dc_channel_info(p.ep[1], id, &ci), 0);
  assert_string_equal(ci.label, "chat");
  assert_string_equal(ci.protocol, "json");
  assert_int_equal(ci.state, WEFT_DC_OPEN);
  assert_int_equal(ci.ordered, 1);
  assert_int_equal(ci.max_retransmits, -1);
  assert_int_equal(ci.max_packet_lifetime, -1);
  assert_int_equal(ci.negotiated, 0);
  assert_int_equal(ci.priority, 256);

  /* string, binary, empty string, empty binary; both ways */
  assert_int_equal(weft_dc_send(p.ep[0], p.now, id, "hello", 5, 0), 0);
  assert_int_equal(weft_dc_send(p.ep[0], p.now, id, "\x00\x01\x02", 3, 1), 0);
  assert_int_equal(weft_dc_send(p.ep[0], p.now, id, NULL, 0, 0), 0);
  assert_int_equal(weft_dc_send(p.ep[0], p.now, id, NULL, 0, 1), 0);
  assert_int_equal(weft_dc_send(p.ep[1], p.now, id, "back", 4, 0), 0);
  run_ms(&p, 500);
  assert_int_equal(l.n, 5);
  size_t at1 = 0;
  for (size_t i = 0; i < l.n; i++)
    if (l.m[i].side == 0)
      at1 = i;
  assert_int_equal(l.m[at1].len, 4);
  assert_memory_equal(l.m[at1].data, "back", 4);
  assert_int_equal(l.m[at1].binary, 0);
  /* the four from side 0 in order */
  size_t k = 0;
  const rx_msg *from0[4];
  for (size_t i = 0; i < l.n; i++)
    if (l.m[i].side == 1)
      from0[k++] = &l.m[i];
  assert_int_equal(k, 4);
  assert_int_equal(from0[0]->len, 5);
  assert_memory_equal(from0[0]->data, "hello", 5);
  assert_int_equal(from0[0]->binary, 0);
  assert_int_equal(from0[1]->len, 3);
  assert_memory_equal(from0[1]->data, "\x00\x01\x02", 3);
  assert_int_equal(from0[1]->binary, 1);
  assert_int_equal(from0[2]->len, 0);
  assert_int_equal(from0[2]->binary, 0);
  assert_int_equal(from0[3]->len, 0);
  assert_int_equal(from0[3]->binary, 1);
  weft_dc_stats st;
  weft_dc_get_stats(p.ep[1], &st);
  assert_int_equal(st.messages_received, 4);
  assert_int_equal(st.bytes_received, 8);
  assert_int_equal(st.dropped, 0);
  log_free(&l);
  dcp_free(&p);
}

/* Every channel kind: the peer learns ordered / reliability from DCEP and
 * messages flow on each. */
static void test_channel_kinds(void **state) {
  (void)state;
  dc_pipe p;
  rx_log l = {0};
  setup_pair(&p, &l, 2, 1);
  struct {
    int ordered, rtx, life;
  } kinds[] = {{1, -1, -1}, {0, -1, -1}, {1, 3, -1},
               {0, 0, -1},  {1, -1, 50}, {0, -1, 1000}};
  uint16_t ids[6];
  for (int i = 0; i < 6; i++)
    ids[i] = open_chan(&p, 1, "k", "", kinds[i].ordered, kinds[i].rtx,
                       kinds[i].life);
  run_ms(&p, 200);
  for (int i = 0; i < 6; i++) {
    assert_int_equal(ids[i] % 2, 1); /* DTLS server: odd */
    weft_dc_channel ci;
    assert_int_equal(weft_dc_channel_info(p.ep[0], ids[i], &ci), 0);
    assert_int_equal(ci.state, WEFT_DC_OPEN);
    assert_int_equal(ci.ordered, kinds[i].ordered);
    assert_int_equal(ci.max_retransmits, kinds[i].rtx);
    assert_int_equal(ci.max_packet_lifetime, kinds[i].life);
    char msg[16];
    snprintf(msg, sizeof(msg), "kind %d", i);
    assert_int_equal(weft_dc_send(p.ep[1], p.now, ids[i], msg, strlen(msg), 0),
                     0);
    assert_int_equal(weft_dc_send(p.ep[0], p.now, ids[i], msg, strlen(msg), 1),
                     0);
  }
  assert_int_equal(p.events[0][WEFT_DC_EVENT_CHANNEL], 6);
  run_ms(&p, 500);
  assert_int_equal(l.n, 12);
  for (size_t i = 0; i < l.n; i++) {
    int k = -1;
    for (int j = 0; j < 6; j++)
      if (ids[j] == l.m[i].id)
        k = j;
    assert_true(k >= 0);
    char msg[16];
    snprintf(msg, sizeof(msg), "kind %d", k);
    assert_int_equal(l.m[i].len, strlen(msg));
    assert_memory_equal(l.m[i].data, msg, strlen(msg));
    assert_int_equal(l.m[i].binary, l.m[i].side == 1);
  }
  log_free(&l);
  dcp_free(&p);
}

/* Channels opened before the association is up open when it is; both sides
 * open at once without id collisions. */
static void test_open_before_connect(void **state) {
  (void)state;
  dc_pipe p;
  rx_log l = {0};
  setup_pair(&p, &l, 3, 0);
  uint16_t a = open_chan(&p, 0, "a", "", 1, -1, -1);
  uint16_t b = open_chan(&p, 1, "b", "", 1, -1, -1);
  assert_int_not_equal(a, b);
  weft_dc_channel ci;
  assert_int_equal(weft_dc_channel_info(p.ep[0], a, &ci), 0);
  assert_int_equal(ci.state, WEFT_DC_CONNECTING);
  assert_int_equal(weft_dc_send(p.ep[0], p.now, a, "x", 1, 0),
                   WEFT_ERR_INVALID_STATE);
  assert_int_equal(weft_dc_connect(p.ep[0], p.now), 0);
  assert_int_equal(weft_dc_connect(p.ep[1], p.now), 0);
  run_ms(&p, 1000);
  assert_int_equal(p.events[0][WEFT_DC_EVENT_OPEN], 2);
  assert_int_equal(p.events[1][WEFT_DC_EVENT_OPEN], 2);
  assert_int_equal(p.events[0][WEFT_DC_EVENT_CHANNEL], 1);
  assert_int_equal(p.events[1][WEFT_DC_EVENT_CHANNEL], 1);
  assert_int_equal(weft_dc_channel_info(p.ep[1], a, &ci), 0);
  assert_string_equal(ci.label, "a");
  assert_int_equal(weft_dc_channel_info(p.ep[0], b, &ci), 0);
  assert_string_equal(ci.label, "b");
  log_free(&l);
  dcp_free(&p);
}

/* Messages up to max-message-size (256 KiB) arrive whole; bigger ones are
 * refused. */
static void test_large_messages(void **state) {
  (void)state;
  dc_pipe p;
  rx_log l = {0};
  setup_pair(&p, &l, 4, 1);
  p.loss = 0.02;
  uint16_t id = open_chan(&p, 0, "big", "", 1, -1, -1);
  size_t sizes[] = {1, 1187, 1188, 1189, 65536, 100000, 256 * 1024};
  size_t n = sizeof(sizes) / sizeof(sizes[0]);
  uint8_t *buf = malloc(256 * 1024 + 1);
  weft_pcg g;
  weft_pcg_seed(&g, 9, 9);
  for (size_t i = 0; i < 256 * 1024 + 1; i++)
    buf[i] = (uint8_t)weft_pcg_next(&g);
  run_ms(&p, 100);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(weft_dc_send(p.ep[0], p.now, id, buf, sizes[i], 1), 0);
    assert_int_equal(weft_dc_send(p.ep[1], p.now, id, buf + 1, sizes[i], 0), 0);
  }
  assert_int_equal(weft_dc_send(p.ep[0], p.now, id, buf, 256 * 1024 + 1, 1),
                   WEFT_ERR_SCTP_MESSAGE_TOO_BIG);
  run_ms(&p, 20000);
  assert_int_equal(l.n, 2 * n);
  size_t k[2] = {0, 0};
  for (size_t i = 0; i < l.n; i++) {
    int s = l.m[i].side;
    size_t want = sizes[k[s]++];
    assert_int_equal(l.m[i].len, want);
    assert_memory_equal(l.m[i].data, s == 1 ? buf : buf + 1, want);
    assert_int_equal(l.m[i].binary, s == 1);
  }
  free(buf);
  log_free(&l);
  dcp_free(&p);
}

/* Pre-negotiated channels: no DCEP, both sides open with the same id. */
static void test_negotiated(void **state) {
  (void)state;
  dc_pipe p;
  rx_log l = {0};
  setup_pair(&p, &l, 5, 0);
  weft_dc_channel_init in;
  weft_dc_channel_init_default(&in);
  in.negotiated = 1;
  in.id = 7; /* odd on the client: ids are the application's choice */
  in.label = "neg";
  in.ordered = 0;
  uint16_t id;
  for (int s = 0; s < 2; s++) {
    assert_int_equal(weft_dc_open(p.ep[s], p.now, &in, &id), 0);
    assert_int_equal(id, 7);
  }
  assert_int_equal(weft_dc_open(p.ep[0], p.now, &in, &id), WEFT_ERR_EXISTS);
  assert_int_equal(weft_dc_connect(p.ep[0], p.now), 0);
  assert_int_equal(weft_dc_connect(p.ep[1], p.now), 0);
  run_ms(&p, 500);
  assert_int_equal(p.events[0][WEFT_DC_EVENT_OPEN], 1);
  assert_int_equal(p.events[1][WEFT_DC_EVENT_OPEN], 1);
  assert_int_equal(p.events[0][WEFT_DC_EVENT_CHANNEL], 0);
  assert_int_equal(p.events[1][WEFT_DC_EVENT_CHANNEL], 0);
  /* after connect too */
  in.id = 100;
  in.ordered = 1;
  for (int s = 0; s < 2; s++)
    assert_int_equal(weft_dc_open(p.ep[s], p.now, &in, &id), 0);
  assert_int_equal(weft_dc_send(p.ep[0], p.now, 7, "n7", 2, 0), 0);
  assert_int_equal(weft_dc_send(p.ep[1], p.now, 100, "n100", 4, 1), 0);
  run_ms(&p, 500);
  assert_int_equal(l.n, 2);
  for (size_t i = 0; i < l.n; i++) {
    if (l.m[i].side == 1) {
      assert_int_equal(l.m[i].id, 7);
      assert_memory_equal(l.m[i].data, "n7", 2);
    } else {
      assert_int_equal(l.m[i].id, 100);
      assert_memory_equal(l.m[i].data, "n100", 4);
    }
  }
  weft_dc_stats st;
  for (int s = 0; s < 2; s++) {
    weft_dc_get_stats(p.ep[s], &st);
    assert_int_equal(st.dropped, 0);
  }
  /* a negotiated channel only one side opened still closes */
  in.id = 9;
  assert_int_equal(weft_dc_open(p.ep[1], p.now, &in, &id), 0);
  assert_int_equal(weft_dc_set_buffered_amount_low_threshold(p.ep[1], 9, 1000),
                   0);
  run_ms(&p, 100);
  assert_int_equal(weft_dc_close(p.ep[1], p.now, 9), 0);
  run_ms(&p, 1000);
  assert_int_equal(l.closes[1], 1);
  assert_int_equal(p.last_id[1][WEFT_DC_EVENT_CLOSE], 9);
  assert_int_equal(l.closes[0], 0);
  log_free(&l);
  dcp_free(&p);
}

/* The peer's max-message-size (SDP) bounds what may be sent. */
static void test_remote_max_message_size(void **state) {
  (void)state;
  dc_pipe p;
  dcp_init(&p, 19);
  for (int s = 0; s < 2; s++) {
    weft_dc_settings ds;
    dcp_settings(&p, s, &ds);
    ds.remote_max_message_size = 1000;
    assert_int_equal(weft_dc_new(&p.ep[s], &ds, NULL, NULL), 0);
    assert_int_equal(weft_dc_connect(p.ep[s], p.now), 0);
  }
  assert_true(dcp_run(&p, both_connected, 5 * (weft_duration)WEFT_SECONDS));
  uint16_t id = open_chan(&p, 0, "m", "", 1, -1, -1);
  run_ms(&p, 100);
  static uint8_t buf[1001];
  assert_int_equal(weft_dc_send(p.ep[0], p.now, id, buf, 1001, 1),
                   WEFT_ERR_SCTP_MESSAGE_TOO_BIG);
  assert_int_equal(weft_dc_send(p.ep[0], p.now, id, buf, 1000, 1), 0);
  run_ms(&p, 100);
  assert_int_equal(p.events[1][WEFT_DC_EVENT_MESSAGE], 1);
  dcp_free(&p);
}

/* ---- closing --------------------------------------------------------------
 */

static void close_from(int closer) {
  dc_pipe p;
  rx_log l = {0};
  setup_pair(&p, &l, 6 + (uint64_t)closer, 1);
  uint16_t id = open_chan(&p, 0, "c", "", 1, -1, -1);
  run_ms(&p, 100);
  /* queued messages still go out before the reset */
  for (int i = 0; i < 20; i++)
    assert_int_equal(weft_dc_send(p.ep[closer], p.now, id, "z", 1, 0), 0);
  assert_int_equal(weft_dc_close(p.ep[closer], p.now, id), 0);
  weft_dc_channel ci;
  assert_int_equal(weft_dc_channel_info(p.ep[closer], id, &ci), 0);
  assert_int_equal(ci.state, WEFT_DC_CLOSING);
  assert_int_equal(weft_dc_send(p.ep[closer], p.now, id, "z", 1, 0),
                   WEFT_ERR_DATACHANNEL_CLOSED);
  assert_int_equal(weft_dc_close(p.ep[closer], p.now, id), 0); /* again */
  run_ms(&p, 1000);
  assert_int_equal(l.n, 20);
  assert_int_equal(l.closes[0], 1);
  assert_int_equal(l.closes[1], 1);
  assert_int_equal(p.events[1 - closer][WEFT_DC_EVENT_CLOSING], 1);
  assert_int_equal(p.events[closer][WEFT_DC_EVENT_CLOSING], 0);
  assert_int_equal(l.errors[0] + l.errors[1], 0);
  for (int s = 0; s < 2; s++) {
    assert_int_equal(weft_dc_channel_info(p.ep[s], id, &ci),
                     WEFT_ERR_NOT_FOUND);
    assert_int_equal(weft_dc_channel_count(p.ep[s]), 0);
    assert_int_equal(weft_dc_send(p.ep[s], p.now, id, "z", 1, 0),
                     WEFT_ERR_NOT_FOUND);
  }
  /* the id is reused, streams start again at SSN 0 */
  uint16_t id2 = open_chan(&p, 0, "again", "", 1, -1, -1);
  assert_int_equal(id2 % 2, 0);
  run_ms(&p, 100);
  assert_int_equal(weft_dc_send(p.ep[0], p.now, id2, "again", 5, 0), 0);
  assert_int_equal(weft_dc_send(p.ep[1], p.now, id2, "again", 5, 0), 0);
  run_ms(&p, 500);
  assert_int_equal(l.n, 22);
  log_free(&l);
  dcp_free(&p);
}

static void test_close_by_opener(void **state) {
  (void)state;
  close_from(0);
}

static void test_close_by_peer(void **state) {
  (void)state;
  close_from(1);
}

/* 1,000 channels (500 from each side) open, carry a message, close. */
static void test_thousand_channels(void **state) {
  (void)state;
  dc_pipe p;
  rx_log l = {0};
  setup_pair(&p, &l, 8, 1);
  p.user = NULL; /* count only */
  enum { N = 1000 };
  static uint16_t ids[N];
  for (int i = 0; i < N; i++) {
    char label[16];
    snprintf(label, sizeof(label), "ch%d", i);
    ids[i] = open_chan(&p, i % 2, label, "", 1, -1, -1);
  }
  run_ms(&p, 2000);
  assert_int_equal(p.events[0][WEFT_DC_EVENT_OPEN], N);
  assert_int_equal(p.events[1][WEFT_DC_EVENT_OPEN], N);
  assert_int_equal(p.events[0][WEFT_DC_EVENT_CHANNEL], N / 2);
  assert_int_equal(p.events[1][WEFT_DC_EVENT_CHANNEL], N / 2);
  assert_int_equal(weft_dc_channel_count(p.ep[0]), N);
  for (int i = 0; i < N; i++) {
    weft_dc_channel ci;
    char label[16];
    snprintf(label, sizeof(label), "ch%d", i);
    assert_int_equal(weft_dc_channel_info(p.ep[1 - i % 2], ids[i], &ci), 0);
    assert_string_equal(ci.label, label);
    assert_int_equal(
        weft_dc_send(p.ep[i % 2], p.now, ids[i], label, strlen(label), 0), 0);
  }
  run_ms(&p, 2000);
  assert_int_equal(p.events[0][WEFT_DC_EVENT_MESSAGE] +
                       p.events[1][WEFT_DC_EVENT_MESSAGE],
                   N);
  for (int i = 0; i < N; i++)
    assert_int_equal(weft_dc_close(p.ep[i % 3 == 0 ? 0 : 1], p.now, ids[i]), 0);
  run_ms(&p, 10000);
  assert_int_equal(p.events[0][WEFT_DC_EVENT_CLOSE], N);
  assert_int_equal(p.events[1][WEFT_DC_EVENT_CLOSE], N);
  assert_int_equal(p.events[0][WEFT_DC_EVENT_ERROR], 0);
  assert_int_equal(p.events[1][WEFT_DC_EVENT_ERROR], 0);
  assert_int_equal(weft_dc_channel_count(p.ep[0]), 0);
  assert_int_equal(weft_dc_channel_count(p.ep[1]), 0);
  dcp_free(&p);
}

/* Every stream id: 32,768 even channels from the client and 32,767 odd
 * ones from the server (65535 is reserved), all opened by DCEP, then all
 * closed. */
static void test_all_ids(void **state) {
  (void)state;
  dc_pipe p;
  setup_pair(&p, NULL, 9, 1);
  int n[2] = {0, 0};
  for (int s = 0; s < 2; s++) {
    weft_dc_channel_init in;
    weft_dc_channel_init_default(&in);
    uint16_t id;
    int rv;
    while ((rv = weft_dc_open(p.ep[s], p.now, &in, &id)) == 0)
      n[s]++;
    assert_int_equal(rv, WEFT_ERR_LIMIT);
  }
  assert_int_equal(n[0], 32768);
  assert_int_equal(n[1], 32767);
  run_ms(&p, 10000);
  for (int s = 0; s < 2; s++) {
    assert_int_equal(p.events[s][WEFT_DC_EVENT_OPEN], 65535);
    assert_int_equal(p.events[s][WEFT_DC_EVENT_CHANNEL], n[1 - s]);
    assert_int_equal(weft_dc_channel_count(p.ep[s]), 65535);
  }
  for (uint32_t id = 0; id <= WEFT_DC_MAX_ID; id++)
    assert_int_equal(weft_dc_close(p.ep[id % 2], p.now, (uint16_t)id), 0);
  run_ms(&p, 60000);
  for (int s = 0; s < 2; s++) {
    assert_int_equal(p.events[s][WEFT_DC_EVENT_CLOSE], 65535);
    assert_int_equal(p.events[s][WEFT_DC_EVENT_ERROR], 0);
    assert_int_equal(weft_dc_channel_count(p.ep[s]), 0);
  }
  dcp_free(&p);
}

/* ---- buffered amount ------------------------------------------------------
 */

static void test_buffered_amount_low(void **state) {
  (void)state;
  dc_pipe p;
  rx_log l = {0};
  setup_pair(&p, &l, 10, 1);
  p.user = NULL;
  uint16_t id = open_chan(&p, 0, "buf", "", 1, -1, -1);
  run_ms(&p, 100);
  assert_int_equal(
      weft_dc_set_buffered_amount_low_threshold(p.ep[0], id, 64 * 1024), 0);
  assert_int_equal(weft_dc_set_buffered_amount_low_threshold(p.ep[0], 999, 1),
                   WEFT_ERR_NOT_FOUND);
  static uint8_t chunk[16384];
  for (int i = 0; i < 64; i++)
    assert_int_equal(weft_dc_send(p.ep[0], p.now, id, chunk, sizeof(chunk), 1),
                     0);
  assert_int_equal(weft_dc_buffered_amount(p.ep[0], id), 64 * sizeof(chunk));
  weft_dc_channel ci;
  assert_int_equal(weft_dc_channel_info(p.ep[0], id, &ci), 0);
  assert_int_equal(ci.buffered_amount, 64 * sizeof(chunk));
  assert_int_equal(ci.buffered_amount_low_threshold, 64 * 1024);
  assert_int_equal(p.events[0][WEFT_DC_EVENT_BUFFERED_LOW], 0);
  run_ms(&p, 10000);
  assert_int_equal(p.events[0][WEFT_DC_EVENT_BUFFERED_LOW], 1);
  assert_int_equal(p.last_id[0][WEFT_DC_EVENT_BUFFERED_LOW], id);
  assert_int_equal(weft_dc_buffered_amount(p.ep[0], id), 0);
  assert_int_equal(p.events[1][WEFT_DC_EVENT_MESSAGE], 64);
  dcp_free(&p);
}

/* ---- partial reliability --------------------------------------------------
 */

/* Message i carries its send time; the receiver checks its age. */
static weft_duration max_age;
static int pr_received;
static uint32_t pr_seen[4096];
static int pr_ordered;
static int64_t pr_last;

static void age_event(dc_pipe *p, int side, const weft_dc_event *ev) {
  if (side != 1 || ev->type != WEFT_DC_EVENT_MESSAGE)
    return;
  assert_true(ev->len >= 12);
  weft_tstamp sent;
  uint32_t seq;
  memcpy(&sent, ev->data, 8);
  memcpy(&seq, ev->data + 8, 4);
  assert_true(seq < 4096);
  assert_int_equal(pr_seen[seq], 0); /* never twice */
  pr_seen[seq] = 1;
  if (pr_ordered) { /* gaps but no reordering */
    assert_true(pr_last < 0 || (int64_t)seq > pr_last);
    pr_last = seq;
  }
  weft_duration age = (weft_duration)(p->now - sent);
  if (age > max_age)
    max_age = age;
  pr_received++;
}

static void pr_run(int ordered, int rtx, int life, uint64_t seed,
                   weft_duration bound) {
  dc_pipe p;
  setup_pair(&p, NULL, seed, 1);
  p.on_event = age_event;
  uint16_t id = open_chan(&p, 0, "pr", "", ordered, rtx, life);
  run_ms(&p, 200);
  p.loss = 0.2;
  p.jitter = 5 * (weft_duration)WEFT_MILLISECONDS;
  max_age = 0;
  pr_received = 0;
  pr_ordered = ordered;
  pr_last = -1;
  memset(pr_seen, 0, sizeof(pr_seen));
  uint8_t msg[200] = {0};
  for (uint32_t i = 0; i < 2000; i++) {
    memcpy(msg, &p.now, 8);
    memcpy(msg + 8, &i, 4);
    assert_int_equal(weft_dc_send(p.ep[0], p.now, id, msg, sizeof(msg), 1), 0);
    run_ms(&p, 5);
  }
  run_ms(&p, 3000);
  weft_sctp_stats st;
  weft_sctp_get_stats(weft_dc_sctp(p.ep[0]), &st);
  /* losses were not all repaired, and what came was fresh enough */
  assert_true(pr_received > 1000);
  assert_true(pr_received < 2000);
  assert_true(st.abandoned > 0);
  if (getenv("DC_DEBUG"))
    fprintf(stderr, "pr %d/%d/%d: received %d, abandoned %llu, age %lld\n",
            ordered, rtx, life, pr_received, (unsigned long long)st.abandoned,
            (long long)max_age);
  /* an ordered channel holds later messages until the sender skips the
   * lost ones (FORWARD-TSN): their age is not the sender's doing */
  if (!ordered)
    assert_true(max_age <= bound);
  if (rtx == 0) /* no DATA chunk ever sent twice */
    assert_int_equal(st.retransmits, 0);
  dcp_free(&p);
}

static void test_unreliable_rtx0(void **state) {
  (void)state;
  /* never retransmitted: one-way delay plus jitter at most */
  weft_duration bound = 16 * (weft_duration)WEFT_MILLISECONDS;
  pr_run(0, 0, -1, 11, bound);
  pr_run(1, 0, -1, 12, bound);
}

static void test_unreliable_lifetime(void **state) {
  (void)state;
  /* sent within 50 ms of send(): at most 50 ms + delay + jitter old */
  weft_duration bound = 66 * (weft_duration)WEFT_MILLISECONDS;
  pr_run(0, -1, 50, 13, bound);
  pr_run(1, -1, 50, 14, bound);
}

/* ---- errors ----------------------------------------------------------------
 */

static void test_api_errors(void **state) {
  (void)state;
  weft_dc *dc;
  weft_dc_settings ds;
  weft_dc_settings_default(&ds);
  ds.sctp.log.level = WEFT_LOG_NONE;
  assert_int_equal(weft_dc_new(&dc, &ds, NULL, (void *)&ds), 0);
  assert_ptr_equal(weft_dc_user_data(dc), &ds);
  weft_dc_channel_init in;
  weft_dc_channel_init_default(&in);
  uint16_t id;
  /* no role yet: only negotiated ids */
  assert_int_equal(weft_dc_open(dc, 0, &in, &id), WEFT_ERR_INVALID_STATE);
  in.max_retransmits = 1;
  in.max_packet_lifetime = 1;
  assert_int_equal(weft_dc_open(dc, 0, &in, &id), WEFT_ERR_INVALID_ARGUMENT);
  weft_dc_channel_init_default(&in);
  in.negotiated = 1;
  assert_int_equal(weft_dc_open(dc, 0, &in, &id), WEFT_ERR_INVALID_ARGUMENT);
  in.id = 65535;
  assert_int_equal(weft_dc_open(dc, 0, &in, &id), WEFT_ERR_INVALID_ARGUMENT);
  assert_int_equal(weft_dc_set_role(dc, 5), WEFT_ERR_INVALID_ARGUMENT);
  assert_int_equal(weft_dc_set_role(dc, WEFT_DC_ROLE_SERVER), 0);
  assert_int_equal(weft_dc_set_role(dc, WEFT_DC_ROLE_CLIENT),
                   WEFT_ERR_INVALID_STATE);
  weft_dc_channel_init_default(&in);
  assert_int_equal(weft_dc_open(dc, 0, &in, &id), 0);
  assert_int_equal(id, 1);
  assert_int_equal(weft_dc_open(dc, 0, &in, &id), 0);
  assert_int_equal(id, 3);
  assert_int_equal(weft_dc_send(dc, 0, 9, "x", 1, 0), WEFT_ERR_NOT_FOUND);
  assert_int_equal(weft_dc_close(dc, 0, 9), WEFT_ERR_NOT_FOUND);
  /* closing a channel that never reached the wire closes it at once */
  assert_int_equal(weft_dc_close(dc, 0, 1), 0);
  weft_dc_event ev;
  assert_int_equal(weft_dc_poll_event(dc, &ev), 1);
  assert_int_equal(ev.type, WEFT_DC_EVENT_CLOSE);
  assert_int_equal(ev.id, 1);
  assert_int_equal(weft_dc_poll_event(dc, &ev), 0);
  assert_int_equal(weft_dc_channel_count(dc), 1);
  assert_null(weft_dc_sctp(NULL));
  weft_dc_del(dc);
  weft_dc_del(NULL);
}

/* A negotiated id beyond the streams the peer grants fails on connect. */
static void test_id_beyond_streams(void **state) {
  (void)state;
  dc_pipe p;
  rx_log l = {0};
  dcp_init(&p, 15);
  p.user = &l;
  p.on_event = log_event;
  for (int s = 0; s < 2; s++) {
    weft_dc_settings ds;
    dcp_settings(&p, s, &ds);
    if (s == 1)
      ds.sctp.max_in_streams = 16;
    assert_int_equal(weft_dc_new(&p.ep[s], &ds, NULL, NULL), 0);
  }
  weft_dc_channel_init in;
  weft_dc_channel_init_default(&in);
  in.negotiated = 1;
  in.id = 20;
  assert_int_equal(weft_dc_open(p.ep[0], p.now, &in, NULL), 0);
  in.id = 2;
  assert_int_equal(weft_dc_open(p.ep[0], p.now, &in, NULL), 0);
  assert_int_equal(weft_dc_connect(p.ep[0], p.now), 0);
  run_ms(&p, 1000);
  assert_int_equal(l.errors[0], 1);
  assert_int_equal(l.last_error[0], WEFT_ERR_SCTP_STREAM);
  assert_int_equal(l.closes[0], 1);
  assert_int_equal(p.events[0][WEFT_DC_EVENT_OPEN], 1);
  assert_int_equal(p.last_id[0][WEFT_DC_EVENT_OPEN], 2);
  in.id = 16;
  assert_int_equal(weft_dc_open(p.ep[0], p.now, &in, NULL),
                   WEFT_ERR_SCTP_STREAM);
  /* picked ids stay below the limit too */
  for (int i = 0; i < 8; i++) {
    weft_dc_channel_init_default(&in);
    int rv = weft_dc_open(p.ep[0], p.now, &in, NULL);
    assert_int_equal(rv, i < 7 ? 0 : WEFT_ERR_LIMIT);
  }
  dcp_free(&p);
}

/* Raw SCTP input: bad DCEP, unknown streams and PPIDs are dropped and
 * counted; the deprecated partial PPIDs 52/54 are reassembled. */
static void test_hostile_and_legacy(void **state) {
  (void)state;
  dc_pipe p;
  rx_log l = {0};
  setup_pair(&p, &l, 16, 1);
  uint16_t id = open_chan(&p, 0, "x", "", 1, -1, -1);
  run_ms(&p, 100);
  /* the test writes raw messages under the data channel layer */
  weft_sctp_assoc *raw = (weft_sctp_assoc *)weft_dc_sctp(p.ep[0]);
  weft_dc_stats st;
  weft_dc_get_stats(p.ep[1], &st);
  uint64_t dropped0 = st.dropped;
  assert_int_equal(weft_sctp_send(raw, p.now, 40, 50, "\x03\x00", 2, 0, 0, 0),
                   0); /* truncated OPEN */
  assert_int_equal(weft_sctp_send(raw, p.now, 42, 51, "nochan", 6, 0, 0, 0),
                   0); /* no channel */
  assert_int_equal(weft_sctp_send(raw, p.now, id, 99, "ppid", 4, 0, 0, 0), 0);
  assert_int_equal(weft_sctp_send(raw, p.now, id, 50, "\x07", 1, 0, 0, 0), 0);
  assert_int_equal(weft_sctp_send(raw, p.now, id, 54, "hel", 3, 0, 0, 0), 0);
  assert_int_equal(weft_sctp_send(raw, p.now, id, 54, "lo ", 3, 0, 0, 0), 0);
  assert_int_equal(weft_sctp_send(raw, p.now, id, 51, "world", 5, 0, 0, 0), 0);
  assert_int_equal(weft_sctp_send(raw, p.now, id, 52, "\x01", 1, 0, 0, 0), 0);
  assert_int_equal(weft_sctp_send(raw, p.now, id, 53, "\x02", 1, 0, 0, 0), 0);
  /* a duplicate OPEN on an open channel */
  uint8_t open[32];
  weft_dcep_open o = {
      .channel_type = 0, .label = (const uint8_t *)"d", .label_len = 1};
  int n = weft_dcep_open_encode(open, sizeof(open), &o);
  assert_int_equal(weft_sctp_send(raw, p.now, id, 50, open, (size_t)n, 0, 0, 0),
                   0);
  run_ms(&p, 500);
  weft_dc_get_stats(p.ep[1], &st);
  assert_int_equal(st.dropped - dropped0, 5);
  assert_int_equal(l.n, 2);
  assert_int_equal(l.m[0].len, 11);
  assert_memory_equal(l.m[0].data, "hello world", 11);
  assert_int_equal(l.m[0].binary, 0);
  assert_int_equal(l.m[1].len, 2);
  assert_memory_equal(l.m[1].data, "\x01\x02", 2);
  assert_int_equal(l.m[1].binary, 1);
  assert_int_equal(p.events[1][WEFT_DC_EVENT_CHANNEL], 1);
  assert_int_equal(weft_dc_channel_count(p.ep[1]), 1);
  log_free(&l);
  dcp_free(&p);
}

/* The association ends: every channel is closed, then DISCONNECTED. */
static void test_association_end(void **state) {
  (void)state;
  dc_pipe p;
  rx_log l = {0};
  setup_pair(&p, &l, 17, 1);
  open_chan(&p, 0, "a", "", 1, -1, -1);
  open_chan(&p, 1, "b", "", 1, -1, -1);
  run_ms(&p, 200);
  assert_int_equal(weft_dc_shutdown(p.ep[0], p.now), 0);
  run_ms(&p, 2000);
  for (int s = 0; s < 2; s++) {
    assert_int_equal(l.closes[s], 2);
    assert_int_equal(l.errors[s], 0);
    assert_int_equal(p.events[s][WEFT_DC_EVENT_DISCONNECTED], 1);
    assert_int_equal(weft_dc_channel_count(p.ep[s]), 0);
    weft_dc_channel_init in;
    weft_dc_channel_init_default(&in);
    assert_int_equal(weft_dc_open(p.ep[s], p.now, &in, NULL),
                     WEFT_ERR_INVALID_STATE);
  }
  dcp_free(&p);

  /* abort: errors first */
  memset(&l, 0, sizeof(l));
  setup_pair(&p, &l, 18, 1);
  open_chan(&p, 0, "a", "", 1, -1, -1);
  run_ms(&p, 200);
  weft_sctp_abort((weft_sctp_assoc *)weft_dc_sctp(p.ep[0]), p.now);
  run_ms(&p, 200);
  assert_int_equal(l.closes[1], 1);
  assert_int_equal(l.errors[1], 1);
  assert_int_equal(l.last_error[1], WEFT_ERR_SCTP_ABORTED);
  assert_int_equal(p.events[1][WEFT_DC_EVENT_DISCONNECTED], 1);
  dcp_free(&p);
}

/* ---- allocation failures --------------------------------------------------
 */

typedef struct failmem {
  long countdown; /* allocations left before failing; < 0: never */
  long count;
  int failed;
} failmem;

static void *fm_malloc(size_t n, void *u) {
  failmem *f = u;
  f->count++;
  if (f->countdown >= 0 && f->countdown-- == 0) {
    f->failed = 1;
    return NULL;
  }
  return malloc(n);
}
static void fm_free(void *ptr, void *u) {
  (void)u;
  free(ptr);
}
static void *fm_calloc(size_t a, size_t b, void *u) {
  void *ptr = fm_malloc(a * b, u);
  if (ptr != NULL)
    memset(ptr, 0, a * b);
  return ptr;
}
static void *fm_realloc(void *ptr, size_t n, void *u) {
  failmem *f = u;
  f->count++;
  if (f->countdown >= 0 && f->countdown-- == 0) {
    f->failed = 1;
    return NULL;
  }
  return realloc(ptr, n);
}

/* One scenario with side 1 on an allocator failing its N-th allocation:
 * nothing crashes or leaks (ASan), calls fail with WEFT_ERR_NOMEM or the
 * association dies. Returns whether the failure point was reached. */
static int fail_scenario(long n) {
  failmem f = {.countdown = n};
  weft_mem mem = {.user_data = &f,
                  .malloc = fm_malloc,
                  .free = fm_free,
                  .calloc = fm_calloc,
                  .realloc = fm_realloc};
  dc_pipe p;
  dcp_init(&p, 20);
  for (int s = 0; s < 2; s++) {
    weft_dc_settings ds;
    dcp_settings(&p, s, &ds);
    int rv = weft_dc_new(&p.ep[s], &ds, s == 1 ? &mem : NULL, NULL);
    if (rv != 0) {
      assert_int_equal(rv, WEFT_ERR_NOMEM);
      dcp_free(&p);
      return f.failed;
    }
    weft_dc_connect(p.ep[s], p.now);
  }
  run_ms(&p, 500);
  weft_dc_channel_init in;
  weft_dc_channel_init_default(&in);
  in.label = "fail";
  uint16_t ids[4];
  for (int i = 0; i < 4; i++) {
    ids[i] = 0xffff;
    int rv = weft_dc_open(p.ep[i % 2], p.now, &in, &ids[i]);
    assert_true(rv == 0 || rv == WEFT_ERR_NOMEM ||
                rv == WEFT_ERR_INVALID_STATE);
  }
  run_ms(&p, 300);
  for (int i = 0; i < 4; i++)
    for (int s = 0; s < 2; s++)
      (void)weft_dc_send(p.ep[s], p.now, ids[i], "data", 4, i & 1);
  run_ms(&p, 300);
  for (int i = 0; i < 4; i++)
    (void)weft_dc_close(p.ep[i % 3 == 0], p.now, ids[i]);
  run_ms(&p, 2000);
  dcp_free(&p);
  return f.failed;
}

static void test_allocation_failures(void **state) {
  (void)state;
  long n = 0;
  while (n < 5000 && fail_scenario(n))
    n++;
  assert_true(n > 10);   /* the scenario allocates */
  assert_true(n < 5000); /* and eventually runs without a failure */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dcep_open_vector),
      cmocka_unit_test(test_dcep_ack_and_types),
      cmocka_unit_test(test_open_and_messages),
      cmocka_unit_test(test_channel_kinds),
      cmocka_unit_test(test_open_before_connect),
      cmocka_unit_test(test_large_messages),
      cmocka_unit_test(test_negotiated),
      cmocka_unit_test(test_remote_max_message_size),
      cmocka_unit_test(test_close_by_opener),
      cmocka_unit_test(test_close_by_peer),
      cmocka_unit_test(test_thousand_channels),
      cmocka_unit_test(test_all_ids),
      cmocka_unit_test(test_buffered_amount_low),
      cmocka_unit_test(test_unreliable_rtx0),
      cmocka_unit_test(test_unreliable_lifetime),
      cmocka_unit_test(test_api_errors),
      cmocka_unit_test(test_id_beyond_streams),
      cmocka_unit_test(test_hostile_and_legacy),
      cmocka_unit_test(test_association_end),
      cmocka_unit_test(test_allocation_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
