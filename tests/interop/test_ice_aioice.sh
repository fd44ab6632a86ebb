#!/bin/bash
# `weft ice` against aioice (Debian python3-aioice), an independent ICE
# agent, in both roles, over IPv4 and over IPv6. aioice never gathers on
# loopback, so the namespace gets a veth pair whose both ends stay inside it
# (10.99.0.1/.2, fd99::1/::2): no packet leaves the namespace. Over IPv4
# weft gathers on every interface but loopback there (its default), so this
# also tests interface enumeration (one veth end ignored with
# --ignore-iface, checked in its description); over IPv6 it binds fd99::1.
. "$(dirname "$0")/ice_lib.sh"

if ! "$PY" -c 'import aioice' 2>/dev/null; then
  echo "SKIP: python3-aioice is not installed (scripts/deps.sh)"
  exit 0
fi
make_netns
add_veth || {
  fail "cannot create the veth pair"
  finish
}
SCRIPT="$(dirname "$0")/ice_aioice.py"

# Both roles; hold the session 7 s so that consent checks run both ways
# (aioice checks every 4-6 s, weft every 4-6 s).
ICE_HOLD=7
ice_pair weft_controlling "$WEFT_BIN ice --controlling --ignore-iface weftvb" \
  "$PY $SCRIPT controlled"
ice_pair weft_controlled "$WEFT_BIN ice --controlled --ignore-iface weftva" \
  "$PY $SCRIPT controlling"
for side in weft_controlling_a:10.99.0.2:10.99.0.1 \
  weft_controlled_a:10.99.0.1:10.99.0.2; do
  IFS=: read -r f ignored kept <<<"$side"
  if head -n 1 "$ICE_TMP/$f.out" | grep -q " $kept " &&
    ! head -n 1 "$ICE_TMP/$f.out" | grep -q " $ignored "; then
    pass "$f: gathered on $kept, not on the ignored $ignored"
  else
    fail "$f: description $(head -n 1 "$ICE_TMP/$f.out")"
  fi
done
ICE_HOLD=0
ice_pair v6_weft_controlling "$WEFT_BIN ice --controlling --bind fd99::1" \
  "$PY $SCRIPT controlled v6"
ice_pair v6_weft_controlled "$WEFT_BIN ice --controlled --bind fd99::1" \
  "$PY $SCRIPT controlling v6"
finish
