import type { Diagnostic } from '../../lib/errors.js';
import type { IngestResult, SourceContext } from '../types.js';
import { ackModeOf, buildAck, hl7v2, parseHl7 } from './hl7.js';
import type { AckCode, Hl7Message } from './hl7.js';

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

/** MSH fields whose errors make the whole message unreadable or unsupported: reject (AR/CR). */
const HEADER_FIELDS = new Set([1, 2, 9, 12]);

/** True when a finding is about the envelope (type, version, unreadable MSH) rather than content. */
export function isRejection(d: Diagnostic): boolean {
  const loc = d.location;
  if (!loc?.segment) return true;
  return loc.segment === 'MSH' && (loc.field === undefined || HEADER_FIELDS.has(loc.field));
}

type Mode = { enhanced: boolean; accept: 'AL' | 'NE' | 'ER' | 'SU' };

function modeOf(message: Hl7Message | undefined): Mode {
  if (!message) return { enhanced: false, accept: 'AL' };
  const m = ackModeOf(message);
  return { enhanced: m.mode === 'enhanced', accept: m.accept ?? 'AL' };
}

/** The code to send: original (AA/AE/AR) or enhanced (CA/CE/CR). */
function codeFor(mode: Mode, outcome: 'ok' | 'error' | 'reject'): AckCode {
  if (mode.enhanced) return outcome === 'ok' ? 'CA' : outcome === 'error' ? 'CE' : 'CR';
  return outcome === 'ok' ? 'AA' : outcome === 'error' ? 'AE' : 'AR';
}

/** Whether MSH-15 wants an accept acknowledgment for this outcome (always true in original mode). */
function wanted(mode: Mode, positive: boolean): boolean {
  if (!mode.enhanced) return true;
  switch (mode.accept) {
    case 'NE':
      return false;
    case 'ER':
      return !positive;
    case 'SU':
      return positive;
    default:
      return true;
  }
}

/**
 * Parses one frame, stores it (always: raw is sacred, malformed ones as rejected) and builds the
 * answer. Never resolves with a positive code unless `ctx.ingest` resolved; never rejects.
 */
export async function answerFrame(raw: Buffer, deps: AnswerDeps): Promise<FrameAnswer> {
  const { message, diagnostics } = parseHl7(raw, { fallbackEncoding: deps.encoding });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const mode = modeOf(message);
  const header = message ? hl7v2.header(message) : {};
  const ids = { controlId: header.controlId, sender: header.sender, messageType: header.messageType, origin: deps.origin };
  const malformed = !message || errors.length > 0;
  const build = (code: AckCode, extra: { errors?: Diagnostic[]; text?: string } = {}): FrameAnswer => {
    const ack = wanted(mode, code === 'AA' || code === 'CA')
      ? buildAck({ original: message, raw, code, controlId: deps.nextControlId(), ...extra })
      : undefined;
    return { code, ack };
  };

  let result: IngestResult;
  try {
    result = await deps.ctx.ingest(malformed ? { raw, ...ids, rejected: { diagnostics: errors.length ? errors : diagnostics } } : { raw, ...ids });
  } catch (err) {
    deps.ctx.log.error({ controlId: header.controlId, code: (err as { code?: string }).code }, 'message could not be stored');
    return build(codeFor(mode, 'reject'), { text: 'message was not stored; send it again later' });
  }
  if (malformed) {
    const outcome = !message || errors.some(isRejection) ? 'reject' : 'error';
    return { ...build(codeFor(mode, outcome), { errors }), messageId: result.messageId };
  }
  return { ...build(codeFor(mode, 'ok')), messageId: result.messageId };
}

/** The answer to a frame refused for its size: AR (or CR) naming the size and the limit, not stored. */
export function answerOversized(head: Buffer, size: number, limit: number, deps: AnswerDeps): FrameAnswer {
  const { message } = parseHl7(head, { fallbackEncoding: deps.encoding });
  const mode = modeOf(message);
  const code = codeFor(mode, 'reject');
  const text = `message of ${size} bytes exceeds the limit of ${limit} bytes (maxMessageBytes); not stored`;
  const errors: Diagnostic[] = [{ severity: 'error', code: 'mllp-frame-too-large', message: text }];
  const ack = wanted(mode, false)
    ? buildAck({ original: message, raw: head, code, errors, text, controlId: deps.nextControlId() })
    : undefined;
  return { code, ack };
}
