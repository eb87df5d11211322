#!/usr/bin/env bash
# Decodes one million AIS sentences with `truce ais decode` and with gpsd's `gpsdecode -j`
# (Debian package gpsd-clients) in the same run, each pinned to one core, and prints both
# times and the ratio. The input repeats the sentences of gpsd's own AIS regression corpus
# (ais/testdata/gpsd), so both decoders see real traffic with every common message type.
#
# Usage: bench/ais/run.sh            (N=1000000 sentences, best of RUNS=3 runs each)
#        N=200000 RUNS=1 bench/ais/run.sh
# Exits 1 if truce is not at least MIN_RATIO (5) times faster than gpsdecode.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-1000000}
RUNS=${RUNS:-3}
MIN_RATIO=${MIN_RATIO:-5}
CORE=${CORE:-0}

if ! command -v gpsdecode >/dev/null 2>&1; then
	echo "gpsdecode not found; installing gpsd-clients" >&2
	apt-get install -y gpsd-clients >/dev/null || { apt-get update >/dev/null && apt-get install -y gpsd-clients >/dev/null; }
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/truce" ./cmd/truce

grep -h '^!' ais/testdata/gpsd/sample.aivdm ais/testdata/gpsd/daemon/*.log > "$work/corpus.nmea"
awk -v n="$N" '{ line[NR] = $0 } END { for (i = 0; i < n; i++) print line[i % NR + 1] }' \
	"$work/corpus.nmea" > "$work/input.nmea"
echo "input: $(wc -l < "$work/input.nmea") sentences ($(du -h "$work/input.nmea" | cut -f1)), repeating $(wc -l < "$work/corpus.nmea") corpus sentences"

# best NAME CMD... runs CMD RUNS times with the input on stdin, JSON to a file, and prints
# the best wall time in seconds.
best() {
	local name=$1 out=$work/$1.json best= t0 t1 t
	shift
	for _ in $(seq "$RUNS"); do
		t0=$(date +%s%N)
		taskset -c "$CORE" "$@" < "$work/input.nmea" > "$out" 2> "$work/$name.err" || true
		t1=$(date +%s%N)
		t=$(( t1 - t0 ))
		if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
	done
	echo "$name: $(awk -v t="$best" 'BEGIN { printf "%.3f", t / 1e9 }') s, $(wc -l < "$out") JSON objects" >&2
	echo "$best"
}

truce_ns=$(best truce "$work/truce" ais decode)
gpsd_ns=$(best gpsdecode gpsdecode -j)
ratio=$(awk -v a="$gpsd_ns" -v b="$truce_ns" 'BEGIN { printf "%.1f", a / b }')
awk -v n="$N" -v t="$truce_ns" -v g="$gpsd_ns" 'BEGIN {
	printf "truce ais decode: %.0f ns/sentence, %.2f M sentences/s\n", t / n, n / t * 1e3
	printf "gpsdecode -j:     %.0f ns/sentence, %.2f M sentences/s\n", g / n, n / g * 1e3
}'
echo "truce is ${ratio}x faster than gpsdecode (gpsd $(gpsdecode -V 2>&1 | awk '{print $NF}'), core $CORE, best of $RUNS)"
if awk -v r="$ratio" -v m="$MIN_RATIO" 'BEGIN { exit !(r < m) }'; then
	echo "FAIL: below the required ${MIN_RATIO}x" >&2
	exit 1
fi
