#!/bin/bash
# Hostile input against `weft stun` (UDP and TCP, IPv4 and IPv6 when the host
# has it): garbage, truncated, oversized, TCP junk, idle and excess
# connections. The server must stay up, answer nothing it should not, count
# what it dropped, and still answer valid requests.
. "$(dirname "$0")/stun_lib.sh"

IDLE_MS=700
MAXC=3
HOSTS=(127.0.0.1)
have_ipv6 && HOSTS+=(::1)
for h in "${HOSTS[@]}"; do
  P=$(free_port) || exit 1
  L=$h
  [[ $h == *:* ]] && L="[$h]"
  start_weft_stun srv 2 --listen "$L:$P" --tcp-idle-ms $IDLE_MS \
    --tcp-max-conns $MAXC --stats || exit 1
  SRV=$LAST_PID
  timeout -k 2 120 "$PY" "$(dirname "$0")/stun_hostile.py" "$h" "$P" \
    $IDLE_MS $MAXC
  RC=$?
  [ $RC -eq 0 ] && pass "$h: hostile input script" || fail "$h: script rc=$RC"
  if kill -0 $SRV 2>/dev/null; then
    pass "$h: server still running"
  else
    fail "$h: server died"
  fi
  run_bounded 10 "$WEFT_BIN" stun-client "$L:$P"
  [ $RC -eq 0 ] && pass "$h: weft stun-client still answered: $OUT" ||
    fail "$h: stun-client rc=$RC $ERR"
  stop_pid $SRV
  STATS=$(cat "$STUN_TMP/srv.err")
  echo "$STATS"
  [ "$STOP_RC" = 0 ] && pass "$h: clean exit" || fail "$h: exit $STOP_RC"
  num() { grep -Eo "(^| )$1 [0-9]+" <<<"$STATS" | grep -Eo '[0-9]+$'; }
  # (the 2000-datagram flood may overflow the socket buffer: not all count)
  [ "$(num malformed)" -ge 45 ] && pass "$h: malformed counted" ||
    fail "$h: malformed count"
  [ "$(num udp-oversized)" -ge 3 ] && pass "$h: oversized counted" ||
    fail "$h: oversized count"
  [ "$(num tcp-garbage)" -ge 4 ] && pass "$h: tcp garbage counted" ||
    fail "$h: tcp garbage count"
  [ "$(num tcp-idle)" -ge 1 ] && pass "$h: tcp idle counted" ||
    fail "$h: tcp idle count"
  [ "$(num tcp-rejected)" -ge 1 ] && pass "$h: tcp rejected counted" ||
    fail "$h: tcp rejected count"
  [ "$(num errors)" -ge 1 ] && pass "$h: 420 counted" ||
    fail "$h: error count"
done
finish
