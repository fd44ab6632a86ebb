# Shared helpers of the ICE interop tests (sourced, not a test itself).
# Everything runs inside a network namespace the test creates (loopback
# only, plus veth pairs whose both ends stay inside): no packet leaves it.
# Every process is killed by PID on exit, the namespace deleted; every wait
# is bounded.
set -u

WEFT_BIN=${WEFT_BIN:-${WEFT_BUILD_DIR:-build}/tools/weft/weft}
PY=/usr/bin/python3
ICE_TMP=$(mktemp -d /tmp/weft-ice-test.XXXXXX)
ICE_PIDS=()
ICE_FDS=()
NS=""
FAILS=0

ice_cleanup() {
  local pid fd
  for fd in "${ICE_FDS[@]}"; do
    eval "exec ${fd}>&-" 2>/dev/null
  done
  for pid in "${ICE_PIDS[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${ICE_PIDS[@]}"; do
    wait "$pid" 2>/dev/null
  done
  [ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
  rm -rf "$ICE_TMP"
}
trap ice_cleanup EXIT

pass() { echo "PASS: $*"; }
fail() {
  echo "FAIL: $*"
  FAILS=$((FAILS + 1))
}
finish() {
  if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS check(s) failed"
    exit 1
  fi
  echo "all checks passed"
  exit 0
}

# Creates the namespace weft-ice-PID with loopback up (skips the test when
# namespaces cannot be made here).
make_netns() {
  NS="weft-ice-$$"
  if [ "$(id -u)" -ne 0 ] || ! ip netns add "$NS" 2>/dev/null; then
    NS=""
    echo "SKIP: cannot create a network namespace (needs root and iproute2)"
    exit 0
  fi
  ip netns exec "$NS" ip link set lo up
}

# Adds a veth pair inside the namespace: both ends stay in it, with
# 10.99.0.1/24 and 10.99.0.2/24, fd99::1/64 and fd99::2/64 (private,
# reachable only inside; no duplicate address detection, so usable at once).
add_veth() {
  ip netns exec "$NS" ip link add weftva type veth peer name weftvb &&
    ip netns exec "$NS" ip addr add 10.99.0.1/24 dev weftva &&
    ip netns exec "$NS" ip addr add 10.99.0.2/24 dev weftvb &&
    ip netns exec "$NS" ip -6 addr add fd99::1/64 dev weftva nodad &&
    ip netns exec "$NS" ip -6 addr add fd99::2/64 dev weftvb nodad &&
    ip netns exec "$NS" ip link set weftva up &&
    ip netns exec "$NS" ip link set weftvb up
}

# wait_line FILE PATTERN SECONDS PID: waits until FILE has a line matching
# PATTERN (grep -E), at most SECONDS or until PID exits. Returns 0 if found.
wait_line() {
  local file=$1 pat=$2 secs=$3 pid=$4 i
  for ((i = 0; i < secs * 20; i++)); do
    grep -qE "$pat" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  grep -qE "$pat" "$file" 2>/dev/null
}

# wait_exit PID SECONDS: waits for PID to exit; sets EXIT_RC (or "timeout").
wait_exit() {
  local pid=$1 secs=$2 i
  for ((i = 0; i < secs * 20; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    EXIT_RC=timeout
    return
  fi
  wait "$pid"
  EXIT_RC=$?
}

# start_agent NAME CMD...: runs CMD in the namespace with stdin from the fifo
# NAME.in (kept open by this shell: closing it is the agent's EOF) and
# stdout/stderr in NAME.out/NAME.err. Sets AGENT_PID.
start_agent() {
  local name=$1 fd
  shift
  mkfifo "$ICE_TMP/$name.in"
  timeout -k 2 90 ip netns exec "$NS" "$@" <"$ICE_TMP/$name.in" \
    >"$ICE_TMP/$name.out" 2>"$ICE_TMP/$name.err" &
  AGENT_PID=$!
  ICE_PIDS+=("$AGENT_PID")
  exec {fd}>"$ICE_TMP/$name.in"
  ICE_FDS+=("$fd")
  eval "FD_$name=$fd"
}

# ice_pair LABEL "A ARGS" "B ARGS": two agents (commands as words) exchange
# their first lines, both must print "connected", then stdin closes and both
# must exit 0.
ice_pair() {
  local label=$1 a b fa fb pa pb ok=1
  read -r -a a <<<"$2"
  read -r -a b <<<"$3"
  start_agent "${label}_a" "${a[@]}"
  pa=$AGENT_PID
  start_agent "${label}_b" "${b[@]}"
  pb=$AGENT_PID
  eval "fa=\$FD_${label}_a; fb=\$FD_${label}_b"
  local oa=$ICE_TMP/${label}_a.out ob=$ICE_TMP/${label}_b.out
  if ! wait_line "$oa" '^\{' 15 "$pa" || ! wait_line "$ob" '^\{' 15 "$pb"; then
    fail "$label: no description line"
    ok=0
  else
    head -n 1 "$oa" >&"$fb"
    head -n 1 "$ob" >&"$fa"
    if wait_line "$oa" '^connected ' 30 "$pa" &&
      wait_line "$ob" '^connected ' 30 "$pb"; then
      pass "$label: $(grep '^connected' "$oa") | $(grep '^connected' "$ob")"
    else
      fail "$label: not connected"
      ok=0
    fi
  fi
  [ -n "${ICE_HOLD:-}" ] && sleep "$ICE_HOLD"
  eval "exec ${fa}>&- ${fb}>&-"
  wait_exit "$pa" 10
  local ra=$EXIT_RC
  wait_exit "$pb" 10
  local rb=$EXIT_RC
  if [ "$ok" = 1 ] && [ "$ra" = 0 ] && [ "$rb" = 0 ]; then
    pass "$label: both exited 0 at EOF"
  else
    [ "$ok" = 1 ] && fail "$label: exit status $ra / $rb (want 0 / 0)"
    for f in "${label}_a" "${label}_b"; do
      echo "--- $f.out"
      cat "$ICE_TMP/$f.out"
      echo "--- $f.err"
      tail -n 30 "$ICE_TMP/$f.err"
    done
  fi
}
