import { expect } from 'chai';
import { openStore, type Store } from '../../../engine/store/index.js';
import type { MdnOwed } from '../../../lib/services.js';
import { storeBackends } from '../../support/stores.js';

const HOUR = 3_600_000;

for (const backend of storeBackends({ writerThread: true }))
  describe(`MDN ledger (${backend.title})`, function () {
    this.timeout(30_000);
    let store: Store;
    let other: Store;
    beforeEach(async () => {
      const location = await backend.fresh();
      store = await openStore(location, backend.options);
      other = await openStore(location, backend.options);
    });
    afterEach(async () => {
      await Promise.all([store.close(), other.close()]);
    });
    after(() => backend.cleanup());

    async function owed(overrides: Partial<MdnOwed> = {}): Promise<MdnOwed> {
      const { messageId } = await store.ingest('out', { raw: Buffer.from('ISA') }, HOUR);
      return {
        partner: 'acme',
        as2From: 'HOSPITAL',
        as2To: 'ACME',
        as2MessageId: `<${messageId}@hospital>`,
        messageId,
        deliveryId: `${messageId}:r`,
        file: 'po.x12',
        mode: 'async',
        signed: true,
        mics: { sha256: 'abc=', sha1: 'def=' },
        dueAt: Date.now() + HOUR,
        ...overrides,
      };
    }

    it('records an MDN owed once per Message-ID: a resend counts an attempt and keeps the first deadline', async () => {
      const o = await owed();
      await store.expectMdn(o);
      await store.expectMdn({ ...o, dueAt: o.dueAt + 5 * HOUR });
      const r = await store.mdnOwed('ACME', o.as2MessageId);
      expect(r).to.deep.include({
        attempts: 2,
        dueAt: o.dueAt,
        mics: o.mics,
        signed: true,
        mode: 'async',
        deliveryId: o.deliveryId,
        file: 'po.x12',
      });
      expect(r!.settledAt).to.equal(undefined);
      expect(await store.mdnOwed('OTHER', o.as2MessageId)).to.equal(undefined);
    });

    it('is overdue past its deadline until settled; settled once, even by two stores at once; every MDN received is on the delivery', async () => {
      const o = await owed({ dueAt: Date.now() - 1000 });
      await store.expectMdn(o);
      expect((await store.overdueMdns()).map((m) => m.as2MessageId)).to.deep.equal([o.as2MessageId]);
      expect(await store.overdueMdnCounts()).to.deep.equal({ acme: 1 });
      const { id } = (await store.mdnOwed('ACME', o.as2MessageId))!;
      // A forged MDN is written on the delivery, and settles nothing.
      expect(await store.settleMdn({ id, outcome: 'as2-mdn-signature-invalid', detail: 'forged', settle: false })).to.equal(true);
      expect(await store.overdueMdnCounts()).to.deep.equal({ acme: 1 });
      const results = await Promise.all([
        store.settleMdn({ id, outcome: 'processed', detail: 'MIC matches', settle: true }),
        other.settleMdn({ id, outcome: 'processed', detail: 'MIC matches', settle: true }),
      ]);
      expect(results.filter(Boolean)).to.have.length(1);
      expect(await store.overdueMdns()).to.deep.equal([]);
      expect(await store.overdueMdnCounts()).to.deep.equal({});
      expect((await store.mdnOwed('ACME', o.as2MessageId))!).to.deep.include({ outcome: 'processed', detail: 'MIC matches' });
      const acks = (await store.getMessage(o.messageId))!.acks.map((a) => [a.direction, a.kind, a.code, a.deliveryId]);
      expect(acks).to.deep.equal([
        ['received', 'mdn', 'as2-mdn-signature-invalid', o.deliveryId],
        ['received', 'mdn', 'processed', o.deliveryId],
      ]);
      expect((await store.partnerMdns('acme')).map((m) => m.outcome)).to.deep.equal(['processed']);
      expect((await store.messageMdns(o.messageId)).length).to.equal(1);
    });
  });
