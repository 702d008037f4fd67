import { expect } from 'chai';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { MllpClient } from '../../../channels/mllp/client.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { silentLogger } from '../../../lib/log.js';
import type { CanonicalDocument } from '../../../model/index.js';
import { launchChromium, SHOTS } from '../../support/browser.js';
import { startFhirServer, type FhirServer } from '../../support/fhir-server.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { fromAcme, onHandRouter, sample, testConfigDir, waitFor } from '../e2e/support.js';

const TOKEN = 'console-lineage-token-0123456789';
const PASSWORD = 'lineage password 0123';
const EVENT = 'OR20261121-0042';
const PO = 'RPL-OR20261121-0042';
const CHARGE = 'TX20261121001';

/**
 * The lineage timeline in a real browser: the shipped OR case through the engine (ERP posting,
 * ChargeItems, the replenishment 850), Acme's 855 and 856 from its drop folder, and the payer's 835
 * denying the claim from its drop folder. A revenue-integrity analyst opens the claim-denied
 * exception and, in one click, sees the charge's life back to the lot, the order and the ship notice.
 */
describe('web console: lineage timeline of an implant and a denied claim (Chromium)', function () {
  this.timeout(300_000);
  let redis: TestRedis;
  let erp: HttpSink;
  let billing: FhirServer;
  let engine: Engine;
  let client: MllpClient;
  let cfg: ReturnType<typeof testConfigDir>;
  let browser: Browser;
  let page: Page;
  let base: string;

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${path}`, { ...init, headers: { Authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, body: (await res.json()) as any };
  };
  const drop = (partner: string, name: string, text: string) => {
    const inbox = join(cfg.dataDir, 'edi', partner, 'in');
    writeFileSync(join(inbox, `.${name}.tmp`), text, 'latin1');
    renameSync(join(inbox, `.${name}.tmp`), join(inbox, name));
  };
  const shot = (name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });

  before(async function () {
    const launched = await launchChromium();
    if (!launched) return this.skip();
    browser = launched;
    redis = await getRedis();
    erp = await startHttpSink();
    billing = await startFhirServer();
    // 100234 is below par after the case: the OR channel orders it from Acme (the 850).
    erp.route(onHandRouter({ '100234': 2 }), { record: false });
    erp.setDefault({ status: 200, body: '{"ok":true}' });
    cfg = testConfigDir({ redisUrl: redis.url, prefix: uniquePrefix(), token: TOKEN, keep: ['supplier-inbound', 'payer-remittance'] });
    engine = await Engine.start({
      configDir: cfg.dir,
      env: { ...process.env, MLLP_PORT: '0', ADMIN_PORT: '0', ERP_URL: erp.url, FHIR_URL: billing.baseUrl, INTERLACE_DATA: cfg.dataDir },
      log: silentLogger,
    });
    expect(engine.refused).to.deep.equal([]);
    base = `http://127.0.0.1:${engine.adminAddress()!.port}`;
    client = new MllpClient({ host: '127.0.0.1', port: engine.channels.get('or-implant-charges')!.address()!.port, timeout: 15_000 });
    const res = await fetch(`${base}/api/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'rina', role: 'analyst', password: PASSWORD }),
    });
    if (res.status !== 201) throw new Error(`user rina not created: ${res.status} ${await res.text()}`);
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  });
  after(async () => {
    await browser?.close();
    await client?.close();
    await engine?.stop();
    await erp?.close();
    await billing?.close();
    cfg?.cleanup();
    await redis?.stop();
  });

  it('follows a denied claim from the exception to the charge, its lot, the order and the ship notice, and shows what is late', async () => {
    expect((await client.send(sample('dft-p03-hip-implant.hl7'))).toString('latin1')).to.match(/MSA\|(AA|CA)\|/);
    await waitFor(
      'the usage delivered on every route (ERP, billing, the 850)',
      async () => ((await api(`/api/lineage/usage/${EVENT}`)).body?.messages?.[0]?.status === 'delivered' ? true : undefined),
      120_000,
    );
    const po = { type: 'purchase-order', number: PO, date: '2026-11-21' };
    const item = { buyerItem: '100234', vendorItem: 'AC-77812' };
    drop(
      'acme-medical',
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
              statuses: [{ code: 'IA', quantity: { value: '3', unit: 'EA' } }],
            },
          ],
        } as CanonicalDocument,
        9201,
      ),
    );
    drop(
      'acme-medical',
      '856.x12',
      fromAcme(
        {
          kind: 'ship-notice',
          purpose: '00',
          shipmentId: 'SHP-CONSOLE-0001',
          shippedAt: '2026-11-23',
          orders: [
            { purchaseOrder: po, packs: [], items: [{ line: '1', item, quantityShipped: { value: '3', unit: 'EA' }, lot: 'L24K0917' }] },
          ],
        } as CanonicalDocument,
        9202,
      ),
    );
    // The payer's 835 (the shipped sample): the whole hip case denied, no prior authorization.
    drop('lakeshore-health-plan', '835.x12', readFileSync(new URL('../../../samples/x12/835/835-005010.x12', import.meta.url), 'latin1'));
    await waitFor(
      'the 855, 856 and 835 indexed',
      async () => {
        const kinds = new Set(((await api(`/api/lineage/charge/${CHARGE}`)).body?.documents ?? []).map((d: any) => d.kind));
        return ['po-ack', 'ship-notice', 'claim-payment'].every((k) => kinds.has(k)) ? true : undefined;
      },
      120_000,
    );
    const run = await fetch(`${base}/api/reconciliation/run?from=2026-11-01&to=2026-11-30`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(((await run.json()) as any).summary.findings['claim-denied']).to.equal(5);

    // The analyst's morning: the reconciliation queue, the denials of the day.
    await page.goto(`${base}/console/#/login`);
    await page.fill('#user', 'rina');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('#channels', { timeout: 30_000 });
    await page.click('nav a[data-nav=reconciliation]');
    await page.click('#rules a:text-matches("^claim-denied")');
    const row = page.locator(`#recon-exceptions tr[data-rule="claim-denied"]:has(a[data-key="${CHARGE}"])`);
    await row.waitFor({ timeout: 30_000 });
    expect(await page.locator('#recon-exceptions tbody tr').count()).to.equal(5);
    expect(await row.locator('td').nth(2).textContent()).to.equal('revenue-integrity');
    expect(await row.locator('td').last().textContent()).to.match(/denied charge TX20261121001 \(CO-197\) in remittance LHP-20261204-0007/);
    await shot('20-reconciliation-claim-denied');

    // One click: the charge's life.
    await row.locator(`a[data-key="${CHARGE}"]`).click();
    await page.waitForSelector('#lineage li.step[data-step="usage"]', { timeout: 30_000 });
    expect(await page.locator('h1').textContent()).to.equal(`charge ${CHARGE}`);
    const step = (id: string) => page.locator(`#lineage li.step[data-step="${id}"]`);
    // back to the lot and serial of the implant used
    const line1 = step('usage').locator('tr[data-line="1"]');
    expect(await line1.locator('td').nth(3).textContent()).to.equal('LOT-A12345');
    expect(await line1.locator('td').nth(4).textContent()).to.equal('SN-0099812');
    // the ERP posting and the charge accepted; the payer's denial on the charge
    expect(await step('inventory-posting').getAttribute('data-state')).to.equal('done');
    expect(await step('charge').getAttribute('data-state')).to.equal('denied');
    expect(await step('charge').locator(`li.doc[data-key="${CHARGE}"] [data-claim=denied]`).textContent()).to.equal('denied (CO-197)');
    expect(await step('claim-payment').locator('li.doc').count()).to.equal(1);
    // only this patient's claim of the remittance is on the page
    expect(await step('claim-payment').locator('.badge').allTextContents()).to.deep.equal([
      'done',
      'claim ACCT778899 denied (paid 0 of 5760)',
    ]);
    // the order the implant caused, its 850 delivered, the 855 and the 856 with the shipped lot
    expect(await step('purchase-order').locator(`li.doc[data-key="${PO}"]`).count()).to.equal(1);
    expect(await step('850').getAttribute('data-state')).to.equal('done');
    expect(await step('po-ack').getAttribute('data-state')).to.equal('done');
    expect(await step('ship-notice').locator('li.doc[data-key="SHP-CONSOLE-0001"]').count()).to.equal(1);
    // what is missing: no 997 came back for the 850 (pending or late), no invoice yet
    expect(await step('997').getAttribute('data-state')).to.be.oneOf(['pending', 'late']);
    expect(await step('invoice').locator('li.gap[data-gap="invoice"]').count()).to.equal(1);
    expect(await page.locator('#lineage-exceptions tr[data-rule="claim-denied"]').count()).to.be.greaterThanOrEqual(1);
    expect(await page.locator('#lineage-messages tbody tr').count()).to.be.greaterThanOrEqual(4);
    await shot('21-lineage-denied-charge');

    // And on to the order's own page.
    await step('purchase-order').locator(`a[data-key="${PO}"]`).click();
    await page.waitForFunction((po) => document.querySelector('h1')?.textContent === `purchase-order ${po}`, PO, { timeout: 30_000 });
    await page.waitForSelector('#lineage li.step[data-step="ship-notice"]');
    await shot('22-lineage-purchase-order');
  });
});
