// Sign-in with an API key: asks /v1/me which role the key has; a channel key is refused.
import { useState } from "react";
import { call } from "../api.js";
import { LanguageSwitch, useI18n } from "../i18n/I18n.jsx";

/**
 * @param {{
 *   reason: import("../App.jsx").Reason | null,
 *   onSignIn: (session: import("../session.js").Session) => Promise<void>,
 * }} props
 */
export function SignIn({ reason, onSignIn }) {
  const { t } = useI18n();
  const [key, setKey] = useState("");
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [busy, setBusy] = useState(false);

  async function submit(/** @type {import("react").FormEvent} */ event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await call("GET", "/v1/me", { key: key.trim() });
      if (me.role === "channel") {
        setError(t("signIn.channelKey"));
      } else {
        await onSignIn({ key: key.trim(), role: me.role, label: me.label ?? null });
      }
    } catch (e) {
      setError(e.status === 401 ? t("signIn.unknownKey", { detail: e.message }) : e.message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="signin">
      <form onSubmit={submit} className="card">
        <div className="signin-head">
          <h1>{t("app.title")}</h1>
          <LanguageSwitch />
        </div>
        <p className="muted">{t("signIn.intro")}</p>
        {reason && (
          <p className="notice" role="alert">
            {t(reason.key, { detail: reason.detail })}
          </p>
        )}
        <label className="field">
          <span className="label">{t("signIn.key")}</span>
          <input
            name="key"
            type="password"
            autoComplete="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            required
            autoFocus
          />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy || !key.trim()}>
          {busy ? t("signIn.busy") : t("signIn.submit")}
        </button>
      </form>
    </div>
  );
}
