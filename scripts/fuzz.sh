#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for SECONDS each, starting from a
# copy of its seed corpus; a finding is saved under fuzz/artifacts/ and fails.
set -euo pipefail
build=${1:?build dir}
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin" | sed 's/^fuzz_//')
  work=$(mktemp -d)
  cp -r "$root/fuzz/corpus/$name/." "$work/" 2>/dev/null || true
  mkdir -p "$root/fuzz/artifacts"
  echo "fuzz: $name for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
      -artifact_prefix="$root/fuzz/artifacts/$name-" "$work" 2>"$work.log"; then
    tail -n 40 "$work.log"
    status=1
  else
    grep -E 'stat::number_of_executed_units|stat::peak_rss' "$work.log" || true
  fi
  rm -rf "$work" "$work.log"
done
exit $status
