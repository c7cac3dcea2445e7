// A coupon-required campaign's personal codes, on its coupons page: what they came to
// (GET /v1/campaigns/{id}/distributions: handed out, used, conversion in all and per
// channel) and the form that hands them out (POST …/distributions) to a segment or a list
// of customer ids, under a consent, previewed first with a dry run; the codes handed out
// can be downloaded as CSV (customer,code), built here from the answer.
import { useEffect, useMemo, useState } from "react";
import { call, errorsByPointer } from "../api.js";
import { href } from "../router.js";
import { useI18n } from "../i18n/I18n.jsx";
import { wallToInstant } from "../zone.js";
import { csvLine, downloadCsv } from "../csv.js";
import { Field, Problem } from "../components/ui.jsx";

/** @typedef {import("../apiTypes").Answer<"/v1/campaigns/{id}/distributions", "GET">} Report */
/** @typedef {import("../apiTypes").Answer<"/v1/campaigns/{id}/distributions", "POST">} Distributed */
/** @typedef {import("../apiTypes").Body<"/v1/campaigns/{id}/distributions", "POST">} DistributionBody */
/** @typedef {import("../i18n/I18n.jsx").I18n} I18n */
/**
 * The form as typed: recipients by segment or as a list of ids, and the codes' settings.
 * @typedef {{ to: "segment" | "customers", segment: string, customers: string, consent: "" | "email" | "sms", prefix: string, uses_per_code: string, expires_at: string }} Draft
 */
/** A request ready to send: its body, and the ids it lists (the API's /customers/{i} index them). */
/** @typedef {{ body: DistributionBody, ids: string[], key: string }} Request */

/** The pointers the form shows next to its fields. */
const FORM_POINTERS = [
  "/segment",
  "/customers",
  "/consent",
  "/prefix",
  "/uses_per_code",
  "/expires_at",
];

/** @type {Draft} */
const EMPTY = {
  to: "segment",
  segment: "",
  customers: "",
  consent: "",
  prefix: "",
  uses_per_code: "1",
  expires_at: "",
};

/** Ids one per line or comma-separated, each trimmed, empty ones left out. */
export const idsOf = (/** @type {string} */ text) =>
  text
    .split(/[,\r\n]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * The body the form stands for (without dry_run), or the error of a field the browser
 * can tell is wrong before asking.
 * @param {Draft} draft
 * @param {string} zone the campaign's, in which the expiry is typed
 * @returns {{ request: Request } | { invalid: { pointer: string, key: "distribute.usesInvalid" } }}
 */
function requestOf(draft, zone) {
  /** @type {DistributionBody} */
  const body = {};
  let ids = [];
  if (draft.to === "segment") body.segment = draft.segment.trim();
  else {
    ids = idsOf(draft.customers);
    body.customers = ids;
  }
  if (draft.consent) body.consent = draft.consent;
  if (draft.prefix.trim()) body.prefix = draft.prefix.trim();
  const uses = draft.uses_per_code.trim();
  if (uses !== "") {
    if (!/^\d+$/.test(uses)) {
      return { invalid: { pointer: "/uses_per_code", key: "distribute.usesInvalid" } };
    }
    body.uses_per_code = Number(uses);
  }
  if (draft.expires_at) body.expires_at = wallToInstant(draft.expires_at, zone);
  return { request: { body, ids, key: JSON.stringify(body) } };
}

/**
 * A reason a customer was skipped, in the console's language (the API's words otherwise).
 * @param {I18n["t"]} t
 * @param {string} reason
 */
function reasonText(t, reason) {
  const channel = (/** @type {string} */ name) =>
    name === "email"
      ? t("distribute.channel.email")
      : name === "sms"
        ? t("distribute.channel.sms")
        : name;
  let match = /^no consent to (\w+)$/.exec(reason);
  if (match) return t("distribute.reason.noConsent", { channel: channel(match[1]) });
  match = /^no stored profile, so no consent to (\w+)$/.exec(reason);
  if (match) return t("distribute.reason.noProfile", { channel: channel(match[1]) });
  if (reason === "no free code could be generated") return t("distribute.reason.noFreeCode");
  return reason;
}

/**
 * What the campaign's personal codes came to: handed out, used, and the conversion, in all
 * and per channel, as percentages.
 * @param {{ id: string, version: number }} props `version` changes after a distribution
 */
export function DistributionReport({ id, version }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [report, setReport] = useState(/** @type {Report | null} */ (null));
  const [error, setError] = useState(null);

  useEffect(() => {
    let current = true;
    call("GET", "/v1/campaigns/{id}/distributions", { path: { id } }).then(
      (answer) => {
        if (!current) return;
        setError(null);
        setReport(answer);
      },
      (e) => current && setError(e),
    );
    return () => {
      current = false;
    };
  }, [id, version]);

  return (
    <div className="distribution-report" data-testid="distribution-report">
      <h3>{t("distribute.report.title")}</h3>
      <Problem error={error} />
      {report && (
        <>
          <div className="tiles">
            <div className="tile" data-testid="report-assigned">
              <span className="label">{t("distribute.report.assigned")}</span>
              <strong>{i18n.number(report.assigned)}</strong>
            </div>
            <div className="tile" data-testid="report-used">
              <span className="label">{t("distribute.report.used")}</span>
              <strong>{i18n.number(report.used)}</strong>
            </div>
            <div className="tile" data-testid="report-conversion">
              <span className="label">{t("distribute.report.conversion")}</span>
              <strong>{i18n.share(report.conversion)}</strong>
            </div>
          </div>
          {report.assigned === 0 ? (
            <p className="muted small">{t("distribute.report.none")}</p>
          ) : (
            <>
              {report.by_channel.length > 0 && (
                <div className="table-wrap">
                  <table className="conversion">
                    <thead>
                      <tr>
                        <th>{t("distribute.report.col.channel")}</th>
                        <th className="num">{t("distribute.report.col.orders")}</th>
                        <th className="num">{t("distribute.report.col.conversion")}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {report.by_channel.map((c) => (
                        <tr key={c.channel} data-channel={c.channel}>
                          <td>{c.channel}</td>
                          <td className="num">{i18n.number(c.orders)}</td>
                          <td className="num">{i18n.share(c.conversion)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
              <p className="muted small">{t("distribute.report.hint")}</p>
            </>
          )}
        </>
      )}
    </div>
  );
}

/**
 * The form that hands personal codes out: previewed with a dry run, then distributed; the
 * API's errors next to their fields.
 * @param {{ id: string, zone: string, onDistributed: () => void }} props
 */
export function DistributionForm({ id, zone, onDistributed }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState(EMPTY);
  // The dry run of the form as it was sent (`key`): "Distribute" sends that same body.
  const [preview, setPreview] = useState(
    /** @type {{ request: Request, answer: Distributed } | null} */ (null),
  );
  const [done, setDone] = useState(/** @type {Distributed | null} */ (null));
  const [busy, setBusy] = useState(/** @type {"preview" | "distribute" | null} */ (null));
  const [error, setError] = useState(null);
  // A field the browser found wrong before sending: its pointer and message.
  const [invalid, setInvalid] = useState(
    /** @type {{ pointer: string, message: string } | null} */ (null),
  );
  // The ids of the list last sent: the API's /customers/{i} index into it.
  const [sentIds, setSentIds] = useState(/** @type {string[]} */ ([]));

  const built = useMemo(() => requestOf(draft, zone), [draft, zone]);
  const request = "request" in built ? built.request : null;
  const fieldErrors = useMemo(
    () => errorsByPointer({ errors: [...(error?.errors || []), ...(invalid ? [invalid] : [])] }),
    [error, invalid],
  );
  const current = preview && request && preview.request.key === request.key ? preview : null;

  /** The messages for `pointer` and those under it; /customers/{i} names the id. */
  const errs = (/** @type {string} */ pointer) =>
    Object.keys(fieldErrors)
      .filter((p) => p === pointer || p.startsWith(pointer + "/"))
      .flatMap((p) => {
        const match = /^\/customers\/(\d+)$/.exec(p);
        const index = match ? Number(match[1]) : -1;
        if (index < 0 || index >= sentIds.length) return fieldErrors[p];
        return fieldErrors[p].map((message) =>
          t("distribute.customerError", { n: index + 1, id: sentIds[index], message }),
        );
      });

  /** @template {keyof Draft} K @param {K} name @param {Draft[K]} value */
  function set(name, value) {
    setDraft((d) => ({ ...d, [name]: value }));
  }

  /** @param {boolean} dryRun */
  async function send(dryRun) {
    setError(null);
    setInvalid(null);
    if ("invalid" in built) {
      setInvalid({ pointer: built.invalid.pointer, message: t(built.invalid.key) });
      return;
    }
    setBusy(dryRun ? "preview" : "distribute");
    setSentIds(request.ids);
    try {
      const answer = await call("POST", "/v1/campaigns/{id}/distributions", {
        path: { id },
        body: { ...request.body, dry_run: dryRun },
      });
      if (dryRun) setPreview({ request, answer });
      else {
        setPreview(null);
        setDone(answer);
        onDistributed();
      }
    } catch (e) {
      setError(e);
      if (dryRun) setPreview(null);
    } finally {
      setBusy(null);
    }
  }

  function previewSubmit(/** @type {import("react").FormEvent} */ event) {
    event.preventDefault();
    send(true);
  }

  function download() {
    if (!done) return;
    const lines = [csvLine(["customer", "code"])];
    for (const c of done.codes) lines.push(csvLine([c.customer, c.code]));
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    downloadCsv(`${id}-personal-codes-${stamp}.csv`, lines);
  }

  const listed = draft.to === "customers" ? idsOf(draft.customers).length : 0;
  return (
    <form className="card distribute" onSubmit={previewSubmit} noValidate>
      <h3>{t("distribute.title")}</h3>
      <div className="recipients" role="radiogroup" aria-label={t("distribute.to")}>
        {
          /** @type {const} */ (["segment", "customers"]).map((to) => (
            <label key={to} className="check">
              <input
                type="radio"
                name="dist-to"
                value={to}
                checked={draft.to === to}
                onChange={() => set("to", to)}
              />
              {to === "segment" ? t("distribute.toSegment") : t("distribute.toList")}
            </label>
          ))
        }
      </div>
      <div className="grid compact">
        {draft.to === "segment" ? (
          <Field
            label={t("distribute.segment")}
            hint={t("distribute.segmentHint")}
            errors={errs("/segment")}
            pointer="/segment"
          >
            <input
              name="dist-segment"
              value={draft.segment}
              onChange={(e) => set("segment", e.target.value)}
            />
          </Field>
        ) : (
          <Field
            label={t("distribute.customers")}
            hint={
              listed
                ? `${t("distribute.customersHint")} · ${t("distribute.customersCount", { count: listed })}`
                : t("distribute.customersHint")
            }
            errors={errs("/customers")}
            pointer="/customers"
          >
            <textarea
              name="dist-customers"
              rows={5}
              value={draft.customers}
              onChange={(e) => set("customers", e.target.value)}
            />
          </Field>
        )}
        <Field
          label={t("distribute.consent")}
          hint={t("distribute.consentHint")}
          errors={errs("/consent")}
          pointer="/consent"
        >
          <select
            name="dist-consent"
            value={draft.consent}
            onChange={(e) => set("consent", /** @type {Draft["consent"]} */ (e.target.value))}
          >
            <option value="">{t("distribute.consentNone")}</option>
            <option value="email">{t("distribute.consentEmail")}</option>
            <option value="sms">{t("distribute.consentSms")}</option>
          </select>
        </Field>
        <Field
          label={t("coupons.prefix")}
          hint={t("coupons.prefixHint")}
          errors={errs("/prefix")}
          pointer="/prefix"
        >
          <input
            name="dist-prefix"
            value={draft.prefix}
            onChange={(e) => set("prefix", e.target.value)}
          />
        </Field>
        <Field
          label={t("coupons.usesPerCode")}
          errors={errs("/uses_per_code")}
          pointer="/uses_per_code"
        >
          <input
            name="dist-uses"
            inputMode="numeric"
            value={draft.uses_per_code}
            onChange={(e) => set("uses_per_code", e.target.value)}
          />
        </Field>
        <Field
          label={t("distribute.expires", { zone })}
          hint={t("distribute.expiresHint")}
          errors={errs("/expires_at")}
          pointer="/expires_at"
        >
          <input
            type="datetime-local"
            name="dist-expires"
            value={draft.expires_at}
            onChange={(e) => set("expires_at", e.target.value)}
          />
        </Field>
      </div>
      <Problem error={error} shown={FORM_POINTERS} />
      <div className="buttons">
        <button type="submit" disabled={busy !== null}>
          {busy === "preview" ? t("distribute.previewing") : t("distribute.preview")}
        </button>
        <button
          type="button"
          className="primary"
          disabled={busy !== null || !current || current.answer.assigned === 0}
          onClick={() => send(false)}
        >
          {busy === "distribute" ? t("distribute.submitting") : t("distribute.submit")}
        </button>
      </div>
      {!current && <p className="muted small">{t("distribute.previewFirst")}</p>}
      {current && (
        <Outcome answer={current.answer} testid="distribution-preview">
          {current.answer.assigned === 0 && (
            <p className="muted small">{t("distribute.nothingToDo")}</p>
          )}
        </Outcome>
      )}
      {done && (
        <Outcome answer={done} testid="distribution-done">
          {done.codes.length > 0 && (
            <div className="download">
              <button type="button" onClick={download}>
                {t("distribute.download")}
              </button>
              <span className="muted small">{t("distribute.downloadHint")}</span>
            </div>
          )}
        </Outcome>
      )}
    </form>
  );
}

/**
 * A dry run's or a distribution's answer: how many get a code, already have one, were
 * skipped (the first ones named, with why).
 * @param {{ answer: Distributed, testid: string, children?: import("react").ReactNode }} props
 */
function Outcome({ answer, testid, children }) {
  const { t } = useI18n();
  const named = answer.skipped_customers;
  return (
    <div
      className={answer.dry_run ? "outcome preview" : "outcome done"}
      role="status"
      data-testid={testid}
    >
      <strong>{answer.dry_run ? t("distribute.previewTitle") : t("distribute.doneTitle")}</strong>
      <ul className="plain counts">
        <li data-testid="assigned">
          {answer.dry_run
            ? t("distribute.wouldAssign", { count: answer.assigned })
            : t("distribute.assigned", { count: answer.assigned })}
        </li>
        <li data-testid="already">{t("distribute.already", { count: answer.already_assigned })}</li>
        <li data-testid="skipped">{t("distribute.skipped", { count: answer.skipped })}</li>
      </ul>
      {named.length > 0 && (
        <>
          {answer.skipped > named.length && (
            <p className="muted small">
              {t("distribute.skippedNamed", { shown: named.length, count: answer.skipped })}
            </p>
          )}
          <div className="table-wrap skipped-list">
            <table className="skipped">
              <thead>
                <tr>
                  <th>{t("distribute.col.customer")}</th>
                  <th>{t("distribute.col.reason")}</th>
                </tr>
              </thead>
              <tbody>
                {named.map((s) => (
                  <tr key={s.customer} data-skipped={s.customer}>
                    <td>
                      <a href={href("customers", s.customer)}>{s.customer}</a>
                    </td>
                    <td className="small">{reasonText(t, s.reason)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {children}
    </div>
  );
}
