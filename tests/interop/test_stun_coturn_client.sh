#!/bin/bash
# coturn's turnutils_stunclient against `weft stun`: it must report the
# mapped address 127.0.0.1:<its port>.
. "$(dirname "$0")/stun_lib.sh"

if ! command -v turnutils_stunclient >/dev/null; then
  echo "SKIP: turnutils_stunclient (Debian coturn) not installed"
  exit 0
fi
P=$(free_port) || exit 1
start_weft_stun srv 2 --listen "127.0.0.1:$P" --stats || exit 1
SRV=$LAST_PID

run_bounded 20 turnutils_stunclient -p "$P" 127.0.0.1
echo "$OUT"
if [ $RC -eq 0 ] && grep -Eq 'reflexive addr: 127\.0\.0\.1:[0-9]+' <<<"$OUT"; then
  pass "turnutils_stunclient got the mapped address from weft"
else
  fail "turnutils_stunclient: rc=$RC out='$OUT' err='$ERR'"
fi

# Its mapped port must be its real source port, which is the same in both
# lines it prints (it sends twice from one socket).
PORTS=$(grep -Eo 'reflexive addr: 127\.0\.0\.1:[0-9]+' <<<"$OUT" | sort -u | wc -l)
if [ "$PORTS" = 1 ]; then
  pass "one consistent mapped address"
else
  fail "mapped addresses differ: $OUT"
fi

# IPv6: turnutils_stunclient to weft on [::1].
if have_ipv6; then
  P6=$(free_port) || exit 1
  start_weft_stun srv6 2 --listen "[::1]:$P6" || exit 1
  run_bounded 20 turnutils_stunclient -p "$P6" ::1
  if [ $RC -eq 0 ] && grep -Eq 'IPv6\. UDP reflexive addr: ::1:[0-9]+' <<<"$OUT"; then
    pass "turnutils_stunclient over IPv6 got ::1 from weft"
  else
    fail "turnutils_stunclient ::1: rc=$RC out='$OUT' err='$ERR'"
  fi
else
  echo "SKIP: IPv6: no IPv6 loopback on this host"
fi

stop_pid $SRV
if [ "$STOP_RC" = 0 ] && grep -Eq 'answered [1-9]' "$STUN_TMP/srv.err"; then
  pass "weft answered: $(cat "$STUN_TMP/srv.err")"
else
  fail "server: exit $STOP_RC, $(cat "$STUN_TMP/srv.err")"
fi
finish
