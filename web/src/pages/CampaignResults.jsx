// One campaign: what it is, its status actions, and its results from
// GET /v1/campaigns/{id}/stats as charts, refreshed live.
import { useCallback, useEffect, useMemo, useState } from "react";
import { call } from "../api.js";
import { go, href } from "../router.js";
import { useI18n } from "../i18n/I18n.jsx";
import { subtractDecimals } from "../i18n/format.js";
import { BarChart } from "../components/Chart.jsx";
import { Problem, Progress, StatusBadge, ratio } from "../components/ui.jsx";
import {
  ACTION_LABELS,
  STATUS_ACTIONS,
  changeStatus,
  deleteCampaign,
  periodName,
  scheduleSummary,
  zoneOf,
} from "../campaignActions.js";

/** @typedef {import("../campaignActions.js").StoredCampaign} StoredCampaign */
/** @typedef {import("../campaignActions.js").CampaignStats} CampaignStats */
/** @typedef {import("../campaignActions.js").StatusAction} StatusAction */
/** @typedef {CampaignStats["by_day"][number]} DayStats */
/** @typedef {CampaignStats["by_channel"][number]} ChannelStats */
/** @typedef {import("../i18n/I18n.jsx").I18n} I18n */

const REFRESH_MS = 3000;
const DISCOUNT = "#2f6fde";
const REDEMPTIONS = "#f08c2e";

/** @param {{ id: string }} props */
export default function CampaignResults({ id }) {
  const i18n = useI18n();
  const { t, money } = i18n;
  const [campaign, setCampaign] = useState(/** @type {StoredCampaign | null} */ (null));
  const [stats, setStats] = useState(/** @type {CampaignStats | null} */ (null));
  const [error, setError] = useState(null);
  const [updated, setUpdated] = useState(/** @type {Date | null} */ (null));

  const load = useCallback(async () => {
    const options = { path: { id } };
    try {
      const [c, s] = await Promise.all([
        call("GET", "/v1/campaigns/{id}", options),
        call("GET", "/v1/campaigns/{id}/stats", options),
      ]);
      setCampaign(c);
      setStats(s);
      setUpdated(new Date());
    } catch (e) {
      setError(e);
    }
  }, [id]);

  useEffect(() => {
    // load() sets state only once the API has answered (after an await), not synchronously.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    load();
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") load();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  /** @param {StatusAction | "delete"} action */
  async function act(action) {
    setError(null);
    try {
      if (action === "delete") {
        if (!window.confirm(t("campaign.confirmDelete", { id }))) return;
        await deleteCampaign(id);
        go("/campaigns");
        return;
      }
      await changeStatus(id, action);
      await load();
    } catch (e) {
      setError(e);
    }
  }

  const byDay = useMemo(
    () => chartOf(stats?.by_day, (/** @type {DayStats} */ r) => i18n.day(r.date)),
    [stats, i18n],
  );
  const byChannel = useMemo(
    () => chartOf(stats?.by_channel, (/** @type {ChannelStats} */ r) => r.channel),
    [stats],
  );
  const currency = stats?.currency;
  const formatMoney = useCallback(
    (/** @type {number} */ value) => money(value, currency),
    [money, currency],
  );

  if (!campaign)
    return error ? <Problem error={error} /> : <p className="empty">{t("common.loading")}</p>;
  const c = campaign;
  const s = stats;
  const budgetUsed = s?.budget ? subtractDecimals(s.budget, s.budget_left ?? s.budget) : null;
  const discountLabel = t("results.chart.discount", { currency: currency || "—" });

  return (
    <section className="results">
      <div className="page-head">
        <div>
          <h1>{c.name}</h1>
          <div className="muted">
            {c.id} · <StatusBadge status={c.status} /> · {c.plugin}
            {c.plugin_version ? `@${c.plugin_version}` : ` ${t("results.latestVersion")}`}
          </div>
        </div>
        <div className="buttons">
          {STATUS_ACTIONS[c.status]?.map((action) => (
            <button key={action} onClick={() => act(action)}>
              {t(ACTION_LABELS[action])}
            </button>
          ))}
          <a className="button" href={href("campaigns", c.id, "edit")}>
            {t("action.edit")}
          </a>
          <a className="button" href={href("campaigns", c.id, "clone")}>
            {t("action.clone")}
          </a>
          <a className="button" href={href("campaigns", c.id, "coupons")}>
            {t("action.coupons")}
          </a>
          <a className="button" href={href("campaigns", c.id, "history")}>
            {t("action.history")}
          </a>
          <button className="danger" onClick={() => act("delete")}>
            {t("action.delete")}
          </button>
        </div>
      </div>
      <Problem error={error} />
      {s?.objective_met && (
        <p className="objective" role="status">
          {s.redemptions_left === 0 ? t("results.objectiveCap") : t("results.objectiveBudget")}
        </p>
      )}

      <div className="tiles">
        <Tile label={t("results.evaluations")} value={s && i18n.number(s.evaluations)} />
        <Tile label={t("results.applications")} value={s && i18n.number(s.applications)} />
        <Tile
          label={t("results.redemptions")}
          value={s && i18n.number(s.redemptions)}
          testid="redemptions"
        />
        <Tile
          label={t("results.discount")}
          value={s ? money(s.discount_granted, s.currency) : "—"}
          testid="discount"
        />
      </div>

      <div className="limits">
        <div>
          <span className="label">{t("results.budget")}</span>
          {s?.budget ? (
            <Progress
              value={ratio(budgetUsed, s.budget)}
              max={1}
              label={t("results.budgetUsed", {
                used: money(budgetUsed, s.currency),
                budget: money(s.budget, s.currency),
              })}
            />
          ) : (
            <span className="muted">{t("results.noBudget")}</span>
          )}
        </div>
        <div>
          <span className="label">{t("results.cap")}</span>
          {s?.redemptions_cap ? (
            <Progress
              value={s.redemptions_cap - s.redemptions_left}
              max={s.redemptions_cap}
              label={t("results.capUsed", {
                used: s.redemptions_cap - s.redemptions_left,
                cap: s.redemptions_cap,
              })}
            />
          ) : (
            <span className="muted">{t("results.noCap")}</span>
          )}
        </div>
      </div>

      <div className="charts">
        <BarChart
          title={t("results.chart.perDay")}
          labels={byDay.labels}
          formatLeft={formatMoney}
          series={[
            { label: discountLabel, data: byDay.discount, color: DISCOUNT },
            {
              label: t("results.redemptions"),
              data: byDay.redemptions,
              color: REDEMPTIONS,
              axis: "right",
            },
          ]}
        />
        <BarChart
          title={t("results.chart.perChannel")}
          labels={byChannel.labels}
          formatLeft={formatMoney}
          series={[
            { label: discountLabel, data: byChannel.discount, color: DISCOUNT },
            {
              label: t("results.redemptions"),
              data: byChannel.redemptions,
              color: REDEMPTIONS,
              axis: "right",
            },
          ]}
        />
      </div>
      <p className="muted small">
        {updated
          ? t("results.liveAt", { seconds: REFRESH_MS / 1000, time: i18n.time(updated) })
          : t("results.live", { seconds: REFRESH_MS / 1000 })}
      </p>

      <h2>{t("results.settings")}</h2>
      <dl className="settings">
        <dt>{t("results.schedule")}</dt>
        <dd>{scheduleSummary(i18n, c.schedule)}</dd>
        <dt>{t("results.audience")}</dt>
        <dd>{audienceSummary(t, c.audience)}</dd>
        <dt>{t("results.limits")}</dt>
        <dd>{limitsSummary(i18n, c.limits, s?.currency)}</dd>
        <dt>{t("results.stacking")}</dt>
        <dd>{stackingSummary(t, c)}</dd>
        <dt>{t("results.params")}</dt>
        <dd>
          <pre>{JSON.stringify(c.params, null, 2)}</pre>
        </dd>
        <dt>{t("results.revision")}</dt>
        <dd>
          {t("results.revisionText", {
            revision: c.revision,
            created: i18n.dateTime(c.created_at, zoneOf(c)),
            updated: i18n.dateTime(c.updated_at, zoneOf(c)),
          })}
        </dd>
      </dl>
    </section>
  );
}

/** @param {{ label: string, value: string | null | undefined, testid?: string }} props */
function Tile({ label, value, testid }) {
  return (
    <div className="tile" data-testid={testid}>
      <span className="label">{label}</span>
      <strong>{value ?? "—"}</strong>
    </div>
  );
}

/**
 * Rows of the stats → chart labels and two series (money as numbers for drawing only).
 * @template {{ discount: string | number, redemptions: number }} Row
 * @param {Row[] | undefined} rows
 * @param {(row: Row) => string} label
 */
function chartOf(rows, label) {
  const list = rows || [];
  return {
    labels: list.map(label),
    discount: list.map((r) => Number(r.discount)),
    redemptions: list.map((r) => r.redemptions),
  };
}

/** @param {I18n["t"]} t @param {StoredCampaign["audience"]} [a] */
function audienceSummary(t, a) {
  const parts = [];
  if (a?.channels?.length) parts.push(t("audience.channels", { list: a.channels.join(", ") }));
  if (a?.stores?.length) parts.push(t("audience.stores", { list: a.stores.join(", ") }));
  if (a?.segments?.length) parts.push(t("audience.segments", { list: a.segments.join(", ") }));
  if (a?.loyalty_tiers?.length) {
    parts.push(t("audience.loyaltyTiers", { list: a.loyalty_tiers.join(", ") }));
  }
  if (a?.customers?.length) parts.push(t("audience.customers", { list: a.customers.join(", ") }));
  for (const [name, values] of Object.entries(a?.attributes || {})) {
    parts.push(t("audience.attribute", { name, list: values.join(", ") }));
  }
  return parts.length ? parts.join(" · ") : t("audience.everyone");
}

/**
 * @param {I18n} i18n
 * @param {StoredCampaign["limits"]} [l]
 * @param {string} [currency] of the campaign's redemptions, once it has some
 */
function limitsSummary({ t, money }, l, currency) {
  const parts = [];
  if (l?.budget) {
    const budget = money(l.budget, currency);
    parts.push(l.partial ? t("limits.budgetPartial", { budget }) : t("limits.budget", { budget }));
  }
  if (l?.redemptions) parts.push(t("limits.redemptions", { count: l.redemptions }));
  if (l?.per_customer) {
    parts.push(
      t("limits.perCustomer", {
        count: l.per_customer,
        period: periodName(t, l.per_customer_period || "campaign"),
      }),
    );
  }
  return parts.length ? parts.join(" · ") : t("limits.none");
}

/** @param {I18n["t"]} t @param {StoredCampaign} c */
function stackingSummary(t, c) {
  const parts = [c.group ? t("stacking.group", { group: c.group }) : t("stacking.noGroup")];
  parts.push(t("stacking.priority", { priority: c.priority }));
  if (c.exclusive) parts.push(t("stacking.exclusive"));
  if (c.coupon_required) parts.push(t("stacking.couponRequired"));
  return parts.join(" · ");
}
