// A campaign's coupon codes: generate a batch with progress, list and search with their
// uses (and the customer of a personal code), download every code as CSV. A campaign that
// requires a code also gets its personal codes here: what they came to, and the form that
// hands them out to a segment or a list of customers. Dates are shown in the campaign's
// time zone.
import { useCallback, useEffect, useState } from "react";
import { call } from "../api.js";
import { href } from "../router.js";
import { useI18n } from "../i18n/I18n.jsx";
import { zoneOf } from "../campaignActions.js";
import { csvLine, downloadCsv } from "../csv.js";
import { Field, Problem, Progress } from "../components/ui.jsx";
import { DistributionForm, DistributionReport } from "./PersonalCodes.jsx";

/** @typedef {import("../apiTypes").Answer<"/v1/campaigns/{id}/coupons", "GET">} CouponPage */
/** @typedef {import("../apiTypes").Body<"/v1/campaigns/{id}/coupons", "POST">} CouponsRequest */
/** @typedef {import("../campaignActions.js").StoredCampaign} StoredCampaign */
/** @typedef {{ done: number, total: number, downloading?: boolean }} Progression */

/** Codes per request: a batch is sent in chunks so its progress can be shown. */
const CHUNK = 5000;
const PAGE = 50;
const DOWNLOAD_PAGE = 1000;

/** @param {{ id: string }} props */
export function Coupons({ id }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [form, setForm] = useState({ count: "100", prefix: "", uses_per_code: "1" });
  const [progress, setProgress] = useState(/** @type {Progression | null} */ (null));
  const [error, setError] = useState(null);
  const [page, setPage] = useState(/** @type {CouponPage | null} */ (null));
  const [search, setSearch] = useState("");
  const [cursors, setCursors] = useState(/** @type {(string | null)[]} */ ([null]));
  const [campaign, setCampaign] = useState(/** @type {StoredCampaign | null} */ (null));
  // Counts the distributions made here: the report is asked again after each.
  const [distributions, setDistributions] = useState(0);
  const zone = campaign ? zoneOf(campaign) : "UTC";

  useEffect(() => {
    call("GET", "/v1/campaigns/{id}", { path: { id } }).then(setCampaign, () => {});
  }, [id]);

  const load = useCallback(
    async (/** @type {string | null} */ after) => {
      try {
        setPage(
          await call("GET", "/v1/campaigns/{id}/coupons", {
            path: { id },
            query: { limit: PAGE, search: search.trim() || undefined, after: after || undefined },
          }),
        );
      } catch (e) {
        setError(e);
      }
    },
    [id, search],
  );

  useEffect(() => {
    // load() sets state only once the API has answered (after an await), not synchronously.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    load(null).then(() => setCursors([null]));
  }, [load]);

  async function generate(/** @type {import("react").FormEvent} */ event) {
    event.preventDefault();
    setError(null);
    const total = Number(form.count);
    if (!Number.isInteger(total) || total < 1) {
      setError({
        title: t("coupons.count"),
        message: "",
        errors: [{ pointer: "/count", message: t("coupons.countInvalid") }],
      });
      return;
    }
    let done = 0;
    setProgress({ done, total });
    try {
      while (done < total) {
        /** @type {CouponsRequest} */
        const body = {
          count: Math.min(CHUNK, total - done),
          uses_per_code: Number(form.uses_per_code),
        };
        if (form.prefix) body.prefix = form.prefix;
        const answer = await call("POST", "/v1/campaigns/{id}/coupons", { path: { id }, body });
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
    const rows = [
      csvLine(["code", "uses", "uses_per_code", "created_at", "customer", "expires_at"]),
    ];
    let after = null;
    let fetched = 0;
    setProgress({ done: 0, total: page?.total || 0, downloading: true });
    try {
      for (;;) {
        const answer = await call("GET", "/v1/campaigns/{id}/coupons", {
          path: { id },
          query: { limit: DOWNLOAD_PAGE, after: after || undefined },
        });
        for (const c of answer.coupons) {
          rows.push(
            csvLine([c.code, c.uses, c.uses_per_code, c.created_at, c.customer, c.expires_at]),
          );
        }
        fetched += answer.coupons.length;
        setProgress({ done: fetched, total: answer.total, downloading: true });
        if (!answer.next) break;
        after = answer.next;
      }
      downloadCsv(`${id}-coupons.csv`, rows);
    } catch (e) {
      setError(e);
    }
  }

  /** After a distribution: the report and the first page of codes asked again. */
  function distributed() {
    setDistributions((n) => n + 1);
    load(null).then(() => setCursors([null]));
  }

  // The customer and expiry columns show when a code of the page has one.
  const personal = page?.coupons.some((c) => c.customer) ?? false;
  const expiring = page?.coupons.some((c) => c.expires_at) ?? false;

  /** @type {Record<string, string[]>} */
  const fieldErrors = Object.fromEntries(
    (error?.errors || []).map((/** @type {import("../api.js").FieldError} */ e) => [
      e.pointer,
      [e.message],
    ]),
  );
  return (
    <section>
      <div className="page-head">
        <div>
          <h1>{t("coupons.title")}</h1>
          <a className="muted" href={href("campaigns", id)}>
            ← {id}
          </a>
        </div>
        <button onClick={download} disabled={!page?.total}>
          {t("coupons.download")}
        </button>
      </div>
      <form className="card generate" onSubmit={generate} noValidate>
        <h2>{t("coupons.generateTitle")}</h2>
        <div className="grid compact">
          <Field label={t("coupons.count")} errors={fieldErrors["/count"]}>
            <input
              name="count"
              inputMode="numeric"
              value={form.count}
              onChange={(e) => setForm({ ...form, count: e.target.value })}
            />
          </Field>
          <Field
            label={t("coupons.prefix")}
            hint={t("coupons.prefixHint")}
            errors={fieldErrors["/prefix"]}
          >
            <input
              name="prefix"
              value={form.prefix}
              onChange={(e) => setForm({ ...form, prefix: e.target.value })}
            />
          </Field>
          <Field label={t("coupons.usesPerCode")} errors={fieldErrors["/uses_per_code"]}>
            <input
              name="uses_per_code"
              inputMode="numeric"
              value={form.uses_per_code}
              onChange={(e) => setForm({ ...form, uses_per_code: e.target.value })}
            />
          </Field>
        </div>
        <button
          type="submit"
          className="primary"
          disabled={progress && progress.done < progress.total}
        >
          {t("coupons.generate")}
        </button>
        {progress && (
          <Progress
            value={progress.done}
            max={progress.total}
            label={t(progress.downloading ? "coupons.downloaded" : "coupons.generated", {
              count: progress.done,
              total: progress.total,
            })}
          />
        )}
      </form>
      <Problem
        error={error?.status ? error : null}
        shown={["/count", "/prefix", "/uses_per_code"]}
      />
      {campaign && (
        <section className="personal-codes">
          <h2>{t("distribute.section")}</h2>
          {campaign.coupon_required ? (
            <>
              <p className="muted small">{t("distribute.intro")}</p>
              <DistributionReport id={id} version={distributions} />
              <DistributionForm id={id} zone={zone} onDistributed={distributed} />
            </>
          ) : (
            <p className="muted small" data-testid="personal-codes-not-required">
              {t("distribute.notRequired")}
            </p>
          )}
        </section>
      )}
      <div className="filters">
        <input
          type="search"
          name="code-search"
          placeholder={t("coupons.search")}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <span className="muted">{page ? t("coupons.total", { count: page.total }) : ""}</span>
      </div>
      {page && (
        <>
          <div className="table-wrap">
            <table className="coupons">
              <thead>
                <tr>
                  <th>{t("coupons.col.code")}</th>
                  <th className="num">{t("coupons.col.uses")}</th>
                  <th className="num">{t("coupons.col.usesPerCode")}</th>
                  {personal && <th>{t("coupons.col.customer")}</th>}
                  {expiring && <th>{t("coupons.col.expires", { zone })}</th>}
                  <th>{t("coupons.col.created", { zone })}</th>
                </tr>
              </thead>
              <tbody>
                {page.coupons.map((c) => (
                  <tr key={c.code} data-code={c.code}>
                    <td>
                      <code>{c.code}</code>
                    </td>
                    <td className="num">{i18n.number(c.uses)}</td>
                    <td className="num">{i18n.number(c.uses_per_code)}</td>
                    {personal && (
                      <td className="customer">
                        {c.customer ? (
                          <a href={href("customers", c.customer)}>{c.customer}</a>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                    )}
                    {expiring && (
                      <td className="small">
                        {c.expires_at ? (
                          i18n.dateTime(c.expires_at, zone, { dateStyle: "short" })
                        ) : (
                          <span className="muted">{t("coupons.noExpiry")}</span>
                        )}
                      </td>
                    )}
                    <td className="small">
                      {i18n.dateTime(c.created_at, zone, { dateStyle: "short", seconds: true })}
                    </td>
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
              {t("pager.previous")}
            </button>
            <button
              disabled={!page.next}
              onClick={() => {
                setCursors([...cursors, page.next]);
                load(page.next);
              }}
            >
              {t("pager.next")}
            </button>
          </div>
        </>
      )}
    </section>
  );
}
