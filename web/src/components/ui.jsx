// Small building blocks shared by the pages: labelled fields that show the API's errors for
// their JSON pointer, list inputs, progress bars, status badges, error banners.
import { useState } from "react";

/** A labelled field; `errors` are the API's messages for this field's pointer. */
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

/** Edits a list of strings as comma-separated text. */
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

/** A progress bar: `value` out of `max`; `label` is read aloud and shown. */
export function Progress({ value, max, label }) {
  const share = max > 0 ? Math.min(1, Math.max(0, value / max)) : 0;
  return (
    <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={max} aria-valuenow={value} aria-label={label}>
      <div className={share >= 1 ? "bar full" : "bar"} style={{ width: `${(share * 100).toFixed(1)}%` }} />
      {label && <span>{label}</span>}
    </div>
  );
}

export function StatusBadge({ status }) {
  return <span className={`badge ${status}`}>{status}</span>;
}

/** An API error: its title and detail, and the field errors no field showed. */
export function Problem({ error, shown = [] }) {
  if (!error) return null;
  const rest = (error.errors || []).filter((e) => !shown.some((p) => e.pointer === p || e.pointer.startsWith(p + "/")));
  return (
    <div className="problem" role="alert">
      <strong>{error.title || "Error"}</strong> {error.message}
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

/** A decimal string for display: grouped digits, the currency after it when known. */
export function money(amount, currency) {
  if (amount === undefined || amount === null) return "—";
  const [whole, fraction] = String(amount).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
  return `${grouped}${fraction ? "." + fraction : ""}${currency ? " " + currency : ""}`;
}

/** Decimal strings to a number for bars and charts only: money itself stays a string. */
export const ratio = (part, whole) => {
  const p = Number(part);
  const w = Number(whole);
  return w > 0 ? p / w : 0;
};
