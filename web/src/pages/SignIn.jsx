// Sign-in with an API key: asks /v1/me which role the key has; a channel key is refused.
import { useState } from "react";
import { api } from "../api.js";

export function SignIn({ reason, onSignIn }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await api("GET", "/v1/me", { key: key.trim() });
      if (me.role === "channel") {
        setError("A channel key prices baskets for tills and shops; sign in with a marketing, ops or admin key.");
      } else {
        await onSignIn({ key: key.trim(), role: me.role, label: me.label ?? null });
      }
    } catch (e) {
      setError(e.status === 401 ? `This key is not known (${e.message}).` : e.message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="signin">
      <form onSubmit={submit} className="card">
        <h1>Remise console</h1>
        <p className="muted">Sign in with a marketing, ops or admin API key.</p>
        {reason && (
          <p className="notice" role="alert">
            {reason}
          </p>
        )}
        <label className="field">
          <span className="label">API key</span>
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
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </div>
  );
}
