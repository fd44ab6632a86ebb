#!/bin/bash
# Two `weft ice` agents, one controlling and one controlled, inside a fresh
# network namespace holding only loopback: they exchange their description
# lines through fifos and must connect over 127.0.0.1, over ::1, and with
# --loopback-only (both families). Then failures: a peer that never
# answers, and a bad peer line, must end with a reason and a non-zero exit.
. "$(dirname "$0")/ice_lib.sh"

make_netns

ice_pair v4 "$WEFT_BIN ice --controlling --bind 127.0.0.1" \
  "$WEFT_BIN ice --controlled --bind 127.0.0.1"
if ip netns exec "$NS" ip -6 addr show dev lo | grep -q '::1'; then
  ice_pair v6 "$WEFT_BIN ice --controlling --bind ::1" \
    "$WEFT_BIN ice --controlled --bind ::1"
  # Both sides on both families: still one selected pair each.
  ice_pair both "$WEFT_BIN ice --controlled --loopback-only" \
    "$WEFT_BIN ice --controlling --loopback-only"
else
  echo "SKIP: v6: no ::1 in the namespace"
fi

# Server-reflexive gathering through a STUN server given by name (resolved
# by the loop's DNS), and through one that does not answer: the agent says
# so, still prints its description and connects with its host candidate.
SP=$(( (RANDOM % 20000) + 30000 ))
timeout -k 2 120 ip netns exec "$NS" "$WEFT_BIN" stun --no-tcp \
  --listen "127.0.0.1:$SP" >"$ICE_TMP/stun.out" 2>"$ICE_TMP/stun.err" &
ICE_PIDS+=("$!")
if wait_line "$ICE_TMP/stun.out" '^listening' 5 "$!"; then
  ice_pair stun "$WEFT_BIN ice --controlling --bind 127.0.0.1 --stun localhost:$SP" \
    "$WEFT_BIN ice --controlled --bind 127.0.0.1 --stun 127.0.0.1:$((SP + 1))"
  if grep -q 'did not answer' "$ICE_TMP/stun_b.err" &&
    ! grep -q 'did not answer' "$ICE_TMP/stun_a.err"; then
    pass "stun: the dead server was reported, the live one answered"
  else
    fail "stun: gather errors: a='$(cat "$ICE_TMP/stun_a.err")' b='$(cat "$ICE_TMP/stun_b.err")'"
  fi
else
  fail "stun: weft stun did not start: $(cat "$ICE_TMP/stun.err")"
fi

# A peer that never answers (its candidate is a port nobody listens on):
# the agent must give up with a reason, non-zero, within 30 s.
start_agent dead "$WEFT_BIN" ice --controlling --bind 127.0.0.1
pid=$AGENT_PID
fd=$FD_dead
if wait_line "$ICE_TMP/dead.out" '^\{' 15 "$pid"; then
  echo '{"ufrag":"abcd","pwd":"0123456789abcdefghijkl","candidates":["candidate:1 1 udp 2130706431 127.0.0.1 9 typ host"]}' >&"$fd"
  start=$SECONDS
  wait_exit "$pid" 35
  took=$((SECONDS - start))
  if [ "$EXIT_RC" != 0 ] && [ "$EXIT_RC" != timeout ] && [ "$took" -le 30 ] &&
    [ -s "$ICE_TMP/dead.err" ]; then
    pass "unreachable peer: exit $EXIT_RC after ${took}s: $(tail -n 1 "$ICE_TMP/dead.err")"
  else
    fail "unreachable peer: exit $EXIT_RC after ${took}s"
  fi
else
  fail "unreachable peer: no description line"
fi

# A line that is not a description.
start_agent bad "$WEFT_BIN" ice --controlled --bind 127.0.0.1
pid=$AGENT_PID
fd=$FD_bad
if wait_line "$ICE_TMP/bad.out" '^\{' 15 "$pid"; then
  echo 'this is not json' >&"$fd"
  wait_exit "$pid" 10
  if [ "$EXIT_RC" = 1 ] && grep -q 'not JSON' "$ICE_TMP/bad.err"; then
    pass "bad peer line: $(cat "$ICE_TMP/bad.err")"
  else
    fail "bad peer line: exit $EXIT_RC, $(cat "$ICE_TMP/bad.err")"
  fi
else
  fail "bad peer line: no description line"
fi

# stdin closed before any peer line: a reason and exit 1.
start_agent eof "$WEFT_BIN" ice --controlled --bind 127.0.0.1
pid=$AGENT_PID
fd=$FD_eof
wait_line "$ICE_TMP/eof.out" '^\{' 15 "$pid"
eval "exec ${fd}>&-"
wait_exit "$pid" 10
if [ "$EXIT_RC" = 1 ] && grep -q 'stdin closed' "$ICE_TMP/eof.err"; then
  pass "early EOF: $(cat "$ICE_TMP/eof.err")"
else
  fail "early EOF: exit $EXIT_RC, $(cat "$ICE_TMP/eof.err")"
fi

finish
