#!/bin/bash
# weft's TURN client (`weft turn-client`, the sans-IO client on real UDP
# sockets) against coturn's turnserver and against `weft turn`: allocate,
# relay 50 messages to coturn's echo peer with Send indications and with a
# channel, all echoed back, deallocate; a wrong password fails with 401.
. "$(dirname "$0")/stun_lib.sh"

for t in turnserver turnutils_peer; do
  if ! command -v $t >/dev/null; then
    echo "SKIP: $t (Debian coturn) not installed"
    exit 0
  fi
done
P=$(free_port) || exit 1
W=$(free_port) || exit 1
Q=$(free_port) || exit 1
: >"$STUN_TMP/userdb"
turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 \
  --listening-port="$P" --min-port=43000 --max-port=43999 --lt-cred-mech \
  --user=u:p --realm=r --no-tls --no-dtls --no-cli --allow-loopback-peers \
  --log-file=stdout --simple-log --pidfile="$STUN_TMP/turn.pid" \
  --userdb="$STUN_TMP/userdb" >"$STUN_TMP/coturn.log" 2>&1 &
STUN_PIDS+=($!)
"$WEFT_BIN" turn --listen "127.0.0.1:$W" --user u:p --realm r \
  --allow-loopback-peers --min-port 44000 --max-port 44999 \
  >"$STUN_TMP/weft.out" 2>"$STUN_TMP/weft.err" &
STUN_PIDS+=($!)
turnutils_peer -L 127.0.0.1 -p "$Q" >"$STUN_TMP/peer.log" 2>&1 &
STUN_PIDS+=($!)

# coturn is ready when it answers STUN (bounded).
for _ in $(seq 20); do
  run_bounded 5 "$WEFT_BIN" stun-client "127.0.0.1:$P" --timeout-ms 400
  [ $RC -eq 0 ] && break
done

for server in coturn:$P weft:$W; do
  name=${server%%:*}
  port=${server#*:}
  for mode in indications channel; do
    flag=()
    [ $mode = channel ] && flag=(--channel)
    run_bounded 60 "$WEFT_BIN" turn-client "127.0.0.1:$port" -u u -w p \
      --peer "127.0.0.1:$Q" -n 50 -l 500 "${flag[@]}"
    if [ $RC -eq 0 ] && echo "$OUT" | grep -qx 'sent 50 received 50' &&
      echo "$OUT" | grep -qx 'deallocated' &&
      echo "$OUT" | grep -Eqx 'relayed 127\.0\.0\.1:4[34][0-9]{3}'; then
      pass "$name $mode: 50 echoed through $(echo "$OUT" | head -1), deallocated"
    else
      fail "$name $mode: rc=$RC $OUT $ERR"
    fi
  done
  run_bounded 30 "$WEFT_BIN" turn-client "127.0.0.1:$port" -u u -w wrong \
    --timeout-ms 5000
  if [ $RC -ne 0 ] && echo "$ERR" | grep -q 'error 401'; then
    pass "$name: wrong password refused with 401"
  else
    fail "$name wrong password: rc=$RC $OUT $ERR"
  fi
done

# IPv6 relays (RFC 6156): weft turn on ::1, its client asking for IPv6.
if have_ipv6; then
  W6=$(free_port) || exit 1
  Q6=$(free_port) || exit 1
  "$WEFT_BIN" turn --listen "[::1]:$W6" --user u:p --realm r \
    --allow-loopback-peers --min-port 45000 --max-port 45999 \
    >"$STUN_TMP/weft6.out" 2>"$STUN_TMP/weft6.err" &
  STUN_PIDS+=($!)
  turnutils_peer -L ::1 -p "$Q6" >"$STUN_TMP/peer6.log" 2>&1 &
  STUN_PIDS+=($!)
  sleep 0.5
  run_bounded 60 "$WEFT_BIN" turn-client "[::1]:$W6" -u u -w p --ipv6 \
    --peer "[::1]:$Q6" -n 20 -l 200 --channel
  if [ $RC -eq 0 ] && echo "$OUT" | grep -qx 'sent 20 received 20' &&
    echo "$OUT" | grep -Eqx 'relayed \[::1\]:45[0-9]{3}'; then
    pass "IPv6: 20 echoed through $(echo "$OUT" | head -1)"
  else
    fail "IPv6: rc=$RC $OUT $ERR"
  fi
else
  echo "SKIP: IPv6 (no ::1)"
fi
finish
