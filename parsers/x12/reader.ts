import type { Diagnostic } from '../../lib/errors.js';
import type { ParseOutcome } from '../types.js';
import type { X12Delimiters, X12Segment } from './types.js';
import type { X12Document, X12Group, X12Interchange, X12ReadSet } from './document.js';
import { element } from './document.js';
import { findingMapping } from './codes.js';
import { KNOWN_SEGMENT_IDS } from './segment-ids.js';
import { X12Tokenizer, type TokenizerOptions } from './tokenizer.js';
import { detectWide, WIDE_PROBE, WideNarrower, type X12WideEncoding } from './encoding.js';
import { checkControlSegment, checkGe, checkGs, checkIea, checkIsa, checkSe, checkSegmentId, checkSt, missingTrailer } from './validate.js';

export type ReaderOptions = TokenizerOptions & {
  /** Keep every set's segments in the interchange passed to `interchange()` (memory grows with the input). */
  retainSegments?: boolean;
  /** Strict: tolerated deviations (short ISA, unterminated last segment) become errors. */
  strict?: boolean;
  /** Segment ids to accept beyond the built-in list. */
  extraSegmentIds?: ReadonlySet<string>;
  /** Findings kept per envelope level (set, group, interchange, document); default 200. */
  maxDiagnostics?: number;
};

/** What the streaming reader hands out, in input order. */
export type ReaderHandlers = {
  /** A transaction set, as soon as its SE (or the end of its envelope) is read. */
  set?(set: X12ReadSet, group: X12Group, interchange: X12Interchange): void;
  /** An interchange after its IEA (or when it ends without one); sets without segments unless retained. */
  interchange?(interchange: X12Interchange): void;
  /** A finding that belongs to no interchange (garbage, segments between interchanges). */
  diagnostic?(diagnostic: Diagnostic): void;
};

/** A set opened by its ST; one literal per shape (with or without ST03) keeps set objects monomorphic. */
function newSet(st: X12Segment, group: X12Group, delimiters: X12Delimiters): X12ReadSet {
  const id = element(st, 1);
  const controlNumber = element(st, 2);
  const implementationRef = element(st, 3);
  const { version, functionalId } = group;
  const position = st.position;
  if (implementationRef) {
    return {
      id,
      controlNumber,
      version,
      functionalId,
      segments: [st],
      delimiters,
      position,
      implementationRef,
      segmentCount: 1,
      complete: false,
      diagnostics: [],
    };
  }
  return {
    id,
    controlNumber,
    version,
    functionalId,
    segments: [st],
    delimiters,
    position,
    segmentCount: 1,
    complete: false,
    diagnostics: [],
  };
}

/**
 * Streaming envelope reader: push bytes, get transaction sets one by one. Memory holds the open set
 * plus a small summary per set of the open interchange (for acknowledgments), never the whole input.
 */
export class X12Reader {
  private readonly tokenizer: X12Tokenizer;
  private readonly max: number;
  private interchange: X12Interchange | undefined;
  private group: X12Group | undefined;
  private set: X12ReadSet | undefined;
  private groupControls = new Set<string>();
  private pendingIsa: Diagnostic[] = [];
  private outsideRun = false;
  private documentCount = 0;
  private lastPosition = 0;
  private readonly keepSetSegments: boolean;

  constructor(
    private readonly handlers: ReaderHandlers,
    private readonly options: ReaderOptions = {},
  ) {
    this.max = options.maxDiagnostics ?? 200;
    this.keepSetSegments = options.retainSegments !== false || handlers.set !== undefined;
    this.tokenizer = new X12Tokenizer({ segment: (s, d) => this.onSegment(s, d), diagnostic: (d) => this.onTokenizerFinding(d) }, options);
  }

  /** UTF-16 input is narrowed before the tokenizer (encoding.ts); undefined: single bytes, or not known yet. */
  private narrower: WideNarrower | undefined;
  private head: Buffer | undefined = Buffer.alloc(0);

  /** The input's UTF-16 form, once known; undefined for single-byte input. */
  get encoding(): X12WideEncoding | undefined {
    return this.narrower?.encoding;
  }

  push(chunk: Uint8Array): void {
    if (this.head) {
      this.head = Buffer.concat([this.head, chunk]);
      if (this.head.length < WIDE_PROBE && detectWide(this.head, false) === 'more') return;
      this.decide(false);
      return;
    }
    this.tokenizer.push(this.narrower ? this.narrower.push(chunk) : chunk);
  }

  /** Decides from the first bytes whether the input is UTF-16, then feeds what was held back. */
  private decide(final: boolean): void {
    const head = this.head!;
    this.head = undefined;
    const wide = detectWide(head.subarray(0, WIDE_PROBE), final);
    if (wide && wide !== 'more') this.narrower = new WideNarrower(wide);
    this.tokenizer.push(this.narrower ? this.narrower.push(head) : head);
  }

  end(): void {
    if (this.head) this.decide(true);
    if (this.narrower) this.tokenizer.push(this.narrower.end());
    this.tokenizer.end();
    if (this.interchange) this.closeInterchange(undefined, 'the end of the input', this.lastPosition);
  }

  private add(list: Diagnostic[], d: Diagnostic): void {
    const finding = this.options.strict && d.severity === 'warning' ? { ...d, severity: 'error' as const } : d;
    if (list.length < this.max) list.push(finding);
    else if (list.length === this.max) {
      list.push({
        severity: 'warning',
        code: 'x12-too-many-diagnostics',
        message: `more than ${this.max} findings; the rest are not listed`,
      });
    }
  }

  private toDocument(d: Diagnostic): void {
    if (this.documentCount++ < this.max) this.handlers.diagnostic?.(d);
  }

  private onTokenizerFinding(d: Diagnostic): void {
    if (d.location?.segment === 'ISA' && findingMapping(d.code).level !== 'document') {
      this.pendingIsa.push(d);
      return;
    }
    if (findingMapping(d.code).level === 'document' || !this.interchange) {
      this.toDocument(d);
      return;
    }
    if (this.set) {
      if (d.code === 'x12-segment-too-long') this.set.segmentCount++;
      this.add(this.set.diagnostics, d);
    } else this.add(this.interchange.diagnostics, d);
  }

  private onSegment(segment: X12Segment, delimiters: X12Delimiters): void {
    this.lastPosition = segment.position;
    switch (segment.id) {
      case 'ISA':
        return this.openInterchange(segment, delimiters);
      case 'GS':
        return this.openGroup(segment);
      case 'ST':
        return this.openSet(segment, delimiters);
      case 'SE':
        return this.closeSetWith(segment);
      case 'GE':
        return this.closeGroupWith(segment);
      case 'IEA':
        return this.closeInterchange(segment, 'IEA');
      default:
        return this.body(segment);
    }
  }

  private outside(segment: X12Segment): boolean {
    if (this.interchange) return false;
    if (!this.outsideRun) {
      this.outsideRun = true;
      this.toDocument({
        severity: 'error',
        code: 'x12-segment-outside-interchange',
        message: `segment ${segment.position} after an IEA is outside any interchange; expected ISA`,
        location: { segmentIndex: segment.position },
      });
    }
    return true;
  }

  private body(segment: X12Segment): void {
    if (this.outside(segment)) return;
    const interchange = this.interchange!;
    if (this.set) {
      this.set.segmentCount++;
      if (this.keepSetSegments) this.set.segments.push(segment);
      if (!KNOWN_SEGMENT_IDS.has(segment.id)) {
        const unknown = checkSegmentId(segment, this.options.extraSegmentIds);
        if (unknown) this.add(this.set.diagnostics, unknown);
      }
      return;
    }
    if (segment.id === 'TA1' && !this.group) {
      interchange.ta1.push(segment);
      return;
    }
    // ISB (grade of service request) and ISE (deferred delivery request) are interchange control
    // segments of the X12.5 structure: they sit between the ISA and the first GS.
    if ((segment.id === 'ISB' || segment.id === 'ISE') && !this.group && interchange.groups.length === 0) {
      for (const d of checkControlSegment(segment, interchange.controlSegments)) this.add(interchange.diagnostics, d);
      interchange.controlSegments.push(segment);
      return;
    }
    this.add(interchange.diagnostics, {
      severity: 'warning',
      code: 'x12-segment-outside-set',
      message: `segment ${segment.position} (${checkSegmentId(segment) ? 'unknown id' : segment.id}) is outside a transaction set; expected ST, GE or IEA`,
      location: { segmentIndex: segment.position },
    });
  }

  private openInterchange(isa: X12Segment, delimiters: X12Delimiters): void {
    if (this.interchange) this.closeInterchange(undefined, `a new ISA`, isa.position);
    this.outsideRun = false;
    const interchange: X12Interchange = {
      header: {
        senderQualifier: element(isa, 5),
        senderId: element(isa, 6),
        receiverQualifier: element(isa, 7),
        receiverId: element(isa, 8),
        date: element(isa, 9),
        time: element(isa, 10),
        version: element(isa, 12),
        controlNumber: element(isa, 13),
        ackRequested: element(isa, 14) === '1',
        usage: element(isa, 15),
      },
      delimiters,
      isa,
      ta1: [],
      controlSegments: [],
      groups: [],
      diagnostics: [],
      ...(this.narrower ? { encoding: this.narrower.encoding } : {}),
    };
    for (const d of [...this.pendingIsa, ...checkIsa(isa)]) this.add(interchange.diagnostics, d);
    this.pendingIsa = [];
    this.interchange = interchange;
  }

  private openGroup(gs: X12Segment): void {
    if (this.outside(gs)) return;
    if (this.group) this.closeGroup(undefined, 'a new GS', gs.position);
    this.group = {
      functionalId: element(gs, 1),
      senderCode: element(gs, 2),
      receiverCode: element(gs, 3),
      date: element(gs, 4),
      time: element(gs, 5),
      controlNumber: element(gs, 6),
      version: element(gs, 8),
      gs,
      sets: [],
      diagnostics: [],
    };
    this.groupControls = new Set();
    for (const d of checkGs(gs)) this.add(this.group.diagnostics, d);
  }

  private openSet(st: X12Segment, delimiters: X12Delimiters): void {
    if (this.outside(st)) return;
    if (!this.group) {
      this.body(st);
      return;
    }
    if (this.set) this.closeSet(undefined, 'a new ST', st.position);
    this.set = newSet(st, this.group, delimiters);
    for (const d of checkSt(st, this.groupControls)) this.add(this.set.diagnostics, d);
    this.groupControls.add(this.set.controlNumber);
  }

  private closeSetWith(se: X12Segment): void {
    if (this.outside(se)) return;
    if (!this.set) {
      this.body(se);
      return;
    }
    this.set.segmentCount++;
    this.set.segments.push(se);
    for (const d of checkSe(this.set, se)) this.add(this.set.diagnostics, d);
    this.set.complete = true;
    this.closeSet(se);
  }

  private closeSet(se: X12Segment | undefined, reason?: string, at?: number): void {
    const set = this.set!;
    const group = this.group!;
    this.set = undefined;
    if (!se) this.add(set.diagnostics, missingTrailer('SE', set.segments[0]!, at ?? 0, reason ?? 'the end'));
    this.handlers.set?.(set, group, this.interchange!);
    group.sets.push(this.options.retainSegments ? set : { ...set, segments: [] });
  }

  private closeGroupWith(ge: X12Segment): void {
    if (this.outside(ge)) return;
    if (!this.group) {
      this.body(ge);
      return;
    }
    if (this.set) this.closeSet(undefined, 'GE', ge.position);
    this.group.ge = ge;
    for (const d of checkGe(this.group, ge)) this.add(this.group.diagnostics, d);
    this.closeGroup(ge);
  }

  private closeGroup(ge: X12Segment | undefined, reason?: string, at?: number): void {
    if (this.set) this.closeSet(undefined, reason, at);
    const group = this.group!;
    this.group = undefined;
    if (!ge) this.add(group.diagnostics, missingTrailer('GE', group.gs, at ?? 0, reason ?? 'the end'));
    this.interchange!.groups.push(group);
  }

  private closeInterchange(iea: X12Segment | undefined, reason: string, at?: number): void {
    if (iea && this.outside(iea)) return;
    const interchange = this.interchange!;
    const end = at ?? iea?.position ?? 0;
    if (this.group) this.closeGroup(undefined, reason, end);
    if (iea) {
      interchange.iea = iea;
      for (const d of checkIea(interchange, iea)) this.add(interchange.diagnostics, d);
    } else {
      this.add(interchange.diagnostics, missingTrailer('IEA', interchange.isa, end, reason));
    }
    this.interchange = undefined;
    this.handlers.interchange?.(interchange);
  }
}

/**
 * Parses a whole buffer into interchanges, groups and sets, with every finding. Never throws;
 * `message` is absent only when no ISA could be read.
 */
export function parseX12(raw: Buffer, options: ReaderOptions = {}): ParseOutcome<X12Document> {
  const doc: X12Document = { interchanges: [], diagnostics: [] };
  const reader = new X12Reader(
    { interchange: (ic) => doc.interchanges.push(ic), diagnostic: (d) => doc.diagnostics.push(d) },
    { ...options, retainSegments: true },
  );
  reader.push(raw);
  reader.end();
  const diagnostics = [...doc.diagnostics];
  for (const ic of doc.interchanges) {
    diagnostics.push(...ic.diagnostics);
    for (const g of ic.groups) {
      diagnostics.push(...g.diagnostics);
      for (const s of g.sets) diagnostics.push(...s.diagnostics);
    }
  }
  return doc.interchanges.length > 0 ? { message: doc, diagnostics } : { diagnostics };
}
