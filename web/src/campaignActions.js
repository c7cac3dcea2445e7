// What marketing can do to a campaign's status, per status (activate, pause, end), and
// the few words that sum up a campaign's settings.
import { call } from "./api.js";

/** @typedef {import("./apiTypes").Answer<"/v1/campaigns/{id}", "GET">} StoredCampaign */
/** @typedef {import("./apiTypes").Answer<"/v1/campaigns/{id}/stats", "GET">} CampaignStats */
/** @typedef {"activate" | "pause" | "end"} StatusAction */
/** @typedef {import("./i18n/I18n.jsx").I18n} I18n */
/** @typedef {import("./i18n/translate.js").MessageKey} MessageKey */

/** @type {Record<string, StatusAction[]>} */
export const STATUS_ACTIONS = {
  draft: ["activate", "end"],
  active: ["pause", "end"],
  paused: ["activate", "end"],
  ended: [],
};

/** @param {string} id @param {StatusAction} action */
export function changeStatus(id, action) {
  const options = { path: { id } };
  switch (action) {
    case "activate":
      return call("POST", "/v1/campaigns/{id}/activate", options);
    case "pause":
      return call("POST", "/v1/campaigns/{id}/pause", options);
    case "end":
      return call("POST", "/v1/campaigns/{id}/end", options);
  }
}

/** @param {string} id */
export const deleteCampaign = (id) => call("DELETE", "/v1/campaigns/{id}", { path: { id } });

/** The button of each action. @type {Record<StatusAction, MessageKey>} */
export const ACTION_LABELS = {
  activate: "action.activate",
  pause: "action.pause",
  end: "action.end",
};

/** A status as people read it. @param {I18n["t"]} t @param {string} status */
export function statusName(t, status) {
  switch (status) {
    case "draft":
      return t("status.draft");
    case "active":
      return t("status.active");
    case "paused":
      return t("status.paused");
    case "ended":
      return t("status.ended");
    default:
      return status;
  }
}

/** The time zone the campaign's dates are read in: its own, UTC when it has none. */
export const zoneOf = (/** @type {StoredCampaign} */ campaign) =>
  campaign?.schedule?.timezone || "UTC";

/**
 * The schedule in a few words: "1 mars 2026 à 00:00 → … · ven. sam. · 17:00–20:00 ·
 * Europe/Paris", dates in the campaign's time zone.
 * @param {I18n} i18n
 * @param {StoredCampaign["schedule"]} [schedule]
 */
export function scheduleSummary(i18n, schedule) {
  const { t } = i18n;
  const zone = schedule?.timezone || "UTC";
  const parts = [];
  if (schedule?.starts_at || schedule?.ends_at) {
    const at = (/** @type {string | null | undefined} */ instant) =>
      instant ? i18n.dateTime(instant, zone) : "…";
    parts.push(`${at(schedule.starts_at)} → ${at(schedule.ends_at)}`);
  }
  if (schedule?.days_of_week?.length) {
    parts.push(schedule.days_of_week.map((day) => i18n.weekday(day)).join(" "));
  }
  if (schedule?.hours?.length) {
    parts.push(schedule.hours.map((h) => `${i18n.clock(h.from)}–${i18n.clock(h.to)}`).join(", "));
  }
  if (schedule?.timezone) parts.push(schedule.timezone);
  return parts.length ? parts.join(" · ") : t("schedule.always");
}

/** A per-customer period: "per day", "over the whole campaign"… @param {I18n["t"]} t @param {string} period */
export function periodName(t, period) {
  switch (period) {
    case "day":
      return t("period.perDay");
    case "week":
      return t("period.perWeek");
    case "month":
      return t("period.perMonth");
    default:
      return t("period.perCampaign");
  }
}
