#!/usr/bin/env bash
# Runs every weft benchmark; prints ONLY JSON lines on stdout, one per figure.
# Progress and diagnostics go to stderr. See bench/README.md.
#
#   bash bench/run.sh [BUILD_DIR]        (make bench: BUILD_DIR=build-bench)
#
# Environment (defaults in brackets):
#   WEFT_BENCH_RUNS [5]        repetitions; every figure is the median
#   WEFT_BENCH_DURATION [2]    seconds of load per STUN server run
#   WEFT_BENCH_BUDGET [170]    seconds: programs are repeated (up to RUNS
#                              times) only while the run stays within this
#   WEFT_BENCH_RATE [50000]    fixed offered rate (req/s) for the equal-load
#                              comparison; both servers must sustain it
#   WEFT_BENCH_SOCKETS [8]     load generator sockets
#   WEFT_BENCH_WINDOW [64]     requests in flight per socket
#   WEFT_BENCH_SERVER_CPU [0]  CPU the server under test is pinned to
#   WEFT_BENCH_LOAD_CPU [1]    CPU the load generator is pinned to
#   WEFT_BENCH_ONLY            "programs", "servers" or "datachannel": run
#                              only that part
#   WEFT_BENCH_WEFT_CMD        override the weft STUN server command; the
#                              word PORT is replaced by the port (testing)
set -euo pipefail

BUILD=${1:-build-bench}
RUNS=${WEFT_BENCH_RUNS:-5}
DUR=${WEFT_BENCH_DURATION:-2}
BUDGET=${WEFT_BENCH_BUDGET:-170}
RATE=${WEFT_BENCH_RATE:-50000}
SOCKETS=${WEFT_BENCH_SOCKETS:-8}
WINDOW=${WEFT_BENCH_WINDOW:-64}
SERVER_CPU=${WEFT_BENCH_SERVER_CPU:-0}
LOAD_CPU=${WEFT_BENCH_LOAD_CPU:-1}
ONLY=${WEFT_BENCH_ONLY:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=${PYTHON:-python3}
LOADGEN="$BUILD/bench/bench_stun_load"
REFLECT="$BUILD/bench/bench_stun_reflect"
# Programs that need arguments: run.sh drives them itself.
SPECIAL="bench_stun_load bench_stun_reflect bench_signal_load"
# SCTP / data channel programs: run by section 3 (their own time limits).
SPECIAL="$SPECIAL bench_sctp_rtt bench_dc_udp bench_dc_idle"

log() { echo "bench: $*" >&2; }

TMP=$(mktemp -d /tmp/weft-bench.XXXXXX)
SERVER_PIDS=()
cleanup() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${SERVER_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Pinning: only with taskset and enough CPUs; otherwise run unpinned.
# PIN_LOAD / PIN_SERVER are command prefixes (taskset execs the command, so a
# server started as `"${PIN_SERVER[@]}" server &` has PID $!).
PIN_LOAD=()
PIN_SERVER=()
if command -v taskset >/dev/null; then
  ncpu=$(nproc --all)
  if [ "$ncpu" -gt "$LOAD_CPU" ]; then PIN_LOAD=(taskset -c "$LOAD_CPU"); fi
  if [ "$ncpu" -gt "$SERVER_CPU" ]; then
    PIN_SERVER=(taskset -c "$SERVER_CPU")
  fi
fi

# ---------------------------------------------------------------------------
# 1. Self-contained benchmark programs (each prints its own JSON lines) and
#    benchmark scripts (bench/*.sh but run.sh: `script BUILD_DIR`, they
#    repeat themselves). Pass 1 runs each once; later passes repeat the
#    programs, up to RUNS times, while the time budget allows.
# ---------------------------------------------------------------------------
PROGS=()          # paths
declare -A ONCE   # path -> 1 when it must not be repeated
declare -A SECS   # path -> seconds its first run took
declare -A NDONE   # path -> runs done

# run_prog PATH I: one run; its stdout kept as run I. Returns 1 on failure.
run_prog() {
  local prog=$1 i=$2 name out start limit=60
  name=$(basename "$prog")
  out="$TMP/prog-$name"
  mkdir -p "$out"
  local cmd=("$prog")
  case "$name" in *.sh) cmd=(bash "$prog" "$BUILD") limit=180 ;; esac
  log "$name run $i"
  start=$(date +%s)
  if ! timeout "$limit" "${cmd[@]}" >"$out/run$i.json" 2>"$out/run$i.err"; then
    log "$name failed (run $i): $(tail -n 3 "$out/run$i.err")"
    rm -f "$out/run$i.json"
    ONCE[$prog]=1
    return 1
  fi
  NDONE[$prog]=$i
  if [ "$i" -eq 1 ]; then
    SECS[$prog]=$(($(date +%s) - start))
    # Lines that carry their own "runs": the program repeats itself.
    if grep -q '"runs"' "$out/run1.json"; then ONCE[$prog]=1; fi
  fi
}

find_programs() {
  local prog name
  for prog in "$BUILD"/bench/bench_* "$HERE"/*.sh; do
    if [ ! -f "$prog" ]; then continue; fi
    name=$(basename "$prog")
    case " $SPECIAL run.sh " in *" $name "*) continue ;; esac
    case "$name" in
    *.sh) ONCE[$prog]=1 ;;
    *) if [ ! -x "$prog" ]; then continue; fi ;;
    esac
    PROGS+=("$prog")
  done
}

programs_first_pass() {
  local prog
  for prog in "${PROGS[@]}"; do run_prog "$prog" 1 || true; done
}

# Repeats programs while each next run still fits before the deadline.
programs_repeat() {
  local i prog
  for i in $(seq 2 "$RUNS"); do
    for prog in "${PROGS[@]}"; do
      if [ -n "${ONCE[$prog]:-}" ] || [ "${NDONE[$prog]:-0}" -ne $((i - 1)) ]; then
        continue
      fi
      if [ $(($(date +%s) + ${SECS[$prog]:-0} + 1)) -gt "$DEADLINE" ]; then
        log "$(basename "$prog"): run $i skipped (time budget)"
        continue
      fi
      run_prog "$prog" "$i" || true
    done
  done
}

programs_report() {
  local prog out
  for prog in "${PROGS[@]}"; do
    out="$TMP/prog-$(basename "$prog")"
    if compgen -G "$out/run*.json" >/dev/null; then
      "$PY" "$HERE/summarize.py" programs "$out"/run*.json || true
    fi
  done
}

# ---------------------------------------------------------------------------
# 2. STUN server comparison: weft stun against coturn, same load, one at a
#    time, server on SERVER_CPU, load generator on LOAD_CPU.
# ---------------------------------------------------------------------------
free_port() {
  "$PY" -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# CPU time of a process, all threads: "utime+stime ticks" from /proc/PID/stat.
cpu_ticks() {
  # Fields after the ")" that ends comm: 3=state ... 14=utime 15=stime.
  local stat
  stat=$(cat "/proc/$1/stat")
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo $((${12} + ${13}))
}

# Load generator run against PORT; prints its JSON line.
load() { # load PORT LABEL DURATION [RATE]
  local args=(--target "127.0.0.1:$1" --label "$2" --duration-s "$3"
    --sockets "$SOCKETS" --window "$WINDOW")
  if [ -n "${4:-}" ]; then args+=(--rate "$4"); fi
  "${PIN_LOAD[@]}" "$LOADGEN" "${args[@]}"
}

# Waits (bounded) until a STUN server on PORT answers.
wait_ready() { # wait_ready PORT PID
  local i line
  for i in $(seq 50); do
    kill -0 "$2" 2>/dev/null || return 1
    line=$(load "$1" probe 0.1 1000 2>/dev/null || true)
    case "$line" in *'"answered":0,'*) ;; *'"answered":'*) return 0 ;; esac
    sleep 0.1
  done
  return 1
}

start_coturn() { # start_coturn PORT -> sets SERVER_PID
  local port=$1
  : >"$TMP/userdb"
  # -S: STUN only; -m 0: one thread (the server gets one CPU, like weft);
  # the three response options drop MAPPED-ADDRESS, RESPONSE-ORIGIN and
  # SOFTWARE so coturn answers with XOR-MAPPED-ADDRESS alone.
  "${PIN_SERVER[@]}" turnserver -n --listening-ip=127.0.0.1 \
    --listening-port="$port" --no-tls --no-dtls --no-tcp --no-cli -S -m 0 \
    --no-rfc5780 --no-stun-backward-compatibility \
    --response-origin-only-with-rfc5780 --no-software-attribute \
    --log-file=/dev/null --no-stdout-log --pidfile="$TMP/coturn.pid" \
    --userdb="$TMP/userdb" >"$TMP/coturn.log" 2>&1 &
  SERVER_PID=$!
  SERVER_PIDS+=("$SERVER_PID")
}

weft_cmd() { # weft_cmd PORT -> the command words, one per line
  if [ -n "${WEFT_BENCH_WEFT_CMD:-}" ]; then
    echo "${WEFT_BENCH_WEFT_CMD//PORT/$1}" | tr ' ' '\n'
  else
    # UDP only and no SOFTWARE attribute, like coturn below.
    printf '%s\n' "$BUILD/tools/weft/weft" stun --listen "127.0.0.1:$1" \
      --no-tcp --no-software
  fi
}

start_weft() { # start_weft PORT -> sets SERVER_PID
  local cmd
  mapfile -t cmd < <(weft_cmd "$1")
  "${PIN_SERVER[@]}" "${cmd[@]}" >"$TMP/weft.log" 2>&1 &
  SERVER_PID=$!
  SERVER_PIDS+=("$SERVER_PID")
}

# One measured run: appends "server mode run ticks json" to results.
measure() { # measure SERVER PORT PID MODE RUN
  local before after line rate=""
  [ "$4" = rate ] && rate=$RATE
  if ! kill -0 "$3" 2>/dev/null; then
    log "$1 (PID $3) is gone: run $5 dropped"
    return 0
  fi
  before=$(cpu_ticks "$3")
  line=$(load "$2" "stun_load_$1_$4" "$DUR" "$rate") || line=""
  after=$(cpu_ticks "$3")
  if [ -z "$line" ]; then
    log "$1 $4 run $5: the load generator failed; run dropped"
    return 0
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$4" "$5" $((after - before)) "$line" \
    >>"$TMP/servers.tsv"
  log "$1 $4 run $5: $((after - before)) ticks, $line"
}

run_servers() {
  if [ ! -x "$LOADGEN" ]; then
    log "no $LOADGEN: skipping the STUN server comparison"
    return 0
  fi
  local names=() ports=() pids=() p i k
  if command -v turnserver >/dev/null; then
    p=$(free_port)
    start_coturn "$p"
    if wait_ready "$p" "$SERVER_PID"; then
      names+=(coturn) ports+=("$p") pids+=("$SERVER_PID")
    else
      log "coturn did not answer on 127.0.0.1:$p: $(tail -n 3 "$TMP/coturn.log")"
    fi
  else
    log "no turnserver (Debian coturn): no reference figures"
  fi
  if [ -n "${WEFT_BENCH_WEFT_CMD:-}" ] || [ -x "$BUILD/tools/weft/weft" ]; then
    p=$(free_port)
    start_weft "$p"
    if wait_ready "$p" "$SERVER_PID"; then
      names+=(weft) ports+=("$p") pids+=("$SERVER_PID")
    else
      log "weft stun did not answer on 127.0.0.1:$p: $(tail -n 3 "$TMP/weft.log")"
    fi
  else
    log "no $BUILD/tools/weft/weft: no weft figures"
  fi
  if [ -x "$REFLECT" ]; then # the kernel floor: a bare recvmmsg/sendmmsg
    p=$(free_port)
    "${PIN_SERVER[@]}" "$REFLECT" --listen "127.0.0.1:$p" \
      >"$TMP/floor.log" 2>&1 &
    SERVER_PID=$!
    SERVER_PIDS+=("$SERVER_PID")
    if wait_ready "$p" "$SERVER_PID"; then
      names+=(floor) ports+=("$p") pids+=("$SERVER_PID")
    else
      log "bench_stun_reflect did not answer: $(tail -n 3 "$TMP/floor.log")"
    fi
  fi
  [ ${#names[@]} -gt 0 ] || return 0
  : >"$TMP/servers.tsv"
  local loadavg
  loadavg=$(cut -d' ' -f1 /proc/loadavg)
  log "load average before the runs: $loadavg (a busy machine skews the figures)"
  for k in "${!names[@]}"; do # warm-up, not measured
    load "${ports[$k]}" warmup 0.5 >/dev/null
  done
  for i in $(seq "$RUNS"); do
    for mode in rate max; do
      # Alternate which server goes first, so drift hits both alike.
      local order=("${!names[@]}")
      if [ $((i % 2)) -eq 0 ]; then
        mapfile -t order < <(printf '%s\n' "${order[@]}" | tac)
      fi
      for k in "${order[@]}"; do
        measure "${names[$k]}" "${ports[$k]}" "${pids[$k]}" "$mode" "$i"
      done
    done
  done
  "$PY" "$HERE/summarize.py" servers "$TMP/servers.tsv" \
    --clk-tck "$(getconf CLK_TCK)" --rate "$RATE" --duration "$DUR" \
    --coturn-version "$(turnserver --version 2>/dev/null | head -n 1)" \
    --loadavg "$loadavg"
}

# ---------------------------------------------------------------------------
# 3. SCTP and data channels (issue "DTLS, SCTP and data channels"), after
#    the rest, outside its time budget (about 1.5 minutes more):
#    bench_sctp_rtt   weft vs usrsctp through one simulated 1 Gbit/s link at
#                     0/20/50/100 ms RTT, 0 and 1% loss (virtual time: the
#                     figures do not depend on load), and the in-memory
#                     protocol cost; run once (its lines carry "runs").
#    bench_dc_udp     data channels over DTLS over real loopback UDP, two
#                     processes, 1 and 8 channels, against the AES-GCM and
#                     UDP limits of the machine.
#    bench_dc_idle  heap and RSS per idle association with one channel.
# ---------------------------------------------------------------------------
run_one() { # run_one NAME LIMIT_S RUNS
  local name=$1 limit=$2 n=$3 prog="$BUILD/bench/$1" out i
  if [ ! -x "$prog" ]; then
    log "no $prog: skipped"
    return 0
  fi
  out="$TMP/dc-$name"
  mkdir -p "$out"
  for i in $(seq "$n"); do
    log "$name run $i/$n"
    if ! timeout "$limit" "$prog" >"$out/run$i.json" 2>"$out/run$i.err"; then
      log "$name failed (run $i): $(tail -n 3 "$out/run$i.err")"
      rm -f "$out/run$i.json"
      break
    fi
  done
  if compgen -G "$out/run*.json" >/dev/null; then
    "$PY" "$HERE/summarize.py" programs "$out"/run*.json || true
  fi
}

run_datachannel() {
  local n=$RUNS
  [ "$n" -le 3 ] || n=3
  run_one bench_sctp_rtt 240 1
  run_one bench_dc_udp 60 "$n"
  run_one bench_dc_idle 60 "$n"
}

DEADLINE=$(($(date +%s) + BUDGET))
if [ "$ONLY" = datachannel ]; then
  run_datachannel
  exit 0
fi
if [ "$ONLY" != servers ]; then
  find_programs
  programs_first_pass
fi
if [ "$ONLY" != programs ]; then run_servers; fi
if [ "$ONLY" != servers ]; then
  programs_repeat
  programs_report
fi
if [ "$ONLY" != programs ] && [ "$ONLY" != servers ]; then run_datachannel; fi
