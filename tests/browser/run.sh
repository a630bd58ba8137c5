#!/usr/bin/env bash
# Browser tests of the desk UI: builds the binary, installs what is missing (Debian's chromium,
# npm's playwright-core; never a downloaded browser), starts a hub and two desks on temporary
# folders, and runs the tests with node's built-in runner (desk.test.mjs, then setup.test.mjs,
# which starts a third desk on an empty folder), then the hub's municipal dashboard
# (dashboard.sh: dashboard.test.mjs). Screenshots go to screenshots/.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$HERE"

(cd "$ROOT" && cargo build -q -p tsunagu)
BIN="$ROOT/target/debug/tsunagu"

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && { apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; }; then
    echo "chromium installed"
  else
    echo "notice: /usr/bin/chromium is missing and cannot be installed here (apt-get install chromium as root); browser tests skipped"
    exit 0
  fi
fi
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund || npm install --no-audit --no-fund
fi

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export TSUNAGU_PASSPHRASE="browser-test passphrase"
# Test-only: a cheap scrypt so the debug binary unlocks keys in milliseconds.
export TSUNAGU_KEY_WORK_FACTOR=4
export TSUNAGU_DESK_QUIET_SECONDS=1
export TSUNAGU_DESK_SYNC_SECONDS=1
export TSUNAGU_RETENTION_INTERVAL_MINUTES=0
export RUST_LOG=warn
unset TSUNAGU_OFFICE_DIR TSUNAGU_DATA_DIR TSUNAGU_DATABASE_URL TSUNAGU_HUB_CONFIG TSUNAGU_HUB_LISTEN || true

# A synthetic month: a 居宅 (43), a 訪問介護 (11) and a デイサービス (15) that is not on the hub.
"$BIN" sample --offices 3 --users 3 --month 202504 --seed 11 --out "$WORK/sample" >/dev/null
plan="$(cd "$WORK/sample" && ls UPPLAN_202504_*_43_*_11_*.CSV | head -1)"
CM="$(echo "$plan" | cut -d_ -f3)"
HV="$(echo "$plan" | cut -d_ -f5)"

# Waits for "PREFIX http://…" on a process's stdout file and prints the URL.
url_from() {
  local file="$1" prefix="$2"
  for _ in $(seq 1 200); do
    if grep -q "$prefix" "$file" 2>/dev/null; then
      grep "$prefix" "$file" | head -1 | sed -e "s/^.*$prefix *//"
      return 0
    fi
    sleep 0.1
  done
  echo "timed out waiting for '$prefix' in $file" >&2
  cat "$file" >&2
  return 1
}

"$BIN" hub --data-dir "$WORK/hub" --listen 127.0.0.1:0 >"$WORK/hub.out" 2>"$WORK/hub.err" &
PIDS+=($!)
HUB="$(url_from "$WORK/hub.out" 'ハブを起動しました:')"

invite() {
  "$BIN" hub --data-dir "$WORK/hub" invite --office "$1" --kind "$2" --name "$3" --municipality 312029 2>/dev/null
}
"$BIN" office init --dir "$WORK/a" --hub "$HUB" --invite "$(invite "$CM" 43 'テスト居宅介護支援事業所')" --name 'A の PC' >/dev/null
"$BIN" office init --dir "$WORK/b" --hub "$HUB" --invite "$(invite "$HV" 11 'テスト訪問介護')" --name 'B の PC' >/dev/null

"$BIN" desk --dir "$WORK/a" --port 0 >"$WORK/a.out" 2>"$WORK/a.err" &
PIDS+=($!)
"$BIN" desk --dir "$WORK/b" --port 0 >"$WORK/b.out" 2>"$WORK/b.err" &
PIDS+=($!)

export DESK_BIN="$BIN" SAMPLE_DIR="$WORK/sample" WORK_DIR="$WORK" HUB_URL="$HUB" CM HV
export DESK_A_URL="$(url_from "$WORK/a.out" 'デスクを起動しました:')"
export DESK_B_URL="$(url_from "$WORK/b.out" 'デスクを起動しました:')"
export A_OUTBOX="$WORK/a/outbox" B_IMPORT="$WORK/b/import"
mkdir -p screenshots

started=$(date +%s)
node --test --test-concurrency=1 desk.test.mjs
# A third office joins through the desk's setup page (after desk.test.mjs, which needs it absent).
node --test --test-concurrency=1 setup.test.mjs

# --- Municipal dashboard (hub web pages) -----------------------------------------------------
# Its own hub, accounts and synthetic city, started and stopped by dashboard.sh.
"$HERE/dashboard.sh" "$BIN"
echo "browser tests took $(( $(date +%s) - started )) s"
