// The JSON Schema validator of the parameters form: react-jsonschema-form's `ValidatorType`
// over @cfworker/json-schema, which walks a schema as data. The form library's own validator
// (Ajv) compiles each schema into a function with `new Function`, which the console's
// Content Security Policy forbids (no 'unsafe-eval'); and a plugin's params schema arrives at
// run time with each uploaded version, so it cannot be compiled when the console is built.
// Each error becomes a message of the console's catalogues at the field it is about, placed
// by paramsForm.js's `addError`, which writes into no prototype whatever the keys.
import { Validator } from "@cfworker/json-schema";
import {
  ROOT_SCHEMA_PREFIX,
  createErrorHandler,
  getDefaultFormState,
  toPath,
  unwrapErrorHandler,
  validationDataMerge,
  withIdRefPrefix,
} from "@rjsf/utils";
import { addError, errorSchema } from "./paramsForm.js";

/** @typedef {import("@rjsf/utils").ValidatorType} ValidatorType */
/** @typedef {import("@rjsf/utils").RJSFValidationError} RJSFValidationError */
/** @typedef {import("@rjsf/utils").ErrorSchema} ErrorSchema */
/** @typedef {import("@cfworker/json-schema").OutputUnit} OutputUnit */
/** @typedef {import("./i18n/translate.js").MessageKey} MessageKey */
/** @typedef {import("./i18n/translate.js").Params} Params */
/** @typedef {(key: MessageKey, params?: Params) => string} Translate */

/**
 * What is wrong, where: `path` is the instance's reference tokens, `kind` names the message.
 * @typedef {{ path: string[], kind: Kind, params: Params, keyword: string, schemaPath: string }} Problem
 */

/** Plugins' schemas are 2020-12 (schemars); one without `$schema` is read so by the host too. */
const DRAFT = "2020-12";

/** The message of each kind of problem. */
const MESSAGES = /** @type {const} */ ({
  required: "validation.required",
  "type.string": "validation.typeString",
  "type.number": "validation.typeNumber",
  "type.integer": "validation.typeInteger",
  "type.boolean": "validation.typeBoolean",
  "type.array": "validation.typeArray",
  "type.object": "validation.typeObject",
  "type.null": "validation.typeNull",
  minimum: "validation.minimum",
  maximum: "validation.maximum",
  exclusiveMinimum: "validation.exclusiveMinimum",
  exclusiveMaximum: "validation.exclusiveMaximum",
  multipleOf: "validation.multipleOf",
  minLength: "validation.minLength",
  maxLength: "validation.maxLength",
  minItems: "validation.minItems",
  maxItems: "validation.maxItems",
  uniqueItems: "validation.uniqueItems",
  pattern: "validation.pattern",
  format: "validation.format",
  enum: "validation.enum",
  const: "validation.const",
  anyOf: "validation.anyOf",
  oneOfMany: "validation.oneOfMany",
  invalid: "validation.invalid",
});
/** @typedef {keyof typeof MESSAGES} Kind */

/** Keywords whose error only says that a subschema failed; that subschema's errors say how. */
const CONTAINERS = new Set([
  "$ref",
  "$recursiveRef",
  "properties",
  "patternProperties",
  "additionalProperties",
  "unevaluatedProperties",
  "items",
  "prefixItems",
  "additionalItems",
  "unevaluatedItems",
  "allOf",
  "if",
  "dependentSchemas",
  "propertyNames",
]);

/** Keywords whose message says the schema's number. */
const LIMITS = new Set([
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
]);
/** Keywords whose message counts (characters, items), in the plural it needs. */
const COUNTS = new Set(["minLength", "maxLength", "minItems", "maxItems"]);

/**
 * The reference tokens of one of cfworker's locations ("#/a~1b/%C3%A9" → ["a/b", "é"]): its
 * tokens are escaped as in a JSON pointer, then URI-encoded.
 * @param {string} location
 * @returns {string[]}
 */
export function locationTokens(location) {
  const pointer = location.startsWith("#") ? location.slice(1) : location;
  if (!pointer) return [];
  return pointer
    .split("/")
    .slice(1)
    .map((token) => {
      try {
        token = decodeURIComponent(token);
      } catch {
        // Left as it is: cfworker encoded it, so this does not happen.
      }
      return token.replace(/~1/g, "/").replace(/~0/g, "~");
    });
}

/** @param {unknown} value @returns {value is Record<string, any>} */
const isObject = (value) => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The member at `token` of `node`, an own one only; undefined when there is none.
 * @param {unknown} node
 * @param {string} token
 * @returns {any}
 */
const member = (node, token) =>
  (isObject(node) || Array.isArray(node)) && Object.hasOwn(node, token) ? node[token] : undefined;

/**
 * The schema at `tokens` of `root`, following a `$ref` token to the definition it names (as
 * cfworker's keyword locations go through them); undefined when it cannot be found.
 * @param {unknown} root
 * @param {readonly string[]} tokens
 * @param {number} [depth] references followed so far, bounded against a cycle
 * @returns {any}
 */
function schemaAt(root, tokens, depth = 0) {
  let node = root;
  for (const token of tokens) {
    const ref = token === "$ref" ? member(node, "$ref") : undefined;
    if (typeof ref === "string") {
      const local = ref.startsWith(ROOT_SCHEMA_PREFIX) ? ref.slice(ROOT_SCHEMA_PREFIX.length) : ref;
      // Only references inside the schema: the host refuses any other.
      if (depth >= 32 || !local.startsWith("#")) return undefined;
      node = schemaAt(root, locationTokens(local), depth + 1);
    } else {
      node = member(node, token);
    }
    if (node === undefined) return undefined;
  }
  return node;
}

/**
 * The value at `tokens` of `data`.
 * @param {unknown} data
 * @param {readonly string[]} tokens
 */
const valueAt = (data, tokens) => tokens.reduce(member, data);

/** A value of the schema as a message shows it: strings as they are, the rest as JSON. */
const shown = (/** @type {unknown} */ value) =>
  typeof value === "string" ? value : JSON.stringify(value);

/**
 * The form data as the API would receive it: JSON (undefined fields dropped, undefined in a
 * list as null), undefined as null.
 * @param {unknown} value
 */
export const asJson = (value) => (value === undefined ? null : JSON.parse(JSON.stringify(value)));

/**
 * Runs cfworker's validator: `schema` against `data`, `root` (when given) registered under
 * the form library's root id, which `withIdRefPrefix` makes `schema`'s local `$ref`s name.
 * cfworker marks the schemas it walks (their absolute URIs, as hidden properties), so it
 * walks copies: the form's own schema objects are left as they are.
 * @param {unknown} schema
 * @param {unknown} data
 * @param {boolean} all every error, or stop at the first
 * @param {unknown} [root]
 */
function run(schema, data, all, root) {
  const validator = new Validator(structuredClone(schema), DRAFT, !all);
  if (root !== undefined) validator.addSchema(structuredClone(root), ROOT_SCHEMA_PREFIX);
  return validator.validate(/** @type {any} */ (data));
}

/**
 * What `errors` (cfworker's, of `data` against `root`) say is wrong, each where it is:
 * - the errors of keywords that only hold other schemas ($ref, properties, items…) left out;
 * - a missing required field at that field (cfworker puts it at the object);
 * - of an anyOf or a oneOf that failed, the errors of the one branch the value was meant for
 *   (a branch it fails by its very type is not it: `{ "type": "null" }` beside a `$ref`, as
 *   schemars writes an optional field), or else the anyOf's own error alone;
 * - each with the schema's number, count, format or values its message shows.
 * @param {readonly OutputUnit[]} errors
 * @param {unknown} root
 * @param {unknown} data
 * @returns {Problem[]}
 */
export function problems(errors, root, data) {
  /** @type {Set<number>} */
  const skipped = new Set();
  /** @type {Map<string, number>} how many required errors of one object were placed */
  const requiredSeen = new Map();
  /** @type {Problem[]} */
  const out = [];
  errors.forEach((error, index) => {
    if (skipped.has(index)) return;
    const { keyword, keywordLocation, instanceLocation } = error;
    if (CONTAINERS.has(keyword)) return;
    const path = locationTokens(instanceLocation);
    const schemaTokens = locationTokens(keywordLocation);
    const holder = schemaAt(root, schemaTokens.slice(0, -1));
    const value = isObject(holder) && Object.hasOwn(holder, keyword) ? holder[keyword] : undefined;
    /** @param {Kind} kind @param {Params} [params] @param {string[]} [at] */
    const push = (kind, params = {}, at = path) =>
      out.push({ path: at, kind, params, keyword, schemaPath: keywordLocation });

    if (keyword === "anyOf" || keyword === "oneOf") {
      // The branches' errors follow this one, their locations under its own.
      /** @type {Map<string, number[]>} */
      const branches = new Map();
      for (let j = index + 1; j < errors.length; j++) {
        const location = errors[j].keywordLocation;
        if (!location.startsWith(keywordLocation + "/")) break;
        const branch = location.slice(keywordLocation.length + 1).split("/")[0];
        branches.set(branch, [...(branches.get(branch) || []), j]);
        skipped.add(j);
      }
      const failed = branches.size;
      if (keyword === "oneOf" && Array.isArray(value) && failed < value.length - 1) {
        push("oneOfMany");
        return;
      }
      const meant = [...branches.values()].filter(
        (found) =>
          !found.some(
            (j) => errors[j].keyword === "type" && errors[j].instanceLocation === instanceLocation,
          ),
      );
      if (meant.length === 1) {
        for (const j of meant[0]) skipped.delete(j);
      } else {
        push("anyOf");
      }
      return;
    }
    if (keyword === "required") {
      const object = valueAt(data, path);
      const missing =
        Array.isArray(value) && isObject(object)
          ? value.filter((key) => typeof key === "string" && !Object.hasOwn(object, key))
          : [];
      const seen = `${instanceLocation} ${keywordLocation}`;
      const n = requiredSeen.get(seen) || 0;
      requiredSeen.set(seen, n + 1);
      push("required", {}, n < missing.length ? [...path, missing[n]] : path);
      return;
    }
    if (keyword === "type") {
      const types = (Array.isArray(value) ? value : [value]).filter((t) => t !== "null");
      const type = types.length ? types[0] : value;
      const kind = /** @type {Kind} */ (`type.${type}`);
      push(Object.hasOwn(MESSAGES, kind) ? kind : "invalid");
      return;
    }
    if (LIMITS.has(keyword) && typeof value === "number") {
      push(/** @type {Kind} */ (keyword), { limit: value });
    } else if (COUNTS.has(keyword) && typeof value === "number") {
      push(/** @type {Kind} */ (keyword), { count: value });
    } else if (keyword === "format" && typeof value === "string") {
      push("format", { format: value });
    } else if (keyword === "enum" && Array.isArray(value)) {
      push("enum", { values: value.map(shown).join(", ") });
    } else if (keyword === "const" && value !== undefined) {
      push("const", { value: shown(value) });
    } else if (keyword === "pattern" || keyword === "uniqueItems") {
      push(keyword);
    } else {
      push("invalid");
    }
  });
  return out;
}

/**
 * The form's validator, its messages in the console's words.
 * @param {Translate} t
 * @returns {ValidatorType}
 */
export function schemaValidator(t) {
  /** @type {ValidatorType} */
  const validator = {
    /** @returns {any} */
    rawValidation(schema, formData) {
      try {
        return { errors: run(schema, asJson(formData), true).errors };
      } catch (error) {
        // A schema cfworker cannot use: a `$ref` it cannot resolve, a pattern that is no
        // regular expression. The form shows nothing of it; the API says what is wrong.
        return { errors: [], validationError: error };
      }
    },

    validateFormData(formData, schema, customValidate, transformErrors, uiSchema) {
      const data = asJson(formData);
      const { errors: raw = [], validationError } = validator.rawValidation(schema, formData);
      /** @type {RJSFValidationError[]} */
      let errors = problems(raw, schema, data).map(
        ({ path, kind, params, keyword, schemaPath }) => {
          const property = path.length ? `.${path.join(".")}` : "";
          const message = t(MESSAGES[kind], params);
          return {
            name: keyword,
            property,
            message,
            // The tokens themselves: a field's name may hold a dot.
            params: { ...params, path },
            stack: `${property} ${message}`.trim(),
            schemaPath,
            title: "",
          };
        },
      );
      if (validationError)
        errors.push({ stack: String(validationError.message || validationError) });
      if (typeof transformErrors === "function") errors = transformErrors(errors, uiSchema);
      const schemaErrors = errorSchema();
      for (const error of errors) {
        if (!error.message) continue;
        const path = Array.isArray(error.params?.path)
          ? error.params.path
          : toPath(error.property || "").filter(Boolean);
        addError(schemaErrors, path.map(String), error.message);
      }
      /** @type {ErrorSchema} */
      const errorSchemaOut = schemaErrors;
      if (typeof customValidate !== "function") return { errors, errorSchema: errorSchemaOut };
      // As the form library's own validators do: the custom check sees the defaults filled in.
      const filled = getDefaultFormState(validator, schema, formData, schema, true);
      const handler = customValidate(filled, createErrorHandler(filled), uiSchema, errorSchemaOut);
      return validationDataMerge(
        { errors, errorSchema: errorSchemaOut },
        unwrapErrorHandler(handler),
      );
    },

    isValid(schema, formData, rootSchema) {
      try {
        return run(withIdRefPrefix(schema), asJson(formData), false, rootSchema).valid;
      } catch {
        return false;
      }
    },
  };
  return validator;
}
