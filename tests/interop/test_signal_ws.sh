#!/bin/bash
# `weft signal` over real WebSockets on 127.0.0.1, driven by a Node.js
# client (npm `ws`): the PeerJS protocol end to end, the same transcript as
# the reference PeerJS server (npm `peer`) for the same sequence, weft's
# ERROR replies, 1000 connections with junk and oversized frames, static
# files without directory traversal.
. "$(dirname "$0")/stun_lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${WEFT_SOURCE_DIR:-$HERE/../..}
NPM_DIR=${WEFT_BUILD_DIR:-/tmp}/npm-deps
if ! command -v node >/dev/null; then
  echo "SKIP: no node"; exit 0
fi
if ! bash "$SRC/scripts/npm-deps.sh" "$NPM_DIR"; then
  fail "npm packages (ws, peer) could not be installed into $NPM_DIR"
  finish
fi
export NODE_PATH=$NPM_DIR/node_modules
CLIENT=$HERE/signal_client.js
EXPIRE=1000 ALIVE=2000

# start_weft ARGS... -> PORT (from "listening http://127.0.0.1:PORT/")
start_weft() {
  "$WEFT_BIN" signal -l 127.0.0.1:0 --stats "$@" >"$STUN_TMP/w.out" \
    2>"$STUN_TMP/w.err" &
  SRV=$!
  STUN_PIDS+=("$SRV")
  PORT=""
  for _ in $(seq 100); do
    PORT=$(sed -n 's/^listening http:\/\/127\.0\.0\.1:\([0-9]*\)\/$/\1/p' \
      "$STUN_TMP/w.out")
    [ -n "$PORT" ] && return 0
    kill -0 $SRV 2>/dev/null || break
    sleep 0.05
  done
  fail "weft signal did not start: $(cat "$STUN_TMP/w.out" "$STUN_TMP/w.err")"
  finish
}

stop_weft() {
  kill -INT $SRV
  for _ in $(seq 50); do kill -0 $SRV 2>/dev/null || break; sleep 0.1; done
  wait $SRV
  RC=$?
}

# 1. the protocol, and its transcript
start_weft --expire-timeout $EXPIRE --alive-timeout $ALIVE
if timeout 60 node "$CLIENT" protocol "127.0.0.1:$PORT" $EXPIRE $ALIVE \
  >"$STUN_TMP/t.weft" 2>"$STUN_TMP/c.err"; then
  pass "PeerJS protocol against weft signal ($(wc -l <"$STUN_TMP/t.weft") messages)"
else
  fail "protocol: $(cat "$STUN_TMP/c.err")"
fi
if timeout 60 node "$CLIENT" extensions "127.0.0.1:$PORT" 2>"$STUN_TMP/c.err"; then
  pass "ERROR for bad JSON, unknown types, oversized messages"
else
  fail "extensions: $(cat "$STUN_TMP/c.err")"
fi
stop_weft
[ $RC = 0 ] && grep -q '^signal: sessions 0 ' "$STUN_TMP/w.err" &&
  pass "stopped on SIGINT: $(cat "$STUN_TMP/w.err")" ||
  fail "stop: rc=$RC $(cat "$STUN_TMP/w.err")"

# 2. the reference PeerJS server, same sequence, same transcript
cat >"$STUN_TMP/peer.js" <<'JS'
const { PeerServer } = require("peer");
const [expire, alive] = process.argv.slice(2).map(Number);
PeerServer({ port: 0, host: "127.0.0.1", expire_timeout: expire,
  alive_timeout: alive }, (s) => console.log("listening " + s.address().port));
JS
node "$STUN_TMP/peer.js" $EXPIRE $ALIVE >"$STUN_TMP/p.out" 2>&1 &
PEER=$!
STUN_PIDS+=("$PEER")
PPORT=""
for _ in $(seq 100); do
  PPORT=$(awk '/^listening/{print $2}' "$STUN_TMP/p.out")
  [ -n "$PPORT" ] && break
  sleep 0.1
done
if [ -z "$PPORT" ]; then
  fail "the reference PeerJS server did not start: $(cat "$STUN_TMP/p.out")"
elif timeout 60 node "$CLIENT" protocol "127.0.0.1:$PPORT" $EXPIRE $ALIVE \
  >"$STUN_TMP/t.peer" 2>"$STUN_TMP/c.err"; then
  if diff -u "$STUN_TMP/t.peer" "$STUN_TMP/t.weft" >"$STUN_TMP/diff"; then
    pass "same transcript as the PeerJS server ($(wc -l <"$STUN_TMP/t.peer") lines)"
  else
    fail "transcripts differ (peer vs weft): $(cat "$STUN_TMP/diff")"
  fi
else
  fail "the client's checks against the PeerJS server: $(cat "$STUN_TMP/c.err")"
fi
kill $PEER 2>/dev/null

# 3. 1000 connections, junk, oversized frames (ulimit: 1000 sockets each side)
ulimit -n 8192 2>/dev/null
start_weft --max-per-addr 0 --max-message 65536
if timeout 120 node "$CLIENT" hostile "127.0.0.1:$PORT" 1000 2>"$STUN_TMP/c.err"; then
  pass "1000 connections, junk and oversized frames: $(tail -1 "$STUN_TMP/c.err")"
else
  fail "hostile: $(cat "$STUN_TMP/c.err")"
fi
stop_weft
[ $RC = 0 ] && pass "alive after the storm: $(cat "$STUN_TMP/w.err")" ||
  fail "after the storm: rc=$RC $(cat "$STUN_TMP/w.err")"

# 4. static files: index.html at /, content types, no traversal
mkdir -p "$STUN_TMP/web/sub"
echo '<h1>weft</h1>' >"$STUN_TMP/web/index.html"
echo 'let x = 1;' >"$STUN_TMP/web/sub/app.js"
echo 'secret' >"$STUN_TMP/secret.txt"
start_weft --web "$STUN_TMP/web"
"$PY" - "$PORT" >"$STUN_TMP/http.out" 2>&1 <<'PYEOF'
import http.client, socket, sys
port = int(sys.argv[1])
def get(path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", path)
    r = c.getresponse()
    return r.status, r.getheader("content-type"), r.read()
def raw(path):  # the path exactly as written, not normalised by a client
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        d = s.recv(65536)
        if not d: break
        data += d
    return data
ok = True
def want(cond, what):
    global ok
    print(("ok " if cond else "BAD ") + what)
    ok = ok and cond
s, t, b = get("/")
want(s == 200 and t.startswith("text/html") and b"weft" in b, f"/ {s} {t}")
s, t, b = get("/sub/app.js")
want(s == 200 and t.startswith("text/javascript"), f"/sub/app.js {s} {t}")
s, t, b = get("/sub/")
want(s == 404, f"/sub/ without index.html {s}")
for p in [b"/../secret.txt", b"/sub/../../secret.txt", b"/%2e%2e/secret.txt",
          b"/sub/%2e%2e/%2e%2e/secret.txt", b"/..%2fsecret.txt", b"//etc/passwd"]:
    d = raw(p)
    want(b"secret" not in d.split(b"\r\n\r\n", 1)[-1] and b"root:" not in d,
         f"{p.decode()} -> {d.split(b' ', 2)[1].decode() if d else 'closed'}")
sys.exit(0 if ok else 1)
PYEOF
[ $? = 0 ] && pass "static files: $(tr '\n' ';' <"$STUN_TMP/http.out")" ||
  fail "static files: $(cat "$STUN_TMP/http.out")"
stop_weft

finish
