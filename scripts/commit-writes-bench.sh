#!/usr/bin/env bash
# What PostgreSQL alone pays to write committed orders (issue 20, docs/scaling.md): the three
# inserts of an order (`redemptions` with its ~4 KB of answer, basket and pricing;
# `redemption_campaigns`; 21 `purchase_history` rows upserted), against the schema of
# host/migrations/postgres, written two ways with pgbench, in turn:
#   single   one order per transaction, one statement per table (today's write path)
#   batch    BATCH orders per transaction (64 by default), one multi-row statement per table
# `synchronous_commit` is off, so the figures are PostgreSQL's CPU, not the disk's sync.
# Needs PostgreSQL with pgbench (apt-get install postgresql postgresql-contrib); without
# REMISE_DATABASE_URL (an empty database), scripts/with-postgres.sh starts a throwaway one.
#
#   scripts/commit-writes-bench.sh                     # 15 s per run, 2 rounds, 2 clients
#   DURATION=30 ROUNDS=3 CLIENTS=2 BATCH=64 scripts/commit-writes-bench.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DURATION=${DURATION:-15}
ROUNDS=${ROUNDS:-2}
CLIENTS=${CLIENTS:-2}
BATCH=${BATCH:-64}

if [ -z "${REMISE_DATABASE_URL:-}" ] && [ -z "${COMMIT_WRITES_INNER:-}" ]; then
  export COMMIT_WRITES_INNER=1
  exec "$here/with-postgres.sh" "$here/commit-writes-bench.sh" "$@"
fi
url=${REMISE_DATABASE_URL:-$REMISE_TEST_POSTGRES}
pgbench=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | head -1)
[ -x "$pgbench" ] || { echo "pgbench is missing: apt-get install postgresql-contrib" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for migration in $(ls "$here"/../host/migrations/postgres/*.sql | sort); do
  psql "$url" -q -v ON_ERROR_STOP=1 -f "$migration" >/dev/null
done
psql "$url" -q -v ON_ERROR_STOP=1 -c "CREATE SEQUENCE bench_orders" \
  -c "CREATE SEQUENCE bench_batches" -c "ALTER SYSTEM SET synchronous_commit = off" \
  -c "SELECT pg_reload_conf()" >/dev/null

# The two pgbench scripts: the basket and answer of scripts/load.sh (20 lines, one campaign).
python3 - "$work" "$BATCH" <<'PY'
import json, sys
work, batch = sys.argv[1], int(sys.argv[2])
lines = [{"id": f"line-{i}", "sku": f"SKU-{i:02d}", "quantity": 1 + i % 3,
          "unit_price": f"{(236 + i * 1297 % 2453) // 100}.{(236 + i * 1297 % 2453) % 100:02d}",
          "categories": ["apparel"]} for i in range(20)]
basket = json.dumps({"currency": "EUR", "channel": "store", "store": "paris-rivoli",
                     "customer": {"id": "c-1", "loyalty_tier": "gold"}, "lines": lines})
response = json.dumps({"order_id": "o", "applied": [{"campaign": "hot", "plugin": "threshold-discount",
                       "discount": "55.20", "effects": [{"kind": "discount", "percent": "10"}]}],
                       "lines": [{"id": f"line-{i}", "subtotal": "12.34", "discount": "1.23",
                                  "total": "11.11"} for i in range(20)],
                       "discount_total": "55.20", "total": "496.80", "currency": "EUR"})
pricing = json.dumps([{"campaign": "hot", "plugin": "threshold-discount", "discount": "55.20"}])
text = lambda s: "'" + s.replace("'", "''") + "'"
items = [("sku", f"SKU-{i:02d}", 1 + i % 3) for i in range(20)] + [("category", "apparel", 40)]
upsert = (" ON CONFLICT (customer_id, kind, item, day) DO UPDATE SET"
          " quantity = purchase_history.quantity + excluded.quantity,"
          " orders = purchase_history.orders + excluded.orders")
order_columns = ("order_id, request_hash, response, customer_id, channel, currency, created_at,"
                 " key_hash, basket, pricing")
order_values = (f"'h2:0123456789abcdef', {text(response)}, {{customer}}, 'store', 'EUR',"
                f" '2026-12-05T21:00:00.000000Z', 'key', {text(basket)}, {text(pricing)}")
campaign_columns = "order_id, campaign_id, customer_id, channel, local_date, discount_minor"
history_columns = "customer_id, kind, item, day, quantity, orders"

one = "'o-' || currval('bench_orders')", "'c-' || currval('bench_orders')"
single = "\n".join([
    "BEGIN;",
    f"INSERT INTO redemptions ({order_columns}) VALUES ('o-' || nextval('bench_orders'), "
    + order_values.replace("{customer}", one[1]) + ");",
    f"INSERT INTO redemption_campaigns ({campaign_columns}) "
    f"VALUES ({one[0]}, 'hot', {one[1]}, 'store', '2026-12-05', 5520);",
    f"INSERT INTO purchase_history ({history_columns}) VALUES "
    + ", ".join(f"({one[1]}, '{k}', '{i}', '2026-12-05', {q}, 1)" for k, i, q in items)
    + upsert + ";",
    "COMMIT;",
])
many = "'b-' || (currval('bench_batches') + g)", "'bc-' || (currval('bench_batches') + g)"
rows = f"FROM generate_series(1, {batch}) g"
multi = "\n".join([
    "BEGIN;",
    f"SELECT setval('bench_batches', nextval('bench_orders') * {batch + 1});",
    f"INSERT INTO redemptions ({order_columns}) SELECT {many[0]}, "
    + order_values.replace("{customer}", many[1]) + f" {rows};",
    f"INSERT INTO redemption_campaigns ({campaign_columns}) "
    f"SELECT {many[0]}, 'hot', {many[1]}, 'store', '2026-12-05', 5520 {rows};",
    f"INSERT INTO purchase_history ({history_columns}) "
    f"SELECT {many[1]}, item.kind, item.name, '2026-12-05', item.quantity, 1 {rows}, (VALUES "
    + ", ".join(f"('{k}', '{i}', {q})" for k, i, q in items)
    + ") AS item(kind, name, quantity)" + upsert + ";",
    "COMMIT;",
])
open(f"{work}/single.sql", "w").write(single + "\n")
open(f"{work}/batch.sql", "w").write(multi + "\n")
PY

# Runs pgbench on `$1`.sql; prints its transactions per second.
run() {
  "$pgbench" -n -M simple -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION" -f "$work/$1.sql" "$url" \
    | awk '/^tps/ { print $3 }'
}

echo "| round | one order per transaction: orders/s | $BATCH orders per transaction: orders/s | ratio |"
echo "| ---: | ---: | ---: | ---: |"
for round in $(seq 1 "$ROUNDS"); do
  single=$(run single)
  batches=$(run batch)
  python3 -c "import sys; s, b, n = float(sys.argv[1]), float(sys.argv[2]) * int(sys.argv[3]), sys.argv[4]; print(f'| {n} | {s:,.0f} | {b:,.0f} | {b / s:.2f} |')" \
    "$single" "$batches" "$BATCH" "$round"
done
