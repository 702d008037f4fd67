/**
 * `npm run bench -- reconcile-daemon`: the generated month (bench/reconcile/month.ts) through a
 * running engine on the shipped configuration (a copy of config/, since the item master's table
 * routes rewrite its CSV files), as a hospital would feed it:
 *
 * - the month's item master as a CSV in the item-master-sync channel's folder (the OR flow's lookup
 *   tables and the charge master come from it);
 * - the replenishment orders as canonical JSON POSTed to the supplier-po-out channel (the ERP's
 *   purchase orders, written as 850s);
 * - the OR cases as DFT^P03 over MLLP to or-implant-charges, whose routes post usage to the ERP sink
 *   and ChargeItem transactions to the billing server (bench/sink.ts, which refuses and rebooks what
 *   the month says);
 * - the suppliers' 855/856/810 in the supplier-inbound drop folder, the payer's 835 in the
 *   payer-remittance drop folder;
 * - then the resends and second bills, once the first wave is processed.
 *
 * It waits until the engine has processed everything (GET /api/channels), asks for an on-demand
 * reconciliation of November (POST /api/reconciliation/run), reads the open exceptions
 * (GET /api/reconciliation/exceptions) and prints the same score as the in-process bench
 * (bench/reconcile/index.ts), with the faults the engine prevented (a case it refused to route twice).
 *
 * Environment: RECON_PROCEDURES (default 1000: the shipped OR channel's end-to-end rate bounds what
 * fits in a few minutes, docs/reconciliation.md), RECON_SEED, RECON_WAIT_S (how long to wait for the
 * engine to process each wave, default 900), REDIS_URL / BENCH_REDIS_DB (bench/redis-choice.ts).
 */
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ReconException } from '../../engine/store/index.js';
import { freePort, startEngineChild, type EngineChild } from '../engine-child.js';
import { envCount, figure, sleep } from '../figures.js';
import { runMllpLoad } from '../mllp-load.js';
import { chooseRedis } from '../redis-choice.js';
import { startCountingSinkProcess, type Refusals } from '../sink.js';
import { printScore, score } from './index.js';
import { generateMonth, type GeneratedMessage, type Month } from './month.js';

const RANGE = { from: '2026-11-01', to: '2026-11-30' };
/** As the in-process bench: the month reconciled on 2026-12-10, after the payer's last 835 of it. */
const AS_OF = '2026-12-10';
/** Interchanges per file dropped in a partner folder (the channels split files per ISA…IEA). */
const PER_FILE = 200;

/** A channel's counts as GET /api/channels gives them: `received` is every message stored, `queued` those not processed or not delivered yet. */
type Counts = {
  received: number;
  queued: number;
  delivered: number;
  errored: number;
  filtered: number;
  rejected: number;
  duplicate: number;
};

/** What the ERP sink and the billing server refuse or book otherwise, from the month's own answers and faults. */
export function refusalsOf(month: Month): Refusals {
  const usage: string[] = [];
  const charges: string[] = [];
  const altered: NonNullable<Refusals['altered']> = {};
  const byControlId = new Map(month.messages.filter((m) => m.channel === 'or-implant-charges').map((m) => [m.controlId, m]));
  for (const m of byControlId.values()) for (const d of m.deliveries) if (d.route === 'erp-usage' && !d.accepted) usage.push(m.controlId);
  for (const f of month.faults) {
    if (f.kind === 'charge-missing') {
      // the generator leaves the line out of the bundle; the engine bills every line it is sent, so
      // the billing server refuses the case's transaction instead
      const m = byControlId.get(f.docKey);
      const tx = m ? transactionIds(m)[Number(f.line) - 1] : undefined;
      if (tx) charges.push(tx);
    }
    if (f.kind === 'charge-mismatch') {
      // the generator bills another quantity or account; here the billing server books it so
      const sent = [...byControlId.values()]
        .flatMap((m) => m.deliveries.filter((d) => d.route === 'billing-charges'))
        .flatMap((d) => (d.body as { entry: Array<{ resource: ChargeResource }> }).entry.map((e) => e.resource))
        .find((r) => r.identifier[0]!.value === f.docKey);
      if (sent) altered[f.docKey] = { quantity: sent.quantity.value, account: sent.account[0]!.identifier.value };
    }
  }
  return { usage, charges, altered };
}

type ChargeResource = {
  identifier: Array<{ value: string }>;
  quantity: { value: number };
  account: Array<{ identifier: { value: string } }>;
};

/** FT1-2 of each FT1 segment of a DFT^P03, in order. */
function transactionIds(m: GeneratedMessage): string[] {
  return m.raw
    .toString('latin1')
    .split('\r')
    .filter((s) => s.startsWith('FT1|'))
    .map((s) => s.split('|')[2]!);
}

/** The month's item master as the item-master-sync channel reads it (its layout's columns). */
function itemMasterCsv(month: Month): string {
  const columns = [
    'item_id',
    'description',
    'stock_uom',
    'purchase_uom',
    'conversion',
    'vendor_part',
    'charge_code',
    'price',
    'implant',
    'supplier',
  ];
  const charge = new Map(month.tables.chargemaster!.rows.map((r) => [r.item!, r.charge_code!]));
  const rows = month.tables['item-master']!.rows.map((r) =>
    [
      r.item,
      r.description,
      r.unit,
      r.purchase_uom,
      r.conversion,
      `V-${r.item!}`,
      charge.get(r.item!) ?? '',
      r.price,
      r.description!.startsWith('IMPLANT') ? 'Y' : 'N',
      r.supplier,
    ].join(','),
  );
  return [columns.join(','), ...rows].join('\n') + '\n';
}

/** Writes interchanges into a partner's inbound folder, PER_FILE to a file, each file renamed into place whole. */
function dropX12(dir: string, name: string, messages: readonly GeneratedMessage[]): number {
  mkdirSync(dir, { recursive: true });
  let files = 0;
  for (let i = 0; i < messages.length; i += PER_FILE) {
    const tmp = join(dir, `.${name}-${files}.part`);
    writeFileSync(tmp, Buffer.concat(messages.slice(i, i + PER_FILE).map((m) => m.raw)));
    renameSync(tmp, join(dir, `${name}-${files}.x12`));
    files++;
  }
  return files;
}

/** POSTs the ERP's purchase orders to the supplier-po-out channel, 4 at a time; throws on a refusal. */
async function postOrders(port: number, orders: readonly GeneratedMessage[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < orders.length) {
        const m = orders[next++]!;
        const res = await fetch(`http://127.0.0.1:${port}/purchase-orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-message-id': m.controlId, 'x-sender': 'ERP' },
          body: new Uint8Array(m.raw),
        });
        if (!res.ok) throw new Error(`supplier-po-out answered ${res.status} to ${m.controlId}: ${await res.text()}`);
      }
    }),
  );
}

async function channelCounts(engine: EngineChild): Promise<Map<string, Counts>> {
  const body = (await engine.admin('/api/channels')) as { channels: Array<{ name: string; counts: Counts }> };
  return new Map(body.channels.map((c) => [c.name, c.counts]));
}

/**
 * Waits until every channel holds at least `expected` messages and none is queued (waiting for
 * processing, or with a delivery pending or retrying). Throws with the counts when `RECON_WAIT_S` passes.
 */
async function processed(engine: EngineChild, expected: ReadonlyMap<string, number>): Promise<void> {
  const deadline = Date.now() + envCount('RECON_WAIT_S', 900) * 1000;
  for (;;) {
    // the admin API may start listening after the MLLP port the engine child waited for
    const counts = await channelCounts(engine).catch(() => new Map<string, Counts>());
    const done = [...expected].every(([name, n]) => (counts.get(name)?.received ?? 0) >= n);
    if (done && [...counts.values()].every((c) => c.queued === 0)) return;
    if (Date.now() > deadline)
      throw new Error(
        `the engine has not processed the month within RECON_WAIT_S: ${JSON.stringify(Object.fromEntries(counts))}, expected ${JSON.stringify(Object.fromEntries(expected))}`,
      );
    await sleep(1000);
  }
}

/** Every open exception of the month, through the API's pages. */
async function openExceptions(engine: EngineChild): Promise<ReconException[]> {
  const all: ReconException[] = [];
  let after: number | null = null;
  do {
    const page = (await engine.admin(
      `/api/reconciliation/exceptions?state=open&from=${RANGE.from}&to=${RANGE.to}&limit=10000${after === null ? '' : `&after=${after}`}`,
    )) as { exceptions: ReconException[]; next: number | null };
    all.push(...page.exceptions);
    after = page.next;
  } while (after !== null);
  return all;
}

/** Control ids the engine answered and stored as `duplicate` (same control id, or the same case: ADR 0019). */
async function duplicates(engine: EngineChild): Promise<Set<string>> {
  const body = (await engine.admin('/api/messages?channel=or-implant-charges&status=duplicate&limit=1000')) as {
    messages: Array<{ controlId?: string }>;
  };
  return new Set(body.messages.map((m) => m.controlId ?? ''));
}

/** One wave: orders over HTTP, cases over MLLP, X12 into the drop folders; then waits for the engine. */
async function sendWave(
  engine: EngineChild,
  o: { poPort: number; dataDir: string; wave: number },
  messages: readonly GeneratedMessage[],
  expected: Map<string, number>,
): Promise<void> {
  const of = (channel: string) => messages.filter((m) => m.channel === channel);
  const add = (channel: string, n: number) => expected.set(channel, (expected.get(channel) ?? 0) + n);
  const orders = of('supplier-po-out');
  await postOrders(o.poPort, orders);
  add('supplier-po-out', orders.length);
  const cases = of('or-implant-charges');
  if (cases.length > 0) {
    const r = await runMllpLoad({
      port: engine.mllpPort,
      messages: 0,
      runId: '',
      connections: 4,
      frames: cases.map((m) => [m.controlId, m.raw]),
    });
    if (r.acked !== cases.length) throw new Error(`${cases.length - r.acked} of ${cases.length} OR cases were not acknowledged`);
    add('or-implant-charges', cases.length);
  }
  const supplier = of('supplier-inbound');
  dropX12(join(o.dataDir, 'edi', 'acme-medical', 'in'), `suppliers-${o.wave}`, supplier);
  add('supplier-inbound', supplier.length);
  const remittances = of('payer-remittance');
  dropX12(join(o.dataDir, 'edi', 'lakeshore-health-plan', 'in'), `remittance-${o.wave}`, remittances);
  add('payer-remittance', remittances.length);
  await processed(engine, expected);
}

export async function reconcileDaemonFigures(root: string): Promise<void> {
  const procedures = envCount('RECON_PROCEDURES', 1000);
  const seed = envCount('RECON_SEED', 20_261_101);
  const month = generateMonth(seed, procedures);
  for (const [k, v] of Object.entries(month.counts)) figure(`recon_${k}`, v, 'count');
  const bypassed = month.messages.filter((m) => m.channel === 'erp-receipts');
  figure('recon_messages', month.messages.length - bypassed.length, 'messages');
  // no shipped channel takes the ERP's own receipts (docs/reconciliation.md)
  figure('recon_receipts_not_sent', bypassed.length, 'messages');

  const dataDir = mkdtempSync(join(tmpdir(), 'interlace-recon-daemon-'));
  const redis = await chooseRedis();
  const sink = await startCountingSinkProcess(2, refusalsOf(month));
  const poPort = await freePort();
  let engine: EngineChild | undefined;
  try {
    // a copy of config/: the item-master-sync channel's table routes write the tables' CSV files back
    const configDir = join(dataDir, 'config');
    cpSync(join(root, 'config'), configDir, { recursive: true });
    engine = await startEngineChild({
      root,
      configDir,
      dataDir,
      redisUrl: redis.url,
      erpUrl: sink.url,
      fhirUrl: `${sink.url}/fhir`,
      env: { PO_HTTP_PORT: String(poPort) },
    });
    const expected = new Map<string, number>();
    const t = performance.now();
    // the item master first: a case whose items the tables do not know yet waits as unknown-item
    const folder = join(dataDir, 'flat', 'item-master', 'in');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, '.items.part'), itemMasterCsv(month));
    renameSync(join(folder, '.items.part'), join(folder, 'items.csv'));
    expected.set('item-master-sync', month.tables['item-master']!.rows.length);
    await processed(engine, expected);
    figure('recon_daemon_item_master_s', Math.round((performance.now() - t) / 100) / 10, 's');
    const sent = month.messages.filter((m) => m.channel !== 'erp-receipts');
    for (const wave of [1, 2]) {
      const w = performance.now();
      await sendWave(
        engine,
        { poPort, dataDir, wave },
        sent.filter((m) => (wave === 2) === (m.later === true)),
        expected,
      );
      figure(`recon_daemon_wave${wave}_s`, Math.round((performance.now() - w) / 100) / 10, 's');
    }
    const ingestS = (performance.now() - t) / 1000;
    figure('recon_daemon_processed_s', Math.round(ingestS), 's');
    figure('recon_daemon_rate', Math.round(sent.length / ingestS), 'msg/s');
    const counts = await channelCounts(engine);
    for (const [name, c] of [...counts].sort(([a], [b]) => a.localeCompare(b)))
      for (const status of ['errored', 'duplicate'] as const)
        if (c[status]) figure(`recon_daemon_${name}_${status}`, c[status], 'messages');

    const report = (await engine.admin(`/api/reconciliation/run?from=${RANGE.from}&to=${RANGE.to}&asOf=${AS_OF}&actor=bench`, 'POST')) as {
      ms: number;
      summary: { documents: number; fields: Record<string, number> };
    };
    figure('recon_documents', report.summary.documents, 'documents');
    figure('recon_fields_matched', report.summary.fields.matched ?? 0, 'fields');
    figure('recon_fields_within_tolerance', report.summary.fields['within-tolerance'] ?? 0, 'fields');
    figure('recon_fields_exception', report.summary.fields.exception ?? 0, 'fields');
    figure('recon_month_ms', report.ms, 'ms');
    const exceptions = await openExceptions(engine);
    figure('recon_exceptions_open', exceptions.length, 'exceptions');
    // the same case received again (the downtime feed's copy) that the engine answered but never routed
    const refusedTwice = await duplicates(engine);
    const prevented = (f: { kind: string; docKey: string }) => f.kind === 'inventory-duplicate' && refusedTwice.has(f.docKey);
    printScore(month.faults, exceptions, score(month.faults, exceptions, prevented), prevented);
    const code = await engine.stop(30_000);
    if (code !== 0) console.error(`engine exited with ${code}; log tail:\n${engine.logTail()}`);
  } catch (err) {
    if (engine) console.error(`engine log tail:\n${engine.logTail(40)}`);
    await engine?.stop(5000);
    throw err;
  } finally {
    await sink.close();
    await redis.cleanup().catch(() => undefined);
    if (!process.env.RECON_KEEP) rmSync(dataDir, { recursive: true, force: true });
    else console.error(`data kept in ${dataDir}`);
  }
}
