#!/usr/bin/env bash
# The whole test suite, as a newcomer and CI run it: `scripts/test.sh`.
# - Rust unit, integration and property tests of every crate (`cargo test --workspace`).
# - PostgreSQL tests run when PostgreSQL answers on 127.0.0.1:5432 (or TSUNAGU_TEST_POSTGRES);
#   without it they print a notice and are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo が見つかりません。Rust (https://rustup.rs) を入れてください / cargo not found" >&2
  exit 2
fi

echo "== cargo test --workspace"
cargo test --workspace 2>&1
