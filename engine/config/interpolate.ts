/**
 * `${VAR}` / `${VAR:-default}` interpolation of scalar values, applied to the YAML tree before
 * validation so every diagnostic keeps the position of the scalar it came from.
 *
 * - `${VAR}`: the variable's value; an error (`env-unset`) when it is not set.
 * - `${VAR:-default}`: the default when the variable is unset or empty (as in a POSIX shell).
 * - `${VAR:+word}`: `word` when the variable is set and not empty, else empty (as in a POSIX shell);
 *   `enabled: ${AS2_PORT:+true}` turns a channel on only when AS2_PORT is set (an empty flag is false).
 * - `$${`: a literal `${` (nothing is interpolated).
 * The result is always a string; schemas coerce numbers and booleans where they expect one.
 */

export type Env = Record<string, string | undefined>;

export type InterpolationProblem = { code: 'env-unset' | 'invalid-interpolation'; message: string };

export type InterpolationResult = { value: string; changed: boolean; problems: InterpolationProblem[] };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Interpolates one string. Problems are collected, not thrown: the caller adds positions. */
export function interpolate(text: string, env: Env): InterpolationResult {
  if (!text.includes('${')) return { value: text, changed: false, problems: [] };
  const problems: InterpolationProblem[] = [];
  let out = '';
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('$', i);
    if (start < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, start);
    if (text.startsWith('$${', start)) {
      out += '${';
      i = start + 3;
      continue;
    }
    if (!text.startsWith('${', start)) {
      out += '$';
      i = start + 1;
      continue;
    }
    const end = text.indexOf('}', start + 2);
    if (end < 0) {
      problems.push({
        code: 'invalid-interpolation',
        message: `"${clip(text.slice(start))}" has no closing "}"; write $\${ for a literal \${`,
      });
      out += text.slice(start);
      break;
    }
    const expr = text.slice(start + 2, end);
    out += resolve(expr, env, problems);
    i = end + 1;
  }
  return { value: out, changed: true, problems };
}

function resolve(expr: string, env: Env, problems: InterpolationProblem[]): string {
  const minus = expr.indexOf(':-');
  const plus = expr.indexOf(':+');
  const alternate = plus >= 0 && (minus < 0 || plus < minus);
  const sep = alternate ? plus : minus;
  const name = sep < 0 ? expr : expr.slice(0, sep);
  if (!NAME.test(name)) {
    problems.push({
      code: 'invalid-interpolation',
      message: `\${${clip(expr)}} is not a variable reference; expected \${NAME}, \${NAME:-default} or \${NAME:+word} (NAME: letters, digits, _)`,
    });
    return '';
  }
  const value = env[name];
  if (alternate) return value === undefined || value === '' ? '' : expr.slice(sep + 2);
  if (sep >= 0) return value === undefined || value === '' ? expr.slice(sep + 2) : value;
  if (value === undefined) {
    problems.push({ code: 'env-unset', message: `\${${name}} is not set and has no default` });
    return '';
  }
  return value;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/**
 * YAML forbids `{` and `}` inside plain scalars of a flow mapping, so `{ port: ${PORT:-2575} }`
 * would not parse. Before parsing, the braces of each `${…}` are swapped for two private-use
 * characters of the same length (positions do not move); `restoreBraces` swaps them back in every
 * scalar. A `${…}` inside a comment is changed too, which is harmless.
 */
export const OPEN_MARK = '\uE000';
export const CLOSE_MARK = '\uE001';

export function protectBraces(source: string): string {
  return source.replace(/\$\{([^{}\r\n]*)\}/g, (_m, inner: string) => `$${OPEN_MARK}${inner}${CLOSE_MARK}`);
}

export function restoreBraces(text: string): string {
  if (!text.includes(OPEN_MARK) && !text.includes(CLOSE_MARK)) return text;
  return text.split(OPEN_MARK).join('{').split(CLOSE_MARK).join('}');
}
