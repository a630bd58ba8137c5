#!/bin/sh
# Connection limits under a flood (issue 6, item 4; docs/reliability.md "Connection limits"):
# the release hub on a temporary SQLite database, 5,000 idle connections (reopened as soon as the
# hub closes them) and then a mix of idle, slowloris, trickling-upload and huge-header clients,
# while honest clients ask GET /healthz every 100 ms. Prints honest latency and the hub's
# descriptors, threads and memory (VmHWM). Loopback only; needs python3 (3.11+).
# Exit status 1 if any honest request failed in any run (every run is still made).
# Usage: scripts/connection-flood.sh [extra scripts/connection-flood.py options]
set -eu
cd "$(dirname "$0")/.."
cargo build --release -p tsunagu
# The flood client holds thousands of sockets; the hub raises its own limit at start.
ulimit -n "$(ulimit -Hn)"
status=0
echo "== 5,000 idle connections, default cap (2,048), 30 s"
python3 scripts/connection-flood.py --idle 5000 --seconds 30 "$@" || status=1
echo "== 5,000 idle connections, cap raised to 10,000 (the memory of 5,000 open connections)"
python3 scripts/connection-flood.py --idle 5000 --seconds 30 --max-connections 10000 "$@" || status=1
echo "== mixed: 3,000 idle, 1,000 slowloris, 500 trickling uploads, 100 huge headers, default cap"
python3 scripts/connection-flood.py --idle 3000 --slowloris 1000 --trickle 500 --huge 100 --seconds 30 "$@" || status=1
exit "$status"
