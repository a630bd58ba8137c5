#!/usr/bin/env bash
# Browser test of the hub's municipal dashboard (dashboard.test.mjs), with its own hub and data
# so it does not depend on the desk scenarios: a hub on a temporary folder, the synthetic city
# (`tsunagu insight sample`, つなぐ市), two municipality accounts made with the CLI — A for
# つなぐ市 (with a second user) and B for 312029 — and an operator; one of A's offices joined
# with a desk device, one of B's invited.
# Run by run.sh after the desk tests, or alone: ./dashboard.sh [path/to/tsunagu].
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$HERE"
BIN="${1:-}"
if [ -z "$BIN" ]; then
  (cd "$ROOT" && cargo build -q -p tsunagu)
  BIN="$ROOT/target/debug/tsunagu"
fi
if [ ! -x /usr/bin/chromium ] || [ ! -d node_modules/playwright-core ]; then
  echo "notice: chromium or playwright-core missing (run.sh installs them); dashboard browser test skipped"
  exit 0
fi

DWORK="$(mktemp -d)"
DPIDS=()
dashboard_cleanup() {
  for p in "${DPIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DWORK"
}
trap dashboard_cleanup EXIT

export TSUNAGU_PASSPHRASE="browser-test passphrase"
export TSUNAGU_KEY_WORK_FACTOR=4
export TSUNAGU_RETENTION_INTERVAL_MINUTES=0
export RUST_LOG=warn
unset TSUNAGU_OFFICE_DIR TSUNAGU_DATA_DIR TSUNAGU_DATABASE_URL TSUNAGU_HUB_CONFIG TSUNAGU_HUB_LISTEN || true

CITY_CODE="$("$BIN" insight sample --out "$DWORK/city" | sed -n 's/.*地方公共団体コード \([0-9]*\).*/\1/p')"
export DASH_PASSWORD="dashboard-test-password"
"$BIN" hub --data-dir "$DWORK/hub" municipality add --code "$CITY_CODE" --name つなぐ市 --user city-a --password-env DASH_PASSWORD >/dev/null
"$BIN" hub --data-dir "$DWORK/hub" municipality add --code 312029 --name 米子市 --user city-b --password-env DASH_PASSWORD >/dev/null
# A second person at つなぐ市 (by its code), and the hub's operator (who adds a third on the page).
"$BIN" hub --data-dir "$DWORK/hub" municipality add-user --code "$CITY_CODE" --user city-a-2 --password-env DASH_PASSWORD >/dev/null
"$BIN" hub --data-dir "$DWORK/hub" operator add --user ops --password-env DASH_PASSWORD >/dev/null

"$BIN" hub --data-dir "$DWORK/hub" --listen 127.0.0.1:0 >"$DWORK/hub.out" 2>"$DWORK/hub.err" &
DPIDS+=($!)
for _ in $(seq 1 200); do grep -q 'ハブを起動しました:' "$DWORK/hub.out" 2>/dev/null && break; sleep 0.1; done
HUB="$(grep 'ハブを起動しました:' "$DWORK/hub.out" | head -1 | sed -e 's/^.*ハブを起動しました: *//')"

# A's 居宅 9970000001 joins with a desk device (adopted, from the hub); B's office is invited only.
code="$("$BIN" hub --data-dir "$DWORK/hub" invite --office 9970000001 --kind 43 --name 見本ケアプランセンターはなみずき1 --municipality "$CITY_CODE" 2>/dev/null)"
"$BIN" office init --dir "$DWORK/a" --hub "$HUB" --invite "$code" --name "A の PC" >/dev/null 2>&1
"$BIN" hub --data-dir "$DWORK/hub" invite --office 0300000100 --kind 43 --name 米子テスト居宅 --municipality 312029 >/dev/null 2>&1

# One month exchanged on the hub between two more of A's offices (hub-only, from `tsunagu sample`),
# so the 効果 page has real units: the 居宅 sends its 提供票 to the 訪問介護.
"$BIN" sample --offices 3 --users 3 --month 202504 --seed 11 --out "$DWORK/units" >/dev/null
plan="$(cd "$DWORK/units" && ls UPPLAN_202504_*_43_*_11_*.CSV | head -1)"
CM="$(echo "$plan" | cut -d_ -f3)"
HV="$(echo "$plan" | cut -d_ -f5)"
for o in "c:$CM:43:見本居宅（ハブのみ）" "d:$HV:11:見本訪問介護（ハブのみ）"; do
  IFS=: read -r dir num kind name <<<"$o"
  c="$("$BIN" hub --data-dir "$DWORK/hub" invite --office "$num" --kind "$kind" --name "$name" --municipality "$CITY_CODE" 2>/dev/null)"
  "$BIN" office init --dir "$DWORK/$dir" --hub "$HUB" --invite "$c" --name "$dir の PC" >/dev/null 2>&1
done
"$BIN" send --quiet --dir "$DWORK/c" "$DWORK/units/"*"_${CM}_43_${HV}_11_"* >/dev/null

export HUB_URL="$HUB" CITY_DIR="$DWORK/city" CM_OFFICE="$CM" DOWNLOAD_DIR="$DWORK/downloads"
mkdir -p screenshots "$DOWNLOAD_DIR"
node --test --test-concurrency=1 dashboard.test.mjs
