// formSchema and cleanParams copy a plugin's schema and a campaign's params key by key: a key
// "__proto__" (JSON.parse keeps it as data) must stay a key, not become the copy's prototype.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cleanParams, formSchema } from "../src/paramsForm.js";

test("a __proto__ key in a schema stays a key of the form's schema", () => {
  const schema = JSON.parse(
    '{"type":"object","properties":{"__proto__":{"type":["string","null"],"default":null}}}',
  );
  const form = formSchema(schema);
  assert.equal(Object.getPrototypeOf(form.properties), Object.prototype);
  assert.deepEqual(Object.keys(form.properties), ["__proto__"]);
  assert.deepEqual(Object.getOwnPropertyDescriptor(form.properties, "__proto__").value, {
    type: "string",
  });
  assert.equal({}.type, undefined);
});

test("a __proto__ key in params is kept and sent as it came", () => {
  const params = JSON.parse('{"__proto__":{"polluted":"yes"},"tiers":[{"x":"1","y":""}]}');
  const cleaned = cleanParams(params);
  assert.equal(Object.getPrototypeOf(cleaned), Object.prototype);
  assert.equal(cleaned.polluted, undefined, "not inherited");
  assert.equal(JSON.stringify(cleaned), '{"__proto__":{"polluted":"yes"},"tiers":[{"x":"1"}]}');
  assert.equal({}.polluted, undefined);
});
