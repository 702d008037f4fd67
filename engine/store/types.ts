import type { Diagnostic } from '../../lib/errors.js';
import type { IngestInput, IngestResult } from '../../channels/types.js';
import type { AttemptOutcome, DeliveryLedger, RoutePayload } from '../../routes/types.js';

/**
 * Life of a message. `received` is the only state a source writes; the processor moves it on.
 * Terminal states: every positively acknowledged message ends in one of them, visibly.
 */
export type MessageStatus =
  | 'received' // durable, answered, waiting for processing
  | 'rejected' // malformed on arrival; answered negatively; never processed
  | 'duplicate' // same control id from the same sender within the window; answered, not processed
  | 'filtered' // a rule decided it goes nowhere
  | 'error' // parse or mapping failed: the channel's exception queue, reprocessable
  | 'routed' // deliveries created, not all final yet
  | 'delivered' // every delivery delivered
  | 'failed'; // at least one delivery dead-lettered

export const TERMINAL_STATUSES: readonly MessageStatus[] = ['rejected', 'duplicate', 'filtered', 'error', 'delivered', 'failed'];

export type DeliveryState = 'pending' | 'retrying' | 'delivered' | 'dead';

export type StoredMessage = {
  id: string;
  channel: string;
  receivedAt: string;
  status: MessageStatus;
  controlId?: string;
  sender?: string;
  messageType?: string;
  origin?: string;
  duplicateOf?: string;
  error?: { code: string; message: string; diagnostics?: Diagnostic[] };
  updatedAt: string;
};

export type StoredMessageDetail = StoredMessage & {
  raw: Buffer;
  canonical?: unknown;
  history: Array<{ at: string; status: MessageStatus; detail?: string }>;
  deliveries: StoredDelivery[];
  acks: StoredAck[];
};

export type StoredDelivery = {
  id: string;
  messageId: string;
  channel: string;
  route: string;
  state: DeliveryState;
  attempts: number;
  idempotencyKey: string;
  correlationId: string;
  payload: RoutePayload;
  lastStatus?: string;
  lastError?: string;
  createdAt: string;
  updatedAt: string;
};

/** One acknowledgment: what we answered a sender, or what a destination (or a late ack) answered us. */
export type StoredAck = {
  id: number;
  messageId: string;
  deliveryId?: string;
  direction: 'sent' | 'received';
  /** `hl7-ack`, `http`, `997`, `999`, `ta1`, `855`, `mdn`… */
  kind: string;
  /** `AA`, `200`, `A`, `R`… */
  code: string;
  detail?: string;
  attempt?: number;
  at: string;
};

export type NewDelivery = { route: string; payload: RoutePayload };

export type AttemptRecord = AttemptOutcome;

export type MessageQuery = { channel?: string; status?: MessageStatus; controlId?: string; limit?: number; before?: string };

export type ChannelCounts = Record<MessageStatus, number> & { queued: number };

/**
 * The message store and acknowledgment ledger: the one place that writes messages, deliveries and
 * acknowledgments. Every method that changes state commits before it resolves.
 */
export interface MessageStore extends DeliveryLedger {
  /**
   * Stores received units durably. Calls made in the same tick are committed together (group commit);
   * each promise resolves once its unit is on disk, or rejects with a StoreError.
   */
  ingest(channel: string, input: IngestInput, duplicateWindowMs: number): Promise<IngestResult>;
  /** What we answered the sender (committed with the next group; callers need not wait). */
  recordAnswer(messageId: string, answer: { kind: string; code: string; detail?: string }): Promise<void>;
  /** Subscribe to committed ingests (the dispatcher hands them to the processing queue). */
  onIngested(listener: (messages: Array<{ id: string; channel: string }>) => void): void;

  getMessage(id: string): Promise<StoredMessageDetail | undefined>;
  getRaw(id: string): Promise<{ channel: string; status: MessageStatus; raw: Buffer } | undefined>;
  listMessages(query: MessageQuery): Promise<StoredMessage[]>;
  channelCounts(): Promise<Record<string, ChannelCounts>>;

  /** Processing outcomes. Each resolves false when the message is no longer `received`. */
  markFiltered(id: string, reason: string): Promise<boolean>;
  markError(id: string, error: { code: string; message: string; diagnostics?: Diagnostic[] }): Promise<boolean>;
  /**
   * Stores the canonical documents and creates one delivery per route, atomically with the status
   * change. Deliveries that already exist (a reprocess) and were delivered are kept as they are, with
   * their payload: a replay never sends the same idempotency key with other content.
   */
  markRouted(id: string, canonical: unknown, deliveries: NewDelivery[]): Promise<StoredDelivery[] | false>;
  /** Puts a message back to `received` for another run through the current configuration. */
  resetForReprocess(id: string): Promise<boolean>;

  /** Delivery ledger (implements routes' DeliveryLedger). */
  beginAttempt(deliveryId: string, attempt: number): Promise<boolean>;
  recordAttempt(deliveryId: string, outcome: AttemptRecord): Promise<void>;
  /** An operator retries a dead delivery: it is `retrying` again, and its message `routed`. */
  reopen(deliveryId: string): Promise<void>;
  getDelivery(id: string): Promise<StoredDelivery | undefined>;

  /** Recovery after a crash or a Redis loss: what is not final yet, oldest first. */
  pendingMessages(limit: number, olderThanMs?: number): Promise<Array<{ id: string; channel: string }>>;
  pendingDeliveries(limit: number, olderThanMs?: number): Promise<StoredDelivery[]>;

  close(): Promise<void>;
}
