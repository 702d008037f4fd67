import type { X12WideEncoding } from './encoding.js';
import type { Diagnostic } from '../../lib/errors.js';
import type { X12Delimiters, X12Segment, X12TransactionSet } from './types.js';

/** What an ISA says, trimmed of its padding. */
export type X12InterchangeHeader = {
  senderQualifier: string;
  senderId: string;
  receiverQualifier: string;
  receiverId: string;
  /** ISA09 YYMMDD. */
  date: string;
  /** ISA10 HHMM. */
  time: string;
  /** ISA12: 00401, 00501… */
  version: string;
  /** ISA13, as received (9 digits when valid). */
  controlNumber: string;
  /** ISA14 = 1. */
  ackRequested: boolean;
  /** ISA15: P production, T test. */
  usage: string;
};

/**
 * One transaction set as read: ST…SE inclusive (`segments` may be empty when the reader was told not
 * to retain segments), its ST position in the interchange and its findings. Diagnostic
 * `location.segmentIndex` values are positions in the interchange (ISA = 1), like `X12Segment.position`.
 */
export type X12ReadSet = X12TransactionSet & {
  /** Position of the ST in the interchange. */
  position: number;
  /** ST03 (implementation convention reference, 5010), when present. */
  implementationRef?: string;
  /** Number of segments read, ST…SE inclusive. */
  segmentCount: number;
  /** False when the set ended without an SE. */
  complete: boolean;
  diagnostics: Diagnostic[];
};

export type X12Group = {
  functionalId: string;
  senderCode: string;
  receiverCode: string;
  date: string;
  time: string;
  controlNumber: string;
  /** GS08: 004010, 005010X222A1… */
  version: string;
  gs: X12Segment;
  ge?: X12Segment;
  sets: X12ReadSet[];
  diagnostics: Diagnostic[];
};

export type X12Interchange = {
  header: X12InterchangeHeader;
  delimiters: X12Delimiters;
  isa: X12Segment;
  iea?: X12Segment;
  /** TA1 segments carried by this interchange (acknowledgments of interchanges we sent). */
  ta1: X12Segment[];
  /** ISB/ISE interchange control segments (between the ISA and the first GS), as read. */
  controlSegments: X12Segment[];
  groups: X12Group[];
  diagnostics: Diagnostic[];
  /** Set when the interchange came as UTF-16 (read narrowed, answered widened: encoding.ts). */
  encoding?: X12WideEncoding;
};

/** A parsed X12 input: its interchanges, and the findings that belong to no interchange. */
export type X12Document = {
  interchanges: X12Interchange[];
  diagnostics: Diagnostic[];
};

/** Trimmed element `n` of a segment, '' when absent. */
export function element(segment: X12Segment, n: number): string {
  return (segment.elements[n] ?? '').trim();
}

/** A copy of `doc` where each set also carries the findings `of(set)` returns (sets without any are kept as they are). */
export function addSetFindings(doc: X12Document, of: (set: X12ReadSet) => Diagnostic[]): X12Document {
  return {
    ...doc,
    interchanges: doc.interchanges.map((ic) => ({
      ...ic,
      groups: ic.groups.map((g) => ({
        ...g,
        sets: g.sets.map((s) => {
          const extra = of(s);
          return extra.length === 0 ? s : { ...s, diagnostics: [...s.diagnostics, ...extra] };
        }),
      })),
    })),
  };
}

/** Every diagnostic of a document: document level, then per interchange, group and set. */
export function allDiagnostics(doc: X12Document): Diagnostic[] {
  const out = [...doc.diagnostics];
  for (const ic of doc.interchanges) {
    out.push(...ic.diagnostics);
    for (const g of ic.groups) {
      out.push(...g.diagnostics);
      for (const s of g.sets) out.push(...s.diagnostics);
    }
  }
  return out;
}
