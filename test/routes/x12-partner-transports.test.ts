import { expect } from 'chai';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { as2 as as2Source } from '../../channels/as2/index.js';
import type { Source } from '../../channels/types.js';
import { partnerSchema } from '../../engine/config/partner-schema.js';
import { createEngineServices } from '../../engine/runtime/services.js';
import { SqliteStore } from '../../engine/store/sqlite/store.js';
import { createX12Services, PartnerDirectory, x12Admin } from '../../engine/x12/index.js';
import { silentLogger } from '../../lib/log.js';
import { freePort } from '../../lib/net.js';
import { parseX12 } from '../../parsers/x12/index.js';
import { po850 } from '../../parsers/x12/sets/index.js';
import { x12, x12DestinationSchema } from '../../routes/destinations/x12/index.js';
import type { Delivery } from '../../routes/types.js';
import { RecordingContext } from '../channels/file/support.js';
import { makeCert, scratch, type TestCert } from '../support/openssl.js';
import { startSshd, type TestSshd } from '../support/sshd.js';

const PO = JSON.parse(readFileSync(new URL('../../samples/x12/flows/purchase-order-4500012345.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;
const OWN = { interchangeId: 'INTERLACEHOSP', qualifier: 'ZZ', applicationCode: 'INTERLACE', defaultAck: '997' } as const;

const delivery = (n: number, attempt = 1): Delivery => ({
  deliveryId: `m${n}:po`,
  messageId: `m${n}`,
  channel: 'c',
  route: 'po',
  idempotencyKey: `m${n}:po`,
  correlationId: `m${n}`,
  attempt,
  payload: { body: JSON.stringify(PO), contentType: 'application/json' },
});

const base = (id: string, transport: Record<string, unknown>) =>
  partnerSchema.parse({
    id,
    name: id,
    isa: { qualifier: 'ZZ', id: id.toUpperCase().replace(/-/g, '') },
    gs: { id: 'PARTNER' },
    version: '004010',
    acknowledgments: { expect: '997', deadline: '2h' },
    transport,
  });

/**
 * The x12 destination sends to partners whose file names another transport, through the engine's
 * partner links: a real OpenSSH server (SFTP) and our own AS2 receiver (AS2), each with the engine's
 * X12 ledger behind it. A retry of a delivery writes the same bytes again under the same name.
 */
describe('x12 destination over the partner transport: SFTP (OpenSSH) and AS2 (our receiver)', function () {
  this.timeout(120_000);
  const tmp = scratch('interlace-x12-transports-');
  let sshd: TestSshd;
  let store: SqliteStore;
  let us: TestCert, partner: TestCert;
  const closers: Array<() => Promise<void>> = [];

  before(async () => {
    sshd = await startSshd();
    us = makeCert(tmp.dir, 'hospital');
    partner = makeCert(tmp.dir, 'partner');
  });
  after(async () => {
    await sshd.stop();
    tmp.cleanup();
  });
  beforeEach(() => {
    store = new SqliteStore({ path: join(tmp.dir, `messages-${Date.now()}.db`) });
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await store.close();
  });

  function destination(partners: ReturnType<typeof base>[], id: string) {
    const directory = new PartnerDirectory(partners, OWN);
    const services = createEngineServices({ partners, x12: createX12Services(store, directory), mdns: store, log: silentLogger });
    closers.push(() => services.close());
    const d = x12.create(x12DestinationSchema.parse({ type: 'x12', partner: id, set: '850' }), {
      channel: 'c',
      route: 'po',
      log: silentLogger,
      services,
    });
    closers.push(() => d.close());
    return d;
  }

  it('SFTP: the 850 is uploaded into the partner outbound folder, confirmed by stat, recorded with its expectations; a retry uploads nothing new', async () => {
    const remote = join(sshd.root, 'to-summit');
    mkdirSync(remote);
    const p = base('summit-sftp', {
      type: 'sftp',
      url: `sftp://${sshd.user}@127.0.0.1:${sshd.port}/`,
      keyPath: sshd.userKey,
      hostKey: sshd.hostFingerprint,
      inbound: join(sshd.root, 'from-summit'),
      outbound: remote,
    });
    const d = destination([p], 'summit-sftp');
    const result = await d.send(delivery(1));
    expect(result.status).to.equal('uploaded');
    expect(result.body).to.match(/^ISA13 000000001 GS06 1 ST02 0001 sftp summit-sftp-850-000000001\.x12/);
    expect(readdirSync(remote)).to.deep.equal(['summit-sftp-850-000000001.x12']);
    const bytes = readFileSync(join(remote, 'summit-sftp-850-000000001.x12'));
    const ic = parseX12(bytes).message!.interchanges[0]!;
    expect([ic.header.senderId.trim(), ic.header.receiverId.trim(), ic.header.controlNumber]).to.deep.equal([
      'INTERLACEHOSP',
      'SUMMITSFTP',
      '000000001',
    ]);
    expect((po850.toCanonical(ic.groups[0]!.sets[0]!).documents[0] as { number: string }).number).to.equal(PO.number);
    expect((await store.x12Expectations('m1')).map((e) => [e.expected, e.isa13, e.deliveryId])).to.deep.equal([
      ['997', '000000001', 'm1:po'],
    ]);
    // The route retries (its first answer was lost): same numbers, same bytes, same name; no second file.
    const again = await d.send(delivery(1, 2));
    expect(again.body).to.match(/^ISA13 000000001 /);
    expect(readdirSync(remote)).to.deep.equal(['summit-sftp-850-000000001.x12']);
    expect(readFileSync(join(remote, 'summit-sftp-850-000000001.x12')).equals(bytes)).to.equal(true);
    expect((await store.nextControlNumbers('summit-sftp', { interchanges: 1 })).interchanges).to.deep.equal([2]);
  });

  it('AS2: the 850 goes as one signed, encrypted AS2 message; the delivery counts on the verified MDN; a retry resends the same Message-ID and bytes', async () => {
    const inbox = new RecordingContext();
    const receiver: Source = as2Source.create(
      as2Source.schema.parse({
        type: 'as2',
        host: '127.0.0.1',
        port: 0,
        as2Id: 'PARTNER-AS2',
        certificate: partner.certPath,
        privateKey: partner.keyPath,
        partners: [{ as2Id: 'INTERLACE-HOSPITAL', certificate: us.certPath }],
      }),
      inbox,
    );
    await receiver.start();
    closers.push(() => receiver.stop());
    const p = base('north-as2', {
      type: 'as2',
      url: `http://127.0.0.1:${receiver.address!()!.port}/as2`,
      as2From: 'INTERLACE-HOSPITAL',
      as2To: 'PARTNER-AS2',
      signCert: us.certPath,
      signKey: us.keyPath,
      partnerCert: partner.certPath,
      compress: 'before-signing',
    });
    const d = destination([p], 'north-as2');
    const result = await d.send(delivery(7));
    expect(result.status).to.equal('mdn-processed');
    expect(result.body).to.match(
      /^ISA13 000000001 GS06 1 ST02 0001 as2 north-as2-850-000000001\.x12; MDN processed, signature verified, MIC .* matches; AS2 Message-ID </,
    );
    expect(inbox.inputs).to.have.length(1);
    const ic = parseX12(inbox.inputs[0]!.raw).message!.interchanges[0]!;
    expect([ic.header.receiverId.trim(), ic.groups[0]!.sets[0]!.id]).to.deep.equal(['NORTHAS2', '850']);
    const again = await d.send(delivery(7, 2));
    expect(again.status).to.equal('mdn-processed');
    const messageId = (body?: string) => /AS2 Message-ID (<[^>]+>)/.exec(body ?? '')?.[1];
    expect(messageId(again.body)).to.equal(messageId(result.body));
    expect(inbox.inputs).to.have.length(2);
    expect(inbox.inputs[1]!.raw.equals(inbox.inputs[0]!.raw)).to.equal(true);
    expect(inbox.inputs[1]!.controlId).to.equal(inbox.inputs[0]!.controlId); // the receiver sees a resend, stored as a duplicate
    // One interchange: its 997 expected in the X12 ledger, and its MDN owed in the MDN ledger, sent twice, received.
    expect((await store.x12Expectations('m7')).map((e) => [e.expected, e.isa13, e.satisfiedCode])).to.deep.equal([
      ['997', '000000001', undefined],
    ]);
    expect(
      (await store.messageMdns('m7')).map((m) => [m.partner, m.deliveryId, m.file, m.attempts, m.outcome, m.as2MessageId]),
    ).to.deep.equal([['north-as2', 'm7:po', 'north-as2-850-000000001.x12', 2, 'processed', messageId(result.body)]]);
  });

  it('AS2: an MDN not yet verified is owed; past mdnDeadline it is overdue (MDN ledger) until a resend gets it, then recorded and received', async () => {
    const port = await freePort();
    const p = base('late-as2', {
      type: 'as2',
      url: `http://127.0.0.1:${port}/as2`,
      as2From: 'INTERLACE-HOSPITAL',
      as2To: 'PARTNER-AS2',
      signCert: us.certPath,
      signKey: us.keyPath,
      partnerCert: partner.certPath,
      mdnDeadline: '10m',
    });
    const d = destination([p], 'late-as2');
    const failed = await d.send(delivery(9)).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(failed, 'the send to a partner that is down succeeded').to.be.instanceOf(Error);
    const open = async () => (await store.x12Expectations('m9')).filter((e) => !e.satisfiedAt).map((e) => e.expected);
    expect(await open()).to.deep.equal(['997']);
    const now = Date.now();
    expect((await store.overdueMdns(now + 9 * 60_000)).map((e) => e.deliveryId)).to.deep.equal([]);
    expect((await store.overdueMdns(now + 11 * 60_000)).map((e) => [e.partner, e.deliveryId, e.file, e.attempts])).to.deep.equal([
      ['late-as2', 'm9:po', 'late-as2-850-000000001.x12', 1],
    ]);
    expect(await store.overdueMdnCounts(now + 11 * 60_000)).to.deep.equal({ 'late-as2': 1 });
    // The partner is back: the route's retry resends the same interchange and gets the MDN.
    const inbox = new RecordingContext();
    const receiver: Source = as2Source.create(
      as2Source.schema.parse({
        type: 'as2',
        host: '127.0.0.1',
        port,
        as2Id: 'PARTNER-AS2',
        certificate: partner.certPath,
        privateKey: partner.keyPath,
        partners: [{ as2Id: 'INTERLACE-HOSPITAL', certificate: us.certPath }],
      }),
      inbox,
    );
    await receiver.start();
    closers.push(() => receiver.stop());
    expect((await d.send(delivery(9, 2))).status).to.equal('mdn-processed');
    expect(await open()).to.deep.equal(['997']);
    const [mdn] = await store.messageMdns('m9');
    expect([mdn!.attempts, mdn!.outcome]).to.deep.equal([2, 'processed']);
    expect(await store.overdueMdns(now + 11 * 60_000)).to.deep.equal([]);
    // The partner view: what we sent, its transport receipt (the MDN), its functional acknowledgment (997, still open).
    const admin = x12Admin(store, { partners: new PartnerDirectory([p], OWN) });
    const [exchange, ...others] = (await admin.exchanges('late-as2'))!;
    expect(others).to.deep.equal([]);
    expect(exchange).to.deep.include({ isa13: '000000001', messageId: 'm9', deliveryId: 'm9:po', poNumbers: [PO.number] });
    expect((exchange!.transport as Array<Record<string, unknown>>).map((r) => [r.expected, r.state, r.code, r.attempts])).to.deep.equal([
      ['mdn', 'received', 'processed', 2],
    ]);
    expect((exchange!.functional as Array<Record<string, unknown>>).map((r) => [r.expected, r.st02, r.state])).to.deep.equal([
      ['997', '0001', 'open'],
    ]);
    expect(exchange!.business).to.deep.equal([]);
    expect(await admin.exchanges('nobody')).to.equal(undefined);
  });
});
