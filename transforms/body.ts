import iconv from 'iconv-lite';
import type { RoutePayload } from '../routes/types.js';
import { TransformConfigError, TransformMappingError, withPlace, type EvalSite } from './errors.js';
import { compileContext, compileExpression, type CompiledExpression } from './expression.js';
import { asItems, isTruthy } from './json-value.js';
import { BODY_KINDS, bodySchema, type BodyConfig } from './schema.js';
import { writeFlat } from '../parsers/flat/write.js';
import type { FlatColumn } from '../parsers/flat/layout.js';
import { compileTemplate, renderValue } from './template.js';
import type { PipelineState, TransformDeps } from './types.js';
import type { ErrorCode } from '../lib/error-codes.js';

/**
 * Compiles a route condition. The function resolves true when the expression is truthy (JSONata's
 * `$boolean` rules) and rejects with a TransformMappingError when evaluation fails. A syntax error
 * throws a TransformConfigError with `path: []`.
 */
export function compileCondition(expr: string, deps: TransformDeps): (state: PipelineState) => Promise<boolean> {
  if (typeof expr !== 'string' || expr.trim() === '') {
    throw new TransformConfigError('invalid-expression', 'a condition must be a non-empty expression (text)', { path: [] });
  }
  const compiled = withPlace(
    () => 'condition',
    () => compileExpression(expr, [], compileContext(deps)),
  );
  const site: EvalSite = { kind: 'condition', field: 'when' };
  return async (state) => isTruthy(await compiled.evaluate(state, site));
}

/**
 * Compiles a channel's business keys (`keys:`, name → expression). The function resolves every
 * (name, value) the expressions give for a message: text or a number, or a list of them; empty and
 * absent values are left out, and a key whose expression fails is left out too (a key never decides
 * a message's fate). Syntax errors throw a TransformConfigError naming `keys.<name>`.
 */
export function compileKeys(
  keys: Record<string, string>,
  deps: TransformDeps,
): (state: PipelineState) => Promise<Array<{ name: string; value: string }>> {
  const ctx = compileContext(deps);
  const compiled = Object.entries(keys).map(
    ([name, expr]) =>
      [
        name,
        withPlace(
          () => `key ${name}`,
          () => compileExpression(expr, [name], ctx),
        ),
      ] as const,
  );
  return async (state) => {
    const out: Array<{ name: string; value: string }> = [];
    for (const [name, c] of compiled) {
      const v = await c.evaluate(state, { kind: 'key', field: name }).catch(() => undefined);
      for (const item of Array.isArray(v) ? (v as unknown[]) : [v])
        if ((typeof item === 'string' && item.trim() !== '') || typeof item === 'number')
          out.push({ name, value: String(item).trim().slice(0, 200) });
    }
    return out;
  };
}

const DEFAULT_TYPES = {
  json: 'application/json',
  template: 'text/plain',
  raw: 'application/octet-stream',
  csv: 'text/csv',
  fixed: 'text/plain',
} as const;

/**
 * Compiles a route body into a function building the RoutePayload for one message. Errors while
 * compiling are TransformConfigErrors whose path is relative to the body (`['headers', 'X-Id']`);
 * errors while building are TransformMappingErrors naming the body field that failed.
 */
export function compileBody(body: BodyConfig, deps: TransformDeps): (state: PipelineState) => Promise<RoutePayload> {
  return withPlace(
    (err) => `body ${err.path.join('.')}`.trimEnd(),
    () => compileBodyParts(body, deps),
  );
}

function compileBodyParts(body: BodyConfig, deps: TransformDeps): (state: PipelineState) => Promise<RoutePayload> {
  const ctx = compileContext(deps);
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    throw new TransformConfigError('invalid-body', issue.message, { path });
  }
  const kinds = BODY_KINDS.filter((k) => body[k] !== undefined);
  const kind = kinds[0]!;
  const contentType = body.contentType ?? DEFAULT_TYPES[kind];
  const charset = body.charset ?? 'utf-8';
  if (!iconv.encodingExists(charset)) {
    throw new TransformConfigError(
      'unknown-charset',
      `charset ${JSON.stringify(charset)} is not known; use e.g. utf-8, latin1 or windows-1252`,
      { path: ['charset'] },
    );
  }
  const json = body.json === undefined ? undefined : compileExpression(body.json, ['json'], ctx);
  const template = body.template === undefined ? undefined : compileTemplate(body.template, ['template'], ctx);
  const headers = Object.entries(body.headers ?? {}).map(([name, source]) => ({
    name,
    expr: compileExpression(source, ['headers', name], ctx),
  }));
  const path = body.path === undefined ? undefined : compileExpression(body.path, ['path'], ctx);
  const flat = body.csv
    ? { format: 'csv' as const, spec: body.csv }
    : body.fixed
      ? { format: 'fixed' as const, spec: body.fixed }
      : undefined;
  const flatRows = flat ? compileExpression(flat.spec.rows, [flat.format, 'rows'], ctx) : undefined;

  return async (state) => {
    let text: string;
    if (json) {
      const site: EvalSite = { kind: 'body', field: 'json' };
      const value = await json.evaluate(state, site);
      if (value === undefined)
        throw new TransformMappingError('empty-body', 'body json: the expression produced no value; expected the document to send', site);
      text = JSON.stringify(value);
    } else if (template) {
      text = await renderTemplate(template, state);
    } else if (flat && flatRows) {
      text = await flatText(
        flat.format,
        flat.spec as FlatBody,
        await flatRows.evaluate(state, { kind: 'body', field: `${flat.format}.rows` }),
      );
    } else {
      text = rawText(state, charset);
    }
    const payload: RoutePayload = { body: text, contentType };
    if (headers.length > 0) {
      const out: Record<string, string> = {};
      for (const h of headers) {
        const value = singleLine(await h.expr.evaluate(state, { kind: 'body', field: `headers.${h.name}` }), `headers.${h.name}`);
        if (value !== undefined) out[h.name] = value;
      }
      payload.headers = out;
    }
    if (path) {
      const value = singleLine(await path.evaluate(state, { kind: 'body', field: 'path' }), 'path');
      if (value !== undefined) payload.path = value;
    }
    return payload;
  };
}

type FlatBody = { columns: FlatColumn[]; delimiter?: string; quote?: string; header?: boolean; lineBreak: 'crlf' | 'lf' };

/** Rows written as CSV or fixed-width; a value that does not fit its column fails the message, never cut. */
async function flatText(format: 'csv' | 'fixed', spec: FlatBody, rows: unknown): Promise<string> {
  const site = { kind: 'body', field: `${format}.rows` };
  const list = asItems(rows);
  if (!list.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) {
    throw new TransformMappingError('invalid-rows', `body ${format}.rows: expected an array of objects (column name → value)`, site);
  }
  if (list.length === 0) throw new TransformMappingError('empty-body', `body ${format}.rows: the expression produced no rows`, site);
  try {
    return await writeFlat(format, { ...spec, lineBreak: spec.lineBreak === 'lf' ? '\n' : '\r\n' }, list as Record<string, unknown>[]);
  } catch (err) {
    throw new TransformMappingError('value-does-not-fit', `body ${format}: ${(err as Error).message}`, site);
  }
}

async function renderTemplate(parts: (string | CompiledExpression)[], state: PipelineState): Promise<string> {
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    out +=
      typeof part === 'string' ? part : renderValue(await part.evaluate(state, { kind: 'body', field: `template placeholder ${i + 1}` }));
  }
  return out;
}

function rawText(state: PipelineState, charset: string): string {
  if (state.raw === undefined) {
    throw new TransformMappingError('raw-unavailable', 'body raw: the original bytes were not handed to the route', { kind: 'body' });
  }
  return typeof state.raw === 'string'
    ? state.raw
    : iconv.decode(Buffer.from(state.raw.buffer, state.raw.byteOffset, state.raw.byteLength), charset);
}

/** A header or path value: text on one line, or undefined when empty. */
function singleLine(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new TransformMappingError(
      codeFor(field),
      `body ${field}: the expression produced ${Array.isArray(value) ? 'an array' : 'an object'}; expected text`,
      { kind: 'body' },
    );
  }
  const text = String(value);
  if (/[\r\n\0]/.test(text)) {
    throw new TransformMappingError(codeFor(field), `body ${field}: the value contains a line break or NUL; expected one line of text`, {
      kind: 'body',
    });
  }
  return text;
}

function codeFor(field: string): ErrorCode {
  return field === 'path' ? 'invalid-path' : 'invalid-header';
}
