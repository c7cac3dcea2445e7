#!/usr/bin/env bash
# Load test of two `remise serve` hosts over one PostgreSQL (issue 8), with the basket and
# campaigns of scripts/load.sh: a 20-line basket, 10 matching campaigns among 1,000 active
# ones, created through the first host. Needs wrk (Debian: apt-get install wrk) and, unless
# REMISE_DATABASE_URL names an empty PostgreSQL database, PostgreSQL itself (apt-get
# install postgresql): scripts/with-postgres.sh then starts a throwaway one.
#
#   (a) POST /v1/evaluate on both hosts at once: total requests/s, p50, p99;
#   (b) commits on one hot budget row: POST /v1/redemptions, each order (and its
#       customer) unique, on both hosts at once; one campaign with a huge budget applies to
#       every order. Afterwards
#       the orders wrk left unanswered are sent again (each is then committed exactly
#       once), and the campaign's stats must count exactly the committed orders it applied
#       to, with the discount granted equal to the budget consumed and to those orders
#       times one order's discount. (On a starved machine an order's plugin can time out:
#       it is committed without the campaign, and the script says how many were.)
#   (c) the same commits spread over 20 budgeted campaigns (one per store: each order goes
#       to the next store in turn), on both hosts at once, checked the same way over the
#       20 campaigns' stats;
#   (d) the hot-row commits of (b) against one host on a fresh SQLite file, for comparison;
#   (e) and (f): (b) and (c) again, the two hosts restarted with --budget-leases (each
#       commits against its slices of the budgets, without the campaigns' locks), checked
#       the same way on what each part added to the stats.
#
# Bounded: DURATION seconds of load per part (default 15), plus set-up. wrk's threads are
# given to the hosts in turn (thread 1 the first host, thread 2 the second, ...).
#
#   scripts/cluster-load.sh
#   DURATION=30 CONNECTIONS=64 THREADS=4 scripts/cluster-load.sh
#   REMISE_DATABASE_URL=postgres://remise:…@db/remise_load scripts/cluster-load.sh
#   BIN=/tmp/remise-variant scripts/cluster-load.sh    # another build of remise
#   PORT=18191 scripts/cluster-load.sh   # the hosts on 18191, 18192, 18193 (default: free ports)
#   PARTS=be scripts/cluster-load.sh     # only parts (b) and (e) (default: abcdef)
#
# REMISE_DB_MAX_CONNECTIONS and REMISE_DB_ACQUIRE_TIMEOUT_MS reach the hosts as usual.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PARTS=${PARTS:-abcdef}
# want X: whether part X is to run.
want() { [[ $PARTS == *$1* ]]; }
PORT=${PORT:-}
KEY=cluster-load-admin-key-0123456789abcdef
# A loopback port nobody listens on now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

BIN=${BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release -p remise --quiet
  BIN=./target/release/remise
fi

# Without a database URL, run again beside a throwaway PostgreSQL (on a free port, so that
# it does not meet a test cluster on with-postgres.sh's default one).
if [ -z "${REMISE_DATABASE_URL:-}" ] && [ -z "${CLUSTER_LOAD_INNER:-}" ]; then
  export BIN CLUSTER_LOAD_INNER=1
  export REMISE_TEST_POSTGRES_PORT=${REMISE_TEST_POSTGRES_PORT:-$(free_port)}
  exec "$here/with-postgres.sh" "$here/cluster-load.sh" "$@"
fi
DATABASE_URL=${REMISE_DATABASE_URL:-$REMISE_TEST_POSTGRES}
unset REMISE_DATABASE_URL

work=$(mktemp -d)
# A copy of the binary, so that a rebuild during the run changes nothing.
cp "$BIN" "$work/remise"
servers=()
stop_servers() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${servers[@]}"; do wait "$pid" 2>/dev/null || true; done
  servers=()
}
trap 'stop_servers; rm -rf "$work"' EXIT

# start NAME PORT DATABASE_URL [FLAG...]: a host in the background, its log in
# $work/NAME.log.
start() {
  local name=$1 port=$2 url=$3; shift 3
  REMISE_ADMIN_KEY=$KEY "$work/remise" serve --listen "127.0.0.1:$port" --database-url "$url" \
    --cache-dir "$work/$name-compiled" "$@" >> "$work/$name.log" 2>&1 &
  servers+=($!)
}
# ready PORT NAME: waits up to 60 s for /readyz.
ready() {
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0
    sleep 0.2
  done
  echo "host $2 (port $1) is not ready after 60 s; its log:" >&2
  cat "$work/$2.log" >&2
  exit 1
}

# The campaigns, the baskets and the checks.
cat > "$work/cluster.py" <<'PY'
import json, sys, urllib.error, urllib.request
from decimal import Decimal

KEY = "cluster-load-admin-key-0123456789abcdef"
HOT = "hot-budget"
SPREAD = [f"spread-{n:02d}" for n in range(20)]
BUDGET = Decimal("1000000000.00")

def call(port, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
        headers={"authorization": f"Bearer {KEY}", "content-type": "application/json"})
    try:
        with urllib.request.urlopen(req) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")

def lines():
    return [{"id": f"line-{i}", "sku": f"SKU-{i:02d}", "quantity": 1 + i % 3,
             "unit_price": f"{(236 + i * 1297 % 2453) // 100}.{(236 + i * 1297 % 2453) % 100:02d}",
             "categories": ["apparel"]} for i in range(20)]

def basket(channel, store="paris-rivoli"):
    return {"currency": "EUR", "channel": channel, "store": store,
            "customer": {"id": "c-1", "loyalty_tier": "gold", "segments": ["card-holder"]},
            "lines": lines()}

def setup(port, work):
    """scripts/load.sh's 1,000 campaigns, plus the hot one: 10 % from 100 EUR on channel
    `app` (which none of the 1,000 targets), with a budget no run can spend."""
    params = {"tiers": [{"min_subtotal": "100.00", "percent_off": "1"}]}
    for i in range(1000):
        if i < 10:
            audience = {"channels": ["store"]}
        else:
            audience = [{"channels": ["web"]}, {"stores": ["lyon-part-dieu"]},
                        {"loyalty_tiers": ["platinum"]}][i % 3]
        status, answer = call(port, "POST", "/v1/campaigns",
            {"id": f"c-{i:04d}", "name": f"campaign {i}", "plugin": "threshold-discount",
             "status": "active", "params": params, "audience": audience})
        if status != 201:
            sys.exit(f"creating campaign c-{i:04d}: {status} {answer}\n"
                     "(REMISE_DATABASE_URL must name an empty database)")
    status, answer = call(port, "POST", "/v1/campaigns",
        {"id": HOT, "name": "hot budget row", "plugin": "threshold-discount", "status": "active",
         "params": {"tiers": [{"min_subtotal": "100.00", "percent_off": "10"}]},
         "audience": {"channels": ["app"]}, "limits": {"budget": str(BUDGET), "budget_currency": "EUR"}})
    if status != 201:
        sys.exit(f"creating campaign {HOT}: {status} {answer}")
    # The same offer and budget 20 times, one per store of channel `till`.
    for n, campaign in enumerate(SPREAD):
        status, answer = call(port, "POST", "/v1/campaigns",
            {"id": campaign, "name": f"store {n} budget row", "plugin": "threshold-discount",
             "status": "active", "params": {"tiers": [{"min_subtotal": "100.00", "percent_off": "10"}]},
             "audience": {"channels": ["till"], "stores": [f"store-{n:02d}"]},
             "limits": {"budget": str(BUDGET), "budget_currency": "EUR"}})
        if status != 201:
            sys.exit(f"creating campaign {campaign}: {status} {answer}")
    open(f"{work}/evaluate.json", "w").write(json.dumps(basket("store")))
    # The redemption bodies, with @ORDER@ where the wrk script puts each order id (and
    # @STORE@ its store).
    # @CUSTOMER@ its customer: each order its own, as on a sale day (one customer's orders
    # update the same purchase rows, so would wait for each other).
    body = {"order_id": "@ORDER@", **basket("app")}
    body["customer"]["id"] = "@CUSTOMER@"
    open(f"{work}/redeem.json", "w").write(json.dumps(body))
    body = {"order_id": "@ORDER@", **basket("till", "@STORE@")}
    body["customer"]["id"] = "@CUSTOMER@"
    open(f"{work}/spread.json", "w").write(json.dumps(body))

def evaluate(port, channel):
    status, answer = call(port, "POST", "/v1/evaluate", basket(channel))
    if status != 200:
        sys.exit(f"evaluate on port {port}: {status} {answer}")
    return answer

def check_evaluate(ports):
    """Every host sees the campaigns created through the first one."""
    for port in ports:
        answer = evaluate(port, "store")
        applied = len(answer["applied"])
        print(f"  host on port {port}: one evaluation: {applied} applied, discount {answer['discount_total']}")
        if applied != 10:
            sys.exit(f"host on port {port} applies {applied} campaigns, not 10")

def hot_discount(port):
    answer = evaluate(port, "app")
    ids = [a["campaign"] for a in answer["applied"]]
    if ids != [HOT]:
        sys.exit(f"the hot basket applies {ids}, not [{HOT!r}]")
    for n, campaign in enumerate(SPREAD):
        status, spread = call(port, "POST", "/v1/evaluate", basket("till", f"store-{n:02d}"))
        ids = [a["campaign"] for a in spread["applied"]] if status == 200 else spread
        if ids != [campaign] or spread["discount_total"] != answer["discount_total"]:
            sys.exit(f"the basket of store-{n:02d} applies {ids}, not [{campaign!r}]")
    print(answer["discount_total"])

def evaluations(port):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                 headers={"authorization": f"Bearer {KEY}"})
    text = urllib.request.urlopen(req).read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("remise_evaluations_total"))

def totals(ports, mode):
    """The campaigns' stats (the hot one's, or the 20 spread ones' summed): redemptions,
    discount granted, budget consumed."""
    redemptions, granted, consumed = 0, Decimal(0), Decimal(0)
    for campaign in ([HOT] if mode == "redeem" else SPREAD):
        status, stats = call(ports[-1], "GET", f"/v1/campaigns/{campaign}/stats")
        if status != 200:
            sys.exit(f"stats of {campaign}: {status} {stats}")
        redemptions += stats["redemptions"]
        granted += Decimal(stats["discount_granted"])
        consumed += Decimal(stats["budget"]) - Decimal(stats["budget_left"])
    return redemptions, granted, consumed

def snapshot(work, mode, ports):
    """The stats before a part, which reconcile subtracts."""
    r, g, c = totals(ports, mode)
    open(f"{work}/before-{mode}.json", "w").write(json.dumps([r, str(g), str(c)]))

def reconcile(ports, work, results, discount, mode):
    """Orders wrk sent but saw no 201/200 for (in flight when it stopped, or refused) are
    sent again: each is then committed exactly once (201 now, or 200 when it had been).
    The campaigns' stats (the hot one's, or the 20 spread ones' summed) must then count
    exactly the committed orders they applied to (an order committed while its plugin
    timed out, on a starved machine, gets nothing)."""
    counts, discounts = {}, {}
    for line in open(results):
        key, value = line.split()
        if key.startswith("discount_"):
            discounts[key[len("discount_"):]] = int(value)
        else:
            counts[key] = int(value)
    pending = [l.strip() for l in open(f"{work}/pending.txt") if l.strip()]
    template = open(f"{work}/{mode}.json").read()
    again = {}
    other = None
    for i, order in enumerate(pending):
        # The store the wrk script gave it: its counter's, the id's last part.
        store = f"store-{int(order.rsplit('-', 1)[1]) % 20:02d}"
        body = json.loads(template.replace("@ORDER@", order).replace("@STORE@", store)
                          .replace("@CUSTOMER@", f"c-{order}"))
        status, answer = call(ports[i % len(ports)], "POST", "/v1/redemptions", body)
        again[status] = again.get(status, 0) + 1
        if status in (200, 201):
            d = answer["discount_total"]
            discounts[d] = discounts.get(d, 0) + 1
            if d != discount and other is None:
                other = answer
    committed = sum(discounts.values())
    applied = discounts.get(discount, 0)
    others = {k: v for k, v in counts.items() if k.startswith("status_") and k not in ("status_200", "status_201")}
    print(f"  answers: {counts.get('status_201', 0)} × 201, {counts.get('status_200', 0)} × 200"
          + (f", others {others}" if others else "") + f"; wrk errors: {counts.get('errors', 0)}")
    try:
        print(f"  one of the others: {open(f'{work}/failure.txt').read()[:400]}")
    except OSError:
        pass
    print(f"  no answer when wrk stopped, or refused: {len(pending)} orders, sent again: "
          f"{again.get(200, 0)} had been committed (200), {again.get(201, 0)} had not (201)"
          + (f", others {{{', '.join(f'{k}: {v}' for k, v in again.items() if k not in (200, 201))}}}"
             if set(again) - {200, 201} else ""))
    if applied != committed:
        try:
            other = other or json.load(open(f"{work}/other.json"))
        except (OSError, ValueError):
            pass
        why = [f"{r.get('campaign')}: {r.get('reason', r.get('rejection'))}"
               for r in (other or {}).get("rejected", [])] if isinstance(other, dict) else []
        print(f"  {committed - applied} of {committed} committed orders got another discount than "
              f"{discount} ({ {d: n for d, n in discounts.items() if d != discount} }); "
              f"one of them: rejected {why or '?'}")
    redemptions, granted, consumed = totals(ports, mode)
    try:
        r, g, c = json.load(open(f"{work}/before-{mode}.json"))
        redemptions, granted, consumed = redemptions - r, granted - Decimal(g), consumed - Decimal(c)
    except OSError:
        pass
    print(f"  stats added: {redemptions} redemptions, discount granted {granted}, "
          f"budget consumed {consumed}")
    ok = True
    if redemptions != applied:
        print(f"  MISMATCH: {applied} committed orders got the campaign, stats count {redemptions}")
        ok = False
    if granted != consumed:
        print(f"  MISMATCH: discount granted {granted} != budget consumed {consumed}")
        ok = False
    if granted != Decimal(discount) * applied:
        print(f"  MISMATCH: discount granted {granted} != {applied} × {discount}")
        ok = False
    if set(again) - {200, 201}:
        print("  MISMATCH: an order sent again was refused")
        ok = False
    if not ok:
        sys.exit(1)
    print(f"  check: redemptions = committed orders with the campaign = {applied}; "
          f"discount granted = budget consumed = {applied} × {discount}")

if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    if what == "setup":
        setup(args[0], args[1])
    elif what == "check-evaluate":
        check_evaluate(args)
    elif what == "hot-discount":
        hot_discount(args[0])
    elif what == "evaluations":
        print(int(evaluations(args[0])))
    elif what == "snapshot":
        snapshot(args[0], args[1], args[2:])
    elif what == "reconcile":
        reconcile(args[4:], args[0], args[1], args[2], args[3])
PY

# wrk_script MODE PORT...: a wrk script giving each thread to the next host in turn.
# MODE evaluate: the fixed 20-line basket. MODE redeem: each request a new order id
# (a run id, the thread, a counter); the answers' order ids are ticked off, and the ones
# without a 201/200 are written to $work/pending.txt; counts to $work/results.txt. MODE
# spread: as redeem, each order at the next of the 20 stores.
run_id="$(date +%s)-$$"
wrk_script() {
  local mode=$1; shift
  local hosts=""
  for port in "$@"; do hosts+="{\"127.0.0.1\", \"$port\"}, "; done
  cat > "$work/$mode.lua" <<LUA
local hosts = { $hosts }
local addrs = nil
local threads = {}
function setup(thread)
  if addrs == nil then
    addrs = {}
    for i, h in ipairs(hosts) do addrs[i] = wrk.lookup(h[1], h[2])[1] end
  end
  thread.addr = addrs[#threads % #addrs + 1]
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
local f = io.open("$work/$mode.json", "r")
wrk.body = f:read("*a")
f:close()
LUA
  if [ "$mode" != evaluate ]; then
    cat >> "$work/$mode.lua" <<LUA
local template = wrk.body
local counter = 0
function init(args)
  pending = {}
  statuses = {}
  discounts = {}
end
function request()
  counter = counter + 1
  local id = "$run_id-$mode-t" .. tid .. "-" .. counter
  pending[id] = true
  local store = string.format("store-%02d", counter % 20)
  local body = template:gsub("@ORDER@", id):gsub("@STORE@", store):gsub("@CUSTOMER@", "c-" .. id)
  return wrk.format(nil, "/v1/redemptions", nil, body)
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 or status == 200 then
    local id = body:match('"order_id"%s*:%s*"([^"]+)"')
    if id then pending[id] = nil end
    local discount = body:match('"discount_total"%s*:%s*"([^"]+)"') or "?"
    discounts[discount] = (discounts[discount] or 0) + 1
    if discount ~= "$hot" and other == nil then other = body end
  elseif failure == nil then
    failure = status .. " " .. body
  end
end
LUA
  fi
  cat >> "$work/$mode.lua" <<LUA
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout
  local out = io.open("$work/results.txt", "w")
  local line = string.format("%.0f requests/s, p50 %.2f ms, p99 %.2f ms", summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000)
  if "$mode" ~= "evaluate" then
    local p = io.open("$work/pending.txt", "w")
    local ok = 0
    local counts, discounts, other = {}, {}, nil
    os.remove("$work/other.json")
    os.remove("$work/failure.txt")
    for _, thread in ipairs(threads) do
      for id, _ in pairs(thread:get("pending")) do p:write(id, "\n") end
      for status, n in pairs(thread:get("statuses")) do
        counts[status] = (counts[status] or 0) + n
      end
      for discount, n in pairs(thread:get("discounts")) do
        discounts[discount] = (discounts[discount] or 0) + n
      end
      local failure = thread:get("failure")
      if failure ~= nil then
        local o = io.open("$work/failure.txt", "w")
        o:write(failure)
        o:close()
      end
      local body = thread:get("other")
      if body ~= nil and other == nil then
        other = body
        local o = io.open("$work/other.json", "w")
        o:write(body)
        o:close()
      end
    end
    p:close()
    for status, n in pairs(counts) do
      out:write("status_", status, " ", n, "\n")
      if status == 201 then ok = n end
    end
    for discount, n in pairs(discounts) do
      out:write("discount_", discount, " ", n, "\n")
    end
    line = string.format("%.0f commits/s (201s), ", ok / seconds) .. line
  end
  out:write("errors ", errors, "\n")
  out:close()
  io.write("RESULT ", line, "\n")
end
LUA
}

# run_wrk MODE PORT...: DURATION seconds of load; prints wrk's report and one RESULT line.
run_wrk() {
  local mode=$1; shift
  wrk_script "$mode" "$@"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency \
    -s "$work/$mode.lua" "http://127.0.0.1:$1/v1/$([ "$mode" = evaluate ] && echo evaluate || echo redemptions)" \
    | tee "$work/wrk-$mode.txt"
}

# commit_part MODE PORT...: DURATION seconds of commits (MODE redeem or spread) on the hosts
# PORT..., checked on what they added to the stats; the RESULT line in $result.
commit_part() {
  local mode=$1; shift
  python3 "$work/cluster.py" snapshot "$work" "$mode" "$@"
  run_wrk "$mode" "$@"
  result=$(grep '^RESULT' "$work/wrk-$mode.txt" | sed 's/^RESULT //')
  python3 "$work/cluster.py" reconcile "$work" "$work/results.txt" "$hot" "$mode" "$@"
}

if [ -n "$PORT" ]; then
  port_a=$PORT port_b=$((PORT + 1)) port_s=$((PORT + 2))
else
  port_a=$(free_port) port_b=$(free_port) port_s=$(free_port)
fi
echo "== two hosts on 127.0.0.1:$port_a and :$port_b, one PostgreSQL (…@${DATABASE_URL#*@})"
start a "$port_a" "$DATABASE_URL"
start b "$port_b" "$DATABASE_URL"
ready "$port_a" a
ready "$port_b" b
echo "creating 1,021 campaigns through the first host"
python3 "$work/cluster.py" setup "$port_a" "$work"
python3 "$work/cluster.py" check-evaluate "$port_a" "$port_b"
hot=$(python3 "$work/cluster.py" hot-discount "$port_b")
echo "  hot basket: one campaign applies, discount $hot"

result_a="not run" result_b="not run" result_c="not run" result_d="not run"
if want a; then
  echo
  echo "== (a) POST /v1/evaluate on both hosts: ${DURATION}s, $THREADS threads, $CONNECTIONS connections (hosts, PostgreSQL and wrk share $(nproc) cores)"
  before_a=$(python3 "$work/cluster.py" evaluations "$port_a")
  before_b=$(python3 "$work/cluster.py" evaluations "$port_b")
  run_wrk evaluate "$port_a" "$port_b"
  after_a=$(python3 "$work/cluster.py" evaluations "$port_a")
  after_b=$(python3 "$work/cluster.py" evaluations "$port_b")
  result_a=$(grep '^RESULT' "$work/wrk-evaluate.txt" | sed 's/^RESULT //')
  echo "  evaluations served: first host $((after_a - before_a)), second host $((after_b - before_b))"
fi

if want b; then
  echo
  echo "== (b) POST /v1/redemptions on one hot budget row, both hosts: ${DURATION}s, $THREADS threads, $CONNECTIONS connections"
  commit_part redeem "$port_a" "$port_b"
  result_b=$result
fi

if want c; then
  echo
  echo "== (c) POST /v1/redemptions spread over 20 budgeted campaigns, both hosts: ${DURATION}s, $THREADS threads, $CONNECTIONS connections"
  commit_part spread "$port_a" "$port_b"
  result_c=$result
fi
stop_servers

result_e="skipped: this build has no --budget-leases" result_f=$result_e
if ! want e && ! want f; then
  result_e="not run" result_f="not run"
elif "$work/remise" serve --help | grep -q -- --budget-leases; then
  # New order ids: those of (b) and (c) are committed already.
  run_id="$run_id-leased"
  echo
  echo "== (e) and (f): the hosts again, with --budget-leases"
  start a "$port_a" "$DATABASE_URL" --budget-leases
  start b "$port_b" "$DATABASE_URL" --budget-leases
  ready "$port_a" a
  ready "$port_b" b
  if want e; then
    echo "== (e) POST /v1/redemptions on one hot budget row, leased, both hosts: ${DURATION}s, $THREADS threads, $CONNECTIONS connections"
    commit_part redeem "$port_a" "$port_b"
    result_e=$result
  fi
  if want f; then
    echo
    echo "== (f) POST /v1/redemptions spread over 20 budgeted campaigns, leased, both hosts: ${DURATION}s, $THREADS threads, $CONNECTIONS connections"
    commit_part spread "$port_a" "$port_b"
    result_f=$result
  fi
  stop_servers
fi

if want d; then
  echo
  echo "== (d) the hot-row commits on one host over a fresh SQLite file (127.0.0.1:$port_s)"
  start s "$port_s" "sqlite://$work/load.db"
  ready "$port_s" s
  echo "creating 1,021 campaigns"
  python3 "$work/cluster.py" setup "$port_s" "$work"
  commit_part redeem "$port_s"
  result_d=$result
  stop_servers
fi

echo
echo "== summary (${DURATION}s each, $THREADS wrk threads, $CONNECTIONS connections, $(nproc) cores shared by everything)"
echo "  (a) evaluate, 2 hosts + PostgreSQL:      $result_a"
echo "  (b) hot-row commits, 2 hosts + PostgreSQL: $result_b"
echo "  (c) 20-campaign commits, 2 hosts + PostgreSQL: $result_c"
echo "  (d) hot-row commits, 1 host + SQLite:    $result_d"
echo "  (e) hot-row commits, leased, 2 hosts + PostgreSQL: $result_e"
echo "  (f) 20-campaign commits, leased, 2 hosts + PostgreSQL: $result_f"
