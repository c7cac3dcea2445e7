// Customer profiles, for a store or call-centre agent: search them by the start of their id,
// open one to read its profile, correct its tier, segments, birth date and consents (a merge
// patch), see its wallet (what it can get now, on a channel, in a store, with the customer's
// personal codes), its points (balance and lots) and its newest orders, or erase it. An
// order's lines can be returned in part: the refund the API computes is shown to the agent,
// and the order's past returns listed.
import { Fragment, useEffect, useMemo, useState } from "react";
import { call, errorsByPointer } from "../api.js";
import { go, href } from "../router.js";
import { useI18n } from "../i18n/I18n.jsx";
import { periodName } from "../campaignActions.js";
import { Field, Problem } from "../components/ui.jsx";

/** @typedef {import("../apiTypes").Answer<"/v1/customers/{id}", "GET">} StoredCustomer */
/** @typedef {import("../apiTypes").Body<"/v1/customers/{id}", "PATCH">} CustomerPatch */
/** @typedef {import("../apiTypes").Answer<"/v1/customers/{id}", "DELETE">} Erased */
/** @typedef {import("../apiTypes").Answer<"/v1/customers/{id}/offers", "GET">} Wallet */
/** @typedef {Wallet["offers"][number]} Offer */
/** @typedef {import("../apiTypes").Answer<"/v1/customers/{id}/points", "GET">} Points */
/** @typedef {Points["lots"][number]} Lot */
/** @typedef {import("../apiTypes").Answer<"/v1/customers/{id}/orders", "GET">} Orders */
/** @typedef {Orders["orders"][number]} Order */
/** @typedef {import("../apiTypes").Answer<"/v1/redemptions/{order_id}/returns", "POST">} ReturnAnswer */
/**
 * The panel open under an order: its return form (with the return's id, kept while the form
 * is open), the answer to the return just recorded, or its lines and past returns.
 * @typedef {{ order: string, mode: "return" | "answer" | "detail", returnId: string | null, answer: ReturnAnswer | null }} Opened
 */
/** @typedef {import("../i18n/I18n.jsx").I18n} I18n */
/** @typedef {{ prefix: string, customers: StoredCustomer[], next: string | null }} Found */
/** @typedef {{ loyalty_tier: string, segments: string, birthdate: string, email: boolean, sms: boolean }} Draft */

/** Profiles per page of the search. */
const PAGE = 20;
/** The newest orders the customer page shows. */
const ORDERS = 20;
/** Channels offered in the wallet's field; any other can be typed. */
const CHANNEL_HINTS = ["web", "store", "app", "call-centre"];
/** The pointers the edit form shows next to its fields. */
const FORM_POINTERS = ["/loyalty_tier", "/segments", "/birthdate", "/consent"];

/** Comma-separated text to a list, each trimmed, empty ones left out. */
const listOf = (/** @type {string} */ text) =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** The search: profiles whose id starts with the text typed, 20 at a time. */
export function Customers() {
  const i18n = useI18n();
  const { t } = i18n;
  const [search, setSearch] = useState("");
  const [found, setFound] = useState(/** @type {Found | null} */ (null));
  const [error, setError] = useState(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const prefix = search.trim();

  useEffect(() => {
    // Each keystroke asks again; an answer to an older prefix is dropped.
    let current = true;
    call("GET", "/v1/customers", { query: { prefix: prefix || undefined, limit: PAGE } }).then(
      (page) => {
        if (!current) return;
        setError(null);
        setFound({ prefix, customers: page.customers, next: page.next ?? null });
      },
      (e) => current && setError(e),
    );
    return () => {
      current = false;
    };
  }, [prefix]);

  async function more() {
    if (!found?.next) return;
    const asked = found;
    setLoadingMore(true);
    try {
      const page = await call("GET", "/v1/customers", {
        query: { prefix: asked.prefix || undefined, after: asked.next, limit: PAGE },
      });
      // Only onto the list it continues: the search may have changed meanwhile.
      setFound((shown) =>
        shown === asked
          ? {
              prefix: asked.prefix,
              customers: [...asked.customers, ...page.customers],
              next: page.next ?? null,
            }
          : shown,
      );
    } catch (e) {
      setError(e);
    } finally {
      setLoadingMore(false);
    }
  }

  /** Enter opens the customer of exactly this id, profile or not (to erase their orders). */
  function open(/** @type {import("react").FormEvent} */ event) {
    event.preventDefault();
    if (prefix) go(`/customers/${encodeURIComponent(prefix)}`);
  }

  return (
    <section className="customers">
      <div className="page-head">
        <h1>{t("customers.title")}</h1>
      </div>
      <form className="filters" onSubmit={open} role="search">
        <input
          type="search"
          name="customer-search"
          aria-label={t("customers.search")}
          placeholder={t("customers.search")}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <span className="muted small">{t("customers.searchHint")}</span>
      </form>
      <Problem error={error} />
      {found === null ? (
        !error && <p className="empty">{t("common.loading")}</p>
      ) : found.customers.length === 0 ? (
        <p className="empty">
          {found.prefix ? t("customers.noMatch", { prefix: found.prefix }) : t("customers.none")}
        </p>
      ) : (
        <>
          <div className="table-wrap">
            <table className="customer-list">
              <thead>
                <tr>
                  <th>{t("customers.col.id")}</th>
                  <th>{t("customers.col.tier")}</th>
                  <th>{t("customers.col.segments")}</th>
                  <th>{t("customers.col.updated")}</th>
                </tr>
              </thead>
              <tbody>
                {found.customers.map((c) => (
                  <tr key={c.id} data-customer={c.id}>
                    <td>
                      <a href={href("customers", c.id)}>{c.id}</a>
                    </td>
                    <td>{c.loyalty_tier || <span className="muted">—</span>}</td>
                    <td className="small">
                      {c.segments.length ? c.segments.join(", ") : <span className="muted">—</span>}
                    </td>
                    <td className="small">{i18n.dateTime(c.updated_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="pager">
            <span className="muted small">
              {t("customers.shown", { count: found.customers.length })}
            </span>
            {found.next && (
              <button type="button" onClick={more} disabled={loadingMore}>
                {loadingMore ? t("common.loading") : t("customers.more")}
              </button>
            )}
          </div>
        </>
      )}
    </section>
  );
}

/**
 * One customer: the profile, its edit form, the wallet, the points, the newest orders, and
 * erasure.
 * @param {{ id: string }} props
 */
export function Customer({ id }) {
  const i18n = useI18n();
  const { t } = i18n;
  // undefined: loading; null: no profile stored.
  const [profile, setProfile] = useState(
    /** @type {StoredCustomer | null | undefined} */ (undefined),
  );
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(/** @type {string | null} */ (null));
  const [erased, setErased] = useState(/** @type {Erased | null} */ (null));
  const [erasing, setErasing] = useState(false);
  // Counts the erasures: the points and the orders are asked again after one.
  const [erasures, setErasures] = useState(0);

  useEffect(() => {
    let current = true;
    call("GET", "/v1/customers/{id}", { path: { id } }).then(
      (stored) => current && setProfile(stored),
      (e) => {
        if (!current) return;
        if (e?.status === 404) setProfile(null);
        else setError(e);
      },
    );
    return () => {
      current = false;
    };
  }, [id]);

  async function erase() {
    if (!window.confirm(t("customers.confirmErase", { id }))) return;
    setError(null);
    setNotice(null);
    setErasing(true);
    try {
      const answer = await call("DELETE", "/v1/customers/{id}", { path: { id } });
      setErased(answer);
      setProfile(null);
      setErasures((n) => n + 1);
    } catch (e) {
      setError(e);
    } finally {
      setErasing(false);
    }
  }

  /** After the form's save: the profile as stored, or null when nothing had changed. */
  function saved(/** @type {StoredCustomer | null} */ stored) {
    setError(null);
    setNotice(stored ? t("customers.saved") : t("customers.unchanged"));
    if (stored) setProfile(stored);
  }

  const when = (/** @type {string} */ instant) => i18n.dateTime(instant);

  return (
    <section className="customer">
      <div className="page-head">
        <div>
          <h1>{id}</h1>
          <a className="muted" href="#/customers">
            ← {t("customers.title")}
          </a>
          {profile && (
            <div className="muted small">
              {t("customers.dates", {
                created: when(profile.created_at),
                updated: when(profile.updated_at),
              })}
            </div>
          )}
        </div>
        {profile !== undefined && !erased && (
          <div className="buttons">
            <button type="button" className="danger" onClick={erase} disabled={erasing}>
              {t("customers.erase")}
            </button>
          </div>
        )}
      </div>
      {erased && (
        <p className="notice" role="status" data-testid="erased">
          {t("customers.erased", {
            id: erased.id,
            count: erased.orders_anonymised,
            profile: erased.profile_erased
              ? t("customers.erasedProfile")
              : t("customers.erasedNoProfile"),
          })}
        </p>
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <Problem error={error} />
      {profile === undefined ? (
        !error && <p className="empty">{t("common.loading")}</p>
      ) : profile === null ? (
        !erased && <p className="empty">{t("customers.noProfile", { id })}</p>
      ) : (
        <>
          <ProfileView profile={profile} />
          <CustomerForm
            key={profile.updated_at}
            profile={profile}
            onSaved={saved}
            onEdit={() => setNotice(null)}
          />
          <WalletView id={id} version={profile.updated_at} />
        </>
      )}
      <PointsView id={id} version={erasures} />
      <OrdersView id={id} version={erasures} />
    </section>
  );
}

/** @param {{ profile: StoredCustomer }} props */
function ProfileView({ profile: p }) {
  const i18n = useI18n();
  const { t } = i18n;
  const none = (/** @type {string} */ text) => <span className="muted">{text}</span>;
  const attributes = Object.entries(p.attributes || {});
  const yesNo = (/** @type {boolean} */ value) => (value ? t("customers.yes") : t("customers.no"));
  return (
    <>
      <h2>{t("customers.profile")}</h2>
      <dl className="settings profile">
        <dt>{t("customers.tier")}</dt>
        <dd data-testid="tier">{p.loyalty_tier || none(t("customers.noTier"))}</dd>
        <dt>{t("customers.segments")}</dt>
        <dd>{p.segments.length ? p.segments.join(", ") : none(t("customers.noSegments"))}</dd>
        <dt>{t("customers.birthdate")}</dt>
        <dd>
          {p.birthdate ? i18n.day(p.birthdate, { year: true }) : none(t("customers.noBirthdate"))}
        </dd>
        <dt>{t("customers.attributes")}</dt>
        <dd>
          {attributes.length
            ? attributes.map(([name, value]) => (
                <div key={name}>
                  <code>{name}</code> {value}
                </div>
              ))
            : none(t("customers.noAttributes"))}
        </dd>
        <dt>{t("customers.consent")}</dt>
        <dd>
          {t("customers.consentSummary", {
            email: yesNo(p.consent.email),
            sms: yesNo(p.consent.sms),
          })}
        </dd>
        <dt>{t("customers.created")}</dt>
        <dd>{i18n.dateTime(p.created_at)}</dd>
        <dt>{t("customers.updated")}</dt>
        <dd>{i18n.dateTime(p.updated_at)}</dd>
      </dl>
    </>
  );
}

/** The form's fields as the profile has them. @param {StoredCustomer} p @returns {Draft} */
const draftOf = (p) => ({
  loyalty_tier: p.loyalty_tier || "",
  segments: p.segments.join(", "),
  birthdate: p.birthdate || "",
  email: p.consent.email,
  sms: p.consent.sms,
});

/**
 * The merge patch of what the form changed: only those members, `null` to remove one.
 * @param {StoredCustomer} p
 * @param {Draft} d
 */
function patchOf(p, d) {
  /** @type {CustomerPatch} */
  const patch = {};
  const tier = d.loyalty_tier.trim() || null;
  if (tier !== (p.loyalty_tier ?? null)) patch.loyalty_tier = tier;
  const segments = listOf(d.segments);
  if (JSON.stringify(segments) !== JSON.stringify(p.segments)) patch.segments = segments;
  const birthdate = d.birthdate || null;
  if (birthdate !== (p.birthdate ?? null)) patch.birthdate = birthdate;
  if (d.email !== p.consent.email || d.sms !== p.consent.sms) {
    patch.consent = { email: d.email, sms: d.sms };
  }
  return patch;
}

/**
 * Tier, segments, birth date and consents, saved with PATCH; the API's errors next to their
 * fields.
 * @param {{ profile: StoredCustomer, onSaved: (saved: StoredCustomer | null) => void, onEdit: () => void }} props
 */
function CustomerForm({ profile, onSaved, onEdit }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState(() => draftOf(profile));
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  const fieldErrors = useMemo(() => errorsByPointer(error), [error]);

  /** The messages for `pointer` and the members under it ("/segments/2"). */
  const errs = (/** @type {string} */ pointer) =>
    Object.keys(fieldErrors)
      .filter((p) => p === pointer || p.startsWith(pointer + "/"))
      .flatMap((p) => fieldErrors[p]);

  /** @template {keyof Draft} K @param {K} name @param {Draft[K]} value */
  function set(name, value) {
    setDraft((current) => ({ ...current, [name]: value }));
    onEdit();
  }

  async function save(/** @type {import("react").FormEvent} */ event) {
    event.preventDefault();
    setError(null);
    const patch = patchOf(profile, draft);
    if (!Object.keys(patch).length) {
      onSaved(null);
      return;
    }
    setSaving(true);
    try {
      const stored = await call("PATCH", "/v1/customers/{id}", {
        path: { id: profile.id },
        body: patch,
        headers: { "Content-Type": "application/merge-patch+json" },
      });
      onSaved(stored);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  }

  const consentErrors = errs("/consent");
  return (
    <form className="card customer-edit" onSubmit={save} noValidate>
      <h2>{t("customers.editTitle")}</h2>
      {error && <Problem error={error} shown={error.errors?.length ? FORM_POINTERS : []} />}
      <div className="grid compact">
        <Field label={t("customers.tier")} errors={errs("/loyalty_tier")} pointer="/loyalty_tier">
          <input
            name="loyalty_tier"
            value={draft.loyalty_tier}
            placeholder={t("customers.tierHint")}
            onChange={(e) => set("loyalty_tier", e.target.value)}
          />
        </Field>
        <Field
          label={t("customers.segments")}
          hint={t("customers.segmentsHint")}
          errors={errs("/segments")}
          pointer="/segments"
        >
          <input
            name="segments"
            value={draft.segments}
            onChange={(e) => set("segments", e.target.value)}
          />
        </Field>
        <Field label={t("customers.birthdate")} errors={errs("/birthdate")} pointer="/birthdate">
          <input
            type="date"
            name="birthdate"
            value={draft.birthdate}
            onChange={(e) => set("birthdate", e.target.value)}
          />
        </Field>
        <div className={consentErrors.length ? "field invalid" : "field"} data-pointer="/consent">
          <span className="label">{t("customers.consent")}</span>
          <div className="consents">
            <label className="check">
              <input
                type="checkbox"
                name="consent_email"
                checked={draft.email}
                onChange={(e) => set("email", e.target.checked)}
              />
              {t("customers.consentEmail")}
            </label>
            <label className="check">
              <input
                type="checkbox"
                name="consent_sms"
                checked={draft.sms}
                onChange={(e) => set("sms", e.target.checked)}
              />
              {t("customers.consentSms")}
            </label>
          </div>
          {consentErrors.map((message) => (
            <span key={message} className="field-error" role="alert">
              {message}
            </span>
          ))}
        </div>
      </div>
      <button type="submit" className="primary" disabled={saving}>
        {saving ? t("customers.saving") : t("customers.save")}
      </button>
    </form>
  );
}

/**
 * What the customer can get now, on a channel and in a store (any when left empty).
 * @param {{ id: string, version: string }} props `version` changes when the profile does
 */
function WalletView({ id, version }) {
  const i18n = useI18n();
  const { t, money } = i18n;
  const [channel, setChannel] = useState("");
  const [store, setStore] = useState("");
  const [wallet, setWallet] = useState(/** @type {Wallet | null} */ (null));
  const [error, setError] = useState(null);

  useEffect(() => {
    let current = true;
    call("GET", "/v1/customers/{id}/offers", {
      path: { id },
      query: { channel: channel.trim() || undefined, store: store.trim() || undefined },
    }).then(
      (answer) => {
        if (!current) return;
        setError(null);
        setWallet(answer);
      },
      (e) => {
        if (!current) return;
        // No offers shown for a channel or store the API refused.
        setWallet(null);
        setError(e);
      },
    );
    return () => {
      current = false;
    };
  }, [id, channel, store, version]);

  const fieldErrors = errorsByPointer(error);
  /** @param {string[]} list @param {string} everywhere */
  const places = (list, everywhere) => (list.length ? list.join(", ") : everywhere);
  const unlimited = <span className="muted">{t("customers.wallet.unlimited")}</span>;

  return (
    <>
      <h2>{t("customers.wallet.title")}</h2>
      <p className="muted small">{t("customers.wallet.hint")}</p>
      <div className="grid compact wallet-filters">
        <Field label={t("customers.wallet.channel")} errors={fieldErrors["/channel"]}>
          <input
            name="wallet-channel"
            list="wallet-channels"
            value={channel}
            placeholder={t("customers.wallet.anyChannel")}
            onChange={(e) => setChannel(e.target.value)}
          />
          <datalist id="wallet-channels">
            {CHANNEL_HINTS.map((c) => (
              <option key={c} value={c} />
            ))}
          </datalist>
        </Field>
        <Field label={t("customers.wallet.store")} errors={fieldErrors["/store"]}>
          <input
            name="wallet-store"
            value={store}
            placeholder={t("customers.wallet.anyStore")}
            onChange={(e) => setStore(e.target.value)}
          />
        </Field>
      </div>
      <Problem error={error} shown={["/channel", "/store"]} />
      {wallet === null ? (
        !error && <p className="empty">{t("common.loading")}</p>
      ) : wallet.offers.length === 0 ? (
        <p className="empty" data-testid="wallet-empty">
          {t("customers.wallet.empty")}
        </p>
      ) : (
        <div className="table-wrap">
          <table className="wallet">
            <thead>
              <tr>
                <th>{t("customers.wallet.col.offer")}</th>
                <th>{t("customers.wallet.col.ends")}</th>
                <th>{t("customers.wallet.col.where")}</th>
                <th className="num">{t("customers.wallet.col.usesLeft")}</th>
                <th className="num">{t("customers.wallet.col.redemptionsLeft")}</th>
                <th className="num">{t("customers.wallet.col.budgetLeft")}</th>
              </tr>
            </thead>
            <tbody>
              {wallet.offers.map((o) => (
                <tr key={o.campaign} data-offer={o.campaign}>
                  <td>
                    {o.name}
                    <div className="muted small">
                      <a href={href("campaigns", o.campaign)}>{o.campaign}</a>
                      {o.group ? ` · ${t("stacking.group", { group: o.group })}` : ""}
                      {o.exclusive ? ` · ${t("stacking.exclusive")}` : ""}
                    </div>
                    {o.codes && o.codes.length > 0 && (
                      <div className="personal-codes small">
                        <span className="label">{t("customers.wallet.codes")}</span>
                        <ul className="plain">
                          {o.codes.map((c) => (
                            <li key={c.code} data-code={c.code}>
                              <code>{c.code}</code>{" "}
                              <span className="muted">
                                {t("customers.wallet.codeUses", { count: c.uses_left })} ·{" "}
                                {c.expires_at
                                  ? t("customers.wallet.codeExpires", {
                                      at: i18n.dateTime(c.expires_at),
                                    })
                                  : t("customers.wallet.codeNoExpiry")}
                              </span>
                            </li>
                          ))}
                        </ul>
                      </div>
                    )}
                  </td>
                  <td className="small">
                    {o.ends_at ? (
                      i18n.dateTime(o.ends_at)
                    ) : (
                      <span className="muted">{t("customers.wallet.noEnd")}</span>
                    )}
                  </td>
                  <td className="small">
                    <div>
                      {t("audience.channels", {
                        list: places(o.channels, t("customers.wallet.allChannels")),
                      })}
                    </div>
                    <div>
                      {t("audience.stores", {
                        list: places(o.stores, t("customers.wallet.allStores")),
                      })}
                    </div>
                  </td>
                  <td className="num">
                    {o.uses_left != null
                      ? t("customers.wallet.usesLeft", {
                          count: o.uses_left,
                          period: periodName(t, o.per_customer_period || "campaign"),
                        })
                      : unlimited}
                  </td>
                  <td className="num">
                    {o.redemptions_left != null ? i18n.number(o.redemptions_left) : unlimited}
                  </td>
                  <td className="num">
                    {o.budget_left != null ? money(o.budget_left, o.budget_currency) : unlimited}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {wallet && (
        <p className="muted small">{t("customers.wallet.at", { at: i18n.dateTime(wallet.at) })}</p>
      )}
    </>
  );
}

/** A lot's state, in words. @param {I18n["t"]} t @param {string} state */
function lotState(t, state) {
  switch (state) {
    case "active":
      return t("customers.points.state.active");
    case "expired":
      return t("customers.points.state.expired");
    case "reversed":
      return t("customers.points.state.reversed");
    default:
      return state;
  }
}

/** The badge class of a lot's state: usable, gone with time, taken back by a cancel. */
const LOT_BADGES = /** @type {Record<string, string>} */ ({
  active: "badge active",
  expired: "badge ended",
  reversed: "badge paused",
});

/**
 * What `read` answers about customer `id`, read again when `id` or `version` changes:
 * undefined while loading, null when the API answers 404 (Remise knows nothing of this id),
 * and beside it the error of any other failure.
 * @template T
 * @param {() => Promise<T>} read
 * @param {string} id
 * @param {number} version
 * @returns {[T | null | undefined, unknown]}
 */
function useCustomerRead(read, id, version) {
  const [value, setValue] = useState(/** @type {T | null | undefined} */ (undefined));
  const [error, setError] = useState(/** @type {unknown} */ (null));
  useEffect(() => {
    let current = true;
    read().then(
      (answer) => {
        if (!current) return;
        setError(null);
        setValue(answer);
      },
      (e) => {
        if (!current) return;
        if (e?.status === 404) {
          setError(null);
          setValue(null);
        } else setError(e);
      },
    );
    return () => {
      current = false;
    };
    // `read` is a new closure each render; what it reads is `id`, and `version` asks again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, version]);
  return [value, error];
}

/**
 * The customer's points: the balance, and every lot their orders earned, newest first.
 * @param {{ id: string, version: number }} props `version` changes when the customer is erased
 */
function PointsView({ id, version }) {
  const i18n = useI18n();
  const { t } = i18n;
  // undefined: loading; null: Remise knows no points of this id (nor a profile).
  const [points, error] = useCustomerRead(
    () => call("GET", "/v1/customers/{id}/points", { path: { id } }),
    id,
    version,
  );

  const when = (/** @type {string} */ instant) => i18n.dateTime(instant);

  return (
    <>
      <h2>{t("customers.points.title")}</h2>
      <Problem error={error} />
      {points === undefined ? (
        !error && <p className="empty">{t("common.loading")}</p>
      ) : (
        <>
          {points && (
            <div className="tiles">
              <div className="tile" data-testid="points-balance">
                <span className="label">{t("customers.points.balance")}</span>
                <strong>{t("customers.points.count", { count: points.balance })}</strong>
              </div>
            </div>
          )}
          {!points || points.lots.length === 0 ? (
            <p className="empty" data-testid="points-empty">
              {t("customers.points.empty")}
            </p>
          ) : (
            <div className="table-wrap">
              <table className="points">
                <thead>
                  <tr>
                    <th>{t("customers.points.col.earned")}</th>
                    <th>{t("customers.points.col.order")}</th>
                    <th>{t("customers.points.col.campaign")}</th>
                    <th className="num">{t("customers.points.col.points")}</th>
                    <th className="num">{t("customers.points.col.remaining")}</th>
                    <th>{t("customers.points.col.expires")}</th>
                    <th>{t("customers.points.col.state")}</th>
                  </tr>
                </thead>
                <tbody>
                  {points.lots.map((lot) => (
                    <tr
                      key={`${lot.order_id} ${lot.campaign}`}
                      data-lot={lot.order_id}
                      data-campaign={lot.campaign}
                    >
                      <td className="small">{when(lot.earned_at)}</td>
                      <td>
                        <code>{lot.order_id}</code>
                      </td>
                      <td>
                        <a href={href("campaigns", lot.campaign)}>{lot.campaign}</a>
                      </td>
                      <td className="num">{i18n.number(lot.points)}</td>
                      <td className="num">{i18n.number(lot.remaining)}</td>
                      <td className="small">
                        {lot.expires_at ? (
                          when(lot.expires_at)
                        ) : (
                          <span className="muted">{t("customers.points.noExpiry")}</span>
                        )}
                      </td>
                      <td className="small">
                        <span className={LOT_BADGES[lot.state] ?? "badge"}>
                          {lotState(t, lot.state)}
                        </span>
                        {lot.reversed_at && <div className="muted">{when(lot.reversed_at)}</div>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      {points && <p className="muted small">{t("customers.points.at", { at: when(points.at) })}</p>}
    </>
  );
}

/** The columns of the orders table, for the panel that opens under an order. */
const ORDER_COLUMNS = 10;

/**
 * A return id for a new return form of `order` (called when the form opens, never while
 * rendering): the order's next return number and the instant, so two forms never share one.
 * @param {Order} order
 */
const newReturnId = (order) => `${order.order_id}-r${order.returns + 1}-${Date.now().toString(36)}`;

/**
 * The customer's newest orders as committed, cancelled ones included, each with its returns;
 * under an order, a panel: its lines and past returns, the return form, or a return's answer.
 * @param {{ id: string, version: number }} props `version` changes when the customer is erased
 */
function OrdersView({ id, version }) {
  const i18n = useI18n();
  const { t, money } = i18n;
  // Counts the returns recorded here (and refused ones): the orders are asked again after
  // each, for the units still held.
  const [reloads, setReloads] = useState(0);
  // undefined: loading; null: Remise knows no order of this id (nor a profile).
  const [orders, error] = useCustomerRead(
    () => call("GET", "/v1/customers/{id}/orders", { path: { id }, query: { limit: ORDERS } }),
    id,
    // Both only grow: their sum changes whenever either does.
    version + reloads,
  );
  const [opened, setOpened] = useState(/** @type {Opened | null} */ (null));

  const when = (/** @type {string} */ instant) => i18n.dateTime(instant);
  const reload = () => setReloads((n) => n + 1);

  /** Opens the return form of `o` with a new return id, kept while the form is open. */
  function startReturn(/** @type {Order} */ o) {
    setOpened({
      order: o.order_id,
      mode: "return",
      returnId: newReturnId(o),
      answer: null,
    });
  }

  /** Opens (or closes) the lines and past returns of `o`. */
  function toggleDetail(/** @type {Order} */ o) {
    setOpened((current) =>
      current?.order === o.order_id && current.mode === "detail"
        ? null
        : { order: o.order_id, mode: "detail", returnId: null, answer: null },
    );
  }

  /** A return was recorded: its answer is shown, and the orders asked again. */
  function returned(/** @type {Order} */ o, /** @type {ReturnAnswer} */ answer) {
    setOpened({ order: o.order_id, mode: "answer", returnId: null, answer });
    reload();
  }

  return (
    <>
      <h2>{t("customers.orders.title")}</h2>
      <p className="muted small">{t("customers.orders.hint", { count: ORDERS })}</p>
      <Problem error={error} />
      {orders === undefined ? (
        !error && <p className="empty">{t("common.loading")}</p>
      ) : orders === null || orders.orders.length === 0 ? (
        <p className="empty" data-testid="orders-empty">
          {t("customers.orders.empty")}
        </p>
      ) : (
        <div className="table-wrap">
          <table className="orders">
            <thead>
              <tr>
                <th>{t("customers.orders.col.date")}</th>
                <th>{t("customers.orders.col.order")}</th>
                <th>{t("customers.orders.col.channel")}</th>
                <th className="num">{t("customers.orders.col.subtotal")}</th>
                <th className="num">{t("customers.orders.col.discount")}</th>
                <th className="num">{t("customers.orders.col.total")}</th>
                <th>{t("customers.orders.col.campaigns")}</th>
                <th className="num">{t("customers.orders.col.points")}</th>
                <th>{t("customers.orders.col.returns")}</th>
                <th>{t("customers.orders.col.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {orders.orders.map((o) => (
                <Fragment key={o.order_id}>
                  <tr
                    data-order={o.order_id}
                    className={opened?.order === o.order_id ? "current" : undefined}
                  >
                    <td className="small">
                      {when(o.committed_at)}
                      {o.cancelled_at && (
                        <div>
                          <span className="badge ended">
                            {t("customers.orders.cancelledOn", { when: when(o.cancelled_at) })}
                          </span>
                        </div>
                      )}
                    </td>
                    <td>
                      <code>{o.order_id}</code>
                    </td>
                    <td>{o.channel}</td>
                    <td className="num">{money(o.subtotal, o.currency)}</td>
                    <td className="num">{money(o.discount_total, o.currency)}</td>
                    <td className="num">{money(o.total, o.currency)}</td>
                    <td className="small">
                      {o.campaigns.length ? (
                        o.campaigns.map((c, i) => (
                          <span key={c}>
                            {i > 0 && ", "}
                            <a href={href("campaigns", c)}>{c}</a>
                          </span>
                        ))
                      ) : (
                        <span className="muted">{t("customers.orders.noCampaign")}</span>
                      )}
                    </td>
                    <td className="num">{i18n.number(o.points)}</td>
                    <td className="small" data-testid="order-returns">
                      {o.returns > 0 ? (
                        t("customers.orders.returnsSummary", {
                          count: o.returns,
                          refunded: money(o.refunded, o.currency),
                        })
                      ) : (
                        <span className="muted">{t("customers.orders.noReturn")}</span>
                      )}
                    </td>
                    <td className="actions">
                      {o.returnable && (
                        <button type="button" onClick={() => startReturn(o)}>
                          {t("customers.orders.return")}
                        </button>
                      )}
                      {(o.lines.length > 0 || o.returns > 0) && (
                        <button
                          type="button"
                          aria-expanded={opened?.order === o.order_id && opened.mode === "detail"}
                          onClick={() => toggleDetail(o)}
                        >
                          {t("customers.orders.details")}
                        </button>
                      )}
                    </td>
                  </tr>
                  {opened?.order === o.order_id && (
                    <tr className="order-panel" data-panel={o.order_id}>
                      <td colSpan={ORDER_COLUMNS}>
                        <OrderPanel
                          // A new return id, a new form: nothing typed in the last one stays.
                          key={opened.returnId ?? opened.mode}
                          order={o}
                          opened={opened}
                          onReturn={() => startReturn(o)}
                          onReturned={(answer) => returned(o, answer)}
                          onRefused={reload}
                          onClose={() => setOpened(null)}
                        />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/**
 * What opens under an order: its return form, a return's answer, or its lines and returns.
 * @param {{ order: Order, opened: Opened, onReturn: () => void, onReturned: (answer: ReturnAnswer) => void, onRefused: () => void, onClose: () => void }} props
 */
function OrderPanel({ order, opened, onReturn, onReturned, onRefused, onClose }) {
  const { t } = useI18n();
  const title =
    opened.mode === "return"
      ? t("customers.returns.formTitle", { order: order.order_id })
      : opened.mode === "answer"
        ? t("customers.returns.answerTitle", { order: order.order_id })
        : t("customers.returns.detailTitle", { order: order.order_id });
  return (
    <div className="order-detail">
      <div className="page-head">
        <h3>{title}</h3>
        <div className="buttons">
          {opened.mode !== "return" && order.returnable && (
            <button type="button" onClick={onReturn}>
              {opened.mode === "answer"
                ? t("customers.returns.again")
                : t("customers.orders.return")}
            </button>
          )}
          <button type="button" onClick={onClose}>
            {t("customers.returns.close")}
          </button>
        </div>
      </div>
      {opened.mode === "return" && opened.returnId ? (
        <ReturnForm
          order={order}
          returnId={opened.returnId}
          onReturned={onReturned}
          onRefused={onRefused}
          onCancel={onClose}
        />
      ) : (
        <>
          {opened.mode === "answer" && opened.answer && (
            <ReturnAnswerView answer={opened.answer} order={order} />
          )}
          <OrderLines order={order} />
          {opened.mode === "detail" && <ReturnsHistory order={order} />}
        </>
      )}
    </div>
  );
}

/**
 * The form of a return: per line, the units still held and how many come back. `returnId`
 * is the same for every send of this form, so a second send of the same lines is answered as
 * the first (and counts once).
 * @param {{ order: Order, returnId: string, onReturned: (answer: ReturnAnswer) => void, onRefused: () => void, onCancel: () => void }} props
 */
function ReturnForm({ order, returnId, onReturned, onRefused, onCancel }) {
  const i18n = useI18n();
  const { t, money } = i18n;
  const [quantities, setQuantities] = useState(/** @type {Record<string, string>} */ ({}));
  // Units out of 0..held found before sending, by line id.
  const [invalid, setInvalid] = useState(/** @type {Record<string, string>} */ ({}));
  const [nothing, setNothing] = useState(false);
  const [error, setError] = useState(/** @type {import("../api.js").ApiError | null} */ (null));
  // The line ids in the order the last send named them: the API's pointers (/lines/0/…)
  // index into it.
  const [sent, setSent] = useState(/** @type {string[]} */ ([]));
  const [sending, setSending] = useState(false);

  // The API's errors by line id: /lines/{i}/… is the i-th line sent.
  const { byLine, shown } = useMemo(() => {
    /** @type {Record<string, string[]>} */
    const byLine = Object.create(null);
    /** @type {string[]} */
    const shown = [];
    const map = errorsByPointer(error);
    for (const pointer of Object.keys(map)) {
      const match = /^\/lines\/(\d+)(\/|$)/.exec(pointer);
      const line = match ? sent[Number(match[1])] : undefined;
      if (line === undefined) continue;
      (byLine[line] ??= []).push(...map[pointer]);
      shown.push(pointer);
    }
    return { byLine, shown };
  }, [error, sent]);

  function set(/** @type {string} */ line, /** @type {string} */ value) {
    setQuantities((current) => ({ ...current, [line]: value }));
    setInvalid((current) => {
      const rest = { ...current };
      delete rest[line];
      return rest;
    });
    setNothing(false);
  }

  async function submit(/** @type {import("react").FormEvent} */ event) {
    event.preventDefault();
    if (sending) return;
    /** @type {Record<string, string>} */
    const problems = {};
    /** @type {{ id: string, quantity: number }[]} */
    const lines = [];
    for (const line of order.lines) {
      const text = (quantities[line.id] ?? "").trim();
      if (text === "") continue;
      const quantity = /^\d+$/.test(text) ? Number(text) : NaN;
      if (!(quantity >= 0 && quantity <= line.held)) {
        problems[line.id] = t("customers.returns.tooMany", { count: line.held });
      } else if (quantity > 0) lines.push({ id: line.id, quantity });
    }
    setInvalid(problems);
    if (Object.keys(problems).length) return;
    if (!lines.length) {
      setNothing(true);
      return;
    }
    setError(null);
    setSent(lines.map((line) => line.id));
    setSending(true);
    try {
      const answer = await call("POST", "/v1/redemptions/{order_id}/returns", {
        path: { order_id: order.order_id },
        body: { return_id: returnId, lines },
      });
      onReturned(answer);
    } catch (e) {
      setError(e);
      // What the order holds may have changed under this form (another till, another
      // agent): it is asked again.
      if (e?.status === 409 || e?.status === 422) onRefused();
    } finally {
      setSending(false);
    }
  }

  const returning = order.lines.some((line) => Number(quantities[line.id] || 0) > 0);
  return (
    <form className="return-form" onSubmit={submit} noValidate>
      <p className="muted small">{t("customers.returns.hint")}</p>
      {error && <Problem error={error} shown={shown} />}
      <div className="table-wrap">
        <table className="order-lines">
          <thead>
            <tr>
              <th>{t("customers.returns.col.line")}</th>
              <th>{t("customers.returns.col.sku")}</th>
              <th className="num">{t("customers.returns.col.unitPrice")}</th>
              <th className="num">{t("customers.returns.col.bought")}</th>
              <th className="num">{t("customers.returns.col.held")}</th>
              <th>{t("customers.returns.col.quantity")}</th>
            </tr>
          </thead>
          <tbody>
            {order.lines.map((line) => {
              const errors = [
                ...(invalid[line.id] ? [invalid[line.id]] : []),
                ...(byLine[line.id] ?? []),
              ];
              return (
                <tr
                  key={line.id}
                  data-line={line.id}
                  className={errors.length ? "invalid" : undefined}
                >
                  <td>
                    <code>{line.id}</code>
                  </td>
                  <td>{line.sku}</td>
                  <td className="num">{money(line.unit_price, order.currency)}</td>
                  <td className="num">{i18n.number(line.bought)}</td>
                  <td className="num held">{i18n.number(line.held)}</td>
                  <td className="quantity">
                    <input
                      type="number"
                      name={`return-${line.id}`}
                      min={0}
                      max={line.held}
                      step={1}
                      placeholder="0"
                      disabled={line.held === 0 || sending}
                      aria-label={t("customers.returns.quantityLabel", {
                        line: line.id,
                        sku: line.sku,
                      })}
                      aria-invalid={errors.length > 0 || undefined}
                      value={quantities[line.id] ?? ""}
                      onChange={(e) => set(line.id, e.target.value)}
                    />
                    {errors.map((message) => (
                      <span key={message} className="field-error" role="alert">
                        {message}
                      </span>
                    ))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {nothing && (
        <p className="field-error" role="alert">
          {t("customers.returns.nothing")}
        </p>
      )}
      <div className="buttons">
        <button type="submit" className="primary" disabled={sending || !returning}>
          {sending ? t("customers.returns.submitting") : t("customers.returns.submit")}
        </button>
        <button type="button" onClick={onCancel} disabled={sending}>
          {t("customers.returns.cancel")}
        </button>
      </div>
      <p className="muted small">{t("customers.returns.returnId", { id: returnId })}</p>
    </form>
  );
}

/** A campaign's fate in a return, in words. @param {I18n["t"]} t @param {string} status */
function returnStatus(t, status) {
  switch (status) {
    case "kept":
      return t("customers.returns.status.kept");
    case "reduced":
      return t("customers.returns.status.reduced");
    case "increased":
      return t("customers.returns.status.increased");
    case "withdrawn":
      return t("customers.returns.status.withdrawn");
    default:
      return status;
  }
}

/** The badge class of a campaign's fate in a return. */
const RETURN_BADGES = /** @type {Record<string, string>} */ ({
  kept: "badge active",
  reduced: "badge paused",
  increased: "badge active",
  withdrawn: "badge ended",
});

/**
 * What a return answered: the refund first, then each returned line, the discounts that
 * changed, the points taken back and the gifts the till takes back.
 * @param {{ answer: ReturnAnswer, order: Order }} props
 */
function ReturnAnswerView({ answer, order }) {
  const i18n = useI18n();
  const { t, money } = i18n;
  const amount = (/** @type {string} */ value) => money(value, answer.currency);
  const sku = (/** @type {string} */ line) => order.lines.find((l) => l.id === line)?.sku ?? "";
  const changed = answer.campaigns.filter((c) => c.status !== "kept");
  return (
    <div className="return-answer" data-testid="return-answer">
      <p className="refund" role="status" data-testid="refund-total">
        {t("customers.returns.refund", { amount: amount(answer.refund_total) })}
      </p>
      {answer.unrecovered && (
        <p className="notice small">
          {t("customers.returns.unrecovered", { amount: amount(answer.unrecovered) })}
        </p>
      )}
      <div className="table-wrap">
        <table className="refund-lines">
          <thead>
            <tr>
              <th>{t("customers.returns.col.line")}</th>
              <th>{t("customers.returns.col.sku")}</th>
              <th className="num">{t("customers.returns.col.returned")}</th>
              <th className="num">{t("customers.returns.col.paid")}</th>
              <th className="num">{t("customers.returns.col.withdrawn")}</th>
              <th className="num">{t("customers.returns.col.refund")}</th>
            </tr>
          </thead>
          <tbody>
            {answer.lines.map((line) => (
              <tr key={line.id} data-refund-line={line.id}>
                <td>
                  <code>{line.id}</code>
                </td>
                <td>{sku(line.id)}</td>
                <td className="num">{i18n.number(line.quantity)}</td>
                <td className="num">{amount(line.paid)}</td>
                <td className="num">{amount(line.withdrawn)}</td>
                <td className="num">{amount(line.refund)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th colSpan={4}>{t("customers.returns.total")}</th>
              <th className="num">{amount(answer.withdrawn_total)}</th>
              <th className="num">{amount(answer.refund_total)}</th>
            </tr>
          </tfoot>
        </table>
      </div>
      <div className="return-effects">
        <div>
          <h4>{t("customers.returns.campaigns")}</h4>
          {changed.length === 0 ? (
            <p className="muted small">{t("customers.returns.campaignsKept")}</p>
          ) : (
            <ul className="plain">
              {changed.map((c) => (
                <li key={c.campaign} data-campaign-change={c.campaign}>
                  <a href={href("campaigns", c.campaign)}>{c.campaign}</a>{" "}
                  <span className={RETURN_BADGES[c.status] ?? "badge"}>
                    {t("customers.returns.campaignChange", {
                      status: returnStatus(t, c.status),
                      before: amount(c.discount_before),
                      after: amount(c.discount_after),
                    })}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </div>
        {answer.points_reversed.length > 0 && (
          <div>
            <h4>{t("customers.returns.points")}</h4>
            <ul className="plain">
              {answer.points_reversed.map((p) => (
                <li key={p.campaign} data-points-reversed={p.campaign}>
                  <a href={href("campaigns", p.campaign)}>{p.campaign}</a>{" "}
                  {t("customers.returns.pointsReversed", { count: p.points })}
                </li>
              ))}
            </ul>
          </div>
        )}
        {answer.gifts_withdrawn.length > 0 && (
          <div>
            <h4>{t("customers.returns.gifts")}</h4>
            <ul className="plain">
              {answer.gifts_withdrawn.map((g) => (
                <li key={`${g.campaign} ${g.sku}`} data-gift-withdrawn={g.sku}>
                  {t("customers.returns.gift", { quantity: g.quantity, sku: g.sku })}{" "}
                  <span className="muted small">
                    (<a href={href("campaigns", g.campaign)}>{g.campaign}</a>)
                  </span>
                </li>
              ))}
            </ul>
          </div>
        )}
      </div>
      <p className="muted small">
        {t("customers.returns.recorded", {
          id: answer.return_id,
          when: i18n.dateTime(answer.returned_at),
        })}
      </p>
    </div>
  );
}

/** An order's lines: what each was bought at, and the units still held. @param {{ order: Order }} props */
function OrderLines({ order }) {
  const i18n = useI18n();
  const { t, money } = i18n;
  return (
    <>
      <h4>{t("customers.returns.linesTitle")}</h4>
      {order.lines.length === 0 ? (
        <p className="muted small">{t("customers.returns.noLines")}</p>
      ) : (
        <div className="table-wrap">
          <table className="order-lines">
            <thead>
              <tr>
                <th>{t("customers.returns.col.line")}</th>
                <th>{t("customers.returns.col.sku")}</th>
                <th className="num">{t("customers.returns.col.unitPrice")}</th>
                <th className="num">{t("customers.returns.col.bought")}</th>
                <th className="num">{t("customers.returns.col.held")}</th>
              </tr>
            </thead>
            <tbody>
              {order.lines.map((line) => (
                <tr key={line.id} data-line={line.id}>
                  <td>
                    <code>{line.id}</code>
                  </td>
                  <td>{line.sku}</td>
                  <td className="num">{money(line.unit_price, order.currency)}</td>
                  <td className="num">{i18n.number(line.bought)}</td>
                  <td className="num held">{i18n.number(line.held)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/**
 * An order's past returns, first first, with what each refunded; asked again when the order
 * counts another.
 * @param {{ order: Order }} props
 */
function ReturnsHistory({ order }) {
  const i18n = useI18n();
  const { t, money } = i18n;
  const [list, error] = useCustomerRead(
    () => call("GET", "/v1/redemptions/{order_id}/returns", { path: { order_id: order.order_id } }),
    order.order_id,
    order.returns,
  );
  const amount = (/** @type {string} */ value) => money(value, order.currency);
  const sku = (/** @type {string} */ line) => order.lines.find((l) => l.id === line)?.sku ?? line;
  const returns = list?.returns ?? [];
  return (
    <>
      <h4>{t("customers.returns.historyTitle")}</h4>
      <Problem error={error} />
      {list === undefined ? (
        !error && <p className="muted small">{t("common.loading")}</p>
      ) : returns.length === 0 ? (
        <p className="muted small" data-testid="returns-empty">
          {t("customers.returns.none")}
        </p>
      ) : (
        <div className="table-wrap">
          <table className="returns">
            <thead>
              <tr>
                <th>{t("customers.returns.col.date")}</th>
                <th>{t("customers.returns.col.id")}</th>
                <th>{t("customers.returns.col.lines")}</th>
                <th>{t("customers.returns.col.campaigns")}</th>
                <th className="num">{t("customers.returns.col.withdrawn")}</th>
                <th className="num">{t("customers.returns.col.refund")}</th>
              </tr>
            </thead>
            <tbody>
              {returns.map((r) => (
                <tr key={r.return_id} data-return={r.return_id}>
                  <td className="small">{i18n.dateTime(r.returned_at)}</td>
                  <td>
                    <code>{r.return_id}</code>
                  </td>
                  <td className="small">
                    {r.lines
                      .map((line) =>
                        t("customers.returns.returnedLine", {
                          sku: sku(line.id),
                          quantity: line.quantity,
                        }),
                      )
                      .join(", ")}
                  </td>
                  <td className="small">
                    {r.campaigns
                      .filter((c) => c.status !== "kept")
                      .map((c) => (
                        <div key={c.campaign}>
                          <a href={href("campaigns", c.campaign)}>{c.campaign}</a>{" "}
                          <span className={RETURN_BADGES[c.status] ?? "badge"}>
                            {returnStatus(t, c.status)}
                          </span>
                        </div>
                      ))}
                  </td>
                  <td className="num">{amount(r.withdrawn_total)}</td>
                  <td className="num refund-amount">{amount(r.refund_total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
