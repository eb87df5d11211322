#!/usr/bin/env bash
# Parses the same Cursor-on-Target events with @tak-ps/node-cot (version 12, installed in
# bench/node) and with the truce decoder in one run, each pinned to one core, and prints the
# events per second of each and the ratio. The events are the node-cot test suite
# (cot/testdata/node-cot), less the few node-cot itself refuses, parsed N times over.
# Last, `truce cot decode` (the whole command, JSON out) reads the same events N times over.
#
# Usage: bench/cot/run.sh            (N=1000 passes, best of RUNS=3 for each decoder)
#        N=500 RUNS=1 bench/cot/run.sh
# Exits 1 if truce is not at least MIN_RATIO (10) times faster than node-cot.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-1000}
RUNS=${RUNS:-3}
MIN_RATIO=${MIN_RATIO:-10}
CORE=${CORE:-0}

if [ ! -d bench/node/node_modules/@tak-ps/node-cot ]; then
	echo "installing bench/node (npm install)" >&2
	npm install --prefix bench/node --no-audit --no-fund >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/cot-parse" ./bench/cot
go build -o "$work/truce" ./cmd/truce

pin() { if command -v taskset >/dev/null 2>&1; then taskset -c "$CORE" "$@"; else "$@"; fi; }

echo "== node-cot"
pin node bench/cot/node-cot-parse.mjs cot/testdata/node-cot "$N" "$work/events.xml" "$RUNS" | tee "$work/node.out"
echo "== truce"
pin "$work/cot-parse" "$work/events.xml" "$N" "$RUNS" | tee "$work/truce.out"

node_rate=$(awk '/^node-cot events\/s:/ { print $3 }' "$work/node.out")
truce_rate=$(awk '/^truce events\/s:/ { print $3 }' "$work/truce.out")

echo "== truce cot decode (command, JSON out)"
for _ in $(seq "$N"); do cat "$work/events.xml"; done > "$work/input.xml"
events=$(( N * $(grep -c '<event' "$work/events.xml") ))
best=
for _ in $(seq "$RUNS"); do
	t0=$(date +%s%N)
	pin "$work/truce" cot decode "$work/input.xml" > "$work/out.jsonl"
	t1=$(date +%s%N)
	if [ -z "$best" ] || [ $(( t1 - t0 )) -lt "$best" ]; then best=$(( t1 - t0 )); fi
done
awk -v n="$events" -v t="$best" -v out="$(wc -l < "$work/out.jsonl")" -v runs="$RUNS" \
	'BEGIN { printf "truce cot decode: %d events (%d JSON lines) in %.3f s (best of %d), %.0f events/s\n", n, out, t / 1e9, runs, n / t * 1e9 }'

ratio=$(awk -v a="$truce_rate" -v b="$node_rate" 'BEGIN { printf "%.1f", a / b }')
echo "== truce is ${ratio}x faster than node-cot at parsing (core $CORE, N=$N, best of $RUNS)"
if awk -v r="$ratio" -v m="$MIN_RATIO" 'BEGIN { exit !(r < m) }'; then
	echo "FAIL: below the required ${MIN_RATIO}x" >&2
	exit 1
fi
