import type { z } from 'zod';
import type { Logger } from '../lib/log.js';
import type { Diagnostic } from '../lib/errors.js';

/** What a source hands to the engine for one received unit. */
export type IngestInput = {
  raw: Buffer;
  /** MSH-10, ISA13/ST02, a file name…: what the sender uses to identify the message. */
  controlId?: string;
  /** Who sent it (HL7 MSH-3^MSH-4, X12 ISA06): duplicate detection is per sender. */
  sender?: string;
  messageType?: string;
  /** Peer address or file path, for the audit trail. */
  origin?: string;
  /**
   * Set when the source already rejected the message as malformed: it is stored (raw is sacred) with
   * status `rejected` and these findings, and never processed.
   */
  rejected?: { diagnostics: Diagnostic[] };
};

export type IngestResult = {
  messageId: string;
  /** True when the same control id from the same sender was received within the duplicate window. */
  duplicate: boolean;
  /** For a duplicate: the id of the message first received. */
  originalMessageId?: string;
};

/** What a source may do with the engine. */
export type SourceContext = {
  channel: string;
  /** Already bound to `channel` and `source` (the type); a source adds only its own fields. */
  log: Logger;
  /**
   * Stores a received unit durably (group commit with other sources' units) and resolves once it is
   * on disk. Only then may the source acknowledge positively. Rejects with a StoreError when the unit
   * could not be stored: the source must answer negatively.
   */
  ingest(input: IngestInput): Promise<IngestResult>;
  /** Record what the source answered the sender (an HL7 ACK, an HTTP status) in the acknowledgment ledger. */
  recordAnswer(messageId: string, answer: { kind: string; code: string; detail?: string; raw?: Buffer }): void;
};

/**
 * A running source. `start` binds or begins polling and resolves once it accepts input; `stop` stops
 * accepting, lets in-flight units finish being stored and answered, and resolves after that.
 */
export interface Source {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The address actually bound, once started (port 0 in tests picks a free port). */
  address?(): { host: string; port: number } | undefined;
}

/** One source type: its name in YAML, its config schema, and a factory given only its own config. */
// A registry lists definitions of different config types; `create` takes its own type, so the list's
// element type must accept any of them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export interface SourceDefinition<C = any> {
  readonly type: string;
  readonly schema: z.ZodType<C, unknown>;
  create(config: C, ctx: SourceContext): Source;
}
