import type { Diagnostic } from '../lib/errors.js';
import type { CanonicalDocument } from '../model/index.js';
import type { FlatLayout } from './flat/layout.js';
import type { ErrorCode } from '../lib/error-codes.js';

export type Format = 'hl7v2' | 'x12' | 'json' | 'fhir' | 'csv' | 'fixed';

export type ParseOptions = {
  /** Character set to decode with when the message does not say (HL7 MSH-18 empty). Default latin1 for HL7. */
  fallbackEncoding?: string;
  /** Strict: error-level diagnostics for what lenient mode only warns about. */
  strict?: boolean;
  /** Flat files (csv, fixed): the layout of the file, from the channel's `parse.layout`. */
  layout?: FlatLayout;
};

/**
 * The result of a lenient parse: whatever could be read, plus every finding with its position.
 * `message` is absent only when nothing usable could be read (no MSH, no ISA). A parser never throws
 * on bad input; it reports.
 */
/**
 * What the engine knows beyond the message when it decides what was accepted: the requirements of the
 * sender's partner profile (X12 `require:`), so processing rejects exactly what the acknowledgment did.
 */
export type AcceptContext = {
  requirements?: (senderQualifier: string, senderId: string) => { required: readonly string[]; partner?: string };
};

export type ParseOutcome<M> = { message?: M; diagnostics: Diagnostic[] };

/**
 * A format: detection, lenient parse, the canonical documents of a parsed message, and a JSON tree
 * for display (`interlace parse`) and for mapping rules (`message.*` in expressions).
 */
export interface ParserDefinition<M = unknown> {
  readonly format: Format;
  /** True when the bytes look like this format (checked on the first bytes only). */
  detect(raw: Uint8Array): boolean;
  parse(raw: Buffer, options?: ParseOptions): ParseOutcome<M>;
  /**
   * The canonical documents this message carries (may be empty, e.g. for an ACK). Mapping problems
   * that make a document unusable are diagnostics with severity `error`.
   */
  toCanonical(message: M): { documents: CanonicalDocument[]; diagnostics: Diagnostic[] };
  /** A plain JSON tree of the parsed message. */
  toTree(message: M): unknown;
  /** Ids that identify the message without PHI: control id, sender, type. */
  header(message: M): MessageHeader;
  /**
   * Formats whose acknowledgment can accept part of a message (X12: some sets of an interchange):
   * the accepted part and its findings, so processing handles exactly what was acknowledged. When
   * nothing was accepted, the whole message and its findings come back unchanged.
   */
  accepted?(message: M, diagnostics: Diagnostic[], context?: AcceptContext): { message: M; diagnostics: Diagnostic[] };
  /**
   * How this format answers a sender over HTTP, when it has its own answer (FHIR: an
   * OperationOutcome with the status a FHIR client expects). Absent: the listener's generic JSON.
   */
  readonly httpAnswer?: HttpAnswerHook;
}

/** One HTTP answer: status, media type, body. */
export type HttpAnswer = { status: number; contentType: string; body: string };

/**
 * A format's answers on the HTTP listener. `check` runs on the received body before it is stored:
 * when it answers `ok: false` the body is stored as rejected with those diagnostics (raw is never
 * lost) and the sender gets `answer`. `stored` answers a stored (or duplicate) message; `refused`
 * answers the listener's own refusals (401, 404, 413, 415, 503) in the format's terms.
 */
export interface HttpAnswerHook {
  /** On `ok`, `controlId` is the message's own id (a FHIR Bundle.identifier), used for duplicates when no header gives one. */
  check(
    raw: Buffer,
    mediaType: string | undefined,
  ): { ok: true; controlId?: string } | { ok: false; diagnostics: Diagnostic[]; answer: HttpAnswer };
  stored(result: { messageId: string; duplicate: boolean; originalMessageId?: string }): HttpAnswer;
  refused(status: number, code: ErrorCode, message: string): HttpAnswer;
  /** Loads what `check` needs, so that the first request does not pay for it; called before the listener starts. */
  prepare?(): void;
}

export type MessageHeader = {
  controlId?: string;
  sender?: string;
  receiver?: string;
  messageType?: string;
  version?: string;
};
