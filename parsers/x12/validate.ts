import type { Diagnostic } from '../../lib/errors.js';
import type { X12Segment } from './types.js';
import type { X12Document, X12Group, X12Interchange, X12ReadSet } from './document.js';
import { addSetFindings, element } from './document.js';
import { KNOWN_SEGMENT_IDS, isSegmentIdShape } from './segment-ids.js';
import type { ErrorCode } from '../../lib/error-codes.js';

/**
 * Envelope checks. Each returns findings (never throws). Severity follows the acknowledgment: a
 * finding the TA1 rejects (R) is an error; one it accepts with a note (E: IEA counts, a segment
 * outside any set) is a warning, so what is acknowledged is also what is processed. the reader calls them as segments arrive,
 * so the streaming and whole-buffer forms report the same. Codes and their acknowledgment mapping:
 * `codes.ts`.
 */

function finding(
  code: ErrorCode,
  message: string,
  segment: X12Segment,
  field?: number,
  severity: Diagnostic['severity'] = 'error',
): Diagnostic {
  const location =
    field === undefined
      ? { segment: segment.id, segmentIndex: segment.position }
      : { segment: segment.id, segmentIndex: segment.position, field };
  return { severity, code, message, location };
}

function validDate(yyyymmdd: string): boolean {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function validTime(hhmm: string): boolean {
  return /^([01]\d|2[0-3])[0-5]\d$/.test(hhmm);
}

const ISA_FORMATS: ReadonlyArray<[number, (v: string) => boolean, string]> = [
  [1, (v) => /^\d{2}$/.test(v), 'a 2-digit authorization qualifier'],
  [3, (v) => /^\d{2}$/.test(v), 'a 2-digit security qualifier'],
  [5, (v) => /^[A-Z0-9]{2}$/.test(v), 'a 2-character sender id qualifier'],
  [7, (v) => /^[A-Z0-9]{2}$/.test(v), 'a 2-character receiver id qualifier'],
  [9, (v) => /^\d{6}$/.test(v) && validDate(`20${v}`), 'a date YYMMDD'],
  [10, (v) => /^\d{4}$/.test(v) && validTime(v), 'a time HHMM'],
  [12, (v) => /^\d{5}$/.test(v), 'a 5-digit version such as 00401 or 00501'],
  [13, (v) => /^\d{9}$/.test(v), 'a 9-digit control number'],
  [14, (v) => v === '0' || v === '1', '0 or 1'],
  [15, (v) => v === 'P' || v === 'T', 'P or T'],
];

/** ISA: 16 elements, mandatory ones present, formats of qualifiers, date, time, version, ISA13–ISA15. */
export function checkIsa(isa: X12Segment): Diagnostic[] {
  const found: Diagnostic[] = [];
  if (isa.elements.length !== 17) {
    found.push(finding('x12-isa-element-count', `ISA has ${isa.elements.length - 1} elements; expected 16`, isa));
  }
  for (let n = 1; n <= 16; n++) {
    const raw = isa.elements[n] ?? '';
    const optionalBlank = (n === 2 && element(isa, 1) === '00') || (n === 4 && element(isa, 3) === '00');
    if (raw.trim() === '' && !optionalBlank && !(n === 16 && raw.length > 0)) {
      found.push(finding('x12-isa-element-empty', `ISA${String(n).padStart(2, '0')} is empty; expected a value`, isa, n));
    }
  }
  for (const [n, ok, expected] of ISA_FORMATS) {
    const value = element(isa, n);
    if (value !== '' && !ok(value)) {
      found.push(finding('x12-isa-element-invalid', `ISA${String(n).padStart(2, '0')} is '${value}'; expected ${expected}`, isa, n));
    }
  }
  return found;
}

/** GS: eight mandatory elements; GS06 1–9 digits. */
export function checkGs(gs: X12Segment): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (let n = 1; n <= 8; n++) {
    if (element(gs, n) === '')
      found.push(finding('x12-gs-element-empty', `GS${String(n).padStart(2, '0')} is empty; expected a value`, gs, n));
  }
  const control = element(gs, 6);
  if (control !== '' && !/^\d{1,9}$/.test(control)) {
    found.push(finding('x12-gs-control-invalid', `GS06 is '${control}'; expected a group control number of 1 to 9 digits`, gs, 6));
  }
  return found;
}

/** ST: ST01 and ST02 present; ST02 unique within its group (`seen` holds the group's ST02s so far). */
export function checkSt(st: X12Segment, seen: ReadonlySet<string>): Diagnostic[] {
  const found: Diagnostic[] = [];
  if (element(st, 1) === '') found.push(finding('x12-st-element-empty', 'ST01 is empty; expected a transaction set id such as 850', st, 1));
  const control = element(st, 2);
  if (control === '') found.push(finding('x12-st-element-empty', 'ST02 is empty; expected a transaction set control number', st, 2));
  else if (seen.has(control)) {
    found.push(
      finding('x12-st-control-duplicate', `ST02 ${control} repeats within the functional group; expected a unique control number`, st, 2),
    );
  }
  return found;
}

/**
 * A segment id that cannot be an X12 segment id (AK304 1): not 2 or 3 upper-case letters or digits
 * starting with a letter. The standard defines far more segments than any list here (B3, W05, TED,
 * PKL…): a well-formed id is accepted, because a partner sending a segment of the standard is not
 * wrong only because no mapper of ours reads it.
 */
export function checkSegmentId(segment: X12Segment, extraIds?: ReadonlySet<string>): Diagnostic | undefined {
  if (KNOWN_SEGMENT_IDS.has(segment.id) || extraIds?.has(segment.id) || isSegmentIdShape(segment.id)) return undefined;
  const shown = isSegmentIdShape(segment.id) ? segment.id : 'not a segment id';
  return {
    severity: 'error',
    code: 'x12-unknown-segment',
    message: `segment ${segment.position} id is ${shown}; expected an X12 segment id`,
    location: isSegmentIdShape(segment.id) ? { segment: segment.id, segmentIndex: segment.position } : { segmentIndex: segment.position },
  };
}

/** SE01 = segments ST…SE inclusive; SE02 = ST02. */
export function checkSe(set: X12ReadSet, se: X12Segment): Diagnostic[] {
  const found: Diagnostic[] = [];
  const count = element(se, 1);
  if (count !== String(set.segmentCount)) {
    found.push(finding('x12-se-count-mismatch', `SE01 is '${count}'; expected ${set.segmentCount} (segments ST…SE inclusive)`, se, 1));
  }
  const control = element(se, 2);
  if (control !== set.controlNumber) {
    found.push(finding('x12-se-control-mismatch', `SE02 is '${control}'; expected '${set.controlNumber}' (ST02)`, se, 2));
  }
  return found;
}

/** GE01 = number of sets; GE02 = GS06. */
export function checkGe(group: X12Group, ge: X12Segment): Diagnostic[] {
  const found: Diagnostic[] = [];
  const count = element(ge, 1);
  if (count !== String(group.sets.length)) {
    found.push(
      finding('x12-ge-count-mismatch', `GE01 is '${count}'; expected ${group.sets.length} (transaction sets in the group)`, ge, 1),
    );
  }
  const control = element(ge, 2);
  if (control !== group.controlNumber) {
    found.push(finding('x12-ge-control-mismatch', `GE02 is '${control}'; expected '${group.controlNumber}' (GS06)`, ge, 2));
  }
  return found;
}

/** IEA01 = number of groups; IEA02 = ISA13. */
export function checkIea(interchange: X12Interchange, iea: X12Segment): Diagnostic[] {
  const found: Diagnostic[] = [];
  const count = element(iea, 1);
  if (count !== String(interchange.groups.length)) {
    found.push(
      finding(
        'x12-iea-count-mismatch',
        `IEA01 is '${count}'; expected ${interchange.groups.length} (functional groups)`,
        iea,
        1,
        'warning',
      ),
    );
  }
  const control = element(iea, 2);
  if (control !== interchange.header.controlNumber) {
    found.push(
      finding(
        'x12-iea-control-mismatch',
        `IEA02 is '${control}'; expected '${interchange.header.controlNumber}' (ISA13)`,
        iea,
        2,
        'warning',
      ),
    );
  }
  return found;
}

/** I37 Delivery Time Code (ISE03): 01–24 (offsets from UTC, ISO 8601 P01…P12, M12…M01) and the zone codes. */
const DELIVERY_TIME_CODES = new Set([
  ...Array.from({ length: 24 }, (_, i) => String(i + 1).padStart(2, '0')),
  ...['CD', 'CS', 'CT', 'ED', 'ES', 'ET', 'GM', 'LT', 'MD', 'MS', 'MT', 'PD', 'PS', 'PT', 'UT'],
]);

/**
 * ISB (grade of service request) and ISE (deferred delivery request), the interchange control
 * segments of the X12.5 interchange structure, checked against their base-standard definitions:
 * ISB01 (I34, ID 1/1, M) one of 0 normal, 1 low, 2 urgent; ISE01 (I35, DT 6/6, M) a date YYMMDD,
 * ISE02 (I36, TM 4/4, M) a time HHMM, ISE03 (I37, ID 2/2, O) a delivery time code. Each may appear
 * once, ISB before ISE, between the ISA and the first GS (`earlier` holds those already read). A
 * finding is a warning with its own TA105 (031, 028, 029, 030; 024 for order and repetition): the
 * request cannot be honoured, the data itself is sound, so the TA1 accepts with errors noted (E) and
 * the groups are acknowledged and processed.
 */
export function checkControlSegment(segment: X12Segment, earlier: readonly X12Segment[]): Diagnostic[] {
  const found: Diagnostic[] = [];
  const warn = (code: ErrorCode, message: string, field?: number) => found.push(finding(code, message, segment, field, 'warning'));
  if (earlier.some((s) => s.id === segment.id)) {
    warn(
      'x12-control-segment-misplaced',
      `${segment.id} at segment ${segment.position} repeats; expected at most one ${segment.id} per interchange`,
    );
  } else if (segment.id === 'ISB' && earlier.some((s) => s.id === 'ISE')) {
    warn('x12-control-segment-misplaced', `ISB at segment ${segment.position} follows the ISE; expected ISB before ISE`);
  }
  const extra = segment.elements.length - 1 - (segment.id === 'ISB' ? 1 : 3);
  if (extra > 0) {
    warn(
      'x12-control-segment-misplaced',
      `${segment.id} has ${segment.elements.length - 1} elements; expected at most ${segment.id === 'ISB' ? 1 : 3}`,
    );
  }
  if (segment.id === 'ISB') {
    const grade = element(segment, 1);
    if (!['0', '1', '2'].includes(grade)) {
      warn('x12-isb-invalid', `ISB01 is '${grade}'; expected a grade of service code 0 (normal), 1 (low) or 2 (urgent)`, 1);
    }
    return found;
  }
  const date = element(segment, 1);
  if (!/^\d{6}$/.test(date) || !validDate(`20${date}`)) {
    warn('x12-ise-invalid-date', `ISE01 is '${date}'; expected the delivery date as YYMMDD`, 1);
  }
  const time = element(segment, 2);
  if (!validTime(time)) warn('x12-ise-invalid-time', `ISE02 is '${time}'; expected the delivery time as HHMM`, 2);
  const zone = element(segment, 3);
  if (zone !== '' && !DELIVERY_TIME_CODES.has(zone)) {
    warn('x12-ise-invalid-time-code', `ISE03 is '${zone}'; expected a delivery time code (01–24, UT, GM, LT, ET, CT, MT, PT…)`, 3);
  }
  return found;
}

/** The finding for an envelope that ends without its trailer; `at` is the position where it ended. */
export function missingTrailer(kind: 'SE' | 'GE' | 'IEA', opener: X12Segment, at: number, reason: string): Diagnostic {
  const code = kind === 'SE' ? 'x12-se-missing' : kind === 'GE' ? 'x12-ge-missing' : 'x12-iea-missing';
  return {
    severity: 'error',
    code,
    message: `${opener.id} at segment ${opener.position} has no ${kind} before ${reason} (segment ${at}); expected ${kind}`,
    location: { segment: opener.id, segmentIndex: opener.position },
  };
}

/**
 * Duplicate interchange check. The engine keeps the history; this function is pure: it returns a copy
 * of `doc` where every interchange whose (ISA06 sender, ISA13) `seen` reports as already received
 * carries an `x12-duplicate-interchange` error (TA105 025).
 */
export function withDuplicateCheck(doc: X12Document, seen: (senderId: string, controlNumber: string) => boolean): X12Document {
  return {
    ...doc,
    interchanges: doc.interchanges.map((ic) => {
      if (!seen(ic.header.senderId, ic.header.controlNumber)) return ic;
      const duplicate: Diagnostic = {
        severity: 'error',
        code: 'x12-duplicate-interchange',
        message: `ISA13 ${ic.header.controlNumber} from sender ${ic.header.senderId} was already received; expected a new control number`,
        location: { segment: 'ISA', segmentIndex: 1, field: 13 },
      };
      return { ...ic, diagnostics: [...ic.diagnostics, duplicate] };
    }),
  };
}

/**
 * Partner requirements, pure like `withSupportCheck`: a copy of `doc` where each set carries an
 * `x12-element-missing` error (AK403 1) for every element listed in `required` that is empty in a
 * segment of that set. Entries are element references, for every set (`PO101`) or one (`850/PO101`):
 * what an implementation guide makes mandatory beyond the base standard.
 */
export function withPartnerRequirements(doc: X12Document, required: readonly string[], partner = 'the partner'): X12Document {
  const rules = required
    .map((entry) => {
      const m = /^(?:(\d{3})\/)?([A-Z][A-Z0-9]{1,2})(\d{2})$/.exec(entry);
      return m ? { set: m[1], segment: m[2]!, n: Number(m[3]), ref: `${m[2]}${m[3]}` } : undefined;
    })
    .filter((r): r is NonNullable<typeof r> => r !== undefined);
  if (rules.length === 0) return doc;
  const findingsOf = (set: X12ReadSet): Diagnostic[] => {
    const out: Diagnostic[] = [];
    for (const s of set.segments) {
      for (const rule of rules) {
        if (rule.segment !== s.id || (rule.set !== undefined && rule.set !== set.id) || element(s, rule.n) !== '') continue;
        out.push(finding('x12-element-missing', `${rule.ref} is empty; ${partner} requires it (partner profile)`, s, rule.n));
      }
    }
    return out;
  };
  return addSetFindings(doc, findingsOf);
}

/** What a channel accepts; an absent list accepts everything. */
export type X12Support = {
  /** ST01 values, e.g. ['850', '855']. */
  sets?: readonly string[];
  /** GS01 values, e.g. ['PO', 'PR']. */
  functionalIds?: readonly string[];
  /** GS08 values or prefixes, e.g. ['004010', '005010']. */
  versions?: readonly string[];
};

/**
 * Support check, pure like `withDuplicateCheck`: a copy of `doc` where groups of an unsupported GS01
 * or GS08 carry `x12-group-unsupported` / `x12-group-version-unsupported` (AK905 1 / 2) and sets of an
 * unsupported ST01 carry `x12-set-unsupported` (AK502 1). FA groups (acknowledgments) are always
 * supported.
 */
export function withSupportCheck(doc: X12Document, support: X12Support): X12Document {
  const groupFindings = (g: X12Group): Diagnostic[] => {
    if (g.functionalId === 'FA') return [];
    const found: Diagnostic[] = [];
    if (support.functionalIds && !support.functionalIds.includes(g.functionalId)) {
      found.push(
        finding('x12-group-unsupported', `GS01 is '${g.functionalId}'; expected one of ${support.functionalIds.join(', ')}`, g.gs, 1),
      );
    }
    if (support.versions && !support.versions.some((v) => g.version.startsWith(v))) {
      found.push(
        finding('x12-group-version-unsupported', `GS08 is '${g.version}'; expected one of ${support.versions.join(', ')}`, g.gs, 8),
      );
    }
    return found;
  };
  const setFinding = (set: X12ReadSet): Diagnostic[] =>
    support.sets && !support.sets.includes(set.id) && set.functionalId !== 'FA'
      ? [
          {
            severity: 'error',
            code: 'x12-set-unsupported',
            message: `ST01 is '${set.id}'; expected one of ${support.sets.join(', ')}`,
            location: { segment: 'ST', segmentIndex: set.position, field: 1 },
          },
        ]
      : [];
  return {
    ...doc,
    interchanges: doc.interchanges.map((ic) => ({
      ...ic,
      groups: ic.groups.map((g) => {
        const extra = groupFindings(g);
        return {
          ...g,
          diagnostics: extra.length > 0 ? [...g.diagnostics, ...extra] : g.diagnostics,
          sets: g.sets.map((set) => {
            const own = setFinding(set);
            return own.length > 0 ? { ...set, diagnostics: [...set.diagnostics, ...own] } : set;
          }),
        };
      }),
    })),
  };
}
