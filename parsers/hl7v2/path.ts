import { MappingError } from '../../lib/errors.js';
import { escape, unescape } from './escape.js';
import type { Hl7Delimiters, Hl7Message, Hl7Path, Hl7Segment } from './types.js';

/**
 * Access by path, as HL7 counts (1-based): `PID-3[2].1.2` is PID, field 3, repetition 2,
 * component 1, subcomponent 2. `FT1[2]-7.1` is the second FT1. Levels left out default to 1, so
 * `PID-3` reads the first component of the first repetition (as HAPI's Terser does).
 */
const PATH = /^([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?-(\d+)(?:\[(\d+)\])?(?:\.(\d+))?(?:\.(\d+))?$/;

const cache = new Map<string, Hl7Path>();
const CACHE_LIMIT = 2048;

/** Parses a path; throws MappingError `invalid-path` when it is not one. Results are cached (read-only). */
export function parsePath(path: string): Hl7Path {
  let parsed = cache.get(path);
  if (parsed === undefined) {
    parsed = parseUncached(path);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(path, Object.freeze(parsed));
  }
  return parsed;
}

function parseUncached(path: string): Hl7Path {
  const m = PATH.exec(path.trim());
  const numbers = m ? [m[2], m[3], m[4], m[5], m[6]].map((n) => (n === undefined ? 1 : Number(n))) : [];
  if (!m || numbers.some((n) => n < 1)) {
    throw new MappingError(
      'invalid-path',
      `'${path}' is not an HL7 path; expected SEG[-occurrence]-field[repetition].component.subcomponent, e.g. PID-3[2].1 (1-based)`,
    );
  }
  const [occurrence, field, repetition, component, subcomponent] = numbers as [number, number, number, number, number];
  return {
    segment: m[1]!,
    occurrence,
    field,
    repetition,
    component,
    subcomponent,
    given: Object.freeze({ repetition: m[4] !== undefined, component: m[5] !== undefined, subcomponent: m[6] !== undefined }),
  };
}

/** Splits on a delimiter; an absent delimiter ('') does not split. */
export function splitOn(text: string, delimiter: string): string[] {
  return delimiter === '' ? [text] : text.split(delimiter);
}

/** The `occurrence`-th segment with this id (1-based), or undefined. */
export function findSegment(message: Hl7Message, id: string, occurrence = 1): Hl7Segment | undefined {
  let seen = 0;
  for (const segment of message.segments) {
    if (segment.id === id && ++seen === occurrence) return segment;
  }
  return undefined;
}

/** Every segment with this id, in message order. */
export function segmentsOf(message: Hl7Message, id: string): Hl7Segment[] {
  return message.segments.filter((s) => s.id === id);
}

/** True for the segments whose field 1 is the field separator and field 2 the encoding characters. */
export function isHeaderSegment(id: string): boolean {
  return id === 'MSH' || id === 'FHS' || id === 'BHS';
}

/** The encoded text at a position of one segment ('' when absent). MSH-1 and MSH-2 are never split. */
export function rawAt(segment: Hl7Segment, d: Hl7Delimiters, p: Omit<Hl7Path, 'segment' | 'occurrence'>): string {
  const field = segment.fields[p.field] ?? '';
  if (isHeaderSegment(segment.id) && p.field <= 2) return field;
  if (!p.given.repetition && !p.given.component) return splitOn(field, d.repetition)[0]!;
  const rep = splitOn(field, d.repetition)[p.repetition - 1] ?? '';
  if (!p.given.component) return rep;
  const comp = splitOn(rep, d.component)[p.component - 1] ?? '';
  if (!p.given.subcomponent) return comp;
  return splitOn(comp, d.subcomponent)[p.subcomponent - 1] ?? '';
}

/**
 * The logical (unescaped) value at a path: '' when absent or empty, `null` for an explicit HL7 null
 * (`""`). Levels left out are the first ones (`PID-3` = `PID-3[1].1.1`).
 */
export function get(message: Hl7Message, path: string): string | null {
  const p = parsePath(path);
  const segment = findSegment(message, p.segment, p.occurrence);
  if (!segment) return '';
  const d = message.delimiters;
  if (isHeaderSegment(segment.id) && p.field <= 2) return segment.fields[p.field] ?? '';
  const leafText = leafOf(segment.fields[p.field] ?? '', d, p.repetition, p.component, p.subcomponent);
  if (leafText === '""') return null;
  return unescape(leafText, d, message.encoding);
}

/** The encoded text at a path, delimiters and escapes included (`PID-3` = every repetition of PID-3). */
export function getRaw(message: Hl7Message, path: string): string {
  const p = parsePath(path);
  const segment = findSegment(message, p.segment, p.occurrence);
  if (!segment) return '';
  const field = segment.fields[p.field] ?? '';
  if (!p.given.repetition && !p.given.component) return field;
  return rawAt(segment, message.delimiters, { ...p, given: { ...p.given, repetition: true } });
}

/** The leaf text at (repetition, component, subcomponent) of an encoded field. */
export function leafOf(field: string, d: Hl7Delimiters, rep: number, comp: number, sub: number): string {
  return nth(nth(nth(field, d.repetition, rep), d.component, comp), d.subcomponent, sub);
}

/** The n-th (1-based) piece of `text` split on `delimiter`, without splitting the whole text. */
export function nth(text: string, delimiter: string, n: number): string {
  if (delimiter === '') return n === 1 ? text : '';
  let start = 0;
  for (let i = 1; i < n; i++) {
    const at = text.indexOf(delimiter, start);
    if (at === -1) return '';
    start = at + delimiter.length;
  }
  const end = text.indexOf(delimiter, start);
  return end === -1 ? (start === 0 ? text : text.slice(start)) : text.slice(start, end);
}

/** Every repetition of a field, each as its logical first component (`PID-3` → the ids). */
export function getRepetitions(message: Hl7Message, path: string): (string | null)[] {
  const p = parsePath(path);
  const segment = findSegment(message, p.segment, p.occurrence);
  const field = segment?.fields[p.field] ?? '';
  if (field === '') return [];
  return splitOn(field, message.delimiters.repetition).map((rep) => {
    const leaf = leafOf(rep, message.delimiters, 1, p.component, p.subcomponent);
    return leaf === '""' ? null : unescape(leaf, message.delimiters, message.encoding);
  });
}

/**
 * Writes a logical value at a path (escaped on write; `null` writes the explicit null `""`). Missing
 * fields, repetitions and components are added empty; every other byte of the segment is kept. A
 * segment that does not exist is appended when `occurrence` is one past the last. Throws MappingError
 * `invalid-path` for MSH-1 / MSH-2 and for segments that cannot be created.
 */
export function set(message: Hl7Message, path: string, value: string | null): void {
  const p = parsePath(path);
  const d = message.delimiters;
  let segment = findSegment(message, p.segment, p.occurrence);
  if (!segment) {
    if (segmentsOf(message, p.segment).length + 1 !== p.occurrence || isHeaderSegment(p.segment)) {
      throw new MappingError('invalid-path', `cannot write ${path}: ${p.segment} occurrence ${p.occurrence} does not exist`);
    }
    segment = { id: p.segment, fields: [p.segment] };
    message.segments.push(segment);
  }
  if (isHeaderSegment(segment.id) && p.field <= 2) {
    throw new MappingError('invalid-path', `cannot write ${path}: the delimiters are fixed when the message is parsed`);
  }
  while (segment.fields.length <= p.field) segment.fields.push('');
  const leaf = value === null ? '""' : escape(value, d);
  segment.fields[p.field] = replaceLeaf(segment.fields[p.field]!, d, p, leaf);
}

function replaceLeaf(field: string, d: Hl7Delimiters, p: Hl7Path, leaf: string): string {
  const reps = padded(splitOn(field, d.repetition), p.repetition);
  const comps = padded(splitOn(reps[p.repetition - 1]!, d.component), p.component);
  const subs = padded(splitOn(comps[p.component - 1]!, d.subcomponent), p.subcomponent);
  subs[p.subcomponent - 1] = leaf;
  comps[p.component - 1] = subs.join(d.subcomponent);
  reps[p.repetition - 1] = comps.join(d.component);
  return reps.join(d.repetition);
}

function padded(parts: string[], length: number): string[] {
  while (parts.length < length) parts.push('');
  return parts;
}
