// A campaign's history as the console shows it (src/history.js): the two revisions compared
// at first, a choice that keeps "from" older than "to", and the diff's values as compact
// JSON. Run by node's test runner (`npm run test:unit`), as tests/tests/console.rs does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { choose, compactJson, defaultPair } from "../src/history.js";

const listed = (...numbers) => numbers.map((revision) => ({ revision, action: "replaced" }));

test("the newest revision and the one before are compared at first", () => {
  assert.deepEqual(defaultPair(listed(5, 4, 3, 2, 1)), { from: 4, to: 5 });
  // A history that starts later (the revision stored before history was kept).
  assert.deepEqual(defaultPair(listed(9, 8)), { from: 8, to: 9 });
  // Whatever the order of the list.
  assert.deepEqual(defaultPair(listed(1, 3, 2)), { from: 2, to: 3 });
  assert.equal(defaultPair(listed(1)), null);
  assert.equal(defaultPair([]), null);
});

test("a revision chosen keeps from older than to, moving the other side when it must", () => {
  const revisions = listed(5, 4, 3, 2, 1);
  assert.deepEqual(choose(revisions, { from: 4, to: 5 }, "from", 1), { from: 1, to: 5 });
  assert.deepEqual(choose(revisions, { from: 1, to: 5 }, "to", 3), { from: 1, to: 3 });
  // From past to: to moves to the next revision; to before from: from moves to the one before.
  assert.deepEqual(choose(revisions, { from: 1, to: 3 }, "from", 3), { from: 3, to: 4 });
  assert.deepEqual(choose(revisions, { from: 3, to: 4 }, "to", 2), { from: 1, to: 2 });
  // Nothing newer than the newest, nothing older than the oldest: unchanged.
  assert.deepEqual(choose(revisions, { from: 3, to: 4 }, "from", 5), { from: 3, to: 4 });
  assert.deepEqual(choose(revisions, { from: 3, to: 4 }, "to", 1), { from: 3, to: 4 });
});

test("values are written as JSON on one line; no value is empty, null is null", () => {
  assert.equal(compactJson("Soldes d'hiver"), '"Soldes d\'hiver"');
  assert.equal(
    compactJson({ budget: "500.00", partial: false }),
    '{"budget":"500.00","partial":false}',
  );
  assert.equal(compactJson(["sat", "sun"]), '["sat","sun"]');
  assert.equal(compactJson(null), "null");
  assert.equal(compactJson(0), "0");
  assert.equal(compactJson(undefined), "");
});
