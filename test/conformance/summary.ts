import { ackCode, ackModeOf, isHl7Batch, parseBatch, parseHl7, type Hl7Message } from '../../parsers/hl7v2/index.js';
import { encodeText } from '../../parsers/hl7v2/charset.js';

export { isHl7Batch };
import { buildAck, parseX12, readAcks, withSetFindings } from '../../parsers/x12/index.js';
import { answerFrame, isRejection } from '../../channels/mllp/answer.js';
import type { SourceContext } from '../../channels/types.js';

/**
 * One line that says how Interlace answers a corpus file, as an EDI analyst reads it:
 * X12 `TA1 A 000 | 997 A [AA]` per interchange (`||` between interchanges; `no ISA` when none);
 * HL7 the acknowledgment code the MLLP listener sends (`AA`, `CA`, `AR bad-delimiters`), or for a
 * file of several messages `batch AA` (one code per message), or `batch refused AR batch-structure`
 * for a batch refused as a whole.
 */
export function x12Answer(raw: Buffer): string {
  const parsed = parseX12(raw);
  if (!parsed.message) return `no ISA (${[...new Set(parsed.diagnostics.map((d) => d.code))].join(', ')})`;
  return withSetFindings(parsed.message)
    .interchanges.map((ic) => {
      let n = 0;
      const kind = ic.header.version >= '00501' ? '999' : '997';
      const ack = buildAck(ic, { kind, next: () => ++n, ta1: 'always', date: new Date(Date.UTC(2026, 0, 1)) });
      if (!ack) return 'nothing to answer';
      return readAcks(parseX12(ack.bytes).message!)
        .acks.map((a) =>
          a.kind === 'TA1' ? `TA1 ${a.status} ${a.noteCode}` : `${a.kind} ${a.accepted} [${a.sets.map((s) => s.status).join('')}]`,
        )
        .join(' | ');
    })
    .join(' || ');
}

export function hl7Answer(raw: Buffer): string {
  if (isHl7Batch(raw)) {
    const batch = parseBatch(raw);
    const broken = [...new Set(batch.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code))];
    if (broken.length > 0 || batch.entries.length === 0) {
      // A broken batch is refused as a whole, once (docs/adr/0007): in the first message's mode.
      const first = batch.entries[0]?.message;
      const code = ackCode(first ? ackModeOf(first).mode : 'original', 'reject');
      return `batch refused ${code} ${broken.join(', ') || 'batch-structure'}`;
    }
    const codes = batch.entries.map((e) => {
      const errors = e.diagnostics.filter((d) => d.severity === 'error');
      const mode = ackModeOf(e.message);
      return ackCode(mode.mode, errors.length === 0 ? 'ok' : errors.some(isRejection) ? 'reject' : 'error');
    });
    const findings = [...new Set(batch.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code))];
    return `batch ${codes.join(' ') || '(no message)'}${findings.length ? ` ${findings.join(', ')}` : ''}`;
  }
  const parsed = parseHl7(raw);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  const mode = parsed.message ? ackModeOf(parsed.message) : { mode: 'original' as const };
  const outcome = !parsed.message || errors.some(isRejection) ? 'reject' : errors.length > 0 ? 'error' : 'ok';
  const code = ackCode(mode.mode, parsed.message || errors.length > 0 ? outcome : 'reject');
  return errors.length ? `${code} ${[...new Set(errors.map((d) => d.code))].join(', ')}` : code;
}

/** Whether an answer is wholly positive: every status accepted (A), no finding. */
export function positive(answer: string): boolean {
  if (/^no ISA|nothing to answer/.test(answer)) return false;
  if (answer.startsWith('TA1')) {
    return answer.split(/ \|\|? /).every((part) => /^TA1 A 000$/.test(part) || /^(997|999) A \[A*\]$/.test(part));
  }
  return /^(batch )?((AA|CA) ?)+$/.test(answer);
}

/**
 * What node-x12 is given: the bytes as the X12 standard reads them. Its parser refuses a UTF-8 BOM
 * and whitespace between segments, which are not data (docs/x12.md), so both are removed first; the
 * envelope (ISA length, control numbers, counts) is what it is asked about.
 */
export function forNodeX12(raw: Buffer): string {
  let text = raw
    .toString('latin1')
    .replace(/^\xef\xbb\xbf/, '')
    .replace(/^[\s]+/, '');
  if (!text.startsWith('ISA') || text.length < 106) return text;
  const element = text[3]!;
  const terminator = text[105]!;
  const blanks = ['\r', '\n', ' ', '\t'].filter((c) => c !== element && c !== terminator && c !== text[104]);
  if (blanks.length === 0) return text;
  const pattern = new RegExp(
    `(${terminator.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})[${blanks.map((c) => (c === '\t' ? '\\t' : c === '\r' ? '\\r' : c === '\n' ? '\\n' : ' ')).join('')}]+`,
    'g',
  );
  text = text.replace(pattern, '$1');
  return text;
}

/** Our messages of an HL7 file, in order (a batch file or one message). */
export function ourMessages(raw: Buffer): Hl7Message[] {
  if (isHl7Batch(raw)) return parseBatch(raw).entries.map((e) => e.message);
  const m = parseHl7(raw).message;
  return m ? [m] : [];
}

/** Our fields, as the bytes they were (each character of python3-hl7's latin-1 reading is one byte). */
export function ourFields(message: Hl7Message): string[][] {
  return message.segments.map((s) =>
    s.fields.map((f, i) => {
      const header = i === 1 && (s.id === 'MSH' || s.id === 'FHS' || s.id === 'BHS');
      return header ? f : encodeText(f, message.encoding).toString('latin1');
    }),
  );
}

/**
 * What the MLLP listener sends back for a file given to it as one frame, reduced to what an analyst
 * reads: the MSA and ERR segments (one per line, in the ACK's own delimiters; MSH, whose MSH-7 is
 * the time of answering, left out). Empty when no acknowledgment is sent. The listener's own code
 * path (`answerFrame`), with a store that accepts everything.
 */
export async function hl7AckLines(raw: Buffer): Promise<string> {
  let n = 0;
  const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent } as unknown as SourceContext['log'];
  const ctx = {
    channel: 'conformance',
    log: silent,
    ingest: async () => ({ messageId: `m${++n}`, duplicate: false }),
    recordAnswer() {},
  } as unknown as SourceContext;
  const answer = await answerFrame(raw, { ctx, origin: 'conformance', encoding: 'latin1', nextControlId: () => `ACK${++n}` });
  if (!answer.ack) return '';
  return answer.ack
    .toString('latin1')
    .split(/\r/)
    .filter((line) => /^(MSA|ERR)./.test(line))
    .map((line) => `${line}\n`)
    .join('');
}
