// The functions that key the server's field errors by their JSON pointers, fed pointers a
// hostile or broken server could send: none may write into Object.prototype (or any other
// prototype), and a field named like a prototype key still gets its error. Run by node's test
// runner (`npm run test:unit`), which tests/tests/console.rs runs as part of the test suite.
import { afterEach, test } from "node:test";
import assert from "node:assert/strict";
import { errorsByPointer } from "../src/api.js";
import { addError, errorSchema, paramsErrorSchema, pointerTokens } from "../src/paramsForm.js";

/** Pointers that walk into a prototype when each token is an ordinary object's key. */
const HOSTILE = [
  "__proto__",
  "constructor",
  "/__proto__",
  "/__proto__/x",
  "/__proto__/polluted",
  "/constructor/prototype/y",
  "/constructor/prototype/polluted",
  "/params/__proto__",
  "/params/__proto__/polluted",
  "/params/__proto__/__proto__/polluted",
  "/params/constructor",
  "/params/constructor/prototype/polluted",
  "/params/prototype/polluted",
  "/params/tiers/__proto__/polluted",
  "/params/__errors/__proto__/polluted",
];

const errors = HOSTILE.map((pointer) => ({ pointer, message: "bad" }));

/** Whatever a prototype could have been given by the pointers above. */
function assertUnpolluted() {
  for (const name of ["x", "y", "polluted", "__errors"]) {
    assert.equal({}[name], undefined, `Object.prototype.${name}`);
    assert.equal(Object[name], undefined, `Object.${name}`);
    assert.equal([][name], undefined, `Array.prototype.${name}`);
    assert.equal(Function.prototype[name], undefined);
  }
  assert.equal(Object.getPrototypeOf({}), Object.prototype);
}

afterEach(() => {
  // A failing test must not make the next one fail for its pollution.
  for (const name of ["x", "y", "polluted", "__errors"]) {
    delete Object.prototype[name];
    delete Object[name];
  }
});

for (const pointer of HOSTILE) {
  test(`the pointer ${JSON.stringify(pointer)} writes into no prototype`, () => {
    const one = [{ pointer, message: "bad" }];
    assert.deepEqual(errorsByPointer({ errors: one })[pointer], ["bad"]);
    assertUnpolluted();
    paramsErrorSchema(one);
    assertUnpolluted();
  });
}

test("errorsByPointer keys each message by its pointer", () => {
  const map = errorsByPointer({
    errors: [...errors, { pointer: "/name", message: "too long" }],
  });
  assertUnpolluted();
  assert.deepEqual(map["/name"], ["too long"]);
  assert.deepEqual(map["__proto__"], ["bad"]);
  assert.deepEqual(map["constructor"], ["bad"]);
  assert.deepEqual(map["/params/__proto__/polluted"], ["bad"]);
  // A pointer the server did not send reads nothing, not an inherited member.
  assert.equal(map["toString"], undefined);
  assert.equal(map["hasOwnProperty"], undefined);
});

test("paramsErrorSchema places each /params error at its field", () => {
  const schema = paramsErrorSchema([
    ...errors,
    { pointer: "/params/tiers/0/percent_off", message: "must be at most 100" },
    { pointer: "/params", message: "params refused" },
    { pointer: "/name", message: "not a params error" },
  ]);
  assertUnpolluted();
  assert.deepEqual(schema.tiers[0].percent_off.__errors, ["must be at most 100"]);
  assert.deepEqual(schema.__errors, ["bad", "params refused"], "a path stops at __errors");
  assert.equal(schema.name, undefined);
  // A field called "constructor" or "prototype" is a field like another.
  assert.deepEqual(schema.constructor.__errors, ["bad"]);
  assert.deepEqual(schema.constructor.prototype.polluted.__errors, ["bad"]);
  assert.deepEqual(schema.prototype.polluted.__errors, ["bad"]);
  assert.deepEqual(Object.keys(schema["__proto__"]).sort(), ["__errors", "__proto__", "polluted"]);
  assert.equal(schema.toString, undefined, "no inherited member looks like a field");
});

test("addError keeps every token an ordinary key", () => {
  const root = errorSchema();
  for (const path of [["__proto__", "polluted"], ["constructor", "prototype", "y"], ["x"]]) {
    addError(root, path, "m");
  }
  addError(root, [], "at the root");
  assertUnpolluted();
  assert.deepEqual(root.__errors, ["at the root"]);
  assert.deepEqual(root.x.__errors, ["m"]);
  assert.deepEqual(root["__proto__"].polluted.__errors, ["m"]);
  assert.deepEqual(root.constructor.prototype.y.__errors, ["m"]);
});

test("pointerTokens unescapes ~1 and ~0, in that order", () => {
  assert.deepEqual(pointerTokens(""), []);
  assert.deepEqual(pointerTokens("/"), [""]);
  assert.deepEqual(pointerTokens("/tiers/0/a~1b"), ["tiers", "0", "a/b"]);
  assert.deepEqual(pointerTokens("/~01"), ["~1"]);
});
