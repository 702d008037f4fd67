import { unescape } from './escape.js';
import { isHeaderSegment, splitOn } from './path.js';
import type { Hl7Delimiters, Hl7Message } from './types.js';

/** A field, component or subcomponent in the tree. */
export type TreeValue = string | null | { [key: string]: TreeValue };
/** One segment in the tree: `{ "FT1_7": { "FT1_7_1": "…" } }`. */
export type TreeSegment = { [field: string]: TreeValue | TreeValue[] };
/** The whole tree: segment id → the segment, or an array when the id occurs more than once. */
export type Hl7Tree = { [segmentId: string]: TreeSegment | TreeSegment[] };

/**
 * The JSON tree analysts write mapping expressions against (documented in docs/hl7v2.md):
 *
 * - top level: one key per segment id; an object when the id occurs once, an array in message order
 *   when it occurs more than once (JSONata treats both alike: `FT1.FT1_7` works either way);
 * - a field is `SEG_n` and is always an object of its components `SEG_n_c` (so `PID.PID_18.PID_18_1`
 *   works whether or not the sender used `^`); a repeated field is an array of such objects;
 * - a component is a string, or an object of subcomponents `SEG_n_c_s` when it has any;
 * - values are unescaped; an explicit null `""` is JSON null; empty fields, components and
 *   subcomponents are left out. MSH_1 and MSH_2 hold the delimiters as sent.
 *
 * The tree is a snapshot of the message when it is called. Each segment id's value is built when it
 * is first read (an enumerable accessor that turns into a plain data property), so a mapping that
 * reads a few segments does not pay for the rest; reading, enumerating, `JSON.stringify` and
 * assigning behave as on a plain object.
 */
export function toTree(message: Hl7Message): Hl7Tree {
  // Each segment id's node is built on first read: a mapping that reads two segments does not pay
  // for the others. The fields are copied now, so later changes to the message (`set`) do not show.
  const bySegmentId = new Map<string, string[][]>();
  for (const segment of message.segments) {
    const fields = segment.fields.slice();
    const list = bySegmentId.get(segment.id);
    if (list === undefined) bySegmentId.set(segment.id, [fields]);
    else list.push(fields);
  }
  const d: Hl7Delimiters = { ...message.delimiters };
  const encoding = message.encoding;
  const tree: Hl7Tree = {};
  for (const [id, list] of bySegmentId) {
    lazyProperty(tree, id, () =>
      list.length === 1 ? segmentNode(id, list[0]!, d, encoding) : list.map((fields) => segmentNode(id, fields, d, encoding)),
    );
  }
  return tree;
}

/** An enumerable property computed on first read, then an ordinary data property (writes replace it). */
function lazyProperty(target: Hl7Tree, key: string, build: () => TreeSegment | TreeSegment[]): void {
  const settle = (value: TreeSegment | TreeSegment[]) => {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
    return value;
  };
  Object.defineProperty(target, key, { enumerable: true, configurable: true, get: () => settle(build()), set: settle });
}

function segmentNode(id: string, fields: string[], d: Hl7Delimiters, encoding: string): TreeSegment {
  const node: TreeSegment = {};
  const header = isHeaderSegment(id);
  for (let f = 1; f < fields.length; f++) {
    const text = fields[f]!;
    if (text === '') continue;
    const key = `${id}_${f}`;
    if (header && f <= 2) {
      node[key] = { [`${key}_1`]: text };
      continue;
    }
    if (d.repetition === '' || text.indexOf(d.repetition) === -1) {
      node[key] = repetitionNode(text, key, d, encoding);
      continue;
    }
    const reps = text.split(d.repetition);
    const out = new Array<TreeValue>(reps.length);
    for (let r = 0; r < reps.length; r++) out[r] = repetitionNode(reps[r]!, key, d, encoding);
    node[key] = out;
  }
  return node;
}

function repetitionNode(rep: string, key: string, d: Hl7Delimiters, encoding: string): TreeValue {
  if (rep === '""') return null;
  const node: { [key: string]: TreeValue } = {};
  const comps = splitOn(rep, d.component);
  for (let i = 0; i < comps.length; i++) {
    const comp = comps[i]!;
    if (comp === '') continue;
    const compKey = `${key}_${i + 1}`;
    if (d.subcomponent === '' || comp.indexOf(d.subcomponent) === -1) {
      node[compKey] = leaf(comp, d, encoding);
      continue;
    }
    const subs = comp.split(d.subcomponent);
    const sub: { [key: string]: TreeValue } = {};
    for (let j = 0; j < subs.length; j++) {
      const s = subs[j]!;
      if (s !== '') sub[`${compKey}_${j + 1}`] = leaf(s, d, encoding);
    }
    node[compKey] = sub;
  }
  return node;
}

function leaf(text: string, d: Hl7Delimiters, encoding: string): string | null {
  return text === '""' ? null : unescape(text, d, encoding);
}
