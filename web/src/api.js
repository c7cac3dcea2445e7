// The console's only door to Remise: fetch on /v1 with the signed-in key, problem+json
// errors turned into ApiError (status, detail, and the {pointer, message} list).

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem?.title || `HTTP ${status}`;
    this.errors = Array.isArray(problem?.errors) ? problem.errors : [];
  }
}

let currentKey = null;
let onAuthFailure = () => {};

/** Sets the key sent with every call, and what to do when the API refuses it. */
export function configure(key, authFailure) {
  currentKey = key;
  if (authFailure) onAuthFailure = authFailure;
}

/** Calls the API: `body` is JSON unless it is a Blob/ArrayBuffer (sent as is). */
export async function api(method, path, { body, headers = {}, key = currentKey, raw = false } = {}) {
  const init = { method, headers: { ...headers } };
  if (key) init.headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) {
    if (body instanceof Blob || body instanceof ArrayBuffer) {
      init.body = body;
      init.headers["Content-Type"] ??= "application/wasm";
    } else {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
  }
  const response = await fetch(path, init);
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
  if (raw) return response;
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** Errors keyed by JSON pointer, for fields to show next to themselves. */
export function errorsByPointer(error) {
  const map = {};
  for (const { pointer, message } of error?.errors || []) {
    (map[pointer] ||= []).push(message);
  }
  return map;
}
