// A plugin's shadow (#/plugins/{name}/shadow): a loaded version that runs beside the current
// one on a share of live evaluations. Its report: versions, sample, evaluations compared and
// divergent, divergences by kind, both sides' fuel and time, and examples; ops promote or end
// it, or start one from a loaded version that is not the current one.
import { useCallback, useEffect, useState } from "react";
import { call } from "../api.js";
import { href } from "../router.js";
import { useI18n } from "../i18n/I18n.jsx";
import { Problem } from "../components/ui.jsx";
import { divergences, samplePercent, shadowCandidates } from "../shadow.js";

/** @typedef {import("../apiTypes").Answer<"/v1/plugins/{name}", "GET">} Plugin */
/** @typedef {import("../apiTypes").Answer<"/v1/plugins/{name}/shadow", "GET">} Report */
/** @typedef {import("../shadow.js").Outcome} Outcome */
/** @typedef {import("../i18n/I18n.jsx").I18n} I18n */

/** A kind of divergence, in words. @param {I18n["t"]} t @param {string} kind */
function kindName(t, kind) {
  switch (kind) {
    case "effects":
      return t("shadow.kind.effects");
    case "amounts":
      return t("shadow.kind.amounts");
    case "errors":
      return t("shadow.kind.errors");
    default:
      return kind;
  }
}

/** An outcome, in words. @param {I18n["t"]} t @param {string} outcome */
function outcomeName(t, outcome) {
  switch (outcome) {
    case "applied":
      return t("shadow.outcome.applied");
    case "rejected":
      return t("shadow.outcome.rejected");
    case "not_run":
      return t("shadow.outcome.notRun");
    default:
      return outcome;
  }
}

/** @param {{ name: string, canOperate: boolean }} props */
export default function PluginShadow({ name, canOperate }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [plugin, setPlugin] = useState(/** @type {Plugin | null} */ (null));
  // The report; null when the plugin has no shadow (404), undefined until known.
  const [report, setReport] = useState(/** @type {Report | null | undefined} */ (undefined));
  const [error, setError] = useState(/** @type {any} */ (null));
  const [notice, setNotice] = useState(/** @type {string | null} */ (null));
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const [p, r] = await Promise.all([
        call("GET", "/v1/plugins/{name}", { path: { name } }),
        call("GET", "/v1/plugins/{name}/shadow", { path: { name } }).catch((e) => {
          if (e?.status === 404) return null;
          throw e;
        }),
      ]);
      setPlugin(p);
      setReport(r);
    } catch (e) {
      setError(e);
    }
  }, [name]);

  useEffect(() => {
    // load() sets state only once the API has answered (after an await), not synchronously.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    load();
  }, [load]);

  /** @param {() => Promise<string>} action what to do, and what to say once done */
  async function act(action) {
    setError(null);
    setNotice(null);
    setBusy(true);
    try {
      const said = await action();
      await load();
      setNotice(said);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  function promote() {
    if (!report || !window.confirm(t("shadow.confirmPromote", { version: report.version }))) return;
    act(async () => {
      const final = await call("POST", "/v1/plugins/{name}/shadow/promote", { path: { name } });
      return t("shadow.promoted", { name, version: final?.version ?? report.version });
    });
  }

  function end() {
    if (!report || !window.confirm(t("shadow.confirmEnd", { version: report.version }))) return;
    act(async () => {
      await call("DELETE", "/v1/plugins/{name}/shadow", { path: { name } });
      return t("shadow.ended", { name, version: report.version });
    });
  }

  /** @param {import("react").FormEvent<HTMLFormElement>} event */
  function start(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const version = /** @type {HTMLSelectElement} */ (form.elements.namedItem("version")).value;
    const text = /** @type {HTMLInputElement} */ (form.elements.namedItem("sample_percent")).value;
    const percent = samplePercent(text);
    if (!version) return;
    if (percent === null) {
      setNotice(null);
      setError({ title: t("shadow.badPercent"), message: "" });
      return;
    }
    act(async () => {
      await call("PUT", "/v1/plugins/{name}/shadow", {
        path: { name },
        body: { version, sample_percent: percent },
      });
      return t("shadow.started", { name, version, percent });
    });
  }

  const candidates = plugin ? shadowCandidates(plugin) : [];
  return (
    <section className="shadow">
      <div className="page-head">
        <div>
          <h1>
            <a href="#/plugins">{t("plugins.title")}</a> /{" "}
            <a href={href("plugins", name)}>{name}</a> / {t("shadow.title")}
          </h1>
          <p className="muted small">{t("shadow.intro")}</p>
        </div>
        {canOperate && report && (
          <div className="buttons">
            <button type="button" className="primary" disabled={busy} onClick={promote}>
              {t("shadow.promote")}
            </button>
            <button type="button" disabled={busy} onClick={end}>
              {t("shadow.end")}
            </button>
          </div>
        )}
      </div>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <Problem error={error} />
      {report === undefined ? (
        !error && <p className="empty">{t("common.loading")}</p>
      ) : report === null ? (
        <p className="empty" data-testid="no-shadow">
          {t("shadow.none", { name })}
        </p>
      ) : (
        <ReportView report={report} />
      )}
      {canOperate && plugin && (
        <form className="card start-shadow" onSubmit={start}>
          <h2>{report ? t("shadow.replaceTitle") : t("shadow.startTitle")}</h2>
          {candidates.length === 0 ? (
            <p className="muted">{t("shadow.noCandidate", { version: plugin.latest })}</p>
          ) : (
            <>
              <div className="grid compact">
                <label className="field">
                  <span className="label">{t("shadow.version")}</span>
                  <select name="version" defaultValue={candidates[0]}>
                    {candidates.map((v) => (
                      <option key={v} value={v}>
                        {v}
                      </option>
                    ))}
                  </select>
                </label>
                <label className="field">
                  <span className="label">{t("shadow.samplePercent")}</span>
                  <input
                    name="sample_percent"
                    type="number"
                    min={1}
                    max={100}
                    step={1}
                    defaultValue={10}
                    required
                  />
                  <span className="hint">{t("shadow.samplePercentHint")}</span>
                </label>
              </div>
              <button type="submit" className="primary" disabled={busy}>
                {t("shadow.start")}
              </button>
            </>
          )}
        </form>
      )}
    </section>
  );
}

/** @param {{ report: Report }} props */
function ReportView({ report: r }) {
  const i18n = useI18n();
  const { t } = i18n;
  return (
    <>
      <div className="card report" data-testid="shadow-report">
        <dl className="facts">
          <div>
            <dt>{t("shadow.shadowVersion")}</dt>
            <dd data-testid="shadow-version">{r.version}</dd>
          </div>
          <div>
            <dt>{t("shadow.liveVersion")}</dt>
            <dd data-testid="live-version">{r.live_version}</dd>
          </div>
          <div>
            <dt>{t("shadow.sample")}</dt>
            <dd data-testid="sample-percent">{i18n.percent(r.sample_percent)}</dd>
          </div>
          <div>
            <dt>{t("shadow.startedAt")}</dt>
            <dd>{i18n.dateTime(r.started_at)}</dd>
          </div>
          <div>
            <dt>{t("shadow.compared")}</dt>
            <dd data-testid="compared">{i18n.number(r.compared)}</dd>
          </div>
          <div>
            <dt>{t("shadow.divergent")}</dt>
            <dd data-testid="divergent">{i18n.number(r.divergent)}</dd>
          </div>
        </dl>
      </div>
      <div className="card">
        <h2>{t("shadow.divergencesTitle")}</h2>
        <p className="muted small">{t("shadow.divergencesHint")}</p>
        <div className="table-wrap">
          <table className="divergences">
            <tbody>
              {
                /** @type {const} */ (["effects", "amounts", "errors"]).map((kind) => (
                  <tr key={kind} data-kind={kind}>
                    <th scope="row">{kindName(t, kind)}</th>
                    <td className="num">{i18n.number(r.divergences[kind])}</td>
                  </tr>
                ))
              }
            </tbody>
          </table>
        </div>
      </div>
      <div className="card">
        <h2>{t("shadow.costTitle")}</h2>
        <div className="table-wrap">
          <table className="cost">
            <thead>
              <tr>
                <th />
                <th className="num">{t("shadow.col.live", { version: r.live_version })}</th>
                <th className="num">{t("shadow.col.shadow", { version: r.version })}</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">{t("shadow.fuelMean")}</th>
                <td className="num">{i18n.number(r.live.fuel_mean)}</td>
                <td className="num">{i18n.number(r.shadow.fuel_mean)}</td>
              </tr>
              <tr>
                <th scope="row">{t("shadow.timeMean")}</th>
                <td className="num">{t("shadow.micros", { value: r.live.time_mean_us })}</td>
                <td className="num">{t("shadow.micros", { value: r.shadow.time_mean_us })}</td>
              </tr>
              <tr>
                <th scope="row">{t("shadow.fuelTotal")}</th>
                <td className="num">{i18n.number(r.live.fuel)}</td>
                <td className="num">{i18n.number(r.shadow.fuel)}</td>
              </tr>
            </tbody>
          </table>
        </div>
      </div>
      <div className="card">
        <h2>{t("shadow.examplesTitle")}</h2>
        {r.examples.length === 0 ? (
          <p className="empty">{t("shadow.noExamples")}</p>
        ) : (
          <div className="table-wrap">
            <table className="examples">
              <thead>
                <tr>
                  <th>{t("shadow.col.evaluation")}</th>
                  <th>{t("shadow.col.campaign")}</th>
                  <th>{t("shadow.col.kinds")}</th>
                  <th>{t("shadow.col.liveOutcome")}</th>
                  <th>{t("shadow.col.shadowOutcome")}</th>
                </tr>
              </thead>
              <tbody>
                {r.examples.flatMap((example) =>
                  divergences(example.campaigns).map((c, i) => (
                    <tr key={`${example.evaluation_id}:${i}`} data-campaign={c.campaign}>
                      <td className="small">
                        <code>{example.evaluation_id}</code>
                        <div className="muted">{i18n.dateTime(example.recorded_at)}</div>
                      </td>
                      <td>{c.campaign}</td>
                      <td>{c.kinds.map((k) => kindName(t, k)).join(", ")}</td>
                      <td>
                        <OutcomeView outcome={c.live} />
                      </td>
                      <td>
                        <OutcomeView outcome={c.shadow} />
                      </td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </>
  );
}

/** @param {{ outcome: Outcome }} props */
function OutcomeView({ outcome: o }) {
  const i18n = useI18n();
  const { t } = i18n;
  return (
    <span className={`outcome ${o.outcome}`}>
      <span className="badge">{outcomeName(t, o.outcome)}</span>
      {o.outcome === "applied" && o.discount != null && (
        <> {t("shadow.discount", { amount: i18n.money(o.discount) })}</>
      )}
      {o.outcome === "rejected" && (o.reason || o.detail) && (
        <span className="small">
          {" "}
          {o.reason}
          {o.reason && o.detail ? " · " : ""}
          {o.detail}
        </span>
      )}
    </span>
  );
}
