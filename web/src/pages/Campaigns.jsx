// The campaign list: status, plugin, schedule, group, budget used, redemptions, discount
// granted; filter by status, search by name; the status actions, clone and delete.
import { useCallback, useEffect, useMemo, useState } from "react";
import { api } from "../api.js";
import { href } from "../router.js";
import { Problem, Progress, StatusBadge, money, ratio } from "../components/ui.jsx";
import { STATUS_ACTIONS, changeStatus, deleteCampaign, scheduleSummary } from "../campaignActions.js";

const STATUSES = ["all", "draft", "active", "paused", "ended"];

export function Campaigns() {
  const [campaigns, setCampaigns] = useState(null);
  const [stats, setStats] = useState({});
  const [status, setStatus] = useState("all");
  const [search, setSearch] = useState("");
  const [error, setError] = useState(null);

  const load = useCallback(async () => {
    try {
      const list = await api("GET", "/v1/campaigns");
      setCampaigns(list);
      const pairs = await Promise.all(
        list.map((c) =>
          api("GET", `/v1/campaigns/${encodeURIComponent(c.id)}/stats`).then(
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

  async function act(id, action) {
    setError(null);
    try {
      if (action === "delete") {
        if (!window.confirm(`Delete campaign ${id}? Its redemptions stay recorded.`)) return;
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
        <h1>Campaigns</h1>
        <a className="button primary" href="#/campaigns/new">
          New campaign
        </a>
      </div>
      <div className="filters">
        <div className="segmented" role="group" aria-label="Status">
          {STATUSES.map((s) => (
            <button key={s} className={status === s ? "on" : ""} onClick={() => setStatus(s)}>
              {s}
            </button>
          ))}
        </div>
        <input
          type="search"
          name="search"
          placeholder="Search by name"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      <Problem error={error} />
      {campaigns === null ? (
        <p className="empty">Loading…</p>
      ) : shown.length === 0 ? (
        <p className="empty">{campaigns.length ? "No campaign matches." : "No campaign yet: create the first one."}</p>
      ) : (
        <div className="table-wrap">
          <table className="campaigns">
            <thead>
              <tr>
                <th>Name</th>
                <th>Status</th>
                <th>Plugin</th>
                <th className="wide-only">Schedule</th>
                <th className="wide-only">Group</th>
                <th>Budget used</th>
                <th className="num">Redemptions</th>
                <th className="num">Discount granted</th>
                <th>Actions</th>
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

function CampaignRow({ campaign: c, stats: s, onAction }) {
  const budget = c.limits?.budget;
  const used = s && budget ? (Number(budget) - Number(s.budget_left ?? budget)).toFixed(2) : null;
  return (
    <tr data-campaign={c.id}>
      <td>
        <a href={href("campaigns", c.id)}>{c.name}</a>
        <div className="muted small">{c.id}</div>
      </td>
      <td>
        <StatusBadge status={c.status} />
        {s?.objective_met && <div className="small met">objective met</div>}
      </td>
      <td className="small">
        {c.plugin}
        {c.plugin_version ? `@${c.plugin_version}` : ""}
      </td>
      <td className="small wide-only">{scheduleSummary(c.schedule)}</td>
      <td className="small wide-only">{c.group || "—"}</td>
      <td>
        {budget && !s ? (
          <span className="muted small">…</span>
        ) : budget ? (
          <Progress
            value={ratio(used, budget)}
            max={1}
            label={`${money(used ?? "0")} / ${money(budget, s?.currency)}`}
          />
        ) : (
          <span className="muted small">no budget</span>
        )}
      </td>
      <td className="num">{s ? s.redemptions : "—"}</td>
      <td className="num">{s ? money(s.discount_granted, s.currency) : "—"}</td>
      <td className="actions">
        {STATUS_ACTIONS[c.status]?.map((action) => (
          <button key={action} onClick={() => onAction(c.id, action)}>
            {action}
          </button>
        ))}
        <a className="button" href={href("campaigns", c.id, "edit")}>
          edit
        </a>
        <a className="button" href={href("campaigns", c.id, "clone")}>
          clone
        </a>
        <button className="danger" onClick={() => onAction(c.id, "delete")}>
          delete
        </button>
      </td>
    </tr>
  );
}
