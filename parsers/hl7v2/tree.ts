import { unescape } from './escape.js';
import { isHeaderSegment, splitOn } from './path.js';
import type { Hl7Delimiters, Hl7Message, Hl7Segment } from './types.js';

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
 */
export function toTree(message: Hl7Message): Hl7Tree {
  const tree: Hl7Tree = {};
  for (const segment of message.segments) {
    const node = segmentNode(segment, message.delimiters, message.encoding);
    const existing = tree[segment.id];
    if (existing === undefined) tree[segment.id] = node;
    else if (Array.isArray(existing)) existing.push(node);
    else tree[segment.id] = [existing, node];
  }
  return tree;
}

function segmentNode(segment: Hl7Segment, d: Hl7Delimiters, encoding: string): TreeSegment {
  const node: TreeSegment = {};
  const id = segment.id;
  for (let f = 1; f < segment.fields.length; f++) {
    const text = segment.fields[f]!;
    if (text === '') continue;
    const key = `${id}_${f}`;
    if (isHeaderSegment(id) && f <= 2) {
      node[key] = { [`${key}_1`]: text };
      continue;
    }
    const reps = splitOn(text, d.repetition).map((rep) => repetitionNode(rep, key, d, encoding));
    node[key] = reps.length === 1 ? reps[0]! : reps;
  }
  return node;
}

function repetitionNode(rep: string, key: string, d: Hl7Delimiters, encoding: string): TreeValue {
  if (rep === '""') return null;
  const node: { [key: string]: TreeValue } = {};
  splitOn(rep, d.component).forEach((comp, i) => {
    if (comp === '') return;
    const compKey = `${key}_${i + 1}`;
    const subs = splitOn(comp, d.subcomponent);
    if (subs.length === 1) {
      node[compKey] = leaf(comp, d, encoding);
      return;
    }
    const sub: { [key: string]: TreeValue } = {};
    subs.forEach((s, j) => {
      if (s !== '') sub[`${compKey}_${j + 1}`] = leaf(s, d, encoding);
    });
    node[compKey] = sub;
  });
  return node;
}

function leaf(text: string, d: Hl7Delimiters, encoding: string): string | null {
  return text === '""' ? null : unescape(text, d, encoding);
}
