import jsonata from 'jsonata';
import { InterlaceError } from '../lib/errors.js';
import { keepAliveFetch } from '../routes/destinations/http-request.js';
import { describeSite, TransformConfigError, TransformMappingError, type ConfigPath, type EvalSite } from './errors.js';
import { registerHelpers, STATE_SLOT, type EvalContext } from './helpers.js';
import { compileDirect, UNDECIDED as DIRECT_UNDECIDED } from './direct.js';
import { fastPathOf, UNDECIDED } from './fast-path.js';
import { toJsonValue } from './json-value.js';
import { TableIndex } from './tables.js';
import { DEFAULT_LIMITS, type ExpressionLimits, type PipelineState, type TransformDeps } from './types.js';

/** Everything compiling an expression needs, resolved once per pipeline, condition or body. */
export type CompileContext = {
  tables: TableIndex;
  limits: ExpressionLimits;
  clock: () => number;
  /** How `enrich` steps make HTTP calls (kept-alive node:http connections; `interlace test` answers from its cases). */
  fetch: typeof fetch;
};

export function compileContext(deps: TransformDeps): CompileContext {
  return {
    tables: new TableIndex(deps.tables ?? {}),
    limits: { ...DEFAULT_LIMITS, ...deps.limits },
    clock: deps.clock ?? Date.now,
    fetch: deps.fetch ?? keepAliveFetch,
  };
}

/** A compiled expression. `evaluate` resolves to a JSON value or undefined ("no value"). */
export type CompiledExpression = {
  readonly source: string;
  /**
   * Evaluates against the state. `focus` replaces the input (the context `$`) when given, e.g. the
   * current item of a `forEach`; the state stays reachable as `$message`, `$vars`… Extra variables
   * are bound as `$name`.
   */
  evaluate(state: PipelineState, site: EvalSite, options?: { focus?: unknown; variables?: Record<string, unknown> }): Promise<unknown>;
};

type JsonataError = { code?: string; position?: number; token?: string; message?: string; value?: unknown; value2?: unknown };

/**
 * Compiles one JSONata expression with the guard rails on. Throws a TransformConfigError at `path`:
 * `invalid-expression` for a syntax error (with JSONata's position), `unsafe-expression` for `$eval`
 * or a regular expression with nested quantifiers, `unknown-table`/`unknown-column` for a `$lookup`
 * whose table or column is written literally and does not exist.
 */
export function compileExpression(source: string, path: ConfigPath, ctx: CompileContext): CompiledExpression {
  let expr: jsonata.Expression;
  try {
    expr = jsonata(source, { timeout: ctx.limits.timeoutMs, stack: ctx.limits.maxDepth, sequence: ctx.limits.maxSequence });
  } catch (err) {
    if (err instanceof RangeError) {
      throw new TransformConfigError('invalid-expression', 'invalid expression: it is nested too deeply to compile', { path, cause: err });
    }
    const e = err as JsonataError;
    const where = e.position === undefined ? '' : ` at position ${e.position}`;
    throw new TransformConfigError(
      'invalid-expression',
      `invalid expression${where}: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}`,
      { path, position: e.position, cause: err },
    );
  }
  checkAst(expr.ast(), path, ctx);
  registerHelpers(expr, ctx);
  // A plain field path (`itemNumber`, `quantity.unit`) is read directly when it lands on a scalar.
  // Only where JSONata's depth guard (1 level) and the result-size guard (1 value) cannot fire.
  const fast = ctx.limits.maxDepth >= 2 && ctx.limits.maxResultNodes >= 1 ? fastPathOf(expr.ast()) : undefined;
  // Otherwise (and when such a path lands on an object or array) the common subset (blocks, paths,
  // constructors, lambdas, $map…) runs synchronously, falling back to JSONata whenever it cannot be
  // sure of JSONata's answer (transforms/direct.ts).
  const direct = compileDirect(expr.ast(), ctx.limits);
  return {
    source,
    async evaluate(state, site, options) {
      const input = options && 'focus' in options ? options.focus : stateView(state);
      if (fast) {
        const value = fast(input);
        if (value !== UNDECIDED) return value;
      }
      const slot: EvalContext = { state, nowMs: ctx.clock() };
      const bindings: Record<string, unknown> = {
        ...options?.variables,
        message: state.message,
        canonical: state.canonical,
        meta: state.meta,
        vars: state.vars,
        [STATE_SLOT]: slot,
      };
      if (direct) {
        const value = direct(input, { bindings, state });
        if (value !== DIRECT_UNDECIDED) return toJsonValue(value, site, ctx.limits.maxResultNodes);
      }
      let result: unknown;
      jsonataEvaluations.count++;
      try {
        result = await oneAtATime(() => expr.evaluate(input, bindings));
      } catch (err) {
        throw runtimeError(err, site, ctx.limits);
      }
      return toJsonValue(result, site, ctx.limits.maxResultNodes);
    },
  };
}

/**
 * Evaluations JSONata ran (neither shortcut decided) since the process started; read by the
 * processing benchmark. One increment on a path that then awaits a JSONata evaluation.
 */
export const jsonataEvaluations = { count: 0 };

let queueTail: Promise<unknown> = Promise.resolve();

/**
 * Runs evaluations one after another, process-wide. JSONata yields at every step of an evaluation,
 * so concurrent evaluations would interleave and each one's wall-clock timeout would count the time
 * spent on the others: under load, every expression would time out. Serialising them costs no
 * throughput (evaluation is CPU work on the one JavaScript thread) and makes the timeout measure the
 * expression's own running time.
 */
function oneAtATime<T>(run: () => Promise<T>): Promise<T> {
  const result = queueTail.then(run);
  queueTail = result.catch(() => undefined);
  return result;
}

/** The input object expressions see: the state without the raw bytes. */
function stateView(state: PipelineState): Record<string, unknown> {
  return { message: state.message, canonical: state.canonical, meta: state.meta, vars: state.vars };
}

/** Maps an evaluation failure to a MappingError without copying values from the message into it. */
function runtimeError(err: unknown, site: EvalSite, limits: ExpressionLimits): TransformMappingError {
  const where = describeSite(site);
  if (err instanceof TransformMappingError && err.message.startsWith(where)) return err;
  if (err instanceof InterlaceError) {
    return new TransformMappingError(err.code, `${where}: ${err.message}`, { ...site, cause: err });
  }
  const e = (err ?? {}) as JsonataError;
  switch (e.code) {
    case 'D1012':
      return new TransformMappingError(
        'expression-timeout',
        `${where}: the expression ran longer than ${limits.timeoutMs} ms and was stopped`,
        { ...site, cause: err },
      );
    case 'D1011':
      return new TransformMappingError(
        'expression-too-deep',
        `${where}: the expression nested or recursed deeper than ${limits.maxDepth} levels and was stopped`,
        { ...site, cause: err },
      );
    case 'D2014':
    case 'D2015':
      return new TransformMappingError(
        'result-too-large',
        `${where}: the expression built a sequence longer than ${limits.maxSequence} items`,
        { ...site, cause: err },
      );
    default:
      break;
  }
  const position = e.position === undefined ? '' : ` at position ${e.position}`;
  const code = e.code ? ` (JSONata ${e.code}${position})` : position;
  return new TransformMappingError('expression-failed', `${where}: ${withheld(e)}${code}`, { ...site, cause: err });
}

/** JSONata's message with the offending values (which may come from the message) replaced. */
function withheld(e: JsonataError): string {
  let text = typeof e.message === 'string' && e.message ? e.message : 'evaluation failed';
  for (const v of [e.value, e.value2]) {
    if (v === undefined) continue;
    const shown = JSON.stringify(v);
    if (shown) text = text.split(shown).join('(value withheld)');
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** A group holding a quantifier that is itself quantified: `(a+)+`, `(\w*\s?)*`, `(x{1,})+`. */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*(?:[+*]|\{\d+,\d*\})(?:[^()\\]|\\.)*\)(?:[+*]|\{\d+,\d*\})/;

/** Static checks over the syntax tree; see compileExpression. */
function checkAst(ast: unknown, path: ConfigPath, ctx: CompileContext): void {
  const seen = new Set<object>();
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    if (node instanceof RegExp) return;
    const n = node as {
      type?: string;
      value?: unknown;
      position?: number;
      procedure?: { type?: string; value?: unknown };
      arguments?: unknown[];
    };
    if (n.type === 'variable' && n.value === 'eval') {
      throw new TransformConfigError(
        'unsafe-expression',
        `$eval is not allowed in mapping rules (at position ${n.position}); write the expression out instead`,
        { path, position: n.position },
      );
    }
    if (n.type === 'regex' && n.value instanceof RegExp && NESTED_QUANTIFIER.test(n.value.source)) {
      throw new TransformConfigError(
        'unsafe-expression',
        `the regular expression /${n.value.source}/ at position ${n.position} repeats a repeated group, which can take exponential time; rewrite it without nested quantifiers`,
        { path, position: n.position },
      );
    }
    if (n.type === 'function' && n.procedure?.type === 'variable' && n.procedure.value === 'lookup') checkLookupCall(n, path, ctx);
    for (const value of Object.values(node)) visit(value);
  };
  visit(ast);
}

function checkLookupCall(n: { position?: number; arguments?: unknown[] }, path: ConfigPath, ctx: CompileContext): void {
  const [table, , column] = (n.arguments ?? []) as { type?: string; value?: unknown }[];
  if (table?.type !== 'string' || typeof table.value !== 'string') return;
  const columns = ctx.tables.columns(table.value);
  if (!columns) {
    throw new TransformConfigError(
      'unknown-table',
      `$lookup at position ${n.position} names table ${JSON.stringify(table.value)}, which is not loaded; known tables: ${ctx.tables.names().join(', ') || '(none)'}`,
      { path, position: n.position },
    );
  }
  if (column?.type === 'string' && typeof column.value === 'string' && !columns.includes(column.value)) {
    throw new TransformConfigError(
      'unknown-column',
      `$lookup at position ${n.position} asks for column ${JSON.stringify(column.value)} of table ${JSON.stringify(table.value)}, which has columns ${columns.join(', ')}`,
      { path, position: n.position },
    );
  }
}
