#!/usr/bin/env bash
# Load test of POST /v1/evaluate (issues 3 and 16): a 20-line basket, 10 matching campaigns
# among CAMPAIGNS active ones, against a release `remise serve` on a loopback port with a
# fresh SQLite file. Needs wrk (Debian: apt-get install wrk). Bounded: DURATION seconds of
# load per row.
#
# MIX says why the campaigns that do not match are set aside (several, space-separated, make
# several rows, each on its own fresh database):
#   thirds    other channel, other store or other loyalty tier, a third each (the default)
#   channel   other channel          store     other store
#   coupon    a coupon is required and the basket has none
#   schedule  they start in four years
#   mix       ten reasons in turn: channel, store, coupon, not started, ended, another
#             day, other hours, loyalty tier, segment, customer list
# VS names a second build of remise: each row then runs both, one after the other, on the
# same database, and prints them side by side. ROUNDS=N (with VS) runs them in turn N times,
# A B A B ..., and prints each build's median req/s and p99 and the median of the pairwise
# ratios VS / BIN: pairing keeps the ratio meaningful when the machine's speed drifts.
# WRITES=N (issue 16): after each row's load, N creates, N edits (PUT) and N pauses, one at a
# time, first alone, then again while wrk loads evaluations beside them; prints each write's
# median and p99, and the evaluations' p99 during the writes beside the row's p99 without.
#
#   scripts/load.sh                                   # 30 s, 2 wrk threads, 32 connections
#   DURATION=10 CONNECTIONS=64 scripts/load.sh
#   MIX="channel store coupon schedule mix" CAMPAIGNS="1000 10000" DURATION=10 scripts/load.sh
#   VS=/tmp/remise-before scripts/load.sh             # another build, side by side
#   MIX=mix CAMPAIGNS=10000 WRITES=200 scripts/load.sh # writes among 10,000 campaigns
#   WALLET=1 scripts/load.sh                           # the wallet too
#   JOURNAL=1 MIX=channel scripts/load.sh              # journal none beside journal all
#   JOURNAL=1 ROUNDS=5 DURATION=10 scripts/load.sh     # the same, five pairs in turn
# WALLET=1 (issue 17): after each row's load, stores the basket's customer (c-1, gold,
# card-holder) and loads GET /v1/customers/c-1/offers?channel=store&store=paris-rivoli for
# DURATION seconds at the same connections; prints its req/s and p99 in a table of its own
# (n/a for a build without the route).
# JOURNAL=1 (issue 19): the build journals no evaluation (--journal-sample-percent 0) in the
# first column and every evaluation (100) in the second, side by side as with VS.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-30}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PORT=${PORT:-18181}
MIX=${MIX:-thirds}
CAMPAIGNS=${CAMPAIGNS:-1000}
VS=${VS:-}
WRITES=${WRITES:-0}
WALLET=${WALLET:-0}
ROUNDS=${ROUNDS:-1}
KEY=load-test-admin-key-0123456789abcdef
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

BIN=${BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release -p remise --quiet
  BIN=./target/release/remise
fi
work=$(mktemp -d)
server=
load=
trap 'kill $server $load 2>/dev/null || true; rm -rf "$work"' EXIT
if [ "${JOURNAL:-0}" = 1 ]; then
  built=$(realpath "$BIN")
  for percent in 0 100; do
    printf '#!/bin/sh\nREMISE_JOURNAL_SAMPLE_PERCENT=%s exec %s "$@"\n' "$percent" "$built" \
      > "$work/journal-$percent"
    chmod +x "$work/journal-$percent"
  done
  BIN=$work/journal-0
  VS=$work/journal-100
fi

# Starts `$1` on the database `$2`, and waits until it is ready.
start() {
  REMISE_ADMIN_KEY=$KEY "$1" serve --listen 127.0.0.1:$PORT \
    --database-url "sqlite://$2" > "$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && return 0
    sleep 0.2
  done
  echo "the server did not start:" >&2; cat "$work/serve.log" >&2; exit 1
}

stop() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=
}

# Creates the campaigns of mix `$1`, `$2` in all, 10 of them matching the basket.
campaigns() {
  python3 - "$PORT" "$KEY" "$1" "$2" "$work/basket.json" <<'PY'
import datetime, http.client, json, sys
port, key, mix, total, basket_path = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
connection = http.client.HTTPConnection("127.0.0.1", int(port))
def post(path, body):
    connection.request("POST", path, json.dumps(body),
                       {"authorization": f"Bearer {key}", "content-type": "application/json"})
    answer = connection.getresponse()
    text = answer.read()
    if answer.status >= 300:
        sys.exit(f"POST {path}: {answer.status} {text[:300]!r}")
now = datetime.datetime.now(datetime.timezone.utc)
stamp = lambda t: t.isoformat(timespec="seconds")
later = lambda hours: (now + datetime.timedelta(hours=hours)).strftime("%H:00")
other_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][(now.weekday() + 3) % 7]
# Each way of not matching: what the campaign sets beside its audience.
ways = {
    "channel": {"audience": {"channels": ["web"]}},
    "store": {"audience": {"stores": ["lyon-part-dieu"]}},
    "tier": {"audience": {"loyalty_tiers": ["platinum"]}},
    "coupon": {"coupon_required": True},
    "schedule": {"schedule": {"starts_at": stamp(now + datetime.timedelta(days=4 * 365))}},
    "ended": {"schedule": {"starts_at": stamp(now - datetime.timedelta(days=30)),
                           "ends_at": stamp(now - datetime.timedelta(days=7))}},
    "day": {"schedule": {"days_of_week": [other_day], "timezone": "UTC"}},
    "hours": {"schedule": {"hours": [{"from": later(2), "to": later(3)}], "timezone": "UTC"}},
    "segment": {"audience": {"segments": ["staff"]}},
    "customers": {"audience": {"customers": [f"c-{n}" for n in range(100, 150)]}},
}
cycle = {"thirds": ["channel", "store", "tier"],
         "mix": ["channel", "store", "coupon", "schedule", "ended", "day", "hours", "tier",
                 "segment", "customers"]}.get(mix, [mix])
if any(way not in ways for way in cycle):
    sys.exit(f"unknown MIX {mix!r}")
params = {"tiers": [{"min_subtotal": "100.00", "percent_off": "1"}]}
for i in range(total):
    body = {"id": f"c-{i:05d}", "name": f"campaign {i}", "plugin": "threshold-discount",
            "status": "active", "params": params}
    body.update({"audience": {"channels": ["store"]}} if i < 10 else ways[cycle[i % len(cycle)]])
    post("/v1/campaigns", body)
lines = [{"id": f"line-{i}", "sku": f"SKU-{i:02d}", "quantity": 1 + i % 3,
          "unit_price": f"{(236 + i * 1297 % 2453) // 100}.{(236 + i * 1297 % 2453) % 100:02d}",
          "categories": ["apparel"]} for i in range(20)]
basket = {"currency": "EUR", "channel": "store", "store": "paris-rivoli",
          "customer": {"id": "c-1", "loyalty_tier": "gold", "segments": ["card-holder"]}, "lines": lines}
open(basket_path, "w").write(json.dumps(basket))
PY
}

cat > "$work/evaluate.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
local f = io.open("$work/basket.json", "r")
wrk.body = f:read("*a")
f:close()
LUA

# Checks one evaluation, then loads the server for DURATION seconds; prints wrk's output
# and keeps "req/s p99" in $work/row.
measure() {
  local check
  check=$(curl -s -X POST "http://127.0.0.1:$PORT/v1/evaluate" -H "authorization: Bearer $KEY" \
    -H 'content-type: application/json' -d @"$work/basket.json")
  echo "one evaluation: $(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(len(r["applied"]), "applied, discount", r["discount_total"])' "$check")"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/evaluate.lua" \
    "http://127.0.0.1:$PORT/v1/evaluate" | tee "$work/wrk.out"
  awk '/Requests\/sec/ { rps = $2 } $1 == "99%" { p99 = $2 } END { print rps, p99 }' \
    "$work/wrk.out" > "$work/row"
}

cat > "$work/wallet.lua" <<LUA
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer $KEY"
LUA

# Stores the basket's customer, checks one wallet, then loads the wallet route for DURATION
# seconds; keeps "req/s p99 offers" in $work/wallet-row ("n/a n/a n/a" without the route).
measure_wallet() {
  local url="http://127.0.0.1:$PORT/v1/customers/c-1/offers?channel=store&store=paris-rivoli"
  curl -s -o /dev/null -X PUT "http://127.0.0.1:$PORT/v1/customers/c-1" \
    -H "authorization: Bearer $KEY" -H 'content-type: application/json' \
    -d '{"loyalty_tier": "gold", "segments": ["card-holder"]}'
  local check
  check=$(curl -s -w '\n%{http_code}' "$url" -H "authorization: Bearer $KEY")
  if [ "${check##*$'\n'}" != 200 ]; then
    echo "n/a n/a n/a" > "$work/wallet-row"
    return
  fi
  local offers
  offers=$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["offers"]))' "${check%$'\n'*}")
  echo "one wallet: $offers offers"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/wallet.lua" "$url" \
    | tee "$work/wrk-wallet.out"
  awk -v offers="$offers" '/Requests\/sec/ { rps = $2 } $1 == "99%" { p99 = $2 } END { print rps, p99, offers }' \
    "$work/wrk-wallet.out" > "$work/wallet-row"
}

# Times WRITES creates, edits and pauses of the ids tagged `$1` (unique per build, row and
# round), one at a time; prints "create-p50 create-p99 edit-p50 edit-p99 pause-p50 pause-p99".
time_writes() {
  python3 - "$PORT" "$KEY" "$1" "$WRITES" "$total" <<'PY'
import http.client, json, statistics, sys, time
port, key, tag, count, total = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
connection = http.client.HTTPConnection("127.0.0.1", int(port))
headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
def timed(method, path, body=None):
    started = time.perf_counter()
    connection.request(method, path, None if body is None else json.dumps(body), headers)
    answer = connection.getresponse()
    text = answer.read()
    took = (time.perf_counter() - started) * 1000
    if answer.status >= 300:
        sys.exit(f"{method} {path}: {answer.status} {text[:300]!r}")
    return took
def campaign(id, percent):
    return {"id": id, "name": f"write {id}", "plugin": "threshold-discount", "status": "active",
            "audience": {"channels": ["web"]},
            "params": {"tiers": [{"min_subtotal": "100.00", "percent_off": str(percent)}]}}
# Edits and pauses take campaigns that do not match the basket, a range per tag.
first = 10 + (int(tag) * 2 * count) % (total - 10 - 2 * count)
created = [timed("POST", "/v1/campaigns", campaign(f"w{tag}-{i:05d}", 2)) for i in range(count)]
edited = [timed("PUT", f"/v1/campaigns/c-{first + i:05d}", campaign(f"c-{first + i:05d}", 3))
          for i in range(count)]
paused = [timed("POST", f"/v1/campaigns/c-{first + count + i:05d}/pause") for i in range(count)]
def cut(times):
    times = sorted(times)
    return f"{statistics.median(times):.2f}ms {times[min(len(times) - 1, int(len(times) * 0.99))]:.2f}ms"
print(cut(created), cut(edited), cut(paused))
PY
}

# The writes of build number `$1`: alone, then while wrk loads evaluations; keeps in
# $work/writes the six figures of each round, then the evaluations' p99 during the writes.
writes() {
  time_writes "$(($1 * 2))" > "$work/writes-alone"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d600s --latency -s "$work/evaluate.lua" \
    "http://127.0.0.1:$PORT/v1/evaluate" > "$work/wrk-writes.out" &
  load=$!
  sleep 1
  time_writes "$(($1 * 2 + 1))" > "$work/writes-loaded"
  kill -INT $load; wait $load || true
  load=
  { cat "$work/writes-alone" "$work/writes-loaded"
    awk '$1 == "99%" { print $2 }' "$work/wrk-writes.out"; } | tr '\n' ' ' > "$work/writes"
  echo >> "$work/writes"
}

echo "wrk: ${DURATION}s, $THREADS threads, $CONNECTIONS connections (server and load share the machine's $(nproc) cores)"
written="| campaigns | set aside by | build | writes | create p50 / p99 | edit p50 / p99 | pause p50 / p99 | evaluation p99 |"
written="$written"$'\n'"| ---: | --- | --- | --- | ---: | ---: | ---: | ---: |"
paired=$([ -n "$VS" ] && [ "$ROUNDS" -gt 1 ] && echo 1 || true)
table="| campaigns | set aside by | $BIN req/s | p99 |${VS:+ $VS req/s | p99 |}${paired:+ ratio (median of $ROUNDS pairs) |}"
table="$table"$'\n'"| ---: | --- | ---: | ---: |${VS:+ ---: | ---: |}${paired:+ ---: |}"
wallets="| campaigns | set aside by | offers | $BIN req/s | p99 |${VS:+ $VS req/s | p99 |}"
wallets="$wallets"$'\n'"| ---: | --- | ---: | ---: | ---: |${VS:+ ---: | ---: |}"
for total in $CAMPAIGNS; do
  for mix in $MIX; do
    rm -rf "$work"/load.db*
    start "$BIN" "$work/load.db"
    echo "== $total campaigns, set aside by $mix"
    campaigns "$mix" "$total"
    stop
    row="| $total | $mix |"
    wallet_row=""
    offers="n/a"
    tag=0
    : > "$work/rounds"
    for round in $(seq 1 "$ROUNDS"); do
    for bin in "$BIN" $VS; do
      start "$bin" "$work/load.db"
      echo "-- $bin${paired:+ (round $round)}"
      measure
      read -r rps p99 < "$work/row"
      echo "$bin $rps $p99" >> "$work/rounds"
      if [ "$round" -gt 1 ]; then
        stop
        continue
      fi
      if [ "$WALLET" -gt 0 ]; then
        measure_wallet
        read -r w_rps w_p99 w_offers < "$work/wallet-row"
        [ "$w_offers" != n/a ] && offers=$w_offers
        wallet_row="$wallet_row $w_rps | $w_p99 |"
      fi
      if [ "$WRITES" -gt 0 ]; then
        writes "$tag"
        read -r c50 c99 e50 e99 p50 p99w l_c50 l_c99 l_e50 l_e99 l_p50 l_p99 evaluate99 \
          < "$work/writes"
        written="$written"$'\n'"| $total | $mix | $bin | alone | $c50 / $c99 | $e50 / $e99 | $p50 / $p99w | $p99 (no writes) |"
        written="$written"$'\n'"| $total | $mix | $bin | under load | $l_c50 / $l_c99 | $l_e50 / $l_e99 | $l_p50 / $l_p99 | $evaluate99 |"
      fi
      stop
      tag=$((tag + 1))
    done
    done
    # Each build's median req/s and p99 over the rounds, then the median pairwise ratio.
    row="$row$(python3 - "$work/rounds" "$BIN" "$VS" "$ROUNDS" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
builds = [b for b in sys.argv[2:4] if b]
rounds = int(sys.argv[4])
def millis(text):
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    for unit in ("us", "ms", "s"):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale[unit]
    return float(text)
cells = []
rps = {}
for build in builds:
    mine = [r for r in rows if r[0] == build]
    rps[build] = [float(r[1]) for r in mine]
    cells.append(f" {statistics.median(rps[build]):.2f} | {statistics.median(millis(r[2]) for r in mine):.2f}ms |")
if len(builds) == 2 and rounds > 1:
    ratios = [b / a for a, b in zip(rps[builds[0]], rps[builds[1]])]
    cells.append(f" {statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f}) |")
print("".join(cells))
PY
)"
    table="$table"$'\n'"$row"
    wallets="$wallets"$'\n'"| $total | $mix | $offers |$wallet_row"
  done
done
echo
echo "$table"
if [ "$WALLET" -gt 0 ]; then
  echo
  echo "GET /v1/customers/c-1/offers (channel store, store paris-rivoli), wrk as above:"
  echo
  echo "$wallets"
fi
if [ "$WRITES" -gt 0 ]; then
  echo
  echo "$WRITES of each write, one at a time, while wrk loads evaluations ($CONNECTIONS connections):"
  echo
  echo "$written"
fi
