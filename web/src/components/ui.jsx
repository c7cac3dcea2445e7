// Small building blocks shared by the pages: labelled fields that show the API's errors for
// their JSON pointer, list inputs, progress bars, status badges, error banners.
import { useState } from "react";
import { useI18n } from "../i18n/I18n.jsx";
import { statusName } from "../campaignActions.js";

/** @typedef {import("react").ReactNode} ReactNode */

/**
 * A labelled field; `errors` are the API's messages for this field's pointer.
 * @param {{ label: ReactNode, hint?: ReactNode, errors?: string[], children: ReactNode, pointer?: string }} props
 */
export function Field({ label, hint, errors, children, pointer }) {
  return (
    <label className={errors?.length ? "field invalid" : "field"} data-pointer={pointer}>
      <span className="label">{label}</span>
      {children}
      {hint && <span className="hint">{hint}</span>}
      {errors?.map((message) => (
        <span key={message} className="field-error" role="alert">
          {message}
        </span>
      ))}
    </label>
  );
}

/**
 * Edits a list of strings as comma-separated text.
 * @param {{ value: string[], onChange: (value: string[]) => void, placeholder?: string, name?: string }} props
 */
export function ListInput({ value, onChange, placeholder, name }) {
  const [text, setText] = useState((value || []).join(", "));
  return (
    <input
      name={name}
      value={text}
      placeholder={placeholder}
      onChange={(e) => {
        setText(e.target.value);
        onChange(
          e.target.value
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean),
        );
      }}
    />
  );
}

/**
 * A progress bar: `value` out of `max`; `label` is read aloud and shown.
 * @param {{ value: number, max: number, label?: string }} props
 */
export function Progress({ value, max, label }) {
  const share = max > 0 ? Math.min(1, Math.max(0, value / max)) : 0;
  return (
    <div
      className="progress"
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={value}
      aria-label={label}
    >
      <div
        className={share >= 1 ? "bar full" : "bar"}
        style={{ width: `${(share * 100).toFixed(1)}%` }}
      />
      {label && <span>{label}</span>}
    </div>
  );
}

/** A campaign's status, named in the console's language (its class is the API's name). */
export function StatusBadge(/** @type {{ status: string }} */ { status }) {
  const { t } = useI18n();
  return <span className={`badge ${status}`}>{statusName(t, status)}</span>;
}

/**
 * An API error: its title and detail, and the field errors no field showed.
 * @param {{ error: { title?: string, message?: string, errors?: import("../api.js").FieldError[] } | null, shown?: string[] }} props
 */
export function Problem({ error, shown = [] }) {
  const { t } = useI18n();
  if (!error) return null;
  const rest = (error.errors || []).filter(
    (e) => !shown.some((p) => e.pointer === p || e.pointer.startsWith(p + "/")),
  );
  return (
    <div className="problem" role="alert">
      <strong>{error.title || t("common.error")}</strong> {error.message}
      {rest.length > 0 && (
        <ul>
          {rest.map((e) => (
            <li key={e.pointer + e.message}>
              <code>{e.pointer || "/"}</code> {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Decimal strings to a number for bars and charts only: money itself stays a string. */
export const ratio = (
  /** @type {string | number} */ part,
  /** @type {string | number} */ whole,
) => {
  const p = Number(part);
  const w = Number(whole);
  return w > 0 ? p / w : 0;
};
