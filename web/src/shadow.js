// A plugin's shadow as the console shows it: which versions may start one (loaded, not the
// current one), the sample percent typed in a form, and one campaign's outcome of an example.

/** @typedef {{ version: string }} Loaded */
/**
 * One side of a divergent campaign, as the report gives it.
 * @typedef {{ outcome: string, discount?: string | null, effects?: unknown[] | null, reason?: string | null, detail?: string | null }} Outcome
 */
/** @typedef {{ campaign: string, kinds: string[], live: Outcome, shadow: Outcome }} CampaignDivergence */

/**
 * The versions that may shadow the plugin: every loaded one but the current, newest first.
 * @param {{ latest: string, versions: Loaded[] }} plugin
 * @returns {string[]}
 */
export const shadowCandidates = (plugin) =>
  plugin.versions
    .map((v) => v.version)
    .filter((v) => v !== plugin.latest)
    .reverse();

/**
 * The sample percent typed in the form: a whole number from 1 to 100, else null.
 * @param {string} text
 * @returns {number | null}
 */
export function samplePercent(text) {
  const trimmed = String(text).trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return value >= 1 && value <= 100 ? value : null;
}

/**
 * The campaigns of an example, as far as they have the expected shape (the OpenAPI document
 * leaves their type open).
 * @param {unknown[]} campaigns
 * @returns {CampaignDivergence[]}
 */
export function divergences(campaigns) {
  return (campaigns || [])
    .filter((c) => c && typeof c === "object")
    .map((c) => {
      const o = /** @type {Record<string, any>} */ (c);
      const side = (/** @type {any} */ s) =>
        s && typeof s === "object" ? /** @type {Outcome} */ (s) : { outcome: "not_run" };
      return {
        campaign: String(o.campaign ?? ""),
        kinds: Array.isArray(o.kinds) ? o.kinds.map(String) : [],
        live: side(o.live),
        shadow: side(o.shadow),
      };
    });
}
