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
export const FUNCTIONS = new Set(['map', 'number', 'exists', 'doc', 'not', 'count', 'abs', 'string', 'join', 'sort']);
export const SCALAR_FUNCTIONS = new Set(['not', 'count', 'abs', 'string', 'join', 'sort']);
export const ARITHMETIC = new Set(['+', '-', '*', '/', '%']);
const NUMBER_TEXT = /^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$/;
/** Keys every node may carry besides its own; anything else (predicate, group, stages…) is refused. */
export const COMMON = ['type', 'position', 'value'];

/** `$exists`, `$number`, `$doc` and `$map` with JSONata's results, or BAIL where they could differ. */
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
    case 'map': {
      const [arr, fn] = values;
      if (values.length !== 2 || !isLambda(fn)) throw BAIL;
      if (arr === undefined) return undefined;
      if (!Array.isArray(arr) || isSequence(arr) || arr.length >= run.maxSequence) throw BAIL;
      const out: unknown[] = [];
      for (let i = 0; i < arr.length; i++) {
        const res = apply(fn, [arr[i], i, arr].slice(0, Math.max(1, Math.min(3, fn.params.length))), run);
        if (isLambda(res)) throw BAIL;
        if (res !== undefined) out.push(res);
      }
      return sequence(out);
    }
  }
  throw BAIL;
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
  if (items.length === 0 || items.length >= run.maxSequence) throw BAIL;
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
