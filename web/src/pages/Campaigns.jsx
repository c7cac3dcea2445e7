// The campaign list: status, plugin, schedule, group, budget used, redemptions, discount
// granted; filter by status, search by name; the status actions, clone and delete.
import { useCallback, useEffect, useMemo, useState } from "react";
import { call } from "../api.js";
import { href } from "../router.js";
import { useI18n } from "../i18n/I18n.jsx";
import { subtractDecimals } from "../i18n/format.js";
import { Problem, Progress, StatusBadge, ratio } from "../components/ui.jsx";
import {
  ACTION_LABELS,
  STATUS_ACTIONS,
  changeStatus,
  deleteCampaign,
  scheduleSummary,
} from "../campaignActions.js";

/** @typedef {import("../campaignActions.js").StoredCampaign} StoredCampaign */
/** @typedef {import("../campaignActions.js").CampaignStats} CampaignStats */
/** @typedef {import("../campaignActions.js").StatusAction} StatusAction */
/** @typedef {import("../i18n/translate.js").MessageKey} MessageKey */

/** The status filter: every status, then each. @type {[string, MessageKey][]} */
const FILTERS = [
  ["all", "campaigns.filter.all"],
  ["draft", "campaigns.filter.draft"],
  ["active", "campaigns.filter.active"],
  ["paused", "campaigns.filter.paused"],
  ["ended", "campaigns.filter.ended"],
];

export function Campaigns() {
  const { t } = useI18n();
  const [campaigns, setCampaigns] = useState(/** @type {StoredCampaign[] | null} */ (null));
  const [stats, setStats] = useState(/** @type {Record<string, CampaignStats | null>} */ ({}));
  const [status, setStatus] = useState("all");
  const [search, setSearch] = useState("");
  const [error, setError] = useState(null);

  const load = useCallback(async () => {
    try {
      const list = await call("GET", "/v1/campaigns");
      setCampaigns(list);
      const pairs = await Promise.all(
        list.map((c) =>
          call("GET", "/v1/campaigns/{id}/stats", { path: { id: c.id } }).then(
            (s) => [c.id, s],
            () => [c.id, null],
          ),
        ),
      );
      setStats(Object.fromEntries(pairs));
    } catch (e) {
      setError(e);
    }
  }, []);

  useEffect(() => {
    // load() sets state only once the API has answered (after an await), not synchronously.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    load();
  }, [load]);

  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return (campaigns || []).filter(
      (c) =>
        (status === "all" || c.status === status) &&
        (!needle || c.name.toLowerCase().includes(needle) || c.id.toLowerCase().includes(needle)),
    );
  }, [campaigns, status, search]);

  /** @param {string} id @param {StatusAction | "delete"} action */
  async function act(id, action) {
    setError(null);
    try {
      if (action === "delete") {
        if (!window.confirm(t("campaign.confirmDelete", { id }))) return;
        await deleteCampaign(id);
      } else {
        await changeStatus(id, action);
      }
      await load();
    } catch (e) {
      setError(e);
    }
  }

  return (
    <section>
      <div className="page-head">
        <h1>{t("campaigns.title")}</h1>
        <a className="button primary" href="#/campaigns/new">
          {t("campaigns.new")}
        </a>
      </div>
      <div className="filters">
        <div className="segmented" role="group" aria-label={t("campaigns.filter.label")}>
          {FILTERS.map(([code, label]) => (
            <button
              key={code}
              className={status === code ? "on" : ""}
              aria-pressed={status === code}
              onClick={() => setStatus(code)}
            >
              {t(label)}
            </button>
          ))}
        </div>
        <input
          type="search"
          name="search"
          placeholder={t("campaigns.search")}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      <Problem error={error} />
      {campaigns === null ? (
        <p className="empty">{t("common.loading")}</p>
      ) : shown.length === 0 ? (
        <p className="empty">{campaigns.length ? t("campaigns.noMatch") : t("campaigns.none")}</p>
      ) : (
        <div className="table-wrap">
          <table className="campaigns">
            <thead>
              <tr>
                <th>{t("campaigns.col.name")}</th>
                <th>{t("campaigns.col.status")}</th>
                <th>{t("campaigns.col.plugin")}</th>
                <th className="wide-only">{t("campaigns.col.schedule")}</th>
                <th className="wide-only">{t("campaigns.col.group")}</th>
                <th>{t("campaigns.col.budgetUsed")}</th>
                <th className="num">{t("campaigns.col.redemptions")}</th>
                <th className="num">{t("campaigns.col.discount")}</th>
                <th>{t("campaigns.col.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((c) => (
                <CampaignRow key={c.id} campaign={c} stats={stats[c.id]} onAction={act} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/**
 * @param {{
 *   campaign: StoredCampaign,
 *   stats: CampaignStats | null | undefined,
 *   onAction: (id: string, action: StatusAction | "delete") => void,
 * }} props
 */
function CampaignRow({ campaign: c, stats: s, onAction }) {
  const i18n = useI18n();
  const { t, money } = i18n;
  const budget = c.limits?.budget;
  const used = s && budget ? subtractDecimals(budget, s.budget_left ?? budget) : null;
  return (
    <tr data-campaign={c.id}>
      <td>
        <a href={href("campaigns", c.id)}>{c.name}</a>
        <div className="muted small">{c.id}</div>
      </td>
      <td>
        <StatusBadge status={c.status} />
        {s?.objective_met && <div className="small met">{t("campaigns.objectiveMet")}</div>}
        {c.set_aside && (
          <div
            className="small problem"
            data-set-aside={c.set_aside.status}
            title={c.set_aside.reason}
          >
            {t(
              c.set_aside.status === "suspended"
                ? "campaigns.suspended"
                : "campaigns.servingPrevious",
            )}
            <div className="muted">{c.set_aside.reason}</div>
          </div>
        )}
      </td>
      <td className="small">
        {c.plugin}
        {c.plugin_version ? `@${c.plugin_version}` : ""}
      </td>
      <td className="small wide-only">{scheduleSummary(i18n, c.schedule)}</td>
      <td className="small wide-only">{c.group || "—"}</td>
      <td>
        {budget && !s ? (
          <span className="muted small">…</span>
        ) : budget ? (
          <Progress
            value={ratio(used, budget)}
            max={1}
            label={t("campaigns.budgetUsed", {
              used: money(used ?? "0", s?.currency),
              budget: money(budget, s?.currency),
            })}
          />
        ) : (
          <span className="muted small">{t("campaigns.noBudget")}</span>
        )}
      </td>
      <td className="num">{s ? i18n.number(s.redemptions) : "—"}</td>
      <td className="num">{s ? money(s.discount_granted, s.currency) : "—"}</td>
      <td className="actions">
        {STATUS_ACTIONS[c.status]?.map((action) => (
          <button key={action} onClick={() => onAction(c.id, action)}>
            {t(ACTION_LABELS[action])}
          </button>
        ))}
        <a className="button" href={href("campaigns", c.id, "edit")}>
          {t("action.edit")}
        </a>
        <a className="button" href={href("campaigns", c.id, "clone")}>
          {t("action.clone")}
        </a>
        <a className="button" href={href("campaigns", c.id, "history")}>
          {t("action.history")}
        </a>
        <button className="danger" onClick={() => onAction(c.id, "delete")}>
          {t("action.delete")}
        </button>
      </td>
    </tr>
  );
}
