import type { Diagnostic } from '../../lib/errors.js';
import type { X12Delimiters } from './types.js';

/** Offsets of the 16 element separators in a well-formed 106-character ISA. */
export const ISA_SEPARATOR_OFFSETS = [3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103] as const;
/** The length of a well-formed ISA, terminator included. */
export const ISA_LENGTH = 106;

export type IsaHeaderResult =
  | { kind: 'more' }
  | { kind: 'fail'; diagnostics: Diagnostic[] }
  | { kind: 'ok'; end: number; text: string; delimiters: X12Delimiters; diagnostics: Diagnostic[] };

const ISA_LOCATION = { segment: 'ISA', segmentIndex: 1 } as const;

function fixedLayout(h: Buffer): boolean {
  if (h.length < ISA_LENGTH) return false;
  const sep = h[3];
  if (!ISA_SEPARATOR_OFFSETS.every((offset) => h[offset] === sep)) return false;
  return h[104] !== sep && h[105] !== sep && h[104] !== h[105];
}

/** Index of the 16th element separator, or -1. */
function sixteenthSeparator(h: Buffer): number {
  const sep = h[3];
  let count = 0;
  for (let i = 3; i < h.length; i++) {
    if (h[i] === sep && ++count === 16) return i;
  }
  return -1;
}

function isAlnum(ch: string): boolean {
  return /^[A-Za-z0-9]$/.test(ch);
}

function printable(ch: string): string {
  const code = ch.charCodeAt(0);
  return code > 0x20 && code < 0x7f ? `'${ch}'` : `0x${code.toString(16).padStart(2, '0')}`;
}

function delimitersOf(text: string, component: string, segment: string): X12Delimiters {
  const element = text[3]!;
  const elements = text.split(element);
  const isa11 = elements[11] ?? '';
  const version = (elements[12] ?? '').trim();
  const repetition = version >= '00402' && isa11.length === 1 && !isAlnum(isa11) && isa11 !== ' ' ? isa11 : undefined;
  return repetition === undefined ? { element, component, segment } : { element, component, repetition, segment };
}

function delimiterFindings(d: X12Delimiters): Diagnostic[] {
  const found: Diagnostic[] = [];
  const named: Array<[string, string | undefined]> = [
    ['element separator', d.element],
    ['component separator (ISA16)', d.component],
    ['repetition separator (ISA11)', d.repetition],
    ['segment terminator', d.segment],
  ];
  for (let i = 0; i < named.length; i++) {
    for (let j = i + 1; j < named.length; j++) {
      const [a, av] = named[i]!;
      const [b, bv] = named[j]!;
      if (av !== undefined && av === bv) {
        found.push({
          severity: 'error',
          code: 'x12-delimiter-conflict',
          message: `ISA ${a} and ${b} are both ${printable(av)}; expected four different delimiters`,
          location: { ...ISA_LOCATION, field: 16 },
        });
      }
    }
  }
  if (isAlnum(d.segment)) {
    found.push({
      severity: 'error',
      code: 'x12-invalid-terminator',
      message: `ISA segment terminator is ${printable(d.segment)}; expected a character that is not a letter or digit`,
      location: { ...ISA_LOCATION, field: 16 },
    });
  }
  return found;
}

/**
 * Reads the delimiters from the bytes of an ISA (which start with `ISA`). Returns `more` while the
 * bytes seen so far cannot decide (only when `final` is false). The fixed 106-byte layout is tried
 * first; when it does not hold, ISA16 is the byte after the 16th element separator and the
 * terminator the byte after ISA16, with an `x12-isa-length` warning.
 */
export function readIsaHeader(h: Buffer, final: boolean): IsaHeaderResult {
  if (h.length < ISA_LENGTH && !final) return { kind: 'more' };
  let end: number;
  const diagnostics: Diagnostic[] = [];
  if (fixedLayout(h)) {
    end = ISA_LENGTH;
  } else {
    const sixteenth = h.length > 3 ? sixteenthSeparator(h) : -1;
    if (sixteenth < 0 || sixteenth + 2 >= h.length) {
      if (!final) return { kind: 'more' };
      return {
        kind: 'fail',
        diagnostics: [
          {
            severity: 'error',
            code: 'x12-isa-incomplete',
            message: 'ISA has no ISA16 and segment terminator after 16 element separators; expected a 106-character ISA',
            location: ISA_LOCATION,
          },
        ],
      };
    }
    end = sixteenth + 3;
    diagnostics.push({
      severity: 'warning',
      code: 'x12-isa-length',
      message: `ISA must be ${ISA_LENGTH} characters, got ${end}`,
      location: ISA_LOCATION,
    });
  }
  const text = h.toString('latin1', 0, end - 1);
  const delimiters = delimitersOf(text, String.fromCharCode(h[end - 2]!), String.fromCharCode(h[end - 1]!));
  const conflicts = delimiterFindings(delimiters);
  if (delimiters.segment === delimiters.element) return { kind: 'fail', diagnostics: [...diagnostics, ...conflicts] };
  return { kind: 'ok', end, text, delimiters, diagnostics: [...diagnostics, ...conflicts] };
}
