// The journal as the console shows it: what a searched text is (an evaluation id starts with
// "ev_", anything else is tried as an order id first), the lookup that falls back from an
// order to an evaluation, and the few figures read from an answer the OpenAPI document leaves
// untyped.

/** @typedef {"order" | "evaluation"} Kind */
/**
 * What a search found: an order, an evaluation, or nothing of that id.
 * @template O, E
 * @typedef {{ kind: "order", entry: O } | { kind: "evaluation", entry: E } | { kind: "none" }} Found
 */
/** @typedef {{ currency: string | null, subtotal: string | null, discount_total: string | null, total: string | null }} Totals */

/**
 * What to look up first for the text typed: null for nothing, "evaluation" for an id that
 * starts with "ev_", else "order".
 * @param {string} text
 * @returns {Kind | null}
 */
export function kindOf(text) {
  const id = String(text ?? "").trim();
  if (!id) return null;
  return id.startsWith("ev_") ? "evaluation" : "order";
}

/** @param {unknown} error */
const notFound = (error) =>
  !!error && typeof error === "object" && /** @type {{ status?: number }} */ (error).status === 404;

/**
 * Looks `text` up: an evaluation id in the evaluations; anything else in the orders, then,
 * when no order has that id (404), in the evaluations. Other errors are thrown.
 * @template O, E
 * @param {string} text
 * @param {{ order: (id: string) => Promise<O>, evaluation: (id: string) => Promise<E> }} fetch
 * @returns {Promise<Found<O, E>>}
 */
export async function lookUp(text, fetch) {
  const id = String(text ?? "").trim();
  const kind = kindOf(id);
  if (kind === null) return { kind: "none" };
  if (kind === "order") {
    try {
      return { kind: "order", entry: await fetch.order(id) };
    } catch (e) {
      if (!notFound(e)) throw e;
    }
  }
  try {
    return { kind: "evaluation", entry: await fetch.evaluation(id) };
  } catch (e) {
    if (notFound(e)) return { kind: "none" };
    throw e;
  }
}

/**
 * A SHA-256 as people compare it at a glance: its first 12 hex digits.
 * @param {string | null | undefined} sha256
 */
export const shortSha = (sha256) => String(sha256 ?? "").slice(0, 12);

/**
 * A plugin and the version that ran: "free-gift@1.0.2" (the name alone without a version).
 * @param {string} plugin
 * @param {string | null | undefined} version
 */
export const pluginAt = (plugin, version) => (version ? `${plugin}@${version}` : plugin);

/**
 * The totals of an answer as the journal keeps it (its type is left open): each null when
 * absent or not a decimal string.
 * @param {unknown} answer
 * @returns {Totals}
 */
export function totalsOf(answer) {
  const a =
    answer && typeof answer === "object" && !Array.isArray(answer)
      ? /** @type {Record<string, unknown>} */ (answer)
      : {};
  const text = (/** @type {unknown} */ v) =>
    typeof v === "string" ? v : typeof v === "number" ? String(v) : null;
  return {
    currency: typeof a.currency === "string" ? a.currency : null,
    subtotal: text(a.subtotal),
    discount_total: text(a.discount_total),
    total: text(a.total),
  };
}
