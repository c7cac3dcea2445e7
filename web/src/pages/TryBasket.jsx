// "Why didn't my campaign apply?": build or paste a basket, evaluate it with explain, and see
// totals, line discounts, applied campaigns, gifts, points, messages and every rejection.
import { useState } from "react";
import { api } from "../api.js";
import { href } from "../router.js";
import { Problem, money } from "../components/ui.jsx";

const EXAMPLE = {
  currency: "EUR",
  channel: "web",
  customer: { id: "c-123", loyalty_tier: "gold", segments: [] },
  coupons: [],
  lines: [
    { id: "1", sku: "TSHIRT-M", quantity: 2, unit_price: "19.90", categories: ["apparel"] },
    { id: "2", sku: "JEANS-32", quantity: 1, unit_price: "79.00", categories: ["apparel"] },
  ],
};

const csv = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);

export function TryBasket() {
  const [basket, setBasket] = useState(EXAMPLE);
  const [json, setJson] = useState(() => JSON.stringify(EXAMPLE, null, 2));
  const [jsonError, setJsonError] = useState(null);
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const update = (next) => {
    setBasket(next);
    setJson(JSON.stringify(next, null, 2));
    setJsonError(null);
  };
  const setField = (key, value) => {
    const next = { ...basket };
    if (value === "" || value === undefined) delete next[key];
    else next[key] = value;
    update(next);
  };
  const setCustomer = (key, value) => {
    const customer = { ...(basket.customer || {}) };
    if (value === "" || (Array.isArray(value) && !value.length)) delete customer[key];
    else customer[key] = value;
    setField("customer", Object.keys(customer).length ? customer : undefined);
  };
  const setLine = (i, key, value) =>
    update({ ...basket, lines: basket.lines.map((line, j) => (j === i ? { ...line, [key]: value } : line)) });

  async function evaluate(event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setResult(await api("POST", "/v1/evaluate", { body: { ...basket, explain: true } }));
    } catch (e) {
      setResult(null);
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const lines = basket.lines || [];
  return (
    <section className="try">
      <div className="page-head">
        <h1>Try a basket</h1>
      </div>
      <div className="try-grid">
        <form className="card" onSubmit={evaluate}>
          <h2>Basket</h2>
          <div className="grid compact">
            <label className="field">
              <span className="label">Currency</span>
              <input name="currency" value={basket.currency || ""} onChange={(e) => setField("currency", e.target.value)} />
            </label>
            <label className="field">
              <span className="label">Channel</span>
              <input name="channel" value={basket.channel || ""} onChange={(e) => setField("channel", e.target.value)} />
            </label>
            <label className="field">
              <span className="label">Store</span>
              <input name="store" value={basket.store || ""} onChange={(e) => setField("store", e.target.value)} />
            </label>
            <label className="field">
              <span className="label">At (RFC 3339; now when empty)</span>
              <input name="at" value={basket.at || ""} placeholder="2026-03-08T17:30:00+01:00" onChange={(e) => setField("at", e.target.value)} />
            </label>
            <label className="field">
              <span className="label">Customer id</span>
              <input name="customer_id" value={basket.customer?.id || ""} onChange={(e) => setCustomer("id", e.target.value)} />
            </label>
            <label className="field">
              <span className="label">Loyalty tier</span>
              <input name="loyalty_tier" value={basket.customer?.loyalty_tier || ""} onChange={(e) => setCustomer("loyalty_tier", e.target.value)} />
            </label>
            <label className="field">
              <span className="label">Segments</span>
              <input name="segments" value={(basket.customer?.segments || []).join(", ")} onChange={(e) => setCustomer("segments", csv(e.target.value))} />
            </label>
            <label className="field">
              <span className="label">Coupons</span>
              <input name="coupons" value={(basket.coupons || []).join(", ")} onChange={(e) => setField("coupons", csv(e.target.value))} />
            </label>
          </div>
          <div className="table-wrap">
            <table className="lines">
              <thead>
                <tr>
                  <th>Id</th>
                  <th>SKU</th>
                  <th>Qty</th>
                  <th>Unit price</th>
                  <th>Categories</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {lines.map((line, i) => (
                  <tr key={i}>
                    <td><input aria-label="line id" value={line.id} onChange={(e) => setLine(i, "id", e.target.value)} /></td>
                    <td><input aria-label="sku" value={line.sku} onChange={(e) => setLine(i, "sku", e.target.value)} /></td>
                    <td><input aria-label="quantity" inputMode="numeric" value={line.quantity} onChange={(e) => setLine(i, "quantity", Number(e.target.value) || e.target.value)} /></td>
                    <td><input aria-label="unit price" inputMode="decimal" value={line.unit_price} onChange={(e) => setLine(i, "unit_price", e.target.value)} /></td>
                    <td><input aria-label="categories" value={(line.categories || []).join(", ")} onChange={(e) => setLine(i, "categories", csv(e.target.value))} /></td>
                    <td>
                      <button type="button" onClick={() => update({ ...basket, lines: lines.filter((_, j) => j !== i) })}>×</button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <button
            type="button"
            onClick={() => update({ ...basket, lines: [...lines, { id: String(lines.length + 1), sku: "", quantity: 1, unit_price: "0.00", categories: [] }] })}
          >
            add line
          </button>
          <details>
            <summary>Edit or paste as JSON</summary>
            <textarea
              name="basket-json"
              rows={14}
              value={json}
              onChange={(e) => {
                setJson(e.target.value);
                try {
                  setBasket(JSON.parse(e.target.value));
                  setJsonError(null);
                } catch (parseError) {
                  setJsonError(parseError.message);
                }
              }}
            />
            {jsonError && <p className="field-error">Not JSON yet: {jsonError}</p>}
          </details>
          <button type="submit" className="primary" disabled={busy || !!jsonError}>
            {busy ? "Evaluating…" : "Evaluate"}
          </button>
        </form>
        <div className="outcome">
          <Problem error={error} />
          {result ? <Outcome result={result} /> : !error && <p className="empty">The answer appears here.</p>}
        </div>
      </div>
    </section>
  );
}

function Outcome({ result: r }) {
  return (
    <div className="card" data-testid="outcome">
      <div className="totals">
        <div><span className="label">Subtotal</span><strong>{money(r.subtotal, r.currency)}</strong></div>
        <div><span className="label">Discount</span><strong data-testid="discount-total">{money(r.discount_total, r.currency)}</strong></div>
        <div><span className="label">Total</span><strong>{money(r.total, r.currency)}</strong></div>
      </div>
      <h3>Lines</h3>
      <table>
        <thead><tr><th>Line</th><th className="num">Subtotal</th><th className="num">Discount</th><th className="num">Total</th></tr></thead>
        <tbody>
          {r.lines.map((l) => (
            <tr key={l.id}><td>{l.id}</td><td className="num">{money(l.subtotal)}</td><td className="num">{money(l.discount)}</td><td className="num">{money(l.total)}</td></tr>
          ))}
        </tbody>
      </table>
      <h3>Applied</h3>
      {r.applied.length === 0 ? <p className="muted">No campaign applied.</p> : (
        <ul className="applied">
          {r.applied.map((a) => (
            <li key={a.campaign}>
              <a href={href("campaigns", a.campaign)}>{a.campaign}</a> <span className="muted">{a.plugin}</span>{" "}
              <strong>−{money(a.discount, r.currency)}</strong>
              {a.coupon && <span className="muted"> with coupon {a.coupon}</span>}
              {a.effects.length > 0 && (
                <ul className="small">
                  {a.effects.map((e, i) => (
                    <li key={i}>{effectText(e)}</li>
                  ))}
                </ul>
              )}
              {a.messages.map((m, i) => <p key={i} className="small muted">{typeof m === "string" ? m : JSON.stringify(m)}</p>)}
            </li>
          ))}
        </ul>
      )}
      {r.gifts.length > 0 && (
        <>
          <h3>Gifts</h3>
          <ul>{r.gifts.map((g, i) => <li key={i}>{g.quantity} × {g.sku} <span className="muted">from {g.campaign}</span></li>)}</ul>
        </>
      )}
      {r.points.length > 0 && (
        <>
          <h3>Points</h3>
          <ul>{r.points.map((p, i) => <li key={i}>{p.points} points <span className="muted">from {p.campaign}</span></li>)}</ul>
        </>
      )}
      {r.coupons?.length > 0 && (
        <>
          <h3>Coupons</h3>
          <ul>{r.coupons.map((c, i) => <li key={i}><code>{c.code}</code> {c.status}{c.campaign ? ` (${c.campaign})` : ""}</li>)}</ul>
        </>
      )}
      <h3>Not applied</h3>
      {r.rejected.length === 0 ? <p className="muted">Every candidate applied.</p> : (
        <table className="rejected">
          <thead><tr><th>Campaign</th><th>Reason</th><th>Detail</th></tr></thead>
          <tbody>
            {r.rejected.map((x) => (
              <tr key={x.campaign + x.reason}>
                <td><a href={href("campaigns", x.campaign)}>{x.campaign}</a></td>
                <td><span className={`reason ${x.reason}`}>{x.reason}</span></td>
                <td>{x.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function effectText(e) {
  const value = e.value?.percent ? `${e.value.percent} %` : e.value?.amount ? money(e.value.amount) : e.value?.price ? `price ${money(e.value.price)}` : JSON.stringify(e.value ?? {});
  const target = e.target === "order" ? "the order" : Array.isArray(e.lines) ? `lines ${e.lines.map((l) => l.line ?? l.id ?? l).join(", ")}` : JSON.stringify(e.target);
  return `${e.type} ${value} on ${target}${e.amount ? ` = ${money(e.amount)}` : ""}`;
}
