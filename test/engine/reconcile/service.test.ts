import { expect } from 'chai';
import { silentLogger } from '../../../lib/log.js';
import { engineReconciliation } from '../../../engine/reconcile/config.js';
import { ReconciliationService, type RunRange, type RunReport } from '../../../engine/reconcile/service.js';
import type { Store } from '../../../engine/store/types.js';

// The engine's own service (on the thread that answers senders) hands on-demand runs to the
// processing thread: it must not read or write the store itself, and it remembers the last report.
describe('reconciliation: an on-demand run handed elsewhere', () => {
  it('runs where it is handed, one at a time, without touching the store here, and keeps the last report', async () => {
    const untouchable = new Proxy({} as Store, {
      get: (_t, name) => () => {
        throw new Error(`the store was called here (${String(name)})`);
      },
    });
    const asked: RunRange[] = [];
    let running = 0;
    const report = (r: RunRange): RunReport => ({
      from: r.from,
      to: r.to,
      asOf: '2026-12-05T00:00:00.000Z',
      ms: 1,
      result: { opened: 0, updated: 0, reopened: 0, resolved: 0 } as never,
      summary: {} as never,
    });
    const service = new ReconciliationService({
      store: untouchable,
      config: engineReconciliation.parse({}),
      partners: [],
      tables: async () => ({}),
      log: silentLogger,
      runElsewhere: async (r) => {
        expect(++running, 'runs overlap').to.equal(1);
        asked.push(r);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running--;
        return report(r);
      },
    });
    const [a, b] = await Promise.all([
      service.run({ from: '2026-11-01', to: '2026-11-30', actor: 'api' }),
      service.run({ from: '2026-12-01', to: '2026-12-04' }),
    ]);
    expect(asked.map((r) => r.from)).to.deep.equal(['2026-11-01', '2026-12-01']);
    expect([a.from, b.from]).to.deep.equal(['2026-11-01', '2026-12-01']);
    expect(service.last?.from).to.equal('2026-12-01');
  });
});
