import type { Family } from '../../lib/metrics.js';
import type { MdnOwed, MdnRecord, X12SentInterchange } from '../../lib/services.js';
import type { Diagnostic } from '../../lib/errors.js';
import type { FileProgress, IngestInput, IngestResult } from '../../channels/types.js';
import type { AttemptOutcome, DeliveryLedger, RoutePayload } from '../../routes/types.js';
import type { X12SentRecord } from '../../routes/destinations/x12/services.js';

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
  error?: MessageError;
  updatedAt: string;
  /** Set once retention purged the content (raw bytes, canonical, payloads, business keys); the metadata stays. */
  contentPurgedAt?: string;
};

/**
 * Why a message is in the exception queue (or was rejected). A rule that failed names itself, the
 * field it checked and the value it found, so an analyst can fix the table or the data.
 */
export type MessageError = { code: string; message: string; diagnostics?: Diagnostic[]; rule?: string; field?: string; value?: string };

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

/**
 * A business key that identifies the business case of a message (the channel's `duplicates.key`,
 * one of its `keys:`): another message of the channel already routed with the same value makes this
 * one a duplicate of it.
 */
export type BusinessKey = { name: string; value: string };

/** What `markRouted` answers when the business key is already another routed message's: this one is now `duplicate`. */
export type BusinessDuplicate = { duplicateOf: string };

export type AttemptRecord = AttemptOutcome;

export type MessageQuery = {
  channel?: string;
  /** Only these channels (a user's scope); an empty list matches nothing. */
  channels?: readonly string[];
  status?: MessageStatus;
  controlId?: string;
  /** Received at or after / before these times (ISO 8601). */
  from?: string;
  to?: string;
  /** A business key the channel declares (`keys:`), matched exactly: `{ name: 'mrn', value: 'MRN0001' }`. */
  key?: { name: string; value: string };
  limit?: number;
  before?: string;
};

export type ChannelCounts = Record<MessageStatus, number> & { queued: number };

/** What a file read in records gave (flat files): kept with the file's messages, listed by `GET /api/files`. */
export type FileSummaryRecord = {
  channel: string;
  file: string;
  sha256: string;
  bytes: number;
  startedAt: string;
  finishedAt: string;
  summary: FileProgress['summary'];
};

/** Messages in a channel's exception queue (status `error`), by channel and reason (the failed rule, or the error code). */
export type ExceptionQuery = { channel?: string; channels?: readonly string[]; reason?: string; limit?: number; before?: string };

/** A message's content size, for size-based retention (MessageStore.contentSizes). */
export type ContentSize = { id: string; receivedAt: number; bytes: number };

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
  getRaw(id: string): Promise<{ channel: string; status: MessageStatus; raw: Buffer; receivedAt: string } | undefined>;
  listMessages(query: MessageQuery): Promise<StoredMessage[]>;
  channelCounts(): Promise<Record<string, ChannelCounts>>;

  /** Processing outcomes. Each resolves false when the message is no longer `received`. */
  markFiltered(id: string, reason: string): Promise<boolean>;
  markError(id: string, error: MessageError): Promise<boolean>;
  /**
   * Stores the canonical documents and creates one delivery per route, atomically with the status
   * change. Deliveries that already exist (a reprocess) are kept as they are, with their payload:
   * a replay never sends the same idempotency key with other content.
   */
  markRouted(id: string, canonical: unknown, deliveries: NewDelivery[], lineage?: Lineage): Promise<StoredDelivery[] | false>;
  /**
   * With a business key: in the same write, when another message of the channel holding the same
   * key value was already routed (routed, delivered or failed), this one becomes `duplicate` of the
   * earliest such message, with no delivery, and the answer names it.
   */
  markRouted(
    id: string,
    canonical: unknown,
    deliveries: NewDelivery[],
    lineage: Lineage | undefined,
    businessKey: BusinessKey | undefined,
  ): Promise<StoredDelivery[] | false | BusinessDuplicate>;
  /**
   * Puts a settled message (`error`, `filtered`, `delivered`) back to `received` for another run
   * through the current configuration; false for any other status.
   */
  resetForReprocess(id: string): Promise<boolean>;

  /** Delivery ledger (implements routes' DeliveryLedger). */
  beginAttempt(deliveryId: string, attempt: number): Promise<boolean>;
  recordAttempt(deliveryId: string, outcome: AttemptRecord): Promise<void>;
  /** An operator retries a dead delivery: it is `retrying` again, and its message `routed`. */
  reopen(deliveryId: string): Promise<void>;
  getDelivery(id: string): Promise<StoredDelivery | undefined>;

  /** Recovery after a crash or a Redis loss: what is not final yet, oldest first. */
  /** Limited to `channels` when given, so work of channels not running never crowds out the rest. */
  pendingMessages(limit: number, olderThanMs?: number, channels?: readonly string[]): Promise<Array<{ id: string; channel: string }>>;
  pendingDeliveries(limit: number, olderThanMs?: number, channels?: readonly string[]): Promise<StoredDelivery[]>;

  /** Stores the summary of a file read in records (rows read, accepted, rejected, first problems). */
  recordFileSummary(record: FileSummaryRecord): Promise<void>;
  /** Summaries of files read in records, newest first. */
  listFileSummaries(query: { channel?: string; limit?: number }): Promise<FileSummaryRecord[]>;
  /** The exception queue: messages in status `error`, newest first; `reason` matches the rule that failed or the error code. */
  listExceptions(query: ExceptionQuery): Promise<StoredMessage[]>;
  /**
   * Settles an exception by decision: a message in `error` becomes `filtered`, its timeline saying
   * who resolved it and why. False for any other status.
   */
  resolveException(id: string, by: string, note: string): Promise<boolean>;
  /** The business keys a channel declares (`keys:`), found in a processed message; replaces earlier ones. */
  recordKeys(messageId: string, channel: string, keys: ReadonlyArray<{ name: string; value: string }>): Promise<void>;
  /** The business keys stored for a message. */
  messageKeys(messageId: string): Promise<Array<{ name: string; value: string }>>;
  /** Messages received per minute and channel since `sinceMs` (the dashboard's last hour). */
  /**
   * Retention: purges the content of up to `limit` messages of `channel` received before `beforeMs`
   * and in a final status (never one still being processed or delivered): raw bytes, canonical
   * document, delivery payloads and business keys. Status, history, deliveries' states and attempts,
   * the acknowledgment ledger, business documents and the audit log stay. Returns how many were purged.
   */
  purgeContent(channel: string, beforeMs: number, limit: number): Promise<number>;
  /**
   * Size-based retention, one bounded read at a time: `channel`'s messages whose content is not
   * purged, newest first, after `after` (the last one of the previous page), at most `limit`, each
   * with the bytes of its raw message and canonical documents.
   */
  contentSizes(channel: string, after: ContentSize | undefined, limit: number): Promise<ContentSize[]>;
  /**
   * Returns free space of the store to the file system, at most `maxBytes` in one transaction
   * (SQLite: `PRAGMA incremental_vacuum` on a file made with `auto_vacuum = INCREMENTAL`). Resolves
   * the bytes returned; 0 when there is nothing to return, on an older SQLite file (made without
   * incremental vacuum), and on PostgreSQL, whose autovacuum does it (docs/alerts.md#retention).
   */
  reclaimSpace(maxBytes: number): Promise<number>;
  arrivalsPerMinute(sinceMs: number): Promise<Array<{ minute: number; channel: string; count: number }>>;

  close(): Promise<void>;
}

/** Who may do what in the admin API (ADR 0013); each role can do what the ones before it can. */
export type AdminRole = 'viewer' | 'analyst' | 'operator' | 'admin';
export const ADMIN_ROLES: readonly AdminRole[] = ['viewer', 'analyst', 'operator', 'admin'];

/** A person who signs in to the console. `channels` is `['*']` for every channel. */
export type AdminUser = {
  name: string;
  role: AdminRole;
  channels: string[];
  /** `scrypt$N$r$p$salt$hash`; absent for a user who signs in elsewhere (OIDC). */
  passwordHash?: string;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
};

/** An API token: a user's (it acts as the user) or a service's (its own role and channels). Only its hash is kept. */
export type ApiToken = {
  id: string;
  name: string;
  owner?: string;
  role?: AdminRole;
  channels?: string[];
  tokenHash: string;
  createdBy: string;
  createdAt: string;
  lastUsedAt?: string;
  revokedAt?: string;
};

export type AdminSession = {
  idHash: string;
  user: string;
  csrf: string;
  address?: string;
  createdAt: string;
  seenAt: string;
  expiresAt: string;
};

/** One line of the audit log: who did what, when, from where, and how it ended (the HTTP status). */
export type AuditEntry = {
  id: number;
  at: string;
  actor: string;
  actorKind: 'user' | 'token' | 'service' | 'anonymous';
  role?: AdminRole;
  action: string;
  target?: string;
  channel?: string;
  address?: string;
  outcome: number;
  detail?: string;
};
export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'> & { at?: string };
export type AuditQuery = { actor?: string; action?: string; from?: string; to?: string; before?: number; limit?: number };

/** What an operator last asked of a channel, and who and when (migration 10, docs/console.md). */
export type ChannelControl = { channel: string; state: 'stopped' | 'running'; by: string; at: string };

/** An alert firing now, as the alert monitor keeps it across restarts (migration 9, docs/alerts.md). */
export type OpenAlert = { key: string; rule: string; when: string; subject: string; summary: string; since: string };

/**
 * Users, API tokens, sessions and the audit log of the admin API (ADR 0013). The audit log only
 * grows: there is no method that changes or removes an entry, and the database refuses it too.
 */
export interface AdminStore {
  putUser(user: Omit<AdminUser, 'createdAt' | 'updatedAt'>): Promise<void>;
  getUser(name: string): Promise<AdminUser | undefined>;
  listUsers(): Promise<AdminUser[]>;
  putToken(token: Omit<ApiToken, 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<void>;
  findToken(tokenHash: string): Promise<ApiToken | undefined>;
  listTokens(): Promise<ApiToken[]>;
  /** False when no such token, or it was revoked already. */
  revokeToken(id: string): Promise<boolean>;
  touchToken(id: string): Promise<void>;
  putSession(session: AdminSession): Promise<void>;
  findSession(idHash: string): Promise<AdminSession | undefined>;
  touchSession(idHash: string, seenAt: number, expiresAt: number): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  /** Removes every session of a user (password changed, user disabled). */
  deleteSessionsOf(user: string): Promise<void>;
  appendAudit(entry: NewAuditEntry): Promise<void>;
  /** Newest first; `before` pages by entry id. */
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;
  /** The alerts an engine process had firing when it last checked (engine/alerts/monitor.ts). */
  openAlerts(engine: string): Promise<OpenAlert[]>;
  /** Records an alert that started firing (again: its summary and since replaced). */
  saveAlert(engine: string, alert: OpenAlert): Promise<void>;
  /** Forgets an alert that recovered. */
  closeAlert(engine: string, key: string): Promise<void>;
  /** What operators last asked of the channels (stop or start), for every engine process sharing the store. */
  channelControls(): Promise<ChannelControl[]>;
  /** Records an operator's stop or start of a channel (replacing the one before). */
  setChannelControl(control: ChannelControl): Promise<void>;
}

/** How many X12 control numbers to take at once, per envelope level. */
export type ControlNumberRequest = { interchanges?: number; groups?: number; sets?: number };

/** Control numbers taken for one partner: each list is in the order to use them; never handed out twice. */
export type ControlNumbers = { interchanges: number[]; groups: number[]; sets: number[] };

/**
 * One interchange we sent a partner: its envelope ids, what it belongs to and what we expect back.
 * Declared by the x12 destination, which writes them; the store keeps them.
 */
export type X12OutboundRecord = X12SentRecord;

/** An acknowledgment received from a partner, and what it answers. */
export type X12ReceivedAck = {
  partner: string;
  /** `mdn`: the transport's receipt (an AS2 MDN) of an interchange we sent, matched by ISA13. */
  kind: 'ta1' | '997' | '999' | '855' | 'mdn';
  /** TA104, AK501/AK901, the 855 BAK02, or the MDN disposition (`processed`). */
  code: string;
  /** Error codes and ids, no payload. */
  detail?: string;
  /** TA1: ISA13. 997/999: GS06 and ST02 (absent: every set of the group). 855: the PO number. */
  answers: { isa13: string } | { gs06: string; st02?: string } | { poNumber: string };
  /** Expectation kinds this acknowledgment satisfies (e.g. `['997','999']`; empty for a TA1 that accepts). */
  satisfies: readonly string[];
  /** The inbound message that carried it. */
  viaMessageId?: string;
};

/** Outcome of matching an acknowledgment: the outbound sets it answered, and expectations now satisfied. */
export type X12AckMatch = {
  matched: Array<{ messageId: string; deliveryId?: string; isa13: string; gs06?: string; st02?: string }>;
  satisfied: number;
};

/** An expectation of an acknowledgment from a partner, open or satisfied. */
export type X12Expectation = {
  id: number;
  partner: string;
  /** `997`, `999`, `855`, `856`. */
  expected: string;
  messageId: string;
  deliveryId?: string;
  isa13: string;
  gs06?: string;
  st02?: string;
  poNumber?: string;
  sentAt: string;
  dueAt: string;
  satisfiedAt?: string;
  satisfiedCode?: string;
};

/**
 * The X12 part of the store: control numbers, the registry of interchanges sent, expectations and
 * their correlation with what comes back. Every method commits (through the store's group commit)
 * before it resolves; each is one transaction, so concurrent callers (in this process or in another
 * sharing the database file) never take the same control number.
 */
export interface X12Ledger {
  /**
   * Takes the next control numbers of a partner. ISA13, GS06 and ST02 each run from 1 to 999999999
   * and then start again at 1; the counters survive restarts.
   */
  nextControlNumbers(partner: string, request: ControlNumberRequest): Promise<ControlNumbers>;
  /** Records an interchange we sent and the acknowledgments we expect for it. */
  recordX12Outbound(record: X12OutboundRecord): Promise<void>;
  /**
   * Matches an acknowledgment to the outbound sets it answers, writes it to the acknowledgment ledger
   * (direction `received`) against each of their messages and deliveries, and marks the expectations
   * it satisfies. No match: nothing is written and `matched` is empty.
   */
  recordX12Ack(ack: X12ReceivedAck): Promise<X12AckMatch>;
  /** The interchange already recorded as sent for a delivery (newest), if any. */
  x12SentFor(deliveryId: string): Promise<X12SentInterchange | undefined>;
  /** Links an inbound document (856, 810…) to the 850 of the same PO number; resolves how many it linked. */
  linkX12Document(link: { partner: string; messageId: string; kind: string; poNumber: string }): Promise<number>;
  /** Expectations past their due time and not satisfied, oldest first. */
  overdueX12(now?: number, limit?: number): Promise<X12Expectation[]>;
  /** Number of overdue expectations per partner. */
  overdueX12Counts(now?: number): Promise<Record<string, number>>;
  /** Expectations of a message (sent 850), open and satisfied. */
  x12Expectations(messageId: string): Promise<X12Expectation[]>;
  /** The newest expectations of a partner (open and satisfied), newest first: what we sent it and what came back. */
  partnerExpectations(partner: string, limit?: number): Promise<X12Expectation[]>;
  /** Whether an interchange (sender ISA06, ISA13) was received since `sinceMs` on any channel. */
  seenInterchange(sender: string, isa13: string, sinceMs: number, exceptMessageId?: string): Promise<boolean>;
}

/**
 * The MDNs our AS2 sender asked for (migration 7): recorded before each send, settled by the verified
 * MDN (synchronous, or asynchronous at our AS2 receiver), overdue when not settled by their deadline.
 */
export interface MdnLedger {
  /** Records an MDN owed for a Message-ID sent; a resend of the same Message-ID counts an attempt and keeps its deadline. */
  expectMdn(owed: MdnOwed): Promise<void>;
  /** The MDN owed for a Message-ID sent to `as2To` (the partner's AS2 name). */
  mdnOwed(as2To: string, as2MessageId: string): Promise<MdnRecord | undefined>;
  /**
   * Writes an MDN received (kind `mdn`, direction `received`) against the message and delivery it answers;
   * with `settle`, also marks the MDN received, unless another one did already (then nothing is written: false).
   */
  settleMdn(result: { id: number; outcome: string; detail: string; settle: boolean }): Promise<boolean>;
  /** MDNs past their deadline and not received, oldest deadline first. */
  overdueMdns(now?: number, limit?: number): Promise<MdnRecord[]>;
  /** Number of overdue MDNs per partner. */
  overdueMdnCounts(now?: number): Promise<Record<string, number>>;
  /** The newest MDNs owed by a partner (received or not). */
  partnerMdns(partner: string, limit?: number): Promise<MdnRecord[]>;
  /** The MDNs owed for what was sent for a message. */
  messageMdns(messageId: string): Promise<MdnRecord[]>;
}

/** The business documents the engine knows (ADR 0012): what each is keyed by in `GET /api/lineage/:kind/:key`. */
export type BusinessDocumentKind =
  'usage' | 'inventory-posting' | 'charge' | 'purchase-order' | 'po-ack' | 'ship-notice' | 'receipt' | 'invoice' | 'claim-payment';

export const BUSINESS_DOCUMENT_KINDS: readonly BusinessDocumentKind[] = [
  'usage',
  'inventory-posting',
  'charge',
  'purchase-order',
  'po-ack',
  'ship-notice',
  'receipt',
  'invoice',
  'claim-payment',
];

/** A business document found in a routed message (its canonical documents) or in what one of its routes sends. */
export type NewBusinessDocument = {
  kind: BusinessDocumentKind;
  /** The business key: usage event id, charge identifier, PO number, ASN shipment id, invoice or receipt number. */
  key: string;
  /** The route whose delivery sends this document (an 850, a ChargeItem); absent for a document received. */
  route?: string;
  /** Trading partner id (X12) or sender. */
  partner?: string;
  facility?: string;
  /** The document's own date (YYYY-MM-DD…): order, invoice, ship, usage date. */
  businessDate?: string;
  /** A compact copy of the document (no patient identifiers). */
  data: unknown;
};

/** "`from` caused or is answered by `to`": usage → charge, usage → purchase-order, purchase-order → ship-notice… */
export type DocumentLink = {
  fromKind: BusinessDocumentKind;
  fromKey: string;
  toKind: BusinessDocumentKind;
  toKey: string;
  relation: string;
};

/** What the processor found in one message, written by `markRouted` in the same transaction. */
export type Lineage = { documents: NewBusinessDocument[]; links: DocumentLink[] };

export type StoredBusinessDocument = Omit<NewBusinessDocument, 'route'> & {
  id: number;
  messageId: string;
  channel: string;
  deliveryId?: string;
  /** State of the delivery that sends it (sent documents only). */
  deliveryState?: DeliveryState;
  recordedAt: string;
};

export type DocumentQuery = {
  kinds?: readonly BusinessDocumentKind[];
  /** Business date range, inclusive, compared as text (`2026-11-01`, `2026-11-30`). */
  from?: string;
  to?: string;
  /** Documents recorded after this id (continuous runs). */
  afterId?: number;
  /** These documents (at most REFS_PER_QUERY ids). */
  ids?: readonly number[];
  /** Business date (as stored text) after this and at most `through`: the deadlines a continuous run sweeps (ADR 0027). */
  after?: string;
  through?: string;
  limit?: number;
};

/** A document's identity alone: what a continuous reconciliation run needs of its seeds. */
export type DocumentKey = { id: number; kind: BusinessDocumentKind; key: string };

/** Case references or document ids one query names at most: SQLite allows 32,766 host parameters. */
export const REFS_PER_QUERY = 4000;

/** A document with its case references (reconcile/cases.ts, ADR 0027). */
export type CaseDocument = StoredBusinessDocument & { refs: string[] };

export type ReconState = 'open' | 'acknowledged' | 'resolved';

/** One reconciliation finding (reconcile/): a set of documents that disagree, or one that is missing or late. */
export type ReconFinding = {
  /** Stable identity: the same disagreement found again updates the same exception. */
  fingerprint: string;
  rule: string;
  ownerRole: string;
  docKind: BusinessDocumentKind;
  docKey: string;
  partner?: string;
  facility?: string;
  businessDate: string;
  line?: string;
  field?: string;
  expected?: string;
  actual?: string;
  detail: string;
};

export type ReconException = ReconFinding & {
  id: number;
  state: ReconState;
  resolution?: string;
  firstSeen: string;
  lastSeen: string;
  updatedAt: string;
};

export type ReconEvent = { at: string; actor: string; action: string; state: ReconState; detail?: string };

export type ReconExceptionQuery = {
  /** Exceptions about this document key (any kind). */
  docKey?: string;
  state?: ReconState;
  rule?: string;
  partner?: string;
  facility?: string;
  ownerRole?: string;
  from?: string;
  to?: string;
  limit?: number;
  afterId?: number;
};

/**
 * A run over a business date range: findings replace what the range held (new ones open, vanished ones
 * resolve). With `scope` (case references, ADR 0027) only the exceptions filed under those references
 * are the run's to resolve: a run over some cases leaves the others alone.
 */
export type ReconRun = { from: string; to: string; findings: ReconFinding[]; actor: string; scope?: readonly string[] };
export type ReconRunResult = { opened: number; reopened: number; updated: number; resolved: number };

/**
 * The business-document index and the reconciliation exceptions (migration 5, ADR 0012). The index is
 * written by `markRouted`; the exceptions by reconciliation runs and by analysts.
 */
export interface DocumentLedger {
  /** Every document with this kind and key (several: a resent invoice, an order sent twice). */
  documentsByKey(kind: BusinessDocumentKind, key: string): Promise<StoredBusinessDocument[]>;
  /** Links that start or end at any of these documents. */
  documentLinks(refs: ReadonlyArray<{ kind: BusinessDocumentKind; key: string }>): Promise<DocumentLink[]>;
  /** Documents by kind and business date, oldest id first (at most `limit`, default 100,000). */
  listDocuments(query: DocumentQuery): Promise<StoredBusinessDocument[]>;
  /** The same listing, id, kind and key only: nothing parsed, no delivery joined. */
  listDocumentKeys(query: DocumentQuery): Promise<DocumentKey[]>;
  /** Applies a run: opens new findings, updates known ones, resolves those of the range (and scope) no longer found. */
  applyReconRun(run: ReconRun): Promise<ReconRunResult>;
  /** Whether any exception not resolved is filed under one of the run's references (`scope`) in its range. */
  openReconExceptionsIn(run: { from: string; to: string; scope: readonly string[] }): Promise<boolean>;
  /** Every document that has any of these case references, with all of its own. */
  caseDocuments(refs: readonly string[]): Promise<CaseDocument[]>;
  /** The lowest document id with case references: documents below it were indexed before references were kept. */
  documentRefsFloor(): Promise<number | undefined>;
  /** Records the case references of documents indexed before references were kept. */
  addDocumentRefs(rows: ReadonlyArray<{ documentId: number; refs: readonly string[] }>): Promise<void>;
  listReconExceptions(query: ReconExceptionQuery): Promise<ReconException[]>;
  getReconException(id: number): Promise<(ReconException & { events: ReconEvent[] }) | undefined>;
  /** An analyst acknowledges or resolves (with a reason) an exception, or reopens it; false when there is none. */
  updateReconException(id: number, change: { state: ReconState; actor: string; reason?: string; ownerRole?: string }): Promise<boolean>;
}

/**
 * The store as the rest of the engine sees it: messages, deliveries, the acknowledgment ledger and
 * the X12 ledger. The runtime, the admin API, the routes and the X12 services use only this; which
 * database is behind it (engine/store/sqlite, engine/store/postgres) is chosen by `openStore`.
 */
export interface Store extends MessageStore, X12Ledger, MdnLedger, DocumentLedger, AdminStore {
  /** Where it is, for logs and the admin API: `sqlite:PATH` or a PostgreSQL URL without its password. */
  readonly location: string;
  /**
   * Whether other engine processes may write it too (PostgreSQL): work found open in it may be in
   * the hands of another process (the recovery sweep asks).
   */
  readonly shared: boolean;
  /** Whether the database answers now (`GET /healthz`). */
  ping(): Promise<boolean>;
  /** The figures of threads the store runs itself (SQLite's writer thread), for `GET /metrics`; none otherwise. */
  threadMetrics?(): Promise<Family[]>;
}
