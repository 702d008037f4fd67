/* eslint-disable @typescript-eslint/only-throw-error -- BAIL is a sentinel thrown to leave the fast path, never an error a caller sees. */
/**
 * JSONata's casts and operators for the direct evaluator (transforms/direct.ts): the boolean cast of
 * `and`, `or`, `?:` and `$not`, the string cast of `&` and `$string`, the comparisons and `in`. Each
 * gives JSONata 2's result for the values it accepts and throws BAIL for any other.
 */
import { BAIL, isLambda, isNumber, isScalar, toBoolean } from './direct-runtime.js';

// the boolean cast lives with the run-time half, which filters with it; exported here with the other casts
export { toBoolean };

/** JSONata's string cast (`$string`, `&`) of a scalar: numbers as JSONata prints them (15 significant digits). */
export function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!isScalar(value) || isLambda(value)) throw BAIL;
  if (typeof value === 'number' && !Number.isInteger(value)) return JSON.stringify(Number(value.toPrecision(15)));
  return JSON.stringify(value);
}

/** `<` `<=` `>` `>=`: numbers with numbers, strings with strings; undefined on either side gives undefined. */
export function compare(op: string, a: unknown, b: unknown): boolean | undefined {
  const comparable = (v: unknown) => v === undefined || typeof v === 'string' || isNumber(v);
  // JSONata raises T2010 / T2009 for the other cases: its error is the answer, so JSONata gives it.
  if (!comparable(a) || !comparable(b)) throw BAIL;
  if (a === undefined || b === undefined) return undefined;
  if (typeof a !== typeof b) throw BAIL;
  const x = a as string | number;
  const y = b as string | number;
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

/** `in`: strict equality of a scalar with the right-hand value or one of its items. */
export function includes(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return false;
  if (!isScalar(a) || isLambda(b)) throw BAIL;
  const items = Array.isArray(b) ? (b as unknown[]) : [b];
  for (const item of items) if (item === a) return true;
  return false;
}

/** `$not`, `$count`, `$abs`, `$string`, `$sort`, `$join` with one value each (and `$join`'s separator). */
export function scalarBuiltin(name: string, values: unknown[]): unknown {
  const [v, w] = values;
  if (isLambda(v) || isLambda(w)) throw BAIL;
  switch (name) {
    case 'not':
      if (values.length !== 1) throw BAIL;
      return v === undefined ? undefined : !toBoolean(v);
    case 'count':
      if (values.length !== 1) throw BAIL;
      return v === undefined ? 0 : Array.isArray(v) ? v.length : 1;
    case 'abs':
      if (values.length !== 1) throw BAIL;
      if (v === undefined) return undefined;
      if (!isNumber(v)) throw BAIL;
      return Math.abs(v);
    case 'string':
      if (values.length !== 1) throw BAIL;
      return v === undefined ? undefined : toText(v);
    case 'sort': {
      // Without a comparator, over all-number or all-string items: equal items are the same value,
      // so any correct order is JSONata's. Anything else (mixed, objects) BAILs.
      if (values.length !== 1) throw BAIL;
      if (v === undefined) return undefined;
      // JSONata's signature makes a lone value an array of one.
      if (typeof v === 'string' || isNumber(v)) return [v];
      if (!Array.isArray(v) || v.length === 0) throw BAIL;
      const items = v as unknown[];
      if (items.every((i) => typeof i === 'string')) return [...(items as string[])].sort();
      if (items.every(isNumber)) return [...(items as number[])].sort((a, b) => a - b);
      throw BAIL;
    }
    case 'join': {
      if (values.length < 1 || values.length > 2) throw BAIL;
      if (values.length === 2 && typeof w !== 'string') throw BAIL;
      if (v === undefined) return undefined;
      const parts = typeof v === 'string' ? [v] : Array.isArray(v) ? (v as unknown[]) : undefined;
      if (!parts || !parts.every((p) => typeof p === 'string')) throw BAIL;
      return parts.join(values.length === 2 ? (w as string) : '');
    }
  }
  throw BAIL;
}
