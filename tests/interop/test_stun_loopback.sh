#!/bin/bash
# weft stun-client against weft stun: UDP and TCP, 127.0.0.1 and [::1];
# the mapped address must be the client's own address and port.
. "$(dirname "$0")/stun_lib.sh"

P=$(free_port) || exit 1
V6=0
have_ipv6 && V6=1
ARGS=(--listen "127.0.0.1:$P")
LINES=2
if [ $V6 -eq 1 ]; then
  ARGS+=(--listen "[::1]:$P")
  LINES=4
fi
start_weft_stun srv $LINES "${ARGS[@]}" --stats || exit 1
SRV=$LAST_PID

for proto in udp tcp; do
  flag=()
  [ $proto = tcp ] && flag=(--tcp)
  L=$(free_port) || exit 1
  run_bounded 10 "$WEFT_BIN" stun-client "127.0.0.1:$P" "${flag[@]}" \
    --local "127.0.0.1:$L"
  if [ $RC -eq 0 ] && [ "$OUT" = "127.0.0.1:$L" ]; then
    pass "$proto v4: mapped $OUT"
  else
    fail "$proto v4: rc=$RC out='$OUT' err='$ERR' (want 127.0.0.1:$L)"
  fi
  if [ $V6 -eq 1 ]; then
    L=$(free_port) || exit 1
    run_bounded 10 "$WEFT_BIN" stun-client "[::1]:$P" "${flag[@]}" \
      --local "[::1]:$L"
    if [ $RC -eq 0 ] && [ "$OUT" = "[::1]:$L" ]; then
      pass "$proto v6: mapped $OUT"
    else
      fail "$proto v6: rc=$RC out='$OUT' err='$ERR' (want [::1]:$L)"
    fi
  else
    echo "SKIP: $proto v6: no IPv6 loopback on this host"
  fi
done

# A bare host name resolves (uv_getaddrinfo) and the ephemeral port is shown.
run_bounded 10 "$WEFT_BIN" stun-client "localhost:$P"
if [ $RC -eq 0 ] && [[ "$OUT" =~ ^(127\.0\.0\.1|\[::1\]):[0-9]+$ ]]; then
  pass "localhost resolved: $OUT"
else
  fail "localhost: rc=$RC out='$OUT' err='$ERR'"
fi

# SIGTERM stops the server cleanly and --stats counts what it answered.
stop_pid $SRV
if [ "$STOP_RC" = 0 ]; then
  pass "server stopped on SIGTERM"
else
  fail "server exit on SIGTERM: $STOP_RC"
fi
WANT=$((2 + 2 * V6 + 1))
if grep -Eq "answered $WANT " "$STUN_TMP/srv.err"; then
  pass "stats: $(cat "$STUN_TMP/srv.err")"
else
  fail "stats: want answered $WANT: $(cat "$STUN_TMP/srv.err")"
fi
finish
