#!/bin/sh
# Exchange throughput (issue 6, docs/performance.md "Exchange throughput"): the hub on SQLite and
# on PostgreSQL, each with the minimal-axum (SQLite; and PostgreSQL on the PostgreSQL run) and
# nginx WebDAV baselines in the same run.
# Usage: scripts/bench-exchange.sh [extra tsunagu-bench exchange options]
# PostgreSQL: TSUNAGU_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432/postgres); the
# bench creates a fresh database there and drops it at the end. nginx: Debian's package
# (apt-get install -y nginx); without it that baseline is skipped with a notice.
set -eu
cd "$(dirname "$0")/.."
cargo build --release -p tsunagu-bench
PG="${TSUNAGU_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
echo "== SQLite"
target/release/tsunagu-bench exchange --offices 20 --units 20000 --size-kb 20 --duration-secs 20 --concurrency 8 "$@"
echo "== PostgreSQL"
target/release/tsunagu-bench exchange --offices 20 --units 20000 --size-kb 20 --duration-secs 20 --concurrency 32 --hub-pool 16 --database "$PG" "$@"
