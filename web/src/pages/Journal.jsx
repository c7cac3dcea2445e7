// The journal (#/journal, #/journal/{id}): a decision looked up by its order id or its
// evaluation id. An id that starts with "ev_" is an evaluation; anything else is an order,
// and an evaluation when no order has that id. An order shows when it was committed (and
// cancelled), its totals and the campaigns that applied, each pinned to the plugin version
// that ran and its SHA-256; an evaluation shows when it was priced, its campaigns at their
// revision and its totals, and may be replayed: priced again with what was in force then,
// to see whether the answer comes out identical, or where it differs.
import { useCallback, useEffect, useState } from "react";
import { call } from "../api.js";
import { go, href } from "../router.js";
import { useI18n } from "../i18n/I18n.jsx";
import { Problem } from "../components/ui.jsx";
import { compactJson } from "../history.js";
import { lookUp, pluginAt, shortSha, totalsOf } from "../journal.js";

/** @typedef {import("../apiTypes").Answer<"/v1/journal/orders/{order_id}", "GET">} OrderEntry */
/** @typedef {import("../apiTypes").Answer<"/v1/journal/{evaluation_id}", "GET">} JournalEntry */
/** @typedef {import("../apiTypes").Answer<"/v1/journal/{evaluation_id}/replay", "POST">} Replay */
/** @typedef {import("../journal.js").Found<OrderEntry, JournalEntry>} Found */
/** @typedef {import("../i18n/I18n.jsx").I18n} I18n */

/** An operation of a difference, in words. @param {I18n["t"]} t @param {string} op */
function opName(t, op) {
  switch (op) {
    case "add":
      return t("journal.op.add");
    case "remove":
      return t("journal.op.remove");
    case "replace":
      return t("journal.op.replace");
    default:
      return op;
  }
}

/** @param {{ id?: string, canMarket: boolean }} props */
export default function Journal({ id, canMarket }) {
  const { t } = useI18n();
  const [text, setText] = useState(id || "");
  // What the id found; undefined until known (or without an id).
  const [found, setFound] = useState(/** @type {Found | undefined} */ (undefined));
  const [error, setError] = useState(/** @type {any} */ (null));

  const load = useCallback(async () => {
    if (!id) return;
    try {
      setFound(
        await lookUp(id, {
          order: (orderId) =>
            call("GET", "/v1/journal/orders/{order_id}", { path: { order_id: orderId } }),
          evaluation: (evaluationId) =>
            call("GET", "/v1/journal/{evaluation_id}", { path: { evaluation_id: evaluationId } }),
        }),
      );
    } catch (e) {
      setError(e);
    }
  }, [id]);

  useEffect(() => {
    // load() sets state only once the API has answered (after an await), not synchronously.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    load();
  }, [load]);

  /** @param {import("react").FormEvent<HTMLFormElement>} event */
  function search(event) {
    event.preventDefault();
    const wanted = text.trim();
    if (!wanted) return;
    if (wanted === id) {
      setError(null);
      setFound(undefined);
      load();
    } else {
      go(`/journal/${encodeURIComponent(wanted)}`);
    }
  }

  return (
    <section className="journal">
      <div className="page-head">
        <div>
          <h1>{t("journal.title")}</h1>
          <p className="muted small">{t("journal.intro")}</p>
        </div>
      </div>
      <form className="filters" onSubmit={search} role="search">
        <input
          type="search"
          name="journal-search"
          aria-label={t("journal.search")}
          placeholder={t("journal.search")}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit" className="primary">
          {t("journal.find")}
        </button>
        <span className="muted small">{t("journal.searchHint")}</span>
      </form>
      <Problem error={error} />
      {!id ? null : found === undefined ? (
        !error && <p className="empty">{t("common.loading")}</p>
      ) : found.kind === "none" ? (
        <p className="empty" data-testid="journal-none">
          {t("journal.none", { id })}
        </p>
      ) : found.kind === "order" ? (
        <OrderView order={found.entry} canMarket={canMarket} />
      ) : (
        <EvaluationView key={found.entry.evaluation_id} entry={found.entry} canMarket={canMarket} />
      )}
    </section>
  );
}

/** A campaign's id, linked to its history for those who may read it. */
/** @param {{ id: string, canMarket: boolean }} props */
function CampaignLink({ id, canMarket }) {
  return canMarket ? <a href={href("campaigns", id, "history")}>{id}</a> : <span>{id}</span>;
}

/** An answer's totals as figures of a `dl.facts`. @param {{ answer: unknown }} props */
function TotalFacts({ answer }) {
  const i18n = useI18n();
  const { t } = i18n;
  const totals = totalsOf(answer);
  const money = (/** @type {string | null} */ amount) =>
    amount === null ? "—" : i18n.money(amount, totals.currency);
  return (
    <>
      <div>
        <dt>{t("journal.subtotal")}</dt>
        <dd data-testid="journal-subtotal">{money(totals.subtotal)}</dd>
      </div>
      <div>
        <dt>{t("journal.discount")}</dt>
        <dd data-testid="journal-discount">{money(totals.discount_total)}</dd>
      </div>
      <div>
        <dt>{t("journal.total")}</dt>
        <dd data-testid="journal-total">{money(totals.total)}</dd>
      </div>
    </>
  );
}

/** @param {{ sha256: string }} props */
function Sha({ sha256 }) {
  return (
    <code className="sha" title={sha256}>
      {shortSha(sha256)}
    </code>
  );
}

/** @param {{ order: OrderEntry, canMarket: boolean }} props */
function OrderView({ order: o, canMarket }) {
  const i18n = useI18n();
  const { t } = i18n;
  return (
    <>
      <div className="card" data-testid="journal-order" data-order={o.order_id}>
        <h2>{t("journal.order", { id: o.order_id })}</h2>
        <dl className="facts">
          <div>
            <dt>{t("journal.committedAt")}</dt>
            <dd>{i18n.dateTime(o.committed_at)}</dd>
          </div>
          {o.cancelled_at && (
            <div>
              <dt>{t("journal.cancelledAt")}</dt>
              <dd data-testid="journal-cancelled">{i18n.dateTime(o.cancelled_at)}</dd>
            </div>
          )}
          <TotalFacts answer={o.answer} />
        </dl>
        <p className="small">
          {t("journal.evaluation")}{" "}
          <a href={href("journal", o.evaluation_id)} data-testid="journal-order-evaluation">
            <code>{o.evaluation_id}</code>
          </a>
        </p>
      </div>
      <div className="card">
        <h2>{t("journal.appliedTitle")}</h2>
        {o.campaigns.length === 0 ? (
          <p className="empty">{t("journal.noCampaigns")}</p>
        ) : (
          <div className="table-wrap">
            <table className="journal-campaigns">
              <thead>
                <tr>
                  <th>{t("journal.col.campaign")}</th>
                  <th>{t("journal.col.plugin")}</th>
                  <th>{t("journal.col.sha256")}</th>
                </tr>
              </thead>
              <tbody>
                {o.campaigns.map(({ campaign: c, sha256 }) => (
                  <tr key={c.id} data-campaign={c.id}>
                    <td>
                      <CampaignLink id={c.id} canMarket={canMarket} />
                      <div className="muted small">{c.name}</div>
                    </td>
                    <td>
                      <code>{pluginAt(c.plugin, c.plugin_version)}</code>
                    </td>
                    <td>
                      <Sha sha256={sha256} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </>
  );
}

/** @param {{ entry: JournalEntry, canMarket: boolean }} props */
function EvaluationView({ entry: e, canMarket }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [replay, setReplay] = useState(/** @type {Replay | null} */ (null));
  const [error, setError] = useState(/** @type {any} */ (null));
  const [busy, setBusy] = useState(false);

  async function run() {
    setError(null);
    setReplay(null);
    setBusy(true);
    try {
      setReplay(
        await call("POST", "/v1/journal/{evaluation_id}/replay", {
          path: { evaluation_id: e.evaluation_id },
        }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <div className="card" data-testid="journal-evaluation" data-evaluation={e.evaluation_id}>
        <div className="page-head">
          <h2>{t("journal.evaluationTitle", { id: e.evaluation_id })}</h2>
          <div className="buttons">
            <button type="button" className="primary" disabled={busy} onClick={run}>
              {busy ? t("journal.replaying") : t("journal.replay")}
            </button>
          </div>
        </div>
        <dl className="facts">
          <div>
            <dt>{t("journal.pricedAt")}</dt>
            <dd>{i18n.dateTime(e.priced_at, null, { seconds: true })}</dd>
          </div>
          <div>
            <dt>{t("journal.recordedAt")}</dt>
            <dd>{i18n.dateTime(e.recorded_at, null, { seconds: true })}</dd>
          </div>
          <TotalFacts answer={e.answer} />
        </dl>
      </div>
      <Problem error={error} />
      {replay && <ReplayView replay={replay} />}
      <div className="card">
        <h2>{t("journal.ranTitle")}</h2>
        {e.campaigns.length === 0 ? (
          <p className="empty">{t("journal.noCampaigns")}</p>
        ) : (
          <div className="table-wrap">
            <table className="journal-campaigns">
              <thead>
                <tr>
                  <th>{t("journal.col.campaign")}</th>
                  <th className="num">{t("journal.col.revision")}</th>
                  <th>{t("journal.col.plugin")}</th>
                  <th>{t("journal.col.sha256")}</th>
                </tr>
              </thead>
              <tbody>
                {e.campaigns.map((c) => (
                  <tr key={c.id} data-campaign={c.id}>
                    <td>
                      <CampaignLink id={c.id} canMarket={canMarket} />
                    </td>
                    <td className="num">{c.revision}</td>
                    <td>
                      <code>{pluginAt(c.plugin, c.version)}</code>
                    </td>
                    <td>
                      <Sha sha256={c.sha256} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </>
  );
}

/** @param {{ replay: Replay }} props */
function ReplayView({ replay: r }) {
  const { t } = useI18n();
  if (r.identical) {
    return (
      <p className="notice" role="status" data-testid="replay-identical">
        {t("journal.identical")}
      </p>
    );
  }
  return (
    <div className="card" data-testid="replay-differences">
      <h2>{t("journal.differencesTitle")}</h2>
      <p className="muted small">{t("journal.differences", { count: r.differences.length })}</p>
      <div className="table-wrap">
        <table className="diff">
          <thead>
            <tr>
              <th>{t("journal.col.path")}</th>
              <th>{t("journal.col.before")}</th>
              <th>{t("journal.col.after")}</th>
            </tr>
          </thead>
          <tbody>
            {r.differences.map((c, i) => {
              // An addition has no value before, a removal none after: "before" in c, not its
              // value, tells them from a null.
              const hasBefore = Object.prototype.hasOwnProperty.call(c, "before");
              const hasAfter = Object.prototype.hasOwnProperty.call(c, "after");
              return (
                <tr key={`${i}:${c.path}`} className={`change ${c.op}`} data-path={c.path}>
                  <td className="path">
                    <code>{c.path || t("journal.wholeAnswer")}</code>{" "}
                    <span className={`badge op ${c.op}`}>{opName(t, c.op)}</span>
                  </td>
                  <td className="before">
                    {hasBefore ? (
                      <code>{compactJson(c.before)}</code>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="after">
                    {hasAfter ? (
                      <code>{compactJson(c.after)}</code>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
