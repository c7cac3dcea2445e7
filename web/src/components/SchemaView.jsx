// A plugin's parameter JSON Schema, shown as a readable tree: each field's name, type,
// whether it is required, its limits and its description (the plugin's own words).
import { useI18n } from "../i18n/I18n.jsx";

/** @typedef {Record<string, any>} JsonSchema */
/** @typedef {import("../i18n/I18n.jsx").I18n} I18n */

/** @param {JsonSchema} schema @param {JsonSchema} root @returns {JsonSchema} */
function resolve(schema, root) {
  if (schema?.$ref?.startsWith("#/")) {
    const target = schema.$ref
      .slice(2)
      .split("/")
      .reduce((/** @type {any} */ node, /** @type {string} */ key) => node?.[key], root);
    return target ? { ...target, ...schema, $ref: undefined } : schema;
  }
  return schema || {};
}

/** @param {I18n["t"]} t @param {string} type */
function typeName(t, type) {
  switch (type) {
    case "string":
      return t("schema.type.string");
    case "integer":
      return t("schema.type.integer");
    case "number":
      return t("schema.type.number");
    case "boolean":
      return t("schema.type.boolean");
    case "object":
      return t("schema.type.object");
    case "array":
      return t("schema.type.array");
    case "any":
      return t("schema.type.any");
    default:
      return type;
  }
}

/** @param {I18n["t"]} t @param {JsonSchema} schema @param {JsonSchema} root @returns {string} */
function typeOf(t, schema, root) {
  const s = resolve(schema, root);
  /** @type {string[]} */
  const types = []
    .concat(s.type || (s.properties ? "object" : "any"))
    .filter((type) => type !== "null");
  if (types.includes("string") && types.includes("number")) return t("schema.type.decimal");
  if (types[0] === "array") return t("schema.listOf", { type: typeOf(t, s.items, root) });
  return types.map((type) => typeName(t, type)).join(" | ");
}

/** @param {I18n} i18n @param {JsonSchema} s */
function limits({ t, decimal }, s) {
  const parts = [];
  const number = (/** @type {unknown} */ value) =>
    typeof value === "number" || typeof value === "string" ? decimal(value) : String(value);
  if (s.minimum !== undefined) parts.push(`≥ ${number(s.minimum)}`);
  if (s.maximum !== undefined) parts.push(`≤ ${number(s.maximum)}`);
  if (s.enum) parts.push(t("schema.oneOf", { values: s.enum.join(", ") }));
  if (s.minItems) parts.push(t("schema.atLeast", { count: s.minItems }));
  return parts.join(", ");
}

/** @param {{ schema: JsonSchema | boolean }} props a JSON Schema (true and false are ones too) */
export function SchemaView({ schema }) {
  if (!schema || typeof schema !== "object") return null;
  return <Properties schema={schema} root={schema} />;
}

/** @param {{ schema: JsonSchema, root: JsonSchema, depth?: number }} props */
function Properties({ schema, root, depth = 0 }) {
  const i18n = useI18n();
  const { t } = i18n;
  const s = resolve(schema, root);
  const required = new Set(s.required || []);
  const entries = Object.entries(s.properties || {});
  if (!entries.length) return null;
  return (
    <ul className={depth ? "schema nested" : "schema"}>
      {entries.map(([name, property]) => {
        const p = resolve(property, root);
        const item =
          p.type === "array" || (Array.isArray(p.type) && p.type.includes("array"))
            ? resolve(p.items, root)
            : null;
        const optional = !required.has(name);
        const limit = limits(i18n, p);
        return (
          <li key={name}>
            <code>{name}</code> <span className="type">{typeOf(t, p, root)}</span>
            {optional ? (
              <span className="muted"> {t("schema.optional")}</span>
            ) : (
              <span className="required"> {t("schema.required")}</span>
            )}
            {limit && <span className="muted"> ({limit})</span>}
            {p.description && <div className="small">{p.description}</div>}
            {p.properties && <Properties schema={p} root={root} depth={depth + 1} />}
            {item?.properties && <Properties schema={item} root={root} depth={depth + 1} />}
          </li>
        );
      })}
    </ul>
  );
}
