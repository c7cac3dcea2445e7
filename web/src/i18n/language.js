// Which language the console speaks: the one chosen with the FR / EN switch (remembered in
// localStorage, the only thing the console keeps there), else the browser's: French for any
// fr* language it lists before an en* one, English otherwise.

/** @typedef {"fr" | "en"} Lang */

/** @type {Lang[]} */
export const LANGS = ["fr", "en"];

const SLOT = "remise.lang";

/** @param {unknown} value @returns {value is Lang} */
const isLang = (value) => value === "fr" || value === "en";

/** The browser's languages, most wanted first. */
function browserLanguages() {
  if (typeof navigator === "undefined") return [];
  return navigator.languages?.length
    ? [...navigator.languages]
    : [navigator.language].filter(Boolean);
}

/** The language chosen before, else the browser's first French or English one, else English. */
export function initialLang() {
  try {
    const stored = localStorage.getItem(SLOT);
    if (isLang(stored)) return stored;
  } catch {
    // No storage (a sandboxed frame, say): the browser decides.
  }
  for (const tag of browserLanguages()) {
    const base = tag.toLowerCase().split("-")[0];
    if (isLang(base)) return base;
  }
  return "en";
}

/** Remembers the language chosen with the switch. */
export function rememberLang(/** @type {Lang} */ lang) {
  try {
    localStorage.setItem(SLOT, lang);
  } catch {
    // Not remembered: the next visit follows the browser again.
  }
}

/**
 * The locale numbers and dates are formatted in: the browser's own regional variant of the
 * language when it lists one (fr-BE, en-GB…), else fr-FR or en-GB.
 * @param {Lang} lang
 */
export function localeOf(lang) {
  const variant = browserLanguages().find((tag) => tag.toLowerCase().startsWith(`${lang}-`));
  if (variant) {
    try {
      return Intl.getCanonicalLocales(variant)[0];
    } catch {
      // Not a well-formed tag: the default below.
    }
  }
  return lang === "fr" ? "fr-FR" : "en-GB";
}
