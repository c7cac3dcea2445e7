import { test } from "node:test";
import assert from "node:assert/strict";
import { kindOf, lookUp, pluginAt, shortSha, totalsOf } from "../src/journal.js";

const missing = () => Promise.reject(Object.assign(new Error("not found"), { status: 404 }));

test("an id that starts with ev_ is an evaluation, anything else an order first", () => {
  assert.equal(kindOf("ev_19c7f2a3b10_5e0c13a72a"), "evaluation");
  assert.equal(kindOf("  ev_1 "), "evaluation");
  assert.equal(kindOf("web-100234"), "order");
  assert.equal(kindOf("EV_1"), "order");
  assert.equal(kindOf(""), null);
  assert.equal(kindOf("   "), null);
});

test("an evaluation id is looked up among the evaluations only", async () => {
  const asked = [];
  const found = await lookUp(" ev_1 ", {
    order: (id) => (asked.push(["order", id]), Promise.resolve({ order_id: id })),
    evaluation: (id) => (asked.push(["evaluation", id]), Promise.resolve({ evaluation_id: id })),
  });
  assert.deepEqual(found, { kind: "evaluation", entry: { evaluation_id: "ev_1" } });
  assert.deepEqual(asked, [["evaluation", "ev_1"]]);
});

test("an order id is found among the orders, without asking for an evaluation", async () => {
  const asked = [];
  const found = await lookUp("order-1", {
    order: (id) => (asked.push(["order", id]), Promise.resolve({ order_id: id })),
    evaluation: (id) => (asked.push(["evaluation", id]), Promise.resolve({ evaluation_id: id })),
  });
  assert.deepEqual(found, { kind: "order", entry: { order_id: "order-1" } });
  assert.deepEqual(asked, [["order", "order-1"]]);
});

test("no order of that id: the evaluations are asked, then nothing is found", async () => {
  const fallback = await lookUp("legacy-42", {
    order: missing,
    evaluation: (id) => Promise.resolve({ evaluation_id: id }),
  });
  assert.deepEqual(fallback, { kind: "evaluation", entry: { evaluation_id: "legacy-42" } });
  assert.deepEqual(await lookUp("nope", { order: missing, evaluation: missing }), {
    kind: "none",
  });
  assert.deepEqual(await lookUp("ev_gone", { order: missing, evaluation: missing }), {
    kind: "none",
  });
  assert.deepEqual(await lookUp("  ", { order: missing, evaluation: missing }), { kind: "none" });
});

test("an error other than 404 is thrown, not taken for nothing found", async () => {
  const down = () => Promise.reject(Object.assign(new Error("down"), { status: 503 }));
  await assert.rejects(lookUp("order-1", { order: down, evaluation: missing }), /down/);
  await assert.rejects(lookUp("order-1", { order: missing, evaluation: down }), /down/);
  await assert.rejects(lookUp("ev_1", { order: missing, evaluation: down }), /down/);
});

test("a SHA-256 is shortened to 12 digits, a plugin named with its version", () => {
  assert.equal(shortSha("0123456789abcdef".repeat(4)), "0123456789ab");
  assert.equal(shortSha(undefined), "");
  assert.equal(pluginAt("free-gift", "1.0.2"), "free-gift@1.0.2");
  assert.equal(pluginAt("free-gift", null), "free-gift");
});

test("an answer's totals are read whatever its shape", () => {
  assert.deepEqual(
    totalsOf({ currency: "EUR", subtotal: "118.80", discount_total: "11.88", total: "106.92" }),
    { currency: "EUR", subtotal: "118.80", discount_total: "11.88", total: "106.92" },
  );
  const none = { currency: null, subtotal: null, discount_total: null, total: null };
  assert.deepEqual(totalsOf(null), none);
  assert.deepEqual(totalsOf([1, 2]), none);
  assert.deepEqual(totalsOf({ currency: 3, total: {} }), none);
  assert.deepEqual(totalsOf({ total: 12 }), { ...none, total: "12" });
});
