// One campaign: what it is, its status actions, and its results from
// GET /v1/campaigns/{id}/stats as charts, refreshed live.
import { useCallback, useEffect, useMemo, useState } from "react";
import { api } from "../api.js";
import { go, href } from "../router.js";
import { BarChart } from "../components/Chart.jsx";
import { Problem, Progress, StatusBadge, money, ratio } from "../components/ui.jsx";
import { STATUS_ACTIONS, changeStatus, deleteCampaign, scheduleSummary } from "../campaignActions.js";

const REFRESH_MS = 3000;
const DISCOUNT = "#2f6fde";
const REDEMPTIONS = "#f08c2e";

export default function CampaignResults({ id }) {
  const [campaign, setCampaign] = useState(null);
  const [stats, setStats] = useState(null);
  const [error, setError] = useState(null);
  const [updated, setUpdated] = useState(null);

  const load = useCallback(async () => {
    const path = `/v1/campaigns/${encodeURIComponent(id)}`;
    try {
      const [c, s] = await Promise.all([api("GET", path), api("GET", `${path}/stats`)]);
      setCampaign(c);
      setStats(s);
      setUpdated(new Date());
    } catch (e) {
      setError(e);
    }
  }, [id]);

  useEffect(() => {
    load();
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") load();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  async function act(action) {
    setError(null);
    try {
      if (action === "delete") {
        if (!window.confirm(`Delete campaign ${id}? Its redemptions stay recorded.`)) return;
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

  const byDay = useMemo(() => chartOf(stats?.by_day, "date"), [stats]);
  const byChannel = useMemo(() => chartOf(stats?.by_channel, "channel"), [stats]);

  if (!campaign) return error ? <Problem error={error} /> : <p className="empty">Loading…</p>;
  const c = campaign;
  const s = stats;
  const budgetUsed = s?.budget ? (Number(s.budget) - Number(s.budget_left)).toFixed(2) : null;

  return (
    <section className="results">
      <div className="page-head">
        <div>
          <h1>{c.name}</h1>
          <div className="muted">
            {c.id} · <StatusBadge status={c.status} /> · {c.plugin}
            {c.plugin_version ? `@${c.plugin_version}` : " (latest)"}
          </div>
        </div>
        <div className="buttons">
          {STATUS_ACTIONS[c.status]?.map((action) => (
            <button key={action} onClick={() => act(action)}>
              {action}
            </button>
          ))}
          <a className="button" href={href("campaigns", c.id, "edit")}>edit</a>
          <a className="button" href={href("campaigns", c.id, "clone")}>clone</a>
          <a className="button" href={href("campaigns", c.id, "coupons")}>coupons</a>
          <button className="danger" onClick={() => act("delete")}>delete</button>
        </div>
      </div>
      <Problem error={error} />
      {s?.objective_met && (
        <p className="objective" role="status">
          Objective met: the campaign reached its {s.redemptions_left === 0 ? "redemption cap" : "budget"} and no longer applies.
        </p>
      )}

      <div className="tiles">
        <Tile label="Evaluations" value={s?.evaluations} />
        <Tile label="Applications" value={s?.applications} />
        <Tile label="Redemptions" value={s?.redemptions} testid="redemptions" />
        <Tile label="Discount granted" value={s ? money(s.discount_granted, s.currency) : "—"} testid="discount" />
      </div>

      <div className="limits">
        <div>
          <span className="label">Budget</span>
          {s?.budget ? (
            <Progress value={ratio(budgetUsed, s.budget)} max={1} label={`${money(budgetUsed)} of ${money(s.budget, s.currency)} used`} />
          ) : (
            <span className="muted">no budget</span>
          )}
        </div>
        <div>
          <span className="label">Redemption cap</span>
          {s?.redemptions_cap ? (
            <Progress value={s.redemptions_cap - s.redemptions_left} max={s.redemptions_cap} label={`${s.redemptions_cap - s.redemptions_left} of ${s.redemptions_cap}`} />
          ) : (
            <span className="muted">no cap</span>
          )}
        </div>
      </div>

      <div className="charts">
        <BarChart
          title="Per day (campaign timezone)"
          labels={byDay.labels}
          series={[
            { label: `Discount (${s?.currency || "—"})`, data: byDay.discount, color: DISCOUNT },
            { label: "Redemptions", data: byDay.redemptions, color: REDEMPTIONS, axis: "right" },
          ]}
        />
        <BarChart
          title="Per channel"
          labels={byChannel.labels}
          series={[
            { label: `Discount (${s?.currency || "—"})`, data: byChannel.discount, color: DISCOUNT },
            { label: "Redemptions", data: byChannel.redemptions, color: REDEMPTIONS, axis: "right" },
          ]}
        />
      </div>
      <p className="muted small">Live: refreshed every {REFRESH_MS / 1000} s{updated ? `, last at ${updated.toLocaleTimeString()}` : ""}.</p>

      <h2>Settings</h2>
      <dl className="settings">
        <dt>Schedule</dt>
        <dd>{scheduleSummary(c.schedule)}</dd>
        <dt>Audience</dt>
        <dd>{audienceSummary(c.audience)}</dd>
        <dt>Limits</dt>
        <dd>{limitsSummary(c.limits)}</dd>
        <dt>Stacking</dt>
        <dd>
          {c.group ? `group ${c.group}` : "no group (stacks)"} · priority {c.priority}
          {c.exclusive ? " · exclusive" : ""}
          {c.coupon_required ? " · coupon required" : ""}
        </dd>
        <dt>Parameters</dt>
        <dd>
          <pre>{JSON.stringify(c.params, null, 2)}</pre>
        </dd>
      </dl>
    </section>
  );
}

function Tile({ label, value, testid }) {
  return (
    <div className="tile" data-testid={testid}>
      <span className="label">{label}</span>
      <strong>{value ?? "—"}</strong>
    </div>
  );
}

/** Rows of the stats → chart labels and two series (money as numbers for drawing only). */
function chartOf(rows, key) {
  const list = rows || [];
  return {
    labels: list.map((r) => r[key]),
    discount: list.map((r) => Number(r.discount)),
    redemptions: list.map((r) => r.redemptions),
  };
}

function audienceSummary(a = {}) {
  const parts = [];
  for (const key of ["channels", "stores", "segments", "loyalty_tiers", "customers"]) {
    if (a[key]?.length) parts.push(`${key.replace("_", " ")}: ${a[key].join(", ")}`);
  }
  for (const [name, values] of Object.entries(a.attributes || {})) parts.push(`${name}: ${values.join(", ")}`);
  return parts.length ? parts.join(" · ") : "everyone";
}

function limitsSummary(l = {}) {
  const parts = [];
  if (l.budget) parts.push(`budget ${money(l.budget)}${l.partial ? " (the last order gets what is left)" : ""}`);
  if (l.redemptions) parts.push(`${l.redemptions} redemptions`);
  if (l.per_customer) parts.push(`${l.per_customer} per customer per ${l.per_customer_period || "campaign"}`);
  return parts.length ? parts.join(" · ") : "none";
}
