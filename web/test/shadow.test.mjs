import { test } from "node:test";
import assert from "node:assert/strict";
import { divergences, samplePercent, shadowCandidates } from "../src/shadow.js";

test("every loaded version but the current one may shadow, newest first", () => {
  const plugin = {
    latest: "1.0.0",
    versions: [{ version: "1.0.0" }, { version: "1.0.1" }, { version: "1.0.2" }],
  };
  assert.deepEqual(shadowCandidates(plugin), ["1.0.2", "1.0.1"]);
  assert.deepEqual(shadowCandidates({ latest: "1.0.0", versions: [{ version: "1.0.0" }] }), []);
});

test("the sample percent is a whole number from 1 to 100", () => {
  assert.equal(samplePercent("10"), 10);
  assert.equal(samplePercent(" 100 "), 100);
  for (const bad of ["0", "101", "5.5", "", "-3", "abc"]) assert.equal(samplePercent(bad), null);
});

test("an example's campaigns are read whatever their shape", () => {
  assert.deepEqual(
    divergences([
      {
        campaign: "c",
        kinds: ["amounts"],
        live: { outcome: "applied", discount: "10.00" },
        shadow: { outcome: "applied", discount: "20.00" },
      },
      null,
      { campaign: "d" },
    ]),
    [
      {
        campaign: "c",
        kinds: ["amounts"],
        live: { outcome: "applied", discount: "10.00" },
        shadow: { outcome: "applied", discount: "20.00" },
      },
      { campaign: "d", kinds: [], live: { outcome: "not_run" }, shadow: { outcome: "not_run" } },
    ],
  );
});
