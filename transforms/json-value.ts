import { describeSite, TransformMappingError, type EvalSite } from './errors.js';

/**
 * Copies an expression result into a plain JSON value: JSONata sequences become plain arrays, keys
 * such as `__proto__` stay ordinary own properties, and anything JSON cannot carry (functions,
 * NaN/Infinity, class instances) is an error naming where it was found. `undefined` at the top means
 * "no value"; inside objects it is dropped, as JSON.stringify does.
 */
export function toJsonValue(value: unknown, site: EvalSite, maxNodes: number): unknown {
  const budget = { left: maxNodes };
  return copy(value, site, budget, '$', 0);
}

const MAX_NESTING = 200;

function copy(value: unknown, site: EvalSite, budget: { left: number }, at: string, depth: number): unknown {
  if (--budget.left < 0) {
    throw new TransformMappingError('result-too-large', `${describeSite(site)}: the result has more than the allowed number of values`, site);
  }
  if (depth > MAX_NESTING) {
    throw new TransformMappingError('result-too-large', `${describeSite(site)}: the result is nested deeper than ${MAX_NESTING} levels`, site);
  }
  if (value === null || value === undefined) return value;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value;
      throw notSerialisable(site, at, `the number ${String(value)}`);
    case 'function':
      throw notSerialisable(site, at, 'a function');
    case 'object':
      break;
    default:
      throw notSerialisable(site, at, `a ${typeof value}`);
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      const item = copy(value[i], site, budget, `${at}[${i}]`, depth + 1);
      out.push(item === undefined ? null : item);
    }
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw notSerialisable(site, at, 'an object that is not plain data');
  }
  if ((value as { _jsonata_function?: unknown })._jsonata_function || (value as { _jsonata_lambda?: unknown })._jsonata_lambda) {
    throw notSerialisable(site, at, 'a function');
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = copy((value as Record<string, unknown>)[key], site, budget, `${at}.${key}`, depth + 1);
    if (item === undefined) continue;
    Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function notSerialisable(site: EvalSite, at: string, what: string): TransformMappingError {
  return new TransformMappingError(
    'not-serialisable',
    `${describeSite(site)}: the result holds ${what} at ${at}; expected JSON data (text, numbers, booleans, null, arrays, objects)`,
    site,
  );
}

/**
 * JSONata's truthiness (`$boolean`): false for undefined, null, false, 0, "", empty arrays, empty
 * objects and functions; an array is true when any of its members is.
 */
export function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.some(isTruthy);
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return value !== 0;
    case 'string':
      return value.length > 0;
    case 'function':
      return false;
    case 'object': {
      const v = value as { _jsonata_function?: unknown; _jsonata_lambda?: unknown };
      if (v._jsonata_function || v._jsonata_lambda) return false;
      return Object.keys(value).length > 0;
    }
    default:
      return false;
  }
}
