// The webhooks (ops and admin): subscribe an endpoint to event types (its signing secret is
// shown this once, to copy), list the endpoints with their deliveries pending, delivered
// and dead, delete one. A webhook chosen (#/webhooks/{id}) shows its deliveries, filtered
// by status and refreshed live, with the last attempt's HTTP status or error; a dead letter
// is queued again one by one or all at once.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { call, errorsByPointer } from "../api.js";
import { go, href } from "../router.js";
import { useI18n } from "../i18n/I18n.jsx";
import { Field, Problem } from "../components/ui.jsx";

/** @typedef {import("../apiTypes").Answer<"/v1/webhooks", "GET">["webhooks"][number]} Webhook */
/** @typedef {import("../apiTypes").Answer<"/v1/webhooks", "POST">} CreatedWebhook */
/** @typedef {import("../apiTypes").Body<"/v1/webhooks", "POST">} WebhookBody */
/** @typedef {import("../apiTypes").Answer<"/v1/webhooks/{id}/deliveries", "GET">["deliveries"][number]} Delivery */
/** @typedef {import("../i18n/translate.js").MessageKey} MessageKey */
/** @typedef {import("../i18n/I18n.jsx").I18n} I18n */
/** @typedef {"" | "pending" | "delivered" | "dead"} StatusFilter */
/** The form as typed. @typedef {{ url: string, all: boolean, events: string[], description: string }} Draft */

const REFRESH_MS = 3000;

/** Every event type, in the order the form lists them, and how the console names it. */
/** @type {[string, MessageKey][]} */
export const EVENT_TYPES = [
  ["coupon.assigned", "webhooks.event.coupon.assigned"],
  ["reward.issued", "webhooks.event.reward.issued"],
  ["redemption.committed", "webhooks.event.redemption.committed"],
  ["redemption.cancelled", "webhooks.event.redemption.cancelled"],
  ["redemption.returned", "webhooks.event.redemption.returned"],
  ["campaign.objective_met", "webhooks.event.campaign.objective_met"],
  ["campaign.budget_low", "webhooks.event.campaign.budget_low"],
  ["campaign.ended", "webhooks.event.campaign.ended"],
];

/** The statuses a delivery may have, and how the filter and the badges name them. */
/** @type {[StatusFilter, MessageKey][]} */
const FILTERS = [
  ["", "webhooks.filter.all"],
  ["pending", "webhooks.filter.pending"],
  ["delivered", "webhooks.filter.delivered"],
  ["dead", "webhooks.filter.dead"],
];

/** The pointers the creation form shows next to its fields. */
const FORM_POINTERS = ["/url", "/events", "/description"];

/** @type {Draft} */
const EMPTY = { url: "", all: false, events: [], description: "" };

/**
 * An event type in the console's language (the API's name when the console knows it not).
 * @param {I18n["t"]} t
 * @param {string} type
 */
function eventName(t, type) {
  const known = EVENT_TYPES.find(([name]) => name === type);
  return known ? t(known[1]) : type;
}

/**
 * A delivery's status as a badge: its class is the API's name.
 * @param {{ status: string }} props
 */
function DeliveryBadge({ status }) {
  const { t } = useI18n();
  const label =
    status === "pending"
      ? t("webhooks.status.pending")
      : status === "delivered"
        ? t("webhooks.status.delivered")
        : status === "dead"
          ? t("webhooks.status.dead")
          : status;
  return <span className={`badge delivery ${status}`}>{label}</span>;
}

/**
 * What a webhook listens to: every type, or the types named.
 * @param {{ events: string[] }} props
 */
function EventList({ events }) {
  const { t } = useI18n();
  if (events.includes("*")) return <span>{t("webhooks.allEvents")}</span>;
  return (
    <ul className="plain events">
      {events.map((type) => (
        <li key={type}>
          {eventName(t, type)} <code className="muted">{type}</code>
        </li>
      ))}
    </ul>
  );
}

/** @param {{ id?: string }} props the webhook whose deliveries are shown */
export function Webhooks({ id }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [webhooks, setWebhooks] = useState(/** @type {Webhook[] | null} */ (null));
  // What asking for the list last failed with (gone once it works again), and what a
  // deletion failed with (until the next one).
  const [loadError, setLoadError] = useState(null);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(/** @type {string | null} */ (null));
  const [created, setCreated] = useState(/** @type {CreatedWebhook | null} */ (null));
  const [copied, setCopied] = useState(false);
  // Only the latest request may write the list: one sent before a deletion is stale.
  const latest = useRef(0);

  const load = useCallback(async () => {
    const request = ++latest.current;
    try {
      const answer = await call("GET", "/v1/webhooks");
      if (request !== latest.current) return;
      setLoadError(null);
      setWebhooks(answer.webhooks);
    } catch (e) {
      if (request === latest.current) setLoadError(e);
    }
  }, []);
  // Every few seconds while the page is seen, the list and the deliveries shown are asked
  // again together, so their counts agree.
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((n) => n + 1), []);
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") refresh();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh]);
  useEffect(() => {
    // load() sets state only once the API has answered, not synchronously.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    load();
  }, [load, tick]);

  /** @param {CreatedWebhook} answer */
  async function onCreated(answer) {
    setNotice(null);
    setCopied(false);
    setCreated(answer);
    await load();
    go(`/webhooks/${encodeURIComponent(answer.id)}`);
  }

  async function copy() {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.secret);
      setCopied(true);
    } catch {
      // Without clipboard access (an insecure origin), the secret stays selectable.
      setCopied(false);
    }
  }

  /** @param {Webhook} webhook */
  async function remove(webhook) {
    if (!window.confirm(t("webhooks.confirmDelete", { url: webhook.url }))) return;
    setError(null);
    setNotice(null);
    try {
      await call("DELETE", "/v1/webhooks/{id}", { path: { id: webhook.id } });
      if (created?.id === webhook.id) setCreated(null);
      if (id === webhook.id) go("/webhooks");
      await load();
      setNotice(t("webhooks.deleted", { url: webhook.url }));
    } catch (e) {
      setError(e);
    }
  }

  const selected = id && webhooks ? webhooks.find((w) => w.id === id) : null;
  return (
    <section className="webhooks">
      <div className="page-head">
        <div>
          <h1>{t("webhooks.title")}</h1>
          <p className="muted small">{t("webhooks.intro")}</p>
        </div>
      </div>
      {created && (
        <div className="card new-key new-secret" role="status">
          <p>
            <strong>{t("webhooks.secretShownOnce")}</strong>
          </p>
          <p className="small">{t("webhooks.secretHint", { url: created.url })}</p>
          <p>
            <code data-testid="webhook-secret" className="secret">
              {created.secret}
            </code>
          </p>
          <button type="button" onClick={copy}>
            {copied ? t("webhooks.copied") : t("webhooks.copy")}
          </button>{" "}
          <button type="button" className="link" onClick={() => setCreated(null)}>
            {t("webhooks.done")}
          </button>
        </div>
      )}
      <CreateForm onCreated={onCreated} />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <Problem error={error} />
      <Problem error={loadError} />
      {webhooks === null ? (
        <p className="empty">{t("common.loading")}</p>
      ) : webhooks.length === 0 ? (
        <p className="empty">{t("webhooks.none")}</p>
      ) : (
        <div className="table-wrap">
          <table className="webhook-list">
            <thead>
              <tr>
                <th>{t("webhooks.col.endpoint")}</th>
                <th>{t("webhooks.col.events")}</th>
                <th className="num">{t("webhooks.col.pending")}</th>
                <th className="num">{t("webhooks.col.delivered")}</th>
                <th className="num">{t("webhooks.col.dead")}</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {webhooks.map((w) => (
                <tr key={w.id} data-webhook={w.id} className={w.id === id ? "current" : ""}>
                  <td>
                    <code className="url">{w.url}</code>
                    {w.description && <div>{w.description}</div>}
                    <div className="small muted">
                      <code>{w.id}</code> ·{" "}
                      {t("webhooks.createdOn", { when: i18n.dateTime(w.created_at) })}
                    </div>
                  </td>
                  <td className="small">
                    <EventList events={w.events} />
                  </td>
                  <td className="num" data-testid="count-pending">
                    {i18n.number(w.pending)}
                  </td>
                  <td className="num" data-testid="count-delivered">
                    {i18n.number(w.delivered)}
                  </td>
                  <td className={w.dead > 0 ? "num dead" : "num"} data-testid="count-dead">
                    {i18n.number(w.dead)}
                  </td>
                  <td className="actions">
                    <a
                      className="button"
                      href={href("webhooks", w.id)}
                      aria-current={w.id === id ? "page" : undefined}
                    >
                      {t("webhooks.showDeliveries")}
                    </a>
                    <button type="button" className="danger" onClick={() => remove(w)}>
                      {t("webhooks.delete")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {id && webhooks !== null && !selected && (
        <p className="empty" data-testid="webhook-unknown">
          {t("webhooks.unknown", { id })}
        </p>
      )}
      {selected && (
        <Deliveries
          key={selected.id}
          webhook={selected}
          tick={tick}
          onChanged={load}
          onRefresh={refresh}
        />
      )}
    </section>
  );
}

/**
 * The form that subscribes an endpoint: its URL, the event types (or all), a description;
 * the API's errors next to their fields.
 * @param {{ onCreated: (answer: CreatedWebhook) => Promise<void> }} props
 */
function CreateForm({ onCreated }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState(EMPTY);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  // A field the browser found wrong before sending: its pointer and message.
  const [invalid, setInvalid] = useState(
    /** @type {{ pointer: string, message: string } | null} */ (null),
  );
  const fieldErrors = useMemo(
    () => errorsByPointer({ errors: [...(error?.errors || []), ...(invalid ? [invalid] : [])] }),
    [error, invalid],
  );
  /** The messages for `pointer` and those under it (/events/0…). */
  const errs = (/** @type {string} */ pointer) =>
    Object.keys(fieldErrors)
      .filter((p) => p === pointer || p.startsWith(pointer + "/"))
      .flatMap((p) => fieldErrors[p]);

  /** @template {keyof Draft} K @param {K} name @param {Draft[K]} value */
  function set(name, value) {
    setDraft((d) => ({ ...d, [name]: value }));
  }

  /** @param {string} type @param {boolean} on */
  function toggle(type, on) {
    setDraft((d) => ({
      ...d,
      events: on
        ? [...d.events.filter((e) => e !== type), type]
        : d.events.filter((e) => e !== type),
    }));
  }

  async function submit(/** @type {import("react").FormEvent} */ event) {
    event.preventDefault();
    setError(null);
    setInvalid(null);
    const events = draft.all
      ? ["*"]
      : EVENT_TYPES.map(([type]) => type).filter((type) => draft.events.includes(type));
    if (events.length === 0) {
      setInvalid({ pointer: "/events", message: t("webhooks.eventsRequired") });
      return;
    }
    /** @type {WebhookBody} */
    const body = {
      url: draft.url.trim(),
      events: /** @type {WebhookBody["events"]} */ (events),
    };
    if (draft.description.trim()) body.description = draft.description.trim();
    setBusy(true);
    try {
      const answer = await call("POST", "/v1/webhooks", { body });
      setDraft(EMPTY);
      await onCreated(answer);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const eventErrors = errs("/events");
  return (
    <form className="card create-webhook" onSubmit={submit} noValidate>
      <h2>{t("webhooks.createTitle")}</h2>
      <div className="grid">
        <Field
          label={t("webhooks.url")}
          hint={t("webhooks.urlHint")}
          errors={errs("/url")}
          pointer="/url"
        >
          <input
            name="url"
            type="url"
            inputMode="url"
            autoComplete="off"
            placeholder="https://crm.example/hooks/remise"
            value={draft.url}
            onChange={(e) => set("url", e.target.value)}
          />
        </Field>
        <Field
          label={t("webhooks.description")}
          hint={t("webhooks.descriptionHint")}
          errors={errs("/description")}
          pointer="/description"
        >
          <input
            name="description"
            maxLength={256}
            value={draft.description}
            onChange={(e) => set("description", e.target.value)}
          />
        </Field>
      </div>
      <fieldset className={eventErrors.length ? "events invalid" : "events"} data-pointer="/events">
        <legend>{t("webhooks.events")}</legend>
        <label className="check all">
          <input
            type="checkbox"
            name="all-events"
            checked={draft.all}
            onChange={(e) => set("all", e.target.checked)}
          />
          <span>
            <strong>{t("webhooks.allEvents")}</strong>{" "}
            <span className="muted small">{t("webhooks.allEventsHint")}</span>
          </span>
        </label>
        <div className="event-types">
          {EVENT_TYPES.map(([type, name]) => (
            <label key={type} className="check">
              <input
                type="checkbox"
                name={`event-${type}`}
                value={type}
                disabled={draft.all}
                checked={draft.all || draft.events.includes(type)}
                onChange={(e) => toggle(type, e.target.checked)}
              />
              <span>
                {t(name)} <code className="muted">{type}</code>
              </span>
            </label>
          ))}
        </div>
        {eventErrors.map((message) => (
          <span key={message} className="field-error" role="alert">
            {message}
          </span>
        ))}
      </fieldset>
      <Problem error={error} shown={FORM_POINTERS} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? t("webhooks.creating") : t("webhooks.create")}
      </button>
    </form>
  );
}

/**
 * A webhook's deliveries, newest first, filtered by status and refreshed live; a dead
 * letter is queued again from its row, or all of them at once.
 * @param {{ webhook: Webhook, tick: number, onChanged: () => void, onRefresh: () => void }} props
 *   `tick` changes when the page refreshes; `onChanged` asks the list again (its counts),
 *   `onRefresh` the list and the deliveries
 */
function Deliveries({ webhook, tick, onChanged, onRefresh }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [status, setStatus] = useState(/** @type {StatusFilter} */ (""));
  const [deliveries, setDeliveries] = useState(/** @type {Delivery[] | null} */ (null));
  // What asking for the deliveries last failed with (gone once it works again), and what a
  // retry failed with (until the next one).
  const [loadError, setLoadError] = useState(null);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(/** @type {string | null} */ (null));
  const [busy, setBusy] = useState(/** @type {string | null} */ (null));
  const [updated, setUpdated] = useState(/** @type {Date | null} */ (null));
  // Only the latest request may write the list: a filter changed or a retry answered
  // meanwhile makes an earlier answer stale.
  const latest = useRef(0);

  const load = useCallback(async () => {
    const request = ++latest.current;
    try {
      const answer = await call("GET", "/v1/webhooks/{id}/deliveries", {
        path: { id: webhook.id },
        query: { status: status || undefined, limit: 100 },
      });
      if (request !== latest.current) return;
      setLoadError(null);
      setDeliveries(answer.deliveries);
      setUpdated(new Date());
    } catch (e) {
      if (request === latest.current) setLoadError(e);
    }
  }, [webhook.id, status]);

  useEffect(() => {
    // load() sets state only once the API has answered, not synchronously.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    load();
  }, [load, tick]);

  /** @param {Delivery} delivery */
  async function retry(delivery) {
    setError(null);
    setNotice(null);
    setBusy(delivery.event_id);
    try {
      const answer = await call("POST", "/v1/webhooks/{id}/deliveries/{event_id}/retry", {
        path: { id: webhook.id, event_id: delivery.event_id },
      });
      // The row shows the delivery as queued again until the next refresh; a refresh that
      // left before the retry would show it dead.
      latest.current++;
      setDeliveries((list) =>
        (list || []).map((d) => (d.event_id === answer.event_id ? answer : d)),
      );
      setNotice(t("webhooks.retried", { event: delivery.event_id }));
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  }

  async function retryAll() {
    setError(null);
    setNotice(null);
    setBusy("*");
    try {
      const answer = await call("POST", "/v1/webhooks/{id}/retry", {
        path: { id: webhook.id },
      });
      setNotice(t("webhooks.requeued", { count: answer.requeued }));
      onRefresh();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  }

  /** @param {string | null | undefined} instant */
  const when = (instant) => i18n.dateTime(instant, null, { dateStyle: "short" });

  return (
    <div className="card deliveries" data-testid="deliveries">
      <div className="page-head">
        <div>
          <h2>{t("webhooks.deliveriesTitle")}</h2>
          <span className="muted small">
            <code>{webhook.url}</code>
            {webhook.description ? ` · ${webhook.description}` : ""}
          </span>
        </div>
        <div className="buttons">
          <button type="button" onClick={onRefresh}>
            {t("webhooks.refresh")}
          </button>
          <button
            type="button"
            className="primary"
            disabled={busy !== null || webhook.dead === 0}
            onClick={retryAll}
          >
            {webhook.dead > 0
              ? t("webhooks.retryAll", { count: webhook.dead })
              : t("webhooks.retryAllNone")}
          </button>
        </div>
      </div>
      <div className="filters">
        <div className="segmented" role="group" aria-label={t("webhooks.filter.label")}>
          {FILTERS.map(([code, label]) => (
            <button
              key={code || "all"}
              type="button"
              className={status === code ? "on" : ""}
              aria-pressed={status === code}
              onClick={() => {
                setStatus(code);
                setDeliveries(null);
              }}
            >
              {t(label)}
            </button>
          ))}
        </div>
        <span className="muted small">
          {updated
            ? t("webhooks.liveAt", { seconds: REFRESH_MS / 1000, time: i18n.time(updated) })
            : t("webhooks.live", { seconds: REFRESH_MS / 1000 })}
        </span>
      </div>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <Problem error={error} />
      <Problem error={loadError} />
      {deliveries === null ? (
        <p className="empty">{t("common.loading")}</p>
      ) : deliveries.length === 0 ? (
        <p className="empty" data-testid="no-deliveries">
          {status ? t("webhooks.noDeliveriesWith") : t("webhooks.noDeliveries")}
        </p>
      ) : (
        <div className="table-wrap">
          <table className="delivery-list">
            <thead>
              <tr>
                <th>{t("webhooks.col.event")}</th>
                <th>{t("webhooks.col.status")}</th>
                <th className="num">{t("webhooks.col.attempts")}</th>
                <th>{t("webhooks.col.lastAttempt")}</th>
                <th>{t("webhooks.col.times")}</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr key={d.event_id} data-event={d.event_id} data-status={d.status}>
                  <td>
                    {eventName(t, d.type)}
                    <div className="small muted">
                      <code>{d.type}</code> · <code>{d.event_id}</code>
                    </div>
                    {(d.customer_id || d.campaign_id) && (
                      <div className="small muted">
                        {d.customer_id && t("webhooks.customer", { id: d.customer_id })}
                        {d.customer_id && d.campaign_id && " · "}
                        {d.campaign_id && t("webhooks.campaign", { id: d.campaign_id })}
                      </div>
                    )}
                  </td>
                  <td>
                    <DeliveryBadge status={d.status} />
                  </td>
                  <td className="num" data-testid="attempts">
                    {i18n.number(d.attempts)}
                  </td>
                  <td className="small last-attempt">
                    {d.last_status != null && (
                      <div data-testid="last-status">
                        {t("webhooks.httpStatus", { status: String(d.last_status) })}
                      </div>
                    )}
                    {d.last_error && (
                      <div className="delivery-error" data-testid="last-error">
                        {d.last_error}
                      </div>
                    )}
                    {d.last_status == null && !d.last_error && (
                      <span className="muted">
                        {d.attempts > 0 ? "—" : t("webhooks.notTriedYet")}
                      </span>
                    )}
                  </td>
                  <td className="small times">
                    <div>{t("webhooks.queuedAt", { when: when(d.queued_at) })}</div>
                    {d.last_attempt_at && (
                      <div>{t("webhooks.lastAttemptAt", { when: when(d.last_attempt_at) })}</div>
                    )}
                    {d.status === "pending" && d.next_attempt_at && (
                      <div>{t("webhooks.nextAttemptAt", { when: when(d.next_attempt_at) })}</div>
                    )}
                    {d.delivered_at && (
                      <div>{t("webhooks.deliveredAt", { when: when(d.delivered_at) })}</div>
                    )}
                  </td>
                  <td className="actions">
                    {d.status === "dead" && (
                      <button type="button" disabled={busy !== null} onClick={() => retry(d)}>
                        {t("webhooks.retry")}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {deliveries !== null && deliveries.length >= 100 && (
        <p className="muted small">{t("webhooks.latestOnly", { count: 100 })}</p>
      )}
    </div>
  );
}
