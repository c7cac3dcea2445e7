// Customer profiles, for a store or call-centre agent: search them by the start of their id,
// open one to read its profile, correct its tier, segments, birth date and consents (a merge
// patch), see its wallet (what it can get now, on a channel, in a store), its points (balance
// and lots) and its newest orders, or erase it.
import { useEffect, useMemo, useState } from "react";
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

/**
 * The customer's newest orders as committed, cancelled ones included.
 * @param {{ id: string, version: number }} props `version` changes when the customer is erased
 */
function OrdersView({ id, version }) {
  const i18n = useI18n();
  const { t, money } = i18n;
  // undefined: loading; null: Remise knows no order of this id (nor a profile).
  const [orders, error] = useCustomerRead(
    () => call("GET", "/v1/customers/{id}/orders", { path: { id }, query: { limit: ORDERS } }),
    id,
    version,
  );

  const when = (/** @type {string} */ instant) => i18n.dateTime(instant);

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
              </tr>
            </thead>
            <tbody>
              {orders.orders.map((o) => (
                <tr key={o.order_id} data-order={o.order_id}>
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
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
