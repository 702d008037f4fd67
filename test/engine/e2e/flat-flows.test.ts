import { expect } from 'chai';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { as2 as as2Source } from '../../../channels/as2/index.js';
import { MllpClient } from '../../../channels/mllp/client.js';
import type { Source } from '../../../channels/types.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { silentLogger } from '../../../lib/log.js';
import { parseX12 } from '../../../parsers/x12/index.js';
import { RecordingContext } from '../../channels/file/support.js';
import { startFhirServer, type FhirServer } from '../../support/fhir-server.js';
import { startHttpSink, type HttpSink } from '../../support/http-sink.js';
import { getRedis, uniquePrefix, type TestRedis } from '../../support/redis.js';
import { startSshd, type TestSshd } from '../../support/sshd.js';
import { onHandRouter, sample, testConfigDir, waitFor } from './support.js';

const TOKEN = 'flat-flows-admin-token-0123456789';
const ROOT = new URL('../../../', import.meta.url).pathname;

/**
 * The interchanges written into a partner folder: its finished files (not the hidden temporary file
 * of one being written, which is renamed when complete), with their text.
 */
function interchanges(dir: string): Array<{ name: string; text: string }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) => {
      try {
        return [{ name, text: readFileSync(join(dir, name), 'latin1') }];
      } catch {
        return []; // moved away meanwhile
      }
    });
}

/** The ISA receiver, the 850's PO number (BEG03) and its vendor part numbers, of one interchange. */
function order850(bytes: Buffer): {
  receiver: string;
  version: string;
  number: string;
  vendorParts: string[];
} {
  const ic = parseX12(bytes).message!.interchanges[0]!;
  const set = ic.groups[0]!.sets[0]!;
  expect(set.id).to.equal('850');
  const text = bytes.toString('latin1');
  const sep = text.charAt(103);
  const segments = text.split(text.charAt(105)).map((x) => x.trim().split(sep));
  return {
    receiver: ic.header.receiverId.trim(),
    version: ic.header.version,
    number: segments.find((x) => x[0] === 'BEG')![3]!,
    vendorParts: segments.filter((x) => x[0] === 'PO1').map((x) => x[x.indexOf('VP') + 1]!),
  };
}

/**
 * The shipped item master sync and implant usage flows against real local servers: the engine with
 * its SQLite store and a real Redis, the ERP as an HTTP server, the FHIR billing server, Acme's
 * partner folder on disk, Northwind's AS2 receiver (the project's AS2 source, with Northwind's
 * test-only certificate, answering signed MDNs) and Summit's SFTP server (OpenSSH).
 */
describe('shipped flows: item master sync, implant usage, exception queue', function () {
  this.timeout(400_000);
  let redis: TestRedis;
  let erp: HttpSink;
  let billing: FhirServer;
  let engine: Engine;
  let cfg: ReturnType<typeof testConfigDir>;
  let admin: string;
  let client: MllpClient;
  let sshd: TestSshd;
  let northwind: Source;
  const northwindInbox = new RecordingContext();
  const onHand: Record<string, number> = {};

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${admin}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${TOKEN}`, ...(init.headers ?? {}) },
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const inbox = () => join(cfg.dataDir, 'flat', 'item-master', 'in');
  const drop = (name: string, from = name) => {
    const tmp = join(inbox(), `.${name}.tmp`);
    copyFileSync(join(ROOT, 'samples', 'flat', from), tmp);
    writeFileSync(join(inbox(), name), readFileSync(tmp));
  };

  before(async () => {
    redis = await getRedis();
    erp = await startHttpSink();
    billing = await startFhirServer();
    erp.route(onHandRouter(onHand), { record: false });
    erp.setDefault({ status: 200, body: '{"ok":true}' });
    cfg = testConfigDir({
      redisUrl: redis.url,
      prefix: uniquePrefix(),
      token: TOKEN,
      keep: ['item-master-sync'],
    });
    // Summit's SFTP server: we read its outbound folder and put our files (850s, 999s) into inbound
    sshd = await startSshd();
    for (const dir of ['outbound', 'inbound']) mkdirSync(join(sshd.root, dir));
    // Northwind's AS2 receiver: decrypts with Northwind's key, verifies our signature, signs its MDN
    const certs = join(cfg.dir, 'certs');
    northwind = as2Source.create(
      as2Source.schema.parse({
        type: 'as2',
        host: '127.0.0.1',
        port: 0,
        path: '/as2',
        as2Id: 'NORTHWIND-AS2',
        certificate: join(certs, 'northwind-as2.crt'),
        privateKey: join(certs, 'northwind-as2.key'),
        partners: [
          {
            as2Id: 'INTERLACE-HOSPITAL',
            certificate: join(certs, 'hospital-as2.crt'),
          },
        ],
      }),
      northwindInbox,
    );
    await northwind.start();
    engine = await Engine.start({
      configDir: cfg.dir,
      env: {
        ...process.env,
        MLLP_PORT: '0',
        ADMIN_PORT: '0',
        ERP_URL: erp.url,
        FHIR_URL: billing.baseUrl,
        INTERLACE_DATA: cfg.dataDir,
        NORTHWIND_AS2_URL: `http://127.0.0.1:${northwind.address!()!.port}/as2`,
        SFTP_URL: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${join(sshd.root, 'outbound')}`,
        SFTP_KEY: sshd.userKey,
        SFTP_HOST_KEY: sshd.hostFingerprint,
        SFTP_INBOUND: join(sshd.root, 'outbound'),
        SFTP_OUTBOUND: join(sshd.root, 'inbound'),
      },
      log: silentLogger,
    });
    expect(engine.refused).to.deep.equal([]);
    admin = `http://127.0.0.1:${engine.adminAddress()!.port}`;
    client = new MllpClient({
      host: '127.0.0.1',
      port: engine.channels.get('or-implant-charges')!.address()!.port,
      timeout: 10_000,
    });
  });
  after(async () => {
    await client?.close();
    await engine?.stop();
    await erp?.close();
    await billing?.close();
    await northwind?.stop();
    await sshd?.stop();
    cfg?.cleanup();
    await redis?.stop();
  });

  it('item master sync: each row updates the lookup tables and is published to the ERP item API', async () => {
    drop('item-master.csv');
    const puts = await erp.waitForRequests(5, 120_000);
    expect(puts.map((r) => [r.method, r.path])).to.deep.equal(Array(5).fill(['PUT', '/items']));
    expect(puts.map((r) => JSON.parse(r.body).number).sort()).to.deep.equal(['100234', '100567', '100890', '100912', '200145']);
    const files = await waitFor('the file summary', async () => (await api('/api/files?channel=item-master-sync')).body.recent[0], 120_000);
    expect(files).to.include({
      channel: 'item-master-sync',
      file: 'item-master.csv',
    });
    expect(files.summary).to.include({
      rowsRead: 5,
      accepted: 5,
      rejected: 0,
      messages: 5,
    });
    expect(readdirSync(join(inbox(), 'archive'))).to.include('item-master.csv');
  });

  it('a bad row is rejected with file, line and column while the good row updates the tables at once', async () => {
    drop('item-master-new-item.csv');
    const summary = await waitFor(
      'the second file summary',
      async () => (await api('/api/files?channel=item-master-sync')).body.recent.find((f: any) => f.file === 'item-master-new-item.csv'),
      120_000,
    );
    expect(summary.summary).to.include({
      rowsRead: 2,
      accepted: 1,
      rejected: 1,
    });
    expect(summary.summary.problems[0].message).to.equal(
      // a list shows positions, not cell values (lib/phi.ts)
      'item-master-new-item.csv:3:13 column price: "…" has 3 digits after the point; expected at most 2',
    );
    const rejected = (await api('/api/messages?channel=item-master-sync&status=rejected')).body.messages;
    expect(rejected).to.have.length(1);
    expect(rejected[0].error.diagnostics[0].location).to.deep.equal({
      file: 'item-master-new-item.csv',
      line: 3,
      column: 13,
    });
    const table = join(cfg.dir, 'tables', 'chargemaster.csv');
    await waitFor(
      'the chargemaster to get item 100999',
      () => (readFileSync(table, 'utf8').includes('100999,C-IMP-0199,141000') ? true : undefined),
      120_000,
    );
  });

  it('implant usage without a charge mapping waits in the exception queue, and completes once after the table is fixed', async () => {
    Object.assign(onHand, { '100234': 50, '100777': 50 });
    const ack = await client.send(sample('dft-p03-unmapped-charge.hl7'));
    expect(ack.toString('latin1')).to.match(/MSA\|CA\|OR20261122-0007/);
    const listed = await waitFor(
      'the exception',
      async () => (await api('/api/exceptions?channel=or-implant-charges&reason=no-charge-mapping')).body.exceptions[0],
      120_000,
    );
    expect(listed.reason).to.equal('no-charge-mapping');
    expect(listed.error).to.include({
      code: 'lookup-missing',
      rule: 'no-charge-mapping',
      field: "$doc('supply-usage').lines[1].itemNumber",
      value: '100777',
    });
    expect((await api('/api/exceptions?channel=or-implant-charges&reason=unknown-location')).body.exceptions).to.deep.equal([]);

    // the analyst adds the charge code; the engine sees the file change without a restart
    const table = join(cfg.dir, 'tables', 'chargemaster.csv');
    writeFileSync(table, readFileSync(table, 'utf8') + '100777,C-SUP-0777,520100,BONE CEMENT 40G\n');
    const before = erp.requests.length;
    await waitFor(
      'the table reload',
      async () => {
        const r = await api('/api/exceptions/reprocess?channel=or-implant-charges&reason=no-charge-mapping', { method: 'POST' });
        if (r.body.queued !== 1) return undefined;
        const m = await waitFor(
          'processing',
          async () => {
            const d = (await api(`/api/messages/${listed.id}`)).body;
            return d.status === 'received' ? undefined : d;
          },
          120_000,
        );
        return m.status === 'error' ? undefined : m;
      },
      120_000,
    );
    const [usage] = (await erp.waitForRequests(before + 1, 120_000)).slice(before);
    expect(usage!.path).to.equal('/inventory/usage');
    expect(JSON.parse(usage!.body).lines.map((l: any) => [l.item, l.chargeCode, l.costCenter])).to.deep.equal([
      ['100234', 'C-IMP-0101', '7010-OR'],
      ['100777', 'C-SUP-0777', '7010-OR'],
    ]);
    const done = await waitFor(
      'delivery on every route',
      async () => ((await api(`/api/messages/${listed.id}`)).body.status === 'delivered' ? true : undefined),
      120_000,
    );
    expect(done).to.equal(true);
    const charges = await billing.search('ChargeItem', {
      identifier: 'urn:interlace:or-usage|TX20261122002',
    });
    expect(charges.map((c: any) => [c.status, c.code.coding[0].code, c.quantity.value])).to.deep.equal([['billable', 'C-SUP-0777', 1]]);
    // reprocessing again changes nothing: the message is settled and delivered once
    const again = await api('/api/exceptions/reprocess?channel=or-implant-charges&reason=no-charge-mapping', { method: 'POST' });
    expect(again.body.queued).to.equal(0);
    await new Promise((r) => setTimeout(r, 500));
    const usages = erp.requests.slice(before).filter((r) => r.path === '/inventory/usage');
    if (usages.length !== 1) {
      // say what was sent twice and what the message went through, to find the cause
      const m = (await api(`/api/messages/${listed.id}`)).body;
      const sent = usages.map((r) => `${r.at} ${String(r.headers['idempotency-key'])} ${JSON.parse(r.body).reference}`);
      const history = (m.history ?? []).map((h: any) => `${h.at} ${h.status} ${h.detail ?? ''}`);
      const deliveries = (m.deliveries ?? []).map((d: any) => `${d.route} ${d.state} attempts ${d.attempts}`);
      expect.fail(
        `usage posted ${usages.length} times:\n${sent.join('\n')}\nhistory:\n${history.join('\n')}\ndeliveries:\n${deliveries.join('\n')}`,
      );
    }
  });

  it('implant usage: consumption to the ERP, one ChargeItem per line on the billing server, and an 850 when below par; the case resent under a new control id is a duplicate', async () => {
    Object.assign(onHand, {
      '100234': 2,
      '100567': 9,
      '100890': 9,
      '100912': 9,
      '200145': 80,
    });
    const before = erp.requests.length;
    await client.send(sample('dft-p03-hip-implant.hl7'));
    const usage = (await erp.waitForRequests(before + 1, 120_000)).slice(before).find((r) => r.path === '/inventory/usage')!;
    expect(JSON.parse(usage.body).lines).to.have.length(5);
    const charges = await waitFor(
      'five ChargeItems',
      async () => {
        const found = await billing.search('ChargeItem');
        const mine = found.filter((c: any) => String(c.identifier?.[0]?.value).startsWith('TX20261121'));
        return mine.length === 5 ? mine : undefined;
      },
      120_000,
    );
    expect(charges.map((c: any) => c.code.coding[0].code).sort()).to.deep.equal([
      'C-IMP-0101',
      'C-IMP-0102',
      'C-IMP-0103',
      'C-IMP-0104',
      'C-SUP-0200',
    ]);
    // the OR system resends the same case under a new control id: the same case (account and line
    // transaction ids), so a duplicate of the first, visibly, with nothing posted or billed again
    const first = JSON.parse(usage.body).messageId;
    await client.send(
      Buffer.from(sample('dft-p03-hip-implant.hl7').toString('latin1').replace('OR20261121-0042', 'OR20261121-0042R'), 'latin1'),
    );
    const resent = await waitFor(
      'the resent case to be processed',
      async () => {
        const m = (await api('/api/messages?channel=or-implant-charges&controlId=OR20261121-0042R')).body.messages[0];
        return m && m.status !== 'received' ? m : undefined;
      },
      120_000,
    );
    expect(resent).to.include({ status: 'duplicate', duplicateOf: first });
    const detail = (await api(`/api/messages/${resent.id}`)).body;
    expect(detail.deliveries).to.deep.equal([]);
    expect(detail.history.at(-1).detail).to.equal(`duplicate of message ${first}: same case (duplicates.key); not routed again`);
    expect(erp.requests.slice(before).filter((r) => r.path === '/inventory/usage')).to.have.length(1);
    expect(
      (await billing.search('ChargeItem')).filter((c: any) => String(c.identifier?.[0]?.value).startsWith('TX20261121')),
    ).to.have.length(5);
    const out = join(cfg.dataDir, 'edi', 'acme-medical', 'out');
    const file = await waitFor(
      'the 850 in the partner folder',
      () => interchanges(out).find((f) => f.text.includes('ST*850'))?.name,
      120_000,
    );
    const x12 = readFileSync(join(out, file), 'latin1');
    expect(x12).to.include('BEG*00*SA*RPL-OR20261121-0042**20261121');
    expect(x12).to.match(/PO1\*1\*3\*EA\*2450(\.00)?\*\*(BP\*100234\*VP\*AC-77812|VP\*AC-77812\*BP\*100234)/);
  });

  it("replenishment: each item below its reorder point is ordered from its own supplier, and the 850s arrive at Northwind's AS2 receiver and Summit's SFTP server", async () => {
    Object.assign(onHand, { '100234': 2, '300410': 3, '300520': 5 });
    await client.send(sample('dft-p03-three-suppliers.hl7'));
    const message = await waitFor(
      'the three-supplier usage to be routed',
      async () => {
        const m = (await api('/api/messages?channel=or-implant-charges&controlId=OR20261124-0015')).body.messages[0];
        if (!m) return undefined;
        const d = (await api(`/api/messages/${m.id}`)).body;
        return d.deliveries?.length === 5 ? d : undefined;
      },
      120_000,
    );
    expect(message.deliveries.map((d: any) => d.route).sort()).to.deep.equal([
      'billing-charges',
      'erp-usage',
      'replenishment-acme-medical',
      'replenishment-northwind-surgical',
      'replenishment-summit-surgical',
    ]);
    // Acme's order is the file in its folder, with Acme's item only
    const out = join(cfg.dataDir, 'edi', 'acme-medical', 'out');
    const file = await waitFor(
      "Acme's 850 for the three-supplier case",
      () => interchanges(out).find((f) => f.text.includes('BEG*00*SA*RPL-OR20261124-0015-1*'))?.name,
      120_000,
    );
    const x12 = readFileSync(join(out, file), 'latin1');
    expect(x12).to.match(/PO1\*1\*3\*EA\*2450(\.00)?\*/);
    expect(x12).to.not.include('NW-41006');
    expect(x12).to.not.include('SS-5205');
    // Northwind's order goes over AS2 to Northwind's receiver, Summit's over SFTP into the folder
    // Summit reads: each delivered once its peer has it (AS2: the signed MDN verified)
    const ledger = await waitFor(
      "the other suppliers' orders to be delivered",
      async () => {
        const d = (await api(`/api/messages/${message.id}`)).body;
        const other = d.deliveries.filter((x: any) => /northwind|summit/.test(x.route));
        return other.every((x: any) => x.state === 'delivered') ? other : undefined;
      },
      120_000,
    );
    const bodies = Object.fromEntries(ledger.map((d: any) => [d.route, JSON.parse(d.payload.body)]));
    expect(bodies['replenishment-northwind-surgical'].number).to.equal('RPL-OR20261124-0015-2');
    expect(bodies['replenishment-summit-surgical'].number).to.equal('RPL-OR20261124-0015-3');
    const acks = (await api(`/api/messages/${message.id}`)).body.acks;
    expect(acks.find((a: any) => a.kind === 'replenishment-northwind-surgical').detail).to.match(/MDN processed, signature verified/);

    const atNorthwind = northwindInbox.inputs.map((i) => order850(i.raw)).filter((o) => o.number === 'RPL-OR20261124-0015-2');
    expect(atNorthwind).to.deep.equal([
      {
        receiver: 'NORTHWINDSURG',
        version: '00401',
        number: 'RPL-OR20261124-0015-2',
        vendorParts: ['NW-41006'],
      },
    ]);
    expect(northwindInbox.answers.filter((a) => a.kind === 'as2-mdn').map((a) => a.code)).to.include('processed');

    const summitInbound = join(sshd.root, 'inbound');
    const atSummit = readdirSync(summitInbound)
      .filter((name) => !name.startsWith('.'))
      .map((name) => order850(readFileSync(join(summitInbound, name))))
      .filter((o) => o.number === 'RPL-OR20261124-0015-3');
    expect(atSummit).to.deep.equal([
      {
        receiver: 'SUMMITSURG',
        version: '00501',
        number: 'RPL-OR20261124-0015-3',
        vendorParts: ['SS-5205'],
      },
    ]);
  });

  it('an item below par whose supplier has no replenishment route waits in the exception queue, and is ordered once the item master names a partner', async () => {
    Object.assign(onHand, { '100234': 20, '300410': 20, '300520': 5 });
    const table = join(cfg.dir, 'tables', 'item-master.csv');
    const original = readFileSync(table, 'utf8');
    const unrouted = original.replace('300520,ANCHOR SUTURE 5.0MM,EA,summit-surgical', '300520,ANCHOR SUTURE 5.0MM,EA,globex-medical');
    expect(unrouted).to.not.equal(original);
    writeFileSync(table, unrouted);
    // the engine reads the changed table within seconds: a case sent before that is still ordered from Summit
    let n = 0;
    const exception = await waitFor(
      'a case to meet the changed item master',
      async () => {
        const id = `OR20261126-${String(++n).padStart(4, '0')}`;
        // a case of its own: its own control id and line transaction ids
        const text = sample('dft-p03-three-suppliers.hl7').toString('latin1').replace('OR20261124-0015', id);
        await client.send(Buffer.from(text.replaceAll('|TX20261124', `|TX${id.replace(/\D/g, '')}-`), 'latin1'));
        const m = await waitFor(
          `case ${id} processed`,
          async () => {
            const found = (await api(`/api/messages?channel=or-implant-charges&controlId=${id}`)).body.messages[0];
            return found && found.status !== 'received' ? found : undefined;
          },
          120_000,
        );
        return m.status === 'error' ? m : undefined;
      },
      120_000,
    );
    const listed = (await api('/api/exceptions?channel=or-implant-charges&reason=no-supplier-route')).body.exceptions;
    expect(listed.map((e: any) => e.id)).to.deep.equal([exception.id]);
    expect(listed[0].error).to.include({
      code: 'validation-failed',
      rule: 'no-supplier-route',
      value: 'globex-medical',
    });
    const before = (await api(`/api/messages/${exception.id}`)).body;
    expect(before.deliveries).to.deep.equal([]);

    // the analyst names the partner again; reprocessing orders the item from Summit, once
    writeFileSync(table, original);
    const routed = await waitFor(
      'the reprocessed case to be routed',
      async () => {
        const r = await api('/api/exceptions/reprocess?channel=or-implant-charges&reason=no-supplier-route', { method: 'POST' });
        if (r.body.queued !== 1) return undefined;
        const m = await waitFor(
          'processing',
          async () => {
            const d = (await api(`/api/messages/${exception.id}`)).body;
            return d.status === 'received' ? undefined : d;
          },
          120_000,
        );
        return m.status === 'error' ? undefined : m;
      },
      120_000,
    );
    expect(routed.deliveries.map((d: any) => d.route).sort()).to.deep.equal([
      'billing-charges',
      'erp-usage',
      'replenishment-summit-surgical',
    ]);
    const order = JSON.parse(routed.deliveries.find((d: any) => d.route === 'replenishment-summit-surgical').payload.body);
    expect(order.number).to.equal(`RPL-${exception.controlId}`);
    expect(order.lines.map((l: any) => [l.item.buyerItem, l.quantity.value])).to.deep.equal([['300520', '7']]);
  });

  it('implant usage as FHIR over HTTP: the same consumption, ChargeItems and 850 as the DFT^P03, once; the resent Bundle and the same case as a DFT^P03 are duplicates', async () => {
    Object.assign(onHand, {
      '100234': 2,
      '100567': 9,
      '100890': 9,
      '100912': 9,
      '200145': 80,
    });
    const input = engine.inputs.get('or-implant-charges')![0]!.address()!;
    const url = `http://127.0.0.1:${input.port}/fhir/usage`;
    const listed = (await api('/api/channels')).body.channels.find((c: any) => c.name === 'or-implant-charges');
    expect(listed.inputs).to.have.length(1);
    expect(listed.inputs[0]).to.deep.include({
      type: 'http',
      format: 'fhir',
      address: input,
    });
    const bundle = readFileSync(join(ROOT, 'samples', 'fhir', 'or-usage-bundle.json'), 'utf8');
    const post = async (body: string) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body,
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const before = erp.requests.length;
    const first = await post(bundle);
    expect(first.status).to.equal(202);
    expect(first.body.resourceType).to.equal('OperationOutcome');
    const usage = await waitFor(
      'the FHIR usage posted to the ERP',
      () => erp.requests.slice(before).find((r) => r.path === '/inventory/usage' && JSON.parse(r.body).reference === 'OR20261125-0031'),
      120_000,
    );
    const posted = JSON.parse(usage.body);
    expect(posted).to.include({
      account: 'ACCT778899',
      visit: 'V20261125-02',
      department: 'OR',
    });
    expect(posted.lines.map((l: any) => [l.item, l.quantity, l.unit, l.chargeCode, l.costCenter, l.lot ?? null])).to.deep.equal([
      ['100234', 1, 'EA', 'C-IMP-0101', '7010-OR', 'LOT-A22345'],
      ['100567', 1, 'EA', 'C-IMP-0102', '7010-OR', 'LOT-B87001'],
      ['100890', 1, 'EA', 'C-IMP-0103', '7010-OR', 'LOT-C32019'],
      ['100912', 1, 'EA', 'C-IMP-0104', '7010-OR', 'LOT-D50404'],
      ['200145', 2, 'EA', 'C-SUP-0200', '7010-OR', null],
    ]);
    const mine = async () =>
      (await billing.search('ChargeItem')).filter((c: any) => String(c.identifier?.[0]?.value).startsWith('TX20261125'));
    const charges = await waitFor(
      'five ChargeItems of the FHIR case',
      async () => ((await mine()).length === 5 ? mine() : undefined),
      120_000,
    );
    expect(
      charges.map((c: any) => [c.identifier[0].value, c.code.coding[0].code, c.quantity.value, c.subject.identifier.value]).sort(),
    ).to.deep.equal([
      ['TX20261125001', 'C-IMP-0101', 1, 'MRN0012345'],
      ['TX20261125002', 'C-IMP-0102', 1, 'MRN0012345'],
      ['TX20261125003', 'C-IMP-0103', 1, 'MRN0012345'],
      ['TX20261125004', 'C-IMP-0104', 1, 'MRN0012345'],
      ['TX20261125005', 'C-SUP-0200', 2, 'MRN0012345'],
    ]);
    const out = join(cfg.dataDir, 'edi', 'acme-medical', 'out');
    const orders = () => interchanges(out).filter((f) => f.text.includes('BEG*00*SA*RPL-OR20261125-0031*'));
    const file = await waitFor('the 850 of the FHIR case', () => orders()[0]?.name, 120_000);
    expect(readFileSync(join(out, file), 'latin1')).to.match(/PO1\*1\*3\*EA\*2450(\.00)?\*/);
    await waitFor(
      'the FHIR case delivered on every route',
      async () => {
        const m = (await api('/api/messages?channel=or-implant-charges&controlId=OR20261125-0031')).body.messages[0];
        return m?.status === 'delivered' ? m : undefined;
      },
      120_000,
    );

    // the OR system sends the same Bundle again: a duplicate by Bundle.identifier, answered 200, not processed
    const again = await post(bundle);
    expect(again.status).to.equal(200);
    expect(again.body.issue[0].details.text).to.match(/^duplicate of message /);
    await new Promise((r) => setTimeout(r, 1500));
    expect(
      erp.requests.slice(before).filter((r) => r.path === '/inventory/usage' && JSON.parse(r.body).reference === 'OR20261125-0031'),
    ).to.have.length(1);
    expect(await mine()).to.have.length(5);
    expect(orders()).to.have.length(1);

    // the OR system also sends the case as a DFT^P03 (its own control id, the same account and line
    // transaction ids): a duplicate of the Bundle's message, visible as such, posted and billed once
    const fhirMessage = posted.messageId;
    const ack = await client.send(sample('dft-p03-fhir-bundle-case.hl7'));
    expect(ack.toString('latin1')).to.match(/MSA\|CA\|OR20261125-0032/);
    const hl7 = await waitFor(
      'the DFT^P03 of the same case to be processed',
      async () => {
        const m = (await api('/api/messages?channel=or-implant-charges&controlId=OR20261125-0032')).body.messages[0];
        return m && m.status !== 'received' ? m : undefined;
      },
      120_000,
    );
    expect(hl7).to.include({ status: 'duplicate', duplicateOf: fhirMessage });
    const duplicates = (await api('/api/messages?channel=or-implant-charges&status=duplicate')).body.messages;
    expect(duplicates.map((m: any) => m.id)).to.include(hl7.id);
    expect((await api(`/api/messages/${hl7.id}`)).body.deliveries).to.deep.equal([]);
    await new Promise((r) => setTimeout(r, 1500));
    const caseUsages = erp.requests
      .slice(before)
      .filter((r) => r.path === '/inventory/usage' && ['OR20261125-0031', 'OR20261125-0032'].includes(JSON.parse(r.body).reference));
    expect(caseUsages.map((r) => JSON.parse(r.body).reference)).to.deep.equal(['OR20261125-0031']);
    expect(await mine()).to.have.length(5);
    expect(interchanges(out).filter((f) => /BEG\*00\*SA\*RPL-OR20261125-003[12]\*/.test(f.text))).to.have.length(1);

    // a Bundle that is not valid FHIR is refused at the door, naming the element
    const bad = JSON.parse(bundle);
    bad.identifier.value = 'OR20261125-0099';
    bad.entry.at(-1).resource.suppliedItem.quantity.value = 'two';
    const refused = await post(JSON.stringify(bad));
    expect(refused.status).to.equal(422);
    expect(refused.body.issue.map((i: any) => i.expression?.[0])).to.include('Bundle.entry[11].resource.suppliedItem.quantity.value');
  });

  it('a unit price outside the contract waits in the exception queue with the line and its price, and completes once after the item master is fixed', async () => {
    Object.assign(onHand, { '100234': 50, '200145': 80 });
    const ack = await client.send(sample('dft-p03-price-outside-contract.hl7'));
    expect(ack.toString('latin1')).to.match(/MSA\|CA\|OR20261127-0003/);
    const listed = await waitFor(
      'the price exception',
      async () => (await api('/api/exceptions?channel=or-implant-charges&reason=price-outside-contract')).body.exceptions[0],
      120_000,
    );
    expect(listed.controlId).to.equal('OR20261127-0003');
    expect(listed.error).to.include({
      code: 'validation-failed',
      rule: 'price-outside-contract',
      field: "$doc('supply-usage').lines[1].unitPrice.amount",
      value: '102.50',
    });
    expect((await api(`/api/messages/${listed.id}`)).body.deliveries).to.deep.equal([]);

    // the contract was renegotiated: the analyst puts the new price in the item master
    const table = join(cfg.dir, 'tables', 'item-master.csv');
    const original = readFileSync(table, 'utf8');
    const repriced = original
      .split('\n')
      .map((line) => (line.startsWith('200145,') ? line.replace(',95.00,', ',102.50,') : line))
      .join('\n');
    expect(repriced).to.not.equal(original);
    writeFileSync(table, repriced);
    try {
      const before = erp.requests.length;
      await waitFor(
        'the reprocessed case to pass the price check',
        async () => {
          const r = await api('/api/exceptions/reprocess?channel=or-implant-charges&reason=price-outside-contract', { method: 'POST' });
          if (r.body.queued !== 1) return undefined;
          const m = await waitFor(
            'processing',
            async () => {
              const d = (await api(`/api/messages/${listed.id}`)).body;
              return d.status === 'received' ? undefined : d;
            },
            120_000,
          );
          return m.status === 'error' ? undefined : m;
        },
        120_000,
      );
      await waitFor(
        'delivery on every route',
        async () => ((await api(`/api/messages/${listed.id}`)).body.status === 'delivered' ? true : undefined),
        120_000,
      );
      const again = await api('/api/exceptions/reprocess?channel=or-implant-charges&reason=price-outside-contract', { method: 'POST' });
      expect(again.body.queued).to.equal(0);
      await new Promise((r) => setTimeout(r, 500));
      const usages = erp.requests.slice(before).filter((r) => r.path === '/inventory/usage');
      expect(usages.map((r) => JSON.parse(r.body).reference)).to.deep.equal(['OR20261127-0003']);
      expect(JSON.parse(usages[0]!.body).lines.map((l: any) => [l.item, l.quantity])).to.deep.equal([
        ['100234', 1],
        ['200145', 4],
      ]);
      expect(
        await billing.search('ChargeItem', {
          identifier: 'urn:interlace:or-usage|TX20261127002',
        }),
      ).to.have.length(1);
    } finally {
      writeFileSync(table, original);
    }
  });

  it('rejects bad requests to the exception API clearly', async () => {
    expect((await api('/api/exceptions/reprocess', { method: 'POST' })).status).to.equal(400);
    expect((await api('/api/exceptions?limit=0')).status).to.equal(400);
    expect((await fetch(`${admin}/api/exceptions`)).status).to.equal(401);
  });
});
