/**
 * HL7 date/time (DT, DTM, TS) to ISO 8601, keeping exactly the precision that was sent: `2026` →
 * `2026`, `202611211405` → `2026-11-21T14:05` (no invented seconds), `20261121140502.25-0500` →
 * `2026-11-21T14:05:02.25-05:00`. A zone given with a date only is dropped (ISO 8601 has no zone
 * without a time). Returns undefined for text that is not an HL7 date/time or not a real date.
 */
const HL7_DTM = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?)?)?([+-]\d{4})?$/;

export function hl7DateToIso(text: string): string | undefined {
  const m = HL7_DTM.exec(text.trim());
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = m;
  if (month !== undefined && (+month < 1 || +month > 12)) return undefined;
  if (day !== undefined && (+day < 1 || +day > daysIn(+year!, +month!))) return undefined;
  if (hour !== undefined && +hour > 23) return undefined;
  if (minute !== undefined && +minute > 59) return undefined;
  if (second !== undefined && +second > 59) return undefined;
  if (zone !== undefined && (+zone.slice(1, 3) > 14 || +zone.slice(3) > 59)) return undefined;
  let iso = year!;
  if (month !== undefined) iso += `-${month}`;
  if (day !== undefined) iso += `-${day}`;
  if (hour === undefined) return iso;
  iso += `T${hour}`;
  if (minute !== undefined) iso += `:${minute}`;
  if (second !== undefined) iso += `:${second}`;
  if (fraction !== undefined) iso += `.${fraction}`;
  if (zone !== undefined) iso += `${zone.slice(0, 3)}:${zone.slice(3)}`;
  return iso;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Days in a month, exactly as `Date.UTC(year, month, 0)` counts them (which this replaces, without
 * allocating a Date): Gregorian leap years, and years 0–99 read as 1900–1999, as `Date.UTC` does.
 */
function daysIn(year: number, month: number): number {
  if (month !== 2) return DAYS[month - 1]!;
  const y = year < 100 ? year + 1900 : year;
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
}
