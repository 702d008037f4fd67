import type { FlatColumn } from './layout.js';
import type { ErrorCode } from '../../lib/error-codes.js';

/** A typed cell: text, a whole number, a decimal as text (never a float), an ISO date, a boolean. */
export type Value = string | number | boolean;

export type ValueResult = { ok: true; value: Value | undefined } | { ok: false; code: ErrorCode; message: string };

const TRUE = new Set(['y', 'yes', 'true', 't', '1']);
const FALSE = new Set(['n', 'no', 'false', 'f', '0']);

const show = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

/** Reads one trimmed cell as its column's type. An empty cell is no value (an error when required). */
export function readValue(column: FlatColumn, cell: string, format: 'csv' | 'fixed'): ValueResult {
  if (cell === '')
    return column.required
      ? { ok: false, code: 'flat-required-empty', message: 'is empty; the column is required' }
      : { ok: true, value: undefined };
  switch (column.type) {
    case 'string':
      if (column.maxLength !== undefined && cell.length > column.maxLength) {
        return { ok: false, code: 'flat-too-long', message: `is ${cell.length} characters; expected at most ${column.maxLength}` };
      }
      return { ok: true, value: cell };
    case 'integer': {
      if (!/^[+-]?\d+$/.test(cell)) return { ok: false, code: 'flat-invalid-integer', message: `${show(cell)} is not a whole number` };
      const n = Number(cell);
      if (!Number.isSafeInteger(n))
        return {
          ok: false,
          code: 'flat-invalid-integer',
          message: `${show(cell)} is too large; expected at most ${Number.MAX_SAFE_INTEGER}`,
        };
      return { ok: true, value: n };
    }
    case 'decimal':
      return readDecimal(cell, column.scale, format === 'fixed');
    case 'date':
      return readDate(cell, column.format ?? 'YYYY-MM-DD');
    case 'boolean': {
      const v = cell.toLowerCase();
      if (TRUE.has(v)) return { ok: true, value: true };
      if (FALSE.has(v)) return { ok: true, value: false };
      return {
        ok: false,
        code: 'flat-invalid-boolean',
        message: `${show(cell)} is not a yes/no value; expected Y, N, true, false, 1 or 0`,
      };
    }
  }
}

/**
 * A decimal as canonical text (`-12.50`). With a scale, fewer digits after the point are padded and
 * more are an error (money is never rounded silently); a fixed-width cell without a point has an
 * implied one (`001250` with scale 2 is 12.50), as mainframe and ERP extracts write it.
 */
export function readDecimal(cell: string, scale: number | undefined, implied: boolean): ValueResult {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(cell);
  if (!m || (m[2] === '' && (m[3] ?? '') === ''))
    return { ok: false, code: 'flat-invalid-decimal', message: `${show(cell)} is not a decimal number; expected e.g. 12.50` };
  let whole = m[2]!;
  let fraction = m[3];
  if (fraction === undefined && implied && scale !== undefined && scale > 0) {
    const padded = whole.padStart(scale + 1, '0');
    whole = padded.slice(0, -scale);
    fraction = padded.slice(-scale);
  }
  fraction ??= '';
  if (scale !== undefined) {
    if (fraction.length > scale) {
      if (/^0*$/.test(fraction.slice(scale))) fraction = fraction.slice(0, scale);
      else
        return {
          ok: false,
          code: 'flat-decimal-scale',
          message: `${show(cell)} has ${fraction.length} digits after the point; expected at most ${scale}`,
        };
    }
    fraction = fraction.padEnd(scale, '0');
  }
  whole = whole.replace(/^0+(?=\d)/, '') || '0';
  const sign = m[1] === '-' && /[1-9]/.test(whole + fraction) ? '-' : '';
  return { ok: true, value: `${sign}${whole}${fraction ? `.${fraction}` : ''}` };
}

const DATE_PARTS: Record<string, RegExp> = {};

/** A date written as `format` (YYYY, MM, DD and separators), checked against the calendar, as YYYY-MM-DD. */
export function readDate(cell: string, format: string): ValueResult {
  const re = (DATE_PARTS[format] ??= new RegExp(
    `^${format
      .replace(/[.\\/-]/g, (c) => `\\${c}`)
      .replace('YYYY', '(?<y>\\d{4})')
      .replace('MM', '(?<m>\\d{2})')
      .replace('DD', '(?<d>\\d{2})')}$`,
  ));
  const g = re.exec(cell)?.groups;
  if (!g) return { ok: false, code: 'flat-invalid-date', message: `${show(cell)} is not a date written ${format}` };
  const y = Number(g.y);
  const mo = Number(g.m);
  const d = Number(g.d);
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (mo < 1 || mo > 12 || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) {
    return { ok: false, code: 'flat-invalid-date', message: `${show(cell)} is not a calendar date (${format})` };
  }
  return { ok: true, value: `${g.y}-${g.m}-${g.d}` };
}

/** Writes a value back in its column's format (dates in the declared format, booleans as Y/N). */
export function formatValue(column: FlatColumn, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (column.type === 'boolean') return value === true || value === 'true' || value === 'Y' ? 'Y' : 'N';
  if (column.type === 'date' && typeof value === 'string') {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
    if (m) return (column.format ?? 'YYYY-MM-DD').replace('YYYY', m[1]!).replace('MM', m[2]!).replace('DD', m[3]!);
  }
  if (column.type === 'decimal' && column.scale !== undefined && (typeof value === 'string' || typeof value === 'number')) {
    const r = readDecimal(String(value), column.scale, false);
    if (!r.ok) throw new RangeError(`column ${column.name}: ${r.message}`);
    return r.value as string;
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value as string | number | boolean | bigint);
}
