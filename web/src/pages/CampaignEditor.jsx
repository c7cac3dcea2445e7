// Create, edit or clone a campaign. The parameters form is generated from the plugin's JSON
// Schema by react-jsonschema-form, which checks a field against it when the field is left
// (schemaValidator.js, no code generated from the schema); targeting, schedule, limits and
// stacking have their own sections. The API validates; its problem+json errors are shown
// next to the field their JSON pointer names.
import { useEffect, useMemo, useState } from "react";
// The component itself: the package's index also exports a test helper that imports Ajv's
// validator (@rjsf/validator-ajv8), which the console does not install.
import Form from "@rjsf/core/lib/components/Form.js";
import { call, errorsByPointer } from "../api.js";
import { go, href } from "../router.js";
import { useI18n } from "../i18n/I18n.jsx";
import { WEEKDAYS } from "../i18n/format.js";
import { formStrings } from "../i18n/rjsf.js";
import { periodName } from "../campaignActions.js";
import { Field, ListInput, Problem } from "../components/ui.jsx";
import { cleanParams, formSchema, paramsErrorSchema } from "../paramsForm.js";
import { schemaValidator } from "../schemaValidator.js";
import { TIMEZONES, instantToWall, wallToInstant } from "../zone.js";

/** @typedef {import("../campaignActions.js").StoredCampaign} StoredCampaign */
/** @typedef {import("../apiTypes").Body<"/v1/campaigns", "POST">} CampaignBody */
/** @typedef {import("../apiTypes").Answer<"/v1/plugins", "GET">} PluginList */
/** @typedef {import("../apiTypes").Answer<"/v1/groups", "GET">} GroupList */
/** @typedef {import("../api.js").ApiError} ApiError */
/** @typedef {"create" | "edit" | "clone"} Mode */

const PERIODS = ["campaign", "day", "week", "month"];
/** Currencies offered for a budget; any active ISO 4217 code may be typed. */
const CURRENCY_HINTS = ["EUR", "USD", "GBP", "CHF", "CAD", "JPY"];
const CHANNEL_HINTS = ["web", "store", "app", "call-centre"];

/**
 * The editor's draft: a campaign with its times as wall-clock "YYYY-MM-DDTHH:MM" in its
 * zone and its limits as the text typed.
 * @typedef {typeof EMPTY} Draft
 */

const EMPTY = {
  id: "",
  name: "",
  plugin: "",
  plugin_version: "",
  params: /** @type {any} */ ({}),
  status: "draft",
  schedule: {
    timezone: "",
    starts_at: "",
    ends_at: "",
    /** @type {string[]} */
    days_of_week: [],
    /** @type {{ from: string, to: string }[]} */
    hours: [],
  },
  audience: {
    /** @type {string[]} */
    channels: [],
    /** @type {string[]} */
    stores: [],
    /** @type {string[]} */
    segments: [],
    /** @type {string[]} */
    loyalty_tiers: [],
    /** @type {string[]} */
    customers: [],
    /** @type {Record<string, string[]>} */
    attributes: {},
  },
  coupon_required: false,
  /** @type {number | string} */
  priority: 100,
  group: "",
  exclusive: false,
  limits: {
    /** @type {string | number} */
    budget: "",
    budget_currency: "",
    /** @type {string | number} */
    redemptions: "",
    /** @type {string | number} */
    per_customer: "",
    per_customer_period: "",
    partial: false,
  },
};

/**
 * A campaign as the API answers it → the editor's draft (wall-clock times in its zone).
 * @param {StoredCampaign} campaign
 * @returns {Draft}
 */
function toDraft(campaign) {
  const schedule = { ...EMPTY.schedule, ...campaign.schedule };
  const zone = schedule.timezone || "UTC";
  return {
    ...EMPTY,
    ...campaign,
    plugin_version: campaign.plugin_version || "",
    group: campaign.group || "",
    schedule: {
      ...schedule,
      timezone: schedule.timezone || "",
      starts_at: instantToWall(schedule.starts_at, zone),
      ends_at: instantToWall(schedule.ends_at, zone),
    },
    audience: { ...EMPTY.audience, ...campaign.audience },
    limits: { ...EMPTY.limits, ...campaign.limits },
  };
}

/**
 * The editor's draft → the campaign body of docs/api.md (empty optional fields left out).
 * @param {Draft} draft
 * @returns {CampaignBody}
 */
function toBody(draft) {
  const zone = draft.schedule.timezone || "UTC";
  /** @type {CampaignBody["schedule"]} */
  const schedule = {
    days_of_week: /** @type {CampaignBody["schedule"]["days_of_week"]} */ (
      draft.schedule.days_of_week
    ),
    hours: draft.schedule.hours,
  };
  if (draft.schedule.timezone) schedule.timezone = draft.schedule.timezone;
  if (draft.schedule.starts_at) schedule.starts_at = wallToInstant(draft.schedule.starts_at, zone);
  if (draft.schedule.ends_at) schedule.ends_at = wallToInstant(draft.schedule.ends_at, zone);
  /** @type {CampaignBody["limits"]} */
  const limits = {};
  const { budget, budget_currency, redemptions, per_customer, per_customer_period, partial } =
    draft.limits;
  if (budget !== "" && budget != null) limits.budget = String(budget).trim();
  // Sent whenever typed, so that a currency without a budget is explained by the API.
  const currency = (budget_currency || "").trim().toUpperCase();
  if (currency) limits.budget_currency = currency;
  if (redemptions !== "" && redemptions != null) limits.redemptions = Number(redemptions);
  if (per_customer !== "" && per_customer != null) limits.per_customer = Number(per_customer);
  if (per_customer_period) {
    limits.per_customer_period = /** @type {CampaignBody["limits"]["per_customer_period"]} */ (
      per_customer_period
    );
  }
  if (partial) limits.partial = true;
  /** @type {CampaignBody} */
  const body = {
    id: draft.id.trim(),
    name: draft.name,
    plugin: draft.plugin,
    params: cleanParams(draft.params || {}),
    status: /** @type {CampaignBody["status"]} */ (draft.status),
    schedule,
    audience: draft.audience,
    coupon_required: draft.coupon_required,
    priority: draft.priority === "" ? 100 : Number(draft.priority),
    exclusive: draft.exclusive,
    limits,
  };
  if (draft.plugin_version) body.plugin_version = draft.plugin_version;
  if (draft.group.trim()) body.group = draft.group.trim();
  return body;
}

/**
 * Every pointer a field of the editor shows its errors next to.
 * @type {string[]}
 */
const SHOWN_POINTERS = [
  "/id",
  "/name",
  "/plugin",
  "/plugin_version",
  "/params",
  "/schedule",
  "/audience",
  "/limits",
  "/priority",
  "/group",
  "/exclusive",
  "/coupon_required",
];

/** @param {{ mode: Mode, id?: string }} props */
export default function CampaignEditor({ mode, id }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [draft, setDraft] = useState(
    /** @type {Draft | null} */ (mode === "create" ? EMPTY : null),
  );
  const [revision, setRevision] = useState(/** @type {number | null} */ (null));
  const [plugins, setPlugins] = useState(/** @type {PluginList} */ ([]));
  const [groups, setGroups] = useState(/** @type {GroupList} */ ([]));
  const [error, setError] = useState(/** @type {ApiError | null} */ (null));
  const [saving, setSaving] = useState(false);
  const translateString = useMemo(() => formStrings(t), [t]);
  const validator = useMemo(() => schemaValidator(t), [t]);

  useEffect(() => {
    call("GET", "/v1/plugins").then(setPlugins, setError);
    call("GET", "/v1/groups").then(
      (g) => setGroups(Array.isArray(g) ? g : []),
      () => {},
    );
    if (mode !== "create") {
      call("GET", "/v1/campaigns/{id}", { path: { id } }).then((campaign) => {
        if (mode === "clone") {
          setDraft({
            ...toDraft(campaign),
            id: `${campaign.id}-copy`,
            name: t("editor.copyName", { name: campaign.name }),
            status: "draft",
          });
        } else {
          setRevision(campaign.revision);
          setDraft(toDraft(campaign));
        }
      }, setError);
    }
    // The copy's name is chosen once, in the language of the moment.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [mode, id]);

  const plugin = plugins.find((p) => p.name === draft?.plugin);
  const version =
    plugin &&
    (plugin.versions.find((v) => v.version === (draft.plugin_version || plugin.latest)) ||
      plugin.versions.at(-1));
  const schema = useMemo(() => (version ? formSchema(version.params_schema) : null), [version]);
  const fieldErrors = useMemo(() => errorsByPointer(error), [error]);
  const paramsErrors = useMemo(() => paramsErrorSchema(error?.errors), [error]);

  if (!draft) {
    return error ? <Problem error={error} /> : <p className="empty">{t("common.loading")}</p>;
  }

  /** @param {(string | number)[]} path @param {unknown} value */
  const set = (path, value) =>
    setDraft((current) => {
      const next = structuredClone(current);
      /** @type {any} */
      let node = next;
      for (const key of path.slice(0, -1)) node = node[key];
      node[path.at(-1)] = value;
      return next;
    });
  /** @param {string} pointer */
  const errs = (pointer) => fieldErrors[pointer];

  async function save(/** @type {import("react").FormEvent} */ event) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const body = toBody(draft);
      if (mode === "edit") {
        await call("PUT", "/v1/campaigns/{id}", {
          path: { id },
          body,
          headers: { "If-Match": `"${revision}"` },
        });
      } else {
        await call("POST", "/v1/campaigns", { body });
      }
      go(`/campaigns/${encodeURIComponent(body.id)}`);
    } catch (e) {
      setError(e);
      window.scrollTo({ top: 0 });
    } finally {
      setSaving(false);
    }
  }

  const title =
    mode === "edit"
      ? t("editor.titleEdit", { name: draft.name || id })
      : mode === "clone"
        ? t("editor.titleClone", { id })
        : t("editor.titleNew");

  return (
    <form className="editor" onSubmit={save} noValidate>
      <div className="page-head">
        <h1>{title}</h1>
        <div className="buttons">
          {mode === "edit" && (
            <a className="button" href={href("campaigns", id, "history")}>
              {t("action.history")}
            </a>
          )}
          <a className="button" href={mode === "create" ? "#/campaigns" : href("campaigns", id)}>
            {t("editor.cancel")}
          </a>
          <button type="submit" className="primary" disabled={saving}>
            {saving ? t("editor.saving") : mode === "edit" ? t("editor.save") : t("editor.create")}
          </button>
        </div>
      </div>
      {error && <Problem error={error} shown={error.errors?.length ? SHOWN_POINTERS : []} />}

      <fieldset>
        <legend>{t("editor.campaign")}</legend>
        <div className="grid">
          <Field
            label={t("editor.id")}
            hint={t("editor.idHint")}
            errors={errs("/id")}
            pointer="/id"
          >
            <input
              name="id"
              value={draft.id}
              disabled={mode === "edit"}
              onChange={(e) => set(["id"], e.target.value)}
            />
          </Field>
          <Field label={t("editor.name")} errors={errs("/name")} pointer="/name">
            <input name="name" value={draft.name} onChange={(e) => set(["name"], e.target.value)} />
          </Field>
          <Field label={t("editor.plugin")} errors={errs("/plugin")} pointer="/plugin">
            <select
              name="plugin"
              value={draft.plugin}
              onChange={(e) =>
                setDraft({ ...draft, plugin: e.target.value, plugin_version: "", params: {} })
              }
            >
              <option value="">{t("editor.pluginChoose")}</option>
              {plugins.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          </Field>
          <Field
            label={t("editor.pluginVersion")}
            hint={t("editor.pluginVersionHint")}
            errors={errs("/plugin_version")}
            pointer="/plugin_version"
          >
            <select
              name="plugin_version"
              value={draft.plugin_version}
              onChange={(e) => set(["plugin_version"], e.target.value)}
            >
              <option value="">
                {plugin
                  ? t("editor.latestVersionIs", { version: plugin.latest })
                  : t("editor.latestVersion")}
              </option>
              {plugin?.versions.map((v) => (
                <option key={v.version} value={v.version}>
                  {v.version}
                </option>
              ))}
            </select>
          </Field>
        </div>
        {version && <p className="muted">{version.description}</p>}
      </fieldset>

      <fieldset className="params">
        <legend>{t("editor.params")}</legend>
        {schema ? (
          <Form
            key={`${draft.plugin}@${version.version}`}
            tagName="div"
            schema={schema}
            formData={draft.params}
            validator={validator}
            translateString={translateString}
            onChange={({ formData }) => set(["params"], formData)}
            extraErrors={paramsErrors}
            liveValidate="onBlur"
            showErrorList={false}
            noHtml5Validate
            uiSchema={{
              "ui:submitButtonOptions": { norender: true },
              "ui:options": { label: false },
            }}
          />
        ) : (
          <p className="muted">{t("editor.paramsEmpty")}</p>
        )}
        {(fieldErrors["/params"] || []).map((m) => (
          <p key={m} className="field-error">
            {m}
          </p>
        ))}
      </fieldset>

      <fieldset>
        <legend>{t("editor.targeting")}</legend>
        <p className="muted">{t("editor.targetingHint")}</p>
        <div className="grid">
          <Field
            label={t("editor.channels")}
            hint={t("editor.channelsHint", { examples: CHANNEL_HINTS.join(", ") })}
            errors={errs("/audience/channels")}
          >
            <ListInput
              name="channels"
              value={draft.audience.channels}
              onChange={(v) => set(["audience", "channels"], v)}
            />
          </Field>
          <Field label={t("editor.stores")} errors={errs("/audience/stores")}>
            <ListInput
              name="stores"
              value={draft.audience.stores}
              onChange={(v) => set(["audience", "stores"], v)}
            />
          </Field>
          <Field label={t("editor.segments")} errors={errs("/audience/segments")}>
            <ListInput
              name="segments"
              value={draft.audience.segments}
              onChange={(v) => set(["audience", "segments"], v)}
            />
          </Field>
          <Field label={t("editor.loyaltyTiers")} errors={errs("/audience/loyalty_tiers")}>
            <ListInput
              name="loyalty_tiers"
              value={draft.audience.loyalty_tiers}
              onChange={(v) => set(["audience", "loyalty_tiers"], v)}
            />
          </Field>
          <Field
            label={t("editor.customers")}
            hint={t("editor.customersHint")}
            errors={errs("/audience/customers")}
          >
            <ListInput
              name="customers"
              value={draft.audience.customers}
              onChange={(v) => set(["audience", "customers"], v)}
            />
          </Field>
          <Field
            label={t("editor.attributes")}
            hint={t("editor.attributesHint")}
            errors={errs("/audience/attributes")}
          >
            <AttributesInput
              value={draft.audience.attributes}
              onChange={(v) => set(["audience", "attributes"], v)}
            />
          </Field>
          <Field label={t("editor.couponRequired")} errors={errs("/coupon_required")}>
            <input
              type="checkbox"
              name="coupon_required"
              checked={draft.coupon_required}
              onChange={(e) => set(["coupon_required"], e.target.checked)}
            />
          </Field>
        </div>
      </fieldset>

      <fieldset>
        <legend>{t("editor.schedule")}</legend>
        <div className="grid">
          <Field
            label={t("editor.timezone")}
            hint={t("editor.timezoneHint")}
            errors={errs("/schedule/timezone")}
          >
            <input
              name="timezone"
              list="timezones"
              value={draft.schedule.timezone}
              onChange={(e) => set(["schedule", "timezone"], e.target.value)}
            />
            <datalist id="timezones">
              {TIMEZONES.map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </Field>
          <Field label={t("editor.startsAt")} errors={errs("/schedule/starts_at")}>
            <input
              type="datetime-local"
              name="starts_at"
              value={draft.schedule.starts_at}
              onChange={(e) => set(["schedule", "starts_at"], e.target.value)}
            />
          </Field>
          <Field label={t("editor.endsAt")} errors={errs("/schedule/ends_at")}>
            <input
              type="datetime-local"
              name="ends_at"
              value={draft.schedule.ends_at}
              onChange={(e) => set(["schedule", "ends_at"], e.target.value)}
            />
          </Field>
        </div>
        <Field
          label={t("editor.daysOfWeek")}
          hint={t("editor.daysOfWeekHint")}
          errors={errs("/schedule/days_of_week")}
        >
          <div className="days">
            {WEEKDAYS.map((day) => (
              <label key={day} className="check">
                <input
                  type="checkbox"
                  name={`day-${day}`}
                  checked={draft.schedule.days_of_week.includes(day)}
                  onChange={(e) =>
                    set(
                      ["schedule", "days_of_week"],
                      e.target.checked
                        ? WEEKDAYS.filter(
                            (d) => d === day || draft.schedule.days_of_week.includes(d),
                          )
                        : draft.schedule.days_of_week.filter((d) => d !== day),
                    )
                  }
                />
                {i18n.weekday(day, "long")}
              </label>
            ))}
          </div>
        </Field>
        <Field
          label={t("editor.hours")}
          hint={t("editor.hoursHint")}
          errors={errs("/schedule/hours")}
        >
          <div className="hours">
            {draft.schedule.hours.map((range, i) => (
              <div key={i} className="row">
                <input
                  type="time"
                  aria-label={t("editor.hoursFrom")}
                  value={range.from}
                  onChange={(e) => set(["schedule", "hours", i, "from"], e.target.value)}
                />
                <span>{t("editor.hoursTo")}</span>
                <input
                  type="time"
                  aria-label={t("editor.hoursTo")}
                  value={range.to}
                  onChange={(e) => set(["schedule", "hours", i, "to"], e.target.value)}
                />
                <button
                  type="button"
                  onClick={() =>
                    set(
                      ["schedule", "hours"],
                      draft.schedule.hours.filter((_, j) => j !== i),
                    )
                  }
                >
                  {t("editor.hoursRemove")}
                </button>
                {(errs(`/schedule/hours/${i}`) || []).map((m) => (
                  <span key={m} className="field-error">
                    {m}
                  </span>
                ))}
              </div>
            ))}
            <button
              type="button"
              onClick={() =>
                set(
                  ["schedule", "hours"],
                  [...draft.schedule.hours, { from: "09:00", to: "18:00" }],
                )
              }
            >
              {t("editor.hoursAdd")}
            </button>
          </div>
        </Field>
      </fieldset>

      <fieldset>
        <legend>{t("editor.limits")}</legend>
        <div className="grid">
          <Field
            label={t("editor.budget")}
            hint={t("editor.budgetHint")}
            errors={errs("/limits/budget")}
          >
            <input
              name="budget"
              inputMode="decimal"
              value={draft.limits.budget ?? ""}
              onChange={(e) => set(["limits", "budget"], e.target.value)}
            />
          </Field>
          <Field
            label={t("editor.budgetCurrency")}
            hint={t("editor.budgetCurrencyHint")}
            errors={errs("/limits/budget_currency")}
          >
            <input
              name="budget_currency"
              list="currencies"
              maxLength={3}
              autoCapitalize="characters"
              value={draft.limits.budget_currency ?? ""}
              onChange={(e) => set(["limits", "budget_currency"], e.target.value)}
            />
            <datalist id="currencies">
              {CURRENCY_HINTS.map((code) => (
                <option key={code} value={code} />
              ))}
            </datalist>
          </Field>
          <Field
            label={t("editor.partial")}
            hint={t("editor.partialHint")}
            errors={errs("/limits/partial")}
          >
            <input
              type="checkbox"
              name="partial"
              checked={!!draft.limits.partial}
              onChange={(e) => set(["limits", "partial"], e.target.checked)}
            />
          </Field>
          <Field
            label={t("editor.redemptions")}
            hint={t("editor.redemptionsHint")}
            errors={errs("/limits/redemptions")}
          >
            <input
              name="redemptions"
              inputMode="numeric"
              value={draft.limits.redemptions ?? ""}
              onChange={(e) => set(["limits", "redemptions"], e.target.value)}
            />
          </Field>
          <Field label={t("editor.perCustomer")} errors={errs("/limits/per_customer")}>
            <input
              name="per_customer"
              inputMode="numeric"
              value={draft.limits.per_customer ?? ""}
              onChange={(e) => set(["limits", "per_customer"], e.target.value)}
            />
          </Field>
          <Field label={t("editor.perCustomerPeriod")} errors={errs("/limits/per_customer_period")}>
            <select
              name="per_customer_period"
              value={draft.limits.per_customer_period || ""}
              onChange={(e) => set(["limits", "per_customer_period"], e.target.value)}
            >
              <option value="">—</option>
              {PERIODS.map((p) => (
                <option key={p} value={p}>
                  {periodName(t, p)}
                </option>
              ))}
            </select>
          </Field>
        </div>
      </fieldset>

      <fieldset>
        <legend>{t("editor.stacking")}</legend>
        <div className="grid">
          <Field label={t("editor.group")} hint={t("editor.groupHint")} errors={errs("/group")}>
            <input
              name="group"
              list="groups"
              value={draft.group}
              onChange={(e) => set(["group"], e.target.value)}
            />
            <datalist id="groups">
              {groups.map((g) => (
                <option key={g.name} value={g.name} />
              ))}
            </datalist>
          </Field>
          <Field
            label={t("editor.priority")}
            hint={t("editor.priorityHint")}
            errors={errs("/priority")}
          >
            <input
              name="priority"
              inputMode="numeric"
              value={draft.priority}
              onChange={(e) => set(["priority"], e.target.value)}
            />
          </Field>
          <Field
            label={t("editor.exclusive")}
            hint={t("editor.exclusiveHint")}
            errors={errs("/exclusive")}
          >
            <input
              type="checkbox"
              name="exclusive"
              checked={draft.exclusive}
              onChange={(e) => set(["exclusive"], e.target.checked)}
            />
          </Field>
        </div>
      </fieldset>
    </form>
  );
}

/**
 * Audience attributes as lines of "name: value, value".
 * @param {{ value: Record<string, string[]>, onChange: (value: Record<string, string[]>) => void }} props
 */
function AttributesInput({ value, onChange }) {
  const [text, setText] = useState(() =>
    Object.entries(value || {})
      .map(([k, vs]) => `${k}: ${vs.join(", ")}`)
      .join("\n"),
  );
  return (
    <textarea
      name="attributes"
      rows={2}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        /** @type {Record<string, string[]>} */
        const parsed = {};
        for (const line of e.target.value.split("\n")) {
          const [name, rest] = line.split(":");
          if (!name?.trim() || rest === undefined) continue;
          parsed[name.trim()] = rest
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean);
        }
        onChange(parsed);
      }}
    />
  );
}
