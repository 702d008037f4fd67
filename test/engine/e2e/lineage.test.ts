import { expect } from 'chai';
import { appendFileSync, existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MllpClient } from '../../../channels/mllp/client.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { silentLogger } from '../../../lib/log.js';
import type { CanonicalDocument } from '../../../model/index.js';
import { startFhirServer, type FhirServer } from '../../support/fhir-server.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { fromAcme, onHandRouter, sample, testConfigDir, waitFor } from './support.js';

const TOKEN = 'lineage-admin-token-0123456789abcdef';
const PO = 'RPL-OR20261121-0042';
const EVENT = 'OR20261121-0042';

const item = { buyerItem: '100234', vendorItem: 'AC-77812' };

/**
 * The life of an implant through the shipped configuration (flow 1 and flow 2), read back through
 * `GET /api/lineage`: the engine with SQLite and a real Redis, the ERP as an HTTP sink, the billing
 * server (@medplum in memory: a handful of requests, never a load next to the sink the test waits
 * on), Acme's drop folder on disk.
 */
describe('lineage and reconciliation of the shipped flows', function () {
  this.timeout(400_000);
  let redis: TestRedis;
  let erp: HttpSink;
  let billing: FhirServer;
  let engine: Engine;
  let cfg: ReturnType<typeof testConfigDir>;
  let admin: string;
  let client: MllpClient;

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${admin}${path}`, { ...init, headers: { Authorization: `Bearer ${TOKEN}`, ...(init.headers ?? {}) } });
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      text,
      body: /json/.test(res.headers.get('content-type') ?? '') ? (JSON.parse(text) as any) : undefined,
    };
  };
  const drop = (name: string, text: string) => {
    const inbox = join(cfg.dataDir, 'edi', 'acme-medical', 'in');
    writeFileSync(join(inbox, `.${name}.tmp`), text, 'latin1');
    renameSync(join(inbox, `.${name}.tmp`), join(inbox, name));
  };

  before(async () => {
    redis = await getRedis();
    erp = await startHttpSink();
    billing = await startFhirServer();
    erp.route(onHandRouter({ '100234': 2, '100567': 9, '100890': 9, '100912': 9, '200145': 80 }), { record: false });
    erp.setDefault({ status: 200, body: '{"ok":true}' });
    cfg = testConfigDir({ redisUrl: redis.url, prefix: uniquePrefix(), token: TOKEN, keep: ['supplier-inbound'] });
    // Continuous reconciliation every second, so the test sees it open and resolve exceptions by itself.
    appendFileSync(join(cfg.dir, 'engine.yaml'), 'reconciliation: { interval: 1s, window: 400d }\n');
    engine = await Engine.start({
      configDir: cfg.dir,
      env: { ...process.env, MLLP_PORT: '0', ADMIN_PORT: '0', ERP_URL: erp.url, FHIR_URL: billing.baseUrl, INTERLACE_DATA: cfg.dataDir },
      log: silentLogger,
    });
    expect(engine.refused).to.deep.equal([]);
    admin = `http://127.0.0.1:${engine.adminAddress()!.port}`;
    client = new MllpClient({ host: '127.0.0.1', port: engine.channels.get('or-implant-charges')!.address()!.port, timeout: 10_000 });
  });
  after(async () => {
    await client?.close();
    await engine?.stop();
    await erp?.close();
    await billing?.close();
    cfg?.cleanup();
    await redis?.stop();
  });

  it('a usage event shows its charges, its replenishment order and the 850, and what the order still waits for', async () => {
    await client.send(sample('dft-p03-hip-implant.hl7'));
    const out = join(cfg.dataDir, 'edi', 'acme-medical', 'out');
    await waitFor(
      'the 850 in the partner folder',
      () => (existsSync(out) ? readdirSync(out).find((f) => readFileSync(join(out, f), 'latin1').includes(`BEG*00*SA*${PO}`)) : undefined),
      120_000,
    );
    const chain = await waitFor(
      'every delivery of the usage message',
      async () => {
        const c = (await api(`/api/lineage/usage/${EVENT}`)).body;
        return c?.messages?.[0]?.status === 'delivered' ? c : undefined;
      },
      120_000,
    );
    const keys = chain.documents.map((d: any) => `${d.kind}:${d.key}`).sort();
    expect(keys).to.deep.equal([
      `charge:TX20261121001`,
      `charge:TX20261121002`,
      `charge:TX20261121003`,
      `charge:TX20261121004`,
      `charge:TX20261121005`,
      `inventory-posting:${EVENT}`,
      `purchase-order:${PO}`,
      `usage:${EVENT}`,
    ]);
    expect(chain.documents.filter((d: any) => d.kind === 'charge').every((d: any) => d.deliveryState === 'delivered')).to.equal(true);
    // The usage posted to the ERP once (the erp-usage route sends: inventory-posting), every line of it.
    const posting = chain.documents.find((d: any) => d.kind === 'inventory-posting');
    expect(posting).to.include({ deliveryState: 'delivered' });
    expect(posting.data.lines.map((l: any) => l.line)).to.deep.equal([1, 2, 3, 4, 5]);
    const [message] = chain.messages;
    expect(message.deliveries.map((d: any) => [d.route, d.state]).sort()).to.deep.equal([
      ['billing-charges', 'delivered'],
      ['erp-usage', 'delivered'],
      ['replenishment-acme-medical', 'delivered'],
    ]);
    expect(message.expectations.map((e: any) => e.expected).sort()).to.deep.equal(['855', '856', '997']);
    // The order was placed 2026-11-21: its 855 (48 h) is late after 2026-11-23, nothing has shipped, nothing is billed.
    const late = Date.now() > Date.parse('2026-11-23T00:00:00Z');
    const missing = chain.missing.map((m: any) => `${m.kind}:${m.for.key}:${m.state}`).sort();
    expect(missing).to.include(`po-ack:${PO}:${late ? 'late' : 'pending'}`);
    expect(missing).to.include(`invoice:${PO}:pending`);
    expect(missing.filter((m: string) => m.startsWith('charge:') || m.startsWith('inventory-posting:'))).to.deep.equal([]);
    // The same chain from the charge a denied claim names: back to the usage, the lot and the order.
    const fromCharge = (await api('/api/lineage/charge/TX20261121001')).body;
    expect(fromCharge.documents.map((d: any) => `${d.kind}:${d.key}`)).to.include.members([`usage:${EVENT}`, `purchase-order:${PO}`]);
    const usage = fromCharge.documents.find((d: any) => d.kind === 'usage');
    expect(usage.data.lines.find((l: any) => l.transactionId === 'TX20261121001').lot).to.be.a('string');
    // The processing thread's continuous run opens the late 855 by itself.
    if (late) {
      const open = await waitFor(
        'the continuous run to open the late 855',
        async () => (await api(`/api/reconciliation/exceptions?rule=po-ack-missing&document=${PO}`)).body.exceptions[0],
        120_000,
      );
      expect(open).to.include({ state: 'open', ownerRole: 'supply-chain', docKind: 'purchase-order' });
    }
  });

  it("the supplier's 855, 856 and 810 join the order's chain; reconciliation finds the price billed above the order", async () => {
    const po = { type: 'purchase-order', number: PO, date: '2026-11-21' };
    drop(
      '855.x12',
      fromAcme(
        {
          kind: 'po-ack',
          purpose: '00',
          status: 'AD',
          purchaseOrder: po,
          ackDate: '2026-11-22',
          lines: [
            {
              line: '1',
              item,
              quantityOrdered: { value: '3', unit: 'EA' },
              unitPrice: { amount: '2450.00' },
              statuses: [{ code: 'IA', quantity: { value: '3', unit: 'EA' } }],
            },
          ],
        } as CanonicalDocument,
        9101,
      ),
    );
    drop(
      '856.x12',
      fromAcme(
        {
          kind: 'ship-notice',
          purpose: '00',
          shipmentId: 'SHP-E2E-0001',
          shippedAt: '2026-11-23',
          orders: [
            { purchaseOrder: po, packs: [], items: [{ line: '1', item, quantityShipped: { value: '3', unit: 'EA' }, lot: 'L24K0917' }] },
          ],
        } as CanonicalDocument,
        9102,
      ),
    );
    drop(
      '810.x12',
      fromAcme(
        {
          kind: 'invoice',
          number: 'INV-E2E-0001',
          invoiceDate: '2026-11-24',
          purchaseOrder: po,
          lines: [{ line: '1', item, quantity: { value: '3', unit: 'EA' }, unitPrice: { amount: '2499.00' } }],
          total: { amount: '7497.00' },
        } as CanonicalDocument,
        9103,
      ),
    );
    const chain = await waitFor(
      'the 855, 856 and 810 in the order chain',
      async () => {
        const c = (await api(`/api/lineage/purchase-order/${PO}`)).body;
        const kinds = new Set((c?.documents ?? []).map((d: any) => d.kind));
        return kinds.has('po-ack') && kinds.has('ship-notice') && kinds.has('invoice') ? c : undefined;
      },
      120_000,
    );
    expect(chain.missing.filter((m: any) => m.for.key === PO)).to.deep.equal([]);
    const sent = chain.messages.find((m: any) => m.deliveries.some((d: any) => d.route === 'replenishment-acme-medical'));
    expect(sent.acks.filter((a: any) => a.direction === 'received').map((a: any) => a.kind)).to.include('855');

    const run = await api('/api/reconciliation/run?from=2026-11-01&to=2026-11-30', { method: 'POST' });
    expect(run.status).to.equal(200);
    expect(run.body.summary.findings).to.deep.equal({ 'three-way-mismatch': 1 });
    const list = (await api('/api/reconciliation/exceptions?rule=three-way-mismatch&state=open')).body.exceptions;
    expect(list.map((e: any) => [e.docKey, e.line, e.field, e.expected, e.actual, e.partner, e.ownerRole])).to.deep.equal([
      ['INV-E2E-0001', '1', 'unitPrice', '2450', '2499', 'acme-medical', 'accounts-payable'],
    ]);
    const match = (await api(`/api/reconciliation/match/${PO}`)).body;
    expect(match.lines[0]).to.include({ line: '1', quantity: 3, price: 2450, received: 3 });
    expect(match.invoices[0].lines.map((l: any) => `${l.field}:${l.result}`)).to.deep.equal(['quantity:matched', 'unitPrice:exception']);
    // Nothing else in the month is wrong: every charge was accepted, the order was answered and shipped.
    const others = (await api('/api/reconciliation/exceptions?state=open&from=2026-11-01&to=2026-11-30')).body.exceptions;
    expect(others.map((e: any) => e.rule)).to.deep.equal(['three-way-mismatch']);
    // The late 855 the continuous run had opened is resolved, with the reason, now that the 855 is here.
    const ackLate = (await api(`/api/reconciliation/exceptions?rule=po-ack-missing&document=${PO}`)).body.exceptions;
    for (const e of ackLate) expect(e).to.include({ state: 'resolved', resolution: 'no longer found by reconciliation' });

    // The analyst works it: acknowledged, then resolved with a reason; a run again leaves it resolved.
    const id = list[0].id;
    expect((await api(`/api/reconciliation/exceptions/${id}/resolve`, { method: 'POST' })).status).to.equal(400);
    expect((await api(`/api/reconciliation/exceptions/${id}/acknowledge?actor=ap1`, { method: 'POST' })).body.state).to.equal(
      'acknowledged',
    );
    const resolved = (
      await api(`/api/reconciliation/exceptions/${id}/resolve?actor=ap1&reason=credit%20memo%20requested`, { method: 'POST' })
    ).body;
    expect(resolved).to.include({ state: 'resolved', resolution: 'credit memo requested' });
    expect(resolved.events.map((e: any) => e.action)).to.deep.equal(['opened', 'acknowledged', 'resolved']);
    expect(resolved.events.slice(1).map((e: any) => e.actor)).to.deep.equal(['ap1', 'ap1']);
    await api('/api/reconciliation/run?from=2026-11-01&to=2026-11-30', { method: 'POST' });
    expect((await api(`/api/reconciliation/exceptions/${id}`)).body.state).to.equal('resolved');

    const csv = await api('/api/reconciliation/report.csv?from=2026-11-01&to=2026-11-30');
    expect(csv.type).to.match(/^text\/csv/);
    const rows = csv.text.split('\r\n');
    expect(rows[0]).to.equal('day,facility,supplier,rule,owner_role,open,acknowledged,resolved,total');
    expect(rows).to.include('2026-11-24,,acme-medical,three-way-mismatch,accounts-payable,0,0,1,1');
    expect(rows[rows.length - 1]).to.equal('');
  });

  it('answers bad lineage and reconciliation requests with one clear sentence', async () => {
    expect((await api('/api/lineage/pallet/1')).body.error.code).to.equal('invalid-kind');
    expect((await api('/api/lineage/invoice/NOPE')).status).to.equal(404);
    expect((await api('/api/reconciliation/run?from=2026-13', { method: 'POST' })).body.error).to.deep.equal({
      code: 'invalid-date',
      message: 'from "2026-13" is not a date (YYYY-MM-DD)',
    });
    expect((await api('/api/reconciliation/run?from=2026-11-01&to=2026-11-30&asOf=soon', { method: 'POST' })).body.error).to.deep.equal({
      code: 'invalid-date',
      message: 'asOf "soon" is not a date (YYYY-MM-DD) or a time (ISO 8601)',
    });
    // a run as of a given day: its deadlines and the documents it reads end there
    const asOf = await api('/api/reconciliation/run?from=2026-11-01&to=2026-11-30&asOf=2026-12-10', { method: 'POST' });
    expect([asOf.status, asOf.body.asOf]).to.deep.equal([200, '2026-12-10T00:00:00.000Z']);
    expect((await api('/api/reconciliation/exceptions?state=closed')).status).to.equal(400);
    expect((await api('/api/reconciliation/exceptions/999999')).status).to.equal(404);
    expect((await fetch(`${admin}/api/lineage/usage/${EVENT}`)).status).to.equal(401);
  });
});
