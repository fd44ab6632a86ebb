#!/bin/bash
# The weft program's command line: help and version, and for every bad
# input exactly one clear line on stderr and a non-zero exit status.
. "$(dirname "$0")/stun_lib.sh"

# expect_error WANT_RC PATTERN CMD...: exit WANT_RC, nothing on stdout, one
# line on stderr matching PATTERN (extended regex).
expect_error() {
  local want=$1 pat=$2
  shift 2
  run_bounded 15 "$@"
  local lines
  lines=$(printf '%s' "$ERR" | grep -c '')
  if [ "$RC" = "$want" ] && [ -z "$OUT" ] && [ "$lines" = 1 ] &&
    grep -Eq -- "$pat" <<<"$ERR"; then
    pass "${*:2}: $ERR"
  else
    fail "${*:2}: rc=$RC (want $want) stdout='$OUT' stderr='$ERR' (want /$pat/)"
  fi
}

# expect_ok PATTERN CMD...: exit 0 and stdout matching PATTERN.
expect_ok() {
  local pat=$1
  shift
  run_bounded 15 "$@"
  if [ "$RC" = 0 ] && grep -Eq -- "$pat" <<<"$OUT"; then
    pass "${*:2}"
  else
    fail "${*:2}: rc=$RC stdout='$OUT' stderr='$ERR' (want /$pat/)"
  fi
}

W=$WEFT_BIN
expect_ok '^usage: weft <command>' "$W" --help
expect_ok '^weft [0-9]+\.[0-9]+\.[0-9]+' "$W" --version
expect_ok '^weft [0-9]+\.[0-9]+\.[0-9]+' "$W" version
for c in serve signal stun stun-client version; do
  expect_ok "^usage: weft $c" "$W" "$c" --help
  expect_ok "^usage: weft $c" "$W" help "$c"
done

expect_error 2 "^weft: unknown command 'bogus'" "$W" bogus
expect_error 2 "^weft: unknown option '--bogus'" "$W" --bogus
expect_error 2 "^weft: unknown command 'bogus'" "$W" help bogus
expect_error 2 "^weft stun: unknown option '--bogus' \(see 'weft stun --help'\)$" \
  "$W" stun --bogus
expect_error 2 "^weft stun-client: unknown option '--bogus'" \
  "$W" stun-client 127.0.0.1 --bogus
expect_error 2 "^weft serve: unknown option '--bogus'" "$W" serve --bogus
expect_error 2 "^weft signal: unknown option '--bogus' \(see 'weft signal --help'\)$" \
  "$W" signal --bogus
expect_error 2 "^weft signal: --listen '1.2.3': not a valid IP address" \
  "$W" signal --listen 1.2.3
expect_error 2 "^weft signal: --rate 'x': expected a number" "$W" signal --rate x
expect_error 2 "^weft signal: --path 'x': must start with '/'" "$W" signal --path x
expect_error 2 "^weft stun: option '--listen' needs a value" "$W" stun --listen
expect_error 2 "^weft stun: --listen 'x': not a valid IP address and port" \
  "$W" stun --listen x
expect_error 2 "^weft stun: --listen '127.0.0.1:abc': not a valid IP address and port" \
  "$W" stun --listen 127.0.0.1:abc
expect_error 2 "^weft stun: --listen '127.0.0.1:70000': port out of range" \
  "$W" stun --listen 127.0.0.1:70000
expect_error 2 "^weft stun: --listen '\[::1\]:99999': port out of range" \
  "$W" stun --listen '[::1]:99999'
expect_error 2 "^weft stun: --log-level 'loud'" "$W" stun --log-level loud
expect_error 2 "^weft stun: unexpected argument 'extra'" "$W" stun extra
expect_error 2 "^weft serve: --stun-listen '1.2.3': not a valid IP address" \
  "$W" serve --stun-listen 1.2.3
expect_error 2 "^weft stun-client: missing the server" "$W" stun-client
expect_error 2 "^weft stun-client: '127.0.0.1:0': port out of range" \
  "$W" stun-client 127.0.0.1:0
expect_error 2 "^weft stun-client: '127.0.0.1:65536': port out of range" \
  "$W" stun-client 127.0.0.1:65536
expect_error 2 "^weft stun-client: --timeout-ms 'soon'" \
  "$W" stun-client 127.0.0.1 --timeout-ms soon
expect_error 2 "^weft stun-client: --local 'here'" \
  "$W" stun-client 127.0.0.1 --local here

# A port something else holds: UDP and TCP.
P=$(free_port) || exit 1
"$PY" -c '
import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", int(sys.argv[1])))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(("127.0.0.1", int(sys.argv[2]))); t.listen()
print("bound", flush=True)
time.sleep(60)' "$P" "$((P + 1))" >"$STUN_TMP/holder.out" 2>&1 &
STUN_PIDS+=("$!")
for _ in $(seq 200); do
  grep -q bound "$STUN_TMP/holder.out" && break
  sleep 0.05
done
grep -q bound "$STUN_TMP/holder.out" || fail "could not hold ports: $(cat "$STUN_TMP/holder.out")"
expect_error 1 "^weft stun: cannot listen on udp 127\.0\.0\.1:$P: address already in use$" \
  "$W" stun --listen "127.0.0.1:$P"
expect_error 1 "^weft stun: cannot listen on tcp 127\.0\.0\.1:$((P + 1)): address already in use$" \
  "$W" stun --listen "127.0.0.1:$((P + 1))" --no-udp
expect_error 1 "^weft serve: stun: cannot listen on udp 127\.0\.0\.1:$P: address already in use$" \
  "$W" serve --stun-listen "127.0.0.1:$P"
# An address this host does not have (never sent to: bind fails first).
expect_error 1 "^weft stun: cannot listen on udp 192\.0\.2\.1:$P: address not available" \
  "$W" stun --listen "192.0.2.1:$P"

# A privileged port as an unprivileged user.
LOW=
for _ in $(seq 50); do
  c=$((600 + RANDOM % 400))
  if [ -z "$(ss -Hanu "sport = :$c")" ]; then
    LOW=$c
    break
  fi
done
START=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 0)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ -n "$LOW" ] &&
  [ "$START" -gt "$LOW" ] &&
  setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$W"; then
  expect_error 1 "^weft stun: cannot listen on udp 127\.0\.0\.1:$LOW: permission denied$" \
    setpriv --reuid=65534 --regid=65534 --clear-groups "$W" stun \
    --listen "127.0.0.1:$LOW"
else
  echo "SKIP: permission denied (needs root, setpriv and a low port)"
fi

# Nothing listens: UDP times out after --timeout-ms, TCP is refused.
Q=$(free_port) || exit 1
START=$(date +%s%N)
expect_error 1 "^weft stun-client: timeout: no response from udp 127\.0\.0\.1:$Q within 700 ms \([0-9]+ requests? sent\)$" \
  "$W" stun-client "127.0.0.1:$Q" --timeout-ms 700
MS=$((($(date +%s%N) - START) / 1000000))
if [ $MS -ge 650 ] && [ $MS -lt 10000 ]; then
  pass "timeout took ${MS} ms"
else
  fail "timeout took ${MS} ms (want ~700)"
fi
expect_error 1 "^weft stun-client: cannot connect to 127\.0\.0\.1:$Q: connection refused$" \
  "$W" stun-client "127.0.0.1:$Q" --tcp --timeout-ms 2000
# An unresolvable name, in a network namespace with no network at all so
# that no DNS query leaves the host.
if unshare -n true 2>/dev/null; then
  expect_error 1 "^weft stun-client: cannot resolve 'no-such-host\.invalid'" \
    unshare -n "$W" stun-client no-such-host.invalid --timeout-ms 3000
else
  echo "SKIP: unresolvable host (unshare -n not available)"
fi
finish
