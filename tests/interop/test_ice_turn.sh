#!/bin/bash
# `weft ice` with a relay candidate from `weft turn` (RFC 8656), inside a
# fresh network namespace holding only loopback: two agents that describe
# only their relay candidates (--relay-only) connect through the TURN
# server, and the selected pairs use the relayed ports; wrong credentials
# are reported and the agent still describes itself.
. "$(dirname "$0")/ice_lib.sh"

make_netns

P=$(((RANDOM % 20000) + 30000))
timeout -k 2 120 ip netns exec "$NS" "$WEFT_BIN" turn --listen "127.0.0.1:$P" \
  --no-tcp --user alice:relay-secret --realm weft --allow-loopback-peers \
  --min-port 46000 --max-port 46999 >"$ICE_TMP/turn.out" \
  2>"$ICE_TMP/turn.err" &
ICE_PIDS+=("$!")
if ! wait_line "$ICE_TMP/turn.out" '^listening' 5 "$!"; then
  fail "weft turn did not start: $(cat "$ICE_TMP/turn.err")"
  finish
fi

T="--bind 127.0.0.1 --turn 127.0.0.1:$P --turn-user alice:relay-secret"
ICE_HOLD=1 ice_pair relay "$WEFT_BIN ice --controlling --relay-only $T" \
  "$WEFT_BIN ice --controlled --relay-only $T"
for s in a b; do
  f=$ICE_TMP/relay_$s.out
  if head -n 1 "$f" | grep -q 'typ relay' &&
    ! head -n 1 "$f" | grep -q 'typ host'; then
    pass "relay $s: only a relay candidate described"
  else
    fail "relay $s: description $(head -n 1 "$f")"
  fi
done
if grep -hE '^connected' "$ICE_TMP/relay_a.out" "$ICE_TMP/relay_b.out" |
  grep -qE ':46[0-9]{3}'; then
  pass "relay: the selected pairs go through relayed ports"
else
  fail "relay: $(grep -h '^connected' "$ICE_TMP"/relay_*.out)"
fi

# Wrong password: the allocation fails (401), said on stderr; the agent
# still prints its description (host candidate only).
start_agent bad "$WEFT_BIN" ice --controlling --bind 127.0.0.1 \
  --turn "127.0.0.1:$P" --turn-user alice:wrong
pid=$AGENT_PID
if wait_line "$ICE_TMP/bad.out" '^\{' 20 "$pid" &&
  grep -q 'no allocation (error 401)' "$ICE_TMP/bad.err" &&
  ! head -n 1 "$ICE_TMP/bad.out" | grep -q 'typ relay'; then
  pass "bad credentials: $(cat "$ICE_TMP/bad.err")"
else
  fail "bad credentials: out=$(cat "$ICE_TMP/bad.out") err=$(cat "$ICE_TMP/bad.err")"
fi

finish
