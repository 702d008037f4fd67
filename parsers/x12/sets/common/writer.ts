import { MappingError } from '../../../../lib/errors.js';
import { toImplied } from './decimal.js';

/**
 * Builds one segment as an element array, dropping trailing empty elements as X12 requires:
 * `seg('REF', 'PO', '4500', undefined)` → `['REF', 'PO', '4500']`.
 */
export function seg(id: string, ...elements: Array<string | undefined>): string[] {
  const out = [id, ...elements.map((e) => e ?? '')];
  while (out.length > 1 && out[out.length - 1] === '') out.pop();
  return out;
}

/** ISO date or date-time → DT (`CCYYMMDD`) and TM (`HHMM[SS]`) elements. */
export function x12DateTime(iso: string | undefined): { date?: string; time?: string } {
  if (iso === undefined) return {};
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,2}))?)?)?/.exec(iso);
  if (!m) {
    throw new MappingError('x12-canonical-date', `date "${iso}" is not a full ISO date; expected YYYY-MM-DD[THH:MM[:SS]]`);
  }
  const date = `${m[1]}${m[2]}${m[3]}`;
  if (m[4] === undefined) return { date };
  return { date, time: `${m[4]}${m[5]}${m[6] ?? ''}${m[6] !== undefined && m[7] !== undefined ? m[7] : ''}` };
}

/** ISO date → DT element. */
export function x12Date(iso: string | undefined): string | undefined {
  return x12DateTime(iso).date;
}

/** A canonical amount as an N2 element; throws MappingError when it has more than 2 non-zero decimals. */
export function n2(amount: string | undefined, where: string): string | undefined {
  if (amount === undefined) return undefined;
  const value = toImplied(amount, 2);
  if (value === undefined) {
    throw new MappingError('x12-canonical-amount', `${where} is "${amount}"; expected a decimal with at most 2 decimals`);
  }
  return value;
}

/** DTM with the date (and time, when the ISO value carries one). */
export function dtm(qualifier: string, iso: string): string[] {
  const { date, time } = x12DateTime(iso);
  return seg('DTM', qualifier, date, time);
}
