#!/bin/bash
# `weft stun-client` against coturn's turnserver, UDP and TCP: it must print
# 127.0.0.1:<its own source port>.
. "$(dirname "$0")/stun_lib.sh"

if ! command -v turnserver >/dev/null; then
  echo "SKIP: turnserver (Debian coturn) not installed"
  exit 0
fi
P=$(free_port) || exit 1
: >"$STUN_TMP/userdb"
V6=0
LISTEN=(--listening-ip=127.0.0.1)
if have_ipv6; then
  V6=1
  LISTEN+=(--listening-ip=::1)
fi
turnserver -n "${LISTEN[@]}" --listening-port="$P" \
  --relay-ip=127.0.0.1 --no-tls --no-dtls --no-cli --log-file=stdout \
  --pidfile="$STUN_TMP/turn.pid" --userdb="$STUN_TMP/userdb" --simple-log \
  >"$STUN_TMP/turn.log" 2>&1 &
TURN=$!
STUN_PIDS+=("$TURN")

# coturn is ready when it answers: poll with short client timeouts (<= 10 s).
READY=0
for _ in $(seq 20); do
  kill -0 $TURN 2>/dev/null || break
  run_bounded 5 "$WEFT_BIN" stun-client "127.0.0.1:$P" --timeout-ms 400
  if [ $RC -eq 0 ]; then
    READY=1
    break
  fi
done
if [ $READY -ne 1 ]; then
  echo "turnserver did not come up:"
  tail -20 "$STUN_TMP/turn.log"
  exit 1
fi

for proto in udp tcp; do
  flag=()
  [ $proto = tcp ] && flag=(--tcp)
  L=$(free_port) || exit 1
  run_bounded 15 "$WEFT_BIN" stun-client "127.0.0.1:$P" "${flag[@]}" \
    --local "127.0.0.1:$L"
  if [ $RC -eq 0 ] && [ "$OUT" = "127.0.0.1:$L" ]; then
    pass "$proto: coturn mapped us to $OUT"
  else
    fail "$proto: rc=$RC out='$OUT' err='$ERR' (want 127.0.0.1:$L)"
  fi
done
if [ $V6 -eq 1 ]; then
  for proto in udp tcp; do
    flag=()
    [ $proto = tcp ] && flag=(--tcp)
    L=$(free_port) || exit 1
    run_bounded 15 "$WEFT_BIN" stun-client "[::1]:$P" "${flag[@]}" \
      --local "[::1]:$L"
    if [ $RC -eq 0 ] && [ "$OUT" = "[::1]:$L" ]; then
      pass "$proto v6: coturn mapped us to $OUT"
    else
      fail "$proto v6: rc=$RC out='$OUT' err='$ERR' (want [::1]:$L)"
    fi
  done
else
  echo "SKIP: IPv6: no IPv6 loopback on this host"
fi
finish
