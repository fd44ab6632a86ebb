#!/usr/bin/env bash
# Signaling benchmark: `weft signal` against the PeerJS server (npm `peer`)
# under the same load, one at a time, in the same run. JSON lines on stdout,
# progress on stderr.
#
#   bash bench/bench_signal.sh [BUILD_DIR]
#
# Figures per server:
#   signal_idle: N idle WebSocket peers held by the server; RSS delta / N
#                (bytes per idle peer). The load generator runs in its own
#                process with its own open-file limit (the machine caps a
#                process at 20,000 open files).
#   signal_relay: P pairs relaying CANDIDATE messages (W in flight each way);
#                 messages/s and server CPU microseconds per message.
# Environment: WEFT_BENCH_SIGNAL_PEERS [19000], WEFT_BENCH_SIGNAL_PAIRS [8],
#   WEFT_BENCH_SIGNAL_WINDOW [16], WEFT_BENCH_SIGNAL_SIZE [200],
#   WEFT_BENCH_DURATION [5], WEFT_BENCH_SERVER_CPU [0], WEFT_BENCH_LOAD_CPU [1]
set -euo pipefail
BUILD=${1:-build-bench}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEERS=${WEFT_BENCH_SIGNAL_PEERS:-19000}
PAIRS=${WEFT_BENCH_SIGNAL_PAIRS:-8}
WINDOW=${WEFT_BENCH_SIGNAL_WINDOW:-16}
SIZE=${WEFT_BENCH_SIGNAL_SIZE:-200}
DUR=${WEFT_BENCH_DURATION:-5}
LOADGEN=$BUILD/bench/bench_signal_load
WEFT=$BUILD/tools/weft/weft
log() { echo "bench_signal: $*" >&2; }

PIN_S=() PIN_L=()
if command -v taskset >/dev/null && [ "$(nproc --all)" -gt 1 ]; then
  PIN_S=(taskset -c "${WEFT_BENCH_SERVER_CPU:-0}")
  PIN_L=(taskset -c "${WEFT_BENCH_LOAD_CPU:-1}")
fi
TMP=$(mktemp -d /tmp/weft-bench-signal.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
cpu_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat")
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo $((${12} + ${13}))
}

# start NAME -> SPID, SPORT (server limits lifted: this is a load test)
start() {
  local cap=20000
  ulimit -n $cap 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  if [ "$1" = weft ]; then
    "${PIN_S[@]}" "$WEFT" signal -l 127.0.0.1:0 --max-per-addr 0 --rate 0 \
      --concurrent-limit 1000000 >"$TMP/s.out" 2>&1 &
    SPID=$!
  else
    cat >"$TMP/peer.js" <<'JS'
const { PeerServer } = require("peer");
PeerServer({ port: 0, host: "127.0.0.1", concurrent_limit: 1000000 },
  (s) => console.log("listening http://127.0.0.1:" + s.address().port + "/"));
JS
    NODE_PATH=$BUILD/npm-deps/node_modules "${PIN_S[@]}" node "$TMP/peer.js" \
      >"$TMP/s.out" 2>&1 &
    SPID=$!
  fi
  PIDS+=("$SPID")
  SPORT=""
  for _ in $(seq 100); do
    SPORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9][0-9]*\)\/$/\1/p' "$TMP/s.out")
    [ -n "$SPORT" ] && return 0
    sleep 0.1
  done
  log "$1 did not start: $(cat "$TMP/s.out")"
  return 1
}

idle() { # idle NAME
  start "$1" || return 0
  sleep 0.5
  local r0 r1 line
  r0=$(rss_kb "$SPID")
  (ulimit -n 20000 2>/dev/null || true
    "${PIN_L[@]}" "$LOADGEN" --target "127.0.0.1:$SPORT" --mode idle \
      --conns "$PEERS" --hold-s 4 >"$TMP/l.out" 2>"$TMP/l.err") &
  local lp=$!
  for _ in $(seq 1200); do
    grep -q ready "$TMP/l.err" 2>/dev/null && break
    kill -0 $lp 2>/dev/null || break
    sleep 0.1
  done
  sleep 1
  r1=$(rss_kb "$SPID")
  wait $lp || log "$1 idle: $(cat "$TMP/l.err")"
  line=$(cat "$TMP/l.out")
  echo "{\"bench\":\"signal_idle\",\"server\":\"$1\",\"peers\":$PEERS,\"rss_before_kb\":$r0,\"rss_after_kb\":$r1,\"bytes_per_peer\":$(((r1 - r0) * 1024 / PEERS)),\"load\":$line}"
  kill "$SPID"
  wait "$SPID" 2>/dev/null || true
}

relay() { # relay NAME
  start "$1" || return 0
  sleep 0.5
  local t0 t1 line msgs
  t0=$(cpu_ticks "$SPID")
  line=$("${PIN_L[@]}" "$LOADGEN" --target "127.0.0.1:$SPORT" --mode relay \
    --pairs "$PAIRS" --window "$WINDOW" --duration-s "$DUR" --size "$SIZE" \
    2>"$TMP/l.err") || { log "$1 relay: $(cat "$TMP/l.err")"; line=""; }
  t1=$(cpu_ticks "$SPID")
  if [ -n "$line" ]; then
    msgs=$(echo "$line" | sed -n 's/.*"messages":\([0-9]*\).*/\1/p')
    # CPU over the run (0.5 s warm-up + DUR, connection setup included) per
    # message, the warm-up's messages estimated at the measured rate
    local us
    us=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v m="$msgs" \
      -v d="$DUR" 'BEGIN { printf "%.2f", t / hz * 1e6 / (m * (d + 0.5) / d) }')
    echo "{\"bench\":\"signal_relay\",\"server\":\"$1\",\"server_cpu_ticks\":$((t1 - t0)),\"cpu_us_per_msg\":$us,\"load\":$line}"
  fi
  kill "$SPID"
  wait "$SPID" 2>/dev/null || true
}

[ -x "$LOADGEN" ] || { log "no $LOADGEN"; exit 0; }
log "load average: $(cut -d' ' -f1 /proc/loadavg)"
servers=()
[ -x "$WEFT" ] && servers+=(weft)
if command -v node >/dev/null && bash "$HERE/../scripts/npm-deps.sh" "$BUILD/npm-deps"; then
  servers+=(peer)
else
  log "no node / npm packages: no PeerJS reference figures"
fi
for s in "${servers[@]}"; do
  log "$s: $PEERS idle peers"
  idle "$s"
  log "$s: relay"
  relay "$s"
done
