import type { Diagnostic } from '../../lib/errors.js';
import type { X12Delimiters } from './types.js';
import type { X12Document, X12Group, X12Interchange, X12ReadSet } from './document.js';
import { findingMapping, noteCodeFor } from './codes.js';
import { widen } from './encoding.js';
import { hasRepetitionSeparator, interchangeBytes, writeInterchange, type X12GroupSpec, type X12Party } from './writer.js';

export { readAcks, readFunctionalAck, readTa1 } from './ack-read.js';
export type { FunctionalAck, InterchangeAck, AckSetResult, AckSegmentError } from './ack-read.js';

/** The 999 implementation convention (GS08 and ST03 of every 999 we write). */
export const IMPLEMENTATION_999 = '005010X231A1';
/** The 997 implementation convention in 5010 (GS08 of a 997 answering a 005010 group). */
export const IMPLEMENTATION_997_5010 = '005010X230';

export type AckOptions = {
  /** 997 or 999 for each functional group. */
  kind: '997' | '999';
  /** Our own control numbers: called once per interchange, group and set written. Never the inbound ones. */
  next: (kind: 'interchange' | 'group' | 'set') => number | string;
  /** Our ISA05/ISA06; default the inbound ISA07/ISA08 (the inbound receiver is us). */
  us?: X12Party;
  /** ISA09/10 and GS04/05; default now. */
  date?: Date;
  /** ISA15 of the acknowledgment; default the inbound ISA15 when P or T, else P. */
  usageIndicator?: 'P' | 'T';
  /** TA1: `auto` (default) when ISA14 = 1 or the interchange has findings; `always`; `never`. */
  ta1?: 'auto' | 'always' | 'never';
  /** Delimiters of the acknowledgment; default those of the inbound interchange when usable. */
  delimiters?: X12Delimiters;
  segmentSuffix?: string;
};

export type AckStatus = 'A' | 'E' | 'P' | 'R';

/** One acknowledgment interchange, answering one inbound interchange. */
export type AckInterchange = {
  /** The interchange, one character per byte (latin1): write `bytes`, never this string as UTF-8. */
  text: string;
  /** The interchange as the bytes to send, in the partner's delimiters and encoding (UTF-16 when they sent UTF-16). */
  bytes: Buffer;
  /** Our ISA13. */
  controlNumber: string;
  ta1?: { status: 'A' | 'E' | 'R'; noteCode: string };
  /** One entry per acknowledged inbound group: its GS06 and the AK901 we sent. */
  groups: Array<{ groupControlNumber: string; status: AckStatus; setStatuses: Array<{ controlNumber: string; status: 'A' | 'E' | 'R' }> }>;
};

const errorsOf = (list: Diagnostic[]) => list.filter((d) => d.severity === 'error');

function levelOf(d: Diagnostic) {
  return findingMapping(d.code).level;
}

/**
 * TA104/TA105 for an interchange: the first rejecting finding, else the first noted one, else A/000.
 * An answer never contradicts itself: an interchange that carries findings but nothing that can be
 * acknowledged or processed (no functional group, no TA1) is rejected (R 024), never "accepted with
 * errors" while nothing was accepted.
 */
export function interchangeVerdict(ic: X12Interchange): { status: 'A' | 'E' | 'R'; noteCode: string } {
  const findings = ic.diagnostics.filter((d) => levelOf(d) === 'interchange');
  const rejecting = findings.find((d) => d.severity === 'error' && findingMapping(d.code).ta104 === 'R');
  if (rejecting) return { status: 'R', noteCode: noteCodeFor(rejecting.code, rejecting.location?.field) ?? '024' };
  const noted = findings[0];
  if (noted && ic.groups.length === 0 && ic.ta1.length === 0)
    return { status: 'R', noteCode: noteCodeFor(noted.code, noted.location?.field) ?? '024' };
  if (noted) return { status: 'E', noteCode: noteCodeFor(noted.code, noted.location?.field) ?? '024' };
  return { status: 'A', noteCode: '000' };
}

/** AK501/IK501 for a set: R on any error, E on warnings only, else A. */
export function setVerdict(set: X12ReadSet): 'A' | 'E' | 'R' {
  const relevant = set.diagnostics.filter((d) => levelOf(d) !== 'document');
  if (errorsOf(relevant).length > 0) return 'R';
  return relevant.length > 0 ? 'E' : 'A';
}

/** AK901 for a group: R on a group-level error or when every set is rejected; P when some are. */
export function groupVerdict(group: X12Group): AckStatus {
  if (errorsOf(group.diagnostics.filter((d) => levelOf(d) === 'group')).length > 0) return 'R';
  const statuses = group.sets.map(setVerdict);
  const rejected = statuses.filter((s) => s === 'R').length;
  if (statuses.length > 0 && rejected === statuses.length) return 'R';
  if (rejected > 0) return 'P';
  return statuses.includes('E') || group.diagnostics.length > 0 ? 'E' : 'A';
}

type Clean = (value: string) => string;

function segmentLoops(set: X12ReadSet, kind: '997' | '999', d: X12Delimiters, clean: Clean): string[][] {
  const bySegment = new Map<number, Diagnostic[]>();
  for (const f of set.diagnostics) {
    const level = levelOf(f);
    if ((level !== 'segment' && level !== 'element') || f.location?.segmentIndex === undefined) continue;
    if (!findingMapping(f.code).ak304 && !findingMapping(f.code).ak403) continue;
    const list = bySegment.get(f.location.segmentIndex) ?? [];
    list.push(f);
    bySegment.set(f.location.segmentIndex, list);
  }
  const rows: string[][] = [];
  for (const [index, findings] of [...bySegment.entries()].sort((a, b) => a[0] - b[0])) {
    const segmentCode = findings.map((f) => findingMapping(f.code)).find((m) => m.level === 'segment')?.ak304 ?? '8';
    const id = clean(findings.find((f) => f.location?.segment)?.location?.segment ?? 'UNK');
    rows.push([kind === '997' ? 'AK3' : 'IK3', id, String(index - set.position + 1), '', segmentCode]);
    for (const f of findings) {
      const mapping = findingMapping(f.code);
      if (mapping.level !== 'element' || !mapping.ak403) continue;
      const where = [String(f.location?.field ?? 1), ...(f.location?.component ? [String(f.location.component)] : [])];
      rows.push([kind === '997' ? 'AK4' : 'IK4', where.join(d.component), '', mapping.ak403]);
    }
  }
  return rows;
}

function setCodes(set: X12ReadSet): string[] {
  const codes: string[] = [];
  for (const f of set.diagnostics) {
    const mapping = findingMapping(f.code);
    if (mapping.ak502) codes.push(mapping.ak502);
    if (f.code === 'x12-st-element-empty') codes.push(f.location?.field === 1 ? '6' : '7');
    if ((mapping.level === 'segment' || mapping.level === 'element') && (mapping.ak304 || mapping.ak403)) codes.push('5');
  }
  return [...new Set(codes)].sort((a, b) => Number(a) - Number(b)).slice(0, 5);
}

function ackSet(
  group: X12Group,
  kind: '997' | '999',
  d: X12Delimiters,
  clean: Clean,
): { rows: string[][]; statuses: AckInterchange['groups'][number] } {
  // AK103/AK203 exist from 005010 on (and always in a 999): version-correct elements.
  const v5 = kind === '999' || clean(group.version) >= '005010';
  const rows: string[][] = [
    v5
      ? ['AK1', clean(group.functionalId), clean(group.controlNumber), clean(group.version)]
      : ['AK1', clean(group.functionalId), clean(group.controlNumber)],
  ];
  const setStatuses: Array<{ controlNumber: string; status: 'A' | 'E' | 'R' }> = [];
  for (const set of group.sets) {
    const status = setVerdict(set);
    setStatuses.push({ controlNumber: set.controlNumber, status });
    rows.push(
      v5
        ? ['AK2', clean(set.id), clean(set.controlNumber), clean(set.implementationRef ?? '')]
        : ['AK2', clean(set.id), clean(set.controlNumber)],
    );
    rows.push(...segmentLoops(set, kind, d, clean));
    rows.push([kind === '997' ? 'AK5' : 'IK5', status, ...(status === 'A' ? [] : setCodes(set))]);
  }
  const status = groupVerdict(group);
  const groupCodes = [
    ...new Set(group.diagnostics.map((f) => findingMapping(f.code).ak905).filter((c): c is string => c !== undefined)),
  ].slice(0, 5);
  const included = /^\d+$/.test(group.ge?.elements[1]?.trim() ?? '') ? group.ge!.elements[1]!.trim() : String(group.sets.length);
  const accepted = setStatuses.filter((s) => s.status !== 'R').length;
  rows.push(['AK9', status, included, String(group.sets.length), String(status === 'R' ? 0 : accepted), ...groupCodes]);
  return { rows, statuses: { groupControlNumber: group.controlNumber, status, setStatuses } };
}

function ackDelimiters(ic: X12Interchange, version: string, given?: X12Delimiters): X12Delimiters {
  const inbound = given ?? ic.delimiters;
  const base = [inbound.element, inbound.component, inbound.segment];
  const usable = base.every((c) => c.length === 1 && !/[A-Za-z0-9 ]/.test(c)) && new Set(base).size === 3;
  const d: X12Delimiters = usable ? { ...inbound } : { element: '*', component: ':', repetition: '^', segment: '~' };
  if (!hasRepetitionSeparator(version)) return { element: d.element, component: d.component, segment: d.segment };
  if (d.repetition === undefined || [d.element, d.component, d.segment].includes(d.repetition)) {
    d.repetition = ['^', '{', '!', '`'].find((c) => ![d.element, d.component, d.segment].includes(c))!;
  }
  return d;
}

/**
 * ISA12 of the acknowledgment: a 999 exists only from 005010 on (00501); a 997 is written in the
 * inbound interchange's version (00306, 00401, 00403, 00406, 00501…), the one the partner reads.
 * An ISA12 that is not five digits is answered as 00401.
 */
function ackVersion(ic: X12Interchange, kind: '997' | '999'): string {
  const inbound = ic.header.version.trim();
  if (kind === '999') return inbound > '00501' && /^\d{5}$/.test(inbound) ? inbound : '00501';
  return /^00[2-9]\d{2}$/.test(inbound) ? inbound : '00401';
}

/**
 * The acknowledgment of one inbound interchange: a TA1 when asked for or when the interchange has
 * findings, and one 997/999 per functional group (never for FA groups, never when the TA1 rejects
 * the interchange). The envelope is reversed (we are the sender) and every control number comes
 * from `options.next`. Returns undefined when there is nothing to send.
 */
export function buildAck(ic: X12Interchange, options: AckOptions): AckInterchange | undefined {
  const version = ackVersion(ic, options.kind);
  const d = ackDelimiters(ic, version, options.delimiters);
  const forbidden = [d.element, d.component, d.segment, d.repetition].filter((c): c is string => c !== undefined);
  const clean: Clean = (value) =>
    [...value]
      .filter((c) => !forbidden.includes(c))
      .join('')
      .slice(0, 80);
  const verdict = interchangeVerdict(ic);
  const mode = options.ta1 ?? 'auto';
  const wantTa1 = mode === 'always' || (mode === 'auto' && (ic.header.ackRequested || verdict.status !== 'A'));
  const groups: X12GroupSpec[] = [];
  const summaries: AckInterchange['groups'] = [];
  if (verdict.status !== 'R') {
    for (const group of ic.groups) {
      if (group.functionalId === 'FA') continue;
      const { rows, statuses } = ackSet(group, options.kind, d, clean);
      summaries.push(statuses);
      const inboundVersion = clean(group.version).slice(0, 6) || `${version.slice(1)}0`;
      const gsVersion = options.kind === '999' ? IMPLEMENTATION_999 : inboundVersion >= '005010' ? IMPLEMENTATION_997_5010 : inboundVersion;
      groups.push({
        functionalId: 'FA',
        senderCode: clean(group.receiverCode) || 'UNKNOWN',
        receiverCode: clean(group.senderCode) || 'UNKNOWN',
        controlNumber: options.next('group'),
        version: gsVersion,
        sets: [
          {
            id: options.kind,
            controlNumber: options.next('set'),
            ...(options.kind === '999' ? { implementationRef: IMPLEMENTATION_999 } : {}),
            segments: rows,
          },
        ],
      });
    }
  }
  if (!wantTa1 && groups.length === 0) return undefined;
  const controlNumber = String(options.next('interchange'));
  const ta1 = wantTa1
    ? [['TA1', clean(ic.header.controlNumber), clean(ic.header.date), clean(ic.header.time), verdict.status, verdict.noteCode]]
    : [];
  const usage = options.usageIndicator ?? (ic.header.usage === 'T' ? 'T' : 'P');
  const text = writeInterchange({
    sender: options.us ?? {
      qualifier: clean(ic.header.receiverQualifier).slice(0, 2) || 'ZZ',
      id: clean(ic.header.receiverId).slice(0, 15),
    },
    receiver: { qualifier: clean(ic.header.senderQualifier).slice(0, 2) || 'ZZ', id: clean(ic.header.senderId).slice(0, 15) },
    ...(options.date ? { date: options.date } : {}),
    controlNumber,
    usageIndicator: usage,
    ackRequested: false,
    version,
    delimiters: d,
    interchangeSegments: ta1,
    groups,
    ...(options.segmentSuffix !== undefined ? { segmentSuffix: options.segmentSuffix } : {}),
  });
  return {
    text,
    bytes: widen(interchangeBytes(text), ic.encoding),
    controlNumber: controlNumber.padStart(9, '0'),
    ...(wantTa1 ? { ta1: verdict } : {}),
    groups: summaries,
  };
}

/**
 * The part of a document its acknowledgment accepts: interchanges the TA1 does not reject, groups
 * whose AK9 is not R, sets whose AK5 is not R (FA groups are kept: acknowledgments are correlated,
 * not acknowledged). Set-mapper syntax findings count, as in `buildAck`. Returns undefined when
 * nothing is accepted. `findings` are the document-level ones plus those of the accepted parts.
 */
export function acceptedPart(doc: X12Document): { doc: X12Document; findings: Diagnostic[] } | undefined {
  const interchanges = doc.interchanges
    .filter((ic) => interchangeVerdict(ic).status !== 'R')
    .map((ic) => ({
      ...ic,
      groups: ic.groups
        .filter((g) => g.functionalId === 'FA' || groupVerdict(g) !== 'R')
        .map((g) => ({ ...g, sets: g.sets.filter((s) => g.functionalId === 'FA' || setVerdict(s) !== 'R') })),
    }))
    .filter((ic) => ic.groups.some((g) => g.sets.length > 0) || ic.ta1.length > 0);
  if (interchanges.length === 0) return undefined;
  // Bytes outside any interchange were skipped; with an interchange accepted they only deserve a note.
  const findings: Diagnostic[] = doc.diagnostics.map((d) => (d.severity === 'error' ? { ...d, severity: 'warning' as const } : d));
  for (const ic of interchanges) {
    findings.push(...ic.diagnostics);
    for (const g of ic.groups) {
      findings.push(...g.diagnostics);
      for (const s of g.sets) findings.push(...s.diagnostics);
    }
  }
  return { doc: { ...doc, interchanges }, findings };
}

/** `buildAck` for every interchange of a document, skipping those with nothing to send. */
export function buildAcks(doc: X12Document, options: AckOptions): AckInterchange[] {
  return doc.interchanges.map((ic) => buildAck(ic, options)).filter((a): a is AckInterchange => a !== undefined);
}
