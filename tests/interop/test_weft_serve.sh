#!/bin/bash
# `weft serve` (what `make run` starts): it says what it serves and where,
# answers STUN there, and stops on SIGINT (Ctrl-C) and on SIGTERM.
. "$(dirname "$0")/stun_lib.sh"

for sig in INT TERM; do
  P=$(free_port) || exit 1
  "$WEFT_BIN" serve --stun-listen "127.0.0.1:$P" \
    --signal-listen 127.0.0.1:0 >"$STUN_TMP/serve.out" \
    2>"$STUN_TMP/serve.err" &
  SRV=$!
  STUN_PIDS+=("$SRV")
  for _ in $(seq 100); do
    grep -q 'Ctrl-C' "$STUN_TMP/serve.out" && break
    kill -0 $SRV 2>/dev/null || break
    sleep 0.05
  done
  if grep -qx "weft serve: STUN on udp+tcp 127.0.0.1:$P" "$STUN_TMP/serve.out"; then
    pass "SIG$sig run: serve announced STUN on 127.0.0.1:$P"
  else
    fail "announcement: $(cat "$STUN_TMP/serve.out" "$STUN_TMP/serve.err")"
  fi
  SP=$(sed -n 's/^weft serve: signaling (PeerJS protocol) and web pages on http:\/\/127\.0\.0\.1:\([0-9]*\)\/$/\1/p' \
    "$STUN_TMP/serve.out")
  if [ -n "$SP" ] && "$PY" -c '
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
c.request("GET", "/peerjs/id")
r = c.getresponse()
sys.exit(0 if r.status == 200 and len(r.read()) == 36 else 1)' "$SP"; then
    pass "serve answered GET /peerjs/id on 127.0.0.1:$SP"
  else
    fail "signaling in serve: $(cat "$STUN_TMP/serve.out" "$STUN_TMP/serve.err")"
  fi
  for proto in udp tcp; do
    flag=()
    [ $proto = tcp ] && flag=(--tcp)
    run_bounded 10 "$WEFT_BIN" stun-client "127.0.0.1:$P" "${flag[@]}"
    [[ $RC -eq 0 && "$OUT" =~ ^127\.0\.0\.1:[0-9]+$ ]] &&
      pass "serve answered STUN over $proto: $OUT" ||
      fail "serve over $proto: rc=$RC $OUT $ERR"
  done
  stop_pid $SRV $sig
  [ "$STOP_RC" = 0 ] && pass "serve stopped on SIG$sig" ||
    fail "serve on SIG$sig: exit $STOP_RC"
done

# The defaults: both families on 3478 on every interface. Binding the
# wildcard addresses happens inside a network namespace of our own that has
# only loopback, so nothing is exposed and 3478 is always free there.
if unshare -n true 2>/dev/null; then
  unshare -n bash -c '
    ip link set lo up || exit 3
    # A second local address per family: a wildcard socket must answer
    # from the address the client asked, not the one routing would pick.
    ip addr add 127.0.0.2/32 dev lo 2>/dev/null
    W=$1 T=$2
    "$W" serve >"$T/def.out" 2>"$T/def.err" &
    S=$!
    for _ in $(seq 100); do
      grep -q Ctrl-C "$T/def.out" && break
      kill -0 $S 2>/dev/null || break
      sleep 0.05
    done
    : >"$T/def.client.rc"
    ASK=("127.0.0.1" "127.0.0.1 --tcp" "127.0.0.2 --local 127.0.0.1")
    if ip -6 addr show dev lo 2>/dev/null | grep -q "::1"; then
      ASK+=("[::1]" "[::1] --tcp")
      ip addr add fd00:5745:4654::2/128 dev lo nodad 2>/dev/null &&
        ASK+=("[fd00:5745:4654::2] --local [::1]")
    fi
    for a in "${ASK[@]}"; do
      # (wildcard sockets answer from the address asked: IP_PKTINFO)
      timeout -k 2 10 "$W" stun-client $a >>"$T/def.client" 2>&1
      echo $? >>"$T/def.client.rc"
    done
    kill -INT $S
    for _ in $(seq 50); do kill -0 $S 2>/dev/null || break; sleep 0.1; done
    kill -9 $S 2>/dev/null
    wait $S
    echo $? >"$T/def.rc"
  ' _ "$WEFT_BIN" "$STUN_TMP"
  if grep -qx 'weft serve: signaling (PeerJS protocol) and web pages on http://127.0.0.1:9000/' \
    "$STUN_TMP/def.out"; then
    pass "defaults: signaling on port 9000"
  else
    fail "signaling defaults: $(cat "$STUN_TMP/def.out" "$STUN_TMP/def.err")"
  fi
  if grep -Eqx 'weft serve: STUN on udp\+tcp (\[::\]:3478 )?0\.0\.0\.0:3478' \
    "$STUN_TMP/def.out"; then
    pass "defaults: $(head -1 "$STUN_TMP/def.out")"
  else
    fail "defaults: $(cat "$STUN_TMP/def.out" "$STUN_TMP/def.err")"
  fi
  if [ -s "$STUN_TMP/def.client.rc" ] &&
    ! grep -qv '^0$' "$STUN_TMP/def.client.rc"; then
    pass "default port answers: $(cat "$STUN_TMP/def.client" | tr '\n' ' ')"
  else
    fail "default port: $(cat "$STUN_TMP/def.client")"
  fi
  [ "$(cat "$STUN_TMP/def.rc")" = 0 ] && pass "defaults: stopped on SIGINT" ||
    fail "defaults: exit $(cat "$STUN_TMP/def.rc")"
else
  echo "SKIP: defaults (unshare -n not available)"
fi
finish
