#!/bin/bash
# coturn's TURN client (turnutils_uclient) against `weft turn`, with
# coturn's UDP echo peer (turnutils_peer): over UDP with ChannelData, over
# UDP with Send/Data indications (-s), and over TCP (-t), each must end with
# "Total lost packets 0" and every message echoed back. Also: a wrong
# password fails, the TURN REST API works, and /metrics counts the traffic.
. "$(dirname "$0")/stun_lib.sh"

for t in turnutils_uclient turnutils_peer; do
  if ! command -v $t >/dev/null; then
    echo "SKIP: $t (Debian coturn) not installed"
    exit 0
  fi
done

# start_turn NAME ARGS...: `weft turn ARGS` in the background; waits for its
# "listening" lines (at most 5 s). Sets LAST_PID.
start_turn() {
  local name=$1
  shift
  "$WEFT_BIN" turn "$@" >"$STUN_TMP/$name.out" 2>"$STUN_TMP/$name.err" &
  LAST_PID=$!
  STUN_PIDS+=("$LAST_PID")
  for _ in $(seq 100); do
    grep -q '^listening tcp' "$STUN_TMP/$name.out" && return 0
    kill -0 "$LAST_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "weft turn $* did not start:"
  cat "$STUN_TMP/$name.out" "$STUN_TMP/$name.err"
  return 1
}

P=$(free_port) || exit 1
Q=$(free_port) || exit 1
M=$(free_port) || exit 1
start_turn turn --listen "127.0.0.1:$P" --user u:p --realm r \
  --allow-loopback-peers --prometheus --prometheus-ip 127.0.0.1 \
  --prometheus-port "$M" --min-port 40000 --max-port 40999 || exit 1
TURN=$LAST_PID
turnutils_peer -L 127.0.0.1 -p "$Q" >"$STUN_TMP/peer.log" 2>&1 &
STUN_PIDS+=($!)
sleep 0.3

# uclient MODE-NAME FLAGS...: 2 clients x 50 messages of 500 bytes.
uclient() {
  local name=$1
  shift
  run_bounded 60 turnutils_uclient "$@" -p "$P" -u u -w p -e 127.0.0.1 \
    -r "$Q" -m 2 -n 50 -l 500 -c 127.0.0.1
  echo "$OUT" >"$STUN_TMP/uclient-$name.log"
  local lost sent recv
  lost=$(echo "$OUT" | sed -n 's/.*Total lost packets \([0-9]*\).*/\1/p' |
    tail -1)
  sent=$(echo "$OUT" | sed -n 's/.*tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\)$/\1/p' | tail -1)
  recv=$(echo "$OUT" | sed -n 's/.*tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\)$/\2/p' | tail -1)
  if [ $RC -eq 0 ] && [ "$lost" = 0 ] && [ "$sent" = 100 ] &&
    [ "$recv" = 100 ]; then
    pass "$name: 100 messages sent, 100 echoed back, 0 lost"
  else
    fail "$name: rc=$RC lost='$lost' sent='$sent' recv='$recv': $(echo "$OUT" | tail -5) $ERR"
  fi
}

uclient udp-channels
uclient udp-indications -s
uclient tcp -t

# A wrong password: no relaying at all.
run_bounded 20 turnutils_uclient -p "$P" -u u -w wrong -e 127.0.0.1 \
  -r "$Q" -m 1 -n 5 -l 100 -c 127.0.0.1
if echo "$OUT$ERR" | grep -q 'tot_recv_msgs=5'; then
  fail "wrong password still relayed: $OUT"
else
  pass "wrong password: nothing relayed (rc=$RC)"
fi

# Prometheus metrics: the counters of the traffic above.
METRICS=$("$PY" - "$M" <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
print(data.decode())
PYEOF
)
relayed=$(echo "$METRICS" | sed -n 's/^weft_turn_peer_packets_sent_total \([0-9]*\).*/\1/p' | tr -d '\r')
fails=$(echo "$METRICS" | sed -n 's/^weft_turn_auth_failures_total \([0-9]*\).*/\1/p' | tr -d '\r')
if echo "$METRICS" | head -1 | grep -q '200 OK' && [ "${relayed:-0}" -ge 300 ] &&
  [ "${fails:-0}" -ge 1 ]; then
  pass "metrics: $relayed datagrams relayed to peers, $fails auth failures"
else
  fail "metrics: $(echo "$METRICS" | head -30)"
fi
stop_pid "$TURN" TERM
[ "$STOP_RC" = 0 ] && pass "weft turn stopped on SIGTERM" ||
  fail "weft turn exit $STOP_RC: $(cat "$STUN_TMP/turn.err")"

# TURN REST API: coturn's client with a time-limited user name.
P=$(free_port) || exit 1
start_turn rest --listen "127.0.0.1:$P" --use-auth-secret \
  --static-auth-secret north --realm r --allow-loopback-peers \
  --min-port 41000 --max-port 41999 || exit 1
REST=$LAST_PID
NAME="$(($(date +%s) + 3600)):alice"
PASS=$(printf '%s' "$NAME" | openssl dgst -sha1 -hmac north -binary | base64)
run_bounded 60 turnutils_uclient -p "$P" -u "$NAME" -w "$PASS" -e 127.0.0.1 \
  -r "$Q" -m 1 -n 20 -l 200 -c 127.0.0.1
if [ $RC -eq 0 ] && echo "$OUT" | grep -q 'Total lost packets 0 '; then
  pass "REST API user: relayed with 0 lost"
else
  fail "REST API: rc=$RC $(echo "$OUT" | tail -3) $ERR"
fi
OLD="$(($(date +%s) - 10)):alice"
PASS=$(printf '%s' "$OLD" | openssl dgst -sha1 -hmac north -binary | base64)
run_bounded 20 turnutils_uclient -p "$P" -u "$OLD" -w "$PASS" -e 127.0.0.1 \
  -r "$Q" -m 1 -n 5 -l 100 -c 127.0.0.1
if echo "$OUT" | grep -q 'tot_recv_msgs=5'; then
  fail "an expired REST user name was accepted"
else
  pass "expired REST user name refused"
fi
stop_pid "$REST" INT

# TLS (RFC 8656 section 3.1) with a coturn-style config file (-c).
if command -v openssl >/dev/null; then
  P=$(free_port) || exit 1
  T=$(free_port) || exit 1
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$STUN_TMP/key.pem" \
    -out "$STUN_TMP/cert.pem" -days 1 -subj /CN=localhost 2>/dev/null
  cat >"$STUN_TMP/turnserver.conf" <<CONF
# as turnserver.conf
listening-ip=127.0.0.1
listening-port=$P
tls-listening-port=$T
cert=$STUN_TMP/cert.pem
pkey=$STUN_TMP/key.pem
lt-cred-mech
user=u:p
realm=r
allow-loopback-peers
min-port=42000
max-port=42999
no-cli
CONF
  start_turn tls -c "$STUN_TMP/turnserver.conf" || exit 1
  TLS=$LAST_PID
  if grep -qx "listening tls 127.0.0.1:$T" "$STUN_TMP/tls.out"; then
    pass "config file: listening tls 127.0.0.1:$T"
  else
    fail "config file: $(cat "$STUN_TMP/tls.out" "$STUN_TMP/tls.err")"
  fi
  run_bounded 60 turnutils_uclient -S -t -p "$T" -u u -w p -e 127.0.0.1 \
    -r "$Q" -m 2 -n 50 -l 500 -c 127.0.0.1
  if [ $RC -eq 0 ] && echo "$OUT" | grep -q 'Total lost packets 0 ' &&
    echo "$OUT" | grep -q 'tot_recv_msgs=100$'; then
    pass "TLS: 100 messages echoed, 0 lost"
  else
    fail "TLS: rc=$RC $(echo "$OUT" | tail -4) $ERR"
  fi
  stop_pid "$TLS" TERM
else
  echo "SKIP: TLS (no openssl command)"
fi
finish
