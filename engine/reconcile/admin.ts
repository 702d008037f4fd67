import { TextResponse, type AdminRoute } from '../admin/server.js';
import {
  BUSINESS_DOCUMENT_KINDS,
  type BusinessDocumentKind,
  type ReconExceptionQuery,
  type ReconState,
  type Store,
} from '../store/types.js';
import { lineageChain } from './chain.js';
import { reportCsv } from './report.js';
import type { ReconciliationService } from './service.js';
import type { ErrorCode } from '../../lib/error-codes.js';

const STATES: readonly ReconState[] = ['open', 'acknowledged', 'resolved'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const error = (code: ErrorCode, message: string) => ({ error: { code, message } });

/**
 * The admin API of lineage and reconciliation (docs/reconciliation.md): everything the console needs
 * to show the life of a document and to work the exception queues.
 *
 * - `GET /api/lineage/:kind/:key`
 * - `GET /api/reconciliation/summary`, `GET /api/reconciliation/exceptions`, `GET /api/reconciliation/exceptions/:id`
 * - `POST /api/reconciliation/exceptions/:id/acknowledge|resolve|reopen` (`reason=`, `owner=`, `actor=`)
 * - `POST /api/reconciliation/run?from=&to=&asOf=`, `GET /api/reconciliation/match/:po`, `GET /api/reconciliation/report.csv`
 */
export function reconciliationRoutes(store: Store, service: ReconciliationService): AdminRoute[] {
  return [
    {
      method: 'GET',
      need: 'read',
      pattern: /^\/api\/lineage\/([a-z-]+)\/([^/]+)$/,
      handler: async (_r, _u, [kind, key]) => {
        if (!BUSINESS_DOCUMENT_KINDS.includes(kind as BusinessDocumentKind))
          return [400, error('invalid-kind', `document kind ${JSON.stringify(kind)} is not one of ${BUSINESS_DOCUMENT_KINDS.join(', ')}`)];
        const chain = await lineageChain(store, kind as BusinessDocumentKind, decodeURIComponent(key!), await service.context());
        return chain ? [200, chain] : [404, error('document-not-found', `no ${kind} with key ${decodeURIComponent(key!)}`)];
      },
    },
    {
      method: 'GET',
      need: 'read',
      pattern: /^\/api\/reconciliation\/summary$/,
      handler: async () => {
        const open = await store.listReconExceptions({ limit: 100_000 });
        const counts: Record<string, Record<ReconState, number>> = {};
        for (const e of open) (counts[e.rule] ??= { open: 0, acknowledged: 0, resolved: 0 })[e.state]++;
        return [200, { lastRun: service.last ?? null, byRule: counts }];
      },
    },
    { method: 'GET', pattern: /^\/api\/reconciliation\/exceptions$/, need: 'read', handler: (_r, url) => listExceptions(store, url) },
    {
      method: 'GET',
      need: 'read',
      pattern: /^\/api\/reconciliation\/exceptions\/(\d+)$/,
      handler: async (_r, _u, [id]) => {
        const e = await store.getReconException(Number(id));
        return e ? [200, e] : [404, error('exception-not-found', `no reconciliation exception ${id}`)];
      },
    },
    {
      method: 'POST',
      need: 'resolve',
      pattern: /^\/api\/reconciliation\/exceptions\/(\d+)\/(acknowledge|resolve|reopen)$/,
      handler: async (_r, url, [id, action]) => {
        const reason = url.searchParams.get('reason')?.trim() || undefined;
        if (action === 'resolve' && !reason)
          return [400, error('reason-required', 'resolving an exception needs reason=<why> (it is kept in the audit trail)')];
        const owner = url.searchParams.get('owner')?.trim() || undefined;
        const state: ReconState = action === 'acknowledge' ? 'acknowledged' : action === 'resolve' ? 'resolved' : 'open';
        const actor = url.searchParams.get('actor')?.trim() || 'api';
        const ok = await store.updateReconException(Number(id), {
          state,
          actor,
          ...(reason ? { reason } : {}),
          ...(owner ? { ownerRole: owner } : {}),
        });
        return ok
          ? [200, await store.getReconException(Number(id))]
          : [404, error('exception-not-found', `no reconciliation exception ${id}`)];
      },
    },
    {
      method: 'POST',
      need: 'resolve',
      pattern: /^\/api\/reconciliation\/run$/,
      handler: async (_r, url) => {
        const range = rangeOf(url);
        if (typeof range === 'string') return [400, error('invalid-date', range)];
        const asOf = asOfOf(url);
        if (typeof asOf === 'string') return [400, error('invalid-date', asOf)];
        return [
          200,
          await service.run({ ...range, ...(asOf !== undefined ? { asOf } : {}), actor: url.searchParams.get('actor')?.trim() || 'api' }),
        ];
      },
    },
    {
      method: 'GET',
      need: 'read',
      pattern: /^\/api\/reconciliation\/match\/([^/]+)$/,
      handler: async (_r, _u, [po]) => {
        const m = await service.match(decodeURIComponent(po!));
        return m ? [200, m] : [404, error('document-not-found', `no purchase-order with key ${decodeURIComponent(po!)}`)];
      },
    },
    {
      method: 'GET',
      need: 'read',
      pattern: /^\/api\/reconciliation\/report\.csv$/,
      handler: async (_r, url) => {
        const range = rangeOf(url);
        if (typeof range === 'string') return [400, error('invalid-date', range)];
        const rows = await store.listReconExceptions({ from: range.from, to: range.to, limit: 100_000 });
        return [200, new TextResponse('text/csv; charset=utf-8', reportCsv(rows), `reconciliation-${range.from}-${range.to}.csv`)];
      },
    },
  ];
}

async function listExceptions(store: Store, url: URL): Promise<[number, unknown]> {
  const p = url.searchParams;
  const state = p.get('state') ?? undefined;
  if (state && !STATES.includes(state as ReconState))
    return [400, error('invalid-state', `state ${JSON.stringify(state)} is not one of ${STATES.join(', ')}`)];
  for (const name of ['from', 'to']) {
    const v = p.get(name);
    if (v !== null && !DATE.test(v)) return [400, error('invalid-date', `${name} ${JSON.stringify(v)} is not a date (YYYY-MM-DD)`)];
  }
  const limitText = p.get('limit');
  const limit = limitText === null ? 100 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    return [400, error('invalid-limit', `limit ${JSON.stringify(limitText)} is not a whole number from 1 to 10000`)];
  const after = p.get('after');
  const q: ReconExceptionQuery = { limit };
  for (const [name, key] of [
    ['rule', 'rule'],
    ['partner', 'partner'],
    ['facility', 'facility'],
    ['owner', 'ownerRole'],
    ['from', 'from'],
    ['to', 'to'],
    ['document', 'docKey'],
  ] as const) {
    const v = p.get(name);
    if (v !== null) q[key] = v;
  }
  if (state) q.state = state as ReconState;
  if (after !== null && /^\d+$/.test(after)) q.afterId = Number(after);
  const exceptions = await store.listReconExceptions(q);
  return [200, { exceptions, next: exceptions.length === limit ? exceptions[exceptions.length - 1]!.id : null }];
}

/** `from` and `to` (YYYY-MM-DD; default: the last 30 days), or why they are wrong. */
function rangeOf(url: URL): { from: string; to: string } | string {
  const now = Date.now();
  const from = url.searchParams.get('from') ?? new Date(now - 30 * 86_400_000).toISOString().slice(0, 10);
  const to = url.searchParams.get('to') ?? new Date(now).toISOString().slice(0, 10);
  if (!DATE.test(from)) return `from ${JSON.stringify(from)} is not a date (YYYY-MM-DD)`;
  if (!DATE.test(to)) return `to ${JSON.stringify(to)} is not a date (YYYY-MM-DD)`;
  if (from > to) return `from ${from} is after to ${to}`;
  return { from, to };
}

/**
 * `asOf` of an on-demand run (a YYYY-MM-DD date, midnight UTC, or an ISO 8601 time): the "now" its
 * deadlines are measured against and up to which documents are read; default the present.
 */
function asOfOf(url: URL): number | undefined | string {
  const text = url.searchParams.get('asOf');
  if (text === null) return undefined;
  const ms = DATE.test(text) ? Date.parse(`${text}T00:00:00Z`) : /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(ms) ? `asOf ${JSON.stringify(text)} is not a date (YYYY-MM-DD) or a time (ISO 8601)` : ms;
}
