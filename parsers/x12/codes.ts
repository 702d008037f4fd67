/**
 * The one table that says what every X12 finding means for an acknowledgment. Each diagnostic code the
 * X12 parser emits has a row: the envelope level it belongs to and the TA1 / AK9 / AK5 (IK5) /
 * AK3 (IK3) / AK4 (IK4) code it becomes. `acks.ts` reads only this table; docs/x12.md reproduces it.
 */

import { setFindings } from './sets/index.js';

/** Where a finding sits in the envelope, which decides the acknowledgment segment that reports it. */
export type FindingLevel = 'document' | 'interchange' | 'group' | 'set' | 'segment' | 'element';

export type FindingMapping = {
  level: FindingLevel;
  /** TA105 interchange note code (interchange level). */
  ta105?: string;
  /** TA104 when this finding is present: E = accepted with errors, R = rejected. */
  ta104?: 'E' | 'R';
  /** AK905 (997) / AK905 (999) functional group syntax error code (group level). */
  ak905?: string;
  /** AK502 / IK502 transaction set syntax error code (set level; segment and element imply 5). */
  ak502?: string;
  /** AK304 / IK304 segment syntax error code (segment and element level). */
  ak304?: string;
  /** AK403 / IK403 data element syntax error code (element level). */
  ak403?: string;
  meaning: string;
};

/** TA105 for an empty or malformed ISA element, by element number (ISA01…ISA16). */
export const ISA_ELEMENT_NOTE_CODES: Readonly<Record<number, string>> = {
  1: '010',
  2: '011',
  3: '012',
  4: '013',
  5: '005',
  6: '006',
  7: '007',
  8: '008',
  9: '014',
  10: '015',
  11: '016',
  12: '017',
  13: '018',
  14: '019',
  15: '020',
  16: '027',
};

/** Every diagnostic code of the X12 reader and validator, with its acknowledgment mapping. */
export const X12_FINDINGS: Readonly<Record<string, FindingMapping>> = {
  'x12-empty-input': { level: 'document', meaning: 'the input holds no bytes other than whitespace' },
  'x12-no-isa': { level: 'document', meaning: 'bytes that are not an ISA where an interchange must start (skipped up to the next ISA)' },
  'x12-isa-incomplete': { level: 'document', meaning: 'an ISA whose 16 element separators, ISA16 and terminator could not be found' },
  'x12-segment-outside-interchange': { level: 'document', meaning: 'segments after an IEA and before the next ISA' },
  'x12-set-unmapped': { level: 'document', meaning: 'toCanonical: no mapper is registered for this ST01' },
  'x12-mapper-failed': { level: 'document', meaning: 'toCanonical: a set mapper threw (a bug in the mapper); the set is skipped' },
  'x12-ack-malformed': { level: 'document', meaning: 'a received TA1/997/999 could not be read completely' },
  'x12-too-many-diagnostics': { level: 'document', meaning: 'further findings were dropped after the configured maximum' },
  'x12-isa-length': {
    level: 'interchange',
    ta105: '024',
    ta104: 'E',
    meaning: 'the ISA is not 106 characters (tolerated: a warning, an error in strict mode)',
  },
  'x12-isa-element-count': { level: 'interchange', ta105: '024', ta104: 'R', meaning: 'the ISA does not have 16 elements' },
  'x12-isa-element-empty': {
    level: 'interchange',
    ta105: 'by element',
    ta104: 'R',
    meaning: 'a mandatory ISA element is empty (TA105 from the ISA element table)',
  },
  'x12-isa-element-invalid': {
    level: 'interchange',
    ta105: 'by element',
    ta104: 'R',
    meaning: 'an ISA element has the wrong format: date, time, 9-digit control number, ISA14 0/1, ISA15 P/T',
  },
  'x12-delimiter-conflict': { level: 'interchange', ta105: '026', ta104: 'R', meaning: 'two delimiters of the ISA are the same byte' },
  'x12-invalid-terminator': { level: 'interchange', ta105: '004', ta104: 'R', meaning: 'the segment terminator is a letter or a digit' },
  'x12-iea-missing': {
    level: 'interchange',
    ta105: '023',
    ta104: 'R',
    meaning: 'the interchange ends (end of input or a new ISA) without an IEA',
  },
  'x12-iea-count-mismatch': {
    level: 'interchange',
    ta105: '021',
    ta104: 'E',
    meaning: 'IEA01 differs from the number of functional groups',
  },
  'x12-iea-control-mismatch': { level: 'interchange', ta105: '001', ta104: 'E', meaning: 'IEA02 differs from ISA13' },
  'x12-segment-outside-set': {
    level: 'interchange',
    ta105: '024',
    ta104: 'E',
    meaning: 'a segment inside the interchange but outside ST…SE (other than GS, GE, TA1)',
  },
  'x12-isb-invalid': {
    level: 'interchange',
    ta105: '031',
    ta104: 'E',
    meaning: 'ISB01 is not a grade of service code (0 normal, 1 low, 2 urgent); the interchange is processed at normal grade',
  },
  'x12-ise-invalid-date': { level: 'interchange', ta105: '028', ta104: 'E', meaning: 'ISE01 (delivery date) is not a date YYMMDD' },
  'x12-ise-invalid-time': { level: 'interchange', ta105: '029', ta104: 'E', meaning: 'ISE02 (delivery time) is not a time HHMM' },
  'x12-ise-invalid-time-code': {
    level: 'interchange',
    ta105: '030',
    ta104: 'E',
    meaning: 'ISE03 (delivery time code) is none of the codes of element I37',
  },
  'x12-control-segment-misplaced': {
    level: 'interchange',
    ta105: '024',
    ta104: 'E',
    meaning: 'an ISB or ISE repeats, an ISB follows the ISE, or one carries more elements than the standard defines',
  },
  'x12-duplicate-interchange': { level: 'interchange', ta105: '025', ta104: 'R', meaning: 'this sender already sent this ISA13' },
  'x12-receiver-unknown': {
    level: 'interchange',
    ta105: '009',
    ta104: 'R',
    meaning: 'ISA08 is none of our interchange ids (engine.yaml x12); the interchange is stored as rejected and not processed',
  },
  'x12-receiver-qualifier': {
    level: 'interchange',
    ta105: '007',
    ta104: 'R',
    meaning: 'ISA08 is one of our ids but ISA07 is not its qualifier; the interchange is stored as rejected and not processed',
  },
  'x12-unit-rejected': {
    level: 'interchange',
    ta105: '024',
    ta104: 'R',
    meaning: 'another interchange in the same received unit is addressed to a receiver that is not us, so the whole unit is rejected',
  },
  'x12-gs-element-empty': { level: 'group', meaning: 'a mandatory GS element is empty' },
  'x12-gs-control-invalid': { level: 'group', ak905: '6', meaning: 'GS06 is not 1 to 9 digits' },
  'x12-group-unsupported': {
    level: 'group',
    ak905: '1',
    meaning: 'GS01 is not a functional group this channel accepts (withSupportCheck)',
  },
  'x12-group-version-unsupported': { level: 'group', ak905: '2', meaning: 'GS08 is not a version this channel accepts (withSupportCheck)' },
  'x12-ge-missing': { level: 'group', ak905: '3', meaning: 'the group ends without a GE' },
  'x12-ge-control-mismatch': { level: 'group', ak905: '4', meaning: 'GE02 differs from GS06' },
  'x12-ge-count-mismatch': { level: 'group', ak905: '5', meaning: 'GE01 differs from the number of transaction sets' },
  'x12-set-unsupported': { level: 'set', ak502: '1', meaning: 'ST01 is not a transaction set this channel accepts (withSupportCheck)' },
  'x12-se-missing': { level: 'set', ak502: '2', meaning: 'the transaction set ends without an SE' },
  'x12-se-control-mismatch': { level: 'set', ak502: '3', meaning: 'SE02 differs from ST02' },
  'x12-se-count-mismatch': { level: 'set', ak502: '4', meaning: 'SE01 differs from the number of segments ST…SE inclusive' },
  'x12-st-control-duplicate': { level: 'set', ak502: '23', meaning: 'ST02 repeats within the functional group' },
  'x12-st-element-empty': { level: 'element', ak304: '8', ak403: '1', meaning: 'ST01 or ST02 is empty (AK502 6 or 7 as well)' },
  'x12-unknown-segment': {
    level: 'segment',
    ak304: '1',
    meaning: 'a segment id that cannot be an X12 segment id (not 2–3 upper-case letters or digits starting with a letter)',
  },
  'x12-segment-too-long': { level: 'segment', ak304: '8', meaning: 'a segment longer than the maximum segment length; it was skipped' },
  'x12-unterminated-segment': {
    level: 'segment',
    ak304: '8',
    meaning: 'the last segment of the input has no terminator (read anyway, a warning)',
  },
  'x12-binary-length-mismatch': {
    level: 'segment',
    ak304: '8',
    meaning: 'a BIN/BDS segment whose declared length of binary data is not followed by the segment terminator',
  },
  'x12-empty-segment': { level: 'segment', meaning: 'two terminators in a row (ignored, a warning)' },
};

/**
 * The mapping of a code: the envelope table, then the set mappers' table (`setFindings` of
 * `sets/index.ts`); any other code counts as a segment error (AK304 8).
 */
export function findingMapping(code: string): FindingMapping {
  return X12_FINDINGS[code] ?? setFindings[code] ?? { level: 'segment', ak304: '8', meaning: 'unknown finding' };
}

/** TA105 for a finding: ISA element findings look their code up by element number. */
export function noteCodeFor(code: string, field: number | undefined): string | undefined {
  const mapping = findingMapping(code);
  if (mapping.ta105 !== 'by element') return mapping.ta105;
  return (field !== undefined ? ISA_ELEMENT_NOTE_CODES[field] : undefined) ?? '024';
}
