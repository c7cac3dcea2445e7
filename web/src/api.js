// The console's only door to Remise: fetch on /v1 with the signed-in key, problem+json
// errors turned into ApiError (status, detail, and the {pointer, message} list). Every call
// names its route as openapi.json does, so the types of apiTypes.d.ts check its parameters,
// its body and what the console reads of the answer.

/** @typedef {import("./apiTypes").Route} Route */
/**
 * @template {Route} R
 * @typedef {import("./apiTypes").MethodOf<R>} MethodOf
 */
/**
 * @template {Route} R
 * @template {MethodOf<R>} M
 * @typedef {import("./apiTypes").Answer<R, M>} Answer
 */
/**
 * @template {Route} R
 * @template {MethodOf<R>} M
 * @typedef {import("./apiTypes").CallOptions<R, M>} CallOptions
 */
/** @typedef {{ pointer: string, message: string }} FieldError */

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {{ title?: string, detail?: string, errors?: FieldError[] } | null} problem
   */
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem?.title || `HTTP ${status}`;
    /** @type {FieldError[]} */
    this.errors = Array.isArray(problem?.errors) ? problem.errors : [];
  }
}

/** @type {string | null} */
let currentKey = null;
/** @type {(error: ApiError) => void} */
let onAuthFailure = () => {};

/**
 * Sets the key sent with every call, and what to do when the API refuses it.
 * @param {string | null} key
 * @param {(error: ApiError) => void} [authFailure]
 */
export function configure(key, authFailure) {
  currentKey = key;
  if (authFailure) onAuthFailure = authFailure;
}

/**
 * The URL of `route` with its {parameters} filled in and its query string.
 * @param {string} route
 * @param {Record<string, unknown>} [path]
 * @param {Record<string, unknown>} [query]
 */
export function urlOf(route, path = {}, query = {}) {
  const url = route.replace(/\{(\w+)\}/g, (_, name) => {
    const value = path[name];
    if (value === undefined || value === null) throw new Error(`${route}: no value for {${name}}`);
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `${url}?${text}` : url;
}

/**
 * Calls `method route`: `body` is sent as JSON unless it is a Blob/ArrayBuffer (sent as is).
 * Resolves to the answer's JSON (null for 204), rejects with an ApiError.
 * @template {Route} R
 * @template {MethodOf<R>} M
 * @param {M} method
 * @param {R} route as openapi.json writes it: "/v1/campaigns/{id}"
 * @param {CallOptions<R, M>} [options]
 * @returns {Promise<Answer<R, M>>}
 */
export async function call(method, route, options) {
  const { path, query, body, headers = {}, key = currentKey } = /** @type {any} */ (options || {});
  /** @type {RequestInit & { headers: Record<string, string> }} */
  const init = { method, headers: { ...headers } };
  if (key) init.headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) {
    if (body instanceof Blob || body instanceof ArrayBuffer) {
      init.body = body;
      init.headers["Content-Type"] ??= "application/wasm";
    } else {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] ??= "application/json";
    }
  }
  const response = await fetch(urlOf(route, path, query), init);
  if (!response.ok) {
    let problem = null;
    try {
      problem = await response.json();
    } catch {
      problem = null;
    }
    const error = new ApiError(response.status, problem);
    if ((response.status === 401 || response.status === 403) && key === currentKey && currentKey) {
      onAuthFailure(error);
    }
    throw error;
  }
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/**
 * Errors keyed by JSON pointer, for fields to show next to themselves. The pointers are the
 * server's: the map has no prototype, so "__proto__" or "constructor" is only a key, and a
 * field reads nothing that the server did not send.
 * @param {{ errors?: FieldError[] } | null | undefined} error
 */
export function errorsByPointer(error) {
  /** @type {Record<string, string[]>} */
  const map = Object.create(null);
  for (const { pointer, message } of error?.errors || []) {
    if (typeof pointer !== "string") continue;
    (map[pointer] ??= []).push(message);
  }
  return map;
}
