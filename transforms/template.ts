import jsonata from 'jsonata';
import { TransformConfigError, type ConfigPath } from './errors.js';
import { compileExpression, type CompileContext, type CompiledExpression } from './expression.js';

/** A parsed template: literal text and compiled placeholders, in order. */
export type TemplatePart = string | CompiledExpression;

/**
 * Parses text with `{{ expression }}` placeholders. A placeholder ends at the first `}}` after which
 * the expression is complete, so object constructors (`{{ {"a": {"b": 1}} }}`) work; `\{{` writes a
 * literal `{{`. Errors are TransformConfigErrors at `path` whose `position` is the 1-based offset in
 * the template text.
 */
export function compileTemplate(text: string, path: ConfigPath, ctx: CompileContext): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('\\{{', i)) {
      literal += '{{';
      i += 3;
      continue;
    }
    if (!text.startsWith('{{', i)) {
      literal += text[i];
      i += 1;
      continue;
    }
    const start = i + 2;
    if (/^\s*}}/.test(text.slice(start))) {
      throw new TransformConfigError('invalid-template', `empty placeholder {{ }} at position ${i + 1} of the template`, {
        path,
        position: i + 1,
      });
    }
    const end = placeholderEnd(text, start, path);
    const source = text.slice(start, end);
    if (literal) parts.push(literal);
    literal = '';
    parts.push(compileShifted(source, start, path, ctx));
    i = end + 2;
  }
  if (literal) parts.push(literal);
  return parts;
}

/** Compiles a placeholder, reporting positions as offsets into the whole template. */
function compileShifted(source: string, start: number, path: ConfigPath, ctx: CompileContext): CompiledExpression {
  try {
    return compileExpression(source, path, ctx);
  } catch (err) {
    if (!(err instanceof TransformConfigError) || err.position === undefined) throw err;
    const position = start + err.position;
    throw new TransformConfigError(err.code, `in the placeholder at position ${start - 1} of the template: ${err.message}`, {
      path,
      position,
      cause: err,
    });
  }
}

/** The index of the `}}` closing the placeholder that starts at `start`. */
function placeholderEnd(text: string, start: number, path: ConfigPath): number {
  let firstError: { position?: number; message?: string } | undefined;
  let close = text.indexOf('}}', start);
  if (close < 0) {
    throw new TransformConfigError('invalid-template', `placeholder opened at position ${start - 1} is never closed with }}`, {
      path,
      position: start - 1,
    });
  }
  while (close >= 0) {
    try {
      jsonata(text.slice(start, close));
      return close;
    } catch (err) {
      firstError ??= err as { position?: number; message?: string };
    }
    close = text.indexOf('}}', close + 1);
  }
  const position = firstError?.position === undefined ? start + 1 : start + firstError.position;
  throw new TransformConfigError(
    'invalid-expression',
    `invalid expression in the placeholder at position ${start - 1} of the template (error at position ${position}): ${firstError?.message ?? 'syntax error'}`,
    { path, position },
  );
}

/** Text for a placeholder's value: text as is, numbers and booleans written out, nothing for no value, JSON otherwise. */
export function renderValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
