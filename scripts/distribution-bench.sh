#!/usr/bin/env bash
# Benchmark of personal-code distributions (issue 18 item 1, docs/api.md "Personal codes"):
# N customers (100,000 by default) imported into a release `remise serve` on a loopback
# port, every one in segment `vip`, half of them consenting to e-mail; then one code of a
# coupon campaign per customer. Not a test: it fails only when an answer is not what it must
# be (a status other than 201, another number of codes than expected).
#
# Rows, each run RUNS times (3 by default) on a fresh database, reporting the median seconds
# (curl's total time, upload included) and customers per second:
#   segment, e-mail consent   {"segment": "vip", "consent": "email"}: N/2 codes, N/2 skipped
#   segment, again            the same request: nothing new, N/2 already assigned
#   list of N ids             {"customers": [...N ids]} to a second campaign: N codes
#
#   scripts/distribution-bench.sh                  # 100,000 customers, 3 runs, SQLite
#   N=20000 RUNS=5 scripts/distribution-bench.sh
#   BIN=/tmp/remise scripts/distribution-bench.sh  # a build of your own
#   WEBHOOK=1 scripts/distribution-bench.sh        # a webhook receives coupon.assigned: every
#                                                  # code's event is written to the outbox too
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
N=${N:-100000}
RUNS=${RUNS:-3}
PORT=${PORT:-18183}
KEY=bench-admin-key-0123456789abcdef0123
command -v curl >/dev/null || { echo "curl is missing" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is missing" >&2; exit 1; }
[ "$N" -ge 2 ] && [ "$RUNS" -ge 1 ] || { echo "N must be 2 or more, RUNS 1 or more" >&2; exit 1; }

BIN=${BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release -p remise --quiet
  BIN=./target/release/remise
fi
work=$(mktemp -d)
server=
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
base="http://127.0.0.1:$PORT"

python3 - "$N" "$work" <<'PY'
import json, sys
n, work = int(sys.argv[1]), sys.argv[2]
with open(f"{work}/profiles.ndjson", "w") as out:
    for i in range(n):
        out.write(json.dumps({"id": f"c-{i:07d}", "segments": ["vip"],
                              "consent": {"email": i % 2 == 0}}) + "\n")
with open(f"{work}/list.json", "w") as out:
    json.dump({"customers": [f"c-{i:07d}" for i in range(n)]}, out)
for campaign in ["vip", "listed"]:
    with open(f"{work}/{campaign}.json", "w") as out:
        json.dump({"id": campaign, "name": campaign, "plugin": "threshold-discount",
                   "status": "active", "coupon_required": True,
                   "params": {"tiers": [{"min_subtotal": "0", "percent_off": "10"}]}}, out)
PY

stop() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  server=
}

# A server on a new SQLite file, with the N profiles and the two campaigns.
fresh() {
  stop
  rm -rf "$work"/bench.db*
  local extra=()
  if [ -n "${WEBHOOK:-}" ]; then extra=(--webhook-allow-private); fi
  REMISE_ADMIN_KEY=$KEY "$BIN" serve --listen "127.0.0.1:$PORT" \
    --database-url "sqlite://$work/bench.db" "${extra[@]}" > "$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do
    curl -sf "$base/readyz" >/dev/null && break
    sleep 0.2
  done
  curl -sf "$base/readyz" >/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  curl -sSf -o /dev/null --data-binary @"$work/profiles.ndjson" \
    -H "Content-Type: application/x-ndjson" -H "Authorization: Bearer $KEY" \
    "$base/v1/imports/customers"
  if [ -n "${WEBHOOK:-}" ]; then
    # Nothing listens on port 9: deliveries fail and wait for their retries meanwhile.
    curl -sSf -o /dev/null -H "Content-Type: application/json" \
      -H "Authorization: Bearer $KEY" "$base/v1/webhooks" \
      --data '{"url": "http://127.0.0.1:9/hook", "events": ["coupon.assigned"]}'
  fi
  for campaign in vip listed; do
    curl -sSf -o /dev/null --data-binary @"$work/$campaign.json" \
      -H "Content-Type: application/json" -H "Authorization: Bearer $KEY" \
      "$base/v1/campaigns"
  done
}

# Posts file `$2` to campaign `$1`'s distributions; fails unless the answer is a 201 with
# `assigned` = `$3` and `already_assigned` = `$4`. Prints the seconds it took.
distribute() {
  local code took
  read -r code took < <(curl -sS -o "$work/answer.json" -w '%{http_code} %{time_total}\n' \
    --data-binary @"$2" -H "Content-Type: application/json" \
    -H "Authorization: Bearer $KEY" "$base/v1/campaigns/$1/distributions") || true
  if [ "${code:-}" != 201 ]; then
    echo "distribution to $1: HTTP ${code:-none}" >&2
    head -c 2000 "$work/answer.json" >&2 2>/dev/null || true
    exit 1
  fi
  python3 - "$work/answer.json" "$3" "$4" <<'PY' || exit 1
import json, sys
answer, assigned, already = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
if answer.get("assigned") != assigned or answer.get("already_assigned") != already \
        or len(answer.get("codes", [])) != assigned:
    sys.exit(f"expected {assigned} assigned, {already} already; got "
             f"{answer.get('assigned')} and {answer.get('already_assigned')}")
PY
  echo "$took"
}

echo '{"segment": "vip", "consent": "email", "prefix": "VIP-"}' > "$work/segment.json"
half=$(( (N + 1) / 2 ))
segment=() again=() listed=()
for run in $(seq 1 "$RUNS"); do
  fresh
  segment+=("$(distribute vip "$work/segment.json" "$half" 0)")
  again+=("$(distribute vip "$work/segment.json" 0 "$half")")
  listed+=("$(distribute listed "$work/list.json" "$N" 0)")
  echo "run $run: segment ${segment[-1]} s, again ${again[-1]} s, list ${listed[-1]} s"
done
stop

python3 - "$N" "${segment[*]}" "${again[*]}" "${listed[*]}" <<'PY'
import statistics, sys
n = int(sys.argv[1])
rows = [("segment of N, e-mail consent (N/2 codes)", sys.argv[2]),
        ("the same again (nothing new)", sys.argv[3]),
        ("list of N ids (N codes)", sys.argv[4])]
print(f"\n{n:,} customers, SQLite, median of {len(sys.argv[2].split())} runs")
print("| distribution | seconds | customers/s |")
print("| --- | ---: | ---: |")
for name, times in rows:
    median = statistics.median(float(t) for t in times.split())
    print(f"| {name} | {median:.2f} | {n / median:,.0f} |")
PY
