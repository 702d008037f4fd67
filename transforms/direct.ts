/* eslint-disable @typescript-eslint/only-throw-error -- BAIL is a sentinel thrown to leave the fast path, never an error a caller sees. */
import type { PipelineState } from './types.js';
import {
  apply,
  ARITHMETIC,
  BAIL,
  builtin,
  COMMON,
  FUNCTIONS,
  isLambda,
  isNumber,
  isPlainRecord,
  isScalar,
  isSequence,
  Lambda,
  list,
  lookup,
  only,
  onlyKeys,
  isBooleanShaped,
  plainReplacement,
  replaceWithRegex,
  mapName,
  SCALAR_FUNCTIONS,
  sequence,
  settle,
  shadowed,
  type Compiled,
  type Frame,
  type Node,
  type Run,
} from './direct-runtime.js';
import { compare, includes, scalarBuiltin, toBoolean, toText } from './direct-ops.js';

/**
 * A synchronous evaluator for the subset of JSONata that mapping rules mostly use: literals, blocks
 * with `:=`, variables, field paths (names, with a numeric index filter such as `$vars.units[$i]`;
 * a name after an array of objects maps over it, as `$u.lines.lot` does, without flattening; a
 * boolean predicate such as `lines[qty > 1]` filters),
 * object and array constructors, lambdas, `*` `+` `-` `/` `%`, `=` `!=`, `and` `or` (JSONata's
 * boolean cast of scalars, the right side evaluated only when JSONata does), `&` (JSONata's string
 * cast of scalars), `<` `<=` `>` `>=` (numbers with numbers, strings with strings), `in`, `?:`, and
 * the functions `$map`, `$filter`, `$number`, `$exists`, `$doc`, `$not`, `$count`, `$abs`, `$string`
 * (scalars), `$join` (strings), `$sort` (all strings or all numbers, no comparator), `$distinct`
 * (scalars), `$merge`, `$substring` and `$replace` (a literal regular expression and a replacement
 * naming groups `$1`–`$9`); object keys may be computed (`{ $k: … }`), and a tail call in a lambda
 * (JSONata's thunk) is evaluated in place. The operators and
 * casts are in transforms/direct-ops.ts. JSONata 2 evaluates every node asynchronously, which costs
 * more than the work itself for such expressions.
 *
 * It never decides anything JSONata might decide differently: the compiler accepts only those node
 * shapes, and at run time anything outside the cases whose result is certain (an array in the middle
 * of a path, a string that `$number` would refuse, a shadowed function, deep recursion, a long run…)
 * makes the whole evaluation answer `UNDECIDED`, and the caller evaluates it with JSONata. Expressions
 * have no side effects, so evaluating again is safe.
 */

const RESERVED_KEYS = new Set(['_jsonata_lambda', '_jsonata_function']);

/** The answer when this evaluator cannot be sure: evaluate with JSONata. */
export const UNDECIDED: unique symbol = Symbol('undecided');

/** What one evaluation sees: the variables bound for it and the state behind `$doc`. */
export type DirectScope = { bindings: Record<string, unknown>; state: PipelineState };

export type DirectLimits = { maxDepth: number; maxSequence: number; timeoutMs: number };

/** Runs a compiled expression against an input; returns UNDECIDED when JSONata must decide. */
export type DirectEvaluator = (input: unknown, scope: DirectScope) => unknown;

/** Compiles an expression's syntax tree, or undefined when it uses anything outside the subset. */
export function compileDirect(ast: unknown, limits: DirectLimits): DirectEvaluator | undefined {
  // The depth and sequence guards must not be close: JSONata's own would fire first.
  if (limits.maxDepth < 400 || limits.maxSequence < 1000) return undefined;
  const maxDepth = Math.min(60, Math.floor(limits.maxDepth / 2));
  let compiled: Compiled;
  try {
    compiled = new DirectCompiler(maxDepth, limits.maxSequence).node(ast as Node);
  } catch (err) {
    if (err === BAIL) return undefined;
    throw err;
  }
  const timeBudget = Math.max(1, Math.floor(limits.timeoutMs / 2));
  return (input, scope) => {
    if (Array.isArray(input)) return UNDECIDED;
    const run: Run = { scope, depth: 0, steps: 0, deadline: Date.now() + timeBudget, maxSequence: limits.maxSequence };
    try {
      const result = compiled(input, { vars: new Map(), parent: undefined }, run);
      if (isLambda(result)) return UNDECIDED;
      return result;
    } catch {
      return UNDECIDED;
    }
  };
}

/** Turns syntax-tree nodes into closures; throws BAIL at the first node outside the subset. */
class DirectCompiler {
  constructor(
    private readonly maxDepth: number,
    private readonly maxSequence: number,
  ) {}

  node(n: Node): Compiled {
    if (n === null || typeof n !== 'object' || typeof n.type !== 'string') throw BAIL;
    const inner = this.nodeBody(n);
    return (input, frame, run) => {
      if (++run.depth > this.maxDepth) throw BAIL;
      if ((++run.steps & 1023) === 0 && Date.now() > run.deadline) throw BAIL;
      const value = inner(input, frame, run);
      run.depth--;
      return value;
    };
  }

  private nodeBody(n: Node): Compiled {
    switch (n.type) {
      case 'string':
      case 'number':
      case 'value': {
        only(n, []);
        const value = n.value;
        if (!(
          value === null ||
          typeof value === 'string' ||
          typeof value === 'boolean' ||
          (typeof value === 'number' && Number.isFinite(value))
        ))
          throw BAIL;
        return () => value;
      }
      case 'variable':
        only(n, []);
        return this.variable(n.value);
      case 'block':
        return this.block(n);
      case 'bind':
        return this.bind(n);
      case 'path':
        only(n, ['steps']);
        return this.path(list(n.steps) as Node[]);
      case 'unary':
        if (n.value === '{') return this.objectConstructor(n);
        if (n.value === '[') return this.arrayConstructor(n);
        throw BAIL;
      case 'binary':
        only(n, ['lhs', 'rhs']);
        return this.binary(String(n.value), this.node(n.lhs as Node), this.node(n.rhs as Node));
      case 'function':
        only(n, ['arguments', 'procedure']);
        return this.call(n);
      case 'lambda':
        return this.lambda(n);
      case 'condition':
        return this.condition(n);
      default:
        throw BAIL;
    }
  }

  private block(n: Node): Compiled {
    only(n, ['expressions']);
    const parts = list(n.expressions).map((e) => this.node(e as Node));
    return (input, frame, run) => {
      const own: Frame = { vars: new Map(), parent: frame };
      let result: unknown;
      for (const part of parts) result = part(input, own, run);
      return result;
    };
  }

  private bind(n: Node): Compiled {
    only(n, ['lhs', 'rhs']);
    const lhs = n.lhs as Node;
    if (lhs?.type !== 'variable' || typeof lhs.value !== 'string' || lhs.value === '') throw BAIL;
    const name = lhs.value;
    const rhs = this.node(n.rhs as Node);
    return (input, frame, run) => {
      const value = rhs(input, frame, run);
      frame.vars.set(name, value);
      return value;
    };
  }

  /** `c ? a : b`: JSONata's boolean cast of the condition; no `else` gives no value. */
  private condition(n: Node): Compiled {
    only(n, ['condition', 'then', 'else']);
    const test = this.node(n.condition as Node);
    const then = this.node(n.then as Node);
    const otherwise = n.else === undefined ? undefined : this.node(n.else as Node);
    return (input, frame, run) => {
      if (toBoolean(test(input, frame, run))) return then(input, frame, run);
      return otherwise ? otherwise(input, frame, run) : undefined;
    };
  }

  private lambda(n: Node): Compiled {
    // A call in a lambda's tail position is parsed as a thunk, which JSONata evaluates in place
    // when the lambda returns it (tail calls): its body, with the same input and variables.
    if (n.thunk === true) {
      only(n, ['arguments', 'body', 'thunk']);
      if (list(n.arguments).length !== 0 || (n.body as Node)?.type !== 'function') throw BAIL;
      return this.node(n.body as Node);
    }
    only(n, ['arguments', 'body']);
    const params = list(n.arguments).map((a) => {
      const p = a as Node;
      if (p?.type !== 'variable' || typeof p.value !== 'string' || p.value === '') throw BAIL;
      return p.value;
    });
    const body = this.node(n.body as Node);
    return (input, frame): Lambda => new Lambda(params, body, frame, input);
  }

  private variable(name: unknown): Compiled {
    if (typeof name !== 'string') throw BAIL;
    if (name === '') return (input) => settle(input);
    return (_input, frame, run) => settle(lookup(name, frame, run));
  }

  private path(steps: Node[]): Compiled {
    if (steps.length === 0) throw BAIL;
    const [first, ...rest] = steps;
    const start = first!.type === 'name' ? this.nameStep(first!) : this.node(first!);
    const names = rest.map((s) => {
      if (s?.type !== 'name') throw BAIL;
      return this.nameStep(s);
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

  /** One name step (with at most one numeric index filter) over a plain object, or over an array of them (mapName). */
  private nameStep(n: Node): Compiled {
    only(n, ['stages']);
    if (typeof n.value !== 'string') throw BAIL;
    const key = n.value;
    const stages = n.stages === undefined ? [] : list(n.stages);
    if (stages.length > 1) throw BAIL;
    const stage = stages[0] as Node | undefined;
    if (stage && (stage.type !== 'filter' || !onlyKeys(stage, ['type', 'position', 'expr']))) throw BAIL;
    const index = stage ? this.node(stage.expr as Node) : undefined;
    if (index && isBooleanShaped(stage!.expr as Node)) return this.filterStep(key, index);
    return (input, frame, run) => {
      if (Array.isArray(input) && !index) return mapName(key, input, run);
      if (!isPlainRecord(input)) throw BAIL;
      const value = Object.prototype.hasOwnProperty.call(input, key) ? input[key] : undefined;
      if (!index) {
        if (Array.isArray(value) && isSequence(value)) throw BAIL;
        return value;
      }
      if (!Array.isArray(value) || isSequence(value)) throw BAIL;
      // JSONata evaluates the index per item with the item as context; with no context here, a
      // predicate that reads its context (`a[b]`) BAILs, and one that does not has the same value.
      const at = index(undefined, frame, run);
      if (typeof at !== 'number' || !Number.isFinite(at)) throw BAIL;
      let i = Math.floor(at);
      if (i < 0) i = value.length + i;
      const picked: unknown = value[i];
      if (i < 0 || i >= value.length) return undefined;
      if (picked === undefined || Array.isArray(picked)) throw BAIL;
      return picked;
    };
  }

  /**
   * `name[predicate]` where the predicate can only give a boolean or no value (a comparison, `and`,
   * `or`, `in`, `$not`, `$exists`): evaluated per item with the item as context, as JSONata does;
   * the items it is true for form a sequence. Any other predicate result BAILs.
   */
  private filterStep(key: string, predicate: Compiled): Compiled {
    return (input, frame, run) => {
      if (!isPlainRecord(input)) throw BAIL;
      const value = Object.prototype.hasOwnProperty.call(input, key) ? input[key] : undefined;
      if (value === undefined || (Array.isArray(value) && value.length === 0)) return undefined;
      if (Array.isArray(value) && (isSequence(value) || value.length >= this.maxSequence)) throw BAIL;
      const items = Array.isArray(value) ? (value as unknown[]) : [value];
      const out: unknown[] = [];
      for (const item of items) {
        if (Array.isArray(item) || isLambda(item)) throw BAIL;
        const keep = predicate(item, frame, run);
        if (keep === true) out.push(item);
        else if (keep !== false && keep !== undefined) throw BAIL;
      }
      return sequence(out);
    };
  }

  /**
   * `{ "key": value }`, and `{ $k: value }` whose key is computed: it must give a string no other
   * pair gives (JSONata refuses anything else), over a single input (JSONata groups an array's items).
   */
  private objectConstructor(n: Node): Compiled {
    only(n, ['lhs']);
    const seen = new Set<string>();
    const pairs = list(n.lhs).map((pair) => {
      const [k, v] = list(pair) as Node[];
      if (list(pair).length !== 2 || k === undefined) throw BAIL;
      if (k.type !== 'string') return { key: undefined, computed: this.node(k), value: this.node(v!) };
      if (typeof k.value !== 'string' || !onlyKeys(k, COMMON)) throw BAIL;
      if (seen.has(k.value) || RESERVED_KEYS.has(k.value)) throw BAIL;
      seen.add(k.value);
      return { key: k.value, computed: undefined, value: this.node(v!) };
    });
    const computed = pairs.some((p) => p.computed);
    const literalKeys = pairs.map((p) => p.key!); // every key, when none is computed: made once
    return (input, frame, run) => {
      if (!isPlainRecord(input)) throw BAIL;
      // JSONata evaluates every key before any value
      let keys = literalKeys;
      if (computed) {
        const taken = new Set<string>();
        keys = pairs.map((p) => {
          const k = p.computed ? p.computed(input, frame, run) : p.key;
          if (typeof k !== 'string' || RESERVED_KEYS.has(k) || taken.has(k) || (p.computed && seen.has(k))) throw BAIL;
          taken.add(k);
          return k;
        });
      }
      const out = Object.create(null) as Record<string, unknown>;
      pairs.forEach((p, i) => {
        const value = p.value(input, frame, run);
        if (isLambda(value)) throw BAIL;
        if (value !== undefined) out[keys[i]!] = value;
      });
      return out;
    };
  }

  private arrayConstructor(n: Node): Compiled {
    only(n, ['expressions']);
    const items = list(n.expressions).map((e) => ({
      nested: (e as Node)?.type === 'unary' && (e as Node).value === '[',
      value: this.node(e as Node),
    }));
    return (input, frame, run) => {
      const out: unknown[] = [];
      for (const item of items) {
        const value = item.value(input, frame, run);
        if (value === undefined) continue;
        if (isLambda(value)) throw BAIL;
        if (Array.isArray(value) && !item.nested) out.push(...(value as unknown[]));
        else out.push(value);
        if (out.length >= this.maxSequence) throw BAIL;
      }
      return out;
    };
  }

  private binary(op: string, lhs: Compiled, rhs: Compiled): Compiled {
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
    if (op === 'and' || op === 'or') {
      // JSONata evaluates the right-hand side only when the left one does not decide.
      const decides = op === 'or';
      return (input, frame, run) => {
        if ((toBoolean(lhs(input, frame, run)) ?? false) === decides) return decides;
        return toBoolean(rhs(input, frame, run)) ?? false;
      };
    }
    if (op === '&') {
      return (input, frame, run) => {
        const a = lhs(input, frame, run);
        const b = rhs(input, frame, run);
        return (a === undefined ? '' : toText(a)) + (b === undefined ? '' : toText(b));
      };
    }
    if (op === '<' || op === '<=' || op === '>' || op === '>=') {
      return (input, frame, run) => compare(op, lhs(input, frame, run), rhs(input, frame, run));
    }
    if (op === 'in') return (input, frame, run) => includes(lhs(input, frame, run), rhs(input, frame, run));
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

  private call(n: Node): Compiled {
    const procedure = n.procedure as Node;
    if (procedure?.type !== 'variable' || typeof procedure.value !== 'string' || !onlyKeys(procedure, COMMON)) throw BAIL;
    const name = procedure.value;
    if (name === 'replace') return this.replace(n);
    const args = list(n.arguments).map((a) => this.node(a as Node));
    if (!FUNCTIONS.has(name)) {
      // A lambda the expression bound itself (`$f := function…`) may be called; nothing else.
      return (input, frame, run) => {
        const fn = lookup(name, frame, run);
        if (!isLambda(fn)) throw BAIL;
        return apply(
          fn,
          args.map((a) => a(input, frame, run)),
          run,
        );
      };
    }
    return (input, frame, run) => {
      if (shadowed(name, frame, run)) throw BAIL;
      const values = args.map((a) => a(input, frame, run));
      return settle(SCALAR_FUNCTIONS.has(name) ? scalarBuiltin(name, values) : builtin(name, values, run));
    };
  }

  /** `$replace(text, /regex/, "replacement")`, the pattern a literal and the replacement plain (replaceWithRegex). */
  private replace(n: Node): Compiled {
    const [text, pattern, replacement, ...more] = list(n.arguments) as Node[];
    if (more.length > 0 || pattern?.type !== 'regex' || replacement?.type !== 'string') throw BAIL;
    if (!onlyKeys(pattern, COMMON) || !onlyKeys(replacement, COMMON)) throw BAIL;
    if (!(pattern.value instanceof RegExp) || typeof replacement.value !== 'string') throw BAIL;
    const { source, flags } = pattern.value;
    if (!flags.includes('g') || /[^gimsu]/.test(flags)) throw BAIL;
    const groups = (new RegExp(`${source}|`).exec('')?.length ?? 1) - 1;
    // with ten groups or more JSONata reads `$10` as group 10: only fewer are handled here
    if (groups >= 10 || !plainReplacement(replacement.value, groups)) throw BAIL;
    const regex = new RegExp(source, flags);
    const by = replacement.value;
    const value = this.node(text!);
    return (input, frame, run) => {
      if (shadowed('replace', frame, run)) throw BAIL;
      regex.lastIndex = 0;
      return replaceWithRegex(value(input, frame, run), regex, by);
    };
  }
}
