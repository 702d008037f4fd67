import type { ErrorCode } from './error-codes.js';

export type { ErrorCode } from './error-codes.js';

/**
 * The error taxonomy. Every error Interlace raises on purpose is one of these classes and carries a
 * stable `code` (kebab-case) registered in lib/error-codes.ts, which says where it is documented; the
 * compiler refuses a code that is not registered. The class decides what happens next:
 *
 * - ConfigError: refused at load; the daemon does not start that channel (or at all, for engine.yaml).
 * - ParseError: the input is malformed; the message is stored and answered negatively, never retried.
 * - MappingError: a transform step failed on a well-formed message; the message goes to the
 *   channel's exception queue with the reason, reprocessable.
 * - TransientDeliveryError: the destination may accept later; the route retries with backoff.
 * - PermanentDeliveryError: retrying cannot help (4xx, rejected ACK); the delivery is dead-lettered.
 * - StoreError: the message store refused a write; nothing is acknowledged positively.
 */
export type ErrorLocation = {
  /** File path (config) or segment id (HL7 `PID`, X12 `BEG`). */
  file?: string;
  line?: number;
  column?: number;
  segment?: string;
  /** 1-based position of the segment in the message or interchange. */
  segmentIndex?: number;
  /** 1-based field / element position. */
  field?: number;
  component?: number;
  subcomponent?: number;
  repetition?: number;
  /** FHIR element path (`ChargeItem.quantity.value`, `Bundle.entry[2].resource.status`) or JSON path. */
  element?: string;
};

export class InterlaceError extends Error {
  readonly code: ErrorCode;
  readonly location?: ErrorLocation;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; location?: ErrorLocation }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.location = options?.location;
    this.name = new.target.name;
  }
}

export class ConfigError extends InterlaceError {}
export class ParseError extends InterlaceError {}
export class MappingError extends InterlaceError {}
export class StoreError extends InterlaceError {}
export class DeliveryError extends InterlaceError {
  /** The destination's own answer, when there was one (HTTP status, HL7 ACK code). */
  readonly response?: { status?: string; body?: string };
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; response?: { status?: string; body?: string } }) {
    super(code, message, options);
    this.response = options?.response;
  }
}
export class TransientDeliveryError extends DeliveryError {}
export class PermanentDeliveryError extends DeliveryError {}

/** One finding of a lenient parse or a config validation: what, where, how bad. */
export type Diagnostic = {
  severity: 'error' | 'warning';
  code: ErrorCode;
  /** Names the position and what was expected; never a value from the input (see lib/phi.ts). */
  message: string;
  location?: ErrorLocation;
  /** The offending value from the input, when it helps: may be PHI, shown only in the message detail view. */
  value?: string;
};
