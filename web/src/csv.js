// CSV built in the browser and handed to the person as a download: fields quoted when they
// hold a comma, a quote or a line break (RFC 4180), lines ended by "\n".

/** One field: as is, or quoted with its quotes doubled. @param {string | number | null | undefined} value */
export function csvField(value) {
  const text = value === undefined || value === null ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One line of fields. @param {(string | number | null | undefined)[]} fields */
export const csvLine = (fields) => fields.map(csvField).join(",");

/**
 * Offers `lines` (each already a CSV line) as the download `name`.
 * @param {string} name
 * @param {string[]} lines
 */
export function downloadCsv(name, lines) {
  const url = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/csv" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
