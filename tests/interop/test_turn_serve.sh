#!/bin/bash
# `weft serve` runs TURN on its STUN port: it announces it, and coturn's
# turnutils_uclient relays through it with 0 lost packets.
. "$(dirname "$0")/stun_lib.sh"

for t in turnutils_uclient turnutils_peer; do
  if ! command -v $t >/dev/null; then
    echo "SKIP: $t (Debian coturn) not installed"
    exit 0
  fi
done
P=$(free_port) || exit 1
Q=$(free_port) || exit 1
"$WEFT_BIN" serve --stun-listen "127.0.0.1:$P" --turn-user u:p --realm r \
  --allow-loopback-peers --min-port 42000 --max-port 42999 \
  >"$STUN_TMP/serve.out" 2>"$STUN_TMP/serve.err" &
SRV=$!
STUN_PIDS+=("$SRV")
for _ in $(seq 100); do
  grep -q 'Ctrl-C' "$STUN_TMP/serve.out" && break
  kill -0 $SRV 2>/dev/null || break
  sleep 0.05
done
if grep -qx "weft serve: TURN on udp+tcp 127.0.0.1:$P (realm r, long-term users)" \
  "$STUN_TMP/serve.out"; then
  pass "serve announced TURN on 127.0.0.1:$P"
else
  fail "announcement: $(cat "$STUN_TMP/serve.out" "$STUN_TMP/serve.err")"
fi
turnutils_peer -L 127.0.0.1 -p "$Q" >"$STUN_TMP/peer.log" 2>&1 &
STUN_PIDS+=($!)
sleep 0.3
run_bounded 60 turnutils_uclient -p "$P" -u u -w p -e 127.0.0.1 -r "$Q" \
  -m 2 -n 20 -l 300 -c 127.0.0.1
if [ $RC -eq 0 ] && echo "$OUT" | grep -q 'Total lost packets 0 ' &&
  echo "$OUT" | grep -q 'tot_recv_msgs=40$'; then
  pass "uclient relayed 40 messages through weft serve, 0 lost"
else
  fail "uclient: rc=$RC $(echo "$OUT" | tail -4) $ERR"
fi
run_bounded 10 "$WEFT_BIN" stun-client "127.0.0.1:$P"
[ $RC -eq 0 ] && pass "STUN Binding still answered: $OUT" ||
  fail "stun-client: rc=$RC $ERR"
stop_pid $SRV INT
[ "$STOP_RC" = 0 ] && pass "serve stopped" || fail "serve exit $STOP_RC"
finish
