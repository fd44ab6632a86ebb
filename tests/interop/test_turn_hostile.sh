#!/bin/bash
# Hostile input against `weft turn` (turn_hostile.py): the server stays up,
# counts the bad input, still answers Binding over UDP and TCP, and still
# relays for coturn's client afterwards with 0 lost packets.
. "$(dirname "$0")/stun_lib.sh"

P=$(free_port) || exit 1
Q=$(free_port) || exit 1
"$WEFT_BIN" turn --listen "127.0.0.1:$P" --user u:p --realm r \
  --allow-loopback-peers --min-port 46000 --max-port 46999 --stats \
  >"$STUN_TMP/turn.out" 2>"$STUN_TMP/turn.err" &
SRV=$!
STUN_PIDS+=("$SRV")
for _ in $(seq 100); do
  grep -q '^listening tcp' "$STUN_TMP/turn.out" && break
  sleep 0.05
done
run_bounded 120 "$PY" "$(dirname "$0")/turn_hostile.py" "$P"
[ $RC -eq 0 ] && pass "hostile script: $OUT" || fail "hostile script: rc=$RC $OUT $ERR"
kill -0 $SRV 2>/dev/null && pass "server still running" || fail "server died"
if command -v turnutils_uclient >/dev/null; then
  turnutils_peer -L 127.0.0.1 -p "$Q" >"$STUN_TMP/peer.log" 2>&1 &
  STUN_PIDS+=($!)
  sleep 0.3
  run_bounded 60 turnutils_uclient -p "$P" -u u -w p -e 127.0.0.1 -r "$Q" \
    -m 1 -n 20 -l 200 -c 127.0.0.1
  [ $RC -eq 0 ] && echo "$OUT" | grep -q 'Total lost packets 0 ' &&
    pass "still relays after the abuse" || fail "relay after abuse: $OUT $ERR"
fi
stop_pid $SRV TERM
[ "$STOP_RC" = 0 ] && pass "clean exit" || fail "exit $STOP_RC"
STATS=$(cat "$STUN_TMP/turn.err")
echo "$STATS"
BAD=$(grep -Eo 'bad-input [0-9]+' <<<"$STATS" | grep -Eo '[0-9]+$')
[ "${BAD:-0}" -ge 100 ] && pass "bad input counted ($BAD)" ||
  fail "bad input count '${BAD:-}'"

# An idle TCP connection without allocation is closed (--tcp-idle-ms).
P=$(free_port) || exit 1
"$WEFT_BIN" turn --listen "127.0.0.1:$P" --user u:p --realm r \
  --tcp-idle-ms 400 >"$STUN_TMP/idle.out" 2>"$STUN_TMP/idle.err" &
IDLE=$!
STUN_PIDS+=("$IDLE")
for _ in $(seq 100); do
  grep -q '^listening tcp' "$STUN_TMP/idle.out" && break
  sleep 0.05
done
run_bounded 20 "$PY" - "$P" <<'PYEOF'
import socket, sys, time
t = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
start = time.time()
data = t.recv(100)  # b"" when the server closes
took = time.time() - start
print("closed after %.1f s" % took)
sys.exit(0 if data == b"" and 0.3 < took < 5 else 1)
PYEOF
[ $RC -eq 0 ] && pass "idle TCP connection $OUT" || fail "idle TCP: rc=$RC $OUT $ERR"
stop_pid $IDLE TERM
finish
