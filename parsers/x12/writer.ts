import { MappingError } from '../../lib/errors.js';
import type { X12Delimiters } from './types.js';
import type { ErrorCode } from '../../lib/error-codes.js';

export type X12Party = { qualifier: string; id: string };

export type X12SetSpec = {
  /** ST01: 850, 997… */
  id: string;
  /** ST02; numbers are zero-padded to 4 digits. */
  controlNumber: number | string;
  /** ST03 (5010 implementation convention reference), optional. */
  implementationRef?: string;
  /** Segments between ST and SE exclusive, as element arrays: `['BEG', '00', 'SA', 'PO1']`. */
  segments: string[][];
};

export type X12GroupSpec = {
  functionalId: string;
  senderCode: string;
  receiverCode: string;
  controlNumber: number | string;
  /** GS08: 004010, 005010X231A1… */
  version: string;
  sets: X12SetSpec[];
};

export type X12InterchangeSpec = {
  sender: X12Party;
  receiver: X12Party;
  /** ISA09/ISA10 and GS04/GS05, in UTC; default now. */
  date?: Date;
  /** ISA13, 1–999999999; zero-padded to 9 digits. */
  controlNumber: number | string;
  usageIndicator: 'P' | 'T';
  ackRequested: boolean;
  /** ISA12, five digits: 00401, 00501, or the version of an interchange being answered (00306, 00406…). */
  version: string;
  delimiters: X12Delimiters;
  /** Segments between the ISA and the first GS (a TA1), as element arrays. */
  interchangeSegments?: string[][];
  groups: X12GroupSpec[];
  /** Written after each segment terminator, e.g. '\n' for readability; whitespace only. */
  segmentSuffix?: string;
};

function fail(code: ErrorCode, message: string): never {
  throw new MappingError(code, message);
}

function checkDelimiters(spec: X12InterchangeSpec): void {
  const d = spec.delimiters;
  const list = [d.element, d.component, d.segment, ...(d.repetition === undefined ? [] : [d.repetition])];
  for (const ch of list) {
    if (ch.length !== 1 || /[A-Za-z0-9 ]/.test(ch)) {
      fail(
        'x12-write-invalid-delimiters',
        `delimiter '${ch}' is not one character other than a letter, digit or space; expected one such character`,
      );
    }
  }
  if (new Set(list).size !== list.length)
    fail('x12-write-invalid-delimiters', 'two delimiters are the same character; expected four different delimiters');
  if (!/^\d{5}$/.test(spec.version))
    fail('x12-write-invalid-version', `ISA12 is '${spec.version}'; expected five digits such as 00401 or 00501`);
  if (hasRepetitionSeparator(spec.version) && d.repetition === undefined) {
    fail('x12-write-invalid-delimiters', `version ${spec.version} needs a repetition separator (ISA11); expected delimiters.repetition`);
  }
  if (spec.segmentSuffix !== undefined && !/^[\r\n]*$/.test(spec.segmentSuffix)) {
    fail('x12-write-invalid-delimiters', 'segmentSuffix must be CR and LF characters only');
  }
}

/** ISA11 is the repetition separator from 00402 on; before, it is the standards identifier `U`. */
export function hasRepetitionSeparator(isa12: string): boolean {
  return isa12 >= '00402';
}

/** GS04 is CCYYMMDD from 004010 on, YYMMDD in earlier versions (GS08 003060…). */
function groupDate(gs08: string, when: { yymmdd: string; ccyymmdd: string }): string {
  return /^00[1-3]\d/.test(gs08) ? when.yymmdd : when.ccyymmdd;
}

function fixed(name: string, value: string, width: number): string {
  if (value.length > width) fail('x12-write-field-too-long', `${name} is ${value.length} characters; expected at most ${width}`);
  return value.padEnd(width, ' ');
}

function controlNumber(name: string, value: number | string, minWidth: number, maxWidth: number): string {
  const text = String(value);
  if (!/^\d+$/.test(text) || text.length > maxWidth || Number(text) === 0) {
    fail('x12-write-invalid-control-number', `${name} is '${text}'; expected 1 to ${'9'.repeat(maxWidth)}`);
  }
  return text.padStart(minWidth, '0');
}

function stamp(date: Date): { yymmdd: string; ccyymmdd: string; hhmm: string } {
  const iso = date.toISOString();
  const ccyymmdd = iso.slice(0, 10).replace(/-/g, '');
  return { yymmdd: ccyymmdd.slice(2), ccyymmdd, hhmm: iso.slice(11, 16).replace(':', '') };
}

const ENVELOPE_IDS = new Set(['ISA', 'IEA', 'GS', 'GE', 'ST', 'SE']);

/** One segment as text (without terminator): values checked, trailing empty elements trimmed. */
function segmentText(row: string[], d: X12Delimiters, where: string): string {
  const id = row[0] ?? '';
  if (!/^[A-Z][A-Z0-9]{1,2}$/.test(id))
    fail('x12-write-invalid-segment-id', `${where} segment id is '${id}'; expected 2 or 3 upper-case letters or digits`);
  let last = row.length - 1;
  while (last > 0 && row[last] === '') last--;
  const values = row.slice(0, last + 1);
  for (let i = 1; i < values.length; i++) {
    const value = values[i]!;
    if (value.includes(d.element) || value.includes(d.segment)) {
      const which = value.includes(d.element) ? 'element separator' : 'segment terminator';
      fail(
        'x12-write-delimiter-in-value',
        `${id}${String(i).padStart(2, '0')} contains the ${which}; X12 has no escape, expected a value without it`,
      );
    }
  }
  return values.join(d.element);
}

function isaText(spec: X12InterchangeSpec, when: ReturnType<typeof stamp>, isa13: string): string {
  const d = spec.delimiters;
  const fields = [
    'ISA',
    '00',
    fixed('ISA02', '', 10),
    '00',
    fixed('ISA04', '', 10),
    fixed('ISA05 sender qualifier', spec.sender.qualifier, 2),
    fixed('ISA06 sender id', spec.sender.id, 15),
    fixed('ISA07 receiver qualifier', spec.receiver.qualifier, 2),
    fixed('ISA08 receiver id', spec.receiver.id, 15),
    when.yymmdd,
    when.hhmm,
    hasRepetitionSeparator(spec.version) ? d.repetition! : 'U',
    spec.version,
    isa13,
    spec.ackRequested ? '1' : '0',
    spec.usageIndicator,
    d.component,
  ];
  for (const [i, value] of fields.entries()) {
    if (i > 0 && i < 16 && (value.includes(d.element) || value.includes(d.segment))) {
      fail('x12-write-delimiter-in-value', `ISA${String(i).padStart(2, '0')} contains a delimiter; expected a value without it`);
    }
  }
  return fields.join(d.element);
}

/**
 * Writes one interchange: ISA padded to exactly 106 characters, then GS/ST…SE/GE per group and IEA,
 * with segment counts and control numbers computed. Throws `MappingError` (codes `x12-write-*`) on
 * a value that contains a delimiter, an over-long ISA field, a bad control number or bad delimiters.
 */
export function writeInterchange(spec: X12InterchangeSpec): string {
  checkDelimiters(spec);
  const d = spec.delimiters;
  const when = stamp(spec.date ?? new Date());
  const isa13 = controlNumber('ISA13', spec.controlNumber, 9, 9);
  const end = d.segment + (spec.segmentSuffix ?? '');
  const out: string[] = [isaText(spec, when, isa13)];
  for (const row of spec.interchangeSegments ?? []) out.push(segmentText(row, d, 'interchange'));
  for (const group of spec.groups) {
    const gs06 = controlNumber('GS06', group.controlNumber, 1, 9);
    out.push(
      segmentText(
        [
          'GS',
          group.functionalId,
          group.senderCode,
          group.receiverCode,
          groupDate(group.version, when),
          when.hhmm,
          gs06,
          'X',
          group.version,
        ],
        d,
        'GS',
      ),
    );
    for (const set of group.sets) {
      const st02 = controlNumber('ST02', set.controlNumber, 4, 9);
      out.push(segmentText(['ST', set.id, st02, set.implementationRef ?? ''], d, 'ST'));
      for (const row of set.segments) {
        if (ENVELOPE_IDS.has(row[0] ?? ''))
          fail(
            'x12-write-invalid-segment-id',
            `set ${st02} contains an envelope segment ${row[0]}; expected only the segments between ST and SE`,
          );
        out.push(segmentText(row, d, `set ${st02}`));
      }
      out.push(segmentText(['SE', String(set.segments.length + 2), st02], d, 'SE'));
    }
    out.push(segmentText(['GE', String(group.sets.length), gs06], d, 'GE'));
  }
  out.push(segmentText(['IEA', String(spec.groups.length), isa13], d, 'IEA'));
  return out.join(end) + end;
}

/**
 * The interchange as bytes: one byte per character (latin1), so a delimiter above 0x7F (0xE2…) is
 * written back as that single byte and the ISA stays 106 bytes. X12 out is always written this way.
 */
export function interchangeBytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}
