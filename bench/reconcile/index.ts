/**
 * `npm run bench -- reconcile`: a generated month of a mid-size hospital network (bench/reconcile/month.ts)
 * indexed through the engine's processing path (the real HL7 v2, X12 and JSON parsers, the lineage
 * of each message, `markRouted`, the billing answers as delivery attempts), then reconciled as one
 * on-demand run. Prints, per fault kind, how many were injected and found, the false positives per
 * rule, and the time to reconcile the month.
 *
 * Environment: RECON_PROCEDURES (default 10000), RECON_SEED (default 20261101), RECON_STORE
 * (default a new SQLite file; a postgres:// URL to run on PostgreSQL, which must be empty).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../engine/config/index.js';
import type { PartnerConfig } from '../../engine/config/index.js';
import {
  lineageOf,
  ReconciliationService,
  type EngineReconciliation,
  type RouteInfo,
  type RunReport,
} from '../../engine/reconcile/index.js';
import { openStore, type ReconException, type Store } from '../../engine/store/index.js';
import { silentLogger } from '../../lib/log.js';
import { parserFor } from '../../parsers/index.js';
import { envCount, figure } from '../figures.js';
import { generateMonth, type Fault, type GeneratedMessage, type Month } from './month.js';

const AS_OF = Date.parse('2026-12-10T00:00:00Z');

/** The routes of the shipped channels the month's messages go through, as lineage sees them. */
const CHANNEL_ROUTES: Record<string, Array<[string, RouteInfo]>> = {
  'or-implant-charges': [
    ['erp-usage', { destination: 'http', sends: 'inventory-posting' }],
    ['billing-charges', { destination: 'fhir' }],
  ],
};
const RANGE = { from: '2026-11-01', to: '2026-11-30' };

/** Messages indexed 256 at a time (the store commits them in groups), in that order between groups. */
export async function indexMessages(store: Store, messages: readonly GeneratedMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 256) await Promise.all(messages.slice(i, i + 256).map((m) => indexMessage(store, m)));
}

/** One message through parse → canonical → lineage → markRouted → the destination's answer, as the processor does it. */
export async function indexMessage(store: Store, m: GeneratedMessage): Promise<void> {
  const parser = parserFor(m.format, m.raw)!;
  const read = parser.parse(m.raw, {});
  const parsed = read.message && parser.accepted ? parser.accepted(read.message, read.diagnostics) : read;
  if (!parsed.message) throw new Error(`${m.controlId}: ${read.diagnostics[0]?.message ?? 'unreadable'}`);
  const canonical = parser.toCanonical(parsed.message);
  const errors = canonical.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`${m.controlId}: ${errors[0]!.message}`);
  const header = parser.header(parsed.message);
  const { messageId } = await store.ingest(
    m.channel,
    {
      raw: m.raw,
      controlId: m.controlId,
      ...(header.sender ? { sender: header.sender } : {}),
      ...(header.messageType ? { messageType: header.messageType } : {}),
    },
    0,
  );
  const deliveries = m.deliveries.map((d) => ({
    route: d.route,
    payload: { body: JSON.stringify(d.body), contentType: 'application/json' },
  }));
  const routes = new Map<string, RouteInfo>([
    ...(CHANNEL_ROUTES[m.channel] ?? []),
    ...m.deliveries.flatMap((d) => (d.partner ? [[d.route, { destination: 'x12', partner: d.partner, set: '850' }] as const] : [])),
  ]);
  await store.markRouted(messageId, canonical.documents, deliveries, lineageOf(canonical.documents, deliveries, routes));
  const now = Date.now();
  for (const d of m.deliveries)
    await store.recordAttempt(`${messageId}:${d.route}`, {
      state: d.accepted ? 'delivered' : 'dead',
      attempt: 1,
      status: d.accepted ? '200' : '422',
      startedAt: now,
      finishedAt: now,
    });
}

/**
 * Which exceptions each injected fault produced, and which exceptions no fault explains. A fault the
 * engine kept from happening (`prevented`: the duplicate case it refused to route, ADR 0019) is
 * counted as prevented when no exception names it.
 */
export function score(faults: readonly Fault[], exceptions: readonly ReconException[], prevented: (f: Fault) => boolean = () => false) {
  const found = new Set(exceptions.map((e) => `${e.rule}|${e.docKey}|${e.line ?? ''}`));
  const foundDoc = new Set(exceptions.map((e) => `${e.rule}|${e.docKey}`));
  const explained = new Set(faults.map((f) => `${f.rule}|${f.docKey}`));
  const kinds = new Map<string, { injected: number; found: number; prevented: number }>();
  for (const f of faults) {
    const k = kinds.get(f.kind) ?? { injected: 0, found: 0, prevented: 0 };
    k.injected++;
    if (f.line ? found.has(`${f.rule}|${f.docKey}|${f.line}`) : foundDoc.has(`${f.rule}|${f.docKey}`)) k.found++;
    else if (prevented(f)) k.prevented++;
    kinds.set(f.kind, k);
  }
  const falsePositives = new Map<string, number>();
  for (const e of exceptions)
    if (!explained.has(`${e.rule}|${e.docKey}`)) falsePositives.set(e.rule, (falsePositives.get(e.rule) ?? 0) + 1);
  return { kinds, falsePositives };
}

/**
 * Prints a month's score, one figure a line, the same for the in-process and the daemon runs: per
 * fault kind injected, found (and prevented, when the engine kept any from happening), false
 * positives per rule, and the totals. RECON_EXPLAIN=1 lists up to 20 false positives and misses on stderr.
 */
export function printScore(
  faults: readonly Fault[],
  exceptions: readonly ReconException[],
  scored: ReturnType<typeof score>,
  prevented: (f: Fault) => boolean = () => false,
): void {
  let missed = 0;
  for (const [kind, k] of [...scored.kinds].sort(([a], [b]) => a.localeCompare(b))) {
    figure(`recon_injected_${kind}`, k.injected, 'faults');
    figure(`recon_found_${kind}`, k.found, 'faults');
    if (k.prevented > 0) figure(`recon_prevented_${kind}`, k.prevented, 'faults');
    missed += k.injected - k.found - k.prevented;
  }
  let fp = 0;
  for (const [rule, n] of scored.falsePositives) {
    figure(`recon_false_positives_${rule}`, n, 'exceptions');
    fp += n;
  }
  figure('recon_faults_missed', missed, 'faults');
  figure('recon_false_positives', fp, 'exceptions');
  if (process.env.RECON_EXPLAIN) {
    const explained = new Set(faults.map((f) => `${f.rule}|${f.docKey}`));
    for (const e of exceptions.filter((x) => !explained.has(`${x.rule}|${x.docKey}`)).slice(0, 20)) console.error(`FP ${e.detail}`);
    const seen = new Set(exceptions.map((e) => `${e.rule}|${e.docKey}`));
    for (const f of faults.filter((x) => !seen.has(`${x.rule}|${x.docKey}`) && !prevented(x)).slice(0, 20))
      console.error(`MISSED ${f.kind} ${f.docKey} ${f.line ?? ''}`);
  }
}

/** Indexes a generated month into `store` and reconciles it as of 2026-12-10: the run's report and the score. */
export async function reconcileMonth(
  store: Store,
  month: Month,
  config: { engine: EngineReconciliation; partners: readonly PartnerConfig[] },
): Promise<{ indexMs: number; report: RunReport; again: RunReport; exceptions: ReconException[] } & ReturnType<typeof score>> {
  const t = performance.now();
  for (const wave of [month.messages.filter((m) => !m.later), month.messages.filter((m) => m.later)]) await indexMessages(store, wave);
  const indexMs = performance.now() - t;
  const service = new ReconciliationService({
    store,
    config: config.engine,
    partners: config.partners,
    tables: async () => month.tables,
    log: silentLogger,
  });
  const report = await service.run({ ...RANGE, asOf: AS_OF, actor: 'bench' });
  const again = await service.run({ ...RANGE, asOf: AS_OF, actor: 'bench' });
  const exceptions = await store.listReconExceptions({ ...RANGE, state: 'open', limit: 100_000 });
  return { indexMs, report, again, exceptions, ...score(month.faults, exceptions) };
}

export async function reconcileFigures(root: string): Promise<void> {
  const procedures = envCount('RECON_PROCEDURES', 10_000);
  const seed = envCount('RECON_SEED', 20_261_101);
  const { config, diagnostics } = await loadConfig(join(root, 'config'), { env: { ...process.env, INTERLACE_DATA: tmpdir() } });
  if (!config.engine) throw new Error(`config/engine.yaml does not load: ${diagnostics.map((d) => d.message).join('; ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'interlace-recon-'));
  const store = await openStore(process.env.RECON_STORE ?? `sqlite:${join(dir, 'messages.db')}`, { sync: 'normal' });
  try {
    const t = performance.now();
    const month = generateMonth(seed, procedures);
    figure('recon_generate_ms', Math.round(performance.now() - t), 'ms');
    for (const [k, v] of Object.entries(month.counts)) figure(`recon_${k}`, v, 'count');
    figure('recon_messages', month.messages.length, 'messages');
    const { indexMs, report, again, exceptions, kinds, falsePositives } = await reconcileMonth(store, month, {
      engine: config.engine.reconciliation,
      partners: config.partners.map((p) => p.config),
    });
    figure('recon_index_rate', Math.round(month.messages.length / (indexMs / 1000)), 'msg/s');
    figure('recon_documents', report.summary.documents, 'documents');
    figure('recon_fields_matched', report.summary.fields.matched, 'fields');
    figure('recon_fields_within_tolerance', report.summary.fields['within-tolerance'], 'fields');
    figure('recon_fields_exception', report.summary.fields.exception, 'fields');
    figure('recon_month_ms', report.ms, 'ms');
    figure('recon_month_again_ms', again.ms, 'ms');
    figure('recon_month_again_opened', again.result.opened, 'exceptions');
    figure('recon_exceptions_open', exceptions.length, 'exceptions');
    printScore(month.faults, exceptions, { kinds, falsePositives });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
