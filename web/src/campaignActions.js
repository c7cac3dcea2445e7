// What marketing can do to a campaign's status, per status (SPEC: activate, pause, end).
import { api } from "./api.js";

export const STATUS_ACTIONS = {
  draft: ["activate", "end"],
  active: ["pause", "end"],
  paused: ["activate", "end"],
  ended: [],
};

export const changeStatus = (id, action) => api("POST", `/v1/campaigns/${encodeURIComponent(id)}/${action}`);

export const deleteCampaign = (id) => api("DELETE", `/v1/campaigns/${encodeURIComponent(id)}`);

/** The schedule in a few words: "Mar 1 → Mar 31 · fri sat · 17:00–20:00 · Europe/Paris". */
export function scheduleSummary(schedule = {}) {
  const day = (iso) => iso.slice(0, 16).replace("T", " ");
  const parts = [];
  if (schedule.starts_at || schedule.ends_at) {
    parts.push(`${schedule.starts_at ? day(schedule.starts_at) : "…"} → ${schedule.ends_at ? day(schedule.ends_at) : "…"}`);
  }
  if (schedule.days_of_week?.length) parts.push(schedule.days_of_week.join(" "));
  if (schedule.hours?.length) parts.push(schedule.hours.map((h) => `${h.from}–${h.to}`).join(", "));
  if (schedule.timezone) parts.push(schedule.timezone);
  return parts.length ? parts.join(" · ") : "always";
}
