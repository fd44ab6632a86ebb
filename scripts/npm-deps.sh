#!/usr/bin/env bash
# Installs the npm packages the signaling tests use into DIR (a cache under
# the build directory), once: `ws` (a WebSocket client) and, for the side by
# side comparison, `peer` (the reference PeerJS server). Versions pinned.
#
#   scripts/npm-deps.sh DIR        prints nothing; exit 0 when installed
set -euo pipefail
DIR=${1:?usage: npm-deps.sh DIR}
PKGS=(ws@8.18.0 peer@1.0.2)
mkdir -p "$DIR"
ok=1
for p in "${PKGS[@]}"; do
  [ -f "$DIR/node_modules/${p%@*}/package.json" ] || ok=0
done
[ $ok = 1 ] && exit 0
command -v npm >/dev/null || { echo "npm-deps: no npm (install nodejs npm)" >&2; exit 1; }
# a lock so that parallel tests install once
exec 9>"$DIR/.lock"
flock 9
ok=1
for p in "${PKGS[@]}"; do
  [ -f "$DIR/node_modules/${p%@*}/package.json" ] || ok=0
done
[ $ok = 1 ] && exit 0 # installed by another test meanwhile
cd "$DIR"
[ -f package.json ] || echo '{"name":"weft-test-deps","private":true}' >package.json
npm install --no-audit --no-fund --silent --prefix "$DIR" "${PKGS[@]}" >&2
