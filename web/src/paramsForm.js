// Plugins publish their parameter schema as schemars writes it (JSON Schema 2020-12, money as
// `["string", "number"]`, optional fields as `[..., "null"]` with `default: null`, integer
// formats such as uint32). The form library draws one widget per type, so the schema shown is
// simplified: money is a decimal string, null is dropped, unknown formats are dropped. The API
// still validates the params against the plugin's own schema and check.

const KNOWN_FORMATS = new Set(["date", "date-time", "time", "email", "uri", "uuid"]);

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
    out[key] = typeof value === "object" ? formSchema(value) : value;
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
    out[key] = cleanParams(inner);
  }
  return out;
}

/** The API's errors under /params, as the form library's error schema. */
export function paramsErrorSchema(errors) {
  const root = {};
  for (const { pointer, message } of errors || []) {
    if (pointer !== "/params" && !pointer.startsWith("/params/")) continue;
    const path = pointer
      .split("/")
      .slice(2)
      .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    let node = root;
    for (const part of path) node = node[part] ||= {};
    (node.__errors ||= []).push(message);
  }
  return root;
}
