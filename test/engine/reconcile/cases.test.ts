import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { indexMessages } from '../../../bench/reconcile/index.js';
import { generateMonth } from '../../../bench/reconcile/month.js';
import { loadConfig } from '../../../engine/config/index.js';
import { caseRefs, casesOf, ref } from '../../../engine/reconcile/cases.js';
import { engineReconciliation } from '../../../engine/reconcile/config.js';
import { reconcileDocuments, ReconciliationService } from '../../../engine/reconcile/index.js';
import { openStore, type Lineage, type Store } from '../../../engine/store/index.js';
import { silentLogger } from '../../../lib/log.js';
import pg from 'pg';
import { storeBackends } from '../../support/stores.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HOUR = 3_600_000;

async function shipped() {
  const { config } = await loadConfig(`${ROOT}config`, { env: { ...process.env, INTERLACE_DATA: '/nonexistent' } });
  return { engine: config.engine!.reconciliation, partners: config.partners.map((p) => p.config) };
}

for (const backend of storeBackends())
  describe(`reconciliation by case (${backend.name})`, function () {
    this.timeout(300_000);
    let store: Store;
    afterEach(() => store?.close());
    after(() => backend.cleanup());

    // A generated month with faults of every kind (bench/reconcile/month.ts), reconciled whole and case
    // by case: the same findings. A rule that compared documents no shared reference connects would
    // find something in the whole that no case finds, or the other way round.
    it('finds in each case alone exactly what the whole month finds, each finding filed under a reference of its case', async () => {
      const cfg = await shipped();
      store = await openStore(await backend.fresh(), { sync: 'normal' });
      const month = generateMonth(11, 400);
      await indexMessages(store, month.messages);
      const docs = await store.listDocuments({ limit: 1_000_000 });
      const service = new ReconciliationService({
        store,
        config: cfg.engine,
        partners: cfg.partners,
        tables: async () => month.tables,
        log: silentLogger,
      });
      const ctx = await service.context(Date.parse('2026-12-10T00:00:00Z'));
      const whole = reconcileDocuments(docs, ctx)
        .findings.map((f) => f.fingerprint)
        .sort();
      const cases = casesOf(docs.map((d) => ({ ...d, refs: caseRefs(d) })));
      const byCase: string[] = [];
      const stray: string[] = [];
      for (const c of cases) {
        const refs = new Set(c.flatMap((d) => d.refs));
        for (const f of reconcileDocuments(c, ctx).findings) {
          byCase.push(f.fingerprint);
          if (!refs.has(ref(f.docKind, f.docKey))) stray.push(f.fingerprint);
        }
      }
      expect(stray, 'findings filed under no reference of their case').to.deep.equal([]);
      expect(byCase.sort()).to.deep.equal(whole);
      const rules = new Set(whole.map((f) => f.split('|')[0]));
      expect(rules.size, `rules found: ${[...rules].join(', ')}`).to.be.at.least(10);
      expect(cases.length, 'cases').to.be.greaterThan(100);
      // what the store keeps for each document is what the rules' references say
      const kept = await store.caseDocuments(docs.map((d) => ref(d.kind, d.key)));
      expect(kept.length).to.equal(docs.length);
      for (const d of kept) expect([...d.refs].sort(), `${d.kind} ${d.key}`).to.deep.equal(caseRefs(d).sort());
    });

    it('a continuous run after the first reconciles the cases new documents touch and ends where a run over the whole window does', async () => {
      const cfg = await shipped();
      store = await openStore(await backend.fresh(), { sync: 'normal' });
      const month = generateMonth(5, 300);
      // first the OR's usage, the orders and the remittances; then the suppliers' answers and the receipts
      const answer = (m: (typeof month.messages)[number]) => m.channel === 'supplier-inbound' || m.channel === 'erp-receipts';
      await indexMessages(
        store,
        month.messages.filter((x) => !answer(x)),
      );
      const config = { ...cfg.engine, window: 400 * 24 * HOUR };
      const service = new ReconciliationService({
        store,
        config,
        partners: cfg.partners,
        tables: async () => month.tables,
        log: silentLogger,
      });
      const first = await service.continuous();
      const total = (await store.listDocuments({ limit: 1_000_000 })).length;
      expect(first.summary.documents, 'the first run reads the whole window').to.equal(total);
      expect(first.result.opened).to.be.greaterThan(0);

      await indexMessages(store, month.messages.filter(answer));
      const second = await service.continuous();
      expect(second.result.opened, 'the answers disagree with some orders').to.be.greaterThan(0);
      expect(second.result.resolved, 'the answers resolve missing 855s and 856s').to.be.greaterThan(0);
      // a whole-window run at the same moment has nothing to change
      const whole = await service.run({ from: second.from, to: second.to, asOf: Date.parse(second.asOf) });
      expect(whole.result).to.deep.equal({ opened: 0, reopened: 0, updated: whole.result.updated, resolved: 0 });
      expect(whole.result.updated).to.be.greaterThan(0);
      // nothing new: nothing read
      const third = await service.continuous();
      expect(third.summary.documents).to.equal(0);
    });

    it('sweeps the deadlines that passed since the last run, and an answer resolves what they found', async () => {
      store = await openStore(await backend.fresh());
      const routed = async (lineage: Lineage) => {
        const { messageId } = await store.ingest('x12-in', { raw: Buffer.from('ISA|x'), controlId: `C${Math.random()}` }, HOUR);
        expect(await store.markRouted(messageId, [], [], lineage)).to.not.equal(false);
      };
      // an order whose 855 falls due a moment from now (a UTC time, and a date whose deadline is midnight past)
      const ordered = Date.now() - 48 * HOUR + 1500;
      const po = (key: string, businessDate: string) => ({
        kind: 'purchase-order' as const,
        key,
        businessDate,
        data: { number: key, lines: [{ line: '1', item: { buyerItem: 'X' }, quantity: { value: '1' } }] },
      });
      await routed({ documents: [po('PO-SOON', new Date(ordered).toISOString())], links: [] });
      const config = engineReconciliation.parse({ poAckDeadline: '48h', asnDeadline: '400d', window: '30d' });
      const service = new ReconciliationService({ store, config, partners: [], tables: async () => ({}), log: silentLogger });
      const rules = async () => (await store.listReconExceptions({ state: 'open' })).map((e) => `${e.rule} ${e.docKey}`);
      await service.continuous();
      expect(await rules(), 'not yet due').to.deep.equal([]);
      while (Date.now() <= ordered + 48 * HOUR) await new Promise((r) => setTimeout(r, 100));
      const swept = await service.continuous();
      expect(swept.summary.documents, 'the order came due: its case was read').to.equal(1);
      expect(await rules()).to.deep.equal(['po-ack-missing PO-SOON']);
      await routed({
        documents: [
          { kind: 'po-ack', key: 'ACK-1', businessDate: '2026-12-01', data: { purchaseOrder: { number: 'PO-SOON' }, lines: [] } },
        ],
        links: [],
      });
      await service.continuous();
      expect(await rules(), 'the 855 resolves it').to.deep.equal([]);
    });

    it('reconciles the whole window again once the charge master is reloaded, as any case may change with it', async () => {
      store = await openStore(await backend.fresh());
      const { messageId } = await store.ingest('or', { raw: Buffer.from('MSH|x'), controlId: 'C1' }, HOUR);
      // a usage line with no charge code, for an item the charge master does not know: not billable yet
      const usage = { eventId: 'EV1', lines: [{ line: 1, itemNumber: 'IMPL-9', quantity: { value: '1' } }] };
      await store.markRouted(messageId, [], [], {
        documents: [{ kind: 'usage', key: 'EV1', businessDate: '2026-11-02', data: usage }],
        links: [],
      });
      const tables: Record<string, { columns: string[]; rows: Array<Record<string, string>> }> = {
        chargemaster: { columns: ['item', 'charge_code'], rows: [] },
      };
      const config = engineReconciliation.parse({ window: '400d' });
      const service = new ReconciliationService({ store, config, partners: [], tables: async () => tables, log: silentLogger });
      const open = async () => (await store.listReconExceptions({ state: 'open' })).map((e) => `${e.rule} ${e.docKey}`);
      expect((await service.continuous()).summary.documents).to.equal(1);
      expect((await service.continuous()).summary.documents, 'nothing new: nothing read').to.equal(0);
      expect(await open()).to.deep.equal([]);
      // the charge master is reloaded (a new table object) with the item: the line is billable and has no charge
      tables.chargemaster = { columns: ['item', 'charge_code'], rows: [{ item: 'IMPL-9', charge_code: '278' }] };
      expect((await service.continuous()).summary.documents, 'the whole window').to.equal(1);
      expect(await open()).to.deep.equal(['charge-missing EV1']);
      expect((await service.continuous()).summary.documents, 'then by case again').to.equal(0);
    });

    it('reads a document whose id was given before a higher one but committed after it (several writers)', async function () {
      if (backend.name !== 'postgres') this.skip(); // one writer on SQLite: ids commit in order
      const url = await backend.fresh();
      store = await openStore(url);
      const config = engineReconciliation.parse({ poAckDeadline: '48h', asnDeadline: '400d', window: '400d' });
      const service = new ReconciliationService({ store, config, partners: [], tables: async () => ({}), log: silentLogger });
      await service.continuous();
      const slow = new pg.Client({ connectionString: url });
      await slow.connect();
      try {
        // a writer takes an id and has not committed yet
        await slow.query('BEGIN');
        const { rows } = await slow.query<{ id: number }>(
          `INSERT INTO business_documents (kind, doc_key, business_date, message_id, channel, data, recorded_at)
           VALUES ('purchase-order', 'PO-LATE', '2026-11-02', 'M-LATE', 'x12-in', $1, $2) RETURNING id`,
          [JSON.stringify({ number: 'PO-LATE', lines: [{ line: '1', item: { buyerItem: 'X' }, quantity: { value: '1' } }] }), Date.now()],
        );
        await slow.query(`INSERT INTO document_refs (document_id, ref) VALUES ($1, 'purchase-order:PO-LATE')`, [rows[0]!.id]);
        // another commits a higher id, and a run reads it
        const { messageId } = await store.ingest('x12-in', { raw: Buffer.from('ISA|x'), controlId: 'C2' }, HOUR);
        await store.markRouted(messageId, [], [], {
          documents: [
            {
              kind: 'invoice',
              key: 'INV-9',
              businessDate: '2026-11-03',
              data: { number: 'INV-9', invoiceDate: '2026-11-03', total: { amount: '10' }, lines: [] },
            },
          ],
          links: [],
        });
        await service.continuous();
        await slow.query('COMMIT');
      } finally {
        await slow.end();
      }
      await service.continuous();
      const open = (await store.listReconExceptions({ state: 'open' })).map((e) => `${e.rule} ${e.docKey}`).sort();
      expect(open).to.deep.equal(['invoice-without-po INV-9', 'po-ack-missing PO-LATE']);
    });
  });
