import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IngestInput, IngestResult } from '../../../channels/types.js';
import { StoreError } from '../../../lib/errors.js';
import { newId } from '../ids.js';
import { AdminDelegate, AdminTables, exceptionListQuery, MESSAGE_COLUMNS, messageListQuery, type SqlRunner } from '../admin-tables.js';
import { MdnTables } from '../mdn-tables.js';
import type {
  BusinessDuplicate,
  BusinessKey,
  AttemptRecord,
  ChannelCounts,
  ExceptionQuery,
  FileSummaryRecord,
  Lineage,
  MessageError,
  MessageQuery,
  MessageStatus,
  NewDelivery,
  Store,
  StoredDelivery,
  StoredMessage,
  StoredMessageDetail,
} from '../types.js';
import { WriteBatcher } from './batcher.js';
import {
  businessDuplicateDetail,
  emptyCounts,
  rejection,
  toAck,
  toDelivery,
  toMessage,
  type AckRow,
  type DeliveryRow,
  type MessageRow,
} from '../rows.js';
import { migrate } from './schema.js';
import { SqliteX12Ledger } from './x12-ledger.js';
import { SqliteDocuments } from './documents.js';

export type SqliteStoreOptions = {
  /** Database file; `:memory:` for throwaway tests. */
  path: string;
  /** `full`: fsync at every commit (survives power loss). `normal`: survives a process crash only. */
  sync?: 'full' | 'normal';
  /**
   * How long a lazy write (status changes, recorded answers and attempts: nothing a sender waits on)
   * may wait for others to share its commit. Default 10 ms (fewer commits: each rewrites the pages it
   * touched, so fewer, larger ones write far less); 0 commits every turn.
   */
  coalesceMs?: number;
  /**
   * A reading connection beside the store's writer thread (open.ts): opened read-only, so a write
   * sent here instead of to the writer fails loudly; the file must exist and be migrated already.
   */
  readOnly?: boolean;
};

/** Writes nobody waits on to answer a sender: they share the next commit (see WriteBatcher). */
const LAZY = { lazy: true };
const EXCERPT = 2048;

/**
 * The earliest other message of the channel, already routed, holding a business key value
 * (`duplicates.key`). CROSS JOIN makes SQLite read the key's index first
 * (message_keys_value: a handful of rows); with a plain JOIN and no statistics it chose to walk every
 * routed, delivered or failed message by status and probe its keys, a cost that grew with the store
 * and was paid at every routing of a channel with `duplicates.key`, on the acknowledging thread.
 */
export const BUSINESS_ORIGINAL = `SELECT m.id FROM message_keys k CROSS JOIN messages m ON m.id = k.message_id
  WHERE k.channel = ? AND k.name = ? AND k.value = ? AND k.message_id <> ? AND m.status IN ('routed', 'delivered', 'failed')
  ORDER BY m.received_at, m.id LIMIT 1`;

/** chmod, unless the file is gone (or was never there). */
function chmodIfPresent(file: string, mode: number): void {
  try {
    chmodSync(file, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** The embedded message store: one SQLite file in WAL mode, group commit, one writer. */
export class SqliteStore extends AdminDelegate implements Store {
  readonly location: string;
  /** One engine process opens the file (several need PostgreSQL: docs/scale-out.md). */
  readonly shared = false;
  private readonly db: Db;
  private readonly writes: WriteBatcher;
  private readonly ingested: Array<{ id: string; channel: string }> = [];
  private readonly listeners: Array<(m: Array<{ id: string; channel: string }>) => void> = [];
  private readonly st: Record<string, Statement>;
  protected readonly x12: SqliteX12Ledger;
  protected readonly documents: SqliteDocuments;
  protected readonly admin: AdminTables;
  protected readonly mdns: MdnTables;

  constructor(options: SqliteStoreOptions) {
    super();
    this.location = `sqlite:${options.path}`;
    try {
      if (options.readOnly) {
        this.db = new Database(options.path, { readonly: true, fileMustExist: true });
        this.db.pragma('busy_timeout = 5000');
      } else {
        this.db = this.openWriter(options);
      }
    } catch (cause) {
      throw new StoreError('store-open-failed', `cannot open the message store at ${options.path}: ${(cause as Error).message}`, { cause });
    }
    this.st = this.prepare();
    this.writes = new WriteBatcher(
      this.db,
      (committed) => this.emitIngested(committed),
      options.coalesceMs ?? 10,
      options.sync !== 'normal',
    );
    this.x12 = new SqliteX12Ledger(this.db, this.writes);
    this.documents = new SqliteDocuments(this.db, this.writes);
    const sql: SqlRunner = {
      all: async <T>(text: string, args: unknown[] = []) => this.cached(text).all(...args) as T[],
      write: (statements, o) =>
        this.writes.run(() => statements.map(([text, args]) => this.cached(text).run(...args).changes), o?.lazy ? LAZY : {}),
    };
    this.admin = new AdminTables(sql);
    this.mdns = new MdnTables(sql);
  }

  /** The writing connection: the file created 0600 (and its folder 0700), WAL mode, the schema migrated. */
  private openWriter(options: SqliteStoreOptions): Db {
    if (options.path !== ':memory:') {
      mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
      // SQLite gives the WAL and shared-memory files the mode of the database file: create it 0600.
      closeSync(openSync(options.path, 'a', 0o600));
      chmodSync(options.path, 0o600);
      // another process's last connection may delete the WAL and shared-memory files meanwhile
      for (const f of [`${options.path}-wal`, `${options.path}-shm`]) chmodIfPresent(f, 0o600);
    }
    const db = new Database(options.path);
    // a new file returns the space retention frees to the file system (reclaimSpace); it must be
    // set before the first table, and before WAL mode
    if ((db.prepare('SELECT COUNT(*) AS n FROM sqlite_master').get() as { n: number }).n === 0) db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.sync === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('busy_timeout = 5000');
    // statement journals (savepoints of the group commit) in memory, not in temporary files
    db.pragma('temp_store = MEMORY');
    migrate(db);
    return db;
  }

  private readonly statements = new Map<string, Statement>();
  /** A prepared statement per SQL text (the admin tables' statements are few; the cache is bounded anyway). */
  private cached(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) {
      if (this.statements.size >= 256) this.statements.clear();
      this.statements.set(sql, (st = this.db.prepare(sql)));
    }
    return st;
  }

  private prepare(): Record<string, Statement> {
    const p = (sql: string) => this.db.prepare(sql);
    return {
      findDuplicate: p(`SELECT id FROM messages WHERE channel = ? AND control_id = ? AND sender IS ? AND received_at >= ?
                        AND status NOT IN ('duplicate', 'rejected') ORDER BY received_at LIMIT 1`),
      insertMessage:
        p(`INSERT INTO messages (id, channel, received_at, status, control_id, sender, message_type, origin, duplicate_of, raw, error, updated_at)
                        VALUES (@id, @channel, @now, @status, @controlId, @sender, @messageType, @origin, @duplicateOf, @raw, @error, @now)`),
      insertEvent: p('INSERT INTO message_events (message_id, at, status, detail) VALUES (?, ?, ?, ?)'),
      insertAck: p(`INSERT INTO acks (message_id, delivery_id, direction, kind, code, detail, attempt, at)
                    VALUES (@messageId, @deliveryId, @direction, @kind, @code, @detail, @attempt, @at)`),
      status: p('SELECT status FROM messages WHERE id = ?'),
      setStatus: p('UPDATE messages SET status = ?, error = ?, updated_at = ? WHERE id = ?'),
      setRouted: p(`UPDATE messages SET status = 'routed', canonical = ?, error = NULL, updated_at = ? WHERE id = ?`),
      getDelivery: p('SELECT * FROM deliveries WHERE id = ?'),
      insertDelivery:
        p(`INSERT INTO deliveries (id, message_id, channel, route, state, attempts, idempotency_key, correlation_id, payload, created_at, updated_at)
                         VALUES (@id, @messageId, @channel, @route, 'pending', 0, @idempotencyKey, @correlationId, @payload, @now, @now)`),
      updateDelivery:
        p(`UPDATE deliveries SET state = @state, attempts = MAX(attempts, @attempt), last_status = @status, last_error = @error,
                         next_attempt_at = @next, updated_at = @now WHERE id = @id`),
      deliveryStates: p('SELECT state FROM deliveries WHERE message_id = ?'),
      raw: p('SELECT channel, status, raw, received_at FROM messages WHERE id = ?'),
      channelStatus: p('SELECT channel, status FROM messages WHERE id = ?'),
      deliveryState: p('SELECT state FROM deliveries WHERE id = ?'),
    };
  }

  ingest(channel: string, input: IngestInput, duplicateWindowMs: number): Promise<IngestResult> {
    return this.writes
      .run(() => this.insertReceived(channel, input, duplicateWindowMs))
      .catch((cause) => {
        throw new StoreError('store-write-failed', `message from channel ${channel} could not be stored: ${(cause as Error).message}`, {
          cause,
        });
      });
  }

  private insertReceived(channel: string, input: IngestInput, windowMs: number): IngestResult {
    const now = Date.now();
    const id = newId(now);
    let duplicateOf: string | undefined;
    if (!input.rejected && input.controlId && windowMs > 0) {
      const row = this.st.findDuplicate!.get(channel, input.controlId, input.sender ?? null, now - windowMs) as { id: string } | undefined;
      duplicateOf = row?.id;
    }
    const status: MessageStatus = input.rejected ? 'rejected' : duplicateOf ? 'duplicate' : 'received';
    const error = input.rejected ? JSON.stringify(rejection(input.rejected.diagnostics)) : null;
    this.st.insertMessage!.run({
      id,
      channel,
      now,
      status,
      controlId: input.controlId ?? null,
      sender: input.sender ?? null,
      messageType: input.messageType ?? null,
      origin: input.origin ?? null,
      duplicateOf: duplicateOf ?? null,
      raw: input.raw,
      error,
    });
    this.st.insertEvent!.run(id, now, status, duplicateOf ? `duplicate of ${duplicateOf}` : null);
    if (status === 'received') this.ingested.push({ id, channel });
    return duplicateOf ? { messageId: id, duplicate: true, originalMessageId: duplicateOf } : { messageId: id, duplicate: false };
  }

  private emitIngested(committed: boolean): void {
    const batch = this.ingested.splice(0);
    if (!committed || batch.length === 0) return;
    for (const l of this.listeners) l(batch);
  }

  onIngested(listener: (messages: Array<{ id: string; channel: string }>) => void): void {
    this.listeners.push(listener);
  }

  recordAnswer(messageId: string, answer: { kind: string; code: string; detail?: string }): Promise<void> {
    return this.writes.run(() => {
      this.st.insertAck!.run({
        messageId,
        deliveryId: null,
        direction: 'sent',
        kind: answer.kind,
        code: answer.code,
        detail: answer.detail ?? null,
        attempt: null,
        at: Date.now(),
      });
    }, LAZY);
  }

  async getMessage(id: string): Promise<StoredMessageDetail | undefined> {
    const row = this.db.prepare(`SELECT ${MESSAGE_COLUMNS}, raw, canonical FROM messages WHERE id = ?`).get(id) as
      (MessageRow & { raw: Buffer; canonical: string | null }) | undefined;
    if (!row) return undefined;
    const history = (
      this.db.prepare('SELECT at, status, detail FROM message_events WHERE message_id = ? ORDER BY id').all(id) as Array<{
        at: number;
        status: MessageStatus;
        detail: string | null;
      }>
    ).map((e) => ({ at: new Date(e.at).toISOString(), status: e.status, ...(e.detail ? { detail: e.detail } : {}) }));
    const deliveries = (
      this.db.prepare('SELECT * FROM deliveries WHERE message_id = ? ORDER BY created_at, route').all(id) as DeliveryRow[]
    ).map(toDelivery);
    const acks = (this.db.prepare('SELECT * FROM acks WHERE message_id = ? ORDER BY id').all(id) as AckRow[]).map(toAck);
    return { ...toMessage(row), raw: row.raw, canonical: row.canonical ? JSON.parse(row.canonical) : undefined, history, deliveries, acks };
  }

  async getRaw(id: string): Promise<{ channel: string; status: MessageStatus; raw: Buffer; receivedAt: string } | undefined> {
    const row = this.st.raw!.get(id) as { channel: string; status: MessageStatus; raw: Buffer; received_at: number } | undefined;
    return row && { channel: row.channel, status: row.status, raw: row.raw, receivedAt: new Date(row.received_at).toISOString() };
  }

  async listMessages(q: MessageQuery): Promise<StoredMessage[]> {
    const { sql, args } = messageListSql(q);
    return (this.db.prepare(sql).all(...args) as MessageRow[]).map(toMessage);
  }

  async channelCounts(): Promise<Record<string, ChannelCounts>> {
    // kept by triggers (migration 12): counting the messages here would hold the listener thread
    const rows = this.db.prepare('SELECT channel, status, n FROM message_counts WHERE n <> 0').all() as Array<{
      channel: string;
      status: MessageStatus;
      n: number;
    }>;
    const out: Record<string, ChannelCounts> = {};
    for (const r of rows) {
      const c = (out[r.channel] ??= emptyCounts());
      c[r.status] = r.n;
    }
    for (const c of Object.values(out)) c.queued = c.received + c.routed;
    return out;
  }

  markFiltered(id: string, reason: string): Promise<boolean> {
    return this.writes.run(() => this.transition(id, 'filtered', null, reason), LAZY);
  }

  recordFileSummary(r: FileSummaryRecord): Promise<void> {
    return this.writes.run(() => {
      this.db
        .prepare('INSERT INTO file_summaries (channel, file, sha256, bytes, started_at, finished_at, summary) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(r.channel, r.file, r.sha256, r.bytes, Date.parse(r.startedAt), Date.parse(r.finishedAt), JSON.stringify(r.summary));
    }, LAZY);
  }

  async listFileSummaries(q: { channel?: string; limit?: number }): Promise<FileSummaryRecord[]> {
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 1000);
    const rows = this.db
      .prepare(`SELECT * FROM file_summaries ${q.channel ? 'WHERE channel = ?' : ''} ORDER BY id DESC LIMIT ${limit}`)
      .all(...(q.channel ? [q.channel] : [])) as Array<{
      channel: string;
      file: string;
      sha256: string;
      bytes: number;
      started_at: number;
      finished_at: number;
      summary: string;
    }>;
    return rows.map((r) => ({
      channel: r.channel,
      file: r.file,
      sha256: r.sha256,
      bytes: r.bytes,
      startedAt: new Date(r.started_at).toISOString(),
      finishedAt: new Date(r.finished_at).toISOString(),
      summary: JSON.parse(r.summary) as FileSummaryRecord['summary'],
    }));
  }

  async listExceptions(q: ExceptionQuery): Promise<StoredMessage[]> {
    const { sql, args } = exceptionListQuery(q, `(json_extract(error, '$.rule') = ? OR json_extract(error, '$.code') = ?)`);
    return (this.db.prepare(sql).all(...args) as MessageRow[]).map(toMessage);
  }

  markError(id: string, error: MessageError): Promise<boolean> {
    return this.writes.run(() => this.transition(id, 'error', JSON.stringify(error), `${error.code}: ${error.message}`), LAZY);
  }

  private transition(id: string, status: MessageStatus, error: string | null, detail: string | null): boolean {
    const row = this.st.status!.get(id) as { status: MessageStatus } | undefined;
    if (row?.status !== 'received') return false;
    const now = Date.now();
    this.st.setStatus!.run(status, error, now, id);
    this.st.insertEvent!.run(id, now, status, detail);
    return true;
  }

  markRouted(id: string, canonical: unknown, deliveries: NewDelivery[], lineage?: Lineage): Promise<StoredDelivery[] | false>;
  markRouted(
    id: string,
    canonical: unknown,
    deliveries: NewDelivery[],
    lineage: Lineage | undefined,
    businessKey: BusinessKey | undefined,
  ): Promise<StoredDelivery[] | false | BusinessDuplicate>;
  markRouted(
    id: string,
    canonical: unknown,
    deliveries: NewDelivery[],
    lineage?: Lineage,
    businessKey?: BusinessKey,
  ): Promise<StoredDelivery[] | false | BusinessDuplicate> {
    return this.writes.run(() => {
      const row = this.st.channelStatus!.get(id) as { channel: string; status: MessageStatus } | undefined;
      if (row?.status !== 'received') return false;
      const now = Date.now();
      // One writer: no other routing can come between this check and this message's own routing.
      const original = businessKey
        ? (this.cached(BUSINESS_ORIGINAL).get(row.channel, businessKey.name, businessKey.value, id) as { id: string } | undefined)
        : undefined;
      if (original) {
        this.cached(
          `UPDATE messages SET status = 'duplicate', duplicate_of = ?, canonical = ?, error = NULL, updated_at = ? WHERE id = ?`,
        ).run(original.id, canonical === undefined ? null : JSON.stringify(canonical), now, id);
        this.st.insertEvent!.run(id, now, 'duplicate', businessDuplicateDetail(businessKey!, original.id));
        return { duplicateOf: original.id };
      }
      const out: StoredDelivery[] = [];
      for (const d of deliveries) {
        const deliveryId = `${id}:${d.route}`;
        const existing = this.st.getDelivery!.get(deliveryId) as DeliveryRow | undefined;
        // An existing delivery (a reprocess) keeps its payload and state: one idempotency key, one content.
        if (!existing) {
          this.st.insertDelivery!.run({
            id: deliveryId,
            messageId: id,
            channel: row.channel,
            route: d.route,
            idempotencyKey: deliveryId,
            correlationId: id,
            payload: JSON.stringify(d.payload),
            now,
          });
        }
        out.push(toDelivery(this.st.getDelivery!.get(deliveryId) as DeliveryRow));
      }
      this.st.setRouted!.run(canonical === undefined ? null : JSON.stringify(canonical), now, id);
      if (lineage) this.documents.writeLineage(id, row.channel, lineage, now);
      this.st.insertEvent!.run(id, now, 'routed', `${deliveries.length} deliveries`);
      if (deliveries.length === 0 || out.every((d) => d.state === 'delivered')) this.settleMessage(id, now);
      return out;
    }, LAZY);
  }

  resetForReprocess(id: string): Promise<boolean> {
    return this.writes.run(() => {
      const row = this.st.status!.get(id) as { status: MessageStatus } | undefined;
      // Only settled messages run again: one with deliveries in flight (routed) or dead-lettered
      // (failed) has its deliveries retried instead, never re-mapped.
      if (!row || !['error', 'filtered', 'delivered'].includes(row.status)) return false;
      const now = Date.now();
      this.st.setStatus!.run('received', null, now, id);
      this.st.insertEvent!.run(id, now, 'received', `reprocess (was ${row.status})`);
      this.ingested.push({
        id,
        channel: (this.db.prepare('SELECT channel FROM messages WHERE id = ?').get(id) as { channel: string }).channel,
      });
      return true;
    });
  }

  async beginAttempt(deliveryId: string, _attempt?: number): Promise<boolean> {
    const row = this.st.deliveryState!.get(deliveryId) as { state: string } | undefined;
    return row !== undefined && row.state !== 'delivered' && row.state !== 'dead';
  }

  recordAttempt(deliveryId: string, o: AttemptRecord): Promise<void> {
    return this.writes.run(() => {
      const d = this.st.getDelivery!.get(deliveryId) as DeliveryRow | undefined;
      if (!d) return;
      const now = Date.now();
      const error = o.error ? `${o.error.code}: ${o.error.message}` : null;
      this.st.updateDelivery!.run({
        id: deliveryId,
        state: o.state,
        attempt: o.attempt,
        status: o.status ?? null,
        error,
        next: o.nextAttemptAt ?? null,
        now,
      });
      this.st.insertAck!.run({
        messageId: d.message_id,
        deliveryId,
        direction: 'received',
        kind: d.route,
        code: o.status ?? (o.error ? o.error.code : 'none'),
        detail: (o.body ?? error ?? '').slice(0, EXCERPT) || null,
        attempt: o.attempt,
        at: now,
      });
      if (o.state === 'delivered' && o.answered?.length) this.documents.recordBooked(deliveryId, o.answered);
      if (o.state === 'delivered' || o.state === 'dead') this.settleMessage(d.message_id, now);
    }, LAZY);
  }

  reopen(deliveryId: string): Promise<void> {
    return this.writes.run(() => {
      const d = this.st.getDelivery!.get(deliveryId) as DeliveryRow | undefined;
      if (!d || d.state !== 'dead') return;
      const now = Date.now();
      this.db.prepare(`UPDATE deliveries SET state = 'retrying', updated_at = ? WHERE id = ?`).run(now, deliveryId);
      const m = this.st.status!.get(d.message_id) as { status: MessageStatus };
      if (m.status === 'failed') {
        this.st.setStatus!.run('routed', null, now, d.message_id);
        this.st.insertEvent!.run(d.message_id, now, 'routed', `delivery ${d.route} retried by an operator`);
      }
    }, LAZY);
  }

  /** A routed message becomes delivered (or failed) once every delivery is final. */
  private settleMessage(messageId: string, now: number): void {
    const states = (this.st.deliveryStates!.all(messageId) as Array<{ state: string }>).map((r) => r.state);
    if (states.some((s) => s === 'pending' || s === 'retrying')) return;
    const status: MessageStatus = states.includes('dead') ? 'failed' : 'delivered';
    const current = this.st.status!.get(messageId) as { status: MessageStatus };
    if (current.status !== 'routed' && current.status !== 'failed') return;
    if (current.status === status) return;
    this.st.setStatus!.run(status, null, now, messageId);
    this.st.insertEvent!.run(messageId, now, status, null);
  }

  async getDelivery(id: string): Promise<StoredDelivery | undefined> {
    const row = this.st.getDelivery!.get(id) as DeliveryRow | undefined;
    return row && toDelivery(row);
  }

  async pendingMessages(limit: number, olderThanMs = 0, channels?: readonly string[]): Promise<Array<{ id: string; channel: string }>> {
    const [inChannels, args] = channelFilter(channels);
    const sql = `SELECT id, channel FROM messages WHERE status = 'received' AND updated_at <= ?${inChannels} ORDER BY received_at LIMIT ?`;
    return this.db.prepare(sql).all(Date.now() - olderThanMs, ...args, limit) as Array<{ id: string; channel: string }>;
  }

  async pendingDeliveries(limit: number, olderThanMs = 0, channels?: readonly string[]): Promise<StoredDelivery[]> {
    const [inChannels, args] = channelFilter(channels);
    const sql = `SELECT * FROM deliveries WHERE state IN ('pending', 'retrying') AND updated_at <= ?${inChannels} ORDER BY created_at LIMIT ?`;
    return (this.db.prepare(sql).all(Date.now() - olderThanMs, ...args, limit) as DeliveryRow[]).map(toDelivery);
  }

  async reclaimSpace(maxBytes: number): Promise<number> {
    if (this.db.pragma('auto_vacuum', { simple: true }) !== 2) return 0;
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const pages = Math.max(1, Math.floor(maxBytes / pageSize));
    const free = () => this.db.pragma('freelist_count', { simple: true }) as number;
    if (free() === 0) return 0;
    // on the one writer, between group commits, like any write; the WAL checkpoint then shortens the file
    return this.writes.run(() => {
      const before = free();
      this.db.exec(`PRAGMA incremental_vacuum(${pages})`);
      return (before - free()) * pageSize;
    }, {});
  }

  async ping(): Promise<boolean> {
    try {
      return this.db.open && this.db.prepare('SELECT 1 AS one').get() !== undefined;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.writes.flush();
    if (this.db.open) this.db.close();
  }
}

/** The message list's query (listMessages) in SQLite: `+column` keeps a term off its index. */
export function messageListSql(q: MessageQuery): { sql: string; args: unknown[] } {
  return messageListQuery(q, (column) => `+${column}`);
}

/** `AND channel IN (?, …)` and its arguments; nothing when no list is given. */
function channelFilter(channels?: readonly string[]): [string, string[]] {
  if (!channels) return ['', []];
  if (channels.length === 0) return [' AND 0', []];
  return [` AND channel IN (${channels.map(() => '?').join(', ')})`, [...channels]];
}
