// Create, edit or clone a campaign. The parameters form is generated from the plugin's JSON
// Schema by react-jsonschema-form; targeting, schedule, limits and stacking have their own
// sections. The API validates; its problem+json errors are shown next to the field their
// JSON pointer names.
import { useEffect, useMemo, useState } from "react";
import Form from "@rjsf/core";
import validator from "@rjsf/validator-ajv8";
import { api, errorsByPointer } from "../api.js";
import { go, href } from "../router.js";
import { Field, ListInput, Problem } from "../components/ui.jsx";
import { cleanParams, formSchema, paramsErrorSchema } from "../paramsForm.js";
import { TIMEZONES, instantToWall, wallToInstant } from "../zone.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const PERIODS = ["campaign", "day", "week", "month"];
const CHANNEL_HINTS = ["web", "store", "app", "call-centre"];

const EMPTY = {
  id: "",
  name: "",
  plugin: "",
  plugin_version: "",
  params: {},
  status: "draft",
  schedule: { timezone: "", starts_at: "", ends_at: "", days_of_week: [], hours: [] },
  audience: { channels: [], stores: [], segments: [], loyalty_tiers: [], customers: [], attributes: {} },
  coupon_required: false,
  priority: 100,
  group: "",
  exclusive: false,
  limits: { budget: "", redemptions: "", per_customer: "", per_customer_period: "", partial: false },
};

/** A campaign as the API answers it → the editor's draft (wall-clock times in its zone). */
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

/** The editor's draft → the campaign body of SPEC.md (empty optional fields left out). */
function toBody(draft) {
  const zone = draft.schedule.timezone || "UTC";
  const schedule = {
    days_of_week: draft.schedule.days_of_week,
    hours: draft.schedule.hours,
  };
  if (draft.schedule.timezone) schedule.timezone = draft.schedule.timezone;
  if (draft.schedule.starts_at) schedule.starts_at = wallToInstant(draft.schedule.starts_at, zone);
  if (draft.schedule.ends_at) schedule.ends_at = wallToInstant(draft.schedule.ends_at, zone);
  const limits = {};
  const { budget, redemptions, per_customer, per_customer_period, partial } = draft.limits;
  if (budget !== "" && budget != null) limits.budget = String(budget).trim();
  if (redemptions !== "" && redemptions != null) limits.redemptions = Number(redemptions);
  if (per_customer !== "" && per_customer != null) limits.per_customer = Number(per_customer);
  if (per_customer_period) limits.per_customer_period = per_customer_period;
  if (partial) limits.partial = true;
  const body = {
    id: draft.id.trim(),
    name: draft.name,
    plugin: draft.plugin,
    params: cleanParams(draft.params || {}),
    status: draft.status,
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

export default function CampaignEditor({ mode, id }) {
  const [draft, setDraft] = useState(mode === "create" ? EMPTY : null);
  const [revision, setRevision] = useState(null);
  const [plugins, setPlugins] = useState([]);
  const [groups, setGroups] = useState([]);
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    api("GET", "/v1/plugins").then(setPlugins, setError);
    api("GET", "/v1/groups").then((g) => setGroups(Array.isArray(g) ? g : []), () => {});
    if (mode !== "create") {
      api("GET", `/v1/campaigns/${encodeURIComponent(id)}`).then((campaign) => {
        if (mode === "clone") {
          setDraft({ ...toDraft(campaign), id: `${campaign.id}-copy`, name: `${campaign.name} (copy)`, status: "draft" });
        } else {
          setRevision(campaign.revision);
          setDraft(toDraft(campaign));
        }
      }, setError);
    }
  }, [mode, id]);

  const plugin = plugins.find((p) => p.name === draft?.plugin);
  const version =
    plugin && (plugin.versions.find((v) => v.version === (draft.plugin_version || plugin.latest)) || plugin.versions.at(-1));
  const schema = useMemo(() => (version ? formSchema(version.params_schema) : null), [version]);
  const fieldErrors = useMemo(() => errorsByPointer(error), [error]);
  const paramsErrors = useMemo(() => paramsErrorSchema(error?.errors), [error]);

  if (!draft) return error ? <Problem error={error} /> : <p className="empty">Loading…</p>;

  const set = (path, value) =>
    setDraft((current) => {
      const next = structuredClone(current);
      let node = next;
      for (const key of path.slice(0, -1)) node = node[key];
      node[path.at(-1)] = value;
      return next;
    });
  const errs = (pointer) => fieldErrors[pointer];

  async function save(event) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const body = toBody(draft);
      if (mode === "edit") {
        await api("PUT", `/v1/campaigns/${encodeURIComponent(id)}`, { body, headers: { "If-Match": `"${revision}"` } });
      } else {
        await api("POST", "/v1/campaigns", { body });
      }
      go(`/campaigns/${encodeURIComponent(body.id)}`);
    } catch (e) {
      setError(e);
      window.scrollTo({ top: 0 });
    } finally {
      setSaving(false);
    }
  }

  const title = mode === "edit" ? `Edit ${draft.name || id}` : mode === "clone" ? `Clone ${id}` : "New campaign";
  const shownPointers = [
    "/id", "/name", "/plugin", "/plugin_version", "/params", "/schedule", "/audience", "/limits",
    "/priority", "/group", "/exclusive", "/coupon_required",
  ];

  return (
    <form className="editor" onSubmit={save} noValidate>
      <div className="page-head">
        <h1>{title}</h1>
        <div className="buttons">
          <a className="button" href={mode === "create" ? "#/campaigns" : href("campaigns", id)}>
            Cancel
          </a>
          <button type="submit" className="primary" disabled={saving}>
            {saving ? "Saving…" : mode === "edit" ? "Save changes" : "Create campaign"}
          </button>
        </div>
      </div>
      {error && (
        <Problem
          error={error}
          shown={error.errors?.length ? shownPointers : []}
        />
      )}

      <fieldset>
        <legend>Campaign</legend>
        <div className="grid">
          <Field label="Id" hint="Letters, digits and dashes; it cannot change later." errors={errs("/id")} pointer="/id">
            <input name="id" value={draft.id} disabled={mode === "edit"} onChange={(e) => set(["id"], e.target.value)} />
          </Field>
          <Field label="Name" errors={errs("/name")} pointer="/name">
            <input name="name" value={draft.name} onChange={(e) => set(["name"], e.target.value)} />
          </Field>
          <Field label="Plugin" errors={errs("/plugin")} pointer="/plugin">
            <select
              name="plugin"
              value={draft.plugin}
              onChange={(e) => setDraft({ ...draft, plugin: e.target.value, plugin_version: "", params: {} })}
            >
              <option value="">Choose a scenario…</option>
              {plugins.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Plugin version" hint="Latest follows every new upload." errors={errs("/plugin_version")} pointer="/plugin_version">
            <select name="plugin_version" value={draft.plugin_version} onChange={(e) => set(["plugin_version"], e.target.value)}>
              <option value="">latest{plugin ? ` (${plugin.latest})` : ""}</option>
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
        <legend>Parameters</legend>
        {schema ? (
          <Form
            key={`${draft.plugin}@${version.version}`}
            tagName="div"
            schema={schema}
            formData={draft.params}
            validator={validator}
            onChange={({ formData }) => set(["params"], formData)}
            extraErrors={paramsErrors}
            showErrorList={false}
            noHtml5Validate
            uiSchema={{ "ui:submitButtonOptions": { norender: true }, "ui:options": { label: false } }}
          />
        ) : (
          <p className="muted">Choose a plugin: its parameters appear here.</p>
        )}
        {(fieldErrors["/params"] || []).map((m) => (
          <p key={m} className="field-error">
            {m}
          </p>
        ))}
      </fieldset>

      <fieldset>
        <legend>Targeting</legend>
        <p className="muted">An empty list means everyone.</p>
        <div className="grid">
          <Field label="Channels" hint={`e.g. ${CHANNEL_HINTS.join(", ")}`} errors={errs("/audience/channels")}>
            <ListInput name="channels" value={draft.audience.channels} onChange={(v) => set(["audience", "channels"], v)} />
          </Field>
          <Field label="Stores" errors={errs("/audience/stores")}>
            <ListInput name="stores" value={draft.audience.stores} onChange={(v) => set(["audience", "stores"], v)} />
          </Field>
          <Field label="Segments" errors={errs("/audience/segments")}>
            <ListInput name="segments" value={draft.audience.segments} onChange={(v) => set(["audience", "segments"], v)} />
          </Field>
          <Field label="Loyalty tiers" errors={errs("/audience/loyalty_tiers")}>
            <ListInput name="loyalty_tiers" value={draft.audience.loyalty_tiers} onChange={(v) => set(["audience", "loyalty_tiers"], v)} />
          </Field>
          <Field label="Customers" hint="Customer ids" errors={errs("/audience/customers")}>
            <ListInput name="customers" value={draft.audience.customers} onChange={(v) => set(["audience", "customers"], v)} />
          </Field>
          <Field label="Attributes" hint="One per line: name: value, value" errors={errs("/audience/attributes")}>
            <AttributesInput value={draft.audience.attributes} onChange={(v) => set(["audience", "attributes"], v)} />
          </Field>
          <Field label="Coupon required" errors={errs("/coupon_required")}>
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
        <legend>Schedule</legend>
        <div className="grid">
          <Field label="Timezone" hint="Start, end, days and hours are read in it (UTC when empty)." errors={errs("/schedule/timezone")}>
            <input name="timezone" list="timezones" value={draft.schedule.timezone} onChange={(e) => set(["schedule", "timezone"], e.target.value)} />
            <datalist id="timezones">
              {TIMEZONES.map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </Field>
          <Field label="Starts" errors={errs("/schedule/starts_at")}>
            <input type="datetime-local" name="starts_at" value={draft.schedule.starts_at} onChange={(e) => set(["schedule", "starts_at"], e.target.value)} />
          </Field>
          <Field label="Ends" errors={errs("/schedule/ends_at")}>
            <input type="datetime-local" name="ends_at" value={draft.schedule.ends_at} onChange={(e) => set(["schedule", "ends_at"], e.target.value)} />
          </Field>
        </div>
        <Field label="Days of week" hint="None checked: every day." errors={errs("/schedule/days_of_week")}>
          <div className="days">
            {DAYS.map((day) => (
              <label key={day} className="check">
                <input
                  type="checkbox"
                  name={`day-${day}`}
                  checked={draft.schedule.days_of_week.includes(day)}
                  onChange={(e) =>
                    set(
                      ["schedule", "days_of_week"],
                      e.target.checked ? DAYS.filter((d) => d === day || draft.schedule.days_of_week.includes(d)) : draft.schedule.days_of_week.filter((d) => d !== day),
                    )
                  }
                />
                {day}
              </label>
            ))}
          </div>
        </Field>
        <Field label="Hours of day" hint="None: all day." errors={errs("/schedule/hours")}>
          <div className="hours">
            {draft.schedule.hours.map((range, i) => (
              <div key={i} className="row">
                <input type="time" aria-label="from" value={range.from} onChange={(e) => set(["schedule", "hours", i, "from"], e.target.value)} />
                <span>to</span>
                <input type="time" aria-label="to" value={range.to} onChange={(e) => set(["schedule", "hours", i, "to"], e.target.value)} />
                <button type="button" onClick={() => set(["schedule", "hours"], draft.schedule.hours.filter((_, j) => j !== i))}>
                  remove
                </button>
                {(errs(`/schedule/hours/${i}`) || []).map((m) => (
                  <span key={m} className="field-error">{m}</span>
                ))}
              </div>
            ))}
            <button type="button" onClick={() => set(["schedule", "hours"], [...draft.schedule.hours, { from: "09:00", to: "18:00" }])}>
              add hours
            </button>
          </div>
        </Field>
      </fieldset>

      <fieldset>
        <legend>Limits</legend>
        <div className="grid">
          <Field label="Budget" hint="Discount to grant in all, in the basket's currency; empty: none." errors={errs("/limits/budget")}>
            <input name="budget" inputMode="decimal" value={draft.limits.budget ?? ""} onChange={(e) => set(["limits", "budget"], e.target.value)} />
          </Field>
          <Field label="Grant what is left" hint="The last order gets the rest of the budget instead of nothing." errors={errs("/limits/partial")}>
            <input type="checkbox" name="partial" checked={!!draft.limits.partial} onChange={(e) => set(["limits", "partial"], e.target.checked)} />
          </Field>
          <Field label="Redemptions" hint="Orders in all; empty: no cap." errors={errs("/limits/redemptions")}>
            <input name="redemptions" inputMode="numeric" value={draft.limits.redemptions ?? ""} onChange={(e) => set(["limits", "redemptions"], e.target.value)} />
          </Field>
          <Field label="Per customer" errors={errs("/limits/per_customer")}>
            <input name="per_customer" inputMode="numeric" value={draft.limits.per_customer ?? ""} onChange={(e) => set(["limits", "per_customer"], e.target.value)} />
          </Field>
          <Field label="Per customer, per" errors={errs("/limits/per_customer_period")}>
            <select name="per_customer_period" value={draft.limits.per_customer_period || ""} onChange={(e) => set(["limits", "per_customer_period"], e.target.value)}>
              <option value="">—</option>
              {PERIODS.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </Field>
        </div>
      </fieldset>

      <fieldset>
        <legend>Stacking</legend>
        <div className="grid">
          <Field label="Group" hint="At most one campaign of a group applies, by the group's policy." errors={errs("/group")}>
            <input name="group" list="groups" value={draft.group} onChange={(e) => set(["group"], e.target.value)} />
            <datalist id="groups">
              {groups.map((g) => (
                <option key={g.name} value={g.name} />
              ))}
            </datalist>
          </Field>
          <Field label="Priority" hint="Lower first; breaks ties." errors={errs("/priority")}>
            <input name="priority" inputMode="numeric" value={draft.priority} onChange={(e) => set(["priority"], e.target.value)} />
          </Field>
          <Field label="Exclusive" hint="When it wins, no other campaign applies." errors={errs("/exclusive")}>
            <input type="checkbox" name="exclusive" checked={draft.exclusive} onChange={(e) => set(["exclusive"], e.target.checked)} />
          </Field>
        </div>
      </fieldset>
    </form>
  );
}

/** Audience attributes as lines of "name: value, value". */
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
        const parsed = {};
        for (const line of e.target.value.split("\n")) {
          const [name, rest] = line.split(":");
          if (!name?.trim() || rest === undefined) continue;
          parsed[name.trim()] = rest.split(",").map((s) => s.trim()).filter(Boolean);
        }
        onChange(parsed);
      }}
    />
  );
}
