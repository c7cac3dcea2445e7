// The parameters form's validator (src/schemaValidator.js) on the schemas plugins publish, as
// the form gets them (formSchema): errors at their field in the console's words, anyOf and
// $ref as schemars writes them, and no code made from a string. `npm run test:unit` runs
// this file with V8's --disallow-code-generation-from-strings, as the console's Content
// Security Policy (no 'unsafe-eval') runs it in a browser: eval and new Function throw.
import { test } from "node:test";
import assert from "node:assert/strict";
import { schemaValidator } from "../src/schemaValidator.js";
import { formSchema } from "../src/paramsForm.js";
import { translate } from "../src/i18n/translate.js";

/** A null-prototype error schema as plain JSON, to compare with a literal. */
const plain = (value) => JSON.parse(JSON.stringify(value));

const fr = schemaValidator((key, params) => translate("fr", "fr-FR", key, params));
const en = schemaValidator((key, params) => translate("en", "en-GB", key, params));

const DECIMAL = { pattern: "^-?\\d+(\\.\\d+)?([eE]\\d+)?$", type: ["string", "number"] };
const OPTIONAL_DECIMAL = { ...DECIMAL, type: ["string", "number", "null"], default: null };

/** threshold-discount's params schema, as the plugin publishes it (trimmed of descriptions). */
const THRESHOLD = formSchema({
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $defs: {
    Tier: {
      additionalProperties: false,
      properties: {
        amount_off: OPTIONAL_DECIMAL,
        min_subtotal: DECIMAL,
        percent_off: OPTIONAL_DECIMAL,
      },
      required: ["min_subtotal"],
      type: "object",
    },
  },
  additionalProperties: false,
  properties: {
    categories: { default: [], items: { type: "string" }, type: "array" },
    tiers: { items: { $ref: "#/$defs/Tier" }, type: "array" },
  },
  required: ["tiers"],
  type: "object",
});

/** loyalty-reward's: an optional object is anyOf [$ref, null]; a map is additionalProperties. */
const LOYALTY = formSchema({
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $defs: {
    Birthday: {
      additionalProperties: false,
      properties: {
        gift_quantity: { default: null, format: "uint32", minimum: 0, type: ["integer", "null"] },
        percent_off: OPTIONAL_DECIMAL,
        window_days: { format: "uint32", minimum: 0, type: "integer" },
      },
      required: ["window_days"],
      type: "object",
    },
    Reward: {
      additionalProperties: false,
      properties: { percent_off: OPTIONAL_DECIMAL, gift_sku: { type: ["string", "null"] } },
      type: "object",
    },
  },
  additionalProperties: false,
  properties: {
    birthday: { anyOf: [{ $ref: "#/$defs/Birthday" }, { type: "null" }], default: null },
    tiers: { additionalProperties: { $ref: "#/$defs/Reward" }, type: "object" },
  },
  required: ["tiers"],
  type: "object",
});

test("this runner refuses code made from a string, as the console's policy does", () => {
  assert.throws(() => new Function("return 1"), EvalError);
  assert.throws(() => (0, eval)("1"), EvalError);
});

test("valid params have no error", () => {
  const params = { tiers: [{ min_subtotal: "100", percent_off: "10" }], categories: [] };
  assert.deepEqual(plain(fr.validateFormData(params, THRESHOLD)), { errors: [], errorSchema: {} });
  assert.equal(fr.isValid(THRESHOLD, params, THRESHOLD), true);
});

test("an error is at its field, in the console's words, through a $ref", () => {
  const { errors, errorSchema } = fr.validateFormData(
    { tiers: [{ min_subtotal: "100" }, { min_subtotal: "cent", percent_off: "10" }] },
    THRESHOLD,
  );
  assert.deepEqual(errorSchema.tiers[1].min_subtotal.__errors, ["n'a pas la forme attendue"]);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].property, ".tiers.1.min_subtotal");
  assert.equal(errors[0].name, "pattern");
  const english = en.validateFormData({ tiers: [{ min_subtotal: "cent" }] }, THRESHOLD);
  assert.deepEqual(english.errorSchema.tiers[0].min_subtotal.__errors, [
    "is not in the expected form",
  ]);
});

test("a missing required field is reported at that field", () => {
  let { errorSchema } = fr.validateFormData({ tiers: [{ percent_off: "10" }] }, THRESHOLD);
  assert.deepEqual(errorSchema.tiers[0].min_subtotal.__errors, ["à renseigner"]);
  ({ errorSchema } = fr.validateFormData({}, THRESHOLD));
  assert.deepEqual(errorSchema.tiers.__errors, ["à renseigner"]);
  // Undefined, as the form leaves an emptied field, is absent, as in the JSON sent.
  ({ errorSchema } = fr.validateFormData({ tiers: [{ min_subtotal: undefined }] }, THRESHOLD));
  assert.deepEqual(errorSchema.tiers[0].min_subtotal.__errors, ["à renseigner"]);
});

test("of an anyOf, only the branch the value was meant for speaks", () => {
  const { errorSchema } = fr.validateFormData({ tiers: {}, birthday: {} }, LOYALTY);
  // Not "must stay empty" (the null branch) nor "matches none of the allowed forms".
  assert.deepEqual(plain(errorSchema), {
    birthday: { window_days: { __errors: ["à renseigner"] } },
  });
  const nothing = fr.validateFormData({ tiers: {}, birthday: 3 }, LOYALTY).errorSchema;
  assert.deepEqual(nothing.birthday.__errors, ["ne correspond à aucune des formes permises"]);
  assert.deepEqual(fr.validateFormData({ tiers: {}, birthday: null }, LOYALTY).errors, []);
});

test("isValid resolves the $refs of a subschema in the root schema, as the form asks", () => {
  const birthday = LOYALTY.properties.birthday.anyOf[0];
  assert.deepEqual(birthday, { $ref: "#/$defs/Birthday" });
  assert.equal(fr.isValid(birthday, { window_days: 3 }, LOYALTY), true);
  assert.equal(fr.isValid(birthday, {}, LOYALTY), false);
  assert.equal(fr.isValid(birthday, null, LOYALTY), false);
  assert.equal(fr.isValid({ type: "null" }, null, LOYALTY), true);
  // Again, the same schema objects: cfworker marks what it walks, on copies only.
  assert.equal(fr.isValid(birthday, { window_days: 3 }, LOYALTY), true);
  assert.deepEqual(
    plain(fr.validateFormData({ tiers: {}, birthday: { window_days: 3 } }, LOYALTY)),
    {
      errors: [],
      errorSchema: {},
    },
  );
  assert.deepEqual(Object.keys(birthday), ["$ref"]);
  // A $ref that resolves nowhere is no match, not a crash.
  assert.equal(fr.isValid({ $ref: "#/$defs/Nope" }, {}, LOYALTY), false);
});

test("limits, counts, formats and values are said with the schema's own", () => {
  const schema = {
    type: "object",
    properties: {
      percent: { type: "number", minimum: 0.5, maximum: 100 },
      above: { type: "integer", exclusiveMinimum: 0 },
      code: { type: "string", minLength: 1, maxLength: 3 },
      skus: { type: "array", minItems: 3, uniqueItems: true, items: { type: "string" } },
      day: { type: "string", format: "date" },
      tier: { enum: ["gold", "silver"] },
      count: { type: "integer" },
    },
  };
  const { errorSchema } = fr.validateFormData(
    {
      percent: 0.25,
      above: 0,
      code: "ABCD",
      skus: ["A", "A"],
      day: "31/12/2026",
      tier: "bronze",
      count: 1.5,
    },
    schema,
  );
  const messages = Object.fromEntries(
    Object.entries(errorSchema).map(([field, node]) => [field, node.__errors]),
  );
  assert.deepEqual(messages, {
    percent: ["doit valoir au moins 0,5"],
    above: ["doit être supérieur à 0"],
    code: ["doit compter au plus 3 caractères"],
    skus: ["doit compter au moins 3 éléments", "ne doit pas contenir deux fois le même élément"],
    day: ["doit être au format date"],
    tier: ["doit être l'une de ces valeurs\u00a0: gold, silver"],
    count: ["doit être un nombre entier"],
  });
});

test("a field named like a prototype key gets its error and pollutes nothing", () => {
  const schema = JSON.parse(
    '{"type":"object","properties":{"__proto__":{"type":"object","properties":' +
      '{"polluted":{"type":"string","maxLength":1}}},"constructor":{"type":"object",' +
      '"properties":{"prototype":{"type":"object","properties":{"y":{"type":"string","maxLength":1}}}}}}}',
  );
  const data = JSON.parse(
    '{"__proto__":{"polluted":"long"},"constructor":{"prototype":{"y":"long"}}}',
  );
  const { errors, errorSchema } = en.validateFormData(data, schema);
  assert.equal(errors.length, 2);
  assert.equal({}.polluted, undefined);
  assert.equal({}.y, undefined);
  assert.equal(Object.prototype.__errors, undefined);
  assert.deepEqual(errorSchema["__proto__"].polluted.__errors, [
    "must be at most 1 character long",
  ]);
  assert.deepEqual(errorSchema.constructor.prototype.y.__errors, [
    "must be at most 1 character long",
  ]);
});

test("a schema cfworker cannot use is no crash", () => {
  const broken = { type: "string", pattern: "(" };
  const { errors } = fr.validateFormData("x", broken);
  assert.equal(errors.length, 1);
  assert.ok(errors[0].stack);
  assert.equal(fr.isValid(broken, "x", broken), false);
});

test("a custom check is merged, as the form library's validators do", () => {
  const { errorSchema } = fr.validateFormData({ tiers: [] }, THRESHOLD, (data, handler) => {
    handler.tiers.addError("au moins un palier");
    return handler;
  });
  assert.deepEqual(errorSchema.tiers.__errors, ["au moins un palier"]);
});
