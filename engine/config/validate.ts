import type { z } from 'zod';
import { coerceInterpolated, valueAt } from './coerce.js';
import { configDiagnostic, type ConfigDiagnostic } from './diagnostics.js';
import type { PathSegment, YamlFile } from './yaml-file.js';
import { isErrorCode, type ErrorCode } from '../../lib/error-codes.js';

/** An issue as zod reports it, with the fields this module reads. */
type Issue = z.core.$ZodIssue & {
  input?: unknown;
  keys?: string[];
  expected?: string;
  values?: unknown[];
  options?: unknown[];
  discriminator?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  origin?: string;
  format?: string;
  params?: Record<string, unknown>;
  errors?: Issue[][];
};

export type Validated<T> = { value?: T; diagnostics: ConfigDiagnostic[] };

/**
 * Validates a file's data against a zod schema and turns every issue into a ConfigDiagnostic with
 * the position of the offending key or value. `root` names the top-level object in messages.
 */
export function validateFile<S extends z.ZodType>(schema: S, yaml: YamlFile, root: string): Validated<z.output<S>> {
  const knownKeys = new Map<string, string[]>();
  const generic = new Set<string>();
  const data = coerceInterpolated(schema, yaml);
  const result = schema.safeParse(data, {
    error: (iss) => {
      const key = `${iss.code}|${pathKey(iss.path ?? [])}`;
      generic.add(key);
      if (iss.code === 'unrecognized_keys') {
        const shape = (iss.inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def?.shape;
        knownKeys.set(pathKey(iss.path ?? []), shape ? Object.keys(shape) : []);
      }
      return undefined;
    },
  });
  if (result.success) return { value: result.data, diagnostics: [] };
  const diagnostics: ConfigDiagnostic[] = [];
  for (const issue of result.error.issues as Issue[]) {
    const path = issue.path as PathSegment[];
    const ctx: IssueContext = {
      yaml,
      root,
      path,
      value: valueAt(data, path),
      parent: valueAt(data, path.slice(0, -1)),
      generic: generic.has(`${issue.code}|${pathKey(path)}`),
      knownKeys: knownKeys.get(pathKey(path)) ?? [],
    };
    diagnostics.push(...toDiagnostics(issue, ctx));
  }
  return { diagnostics };
}

type IssueContext = {
  yaml: YamlFile;
  root: string;
  path: PathSegment[];
  value: unknown;
  parent: unknown;
  /** True when zod's default message was used (the schema gave none of its own). */
  generic: boolean;
  knownKeys: string[];
};

function toDiagnostics(issue: Issue, c: IssueContext): ConfigDiagnostic[] {
  const at = (code: ErrorCode, message: string, target?: { key?: string; container?: boolean }, path = c.path) =>
    configDiagnostic(c.yaml.file, c.yaml.position(path, target), code, message);
  const last = c.path[c.path.length - 1];
  const field = fieldName(c.path);
  if (issue.code === 'unrecognized_keys') {
    return (issue.keys ?? []).map((k) =>
      at('unknown-key', unknownKeyMessage(k, objectLabel(c.path, c.value, c.root), c.knownKeys), { key: k }),
    );
  }
  if (issue.code === 'invalid_union' && issue.discriminator !== undefined) {
    return [unknownType(issue, c, at)];
  }
  if (c.value === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) {
    const parentLabel = objectLabel(c.path.slice(0, -1), c.parent, c.root);
    const what = issue.code === 'invalid_type' ? expectedText(issue.expected) : `one of ${list(issue.values)}`;
    return [
      at('missing-field', `"${String(last)}" is missing from ${parentLabel}; expected ${what}`, { container: true }, c.path.slice(0, -1)),
    ];
  }
  const custom = issue.code === 'custom' && typeof issue.params?.code === 'string' ? issue.params.code : undefined;
  if (custom) return [at(isErrorCode(custom) ? custom : 'invalid-config', issue.message)];
  const quoted = issue.code === 'invalid_type' && quotedScalar(c) ? '; a number or true/false is written without quotes' : '';
  if (last === 'port' && ['invalid_type', 'too_big', 'too_small', 'not_multiple_of'].includes(issue.code)) {
    return [at('invalid-port', `${shown(c)} is not a port (0–65535)${quoted}`)];
  }
  if (issue.code === 'custom' && / is not a duration/.test(issue.message)) return [at('invalid-duration', issue.message)];
  if (issue.code === 'custom' && / is not a size/.test(issue.message)) return [at('invalid-size', issue.message)];
  const own = c.generic ? undefined : issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return [at('invalid-type', own ?? `${field}: expected ${expectedText(issue.expected)}, got ${shown(c)}${quoted}`)];
    case 'invalid_value':
      return [
        at(
          'invalid-value',
          own ??
            `${field}: expected ${issue.values?.length === 1 ? show(issue.values[0], []) : `one of ${list(issue.values)}`}; got ${shown(c)}`,
        ),
      ];
    case 'invalid_format':
      return [
        at(
          'invalid-format',
          own
            ? `${own}; got ${shown(c)}`
            : `${field}: ${shown(c)} is not ${issue.format === 'regex' ? 'in the expected form' : `a valid ${issue.format}`}`,
        ),
      ];
    case 'too_big':
    case 'too_small':
      return [at('out-of-range', own ?? rangeMessage(issue, field, c))];
    case 'invalid_union':
      return [at('invalid-value', own ?? `${field}: ${shown(c)} matches none of the allowed forms${firstBranchHint(issue)}`)];
    default:
      return [at('invalid-config', `${field}: ${issue.message}`)];
  }
}

function unknownType(
  issue: Issue,
  c: IssueContext,
  at: (code: ErrorCode, message: string, target?: { key?: string; container?: boolean }, path?: PathSegment[]) => ConfigDiagnostic,
): ConfigDiagnostic {
  const holder = c.path[c.path.length - 1] === issue.discriminator ? c.path.slice(0, -1) : c.path;
  const kind = kindName(holder);
  const options = (issue.options ?? []).map(String);
  const expected = options.length ? `expected one of ${options.join(', ')}` : `no ${kind} types are registered yet`;
  const value = valueAt(c.yaml.data, [...holder, issue.discriminator!]);
  if (value === undefined) {
    return at('missing-field', `${kind} has no "${issue.discriminator}"; ${expected}`, { container: true }, holder);
  }
  return at('unknown-type', `${show(value, [])} is not a ${kind} type; ${expected}`, undefined, [...holder, issue.discriminator!]);
}

function unknownKeyMessage(key: string, label: string, known: string[]): string {
  const expected = known.length > 14 ? `${known.slice(0, 14).join(', ')}, …` : known.join(', ');
  const guess = closest(key, known);
  const hint = guess ? ` (did you mean "${guess}"?)` : '';
  return `"${key}" is not a field of ${label}${known.length ? `; expected one of ${expected}` : ''}${hint}`;
}

function rangeMessage(issue: Issue, field: string, c: IssueContext): string {
  const small = issue.code === 'too_small';
  const limit = String(small ? issue.minimum : issue.maximum);
  switch (issue.origin) {
    case 'string':
      return `${field}: ${small ? `at least ${limit} characters expected` : `at most ${limit} characters allowed`}, got ${(c.value as string)?.length ?? 0}`;
    case 'array':
      return `${field}: ${small ? `at least ${limit} entries expected` : `at most ${limit} entries allowed`}, got ${(c.value as unknown[])?.length ?? 0}`;
    default:
      return `${field}: ${shown(c)} is ${small ? 'below the minimum' : 'above the maximum'} ${limit}`;
  }
}

function firstBranchHint(issue: Issue): string {
  const first = issue.errors?.[0]?.[0];
  return first ? ` (${first.message})` : '';
}

/** `source.port`, `routes[0].destination.url`; the root itself is `root`. */
export function fieldName(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out || '(top level)';
}

function objectLabel(path: readonly PathSegment[], value: unknown, root: string): string {
  const type =
    value && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string'
      ? (value as { type: string }).type
      : undefined;
  const base = path.length ? fieldName(path) : root;
  return type ? `${base} (${type})` : base;
}

function kindName(path: readonly PathSegment[]): string {
  for (let i = path.length - 1; i >= 0; i--) if (typeof path[i] === 'string') return String(path[i]);
  return 'object';
}

function expectedText(expected: string | undefined): string {
  const words: Record<string, string> = {
    string: 'text',
    number: 'a number',
    int: 'a whole number',
    boolean: 'true or false',
    object: 'a mapping (key: value lines)',
    array: 'a list',
    nonoptional: 'a value',
  };
  return words[expected ?? ''] ?? (expected ? `a ${expected}` : 'a value');
}

const SECRET = /token|password|secret|passphrase/i;

/** A number or true/false written in quotes in the file (not from `${VAR}`, which is read as one where one is expected). */
function quotedScalar(c: IssueContext): boolean {
  return typeof c.value === 'string' && c.yaml.template(c.path) === undefined && /^\s*(?:[-+]?\d+(?:\.\d+)?|true|false)\s*$/.test(c.value);
}

/**
 * The offending value of an issue for a message. A value that came from `${VAR}` is shown with what
 * was written in the file, so the person sees both the value and where it came from; secret fields
 * and passwords in URLs stay masked (`show`).
 */
function shown(c: IssueContext): string {
  const template = c.yaml.template(c.path);
  const plain =
    typeof c.value === 'number' ||
    typeof c.value === 'boolean' ||
    (typeof c.value === 'string' && /^(?:-?\d+(?:\.\d+)?|true|false)$/.test(c.value));
  if (template !== undefined && !plain) {
    return `${show(c.value, c.path)} (from ${JSON.stringify(template)})`;
  }
  return show(c.value, c.path);
}

/** A value for a message: clipped, and never the value of a secret field. */
function show(value: unknown, path: readonly PathSegment[]): string {
  if (path.some((p) => typeof p === 'string' && SECRET.test(p))) return '(a secret value)';
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    const masked = value.replace(/(\/\/[^/:@\s]*:)[^@/\s]*@/g, '$1***@');
    return JSON.stringify(masked.length > 60 ? `${masked.slice(0, 60)}…` : masked);
  }
  return String(value as number | boolean | bigint);
}

function list(values: unknown[] | undefined): string {
  return (values ?? []).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}

function pathKey(path: readonly PropertyKey[]): string {
  return path.map(String).join('\u0000');
}

/** The known key closest to a misspelt one (edit distance ≤ 2), if any. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
