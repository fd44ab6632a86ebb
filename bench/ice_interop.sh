#!/usr/bin/env bash
# ICE connection time between agent processes: weft and aioice in every role
# combination (bench/ice_interop.py), inside a network namespace this script
# creates with a veth pair whose both ends stay in it (10.99.0.1/.2): no
# packet leaves the namespace. Needs root, iproute2 and python3-aioice.
# Prints JSON lines on stdout; progress on stderr.
#
#   bash bench/ice_interop.sh [BUILD_DIR] [RUNS]     (build-bench, 5)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${1:-build-bench}
RUNS=${2:-${WEFT_BENCH_RUNS:-5}}
WEFT=$(cd "$BUILD" && pwd)/tools/weft/weft
PY=/usr/bin/python3
if ! "$PY" -c 'import aioice' 2>/dev/null; then
  echo "ice_interop: python3-aioice missing, skipped" >&2
  exit 0
fi
NS="weft-icebench-$$"
ip netns add "$NS"
trap 'ip netns del "$NS" 2>/dev/null' EXIT
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip link add weftva type veth peer name weftvb
ip netns exec "$NS" ip addr add 10.99.0.1/24 dev weftva
ip netns exec "$NS" ip addr add 10.99.0.2/24 dev weftvb
ip netns exec "$NS" ip link set weftva up
ip netns exec "$NS" ip link set weftvb up
timeout 600 ip netns exec "$NS" "$PY" "$HERE/ice_interop.py" "$WEFT" \
  "$HERE/../tests/interop/ice_aioice.py" "$RUNS"
