import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { reconcileMonth } from '../../../bench/reconcile/index.js';
import { generateMonth } from '../../../bench/reconcile/month.js';
import { loadConfig } from '../../../engine/config/index.js';
import { lineageChain, ReconciliationService } from '../../../engine/reconcile/index.js';
import { silentLogger } from '../../../lib/log.js';
import { openStore } from '../../../engine/store/index.js';
import { storeBackends } from '../../support/stores.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * A small generated month (bench/reconcile/month.ts: real HL7 v2 and X12 text, parsed by the engine's
 * parsers, indexed through markRouted) with faults of every kind injected: each one is found and no
 * exception is left that no fault explains, on both stores. `npm run bench -- reconcile` runs the
 * full month of 10,000 procedures.
 */
for (const backend of storeBackends())
  describe(`reconciliation of a generated month (${backend.name})`, function () {
    this.timeout(300_000);
    after(() => backend.cleanup());

    it('finds every injected fault and nothing else; a second run opens nothing new', async () => {
      const { config } = await loadConfig(`${ROOT}config`, { env: { ...process.env, INTERLACE_DATA: '/nonexistent' } });
      const store = await openStore(await backend.fresh(), { sync: 'normal' });
      try {
        const month = generateMonth(7, 1000);
        const r = await reconcileMonth(store, month, {
          engine: config.engine!.reconciliation,
          partners: config.partners.map((p) => p.config),
        });
        const missed = [...r.kinds].filter(([, k]) => k.found !== k.injected).map(([kind, k]) => `${kind}: ${k.found} of ${k.injected}`);
        expect(missed, 'faults injected but not found').to.deep.equal([]);
        expect(Object.fromEntries(r.falsePositives), 'exceptions no injected fault explains').to.deep.equal({});
        expect([...r.kinds.keys()].length, 'fault kinds injected').to.be.greaterThanOrEqual(10);
        for (const kind of ['inventory-missing', 'inventory-duplicate', 'inventory-duplicate-serial', 'claim-denied', 'claim-line-denied'])
          expect(r.kinds.get(kind)?.injected ?? 0, `${kind} injected`).to.be.greaterThan(0);
        expect(r.again.result).to.include({ opened: 0, reopened: 0, resolved: 0 });
        expect(r.report.summary.fields.matched).to.be.greaterThan(1000);
        // A denied charge's chain: the remittance (only this patient's claim of it) and the usage with lot and serial.
        const denied = month.faults.find((f) => f.kind === 'claim-denied')!;
        const service = new ReconciliationService({
          store,
          config: config.engine!.reconciliation,
          partners: [],
          tables: async () => month.tables,
          log: silentLogger,
        });
        const chain = (await lineageChain(store, 'charge', denied.docKey, await service.context()))!;
        const remittance = chain.documents.find((d) => d.kind === 'claim-payment')!.data as { claims: Array<{ status: string }> };
        expect(remittance.claims.map((c) => c.status)).to.deep.equal(['denied']);
        const usage = chain.documents.find((d) => d.kind === 'usage')!.data as { lines: Array<{ transactionId: string; lot: string }> };
        expect(usage.lines.find((l) => l.transactionId === denied.docKey)!.lot).to.match(/^L\d+/);
        expect(chain.exceptions.map((e: any) => e.rule)).to.include('claim-denied');
      } finally {
        await store.close();
      }
    });
  });
