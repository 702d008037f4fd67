import type { Diagnostic } from '../../lib/errors.js';
import type { X12Delimiters, X12Segment } from './types.js';
import { readIsaHeader } from './isa-header.js';

/** Default maximum length of one segment in bytes (1 MiB). */
export const DEFAULT_MAX_SEGMENT_LENGTH = 1024 * 1024;

export type TokenizerOptions = {
  /** A segment longer than this many bytes is refused with `x12-segment-too-long` and skipped. */
  maxSegmentLength?: number;
};

/** Receives the tokenizer's output, in input order. */
export type TokenizerHandlers = {
  /** One segment; `delimiters` are those of the interchange it belongs to. */
  segment(segment: X12Segment, delimiters: X12Delimiters): void;
  /** One finding. Findings about an ISA carry `location.segment = 'ISA'` and come before that ISA. */
  diagnostic(diagnostic: Diagnostic): void;
};

type Mode = 'seek' | 'header' | 'body' | 'skip' | 'binary';

const CR = 0x0d;
const LF = 0x0a;
const HEADER_MAX = 512;
/** Slots of the short-value cache (a power of two): a direct-mapped table, so memory stays fixed. */
const SHORT_VALUE_SLOTS = 1024;
/** Input is decoded in windows of this many bytes: a string over 128 KiB would land in V8's large-object space. */
const WINDOW = 64 * 1024;
/** Separator positions remembered per segment; elements beyond are found by searching again. */
const MARKS = 64;

function isBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === CR || byte === LF || byte === 0x0b || byte === 0x0c;
}

function startsWithIsa(buf: Buffer, p: number): boolean {
  return buf[p] === 0x49 && buf[p + 1] === 0x53 && buf[p + 2] === 0x41;
}

/**
 * A push-based X12 tokenizer. Feed bytes with `push(chunk)` in chunks of any size and call `end()`
 * once; segments come out through the handlers, identical whatever the chunking. Delimiters are read
 * from each ISA (several interchanges per input, each with its own delimiters). Memory is bounded by
 * the maximum segment length: a longer segment is reported and skipped up to its terminator.
 * Segments are decoded as latin1 (one character per byte), so any byte, control characters included,
 * survives. The tokenizer never throws on bad input.
 */
export class X12Tokenizer {
  private mode: Mode = 'seek';
  private readonly maxSegment: number;
  private delimiters: X12Delimiters | undefined;
  private termByte = -1;
  private elementChar = '';
  private stripTrailingCr = false;
  /** Whitespace bytes (CR, LF, space, tab) that are not data before a segment id: those that are not a delimiter. */
  private readonly ignorable = new Set<number>();
  /** Bytes of binary data (BIN02 / BDS03) still to read verbatim, then the segment terminator. */
  private binaryLeft = 0;
  /** Declared length and id of the binary segment being read. */
  private binaryData = 0;
  private binaryId = '';
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private header: Buffer = Buffer.alloc(0);
  private carry: Buffer | undefined;
  private atStart = true;
  private betweenInterchanges = false;
  private bomChecked = false;
  private garbageReported = false;
  private sawIsa = false;
  private sawBytes = false;
  private ended = false;
  private position = 0;
  private consumed = 0;
  private buf: Buffer = Buffer.alloc(0);
  /** `buf` decoded as latin1 (one character per byte): string search beats per-segment Buffer decoding. */
  private text = '';
  private termChar = '';
  private bufStart = 0;
  private headerStart = 0;
  /** First element separator at or after the last split position in `text` (-1: search again). */
  private nextSeparator = -1;
  /** Short element values (2–3 characters: ids, qualifiers, codes) shared between segments. */
  private readonly shortValues: string[] = new Array<string>(SHORT_VALUE_SLOTS).fill('');
  /** Element separator positions of the segment being split. */
  private readonly marks = new Int32Array(MARKS);

  constructor(
    private readonly handlers: TokenizerHandlers,
    options: TokenizerOptions = {},
  ) {
    this.maxSegment = options.maxSegmentLength ?? DEFAULT_MAX_SEGMENT_LENGTH;
  }

  /** Feeds the next bytes. Chunk boundaries may fall anywhere, even inside the ISA. */
  push(chunk: Uint8Array): void {
    if (this.ended) return;
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let from = 0; from < bytes.length; from += WINDOW) this.feed(bytes.subarray(from, Math.min(bytes.length, from + WINDOW)));
  }

  /** One window of input (at most `WINDOW` bytes). */
  private feed(bytes: Buffer): void {
    const carry = this.carry;
    this.carry = undefined;
    this.bufStart = this.consumed - (carry?.length ?? 0);
    this.consumed += bytes.length;
    this.run(carry ? Buffer.concat([carry, bytes]) : bytes);
  }

  /** Signals the end of the input: flushes the last segment and reports what is unfinished. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const carry = this.carry ?? Buffer.alloc(0);
    this.carry = undefined;
    this.bufStart = this.consumed - carry.length;
    this.run(carry);
    this.finish();
  }

  private setBuffer(buf: Buffer): void {
    this.buf = buf;
    this.text = this.mode === 'body' || this.mode === 'skip' || this.mode === 'binary' ? buf.toString('latin1') : '';
    this.nextSeparator = -1;
  }

  private run(buf: Buffer): void {
    this.setBuffer(buf);
    let p = 0;
    while (p >= 0 && (p < this.buf.length || (this.ended && this.mode === 'header'))) {
      const before = this.mode;
      switch (this.mode) {
        case 'seek':
          p = this.seek(p);
          break;
        case 'header':
          p = this.readHeader(p);
          if (p === this.buf.length && this.mode === before) p = -1;
          break;
        case 'body':
          p = this.body(p);
          break;
        case 'skip':
          p = this.skip(p);
          break;
        case 'binary':
          p = this.binary(p);
          break;
      }
    }
  }

  private keep(p: number): number {
    this.carry = Buffer.from(this.buf.subarray(p));
    return -1;
  }

  private seek(p: number): number {
    const buf = this.buf;
    if (!this.bomChecked) {
      if (buf.length - p < 3 && !this.ended) return this.keep(p);
      this.bomChecked = true;
      if (buf[p] === 0xef && buf[p + 1] === 0xbb && buf[p + 2] === 0xbf) p += 3;
    }
    while (p < buf.length && isBlank(buf[p]!)) p++;
    if (p >= buf.length) return p;
    this.sawBytes = true;
    if (buf.length - p < 3 && !this.ended) return this.keep(p);
    if (startsWithIsa(buf, p)) return this.enterHeader(p);
    if (!this.garbageReported) {
      this.garbageReported = true;
      this.handlers.diagnostic({
        severity: 'error',
        code: 'x12-no-isa',
        message: `byte ${this.bufStart + p} is 0x${buf[p]!.toString(16).padStart(2, '0')}; expected ISA (skipping to the next ISA)`,
      });
    }
    const next = buf.indexOf('ISA', p + 1, 'latin1');
    if (next >= 0) return next;
    return this.ended ? buf.length : this.keep(Math.max(p + 1, buf.length - 2));
  }

  private enterHeader(p: number): number {
    this.mode = 'header';
    this.header = Buffer.alloc(0);
    this.headerStart = this.bufStart + p;
    return p;
  }

  private readHeader(p: number): number {
    const buf = this.buf;
    const before = this.header.length;
    const take = buf.subarray(p, Math.min(buf.length, p + HEADER_MAX - before));
    const header = before === 0 ? Buffer.from(take) : Buffer.concat([this.header, take]);
    const result = readIsaHeader(header, this.ended || header.length >= HEADER_MAX);
    if (result.kind === 'more') {
      this.header = header;
      return p + take.length;
    }
    this.header = Buffer.alloc(0);
    const resume = result.kind === 'ok' ? result.end : 3;
    const rest = before === 0 ? buf.subarray(p + resume) : Buffer.concat([header.subarray(resume), buf.subarray(p + take.length)]);
    this.bufStart = this.headerStart + resume;
    for (const d of result.diagnostics) this.handlers.diagnostic(d);
    if (result.kind === 'fail') {
      this.mode = this.delimiters ? 'skip' : 'seek';
      this.garbageReported = true;
      this.setBuffer(rest);
      return 0;
    }
    this.sawIsa = true;
    this.garbageReported = false;
    this.delimiters = result.delimiters;
    this.termByte = result.delimiters.segment.charCodeAt(0);
    this.termChar = result.delimiters.segment;
    this.elementChar = result.delimiters.element;
    this.stripTrailingCr = this.termByte === LF;
    this.ignorable.clear();
    const delimiterBytes = [result.delimiters.element, result.delimiters.component, result.delimiters.repetition, result.delimiters.segment]
      .filter((c): c is string => c !== undefined)
      .map((c) => c.charCodeAt(0));
    for (const byte of [CR, LF, 0x20, 0x09]) if (!delimiterBytes.includes(byte) || byte === this.termByte) this.ignorable.add(byte);
    this.position = 0;
    this.betweenInterchanges = false;
    this.mode = 'body';
    this.atStart = true;
    this.setBuffer(rest);
    this.emit(result.text, 0, result.text.length, false);
    return 0;
  }

  /** Reads segments until the chunk ends or the mode changes (a new ISA, an over-long segment). */
  private body(p: number): number {
    const buf = this.buf;
    const text = this.text;
    const term = this.termChar;
    while (p < buf.length) {
      if (this.atStart) {
        p = this.segmentStart(p);
        if (p < 0 || p >= buf.length || this.mode !== 'body') return p;
        this.atStart = false;
        const binary = this.binaryStart(p);
        if (binary === -1) {
          this.atStart = true;
          return this.keep(p);
        }
        if (binary !== undefined) return binary;
      }
      const idx = text.indexOf(term, p);
      if (idx < 0) return this.partial(p);
      this.atStart = true;
      if (this.pendingLength + idx - p > this.maxSegment) {
        this.pending.push(buf.subarray(p, idx));
        this.refuse();
        this.mode = 'body';
      } else if (this.pending.length > 0) {
        this.pending.push(buf.subarray(p, idx));
        const joined = Buffer.concat(this.pending).toString('latin1');
        this.pending = [];
        this.pendingLength = 0;
        this.emit(joined, 0, joined.length, false);
      } else {
        this.emit(text, p, idx, true);
      }
      p = idx + 1;
    }
    return p;
  }

  /**
   * Skips what may precede a segment: CR, LF, spaces and tabs that are not a delimiter of the
   * interchange (line breaks and indentation of exports that put each segment on its own line), and
   * between interchanges any whitespace and a BOM. Returns where the segment starts, -1 when the chunk
   * must be carried over, or the ISA start (mode header).
   */
  private segmentStart(p: number): number {
    const buf = this.buf;
    const text = this.text;
    while (p < buf.length) {
      const byte = text.charCodeAt(p);
      if (this.ignorable.has(byte) || (this.betweenInterchanges && isBlank(byte))) p++;
      else if (this.betweenInterchanges && byte === 0xef) {
        if (buf.length - p < 3 && !this.ended) return this.keep(p);
        if (buf[p + 1] !== 0xbb || buf[p + 2] !== 0xbf) break;
        p += 3;
      } else break;
    }
    if (p >= buf.length) return p;
    if (buf.length - p < 3 && !this.ended) return this.keep(p);
    if (startsWithIsa(buf, p) && buf[p + 3] !== this.termByte) return this.enterHeader(p);
    return p;
  }

  /**
   * A binary data segment (BIN: BIN01 length, BIN02 data; BDS: BDS01 filter, BDS02 length, BDS03
   * data) starting at `p`: its data may hold any byte, delimiters included, so the declared number of
   * bytes is read verbatim before looking for the terminator. Returns where to continue (mode
   * `binary`), -1 when the length is not yet in the chunk, or undefined when this is not a binary
   * segment (or its length is not a number: then it is read as an ordinary segment).
   */
  private binaryStart(p: number): number | undefined {
    const text = this.text;
    const sep = this.elementChar;
    if (text.length < p + 4 && !this.ended) {
      const head = text.slice(p);
      return `BIN${sep}`.startsWith(head) || `BDS${sep}`.startsWith(head) ? -1 : undefined;
    }
    const id = text.slice(p, p + 3);
    if ((id !== 'BIN' && id !== 'BDS') || text[p + 3] !== sep) return undefined;
    let at = p + 4;
    if (id === 'BDS') {
      const filterEnd = text.indexOf(sep, at);
      if (filterEnd < 0 || filterEnd - at > 3) return filterEnd < 0 && !this.ended && text.length - at <= 3 ? -1 : undefined;
      at = filterEnd + 1;
    }
    const lengthEnd = text.indexOf(sep, at);
    if (lengthEnd < 0) return !this.ended && text.length - at <= 15 ? -1 : undefined;
    const length = text.slice(at, lengthEnd);
    if (!/^\d{1,15}$/.test(length) || Number(length) > this.maxSegment) return undefined;
    this.pending.push(this.buf.subarray(p, lengthEnd + 1));
    this.pendingLength += lengthEnd + 1 - p;
    this.binaryLeft = Number(length);
    this.binaryData = this.binaryLeft;
    this.binaryId = id;
    this.mode = 'binary';
    return lengthEnd + 1;
  }

  /** Reads the rest of a binary element verbatim, then its segment terminator. */
  private binary(p: number): number {
    const buf = this.buf;
    const take = Math.min(this.binaryLeft, buf.length - p);
    if (take > 0) {
      this.pending.push(buf.subarray(p, p + take));
      this.pendingLength += take;
      this.binaryLeft -= take;
      p += take;
    }
    if (this.binaryLeft > 0 || p >= buf.length) return buf.length <= p ? buf.length : p;
    const terminated = buf[p] === this.termByte;
    this.emitBinary();
    if (!terminated) {
      const id = this.binaryId;
      this.handlers.diagnostic({
        severity: 'error',
        code: 'x12-binary-length-mismatch',
        message: `${id} at segment ${this.position} is not followed by the segment terminator after its declared length of binary data; expected the terminator`,
        location: { segment: id, segmentIndex: this.position },
      });
      return this.skipTo(p);
    }
    return p + 1;
  }

  /**
   * Emits the binary segment held in `pending`: its header elements split on the element separator,
   * the data as one element, whatever bytes it holds.
   */
  private emitBinary(): void {
    const joined = Buffer.concat(this.pending).toString('latin1');
    this.pending = [];
    this.pendingLength = 0;
    this.mode = 'body';
    this.atStart = true;
    const headerEnd = joined.length - this.binaryData;
    const elements = joined.slice(0, headerEnd - 1).split(this.elementChar);
    elements.push(joined.slice(headerEnd));
    this.position++;
    this.handlers.segment({ id: elements[0]!, elements, position: this.position }, this.delimiters!);
  }

  /** After a broken binary segment: continue after the next terminator. */
  private skipTo(p: number): number {
    this.mode = 'skip';
    return p;
  }

  /** The chunk ends inside a segment: keep its bytes (up to the maximum segment length). */
  private partial(p: number): number {
    const buf = this.buf;
    if (p < buf.length) {
      this.pending.push(buf.subarray(p));
      this.pendingLength += buf.length - p;
      if (this.pendingLength > this.maxSegment) this.refuse();
    }
    return buf.length;
  }

  private skip(p: number): number {
    const idx = this.text.indexOf(this.termChar, p);
    if (idx < 0) return this.buf.length;
    this.mode = 'body';
    this.atStart = true;
    return idx + 1;
  }

  private refuse(): void {
    const head = (this.pending[0] ?? Buffer.alloc(0)).toString('latin1', 0, 8);
    const id = head.split(this.elementChar)[0]!.slice(0, 3);
    this.position++;
    this.handlers.diagnostic({
      severity: 'error',
      code: 'x12-segment-too-long',
      message: `segment ${this.position} is longer than the maximum segment length of ${this.maxSegment} bytes; skipped to its terminator`,
      location: { segment: /^[A-Z0-9]{2,3}$/.test(id) ? id : undefined, segmentIndex: this.position },
    });
    this.pending = [];
    this.pendingLength = 0;
    this.mode = 'skip';
  }

  /** Emits the segment `text[start, end)`; `inChunk`: `text` is the decoded window (see `split`). */
  private emit(text: string, start: number, end: number, inChunk: boolean): void {
    if (this.stripTrailingCr && end > start && text.charCodeAt(end - 1) === CR) end--;
    if (end === start) {
      this.handlers.diagnostic({
        severity: 'warning',
        code: 'x12-empty-segment',
        message: `empty segment after segment ${this.position}; ignored`,
        location: { segmentIndex: this.position },
      });
      return;
    }
    const elements = this.split(text, start, end, inChunk);
    const id = elements[0]!;
    this.position++;
    if (id === 'IEA') this.betweenInterchanges = true;
    this.handlers.segment({ id, elements, position: this.position }, this.delimiters!);
  }

  /**
   * `text[start, end)` split on the element separator into an exact-size array. In the decoded window
   * the next separator is remembered between segments, so each byte is searched once.
   */
  private split(text: string, start: number, end: number, inChunk: boolean): string[] {
    const sep = this.elementChar;
    const marks = this.marks;
    let at = inChunk && this.nextSeparator >= start ? this.nextSeparator : text.indexOf(sep, start);
    let count = 0;
    while (at >= 0 && at < end) {
      if (count < MARKS) marks[count] = at;
      count++;
      at = text.indexOf(sep, at + 1);
    }
    if (inChunk) this.nextSeparator = at < 0 ? text.length : at;
    const elements = new Array<string>(count + 1);
    let from = start;
    for (let k = 0; k < count; k++) {
      const to = k < MARKS ? marks[k]! : text.indexOf(sep, from);
      elements[k] = this.value(text, from, to);
      from = to + 1;
    }
    elements[count] = this.value(text, from, end);
    return elements;
  }

  /**
   * One element value. Values of 2 or 3 characters (segment ids, qualifiers, units, codes) come from a
   * small direct-mapped table when already seen, so repeats share one string: fewer allocations, and
   * less for the garbage collector to copy when the whole-buffer parse keeps every segment.
   */
  private value(text: string, from: number, to: number): string {
    const length = to - from;
    if (length !== 2 && length !== 3) return text.slice(from, to);
    const c0 = text.charCodeAt(from);
    const c1 = text.charCodeAt(from + 1);
    const c2 = length === 3 ? text.charCodeAt(from + 2) : 0;
    const slot = (c0 * 961 + c1 * 31 + c2 + length) & (SHORT_VALUE_SLOTS - 1);
    const known = this.shortValues[slot]!;
    if (
      known.length === length &&
      known.charCodeAt(0) === c0 &&
      known.charCodeAt(1) === c1 &&
      (length === 2 || known.charCodeAt(2) === c2)
    ) {
      return known;
    }
    const value = text.slice(from, to);
    this.shortValues[slot] = value;
    return value;
  }

  private finish(): void {
    if (this.mode === 'binary') {
      const missing = this.binaryLeft;
      this.binaryData -= missing;
      this.emitBinary();
      this.handlers.diagnostic({
        severity: 'error',
        code: 'x12-binary-length-mismatch',
        message: `${this.binaryId} at segment ${this.position} declares more binary data than the input holds (${missing} bytes missing, no terminator); expected the declared length`,
        location: { segment: this.binaryId, segmentIndex: this.position },
      });
      return;
    }
    if (this.mode === 'body' && this.pending.length > 0) {
      const text = Buffer.concat(this.pending).toString('latin1');
      this.pending = [];
      this.pendingLength = 0;
      if (text.trim().length > 0) {
        this.handlers.diagnostic({
          severity: 'warning',
          code: 'x12-unterminated-segment',
          message: `segment ${this.position + 1} has no segment terminator at the end of the input; read anyway`,
          location: { segmentIndex: this.position + 1 },
        });
        this.emit(text, 0, text.length, false);
      }
    }
    if (!this.sawIsa && !this.sawBytes) {
      this.handlers.diagnostic({ severity: 'error', code: 'x12-empty-input', message: 'the input is empty; expected an ISA' });
    }
  }
}

/** Tokenizes a whole buffer: every segment (with its interchange's delimiters) and every finding. */
export function tokenize(
  raw: Uint8Array,
  options: TokenizerOptions = {},
): { segments: Array<{ segment: X12Segment; delimiters: X12Delimiters }>; diagnostics: Diagnostic[] } {
  const segments: Array<{ segment: X12Segment; delimiters: X12Delimiters }> = [];
  const diagnostics: Diagnostic[] = [];
  const tokenizer = new X12Tokenizer(
    { segment: (segment, delimiters) => segments.push({ segment, delimiters }), diagnostic: (d) => diagnostics.push(d) },
    options,
  );
  tokenizer.push(raw);
  tokenizer.end();
  return { segments, diagnostics };
}
