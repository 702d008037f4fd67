import type { ParseOutcome } from '../types.js';
import { detectUtf16 } from '../../lib/utf16.js';
import { decodeBytes, encodingForCharset, normalizeEncoding } from './charset.js';
import { DiagnosticSink } from './diagnostics.js';
import { checkHeader, checkSegment } from './checks.js';
import { leadingSkip, rawCharset, scanRawHeader } from './raw-header.js';
import type { Hl7Delimiters, Hl7Message, Hl7ParseOptions, Hl7Segment } from './types.js';

/** Decoded input: text without BOM or leading whitespace, split into segment lines. */
export type DecodedInput = {
  lines: string[];
  /** 1-based line number of each entry of `lines` in the input (blank lines counted). */
  lineNumbers: number[];
  encoding: string;
  bom: boolean;
  terminated: boolean;
};

/**
 * Parses one HL7 v2 message leniently: never throws on bad input; every finding is a diagnostic with
 * its segment, position and field. `message` is absent only when no MSH could be read. Input holding
 * a batch (FHS/BHS) or several messages is refused with `batch-input`: use `parseBatch`.
 */
export function parseMessage(raw: Uint8Array, options: Hl7ParseOptions = {}): ParseOutcome<Hl7Message> {
  const sink = new DiagnosticSink(options.strict, options.maxDiagnostics);
  try {
    return parseInto(raw, options, sink);
  } catch (cause) {
    // A bug must not take the channel down: report it like any other finding.
    sink.error('internal-error', `the HL7 parser failed: ${(cause as Error).message}`);
    return { diagnostics: sink.done() };
  }
}

function parseInto(raw: Uint8Array, options: Hl7ParseOptions, sink: DiagnosticSink): ParseOutcome<Hl7Message> {
  if (raw.length === 0 || leadingSkip(raw) === raw.length) {
    sink.error('empty-input', 'the input is empty; expected an HL7 message starting with MSH');
    return { diagnostics: sink.done() };
  }
  const wide = detectUtf16(raw.subarray(0, 64), ['MSH', 'FHS', 'BHS']);
  if (wide && wide !== 'more') {
    const how = wide.bom ? `byte order mark ${wide.form === 'utf-16le' ? 'FF FE' : 'FE FF'}` : 'no byte order mark';
    sink.error(
      'unknown-charset',
      `the input is ${wide.form.toUpperCase()} (${how}); expected HL7 v2 in ASCII, an 8859 character set or UTF-8 (UTF-16 is refused: its delimiters are not single bytes)`,
    );
    return { diagnostics: sink.done() };
  }
  const input = decodeInput(raw, options, sink);
  const first = input.lines.findIndex((l) => l.startsWith('MSH') || l.startsWith('FHS') || l.startsWith('BHS'));
  if (first === -1) {
    sink.error('missing-msh', `no MSH segment found; the input starts with '${safeStart(input.lines[0] ?? '')}', expected MSH`, {
      segmentIndex: 1,
    });
    reportBinary(input.lines, sink);
    return { diagnostics: sink.done() };
  }
  const headers = input.lines.filter((l) => l.startsWith('MSH') || l.startsWith('FHS') || l.startsWith('BHS'));
  if (!input.lines[first]!.startsWith('MSH') || headers.length > 1) {
    const count = input.lines.filter((l) => l.startsWith('MSH')).length;
    sink.error('batch-input', `the input is a batch or holds ${count} messages; expected one message (split it with parseBatch)`);
    return { diagnostics: sink.done() };
  }
  if (first > 0) {
    sink.error('leading-content', `${first} line(s) before MSH were ignored; expected the message to start with MSH`, {
      segmentIndex: 1,
    });
  }
  const message = messageFromLines(input.lines.slice(first), input, options, sink);
  return message ? { message, diagnostics: sink.done() } : { diagnostics: sink.done() };
}

/**
 * Picks the character set (BOM, else MSH-18 read from the raw bytes, else the fallback) and decodes,
 * then splits into segment lines on CR, LF or CRLF.
 */
export function decodeInput(raw: Uint8Array, options: Hl7ParseOptions, sink: DiagnosticSink): DecodedInput {
  const bom = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf;
  const encoding = bom ? 'utf8' : chooseEncoding(raw, options, sink);
  const { text, lossy, eightBit } = decodeBytes(raw.subarray(leadingSkip(raw)), encoding);
  if (lossy) sink.warn('invalid-bytes', `the input is not valid ${encoding}; invalid bytes were replaced by U+FFFD`);
  if (eightBit)
    sink.warn('invalid-bytes', 'MSH-18 says ASCII but the input has 8-bit bytes; read as latin1', { segment: 'MSH', field: 18 });
  return { ...splitLines(text, sink), encoding, bom };
}

function chooseEncoding(raw: Uint8Array, options: Hl7ParseOptions, sink: DiagnosticSink): string {
  const fallback = normalizeEncoding(options.fallbackEncoding ?? 'latin1');
  const fallbackEncoding = fallback.ok ? fallback.encoding : 'latin1';
  if (!fallback.ok) sink.warn('unknown-charset', `fallback encoding '${options.fallbackEncoding}' is not known; using latin1`);
  const header = scanRawHeader(raw);
  const charset = header ? rawCharset(header) : '';
  if (charset === '') return fallbackEncoding;
  const found = encodingForCharset(charset);
  if (found.ok) return found.encoding;
  const why =
    found.reason === 'unsupported' ? 'is not supported (delimiters would not be single bytes)' : 'is not an HL7 character set (table 0211)';
  sink.error('unknown-charset', `MSH-18 ${why}; expected a table 0211 value such as ASCII, 8859/1 or UNICODE UTF-8`, {
    segment: 'MSH',
    segmentIndex: 1,
    field: 18,
  });
  return fallbackEncoding;
}

function splitLines(text: string, sink: DiagnosticSink): Pick<DecodedInput, 'lines' | 'lineNumbers' | 'terminated'> {
  const all = text.split(/\r\n|\r|\n/);
  let end = all.length;
  while (end > 0 && all[end - 1] === '') end--;
  const terminated = end < all.length;
  const lines: string[] = [];
  const lineNumbers: number[] = [];
  for (let i = 0; i < end; i++) {
    if (all[i] === '') {
      sink.warn('empty-segment', `line ${i + 1} is empty; blank lines between segments are dropped`, { line: i + 1 });
      continue;
    }
    lines.push(all[i]!);
    lineNumbers.push(i + 1);
  }
  return { lines, lineNumbers, terminated };
}

/** Reads the delimiters from an MSH/FHS/BHS line; undefined when not even a field separator is there. */
export function readDelimiters(line: string, sink: DiagnosticSink, segmentIndex = 1): Hl7Delimiters | undefined {
  const id = line.slice(0, 3);
  const at = { segment: id, segmentIndex };
  const field = line[3];
  if (field === undefined || /[A-Za-z0-9\s]/.test(field)) {
    sink.error('bad-delimiters', `${id}-1 must be the field separator (a punctuation character), got ${describe(field)}`, {
      ...at,
      field: 1,
    });
    return undefined;
  }
  const end = line.indexOf(field, 4);
  const chars = line.slice(4, end === -1 ? line.length : end);
  const d: Hl7Delimiters = {
    field,
    component: chars[0] ?? '',
    repetition: chars[1] ?? '',
    escape: chars[2] ?? '',
    subcomponent: chars[3] ?? '',
  };
  if (chars.length === 5) d.truncation = chars[4];
  const all = [field, ...chars];
  const clean = !/[A-Za-z0-9\s]/.test(chars) && new Set(all).size === all.length;
  const goodLength = chars.length === 4 || chars.length === 5;
  if (!clean || !goodLength) {
    const detail = goodLength ? `'${safeStart(chars, 5)}' (${flaw(field, chars)})` : `${chars.length} characters`;
    const message = `${id}-2 must be 4 distinct encoding characters (5 with the v2.7 truncation character), got ${detail}`;
    // Fewer but clean characters (`^~\`) still parse unambiguously: a warning. Anything else: an error.
    if (clean && chars.length >= 1 && chars.length < 4) sink.warn('bad-delimiters', message, { ...at, field: 2 });
    else sink.error('bad-delimiters', message, { ...at, field: 2 });
  }
  return d;
}

/** Splits one segment line into its encoded fields (MSH-1 becomes `fields[1]`). */
export function segmentFromLine(line: string, d: Hl7Delimiters): Hl7Segment {
  const fields = line.split(d.field);
  const id = fields[0]!;
  if (id === 'MSH' || id === 'FHS' || id === 'BHS') fields.splice(1, 0, d.field);
  return { id, fields };
}

/** Builds a message from its lines (the first one being MSH) and checks segments and header. */
export function messageFromLines(
  lines: string[],
  input: Pick<DecodedInput, 'encoding' | 'bom' | 'terminated'>,
  options: Hl7ParseOptions,
  sink: DiagnosticSink,
): Hl7Message | undefined {
  const delimiters = readDelimiters(lines[0]!, sink);
  if (!delimiters) return undefined;
  const segments = lines.map((line) => segmentFromLine(line, delimiters));
  const maxLength = options.maxSegmentLength ?? 1024 * 1024;
  segments.forEach((segment, i) => checkSegment(segment, lines[i]!, i + 1, maxLength, sink));
  const message: Hl7Message = {
    delimiters,
    segments,
    encoding: input.encoding,
    bom: input.bom,
    terminated: input.terminated,
    options: { ...options },
  };
  checkHeader(message, sink);
  if (!input.terminated) {
    const last = segments[segments.length - 1]!;
    sink.warn(
      'truncated-segment',
      `the last segment (${last.id}, segment ${segments.length}) has no segment terminator; the message may be truncated`,
      {
        segment: last.id,
        segmentIndex: segments.length,
      },
    );
  }
  return message;
}

function reportBinary(lines: string[], sink: DiagnosticSink): void {
  const sample = lines.slice(0, 16).join('\r');
  if (/[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/.test(sample)) {
    sink.error('binary-content', 'the input holds binary (control) characters; expected HL7 text');
  }
}

/** What is wrong with encoding characters of the right length: a letter, digit or space, or a repeat. */
function flaw(field: string, chars: string): string {
  if (/[A-Za-z0-9]/.test(chars)) return 'a letter or digit';
  if (/\s/.test(chars)) return 'a space';
  const seen = [field];
  for (const c of chars) {
    if (seen.includes(c)) return `'${c}' ${c === field ? 'is also the field separator' : 'twice'}`;
    seen.push(c);
  }
  return 'a character that cannot be a delimiter';
}

/** The first few characters of untrusted text, printable only, for a message (never a payload). */
export function safeStart(text: string, length = 3): string {
  return text.slice(0, length).replace(/[^\x20-\x7e]/g, '?');
}

function describe(ch: string | undefined): string {
  return ch === undefined ? 'nothing' : `'${safeStart(ch)}'`;
}
