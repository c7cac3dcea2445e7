// Money, numbers and dates for people, with Intl in the console's locale: amounts in their
// currency ("1 234,50 €" in French), instants in the campaign's time zone. Amounts come
// from the API as decimal strings; they are handed to Intl as strings, which formats them
// exactly (no binary floating point) and rounds only to the digits the currency shows.

/** @type {Map<string, Intl.NumberFormat>} */
const numberFormats = new Map();
/** @type {Map<string, Intl.DateTimeFormat>} */
const dateFormats = new Map();

/** @param {string} locale @param {Intl.NumberFormatOptions} [options] */
function numberFormat(locale, options = {}) {
  const id = locale + JSON.stringify(options);
  let format = numberFormats.get(id);
  if (!format) {
    format = new Intl.NumberFormat(locale, options);
    numberFormats.set(id, format);
  }
  return format;
}

/** @param {string} locale @param {Intl.DateTimeFormatOptions} options */
function dateFormat(locale, options) {
  const id = locale + JSON.stringify(options);
  let format = dateFormats.get(id);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options);
    dateFormats.set(id, format);
  }
  return format;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * Intl formats a numeric string exactly (ECMA-402 "Intl.NumberFormat v3"); its types still
 * say number.
 * @param {Intl.NumberFormat} format
 * @param {string | number} value
 */
const formatExact = (format, value) =>
  format.format(/** @type {number} */ (/** @type {unknown} */ (value)));

/** How many digits a decimal string has after its point. */
const fractionDigits = (/** @type {string} */ text) => (text.split(".")[1] || "").length;

/**
 * A decimal string (or number) as money: in `currency` when given ("11,88 €"), else as a plain
 * decimal keeping its digits ("500,00"). "—" when absent.
 * @param {string} locale
 * @param {string | number | null | undefined} amount
 * @param {string | null | undefined} [currency] ISO 4217
 */
export function formatMoney(locale, amount, currency) {
  if (amount === undefined || amount === null || amount === "") return "—";
  const text = String(amount).trim();
  if (!DECIMAL.test(text)) return text;
  if (currency) {
    try {
      return formatExact(numberFormat(locale, { style: "currency", currency }), text);
    } catch {
      // Not a currency Intl knows (a basket typed by hand): the decimal and the code.
      return `${formatDecimal(locale, text)} ${currency}`;
    }
  }
  return formatDecimal(locale, text);
}

/**
 * A decimal string with exactly its own digits after the point ("19.90" → "19,90").
 * @param {string} locale
 * @param {string | number} value
 */
export function formatDecimal(locale, value) {
  const text = String(value).trim();
  if (!DECIMAL.test(text)) return text;
  const digits = Math.min(fractionDigits(text), 20);
  return formatExact(
    numberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }),
    text,
  );
}

/** A count or a number: "12 000". @param {string} locale @param {number} value */
export const formatNumber = (locale, value) => numberFormat(locale).format(value);

/** A percentage given as 0–100 (decimal string or number): "10 %". */
export function formatPercent(/** @type {string} */ locale, /** @type {string | number} */ value) {
  const text = String(value).trim();
  if (!DECIMAL.test(text)) return text;
  return formatExact(
    numberFormat(locale, { style: "unit", unit: "percent", maximumFractionDigits: 4 }),
    text,
  );
}

/**
 * A share given as a fraction (decimal string such as "0.3333", or a number) as a
 * percentage: "33,33 %". The point is moved by two digits in the text, so nothing is
 * rounded through binary floating point.
 * @param {string} locale
 * @param {string | number} value
 */
export function formatShare(locale, value) {
  const text = String(value).trim();
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return text;
  const [, sign, whole, fraction = ""] = match;
  const digits = fraction.padEnd(2, "0");
  const integer = (whole + digits.slice(0, 2)).replace(/^0+(?=\d)/, "");
  const rest = digits.slice(2);
  return formatPercent(locale, `${sign}${integer}${rest ? `.${rest}` : ""}`);
}

/**
 * An instant (RFC 3339) as date and time in `timeZone` ("1 mars 2026 à 00:00"); in the
 * viewer's own zone, named, when `timeZone` is absent.
 * @param {string} locale
 * @param {string | null | undefined} instant
 * @param {string | null | undefined} [timeZone] IANA
 * @param {{ seconds?: boolean, dateStyle?: "short" | "medium" | "long" }} [options]
 */
export function formatDateTime(
  locale,
  instant,
  timeZone,
  { seconds = false, dateStyle = "medium" } = {},
) {
  if (!instant) return "—";
  const date = new Date(instant);
  if (Number.isNaN(date.getTime())) return instant;
  /** @type {Intl.DateTimeFormatOptions} */
  const options = timeZone
    ? { dateStyle, timeStyle: seconds ? "medium" : "short", timeZone }
    : { dateStyle, timeStyle: "long" };
  try {
    return dateFormat(locale, options).format(date);
  } catch {
    // An unknown zone: in UTC, said so.
    return `${dateFormat(locale, { ...options, timeZone: "UTC" }).format(date)} UTC`;
  }
}

/**
 * A calendar date ("2026-03-01", no zone: a day of the campaign's own calendar) as "1 mars"
 * or, with `year`, "1 mars 2026".
 * @param {string} locale
 * @param {string} day
 * @param {{ year?: boolean }} [options]
 */
export function formatDay(locale, day, { year = false } = {}) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || "");
  if (!match) return day;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return dateFormat(locale, {
    day: "numeric",
    month: "short",
    year: year ? "numeric" : undefined,
    timeZone: "UTC",
  }).format(date);
}

/** A wall-clock time of the viewer's own zone, with seconds ("14:03:12"). */
export const formatTime = (/** @type {string} */ locale, /** @type {Date} */ date) =>
  dateFormat(locale, { timeStyle: "medium" }).format(date);

/** A local clock time "HH:MM" (no zone) as the locale writes it ("17:00", "5:00 pm"). */
export function formatClock(/** @type {string} */ locale, /** @type {string} */ hhmm) {
  const match = /^(\d{2}):(\d{2})$/.exec(hhmm || "");
  if (!match) return hhmm;
  const date = new Date(Date.UTC(2024, 0, 1, Number(match[1]), Number(match[2])));
  return dateFormat(locale, { hour: "numeric", minute: "2-digit", timeZone: "UTC" }).format(date);
}

/** @typedef {"mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun"} Weekday */

/** @type {Weekday[]} */
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/**
 * A day of the week of the API ("fri") as the locale names it: "ven." / "vendredi".
 * @param {string} locale
 * @param {string} day
 * @param {"short" | "long"} [width]
 */
export function formatWeekday(locale, day, width = "short") {
  const index = WEEKDAYS.indexOf(/** @type {Weekday} */ (day));
  if (index < 0) return day;
  // 2024-01-01 was a Monday.
  return dateFormat(locale, { weekday: width, timeZone: "UTC" }).format(
    new Date(Date.UTC(2024, 0, 1 + index)),
  );
}

/**
 * The difference of two decimal strings, exactly (BigInt on their digits): budget − left.
 * @param {string | number} a
 * @param {string | number} b
 */
export function subtractDecimals(a, b) {
  const x = String(a).trim();
  const y = String(b).trim();
  if (!DECIMAL.test(x) || !DECIMAL.test(y)) return String(Number(x) - Number(y));
  const scale = Math.max(fractionDigits(x), fractionDigits(y));
  const units = (/** @type {string} */ text) => {
    const [whole, fraction = ""] = text.replace("-", "").split(".");
    const value = BigInt(whole + fraction.padEnd(scale, "0"));
    return text.startsWith("-") ? -value : value;
  };
  const difference = units(x) - units(y);
  const negative = difference < 0n;
  const digits = (negative ? -difference : difference).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale ? `.${digits.slice(digits.length - scale)}` : "";
  return `${negative ? "-" : ""}${whole}${fraction}`;
}
