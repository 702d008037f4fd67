import { z } from 'zod';

/** A set of HTTP status codes as inclusive ranges: `[[200, 299], [429, 429]]`. */
export type StatusSet = ReadonlyArray<readonly [number, number]>;

const ITEM = /^(\d{3})(?:\s*-\s*(\d{3}))?$/;

/**
 * Parses `"200-299"`, `"408, 425, 429, 500-599"`, `201` or `[200, "500-599"]`.
 * Answers the ranges, or an error text naming the bad item.
 */
export function parseStatusSet(value: string | number | ReadonlyArray<string | number>): StatusSet | string {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value];
  if (items.length === 0) return 'the status list is empty; expected e.g. 200-299';
  const ranges: Array<[number, number]> = [];
  for (const item of items) {
    const text = String(item).trim();
    const m = ITEM.exec(text);
    if (!m) return `${JSON.stringify(text.slice(0, 40))} is not a status or range; expected e.g. 200, 500-599`;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo < 100 || hi > 599 || lo > hi) return `${JSON.stringify(text)} is not a range of HTTP statuses; expected 100–599, low to high`;
    ranges.push([lo, hi]);
  }
  return ranges;
}

export function inStatusSet(set: StatusSet, status: number): boolean {
  return set.some(([lo, hi]) => status >= lo && status <= hi);
}

/** Writes a set back as text, for messages: `200-299` or `408, 429, 500-599`. */
export function formatStatusSet(set: StatusSet): string {
  return set.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}-${hi}`)).join(', ');
}

/** Config field: a status list, parsed to ranges; the default is written as text, like the YAML. */
export function statusSet(defaultText: string) {
  return z
    .union([z.string(), z.number().int(), z.array(z.union([z.string(), z.number().int()]))])
    .transform((v, ctx): StatusSet => {
      const set = parseStatusSet(v);
      if (typeof set === 'string') {
        ctx.addIssue({ code: 'custom', message: set });
        return z.NEVER;
      }
      return set;
    })
    .prefault(defaultText);
}
