import { ConfigError, MappingError } from '../lib/errors.js';
import type { ErrorCode } from '../lib/error-codes.js';

/**
 * Runs a compile function, prefixing the message of any TransformConfigError it throws with where it
 * happened (`step 1 (map) total`), so the error reads on its own even outside the config loader.
 */
export function withPlace<T>(place: (err: TransformConfigError) => string, compile: () => T): T {
  try {
    return compile();
  } catch (err) {
    if (!(err instanceof TransformConfigError)) throw err;
    throw new TransformConfigError(err.code, `${place(err)}: ${err.message}`, { path: err.path, position: err.position, cause: err });
  }
}

/** A path into the config, relative to what was compiled: `[2, 'map', 'total']` for steps[2].map.total. */
export type ConfigPath = (string | number)[];

/** Renders `[2, 'map', 'total']` as `steps[2].map.total` (the root name is the caller's). */
export function formatPath(root: string, path: ConfigPath): string {
  let out = root;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) out += `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/**
 * A configuration problem found while compiling mapping rules. `path` is relative to the list (or
 * body, or condition) that was compiled, so the config loader can map it onto a YAML line; for
 * expression errors `position` is JSONata's 1-based character offset into the expression, when known.
 */
export class TransformConfigError extends ConfigError {
  readonly path: ConfigPath;
  readonly position?: number;
  constructor(code: ErrorCode, message: string, options: { path: ConfigPath; position?: number; cause?: unknown }) {
    super(code, message, { cause: options.cause });
    this.path = options.path;
    this.position = options.position;
  }
}

/**
 * A mapping step failed on a message. `step` is the 0-based index of the step (absent for route
 * conditions and bodies), `kind` the step verb or `condition`/`body`; `failures` lists every failed
 * rule of a `validate` step. Messages name expressions and fields, never values from the message.
 */
export class TransformMappingError extends MappingError {
  readonly step?: number;
  readonly kind: string;
  readonly failures?: string[];
  /** The business rule that failed, the field it checked and the value found: what the exception queue shows. */
  readonly exception?: ExceptionDetail;
  constructor(
    code: ErrorCode,
    message: string,
    options: { step?: number; kind: string; failures?: string[]; cause?: unknown; exception?: ExceptionDetail },
  ) {
    super(code, message, { cause: options.cause });
    this.step = options.step;
    this.kind = options.kind;
    this.failures = options.failures;
    this.exception = options.exception;
  }
}

/**
 * Why a message went to the exception queue in an analyst's words: the rule (`no-charge-mapping`),
 * the field it looked at (`lines[2].itemNumber`) and the value it found (`100999`). Values are item
 * numbers, codes and amounts the rule names; a rule never reports patient identifiers.
 */
export type ExceptionDetail = { rule: string; field?: string; value?: string };

const MAX_VALUE = 128;

/** A value as the exception queue shows it: text, at most 128 characters. */
export function exceptionValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value as symbol));
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text;
}

/** Where an evaluation happens, for error messages: `step 3 (lookup) vars.items`. */
export type EvalSite = { step?: number; kind: string; field: string };

export function describeSite(site: EvalSite): string {
  const head = site.step === undefined ? site.kind : `step ${site.step} (${site.kind})`;
  return site.field ? `${head} ${site.field}` : head;
}
