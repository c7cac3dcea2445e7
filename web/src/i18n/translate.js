// Messages by key in the catalogues (fr.js, en.js), with {name} parameters and plural forms
// chosen by Intl.PluralRules on the `count` parameter.
import fr from "./fr.js";
import en from "./en.js";
import { formatNumber } from "./format.js";

/** @typedef {import("./language.js").Lang} Lang */
/** @typedef {keyof typeof fr} MessageKey */
/** @typedef {string | { zero?: string, one?: string, two?: string, few?: string, many?: string, other: string }} Message */
/** @typedef {Record<string, string | number | null | undefined>} Params */

/**
 * French typography: a no-break space before ":" and inside « », a narrow one before ";", "!"
 * and "?", so none of them is ever left alone at the start of a line. The catalogue is
 * written with ordinary spaces.
 * @param {string} text
 */
const frenchSpacing = (text) =>
  text
    .replace(/ :/g, "\u00a0:")
    .replace(/ ([;!?])/g, "\u202f$1")
    .replace(/« /g, "«\u00a0")
    .replace(/ »/g, "\u00a0»");

/** @param {Record<string, Message>} catalogue @param {(text: string) => string} fix */
function mapMessages(catalogue, fix) {
  /** @type {Record<string, Message>} */
  const out = {};
  for (const [key, message] of Object.entries(catalogue)) {
    out[key] =
      typeof message === "string"
        ? fix(message)
        : /** @type {Message} */ (
            Object.fromEntries(Object.entries(message).map(([form, text]) => [form, fix(text)]))
          );
  }
  return out;
}

/** @type {Record<Lang, Record<string, Message>>} */
const CATALOGUES = { fr: mapMessages(fr, frenchSpacing), en };

/** @type {Map<string, Intl.PluralRules>} */
const pluralRules = new Map();

function plural(/** @type {string} */ locale, /** @type {number} */ count) {
  let rules = pluralRules.get(locale);
  if (!rules) {
    rules = new Intl.PluralRules(locale);
    pluralRules.set(locale, rules);
  }
  return rules.select(count);
}

/**
 * The message `key` in `lang`, its {parameters} replaced (numbers formatted for `locale`).
 * @param {Lang} lang
 * @param {string} locale
 * @param {MessageKey} key
 * @param {Params} [params]
 */
export function translate(lang, locale, key, params = {}) {
  const message = CATALOGUES[lang][key] ?? CATALOGUES.en[key];
  if (message === undefined) return key;
  let text;
  if (typeof message === "string") {
    text = message;
  } else {
    const count = Number(params.count ?? 0);
    text = message[plural(locale, count)] ?? message.other;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => {
    const value = params[name];
    if (value === undefined || value === null) return whole;
    return typeof value === "number" ? formatNumber(locale, value) : String(value);
  });
}
