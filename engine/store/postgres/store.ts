import type { Pool, PoolClient } from 'pg';
import type { IngestInput, IngestResult } from '../../../channels/types.js';
import { StoreError, type Diagnostic } from '../../../lib/errors.js';
import { newId } from '../ids.js';
import { AdminDelegate, AdminTables, exceptionListQuery, MESSAGE_COLUMNS, messageListQuery, type SqlRunner } from '../admin-tables.js';
import { MdnTables } from '../mdn-tables.js';
import { describeLocation } from '../location.js';
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
import type {
  BusinessDuplicate,
  BusinessKey,
  ExceptionQuery,
  FileSummaryRecord,
  AttemptRecord,
  ChannelCounts,
  Lineage,
  MessageQuery,
  MessageStatus,
  NewDelivery,
  Store,
  StoredDelivery,
  StoredMessage,
  StoredMessageDetail,
} from '../types.js';
import { createPool, lockKey, transaction } from './pool.js';
import { migrate } from './schema.js';
import { PostgresX12Ledger } from './x12-ledger.js';
import { PostgresDocuments } from './documents.js';

export type PostgresStoreOptions = { url: string; poolSize?: number };

const EXCERPT = 2048;

/**
 * The shared message store: one PostgreSQL database, any number of engine processes and threads,
 * each with its own pool. Every write is one transaction; what must hold with several writers is
 * held by the database (docs/adr: PostgreSQL store): row locks (`SELECT … FOR UPDATE`) around status
 * changes, `INSERT … ON CONFLICT` for deliveries and control numbers, and a transaction-level
 * advisory lock per (channel, control id, sender) around the duplicate check of an ingest.
 */
export class PostgresStore extends AdminDelegate implements Store {
  readonly location: string;
  /** Several engine processes may share the database. */
  readonly shared = true;
  private readonly ingested: Array<{ id: string; channel: string }> = [];
  private readonly listeners: Array<(m: Array<{ id: string; channel: string }>) => void> = [];
  private emitScheduled = false;
  protected readonly x12: PostgresX12Ledger;
  protected readonly documents: PostgresDocuments;
  protected readonly admin: AdminTables;
  protected readonly mdns: MdnTables;

  private constructor(
    private readonly pool: Pool,
    url: string,
  ) {
    super();
    this.location = describeLocation({ kind: 'postgres', url });
    this.x12 = new PostgresX12Ledger(pool);
    this.documents = new PostgresDocuments(pool);
    const sql: SqlRunner = {
      all: async <T>(text: string, args: unknown[] = []) => (await pool.query(numbered(text), args)).rows as T[],
      write: (statements) =>
        transaction(pool, async (c) => {
          const changed: number[] = [];
          for (const [text, args] of statements) changed.push((await c.query(numbered(text), args)).rowCount ?? 0);
          return changed;
        }),
    };
    this.admin = new AdminTables(sql);
    this.mdns = new MdnTables(sql);
  }

  /** Connects and migrates the schema (safe when several processes start at once). */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const pool = createPool(options.url, options.poolSize);
    const store = new PostgresStore(pool, options.url);
    try {
      await migrate(pool);
    } catch (cause) {
      await pool.end().catch(() => {});
      throw new StoreError('store-open-failed', `cannot open the message store at ${store.location}: ${(cause as Error).message}`, {
        cause,
      });
    }
    return store;
  }

  async ingest(channel: string, input: IngestInput, duplicateWindowMs: number): Promise<IngestResult> {
    try {
      const result = await transaction(this.pool, (c) => this.insertReceived(c, channel, input, duplicateWindowMs));
      if (!result.duplicate && !input.rejected) this.emitLater({ id: result.messageId, channel });
      return result;
    } catch (cause) {
      throw new StoreError('store-write-failed', `message from channel ${channel} could not be stored: ${(cause as Error).message}`, {
        cause,
      });
    }
  }

  private async insertReceived(c: PoolClient, channel: string, input: IngestInput, windowMs: number): Promise<IngestResult> {
    let duplicateOf: string | undefined;
    if (!input.rejected && input.controlId && windowMs > 0) {
      // Two processes receiving the same control id at once: the second waits here until the first
      // commits, then sees its row.
      await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(channel, input.controlId, input.sender)]);
      const { rows } = await c.query<{ id: string }>(
        `SELECT id FROM messages WHERE channel = $1 AND control_id = $2 AND sender IS NOT DISTINCT FROM $3 AND received_at >= $4
         AND status NOT IN ('duplicate', 'rejected') ORDER BY received_at, id LIMIT 1`,
        [channel, input.controlId, input.sender ?? null, Date.now() - windowMs],
      );
      duplicateOf = rows[0]?.id;
    }
    const now = Date.now();
    const id = newId(now);
    const status: MessageStatus = input.rejected ? 'rejected' : duplicateOf ? 'duplicate' : 'received';
    const error = input.rejected ? JSON.stringify(rejection(input.rejected.diagnostics)) : null;
    await c.query(
      `INSERT INTO messages (id, channel, received_at, status, control_id, sender, message_type, origin, duplicate_of, raw, error, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $3)`,
      [
        id,
        channel,
        now,
        status,
        input.controlId ?? null,
        input.sender ?? null,
        input.messageType ?? null,
        input.origin ?? null,
        duplicateOf ?? null,
        input.raw,
        error,
      ],
    );
    await event(c, id, now, status, duplicateOf ? `duplicate of ${duplicateOf}` : null);
    return duplicateOf ? { messageId: id, duplicate: true, originalMessageId: duplicateOf } : { messageId: id, duplicate: false };
  }

  /** Committed ingests of this turn reach the listeners together, after their commits. */
  private emitLater(m: { id: string; channel: string }): void {
    this.ingested.push(m);
    if (this.emitScheduled) return;
    this.emitScheduled = true;
    setImmediate(() => {
      this.emitScheduled = false;
      const batch = this.ingested.splice(0);
      if (batch.length) for (const l of this.listeners) l(batch);
    });
  }

  onIngested(listener: (messages: Array<{ id: string; channel: string }>) => void): void {
    this.listeners.push(listener);
  }

  async recordAnswer(messageId: string, answer: { kind: string; code: string; detail?: string }): Promise<void> {
    await this.pool.query(
      `INSERT INTO acks (message_id, delivery_id, direction, kind, code, detail, attempt, at) VALUES ($1, NULL, 'sent', $2, $3, $4, NULL, $5)`,
      [messageId, answer.kind, answer.code, answer.detail ?? null, Date.now()],
    );
  }

  async getMessage(id: string): Promise<StoredMessageDetail | undefined> {
    const { rows } = await this.pool.query<MessageRow & { raw: Buffer; canonical: string | null }>(
      `SELECT ${MESSAGE_COLUMNS}, raw, canonical FROM messages WHERE id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) return undefined;
    const [events, deliveries, acks] = await Promise.all([
      this.pool.query<{ at: number; status: MessageStatus; detail: string | null }>(
        'SELECT at, status, detail FROM message_events WHERE message_id = $1 ORDER BY id',
        [id],
      ),
      this.pool.query<DeliveryRow>('SELECT * FROM deliveries WHERE message_id = $1 ORDER BY created_at, route', [id]),
      this.pool.query<AckRow>('SELECT * FROM acks WHERE message_id = $1 ORDER BY id', [id]),
    ]);
    const history = events.rows.map((e) => ({
      at: new Date(e.at).toISOString(),
      status: e.status,
      ...(e.detail ? { detail: e.detail } : {}),
    }));
    return {
      ...toMessage(row),
      raw: row.raw,
      canonical: row.canonical ? JSON.parse(row.canonical) : undefined,
      history,
      deliveries: deliveries.rows.map(toDelivery),
      acks: acks.rows.map(toAck),
    };
  }

  async getRaw(id: string): Promise<{ channel: string; status: MessageStatus; raw: Buffer; receivedAt: string } | undefined> {
    const { rows } = await this.pool.query<{ channel: string; status: MessageStatus; raw: Buffer; received_at: number }>(
      'SELECT channel, status, raw, received_at FROM messages WHERE id = $1',
      [id],
    );
    const row = rows[0];
    return row && { channel: row.channel, status: row.status, raw: row.raw, receivedAt: new Date(row.received_at).toISOString() };
  }

  async listMessages(q: MessageQuery): Promise<StoredMessage[]> {
    const { sql, args } = messageListSql(q);
    return (await this.pool.query<MessageRow>(sql, args)).rows.map(toMessage);
  }

  async recordFileSummary(r: FileSummaryRecord): Promise<void> {
    await this.pool.query(
      'INSERT INTO file_summaries (channel, file, sha256, bytes, started_at, finished_at, summary) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [r.channel, r.file, r.sha256, r.bytes, Date.parse(r.startedAt), Date.parse(r.finishedAt), JSON.stringify(r.summary)],
    );
  }

  async listFileSummaries(q: { channel?: string; limit?: number }): Promise<FileSummaryRecord[]> {
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 1000);
    const { rows } = await this.pool.query<{
      channel: string;
      file: string;
      sha256: string;
      bytes: string;
      started_at: string;
      finished_at: string;
      summary: string;
    }>(
      `SELECT * FROM file_summaries ${q.channel ? 'WHERE channel = $1' : ''} ORDER BY id DESC LIMIT ${limit}`,
      q.channel ? [q.channel] : [],
    );
    return rows.map((r) => ({
      channel: r.channel,
      file: r.file,
      sha256: r.sha256,
      bytes: Number(r.bytes),
      startedAt: new Date(Number(r.started_at)).toISOString(),
      finishedAt: new Date(Number(r.finished_at)).toISOString(),
      summary: JSON.parse(r.summary) as FileSummaryRecord['summary'],
    }));
  }

  async listExceptions(q: ExceptionQuery): Promise<StoredMessage[]> {
    const { sql, args } = exceptionListQuery(q, `(error::jsonb ->> 'rule' = ? OR error::jsonb ->> 'code' = ?)`);
    return (await this.pool.query<MessageRow>(numbered(sql), args)).rows.map(toMessage);
  }

  async channelCounts(): Promise<Record<string, ChannelCounts>> {
    const { rows } = await this.pool.query<{ channel: string; status: MessageStatus; n: number }>(
      'SELECT channel, status, COUNT(*) AS n FROM messages GROUP BY channel, status',
    );
    const out: Record<string, ChannelCounts> = {};
    for (const r of rows) (out[r.channel] ??= emptyCounts())[r.status] = r.n;
    for (const c of Object.values(out)) c.queued = c.received + c.routed;
    return out;
  }

  markFiltered(id: string, reason: string): Promise<boolean> {
    return this.transition(id, 'filtered', null, reason);
  }

  markError(id: string, error: { code: string; message: string; diagnostics?: Diagnostic[] }): Promise<boolean> {
    return this.transition(id, 'error', JSON.stringify(error), `${error.code}: ${error.message}`);
  }

  /** `received` → a final processing status; one conditional UPDATE, so only one writer wins. */
  private transition(id: string, status: MessageStatus, error: string | null, detail: string | null): Promise<boolean> {
    return transaction(this.pool, async (c) => {
      const now = Date.now();
      const { rowCount } = await c.query(
        `UPDATE messages SET status = $1, error = $2, updated_at = $3 WHERE id = $4 AND status = 'received'`,
        [status, error, now, id],
      );
      if (!rowCount) return false;
      await event(c, id, now, status, detail);
      return true;
    });
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
    return transaction(this.pool, async (c) => {
      const { rows } = await c.query<{ channel: string; status: MessageStatus }>(
        'SELECT channel, status FROM messages WHERE id = $1 FOR UPDATE',
        [id],
      );
      const row = rows[0];
      if (row?.status !== 'received') return false;
      const now = Date.now();
      if (businessKey) {
        // Several processes may route two messages of one business case at once: one at a time per key value.
        await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [
          lockKey('business-key', row.channel, businessKey.name, businessKey.value),
        ]);
        const original = (await c.query<{ id: string }>(BUSINESS_ORIGINAL, [row.channel, businessKey.name, businessKey.value, id])).rows[0];
        if (original) {
          await c.query(
            `UPDATE messages SET status = 'duplicate', duplicate_of = $1, canonical = $2, error = NULL, updated_at = $3 WHERE id = $4`,
            [original.id, canonical === undefined ? null : JSON.stringify(canonical), now, id],
          );
          await event(c, id, now, 'duplicate', businessDuplicateDetail(businessKey, original.id));
          return { duplicateOf: original.id };
        }
      }
      const out: StoredDelivery[] = [];
      for (const d of deliveries) {
        const deliveryId = `${id}:${d.route}`;
        // An existing delivery (a reprocess) keeps its payload and state: one idempotency key, one content.
        await c.query(
          `INSERT INTO deliveries (id, message_id, channel, route, state, attempts, idempotency_key, correlation_id, payload, created_at, updated_at)
           VALUES ($1, $2, $3, $4, 'pending', 0, $1, $2, $5, $6, $6) ON CONFLICT (id) DO NOTHING`,
          [deliveryId, id, row.channel, d.route, JSON.stringify(d.payload), now],
        );
        out.push(toDelivery((await c.query<DeliveryRow>('SELECT * FROM deliveries WHERE id = $1', [deliveryId])).rows[0]!));
      }
      await c.query(`UPDATE messages SET status = 'routed', canonical = $1, error = NULL, updated_at = $2 WHERE id = $3`, [
        canonical === undefined ? null : JSON.stringify(canonical),
        now,
        id,
      ]);
      if (lineage) await PostgresDocuments.writeLineage(c, id, row.channel, lineage, now);
      await event(c, id, now, 'routed', `${deliveries.length} deliveries`);
      if (deliveries.length === 0 || out.every((d) => d.state === 'delivered')) await settleMessage(c, id, now);
      return out;
    });
  }

  resetForReprocess(id: string): Promise<boolean> {
    return transaction(this.pool, async (c) => {
      const { rows } = await c.query<{ status: MessageStatus; channel: string }>(
        'SELECT status, channel FROM messages WHERE id = $1 FOR UPDATE',
        [id],
      );
      const row = rows[0];
      // Only settled messages run again: one with deliveries in flight or dead-lettered has them retried instead.
      if (!row || !['error', 'filtered', 'delivered'].includes(row.status)) return false;
      const now = Date.now();
      await c.query(`UPDATE messages SET status = 'received', error = NULL, updated_at = $1 WHERE id = $2`, [now, id]);
      await event(c, id, now, 'received', `reprocess (was ${row.status})`);
      return true;
    }).then((ok) => {
      if (ok)
        void this.pool.query<{ channel: string }>('SELECT channel FROM messages WHERE id = $1', [id]).then(
          ({ rows }) => rows[0] && this.emitLater({ id, channel: rows[0].channel }),
          () => {},
        );
      return ok;
    });
  }

  async beginAttempt(deliveryId: string, _attempt?: number): Promise<boolean> {
    const { rows } = await this.pool.query<{ state: string }>('SELECT state FROM deliveries WHERE id = $1', [deliveryId]);
    const state = rows[0]?.state;
    return state !== undefined && state !== 'delivered' && state !== 'dead';
  }

  /**
   * Records one attempt. The message row is locked first, so two processes finishing two routes of
   * one message at once settle it in turn, and the second sees the first's outcome. A delivery
   * already delivered stays delivered (a late outcome of a duplicate attempt is kept in the ledger only).
   */
  recordAttempt(deliveryId: string, o: AttemptRecord): Promise<void> {
    return transaction(this.pool, async (c) => {
      const found = await c.query<{ message_id: string; route: string }>('SELECT message_id, route FROM deliveries WHERE id = $1', [
        deliveryId,
      ]);
      const d = found.rows[0];
      if (!d) return;
      await c.query('SELECT 1 FROM messages WHERE id = $1 FOR UPDATE', [d.message_id]);
      const now = Date.now();
      const error = o.error ? `${o.error.code}: ${o.error.message}` : null;
      await c.query(
        `UPDATE deliveries SET state = CASE WHEN state = 'delivered' THEN state ELSE $2 END, attempts = GREATEST(attempts, $3), last_status = $4, last_error = $5,
         next_attempt_at = $6, updated_at = $7 WHERE id = $1`,
        [deliveryId, o.state, o.attempt, o.status ?? null, error, o.nextAttemptAt ?? null, now],
      );
      await c.query(
        `INSERT INTO acks (message_id, delivery_id, direction, kind, code, detail, attempt, at) VALUES ($1, $2, 'received', $3, $4, $5, $6, $7)`,
        [
          d.message_id,
          deliveryId,
          d.route,
          o.status ?? (o.error ? o.error.code : 'none'),
          (o.body ?? error ?? '').slice(0, EXCERPT) || null,
          o.attempt,
          now,
        ],
      );
      if (o.state === 'delivered' && o.answered?.length) await PostgresDocuments.recordBooked(c, deliveryId, o.answered);
      if (o.state === 'delivered' || o.state === 'dead') await settleMessage(c, d.message_id, now);
    });
  }

  reopen(deliveryId: string): Promise<void> {
    return transaction(this.pool, async (c) => {
      const found = await c.query<{ message_id: string; route: string }>('SELECT message_id, route FROM deliveries WHERE id = $1', [
        deliveryId,
      ]);
      const d = found.rows[0];
      if (!d) return;
      const m = await c.query<{ status: MessageStatus }>('SELECT status FROM messages WHERE id = $1 FOR UPDATE', [d.message_id]);
      const now = Date.now();
      const { rowCount } = await c.query(`UPDATE deliveries SET state = 'retrying', updated_at = $1 WHERE id = $2 AND state = 'dead'`, [
        now,
        deliveryId,
      ]);
      if (!rowCount || m.rows[0]?.status !== 'failed') return;
      await c.query(`UPDATE messages SET status = 'routed', error = NULL, updated_at = $1 WHERE id = $2`, [now, d.message_id]);
      await event(c, d.message_id, now, 'routed', `delivery ${d.route} retried by an operator`);
    });
  }

  async getDelivery(id: string): Promise<StoredDelivery | undefined> {
    const row = (await this.pool.query<DeliveryRow>('SELECT * FROM deliveries WHERE id = $1', [id])).rows[0];
    return row && toDelivery(row);
  }

  async pendingMessages(limit: number, olderThanMs = 0, channels?: readonly string[]): Promise<Array<{ id: string; channel: string }>> {
    const { rows } = await this.pool.query<{ id: string; channel: string }>(
      `SELECT id, channel FROM messages WHERE status = 'received' AND updated_at <= $1 AND ($2::text[] IS NULL OR channel = ANY($2)) ORDER BY received_at LIMIT $3`,
      [Date.now() - olderThanMs, channels ? [...channels] : null, limit],
    );
    return rows;
  }

  async pendingDeliveries(limit: number, olderThanMs = 0, channels?: readonly string[]): Promise<StoredDelivery[]> {
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT * FROM deliveries WHERE state IN ('pending', 'retrying') AND updated_at <= $1 AND ($2::text[] IS NULL OR channel = ANY($2)) ORDER BY created_at LIMIT $3`,
      [Date.now() - olderThanMs, channels ? [...channels] : null, limit],
    );
    return rows.map(toDelivery);
  }

  /** PostgreSQL's autovacuum makes the space of purged rows reusable; nothing to do here (docs/alerts.md#retention). */
  async reclaimSpace(): Promise<number> {
    return 0;
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function event(c: PoolClient, id: string, at: number, status: MessageStatus, detail: string | null): Promise<unknown> {
  return c.query('INSERT INTO message_events (message_id, at, status, detail) VALUES ($1, $2, $3, $4)', [id, at, status, detail]);
}

/** A routed message becomes delivered (or failed) once every delivery is final; the caller holds its row lock. */
async function settleMessage(c: PoolClient, messageId: string, now: number): Promise<void> {
  const states = (await c.query<{ state: string }>('SELECT state FROM deliveries WHERE message_id = $1', [messageId])).rows.map(
    (r) => r.state,
  );
  if (states.some((s) => s === 'pending' || s === 'retrying')) return;
  const status: MessageStatus = states.includes('dead') ? 'failed' : 'delivered';
  const { rowCount } = await c.query(
    `UPDATE messages SET status = $1, error = NULL, updated_at = $2 WHERE id = $3 AND status IN ('routed', 'failed') AND status <> $1`,
    [status, now, messageId],
  );
  if (rowCount) await event(c, messageId, now, status, null);
}

/** `?` placeholders numbered for PostgreSQL (`$1`, `$2`…); the shared SQL never has `?` inside a literal. */
function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

/**
 * The message a business case was first routed for. The LATERAL subquery with OFFSET 0 (which
 * PostgreSQL does not flatten into a join) reads each of the key's messages by its primary key: as a
 * join, planned without statistics (a new or emptied store), it read every routed, delivered or
 * failed message through the status index for each key row.
 */
export const BUSINESS_ORIGINAL = `SELECT m.id FROM message_keys k
  CROSS JOIN LATERAL (SELECT id, received_at FROM messages
    WHERE id = k.message_id AND status IN ('routed', 'delivered', 'failed') OFFSET 0) m
  WHERE k.channel = $1 AND k.name = $2 AND k.value = $3 AND k.message_id <> $4
  ORDER BY m.received_at, m.id LIMIT 1`;

/** The message list's query (listMessages) in PostgreSQL: `column || ''` keeps a term off its index. */
export function messageListSql(q: MessageQuery): { sql: string; args: unknown[] } {
  const { sql, args } = messageListQuery(q, (column) => `${column} || ''`);
  return { sql: numbered(sql), args };
}
