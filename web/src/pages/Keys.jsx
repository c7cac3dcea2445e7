// The API keys (admin only): create one (the key is shown this once, to copy), list them
// with their role, label, source, creation and last use (never a key), revoke one.
import { useCallback, useEffect, useState } from "react";
import { call } from "../api.js";
import { useI18n } from "../i18n/I18n.jsx";
import { Problem } from "../components/ui.jsx";

/** @typedef {import("../apiTypes").Answer<"/v1/keys", "GET">[number]} Key */
/** @typedef {import("../apiTypes").Answer<"/v1/keys", "POST">} CreatedKey */
/** @typedef {import("../apiTypes").Body<"/v1/keys", "POST">["role"]} Role */

/** @typedef {import("../i18n/translate.js").MessageKey} MessageKey */

/** Each role, and how the page names it. @type {[Role, MessageKey][]} */
const ROLES = [
  ["channel", "keys.role.channel"],
  ["marketing", "keys.role.marketing"],
  ["ops", "keys.role.ops"],
  ["store", "keys.role.store"],
  ["admin", "keys.role.admin"],
];

/** @param {string} role @returns {MessageKey} */
const roleKey = (role) => ROLES.find(([name]) => name === role)?.[1] ?? "keys.role.admin";

/** @param {string} source @returns {MessageKey} */
const sourceKey = (source) =>
  source === "configured" ? "keys.source.configured" : "keys.source.created";

export function Keys() {
  const i18n = useI18n();
  const { t } = i18n;
  const [keys, setKeys] = useState(/** @type {Key[] | null} */ (null));
  const [error, setError] = useState(null);
  const [created, setCreated] = useState(/** @type {CreatedKey | null} */ (null));
  const [copied, setCopied] = useState(false);
  const [notice, setNotice] = useState(/** @type {string | null} */ (null));

  const load = useCallback(() => call("GET", "/v1/keys").then(setKeys, setError), []);
  useEffect(() => {
    load();
  }, [load]);

  async function create(/** @type {import("react").FormEvent<HTMLFormElement>} */ event) {
    event.preventDefault();
    const form = event.currentTarget;
    const role = /** @type {HTMLSelectElement} */ (form.elements.namedItem("role")).value;
    const label = /** @type {HTMLInputElement} */ (form.elements.namedItem("label")).value;
    setError(null);
    setNotice(null);
    setCopied(false);
    try {
      const answer = await call("POST", "/v1/keys", {
        body: { role: /** @type {Role} */ (role), label },
      });
      form.reset();
      setCreated(answer);
      await load();
    } catch (e) {
      setError(e);
    }
  }

  async function copy() {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied(true);
    } catch {
      // Without clipboard access (an insecure origin), the key stays selectable.
      setCopied(false);
    }
  }

  /** @param {Key} key */
  async function revoke(key) {
    if (!window.confirm(t("keys.confirmRevoke", { label: key.label || key.id }))) return;
    setError(null);
    setNotice(null);
    try {
      await call("DELETE", "/v1/keys/{id}", { path: { id: key.id } });
      if (created?.id === key.id) setCreated(null);
      await load();
      setNotice(t("keys.revoked", { label: key.label || key.id }));
    } catch (e) {
      setError(e);
    }
  }

  /** @param {string | null | undefined} instant */
  const when = (instant) => (instant ? i18n.dateTime(instant) : "—");

  return (
    <section className="keys">
      <div className="page-head">
        <h1>{t("keys.title")}</h1>
      </div>
      <form className="card create-key" onSubmit={create}>
        <h2>{t("keys.createTitle")}</h2>
        <div className="grid compact">
          <label className="field">
            <span className="label">{t("keys.role")}</span>
            <select name="role" defaultValue="channel">
              {ROLES.map(([role, name]) => (
                <option key={role} value={role}>
                  {t(name)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="label">{t("keys.label")}</span>
            <input name="label" maxLength={100} placeholder={t("keys.labelHint")} />
          </label>
        </div>
        <button type="submit" className="primary">
          {t("keys.create")}
        </button>
      </form>
      {created && (
        <div className="card new-key" role="status">
          <p>
            <strong>{t("keys.shownOnce")}</strong>
          </p>
          <p>
            <code data-testid="new-key" className="secret">
              {created.key}
            </code>
          </p>
          <button type="button" onClick={copy}>
            {copied ? t("keys.copied") : t("keys.copy")}
          </button>{" "}
          <button type="button" className="link" onClick={() => setCreated(null)}>
            {t("keys.done")}
          </button>
        </div>
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <Problem error={error} />
      {keys === null ? (
        <p className="empty">{t("common.loading")}</p>
      ) : (
        <div className="table-wrap">
          <table className="key-list">
            <thead>
              <tr>
                <th>{t("keys.col.label")}</th>
                <th>{t("keys.col.role")}</th>
                <th>{t("keys.col.source")}</th>
                <th>{t("keys.col.created")}</th>
                <th>{t("keys.col.lastUsed")}</th>
                <th>{t("keys.col.status")}</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key.id} data-key={key.id} className={key.revoked_at ? "revoked" : ""}>
                  <td>
                    {key.label || <span className="muted">{t("keys.noLabel")}</span>}
                    <div className="small muted">
                      <code>{key.id}</code>
                    </div>
                  </td>
                  <td>{t(roleKey(key.role))}</td>
                  <td className="small">{t(sourceKey(key.source))}</td>
                  <td className="small">{when(key.created_at)}</td>
                  <td className="small">{when(key.last_used_at)}</td>
                  <td className="small">
                    {key.revoked_at ? (
                      <span className="badge ended">
                        {t("keys.revokedOn", { when: when(key.revoked_at) })}
                      </span>
                    ) : (
                      <span className="badge active">{t("keys.active")}</span>
                    )}
                  </td>
                  <td>
                    {!key.revoked_at && (
                      <button type="button" className="danger" onClick={() => revoke(key)}>
                        {t("keys.revoke")}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
