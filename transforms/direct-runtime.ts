/* eslint-disable @typescript-eslint/only-throw-error -- BAIL is a sentinel thrown to leave the fast path, never an error a caller sees. */
/**
 * The run-time half of the direct evaluator (transforms/direct.ts): frames, lambdas, JSONata's
 * sequence rules and the built-in functions it handles. Anything that might differ from JSONata
 * throws BAIL, which makes the whole evaluation fall back to JSONata.
 */
import type { DirectScope } from './direct.js';

export type Node = Record<string, unknown> & { type: string };
export type Frame = { vars: Map<string, unknown>; parent: Frame | undefined };
/** One evaluation: its scope, current depth, nodes evaluated, when to give up, the sequence limit. */
export type Run = { scope: DirectScope; depth: number; steps: number; deadline: number; maxSequence: number };
export type Compiled = (input: unknown, frame: Frame, run: Run) => unknown;

/** A lambda defined by the expression: its parameters, body, defining frame and context. */
export class Lambda {
  constructor(
    readonly params: string[],
    readonly body: Compiled,
    readonly frame: Frame,
    readonly input: unknown,
  ) {}
}

/** Thrown when the evaluator cannot be sure of JSONata's answer. */
export const BAIL = { bail: true };
export const FUNCTIONS = new Set([
  'map',
  'filter',
  'distinct',
  'merge',
  'substring',
  'number',
  'exists',
  'doc',
  'not',
  'count',
  'abs',
  'string',
  'join',
  'sort',
]);
export const SCALAR_FUNCTIONS = new Set(['not', 'count', 'abs', 'string', 'join', 'sort']);
export const ARITHMETIC = new Set(['+', '-', '*', '/', '%']);
const NUMBER_TEXT = /^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$/;
/** Keys every node may carry besides its own; anything else (predicate, group, stages…) is refused. */
export const COMMON = ['type', 'position', 'value'];

/**
 * `$exists`, `$number`, `$doc`, `$map`, `$filter`, `$distinct`, `$merge` and `$substring` with JSONata's
 * results, or BAIL where they could differ (`$replace` with a regular expression: replaceWithRegex).
 */
export function builtin(name: string, values: unknown[], run: Run): unknown {
  switch (name) {
    case 'exists':
      if (values.length !== 1 || isLambda(values[0])) throw BAIL;
      return values[0] !== undefined;
    case 'number': {
      const [v] = values;
      if (values.length !== 1) throw BAIL;
      if (isNumber(v)) return v;
      if (typeof v === 'string' && NUMBER_TEXT.test(v)) {
        const parsed = parseFloat(v);
        if (Number.isFinite(parsed)) return parsed;
      }
      throw BAIL;
    }
    case 'doc': {
      const [kind] = values;
      if (values.length !== 1 || typeof kind !== 'string') throw BAIL;
      return run.scope.state.canonical.find((d) => d.kind === kind);
    }
    case 'map':
    case 'filter': {
      const [value, fn] = values;
      if (values.length !== 2 || !isLambda(fn)) throw BAIL;
      if (value === undefined) return undefined;
      // JSONata's signature makes a lone value an array of one; a sequence is iterated as one
      // (and never handed to the function as its third argument).
      const arr = Array.isArray(value) ? (value as unknown[]) : [value];
      if (isLambda(value) || arr.length >= run.maxSequence) throw BAIL;
      if (isSequence(arr) && fn.params.length >= 3) throw BAIL;
      const out: unknown[] = [];
      for (let i = 0; i < arr.length; i++) {
        const res = apply(fn, [arr[i], i, arr].slice(0, Math.max(1, Math.min(3, fn.params.length))), run);
        if (isLambda(res)) throw BAIL;
        if (name === 'map') {
          if (res !== undefined) out.push(res);
        } else if (toBoolean(res)) out.push(arr[i]);
      }
      return sequence(out);
    }
    case 'distinct': {
      // Scalars only (JSONata compares objects deeply): a lone value or an array of at most one is
      // its own answer; a sequence stays one, an array stays an array.
      const [arr] = values;
      if (values.length !== 1 || isLambda(arr)) throw BAIL;
      if (!Array.isArray(arr) || arr.length <= 1) return arr;
      if (arr.length >= run.maxSequence || !arr.every(isScalar)) throw BAIL;
      const out = [...new Set(arr as unknown[])];
      return isSequence(arr) ? sequence(out) : out;
    }
    case 'merge': {
      const [arg] = values;
      if (values.length !== 1) throw BAIL;
      if (arg === undefined) return undefined;
      const objects = Array.isArray(arg) ? (arg as unknown[]) : [arg];
      const out = Object.create(null) as Record<string, unknown>;
      for (const o of objects) {
        if (!isPlainRecord(o)) throw BAIL;
        for (const key of Object.keys(o)) out[key] = o[key];
      }
      return out;
    }
    case 'substring': {
      const [str, start, length] = values;
      if (values.length < 2 || values.length > 3) throw BAIL;
      if (str === undefined) return undefined;
      // Code units are characters only without surrogate pairs (JSONata counts code points).
      if (typeof str !== 'string' || SURROGATE.test(str)) throw BAIL;
      if (!Number.isInteger(start) || (length !== undefined && !Number.isInteger(length))) throw BAIL;
      let from = start as number;
      if (str.length + from < 0) from = 0;
      if (length === undefined) return str.slice(from);
      const n = length as number;
      if (n <= 0) return '';
      return str.slice(from, from >= 0 ? from + n : str.length + from + n);
    }
  }
  throw BAIL;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * `$replace(str, /regex/, "text with $1")`: JSONata's result when every match is non-empty and the
 * replacement names only groups 1–9 the expression has (no `$$`, `$0` or a `$` without a digit).
 */
export function replaceWithRegex(str: unknown, pattern: RegExp, replacement: string): unknown {
  if (str === undefined) return undefined;
  if (typeof str !== 'string') throw BAIL;
  return str.replace(pattern, (match: string, ...rest: unknown[]) => {
    if (match.length === 0) throw BAIL;
    return replacement.replace(/\$([1-9])/g, (_: string, d: string) => {
      const group = rest[Number(d) - 1];
      return typeof group === 'string' ? group : '';
    });
  });
}

/** True for a replacement text replaceWithRegex takes, for a pattern with `groups` capture groups. */
export function plainReplacement(replacement: string, groups: number): boolean {
  if (!/^(?:[^$]|\$[1-9])*$/.test(replacement)) return false;
  for (const m of replacement.matchAll(/\$([1-9])/g)) if (Number(m[1]) > groups) return false;
  return true;
}

export function apply(fn: Lambda, args: unknown[], run: Run): unknown {
  const frame: Frame = { vars: new Map(), parent: fn.frame };
  fn.params.forEach((p, i) => frame.vars.set(p, args[i]));
  return fn.body(fn.input, frame, run);
}

export function lookup(name: string, frame: Frame | undefined, run: Run): unknown {
  for (let f = frame; f; f = f.parent) if (f.vars.has(name)) return f.vars.get(name);
  const { bindings } = run.scope;
  if (Object.prototype.hasOwnProperty.call(bindings, name)) return bindings[name];
  // Helpers and JSONata's built-in functions are not values this evaluator hands around.
  throw BAIL;
}

export function shadowed(name: string, frame: Frame | undefined, run: Run): boolean {
  for (let f = frame; f; f = f.parent) if (f.vars.has(name)) return true;
  return Object.prototype.hasOwnProperty.call(run.scope.bindings, name);
}

/** A JSONata sequence marker: results of $map with several items (one item is the item itself). */
const SEQUENCES = new WeakSet<unknown[]>();

export function sequence(items: unknown[]): unknown {
  if (items.length === 0) return undefined;
  if (items.length === 1) return items[0];
  SEQUENCES.add(items);
  return items;
}

export function isSequence(value: unknown[]): boolean {
  return SEQUENCES.has(value) || (value as { sequence?: unknown }).sequence === true;
}

/** What JSONata does to every node's value: a sequence of one is its item, an empty one no value. */
export function settle(value: unknown): unknown {
  if (Array.isArray(value) && isSequence(value)) {
    if (value.length === 0) return undefined;
    if (value.length === 1) throw BAIL;
  }
  return value;
}

export function isLambda(value: unknown): value is Lambda {
  return value instanceof Lambda;
}

export function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function isScalar(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || isNumber(value);
}

export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const v = value as { _jsonata_function?: unknown; _jsonata_lambda?: unknown };
  return !v._jsonata_function && !v._jsonata_lambda;
}

export function list(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw BAIL;
  return value;
}

export function only(n: Node, extra: string[]): void {
  if (!onlyKeys(n, [...COMMON, ...extra])) throw BAIL;
}

/** True when every key of `n` holding a value is allowed (the parser leaves some keys undefined). */
export function onlyKeys(n: object, allowed: string[]): boolean {
  for (const key of Object.keys(n)) if (!allowed.includes(key) && (n as Record<string, unknown>)[key] !== undefined) return false;
  return true;
}

/**
 * A name step over an array of plain objects: JSONata maps it over the items and drops the ones
 * without the field; two or more values are a sequence, one is the value itself, none is no value.
 * An item that is not a plain object, or a value that is an array (JSONata would flatten it), BAILs.
 */
export function mapName(key: string, items: unknown[], run: Run): unknown {
  if (items.length === 0) return undefined;
  if (items.length >= run.maxSequence) throw BAIL;
  const out: unknown[] = [];
  for (const item of items) {
    if (!isPlainRecord(item)) throw BAIL;
    const value = Object.prototype.hasOwnProperty.call(item, key) ? item[key] : undefined;
    if (value === undefined) continue;
    if (Array.isArray(value) || isLambda(value)) throw BAIL;
    out.push(value);
  }
  return sequence(out);
}

const BOOLEAN_OPERATORS = new Set(['=', '!=', '<', '<=', '>', '>=', 'and', 'or', 'in']);

/** A predicate node whose value can only be a boolean or no value (never an index). */
export function isBooleanShaped(n: Node): boolean {
  if (n?.type === 'binary') return BOOLEAN_OPERATORS.has(String(n.value));
  const procedure = n?.procedure as Node | undefined;
  return n?.type === 'function' && procedure?.type === 'variable' && (procedure.value === 'not' || procedure.value === 'exists');
}

/**
 * JSONata's boolean cast (`$boolean`): undefined stays undefined; an object is true when it has a
 * key; an array is its one item's cast, or true when any of its items is; BAIL for lambdas.
 */
export function toBoolean(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.length > 0;
  if (isNumber(value)) return value !== 0;
  if (value === null) return false;
  if (isPlainRecord(value)) return Object.keys(value).length > 0;
  if (Array.isArray(value)) {
    if (value.length === 1) return toBoolean(value[0]) ?? false;
    return (value as unknown[]).some((v) => toBoolean(v) === true);
  }
  throw BAIL;
}
