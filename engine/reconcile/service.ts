import { setImmediate } from 'node:timers/promises';
import type { Lease, Leases } from '../../lib/lease.js';
import type { Logger } from '../../lib/log.js';
import type { Tables } from '../../transforms/index.js';
import type { PartnerConfig } from '../config/index.js';
import {
  REFS_PER_QUERY,
  type BusinessDocumentKind,
  type CaseDocument,
  type ReconRunResult,
  type Store,
  type DocumentKey,
} from '../store/types.js';
import { caseRefs, casesOf, ref } from './cases.js';
import { CATALOG_TABLES, catalogFromTables } from './catalog.js';
import type { EngineReconciliation, Tolerances } from './config.js';
import type { MatchResult, ReconcileContext, ReconcileSummary } from './context.js';
import { reconcileDocuments } from './reconcile.js';
import type { PoMatch } from './three-way.js';

const DAY = 86_400_000;
/**
 * How far around a run's range documents are read: orders before it whose invoices fall in it, answers
 * after it (an 856 dated by the delivery it expects next week too, as a run by case reads it).
 */
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
  /**
   * Engine processes sharing a store (PostgreSQL) and a Redis: continuous runs go on in the one that
   * holds the `reconciliation` lease. The others would reconcile the same documents again.
   */
  leases?: Leases;
};

/** How long the reconciliation lease outlives its holder: after this, another process takes over. */
export const LEASE_TTL_MS = 30_000;

/** Continuous runs put off in a row, at most, while processing has a backlog. */
export const MAX_DEFERRED = 10;

export type RunRange = { from: string; to: string; asOf?: number; actor?: string };

export type RunReport = { from: string; to: string; asOf: string; ms: number; result: ReconRunResult; summary: ReconcileSummary };

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Documents a continuous run takes at a time as seeds (new ones, or those whose deadline passed),
 * and reconciles and writes at a time: whole cases, about this many documents.
 */
export const CASES_PER_WRITE = 250;

/**
 * Business dates are stored as the sender wrote them. A deadline sweep compares them as text with UTC
 * times: a date or a UTC time is swept when its deadline passes; a local time with an offset may be
 * swept up to 14 hours early, so each deadline is swept again 14 hours later.
 */
const SWEEP_LAGS = [0, 14 * 3_600_000];

/** Cases gathered into groups of about `size` documents (a larger case is a group of its own), each in id order. */
function batches<T extends { id: number }>(cases: readonly T[][], size: number): T[][] {
  const out: T[][] = [];
  let group: T[] = [];
  for (const c of cases) {
    if (group.length > 0 && group.length + c.length > size) {
      out.push(group);
      group = [];
    }
    group.push(...c);
  }
  if (group.length > 0) out.push(group);
  return out.map((g) => g.sort((a, b) => a.id - b.id));
}

/**
 * Where continuous reconciliation stands: documents up to `cursor` were reconciled, except the
 * `holes` (ids missing when a higher one was read, by when); above it, those in `taken` were (by the
 * first run). Deadlines were swept up to `asOf`.
 */
type Mark = { cursor: number; taken: Set<number>; holes: Map<number, number>; asOf: number };

/**
 * How long a document id may wait for its commit. On PostgreSQL several writers take ids from one
 * sequence and commit in any order, so an id can appear after a higher one was read.
 */
const SETTLE_MS = 120_000;
/** A gap wider than this between two ids read in a row is not writers in flight (a sequence moved on). */
const MAX_HOLES = 10_000;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Runs reconciliation: on demand for a range of business dates (`run`), and continuously (`start`).
 * The first continuous run reconciles the whole window (it catches up on what changed while the
 * engine was down), and so does the first after the item master, charge master or unit table was
 * reloaded; each other one only the cases (reconcile/cases.ts, ADR 0027) that new documents
 * and deadlines passed since the last run touch, `CASES_PER_WRITE` at a time. One run at a time; a
 * run asked for while another runs waits for it.
 */
export class ReconciliationService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private mark: Mark | undefined;
  /** The catalog's tables as the last continuous run saw them (reloading replaces a table's object). */
  private catalogTables: unknown[] = [];
  private deferred = 0;
  private lease: Lease | undefined;
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
    return this.queue(range);
  }

  private queue(range: RunRange): Promise<RunReport> {
    const elsewhere = this.o.runElsewhere;
    const next = this.running.then(() =>
      elsewhere ? elsewhere(range).then((report) => (this.last = report)) : this.runNow(range).then(({ mark: _, ...report }) => report),
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

  /**
   * One run over a range. The first continuous run (`catchUp`) also records the case references of
   * documents indexed before they were kept, and returns the mark the runs by case start from.
   */
  private async runNow(range: RunRange, catchUp?: { floor: number | undefined }): Promise<RunReport & { mark: Mark }> {
    const started = Date.now();
    const asOf = range.asOf ?? started;
    const from = Date.parse(`${range.from}T00:00:00Z`);
    const to = Date.parse(`${range.to}T00:00:00Z`);
    const docs = await this.o.store.listDocuments({
      from: day(from - MARGIN_MS),
      to: day(to + MARGIN_MS),
      limit: 1_000_000,
    });
    if (catchUp) {
      const legacy = docs.filter((d) => catchUp.floor === undefined || d.id < catchUp.floor);
      for (let i = 0; i < legacy.length; i += 1000)
        await this.o.store.addDocumentRefs(legacy.slice(i, i + 1000).map((d) => ({ documentId: d.id, refs: caseRefs(d) })));
    }
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
    // documents recorded SETTLE_MS before the run are all committed; the first run by case reads on
    // from the newest of them and passes over those this run took
    const settled = docs.reduce((n, d) => (Date.parse(d.recordedAt) <= asOf - SETTLE_MS ? Math.max(n, d.id) : n), -1);
    const taken = new Set(docs.filter((d) => d.id > settled).map((d) => d.id));
    return { ...report, mark: { cursor: settled, taken, holes: new Map(), asOf } };
  }

  /** A continuous run now (what `start` runs every interval): the whole window the first time, then by case. */
  continuous(): Promise<RunReport> {
    const next = this.running.then(async () => {
      const now = Date.now();
      const range = { from: day(now - this.o.config.window), to: day(now), asOf: now, actor: 'reconciliation' };
      // a reloaded item master, charge master or unit table may change any case's findings
      const tables = await this.o.tables();
      const catalog = Object.values(CATALOG_TABLES).map((name) => tables[name]);
      const reloaded = catalog.some((t, i) => t !== this.catalogTables[i]);
      this.catalogTables = catalog;
      if (this.mark && !reloaded) return this.byCase(range, this.mark);
      const { mark, ...report } = await this.runNow(range, { floor: await this.o.store.documentRefsFloor() });
      this.mark = { ...mark, holes: this.mark?.holes ?? mark.holes };
      return report;
    });
    this.running = next.catch(() => undefined);
    return next;
  }

  /**
   * Reconciles the cases that documents recorded after the mark, and deadlines passed since it,
   * touch; `CASES_PER_WRITE` seeds at a time, each applied in its own write, the mark moving with
   * each. A run that fails part way starts again from where the mark stands. Reconciling a case again
   * changes nothing, so a document taken twice costs time, not correctness.
   */
  private async byCase(range: Required<RunRange>, mark: Mark): Promise<RunReport> {
    const started = Date.now();
    const ctx = await this.context(range.asOf);
    const report: RunReport = {
      from: range.from,
      to: range.to,
      asOf: iso(range.asOf),
      ms: 0,
      result: { opened: 0, reopened: 0, updated: 0, resolved: 0 },
      summary: { documents: 0, fields: { matched: 0, 'within-tolerance': 0, exception: 0 }, findings: {} },
    };
    const add = (r: { result: ReconRunResult; summary: ReconcileSummary }) => {
      for (const k of Object.keys(report.result) as Array<keyof ReconRunResult>) report.result[k] += r.result[k];
      report.summary.documents += r.summary.documents;
      for (const k of Object.keys(report.summary.fields) as MatchResult[]) report.summary.fields[k] += r.summary.fields[k];
      for (const [rule, n] of Object.entries(r.summary.findings)) report.summary.findings[rule] = (report.summary.findings[rule] ?? 0) + n;
    };
    // each case once per run: a document already read with an earlier case is no seed again
    const done = new Set<number>();
    // seeds are keys alone (listDocumentKeys): their documents are read once, with their cases
    const take = async (docs: readonly DocumentKey[]) => {
      const seeds = [...new Set(docs.filter((d) => !done.has(d.id)).map((d) => ref(d.kind, d.key)))];
      if (seeds.length === 0) return;
      const read = await this.caseOf(seeds);
      for (const d of read) done.add(d.id);
      for (const batch of batches(casesOf(read), CASES_PER_WRITE)) {
        await setImmediate();
        add(await this.reconcileCases(batch, range, ctx));
      }
    };
    const due: DocumentKey[] = [];
    for (const [kind, deadlines] of this.deadlines())
      for (const d of deadlines)
        for (const lag of SWEEP_LAGS)
          due.push(
            ...(await this.o.store.listDocumentKeys({
              kinds: [kind],
              after: iso(mark.asOf - d - lag),
              through: iso(range.asOf - d - lag),
              limit: 1_000_000,
            })),
          );
    for (let i = 0; i < due.length; i += CASES_PER_WRITE) await take(due.slice(i, i + CASES_PER_WRITE));
    mark.asOf = range.asOf;
    // Ids a writer had taken but not committed when a higher one was read: looked for again until
    // SETTLE_MS has passed (an insert that conflicted or rolled back leaves its id unused for good).
    const holes = [...mark.holes.keys()];
    for (let i = 0; i < holes.length; i += REFS_PER_QUERY) {
      const late = await this.o.store.listDocumentKeys({ ids: holes.slice(i, i + REFS_PER_QUERY), limit: REFS_PER_QUERY });
      for (let j = 0; j < late.length; j += CASES_PER_WRITE) {
        const chunk = late.slice(j, j + CASES_PER_WRITE);
        await take(chunk);
        for (const d of chunk) mark.holes.delete(d.id);
      }
    }
    for (const [id, at] of mark.holes) if (at < range.asOf - SETTLE_MS) mark.holes.delete(id);
    for (;;) {
      await setImmediate();
      const fresh = await this.o.store.listDocumentKeys({ afterId: mark.cursor, limit: CASES_PER_WRITE });
      if (fresh.length === 0) break;
      await take(fresh.filter((d) => !mark.taken.delete(d.id)));
      for (const d of fresh) {
        if (d.id - mark.cursor - 1 <= MAX_HOLES) for (let id = mark.cursor + 1; id < d.id; id++) mark.holes.set(id, range.asOf);
        mark.cursor = d.id;
      }
    }
    mark.taken.clear();
    report.ms = Date.now() - started;
    this.last = report;
    return report;
  }

  /** Reconciles whole cases and applies what it finds to them alone, in one write. */
  private async reconcileCases(
    docs: readonly CaseDocument[],
    range: Required<RunRange>,
    ctx: ReconcileContext,
  ): Promise<{ result: ReconRunResult; summary: ReconcileSummary }> {
    const { findings, summary } = reconcileDocuments(docs, ctx);
    const inRange = findings.filter((f) => f.businessDate >= range.from && f.businessDate <= range.to);
    const run = { from: range.from, to: range.to, scope: [...new Set(docs.flatMap((d) => d.refs))] };
    // most cases agree: nothing found, and nothing open to resolve (a read here, not a write there)
    const result =
      inRange.length === 0 && !(await this.o.store.openReconExceptionsIn(run))
        ? { opened: 0, reopened: 0, updated: 0, resolved: 0 }
        : await this.o.store.applyReconRun({ ...run, findings: inRange, actor: range.actor });
    return { result, summary };
  }

  /** Every document of the cases of these references: those that share a reference, transitively, in id order. */
  private async caseOf(seeds: readonly string[]): Promise<CaseDocument[]> {
    const known = new Set(seeds);
    const docs = new Map<number, CaseDocument>();
    for (let frontier = [...seeds]; frontier.length > 0;) {
      const found = await this.o.store.caseDocuments(frontier);
      frontier = [];
      for (const d of found) {
        if (docs.has(d.id)) continue;
        docs.set(d.id, d);
        for (const r of d.refs) {
          if (known.has(r)) continue;
          known.add(r);
          frontier.push(r);
        }
      }
    }
    return [...docs.values()].sort((a, b) => a.id - b.id);
  }

  /** The deadlines that make a document late, by the kind they run from: every value any partner or facility has. */
  private deadlines(): Array<[BusinessDocumentKind, number[]]> {
    const c = this.o.config;
    const facilities = Object.values(c.facilities);
    const distinct = (values: Array<number | undefined>) => [...new Set(values.filter((v): v is number => v !== undefined))];
    return [
      ['purchase-order', distinct([c.poAckDeadline, c.asnDeadline, ...this.o.partners.flatMap((p) => [p.poAckDeadline, p.asnDeadline])])],
      ['usage', distinct([c.chargeDeadline, c.inventoryDeadline, ...facilities.flatMap((f) => [f.chargeDeadline, f.inventoryDeadline])])],
    ];
  }

  /**
   * Runs at once, then every `interval`; not while processing has a backlog, unless it was put off
   * `MAX_DEFERRED` times in a row (ADR 0026).
   */
  start(): void {
    if (!this.o.config.enabled || this.timer) return;
    const tick = async () => {
      if (!(await this.leading())) return;
      if (this.mark && this.o.busy?.() && ++this.deferred < MAX_DEFERRED) return;
      const deferred = this.deferred;
      this.deferred = 0;
      const r = await this.continuous();
      if (deferred > 0) this.o.log.info({ ms: r.ms, deferred, ...r.result }, 'reconciliation ran after waiting for a processing backlog');
      else this.o.log.debug({ ms: r.ms, documents: r.summary.documents, ...r.result }, 'reconciliation run');
    };
    // one tick at a time: a tick still waiting for Redis or for its run lets the next interval pass
    let ticking = false;
    const run = () => {
      if (ticking) return;
      ticking = true;
      tick()
        .catch((err: unknown) =>
          this.o.log.warn({ err: (err as Error).message }, 'reconciliation run failed; retried at the next interval'),
        )
        .finally(() => (ticking = false));
    };
    this.timer = setInterval(run, this.o.config.interval);
    this.timer.unref();
    run();
  }

  /**
   * Whether this process runs continuous reconciliation: always without leases, else while it holds
   * the lease. A process that does not hold it forgets its mark, so when it takes over it starts
   * with a whole-window run: the holder before it moved on.
   */
  private async leading(): Promise<boolean> {
    const leases = this.o.leases;
    if (!leases || this.lease?.held()) return true;
    this.mark = undefined;
    const lease = await leases.tryAcquire('reconciliation', {
      ttlMs: LEASE_TTL_MS,
      onLost: (reason) => this.o.log.warn({ reason }, 'reconciliation lease lost; another engine process runs it'),
    });
    // never drop a lease this process holds: it would go on renewing it, and nobody would run
    if (lease) this.lease = lease;
    return lease !== undefined;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.lease?.release().catch(() => undefined);
  }
}
