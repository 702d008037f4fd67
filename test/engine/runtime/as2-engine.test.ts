import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { as2 as as2Source } from '../../../channels/as2/index.js';
import type { Source } from '../../../channels/types.js';
import type { ChannelConfig } from '../../../engine/config/index.js';
import { partnerSchema } from '../../../engine/config/partner-schema.js';
import { ChannelIntake } from '../../../engine/runtime/intake.js';
import { createEngineServices } from '../../../engine/runtime/services.js';
import { SqliteStore } from '../../../engine/store/sqlite/store.js';
import { createEngineX12, x12Admin } from '../../../engine/x12/index.js';
import { freePort } from '../../../lib/net.js';
import { sleep } from '../../support/until.js';
import { silentLogger } from '../../../lib/log.js';
import { parseX12 } from '../../../parsers/x12/index.js';
import { As2Link, as2TransportSchema } from '../../../routes/destinations/as2/index.js';
import { RecordingContext } from '../../channels/file/support.js';
import { makeCert, scratch, type TestCert } from '../../support/openssl.js';

/** Waits for an asynchronous condition (a store read) with a generous bound, naming what never happened. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const SAMPLE = readFileSync(new URL('../../../samples/as2/northwind-856.x12', import.meta.url));

/**
 * The engine's receiving side with the real AS2 source, the real SQLite store and the real engine
 * services: the partner (our AS2 sender) sends an 856; the engine stores it, answers a signed MDN the
 * sender verifies, and sends the 997 back to the partner over the partner's AS2 transport (to our AS2
 * receiver playing the partner), whose MDN the engine verifies in turn.
 */
describe('AS2 through the engine: partner → receiver → store → MDN, and the 997 back over AS2', function () {
  this.timeout(60_000);
  const tmp = scratch('interlace-as2-engine-');
  let us: TestCert, northwind: TestCert;
  const stops: Array<() => Promise<void>> = [];
  before(() => {
    us = makeCert(tmp.dir, 'hospital');
    northwind = makeCert(tmp.dir, 'northwind');
  });
  after(() => tmp.cleanup());
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  it('stores the payload once, answers MDNs both ways, records the transport receipts in the ledger', async () => {
    // The partner's own AS2 receiver, where our 997 must arrive.
    const partnerInbox = new RecordingContext();
    const partnerSide: Source = as2Source.create(
      as2Source.schema.parse({
        type: 'as2',
        host: '127.0.0.1',
        port: 0,
        as2Id: 'NORTHWIND-AS2',
        certificate: northwind.certPath,
        privateKey: northwind.keyPath,
        partners: [{ as2Id: 'INTERLACE-HOSPITAL', certificate: us.certPath }],
      }),
      partnerInbox,
    );
    await partnerSide.start();
    stops.push(() => partnerSide.stop());

    const store = new SqliteStore({ path: join(tmp.dir, 'messages.db') });
    stops.push(() => store.close());
    const partners = [
      partnerSchema.parse({
        id: 'northwind-surgical',
        name: 'Northwind',
        isa: { qualifier: 'ZZ', id: 'NORTHWINDSURG' },
        gs: { id: 'NORTHWIND' },
        version: '004010',
        acknowledgments: { send: '997' },
        transport: {
          type: 'as2',
          url: `http://127.0.0.1:${partnerSide.address!()!.port}/as2`,
          as2From: 'INTERLACE-HOSPITAL',
          as2To: 'NORTHWIND-AS2',
          signCert: us.certPath,
          signKey: us.keyPath,
          partnerCert: northwind.certPath,
          compress: 'before-signing',
        },
      }),
    ];
    const engine = {
      x12: { interchangeId: 'INTERLACEHOSP', qualifier: 'ZZ', applicationCode: 'INTERLACE', defaultAck: '997' as const },
      store: { duplicateWindow: 86_400_000 },
    };
    const x12 = createEngineX12(
      { partners: partners.map((config) => ({ file: 'northwind.yaml', id: config.id, config })), engine: engine as never },
      store,
      silentLogger,
    );
    const services = createEngineServices({ partners, x12: x12.services, mdns: store, log: silentLogger });
    stops.push(() => services.close());
    const source = as2Source.schema.parse({
      type: 'as2',
      host: '127.0.0.1',
      port: 0,
      as2Id: 'INTERLACE-HOSPITAL',
      certificate: us.certPath,
      privateKey: us.keyPath,
      partners: [{ as2Id: 'NORTHWIND-AS2', partner: 'northwind-surgical', certificate: northwind.certPath }],
    });
    const config = { name: 'northwind-as2-inbound', source, parse: { format: 'x12' }, routes: [] } as unknown as ChannelConfig;
    const intake = new ChannelIntake({ config, store, duplicateWindowMs: 86_400_000, log: silentLogger, x12, services });
    await intake.start();
    stops.push(() => intake.stop());

    // Northwind sends us the 856 with our own sender (signed, compressed, encrypted, signed sync MDN asked).
    const sender = new As2Link(
      as2TransportSchema.parse({
        type: 'as2',
        url: `http://127.0.0.1:${intake.address()!.port}/as2`,
        as2From: 'NORTHWIND-AS2',
        as2To: 'INTERLACE-HOSPITAL',
        signCert: northwind.certPath,
        signKey: northwind.keyPath,
        partnerCert: us.certPath,
        encryption: '3des',
        compress: 'before-signing',
      }),
      silentLogger,
      { partner: 'interlace' },
    );
    stops.push(() => sender.close());
    const receipt = await sender.send({
      body: SAMPLE,
      name: '856.x12',
      contentType: 'application/edi-x12',
      key: 'northwind-856-1',
      messageId: 'northwind-856-1',
    });
    expect(receipt.status).to.equal('mdn-processed');

    // Stored once, as received, with the AS2 Message-ID as control id.
    const listed = await store.listMessages({ channel: 'northwind-as2-inbound' });
    expect(listed).to.have.length(1);
    expect(listed[0]).to.deep.include({ controlId: receipt.messageId, sender: 'NORTHWIND-AS2' });
    const stored = await store.getMessage(listed[0]!.id);
    expect(stored!.raw.equals(SAMPLE)).to.equal(true);

    // The 997 reaches the partner over AS2, and the engine verified the partner's MDN for it.
    const end = Date.now() + 30_000;
    const answers = async () => (await store.getMessage(listed[0]!.id))!.acks;
    while (!(await answers()).some((a) => a.kind === 'x12-ack') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    const acks = await answers();
    expect(
      acks.find((a) => a.kind === 'as2-mdn'),
      'the MDN sent to the partner is in the ledger',
    ).to.deep.include({ code: 'processed', direction: 'sent' });
    expect(
      acks.find((a) => a.kind === 'x12-ack'),
      'the 997 went out over AS2 with a verified MDN',
    ).to.deep.include({ code: 'mdn-processed' });
    expect(partnerInbox.inputs).to.have.length(1);
    // The 997's MDN was owed in the ledger and settled by the verified MDN, written on the answered message.
    expect((await store.messageMdns(listed[0]!.id)).map((m) => [m.partner, m.outcome, m.as2MessageId])).to.deep.equal([
      ['northwind-surgical', 'processed', partnerInbox.inputs[0]!.controlId],
    ]);
    expect(acks.filter((a) => a.kind === 'mdn').map((a) => [a.direction, a.code])).to.deep.equal([['received', 'processed']]);
    const ack = parseX12(partnerInbox.inputs[0]!.raw).message!.interchanges[0]!;
    expect(ack.groups[0]!.sets[0]!.id).to.equal('997');
    expect([ack.header.senderId.trim(), ack.header.receiverId.trim()]).to.deep.equal(['INTERLACEHOSP', 'NORTHWINDSURG']);

    // The partner resends the same message (it did not get our MDN): same MIC, not stored as new work, no second 997.
    const again = await sender.send({
      body: SAMPLE,
      name: '856.x12',
      contentType: 'application/edi-x12',
      key: 'northwind-856-1',
      messageId: 'northwind-856-1',
    });
    expect(again).to.deep.include({ status: 'mdn-processed', messageId: receipt.messageId, mic: receipt.mic });
    const after = await store.listMessages({ channel: 'northwind-as2-inbound' });
    expect(after.map((m) => m.status).sort()).to.deep.equal(['duplicate', stored!.status].sort());
    await new Promise((r) => setTimeout(r, 500));
    expect(partnerInbox.inputs).to.have.length(1);
  });

  it('the 997 owed to an AS2 partner that is down: its MDN is overdue, resent per the transport policy with the same Message-ID, settled when the partner is back', async () => {
    const port = await freePort();
    const store = new SqliteStore({ path: join(tmp.dir, 'late.db') });
    stops.push(() => store.close());
    const partners = [
      partnerSchema.parse({
        id: 'northwind-surgical',
        name: 'Northwind',
        isa: { qualifier: 'ZZ', id: 'NORTHWINDSURG' },
        gs: { id: 'NORTHWIND' },
        version: '004010',
        acknowledgments: { send: '997' },
        transport: {
          type: 'as2',
          url: `http://127.0.0.1:${port}/as2`,
          as2From: 'INTERLACE-HOSPITAL',
          as2To: 'NORTHWIND-AS2',
          signCert: us.certPath,
          signKey: us.keyPath,
          partnerCert: northwind.certPath,
          timeout: '5s',
          mdnDeadline: '1s',
          resend: { attempts: 4, delay: '1s' },
        },
      }),
    ];
    const engine = {
      x12: { interchangeId: 'INTERLACEHOSP', qualifier: 'ZZ', applicationCode: 'INTERLACE', defaultAck: '997' as const },
      store: { duplicateWindow: 86_400_000 },
    };
    const x12 = createEngineX12(
      { partners: partners.map((config) => ({ file: 'northwind.yaml', id: config.id, config })), engine: engine as never },
      store,
      silentLogger,
    );
    const services = createEngineServices({ partners, x12: x12.services, mdns: store, log: silentLogger });
    stops.push(() => services.close());
    const source = as2Source.schema.parse({
      type: 'as2',
      host: '127.0.0.1',
      port: 0,
      as2Id: 'INTERLACE-HOSPITAL',
      certificate: us.certPath,
      privateKey: us.keyPath,
      partners: [{ as2Id: 'NORTHWIND-AS2', partner: 'northwind-surgical', certificate: northwind.certPath }],
    });
    const config = { name: 'northwind-as2-inbound', source, parse: { format: 'x12' }, routes: [] } as unknown as ChannelConfig;
    const intake = new ChannelIntake({ config, store, duplicateWindowMs: 86_400_000, log: silentLogger, x12, services });
    await intake.start();
    stops.push(() => intake.stop());
    const sender = new As2Link(
      as2TransportSchema.parse({
        type: 'as2',
        url: `http://127.0.0.1:${intake.address()!.port}/as2`,
        as2From: 'NORTHWIND-AS2',
        as2To: 'INTERLACE-HOSPITAL',
        signCert: northwind.certPath,
        signKey: northwind.keyPath,
        partnerCert: us.certPath,
      }),
      silentLogger,
      { partner: 'interlace' },
    );
    stops.push(() => sender.close());
    expect((await sender.send({ body: SAMPLE, name: '856.x12', key: 'late-856', messageId: 'late-856' })).status).to.equal('mdn-processed');
    const [message] = await store.listMessages({ channel: 'northwind-as2-inbound' });
    const acks = async () => (await store.getMessage(message!.id))!.acks;

    // The partner's receiver is down: the first send of the 997 fails, and says it will be resent.
    await eventually('the failed 997 is recorded', async () => (await acks()).some((a) => a.kind === 'x12-ack'), 20_000);
    const failed = (await acks()).find((a) => a.kind === 'x12-ack')!;
    expect(failed.code).to.equal('failed');
    expect(failed.detail).to.match(/resent up to 4 times, first in 1000 ms/);
    const [owed] = await store.messageMdns(message!.id);
    expect(owed).to.deep.include({ partner: 'northwind-surgical', as2To: 'NORTHWIND-AS2', mode: 'sync', attempts: 1 });
    expect(owed!.settledAt).to.equal(undefined);
    await sleep(1100);
    const admin = x12Admin(store, x12);
    expect((await admin.overdue()).map((o) => [o.partner, o.expected, o.messageId])).to.deep.equal([
      ['northwind-surgical', 'mdn', message!.id],
    ]);
    expect(await admin.metrics()).to.include('interlace_acks_overdue{partner="northwind-surgical"} 1');

    // The partner comes back on the same address: a resend gets the MDN, with the Message-ID of the first send.
    const partnerInbox = new RecordingContext();
    const partnerSide: Source = as2Source.create(
      as2Source.schema.parse({
        type: 'as2',
        host: '127.0.0.1',
        port,
        as2Id: 'NORTHWIND-AS2',
        certificate: northwind.certPath,
        privateKey: northwind.keyPath,
        partners: [{ as2Id: 'INTERLACE-HOSPITAL', certificate: us.certPath }],
      }),
      partnerInbox,
    );
    await partnerSide.start();
    stops.push(() => partnerSide.stop());
    await eventually('the resent 997 gets its MDN', async () => (await store.messageMdns(message!.id))[0]!.settledAt !== undefined, 30_000);
    const [settled] = await store.messageMdns(message!.id);
    expect(settled!.outcome).to.equal('processed');
    expect(settled!.attempts).to.be.greaterThan(1);
    expect(partnerInbox.inputs.map((i) => i.controlId)).to.deep.equal([owed!.as2MessageId]);
    expect(parseX12(partnerInbox.inputs[0]!.raw).message!.interchanges[0]!.groups[0]!.sets[0]!.id).to.equal('997');
    expect((await acks()).filter((a) => a.kind === 'mdn').map((a) => [a.direction, a.code])).to.deep.equal([['received', 'processed']]);
    expect(await admin.overdue()).to.deep.equal([]);
    expect(await admin.metrics()).to.include('interlace_acks_overdue{partner="northwind-surgical"} 0');
  });
});
