#!/bin/bash
# Over real UDP on loopback through ICE: DTLS + SCTP between two weft
# processes (examples/dc_pair.c, driven by weft_loop). Inside a fresh network
# namespace holding only loopback (no packet can leave it), an "offer" and an
# "answer" process exchange ICE credentials, host candidates and DTLS
# fingerprints through files, connect with ICE on 127.0.0.1, run the DTLS
# handshake, bring up an SCTP association over DTLS, send 16 MiB as 64 KiB
# messages and close the association. Checked: both exit 0, the receiver got
# every byte, and both SHA-256 agree. Then a wrong fingerprint must fail.
# Every process is killed by PID on exit, the namespace deleted; every wait is
# bounded.
set -u

PAIR=${WEFT_BUILD_DIR:-build}/examples/example_dc_pair
TMP=$(mktemp -d /tmp/weft-dc-udp.XXXXXX)
PIDS=()
NS=""
FAILS=0

# shellcheck disable=SC2317 # called by the trap
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  [ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

pass() { echo "PASS: $*"; }
fail() {
  echo "FAIL: $*"
  FAILS=$((FAILS + 1))
}

if [ ! -x "$PAIR" ]; then
  echo "SKIP: $PAIR not built (needs the I/O layer)"
  exit 0
fi
NS="weft-dc-$$"
if [ "$(id -u)" -ne 0 ] || ! ip netns add "$NS" 2>/dev/null; then
  NS=""
  echo "SKIP: cannot create a network namespace (needs root and iproute2)"
  exit 0
fi
ip netns exec "$NS" ip link set lo up

# run_pair NAME MIB [VAR=VALUE...]: both processes in the namespace, bounded
# to 120 s; the variables go to the offer's environment.
run_pair() {
  local dir="$TMP/$1" mib=$2
  shift 2
  mkdir -p "$dir"
  timeout -k 2 120 ip netns exec "$NS" "$PAIR" answer "$dir" "$mib" \
    >"$dir/answer.out" 2>"$dir/answer.err" &
  local pa=$!
  PIDS+=("$pa")
  timeout -k 2 120 ip netns exec "$NS" env "$@" "$PAIR" offer "$dir" "$mib" \
    >"$dir/offer.out" 2>"$dir/offer.err" &
  local po=$!
  PIDS+=("$po")
  wait "$po"
  RC_OFFER=$?
  wait "$pa"
  RC_ANSWER=$?
}

run_pair main 16
sent=$(cat "$TMP/main/offer.out")
got=$(cat "$TMP/main/answer.out")
if [ "$RC_OFFER" = 0 ] && [ "$RC_ANSWER" = 0 ] &&
  [[ "$sent" == "sent bytes 16777216 sha256 "* ]] &&
  [ "${sent#sent }" = "${got#received }" ]; then
  pass "16 MiB over ICE + DTLS + SCTP on 127.0.0.1, SHA-256 equal (${got##* })"
else
  fail "transfer: offer rc=$RC_OFFER '$sent' $(tail -n 2 "$TMP/main/offer.err"); answer rc=$RC_ANSWER '$got' $(tail -n 2 "$TMP/main/answer.err")"
fi

# A wrong fingerprint in the offer's signalling: ICE connects, then the
# answer's DTLS must refuse the client's certificate, and both must fail
# (non-zero, with a reason) within the bound instead of hanging.
run_pair badfp 1 DC_PAIR_WRONG_FINGERPRINT=1
if [ "$RC_OFFER" != 0 ] && [ "$RC_OFFER" != 124 ] &&
  [ "$RC_ANSWER" != 0 ] && [ "$RC_ANSWER" != 124 ] &&
  [ -s "$TMP/badfp/answer.err" ]; then
  pass "wrong fingerprint refused: answer '$(tail -n 1 "$TMP/badfp/answer.err")', offer '$(tail -n 1 "$TMP/badfp/offer.err")'"
else
  fail "wrong fingerprint: offer rc=$RC_OFFER answer rc=$RC_ANSWER '$(cat "$TMP/badfp/answer.err")'"
fi

if [ "$FAILS" -ne 0 ]; then
  echo "$FAILS check(s) failed"
  exit 1
fi
echo "all checks passed"
exit 0
