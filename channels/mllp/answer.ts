import type { Diagnostic } from '../../lib/errors.js';
import type { ParseOutcome } from '../../parsers/types.js';
import type { IngestResult, SourceContext } from '../types.js';
import { ackCode, ackModeOf, ackWanted, buildAck, hl7v2, parseHl7 } from './hl7.js';
import type { AckCode, AckMode, Hl7Message } from './hl7.js';

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
  const { message, diagnostics } = safeParse(raw, deps);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const mode: AckMode = message ? ackModeOf(message) : { mode: 'original' };
  const header = message ? hl7v2.header(message) : {};
  const ids = { controlId: header.controlId, sender: header.sender, messageType: header.messageType, origin: deps.origin };
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
  if (result.duplicate) deps.ctx.log.debug({ messageId: result.messageId, original: result.originalMessageId }, 'mllp duplicate answered again');
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
