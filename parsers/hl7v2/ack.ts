import type { Diagnostic } from '../../lib/errors.js';
import { decodeBytes, encodeText, encodingForCharset } from './charset.js';
import { TABLE_0357, hl7ErrorCode } from './diagnostics.js';
import { escape } from './escape.js';
import { leafOf } from './path.js';
import { rawCharset, scanRawHeader } from './raw-header.js';
import { DEFAULT_DELIMITERS } from './types.js';
import type { Hl7Delimiters, Hl7Message } from './types.js';

/** HL7 acknowledgment codes: original / application (AA/AE/AR) and enhanced commit (CA/CE/CR). */
export type AckCode = 'AA' | 'AE' | 'AR' | 'CA' | 'CE' | 'CR';
/** Table 0155: when the sender wants an acknowledgment. */
export type AckCondition = 'AL' | 'NE' | 'ER' | 'SU';

/**
 * How a message wants to be acknowledged. Original mode (MSH-15 and MSH-16 both empty): one
 * application ACK (AA/AE/AR). Enhanced mode: a commit ACK (CA/CE/CR) when `accept` asks for it, and
 * an application ACK (AA/AE/AR) when `application` asks for it; an empty field counts as AL.
 */
export type AckMode =
  { mode: 'original'; accept?: undefined; application?: undefined } | { mode: 'enhanced'; accept: AckCondition; application: AckCondition };

const CONDITIONS = new Set(['AL', 'NE', 'ER', 'SU']);

/** Which acknowledgment mode the sender asked for (MSH-15 / MSH-16). */
export function ackModeOf(message: Hl7Message): AckMode {
  const d = message.delimiters;
  const msh = message.segments[0]!;
  const accept = leafOf(msh.fields[15] ?? '', d, 1, 1, 1)
    .trim()
    .toUpperCase();
  const application = leafOf(msh.fields[16] ?? '', d, 1, 1, 1)
    .trim()
    .toUpperCase();
  if (accept === '' && application === '') return { mode: 'original' };
  const condition = (v: string): AckCondition => (CONDITIONS.has(v) ? (v as AckCondition) : 'AL');
  return { mode: 'enhanced', accept: condition(accept), application: condition(application) };
}

/** Whether an acknowledgment is wanted under a table 0155 condition for a positive / negative outcome. */
export function ackWanted(condition: AckCondition | undefined, positive: boolean): boolean {
  if (condition === 'NE') return false;
  if (condition === 'ER') return !positive;
  if (condition === 'SU') return positive;
  return true;
}

/** The code for an outcome: commit codes (CA/CE/CR) only for the enhanced-mode commit ACK. */
export function ackCode(mode: AckMode['mode'], outcome: 'ok' | 'error' | 'reject', stage: 'commit' | 'application' = 'commit'): AckCode {
  const prefix = mode === 'enhanced' && stage === 'commit' ? 'C' : 'A';
  return `${prefix}${outcome === 'ok' ? 'A' : outcome === 'error' ? 'E' : 'R'}` as AckCode;
}

export type BuildAckOptions = {
  /** The parsed original, when it could be parsed. */
  original?: Hl7Message;
  /** The raw bytes of the original: used for a best-effort header when `original` is absent. */
  raw?: Uint8Array;
  code: AckCode;
  /** MSH-10 of the ACK: our own new control id. */
  controlId: string;
  /** One ERR segment each (at most 20); only errors unless `includeWarnings`. */
  errors?: Diagnostic[];
  includeWarnings?: boolean;
  /** MSA-3 text message (optional; deprecated from v2.4 on but still read by many systems). */
  text?: string;
  /** MSH-7 of the ACK; default now. */
  now?: Date;
};

/** What the ACK copies from the original: encoded MSH fields, delimiters, encoding. */
type Source = { d: Hl7Delimiters; fields: string[]; encoding: string; original?: Hl7Message };

const MAX_ERR = 20;

/**
 * Builds an ACK for an original message: same delimiters and character set, segments separated by
 * CR. MSH: sending and receiving application/facility swapped, MSH-7 now, MSH-9 `ACK^<event>^ACK`
 * (`ACK^<event>` before v2.3.1), MSH-10 the given control id, MSH-11/12/18 copied. MSA-1 the code,
 * MSA-2 the original MSH-10, MSA-3 the text. One ERR per error: v2.5+ ERR-2 location, ERR-3
 * `code^text^HL70357`, ERR-4 E/W, ERR-5 our diagnostic code, ERR-8 the message; before v2.5 ERR-1
 * `SEG^seq^field^code&text&HL70357`. Without a parsed original, whatever MSH fields are readable in
 * `raw` are used, else defaults (`|^~\&`, P, 2.5.1).
 */
export function buildAck(options: BuildAckOptions): Buffer {
  const src = sourceOf(options);
  const { d, fields } = src;
  const f = (n: number) => fields[n] ?? '';
  const version = f(12) === '' ? '2.5.1' : f(12);
  const versionId = leafOf(version, d, 1, 1, 1);
  const event = leafOf(f(9), d, 1, 2, 1);
  const type = versionAtLeast(versionId, [2, 3, 1]) ? ['ACK', event, 'ACK'] : ['ACK', event];
  const msh = [
    'MSH',
    [d.component, d.repetition, d.escape, d.subcomponent, d.truncation ?? ''].join(''),
    f(5),
    f(6),
    f(3),
    f(4),
    hl7Timestamp(options.now ?? new Date()),
    '',
    event === '' ? 'ACK' : type.join(d.component),
    escape(options.controlId, d),
    f(11) === '' ? 'P' : f(11),
    version,
  ];
  // An MSH-18 that is not an HL7 character set is not copied: the ACK is then plain ASCII, the one
  // character set every HL7 peer reads.
  const charsetRefused = f(18) !== '' && !encodingForCharset(f(18).split(d.repetition)[0]!).ok;
  if (f(18) !== '' && !charsetRefused) msh.push('', '', '', '', '', f(18));
  const msa = ['MSA', options.code, leafOf(f(10), d, 1, 1, 1)];
  if (options.text) msa.push(escape(options.text, d));
  const findings = (options.errors ?? []).filter((e) => e.severity === 'error' || options.includeWarnings).slice(0, MAX_ERR);
  const errs = findings.map((e) => errSegment(e, src, versionAtLeast(versionId, [2, 5])));
  const text = [msh.join(d.field), msa.join(d.field), ...errs].map((s) => `${s}\r`).join('');
  return charsetRefused ? Buffer.from(text.replace(/[^\x00-\x7f]/g, '?'), 'ascii') : encodeText(text, src.encoding);
}

function errSegment(e: Diagnostic, src: Source, v25: boolean): string {
  const { d } = src;
  const loc = e.location ?? {};
  const code = hl7ErrorCode(e.code);
  const seq = loc.segment ? occurrence(src.original, loc.segment, loc.segmentIndex) : '';
  const num = (n: number | undefined) => (n === undefined ? '' : String(n));
  if (!v25) {
    const ce = [code, TABLE_0357[code] ?? '', 'HL70357'].join(d.subcomponent);
    const eld = [loc.segment ?? '', seq, num(loc.field), ce].join(d.component);
    return ['ERR', eld].join(d.field);
  }
  const erl = loc.segment
    ? trimEnd([
        loc.segment,
        seq,
        num(loc.field),
        loc.field ? num(loc.repetition ?? 1) : '',
        num(loc.component),
        num(loc.subcomponent),
      ]).join(d.component)
    : '';
  const cwe = [code, TABLE_0357[code] ?? '', 'HL70357'].join(d.component);
  const severity = e.severity === 'error' ? 'E' : 'W';
  return ['ERR', '', erl, cwe, severity, escape(e.code, d), '', '', escape(e.message, d)].join(d.field);
}

/** ERL-2: which occurrence of its segment id the segment at `segmentIndex` is (1 when unknown). */
function occurrence(original: Hl7Message | undefined, id: string, segmentIndex: number | undefined): string {
  if (!original || segmentIndex === undefined) return '1';
  let n = 0;
  for (let i = 0; i < segmentIndex && i < original.segments.length; i++) if (original.segments[i]!.id === id) n++;
  return String(Math.max(n, 1));
}

function sourceOf(options: BuildAckOptions): Source {
  if (options.original) {
    const m = options.original;
    // Encoding characters the original got wrong (MSH-2 empty, short or repeated) cannot structure
    // an answer the sender can read: the ACK declares and uses the standard ones instead.
    const d = m.delimiters;
    const all = [d.field, d.component, d.repetition, d.escape, d.subcomponent];
    const usable = all.every((c) => c.length === 1 && !/[A-Za-z0-9\s]/.test(c)) && new Set(all).size === all.length;
    return { d: usable ? d : { ...DEFAULT_DELIMITERS }, fields: m.segments[0]!.fields, encoding: m.encoding, original: m };
  }
  const header = options.raw ? scanRawHeader(options.raw) : undefined;
  if (!header) return { d: { ...DEFAULT_DELIMITERS }, fields: [], encoding: 'latin1' };
  const chars = header.fields[2] ?? '';
  const all = [header.fields[1]!, ...chars];
  const sane = chars.length >= 4 && chars.length <= 5 && !/[A-Za-z0-9\s]/.test(all.join('')) && new Set(all).size === all.length;
  if (!sane) return { d: { ...DEFAULT_DELIMITERS }, fields: [], encoding: 'latin1' };
  const d: Hl7Delimiters = { field: all[0]!, component: chars[0]!, repetition: chars[1]!, escape: chars[2]!, subcomponent: chars[3]! };
  if (chars.length === 5) d.truncation = chars[4];
  const charset = rawCharset(header) === '' ? undefined : encodingForCharset(rawCharset(header));
  const encoding = charset?.ok ? charset.encoding : 'latin1';
  // The raw header was read as latin1 to find the delimiters; read it again in its own charset.
  const fields = header.fields.map((v) => (/[\u0000-\u001f\u007f]/.test(v) ? '' : decodeBytes(Buffer.from(v, 'latin1'), encoding).text));
  return { d, fields, encoding };
}

/** Compares a version id (`2.3.1`) with a minimum; unreadable versions count as recent. */
export function versionAtLeast(version: string, min: number[]): boolean {
  const parts = version.trim().split('.').map(Number);
  if (parts.some(Number.isNaN)) return true;
  for (let i = 0; i < min.length; i++) {
    const v = parts[i] ?? 0;
    if (v !== min[i]) return v > min[i]!;
  }
  return true;
}

/** An HL7 timestamp in UTC to the second: `20261121140502+0000`. */
export function hl7Timestamp(date: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(date.getUTCFullYear(), 4)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}+0000`;
}

function trimEnd(parts: string[]): string[] {
  let end = parts.length;
  while (end > 0 && parts[end - 1] === '') end--;
  return parts.slice(0, end);
}
