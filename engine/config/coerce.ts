import { z } from 'zod';
import type { PathSegment, YamlFile } from './yaml-file.js';

/**
 * Small schema builders for config fields, and the one place where `${VAR}` values become numbers
 * and booleans.
 */

/**
 * `${VAR}` interpolation yields text. Where the schema expects a number or true/false at a value that
 * came from `${VAR}`, its text is read as one — `50`, `-1.5`, `1e3`; `true`, `false`, and empty as
 * false (so `enabled: ${AS2_PORT:+true}` is a flag) — for every file kind and every field, by what the
 * schema says it expects there. Text that is neither is left as it is, so the schema reports it with
 * the field and what was expected. Values written in the file are never coerced: `port: "2575"` is
 * text, as the editor JSON Schema says.
 */
export function coerceInterpolated(schema: z.ZodType, yaml: YamlFile): unknown {
  let data = yaml.data;
  for (let round = 0; round < 16; round++) {
    const result = schema.safeParse(data);
    if (result.success) return data;
    const fixes: Array<{ path: PathSegment[]; value: number | boolean }> = [];
    for (const { path, expected } of expectedScalars(result.error.issues as Issue[], [])) {
      const text = valueAt(data, path);
      if (typeof text !== 'string' || yaml.template(path) === undefined) continue;
      const value = readScalar(text, expected);
      if (value !== undefined) fixes.push({ path, value });
    }
    if (fixes.length === 0) return data;
    data = structuredClone(data);
    for (const f of fixes) setAt(data, f.path, f.value);
  }
  return data;
}

type Issue = { code: string; path: PropertyKey[]; expected?: string; errors?: Issue[][] };

/** Where the schema wants a number or a boolean and got something else, also inside union branches. */
function expectedScalars(issues: Issue[], prefix: PathSegment[]): Array<{ path: PathSegment[]; expected: 'number' | 'boolean' }> {
  const out: Array<{ path: PathSegment[]; expected: 'number' | 'boolean' }> = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path.filter((p): p is PathSegment => typeof p !== 'symbol')];
    if (issue.code === 'invalid_type' && (issue.expected === 'number' || issue.expected === 'int')) out.push({ path, expected: 'number' });
    if (issue.code === 'invalid_type' && issue.expected === 'boolean') out.push({ path, expected: 'boolean' });
    for (const branch of issue.errors ?? []) out.push(...expectedScalars(branch, path));
  }
  return out;
}

const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

function readScalar(text: string, expected: 'number' | 'boolean'): number | boolean | undefined {
  const t = text.trim();
  if (expected === 'number') return NUMBER.test(t) ? Number(t) : undefined;
  return t === 'true' ? true : t === 'false' || t === '' ? false : undefined;
}

/** The value at `path` in plain data, or undefined when the path leaves it. */
export function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let node = data;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[seg as string];
  }
  return node;
}

function setAt(data: unknown, path: readonly PathSegment[], value: unknown): void {
  const parent = valueAt(data, path.slice(0, -1));
  if (parent !== null && typeof parent === 'object') (parent as Record<string, unknown>)[path[path.length - 1] as string] = value;
}

/**
 * A text value checked by `inner` (default any text); a number written unquoted in YAML (an id such
 * as 123456789, an acknowledgment such as 997) is taken as its digits.
 */
export function text<T extends z.ZodType<unknown, string>>(inner?: T) {
  return z.preprocess(numberAsText, inner ?? z.string());
}

/** The preprocessing step of `text()`; the editor JSON Schema recognises it to allow numbers there. */
export function numberAsText(v: unknown): unknown {
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
}

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** A kebab-case name: lower-case letters and digits, words joined by single dashes. */
export function kebabName(what: string) {
  return z
    .string()
    .max(64)
    .regex(KEBAB, { message: `${what} must be kebab-case (lower-case letters, digits and single dashes, e.g. or-implant-charges)` });
}

/**
 * Refinement option: run a cross-field check even when another field of the object is invalid
 * (zod skips it by default), so every problem is reported at once. The check must then cope with
 * fields that are missing or of the wrong type.
 */
export const evenWithOtherIssues = {
  when: (payload: { value: unknown }) => payload.value !== null && typeof payload.value === 'object',
};
