import jsonata from 'jsonata';
import { TransformMappingError } from './errors.js';
import { copyRow, lookupKey } from './tables.js';
import type { CompileContext } from './expression.js';
import type { PipelineState } from './types.js';
import type { ErrorCode } from '../lib/error-codes.js';

/**
 * The name under which each evaluation binds its state for the helper functions. It contains a
 * space, so no JSONata expression can name, read or rebind it.
 */
export const STATE_SLOT = 'interlace state';

/** What one evaluation hands its helpers: the state and the instant `$now()` reports. */
export type EvalContext = { state: PipelineState; nowMs: number };

/** The widest `$pad` allowed: a guard against one call allocating a huge string. */
export const MAX_PAD = 100_000;

type Focus = { environment: { lookup(name: string): unknown } };

const fromMillis = jsonata('$fromMillis($ms, $picture, $zone)');
const builtinPad = jsonata('$pad($s, $width, $char)');

function slotOf(focus: Focus): EvalContext {
  const slot = focus.environment.lookup(STATE_SLOT) as EvalContext | undefined;
  if (!slot)
    throw new TransformMappingError('expression-failed', 'a helper function was called outside a mapping evaluation', { kind: 'helper' });
  return slot;
}

function helperError(code: ErrorCode, message: string): TransformMappingError {
  return new TransformMappingError(code, message, { kind: 'helper' });
}

/**
 * Registers the helpers every mapping expression sees, replacing JSONata built-ins of the same name:
 *
 * - `$lookup(table, key[, column])`: the row of `table` whose first column equals `key` (a copy), or
 *   that row's `column`; undefined when the key is absent or not found.
 * - `$doc(kind)`: the first canonical document of that kind, or undefined. `$docs([kind])`: all of
 *   them (every document without an argument), always an array.
 * - `$now([picture[, timezone]])`, `$millis()`: the evaluation's clock (injectable for tests).
 * - `$eval`: refused (also rejected at compile time).
 * - `$pad`: JSONata's, with the width capped at MAX_PAD.
 */
export function registerHelpers(expr: jsonata.Expression, ctx: CompileContext): void {
  expr.registerFunction('lookup', function (this: Focus, table: unknown, key: unknown, column?: unknown) {
    return lookupHelper(ctx, table, key, column);
  });
  expr.registerFunction('doc', function (this: Focus, kind: unknown) {
    if (typeof kind !== 'string') throw helperError('invalid-argument', '$doc(kind) needs the kind as text, e.g. $doc("supply-usage")');
    return slotOf(this).state.canonical.find((d) => d.kind === kind);
  });
  expr.registerFunction('docs', function (this: Focus, kind?: unknown) {
    const all = slotOf(this).state.canonical;
    if (kind === undefined) return [...all];
    if (typeof kind !== 'string') throw helperError('invalid-argument', '$docs(kind) needs the kind as text, e.g. $docs("charge")');
    return all.filter((d) => d.kind === kind);
  });
  expr.registerFunction('now', async function (this: Focus, picture?: unknown, zone?: unknown) {
    const ms = slotOf(this).nowMs;
    if (picture === undefined && zone === undefined) return new Date(ms).toISOString();
    return (await fromMillis.evaluate({}, { ms, picture, zone })) as unknown;
  });
  expr.registerFunction('millis', function (this: Focus) {
    return slotOf(this).nowMs;
  });
  expr.registerFunction('eval', function () {
    throw helperError('unsafe-expression', '$eval is not allowed in mapping rules');
  });
  expr.registerFunction('pad', async function (s: unknown, width: unknown, char?: unknown) {
    if (typeof width === 'number' && Math.abs(width) > MAX_PAD) {
      throw helperError('result-too-large', `$pad width ${width} exceeds the limit of ${MAX_PAD}`);
    }
    return (await builtinPad.evaluate({}, { s, width, char })) as unknown;
  });
}

function lookupHelper(ctx: CompileContext, table: unknown, key: unknown, column: unknown): unknown {
  if (typeof table !== 'string') throw helperError('invalid-argument', '$lookup(table, key[, column]) needs the table name as text');
  const columns = ctx.tables.columns(table);
  if (!columns) throw helperError('unknown-table', `$lookup: there is no lookup table named ${JSON.stringify(table)}`);
  if (column !== undefined && (typeof column !== 'string' || !columns.includes(column))) {
    throw helperError(
      'unknown-column',
      `$lookup: table ${JSON.stringify(table)} has no column ${JSON.stringify(column)}; its columns are ${columns.join(', ')}`,
    );
  }
  const k = lookupKey(key);
  if (!k.ok)
    throw helperError('invalid-lookup-key', `$lookup: the key for table ${JSON.stringify(table)} is ${k.got}; expected text or a number`);
  if (k.key === undefined) return undefined;
  const row = ctx.tables.find(table, k.key);
  if (!row) return undefined;
  return column === undefined ? copyRow(row) : row[column as string];
}
