#!/bin/sh
# Exchange throughput (issue 6, docs/performance.md "Exchange throughput"): the hub on SQLite and
# on PostgreSQL, each with the minimal-axum (SQLite; and PostgreSQL on the PostgreSQL run) and
# nginx WebDAV baselines in the same run.
# Usage: scripts/bench-exchange.sh [extra tsunagu-bench exchange options]
# PostgreSQL: TSUNAGU_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432/postgres); the
# bench creates a fresh database there and drops it at the end. nginx: Debian's package, installed
# here when missing and run as root; without it that baseline is skipped with a notice.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x /usr/sbin/nginx ] && [ "$(id -u)" = 0 ]; then
  # policy-rc.d keeps the package from starting its own nginx on port 80: the bench starts one of
  # its own on a free loopback port and stops it.
  made_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y nginx \
    || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nginx; } \
    || echo "notice: nginx could not be installed; its baseline will be skipped"
  if [ -n "$made_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
fi
cargo build --release -p tsunagu-bench
PG="${TSUNAGU_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
echo "== SQLite"
target/release/tsunagu-bench exchange --offices 20 --units 20000 --size-kb 20 --duration-secs 20 --concurrency 8 "$@"
echo "== PostgreSQL"
target/release/tsunagu-bench exchange --offices 20 --units 20000 --size-kb 20 --duration-secs 20 --concurrency 32 --hub-pool 16 --database "$PG" "$@"
