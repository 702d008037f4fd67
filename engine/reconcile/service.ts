import type { Logger } from '../../lib/log.js';
import type { Tables } from '../../transforms/index.js';
import type { PartnerConfig } from '../config/index.js';
import type { ReconRunResult, Store } from '../store/types.js';
import { catalogFromTables } from './catalog.js';
import type { EngineReconciliation, Tolerances } from './config.js';
import type { ReconcileContext, ReconcileSummary } from './context.js';
import { reconcileDocuments } from './reconcile.js';
import type { PoMatch } from './three-way.js';

const DAY = 86_400_000;
/** How far around a run's range documents are read: orders before it whose invoices fall in it, answers after it. */
const MARGIN_MS = 90 * DAY;

export type ReconciliationOptions = {
  store: Store;
  config: EngineReconciliation;
  partners: readonly PartnerConfig[];
  /** The lookup tables now (item master, units, charge master). */
  tables: () => Promise<Tables>;
  log: Logger;
  /**
   * Where on-demand runs execute instead of here: the engine hands them to the processing thread,
   * so a month's run never holds the thread that answers senders.
   */
  runElsewhere?: (range: RunRange) => Promise<RunReport>;
  /**
   * True while processing has a backlog. A continuous run reads and reconciles the whole window at
   * once, seconds of this thread at a high volume, so it waits while messages are waiting, for at
   * most `MAX_DEFERRED` intervals in a row; its deadlines are hours and days, a message's are seconds.
   */
  busy?: () => boolean;
};

/** Continuous runs put off in a row, at most, while processing has a backlog. */
export const MAX_DEFERRED = 10;

export type RunRange = { from: string; to: string; asOf?: number; actor?: string };

export type RunReport = { from: string; to: string; asOf: string; ms: number; result: ReconRunResult; summary: ReconcileSummary };

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Runs reconciliation: on demand for a range of business dates (`run`), and continuously (`start`)
 * over the recent window, whenever new documents were indexed and at least every ten intervals (a
 * deadline passing is news too). One run at a time; a run asked for while another runs waits for it.
 */
export class ReconciliationService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private lastDocumentId = -1;
  private idleRuns = 0;
  private deferred = 0;
  private newestRead = -1;
  last: RunReport | undefined;

  constructor(private readonly o: ReconciliationOptions) {}

  /** The context of a run at `asOf`: tolerances and deadlines of each partner and facility, the item master. */
  async context(asOf = Date.now()): Promise<ReconcileContext> {
    const byId = new Map(this.o.partners.map((p) => [p.id, p]));
    const bySender = new Map(this.o.partners.map((p) => [p.isa.id.trim(), p.id]));
    const partner = (id: string | undefined) => (id ? byId.get(id) : undefined);
    const c = this.o.config;
    return {
      asOf,
      partnerOf: (x) => (x === undefined ? undefined : byId.has(x) ? x : (bySender.get(x.trim()) ?? x)),
      tolerances: (id): Tolerances =>
        partner(id)?.reconciliation.tolerances ?? {
          quantity: { absolute: 0, percent: 0 },
          unitPrice: { absolute: 0, percent: 0 },
          extendedAmount: { absolute: 0, percent: 0 },
          total: { absolute: 0, percent: 0 },
        },
      poAckDeadlineMs: (id) => partner(id)?.poAckDeadline ?? c.poAckDeadline,
      asnDeadlineMs: (id) => partner(id)?.asnDeadline ?? c.asnDeadline,
      chargeDeadlineMs: (facility) => (facility ? c.facilities[facility]?.chargeDeadline : undefined) ?? c.chargeDeadline,
      inventoryDeadlineMs: (facility) => (facility ? c.facilities[facility]?.inventoryDeadline : undefined) ?? c.inventoryDeadline,
      items: catalogFromTables(await this.o.tables()),
    };
  }

  /** Reconciles the business dates `from`..`to` (YYYY-MM-DD) as of `asOf` and applies the findings. */
  run(range: RunRange): Promise<RunReport> {
    return this.queue(range, false);
  }

  private queue(range: RunRange, continuous: boolean): Promise<RunReport> {
    const elsewhere = this.o.runElsewhere;
    const next = this.running.then(() =>
      elsewhere ? elsewhere(range).then((report) => (this.last = report)) : this.runNow(range, continuous),
    );
    this.running = next.catch(() => undefined);
    return next;
  }

  /** The three-way match of one order, computed now (nothing written). */
  async match(po: string): Promise<PoMatch | undefined> {
    const own = await this.o.store.documentsByKey('purchase-order', po);
    if (own.length === 0) return undefined;
    const related = [];
    for (const l of await this.o.store.documentLinks([{ kind: 'purchase-order', key: po }]))
      if (l.fromKind === 'purchase-order') related.push(...(await this.o.store.documentsByKey(l.toKind, l.toKey)));
    return reconcileDocuments([...own, ...related], await this.context()).matches.find((m) => m.po === po);
  }

  /** One run; a continuous one (`start`) also moves the mark of documents already seen. */
  private async runNow(range: RunRange, continuous: boolean): Promise<RunReport> {
    const started = Date.now();
    const asOf = range.asOf ?? started;
    const from = Date.parse(`${range.from}T00:00:00Z`);
    const to = Date.parse(`${range.to}T00:00:00Z`);
    const docs = await this.o.store.listDocuments({
      from: day(from - MARGIN_MS),
      to: day(Math.max(to, Math.min(asOf, to + MARGIN_MS))),
      limit: 1_000_000,
    });
    // an on-demand range may leave out what the continuous window needs to see again
    if (continuous) for (const d of docs) this.newestRead = Math.max(this.newestRead, d.id);
    const { findings, summary } = reconcileDocuments(docs, await this.context(asOf));
    const inRange = findings.filter((f) => f.businessDate >= range.from && f.businessDate <= range.to);
    const result = await this.o.store.applyReconRun({
      from: range.from,
      to: range.to,
      findings: inRange,
      actor: range.actor ?? 'reconciliation',
    });
    const report = { from: range.from, to: range.to, asOf: new Date(asOf).toISOString(), ms: Date.now() - started, result, summary };
    this.last = report;
    return report;
  }

  /**
   * Runs over the recent window every `interval`, when documents arrived (or every tenth interval),
   * and not while processing has a backlog, unless it was put off `MAX_DEFERRED` times in a row.
   */
  start(): void {
    if (!this.o.config.enabled || this.timer) return;
    const tick = async () => {
      const newest = await this.o.store.listDocuments({ afterId: this.lastDocumentId, limit: 1 });
      if (newest.length === 0 && ++this.idleRuns < 10) return;
      if (this.o.busy?.() && ++this.deferred < MAX_DEFERRED) return;
      const deferred = this.deferred;
      this.idleRuns = 0;
      this.deferred = 0;
      const now = Date.now();
      const r = await this.queue({ from: day(now - this.o.config.window), to: day(now) }, true);
      this.lastDocumentId = Math.max(this.lastDocumentId, newest[0]?.id ?? -1, this.newestRead);
      if (deferred > 0) this.o.log.info({ ms: r.ms, deferred, ...r.result }, 'reconciliation ran after waiting for a processing backlog');
      else this.o.log.debug({ ms: r.ms, ...r.result }, 'reconciliation run');
    };
    this.timer = setInterval(() => {
      tick().catch((err: unknown) =>
        this.o.log.warn({ err: (err as Error).message }, 'reconciliation run failed; retried at the next interval'),
      );
    }, this.o.config.interval);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
