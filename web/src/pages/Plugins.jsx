// The plugin catalogue: versions with sha256 and upload time, descriptions, the parameter
// schema shown readably; ops upload a new .wasm and roll back.
import { useCallback, useEffect, useState } from "react";
import { api } from "../api.js";
import { href } from "../router.js";
import { Problem } from "../components/ui.jsx";
import { SchemaView } from "../components/SchemaView.jsx";

export function Plugins({ name, canUpload }) {
  const [plugins, setPlugins] = useState(null);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);

  const load = useCallback(() => api("GET", "/v1/plugins").then(setPlugins, setError), []);
  useEffect(() => {
    load();
  }, [load]);

  async function upload(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const file = form.elements.wasm.files[0];
    const target = form.elements.name.value.trim();
    setError(null);
    setNotice(null);
    if (!file || !target) return;
    try {
      const answer = await api("PUT", `/v1/plugins/${encodeURIComponent(target)}`, {
        body: new Blob([await file.arrayBuffer()]),
        headers: { "Content-Type": "application/wasm" },
      });
      setNotice(`${target}: version ${answer?.latest ?? ""} is now served.`);
      form.reset();
      await load();
    } catch (e) {
      setError(e);
    }
  }

  async function rollback(plugin) {
    setError(null);
    setNotice(null);
    try {
      const answer = await api("POST", `/v1/plugins/${encodeURIComponent(plugin)}/rollback`);
      setNotice(`${plugin}: rolled back to ${answer?.latest ?? "the previous version"}.`);
      await load();
    } catch (e) {
      setError(e);
    }
  }

  const shown = (plugins || []).filter((p) => !name || p.name === name);
  return (
    <section className="plugins">
      <div className="page-head">
        <h1>{name ? <a href="#/plugins">Plugins</a> : "Plugins"}{name ? ` / ${name}` : ""}</h1>
      </div>
      {canUpload && (
        <form className="card upload" onSubmit={upload}>
          <h2>Upload a version</h2>
          <div className="grid compact">
            <label className="field">
              <span className="label">Plugin name (as the component declares it)</span>
              <input name="name" defaultValue={name || ""} required />
            </label>
            <label className="field">
              <span className="label">Component (.wasm)</span>
              <input name="wasm" type="file" accept=".wasm,application/wasm" required />
            </label>
          </div>
          <button type="submit" className="primary">Upload</button>
        </form>
      )}
      {notice && <p className="notice" role="status">{notice}</p>}
      <Problem error={error} />
      {plugins === null ? (
        <p className="empty">Loading…</p>
      ) : (
        shown.map((p) => <PluginCard key={p.name} plugin={p} canUpload={canUpload} onRollback={rollback} open={!!name} />)
      )}
    </section>
  );
}

function PluginCard({ plugin: p, canUpload, onRollback, open }) {
  const latest = p.versions.find((v) => v.version === p.latest) || p.versions.at(-1);
  return (
    <article className="card plugin" data-plugin={p.name}>
      <div className="page-head">
        <div>
          <h2><a href={href("plugins", p.name)}>{p.name}</a></h2>
          <span className="muted">serving <strong data-testid="latest">{p.latest}</strong></span>
        </div>
        {canUpload && p.versions.length > 1 && (
          <button onClick={() => onRollback(p.name)}>roll back</button>
        )}
      </div>
      <p>{latest?.description}</p>
      <div className="table-wrap">
        <table className="versions">
          <thead>
            <tr><th>Version</th><th>sha256</th><th className="num">Size</th><th>Uploaded</th></tr>
          </thead>
          <tbody>
            {p.versions.map((v) => (
              <tr key={v.version} className={v.version === p.latest ? "current" : ""}>
                <td>{v.version}{v.version === p.latest ? " (current)" : ""}</td>
                <td><code title={v.sha256}>{v.sha256.slice(0, 16)}…</code></td>
                <td className="num">{(v.size_bytes / 1024).toFixed(0)} KiB</td>
                <td className="small">{v.uploaded_at ? v.uploaded_at.slice(0, 19).replace("T", " ") : "ships with the service"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <details open={open}>
        <summary>Parameters</summary>
        {latest && <SchemaView schema={latest.params_schema} />}
      </details>
    </article>
  );
}
