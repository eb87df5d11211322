#!/bin/sh
# Compares point-in-polygon speed of package geo with PostGIS's ST_Covers on the same real
# polygons (Ukraine, the Black Sea, Russia west of 50°E) and the same 4,096 points, measured
# in the same run, and prints the ratio for each polygon.
#
# Needs TRUCE_TEST_POSTGRES, a postgres:// URL of a database with the postgis extension.
# PostGIS's time is its own execution time (EXPLAIN ANALYZE), without client or network.
#
#   TRUCE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/truce_test?sslmode=disable \
#       sh bench/postgis/run.sh [count]
set -eu
: "${TRUCE_TEST_POSTGRES:?set TRUCE_TEST_POSTGRES to a PostGIS database URL}"
count=${1:-6}
cd "$(dirname "$0")/../.."
# Each engine op is one point; each PostGIS op is a query over all 4,096 points.
out=$(go test ./geo -run '^$' -bench '^BenchmarkContains$' -benchtime 200000x -count "$count"
	go test ./geo -run '^$' -bench '^BenchmarkPostGISContains$' -benchtime 10x -count "$count")
echo "$out" | grep -E '^Benchmark'
# For each polygon: the median of the engine's ns/op and of PostGIS's ns/point.
echo "$out" | awk '
	function median(list,   n, a, i, j, t) {
		n = split(list, a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function polygon(name,   n) { split(name, n, "/"); sub(/-[0-9]+$/, "", n[2]); return n[2] }
	/^BenchmarkContains\// { k = polygon($1); ours[k] = ours[k] " " $3 }
	/^BenchmarkPostGISContains\// {
		k = polygon($1)
		for (i = 2; i < NF; i++) if ($(i + 1) == "ns/point") pg[k] = pg[k] " " $i
	}
	END {
		for (k in ours) if (k in pg) {
			o = median(ours[k]); p = median(pg[k])
			printf "%-10s engine %8.1f ns/point   PostGIS %10.1f ns/point   PostGIS/engine %6.1fx\n", k, o, p, p / o
		}
	}'
