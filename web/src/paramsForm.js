// Plugins publish their parameter schema as schemars writes it (JSON Schema 2020-12, money as
// `["string", "number"]`, optional fields as `[..., "null"]` with `default: null`, integer
// formats such as uint32). The form library draws one widget per type, so the schema shown is
// simplified: money is a decimal string, null is dropped, unknown formats are dropped. The API
// still validates the params against the plugin's own schema and check; its errors, keyed by
// JSON pointer, become the form's error schema here, where no pointer writes into a prototype.

const KNOWN_FORMATS = new Set(["date", "date-time", "time", "email", "uri", "uuid"]);

/**
 * `out[key] = value` as an own property whatever the key: a plain assignment of "__proto__"
 * (a key JSON.parse keeps as data) would set `out`'s prototype and lose the key.
 * @param {object} out
 * @param {string} key
 * @param {unknown} value
 */
const setOwn = (out, key, value) =>
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });

export function formSchema(schema) {
  if (Array.isArray(schema)) return schema.map(formSchema);
  if (!schema || typeof schema !== "object") return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "$schema") continue;
    if (key === "default" && value === null) continue;
    if (key === "format" && !KNOWN_FORMATS.has(value)) continue;
    if (key === "type" && Array.isArray(value)) {
      const types = value.filter((t) => t !== "null");
      out.type = types.includes("string") ? "string" : types.length === 1 ? types[0] : types;
      continue;
    }
    setOwn(out, key, typeof value === "object" ? formSchema(value) : value);
  }
  return out;
}

/** Drops the nulls and empty strings the form leaves in optional fields. */
export function cleanParams(value) {
  if (Array.isArray(value)) return value.map(cleanParams);
  if (!value || typeof value !== "object") return value;
  const out = {};
  for (const [key, inner] of Object.entries(value)) {
    if (inner === null || inner === undefined || inner === "") continue;
    setOwn(out, key, cleanParams(inner));
  }
  return out;
}

/**
 * A JSON pointer's reference tokens, unescaped: "/tiers/0/a~1b" → ["tiers", "0", "a/b"]; ""
 * (the whole document) → [].
 * @param {string} pointer
 * @returns {string[]}
 */
export function pointerTokens(pointer) {
  if (!pointer) return [];
  return pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/**
 * Adds `message` at `path` of the form library's error schema `root` (made by
 * `errorSchema()`), making the nodes on the way. A path comes from the server or from a
 * schema, so any token may be "__proto__", "constructor" or "prototype" (a plugin's field
 * may be called so): every node is a null-prototype object, where each of them is an
 * ordinary key and no write reaches Object.prototype. "__errors" is the library's own key
 * for a node's messages, never a field's: a path stops there.
 * @param {ErrorNode} root
 * @param {readonly string[]} path
 * @param {string} message
 */
export function addError(root, path, message) {
  let node = root;
  for (const part of path) {
    if (part === "__errors") break;
    node = /** @type {ErrorNode} */ (node[part] ??= errorSchema());
  }
  (node.__errors ??= []).push(message);
}

/**
 * An empty error schema node: no prototype, so keys from the server are only keys.
 * @returns {ErrorNode}
 */
export const errorSchema = () => Object.create(null);

/** @typedef {{ [key: string]: any, __errors?: string[] }} ErrorNode */

/**
 * The API's errors under /params, as the form library's error schema (see `addError`).
 * @param {{ pointer: string, message: string }[] | null | undefined} errors
 * @returns {ErrorNode}
 */
export function paramsErrorSchema(errors) {
  const root = errorSchema();
  for (const { pointer, message } of errors || []) {
    if (typeof pointer !== "string") continue;
    if (pointer !== "/params" && !pointer.startsWith("/params/")) continue;
    addError(root, pointerTokens(pointer).slice(1), message);
  }
  return root;
}
