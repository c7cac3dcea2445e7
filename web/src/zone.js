// Wall-clock times in an IANA timezone <-> RFC 3339 instants with the zone's offset then,
// so marketing types "2026-03-01 00:00" in Europe/Paris and the API gets "+01:00".

function offsetMinutes(instantMs, timeZone) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instantMs));
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  const wall = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  return Math.round((wall - Math.floor(instantMs / 1000) * 1000) / 60000);
}

const pad = (n) => String(Math.abs(n)).padStart(2, "0");

/** "2026-03-01T00:00" in `timeZone` → "2026-03-01T00:00:00+01:00" (null when empty). */
export function wallToInstant(wall, timeZone) {
  if (!wall) return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(wall);
  if (!match) return wall;
  const [, y, mo, d, h, mi] = match.map(Number);
  const asUtc = Date.UTC(y, mo - 1, d, h, mi);
  const zone = timeZone || "UTC";
  let offset = offsetMinutes(asUtc, zone);
  offset = offsetMinutes(asUtc - offset * 60000, zone);
  const sign = offset < 0 ? "-" : "+";
  return `${wall.slice(0, 16)}:00${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

/** "2026-03-01T00:00:00+01:00" → its wall-clock "2026-03-01T00:00" in `timeZone`. */
export function instantToWall(instant, timeZone) {
  if (!instant) return "";
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) return "";
  const offset = offsetMinutes(ms, timeZone || "UTC");
  return new Date(ms + offset * 60000).toISOString().slice(0, 16);
}

export const TIMEZONES =
  typeof Intl.supportedValuesOf === "function"
    ? Intl.supportedValuesOf("timeZone")
    : ["UTC", "Europe/Paris"];
