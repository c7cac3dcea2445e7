import { test } from "node:test";
import assert from "node:assert/strict";
import {
  basketLines,
  campaignRows,
  dayChart,
  defaultWindow,
  draftBody,
  emptyForm,
  fieldOf,
  fillDays,
  isRunning,
  knownZone,
  launchRequest,
  launchable,
  parseDrafts,
  placeErrors,
  requestOf,
  touchedPercent,
  windowZone,
} from "../src/simulation.js";

/** A stored draft as GET /v1/campaigns answers it. */
const stored = {
  id: "twenty-from-50",
  name: "20 % dès 50 €",
  plugin: "threshold-discount",
  params: { tiers: [{ min_subtotal: "50", percent_off: "20" }] },
  status: "draft",
  schedule: { days_of_week: [], hours: [] },
  audience: { channels: ["web"] },
  coupon_required: false,
  priority: 100,
  exclusive: false,
  limits: { budget: "30.00", budget_currency: "EUR" },
  revision: 3,
  created_at: "2026-11-01T09:00:00Z",
  updated_at: "2026-11-01T10:00:00Z",
  set_aside: null,
};

/** The form once the draft is picked and a window typed in Paris. */
const form = (changes = {}) => ({
  ...emptyForm(new Date("2026-11-10T12:00:00Z"), "Europe/Paris"),
  picked: ["twenty-from-50"],
  from: "2026-11-02T00:00",
  to: "2026-11-09T00:00",
  ...changes,
});

test("the window offered is the last 7 days up to the next minute, in the zone given", () => {
  assert.deepEqual(defaultWindow(new Date("2026-11-10T12:34:56Z"), "Europe/Paris"), {
    from: "2026-11-03T13:35",
    to: "2026-11-10T13:35",
  });
  assert.deepEqual(defaultWindow(new Date("2026-07-01T00:00:00Z"), "UTC"), {
    from: "2026-06-24T00:01",
    to: "2026-07-01T00:01",
  });
  const empty = emptyForm(new Date("2026-11-10T12:34:56Z"), "UTC");
  assert.equal(empty.source, "orders");
  assert.equal(empty.timezone, "UTC");
  assert.deepEqual(empty.picked, []);
});

test("a zone Intl does not know is not used to read the window", () => {
  assert.equal(knownZone("Europe/Paris"), true);
  assert.equal(knownZone("Mars/Olympus"), false);
  assert.equal(knownZone(""), false);
  assert.equal(windowZone(" Europe/Paris "), "Europe/Paris");
  assert.equal(windowZone("Mars/Olympus"), windowZone(""), "the browser's zone instead");
});

test("a stored campaign becomes a campaign body: the server's fields left out, a copy", () => {
  const body = draftBody(/** @type {any} */ (stored));
  assert.deepEqual(Object.keys(body).sort(), [
    "audience",
    "coupon_required",
    "exclusive",
    "id",
    "limits",
    "name",
    "params",
    "plugin",
    "priority",
    "schedule",
    "status",
  ]);
  body.params.tiers[0].percent_off = "99";
  assert.equal(stored.params.tiers[0].percent_off, "20", "the stored campaign is untouched");
});

test("pasted drafts: one body, a list of them, nothing, or why not", () => {
  assert.deepEqual(parseDrafts("  "), { drafts: [], error: null, detail: "" });
  assert.deepEqual(parseDrafts('{"id": "a"}').drafts, [{ id: "a" }]);
  assert.deepEqual(parseDrafts('[{"id": "a"}, {"id": "b"}]').drafts, [{ id: "a" }, { id: "b" }]);
  const broken = parseDrafts("{id: a}");
  assert.equal(broken.error, "json");
  assert.ok(broken.detail.length > 0);
  assert.deepEqual(parseDrafts('[{"id": "a"}, 3]'), { drafts: [], error: "shape", detail: "2" });
  assert.equal(parseDrafts("null").error, "shape");
});

test("the request of a window of orders: the drafts picked and pasted, wall-clock times in the zone", () => {
  const { body, problems } = requestOf(
    form({ pasted: '{"id": "pasted", "name": "P", "plugin": "free-gift", "params": {}}' }),
    [/** @type {any} */ (stored)],
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(
    body.drafts.map((d) => d.id),
    ["twenty-from-50", "pasted"],
  );
  assert.deepEqual(body.baskets, {
    orders: { from: "2026-11-02T00:00:00+01:00", to: "2026-11-09T00:00:00+01:00" },
  });
  assert.equal(body.timezone, "Europe/Paris");
  assert.equal("currency" in body, false, "no currency typed, none sent");
  const journal = requestOf(form({ source: "journal", currency: " eur ", timezone: "" }), [
    /** @type {any} */ (stored),
  ]).body;
  assert.ok(journal.baskets.journal, "a window of the journal");
  assert.equal(journal.currency, "EUR");
  assert.equal("timezone" in journal, false);
});

test("the request of an NDJSON file sends its text as read", () => {
  const text = '{"currency":"EUR","lines":[]}\n\n{"currency":"EUR","lines":[]}\n';
  const { body, problems } = requestOf(form({ source: "ndjson", ndjson: text }), [
    /** @type {any} */ (stored),
  ]);
  assert.deepEqual(problems, []);
  assert.deepEqual(body.baskets, { ndjson: text });
  assert.equal(basketLines(text), 2);
  assert.equal(basketLines(""), 0);
});

test("what keeps the request from being sent is said next to its field", () => {
  const fields = (/** @type {any} */ f) =>
    requestOf(f, [/** @type {any} */ (stored)]).problems.map((p) => [p.field, p.key]);
  assert.deepEqual(fields(form({ picked: [] })), [["drafts", "simulation.noDrafts"]]);
  assert.deepEqual(fields(form({ picked: ["gone"] })), [["drafts", "simulation.noDrafts"]]);
  assert.deepEqual(fields(form({ pasted: "[1" })), [["drafts", "simulation.pastedNotJson"]]);
  assert.deepEqual(fields(form({ pasted: "[1]" })), [["drafts", "simulation.pastedNotCampaign"]]);
  assert.deepEqual(fields(form({ source: "ndjson", ndjson: " \n" })), [
    ["ndjson", "simulation.noFile"],
  ]);
  assert.deepEqual(fields(form({ from: "", to: "" })), [
    ["from", "simulation.required"],
    ["to", "simulation.required"],
  ]);
  assert.deepEqual(fields(form({ to: "2026-11-02T00:00" })), [["to", "simulation.windowOrder"]]);
  assert.equal(requestOf(form({ picked: [] }), []).body, null);
});

test("the API's pointers name the field they are shown next to", () => {
  assert.equal(fieldOf("/drafts"), "drafts");
  assert.equal(fieldOf("/drafts/0/params/tiers/0/percent_off"), "drafts");
  assert.equal(fieldOf("/baskets/orders/to"), "to");
  assert.equal(fieldOf("/baskets/journal/from"), "from");
  assert.equal(fieldOf("/baskets/orders"), "source");
  assert.equal(fieldOf("/baskets"), "source");
  assert.equal(fieldOf("/baskets/ndjson"), "ndjson");
  assert.equal(fieldOf("/currency"), "currency");
  assert.equal(fieldOf("/timezone"), "timezone");
  assert.equal(fieldOf("/draftsy"), null);
  assert.equal(fieldOf(""), null);
  assert.equal(fieldOf("/__proto__"), null);
  assert.equal(fieldOf(/** @type {any} */ (undefined)), null);
});

test("a draft's error names the draft; errors of no field are left to the banner", () => {
  const { byField, shown } = placeErrors(
    [
      { pointer: "/drafts/0/params/tiers/0/percent_off", message: "must be at most 100" },
      { pointer: "/drafts/1/id", message: "taken" },
      { pointer: "/drafts", message: "must list 1 to 20 draft campaigns" },
      { pointer: "/baskets/ndjson", message: "line 2: /lines/0/quantity: must be above 0" },
      { pointer: "/timezone", message: "not a zone" },
      { pointer: "/something", message: "else" },
    ],
    [{ id: "twenty-from-50" }, "not a campaign"],
  );
  assert.deepEqual(byField.drafts, [
    "twenty-from-50 /params/tiers/0/percent_off: must be at most 100",
    "#2 /id: taken",
    "must list 1 to 20 draft campaigns",
  ]);
  assert.deepEqual(byField.ndjson, ["line 2: /lines/0/quantity: must be above 0"]);
  assert.deepEqual(byField.timezone, ["not a zone"]);
  assert.deepEqual(byField.to, []);
  assert.ok(!shown.includes("/something"));
  assert.equal(shown.length, 5);
  assert.deepEqual(placeErrors(null).shown, []);
});

const slice = (key, baskets, touched, drafts, change) => ({
  key,
  baskets,
  touched,
  drafts,
  change,
});

test("the days between the first and the last show, those without baskets as zeros", () => {
  const days = fillDays([
    slice("2026-11-02", 4, 2, "40.00", "20.00"),
    slice("2026-11-04", 2, 1, "5.50", "-1.00"),
  ]);
  assert.deepEqual(
    days.map((d) => [d.key, d.baskets, d.drafts]),
    [
      ["2026-11-02", 4, "40.00"],
      ["2026-11-03", 0, "0.00"],
      ["2026-11-04", 2, "5.50"],
    ],
  );
  // Across the end of October (a change of offset in Paris: the keys are calendar days).
  assert.deepEqual(
    fillDays([slice("2026-10-24", 1, 0, "0", "0"), slice("2026-10-26", 1, 0, "0", "0")]).map(
      (d) => d.key,
    ),
    ["2026-10-24", "2026-10-25", "2026-10-26"],
  );
  assert.deepEqual(fillDays([]), []);
  const far = [slice("2025-01-01", 1, 0, "0", "0"), slice("2026-12-31", 1, 0, "0", "0")];
  assert.equal(fillDays(far).length, 2, "over 400 days, as given");
  const odd = [slice("someday", 1, 0, "0", "0"), slice("2026-12-31", 1, 0, "0", "0")];
  assert.deepEqual(fillDays(odd), odd);
});

test("the chart's series are the drafts' discount, the change and the baskets touched", () => {
  const chart = dayChart([
    slice("2026-11-02", 4, 2, "40.00", "20.00"),
    slice("2026-11-03", 4, 0, "0.00", "-3.10"),
  ]);
  assert.deepEqual(chart, {
    keys: ["2026-11-02", "2026-11-03"],
    drafts: [40, 0],
    change: [20, -3.1],
    touched: [2, 0],
  });
});

test("the campaigns: drafts first, a displaced live campaign and one that runs out marked", () => {
  const live = {
    campaign: "site-10",
    draft: false,
    applied: 8,
    discount: "80.00",
    displaced: 2,
    displaced_discount: "20.00",
  };
  const other = { ...live, campaign: "other", displaced: 0, displaced_discount: "0.00" };
  const draft = {
    campaign: "site-20",
    draft: true,
    applied: 2,
    discount: "40.00",
    displaced: 0,
    displaced_discount: "0.00",
    runs_out_on: "2026-11-02",
    runs_out_after: 3,
  };
  const rows = campaignRows([live, draft, other]);
  assert.deepEqual(
    rows.map((r) => [r.campaign, r.isDisplaced, r.runsOut]),
    [
      ["site-20", false, true],
      ["site-10", true, false],
      ["other", false, false],
    ],
  );
  assert.deepEqual(campaignRows(undefined), []);
});

test("the share of baskets touched, one decimal", () => {
  assert.equal(touchedPercent(2, 10), 20);
  assert.equal(touchedPercent(1, 3), 33.3);
  assert.equal(touchedPercent(0, 0), 0);
});

test("a job is polled while it runs", () => {
  assert.equal(isRunning("running"), true);
  for (const status of ["done", "cancelled", "failed", "abandoned", undefined]) {
    assert.equal(isRunning(status), false);
  }
});

test("a draft is launched as a new campaign, or replaces the one of its id at its revision", () => {
  const draft = draftBody(/** @type {any} */ (stored));
  const created = launchRequest(draft, "active", null);
  assert.equal(created.method, "POST");
  assert.equal(created.body.status, "active");
  assert.equal(draft.status, "draft", "the draft as simulated is untouched");
  const replaced = launchRequest(draft, "draft", /** @type {any} */ ({ ...stored, revision: 4 }));
  assert.deepEqual(
    { method: replaced.method, id: replaced.id, revision: replaced.revision },
    { method: "PUT", id: "twenty-from-50", revision: 4 },
  );
  assert.equal(replaced.body.status, "draft");
  assert.deepEqual(replaced.body.params, stored.params);
  assert.deepEqual(launchable([{ id: "a" }, null, "x", [1], { name: "no id" }, { id: 3 }]), [
    { id: "a" },
  ]);
  assert.deepEqual(launchable(undefined), []);
});
