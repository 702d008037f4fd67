import { expect } from 'chai';
import { openStore, type Lineage, type ReconFinding, type Store } from '../../../engine/store/index.js';
import { storeBackends } from '../../support/stores.js';
import { engineReconciliation } from '../../../engine/reconcile/config.js';
import { reconcileDocuments } from '../../../engine/reconcile/reconcile.js';
import { ReconciliationService } from '../../../engine/reconcile/service.js';
import { silentLogger } from '../../../lib/log.js';

const HOUR = 3_600_000;
const json = (v: unknown) => ({ body: JSON.stringify(v), contentType: 'application/json' });

const finding = (over: Partial<ReconFinding> = {}): ReconFinding => ({
  fingerprint: 'three-way-mismatch|invoice|INV-1|acme|1|unitPrice|',
  rule: 'three-way-mismatch',
  ownerRole: 'accounts-payable',
  docKind: 'invoice',
  docKey: 'INV-1',
  partner: 'acme',
  businessDate: '2026-11-10',
  line: '1',
  field: 'unitPrice',
  expected: '10',
  actual: '12',
  detail: 'invoice INV-1 line 1 unitPrice: expected 10, invoiced 12',
  ...over,
});

for (const backend of storeBackends({ writerThread: true }))
  describe(`business documents and reconciliation exceptions (${backend.title})`, function () {
    this.timeout(30_000);
    let store: Store;
    beforeEach(async () => {
      store = await openStore(await backend.fresh(), backend.options);
    });
    afterEach(() => store.close());
    after(() => backend.cleanup());

    async function routed(lineage: Lineage, routes: string[] = ['billing']): Promise<string> {
      const { messageId } = await store.ingest('or', { raw: Buffer.from('MSH|x'), controlId: `C${Math.random()}` }, HOUR);
      const deliveries = routes.map((route) => ({ route, payload: json({}) }));
      expect(await store.markRouted(messageId, [], deliveries, lineage)).to.not.equal(false);
      return messageId;
    }

    it('indexes the documents of a routed message with the routing, by kind and key, with the state of the delivery that sends them', async () => {
      const lineage: Lineage = {
        documents: [
          { kind: 'usage', key: 'EV1', facility: 'MAIN', businessDate: '2026-11-03T10:00', data: { eventId: 'EV1', lines: [] } },
          { kind: 'charge', key: 'TX1', route: 'billing', businessDate: '2026-11-03', data: { itemNumber: '100234' } },
        ],
        links: [{ fromKind: 'usage', fromKey: 'EV1', toKind: 'charge', toKey: 'TX1', relation: 'charged-as' }],
      };
      const id = await routed(lineage);
      const [usage] = await store.documentsByKey('usage', 'EV1');
      expect(usage).to.include({ kind: 'usage', key: 'EV1', facility: 'MAIN', messageId: id, channel: 'or' });
      expect(usage!.deliveryId).to.equal(undefined);
      const [charge] = await store.documentsByKey('charge', 'TX1');
      expect(charge).to.include({ deliveryId: `${id}:billing`, deliveryState: 'pending' });
      await store.recordAttempt(`${id}:billing`, {
        state: 'delivered',
        attempt: 1,
        status: '200',
        startedAt: Date.now(),
        finishedAt: Date.now(),
      });
      expect((await store.documentsByKey('charge', 'TX1'))[0]!.deliveryState).to.equal('delivered');
      expect(await store.documentLinks([{ kind: 'charge', key: 'TX1' }])).to.deep.equal(lineage.links);
      expect(await store.documentLinks([{ kind: 'usage', key: 'EV1' }])).to.deep.equal(lineage.links);
      expect(await store.documentLinks([{ kind: 'usage', key: 'EV2' }])).to.deep.equal([]);
      // A date-time on the last day of a range is in it; the day after is not.
      expect((await store.listDocuments({ kinds: ['usage'], from: '2026-11-03', to: '2026-11-03' })).map((d) => d.key)).to.deep.equal([
        'EV1',
      ]);
      expect(await store.listDocuments({ kinds: ['usage'], from: '2026-11-04', to: '2026-11-30' })).to.deep.equal([]);
      expect((await store.listDocuments({ afterId: usage!.id })).map((d) => d.key)).to.deep.equal(['TX1']);
      // the same listings, keys alone
      const all = await store.listDocuments({});
      expect(await store.listDocumentKeys({})).to.deep.equal(all.map((d) => ({ id: d.id, kind: d.kind, key: d.key })));
      expect(await store.listDocumentKeys({ afterId: usage!.id })).to.deep.equal([{ id: charge!.id, kind: 'charge', key: 'TX1' }]);
      expect(await store.listDocumentKeys({ kinds: ['usage'], after: '2026-11-02', through: '2026-11-03T23:59' })).to.deep.equal([
        { id: usage!.id, kind: 'usage', key: 'EV1' },
      ]);
      expect(await store.listDocumentKeys({ ids: [charge!.id, 999_999] })).to.deep.equal([{ id: charge!.id, kind: 'charge', key: 'TX1' }]);
    });

    it('keeps what the billing server answered it booked beside the charge sent, and reconciliation compares the usage with it', async () => {
      const usage = {
        eventId: 'EV7',
        accountNumber: 'ACC7',
        lines: [{ line: 1, itemNumber: '100234', quantity: { value: '2' }, chargeCode: 'C1' }],
      };
      const id = await routed({
        documents: [
          { kind: 'usage', key: 'EV7', businessDate: '2026-11-03', data: usage },
          {
            kind: 'charge',
            key: 'EV7-1',
            route: 'billing',
            businessDate: '2026-11-03',
            data: { transactionId: 'EV7-1', itemNumber: '100234', quantity: '2', accountNumber: 'ACC7' },
          },
        ],
        links: [],
      });
      // the server booked quantity 3 on another account: it says so in the resource it answers
      const booked = {
        resourceType: 'ChargeItem',
        id: 'srv-1',
        identifier: [{ system: 'urn:interlace:or-usage', value: 'EV7-1' }],
        productCodeableConcept: { coding: [{ code: '100234' }] },
        quantity: { value: 3 },
        account: [{ identifier: { value: 'ACC9' } }],
      };
      await store.recordAttempt(`${id}:billing`, {
        state: 'delivered',
        attempt: 1,
        status: '200',
        startedAt: Date.now(),
        finishedAt: Date.now(),
        answered: [{ resourceType: 'OperationOutcome' }, booked],
      });
      const [charge] = await store.documentsByKey('charge', 'EV7-1');
      expect(charge!.data).to.deep.include({ quantity: '2', accountNumber: 'ACC7' });
      expect((charge!.data as { booked: unknown }).booked).to.deep.include({ quantity: '3', accountNumber: 'ACC9', itemNumber: '100234' });
      const service = new ReconciliationService({
        store,
        config: engineReconciliation.parse({}),
        partners: [],
        tables: async () => ({}),
        log: silentLogger,
      });
      const { findings } = reconcileDocuments(await store.listDocuments({}), await service.context(Date.parse('2026-12-10')));
      expect(findings.filter((f) => f.rule === 'charge-mismatch').map((f) => `${f.field} ${f.expected}→${f.actual}`)).to.deep.equal([
        'quantity 2→3',
        'accountNumber ACC7→ACC9',
      ]);
    });

    it('writes nothing twice when a message is routed again after a reprocess', async () => {
      const lineage: Lineage = {
        documents: [{ kind: 'invoice', key: 'INV-9', businessDate: '2026-11-05', data: {} }],
        links: [{ fromKind: 'purchase-order', fromKey: 'PO-9', toKind: 'invoice', toKey: 'INV-9', relation: 'invoiced-by' }],
      };
      const id = await routed(lineage, []);
      expect(await store.resetForReprocess(id)).to.equal(true);
      expect(await store.markRouted(id, [], [], lineage)).to.not.equal(false);
      expect(await store.documentsByKey('invoice', 'INV-9')).to.have.length(1);
      expect(await store.documentLinks([{ kind: 'invoice', key: 'INV-9' }])).to.have.length(1);
    });

    it('opens new findings, keeps known ones, resolves vanished ones of the range and reopens them when found again', async () => {
      const run = (findings: ReconFinding[]) => store.applyReconRun({ from: '2026-11-01', to: '2026-11-30', findings, actor: 'test' });
      expect(await run([finding(), finding({ fingerprint: 'other', docKey: 'INV-2' })])).to.deep.equal({
        opened: 2,
        reopened: 0,
        updated: 0,
        resolved: 0,
      });
      expect(await run([finding({ actual: '12.5' })])).to.deep.equal({ opened: 0, reopened: 0, updated: 1, resolved: 1 });
      const [first] = await store.listReconExceptions({ docKey: 'INV-1' });
      expect(first).to.include({ state: 'open', actual: '12.5', ownerRole: 'accounts-payable' });
      const [other] = await store.listReconExceptions({ docKey: 'INV-2' });
      expect(other).to.include({ state: 'resolved', resolution: 'no longer found by reconciliation' });
      // Outside the range, nothing is resolved.
      await store.applyReconRun({ from: '2026-12-01', to: '2026-12-31', findings: [], actor: 'test' });
      expect((await store.listReconExceptions({ state: 'open' })).map((e) => e.docKey)).to.deep.equal(['INV-1']);
      expect(await run([finding(), finding({ fingerprint: 'other', docKey: 'INV-2' })])).to.deep.equal({
        opened: 0,
        reopened: 1,
        updated: 1,
        resolved: 0,
      });
      const detail = await store.getReconException(other!.id);
      expect(detail!.events.map((e) => `${e.action}:${e.state}`)).to.deep.equal(['opened:open', 'resolved:resolved', 'reopened:open']);
    });

    it('keeps the case references of each document, finds documents by them, and a scoped run resolves only what they file', async () => {
      await routed({
        documents: [
          { kind: 'purchase-order', key: 'PO-7', businessDate: '2026-11-02', data: { number: 'PO-7', lines: [] } },
          { kind: 'invoice', key: 'INV-1', businessDate: '2026-11-10', data: { number: 'INV-1', purchaseOrder: { number: 'PO-7' } } },
        ],
        links: [],
      });
      await routed({ documents: [{ kind: 'invoice', key: 'INV-2', businessDate: '2026-11-11', data: { number: 'INV-2' } }], links: [] });
      // the invoice names its order: both are found by the order's reference, each with its own references
      const found = await store.caseDocuments(['purchase-order:PO-7']);
      expect(found.map((d) => [d.key, [...d.refs].sort()])).to.deep.equal([
        ['PO-7', ['purchase-order:PO-7']],
        ['INV-1', ['invoice:INV-1', 'purchase-order:PO-7']],
      ]);
      expect((await store.caseDocuments(['invoice:INV-2', 'invoice:none'])).map((d) => d.key)).to.deep.equal(['INV-2']);
      expect(await store.documentRefsFloor()).to.equal(found[0]!.id);
      // references of a document indexed before they were kept: added once, never twice
      await store.addDocumentRefs([{ documentId: found[0]!.id, refs: ['purchase-order:PO-7', 'implant:X|1'] }]);
      expect((await store.caseDocuments(['implant:X|1']))[0]!.refs.sort()).to.deep.equal(['implant:X|1', 'purchase-order:PO-7']);

      await store.applyReconRun({
        from: '2026-11-01',
        to: '2026-11-30',
        findings: [finding(), finding({ fingerprint: 'other', docKey: 'INV-2' })],
        actor: 'test',
      });
      const scope = found.flatMap((d) => d.refs);
      expect(await store.openReconExceptionsIn({ from: '2026-11-01', to: '2026-11-30', scope })).to.equal(true);
      expect(await store.openReconExceptionsIn({ from: '2026-12-01', to: '2026-12-31', scope }), 'another range').to.equal(false);
      // a run over INV-1's case that no longer finds it resolves it, and leaves INV-2 (another case) open
      const scoped = await store.applyReconRun({
        from: '2026-11-01',
        to: '2026-11-30',
        findings: [],
        actor: 'test',
        scope: found.flatMap((d) => d.refs),
      });
      expect(scoped).to.deep.equal({ opened: 0, reopened: 0, updated: 0, resolved: 1 });
      expect(await store.openReconExceptionsIn({ from: '2026-11-01', to: '2026-11-30', scope }), 'resolved').to.equal(false);
      expect((await store.listReconExceptions({ state: 'open' })).map((e) => e.docKey)).to.deep.equal(['INV-2']);
      // a key in scope under another kind is not the run's to resolve
      await store.applyReconRun({ from: '2026-11-01', to: '2026-11-30', findings: [], actor: 'test', scope: ['purchase-order:INV-2'] });
      expect((await store.listReconExceptions({ state: 'open' })).map((e) => e.docKey)).to.deep.equal(['INV-2']);
    });

    it('keeps the audit trail of an analyst; an exception resolved by an analyst stays resolved when found again', async () => {
      await store.applyReconRun({ from: '2026-11-01', to: '2026-11-30', findings: [finding()], actor: 'test' });
      const [e] = await store.listReconExceptions({});
      expect(await store.updateReconException(e!.id, { state: 'acknowledged', actor: 'ap-clerk', ownerRole: 'buyer' })).to.equal(true);
      expect(
        await store.updateReconException(e!.id, { state: 'resolved', actor: 'ap-clerk', reason: 'credit memo CM-7 requested' }),
      ).to.equal(true);
      expect(await store.updateReconException(999_999, { state: 'resolved', actor: 'x', reason: 'y' })).to.equal(false);
      expect(await store.applyReconRun({ from: '2026-11-01', to: '2026-11-30', findings: [finding()], actor: 'test' })).to.deep.equal({
        opened: 0,
        reopened: 0,
        updated: 1,
        resolved: 0,
      });
      const detail = await store.getReconException(e!.id);
      expect(detail).to.include({ state: 'resolved', resolution: 'credit memo CM-7 requested', ownerRole: 'buyer' });
      expect(detail!.events.map((x) => [x.actor, x.action, x.detail ?? ''])).to.deep.equal([
        ['test', 'opened', finding().detail],
        ['ap-clerk', 'acknowledged', 'owner buyer'],
        ['ap-clerk', 'resolved', 'credit memo CM-7 requested'],
      ]);
      expect(await store.listReconExceptions({ state: 'open' })).to.deep.equal([]);
      expect(
        await store.listReconExceptions({ rule: 'three-way-mismatch', partner: 'acme', from: '2026-11-10', to: '2026-11-10' }),
      ).to.have.length(1);
    });
  });
