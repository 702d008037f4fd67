import { expect } from 'chai';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MllpClient } from '../../../channels/mllp/client.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { silentLogger } from '../../../lib/log.js';
import { startFhirServer, type FhirServer } from '../../support/fhir-server.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { sample, waitFor } from './support.js';

const TOKEN = 'e2e-admin-token-fhir-0123456789';
const SYS = 'https://hospital.example.org/fhir/';

/**
 * The shipped example channels of samples/fhir/channels/ run by the engine against real Redis and a
 * real FHIR server: HL7 DFT^P03 → ChargeItems and Devices (transaction Bundles with ifNoneExist),
 * canonical receipts → SupplyDeliveries.
 */
describe('engine end to end: canonical → FHIR through the fhir destination (samples/fhir/channels)', function () {
  this.timeout(120_000);
  let redis: TestRedis;
  let fhir: FhirServer;
  let engine: Engine;
  let client: MllpClient;
  let dir: string;
  let admin: string;

  const api = async (path: string) => {
    const res = await fetch(`${admin}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    return (await res.json()) as any;
  };

  before(async () => {
    redis = await getRedis();
    fhir = await startFhirServer({ bearerToken: 'billing-token' });
    dir = mkdtempSync(join(tmpdir(), 'interlace-fhir-e2e-'));
    const config = join(dir, 'config');
    cpSync(new URL('../../../config/tables/', import.meta.url), join(config, 'tables'), { recursive: true });
    cpSync(new URL('../../../samples/fhir/channels/', import.meta.url), join(config, 'channels'), { recursive: true });
    // A drop folder of FHIR files (JSON or XML), each forwarded as JSON with a conditional create.
    writeFileSync(
      join(config, 'channels', 'fhir-drop.yaml'),
      [
        'name: fhir-drop',
        'source:',
        '  type: file',
        `  directory: ${join(dir, 'drop')}`,
        '  pollInterval: 200ms',
        '  minAge: 0s',
        'parse:',
        '  format: fhir',
        'routes:',
        '  - name: forward',
        '    destination:',
        '      type: fhir',
        '      url: ${FHIR_URL}',
        '      auth: { type: bearer, token: billing-token }',
        '    body:',
        '      contentType: application/fhir+json',
        '      json: message',
        '',
      ].join('\n'),
    );
    mkdirSync(join(dir, 'drop'), { recursive: true });
    writeFileSync(
      join(config, 'engine.yaml'),
      [
        'engine:',
        '  id: e2e-fhir',
        `  dataDir: ${join(dir, 'var')}`,
        '  shutdownTimeout: 10s',
        'redis:',
        `  url: ${redis.url}`,
        `  prefix: ${uniquePrefix()}`,
        '  supervise: never',
        'store:',
        '  sync: full',
        'admin:',
        '  host: 127.0.0.1',
        '  port: 0',
        `  token: ${TOKEN}`,
        'logging:',
        '  level: warn',
        '',
      ].join('\n'),
    );
    engine = await Engine.start({
      configDir: config,
      env: { ...process.env, MLLP_PORT: '0', RECEIPTS_PORT: '0', FHIR_URL: fhir.baseUrl, FHIR_TOKEN: 'billing-token' },
      log: silentLogger,
    });
    client = new MllpClient({ host: '127.0.0.1', port: engine.channels.get('or-charges-to-fhir')!.address()!.port, timeout: 10_000 });
    admin = `http://127.0.0.1:${engine.adminAddress()!.port}`;
  });
  after(async () => {
    await client?.close();
    await engine?.stop();
    await fhir?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a DFT^P03 becomes one ChargeItem per FT1 and one Device per UDI; a resend never duplicates them', async () => {
    await client.send(sample('dft-p03-hip-implant.hl7'));
    const items = await waitFor(
      '5 ChargeItems on the FHIR server',
      async () => {
        const r = await fhir.search('ChargeItem');
        return r.length === 5 ? r : undefined;
      },
      60_000,
    );
    const first = items.find((i: any) => i.identifier[0].value === 'TX20261121001') as any;
    expect(first).to.deep.include({ status: 'billable', occurrenceDateTime: '2026-11-21T09:30:00-05:00' });
    expect(first.code.coding[0]).to.deep.include({ system: `${SYS}chargemaster`, code: 'C-IMP-0101' });
    expect(first.subject).to.deep.equal({ identifier: { system: `${SYS}mrn`, value: 'MRN0012345' } });
    expect(first.account[0].identifier.value).to.equal('ACCT778899');
    expect(first.priceOverride).to.deep.equal({ value: 2450, currency: 'USD' });
    const fourth = items.find((i: any) => i.identifier[0].value === 'TX20261121004') as any;
    expect(fourth.occurrenceDateTime).to.equal('2026-11-21T09:52:00-05:00');

    const devices = await waitFor(
      '5 Devices',
      async () => {
        const r = await fhir.search('Device');
        return r.length === 5 ? r : undefined;
      },
      60_000,
    );
    const stem = devices.find((d: any) => d.serialNumber === 'SN-0099812') as any;
    expect(stem.udiCarrier[0]).to.deep.include({
      deviceIdentifier: '00889024123456',
      carrierHRF: '(01)00889024123456(17)291031(10)LOT-A12345(21)SN-0099812',
    });
    expect(stem).to.deep.include({ lotNumber: 'LOT-A12345', expirationDate: '2029-10-31' });

    // The ledger keeps the server's answer: the transaction response with each entry's status.
    const list = await api('/api/messages?channel=or-charges-to-fhir');
    const id = (list.messages ?? list.items ?? list)[0]?.id;
    const m = await waitFor(
      'the message delivered on both routes',
      async () => {
        const r = await api(`/api/messages/${id}`);
        return r.status === 'delivered' ? r : undefined;
      },
      60_000,
    );
    expect(m.deliveries.map((d: any) => [d.route, d.state, d.lastStatus]).sort()).to.deep.equal([
      ['charge-items', 'delivered', '200'],
      ['devices', 'delivered', '200'],
    ]);
    const answer = m.acks.find((a: any) => a.direction === 'received' && a.deliveryId.endsWith(':charge-items'));
    expect(JSON.stringify(answer)).to.contain('transaction-response');

    // The OR system sends the same charges again under a new control id: nothing new is created.
    const resend = Buffer.from(
      sample('dft-p03-hip-implant.hl7').toString('latin1').replace('OR20261121-0042', 'OR20261121-0042R'),
      'latin1',
    );
    await client.send(resend);
    await waitFor(
      'the resend to be delivered',
      async () => {
        const all = await api('/api/messages?channel=or-charges-to-fhir');
        const msgs = all.messages ?? all.items ?? all;
        return msgs.length === 2 && msgs.every((x: any) => x.status === 'delivered') ? true : undefined;
      },
      60_000,
    );
    expect(await fhir.search('ChargeItem')).to.have.length(5);
    expect(await fhir.search('Device')).to.have.length(5);
  });

  it('a canonical receipt becomes SupplyDeliveries, conditional on receipt number and line', async () => {
    const port = engine.channels.get('receipts-to-fhir')!.address()!.port;
    const receipt = {
      kind: 'receipt',
      number: 'RCV-000417',
      receivedAt: '2026-12-02T14:20:00-05:00',
      purchaseOrder: { type: 'purchase-order', number: '4500012345' },
      location: 'CS-01',
      lines: [
        { line: '1', item: { buyerItem: '100234', description: 'STEM FEMORAL' }, quantity: { value: '2', unit: 'EA' } },
        { line: '2', item: { buyerItem: '100567' }, quantity: { value: '1', unit: 'EA' } },
      ],
    };
    for (const controlId of ['R-1', 'R-1-again']) {
      const res = await fetch(`http://127.0.0.1:${port}/receipts`, {
        method: 'POST',
        body: JSON.stringify(receipt),
        headers: { 'content-type': 'application/json', 'x-message-id': controlId },
      });
      expect(res.status).to.equal(202);
    }
    let seen = '';
    const deliveries = await waitFor(
      '2 SupplyDeliveries',
      async () => {
        const all = await api('/api/messages?channel=receipts-to-fhir');
        const msgs = all.messages ?? all.items ?? all;
        seen = JSON.stringify(msgs.map((x: any) => [x.status, x.error ?? x.reason]));
        if (!(msgs.length === 2 && msgs.every((x: any) => x.status === 'delivered'))) return undefined;
        return fhir.search('SupplyDelivery');
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}; messages: ${seen}; FHIR requests: ${JSON.stringify(fhir.requests.map((r) => [r.method, r.path, r.status]))}`,
      );
    });
    expect(deliveries).to.have.length(2);
    const one = deliveries.find((d: any) => d.identifier[0].value === 'RCV-000417-1') as any;
    expect(one).to.deep.include({ status: 'completed', occurrenceDateTime: '2026-12-02T14:20:00-05:00' });
    expect(one.suppliedItem).to.deep.equal({
      quantity: { value: 2, unit: 'EA' },
      itemCodeableConcept: { coding: [{ system: `${SYS}item`, code: '100234', display: 'STEM FEMORAL' }] },
    });
    expect(one.basedOn[0].identifier.value).to.equal('4500012345');
  });

  it('a file source with parse.format fhir: XML is forwarded as JSON; an invalid resource lands in the exception queue naming the element', async () => {
    writeFileSync(
      join(dir, 'drop', 'receipt.xml'),
      readFileSync(new URL('../../../samples/fhir/supplydelivery-receipt.xml', import.meta.url)),
    );
    writeFileSync(join(dir, 'drop', 'bad.json'), readFileSync(new URL('../../../samples/fhir/chargeitem-invalid.json', import.meta.url)));
    let seen = '';
    const msgs = await waitFor(
      'both files processed',
      async () => {
        const all = await api('/api/messages?channel=fhir-drop');
        const list = all.messages ?? all.items ?? all;
        seen = JSON.stringify(list.map((x: any) => [x.controlId, x.status]));
        return list.length === 2 && list.every((x: any) => ['delivered', 'error', 'failed'].includes(x.status)) ? list : undefined;
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; messages: ${seen}`);
    });
    const delivered = await fhir.search('SupplyDelivery', { identifier: 'urn:oid:2.16.840.1.113883.3.7777.7|RCV-2026-000417' });
    expect(delivered).to.have.length(1);
    expect((delivered[0] as any).text.div).to.contain('<b>Central Supply</b>');
    const bad = msgs.find((x: any) => x.status === 'error');
    expect(bad, seen).to.not.equal(undefined);
    const detail = await api(`/api/messages/${bad.id}`);
    expect(JSON.stringify(detail)).to.match(/ChargeItem\.(occurrence\[x\]|quantity\.value|status)/);
  });
});
