#!/usr/bin/env bash
# Load test of POST /v1/evaluate (issue 3): a 20-line basket, 10 matching campaigns among
# 1,000 active ones, against a release `remise serve` on a loopback port with a fresh
# SQLite file. Needs wrk (Debian: apt-get install wrk). Bounded: DURATION seconds of load.
#
#   scripts/load.sh                 # 30 s, 2 wrk threads, 32 connections
#   DURATION=10 CONNECTIONS=64 scripts/load.sh
#   BIN=/tmp/remise-variant scripts/load.sh   # another build of remise, side by side
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-30}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PORT=${PORT:-18181}
KEY=load-test-admin-key-0123456789abcdef
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

BIN=${BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release -p remise --quiet
  BIN=./target/release/remise
fi
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
REMISE_ADMIN_KEY=$KEY "$BIN" serve --listen 127.0.0.1:$PORT \
  --database-url "sqlite://$work/load.db" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
  sleep 0.2
done

# 10 campaigns that match the basket, 990 that the prefilter sets aside (other channel,
# other store, other loyalty tier), all active.
python3 - "$PORT" "$KEY" <<'PY'
import json, sys, urllib.request
port, key = sys.argv[1], sys.argv[2]
def post(path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
        headers={"authorization": f"Bearer {key}", "content-type": "application/json"}, method="POST")
    urllib.request.urlopen(req).read()
params = {"tiers": [{"min_subtotal": "100.00", "percent_off": "1"}]}
for i in range(1000):
    if i < 10:
        audience = {"channels": ["store"]}
    else:
        audience = [{"channels": ["web"]}, {"stores": ["lyon-part-dieu"]}, {"loyalty_tiers": ["platinum"]}][i % 3]
    post("/v1/campaigns", {"id": f"c-{i:04d}", "name": f"campaign {i}", "plugin": "threshold-discount",
                           "status": "active", "params": params, "audience": audience})
lines = [{"id": f"line-{i}", "sku": f"SKU-{i:02d}", "quantity": 1 + i % 3,
          "unit_price": f"{(236 + i * 1297 % 2453) // 100}.{(236 + i * 1297 % 2453) % 100:02d}",
          "categories": ["apparel"]} for i in range(20)]
basket = {"currency": "EUR", "channel": "store", "store": "paris-rivoli",
          "customer": {"id": "c-1", "loyalty_tier": "gold", "segments": ["card-holder"]}, "lines": lines}
open("basket.json.tmp", "w").write(json.dumps(basket))
PY
mv basket.json.tmp "$work/basket.json"
check=$(curl -s -X POST "http://127.0.0.1:$PORT/v1/evaluate" -H "authorization: Bearer $KEY" \
  -H 'content-type: application/json' -d @"$work/basket.json")
echo "one evaluation: $(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(len(r["applied"]), "applied, discount", r["discount_total"])' "$check")"

cat > "$work/evaluate.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
local f = io.open("$work/basket.json", "r")
wrk.body = f:read("*a")
f:close()
LUA
echo "wrk: ${DURATION}s, $THREADS threads, $CONNECTIONS connections (server and load share the machine's $(nproc) cores)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/evaluate.lua" \
  "http://127.0.0.1:$PORT/v1/evaluate"
