#!/bin/sh
# Load of the TAK endpoint: 1,000 simulated devices on loopback, each reporting its position at
# 1 Hz and reading everything the server sends (every other device's positions and every
# finding), and a burst of 500 markers in the demilitarised zone every 5 s, each becoming a
# finding sent to every device. The server (notional agreement, temporary SQLite data folder)
# runs in this process and the devices in a second one (`truce tak load`); both share the
# machine's CPUs, so the figures hold only for a machine that is otherwise idle: the command
# prints the load average, and this script the CPU pressure before and after.
#
#   bench/tak/run.sh [CLIENTS] [DURATION]
set -eu
cd "$(dirname "$0")/../.."
clients=${1:-1000}
duration=${2:-20s}
go build -o /tmp/truce-bench-tak ./cmd/truce
echo "CPU pressure before: $(head -1 /proc/pressure/cpu 2>/dev/null || echo n/a)"
status=0
/tmp/truce-bench-tak bench tak --clients "$clients" --duration "$duration" --burst 500 --burst-every 5s || status=$?
echo "CPU pressure after: $(head -1 /proc/pressure/cpu 2>/dev/null || echo n/a)"
exit $status
