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
import { createEngineX12 } from '../../../engine/x12/index.js';
import { silentLogger } from '../../../lib/log.js';
import { parseX12 } from '../../../parsers/x12/index.js';
import { As2Link, as2TransportSchema } from '../../../routes/destinations/as2/index.js';
import { RecordingContext } from '../../channels/file/support.js';
import { makeCert, scratch, type TestCert } from '../../support/openssl.js';

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
});
