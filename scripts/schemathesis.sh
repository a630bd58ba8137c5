#!/usr/bin/env bash
# Hostile-input check of the hub's HTTP API: schemathesis (PyPI) generates requests from
# /api/openapi.json and reports any 5xx. Not part of scripts/test.sh (it takes minutes); results go
# into docs/reliability.md. Usage: scripts/schemathesis.sh [MAX_EXAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES="${1:-100}"
command -v st >/dev/null 2>&1 || pip install -q schemathesis
cargo build -q -p tsunagu
BIN="$PWD/target/debug/tsunagu"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

"$BIN" hub --data-dir "$WORK/hub" --listen 127.0.0.1:0 > "$WORK/hub.out" 2> "$WORK/hub.err" &
for _ in $(seq 1 100); do grep -q "http://" "$WORK/hub.out" 2>/dev/null && break; sleep 0.1; done
URL="$(grep -o 'http://[0-9.:]*' "$WORK/hub.out" | head -1)"

# Two real offices with devices, so authenticated endpoints are reached with a real token.
export TSUNAGU_PASSPHRASE="schemathesis only" TSUNAGU_KEY_WORK_FACTOR=4
for office in 3100000001:43 3100000101:11; do
  n="${office%%:*}"; k="${office##*:}"
  code="$("$BIN" hub --data-dir "$WORK/hub" invite --office "$n" --kind "$k" --name "試験$k" --municipality 312029 2>/dev/null)"
  "$BIN" office init --dir "$WORK/office-$n" --hub "$URL" --invite "$code" > /dev/null 2>&1
done
TOKEN="$(cat "$WORK/office-3100000001/device.token")"

# Run 1: everything but revoke (the stateful phase finds the device's own id through /me and would
# revoke it, after which every call rightly answers 401).
st run "$URL/api/openapi.json" --url "$URL" \
  -H "Authorization: Bearer $TOKEN" --exclude-path-regex '/revoke$' \
  -n "$EXAMPLES" --checks not_a_server_error --request-timeout 10 --workers 1
# Run 2: revoke, with the partner office's token (it may revoke itself; nothing runs after it).
st run "$URL/api/openapi.json" --url "$URL" \
  -H "Authorization: Bearer $(cat "$WORK/office-3100000101/device.token")" --include-path-regex '/revoke$' \
  -n "$EXAMPLES" --checks not_a_server_error --request-timeout 10 --workers 1
