// What-if simulations (#/simulations, #/simulations/{id}): draft campaigns, picked among the
// stored drafts or pasted as JSON, priced beside today's campaigns over the orders or the
// journal of a window, or over baskets of an NDJSON file. A job runs on the server: its page
// shows its progress (it can be cancelled), then what the drafts would grant and add to
// today's discounts, per day, channel and store, the live campaigns they displace and the
// day a budget runs out; marketing launches a simulated draft as a campaign from there.
import { useCallback, useEffect, useMemo, useState } from "react";
import { call } from "../api.js";
import { go, href } from "../router.js";
import { useI18n } from "../i18n/I18n.jsx";
import { BarChart } from "../components/Chart.jsx";
import { Field, Problem, Progress, StatusBadge } from "../components/ui.jsx";
import { TIMEZONES } from "../zone.js";
import {
  POLL_MS,
  SOURCES,
  basketLines,
  browserZone,
  campaignRows,
  dayChart,
  emptyForm,
  isRunning,
  launchRequest,
  launchable,
  placeErrors,
  requestOf,
  touchedPercent,
  windowZone,
} from "../simulation.js";

/** @typedef {import("../simulation.js").SimulationView} SimulationView */
/** @typedef {import("../simulation.js").Report} Report */
/** @typedef {import("../simulation.js").Slice} Slice */
/** @typedef {import("../simulation.js").Form} Form */
/** @typedef {import("../simulation.js").FieldName} FieldName */
/** @typedef {import("../simulation.js").LocalProblem} LocalProblem */
/** @typedef {import("../simulation.js").CampaignBody} CampaignBody */
/** @typedef {import("../campaignActions.js").StoredCampaign} StoredCampaign */
/** @typedef {import("../api.js").ApiError} ApiError */
/** @typedef {import("../i18n/I18n.jsx").I18n} I18n */

const DRAFTS = "#2f6fde";
const CHANGE = "#8e6fd8";
const TOUCHED = "#f08c2e";
/** Currencies offered; any active ISO 4217 code may be typed. */
const CURRENCY_HINTS = ["EUR", "USD", "GBP", "CHF", "CAD", "JPY"];

/** A job's status, in words. @param {I18n["t"]} t @param {string} status */
function statusName(t, status) {
  switch (status) {
    case "running":
      return t("simulation.status.running");
    case "done":
      return t("simulation.status.done");
    case "cancelled":
      return t("simulation.status.cancelled");
    case "failed":
      return t("simulation.status.failed");
    case "abandoned":
      return t("simulation.status.abandoned");
    default:
      return status;
  }
}

/** A source of baskets, in words. @param {I18n["t"]} t @param {string} source */
function sourceName(t, source) {
  switch (source) {
    case "orders":
      return t("simulation.source.orders");
    case "journal":
      return t("simulation.source.journal");
    case "ndjson":
    case "upload":
      return t("simulation.source.ndjson");
    default:
      return source;
  }
}

/** @param {{ status: string }} props */
function JobStatus({ status }) {
  const { t } = useI18n();
  return (
    <span className={`badge simulation ${status}`} data-status={status}>
      {statusName(t, status)}
    </span>
  );
}

/** Where a job's baskets came from, and its window in the viewer's zone. @param {{ view: SimulationView }} props */
function SourceText({ view }) {
  const i18n = useI18n();
  const { t } = i18n;
  const b = view.baskets;
  if (!b.from || !b.to) return <>{sourceName(t, b.source)}</>;
  return (
    <>
      {sourceName(t, b.source)} ·{" "}
      {t("simulation.window", {
        from: i18n.dateTime(b.from, view.timezone),
        to: i18n.dateTime(b.to, view.timezone),
      })}
    </>
  );
}

/** The ids of a job's drafts, as sent. @param {SimulationView} view */
const draftIds = (view) =>
  launchable(view.drafts)
    .map((d) => d.id)
    .join(", ");

/** @param {{ id?: string, canMarket: boolean }} props */
export default function Simulations({ id, canMarket }) {
  return id ? (
    <SimulationJob key={id} id={id} canMarket={canMarket} />
  ) : (
    <SimulationList canMarket={canMarket} />
  );
}

/** The form of a new simulation, and the latest ones. @param {{ canMarket: boolean }} props */
function SimulationList({ canMarket }) {
  const { t } = useI18n();
  return (
    <section className="simulations">
      <div className="page-head">
        <div>
          <h1>{t("simulation.title")}</h1>
          <p className="muted small">{t("simulation.intro")}</p>
        </div>
      </div>
      <NewSimulation canMarket={canMarket} />
      <PastSimulations />
    </section>
  );
}

/** @param {{ canMarket: boolean }} props */
function NewSimulation({ canMarket }) {
  const { t } = useI18n();
  const [form, setForm] = useState(() => emptyForm(new Date(), browserZone()));
  // The stored drafts marketing may pick (ops may not list campaigns: they paste).
  const [campaigns, setCampaigns] = useState(/** @type {StoredCampaign[] | null} */ (null));
  const [error, setError] = useState(/** @type {ApiError | null} */ (null));
  const [local, setLocal] = useState(/** @type {LocalProblem[]} */ ([]));
  const [sent, setSent] = useState(/** @type {unknown[]} */ ([]));
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!canMarket) return;
    call("GET", "/v1/campaigns").then(setCampaigns, setError);
  }, [canMarket]);

  const drafts = useMemo(() => (campaigns || []).filter((c) => c.status === "draft"), [campaigns]);
  const placed = useMemo(() => placeErrors(error?.errors, sent), [error, sent]);

  /** The messages shown next to `field`: the console's own, then the API's. */
  const errs = (/** @type {FieldName} */ field) => [
    ...local.filter((p) => p.field === field).map((p) => t(p.key, p.params)),
    ...placed.byField[field],
  ];

  /** @template {keyof Form} K @param {K} key @param {Form[K]} value */
  const set = (key, value) => setForm((current) => ({ ...current, [key]: value }));

  /** @param {string} draftId @param {boolean} on */
  const pick = (draftId, on) =>
    setForm((current) => ({
      ...current,
      picked: on
        ? [...current.picked.filter((p) => p !== draftId), draftId]
        : current.picked.filter((p) => p !== draftId),
    }));

  /** @param {import("react").ChangeEvent<HTMLInputElement>} event */
  async function readFile(event) {
    const file = event.target.files?.[0];
    if (!file) {
      setForm((current) => ({ ...current, ndjson: "", fileName: "" }));
      return;
    }
    const text = await file.text();
    setForm((current) => ({ ...current, ndjson: text, fileName: file.name }));
  }

  /** @param {import("react").FormEvent<HTMLFormElement>} event */
  async function submit(event) {
    event.preventDefault();
    setError(null);
    const { body, problems } = requestOf(form, campaigns || []);
    setLocal(problems);
    if (!body) return;
    setSent(body.drafts);
    setBusy(true);
    try {
      const job = await call("POST", "/v1/simulations", { body });
      go(`/simulations/${encodeURIComponent(job.id)}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const zone = windowZone(form.timezone);
  const lines = basketLines(form.ndjson);
  const draftErrors = errs("drafts");
  return (
    <form className="card new-simulation" onSubmit={submit} noValidate>
      <h2>{t("simulation.newTitle")}</h2>
      <fieldset className={draftErrors.length ? "drafts invalid" : "drafts"} data-pointer="/drafts">
        <legend>{t("simulation.drafts")}</legend>
        {canMarket &&
          (campaigns === null ? (
            !error && <p className="muted small">{t("common.loading")}</p>
          ) : drafts.length === 0 ? (
            <p className="muted small">{t("simulation.noStoredDrafts")}</p>
          ) : (
            <div className="draft-list" role="group" aria-label={t("simulation.pick")}>
              {drafts.map((c) => (
                <label key={c.id} className="check">
                  <input
                    type="checkbox"
                    name={`draft-${c.id}`}
                    checked={form.picked.includes(c.id)}
                    onChange={(e) => pick(c.id, e.target.checked)}
                  />
                  <span>
                    {c.name} <span className="muted small">{c.id}</span>
                  </span>
                </label>
              ))}
            </div>
          ))}
        <Field
          label={t("simulation.pasted")}
          hint={canMarket ? t("simulation.pastedHint") : t("simulation.pastedHintOps")}
        >
          <textarea
            name="drafts-json"
            rows={4}
            spellCheck={false}
            value={form.pasted}
            placeholder='{"id": "…", "name": "…", "plugin": "threshold-discount", "params": {…}}'
            onChange={(e) => set("pasted", e.target.value)}
          />
        </Field>
        {draftErrors.map((message) => (
          <span key={message} className="field-error" role="alert">
            {message}
          </span>
        ))}
      </fieldset>

      <fieldset className="baskets">
        <legend>{t("simulation.baskets")}</legend>
        <div className="sources" role="radiogroup" aria-label={t("simulation.source")}>
          {SOURCES.map((source) => (
            <label key={source} className="check">
              <input
                type="radio"
                name="source"
                value={source}
                checked={form.source === source}
                onChange={() => set("source", source)}
              />
              {sourceName(t, source)}
            </label>
          ))}
        </div>
        {errs("source").map((message) => (
          <span key={message} className="field-error" role="alert">
            {message}
          </span>
        ))}
        {form.source === "ndjson" ? (
          <Field
            label={t("simulation.file")}
            hint={
              form.fileName
                ? t("simulation.fileRead", { count: lines, name: form.fileName })
                : t("simulation.fileHint")
            }
            errors={errs("ndjson")}
            pointer="/baskets/ndjson"
          >
            <input
              type="file"
              name="ndjson"
              accept=".ndjson,.jsonl,.json,.txt,application/x-ndjson"
              onChange={readFile}
            />
          </Field>
        ) : (
          <div className="grid compact">
            <Field
              label={t("simulation.from", { zone })}
              errors={errs("from")}
              pointer={`/baskets/${form.source}/from`}
            >
              <input
                type="datetime-local"
                name="from"
                value={form.from}
                onChange={(e) => set("from", e.target.value)}
              />
            </Field>
            <Field
              label={t("simulation.to", { zone })}
              hint={t("simulation.toHint")}
              errors={errs("to")}
              pointer={`/baskets/${form.source}/to`}
            >
              <input
                type="datetime-local"
                name="to"
                value={form.to}
                onChange={(e) => set("to", e.target.value)}
              />
            </Field>
          </div>
        )}
      </fieldset>

      <fieldset>
        <legend>{t("simulation.options")}</legend>
        <div className="grid compact">
          <Field
            label={t("simulation.currency")}
            hint={t("simulation.currencyHint")}
            errors={errs("currency")}
            pointer="/currency"
          >
            <input
              name="currency"
              list="simulation-currencies"
              value={form.currency}
              onChange={(e) => set("currency", e.target.value)}
            />
            <datalist id="simulation-currencies">
              {CURRENCY_HINTS.map((c) => (
                <option key={c} value={c} />
              ))}
            </datalist>
          </Field>
          <Field
            label={t("simulation.timezone")}
            hint={t("simulation.timezoneHint")}
            errors={errs("timezone")}
            pointer="/timezone"
          >
            <input
              name="timezone"
              list="simulation-timezones"
              value={form.timezone}
              onChange={(e) => set("timezone", e.target.value)}
            />
            <datalist id="simulation-timezones">
              {TIMEZONES.map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </Field>
        </div>
      </fieldset>
      <Problem error={error} shown={placed.shown} />
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t("simulation.starting") : t("simulation.start")}
        </button>
      </div>
    </form>
  );
}

/** The latest simulations, newest first. */
function PastSimulations() {
  const i18n = useI18n();
  const { t } = i18n;
  const [list, setList] = useState(/** @type {SimulationView[] | null} */ (null));
  const [error, setError] = useState(/** @type {ApiError | null} */ (null));

  useEffect(() => {
    call("GET", "/v1/simulations").then(setList, setError);
  }, []);

  return (
    <div className="card">
      <h2>{t("simulation.pastTitle")}</h2>
      <Problem error={error} />
      {list === null ? (
        !error && <p className="empty">{t("common.loading")}</p>
      ) : list.length === 0 ? (
        <p className="empty">{t("simulation.none")}</p>
      ) : (
        <div className="table-wrap">
          <table className="simulation-list">
            <thead>
              <tr>
                <th>{t("simulation.col.started")}</th>
                <th>{t("simulation.col.drafts")}</th>
                <th>{t("simulation.col.source")}</th>
                <th>{t("simulation.col.status")}</th>
                <th>{t("simulation.col.progress")}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => (
                <tr key={s.id} data-simulation={s.id}>
                  <td>
                    <a href={href("simulations", s.id)}>{i18n.dateTime(s.created_at)}</a>
                    <div className="muted small">{s.created_by}</div>
                  </td>
                  <td className="small">{draftIds(s)}</td>
                  <td className="small">
                    <SourceText view={s} />
                  </td>
                  <td>
                    <JobStatus status={s.status} />
                  </td>
                  <td>
                    <Progress
                      value={s.done}
                      max={s.total}
                      label={t("simulation.progress", { done: s.done, total: s.total })}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** One simulation: its progress while it runs, then its report. @param {{ id: string, canMarket: boolean }} props */
function SimulationJob({ id, canMarket }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [view, setView] = useState(/** @type {SimulationView | null} */ (null));
  const [error, setError] = useState(/** @type {ApiError | null} */ (null));
  const [cancelling, setCancelling] = useState(false);

  useEffect(() => {
    let stopped = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    // Asked again every POLL_MS while it runs; state is set only once the API has answered.
    async function poll() {
      try {
        const next = await call("GET", "/v1/simulations/{id}", { path: { id } });
        if (stopped) return;
        setView(next);
        if (isRunning(next.status)) timer = setTimeout(poll, POLL_MS);
      } catch (e) {
        if (!stopped) setError(e);
      }
    }
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [id]);

  async function cancel() {
    setError(null);
    setCancelling(true);
    try {
      const next = await call("POST", "/v1/simulations/{id}/cancel", { path: { id } });
      setView((current) => (current && !isRunning(current.status) ? current : next));
    } catch (e) {
      setError(e);
    } finally {
      setCancelling(false);
    }
  }

  if (!view) {
    return (
      <section className="simulation">
        <h1>
          <a href="#/simulations">{t("simulation.title")}</a> / {id}
        </h1>
        {error ? <Problem error={error} /> : <p className="empty">{t("common.loading")}</p>}
      </section>
    );
  }
  const running = isRunning(view.status);
  return (
    <section className="simulation" data-testid="simulation" data-status={view.status}>
      <div className="page-head">
        <div>
          <h1>
            <a href="#/simulations">{t("simulation.title")}</a> / {view.id}
          </h1>
          <div className="muted small">
            <JobStatus status={view.status} /> · {draftIds(view)} · <SourceText view={view} /> ·{" "}
            {view.timezone}
            {view.currency ? ` · ${view.currency}` : ""}
          </div>
          <div className="muted small">
            {t("simulation.startedBy", {
              when: i18n.dateTime(view.created_at),
              who: view.created_by,
            })}
            {view.finished_at &&
              ` · ${t("simulation.finishedAt", { when: i18n.dateTime(view.finished_at) })}`}
          </div>
        </div>
        {running && (
          <div className="buttons">
            <button
              type="button"
              className="danger"
              disabled={cancelling || view.cancel_requested}
              onClick={cancel}
            >
              {view.cancel_requested ? t("simulation.cancelling") : t("simulation.cancel")}
            </button>
          </div>
        )}
      </div>
      <Problem error={error} />
      <div className="card">
        <Progress
          value={view.done}
          max={view.total}
          label={t("simulation.progress", { done: view.done, total: view.total })}
        />
        {running && <p className="muted small">{t("simulation.runningHint")}</p>}
        {view.status === "cancelled" && (
          <p className="muted small">{t("simulation.cancelledHint")}</p>
        )}
        {view.status === "abandoned" && (
          <p className="muted small">{t("simulation.abandonedHint")}</p>
        )}
        {view.error && (
          <p className="problem" data-testid="simulation-error">
            {view.error}
          </p>
        )}
      </div>
      {view.report && (
        <ReportView report={view.report} timezone={view.timezone} canMarket={canMarket} />
      )}
      {canMarket && !running && launchable(view.drafts).length > 0 && (
        <Launch drafts={launchable(view.drafts)} />
      )}
    </section>
  );
}

/** @param {{ label: string, value: string, detail?: string, testid?: string }} props */
function Tile({ label, value, detail, testid }) {
  return (
    <div className="tile" data-testid={testid}>
      <span className="label">{label}</span>
      <strong>{value}</strong>
      {detail && <span className="muted small">{detail}</span>}
    </div>
  );
}

/** @param {{ report: Report, timezone: string, canMarket: boolean }} props */
function ReportView({ report: r, timezone, canMarket }) {
  const i18n = useI18n();
  const { t, money } = i18n;
  const currency = r.currency || null;
  const chart = useMemo(() => dayChart(r.by_day), [r.by_day]);
  const labels = useMemo(() => chart.keys.map((key) => i18n.day(key)), [chart, i18n]);
  const formatMoney = useCallback(
    (/** @type {number} */ value) => money(value, currency),
    [money, currency],
  );
  const series = useMemo(
    () => [
      {
        label: t("simulation.chart.drafts", { currency: currency || "—" }),
        data: chart.drafts,
        color: DRAFTS,
      },
      {
        label: t("simulation.chart.change", { currency: currency || "—" }),
        data: chart.change,
        color: CHANGE,
      },
      {
        label: t("simulation.touched"),
        data: chart.touched,
        color: TOUCHED,
        axis: /** @type {const} */ ("right"),
      },
    ],
    [chart, currency, t],
  );
  const rows = campaignRows(r.campaigns);
  return (
    <div className="report" data-testid="simulation-report">
      <div className="tiles">
        <Tile
          label={t("simulation.basketsPriced")}
          value={i18n.number(r.baskets)}
          testid="sim-baskets"
        />
        <Tile
          label={t("simulation.touched")}
          value={i18n.number(r.touched)}
          detail={t("simulation.touchedShare", {
            share: i18n.percent(touchedPercent(r.touched, r.baskets)),
          })}
          testid="sim-touched"
        />
        <Tile
          label={t("simulation.draftsDiscount")}
          value={money(r.discount.drafts, currency)}
          testid="sim-drafts-discount"
        />
        <Tile
          label={t("simulation.change")}
          value={money(r.discount.change, currency)}
          detail={t("simulation.withWithout", {
            with: money(r.discount.with_drafts, currency),
            without: money(r.discount.without_drafts, currency),
          })}
          testid="sim-change"
        />
        <Tile
          label={t("simulation.skippedFailed")}
          value={`${i18n.number(r.skipped)} / ${i18n.number(r.failed)}`}
          detail={t("simulation.skippedFailedHint")}
          testid="sim-skipped"
        />
      </div>
      {r.first_failure && (
        <p className="problem small" data-testid="sim-first-failure">
          {t("simulation.firstFailure", { reason: r.first_failure })}
        </p>
      )}
      <div className="charts single">
        <BarChart
          title={t("simulation.chart.perDay", { zone: timezone })}
          labels={labels}
          formatLeft={formatMoney}
          series={series}
        />
      </div>
      <div className="slices">
        <SliceTable
          title={t("simulation.byChannel")}
          keyLabel={t("simulation.col.channel")}
          rows={r.by_channel}
          currency={currency}
          empty={t("simulation.noChannel")}
          testid="sim-by-channel"
        />
        <SliceTable
          title={t("simulation.byStore")}
          keyLabel={t("simulation.col.store")}
          rows={r.by_store}
          currency={currency}
          empty={t("simulation.noStore")}
          testid="sim-by-store"
        />
      </div>
      <div className="card">
        <h2>{t("simulation.campaignsTitle")}</h2>
        <p className="muted small">{t("simulation.campaignsHint")}</p>
        {rows.length === 0 ? (
          <p className="empty">{t("simulation.noCampaigns")}</p>
        ) : (
          <div className="table-wrap">
            <table className="simulation-campaigns">
              <thead>
                <tr>
                  <th>{t("simulation.col.campaign")}</th>
                  <th className="num">{t("simulation.col.applied")}</th>
                  <th className="num">{t("simulation.col.discount")}</th>
                  <th className="num">{t("simulation.col.displaced")}</th>
                  <th>{t("simulation.col.runsOut")}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((c) => (
                  <tr
                    key={c.campaign}
                    data-campaign={c.campaign}
                    className={c.isDisplaced ? "displaced" : undefined}
                  >
                    <td>
                      {canMarket && !c.draft ? (
                        <a href={href("campaigns", c.campaign)}>{c.campaign}</a>
                      ) : (
                        c.campaign
                      )}{" "}
                      <span className={c.draft ? "badge kind draft" : "badge kind active"}>
                        {c.draft ? t("simulation.kind.draft") : t("simulation.kind.live")}
                      </span>
                    </td>
                    <td className="num">{i18n.number(c.applied)}</td>
                    <td className="num">{money(c.discount, currency)}</td>
                    <td className="num" data-testid="displaced">
                      {c.displaced > 0
                        ? t("simulation.displacedText", {
                            count: c.displaced,
                            amount: money(c.displaced_discount, currency),
                          })
                        : "—"}
                    </td>
                    <td data-testid="runs-out">
                      {c.runsOut ? (
                        <span className="runs-out">
                          {c.runs_out_on ? i18n.day(c.runs_out_on, { year: true }) : "—"}
                          {c.runs_out_after != null && (
                            <span className="muted small">
                              {" "}
                              {t("simulation.runsOutAfter", { n: c.runs_out_after })}
                            </span>
                          )}
                        </span>
                      ) : (
                        <span className="muted">{t("simulation.lasts")}</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </div>
  );
}

/**
 * @param {{ title: string, keyLabel: string, rows: Slice[], currency: string | null, empty: string, testid: string }} props
 */
function SliceTable({ title, keyLabel, rows, currency, empty, testid }) {
  const i18n = useI18n();
  const { t, money } = i18n;
  return (
    <div className="card" data-testid={testid}>
      <h2>{title}</h2>
      {rows.length === 0 ? (
        <p className="empty">{empty}</p>
      ) : (
        <div className="table-wrap">
          <table className="slice-table">
            <thead>
              <tr>
                <th>{keyLabel}</th>
                <th className="num">{t("simulation.col.baskets")}</th>
                <th className="num">{t("simulation.col.touched")}</th>
                <th className="num">{t("simulation.col.draftsDiscount")}</th>
                <th className="num">{t("simulation.col.change")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={s.key} data-key={s.key}>
                  <td>{s.key}</td>
                  <td className="num">{i18n.number(s.baskets)}</td>
                  <td className="num">{i18n.number(s.touched)}</td>
                  <td className="num">{money(s.drafts, currency)}</td>
                  <td className="num">{money(s.change, currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** Each simulated draft, launched as a campaign. @param {{ drafts: CampaignBody[] }} props */
function Launch({ drafts }) {
  const { t } = useI18n();
  return (
    <div className="card launch">
      <h2>{t("simulation.launchTitle")}</h2>
      <p className="muted small">{t("simulation.launchHint")}</p>
      <div className="table-wrap">
        <table className="launch-drafts">
          <tbody>
            {drafts.map((draft) => (
              <LaunchRow key={draft.id} draft={draft} />
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** @param {{ draft: CampaignBody }} props */
function LaunchRow({ draft }) {
  const { t } = useI18n();
  const [status, setStatus] = useState(/** @type {"active" | "draft"} */ ("active"));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {ApiError | null} */ (null));
  const [done, setDone] = useState(/** @type {string | null} */ (null));

  async function launch() {
    setError(null);
    setDone(null);
    setBusy(true);
    try {
      /** @type {StoredCampaign | null} */
      const stored = await call("GET", "/v1/campaigns/{id}", { path: { id: draft.id } }).catch(
        (e) => {
          if (e?.status === 404) return null;
          throw e;
        },
      );
      if (
        stored &&
        stored.status !== "draft" &&
        !window.confirm(t("simulation.confirmReplace", { id: draft.id }))
      ) {
        return;
      }
      const plan = launchRequest(draft, status, stored);
      const saved =
        plan.method === "POST"
          ? await call("POST", "/v1/campaigns", { body: plan.body })
          : await call("PUT", "/v1/campaigns/{id}", {
              path: { id: plan.id },
              body: plan.body,
              headers: { "If-Match": `"${plan.revision}"` },
            });
      setDone(saved.status);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <tr data-draft={draft.id}>
      <td>
        <strong>{draft.name}</strong>
        <div className="muted small">
          {draft.id} · {draft.plugin}
        </div>
      </td>
      <td>
        <select
          name={`launch-status-${draft.id}`}
          aria-label={t("simulation.launchStatus")}
          value={status}
          onChange={(e) => setStatus(/** @type {"active" | "draft"} */ (e.target.value))}
        >
          <option value="active">{t("simulation.launchActive")}</option>
          <option value="draft">{t("simulation.launchDraft")}</option>
        </select>
      </td>
      <td className="actions">
        <button type="button" className="primary" disabled={busy} onClick={launch}>
          {busy ? t("simulation.launching") : t("simulation.launch")}
        </button>
      </td>
      <td className="launch-outcome">
        {done && (
          <p className="notice small" role="status" data-testid="launched">
            {t("simulation.launched", { id: draft.id })} <StatusBadge status={done} />{" "}
            <a href={href("campaigns", draft.id)}>{t("simulation.openCampaign")}</a>
          </p>
        )}
        <Problem error={error} />
      </td>
    </tr>
  );
}
