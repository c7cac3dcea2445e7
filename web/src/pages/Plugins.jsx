// The plugin catalogue: versions with sha256, language and upload time, descriptions, the
// parameter schema shown readably; a plugin's own page adds the limits it runs under and its
// latest failures. Ops upload a new .wasm and roll back.
import { useCallback, useEffect, useState } from "react";
import { call } from "../api.js";
import { href } from "../router.js";
import { useI18n } from "../i18n/I18n.jsx";
import { Problem } from "../components/ui.jsx";
import { SchemaView } from "../components/SchemaView.jsx";

/** @typedef {import("../apiTypes").Answer<"/v1/plugins/{name}", "GET">} Plugin */

/** @param {{ name?: string, canUpload: boolean }} props */
export function Plugins({ name, canUpload }) {
  const { t } = useI18n();
  const [plugins, setPlugins] = useState(/** @type {Plugin[] | null} */ (null));
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(/** @type {string | null} */ (null));

  const load = useCallback(() => call("GET", "/v1/plugins").then(setPlugins, setError), []);
  // Read again on every visit to a plugin's page, so its latest errors are fresh.
  useEffect(() => {
    load();
  }, [load, name]);

  async function upload(/** @type {import("react").FormEvent<HTMLFormElement>} */ event) {
    event.preventDefault();
    const form = event.currentTarget;
    const wasm = /** @type {HTMLInputElement} */ (form.elements.namedItem("wasm"));
    const nameInput = /** @type {HTMLInputElement} */ (form.elements.namedItem("name"));
    const file = wasm.files?.[0];
    const target = nameInput.value.trim();
    setError(null);
    setNotice(null);
    if (!file || !target) return;
    try {
      const answer = await call("PUT", "/v1/plugins/{name}", {
        path: { name: target },
        body: new Blob([await file.arrayBuffer()]),
        headers: { "Content-Type": "application/wasm" },
      });
      form.reset();
      // Said once the list shows it.
      await load();
      setNotice(t("plugins.uploaded", { name: target, version: answer?.latest ?? "" }));
    } catch (e) {
      setError(e);
    }
  }

  /** @param {string} plugin */
  async function rollback(plugin) {
    setError(null);
    setNotice(null);
    try {
      const answer = await call("POST", "/v1/plugins/{name}/rollback", { path: { name: plugin } });
      await load();
      setNotice(t("plugins.rolledBack", { name: plugin, version: answer?.latest ?? "?" }));
    } catch (e) {
      setError(e);
    }
  }

  const shown = (plugins || []).filter((p) => !name || p.name === name);
  return (
    <section className="plugins">
      <div className="page-head">
        <h1>
          {name ? <a href="#/plugins">{t("plugins.title")}</a> : t("plugins.title")}
          {name ? ` / ${name}` : ""}
        </h1>
      </div>
      {canUpload && (
        <form className="card upload" onSubmit={upload}>
          <h2>{t("plugins.uploadTitle")}</h2>
          <div className="grid compact">
            <label className="field">
              <span className="label">{t("plugins.name")}</span>
              <input name="name" defaultValue={name || ""} required />
            </label>
            <label className="field">
              <span className="label">{t("plugins.component")}</span>
              <input name="wasm" type="file" accept=".wasm,application/wasm" required />
            </label>
          </div>
          <button type="submit" className="primary">
            {t("plugins.upload")}
          </button>
        </form>
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <Problem error={error} />
      {plugins === null ? (
        <p className="empty">{t("common.loading")}</p>
      ) : (
        shown.map((p) => (
          <PluginCard
            key={p.name}
            plugin={p}
            canUpload={canUpload}
            onRollback={rollback}
            open={!!name}
          />
        ))
      )}
    </section>
  );
}

/**
 * @param {{ plugin: Plugin, canUpload: boolean, onRollback: (name: string) => void, open: boolean }} props
 */
function PluginCard({ plugin: p, canUpload, onRollback, open }) {
  const i18n = useI18n();
  const { t } = i18n;
  const latest = p.versions.find((v) => v.version === p.latest) || p.versions.at(-1);
  return (
    <article className="card plugin" data-plugin={p.name}>
      <div className="page-head">
        <div>
          <h2>
            <a href={href("plugins", p.name)}>{p.name}</a>
          </h2>
          <span className="muted">
            {t("plugins.serving")} <strong data-testid="latest">{p.latest}</strong>
          </span>
        </div>
        <div className="buttons">
          <a className="button" href={href("plugins", p.name, "shadow")}>
            {t("plugins.shadow")}
          </a>
          {canUpload && p.versions.length > 1 && (
            <button onClick={() => onRollback(p.name)}>{t("plugins.rollback")}</button>
          )}
        </div>
      </div>
      <p>{latest?.description}</p>
      <div className="table-wrap">
        <table className="versions">
          <thead>
            <tr>
              <th>{t("plugins.col.version")}</th>
              <th>{t("plugins.col.sha256")}</th>
              <th className="num">{t("plugins.col.size")}</th>
              <th>{t("plugins.col.language")}</th>
              <th>{t("plugins.col.uploaded")}</th>
            </tr>
          </thead>
          <tbody>
            {p.versions.map((v) => (
              <tr key={v.version} className={v.version === p.latest ? "current" : ""}>
                <td>
                  {v.version}
                  {v.version === p.latest ? ` ${t("plugins.current")}` : ""}
                </td>
                <td>
                  <code title={v.sha256}>{v.sha256.slice(0, 16)}…</code>
                </td>
                <td className="num">
                  {t("plugins.size", { size: Math.max(1, Math.round(v.size_bytes / 1024)) })}
                </td>
                <td data-testid="language">{v.language ?? t("plugins.languageUnknown")}</td>
                <td className="small">
                  {v.uploaded_at ? i18n.dateTime(v.uploaded_at) : t("plugins.builtIn")}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {open && <PluginLimits plugin={p} />}
      {open && <PluginErrors plugin={p} />}
      {!open && p.errors_total > 0 && (
        <p className="muted" data-testid="errors-total">
          {t("plugins.errorsTotal", { count: p.errors_total })}
        </p>
      )}
      <details open={open}>
        <summary>{t("plugins.params")}</summary>
        {latest && <SchemaView schema={latest.params_schema} />}
      </details>
    </article>
  );
}

/**
 * The limits each version runs under, and which of them ops set for this plugin.
 * @param {{ plugin: Plugin }} props
 */
function PluginLimits({ plugin: p }) {
  const i18n = useI18n();
  const { t } = i18n;
  const limits = p.limits;
  const configured = /** @type {Record<string, number | undefined>} */ (p.configured_limits);
  const rows = [
    ["fuel", t("plugins.limit.fuel"), i18n.number(limits.fuel)],
    [
      "memory_bytes",
      t("plugins.limit.memory_bytes"),
      t("plugins.mib", { size: i18n.number(limits.memory_bytes / 1048576) }),
    ],
    [
      "deadline_ms",
      t("plugins.limit.deadline_ms"),
      t("plugins.ms", { ms: i18n.number(limits.deadline_ms) }),
    ],
    ["max_effects", t("plugins.limit.max_effects"), i18n.number(limits.max_effects)],
    [
      "upload_bytes",
      t("plugins.limit.upload_bytes"),
      t("plugins.mib", { size: i18n.number(limits.upload_bytes / 1048576) }),
    ],
  ];
  return (
    <div className="table-wrap">
      <h3>{t("plugins.limits")}</h3>
      <table className="limits" data-testid="limits">
        <tbody>
          {rows.map(([key, label, value]) => (
            <tr key={key} data-limit={key}>
              <th scope="row">{label}</th>
              <td className="num">{value}</td>
              <td className="small muted">
                {configured[key] === undefined ? t("plugins.limitDefault") : t("plugins.limitSet")}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The plugin's latest failures on the host that answered, newest first.
 * @param {{ plugin: Plugin }} props
 */
function PluginErrors({ plugin: p }) {
  const i18n = useI18n();
  const { t } = i18n;
  return (
    <div className="table-wrap">
      <h3>{t("plugins.errors")}</h3>
      {p.latest_errors.length === 0 ? (
        <p className="empty" data-testid="no-errors">
          {t("plugins.noErrors")}
        </p>
      ) : (
        <>
          <p className="muted small">{t("plugins.errorsTotal", { count: p.errors_total })}</p>
          <table className="errors" data-testid="errors">
            <thead>
              <tr>
                <th>{t("plugins.col.at")}</th>
                <th>{t("plugins.col.version")}</th>
                <th>{t("plugins.col.campaign")}</th>
                <th>{t("plugins.col.reason")}</th>
                <th>{t("plugins.col.message")}</th>
              </tr>
            </thead>
            <tbody>
              {p.latest_errors.map((e, i) => (
                <tr key={i}>
                  <td className="small">{i18n.dateTime(e.at)}</td>
                  <td>{e.version}</td>
                  <td>
                    <code>{e.campaign}</code>
                  </td>
                  <td>
                    <code>{e.reason}</code>
                  </td>
                  <td className="small">{e.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
