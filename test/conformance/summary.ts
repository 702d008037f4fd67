import { ackCode, ackModeOf, parseBatch, parseHl7 } from '../../parsers/hl7v2/index.js';
import { buildAck, parseX12, readAcks, withSetFindings } from '../../parsers/x12/index.js';
import { isRejection } from '../../channels/mllp/answer.js';

/**
 * One line that says how Interlace answers a corpus file, as an EDI analyst reads it:
 * X12 `TA1 A 000 | 997 A [AA]` per interchange (`||` between interchanges; `no ISA` when none);
 * HL7 the acknowledgment code the MLLP listener sends (`AA`, `CA`, `AR bad-delimiters`), or for a
 * file of several messages `batch AA` (one code per message) plus the batch findings.
 */
export function x12Answer(raw: Buffer): string {
  const parsed = parseX12(raw);
  if (!parsed.message) return `no ISA (${[...new Set(parsed.diagnostics.map((d) => d.code))].join(', ')})`;
  return withSetFindings(parsed.message).interchanges.map((ic) => {
    let n = 0;
    const kind = ic.header.version >= '00501' ? '999' : '997';
    const ack = buildAck(ic, { kind, next: () => ++n, ta1: 'always', date: new Date(Date.UTC(2026, 0, 1)) });
    if (!ack) return 'nothing to answer';
    return readAcks(parseX12(ack.bytes).message!).acks
      .map((a) => (a.kind === 'TA1' ? `TA1 ${a.status} ${a.noteCode}` : `${a.kind} ${a.accepted} [${a.sets.map((s) => s.status).join('')}]`))
      .join(' | ');
  }).join(' || ');
}

/** True when the text holds several HL7 messages (FHS/BHS first, or more than one MSH). */
export function isHl7Batch(raw: Buffer): boolean {
  const text = raw.toString('latin1');
  return /^(\xef\xbb\xbf)?\s*(FHS|BHS)/.test(text) || (text.match(/(^|[\r\n])MSH/g) ?? []).length > 1;
}

export function hl7Answer(raw: Buffer): string {
  if (isHl7Batch(raw)) {
    const batch = parseBatch(raw);
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
