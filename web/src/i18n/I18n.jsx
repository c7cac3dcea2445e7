// The console's language for every component: `useI18n()` gives `t(key, params)` and the
// Intl formatters of the chosen language; `<LanguageSwitch />` is the FR / EN switch. The
// document's <html lang> and title follow the choice.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { LANGS, initialLang, localeOf, rememberLang } from "./language.js";
import { translate } from "./translate.js";
import {
  formatClock,
  formatDateTime,
  formatDay,
  formatDecimal,
  formatMoney,
  formatNumber,
  formatPercent,
  formatShare,
  formatTime,
  formatWeekday,
} from "./format.js";

/** @typedef {import("./language.js").Lang} Lang */
/** @typedef {import("./translate.js").MessageKey} MessageKey */
/** @typedef {import("./translate.js").Params} Params */

/** @param {Lang} lang */
function makeI18n(lang) {
  const locale = localeOf(lang);
  return {
    lang,
    locale,
    /** @param {MessageKey} key @param {Params} [params] */
    t: (key, params) => translate(lang, locale, key, params),
    /** @param {string | number | null | undefined} amount @param {string | null} [currency] */
    money: (amount, currency) => formatMoney(locale, amount, currency),
    /** @param {number} value */
    number: (value) => formatNumber(locale, value),
    /** @param {string | number} value */
    decimal: (value) => formatDecimal(locale, value),
    /** @param {string | number} value */
    percent: (value) => formatPercent(locale, value),
    /** A fraction ("0.3333") as a percentage. @param {string | number} value */
    share: (value) => formatShare(locale, value),
    /**
     * @param {string | null | undefined} instant
     * @param {string | null} [timeZone]
     * @param {{ seconds?: boolean, dateStyle?: "short" | "medium" | "long" }} [options]
     */
    dateTime: (instant, timeZone, options) => formatDateTime(locale, instant, timeZone, options),
    /** @param {string} day @param {{ year?: boolean }} [options] */
    day: (day, options) => formatDay(locale, day, options),
    /** @param {Date} date */
    time: (date) => formatTime(locale, date),
    /** @param {string} hhmm */
    clock: (hhmm) => formatClock(locale, hhmm),
    /** @param {string} day @param {"short" | "long"} [width] */
    weekday: (day, width) => formatWeekday(locale, day, width),
  };
}

/** @typedef {ReturnType<typeof makeI18n> & { setLang: (lang: Lang) => void }} I18n */

const I18nContext = createContext(/** @type {I18n} */ ({ ...makeI18n("en"), setLang: () => {} }));

/** The language of the console and its formatters. */
export const useI18n = () => useContext(I18nContext);

/** @param {{ children: import("react").ReactNode }} props */
export function I18nProvider({ children }) {
  const [lang, setLangState] = useState(initialLang);
  const setLang = useCallback((/** @type {Lang} */ next) => {
    rememberLang(next);
    setLangState(next);
  }, []);
  const value = useMemo(() => ({ ...makeI18n(lang), setLang }), [lang, setLang]);

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = value.t("app.title");
  }, [lang, value]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

/** The FR / EN switch: each language named in itself, the current one pressed. */
export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <div className="lang-switch" role="group" aria-label={t("lang.switch")}>
      {LANGS.map((code) => (
        <button
          key={code}
          type="button"
          lang={code}
          className={code === lang ? "on" : ""}
          aria-pressed={code === lang}
          title={translate(code, localeOf(code), "lang.name")}
          onClick={() => setLang(code)}
        >
          {code.toUpperCase()}
        </button>
      ))}
    </div>
  );
}
