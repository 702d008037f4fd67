import type {
  BusinessDocumentKind,
  DeliveryState,
  DocumentKey,
  DocumentLink,
  DocumentQuery,
  Lineage,
  ReconEvent,
  ReconException,
  ReconExceptionQuery,
  ReconFinding,
  ReconRun,
  ReconRunResult,
  ReconState,
  StoredBusinessDocument,
  CaseDocument,
} from './types.js';
import { REFS_PER_QUERY } from './types.js';
import { caseRefs, ref } from '../reconcile/cases.js';

/**
 * The business-document index and reconciliation exceptions, written once for both stores: SQL with
 * `?` placeholders (PostgreSQL numbers them, `numbered`), row mapping, and the plan of a
 * reconciliation run (which exceptions open, stay, reopen or resolve), so both stores apply the same
 * rules in their own transaction.
 */

export type DocumentRow = {
  id: number;
  kind: string;
  doc_key: string;
  partner: string | null;
  facility: string | null;
  business_date: string | null;
  message_id: string;
  channel: string;
  delivery_id: string;
  data: string;
  recorded_at: number;
  delivery_state: string | null;
};

export type LinkRow = { from_kind: string; from_key: string; to_kind: string; to_key: string; relation: string };

export type ExceptionRow = {
  id: number;
  fingerprint: string;
  rule: string;
  owner_role: string;
  state: string;
  doc_kind: string;
  doc_key: string;
  partner: string | null;
  facility: string | null;
  business_date: string;
  line: string | null;
  field: string | null;
  expected: string | null;
  actual: string | null;
  detail: string;
  resolution: string | null;
  first_seen: number;
  last_seen: number;
  updated_at: number;
};

export type EventRow = { exception_id: number; at: number; actor: string; action: string; state: string; detail: string | null };

/** `?` placeholders as PostgreSQL's `$1, $2…`. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const DOCUMENT_SELECT = `SELECT b.*, d.state AS delivery_state FROM business_documents b LEFT JOIN deliveries d ON d.id = b.delivery_id`;

/** The insert of business documents, rows of `lineageRows` (ten columns) to follow as VALUES. */
export const INSERT_DOCUMENT =
  'INSERT INTO business_documents (kind, doc_key, partner, facility, business_date, message_id, channel, delivery_id, data, recorded_at)';

export const DOC_SQL = {
  insertDocument: `${INSERT_DOCUMENT} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  insertRef: 'INSERT INTO document_refs (document_id, ref) VALUES (?, ?) ON CONFLICT DO NOTHING',
  refsFloor: 'SELECT MIN(document_id) AS floor FROM document_refs',
  insertLink: `INSERT INTO document_links (from_kind, from_key, to_kind, to_key, relation, message_id, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  byKey: `${DOCUMENT_SELECT} WHERE b.kind = ? AND b.doc_key = ? ORDER BY b.id`,
  sentByDelivery: 'SELECT id, data FROM business_documents WHERE kind = ? AND doc_key = ? AND delivery_id = ?',
  setData: 'UPDATE business_documents SET data = ? WHERE id = ?',
  exceptionEvents: 'SELECT * FROM recon_exception_events WHERE exception_id = ? ORDER BY id',
  exception: 'SELECT * FROM recon_exceptions WHERE id = ?',
  /** Arguments: the first day, and `dayAfter` the last. */
  exceptionsInRange: 'SELECT * FROM recon_exceptions WHERE business_date >= ? AND business_date < ?',
  exceptionByFingerprint: 'SELECT * FROM recon_exceptions WHERE fingerprint = ?',
  insertException: `INSERT INTO recon_exceptions (fingerprint, rule, owner_role, state, doc_kind, doc_key, partner, facility, business_date, line,
                    field, expected, actual, detail, resolution, first_seen, last_seen, updated_at)
                    VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
  touchException: 'UPDATE recon_exceptions SET expected = ?, actual = ?, detail = ?, last_seen = ? WHERE id = ?',
  setState: 'UPDATE recon_exceptions SET state = ?, resolution = ?, owner_role = ?, updated_at = ?, last_seen = ? WHERE id = ?',
  insertEvent: 'INSERT INTO recon_exception_events (exception_id, at, actor, action, state, detail) VALUES (?, ?, ?, ?, ?, ?)',
};

/** Rows to insert for one routed message's lineage; `deliveryIdOf` turns a route name into its delivery id. */
export function lineageRows(
  messageId: string,
  channel: string,
  lineage: Lineage,
  now: number,
): { documents: unknown[][]; refs: string[][]; links: unknown[][] } {
  return {
    refs: lineage.documents.map(caseRefs),
    documents: lineage.documents.map((d) => [
      d.kind,
      d.key,
      d.partner ?? null,
      d.facility ?? null,
      d.businessDate ?? null,
      messageId,
      channel,
      d.route ? `${messageId}:${d.route}` : '',
      JSON.stringify(d.data),
      now,
    ]),
    links: lineage.links.map((l) => [l.fromKind, l.fromKey, l.toKind, l.toKey, l.relation, messageId, now]),
  };
}

/** A document listing and its arguments: whole documents (`listDocuments`) or their keys alone (`listDocumentKeys`). */
export function documentQuery(q: DocumentQuery, keys = false): [string, unknown[]] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.kinds && q.kinds.length > 0) {
    where.push(`b.kind IN (${q.kinds.map(() => '?').join(', ')})`);
    args.push(...q.kinds);
  }
  if (q.from) {
    where.push('b.business_date >= ?');
    args.push(q.from);
  }
  if (q.to) {
    where.push('b.business_date < ?');
    args.push(dayAfter(q.to));
  }
  if (q.afterId !== undefined) {
    where.push('b.id > ?');
    args.push(q.afterId);
  }
  if (q.ids !== undefined) {
    where.push(`b.id IN (${q.ids.map(() => '?').join(', ') || 'NULL'})`);
    args.push(...q.ids);
  }
  if (q.after !== undefined) {
    where.push('b.business_date > ?');
    args.push(q.after);
  }
  if (q.through !== undefined) {
    where.push('b.business_date <= ?');
    args.push(q.through);
  }
  const limit = Math.min(Math.max(q.limit ?? 100_000, 1), 1_000_000);
  const select = keys ? 'SELECT b.id, b.kind, b.doc_key FROM business_documents b' : DOCUMENT_SELECT;
  return [`${select} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY b.id LIMIT ${limit}`, args];
}

/** Documents having any of these case references (at most REFS_PER_QUERY). */
export function caseQuery(refs: readonly string[]): [string, unknown[]] {
  return [
    `${DOCUMENT_SELECT} WHERE b.id IN (SELECT document_id FROM document_refs WHERE ref IN (${refs.map(() => '?').join(', ')}))`,
    [...refs],
  ];
}

/** The case references of these documents (at most REFS_PER_QUERY ids). */
export function refsQuery(ids: readonly number[]): [string, unknown[]] {
  return [`SELECT document_id, ref FROM document_refs WHERE document_id IN (${ids.map(() => '?').join(', ')})`, [...ids]];
}

/** Documents with their references, from the rows of caseQuery and refsQuery. */
export function withRefs(
  docs: readonly StoredBusinessDocument[],
  refs: ReadonlyArray<{ document_id: number; ref: string }>,
): CaseDocument[] {
  const byDoc = new Map<number, string[]>();
  for (const r of refs) {
    const list = byDoc.get(r.document_id);
    if (list) list.push(r.ref);
    else byDoc.set(r.document_id, [r.ref]);
  }
  return docs.map((d) => ({ ...d, refs: byDoc.get(d.id) ?? [] }));
}

/** Exceptions a scoped run may resolve (ADR 0027): filed under one of its references, dated in its range. */
export function exceptionsOfScope(run: { from: string; to: string; scope: readonly string[] }): [string, unknown[]][] {
  const keys = [...new Set(run.scope.map((r) => r.slice(r.indexOf(':') + 1)))];
  const out: [string, unknown[]][] = [];
  for (let i = 0; i < keys.length; i += REFS_PER_QUERY) {
    const chunk = keys.slice(i, i + REFS_PER_QUERY);
    out.push([
      `SELECT * FROM recon_exceptions WHERE doc_key IN (${chunk.map(() => '?').join(', ')}) AND business_date >= ? AND business_date < ?`,
      [...chunk, run.from, dayAfter(run.to)],
    ]);
  }
  return out;
}

/** The rows of exceptionsOfScope whose kind and key are one of the scope's references. */
export function inScope(rows: readonly ExceptionRow[], scope: readonly string[]): ExceptionRow[] {
  const refs = new Set(scope);
  return rows.filter((r) => refs.has(ref(r.doc_kind, r.doc_key)));
}

/** Links touching any of these documents. */
export function linkQuery(refs: ReadonlyArray<{ kind: string; key: string }>): [string, unknown[]] {
  const pairs = refs.map(() => '(? , ?)').join(', ');
  const args = refs.flatMap((r) => [r.kind, r.key]);
  return [
    `SELECT from_kind, from_key, to_kind, to_key, relation FROM document_links
     WHERE (from_kind, from_key) IN (VALUES ${pairs}) OR (to_kind, to_key) IN (VALUES ${pairs})`,
    [...args, ...args],
  ];
}

export function exceptionQuery(q: ReconExceptionQuery): [string, unknown[]] {
  const where: string[] = [];
  const args: unknown[] = [];
  const eq = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    where.push(`${column} = ?`);
    args.push(value);
  };
  eq('doc_key', q.docKey);
  eq('state', q.state);
  eq('rule', q.rule);
  eq('partner', q.partner);
  eq('facility', q.facility);
  eq('owner_role', q.ownerRole);
  if (q.from) {
    where.push('business_date >= ?');
    args.push(q.from);
  }
  if (q.to) {
    where.push('business_date < ?');
    args.push(dayAfter(q.to));
  }
  if (q.afterId !== undefined) {
    where.push('id > ?');
    args.push(q.afterId);
  }
  const limit = Math.min(Math.max(q.limit ?? 100, 1), 100_000);
  return [`SELECT * FROM recon_exceptions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ${limit}`, args];
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The day after a date (`2026-11-30` → `2026-12-01`): a range's end compared with `<`, so date-times
 * on the last day stay in the range whatever the database's collation.
 */
export function dayAfter(date: string): string {
  const d = new Date(`${date.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return date;
  return new Date(d.getTime() + 86_400_000).toISOString().slice(0, 10);
}

/** A row of `documentQuery(q, true)`. */
export type KeyRow = { id: number; kind: string; doc_key: string };

export function toDocumentKey(r: KeyRow): DocumentKey {
  return { id: r.id, kind: r.kind as BusinessDocumentKind, key: r.doc_key };
}

export function toDocument(r: DocumentRow): StoredBusinessDocument {
  return {
    id: r.id,
    kind: r.kind as BusinessDocumentKind,
    key: r.doc_key,
    ...(r.partner !== null ? { partner: r.partner } : {}),
    ...(r.facility !== null ? { facility: r.facility } : {}),
    ...(r.business_date !== null ? { businessDate: r.business_date } : {}),
    messageId: r.message_id,
    channel: r.channel,
    ...(r.delivery_id ? { deliveryId: r.delivery_id } : {}),
    ...(r.delivery_state !== null ? { deliveryState: r.delivery_state as DeliveryState } : {}),
    data: JSON.parse(r.data) as unknown,
    recordedAt: iso(r.recorded_at),
  };
}

export function toLink(r: LinkRow): DocumentLink {
  return {
    fromKind: r.from_kind as BusinessDocumentKind,
    fromKey: r.from_key,
    toKind: r.to_kind as BusinessDocumentKind,
    toKey: r.to_key,
    relation: r.relation,
  };
}

export function toException(r: ExceptionRow): ReconException {
  const opt = <K extends string>(k: K, v: string | null) => (v === null ? {} : ({ [k]: v } as Record<K, string>));
  return {
    id: r.id,
    fingerprint: r.fingerprint,
    rule: r.rule,
    ownerRole: r.owner_role,
    state: r.state as ReconState,
    docKind: r.doc_kind as BusinessDocumentKind,
    docKey: r.doc_key,
    ...opt('partner', r.partner),
    ...opt('facility', r.facility),
    businessDate: r.business_date,
    ...opt('line', r.line),
    ...opt('field', r.field),
    ...opt('expected', r.expected),
    ...opt('actual', r.actual),
    detail: r.detail,
    ...opt('resolution', r.resolution),
    firstSeen: iso(r.first_seen),
    lastSeen: iso(r.last_seen),
    updatedAt: iso(r.updated_at),
  };
}

export function toEvent(r: EventRow): ReconEvent {
  return { at: iso(r.at), actor: r.actor, action: r.action, state: r.state as ReconState, ...(r.detail ? { detail: r.detail } : {}) };
}

/** One write of a run plan, in the order to apply. */
export type PlanStep =
  | { op: 'insert'; finding: ReconFinding }
  | { op: 'touch'; id: number; finding: ReconFinding }
  | { op: 'state'; id: number; state: ReconState; resolution: string | null; ownerRole: string; action: string; detail: string };

/** Automatic resolutions carry this reason, so a reopen can tell them from an analyst's. */
export const AUTO_RESOLUTION = 'no longer found by reconciliation';

/**
 * What a run changes. A finding seen for the first time opens; one already open or acknowledged is
 * touched (its values refreshed); one resolved automatically comes back open (`reopened`); one an
 * analyst resolved stays resolved (their decision stands) but is touched. Exceptions of the run's
 * range that the run no longer finds, and that are not resolved, resolve automatically.
 */
export function planReconRun(
  existing: ReadonlyMap<string, ExceptionRow>,
  inRange: readonly ExceptionRow[],
  run: ReconRun,
): { steps: PlanStep[]; result: ReconRunResult } {
  const steps: PlanStep[] = [];
  const result: ReconRunResult = { opened: 0, reopened: 0, updated: 0, resolved: 0 };
  const found = new Set<string>();
  for (const f of run.findings) {
    if (found.has(f.fingerprint)) continue;
    found.add(f.fingerprint);
    const row = existing.get(f.fingerprint);
    if (!row) {
      steps.push({ op: 'insert', finding: f });
      result.opened++;
      continue;
    }
    steps.push({ op: 'touch', id: row.id, finding: f });
    if (row.state === 'resolved' && row.resolution === AUTO_RESOLUTION) {
      steps.push({
        op: 'state',
        id: row.id,
        state: 'open',
        resolution: null,
        ownerRole: row.owner_role,
        action: 'reopened',
        detail: f.detail,
      });
      result.reopened++;
    } else result.updated++;
  }
  for (const row of inRange) {
    if (found.has(row.fingerprint) || row.state === 'resolved') continue;
    steps.push({
      op: 'state',
      id: row.id,
      state: 'resolved',
      resolution: AUTO_RESOLUTION,
      ownerRole: row.owner_role,
      action: 'resolved',
      detail: AUTO_RESOLUTION,
    });
    result.resolved++;
  }
  return { steps, result };
}

/** Arguments of `insertException` for a finding. */
export function exceptionArgs(f: ReconFinding, now: number): unknown[] {
  return [
    f.fingerprint,
    f.rule,
    f.ownerRole,
    f.docKind,
    f.docKey,
    f.partner ?? null,
    f.facility ?? null,
    f.businessDate,
    f.line ?? null,
    f.field ?? null,
    f.expected ?? null,
    f.actual ?? null,
    f.detail,
    now,
    now,
    now,
  ];
}

/**
 * A sent document's data once its destination answered how it recorded it (AttemptOutcome.answered,
 * read by answeredDocuments): the destination's version as `booked`, beside what was sent.
 */
export function withBooked(data: string, booked: unknown): string {
  return JSON.stringify({ ...(JSON.parse(data) as Record<string, unknown>), booked });
}
