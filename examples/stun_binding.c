/* Embedding example: ask a STUN server for this host's mapped address with
 * libweft's codec and plain sockets (no event loop).
 *
 *   stun_binding 127.0.0.1:3478
 */
#include <weft/stun.h>

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int exchange(int fd, const weft_addr *server, uint8_t *resp, size_t cap,
                    uint8_t txid[12]) {
  uint8_t req[WEFT_STUN_MAX_MSG];
  weft_stun_builder b;
  weft_rand_bytes(NULL, txid, 12);
  weft_stun_builder_init(&b, req, sizeof(req), WEFT_STUN_BINDING,
                         WEFT_STUN_REQUEST, txid);
  weft_stun_builder_add_fingerprint(&b);
  int len = weft_stun_builder_finish(&b);
  if (len < 0)
    return len;
  /* RFC 8489 retransmission: 500 ms, doubling, 4 tries here. */
  int rto = 500;
  for (int i = 0; i < 4; i++, rto *= 2) {
    sendto(fd, req, (size_t)len, 0, &server->u.sa, weft_addr_socklen(server));
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, rto) == 1)
      return (int)recv(fd, resp, cap, 0);
  }
  return WEFT_ERR_TIMEOUT;
}

int main(int argc, char **argv) {
  weft_addr server;
  if (argc != 2 || weft_addr_parse(&server, argv[1], 3478) != 0) {
    fprintf(stderr, "usage: stun_binding IP[:PORT]\n");
    return 2;
  }
  int fd = socket(weft_addr_family(&server), SOCK_DGRAM, 0);
  uint8_t resp[WEFT_STUN_MAX_MSG], txid[12];
  int n = exchange(fd, &server, resp, sizeof(resp), txid);
  close(fd);
  weft_stun_msg msg;
  const weft_stun_attr *a;
  weft_addr mapped;
  char text[WEFT_ADDR_STRLEN];
  int rv = n < 0 ? n : weft_stun_msg_decode(&msg, resp, (size_t)n);
  if (rv == 0 && memcmp(msg.txid, txid, 12) != 0)
    rv = WEFT_ERR_STUN_MALFORMED;
  if (rv == 0 && msg.cls != WEFT_STUN_SUCCESS)
    rv = WEFT_ERR_STUN_ERROR_RESPONSE;
  if (rv == 0 &&
      (a = weft_stun_msg_find(&msg, WEFT_STUN_ATTR_XOR_MAPPED_ADDRESS)) == NULL)
    rv = WEFT_ERR_STUN_ATTRIBUTE_MISSING;
  if (rv == 0)
    rv = weft_stun_attr_xor_addr(&msg, a, &mapped);
  if (rv != 0) {
    fprintf(stderr, "stun_binding: %s\n", weft_strerror(rv));
    return 1;
  }
  printf("%s\n", weft_addr_format(&mapped, text, sizeof(text)));
  return 0;
}
