// What-if simulations as the console shows them: the form's request (drafts picked among the
// stored ones or pasted as JSON, baskets from a window of orders or of the journal, or from
// an NDJSON file), the window typed as wall-clock times in the simulation's time zone, the
// API's field errors placed next to the field their pointer names, the report's rows and
// series, and the request that launches a simulated draft as a campaign.
import { instantToWall, wallToInstant } from "./zone.js";

/** @typedef {import("./apiTypes").Body<"/v1/simulations", "POST">} SimulationBody */
/** @typedef {import("./apiTypes").Answer<"/v1/simulations/{id}", "GET">} SimulationView */
/** @typedef {NonNullable<SimulationView["report"]>} Report */
/** @typedef {Report["by_day"][number]} Slice */
/** @typedef {Report["campaigns"][number]} Outcome */
/** @typedef {import("./apiTypes").Body<"/v1/campaigns", "POST">} CampaignBody */
/** @typedef {import("./campaignActions.js").StoredCampaign} StoredCampaign */
/** @typedef {import("./i18n/translate.js").MessageKey} MessageKey */
/** @typedef {import("./api.js").FieldError} FieldError */

/** Where the baskets come from. @typedef {"orders" | "journal" | "ndjson"} Source */
/**
 * The form as typed: the ids of the stored drafts picked, the drafts pasted as JSON, the
 * source, its window as wall-clock "YYYY-MM-DDTHH:MM" in `timezone` (or in the browser's
 * zone while `timezone` names none), the NDJSON file's text and name, the currency.
 * @typedef {{ picked: string[], pasted: string, source: Source, from: string, to: string, ndjson: string, fileName: string, currency: string, timezone: string }} Form
 */
/** The fields an error is shown next to. @typedef {"drafts" | "source" | "from" | "to" | "ndjson" | "currency" | "timezone"} FieldName */
/** A problem the console finds before sending: a message of the catalogue, for a field. @typedef {{ field: FieldName, key: MessageKey, params?: Record<string, string | number> }} LocalProblem */
/** What pasted JSON holds: drafts, or why not (its error and detail). @typedef {{ drafts: CampaignBody[], error: "json" | "shape" | null, detail: string }} Pasted */
/**
 * A launch: a new campaign (POST), or one of the draft's id replaced by it (PUT, at the
 * revision read just before).
 * @typedef {{ method: "POST", body: CampaignBody } | { method: "PUT", id: string, revision: number, body: CampaignBody }} Launch
 */

/** @type {Source[]} */
export const SOURCES = ["orders", "journal", "ndjson"];
/** The window offered at first: the last 7 days. */
export const WINDOW_DAYS = 7;
/** How often a running simulation is asked for its progress. */
export const POLL_MS = 500;
/** The fields of a campaign body (POST /v1/campaigns): a stored campaign's others are the server's. */
export const CAMPAIGN_FIELDS = /** @type {const} */ ([
  "id",
  "name",
  "plugin",
  "plugin_version",
  "params",
  "status",
  "schedule",
  "audience",
  "coupon_required",
  "priority",
  "group",
  "exclusive",
  "limits",
  "points_valid_days",
]);

const MINUTE = 60_000;
const DAY = 86_400_000;

/** The browser's own IANA time zone ("UTC" when it names none). */
export function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/**
 * Whether Intl knows the IANA time zone `zone`.
 * @param {string | null | undefined} zone
 */
export function knownZone(zone) {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The zone the window's wall-clock times are read in: the one typed when Intl knows it,
 * else the browser's (the API then says what is wrong with the one typed).
 * @param {string} typed
 */
export const windowZone = (typed) => (knownZone(typed.trim()) ? typed.trim() : browserZone());

/**
 * The last `WINDOW_DAYS` days up to the next whole minute after `now` (the end is exclusive:
 * an order committed this minute is in), as wall-clock times in `timeZone`.
 * @param {Date} now
 * @param {string} timeZone
 * @returns {{ from: string, to: string }}
 */
export function defaultWindow(now, timeZone) {
  const end = Math.floor(now.getTime() / MINUTE) * MINUTE + MINUTE;
  return {
    from: instantToWall(new Date(end - WINDOW_DAYS * DAY).toISOString(), timeZone),
    to: instantToWall(new Date(end).toISOString(), timeZone),
  };
}

/**
 * The form at first: orders of the last 7 days, in `timeZone`, nothing picked.
 * @param {Date} now
 * @param {string} timeZone
 * @returns {Form}
 */
export function emptyForm(now, timeZone) {
  return {
    picked: [],
    pasted: "",
    source: "orders",
    ...defaultWindow(now, timeZone),
    ndjson: "",
    fileName: "",
    currency: "",
    timezone: timeZone,
  };
}

/** @param {unknown} value */
const isObject = (value) => !!value && typeof value === "object" && !Array.isArray(value);

/**
 * The drafts pasted: one campaign body, or a list of them ("" holds none).
 * @param {string} text
 * @returns {Pasted}
 */
export function parseDrafts(text) {
  const trimmed = String(text ?? "").trim();
  if (!trimmed) return { drafts: [], error: null, detail: "" };
  let value;
  try {
    value = JSON.parse(trimmed);
  } catch (e) {
    return { drafts: [], error: "json", detail: e instanceof Error ? e.message : String(e) };
  }
  const list = Array.isArray(value) ? value : [value];
  const bad = list.findIndex((item) => !isObject(item));
  if (bad >= 0) return { drafts: [], error: "shape", detail: String(bad + 1) };
  return { drafts: /** @type {CampaignBody[]} */ (list), error: null, detail: "" };
}

/**
 * A stored campaign as the body of POST /v1/campaigns: its fields of a campaign, absent or
 * null ones left out, copied (the server's revision, dates and set-aside are not a body's).
 * @param {StoredCampaign} stored
 * @returns {CampaignBody}
 */
export function draftBody(stored) {
  /** @type {Record<string, unknown>} */
  const body = {};
  const from = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (stored));
  for (const field of CAMPAIGN_FIELDS) {
    const value = from[field];
    if (value !== undefined && value !== null) body[field] = structuredClone(value);
  }
  return /** @type {CampaignBody} */ (/** @type {unknown} */ (body));
}

/**
 * Counts the baskets of an NDJSON text: its lines that are not blank.
 * @param {string} text
 */
export const basketLines = (text) =>
  String(text ?? "")
    .split(/\r?\n/)
    .filter((line) => line.trim()).length;

/**
 * The request of the form, or the problems that keep it from being sent.
 * @param {Form} form
 * @param {StoredCampaign[]} campaigns the stored campaigns the picked ids name
 * @returns {{ body: SimulationBody | null, problems: LocalProblem[] }}
 */
export function requestOf(form, campaigns) {
  /** @type {LocalProblem[]} */
  const problems = [];
  /** @type {CampaignBody[]} */
  const drafts = [];
  for (const id of form.picked) {
    const stored = campaigns.find((c) => c.id === id);
    if (stored) drafts.push(draftBody(stored));
  }
  const pasted = parseDrafts(form.pasted);
  if (pasted.error === "json") {
    problems.push({
      field: "drafts",
      key: "simulation.pastedNotJson",
      params: { detail: pasted.detail },
    });
  } else if (pasted.error === "shape") {
    problems.push({
      field: "drafts",
      key: "simulation.pastedNotCampaign",
      params: { n: pasted.detail },
    });
  } else {
    drafts.push(...pasted.drafts);
    if (drafts.length === 0) problems.push({ field: "drafts", key: "simulation.noDrafts" });
  }

  /** @type {SimulationBody["baskets"]} */
  let baskets = {};
  if (form.source === "ndjson") {
    if (!basketLines(form.ndjson)) problems.push({ field: "ndjson", key: "simulation.noFile" });
    baskets = { ndjson: form.ndjson };
  } else {
    const zone = windowZone(form.timezone);
    if (!form.from) problems.push({ field: "from", key: "simulation.required" });
    if (!form.to) problems.push({ field: "to", key: "simulation.required" });
    const from = wallToInstant(form.from, zone);
    const to = wallToInstant(form.to, zone);
    if (from && to && Date.parse(to) <= Date.parse(from)) {
      problems.push({ field: "to", key: "simulation.windowOrder" });
    }
    baskets = form.source === "journal" ? { journal: { from, to } } : { orders: { from, to } };
  }

  /** @type {SimulationBody} */
  const body = { drafts, baskets };
  const currency = form.currency.trim().toUpperCase();
  if (currency) body.currency = currency;
  const timezone = form.timezone.trim();
  if (timezone) body.timezone = timezone;
  return problems.length ? { body: null, problems } : { body, problems };
}

/**
 * The field of the form the API's error `pointer` is about; null for none (the error is
 * then shown with the problem's title).
 * @param {string} pointer
 * @returns {FieldName | null}
 */
export function fieldOf(pointer) {
  if (typeof pointer !== "string") return null;
  const under = (/** @type {string} */ prefix) =>
    pointer === prefix || pointer.startsWith(prefix + "/");
  if (under("/drafts")) return "drafts";
  if (under("/currency")) return "currency";
  if (under("/timezone")) return "timezone";
  if (under("/baskets/ndjson")) return "ndjson";
  const window = /^\/baskets\/(?:orders|journal)\/(from|to)(?:\/|$)/.exec(pointer);
  if (window) return /** @type {FieldName} */ (window[1]);
  if (under("/baskets")) return "source";
  return null;
}

/**
 * The API's field errors by the field they are shown next to, and the pointers so placed
 * (for the problem banner to leave out). An error of a draft names it: its id as sent
 * ("ten-from-100 /params/tiers/0/percent_off: …"), else its place in the list ("#2").
 * @param {FieldError[] | null | undefined} errors
 * @param {unknown[]} [drafts] the drafts sent, in order
 * @returns {{ byField: Record<FieldName, string[]>, shown: string[] }}
 */
export function placeErrors(errors, drafts = []) {
  /** @type {Record<FieldName, string[]>} */
  const byField = {
    drafts: [],
    source: [],
    from: [],
    to: [],
    ndjson: [],
    currency: [],
    timezone: [],
  };
  /** @type {string[]} */
  const shown = [];
  for (const error of errors || []) {
    const field = fieldOf(error?.pointer);
    if (!field) continue;
    let message = String(error.message ?? "");
    const draft = /^\/drafts\/(\d+)(\/.*)?$/.exec(error.pointer);
    if (draft) {
      const index = Number(draft[1]);
      const sent = drafts[index];
      const id =
        isObject(sent) && typeof (/** @type {{ id?: unknown }} */ (sent).id) === "string"
          ? /** @type {{ id: string }} */ (sent).id
          : "";
      const name = id || `#${index + 1}`;
      message = draft[2] ? `${name} ${draft[2]}: ${message}` : `${name}: ${message}`;
    }
    byField[field].push(message);
    shown.push(error.pointer);
  }
  return { byField, shown };
}

/**
 * The days from the first slice's to the last's, each day without baskets as a slice of
 * zeros, so that the chart shows the gaps (as given when over 400 days or unreadable).
 * @param {Slice[]} rows by day, in order
 * @returns {Slice[]}
 */
export function fillDays(rows) {
  const list = rows || [];
  if (list.length < 2) return list;
  const parse = (/** @type {string} */ key) => {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
    return match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
  };
  const first = parse(list[0].key);
  const last = parse(list[list.length - 1].key);
  if (Number.isNaN(first) || Number.isNaN(last) || last < first || (last - first) / DAY > 400) {
    return list;
  }
  const byKey = new Map(list.map((row) => [row.key, row]));
  /** @type {Slice[]} */
  const out = [];
  for (let day = first; day <= last; day += DAY) {
    const key = new Date(day).toISOString().slice(0, 10);
    out.push(byKey.get(key) ?? { key, baskets: 0, touched: 0, drafts: "0.00", change: "0.00" });
  }
  return out;
}

/**
 * The chart of the days: their keys, what the drafts granted and added to today's
 * discounts (numbers for drawing only: money itself stays a string), the baskets touched.
 * @param {Slice[]} rows by day, in order
 */
export function dayChart(rows) {
  const days = fillDays(rows);
  return {
    keys: days.map((r) => r.key),
    drafts: days.map((r) => Number(r.drafts)),
    change: days.map((r) => Number(r.change)),
    touched: days.map((r) => r.touched),
  };
}

/**
 * The campaigns of the report: the drafts first, then the live campaigns, each in the
 * report's order; whether a live one was displaced and whether one ran out.
 * @param {Outcome[]} campaigns
 */
export function campaignRows(campaigns) {
  const list = campaigns || [];
  return [...list.filter((c) => c.draft), ...list.filter((c) => !c.draft)].map((c) => ({
    ...c,
    isDisplaced: !c.draft && c.displaced > 0,
    runsOut: !!c.runs_out_on || c.runs_out_after != null,
  }));
}

/**
 * The share of the baskets a draft touched, as a percentage with one decimal (0 of none).
 * @param {number} touched
 * @param {number} baskets
 */
export const touchedPercent = (touched, baskets) =>
  baskets > 0 ? Math.round((touched / baskets) * 1000) / 10 : 0;

/** Whether the job still runs (and is polled). @param {string | null | undefined} status */
export const isRunning = (status) => status === "running";

/**
 * The drafts of a job, as sent, that can be launched: campaign bodies with an id.
 * @param {unknown[] | null | undefined} drafts
 * @returns {CampaignBody[]}
 */
export function launchable(drafts) {
  return /** @type {CampaignBody[]} */ (
    (drafts || []).filter(
      (d) => isObject(d) && typeof (/** @type {{ id?: unknown }} */ (d).id) === "string",
    )
  );
}

/**
 * How to launch `draft` with `status`: a new campaign when none has its id, else the one
 * that has it replaced by the draft as simulated (at the revision read, so that a write in
 * between is refused rather than lost).
 * @param {CampaignBody} draft
 * @param {"active" | "draft"} status
 * @param {StoredCampaign | null} stored the campaign of that id, if any
 * @returns {Launch}
 */
export function launchRequest(draft, status, stored) {
  const body = /** @type {CampaignBody} */ ({ ...structuredClone(draft), status });
  if (!stored) return { method: "POST", body };
  return { method: "PUT", id: stored.id, revision: stored.revision, body };
}
