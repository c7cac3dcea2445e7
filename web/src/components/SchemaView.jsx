// A plugin's parameter JSON Schema, shown as a readable tree: each field's name, type,
// whether it is required, its limits and its description.

function resolve(schema, root) {
  if (schema?.$ref?.startsWith("#/")) {
    const target = schema.$ref
      .slice(2)
      .split("/")
      .reduce((node, key) => node?.[key], root);
    return target ? { ...target, ...schema, $ref: undefined } : schema;
  }
  return schema || {};
}

function typeOf(schema, root) {
  const s = resolve(schema, root);
  const types = [].concat(s.type || (s.properties ? "object" : "any")).filter((t) => t !== "null");
  if (types.includes("string") && types.includes("number")) return "decimal";
  if (types[0] === "array") return `list of ${typeOf(s.items, root)}`;
  return types.join(" | ");
}

function limits(s) {
  const parts = [];
  if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined) parts.push(`≤ ${s.maximum}`);
  if (s.enum) parts.push(`one of ${s.enum.join(", ")}`);
  if (s.minItems) parts.push(`at least ${s.minItems}`);
  return parts.join(", ");
}

export function SchemaView({ schema }) {
  return <Properties schema={schema} root={schema} />;
}

function Properties({ schema, root, depth = 0 }) {
  const s = resolve(schema, root);
  const required = new Set(s.required || []);
  const entries = Object.entries(s.properties || {});
  if (!entries.length) return null;
  return (
    <ul className={depth ? "schema nested" : "schema"}>
      {entries.map(([name, property]) => {
        const p = resolve(property, root);
        const item = p.type === "array" || (Array.isArray(p.type) && p.type.includes("array")) ? resolve(p.items, root) : null;
        const optional = !required.has(name);
        return (
          <li key={name}>
            <code>{name}</code> <span className="type">{typeOf(p, root)}</span>
            {optional ? <span className="muted"> optional</span> : <span className="required"> required</span>}
            {limits(p) && <span className="muted"> ({limits(p)})</span>}
            {p.description && <div className="small">{p.description}</div>}
            {p.properties && <Properties schema={p} root={root} depth={depth + 1} />}
            {item?.properties && <Properties schema={item} root={root} depth={depth + 1} />}
          </li>
        );
      })}
    </ul>
  );
}
