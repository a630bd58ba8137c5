#!/usr/bin/env bash
# The whole test suite, as a newcomer and CI run it: `scripts/test.sh`.
# 1. Rust unit, integration and property tests of every crate (`cargo test --workspace`).
#    PostgreSQL tests run when PostgreSQL answers on 127.0.0.1:5432 (or TSUNAGU_TEST_POSTGRES);
#    without it they print a notice and are skipped.
# 2. Browser tests of the desk UI (tests/browser/run.sh): Debian's chromium driven by npm's
#    playwright-core, both installed when missing (never a downloaded browser).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo が見つかりません。Rust (https://rustup.rs) を入れてください / cargo not found" >&2
  exit 2
fi

echo "== cargo test --workspace"
cargo test --workspace 2>&1

echo "== browser tests (tests/browser/run.sh)"
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  tests/browser/run.sh
else
  echo "notice: node/npm not found; browser tests skipped (install Node.js to run them)"
fi
