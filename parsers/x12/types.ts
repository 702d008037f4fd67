import type { Diagnostic } from '../../lib/errors.js';
import type { CanonicalDocument } from '../../model/index.js';

/** The four X12 delimiters of an interchange, as found in (or written to) its ISA. */
export type X12Delimiters = {
  element: string;
  component: string;
  /** ISA11 from 00402 on; undefined for 00401 and earlier (ISA11 is then the standards id `U`). */
  repetition?: string;
  segment: string;
};

/**
 * One segment. `elements[0]` is the segment id, so `elements[1]` is XX01, as the standard counts.
 * Composite elements stay as one string; split them with `delimiters.component`.
 */
export type X12Segment = {
  id: string;
  elements: string[];
  /** 1-based position of the segment in its interchange (ISA = 1). */
  position: number;
};

/** One transaction set (ST…SE inclusive) with what its envelope says about it. */
export type X12TransactionSet = {
  /** ST01: 850, 855, 856, 810, 997, 999. */
  id: string;
  /** ST02. */
  controlNumber: string;
  /** GS08: 004010, 005010X… */
  version: string;
  /** GS01: PO, PR, SH, IN, FA. */
  functionalId: string;
  segments: X12Segment[];
  delimiters: X12Delimiters;
};

/**
 * Maps one transaction set to canonical documents and back. `toCanonical` never throws: findings
 * come back as diagnostics with segment positions. `fromCanonical` returns the segments between ST
 * and SE exclusive, as element arrays (`['BEG', '00', 'SA', …]`); the envelope writer adds ST/SE,
 * counts and control numbers.
 */
export interface TransactionSetMapper {
  readonly id: string;
  readonly functionalId: string;
  readonly kind: CanonicalDocument['kind'];
  toCanonical(set: X12TransactionSet): { documents: CanonicalDocument[]; diagnostics: Diagnostic[] };
  /**
   * The segments between ST and SE. `component` is the component separator of the interchange the
   * set goes into, for composite elements (835 SVC01); `>` when not given.
   */
  fromCanonical(doc: CanonicalDocument, options: { version: '004010' | '005010'; component?: string }): string[][];
}
