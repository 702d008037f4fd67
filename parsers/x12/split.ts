/**
 * Splitting a file into units. For X12, the bytes are cut at the start of each ISA segment, so the
 * units put together are exactly the file (raw is sacred: leading bytes go with the first unit,
 * whatever follows an IEA goes with the interchange before it). Validation is the parser's job; this
 * only finds boundaries, using the element separator at offset 3 of each ISA and the segment
 * terminator that follows ISA16.
 */

import { narrowInput } from './encoding.js';

/** One unit of a file: its bytes and, for an interchange, ISA13 and ISA06. */
export type FileUnit = {
  raw: Buffer;
  controlNumber?: string;
  senderId?: string;
  /** ISA07/ISA08: whom the interchange is addressed to. */
  receiverQualifier?: string;
  receiverId?: string;
};

const I = 0x49;
const S = 0x53;
const A = 0x41;

function isWhitespace(b: number | undefined): boolean {
  return b === 0x20 || (b !== undefined && b >= 0x09 && b <= 0x0d);
}

function isAlnum(b: number | undefined): boolean {
  return b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a));
}

/** True when an ISA segment starts at `p`: the letters ISA then a separator that is not a letter, digit or space. */
function isaAt(raw: Buffer, p: number): boolean {
  const sep = raw[p + 3];
  return raw[p] === I && raw[p + 1] === S && raw[p + 2] === A && sep !== undefined && !isAlnum(sep) && !isWhitespace(sep);
}

/** The element separator and segment terminator of the ISA at `p`, and where ISA ends; undefined if it is cut short. */
function isaDelimiters(raw: Buffer, p: number): { sep: number; term: number; end: number } | undefined {
  const sep = raw[p + 3]!;
  let count = 0;
  for (let i = p + 3; i < raw.length && i < p + 400; i++) {
    if (raw[i] === sep && ++count === 16) {
      const term = raw[i + 2];
      return term === undefined ? undefined : { sep, term, end: i + 3 };
    }
  }
  return undefined;
}

/** Where the interchange after the one starting at `p` begins, or -1. */
function nextInterchange(raw: Buffer, p: number): number {
  const d = isaDelimiters(raw, p);
  if (!d) return -1;
  let pos = d.end;
  while (pos < raw.length) {
    while (isWhitespace(raw[pos])) pos++;
    if (pos >= raw.length) return -1;
    if (isaAt(raw, pos) && raw[pos + 3] === d.sep) return pos; // an ISA without a previous IEA
    const end = raw.indexOf(d.term, pos);
    if (end < 0) return -1;
    if (raw[pos] === I && raw[pos + 1] === 0x45 && raw[pos + 2] === A && raw[pos + 3] === d.sep) {
      for (let q = raw.indexOf('ISA', end + 1, 'latin1'); q >= 0; q = raw.indexOf('ISA', q + 1, 'latin1')) {
        if (isaAt(raw, q)) return q;
      }
      return -1;
    }
    pos = end + 1;
  }
  return -1;
}

/** Index of the first ISA after an optional UTF-8 BOM and whitespace, or -1. */
function firstIsa(raw: Buffer): number {
  let p = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0;
  while (isWhitespace(raw[p])) p++;
  return isaAt(raw, p) ? p : -1;
}

/** ISA13 (control number), ISA06 (sender id) and ISA07/ISA08 (receiver) of the interchange at `p`, trimmed. */
function isaIds(raw: Buffer, p: number): Omit<FileUnit, 'raw'> {
  const d = isaDelimiters(raw, p);
  if (!d) return {};
  const elements = raw
    .subarray(p, d.end - 2)
    .toString('latin1')
    .split(String.fromCharCode(d.sep));
  const controlNumber = elements[13]?.trim();
  const senderId = elements[6]?.trim();
  const receiverQualifier = elements[7]?.trim();
  const receiverId = elements[8]?.trim();
  return {
    ...(controlNumber ? { controlNumber } : {}),
    ...(senderId ? { senderId } : {}),
    ...(receiverQualifier ? { receiverQualifier } : {}),
    ...(receiverId ? { receiverId } : {}),
  };
}

/**
 * Cuts a file into X12 interchanges. A file that does not start with ISA (after a BOM and
 * whitespace) is one unit without ids: the parser will say what is wrong with it.
 */
export function splitInterchanges(raw: Buffer): FileUnit[] {
  const wide = narrowInput(raw);
  // UTF-16 (encoding.ts): one unit, cut nowhere; the parser reads each interchange in it.
  if (wide.encoding) return [{ raw, ...x12Ids(wide.bytes) }];
  const first = firstIsa(raw);
  if (first < 0) return [{ raw }];
  const starts = [first];
  for (let next = nextInterchange(raw, first); next > 0; next = nextInterchange(raw, next)) starts.push(next);
  return starts.map((start, i) => {
    const from = i === 0 ? 0 : start;
    const to = starts[i + 1] ?? raw.length;
    return { raw: raw.subarray(from, to), ...isaIds(raw, start) };
  });
}

/** The ids of a whole file when it is X12 (ISA13 and ISA06 of its first interchange). */
export function x12Ids(input: Buffer): Omit<FileUnit, 'raw'> {
  const raw = narrowInput(input).bytes;
  const first = firstIsa(raw);
  return first < 0 ? {} : isaIds(raw, first);
}

/**
 * False when a file starts like X12 but its last interchange does not end with an IEA segment and
 * its terminator: a writer is probably still writing it. Files that are not X12 are always complete
 * as far as this check can tell.
 */
export function x12LooksComplete(input: Buffer): boolean {
  const raw = narrowInput(input).bytes;
  const first = firstIsa(raw);
  if (first < 0) return true;
  const d = isaDelimiters(raw, first);
  if (!d) return false;
  let end = raw.length;
  while (end > 0 && isWhitespace(raw[end - 1]) && raw[end - 1] !== d.term) end--;
  if (raw[end - 1] !== d.term) return false;
  const segStart = raw.lastIndexOf(d.term, end - 2) + 1;
  let p = segStart;
  while (isWhitespace(raw[p])) p++;
  return raw[p] === I && raw[p + 1] === 0x45 && raw[p + 2] === A && raw[p + 3] === d.sep;
}
