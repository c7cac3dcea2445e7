// A campaign's coupon codes: generate a batch with progress, list and search with their
// uses, download every code as CSV.
import { useCallback, useEffect, useState } from "react";
import { api } from "../api.js";
import { href } from "../router.js";
import { Field, Problem, Progress } from "../components/ui.jsx";

/** Codes per request: a batch is sent in chunks so its progress can be shown. */
const CHUNK = 5000;
const PAGE = 50;
const DOWNLOAD_PAGE = 1000;

export function Coupons({ id }) {
  const base = `/v1/campaigns/${encodeURIComponent(id)}/coupons`;
  const [form, setForm] = useState({ count: "100", prefix: "", uses_per_code: "1" });
  const [progress, setProgress] = useState(null);
  const [error, setError] = useState(null);
  const [page, setPage] = useState(null);
  const [search, setSearch] = useState("");
  const [cursors, setCursors] = useState([null]);

  const load = useCallback(
    async (after) => {
      const query = new URLSearchParams({ limit: String(PAGE) });
      if (search.trim()) query.set("search", search.trim());
      if (after) query.set("after", after);
      try {
        setPage(await api("GET", `${base}?${query}`));
      } catch (e) {
        setError(e);
      }
    },
    [base, search],
  );

  useEffect(() => {
    setCursors([null]);
    load(null);
  }, [load]);

  async function generate(event) {
    event.preventDefault();
    setError(null);
    const total = Number(form.count);
    if (!Number.isInteger(total) || total < 1) {
      setError({ title: "Count", message: "", errors: [{ pointer: "/count", message: "a whole number of codes, at least 1" }] });
      return;
    }
    let done = 0;
    setProgress({ done, total });
    try {
      while (done < total) {
        const count = Math.min(CHUNK, total - done);
        const body = { count, uses_per_code: Number(form.uses_per_code) };
        if (form.prefix) body.prefix = form.prefix;
        const answer = await api("POST", base, { body });
        done += answer.created;
        setProgress({ done, total });
      }
      await load(null);
      setCursors([null]);
    } catch (e) {
      setError(e);
    }
  }

  async function download() {
    setError(null);
    const rows = ["code,uses,uses_per_code,created_at"];
    let after = null;
    let fetched = 0;
    setProgress({ done: 0, total: page?.total || 0, downloading: true });
    try {
      for (;;) {
        const query = new URLSearchParams({ limit: String(DOWNLOAD_PAGE) });
        if (after) query.set("after", after);
        const answer = await api("GET", `${base}?${query}`);
        for (const c of answer.coupons) rows.push(`${c.code},${c.uses},${c.uses_per_code},${c.created_at}`);
        fetched += answer.coupons.length;
        setProgress({ done: fetched, total: answer.total, downloading: true });
        if (!answer.next) break;
        after = answer.next;
      }
      const url = URL.createObjectURL(new Blob([rows.join("\n") + "\n"], { type: "text/csv" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = `${id}-coupons.csv`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      setError(e);
    }
  }

  const fieldErrors = Object.fromEntries((error?.errors || []).map((e) => [e.pointer, [e.message]]));
  return (
    <section>
      <div className="page-head">
        <div>
          <h1>Coupons</h1>
          <a className="muted" href={href("campaigns", id)}>
            ← {id}
          </a>
        </div>
        <button onClick={download} disabled={!page?.total}>
          Download CSV
        </button>
      </div>
      <form className="card generate" onSubmit={generate} noValidate>
        <h2>Generate codes</h2>
        <div className="grid compact">
          <Field label="How many" errors={fieldErrors["/count"]}>
            <input name="count" inputMode="numeric" value={form.count} onChange={(e) => setForm({ ...form, count: e.target.value })} />
          </Field>
          <Field label="Prefix" hint="Optional, e.g. WELCOME-" errors={fieldErrors["/prefix"]}>
            <input name="prefix" value={form.prefix} onChange={(e) => setForm({ ...form, prefix: e.target.value })} />
          </Field>
          <Field label="Uses per code" errors={fieldErrors["/uses_per_code"]}>
            <input name="uses_per_code" inputMode="numeric" value={form.uses_per_code} onChange={(e) => setForm({ ...form, uses_per_code: e.target.value })} />
          </Field>
        </div>
        <button type="submit" className="primary" disabled={progress && progress.done < progress.total}>
          Generate
        </button>
        {progress && (
          <Progress
            value={progress.done}
            max={progress.total}
            label={`${progress.done.toLocaleString()} of ${progress.total.toLocaleString()} ${progress.downloading ? "downloaded" : "generated"}`}
          />
        )}
      </form>
      <Problem error={error?.status ? error : null} shown={["/count", "/prefix", "/uses_per_code"]} />
      <div className="filters">
        <input type="search" name="code-search" placeholder="Search codes by their start" value={search} onChange={(e) => setSearch(e.target.value)} />
        <span className="muted">{page ? `${page.total.toLocaleString()} codes` : ""}</span>
      </div>
      {page && (
        <>
          <div className="table-wrap">
            <table className="coupons">
              <thead>
                <tr><th>Code</th><th className="num">Uses</th><th className="num">Uses per code</th><th>Created</th></tr>
              </thead>
              <tbody>
                {page.coupons.map((c) => (
                  <tr key={c.code}>
                    <td><code>{c.code}</code></td>
                    <td className="num">{c.uses}</td>
                    <td className="num">{c.uses_per_code}</td>
                    <td className="small">{c.created_at.slice(0, 19).replace("T", " ")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="pager">
            <button
              disabled={cursors.length < 2}
              onClick={() => {
                const previous = cursors.slice(0, -1);
                setCursors(previous);
                load(previous.at(-1));
              }}
            >
              ← previous
            </button>
            <button
              disabled={!page.next}
              onClick={() => {
                setCursors([...cursors, page.next]);
                load(page.next);
              }}
            >
              next →
            </button>
          </div>
        </>
      )}
    </section>
  );
}
