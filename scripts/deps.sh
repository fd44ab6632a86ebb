#!/usr/bin/env bash
# Installs the Debian packages weft needs to build and test, and only those
# that are missing. Without root (or without apt-get) it prints the exact
# command to run instead and fails.
#
#   scripts/deps.sh            build + test packages
#   scripts/deps.sh --build    build packages only (for `make run`)
set -euo pipefail

build_pkgs=(cmake ninja-build pkg-config gcc make libssl-dev libuv1-dev
  libwebsockets-dev libwebsockets-evlib-uv libcjson-dev)
test_pkgs=(clang libclang-rt-14-dev libcmocka-dev coturn iproute2 python3 gnutls-bin python3-aioice libusrsctp-dev)

pkgs=("${build_pkgs[@]}")
if [ "${1:-}" != "--build" ]; then
  pkgs+=("${test_pkgs[@]}")
fi

# Node.js and npm run the signaling tests (their npm packages come from
# scripts/npm-deps.sh at test time); a Node.js already installed is kept.
if [ "${1:-}" != "--build" ] && ! command -v npm >/dev/null 2>&1; then
  pkgs+=(nodejs npm)
fi

missing=()
for p in "${pkgs[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "weft: missing packages: ${missing[*]}" >&2
  echo "weft: run as root: apt-get update && $cmd" >&2
  exit 1
fi
echo "weft: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
