import type { Diagnostic } from '../../lib/errors.js';
import type { ParseOutcome } from '../../parsers/types.js';
import type { IngestResult, SourceContext } from '../types.js';
import { ackCode, ackModeOf, ackWanted, buildAck, encodeText, hl7Timestamp, hl7v2, parseBatch, parseHl7, serialize } from './hl7.js';
import type { AckCode, AckMode, Hl7Batch, Hl7Message, Hl7Segment } from './hl7.js';

/**
 * What the listener answers one frame with. `ack` is absent when enhanced mode says no accept
 * acknowledgment is wanted (MSH-15 NE, or ER/SU when the outcome does not match).
 */
export type FrameAnswer = {
  code: AckCode;
  ack?: Buffer;
  /** The stored message, when ingest succeeded. */
  messageId?: string;
};

/** What `answerFrame` needs besides the frame. */
export type AnswerDeps = {
  ctx: SourceContext;
  origin: string;
  encoding: string;
  nextControlId(): string;
};

/** Findings that make the whole message unreadable or unsupported: the answer is AR/CR, not AE/CE. */
const REJECTION_CODES = new Set([
  'empty-input',
  'missing-msh',
  'bad-delimiters',
  'unknown-charset',
  'unsupported-message-type',
  'unsupported-event',
  'unsupported-version',
  'unsupported-processing-id',
]);
/** MSH fields whose errors make the message unreadable or unsupported: encoding characters, type, version. */
const HEADER_FIELDS = new Set([1, 2, 9, 12]);

/** True when a finding is about the envelope (type, version, unreadable MSH) rather than the content. */
export function isRejection(d: Diagnostic): boolean {
  if (REJECTION_CODES.has(d.code)) return true;
  const loc = d.location;
  return loc?.segment === 'MSH' && loc.field !== undefined && HEADER_FIELDS.has(loc.field);
}

type Outcome = 'ok' | 'error' | 'reject';

/** Builds the ACK of an outcome, or nothing when MSH-15 (enhanced mode) does not want one. */
function ackFor(
  mode: AckMode,
  outcome: Outcome,
  args: { original?: Hl7Message; raw: Buffer; controlId: string; errors?: Diagnostic[]; text?: string },
): FrameAnswer {
  const code: AckCode = ackCode(mode.mode, outcome);
  const ack = ackWanted(mode.accept, outcome === 'ok') ? buildAck({ ...args, code }) : undefined;
  return { code, ack };
}

/**
 * Parses one frame, stores it (always: raw is sacred, malformed ones as rejected) and builds the
 * answer. Never resolves with a positive code unless `ctx.ingest` resolved; never rejects.
 */
export async function answerFrame(raw: Buffer, deps: AnswerDeps): Promise<FrameAnswer> {
  const arrivedAt = performance.now();
  const parsed = safeParse(raw, deps);
  if (parsed.diagnostics.some((d) => d.code === 'batch-input')) return answerBatch(raw, deps);
  return answerParsed(raw, parsed, deps, arrivedAt);
}

/** Stores one parsed message and builds its answer (see `answerFrame`). */
async function answerParsed(
  raw: Buffer,
  { message, diagnostics }: ParseOutcome<Hl7Message>,
  deps: AnswerDeps,
  arrivedAt?: number,
): Promise<FrameAnswer> {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const mode: AckMode = message ? ackModeOf(message) : { mode: 'original' };
  const header = message ? hl7v2.header(message) : {};
  const ids = { controlId: header.controlId, sender: header.sender, messageType: header.messageType, origin: deps.origin, arrivedAt };
  const malformed = !message || errors.length > 0;
  const args = { original: message, raw, controlId: '' };

  let result: IngestResult;
  try {
    result = await deps.ctx.ingest(malformed ? { raw, ...ids, rejected: { diagnostics: errors } } : { raw, ...ids });
  } catch (err) {
    deps.ctx.log.error({ controlId: header.controlId, code: errorCode(err) }, 'mllp message could not be stored');
    const text = 'message was not stored; send it again later';
    return ackFor(mode, 'reject', { ...args, controlId: deps.nextControlId(), text });
  }
  const outcome: Outcome = !malformed ? 'ok' : !message || errors.some(isRejection) ? 'reject' : 'error';
  if (result.duplicate)
    deps.ctx.log.debug({ messageId: result.messageId, original: result.originalMessageId }, 'mllp duplicate answered again');
  return { ...ackFor(mode, outcome, { ...args, controlId: deps.nextControlId(), errors }), messageId: result.messageId };
}

/** The answer to a frame refused for its size: AR (or CR) naming the size and the limit; not stored. */
export function answerOversized(head: Buffer, size: number, limit: number, deps: AnswerDeps): FrameAnswer {
  const { message } = safeParse(head, deps);
  const mode: AckMode = message ? ackModeOf(message) : { mode: 'original' };
  const text = `message of ${size} bytes exceeds the limit of ${limit} bytes (maxMessageBytes); not stored`;
  const errors: Diagnostic[] = [{ severity: 'error', code: 'mllp-frame-too-large', message: text }];
  return ackFor(mode, 'reject', { original: message, raw: head, controlId: deps.nextControlId(), errors, text });
}

/** The parser promises not to throw; should it anyway, the frame is still stored, as unreadable. */
function safeParse(raw: Buffer, deps: AnswerDeps): ParseOutcome<Hl7Message> {
  try {
    return parseHl7(raw, { fallbackEncoding: deps.encoding });
  } catch (err) {
    deps.ctx.log.error({ code: errorCode(err) }, 'mllp: the HL7 parser failed on a frame');
    return { diagnostics: [{ severity: 'error', code: 'internal-error', message: 'the HL7 parser failed on this message' }] };
  }
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.name : 'unknown';
}

const SEVERITY: Record<AckCode, number> = { AA: 0, CA: 0, AE: 1, CE: 1, AR: 2, CR: 2 };

/**
 * A frame holding a batch (FHS/BHS … BTS/FTS) or several messages (docs/adr/0007): each message is
 * stored and answered on its own, in the mode its own MSH-15/16 asks for, and the answers go back in
 * one frame: a batch of ACKs (BHS … BTS, inside FHS … FTS when the input had them) for a batch, the
 * ACKs one after the other for bare messages. A frame whose batch structure is broken (segments
 * outside any message, headers out of place, no message at all) is stored as rejected and refused
 * as a whole, with an ERR naming the line: accepting the readable part would lose the rest.
 * Each message's answer is recorded here, under its own message id.
 */
async function answerBatch(raw: Buffer, deps: AnswerDeps): Promise<FrameAnswer> {
  const outcome = parseBatch(raw, { fallbackEncoding: deps.encoding });
  const broken = outcome.diagnostics.filter((d) => d.severity === 'error');
  const first = outcome.entries[0]?.message;
  if (!outcome.batch || broken.length > 0 || outcome.entries.length === 0) {
    const errors =
      broken.length > 0
        ? broken
        : [
            {
              severity: 'error' as const,
              code: 'batch-structure' as const,
              message: 'the batch holds no message; expected MSH segments between BHS and BTS',
            },
          ];
    const mode: AckMode = first ? ackModeOf(first) : { mode: 'original' };
    try {
      const result = await deps.ctx.ingest({ raw, origin: deps.origin, rejected: { diagnostics: errors } });
      return { ...ackFor(mode, 'reject', { original: first, raw, controlId: deps.nextControlId(), errors }), messageId: result.messageId };
    } catch {
      return ackFor(mode, 'reject', {
        original: first,
        raw,
        controlId: deps.nextControlId(),
        text: 'message was not stored; send it again later',
      });
    }
  }
  const acks: Buffer[] = [];
  let worst: AckCode = 'AA';
  for (const entry of outcome.entries) {
    const answer = await answerParsed(serialize(entry.message), { message: entry.message, diagnostics: entry.diagnostics }, deps);
    if (SEVERITY[answer.code] > SEVERITY[worst]) worst = answer.code;
    if (answer.ack) acks.push(answer.ack);
    if (answer.messageId) {
      deps.ctx.recordAnswer(
        answer.messageId,
        answer.ack
          ? { kind: 'hl7-ack', code: answer.code, raw: answer.ack, detail: 'in the acknowledgment of a batch' }
          : { kind: 'hl7-ack', code: 'none', detail: 'no accept acknowledgment requested (MSH-15)' },
      );
    }
  }
  if (acks.length === 0) return { code: worst };
  const enveloped = outcome.batch.fileHeader || outcome.batch.batches.some((g) => g.header);
  return { code: worst, ack: enveloped ? batchOfAcks(outcome.batch, acks, deps) : Buffer.concat(acks) };
}

/** The ACKs in a batch envelope that answers the input's: sender and receiver swapped, our control ids, theirs referenced. */
function batchOfAcks(batch: Hl7Batch, acks: Buffer[], deps: AnswerDeps): Buffer {
  const d = batch.delimiters;
  const now = hl7Timestamp(new Date());
  const header = (id: 'FHS' | 'BHS', from: Hl7Segment | undefined): string => {
    const f = from?.fields ?? [];
    const fields = [
      id,
      f[2] ?? `${d.component}${d.repetition}${d.escape}${d.subcomponent}`,
      f[5] ?? '',
      f[6] ?? '',
      f[3] ?? '',
      f[4] ?? '',
      now,
      '',
      '',
      '',
      deps.nextControlId(),
      f[11] ?? '',
    ];
    return `${fields[0]}${d.field}${fields.slice(1).join(d.field)}`;
  };
  const text = (s: string) => encodeText(`${s}\r`, batch.encoding);
  const parts: Buffer[] = [];
  if (batch.fileHeader) parts.push(text(header('FHS', batch.fileHeader)));
  parts.push(text(header('BHS', batch.batches.find((g) => g.header)?.header)), ...acks, text(`BTS${d.field}${acks.length}`));
  if (batch.fileHeader) parts.push(text(`FTS${d.field}1`));
  return Buffer.concat(parts);
}
