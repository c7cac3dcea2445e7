// A campaign's history as the console shows it: which two revisions to compare at first,
// which choices keep "from" older than "to", and a JSON value written compactly for a cell
// of the diff.

/** @typedef {{ revision: number, action: string }} Listed */

/**
 * The revisions to compare at first: the newest and the one before it (the list is newest
 * first, as the API gives it); null when there are fewer than two.
 * @param {Listed[]} revisions
 * @returns {{ from: number, to: number } | null}
 */
export function defaultPair(revisions) {
  const numbers = revisions.map((r) => r.revision).sort((a, b) => b - a);
  return numbers.length >= 2 ? { from: numbers[1], to: numbers[0] } : null;
}

/**
 * The pair once `side` is set to `revision`: the other side moves when it no longer leaves
 * "from" older than "to" (to the nearest revision that does, if any).
 * @param {Listed[]} revisions
 * @param {{ from: number, to: number }} pair
 * @param {"from" | "to"} side
 * @param {number} revision
 * @returns {{ from: number, to: number }}
 */
export function choose(revisions, pair, side, revision) {
  const numbers = revisions.map((r) => r.revision).sort((a, b) => a - b);
  if (side === "from") {
    if (revision < pair.to) return { from: revision, to: pair.to };
    const to = numbers.find((n) => n > revision);
    return to === undefined ? pair : { from: revision, to };
  }
  if (revision > pair.from) return { from: pair.from, to: revision };
  const from = [...numbers].reverse().find((n) => n < revision);
  return from === undefined ? pair : { from, to: revision };
}

/**
 * A JSON value on one line, as JSON writes it: `"Soldes"`, `{"budget":"500.00"}`, `null`;
 * "" for no value at all (the side of an addition or a removal that has none).
 * @param {unknown} value
 */
export const compactJson = (value) => (value === undefined ? "" : JSON.stringify(value));
