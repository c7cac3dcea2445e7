// Writes generated/api.d.ts, the types of the API, from openapi.json (the document the server
// serves at /openapi.json) with openapi-typescript: `npm run types`, the first step of
// `npm run build`. The console types its calls by route and method (src/apiTypes.d.ts), so
// operation ids are left out: every operation is written inline under its path, and two
// operations sharing an id cannot overwrite each other.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import openapiTS, { COMMENT_HEADER, astToString } from "openapi-typescript";

const INPUT = new URL("../openapi.json", import.meta.url);
const OUTPUT = new URL("../generated/api.d.ts", import.meta.url);
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

const document = JSON.parse(await readFile(INPUT, "utf8"));
for (const item of Object.values(document.paths ?? {})) {
  for (const method of METHODS) delete item?.[method]?.operationId;
}
// Optional members stay optional even when the schema gives them a default (a default is
// what the server assumes when a request leaves the member out).
const ast = await openapiTS(document, { defaultNonNullable: false });
await mkdir(new URL(".", OUTPUT), { recursive: true });
await writeFile(OUTPUT, COMMENT_HEADER + astToString(ast));
console.log(
  `openapi.json → generated/api.d.ts (${Object.keys(document.paths ?? {}).length} routes)`,
);
