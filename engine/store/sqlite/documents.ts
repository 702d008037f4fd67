import type { Database, Statement } from 'better-sqlite3';
import { answeredDocuments } from '../../reconcile/lineage.js';
import {
  DOC_SQL,
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
import type { WriteBatcher } from './batcher.js';

/**
 * Business documents and reconciliation exceptions in the SQLite store (migration 5). Writes go
 * through the store's WriteBatcher; `writeLineage` runs inside `markRouted`'s own write.
 */
export class SqliteDocuments implements DocumentLedger {
  constructor(
    private readonly db: Database,
    private readonly writes: WriteBatcher,
  ) {}

  /** Prepared once: `writeLineage` runs with every routing. */
  private lineageStatements: { doc: Statement; ref: Statement; link: Statement } | undefined;

  /** Called inside a write of the batcher (same transaction as the routing). */
  writeLineage(messageId: string, channel: string, lineage: Lineage, now: number): void {
    const rows = lineageRows(messageId, channel, lineage, now);
    const { doc, ref, link } = (this.lineageStatements ??= {
      doc: this.db.prepare(DOC_SQL.insertDocument),
      ref: this.db.prepare(DOC_SQL.insertRef),
      link: this.db.prepare(DOC_SQL.insertLink),
    });
    rows.documents.forEach((r, i) => {
      const { changes, lastInsertRowid } = doc.run(...r);
      // a document already indexed (a reprocess) has its references
      if (changes > 0) for (const x of rows.refs[i]!) ref.run(lastInsertRowid, x);
    });
    for (const r of rows.links) link.run(...r);
  }

  /** Prepared once: `recordBooked` runs with every delivered FHIR attempt. */
  private bookedStatements: { read: Statement; set: Statement } | undefined;

  /** Called inside recordAttempt's write: the destination's version of what a delivery sent (withBooked). */
  recordBooked(deliveryId: string, answered: readonly unknown[]): void {
    const { read, set } = (this.bookedStatements ??= {
      read: this.db.prepare(DOC_SQL.sentByDelivery),
      set: this.db.prepare(DOC_SQL.setData),
    });
    for (const doc of answeredDocuments(answered)) {
      const row = read.get(doc.kind, doc.key, deliveryId) as { id: number; data: string } | undefined;
      if (row) set.run(withBooked(row.data, doc.data), row.id);
    }
  }

  async documentsByKey(kind: BusinessDocumentKind, key: string): Promise<StoredBusinessDocument[]> {
    return (this.db.prepare(DOC_SQL.byKey).all(kind, key) as DocumentRow[]).map(toDocument);
  }

  async documentLinks(refs: ReadonlyArray<{ kind: BusinessDocumentKind; key: string }>): Promise<DocumentLink[]> {
    if (refs.length === 0) return [];
    const out: DocumentLink[] = [];
    // SQLite allows 32,766 host parameters; four per reference.
    for (let i = 0; i < refs.length; i += 4000) {
      const [sql, args] = linkQuery(refs.slice(i, i + 4000));
      out.push(...(this.db.prepare(sql).all(...args) as LinkRow[]).map(toLink));
    }
    return out;
  }

  async listDocuments(query: DocumentQuery): Promise<StoredBusinessDocument[]> {
    const [sql, args] = documentQuery(query);
    return (this.db.prepare(sql).all(...args) as DocumentRow[]).map(toDocument);
  }

  async listDocumentKeys(query: DocumentQuery): Promise<DocumentKey[]> {
    const [sql, args] = documentQuery(query, true);
    return (this.db.prepare(sql).all(...args) as KeyRow[]).map(toDocumentKey);
  }

  async openReconExceptionsIn(run: { from: string; to: string; scope: readonly string[] }): Promise<boolean> {
    return this.exceptionsInScope(run).some((r) => r.state !== 'resolved');
  }

  /** The exceptions a scoped run may resolve (exceptionsOfScope, inScope). */
  private exceptionsInScope(run: { from: string; to: string; scope: readonly string[] }): ExceptionRow[] {
    return inScope(
      exceptionsOfScope(run).flatMap(([sql, args]) => this.db.prepare(sql).all(...args) as ExceptionRow[]),
      run.scope,
    );
  }

  async caseDocuments(refs: readonly string[]): Promise<CaseDocument[]> {
    const docs = new Map<number, StoredBusinessDocument>();
    for (let i = 0; i < refs.length; i += REFS_PER_QUERY) {
      const [sql, args] = caseQuery(refs.slice(i, i + REFS_PER_QUERY));
      for (const row of this.db.prepare(sql).all(...args) as DocumentRow[]) docs.set(row.id, toDocument(row));
    }
    const ids = [...docs.keys()].sort((a, b) => a - b);
    const refRows: Array<{ document_id: number; ref: string }> = [];
    for (let i = 0; i < ids.length; i += REFS_PER_QUERY) {
      const [sql, args] = refsQuery(ids.slice(i, i + REFS_PER_QUERY));
      refRows.push(...(this.db.prepare(sql).all(...args) as typeof refRows));
    }
    return withRefs(
      ids.map((id) => docs.get(id)!),
      refRows,
    );
  }

  async documentRefsFloor(): Promise<number | undefined> {
    return (this.db.prepare(DOC_SQL.refsFloor).get() as { floor: number | null }).floor ?? undefined;
  }

  addDocumentRefs(rows: ReadonlyArray<{ documentId: number; refs: readonly string[] }>): Promise<void> {
    return this.writes.run(() => {
      const insert = this.db.prepare(DOC_SQL.insertRef);
      for (const r of rows) for (const x of r.refs) insert.run(r.documentId, x);
    });
  }

  applyReconRun(run: ReconRun): Promise<ReconRunResult> {
    return this.writes.run(() => {
      const now = Date.now();
      const inRange = run.scope
        ? this.exceptionsInScope({ ...run, scope: run.scope })
        : (this.db.prepare(DOC_SQL.exceptionsInRange).all(run.from, dayAfter(run.to)) as ExceptionRow[]);
      const existing = new Map(inRange.map((r) => [r.fingerprint, r]));
      const byFingerprint = this.db.prepare(DOC_SQL.exceptionByFingerprint);
      for (const f of run.findings) {
        if (existing.has(f.fingerprint)) continue;
        const row = byFingerprint.get(f.fingerprint) as ExceptionRow | undefined;
        if (row) existing.set(row.fingerprint, row);
      }
      const { steps, result } = planReconRun(existing, inRange, run);
      const insert = this.db.prepare(DOC_SQL.insertException);
      const touch = this.db.prepare(DOC_SQL.touchException);
      const setState = this.db.prepare(DOC_SQL.setState);
      const event = this.db.prepare(DOC_SQL.insertEvent);
      for (const s of steps) {
        if (s.op === 'insert') {
          const { lastInsertRowid } = insert.run(...exceptionArgs(s.finding, now));
          event.run(lastInsertRowid, now, run.actor, 'opened', 'open', s.finding.detail);
        } else if (s.op === 'touch') {
          touch.run(s.finding.expected ?? null, s.finding.actual ?? null, s.finding.detail, now, s.id);
        } else {
          setState.run(s.state, s.resolution, s.ownerRole, now, now, s.id);
          event.run(s.id, now, run.actor, s.action, s.state, s.detail);
        }
      }
      return result;
    });
  }

  async listReconExceptions(query: ReconExceptionQuery): Promise<ReconException[]> {
    const [sql, args] = exceptionQuery(query);
    return (this.db.prepare(sql).all(...args) as ExceptionRow[]).map(toException);
  }

  async getReconException(id: number): Promise<(ReconException & { events: ReconEvent[] }) | undefined> {
    const row = this.db.prepare(DOC_SQL.exception).get(id) as ExceptionRow | undefined;
    if (!row) return undefined;
    return { ...toException(row), events: (this.db.prepare(DOC_SQL.exceptionEvents).all(id) as EventRow[]).map(toEvent) };
  }

  updateReconException(id: number, change: { state: ReconState; actor: string; reason?: string; ownerRole?: string }): Promise<boolean> {
    return this.writes.run(() => {
      const row = this.db.prepare(DOC_SQL.exception).get(id) as ExceptionRow | undefined;
      if (!row) return false;
      const now = Date.now();
      const ownerRole = change.ownerRole ?? row.owner_role;
      this.db
        .prepare(DOC_SQL.setState)
        .run(change.state, change.state === 'resolved' ? (change.reason ?? null) : null, ownerRole, now, row.last_seen, id);
      const action = change.state === 'resolved' ? 'resolved' : change.state === 'acknowledged' ? 'acknowledged' : 'reopened';
      const detail = [change.reason, change.ownerRole ? `owner ${change.ownerRole}` : undefined].filter(Boolean).join('; ') || null;
      this.db.prepare(DOC_SQL.insertEvent).run(id, now, change.actor, action, change.state, detail);
      return true;
    });
  }
}
