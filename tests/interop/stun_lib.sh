# Shared helpers of the STUN interop tests (sourced, not a test itself).
# Every server a test starts is recorded in STUN_PIDS and killed by PID on
# exit; every wait is bounded; every address is 127.0.0.1 or ::1.
set -u

WEFT_BIN=${WEFT_BIN:-${WEFT_BUILD_DIR:-build}/tools/weft/weft}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
STUN_PIDS=()
STUN_TMP=$(mktemp -d /tmp/weft-stun-test.XXXXXX)
FAILS=0

stun_cleanup() {
  local pid
  for pid in "${STUN_PIDS[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${STUN_PIDS[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "$STUN_TMP"
}
trap stun_cleanup EXIT

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

# A random port in 20000-59999 that nothing uses on UDP or TCP.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 40000))
    if [ -z "$(ss -Hanu "sport = :$p")" ] && [ -z "$(ss -Hant "sport = :$p")" ]; then
      echo "$p"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

have_ipv6() {
  "$PY" - <<'PYEOF' 2>/dev/null
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::1", 0))
PYEOF
}

# start_weft_stun NAME EXPECTED_LINES ARGS...: runs `weft stun ARGS` in the
# background, waits (at most 5 s) until it printed EXPECTED_LINES
# "listening" lines. Sets LAST_PID. Output in $STUN_TMP/NAME.out/.err.
start_weft_stun() {
  local name=$1 lines=$2
  shift 2
  "$WEFT_BIN" stun "$@" >"$STUN_TMP/$name.out" 2>"$STUN_TMP/$name.err" &
  LAST_PID=$!
  STUN_PIDS+=("$LAST_PID")
  for _ in $(seq 100); do
    if [ "$(grep -c '^listening ' "$STUN_TMP/$name.out")" -ge "$lines" ]; then
      return 0
    fi
    kill -0 "$LAST_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "weft stun $* did not start:"
  cat "$STUN_TMP/$name.out" "$STUN_TMP/$name.err"
  return 1
}

# stop_pid PID [SIGNAL]: sends SIGNAL (TERM), waits at most 5 s; sets
# STOP_RC to the exit status, or "killed" when it had to be killed.
stop_pid() {
  local pid=$1 sig=${2:-TERM}
  kill -"$sig" "$pid" 2>/dev/null
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    STOP_RC=killed
    return
  fi
  wait "$pid"
  STOP_RC=$?
}

# Runs a command with a bound time (seconds), output in $OUT / $ERR, status
# in $RC.
run_bounded() {
  local secs=$1
  shift
  timeout -k 2 "$secs" "$@" >"$STUN_TMP/cmd.out" 2>"$STUN_TMP/cmd.err"
  RC=$?
  OUT=$(cat "$STUN_TMP/cmd.out")
  ERR=$(cat "$STUN_TMP/cmd.err")
}
