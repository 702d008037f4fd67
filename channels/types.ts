import type { z } from 'zod';
import type { Logger } from '../lib/log.js';
import type { Diagnostic } from '../lib/errors.js';
import type { FlatSplit, FlatSummary } from '../parsers/flat/stream.js';
import type { HttpAnswerHook } from '../parsers/index.js';
import type { EngineServices, PartnerReceipt } from '../lib/services.js';

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
  /** `performance.now()` when the source had the whole unit (a complete MLLP frame): traces start the unit's `receive` span there. */
  arrivedAt?: number;
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

/**
 * A file being read in records (flat files): how far it is, and at the end what it gave. Reported
 * while the file is read (progress in the admin API) and once done (stored with the file's messages).
 */
export type FileProgress = {
  file: string;
  sha256: string;
  /** Size of the file in bytes. */
  bytes: number;
  startedAt: string;
  finishedAt?: string;
  done: boolean;
  summary: Omit<FlatSummary, 'file' | 'format'>;
};
/** One X12 interchange cut from received bytes: its bytes and, when readable, ISA13 and ISA06. */
export type InterchangeUnit = { raw: Buffer; controlNumber?: string; senderId?: string };

/** The answer the engine built for a stored interchange (TA1/997/999), and the partner it goes to. */
export type InterchangeAnswer = { body: Buffer; partner?: string };

/**
 * X12 interchange handling, given by the engine to any source whose channel parses X12 (parse.format
 * x12, or a source whose definition says its config carries X12). The source stores first, then
 * asks for the answer, then sends it back over its own transport when it has one for answers (a
 * drop folder's `acknowledge.directory`, the SFTP folder the partner reads) or through the partner's
 * transport (`deliver`).
 */
export interface InterchangeService {
  /** Cuts bytes into interchanges; the units put together are exactly the bytes (raw is sacred). */
  split(raw: Buffer): InterchangeUnit[];
  /**
   * For a stored unit: finds the sender's partner, marks a duplicate, correlates acknowledgments and
   * documents that answer what we sent, then builds and records the TA1/997/999 with our persistent
   * control numbers. Undefined when nothing is to be sent (partner profile `send: none`, nothing wrong).
   */
  answer(raw: Buffer, result: IngestResult): Promise<InterchangeAnswer | undefined>;
  /**
   * Sends an answer through the transport of the partner's file (`transport:` block), named `name`.
   * Undefined when the answer has no partner (a sender without a partner file): nothing was sent.
   */
  deliver(answer: InterchangeAnswer, name: string, messageId: string): Promise<PartnerReceipt | undefined>;
}

/** What a source may do with the engine. */
export type SourceContext = {
  channel: string;
  log: Logger;
  /**
   * Stores a received unit durably (group commit with other sources' units) and resolves once it is
   * on disk. Only then may the source acknowledge positively. Rejects with a StoreError when the unit
   * could not be stored: the source must answer negatively.
   */
  ingest(input: IngestInput): Promise<IngestResult>;
  /**
   * The channel's format's own HTTP answers (FHIR: OperationOutcome), when it has them; set from
   * `parse.format`. The HTTP listener uses it instead of its generic JSON answers.
   */
  httpAnswer?: HttpAnswerHook;
  /** Record what the source answered the sender (an HL7 ACK, an HTTP status) in the acknowledgment ledger. */
  recordAnswer(messageId: string, answer: { kind: string; code: string; detail?: string; raw?: Buffer }): void;
  /** Progress and summary of a file read in records; the engine shows it and stores the summary when `done`. */
  fileProgress?(progress: FileProgress): void;
  /**
   * Present when the channel parses flat files (csv, fixed): a file source reads each file as a
   * stream and cuts it into one message per row, group or file as the layout says
   * (channels/file/flat.ts) instead of reading it whole.
   */
  flat?: FlatSplit;
  /** Present when the channel parses X12: split, answer (TA1/997/999) and correlate interchanges. */
  interchanges?: InterchangeService;
  /** The engine services (leases for pollers, partner transports); absent outside the engine. */
  services?: EngineServices;
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
// A registry holds definitions of every config type, so the default parameter is any.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface SourceDefinition<C = any> {
  readonly type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the input type is whatever YAML gave
  readonly schema: z.ZodType<C, any>;
  create(config: C, ctx: SourceContext): Source;
  /**
   * True when this config says the source receives X12 even if the channel's parse format is `auto`
   * (the file source's `split: x12-interchange`): the engine then gives the source `interchanges`.
   */
  carriesX12?(config: C): boolean;
  /**
   * `one-process`: the source polls a place every engine process sees (a folder, an SFTP server), so
   * when several processes share a store it runs on exactly one of them at a time, under a lease
   * (docs/scale-out.md). Absent: it runs on every process (listeners behind a load balancer).
   */
  readonly runsOn?: 'one-process';
}
