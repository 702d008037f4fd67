import { isDeepStrictEqual } from 'node:util';

/** One difference between two values, at a path such as `routes[erp-usage].destination.url` or `lines[0].qty`. */
export type ValueChange = { path: string; kind: 'added' | 'removed' | 'changed'; before?: unknown; after?: unknown };

/**
 * The differences between two JSON-like values, field by field (both directions). Arrays of objects
 * that all carry a `name` are compared by name (routes, steps), so inserting one does not show every
 * later element as changed; other arrays by position.
 */
export function diffValues(before: unknown, after: unknown, path = ''): ValueChange[] {
  if (isDeepStrictEqual(before, after)) return [];
  if (Array.isArray(before) && Array.isArray(after)) {
    if (named(before) && named(after)) return diffNamed(before, after, path);
    const out: ValueChange[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const p = `${path}[${i}]`;
      if (i >= before.length) out.push({ path: p, kind: 'added', after: after[i] });
      else if (i >= after.length) out.push({ path: p, kind: 'removed', before: before[i] });
      else out.push(...diffValues(before[i], after[i], p));
    }
    return out;
  }
  if (isObject(before) && isObject(after)) {
    const out: ValueChange[] = [];
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in before) || before[k] === undefined) {
        if (after[k] !== undefined) out.push({ path: p, kind: 'added', after: after[k] });
      } else if (!(k in after) || after[k] === undefined) out.push({ path: p, kind: 'removed', before: before[k] });
      else out.push(...diffValues(before[k], after[k], p));
    }
    return out;
  }
  return [{ path: path || '(value)', kind: 'changed', before, after }];
}

/** One change as a line: `~ path: before → after`, `+ path: after`, `- path: before`. */
export function formatChange(c: ValueChange): string {
  const show = (v: unknown) => {
    const t = JSON.stringify(v);
    return t === undefined ? 'undefined' : t.length > 120 ? `${t.slice(0, 117)}…` : t;
  };
  if (c.kind === 'added') return `+ ${c.path}: ${show(c.after)}`;
  if (c.kind === 'removed') return `- ${c.path}: ${show(c.before)}`;
  return `~ ${c.path}: ${show(c.before)} → ${show(c.after)}`;
}

function diffNamed(before: Array<{ name: string }>, after: Array<{ name: string }>, path: string): ValueChange[] {
  const out: ValueChange[] = [];
  const a = new Map(after.map((x) => [x.name, x]));
  const b = new Map(before.map((x) => [x.name, x]));
  for (const x of before) {
    const p = `${path}[${x.name}]`;
    const y = a.get(x.name);
    if (!y) out.push({ path: p, kind: 'removed', before: x });
    else out.push(...diffValues(x, y, p));
  }
  for (const y of after) if (!b.has(y.name)) out.push({ path: `${path}[${y.name}]`, kind: 'added', after: y });
  const order = (xs: Array<{ name: string }>, other: Map<string, unknown>) => xs.map((x) => x.name).filter((n) => other.has(n));
  const ob = order(before, a);
  const oa = order(after, b);
  if (!isDeepStrictEqual(ob, oa)) out.push({ path: `${path}(order)`, kind: 'changed', before: ob, after: oa });
  return out;
}

function named(xs: unknown[]): xs is Array<{ name: string }> {
  return xs.length > 0 && xs.every((x) => isObject(x) && typeof x.name === 'string');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
