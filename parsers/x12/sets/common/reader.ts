import type { Diagnostic } from '../../../../lib/errors.js';
import type { X12Segment, X12TransactionSet } from '../../types.js';
import { fromImplied, normalizeDecimal } from './decimal.js';
import { designation } from './designations.js';
import { diagnostic, elementRef, type SetDiagnosticCode } from './diagnostics.js';

/**
 * Reads the body of one transaction set (ST and SE excluded) and collects diagnostics. Every
 * accessor returns undefined rather than throwing; problems become diagnostics with the segment's
 * position and the element number.
 */
export class SetReader {
  readonly diagnostics: Diagnostic[] = [];
  readonly body: X12Segment[];
  readonly component: string;
  private readonly unmapped = new Set<string>();

  constructor(readonly set: X12TransactionSet) {
    this.body = set.segments.filter((s) => s.id !== 'ST' && s.id !== 'SE');
    this.component = set.delimiters.component;
  }

  /** Element `n` (XXnn) trimmed of trailing spaces; '' when absent. */
  el(seg: X12Segment, n: number): string {
    return (seg.elements[n] ?? '').replace(/\s+$/, '');
  }

  /** Element `n`, or undefined when empty. */
  opt(seg: X12Segment, n: number): string | undefined {
    const value = this.el(seg, n);
    return value === '' ? undefined : value;
  }

  /**
   * An element the mapper needs. When empty: `x12-element-missing` (a syntax error, AK403 1) if the
   * base standard makes it mandatory in this set and version (`designations.ts`), else
   * `x12-element-needed` (the standard allows it empty, so the acknowledgment accepts it; the
   * canonical document cannot be built without it).
   */
  req(seg: X12Segment, n: number, what: string): string | undefined {
    const value = this.opt(seg, n);
    if (value === undefined) {
      const ref = elementRef(seg.id, n);
      if (designation(this.set.id, this.set.version, seg.id, n) === 'M') {
        this.error('x12-element-missing', `${ref} is empty; expected ${what}`, seg, n);
      } else {
        this.error(
          'x12-element-needed',
          `${ref} is empty; the ${this.set.version.slice(0, 6)} standard allows that, but ${what} is needed to build the canonical document`,
          seg,
          n,
        );
      }
    }
    return value;
  }

  /**
   * A paired or conditional relation of the standard that does not hold (P0304: both or neither;
   * C0302: if the first then the second): a syntax error, AK403 2.
   */
  conditional(seg: X12Segment, n: number, message: string): void {
    this.error('x12-element-conditional-missing', `${elementRef(seg.id, n)} is empty; ${message}`, seg, n);
  }

  /** An R (decimal) element in canonical form. */
  decimal(seg: X12Segment, n: number, what: string, required = false): string | undefined {
    const raw = required ? this.req(seg, n, what) : this.opt(seg, n);
    if (raw === undefined) return undefined;
    const value = normalizeDecimal(raw);
    if (value === undefined) {
      this.error('x12-element-invalid-number', `${elementRef(seg.id, n)} is "${raw}"; expected ${what} as a number`, seg, n);
    }
    return value;
  }

  /** An N-type element with implied decimals, e.g. SAC05 or TDS01 (N2). */
  implied(seg: X12Segment, n: number, decimals: number, what: string, required = false): string | undefined {
    const raw = required ? this.req(seg, n, what) : this.opt(seg, n);
    if (raw === undefined) return undefined;
    const value = fromImplied(raw, decimals);
    if (value === undefined) {
      this.error(
        'x12-element-invalid-number',
        `${elementRef(seg.id, n)} is "${raw}"; expected ${what} as digits with ${decimals} implied decimals`,
        seg,
        n,
      );
    }
    return value;
  }

  /** An integer (N0) element. */
  integer(seg: X12Segment, n: number, what: string): number | undefined {
    const raw = this.opt(seg, n);
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw)) {
      this.error('x12-element-invalid-number', `${elementRef(seg.id, n)} is "${raw}"; expected ${what} as a whole number`, seg, n);
      return undefined;
    }
    return Number(raw);
  }

  /**
   * A DT element as an ISO date: CCYYMMDD from 004010 on, YYMMDD before (GS08 003xxx and earlier);
   * with `timeField`, a TM element appended (`T14:30`).
   */
  date(seg: X12Segment, n: number, what: string, required = false, timeField?: number): string | undefined {
    const raw = required ? this.req(seg, n, what) : this.opt(seg, n);
    if (raw === undefined) return undefined;
    const short = sixDigitDates(this.set.version);
    const iso = short ? isoShortDate(raw) : isoDate(raw);
    if (iso === undefined) {
      this.error(
        'x12-element-invalid-date',
        `${elementRef(seg.id, n)} is "${raw}"; expected ${what} as ${short ? 'YYMMDD' : 'CCYYMMDD'} (version ${this.set.version.slice(0, 6)})`,
        seg,
        n,
      );
      return undefined;
    }
    if (timeField === undefined) return iso;
    const time = this.opt(seg, timeField);
    if (time === undefined) return iso;
    const isoT = isoTime(time);
    if (isoT === undefined) {
      this.error(
        'x12-element-invalid-time',
        `${elementRef(seg.id, timeField)} is "${time}"; expected a time as HHMM or HHMMSS`,
        seg,
        timeField,
      );
      return iso;
    }
    return `${iso}T${isoT}`;
  }

  error(code: SetDiagnosticCode, message: string, seg?: X12Segment, field?: number): void {
    this.diagnostics.push(diagnostic('error', code, message, seg, field));
  }

  warn(code: SetDiagnosticCode, message: string, seg?: X12Segment, field?: number): void {
    this.diagnostics.push(diagnostic('warning', code, message, seg, field));
  }

  /** Reports, once per segment id and context, a segment that has no canonical home. */
  notMapped(seg: X12Segment, context: string): void {
    const key = `${seg.id}@${context}`;
    if (this.unmapped.has(key)) return;
    this.unmapped.add(key);
    this.warn(
      'x12-segment-not-mapped',
      `${seg.id} at segment ${seg.position} (${context}) is not mapped to the canonical document; it stays in the raw message only`,
      seg,
    );
  }

  /** Reports a segment the base standard makes mandatory in this set that never appeared (AK304 3), located at the set's ST. */
  missingSegment(id: string, what: string): void {
    const st = this.set.segments.find((s) => s.id === 'ST');
    this.error('x12-segment-missing', `${id} is missing; expected ${what}`, st);
  }

  /**
   * Reports a segment the standard makes optional but the mapper needs (`x12-segment-needed`, an
   * application finding the acknowledgment does not carry), located at `at` or the set's ST.
   */
  neededSegment(id: string, what: string, at?: X12Segment, under?: string): void {
    const where = at ?? this.set.segments.find((s) => s.id === 'ST');
    const place = at ? ` under ${under ?? at.id} (segment ${at.position})` : '';
    this.error(
      'x12-segment-needed',
      `${id} is missing${place}; the ${this.set.version.slice(0, 6)} standard allows that, but ${what} is needed to build the canonical document`,
      where,
    );
  }
}

/** True when the DT data element of this GS08 version is 6 digits (YYMMDD): every version before 004010. */
export function sixDigitDates(version: string): boolean {
  return /^00[1-3]\d/.test(version.trim());
}

/**
 * YYMMDD → YYYY-MM-DD when it is a calendar date. The century is the one that puts the date within
 * 50 years of today (a sliding window, as translators of pre-004010 data do).
 */
export function isoShortDate(raw: string, now: Date = new Date()): string | undefined {
  if (!/^\d{6}$/.test(raw)) return undefined;
  const yy = Number(raw.slice(0, 2));
  const current = now.getUTCFullYear();
  let year = Math.floor(current / 100) * 100 + yy;
  if (year > current + 50) year -= 100;
  else if (year <= current - 50) year += 100;
  return isoDate(`${year}${raw.slice(2)}`);
}

/** CCYYMMDD → YYYY-MM-DD when it is a calendar date. */
export function isoDate(raw: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(raw);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** HHMM, HHMMSS, HHMMSSd… → HH:MM[:SS[.d…]]. */
export function isoTime(raw: string): string | undefined {
  const m = /^([01]\d|2[0-3])([0-5]\d)(?:([0-5]\d)(\d{1,2})?)?$/.exec(raw);
  if (!m) return undefined;
  let text = `${m[1]}:${m[2]}`;
  if (m[3] !== undefined) text += `:${m[3]}`;
  if (m[4] !== undefined) text += `.${m[4]}`;
  return text;
}
