import { describeSite, TransformMappingError, type EvalSite } from './errors.js';

/**
 * Copies an expression result into a plain JSON value: JSONata sequences become plain arrays, keys
 * such as `__proto__` stay ordinary own properties, and anything JSON cannot carry (functions,
 * NaN/Infinity, class instances) is an error naming where it was found. `undefined` at the top means
 * "no value"; inside objects it is dropped, as JSON.stringify does.
 */
export function toJsonValue(value: unknown, site: EvalSite, maxNodes: number): unknown {
  // Scalars (most results) need no walk; `maxNodes` below 1 still refuses them, as the walk does.
  if (maxNodes >= 1 && (value === undefined || value === null || typeof value === 'string' || typeof value === 'boolean')) return value;
  const walk: Walk = { site, left: maxNodes, trail: [] };
  return copy(value, walk, 0);
}

const MAX_NESTING = 200;

/** One copy in progress: its budget of values, and the keys leading to the value being copied. */
type Walk = { site: EvalSite; left: number; trail: (string | number)[] };

function copy(value: unknown, walk: Walk, depth: number): unknown {
  const { site } = walk;
  if (--walk.left < 0) {
    throw new TransformMappingError(
      'result-too-large',
      `${describeSite(site)}: the result has more than the allowed number of values`,
      site,
    );
  }
  if (depth > MAX_NESTING) {
    throw new TransformMappingError(
      'result-too-large',
      `${describeSite(site)}: the result is nested deeper than ${MAX_NESTING} levels`,
      site,
    );
  }
  if (value === null || value === undefined) return value;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value;
      throw notSerialisable(walk, `the number ${String(value)}`);
    case 'function':
      throw notSerialisable(walk, 'a function');
    case 'object':
      break;
    default:
      throw notSerialisable(walk, `a ${typeof value}`);
  }
  const trail = walk.trail;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      trail.push(i);
      const item = copy(value[i], walk, depth + 1);
      trail.pop();
      out[i] = item === undefined ? null : item;
    }
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw notSerialisable(walk, 'an object that is not plain data');
  }
  if ((value as { _jsonata_function?: unknown })._jsonata_function || (value as { _jsonata_lambda?: unknown })._jsonata_lambda) {
    throw notSerialisable(walk, 'a function');
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    trail.push(key);
    const item = copy((value as Record<string, unknown>)[key], walk, depth + 1);
    trail.pop();
    if (item === undefined) continue;
    if (key === '__proto__') Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  return out;
}

/** `$.lines[2].item`: where in the result a value was found. */
function placeOf(trail: (string | number)[]): string {
  let at = '$';
  for (const step of trail) at += typeof step === 'number' ? `[${step}]` : `.${step}`;
  return at;
}

function notSerialisable(walk: Walk, what: string): TransformMappingError {
  return new TransformMappingError(
    'not-serialisable',
    `${describeSite(walk.site)}: the result holds ${what} at ${placeOf(walk.trail)}; expected JSON data (text, numbers, booleans, null, arrays, objects)`,
    walk.site,
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

/** An expression's result read as a list, as JSONata reads a sequence: no value is no item, a single value one item. */
export function asItems(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
