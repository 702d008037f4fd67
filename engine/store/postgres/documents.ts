import type { Pool, PoolClient } from 'pg';
import { answeredDocuments } from '../../reconcile/lineage.js';
import {
  DOC_SQL,
  INSERT_DOCUMENT,
  dayAfter,
  documentQuery,
  exceptionArgs,
  exceptionQuery,
  caseQuery,
  exceptionsOfScope,
  inScope,
  lineageRows,
  linkQuery,
  refsQuery,
  withRefs,
  numbered,
  planReconRun,
  toDocument,
  toDocumentKey,
  type KeyRow,
  toEvent,
  toException,
  toLink,
  type DocumentRow,
  type EventRow,
  type ExceptionRow,
  type LinkRow,
  withBooked,
} from '../documents.js';
import type {
  BusinessDocumentKind,
  CaseDocument,
  DocumentLedger,
  DocumentKey,
  DocumentLink,
  DocumentQuery,
  Lineage,
  ReconEvent,
  ReconException,
  ReconExceptionQuery,
  ReconRun,
  ReconRunResult,
  ReconState,
  StoredBusinessDocument,
} from '../types.js';
import { REFS_PER_QUERY } from '../types.js';
import { lockKey, transaction } from './pool.js';

const SQL = Object.fromEntries(Object.entries(DOC_SQL).map(([k, v]) => [k, numbered(v)])) as typeof DOC_SQL;

/** Case references of documents, one statement: the documents' ids and the references, pairwise. */
const INSERT_REF_ROWS =
  'INSERT INTO document_refs (document_id, ref) SELECT * FROM unnest($1::bigint[], $2::text[]) ON CONFLICT DO NOTHING';

/** The exceptions a scoped run may resolve (exceptionsOfScope, inScope), read through the pool or a transaction's client. */
async function exceptionsInScope(
  db: Pool | PoolClient,
  run: { from: string; to: string; scope: readonly string[] },
): Promise<ExceptionRow[]> {
  const rows: ExceptionRow[] = [];
  for (const [sql, args] of exceptionsOfScope(run)) rows.push(...(await db.query<ExceptionRow>(numbered(sql), args)).rows);
  return inScope(rows, run.scope);
}

/** Advisory lock key of reconciliation runs: two processes running at once apply one after the other. */
const RUN_LOCK = lockKey('interlace', 'reconciliation-run');

/**
 * Business documents and reconciliation exceptions in the PostgreSQL store (migration 5). A run is
 * one transaction under an advisory lock, so engine processes running reconciliation at the same time
 * apply their runs one after the other instead of opening one exception twice.
 */
export class PostgresDocuments implements DocumentLedger {
  constructor(private readonly pool: Pool) {}

  /** Called inside `markRouted`'s transaction. */
  static async writeLineage(c: PoolClient, messageId: string, channel: string, lineage: Lineage, now: number): Promise<void> {
    const rows = lineageRows(messageId, channel, lineage, now);
    // a statement for (up to 1,000 of) the message's documents, one for their references: each is a round trip
    const refsOf = new Map(rows.documents.map((r, i) => [`${String(r[0])}|${String(r[1])}|${String(r[7])}`, rows.refs[i]!]));
    for (let at = 0; at < rows.documents.length; at += 1000) {
      const page = rows.documents.slice(at, at + 1000);
      const values = page.map((r, i) => `(${r.map((_, j) => `$${i * r.length + j + 1}`).join(', ')})`).join(', ');
      const { rows: inserted } = await c.query<{ id: number; kind: string; doc_key: string; delivery_id: string }>(
        `${INSERT_DOCUMENT} VALUES ${values} ON CONFLICT DO NOTHING RETURNING id, kind, doc_key, delivery_id`,
        page.flat(),
      );
      // a document already indexed (a reprocess) is not returned, and has its references
      const ids: number[] = [];
      const refs: string[] = [];
      for (const d of inserted)
        for (const x of refsOf.get(`${d.kind}|${d.doc_key}|${d.delivery_id}`) ?? []) {
          ids.push(d.id);
          refs.push(x);
        }
      if (refs.length > 0) await c.query(INSERT_REF_ROWS, [ids, refs]);
    }
    for (const r of rows.links) await c.query(SQL.insertLink, r);
  }

  /** Called inside recordAttempt's transaction: the destination's version of what a delivery sent (withBooked). */
  static async recordBooked(c: PoolClient, deliveryId: string, answered: readonly unknown[]): Promise<void> {
    for (const doc of answeredDocuments(answered)) {
      const row = (await c.query<{ id: number; data: string }>(SQL.sentByDelivery, [doc.kind, doc.key, deliveryId])).rows[0];
      if (row) await c.query(SQL.setData, [withBooked(row.data, doc.data), row.id]);
    }
  }

  async documentsByKey(kind: BusinessDocumentKind, key: string): Promise<StoredBusinessDocument[]> {
    return (await this.pool.query<DocumentRow>(SQL.byKey, [kind, key])).rows.map(toDocument);
  }

  async documentLinks(refs: ReadonlyArray<{ kind: BusinessDocumentKind; key: string }>): Promise<DocumentLink[]> {
    const out: DocumentLink[] = [];
    for (let i = 0; i < refs.length; i += 4000) {
      const [sql, args] = linkQuery(refs.slice(i, i + 4000));
      out.push(...(await this.pool.query<LinkRow>(numbered(sql), args)).rows.map(toLink));
    }
    return out;
  }

  async listDocuments(query: DocumentQuery): Promise<StoredBusinessDocument[]> {
    const [sql, args] = documentQuery(query);
    return (await this.pool.query<DocumentRow>(numbered(sql), args)).rows.map(toDocument);
  }

  async listDocumentKeys(query: DocumentQuery): Promise<DocumentKey[]> {
    const [sql, args] = documentQuery(query, true);
    return (await this.pool.query<KeyRow>(numbered(sql), args)).rows.map(toDocumentKey);
  }

  async openReconExceptionsIn(run: { from: string; to: string; scope: readonly string[] }): Promise<boolean> {
    return (await exceptionsInScope(this.pool, run)).some((r) => r.state !== 'resolved');
  }

  async caseDocuments(refs: readonly string[]): Promise<CaseDocument[]> {
    const docs = new Map<number, StoredBusinessDocument>();
    for (let i = 0; i < refs.length; i += REFS_PER_QUERY) {
      const [sql, args] = caseQuery(refs.slice(i, i + REFS_PER_QUERY));
      for (const row of (await this.pool.query<DocumentRow>(numbered(sql), args)).rows) docs.set(row.id, toDocument(row));
    }
    const ids = [...docs.keys()].sort((a, b) => a - b);
    const refRows: Array<{ document_id: number; ref: string }> = [];
    for (let i = 0; i < ids.length; i += REFS_PER_QUERY) {
      const [sql, args] = refsQuery(ids.slice(i, i + REFS_PER_QUERY));
      refRows.push(...(await this.pool.query<{ document_id: number; ref: string }>(numbered(sql), args)).rows);
    }
    return withRefs(
      ids.map((id) => docs.get(id)!),
      refRows,
    );
  }

  async documentRefsFloor(): Promise<number | undefined> {
    return (await this.pool.query<{ floor: number | null }>(SQL.refsFloor)).rows[0]?.floor ?? undefined;
  }

  async addDocumentRefs(rows: ReadonlyArray<{ documentId: number; refs: readonly string[] }>): Promise<void> {
    await this.pool.query(INSERT_REF_ROWS, [rows.flatMap((r) => r.refs.map(() => r.documentId)), rows.flatMap((r) => r.refs)]);
  }

  applyReconRun(run: ReconRun): Promise<ReconRunResult> {
    return transaction(this.pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [RUN_LOCK]);
      const now = Date.now();
      const inRange = run.scope
        ? await exceptionsInScope(c, { ...run, scope: run.scope })
        : (await c.query<ExceptionRow>(SQL.exceptionsInRange, [run.from, dayAfter(run.to)])).rows;
      const existing = new Map(inRange.map((r) => [r.fingerprint, r]));
      const outside = [...new Set(run.findings.map((f) => f.fingerprint).filter((f) => !existing.has(f)))];
      if (outside.length > 0) {
        const { rows } = await c.query<ExceptionRow>('SELECT * FROM recon_exceptions WHERE fingerprint = ANY($1)', [outside]);
        for (const r of rows) existing.set(r.fingerprint, r);
      }
      const { steps, result } = planReconRun(existing, inRange, run);
      for (const s of steps) {
        if (s.op === 'insert') {
          const { rows } = await c.query<{ id: number }>(`${SQL.insertException} RETURNING id`, exceptionArgs(s.finding, now));
          await c.query(SQL.insertEvent, [rows[0]!.id, now, run.actor, 'opened', 'open', s.finding.detail]);
        } else if (s.op === 'touch') {
          await c.query(SQL.touchException, [s.finding.expected ?? null, s.finding.actual ?? null, s.finding.detail, now, s.id]);
        } else {
          await c.query(SQL.setState, [s.state, s.resolution, s.ownerRole, now, now, s.id]);
          await c.query(SQL.insertEvent, [s.id, now, run.actor, s.action, s.state, s.detail]);
        }
      }
      return result;
    });
  }

  async listReconExceptions(query: ReconExceptionQuery): Promise<ReconException[]> {
    const [sql, args] = exceptionQuery(query);
    return (await this.pool.query<ExceptionRow>(numbered(sql), args)).rows.map(toException);
  }

  async getReconException(id: number): Promise<(ReconException & { events: ReconEvent[] }) | undefined> {
    const row = (await this.pool.query<ExceptionRow>(SQL.exception, [id])).rows[0];
    if (!row) return undefined;
    const events = (await this.pool.query<EventRow>(SQL.exceptionEvents, [id])).rows.map(toEvent);
    return { ...toException(row), events };
  }

  updateReconException(id: number, change: { state: ReconState; actor: string; reason?: string; ownerRole?: string }): Promise<boolean> {
    return transaction(this.pool, async (c) => {
      const row = (await c.query<ExceptionRow>(`${SQL.exception} FOR UPDATE`, [id])).rows[0];
      if (!row) return false;
      const now = Date.now();
      await c.query(SQL.setState, [
        change.state,
        change.state === 'resolved' ? (change.reason ?? null) : null,
        change.ownerRole ?? row.owner_role,
        now,
        row.last_seen,
        id,
      ]);
      const action = change.state === 'resolved' ? 'resolved' : change.state === 'acknowledged' ? 'acknowledged' : 'reopened';
      const detail = [change.reason, change.ownerRole ? `owner ${change.ownerRole}` : undefined].filter(Boolean).join('; ') || null;
      await c.query(SQL.insertEvent, [id, now, change.actor, action, change.state, detail]);
      return true;
    });
  }
}
