import type { Diagnostic } from '../../../../lib/errors.js';
import type { FindingMapping } from '../../codes.js';
import type { X12Segment } from '../../types.js';

/**
 * The diagnostic codes of the transaction-set mappers and the functional-acknowledgment code each
 * maps to: `segment` codes go to AK304/IK304, `element` codes to AK403/IK403. Codes with `ack:
 * undefined` are application findings (totals, counts) that a 997/999 does not carry.
 */
export const setDiagnosticCodes = {
  'x12-segment-missing': { level: 'segment', ack: '3', meaning: 'a mandatory segment is missing' },
  'x12-segment-unexpected': { level: 'segment', ack: '2', meaning: 'a segment appears where the set does not allow it' },
  'x12-segment-needed': {
    level: 'segment',
    ack: undefined,
    meaning:
      'a segment the base standard makes optional is absent, but the mapper needs it for the canonical document (an application error: the acknowledgment accepts the set, the message goes to the exception queue)',
  },
  'x12-segment-not-mapped': {
    level: 'segment',
    ack: undefined,
    meaning: 'a segment is valid X12 but has no place in the canonical document (warning)',
  },
  'x12-element-missing': {
    level: 'element',
    ack: '1',
    meaning: 'an element the base standard (or the partner profile) makes mandatory is empty',
  },
  'x12-element-conditional-missing': {
    level: 'element',
    ack: '2',
    meaning: 'a conditional element is empty although its syntax note requires it (paired or conditional relation)',
  },
  'x12-element-needed': {
    level: 'element',
    ack: undefined,
    meaning:
      'an element the standard makes optional is empty, but the mapper needs it for the canonical document (an application error: the acknowledgment accepts the set, the message goes to the exception queue)',
  },
  'x12-element-invalid-number': { level: 'element', ack: '6', meaning: 'a numeric element holds something other than a number' },
  'x12-element-invalid-date': { level: 'element', ack: '8', meaning: 'a date element is not CCYYMMDD or not a calendar date' },
  'x12-element-invalid-time': { level: 'element', ack: '9', meaning: 'a time element is not HHMM[SS[D..]]' },
  'x12-element-invalid-code': { level: 'element', ack: '7', meaning: 'a coded element holds a value the mapper does not accept' },
  'x12-hl-duplicate-id': { level: 'element', ack: '7', meaning: 'HL01 repeats an earlier HL01 or does not increase' },
  'x12-hl-orphan-parent': { level: 'element', ack: '7', meaning: 'HL02 names no earlier HL01' },
  'x12-hl-level-order': { level: 'element', ack: '7', meaning: 'HL03 level is not allowed under its parent by the BSN05 structure' },
  'x12-count-mismatch': { level: 'element', ack: undefined, meaning: 'CTT01 differs from the number of lines counted' },
  'x12-total-mismatch': { level: 'element', ack: undefined, meaning: 'TDS01 differs from lines + allowances/charges + taxes (warning)' },
  'x12-document-invalid': { level: 'segment', ack: undefined, meaning: 'the mapped document fails the canonical schema' },
} as const satisfies Record<string, { level: 'segment' | 'element'; ack: string | undefined; meaning: string }>;

export type SetDiagnosticCode = keyof typeof setDiagnosticCodes;

/** Builds a diagnostic located at a segment (and element, when `field` is given). */
export function diagnostic(
  severity: Diagnostic['severity'],
  code: SetDiagnosticCode,
  message: string,
  segment?: X12Segment,
  field?: number,
): Diagnostic {
  const location: NonNullable<Diagnostic['location']> = {};
  if (segment) {
    location.segment = segment.id;
    location.segmentIndex = segment.position;
  }
  if (field !== undefined) location.field = field;
  return { severity, code, message, ...(segment || field !== undefined ? { location } : {}) };
}

/** Two-digit element reference as the standard writes it: `BEG`, 3 → `BEG03`. */
export function elementRef(segmentId: string, field: number): string {
  return `${segmentId}${String(field).padStart(2, '0')}`;
}

/**
 * The same table in the shape of the envelope reader's `X12_FINDINGS` (parsers/x12/codes.ts), so the
 * 997/999 builder can look set-mapper codes up: segment codes give AK304, element codes AK304 8 with
 * their AK403, and application findings (no AK code) are `document` level, kept out of the ack.
 */
export const setFindings: Readonly<Record<string, FindingMapping>> = Object.fromEntries(
  Object.entries(setDiagnosticCodes).map(([code, entry]): [string, FindingMapping] => {
    if (entry.ack === undefined) return [code, { level: 'document', meaning: entry.meaning }];
    if (entry.level === 'segment') return [code, { level: 'segment', ak304: entry.ack, meaning: entry.meaning }];
    return [code, { level: 'element', ak304: '8', ak403: entry.ack, meaning: entry.meaning }];
  }),
);
