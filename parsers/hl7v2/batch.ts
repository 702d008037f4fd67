import type { Diagnostic } from '../../lib/errors.js';
import { decodeBytes, encodeText } from './charset.js';
import { DiagnosticSink } from './diagnostics.js';
import { decodeInput, messageFromLines, readDelimiters, segmentFromLine } from './parse.js';
import { leadingSkip } from './raw-header.js';
import { segmentToString, serializeToString } from './serialize.js';
import type { Hl7Delimiters, Hl7Message, Hl7ParseOptions, Hl7Segment } from './types.js';

/** One BHS … BTS batch (header and trailer absent for bare concatenated messages). */
export type Hl7BatchGroup = { header?: Hl7Segment; trailer?: Hl7Segment; messages: Hl7Message[] };

/** Who owns one physical line of the input: a message, a header/trailer segment, or nobody (a blank line, a stray segment). */
type LineOwner = { message: Hl7Message } | { segment: Hl7Segment } | undefined;

/**
 * The input as it was laid out, so `serializeBatch` gives back the same bytes: what preceded the
 * first segment (BOM, whitespace, MLLP start block), every physical line with the separator after it
 * (CR, LF or CRLF, blank lines included), and what each line belongs to.
 */
export type Hl7BatchLayout = { lead: Buffer; lines: Array<{ text: string; separator: string }>; owners: LineOwner[] };

/** A batch file: FHS, batches, FTS. */
export type Hl7Batch = {
  delimiters: Hl7Delimiters;
  encoding: string;
  bom: boolean;
  terminated: boolean;
  fileHeader?: Hl7Segment;
  fileTrailer?: Hl7Segment;
  batches: Hl7BatchGroup[];
  /** The input layout (absent for a batch built by code): lets `serializeBatch` be byte for byte. */
  layout?: Hl7BatchLayout;
};

/** One message of a batch with its own findings (locations count segments within that message). */
export type Hl7BatchEntry = { message: Hl7Message; diagnostics: Diagnostic[] };

export type Hl7BatchOutcome = {
  batch?: Hl7Batch;
  /** Every message of the file in order, each with its findings, so each can be answered alone. */
  entries: Hl7BatchEntry[];
  /** Findings about the file itself: structure, counts, decoding (locations are line numbers). */
  diagnostics: Diagnostic[];
};

type Walk = {
  batch: Hl7Batch;
  group?: Hl7BatchGroup;
  pending?: string[];
  pendingLines?: number[];
  entries: Hl7BatchEntry[];
  owners: LineOwner[];
};

/** True when the bytes hold a batch (FHS/BHS first) or several messages one after the other (more than one MSH). */
export function isHl7Batch(raw: Uint8Array): boolean {
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  if (/^(\xef\xbb\xbf)?\s*(FHS|BHS)/.test(text)) return true;
  return (text.match(/(^|[\r\n])MSH/g) ?? []).length > 1;
}

/**
 * Splits an HL7 batch file (FHS/BHS … BTS/FTS, or simply several messages one after the other) into
 * its messages. Never throws; BTS-1 and FTS-1 counts are checked (`batch-count-mismatch`).
 */
export function parseBatch(raw: Uint8Array, options: Hl7ParseOptions = {}): Hl7BatchOutcome {
  const sink = new DiagnosticSink(options.strict, options.maxDiagnostics);
  if (raw.length === 0 || leadingSkip(raw) === raw.length) {
    sink.error('empty-input', 'the input is empty; expected an HL7 batch starting with FHS, BHS or MSH');
    return { entries: [], diagnostics: sink.done() };
  }
  const input = decodeInput(raw, options, sink);
  const firstLine = input.lines[0] ?? '';
  const delimiters = /^(FHS|BHS|MSH)/.test(firstLine) ? readDelimiters(firstLine, sink) : undefined;
  if (!delimiters) {
    sink.error('missing-msh', 'the input does not start with FHS, BHS or MSH', { segmentIndex: 1 });
    return { entries: [], diagnostics: sink.done() };
  }
  const batch: Hl7Batch = { delimiters, encoding: input.encoding, bom: input.bom, terminated: input.terminated, batches: [] };
  const walk: Walk = { batch, entries: [], owners: [] };
  input.lines.forEach((line, i) => step(walk, line, input.lineNumbers[i]!, { ...input, options }, sink));
  flush(walk, { ...input, options });
  checkCounts(batch, sink);
  batch.layout = layoutOf(raw, input.encoding, walk.owners);
  return { batch, entries: walk.entries, diagnostics: sink.done() };
}

/** The physical lines of the input (decoded as the parse did) with their separators and owners. */
function layoutOf(raw: Uint8Array, encoding: string, owners: LineOwner[]): Hl7BatchLayout {
  const skip = leadingSkip(raw);
  const parts = decodeBytes(raw.subarray(skip), encoding).text.split(/(\r\n|\r|\n)/);
  const lines: Hl7BatchLayout['lines'] = [];
  for (let i = 0; i < parts.length; i += 2) lines.push({ text: parts[i]!, separator: parts[i + 1] ?? '' });
  return { lead: Buffer.from(raw.subarray(0, skip)), lines, owners: lines.map((_, i) => owners[i + 1]) };
}

type Ctx = { encoding: string; bom: boolean; terminated: boolean; options: Hl7ParseOptions };

function step(walk: Walk, line: string, lineNo: number, ctx: Ctx, sink: DiagnosticSink): void {
  const id = line.slice(0, 3);
  const d = walk.batch.delimiters;
  const at = { segment: id, line: lineNo };
  // [FHS] { [BHS] { MSH … } [BTS] } [FTS]: BHS and BTS are each optional, but nothing follows the FTS.
  if (walk.batch.fileTrailer && /^(MSH|FHS|BHS|BTS)$/.test(id)) {
    sink.error('batch-structure', `${id} at line ${lineNo} follows the FTS; expected the FTS last`, at);
  }
  if (id === 'MSH') {
    flush(walk, ctx);
    walk.pending = [line];
    walk.pendingLines = [lineNo];
  } else if (id === 'FHS' || id === 'FTS') {
    flush(walk, ctx);
    const key = id === 'FHS' ? 'fileHeader' : 'fileTrailer';
    const seenBefore = walk.batch.batches.length > 0 || walk.entries.length > 0;
    if (walk.batch[key] || (id === 'FHS' && seenBefore)) {
      sink.error('batch-structure', `${id} at line ${lineNo} is out of place; expected one FHS first and one FTS last`, at);
    } else {
      walk.batch[key] = segmentFromLine(line, d);
      walk.owners[lineNo] = { segment: walk.batch[key] };
    }
    walk.group = undefined;
  } else if (id === 'BHS') {
    flush(walk, ctx);
    walk.group = { header: segmentFromLine(line, d), messages: [] };
    walk.owners[lineNo] = { segment: walk.group.header! };
    walk.batch.batches.push(walk.group);
  } else if (id === 'BTS') {
    flush(walk, ctx);
    if (!walk.group || walk.group.trailer) {
      sink.error('batch-structure', `BTS at line ${lineNo} has no BHS before it`, at);
      walk.group = { messages: [] };
      walk.batch.batches.push(walk.group);
    }
    walk.group.trailer = segmentFromLine(line, d);
    walk.owners[lineNo] = { segment: walk.group.trailer };
  } else if (walk.pending) {
    walk.pending.push(line);
    walk.pendingLines!.push(lineNo);
  } else {
    sink.error('batch-structure', `segment ${lineNo} (${id.replace(/[^A-Z0-9]/g, '?')}) is outside any message; expected MSH`, {
      line: lineNo,
    });
  }
}

function flush(walk: Walk, ctx: Ctx): void {
  const lines = walk.pending;
  if (!lines) return;
  walk.pending = undefined;
  const sink = new DiagnosticSink(ctx.options.strict, ctx.options.maxDiagnostics);
  const message =
    messageFromLines(lines, { ...ctx, terminated: true }, ctx.options, sink) ?? fallbackMessage(lines, walk.batch.delimiters, ctx);
  if (!walk.group || walk.group.trailer) {
    walk.group = { messages: [] };
    walk.batch.batches.push(walk.group);
  }
  walk.group.messages.push(message);
  walk.entries.push({ message, diagnostics: sink.done() });
  const owner = { message };
  for (const lineNo of walk.pendingLines ?? []) walk.owners[lineNo] = owner;
  walk.pendingLines = undefined;
}

function fallbackMessage(lines: string[], d: Hl7Delimiters, ctx: Ctx): Hl7Message {
  return {
    delimiters: d,
    segments: lines.map((l) => segmentFromLine(l, d)),
    encoding: ctx.encoding,
    bom: false,
    terminated: true,
    options: { ...ctx.options },
  };
}

function checkCounts(batch: Hl7Batch, sink: DiagnosticSink): void {
  for (const group of batch.batches) {
    if (group.header && !group.trailer) sink.warn('batch-structure', 'a BHS has no BTS; the batch may be truncated', { segment: 'BHS' });
    const stated = group.trailer?.fields[1] ?? '';
    if (stated !== '' && Number(stated) !== group.messages.length) {
      sink.warn('batch-count-mismatch', `BTS-1 says ${stated.slice(0, 10)} messages, the batch holds ${group.messages.length}`, {
        segment: 'BTS',
        field: 1,
      });
    }
  }
  if (batch.fileHeader && !batch.fileTrailer)
    sink.warn('batch-structure', 'the FHS has no FTS; the file may be truncated', { segment: 'FHS' });
  const stated = batch.fileTrailer?.fields[1] ?? '';
  const groups = batch.batches.filter((g) => g.header).length;
  if (stated !== '' && Number(stated) !== groups) {
    sink.warn('batch-count-mismatch', `FTS-1 says ${stated.slice(0, 10)} batches, the file holds ${groups}`, { segment: 'FTS', field: 1 });
  }
}

/** Every message of a batch, in file order. */
export function batchMessages(batch: Hl7Batch): Hl7Message[] {
  return batch.batches.flatMap((g) => g.messages);
}

/**
 * The batch file as bytes. A batch read by `parseBatch` comes back byte for byte: what preceded the
 * first segment, blank lines, segments outside any message and each line's own separator (CR, LF or
 * CRLF) are kept; a message or header segment changed by code is written from its fields, with CR
 * between its segments. A batch built by code (no layout), or whose messages or header segments
 * were added or removed, is written from its structure: CR after every segment (none after the last
 * if the input had none).
 */
export function serializeBatch(batch: Hl7Batch): Buffer {
  const exact = batch.layout && sameParts(batch, batch.layout) ? fromLayout(batch, batch.layout) : undefined;
  if (exact) return Buffer.concat([batch.layout!.lead, encodeText(exact, batch.encoding)]);
  const d = batch.delimiters;
  const parts: string[] = [];
  if (batch.fileHeader) parts.push(segmentToString(batch.fileHeader, d));
  for (const group of batch.batches) {
    if (group.header) parts.push(segmentToString(group.header, d));
    for (const m of group.messages) parts.push(serializeToString({ ...m, terminated: false }));
    if (group.trailer) parts.push(segmentToString(group.trailer, d));
  }
  if (batch.fileTrailer) parts.push(segmentToString(batch.fileTrailer, d));
  const text = parts.join('\r') + (batch.terminated ? '\r' : '');
  const bytes = encodeText(text, batch.encoding);
  return batch.bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]) : bytes;
}

/** True when the batch still holds exactly the messages and header/trailer segments its layout names. */
function sameParts(batch: Hl7Batch, layout: Hl7BatchLayout): boolean {
  const now = new Set<object>([
    ...batchMessages(batch),
    ...[batch.fileHeader, batch.fileTrailer, ...batch.batches.flatMap((g) => [g.header, g.trailer])].filter(
      (s): s is Hl7Segment => s !== undefined,
    ),
  ]);
  const then = new Set<object>(layout.owners.flatMap((o) => (o === undefined ? [] : ['message' in o ? o.message : o.segment])));
  return now.size === then.size && [...now].every((x) => then.has(x));
}

/** The text of the batch in its input layout (see `serializeBatch`). */
function fromLayout(batch: Hl7Batch, layout: Hl7BatchLayout): string {
  const d = batch.delimiters;
  let out = '';
  for (let i = 0; i < layout.lines.length; i++) {
    const owner = layout.owners[i];
    const line = layout.lines[i]!;
    if (owner === undefined) {
      out += line.text + line.separator;
    } else if ('segment' in owner) {
      const text = segmentToString(owner.segment, d);
      out += (text === line.text ? line.text : text) + line.separator;
    } else {
      // The message spans from its first to its last line, blank lines between its segments included.
      let end = i;
      for (let j = i + 1; j < layout.lines.length && (layout.owners[j] === owner || layout.owners[j] === undefined); j++) {
        if (layout.owners[j] === owner) end = j;
      }
      const original = layout.lines.slice(i, end + 1);
      const current = serializeToString({ ...owner.message, terminated: false });
      const segments = original.filter((l, k) => layout.owners[i + k] === owner).map((l) => l.text);
      out += current === segments.join('\r') ? original.map((l) => l.text + l.separator).join('') : current + layout.lines[end]!.separator;
      i = end;
    }
  }
  return out;
}
