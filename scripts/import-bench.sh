#!/usr/bin/env bash
# Benchmark of customer profile imports and exports (issue 17 item 1, docs/customers.md):
# N profiles (100,000 by default) generated as NDJSON and as CSV, sent whole with
# `curl --data-binary` to POST /v1/imports/customers of a release `remise serve` on a
# loopback port, then GET /v1/exports/customers. Not a test: it fails only when an answer is
# not what it must be (a status other than 200, `imported` other than N, any line rejected,
# an export without N profiles).
#
# Rows, each run RUNS times (3 by default), reporting the median seconds (curl's total time,
# upload included) and profiles per second:
#   NDJSON, empty database      a fresh database each run; every profile created
#   NDJSON again                the same file into the database that holds them: all updates
#   CSV, empty database         a fresh database each run; every profile created
#   export NDJSON, export CSV   GET /v1/exports/customers (?format=csv) of the N profiles
#
# Each run of an "empty database" row starts on a fresh SQLite file. With DATABASE_URL (a
# PostgreSQL URL) the script cannot create databases: give it an empty database of its own
# (nothing else in it matters, nothing else may use it); it runs there, emptying the
# `customers` table with psql (which must be installed) before each such run.
# VS names a second build of remise: every row runs on both, one after the other, and the
# table prints them side by side. BIN is the build to measure (built here in release when
# unset).
#
#   scripts/import-bench.sh                         # 100,000 profiles, 3 runs, SQLite
#   N=20000 RUNS=5 scripts/import-bench.sh
#   VS=/tmp/remise-before scripts/import-bench.sh   # another build, side by side
#   DATABASE_URL=postgres://remise@localhost/remise_bench scripts/import-bench.sh
set -euo pipefail
# The checks run inside $(...): let their failures end the script.
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
N=${N:-100000}
RUNS=${RUNS:-3}
PORT=${PORT:-18182}
VS=${VS:-}
DATABASE_URL=${DATABASE_URL:-}
KEY=bench-admin-key-0123456789abcdef0123
command -v curl >/dev/null || { echo "curl is missing" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is missing" >&2; exit 1; }
if [ -n "$DATABASE_URL" ]; then
  command -v psql >/dev/null || { echo "psql is missing (needed with DATABASE_URL)" >&2; exit 1; }
fi
[ "$N" -ge 1 ] && [ "$RUNS" -ge 1 ] || { echo "N and RUNS must be 1 or more" >&2; exit 1; }

BIN=${BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release -p remise --quiet
  BIN=./target/release/remise
fi
work=$(mktemp -d)
server=
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
url=${DATABASE_URL:-sqlite://$work/bench.db}
backend=SQLite
[ -z "$DATABASE_URL" ] || backend=PostgreSQL
base="http://127.0.0.1:$PORT"

# The N profiles, as NDJSON and as the CSV of docs/customers.md (same profiles, same order:
# ids c-0000000 up, every field present or absent in turn, one attribute).
python3 - "$N" "$work/profiles.ndjson" "$work/profiles.csv" <<'PY'
import csv, json, sys
n, ndjson_path, csv_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
tiers = ["gold", "silver", "bronze", "platinum"]
with open(ndjson_path, "w") as ndjson, open(csv_path, "w", newline="") as table:
    rows = csv.writer(table, lineterminator="\r\n")
    rows.writerow(["id", "loyalty_tier", "segments", "birthdate", "email_consent",
                   "sms_consent", "attributes.favourite_store"])
    for i in range(n):
        profile = {"id": f"c-{i:07d}"}
        if i % 5:
            profile["loyalty_tier"] = tiers[i % 4]
        if i % 3:
            profile["segments"] = ["card-holder", "newsletter", "app"][: 1 + i % 3]
        if i % 2:
            profile["birthdate"] = f"19{40 + i % 60:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        if i % 7:
            profile["attributes"] = {"favourite_store": f"store-{i % 250}"}
        profile["consent"] = {"email": i % 2 == 0, "sms": i % 3 == 0}
        ndjson.write(json.dumps(profile, separators=(",", ":")) + "\n")
        rows.writerow([
            profile["id"], profile.get("loyalty_tier", ""),
            "|".join(profile.get("segments", [])), profile.get("birthdate", ""),
            "true" if profile["consent"]["email"] else "false",
            "true" if profile["consent"]["sms"] else "false",
            profile.get("attributes", {}).get("favourite_store", ""),
        ])
PY
echo "$N profiles: NDJSON $(du -h "$work/profiles.ndjson" | cut -f1), CSV $(du -h "$work/profiles.csv" | cut -f1)"

# Starts build `$1` on the database, and waits until it is ready.
start() {
  REMISE_ADMIN_KEY=$KEY "$1" serve --listen "127.0.0.1:$PORT" \
    --database-url "$url" > "$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do
    curl -sf "$base/readyz" >/dev/null && return 0
    sleep 0.2
  done
  echo "the server did not start:" >&2; cat "$work/serve.log" >&2; exit 1
}

stop() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  server=
}

# Build `$1` serving an empty database: a new SQLite file, or the PostgreSQL database with
# its customers table emptied (after the start, so that the migrations have made it).
fresh() {
  stop
  if [ -n "$DATABASE_URL" ]; then
    start "$1"
    psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c 'TRUNCATE customers' >/dev/null
  else
    rm -rf "$work"/bench.db*
    start "$1"
  fi
}

# Imports file `$1` declared as `$2`; fails unless the answer is a 200 whose `imported` and
# `$3` (created or updated) are N and `rejected` 0. Prints the seconds it took.
import_once() {
  local code took
  read -r code took < <(curl -sS -o "$work/answer.json" -w '%{http_code} %{time_total}\n' \
    --data-binary @"$1" -H "Content-Type: $2" -H "Authorization: Bearer $KEY" \
    "$base/v1/imports/customers") || true
  if [ "${code:-}" != 200 ]; then
    echo "import of $1 as $2: HTTP ${code:-none}" >&2
    head -c 2000 "$work/answer.json" >&2 2>/dev/null || true
    echo >&2
    exit 1
  fi
  python3 - "$work/answer.json" "$N" "$3" <<'PY' || exit 1
import json, sys
answer, n, counted = json.load(open(sys.argv[1])), int(sys.argv[2]), sys.argv[3]
if answer.get("imported") != n or answer.get(counted) != n or answer.get("rejected") != 0:
    sys.exit(f"expected imported = {counted} = {n} and rejected = 0, got: {json.dumps(answer)[:2000]}")
PY
  echo "$took"
}

# Exports with the query `$1` (empty or ?format=csv); fails unless the answer is a 200 with N
# profiles (`$2` header lines before them). Prints the seconds it took.
export_once() {
  local code took lines
  read -r code took < <(curl -sS -o "$work/export.out" -w '%{http_code} %{time_total}\n' \
    -H "Authorization: Bearer $KEY" "$base/v1/exports/customers$1") || true
  if [ "${code:-}" != 200 ]; then
    echo "export$1: HTTP ${code:-none}" >&2
    head -c 2000 "$work/export.out" >&2 2>/dev/null || true
    echo >&2
    exit 1
  fi
  lines=$(grep -c . "$work/export.out" || true)
  if [ "$lines" -ne $((N + $2)) ]; then
    echo "export$1: $lines lines, expected $((N + $2))" >&2
    exit 1
  fi
  echo "$took"
}

# "median-seconds profiles-per-second" of the times given.
summary() {
  python3 -c '
import statistics, sys
n, times = int(sys.argv[1]), [float(t) for t in sys.argv[2:]]
median = statistics.median(times)
print(f"{median:.3f} {n / median:,.0f}" if median > 0 else f"{median:.3f} -")
' "$N" "$@"
}

cases=("NDJSON, empty database" "NDJSON again (all updates)" "CSV, empty database"
       "export NDJSON" "export CSV")
builds=("$BIN" $VS)
declare -A result
t=
for b in "${!builds[@]}"; do
  bin=${builds[$b]}
  echo "== $bin"
  times=()
  for run in $(seq 1 "$RUNS"); do
    fresh "$bin"
    t=$(import_once "$work/profiles.ndjson" application/x-ndjson created)
    echo "  NDJSON, empty database, run $run: ${t}s"
    times+=("$t")
  done
  result["$b|${cases[0]}"]=$(summary "${times[@]}")

  # The server still holds the N profiles of the last run.
  times=()
  for run in $(seq 1 "$RUNS"); do
    t=$(import_once "$work/profiles.ndjson" application/x-ndjson updated)
    echo "  NDJSON again, run $run: ${t}s"
    times+=("$t")
  done
  result["$b|${cases[1]}"]=$(summary "${times[@]}")

  times=()
  for run in $(seq 1 "$RUNS"); do
    t=$(export_once "" 0)
    echo "  export NDJSON, run $run: ${t}s"
    times+=("$t")
  done
  result["$b|${cases[3]}"]=$(summary "${times[@]}")

  times=()
  for run in $(seq 1 "$RUNS"); do
    t=$(export_once "?format=csv" 1)
    echo "  export CSV, run $run: ${t}s"
    times+=("$t")
  done
  result["$b|${cases[4]}"]=$(summary "${times[@]}")

  times=()
  for run in $(seq 1 "$RUNS"); do
    fresh "$bin"
    t=$(import_once "$work/profiles.csv" text/csv created)
    echo "  CSV, empty database, run $run: ${t}s"
    times+=("$t")
  done
  result["$b|${cases[2]}"]=$(summary "${times[@]}")
  stop
done

echo
echo "$N profiles, median of $RUNS runs, on $backend ($(nproc) cores, server and curl on the same machine)"
echo
header="| $N profiles |"
rule="| --- |"
for bin in "${builds[@]}"; do
  header="$header $bin s | profiles/s |"
  rule="$rule ---: | ---: |"
done
echo "$header"
echo "$rule"
for case in "${cases[@]}"; do
  row="| $case |"
  for b in "${!builds[@]}"; do
    read -r median rate <<< "${result["$b|$case"]}"
    row="$row $median | $rate |"
  done
  echo "$row"
done
