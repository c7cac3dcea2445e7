// "Why didn't my campaign apply?": build or paste a basket, evaluate it with explain, and see
// totals, line discounts, applied campaigns, gifts, points, messages and every rejection;
// for each campaign whose plugin ran, what the run cost and logged (its trace).
import { useState } from "react";
import { call } from "../api.js";
import { href } from "../router.js";
import { useI18n } from "../i18n/I18n.jsx";
import { Problem } from "../components/ui.jsx";

/** @typedef {import("../apiTypes").Body<"/v1/evaluate", "POST">} EvaluateRequest */
/** @typedef {import("../apiTypes").Answer<"/v1/evaluate", "POST">} EvaluateResponse */
/** @typedef {import("../i18n/I18n.jsx").I18n} I18n */
/** @typedef {NonNullable<EvaluateResponse["applied"][number]["trace"]>} Trace */

/** @type {EvaluateRequest} */
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

/** @param {string} text */
const csv = (text) =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

export function TryBasket() {
  const { t } = useI18n();
  const [basket, setBasket] = useState(EXAMPLE);
  const [json, setJson] = useState(() => JSON.stringify(EXAMPLE, null, 2));
  const [jsonError, setJsonError] = useState(/** @type {string | null} */ (null));
  const [result, setResult] = useState(/** @type {EvaluateResponse | null} */ (null));
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const update = (/** @type {EvaluateRequest} */ next) => {
    setBasket(next);
    setJson(JSON.stringify(next, null, 2));
    setJsonError(null);
  };
  /** @param {string} key @param {unknown} value */
  const setField = (key, value) => {
    /** @type {Record<string, unknown>} */
    const next = { ...basket };
    if (value === "" || value === undefined) delete next[key];
    else next[key] = value;
    update(/** @type {EvaluateRequest} */ (next));
  };
  /** @param {string} key @param {string | string[]} value */
  const setCustomer = (key, value) => {
    /** @type {Record<string, unknown>} */
    const customer = { ...(basket.customer || {}) };
    if (value === "" || (Array.isArray(value) && !value.length)) delete customer[key];
    else customer[key] = value;
    setField("customer", Object.keys(customer).length ? customer : undefined);
  };
  /** @param {number} i @param {string} key @param {unknown} value */
  const setLine = (i, key, value) =>
    update({
      ...basket,
      lines: basket.lines.map((line, j) => (j === i ? { ...line, [key]: value } : line)),
    });

  async function evaluate(/** @type {import("react").FormEvent} */ event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setResult(await call("POST", "/v1/evaluate", { body: { ...basket, explain: true } }));
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
        <h1>{t("try.title")}</h1>
      </div>
      <div className="try-grid">
        <form className="card" onSubmit={evaluate}>
          <h2>{t("try.basket")}</h2>
          <div className="grid compact">
            <label className="field">
              <span className="label">{t("try.currency")}</span>
              <input
                name="currency"
                value={basket.currency || ""}
                onChange={(e) => setField("currency", e.target.value)}
              />
            </label>
            <label className="field">
              <span className="label">{t("try.channel")}</span>
              <input
                name="channel"
                value={basket.channel || ""}
                onChange={(e) => setField("channel", e.target.value)}
              />
            </label>
            <label className="field">
              <span className="label">{t("try.store")}</span>
              <input
                name="store"
                value={basket.store || ""}
                onChange={(e) => setField("store", e.target.value)}
              />
            </label>
            <label className="field">
              <span className="label">{t("try.at")}</span>
              <input
                name="at"
                value={basket.at || ""}
                placeholder="2026-03-08T17:30:00+01:00"
                onChange={(e) => setField("at", e.target.value)}
              />
            </label>
            <label className="field">
              <span className="label">{t("try.customerId")}</span>
              <input
                name="customer_id"
                value={basket.customer?.id || ""}
                onChange={(e) => setCustomer("id", e.target.value)}
              />
            </label>
            <label className="field">
              <span className="label">{t("try.loyaltyTier")}</span>
              <input
                name="loyalty_tier"
                value={basket.customer?.loyalty_tier || ""}
                onChange={(e) => setCustomer("loyalty_tier", e.target.value)}
              />
            </label>
            <label className="field">
              <span className="label">{t("try.segments")}</span>
              <input
                name="segments"
                value={(basket.customer?.segments || []).join(", ")}
                onChange={(e) => setCustomer("segments", csv(e.target.value))}
              />
            </label>
            <label className="field">
              <span className="label">{t("try.coupons")}</span>
              <input
                name="coupons"
                value={(basket.coupons || []).join(", ")}
                onChange={(e) => setField("coupons", csv(e.target.value))}
              />
            </label>
          </div>
          <div className="table-wrap">
            <table className="lines">
              <thead>
                <tr>
                  <th>{t("try.col.id")}</th>
                  <th>{t("try.col.sku")}</th>
                  <th>{t("try.col.quantity")}</th>
                  <th>{t("try.col.unitPrice")}</th>
                  <th>{t("try.col.categories")}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {lines.map((line, i) => (
                  <tr key={i}>
                    <td>
                      <input
                        aria-label={t("try.aria.lineId")}
                        value={line.id}
                        onChange={(e) => setLine(i, "id", e.target.value)}
                      />
                    </td>
                    <td>
                      <input
                        aria-label={t("try.aria.sku")}
                        value={line.sku}
                        onChange={(e) => setLine(i, "sku", e.target.value)}
                      />
                    </td>
                    <td>
                      <input
                        aria-label={t("try.aria.quantity")}
                        inputMode="numeric"
                        value={line.quantity}
                        onChange={(e) =>
                          setLine(i, "quantity", Number(e.target.value) || e.target.value)
                        }
                      />
                    </td>
                    <td>
                      <input
                        aria-label={t("try.aria.unitPrice")}
                        inputMode="decimal"
                        value={line.unit_price}
                        onChange={(e) => setLine(i, "unit_price", e.target.value)}
                      />
                    </td>
                    <td>
                      <input
                        aria-label={t("try.aria.categories")}
                        value={(line.categories || []).join(", ")}
                        onChange={(e) => setLine(i, "categories", csv(e.target.value))}
                      />
                    </td>
                    <td>
                      <button
                        type="button"
                        aria-label={t("try.removeLine")}
                        title={t("try.removeLine")}
                        onClick={() =>
                          update({ ...basket, lines: lines.filter((_, j) => j !== i) })
                        }
                      >
                        ×
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <button
            type="button"
            onClick={() =>
              update({
                ...basket,
                lines: [
                  ...lines,
                  {
                    id: String(lines.length + 1),
                    sku: "",
                    quantity: 1,
                    unit_price: "0.00",
                    categories: [],
                  },
                ],
              })
            }
          >
            {t("try.addLine")}
          </button>
          <details>
            <summary>{t("try.json")}</summary>
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
            {jsonError && <p className="field-error">{t("try.jsonError", { error: jsonError })}</p>}
          </details>
          <button type="submit" className="primary" disabled={busy || !!jsonError}>
            {busy ? t("try.evaluating") : t("try.evaluate")}
          </button>
        </form>
        <div className="outcome">
          <Problem error={error} />
          {result ? (
            <Outcome result={result} />
          ) : (
            !error && <p className="empty">{t("try.placeholder")}</p>
          )}
        </div>
      </div>
    </section>
  );
}

/** @param {{ result: EvaluateResponse }} props */
function Outcome({ result: r }) {
  const i18n = useI18n();
  const { t } = i18n;
  const money = (/** @type {string} */ amount) => i18n.money(amount, r.currency);
  return (
    <div className="card" data-testid="outcome">
      <div className="totals">
        <div>
          <span className="label">{t("outcome.subtotal")}</span>
          <strong>{money(r.subtotal)}</strong>
        </div>
        <div>
          <span className="label">{t("outcome.discount")}</span>
          <strong data-testid="discount-total">{money(r.discount_total)}</strong>
        </div>
        <div>
          <span className="label">{t("outcome.total")}</span>
          <strong>{money(r.total)}</strong>
        </div>
      </div>
      <h3>{t("outcome.lines")}</h3>
      <table>
        <thead>
          <tr>
            <th>{t("outcome.col.line")}</th>
            <th className="num">{t("outcome.subtotal")}</th>
            <th className="num">{t("outcome.discount")}</th>
            <th className="num">{t("outcome.total")}</th>
          </tr>
        </thead>
        <tbody>
          {r.lines.map((l) => (
            <tr key={l.id}>
              <td>{l.id}</td>
              <td className="num">{money(l.subtotal)}</td>
              <td className="num">{money(l.discount)}</td>
              <td className="num">{money(l.total)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{t("outcome.applied")}</h3>
      {r.applied.length === 0 ? (
        <p className="muted">{t("outcome.noneApplied")}</p>
      ) : (
        <ul className="applied">
          {r.applied.map((a) => (
            <li key={a.campaign}>
              <a href={href("campaigns", a.campaign)}>{a.campaign}</a>{" "}
              <span className="muted">{a.plugin}</span> <strong>−{money(a.discount)}</strong>
              {a.coupon && (
                <span className="muted"> {t("outcome.withCoupon", { code: a.coupon })}</span>
              )}
              {a.effects.length > 0 && (
                <ul className="small">
                  {a.effects.map((e, i) => (
                    <li key={i}>{effectText(i18n, e, r.currency)}</li>
                  ))}
                </ul>
              )}
              {a.messages.map((m, i) => (
                <p key={i} className="small muted">
                  {typeof m === "string" ? m : JSON.stringify(m)}
                </p>
              ))}
              {a.trace && <TraceView trace={a.trace} campaign={a.campaign} />}
            </li>
          ))}
        </ul>
      )}
      {r.gifts.length > 0 && (
        <>
          <h3>{t("outcome.gifts")}</h3>
          <ul>
            {r.gifts.map((g, i) => (
              <li key={i}>
                {t("outcome.gift", { quantity: g.quantity, sku: g.sku })}{" "}
                <span className="muted">{t("outcome.from", { campaign: g.campaign })}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {r.points.length > 0 && (
        <>
          <h3>{t("outcome.points")}</h3>
          <ul>
            {r.points.map((p, i) => (
              <li key={i}>
                {t("outcome.pointsEarned", { count: p.points })}{" "}
                <span className="muted">{t("outcome.from", { campaign: p.campaign })}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {r.coupons?.length > 0 && (
        <>
          <h3>{t("outcome.coupons")}</h3>
          <ul>
            {r.coupons.map((c, i) => (
              <li key={i}>
                <code>{c.code}</code> {couponStatus(t, c.status)}
                {c.campaign ? ` (${c.campaign})` : ""}
                {c.detail && <span className="muted"> · {couponDetail(t, c.detail)}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>{t("outcome.rejected")}</h3>
      {r.rejected.length === 0 ? (
        <p className="muted">{t("outcome.noneRejected")}</p>
      ) : (
        <table className="rejected">
          <thead>
            <tr>
              <th>{t("outcome.col.campaign")}</th>
              <th>{t("outcome.col.reason")}</th>
              <th>{t("outcome.col.detail")}</th>
            </tr>
          </thead>
          <tbody>
            {r.rejected.map((x) => (
              <tr key={x.campaign + x.reason}>
                <td>
                  <a href={href("campaigns", x.campaign)}>{x.campaign}</a>
                </td>
                <td>
                  <span className={`reason ${x.reason}`} title={x.reason}>
                    {reasonName(t, x.reason)}
                  </span>
                </td>
                <td>
                  {x.detail}
                  {x.trace && <TraceView trace={x.trace} campaign={x.campaign} />}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** Bytes as kibibytes: 131072 → 128, 1536 → 1.5 (one decimal at most). */
const kibibytes = (/** @type {number} */ bytes) => Math.round((bytes / 1024) * 10) / 10;

/**
 * What the plugin's run for one campaign cost and logged, folded: fuel used of the fuel
 * granted, wall time, peak memory, the campaigns that ran in the same sandbox, and the
 * lines the plugin logged (with how many were dropped past the sandbox's bounds).
 * @param {{ trace: Trace, campaign: string }} props
 */
function TraceView({ trace, campaign }) {
  const { t } = useI18n();
  const others = trace.campaigns.filter((c) => c !== campaign);
  return (
    <details className="trace" data-testid="trace" data-campaign={campaign}>
      <summary>{t("trace.title")}</summary>
      <dl className="trace-figures">
        <dt>{t("trace.fuel")}</dt>
        <dd data-testid="trace-fuel">
          {t("trace.fuelUsed", { used: trace.fuel_used, limit: trace.fuel_limit })}
        </dd>
        <dt>{t("trace.wallTime")}</dt>
        <dd data-testid="trace-time">{t("trace.microseconds", { value: trace.wall_time_us })}</dd>
        <dt>{t("trace.memory")}</dt>
        <dd data-testid="trace-memory">
          {t("trace.kibibytes", { value: kibibytes(trace.peak_memory_bytes) })}
        </dd>
        <dt>{t("trace.sandbox")}</dt>
        <dd data-testid="trace-campaigns">
          {others.length === 0 ? (
            t("trace.alone")
          ) : (
            <>
              {t("trace.sharedWith")}{" "}
              {others.map((c, i) => (
                <span key={c}>
                  {i > 0 && ", "}
                  <a href={href("campaigns", c)}>{c}</a>
                </span>
              ))}
            </>
          )}
          {trace.sandboxes > 1 && (
            <span className="muted"> · {t("trace.sandboxes", { count: trace.sandboxes })}</span>
          )}
        </dd>
      </dl>
      <h4>{t("trace.log")}</h4>
      {trace.log.length === 0 ? (
        <p className="muted small">{t("trace.noLog")}</p>
      ) : (
        <ul className="trace-log">
          {trace.log.map((line, i) => (
            <li key={i} className={`log ${line.level}`}>
              <span className={`level ${line.level}`}>{levelName(t, line.level)}</span>{" "}
              <code>{line.message}</code>
            </li>
          ))}
        </ul>
      )}
      {trace.log_dropped > 0 && (
        <p className="muted small" data-testid="trace-dropped">
          {t("trace.dropped", { count: trace.log_dropped })}
        </p>
      )}
    </details>
  );
}

/** A log line's level, in words. @param {I18n["t"]} t @param {string} level */
function levelName(t, level) {
  switch (level) {
    case "debug":
      return t("trace.level.debug");
    case "info":
      return t("trace.level.info");
    case "warn":
      return t("trace.level.warn");
    case "error":
      return t("trace.level.error");
    default:
      return level;
  }
}

/** Why a campaign did not apply, in words. @param {I18n["t"]} t @param {string} reason */
function reasonName(t, reason) {
  switch (reason) {
    case "not_eligible":
      return t("reason.not_eligible");
    case "lost_conflict":
      return t("reason.lost_conflict");
    case "budget_exhausted":
      return t("reason.budget_exhausted");
    case "limit_reached":
      return t("reason.limit_reached");
    case "plugin_error":
      return t("reason.plugin_error");
    case "fuel_exhausted":
      return t("reason.fuel_exhausted");
    case "memory_exceeded":
      return t("reason.memory_exceeded");
    case "timeout":
      return t("reason.timeout");
    case "invalid_effects":
      return t("reason.invalid_effects");
    case "suspended":
      return t("reason.suspended");
    default:
      return reason;
  }
}

/** What became of a coupon code of the basket. @param {I18n["t"]} t @param {string} status */
function couponStatus(t, status) {
  switch (status) {
    case "applied":
      return t("couponStatus.applied");
    case "not_applied":
      return t("couponStatus.not_applied");
    case "unknown":
      return t("couponStatus.unknown");
    case "expired":
      return t("couponStatus.expired");
    case "used_up":
      return t("couponStatus.used_up");
    default:
      return status;
  }
}

/**
 * Why a valid code did not apply, when the code itself says why (the API's words when the
 * console does not know them).
 * @param {I18n["t"]} t
 * @param {string} detail
 */
function couponDetail(t, detail) {
  return detail === "personal to another customer" ? t("couponDetail.personal") : detail;
}

/**
 * One priced effect in words: "10 % off the order: 11,88 €".
 * @param {I18n} i18n
 * @param {EvaluateResponse["applied"][number]["effects"][number]} e
 * @param {string} currency
 */
function effectText({ t, money, percent }, e, currency) {
  /** @type {Record<string, any>} */
  const effect = e;
  const value = effect.value || {};
  const what =
    value.percent !== undefined
      ? t("effect.percent", { value: percent(value.percent) })
      : value.amount !== undefined
        ? t("effect.amount", { value: money(value.amount, currency) })
        : value.fixed_price !== undefined
          ? t("effect.fixedPrice", { value: money(value.fixed_price, currency) })
          : JSON.stringify(value);
  const target =
    effect.target === "order"
      ? t("effect.order")
      : Array.isArray(effect.target?.lines)
        ? t("effect.lines", {
            count: effect.target.lines.length,
            lines: effect.target.lines
              .map((/** @type {{ line: string, units?: number }} */ l) =>
                l.units ? t("effect.units", { line: l.line, count: l.units }) : l.line,
              )
              .join(", "),
          })
        : JSON.stringify(effect.target ?? {});
  const amount = effect.amount !== undefined ? money(effect.amount, currency) : null;
  return amount
    ? t("effect.priced", { what, target, amount })
    : t("effect.unpriced", { what, target });
}
