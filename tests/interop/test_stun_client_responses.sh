#!/bin/bash
# `weft stun-client` against a scripted server: error responses, a bad
# FINGERPRINT, a response without an address, stray datagrams (ignored), and
# lost requests (RFC 8489 retransmission at 0, 500, 1500 ms).
. "$(dirname "$0")/stun_lib.sh"

# fake MODE: starts the scripted server on 127.0.0.1:$FP, output in
# $STUN_TMP/fake.*
fake() {
  FP=$(free_port) || exit 1
  "$PY" "$(dirname "$0")/stun_fake_server.py" 127.0.0.1 "$FP" "$1" \
    >"$STUN_TMP/fake.out" 2>"$STUN_TMP/fake.err" &
  FAKE=$!
  STUN_PIDS+=("$FAKE")
  for _ in $(seq 100); do
    grep -q ready "$STUN_TMP/fake.out" && return 0
    sleep 0.05
  done
  echo "fake server did not start: $(cat "$STUN_TMP/fake.err")"
  exit 1
}

# expect MODE RC PATTERN: the client's one line (stdout for 0, stderr else)
expect() {
  local mode=$1 want=$2 pat=$3 line
  fake "$mode"
  L=$(free_port) || exit 1
  run_bounded 15 "$WEFT_BIN" stun-client "127.0.0.1:$FP" --local \
    "127.0.0.1:$L" --timeout-ms 4000
  line=$OUT
  [ "$want" != 0 ] && line=$ERR
  pat=${pat//LPORT/$L}
  if [ "$RC" = "$want" ] && [ "$(printf '%s' "$line" | grep -c '')" = 1 ] &&
    grep -Eq -- "$pat" <<<"$line"; then
    pass "$mode: $line"
  else
    fail "$mode: rc=$RC (want $want) out='$OUT' err='$ERR' (want /$pat/)"
  fi
  stop_pid "$FAKE"
}

expect good 0 '^127\.0\.0\.1:LPORT$'
expect error 1 '^weft stun-client: error response 401 Unauthorized$'
expect badfp 1 '^weft stun-client: malformed response: .*(FINGERPRINT|fingerprint)'
expect noaddr 1 '^weft stun-client: malformed response: no XOR-MAPPED-ADDRESS$'
expect indication 1 '^weft stun-client: malformed response: not a Binding response$'
expect strangers 0 '^127\.0\.0\.1:LPORT$'
expect drop2 0 '^127\.0\.0\.1:LPORT$'
# the requests of drop2 came at about 0, 500 and 1500 ms: timers never fire
# early, but a loaded machine may run them late, so upper bounds are loose
T=$(grep -Eo 'at [0-9]+ ms' "$STUN_TMP/fake.err" | grep -Eo '[0-9]+' | tr '\n' ' ')
read -r t1 t2 t3 _ <<<"$T"
if [ -n "${t3:-}" ] && [ "$t1" = 0 ] && [ "$t2" -ge 450 ] && [ "$t2" -le 2000 ] &&
  [ $((t3 - t2)) -ge 900 ] && [ "$t3" -le 4000 ]; then
  pass "retransmissions at $T ms"
else
  fail "retransmissions at '$T' ms (want 0, ~500, ~1500)"
fi
finish
