import type { Diagnostic } from '../../lib/errors.js';
import type { X12Segment, X12TransactionSet } from './types.js';
import type { X12Document } from './document.js';
import { element } from './document.js';

/** One AK3/IK3 of a received 997/999, with its AK4/IK4s. */
export type AckSegmentError = {
  segment: string;
  /** Position in the acknowledged set (ST = 1). */
  position: number;
  loop?: string;
  code: string;
  elements: Array<{ position: string; reference?: string; code: string }>;
};

export type AckSetResult = {
  setId: string;
  controlNumber: string;
  implementationRef?: string;
  /** AK501/IK501: A, E, M, R, W, X. */
  status: string;
  /** AK502…AK506 / IK502…IK506. */
  codes: string[];
  errors: AckSegmentError[];
};

/** A received 997 or 999: the answer about one functional group we sent. */
export type FunctionalAck = {
  kind: '997' | '999';
  /** Control number of the 997/999 itself (ST02). */
  ackControlNumber: string;
  functionalId: string;
  groupControlNumber: string;
  /** AK103 (999). */
  version?: string;
  /** AK901: A, E, P, R (999 also M, W, X). */
  accepted: string;
  included?: number;
  received?: number;
  acceptedCount?: number;
  /** AK905…AK909. */
  groupCodes: string[];
  sets: AckSetResult[];
};

/** A received TA1: the answer about one interchange we sent. */
export type InterchangeAck = {
  kind: 'TA1';
  interchangeControlNumber: string;
  date: string;
  time: string;
  /** TA104: A, E, R. */
  status: string;
  /** TA105. */
  noteCode: string;
};

function count(value: string): number | undefined {
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

function malformed(segment: X12Segment, expected: string): Diagnostic {
  return {
    severity: 'error',
    code: 'x12-ack-malformed',
    message: `${segment.id} at segment ${segment.position} is out of place; expected ${expected}`,
    location: { segment: segment.id, segmentIndex: segment.position },
  };
}

/** Reads a TA1 segment. */
export function readTa1(segment: X12Segment): InterchangeAck {
  return {
    kind: 'TA1',
    interchangeControlNumber: element(segment, 1),
    date: element(segment, 2),
    time: element(segment, 3),
    status: element(segment, 4),
    noteCode: element(segment, 5),
  };
}

function addSetSegment(ack: FunctionalAck, s: X12Segment, diagnostics: Diagnostic[]): void {
  const current = ack.sets[ack.sets.length - 1];
  if (s.id === 'AK2') {
    const ref = element(s, 3);
    ack.sets.push({
      setId: element(s, 1),
      controlNumber: element(s, 2),
      ...(ref ? { implementationRef: ref } : {}),
      status: '',
      codes: [],
      errors: [],
    });
  } else if (!current) {
    diagnostics.push(malformed(s, 'AK2 first'));
  } else if (s.id === 'AK3' || s.id === 'IK3') {
    const loop = element(s, 3);
    current.errors.push({
      segment: element(s, 1),
      position: Number(element(s, 2)) || 0,
      ...(loop ? { loop } : {}),
      code: element(s, 4),
      elements: [],
    });
  } else if (s.id === 'AK4' || s.id === 'IK4') {
    const last = current.errors[current.errors.length - 1];
    const reference = element(s, 2);
    if (last) last.elements.push({ position: element(s, 1), ...(reference ? { reference } : {}), code: element(s, 3) });
    else diagnostics.push(malformed(s, 'AK3/IK3 before it'));
  } else if (s.id === 'AK5' || s.id === 'IK5') {
    current.status = element(s, 1);
    current.codes = s.elements
      .slice(2)
      .map((e) => e.trim())
      .filter((e) => e !== '');
  }
}

/** Reads a received 997 or 999 transaction set into a structured answer. Never throws. */
export function readFunctionalAck(set: X12TransactionSet): { ack?: FunctionalAck; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  if (set.id !== '997' && set.id !== '999')
    return {
      diagnostics: [
        { severity: 'error', code: 'x12-ack-malformed', message: `set ${set.controlNumber} is a ${set.id}; expected 997 or 999` },
      ],
    };
  const ak1 = set.segments.find((s) => s.id === 'AK1');
  if (!ak1)
    return {
      diagnostics: [{ severity: 'error', code: 'x12-ack-malformed', message: `${set.id} ${set.controlNumber} has no AK1; expected AK1` }],
    };
  const version = element(ak1, 3);
  const ack: FunctionalAck = {
    kind: set.id,
    ackControlNumber: set.controlNumber,
    functionalId: element(ak1, 1),
    groupControlNumber: element(ak1, 2),
    ...(version ? { version } : {}),
    accepted: '',
    groupCodes: [],
    sets: [],
  };
  for (const s of set.segments) {
    if (['ST', 'SE', 'AK1', 'CTX'].includes(s.id)) continue;
    if (s.id === 'AK9') {
      ack.accepted = element(s, 1);
      const [included, received, accepted] = [2, 3, 4].map((n) => count(element(s, n)));
      if (included !== undefined) ack.included = included;
      if (received !== undefined) ack.received = received;
      if (accepted !== undefined) ack.acceptedCount = accepted;
      ack.groupCodes = s.elements
        .slice(5)
        .map((e) => e.trim())
        .filter((e) => e !== '');
    } else if (['AK2', 'AK3', 'AK4', 'AK5', 'IK3', 'IK4', 'IK5'].includes(s.id)) {
      addSetSegment(ack, s, diagnostics);
    } else {
      diagnostics.push(malformed(s, `an acknowledgment segment of a ${set.id}`));
    }
  }
  if (ack.accepted === '')
    diagnostics.push({ severity: 'error', code: 'x12-ack-malformed', message: `${set.id} ${set.controlNumber} has no AK9; expected AK9` });
  return { ack, diagnostics };
}

/** Every TA1, 997 and 999 a parsed document carries, in order. */
export function readAcks(doc: X12Document): { acks: Array<FunctionalAck | InterchangeAck>; diagnostics: Diagnostic[] } {
  const acks: Array<FunctionalAck | InterchangeAck> = [];
  const diagnostics: Diagnostic[] = [];
  for (const ic of doc.interchanges) {
    for (const ta1 of ic.ta1) acks.push(readTa1(ta1));
    for (const group of ic.groups) {
      for (const set of group.sets) {
        if (set.id !== '997' && set.id !== '999') continue;
        const result = readFunctionalAck(set);
        if (result.ack) acks.push(result.ack);
        diagnostics.push(...result.diagnostics);
      }
    }
  }
  return { acks, diagnostics };
}
