// The CSV the console builds in the browser (codes handed out, every code of a campaign) and
// the shares of the personal codes' report as percentages. Run by node's test runner
// (`npm run test:unit`), which tests/tests/console.rs runs as part of the test suite.
import { test } from "node:test";
import assert from "node:assert/strict";
import { csvField, csvLine } from "../src/csv.js";
import { formatShare } from "../src/i18n/format.js";

test("a field is quoted only when it holds a comma, a quote or a line break", () => {
  assert.equal(csvField("VIP-7K3M9Q2XJ4HD"), "VIP-7K3M9Q2XJ4HD");
  assert.equal(csvField(12), "12");
  assert.equal(csvField(undefined), "");
  assert.equal(csvField(null), "");
  assert.equal(csvField("c,1042"), '"c,1042"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField("two\nlines"), '"two\nlines"');
  assert.equal(csvField("cr\r"), '"cr\r"');
});

test("a line joins its fields with commas", () => {
  assert.equal(csvLine(["customer", "code"]), "customer,code");
  assert.equal(csvLine(["c,1", "X", null]), '"c,1",X,');
});

test("a fraction is shown as a percentage, its digits kept", () => {
  const nbsp = "\u00a0";
  assert.equal(formatShare("fr-FR", "0.3333"), `33,33${nbsp}%`);
  assert.equal(formatShare("fr-FR", "0"), `0${nbsp}%`);
  assert.equal(formatShare("en", "0.3333"), "33.33%");
  assert.equal(formatShare("en", "0.2500"), "25%");
  assert.equal(formatShare("en", "1.0000"), "100%");
  assert.equal(formatShare("en", "0.05"), "5%");
  assert.equal(formatShare("en", "0.1"), "10%");
  assert.equal(formatShare("en", 0.5), "50%");
  assert.equal(formatShare("en", "n/a"), "n/a");
});
