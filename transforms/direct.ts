import type { PipelineState } from './types.js';

/**
 * A synchronous evaluator for the subset of JSONata that mapping rules mostly use: literals, blocks
 * with `:=`, variables, field paths (names, with a numeric index filter such as `$vars.units[$i]`),
 * object and array constructors, lambdas, `*` `+` `-` `/` `%`, `=` `!=`, and the functions `$map`,
 * `$number`, `$exists` and `$doc`. JSONata 2 evaluates every node asynchronously, which costs more
 * than the work itself for such expressions.
 *
 * It never decides anything JSONata might decide differently: the compiler accepts only those node
 * shapes, and at run time anything outside the cases whose result is certain (an array in the middle
 * of a path, a string that `$number` would refuse, a shadowed function, deep recursion, a long run…)
 * makes the whole evaluation answer `UNDECIDED`, and the caller evaluates it with JSONata. Expressions
 * have no side effects, so evaluating again is safe.
 */

/** The answer when this evaluator cannot be sure: evaluate with JSONata. */
export const UNDECIDED: unique symbol = Symbol('undecided');

/** What one evaluation sees: the variables bound for it and the state behind `$doc`. */
export type DirectScope = { bindings: Record<string, unknown>; state: PipelineState };

export type DirectLimits = { maxDepth: number; maxSequence: number; timeoutMs: number };

/** Runs a compiled expression against an input; returns UNDECIDED when JSONata must decide. */
export type DirectEvaluator = (input: unknown, scope: DirectScope) => unknown;

type Node = Record<string, unknown> & { type: string };
type Frame = { vars: Map<string, unknown>; parent: Frame | undefined };
type Run = { scope: DirectScope; depth: number; steps: number; started: number };
type Compiled = (input: unknown, frame: Frame, run: Run) => unknown;

/** A lambda defined by the expression: its parameters, body, defining frame and context. */
class Lambda {
  constructor(
    readonly params: string[],
    readonly body: Compiled,
    readonly frame: Frame,
    readonly input: unknown,
  ) {}
}

const BAIL = { bail: true };
const FUNCTIONS = new Set(['map', 'number', 'exists', 'doc']);
const ARITHMETIC = new Set(['+', '-', '*', '/', '%']);
const NUMBER_TEXT = /^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$/;
/** Keys every node may carry besides its own; anything else (predicate, group, stages…) is refused. */
const COMMON = ['type', 'position', 'value'];

/** Compiles an expression's syntax tree, or undefined when it uses anything outside the subset. */
export function compileDirect(ast: unknown, limits: DirectLimits): DirectEvaluator | undefined {
  // The depth and sequence guards must not be close: JSONata's own would fire first.
  if (limits.maxDepth < 400 || limits.maxSequence < 1000) return undefined;
  const maxDepth = Math.min(60, Math.floor(limits.maxDepth / 2));
  let compiled: Compiled;
  try {
    compiled = node(ast as Node);
  } catch (err) {
    if (err === BAIL) return undefined;
    throw err;
  }
  const timeBudget = Math.max(1, Math.floor(limits.timeoutMs / 2));
  return (input, scope) => {
    if (Array.isArray(input)) return UNDECIDED;
    const run: Run = { scope, depth: 0, steps: 0, started: Date.now() };
    try {
      const result = compiled(input, { vars: new Map(), parent: undefined }, run);
      if (isLambda(result)) return UNDECIDED;
      return result;
    } catch {
      return UNDECIDED;
    }
  };

  function node(n: Node): Compiled {
    if (n === null || typeof n !== 'object' || typeof n.type !== 'string') throw BAIL;
    const inner = nodeBody(n);
    return (input, frame, run) => {
      if (++run.depth > maxDepth) throw BAIL;
      if ((++run.steps & 1023) === 0 && Date.now() - run.started > timeBudget) throw BAIL;
      const value = inner(input, frame, run);
      run.depth--;
      return value;
    };
  }

  function nodeBody(n: Node): Compiled {
    switch (n.type) {
      case 'string':
      case 'number':
      case 'value': {
        only(n, []);
        const value = n.value;
        if (!(value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))) throw BAIL;
        return () => value;
      }
      case 'variable':
        only(n, []);
        return variable(n.value);
      case 'block': {
        only(n, ['expressions']);
        const parts = list(n.expressions).map((e) => node(e as Node));
        return (input, frame, run) => {
          const own: Frame = { vars: new Map(), parent: frame };
          let result: unknown;
          for (const part of parts) result = part(input, own, run);
          return result;
        };
      }
      case 'bind': {
        only(n, ['lhs', 'rhs']);
        const lhs = n.lhs as Node;
        if (lhs?.type !== 'variable' || typeof lhs.value !== 'string' || lhs.value === '') throw BAIL;
        const name = lhs.value;
        const rhs = node(n.rhs as Node);
        return (input, frame, run) => {
          const value = rhs(input, frame, run);
          frame.vars.set(name, value);
          return value;
        };
      }
      case 'path':
        only(n, ['steps']);
        return path(list(n.steps) as Node[]);
      case 'unary':
        if (n.value === '{') return objectConstructor(n);
        if (n.value === '[') return arrayConstructor(n);
        throw BAIL;
      case 'binary':
        only(n, ['lhs', 'rhs']);
        return binary(String(n.value), node(n.lhs as Node), node(n.rhs as Node));
      case 'function':
        only(n, ['arguments', 'procedure']);
        return call(n);
      case 'lambda': {
        only(n, ['arguments', 'body']);
        const params = list(n.arguments).map((a) => {
          const p = a as Node;
          if (p?.type !== 'variable' || typeof p.value !== 'string' || p.value === '') throw BAIL;
          return p.value;
        });
        const body = node(n.body as Node);
        return (input, frame): Lambda => new Lambda(params, body, frame, input);
      }
      default:
        throw BAIL;
    }
  }

  function variable(name: unknown): Compiled {
    if (typeof name !== 'string') throw BAIL;
    if (name === '') return (input) => settle(input);
    return (_input, frame, run) => settle(lookup(name, frame, run));
  }

  function path(steps: Node[]): Compiled {
    if (steps.length === 0) throw BAIL;
    const [first, ...rest] = steps;
    const start = first!.type === 'name' ? nameStep(first!) : node(first!);
    const names = rest.map((s) => {
      if (s?.type !== 'name') throw BAIL;
      return nameStep(s);
    });
    const relative = first!.type === 'name';
    return (input, frame, run) => {
      if (relative && Array.isArray(input)) throw BAIL;
      let current = start(input, frame, run);
      for (const step of names) {
        if (current === undefined) return undefined;
        current = step(current, frame, run);
      }
      return current;
    };
  }

  /** One name step (with at most one numeric index filter) over a single plain object. */
  function nameStep(n: Node): Compiled {
    only(n, ['stages']);
    if (typeof n.value !== 'string') throw BAIL;
    const key = n.value;
    const stages = n.stages === undefined ? [] : list(n.stages);
    if (stages.length > 1) throw BAIL;
    const stage = stages[0] as Node | undefined;
    if (stage && (stage.type !== 'filter' || !onlyKeys(stage, ['type', 'position', 'expr']))) throw BAIL;
    const index = stage ? node(stage.expr as Node) : undefined;
    return (input, frame, run) => {
      if (!isPlainRecord(input)) throw BAIL;
      const value = Object.prototype.hasOwnProperty.call(input, key) ? input[key] : undefined;
      if (!index) {
        if (Array.isArray(value) && (value.length === 0 || isSequence(value))) throw BAIL;
        return value;
      }
      if (!Array.isArray(value) || isSequence(value)) throw BAIL;
      const at = index(value, frame, run);
      if (typeof at !== 'number' || !Number.isFinite(at)) throw BAIL;
      let i = Math.floor(at);
      if (i < 0) i = value.length + i;
      const picked = value[i];
      if (i < 0 || i >= value.length) return undefined;
      if (picked === undefined || Array.isArray(picked)) throw BAIL;
      return picked;
    };
  }

  function objectConstructor(n: Node): Compiled {
    only(n, ['lhs']);
    const seen = new Set<string>();
    const pairs = list(n.lhs).map((pair) => {
      const [k, v] = list(pair) as Node[];
      if (k?.type !== 'string' || typeof k.value !== 'string' || !onlyKeys(k, COMMON) || list(pair).length !== 2) throw BAIL;
      if (seen.has(k.value) || k.value === '_jsonata_lambda' || k.value === '_jsonata_function') throw BAIL;
      seen.add(k.value);
      return { key: k.value, value: node(v!) };
    });
    return (input, frame, run) => {
      if (!isPlainRecord(input)) throw BAIL;
      const out: Record<string, unknown> = Object.create(null);
      for (const p of pairs) {
        const value = p.value(input, frame, run);
        if (isLambda(value)) throw BAIL;
        if (value !== undefined) out[p.key] = value;
      }
      return out;
    };
  }

  function arrayConstructor(n: Node): Compiled {
    only(n, ['expressions']);
    const items = list(n.expressions).map((e) => ({ nested: (e as Node)?.type === 'unary' && (e as Node).value === '[', value: node(e as Node) }));
    return (input, frame, run) => {
      const out: unknown[] = [];
      for (const item of items) {
        const value = item.value(input, frame, run);
        if (value === undefined) continue;
        if (isLambda(value)) throw BAIL;
        if (Array.isArray(value) && !item.nested) out.push(...value);
        else out.push(value);
        if (out.length >= limits.maxSequence) throw BAIL;
      }
      return out;
    };
  }

  function binary(op: string, lhs: Compiled, rhs: Compiled): Compiled {
    if (ARITHMETIC.has(op)) {
      return (input, frame, run) => {
        const a = lhs(input, frame, run);
        const b = rhs(input, frame, run);
        if ((a !== undefined && !isNumber(a)) || (b !== undefined && !isNumber(b))) throw BAIL;
        if (a === undefined || b === undefined) return undefined;
        const result = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : op === '/' ? a / b : a % b;
        if (!Number.isFinite(result)) throw BAIL;
        return result;
      };
    }
    if (op === '=' || op === '!=') {
      return (input, frame, run) => {
        const a = lhs(input, frame, run);
        const b = rhs(input, frame, run);
        if (a === undefined || b === undefined) return false;
        if (!isScalar(a) || !isScalar(b)) throw BAIL;
        return op === '=' ? a === b : a !== b;
      };
    }
    throw BAIL;
  }

  function call(n: Node): Compiled {
    const procedure = n.procedure as Node;
    if (procedure?.type !== 'variable' || typeof procedure.value !== 'string' || !onlyKeys(procedure, COMMON)) throw BAIL;
    const name = procedure.value;
    const args = list(n.arguments).map((a) => node(a as Node));
    if (!FUNCTIONS.has(name)) {
      // A lambda the expression bound itself (`$f := function…`) may be called; nothing else.
      return (input, frame, run) => {
        const fn = lookup(name, frame, run);
        if (!isLambda(fn)) throw BAIL;
        return apply(fn, args.map((a) => a(input, frame, run)), run);
      };
    }
    return (input, frame, run) => {
      if (shadowed(name, frame, run)) throw BAIL;
      const values = args.map((a) => a(input, frame, run));
      return settle(builtin(name, values, run));
    };
  }

  function builtin(name: string, values: unknown[], run: Run): unknown {
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
        if (!Array.isArray(arr) || isSequence(arr) || arr.length >= limits.maxSequence) throw BAIL;
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
}

function apply(fn: Lambda, args: unknown[], run: Run): unknown {
  const frame: Frame = { vars: new Map(), parent: fn.frame };
  fn.params.forEach((p, i) => frame.vars.set(p, args[i]));
  return fn.body(fn.input, frame, run);
}

function lookup(name: string, frame: Frame | undefined, run: Run): unknown {
  for (let f = frame; f; f = f.parent) if (f.vars.has(name)) return f.vars.get(name);
  const { bindings } = run.scope;
  if (Object.prototype.hasOwnProperty.call(bindings, name)) return bindings[name];
  // Helpers and JSONata's built-in functions are not values this evaluator hands around.
  throw BAIL;
}

function shadowed(name: string, frame: Frame | undefined, run: Run): boolean {
  for (let f = frame; f; f = f.parent) if (f.vars.has(name)) return true;
  return Object.prototype.hasOwnProperty.call(run.scope.bindings, name);
}

/** A JSONata sequence marker: results of $map with several items (one item is the item itself). */
const SEQUENCES = new WeakSet<unknown[]>();

function sequence(items: unknown[]): unknown {
  if (items.length === 0) return undefined;
  if (items.length === 1) return items[0];
  SEQUENCES.add(items);
  return items;
}

function isSequence(value: unknown[]): boolean {
  return SEQUENCES.has(value) || (value as { sequence?: unknown }).sequence === true;
}

/** What JSONata does to every node's value: a sequence of one is its item, an empty one no value. */
function settle(value: unknown): unknown {
  if (Array.isArray(value) && isSequence(value)) {
    if (value.length === 0) return undefined;
    if (value.length === 1) throw BAIL;
  }
  return value;
}

function isLambda(value: unknown): value is Lambda {
  return value instanceof Lambda;
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isScalar(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || isNumber(value);
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const v = value as { _jsonata_function?: unknown; _jsonata_lambda?: unknown };
  return !v._jsonata_function && !v._jsonata_lambda;
}

function list(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw BAIL;
  return value;
}

function only(n: Node, extra: string[]): void {
  if (!onlyKeys(n, [...COMMON, ...extra])) throw BAIL;
}

/** True when every key of `n` holding a value is allowed (the parser leaves some keys undefined). */
function onlyKeys(n: object, allowed: string[]): boolean {
  for (const key of Object.keys(n)) if (!allowed.includes(key) && (n as Record<string, unknown>)[key] !== undefined) return false;
  return true;
}
